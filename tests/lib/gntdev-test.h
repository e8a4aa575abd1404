/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntdev-test.h - the one library of the dom0 programs that test a gntdev
 * (tests/dom0: grant-*, gntdev-*, dmabuf-*, toolstack).  It owns what
 * every such program needs and nothing of one area alone:
 *  - the device: gt_open(), and the classic MAP/UNMAP_GRANT_REF calls;
 *  - the machine: gt_dom0_is_pv();
 *  - the module's parameters, read and written by name;
 *  - the leak counters of /sys/kernel/debug/xen-gntdev/stats, by name
 *    (enum gt_counter), as snapshots, with the one baseline check;
 *  - the byte pattern of xt_pattern() written and checked over pages;
 *  - the peer: its "ok" answer, and the common start of a test.
 * Area-specific wrappers (the dma-buf ioctls, vgem) live in
 * tests/dom0/dmabuf-util.h.  Built once as build/xt/gntdev-test.o and
 * linked, with xt.o, into every tests/dom0 program.
 *
 * Debian's stock gntdev has neither our parameters nor our stats: there
 * gt_param() is -1 and every counter reads GT_MISSING.  Only
 * gt_require_ours() (and gt_begin(), which calls it) skip for that; the
 * grant-* programs, which run on the stock module too, use neither.
 *
 * Lifetime: the library keeps no state.  An fd from gt_open() belongs to
 * the caller, as does every range gt_map() creates on it.  Setup failures
 * (no device, no memory, no grants) end the program through xt_fatal();
 * skips through xt_skip_all().  Errors are returned as documented per
 * function: -1 with errno (the ioctl wrappers, as the ioctl itself), or
 * an errno value (gt_param_set()).
 */
#ifndef GNTDEV_TEST_H
#define GNTDEV_TEST_H

/* What every user of the device needs, so each test need not repeat it. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xt.h"	/* first: defines domid_t for <xen/gntdev.h> */
#include <xen/gntdev.h>

#define GT_PAGE 4096u
#define GT_DEVICE "/dev/xen/gntdev"

/* ---- the device ---- */
/* Open GT_DEVICE read-write, close-on-exec; -1 with errno if it fails. */
int gt_try_open(void);
/* The same, but a failure is fatal (setup of a test). */
int gt_open(void);
/*
 * MAP_GRANT_REF of @n grants of @domid, refs from @refs (n = 0 is passed
 * on as it is).  0 and *@index (if not NULL), or -1 with errno.
 */
int gt_map(int fd, int domid, const uint32_t *refs, unsigned int n,
	   uint64_t *index);
/*
 * A malloc()ed array of @n refs repeating the @nrefs of @refs (slot i
 * gets refs[i % nrefs]), for ranges longer than the peer's grants; the
 * caller frees it.  Fatal when out of memory.
 */
uint32_t *gt_refs_cycle(const uint32_t *refs, unsigned int nrefs,
			unsigned int n);
/* UNMAP_GRANT_REF of the @n grants at @index; 0, or -1 with errno. */
int gt_unmap(int fd, uint64_t index, unsigned int n);

/* ---- the machine ---- */
/* Is dom0 a PV guest?  (/sys/hypervisor/guest_type: PV, PVH or HVM) */
bool gt_dom0_is_pv(void);
/* The /proc/meminfo line @key ("MemFree") in kB, or -1. */
long gt_meminfo_kb(const char *key);
/*
 * Free memory in kB, pages on the per-CPU free lists included (which
 * MemFree leaves out: tens of MB after a burst of frees), or -1.
 */
long gt_free_kb(void);
/* Xen's free memory in MiB (free_memory of "xl info"), or -1. */
long gt_xen_free_mb(void);

/* ---- module parameters (/sys/module/xen_gntdev/parameters/NAME) ---- */
/* The value of parameter @name, or -1 if it cannot be read. */
long gt_param(const char *name);
/* Write @value to parameter @name: 0, or the errno of the failure. */
int gt_param_set(const char *name, long value);

/* ---- leak counters ---- */
/* Every counter of drivers/xen/gntdev-stats.h, in its order. */
enum gt_counter {
	GT_FILES,
	GT_MAPS,
	GT_MAPPED_GRANTS,
	GT_PAGES,
	GT_NOTIFY_EVTCHNS,
	GT_DMABUF_EXPORTS,
	GT_DMABUF_GRANTS,
	GT_DMABUF_ATTACHMENTS,
	GT_DMABUF_WAITERS,
	GT_DMABUF_PAGES,
	GT_DMABUF_IMPORTS,
	GT_DMABUF_IMPORTS_DEFERRED,
	GT_DMABUF_IMP_GRANTS,
	GT_DMABUF_FRAMES_OUT,
	GT_DMABUF_POOL,
	GT_DMABUF_RANGES,
	GT_DMABUF_RANGE_BYTES,
	GT_NCOUNTERS
};

