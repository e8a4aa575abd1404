// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-badinput - malformed requests to our xen-gntdev: each gets a
 * clear errno, leaves nothing mapped and logs nothing at error level.
 * Covers counts (0, over the "limit" parameter, over SET_MAX_GRANTS),
 * reserved domids, unknown indexes, bad pointers, unknown ioctls and
 * notify actions, grants that do not exist (alone and among good ones:
 * the good ones must be unmapped again) and a read-only grant mapped
 * writable.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "gntdev-test.h"

#define NPAGES 4
#define BAD_REF 0x7ffffffu

static void count_checks(int fd, int domid, const uint32_t *refs)
{
	struct ioctl_gntdev_set_max_grants mg;
	long limit = gt_param("limit");
	uint32_t *many;
	uint64_t index, i2;

	errno = 0;
	xt_ok(gt_map(fd, domid, refs, 0, &index) == -1 && errno == EINVAL,
	      "MAP_GRANT_REF count 0 -> EINVAL (%m)");
	if (limit > 0 && limit < (1 << 22)) {
		many = calloc(limit + 1, sizeof(*many));
		if (!many)
			xt_fatal("out of memory");
		errno = 0;
		xt_ok(gt_map(fd, domid, many, limit + 1, &index) == -1 &&
		      errno == EINVAL, "MAP_GRANT_REF count limit+1 (%ld) -> EINVAL (%m)",
		      limit + 1);
		free(many);
		xt_ok(gt_param_set("limit", 2) == 0, "limit parameter set to 2");
		errno = 0;
		xt_ok(gt_map(fd, domid, refs, 3, &index) == -1 && errno == EINVAL,
		      "MAP_GRANT_REF of 3 with limit 2 -> EINVAL (%m)");
		xt_ok(gt_param_set("limit", limit) == 0, "limit parameter restored");
	} else {
		xt_skip("limit parameter unreadable", "count over limit");
	}

	mg.count = 0;
	errno = 0;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_SET_MAX_GRANTS, &mg) == -1 && errno == EINVAL,
	      "SET_MAX_GRANTS 0 -> EINVAL (%m)");
	mg.count = limit > 0 ? limit + 1 : 0x7fffffff;
	errno = 0;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_SET_MAX_GRANTS, &mg) == -1 && errno == EINVAL,
	      "SET_MAX_GRANTS limit+1 -> EINVAL (%m)");
	mg.count = 2;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_SET_MAX_GRANTS, &mg) == 0,
	      "SET_MAX_GRANTS 2");
	errno = 0;
	xt_ok(gt_map(fd, domid, refs, 3, &index) == -1 && errno == ENOSPC,
	      "MAP_GRANT_REF of 3 over max 2 -> ENOSPC (%m)");
	xt_ok(gt_map(fd, domid, refs, 2, &index) == 0, "MAP_GRANT_REF of 2 fits");
	errno = 0;
	xt_ok(gt_map(fd, domid, refs, 1, &i2) == -1 && errno == ENOSPC,
	      "one more grant -> ENOSPC (%m)");
	xt_ok(gt_unmap(fd, index, 2) == 0, "UNMAP_GRANT_REF frees the budget");
	xt_ok(gt_map(fd, domid, refs, 1, &i2) == 0 && gt_unmap(fd, i2, 1) == 0,
	      "MAP_GRANT_REF of 1 fits again");
}

static void lookup_checks(int fd, int domid, const uint32_t *refs)
{
	struct ioctl_gntdev_unmap_notify un = { 0 };
	struct ioctl_gntdev_map_grant_ref *m;
	uint64_t index;

	errno = 0;
	xt_ok(gt_unmap(fd, 1 << 20, 1) == -1 && errno == ENOENT,
	      "UNMAP_GRANT_REF of an unknown index -> ENOENT (%m)");
	xt_ok(gt_map(fd, domid, refs, 2, &index) == 0, "MAP_GRANT_REF of 2");
	errno = 0;
	xt_ok(gt_unmap(fd, index, 1) == -1 && errno == ENOENT,
	      "UNMAP_GRANT_REF with the wrong count -> ENOENT (%m)");
	errno = 0;
	xt_ok(gt_unmap(fd, index + 1, 2) == -1 && errno == ENOENT,
	      "UNMAP_GRANT_REF of an unaligned index -> ENOENT (%m)");

	un.index = index + 100 * GT_PAGE;
	un.action = UNMAP_NOTIFY_CLEAR_BYTE;
	errno = 0;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) == -1 && errno == ENOENT,
	      "SET_UNMAP_NOTIFY outside every range -> ENOENT (%m)");
	un.index = index;
	un.action = 0x4;
	errno = 0;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) == -1 && errno == EINVAL,
	      "SET_UNMAP_NOTIFY unknown action bit -> EINVAL (%m)");
	un.action = UNMAP_NOTIFY_SEND_EVENT;
	un.event_channel_port = 0xfffff;
	errno = 0;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) == -1 && errno == EINVAL,
	      "SET_UNMAP_NOTIFY unbound port -> EINVAL (%m)");
	xt_ok(gt_unmap(fd, index, 2) == 0, "UNMAP_GRANT_REF");

	errno = 0;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, NULL) == -1 && errno == EFAULT,
	      "MAP_GRANT_REF with a NULL argument -> EFAULT (%m)");
	m = mmap(NULL, 2 * GT_PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m != MAP_FAILED && !mprotect((char *)m + GT_PAGE, GT_PAGE, PROT_NONE)) {
		/* count 2, but only the first ref fits before the end of page. */
		m = (void *)((char *)m + GT_PAGE - sizeof(*m));
		m->count = 2;
		m->refs[0].domid = domid;
		m->refs[0].ref = refs[0];
		errno = 0;
		xt_ok(ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, m) == -1 &&
		      errno == EFAULT, "refs running off the end of memory -> EFAULT (%m)");
		munmap((char *)m - (GT_PAGE - sizeof(*m)), 2 * GT_PAGE);
	}
	errno = 0;
	xt_ok(ioctl(fd, _IOC(_IOC_NONE, 'G', 42, 8), NULL) == -1 && errno == ENOTTY,
	      "unknown ioctl -> ENOTTY (%m)");
	errno = 0;
	xt_ok(gt_map(fd, 0x7ff0, refs, 1, &index) == -1 && errno == EINVAL,
	      "domid DOMID_FIRST_RESERVED -> EINVAL (%m)");
	errno = 0;
	xt_ok(gt_map(fd, 0x10000 | domid, refs, 1, &index) == -1 && errno == EINVAL,
	      "domid wider than 16 bits -> EINVAL (%m)");
}

