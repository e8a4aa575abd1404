// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-dmabuf.c - dma-buf export of foreign grants for /dev/xen/gntdev
 * (ioctls DMABUF_EXP_FROM_REFS, DMABUF_EXP_FROM_REFS_V2 and
 * DMABUF_EXP_WAIT_RELEASED; the import ioctls still answer ENOTTY).
 *
 * What this file owns
 *
 *  struct gdmb_buf - one exported buffer: the backing pages (see
 *	gdmb_alloc_pages()), the grant handles of their mappings, the
 *	optional kernel mapping (vmap) and the list of attachments.  The
 *	buffer is owned by its struct dma_buf: it is created fully mapped
 *	before dma_buf_export() and destroyed only by the ->release
 *	callback, i.e. when the last reference to the dma-buf file is gone
 *	(every fd closed, every importer detached and put, every mmap of
 *	the fd unmapped).  ->release starts an asynchronous unmap and never
 *	waits; the buffer is freed when the unmap completes (at once, or
 *	later if some page is still referenced outside the driver: see
 *	gdmb_buf_free()).  It never points at the gntdev file or context,
 *	so it outlives both.  Each buffer holds a module reference (the
 *	dma-buf core takes it for the exporter, and a pending unmap takes
 *	one of its own), so the module cannot go away under a buffer.
 *
 *  struct gdmb_attach - per-attachment state (dma_buf_attachment.priv):
 *	an sg table with one entry per page, DMA-mapped for the importer's
 *	device on first use and cached until detach.  Created by ->attach,
 *	freed by ->detach; linked on buf->attachments under buf->lock.
 *
 *  struct gdmb_rec - the export record that EXP_WAIT_RELEASED looks up.
 *	Refcounted (kref): one reference belongs to the buffer (dropped
 *	once the grants are unmapped and the pages freed), one
 *	to the context's list while the record is on it, one to each
 *	waiter for the duration of its wait.  Records are linked on
 *	ctx->exports and rec->ctx is set, both under gdmb_track_lock only;
 *	whichever of ->release or context release comes first unlinks the
 *	record.  A released record is never on a list, so a lookup can
 *	only find live buffers.
 *
 *  struct gntdev_dmabuf_ctx - per gntdev file, created by
 *	gntdev_dmabuf_open() and freed by gntdev_dmabuf_release() once the
 *	core has no more ioctls running on the file; it unlinks its records
 *	and drops their list references, buffers stay alive.
 *
 *  struct gdmb_pv_vma - PV dom0 only: the state of one mmap() of a
 *	buffer (recorded PTE addresses, MMU interval notifier), shared by
 *	the pieces of a split vma and freed by the last ->close (see the
 *	comment above its definition).  PVH mmaps need no state.
 *
 * Lock order: dma-buf core locks, then buf->lock, then gdmb_track_lock
 * (a spinlock, innermost, never held across a call that sleeps).
 * gdmb_stray_lock (PVH parked pages) nests inside nothing and is held
 * only to move pages on or off its list.
 * gdmb_pv_vma.lock is taken only inside the MMU notifier callback.
 *
 * Mapping strategy (PV and PVH dom0 alike, as blkback does): every slot
 * gets a page of its own (see gdmb_alloc_pages()) and the grant is
 * mapped with GNTMAP_host_map at that page's kernel address; Xen rejects
 * GNTMAP_device_map for auto-translated (PVH) domains and PV does not
 * need it: the p2m entry gnttab_map_refs() installs makes the DMA API
 * (xen-swiotlb) return the machine frame.  The mappings are always
 * writable.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/iosys-map.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xen.h>
#include <xen/xen-ops.h>
#include <xen/interface/grant_table.h>
#include <xen/mem-reservation.h>
#include <asm/xen/hypercall.h>
#include <asm/xen/page.h>

#include <uapi/xen/gntdev.h>

#include "gntdev-compat.h"
#include "gntdev-dmabuf.h"
#include "gntdev-internal.h"
#include "gntdev-stats.h"

GNTDEV_IMPORT_NS_DMA_BUF();

/*
 * Grant operations are issued in batches of this many slots, with a
 * cond_resched() between batches wherever the caller may sleep.
 */
#define GDMB_BATCH	64

#define GDMB_FLAGS_KNOWN	(GNTDEV_DMA_FLAG_WC | GNTDEV_DMA_FLAG_COHERENT)

/*
 * Module parameter "dmabuf_max_pages": the most backing pages all
 * exported buffers together may hold, pages parked after a failed
 * repopulation included (PVH: real RAM below 4 GiB taken out of dom0;
 * PV: ballooned or unpopulated pages).  An export that would exceed it
 * fails with EDQUOT.  Buffers outlive their files, so only a global
 * bound limits them.  gdmb_held counts the pages held or reserved by an
 * export in progress.
 */
static unsigned int gdmb_max_pages = 65536;
module_param_named(dmabuf_max_pages, gdmb_max_pages, uint, 0644);
MODULE_PARM_DESC(dmabuf_max_pages,
		 "Most backing pages all exported dma-bufs may hold (EDQUOT beyond)");
static atomic_long_t gdmb_held = ATOMIC_LONG_INIT(0);

struct gntdev_dmabuf_ctx {
	struct list_head exports;	/* gdmb_rec.node, gdmb_track_lock */
};

struct gdmb_rec {
	struct kref ref;
	struct list_head node;		/* on ctx->exports, or empty */
	struct gntdev_dmabuf_ctx *ctx;	/* NULL once unlinked */
	unsigned int fd;		/* fd number returned at export */
	bool released;			/* set once, under gdmb_track_lock */
	wait_queue_head_t wq;
};

struct gdmb_buf {
	struct dma_buf *dmabuf;
	unsigned int count;		/* pages / grants */
	unsigned int data_ofs;		/* V2: data start in page 0 */
	domid_t domid;
	u32 *refs;			/* the grant references */
	struct page **pages;
	grant_handle_t *handles;	/* INVALID_GRANT_HANDLE if unmapped */
	/* Release: the asynchronous unmap (see gdmb_buf_free()). */
	struct gnttab_unmap_grant_ref *unmap_ops;
	struct page **unmap_pages;
	struct gntab_unmap_queue_data unmapq;
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
	unsigned int users;		/* map_dma_buf minus unmap_dma_buf */
};

static DEFINE_SPINLOCK(gdmb_track_lock);

/* ---- export records ---- */

static void gdmb_rec_free(struct kref *ref)
{
	kfree(container_of(ref, struct gdmb_rec, ref));
}

static void gdmb_rec_put(struct gdmb_rec *rec)
{
	kref_put(&rec->ref, gdmb_rec_free);
}

/* Link @rec on @ctx's list; the list gets its own reference. */
static void gdmb_rec_publish(struct gntdev_dmabuf_ctx *ctx,
			     struct gdmb_rec *rec, unsigned int fd)
{
	kref_get(&rec->ref);
	spin_lock(&gdmb_track_lock);
	rec->fd = fd;
	rec->ctx = ctx;
	list_add(&rec->node, &ctx->exports);
	spin_unlock(&gdmb_track_lock);
}

