// SPDX-License-Identifier: LGPL-2.1-only
/*
 * dir.c - displif page directories: gntext_dir_pages(),
 * gntext_dir_walk(), gntext_dir_walk_grants(), gntext_dir_build().
 *
 * A directory page is struct xendispl_page_directory: a u32 next ref
 * (0 ends the chain) and 1023 u32 data refs.  A buffer of S bytes has
 * N = ceil(S / 4096) data refs (the count is never transmitted), spread
 * over P = ceil(N / 1023) pages, min(remaining, 1023) from each.
 *
 * The walk trusts nothing the pages say: it reads at most P pages, never
 * writes more than N (<= max_refs) refs, and stops at the first fault:
 *   EINVAL   size 0, N > max_refs (N is computed in 64 bits, so no size
 *            wraps), or a NULL argument;
 *   ELOOP    a directory ref seen before, including a last page whose
 *            next points back into the chain;
 *   EBADMSG  a chain that ends early (first ref 0 or next 0 before N
 *            refs), goes on after page P (next != 0, not a ref already
 *            seen), or holds a data ref of 0;
 *   the reader's errno (EIO if it set none) for a page it cannot read.
 * The seen set is the refs of the pages visited: a stack array for
 * chains of up to SMALL_DIR pages, a hash table sized for P (allocated
 * once the chain gets that long, so a hostile size costs nothing until
 * the pages exist) beyond.  No object outlives a call.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <xen/gntdev.h>

#include "internal.h"

#define REFS_PER_PAGE	GNTEXT_DIR_REFS_PER_PAGE
#define SMALL_DIR	64

uint32_t gntext_dir_pages(uint32_t nrefs)
{
	return nrefs / REFS_PER_PAGE + (nrefs % REFS_PER_PAGE != 0);
}

/* The directory refs seen so far.  Refs are never 0 here. */
struct seen {
	uint32_t small[SMALL_DIR];
	uint32_t nsmall;
	uint32_t *table;	/* open addressing, 0 = empty */
	uint32_t mask;
	uint32_t npages;	/* pages the chain may have */
};

static uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* 1 if seen before, 0 if added now, -1 (ENOMEM) on failure. */
static int seen_add(struct seen *s, uint32_t ref)
{
	uint32_t i, cap;

	if (!s->table) {
		for (i = 0; i < s->nsmall; i++)
			if (s->small[i] == ref)
				return 1;
		if (s->nsmall < SMALL_DIR) {
			s->small[s->nsmall++] = ref;
			return 0;
		}
		/* A power of two at least twice the pages: never full. */
		for (cap = 2 * SMALL_DIR; cap < 2 * (uint64_t)s->npages;)
			cap *= 2;
		s->table = calloc(cap, sizeof(uint32_t));
		if (!s->table)
			return -1;
		s->mask = cap - 1;
		for (i = 0; i < s->nsmall; i++)
			seen_add(s, s->small[i]);
	}
	for (i = hash32(ref) & s->mask; s->table[i]; i = (i + 1) & s->mask)
		if (s->table[i] == ref)
			return 1;
	s->table[i] = ref;
	return 0;
}

/* Without adding: has @ref been seen? */
static int seen_has(const struct seen *s, uint32_t ref)
{
	uint32_t i;

	if (!s->table) {
		for (i = 0; i < s->nsmall; i++)
			if (s->small[i] == ref)
				return 1;
		return 0;
	}
	for (i = hash32(ref) & s->mask; s->table[i]; i = (i + 1) & s->mask)
		if (s->table[i] == ref)
			return 1;
	return 0;
}

