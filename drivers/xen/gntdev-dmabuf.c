// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-dmabuf.c - the export side of the dma-buf ioctls of
 * /dev/xen/gntdev: export of foreign grants (DMABUF_EXP_FROM_REFS, _V2)
 * and EXP_WAIT_RELEASED; the import ioctls are gntdev-dmabuf-imp.c's.
 *
 * Owns the per-file context (struct gntdev_dmabuf_ctx), the export
 * records (struct gdmb_rec), whose lifetimes and lock order are in
 * gntdev-dmabuf-internal.h, the release events read() and poll() report
 * (include/uapi/xen/gntdev.h), and the debugfs listing of live buffers.
 * gdmb_track_lock, a spinlock, protects every record's list linkage,
 * ->ctx and ->released, and each context's event queue.  The buffers
 * themselves are gntdev-dmabuf-exp.c's.  The dma-buf side's module init
 * (the backing stores, before the device exists) and exit go through here;
 * the import device is set up by gntdev_dmabuf_imp_init() once it does.
 */
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <xen/xen.h>

#include "gntdev-dmabuf.h"
#include "gntdev-dmabuf-internal.h"
#include "gntdev-internal.h"
#include "gntdev-kver.h"
#include "gntdev-stats.h"

#define GDMB_FLAGS_KNOWN	(GNTDEV_DMA_FLAG_WC | GNTDEV_DMA_FLAG_COHERENT)

static DEFINE_SPINLOCK(gdmb_track_lock);

/* ---- export records ---- */

struct gdmb_rec *gdmb_rec_alloc(void)
{
	struct gdmb_rec *rec = kzalloc(sizeof(*rec), GFP_KERNEL);

	if (!rec)
		return NULL;
	kref_init(&rec->ref);
	INIT_LIST_HEAD(&rec->node);
	init_waitqueue_head(&rec->wq);
	return rec;
}

static void gdmb_rec_free(struct kref *ref)
{
	kfree(container_of(ref, struct gdmb_rec, ref));
}

void gdmb_rec_put(struct gdmb_rec *rec)
{
	kref_put(&rec->ref, gdmb_rec_free);
}

/* Link @rec on @ctx's list; the list gets its own reference. */
static void gdmb_rec_publish(struct gntdev_dmabuf_ctx *ctx,
			     struct gdmb_rec *rec, unsigned int fd, u64 ino)
{
	kref_get(&rec->ref);
	spin_lock(&gdmb_track_lock);
	rec->fd = fd;
	rec->ino = ino;
	rec->ctx = ctx;
	list_add(&rec->node, &ctx->exports);
	spin_unlock(&gdmb_track_lock);
}

/*
 * Mark @rec released, unlink it and wake its waiters; queue it as a
 * release event if its context reports them.  The context's wait queue
 * is woken under the lock: once it is dropped the context may be gone.
 */
void gdmb_rec_release(struct gdmb_rec *rec)
{
	struct gntdev_dmabuf_ctx *ctx;
	bool put = false;

	spin_lock(&gdmb_track_lock);
	ctx = rec->ctx;
	if (ctx) {
		list_del_init(&rec->node);
		if (ctx->events &&
		    ctx->nreleased < GNTDEV_DMABUF_RELEASE_QUEUE) {
			list_add_tail(&rec->node, &ctx->released);
			ctx->nreleased++;
		} else {
			ctx->lost |= ctx->events;
			rec->ctx = NULL;
			put = true;
		}
		if (ctx->events)
			wake_up_interruptible_poll(&ctx->release_wq,
						   EPOLLIN | EPOLLRDNORM);
	}
	rec->released = true;
	spin_unlock(&gdmb_track_lock);
	wake_up_all(&rec->wq);
	if (put)
		gdmb_rec_put(rec);
}

/* ---- export ---- */

/*
 * Everything about a request that can be judged before its refs.  Each
 * refusal says why under dynamic debug (off by default, so no caller can
 * flood the log): `echo 'module xen_gntdev +p' > .../dynamic_debug/control`.
 */
int gntdev_dmabuf_exp_check(const struct gntdev_dmabuf_exp_req *req)
{
	const char *why = NULL;
	int err = -EINVAL;

	if (req->flags & ~GDMB_FLAGS_KNOWN)
		why = "unknown flag bits";
	else if ((req->flags & GDMB_FLAGS_KNOWN) == GDMB_FLAGS_KNOWN)
		why = "both WC and COHERENT";
	else if (req->domid >= DOMID_FIRST_RESERVED)
		why = "reserved domid";
	else if (!req->count)
		why = "count 0";
	else if (req->count > READ_ONCE(gntdev_limit))
		why = "count beyond the limit parameter";
	else if (req->data_ofs >= PAGE_SIZE)
		why = "data_ofs not inside the first page";
	/*
	 * Where devices see the granter's machine frames (PV, Arm), no dom0
	 * can make foreign frames bus-contiguous.
	 */
	if (!why && req->flags && gntdev_dma_bus_is_machine()) {
		why = "contiguous flags where bus addresses are machine frames";
		err = -EOPNOTSUPP;
	}
	if (!why)
		return 0;
	pr_debug("export refused (%d): %s (flags %#x, domid %u, count %u, data_ofs %u)\n",
		 err, why, req->flags, req->domid, req->count, req->data_ofs);
	return err;
}

