// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-map.c - grant ranges: creation, lookup, reference counting, and
 * the hypercall batches that map and unmap their grants.
 *
 * Lifetime (see gntdev-internal.h): a range is created by MAP_GRANT_REF
 * with two references, one owned by the file's list and one by the
 * caller, who drops it when done.  gntdev_range_get()/put()
 * add and drop references; the last put unmaps whatever is still mapped,
 * fires the unmap notification and frees everything - asynchronously,
 * see gntdev_range_release().  The mapping state
 * (backing pages, per-slot handles, unmap scratch) is allocated by
 * gntdev_range_prepare() when the range is created - in the ioctl, not
 * under the mmap lock - and freed by gntdev_range_unprepare() when the
 * range is freed.
 *
 * Handle discipline: a slot's handle is valid exactly while the
 * hypervisor holds that mapping.  Mapping records the handle of every
 * successful operation, whatever happened to the others; unmapping only
 * submits valid handles and invalidates each handle whose unmap
 * succeeded.  A handle whose unmap failed stays valid and its backing
 * page is never freed (the "pages" counter shows it).
 *
 * Nothing here waits for a backing page that someone else still holds
 * (a pipe filled by vmsplice(), direct I/O, a GPU userptr): the task
 * holding it may be the very task whose munmap(), exit() or close() is
 * unmapping (its pipe is closed only after its mm is gone), so a wait
 * could never end.  In a PV domain the user-PTE half of a slot is
 * unmapped at once by the MMU notifier (the page holder reaches the page
 * through its kernel address, not through the user PTE), and the kernel
 * half, the p2m entry and the page go when the range is freed, by
 * gnttab_unmap_refs_async(), once every outside reference is dropped.
 */
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xen.h>
#include <xen/interface/features.h>
#include <xen/features.h>
#include <asm/xen/hypercall.h>

#include "gntdev-grant.h"
#include "gntdev-internal.h"
#include "gntdev-stats.h"

/* Highest page offset a range may end at: index must fit in an loff_t. */
#define GNTDEV_PGOFF_MAX	((unsigned long)(LLONG_MAX >> PAGE_SHIFT))

static int gntdev_range_prepare(struct gntdev_range *range);
static void gntdev_range_unprepare(struct gntdev_range *range);

/*
 * A new range of the @count grants @grants (kvmalloc()ed, taken over
 * whatever happens; @count already bounded by "limit"), listed in @gf.
 */
struct gntdev_range *gntdev_range_create(struct gntdev_file *gf,
					 struct ioctl_gntdev_grant_ref *grants,
					 unsigned int count)
{
	struct gntdev_range *range, *pos;
	struct list_head *before;
	unsigned long pgoff;
	unsigned int i;
	int err;

	range = kzalloc(sizeof(*range), GFP_KERNEL);
	if (!range) {
		kvfree(grants);
		return ERR_PTR(-ENOMEM);
	}
	range->grants = grants;
	for (i = 0; i < count; i++) {
		if (range->grants[i].domid >= DOMID_FIRST_RESERVED) {
			err = -EINVAL;
			goto err_free;
		}
	}

	/* Early answer before allocating pages; checked again below. */
	mutex_lock(&gf->lock);
	err = gf->max_grants && gf->nr_grants + count > gf->max_grants ?
	      -ENOSPC : 0;
	mutex_unlock(&gf->lock);
	if (err)
		goto err_free;

	/* The list's reference and the caller's. */
	refcount_set(&range->users, 2);
	INIT_LIST_HEAD(&range->node);
	mutex_init(&range->lock);
	range->count = count;
	err = gntdev_range_prepare(range);
	if (err)
		goto err_free;

	mutex_lock(&gf->lock);
	if (gf->max_grants && gf->nr_grants + count > gf->max_grants) {
		mutex_unlock(&gf->lock);
		err = -ENOSPC;
		goto err_unprepare;
	}
	/* First fit in the sorted list of ranges. */
	pgoff = 0;
	before = &gf->ranges;
	list_for_each_entry(pos, &gf->ranges, node) {
		if (pgoff + count <= pos->pgoff) {
			before = &pos->node;
			break;
		}
		pgoff = pos->pgoff + pos->count;
	}
	if (pgoff > GNTDEV_PGOFF_MAX - count) {
		mutex_unlock(&gf->lock);
		err = -ENOSPC;
		goto err_unprepare;
	}
	range->pgoff = pgoff;
	list_add_tail(&range->node, before);
	gf->nr_grants += count;
	mutex_unlock(&gf->lock);

	gntdev_stat_add(GNTDEV_STAT_MAPS, 1);
	return range;

err_unprepare:
	gntdev_range_unprepare(range);
err_free:
	kvfree(range->grants);
	kfree(range);
	return ERR_PTR(err);
}

