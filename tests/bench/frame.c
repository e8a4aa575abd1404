// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench-frame - dom0's cost, per frame, of showing a guest's 1080p frame
 * (1920x1080 XRGB8888: 2025 pages of the domU's grants), with vgem as
 * the importing device, three ways:
 *  zero-copy	setup: two buffers (double buffering) exported with
 *		DMABUF_EXP_FROM_REFS (of 2 x 2025 refs, or the same 2025
 *		refs twice if the domU grants fewer) and PRIME-imported into
 *		vgem; per frame a "flip": DMA_BUF_IOCTL_SYNC START and END
 *		(DMA_BUF_SYNC_READ) on the buffer of the frame, alternating.
 *		That is the dom0 work of a flip without a scanout device:
 *		the buffer is made coherent for its reader, no pixel moves.
 *		With a real KMS device the flip is one atomic commit of the
 *		imported framebuffer, also without a pixel copy;
 *  copy	setup: the classic MAP_GRANT_REF and mmap() of 2025 refs, and
 *		a vgem dumb buffer of 2025 pages, mmapped (an anonymous
 *		buffer if there is no vgem), both touched; per frame a
 *		memcpy() of the whole frame from the grant mapping into the
 *		dumb buffer (a backend that copies each frame);
 *  grant-copy	setup: a local 2025-page buffer, touched, and one
 *		IOCTL_GNTDEV_GRANT_COPY segment per page (source the domU's
 *		ref, destination the local page); per frame that ioctl,
 *		every segment's status checked (Xen copies the frame).
 * Each case runs a few warm-up frames, then batches of up to 30 frames
 * (fewer when a frame is slow, so the program stays within its time);
 * per batch the rows "us" (wall time a frame) and "cpu_us" (user+system
 * CPU time a frame, getrusage() deltas: what the frames cost dom0's CPU,
 * Xen's work in hypercalls included, as it runs on the same vCPU), and
 * once "setup_us".  After the batches, the destination of copy and
 * grant-copy, and the zero-copy buffers' mmap, must hold the domU's
 * bytes.  With Debian's stock xen-gntdev (no dma-buf) zero-copy is
 * skipped.  A benchmark: its "ok" says a case was measured.
 */
#define _GNU_SOURCE
#include <linux/dma-buf.h>

#include "bench.h"

#define FRAME_PAGES 2025u
#define FRAME_LEN ((size_t)FRAME_PAGES * GT_PAGE)
#define WARMUP 3
#define FRAMES 30
#define BATCHES 10
/* Per case: about so many microseconds of batches at most. */
#define CASE_BUDGET_US 40e6
#define BATCH_BUDGET_US 3e6

#define GNTCOPY_SOURCE_GREF 1

static uint32_t refs[2 * FRAME_PAGES];
static unsigned int nrefs;
static int gfd, vfd = -1;
static uint32_t domid;

/* One way of showing frames: 0 or an errno from each step. */
struct way {
	const char *name;
	int (*setup)(void);
	int (*frame)(unsigned int i);
	bool (*check)(void);
	void (*teardown)(void);
};

/* ---- zero-copy ---- */

static int zc_fd[2] = { -1, -1 };
static uint32_t zc_handle[2];
static bool zc_imported[2];

static const uint32_t *zc_refs(int b)
{
	return b && nrefs >= 2 * FRAME_PAGES ? refs + FRAME_PAGES : refs;
}

static int zc_setup(void)
{
	int ret;

	for (int b = 0; b < 2; b++) {
		ret = dmb_export(gfd, 0, domid, FRAME_PAGES, zc_refs(b),
				 &zc_fd[b]);
		if (ret) {
			zc_fd[b] = -1;
			return ret;
		}
		ret = dmb_prime_import(vfd, zc_fd[b], &zc_handle[b]);
		if (ret)
			return ret;
		zc_imported[b] = true;
	}
	return 0;
}

static int zc_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags | DMA_BUF_SYNC_READ };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? errno : 0;
}

static int zc_frame(unsigned int i)
{
	int fd = zc_fd[i & 1], ret;

	ret = zc_sync(fd, DMA_BUF_SYNC_START);
	if (!ret)
		ret = zc_sync(fd, DMA_BUF_SYNC_END);
	return ret;
}

static bool zc_check(void)
{
	bool ok = true;

	for (int b = 0; b < 2 && ok; b++) {
		uint8_t *m = mmap(NULL, FRAME_LEN, PROT_READ, MAP_SHARED,
				  zc_fd[b], 0);

		if (m == MAP_FAILED)
			return false;
		ok = gt_mismatch(m, zc_refs(b) == refs ? 0 : FRAME_PAGES,
				 FRAME_PAGES, 1) < 0;
		munmap(m, FRAME_LEN);
	}
	return ok;
}

