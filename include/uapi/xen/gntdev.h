/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * include/uapi/xen/gntdev.h - userspace ABI of /dev/xen/gntdev.
 *
 * Every ioctl number and structure layout here is that of upstream Linux
 * (include/uapi/xen/gntdev.h), so unmodified libxengnttab and existing
 * backends work against this driver.  Numbers 13 and 14 use the layout of
 * the out-of-tree "data offset" extension shipped by xen-troops.
 *
 * All ioctls are encoded _IOC(_IOC_NONE, 'G', nr, size), as upstream does,
 * even where data flows both ways.  Arrays declared [1] are variable
 * length: a caller passing N elements allocates
 * sizeof(struct) + (N - 1) * sizeof(element).
 *
 * Error conventions common to every ioctl: EFAULT for an unreadable or
 * unwritable argument, ENOMEM when the kernel cannot allocate, EINVAL for
 * a malformed argument (zero or too large a count, a non-zero reserved
 * field, an unknown flag bit, a domid >= DOMID_FIRST_RESERVED), ENOTTY
 * for an unknown ioctl.  docs/abi.md describes each ioctl in full.
 */
#ifndef __LINUX_PUBLIC_GNTDEV_H__
#define __LINUX_PUBLIC_GNTDEV_H__

#include <linux/ioctl.h>
#include <linux/types.h>

/* Kernel annotation; headers_install would strip it, userspace ignores it. */
#ifndef __KERNEL__
#ifndef __user
#define __user
#endif
#endif

/* One grant to map: the granting domain and its grant reference. */
struct ioctl_gntdev_grant_ref {
	/* The domain that granted the page (must be < 0x7FF0). */
	__u32 domid;
	/* The grant reference in that domain's grant table. */
	__u32 ref;
};

/*
 * MAP_GRANT_REF: reserve a range of the file's mmap offset space for
 * @count grants.  Nothing is mapped yet: mmap(2) of the returned @index
 * (with length count * PAGE_SIZE) maps the grants, writable when the
 * mapping has PROT_WRITE and MAP_SHARED, read-only otherwise.  @count is
 * bounded by the module parameter "limit" (EINVAL beyond it, as for a
 * reserved domid) and by SET_MAX_GRANTS (ENOSPC).  A range is mmap()ed at
 * most once (EBUSY); a grant that cannot be mapped fails that mmap()
 * (EINVAL, EAGAIN for a paged-out grant) with nothing left mapped.
 */
#define IOCTL_GNTDEV_MAP_GRANT_REF \
_IOC(_IOC_NONE, 'G', 0, sizeof(struct ioctl_gntdev_map_grant_ref))
struct ioctl_gntdev_map_grant_ref {
	/* IN: number of grants in @refs (1 .. limit). */
	__u32 count;
	/* Padding, ignored (upstream never checked it). */
	__u32 pad;
	/* OUT: the mmap offset of the range, page aligned. */
	__u64 index;
	/* IN: the grants, @count of them. */
	struct ioctl_gntdev_grant_ref refs[1];
};

/*
 * UNMAP_GRANT_REF: release the range [@index, @index + @count pages) that
 * MAP_GRANT_REF returned.  Mappings still present in any address space
 * keep the grants mapped until they are munmap()ed; the range itself is
 * gone at once (ENOENT if no range has exactly this @index and @count).
 */
#define IOCTL_GNTDEV_UNMAP_GRANT_REF \
_IOC(_IOC_NONE, 'G', 1, sizeof(struct ioctl_gntdev_unmap_grant_ref))
struct ioctl_gntdev_unmap_grant_ref {
	/* IN: the offset returned by MAP_GRANT_REF. */
	__u64 index;
	/* IN: the number of grants in that range. */
	__u32 count;
	/* Padding, ignored. */
	__u32 pad;
};

/*
 * GET_OFFSET_FOR_VADDR: given a user address inside a gntdev mapping of
 * this file, return the mmap offset and grant count of the range it maps
 * (EINVAL if @vaddr is not in such a mapping).
 */
#define IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR \
_IOC(_IOC_NONE, 'G', 2, sizeof(struct ioctl_gntdev_get_offset_for_vaddr))
struct ioctl_gntdev_get_offset_for_vaddr {
	/* IN: a user virtual address. */
	__u64 vaddr;
	/* OUT: the offset of the range mapped there. */
	__u64 offset;
	/* OUT: the number of grants in that range. */
	__u32 count;
	/* Padding, ignored. */
	__u32 pad;
};

