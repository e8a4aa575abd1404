/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xt-exporter-kver.h - the kernel-version differences of the test
 * exporter, and nothing else.  Holds no objects.
 */
#ifndef _XT_EXPORTER_KVER_H
#define _XT_EXPORTER_KVER_H

#include <linux/module.h>
#include <linux/version.h>

/* MODULE_IMPORT_NS() takes a string literal from 6.13 on. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define XT_EXP_IMPORT_NS_DMA_BUF() MODULE_IMPORT_NS("DMA_BUF")
#else
#define XT_EXP_IMPORT_NS_DMA_BUF() MODULE_IMPORT_NS(DMA_BUF)
#endif

#endif
