/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * xt-importer.h - ABI of /dev/xt-importer, a test-only dma-buf importer
 * used by tests/dom0/dmabuf-importer.c.  Shared by the module and the
 * test program.  Every ioctl takes the dma-buf fd of the buffer to act
 * on; pointers are user addresses carried in __u64.
 */
#ifndef XT_IMPORTER_H
#define XT_IMPORTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * MAP: attach the misc device (64-bit DMA mask) to the buffer, map it
 * for DMA in direction @dir (1 TO_DEVICE, 2 FROM_DEVICE, 0 BIDIRECTIONAL,
 * the kernel's enum dma_data_direction), and write the DMA address of
 * each page (page-aligned; the first one is the page holding the
 * buffer's first byte) to @dma[0 .. @count).  @nents gets the number of
 * DMA segments, @size the buffer size.  Then unmap and detach.
 *
 * With @mask_bits (12..63), the misc device's DMA mask is narrowed to
 * that many bits for the call (restored to 64 after).
 *
 * With @refs non-zero, also map each (@domid, @refs[i]) a second time,
 * device-only (GNTMAP_device_map | GNTMAP_readonly), and write the bus
 * address Xen reports for it to @frames[i] - an oracle that does not
 * depend on the exporter.  XT_IMP_FRAMES is set in @flags if that
 * worked (PV dom0); Xen refuses device mappings for PVH domains.
 *
 * With @peek non-zero (__u8[count * 4096], OUT), while the attachment is
 * still mapped, read the page at each DMA address, taken as a
 * guest-physical address of dom0, into @peek; then, with @poke non-zero
 * (__u8[count * 4096], IN), write @poke there.  Only where DMA addresses
 * are guest-physical (PVH dom0: Xen's IOMMU maps dom0's p2m 1:1): an
 * oracle for PVH that does not depend on the exporter's pages.
 * XT_IMP_PEEKED is set in @flags if it was done; a PV dom0 (DMA address =
 * machine frame) leaves it clear and touches neither buffer.
 */
#define XT_IMP_FRAMES	1u
#define XT_IMP_PEEKED	2u
struct xt_imp_map {
	__s32 fd;
	__u32 dir;
	/* IN: entries in @dma, @refs, @frames; OUT: pages written to @dma */
	__u32 count;
	__u32 nents;		/* OUT */
	__u64 size;		/* OUT */
	__u64 dma;		/* __u64[count], OUT */
	__u64 refs;		/* __u32[count], IN, optional */
	__u64 frames;		/* __u64[count], OUT, with @refs */
	__u32 domid;		/* IN, with @refs */
	__u32 flags;		/* OUT: XT_IMP_* */
	__u32 mask_bits;	/* IN: DMA mask for this call, 0 = 64 */
	__u32 pad;
	__u64 peek;		/* __u8[count * 4096], OUT, optional */
	__u64 poke;		/* __u8[count * 4096], IN, optional */
};

/*
 * VMAP: begin_cpu_access, dma_buf_vmap, copy @len bytes at @offset of
 * the kernel mapping to (@write == 0) or from (@write == 1) the user
 * buffer @buf, vunmap, end_cpu_access.
 */
struct xt_imp_vmap {
	__s32 fd;
	__u32 write;
	__u64 offset;
	__u64 len;
	__u64 buf;
};

/*
 * HOLD: take a reference on the buffer, attach and map it
 * (bidirectional) and keep all of that until DROP or until this
 * /dev/xt-importer file is closed.  At most 16 holds per file.
 * DROP (no argument): unmap, detach and put every held buffer.
 */
/*
 * PRIME: import the buffer the way a page-granular importer does (the
 * GEM core, i915, the GEM-DMA helpers): attach, map bidirectionally,
 * check, unmap, detach.  @flags gets every violation found; a real
 * importer would BUG_ON or refuse where these are set:
 *  XT_PRIME_SIZE	the size is not a whole number of pages
 *			(drm_gem_private_object_init() BUG_ON)
 *  XT_PRIME_PAGES	the sg table does not cover exactly size / PAGE_SIZE
 *			pages (what drm_prime_sg_to_page_array() fills)
 *  XT_PRIME_DMA	nor does its DMA side
 *			(drm_prime_sg_to_dma_addr_array())
 *  XT_PRIME_ENTRY	an entry other than the first starts inside a page,
 *			or an entry other than the last ends inside one
 * @sg_pages, @dma_pages, @first_offset and @size report what was seen.
 */
#define XT_PRIME_SIZE	1u
#define XT_PRIME_PAGES	2u
#define XT_PRIME_DMA	4u
#define XT_PRIME_ENTRY	8u
struct xt_imp_prime {
	__s32 fd;
	__u32 flags;		/* OUT: XT_PRIME_* */
	__u64 size;		/* OUT */
	__u32 sg_pages;		/* OUT */
	__u32 dma_pages;	/* OUT */
	__u32 first_offset;	/* OUT: offset of the first entry */
	__u32 pad;
};

#define XT_IMP_IOC_MAP	_IOWR('X', 1, struct xt_imp_map)
#define XT_IMP_IOC_VMAP	_IOW('X', 2, struct xt_imp_vmap)
#define XT_IMP_IOC_HOLD	_IOW('X', 3, __s32)
#define XT_IMP_IOC_DROP	_IO('X', 4)
#define XT_IMP_IOC_PRIME	_IOWR('X', 5, struct xt_imp_prime)

#endif
