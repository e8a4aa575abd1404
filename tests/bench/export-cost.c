// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench-export-cost - what a dma-buf export of a guest's grants costs
 * against the classic path, in the same boot, on the same refs.
 *
 * For 768 (a 1024x768 XRGB frame), 2025 (1080p) and 8100 (4K) refs of
 * the domU, alternately, ROUNDS times each:
 *  classic  MAP_GRANT_REF, mmap() + one touch per page (the grants are
 *	   mapped at mmap time), munmap(), UNMAP_GRANT_REF;
 *  export   DMABUF_EXP_FROM_REFS, close(), EXP_WAIT_RELEASED (the
 *	   grants are mapped at export, unmapped at release);
 *  contig   the same with GNTDEV_DMA_FLAG_WC (PVH dom0 only).
 * Each line gives the medians in microseconds per page and the ratio
 * export / classic.  A benchmark, not a test: its "ok" says the
 * measurement was taken, whatever the figures.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <time.h>

#include "dmabuf-util.h"

#define MAXPAGES 8100
#define ROUNDS 21

static uint32_t refs[MAXPAGES];

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t median(uint64_t *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

/* One classic map+unmap of @n refs; 0 or -1. */
static int classic(int gfd, int domid, unsigned int n)
{
	size_t len = (size_t)n * GT_PAGE;
	volatile uint8_t *m;
	uint64_t index;
	unsigned int i;
	int ret = 0;

	if (gt_map(gfd, domid, refs, n, &index))
		return -1;
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, gfd, (off_t)index);
	if (m == MAP_FAILED) {
		ret = -1;
	} else {
		for (i = 0; i < n; i++)
			(void)m[(size_t)i * GT_PAGE];
		munmap((void *)m, len);
	}
	if (gt_unmap(gfd, index, n))
		ret = -1;
	return ret;
}

/* One export+release of @n refs with @flags; 0 or an errno. */
static int export(int gfd, int domid, unsigned int n, uint32_t flags)
{
	int fd, ret;

	ret = dmb_export(gfd, flags, (uint32_t)domid, n, refs, &fd);
	if (ret)
		return ret;
	close(fd);
	ret = dmb_wait(gfd, fd, 5000);
	return ret == ENOENT ? 0 : ret;
}

static void bench(int gfd, int domid, unsigned int n, bool contig)
{
	uint64_t c[ROUNDS], e[ROUNDS], w[ROUNDS], t, mc, me, mw;
	char extra[96];
	unsigned int r;
	int bad = 0;

	/* Warm up: caches, and the PVH pool of handed-over frames. */
	bad |= classic(gfd, domid, n);
	bad |= export(gfd, domid, n, 0);
	if (contig)
		bad |= export(gfd, domid, n, GNTDEV_DMA_FLAG_WC);
	for (r = 0; r < ROUNDS && !bad; r++) {
		t = now_us();
		bad |= classic(gfd, domid, n);
		c[r] = now_us() - t;
		t = now_us();
		bad |= export(gfd, domid, n, 0);
		e[r] = now_us() - t;
		if (contig) {
			t = now_us();
			bad |= export(gfd, domid, n, GNTDEV_DMA_FLAG_WC);
			w[r] = now_us() - t;
		}
	}
	if (!XT_CHECK(!bad, "%u refs: every round ran", n))
		return;
	mc = median(c, ROUNDS);
	me = median(e, ROUNDS);
	extra[0] = '\0';
	if (contig) {
		mw = median(w, ROUNDS);
		snprintf(extra, sizeof(extra),
			 "; contig %.1f us/page, contig/classic %.2f",
			 (double)mw / n, (double)mw / mc);
	}
	xt_ok(true,
	      "%u refs: classic %.1f us/page, export %.1f us/page, export/classic %.2f%s",
	      n, (double)mc / n, (double)me / n, (double)me / mc, extra);
}

int main(void)
{
	struct xt_peer peer;
	struct gt_stats base;
	bool pv;
	int gfd;

	printf("# xt-timeout 240\n");
	fflush(stdout);
	gfd = dmb_begin(&peer, MAXPAGES, refs, &base);
	pv = gt_dom0_is_pv();
	xt_diag("dom0: %s, %d rounds, medians", pv ? "PV" : "PVH", ROUNDS);
	bench(gfd, peer.domid, 768, !pv);
	bench(gfd, peer.domid, 2025, !pv);
	bench(gfd, peer.domid, MAXPAGES, !pv);
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(gfd);
	return xt_exit();
}
