/* SPDX-License-Identifier: LGPL-2.1-only */
/*
 * drm-internal.h - the pure checks of the DRM glue (drm.c), private to the
 * library and its tests.
 *
 * Both are static inline: they make no system call and need nothing but
 * <drm_fourcc.h>, so tests/drm-check.c includes this header and runs them
 * on the build host without linking the library (whose shared object
 * exports only the public API).  Nothing here is part of the ABI.
 */
#ifndef GNTEXT_DRM_INTERNAL_H
#define GNTEXT_DRM_INTERNAL_H

#include <errno.h>
#include <stdint.h>

#include <drm_fourcc.h>

/*
 * Bytes per pixel of a single-plane RGB/indexed DRM_FORMAT_*, or 0 for a
 * format the glue does not take (unknown, multi-plane, YUV, or a format
 * whose pixels are not whole bytes).
 */
static inline uint32_t gntext_drm_cpp(uint32_t fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_C8:
	case DRM_FORMAT_R8:
	case DRM_FORMAT_RGB332:
	case DRM_FORMAT_BGR233:
		return 1;
	case DRM_FORMAT_RGB565:
	case DRM_FORMAT_BGR565:
	case DRM_FORMAT_XRGB1555:
	case DRM_FORMAT_ARGB1555:
	case DRM_FORMAT_XBGR1555:
	case DRM_FORMAT_ABGR1555:
	case DRM_FORMAT_XRGB4444:
	case DRM_FORMAT_ARGB4444:
	case DRM_FORMAT_XBGR4444:
	case DRM_FORMAT_ABGR4444:
	case DRM_FORMAT_R16:
	case DRM_FORMAT_RG88:
	case DRM_FORMAT_GR88:
		return 2;
	case DRM_FORMAT_RGB888:
	case DRM_FORMAT_BGR888:
		return 3;
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_ARGB8888:
	case DRM_FORMAT_XBGR8888:
	case DRM_FORMAT_ABGR8888:
	case DRM_FORMAT_RGBX8888:
	case DRM_FORMAT_RGBA8888:
	case DRM_FORMAT_BGRX8888:
	case DRM_FORMAT_BGRA8888:
	case DRM_FORMAT_XRGB2101010:
	case DRM_FORMAT_ARGB2101010:
	case DRM_FORMAT_XBGR2101010:
	case DRM_FORMAT_ABGR2101010:
		return 4;
	case DRM_FORMAT_XRGB16161616F:
	case DRM_FORMAT_ARGB16161616F:
	case DRM_FORMAT_XBGR16161616F:
	case DRM_FORMAT_ABGR16161616F:
		return 8;
	default:
		return 0;
	}
}

/*
 * Does a @width x @height image in @fourcc, @pitch bytes a line, starting
 * @offset bytes in, fit a buffer of @count pages?  The rule is the one
 * the kernel applies at ADDFB2: the last line needs only width * cpp
 * bytes, not a whole pitch.  0 if it fits; otherwise -1 with errno:
 *   EINVAL  unknown fourcc, or a zero width or height;
 *   ERANGE  pitch < width * cpp, or the image runs past the buffer.
 * All arithmetic is 64-bit and subtracts from the buffer size, so no
 * combination of 32-bit arguments can wrap.
 */
static inline int gntext_drm_check_layout(uint32_t count, uint32_t width,
					  uint32_t height, uint32_t fourcc,
					  uint32_t pitch, uint32_t offset)
{
	uint64_t cpp = gntext_drm_cpp(fourcc);
	uint64_t line = (uint64_t)width * cpp;		/* < 2^35 */
	uint64_t room = (uint64_t)count * 4096u;	/* < 2^44 */

	if (!cpp || !width || !height) {
		errno = EINVAL;
		return -1;
	}
	if (pitch < line || offset > room || line > room - offset) {
		errno = ERANGE;
		return -1;
	}
	room -= (uint64_t)offset + line;	/* what the other lines may use */
	if (height > 1 && pitch > room / (height - 1)) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

#endif /* GNTEXT_DRM_INTERNAL_H */