/* Mark @rec released, unlink it and wake its waiters; drops no buf ref. */
static void gdmb_rec_release(struct gdmb_rec *rec)
{
	bool linked;

	spin_lock(&gdmb_track_lock);
	linked = rec->ctx;
	if (linked) {
		list_del_init(&rec->node);
		rec->ctx = NULL;
	}
	rec->released = true;
	spin_unlock(&gdmb_track_lock);
	wake_up_all(&rec->wq);
	if (linked)
		gdmb_rec_put(rec);
}

/* ---- grant mapping of the backing pages ---- */

static unsigned long gdmb_page_kaddr(struct page *page)
{
	return (unsigned long)pfn_to_kaddr(page_to_pfn(page));
}

/* The errno for a failed map operation's status. */
static int gdmb_status_errno(s16 status)
{
	switch (status) {
	case GNTST_eagain:
		return -EAGAIN;
	case GNTST_no_device_space:
	case GNTST_no_space:
		return -ENOSPC;
	default:
		return -EINVAL;
	}
}

/*
 * Map all grants of @buf.  On failure the slots that did map keep their
 * handle (gdmb_buf_free() unmaps them) and the error is returned: -EAGAIN
 * if a grant was still paged out after the retries gnttab_map_refs()
 * makes, -ENOMEM if the hypercall could not be issued for lack of memory,
 * -ENOSPC if Xen had no room for the mapping, -EINVAL otherwise (bad ref,
 * bad domid, no access, the grant mapped too often at once, ...).
 */
static int gdmb_map_grants(struct gdmb_buf *buf)
{
	struct gnttab_map_grant_ref *ops;
	unsigned int i, n, j;
	int ret = 0;

	ops = kcalloc(GDMB_BATCH, sizeof(*ops), GFP_KERNEL);
	if (!ops)
		return -ENOMEM;

	for (i = 0; i < buf->count && !ret; i += n) {
		n = min_t(unsigned int, GDMB_BATCH, buf->count - i);
		for (j = 0; j < n; j++)
			gnttab_set_map_op(&ops[j],
					  gdmb_page_kaddr(buf->pages[i + j]),
					  GNTMAP_host_map, buf->refs[i + j],
					  buf->domid);
		for (j = 0; j < n; j++)
			ops[j].status = GNTST_general_error;
		ret = gnttab_map_refs(ops, NULL, &buf->pages[i], n);
		if (ret)
			ret = ret == -ENOMEM ? -ENOMEM : -EINVAL;
		/* Record every slot that did map, even when another failed. */
		for (j = 0; j < n; j++) {
			if (ops[j].status == GNTST_okay) {
				buf->handles[i + j] = ops[j].handle;
				gntdev_stat_add(GNTDEV_STAT_DMABUF_GRANTS, 1);
			} else if (!ret) {
				ret = gdmb_status_errno(ops[j].status);
			}
		}
		cond_resched();
	}
	kfree(ops);
	return ret;
}

/* ---- the PV kernel mapping ---- */

/*
 * Pages the kernel mapping covers.  vmap hands out the address of the
 * first data byte, and an importer may touch the buffer's whole size
 * from there: with a V2 data offset that runs data_ofs bytes past the
 * last granted page, so the area then ends with one private zeroed page
 * (buf->vmap_filler), never a grant.
 */
static unsigned int gdmb_vmap_pages(const struct gdmb_buf *buf)
{
	return buf->count + (buf->data_ofs ? 1 : 0);
}

/*
 * PV kernel mapping ("alias").  A PV guest may not write a page-table
 * entry that points at another domain's frame, so vmap() of the granted
 * pages themselves would be refused by Xen.  Instead the area is first
 * vmap()ed over a private placeholder page, then each grant is mapped a
 * second time with GNTMAP_host_map at its address in the area, which
 * makes Xen replace the placeholder entry.
 *
 * The alias is made at export time, not by ->vmap: a second mapping of a
 * grant can be refused (Xen's per-grant pin count full after many
 * exports of one ref, dom0's maptrack full), the dma-buf core WARNs on
 * any vmap failure, and the export can report the refusal properly.
 * So ->vmap cannot fail in PV, and a buffer pins each grant twice.
 *
 * Removal (release, or a failed export): each alias grant is unmapped
 * (Xen clears the entry and flushes the TLB); a handle is forgotten only
 * once Xen reports the unmap done (review S2).  If any unmap is refused,
 * the area still shows a grant: it is never vunmap()ed (whose PTE clear
 * Xen would refuse too), and the area, the placeholder and the handles
 * are leaked rather than reused.
 */
static void gdmb_pv_alias_unmap(struct gdmb_buf *buf)
{
	unsigned int i = 0, n, j, failed = 0;
	struct gnttab_unmap_grant_ref *op;
	unsigned int idx[GDMB_BATCH];
	int ret;

	if (buf->vmap_handles && buf->vaddr) {
		op = kcalloc(GDMB_BATCH, sizeof(*op),
			     GFP_KERNEL | __GFP_NOFAIL);
		while (i < buf->count) {
			for (n = 0; i < buf->count && n < GDMB_BATCH; i++) {
				if (buf->vmap_handles[i] == INVALID_GRANT_HANDLE)
					continue;
				gnttab_set_unmap_op(&op[n],
						    (unsigned long)buf->vaddr +
						    i * PAGE_SIZE, GNTMAP_host_map,
						    buf->vmap_handles[i]);
				op[n].status = GNTST_general_error;
				idx[n++] = i;
			}
			if (!n)
				break;
			ret = HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref,
							op, n);
			for (j = 0; j < n; j++) {
				if (ret || op[j].status != GNTST_okay) {
					failed++;
					continue;
				}
				buf->vmap_handles[idx[j]] = INVALID_GRANT_HANDLE;
				gntdev_stat_add(GNTDEV_STAT_DMABUF_GRANTS, -1);
			}
			cond_resched();
		}
		kfree(op);
	}
	if (failed) {
		WARN_ONCE(1, "xen-gntdev: vmap alias unmap failed, area leaked\n");
	} else {
		if (buf->vaddr)
			vunmap(buf->vaddr);
		if (buf->vmap_filler)
			__free_page(buf->vmap_filler);
		kvfree(buf->vmap_handles);
	}
	buf->vaddr = NULL;
	buf->vmap_filler = NULL;
	buf->vmap_handles = NULL;
}

