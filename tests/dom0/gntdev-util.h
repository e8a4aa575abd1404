/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntdev-util.h - small helpers shared by the tests/dom0/gntdev-*.c
 * programs (raw /dev/xen/gntdev ioctls, leak-counter snapshots).
 *
 * Lifetime: gntdev_map_refs() returns nothing to free; the caller owns
 * the fd and every range/mapping it creates and must undo them.
 */
#ifndef GNTDEV_UTIL_H
#define GNTDEV_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/gntdev.h>

#include "xt.h"

#define GT_PAGE 4096u

static const char *const gt_stat_names[] = {
	"files", "maps", "mapped_grants", "pages", "notify_evtchns",
};
#define GT_NSTATS (sizeof(gt_stat_names) / sizeof(gt_stat_names[0]))

struct gt_stats {
	long v[GT_NSTATS];
};

static inline void gt_stats_read(struct gt_stats *s)
{
	for (unsigned int i = 0; i < GT_NSTATS; i++)
		s->v[i] = xt_gntdev_stat(gt_stat_names[i]);
}

/* One check: every classic counter is back at @base. */
static inline void gt_stats_check(const struct gt_stats *base,
				  const char *when)
{
	struct gt_stats now;
	bool same = true;

	gt_stats_read(&now);
	for (unsigned int i = 0; i < GT_NSTATS; i++) {
		if (now.v[i] != base->v[i]) {
			xt_diag("%s: %s %ld, baseline %ld", when,
				gt_stat_names[i], now.v[i], base->v[i]);
			same = false;
		}
	}
	xt_ok(same, "leak counters at baseline %s", when);
}

/* Skip the whole program unless our module (with its stats) is loaded. */
static inline void gt_require_ours(void)
{
	if (xt_gntdev_stat("maps") < 0)
		xt_skip_all("xen-gntdev stats missing: not our module");
}

/* True if dom0 is a PV guest (/sys/hypervisor/guest_type reads "PV"). */
static inline bool gt_dom0_is_pv(void)
{
	char type[16] = "";
	int fd = open("/sys/hypervisor/guest_type", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, type, sizeof(type) - 1);
	close(fd);
	return n >= 2 && !strncmp(type, "PV", 2) && (n == 2 || type[2] == '\n');
}

static inline int gt_open(void)
{
	int fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		xt_fatal("open /dev/xen/gntdev: %m");
	return fd;
}

/*
 * MAP_GRANT_REF of @n grants of @domid; refs from @refs.  Returns 0 and
 * the index, or -1 with errno.
 */
static inline int gt_map(int fd, int domid, const uint32_t *refs,
			 unsigned int n, uint64_t *index)
{
	struct ioctl_gntdev_map_grant_ref *m;
	int ret, err;

	m = calloc(1, sizeof(*m) + (n ? n - 1 : 0) * sizeof(m->refs[0]));
	if (!m)
		xt_fatal("out of memory");
	m->count = n;
	for (unsigned int i = 0; i < n; i++) {
		m->refs[i].domid = domid;
		m->refs[i].ref = refs[i];
	}
	ret = ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, m);
	err = errno;
	if (!ret && index)
		*index = m->index;
	free(m);
	errno = err;
	return ret;
}

static inline int gt_unmap(int fd, uint64_t index, unsigned int n)
{
	struct ioctl_gntdev_unmap_grant_ref u = { .index = index, .count = n };

	return ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
}

/* -1 if @mem (npages) holds pattern @seed, else the first bad offset. */
static inline long gt_mismatch(const volatile uint8_t *mem,
			       unsigned int first_page, unsigned int npages,
			       uint32_t seed)
{
	for (unsigned int p = 0; p < npages; p++)
		for (unsigned int o = 0; o < GT_PAGE; o++)
			if (mem[p * GT_PAGE + o] !=
			    xt_pattern(seed, first_page + p, o))
				return (long)(p * GT_PAGE + o);
	return -1;
}

static inline void gt_fill(volatile uint8_t *mem, unsigned int first_page,
			   unsigned int npages, uint32_t seed)
{
	for (unsigned int p = 0; p < npages; p++)
		for (unsigned int o = 0; o < GT_PAGE; o++)
			mem[p * GT_PAGE + o] = xt_pattern(seed, first_page + p, o);
}

/* "ok" from the peer for @req? */
static inline bool gt_peer_ok(struct xt_peer *p, const char *req)
{
	char *rep = xt_peer_call(p, 20000, "%s", req);
	bool ok = rep && !strcmp(rep, "ok");

	if (!ok)
		xt_diag("peer '%s' -> '%s'", req, rep ? rep : "(no answer)");
	free(rep);
	return ok;
}

/*
 * The common start of a gntdev test: skip unless our module is loaded and
 * a domU runs, get @npages grants from the domU peer "grant-pages" into
 * @refs, snapshot the leak counters into *@base, and open the device.
 * Returns the gntdev fd.
 */
static inline int gt_begin(struct xt_peer *peer, unsigned int npages,
			   uint32_t *refs, struct gt_stats *base)
{
	gt_require_ours();
	if (xt_domu_id() < 0)
		xt_skip_all("no domU");
	if (xt_grant_peer(peer, npages, "", refs, NULL))
		xt_fatal("no grants from the domU");
	gt_stats_read(base);
	return gt_open();
}

#endif