/*
 * Map and export a checked request; @refs (kvmalloc()ed, req->count of
 * them) is taken over.  The fd is reserved and the record published, so
 * that EXP_WAIT_RELEASED finds the buffer as soon as userspace has its
 * number, but the fd is installed only by gntdev_dmabuf_exp_commit():
 * no other thread can reach the buffer through the fd table before.
 */
int gntdev_dmabuf_exp(struct gntdev_dmabuf_ctx *ctx,
		      const struct gntdev_dmabuf_exp_req *req, u32 *refs,
		      struct gntdev_dmabuf_new *out)
{
	struct dma_buf *dmabuf;
	struct gdmb_rec *rec;
	int fd;

	dmabuf = gdmb_buf_export(req->domid, req->count, req->data_ofs,
				 req->flags, refs, &rec);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}
	gdmb_rec_publish(ctx, rec, fd, file_inode(dmabuf->file)->i_ino);
	out->dmabuf = dmabuf;
	out->rec = rec;
	out->fd = fd;
	return 0;
}

void gntdev_dmabuf_exp_commit(struct gntdev_dmabuf_new *out)
{
	fd_install(out->fd, out->dmabuf->file);
}

/*
 * The fd number never reached userspace: the buffer goes away, and its
 * record first, unreported (the buffer was never the caller's, and the
 * fd number may be the next export's).
 */
void gntdev_dmabuf_exp_abort(struct gntdev_dmabuf_ctx *ctx,
			     struct gntdev_dmabuf_new *out)
{
	struct gdmb_rec *rec = out->rec;	/* the buffer's reference keeps it */
	bool linked;

	spin_lock(&gdmb_track_lock);
	linked = rec->ctx == ctx;
	if (linked) {
		list_del_init(&rec->node);
		rec->ctx = NULL;
	}
	spin_unlock(&gdmb_track_lock);
	if (linked)
		gdmb_rec_put(rec);
	put_unused_fd(out->fd);
	dma_buf_put(out->dmabuf);
}

/* ---- EXP_WAIT_RELEASED ---- */

/*
 * Wait for the buffer this context exported as @fd.  If the fd number
 * was reused by a later export while an earlier buffer with that number
 * is still alive (its fd closed, an importer holding it), the newest
 * export wins.  A signal ends the wait with -EINTR; the call is not
 * restarted, since a restart would begin the full timeout again.
 */
long gntdev_dmabuf_wait_released(struct gntdev_dmabuf_ctx *ctx, u32 fd,
				 u32 wait_to_ms)
{
	struct gdmb_rec *rec, *found = NULL;
	long left;

	spin_lock(&gdmb_track_lock);
	list_for_each_entry(rec, &ctx->exports, node) {
		if (rec->fd == fd) {
			found = rec;
			kref_get(&found->ref);
			break;
		}
	}
	spin_unlock(&gdmb_track_lock);
	if (!found)
		return -ENOENT;

	gntdev_stat_add(GNTDEV_STAT_DMABUF_WAITERS, 1);
	left = wait_event_interruptible_timeout(found->wq,
						READ_ONCE(found->released),
						msecs_to_jiffies(wait_to_ms));
	gntdev_stat_add(GNTDEV_STAT_DMABUF_WAITERS, -1);
	gdmb_rec_put(found);
	if (left > 0)
		return 0;
	if (left == 0)
		return -ETIMEDOUT;
	return -EINTR;
}

/* ---- release events ---- */

/* Turn @ctx's release events on: the first poll() or read() does. */
static void gdmb_events_on(struct gntdev_dmabuf_ctx *ctx)
{
	if (READ_ONCE(ctx->events))
		return;
	spin_lock(&gdmb_track_lock);
	WRITE_ONCE(ctx->events, true);
	spin_unlock(&gdmb_track_lock);
}

static bool gdmb_events_pending(struct gntdev_dmabuf_ctx *ctx)
{
	bool pending;

	spin_lock(&gdmb_track_lock);
	pending = ctx->lost || !list_empty(&ctx->released);
	spin_unlock(&gdmb_track_lock);
	return pending;
}

__poll_t gntdev_dmabuf_poll(struct gntdev_dmabuf_ctx *ctx, struct file *filp,
			    poll_table *wait)
{
	gdmb_events_on(ctx);
	poll_wait(filp, &ctx->release_wq, wait);
	return gdmb_events_pending(ctx) ? EPOLLIN | EPOLLRDNORM : 0;
}

/*
 * The oldest event into @ev, left queued (a failed copy to userspace
 * loses nothing); false if none.  @rec gets the record to dequeue, NULL
 * for the "lost" marker.
 */
static bool gdmb_event_peek(struct gntdev_dmabuf_ctx *ctx,
			    struct gntdev_dmabuf_release *ev,
			    struct gdmb_rec **rec)
{
	bool found = true;

