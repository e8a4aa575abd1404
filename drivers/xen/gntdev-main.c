// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-main.c - the xen-gntdev module: /dev/xen/gntdev, its per-open
 * state and the ioctl dispatch.
 *
 * Owns the misc device (registered from module init to module exit) and
 * its "features" sysfs attribute, the module parameter "limit", and
 * struct gntdev_file: allocated by open(),
 * freed by release() after every range still listed has been unlisted
 * and put (ranges still mmap()ed elsewhere cannot exist then: each VMA
 * pins the file).  The per-file dma-buf context is created on open and
 * handed back on release; poll() and read() go to it (release events).
 *
 * gntdev_dispatch() is the one switch naming every command.  Each case
 * calls a gntdev_ioctl_*() function that copies its argument in once
 * (arrays of refs included), hands kernel structures to a worker that
 * never touches userspace, and writes the results back.  The exception
 * is GRANT_COPY, whose segments name user memory by design (gntdev-copy.c).
 */
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <xen/xen.h>

#include "gntdev-kver.h"
#include "gntdev-dmabuf.h"
#include "gntdev-internal.h"
#include "gntdev-stats.h"

unsigned int gntdev_limit = 65536;

/* A limit above GNTDEV_LIMIT_MAX is refused (EINVAL), the old one stays. */
static int gntdev_limit_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, GNTDEV_LIMIT_MAX);
}

static const struct kernel_param_ops gntdev_limit_ops = {
	.set = gntdev_limit_set,
	.get = param_get_uint,
};

module_param_cb(limit, &gntdev_limit_ops, &gntdev_limit, 0644);
MODULE_PARM_DESC(limit,
		 "Most grants one ioctl may name (MAP_GRANT_REF, dma-buf)");

static int gntdev_open(struct inode *inode, struct file *filp)
{
	struct gntdev_file *gf;
	struct gntdev_dmabuf_ctx *ctx;

	gf = kzalloc(sizeof(*gf), GFP_KERNEL);
	if (!gf)
		return -ENOMEM;
	mutex_init(&gf->lock);
	INIT_LIST_HEAD(&gf->ranges);

	ctx = gntdev_dmabuf_open();
	if (!ctx) {
		kfree(gf);
		return -ENOMEM;
	}
	gf->dmabuf = ctx;
	filp->private_data = gf;
	gntdev_stat_add(GNTDEV_STAT_FILES, 1);
	return nonseekable_open(inode, filp);
}

static int gntdev_release(struct inode *inode, struct file *filp)
{
	struct gntdev_file *gf = filp->private_data;
	struct gntdev_range *range, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&gf->lock);
	list_for_each_entry_safe(range, tmp, &gf->ranges, node) {
		gntdev_range_unlist(gf, range);
		list_add_tail(&range->node, &dead);
	}
	mutex_unlock(&gf->lock);

	/* Nobody else can reach these ranges any more. */
	list_for_each_entry_safe(range, tmp, &dead, node) {
		list_del_init(&range->node);
		gntdev_range_put(range);
	}

	gntdev_dmabuf_release(gf->dmabuf);
	kfree(gf);
	gntdev_stat_add(GNTDEV_STAT_FILES, -1);
	return 0;
}

/*
 * @count elements of @size at @src, in a kvmalloc()ed copy (kvfree());
 * the caller has bounded @count by the "limit" parameter.
 */
static void *gntdev_copy_array(const void __user *src, u32 count, size_t size)
{
	return vmemdup_user(src, array_size(count, size));
}

static long gntdev_ioctl_map(struct gntdev_file *gf,
			     struct ioctl_gntdev_map_grant_ref __user *u)
{
	struct ioctl_gntdev_grant_ref *grants;
	struct gntdev_range *range;
	long ret = 0;
	u32 count;
	u64 index;
	bool listed;

	if (get_user(count, &u->count))
		return -EFAULT;
	if (!count || count > READ_ONCE(gntdev_limit))
		return -EINVAL;
	grants = gntdev_copy_array(u->refs, count, sizeof(*grants));
	if (IS_ERR(grants))
		return PTR_ERR(grants);
	/* Two references: the list's and ours (UNMAP may drop the list's). */
	range = gntdev_range_create(gf, grants, count);
	if (IS_ERR(range))
		return PTR_ERR(range);

	index = (u64)range->pgoff << PAGE_SHIFT;
	if (put_user(index, &u->index)) {
		mutex_lock(&gf->lock);
		listed = gntdev_range_unlist(gf, range);
		mutex_unlock(&gf->lock);
		if (listed)
			gntdev_range_put(range);
		ret = -EFAULT;
	}
	gntdev_range_put(range);
	return ret;
}

