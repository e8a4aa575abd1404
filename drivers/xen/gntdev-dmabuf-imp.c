// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-dmabuf-imp.c - granting a local dma-buf to a peer domain
 * (DMABUF_IMP_TO_REFS, _V2, alias EXP_TO_REFS) and revoking the grants
 * (DMABUF_IMP_RELEASE).
 *
 * struct gdmb_imp - one import: a reference to the dma-buf, our
 *	attachment and its mapped sg table, and one grant per page.  Made
 *	by gntdev_dmabuf_imp(), it sits on its context's list (ctx->imports,
 *	under ctx->imp_lock) until IMP_RELEASE or the file's release.  It is
 *	freed only once every grant is revoked: gnttab_try_end_foreign_access()
 *	succeeds only while the peer maps nothing, and a ref that fails stays
 *	granted.  Until all are revoked the import keeps the attachment, the
 *	mapping and the dma-buf reference, so the exporter can neither free
 *	nor move the pages the peer may still map.  An import that cannot
 *	be revoked at once becomes a zombie: it moves to gdmb_zombies (under
 *	gdmb_zombie_lock), which outlives every file, holds a module
 *	reference each, and is retried by gdmb_zombie_work every second
 *	until the peer unmaps or dies (Xen then drops its mappings).
 *
 * Frames.  The attachment is made for the gntdev misc device, whose DMA
 * operations (gdmb_imp_dma_ops) map every page at its dom0 pseudo-
 * physical address and never bounce: so the grantable frame of each
 * page is derived from the DMA address of the mapping (pfn, then gfn:
 * the machine frame in PV, the pfn itself in PVH), and it is always the
 * buffer's own page, never an xen-swiotlb slot.  The table the exporter
 * returns is checked entry by entry: each DMA address must be the one
 * those operations give for its page (an exporter handing out addresses
 * of its own, a table cached at attach time by another path, is refused),
 * and each page must be dom0's own RAM (not a frame of another domain as
 * a PV grant mapping is, not MMIO, not device memory).  Either refusal
 * is EXDEV.  Our own exports are refused up front: in PVH their pages
 * are ordinary dom0 pages whose gfns hold another domain's frames.
 *
 * Identity: IMP_RELEASE names an import by fd.  If the fd is open and is
 * a dma-buf, it names the newest import of that very buffer from this
 * file; otherwise (closed, or not a dma-buf) the newest import made
 * under that fd number.  A closed fd number reused for another buffer so
 * never releases an import of a different buffer.
 *
 * An import is made unlisted, and put on ctx->imports only once its refs
 * reached userspace (gntdev_dmabuf_imp_commit()); until then nobody else
 * can find it, and a failed copy undoes it alone.
 *
 * Every import holding a buffer is also on gdmb_imp_all (under
 * gdmb_imp_all_lock), from its creation to gdmb_imp_free(), for the
 * debugfs listing gdmb_imp_show() prints.
 *
 * Lock order: ctx->imp_lock, then the dma-buf core's locks.
 * gdmb_zombie_lock and gdmb_imp_all_lock (mutexes) nest inside nothing.
 */
#include <linux/dma-buf.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/list.h>
#include <linux/memremap.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xen.h>

#include "gntdev-dmabuf.h"
#include "gntdev-dmabuf-internal.h"
#include "gntdev-internal.h"
#include "gntdev-kver.h"
#include "gntdev-stats.h"

/*
 * Module parameter "dmabuf_imp_max_grants": the most grant references
 * all imports together may hold, zombies included; an import beyond it
 * fails with ENOSPC, as when Xen's grant table is full.
 */
static unsigned int gdmb_imp_max_grants = 16384;
module_param_named(dmabuf_imp_max_grants, gdmb_imp_max_grants, uint, 0644);
MODULE_PARM_DESC(dmabuf_imp_max_grants,
		 "Most grant references all dma-buf imports may hold (ENOSPC beyond)");
static atomic_long_t gdmb_imp_grants = ATOMIC_LONG_INIT(0);

struct gdmb_imp {
	struct list_head node;		/* ctx->imports or gdmb_zombies */
	struct list_head all;		/* gdmb_imp_all, from creation */
	pid_t pid;			/* the importing process */
	u64 ino;			/* the dma-buf's inode number */
	bool deferred;			/* a zombie */
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	unsigned int fd;		/* fd number given at import */
	unsigned int count;
	unsigned int granted;		/* refs not yet revoked */
	domid_t domid;
	grant_ref_t refs[];		/* INVALID_GRANT_REF once revoked */
};

