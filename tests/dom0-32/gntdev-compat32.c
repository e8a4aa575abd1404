// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-compat32 - 32-bit half of the compat test (built gcc -m32
 * -static, raw ioctls only).  Started by tests/dom0/gntdev-compat32 as
 *
 *	gntdev-compat32 DOMID REF0 REF1
 *
 * on two pages holding xt_pattern(1, page, off).  It maps them, checks
 * them, copies with the ILP32 GRANT_COPY layout both ways, checks the
 * errors, unmaps, and exits 0, or N (with a message on stderr) when
 * step N failed.  It leaves the pages holding pattern 1 again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/gntdev.h>

#include "xt.h"

#define PAGE 4096u

static int step;

static void check(int cond, const char *what)
{
	step++;
	if (!cond) {
		fprintf(stderr, "gntdev-compat32: step %d (%s) failed: %s\n",
			step, what, strerror(errno));
		exit(step);
	}
}

static int pattern_ok(const uint8_t *p, uint32_t seed, unsigned int page)
{
	for (unsigned int o = 0; o < PAGE; o++)
		if (p[o] != xt_pattern(seed, page, o))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	struct {
		struct ioctl_gntdev_map_grant_ref m;
		struct ioctl_gntdev_grant_ref more;
	} map;
	struct ioctl_gntdev_unmap_grant_ref un = { 0 };
	struct ioctl_gntdev_get_offset_for_vaddr go = { 0 };
	struct gntdev_grant_copy_segment seg[2];
	struct ioctl_gntdev_grant_copy gc;
	static uint8_t buf[2 * PAGE];
	uint32_t domid;
	uint8_t *mem;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s DOMID REF0 REF1\n", argv[0]);
		return 100;
	}
	domid = strtoul(argv[1], NULL, 0);
	check(sizeof(void *) == 4 && sizeof(gc) == 8 && sizeof(seg[0]) == 24,
	      "built for ILP32");

	fd = open("/dev/xen/gntdev", O_RDWR);
	check(fd >= 0, "open /dev/xen/gntdev");
	memset(&map, 0, sizeof(map));
	map.m.count = 2;
	map.m.refs[0].domid = domid;
	map.m.refs[0].ref = strtoul(argv[2], NULL, 0);
	map.more.domid = domid;
	map.more.ref = strtoul(argv[3], NULL, 0);
	check(ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, &map) == 0, "MAP_GRANT_REF");
	mem = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   map.m.index);
	check(mem != MAP_FAILED, "mmap");
	check(pattern_ok(mem, 1, 0) && pattern_ok(mem + PAGE, 1, 1),
	      "pattern through the mapping");
	go.vaddr = (uintptr_t)(mem + PAGE + 1);
	check(ioctl(fd, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &go) == 0 &&
	      go.offset == map.m.index && go.count == 2, "GET_OFFSET_FOR_VADDR");

	/* grant -> local, straddling a page of buf */
	memset(seg, 0, sizeof(seg));
	seg[0].source.foreign.ref = map.m.refs[0].ref;
	seg[0].source.foreign.domid = domid;
	seg[0].dest.virt = buf + 10;
	seg[0].len = PAGE;
	seg[0].flags = 1;	/* GNTCOPY_source_gref */
	seg[0].status = 1;
	gc.count = 1;
	gc.segments = seg;
	check(ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &gc) == 0 && seg[0].status == 0,
	      "GRANT_COPY grant -> local");
	check(pattern_ok(buf + 10, 1, 0), "copied data");

	/* local -> grant: pattern 2 into page 1, seen through the mapping */
	for (unsigned int o = 0; o < PAGE; o++)
		buf[o] = xt_pattern(2, 1, o);
	memset(seg, 0, sizeof(seg));
	seg[0].source.virt = buf;
	seg[0].dest.foreign.ref = map.more.ref;
	seg[0].dest.foreign.domid = domid;
	seg[0].len = PAGE;
	seg[0].flags = 2;	/* GNTCOPY_dest_gref */
	seg[0].status = 1;
	check(ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &gc) == 0 && seg[0].status == 0,
	      "GRANT_COPY local -> grant");
	check(pattern_ok(mem + PAGE, 2, 1), "copy seen through the mapping");
	for (unsigned int o = 0; o < PAGE; o++)
		mem[PAGE + o] = xt_pattern(1, 1, o);

	seg[0].dest.foreign.offset = 1;
	errno = 0;
	check(ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &gc) == -1 && errno == EINVAL,
	      "page-crossing grant side -> EINVAL");
	seg[0].flags = 0;
	errno = 0;
	check(ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &gc) == -1 && errno == EINVAL,
	      "both local -> EINVAL");

	check(munmap(mem, 2 * PAGE) == 0, "munmap");
	un.index = map.m.index;
	un.count = 2;
	check(ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &un) == 0, "UNMAP_GRANT_REF");
	errno = 0;
	check(ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &un) == -1 && errno == ENOENT,
	      "second UNMAP_GRANT_REF -> ENOENT");
	close(fd);
	return 0;
}