void gntdev_range_get(struct gntdev_range *range)
{
	refcount_inc(&range->users);
}

static void gntdev_range_release(struct gntdev_range *range);

void gntdev_range_put(struct gntdev_range *range)
{
	if (!refcount_dec_and_test(&range->users))
		return;

	if (range->notifier_live) {
		mmu_interval_notifier_remove(&range->notifier);
		range->notifier_live = false;
	}
	gntdev_range_release(range);
}

/* Caller holds gf->lock.  Exact match of offset and size, no reference. */
struct gntdev_range *gntdev_range_find(struct gntdev_file *gf,
				       unsigned long pgoff,
				       unsigned int count)
{
	struct gntdev_range *range;

	list_for_each_entry(range, &gf->ranges, node) {
		if (range->pgoff == pgoff && range->count == count)
			return range;
		if (range->pgoff > pgoff)
			break;
	}
	return NULL;
}

/* Caller holds gf->lock.  The range containing page @pgoff, no reference. */
struct gntdev_range *gntdev_range_find_offset(struct gntdev_file *gf,
					      unsigned long pgoff)
{
	struct gntdev_range *range;

	list_for_each_entry(range, &gf->ranges, node) {
		if (pgoff >= range->pgoff && pgoff - range->pgoff < range->count)
			return range;
		if (range->pgoff > pgoff)
			break;
	}
	return NULL;
}

/*
 * Caller holds gf->lock.  Take @range off the list; true if it was listed,
 * in which case the caller now owns the list's reference and must put it
 * (after dropping gf->lock).
 */
bool gntdev_range_unlist(struct gntdev_file *gf, struct gntdev_range *range)
{
	if (list_empty(&range->node))
		return false;
	list_del_init(&range->node);
	gf->nr_grants -= range->count;
	return true;
}

static bool gntdev_slot_mapped(const struct gntdev_slot *slot)
{
	return slot->uhandle != INVALID_GRANT_HANDLE ||
	       slot->khandle != INVALID_GRANT_HANDLE;
}

static void gntdev_range_free_arrays(struct gntdev_range *range)
{
	kvfree(range->pages);
	kvfree(range->slots);
	kvfree(range->map_ops);
	kvfree(range->kmap_ops);
	kvfree(range->unmap_ops);
	kvfree(range->unmap_pages);
}

/* Allocate the mapping state of a range nobody else can see yet. */
static int gntdev_range_prepare(struct gntdev_range *range)
{
	unsigned int i, n = range->count;

	range->pages = kvcalloc(n, sizeof(*range->pages), GFP_KERNEL);
	range->slots = kvcalloc(n, sizeof(*range->slots), GFP_KERNEL);
	range->map_ops = kvcalloc(n, sizeof(*range->map_ops), GFP_KERNEL);
	range->unmap_ops = kvcalloc(n, sizeof(*range->unmap_ops), GFP_KERNEL);
	range->unmap_pages = kvcalloc(n, sizeof(*range->unmap_pages),
				      GFP_KERNEL);
	if (xen_pv_domain())
		range->kmap_ops = kvcalloc(n, sizeof(*range->kmap_ops),
					   GFP_KERNEL);
	if (!range->pages || !range->slots || !range->map_ops ||
	    !range->unmap_ops || !range->unmap_pages ||
	    (xen_pv_domain() && !range->kmap_ops))
		goto err_arrays;

	for (i = 0; i < n; i++) {
		range->slots[i].uhandle = INVALID_GRANT_HANDLE;
		range->slots[i].khandle = INVALID_GRANT_HANDLE;
	}
	if (gnttab_alloc_pages(n, range->pages))
		goto err_arrays;
	gntdev_stat_add(GNTDEV_STAT_PAGES, n);
	return 0;

err_arrays:
	gntdev_range_free_arrays(range);
	return -ENOMEM;
}

