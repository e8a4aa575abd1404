// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-dmabuf-exp.c - an exported buffer from creation to release,
 * and the dma_buf_ops importers call on it.
 *
 * gdmb_buf_export() validates nothing (gntdev_dmabuf_exp_check() did),
 * builds a struct gdmb_buf in order - record, arrays, cap reservation,
 * pages, grant mappings, PV alias - undoing in reverse order on failure,
 * and hands it to dma_buf_export(); from then on the dma-buf owns it and
 * ->release frees it (see gntdev-dmabuf-internal.h for the lifetimes).
 *
 * Release never waits for page references held outside the driver (a
 * page of a PVH mmap spliced into a pipe, a get_user_pages() user, ...):
 * the unmap goes through gntdev_grant_unmap_async().  The pages go back
 * and the counters drop before the release record is marked, so
 * EXP_WAIT_RELEASED answers 0 only when everything is returned.
 *
 * Every exported buffer is on gdmb_live (under gdmb_live_lock, a mutex
 * taken before buf->lock) from its export to its destruction, for the
 * debugfs listing gdmb_exp_show() prints.
 */
#include <linux/dma-buf.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/iommu.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <xen/grant_table.h>
#include <xen/xen.h>

#include "gntdev-dmabuf-internal.h"
#include "gntdev-internal.h"
#include "gntdev-kver.h"
#include "gntdev-stats.h"

static LIST_HEAD(gdmb_live);
static DEFINE_MUTEX(gdmb_live_lock);

/* ---- grant mappings of the pages ---- */

/*
 * Map every grant of @buf writable, recording each handle in @handles:
 * at its page's kernel address (@va 0; the pages' p2m follows), or at
 * @va + i * PAGE_SIZE (the PV vmap alias).  Every slot that mapped keeps
 * its handle, even when another failed; returns 0 or the first error.
 */
int gdmb_map_grants(struct gdmb_buf *buf, unsigned long va,
		    grant_handle_t *handles)
{
	struct gnttab_map_grant_ref *ops;
	unsigned int i;
	int ret = 0, hret, e;

	ops = kvcalloc(buf->count, sizeof(*ops), GFP_KERNEL);
	if (!ops)
		return -ENOMEM;
	for (i = 0; i < buf->count; i++)
		gntdev_grant_map_op(&ops[i], va ? va + i * PAGE_SIZE :
				    gntdev_page_kaddr(buf->pages[i]),
				    GNTMAP_host_map, buf->refs[i], buf->domid);
	hret = gntdev_grant_map(ops, NULL, va ? NULL : buf->pages, buf->count);
	for (i = 0; i < buf->count; i++) {
		e = gntdev_grant_map_result(&ops[i], &handles[i]);
		if (!e) {
			gntdev_stat_add(GNTDEV_STAT_DMABUF_GRANTS, 1);
		} else if (!ret) {
			ret = e;
			/* Dynamic debug, off by default: why the export failed. */
			pr_debug("export of %u grants of domain %u%s: ref %u (index %u) failed, GNTST %d (%d)\n",
				 buf->count, buf->domid, va ? " (PV alias)" : "",
				 buf->refs[i], i, ops[i].status, e);
		}
	}
	if (!ret)
		ret = hret;
	kvfree(ops);
	return ret;
}

/* Prepare the unmap of every mapped slot; returns how many. */
static unsigned int gdmb_unmap_prepare(struct gdmb_buf *buf)
{
	unsigned int i, n = 0;

	for (i = 0; i < buf->count; i++) {
		if (buf->handles[i] == INVALID_GRANT_HANDLE)
			continue;
		gntdev_grant_unmap_op(&buf->unmap_ops[n],
				      gntdev_page_kaddr(buf->pages[i]),
				      GNTMAP_host_map, buf->handles[i]);
		buf->unmap_pages[n++] = buf->pages[i];
	}
	return n;
}

/* Judge the @n unmaps gdmb_unmap_prepare() made; how many failed. */
static unsigned int gdmb_unmap_judge(struct gdmb_buf *buf, unsigned int n)
{
	unsigned int i, k = 0, failed = 0;

	for (i = 0; i < buf->count && k < n; i++) {
		if (buf->handles[i] == INVALID_GRANT_HANDLE)
			continue;
		if (gntdev_grant_unmap_result(&buf->unmap_ops[k],
					      buf->unmap_pages[k],
					      &buf->handles[i]))
			gntdev_stat_add(GNTDEV_STAT_DMABUF_GRANTS, -1);
		else
			failed++;
		k++;
	}
	return failed;
}

