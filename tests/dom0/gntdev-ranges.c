// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-ranges - many ranges in one file: offsets are handed out lowest
 * free first, holes left by UNMAP_GRANT_REF are reused when they fit,
 * ranges never overlap, a range placed in a hole maps the right grants,
 * and close() releases them all.
 */
#define _GNU_SOURCE
#include "gntdev-test.h"

#define NPAGES 4
#define NR 64

int main(void)
{
	uint64_t idx[NR], a = 0, b = 0;
	uint32_t refs[NPAGES], five[5];
	struct gt_stats base;
	struct xt_peer peer;
	bool ok = true;
	uint8_t *mem;
	int fd;

	fd = gt_begin(&peer, NPAGES, refs, &base);

	for (unsigned int i = 0; i < NR && ok; i++)
		ok = gt_map(fd, peer.domid, &refs[i % NPAGES], 1, &idx[i]) == 0 &&
		     idx[i] == (uint64_t)i * GT_PAGE;
	xt_ok(ok, "%d one-grant ranges at offsets 0, 1, 2... pages", NR);
	xt_ok(gt_stat(GT_MAPS) == base.v[GT_MAPS] + NR, "maps counts them");

	for (unsigned int i = 10; i < 20; i++)
		ok = gt_unmap(fd, idx[i], 1) == 0 && ok;
	xt_ok(ok, "UNMAP_GRANT_REF of ranges 10-19 leaves a 10-page hole");
	for (unsigned int i = 0; i < 5; i++)
		five[i] = refs[(i + 2) % NPAGES];
	xt_ok(gt_map(fd, peer.domid, five, 5, &a) == 0 && a == 10 * GT_PAGE,
	      "a 5-grant range goes into the hole (offset %llu pages)",
	      (unsigned long long)(a / GT_PAGE));
	xt_ok(gt_map(fd, peer.domid, five, 5, &b) == 0 && b == 15 * GT_PAGE,
	      "the next 5 fill the rest of the hole");
	xt_ok(gt_map(fd, peer.domid, refs, 2, &b) == 0 && b == NR * GT_PAGE,
	      "a range that fits no hole goes to the end");

	mem = mmap(NULL, 5 * GT_PAGE, PROT_READ, MAP_SHARED, fd, a);
	ok = mem != MAP_FAILED;
	for (unsigned int i = 0; ok && i < 5; i++)
		ok = gt_mismatch(mem + i * GT_PAGE, (i + 2) % NPAGES, 1, 1) < 0;
	xt_ok(ok, "the range in the hole maps its own grants");
	if (mem != MAP_FAILED)
		munmap(mem, 5 * GT_PAGE);

	close(fd);
	gt_stats_check(&base, GT_SET_CLASSIC, "after close");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
