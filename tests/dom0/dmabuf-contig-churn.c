// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-contig-churn - contiguous exports (GNTDEV_DMA_FLAG_WC and
 * _COHERENT, alternately) made and released again and again, PVH dom0:
 * 1000 cycles of 1 MiB (a block: memory handed over to Xen, pooled on
 * release and reused) and 50 of 8100 pages (a 4K frame, a range: a hole
 * of address space claimed and released each time).  After each run,
 * with the pool drained (dmabuf_pool_pages=0), the leak counters,
 * dom0's free memory (per-CPU lists included) and Xen's (xl info) are back at the baseline taken
 * drained before it; after the first, the pool drains by itself once
 * idle.  A leaked page per cycle would show as 4 MB.
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

/* Drain the pool of plain and contiguous exports: set its size to 0. */
static void drain(void)
{
	int ret = gt_param_set("dmabuf_pool_pages", 0);

	if (ret)
		xt_diag("dmabuf_pool_pages=0: %s", strerror(ret));
}

/*
 * The last release left its block pooled; nobody releases any more, so
 * the pool must drain by itself within its idle time (10 s).  Watched
 * closely: the moment the pool reads empty, its frames must be back
 * (the caller's check follows at once).
 */
static void aged(unsigned int npages)
{
	long pooled = gt_stat(GT_DMABUF_POOL), left = pooled;
	uint64_t t0 = xt_now_ms();

	xt_ok(pooled >= npages, "the pool holds the last block (%ld pages)",
	      pooled);
	while (left > 0 && xt_now_ms() - t0 < 20000) {
		usleep(1000);
		left = gt_stat(GT_DMABUF_POOL);
	}
	xt_ok(left == 0, "an idle pool drains by itself (%ld pages left after %llu ms)",
	      left, (unsigned long long)(xt_now_ms() - t0));
}

/* @n cycles of @npages: everything returns to its baseline. */
static void churn(int gfd, const struct xt_peer *peer, unsigned int n,
		  unsigned int npages, bool age)
{
	long pool = gt_param("dmabuf_pool_pages");
	long free0, free1, xen0, xen1;
	struct gt_stats base;
	unsigned int i, fails = 0;
	uint64_t t0;
	int fd, ret;

	/* The baseline with nothing pooled; the cycles with the pool. */
	drain();
	gt_stats_read(&base);
	free0 = gt_free_kb();
	xen0 = gt_xen_free_mb();
	gt_param_set("dmabuf_pool_pages", pool);
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
		if ((i + 1) % (n >= 1000 ? 100 : 10) == 0)
			xt_diag("%u of %u cycles, %llu ms", i + 1, n,
				(unsigned long long)(xt_now_ms() - t0));
	}
	xt_ok(!fails, "%u cycles of %u pages: every one exports and releases",
	      n, npages);
	if (age)
		aged(npages);
	else
		drain();
	gt_stats_check(&base, SET_HELD, "after the cycles, pool drained");
	free1 = gt_free_kb();
	xen1 = gt_xen_free_mb();
	xt_ok(free1 > free0 - TOLERANCE_KB,
	      "%u x %u pages: free memory %ld kB, was %ld kB", n, npages, free1,
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

	/* Some 20 s alone on TCG, twice that beside another QEMU. */
	printf("# xt-timeout 240\n");
	fflush(stdout);
	/* Decided before the domU is asked for 8100 grants. */
	if (gt_dom0_is_pv())
		xt_skip_all("PV dom0: no contiguous exports (dmabuf-contig)");
	/* Minutes of TCG that prove nothing about the toolstack. */
	if (!strcmp(getenv("XT_XENSTORED") ?: "", "oxenstored"))
		xt_skip_all("runs on the cxenstored points (xenstored plays no part)");
	gfd = dmb_begin(&peer, MAXPAGES, refs, &base);
	churn(gfd, &peer, 1000, MIB_PAGES, true);
	churn(gfd, &peer, 50, MAXPAGES, false);
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(gfd);
	return xt_exit();
}
