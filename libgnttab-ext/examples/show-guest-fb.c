// SPDX-License-Identifier: LGPL-2.1-only
/*
 * show-guest-fb - show a guest's framebuffer on a dom0 display, zero-copy.
 *
 *	show-guest-fb DOMID WIDTH HEIGHT [SECONDS [CARD]] < refs
 *
 * Reads the grant refs of a WIDTH x HEIGHT XRGB8888 image (pitch WIDTH*4)
 * from stdin, scans them out on CARD (/dev/dri/card0) for SECONDS (5), then tears
 * everything down and says whether the guest's pages were let go.
 * Build: cc show-guest-fb.c $(pkg-config --cflags --libs libgnttab-ext)
 */
#define _POSIX_C_SOURCE 200809L	/* open(O_CLOEXEC), sleep() under -std=c11 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>
#include <gnttab-ext.h>

/* A connected connector with a w x h mode, and a CRTC one of its encoders can drive. */
static int find_output(int drm, uint32_t w, uint32_t h, uint32_t *conn,
		       uint32_t *crtc, drmModeModeInfo *mode)
{
	drmModeRes *res = drmModeGetResources(drm);
	int found = 0;

	for (int i = 0; res && !found && i < res->count_connectors; i++) {
		drmModeConnector *c = drmModeGetConnector(drm, res->connectors[i]);
		uint32_t crtcs = 0;

		int nenc = c && c->connection == DRM_MODE_CONNECTED ? c->count_encoders : 0;

		for (int e = 0; e < nenc; e++) {
			drmModeEncoder *enc = drmModeGetEncoder(drm, c->encoders[e]);

			crtcs |= enc ? enc->possible_crtcs : 0;
			drmModeFreeEncoder(enc);
		}
		for (int m = 0; crtcs && !found && m < c->count_modes; m++) {
			if (c->modes[m].hdisplay != w || c->modes[m].vdisplay != h)
				continue;
			for (int k = 0; !found && k < res->count_crtcs; k++)
				if (crtcs & (1u << k)) {
					*conn = c->connector_id;
					*crtc = res->crtcs[k];
					*mode = c->modes[m];
					found = 1;
				}
		}
		drmModeFreeConnector(c);
	}
	drmModeFreeResources(res);
	return found ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct gntext_drm_fb fb;
	drmModeModeInfo mode;
	uint32_t conn, crtc;

	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: %s DOMID WIDTH HEIGHT [SECONDS [CARD]] < refs\n", argv[0]);
		return 2;
	}
	uint32_t domid = strtoul(argv[1], NULL, 10), w = strtoul(argv[2], NULL, 10);
	uint32_t h = strtoul(argv[3], NULL, 10), secs = argc >= 5 ? strtoul(argv[4], NULL, 10) : 5;
	const char *card = argc == 6 ? argv[5] : "/dev/dri/card0";
	uint32_t count = ((uint64_t)w * h * 4 + GNTEXT_PAGE_SIZE - 1) / GNTEXT_PAGE_SIZE;
	uint32_t *refs = calloc(count + 1, sizeof(*refs));

	for (uint32_t i = 0; refs && i < count; i++)
		if (scanf("%u", &refs[i]) != 1) {
			fprintf(stderr, "stdin: expected %u grant refs\n", count);
			return 1;
		}
	int drm = open(card, O_RDWR | O_CLOEXEC);

	if (drm < 0) {
		perror(card);
		return 1;
	}
	if (find_output(drm, w, h, &conn, &crtc, &mode)) {
		fprintf(stderr, "%s: no connected output with a %ux%u mode\n", card, w, h);
		return 1;
	}
	/* The guest's grants -> a dma-buf -> a GEM handle -> a framebuffer. */
	struct gntext_handle *gnt = gntext_open(0);

	if (!refs || !gnt ||
	    gntext_drm_fb_from_refs(gnt, drm, domid, 0, refs, count, w, h,
				    DRM_FORMAT_XRGB8888, w * 4, 0, &fb)) {
		perror("guest framebuffer");
		return 1;
	}
	int shown = !drmModeSetCrtc(drm, crtc, fb.fb_id, 0, 0, &conn, 1, &mode);

	if (shown) {
		printf("showing domain %u's %ux%u framebuffer on connector %u\n",
		       domid, w, h, conn);
		fflush(stdout);
		sleep(secs);
	} else {
		perror("drmModeSetCrtc");
	}
	/* Remove the fb (this turns the CRTC off), close the GEM handle, release the export. */
	int ret = gntext_drm_fb_destroy(gnt, &fb, 5000);

	if (ret == GNTEXT_RELEASED)
		puts("released");
	else if (ret == GNTEXT_TIMEDOUT)
		puts("not released: the device still holds the buffer after 5 s");
	else
		printf("not released: %s\n", ret < 0 ? strerror(errno) :
		       ret == GNTEXT_INTERRUPTED ? "interrupted" : "the module cannot tell");
	return shown && ret == GNTEXT_RELEASED ? 0 : 1;
}
