/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntdev-kver.h - every kernel-version, kernel-configuration and
 * architecture difference xen-gntdev cares about, and nothing else.
 *
 * The rest of the module is written against the helpers below and never
 * tests LINUX_VERSION_CODE, CONFIG_X86 or the like itself.  Supported:
 * 6.1 and 6.12 (and, where noted, later kernels), on x86-64 and arm64.
 * The file holds no objects, so it has no lifetime rules of its own.
 */
#ifndef _XEN_GNTDEV_KVER_H
#define _XEN_GNTDEV_KVER_H

#include <linux/bug.h>
#include <linux/err.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/types.h>
#include <linux/version.h>
#include <xen/interface/xen.h>
#include <xen/page.h>
#include <xen/xen.h>

/* vm_flags became read-only with accessors in 6.3. */
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
static inline void gntdev_vma_set_flags(struct vm_area_struct *vma,
					vm_flags_t flags)
{
	vm_flags_set(vma, flags);
}

static inline void gntdev_vma_clear_flags(struct vm_area_struct *vma,
					  vm_flags_t flags)
{
	vm_flags_clear(vma, flags);
}
#else
static inline void gntdev_vma_set_flags(struct vm_area_struct *vma,
					vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void gntdev_vma_clear_flags(struct vm_area_struct *vma,
					  vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/* MODULE_IMPORT_NS() takes a string literal from 6.13 on. */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define GNTDEV_IMPORT_NS_DMA_BUF() MODULE_IMPORT_NS("DMA_BUF")
#else
#define GNTDEV_IMPORT_NS_DMA_BUF() MODULE_IMPORT_NS(DMA_BUF)
#endif

/* The largest order the page allocator serves (6.3: MAX_ORDER - 1). */
#if KERNEL_VERSION(6, 8, 0) <= LINUX_VERSION_CODE
#define GNTDEV_MAX_PAGE_ORDER MAX_PAGE_ORDER
#elif KERNEL_VERSION(6, 4, 0) <= LINUX_VERSION_CODE
#define GNTDEV_MAX_PAGE_ORDER MAX_ORDER
#else
#define GNTDEV_MAX_PAGE_ORDER (MAX_ORDER - 1)
#endif

/*
 * A registered shrinker, or NULL: shrinkers are allocated by the core
 * from 6.7 on, embedded by their owner before.
 */
typedef unsigned long (*gntdev_shrink_fn)(struct shrinker *,
					  struct shrink_control *);

#if KERNEL_VERSION(6, 7, 0) <= LINUX_VERSION_CODE
static inline struct shrinker *gntdev_shrinker_create(gntdev_shrink_fn count,
						      gntdev_shrink_fn scan,
						      const char *name)
{
	struct shrinker *s = shrinker_alloc(0, "%s", name);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	shrinker_register(s);
	return s;
}

static inline void gntdev_shrinker_destroy(struct shrinker *s)
{
	shrinker_free(s);
}
#else
static inline struct shrinker *gntdev_shrinker_create(gntdev_shrink_fn count,
						      gntdev_shrink_fn scan,
						      const char *name)
{
	struct shrinker *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	if (register_shrinker(s, "%s", name)) {
		kfree(s);
		return NULL;
	}
	return s;
}

static inline void gntdev_shrinker_destroy(struct shrinker *s)
{
	if (!s)
		return;
	unregister_shrinker(s);
	kfree(s);
}
#endif

/*
 * memremap_pages() exists only with CONFIG_ZONE_DEVICE, which Debian's
 * arm64 6.1 kernel lacks.  Without it a hole of address space cannot be
 * given struct pages, and a contiguous range is not available (the
 * callers only get here where gntdev_dma_bus_is_machine() is false,
 * which that kernel never is).
 */
#ifdef CONFIG_ZONE_DEVICE
static inline void *gntdev_memremap_pages(struct dev_pagemap *pgmap, int nid)
{
	return memremap_pages(pgmap, nid);
}

static inline void gntdev_memunmap_pages(struct dev_pagemap *pgmap)
{
	memunmap_pages(pgmap);
}
#else
static inline void *gntdev_memremap_pages(struct dev_pagemap *pgmap, int nid)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void gntdev_memunmap_pages(struct dev_pagemap *pgmap)
{
	WARN_ON_ONCE(1);
}
#endif

/*
 * The architecture: what a PV dom0 needs, and where DMA goes.
 *
 * A PV dom0 exists only on x86.  Its primitives (the p2m's frame bits,
 * page-table entries written by hypercall and named by machine address,
 * the MMU hypercalls) are x86's own.  An Arm dom0 is auto-translated,
 * like an x86 PVH one, so xen_pv_domain() is never true there and the
 * PV paths are never reached; the Arm versions below only let them
 * build, and each fails (refuses, returns an error or a zero address)
 * and warns should it ever run.
 *
 * gntdev_dma_bus_is_machine(): is a device's bus address for a grant
 * mapped into a dom0 page the granter's machine frame, rather than the
 * page's guest-physical address?  In an x86 PV dom0, yes (xen-swiotlb
 * translates through the p2m).  In an x86 PVH dom0, no: Xen's IOMMU
 * tables follow dom0's p2m and devices see guest-physical addresses.
 * On Arm, yes: dom0 is direct-mapped (gfn == mfn for its own RAM), its
 * devices go through xen-swiotlb, and a grant mapping's bus address is
 * the foreign machine frame recorded at map time.  Only where it is
 * false can consecutive guest frames be one DMA segment (the
 * GNTDEV_DMA_FLAG_WC/COHERENT exports); where it is true xen-swiotlb
 * decides what a device can reach.
 */
#ifdef CONFIG_X86
#include <asm/xen/hypercall.h>

static inline bool gntdev_dma_bus_is_machine(void)
{
	return xen_pv_domain();
}

/* PV: does the p2m entry of @pfn name another domain's frame? */
static inline bool gntdev_pv_pfn_foreign(unsigned long pfn)
{
	unsigned long mfn = __pfn_to_mfn(pfn);

	return mfn != INVALID_P2M_ENTRY && (mfn & FOREIGN_FRAME_BIT);
}

/* PV: is @pfn dom0's own RAM (neither foreign, nor MMIO, nor a hole)? */
static inline bool gntdev_pv_pfn_own_ram(unsigned long pfn)
{
	unsigned long mfn = __pfn_to_mfn(pfn);

	return mfn != INVALID_P2M_ENTRY &&
	       !(mfn & (FOREIGN_FRAME_BIT | IDENTITY_FRAME_BIT));
}

/* PV: the machine frame @pfn's p2m entry names. */
static inline unsigned long gntdev_pv_pfn_to_mfn(unsigned long pfn)
{
	return pfn_to_mfn(pfn);
}

/* PV: the machine address of the page-table entry @pte. */
static inline u64 gntdev_pv_pte_maddr(pte_t *pte)
{
	return arbitrary_virt_to_machine(pte).maddr;
}

/* PV: rewrite dom0's own page-table entries (@count of @req). */
static inline int gntdev_pv_mmu_update(struct mmu_update *req,
				       unsigned int count)
{
	return HYPERVISOR_mmu_update(req, count, NULL, DOMID_SELF);
}

/* PV: flush the non-global TLB entries of every vCPU of dom0. */
static inline int gntdev_pv_flush_tlb_all(void)
{
	struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_ALL };

	return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}
#else
static inline bool gntdev_dma_bus_is_machine(void)
{
	return true;
}

static inline bool gntdev_pv_pfn_foreign(unsigned long pfn)
{
	WARN_ON_ONCE(1);
	return true;
}

static inline bool gntdev_pv_pfn_own_ram(unsigned long pfn)
{
	WARN_ON_ONCE(1);
	return false;
}

static inline unsigned long gntdev_pv_pfn_to_mfn(unsigned long pfn)
{
	WARN_ON_ONCE(1);
	return INVALID_P2M_ENTRY;
}

static inline u64 gntdev_pv_pte_maddr(pte_t *pte)
{
	WARN_ON_ONCE(1);
	return 0;
}

static inline int gntdev_pv_mmu_update(struct mmu_update *req,
				       unsigned int count)
{
	WARN_ON_ONCE(1);
	return -EOPNOTSUPP;
}

static inline int gntdev_pv_flush_tlb_all(void)
{
	WARN_ON_ONCE(1);
	return -EOPNOTSUPP;
}
#endif

#endif