static struct device *gdmb_imp_dev;
static LIST_HEAD(gdmb_imp_all);		/* for the debugfs listing */
static DEFINE_MUTEX(gdmb_imp_all_lock);
static LIST_HEAD(gdmb_zombies);
static DEFINE_MUTEX(gdmb_zombie_lock);
static void gdmb_zombie_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(gdmb_zombie_work, gdmb_zombie_fn);

/* ---- the importing device's DMA operations ---- */

/* Is @page dom0's own RAM, which dom0 may grant? */
static bool gdmb_imp_page_ok(struct page *page)
{
	unsigned long pfn = page_to_pfn(page);

	if (!pfn_valid(pfn) || is_zone_device_page(page))
		return false;
	if (xen_pv_domain() && !gntdev_pv_pfn_own_ram(pfn))
		return false;
	return true;
}

/*
 * Every entry at its pseudo-physical address; never fails, never
 * bounces.  gdmb_imp_map() checks the result, pages included.
 */
static int gdmb_imp_map_sg(struct device *dev, struct scatterlist *sgl,
			   int nents, enum dma_data_direction dir,
			   unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		sg->dma_address = page_to_phys(sg_page(sg)) + sg->offset;
		sg_dma_len(sg) = sg->length;
	}
	return nents;
}

static void gdmb_imp_unmap_sg(struct device *dev, struct scatterlist *sgl,
			      int nents, enum dma_data_direction dir,
			      unsigned long attrs)
{
}

static dma_addr_t gdmb_imp_map_page(struct device *dev, struct page *page,
				    unsigned long offset, size_t size,
				    enum dma_data_direction dir,
				    unsigned long attrs)
{
	return page_to_phys(page) + offset;
}

static void gdmb_imp_unmap_page(struct device *dev, dma_addr_t addr,
				size_t size, enum dma_data_direction dir,
				unsigned long attrs)
{
}

/*
 * The peer reads and writes the memory itself, through the grants; x86
 * DMA is coherent, so there is nothing to sync.
 */
static const struct dma_map_ops gdmb_imp_dma_ops = {
	.map_sg = gdmb_imp_map_sg,
	.unmap_sg = gdmb_imp_unmap_sg,
	.map_page = gdmb_imp_map_page,
	.unmap_page = gdmb_imp_unmap_page,
};

int gntdev_dmabuf_imp_init(struct device *dev)
{
	int err = dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(64));

	if (err)
		return err;
	set_dma_ops(dev, &gdmb_imp_dma_ops);
	/* Pairs with the acquire in imports: they see the ops set. */
	smp_store_release(&gdmb_imp_dev, dev);
	return 0;
}

/* ---- granting and revoking ---- */

static bool gdmb_imp_reserve(unsigned int nr)
{
	return gntdev_cap_take(&gdmb_imp_grants, nr,
			       READ_ONCE(gdmb_imp_max_grants));
}

static void gdmb_imp_unreserve(unsigned int nr)
{
	atomic_long_sub(nr, &gdmb_imp_grants);
}

/*
 * Grant the @imp->count frames of @gfns to the peer, writable.  On
 * failure (-ENOSPC: Xen's grant table is full) the refs granted so far
 * stay in imp->refs for the caller's revocation.
 */
static int gdmb_imp_grant(struct gdmb_imp *imp, const unsigned long *gfns)
{
	unsigned int i;
	int ref;

	for (i = 0; i < imp->count; i++) {
		ref = gnttab_grant_foreign_access(imp->domid, gfns[i], 0);
		if (ref < 0)
			return -ENOSPC;
		imp->refs[i] = ref;
		imp->granted++;
		gntdev_stat_add(GNTDEV_STAT_DMABUF_IMP_GRANTS, 1);
	}
	return 0;
}

/* Revoke what the peer no longer maps; true once nothing is granted. */
static bool gdmb_imp_revoke(struct gdmb_imp *imp)
{
	unsigned int i;

	for (i = 0; i < imp->count && imp->granted; i++) {
		if (imp->refs[i] == INVALID_GRANT_REF ||
		    !gnttab_try_end_foreign_access(imp->refs[i]))
			continue;
		imp->refs[i] = INVALID_GRANT_REF;
		imp->granted--;
		gntdev_stat_add(GNTDEV_STAT_DMABUF_IMP_GRANTS, -1);
	}
	return !imp->granted;
}