/*
 * Undo gntdev_range_prepare(); the caller is the only user of the range.
 * Every slot must be unmapped already; a slot still mapped (its unmap
 * failed) keeps its page.
 */
static void gntdev_range_unprepare(struct gntdev_range *range)
{
	unsigned int i, n = 0;

	for (i = 0; i < range->count; i++)
		if (!gntdev_slot_mapped(&range->slots[i]))
			range->unmap_pages[n++] = range->pages[i];
	gnttab_free_pages(n, range->unmap_pages);
	gntdev_stat_add(GNTDEV_STAT_PAGES, -(long)n);
	gntdev_range_free_arrays(range);
}

/* Prepare slot @i's map operations (two halves in a PV domain). */
static void gntdev_range_map_op(struct gntdev_range *range, unsigned int i,
				u32 flags)
{
	const struct ioctl_gntdev_grant_ref *g = &range->grants[i];
	unsigned long kaddr = gntdev_page_kaddr(range->pages[i]);
	u32 uflags = flags | GNTMAP_application_map | GNTMAP_contains_pte;

	if (!range->kmap_ops) {
		gntdev_grant_map_op(&range->map_ops[i], kaddr, flags, g->ref,
				    g->domid);
		return;
	}
	/* Have Xen mark the PTE special (find_special_page). */
	if (xen_feature(XENFEAT_gnttab_map_avail_bits))
		uflags |= 1 << _GNTMAP_guest_avail0;
	gntdev_grant_map_op(&range->map_ops[i], range->slots[i].pte_maddr,
			    uflags, g->ref, g->domid);
	gntdev_grant_map_op(&range->kmap_ops[i], kaddr, flags, g->ref,
			    g->domid);
}

/*
 * Caller holds range->lock; the range is prepared and, in a PV domain,
 * every slot's pte_maddr is filled in.  Maps every grant; on failure
 * some slots may be mapped and the caller unmaps them.  A slot counts as
 * mapped only as gntdev_grant_map_result() says.
 */
int gntdev_range_map(struct gntdev_range *range)
{
	struct gnttab_map_grant_ref *kops = range->kmap_ops;
	unsigned int i, n = range->count;
	u32 flags = GNTMAP_host_map;
	long mapped = 0;
	int err = 0, ret, e;

	if (range->readonly)
		flags |= GNTMAP_readonly;
	/* A slot the hypervisor refused to unmap earlier is never reused. */
	for (i = 0; i < n; i++)
		if (gntdev_slot_mapped(&range->slots[i]))
			return -EBUSY;
	for (i = 0; i < n; i++)
		gntdev_range_map_op(range, i, flags);

	ret = gntdev_grant_map(range->map_ops, kops, range->pages, n);
	for (i = 0; i < n; i++) {
		struct gntdev_slot *slot = &range->slots[i];

		e = gntdev_grant_map_result(&range->map_ops[i], &slot->uhandle);
		if (!e)
			mapped++;
		else if (!err)
			err = e;
		if (!kops)
			continue;
		e = gntdev_grant_map_result(&kops[i], &slot->khandle);
		if (!e)
			mapped++;
		else if (!err)
			err = e;
	}
	gntdev_stat_add(GNTDEV_STAT_MAPPED_GRANTS, mapped);
	if (!err)
		err = ret;
	if (err)
		pr_debug("map of %u grants failed: %d\n", n, err);
	return err;
}

/*
 * PV: the hypervisor kept the grant in the user PTE of @slot.  The core
 * MM is about to zap that PTE; it must not find (and free) the backing
 * page, which the hypervisor still maps: leak the grant and the page.
 */
static void gntdev_slot_leak(struct gntdev_slot *slot)
{
	WRITE_ONCE(slot->leaked, true);
	pr_warn_ratelimited("grant unmap refused, page leaked\n");
}

/*
 * The kernel-side mapping of slot @slot, if any: the only one (PVH), or
 * the kernel half once the user half is gone (PV).  A PV slot whose user
 * half is still mapped was refused by Xen (leaked): it keeps both halves
 * and its page.
 */
static grant_handle_t *gntdev_kernel_handle(struct gntdev_slot *slot)
{
	if (!xen_pv_domain())
		return &slot->uhandle;
	if (slot->uhandle != INVALID_GRANT_HANDLE)
		return NULL;
	return &slot->khandle;
}

