// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-notify.c - SET_UNMAP_NOTIFY: what a range does for its peer
 * when it goes away.
 *
 * A range carries at most one notification (struct gntdev_notify),
 * protected by range->lock.  With UNMAP_NOTIFY_SEND_EVENT it holds a
 * reference on the event channel (evtchn_get()); the reference is
 * dropped when the notification is replaced or fired.  The byte is
 * cleared when the slot holding it is unmapped (PV: at munmap() of that
 * page; PVH: when the range is freed), always before the event, which is
 * sent when the range is freed.
 */
#include <linux/mm.h>
#include <xen/events.h>

#include "gntdev-internal.h"
#include "gntdev-stats.h"

#define GNTDEV_NOTIFY_ALL (UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT)

long gntdev_ioctl_set_unmap_notify(struct gntdev_file *gf,
				   const struct ioctl_gntdev_unmap_notify *op)
{
	struct gntdev_range *range;
	struct gntdev_notify old;
	long err = 0;

	if (op->action & ~GNTDEV_NOTIFY_ALL)
		return -EINVAL;

	mutex_lock(&gf->lock);
	range = gntdev_range_find_offset(gf, op->index >> PAGE_SHIFT);
	if (range)
		gntdev_range_get(range);
	mutex_unlock(&gf->lock);
	if (!range)
		return -ENOENT;

	if ((op->action & UNMAP_NOTIFY_SEND_EVENT) &&
	    evtchn_get(op->event_channel_port)) {
		err = -EINVAL;
		goto out_put;
	}

	mutex_lock(&range->lock);
	if ((op->action & UNMAP_NOTIFY_CLEAR_BYTE) && range->mmapped &&
	    range->readonly) {
		mutex_unlock(&range->lock);
		if (op->action & UNMAP_NOTIFY_SEND_EVENT)
			evtchn_put(op->event_channel_port);
		err = -EINVAL;
		goto out_put;
	}
	old = range->notify;
	range->notify.action = op->action;
	range->notify.offset = op->index - ((u64)range->pgoff << PAGE_SHIFT);
	range->notify.port = op->event_channel_port;
	mutex_unlock(&range->lock);

	if (op->action & UNMAP_NOTIFY_SEND_EVENT)
		gntdev_stat_add(GNTDEV_STAT_NOTIFY_EVTCHNS, 1);
	if (old.action & UNMAP_NOTIFY_SEND_EVENT) {
		evtchn_put(old.port);
		gntdev_stat_add(GNTDEV_STAT_NOTIFY_EVTCHNS, -1);
	}
out_put:
	gntdev_range_put(range);
	return err;
}

/*
 * Caller holds range->lock and is about to unmap slots [@first, @first +
 * @nr).  If the notification byte lies there and is still reachable
 * through a writable kernel mapping of the grant, clear it (once).
 */
void gntdev_notify_clear_byte(struct gntdev_range *range, unsigned int first,
			      unsigned int nr)
{
	struct gntdev_notify *n = &range->notify;
	unsigned long slot = n->offset >> PAGE_SHIFT;
	struct gntdev_slot *s;
	u8 *kaddr;

	if (!(n->action & UNMAP_NOTIFY_CLEAR_BYTE) || !range->slots)
		return;
	if (slot < first || slot - first >= nr)
		return;
	n->action &= ~UNMAP_NOTIFY_CLEAR_BYTE;

	s = &range->slots[slot];
	if (range->readonly)
		return;
	/* The kernel address of the page shows the grant while it is mapped. */
	if (xen_pv_domain() ? s->khandle == INVALID_GRANT_HANDLE :
			      s->uhandle == INVALID_GRANT_HANDLE)
		return;
	kaddr = page_address(range->pages[slot]);
	kaddr[n->offset & ~PAGE_MASK] = 0;
}

/* The range is being freed: send the event and drop the channel. */
void gntdev_notify_fire(struct gntdev_range *range)
{
	struct gntdev_notify *n = &range->notify;

	if (n->action & UNMAP_NOTIFY_SEND_EVENT) {
		notify_remote_via_evtchn(n->port);
		evtchn_put(n->port);
		gntdev_stat_add(GNTDEV_STAT_NOTIFY_EVTCHNS, -1);
	}
	n->action = 0;
}
