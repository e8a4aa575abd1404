// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-dmabuf-pages.c - where the grants of exported dma-bufs land:
 * the page backing stores, the PVH pool of frames already handed back
 * to Xen, and the cap on how many pages all buffers together may hold.
 * The contiguous store (WC/COHERENT) is in gntdev-dmabuf-contig.c and
 * uses the hand-over primitives below.
 *
 * A buffer gets one page per grant, from the backing store chosen for
 * it by gdmb_pages_ops():
 *
 *  PV dom0 (gdmb_pv_pages): gnttab_alloc_pages(); their pfns never
 *	matter, CPU and DMA go through the machine frames the grant maps.
 *
 *  PVH dom0 (gdmb_pvh_pages): a page's guest-physical address is what
 *	devices see (dom0 does not drive the IOMMU; Xen's IOMMU tables
 *	follow dom0's p2m).  The unpopulated pages gnttab_alloc_pages()
 *	hands out lie above all RAM, and the balloon's may too, out of reach
 *	of 32-bit DMA masks (cirrus, for one).  So each slot gets an
 *	ordinary page below 4 GiB whose frame was scrubbed and handed over
 *	to Xen (XENMEM_decrease_reservation): its gfn is a hole the grant is
 *	mapped into.  The pages are not charged to a memory cgroup: a
 *	pooled page outlives its exporter and serves the next one, so
 *	dmabuf_max_pages and dmabuf_pool_pages bound them instead.
 *
 * The pool (PVH): handing a frame over and taking it back costs more
 * than the grant map itself, so a released buffer's pages, holes again
 * once their grants are unmapped, go to the pool and the next export
 * takes them from there: single pages to gdmb_pool (linked by
 * page->lru), a contiguous block's pages as one struct gdmb_block to
 * gdmb_blocks (a later contiguous export takes the smallest block that
 * fits and leaves the rest pooled), both under gdmb_pool_lock.  A
 * pooled page holds no data of anybody's and no mapping: it is a hole.
 * At most "dmabuf_pool_pages" (module parameter) stay pooled, and for no
 * longer than GDMB_POOL_IDLE after the last release (gdmb_pool_work):
 * frames Xen holds may be handed to other domains, and then could not
 * come back.  Lowering the parameter, memory pressure (a shrinker), the
 * idle timer and module unload give the excess back
 * (XENMEM_populate_physmap, then the page allocator).
 *
 * A page whose gfn Xen cannot populate again (out of memory in Xen)
 * must not go back to the allocator: it is parked on gdmb_stray (linked
 * by page->lru, under gdmb_stray_lock) and stays counted.
 * gdmb_pages_tidy(), called by every export and every buffer release,
 * retries the parked pages.  Pages still parked at module unload are leaked for good.
 * Both locks are innermost and only guard list moves.
 *
 * The cap, module parameter "dmabuf_max_pages": buffers outlive their
 * files, so only a global bound limits them.  gdmb_held counts the pages
 * held, parked or reserved by an export in progress (pooled pages are
 * bounded by their own parameter); an export that would exceed the cap
 * fails with EDQUOT.
 *
 * Accounting (gntdev-stats.h): dmabuf_pages counts the pages buffers
 * hold and the parked ones, dmabuf_pool the pooled ones, and
 * dmabuf_frames_out every frame dom0 handed over to Xen and has not got
 * back: held, pooled and parked.
 */
#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <xen/grant_table.h>
#include <xen/mem-reservation.h>
#include <xen/page.h>
#include <xen/xen.h>

#include "gntdev-dmabuf-internal.h"
#include "gntdev-internal.h"
#include "gntdev-kver.h"
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

/*
 * A run of consecutive pooled pages, kept whole for contiguous exports;
 * the pages themselves are not linked.
 */
struct gdmb_block {
	struct list_head node;		/* on gdmb_blocks */
	struct page *first;
	unsigned int nr;
};

static LIST_HEAD(gdmb_pool);		/* single pages, by page->lru */
static LIST_HEAD(gdmb_blocks);		/* struct gdmb_block */
static unsigned int gdmb_pool_len;	/* pages in both, gdmb_pool_lock */
static DEFINE_SPINLOCK(gdmb_pool_lock);
static unsigned int gdmb_pool_max = 8192;
static struct shrinker *gdmb_pool_shrinker;
static DEFINE_MUTEX(gdmb_trim_lock);	/* one trim at a time */

/* A pool nobody has released into for this long is drained. */
#define GDMB_POOL_IDLE	(10 * HZ)
static void gdmb_pool_age(struct work_struct *work);
static DECLARE_DELAYED_WORK(gdmb_pool_work, gdmb_pool_age);

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

static int gdmb_pv_alloc(struct gdmb_buf *buf)
{
	return gnttab_alloc_pages(buf->count, buf->pages);
}

static unsigned int gdmb_pv_free(struct gdmb_buf *buf)
{
	gnttab_free_pages(buf->count, buf->pages);
	return 0;
}

/* ---- handing frames over to Xen and taking them back (PVH) ---- */

static void gdmb_stray_add(struct page *page)
{
	spin_lock(&gdmb_stray_lock);
	list_add_tail(&page->lru, &gdmb_stray);
	spin_unlock(&gdmb_stray_lock);
}

/*
 * Populate the gfns of @nr pages handed over to Xen and free the pages.
 * Those Xen cannot populate are parked; returns how many were parked
 * (the caller counts them as held, see gdmb_pages_add()).
 */
unsigned int gdmb_give_back(unsigned int nr, struct page **pages)
{
	xen_pfn_t frames[GDMB_PAGES_BATCH];
	unsigned int i, n, j, parked = 0;
	int got;

	for (i = 0; i < nr; i += n) {
		n = min(nr - i, GDMB_PAGES_BATCH);
		for (j = 0; j < n; j++)
			frames[j] = page_to_xen_pfn(pages[i + j]);
		got = max(xenmem_reservation_increase(n, frames), 0);
		gntdev_stat_add(GNTDEV_STAT_DMABUF_FRAMES_OUT, -got);
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

/*
 * Scrub @nr allocated pages and hand their frames over to Xen.  On
 * failure none of them is held any more: those Xen took are given back
 * (or parked, and counted as held), the others are freed.
 */
int gdmb_hand_over(unsigned int nr, struct page **pages)
{
	xen_pfn_t frames[GDMB_PAGES_BATCH];
	unsigned int i, n, j;
	int got;

	for (i = 0; i < nr; i += n) {
		n = min(nr - i, GDMB_PAGES_BATCH);
		for (j = 0; j < n; j++) {
			clear_highpage(pages[i + j]);
			frames[j] = page_to_xen_pfn(pages[i + j]);
		}
		got = max(xenmem_reservation_decrease(n, frames), 0);
		gntdev_stat_add(GNTDEV_STAT_DMABUF_FRAMES_OUT, got);
		if (got < n) {
			/* Xen has pages[0 .. i + got): take them back. */
			gdmb_pages_add(gdmb_give_back(i + got, pages));
			for (j = i + got; j < nr; j++)
				__free_page(pages[j]);
			return -ENOMEM;
		}
		cond_resched();
	}
	return 0;
}

/*
 * @nr pages whose frames are handed over become grant slots; on failure
 * they are given back, none held.
 */
int gdmb_hold(unsigned int nr, struct page **pages)
{
	int ret = gnttab_pages_set_private(nr, pages);

	if (ret) {
		gnttab_pages_clear_private(nr, pages);
		gdmb_pages_add(gdmb_give_back(nr, pages));
	}
	return ret;
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
		parked = gdmb_give_back(n, batch);
		gdmb_pages_add(-(long)(n - parked));
		if (parked)
			return;
	}
}

/* ---- the PVH pool of holes ---- */

/* Take up to @nr pooled pages into @pages; returns how many. */
static unsigned int gdmb_pool_take(unsigned int nr, struct page **pages)
{
	unsigned int n;

	spin_lock(&gdmb_pool_lock);
	for (n = 0; n < nr && !list_empty(&gdmb_pool); n++, gdmb_pool_len--) {
		pages[n] = list_first_entry(&gdmb_pool, struct page, lru);
		list_del(&pages[n]->lru);
	}
	gntdev_stat_add(GNTDEV_STAT_DMABUF_POOL, -(long)n);
	spin_unlock(&gdmb_pool_lock);
	return n;
}

/* Pool as many of @pages as there is room for; returns how many. */
static unsigned int gdmb_pool_put(unsigned int nr, struct page **pages)
{
	unsigned int n;

	spin_lock(&gdmb_pool_lock);
	for (n = 0; n < nr && gdmb_pool_len < READ_ONCE(gdmb_pool_max);
	     n++, gdmb_pool_len++)
		list_add(&pages[n]->lru, &gdmb_pool);
	gntdev_stat_add(GNTDEV_STAT_DMABUF_POOL, n);
	spin_unlock(&gdmb_pool_lock);
	if (n)
		mod_delayed_work(system_wq, &gdmb_pool_work, GDMB_POOL_IDLE);
	return n;
}

/*
 * Take @nr consecutive pooled pages into @pages: the smallest block that
 * fits, whose remainder stays pooled.  False if none fits.
 */
bool gdmb_pool_take_block(unsigned int nr, struct page **pages)
{
	struct gdmb_block *b, *best = NULL, *empty = NULL;
	struct page *first = NULL;
	unsigned int i;

	spin_lock(&gdmb_pool_lock);
	list_for_each_entry(b, &gdmb_blocks, node)
		if (b->nr >= nr && (!best || b->nr < best->nr))
			best = b;
	if (best) {
		first = best->first;
		best->first += nr;
		best->nr -= nr;
		gdmb_pool_len -= nr;
		if (!best->nr) {
			list_del(&best->node);
			empty = best;
		}
		gntdev_stat_add(GNTDEV_STAT_DMABUF_POOL, -(long)nr);
	}
	spin_unlock(&gdmb_pool_lock);
	if (!first)
		return false;
	kfree(empty);
	for (i = 0; i < nr; i++)
		pages[i] = first + i;
	return true;
}

/*
 * Pool the @nr consecutive @pages (a block, holes) whole if there is
 * room; false if the caller must give them back.
 */
bool gdmb_pool_put_block(unsigned int nr, struct page **pages)
{
	struct gdmb_block *b = kmalloc(sizeof(*b), GFP_KERNEL);
	bool pooled = false;

	if (!b)
		return false;
	b->first = pages[0];
	b->nr = nr;
	spin_lock(&gdmb_pool_lock);
	if (gdmb_pool_len + nr <= READ_ONCE(gdmb_pool_max)) {
		list_add(&b->node, &gdmb_blocks);
		gdmb_pool_len += nr;
		gntdev_stat_add(GNTDEV_STAT_DMABUF_POOL, nr);
		pooled = true;
	}
	spin_unlock(&gdmb_pool_lock);
	if (!pooled) {
		kfree(b);
		return false;
	}
	mod_delayed_work(system_wq, &gdmb_pool_work, GDMB_POOL_IDLE);
	return true;
}

/* Give a block's pages back; returns how many had to be parked. */
static unsigned int gdmb_block_give_back(struct gdmb_block *b)
{
	struct page *batch[GDMB_PAGES_BATCH];
	unsigned int i, j, n, parked = 0;

	for (i = 0; i < b->nr; i += n) {
		n = min(b->nr - i, GDMB_PAGES_BATCH);
		for (j = 0; j < n; j++)
			batch[j] = b->first + i + j;
		parked += gdmb_give_back(n, batch);
	}
	return parked;
}

/*
 * Give pooled pages back to Xen and the allocator until at most @keep
 * remain or @budget are freed (a block goes whole); returns how many
 * were freed.  Stops once Xen runs short: parked ones count as held.
 *
 * Trims run one at a time under gdmb_trim_lock, so one that returns has
 * seen every page an earlier one took off the lists given back; a
 * shrinker (@wait false) does not queue behind another trim.  A page
 * leaves dmabuf_pool together with its frame leaving dmabuf_frames_out
 * (or, parked, joining dmabuf_pages), under gntdev_stats_lock(): a
 * reader sees a trim whole.  Elsewhere dmabuf_pool changes under
 * gdmb_pool_lock with the lists, so it never reads below the pages a
 * trim can still give back; an export or release in progress may show
 * its pages in two counters for a moment.
 */
static unsigned long gdmb_pool_trim(unsigned int keep, unsigned long budget,
				    bool wait)
{
	struct page *batch[GDMB_PAGES_BATCH];
	struct gdmb_block *b;
	unsigned long done = 0;
	unsigned int n, parked;

	if (!wait && !mutex_trylock(&gdmb_trim_lock))
		return 0;
	if (wait)
		mutex_lock(&gdmb_trim_lock);
	while (done < budget) {
		spin_lock(&gdmb_pool_lock);
		n = 0;
		b = NULL;
		while (n < GDMB_PAGES_BATCH && done + n < budget &&
		       gdmb_pool_len > keep && !list_empty(&gdmb_pool)) {
			batch[n] = list_first_entry(&gdmb_pool, struct page,
						    lru);
			list_del(&batch[n]->lru);
			gdmb_pool_len--;
			n++;
		}
		if (!n && gdmb_pool_len > keep && !list_empty(&gdmb_blocks)) {
			b = list_first_entry(&gdmb_blocks, struct gdmb_block,
					     node);
			list_del(&b->node);
			gdmb_pool_len -= b->nr;
			n = b->nr;
		}
		spin_unlock(&gdmb_pool_lock);
		if (!n)
			break;
		gntdev_stats_lock();
		if (b) {
			parked = gdmb_block_give_back(b);
			kfree(b);
		} else {
			parked = gdmb_give_back(n, batch);
		}
		gdmb_pages_add(parked);
		gntdev_stat_add(GNTDEV_STAT_DMABUF_POOL, -(long)n);
		gntdev_stats_unlock();
		done += n - parked;
		if (parked)
			break;
	}
	mutex_unlock(&gdmb_trim_lock);
	return done;
}

static void gdmb_pool_age(struct work_struct *work)
{
	gdmb_pool_trim(0, ULONG_MAX, true);
}

static unsigned long gdmb_pool_count(struct shrinker *s,
				     struct shrink_control *sc)
{
	return READ_ONCE(gdmb_pool_len) ?: SHRINK_EMPTY;
}

static unsigned long gdmb_pool_scan(struct shrinker *s,
				    struct shrink_control *sc)
{
	unsigned long done = gdmb_pool_trim(0, sc->nr_to_scan, false);

	return done ?: SHRINK_STOP;
}

/* "dmabuf_pool_pages": a lower bound gives the excess back at once. */
static int gdmb_pool_max_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_uint(val, kp);

	if (!ret)
		gdmb_pool_trim(READ_ONCE(gdmb_pool_max), ULONG_MAX, true);
	return ret;
}

static const struct kernel_param_ops gdmb_pool_max_ops = {
	.set = gdmb_pool_max_set,
	.get = param_get_uint,
};
module_param_cb(dmabuf_pool_pages, &gdmb_pool_max_ops, &gdmb_pool_max, 0644);
MODULE_PARM_DESC(dmabuf_pool_pages,
		 "PVH: most frames released dma-bufs keep handed over to Xen for the next export");

/* ---- PVH: pages below 4 GiB handed over to Xen ---- */

static int gdmb_pvh_alloc(struct gdmb_buf *buf)
{
	unsigned int i, got, nr = buf->count;
	struct page **pages = buf->pages;
	int ret = -ENOMEM;

	got = gdmb_pool_take(nr, pages);
	for (i = got; i < nr; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_DMA32 |
				      __GFP_NOWARN);
		if (!pages[i])
			goto err_free;
	}
	ret = gdmb_hand_over(nr - got, pages + got);
	if (ret)
		goto err_pool;
	return gdmb_hold(nr, pages);

err_free:
	while (i-- > got)
		__free_page(pages[i]);
err_pool:
	/* The pooled pages are still holes: back to the pool. */
	i = gdmb_pool_put(got, pages);
	gdmb_pages_add(gdmb_give_back(got - i, pages + i));
	return ret;
}

