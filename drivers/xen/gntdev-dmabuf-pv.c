// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-dmabuf-pv.c - what a PV dom0 needs to show an exported buffer
 * to the CPU: the kernel mapping ("vmap alias") and mmap() of the fd.
 *
 * The alias lives from export to release (buf->vaddr, buf->vmap_handles,
 * buf->vmap_filler, under no lock: only the creating and the releasing
 * paths touch it).  Each mmap() has a struct gdmb_pv_vma, shared by the
 * pieces of a split vma and freed by the last ->close; the vma holds the
 * dma-buf file, so the buffer outlives every mapping.
 *
 * Alias: a PV guest may not write a page-table entry that points at
 * another domain's frame, so vmap() of the granted pages themselves
 * would be refused by Xen.  Instead the area is first vmap()ed over a
 * private placeholder page, then each grant is mapped a second time with
 * GNTMAP_host_map at its address in the area, which makes Xen replace
 * the placeholder entry.  It is made at export time, not by ->vmap: a
 * second mapping of a grant can be refused (the per-grant pin count full
 * after many exports of one ref, dom0's maptrack full), the dma-buf core
 * WARNs on any vmap failure, and the export can report the refusal
 * properly.  So ->vmap cannot fail in PV, and a buffer pins each grant
 * twice.  On removal a handle is forgotten only once Xen reports its
 * unmap done; if any unmap is refused the area still shows a grant, so
 * it is never vunmap()ed (Xen would refuse that PTE clear too) and the
 * area, the placeholder and the handles are leaked rather than reused.
 */
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <xen/grant_table.h>
#include <xen/xen-ops.h>

#include "gntdev-kver.h"
#include "gntdev-dmabuf-internal.h"
#include "gntdev-internal.h"
#include "gntdev-stats.h"

/* ---- the vmap alias ---- */

/* Remove the alias; uses buf->unmap_ops, which no unmap is using yet. */
void gdmb_pv_alias_unmap(struct gdmb_buf *buf)
{
	struct gnttab_unmap_grant_ref *ops = buf->unmap_ops;
	unsigned int i, k, n = 0, failed = 0;
	unsigned long va = (unsigned long)buf->vaddr;

	if (!buf->vaddr)
		return;
	for (i = 0; i < buf->count; i++)
		if (buf->vmap_handles[i] != INVALID_GRANT_HANDLE)
			gntdev_grant_unmap_op(&ops[n++], va + i * PAGE_SIZE,
					      GNTMAP_host_map,
					      buf->vmap_handles[i]);
	gntdev_grant_unmap(ops, NULL, NULL, n);
	for (i = 0, k = 0; i < buf->count && k < n; i++) {
		if (buf->vmap_handles[i] == INVALID_GRANT_HANDLE)
			continue;
		if (gntdev_grant_unmap_result(&ops[k++], NULL,
					      &buf->vmap_handles[i]))
			gntdev_stat_add(GNTDEV_STAT_DMABUF_GRANTS, -1);
		else
			failed++;
	}
	if (failed) {
		WARN_ONCE(1, "xen-gntdev: vmap alias unmap failed, area leaked\n");
	} else {
		vunmap(buf->vaddr);
		__free_page(buf->vmap_filler);
		kvfree(buf->vmap_handles);
	}
	buf->vaddr = NULL;
	buf->vmap_filler = NULL;
	buf->vmap_handles = NULL;
}

/* Make the alias: 0, or -errno with nothing of it left. */
int gdmb_pv_alias_map(struct gdmb_buf *buf)
{
	unsigned int i, total = gdmb_vmap_pages(buf);
	struct page **filler;
	int ret = -ENOMEM;

	buf->vmap_handles = kvcalloc(buf->count, sizeof(*buf->vmap_handles),
				     GFP_KERNEL);
	if (!buf->vmap_handles)
		return -ENOMEM;
	for (i = 0; i < buf->count; i++)
		buf->vmap_handles[i] = INVALID_GRANT_HANDLE;
	buf->vmap_filler = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!buf->vmap_filler)
		goto err_handles;
	filler = kvcalloc(total, sizeof(*filler), GFP_KERNEL);
	if (!filler)
		goto err_filler;
	for (i = 0; i < total; i++)
		filler[i] = buf->vmap_filler;
	buf->vaddr = vmap(filler, total, VM_MAP, PAGE_KERNEL);
	kvfree(filler);
	if (!buf->vaddr)
		goto err_filler;

	ret = gdmb_map_grants(buf, (unsigned long)buf->vaddr,
			      buf->vmap_handles);
	if (ret) {
		pr_debug("vmap alias of %u grants failed: %d\n", buf->count,
			 ret);
		gdmb_pv_alias_unmap(buf);
	}
	return ret;

err_filler:
	__free_page(buf->vmap_filler);
	buf->vmap_filler = NULL;
err_handles:
	kvfree(buf->vmap_handles);
	buf->vmap_handles = NULL;
	return ret;
}

/* ---- mmap() of the dma-buf fd ---- */

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
	WARN_ON_ONCE(gntdev_pv_flush_tlb_all());
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
			WARN_ON_ONCE(gntdev_pv_mmu_update(req, n));
			n = 0;
		}
	}
	if (n)
		WARN_ON_ONCE(gntdev_pv_mmu_update(req, n));
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
		gntdev_pv_pte_maddr(pte);
	return 0;
}

int gdmb_pv_mmap(struct gdmb_buf *buf, struct vm_area_struct *vma)
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
	for (i = 0; i < nr; i++) {
		unsigned long pfn = page_to_pfn(buf->pages[first + i]);

		mfns[i] = gntdev_pv_pfn_to_mfn(pfn);
	}

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
	/*
	 * Inserted while an invalidation of the mm is under way, the
	 * notifier joins the mm's tree only when it ends (gntdev-mmap.c,
	 * gntdev_mmap_watch()): wait for that, so that no munmap() can come
	 * before it.
	 */
	mmu_interval_read_begin(&pv->notifier);
	vma->vm_private_data = pv;
	vma->vm_ops = &gdmb_pv_vm_ops;
	pv = NULL;
out:
	kvfree(pv);
	kvfree(errs);
	kvfree(mfns);
	return ret;
}

