// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-libxengnttab - Debian's unmodified libxengnttab drives the
 * export ioctls: xengnttab_dmabuf_exp_from_refs() returns a mappable
 * dma-buf of the domU's pages, xengnttab_dmabuf_exp_wait_released()
 * times out while it is open and succeeds once it is closed (the library
 * turns the driver's ENOENT for an already released buffer into 0), and
 * bad arguments come back as -1 with the driver's errno.  The import
 * side too: xengnttab_dmabuf_imp_to_refs() grants a vgem buffer to the
 * domU, which maps the refs and reads dom0's bytes, and
 * xengnttab_dmabuf_imp_release() revokes them once the domU unmapped.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>
#include <xengnttab.h>

#include "dmabuf-util.h"

#define NPAGES 3

struct closer {
	int fd;
};

static void *close_later(void *arg)
{
	usleep(300 * 1000);
	close(((struct closer *)arg)->fd);
	return NULL;
}

/* The import ioctls through the library, on a 3-page vgem buffer. */
static void import_side(xengnttab_handle *xgt, int domid)
{
	uint32_t refs[NPAGES], handle;
	struct xt_peer mp;
	struct gt_stats base;
	int vfd = dmb_open_vgem(), fd;
	uint8_t *mem;

	if (vfd < 0) {
		xt_skip("no vgem", "xengnttab_dmabuf_imp_to_refs");
		return;
	}
	gt_stats_read(&base);
	fd = dmb_vgem_dumb(vfd, NPAGES, &handle);
	mem = fd < 0 ? MAP_FAILED :
	      mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (mem == MAP_FAILED)
		xt_fatal("vgem dumb buffer: %m");
	gt_fill(mem, 0, NPAGES, 31);
	xt_ok(xengnttab_dmabuf_imp_to_refs(xgt, domid, fd, NPAGES + 1, refs) &&
	      errno == EINVAL, "imp_to_refs, wrong count: -1/EINVAL");
	xt_ok(xengnttab_dmabuf_imp_release(xgt, fd) && errno == ENOENT,
	      "imp_release of a buffer never imported: -1/ENOENT");
	xt_ok(!xengnttab_dmabuf_imp_to_refs(xgt, domid, fd, NPAGES, refs),
	      "xengnttab_dmabuf_imp_to_refs grants the vgem buffer");
	xt_ok(dmb_peer_map(&mp, refs, NPAGES, false) &&
	      gt_peer_ok(&mp, "check 31"), "the domU maps it and reads dom0's bytes");
	xt_ok(gt_peer_ok(&mp, "unmap") && !xengnttab_dmabuf_imp_release(xgt, fd),
	      "xengnttab_dmabuf_imp_release after the domU unmapped: 0");
	xt_peer_finish(&mp);
	munmap(mem, NPAGES * GT_PAGE);
	close(fd);
	dmb_gem_close(vfd, handle);
	close(vfd);
	gt_stats_check(&base, GT_SET_DMABUF | GT_SET_IMPORT, "after the import");
}

int main(void)
{
	uint32_t refs[NPAGES], fd = 0;
	struct gt_stats base;
	struct closer closer;
	struct xt_peer peer;
	xengnttab_handle *xgt;
	pthread_t thr;
	uint8_t *mem;
	int ret;

	gt_need_domu();
	xgt = xengnttab_open(NULL, 0);
	if (!xgt)
		xt_fatal("xengnttab_open: %m");
	gt_stats_read(&base);
	if (xengnttab_dmabuf_exp_wait_released(xgt, 4242, 0) && errno == ENOTTY)
		xt_skip_all("gntdev without dma-buf export (ENOTTY)");
	gt_grants(&peer, NPAGES, "", refs, NULL);

	/* ---- negative ---- */
	ret = xengnttab_dmabuf_exp_from_refs(xgt, peer.domid, 1u << 5, NPAGES,
					     refs, &fd);
	xt_ok(ret && errno == EINVAL, "unknown flag: -1/EINVAL");
	ret = xengnttab_dmabuf_exp_from_refs(xgt, 0x10000 | peer.domid, 0,
					     NPAGES, refs, &fd);
	xt_ok(ret && errno == EINVAL, "wide domid: -1/EINVAL (not truncated)");
	ret = xengnttab_dmabuf_exp_from_refs(xgt, peer.domid,
					     GNTDEV_DMA_FLAG_WC, NPAGES, refs,
					     &fd);
	if (gt_dom0_is_pv()) {
		xt_ok(ret && errno == EOPNOTSUPP,
		      "WC in a PV dom0: -1/EOPNOTSUPP");
	} else {
		xt_ok(!ret, "WC in a PVH dom0: a contiguous buffer (%s)",
		      ret ? strerror(errno) : "ok");
		if (!ret) {
			close((int)fd);
			xengnttab_dmabuf_exp_wait_released(xgt, fd, 5000);
		}
	}
	gt_stats_check(&base, GT_SET_DMABUF, "after the failures");

	/* ---- positive ---- */
	ret = xengnttab_dmabuf_exp_from_refs(xgt, peer.domid, 0, NPAGES, refs,
					     &fd);
	if (!XT_CHECK(ret == 0, "xengnttab_dmabuf_exp_from_refs (%s)",
		      ret ? strerror(errno) : "ok"))
		xt_fatal("cannot continue");
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   (int)fd, 0);
	xt_ok(mem != MAP_FAILED && gt_mismatch(mem, 0, NPAGES, 1) < 0,
	      "the buffer maps the domU's bytes");
	if (mem != MAP_FAILED) {
		gt_fill(mem, 0, NPAGES, 6);
		xt_ok(gt_peer_ok(&peer, "check 6"), "and dom0's bytes reach the domU");
		munmap(mem, NPAGES * GT_PAGE);
	}
	ret = xengnttab_dmabuf_exp_wait_released(xgt, fd, 100);
	xt_ok(ret && errno == ETIMEDOUT, "wait on an open buffer: ETIMEDOUT");
	closer.fd = (int)fd;
	pthread_create(&thr, NULL, close_later, &closer);
	ret = xengnttab_dmabuf_exp_wait_released(xgt, fd, 10000);
	pthread_join(thr, NULL);
	xt_ok(ret == 0, "wait across the close: 0 (%s)", ret ? strerror(errno) : "ok");
	ret = xengnttab_dmabuf_exp_wait_released(xgt, fd, 100);
	xt_ok(ret == 0 || errno == ENOENT,
	      "wait after release: 0 or ENOENT (%s)", ret ? strerror(errno) : "0");
	gt_stats_check(&base, GT_SET_DMABUF, "at the end");

	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	import_side(xgt, peer.domid);
	xengnttab_close(xgt);
	return xt_exit();
}
