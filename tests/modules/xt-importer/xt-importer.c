// SPDX-License-Identifier: GPL-2.0-only
/*
 * xt-importer.c - a test-only dma-buf importer, /dev/xt-importer (see
 * xt-importer.h for the ioctls).  It plays the part of a device driver
 * so that tests can see what an importer sees: DMA addresses, a kernel
 * mapping, and a buffer held after userspace closed every fd.
 *
 * Objects and lifetime: MAP, VMAP and PRIME take their own dma-buf reference
 * with dma_buf_get() and drop everything before returning.  HOLD stores
 * (reference, attachment, sg table) in the per-open struct xt_imp_file,
 * which owns them until DROP or until the file is released.  The misc
 * device itself has no per-buffer state; the module cannot be unloaded
 * while a file is open.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/iosys-map.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <xen/grant_table.h>
#include <xen/xen.h>
#include <xen/interface/grant_table.h>
#include <asm/xen/hypercall.h>

#include "xt-importer-kver.h"
#include "xt-importer.h"

XT_IMPORT_NS_DMA_BUF();

#define XT_MAX_HOLDS	16

struct xt_hold {
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
};

struct xt_imp_file {
	struct mutex lock;		/* protects @nr and @holds */
	unsigned int nr;
	struct xt_hold holds[XT_MAX_HOLDS];
};

static struct miscdevice xt_misc;

static struct device *xt_dev(void)
{
	return xt_misc.this_device;
}

/* Attach + map; on success the caller owns all three. */
static int xt_get_mapped(int fd, enum dma_data_direction dir,
			 struct xt_hold *h)
{
	int ret;

	h->dmabuf = dma_buf_get(fd);
	if (IS_ERR(h->dmabuf))
		return PTR_ERR(h->dmabuf);
	h->attach = dma_buf_attach(h->dmabuf, xt_dev());
	if (IS_ERR(h->attach)) {
		ret = PTR_ERR(h->attach);
		goto put;
	}
	h->sgt = dma_buf_map_attachment_unlocked(h->attach, dir);
	if (IS_ERR(h->sgt)) {
		ret = PTR_ERR(h->sgt);
		goto detach;
	}
	return 0;
detach:
	dma_buf_detach(h->dmabuf, h->attach);
put:
	dma_buf_put(h->dmabuf);
	return ret;
}

static void xt_put_mapped(struct xt_hold *h, enum dma_data_direction dir)
{
	dma_buf_unmap_attachment_unlocked(h->attach, h->sgt, dir);
	dma_buf_detach(h->dmabuf, h->attach);
	dma_buf_put(h->dmabuf);
}

/* Xen's own view: the bus address of a device-only mapping of a grant. */
static int xt_grant_frame(u32 domid, u32 ref, u64 *addr)
{
	struct gnttab_map_grant_ref op = { };
	struct gnttab_unmap_grant_ref uop = { };

	gnttab_set_map_op(&op, 0, GNTMAP_device_map | GNTMAP_readonly, ref,
			  domid);
	op.status = GNTST_general_error;
	if (HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &op, 1) ||
	    op.status != GNTST_okay)
		return -EOPNOTSUPP;
	*addr = op.dev_bus_addr;
	gnttab_set_unmap_op(&uop, 0, GNTMAP_device_map | GNTMAP_readonly,
			    op.handle);
	uop.dev_bus_addr = op.dev_bus_addr;
	if (HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &uop, 1) ||
	    uop.status != GNTST_okay)
		return -EIO;
	return 0;
}

/*
 * Copy the page at guest-physical address @pa to (@write false) or from
 * @buf: what a device sees at DMA address @pa when DMA addresses are
 * dom0's guest-physical addresses (PVH).  memremap() gives the direct map
 * for RAM and a cacheable mapping otherwise; a page straddling RAM and
 * non-RAM, or RAM without a struct page, is refused rather than let
 * memremap() or ioremap() warn.
 */
static int xt_phys_copy(phys_addr_t pa, void *buf, bool write)
{
	int ram = region_intersects(pa, PAGE_SIZE, IORESOURCE_SYSTEM_RAM,
				    IORES_DESC_NONE);
	void *va;

	if (ram == REGION_MIXED ||
	    (ram == REGION_INTERSECTS && !pfn_valid(PHYS_PFN(pa))))
		return -ENXIO;
	va = memremap(pa, PAGE_SIZE, MEMREMAP_WB);
	if (!va)
		return -ENXIO;
	if (write)
		memcpy(va, buf, PAGE_SIZE);
	else
		memcpy(buf, va, PAGE_SIZE);
	memunmap(va);
	return 0;
}

/*
 * @peek/@poke of MAP, with the attachment still mapped: read every page
 * at its DMA address into @peek, then write @poke there (each optional).
 * @dma holds @n page-aligned DMA addresses.
 */