/* Prepare the unmap of every kernel-side mapping; returns how many. */
static unsigned int gntdev_range_unmap_prepare(struct gntdev_range *range)
{
	unsigned int i, n = 0;

	for (i = 0; i < range->count; i++) {
		grant_handle_t *h = gntdev_kernel_handle(&range->slots[i]);
		struct page *page = range->pages[i];

		if (!h || *h == INVALID_GRANT_HANDLE)
			continue;
		gntdev_grant_unmap_op(&range->unmap_ops[n],
				      gntdev_page_kaddr(page), GNTMAP_host_map,
				      *h);
		range->unmap_pages[n++] = page;
	}
	return n;
}

/* Judge the @n unmaps gntdev_range_unmap_prepare() made. */
static void gntdev_range_unmap_judge(struct gntdev_range *range,
				     unsigned int n)
{
	unsigned int i, k = 0;
	long unmapped = 0;

	for (i = 0; i < range->count && k < n; i++) {
		grant_handle_t *h = gntdev_kernel_handle(&range->slots[i]);

		if (!h || *h == INVALID_GRANT_HANDLE)
			continue;
		if (gntdev_grant_unmap_result(&range->unmap_ops[k],
					      range->unmap_pages[k], h))
			unmapped++;
		k++;
	}
	gntdev_stat_add(GNTDEV_STAT_MAPPED_GRANTS, -unmapped);
	if (unmapped < n)
		pr_warn_ratelimited("%u grant unmaps refused, pages leaked\n",
				    n - (unsigned int)unmapped);
}

/*
 * Caller holds range->lock.  Unmap every mapped slot at once: in a PV
 * domain the user halves first, then the kernel halves.  Only for the
 * mmap() error path, where no backing page can be referenced by anyone
 * else (see gntdev_mmap()).
 */
void gntdev_range_unmap_now(struct gntdev_range *range)
{
	unsigned int n;

	if (!range->slots)
		return;
	if (xen_pv_domain())
		gntdev_range_unmap_user(range, 0, range->count, true);
	else
		gntdev_notify_clear_byte(range, 0, range->count);
	n = gntdev_range_unmap_prepare(range);
	gntdev_grant_unmap(range->unmap_ops, NULL, range->unmap_pages, n);
	gntdev_range_unmap_judge(range, n);
}

/*
 * PV, caller holds range->lock: the MMU notifier is about to let the core
 * MM zap, move or rewrite the user PTEs of slots [@first, @first + @nr),
 * which a PTE Xen wrote for a grant cannot survive.  Unmap the user half
 * of each mapped slot now (Xen clears the PTE; the kernel then finds it
 * empty), in hypercall batches.  This never waits: the kernel half stays,
 * so whoever holds a backing page (a pipe after vmsplice(), direct I/O)
 * still reaches the granted frame through the page's kernel address; it
 * is unmapped when the range is freed.  A user half Xen refuses to unmap
 * is leaked with its page (gntdev_slot_leak()).
 *
 * @gone: the mapping goes away for good (munmap, exit, mremap; see
 * gntdev_mn_removes()): the notification byte is cleared and the slots
 * are never mapped again.  Otherwise the VMA keeps the pages (a VMA
 * split's huge-PMD check, mprotect(), MADV_DONTNEED, clear_refs...): the
 * slots are marked for refill, and the next access maps the grant into
 * the same PTE again (gntdev_range_refill()), so userspace sees its
 * mapping intact.
 */
void gntdev_range_unmap_user(struct gntdev_range *range, unsigned int first,
			     unsigned int nr, bool gone)
{
	const u32 flags = GNTMAP_host_map | GNTMAP_application_map |
			  GNTMAP_contains_pte;
	struct gnttab_unmap_grant_ref *ops = range->unmap_ops;
	unsigned int i, k, n = 0;
	long unmapped = 0;

	if (!range->slots || first >= range->count)
		return;
	nr = min(nr, range->count - first);

	if (gone)
		gntdev_notify_clear_byte(range, first, nr);

	for (i = first; i < first + nr; i++) {
		struct gntdev_slot *slot = &range->slots[i];

		/* Gone stays gone; only a slot unmapped now may be refilled. */
		if (gone)
			slot->refill = false;
		if (slot->uhandle == INVALID_GRANT_HANDLE || slot->leaked)
			continue;
		gntdev_grant_unmap_op(&ops[n++], slot->pte_maddr, flags,
				      slot->uhandle);
	}
	gntdev_grant_unmap(ops, NULL, NULL, n);

	for (i = first, k = 0; i < first + nr && k < n; i++) {
		struct gntdev_slot *slot = &range->slots[i];

		if (slot->uhandle == INVALID_GRANT_HANDLE || slot->leaked)
			continue;
		if (gntdev_grant_unmap_result(&ops[k++], NULL, &slot->uhandle)) {
			slot->refill = !gone;
			unmapped++;
		} else {
			slot->refill = false;
			gntdev_slot_leak(slot);
		}
	}
	gntdev_stat_add(GNTDEV_STAT_MAPPED_GRANTS, -unmapped);
}