int gntext_dir_walk(gntext_dir_read_fn read, void *ctx, uint32_t first_ref,
		    uint64_t buffer_size, uint32_t *refs, uint32_t max_refs)
{
	uint32_t page[GNTEXT_PAGE_SIZE / sizeof(uint32_t)];
	uint32_t nrefs, npages, got = 0, ref, take, i, p;
	struct seen s;
	uint64_t n64;
	int err = 0, r;

	if (!read || !refs || buffer_size == 0) {
		errno = EINVAL;
		return -1;
	}
	n64 = buffer_size / GNTEXT_PAGE_SIZE +
	      (buffer_size % GNTEXT_PAGE_SIZE != 0);
	if (n64 > max_refs || n64 > INT_MAX) {
		errno = EINVAL;
		return -1;
	}
	nrefs = (uint32_t)n64;
	npages = gntext_dir_pages(nrefs);

	memset(&s, 0, sizeof(s));
	s.npages = npages;
	ref = first_ref;
	for (p = 0; p < npages; p++) {
		if (ref == 0) {
			err = EBADMSG;
			goto out;
		}
		r = seen_add(&s, ref);
		if (r) {
			err = r > 0 ? ELOOP : ENOMEM;
			goto out;
		}
		errno = 0;
		if (read(ctx, ref, page)) {
			err = errno ? errno : EIO;
			goto out;
		}
		take = nrefs - got;
		if (take > REFS_PER_PAGE)
			take = REFS_PER_PAGE;
		for (i = 0; i < take; i++) {
			if (page[1 + i] == 0) {
				err = EBADMSG;
				goto out;
			}
			refs[got++] = page[1 + i];
		}
		ref = page[0];
	}
	if (ref != 0)
		err = seen_has(&s, ref) ? ELOOP : EBADMSG;
out:
	free(s.table);
	if (err) {
		errno = err;
		return -1;
	}
	return (int)got;
}

struct grant_reader {
	struct gntext_handle *h;
	uint32_t domid;
};

/* Map one grant read-only, copy the page, unmap. */
static int read_grant(void *ctx, uint32_t ref, void *page)
{
	struct grant_reader *g = ctx;
	struct ioctl_gntdev_map_grant_ref map;
	struct ioctl_gntdev_unmap_grant_ref unmap;
	void *p;
	int err = 0;

	memset(&map, 0, sizeof(map));
	map.count = 1;
	map.refs[0].domid = g->domid;
	map.refs[0].ref = ref;
	if (ioctl(g->h->fd, IOCTL_GNTDEV_MAP_GRANT_REF, &map))
		return -1;

	p = mmap(NULL, GNTEXT_PAGE_SIZE, PROT_READ, MAP_SHARED, g->h->fd,
		 map.index);
	if (p == MAP_FAILED) {
		err = errno;
	} else {
		memcpy(page, p, GNTEXT_PAGE_SIZE);
		munmap(p, GNTEXT_PAGE_SIZE);
	}

	memset(&unmap, 0, sizeof(unmap));
	unmap.index = map.index;
	unmap.count = 1;
	if (ioctl(g->h->fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap) && !err)
		err = errno;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int gntext_dir_walk_grants(struct gntext_handle *h, uint32_t domid,
			   uint32_t first_ref, uint64_t buffer_size,
			   uint32_t *refs, uint32_t max_refs)
{
	struct grant_reader g = { .h = h, .domid = domid };

	if (!h) {
		errno = EINVAL;
		return -1;
	}
	return gntext_dir_walk(read_grant, &g, first_ref, buffer_size, refs,
			       max_refs);
}

int gntext_dir_build(void *pages, const uint32_t *dir_refs,
		     const uint32_t *refs, uint32_t nrefs)
{
	uint32_t npages, p, take, done = 0, page[GNTEXT_PAGE_SIZE / 4];
	char *out = pages;

	if (!pages || !dir_refs || !refs || nrefs == 0) {
		errno = EINVAL;
		return -1;
	}
	npages = gntext_dir_pages(nrefs);
	for (p = 0; p < npages; p++) {
		memset(page, 0, sizeof(page));
		page[0] = p + 1 < npages ? dir_refs[p + 1] : 0;
		take = nrefs - done;
		if (take > REFS_PER_PAGE)
			take = REFS_PER_PAGE;
		memcpy(&page[1], refs + done, take * sizeof(uint32_t));
		done += take;
		memcpy(out + (size_t)p * GNTEXT_PAGE_SIZE, page, sizeof(page));
	}
	return 0;
}
