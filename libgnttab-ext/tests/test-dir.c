// SPDX-License-Identifier: GPL-2.0-only
/*
 * test-dir - host tests of the displif page directory code (src/dir.c):
 * gntext_dir_pages(), gntext_dir_build(), gntext_dir_walk() against an
 * in-memory fake grant table (4 KiB pages indexed by ref, a reader that
 * counts its calls and fails with EFAULT for a ref it does not have),
 * good chains, hostile chains, and a deterministic fuzz that compares
 * every walk with a plain reference walker and checks the bounds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gnttab-ext.h"
#include "tap.h"

#define PAGE		4096u
#define RPP		1023u
#define WORDS		(PAGE / 4)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct table {
	uint32_t (*pages)[WORDS];	/* page r is the grant of ref r */
	uint32_t n;			/* refs 1 .. n - 1 exist */
	uint32_t bad;			/* a ref that fails (0: none) */
	int bad_errno;
	unsigned long reads;
};

static int table_read(void *ctx, uint32_t ref, void *page)
{
	struct table *t = ctx;

	t->reads++;
	if (ref == 0 || ref >= t->n || ref == t->bad) {
		errno = ref == t->bad && t->bad_errno ? t->bad_errno : EFAULT;
		return -1;
	}
	memcpy(page, t->pages[ref], PAGE);
	return 0;
}

static int silent_read(void *ctx, uint32_t ref, void *page)
{
	(void)ctx;
	(void)ref;
	(void)page;
	errno = 0;
	return -1;
}

static uint32_t ceil_refs(uint64_t size)
{
	return (uint32_t)(size / PAGE + (size % PAGE != 0));
}

/* A table whose refs 1..P are a well-formed directory for @nrefs. */
static int table_good(struct table *t, uint32_t nrefs, uint32_t *data)
{
	uint32_t np = gntext_dir_pages(nrefs), *dir, i;
	int ret;

	t->n = np + 1;
	t->bad = 0;
	t->bad_errno = 0;
	t->reads = 0;
	t->pages = calloc(t->n, PAGE);
	dir = malloc((np + 1) * sizeof(*dir));
	if (!t->pages || !dir)
		abort();
	for (i = 0; i < np; i++)
		dir[i] = i + 1;
	for (i = 0; i < nrefs; i++)
		data[i] = 0x100000u + i;
	ret = gntext_dir_build(t->pages[1], dir, data, nrefs);
	free(dir);
	return ret;
}

static void good(uint64_t size, const char *what)
{
	uint32_t nrefs = ceil_refs(size), *data, *out;
	struct table t;
	int ret;

	data = calloc(nrefs, sizeof(*data));
	out = calloc(nrefs + 1, sizeof(*out));
	if (!data || !out)
		abort();
	out[nrefs] = 0xdeadbeef;
	if (table_good(&t, nrefs, data)) {
		tap_ok(0, "%s: build", what);
		goto out;
	}
	ret = gntext_dir_walk(table_read, &t, 1, size, out, nrefs);
	tap_ok(ret == (int)nrefs && !memcmp(out, data, nrefs * 4) &&
	       out[nrefs] == 0xdeadbeef &&
	       t.reads == gntext_dir_pages(nrefs),
	       "%s: %u refs from %u pages (%lu reads)", what, nrefs,
	       gntext_dir_pages(nrefs), t.reads);
out:
	free(t.pages);
	free(data);
	free(out);
}

/* Walk a prepared table, expect -1 with @want. */
static void bad(struct table *t, uint32_t first, uint64_t size,
		uint32_t max, int want, const char *what)
{
	/* Room for what a correct walk may write; ASan sees the rest. */
	uint32_t *out = calloc((size_t)(max <= (1u << 20) ? max : 65536) + 1, 4);
	int ret, err;

	if (!out)
		abort();
	t->reads = 0;
	errno = 0;
	ret = gntext_dir_walk(table_read, t, first, size, out, max);
	err = errno;
	tap_ok(ret == -1 && err == want, "%s: %s (got %d, %s)", what,
	       strerror(want), ret, strerror(err));
	free(out);
}

