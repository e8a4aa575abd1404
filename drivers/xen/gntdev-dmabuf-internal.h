/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntdev-dmabuf-internal.h - the objects of the dma-buf side of
 * xen-gntdev, shared by its files:
 *
 *   gntdev-dmabuf.c        per-file context, export records,
 *                          EXP_WAIT_RELEASED, the export entry point;
 *   gntdev-dmabuf-exp.c    buffer life cycle and the dma_buf_ops;
 *   gntdev-dmabuf-imp.c    granting a local dma-buf to a peer (import);
 *   gntdev-dmabuf-pv.c     PV dom0: the vmap alias, mmap() of the fd;
 *   gntdev-dmabuf-pages.c  the backing stores, the PVH pool, the cap;
 *   gntdev-dmabuf-contig.c the contiguous store (WC/COHERENT, PVH).
 *
 * struct gdmb_buf - one exported buffer: the backing pages, the grant
 *	handles of their mappings, the optional kernel mapping and the
 *	attachments.  Owned by its struct dma_buf: created fully mapped
 *	before dma_buf_export(), destroyed only by ->release, when the last
 *	reference to the dma-buf file is gone (every fd closed, every
 *	importer detached and put, every mmap of the fd unmapped).
 *	->release starts an asynchronous unmap and never waits; the buffer
 *	is freed when the unmap completes (at once, or once no page is
 *	referenced outside the driver).  It never points at the gntdev file
 *	or context, so it outlives both.  The dma-buf core holds a module
 *	reference for each buffer, and a pending unmap holds one of its own.
 *
 * struct gdmb_attach - per attachment (dma_buf_attachment.priv): an sg
 *	table with one entry per page (one entry in all for a contiguous
 *	buffer), DMA-mapped for the importer's device
 *	on first use and cached until detach.  Created by ->attach, freed
 *	by ->detach, linked on buf->attachments under buf->lock.
 *
 * struct gdmb_rec - the export record EXP_WAIT_RELEASED looks up.
 *	Refcounted: one reference belongs to the buffer (dropped once the
 *	grants are unmapped and the pages freed), one to the context's list
 *	while the record is on it, one to each waiter while it waits.
 *	Linked on ctx->exports, with rec->ctx set, under gdmb_track_lock
 *	only.  The buffer's release takes it off ctx->exports: onto no
 *	list, or, if the context reports release events, onto
 *	ctx->released with the list's reference (rec->ctx still set), which
 *	read() or the context's release takes it off; the context's release
 *	unlinks whatever is still linked, an aborted export (its fd never
 *	reached userspace) its own record.
 *
 * struct gntdev_dmabuf_ctx - per gntdev file, from open() to release();
 *	on release it unlinks its records (the buffers stay alive), drops
 *	the unread release events and releases its imports
 *	(gntdev-dmabuf-imp.c says how).
 *
 * Lock order: dma-buf core locks, then buf->lock, then gdmb_track_lock
 * (a spinlock, never held across anything that sleeps; only the wait
 * queue of a context's release events nests inside it, to be woken).
 * ctx->read_lock (a mutex, one read() at a time) comes before
 * gdmb_track_lock; gdmb_live_lock (the debugfs listing) before
 * buf->lock.  In the backing store, gdmb_trim_lock before the stats
 * mutex (gntdev_stats_lock()) before gdmb_stray_lock.  The PV mmap
 * state's spinlock is taken only inside its MMU notifier, the
 * stray-page lock only to move pages on or off its list.
 *
 * Mapping (PV and PVH dom0 alike, as blkback does): every slot has a
 * page of its own and the grant is mapped, writable, with
 * GNTMAP_host_map at that page's kernel address.  Xen rejects
 * GNTMAP_device_map for auto-translated domains and PV does not need
 * it: the p2m entry gnttab_map_refs() installs makes the DMA API
 * (xen-swiotlb) return the machine frame.
 */
#ifndef _XEN_GNTDEV_DMABUF_INTERNAL_H
#define _XEN_GNTDEV_DMABUF_INTERNAL_H

#include <linux/dma-buf.h>
#include <linux/dma-direction.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <xen/grant_table.h>

#include "gntdev-grant.h"

struct gntdev_dmabuf_ctx {
	struct list_head exports;	/* gdmb_rec.node, gdmb_track_lock */
	/* Release events (gntdev-dmabuf.c), under gdmb_track_lock: */
	struct list_head released;	/* gdmb_rec.node, oldest first */
	unsigned int nreleased;
	bool events;			/* on since the first poll()/read() */
	bool lost;			/* a release was dropped: queue full */
	wait_queue_head_t release_wq;	/* readers and pollers */
	struct mutex read_lock;		/* one read() at a time */
	struct mutex imp_lock;		/* @imports */
	struct list_head imports;	/* gdmb_imp.node, newest first */
};

struct gdmb_buf;
struct gdmb_range;
struct seq_file;

struct gdmb_rec {
	struct kref ref;
	struct list_head node;		/* on ctx->exports or ->released */
	struct gntdev_dmabuf_ctx *ctx;	/* NULL once unlinked */
	unsigned int fd;		/* fd number returned at export */
	u64 ino;			/* the dma-buf's inode number */
	bool released;			/* set once, under gdmb_track_lock */
	wait_queue_head_t wq;
};

/*
 * A backing store: where a buffer's grants land.  ->alloc fills
 * buf->pages with buf->count pages or returns an errno with none held
 * (it may park pages it could not give back, counting them itself);
 * ->free gives them back once no grant is mapped and returns how many
 * it had to park instead.  A ->contiguous store's pages are consecutive
 * guest-physical frames, one DMA segment.
 */
struct gdmb_pages_ops {
	int (*alloc)(struct gdmb_buf *buf);
	unsigned int (*free)(struct gdmb_buf *buf);
	bool contiguous;
};

struct gdmb_buf {
	struct dma_buf *dmabuf;
	const struct gdmb_pages_ops *backing;
	unsigned int count;		/* pages / grants */
	unsigned int data_ofs;		/* V2: data start in page 0 */
	u32 flags;			/* GNTDEV_DMA_FLAG_* */
	domid_t domid;
	/* For the debugfs listing (gdmb_exp_show()): */
	struct list_head live;		/* on gdmb_live once exported */
	pid_t pid;			/* the exporting process */
	u64 ino;			/* the dma-buf's inode number */
	bool released;			/* ->release ran: unmapping */
	u32 *refs;			/* the grant references */
	struct page **pages;
	struct gdmb_range *range;	/* contiguous hole, if any */
	grant_handle_t *handles;	/* INVALID_GRANT_HANDLE if unmapped */
	/* Unmapping: the alias (PV), then the pages (see gdmb_buf_free()). */
	struct gnttab_unmap_grant_ref *unmap_ops;
	struct page **unmap_pages;
	struct gntdev_unmap_async unmap;
	struct gdmb_rec *rec;

	struct mutex lock;		/* the fields below */
	struct list_head attachments;	/* gdmb_attach.node */
	unsigned int vmap_users;
	void *vaddr;			/* kernel mapping, page 0 */
	grant_handle_t *vmap_handles;	/* PV: the vmap alias mappings */
	/* PV: placeholder page for vmap(); both: the V2 tail (see vmap) */
	struct page *vmap_filler;
};

struct gdmb_attach {
	struct list_head node;
	struct device *dev;
	struct sg_table sgt;
	enum dma_data_direction dir;	/* of the DMA mapping if mapped */
	bool mapped;
	bool sync_noop;			/* a sync of the mapping does nothing */
	unsigned int users;		/* map_dma_buf minus unmap_dma_buf */
};

/*
 * Pages the kernel mapping covers.  vmap hands out the address of the
 * first data byte, and an importer may touch the buffer's whole size
 * from there: with a V2 data offset that runs data_ofs bytes past the
 * last granted page, so the area then ends with one private zeroed page
 * (buf->vmap_filler), never a grant.
 */
static inline unsigned int gdmb_vmap_pages(const struct gdmb_buf *buf)
{
	return buf->count + (buf->data_ofs ? 1 : 0);
}

/* gntdev-dmabuf.c */
struct gdmb_rec *gdmb_rec_alloc(void);
void gdmb_rec_release(struct gdmb_rec *rec);
void gdmb_rec_put(struct gdmb_rec *rec);

/* gntdev-dmabuf-exp.c */
struct dma_buf *gdmb_buf_export(u32 domid, u32 count, u32 data_ofs,
				u32 flags, u32 *refs, struct gdmb_rec **rec);
bool gntdev_dmabuf_is_ours(const struct dma_buf *dmabuf);
int gdmb_map_grants(struct gdmb_buf *buf, unsigned long va,
		    grant_handle_t *handles);

/* gntdev-dmabuf-imp.c */
void gntdev_dmabuf_imp_exit(void);
void gntdev_dmabuf_imp_release_all(struct gntdev_dmabuf_ctx *ctx);

/* gntdev-dmabuf-pv.c */
int gdmb_pv_alias_map(struct gdmb_buf *buf);
void gdmb_pv_alias_unmap(struct gdmb_buf *buf);
int gdmb_pv_mmap(struct gdmb_buf *buf, struct vm_area_struct *vma);

/* gntdev-dmabuf-pages.c */
int gdmb_pages_init(void);
void gdmb_pages_exit(void);
const struct gdmb_pages_ops *gdmb_pages_ops(u32 flags);
void gdmb_pages_tidy(void);
unsigned long gdmb_pages_parked(void);
void gdmb_exp_show(struct seq_file *m);
void gdmb_imp_show(struct seq_file *m);
int gdmb_hand_over(unsigned int nr, struct page **pages);
int gdmb_hold(unsigned int nr, struct page **pages);
unsigned int gdmb_give_back(unsigned int nr, struct page **pages);
bool gdmb_pool_take_block(unsigned int nr, struct page **pages);
bool gdmb_pool_put_block(unsigned int nr, struct page **pages);
bool gdmb_reserve(unsigned int nr);
void gdmb_unreserve(unsigned int nr);
void gdmb_reserved_held(unsigned int nr);
void gdmb_pages_add(long n);

/* gntdev-dmabuf-contig.c */
extern const struct gdmb_pages_ops gdmb_contig_pages;

#endif
