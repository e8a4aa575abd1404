// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench-export-size - what sharing a guest's buffer with dom0 costs, by
 * buffer size, on every path dom0 has, in the same boot on the same refs.
 *
 * The domU grants as many pages as it can of 32000, 16384 or 8100 (its
 * gntalloc limit and grant table decide) once; a buffer of N pages is
 * the first N of those refs.  For N = 1, 16, 256, 768 (1024x768 XRGB),
 * 2025 (1080p), 8100 (4K), 16384 and 32000, one warm-up round and then
 * 41 (N <= 256), 15 (N <= 2025) or 7 rounds (fewer, at least 3, when
 * they would not fit the program's time on a slow machine), each round
 * running every case once, one after the other, so that drift hits all
 * alike:
 *  classic	MAP_GRANT_REF, mmap() and one read per page (the grants are
 *		mapped at mmap time), munmap(), UNMAP_GRANT_REF;
 *  export	DMABUF_EXP_FROM_REFS, close(), EXP_WAIT_RELEASED (mapped at
 *		export, unmapped at release);
 *  export-vgem	the same with a PRIME import into vgem (the importer
 *		attaches and maps the buffer) and its GEM_CLOSE before the
 *		close (skipped without vgem);
 *  export-wc, export-coherent	exports with GNTDEV_DMA_FLAG_WC and
 *		_COHERENT, where the device's "features" attribute lists
 *		contig-wc and contig-coherent (a PVH dom0), up to
 *		dmabuf_contig_max_pages.
 * Rows (section export): "us" per case and round (wall time of the whole
 * case), and its phases: classic us_map, us_mmap (mmap and the reads),
 * us_munmap, us_unmap; export us_export, us_close, us_wait; export-vgem
 * us_import.  Section import, case imp-vgem, N up to 8100 (and up to
 * dmabuf_imp_max_grants): a vgem dumb buffer of N pages, made once per
 * size, is granted to the domU with DMABUF_IMP_TO_REFS and released with
 * DMABUF_IMP_RELEASE (immediate: the domU maps nothing), rows us, us_imp,
 * us_release.  Section baseline, case memcpy, 2025 pages: a memcpy()
 * between two local, already touched buffers, 21 rounds, by which the
 * host compares boots.  Rows are raw, one per round; the host takes
 * medians.  The diagnostics give this boot's medians in microseconds a
 * page.
 *
 * With Debian's stock xen-gntdev (no dma-buf: EXP_WAIT_RELEASED is
 * ENOTTY) only classic and the baseline run, for the host to set our
 * classic path against the stock one.  A benchmark, not a test: its
 * "ok" lines say that a block was measured, whatever the figures; only
 * an operation that must work and fails is a failure.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "bench.h"

#define MAXPAGES 32000
#define MAXROUNDS 41
#define BASE_PAGES 2025
#define BASE_ROUNDS 21
#define MINROUNDS 3
#define IMP_MAXPAGES 8100
/* Seconds from the start by which each section should be done. */
#define EXPORT_DEADLINE 190
#define IMPORT_DEADLINE 255

static const unsigned int sizes[] = {
	1, 16, 256, 768, 2025, 8100, 16384, MAXPAGES,
};

enum { K_CLASSIC, K_EXPORT, K_VGEM, K_WC, K_COHERENT, NCASE };
#define NPHASE 4

static const char *const case_name[NCASE] = {
	"classic", "export", "export-vgem", "export-wc", "export-coherent",
};

static const char *const phase_name[NCASE][NPHASE] = {
	[K_CLASSIC] = { "us_map", "us_mmap", "us_munmap", "us_unmap" },
	[K_EXPORT] = { "us_export", "us_close", "us_wait" },
	[K_VGEM] = { "us_import" },
};

static uint32_t refs[MAXPAGES];
static int gfd, vfd = -1;
static uint32_t domid;
static bool on[NCASE];
static long contig_max;
static unsigned int granted, imp_max;
static uint64_t t_start;

