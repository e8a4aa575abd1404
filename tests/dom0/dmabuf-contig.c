// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-contig - contiguous exports (GNTDEV_DMA_FLAG_WC, _COHERENT).
 *
 * PVH dom0, for each flag and 1, 768 (1024x768 XRGB), 2025 (1080p) and
 * 8100 (4K) pages of the domU's grants (and one V2 buffer with a data
 * offset):
 *  - the buffer's mmap shows the domU's bytes;
 *  - the test importer (xt-importer, 64-bit mask) maps it as exactly one
 *    DMA segment of the full size, and the guest frames at its DMA
 *    addresses hold the domU's pages (read there as guest-physical
 *    addresses, what a device sees through Xen's IOMMU);
 *  - closed, it is released with every counter back.
 * Then clean failures: a bad grant in a block-sized and in a
 * range-sized request, a request beyond dmabuf_contig_max_pages (E2BIG)
 * and one beyond the global cap (EDQUOT) leave nothing held and no
 * frame handed over; a plain export after a block went to the pool
 * works.  (dmabuf-contig-churn repeats such exports.)
 *
 * PV dom0: both flags, V1 and V2, fail with EOPNOTSUPP and hold nothing.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "dmabuf-util.h"
#include "../modules/xt-importer/xt-importer.h"

#define MAXPAGES 8100
#define V2_OFS 512u

/*
 * What must be back after every buffer of this test is gone; a released
 * block may stay pooled (see held_back()).
 */
#define SET_HELD (GT_SET_DMABUF | GT_BIT(GT_DMABUF_PAGES))

static const uint32_t flag_list[] = { GNTDEV_DMA_FLAG_WC, GNTDEV_DMA_FLAG_COHERENT };
static const char *const flag_name[] = { "WC", "COHERENT" };
static const unsigned int sizes[] = { 1, 768, 2025, MAXPAGES };

static int imp_fd = -1;
static uint32_t refs[MAXPAGES];
static uint64_t dma[MAXPAGES];

/* The importer's view: segments, size and, in PVH, the bytes there. */
static int imp_map(int fd, unsigned int npages, uint8_t *peek,
		   struct xt_imp_map *m)
{
	memset(m, 0, sizeof(*m));
	m->fd = fd;
	m->dir = 0;	/* DMA_BIDIRECTIONAL */
	m->count = npages;
	m->dma = (uintptr_t)dma;
	m->peek = (uintptr_t)peek;
	return ioctl(imp_fd, XT_IMP_IOC_MAP, m) ? errno : 0;
}

static bool dma_consecutive(unsigned int npages)
{
	for (unsigned int i = 1; i < npages; i++)
		if (dma[i] != dma[0] + (uint64_t)i * GT_PAGE)
			return false;
	return true;
}

/* The counters of SET_HELD are back, and no frame is out but pooled. */
static void held_back(const struct gt_stats *base, const char *what)
{
	struct gt_stats now;

	gt_stats_check(base, SET_HELD, what);
	gt_stats_read(&now);
	xt_ok(now.v[GT_DMABUF_FRAMES_OUT] - now.v[GT_DMABUF_POOL] ==
	      base->v[GT_DMABUF_FRAMES_OUT] - base->v[GT_DMABUF_POOL],
	      "%s: every frame still handed over is pooled (%ld out, %ld pooled)",
	      what, now.v[GT_DMABUF_FRAMES_OUT], now.v[GT_DMABUF_POOL]);
}

static void close_released(int gfd, int fd, const char *what)
{
	int ret;

	close(fd);
	ret = dmb_wait(gfd, fd, 5000);
	xt_ok(ret == 0 || ret == ENOENT, "%s: released on close (%s)", what,
	      ret ? strerror(ret) : "ok");
}

/* One export of @npages with @flags (V2 with @ofs if non-zero). */
static void one_buffer(int gfd, const struct xt_peer *peer, uint32_t flags,
		       const char *fname, unsigned int npages, uint32_t ofs,
		       uint8_t *peek)
{
	size_t len = (size_t)npages * GT_PAGE;
	struct gt_stats base;
	struct xt_imp_map m;
	char what[64];
	uint8_t *mem;
	int fd, ret;

	snprintf(what, sizeof(what), "%s%s %u pages", fname, ofs ? " V2" : "",
		 npages);
	gt_stats_read(&base);
	ret = ofs ? dmb_export_v2(gfd, flags, peer->domid, npages, ofs, refs,
				  &fd) :
		    dmb_export(gfd, flags, peer->domid, npages, refs, &fd);
	if (!XT_CHECK(ret == 0, "%s: exported (%s)", what,
		      ret ? strerror(ret) : "ok"))
		return;
	mem = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	xt_ok(mem != MAP_FAILED && gt_mismatch(mem, 0, npages, 1) < 0,
	      "%s: its mmap shows the domU's bytes", what);
	if (mem != MAP_FAILED)
		munmap(mem, len);

	ret = imp_map(fd, npages, peek, &m);
	xt_diag("%s: %u segment(s) at %#llx, size %llu", what, m.nents,
		(unsigned long long)dma[0], (unsigned long long)m.size);
	xt_ok(ret == 0 && m.nents == 1 && m.size == len && m.count == npages &&
	      dma_consecutive(npages),
	      "%s: the importer sees one DMA segment of %zu bytes (%s)", what,
	      len, ret ? strerror(ret) : "ok");
	if (ret == 0 && (m.flags & XT_IMP_PEEKED)) {
		long bad = gt_mismatch(peek, 0, npages, 1);

		if (bad >= 0)
			xt_diag("byte %ld at DMA address %#llx: %#x", bad,
				(unsigned long long)dma[bad / GT_PAGE],
				peek[bad]);
		xt_ok(bad < 0,
		      "%s: the guest frames at the DMA addresses hold the domU's pages",
		      what);
	}
	close_released(gfd, fd, what);
	held_back(&base, what);
}

