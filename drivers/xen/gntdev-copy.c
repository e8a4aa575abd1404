// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-copy.c - GRANT_COPY: copies between local user memory and
 * foreign grants, without mapping the grants.
 *
 * Segments are read one at a time (through a reader, so the 32-bit
 * compat layout shares this code), turned into GNTTABOP_copy operations
 * and queued in a batch allocated per call (never on the stack).  A
 * segment whose local side crosses a page boundary becomes two
 * operations.  The user pages of a batch stay pinned until the batch has
 * been executed; then each segment's status is written back.  Nothing
 * outlives the ioctl.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <xen/grant_table.h>
#include <xen/page.h>

#include "gntdev-internal.h"

#define GNTDEV_COPY_OPS		16	/* operations per hypercall batch */

struct gntdev_copy_batch {
	struct gnttab_copy ops[GNTDEV_COPY_OPS];
	struct page *pinned[GNTDEV_COPY_OPS];
	bool dirty[GNTDEV_COPY_OPS];
	unsigned int nr_ops;
	unsigned int nr_pinned;
	/* Segment s of the batch owns ops [seg_op[s], seg_op[s + 1]). */
	unsigned long seg_index[GNTDEV_COPY_OPS];
	unsigned int seg_op[GNTDEV_COPY_OPS + 1];
	unsigned int nr_segs;
};

static void gntdev_copy_unpin(struct gntdev_copy_batch *b)
{
	unsigned int i;

	for (i = 0; i < b->nr_pinned; i++)
		unpin_user_pages_dirty_lock(&b->pinned[i], 1, b->dirty[i]);
	b->nr_pinned = 0;
}

static int gntdev_copy_flush(const struct gntdev_copy_seg_reader *rd,
			     struct gntdev_copy_batch *b)
{
	unsigned int s, i;
	int err = 0;

	if (b->nr_ops)
		gnttab_batch_copy(b->ops, b->nr_ops);
	gntdev_copy_unpin(b);

	b->seg_op[b->nr_segs] = b->nr_ops;
	for (s = 0; s < b->nr_segs; s++) {
		s16 status = GNTST_okay;

		for (i = b->seg_op[s]; i < b->seg_op[s + 1]; i++) {
			if (b->ops[i].status != GNTST_okay) {
				status = b->ops[i].status;
				break;
			}
		}
		if (put_user(status, rd->status(rd->cookie, b->seg_index[s])))
			err = -EFAULT;
	}
	b->nr_ops = 0;
	b->nr_segs = 0;
	return err;
}

