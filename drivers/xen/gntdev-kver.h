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

#endif
