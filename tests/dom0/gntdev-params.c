// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-params - the module's global bounds.
 *  - "limit" (grants per call): a value whose per-call operation arrays
 *    would exceed what kvmalloc() accepts (INT_MAX bytes) is refused with
 *    EINVAL and the old value stays; the largest accepted one is taken.
 *  - "dmabuf_max_pages" (backing pages of all exported dma-bufs): with
 *    the cap set 8 pages above what is held now, two 4-page exports
 *    succeed, the next one fails with EDQUOT and leaves every counter as
 *    it was; closing one buffer gives its pages back to the cap (the
 *    next export succeeds), and closing all returns the counters to the
 *    baseline.  The cap holds in PV and PVH dom0 alike.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>

#include "dmabuf-util.h"

#define NPAGES 4

/* What the test changes, restored however it ends (xt_fatal() exits). */
static long saved_limit = -1, saved_cap = -1;

static void restore_params(void)
{
	if (saved_limit >= 0)
		gt_param_set("limit", saved_limit);
	if (saved_cap >= 0)
		gt_param_set("dmabuf_max_pages", saved_cap);
}

int main(void)
{
	/* The larger of the two Xen grant operations: 32 bytes on x86-64. */
	const long op = 32, max = 0x7fffffffL / op;
	long limit, cap, held;
	uint32_t refs[NPAGES];
	struct gt_stats base;
	struct xt_peer peer;
	int gfd, fd[3] = { -1, -1, -1 }, err;

	gt_require_ours();
	limit = gt_param("limit");
	cap = gt_param("dmabuf_max_pages");
	/* Our module without its parameters is a failure, not a skip. */
	if (limit < 0 || cap < 0 || gt_stat(GT_DMABUF_PAGES) < 0)
		xt_fatal("our xen-gntdev lacks limit, dmabuf_max_pages or dmabuf_pages");
	saved_limit = limit;
	saved_cap = cap;
	atexit(restore_params);

	/* ---- limit ---- */
	err = gt_param_set("limit", max + 1);
	xt_ok(err == EINVAL && gt_param("limit") == limit,
	      "limit %ld (arrays over INT_MAX bytes) refused: %s, still %ld",
	      max + 1, err ? strerror(err) : "accepted", gt_param("limit"));
	err = gt_param_set("limit", 0x7fffffffL);
	xt_ok(err == EINVAL && gt_param("limit") == limit,
	      "limit 0x7fffffff refused: %s", err ? strerror(err) : "accepted");
	err = gt_param_set("limit", max);
	xt_ok(err == 0 && gt_param("limit") == max,
	      "limit %ld, the largest, accepted (%s)", max,
	      err ? strerror(err) : "ok");
	xt_ok(gt_param_set("limit", limit) == 0 && gt_param("limit") == limit,
	      "limit restored to %ld", limit);

	/* ---- dmabuf_max_pages ---- */
	gfd = dmb_begin(&peer, NPAGES, refs, &base);
	held = gt_stat(GT_DMABUF_PAGES);
	xt_ok(gt_param_set("dmabuf_max_pages", held + 2 * NPAGES) == 0,
	      "cap set to %ld pages (%ld held now)", held + 2 * NPAGES, held);
	err = dmb_export(gfd, 0, peer.domid, NPAGES, refs, &fd[0]);
	xt_ok(err == 0, "first export under the cap (%s)", err ? strerror(err) : "ok");
	err = dmb_export(gfd, 0, peer.domid, NPAGES, refs, &fd[1]);
	xt_ok(err == 0, "second export reaches the cap (%s)", err ? strerror(err) : "ok");
	xt_ok(gt_stat(GT_DMABUF_PAGES) == held + 2 * NPAGES,
	      "dmabuf_pages counts both buffers (%ld)", gt_stat(GT_DMABUF_PAGES));
	{
		struct gt_stats now, after;

		gt_stats_read(&now);
		err = dmb_export(gfd, 0, peer.domid, 1, refs, &fd[2]);
		xt_ok(err == EDQUOT, "one page more is refused: EDQUOT (%s)",
		      err ? strerror(err) : "exported");
		gt_stats_read(&after);
		xt_ok(gt_stats_same(&after, &now, GT_SET_DMABUF) &&
		      gt_stat(GT_DMABUF_PAGES) == held + 2 * NPAGES,
		      "the refused export leaves every counter as it was");
		if (!err)
			close(fd[2]);
	}
	close(fd[0]);
	xt_ok(dmb_wait(gfd, fd[0], 5000) == ENOENT || dmb_wait(gfd, fd[0], 0) == ENOENT,
	      "first buffer released");
	xt_ok(gt_stat(GT_DMABUF_PAGES) == held + NPAGES,
	      "its pages are back under the cap (%ld)", gt_stat(GT_DMABUF_PAGES));
	err = dmb_export(gfd, 0, peer.domid, NPAGES, refs, &fd[0]);
	xt_ok(err == 0, "an export fits again (%s)", err ? strerror(err) : "ok");
	if (!err) {
		/* The buffer is real: its pages are the domU's. */
		uint8_t *m = mmap(NULL, NPAGES * GT_PAGE, PROT_READ, MAP_SHARED,
				  fd[0], 0);

		xt_ok(m != MAP_FAILED && gt_mismatch(m, 0, NPAGES, 1) < 0,
		      "it shows the domU's bytes");
		if (m != MAP_FAILED)
			munmap(m, NPAGES * GT_PAGE);
	}
	close(fd[0]);
	close(fd[1]);
	xt_ok(gt_param_set("dmabuf_max_pages", cap) == 0, "cap restored to %ld", cap);
	dmb_wait(gfd, fd[1], 5000);
	gt_stats_check(&base, GT_SET_DMABUF, "at the end");
	xt_ok(gt_stat(GT_DMABUF_PAGES) == held,
	      "dmabuf_pages back at %ld (%ld)", held, gt_stat(GT_DMABUF_PAGES));
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(gfd);
	return xt_exit();
}
