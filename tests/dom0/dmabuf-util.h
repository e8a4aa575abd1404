/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmabuf-util.h - what only the dma-buf tests need, on top of
 * tests/lib/gntdev-test.h: raw wrappers of the gntdev dma-buf ioctls
 * (each returns 0 or an errno value, never -1), the start of a dma-buf
 * test, and the DRM (vgem, cirrus) import helpers.  Header-only.
 *
 * Lifetime: nothing here allocates beyond the call.  Every fd these
 * helpers return (dma-buf, DRM card) and every GEM handle belongs to the
 * caller, who closes it.
 */
#ifndef DMABUF_UTIL_H
#define DMABUF_UTIL_H

#include <dirent.h>
#include <drm.h>
#include <drm_mode.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/gntdev.h>

#include "gntdev-test.h"

/*
 * EXP_FROM_REFS (@v2 false) or EXP_FROM_REFS_V2 (with @data_ofs); *@fd
 * gets the dma-buf fd on success.  The two layouts differ in where the
 * fd lies, so both are filled field by field.
 */
static inline int dmb_export_any(int gfd, bool v2, uint32_t flags,
				 uint32_t domid, uint32_t count,
				 uint32_t data_ofs, const uint32_t *refs,
				 int *fd)
{
	struct ioctl_gntdev_dmabuf_exp_from_refs *a;
	struct ioctl_gntdev_dmabuf_exp_from_refs_v2 *b;
	size_t hdr = v2 ? offsetof(typeof(*b), refs) : offsetof(typeof(*a), refs);
	uint8_t *op = calloc(1, hdr + (count ? count : 1) * sizeof(uint32_t));
	int ret;

	if (!op)
		xt_fatal("out of memory");
	if (refs && count)
		memcpy(op + hdr, refs, count * sizeof(uint32_t));
	a = (void *)op;
	b = (void *)op;
	if (v2) {
		b->flags = flags;
		b->count = count;
		b->data_ofs = data_ofs;
		b->domid = domid;
		b->fd = 0xdeadbeef;
		ret = ioctl(gfd, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS_V2, b);
	} else {
		a->flags = flags;
		a->count = count;
		a->domid = domid;
		a->fd = 0xdeadbeef;
		ret = ioctl(gfd, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, a);
	}
	ret = ret ? errno : 0;
	if (!ret && fd)
		*fd = (int)(v2 ? b->fd : a->fd);
	free(op);
	return ret;
}

/* EXP_FROM_REFS; *@fd gets the dma-buf fd on success. */
static inline int dmb_export(int gfd, uint32_t flags, uint32_t domid,
			     uint32_t count, const uint32_t *refs, int *fd)
{
	return dmb_export_any(gfd, false, flags, domid, count, 0, refs, fd);
}

/* EXP_FROM_REFS_V2 (data offset); *@fd gets the dma-buf fd on success. */
static inline int dmb_export_v2(int gfd, uint32_t flags, uint32_t domid,
				uint32_t count, uint32_t data_ofs,
				const uint32_t *refs, int *fd)
{
	return dmb_export_any(gfd, true, flags, domid, count, data_ofs, refs,
			      fd);
}

/* EXP_WAIT_RELEASED of dma-buf fd @fd, up to @ms milliseconds. */
static inline int dmb_wait(int gfd, int fd, uint32_t ms)
{
	struct ioctl_gntdev_dmabuf_exp_wait_released op = {
		.fd = (uint32_t)fd,
		.wait_to_ms = ms,
	};

	return ioctl(gfd, IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED, &op) ?
	       errno : 0;
}

/* Skip the whole program if gntdev @gfd has no dma-buf export. */
static inline void dmb_require_export(int gfd)
{
	if (dmb_wait(gfd, 0, 0) == ENOTTY)
		xt_skip_all("gntdev without dma-buf export (ENOTTY)");
}

/*
 * Grant mappings one exported page holds (the dmabuf_grants counter): the
 * mapping itself, plus in a PV dom0 the kernel alias made at export.
 */
static inline long dmb_grants_per_page(void)
{
	return gt_dom0_is_pv() ? 2 : 1;
}

/*
 * The common start of a dma-buf test: skip without a domU or without
 * dma-buf export, open /dev/xen/gntdev, snapshot the leak counters into
 * *@base, and get @npages grants from the domU peer "grant-pages" into
 * @refs.  Returns the gntdev fd.
 */
static inline int dmb_begin(struct xt_peer *peer, unsigned int npages,
			    uint32_t *refs, struct gt_stats *base)
{
	int gfd;

	gt_need_domu();
	gfd = gt_open();
	gt_stats_read(base);
	dmb_require_export(gfd);
	gt_grants(peer, npages, "", refs, NULL);
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

/* A shared read-write mmap of the whole @npages-page buffer, or fatal. */
static inline uint8_t *dmb_mmap_all(int fd, unsigned int npages)
{
	void *mem = mmap(NULL, npages * GT_PAGE, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);

	if (mem == MAP_FAILED)
		xt_fatal("mmap of the dma-buf: %m");
	return mem;
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

/* The /dev/dri/cardN path of @driver's device into @path; false if none. */
static inline bool dmb_card_path(const char *driver, char *path, size_t len)
{
	int fd = dmb_find_drm(driver);
	char link[64];

	if (fd < 0)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = (size_t)readlink(link, path, len - 1);
	close(fd);
	if (len == (size_t)-1)
		return false;
	path[len] = '\0';
	return true;
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
static inline int dmb_prime_import(int vfd, int fd, uint32_t *handle)
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

/*
 * A vgem dumb buffer of @npages pages exported as a dma-buf (O_RDWR,
 * O_CLOEXEC): the fd, or -1; *@handle gets its GEM handle.
 */
static inline int dmb_vgem_dumb(int vfd, unsigned int npages,
				uint32_t *handle)
{
	struct drm_mode_create_dumb cd = {
		.width = GT_PAGE / 4, .height = npages, .bpp = 32,
	};
	struct drm_prime_handle ph = { .flags = DRM_CLOEXEC | DRM_RDWR };

	if (ioctl(vfd, DRM_IOCTL_MODE_CREATE_DUMB, &cd))
		return -1;
	*handle = cd.handle;
	ph.handle = cd.handle;
	if (cd.size != (uint64_t)npages * GT_PAGE ||
	    ioctl(vfd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph)) {
		dmb_gem_close(vfd, cd.handle);
		return -1;
	}
	return ph.fd;
}

/*
 * Start the domU peer "map-refs NPAGES [hold]" (tests/domu/map-refs.c)
 * on dom0's @npages (at most 256) grant refs; true once it mapped them.
 */
static inline bool dmb_peer_map(struct xt_peer *p, const uint32_t *refs,
				unsigned int npages, bool hold)
{
	char cmd[64], *list, *ready;
	size_t off = 0;
	bool ok;

	snprintf(cmd, sizeof(cmd), "map-refs %u%s", npages, hold ? " hold" : "");
	if (npages > XT_REFS_PER_KEY || xt_peer_start(p, cmd))
		xt_fatal("cannot start '%s'", cmd);
	list = calloc(npages, 12);
	if (!list)
		xt_fatal("out of memory");
	for (unsigned int i = 0; i < npages; i++)
		off += sprintf(list + off, "%s%u", i ? " " : "", refs[i]);
	xt_peer_put(p, "refs/0", "%s", list);
	free(list);
	ready = xt_peer_get(p, "ready", 30000);
	ok = ready && !strcmp(ready, "1");
	if (!ok)
		xt_diag("%s: ready '%s'", cmd, ready ? ready : "(none)");
	free(ready);
	return ok;
}

#endif
