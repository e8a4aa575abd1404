/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xt-importer-kver.h - the kernel-version differences of the test
 * importer, and nothing else (the module's one place for them, as
 * drivers/xen/gntdev-kver.h is the driver's).  Holds no objects.
 */
#ifndef _XT_IMPORTER_KVER_H
#define _XT_IMPORTER_KVER_H

#include <linux/dma-buf.h>
#include <linux/module.h>
#include <linux/version.h>

/* MODULE_IMPORT_NS() takes a string literal from 6.13 on. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define XT_IMPORT_NS_DMA_BUF() MODULE_IMPORT_NS("DMA_BUF")
#else
#define XT_IMPORT_NS_DMA_BUF() MODULE_IMPORT_NS(DMA_BUF)
#endif

/* Importers call the _unlocked variants from 6.2 on. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define xt_vmap(b, m)	dma_buf_vmap_unlocked(b, m)
#define xt_vunmap(b, m)	dma_buf_vunmap_unlocked(b, m)
#else
#define xt_vmap(b, m)	dma_buf_vmap(b, m)
#define xt_vunmap(b, m)	dma_buf_vunmap(b, m)
#endif

#endif