/* Per case and round of one size: the total and the phases. */
static double tot[NCASE][MAXROUNDS];
static double ph_all[NCASE][NPHASE][MAXROUNDS];

static unsigned int rounds_for(unsigned int n)
{
	return n <= 256 ? 41 : n <= 2025 ? 15 : 7;
}

/*
 * The time budget: the blocks of a section (sizes up to @maxn) share
 * what is left until @deadline_s (seconds since t_start) in proportion
 * to their expected work, (rounds + 1) x (pages + FIXED_PAGES), a round
 * costing about as much as FIXED_PAGES more pages would (the ioctls,
 * the mmap, the dma-buf file).  block_share() is the microseconds block
 * @n may take; a block runs at least MINROUNDS rounds, and another one
 * only while the last round's time still fits its share (the warm-up
 * round, which fills pools, is a poor guide).
 */
#define FIXED_PAGES 256.0

static double work_of(unsigned int n)
{
	return (rounds_for(n) + 1) * (n + FIXED_PAGES);
}

static double block_share(unsigned int n, unsigned int maxn,
			  double deadline_s)
{
	double left = deadline_s * 1e6 - bn_us(t_start, bn_ns()), work = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++)
		if (sizes[i] >= n && sizes[i] <= maxn)
			work += work_of(sizes[i]);
	return work > 0 && left > 0 ? left * work_of(n) / work : 0;
}

/* May a block that ran @done rounds, the last taking @last_us, go on? */
static bool block_goes_on(unsigned int done, uint64_t block_t0,
			  double last_us, double share_us)
{
	return done < MINROUNDS ||
	       bn_us(block_t0, bn_ns()) + last_us <= share_us;
}

/* ---- the cases: 0 or an errno, phases in @ph ---- */

static int classic(unsigned int n, double *ph)
{
	size_t len = (size_t)n * GT_PAGE;
	volatile const uint8_t *m;
	uint64_t index, t0, t1, t2, t3, t4;
	int ret = 0;

	t0 = bn_ns();
	if (gt_map(gfd, (int)domid, refs, n, &index))
		return errno;
	t1 = bn_ns();
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, gfd, (off_t)index);
	if (m == MAP_FAILED) {
		ret = errno;
		gt_unmap(gfd, index, n);
		return ret;
	}
	for (unsigned int i = 0; i < n; i++)
		(void)m[(size_t)i * GT_PAGE];
	t2 = bn_ns();
	munmap((void *)m, len);
	t3 = bn_ns();
	if (gt_unmap(gfd, index, n))
		return errno;
	t4 = bn_ns();
	ph[0] = bn_us(t0, t1);
	ph[1] = bn_us(t1, t2);
	ph[2] = bn_us(t2, t3);
	ph[3] = bn_us(t3, t4);
	return 0;
}

static int export(unsigned int n, uint32_t flags, double *ph)
{
	uint64_t t0, t1, t2, t3;
	int fd, ret;

	t0 = bn_ns();
	ret = dmb_export(gfd, flags, domid, n, refs, &fd);
	if (ret)
		return ret;
	t1 = bn_ns();
	close(fd);
	t2 = bn_ns();
	ret = dmb_wait(gfd, fd, 5000);
	t3 = bn_ns();
	ph[0] = bn_us(t0, t1);
	ph[1] = bn_us(t1, t2);
	ph[2] = bn_us(t2, t3);
	return ret == ENOENT ? 0 : ret;
}

static int export_vgem(unsigned int n, double *ph)
{
	uint64_t t1, t2;
	uint32_t handle = 0;
	int fd, ret;

	ret = dmb_export(gfd, 0, domid, n, refs, &fd);
	if (ret)
		return ret;
	t1 = bn_ns();
	ret = dmb_prime_import(vfd, fd, &handle);
	t2 = bn_ns();
	if (!ret)
		ret = dmb_gem_close(vfd, handle);
	ph[0] = bn_us(t1, t2);
	if (!ret)
		return bn_close_released(gfd, fd);
	bn_close_released(gfd, fd);
	return ret;
}

