// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-splice - a page reference held outside the driver must not make
 * the release of an exported buffer block.  PVH dom0: a page of the
 * dma-buf mmap is vmsplice()d into a pipe, then the mapping and the fd
 * are dropped; the closing task returns at once, the buffer stays
 * unreleased (WAIT_RELEASED: ETIMEDOUT) while the pipe holds the page,
 * and is released (0, counters at baseline) once the pipe is closed.
 * PV dom0 maps foreign frames (VM_PFNMAP) that vmsplice cannot take a
 * reference on: the test checks that vmsplice fails and skips the rest.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "dmabuf-util.h"

#define NPAGES 2

struct waiter {
	int gfd, fd, ret;
	uint64_t done_ms;
};

/* EXP_WAIT_RELEASED from a thread, so the wait is under way first. */
static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->ret = dmb_wait(w->gfd, w->fd, 10000);
	w->done_ms = xt_now_ms();
	return NULL;
}

int main(void)
{
	uint32_t refs[NPAGES];
	struct gt_stats base;
	struct xt_peer peer;
	int gfd, fd, pfd[2], ret;
	struct waiter w;
	pthread_t thr;
	struct iovec iov;
	uint64_t t0, dt;
	uint8_t *mem;
	ssize_t n;

	gfd = dmb_begin(&peer, NPAGES, refs, &base);
	fd = dmb_export_all(gfd, &peer, NPAGES, refs);
	mem = dmb_mmap_all(fd, NPAGES);
	if (pipe(pfd))
		xt_fatal("pipe: %m");

	iov.iov_base = mem + GT_PAGE;
	iov.iov_len = GT_PAGE;
	n = vmsplice(pfd[1], &iov, 1, 0);
	if (gt_dom0_is_pv()) {
		/* Foreign frames in a VM_PFNMAP vma: no page to reference. */
		xt_ok(n < 0 && errno == EFAULT,
		      "PV: vmsplice of the mapping fails with EFAULT (%s)",
		      n < 0 ? strerror(errno) : "succeeded");
		munmap(mem, NPAGES * GT_PAGE);
		close(fd);
		close(pfd[0]);
		close(pfd[1]);
		xt_ok(dmb_wait(gfd, fd, 5000) == ENOENT,
		      "PV: released on close");
		gt_stats_check(&base, GT_SET_DMABUF, "(PV)");
		xt_skip("PV dom0 maps foreign frames (VM_PFNMAP): vmsplice cannot pin them",
			"release does not block on a page held by a pipe");
		xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
		return xt_exit();
	}
	if (!XT_CHECK(n == GT_PAGE, "vmsplice one mapped page into a pipe (%s)",
		      n < 0 ? strerror(errno) : "ok"))
		xt_fatal("cannot continue without the spliced page");

	/* Drop everything but the pipe; closing must not wait for it. */
	munmap(mem, NPAGES * GT_PAGE);
	t0 = xt_now_ms();
	close(fd);
	dt = xt_now_ms() - t0;
	xt_ok(dt < 1000, "closing the last dma-buf fd returns at once (%llu ms)",
	      (unsigned long long)dt);
	ret = dmb_wait(gfd, fd, 200);
	xt_ok(ret == ETIMEDOUT,
	      "the pipe still holds a page: WAIT_RELEASED times out (%s)",
	      ret ? strerror(ret) : "released");
	xt_ok(gt_stat(GT_DMABUF_GRANTS) == base.v[GT_DMABUF_GRANTS] + NPAGES,
	      "the grants stay mapped while the page is busy");
	{
		/*
		 * The pipe's page is still the domU's page 1.  Read only part
		 * of it: a fully read pipe buffer would drop the page.
		 */
		uint8_t head[16];

		n = read(pfd[0], head, sizeof(head));
		xt_ok(n == sizeof(head) && head[5] == xt_pattern(1, 1, 5),
		      "the pipe reads the domU's bytes");
	}
	xt_ok(dmb_wait(gfd, fd, 100) == ETIMEDOUT,
	      "still unreleased while the pipe holds the rest of the page");
	w.gfd = gfd;
	w.fd = fd;
	w.ret = -1;
	pthread_create(&thr, NULL, wait_thread, &w);
	usleep(200000);
	t0 = xt_now_ms();
	close(pfd[0]);
	close(pfd[1]);
	pthread_join(thr, NULL);
	ret = w.ret;
	dt = w.done_ms - t0;
	xt_ok(ret == 0, "pipe closed during the wait: WAIT_RELEASED answers 0 %llu ms later (%s)",
	      (unsigned long long)dt, ret ? strerror(ret) : "ok");
	gt_stats_check(&base, GT_SET_DMABUF, "after the unmap completed");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
