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
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/gntdev.h>

#include "xt.h"

#define NPAGES 4
#define PAGE 4096u
#define CYCLES 1000

/* One cycle; returns NULL or what went wrong. */
static const char *cycle(int fd, struct ioctl_gntdev_map_grant_ref *map,
			 unsigned int i)
{
	struct ioctl_gntdev_unmap_grant_ref unmap = { .count = NPAGES };
	const char *err = NULL;
	uint8_t *mem;

	if (ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, map))
		return "MAP_GRANT_REF failed";
	mem = mmap(NULL, NPAGES * PAGE, PROT_READ, MAP_SHARED, fd, map->index);
	if (mem == MAP_FAILED) {
		err = "mmap failed";
	} else {
		for (unsigned int p = 0; p < NPAGES && !err; p++) {
			unsigned int o = (i * 61 + p * 7) % PAGE;

			if (mem[p * PAGE + o] != xt_pattern(1, p, o))
				err = "a page does not hold the domU's bytes";
		}
		if (munmap(mem, NPAGES * PAGE) && !err)
			err = "munmap failed";
	}
	unmap.index = map->index;
	if (ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap) && !err)
		err = "UNMAP_GRANT_REF failed";
	return err;
}

int main(void)
{
	struct ioctl_gntdev_map_grant_ref *map;
	uint32_t refs[NPAGES];
	struct xt_peer peer;
	unsigned int i, fails = 0;
	uint64_t t0;
	int fd;

	if (xt_domu_id() < 0)
		xt_skip_all("no domU");
	fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		xt_fatal("open /dev/xen/gntdev: %m");
	if (xt_grant_peer(&peer, NPAGES, "", refs, NULL))
		xt_fatal("no grants from the domU");
	map = calloc(1, sizeof(*map) + (NPAGES - 1) * sizeof(map->refs[0]));
	if (!map)
		xt_fatal("out of memory");
	map->count = NPAGES;
	for (i = 0; i < NPAGES; i++) {
		map->refs[i].domid = peer.domid;
		map->refs[i].ref = refs[i];
	}

	t0 = xt_now_ms();
	for (i = 0; i < CYCLES; i++) {
		const char *err = cycle(fd, map, i);

		if (err && !fails++)
			xt_diag("cycle %u: %s", i, err);
	}
	xt_diag("%d cycles in %llu ms", CYCLES,
		(unsigned long long)(xt_now_ms() - t0));
	xt_ok(fails == 0, "%d map/read/unmap cycles read the domU's bytes (%u failed)",
	      CYCLES, fails);
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	free(map);
	close(fd);
	return xt_exit();
}