/*
 * SET_MAX_GRANTS: historical.  Upstream Linux does not implement it (the
 * caller sees ENOTTY, which libxengnttab ignores); the per-call bound is
 * the module parameter "limit".  This driver accepts a @count of
 * 1 .. limit as a per-file bound on the grants of the file's listed
 * MAP_GRANT_REF ranges (EINVAL otherwise); a MAP_GRANT_REF that would
 * exceed it fails with ENOSPC - see docs/abi.md.
 */
#define IOCTL_GNTDEV_SET_MAX_GRANTS \
_IOC(_IOC_NONE, 'G', 3, sizeof(struct ioctl_gntdev_set_max_grants))
struct ioctl_gntdev_set_max_grants {
	/* IN: the new bound. */
	__u32 count;
};

/*
 * SET_UNMAP_NOTIFY: when the range containing @index is finally unmapped
 * (its last mapping gone and the range released, or the file closed), do
 * @action: UNMAP_NOTIFY_CLEAR_BYTE zeroes the byte at offset @index (the
 * range must be mapped writable), then UNMAP_NOTIFY_SEND_EVENT signals
 * @event_channel_port.  The byte is always cleared before the event is
 * sent.  A second call on the same range replaces the first.
 */
#define UNMAP_NOTIFY_CLEAR_BYTE 0x1
#define UNMAP_NOTIFY_SEND_EVENT 0x2

#define IOCTL_GNTDEV_SET_UNMAP_NOTIFY \
_IOC(_IOC_NONE, 'G', 7, sizeof(struct ioctl_gntdev_unmap_notify))
struct ioctl_gntdev_unmap_notify {
	/* IN: a byte offset inside a MAP_GRANT_REF range. */
	__u64 index;
	/* IN: UNMAP_NOTIFY_* bits; others are EINVAL. */
	__u32 action;
	/* IN: a local event channel port, used with SEND_EVENT. */
	__u32 event_channel_port;
};

/*
 * GRANT_COPY: copy between local memory and foreign grants without
 * mapping them.  Each segment gets its own GNTST_* status; the ioctl
 * itself fails only when the arguments cannot be read or written, or a
 * segment is malformed (both sides local, or a grant side crossing a
 * 4 KiB page boundary: EINVAL).
 */
struct gntdev_grant_copy_segment {
	union {
		void __user *virt;
		struct {
			__u32 ref;
			__u16 offset;
			__u16 domid;
		} foreign;
	} source, dest;
	/* IN: bytes to copy; at most one Xen page. */
	__u16 len;
	/* IN: GNTCOPY_source_gref and/or GNTCOPY_dest_gref. */
	__u16 flags;
	/* OUT: GNTST_okay or a negative GNTST_* code. */
	__s16 status;
};

#define IOCTL_GNTDEV_GRANT_COPY \
_IOC(_IOC_NONE, 'G', 8, sizeof(struct ioctl_gntdev_grant_copy))
struct ioctl_gntdev_grant_copy {
	/* IN: number of segments. */
	unsigned int count;
	/* IN/OUT: the segments; only their status is written back. */
	struct gntdev_grant_copy_segment __user *segments;
};

/*
 * dma-buf flags: where the pages behind an exported buffer come from.
 * 0: ordinary ballooned/unpopulated pages.  GNTDEV_DMA_FLAG_WC: a
 * contiguous write-combined DMA buffer.  GNTDEV_DMA_FLAG_COHERENT: a
 * contiguous coherent DMA buffer.  WC and COHERENT together are EINVAL.
 */
#define GNTDEV_DMA_FLAG_WC		(1 << 0)
#define GNTDEV_DMA_FLAG_COHERENT	(1 << 1)

/*
 * DMABUF_EXP_FROM_REFS (this project calls it DMABUF_EXP_FROM_REFS, as
 * upstream does): map @count grants of @domid and return a new dma-buf
 * file descriptor (O_CLOEXEC) covering them.  Any grant failing to map
 * fails the whole call with nothing left mapped.
 */
#define IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS \
_IOC(_IOC_NONE, 'G', 9, \
     sizeof(struct ioctl_gntdev_dmabuf_exp_from_refs))
