// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench-memory - what live exports cost dom0 in memory, and how many
 * 1080p buffers dom0 can export before something says no.
 *
 *  live	1000 exports of 16 pages each, held at once, of distinct
 *		refs when the domU grants 16000 pages (else its refs in
 *		turn, each used few enough times for Xen's pin counts).
 *		/proc/meminfo (MemAvailable, MemTotal, Slab) and the
 *		module's counters are read before and after creating them;
 *		rows kb_memavail_delta, kb_memtotal_delta, kb_slab_delta
 *		(before - after for MemAvailable and MemTotal, after -
 *		before for Slab), kb_per_page (the MemAvailable delta over
 *		the 16000 pages) and us_export, us_release (mean wall time
 *		of one export, one close with its release).  Backing pages
 *		that come from a pool or the balloon (a PVH dom0's pooled
 *		frames, a PV dom0's ballooned pages) left MemAvailable
 *		earlier: the kb_memtotal_delta row and the diagnostics with
 *		the counters tell how much of that happened;
 *  capacity	exports of the same 2025 refs (a 1080p frame), held, until
 *		one fails, at most 300 or for 120 s, and never below 48 MiB
 *		of MemAvailable; rows count (the exports that worked),
 *		errno (of the one that failed; 0 when a bound stopped it)
 *		and kb_memavail_delta at the peak.  The diagnostics name the
 *		limit: the module's cap dmabuf_max_pages (EDQUOT), memory
 *		(ENOMEM), or Xen's (a grant map that failed: maptrack
 *		entries, or a grant's pin count, which allows about 127 host
 *		mappings of one grant, and a PV export maps each twice).
 * Everything is released afterwards and the counters must be back at
 * their baseline.  Skipped with a stock xen-gntdev (no dma-buf).
 */
#define _GNU_SOURCE
#include "bench.h"

#define LIVE_N 1000
#define LIVE_PAGES 16
#define LIVE_REFS (LIVE_N * LIVE_PAGES)
#define CAP_PAGES 2025
#define CAP_MAX 300
#define CAP_SECONDS 120
#define CAP_FLOOR_KB (48 * 1024)

static uint32_t refs[LIVE_REFS];
static int gfd;
static uint32_t domid;

struct mem {
	long avail, total, slab;
	struct gt_stats st;
};

static void mem_read(struct mem *m)
{
	m->avail = gt_meminfo_kb("MemAvailable");
	m->total = gt_meminfo_kb("MemTotal");
	m->slab = gt_meminfo_kb("Slab");
	gt_stats_read(&m->st);
}

static long st_delta(const struct mem *a, const struct mem *b,
		     enum gt_counter c)
{
	return b->st.v[c] - a->st.v[c];
}

/* Close every one of the @n dma-bufs of @fds: how many failed release. */
static unsigned int release_all(const int *fds, unsigned int n)
{
	unsigned int bad = 0;

	for (unsigned int i = 0; i < n; i++)
		close(fds[i]);
	for (unsigned int i = 0; i < n; i++) {
		int ret = dmb_wait(gfd, fds[i], 5000);

		if (ret && ret != ENOENT && !bad++)
			xt_diag("export %u (fd %d) not released: %s", i,
				fds[i], strerror(ret));
	}
	return bad;
}

static void bench_live(unsigned int nrefs)
{
	static int fds[LIVE_N];
	uint32_t *r = refs;
	struct mem a, b;
	unsigned int n = 0, bad;
	uint64_t t0, t1;
	int ret = 0;

	if (nrefs < LIVE_REFS)
		r = gt_refs_cycle(refs, nrefs, LIVE_REFS);
	mem_read(&a);
	t0 = bn_ns();
	for (n = 0; n < LIVE_N; n++) {
		ret = dmb_export(gfd, 0, domid, LIVE_PAGES, r + n * LIVE_PAGES,
				 &fds[n]);
		if (ret)
			break;
	}
	t1 = bn_ns();
	mem_read(&b);
	if (ret) {
		xt_diag("live: export %u of %u failed: %s", n + 1, LIVE_N,
			strerror(ret));
		bn_row("memory", "live-1000x16", LIVE_PAGES, 0, "errno", ret);
	} else {
		bn_row("memory", "live-1000x16", LIVE_PAGES, 0, "kb_per_page",
		       (double)(a.avail - b.avail) / LIVE_REFS);
		bn_row("memory", "live-1000x16", LIVE_PAGES, 0,
		       "kb_memavail_delta", (double)(a.avail - b.avail));
		bn_row("memory", "live-1000x16", LIVE_PAGES, 0,
		       "kb_memtotal_delta", (double)(a.total - b.total));
		bn_row("memory", "live-1000x16", LIVE_PAGES, 0,
		       "kb_slab_delta", (double)(b.slab - a.slab));
		bn_row("memory", "live-1000x16", LIVE_PAGES, 0, "us_export",
		       bn_us(t0, t1) / LIVE_N);
		xt_diag("live: %u x %u pages (%s refs): MemAvailable -%ld kB",
			LIVE_N, LIVE_PAGES,
			nrefs >= LIVE_REFS ? "distinct" : "repeated",
			a.avail - b.avail);
		xt_diag("live: %.2f kB a page, MemTotal -%ld kB, Slab +%ld kB",
			(double)(a.avail - b.avail) / LIVE_REFS,
			a.total - b.total, b.slab - a.slab);
		xt_diag("live: counters: exports +%ld, grants +%ld, pages +%ld",
			st_delta(&a, &b, GT_DMABUF_EXPORTS),
			st_delta(&a, &b, GT_DMABUF_GRANTS),
			st_delta(&a, &b, GT_PAGES));
		xt_diag("live: counters: dmabuf_pages +%ld, pool %+ld, frames_out %+ld",
			st_delta(&a, &b, GT_DMABUF_PAGES),
			st_delta(&a, &b, GT_DMABUF_POOL),
			st_delta(&a, &b, GT_DMABUF_FRAMES_OUT));
	}
	t0 = bn_ns();
	bad = release_all(fds, n);
	t1 = bn_ns();
	if (!ret && n)
		bn_row("memory", "live-1000x16", LIVE_PAGES, 0, "us_release",
		       bn_us(t0, t1) / n);
	bn_flush();
	xt_ok(!ret && !bad, "memory, live %ux%u: measured", LIVE_N,
	      LIVE_PAGES);
	if (r != refs)
		free(r);
}

static const char *limit_of(int err)
{
	switch (err) {
	case 0:
		return "none: a bound of this program stopped it";
	case EDQUOT:
		return "the module's cap dmabuf_max_pages";
	case ENOMEM:
		return "dom0 memory";
	case E2BIG:
	case EINVAL:
		return "a module parameter (limit?)";
	default:
		return "Xen's (a grant map failed: maptrack or pin count)";
	}
}

static void bench_capacity(void)
{
	static int fds[CAP_MAX];
	uint64_t start = xt_now_ms();
	long cap = gt_param("dmabuf_max_pages");
	long avail0 = gt_meminfo_kb("MemAvailable"), low = avail0, now;
	const char *bound = NULL;
	unsigned int n, bad;
	int ret = 0;

	for (n = 0; n < CAP_MAX; n++) {
		if (xt_now_ms() - start > CAP_SECONDS * 1000u) {
			bound = "the time bound";
			break;
		}
		now = gt_meminfo_kb("MemAvailable");
		if (now >= 0 && now < low)
			low = now;
		if (now >= 0 && now < CAP_FLOOR_KB) {
			bound = "the MemAvailable floor";
			break;
		}
		ret = dmb_export(gfd, 0, domid, CAP_PAGES, refs, &fds[n]);
		if (ret)
			break;
		if (n % 10 == 9)
			xt_diag("capacity: %u exports so far", n + 1);
	}
	if (!ret && !bound)
		bound = "the count bound";
	now = gt_meminfo_kb("MemAvailable");
	if (now >= 0 && now < low)
		low = now;
	bn_row("memory", "capacity", CAP_PAGES, 0, "count", n);
	bn_row("memory", "capacity", CAP_PAGES, 0, "errno", ret);
	bn_row("memory", "capacity", CAP_PAGES, 0, "kb_memavail_delta",
	       (double)(avail0 - low));
	xt_diag("capacity: %u exports of %u pages (%u pages) in %.1f s, then %s (%s)",
		n, CAP_PAGES, n * CAP_PAGES,
		(double)(xt_now_ms() - start) / 1e3,
		ret ? strerror(ret) : "stopped", ret ? limit_of(ret) : bound);
	xt_diag("capacity: dmabuf_max_pages %ld (room for %ld such buffers)",
		cap, cap > 0 ? cap / CAP_PAGES : -1);
	xt_diag("capacity: MemAvailable %ld kB at the start, %ld kB at the lowest",
		avail0, low);
	bad = release_all(fds, n);
	bn_flush();
	xt_ok(!bad && n > 0, "memory, capacity %u pages: measured", CAP_PAGES);
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur >= 4096)
		return;
	rl.rlim_cur = 4096;
	if (rl.rlim_max < rl.rlim_cur)
		rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		xt_diag("cannot raise RLIMIT_NOFILE to 4096: %m");
}

