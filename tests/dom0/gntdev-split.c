// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-split - only an invalidation that really removes a mapping may
 * take grants away.  A 1024-page mapping placed on a 2 MiB boundary is
 * split at 4 KiB offsets inside its aligned 2 MiB blocks - munmap() of
 * one page, madvise(MADV_RANDOM) of one page, mprotect(PROT_READ) of one
 * page - each of which makes the kernel announce an invalidation of the
 * whole 2 MiB block (its huge-PMD split check); then `echo 4 >
 * /proc/self/clear_refs` announces one over the whole address space.
 * After each, every page but the unmapped one still shows the domU's
 * bytes, and writes still reach the domU.  mremap() really moves: in PV
 * the moved pages arrive empty and are never refilled, even back at
 * their old address after another clear_refs (a refill there would use
 * a PTE recorded for an address the mapping had left).  munmap() and
 * exit() still unmap: the counters return to the baseline.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "gntdev-test.h"

#define NREFS 64
#define NSLOTS 1024u
#define BLOCK (2u << 20)
#define HOLE 5u		/* munmap()ed */
#define RANDOM 700u	/* madvise(MADV_RANDOM) */
#define RDONLY 900u	/* mprotect(PROT_READ) */
#define MOVED 300u	/* mremap()ed away and back */
#define GUARD 1000u	/* mprotect(PROT_NONE), then read by FOLL_FORCE */

/* Every slot but HOLE readable, showing domU page i % NREFS, pattern @seed. */
static bool all_ok(const volatile uint8_t *mem, uint32_t seed, const char *when)
{
	return gt_slots_ok(mem, 0, NSLOTS, NREFS, HOLE, seed, when);
}

/* Write pattern @seed to domU pages 0..NREFS-1 through slots @first... */
static void write_through(volatile uint8_t *mem, unsigned int first,
			  uint32_t seed)
{
	gt_fill(mem + (size_t)first * GT_PAGE, 0, NREFS, seed);
}