struct ioctl_gntdev_dmabuf_exp_from_refs {
	/* IN: GNTDEV_DMA_FLAG_* bits; others are EINVAL. */
	__u32 flags;
	/* IN: number of grants (1 .. limit). */
	__u32 count;
	/* OUT: the dma-buf file descriptor. */
	__u32 fd;
	/* IN: the granting domain (< 0x7FF0). */
	__u32 domid;
	/* IN: the grant references, @count of them. */
	__u32 refs[1];
};

/*
 * DMABUF_EXP_WAIT_RELEASED (alias WAIT_FREE): wait up to @wait_to_ms
 * milliseconds (0 polls) until the buffer exported from this file as @fd
 * is fully released - every file descriptor closed, every importer gone,
 * every grant unmapped.  0 when released, ETIMEDOUT on timeout, ENOENT if
 * this file exported no live buffer as @fd, EINTR on a signal.  Close the
 * dma-buf fd before waiting: an open fd keeps the buffer alive.
 */
#define IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED \
_IOC(_IOC_NONE, 'G', 10, \
     sizeof(struct ioctl_gntdev_dmabuf_exp_wait_released))
struct ioctl_gntdev_dmabuf_exp_wait_released {
	/* IN: the fd returned by DMABUF_EXP_FROM_REFS. */
	__u32 fd;
	/* IN: timeout in milliseconds. */
	__u32 wait_to_ms;
};

/*
 * DMABUF_IMP_TO_REFS (alias EXP_TO_REFS): grant the pages of the local
 * dma-buf @fd to @domid and return @count grant references, one per page.
 * The buffer must be exactly @count pages and start on a page boundary.
 */
#define IOCTL_GNTDEV_DMABUF_IMP_TO_REFS \
_IOC(_IOC_NONE, 'G', 11, \
     sizeof(struct ioctl_gntdev_dmabuf_imp_to_refs))
struct ioctl_gntdev_dmabuf_imp_to_refs {
	/* IN: the dma-buf file descriptor. */
	__u32 fd;
	/* IN: number of pages / grant references. */
	__u32 count;
	/* IN: the domain to grant to (< 0x7FF0). */
	__u32 domid;
	/*
	 * Reserved: set it to 0.  Not checked here (Debian's libxengnttab
	 * leaves it uninitialised); V2's is.
	 */
	__u32 reserved;
	/* OUT: the grant references, @count of them. */
	__u32 refs[1];
};

/*
 * DMABUF_IMP_RELEASE (alias EXP_TO_REFS_RELEASE): end the grants made by
 * DMABUF_IMP_TO_REFS for @fd and drop the driver's reference to the
 * buffer.
 */
#define IOCTL_GNTDEV_DMABUF_IMP_RELEASE \
_IOC(_IOC_NONE, 'G', 12, \
     sizeof(struct ioctl_gntdev_dmabuf_imp_release))
struct ioctl_gntdev_dmabuf_imp_release {
	/* IN: the fd passed to DMABUF_IMP_TO_REFS. */
	__u32 fd;
	/* Reserved: set it to 0 (not checked, as for IMP_TO_REFS V1). */
	__u32 reserved;
};

/*
 * DMABUF_EXP_FROM_REFS_V2 (xen-troops layout): as DMABUF_EXP_FROM_REFS,
 * but the buffer starts @data_ofs bytes into the first granted page
 * (@data_ofs < PAGE_SIZE).
 */
#define IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS_V2 \
_IOC(_IOC_NONE, 'G', 13, \
     sizeof(struct ioctl_gntdev_dmabuf_exp_from_refs_v2))
struct ioctl_gntdev_dmabuf_exp_from_refs_v2 {
	/* IN: GNTDEV_DMA_FLAG_* bits; others are EINVAL. */
	__u32 flags;
	/* IN: number of grants (1 .. limit). */
	__u32 count;
	/* IN: offset of the data in the first page. */
	__u32 data_ofs;
	/* OUT: the dma-buf file descriptor. */
	__u32 fd;
	/* IN: the granting domain (< 0x7FF0). */
	__u32 domid;
	/* IN: the grant references, @count of them. */
	__u32 refs[1];
};

