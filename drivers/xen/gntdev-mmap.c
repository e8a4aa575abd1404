// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-mmap.c - putting a grant range into an address space and taking
 * it out again.
 *
 * mmap() of exactly one whole range (offset and length as MAP_GRANT_REF
 * returned them) maps its grants; a range is mmap()ed at most once
 * (EBUSY afterwards, and while another mmap() of it is in progress; a
 * failed mmap() leaves it mmap()able again, except in PVH when
 * vm_map_pages_zero() failed after inserting PTEs: then the range stays
 * claimed, EBUSY, until it is freed, see gntdev_mmap()).  Each VMA showing part of a
 * range holds a reference on it: mmap() hands its reference to the VMA,
 * ->open (VMA split, VMA copy by mremap) takes one more, ->close drops
 * one.  VM_DONTCOPY keeps mappings out of fork() children.  If
 * MADV_DOFORK cleared it, ->open sees the copy land in another mm (only
 * dup_mmap() does that) and makes it an empty VMA of no range with
 * VM_WIPEONFORK, which dup_mmap() checks after ->open and before
 * copy_page_range(): the child gets no PTEs (touching them is SIGBUS)
 * and holds no reference.  Copying the PV grant PTEs would fail in the
 * hypervisor and leak a page reference.
 *
 * Auto-translated dom0 (PVH): the grants are mapped at the backing
 * pages' guest-physical addresses and the pages are inserted into the
 * VMA as ordinary pages; partial munmap() just drops page references and
 * the grants stay mapped until the range's last reference goes.
 *
 * PV dom0: the hypervisor writes the grant straight into the user PTE
 * (GNTMAP_contains_pte, the PTE's machine address recorded per slot) and
 * also maps it at the backing page's kernel address, so the page can be
 * found (->find_special_page) by get_user_pages.  An MMU interval
 * notifier over the original VMA unmaps each slot's user PTE before the
 * core MM zaps, moves or rewrites it.  When the mapping goes away for
 * good (munmap() of any part, mremap() away, exit) the slot stays
 * unmapped; for every other invalidation (a VMA split's huge-PMD check,
 * mprotect(), MADV_DONTNEED, clear_refs) the next access maps the grant
 * into the same PTE again (->fault), so the mapping looks intact.  The
 * kernel half is unmapped only when the range is freed, asynchronously
 * (gntdev-map.c).  The notifier lives from mmap() until the range is
 * freed.  A slot whose user-PTE unmap the hypervisor
 * refused is marked leaked; ->find_special_page then reports no page
 * for it, so the zap that follows neither unmaps nor frees the page.
 */
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <xen/xen.h>

#include "gntdev-kver.h"
#include "gntdev-internal.h"

static void gntdev_vma_open(struct vm_area_struct *vma)
{
	struct gntdev_range *range = vma->vm_private_data;

	if (!range)
		return;
	if (vma->vm_mm != range->mm) {
		/* fork() after MADV_DOFORK: the child gets nothing. */
		vma->vm_private_data = NULL;
		gntdev_vma_set_flags(vma, VM_WIPEONFORK);
		return;
	}
	gntdev_range_get(range);
}

static void gntdev_vma_close(struct vm_area_struct *vma)
{
	struct gntdev_range *range = vma->vm_private_data;

	if (!range)
		return;
	vma->vm_private_data = NULL;
	gntdev_range_put(range);
}

static struct page *gntdev_vma_find_special_page(struct vm_area_struct *vma,
						 unsigned long addr)
{
	struct gntdev_range *range = vma->vm_private_data;
	unsigned long idx;

	if (!range || !range->pages || vma->vm_pgoff < range->pgoff)
		return NULL;
	idx = vma->vm_pgoff - range->pgoff +
	      ((addr - vma->vm_start) >> PAGE_SHIFT);
	if (idx >= range->count || READ_ONCE(range->slots[idx].leaked))
		return NULL;
	return range->pages[idx];
}

/*
 * PV: a page whose user PTE the notifier dropped while the mapping stays
 * (see gntdev_range_unmap_user()) is mapped again on its next access, at
 * the address mmap() gave it (a VMA mremap()ed elsewhere has no recorded
 * PTEs and stays empty: SIGBUS).  The interval notifier's sequence makes
 * a fault that races with an invalidation of the same range retry rather
 * than refill a PTE the invalidation is about to zap.  PVH, and a VMA
 * copied by fork() after MADV_DOFORK, have nothing to refill: SIGBUS;
 * so has a VMA whose protection allows no read (PROT_NONE).
 */
static vm_fault_t gntdev_vma_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct gntdev_range *range = vma->vm_private_data;
	unsigned long idx, seq;
	vm_fault_t ret;

	if (!range || !xen_pv_domain() || !range->notifier_live ||
	    vma->vm_mm != range->mm || vma->vm_pgoff < range->pgoff)
		return VM_FAULT_SIGBUS;
	idx = vma->vm_pgoff - range->pgoff +
	      ((vmf->address - vma->vm_start) >> PAGE_SHIFT);
	if (idx >= range->count ||
	    (vmf->address & PAGE_MASK) != range->vm_start + (idx << PAGE_SHIFT))
		return VM_FAULT_SIGBUS;
	/*
	 * Only an access the VMA allows refills: GUP with FOLL_FORCE
	 * (/proc/PID/mem, ptrace) also faults on a PROT_NONE VMA, and a grant
	 * PTE written for it would let plain loads through as well.
	 */
	if (!(vma->vm_flags & VM_READ))
		return VM_FAULT_SIGBUS;

	seq = mmu_interval_read_begin(&range->notifier);
	mutex_lock(&range->lock);
	if (mmu_interval_read_retry(&range->notifier, seq))
		ret = VM_FAULT_NOPAGE;	/* invalidated meanwhile: try again */
	else
		ret = gntdev_range_refill(range, idx,
					  vma->vm_flags & VM_WRITE);
	mutex_unlock(&range->lock);
	return ret;
}