static void test_pages(void)
{
	tap_ok(gntext_dir_pages(0) == 0, "dir_pages(0) = 0");
	tap_ok(gntext_dir_pages(1) == 1, "dir_pages(1) = 1");
	tap_ok(gntext_dir_pages(1023) == 1, "dir_pages(1023) = 1");
	tap_ok(gntext_dir_pages(1024) == 2, "dir_pages(1024) = 2");
	tap_ok(gntext_dir_pages(2025) == 2, "dir_pages(2025) = 2 (1080p)");
	tap_ok(gntext_dir_pages(2046) == 2, "dir_pages(2046) = 2");
	tap_ok(gntext_dir_pages(2047) == 3, "dir_pages(2047) = 3");
	tap_ok(gntext_dir_pages(8100) == 8, "dir_pages(8100) = 8");
	tap_ok(gntext_dir_pages(UINT32_MAX) == 4198405,
	       "dir_pages(UINT32_MAX) = 4198405, no overflow");
	tap_ok(gntext_dir_pages(UINT32_MAX - 1) == 4198405,
	       "dir_pages(UINT32_MAX - 1) = 4198405");
}

static void test_build(void)
{
	uint32_t pages[2][WORDS], dir[2] = { 7, 9 }, refs[1024], i;

	for (i = 0; i < 1024; i++)
		refs[i] = i + 1;
	tap_ok(gntext_dir_build(NULL, dir, refs, 1) == -1 && errno == EINVAL,
	       "build: NULL pages is EINVAL");
	tap_ok(gntext_dir_build(pages, NULL, refs, 1) == -1 &&
	       errno == EINVAL, "build: NULL dir refs is EINVAL");
	tap_ok(gntext_dir_build(pages, dir, NULL, 1) == -1 &&
	       errno == EINVAL, "build: NULL refs is EINVAL");
	tap_ok(gntext_dir_build(pages, dir, refs, 0) == -1 &&
	       errno == EINVAL, "build: 0 refs is EINVAL");
	memset(pages, 0xff, sizeof(pages));
	tap_ok(gntext_dir_build(pages, dir, refs, 1024) == 0 &&
	       pages[0][0] == 9 && pages[1][0] == 0 && pages[0][1] == 1 &&
	       pages[0][1023] == 1023 && pages[1][1] == 1024 &&
	       pages[1][2] == 0 && pages[1][1023] == 0,
	       "build: 1024 refs: page 0 links dir[1], the last links 0, unused slots zeroed");
}

static void test_good(void)
{
	good(1, "1 byte");
	good(4096, "4096 bytes");
	good(4097, "4097 bytes");
	good(1023ull * PAGE, "1023 pages");
	good(1023ull * PAGE + 1, "1023 pages + 1 byte");
	good(1024ull * PAGE, "1024 pages");
	good(2025ull * PAGE, "2025 pages (1080p XRGB8888)");
	good(8100ull * PAGE, "8100 pages");
	good(100ull * RPP * PAGE, "102300 pages (100 directory pages)");
}

static void test_max_refs(void)
{
	uint32_t data[2048], out[2048];
	struct table t;

	table_good(&t, 2025, data);
	tap_ok(gntext_dir_walk(table_read, &t, 1, 2025ull * PAGE, out,
			       2025) == 2025,
	       "max_refs exactly the refs needed");
	t.reads = 0;
	tap_ok(gntext_dir_walk(table_read, &t, 1, 2025ull * PAGE, out,
			       2024) == -1 && errno == EINVAL && t.reads == 0,
	       "max_refs one short: EINVAL, nothing read");
	free(t.pages);
}