static int run_case(int k, unsigned int n, double *ph)
{
	switch (k) {
	case K_CLASSIC:
		return classic(n, ph);
	case K_EXPORT:
		return export(n, 0, ph);
	case K_VGEM:
		return export_vgem(n, ph);
	case K_WC:
		return export(n, GNTDEV_DMA_FLAG_WC, ph);
	default:
		return export(n, GNTDEV_DMA_FLAG_COHERENT, ph);
	}
}

/* ---- section export ---- */

static void bench_size(unsigned int n)
{
	unsigned int rounds = rounds_for(n), done[NCASE] = { 0 };
	int err[NCASE] = { 0 }, err_round[NCASE] = { 0 };
	bool run[NCASE], bad = false;
	char line[512];
	size_t len = 0;
	double ph[NPHASE], c, last;
	double share = block_share(n, granted, EXPORT_DEADLINE);
	uint64_t block_t0 = bn_ns(), round_t0;

	for (int k = 0; k < NCASE; k++) {
		run[k] = on[k];
		if (run[k] && (k == K_WC || k == K_COHERENT) && n > contig_max) {
			xt_diag("export, %u pages: %s left out (dmabuf_contig_max_pages %ld)",
				n, case_name[k], contig_max);
			run[k] = false;
		}
	}
	/* Round -1 warms up: caches, and the PVH pools of frames. */
	for (int r = -1; r < (int)rounds; r++) {
		round_t0 = bn_ns();
		for (int k = 0; k < NCASE; k++) {
			uint64_t t0;
			double us;
			int ret;

			if (!run[k] || err[k])
				continue;
			memset(ph, 0, sizeof(ph));
			t0 = bn_ns();
			ret = run_case(k, n, ph);
			us = bn_us(t0, bn_ns());
			if (ret) {
				err[k] = ret;
				err_round[k] = r;
				continue;
			}
			if (r < 0)
				continue;
			tot[k][r] = us;
			done[k]++;
			bn_row("export", case_name[k], n, (unsigned int)r, "us",
			       us);
			for (int p = 0; p < NPHASE; p++) {
				if (!phase_name[k][p])
					continue;
				ph_all[k][p][r] = ph[p];
				bn_row("export", case_name[k], n, (unsigned int)r,
				       phase_name[k][p], ph[p]);
			}
		}
		last = bn_us(round_t0, bn_ns());
		/* Between rounds: the console never runs inside a timing. */
		bn_flush();
		if (!block_goes_on((unsigned int)(r + 1), block_t0, last,
				   share))
			rounds = (unsigned int)(r + 1);
	}
	if (rounds < rounds_for(n))
		xt_diag("export, %u pages: %u rounds, not %u, to stay within the time",
			n, rounds, rounds_for(n));
	for (int k = 0; k < NCASE; k++) {
		if (!err[k])
			continue;
		bad = true;
		xt_diag("export, %u pages: %s failed in round %d: %s", n,
			case_name[k], err_round[k], strerror(err[k]));
		bn_row("export", case_name[k], n, 0, "errno", err[k]);
	}
	bn_flush();

	/* This boot's medians, us a page, and each against classic. */
	c = bn_median(tot[K_CLASSIC], done[K_CLASSIC]);
	for (int k = 0; k < NCASE; k++) {
		double m;

		if (!done[k])
			continue;
		m = bn_median(tot[k], done[k]);
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					"%s%s %.2f", len ? ", " : "",
					case_name[k], m / n);
		if (k != K_CLASSIC && c > 0)
			len += (size_t)snprintf(line + len, sizeof(line) - len,
						" (x%.2f)", m / c);
	}
	xt_diag("export, %u pages, %u rounds, median us/page: %s", n, rounds,
		line);
	for (int k = 0; k < NCASE; k++) {
		if (!done[k] || !phase_name[k][0])
			continue;
		len = 0;
		for (int p = 0; p < NPHASE; p++)
			if (phase_name[k][p])
				len += (size_t)snprintf(line + len,
						sizeof(line) - len,
						"%s%s %.2f", len ? ", " : "",
						phase_name[k][p] + 3,
						bn_median(ph_all[k][p], done[k]) / n);
		xt_diag("export, %u pages, %s phases, median us/page: %s", n,
			case_name[k], line);
	}
	xt_ok(!bad, "export, %u pages: measured", n);
}

