// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-contig-churn - contiguous exports (GNTDEV_DMA_FLAG_WC and
 * _COHERENT, alternately) made and released again and again, PVH dom0:
 * 1000 cycles of 1 MiB (a block: memory handed over to Xen and taken
 * back each time) and 50 of 8100 pages (a 4K frame, a range: a hole of
 * address space claimed and released each time).  After each run the
 * leak counters, MemFree and Xen's free memory (xl info) are back at
 * their baseline; the pool of plain exports is drained on both sides of
 * the comparison.  A leaked page per cycle would show as 4 MB.
 */
#define _GNU_SOURCE

#include "dmabuf-util.h"

#define MAXPAGES 8100
#define MIB_PAGES 256
#define TOLERANCE_KB 4096
#define XL_TOLERANCE_MB 2

#define SET_HELD (GT_SET_DMABUF | GT_BIT(GT_DMABUF_FRAMES_OUT) | \
		  GT_BIT(GT_DMABUF_POOL) | GT_BIT(GT_DMABUF_PAGES))

static uint32_t refs[MAXPAGES];

/* @n cycles of @npages: everything returns to its baseline. */
static void churn(int gfd, const struct xt_peer *peer, unsigned int n,
		  unsigned int npages)
{
	long pool = gt_param("dmabuf_pool_pages");
	long free0, free1, xen0, xen1;
	struct gt_stats base;
	unsigned int i, fails = 0;
	uint64_t t0;
	int fd, ret;

	/* A drained pool on both sides of the comparison. */
	gt_param_set("dmabuf_pool_pages", 0);
	gt_stats_read(&base);
	free0 = gt_meminfo_kb("MemFree");
	xen0 = gt_xen_free_mb();
	t0 = xt_now_ms();
	for (i = 0; i < n; i++) {
		ret = dmb_export(gfd, i & 1 ? GNTDEV_DMA_FLAG_COHERENT :
				 GNTDEV_DMA_FLAG_WC, peer->domid, npages, refs,
				 &fd);
		if (ret) {
			if (!fails++)
				xt_diag("cycle %u: %s", i, strerror(ret));
			continue;
		}
		close(fd);
		ret = dmb_wait(gfd, fd, 5000);
		if (ret && ret != ENOENT && !fails++)
			xt_diag("cycle %u: wait: %s", i, strerror(ret));
		/* Signs of life for the console watchdog. */
		if (i % 100 == 99)
			xt_diag("%u of %u cycles, %llu ms", i + 1, n,
				(unsigned long long)(xt_now_ms() - t0));
	}
	xt_ok(!fails, "%u cycles of %u pages: every one exports and releases",
	      n, npages);
	gt_stats_check(&base, SET_HELD, "after the cycles");
	free1 = gt_meminfo_kb("MemFree");
	xen1 = gt_xen_free_mb();
	xt_ok(free1 > free0 - TOLERANCE_KB,
	      "%u x %u pages: MemFree %ld kB, was %ld kB", n, npages, free1,
	      free0);
	if (xen0 < 0 || xen1 < 0)
		xt_skip("xl info gives no free_memory",
			"Xen's free memory is back");
	else
		xt_ok(labs(xen1 - xen0) <= XL_TOLERANCE_MB,
		      "%u x %u pages: Xen's free memory %ld MiB, was %ld MiB",
		      n, npages, xen1, xen0);
	if (pool >= 0)
		gt_param_set("dmabuf_pool_pages", pool);
}

int main(void)
{
	struct xt_peer peer;
	struct gt_stats base;
	int gfd;

	/* About 25 s alone on TCG, twice that beside another QEMU. */
	printf("# xt-timeout 240\n");
	fflush(stdout);
	gfd = dmb_begin(&peer, MAXPAGES, refs, &base);
	if (gt_dom0_is_pv()) {
		xt_peer_finish(&peer);
		xt_skip_all("PV dom0: no contiguous exports (dmabuf-contig)");
	}
	churn(gfd, &peer, 1000, MIB_PAGES);
	churn(gfd, &peer, 50, MAXPAGES);
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(gfd);
	return xt_exit();
}
