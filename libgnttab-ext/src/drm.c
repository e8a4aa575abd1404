// SPDX-License-Identifier: LGPL-2.1-only
/*
 * drm.c - the DRM glue: a peer's grants as a framebuffer, and a GEM buffer
 * as grants, through libdrm's PRIME calls.  Nothing here touches gntdev
 * directly; it composes the core's exports and imports with libdrm.
 *
 * What it owns:
 *   struct gntext_drm_fb  (gntext_drm_fb_from_refs) holds three references
 *   to one buffer, taken in this order:
 *     export      the gntdev export (its dma-buf fd is the handle's);
 *     gem_handle  the DRM device's import of that dma-buf (PRIME), which
 *                 pins the dma-buf for as long as the GEM object lives;
 *     fb_id       the framebuffer over the GEM object, which holds the
 *                 object while it exists; RMFB first turns off any CRTC
 *                 or plane still scanning it out, then drops it.
 *   The drm_fd is the caller's and must stay open until the teardown.
 *
 * Teardown is the reverse, and the order matters: RMFB (the device stops
 * scanning out and drops the fb's hold on the object), GEM_CLOSE (the
 * object and its attachment to the dma-buf go), then the export's
 * release, which closes the dma-buf fd and waits, with a timeout, until
 * the module has unmapped the grants.  Releasing first would only make
 * the wait time out: the GEM object would still hold the dma-buf.  A
 * release that times out, is interrupted or fails leaves fb->export set
 * (its fd closed, fb_id and gem_handle 0) for gntext_export_wait() or a
 * second gntext_drm_fb_destroy(), which then only waits; or, with
 * release events, for gntext_released(), which hands it to its caller
 * (then fb->export must not be used again).
 *
 *   gntext_drm_refs_from_gem() makes a dma-buf of a GEM handle only long
 *   enough for gntext_exp_to_refs(), which keeps its own dup of it; the
 *   GEM handle stays the caller's.
 *
 * Failure: every function validates its arguments before any system call
 * and undoes everything it did on a later failure, with errno the failing
 * step's.  An undo's export release waits UNDO_WAIT_MS at most; nothing
 * else holds that buffer then, so it is released at once in practice.
 */
#include <errno.h>
#include <fcntl.h>	/* O_CLOEXEC, O_RDWR: DRM_CLOEXEC, DRM_RDWR */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include "internal.h"	/* gnttab-ext.h, with default visibility */
#include "drm-internal.h"

/* How long an error path waits for an export nobody else holds. */
#define UNDO_WAIT_MS 1000u

/*
 * errno after a failed libdrm call: drmIoctl() sets it; libdrm's mode
 * calls also return it negated, which wins if errno was clobbered.
 */
static int drm_errno(int ret)
{
	if (ret < -1)
		return -ret;
	return errno ? errno : EIO;
}

/*
 * Release (or, if its fd is already closed, wait again for) fb->export.
 * Only GNTEXT_RELEASED and GNTEXT_UNKNOWN free the export; after
 * anything else (GNTEXT_TIMEDOUT, GNTEXT_INTERRUPTED, -1) it is still
 * valid, its fd closed, and stays in fb->export.
 */
static int release_export(struct gntext_drm_fb *fb, int again,
			  unsigned int timeout_ms)
{
	int ret;

	if (again)
		ret = gntext_export_wait(fb->export, timeout_ms);
	else
		ret = gntext_export_release(fb->export, timeout_ms);
	if (ret == GNTEXT_RELEASED || ret == GNTEXT_UNKNOWN)
		fb->export = NULL;
	return ret;
}

int gntext_drm_fb_from_refs(struct gntext_handle *h, int drm_fd, uint32_t domid,
			    uint32_t flags, const uint32_t *refs,
			    uint32_t count, uint32_t width, uint32_t height,
			    uint32_t fourcc, uint32_t pitch, uint32_t offset,
			    struct gntext_drm_fb *fb)
{
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	uint64_t need;
	int ret, err;

