// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-doublemap - VMA splitting (the 2022 "doublemap" regression):
 * map grant pages, munmap them piece by piece (first page, last page, a
 * hole in the middle), remap over a live mapping with MAP_FIXED, and
 * exit with pieces still mapped.  The kernel must not log "Bad page
 * map", Xen must not fault, and every grant must end up unmapped.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "gntdev-test.h"

#define NPAGES 4

/* Child: map 2 pages, munmap one, then the other, then exit. */
static int doublemap_child(int domid, const uint32_t *refs, bool reverse)
{
	uint64_t index;
	uint8_t *mem;
	int fd = gt_try_open();

	if (fd < 0 || gt_map(fd, domid, refs, 2, &index))
		return 2;
	mem = mmap(NULL, 2 * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   index);
	if (mem == MAP_FAILED)
		return 3;
	if (gt_mismatch(mem, 0, 2, 1) >= 0)
		return 4;
	if (munmap(mem + (reverse ? GT_PAGE : 0), GT_PAGE))
		return 5;
	if (gt_mismatch(mem + (reverse ? 0 : GT_PAGE), reverse ? 0 : 1, 1, 1) >= 0)
		return 6;
	if (munmap(mem + (reverse ? 0 : GT_PAGE), GT_PAGE))
		return 7;
	return 0;	/* exit with the range still listed in the file */
}

static void run_child(int domid, const uint32_t *refs, bool reverse)
{
	int status = -1;
	pid_t pid = fork();
	bool ok;

	if (pid == 0)
		_exit(doublemap_child(domid, refs, reverse));
	ok = pid > 0 && waitpid(pid, &status, 0) == pid &&
	     WIFEXITED(status) && WEXITSTATUS(status) == 0;
	xt_ok(ok,
	      "doublemap (%s order) in a child process (status %d)",
	      reverse ? "last page first" : "first page first", status);
}

int main(void)
{
	uint32_t refs[NPAGES];
	struct gt_stats base;
	struct xt_peer peer;
	uint64_t index;
	uint8_t *mem, *again;
	int fd;

	gt_require_ours();
	gt_need_domu();
	gt_grants(&peer, NPAGES, "", refs, NULL);
	gt_stats_read(&base);

	run_child(peer.domid, refs, false);
	gt_stats_check(&base, GT_SET_CLASSIC, "after doublemap");
	run_child(peer.domid, refs, true);
	gt_stats_check(&base, GT_SET_CLASSIC, "after reverse doublemap");

	/* A hole in the middle: the outer pieces stay usable. */
	fd = gt_open();
	xt_ok(gt_map(fd, peer.domid, refs, NPAGES, &index) == 0,
	      "MAP_GRANT_REF of %d refs", NPAGES);
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, index);
	if (!XT_CHECK(mem != MAP_FAILED, "mmap (%m)"))
		xt_fatal("cannot continue");
	xt_ok(munmap(mem + GT_PAGE, 2 * GT_PAGE) == 0, "munmap of the middle pages");
	xt_ok(gt_mismatch(mem, 0, 1, 1) < 0 &&
	      gt_mismatch(mem + 3 * GT_PAGE, 3, 1, 1) < 0,
	      "outer pages still show the grants");
	gt_fill(mem, 0, 1, 7);
	{
		char *rep = xt_peer_call(&peer, 20000, "byte 0 5");

		xt_ok(rep && atoi(rep) == xt_pattern(7, 0, 5),
		      "a write through a split piece reaches the domU (%s)",
		      rep ? rep : "no answer");
		free(rep);
	}

	/* MAP_FIXED over the live pieces: the range is busy. */
	again = mmap(mem, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_FIXED, fd, index);
	xt_ok(again == MAP_FAILED && errno == EBUSY,
	      "MAP_FIXED remap of a live range -> EBUSY (%m)");
	xt_ok(gt_unmap(fd, index, NPAGES) == 0, "UNMAP_GRANT_REF");
	munmap(mem, NPAGES * GT_PAGE);
	close(fd);
	gt_stats_check(&base, GT_SET_CLASSIC, "after the hole test");

	/* Exit with a split mapping still in place. */
	{
		int status = -1;
		pid_t pid = fork();

		if (pid == 0) {
			int cfd = gt_try_open();
			uint8_t *m;

			if (cfd < 0 || gt_map(cfd, peer.domid, refs, NPAGES, &index))
				_exit(2);
			m = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE,
				 MAP_SHARED, cfd, index);
			if (m == MAP_FAILED || munmap(m + GT_PAGE, GT_PAGE))
				_exit(3);
			_exit(0);
		}
		bool ok = pid > 0 && waitpid(pid, &status, 0) == pid &&
			  WIFEXITED(status) && WEXITSTATUS(status) == 0;

		xt_ok(ok, "exit with a split mapping alive (status %d)", status);
	}
	gt_stats_check(&base, GT_SET_CLASSIC, "after exit with split mapping");

	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