static int xt_peek_poke(const u64 *dma, unsigned int n, u64 peek, u64 poke)
{
	void *page = kmalloc(PAGE_SIZE, GFP_KERNEL);
	unsigned int i;
	int ret = 0;

	if (!page)
		return -ENOMEM;
	for (i = 0; peek && i < n && !ret; i++) {
		ret = xt_phys_copy(dma[i], page, false);
		if (!ret && copy_to_user(u64_to_user_ptr(peek) +
					 (size_t)i * PAGE_SIZE, page, PAGE_SIZE))
			ret = -EFAULT;
	}
	for (i = 0; poke && i < n && !ret; i++) {
		if (copy_from_user(page, u64_to_user_ptr(poke) +
				   (size_t)i * PAGE_SIZE, PAGE_SIZE))
			ret = -EFAULT;
		else
			ret = xt_phys_copy(dma[i], page, true);
	}
	kfree(page);
	return ret;
}

/* MAP and VMAP callers serialize on this (MAP may change the mask). */
static DEFINE_MUTEX(xt_map_lock);

static long xt_ioc_map_locked(void __user *arg)
{
	struct xt_imp_map m;
	struct xt_hold h;
	struct scatterlist *sg;
	u64 *dma = NULL, *frames = NULL;
	u32 *refs = NULL;
	unsigned int i, n = 0;
	int ret;

	if (copy_from_user(&m, arg, sizeof(m)))
		return -EFAULT;
	if (m.dir > DMA_FROM_DEVICE || !m.count || m.count > 65536)
		return -EINVAL;
	dma = kvcalloc(m.count, sizeof(*dma), GFP_KERNEL);
	frames = kvcalloc(m.count, sizeof(*frames), GFP_KERNEL);
	refs = kvcalloc(m.count, sizeof(*refs), GFP_KERNEL);
	if (!dma || !frames || !refs) {
		ret = -ENOMEM;
		goto out;
	}
	if (m.refs && copy_from_user(refs, u64_to_user_ptr(m.refs),
				     m.count * sizeof(*refs))) {
		ret = -EFAULT;
		goto out;
	}
	if (m.mask_bits && (m.mask_bits < 12 || m.mask_bits > 63)) {
		ret = -EINVAL;
		goto out;
	}
	if (m.mask_bits)
		dma_set_mask_and_coherent(xt_dev(), DMA_BIT_MASK(m.mask_bits));
	ret = xt_get_mapped(m.fd, m.dir, &h);
	if (m.mask_bits)
		dma_set_mask_and_coherent(xt_dev(), DMA_BIT_MASK(64));
	if (ret)
		goto out;
	m.size = h.dmabuf->size;
	m.nents = h.sgt->nents;
	for_each_sgtable_dma_sg(h.sgt, sg, i) {
		dma_addr_t a = sg_dma_address(sg) & PAGE_MASK;
		dma_addr_t end = sg_dma_address(sg) + sg_dma_len(sg);

		for (; a < end && n < m.count; a += PAGE_SIZE)
			dma[n++] = a;
	}
	m.flags = 0;
	/* DMA address = guest-physical address only where dom0 is not PV. */
	if ((m.peek || m.poke) && !xen_pv_domain()) {
		ret = xt_peek_poke(dma, n, m.peek, m.poke);
		m.flags |= XT_IMP_PEEKED;
	}
	xt_put_mapped(&h, m.dir);
	m.count = n;
	if (ret)
		goto out;
	if (m.refs) {
		m.flags |= XT_IMP_FRAMES;
		for (i = 0; i < n; i++)
			if (xt_grant_frame(m.domid, refs[i], &frames[i])) {
				m.flags &= ~XT_IMP_FRAMES;
				break;
			}
	}
	if (copy_to_user(u64_to_user_ptr(m.dma), dma, n * sizeof(*dma)) ||
	    ((m.flags & XT_IMP_FRAMES) &&
	     copy_to_user(u64_to_user_ptr(m.frames), frames,
			  n * sizeof(*frames))) ||
	    copy_to_user(arg, &m, sizeof(m)))
		ret = -EFAULT;
out:
	kvfree(refs);
	kvfree(frames);
	kvfree(dma);
	return ret;
}

static long xt_ioc_map(void __user *arg)
{
	long ret;

	mutex_lock(&xt_map_lock);
	ret = xt_ioc_map_locked(arg);
	mutex_unlock(&xt_map_lock);
	return ret;
}