/* PV: make the alias; 0, or -errno with nothing left mapped. */
static int gdmb_pv_alias_map(struct gdmb_buf *buf)
{
	unsigned int i, n, j, total = gdmb_vmap_pages(buf);
	struct gnttab_map_grant_ref *op;
	struct page **filler;
	int ret = 0;

	op = kcalloc(GDMB_BATCH, sizeof(*op), GFP_KERNEL);
	buf->vmap_handles = kvcalloc(buf->count, sizeof(*buf->vmap_handles),
				     GFP_KERNEL);
	filler = kvcalloc(total, sizeof(*filler), GFP_KERNEL);
	buf->vmap_filler = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!op || !buf->vmap_handles || !filler || !buf->vmap_filler) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < total; i++)
		filler[i] = buf->vmap_filler;
	for (i = 0; i < buf->count; i++)
		buf->vmap_handles[i] = INVALID_GRANT_HANDLE;
	buf->vaddr = vmap(filler, total, VM_MAP, PAGE_KERNEL);
	if (!buf->vaddr) {
		ret = -ENOMEM;
		goto out;
	}

	for (i = 0; i < buf->count && !ret; i += n) {
		n = min_t(unsigned int, GDMB_BATCH, buf->count - i);
		for (j = 0; j < n; j++) {
			gnttab_set_map_op(&op[j], (unsigned long)buf->vaddr +
					  (i + j) * PAGE_SIZE, GNTMAP_host_map,
					  buf->refs[i + j], buf->domid);
			op[j].status = GNTST_general_error;
			op[j].handle = INVALID_GRANT_HANDLE;
		}
		gnttab_batch_map(op, n);
		for (j = 0; j < n; j++) {
			if (op[j].status == GNTST_okay) {
				buf->vmap_handles[i + j] = op[j].handle;
				gntdev_stat_add(GNTDEV_STAT_DMABUF_GRANTS, 1);
			} else if (!ret) {
				ret = gdmb_status_errno(op[j].status);
			}
		}
		cond_resched();
	}
out:
	kvfree(filler);
	kfree(op);
	if (ret) {
		pr_debug("vmap alias of %u grants failed: %d\n", buf->count, ret);
		gdmb_pv_alias_unmap(buf);
	}
	return ret;
}

/* ---- buffer life cycle ---- */

/*
 * Backing pages.  PV: gnttab_alloc_pages(); their pfns never matter,
 * CPU and DMA go through the machine frames.
 *
 * Auto-translated (PVH): a page's guest-physical address is what devices
 * see (dom0 does not drive the IOMMU; Xen's IOMMU tables follow dom0's
 * p2m).  The unpopulated pages gnttab_alloc_pages() hands out lie above
 * all RAM, and the balloon's pages may too, out of reach of 32-bit DMA
 * masks (cirrus, for one).  So each slot gets an ordinary page below
 * 4 GiB, scrubbed and handed back to Xen (XENMEM_decrease_reservation)
 * so that its gfn is a hole the grant can be mapped into; on free the
 * gfn is populated again and the page returned to the allocator.
 *
 * A page whose gfn Xen cannot populate again (out of memory in Xen) must
 * not go back to the allocator: it is parked on gdmb_stray (linked by
 * page->lru, under gdmb_stray_lock) and stays counted in the "pages"
 * counter.  Every later export and every buffer release retries the
 * parked pages first and frees those Xen populates.  Pages still parked
 * when the module is unloaded are leaked for good.
 */
static LIST_HEAD(gdmb_stray);
static DEFINE_SPINLOCK(gdmb_stray_lock);

/* Pages now held (+) or given back (-): the counters and the cap. */
static void gdmb_pages_add(long n)
{
	gntdev_stat_add(GNTDEV_STAT_PAGES, n);
	gntdev_stat_add(GNTDEV_STAT_DMABUF_PAGES, n);
	atomic_long_add(n, &gdmb_held);
}

/*
 * Reserve @nr pages under the cap before allocating them; the caller
 * either keeps the reservation (the pages are held) or drops it with
 * gdmb_unreserve().  False if the cap would be exceeded.
 */
static bool gdmb_reserve(unsigned int nr)
{
	if (atomic_long_add_return(nr, &gdmb_held) <=
	    (long)READ_ONCE(gdmb_max_pages)) {
		gntdev_stat_add(GNTDEV_STAT_DMABUF_PAGES, nr);
		return true;
	}
	atomic_long_sub(nr, &gdmb_held);
	return false;
}

static void gdmb_unreserve(unsigned int nr)
{
	gntdev_stat_add(GNTDEV_STAT_DMABUF_PAGES, -(long)nr);
	atomic_long_sub(nr, &gdmb_held);
}

static void gdmb_stray_add(struct page *page)
{
	spin_lock(&gdmb_stray_lock);
	list_add_tail(&page->lru, &gdmb_stray);
	spin_unlock(&gdmb_stray_lock);
}

/* Try to give the parked pages back, a batch at a time. */
static void gdmb_stray_retry(void)
{
	xen_pfn_t frames[GDMB_BATCH];
	struct page *batch[GDMB_BATCH];
	unsigned int n, j;
	int got;

	if (list_empty_careful(&gdmb_stray))
		return;
	for (;;) {
		spin_lock(&gdmb_stray_lock);
		for (n = 0; n < GDMB_BATCH && !list_empty(&gdmb_stray); n++) {
			batch[n] = list_first_entry(&gdmb_stray, struct page,
						    lru);
			list_del(&batch[n]->lru);
		}
		spin_unlock(&gdmb_stray_lock);
		if (!n)
			return;
		for (j = 0; j < n; j++)
			frames[j] = page_to_xen_pfn(batch[j]);
		got = xenmem_reservation_increase(n, frames);
		if (got < 0)
			got = 0;
		for (j = 0; j < got; j++)
			__free_page(batch[j]);
		gdmb_pages_add(-got);
		if (got < n) {
			/* Xen is still short: keep the rest for next time. */
			spin_lock(&gdmb_stray_lock);
			for (j = got; j < n; j++)
				list_add(&batch[j]->lru, &gdmb_stray);
			spin_unlock(&gdmb_stray_lock);
			return;
		}
		cond_resched();
	}
}

/*
 * Populate the gfns of @nr released @pages again and free them.  Those
 * Xen cannot populate are parked (see above); returns how many were
 * freed.
 */
static unsigned int gdmb_pvh_free_pages(unsigned int nr, struct page **pages)
{
	xen_pfn_t frames[GDMB_BATCH];
	unsigned int i, n, j, freed = 0;
	int got;

	for (i = 0; i < nr; i += n) {
		n = min_t(unsigned int, GDMB_BATCH, nr - i);
		for (j = 0; j < n; j++)
			frames[j] = page_to_xen_pfn(pages[i + j]);
		got = xenmem_reservation_increase(n, frames);
		if (got < 0)
			got = 0;
		for (j = 0; j < n; j++) {
			if (j < got) {
				__free_page(pages[i + j]);
				freed++;
			} else {
				gdmb_stray_add(pages[i + j]);
			}
		}
		cond_resched();
	}
	return freed;
}

/*
 * On failure nothing stays allocated except pages that had to be
 * parked; those are added to the counters here (on top of the caller's
 * reservation, which the caller drops).  The pages are charged to the
 * caller's memory cgroup (__GFP_ACCOUNT) for as long as they are held.
 */
