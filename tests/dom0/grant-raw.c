// SPDX-License-Identifier: GPL-2.0-only
/*
 * grant-raw - a domU grants pages; dom0 maps them with raw gntdev ioctls
 * and mmap, and data is verified in both directions.
 */
#define _GNU_SOURCE
#include "gntdev-test.h"

#define NPAGES 4

int main(void)
{
	uint64_t index = 0;
	uint32_t refs[NPAGES];
	struct xt_peer peer;
	uint8_t *mem;
	char *rep;
	int fd;

	gt_need_domu();
	fd = gt_open();
	gt_grants(&peer, NPAGES, "", refs, NULL);

	xt_ok(gt_map(fd, peer.domid, refs, NPAGES, &index) == 0,
	      "MAP_GRANT_REF of %d refs", NPAGES);
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, index);
	if (!XT_CHECK(mem != MAP_FAILED, "mmap of the granted range"))
		xt_fatal("cannot continue without the mapping");

	xt_ok(gt_mismatch(mem, 0, NPAGES, 1) < 0,
	      "dom0 reads the bytes the domU wrote");
	gt_fill(mem, 0, NPAGES, 2);
	rep = xt_peer_call(&peer, 10000, "check 2");
	xt_ok(rep && !strcmp(rep, "ok"), "domU reads the bytes dom0 wrote (%s)",
	      rep ? rep : "no answer");
	free(rep);
	rep = xt_peer_call(&peer, 10000, "fill 3");
	xt_ok(rep && !strcmp(rep, "ok") && gt_mismatch(mem, 0, NPAGES, 3) < 0,
	      "a later domU write is seen through the same mapping");
	free(rep);

	xt_ok(munmap(mem, NPAGES * GT_PAGE) == 0, "munmap");
	xt_ok(gt_unmap(fd, index, NPAGES) == 0, "UNMAP_GRANT_REF");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(fd);
	return xt_exit();
}
