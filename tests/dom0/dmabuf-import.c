// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-import - DMABUF_IMP_TO_REFS (_V2) and DMABUF_IMP_RELEASE: a
 * local dma-buf (a vgem dumb buffer; a udmabuf where /dev/udmabuf
 * exists) is granted to the domU, which maps the refs with its own,
 * stock gntdev (peer map-refs): bytes cross both ways, checked in both
 * domains; so is a buffer whose data starts inside its first page
 * (tests/modules/xt-exporter) through IMP_TO_REFS_V2.  A release while
 * the domU still maps the pages is deferred (EBUSY): the buffer stays
 * allocated (dma_buf bufinfo, our counters) and shared, dom0's writes
 * still reach the domU, and it is freed once the domU unmaps.  Bad
 * arguments each get their documented errno with nothing left granted;
 * a closed and reused fd number never releases a different buffer;
 * closing the gntdev file releases every import the same safe way.
 * Last, it leaves one import released while a "hold" peer still maps
 * it, for tests/post/dmabuf-import-after-destroy.
 */
#define _GNU_SOURCE
#include <linux/udmabuf.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "dmabuf-util.h"
#include "../modules/xt-exporter/xt-exporter.h"

#define NPAGES 4
#define HELD "/run/xt-dmabuf-import.held"

static int gfd;
static uint32_t domid;

/* ---- the ioctls ---- */

/* IMP_TO_REFS (@v2: _V2 with @reserved); 0 or an errno. */
static int imp(int g, int fd, uint32_t count, uint32_t dom, bool v2,
	       uint32_t reserved, uint32_t *refs, uint32_t *data_ofs)
{
	size_t n = count ? count : 1;
	int ret;

	if (v2) {
		struct ioctl_gntdev_dmabuf_imp_to_refs_v2 *op;

		op = calloc(1, sizeof(*op) + n * sizeof(op->refs[0]));
		if (!op)
			xt_fatal("out of memory");
		*op = (struct ioctl_gntdev_dmabuf_imp_to_refs_v2) {
			.fd = fd, .count = count, .domid = dom,
			.reserved = reserved, .data_ofs = 0xdead,
		};
		ret = ioctl(g, IOCTL_GNTDEV_DMABUF_IMP_TO_REFS_V2, op) ?
		      errno : 0;
		if (!ret && refs)
			memcpy(refs, op->refs, count * sizeof(*refs));
		if (!ret && data_ofs)
			*data_ofs = op->data_ofs;
		free(op);
	} else {
		struct ioctl_gntdev_dmabuf_imp_to_refs *op;

		op = calloc(1, sizeof(*op) + n * sizeof(op->refs[0]));
		if (!op)
			xt_fatal("out of memory");
		*op = (struct ioctl_gntdev_dmabuf_imp_to_refs) {
			.fd = fd, .count = count, .domid = dom,
			.reserved = reserved,
		};
		ret = ioctl(g, IOCTL_GNTDEV_DMABUF_IMP_TO_REFS, op) ? errno : 0;
		if (!ret && refs)
			memcpy(refs, op->refs, count * sizeof(*refs));
		free(op);
	}
	return ret;
}

static int imp_release(int g, int fd)
{
	struct ioctl_gntdev_dmabuf_imp_release op = { .fd = fd };

	return ioctl(g, IOCTL_GNTDEV_DMABUF_IMP_RELEASE, &op) ? errno : 0;
}

/* ---- buffers ---- */

struct buf {
	int fd;			/* the dma-buf */
	uint8_t *mem;		/* its mmap, NPAGES pages */
	unsigned long ino;	/* its inode, as bufinfo lists it */
	int vgem;		/* -1, or the vgem fd holding a GEM handle */
	uint32_t handle;
};

static void buf_map(struct buf *b)
{
	struct stat st;

	b->mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE,
		      MAP_SHARED, b->fd, 0);
	if (b->mem == MAP_FAILED)
		xt_fatal("mmap of the dma-buf: %m");
	if (fstat(b->fd, &st))
		xt_fatal("fstat: %m");
	b->ino = st.st_ino;
}

