/* SPDX-License-Identifier: LGPL-2.1-only */
/*
 * gnttab-ext.h - libgnttab-ext: sharing guest buffers zero-copy through
 * /dev/xen/gntdev's dma-buf ioctls.
 *
 * Objects and their lifetimes:
 *
 *  struct gntext_handle  one gntdev file: opened by gntext_open(), or borrowed
 *                  from the caller by gntext_open_fd() (e.g. the fd of
 *                  xengnttab_fd()), which the library never closes.
 *                  gntext_close() frees it; exports and imports made
 *                  through it must be released first (EBUSY otherwise).
 *  struct gntext_export  a peer's grants as a local dma-buf (exp_from_refs).
 *                  The handle owns the dma-buf fd until
 *                  gntext_export_release(); the caller may dup() it and
 *                  pass it on (to DRM, to a device), which keeps the
 *                  buffer alive until those copies are closed too.
 *  struct gntext_import  a local dma-buf granted to a peer (exp_to_refs).  The
 *                  library keeps its own dup() of the dma-buf fd until
 *                  the import is released or its release is deferred.
 *
 * Conventions: functions returning int return 0 (or a non-negative
 * value where stated) on success and -1 with errno set on failure;
 * functions returning pointers return NULL with errno set.  errno values
 * are the kernel's (docs/abi.md) unless stated here.  A handle and its
 * objects may be used from several threads; one object must not be
 * released by two threads at once.
 *
 * Link with `pkg-config --cflags --libs libgnttab-ext`; the DRM glue
 * (gntext_drm_*) needs libdrm, which the pkg-config file brings.
 */
#ifndef GNTTAB_EXT_H
#define GNTTAB_EXT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GNTEXT_PAGE_SIZE	4096u

/* Opaque: only pointers to them cross the API. */
struct gntext_handle;
struct gntext_export;
struct gntext_import;

/* ---- the gntdev file ---- */

/*
 * Open /dev/xen/gntdev (O_RDWR | O_CLOEXEC).  @flags must be 0 (EINVAL).
 * ENOENT: no gntdev device (module not loaded, not a Xen domain).
 */
struct gntext_handle *gntext_open(unsigned int flags);

/*
 * Work on an open gntdev fd the caller keeps: the library never closes
 * it, and it must stay open until gntext_close().  EBADF for a bad fd,
 * ENOTTY if it is not a gntdev file.
 */
struct gntext_handle *gntext_open_fd(int fd);

/*
 * Free the handle (and close its fd if gntext_open() opened it).  EBUSY,
 * with nothing freed, while an export or an import of it is not released.
 * NULL is accepted (0).
 */
int gntext_close(struct gntext_handle *h);

/* The gntdev fd (for poll(), and for raw ioctls). */
int gntext_fd(const struct gntext_handle *h);

/* ---- what the loaded module can do ---- */

enum gntext_dom0 {
	GNTEXT_DOM0_UNKNOWN = 0,
	GNTEXT_DOM0_PV,
	GNTEXT_DOM0_PVH,
	GNTEXT_DOM0_HVM,	/* an HVM or PVH driver domain, or arm */
};

/* Capability bits: the words of the device's "features" attribute. */
#define GNTEXT_CAP_EXPORT		(1u << 0)	/* export */
#define GNTEXT_CAP_EXPORT_V2		(1u << 1)	/* export-v2 */
#define GNTEXT_CAP_WAIT_RELEASED	(1u << 2)	/* wait-released */
#define GNTEXT_CAP_RELEASE_EVENTS	(1u << 3)	/* release-events */
#define GNTEXT_CAP_IMPORT		(1u << 4)	/* import */
#define GNTEXT_CAP_IMPORT_V2		(1u << 5)	/* import-v2 */
#define GNTEXT_CAP_CONTIG_WC		(1u << 6)	/* contig-wc */
#define GNTEXT_CAP_CONTIG_COHERENT	(1u << 7)	/* contig-coherent */

struct gntext_caps {
	/* 1: this project's xen-gntdev (it has the "features" attribute). */
	int ours;
	/*
	 * Stock module only: 1 if it answers the dma-buf ioctls at all
	 * (CONFIG_XEN_GNTDEV_DMABUF), which says nothing about whether
	 * its export works in this dom0.
	 */
	int stock_dmabuf_ioctls;
	/* GNTEXT_CAP_* (0 for the stock module). */
	uint32_t caps;
	enum gntext_dom0 dom0;
	/* /sys/module/xen_gntdev/{version,srcversion}, "" if absent. */
	char version[64];
	char srcversion[64];
};

/*
 * Fill @caps for the module behind @h.  Works against the stock module
 * too ("stock, nothing of ours": ours = 0, caps = 0).
 */
int gntext_probe(struct gntext_handle *h, struct gntext_caps *caps);

