// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-vgem - a real DRM driver (vgem) imports an exported buffer with
 * PRIME_FD_TO_HANDLE, keeps it alive after the dma-buf fd is closed,
 * re-exports it (DRM hands back the same dma-buf) so it can be mapped,
 * and releases it on GEM_CLOSE.  Needs vgem.ko in dom0 (the test tries
 * "modprobe vgem" and skips if no vgem card appears).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/mman.h>
#include <libdrm/drm.h>

#include "dmabuf-util.h"

#define NPAGES 4

int main(void)
{
	struct drm_prime_handle ph = { 0 };
	struct drm_gem_close gc = { 0 };
	uint32_t refs[NPAGES], handle;
	struct gt_stats base;
	struct xt_peer peer;
	int gfd, fd, vfd, fd2, ret;
	uint8_t *mem;

	vfd = dmb_open_vgem();
	if (vfd < 0)
		xt_skip_all("no vgem DRM device (vgem.ko not in dom0?)");
	gfd = dmb_begin(&peer, NPAGES, refs, &base);
	fd = dmb_export_all(gfd, &peer, NPAGES, refs);

	/* ---- negative ---- */
	ph.fd = gfd;	/* not a dma-buf */
	xt_ok(ioctl(vfd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph) != 0,
	      "vgem refuses a non-dma-buf fd (sanity)");

	/* ---- import ---- */
	memset(&ph, 0, sizeof(ph));
	ph.fd = fd;
	ret = ioctl(vfd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph);
	if (!XT_CHECK(ret == 0 && ph.handle, "vgem imports the buffer (%s)",
		      ret ? strerror(errno) : "ok"))
		xt_fatal("cannot continue without the import");
	handle = ph.handle;
	xt_ok(gt_stat(GT_DMABUF_ATTACHMENTS) == base.v[GT_DMABUF_ATTACHMENTS] + 1,
	      "vgem attached to the buffer");
	close(fd);
	xt_ok(dmb_wait(gfd, fd, 0) == ETIMEDOUT,
	      "imported: alive after the dma-buf fd is closed");

	/* ---- re-export: DRM hands back our dma-buf, which maps ---- */
	memset(&ph, 0, sizeof(ph));
	ph.handle = handle;
	ph.flags = DRM_CLOEXEC | DRM_RDWR;
	ret = ioctl(vfd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph);
	fd2 = ret ? -1 : ph.fd;
	xt_ok(fd2 >= 0 && lseek(fd2, 0, SEEK_END) == NPAGES * GT_PAGE,
	      "PRIME_HANDLE_TO_FD gives back a buffer of the same size");
	if (fd2 >= 0) {
		mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fd2, 0);
		xt_ok(mem != MAP_FAILED && gt_mismatch(mem, 0, NPAGES, 1) < 0,
		      "the re-exported fd maps the domU's bytes");
		if (mem != MAP_FAILED) {
			gt_fill(mem, 0, NPAGES, 5);
			xt_ok(gt_peer_ok(&peer, "check 5"),
			      "bytes written there reach the domU");
			munmap(mem, NPAGES * GT_PAGE);
		}
		close(fd2);
	}

	/* ---- GEM_CLOSE releases it ---- */
	gc.handle = handle;
	xt_ok(ioctl(vfd, DRM_IOCTL_GEM_CLOSE, &gc) == 0, "GEM_CLOSE");
	ret = dmb_wait(gfd, fd, 5000);
	xt_ok(ret == 0 || ret == ENOENT, "released after GEM_CLOSE (%s)",
	      ret ? strerror(ret) : "ok");
	gt_stats_check(&base, GT_SET_DMABUF, "at the end");

	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(vfd);
	close(gfd);
	return xt_exit();
}