/*
 * A released block stays pooled whole; plain exports, which take single
 * pooled pages, must neither see it nor stumble over it.
 */
static void plain_after_block(int gfd, const struct xt_peer *peer)
{
	struct gt_stats base;
	uint8_t *mem;
	int fd, ret;

	gt_stats_read(&base);
	ret = dmb_export(gfd, GNTDEV_DMA_FLAG_WC, peer->domid, 768, refs, &fd);
	if (!XT_CHECK(ret == 0, "a WC block to pool (%s)", strerror(ret)))
		return;
	close_released(gfd, fd, "the WC block");
	ret = dmb_export(gfd, 0, peer->domid, 1024, refs, &fd);
	if (!XT_CHECK(ret == 0, "a plain export of 1024 pages with a block pooled (%s)",
		      strerror(ret)))
		return;
	mem = mmap(NULL, 1024 * GT_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	xt_ok(mem != MAP_FAILED && gt_mismatch(mem, 0, 1024, 1) < 0,
	      "its mmap shows the domU's bytes");
	if (mem != MAP_FAILED)
		munmap(mem, 1024 * GT_PAGE);
	close_released(gfd, fd, "the plain export");
	held_back(&base, "after a plain export beside a pooled block");
}

/* A refused request holds nothing and hands nothing over. */
static void refused(int gfd, const struct xt_peer *peer, unsigned int npages,
		    const uint32_t *r, int want, const char *what)
{
	struct gt_stats base;
	int fd = -1, ret;

	gt_stats_read(&base);
	ret = dmb_export(gfd, GNTDEV_DMA_FLAG_WC, peer->domid, npages, r, &fd);
	xt_ok(ret == want, "%s: %s (want %s)", what, strerror(ret),
	      strerror(want));
	if (!ret)
		close_released(gfd, fd, what);
	held_back(&base, what);
}

static void failures(int gfd, const struct xt_peer *peer)
{
	long max = gt_param("dmabuf_contig_max_pages");
	long cap = gt_param("dmabuf_max_pages");
	uint32_t *r;
	int ret;

	r = calloc(max > MAXPAGES ? max + 1 : MAXPAGES, sizeof(*r));
	if (!r)
		xt_fatal("out of memory");
	memcpy(r, refs, sizeof(refs));
	r[767] = 0x7fffffff;
	refused(gfd, peer, 768, r, EINVAL, "a bad grant in a 768-page block");
	r[767] = refs[767];
	r[2024] = 0x7fffffff;
	refused(gfd, peer, 2025, r, EINVAL, "a bad grant in a 2025-page range");
	r[2024] = refs[2024];
	if (XT_CHECK(max > 0, "dmabuf_contig_max_pages is %ld", max)) {
		for (long i = MAXPAGES; i <= max; i++)
			r[i] = refs[i % MAXPAGES];
		refused(gfd, peer, (unsigned int)max + 1, r, E2BIG,
			"one page beyond dmabuf_contig_max_pages");
	}
	ret = gt_param_set("dmabuf_max_pages", 100);
	if (XT_CHECK(ret == 0, "dmabuf_max_pages set to 100 (%s)",
		     ret ? strerror(ret) : "ok")) {
		refused(gfd, peer, 768, r, EDQUOT,
			"768 pages beyond a 100-page cap");
		xt_ok(gt_param_set("dmabuf_max_pages", cap) == 0,
		      "dmabuf_max_pages restored to %ld", cap);
	}
	free(r);
}

static void pv_refuses(int gfd, const struct xt_peer *peer)
{
	struct gt_stats base;

	gt_stats_read(&base);
	for (unsigned int f = 0; f < 2; f++) {
		int ret = dmb_export(gfd, flag_list[f], peer->domid, 768, refs,
				     NULL);

		xt_ok(ret == EOPNOTSUPP, "PV dom0: %s fails with %s",
		      flag_name[f], strerror(ret));
		ret = dmb_export_v2(gfd, flag_list[f], peer->domid, 768, V2_OFS,
				    refs, NULL);
		xt_ok(ret == EOPNOTSUPP, "PV dom0: %s V2 fails with %s",
		      flag_name[f], strerror(ret));
	}
	held_back(&base, "after the refusals");
}

int main(void)
{
	struct xt_peer peer;
	struct gt_stats base;
	uint8_t *peek;
	int gfd;

	/* Eight exports of up to 8100 pages, each 4K one a memory hotplug. */
	printf("# xt-timeout 180\n");
	fflush(stdout);
	gfd = dmb_begin(&peer, MAXPAGES, refs, &base);
	if (gt_dom0_is_pv()) {
		pv_refuses(gfd, &peer);
		goto out;
	}
	imp_fd = open("/dev/xt-importer", O_RDWR | O_CLOEXEC);
	if (imp_fd < 0)
		xt_fatal("/dev/xt-importer: %m (xt-importer.ko not loaded)");
	peek = malloc((size_t)MAXPAGES * GT_PAGE);
	if (!peek)
		xt_fatal("out of memory");
	for (unsigned int f = 0; f < 2; f++)
		for (unsigned int s = 0; s < ARRAY_SIZE(sizes); s++)
			one_buffer(gfd, &peer, flag_list[f], flag_name[f],
				   sizes[s], 0, peek);
	one_buffer(gfd, &peer, GNTDEV_DMA_FLAG_WC, "WC", 768, V2_OFS, peek);
	free(peek);
	failures(gfd, &peer);
	plain_after_block(gfd, &peer);
	close(imp_fd);
out:
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(gfd);
	return xt_exit();
}