static long gntdev_ioctl_unmap(struct gntdev_file *gf,
			       struct ioctl_gntdev_unmap_grant_ref __user *u)
{
	struct ioctl_gntdev_unmap_grant_ref op;
	struct gntdev_range *range = NULL;

	if (copy_from_user(&op, u, sizeof(op)))
		return -EFAULT;
	if (op.index & ~PAGE_MASK)
		return -ENOENT;

	mutex_lock(&gf->lock);
	range = gntdev_range_find(gf, op.index >> PAGE_SHIFT, op.count);
	if (range)
		gntdev_range_unlist(gf, range);
	mutex_unlock(&gf->lock);
	if (!range)
		return -ENOENT;
	gntdev_range_put(range);
	return 0;
}

static long gntdev_ioctl_get_offset(struct gntdev_file *gf,
				    struct ioctl_gntdev_get_offset_for_vaddr __user *u)
{
	struct ioctl_gntdev_get_offset_for_vaddr op;
	int err;

	if (copy_from_user(&op, u, sizeof(op)))
		return -EFAULT;
	err = gntdev_find_vaddr(gf, op.vaddr, &op.offset, &op.count);
	if (err)
		return err;
	if (copy_to_user(u, &op, sizeof(op)))
		return -EFAULT;
	return 0;
}

static long gntdev_ioctl_set_max(struct gntdev_file *gf,
				 struct ioctl_gntdev_set_max_grants __user *u)
{
	struct ioctl_gntdev_set_max_grants op;

	if (copy_from_user(&op, u, sizeof(op)))
		return -EFAULT;
	if (!op.count || op.count > READ_ONCE(gntdev_limit))
		return -EINVAL;
	mutex_lock(&gf->lock);
	gf->max_grants = op.count;
	mutex_unlock(&gf->lock);
	return 0;
}

static long gntdev_ioctl_notify(struct gntdev_file *gf,
				struct ioctl_gntdev_unmap_notify __user *u)
{
	struct ioctl_gntdev_unmap_notify op;

	if (copy_from_user(&op, u, sizeof(op)))
		return -EFAULT;
	return gntdev_ioctl_set_unmap_notify(gf, &op);
}

static long gntdev_ioctl_grant_copy(struct ioctl_gntdev_grant_copy __user *u)
{
	struct ioctl_gntdev_grant_copy op;

	if (copy_from_user(&op, u, sizeof(op)))
		return -EFAULT;
	return gntdev_grant_copy_user(op.segments, op.count);
}

/*
 * EXP_FROM_REFS and _V2: the request is checked before its refs are
 * copied in, and the fd number is written back before the fd is
 * installed (gntdev-dmabuf.h).
 */
static long gntdev_ioctl_dmabuf_exp(struct gntdev_file *gf,
				    const struct gntdev_dmabuf_exp_req *req,
				    const u32 __user *urefs, u32 __user *ufd)
{
	struct gntdev_dmabuf_new new;
	u32 *refs;
	int err;

	err = gntdev_dmabuf_exp_check(req);
	if (err)
		return err;
	refs = gntdev_copy_array(urefs, req->count, sizeof(*refs));
	if (IS_ERR(refs))
		return PTR_ERR(refs);
	err = gntdev_dmabuf_exp(gf->dmabuf, req, refs, &new);
	if (err)
		return err;
	if (put_user((u32)new.fd, ufd)) {
		gntdev_dmabuf_exp_abort(gf->dmabuf, &new);
		return -EFAULT;
	}
	gntdev_dmabuf_exp_commit(&new);
	return 0;
}

static long gntdev_ioctl_dmabuf_exp_v1(struct gntdev_file *gf,
				       struct ioctl_gntdev_dmabuf_exp_from_refs __user *u)
{
	struct ioctl_gntdev_dmabuf_exp_from_refs op;
	struct gntdev_dmabuf_exp_req req;

	if (copy_from_user(&op, u, offsetof(typeof(op), refs)))
		return -EFAULT;
	req = (struct gntdev_dmabuf_exp_req) {
		.flags = op.flags, .count = op.count, .domid = op.domid,
	};
	return gntdev_ioctl_dmabuf_exp(gf, &req, u->refs, &u->fd);
}

static long gntdev_ioctl_dmabuf_exp_v2(struct gntdev_file *gf,
				       struct ioctl_gntdev_dmabuf_exp_from_refs_v2 __user *u)
{
	struct ioctl_gntdev_dmabuf_exp_from_refs_v2 op;
	struct gntdev_dmabuf_exp_req req;