static void test_hostile(void)
{
	uint32_t data[8192];
	struct table t = { 0 };

	bad(&t, 1, 0, 16, EINVAL, "size 0");
	table_good(&t, 1, data);
	bad(&t, 1, 4097, 1, EINVAL, "size beyond max_refs");
	bad(&t, 1, UINT64_MAX, UINT32_MAX, EINVAL, "size UINT64_MAX");
	bad(&t, 1, (uint64_t)UINT32_MAX * PAGE + 1, UINT32_MAX, EINVAL,
	    "size (2^32 - 1) pages + 1 byte");
	bad(&t, 1, 1ull << 62, UINT32_MAX, EINVAL, "size 2^62");
	bad(&t, 1, (uint64_t)INT32_MAX * PAGE + 1, UINT32_MAX, EINVAL,
	    "size more refs than an int can count");
	tap_ok(t.reads == 0, "no page read for an impossible size");
	bad(&t, 0, 1, 16, EBADMSG, "first ref 0");
	bad(&t, 5, 1, 16, EFAULT, "first ref unreadable");
	t.bad = 1;
	t.bad_errno = EPERM;
	bad(&t, 1, 1, 16, EPERM, "reader's errno passed on");
	free(t.pages);

	tap_ok(gntext_dir_walk(silent_read, NULL, 1, 1, data, 1) == -1 &&
	       errno == EIO, "reader failing without errno: EIO");
	tap_ok(gntext_dir_walk(NULL, NULL, 1, 1, data, 1) == -1 &&
	       errno == EINVAL, "NULL reader: EINVAL");
	tap_ok(gntext_dir_walk(silent_read, NULL, 1, 1, NULL, 1) == -1 &&
	       errno == EINVAL, "NULL refs: EINVAL");

	/* 1 page: its next must be 0. */
	table_good(&t, 1, data);
	t.pages[1][0] = 1;
	bad(&t, 1, 1, 16, ELOOP, "1-page self-loop");
	t.pages[1][0] = 2;
	bad(&t, 1, 1, 16, EBADMSG, "too long: next != 0 after the last page");
	t.pages[1][0] = 0;
	t.pages[1][1] = 0;
	bad(&t, 1, 1, 16, EBADMSG, "data ref 0");
	free(t.pages);

	/* 4 pages: self-loop, longer cycle, too short, bad ref. */
	table_good(&t, 4000, data);
	t.pages[2][0] = 2;
	bad(&t, 1, 4000ull * PAGE, 4096, ELOOP, "self-loop on page 2");
	t.pages[2][0] = 3;
	t.pages[4][0] = 2;
	bad(&t, 1, 4000ull * PAGE, 4096, ELOOP, "cycle 4 -> 2");
	t.pages[4][0] = 1;
	bad(&t, 1, 4000ull * PAGE, 4096, ELOOP, "cycle 4 -> 1");
	t.pages[4][0] = 0;
	t.pages[3][0] = 1;
	bad(&t, 1, 4000ull * PAGE, 4096, ELOOP, "cycle 3 -> 1 mid-chain");
	tap_ok(t.reads == 3, "cycle found before a 4th read");
	t.pages[3][0] = 0;
	bad(&t, 1, 4000ull * PAGE, 4096, EBADMSG, "too short: next 0 early");
	tap_ok(t.reads == 3, "too short: 3 pages read");
	t.pages[3][0] = 4;
	t.pages[2][0] = 77;
	bad(&t, 1, 4000ull * PAGE, 4096, EFAULT, "bad directory ref");
	t.pages[2][0] = 3;
	t.pages[4][4000 - 3 * RPP] = 0;
	bad(&t, 1, 4000ull * PAGE, 4096, EBADMSG, "last data ref 0");
	t.pages[4][4000 - 3 * RPP] = 5;
	t.pages[4][4000 - 3 * RPP + 1] = 0;
	tap_ok(gntext_dir_walk(table_read, &t, 1, 4000ull * PAGE, data,
			       4096) == 4000,
	       "slots past the last ref are not looked at");
	free(t.pages);
}

static void test_large_cycle(void)
{
	uint32_t n = 100 * RPP, *data = calloc(n, 4), *out = calloc(n, 4);
	struct table t;

	if (!data || !out)
		abort();
	table_good(&t, n, data);
	t.pages[90][0] = 10;
	bad(&t, 1, (uint64_t)n * PAGE, n, ELOOP,
	    "100 pages, cycle 90 -> 10 (hash table path)");
	tap_ok(t.reads == 90, "cycle found after 90 reads (%lu)", t.reads);
	t.pages[90][0] = 91;
	t.pages[100][0] = 100;
	bad(&t, 1, (uint64_t)n * PAGE, n, ELOOP, "100 pages, last self-loop");
	free(t.pages);
	free(data);
	free(out);
}

/* ---- fuzz ---- */

#define FZ_PAGES	12		/* table refs 1 .. FZ_PAGES */
#define FZ_MAXR		(FZ_PAGES * RPP + 8)
#define FZ_GUARD	16
#define CANARY		0xa5a55a5au

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

