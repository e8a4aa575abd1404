// SPDX-License-Identifier: LGPL-2.1-only
/*
 * drm-check - host test of the DRM glue's argument checks: the fourcc
 * table and the layout rule gntext_drm_fb_from_refs() applies before any
 * ioctl (src/drm-internal.h).  Needs no device and no library: the checks
 * are static inline.  TAP on stdout; exit 1 if any check fails.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "../src/drm-internal.h"

static int n, failed;

static void ok(int cond, const char *desc)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n, desc);
	failed |= !cond;
}

/* Did gntext_drm_check_layout() answer @want (0, EINVAL or ERANGE)? */
static int layout(int want, uint32_t count, uint32_t w, uint32_t h,
		  uint32_t fourcc, uint32_t pitch, uint32_t offset)
{
	int ret;

	errno = 0;
	ret = gntext_drm_check_layout(count, w, h, fourcc, pitch, offset);
	return want ? ret == -1 && errno == want : ret == 0;
}

int main(void)
{
	/* Negative cases first. */
	ok(gntext_drm_cpp(0) == 0, "fourcc 0 is unknown");
	ok(gntext_drm_cpp(DRM_FORMAT_NV12) == 0, "NV12 (two planes) is refused");
	ok(gntext_drm_cpp(DRM_FORMAT_YUYV) == 0, "YUYV is refused");
	ok(layout(EINVAL, 768, 1024, 768, DRM_FORMAT_NV12, 4096, 0),
	   "layout: unknown fourcc is EINVAL");
	ok(layout(EINVAL, 768, 0, 768, DRM_FORMAT_XRGB8888, 4096, 0),
	   "layout: width 0 is EINVAL");
	ok(layout(EINVAL, 768, 1024, 0, DRM_FORMAT_XRGB8888, 4096, 0),
	   "layout: height 0 is EINVAL");
	ok(layout(ERANGE, 768, 1024, 768, DRM_FORMAT_XRGB8888, 4095, 0),
	   "layout: a pitch one byte short of a line is ERANGE");
	ok(layout(ERANGE, 768, 1024, 768, DRM_FORMAT_XRGB8888, 4096, 1),
	   "layout: 1024x768 XRGB8888 one byte into 768 pages is ERANGE");
	ok(layout(ERANGE, 767, 1024, 768, DRM_FORMAT_XRGB8888, 4096, 0),
	   "layout: 1024x768 XRGB8888 in 767 pages is ERANGE");
	ok(layout(ERANGE, 0, 1, 1, DRM_FORMAT_C8, 1, 0),
	   "layout: no pages is ERANGE");
	ok(layout(ERANGE, 768, 1366, 768, DRM_FORMAT_RGB888, 4098, 0),
	   "layout: 1366x768 RGB888 (pitch 4098) in 768 pages is ERANGE");
	ok(layout(ERANGE, 1, 1, 1, DRM_FORMAT_XRGB8888, 4, 4093),
	   "layout: a pixel across the end of the buffer is ERANGE");
	ok(layout(ERANGE, 1, 1, 1, DRM_FORMAT_XRGB8888, 4, 4097),
	   "layout: an offset past the buffer is ERANGE");
	ok(layout(ERANGE, UINT32_MAX, 1, UINT32_MAX, DRM_FORMAT_C8,
		  UINT32_MAX, UINT32_MAX),
	   "layout: maximal pitch, height and offset do not wrap (ERANGE)");
	ok(layout(ERANGE, UINT32_MAX, UINT32_MAX, 2, DRM_FORMAT_XRGB16161616F,
		  UINT32_MAX, 0),
	   "layout: width * cpp above 32 bits is ERANGE, not truncated");
	ok(layout(ERANGE, 768, 1024, 768, DRM_FORMAT_XRGB8888, 4096 + 4, 0),
	   "layout: a pitch padded past the buffer's end is ERANGE");

	/* Then what must be accepted. */
	ok(gntext_drm_cpp(DRM_FORMAT_C8) == 1, "C8 is 1 byte a pixel");
	ok(gntext_drm_cpp(DRM_FORMAT_RGB565) == 2, "RGB565 is 2 bytes a pixel");
	ok(gntext_drm_cpp(DRM_FORMAT_RGB888) == 3 &&
	   gntext_drm_cpp(DRM_FORMAT_BGR888) == 3,
	   "RGB888 and BGR888 are 3 bytes a pixel");
	ok(gntext_drm_cpp(DRM_FORMAT_XRGB8888) == 4 &&
	   gntext_drm_cpp(DRM_FORMAT_ARGB8888) == 4 &&
	   gntext_drm_cpp(DRM_FORMAT_XBGR8888) == 4 &&
	   gntext_drm_cpp(DRM_FORMAT_ABGR8888) == 4,
	   "the 8888 formats are 4 bytes a pixel");
	ok(gntext_drm_cpp(DRM_FORMAT_XRGB2101010) == 4,
	   "XRGB2101010 is 4 bytes a pixel");
	ok(gntext_drm_cpp(DRM_FORMAT_ABGR16161616F) == 8,
	   "ABGR16161616F is 8 bytes a pixel");
	ok(layout(0, 768, 1024, 768, DRM_FORMAT_XRGB8888, 4096, 0),
	   "layout: 1024x768 XRGB8888 fills 768 pages exactly");
	ok(layout(0, UINT32_MAX, 4096, 4096, DRM_FORMAT_C8, 4096, UINT32_MAX),
	   "layout: an image ending past 2^32 bytes is counted in 64 bits");
	ok(layout(0, 768, 1000, 768, DRM_FORMAT_XRGB8888, 4096, 96),
	   "layout: the last line needs width * cpp bytes, not a pitch");
	ok(layout(0, 769, 1366, 768, DRM_FORMAT_RGB888, 4098, 0),
	   "layout: 1366x768 RGB888 (pitch ceil(w*bpp/8) = 4098) in 769 pages");
	ok(layout(0, 1, 1, 1, DRM_FORMAT_C8, UINT32_MAX, 4095),
	   "layout: one line never multiplies the pitch");
	ok(layout(0, 2025, 1920, 1080, DRM_FORMAT_XRGB8888, 7680, 0),
	   "layout: 1080p XRGB8888 in 2025 pages");

	printf("1..%d\n", n);
	return failed;
}
