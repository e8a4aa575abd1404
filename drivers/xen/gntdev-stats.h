/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gntdev-stats.h - leak accounting for xen-gntdev.
 *
 * Every object that holds a hypervisor or kernel resource on behalf of
 * userspace or a peer domain bumps one counter when it acquires it and
 * drops it when it gives it back.  The counters are exposed read-only in
 * debugfs as /sys/kernel/debug/xen-gntdev/stats, one "name value" line
 * each, so tests can assert that a run returns every counter to its
 * baseline.  They are statistics, not state: no code path may branch on
 * them.  A change to several counters that must read as one (a pooled
 * frame given back leaves dmabuf_pool and dmabuf_frames_out) is made
 * between gntdev_stats_lock() and gntdev_stats_unlock(), which may
 * sleep: a read of the file sees all of it or none.  Other debugfs
 * files of the module go in gntdev_debugfs_dir() (an error pointer if
 * debugfs failed, which debugfs_create_*() accept).
 */
#ifndef _XEN_GNTDEV_STATS_H
#define _XEN_GNTDEV_STATS_H

struct dentry;

enum gntdev_stat {
	GNTDEV_STAT_FILES,		/* open /dev/xen/gntdev files */
	GNTDEV_STAT_MAPS,		/* live grant-map objects */
	GNTDEV_STAT_MAPPED_GRANTS,	/* grants mapped by the hypervisor */
	GNTDEV_STAT_PAGES,		/* ballooned/unpopulated pages held */
	GNTDEV_STAT_NOTIFY_EVTCHNS,	/* event channels held by unmap notify */
	GNTDEV_STAT_DMABUF_EXPORTS,	/* exported dma-bufs not yet released */
	GNTDEV_STAT_DMABUF_GRANTS,	/* grants mapped for exported dma-bufs */
	GNTDEV_STAT_DMABUF_ATTACHMENTS,	/* live attachments to exported bufs */
	GNTDEV_STAT_DMABUF_WAITERS,	/* tasks inside EXP_WAIT_RELEASED */
	GNTDEV_STAT_DMABUF_PAGES,	/* pages held by exported bufs, parked too */
	GNTDEV_STAT_DMABUF_IMPORTS,	/* imports of local dma-bufs, deferred too */
	GNTDEV_STAT_DMABUF_IMPORTS_DEFERRED, /* released, still mapped by peer */
	GNTDEV_STAT_DMABUF_IMP_GRANTS,	/* grant refs held by imports */
	GNTDEV_STAT_DMABUF_FRAMES_OUT,	/* PVH frames handed over to Xen */
	GNTDEV_STAT_DMABUF_POOL,	/* of those, pooled for the next export */
	GNTDEV_STAT_DMABUF_RANGES,	/* contiguous holes held by buffers */
	GNTDEV_STAT_DMABUF_RANGE_BYTES,	/* their size */
	GNTDEV_STAT_NR
};

void gntdev_stat_add(enum gntdev_stat stat, long delta);
struct dentry *gntdev_debugfs_dir(void);
void gntdev_stats_lock(void);
void gntdev_stats_unlock(void);
int gntdev_stats_init(void);
void gntdev_stats_exit(void);

#endif