int main(void)
{
	static const unsigned int ask[] = { LIVE_REFS, 4096, CAP_PAGES };
	uint64_t start = bn_ns();
	struct gt_stats base;
	struct xt_peer peer;
	unsigned int nrefs;

	printf("# xt-timeout 300\n");
	fflush(stdout);
	gt_need_domu();
	domid = (uint32_t)xt_domu_id();
	gfd = gt_open();
	if (!bn_has_export(gfd))
		xt_skip_all("stock xen-gntdev: no dma-buf export (ENOTTY)");
	if (!bn_has_stats())
		xt_skip_all("no xen-gntdev counters: not our module");
	raise_nofile();
	gt_stats_read(&base);
	xt_diag("dom0: %s", gt_dom0_is_pv() ? "PV" : "PVH");
	nrefs = bn_grants_upto(&peer, ask, ARRAY_SIZE(ask), refs);
	if (!nrefs)
		xt_fatal("the domU grants not even %u pages", CAP_PAGES);

	bench_live(nrefs);
	gt_stats_check(&base, GT_SET_DMABUF | GT_BIT(GT_DMABUF_PAGES),
		       "after the live exports");
	bench_capacity();
	gt_stats_check(&base, GT_SET_DMABUF | GT_BIT(GT_DMABUF_PAGES),
		       "after the capacity run");

	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	gt_stats_check(&base, GT_SET_CLASSIC | GT_SET_DMABUF,
		       "at the end");
	xt_diag("bench-memory took %.0f s", bn_us(start, bn_ns()) / 1e6);
	close(gfd);
	return xt_exit();
}
