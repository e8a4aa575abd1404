// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-splice - a backing page held outside the driver must never make
 * the classic unmap wait: the task holding the page may be the very one
 * whose exit is unmapping (upstream's Qubes #7481 class).  In each case a
 * child maps the domU's grants, vmsplice()s its first mapped page into a
 * pipe and ends; the parent's waitpid() must return within 10 s:
 *  1. "exit": the child exits with the mapping in place (PV: the MMU
 *     notifier runs in exit_mm, long before the pipe could be closed);
 *  2. "close": the child munmaps and closes its gntdev fd while the pipe
 *     still holds the page (the range's last put, in close());
 *  3. "own pipe": the pipe is the child's own, opened before the gntdev
 *     fd; the child exits, so its fds are put in reverse order and the
 *     gntdev file goes first, before the pipe lets go of the page.
 * In 1 and 2 the parent holds the pipe: the pipe still reads the domU's
 * bytes (the page is still the grant), the range stays alive while the
 * pipe holds the page, and once the parent closes the pipe every leak
 * counter returns to its baseline.  In 3 the counters return once the
 * child is gone.
 *
 * With a synchronous unmap, 1 and 2 hang until the pipe is closed (the
 * test then closes it, so the machine recovers) and 3 hangs for good.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "gntdev-test.h"

#define NPAGES 2

enum { CASE_EXIT, CASE_CLOSE, CASE_OWN_PIPE };
static const char *const case_name[] = { "exit", "close", "own pipe" };

static uint32_t refs[NPAGES];
static int domid;

/* The child: map, splice page 0 into @pipe_w, end as @how says. */
static void child(int how, int pipe_w)
{
	struct iovec iov;
	uint64_t index;
	uint8_t *mem;
	int gfd, p[2];

	if (how == CASE_OWN_PIPE) {
		if (pipe(p))
			_exit(2);
		pipe_w = p[1];
	}
	/* Opened after the pipe: a higher fd number, put first at exit. */
	gfd = gt_try_open();
	if (gfd < 0 || gt_map(gfd, domid, refs, NPAGES, &index))
		_exit(3);
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   gfd, index);
	if (mem == MAP_FAILED)
		_exit(4);
	iov.iov_base = mem;
	iov.iov_len = GT_PAGE;
	if (vmsplice(pipe_w, &iov, 1, 0) != GT_PAGE)
		_exit(5);
	if (how == CASE_CLOSE) {
		munmap(mem, NPAGES * GT_PAGE);
		close(gfd);
	}
	_exit(0);
}

/* waitpid() for up to @ms; the exit status, or -1 if still running. */
static int reap(pid_t pid, int ms)
{
	int st;

	for (int t = 0; t <= ms; t += 20) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		usleep(20000);
	}
	return -1;
}

/* Poll until every classic counter is back at @base (up to @ms). */
static bool settled(const struct gt_stats *base, int ms)
{
	struct gt_stats now;

	for (int t = 0; t <= ms; t += 50) {
		gt_stats_read(&now);
		if (gt_stats_same(&now, base, GT_SET_CLASSIC))
			return true;
		usleep(50000);
	}
	return false;
}

static void run_case(int how, const struct gt_stats *base)
{
	const char *name = case_name[how];
	int p[2] = { -1, -1 }, st;
	uint8_t head[16];
	bool same = true;
	pid_t pid;

	if (how != CASE_OWN_PIPE && pipe(p))
		xt_fatal("pipe: %m");
	pid = fork();
	if (pid < 0)
		xt_fatal("fork: %m");
	if (pid == 0)
		child(how, p[1]);
	st = reap(pid, 10000);
	xt_ok(st == 0, "%s: the child ends within 10 s (%s)", name,
	      st < 0 ? "still running: the unmap waits for the pipe" :
	      st ? "setup failed" : "ok");
	if (st < 0 && how == CASE_OWN_PIPE) {
		xt_diag("%s: the child cannot be reaped; giving up", name);
		return;
	}
	if (how != CASE_OWN_PIPE) {
		if (st == 0) {
			/* Only part of the page: a drained buffer drops it. */
			ssize_t n = read(p[0], head, sizeof(head));

			for (unsigned int i = 0; i < sizeof(head); i++)
				same &= head[i] == xt_pattern(1, 0, i);
			xt_ok(n == sizeof(head) && same,
			      "%s: the pipe reads the domU's bytes", name);
			xt_ok(gt_stat(GT_MAPS) == base->v[GT_MAPS] + 1,
			      "%s: the range lives while the pipe holds its page (maps %ld)",
			      name, gt_stat(GT_MAPS));
		}
		close(p[0]);
		close(p[1]);
		if (st < 0)
			xt_ok(reap(pid, 10000) == 0,
			      "%s: the child ends once the pipe is closed", name);
	}
	xt_ok(settled(base, 5000), "%s: counters back within 5 s", name);
	gt_stats_check(base, GT_SET_CLASSIC, case_name[how]);
}

int main(void)
{
	struct gt_stats base;
	struct xt_peer peer;

	gt_require_ours();
	gt_need_domu();
	gt_grants(&peer, NPAGES, "", refs, NULL);
	domid = peer.domid;
	gt_stats_read(&base);

	run_case(CASE_EXIT, &base);
	run_case(CASE_CLOSE, &base);
	run_case(CASE_OWN_PIPE, &base);

	xt_ok(gt_peer_ok(&peer, "check 1"), "the domU's pages are untouched");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