/* The reference walk: the header's rules written the plain way. */
static int oracle(struct table *t, uint32_t first, uint64_t size,
		  uint32_t max, uint32_t *refs, int *err)
{
	uint32_t seen[FZ_PAGES + 2], nseen = 0, nrefs, np, got = 0, ref;
	uint32_t p, i, k, take;
	uint64_t n64;

	if (size == 0) {
		*err = EINVAL;
		return -1;
	}
	n64 = size / PAGE + (size % PAGE != 0);
	if (n64 > max) {
		*err = EINVAL;
		return -1;
	}
	nrefs = (uint32_t)n64;
	np = (nrefs + RPP - 1) / RPP;
	ref = first;
	for (p = 0; p < np; p++) {
		if (ref == 0) {
			*err = EBADMSG;
			return -1;
		}
		for (k = 0; k < nseen; k++)
			if (seen[k] == ref) {
				*err = ELOOP;
				return -1;
			}
		if (nseen == FZ_PAGES + 2) {
			/* More distinct refs than the table: unreadable. */
			*err = EFAULT;
			return -1;
		}
		seen[nseen++] = ref;
		if (ref >= t->n || ref == t->bad) {
			*err = EFAULT;
			return -1;
		}
		take = nrefs - got < RPP ? nrefs - got : RPP;
		for (i = 0; i < take; i++) {
			if (!t->pages[ref][1 + i]) {
				*err = EBADMSG;
				return -1;
			}
			refs[got++] = t->pages[ref][1 + i];
		}
		ref = t->pages[ref][0];
	}
	if (ref) {
		*err = EBADMSG;
		for (k = 0; k < nseen; k++)
			if (seen[k] == ref)
				*err = ELOOP;
		return -1;
	}
	return (int)got;
}

static uint64_t fuzz_size(void)
{
	static const uint64_t edge[] = {
		0, 1, 4095, 4096, 4097, RPP * 4096ull - 1, RPP * 4096ull,
		RPP * 4096ull + 1, 2 * RPP * 4096ull, 2025 * 4096ull,
		FZ_PAGES * RPP * 4096ull, FZ_PAGES * RPP * 4096ull + 1,
		UINT64_MAX, UINT64_MAX - 4095, (uint64_t)UINT32_MAX * 4096,
		(uint64_t)UINT32_MAX * 4096 + 1, 1ull << 63,
	};

	switch (rnd_below(4)) {
	case 0:
		return edge[rnd_below(ARRAY_SIZE(edge))];
	case 1:
		return rnd();
	default:
		return 1 + rnd() % ((uint64_t)FZ_PAGES * RPP * 4096 + 8192);
	}
}

static void fuzz_table(struct table *t, uint64_t size, uint32_t *first)
{
	uint32_t perm[FZ_PAGES], nrefs, np, i, j, k, x;

	t->n = FZ_PAGES + 1;
	t->bad = rnd_below(4) ? 0 : 1 + rnd_below(FZ_PAGES + 2);
	t->bad_errno = 0;
	/* Start from a valid chain over a random order of pages ... */
	for (i = 0; i < FZ_PAGES; i++)
		perm[i] = i + 1;
	for (i = FZ_PAGES - 1; i > 0; i--) {
		j = rnd_below(i + 1);
		x = perm[i];
		perm[i] = perm[j];
		perm[j] = x;
	}
	nrefs = size / PAGE + (size % PAGE != 0);
	if (size > (uint64_t)FZ_PAGES * RPP * PAGE || nrefs == 0)
		nrefs = 1 + rnd_below(FZ_PAGES * RPP);
	np = (nrefs + RPP - 1) / RPP;
	for (i = 0; i < FZ_PAGES; i++) {
		uint32_t *pg = t->pages[perm[i]];

		pg[0] = i + 1 < np ? perm[i + 1] : 0;
		for (k = 1; k < WORDS; k++)
			pg[k] = (uint32_t)rnd() | 1;
	}
	*first = perm[0];
	/* ... then break it a random number of ways. */
	for (k = rnd_below(4); k; k--) {
		switch (rnd_below(7)) {
		case 0:	/* a random next pointer */
			t->pages[1 + rnd_below(FZ_PAGES)][0] =
				rnd_below(FZ_PAGES + 4);
			break;
		case 1:	/* a zero data ref */
			t->pages[1 + rnd_below(FZ_PAGES)]
				[1 + rnd_below(RPP)] = 0;
			break;
		case 2:	/* end the chain early */
			t->pages[perm[rnd_below(np)]][0] = 0;
			break;
		case 3:	/* a back edge */
			t->pages[perm[rnd_below(np)]][0] =
				perm[rnd_below(np)];
			break;
		case 4:	/* a random first ref */
			*first = rnd_below(FZ_PAGES + 4);
			break;
		case 5:	/* a huge next */
			t->pages[perm[rnd_below(np)]][0] = (uint32_t)rnd();
			break;
		default: /* the last page goes on */
			t->pages[perm[np - 1]][0] = perm[rnd_below(FZ_PAGES)];
			break;
		}
	}
}