static int gntdev_copy_check_grant(u16 offset, u16 domid, u16 len)
{
	if (domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	if (offset >= XEN_PAGE_SIZE || len > XEN_PAGE_SIZE - offset)
		return -EINVAL;
	return 0;
}

/* Is @seg well formed, and its grant sides within their pages? */
static int gntdev_copy_check_seg(const struct gntdev_grant_copy_segment *seg)
{
	bool src_gref = seg->flags & GNTCOPY_source_gref;
	bool dst_gref = seg->flags & GNTCOPY_dest_gref;
	int err;

	if (seg->flags & ~(GNTCOPY_source_gref | GNTCOPY_dest_gref))
		return -EINVAL;
	if (!src_gref && !dst_gref)
		return -EINVAL;
	if (seg->len > XEN_PAGE_SIZE)
		return -EINVAL;
	if (src_gref) {
		err = gntdev_copy_check_grant(seg->source.foreign.offset,
					      seg->source.foreign.domid,
					      seg->len);
		if (err)
			return err;
	}
	if (dst_gref)
		return gntdev_copy_check_grant(seg->dest.foreign.offset,
					       seg->dest.foreign.domid,
					       seg->len);
	return 0;
}

/* One side of @seg is local: one operation per local page, pinned. */
static int gntdev_copy_add_local(struct gntdev_copy_batch *b,
				 const struct gntdev_grant_copy_segment *seg)
{
	bool src_gref = seg->flags & GNTCOPY_source_gref;
	unsigned long virt, done = 0;
	u16 goff;

	virt = (unsigned long)(src_gref ? seg->dest.virt : seg->source.virt);
	goff = src_gref ? seg->source.foreign.offset : seg->dest.foreign.offset;
	while (done < seg->len) {
		unsigned long addr = virt + done;
		unsigned long off = addr & ~XEN_PAGE_MASK;
		unsigned long chunk = min_t(unsigned long, seg->len - done,
					    XEN_PAGE_SIZE - off);
		struct gnttab_copy *op;
		struct page *page;
		int ret;

		if (addr < virt)	/* wrapped */
			return -EFAULT;
		ret = pin_user_pages_fast(addr, 1, src_gref ? FOLL_WRITE : 0,
					  &page);
		if (ret != 1)
			return ret < 0 ? ret : -EFAULT;
		b->pinned[b->nr_pinned] = page;
		b->dirty[b->nr_pinned] = src_gref;
		b->nr_pinned++;

		op = &b->ops[b->nr_ops++];
		memset(op, 0, sizeof(*op));
		if (src_gref) {
			op->source.u.ref = seg->source.foreign.ref;
			op->source.domid = seg->source.foreign.domid;
			op->source.offset = goff + done;
			op->dest.u.gmfn = xen_page_to_gfn(page);
			op->dest.domid = DOMID_SELF;
			op->dest.offset = off;
		} else {
			op->source.u.gmfn = xen_page_to_gfn(page);
			op->source.domid = DOMID_SELF;
			op->source.offset = off;
			op->dest.u.ref = seg->dest.foreign.ref;
			op->dest.domid = seg->dest.foreign.domid;
			op->dest.offset = goff + done;
		}
		op->len = chunk;
		op->flags = seg->flags;
		done += chunk;
	}
	return 0;
}

/* Queue the operations of one segment; the batch has room for two. */
static int gntdev_copy_add(struct gntdev_copy_batch *b, unsigned long index,
			   const struct gntdev_grant_copy_segment *seg)
{
	struct gnttab_copy *op;
	int err;

	err = gntdev_copy_check_seg(seg);
	if (err)
		return err;

	b->seg_index[b->nr_segs] = index;
	b->seg_op[b->nr_segs] = b->nr_ops;
	b->nr_segs++;

	if (!seg->len)
		return 0;
	if (!(seg->flags & GNTCOPY_source_gref) ||
	    !(seg->flags & GNTCOPY_dest_gref))
		return gntdev_copy_add_local(b, seg);

	op = &b->ops[b->nr_ops++];
	op->source.u.ref = seg->source.foreign.ref;
	op->source.domid = seg->source.foreign.domid;
	op->source.offset = seg->source.foreign.offset;
	op->dest.u.ref = seg->dest.foreign.ref;
	op->dest.domid = seg->dest.foreign.domid;
	op->dest.offset = seg->dest.foreign.offset;
	op->len = seg->len;
	op->flags = seg->flags;
	return 0;
}

long gntdev_grant_copy(const struct gntdev_copy_seg_reader *rd,
		       unsigned long count)
{
	struct gntdev_copy_batch *b;
	struct gntdev_grant_copy_segment seg;
	unsigned long i;
	int err = 0;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;

	for (i = 0; i < count; i++) {
		/* Room for one more segment of up to two operations? */
		if (b->nr_ops + 2 > GNTDEV_COPY_OPS ||
		    b->nr_segs + 1 >= GNTDEV_COPY_OPS) {
			err = gntdev_copy_flush(rd, b);
			if (err)
				break;
			if (fatal_signal_pending(current)) {
				err = -EINTR;
				break;
			}
			cond_resched();
		}
		err = rd->read(rd->cookie, i, &seg);
		if (err)
			break;
		err = gntdev_copy_add(b, i, &seg);
		if (err)
			break;	/* the batch is dropped unexecuted */
	}
	if (err)
		gntdev_copy_unpin(b);
	else
		err = gntdev_copy_flush(rd, b);
	kfree(b);
	return err;
}

static int gntdev_copy_read_native(void __user *cookie, unsigned long i,
				   struct gntdev_grant_copy_segment *seg)
{
	struct gntdev_grant_copy_segment __user *segs = cookie;

	if (copy_from_user(seg, &segs[i], sizeof(*seg)))
		return -EFAULT;
	return 0;
}

static s16 __user *gntdev_copy_status_native(void __user *cookie,
					     unsigned long i)
{
	struct gntdev_grant_copy_segment __user *segs = cookie;

	return &segs[i].status;
}

/* GRANT_COPY of @count segments at @segs (the native layout). */
long gntdev_grant_copy_user(struct gntdev_grant_copy_segment __user *segs,
			    u32 count)
{
	struct gntdev_copy_seg_reader rd = {
		.read = gntdev_copy_read_native,
		.status = gntdev_copy_status_native,
		.cookie = segs,
	};

	return gntdev_grant_copy(&rd, count);
}
