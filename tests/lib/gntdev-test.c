// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-test.c - the dom0 gntdev test library; see gntdev-test.h for
 * what it owns and its conventions.  Every function reads what it needs
 * afresh (sysfs, debugfs) and keeps nothing: no state outlives a call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <xen/gntdev.h>

#include "gntdev-test.h"

#define GT_STATS_FILE "/sys/kernel/debug/xen-gntdev/stats"
#define GT_PARAMS_DIR "/sys/module/xen_gntdev/parameters/"

/* ---- the device ---- */

int gt_try_open(void)
{
	return open(GT_DEVICE, O_RDWR | O_CLOEXEC);
}

int gt_open(void)
{
	int fd = gt_try_open();

	if (fd < 0)
		xt_fatal("open " GT_DEVICE ": %m");
	return fd;
}

int gt_map(int fd, int domid, const uint32_t *refs, unsigned int n,
	   uint64_t *index)
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

uint32_t *gt_refs_cycle(const uint32_t *refs, unsigned int nrefs,
			unsigned int n)
{
	uint32_t *many = calloc(n ? n : 1, sizeof(*many));

	if (!many)
		xt_fatal("out of memory");
	for (unsigned int i = 0; i < n; i++)
		many[i] = refs[i % nrefs];
	return many;
}

int gt_unmap(int fd, uint64_t index, unsigned int n)
{
	struct ioctl_gntdev_unmap_grant_ref u = { .index = index, .count = n };

	return ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
}

/* ---- the machine ---- */

bool gt_dom0_is_pv(void)
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

long gt_meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128], name[64];
	long kb, found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]: %ld kB", name, &kb) == 2 &&
		    !strcmp(name, key))
			found = kb;
	fclose(f);
	return found;
}

long gt_free_kb(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	long n, pages = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " pages free %ld", &n) == 1 ||
		    sscanf(line, " count: %ld", &n) == 1)
			pages += n;
	fclose(f);
	return pages * (GT_PAGE / 1024);
}

long gt_xen_free_mb(void)
{
	FILE *p = popen("xl info 2>/dev/null", "r");
	char line[256];
	long mb = -1;

	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "free_memory : %ld", &mb) == 1)
			break;
	pclose(p);
	return mb;
}

/* ---- module parameters ---- */

long gt_param(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), GT_PARAMS_DIR "%s", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

int gt_param_set(const char *name, long value)
{
	char path[128], val[32];
	int fd, n, err = 0;

	snprintf(path, sizeof(path), GT_PARAMS_DIR "%s", name);
	n = snprintf(val, sizeof(val), "%ld\n", value);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, val, n) != n)
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

/* ---- leak counters ---- */

static const char *const gt_names[GT_NCOUNTERS] = {
	[GT_FILES] = "files",
	[GT_MAPS] = "maps",
	[GT_MAPPED_GRANTS] = "mapped_grants",
	[GT_PAGES] = "pages",
	[GT_NOTIFY_EVTCHNS] = "notify_evtchns",
	[GT_DMABUF_EXPORTS] = "dmabuf_exports",
	[GT_DMABUF_GRANTS] = "dmabuf_grants",
	[GT_DMABUF_ATTACHMENTS] = "dmabuf_attachments",
	[GT_DMABUF_WAITERS] = "dmabuf_waiters",
	[GT_DMABUF_PAGES] = "dmabuf_pages",
	[GT_DMABUF_IMPORTS] = "dmabuf_imports",
	[GT_DMABUF_IMPORTS_DEFERRED] = "dmabuf_imports_deferred",
	[GT_DMABUF_IMP_GRANTS] = "dmabuf_imp_grants",
	[GT_DMABUF_FRAMES_OUT] = "dmabuf_frames_out",
	[GT_DMABUF_POOL] = "dmabuf_pool",
	[GT_DMABUF_RANGES] = "dmabuf_ranges",
	[GT_DMABUF_RANGE_BYTES] = "dmabuf_range_bytes",
};

const char *gt_counter_name(enum gt_counter c)
{
	return c < GT_NCOUNTERS ? gt_names[c] : "?";
}

void gt_stats_read(struct gt_stats *s)
{
	FILE *f = fopen(GT_STATS_FILE, "r");
	char key[64];
	long val;

	for (unsigned int c = 0; c < GT_NCOUNTERS; c++)
		s->v[c] = GT_MISSING;
	if (!f)
		return;
	while (fscanf(f, "%63s %ld", key, &val) == 2) {
		for (unsigned int c = 0; c < GT_NCOUNTERS; c++) {
			if (!strcmp(key, gt_names[c])) {
				s->v[c] = val;
				break;
			}
		}
	}
	fclose(f);
}

