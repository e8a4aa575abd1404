// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-fork - fork() with a live grant mapping: the child does not
 * inherit it (VM_DONTCOPY: touching the address faults), the parent
 * keeps using it, and the child's exit changes nothing.  Also: a child
 * may map grants through the inherited file descriptor itself.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/wait.h>

#include "gntdev-test.h"

#define NPAGES 2

int main(void)
{
	uint32_t refs[NPAGES];
	struct gt_stats base;
	struct xt_peer peer;
	uint64_t index, i2;
	volatile uint8_t *mem;
	int fd, st = -1;
	pid_t pid;

	fd = gt_begin(&peer, NPAGES, refs, &base);
	xt_ok(gt_map(fd, peer.domid, refs, NPAGES, &index) == 0, "MAP_GRANT_REF");
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, index);
	if (!XT_CHECK(mem != MAP_FAILED, "mmap (%m)"))
		xt_fatal("cannot continue");

	pid = fork();
	if (pid == 0) {
		(void)mem[0];	/* must fault: the mapping was not copied */
		_exit(0);
	}
	xt_ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
	      WTERMSIG(st) == SIGSEGV, "child touching the mapping gets SIGSEGV");
	xt_ok(gt_mismatch(mem, 0, NPAGES, 1) < 0, "parent mapping intact");

	pid = fork();
	if (pid == 0) {
		uint8_t *m;

		if (gt_map(fd, peer.domid, refs, 1, &i2))
			_exit(2);
		m = mmap(NULL, GT_PAGE, PROT_READ, MAP_SHARED, fd, i2);
		if (m == MAP_FAILED || gt_mismatch(m, 0, 1, 1) >= 0)
			_exit(3);
		_exit(0);	/* range stays listed in the shared file */
	}
	st = -1;
	xt_ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0, "child maps through the inherited fd");
	gt_fill(mem, 0, NPAGES, 4);
	xt_ok(gt_peer_ok(&peer, "check 4"), "parent still writes to the domU");
	munmap((void *)mem, NPAGES * GT_PAGE);
	close(fd);
	gt_stats_check(&base, GT_SET_CLASSIC, "after close");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