static void fuzz_report(unsigned long i, uint64_t size, uint32_t max,
			uint32_t first, int ret, int err, int oret, int oerr,
			unsigned long reads)
{
	printf("# fuzz case %lu: size %llu max %u first %u: ", i,
	       (unsigned long long)size, max, first);
	printf("got %d/%s, want %d/%s, %lu reads\n", ret, strerror(err),
	       oret, strerror(oerr), reads);
}

static void test_fuzz(void)
{
	static uint32_t out[FZ_MAXR + FZ_GUARD], want[FZ_MAXR];
	unsigned long cases = 200000, i, badc = 0, valid = 0, g;
	unsigned long einval = 0, eloop = 0, ebadmsg = 0, efault = 0;
	uint32_t first, max;
	uint64_t n64;
	int feasible;
	struct timespec a, b;
	struct table t;
	uint64_t size;
	int ret, err, oret, oerr = 0;

	t.pages = calloc(FZ_PAGES + 1, PAGE);
	if (!t.pages)
		abort();
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < cases; i++) {
		size = fuzz_size();
		max = rnd_below(3) ? FZ_MAXR : rnd_below(FZ_MAXR + 1);
		fuzz_table(&t, size, &first);
		for (g = 0; g < FZ_GUARD; g++)
			out[max + g] = CANARY;
		t.reads = 0;
		errno = 0;
		ret = gntext_dir_walk(table_read, &t, first, size, out, max);
		err = errno;
		oret = oracle(&t, first, size, max, want, &oerr);

		n64 = size / PAGE + (size % PAGE != 0);
		feasible = size && n64 <= max;
		for (g = 0; g < FZ_GUARD; g++)
			if (out[max + g] != CANARY)
				break;
		if (g != FZ_GUARD ||
		    (ret >= 0 && (oret != ret || (uint64_t)ret != n64 ||
				  memcmp(out, want, ret * 4))) ||
		    (ret < 0 && (ret != -1 || oret != -1 || err != oerr)) ||
		    (ret < 0 && err != EINVAL && err != ELOOP &&
		     err != EBADMSG && err != EFAULT) ||
		    (feasible &&
		     t.reads > gntext_dir_pages((uint32_t)n64) + 1) ||
		    (!feasible && t.reads)) {
			if (badc++ < 5)
				fuzz_report(i, size, max, first, ret, err,
					    oret, oerr, t.reads);
		}
		valid += ret >= 0;
		einval += ret < 0 && err == EINVAL;
		eloop += ret < 0 && err == ELOOP;
		ebadmsg += ret < 0 && err == EBADMSG;
		efault += ret < 0 && err == EFAULT;
	}
	printf("# fuzz: EINVAL %lu, ELOOP %lu, EBADMSG %lu, EFAULT %lu\n",
	       einval, eloop, ebadmsg, efault);
	clock_gettime(CLOCK_MONOTONIC, &b);
	tap_ok(badc == 0 && valid > 0,
	       "fuzz: %lu cases, %lu bad, %lu valid, %ld ms", cases, badc,
	       valid, (long)((b.tv_sec - a.tv_sec) * 1000 +
			     (b.tv_nsec - a.tv_nsec) / 1000000));
	free(t.pages);
}

int main(void)
{
	test_pages();
	test_build();
	test_hostile();
	test_max_refs();
	test_good();
	test_large_cycle();
	test_fuzz();
	return tap_done();
}
