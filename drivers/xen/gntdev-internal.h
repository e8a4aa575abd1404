/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntdev-internal.h - objects shared by the files of xen-gntdev.
 *
 * Two objects carry the classic grant-mapping ABI:
 *
 * struct gntdev_file - one per open() of /dev/xen/gntdev, stored in
 *   file->private_data.  Created by gntdev_open(), freed by
 *   gntdev_release(); by then no VMA of the file exists (each VMA pins
 *   the struct file).  @lock protects the range list and the grant
 *   accounting.
 *
 * struct gntdev_range - one per successful MAP_GRANT_REF: a window of
 *   @count pages at page offset @pgoff of the file, naming @count
 *   (domid, ref) pairs.  Reference counted: the file's list holds one
 *   reference from MAP_GRANT_REF until UNMAP_GRANT_REF or release, and
 *   every VMA (including the pieces a split creates) holds one.  When the
 *   last reference goes, every slot still mapped is unmapped, the unmap
 *   notification fires, and the range is freed (gntdev_range_put()),
 *   asynchronously: the unmap waits for no backing page held elsewhere,
 *   it is retried until the page is free, and a pending unmap holds a
 *   module reference (gntdev-map.c).
 *
 *   A range is mmap()ed at most once in its life.  Its mapping state
 *   (@pages, @slots, scratch arrays) is allocated with the range and
 *   lives until the range is freed; mmap() maps every grant.  @lock (a mutex)
 *   protects the mapping state and the notification, and is taken by the
 *   PV MMU notifier, so nothing that may re-enter the notifier of the
 *   same range runs under it.
 *
 *   Each slot records the handle of each hypervisor mapping it holds (a
 *   user-PTE mapping and a kernel mapping in a PV domain, one mapping in
 *   an auto-translated one), so that exactly the successful mappings are
 *   ever unmapped (XSA-361).  A slot is recorded as mapped only when the
 *   hypervisor reported GNTST_okay and a valid handle for it.
 *
 *   MAP_GRANT_REF: gntdev_range_create() returns the range with two
 *   references, the list's and the caller's; the caller drops its own
 *   when done with the range (a concurrent UNMAP_GRANT_REF may drop the
 *   list's at any time once gf->lock is released).
 *
 *   @mm is the address space of the one VMA mmap() created (set at
 *   mmap(), compared only, never dereferenced).  A VMA copied into
 *   another mm (fork() after MADV_DOFORK) gets no reference and no
 *   mapping: ->open marks it VM_WIPEONFORK before dup_mmap copies PTEs.
 */
#ifndef _XEN_GNTDEV_INTERNAL_H
#define _XEN_GNTDEV_INTERNAL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <xen/grant_table.h>
#include <xen/interface/event_channel.h>
#include <xen/xen.h>

#include "gntdev-grant.h"
/* Our UAPI (not the kernel's copy): the same guard, a superset. */
#include "../../include/uapi/xen/gntdev.h"

struct gntdev_dmabuf_ctx;

/* Module parameter "limit": the most grants one call may name. */
extern unsigned int gntdev_limit;

/*
 * The largest "limit" accepted (review S4): every per-call array has at
 * most one grant operation per grant, and none may exceed what
 * kvmalloc() accepts (INT_MAX bytes; beyond, it WARNs and fails).
 */
#define GNTDEV_OP_SIZE_MAX \
	(sizeof(struct gnttab_map_grant_ref) > \
	 sizeof(struct gnttab_unmap_grant_ref) ? \
	 sizeof(struct gnttab_map_grant_ref) : \
	 sizeof(struct gnttab_unmap_grant_ref))
#define GNTDEV_LIMIT_MAX	((unsigned int)(INT_MAX / GNTDEV_OP_SIZE_MAX))

/*
 * Take @nr more units of a global cap: *@held counts what is taken, @max
 * (read once) bounds it.  False, and nothing taken, if it would exceed
 * @max; the caller gives back with atomic_long_sub().
 */
static inline bool gntdev_cap_take(atomic_long_t *held, unsigned int nr,
				   unsigned int max)
{
	if (atomic_long_add_return(nr, held) <= (long)max)
		return true;
	atomic_long_sub(nr, held);
	return false;
}

struct gntdev_file {
	struct mutex lock;		/* the fields below */
	struct list_head ranges;	/* sorted by @pgoff, no overlap */
	unsigned long nr_grants;	/* sum of listed ranges' @count */
	unsigned int max_grants;	/* SET_MAX_GRANTS bound, 0 = none */
	struct gntdev_dmabuf_ctx *dmabuf;
};

/* Unmap notification armed by SET_UNMAP_NOTIFY. */
struct gntdev_notify {
	u32 action;			/* UNMAP_NOTIFY_* bits, 0 = none */
	u64 offset;			/* byte offset of the byte in the range */
	evtchn_port_t port;		/* held with evtchn_get() if SEND_EVENT */
};

struct gntdev_slot {
	u64 pte_maddr;			/* PV: machine address of the user PTE */
	grant_handle_t uhandle;		/* user (PV) or only (PVH) mapping */
	grant_handle_t khandle;		/* PV kernel mapping of @pages[i] */
	bool leaked;			/* PV: user unmap refused, page kept */
	bool refill;			/* PV: user PTE dropped, refilled on fault */
};

struct gntdev_range {
	refcount_t users;
	struct list_head node;		/* in gntdev_file.ranges while listed */
	unsigned long pgoff;
	unsigned int count;
	struct ioctl_gntdev_grant_ref *grants;

	struct mutex lock;		/* mapping state and @notify */
	bool mmapped;			/* claimed by mmap(); stays once mapped */
	bool readonly;
	bool notifier_live;		/* PV: @notifier is registered */
	unsigned long vm_start;		/* user address of slot 0 */
	struct mm_struct *mm;		/* mm of the mmap()ed VMA, compare only */
	struct mmu_interval_notifier notifier;
	struct page **pages;		/* @count backing pages, or NULL */
	struct gntdev_slot *slots;
	struct gntdev_notify notify;

	/* Scratch for mapping, preallocated with the range. */
	struct gnttab_map_grant_ref *map_ops;
	struct gnttab_map_grant_ref *kmap_ops;	/* PV only */

	/*
	 * Scratch for unmapping, preallocated: the notifier cannot allocate.
	 * @unmap_ops: the PV notifier's user halves, or the kernel-side
	 * mappings (PV kernel halves, PVH mappings) of the final unmap or
	 * of the mmap() error path.
	 */
	struct gnttab_unmap_grant_ref *unmap_ops;
	struct page **unmap_pages;
	struct gntdev_unmap_async unmap;	/* the final unmap */
};

/* gntdev-map.c */
struct gntdev_range *gntdev_range_create(struct gntdev_file *gf,
					 struct ioctl_gntdev_grant_ref *grants,
					 unsigned int count);
void gntdev_range_get(struct gntdev_range *range);
void gntdev_range_put(struct gntdev_range *range);
struct gntdev_range *gntdev_range_find(struct gntdev_file *gf,
				       unsigned long pgoff,
				       unsigned int count);
struct gntdev_range *gntdev_range_find_offset(struct gntdev_file *gf,
					      unsigned long pgoff);
bool gntdev_range_unlist(struct gntdev_file *gf, struct gntdev_range *range);
int gntdev_range_map(struct gntdev_range *range);
void gntdev_range_unmap_now(struct gntdev_range *range);
void gntdev_range_unmap_user(struct gntdev_range *range, unsigned int first,
			     unsigned int nr, bool gone);
vm_fault_t gntdev_range_refill(struct gntdev_range *range, unsigned int idx,
			       bool writable);

/*
 * Does invalidation @r take the mapping away for good?  Only
 * MMU_NOTIFY_UNMAP (munmap(), exit's unmap_vmas(), mremap()'s move of the
 * page tables, the OOM reaper) and MMU_NOTIFY_RELEASE (exit, before
 * that) do; after them the page tables may be freed.  Every other kind
 * (CLEAR, PROTECTION_VMA, PROTECTION_PAGE, SOFT_DIRTY, MIGRATE,
 * EXCLUSIVE, in 6.1 and 6.12 alike) leaves the mapping in place; some
 * are even announced for ranges nothing is done to (the huge-PMD split
 * check of every VMA split, clear_refs and PAGEMAP_SCAN over the whole
 * address space).  See docs/design.md for the table.
 */
static inline bool gntdev_mn_removes(const struct mmu_notifier_range *r)
{
	return r->event == MMU_NOTIFY_UNMAP || r->event == MMU_NOTIFY_RELEASE;
}

/* gntdev-mmap.c */
int gntdev_mmap(struct file *filp, struct vm_area_struct *vma);
int gntdev_find_vaddr(struct gntdev_file *gf, unsigned long vaddr,
		      u64 *offset, u32 *count);

/* gntdev-notify.c */
long gntdev_ioctl_set_unmap_notify(struct gntdev_file *gf,
				   const struct ioctl_gntdev_unmap_notify *op);
void gntdev_notify_clear_byte(struct gntdev_range *range, unsigned int first,
			      unsigned int nr);
void gntdev_notify_fire(struct gntdev_range *range);

/* gntdev-copy.c */
struct gntdev_copy_seg_reader {
	/* Fetch segment @i into @seg; local pointers converted. */
	int (*read)(void __user *cookie, unsigned long i,
		    struct gntdev_grant_copy_segment *seg);
	/* Where segment @i's status is written back. */
	s16 __user *(*status)(void __user *cookie, unsigned long i);
	void __user *cookie;		/* the user's segment array */
};

long gntdev_grant_copy(const struct gntdev_copy_seg_reader *rd,
		       unsigned long count);
long gntdev_grant_copy_user(struct gntdev_grant_copy_segment __user *segs,
			    u32 count);

/* gntdev-compat32.c, built with CONFIG_COMPAT only */
#ifdef CONFIG_COMPAT
long gntdev_compat_ioctl(struct file *filp, unsigned int cmd,
			 unsigned long arg);
#else
#define gntdev_compat_ioctl NULL
#endif

/* gntdev-main.c */
long gntdev_dispatch(struct file *filp, unsigned int cmd, void __user *argp);

#endif
