// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-dofork - madvise(MADV_DOFORK) on a grant mapping, then fork():
 * the child inherits an empty VMA (reading it is SIGBUS), never the
 * grant PTEs (a PV dom0 would otherwise make the hypervisor refuse the
 * copied PTEs and leak a page reference, and the parent's munmap() would
 * wait for ever).  The parent keeps using the mapping, unmaps it and
 * every counter is back at baseline; the harness fails the run on any
 * kernel warning.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/wait.h>

#include "gntdev-test.h"

#define NPAGES 2

static int child_status(pid_t pid)
{
	int st = -1;

	if (pid <= 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

int main(void)
{
	uint32_t refs[NPAGES];
	struct gt_stats base, opened;
	struct xt_peer peer;
	volatile uint8_t *mem;
	uint64_t index = 0;
	int fd, st;
	pid_t pid;

	fd = gt_begin(&peer, NPAGES, refs, &base);
	gt_stats_read(&opened);
	xt_ok(gt_map(fd, peer.domid, refs, NPAGES, &index) == 0,
	      "MAP_GRANT_REF");
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, index);
	if (!XT_CHECK(mem != MAP_FAILED, "mmap (%m)"))
		xt_fatal("cannot continue");
	xt_ok(gt_mismatch(mem, 0, NPAGES, 1) < 0, "mapping shows the grants");
	xt_ok(madvise((void *)mem, NPAGES * GT_PAGE, MADV_DOFORK) == 0,
	      "madvise(MADV_DOFORK) (%m)");

	/* A child that never touches the mapping. */
	pid = fork();
	if (pid == 0)
		_exit(0);
	st = child_status(pid);
	xt_ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "untouching child exits cleanly");

	/* A child that reads it: no page there. */
	pid = fork();
	if (pid == 0) {
		(void)mem[0];
		_exit(0);
	}
	st = child_status(pid);
	xt_ok(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS,
	      "reading child gets SIGBUS (status %#x)", st);

	/* A child that unmaps it itself, then forks again. */
	pid = fork();
	if (pid == 0) {
		pid_t g = fork();

		if (g == 0)
			_exit(0);
		if (child_status(g) != 0)
			_exit(2);
		_exit(munmap((void *)mem, NPAGES * GT_PAGE) ? 3 : 0);
	}
	st = child_status(pid);
	xt_ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "child and grandchild unmap cleanly (status %#x)", st);

	xt_ok(gt_mismatch(mem, 0, NPAGES, 1) < 0, "parent mapping intact");
	gt_fill(mem, 0, NPAGES, 4);
	xt_ok(gt_peer_ok(&peer, "check 4"), "parent still writes to the domU");
	xt_ok(munmap((void *)mem, NPAGES * GT_PAGE) == 0, "parent munmap");
	xt_ok(gt_unmap(fd, index, NPAGES) == 0, "UNMAP_GRANT_REF");
	gt_stats_check(&opened, GT_SET_CLASSIC, "after unmap");
	close(fd);
	gt_stats_check(&base, GT_SET_CLASSIC, "after close");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
