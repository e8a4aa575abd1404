// SPDX-License-Identifier: GPL-2.0-only
/*
 * grant-pages - domU peer: grants pages to dom0 and answers checks on them.
 *
 *	grant-pages NPAGES [ro] [evtchn] [dir]
 *
 * Allocates NPAGES pages with /dev/xen/gntalloc, granted to dom0 writable
 * (read-only with "ro"), fills them with xt_pattern(1, ...), and publishes
 * in its XT_DIR:
 *	refs/K	the grant references, space separated, 256 per key (a
 *		xenstore value holds at most 4 KiB): refs/0 has refs 0-255...
 *	port	(with "evtchn") an unbound event channel port for dom0
 *	dir	(with "dir") the first ref of a displif page directory of the
 *		NPAGES refs (ceil(NPAGES / 1023) directory pages, granted
 *		read-only, plus one spare page for hostile chains)
 *	ready	"1" once all of the above is in place
 * Then it serves requests (xt_peer_call) until "exit":
 *	check SEED		"ok" if every page holds pattern SEED, else
 *				"bad PAGE OFF GOT WANT"
 *	fill SEED		writes pattern SEED, "ok"
 *	byte PAGE OFF		"VALUE" (decimal)
 *	setbyte PAGE OFF VAL	"ok"
 *	wait-event MS PAGE OFF	waits up to MS for an event on the port, then
 *				"event VALUE" with the byte at PAGE/OFF read
 *				right after the event, or "timeout"
 *	draw W H		draws xt_picture() as a W x H XRGB8888 image
 *				(pitch W * 4) from the first byte, "ok"
 *	dirmode MODE		(with "dir") rewrites the directory: "good", or
 *				a hostile chain: "loop" (the last page links
 *				to the first), "short" (the first page ends
 *				the chain), "long" (the last page links on to
 *				the spare page), "zero" (data ref 5 is 0),
 *				"badref" (the first page links to a ref never
 *				granted); "ok"
 *	exit			"ok"; pages and grants are released on exit
 * Lifetime: the grants live as long as this process's gntalloc file and
 * mapping; dom0 may still map them after exit (gntalloc defers the free).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xt.h"	/* first: defines domid_t for <xen/evtchn.h> */
#include <xen/evtchn.h>
#include <xen/gntalloc.h>

#define PAGE 4096u

static uint8_t *mem;
static unsigned int npages;
static int evtchn_fd = -1;

/* The page directory ("dir"): ndir pages and a spare one after them. */
#define DIR_REFS (PAGE / 4 - 1)
static uint32_t *dir;
static uint32_t *dir_refs;
static const uint32_t *data_refs;
static unsigned int ndir;

/* Write the directory as displif has it, then break it as @mode says. */
static bool dir_write(const char *mode)
{
	uint32_t *page;

	memset(dir, 0, (size_t)(ndir + 1) * PAGE);
	for (unsigned int i = 0; i < npages; i++)
		dir[(i / DIR_REFS) * (PAGE / 4) + 1 + i % DIR_REFS] =
			data_refs[i];
	for (unsigned int d = 0; d + 1 < ndir; d++)
		dir[d * (PAGE / 4)] = dir_refs[d + 1];
	page = dir + (ndir - 1) * (PAGE / 4);
	if (!strcmp(mode, "loop"))
		page[0] = dir_refs[0];
	else if (!strcmp(mode, "short"))
		dir[0] = 0;
	else if (!strcmp(mode, "long"))
		page[0] = dir_refs[ndir];
	else if (!strcmp(mode, "zero"))
		dir[1 + (npages > 5 ? 5 : 0)] = 0;
	else if (!strcmp(mode, "badref"))
		dir[0] = 0x7ffffff0;
	else if (strcmp(mode, "good"))
		return false;
	return true;
}

static char *do_check(uint32_t seed)
{
	char *rep;

	for (unsigned int p = 0; p < npages; p++)
		for (unsigned int o = 0; o < PAGE; o++) {
			uint8_t want = xt_pattern(seed, p, o);

			if (mem[p * PAGE + o] != want) {
				if (asprintf(&rep, "bad %u %u %u %u", p, o,
					     mem[p * PAGE + o], want) < 0)
					return NULL;
				return rep;
			}
		}
	return strdup("ok");
}

static void do_fill(uint32_t seed)
{
	for (unsigned int p = 0; p < npages; p++)
		for (unsigned int o = 0; o < PAGE; o++)
			mem[p * PAGE + o] = xt_pattern(seed, p, o);
}

static char *do_wait_event(int ms, unsigned int p, unsigned int o)
{
	struct pollfd pfd = { .fd = evtchn_fd, .events = POLLIN };
	unsigned int port;
	char *rep;

	if (evtchn_fd < 0 || poll(&pfd, 1, ms) != 1 ||
	    read(evtchn_fd, &port, sizeof(port)) != sizeof(port))
		return strdup("timeout");
	/* Read the byte first: the event must not overtake the clear. */
	if (asprintf(&rep, "event %u", mem[p * PAGE + o]) < 0)
		return NULL;
	if (write(evtchn_fd, &port, sizeof(port)) != sizeof(port))
		xt_diag("cannot unmask port %u", port);
	return rep;
}