/* A vgem dumb buffer of NPAGES pages as a dma-buf, mapped. */
static bool vgem_buf(int vfd, struct buf *b)
{
	b->fd = dmb_vgem_dumb(vfd, NPAGES, &b->handle);
	if (b->fd < 0)
		return false;
	b->vgem = vfd;
	buf_map(b);
	return true;
}

/* A udmabuf over a sealed memfd of NPAGES pages, mapped; false if none. */
static bool udma_buf(struct buf *b)
{
	struct udmabuf_create uc = { .flags = UDMABUF_FLAGS_CLOEXEC,
				     .size = NPAGES * GT_PAGE };
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	int mfd;

	if (dev < 0)
		return false;
	mfd = memfd_create("xt-import", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, NPAGES * GT_PAGE) ||
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK))
		xt_fatal("memfd: %m");
	uc.memfd = mfd;
	b->fd = ioctl(dev, UDMABUF_CREATE, &uc);
	close(mfd);
	close(dev);
	if (b->fd < 0)
		xt_fatal("UDMABUF_CREATE: %m");
	b->vgem = -1;
	buf_map(b);
	return true;
}

static void buf_drop(struct buf *b)
{
	munmap(b->mem, NPAGES * GT_PAGE);
	close(b->fd);
	if (b->vgem >= 0)
		dmb_gem_close(b->vgem, b->handle);
}

/* Is the dma-buf with inode @ino still listed in bufinfo? */
static bool bufinfo_has(unsigned long ino)
{
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	char line[512], name[64];
	unsigned long size, flags, mode, count, i;
	bool found = false;

	if (!f)
		xt_fatal("bufinfo: %m");
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%lu %lx %lx %lu %63s %lu", &size, &flags,
			       &mode, &count, name, &i) == 6 && i == ino;
	fclose(f);
	return found;
}

/* ---- the domU side ---- */

static bool peer_map(struct xt_peer *p, const uint32_t *refs, bool hold)
{
	return dmb_peer_map(p, refs, NPAGES, hold);
}

/* Wait up to 5 s for counter @c to reach @want. */
static bool stat_becomes(enum gt_counter c, long want)
{
	for (int i = 0; i < 50 && gt_stat(c) != want; i++)
		usleep(100000);
	return gt_stat(c) == want;
}

static bool all_mismatch_free(const uint8_t *mem, uint32_t seed)
{
	long bad = gt_mismatch(mem, 0, NPAGES, seed);

	if (bad >= 0)
		xt_diag("dom0 sees a wrong byte at offset %ld", bad);
	return bad < 0;
}

/* ---- the tests ---- */

static void negative(int vfd)
{
	uint32_t refs[NPAGES + 1];
	long limit = gt_param("limit");
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct buf b;

	if (!vgem_buf(vfd, &b))
		xt_fatal("no vgem dumb buffer: %m");
	xt_ok(imp(gfd, b.fd, 0, domid, false, 0, refs, NULL) == EINVAL,
	      "count 0: EINVAL");
	xt_ok(limit > 0 &&
	      imp(gfd, b.fd, limit + 1, domid, false, 0, NULL, NULL) == EINVAL,
	      "count above limit: EINVAL");
	xt_ok(imp(gfd, b.fd, NPAGES, 0x7ff0, false, 0, refs, NULL) == EINVAL,
	      "reserved domid 0x7ff0: EINVAL");
	xt_ok(imp(gfd, b.fd, NPAGES, 0x10000 | domid, false, 0, refs,
		  NULL) == EINVAL, "wide domid: EINVAL (not truncated)");
	xt_ok(imp(gfd, 999, NPAGES, domid, false, 0, refs, NULL) == EBADF,
	      "closed fd: EBADF");
	xt_ok(imp(gfd, null, NPAGES, domid, false, 0, refs, NULL) == EINVAL,
	      "an fd that is no dma-buf: EINVAL");
	xt_ok(imp(gfd, b.fd, NPAGES + 1, domid, false, 0, refs, NULL) ==
	      EINVAL, "size not count pages: EINVAL");
	xt_ok(imp(gfd, b.fd, NPAGES - 1, domid, true, 0, refs, NULL) ==
	      EINVAL, "V2: size not count pages: EINVAL");
	xt_ok(imp(gfd, b.fd, NPAGES, domid, true, 1, refs, NULL) == EINVAL,
	      "V2: reserved field set: EINVAL");
	xt_ok(imp_release(gfd, b.fd) == ENOENT,
	      "release of a buffer never imported: ENOENT");
	xt_ok(gt_stat(GT_DMABUF_IMPORTS) == 0 &&
	      gt_stat(GT_DMABUF_IMP_GRANTS) == 0,
	      "no import and no grant left by the refusals");
	close(null);
	buf_drop(&b);
}