	if (copy_from_user(&op, u, offsetof(typeof(op), refs)))
		return -EFAULT;
	req = (struct gntdev_dmabuf_exp_req) {
		.flags = op.flags, .count = op.count, .domid = op.domid,
		.data_ofs = op.data_ofs,
	};
	return gntdev_ioctl_dmabuf_exp(gf, &req, u->refs, &u->fd);
}

static long gntdev_ioctl_dmabuf_wait(struct gntdev_file *gf,
				     struct ioctl_gntdev_dmabuf_exp_wait_released __user *u)
{
	struct ioctl_gntdev_dmabuf_exp_wait_released op;

	if (copy_from_user(&op, u, sizeof(op)))
		return -EFAULT;
	return gntdev_dmabuf_wait_released(gf->dmabuf, op.fd, op.wait_to_ms);
}

/*
 * IMP_TO_REFS and _V2: the refs (and V2's data offset) are written back
 * once the grants exist, and only then is the import the file's (an
 * IMP_RELEASE can find it); if the copy fails the import is undone, so
 * nothing stays granted that userspace does not know of.
 */
static long gntdev_ioctl_dmabuf_imp(struct gntdev_file *gf,
				    const struct gntdev_dmabuf_imp_req *req,
				    u32 __user *urefs, u32 __user *udata_ofs)
{
	struct gdmb_imp *imp;
	u32 *refs, data_ofs = 0;
	int err;

	err = gntdev_dmabuf_imp_check(req);
	if (err)
		return err;
	refs = kvcalloc(req->count, sizeof(*refs), GFP_KERNEL);
	if (!refs)
		return -ENOMEM;
	err = gntdev_dmabuf_imp(req, refs, &data_ofs, &imp);
	if (err)
		goto out;
	if ((udata_ofs && put_user(data_ofs, udata_ofs)) ||
	    copy_to_user(urefs, refs, array_size(req->count, sizeof(*refs)))) {
		gntdev_dmabuf_imp_undo(imp);
		err = -EFAULT;
	} else {
		gntdev_dmabuf_imp_commit(gf->dmabuf, imp);
	}
out:
	kvfree(refs);
	return err;
}

/*
 * V1's reserved field is not checked: Debian's libxengnttab leaves it
 * uninitialised (malloc()), and it must keep working.
 */
static long gntdev_ioctl_dmabuf_imp_v1(struct gntdev_file *gf,
				       struct ioctl_gntdev_dmabuf_imp_to_refs __user *u)
{
	struct ioctl_gntdev_dmabuf_imp_to_refs op;
	struct gntdev_dmabuf_imp_req req;

	if (copy_from_user(&op, u, offsetof(typeof(op), refs)))
		return -EFAULT;
	req = (struct gntdev_dmabuf_imp_req) {
		.fd = op.fd, .count = op.count, .domid = op.domid,
	};
	return gntdev_ioctl_dmabuf_imp(gf, &req, u->refs, NULL);
}

static long gntdev_ioctl_dmabuf_imp_v2(struct gntdev_file *gf,
				       struct ioctl_gntdev_dmabuf_imp_to_refs_v2 __user *u)
{
	struct ioctl_gntdev_dmabuf_imp_to_refs_v2 op;
	struct gntdev_dmabuf_imp_req req;

	if (copy_from_user(&op, u, offsetof(typeof(op), data_ofs)))
		return -EFAULT;
	if (op.reserved)
		return -EINVAL;
	req = (struct gntdev_dmabuf_imp_req) {
		.fd = op.fd, .count = op.count, .domid = op.domid, .v2 = true,
	};
	return gntdev_ioctl_dmabuf_imp(gf, &req, u->refs, &u->data_ofs);
}

/* As for V1, reserved is not checked (libxengnttab leaves it unset). */
static long gntdev_ioctl_dmabuf_imp_release(struct gntdev_file *gf,
					    struct ioctl_gntdev_dmabuf_imp_release __user *u)
{
	struct ioctl_gntdev_dmabuf_imp_release op;

	if (copy_from_user(&op, u, sizeof(op)))
		return -EFAULT;
	return gntdev_dmabuf_imp_release(gf->dmabuf, op.fd);
}