static int gdmb_pvh_alloc_pages(unsigned int nr, struct page **pages)
{
	xen_pfn_t frames[GDMB_BATCH];
	unsigned int i, n, j, parked = 0;
	int got;

	for (i = 0; i < nr; i += n) {
		n = min_t(unsigned int, GDMB_BATCH, nr - i);
		for (j = 0; j < n; j++) {
			pages[i + j] = alloc_page(GFP_KERNEL | __GFP_DMA32 |
						  __GFP_ACCOUNT | __GFP_NOWARN);
			if (!pages[i + j])
				break;
			clear_highpage(pages[i + j]);
			frames[j] = page_to_xen_pfn(pages[i + j]);
		}
		got = j < n ? 0 : xenmem_reservation_decrease(n, frames);
		if (got != n) {
			/* Populate what was released, free this batch. */
			if (got > 0)
				parked += got -
					  gdmb_pvh_free_pages(got, &pages[i]);
			while (j-- > max(got, 0))
				__free_page(pages[i + j]);
			parked += i - gdmb_pvh_free_pages(i, pages);
			if (parked)
				gdmb_pages_add(parked);
			return -ENOMEM;
		}
		cond_resched();
	}
	return 0;
}

static int gdmb_alloc_pages(unsigned int nr, struct page **pages)
{
	unsigned int parked;
	int ret;

	if (xen_pv_domain())
		return gnttab_alloc_pages(nr, pages);
	ret = gdmb_pvh_alloc_pages(nr, pages);
	if (ret)
		return ret;
	ret = gnttab_pages_set_private(nr, pages);
	if (ret) {
		gnttab_pages_clear_private(nr, pages);
		parked = nr - gdmb_pvh_free_pages(nr, pages);
		if (parked)
			gdmb_pages_add(parked);
	}
	return ret;
}

/* Returns the number of pages parked instead of freed (PVH only). */
static unsigned int gdmb_free_pages(unsigned int nr, struct page **pages)
{
	if (xen_pv_domain()) {
		gnttab_free_pages(nr, pages);
		return 0;
	}
	gnttab_pages_clear_private(nr, pages);
	return nr - gdmb_pvh_free_pages(nr, pages);
}

/*
 * The second half of gdmb_buf_free(), once no grant of @buf is mapped
 * any more (@failed == 0) or the unmap failed for @failed slots.  Order
 * matters: the pages go back and the counters drop before the release
 * record is marked, so EXP_WAIT_RELEASED answers 0 only when everything
 * is returned.
 */
static void gdmb_buf_finish(struct gdmb_buf *buf, unsigned int failed)
{
	if (failed) {
		/*
		 * Xen still maps some slot: giving those pages back would
		 * hand a foreign frame to the allocator.  Leak them all (the
		 * handles array too) rather than risk it.
		 */
		WARN_ONCE(1, "xen-gntdev: dma-buf grants left mapped\n");
		goto out;
	}
	if (buf->pages && buf->pages[0]) {
		unsigned int parked = gdmb_free_pages(buf->count, buf->pages);

		gdmb_pages_add(-(long)(buf->count - parked));
	}
	kvfree(buf->handles);
	kvfree(buf->pages);
	kvfree(buf->refs);
out:
	kvfree(buf->unmap_ops);
	kvfree(buf->unmap_pages);
	if (buf->rec) {
		gdmb_rec_release(buf->rec);
		gdmb_rec_put(buf->rec);
	}
	mutex_destroy(&buf->lock);
	kfree(buf);
	if (!xen_pv_domain())
		gdmb_stray_retry();
}

/*
 * Done callback of the asynchronous unmap: runs in the releasing task
 * when no page was busy, else from the grant-table delayed work once the
 * last outside page reference is gone.  @q lives in @buf, which is
 * freed here; the grant-table code does not touch @q after this call.
 * Drops the module reference gdmb_buf_free() took as its very last
 * action, so only this function's return remains to run in module text
 * once rmmod may proceed; gntdev_exit() waits for a tasks-RCU grace
 * period, which that return cannot outlast.
 */
static void gdmb_unmap_done(int result, struct gntab_unmap_queue_data *q)
{
	struct gdmb_buf *buf = q->data;
	unsigned int j, failed = 0;

	for (j = 0; j < q->count; j++) {
		if (result || q->unmap_ops[j].status != GNTST_okay) {
			failed++;
			continue;
		}
		gntdev_stat_add(GNTDEV_STAT_DMABUF_GRANTS, -1);
	}
	gdmb_buf_finish(buf, failed);
	module_put(THIS_MODULE);
}

/*
 * Free @buf: unmap its grants, give its pages back, mark its release
 * record.  Never waits for page references held outside the driver (a
 * page of a PVH mmap spliced into a pipe, a get_user_pages() user, ...):
 * the unmap is queued with gnttab_unmap_refs_async(), which retries from
 * a delayed work until every page is idle and then calls
 * gdmb_unmap_done().  Until then the buffer holds a module reference, so
 * xen-gntdev cannot be unloaded (rmmod: EBUSY) while an unmap is pending.
 */
static void gdmb_buf_free(struct gdmb_buf *buf)
{
	struct gntab_unmap_queue_data *q = &buf->unmapq;
	unsigned int i, n = 0;

	/* The alias maps the grants, not the pages: nothing to wait for. */
	if (xen_pv_domain())
		gdmb_pv_alias_unmap(buf);
	if (buf->pages && buf->handles && buf->unmap_ops && buf->unmap_pages) {
		for (i = 0; i < buf->count; i++) {
			if (buf->handles[i] == INVALID_GRANT_HANDLE)
				continue;
			gnttab_set_unmap_op(&buf->unmap_ops[n],
					    gdmb_page_kaddr(buf->pages[i]),
					    GNTMAP_host_map, buf->handles[i]);
			buf->unmap_pages[n++] = buf->pages[i];
		}
	}
	if (!n) {
		gdmb_buf_finish(buf, 0);
		return;
	}
	q->data = buf;
	q->done = gdmb_unmap_done;
	q->unmap_ops = buf->unmap_ops;
	q->kunmap_ops = NULL;
	q->pages = buf->unmap_pages;
	q->count = n;
	__module_get(THIS_MODULE);
	gnttab_unmap_refs_async(q);
}