/* The refs land on a page that cannot be written: all rolled back. */
static void efault(int vfd)
{
	struct ioctl_gntdev_dmabuf_imp_to_refs *op;
	size_t hdr = offsetof(typeof(*op), refs);
	uint8_t *area;
	struct buf b;
	int ret;

	if (!vgem_buf(vfd, &b))
		xt_fatal("no vgem dumb buffer: %m");
	area = mmap(NULL, 2 * GT_PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || mprotect(area + GT_PAGE, GT_PAGE, PROT_READ))
		xt_fatal("mmap: %m");
	op = (void *)(area + GT_PAGE - hdr);
	/* The header only: refs[0] already lies on the read-only page. */
	op->fd = b.fd;
	op->count = NPAGES;
	op->domid = domid;
	op->reserved = 0;
	ret = ioctl(gfd, IOCTL_GNTDEV_DMABUF_IMP_TO_REFS, op) ? errno : 0;
	xt_ok(ret == EFAULT, "refs not writable: EFAULT (got %d)", ret);
	xt_ok(gt_stat(GT_DMABUF_IMPORTS) == 0 &&
	      gt_stat(GT_DMABUF_IMP_GRANTS) == 0,
	      "EFAULT rolled back: no import, no grant left");
	munmap(area, 2 * GT_PAGE);
	buf_drop(&b);
}

static void enospc(int vfd)
{
	const char *param = "dmabuf_imp_max_grants";
	uint32_t refs[NPAGES];
	long old = gt_param(param);
	struct buf b;

	if (!vgem_buf(vfd, &b))
		xt_fatal("no vgem dumb buffer: %m");
	if (old < 0 || gt_param_set(param, NPAGES - 1))
		xt_fatal("cannot set %s", param);
	xt_ok(imp(gfd, b.fd, NPAGES, domid, false, 0, refs, NULL) == ENOSPC,
	      "more grants than dmabuf_imp_max_grants: ENOSPC");
	xt_ok(gt_stat(GT_DMABUF_IMPORTS) == 0 &&
	      gt_stat(GT_DMABUF_IMP_GRANTS) == 0,
	      "ENOSPC rolled back: no import, no grant left");
	gt_param_set(param, old);
	buf_drop(&b);
}

/* Our own export maps the domU's frames: never granted on. */
static void exdev(void)
{
	struct xt_peer gp;
	uint32_t grefs[NPAGES], refs[NPAGES];
	int efd;

	if (xt_grant_peer(&gp, NPAGES, "", grefs, NULL))
		xt_fatal("no grants from the domU");
	efd = dmb_export_all(gfd, &gp, NPAGES, grefs);
	xt_ok(imp(gfd, efd, NPAGES, domid, false, 0, refs, NULL) == EXDEV,
	      "importing our own export (foreign frames): EXDEV");
	xt_ok(gt_stat(GT_DMABUF_IMPORTS) == 0, "and nothing stays imported");
	close(efd);
	xt_peer_finish(&gp);
}

/*
 * Grant @b (seed @seed written by dom0) to the domU and cross bytes both
 * ways; the release while mapped is deferred, freed after the unmap.
 */
