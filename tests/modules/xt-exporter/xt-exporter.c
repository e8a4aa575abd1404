// SPDX-License-Identifier: GPL-2.0-only
/*
 * xt-exporter.c - test-only dma-buf exporter (see xt-exporter.h).
 *
 * Owns struct xt_exp, one per exported buffer: its pages, allocated by
 * CREATE and freed by the dma-buf's ->release when the last reference
 * (fd, mmap, importer) is gone.  Each ->map_dma_buf builds a fresh sg
 * table starting @data_ofs into the first page and maps it for the
 * importer's device; ->unmap_dma_buf undoes it.  The misc file keeps a
 * reference to the last buffer it created (file->private_data), so that
 * mmap() of the misc fd can show all its pages: the dma-buf core refuses
 * an mmap of the fd beyond size rounded down, which cuts the last page.
 * The reference goes with the next CREATE or the file's release.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "xt-exporter.h"
#include "xt-exporter-kver.h"

XT_EXP_IMPORT_NS_DMA_BUF();

struct xt_exp {
	unsigned int npages;
	unsigned int data_ofs;
	struct device *dev;		/* XT_EXP_OWN_DMA: ours, else NULL */
	struct page *pages[];
};

static struct miscdevice xt_exp_misc;

/* The device the tables are mapped for (see XT_EXP_OWN_DMA). */
static struct device *xt_exp_dev(struct dma_buf_attachment *attach)
{
	struct xt_exp *e = attach->dmabuf->priv;

	return e->dev ? e->dev : attach->dev;
}

static struct sg_table *xt_exp_map(struct dma_buf_attachment *attach,
				   enum dma_data_direction dir)
{
	struct xt_exp *e = attach->dmabuf->priv;
	struct sg_table *sgt;
	int ret;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages(sgt, e->pages, e->npages, e->data_ofs,
					attach->dmabuf->size, GFP_KERNEL);
	if (!ret)
		ret = dma_map_sgtable(xt_exp_dev(attach), sgt, dir, 0);
	if (ret) {
		sg_free_table(sgt);
		kfree(sgt);
		return ERR_PTR(ret);
	}
	return sgt;
}

static void xt_exp_unmap(struct dma_buf_attachment *attach,
			 struct sg_table *sgt, enum dma_data_direction dir)
{
	dma_unmap_sgtable(xt_exp_dev(attach), sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
}

static int xt_exp_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct xt_exp *e = dmabuf->priv;

	return vm_map_pages(vma, e->pages, e->npages);
}

static void xt_exp_release(struct dma_buf *dmabuf)
{
	struct xt_exp *e = dmabuf->priv;
	unsigned int i;

	for (i = 0; i < e->npages; i++)
		__free_page(e->pages[i]);
	kfree(e);
}

static const struct dma_buf_ops xt_exp_ops = {
	.map_dma_buf = xt_exp_map,
	.unmap_dma_buf = xt_exp_unmap,
	.mmap = xt_exp_mmap,
	.release = xt_exp_release,
};

static int xt_exp_create(struct file *filp, struct xt_exp_create *c)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;
	struct xt_exp *e;
	unsigned int i;
	int fd, err = -ENOMEM;

	if (!c->npages || c->npages > 1024 || c->data_ofs >= PAGE_SIZE ||
	    (c->flags & ~XT_EXP_OWN_DMA))
		return -EINVAL;
	e = kzalloc(struct_size(e, pages, c->npages), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->npages = c->npages;
	e->data_ofs = c->data_ofs;
	if (c->flags & XT_EXP_OWN_DMA)
		e->dev = xt_exp_misc.this_device;
	for (i = 0; i < e->npages; i++) {
		e->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!e->pages[i])
			goto err_pages;
	}
	info.ops = &xt_exp_ops;
	info.size = (size_t)e->npages * PAGE_SIZE - e->data_ofs;
	info.flags = O_RDWR;
	info.priv = e;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		err = PTR_ERR(dmabuf);
		goto err_pages;
	}
	fd = dma_buf_fd(dmabuf, O_CLOEXEC);
	if (fd < 0) {
		dma_buf_put(dmabuf);	/* frees @e */
		return fd;
	}
	c->fd = fd;
	get_dma_buf(dmabuf);
	if (filp->private_data)
		dma_buf_put(filp->private_data);
	filp->private_data = dmabuf;
	return 0;

err_pages:
	while (i--)
		__free_page(e->pages[i]);
	kfree(e);
	return err;
}

static long xt_exp_ioctl(struct file *filp, unsigned int cmd,
			 unsigned long arg)
{
	struct xt_exp_create c;
	int ret;

	if (cmd != XT_EXP_CREATE)
		return -ENOTTY;
	if (copy_from_user(&c, (void __user *)arg, sizeof(c)))
		return -EFAULT;
	ret = xt_exp_create(filp, &c);
	if (ret)
		return ret;
	/* The fd is installed: userspace can close it even if this fails. */
	return copy_to_user((void __user *)arg, &c, sizeof(c)) ? -EFAULT : 0;
}

/* All pages of the last buffer this file created. */
static int xt_exp_misc_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct dma_buf *dmabuf = filp->private_data;

	return dmabuf ? xt_exp_mmap(dmabuf, vma) : -ENODEV;
}

/* misc_open() left the miscdevice in private_data: no buffer yet. */
static int xt_exp_misc_open(struct inode *inode, struct file *filp)
{
	filp->private_data = NULL;
	return 0;
}

static int xt_exp_misc_release(struct inode *inode, struct file *filp)
{
	if (filp->private_data)
		dma_buf_put(filp->private_data);
	return 0;
}

static const struct file_operations xt_exp_fops = {
	.owner = THIS_MODULE,
	.open = xt_exp_misc_open,
	.unlocked_ioctl = xt_exp_ioctl,
	.mmap = xt_exp_misc_mmap,
	.release = xt_exp_misc_release,
};

static struct miscdevice xt_exp_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "xt-exporter",
	.fops = &xt_exp_fops,
};

static int __init xt_exp_init(void)
{
	int ret = misc_register(&xt_exp_misc);

	if (ret)
		return ret;
	ret = dma_coerce_mask_and_coherent(xt_exp_misc.this_device,
					   DMA_BIT_MASK(64));
	if (ret)
		misc_deregister(&xt_exp_misc);
	return ret;
}

static void __exit xt_exp_exit(void)
{
	misc_deregister(&xt_exp_misc);
}

module_init(xt_exp_init);
module_exit(xt_exp_exit);
MODULE_DESCRIPTION("Test-only dma-buf exporter for the xen-gntdev tests");
MODULE_LICENSE("GPL");