/* Takes ownership of @refs (a kvmalloc()ed array of @count refs). */
static struct gdmb_buf *gdmb_buf_create(u32 domid, u32 count, u32 data_ofs,
					u32 *refs)
{
	struct gdmb_buf *buf;
	unsigned int i;
	int ret = -ENOMEM;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf) {
		kvfree(refs);
		return ERR_PTR(-ENOMEM);
	}
	buf->refs = refs;
	buf->count = count;
	buf->data_ofs = data_ofs;
	buf->domid = domid;
	mutex_init(&buf->lock);
	INIT_LIST_HEAD(&buf->attachments);

	buf->rec = kzalloc(sizeof(*buf->rec), GFP_KERNEL);
	if (!buf->rec)
		goto err;
	kref_init(&buf->rec->ref);
	INIT_LIST_HEAD(&buf->rec->node);
	init_waitqueue_head(&buf->rec->wq);

	buf->pages = kvcalloc(count, sizeof(*buf->pages), GFP_KERNEL);
	buf->handles = kvcalloc(count, sizeof(*buf->handles), GFP_KERNEL);
	buf->unmap_ops = kvcalloc(count, sizeof(*buf->unmap_ops), GFP_KERNEL);
	buf->unmap_pages = kvcalloc(count, sizeof(*buf->unmap_pages),
				    GFP_KERNEL);
	if (!buf->pages || !buf->handles || !buf->unmap_ops ||
	    !buf->unmap_pages)
		goto err;
	for (i = 0; i < count; i++)
		buf->handles[i] = INVALID_GRANT_HANDLE;

	if (!gdmb_reserve(count)) {
		ret = -EDQUOT;
		goto err;
	}
	ret = gdmb_alloc_pages(count, buf->pages);
	if (ret) {
		gdmb_unreserve(count);
		buf->pages[0] = NULL;
		ret = -ENOMEM;
		goto err;
	}
	/* gdmb_held and dmabuf_pages already count them (reserved). */
	gntdev_stat_add(GNTDEV_STAT_PAGES, count);

	ret = gdmb_map_grants(buf);
	if (!ret && xen_pv_domain())
		ret = gdmb_pv_alias_map(buf);
	if (ret)
		goto err;
	return buf;

err:
	gdmb_buf_free(buf);
	return ERR_PTR(ret);
}

/* ---- dma_buf_ops ---- */

static int gdmb_attach(struct dma_buf *dmabuf,
		       struct dma_buf_attachment *attach)
{
	struct gdmb_buf *buf = dmabuf->priv;
	struct gdmb_attach *ga;
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	ga = kzalloc(sizeof(*ga), GFP_KERNEL);
	if (!ga)
		return -ENOMEM;
	/*
	 * One entry per page, never merged: in PV dom0 neighbouring pfns
	 * are not neighbouring machine frames, and a merged entry would
	 * make xen-swiotlb bounce the whole range instead of mapping it.
	 */
	ret = sg_alloc_table(&ga->sgt, buf->count, GFP_KERNEL);
	if (ret) {
		kfree(ga);
		return ret;
	}
	for_each_sgtable_sg(&ga->sgt, sg, i) {
		unsigned int ofs = i ? 0 : buf->data_ofs;

		sg_set_page(sg, buf->pages[i], PAGE_SIZE - ofs, ofs);
	}
	ga->dev = attach->dev;
	ga->dir = DMA_NONE;
	attach->priv = ga;

	mutex_lock(&buf->lock);
	list_add(&ga->node, &buf->attachments);
	mutex_unlock(&buf->lock);
	gntdev_stat_add(GNTDEV_STAT_DMABUF_ATTACHMENTS, 1);
	return 0;
}

static void gdmb_detach(struct dma_buf *dmabuf,
			struct dma_buf_attachment *attach)
{
	struct gdmb_buf *buf = dmabuf->priv;
	struct gdmb_attach *ga = attach->priv;

	mutex_lock(&buf->lock);
	list_del(&ga->node);
	mutex_unlock(&buf->lock);
	/*
	 * An importer that detaches with a mapping still in use is buggy;
	 * the CPU sync would then be owed to it, so sync anyway.
	 */
	if (ga->mapped)
		dma_unmap_sgtable(ga->dev, &ga->sgt, ga->dir,
				  ga->users ? 0 : DMA_ATTR_SKIP_CPU_SYNC);
	sg_free_table(&ga->sgt);
	kfree(ga);
	attach->priv = NULL;
	gntdev_stat_add(GNTDEV_STAT_DMABUF_ATTACHMENTS, -1);
}

/*
 * The DMA mapping is made on first use and kept until detach.  A cached
 * mapping handed out again is synced for the device, and the last
 * unmap_dma_buf syncs it back for the CPU, so an importer sees exactly
 * the ownership transfers a real map/unmap would give it.  While the
 * attachment is mapped, a request for another direction is -EBUSY; once
 * idle, the attachment is re-mapped in the new direction.
 */
/*
 * Can @dev reach every page without help?  In an auto-translated dom0
 * the bus address of a page is its guest-physical address unless Linux
 * drives an IOMMU for the device (for dom0, Xen keeps the IOMMU to
 * itself).  A device that cannot reach a page would get a dma-direct
 * warning and an error, or a bounce buffer that silently breaks zero
 * copy; it is refused instead.  In PV, xen-swiotlb decides (it bounces
 * frames beyond the mask).  A device without a DMA mask cannot map at
 * all.
 */
static bool gdmb_dev_reaches(struct gdmb_buf *buf, struct device *dev)
{
	unsigned int i;
	u64 limit;

	if (!dev->dma_mask)
		return false;
	if (xen_pv_domain() || device_iommu_mapped(dev))
		return true;
	limit = min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
	for (i = 0; i < buf->count; i++)
		if (page_to_phys(buf->pages[i]) + PAGE_SIZE - 1 > limit)
			return false;
	return true;
}

static struct sg_table *gdmb_map_dma_buf(struct dma_buf_attachment *attach,
					 enum dma_data_direction dir)
{
	struct gdmb_buf *buf = attach->dmabuf->priv;
	struct gdmb_attach *ga = attach->priv;
	struct sg_table *sgt = &ga->sgt;
	int ret;

	if (!valid_dma_direction(dir) || dir == DMA_NONE)
		return ERR_PTR(-EINVAL);

	mutex_lock(&buf->lock);
	if (ga->mapped && ga->dir != dir) {
		if (ga->users) {
			sgt = ERR_PTR(-EBUSY);
			goto out;
		}
		dma_unmap_sgtable(ga->dev, &ga->sgt, ga->dir,
				  DMA_ATTR_SKIP_CPU_SYNC);
		ga->mapped = false;
	}
	if (!ga->mapped) {
		if (!gdmb_dev_reaches(buf, ga->dev)) {
			sgt = ERR_PTR(-EINVAL);
			goto out;
		}
		ret = dma_map_sgtable(ga->dev, &ga->sgt, dir, 0);
		if (ret) {
			sgt = ERR_PTR(ret);
			goto out;
		}
		ga->mapped = true;
		ga->dir = dir;
	} else if (!ga->users) {
		dma_sync_sgtable_for_device(ga->dev, &ga->sgt, dir);
	}
	ga->users++;
out:
	mutex_unlock(&buf->lock);
	return sgt;
}

static void gdmb_unmap_dma_buf(struct dma_buf_attachment *attach,
			       struct sg_table *sgt,
			       enum dma_data_direction dir)
{
	struct gdmb_buf *buf = attach->dmabuf->priv;
	struct gdmb_attach *ga = attach->priv;

