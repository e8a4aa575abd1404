// SPDX-License-Identifier: GPL-2.0-only
/*
 * test-probe - host tests of src/probe.c: the "features" word parser,
 * gntext_cap_name(), and gntext_probe() against a fake sysfs tree built
 * in a temporary directory (the internal gntext__probe_root() hook),
 * with /dev/null standing in for the gntdev device (char 1:3; it answers
 * every ioctl ENOTTY, so the stock probe says "no dma-buf ioctls").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"
#include "tap.h"

#define ALL_CAPS 0xffu

static char root[64];

static uint32_t parse(const char *s)
{
	return gntext__parse_features(s, strlen(s));
}

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static void rm(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
}

static void mkdirs(const char *rel)
{
	char path[512], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static void test_parser(void)
{
	static const char nul[] = "export\0import";
	static const char all[] = "export export-v2 wait-released release-events\t"
				  "import import-v2 contig-wc contig-coherent\n";

	tap_ok(parse("") == 0, "features: empty text");
	tap_ok(parse("\n") == 0, "features: an empty line");
	tap_ok(parse("\n\n  \t\n") == 0, "features: blank lines");
	tap_ok(parse(all) == ALL_CAPS,
	       "features: every word");
	tap_ok(parse("export") == GNTEXT_CAP_EXPORT,
	       "features: one word, no newline");
	tap_ok(parse("frobnicate export  zap-v9\timport\n\nexport-v2\n") ==
	       (GNTEXT_CAP_EXPORT | GNTEXT_CAP_IMPORT | GNTEXT_CAP_EXPORT_V2),
	       "features: unknown words ignored, tabs, empty lines");
	tap_ok(parse("exportx export- xexport EXPORT importv2") == 0,
	       "features: no prefix, suffix or case match");
	tap_ok(parse("release-events release-events") ==
	       GNTEXT_CAP_RELEASE_EVENTS, "features: a repeated word");
	tap_ok(gntext__parse_features(nul, sizeof(nul)) ==
	       GNTEXT_CAP_EXPORT, "features: stops at a NUL");
	tap_ok(gntext__parse_features("export import", 6) ==
	       GNTEXT_CAP_EXPORT, "features: stops at the length");
	tap_ok(gntext__parse_features("export", 5) == 0,
	       "features: a word cut by the length is not the word");
}

static void test_names(void)
{
	uint32_t bit, all = 0;
	const char *n;
	int i, good = 1;

	for (i = 0; i < 8; i++) {
		bit = 1u << i;
		n = gntext_cap_name(bit);
		if (!n || parse(n) != bit)
			good = 0;
		all |= bit;
	}
	tap_ok(good && all == ALL_CAPS,
	       "cap names: each of the 8 bits names its features word");
	tap_ok(!strcmp(gntext_cap_name(GNTEXT_CAP_RELEASE_EVENTS),
		       "release-events") &&
	       !strcmp(gntext_cap_name(GNTEXT_CAP_CONTIG_COHERENT),
		       "contig-coherent"),
	       "cap names: release-events, contig-coherent");
	tap_ok(!gntext_cap_name(0) && !gntext_cap_name(1u << 8) &&
	       !gntext_cap_name(3) && !gntext_cap_name(1u << 31),
	       "cap names: 0, unknown and multi-bit values are NULL");
}

static void test_probe(void)
{
	static const char long_line[] =
		"0123456789012345678901234567890123456789012345678901234567890123456789 trailing\n";
	struct gntext_caps c;
	struct stat st;
	char rel[128];
	int fd;

	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		tap_ok(0, "probe: open /dev/null");
		return;
	}
	snprintf(rel, sizeof(rel), "sys/dev/char/%u:%u", major(st.st_rdev),
		 minor(st.st_rdev));
	mkdirs(rel);
	mkdirs("sys/module/xen_gntdev");
	mkdirs("sys/hypervisor");
	strncat(rel, "/features", sizeof(rel) - strlen(rel) - 1);

	put(rel, "export wait-released frobnicate release-events\n");
	put("sys/module/xen_gntdev/version", "xgd-0.9.1\n");
	put("sys/module/xen_gntdev/srcversion", "0123456789ABCDEF01234\n");
	put("sys/hypervisor/guest_type", "PVH\n");
	memset(&c, 0x5a, sizeof(c));
	tap_ok(gntext__probe_root(fd, root, &c) == 0 && c.ours == 1 &&
	       c.stock_dmabuf_ioctls == 0 &&
	       c.caps == (GNTEXT_CAP_EXPORT | GNTEXT_CAP_WAIT_RELEASED |
			  GNTEXT_CAP_RELEASE_EVENTS) &&
	       c.dom0 == GNTEXT_DOM0_PVH && !strcmp(c.version, "xgd-0.9.1") &&
	       !strcmp(c.srcversion, "0123456789ABCDEF01234"),
	       "probe: ours, features, PVH, version, srcversion");
	tap_ok(gntext__read_caps(fd, root) == c.caps,
	       "probe: read_caps agrees");

	put(rel, "");
	tap_ok(gntext__probe_root(fd, root, &c) == 0 && c.ours == 1 &&
	       c.caps == 0, "probe: an empty features file is ours, no caps");

	rm(rel);
	put("sys/hypervisor/guest_type", "PV\n");
	memset(&c, 0x5a, sizeof(c));
	tap_ok(gntext__probe_root(fd, root, &c) == 0 && c.ours == 0 &&
	       c.caps == 0 && c.stock_dmabuf_ioctls == 0 &&
	       c.dom0 == GNTEXT_DOM0_PV && !strcmp(c.version, "xgd-0.9.1"),
	       "probe: no features file is stock; ENOTTY: no dma-buf ioctls");
	tap_ok(gntext__read_caps(fd, root) == 0, "probe: stock read_caps 0");

	put("sys/hypervisor/guest_type", "HVM");
	tap_ok(gntext__probe_root(fd, root, &c) == 0 &&
	       c.dom0 == GNTEXT_DOM0_HVM, "probe: HVM without a newline");
	put("sys/hypervisor/guest_type", "PVHX\n");
	tap_ok(gntext__probe_root(fd, root, &c) == 0 &&
	       c.dom0 == GNTEXT_DOM0_UNKNOWN, "probe: unknown guest type");
	rm("sys/hypervisor/guest_type");
	rm("sys/module/xen_gntdev/version");
	put("sys/module/xen_gntdev/srcversion", long_line);
	tap_ok(gntext__probe_root(fd, root, &c) == 0 &&
	       c.dom0 == GNTEXT_DOM0_UNKNOWN && c.version[0] == '\0' &&
	       strlen(c.srcversion) == 63,
	       "probe: absent files are UNKNOWN and \"\", long lines cut");
	rm("sys/module/xen_gntdev/srcversion");

	tap_ok(tap_fails(gntext__probe_root(fd, root, NULL), EINVAL),
	       "probe: NULL caps is EINVAL");
	tap_ok(tap_fails(gntext_probe(NULL, &c), EINVAL),
	       "probe: NULL handle is EINVAL");
	close(fd);
	tap_ok(tap_fails(gntext__probe_root(fd, root, &c), EBADF),
	       "probe: a closed fd is EBADF");
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/gntext-probe.XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 2;
	}
	test_parser();
	test_names();
	test_probe();
	cleanup();
	return tap_done();
}
