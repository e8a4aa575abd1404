// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib-probe - libgnttab-ext's gntext_probe() against the module that is
 * loaded: ours (version "xgd-*") must answer ours = 1 with exactly the
 * capabilities of the device's features attribute for this dom0
 * flavour, the module's version and srcversion; Debian's stock module
 * (GNTDEV=stock) must answer "stock, nothing of ours": ours = 0, caps 0.
 * Either way the dom0 flavour is the one /sys/hypervisor says, and
 * gntext_open_fd() works on an fd opened by hand and on libxengnttab's
 * (xengnttab_fd()), and refuses /dev/null (ENOTTY).
 */
#define _GNU_SOURCE
#include <gnttab-ext.h>
#include <xengnttab.h>

#include "dmabuf-util.h"

/* A sysfs file's first line, without the newline; "" if none. */
static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)len, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

int main(void)
{
	const uint32_t every = GNTEXT_CAP_EXPORT | GNTEXT_CAP_EXPORT_V2 |
			       GNTEXT_CAP_WAIT_RELEASED |
			       GNTEXT_CAP_RELEASE_EVENTS | GNTEXT_CAP_IMPORT |
			       GNTEXT_CAP_IMPORT_V2;
	const uint32_t contig = GNTEXT_CAP_CONTIG_WC |
				GNTEXT_CAP_CONTIG_COHERENT;
	char version[64], srcversion[64];
	struct gntext_caps caps;
	bool pv = gt_dom0_is_pv(), ours;
	struct gntext_handle *h, *h2;
	xengnttab_handle *xgt;
	int fd, err;

	read_line("/sys/module/xen_gntdev/version", version, sizeof(version));
	read_line("/sys/module/xen_gntdev/srcversion", srcversion,
		  sizeof(srcversion));
	ours = !strncmp(version, "xgd-", 4);
	xt_diag("module: version '%s' srcversion '%s' (%s)", version,
		srcversion, ours ? "ours" : "stock");

	h = gntext_open(0);
	if (!XT_CHECK(h, "gntext_open (%s)", h ? "ok" : strerror(errno)))
		return xt_exit();
	xt_ok(gntext_probe(h, &caps) == 0, "gntext_probe succeeds");
	xt_diag("probe: ours %d stock_dmabuf_ioctls %d caps %#x dom0 %d version '%s'",
		caps.ours, caps.stock_dmabuf_ioctls, caps.caps, caps.dom0,
		caps.version);
	xt_ok(caps.dom0 == (pv ? GNTEXT_DOM0_PV : GNTEXT_DOM0_PVH),
	      "the dom0 flavour is %s", pv ? "PV" : "PVH");
	if (ours) {
		xt_ok(caps.ours == 1, "our module: ours = 1");
		xt_ok(caps.caps == (every | (pv ? 0 : contig)),
		      "our module: caps %#x, want %#x", caps.caps,
		      every | (pv ? 0 : contig));
		xt_ok(!strcmp(caps.version, version) &&
		      !strcmp(caps.srcversion, srcversion),
		      "our module: version %s, srcversion %s", caps.version,
		      caps.srcversion);
	} else {
		xt_ok(caps.ours == 0 && caps.caps == 0,
		      "stock module: ours = 0, caps = 0 (nothing of ours)");
		xt_diag("stock module %s the dma-buf ioctls",
			caps.stock_dmabuf_ioctls ? "answers" : "lacks");
	}
	for (uint32_t bit = 1; bit <= GNTEXT_CAP_CONTIG_COHERENT; bit <<= 1)
		if (!gntext_cap_name(bit))
			xt_diag("no name for cap %#x", bit);
	xt_ok(!strcmp(gntext_cap_name(GNTEXT_CAP_RELEASE_EVENTS) ?: "",
		      "release-events"), "cap names are the features words");

	fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	h2 = fd >= 0 ? gntext_open_fd(fd) : NULL;
	if (XT_CHECK(h2, "gntext_open_fd on an fd opened by hand (%s)",
		     h2 ? "ok" : strerror(errno))) {
		struct gntext_caps c2;

		xt_ok(gntext_probe(h2, &c2) == 0 && c2.ours == caps.ours &&
		      c2.caps == caps.caps, "it probes the same");
		xt_ok(gntext_close(h2) == 0 && fcntl(fd, F_GETFD) >= 0,
		      "gntext_close leaves the caller's fd open");
	}
	if (fd >= 0)
		close(fd);
	/* The fd of Debian's libxengnttab, as a backend already has it. */
	xgt = xengnttab_open(NULL, 0);
	h2 = xgt ? gntext_open_fd(xengnttab_fd(xgt)) : NULL;
	if (XT_CHECK(h2, "gntext_open_fd on xengnttab_fd() (%s)",
		     h2 ? "ok" : strerror(errno))) {
		struct gntext_caps c2;

		xt_ok(gntext_probe(h2, &c2) == 0 && c2.caps == caps.caps,
		      "it probes the same");
		gntext_close(h2);
	}
	if (xgt)
		xt_ok(xengnttab_close(xgt) == 0,
		      "libxengnttab closes its own fd afterwards");
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	errno = 0;
	h2 = gntext_open_fd(fd);
	err = errno;
	xt_ok(!h2 && err == ENOTTY, "gntext_open_fd on /dev/null: ENOTTY (%s)",
	      strerror(err));
	close(fd);
	xt_ok(gntext_close(h) == 0, "gntext_close");
	return xt_exit();
}
