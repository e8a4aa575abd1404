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
 * In a PVH dom0 the same is done with a contiguous export
 * (GNTDEV_DMA_FLAG_WC, screenshot "scanout-wc").
 */
#define _GNU_SOURCE
#include <stdio.h>

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

struct output {
	uint32_t conn_id, crtc_id;
	struct drm_mode_modeinfo mode;
};

/*
 * Export the picture's grants with @flags, scan them out through cirrus
 * and have the host compare screenshot @shot with the picture; then let
 * go of everything.  ENOTTY and EOPNOTSUPP exports are returned, not
 * failed.
 */
static int scan_out(int gnt, int drm, const struct xt_peer *peer,
		    const uint32_t *refs, uint32_t flags, const char *shot,
		    const struct output *out)
{
	struct drm_mode_fb_cmd2 fb = { 0 };
	struct drm_mode_crtc crtc = { 0 };
	uint32_t conn_id = out->conn_id, handle = 0;
	int buf = -1, ret;

	ret = dmb_export(gnt, flags, peer->domid, NPAGES, refs, &buf);
	if (ret == ENOTTY || ret == EOPNOTSUPP)
		return ret;
	if (!XT_CHECK(!ret, "%s: the grants are exported as dma-buf fd %d (%s)",
		      shot, buf, strerror(ret)))
		return ret;

	ret = dmb_prime_import(drm, buf, &handle);
	if (!XT_CHECK(!ret, "%s: cirrus imports the dma-buf (PRIME_FD_TO_HANDLE: %s)",
		      shot, strerror(ret)))
		goto release;
	fb.width = W;
	fb.height = H;
	fb.pixel_format = DRM_FORMAT_XRGB8888;
	fb.handles[0] = handle;
	fb.pitches[0] = W * 4;
	if (!XT_CHECK(!ioctl(drm, DRM_IOCTL_MODE_ADDFB2, &fb),
		      "%s: the imported buffer becomes a %dx%d XRGB8888 framebuffer",
		      shot, W, H))
		goto close_handle;
	crtc.crtc_id = out->crtc_id;
	crtc.fb_id = fb.fb_id;
	crtc.set_connectors_ptr = (uintptr_t)&conn_id;
	crtc.count_connectors = 1;
	crtc.mode = out->mode;
	crtc.mode_valid = 1;
	if (XT_CHECK(!ioctl(drm, DRM_IOCTL_MODE_SETCRTC, &crtc),
		     "%s: cirrus scans the guest's framebuffer out", shot)) {
		/* The host compares its screenshot with the picture. */
		printf("# xt-screenshot %s %d %d\n", shot, W, H);
		fflush(stdout);
		sleep(5);
		memset(&crtc, 0, sizeof(crtc));
		crtc.crtc_id = out->crtc_id;
		xt_ok(!ioctl(drm, DRM_IOCTL_MODE_SETCRTC, &crtc),
		      "%s: the CRTC is turned off", shot);
	}
	xt_ok(!ioctl(drm, DRM_IOCTL_MODE_RMFB, &fb.fb_id), "%s: RMFB", shot);
close_handle:
	xt_ok(!dmb_gem_close(drm, handle), "%s: GEM_CLOSE", shot);
release:
	close(buf);
	ret = dmb_wait(gnt, buf, 5000);
	xt_ok(!ret || ret == ENOENT, "%s: the buffer is released once cirrus lets go",
	      shot);
	return 0;
}

int main(void)
{
	uint32_t refs[NPAGES];
	struct output out;
	struct gt_stats base;
	struct xt_peer peer;
	int gnt, drm, ret;
	char *rep;

	gt_need_domu();
	drm = dmb_find_drm("cirrus");
	if (drm < 0)
		xt_skip_all("no cirrus DRM device (QEMU -vga cirrus)");
	gnt = gt_open();
	if (find_output(drm, &out.conn_id, &out.crtc_id, &out.mode))
		xt_skip_all("cirrus offers no connected %dx%d output", W, H);

	gt_stats_read(&base);
	gt_grants(&peer, NPAGES, "", refs, NULL);
	rep = xt_peer_call(&peer, 30000, "draw %d %d", W, H);
	xt_ok(rep && !strcmp(rep, "ok"), "the domU draws the picture into %d granted pages",
	      NPAGES);
	free(rep);

	ret = scan_out(gnt, drm, &peer, refs, 0, "scanout", &out);
	if (ret == ENOTTY) {
		xt_peer_finish(&peer);
		xt_skip_all("this gntdev has no dma-buf export (ENOTTY)");
	}
	/* A contiguous buffer (PVH; a PV dom0 refuses it, dmabuf-contig). */
	ret = scan_out(gnt, drm, &peer, refs, GNTDEV_DMA_FLAG_WC, "scanout-wc",
		       &out);
	if (ret == EOPNOTSUPP)
		xt_skip(gt_dom0_is_pv() ? "PV dom0: no contiguous exports" :
			"EOPNOTSUPP", "scanout-wc: a contiguous export scans out");
	gt_stats_check(&base, GT_BIT(GT_DMABUF_EXPORTS) | GT_BIT(GT_DMABUF_GRANTS),
		       "once cirrus lets go (exports, grants)");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(drm);
	close(gnt);
	return xt_exit();
}