static void share(struct buf *b, const char *what, bool v2)
{
	uint32_t refs[NPAGES], ofs = 1;
	unsigned long ino = b->ino;
	struct xt_peer p;
	int ret;

	gt_fill(b->mem, 0, NPAGES, 21);
	ret = imp(gfd, b->fd, NPAGES, domid, v2, 0, refs, &ofs);
	xt_ok(!ret, "%s: %s grants %u pages (%d)", what,
	      v2 ? "IMP_TO_REFS_V2" : "IMP_TO_REFS", NPAGES, ret);
	if (ret)
		return;
	if (v2)
		xt_ok(ofs == 0, "%s: V2 reports data offset 0 (%u)", what, ofs);
	xt_ok(gt_stat(GT_DMABUF_IMPORTS) == 1 &&
	      gt_stat(GT_DMABUF_IMP_GRANTS) == NPAGES,
	      "%s: counters show 1 import, %u grants", what, NPAGES);
	xt_ok(peer_map(&p, refs, false), "%s: the domU maps the refs", what);
	xt_ok(gt_peer_ok(&p, "check 21"), "%s: the domU reads dom0's bytes",
	      what);
	xt_ok(gt_peer_ok(&p, "fill 22") && all_mismatch_free(b->mem, 22),
	      "%s: dom0 reads the domU's bytes", what);

	xt_ok(imp_release(gfd, b->fd) == EBUSY,
	      "%s: release while the domU maps the pages: EBUSY", what);
	xt_ok(imp_release(gfd, b->fd) == ENOENT,
	      "%s: the deferred import is no longer the file's: ENOENT", what);
	gt_fill(b->mem, 0, NPAGES, 23);
	xt_ok(gt_peer_ok(&p, "check 23"),
	      "%s: after the release dom0's writes still reach the domU", what);
	buf_drop(b);
	xt_ok(bufinfo_has(ino) && gt_stat(GT_DMABUF_IMPORTS_DEFERRED) == 1,
	      "%s: fds closed, the buffer stays allocated (bufinfo, deferred 1)",
	      what);
	xt_ok(gt_peer_ok(&p, "unmap"), "%s: the domU unmaps", what);
	xt_ok(stat_becomes(GT_DMABUF_IMPORTS, 0) &&
	      gt_stat(GT_DMABUF_IMPORTS_DEFERRED) == 0 &&
	      gt_stat(GT_DMABUF_IMP_GRANTS) == 0,
	      "%s: then the deferred import is freed", what);
	/* Our last reference goes from a kworker: its fput() is delayed. */
	for (int i = 0; i < 50 && bufinfo_has(ino); i++)
		usleep(100000);
	xt_ok(!bufinfo_has(ino), "%s: and the buffer is gone from bufinfo",
	      what);
	xt_peer_finish(&p);
}

/*
 * A tests/modules/xt-exporter buffer made by CREATE @c: the misc fd (it
 * maps all the buffer's pages), or -1 after a skip of @what.
 */
static int xt_exporter(struct xt_exp_create *c, const char *what)
{
	int dev = open("/dev/xt-exporter", O_RDWR | O_CLOEXEC);

	if (dev >= 0 && !ioctl(dev, XT_EXP_CREATE, c))
		return dev;
	xt_skip("no /dev/xt-exporter (tests/modules/xt-exporter)", "%s", what);
	if (dev >= 0)
		close(dev);
	return -1;
}

/* V2: a buffer whose data starts 256 bytes into its first page. */
static void data_offset(void)
{
	struct xt_exp_create c = { .npages = NPAGES, .data_ofs = 256 };
	uint32_t refs[NPAGES], ofs = 0;
	int dev = xt_exporter(&c, "V2 with a data offset");
	struct xt_peer p;
	struct buf b = { .vgem = -1 };
	int ret;

	if (dev < 0)
		return;
	b.fd = c.fd;
	/* The misc fd maps all the pages (the dma-buf fd would cut one). */
	b.mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE,
		     MAP_SHARED, dev, 0);
	close(dev);
	if (b.mem == MAP_FAILED)
		xt_fatal("mmap of /dev/xt-exporter: %m");
	gt_fill(b.mem, 0, NPAGES, 41);
	xt_ok(imp(gfd, b.fd, NPAGES, domid, false, 0, refs, NULL) == EINVAL,
	      "V1 of a buffer starting inside its first page: EINVAL");
	ret = imp(gfd, b.fd, NPAGES, domid, true, 0, refs, &ofs);
	xt_ok(!ret && ofs == 256,
	      "V2 grants it and reports data offset 256 (%d, offset %u)", ret,
	      ofs);
	xt_ok(peer_map(&p, refs, false) && gt_peer_ok(&p, "check 41"),
	      "offset: the domU maps the pages and reads dom0's bytes");
	xt_ok(gt_peer_ok(&p, "fill 42") && all_mismatch_free(b.mem, 42),
	      "offset: dom0 reads the domU's bytes");
	xt_ok(gt_peer_ok(&p, "unmap") && imp_release(gfd, b.fd) == 0,
	      "offset: released at once after the domU unmapped");
	xt_peer_finish(&p);
	buf_drop(&b);
}

