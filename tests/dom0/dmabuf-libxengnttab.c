// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-libxengnttab - Debian's unmodified libxengnttab drives the
 * export ioctls: xengnttab_dmabuf_exp_from_refs() returns a mappable
 * dma-buf of the domU's pages, xengnttab_dmabuf_exp_wait_released()
 * times out while it is open and succeeds once it is closed (the library
 * turns the driver's ENOENT for an already released buffer into 0), and
 * bad arguments come back as -1 with the driver's errno.
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
	xt_ok(ret && errno == EOPNOTSUPP, "WC: -1/EOPNOTSUPP");
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
	xengnttab_close(xgt);
	return xt_exit();
}
