// SPDX-License-Identifier: GPL-2.0-only
/*
 * grant-libxengnttab - Debian's unmodified libxengnttab maps a domU's
 * grants through /dev/xen/gntdev; data crosses both ways.
 */
#define _GNU_SOURCE
#include <xengnttab.h>

#include "gntdev-test.h"

#define NPAGES 3

int main(void)
{
	uint32_t refs[NPAGES], domids[NPAGES];
	struct xt_peer peer;
	xengnttab_handle *xgt;
	uint8_t *mem;
	char *rep;

	gt_need_domu();
	xgt = xengnttab_open(NULL, 0);
	if (!xgt)
		xt_fatal("xengnttab_open: %m");
	gt_grants(&peer, NPAGES, "", refs, NULL);
	for (int i = 0; i < NPAGES; i++)
		domids[i] = peer.domid;

	mem = xengnttab_map_grant_refs(xgt, NPAGES, domids, refs,
				       PROT_READ | PROT_WRITE);
	if (!XT_CHECK(mem, "xengnttab_map_grant_refs of %d refs",
		      NPAGES))
		xt_fatal("cannot continue without the mapping");
	xt_ok(gt_mismatch(mem, 0, NPAGES, 1) < 0, "dom0 reads the domU's bytes");
	gt_fill(mem, 0, NPAGES, 7);
	rep = xt_peer_call(&peer, 10000, "check 7");
	xt_ok(rep && !strcmp(rep, "ok"), "domU reads dom0's bytes (%s)",
	      rep ? rep : "no answer");
	free(rep);
	xt_ok(xengnttab_unmap(xgt, mem, NPAGES) == 0, "xengnttab_unmap");

	mem = xengnttab_map_grant_ref(xgt, peer.domid, refs[1], PROT_READ);
	xt_ok(mem && mem[5] == xt_pattern(7, 1, 5),
	      "a single read-only map sees the same page");
	if (mem)
		xengnttab_unmap(xgt, mem, 1);
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	xengnttab_close(xgt);
	return xt_exit();
}