/* ---- life cycle ---- */

/* No grant is mapped any more: give the pages back. */
static void gdmb_pages_put(struct gdmb_buf *buf)
{
	unsigned int parked = buf->backing->free(buf);

	gdmb_pages_add(-(long)(buf->count - parked));
}

/*
 * Xen still maps some slot of @buf: giving those pages back would hand
 * a foreign frame to the allocator.  Leak them all, with the arrays
 * describing them, rather than risk it.
 */
static void gdmb_pages_leak(struct gdmb_buf *buf)
{
	WARN_ONCE(1, "xen-gntdev: dma-buf grants left mapped, pages leaked\n");
	buf->pages = NULL;
	buf->handles = NULL;
	buf->refs = NULL;
}

static void gdmb_buf_destroy(struct gdmb_buf *buf)
{
	/* Only the export and this ever touch buf->live. */
	if (!list_empty(&buf->live)) {
		mutex_lock(&gdmb_live_lock);
		list_del(&buf->live);
		mutex_unlock(&gdmb_live_lock);
	}
	kvfree(buf->unmap_ops);
	kvfree(buf->unmap_pages);
	kvfree(buf->handles);
	kvfree(buf->pages);
	kvfree(buf->refs);
	mutex_destroy(&buf->lock);
	kfree(buf);
}

/*
 * No grant of @buf is mapped any more, or (@leak) Xen refused to unmap
 * some: give the pages back or leak them, free the buffer, then mark its
 * record released.
 */
static void gdmb_buf_finish(struct gdmb_buf *buf, bool leak)
{
	struct gdmb_rec *rec = buf->rec;

	if (leak)
		gdmb_pages_leak(buf);
	else
		gdmb_pages_put(buf);
	gdmb_buf_destroy(buf);
	gdmb_rec_release(rec);
	gdmb_rec_put(rec);
	gdmb_pages_tidy();
}

/* Completion of the release's unmap. */
static void gdmb_buf_unmapped(struct gntdev_unmap_async *ua)
{
	struct gdmb_buf *buf = container_of(ua, struct gdmb_buf, unmap);

	gdmb_buf_finish(buf, gdmb_unmap_judge(buf, ua->q.count));
}

/* ->release: everything is gone but the mappings; never waits. */
static void gdmb_buf_free(struct gdmb_buf *buf)
{
	unsigned int n;

	/* The alias maps the grants, not the pages: nothing to wait for. */
	if (xen_pv_domain())
		gdmb_pv_alias_unmap(buf);
	n = gdmb_unmap_prepare(buf);
	if (!n) {
		gdmb_buf_finish(buf, false);
		return;
	}
	gntdev_grant_unmap_async(&buf->unmap, buf->unmap_ops, buf->unmap_pages,
				 n, gdmb_buf_unmapped);
}

static int gdmb_buf_alloc_arrays(struct gdmb_buf *buf)
{
	unsigned int i, n = buf->count;

	buf->pages = kvcalloc(n, sizeof(*buf->pages), GFP_KERNEL);
	buf->handles = kvcalloc(n, sizeof(*buf->handles), GFP_KERNEL);
	buf->unmap_ops = kvcalloc(n, sizeof(*buf->unmap_ops), GFP_KERNEL);
	buf->unmap_pages = kvcalloc(n, sizeof(*buf->unmap_pages), GFP_KERNEL);
	if (!buf->pages || !buf->handles || !buf->unmap_ops ||
	    !buf->unmap_pages)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		buf->handles[i] = INVALID_GRANT_HANDLE;
	return 0;
}

/*
 * A buffer of @count grants of @domid, fully mapped, or an ERR_PTR with
 * everything undone.  Takes ownership of @refs (kvmalloc()ed).
 */