/* ---- section import ---- */

static int imp_to_refs(struct ioctl_gntdev_dmabuf_imp_to_refs *op, int fd,
		       unsigned int n)
{
	op->fd = (uint32_t)fd;
	op->count = n;
	op->domid = domid;
	op->reserved = 0;
	return ioctl(gfd, IOCTL_GNTDEV_DMABUF_IMP_TO_REFS, op) ? errno : 0;
}

static int imp_release(int fd)
{
	struct ioctl_gntdev_dmabuf_imp_release op = { .fd = (uint32_t)fd };

	return ioctl(gfd, IOCTL_GNTDEV_DMABUF_IMP_RELEASE, &op) ? errno : 0;
}

static void bench_import(unsigned int n)
{
	struct ioctl_gntdev_dmabuf_imp_to_refs *op;
	unsigned int rounds = rounds_for(n), done = 0;
	double us[MAXROUNDS];
	double share = block_share(n, imp_max, IMPORT_DEADLINE);
	uint64_t block_t0 = bn_ns();
	uint32_t handle = 0;
	int fd, ret = 0, r;

	fd = dmb_vgem_dumb(vfd, n, &handle);
	if (fd < 0) {
		xt_diag("import, %u pages: no vgem dumb buffer: %m", n);
		xt_ok(false, "import, %u pages: measured", n);
		return;
	}
	op = calloc(1, sizeof(*op) + n * sizeof(op->refs[0]));
	if (!op)
		xt_fatal("out of memory");
	for (r = -1; r < (int)rounds; r++) {
		uint64_t t0, t1, t2;

		t0 = bn_ns();
		ret = imp_to_refs(op, fd, n);
		if (ret)
			break;
		t1 = bn_ns();
		ret = imp_release(fd);
		t2 = bn_ns();
		if (ret)
			break;
		if (r < 0)
			continue;
		us[done++] = bn_us(t0, t2);
		bn_row("import", "imp-vgem", n, (unsigned int)r, "us",
		       bn_us(t0, t2));
		bn_row("import", "imp-vgem", n, (unsigned int)r, "us_imp",
		       bn_us(t0, t1));
		bn_row("import", "imp-vgem", n, (unsigned int)r, "us_release",
		       bn_us(t1, t2));
		bn_flush();
		if (!block_goes_on(done, block_t0, bn_us(t0, t2), share))
			break;
	}
	if (ret) {
		xt_diag("import, %u pages: failed in round %d: %s", n, r,
			strerror(ret));
		bn_row("import", "imp-vgem", n, 0, "errno", ret);
	}
	bn_flush();
	if (!ret && done < rounds)
		xt_diag("import, %u pages: %u rounds, not %u, to stay within the time",
			n, done, rounds);
	xt_diag("import, %u pages, %u rounds, median us/page: imp-vgem %.2f",
		n, done, bn_median(us, done) / n);
	xt_ok(!ret, "import, %u pages: measured", n);
	free(op);
	close(fd);
	dmb_gem_close(vfd, handle);
}

/* ---- section baseline ---- */

