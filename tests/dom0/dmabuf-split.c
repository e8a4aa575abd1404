// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-split - only an invalidation that really removes a mapping may
 * clear the PTEs of a dma-buf mmap.  A 1024-page exported buffer is
 * mapped on a 2 MiB boundary and split at 4 KiB offsets inside its
 * aligned 2 MiB blocks - munmap() of one page, madvise(MADV_RANDOM) of
 * one page - each of which makes the kernel announce an invalidation of
 * the whole 2 MiB block (its huge-PMD split check); then `echo 4 >
 * /proc/self/clear_refs` announces one over the whole address space.
 * After each, every page but the unmapped one still shows the domU's
 * bytes and takes writes the domU sees.  munmap(), close() and exit()
 * still release everything: the counters return to the baseline.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/wait.h>

#include "dmabuf-util.h"

#define NREFS 64
#define NSLOTS 1024u
#define BLOCK (2u << 20)
#define HOLE 5u		/* munmap()ed */
#define RANDOM 700u	/* madvise(MADV_RANDOM) */

/* Every page but HOLE readable, showing domU page i % NREFS, @seed. */
static bool all_ok(const volatile uint8_t *mem, uint32_t seed, const char *when)
{
	return gt_slots_ok(mem, 0, NSLOTS, NREFS, HOLE, seed, when);
}

int main(void)
{
	size_t len = (size_t)NSLOTS * GT_PAGE;
	uint32_t refs[NREFS], *many;
	struct gt_stats base;
	struct xt_peer peer;
	volatile uint8_t *mem;
	int gfd, fd, st = -1;
	pid_t pid;

	gfd = dmb_begin(&peer, NREFS, refs, &base);
	many = gt_refs_cycle(refs, NREFS, NSLOTS);
	if (dmb_export(gfd, 0, peer.domid, NSLOTS, many, &fd))
		xt_fatal("export of %u grants failed", NSLOTS);

	mem = xt_map_aligned(len, PROT_READ | PROT_WRITE, fd, 0, BLOCK);
	if (!XT_CHECK(mem != MAP_FAILED && !((uintptr_t)mem & (BLOCK - 1)),
		      "mmap of the buffer at a 2 MiB boundary (%m)"))
		xt_fatal("cannot continue");
	xt_ok(all_ok(mem, 1, "mapped"), "every page shows the domU's bytes");

	/* ---- splits inside aligned 2 MiB blocks ---- */
	xt_ok(munmap((void *)(mem + HOLE * GT_PAGE), GT_PAGE) == 0,
	      "munmap of page %u (4 KiB into a 2 MiB block)", HOLE);
	xt_ok(all_ok(mem, 1, "after munmap"),
	      "every other page still mapped after the munmap split");
	xt_ok(madvise((void *)(mem + RANDOM * GT_PAGE), GT_PAGE,
		      MADV_RANDOM) == 0, "madvise(MADV_RANDOM) of page %u", RANDOM);
	xt_ok(all_ok(mem, 1, "after madvise"),
	      "every page still mapped after the madvise split");
	gt_fill(mem + NREFS * GT_PAGE, 0, NREFS, 7);
	xt_ok(gt_peer_ok(&peer, "check 7"),
	      "writes through the split mapping reach the domU");

	/* ---- clear_refs: soft-dirty over the whole address space ---- */
	xt_ok(xt_clear_refs(), "echo 4 > /proc/self/clear_refs");
	xt_ok(all_ok(mem, 7, "after clear_refs"),
	      "every page still mapped after clear_refs");
	gt_fill(mem + 2 * NREFS * GT_PAGE, 0, NREFS, 8);
	xt_ok(gt_peer_ok(&peer, "check 8"),
	      "writes after clear_refs reach the domU");

	/* ---- exit and munmap still unmap ---- */
	pid = fork();
	if (pid == 0) {
		volatile uint8_t *m = xt_map_aligned(len, PROT_READ, fd, 0, BLOCK);

		if (m == MAP_FAILED)
			_exit(3);
		if (munmap((void *)(m + HOLE * GT_PAGE), GT_PAGE) || !xt_clear_refs())
			_exit(4);
		_exit(m[(HOLE + 1) * GT_PAGE] == xt_pattern(8, HOLE + 1, 0) ? 0 : 5);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		st = -1;
	xt_ok(st != -1 && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0,
	      "a child maps, splits, clear_refs, reads and exits (%d)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	xt_ok(munmap((void *)mem, len) == 0, "munmap of the rest");
	close(fd);
	xt_ok(dmb_wait(gfd, fd, 5000) == ENOENT || dmb_wait(gfd, fd, 0) == ENOENT,
	      "released once unmapped and closed");
	gt_stats_check(&base, GT_SET_DMABUF, "after munmap, exit and close");
	free(many);
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(gfd);
	return xt_exit();
}