/* The name of one GNTEXT_CAP_* bit ("export", ...), NULL if unknown. */
const char *gntext_cap_name(uint32_t cap);

/* ---- exp_from_refs: a peer's grants as a local dma-buf ---- */

/* exp_from_refs flags (GNTDEV_DMA_FLAG_*): contiguous, PVH dom0 only. */
#define GNTEXT_EXP_WC		(1u << 0)
#define GNTEXT_EXP_COHERENT	(1u << 1)

/*
 * Map @count grants @refs of @domid and export them as a dma-buf whose
 * data starts @data_ofs bytes into the first page (0: the V1 ioctl;
 * otherwise V2, @data_ofs < GNTEXT_PAGE_SIZE).  *@out gets the export.
 * Errors: the ioctl's (EINVAL for a bad ref or argument, EDQUOT,
 * EOPNOTSUPP for a contiguous flag in a PV dom0, ENOTTY without export).
 */
int gntext_exp_from_refs(struct gntext_handle *h, uint32_t domid, uint32_t flags,
			 uint32_t count, const uint32_t *refs,
			 uint32_t data_ofs, struct gntext_export **out);

/* The dma-buf fd the handle owns (valid until the export's release). */
int gntext_export_fd(const struct gntext_export *e);

/* The buffer's identity: the st_ino of its dma-buf, never reused. */
uint64_t gntext_export_id(const struct gntext_export *e);

/* Pages, and the size in bytes (count * page - data_ofs). */
uint32_t gntext_export_count(const struct gntext_export *e);
size_t gntext_export_size(const struct gntext_export *e);

/* What a release or a wait ended in.  Never ambiguous. */
enum gntext_release {
	GNTEXT_RELEASED = 0,	/* fully released; the object is freed */
	GNTEXT_TIMEDOUT,	/* still held (by a dup, an importer, a map) */
	GNTEXT_INTERRUPTED,	/* a signal; call gntext_export_wait() again */
	GNTEXT_DEFERRED,	/* import: the peer still maps a page */
	GNTEXT_UNKNOWN,		/* the module cannot tell (see below) */
};

/*
 * Close the export's fd and wait up to @timeout_ms (0: do not wait) for
 * the buffer to be fully released.  Returns a gntext_release value
 * (>= 0) or -1 with errno.  GNTEXT_RELEASED frees @e.  GNTEXT_TIMEDOUT
 * and GNTEXT_INTERRUPTED leave @e valid, its fd closed: wait again with
 * gntext_export_wait(), or let gntext_released() report it.
 * GNTEXT_UNKNOWN: a module without release events reported ENOENT while
 * another export of the same handle reused the fd number; @e is freed.
 */
int gntext_export_release(struct gntext_export *e, unsigned int timeout_ms);

/* Wait again for an export whose release timed out or was interrupted. */
int gntext_export_wait(struct gntext_export *e, unsigned int timeout_ms);

/* ---- waiting on many exports ---- */

/*
 * Collect released exports without blocking: up to @max exports of @h
 * whose fd was closed by gntext_export_release() and which have since
 * been fully released go to @out, each exactly once, and are freed by
 * the caller with gntext_export_free().  Returns how many (0: none yet).
 * Needs GNTEXT_CAP_RELEASE_EVENTS (EOPNOTSUPP otherwise).  Use it when
 * poll() on gntext_fd(h) reports POLLIN; releases the kernel had to drop
 * (queue overflow) are recovered by asking the module about each export.
 */
int gntext_released(struct gntext_handle *h, struct gntext_export **out, unsigned int max);

/* Free an export gntext_released() returned.  NULL is accepted. */
void gntext_export_free(struct gntext_export *e);

/* ---- exp_to_refs: a local dma-buf granted to a peer ---- */

/*
 * Grant the @count pages of the local dma-buf @dmabuf_fd to @domid; the
 * refs go to @refs (@count of them) and, if @data_ofs is not NULL, the
 * offset of the data in the first page to *@data_ofs (V2; with NULL the
 * buffer must start on a page boundary: V1).  The library dup()s
 * @dmabuf_fd; the caller may close its own.  Errors: the ioctl's
 * (EINVAL for a size mismatch, EXDEV for memory that cannot be granted,
 * ENOSPC, ENOTTY without import).
 */
int gntext_exp_to_refs(struct gntext_handle *h, int dmabuf_fd, uint32_t domid,
		       uint32_t count, uint32_t *refs, uint32_t *data_ofs,
		       struct gntext_import **out);

/*
 * End the peer's access and drop the buffer.  GNTEXT_RELEASED: done.
 * GNTEXT_DEFERRED: the peer still maps a page; the module keeps the
 * buffer (unchanged, still shared) and frees it once the peer unmaps or
 * dies - do not reuse the memory for other data meanwhile.  Either way
 * @i is freed.  -1 with errno for anything else (@i is still freed).
 */
