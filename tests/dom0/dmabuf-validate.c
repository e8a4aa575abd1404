// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-validate - every argument rule of DMABUF_EXP_FROM_REFS(_V2):
 * each malformed call fails with its documented errno and leaves nothing
 * behind; one bad ref among good ones fails the whole export with nothing
 * mapped; then a good export yields an O_CLOEXEC fd of the right size.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "dmabuf-util.h"

#define NPAGES 4

static void expect(int got, int want, const char *what)
{
	xt_ok(got == want, "%s: %s (got %s)", what, strerror(want),
	      got ? strerror(got) : "success");
}

int main(void)
{
	uint32_t refs[NPAGES], bad[NPAGES];
	struct gt_stats base;
	struct xt_peer peer;
	long limit;
	uint32_t *many;
	int gfd, fd = -1, fd2 = -1, domid;
	off_t size;

	gt_need_domu();
	gfd = gt_open();
	gt_stats_read(&base);
	if (base.v[GT_DMABUF_EXPORTS] < 0)
		xt_diag("no gntdev stats (stock module?): leak checks will fail");
	if (dmb_export(gfd, 0, 0, 0, NULL, NULL) == ENOTTY)
		xt_skip_all("gntdev without dma-buf export (ENOTTY)");
	gt_grants(&peer, NPAGES, "", refs, NULL);
	domid = peer.domid;

	/* ---- argument checks, before anything is mapped ---- */
	expect(dmb_export(gfd, 1u << 2, domid, NPAGES, refs, NULL), EINVAL,
	       "unknown flag bit 2");
	expect(dmb_export(gfd, 1u << 31, domid, NPAGES, refs, NULL), EINVAL,
	       "unknown flag bit 31");
	expect(dmb_export(gfd, GNTDEV_DMA_FLAG_WC | GNTDEV_DMA_FLAG_COHERENT,
			  domid, NPAGES, refs, NULL), EINVAL, "WC|COHERENT");
	/* PVH takes both flags (dmabuf-contig); no PV dom0 can. */
	if (gt_dom0_is_pv()) {
		expect(dmb_export(gfd, GNTDEV_DMA_FLAG_WC, domid, NPAGES, refs,
				  NULL), EOPNOTSUPP, "WC backing in a PV dom0");
		expect(dmb_export(gfd, GNTDEV_DMA_FLAG_COHERENT, domid, NPAGES,
				  refs, NULL), EOPNOTSUPP,
		       "COHERENT backing in a PV dom0");
	}
	expect(dmb_export(gfd, 0, 0x7FF0, NPAGES, refs, NULL), EINVAL,
	       "domid DOMID_FIRST_RESERVED");
	expect(dmb_export(gfd, 0, 0x7FF2, NPAGES, refs, NULL), EINVAL,
	       "domid DOMID_SELF");
	expect(dmb_export(gfd, 0, 0xFFFF, NPAGES, refs, NULL), EINVAL,
	       "domid 0xFFFF");
	expect(dmb_export(gfd, 0, 0x10000u | (uint32_t)domid, NPAGES, refs,
			  NULL), EINVAL, "domid 0x10000|domU is not truncated");
	expect(dmb_export(gfd, 0, 0x80000000u | (uint32_t)domid, NPAGES, refs,
			  NULL), EINVAL, "domid with bit 31 set");
	expect(dmb_export(gfd, 0, domid, 0, refs, NULL), EINVAL, "count 0");
	limit = gt_param("limit");
	if (limit > 0 && limit < 0x100000) {
		many = calloc(limit + 1, sizeof(*many));
		if (!many)
			xt_fatal("out of memory");
		expect(dmb_export(gfd, 0, domid, (uint32_t)limit + 1, many, NULL),
		       EINVAL, "count = limit + 1");
		free(many);
	} else {
		xt_skip("module parameter 'limit' unreadable", "count > limit");
	}
	{
		/* Only the header: the count is refused before refs are read. */
		struct ioctl_gntdev_dmabuf_exp_from_refs op = {
			.count = 0xFFFFFFFFu, .domid = (uint32_t)domid,
		};

		xt_ok(ioctl(gfd, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, &op) &&
		      errno == EINVAL, "count 0xFFFFFFFF: EINVAL");
	}
	expect(dmb_export_v2(gfd, 0, domid, NPAGES, GT_PAGE, refs, NULL),
	       EINVAL, "V2 data_ofs = PAGE_SIZE");
	expect(dmb_export_v2(gfd, 0, domid, NPAGES, 0xFFFFFFFFu, refs, NULL),
	       EINVAL, "V2 data_ofs = 0xFFFFFFFF");
	xt_ok(ioctl(gfd, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, NULL) && errno == EFAULT,
	      "NULL argument: EFAULT");
	xt_ok(ioctl(gfd, IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED, (void *)8) &&
	      errno == EFAULT, "WAIT with a bad pointer: EFAULT");
	{
		/* The refs array runs off the end of a mapping: EFAULT. */
		long pg = sysconf(_SC_PAGESIZE);
		uint8_t *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct ioctl_gntdev_dmabuf_exp_from_refs *op;

		if (m == MAP_FAILED)
			xt_fatal("mmap: %m");
		munmap(m + pg, pg);
		op = (void *)(m + pg - sizeof(*op));
		op->flags = 0;
		op->count = 2;	/* refs[1] lies past the mapping */
		op->domid = domid;
		op->refs[0] = refs[0];
		xt_ok(ioctl(gfd, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, op) &&
		      errno == EFAULT, "refs array past the mapping: EFAULT");
		munmap(m, pg);
	}
	gt_stats_check(&base, GT_SET_DMABUF, "after the argument checks");

	/* ---- grant failures: the whole call fails, nothing stays mapped ---- */
	memcpy(bad, refs, sizeof(bad));
	bad[NPAGES - 1] = 0x00FFFFFF;
	expect(dmb_export(gfd, 0, domid, NPAGES, bad, NULL), EINVAL,
	       "one bad ref among good ones");
	gt_stats_check(&base, GT_SET_DMABUF, "after a partial map failure");
	memcpy(bad, refs, sizeof(bad));
	bad[0] = 0x00FFFFFF;
	expect(dmb_export(gfd, 0, domid, NPAGES, bad, NULL), EINVAL,
	       "bad first ref");
	expect(dmb_export(gfd, 0, 0x7FEF, NPAGES, refs, NULL), EINVAL,
	       "domid of no domain (0x7FEF)");
	expect(dmb_export(gfd, 0, 0, NPAGES, refs, NULL), EINVAL,
	       "refs of the wrong domain (dom0)");
	gt_stats_check(&base, GT_SET_DMABUF, "after failed maps");

	/* ---- the good export ---- */
	expect(dmb_export(gfd, 0, domid, NPAGES, refs, &fd), 0, "good export");
	xt_ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	      "the dma-buf fd is close-on-exec");
	size = lseek(fd, 0, SEEK_END);
	xt_ok(size == NPAGES * GT_PAGE, "size is count pages (%lld)",
	      (long long)size);
	xt_ok(gt_stat(GT_DMABUF_EXPORTS) == base.v[GT_DMABUF_EXPORTS] + 1 &&
	      gt_stat(GT_DMABUF_GRANTS) ==
	      base.v[GT_DMABUF_GRANTS] + NPAGES * dmb_grants_per_page(),
	      "counters: one export, %ld grant mappings",
	      NPAGES * dmb_grants_per_page());
	xt_ok(dmb_export(gfd, 0, domid, NPAGES, refs, &fd2) == 0 && fd2 != fd,
	      "the same grants can be exported twice at once");
	close(fd2);
	close(fd);
	xt_ok(dmb_wait(gfd, fd, 0) == ENOENT,
	      "WAIT after the last close: ENOENT (already released)");

	/* V2: whole pages whatever the data offset (importers assume it). */
	{
		static const uint32_t ofs[] = { 0, 1, 100, 256, 2048, 4095 };

		for (unsigned int i = 0; i < ARRAY_SIZE(ofs); i++) {
			size = -1;
			fd = -1;
			expect(dmb_export_v2(gfd, 0, domid, NPAGES, ofs[i], refs,
					     &fd), 0, "V2 export");
			if (fd >= 0)
				size = lseek(fd, 0, SEEK_END);
			xt_ok(size == NPAGES * GT_PAGE,
			      "V2 data_ofs %u: size is count whole pages (%lld)",
			      ofs[i], (long long)size);
			if (fd >= 0)
				close(fd);
		}
	}

	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	gt_stats_check(&base, GT_SET_DMABUF, "at the end");
	close(gfd);
	return xt_exit();
}
