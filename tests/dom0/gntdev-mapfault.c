// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-mapfault - MAP_GRANT_REF whose argument is readable but not
 * writable: the grants are read, the range is created, writing the index
 * back fails.  The call must fail with EFAULT and leave no range behind
 * (the predictable index 0 is unknown to UNMAP_GRANT_REF, the counters
 * are back at baseline), and the file stays usable.
 */
#define _GNU_SOURCE
#include "gntdev-test.h"

int main(void)
{
	struct ioctl_gntdev_map_grant_ref *m;
	struct gt_stats base, opened;
	struct xt_peer peer;
	uint32_t ref;
	uint64_t index = ~0ull;
	void *page;
	int fd, ret, err;

	fd = gt_begin(&peer, 1, &ref, &base);
	gt_stats_read(&opened);

	page = mmap(NULL, GT_PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		xt_fatal("mmap: %m");
	m = page;
	m->count = 1;
	m->refs[0].domid = peer.domid;
	m->refs[0].ref = ref;
	m->index = 12345;
	if (mprotect(page, GT_PAGE, PROT_READ))
		xt_fatal("mprotect: %m");

	ret = ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, m);
	err = errno;
	xt_ok(ret == -1 && err == EFAULT,
	      "MAP_GRANT_REF into a read-only argument: EFAULT (%d, %s)",
	      ret, strerror(err));
	xt_ok(m->index == 12345, "argument untouched");
	errno = 0;
	xt_ok(gt_unmap(fd, 0, 1) == -1 && errno == ENOENT,
	      "no range left at the predictable index (%s)", strerror(errno));
	gt_stats_check(&opened, GT_SET_CLASSIC, "after the failed MAP_GRANT_REF");

	/* The file is still usable, and index 0 is free again. */
	xt_ok(gt_map(fd, peer.domid, &ref, 1, &index) == 0 && index == 0,
	      "MAP_GRANT_REF afterwards gets index 0 (%llu)",
	      (unsigned long long)index);
	xt_ok(gt_unmap(fd, 0, 1) == 0, "UNMAP_GRANT_REF of it");

	munmap(page, GT_PAGE);
	close(fd);
	gt_stats_check(&base, GT_SET_CLASSIC, "after close");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
