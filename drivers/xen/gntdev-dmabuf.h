/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntdev-dmabuf.h - the dma-buf side of /dev/xen/gntdev, as seen by the
 * core device.
 *
 * The core (gntdev-main.c) owns the file; on open it asks for a per-file
 * dma-buf context and on release hands it back.  Every dma-buf ioctl
 * (numbers 9 to 14) is forwarded unchanged to gntdev_dmabuf_ioctl().
 * Buffers exported from a context may outlive the gntdev file: the
 * context only tracks them for EXP_WAIT_RELEASED.
 */
#ifndef _XEN_GNTDEV_DMABUF_H
#define _XEN_GNTDEV_DMABUF_H

#include <linux/compiler_types.h>

struct file;
struct gntdev_dmabuf_ctx;

struct gntdev_dmabuf_ctx *gntdev_dmabuf_open(struct file *filp);
void gntdev_dmabuf_release(struct gntdev_dmabuf_ctx *ctx);
long gntdev_dmabuf_ioctl(struct gntdev_dmabuf_ctx *ctx, unsigned int cmd,
			 void __user *arg);

#endif
