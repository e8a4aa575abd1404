// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-copy - GRANT_COPY with our xen-gntdev: malformed segments are
 * EINVAL, a bad grant gets a per-segment error status, and data moves
 * correctly both ways, including a local buffer straddling pages and
 * batches longer than one hypercall.
 */
#define _GNU_SOURCE
#include "gntdev-test.h"

#define NPAGES 2
#define GNTCOPY_SRC 1
#define GNTCOPY_DST 2
#define NSEG 40

static int copy(int fd, struct gntdev_grant_copy_segment *s, unsigned int n)
{
	struct ioctl_gntdev_grant_copy c = { .count = n, .segments = s };

	return ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &c);
}

/*
 * One segment between grant @ref of @domid (at @off) and the local buffer
 * @local: from the grant with @to_grant false, to it with @to_grant true.
 * The status is set to 1 so that a segment the driver skips shows.
 */
static void segment(struct gntdev_grant_copy_segment *s, bool to_grant,
		    int domid, uint32_t ref, uint16_t off, void *local,
		    uint16_t len)
{
	struct gntdev_grant_copy_segment seg = { .len = len, .status = 1 };

	if (to_grant) {
		seg.dest.foreign.ref = ref;
		seg.dest.foreign.domid = domid;
		seg.dest.foreign.offset = off;
		seg.source.virt = local;
		seg.flags = GNTCOPY_DST;
	} else {
		seg.source.foreign.ref = ref;
		seg.source.foreign.domid = domid;
		seg.source.foreign.offset = off;
		seg.dest.virt = local;
		seg.flags = GNTCOPY_SRC;
	}
	*s = seg;
}

static void from_grant(struct gntdev_grant_copy_segment *s, int domid,
		       uint32_t ref, uint16_t off, void *dst, uint16_t len)
{
	segment(s, false, domid, ref, off, dst, len);
}

static void to_grant(struct gntdev_grant_copy_segment *s, int domid,
		     uint32_t ref, uint16_t off, void *src, uint16_t len)
{
	segment(s, true, domid, ref, off, src, len);
}

int main(void)
{
	struct gntdev_grant_copy_segment seg[NSEG];
	uint32_t refs[NPAGES];
	struct gt_stats base;
	struct xt_peer peer;
	uint8_t *buf;
	bool ok;
	int fd, d;

	fd = gt_begin(&peer, NPAGES, refs, &base);
	d = peer.domid;
	buf = mmap(NULL, 4 * GT_PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		xt_fatal("mmap: %m");

	/* ---- malformed ---- */
	from_grant(&seg[0], d, refs[0], 100, buf, GT_PAGE - 99);
	errno = 0;
	xt_ok(copy(fd, seg, 1) == -1 && errno == EINVAL,
	      "grant side crossing its page -> EINVAL (%m)");
	from_grant(&seg[0], d, refs[0], 0, buf, 16);
	seg[0].flags = 0;
	seg[0].source.virt = buf + 64;
	errno = 0;
	xt_ok(copy(fd, seg, 1) == -1 && errno == EINVAL,
	      "both sides local -> EINVAL (%m)");
	from_grant(&seg[0], d, refs[0], 0, buf, 16);
	seg[0].flags |= 0x4;
	errno = 0;
	xt_ok(copy(fd, seg, 1) == -1 && errno == EINVAL,
	      "unknown flag bit -> EINVAL (%m)");
	from_grant(&seg[0], 0x7ff0, refs[0], 0, buf, 16);
	errno = 0;
	xt_ok(copy(fd, seg, 1) == -1 && errno == EINVAL,
	      "reserved domid -> EINVAL (%m)");
	from_grant(&seg[0], d, refs[0], 0, buf, GT_PAGE + 1);
	errno = 0;
	xt_ok(copy(fd, seg, 1) == -1 && errno == EINVAL,
	      "len over a page -> EINVAL (%m)");
	from_grant(&seg[0], d, refs[0], 0, (void *)16, 16);
	errno = 0;
	xt_ok(copy(fd, seg, 1) == -1 && errno == EFAULT,
	      "unmapped local buffer -> EFAULT (%m)");
	errno = 0;
	xt_ok(copy(fd, (void *)16, 1) == -1 && errno == EFAULT,
	      "unreadable segment array -> EFAULT (%m)");
	xt_ok(copy(fd, seg, 0) == 0, "count 0 is a no-op");

	/* ---- a bad grant: the call succeeds, the segment fails ---- */
	from_grant(&seg[0], d, 0x7ffffff, 0, buf, 16);
	from_grant(&seg[1], d, refs[0], 0, buf, GT_PAGE);
	xt_ok(copy(fd, seg, 2) == 0 && seg[0].status < 0 && seg[1].status == 0,
	      "bad ref: status %d, good neighbour: status %d",
	      seg[0].status, seg[1].status);

	/* ---- grant -> local, straddling local pages ---- */
	from_grant(&seg[0], d, refs[0], 0, buf + 100, GT_PAGE);
	from_grant(&seg[1], d, refs[1], 0, buf + GT_PAGE + 100 + GT_PAGE, GT_PAGE);
	ok = copy(fd, seg, 2) == 0 && !seg[0].status && !seg[1].status &&
	     gt_mismatch(buf + 100, 0, 1, 1) < 0 &&
	     gt_mismatch(buf + GT_PAGE + 100 + GT_PAGE, 1, 1, 1) < 0;
	xt_ok(ok, "grant -> local into buffers straddling pages");

	/* ---- local -> grant, many segments (several batches) ---- */
	gt_fill(buf + 50, 0, NPAGES, 8);
	for (unsigned int i = 0; i < NSEG; i++) {
		unsigned int p = i / (NSEG / NPAGES);
		unsigned int chunk = GT_PAGE / (NSEG / NPAGES);
		unsigned int off = (i % (NSEG / NPAGES)) * chunk;

		if (i % (NSEG / NPAGES) == NSEG / NPAGES - 1)
			chunk = GT_PAGE - off;
		to_grant(&seg[i], d, refs[p], off, buf + p * GT_PAGE + 50 + off,
			 chunk);
	}
	ok = copy(fd, seg, NSEG) == 0;
	for (unsigned int i = 0; ok && i < NSEG; i++)
		ok = seg[i].status == 0;
	xt_ok(ok, "local -> grant in %d segments, all statuses 0", NSEG);
	xt_ok(gt_peer_ok(&peer, "check 8"), "the domU sees the copied pattern");

	munmap(buf, 4 * GT_PAGE);
	close(fd);
	gt_stats_check(&base, GT_SET_CLASSIC, "after close");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