	mutex_lock(&buf->lock);
	if (!WARN_ON_ONCE(sgt != &ga->sgt || !ga->users) && !--ga->users)
		dma_sync_sgtable_for_cpu(ga->dev, &ga->sgt, ga->dir);
	mutex_unlock(&buf->lock);
}

/*
 * DMA_BUF_IOCTL_SYNC: mappings handed out to devices and still in use
 * are synced for the CPU (begin) and back for the device (end), each in
 * the direction it was mapped with.  Idle cached mappings were already
 * synced for the CPU by their last unmap_dma_buf.
 */
static void gdmb_sync_attachments(struct gdmb_buf *buf, bool for_cpu)
{
	struct gdmb_attach *ga;

	mutex_lock(&buf->lock);
	list_for_each_entry(ga, &buf->attachments, node) {
		if (!ga->mapped || !ga->users)
			continue;
		if (for_cpu)
			dma_sync_sgtable_for_cpu(ga->dev, &ga->sgt, ga->dir);
		else
			dma_sync_sgtable_for_device(ga->dev, &ga->sgt,
						    ga->dir);
	}
	mutex_unlock(&buf->lock);
}

static int gdmb_begin_cpu_access(struct dma_buf *dmabuf,
				 enum dma_data_direction dir)
{
	gdmb_sync_attachments(dmabuf->priv, true);
	return 0;
}

static int gdmb_end_cpu_access(struct dma_buf *dmabuf,
			       enum dma_data_direction dir)
{
	gdmb_sync_attachments(dmabuf->priv, false);
	return 0;
}

/* Auto-translated: the pages' gpfns are the grants. */
static int gdmb_pvh_vmap(struct gdmb_buf *buf)
{
	unsigned int total = gdmb_vmap_pages(buf);
	struct page **pages = buf->pages;
	int ret = -ENOMEM;

	if (total > buf->count) {
		buf->vmap_filler = alloc_page(GFP_KERNEL | __GFP_ZERO);
		pages = kvmalloc_array(total, sizeof(*pages), GFP_KERNEL);
		if (!buf->vmap_filler || !pages)
			goto out;
		memcpy(pages, buf->pages, buf->count * sizeof(*pages));
		pages[buf->count] = buf->vmap_filler;
	}
	buf->vaddr = vmap(pages, total, VM_MAP, PAGE_KERNEL);
	if (buf->vaddr)
		ret = 0;
out:
	if (pages != buf->pages)
		kvfree(pages);
	if (ret && buf->vmap_filler) {
		__free_page(buf->vmap_filler);
		buf->vmap_filler = NULL;
	}
	return ret;
}

static void gdmb_pvh_vunmap(struct gdmb_buf *buf)
{
	vunmap(buf->vaddr);
	buf->vaddr = NULL;
	if (buf->vmap_filler)
		__free_page(buf->vmap_filler);
	buf->vmap_filler = NULL;
}

/* PV: the alias exists from export to release; only PVH maps here. */
static int gdmb_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct gdmb_buf *buf = dmabuf->priv;
	int ret = 0;

	mutex_lock(&buf->lock);
	if (!buf->vmap_users && !xen_pv_domain())
		ret = gdmb_pvh_vmap(buf);
	if (!ret) {
		buf->vmap_users++;
		iosys_map_set_vaddr(map, buf->vaddr + buf->data_ofs);
	}
	mutex_unlock(&buf->lock);
	return ret;
}

static void gdmb_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct gdmb_buf *buf = dmabuf->priv;

	mutex_lock(&buf->lock);
	if (!WARN_ON_ONCE(!buf->vmap_users) && !--buf->vmap_users &&
	    !xen_pv_domain())
		gdmb_pvh_vunmap(buf);
	mutex_unlock(&buf->lock);
}

/*
 * mmap of the dma-buf fd maps whole pages: offset 0 of the mapping is
 * the start of the first granted page, so with a V2 data offset the
 * data starts data_ofs bytes into the mapping.  Only shared mappings are
 * allowed (a private one would silently copy on write).
 *
 * PVH: the pages are ordinary (unpopulated) guest pages whose gpfns the
 * grants occupy; they are inserted like any driver page.
 *
 * PV: user page-table entries may not point at a foreign frame unless
 * the hypervisor is told whose frame it is.  The machine frames (from
 * the p2m entries gnttab_map_refs() made) are mapped as foreign frames
 * of the granting domain, which needs the exporting domain to be
 * privileged over it: true for dom0; elsewhere Xen refuses and mmap
 * fails with the error Xen gave (typically EPERM).
 *
 * Xen validates every later rewrite of such an entry as if dom0 owned
 * the frame, so the kernel must never move or change one (it would warn
 * and lose the entry).  Hence, per PV mapping (struct gdmb_pv_vma,
 * vm_private_data, shared by the pieces of a split vma, freed on the
 * last close):
 *  - the machine address of each entry is recorded at mmap time, and an
 *    MMU interval notifier on the mapped range clears the entries with
 *    a hypercall before the mapping goes away (munmap, mremap, exit; no
 *    other invalidation touches these entries, see gdmb_pv_invalidate()):
 *    a moved mapping arrives empty and faults with SIGBUS;
 *  - protection changes are refused (mprotect: EACCES);
 *  - VM_DONTCOPY: fork() does not copy the mapping, VM_PFNMAP: no
 *    get_user_pages(), no MADV_DONTNEED.
 * Clearing an entry only drops that mapping's reference on the frame;
 * the grant stays mapped until the buffer is released, and the vma holds
 * the dma-buf file, so the buffer outlives every mapping.  The recorded
 * page tables stay in place until the kernel frees them, which it does
 * only after the notifier ran for their range (munmap, exit).
 */
struct gdmb_pv_vma {
	refcount_t users;		/* vmas sharing this mapping */
	struct mmu_interval_notifier notifier;
	spinlock_t lock;		/* @pte_maddr */
	unsigned long start;		/* user address of @pte_maddr[0] */
	unsigned long nr;
	u64 pte_maddr[];		/* 0 once cleared */
};

/*
 * mmu_update clears an entry but flushes no TLB, and the core MM, which
 * finds the entries already empty, flushes none either: without this,
 * another vCPU running the mm could keep using a cleared entry after a
 * partial munmap() or an mremap().  flush_tlb_mm_range() is not exported
 * to modules, so ask Xen directly to flush the (non-global) TLB entries
 * of every vCPU of dom0; the cost is one hypercall per notifier call
 * that cleared anything, which only munmap, mremap and exit of a PV
 * mapping of a buffer pay.  Safe in a non-blockable notifier: one
 * hypercall, no sleeping.
 */
static void gdmb_pv_flush_tlb(void)
{
	struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_ALL };

	WARN_ON_ONCE(HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF));
}

