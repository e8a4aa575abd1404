/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmabuf-util.h - helpers shared by the dom0 dmabuf-* tests: raw
 * wrappers of the gntdev dma-buf ioctls (each returns 0 or an errno
 * value, never -1), vgem import helpers, a snapshot of the leak counters
 * and the byte-pattern check.  Header-only; nothing here allocates
 * beyond the call.
 */
#ifndef DMABUF_UTIL_H
#define DMABUF_UTIL_H

#include <dirent.h>
#include <drm.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <xen/gntdev.h>

#include "xt.h"

#define DMB_PAGE 4096u

static inline int dmb_open_gntdev(void)
{
	int fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		xt_fatal("open /dev/xen/gntdev: %m");
	return fd;
}

/* EXP_FROM_REFS; *fd gets the dma-buf fd on success. */
static inline int dmb_export(int gfd, uint32_t flags, uint32_t domid,
			     uint32_t count, const uint32_t *refs, int *fd)
{
	size_t n = count ? count : 1;
	struct ioctl_gntdev_dmabuf_exp_from_refs *op;
	int ret;

	op = calloc(1, sizeof(*op) + (n - 1) * sizeof(op->refs[0]));
	if (!op)
		xt_fatal("out of memory");
	op->flags = flags;
	op->count = count;
	op->domid = domid;
	op->fd = 0xdeadbeef;
	if (refs && count)
		memcpy(op->refs, refs, count * sizeof(op->refs[0]));
	ret = ioctl(gfd, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, op) ? errno : 0;
	if (!ret && fd)
		*fd = (int)op->fd;
	free(op);
	return ret;
}

/* EXP_FROM_REFS_V2 (data offset); *fd gets the dma-buf fd on success. */
static inline int dmb_export_v2(int gfd, uint32_t flags, uint32_t domid,
				uint32_t count, uint32_t data_ofs,
				const uint32_t *refs, int *fd)
{
	size_t n = count ? count : 1;
	struct ioctl_gntdev_dmabuf_exp_from_refs_v2 *op;
	int ret;

	op = calloc(1, sizeof(*op) + (n - 1) * sizeof(op->refs[0]));
	if (!op)
		xt_fatal("out of memory");
	op->flags = flags;
	op->count = count;
	op->data_ofs = data_ofs;
	op->domid = domid;
	op->fd = 0xdeadbeef;
	if (refs && count)
		memcpy(op->refs, refs, count * sizeof(op->refs[0]));
	ret = ioctl(gfd, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS_V2, op) ? errno : 0;
	if (!ret && fd)
		*fd = (int)op->fd;
	free(op);
	return ret;
}

static inline int dmb_wait(int gfd, int fd, uint32_t ms)
{
	struct ioctl_gntdev_dmabuf_exp_wait_released op = {
		.fd = (uint32_t)fd,
		.wait_to_ms = ms,
	};

	return ioctl(gfd, IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED, &op) ?
	       errno : 0;
}