static void bench_baseline(void)
{
	size_t len = (size_t)BASE_PAGES * GT_PAGE;
	double us[BASE_ROUNDS], m;
	uint8_t *src, *dst;

	src = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		xt_fatal("mmap: %m");
	memset(src, 0x5a, len);
	memset(dst, 0xa5, len);
	memcpy(dst, src, len);	/* warm-up */
	bn_clobber(dst);
	for (unsigned int r = 0; r < BASE_ROUNDS; r++) {
		uint64_t t0 = bn_ns();

		memcpy(dst, src, len);
		bn_clobber(dst);
		us[r] = bn_us(t0, bn_ns());
		bn_row("baseline", "memcpy", BASE_PAGES, r, "us", us[r]);
	}
	bn_flush();
	m = bn_median(us, BASE_ROUNDS);
	xt_diag("baseline: memcpy of %u pages, median %.0f us (%.0f MB/s)",
		BASE_PAGES, m, (double)len / m);
	xt_ok(true, "baseline, memcpy %u pages: measured", BASE_PAGES);
	munmap(src, len);
	munmap(dst, len);
}

int main(void)
{
	static const unsigned int ask[] = { MAXPAGES, 16384, 8100, 2025 };
	struct gt_stats base;
	struct xt_peer peer;
	long param;
	bool pv, dmabuf;

	t_start = bn_ns();
	printf("# xt-timeout 300\n");
	fflush(stdout);
	gt_need_domu();
	domid = (uint32_t)xt_domu_id();
	gfd = gt_open();
	gt_stats_read(&base);
	pv = gt_dom0_is_pv();
	dmabuf = bn_has_export(gfd);
	on[K_CLASSIC] = true;
	if (dmabuf) {
		on[K_EXPORT] = true;
		vfd = dmb_open_vgem();
		on[K_VGEM] = vfd >= 0;
		on[K_WC] = bn_feature(gfd, "contig-wc");
		on[K_COHERENT] = bn_feature(gfd, "contig-coherent");
		contig_max = gt_param("dmabuf_contig_max_pages");
		if (contig_max < 0)
			contig_max = 16384;
	}
	xt_diag("dom0: %s, %s xen-gntdev; cases:%s%s%s%s%s", pv ? "PV" : "PVH",
		dmabuf ? "our" : "a stock (no dma-buf)",
		on[K_CLASSIC] ? " classic" : "", on[K_EXPORT] ? " export" : "",
		on[K_VGEM] ? " export-vgem" : "", on[K_WC] ? " export-wc" : "",
		on[K_COHERENT] ? " export-coherent" : "");
	if (dmabuf && !on[K_VGEM])
		xt_diag("no vgem: export-vgem and the import section left out");

	bench_baseline();

	granted = bn_grants_upto(&peer, ask, ARRAY_SIZE(ask), refs);
	if (!granted)
		xt_fatal("the domU grants not even %u pages", ask[ARRAY_SIZE(ask) - 1]);
	xt_diag("the domU granted %u pages (grants taken in %.1f s)", granted,
		bn_us(t_start, bn_ns()) / 1e6);
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (sizes[i] <= granted)
			bench_size(sizes[i]);
		else
			xt_skip("the domU granted only a smaller number of pages",
				"export, %u pages: measured", sizes[i]);
	}

	if (on[K_VGEM]) {
		param = gt_param("dmabuf_imp_max_grants");
		imp_max = param < 0 ? 16384 : (unsigned int)param;
		if (imp_max > IMP_MAXPAGES)
			imp_max = IMP_MAXPAGES;
		for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++)
			if (sizes[i] <= imp_max)
				bench_import(sizes[i]);
	}

	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	bn_stats_check(&base, GT_SET_CLASSIC | GT_SET_DMABUF | GT_SET_IMPORT |
			      GT_BIT(GT_DMABUF_PAGES), "after the benchmark");
	xt_diag("bench-export-size took %.0f s", bn_us(t_start, bn_ns()) / 1e6);
	if (vfd >= 0)
		close(vfd);
	close(gfd);
	return xt_exit();
}