/* The value of a counter the stats file does not have (stock module). */
#define GT_MISSING (-1L)

/* Sets of counters, for gt_stats_same() and gt_stats_check(). */
#define GT_BIT(c) (1u << (c))
/* What the classic map path holds. */
#define GT_SET_CLASSIC (GT_BIT(GT_FILES) | GT_BIT(GT_MAPS) | \
			GT_BIT(GT_MAPPED_GRANTS) | GT_BIT(GT_PAGES) | \
			GT_BIT(GT_NOTIFY_EVTCHNS))
/* What an export holds (its backing pages are counted in GT_PAGES). */
#define GT_SET_DMABUF (GT_BIT(GT_DMABUF_EXPORTS) | GT_BIT(GT_DMABUF_GRANTS) | \
		       GT_BIT(GT_DMABUF_ATTACHMENTS) | \
		       GT_BIT(GT_DMABUF_WAITERS) | GT_BIT(GT_PAGES) | \
		       GT_BIT(GT_DMABUF_RANGES) | GT_BIT(GT_DMABUF_RANGE_BYTES))

/* One reading of every counter (GT_MISSING where there is none). */
#define GT_SET_IMPORT (GT_BIT(GT_DMABUF_IMPORTS) | \
		       GT_BIT(GT_DMABUF_IMPORTS_DEFERRED) | \
		       GT_BIT(GT_DMABUF_IMP_GRANTS))

struct gt_stats {
	long v[GT_NCOUNTERS];
};

/* The name of counter @c in the stats file ("mapped_grants"). */
const char *gt_counter_name(enum gt_counter c);
/* Read all counters at once into *@s. */
void gt_stats_read(struct gt_stats *s);
/* The current value of one counter, or GT_MISSING. */
long gt_stat(enum gt_counter c);
/* Do @a and @b agree on every counter of @set? */
bool gt_stats_same(const struct gt_stats *a, const struct gt_stats *b,
		   unsigned int set);
/*
 * The baseline check, one TAP result "leak counters back at baseline
 * WHEN": every counter of @set exists and reads now what it read in
 * *@base.  Each counter that differs gets a diagnostic with its name.
 * Returns the verdict.
 */
bool gt_stats_check(const struct gt_stats *base, unsigned int set,
		    const char *when);

/* ---- byte patterns (xt_pattern(), page by page) ---- */
/* Write pattern @seed to @npages pages at @mem, being pages @first... */
void gt_fill(volatile uint8_t *mem, unsigned int first, unsigned int npages,
	     uint32_t seed);
/*
 * -1 if the @npages pages at @mem (pages @first...) hold pattern @seed,
 * else the offset from @mem of the first byte that differs, which is
 * also reported as a diagnostic (page, offset, value, expected value).
 */
long gt_mismatch(const volatile uint8_t *mem, unsigned int first,
		 unsigned int npages, uint32_t seed);

/*
 * Slots @from..@to-1 of @mem, a mapping whose slot i shows the peer's
 * page i % @nrefs, are all readable and hold pattern @seed, but for slot
 * @skip (none if it is outside the span).  Else the first bad slot is
 * reported as a diagnostic that starts with @when.
 */
bool gt_slots_ok(const volatile uint8_t *mem, unsigned int from,
		 unsigned int to, unsigned int nrefs, unsigned int skip,
		 uint32_t seed, const char *when);

/* ---- peers ---- */
/* Does the peer answer "ok" to request @req (within 20 s)? */
bool gt_peer_ok(struct xt_peer *p, const char *req);

/* ---- the start of a test ---- */
/* Skip the whole program unless our module (with its stats) is loaded. */
void gt_require_ours(void);
/* Skip the whole program unless a domU runs. */
void gt_need_domu(void);
/*
 * Start the domU peer "grant-pages @npages @opts" and take its refs (and
 * port, see xt_grant_peer()); fatal if it gives none.
 */
void gt_grants(struct xt_peer *peer, unsigned int npages, const char *opts,
	       uint32_t *refs, int *port);
/*
 * The common start of a classic gntdev test: skip unless our module is
 * loaded and a domU runs, get @npages grants of the peer into @refs,
 * snapshot the counters into *@base, then open the device.  Returns the
 * gntdev fd.
 */
int gt_begin(struct xt_peer *peer, unsigned int npages, uint32_t *refs,
	     struct gt_stats *base);

#endif
