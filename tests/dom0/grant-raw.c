// SPDX-License-Identifier: GPL-2.0-only
/*
 * grant-raw - a domU grants pages; dom0 maps them with raw gntdev ioctls
 * and mmap, and data is verified in both directions.
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

/* First offset where @mem differs from pattern @seed, or -1. */
static long mismatch(const uint8_t *mem, uint32_t seed)
{
	for (unsigned int p = 0; p < NPAGES; p++)
		for (unsigned int o = 0; o < PAGE; o++)
			if (mem[p * PAGE + o] != xt_pattern(seed, p, o))
				return (long)(p * PAGE + o);
	return -1;
}

int main(void)
{
	struct ioctl_gntdev_map_grant_ref *map;
	struct ioctl_gntdev_unmap_grant_ref unmap = { 0 };
	uint32_t refs[NPAGES];
	struct xt_peer peer;
	uint8_t *mem;
	char *rep;
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
	for (int i = 0; i < NPAGES; i++) {
		map->refs[i].domid = peer.domid;
		map->refs[i].ref = refs[i];
	}
	xt_ok(ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, map) == 0,
	      "MAP_GRANT_REF of %d refs", NPAGES);
	mem = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, map->index);
	if (!XT_CHECK(mem != MAP_FAILED, "mmap of the granted range"))
		xt_fatal("cannot continue without the mapping");

	xt_ok(mismatch(mem, 1) < 0, "dom0 reads the bytes the domU wrote");
	for (unsigned int p = 0; p < NPAGES; p++)
		for (unsigned int o = 0; o < PAGE; o++)
			mem[p * PAGE + o] = xt_pattern(2, p, o);
	rep = xt_peer_call(&peer, 10000, "check 2");
	xt_ok(rep && !strcmp(rep, "ok"), "domU reads the bytes dom0 wrote (%s)",
	      rep ? rep : "no answer");
	free(rep);
	rep = xt_peer_call(&peer, 10000, "fill 3");
	xt_ok(rep && !strcmp(rep, "ok") && mismatch(mem, 3) < 0,
	      "a later domU write is seen through the same mapping");
	free(rep);

	xt_ok(munmap(mem, NPAGES * PAGE) == 0, "munmap");
	unmap.index = map->index;
	unmap.count = NPAGES;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap) == 0,
	      "UNMAP_GRANT_REF");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	free(map);
	close(fd);
	return xt_exit();
}
