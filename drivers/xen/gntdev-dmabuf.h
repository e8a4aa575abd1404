/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntdev-dmabuf.h - the dma-buf side of /dev/xen/gntdev, as the command
 * switch of gntdev-main.c sees it.
 *
 * gntdev-main.c owns the file; on open it asks for a per-file dma-buf
 * context and on release hands it back.  It copies each dma-buf ioctl's
 * argument in, checks an export request, copies its refs in and calls
 * the worker, which never touches userspace.  An export returns the new
 * buffer with its fd number reserved but not installed: the caller
 * writes the number to userspace, then commits (installs the fd) or
 * aborts (the buffer goes away).  Buffers may outlive the gntdev file:
 * the context only tracks them for EXP_WAIT_RELEASED and for the
 * release events poll() and read() of the file report.  An import works
 * the same way round: the caller copies its refs out, or undoes it.
 */
#ifndef _XEN_GNTDEV_DMABUF_H
#define _XEN_GNTDEV_DMABUF_H

#include <linux/poll.h>
#include <linux/types.h>

struct device;
struct dma_buf;
struct gdmb_imp;
struct gdmb_rec;
struct gntdev_dmabuf_ctx;

/* EXP_FROM_REFS and EXP_FROM_REFS_V2, without the refs. */
struct gntdev_dmabuf_exp_req {
	u32 flags;
	u32 count;
	u32 domid;
	u32 data_ofs;			/* 0 for EXP_FROM_REFS */
};

/* An exported buffer whose fd is reserved, not yet installed. */
struct gntdev_dmabuf_new {
	struct dma_buf *dmabuf;
	struct gdmb_rec *rec;		/* its export record */
	int fd;
};

/* IMP_TO_REFS and IMP_TO_REFS_V2, without the refs. */
struct gntdev_dmabuf_imp_req {
	u32 fd;
	u32 count;
	u32 domid;
	bool v2;			/* the data may start inside page 0 */
};

struct gntdev_dmabuf_ctx *gntdev_dmabuf_open(void);
void gntdev_dmabuf_release(struct gntdev_dmabuf_ctx *ctx);

int gntdev_dmabuf_exp_check(const struct gntdev_dmabuf_exp_req *req);
int gntdev_dmabuf_exp(struct gntdev_dmabuf_ctx *ctx,
		      const struct gntdev_dmabuf_exp_req *req, u32 *refs,
		      struct gntdev_dmabuf_new *out);
void gntdev_dmabuf_exp_commit(struct gntdev_dmabuf_new *out);
void gntdev_dmabuf_exp_abort(struct gntdev_dmabuf_ctx *ctx,
			     struct gntdev_dmabuf_new *out);
long gntdev_dmabuf_wait_released(struct gntdev_dmabuf_ctx *ctx, u32 fd,
				 u32 wait_to_ms);
__poll_t gntdev_dmabuf_poll(struct gntdev_dmabuf_ctx *ctx, struct file *filp,
			    poll_table *wait);
ssize_t gntdev_dmabuf_read(struct gntdev_dmabuf_ctx *ctx, char __user *buf,
			   size_t count, bool nonblock);

int gntdev_dmabuf_init(void);
void gntdev_dmabuf_exit(void);
int gntdev_dmabuf_imp_init(struct device *dev);
int gntdev_dmabuf_imp_check(const struct gntdev_dmabuf_imp_req *req);
int gntdev_dmabuf_imp(const struct gntdev_dmabuf_imp_req *req, u32 *refs,
		      u32 *data_ofs, struct gdmb_imp **impp);
void gntdev_dmabuf_imp_commit(struct gntdev_dmabuf_ctx *ctx,
			      struct gdmb_imp *imp);
void gntdev_dmabuf_imp_undo(struct gdmb_imp *imp);
long gntdev_dmabuf_imp_release(struct gntdev_dmabuf_ctx *ctx, u32 fd);

#endif
