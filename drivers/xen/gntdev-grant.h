/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntdev-grant.h - the one way xen-gntdev maps and unmaps grants.
 *
 * Every grant mapping of the module (classic ranges, the PV user PTEs
 * and their refill, exported dma-bufs, the PV vmap alias) goes through
 * these helpers, so there is one handle discipline (XSA-361):
 *
 *  - an operation is prepared with gntdev_grant_map_op() or
 *    gntdev_grant_unmap_op(), which preset its status to an error (and a
 *    map's handle to INVALID_GRANT_HANDLE): an operation the hypervisor
 *    never reached reads as failed;
 *  - operations are issued in batches of at most GNTDEV_BATCH, with a
 *    cond_resched() between batches (callers may sleep);
 *  - afterwards each operation is judged on its own status only:
 *    gntdev_grant_map_result() records a handle only for GNTST_okay with
 *    a valid handle, gntdev_grant_unmap_result() forgets a handle only
 *    when its unmap succeeded (and, for a backing page in PV, its p2m
 *    entry was restored).  A map reports the first failed operation's
 *    error before a failed hypercall's.  A handle whose unmap failed stays valid,
 *    and the page under it is never given back.
 *
 * The asynchronous unmap (struct gntdev_unmap_async) waits for no page
 * held outside the driver: gnttab_unmap_refs_async() retries from a
 * delayed work until the pages are idle.  While it is pending it holds a
 * module reference, dropped as the last action of its completion;
 * gntdev_exit() waits a tasks-RCU grace period for that return.  The
 * object embedding it must stay alive until ->done, which frees it.
 */
#ifndef _XEN_GNTDEV_GRANT_H
#define _XEN_GNTDEV_GRANT_H

#include <linux/mm.h>
#include <linux/types.h>
#include <xen/grant_table.h>

/* Most grant operations one map or unmap hypercall batch carries. */
#define GNTDEV_BATCH		512u

void gntdev_grant_map_op(struct gnttab_map_grant_ref *op, u64 addr,
			 u32 flags, grant_ref_t ref, domid_t domid);
void gntdev_grant_unmap_op(struct gnttab_unmap_grant_ref *op, u64 addr,
			   u32 flags, grant_handle_t handle);
int gntdev_grant_map_result(const struct gnttab_map_grant_ref *op,
			    grant_handle_t *handle);
bool gntdev_grant_unmap_result(const struct gnttab_unmap_grant_ref *op,
			       struct page *page, grant_handle_t *handle);

int gntdev_grant_map(struct gnttab_map_grant_ref *ops,
		     struct gnttab_map_grant_ref *kops, struct page **pages,
		     unsigned int n);
int gntdev_grant_unmap(struct gnttab_unmap_grant_ref *ops,
		       struct gnttab_unmap_grant_ref *kops,
		       struct page **pages, unsigned int n);

/* The kernel address of a backing page (its pfn, PV and PVH alike). */
static inline unsigned long gntdev_page_kaddr(struct page *page)
{
	return (unsigned long)pfn_to_kaddr(page_to_pfn(page));
}

struct gntdev_unmap_async {
	struct gntab_unmap_queue_data q;
	/* Judge q.unmap_ops[] with gntdev_grant_unmap_result(); may free. */
	void (*done)(struct gntdev_unmap_async *ua);
};

void gntdev_grant_unmap_async(struct gntdev_unmap_async *ua,
			      struct gnttab_unmap_grant_ref *ops,
			      struct page **pages, unsigned int n,
			      void (*done)(struct gntdev_unmap_async *ua));

#endif