int main(void)
{
	uint32_t refs[NREFS], *many;
	struct gt_stats base, opened;
	size_t len = (size_t)NSLOTS * GT_PAGE;
	long want = gt_dom0_is_pv() ? 2 * NSLOTS - 1 : NSLOTS;
	struct xt_peer peer;
	volatile uint8_t *mem;
	uint64_t index;
	int fd, st = -1;
	pid_t pid;

	fd = gt_begin(&peer, NREFS, refs, &base);
	gt_stats_read(&opened);
	many = gt_refs_cycle(refs, NREFS, NSLOTS);

	xt_ok(gt_map(fd, peer.domid, many, NSLOTS, &index) == 0,
	      "MAP_GRANT_REF of %u grants", NSLOTS);
	mem = xt_map_aligned(len, PROT_READ | PROT_WRITE, fd, index, BLOCK);
	if (!XT_CHECK(mem != MAP_FAILED && !((uintptr_t)mem & (BLOCK - 1)),
		      "mmap at a 2 MiB boundary (%m)"))
		xt_fatal("cannot continue");
	xt_ok(all_ok(mem, 1, "mapped"), "every slot shows its grant");

	/* ---- splits inside aligned 2 MiB blocks ---- */
	xt_ok(munmap((void *)(mem + HOLE * GT_PAGE), GT_PAGE) == 0,
	      "munmap of slot %u (4 KiB into a 2 MiB block)", HOLE);
	xt_ok(all_ok(mem, 1, "after munmap"),
	      "every other slot still shows its grant after the munmap split");
	xt_ok(gt_stat(GT_MAPPED_GRANTS) == opened.v[GT_MAPPED_GRANTS] + want,
	      "only slot %u's user mapping is gone (mapped_grants %ld)", HOLE,
	      gt_stat(GT_MAPPED_GRANTS) - opened.v[GT_MAPPED_GRANTS]);
	xt_ok(madvise((void *)(mem + RANDOM * GT_PAGE), GT_PAGE,
		      MADV_RANDOM) == 0, "madvise(MADV_RANDOM) of slot %u", RANDOM);
	xt_ok(all_ok(mem, 1, "after madvise"),
	      "every slot still shows its grant after the madvise split");
	xt_ok(mprotect((void *)(mem + RDONLY * GT_PAGE), GT_PAGE,
		       PROT_READ) == 0, "mprotect(PROT_READ) of slot %u", RDONLY);
	xt_ok(all_ok(mem, 1, "after mprotect"),
	      "every slot still shows its grant after the mprotect split");
	write_through(mem, NREFS, 7);
	xt_ok(gt_peer_ok(&peer, "check 7"),
	      "writes through the split mapping reach the domU");

	/* ---- clear_refs: soft-dirty over the whole address space ---- */
	xt_ok(xt_clear_refs(), "echo 4 > /proc/self/clear_refs");
	xt_ok(all_ok(mem, 7, "after clear_refs"),
	      "every slot still shows its grant after clear_refs");
	write_through(mem, 2 * NREFS, 8);
	xt_ok(gt_peer_ok(&peer, "check 8"),
	      "writes after clear_refs reach the domU");
	xt_ok(gt_stat(GT_MAPPED_GRANTS) == opened.v[GT_MAPPED_GRANTS] + want,
	      "mapped_grants back to all but slot %u (%ld)", HOLE,
	      gt_stat(GT_MAPPED_GRANTS) - opened.v[GT_MAPPED_GRANTS]);

	/*
	 * ---- PROT_NONE stays PROT_NONE: a /proc/self/mem read (GUP with
	 * FOLL_FORCE) faults on the slot too, and must not make it readable
	 * for plain loads (PV: the refill is for accesses the VMA allows).
	 */
	{
		volatile uint8_t *g = mem + (size_t)GUARD * GT_PAGE;
		int mfd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
		ssize_t got = -1;
		char c;

		xt_ok(mprotect((void *)g, GT_PAGE, PROT_NONE) == 0,
		      "mprotect(PROT_NONE) of slot %u", GUARD);
		if (mfd >= 0) {
			got = pread(mfd, &c, 1, (off_t)(uintptr_t)g);
			close(mfd);
		}
		xt_ok(!xt_readable(g),
		      "the PROT_NONE slot stays unreadable after a /proc/self/mem read (%s)",
		      got == 1 ? "read" : "refused");
		xt_ok(mprotect((void *)g, GT_PAGE, PROT_READ) == 0 &&
		      xt_readable(g) && gt_mismatch(g, GUARD % NREFS, 1, 8) < 0,
		      "PROT_READ again: the slot shows its grant");
	}

	/*
	 * ---- mremap() away and back: PV, the moved pages arrive empty and
	 * stay empty even back at their old address (the refill never uses
	 * a PTE recorded for an address the mapping left); PVH, the pages
	 * move with the mapping ----
	 */
	{
		size_t mlen = 4 * (size_t)GT_PAGE;
		void *from = (void *)(mem + MOVED * GT_PAGE), *to, *p;

		to = mmap(NULL, mlen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
		p = mremap(from, mlen, mlen, MREMAP_MAYMOVE | MREMAP_FIXED, to);
		xt_ok(to != MAP_FAILED && p == to, "mremap of slots %u..%u elsewhere",
		      MOVED, MOVED + 3);
		if (gt_dom0_is_pv())
			xt_ok(p == to && !xt_readable(p),
			      "PV: the moved pages arrive empty (SIGBUS)");
		else
			xt_ok(p == to && gt_mismatch(p, MOVED % NREFS, 4, 8) < 0,
			      "PVH: the pages moved with the mapping");
		p = mremap(to, mlen, mlen, MREMAP_MAYMOVE | MREMAP_FIXED, from);
		xt_ok(p == from, "mremap back to the old address");
		/* A non-removing invalidation must not revive them. */
		xt_ok(xt_clear_refs(), "clear_refs again");
		if (gt_dom0_is_pv())
			xt_ok(p == from && !xt_readable(p),
			      "PV: back at the old address they stay empty, clear_refs or not");
		else
			xt_ok(p == from && gt_mismatch(p, MOVED % NREFS, 4, 8) < 0,
			      "PVH: back at the old address with the pages");
	}

	/* ---- munmap and exit still unmap ---- */
	xt_ok(munmap((void *)mem, len) == 0, "munmap of the rest");
	xt_ok(gt_unmap(fd, index, NSLOTS) == 0, "UNMAP_GRANT_REF");
	gt_stats_check(&opened, GT_SET_CLASSIC, "after munmap");

	pid = fork();
	if (pid == 0) {
		volatile uint8_t *m;
		uint64_t i2;

		if (gt_map(fd, peer.domid, many, NSLOTS, &i2))
			_exit(2);
		m = xt_map_aligned(len, PROT_READ, fd, i2, BLOCK);
		if (m == MAP_FAILED)
			_exit(3);
		if (munmap((void *)(m + HOLE * GT_PAGE), GT_PAGE) || !xt_clear_refs())
			_exit(4);
		_exit(m[(HOLE + 1) * GT_PAGE] == xt_pattern(8, HOLE + 1, 0) ? 0 : 5);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		st = -1;
	xt_ok(st != -1 && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0, "a child maps, splits, clear_refs, reads and exits (%d)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	close(fd);
	gt_stats_check(&base, GT_SET_CLASSIC, "after the child's exit and close");
	free(many);
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