static void zc_teardown(void)
{
	for (int b = 0; b < 2; b++) {
		int ret;

		if (zc_imported[b])
			dmb_gem_close(vfd, zc_handle[b]);
		zc_imported[b] = false;
		if (zc_fd[b] < 0)
			continue;
		ret = bn_close_released(gfd, zc_fd[b]);
		if (ret)
			xt_diag("zero-copy: buffer %d not released: %s", b,
				strerror(ret));
		zc_fd[b] = -1;
	}
}

/* ---- copy ---- */

static volatile const uint8_t *cp_src;
static uint8_t *cp_dst;
static uint64_t cp_index;
static bool cp_mapped;
static int cp_fd = -1;
static uint32_t cp_handle;

static int cp_setup(void)
{
	cp_src = MAP_FAILED;
	cp_dst = MAP_FAILED;
	if (gt_map(gfd, (int)domid, refs, FRAME_PAGES, &cp_index))
		return errno;
	cp_mapped = true;
	cp_src = mmap(NULL, FRAME_LEN, PROT_READ, MAP_SHARED, gfd,
		      (off_t)cp_index);
	if (cp_src == MAP_FAILED)
		return errno;
	for (unsigned int i = 0; i < FRAME_PAGES; i++)
		(void)cp_src[(size_t)i * GT_PAGE];
	if (vfd >= 0) {
		cp_fd = dmb_vgem_dumb(vfd, FRAME_PAGES, &cp_handle);
		if (cp_fd < 0)
			return errno ? errno : EIO;
		cp_dst = mmap(NULL, FRAME_LEN, PROT_READ | PROT_WRITE,
			      MAP_SHARED, cp_fd, 0);
	} else {
		cp_dst = mmap(NULL, FRAME_LEN, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (cp_dst == MAP_FAILED)
		return errno;
	memset(cp_dst, 0, FRAME_LEN);
	return 0;
}

static int cp_frame(unsigned int i)
{
	(void)i;
	memcpy(cp_dst, (const void *)cp_src, FRAME_LEN);
	bn_clobber(cp_dst);
	return 0;
}

static bool cp_check(void)
{
	return gt_mismatch(cp_dst, 0, FRAME_PAGES, 1) < 0;
}

static void cp_teardown(void)
{
	if (cp_dst != MAP_FAILED)
		munmap(cp_dst, FRAME_LEN);
	if (cp_src != MAP_FAILED)
		munmap((void *)cp_src, FRAME_LEN);
	if (cp_mapped && gt_unmap(gfd, cp_index, FRAME_PAGES))
		xt_diag("copy: UNMAP_GRANT_REF: %m");
	cp_mapped = false;
	if (cp_fd >= 0) {
		close(cp_fd);
		dmb_gem_close(vfd, cp_handle);
		cp_fd = -1;
	}
}

/* ---- grant-copy ---- */

static uint8_t *gc_buf = MAP_FAILED;
static struct gntdev_grant_copy_segment *gc_seg;

static int gc_setup(void)
{
	gc_buf = mmap(NULL, FRAME_LEN, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (gc_buf == MAP_FAILED)
		return errno;
	memset(gc_buf, 0, FRAME_LEN);
	gc_seg = calloc(FRAME_PAGES, sizeof(*gc_seg));
	if (!gc_seg)
		return errno;
	for (unsigned int i = 0; i < FRAME_PAGES; i++) {
		struct gntdev_grant_copy_segment *s = &gc_seg[i];

		s->source.foreign.ref = refs[i];
		s->source.foreign.domid = (domid_t)domid;
		s->source.foreign.offset = 0;
		s->dest.virt = gc_buf + (size_t)i * GT_PAGE;
		s->len = GT_PAGE;
		s->flags = GNTCOPY_SOURCE_GREF;
	}
	return 0;
}

static int gc_frame(unsigned int i)
{
	struct ioctl_gntdev_grant_copy c = {
		.count = FRAME_PAGES, .segments = gc_seg,
	};
	int ret = 0;

	(void)i;
	/* A segment the driver skipped keeps this status. */
	for (unsigned int p = 0; p < FRAME_PAGES; p++)
		gc_seg[p].status = 1;
	if (ioctl(gfd, IOCTL_GNTDEV_GRANT_COPY, &c))
		return errno;
	for (unsigned int p = 0; p < FRAME_PAGES && !ret; p++)
		if (gc_seg[p].status) {
			xt_diag("grant-copy: segment %u status %d", p,
				gc_seg[p].status);
			ret = EIO;
		}
	return ret;
}

static bool gc_check(void)
{
	return gt_mismatch(gc_buf, 0, FRAME_PAGES, 1) < 0;
}

static void gc_teardown(void)
{
	if (gc_buf != MAP_FAILED)
		munmap(gc_buf, FRAME_LEN);
	gc_buf = MAP_FAILED;
	free(gc_seg);
	gc_seg = NULL;
}

static const struct way zero_copy = {
	"zero-copy", zc_setup, zc_frame, zc_check, zc_teardown,
};

static const struct way copy = {
	"copy", cp_setup, cp_frame, cp_check, cp_teardown,
};

static const struct way grant_copy = {
	"grant-copy", gc_setup, gc_frame, gc_check, gc_teardown,
};

/* ---- the measurement ---- */

static void measure(const struct way *w)
{
	double wall[BATCHES], cpu[BATCHES], est;
	unsigned int frames = FRAMES, batches = BATCHES, n = 0, b;
	uint64_t t0;
	int ret;

	t0 = bn_ns();
	ret = w->setup();
	if (ret) {
		xt_diag("frame, %s: setup failed: %s", w->name, strerror(ret));
		bn_row("frame", w->name, FRAME_PAGES, 0, "errno", ret);
		goto out;
	}
	bn_row("frame", w->name, FRAME_PAGES, 0, "setup_us",
	       bn_us(t0, bn_ns()));
	xt_diag("frame, %s: set up in %.1f ms", w->name,
		bn_us(t0, bn_ns()) / 1e3);

	/* Warm up, and size the batches by the cost of a frame. */
	t0 = bn_ns();
	for (unsigned int i = 0; i < WARMUP && !ret; i++)
		ret = w->frame(n++);
	est = bn_us(t0, bn_ns()) / WARMUP;
	if (est * frames > BATCH_BUDGET_US)
		frames = est > BATCH_BUDGET_US / 5 ? 5 :
			 (unsigned int)(BATCH_BUDGET_US / est);
	if (est * frames * batches > CASE_BUDGET_US)
		batches = est * frames * 3 > CASE_BUDGET_US ? 3 :
			  (unsigned int)(CASE_BUDGET_US / (est * frames));

	for (b = 0; b < batches && !ret; b++) {
		double c0 = bn_cpu_us();
		unsigned int i;

		t0 = bn_ns();
		for (i = 0; i < frames && !ret; i++)
			ret = w->frame(n++);
		if (ret)
			break;
		wall[b] = bn_us(t0, bn_ns()) / frames;
		cpu[b] = (bn_cpu_us() - c0) / frames;
		bn_row("frame", w->name, FRAME_PAGES, b, "us", wall[b]);
		bn_row("frame", w->name, FRAME_PAGES, b, "cpu_us", cpu[b]);
		bn_flush();
	}
	if (ret) {
		xt_diag("frame, %s: frame %u failed: %s", w->name, n,
			strerror(ret));
		bn_row("frame", w->name, FRAME_PAGES, 0, "errno", ret);
	} else if (!w->check()) {
		xt_diag("frame, %s: the frame does not hold the domU's bytes",
			w->name);
		ret = EIO;
	} else {
		xt_diag("frame, %s: %u x %u frames, a frame: wall %.1f us, CPU %.1f us",
			w->name, b, frames, bn_median(wall, b),
			bn_median(cpu, b));
	}
out:
	bn_flush();
	w->teardown();
	xt_ok(!ret, "frame, %s: measured", w->name);
}

int main(void)
{
	static const unsigned int ask[] = { 2 * FRAME_PAGES, FRAME_PAGES };
	uint64_t start = bn_ns();
	struct gt_stats base;
	struct xt_peer peer;
	bool dmabuf;

	printf("# xt-timeout 240\n");
	fflush(stdout);
	gt_need_domu();
	domid = (uint32_t)xt_domu_id();
	gfd = gt_open();
	gt_stats_read(&base);
	dmabuf = bn_has_export(gfd);
	vfd = dmb_open_vgem();
	xt_diag("dom0: %s, %s xen-gntdev, %s", gt_dom0_is_pv() ? "PV" : "PVH",
		dmabuf ? "our" : "a stock (no dma-buf)",
		vfd >= 0 ? "vgem" : "no vgem (copy goes to anonymous memory)");
	nrefs = bn_grants_upto(&peer, ask, ARRAY_SIZE(ask), refs);
	if (!nrefs)
		xt_fatal("the domU grants not even %u pages", FRAME_PAGES);

	if (!dmabuf)
		xt_skip("stock xen-gntdev: no dma-buf export",
			"frame, zero-copy: measured");
	else if (vfd < 0)
		xt_skip("no vgem", "frame, zero-copy: measured");
	else
		measure(&zero_copy);
	measure(&copy);
	measure(&grant_copy);

	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	bn_stats_check(&base, GT_SET_CLASSIC | GT_SET_DMABUF |
			      GT_BIT(GT_DMABUF_PAGES), "after the frames");
	xt_diag("bench-frame took %.0f s", bn_us(start, bn_ns()) / 1e6);
	if (vfd >= 0)
		close(vfd);
	close(gfd);
	return xt_exit();
}
