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

/* Phases of one round, for the breakdown lines. */
enum { C_MAP, C_MMAP, C_MUNMAP, C_UNMAP, E_EXPORT, E_CLOSE, E_WAIT, NPHASE };
static const char *const phase_name[NPHASE] = {
	"map", "mmap+touch", "munmap", "unmap", "export", "close", "wait",
};

/* Microseconds since *@t, which becomes now. */
static uint64_t lap(uint64_t *t)
{
	uint64_t now = now_us(), d = now - *t;

	*t = now;
	return d;
}

/* One classic map+unmap of @n refs, phases in @ph; 0 or -1. */
static int classic(int gfd, int domid, unsigned int n, uint64_t *ph)
{
	size_t len = (size_t)n * GT_PAGE;
	volatile uint8_t *m;
	uint64_t index, t = now_us();
	unsigned int i;
	int ret = 0;

	if (gt_map(gfd, domid, refs, n, &index))
		return -1;
	ph[C_MAP] = lap(&t);
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, gfd, (off_t)index);
	if (m == MAP_FAILED) {
		ret = -1;
	} else {
		for (i = 0; i < n; i++)
			(void)m[(size_t)i * GT_PAGE];
		ph[C_MMAP] = lap(&t);
		munmap((void *)m, len);
		ph[C_MUNMAP] = lap(&t);
	}
	if (gt_unmap(gfd, index, n))
		ret = -1;
	ph[C_UNMAP] = lap(&t);
	return ret;
}

/* One export+release of @n refs with @flags, phases in @ph; 0 or an errno. */
static int export(int gfd, int domid, unsigned int n, uint32_t flags,
		  uint64_t *ph)
{
	uint64_t t = now_us();
	int fd, ret;

	ret = dmb_export(gfd, flags, (uint32_t)domid, n, refs, &fd);
	if (ret)
		return ret;
	ph[E_EXPORT] = lap(&t);
	close(fd);
	ph[E_CLOSE] = lap(&t);
	ret = dmb_wait(gfd, fd, 5000);
	ph[E_WAIT] = lap(&t);
	return ret == ENOENT ? 0 : ret;
}

static void bench(int gfd, int domid, unsigned int n, bool contig)
{
	uint64_t c[ROUNDS], e[ROUNDS], w[ROUNDS], t, mc, me, mw;
	uint64_t ph[NPHASE][ROUNDS], one[NPHASE], scratch[NPHASE];
	char extra[96], line[256];
	unsigned int r, p;
	size_t len;
	int bad = 0;

	/* Warm up: caches, and the PVH pool of handed-over frames. */
	bad |= classic(gfd, domid, n, scratch);
	bad |= export(gfd, domid, n, 0, scratch);
	if (contig)
		bad |= export(gfd, domid, n, GNTDEV_DMA_FLAG_WC, scratch);
	for (r = 0; r < ROUNDS && !bad; r++) {
		t = now_us();
		bad |= classic(gfd, domid, n, one);
		c[r] = now_us() - t;
		t = now_us();
		bad |= export(gfd, domid, n, 0, one);
		e[r] = now_us() - t;
		for (p = 0; p < NPHASE; p++)
			ph[p][r] = one[p];
		if (contig) {
			t = now_us();
			bad |= export(gfd, domid, n, GNTDEV_DMA_FLAG_WC,
				      scratch);
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
	/* Where the time goes: each phase's median, us a page. */
	len = 0;
	for (p = 0; p < NPHASE; p++)
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					"%s%s %.2f", p ? ", " : "",
					phase_name[p],
					(double)median(ph[p], ROUNDS) / n);
	xt_diag("%u refs, us/page: %s", n, line);
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
