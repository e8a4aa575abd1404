// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-compat32.c - ioctls from 32-bit (ILP32) processes on a 64-bit
 * kernel.
 *
 * Every gntdev structure has the same layout under ILP32 and LP64 except
 * GRANT_COPY's: its argument is { u32 count; u32 segments; } (8 bytes,
 * so a different ioctl number), and in each 24-byte segment a local side
 * is a 32-bit pointer sharing the 8-byte union with the foreign side.
 * The other ioctls, dma-buf ones included, only need their argument
 * pointer converted.  No state: everything lives for one call.
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/uaccess.h>

#include "gntdev-internal.h"

struct gntdev_grant_copy_segment32 {
	union {
		compat_uptr_t virt;
		struct {
			u32 ref;
			u16 offset;
			u16 domid;
		} foreign;
	} source, dest;
	u16 len;
	u16 flags;
	s16 status;
};

struct ioctl_gntdev_grant_copy32 {
	u32 count;
	compat_uptr_t segments;
};

#define IOCTL_GNTDEV_GRANT_COPY32 \
	_IOC(_IOC_NONE, 'G', 8, sizeof(struct ioctl_gntdev_grant_copy32))

static_assert(sizeof(struct gntdev_grant_copy_segment32) == 24);
static_assert(sizeof(struct ioctl_gntdev_grant_copy32) == 8);

static int gntdev_copy_read32(void __user *cookie, unsigned long i,
			      struct gntdev_grant_copy_segment *seg)
{
	struct gntdev_grant_copy_segment32 __user *segs = cookie;
	struct gntdev_grant_copy_segment32 s;

	if (copy_from_user(&s, &segs[i], sizeof(s)))
		return -EFAULT;
	memset(seg, 0, sizeof(*seg));
	if (s.flags & GNTCOPY_source_gref) {
		seg->source.foreign.ref = s.source.foreign.ref;
		seg->source.foreign.offset = s.source.foreign.offset;
		seg->source.foreign.domid = s.source.foreign.domid;
	} else {
		seg->source.virt = compat_ptr(s.source.virt);
	}
	if (s.flags & GNTCOPY_dest_gref) {
		seg->dest.foreign.ref = s.dest.foreign.ref;
		seg->dest.foreign.offset = s.dest.foreign.offset;
		seg->dest.foreign.domid = s.dest.foreign.domid;
	} else {
		seg->dest.virt = compat_ptr(s.dest.virt);
	}
	seg->len = s.len;
	seg->flags = s.flags;
	return 0;
}

static s16 __user *gntdev_copy_status32(void __user *cookie, unsigned long i)
{
	struct gntdev_grant_copy_segment32 __user *segs = cookie;

	return &segs[i].status;
}

static long gntdev_ioctl_grant_copy32(void __user *arg)
{
	struct ioctl_gntdev_grant_copy32 op;
	struct gntdev_copy_seg_reader rd = {
		.read = gntdev_copy_read32,
		.status = gntdev_copy_status32,
	};

	if (copy_from_user(&op, arg, sizeof(op)))
		return -EFAULT;
	rd.cookie = compat_ptr(op.segments);
	return gntdev_grant_copy(&rd, op.count);
}

long gntdev_compat_ioctl(struct file *filp, unsigned int cmd,
			 unsigned long arg)
{
	switch (cmd) {
	case IOCTL_GNTDEV_GRANT_COPY32:
		return gntdev_ioctl_grant_copy32(compat_ptr(arg));
	case IOCTL_GNTDEV_GRANT_COPY:
		/* The LP64 layout cannot come from a 32-bit process. */
		return -ENOTTY;
	default:
		return gntdev_dispatch(filp, cmd, compat_ptr(arg));
	}
}
