// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-wait - DMABUF_EXP_WAIT_RELEASED outcomes: ENOENT for an unknown
 * or already released fd, ETIMEDOUT (poll and timed) while the buffer is
 * alive, 0 when it is released during the wait, EINTR on a signal (the
 * wait is not restarted and takes no longer than the signal), and the
 * buffer outliving the gntdev file that exported it.  Every path leaves
 * the counters at their baseline.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#include "dmabuf-util.h"

#define NPAGES 2

struct closer {
	int fd;
	unsigned int delay_ms;
};

static void *close_later(void *arg)
{
	struct closer *c = arg;

	usleep(c->delay_ms * 1000);
	close(c->fd);
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { .it_value.tv_usec = 200000 };
	uint32_t refs[NPAGES];
	struct gt_stats base;
	struct closer closer;
	struct xt_peer peer;
	pthread_t thr;
	uint64_t t0, dt;
	int gfd, fd, ret;
	uint8_t *mem;

	gfd = dmb_begin(&peer, NPAGES, refs, &base);

	/* ---- negative ---- */
	xt_ok(dmb_wait(gfd, 12345, 0) == ENOENT, "unknown fd: ENOENT");
	xt_ok(dmb_wait(gfd, 0xFFFFFFFF, 100) == ENOENT, "fd 0xFFFFFFFF: ENOENT");
	xt_ok(dmb_wait(gfd, 0, 1000) == ENOENT,
	      "an fd this file never exported (stdin): ENOENT");

	/* ---- live buffer: timeouts ---- */
	fd = dmb_export_all(gfd, &peer, NPAGES, refs);
	xt_ok(dmb_wait(gfd, fd, 0) == ETIMEDOUT, "0 ms polls: ETIMEDOUT");
	t0 = xt_now_ms();
	ret = dmb_wait(gfd, fd, 300);
	dt = xt_now_ms() - t0;
	xt_ok(ret == ETIMEDOUT && dt >= 290,
	      "300 ms on an open buffer: ETIMEDOUT after %llu ms",
	      (unsigned long long)dt);
	xt_ok(gt_stat(GT_DMABUF_WAITERS) == base.v[GT_DMABUF_WAITERS], "no waiter left behind");
	{
		int other = gt_open();

		xt_ok(dmb_wait(other, fd, 0) == ENOENT,
		      "another gntdev file does not see this export: ENOENT");
		close(other);
	}

	/* ---- signal during the wait ---- */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	t0 = xt_now_ms();
	ret = dmb_wait(gfd, fd, 5000);
	dt = xt_now_ms() - t0;
	xt_ok(ret == EINTR && dt < 3000, "signal at 200 ms: EINTR after %llu ms (%s)",
	      (unsigned long long)dt, strerror(ret));
	xt_ok(gt_stat(GT_DMABUF_WAITERS) == base.v[GT_DMABUF_WAITERS] &&
	      gt_stat(GT_DMABUF_EXPORTS) == base.v[GT_DMABUF_EXPORTS] + 1,
	      "after EINTR: no waiter left, the buffer still alive");
	xt_ok(dmb_wait(gfd, fd, 0) == ETIMEDOUT,
	      "the buffer is still tracked after EINTR");

	/* ---- released while waiting: 0 ---- */
	closer.fd = fd;
	closer.delay_ms = 300;
	pthread_create(&thr, NULL, close_later, &closer);
	t0 = xt_now_ms();
	ret = dmb_wait(gfd, fd, 10000);
	dt = xt_now_ms() - t0;
	pthread_join(thr, NULL);
	xt_ok(ret == 0 && dt < 9000, "close during the wait: 0 after %llu ms (%s)",
	      (unsigned long long)dt, ret ? strerror(ret) : "ok");
	gt_stats_check(&base, GT_SET_DMABUF, "when the wait returns 0");
	xt_ok(dmb_wait(gfd, fd, 1000) == ENOENT,
	      "after release: ENOENT (already released)");

	/* ---- an mmap keeps the buffer alive after close ---- */
	fd = dmb_export_all(gfd, &peer, NPAGES, refs);
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		xt_skip("mmap of the dma-buf failed", "mapping keeps the buffer");
		close(fd);
	} else {
		close(fd);
		xt_ok(dmb_wait(gfd, fd, 0) == ETIMEDOUT,
		      "closed but mmapped: still alive (ETIMEDOUT)");
		xt_ok(gt_mismatch(mem, 0, NPAGES, 1) < 0,
		      "the mapping still shows the domU's bytes");
		munmap(mem, NPAGES * GT_PAGE);
		xt_ok(dmb_wait(gfd, fd, 0) == ENOENT, "munmap released it");
	}

	/* ---- the buffer outlives the gntdev file ---- */
	fd = dmb_export_all(gfd, &peer, NPAGES, refs);
	close(gfd);
	xt_ok(gt_stat(GT_DMABUF_EXPORTS) == base.v[GT_DMABUF_EXPORTS] + 1,
	      "closing the gntdev file leaves the export alive");
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (mem != MAP_FAILED) {
		xt_ok(gt_mismatch(mem, 0, NPAGES, 1) < 0,
		      "still readable after the gntdev file is gone");
		munmap(mem, NPAGES * GT_PAGE);
	} else {
		xt_skip("mmap of the dma-buf failed", "readable after gntdev close");
	}
	close(fd);
	gt_stats_check(&base, GT_SET_DMABUF, "after the orphaned buffer is closed");

	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