/*
 * DMABUF_IMP_TO_REFS_V2 (xen-troops layout): as DMABUF_IMP_TO_REFS, and
 * also returns the offset of the data in the first page.
 */
#define IOCTL_GNTDEV_DMABUF_IMP_TO_REFS_V2 \
_IOC(_IOC_NONE, 'G', 14, \
     sizeof(struct ioctl_gntdev_dmabuf_imp_to_refs_v2))
struct ioctl_gntdev_dmabuf_imp_to_refs_v2 {
	/* IN: the dma-buf file descriptor. */
	__u32 fd;
	/* IN: number of pages / grant references. */
	__u32 count;
	/* IN: the domain to grant to (< 0x7FF0). */
	__u32 domid;
	/* Reserved, must be 0. */
	__u32 reserved;
	/* OUT: offset of the data in the first page. */
	__u32 data_ofs;
	/* OUT: the grant references, @count of them. */
	__u32 refs[1];
};

/*
 * This project's names for the same ioctls (the design card's names).
 * They are aliases: the numbers and layouts are upstream's.
 */
#define IOCTL_GNTDEV_DMABUF_WAIT_FREE	IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED
#define IOCTL_GNTDEV_DMABUF_EXP_TO_REFS	IOCTL_GNTDEV_DMABUF_IMP_TO_REFS
#define IOCTL_GNTDEV_DMABUF_EXP_TO_REFS_RELEASE \
	IOCTL_GNTDEV_DMABUF_IMP_RELEASE

/*
 * This project's extensions.  They use no ioctl number, so none can
 * collide with a number upstream assigns later.
 *
 * Release events.  Once a gntdev file has been poll()ed or read() (the
 * first call turns them on), every later release of a buffer exported
 * through it - the moment EXP_WAIT_RELEASED would return 0 - queues one
 * struct gntdev_dmabuf_release.  poll() reports EPOLLIN while one is
 * queued; read() returns as many whole records as fit, oldest first,
 * each release exactly once.  read() errors: EINVAL for a buffer smaller
 * than one record, EAGAIN with O_NONBLOCK and nothing queued (a blocking
 * read waits, interruptibly), EFAULT.  At most GNTDEV_DMABUF_RELEASE_QUEUE
 * records wait: later releases are dropped and the next read() returns
 * first a record with GNTDEV_DMABUF_RELEASE_LOST (ino 0, fd ~0), ahead
 * of the records still queued, after which the reader must ask
 * EXP_WAIT_RELEASED (timeout 0) about each buffer it still holds (that
 * names the newest export with an fd number: one whose number a newer
 * live export took cannot be asked about until that one is released).
 * Records go with the file; a release no longer reported by
 * EXP_WAIT_RELEASED (ENOENT) may still be read.  An export that fails
 * (its fd never reached userspace) is never reported.
 */
struct gntdev_dmabuf_release {
	/* The buffer: st_ino of its dma-buf fd, unique while the system runs. */
	__u64 ino;
	/* The fd number its export returned (it may have been reused since). */
	__u32 fd;
	/* GNTDEV_DMABUF_RELEASE_* bits. */
	__u32 flags;
};

#define GNTDEV_DMABUF_RELEASE_LOST	(1u << 0)
#define GNTDEV_DMABUF_RELEASE_QUEUE	4096

/*
 * Features.  The gntdev device's read-only sysfs attribute "features"
 * (/sys/dev/char/MAJOR:MINOR/features, from the st_rdev of an open
 * /dev/xen/gntdev) is one line of space-separated words, each present
 * only if this module and this dom0 support it:
 *   export          DMABUF_EXP_FROM_REFS
 *   export-v2       DMABUF_EXP_FROM_REFS_V2 (data offset)
 *   wait-released   DMABUF_EXP_WAIT_RELEASED
 *   release-events  poll() and read() of release events (above)
 *   import          DMABUF_IMP_TO_REFS and DMABUF_IMP_RELEASE
 *   import-v2       DMABUF_IMP_TO_REFS_V2
 *   contig-wc       GNTDEV_DMA_FLAG_WC (PVH dom0)
 *   contig-coherent GNTDEV_DMA_FLAG_COHERENT (PVH dom0)
 * A word keeps its meaning once listed; readers ignore words they do not
 * know.  Upstream's module has no such attribute.
 */

#endif /* __LINUX_PUBLIC_GNTDEV_H__ */
