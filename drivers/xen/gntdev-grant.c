// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-grant.c - batched grant map and unmap with preset statuses,
 * and the asynchronous unmap (see gntdev-grant.h for the discipline).
 *
 * Owns no objects: operations arrays and handles belong to the callers.
 * With @pages, operations go through gnttab_map_refs() and
 * gnttab_unmap_refs(), which also keep the p2m of those pages (PV) in
 * step; without, they address something that is not a backing page (a
 * user PTE, a vmap alias) and go to the hypervisor directly (a map with
 * gnttab_batch_map(), which retries a grant the peer has paged out).
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <xen/grant_table.h>
#include <xen/xen.h>
#include <asm/xen/hypercall.h>

#include "gntdev-grant.h"
#include "gntdev-kver.h"

void gntdev_grant_map_op(struct gnttab_map_grant_ref *op, u64 addr,
			 u32 flags, grant_ref_t ref, domid_t domid)
{
	gnttab_set_map_op(op, addr, flags, ref, domid);
	op->status = GNTST_general_error;
	op->handle = INVALID_GRANT_HANDLE;
}

void gntdev_grant_unmap_op(struct gnttab_unmap_grant_ref *op, u64 addr,
			   u32 flags, grant_handle_t handle)
{
	gnttab_set_unmap_op(op, addr, flags, handle);
	op->status = GNTST_general_error;
}

/* The errno for a failed operation's status. */
static int gntdev_grant_errno(s16 status)
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
 * Record in @handle the mapping @op made: 0, or why there is none
 * (-EAGAIN: the grant was still paged out; -ENOSPC: no room in Xen;
 * -EINVAL: bad ref or domid, no access, pinned too often, ...).
 */
int gntdev_grant_map_result(const struct gnttab_map_grant_ref *op,
			    grant_handle_t *handle)
{
	if (op->status != GNTST_okay)
		return gntdev_grant_errno(op->status);
	if (op->handle == INVALID_GRANT_HANDLE)
		return -EINVAL;
	*handle = op->handle;
	return 0;
}

/*
 * True, and @handle forgotten, if @op unmapped its mapping.  With @page
 * (an unmap through gntdev_grant_unmap() or _async() with pages), a PV
 * page whose p2m entry still names the foreign frame also counts as
 * refused: gnttab_unmap_refs() restores the p2m only after a hypercall
 * that succeeded as a whole, and such a page must never be given back.
 */
bool gntdev_grant_unmap_result(const struct gnttab_unmap_grant_ref *op,
			       struct page *page, grant_handle_t *handle)
{
	if (op->status != GNTST_okay)
		return false;
	if (page && xen_pv_domain() &&
	    gntdev_pv_pfn_foreign(page_to_pfn(page)))
		return false;
	*handle = INVALID_GRANT_HANDLE;
	return true;
}

/*
 * Issue @n prepared map operations (@kops: PV kernel halves, or NULL).
 * Returns 0, or the error of the first hypercall that failed outright
 * (-ENOMEM if it could not be issued for lack of memory, else -EINVAL);
 * the batches after it are not issued and keep their preset failure.
 * Either way each operation's own result decides whether it mapped, and
 * callers report the first failed operation's error before this one.
 */
int gntdev_grant_map(struct gnttab_map_grant_ref *ops,
		     struct gnttab_map_grant_ref *kops, struct page **pages,
		     unsigned int n)
{
	unsigned int b, c;
	int ret = 0;

	for (b = 0; b < n && !ret; b += c) {
		c = min(n - b, GNTDEV_BATCH);
		if (b)
			cond_resched();
		if (pages)
			ret = gnttab_map_refs(ops + b, kops ? kops + b : NULL,
					      pages + b, c);
		else
			gnttab_batch_map(ops + b, c);
	}
	if (ret)
		return ret == -ENOMEM ? -ENOMEM : -EINVAL;
	return 0;
}

/*
 * Issue @n prepared unmap operations; only for mappings whose pages
 * nobody else can hold (see gntdev_grant_unmap_async() otherwise).
 * Returns 0 or -EIO if a hypercall failed or, with @pages, a p2m entry
 * needed no restoring (a PV kernel half whose user half never mapped):
 * only each operation's own status says whether it unmapped.
 */
int gntdev_grant_unmap(struct gnttab_unmap_grant_ref *ops,
		       struct gnttab_unmap_grant_ref *kops,
		       struct page **pages, unsigned int n)
{
	unsigned int b, c;
	int ret = 0;

	for (b = 0; b < n; b += c) {
		c = min(n - b, GNTDEV_BATCH);
		if (b)
			cond_resched();
		if (pages ?
		    gnttab_unmap_refs(ops + b, kops ? kops + b : NULL,
				      pages + b, c) :
		    HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref,
					      ops + b, c))
			ret = -EIO;
	}
	return ret;
}

/*
 * Completion of gntdev_grant_unmap_async(): in the releasing task when
 * no page was busy, else from the grant-table delayed work.  @result is
 * not looked at: it also reports a p2m entry that needed no restoring,
 * and the statuses were preset, so a failed hypercall reads as refused.
 */
static void gntdev_grant_unmap_done(int result,
				    struct gntab_unmap_queue_data *q)
{
	struct gntdev_unmap_async *ua =
		container_of(q, struct gntdev_unmap_async, q);

	ua->done(ua);
	/* The very last action: see gntdev_exit(). */
	module_put(THIS_MODULE);
}

/*
 * Unmap @n prepared operations on @pages (kernel mappings: PVH mappings,
 * PV kernel halves, with their p2m entries) once no page is referenced
 * outside the driver, then call @done.  Never waits; holds a module
 * reference until @done has returned, so rmmod is EBUSY meanwhile.
 */
void gntdev_grant_unmap_async(struct gntdev_unmap_async *ua,
			      struct gnttab_unmap_grant_ref *ops,
			      struct page **pages, unsigned int n,
			      void (*done)(struct gntdev_unmap_async *ua))
{
	ua->done = done;
	ua->q.data = ua;
	ua->q.done = gntdev_grant_unmap_done;
	ua->q.unmap_ops = ops;
	ua->q.kunmap_ops = NULL;
	ua->q.pages = pages;
	ua->q.count = n;
	__module_get(THIS_MODULE);
	gnttab_unmap_refs_async(&ua->q);
}