/* Nothing is granted any more: drop the buffer and free @imp. */
static void gdmb_imp_free(struct gdmb_imp *imp)
{
	/* Only the creation and this ever touch imp->all. */
	if (!list_empty(&imp->all)) {
		mutex_lock(&gdmb_imp_all_lock);
		list_del(&imp->all);
		mutex_unlock(&gdmb_imp_all_lock);
	}
	if (imp->sgt)
		dma_buf_unmap_attachment_unlocked(imp->attach, imp->sgt,
						  DMA_BIDIRECTIONAL);
	if (imp->attach)
		dma_buf_detach(imp->dmabuf, imp->attach);
	dma_buf_put(imp->dmabuf);
	gdmb_imp_unreserve(imp->count);
	kfree(imp);
	gntdev_stat_add(GNTDEV_STAT_DMABUF_IMPORTS, -1);
}

static void gdmb_zombie_fn(struct work_struct *work)
{
	struct gdmb_imp *imp, *tmp;
	LIST_HEAD(done);
	bool more;

	mutex_lock(&gdmb_zombie_lock);
	list_for_each_entry_safe(imp, tmp, &gdmb_zombies, node) {
		if (gdmb_imp_revoke(imp))
			list_move(&imp->node, &done);
		cond_resched();
	}
	more = !list_empty(&gdmb_zombies);
	mutex_unlock(&gdmb_zombie_lock);
	if (more)
		schedule_delayed_work(&gdmb_zombie_work, HZ);

	list_for_each_entry_safe(imp, tmp, &done, node) {
		list_del(&imp->node);
		gdmb_imp_free(imp);
		gntdev_stat_add(GNTDEV_STAT_DMABUF_IMPORTS_DEFERRED, -1);
		module_put(THIS_MODULE);
	}
}

/*
 * Revoke every grant of @imp, which nobody else can reach, and free it:
 * 0.  If the peer still maps some page, @imp becomes a zombie, freed in
 * the background once the peer lets go: -EBUSY.
 */
static int gdmb_imp_release(struct gdmb_imp *imp)
{
	if (gdmb_imp_revoke(imp)) {
		gdmb_imp_free(imp);
		return 0;
	}
	pr_debug("import of %u pages still mapped by domain %u: deferred\n",
		 imp->count, imp->domid);
	__module_get(THIS_MODULE);
	gntdev_stat_add(GNTDEV_STAT_DMABUF_IMPORTS_DEFERRED, 1);
	WRITE_ONCE(imp->deferred, true);
	mutex_lock(&gdmb_zombie_lock);
	list_add_tail(&imp->node, &gdmb_zombies);
	mutex_unlock(&gdmb_zombie_lock);
	schedule_delayed_work(&gdmb_zombie_work, HZ);
	return -EBUSY;
}

/* ---- import ---- */

/*
 * Is @sg what gdmb_imp_map_sg() made of it, over pages dom0 may grant?
 * The page pointer is compared as a number before any page is looked at.
 */
static bool gdmb_imp_sg_ok(struct scatterlist *sg)
{
	struct page *page = sg_page(sg);
	u64 p, last;

	if (!sg->length || sg_dma_len(sg) != sg->length ||
	    sg_dma_address(sg) != page_to_phys(page) + sg->offset)
		return false;
	last = ((u64)sg->offset + sg->length - 1) >> PAGE_SHIFT;
	for (p = sg->offset >> PAGE_SHIFT; p <= last; p++)
		if (!gdmb_imp_page_ok(nth_page(page, p)))
			return false;
	return true;
}

/*
 * Attach and map @imp's buffer through our DMA operations, check the
 * table and derive each page's frame from it: @gfns gets imp->count
 * frames, and *@data_ofs the offset of the data in the first page.
 */
