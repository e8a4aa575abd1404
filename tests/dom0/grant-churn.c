// SPDX-License-Identifier: GPL-2.0-only
/*
 * grant-churn - 1000 classic map / mmap / read / munmap / unmap cycles of
 * the same grants, each cycle reading the domU's bytes from every page.
 * In a PVH dom0 every cycle adds and removes the grants in dom0's p2m:
 * the classic-path twin of dmabuf-cycles, with no dma-buf code at all,
 * so it runs on Debian's gntdev too (the PVH crash experiment of
 * docs/testing.md compares the two).
 */
#define _GNU_SOURCE
#include "gntdev-test.h"

#define NPAGES 4
#define CYCLES 1000

/* One cycle; returns NULL or what went wrong. */
static const char *cycle(int fd, int domid, const uint32_t *refs,
			 unsigned int i)
{
	const char *err = NULL;
	uint64_t index;
	uint8_t *mem;

	if (gt_map(fd, domid, refs, NPAGES, &index))
		return "MAP_GRANT_REF failed";
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ, MAP_SHARED, fd, index);
	if (mem == MAP_FAILED) {
		err = "mmap failed";
	} else {
		for (unsigned int p = 0; p < NPAGES && !err; p++) {
			unsigned int o = (i * 61 + p * 7) % GT_PAGE;

			if (mem[p * GT_PAGE + o] != xt_pattern(1, p, o))
				err = "a page does not hold the domU's bytes";
		}
		if (munmap(mem, NPAGES * GT_PAGE) && !err)
			err = "munmap failed";
	}
	if (gt_unmap(fd, index, NPAGES) && !err)
		err = "UNMAP_GRANT_REF failed";
	return err;
}

int main(void)
{
	uint32_t refs[NPAGES];
	struct xt_peer peer;
	unsigned int i, fails = 0;
	uint64_t t0;
	int fd;

	gt_need_domu();
	fd = gt_open();
	gt_grants(&peer, NPAGES, "", refs, NULL);

	t0 = xt_now_ms();
	for (i = 0; i < CYCLES; i++) {
		const char *err = cycle(fd, peer.domid, refs, i);

		if (err && !fails++)
			xt_diag("cycle %u: %s", i, err);
	}
	xt_diag("%d cycles in %llu ms", CYCLES,
		(unsigned long long)(xt_now_ms() - t0));
	xt_ok(fails == 0, "%d map/read/unmap cycles read the domU's bytes (%u failed)",
	      CYCLES, fails);
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(fd);
	return xt_exit();
}