static char *serve(const char *req)
{
	unsigned int a, b, c;
	int ms;

	if (sscanf(req, "check %u", &a) == 1)
		return do_check(a);
	if (sscanf(req, "fill %u", &a) == 1) {
		do_fill(a);
		return strdup("ok");
	}
	if (sscanf(req, "setbyte %u %u %u", &a, &b, &c) == 3 && a < npages &&
	    b < PAGE) {
		mem[a * PAGE + b] = (uint8_t)c;
		return strdup("ok");
	}
	if (sscanf(req, "byte %u %u", &a, &b) == 2 && a < npages && b < PAGE) {
		char *rep;

		return asprintf(&rep, "%u", mem[a * PAGE + b]) < 0 ? NULL : rep;
	}
	if (sscanf(req, "draw %u %u", &a, &b) == 2 && a && b &&
	    (uint64_t)a * b * 4 <= (uint64_t)npages * PAGE) {
		uint32_t *px = (uint32_t *)mem;

		for (unsigned int y = 0; y < b; y++)
			for (unsigned int x = 0; x < a; x++)
				px[y * a + x] = xt_picture(x, y, a, b);
		return strdup("ok");
	}
	if (!strncmp(req, "dirmode ", 8) && dir)
		return strdup(dir_write(req + 8) ? "ok" : "bad-request");
	if (sscanf(req, "wait-event %d %u %u", &ms, &a, &b) == 3 &&
	    a < npages && b < PAGE)
		return do_wait_event(ms, a, b);
	return strdup("bad-request");
}

int main(int argc, char **argv)
{
	struct ioctl_gntalloc_alloc_gref *alloc;
	char key[32];
	bool ro = false, want_evtchn = false, want_dir = false;
	char *refs;
	int fd;

	if (argc >= 2)
		npages = atoi(argv[1]);
	if (argc < 2 || npages == 0 || npages > 32768)
		xt_fatal("usage: grant-pages NPAGES [ro] [evtchn]");
	for (int i = 2; i < argc; i++) {
		ro |= !strcmp(argv[i], "ro");
		want_evtchn |= !strcmp(argv[i], "evtchn");
		want_dir |= !strcmp(argv[i], "dir");
	}

	fd = open("/dev/xen/gntalloc", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		xt_fatal("open /dev/xen/gntalloc: %m");
	alloc = calloc(1, sizeof(*alloc) + npages * sizeof(alloc->gref_ids[0]));
	refs = calloc(XT_REFS_PER_KEY, 12);
	if (!alloc || !refs)
		xt_fatal("out of memory");
	alloc->domid = 0;
	alloc->flags = ro ? 0 : GNTALLOC_FLAG_WRITABLE;
	alloc->count = npages;
	if (ioctl(fd, IOCTL_GNTALLOC_ALLOC_GREF, alloc))
		xt_fatal("IOCTL_GNTALLOC_ALLOC_GREF(%u): %m", npages);
	mem = mmap(NULL, (size_t)npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, alloc->index);
	if (mem == MAP_FAILED)
		xt_fatal("mmap gntalloc: %m");
	do_fill(1);

	if (want_evtchn) {
		struct ioctl_evtchn_bind_unbound_port bind = {
			.remote_domain = 0,
		};
		int port;

		evtchn_fd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
		if (evtchn_fd < 0)
			xt_fatal("open /dev/xen/evtchn: %m");
		port = ioctl(evtchn_fd, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &bind);
		if (port < 0)
			xt_fatal("IOCTL_EVTCHN_BIND_UNBOUND_PORT: %m");
		xt_self_put("port", "%d", port);
	}
	if (want_dir) {
		struct ioctl_gntalloc_alloc_gref *da;

		ndir = (npages + DIR_REFS - 1) / DIR_REFS;
		da = calloc(1, sizeof(*da) + (ndir + 1) * sizeof(da->gref_ids[0]));
		if (!da)
			xt_fatal("out of memory");
		da->domid = 0;
		da->count = ndir + 1;
		if (ioctl(fd, IOCTL_GNTALLOC_ALLOC_GREF, da))
			xt_fatal("IOCTL_GNTALLOC_ALLOC_GREF(%u): %m", ndir + 1);
		dir = mmap(NULL, (size_t)(ndir + 1) * PAGE,
			   PROT_READ | PROT_WRITE, MAP_SHARED, fd, da->index);
		if (dir == MAP_FAILED)
			xt_fatal("mmap gntalloc: %m");
		dir_refs = da->gref_ids;
		data_refs = alloc->gref_ids;
		dir_write("good");
		xt_self_put("dir", "%u", dir_refs[0]);
	}
	for (unsigned int k = 0; k * XT_REFS_PER_KEY < npages; k++) {
		size_t off = 0;

		for (unsigned int i = k * XT_REFS_PER_KEY;
		     i < npages && i < (k + 1) * XT_REFS_PER_KEY; i++)
			off += sprintf(refs + off, "%s%u", off ? " " : "",
				       alloc->gref_ids[i]);
		snprintf(key, sizeof(key), "refs/%u", k);
		xt_self_put(key, "%s", refs);
	}
	xt_self_put("ready", "1");

	xt_self_serve(serve, false);
	munmap(mem, (size_t)npages * PAGE);
	close(fd);
	free(alloc);
	free(refs);
	return 0;
}
