// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-dmabuf-pages.c - the pages behind exported dma-bufs, and the
 * cap on how many all buffers together may hold.
 *
 * A buffer gets one page per grant, from the backing store chosen for
 * it (struct gdmb_pages_ops):
 *
 *  PV dom0 (gdmb_pv_pages): gnttab_alloc_pages(); their pfns never
 *	matter, CPU and DMA go through the machine frames the grant maps.
 *
 *  PVH dom0 (gdmb_pvh_pages): a page's guest-physical address is what
 *	devices see (dom0 does not drive the IOMMU; Xen's IOMMU tables
 *	follow dom0's p2m).  The unpopulated pages gnttab_alloc_pages()
 *	hands out lie above all RAM, and the balloon's may too, out of reach
 *	of 32-bit DMA masks (cirrus, for one).  So each slot gets an
 *	ordinary page below 4 GiB, scrubbed and handed back to Xen
 *	(XENMEM_decrease_reservation) so that its gfn is a hole the grant
 *	can be mapped into; on free the gfn is populated again and the page
 *	returned to the allocator.  The pages are charged to the exporter's
 *	memory cgroup (__GFP_ACCOUNT) while held.
 *
 *	A page whose gfn Xen cannot populate again (out of memory in Xen)
 *	must not go back to the allocator: it is parked on gdmb_stray
 *	(linked by page->lru, under gdmb_stray_lock, which nests inside
 *	nothing) and stays counted.  ->tidy, called by every export and
 *	every buffer release, retries the parked pages and frees those Xen
 *	populates.  Pages still parked at module unload are leaked for good.
 *
 * The cap, module parameter "dmabuf_max_pages": buffers outlive their
 * files, so only a global bound limits them.  gdmb_held counts the pages
 * held, parked or reserved by an export in progress; an export that
 * would exceed the cap fails with EDQUOT.
 */
#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <xen/grant_table.h>
#include <xen/mem-reservation.h>
#include <xen/page.h>
#include <xen/xen.h>

#include "gntdev-dmabuf-internal.h"
#include "gntdev-internal.h"
#include "gntdev-stats.h"

/* Pages one reservation hypercall carries (frames live on the stack). */
#define GDMB_PAGES_BATCH	64u

static unsigned int gdmb_max_pages = 65536;
module_param_named(dmabuf_max_pages, gdmb_max_pages, uint, 0644);
MODULE_PARM_DESC(dmabuf_max_pages,
		 "Most backing pages all exported dma-bufs may hold (EDQUOT beyond)");
static atomic_long_t gdmb_held = ATOMIC_LONG_INIT(0);

static LIST_HEAD(gdmb_stray);
static DEFINE_SPINLOCK(gdmb_stray_lock);

/* ---- the cap and the counters ---- */

/* Pages now held (+) or given back (-), reservation included. */
void gdmb_pages_add(long n)
{
	gntdev_stat_add(GNTDEV_STAT_PAGES, n);
	gntdev_stat_add(GNTDEV_STAT_DMABUF_PAGES, n);
	atomic_long_add(n, &gdmb_held);
}

/*
 * Reserve @nr pages under the cap before allocating them; the caller
 * then either holds them (gdmb_reserved_held()) or drops the reservation
 * (gdmb_unreserve()).  False if the cap would be exceeded.
 */
bool gdmb_reserve(unsigned int nr)
{
	if (!gntdev_cap_take(&gdmb_held, nr, READ_ONCE(gdmb_max_pages)))
		return false;
	gntdev_stat_add(GNTDEV_STAT_DMABUF_PAGES, nr);
	return true;
}

void gdmb_unreserve(unsigned int nr)
{
	gntdev_stat_add(GNTDEV_STAT_DMABUF_PAGES, -(long)nr);
	atomic_long_sub(nr, &gdmb_held);
}

/* The @nr reserved pages are allocated: the cap already counts them. */
void gdmb_reserved_held(unsigned int nr)
{
	gntdev_stat_add(GNTDEV_STAT_PAGES, nr);
}

/* ---- PV: ballooned or unpopulated pages ---- */

static int gdmb_pv_alloc(unsigned int nr, struct page **pages)
{
	return gnttab_alloc_pages(nr, pages);
}

static unsigned int gdmb_pv_free(unsigned int nr, struct page **pages)
{
	gnttab_free_pages(nr, pages);
	return 0;
}

/* ---- PVH: pages below 4 GiB handed back to Xen ---- */

static void gdmb_stray_add(struct page *page)
{
	spin_lock(&gdmb_stray_lock);
	list_add_tail(&page->lru, &gdmb_stray);
	spin_unlock(&gdmb_stray_lock);
}

/*
 * Populate the gfns of @nr pages handed back to Xen and free the pages.
 * Those Xen cannot populate are parked; returns how many were parked.
 */
static unsigned int gdmb_pvh_give_back(unsigned int nr, struct page **pages)
{
	xen_pfn_t frames[GDMB_PAGES_BATCH];
	unsigned int i, n, j, parked = 0;
	int got;

	for (i = 0; i < nr; i += n) {
		n = min(nr - i, GDMB_PAGES_BATCH);
		for (j = 0; j < n; j++)
			frames[j] = page_to_xen_pfn(pages[i + j]);
		got = max(xenmem_reservation_increase(n, frames), 0);
		for (j = 0; j < n; j++) {
			if (j < got) {
				__free_page(pages[i + j]);
			} else {
				gdmb_stray_add(pages[i + j]);
				parked++;
			}
		}
		cond_resched();
	}
	return parked;
}

/* Retry the parked pages, a batch at a time, until Xen runs short. */
static void gdmb_pvh_tidy(void)
{
	struct page *batch[GDMB_PAGES_BATCH];
	unsigned int n, parked;

	while (!list_empty_careful(&gdmb_stray)) {
		spin_lock(&gdmb_stray_lock);
		for (n = 0; n < GDMB_PAGES_BATCH && !list_empty(&gdmb_stray);
		     n++) {
			batch[n] = list_first_entry(&gdmb_stray, struct page,
						    lru);
			list_del(&batch[n]->lru);
		}
		spin_unlock(&gdmb_stray_lock);
		/* Those parked again are still counted. */
		parked = gdmb_pvh_give_back(n, batch);
		gdmb_pages_add(-(long)(n - parked));
		if (parked)
			return;
	}
}

/*
 * Take @n (at most GDMB_PAGES_BATCH) scrubbed pages below 4 GiB and hand
 * their gfns to Xen.  On failure nothing of the batch is held; pages Xen
 * took but could not give back are parked, and *@parked counts them.
 */
static int gdmb_pvh_take(unsigned int n, struct page **pages,
			 unsigned int *parked)
{
	xen_pfn_t frames[GDMB_PAGES_BATCH];
	unsigned int j;
	int got;

	for (j = 0; j < n; j++) {
		pages[j] = alloc_page(GFP_KERNEL | __GFP_DMA32 |
				      __GFP_ACCOUNT | __GFP_NOWARN);
		if (!pages[j])
			goto err_free;
		clear_highpage(pages[j]);
		frames[j] = page_to_xen_pfn(pages[j]);
	}
	got = xenmem_reservation_decrease(n, frames);
	if (got == n)
		return 0;
	/* Xen took the first @got: take them back, free the others. */
	got = max(got, 0);
	*parked += gdmb_pvh_give_back(got, pages);
	pages += got;
	j = n - got;
err_free:
	while (j--)
		__free_page(pages[j]);
	return -ENOMEM;
}

static int gdmb_pvh_alloc(unsigned int nr, struct page **pages)
{
	unsigned int i, n, parked = 0;
	int ret;

	for (i = 0; i < nr; i += n) {
		n = min(nr - i, GDMB_PAGES_BATCH);
		ret = gdmb_pvh_take(n, pages + i, &parked);
		if (ret)
			goto err_give_back;
		cond_resched();
	}
	ret = gnttab_pages_set_private(nr, pages);
	if (ret)
		goto err_clear;
	return 0;

err_clear:
	gnttab_pages_clear_private(nr, pages);
err_give_back:
	parked += gdmb_pvh_give_back(i, pages);
	/* Parked pages count on top of the caller's reservation. */
	if (parked)
		gdmb_pages_add(parked);
	return ret;
}

static unsigned int gdmb_pvh_free(unsigned int nr, struct page **pages)
{
	gnttab_pages_clear_private(nr, pages);
	return gdmb_pvh_give_back(nr, pages);
}

static const struct gdmb_pages_ops gdmb_pv_pages = {
	.alloc = gdmb_pv_alloc,
	.free = gdmb_pv_free,
};

static const struct gdmb_pages_ops gdmb_pvh_pages = {
	.alloc = gdmb_pvh_alloc,
	.free = gdmb_pvh_free,
	.tidy = gdmb_pvh_tidy,
};

/* The backing store for a buffer of this dom0. */
const struct gdmb_pages_ops *gdmb_pages_ops(void)
{
	return xen_pv_domain() ? &gdmb_pv_pages : &gdmb_pvh_pages;
}
