// SPDX-License-Identifier: GPL-2.0-only
/*
 * map-refs - domU peer: maps grants dom0 made (DMABUF_IMP_TO_REFS) with
 * the domU's own, stock xen-gntdev, and answers checks on them.
 *
 *	map-refs NPAGES [hold]
 *
 * Waits for dom0 to write the refs into its XT_DIR as refs/K (256 a key,
 * space separated, as grant-pages publishes them), maps them writable
 * from domain 0 (MAP_GRANT_REF + mmap), then sets "ready" to "1", or to
 * "error ERRNO" if the map failed.  Serves requests (xt_peer_call) until
 * "exit":
 *	check SEED	"ok" if every page holds pattern SEED, else
 *			"bad PAGE OFF GOT WANT"
 *	fill SEED	writes pattern SEED, "ok"
 *	unmap		munmap() and UNMAP_GRANT_REF: dom0 may revoke now, "ok"
 *	exit		"ok", unmaps on exit
 * With "hold" the program never gives up waiting for requests: it keeps
 * the grants mapped until the domU is destroyed (the post-suite check
 * of a release deferred by a dying peer).
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

#include "xt.h"	/* first: defines domid_t for <xen/gntdev.h> */
#include <xen/gntdev.h>

#define PAGE 4096u

static uint8_t *mem;
static unsigned int npages;
static int gfd = -1;
static uint64_t gindex;

static char *do_check(uint32_t seed)
{
	char *rep;

	for (unsigned int p = 0; p < npages; p++)
		for (unsigned int o = 0; o < PAGE; o++) {
			uint8_t want = xt_pattern(seed, p, o);

			if (mem[p * PAGE + o] == want)
				continue;
			if (asprintf(&rep, "bad %u %u %u %u", p, o,
				     mem[p * PAGE + o], want) < 0)
				return NULL;
			return rep;
		}
	return strdup("ok");
}

/* Read the refs dom0 wrote into @m; 0 or -1. */
static int read_refs(struct ioctl_gntdev_map_grant_ref *m)
{
	unsigned int i = 0;

	for (unsigned int k = 0; i < npages; k++) {
		char key[32], *list, *pos, *end;

		snprintf(key, sizeof(key), "refs/%u", k);
		list = xt_self_get(key, 30000);
		if (!list)
			return -1;
		for (pos = list; i < npages; i++, pos = end) {
			m->refs[i].domid = 0;
			m->refs[i].ref = strtoul(pos, &end, 10);
			if (end == pos)
				break;
		}
		free(list);
	}
	return 0;
}

/* Map the refs; 0 or an errno. */
static int map_refs(void)
{
	struct ioctl_gntdev_map_grant_ref *m;
	int err = 0;

	m = calloc(1, sizeof(*m) + npages * sizeof(m->refs[0]));
	if (!m)
		xt_fatal("out of memory");
	m->count = npages;
	if (read_refs(m))
		xt_fatal("dom0 wrote no refs");
	gfd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	if (gfd < 0)
		xt_fatal("open /dev/xen/gntdev: %m");
	if (ioctl(gfd, IOCTL_GNTDEV_MAP_GRANT_REF, m)) {
		err = errno;
		goto out;
	}
	gindex = m->index;
	mem = mmap(NULL, (size_t)npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED, gfd, gindex);
	if (mem == MAP_FAILED) {
		err = errno;
		mem = NULL;
	}
out:
	free(m);
	return err;
}

static void do_unmap(void)
{
	struct ioctl_gntdev_unmap_grant_ref u = {
		.index = gindex, .count = npages,
	};

	if (!mem)
		return;
	munmap(mem, (size_t)npages * PAGE);
	mem = NULL;
	if (ioctl(gfd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u))
		xt_diag("UNMAP_GRANT_REF: %m");
}

static char *serve(const char *req)
{
	unsigned int a;

	if (!strcmp(req, "unmap")) {
		do_unmap();
		return strdup("ok");
	}
	if (!mem)
		return strdup("unmapped");
	if (sscanf(req, "check %u", &a) == 1)
		return do_check(a);
	if (sscanf(req, "fill %u", &a) == 1) {
		for (unsigned int p = 0; p < npages; p++)
			for (unsigned int o = 0; o < PAGE; o++)
				mem[p * PAGE + o] = xt_pattern(a, p, o);
		return strdup("ok");
	}
	return strdup("bad-request");
}

int main(int argc, char **argv)
{
	bool hold = argc > 2 && !strcmp(argv[2], "hold");
	int err;

	npages = argc < 2 ? 0 : atoi(argv[1]);
	if (!npages || npages > 8192)
		xt_fatal("usage: map-refs NPAGES [hold]");
	err = map_refs();
	if (err)
		xt_self_put("ready", "error %d", err);
	else
		xt_self_put("ready", "1");

	xt_self_serve(serve, hold);
	do_unmap();
	close(gfd);
	return 0;
}