static int gdmb_imp_map(struct gdmb_imp *imp, unsigned long *gfns,
			u32 *data_ofs)
{
	struct sg_table *sgt;
	struct scatterlist *sg;
	unsigned int i, n = 0;
	int err;

	/* gntdev_dmabuf_imp() saw the device published (acquire). */
	imp->attach = dma_buf_attach(imp->dmabuf, gdmb_imp_dev);
	if (IS_ERR(imp->attach)) {
		err = PTR_ERR(imp->attach);
		imp->attach = NULL;
		return err;
	}
	sgt = dma_buf_map_attachment_unlocked(imp->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	imp->sgt = sgt;
	if (sgt->nents != sgt->orig_nents)
		return -EXDEV;

	*data_ofs = sg_dma_address(sgt->sgl) & ~PAGE_MASK;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t a = sg_dma_address(sg);
		dma_addr_t end = a + sg_dma_len(sg);

		if (!gdmb_imp_sg_ok(sg))
			return -EXDEV;
		/* Only the buffer's start may lie inside a page. */
		if ((i && (a & ~PAGE_MASK)) ||
		    ((end & ~PAGE_MASK) && i + 1 < sgt->nents))
			return -EINVAL;
		for (a &= PAGE_MASK; a < end; a += PAGE_SIZE) {
			if (n == imp->count)
				return -EINVAL;
			gfns[n++] = pfn_to_gfn(PHYS_PFN(a));
		}
	}
	return n == imp->count ? 0 : -EINVAL;
}

/* Is @dmabuf's size right for @count pages from @data_ofs? */
static bool gdmb_imp_size_ok(const struct dma_buf *dmabuf, u32 count,
			     u32 data_ofs)
{
	return DIV_ROUND_UP((u64)data_ofs + dmabuf->size, PAGE_SIZE) == count;
}

/* Before attaching: could @dmabuf be @req's count pages at all? */
static bool gdmb_imp_size_plausible(const struct gntdev_dmabuf_imp_req *req,
				    const struct dma_buf *dmabuf)
{
	u64 pages = DIV_ROUND_UP((u64)dmabuf->size, PAGE_SIZE);

	return pages == req->count || (req->v2 && pages + 1 == req->count);
}

