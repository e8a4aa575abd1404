// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-importer - an in-kernel importer (/dev/xt-importer, from
 * tests/modules/xt-importer) maps an exported buffer for DMA and through
 * vmap:
 *  - each page's DMA address is the frame the grant really maps, by
 *    oracles independent of the exporter's pages.  PV dom0 (DMA address =
 *    machine frame): the importer maps the same (domid, ref) again as a
 *    device-only grant mapping and takes the bus address Xen reports.
 *    PVH dom0 (DMA address = guest frame; Xen refuses device mappings
 *    there): with the attachment mapped, the importer reads the page at
 *    each DMA address as a guest-physical address - what the device sees
 *    through Xen's IOMMU, which maps dom0's p2m 1:1 - and it must be the
 *    domU's page i; then it writes a pattern at each DMA address of a
 *    DMA_TO_DEVICE mapping (unmap copies nothing back, so a bounce buffer
 *    would lose it) and the domU must see it;
 *  - vmap reads the domU's bytes and writes bytes the domU reads back;
 *  - a V2 buffer (data offset) passes what a page-granular importer (the
 *    GEM core at PRIME import) asserts: whole-page size, one sg page per
 *    PAGE_SIZE of it; vmap shows the data from data_ofs on;
 *  - an importer's hold keeps the buffer valid after both the gntdev file
 *    and the dma-buf fd are closed, and WAIT returns 0 when it drops it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>

#include "dmabuf-util.h"
#include "../modules/xt-importer/xt-importer.h"

#define NPAGES 4
#define V2_OFS 256u

static int imp_fd = -1;

static int imp_map(int fd, uint32_t dir, uint64_t *dma, uint32_t *refs,
		   uint64_t *frames, uint32_t domid, struct xt_imp_map *m)
{
	uint32_t mask_bits = m->mask_bits;
	uint64_t peek = m->peek, poke = m->poke;

	memset(m, 0, sizeof(*m));
	m->mask_bits = mask_bits;
	m->peek = peek;
	m->poke = poke;
	m->fd = fd;
	m->dir = dir;
	m->count = NPAGES;
	m->dma = (uintptr_t)dma;
	m->refs = (uintptr_t)refs;
	m->frames = (uintptr_t)frames;
	m->domid = domid;
	return ioctl(imp_fd, XT_IMP_IOC_MAP, m) ? errno : 0;
}

static int imp_vmap(int fd, int write, uint64_t off, void *buf, uint64_t len)
{
	struct xt_imp_vmap v = {
		.fd = fd, .write = write, .offset = off, .len = len,
		.buf = (uintptr_t)buf,
	};

	return ioctl(imp_fd, XT_IMP_IOC_VMAP, &v) ? errno : 0;
}

static void *drop_later(void *arg)
{
	(void)arg;
	usleep(300 * 1000);
	ioctl(imp_fd, XT_IMP_IOC_DROP);
	return NULL;
}

