// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-diag - why an export failed, under dynamic debug.
 *
 * With `module xen_gntdev +p` written to dynamic_debug/control, a
 * refused EXP_FROM_REFS logs its reason: a bad ref names the ref, its
 * index and the GNTST status; a malformed request names the check
 * (count 0, reserved domid, unknown flag bits).  With the messages off
 * again (the default), the same failures log nothing: no caller can
 * flood the log.  The errno is EINVAL either way.
 */
#define _GNU_SOURCE
#include "dmabuf-util.h"

#define NPAGES 4
#define CONTROL "/sys/kernel/debug/dynamic_debug/control"

static uint32_t refs[NPAGES];

static int control(const char *cmd)
{
	FILE *f = fopen(CONTROL, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(cmd, f) < 0 ? -1 : 0;
	if (fclose(f))
		ret = -1;
	return ret;
}

/* The kernel log from now on: /dev/kmsg, read position at its end. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Whether a record written since kmsg_open() contains @what. */
static bool kmsg_has(int fd, const char *what)
{
	char rec[2048];
	bool found = false;
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		if (strstr(rec, "xen-gntdev: ") && strstr(rec, what)) {
			xt_diag("log: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
			found = true;
		}
	}
	return found;
}

static int export_bad(int gfd, int domid, uint32_t flags, uint32_t count,
		      uint32_t bad_index)
{
	uint32_t r[NPAGES];

	memcpy(r, refs, sizeof(r));
	if (bad_index < NPAGES)
		r[bad_index] = 0x7fffff00;
	return dmb_export(gfd, flags, (uint32_t)domid, count, r, NULL);
}

int main(void)
{
	struct gt_stats base;
	struct xt_peer peer;
	char want[96];
	int gfd, kfd, ret;

	gt_require_ours();
	gfd = dmb_begin(&peer, NPAGES, refs, &base);
	kfd = kmsg_open();
	if (kfd < 0 || control("module xen_gntdev +p"))
		xt_skip_all("no /dev/kmsg or dynamic debug control");

	ret = export_bad(gfd, peer.domid, 0, NPAGES, 2);
	xt_ok(ret == EINVAL, "a bad ref at index 2: EINVAL (%s)", strerror(ret));
	snprintf(want, sizeof(want), "ref %u (index 2) failed, GNTST", 0x7fffff00);
	xt_ok(kmsg_has(kfd, want), "the log names the ref, its index and the GNTST status");
	ret = export_bad(gfd, peer.domid, 0, 0, NPAGES);
	xt_ok(ret == EINVAL && kmsg_has(kfd, "count 0"),
	      "count 0: EINVAL, and the log says \"count 0\"");
	ret = export_bad(gfd, 0x7ff0, 0, NPAGES, NPAGES);
	xt_ok(ret == EINVAL && kmsg_has(kfd, "reserved domid"),
	      "domid 0x7ff0: EINVAL, and the log says \"reserved domid\"");
	ret = export_bad(gfd, peer.domid, 0x100, NPAGES, NPAGES);
	xt_ok(ret == EINVAL && kmsg_has(kfd, "unknown flag bits"),
	      "flag 0x100: EINVAL, and the log says \"unknown flag bits\"");

	xt_ok(control("module xen_gntdev -p") == 0, "dynamic debug off again");
	ret = export_bad(gfd, peer.domid, 0, NPAGES, 1);
	xt_ok(ret == EINVAL && !kmsg_has(kfd, "failed, GNTST"),
	      "off (the default), the same failure logs nothing");
	close(kfd);
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(gfd);
	gt_stats_check(&base, GT_SET_DMABUF, "after the refusals");
	return xt_exit();
}
