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
#define PARAMS "/sys/module/xen_gntdev/parameters/"

static long read_param(const char *name)
{
	char path[128];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* 0, or the errno of the write. */
static int write_param(const char *name, long v)
{
	char path[128], val[32];
	int fd, n, err = 0;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	n = snprintf(val, sizeof(val), "%ld\n", v);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, val, n) != n)
		err = errno;
	close(fd);
	return err;
}

/* What the test changes, restored however it ends (xt_fatal() exits). */
static long saved_limit = -1, saved_cap = -1;

static void restore_params(void)
{
	if (saved_limit >= 0)
		write_param("limit", saved_limit);
	if (saved_cap >= 0)
		write_param("dmabuf_max_pages", saved_cap);
}

int main(void)
{
	/* The larger of the two Xen grant operations: 32 bytes on x86-64. */
	const long op = 32, max = 0x7fffffffL / op;
	long limit, cap, held;
	uint32_t refs[NPAGES];
	struct dmb_stats base;
	struct xt_peer peer;
	int gfd, fd[3] = { -1, -1, -1 }, err;

	if (xt_gntdev_stat("maps") < 0)
		xt_skip_all("xen-gntdev stats missing: not our module");
	limit = read_param("limit");
	cap = read_param("dmabuf_max_pages");
	/* Our module without its parameters is a failure, not a skip. */
	if (limit < 0 || cap < 0 || xt_gntdev_stat("dmabuf_pages") < 0)
		xt_fatal("our xen-gntdev lacks limit, dmabuf_max_pages or dmabuf_pages");
	saved_limit = limit;
	saved_cap = cap;
	atexit(restore_params);

	/* ---- limit ---- */
	err = write_param("limit", max + 1);
	xt_ok(err == EINVAL && read_param("limit") == limit,
	      "limit %ld (arrays over INT_MAX bytes) refused: %s, still %ld",
	      max + 1, err ? strerror(err) : "accepted", read_param("limit"));
	err = write_param("limit", 0x7fffffffL);
	xt_ok(err == EINVAL && read_param("limit") == limit,
	      "limit 0x7fffffff refused: %s", err ? strerror(err) : "accepted");
	err = write_param("limit", max);
	xt_ok(err == 0 && read_param("limit") == max,
	      "limit %ld, the largest, accepted (%s)", max,
	      err ? strerror(err) : "ok");
	xt_ok(write_param("limit", limit) == 0 && read_param("limit") == limit,
	      "limit restored to %ld", limit);

	/* ---- dmabuf_max_pages ---- */
	gfd = dmb_begin(&peer, NPAGES, refs, &base);
	held = xt_gntdev_stat("dmabuf_pages");
	xt_ok(write_param("dmabuf_max_pages", held + 2 * NPAGES) == 0,
	      "cap set to %ld pages (%ld held now)", held + 2 * NPAGES, held);
	err = dmb_export(gfd, 0, peer.domid, NPAGES, refs, &fd[0]);
	xt_ok(err == 0, "first export under the cap (%s)", err ? strerror(err) : "ok");
	err = dmb_export(gfd, 0, peer.domid, NPAGES, refs, &fd[1]);
	xt_ok(err == 0, "second export reaches the cap (%s)", err ? strerror(err) : "ok");
	xt_ok(xt_gntdev_stat("dmabuf_pages") == held + 2 * NPAGES,
	      "dmabuf_pages counts both buffers (%ld)", xt_gntdev_stat("dmabuf_pages"));
	{
		struct dmb_stats now = dmb_stats();

		err = dmb_export(gfd, 0, peer.domid, 1, refs, &fd[2]);
		xt_ok(err == EDQUOT, "one page more is refused: EDQUOT (%s)",
		      err ? strerror(err) : "exported");
		xt_ok(dmb_stats_same(dmb_stats(), now) &&
		      xt_gntdev_stat("dmabuf_pages") == held + 2 * NPAGES,
		      "the refused export leaves every counter as it was");
		if (!err)
			close(fd[2]);
	}
	close(fd[0]);
	xt_ok(dmb_wait(gfd, fd[0], 5000) == ENOENT || dmb_wait(gfd, fd[0], 0) == ENOENT,
	      "first buffer released");
	xt_ok(xt_gntdev_stat("dmabuf_pages") == held + NPAGES,
	      "its pages are back under the cap (%ld)", xt_gntdev_stat("dmabuf_pages"));
	err = dmb_export(gfd, 0, peer.domid, NPAGES, refs, &fd[0]);
	xt_ok(err == 0, "an export fits again (%s)", err ? strerror(err) : "ok");
	if (!err) {
		/* The buffer is real: its pages are the domU's. */
		uint8_t *m = mmap(NULL, NPAGES * DMB_PAGE, PROT_READ, MAP_SHARED,
				  fd[0], 0);

		xt_ok(m != MAP_FAILED && dmb_mismatch(m, NPAGES, 1) < 0,
		      "it shows the domU's bytes");
		if (m != MAP_FAILED)
			munmap(m, NPAGES * DMB_PAGE);
	}
	close(fd[0]);
	close(fd[1]);
	xt_ok(write_param("dmabuf_max_pages", cap) == 0, "cap restored to %ld", cap);
	dmb_wait(gfd, fd[1], 5000);
	dmb_check_baseline(base, "at the end");
	xt_ok(xt_gntdev_stat("dmabuf_pages") == held,
	      "dmabuf_pages back at %ld (%ld)", held, xt_gntdev_stat("dmabuf_pages"));
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(gfd);
	return xt_exit();
}