static const struct vm_operations_struct gntdev_vm_ops = {
	.open = gntdev_vma_open,
	.close = gntdev_vma_close,
	.fault = gntdev_vma_fault,
	.find_special_page = gntdev_vma_find_special_page,
};

static bool gntdev_invalidate(struct mmu_interval_notifier *mn,
			      const struct mmu_notifier_range *r,
			      unsigned long cur_seq)
{
	struct gntdev_range *range =
		container_of(mn, struct gntdev_range, notifier);
	unsigned long start, end, first, last;

	if (!mmu_notifier_range_blockable(r))
		return false;

	mutex_lock(&range->lock);
	mmu_interval_set_seq(mn, cur_seq);
	start = max(r->start, range->vm_start);
	end = min(r->end, range->vm_start +
		  ((unsigned long)range->count << PAGE_SHIFT));
	if (start < end) {
		first = (start - range->vm_start) >> PAGE_SHIFT;
		last = (end - 1 - range->vm_start) >> PAGE_SHIFT;
		gntdev_range_unmap_user(range, first, last - first + 1,
					gntdev_mn_removes(r));
	}
	mutex_unlock(&range->lock);
	return true;
}

static const struct mmu_interval_notifier_ops gntdev_mn_ops = {
	.invalidate = gntdev_invalidate,
};

static int gntdev_record_pte(pte_t *pte, unsigned long addr, void *data)
{
	struct gntdev_range *range = data;
	unsigned long idx = (addr - range->vm_start) >> PAGE_SHIFT;

	if (idx >= range->count)
		return -EINVAL;
	range->slots[idx].pte_maddr = gntdev_pv_pte_maddr(pte);
	return 0;
}

/*
 * PV, caller holds range->lock: watch the VMA with the interval notifier
 * and record the machine address of each slot's PTE (allocating the page
 * tables).  On failure the notifier may be live; gntdev_mmap_undo()
 * removes it.
 *
 * A notifier inserted while an invalidation of the mm is under way (in
 * 6.12 a fault under the per-VMA lock, a COW break after fork() say,
 * runs beside mmap()) only joins the mm's tree when that invalidation
 * ends; a munmap() before then would zap the grant PTEs unannounced, as
 * ordinary pages.  mmu_interval_read_begin() waits for that end.  It is
 * called without range->lock, which the invalidate callback takes,
 * though no invalidation under way can reach this VMA: it is not in the
 * mm yet.
 */