static bool gdmb_pv_invalidate(struct mmu_interval_notifier *mn,
			       const struct mmu_notifier_range *range,
			       unsigned long cur_seq)
{
	struct gdmb_pv_vma *pv = container_of(mn, struct gdmb_pv_vma,
					      notifier);
	unsigned long first, last, i;
	struct mmu_update req[16];
	unsigned int n = 0;
	bool cleared = false;

	/* Only hypercalls and a spinlock below: non-blockable is fine. */
	spin_lock(&pv->lock);
	mmu_interval_set_seq(mn, cur_seq);
	/*
	 * Only a move or a rewrite of a foreign PTE is fatal to it, and of
	 * those only the UNMAP kinds can reach this VM_PFNMAP | VM_IO vma
	 * (mremap() moves, exit and munmap() zap, which is harmless but
	 * frees the page tables); mprotect() is refused, and clear_refs,
	 * PAGEMAP_SCAN, MADV_DONTNEED and a VMA split's huge-PMD check
	 * leave PFN mappings alone.  So nothing else clears an entry: a
	 * split keeps every page mapped.
	 */
	if (!gntdev_mn_removes(range)) {
		spin_unlock(&pv->lock);
		return true;
	}
	first = max(range->start, pv->start);
	last = min(range->end, pv->start + pv->nr * PAGE_SIZE);
	for (i = (first - pv->start) >> PAGE_SHIFT;
	     first < last && i < pv->nr; i++, first += PAGE_SIZE) {
		if (!pv->pte_maddr[i])
			continue;
		req[n].ptr = pv->pte_maddr[i] | MMU_NORMAL_PT_UPDATE;
		req[n].val = 0;
		pv->pte_maddr[i] = 0;
		cleared = true;
		if (++n == ARRAY_SIZE(req)) {
			WARN_ON_ONCE(HYPERVISOR_mmu_update(req, n, NULL,
							   DOMID_SELF));
			n = 0;
		}
	}
	if (n)
		WARN_ON_ONCE(HYPERVISOR_mmu_update(req, n, NULL, DOMID_SELF));
	if (cleared)
		gdmb_pv_flush_tlb();
	spin_unlock(&pv->lock);
	return true;
}

static const struct mmu_interval_notifier_ops gdmb_pv_mn_ops = {
	.invalidate = gdmb_pv_invalidate,
};

static void gdmb_pv_vm_open(struct vm_area_struct *vma)
{
	struct gdmb_pv_vma *pv = vma->vm_private_data;

	refcount_inc(&pv->users);
}

static void gdmb_pv_vm_close(struct vm_area_struct *vma)
{
	struct gdmb_pv_vma *pv = vma->vm_private_data;

	if (!refcount_dec_and_test(&pv->users))
		return;
	mmu_interval_notifier_remove(&pv->notifier);
	kvfree(pv);
}

static int gdmb_pv_vm_mprotect(struct vm_area_struct *vma,
			       unsigned long start, unsigned long end,
			       unsigned long newflags)
{
	return (newflags ^ vma->vm_flags) & VM_ACCESS_FLAGS ? -EACCES : 0;
}

static const struct vm_operations_struct gdmb_pv_vm_ops = {
	.open = gdmb_pv_vm_open,
	.close = gdmb_pv_vm_close,
	.mprotect = gdmb_pv_vm_mprotect,
};

static int gdmb_pv_record_pte(pte_t *pte, unsigned long addr, void *data)
{
	struct gdmb_pv_vma *pv = data;

	pv->pte_maddr[(addr - pv->start) >> PAGE_SHIFT] =
		arbitrary_virt_to_machine(pte).maddr;
	return 0;
}

static int gdmb_mmap_pv(struct gdmb_buf *buf, struct vm_area_struct *vma)
{
	unsigned long first = vma->vm_pgoff, nr = vma_pages(vma), i;
	struct gdmb_pv_vma *pv;
	xen_pfn_t *mfns;
	int *errs, ret;

	pv = kvzalloc(struct_size(pv, pte_maddr, nr), GFP_KERNEL);
	mfns = kvcalloc(nr, sizeof(*mfns), GFP_KERNEL);
	errs = kvcalloc(nr, sizeof(*errs), GFP_KERNEL);
	if (!pv || !mfns || !errs) {
		ret = -ENOMEM;
		goto out;
	}
	refcount_set(&pv->users, 1);
	spin_lock_init(&pv->lock);
	pv->start = vma->vm_start;
	pv->nr = nr;
	for (i = 0; i < nr; i++)
		mfns[i] = pfn_to_mfn(page_to_pfn(buf->pages[first + i]));

	gntdev_vma_set_flags(vma, VM_IO | VM_PFNMAP | VM_DONTCOPY |
			     VM_DONTEXPAND | VM_DONTDUMP);
	/* Allocates the page tables; the mapping itself comes next. */
	ret = apply_to_page_range(vma->vm_mm, vma->vm_start, nr << PAGE_SHIFT,
				  gdmb_pv_record_pte, pv);
	if (ret)
		goto out;
	ret = xen_remap_domain_mfn_array(vma, vma->vm_start, mfns, nr, errs,
					 vma->vm_page_prot, buf->domid);
	if (ret >= 0 && ret != nr) {
		ret = -EFAULT;
		for (i = 0; i < nr; i++)
			if (errs[i]) {
				ret = errs[i];
				break;
			}
	}
	if (ret < 0)
		goto out;	/* the failed mmap zaps what was mapped */
	ret = mmu_interval_notifier_insert_locked(&pv->notifier, vma->vm_mm,
						  vma->vm_start,
						  nr << PAGE_SHIFT,
						  &gdmb_pv_mn_ops);
	if (ret)
		goto out;
	vma->vm_private_data = pv;
	vma->vm_ops = &gdmb_pv_vm_ops;
	pv = NULL;
out:
	kvfree(pv);
	kvfree(errs);
	kvfree(mfns);
	return ret;
}

static int gdmb_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct gdmb_buf *buf = dmabuf->priv;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/* The dma-buf core checked the range against the buffer size. */
	if (vma->vm_pgoff >= buf->count ||
	    vma_pages(vma) > buf->count - vma->vm_pgoff)
		return -EINVAL;
	if (xen_pv_domain())
		return gdmb_mmap_pv(buf, vma);
	return vm_map_pages(vma, buf->pages, buf->count);
}

static void gdmb_release(struct dma_buf *dmabuf)
{
	struct gdmb_buf *buf = dmabuf->priv;

	/* Counters are back at baseline before any waiter wakes up. */
	gntdev_stat_add(GNTDEV_STAT_DMABUF_EXPORTS, -1);
	/* Importers must vunmap first (PV: the alias goes in the free). */
	if (WARN_ON_ONCE(buf->vmap_users)) {
		buf->vmap_users = 0;
		if (!xen_pv_domain())
			gdmb_pvh_vunmap(buf);
	}
	gdmb_buf_free(buf);
}

