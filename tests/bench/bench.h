/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench.h - what the benchmarks of tests/bench share, on top of
 * tests/dom0/dmabuf-util.h: the two clocks (wall time from
 * CLOCK_MONOTONIC, the process's user+system CPU time from getrusage()),
 * the rows of measurements, the domU's grants, and what the loaded
 * xen-gntdev offers (ours or Debian's stock one, which has no dma-buf).
 * Header-only: each benchmark is one file.
 *
 * Rows: bn_row() keeps a row (SECTION,CASE,PAGES,ROUND,METRIC,VALUE, see
 * docs/performance.md) in memory and bn_flush() sends the kept rows with
 * xt_data() between rounds, so that no console output (a Xen console
 * write in a PV dom0) falls inside a timed operation, yet the console
 * never stays silent for long (the harness takes 90 s of silence for a
 * stall).
 *
 * Grants: bn_grants() starts tests/domu/grant-pages like xt_grant_peer()
 * does, but notices at once a peer that gave up (it asked for more than
 * the domU's gntalloc grants): its exit status appears in place of
 * "ready".  bn_grants_upto() uses that to take the largest of a list of
 * sizes the domU can give.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "dmabuf-util.h"

/* ---- clocks ---- */

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t bn_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Microseconds from @from to @to (two bn_ns() readings). */
static inline double bn_us(uint64_t from, uint64_t to)
{
	return (double)(to - from) / 1000.0;
}

/* The process's user + system CPU time in microseconds. */
static inline double bn_cpu_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		xt_fatal("getrusage: %m");
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* The median of the @n values of @v (sorted in place); 0 for none. */
static inline int bn_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline double bn_median(double *v, unsigned int n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), bn_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- rows ---- */

struct bn_row {
	const char *section;	/* export, import, frame, memory, baseline */
	const char *kase;	/* lowercase words joined by '-' */
	unsigned int pages;
	unsigned int round;
	const char *metric;	/* us, cpu_us, kb, count, errno, us_PHASE... */
	double value;
};

struct bn_rows {
	struct bn_row *v;
	size_t n, cap;
};

/* The rows kept until the next bn_flush(). */
static inline struct bn_rows *bn_rows(void)
{
	static struct bn_rows rows;

	return &rows;
}

/* Keep one row (the strings must outlive the next bn_flush()). */
static inline void bn_row(const char *section, const char *kase,
			  unsigned int pages, unsigned int round,
			  const char *metric, double value)
{
	struct bn_rows *r = bn_rows();

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		if (!r->v)
			xt_fatal("out of memory");
	}
	r->v[r->n++] = (struct bn_row) {
		.section = section, .kase = kase, .pages = pages,
		.round = round, .metric = metric, .value = value,
	};
}

/* Send the kept rows to the host and forget them. */
static inline void bn_flush(void)
{
	struct bn_rows *r = bn_rows();

	for (size_t i = 0; i < r->n; i++)
		xt_data("%s,%s,%u,%u,%s,%.3f", r->v[i].section, r->v[i].kase,
			r->v[i].pages, r->v[i].round, r->v[i].metric,
			r->v[i].value);
	r->n = 0;
}

/* ---- the domU's grants ---- */

/*
 * Start "grant-pages @n" in the domU and read its @n refs into @refs:
 * 0, or -1 (with a diagnostic) if the peer gave up or did not answer.
 * A peer that failed is waited for, so nothing stays behind.
 */
static inline int bn_grants(struct xt_peer *p, unsigned int n, uint32_t *refs)
{
	uint64_t deadline = xt_now_ms() + 120000;
	char cmd[64], path[160], *val;
	unsigned int i;

	snprintf(cmd, sizeof(cmd), "grant-pages %u", n);
	if (xt_peer_start(p, cmd)) {
		xt_diag("cannot start '%s'", cmd);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/rc", p->dir);
	while (!(val = xt_peer_get(p, "ready", 250))) {
		val = xt_xs_read(path);
		if (val || xt_now_ms() > deadline) {
			xt_diag("'%s' %s", cmd, val ? "gave up" : "timed out");
			free(val);
			xt_peer_wait(p, 5000);
			return -1;
		}
	}
	free(val);
	i = xt_peer_refs(p, refs, n, 2000);
	if (i != n) {
		xt_diag("'%s' published %u of %u refs", cmd, i, n);
		xt_peer_finish(p);
		return -1;
	}
	return 0;
}

/*
 * The first of the @nsizes sizes of @sizes (largest first) the domU
 * grants, with its refs in @refs; 0 if it grants none of them.
 */
static inline unsigned int bn_grants_upto(struct xt_peer *p,
					  const unsigned int *sizes,
					  unsigned int nsizes, uint32_t *refs)
{
	for (unsigned int i = 0; i < nsizes; i++) {
		if (!bn_grants(p, sizes[i], refs))
			return sizes[i];
		xt_diag("the domU does not grant %u pages; asking for fewer",
			sizes[i]);
	}
	return 0;
}

/* ---- the device ---- */

/* Does gntdev @gfd have dma-buf export?  (Debian's: ENOTTY.) */
static inline bool bn_has_export(int gfd)
{
	return dmb_wait(gfd, 0, 0) != ENOTTY;
}

/* Are the module's leak counters there (ours)? */
static inline bool bn_has_stats(void)
{
	return gt_stat(GT_FILES) != GT_MISSING;
}

/* Does the device's sysfs "features" attribute list word @word? */
static inline bool bn_feature(int gfd, const char *word)
{
	char path[64], line[256] = "";
	size_t n = strlen(word);
	struct stat st;
	FILE *f;

	if (fstat(gfd, &st))
		return false;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/features",
		 major(st.st_rdev), minor(st.st_rdev));
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	for (const char *p = line; (p = strstr(p, word)); p += n)
		if ((p == line || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/*
 * The leak counters of @set back at *@base, if the module has any (a
 * stock gntdev has none: then only a diagnostic).
 */
static inline void bn_stats_check(const struct gt_stats *base,
				  unsigned int set, const char *when)
{
	if (bn_has_stats())
		gt_stats_check(base, set, when);
	else
		xt_diag("no leak counters (stock xen-gntdev): zz-leaks checks %s",
			when);
}

/* Close dma-buf @fd of gntdev @gfd and wait for its release: 0 or errno. */
static inline int bn_close_released(int gfd, int fd)
{
	int ret;

	close(fd);
	ret = dmb_wait(gfd, fd, 5000);
	return ret == ENOENT ? 0 : ret;
}

/* Keep the compiler from dropping stores into @p that nobody reads. */
static inline void bn_clobber(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

#endif
