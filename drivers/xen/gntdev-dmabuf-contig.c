// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-dmabuf-contig.c - the contiguous backing store of exports with
 * GNTDEV_DMA_FLAG_WC or GNTDEV_DMA_FLAG_COHERENT, x86 PVH dom0 only.
 *
 * In a PVH dom0 a device's DMA address for a page is the page's
 * guest-physical address, and Xen's IOMMU tables follow dom0's p2m, so
 * grants mapped at consecutive gfns are one DMA segment to any device,
 * whatever frames the granter used.  A buffer's pages are therefore
 * consecutive guest-physical frames, from one of two sources:
 *
 *  a block (up to 2^GNTDEV_MAX_PAGE_ORDER pages, 4 MiB): one high-order
 *	allocation below 4 GiB, what dma_alloc_coherent() amounts to
 *	without CMA (which Debian's kernels lack), split into order-0
 *	pages whose frames are scrubbed and handed over to Xen as single
 *	PVH pages are (gntdev-dmabuf-pages.c).  32-bit DMA masks reach it.
 *	Released, it goes to the pool as a whole (struct gdmb_block), and
 *	a later block export takes it from there before allocating.
 *
 *  a range (struct gdmb_range), for anything larger or when no block
 *	is free: a hole of guest-physical address space, free iomem space
 *	above 4 GiB claimed with allocate_resource() and given struct
 *	pages by memremap_pages(), as Xen's unpopulated-alloc does for
 *	single pages.  No RAM is involved: the frames never held data,
 *	nothing is scrubbed or handed over.  Its size is rounded up to the
 *	memory hotplug granule (2 MiB).  Only devices that address more
 *	than 32 bits reach it; a narrower one is refused at map time.
 *
 * A range belongs to its buffer (buf->range) from ->alloc until ->free,
 * which runs once no grant is mapped in it and no page is referenced
 * outside the driver; memunmap_pages() then has nothing to wait for.
 *
 * PV dom0 never gets here: a grant mapping there is the granter's
 * machine frame, and no dom0 can make foreign machine frames contiguous
 * on the bus; gntdev_dmabuf_exp_check() refuses the flags (EOPNOTSUPP).
 * Nor does an Arm dom0, whose devices see machine frames as well
 * (xen-swiotlb; gntdev_dma_bus_is_machine()).
 *
 * On x86 both flags mean the same (every device is cache-coherent; the
 * DMA API hands out write-back memory for either); the distinction only
 * matters where a CPU mapping's cache attributes are chosen per buffer,
 * which gntdev does not do.
 *
 * "dmabuf_contig_max_pages" bounds one contiguous export (E2BIG beyond);
 * the global cap "dmabuf_max_pages" counts these pages as well.
 */
#include <linux/gfp.h>
#include <linux/ioport.h>
#include <linux/memory_hotplug.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/numa.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <xen/grant_table.h>

#include "gntdev-dmabuf-internal.h"
#include "gntdev-kver.h"
#include "gntdev-stats.h"

/* memremap_pages() works in memory-hotplug subsections. */
#define GDMB_RANGE_ALIGN	SZ_2M

struct gdmb_range {
	struct resource res;
	struct dev_pagemap pgmap;
};

static unsigned int gdmb_contig_max_pages = 16384;
module_param_named(dmabuf_contig_max_pages, gdmb_contig_max_pages, uint,
		   0644);
MODULE_PARM_DESC(dmabuf_contig_max_pages,
		 "Most pages of one WC/COHERENT export (E2BIG beyond)");

/* ---- blocks ---- */

static int gdmb_block_alloc(struct gdmb_buf *buf)
{
	unsigned int i, nr = buf->count;
	unsigned int order = get_order((size_t)nr << PAGE_SHIFT);
	struct page *page;
	int ret;

	if (order > GNTDEV_MAX_PAGE_ORDER)
		return -ENOMEM;
	if (gdmb_pool_take_block(nr, buf->pages))
		goto hold;
	page = alloc_pages(GFP_KERNEL | __GFP_DMA32 | __GFP_NOWARN |
			   __GFP_RETRY_MAYFAIL, order);
	if (!page)
		return -ENOMEM;
	split_page(page, order);
	for (i = nr; i < 1u << order; i++)
		__free_page(page + i);
	for (i = 0; i < nr; i++)
		buf->pages[i] = page + i;
	ret = gdmb_hand_over(nr, buf->pages);
	if (ret)
		return ret;
hold:
	return gdmb_hold(nr, buf->pages);
}

/* ---- ranges ---- */

/*
 * Free address space above 4 GiB only: below it, architectural MMIO
 * (local APIC, I/O APIC, HPET, firmware) is not always claimed in
 * iomem_resource, and a grant mapped over it would shadow the device.
 */
static int gdmb_range_claim(struct resource *res, resource_size_t size)
{
	struct range ok = mhp_get_pluggable_range(true);

	res->name = "xen-gntdev dma-buf";
	res->flags = IORESOURCE_MEM | IORESOURCE_BUSY;
	if (ok.end < SZ_4G)
		return -ENOMEM;
	/* No room is -EBUSY there: to userspace, out of memory. */
	if (allocate_resource(&iomem_resource, res, size,
			      max_t(u64, ok.start, SZ_4G), ok.end,
			      GDMB_RANGE_ALIGN, NULL, NULL))
		return -ENOMEM;
	return 0;
}

static int gdmb_range_alloc(struct gdmb_buf *buf)
{
	resource_size_t size = ALIGN((resource_size_t)buf->count << PAGE_SHIFT,
				     GDMB_RANGE_ALIGN);
	struct gdmb_range *r;
	unsigned long pfn;
	unsigned int i;
	void *va;
	int ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	ret = gdmb_range_claim(&r->res, size);
	if (ret)
		goto err_free;
	r->pgmap.type = MEMORY_DEVICE_GENERIC;
	r->pgmap.range.start = r->res.start;
	r->pgmap.range.end = r->res.end;
	r->pgmap.nr_range = 1;
	va = gntdev_memremap_pages(&r->pgmap, NUMA_NO_NODE);
	if (IS_ERR(va)) {
		ret = PTR_ERR(va);
		goto err_release;
	}
	pfn = PHYS_PFN(r->res.start);
	for (i = 0; i < buf->count; i++)
		buf->pages[i] = pfn_to_page(pfn + i);
	ret = gnttab_pages_set_private(buf->count, buf->pages);
	if (ret)
		goto err_unmap;
	buf->range = r;
	gntdev_stat_add(GNTDEV_STAT_DMABUF_RANGES, 1);
	gntdev_stat_add(GNTDEV_STAT_DMABUF_RANGE_BYTES, size);
	return 0;

err_unmap:
	gnttab_pages_clear_private(buf->count, buf->pages);
	gntdev_memunmap_pages(&r->pgmap);
err_release:
	release_resource(&r->res);
err_free:
	kfree(r);
	return ret;
}

static void gdmb_range_free(struct gdmb_buf *buf)
{
	struct gdmb_range *r = buf->range;

	gnttab_pages_clear_private(buf->count, buf->pages);
	gntdev_memunmap_pages(&r->pgmap);
	gntdev_stat_add(GNTDEV_STAT_DMABUF_RANGES, -1);
	gntdev_stat_add(GNTDEV_STAT_DMABUF_RANGE_BYTES,
			-(long)resource_size(&r->res));
	release_resource(&r->res);
	kfree(r);
	buf->range = NULL;
}

/* ---- the store ---- */

static int gdmb_contig_alloc(struct gdmb_buf *buf)
{
	/* One sg entry carries the whole buffer: its length is 32 bits. */
	if (buf->count > min(READ_ONCE(gdmb_contig_max_pages),
			     UINT_MAX >> PAGE_SHIFT))
		return -E2BIG;
	if (!gdmb_block_alloc(buf))
		return 0;
	return gdmb_range_alloc(buf);
}

static unsigned int gdmb_contig_free(struct gdmb_buf *buf)
{
	if (buf->range) {
		gdmb_range_free(buf);
		return 0;
	}
	gnttab_pages_clear_private(buf->count, buf->pages);
	if (gdmb_pool_put_block(buf->count, buf->pages))
		return 0;
	return gdmb_give_back(buf->count, buf->pages);
}

const struct gdmb_pages_ops gdmb_contig_pages = {
	.alloc = gdmb_contig_alloc,
	.free = gdmb_contig_free,
	.contiguous = true,
};