static unsigned int gdmb_pvh_free(struct gdmb_buf *buf)
{
	unsigned int pooled;

	gnttab_pages_clear_private(buf->count, buf->pages);
	pooled = gdmb_pool_put(buf->count, buf->pages);
	return gdmb_give_back(buf->count - pooled, buf->pages + pooled);
}

static const struct gdmb_pages_ops gdmb_pv_pages = {
	.alloc = gdmb_pv_alloc,
	.free = gdmb_pv_free,
};

static const struct gdmb_pages_ops gdmb_pvh_pages = {
	.alloc = gdmb_pvh_alloc,
	.free = gdmb_pvh_free,
};

/*
 * The backing store for a buffer of this dom0 with GNTDEV_DMA_FLAG_*
 * @flags (checked: none in PV).
 */
const struct gdmb_pages_ops *gdmb_pages_ops(u32 flags)
{
	if (xen_pv_domain())
		return &gdmb_pv_pages;
	return flags ? &gdmb_contig_pages : &gdmb_pvh_pages;
}

/* Pages parked now (the debugfs listing). */
unsigned long gdmb_pages_parked(void)
{
	unsigned long n;

	spin_lock(&gdmb_stray_lock);
	n = list_count_nodes(&gdmb_stray);
	spin_unlock(&gdmb_stray_lock);
	return n;
}

/* The parked pages are retried by whichever store can park them. */
void gdmb_pages_tidy(void)
{
	if (!xen_pv_domain())
		gdmb_pvh_tidy();
}

int gdmb_pages_init(void)
{
	if (xen_pv_domain())
		return 0;
	gdmb_pool_shrinker = gntdev_shrinker_create(gdmb_pool_count,
						    gdmb_pool_scan,
						    "xen-gntdev-dmabuf-pool");
	return gdmb_pool_shrinker ? 0 : -ENOMEM;
}

/* Every buffer is gone (each held a module reference): drain the pool. */
void gdmb_pages_exit(void)
{
	if (xen_pv_domain())
		return;
	gntdev_shrinker_destroy(gdmb_pool_shrinker);
	cancel_delayed_work_sync(&gdmb_pool_work);
	gdmb_pool_trim(0, ULONG_MAX, true);
	gdmb_pvh_tidy();
}
