// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-scanout - zero-copy scanout of a guest's framebuffer.
 *
 * The domU draws xt_picture() into 768 pages it grants to dom0 (a 1024x768
 * XRGB8888 framebuffer).  dom0 exports the grants as a dma-buf
 * (DMABUF_EXP_FROM_REFS), imports it into the cirrus DRM driver
 * (PRIME_FD_TO_HANDLE), makes it a framebuffer and scans it out, then asks
 * the host for a screenshot ("# xt-screenshot"), which the host compares
 * with the picture pixel for pixel.  No byte of the picture is copied by
 * dom0.  Afterwards every reference is dropped and the buffer must be
 * released (WAIT_RELEASED answers 0) with the leak counters at baseline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dmabuf-util.h"
#include <drm_fourcc.h>
#include <drm_mode.h>

#define W 1024
#define H 768
#define NPAGES (W * H * 4 / 4096)

/* Find a connected connector with a WxH mode and a CRTC that can drive it. */
static int find_output(int drm, uint32_t *conn_id, uint32_t *crtc_id,
		       struct drm_mode_modeinfo *mode)
{
	struct drm_mode_card_res res = { 0 };
	uint32_t conns[8], crtcs[8];

	if (ioctl(drm, DRM_IOCTL_MODE_GETRESOURCES, &res))
		return -1;
	if (res.count_connectors > 8 || res.count_crtcs > 8 ||
	    !res.count_crtcs)
		return -1;
	memset(&res, 0, sizeof(res));
	res.connector_id_ptr = (uintptr_t)conns;
	res.crtc_id_ptr = (uintptr_t)crtcs;
	res.count_connectors = 8;
	res.count_crtcs = 8;
	if (ioctl(drm, DRM_IOCTL_MODE_GETRESOURCES, &res))
		return -1;
	for (unsigned int c = 0; c < res.count_connectors; c++) {
		struct drm_mode_get_connector gc = { .connector_id = conns[c] };
		struct drm_mode_modeinfo modes[64];

		if (ioctl(drm, DRM_IOCTL_MODE_GETCONNECTOR, &gc) ||
		    gc.connection != 1 || gc.count_modes > 64)
			continue;
		memset(&gc, 0, sizeof(gc));
		gc.connector_id = conns[c];
		gc.modes_ptr = (uintptr_t)modes;
		gc.count_modes = 64;
		if (ioctl(drm, DRM_IOCTL_MODE_GETCONNECTOR, &gc))
			continue;
		for (unsigned int m = 0; m < gc.count_modes && m < 64; m++) {
			if (modes[m].hdisplay == W && modes[m].vdisplay == H) {
				*conn_id = conns[c];
				*crtc_id = crtcs[0];
				*mode = modes[m];
				return 0;
			}
		}
	}
	return -1;
}

int main(void)
{
	struct ioctl_gntdev_dmabuf_exp_from_refs *exp;
	struct ioctl_gntdev_dmabuf_exp_wait_released wait = { 0 };
	struct drm_prime_handle prime = { 0 };
	struct drm_mode_fb_cmd2 fb = { 0 };
	struct drm_mode_crtc crtc = { 0 };
	struct drm_gem_close gclose = { 0 };
	struct drm_mode_modeinfo mode;
	uint32_t refs[NPAGES], conn_id, crtc_id;
	long exports0, grants0;
	struct xt_peer peer;
	int gnt, drm, buf;
	char *rep;

	if (xt_domu_id() < 0)
		xt_skip_all("no domU");
	drm = dmb_find_drm("cirrus");
	if (drm < 0)
		xt_skip_all("no cirrus DRM device (QEMU -vga cirrus)");
	gnt = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	if (gnt < 0)
		xt_fatal("open /dev/xen/gntdev: %m");
	if (find_output(drm, &conn_id, &crtc_id, &mode))
		xt_skip_all("cirrus offers no connected %dx%d output", W, H);

	exports0 = xt_gntdev_stat("dmabuf_exports");
	grants0 = xt_gntdev_stat("dmabuf_grants");
	if (xt_grant_peer(&peer, NPAGES, "", refs, NULL))
		xt_fatal("no grants from the domU");
	rep = xt_peer_call(&peer, 30000, "draw %d %d", W, H);
	xt_ok(rep && !strcmp(rep, "ok"), "the domU draws the picture into %d granted pages",
	      NPAGES);
	free(rep);

	exp = calloc(1, sizeof(*exp) + (NPAGES - 1) * sizeof(exp->refs[0]));
	if (!exp)
		xt_fatal("out of memory");
	exp->count = NPAGES;
	exp->domid = peer.domid;
	memcpy(exp->refs, refs, sizeof(refs));
	if (ioctl(gnt, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, exp)) {
		if (errno == ENOTTY) {
			xt_peer_finish(&peer);
			xt_skip_all("this gntdev has no dma-buf export (ENOTTY)");
		}
		xt_fatal("DMABUF_EXP_FROM_REFS: %m");
	}
	buf = exp->fd;
	xt_ok(buf >= 0, "the grants are exported as dma-buf fd %d", buf);

	prime.fd = buf;
	if (!XT_CHECK(!ioctl(drm, DRM_IOCTL_PRIME_FD_TO_HANDLE, &prime),
		      "cirrus imports the dma-buf (PRIME_FD_TO_HANDLE: %s)",
		      strerror(errno)))
		goto release;
	fb.width = W;
	fb.height = H;
	fb.pixel_format = DRM_FORMAT_XRGB8888;
	fb.handles[0] = prime.handle;
	fb.pitches[0] = W * 4;
	if (!XT_CHECK(!ioctl(drm, DRM_IOCTL_MODE_ADDFB2, &fb),
		      "the imported buffer becomes a %dx%d XRGB8888 framebuffer",
		      W, H))
		goto close_handle;
	crtc.crtc_id = crtc_id;
	crtc.fb_id = fb.fb_id;
	crtc.set_connectors_ptr = (uintptr_t)&conn_id;
	crtc.count_connectors = 1;
	crtc.mode = mode;
	crtc.mode_valid = 1;
	if (XT_CHECK(!ioctl(drm, DRM_IOCTL_MODE_SETCRTC, &crtc),
		     "cirrus scans the guest's framebuffer out")) {
		/* The host compares its screenshot with the picture. */
		printf("# xt-screenshot scanout %d %d\n", W, H);
		fflush(stdout);
		sleep(5);
		memset(&crtc, 0, sizeof(crtc));
		crtc.crtc_id = crtc_id;
		xt_ok(!ioctl(drm, DRM_IOCTL_MODE_SETCRTC, &crtc),
		      "the CRTC is turned off");
	}
	xt_ok(!ioctl(drm, DRM_IOCTL_MODE_RMFB, &fb.fb_id), "RMFB");
close_handle:
	gclose.handle = prime.handle;
	xt_ok(!ioctl(drm, DRM_IOCTL_GEM_CLOSE, &gclose), "GEM_CLOSE");
release:
	close(buf);
	wait.fd = buf;
	wait.wait_to_ms = 5000;
	xt_ok(!ioctl(gnt, IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED, &wait) ||
	      errno == ENOENT, "the buffer is released once cirrus lets go");
	xt_ok(xt_gntdev_stat("dmabuf_exports") == exports0 &&
	      xt_gntdev_stat("dmabuf_grants") == grants0,
	      "export counters are back at baseline");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	free(exp);
	close(drm);
	close(gnt);
	return xt_exit();
}