static int gntdev_mmap_watch(struct gntdev_range *range,
			     struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	int err;

	err = mmu_interval_notifier_insert_locked(&range->notifier, vma->vm_mm,
						  vma->vm_start, len,
						  &gntdev_mn_ops);
	if (err)
		return err;
	range->notifier_live = true;
	mutex_unlock(&range->lock);
	mmu_interval_read_begin(&range->notifier);
	mutex_lock(&range->lock);
	return apply_to_page_range(vma->vm_mm, vma->vm_start, len,
				   gntdev_record_pte, range);
}

/*
 * Caller holds range->lock: undo a failed mmap() whose grants nobody can
 * hold yet, so unmap at once: PVH, no page is in a PTE; PV, the grant
 * PTEs are special (GUP-fast leaves them to the slow path, which needs
 * the mmap lock we hold).
 */
static void gntdev_mmap_undo(struct gntdev_range *range)
{
	gntdev_range_unmap_now(range);
	if (range->notifier_live) {
		/* It may be waited for only without range->lock. */
		mutex_unlock(&range->lock);
		mmu_interval_notifier_remove(&range->notifier);
		range->notifier_live = false;
		mutex_lock(&range->lock);
	}
}

/* Caller holds range->lock: claim @range for @vma and map its grants. */
static int gntdev_mmap_range(struct gntdev_range *range,
			     struct vm_area_struct *vma)
{
	bool pv = xen_pv_domain();
	int err;

	if (range->mmapped)
		return -EBUSY;
	/* Claim the range: a concurrent mmap() now sees EBUSY. */
	range->mmapped = true;
	range->readonly = !(vma->vm_flags & VM_WRITE);
	range->vm_start = vma->vm_start;
	range->mm = vma->vm_mm;

	gntdev_vma_set_flags(vma, VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY |
			     VM_MIXEDMAP);
	/* A read-only grant mapping must never become writable. */
	if (range->readonly)
		gntdev_vma_clear_flags(vma, VM_MAYWRITE);
	vma->vm_ops = &gntdev_vm_ops;

	err = pv ? gntdev_mmap_watch(range, vma) : 0;
	if (!err)
		err = gntdev_range_map(range);
	if (err) {
		if (range->notifier_live || !pv)
			gntdev_mmap_undo(range);
		range->mmapped = false;
		return err;
	}
	/*
	 * PVH: vm_map_pages_zero() may put some pages into ordinary PTEs
	 * before failing, and the core zaps them only after we return; until
	 * then another thread may take a page reference with lockless
	 * GUP-fast (a pipe, direct I/O).  So on failure the grants stay
	 * mapped and the range stays claimed (a later mmap() is EBUSY): only
	 * the range's final, asynchronous unmap frees them, after every such
	 * reference is gone (gntdev_range_release()).
	 */
	return pv ? 0 : vm_map_pages_zero(vma, range->pages, range->count);
}

int gntdev_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct gntdev_file *gf = filp->private_data;
	unsigned long npages = vma_pages(vma);
	struct gntdev_range *range;
	int err;

	if ((vma->vm_flags & VM_WRITE) && !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (!npages || npages > UINT_MAX)
		return -EINVAL;

	mutex_lock(&gf->lock);
	range = gntdev_range_find(gf, vma->vm_pgoff, npages);
	if (range)
		gntdev_range_get(range);
	mutex_unlock(&gf->lock);
	if (!range)
		return -EINVAL;

	mutex_lock(&range->lock);
	err = gntdev_mmap_range(range, vma);
	/* On success the reference taken above belongs to the VMA. */
	vma->vm_private_data = err ? NULL : range;
	mutex_unlock(&range->lock);
	if (err)
		gntdev_range_put(range);
	return err;
}

int gntdev_find_vaddr(struct gntdev_file *gf, unsigned long vaddr,
		      u64 *offset, u32 *count)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct gntdev_range *range;
	int err = -EINVAL;

	if (!mm)
		return -EINVAL;
	mmap_read_lock(mm);
	vma = find_vma(mm, vaddr);
	if (vma && vma->vm_start <= vaddr && vma->vm_ops == &gntdev_vm_ops &&
	    vma->vm_file && vma->vm_file->private_data == gf) {
		range = vma->vm_private_data;
		if (range) {
			*offset = (u64)range->pgoff << PAGE_SHIFT;
			*count = range->count;
			err = 0;
		}
	}
	mmap_read_unlock(mm);
	return err;
}