/*
 * An exporter that maps for a device of its own, not the importer's: in
 * a PV dom0 its DMA addresses are xen-swiotlb's (machine frames, bounce
 * slots), which must never be granted (EXDEV); in PVH they are the
 * pages' guest-physical addresses, the very frames, and are granted.
 */
static void own_dma(void)
{
	struct xt_exp_create c = { .npages = NPAGES, .flags = XT_EXP_OWN_DMA };
	int dev = xt_exporter(&c, "an exporter's own DMA addresses");
	uint32_t refs[NPAGES];
	int ret;

	if (dev < 0)
		return;
	close(dev);
	ret = imp(gfd, c.fd, NPAGES, domid, false, 0, refs, NULL);
	if (gt_dom0_is_pv())
		xt_ok(ret == EXDEV,
		      "PV: a table of xen-swiotlb addresses is refused: EXDEV (%d)",
		      ret);
	else
		xt_ok(!ret && imp_release(gfd, c.fd) == 0,
		      "PVH: the exporter's own (guest-physical) addresses are the frames: granted (%d)",
		      ret);
	xt_ok(gt_stat(GT_DMABUF_IMPORTS) == 0 &&
	      gt_stat(GT_DMABUF_IMP_GRANTS) == 0,
	      "own DMA addresses: nothing stays imported or granted");
	close(c.fd);
}

/* A release with nothing mapped is immediate. */
static void release_now(int vfd)
{
	uint32_t refs[NPAGES];
	struct buf b;

	if (!vgem_buf(vfd, &b))
		xt_fatal("no vgem dumb buffer: %m");
	xt_ok(!imp(gfd, b.fd, NPAGES, domid, false, 0, refs, NULL) &&
	      imp_release(gfd, b.fd) == 0 &&
	      gt_stat(GT_DMABUF_IMPORTS) == 0 &&
	      gt_stat(GT_DMABUF_IMP_GRANTS) == 0,
	      "release of an unmapped import: 0, everything returned at once");
	buf_drop(&b);
}

/* A closed fd number reused for another buffer names that buffer. */
static void identity(int vfd)
{
	uint32_t refs[NPAGES];
	struct buf a, b;
	int num;

	if (!vgem_buf(vfd, &a) || !vgem_buf(vfd, &b))
		xt_fatal("no vgem dumb buffer: %m");
	num = a.fd;
	xt_ok(!imp(gfd, a.fd, NPAGES, domid, false, 0, refs, NULL),
	      "buffer A imported as fd %d", num);
	close(a.fd);
	a.fd = -1;
	if (dup2(b.fd, num) != num)
		xt_fatal("dup2: %m");
	close(b.fd);
	b.fd = num;
	xt_ok(imp_release(gfd, num) == ENOENT && gt_stat(GT_DMABUF_IMPORTS) == 1,
	      "fd %d now names buffer B: release is ENOENT, A stays imported",
	      num);
	xt_ok(!imp(gfd, b.fd, NPAGES, domid, false, 0, refs, NULL) &&
	      imp_release(gfd, num) == 0 && gt_stat(GT_DMABUF_IMPORTS) == 1,
	      "B imported on the same number: release drops B, not A");
	close(gfd);
	gfd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	xt_ok(gfd >= 0 && gt_stat(GT_DMABUF_IMPORTS) == 0 &&
	      gt_stat(GT_DMABUF_IMP_GRANTS) == 0,
	      "closing the gntdev file releases A");
	munmap(a.mem, NPAGES * GT_PAGE);
	dmb_gem_close(vfd, a.handle);
	buf_drop(&b);
}

