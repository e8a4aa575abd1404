// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-cycles - 1000 export / close / wait cycles (every tenth one
 * with an mmap in between) return every leak counter to its baseline and
 * MemFree to within a small tolerance, and a fork afterwards works (in a
 * PV dom0 it would trip over M2P entries the cycles corrupted).  A
 * leaked page, grant or record per cycle would show up as at least 1000
 * pages.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/wait.h>

#include "dmabuf-util.h"

#define NPAGES 4
#define CYCLES 1000
#define TOLERANCE_KB 4096	/* 1024 pages; one leaked page/cycle = 4000 KB */

/*
 * In a PV dom0 a fork copies every page table entry and Xen validates
 * each against the M2P: a frame the cycles left with a stale M2P or p2m
 * entry would make the copy fail (and Xen and dom0 log it).  The child
 * writes to its copy-on-write memory and exits.
 */
static void forked_ok(void)
{
	static volatile char page[16 * GT_PAGE];
	int status = -1;
	pid_t pid;

	page[0] = 1;
	pid = fork();
	if (pid == 0) {
		for (unsigned int i = 0; i < sizeof(page); i += GT_PAGE)
			page[i] = 2;
		_exit(page[0] == 2 ? 0 : 1);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	xt_ok(pid > 0 && WIFEXITED(status) && !WEXITSTATUS(status) &&
	      page[0] == 1, "a fork after the cycles runs and exits cleanly");
}

int main(void)
{
	uint32_t refs[NPAGES];
	struct gt_stats base;
	struct xt_peer peer;
	long free0, free1;
	int gfd, i, fails = 0, ret;
	uint64_t t0;

	/* Its baseline is taken again after the warm-up. */
	gfd = dmb_begin(&peer, NPAGES, refs, &base);

	/* Warm up caches and slabs before taking the baseline. */
	for (i = 0; i < 20; i++) {
		int fd;

		if (!dmb_export(gfd, 0, peer.domid, NPAGES, refs, &fd))
			close(fd);
	}
	gt_stats_read(&base);
	free0 = gt_meminfo_kb("MemFree");
	t0 = xt_now_ms();
	for (i = 0; i < CYCLES; i++) {
		int fd;

		ret = dmb_export(gfd, 0, peer.domid, NPAGES, refs, &fd);
		if (ret) {
			if (!fails++)
				xt_diag("cycle %d: export: %s", i, strerror(ret));
			continue;
		}
		if (i % 10 == 0) {
			uint8_t *m = mmap(NULL, NPAGES * GT_PAGE, PROT_READ,
					  MAP_SHARED, fd, 0);

			if (m != MAP_FAILED) {
				if (m[i % GT_PAGE] != xt_pattern(1, 0, i % GT_PAGE) &&
				    !fails++)
					xt_diag("cycle %d: wrong byte", i);
				munmap(m, NPAGES * GT_PAGE);
			}
		}
		close(fd);
		/* Released synchronously by close(): the record is gone. */
		ret = dmb_wait(gfd, fd, 1000);
		if (ret != ENOENT && ret != 0 && !fails++)
			xt_diag("cycle %d: wait: %s", i, strerror(ret));
	}
	xt_diag("%d cycles in %llu ms", CYCLES,
		(unsigned long long)(xt_now_ms() - t0));
	xt_ok(fails == 0, "%d export/close/wait cycles without error (%d failed)",
	      CYCLES, fails);
	gt_stats_check(&base, GT_SET_DMABUF, "after the cycles");
	free1 = gt_meminfo_kb("MemFree");
	xt_ok(free0 > 0 && free1 > 0 && free0 - free1 < TOLERANCE_KB,
	      "MemFree within %d kB of its start (%ld -> %ld kB)", TOLERANCE_KB,
	      free0, free1);
	forked_ok();
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(gfd);
	return xt_exit();
}
