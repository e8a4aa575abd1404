// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-destroy - part one of "the granting domU dies while dom0 holds
 * an exported buffer".  Exports and mmaps two pages, checks them, writes
 * pattern 7, then leaves a detached holder process that keeps the dma-buf
 * fd and the mapping.  The harness destroys the domU after the suite;
 * the post check tests/post/dmabuf-after-destroy then tells the holder
 * (SIGUSR1) to read and write the mapping and let go, and checks that
 * nothing oopsed and every counter returned to 0.
 *
 * Holder protocol: pid in /run/xt-dmabuf-holder.pid; on SIGUSR1 it writes
 * "ok" or "bad <offset>" to /run/xt-dmabuf-holder.result, unmaps, closes
 * and exits.  Without a signal it gives up after 600 s.
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

/*
 * Maps the buffer itself: a PV dom0's mapping of a dma-buf is not
 * inherited across fork() (VM_DONTCOPY, see docs/dmabuf.md).
 */
static void holder(int fd)
{
	volatile uint8_t *mem = mmap(NULL, NPAGES * DMB_PAGE,
				     PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct timespec ts = { .tv_sec = 600 };
	sigset_t set;
	long bad;
	FILE *f;
	int nul;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	nul = open("/dev/null", O_RDWR);
	dup2(nul, 0);
	dup2(nul, 1);
	dup2(nul, 2);
	if (mem == MAP_FAILED)
		_exit(1);
	if (sigtimedwait(&set, NULL, &ts) == SIGUSR1) {
		bad = dmb_mismatch(mem, NPAGES, 7);
		dmb_fill(mem, NPAGES, 8);	/* writes must not fault */
		f = fopen(RESULT ".tmp", "w");
		if (f) {
			if (bad < 0)
				fprintf(f, "ok\n");
			else
				fprintf(f, "bad %ld\n", bad);
			fclose(f);
			rename(RESULT ".tmp", RESULT);
		}
	}
	munmap((void *)mem, NPAGES * DMB_PAGE);
	close(fd);
	_exit(0);
}

int main(void)
{
	uint32_t refs[NPAGES];
	struct xt_peer peer;
	sigset_t set;
	uint8_t *mem;
	int gfd, fd;
	pid_t pid;
	FILE *f;

	if (xt_domu_id() < 0)
		xt_skip_all("no domU");
	gfd = dmb_open_gntdev();
	if (dmb_wait(gfd, 0, 0) == ENOTTY)
		xt_skip_all("gntdev without dma-buf export (ENOTTY)");
	unlink(RESULT);
	if (xt_grant_peer(&peer, NPAGES, "", refs, NULL))
		xt_fatal("no grants from the domU");

	/* ---- negative: nothing to hold without a buffer ---- */
	xt_ok(dmb_wait(gfd, 77, 0) == ENOENT, "no export yet: ENOENT");

	/* ---- positive ---- */
	if (dmb_export(gfd, 0, peer.domid, NPAGES, refs, &fd))
		xt_fatal("export failed: %m");
	mem = mmap(NULL, NPAGES * DMB_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (!XT_CHECK(mem != MAP_FAILED, "mmap of the buffer"))
		xt_fatal("cannot continue");
	xt_ok(dmb_mismatch(mem, NPAGES, 1) < 0, "the domU's bytes are there");
	dmb_fill(mem, NPAGES, 7);
	xt_ok(dmb_peer_ok(&peer, "check 7"), "the domU sees dom0's bytes");
	xt_ok(xt_peer_finish(&peer) == 0,
	      "domU peer exits (its grants stay mapped by dom0)");

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
			holder(fd);
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
	close(fd);
	munmap(mem, NPAGES * DMB_PAGE);
	xt_ok(dmb_wait(gfd, fd, 0) == ETIMEDOUT,
	      "the holder keeps the buffer alive");
	close(gfd);
	return xt_exit();
}
