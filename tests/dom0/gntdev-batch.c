// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-batch - a range larger than one hypercall batch (512 grants):
 * mmap() maps every slot across the batches, a partial munmap() across a
 * batch boundary and the final unmap release everything; a bad ref in
 * the last batch fails the whole mmap() and unmaps the earlier batches.
 * The 24 granted pages are each mapped <= 46 times (Xen refuses a pin
 * count byte reaching 128; a PV slot pins twice).
 */
#define _GNU_SOURCE
#include "gntdev-test.h"

#define NREFS 24
#define NSLOTS 1100u
#define BAD_REF 0x7ffffffu

/* Slots @from..@to-1 each show their grant. */
static bool slots_ok(const volatile uint8_t *mem, unsigned int from,
		     unsigned int to)
{
	return gt_slots_ok(mem, from, to, NREFS, NSLOTS, 1, "batch");
}

int main(void)
{
	uint32_t refs[NREFS], *many;
	struct gt_stats base, opened;
	struct xt_peer peer;
	volatile uint8_t *mem;
	uint64_t index = 0, bad = 0;
	size_t len = (size_t)NSLOTS * GT_PAGE;
	void *p;
	int fd;

	fd = gt_begin(&peer, NREFS, refs, &base);
	gt_stats_read(&opened);
	many = gt_refs_cycle(refs, NREFS, NSLOTS);

	/* Negative first: a bad ref in the last batch. */
	many[NSLOTS - 1] = BAD_REF;
	xt_ok(gt_map(fd, peer.domid, many, NSLOTS, &bad) == 0,
	      "MAP_GRANT_REF with a bad last ref");
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, bad);
	xt_ok(p == MAP_FAILED && errno == EINVAL,
	      "mmap fails with EINVAL (%m)");
	xt_ok(gt_stat(GT_MAPPED_GRANTS) == opened.v[GT_MAPPED_GRANTS],
	      "earlier batches unmapped again (mapped_grants %ld)",
	      gt_stat(GT_MAPPED_GRANTS));
	xt_ok(gt_unmap(fd, bad, NSLOTS) == 0, "UNMAP_GRANT_REF of it");
	gt_stats_check(&opened, GT_SET_CLASSIC, "after the failed mmap");

	many[NSLOTS - 1] = refs[(NSLOTS - 1) % NREFS];
	xt_ok(gt_map(fd, peer.domid, many, NSLOTS, &index) == 0,
	      "MAP_GRANT_REF of %u grants", NSLOTS);
	mem = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, index);
	if (!XT_CHECK(mem != MAP_FAILED, "mmap of %u grants (%m)", NSLOTS))
		xt_fatal("cannot continue");
	xt_ok(slots_ok(mem, 0, NSLOTS), "every slot shows its grant");
	/*
	 * In a PV dom0 the split makes the core MM announce an invalidation
	 * of the whole 2 MiB block around each split point (its huge-PMD
	 * check); the notifier drops those user PTEs but the next access
	 * refills them, so every remaining slot reads as before.
	 */
	xt_ok(munmap((void *)(mem + 500 * (size_t)GT_PAGE),
		     100 * (size_t)GT_PAGE) == 0,
	      "munmap of slots 500..599 (across a batch boundary)");
	xt_ok(slots_ok(mem, 0, 500), "slots below the hole still mapped");
	xt_ok(slots_ok(mem, 600, NSLOTS), "slots above the hole still mapped");
	xt_ok(munmap((void *)mem, len) == 0, "munmap of the rest");
	xt_ok(gt_unmap(fd, index, NSLOTS) == 0, "UNMAP_GRANT_REF");
	gt_stats_check(&opened, GT_SET_CLASSIC, "after unmap");
	close(fd);
	gt_stats_check(&base, GT_SET_CLASSIC, "after close");
	free(many);
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
