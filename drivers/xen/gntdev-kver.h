/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntdev-kver.h - every kernel-version difference xen-gntdev cares
 * about, and nothing else.
 *
 * The rest of the module is written against the helpers below and never
 * tests LINUX_VERSION_CODE itself.  Supported: 6.1 and 6.12 (and, where
 * noted, later kernels).  The file holds no objects, so it has no
 * lifetime rules of its own.
 */
#ifndef _XEN_GNTDEV_KVER_H
#define _XEN_GNTDEV_KVER_H

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/version.h>

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

#endif