/*
 * PV, caller holds range->lock: a fault at slot @idx's own address (the
 * one recorded at mmap()).  If the notifier dropped that slot's user PTE
 * without the mapping going away, map the grant into the PTE again,
 * read-only unless @writable; VM_FAULT_NOPAGE then retries the access.
 * Anything else (never mapped, gone for good, leaked) is SIGBUS.
 */
vm_fault_t gntdev_range_refill(struct gntdev_range *range, unsigned int idx,
			       bool writable)
{
	const struct ioctl_gntdev_grant_ref *g = &range->grants[idx];
	struct gntdev_slot *slot = &range->slots[idx];
	struct gnttab_map_grant_ref op;
	u32 flags = GNTMAP_host_map | GNTMAP_application_map |
		    GNTMAP_contains_pte;

	if (slot->uhandle != INVALID_GRANT_HANDLE)
		return VM_FAULT_NOPAGE;		/* a racing fault refilled it */
	if (!slot->refill || slot->leaked ||
	    slot->khandle == INVALID_GRANT_HANDLE)
		return VM_FAULT_SIGBUS;
	if (range->readonly || !writable)
		flags |= GNTMAP_readonly;
	if (xen_feature(XENFEAT_gnttab_map_avail_bits))
		flags |= 1 << _GNTMAP_guest_avail0;
	gntdev_grant_map_op(&op, slot->pte_maddr, flags, g->ref, g->domid);
	gntdev_grant_map(&op, NULL, NULL, 1);
	if (gntdev_grant_map_result(&op, &slot->uhandle)) {
		pr_debug("refill of slot %u failed: %d\n", idx, op.status);
		return VM_FAULT_SIGBUS;
	}
	gntdev_stat_add(GNTDEV_STAT_MAPPED_GRANTS, 1);
	return VM_FAULT_NOPAGE;
}

static void gntdev_range_free(struct gntdev_range *range)
{
	/* The byte, if any, was cleared before the unmap: now the event. */
	gntdev_notify_fire(range);
	gntdev_range_unprepare(range);
	kvfree(range->grants);
	kfree(range);
	gntdev_stat_add(GNTDEV_STAT_MAPS, -1);
}

/* Completion of the final unmap: record what Xen unmapped, free. */
static void gntdev_range_unmapped(struct gntdev_unmap_async *ua)
{
	struct gntdev_range *range =
		container_of(ua, struct gntdev_range, unmap);

	gntdev_range_unmap_judge(range, ua->q.count);
	gntdev_range_free(range);
}

/*
 * The last reference is gone: nobody can reach @range any more (the
 * notifier is removed, no VMA, no list).  Clear the notification byte
 * while the grant is still mapped, then unmap everything still mapped
 * with gntdev_grant_unmap_async(), which waits for no backing page
 * referenced outside the driver, and free the range once done (pages of
 * slots still mapped are kept).  PV: the user halves are gone already
 * (the notifier dropped them), the kernel halves go here with their p2m
 * entries.
 */
static void gntdev_range_release(struct gntdev_range *range)
{
	unsigned int n = 0;

	mutex_lock(&range->lock);
	if (range->slots) {
		gntdev_notify_clear_byte(range, 0, range->count);
		n = gntdev_range_unmap_prepare(range);
	}
	mutex_unlock(&range->lock);
	if (!n) {
		gntdev_range_free(range);
		return;
	}
	gntdev_grant_unmap_async(&range->unmap, range->unmap_ops,
				 range->unmap_pages, n, gntdev_range_unmapped);
}