static void bad_grant_checks(int fd, int domid, const uint32_t *refs,
			     const struct gt_stats *base)
{
	uint32_t mixed[NPAGES];
	uint64_t index;
	void *mem;

	mixed[0] = BAD_REF;
	xt_ok(gt_map(fd, domid, mixed, 1, &index) == 0,
	      "MAP_GRANT_REF of a ref that does not exist (nothing mapped yet)");
	errno = 0;
	mem = mmap(NULL, GT_PAGE, PROT_READ, MAP_SHARED, fd, index);
	xt_ok(mem == MAP_FAILED && errno == EINVAL,
	      "mmap of a nonexistent grant -> EINVAL (%m)");
	xt_ok(gt_unmap(fd, index, 1) == 0, "UNMAP_GRANT_REF of the bad range");

	for (unsigned int i = 0; i < NPAGES; i++)
		mixed[i] = refs[i];
	mixed[2] = BAD_REF;
	xt_ok(gt_map(fd, domid, mixed, NPAGES, &index) == 0,
	      "MAP_GRANT_REF of 3 good refs and one bad");
	errno = 0;
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, index);
	xt_ok(mem == MAP_FAILED && errno == EINVAL,
	      "mmap with one bad grant fails -> EINVAL (%m)");
	/* Only the listed range's own backing pages remain. */
	xt_ok(gt_stat(GT_MAPPED_GRANTS) == base->v[GT_MAPPED_GRANTS] &&
	      gt_stat(GT_PAGES) == base->v[GT_PAGES] + NPAGES,
	      "the good grants were unmapped again (mapped_grants %ld, pages %ld)",
	      gt_stat(GT_MAPPED_GRANTS), gt_stat(GT_PAGES));
	errno = 0;
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, index);
	xt_ok(mem == MAP_FAILED && errno == EINVAL,
	      "a retry fails the same way (%m)");
	xt_ok(gt_unmap(fd, index, NPAGES) == 0, "UNMAP_GRANT_REF");
}

int main(void)
{
	uint32_t refs[NPAGES], rorefs[1];
	struct gt_stats base;
	struct xt_peer peer, ropeer;
	uint64_t index;
	uint8_t *mem;
	int fd;

	fd = gt_begin(&peer, NPAGES, refs, &base);

	{
		/* SET_MAX_GRANTS sticks to its file: use a separate one. */
		int cfd = gt_open();

		count_checks(cfd, peer.domid, refs);
		close(cfd);
	}
	lookup_checks(fd, peer.domid, refs);
	bad_grant_checks(fd, peer.domid, refs, &base);

	/* A read-only grant: writable mmap fails, read-only works. */
	if (xt_grant_peer(&ropeer, 1, "ro", rorefs, NULL)) {
		xt_skip("no read-only peer", "read-only grant checks");
	} else {
		xt_ok(gt_map(fd, ropeer.domid, rorefs, 1, &index) == 0,
		      "MAP_GRANT_REF of a read-only grant");
		errno = 0;
		mem = mmap(NULL, GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, index);
		xt_ok(mem == MAP_FAILED && errno == EINVAL,
		      "writable mmap of a read-only grant -> EINVAL (%m)");
		mem = mmap(NULL, GT_PAGE, PROT_READ, MAP_SHARED, fd, index);
		xt_ok(mem != MAP_FAILED && gt_mismatch(mem, 0, 1, 1) < 0,
		      "read-only mmap of it works");
		if (mem != MAP_FAILED)
			munmap(mem, GT_PAGE);
		xt_ok(gt_unmap(fd, index, 1) == 0, "UNMAP_GRANT_REF");
		xt_ok(xt_peer_finish(&ropeer) == 0, "read-only peer exits");
	}

	/* After all that, a good mapping still works. */
	xt_ok(gt_map(fd, peer.domid, refs, NPAGES, &index) == 0,
	      "MAP_GRANT_REF of good refs");
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ, MAP_SHARED, fd, index);
	xt_ok(mem != MAP_FAILED && gt_mismatch(mem, 0, NPAGES, 1) < 0,
	      "good grants still map and read");
	if (mem != MAP_FAILED)
		munmap(mem, NPAGES * GT_PAGE);
	close(fd);
	gt_stats_check(&base, GT_SET_CLASSIC, "after close");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