static struct gdmb_buf *gdmb_buf_create(u32 domid, u32 count, u32 data_ofs,
					u32 flags, u32 *refs)
{
	struct gdmb_buf *buf;
	unsigned int n;
	int ret = -ENOMEM;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf) {
		kvfree(refs);
		return ERR_PTR(-ENOMEM);
	}
	buf->backing = gdmb_pages_ops(flags);
	buf->refs = refs;
	buf->count = count;
	buf->data_ofs = data_ofs;
	buf->flags = flags;
	buf->domid = domid;
	buf->pid = task_tgid_nr(current);
	INIT_LIST_HEAD(&buf->live);
	mutex_init(&buf->lock);
	INIT_LIST_HEAD(&buf->attachments);
	buf->rec = gdmb_rec_alloc();
	if (!buf->rec)
		goto err_buf;
	if (gdmb_buf_alloc_arrays(buf))
		goto err_rec;
	if (!gdmb_reserve(count)) {
		ret = -EDQUOT;
		goto err_rec;
	}
	ret = buf->backing->alloc(buf);
	if (ret)
		goto err_unreserve;
	gdmb_reserved_held(count);

	ret = gdmb_map_grants(buf, 0, buf->handles);
	if (ret)
		goto err_unmap;
	if (xen_pv_domain()) {
		ret = gdmb_pv_alias_map(buf);
		if (ret)
			goto err_unmap;
	}
	return buf;

err_unmap:
	/* No page has been shown to anybody: unmap at once. */
	n = gdmb_unmap_prepare(buf);
	gntdev_grant_unmap(buf->unmap_ops, NULL, buf->unmap_pages, n);
	if (gdmb_unmap_judge(buf, n))
		gdmb_pages_leak(buf);
	else
		gdmb_pages_put(buf);
	goto err_rec;
err_unreserve:
	gdmb_unreserve(count);
err_rec:
	gdmb_rec_put(buf->rec);
err_buf:
	gdmb_buf_destroy(buf);		/* @refs with it */
	return ERR_PTR(ret);
}

/* ---- dma_buf_ops ---- */