static const struct dma_buf_ops gdmb_ops = {
	.attach = gdmb_attach,
	.detach = gdmb_detach,
	.map_dma_buf = gdmb_map_dma_buf,
	.unmap_dma_buf = gdmb_unmap_dma_buf,
	.release = gdmb_release,
	.begin_cpu_access = gdmb_begin_cpu_access,
	.end_cpu_access = gdmb_end_cpu_access,
	.mmap = gdmb_mmap,
	.vmap = gdmb_vmap,
	.vunmap = gdmb_vunmap,
};

/* ---- ioctls ---- */

/*
 * Validate, map, export and publish.  The fd is reserved first and
 * installed only when the buffer is complete, tracked and the fd number
 * has reached userspace (@ufd), so no other thread can reach a
 * half-built buffer through the fd table.  Returns 0 or -errno.
 */
static long gdmb_export(struct gntdev_dmabuf_ctx *ctx, u32 flags, u32 count,
			u32 domid, u32 data_ofs, const u32 __user *urefs,
			u32 __user *ufd)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;
	struct gdmb_buf *buf;
	u32 *refs;
	int fd;

	if (flags & ~GDMB_FLAGS_KNOWN)
		return -EINVAL;
	if ((flags & GDMB_FLAGS_KNOWN) == GDMB_FLAGS_KNOWN)
		return -EINVAL;
	if (domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	if (!count || count > gntdev_limit)
		return -EINVAL;
	if (data_ofs >= PAGE_SIZE)
		return -EINVAL;
	/* Contiguous DMA backing (WC/COHERENT) is not implemented yet. */
	if (flags)
		return -EOPNOTSUPP;
	if (!xen_pv_domain())
		gdmb_stray_retry();

	refs = kvmalloc_array(count, sizeof(*refs), GFP_KERNEL);
	if (!refs)
		return -ENOMEM;
	if (copy_from_user(refs, urefs, array_size(count, sizeof(*refs)))) {
		kvfree(refs);
		return -EFAULT;
	}
	buf = gdmb_buf_create(domid, count, data_ofs, refs);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	info.ops = &gdmb_ops;
	/*
	 * Whole pages, V2 included: importers assume it (the GEM core
	 * BUG_ON()s on anything else).  A V2 data offset shows only in the
	 * sg table's first entry and in the vmap address.
	 */
	info.size = (size_t)count * PAGE_SIZE;
	info.flags = O_RDWR;
	info.priv = buf;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		gdmb_buf_free(buf);
		return PTR_ERR(dmabuf);
	}
	/* From here on the dma-buf owns buf: dma_buf_put() frees it. */
	buf->dmabuf = dmabuf;
	gntdev_stat_add(GNTDEV_STAT_DMABUF_EXPORTS, 1);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}
	gdmb_rec_publish(ctx, buf->rec, fd);
	if (put_user((u32)fd, ufd)) {
		put_unused_fd(fd);
		dma_buf_put(dmabuf);
		return -EFAULT;
	}
	fd_install(fd, dmabuf->file);
	return 0;
}

static long gdmb_ioctl_exp(struct gntdev_dmabuf_ctx *ctx, void __user *arg)
{
	struct ioctl_gntdev_dmabuf_exp_from_refs __user *u = arg;
	struct ioctl_gntdev_dmabuf_exp_from_refs op;

	if (copy_from_user(&op, u, offsetof(typeof(op), refs)))
		return -EFAULT;
	return gdmb_export(ctx, op.flags, op.count, op.domid, 0, u->refs,
			   &u->fd);
}

static long gdmb_ioctl_exp_v2(struct gntdev_dmabuf_ctx *ctx,
			      void __user *arg)
{
	struct ioctl_gntdev_dmabuf_exp_from_refs_v2 __user *u = arg;
	struct ioctl_gntdev_dmabuf_exp_from_refs_v2 op;

	if (copy_from_user(&op, u, offsetof(typeof(op), refs)))
		return -EFAULT;
	return gdmb_export(ctx, op.flags, op.count, op.domid, op.data_ofs,
			   u->refs, &u->fd);
}

/*
 * Wait for the buffer this context exported as @fd.  If the fd number
 * was reused by a later export while an earlier buffer with that number
 * is still alive (its fd closed, an importer holding it), the newest
 * export wins.  A signal ends the wait with -EINTR; the call is not
 * restarted, since a restart would begin the full timeout again.
 */
static long gdmb_wait_released(struct gntdev_dmabuf_ctx *ctx, u32 fd,
			       u32 wait_to_ms)
{
	struct gdmb_rec *rec, *found = NULL;
	long left;

	spin_lock(&gdmb_track_lock);
	list_for_each_entry(rec, &ctx->exports, node) {
		if (rec->fd == fd) {
			found = rec;
			kref_get(&found->ref);
			break;
		}
	}
	spin_unlock(&gdmb_track_lock);
	if (!found)
		return -ENOENT;

	gntdev_stat_add(GNTDEV_STAT_DMABUF_WAITERS, 1);
	left = wait_event_interruptible_timeout(found->wq,
						READ_ONCE(found->released),
						msecs_to_jiffies(wait_to_ms));
	gntdev_stat_add(GNTDEV_STAT_DMABUF_WAITERS, -1);
	gdmb_rec_put(found);
	if (left > 0)
		return 0;
	if (left == 0)
		return -ETIMEDOUT;
	return -EINTR;
}

static long gdmb_ioctl_wait(struct gntdev_dmabuf_ctx *ctx, void __user *arg)
{
	struct ioctl_gntdev_dmabuf_exp_wait_released op;

	if (copy_from_user(&op, arg, sizeof(op)))
		return -EFAULT;
	return gdmb_wait_released(ctx, op.fd, op.wait_to_ms);
}

long gntdev_dmabuf_ioctl(struct gntdev_dmabuf_ctx *ctx, unsigned int cmd,
			 void __user *arg)
{
	switch (cmd) {
	case IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS:
		return gdmb_ioctl_exp(ctx, arg);
	case IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS_V2:
		return gdmb_ioctl_exp_v2(ctx, arg);
	case IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED:
		return gdmb_ioctl_wait(ctx, arg);
	default:
		return -ENOTTY;
	}
}

struct gntdev_dmabuf_ctx *gntdev_dmabuf_open(struct file *filp)
{
	struct gntdev_dmabuf_ctx *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&ctx->exports);
	return ctx;
}

void gntdev_dmabuf_release(struct gntdev_dmabuf_ctx *ctx)
{
	struct gdmb_rec *rec, *tmp;
	LIST_HEAD(dead);

	if (!ctx)
		return;
	spin_lock(&gdmb_track_lock);
	list_for_each_entry_safe(rec, tmp, &ctx->exports, node) {
		rec->ctx = NULL;
		list_move(&rec->node, &dead);
	}
	spin_unlock(&gdmb_track_lock);
	/* With rec->ctx NULL, ->release no longer touches rec->node. */
	list_for_each_entry_safe(rec, tmp, &dead, node) {
		list_del_init(&rec->node);
		gdmb_rec_put(rec);
	}
	kfree(ctx);
}
