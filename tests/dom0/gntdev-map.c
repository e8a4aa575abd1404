// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-map - the classic map path of our xen-gntdev: MAP_GRANT_REF,
 * mmap (writable and read-only), GET_OFFSET_FOR_VADDR, UNMAP_GRANT_REF,
 * in either order with munmap, and mmap refusals; every counter back at
 * its baseline at the end.
 */
#define _GNU_SOURCE
#include <sys/uio.h>

#include "gntdev-test.h"

#define NPAGES 4

int main(void)
{
	struct ioctl_gntdev_get_offset_for_vaddr go = { 0 };
	uint32_t refs[NPAGES];
	struct gt_stats base;
	struct xt_peer peer;
	uint64_t index, index2;
	uint8_t *mem, *ro;
	int fd;

	fd = gt_begin(&peer, NPAGES, refs, &base);

	/* ---- refusals ---- */
	xt_ok(gt_map(fd, peer.domid, refs, NPAGES, &index) == 0,
	      "MAP_GRANT_REF of %d refs", NPAGES);
	errno = 0;
	xt_ok(mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		   fd, index) == MAP_FAILED && errno == EINVAL,
	      "writable MAP_PRIVATE mmap -> EINVAL (%m)");
	errno = 0;
	xt_ok(mmap(NULL, (NPAGES - 1) * GT_PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, index) == MAP_FAILED && errno == EINVAL,
	      "mmap shorter than the range -> EINVAL (%m)");
	errno = 0;
	xt_ok(mmap(NULL, (NPAGES + 1) * GT_PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, index) == MAP_FAILED && errno == EINVAL,
	      "mmap longer than the range -> EINVAL (%m)");
	errno = 0;
	xt_ok(mmap(NULL, GT_PAGE, PROT_READ, MAP_SHARED, fd,
		   index + 1000 * GT_PAGE) == MAP_FAILED && errno == EINVAL,
	      "mmap of an offset nobody reserved -> EINVAL (%m)");
	go.vaddr = (uintptr_t)&go;
	errno = 0;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &go) == -1 &&
	      errno == EINVAL, "GET_OFFSET_FOR_VADDR of a stack address -> EINVAL");

	/* ---- writable mapping, data both ways ---- */
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, index);
	if (!XT_CHECK(mem != MAP_FAILED, "writable mmap of the range (%m)"))
		xt_fatal("cannot continue without the mapping");
	xt_ok(gt_mismatch(mem, 0, NPAGES, 1) < 0, "dom0 reads the domU's pattern");
	gt_fill(mem, 0, NPAGES, 5);
	xt_ok(gt_peer_ok(&peer, "check 5"), "the domU reads dom0's pattern");
	xt_ok(gt_stat(GT_MAPPED_GRANTS) > base.v[GT_MAPPED_GRANTS],
	      "mapped_grants counts the mapping");
	errno = 0;
	xt_ok(mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, index) == MAP_FAILED && errno == EBUSY,
	      "second mmap of a live range -> EBUSY (%m)");

	{
		/* get_user_pages on the mapping (PV: find_special_page). */
		static uint8_t copy[NPAGES * GT_PAGE];
		struct iovec l = { copy, sizeof(copy) };
		struct iovec r = { mem, sizeof(copy) };

		xt_ok(process_vm_readv(getpid(), &l, 1, &r, 1, 0) ==
		      (ssize_t)sizeof(copy) && gt_mismatch(copy, 0, NPAGES, 5) < 0,
		      "process_vm_readv through the mapping (%m)");
	}

	go.vaddr = (uintptr_t)(mem + 2 * GT_PAGE + 17);
	xt_ok(ioctl(fd, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &go) == 0 &&
	      go.offset == index && go.count == NPAGES,
	      "GET_OFFSET_FOR_VADDR inside the mapping gives the range");

	/* UNMAP first, munmap later: the mapping stays usable meanwhile. */
	xt_ok(gt_unmap(fd, index, NPAGES) == 0, "UNMAP_GRANT_REF while mmap()ed");
	errno = 0;
	xt_ok(gt_unmap(fd, index, NPAGES) == -1 && errno == ENOENT,
	      "second UNMAP_GRANT_REF -> ENOENT");
	xt_ok(gt_peer_ok(&peer, "fill 6") && gt_mismatch(mem, 0, NPAGES, 6) < 0,
	      "mapping still live after UNMAP_GRANT_REF");
	xt_ok(munmap(mem, NPAGES * GT_PAGE) == 0, "munmap");

	/* ---- read-only mapping ---- */
	xt_ok(gt_map(fd, peer.domid, refs, NPAGES, &index2) == 0,
	      "MAP_GRANT_REF again");
	ro = mmap(NULL, NPAGES * GT_PAGE, PROT_READ, MAP_SHARED, fd, index2);
	if (XT_CHECK(ro != MAP_FAILED, "read-only mmap (%m)")) {
		xt_ok(gt_mismatch(ro, 0, NPAGES, 6) < 0,
		      "read-only mapping reads the data");
		errno = 0;
		xt_ok(mprotect(ro, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE) == -1 &&
		      errno == EACCES, "mprotect to writable is refused (%m)");
		xt_ok(munmap(ro, NPAGES * GT_PAGE) == 0, "munmap read-only");
	}
	xt_ok(gt_unmap(fd, index2, NPAGES) == 0, "UNMAP_GRANT_REF after munmap");

	/* ---- several ranges at once, release by close ---- */
	xt_ok(gt_map(fd, peer.domid, refs, 2, &index) == 0 &&
	      gt_map(fd, peer.domid, refs + 2, 2, &index2) == 0 &&
	      index != index2, "two ranges get distinct offsets");
	mem = mmap(NULL, 2 * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   index2);
	xt_ok(mem != MAP_FAILED && gt_mismatch(mem, 2, 2, 6) < 0,
	      "second range maps pages 2-3");
	if (mem != MAP_FAILED)
		munmap(mem, 2 * GT_PAGE);
	close(fd);
	gt_stats_check(&base, GT_SET_CLASSIC, "after close");

	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