static int gdmb_attach(struct dma_buf *dmabuf,
		       struct dma_buf_attachment *attach)
{
	struct gdmb_buf *buf = dmabuf->priv;
	bool contig = buf->backing->contiguous;
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
	 * A contiguous buffer is one entry, which is the point of it.
	 */
	ret = sg_alloc_table(&ga->sgt, contig ? 1 : buf->count, GFP_KERNEL);
	if (ret) {
		kfree(ga);
		return ret;
	}
	for_each_sgtable_sg(&ga->sgt, sg, i) {
		unsigned int ofs = i ? 0 : buf->data_ofs;
		size_t len = contig ? (size_t)buf->count * PAGE_SIZE : PAGE_SIZE;

		sg_set_page(sg, buf->pages[i], len - ofs, ofs);
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
 * Can @dev reach every page without help?  In an x86 PVH dom0 the bus
 * address of a page is its guest-physical address unless Linux drives
 * an IOMMU for the device (for dom0, Xen keeps the IOMMU to itself).  A
 * device that cannot reach a page would get a dma-direct warning and an
 * error, or a bounce buffer that silently breaks zero copy; it is
 * refused instead.  Where the bus address is the machine frame (PV, Arm:
 * gntdev_dma_bus_is_machine()), xen-swiotlb decides (it bounces frames
 * beyond the mask).  A device without a DMA mask cannot map at all.
 */
static bool gdmb_dev_reaches(struct gdmb_buf *buf, struct device *dev)
{
	unsigned int i;
	u64 limit;

	if (!dev->dma_mask)
		return false;
	if (gntdev_dma_bus_is_machine() || device_iommu_mapped(dev))
		return true;
	limit = min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
	for (i = 0; i < buf->count; i++)
		if (page_to_phys(buf->pages[i]) + PAGE_SIZE - 1 > limit)
			return false;
	return true;
}

/*
 * Does a sync of @ga's fresh mapping do nothing?  A PV dom0's xen-swiotlb
 * syncs entry by entry, each a p2m and an m2p lookup (about 6 us an entry
 * under QEMU TCG: 13 ms a 1080p frame, more than copying the frame), to
 * find the entries it bounced.  For a cache-coherent device whose every
 * entry is the granted machine frame itself (a PV dom0's bus addresses
 * are machine addresses), none was bounced and a sync has nothing to do;
 * gdmb_sync() then skips it.  Any doubt (merged entries, another
 * address: a bounce) keeps the syncs.
 */
static bool gdmb_sync_is_noop(struct gdmb_attach *ga)
{
	struct scatterlist *sg;
	unsigned long mfn;
	unsigned int i;

	if (!xen_pv_domain() || !dev_is_dma_coherent(ga->dev) ||
	    ga->sgt.nents != ga->sgt.orig_nents)
		return false;
	for_each_sgtable_dma_sg(&ga->sgt, sg, i) {
		mfn = gntdev_pv_pfn_to_mfn(page_to_pfn(sg_page(sg)));
		if (sg_dma_address(sg) !=
		    ((dma_addr_t)mfn << PAGE_SHIFT) + sg->offset)
			return false;
	}
	return true;
}

/* Sync @ga's mapping for the CPU or for its device, unless a no-op. */
static void gdmb_sync(struct gdmb_attach *ga, bool for_cpu)
{
	if (ga->sync_noop)
		return;
	if (for_cpu)
		dma_sync_sgtable_for_cpu(ga->dev, &ga->sgt, ga->dir);
	else
		dma_sync_sgtable_for_device(ga->dev, &ga->sgt, ga->dir);
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
		ga->sync_noop = gdmb_sync_is_noop(ga);
	} else if (!ga->users) {
		gdmb_sync(ga, false);
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
		gdmb_sync(ga, true);
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
	list_for_each_entry(ga, &buf->attachments, node)
		if (ga->mapped && ga->users)
			gdmb_sync(ga, for_cpu);
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
		return gdmb_pv_mmap(buf, vma);
	return vm_map_pages(vma, buf->pages, buf->count);
}

static void gdmb_release(struct dma_buf *dmabuf)
{
	struct gdmb_buf *buf = dmabuf->priv;

	/* Counters are back at baseline before any waiter wakes up. */
	gntdev_stat_add(GNTDEV_STAT_DMABUF_EXPORTS, -1);
	WRITE_ONCE(buf->released, true);
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

bool gntdev_dmabuf_is_ours(const struct dma_buf *dmabuf)
{
	return dmabuf->ops == &gdmb_ops;
}

/*
 * Export @count grants of @domid (with V2's @data_ofs, and backed as
 * GNTDEV_DMA_FLAG_* @flags ask) as a new dma-buf;
 * @refs is taken over.  *@rec gets the buffer's release record.  The
 * request was checked by gntdev_dmabuf_exp_check().
 */
struct dma_buf *gdmb_buf_export(u32 domid, u32 count, u32 data_ofs,
				u32 flags, u32 *refs, struct gdmb_rec **rec)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;
	struct gdmb_buf *buf;

	gdmb_pages_tidy();
	buf = gdmb_buf_create(domid, count, data_ofs, flags, refs);
	if (IS_ERR(buf))
		return ERR_CAST(buf);

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
		return dmabuf;
	}
	/* From here on the dma-buf owns buf: dma_buf_put() frees it. */
	buf->dmabuf = dmabuf;
	buf->ino = file_inode(dmabuf->file)->i_ino;
	mutex_lock(&gdmb_live_lock);
	list_add_tail(&buf->live, &gdmb_live);
	mutex_unlock(&gdmb_live_lock);
	*rec = buf->rec;
	gntdev_stat_add(GNTDEV_STAT_DMABUF_EXPORTS, 1);
	return dmabuf;
}

/*
 * The debugfs listing: one "export" line per buffer from its export to
 * its destruction (state "unmapping" once released, until its grants
 * are unmapped).  buf->dmabuf is not touched: after ->release it is gone.
 */
void gdmb_exp_show(struct seq_file *m)
{
	struct gdmb_attach *att;
	struct gdmb_buf *buf;
	const char *sep;

	mutex_lock(&gdmb_live_lock);
	list_for_each_entry(buf, &gdmb_live, live) {
		seq_printf(m, "export id=%llu pid=%d domid=%u pages=%u data_ofs=%u flags=%s",
			   buf->ino, buf->pid, buf->domid, buf->count,
			   buf->data_ofs,
			   buf->flags & GNTDEV_DMA_FLAG_WC ? "wc" :
			   buf->flags & GNTDEV_DMA_FLAG_COHERENT ? "coherent" :
			   "plain");
		if (READ_ONCE(buf->released)) {
			seq_puts(m, " attachments=0 importers=- state=unmapping\n");
			continue;
		}
		mutex_lock(&buf->lock);
		seq_printf(m, " attachments=%zu importers=",
			   list_count_nodes(&buf->attachments));
		sep = "";
		list_for_each_entry(att, &buf->attachments, node) {
			seq_printf(m, "%s%s", sep, dev_name(att->dev));
			sep = ",";
		}
		mutex_unlock(&buf->lock);
		seq_printf(m, "%s state=live\n", *sep ? "" : "-");
	}
	mutex_unlock(&gdmb_live_lock);
}
