/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * xt-exporter.h - ABI of /dev/xt-exporter, a test-only dma-buf exporter
 * used by tests/dom0/dmabuf-import.c for what no stock exporter makes: a
 * buffer whose data starts inside its first page.
 *
 * CREATE: allocate @npages zeroed pages of dom0 RAM and export them as a
 * dma-buf (fd in @fd, O_RDWR | O_CLOEXEC) of @npages * 4096 - @data_ofs
 * bytes whose sg table starts @data_ofs bytes into the first page.  mmap
 * of the misc fd (not the dma-buf fd, which the dma-buf core cuts to the
 * size rounded down) maps the whole pages of the last buffer created,
 * offset 0 = the first page's start.  The buffer lives until its last
 * reference (fd, mmap, importer, the misc file) goes.
 *
 * With XT_EXP_OWN_DMA in @flags the buffer maps its sg tables for the
 * exporter's own misc device (64-bit mask, the platform's DMA path:
 * xen-swiotlb in a PV dom0) instead of the importer's, as an exporter
 * that hands out DMA addresses of its own would.
 */
#define XT_EXP_OWN_DMA	1u
#ifndef XT_EXPORTER_H
#define XT_EXPORTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

struct xt_exp_create {
	__u32 npages;		/* IN: 1 .. 1024 */
	__u32 data_ofs;		/* IN: < 4096 */
	__s32 fd;		/* OUT */
	__u32 flags;		/* IN: XT_EXP_* */
};

#define XT_EXP_CREATE	_IOWR('X', 0x40, struct xt_exp_create)

#endif