long gt_stat(enum gt_counter c)
{
	struct gt_stats s;

	gt_stats_read(&s);
	return c < GT_NCOUNTERS ? s.v[c] : GT_MISSING;
}

bool gt_stats_same(const struct gt_stats *a, const struct gt_stats *b,
		   unsigned int set)
{
	for (unsigned int c = 0; c < GT_NCOUNTERS; c++)
		if ((set & GT_BIT(c)) && a->v[c] != b->v[c])
			return false;
	return true;
}

bool gt_stats_check(const struct gt_stats *base, unsigned int set,
		    const char *when)
{
	struct gt_stats now;
	bool same = true;

	gt_stats_read(&now);
	for (unsigned int c = 0; c < GT_NCOUNTERS; c++) {
		if (!(set & GT_BIT(c)))
			continue;
		if (base->v[c] == GT_MISSING) {
			xt_diag("%s: no counter %s in " GT_STATS_FILE, when,
				gt_names[c]);
			same = false;
		} else if (now.v[c] != base->v[c]) {
			xt_diag("%s: %s %ld, baseline %ld", when, gt_names[c],
				now.v[c], base->v[c]);
			same = false;
		}
	}
	xt_ok(same, "leak counters back at baseline %s", when);
	return same;
}

/* ---- byte patterns ---- */

void gt_fill(volatile uint8_t *mem, unsigned int first, unsigned int npages,
	     uint32_t seed)
{
	for (unsigned int p = 0; p < npages; p++)
		for (unsigned int o = 0; o < GT_PAGE; o++)
			mem[p * GT_PAGE + o] = xt_pattern(seed, first + p, o);
}

long gt_mismatch(const volatile uint8_t *mem, unsigned int first,
		 unsigned int npages, uint32_t seed)
{
	for (unsigned int p = 0; p < npages; p++) {
		for (unsigned int o = 0; o < GT_PAGE; o++) {
			uint8_t got = mem[p * GT_PAGE + o];
			uint8_t want = xt_pattern(seed, first + p, o);

			if (got != want) {
				xt_diag("pattern %u: page %u offset %u holds %#x, not %#x",
					seed, first + p, o, got, want);
				return (long)(p * GT_PAGE + o);
			}
		}
	}
	return -1;
}

bool gt_slots_ok(const volatile uint8_t *mem, unsigned int from,
		 unsigned int to, unsigned int nrefs, unsigned int skip,
		 uint32_t seed, const char *when)
{
	for (unsigned int i = from; i < to; i++) {
		const volatile uint8_t *page = mem + (size_t)i * GT_PAGE;

		if (i == skip)
			continue;
		if (!xt_readable(page)) {
			xt_diag("%s: slot %u not mapped", when, i);
			return false;
		}
		if (gt_mismatch(page, i % nrefs, 1, seed) >= 0) {
			xt_diag("%s: slot %u shows the wrong bytes", when, i);
			return false;
		}
	}
	return true;
}

/* ---- peers ---- */

bool gt_peer_ok(struct xt_peer *p, const char *req)
{
	char *rep = xt_peer_call(p, 20000, "%s", req);
	bool ok = rep && !strcmp(rep, "ok");

	if (!ok)
		xt_diag("peer '%s' answered '%s'", req, rep ? rep : "(nothing)");
	free(rep);
	return ok;
}

/* ---- the start of a test ---- */

void gt_require_ours(void)
{
	if (gt_stat(GT_MAPS) < 0)
		xt_skip_all("xen-gntdev stats missing: not our module");
}

void gt_need_domu(void)
{
	if (xt_domu_id() < 0)
		xt_skip_all("no domU");
}

void gt_grants(struct xt_peer *peer, unsigned int npages, const char *opts,
	       uint32_t *refs, int *port)
{
	if (xt_grant_peer(peer, npages, opts, refs, port))
		xt_fatal("no grants from the domU");
}

int gt_begin(struct xt_peer *peer, unsigned int npages, uint32_t *refs,
	     struct gt_stats *base)
{
	gt_require_ours();
	gt_need_domu();
	gt_grants(peer, npages, "", refs, NULL);
	gt_stats_read(base);
	return gt_open();
}