	memset(ev, 0, sizeof(*ev));
	spin_lock(&gdmb_track_lock);
	*rec = NULL;
	if (ctx->lost) {
		ev->fd = ~0u;
		ev->flags = GNTDEV_DMABUF_RELEASE_LOST;
	} else if (!list_empty(&ctx->released)) {
		*rec = list_first_entry(&ctx->released, struct gdmb_rec, node);
		ev->ino = (*rec)->ino;
		ev->fd = (*rec)->fd;
	} else {
		found = false;
	}
	spin_unlock(&gdmb_track_lock);
	return found;
}

/* Dequeue what gdmb_event_peek() returned; only readers dequeue. */
static void gdmb_event_pop(struct gntdev_dmabuf_ctx *ctx,
			   struct gdmb_rec *rec)
{
	spin_lock(&gdmb_track_lock);
	if (rec) {
		list_del_init(&rec->node);
		rec->ctx = NULL;
		ctx->nreleased--;
	} else {
		ctx->lost = false;
	}
	spin_unlock(&gdmb_track_lock);
	if (rec)
		gdmb_rec_put(rec);
}

ssize_t gntdev_dmabuf_read(struct gntdev_dmabuf_ctx *ctx, char __user *buf,
			   size_t count, bool nonblock)
{
	struct gntdev_dmabuf_release ev;
	struct gdmb_rec *rec;
	size_t done = 0;
	ssize_t ret;

	gdmb_events_on(ctx);
	if (count < sizeof(ev))
		return -EINVAL;
	if (nonblock ? !mutex_trylock(&ctx->read_lock) :
		       mutex_lock_interruptible(&ctx->read_lock))
		return nonblock ? -EAGAIN : -ERESTARTSYS;
	while (!gdmb_events_pending(ctx)) {
		ret = -EAGAIN;
		if (nonblock)
			goto out;
		mutex_unlock(&ctx->read_lock);
		if (wait_event_interruptible(ctx->release_wq,
					     gdmb_events_pending(ctx)))
			return -ERESTARTSYS;
		if (mutex_lock_interruptible(&ctx->read_lock))
			return -ERESTARTSYS;
	}
	while (count - done >= sizeof(ev) && gdmb_event_peek(ctx, &ev, &rec)) {
		if (copy_to_user(buf + done, &ev, sizeof(ev)))
			break;
		gdmb_event_pop(ctx, rec);
		done += sizeof(ev);
	}
	ret = done ? (ssize_t)done : -EFAULT;
out:
	mutex_unlock(&ctx->read_lock);
	return ret;
}

/* ---- the per-file context ---- */

struct gntdev_dmabuf_ctx *gntdev_dmabuf_open(void)
{
	struct gntdev_dmabuf_ctx *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return NULL;
	INIT_LIST_HEAD(&ctx->exports);
	INIT_LIST_HEAD(&ctx->released);
	init_waitqueue_head(&ctx->release_wq);
	mutex_init(&ctx->read_lock);
	mutex_init(&ctx->imp_lock);
	INIT_LIST_HEAD(&ctx->imports);
	return ctx;
}

void gntdev_dmabuf_release(struct gntdev_dmabuf_ctx *ctx)
{
	struct gdmb_rec *rec, *tmp;
	LIST_HEAD(dead);

	spin_lock(&gdmb_track_lock);
	list_for_each_entry_safe(rec, tmp, &ctx->exports, node) {
		rec->ctx = NULL;
		list_move(&rec->node, &dead);
	}
	list_for_each_entry_safe(rec, tmp, &ctx->released, node) {
		rec->ctx = NULL;
		list_move(&rec->node, &dead);
	}
	ctx->nreleased = 0;
	spin_unlock(&gdmb_track_lock);
	/* With rec->ctx NULL, the buffer's release leaves rec->node alone. */
	list_for_each_entry_safe(rec, tmp, &dead, node) {
		list_del_init(&rec->node);
		gdmb_rec_put(rec);
	}
	gntdev_dmabuf_imp_release_all(ctx);
	mutex_destroy(&ctx->read_lock);
	mutex_destroy(&ctx->imp_lock);
	kfree(ctx);
}

/* ---- the debugfs listing ---- */

/*
 * /sys/kernel/debug/xen-gntdev/buffers: one line per live export and
 * import, then the parked pages (docs/dmabuf.md gives the format).
 */
static int gdmb_buffers_show(struct seq_file *m, void *unused)
{
	gdmb_exp_show(m);
	gdmb_imp_show(m);
	seq_printf(m, "parked pages=%lu\n", gdmb_pages_parked());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gdmb_buffers);

/* ---- module init and exit ---- */

/*
 * Before the device exists: nothing can export yet.  The listing is
 * removed with the debugfs directory, after gntdev_dmabuf_exit().
 */
int gntdev_dmabuf_init(void)
{
	debugfs_create_file("buffers", 0400, gntdev_debugfs_dir(), NULL,
			    &gdmb_buffers_fops);
	return gdmb_pages_init();
}

/* No buffer or import is left: each holds a module reference. */
void gntdev_dmabuf_exit(void)
{
	gntdev_dmabuf_imp_exit();
	gdmb_pages_exit();
}
