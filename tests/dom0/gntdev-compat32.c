// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-compat32 - the 32-bit compat ioctl path of our xen-gntdev: gets
 * two grants from the domU and runs the static 32-bit program
 * /xt/bin32/gntdev-compat32 (tests/dom0-32/gntdev-compat32.c) on them;
 * its exit status is the verdict.  Then the domU checks its pages and the
 * leak counters must be back at baseline.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/wait.h>

#include "gntdev-test.h"

#define BIN32 "/xt/bin32/gntdev-compat32"

int main(void)
{
	uint32_t refs[2];
	struct gt_stats base;
	struct xt_peer peer;
	pid_t pid;
	int st;

	gt_require_ours();
	gt_need_domu();
	if (access(BIN32, X_OK))
		xt_skip_all("%s missing", BIN32);
	gt_grants(&peer, 2, "", refs, NULL);
	gt_stats_read(&base);

	pid = fork();
	if (pid == 0) {
		char a[3][16];

		snprintf(a[0], sizeof(a[0]), "%d", peer.domid);
		snprintf(a[1], sizeof(a[1]), "%u", refs[0]);
		snprintf(a[2], sizeof(a[2]), "%u", refs[1]);
		execl(BIN32, BIN32, a[0], a[1], a[2], (char *)NULL);
		_exit(127);
	}
	st = -1;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		st = -1;
	xt_ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "32-bit process: map, mmap, GET_OFFSET, GRANT_COPY both ways, errors, unmap (exit status %d)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	xt_ok(gt_peer_ok(&peer, "check 1"), "domU pages intact afterwards");
	gt_stats_check(&base, GT_SET_CLASSIC, "after the 32-bit run");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