int gntext_import_release(struct gntext_import *i);

/* ---- displif page directories ---- */

/* Refs one directory page holds: 4096 / 4 - 1. */
#define GNTEXT_DIR_REFS_PER_PAGE	1023u

/* Directory pages @nrefs data refs need: ceil(nrefs / 1023). */
uint32_t gntext_dir_pages(uint32_t nrefs);

/*
 * Read one directory page: copy the 4096 bytes the peer granted as
 * @ref to @page.  0, or -1 with errno (the walk fails with it).
 */
typedef int (*gntext_dir_read_fn)(void *ctx, uint32_t ref, void *page);

/*
 * Walk a displif page directory chain starting at @first_ref for a
 * buffer of @buffer_size bytes: exactly ceil(@buffer_size / 4096) data
 * refs go to @refs (room for @max_refs), taking min(remaining, 1023)
 * from each page and following gref_dir_next_page.  A hostile chain is
 * a clean error, never a hang or an overflow:
 *   EINVAL   buffer_size 0, or more refs than @max_refs;
 *   ELOOP    a directory ref seen twice (a cycle);
 *   EBADMSG  the chain ends (next = 0) before enough refs, or goes on
 *            (next != 0) after the last page that holds refs, or a data
 *            ref of 0 (displif's "no ref");
 *   the reader's errno for a page it cannot read (a bad ref).
 * Returns the number of refs (>= 1).
 */
int gntext_dir_walk(gntext_dir_read_fn read, void *ctx, uint32_t first_ref,
		    uint64_t buffer_size, uint32_t *refs, uint32_t max_refs);

/*
 * The same, reading each directory page by mapping the grant of @domid
 * through @h (read-only, unmapped at once).
 */
int gntext_dir_walk_grants(struct gntext_handle *h, uint32_t domid,
			   uint32_t first_ref, uint64_t buffer_size,
			   uint32_t *refs, uint32_t max_refs);

/*
 * Build a directory (the frontend's side, for tests and tools): fill
 * the gntext_dir_pages(@nrefs) pages at @pages (4096 bytes each) with
 * @refs, page k linking to @dir_refs[k + 1] and the last to 0.
 */
int gntext_dir_build(void *pages, const uint32_t *dir_refs,
		     const uint32_t *refs, uint32_t nrefs);

/* ---- DRM glue (libdrm PRIME) ---- */

/* A framebuffer over an exported buffer, on one DRM device. */
struct gntext_drm_fb {
	int drm_fd;		/* the caller's DRM device, not owned */
	uint32_t gem_handle;	/* from drmPrimeFDToHandle() */
	uint32_t fb_id;		/* from drmModeAddFB2() */
	struct gntext_export *export;	/* owned by the framebuffer */
};

/*
 * A peer's refs → dma-buf → GEM handle → framebuffer: @width x @height
 * in @fourcc (DRM_FORMAT_*, single plane), @pitch bytes a line, the
 * image @offset bytes into the buffer.  The pitch must hold a line and
 * offset + pitch * height must fit the buffer: ERANGE otherwise (no
 * ioctl is made).  EINVAL for an unknown fourcc or zero size.  Other
 * errors are the export's or the DRM ioctls'; everything done so far is
 * undone.  @flags are exp_from_refs flags.
 */
int gntext_drm_fb_from_refs(struct gntext_handle *h, int drm_fd, uint32_t domid,
			    uint32_t flags, const uint32_t *refs,
			    uint32_t count, uint32_t width, uint32_t height,
			    uint32_t fourcc, uint32_t pitch, uint32_t offset,
			    struct gntext_drm_fb *fb);

/*
 * Tear down in the one correct order: remove the framebuffer, close the
 * GEM handle, release the export (close its fd, wait up to @timeout_ms).
 * Returns a gntext_release value: GNTEXT_TIMEDOUT means the device still
 * holds the buffer (the export is left to gntext_export_wait(), fb->export
 * stays set); never blocks longer than @timeout_ms.
 */
int gntext_drm_fb_destroy(struct gntext_handle *h, struct gntext_drm_fb *fb,
			  unsigned int timeout_ms);

/*
 * The reverse: a GEM handle of @drm_fd (e.g. a dumb buffer of @size
 * bytes) → dma-buf → refs granted to @domid.  The dma-buf fd is the
 * import's.  ERANGE if @size is not a whole number of pages.
 */
int gntext_drm_refs_from_gem(struct gntext_handle *h, int drm_fd,
			     uint32_t gem_handle, uint64_t size,
			     uint32_t domid, uint32_t *refs,
			     struct gntext_import **out);

#ifdef __cplusplus
}
#endif

#endif /* GNTTAB_EXT_H */
