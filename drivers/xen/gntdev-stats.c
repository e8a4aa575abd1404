// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-stats.c - the leak counters of gntdev-stats.h.
 *
 * Owns one atomic_long_t per counter and the debugfs directory
 * /sys/kernel/debug/xen-gntdev with its read-only "stats" file.  The
 * counters live as long as the module; the debugfs entries are created
 * by gntdev_stats_init() and removed by gntdev_stats_exit().  A debugfs
 * failure is not fatal: the counters still count, nobody can read them.
 * gntdev_stats_mutex orders a read of the file against the changes made
 * under gntdev_stats_lock().
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>

#include "gntdev-stats.h"

static atomic_long_t gntdev_stats[GNTDEV_STAT_NR];
static struct dentry *gntdev_stats_dir;
static DEFINE_MUTEX(gntdev_stats_mutex);

static const char *const gntdev_stat_names[GNTDEV_STAT_NR] = {
	[GNTDEV_STAT_FILES] = "files",
	[GNTDEV_STAT_MAPS] = "maps",
	[GNTDEV_STAT_MAPPED_GRANTS] = "mapped_grants",
	[GNTDEV_STAT_PAGES] = "pages",
	[GNTDEV_STAT_NOTIFY_EVTCHNS] = "notify_evtchns",
	[GNTDEV_STAT_DMABUF_EXPORTS] = "dmabuf_exports",
	[GNTDEV_STAT_DMABUF_GRANTS] = "dmabuf_grants",
	[GNTDEV_STAT_DMABUF_ATTACHMENTS] = "dmabuf_attachments",
	[GNTDEV_STAT_DMABUF_WAITERS] = "dmabuf_waiters",
	[GNTDEV_STAT_DMABUF_PAGES] = "dmabuf_pages",
	[GNTDEV_STAT_DMABUF_IMPORTS] = "dmabuf_imports",
	[GNTDEV_STAT_DMABUF_IMPORTS_DEFERRED] = "dmabuf_imports_deferred",
	[GNTDEV_STAT_DMABUF_IMP_GRANTS] = "dmabuf_imp_grants",
	[GNTDEV_STAT_DMABUF_FRAMES_OUT] = "dmabuf_frames_out",
	[GNTDEV_STAT_DMABUF_POOL] = "dmabuf_pool",
	[GNTDEV_STAT_DMABUF_RANGES] = "dmabuf_ranges",
	[GNTDEV_STAT_DMABUF_RANGE_BYTES] = "dmabuf_range_bytes",
};

void gntdev_stat_add(enum gntdev_stat stat, long delta)
{
	if (stat < GNTDEV_STAT_NR)
		atomic_long_add(delta, &gntdev_stats[stat]);
}

/* The module's debugfs directory, from init to exit (may be an error). */
struct dentry *gntdev_debugfs_dir(void)
{
	return gntdev_stats_dir;
}

void gntdev_stats_lock(void)
{
	mutex_lock(&gntdev_stats_mutex);
}

void gntdev_stats_unlock(void)
{
	mutex_unlock(&gntdev_stats_mutex);
}

static int gntdev_stats_show(struct seq_file *m, void *unused)
{
	unsigned int i;

	mutex_lock(&gntdev_stats_mutex);
	for (i = 0; i < GNTDEV_STAT_NR; i++)
		seq_printf(m, "%s %ld\n", gntdev_stat_names[i],
			   atomic_long_read(&gntdev_stats[i]));
	mutex_unlock(&gntdev_stats_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gntdev_stats);

int gntdev_stats_init(void)
{
	gntdev_stats_dir = debugfs_create_dir("xen-gntdev", NULL);
	debugfs_create_file("stats", 0444, gntdev_stats_dir, NULL,
			    &gntdev_stats_fops);
	return 0;
}

void gntdev_stats_exit(void)
{
	debugfs_remove_recursive(gntdev_stats_dir);
	gntdev_stats_dir = NULL;
}