int main(void)
{
	static uint8_t buf[NPAGES * GT_PAGE];
	uint64_t dma[NPAGES], frames[NPAGES];
	uint32_t refs[NPAGES];
	struct gt_stats base;
	struct xt_imp_map m = { 0 };
	struct xt_peer peer;
	pthread_t thr;
	int gfd, fd, ret;
	bool same;

	imp_fd = open("/dev/xt-importer", O_RDWR | O_CLOEXEC);
	if (imp_fd < 0)
		xt_skip_all("/dev/xt-importer missing (xt-importer.ko not loaded)");
	gfd = dmb_begin(&peer, NPAGES, refs, &base);
	fd = dmb_export_all(gfd, &peer, NPAGES, refs);

	/* ---- negative ---- */
	xt_ok(imp_vmap(fd, 0, NPAGES * GT_PAGE - 1, buf, 2) == EINVAL,
	      "importer refuses a vmap range past the end (sanity)");

	/* ---- DMA addresses ---- */
	m.peek = (uintptr_t)buf;
	ret = imp_map(fd, 0 /* BIDIRECTIONAL */, dma, refs, frames, peer.domid, &m);
	m.peek = 0;
	xt_ok(ret == 0 && m.size == NPAGES * GT_PAGE && m.count == NPAGES,
	      "map for DMA: %u pages, %u segments, size %llu (%s)", m.count,
	      m.nents, (unsigned long long)m.size, ret ? strerror(ret) : "ok");
	if (m.flags & XT_IMP_FRAMES) {
		same = true;
		for (int i = 0; i < NPAGES; i++) {
			xt_diag("page %d: dma %#llx, Xen's frame %#llx", i,
				(unsigned long long)dma[i],
				(unsigned long long)frames[i]);
			same &= dma[i] == frames[i];
		}
		xt_ok(same, "each DMA address is the machine frame the grant maps");
	} else {
		xt_skip("Xen gives no device mapping here (PVH dom0)",
			"DMA address is the granted machine frame");
		same = true;
		for (int i = 0; i < NPAGES; i++)
			for (int j = 0; j < i; j++)
				same &= dma[i] != dma[j];
		xt_ok(same && !(dma[0] & (GT_PAGE - 1)),
		      "DMA addresses are page aligned and distinct");
	}
	if (ret == 0 && (m.flags & XT_IMP_PEEKED)) {
		long bad = gt_mismatch(buf, 0, NPAGES, 1);

		if (bad >= 0)
			xt_diag("at DMA address %#llx + %ld: %#x, the domU's page %ld has %#x",
				(unsigned long long)dma[bad / GT_PAGE],
				bad % GT_PAGE, buf[bad],
				bad / GT_PAGE,
				xt_pattern(1, bad / GT_PAGE, bad % GT_PAGE));
		xt_ok(bad < 0,
		      "the guest frame at each page's DMA address holds the domU's page");
		/* Write pattern 4 at the DMA addresses, the domU checks it. */
		gt_fill(buf, 0, NPAGES, 4);
		m.poke = (uintptr_t)buf;
		ret = imp_map(fd, 1 /* TO_DEVICE */, dma, NULL, NULL, 0, &m);
		m.poke = 0;
		xt_ok(ret == 0 && gt_peer_ok(&peer, "check 4"),
		      "bytes written at the DMA addresses reach the domU's pages (%s)",
		      ret ? strerror(ret) : "ok");
		xt_ok(gt_peer_ok(&peer, "fill 1"), "the domU writes pattern 1 again");
	} else if (gt_dom0_is_pv()) {
		xt_skip("PV: DMA addresses are machine frames, checked against Xen's",
			"the guest frame at each DMA address holds the domU's page");
	} else {
		xt_ok(false, "the importer read the guest frames at the DMA addresses (%s)",
		      ret ? strerror(ret) : "not done");
	}
	if (gt_dom0_is_pv()) {
		xt_skip("PV: xen-swiotlb bounces frames beyond a narrow mask",
			"a device that cannot reach the pages is refused");
	} else {
		m.mask_bits = 24;
		ret = imp_map(fd, 0, dma, NULL, NULL, 0, &m);
		xt_ok(ret == EINVAL,
		      "a device that cannot reach the pages (24-bit mask) is refused: EINVAL (%s)",
		      ret ? strerror(ret) : "mapped");
	}
	m.mask_bits = 0;
	xt_ok(imp_map(fd, 1 /* TO_DEVICE */, dma, NULL, NULL, 0, &m) == 0,
	      "map DMA_TO_DEVICE");
	xt_ok(imp_map(fd, 2 /* FROM_DEVICE */, dma, NULL, NULL, 0, &m) == 0,
	      "map DMA_FROM_DEVICE");
	xt_ok(gt_stat(GT_DMABUF_ATTACHMENTS) == base.v[GT_DMABUF_ATTACHMENTS],
	      "attachments gone after detach");

	/* ---- vmap ---- */
	ret = imp_vmap(fd, 0, 0, buf, sizeof(buf));
	xt_ok(ret == 0 && gt_mismatch(buf, 0, NPAGES, 1) < 0,
	      "vmap reads the domU's bytes (%s)", ret ? strerror(ret) : "ok");
	gt_fill(buf, 0, NPAGES, 2);
	ret = imp_vmap(fd, 1, 0, buf, sizeof(buf));
	xt_ok(ret == 0 && gt_peer_ok(&peer, "check 2"),
	      "bytes written through vmap reach the domU");
	xt_ok(gt_peer_ok(&peer, "fill 3") &&
	      imp_vmap(fd, 0, 0, buf, sizeof(buf)) == 0 &&
	      gt_mismatch(buf, 0, NPAGES, 3) < 0,
	      "a later domU write is seen through a new vmap");
	xt_ok(gt_stat(GT_DMABUF_GRANTS) ==
	      base.v[GT_DMABUF_GRANTS] + NPAGES * dmb_grants_per_page(),
	      "vmap leaves the buffer's grant mappings as they were (%ld)",
	      gt_stat(GT_DMABUF_GRANTS) - base.v[GT_DMABUF_GRANTS]);

	/* ---- V2: a page-granular importer (what the GEM core asserts) ---- */
	{
		struct xt_imp_prime pr = { 0 };
		long bad = -1;
		int fd2;

		if (dmb_export_v2(gfd, 0, peer.domid, NPAGES, V2_OFS, refs, &fd2))
			xt_fatal("V2 export failed");
		pr.fd = fd2;
		ret = ioctl(imp_fd, XT_IMP_IOC_PRIME, &pr) ? errno : 0;
		xt_diag("V2 import: size %llu, %u sg pages, %u DMA pages, offset %u, flags %#x",
			(unsigned long long)pr.size, pr.sg_pages, pr.dma_pages,
			pr.first_offset, pr.flags);
		xt_ok(ret == 0 && !(pr.flags & XT_PRIME_SIZE) &&
		      pr.size == NPAGES * GT_PAGE,
		      "V2 import: the size is whole pages (%s)",
		      ret ? strerror(ret) : "ok");
		xt_ok(ret == 0 &&
		      !(pr.flags & (XT_PRIME_PAGES | XT_PRIME_DMA | XT_PRIME_ENTRY)),
		      "V2 import: the sg table covers exactly size / PAGE_SIZE pages, page-granular");
		xt_ok(ret == 0 && pr.first_offset == V2_OFS,
		      "V2 import: data_ofs is the first entry's offset");
		/* The whole size from the vmap address: data, then padding. */
		ret = imp_vmap(fd2, 0, 0, buf, sizeof(buf));
		for (size_t i = 0; !ret && bad < 0 && i < sizeof(buf); i++) {
			size_t at = i + V2_OFS;
			uint8_t want = at < sizeof(buf) ?
				xt_pattern(3, at / GT_PAGE, at % GT_PAGE) : 0;

			if (buf[i] != want)
				bad = (long)i;
		}
		xt_ok(ret == 0 && bad < 0,
		      "V2 vmap: the size bytes from the address start at data_ofs, zero past the last page (%s, first bad byte %ld)",
		      ret ? strerror(ret) : "ok", bad);
		close(fd2);
		xt_ok(gt_stat(GT_DMABUF_EXPORTS) == base.v[GT_DMABUF_EXPORTS] + 1,
		      "the V2 buffer is released on close");
	}

	/* ---- an importer keeps the buffer alive ---- */
	xt_ok(ioctl(imp_fd, XT_IMP_IOC_HOLD, &fd) == 0, "importer holds the buffer");
	xt_ok(gt_stat(GT_DMABUF_ATTACHMENTS) == base.v[GT_DMABUF_ATTACHMENTS] + 1,
	      "one attachment");
	close(gfd);
	ret = imp_vmap(fd, 0, 0, buf, sizeof(buf));
	xt_ok(ret == 0 && gt_mismatch(buf, 0, NPAGES, 3) < 0,
	      "valid after the gntdev file is closed");
	close(fd);
	xt_ok(gt_stat(GT_DMABUF_EXPORTS) == base.v[GT_DMABUF_EXPORTS] + 1,
	      "alive after every fd is closed while the importer holds it");
	ioctl(imp_fd, XT_IMP_IOC_DROP);
	gt_stats_check(&base, GT_SET_DMABUF, "after the importer drops it");

	/* ---- WAIT returns 0 when the importer lets go ---- */
	gfd = gt_open();
	fd = dmb_export_all(gfd, &peer, NPAGES, refs);
	xt_ok(ioctl(imp_fd, XT_IMP_IOC_HOLD, &fd) == 0, "importer holds again");
	close(fd);
	xt_ok(dmb_wait(gfd, fd, 200) == ETIMEDOUT, "held: WAIT times out");
	pthread_create(&thr, NULL, drop_later, NULL);
	ret = dmb_wait(gfd, fd, 10000);
	pthread_join(thr, NULL);
	xt_ok(ret == 0, "WAIT returns 0 when the importer drops it (%s)",
	      ret ? strerror(ret) : "ok");
	gt_stats_check(&base, GT_SET_DMABUF, "at the end");

	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(gfd);
	close(imp_fd);
	return xt_exit();
}
