// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-destroy - part one of "the granting domU dies while dom0 holds
 * an exported buffer".  Exports and mmaps two pages, checks them, writes
 * pattern 7, imports the buffer into vgem, then leaves a detached holder
 * process that keeps the dma-buf fd, the mapping, the vgem fd and the GEM
 * handle.  The harness destroys the domU after the suite; the post check
 * tests/post/dmabuf-after-destroy then sees the domain linger (dying)
 * while the holder keeps it, tells the holder (SIGUSR1) to read and write
 * the mapping and let go, and checks that every counter returned to 0 and
 * the domain disappears.  Nothing may oops or warn (the harness scans the
 * log).
 *
 * Holder protocol: pid in /run/xt-dmabuf-holder.pid; /run/xt-dmabuf-
 * holder.vgem exists if vgem holds an import.  On SIGUSR1 the holder
 * checks and rewrites the mapping, then GEM_CLOSEs the handle, closes the
 * vgem fd, unmaps, closes the dma-buf fd, writes "ok" (or "bad <offset>",
 * "gem-close <errno>") to /run/xt-dmabuf-holder.result and exits.
 * Without a signal it gives up after 600 s.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "dmabuf-util.h"

#define NPAGES 2
#define PIDFILE "/run/xt-dmabuf-holder.pid"
#define RESULT "/run/xt-dmabuf-holder.result"
#define VGEMFILE "/run/xt-dmabuf-holder.vgem"

/*
 * Maps the buffer itself: a PV dom0's mapping of a dma-buf is not
 * inherited across fork() (VM_DONTCOPY, see docs/dmabuf.md).
 */
static void holder(int fd, int vfd, uint32_t handle)
{
	volatile uint8_t *mem = mmap(NULL, NPAGES * GT_PAGE,
				     PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct timespec ts = { .tv_sec = 600 };
	long bad = -1;
	int nul, gem = 0;
	bool told;
	sigset_t set;
	FILE *f;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	nul = open("/dev/null", O_RDWR);
	dup2(nul, 0);
	dup2(nul, 1);
	dup2(nul, 2);
	if (mem == MAP_FAILED)
		_exit(1);
	told = sigtimedwait(&set, NULL, &ts) == SIGUSR1;
	if (told) {
		bad = gt_mismatch(mem, 0, NPAGES, 7);
		gt_fill(mem, 0, NPAGES, 8);	/* writes must not fault */
	}
	/* Let go of everything, the importer first. */
	if (vfd >= 0) {
		gem = dmb_gem_close(vfd, handle);
		close(vfd);
	}
	munmap((void *)mem, NPAGES * GT_PAGE);
	close(fd);
	if (told) {
		f = fopen(RESULT ".tmp", "w");
		if (f) {
			if (bad >= 0)
				fprintf(f, "bad %ld\n", bad);
			else if (gem)
				fprintf(f, "gem-close %d\n", gem);
			else
				fprintf(f, "ok\n");
			fclose(f);
			rename(RESULT ".tmp", RESULT);
		}
	}
	_exit(0);
}

int main(void)
{
	uint32_t refs[NPAGES], handle = 0;
	struct xt_peer peer;
	int gfd, fd, vfd, ret;
	sigset_t set;
	uint8_t *mem;
	pid_t pid;
	FILE *f;

	gt_need_domu();
	gfd = gt_open();
	dmb_require_export(gfd);
	unlink(RESULT);
	unlink(VGEMFILE);
	gt_grants(&peer, NPAGES, "", refs, NULL);

	/* ---- negative: nothing to hold without a buffer ---- */
	xt_ok(dmb_wait(gfd, 77, 0) == ENOENT, "no export yet: ENOENT");

	/* ---- positive ---- */
	fd = dmb_export_all(gfd, &peer, NPAGES, refs);
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (!XT_CHECK(mem != MAP_FAILED, "mmap of the buffer"))
		xt_fatal("cannot continue");
	xt_ok(gt_mismatch(mem, 0, NPAGES, 1) < 0, "the domU's bytes are there");
	gt_fill(mem, 0, NPAGES, 7);
	xt_ok(gt_peer_ok(&peer, "check 7"), "the domU sees dom0's bytes");
	xt_ok(xt_peer_finish(&peer) == 0,
	      "domU peer exits (its grants stay mapped by dom0)");

	/* The holder inherits vgem's file and with it the GEM handle. */
	vfd = dmb_open_vgem();
	if (vfd < 0) {
		xt_skip("no vgem DRM device (vgem.ko not in dom0?)",
			"vgem imports the buffer for the holder");
	} else {
		ret = dmb_prime_import(vfd, fd, &handle);
		xt_ok(ret == 0 && handle, "vgem imports the buffer for the holder (%s)",
		      ret ? strerror(ret) : "ok");
		if (ret) {
			close(vfd);
			vfd = -1;
		} else {
			f = fopen(VGEMFILE, "w");
			if (f) {
				fprintf(f, "%u\n", handle);
				fclose(f);
			}
		}
	}

	/* Block SIGUSR1 before forking so the holder cannot miss it. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pid_t g;

		setsid();
		g = fork();
		if (g == 0)
			holder(fd, vfd, handle);
		f = fopen(PIDFILE, "w");
		if (f) {
			fprintf(f, "%d\n", (int)g);
			fclose(f);
		}
		_exit(g > 0 && f ? 0 : 1);
	}
	{
		int st = -1;

		xt_ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 0, "holder started, pid in " PIDFILE);
	}
	if (vfd >= 0)
		close(vfd);
	close(fd);
	munmap(mem, NPAGES * GT_PAGE);
	xt_ok(dmb_wait(gfd, fd, 0) == ETIMEDOUT,
	      "the holder keeps the buffer alive");
	close(gfd);
	return xt_exit();
}