/* Closing the file with one import mapped and one not. */
static void close_outstanding(int vfd)
{
	uint32_t refs[NPAGES], refs2[NPAGES];
	struct buf b, c;
	struct xt_peer p;
	int g = gt_open();

	if (!vgem_buf(vfd, &b) || !vgem_buf(vfd, &c))
		xt_fatal("no vgem dumb buffer: %m");
	if (imp(g, b.fd, NPAGES, domid, false, 0, refs, NULL) ||
	    imp(g, c.fd, NPAGES, domid, false, 0, refs2, NULL))
		xt_fatal("import failed");
	xt_ok(peer_map(&p, refs, false), "close: the domU maps one import");
	close(g);
	xt_ok(gt_stat(GT_DMABUF_IMPORTS) == 1 &&
	      gt_stat(GT_DMABUF_IMPORTS_DEFERRED) == 1 &&
	      gt_stat(GT_DMABUF_IMP_GRANTS) == NPAGES,
	      "closing the file: the unmapped import is freed, the mapped one deferred");
	xt_ok(gt_peer_ok(&p, "unmap") && stat_becomes(GT_DMABUF_IMPORTS, 0) &&
	      gt_stat(GT_DMABUF_IMP_GRANTS) == 0,
	      "and freed once the domU unmaps");
	xt_peer_finish(&p);
	buf_drop(&b);
	buf_drop(&c);
}

/* Leave a deferred import whose peer never lets go (post-suite check). */
static void leave_held(int vfd)
{
	uint32_t refs[NPAGES];
	struct xt_peer p;
	struct buf b;
	FILE *f;

	if (!vgem_buf(vfd, &b) ||
	    imp(gfd, b.fd, NPAGES, domid, false, 0, refs, NULL))
		xt_fatal("import failed");
	xt_ok(peer_map(&p, refs, true), "held: a holding peer maps an import");
	xt_ok(imp_release(gfd, b.fd) == EBUSY &&
	      gt_stat(GT_DMABUF_IMPORTS_DEFERRED) == 1,
	      "held: released while mapped, deferred for the post-suite check");
	buf_drop(&b);
	f = fopen(HELD, "w");
	if (!f || fprintf(f, "%lu\n", b.ino) < 0 || fclose(f))
		xt_fatal(HELD ": %m");
}

int main(void)
{
	struct gt_stats base;
	struct buf b;
	int vfd;

	if (xt_domu_id() < 0)
		xt_skip_all("no domU");
	domid = xt_domu_id();
	gfd = gt_open();
	gt_stats_read(&base);
	if (imp_release(gfd, 0) == ENOTTY)
		xt_skip_all("gntdev without dma-buf import (ENOTTY)");
	if (gt_stat(GT_DMABUF_IMPORTS) == GT_MISSING)
		xt_skip_all("xen-gntdev stats missing: not our module");
	vfd = dmb_open_vgem();
	if (vfd < 0)
		xt_skip_all("no vgem");

	negative(vfd);
	efault(vfd);
	enospc(vfd);
	exdev();
	if (vgem_buf(vfd, &b))
		share(&b, "vgem", false);
	if (vgem_buf(vfd, &b))
		share(&b, "vgem V2", true);
	if (udma_buf(&b))
		share(&b, "udmabuf", false);
	else
		xt_skip("no /dev/udmabuf (6.1 has none)", "udmabuf: shared");
	data_offset();
	own_dma();
	release_now(vfd);
	identity(vfd);
	close_outstanding(vfd);
	gt_stats_check(&base, GT_SET_DMABUF | GT_SET_IMPORT, "after the imports");
	leave_held(vfd);
	close(vfd);
	close(gfd);
	return xt_exit();
}