int gntdev_dmabuf_imp_check(const struct gntdev_dmabuf_imp_req *req)
{
	if (!req->count || req->count > READ_ONCE(gntdev_limit))
		return -EINVAL;
	if (req->domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	return 0;
}

static struct gdmb_imp *gdmb_imp_alloc(const struct gntdev_dmabuf_imp_req *req)
{
	struct gdmb_imp *imp;
	unsigned int i;

	imp = kzalloc(struct_size(imp, refs, req->count), GFP_KERNEL);
	if (!imp)
		return NULL;
	INIT_LIST_HEAD(&imp->node);
	INIT_LIST_HEAD(&imp->all);
	imp->pid = task_tgid_nr(current);
	imp->fd = req->fd;
	imp->count = req->count;
	imp->domid = req->domid;
	for (i = 0; i < req->count; i++)
		imp->refs[i] = INVALID_GRANT_REF;
	return imp;
}

/*
 * Attach to @dmabuf (whose reference is taken over), derive its frames
 * and grant them to req->domid: the import, or NULL with *@errp set and
 * nothing left granted (a grant the peer mapped meanwhile is deferred
 * like a release).
 */
static struct gdmb_imp *gdmb_imp_create(const struct gntdev_dmabuf_imp_req *req,
					struct dma_buf *dmabuf, u32 *data_ofs,
					int *errp)
{
	unsigned long *gfns;
	struct gdmb_imp *imp;
	int err;

	if (!gdmb_imp_reserve(req->count)) {
		err = -ENOSPC;
		goto err_put;
	}
	imp = gdmb_imp_alloc(req);
	if (!imp) {
		err = -ENOMEM;
		goto err_unreserve;
	}
	/* From here on gdmb_imp_free() gives back all of the above. */
	imp->dmabuf = dmabuf;
	imp->ino = file_inode(dmabuf->file)->i_ino;
	gntdev_stat_add(GNTDEV_STAT_DMABUF_IMPORTS, 1);
	mutex_lock(&gdmb_imp_all_lock);
	list_add_tail(&imp->all, &gdmb_imp_all);
	mutex_unlock(&gdmb_imp_all_lock);

	gfns = kvcalloc(req->count, sizeof(*gfns), GFP_KERNEL);
	err = gfns ? gdmb_imp_map(imp, gfns, data_ofs) : -ENOMEM;
	if (!err && !req->v2 && *data_ofs)
		err = -EINVAL;
	if (!err && !gdmb_imp_size_ok(dmabuf, req->count, *data_ofs))
		err = -EINVAL;
	if (!err)
		err = gdmb_imp_grant(imp, gfns);
	kvfree(gfns);
	if (err) {
		gdmb_imp_release(imp);
		*errp = err;
		return NULL;
	}
	return imp;

err_unreserve:
	gdmb_imp_unreserve(req->count);
err_put:
	dma_buf_put(dmabuf);
	*errp = err;
	return NULL;
}

/*
 * DMABUF_IMP_TO_REFS and _V2 for a checked request: the import, not yet
 * listed, with its refs in @refs (req->count of them) and its data
 * offset in *@data_ofs.  The caller copies them out, then lists the
 * import with gntdev_dmabuf_imp_commit() or, if the copy failed, undoes
 * it with gntdev_dmabuf_imp_undo().
 */
int gntdev_dmabuf_imp(const struct gntdev_dmabuf_imp_req *req, u32 *refs,
		      u32 *data_ofs, struct gdmb_imp **impp)
{
	struct dma_buf *dmabuf;
	struct gdmb_imp *imp;
	unsigned int i;
	int err;

	/* Acquire, as in gdmb_imp_map(): module init may still run. */
	if (!smp_load_acquire(&gdmb_imp_dev))
		return -ENODEV;
	dmabuf = dma_buf_get(req->fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	err = gdmb_imp_size_plausible(req, dmabuf) ? 0 : -EINVAL;
	/* Our own exports map another domain's frames: never regranted. */
	if (!err && gntdev_dmabuf_is_ours(dmabuf))
		err = -EXDEV;
	if (err) {
		dma_buf_put(dmabuf);
		return err;
	}
	imp = gdmb_imp_create(req, dmabuf, data_ofs, &err);
	if (!imp)
		return err;
	for (i = 0; i < imp->count; i++)
		refs[i] = imp->refs[i];
	*impp = imp;
	return 0;
}

/* The refs reached userspace: the import becomes the file's. */
void gntdev_dmabuf_imp_commit(struct gntdev_dmabuf_ctx *ctx,
			      struct gdmb_imp *imp)
{
	mutex_lock(&ctx->imp_lock);
	list_add(&imp->node, &ctx->imports);
	mutex_unlock(&ctx->imp_lock);
}

/* The refs never reached userspace: take the unlisted import back. */
void gntdev_dmabuf_imp_undo(struct gdmb_imp *imp)
{
	gdmb_imp_release(imp);
}

/* ---- release ---- */

/* Caller holds ctx->imp_lock: the import @fd names (see the top). */
static struct gdmb_imp *gdmb_imp_find(struct gntdev_dmabuf_ctx *ctx, u32 fd)
{
	struct dma_buf *dmabuf = dma_buf_get(fd);
	struct gdmb_imp *imp;

	list_for_each_entry(imp, &ctx->imports, node) {
		if (IS_ERR(dmabuf) ? imp->fd == fd : imp->dmabuf == dmabuf)
			break;
	}
	if (!IS_ERR(dmabuf))
		dma_buf_put(dmabuf);
	return list_entry_is_head(imp, &ctx->imports, node) ? NULL : imp;
}

/* DMABUF_IMP_RELEASE: 0, -EBUSY (deferred) or -ENOENT. */
long gntdev_dmabuf_imp_release(struct gntdev_dmabuf_ctx *ctx, u32 fd)
{
	struct gdmb_imp *imp;

	mutex_lock(&ctx->imp_lock);
	imp = gdmb_imp_find(ctx, fd);
	if (imp)
		list_del_init(&imp->node);
	mutex_unlock(&ctx->imp_lock);
	if (!imp)
		return -ENOENT;
	return gdmb_imp_release(imp);
}

/* The file goes away: release every import the same safe way. */
void gntdev_dmabuf_imp_release_all(struct gntdev_dmabuf_ctx *ctx)
{
	struct gdmb_imp *imp, *tmp;

	list_for_each_entry_safe(imp, tmp, &ctx->imports, node) {
		list_del_init(&imp->node);
		gdmb_imp_release(imp);
	}
}

/* Module exit: no zombie is left (each holds a module reference). */
void gntdev_dmabuf_imp_exit(void)
{
	cancel_delayed_work_sync(&gdmb_zombie_work);
}

/* The debugfs listing: one "import" line per import holding a buffer. */
void gdmb_imp_show(struct seq_file *m)
{
	struct gdmb_imp *imp;

	mutex_lock(&gdmb_imp_all_lock);
	list_for_each_entry(imp, &gdmb_imp_all, all)
		seq_printf(m, "import id=%llu pid=%d domid=%u pages=%u state=%s\n",
			   imp->ino, imp->pid, imp->domid, imp->count,
			   READ_ONCE(imp->deferred) ? "deferred" : "live");
	mutex_unlock(&gdmb_imp_all_lock);
}