	if (!h || !refs || !fb || drm_fd < 0) {
		errno = EINVAL;
		return -1;
	}
	if (gntext_drm_check_layout(count, width, height, fourcc, pitch,
				    offset))
		return -1;
	*fb = (struct gntext_drm_fb){ .drm_fd = drm_fd };

	if (gntext_exp_from_refs(h, domid, flags, count, refs, 0,
				 &fb->export)) {
		fb->export = NULL;
		return -1;
	}
	/* The core's view of the size must agree with the layout check. */
	need = (uint64_t)offset + (uint64_t)pitch * (height - 1) +
	       (uint64_t)width * gntext_drm_cpp(fourcc);
	if (gntext_export_size(fb->export) < need) {
		err = ERANGE;
		goto release;
	}

	ret = drmPrimeFDToHandle(drm_fd, gntext_export_fd(fb->export),
				 &fb->gem_handle);
	if (ret) {
		err = drm_errno(ret);
		fb->gem_handle = 0;
		goto release;
	}

	handles[0] = fb->gem_handle;
	pitches[0] = pitch;
	offsets[0] = offset;
	ret = drmModeAddFB2(drm_fd, width, height, fourcc, handles, pitches,
			    offsets, &fb->fb_id, 0);
	if (ret) {
		err = drm_errno(ret);
		fb->fb_id = 0;
		goto close_gem;
	}
	return 0;

close_gem:
	drmCloseBufferHandle(drm_fd, fb->gem_handle);
	fb->gem_handle = 0;
release:
	/*
	 * Nothing holds the buffer now.  Should the wait still not finish,
	 * fb->export stays set for gntext_drm_fb_destroy() or
	 * gntext_export_wait(), rather than leaking (and keeping
	 * gntext_close() at EBUSY).
	 */
	release_export(fb, 0, UNDO_WAIT_MS);
	errno = err;
	return -1;
}

int gntext_drm_fb_destroy(struct gntext_handle *h, struct gntext_drm_fb *fb,
			  unsigned int timeout_ms)
{
	int again;

	(void)h;	/* the export knows its handle */
	if (!fb) {
		errno = EINVAL;
		return -1;
	}
	/* Both ids 0 with an export left: its fd is closed already. */
	again = !fb->fb_id && !fb->gem_handle;

	/*
	 * A failed RMFB or GEM_CLOSE does not stop the teardown: whether
	 * the device still holds the buffer is exactly what the release's
	 * wait finds out, and it reports GNTEXT_TIMEDOUT if it does.  Both
	 * ids are cleared either way; retrying them cannot help.
	 */
	if (fb->fb_id)
		drmModeRmFB(fb->drm_fd, fb->fb_id);
	fb->fb_id = 0;
	if (fb->gem_handle)
		drmCloseBufferHandle(fb->drm_fd, fb->gem_handle);
	fb->gem_handle = 0;

	if (!fb->export)
		return GNTEXT_RELEASED;
	return release_export(fb, again, timeout_ms);
}

int gntext_drm_refs_from_gem(struct gntext_handle *h, int drm_fd,
			     uint32_t gem_handle, uint64_t size,
			     uint32_t domid, uint32_t *refs,
			     struct gntext_import **out)
{
	int prime_fd, ret, err;

	if (!size || size % GNTEXT_PAGE_SIZE ||
	    size / GNTEXT_PAGE_SIZE > UINT32_MAX) {
		errno = ERANGE;
		return -1;
	}
	if (!h || !refs || !out || drm_fd < 0 || !gem_handle) {
		errno = EINVAL;
		return -1;
	}

	ret = drmPrimeHandleToFD(drm_fd, gem_handle, DRM_CLOEXEC | DRM_RDWR,
				 &prime_fd);
	if (ret) {
		errno = drm_errno(ret);
		return -1;
	}
	ret = gntext_exp_to_refs(h, prime_fd, domid,
				 (uint32_t)(size / GNTEXT_PAGE_SIZE), refs, NULL,
				 out);
	err = errno;
	close(prime_fd);	/* the import holds its own dup */
	errno = err;
	return ret;
}