/* The module parameter "limit" (grants per call), or 0 if unreadable. */
static inline unsigned long dmb_limit(void)
{
	FILE *f = fopen("/sys/module/xen_gntdev/parameters/limit", "r");
	unsigned long v = 0;

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* Is dom0 a PV guest?  (/sys/hypervisor/guest_type: PV, PVH or HVM) */
static inline bool dmb_dom0_is_pv(void)
{
	char type[8] = "";
	FILE *f = fopen("/sys/hypervisor/guest_type", "r");

	if (f) {
		if (!fgets(type, sizeof(type), f))
			type[0] = 0;
		fclose(f);
	}
	return !strcmp(type, "PV\n") || !strcmp(type, "PV");
}

/*
 * Grant mappings one exported page holds (the dmabuf_grants counter): the
 * mapping itself, plus in a PV dom0 the kernel alias made at export.
 */
static inline long dmb_grants_per_page(void)
{
	return dmb_dom0_is_pv() ? 2 : 1;
}

/* ---- DRM devices ---- */

/*
 * The first /dev/dri/card* whose DRM driver name starts with @driver
 * ("vgem", "cirrus"), opened read-write; -1 if none.
 */
static inline int dmb_find_drm(const char *driver)
{
	char name[32], path[300];
	struct dirent *de;
	int fd = -1;
	DIR *d;

	d = opendir("/dev/dri");
	if (!d)
		return -1;
	while (fd < 0 && (de = readdir(d))) {
		struct drm_version v = {
			.name = name, .name_len = sizeof(name) - 1,
		};

		if (strncmp(de->d_name, "card", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (ioctl(fd, DRM_IOCTL_VERSION, &v) ||
		    strncmp(name, driver, strlen(driver))) {
			close(fd);
			fd = -1;
		}
	}
	closedir(d);
	return fd;
}

/* Open vgem's card, loading vgem.ko first if needed; -1 if none. */
static inline int dmb_open_vgem(void)
{
	int fd = dmb_find_drm("vgem");

	if (fd < 0 && system("modprobe vgem >/dev/null 2>&1") == 0) {
		usleep(200000);
		fd = dmb_find_drm("vgem");
	}
	return fd;
}

/* PRIME_FD_TO_HANDLE: *handle gets the GEM handle; 0 or an errno. */
static inline int dmb_vgem_import(int vfd, int fd, uint32_t *handle)
{
	struct drm_prime_handle ph = { .fd = fd };

	if (ioctl(vfd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph))
		return errno;
	*handle = ph.handle;
	return 0;
}

/* GEM_CLOSE; 0 or an errno. */
static inline int dmb_gem_close(int vfd, uint32_t handle)
{
	struct drm_gem_close gc = { .handle = handle };

	return ioctl(vfd, DRM_IOCTL_GEM_CLOSE, &gc) ? errno : 0;
}

/* ---- leak counters ---- */

struct dmb_stats {
	long exports, grants, attachments, waiters, pages;
};

static inline struct dmb_stats dmb_stats(void)
{
	struct dmb_stats s = {
		.exports = xt_gntdev_stat("dmabuf_exports"),
		.grants = xt_gntdev_stat("dmabuf_grants"),
		.attachments = xt_gntdev_stat("dmabuf_attachments"),
		.waiters = xt_gntdev_stat("dmabuf_waiters"),
		.pages = xt_gntdev_stat("pages"),
	};

	return s;
}

static inline bool dmb_stats_same(struct dmb_stats a, struct dmb_stats b)
{
	return a.exports == b.exports && a.grants == b.grants &&
	       a.attachments == b.attachments && a.waiters == b.waiters &&
	       a.pages == b.pages;
}

/* Check: every counter is back at @base (with a diagnostic if not). */
static inline void dmb_check_baseline(struct dmb_stats base, const char *what)
{
	struct dmb_stats now = dmb_stats();

	if (!dmb_stats_same(now, base))
		xt_diag("counters exports/grants/attachments/waiters/pages: "
			"%ld/%ld/%ld/%ld/%ld, baseline %ld/%ld/%ld/%ld/%ld",
			now.exports, now.grants, now.attachments, now.waiters,
			now.pages, base.exports, base.grants, base.attachments,
			base.waiters, base.pages);
	xt_ok(dmb_stats_same(now, base) && base.exports >= 0,
	      "leak counters back at baseline %s", what);
}

/* ---- data ---- */

/* First offset where @npages pages at @mem differ from @seed, or -1. */
static inline long dmb_mismatch(const volatile uint8_t *mem,
				unsigned int npages, uint32_t seed)
{
	for (unsigned int p = 0; p < npages; p++)
		for (unsigned int o = 0; o < DMB_PAGE; o++)
			if (mem[p * DMB_PAGE + o] != xt_pattern(seed, p, o))
				return (long)(p * DMB_PAGE + o);
	return -1;
}

static inline void dmb_fill(volatile uint8_t *mem, unsigned int npages,
			    uint32_t seed)
{
	for (unsigned int p = 0; p < npages; p++)
		for (unsigned int o = 0; o < DMB_PAGE; o++)
			mem[p * DMB_PAGE + o] = xt_pattern(seed, p, o);
}

/* Ask the peer a question and compare its answer with "ok". */
static inline bool dmb_peer_ok(struct xt_peer *p, const char *req)
{
	char *rep = xt_peer_call(p, 20000, "%s", req);
	bool ok = rep && !strcmp(rep, "ok");

	if (!ok)
		xt_diag("peer '%s' answered '%s'", req, rep ? rep : "(nothing)");
	free(rep);
	return ok;
}

/*
 * The common start of a dma-buf test: skip without a domU or without
 * dma-buf export, open /dev/xen/gntdev, snapshot the leak counters into
 * *@base, and get @npages grants from the domU peer "grant-pages" into
 * @refs.  Returns the gntdev fd.
 */
static inline int dmb_begin(struct xt_peer *peer, unsigned int npages,
			    uint32_t *refs, struct dmb_stats *base)
{
	int gfd;

	if (xt_domu_id() < 0)
		xt_skip_all("no domU");
	gfd = dmb_open_gntdev();
	*base = dmb_stats();
	if (dmb_wait(gfd, 0, 0) == ENOTTY)
		xt_skip_all("gntdev without dma-buf export (ENOTTY)");
	if (xt_grant_peer(peer, npages, "", refs, NULL))
		xt_fatal("no grants from the domU");
	return gfd;
}

/* Export all @npages grants of the peer; the dma-buf fd, or fatal. */
static inline int dmb_export_all(int gfd, const struct xt_peer *peer,
				 unsigned int npages, const uint32_t *refs)
{
	int fd;

	if (dmb_export(gfd, 0, peer->domid, npages, refs, &fd))
		xt_fatal("export failed: %m");
	return fd;
}

#endif