static long xt_ioc_vmap(void __user *arg)
{
	struct iosys_map map;
	struct xt_imp_vmap v;
	struct dma_buf *dmabuf;
	enum dma_data_direction dir;
	int ret;

	if (copy_from_user(&v, arg, sizeof(v)))
		return -EFAULT;
	dmabuf = dma_buf_get(v.fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	ret = -EINVAL;
	if (v.offset > dmabuf->size || v.len > dmabuf->size - v.offset)
		goto put;
	dir = v.write ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
	ret = dma_buf_begin_cpu_access(dmabuf, dir);
	if (ret)
		goto put;
	ret = xt_vmap(dmabuf, &map);
	if (!ret) {
		void *p = map.vaddr + v.offset;

		if (map.is_iomem)
			ret = -EOPNOTSUPP;
		else if (v.write)
			ret = copy_from_user(p, u64_to_user_ptr(v.buf), v.len) ?
			      -EFAULT : 0;
		else
			ret = copy_to_user(u64_to_user_ptr(v.buf), p, v.len) ?
			      -EFAULT : 0;
		xt_vunmap(dmabuf, &map);
	}
	dma_buf_end_cpu_access(dmabuf, dir);
put:
	dma_buf_put(dmabuf);
	return ret;
}

/* What a page-granular importer checks (see XT_IMP_IOC_PRIME). */
static long xt_ioc_prime(void __user *arg)
{
	struct sg_dma_page_iter diter;
	struct sg_page_iter piter;
	struct xt_imp_prime p;
	struct scatterlist *sg;
	struct xt_hold h;
	unsigned int i;
	int ret;

	if (copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	mutex_lock(&xt_map_lock);
	ret = xt_get_mapped(p.fd, DMA_BIDIRECTIONAL, &h);
	mutex_unlock(&xt_map_lock);
	if (ret)
		return ret;
	p.flags = 0;
	p.size = h.dmabuf->size;
	if (p.size & ~PAGE_MASK)
		p.flags |= XT_PRIME_SIZE;
	p.sg_pages = 0;
	for_each_sgtable_page(h.sgt, &piter, 0)
		p.sg_pages++;
	p.dma_pages = 0;
	for_each_sgtable_dma_page(h.sgt, &diter, 0)
		p.dma_pages++;
	if (p.sg_pages != p.size >> PAGE_SHIFT)
		p.flags |= XT_PRIME_PAGES;
	if (p.dma_pages != p.size >> PAGE_SHIFT)
		p.flags |= XT_PRIME_DMA;
	p.first_offset = h.sgt->sgl->offset;
	for_each_sgtable_sg(h.sgt, sg, i) {
		if ((i && sg->offset) ||
		    (!sg_is_last(sg) && ((sg->offset + sg->length) & ~PAGE_MASK)))
			p.flags |= XT_PRIME_ENTRY;
	}
	xt_put_mapped(&h, DMA_BIDIRECTIONAL);
	return copy_to_user(arg, &p, sizeof(p)) ? -EFAULT : 0;
}

static void xt_drop_all(struct xt_imp_file *f)
{
	while (f->nr)
		xt_put_mapped(&f->holds[--f->nr], DMA_BIDIRECTIONAL);
}

static long xt_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct xt_imp_file *f = filp->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;
	s32 fd;

	switch (cmd) {
	case XT_IMP_IOC_MAP:
		return xt_ioc_map(uarg);
	case XT_IMP_IOC_VMAP:
		return xt_ioc_vmap(uarg);
	case XT_IMP_IOC_PRIME:
		return xt_ioc_prime(uarg);
	case XT_IMP_IOC_HOLD:
		if (get_user(fd, (s32 __user *)uarg))
			return -EFAULT;
		mutex_lock(&f->lock);
		ret = -ENOSPC;
		if (f->nr < XT_MAX_HOLDS) {
			ret = xt_get_mapped(fd, DMA_BIDIRECTIONAL,
					    &f->holds[f->nr]);
			if (!ret)
				f->nr++;
		}
		mutex_unlock(&f->lock);
		return ret;
	case XT_IMP_IOC_DROP:
		mutex_lock(&f->lock);
		xt_drop_all(f);
		mutex_unlock(&f->lock);
		return 0;
	default:
		return -ENOTTY;
	}
}

static int xt_open(struct inode *inode, struct file *filp)
{
	struct xt_imp_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	filp->private_data = f;
	return 0;
}

static int xt_release(struct inode *inode, struct file *filp)
{
	struct xt_imp_file *f = filp->private_data;

	xt_drop_all(f);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

static const struct file_operations xt_fops = {
	.owner = THIS_MODULE,
	.open = xt_open,
	.release = xt_release,
	.unlocked_ioctl = xt_ioctl,
};

static struct miscdevice xt_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "xt-importer",
	.fops = &xt_fops,
};

static int __init xt_init(void)
{
	int ret = misc_register(&xt_misc);

	if (ret)
		return ret;
	ret = dma_coerce_mask_and_coherent(xt_misc.this_device,
					   DMA_BIT_MASK(64));
	if (ret)
		misc_deregister(&xt_misc);
	return ret;
}

static void __exit xt_exit(void)
{
	misc_deregister(&xt_misc);
}

module_init(xt_init);
module_exit(xt_exit);
MODULE_DESCRIPTION("Test-only dma-buf importer for the xen-gntdev tests");
MODULE_LICENSE("GPL");