long gntdev_dispatch(struct file *filp, unsigned int cmd, void __user *argp)
{
	struct gntdev_file *gf = filp->private_data;

	switch (cmd) {
	case IOCTL_GNTDEV_MAP_GRANT_REF:
		return gntdev_ioctl_map(gf, argp);
	case IOCTL_GNTDEV_UNMAP_GRANT_REF:
		return gntdev_ioctl_unmap(gf, argp);
	case IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR:
		return gntdev_ioctl_get_offset(gf, argp);
	case IOCTL_GNTDEV_SET_MAX_GRANTS:
		return gntdev_ioctl_set_max(gf, argp);
	case IOCTL_GNTDEV_SET_UNMAP_NOTIFY:
		return gntdev_ioctl_notify(gf, argp);
	case IOCTL_GNTDEV_GRANT_COPY:
		return gntdev_ioctl_grant_copy(argp);
	case IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS:
		return gntdev_ioctl_dmabuf_exp_v1(gf, argp);
	case IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS_V2:
		return gntdev_ioctl_dmabuf_exp_v2(gf, argp);
	case IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED:
		return gntdev_ioctl_dmabuf_wait(gf, argp);
	case IOCTL_GNTDEV_DMABUF_IMP_TO_REFS:
		return gntdev_ioctl_dmabuf_imp_v1(gf, argp);
	case IOCTL_GNTDEV_DMABUF_IMP_TO_REFS_V2:
		return gntdev_ioctl_dmabuf_imp_v2(gf, argp);
	case IOCTL_GNTDEV_DMABUF_IMP_RELEASE:
		return gntdev_ioctl_dmabuf_imp_release(gf, argp);
	default:
		return -ENOTTY;
	}
}

static long gntdev_ioctl(struct file *filp, unsigned int cmd,
			 unsigned long arg)
{
	return gntdev_dispatch(filp, cmd, (void __user *)arg);
}

/* poll() and read(): release events of this file's exports. */
static __poll_t gntdev_poll(struct file *filp, poll_table *wait)
{
	struct gntdev_file *gf = filp->private_data;

	return gntdev_dmabuf_poll(gf->dmabuf, filp, wait);
}

static ssize_t gntdev_read(struct file *filp, char __user *buf, size_t count,
			   loff_t *ppos)
{
	struct gntdev_file *gf = filp->private_data;

	return gntdev_dmabuf_read(gf->dmabuf, buf, count,
				  filp->f_flags & O_NONBLOCK);
}

static const struct file_operations gntdev_fops = {
	.owner = THIS_MODULE,
	.open = gntdev_open,
	.release = gntdev_release,
	.read = gntdev_read,
	.poll = gntdev_poll,
	.mmap = gntdev_mmap,
	.unlocked_ioctl = gntdev_ioctl,
	.compat_ioctl = gntdev_compat_ioctl,
};

/* The "features" attribute (include/uapi/xen/gntdev.h). */
static ssize_t features_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "export export-v2 wait-released release-events import import-v2%s\n",
			  gntdev_dma_bus_is_machine() ? "" :
			  " contig-wc contig-coherent");
}
static DEVICE_ATTR_RO(features);

static struct attribute *gntdev_attrs[] = {
	&dev_attr_features.attr,
	NULL
};
ATTRIBUTE_GROUPS(gntdev);

static struct miscdevice gntdev_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "xen/gntdev",
	.fops = &gntdev_fops,
	.groups = gntdev_groups,
};

static int __init gntdev_init(void)
{
	int err;

	if (!xen_domain())
		return -ENODEV;

	gntdev_stats_init();
	/* Everything that can fail before the device can be opened. */
	err = gntdev_dmabuf_init();
	if (err) {
		pr_err("cannot set up dma-buf support (%d)\n", err);
		goto err_stats;
	}
	err = misc_register(&gntdev_miscdev);
	if (err) {
		pr_err("cannot register misc device (%d)\n", err);
		goto err_dmabuf;
	}
	/* The misc device is also the one dma-buf imports attach with. */
	err = gntdev_dmabuf_imp_init(gntdev_miscdev.this_device);
	if (err) {
		pr_err("cannot set up the import device (%d)\n", err);
		goto err_misc;
	}
	return 0;

err_misc:
	misc_deregister(&gntdev_miscdev);
err_dmabuf:
	gntdev_dmabuf_exit();
err_stats:
	gntdev_stats_exit();
	return err;
}

/*
 * A pending asynchronous unmap (a classic range, an exported dma-buf)
 * holds a module reference and drops it as the very last action of its
 * done callback; only that callback's return then still runs in module
 * text.  With preemptible RCU a task preempted right there does not hold
 * off synchronize_rcu(), which is all the module core waits for before
 * freeing the text.  A tasks-RCU grace period waits until every task has
 * switched voluntarily (or run in user mode) since, so none can still be
 * inside module text when we return from here.
 */
static void __exit gntdev_exit(void)
{
	misc_deregister(&gntdev_miscdev);
	gntdev_dmabuf_exit();
	gntdev_stats_exit();
	synchronize_rcu_tasks();
}

module_init(gntdev_init);
module_exit(gntdev_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("User-space access to Xen grants (/dev/xen/gntdev)");
MODULE_VERSION("xgd-0.4.0");
GNTDEV_IMPORT_NS_DMA_BUF();
