// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-mmap - CPU access to an exported buffer through mmap() of the
 * dma-buf fd: the mapping is the domU's memory itself (no copy) in both
 * directions, DMA_BUF_IOCTL_SYNC brackets work, private or oversized
 * mappings are refused, a V2 buffer maps whole pages with its data at
 * data_ofs, and everything returns to the baseline.
 */
#define _GNU_SOURCE
#include <linux/dma-buf.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "dmabuf-util.h"

#define NPAGES 4

static sigjmp_buf fault_jmp;

static void on_fault(int sig)
{
	siglongjmp(fault_jmp, sig);
}

/* Does reading *p raise SIGBUS or SIGSEGV? */
static bool faults(volatile uint8_t *p)
{
	struct sigaction sa = { .sa_handler = on_fault }, obus, osegv;
	bool hit = true;

	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	if (!sigsetjmp(fault_jmp, 1)) {
		(void)*p;
		hit = false;
	}
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	return hit;
}

static int sync_ioctl(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? errno : 0;
}

int main(void)
{
	uint32_t refs[NPAGES];
	struct gt_stats base;
	struct xt_peer peer;
	int gfd, fd, err;
	uint8_t *mem;

	gfd = dmb_begin(&peer, NPAGES, refs, &base);
	fd = dmb_export_all(gfd, &peer, NPAGES, refs);

	/* ---- negative ---- */
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		   fd, 0);
	xt_ok(mem == MAP_FAILED && errno == EINVAL, "MAP_PRIVATE: EINVAL");
	if (mem != MAP_FAILED)
		munmap(mem, NPAGES * GT_PAGE);
	mem = mmap(NULL, (NPAGES + 1) * GT_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	xt_ok(mem == MAP_FAILED && errno == EINVAL, "longer than the buffer: EINVAL");
	if (mem != MAP_FAILED)
		munmap(mem, (NPAGES + 1) * GT_PAGE);
	mem = mmap(NULL, 2 * GT_PAGE, PROT_READ, MAP_SHARED, fd,
		   (NPAGES - 1) * GT_PAGE);
	xt_ok(mem == MAP_FAILED && errno == EINVAL, "offset + length past the end: EINVAL");
	if (mem != MAP_FAILED)
		munmap(mem, 2 * GT_PAGE);
	xt_ok(sync_ioctl(fd, 0x80) == EINVAL, "SYNC with an unknown flag: EINVAL");

	/* ---- positive ---- */
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (!XT_CHECK(mem != MAP_FAILED, "mmap of the whole buffer (%s)",
		      mem == MAP_FAILED ? strerror(errno) : "ok"))
		xt_fatal("cannot continue without the mapping");
	xt_ok(sync_ioctl(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ) == 0,
	      "SYNC_START|READ");
	xt_ok(gt_mismatch(mem, 0, NPAGES, 1) < 0, "dom0 reads the bytes the domU wrote");
	xt_ok(sync_ioctl(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ) == 0,
	      "SYNC_END|READ");
	xt_ok(sync_ioctl(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW) == 0,
	      "SYNC_START|RW");
	gt_fill(mem, 0, NPAGES, 2);
	xt_ok(sync_ioctl(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW) == 0,
	      "SYNC_END|RW");
	xt_ok(gt_peer_ok(&peer, "check 2"), "the domU reads the bytes dom0 wrote");
	xt_ok(gt_peer_ok(&peer, "fill 3") && gt_mismatch(mem, 0, NPAGES, 3) < 0,
	      "a later domU write shows through the same mapping (no copy)");
	{
		/* A partial mapping at a page offset sees the same memory. */
		uint8_t *part = mmap(NULL, GT_PAGE, PROT_READ | PROT_WRITE,
				     MAP_SHARED, fd, 2 * GT_PAGE);

		xt_ok(part != MAP_FAILED && part[17] == xt_pattern(3, 2, 17),
		      "mmap at page offset 2 maps page 2");
		if (part != MAP_FAILED) {
			uint8_t flipped = (uint8_t)~xt_pattern(3, 2, 17);

			part[17] = flipped;
			xt_ok(mem[2 * GT_PAGE + 17] == flipped,
			      "both mappings are the same memory");
			part[17] = xt_pattern(3, 2, 17);
			munmap(part, GT_PAGE);
		}
	}
	{
		/*
		 * Page-table rewrites.  PV dom0: protection changes are
		 * refused (EACCES) and a moved mapping arrives empty
		 * (SIGBUS).  PVH: both work like on any driver mapping.
		 * Neither may make the kernel warn (the harness fails the
		 * run on any warning).
		 */
		bool pv = gt_dom0_is_pv();
		int r = mprotect(mem, GT_PAGE, PROT_READ);
		uint8_t *moved;

		xt_ok(pv ? r && errno == EACCES : r == 0,
		      "mprotect read-only: %s (%s)", pv ? "EACCES" : "allowed",
		      r ? strerror(errno) : "allowed");
		if (r == 0)
			mprotect(mem, GT_PAGE, PROT_READ | PROT_WRITE);
		xt_ok(mprotect(mem, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE) == 0,
		      "mprotect to the same protection is fine");
		/* mprotect may have split the vma: mremap a fresh mapping. */
		munmap(mem, NPAGES * GT_PAGE);
		mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fd, 0);
		if (mem == MAP_FAILED)
			xt_fatal("mmap again: %m");
		moved = mremap(mem, NPAGES * GT_PAGE, NPAGES * GT_PAGE,
			       MREMAP_MAYMOVE | MREMAP_FIXED,
			       mem + 64 * NPAGES * GT_PAGE);
		if (XT_CHECK(moved != MAP_FAILED, "mremap away (%s)",
			     moved == MAP_FAILED ? strerror(errno) : "ok")) {
			mem = moved;
			if (pv)
				xt_ok(faults(mem + 5), "PV: the moved mapping is empty (SIGBUS)");
			else
				xt_ok(!faults(mem + 5) && gt_mismatch(mem, 0, NPAGES, 3) < 0,
				      "PVH: the bytes moved along");
		}
		munmap(mem, NPAGES * GT_PAGE);
		mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fd, 0);
		xt_ok(mem != MAP_FAILED && gt_mismatch(mem, 0, NPAGES, 3) < 0,
		      "a new mapping shows the bytes again");
		if (mem != MAP_FAILED) {
			/* Split: unmap the middle, keep both ends. */
			xt_ok(munmap(mem + GT_PAGE, GT_PAGE) == 0 &&
			      mem[5] == xt_pattern(3, 0, 5) &&
			      mem[2 * GT_PAGE + 5] == xt_pattern(3, 2, 5),
			      "partial munmap keeps the rest mapped");
			munmap(mem, GT_PAGE);
			munmap(mem + 2 * GT_PAGE, (NPAGES - 2) * GT_PAGE);
		}
		/* A process that exits with the buffer mapped. */
		pid_t pid = fork();
		int st = -1;

		if (pid == 0) {
			volatile uint8_t *m = mmap(NULL, NPAGES * GT_PAGE,
						   PROT_READ | PROT_WRITE,
						   MAP_SHARED, fd, 0);

			_exit(m != MAP_FAILED && m[7] == xt_pattern(3, 0, 7) ?
			      0 : 1);
		}
		xt_ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 0,
		      "a child maps the fd, reads it and exits still mapped");
		mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	}
	munmap(mem, NPAGES * GT_PAGE);
	close(fd);
	gt_stats_check(&base, GT_SET_DMABUF, "after munmap and close");

	/* ---- V2: data offset ---- */
	err = dmb_export_v2(gfd, 0, peer.domid, NPAGES, 256, refs, &fd);
	xt_ok(err == 0, "V2 export, data_ofs 256");
	if (!err) {
		/*
		 * The size is count whole pages; mmap() covers all of them
		 * and nothing beyond.
		 */
		mem = mmap(NULL, (NPAGES + 1) * GT_PAGE, PROT_READ, MAP_SHARED,
			   fd, 0);
		xt_ok(mem == MAP_FAILED && errno == EINVAL,
		      "V2: mapping past the last page is refused (EINVAL)");
		if (mem != MAP_FAILED)
			munmap(mem, (NPAGES + 1) * GT_PAGE);
		mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fd, 0);
		xt_ok(mem != MAP_FAILED && gt_mismatch(mem, 0, NPAGES, 3) < 0,
		      "V2 mmap maps all count pages, from the start of page 0");
		if (mem != MAP_FAILED) {
			char *rep;

			mem[256] = 0xA5;
			rep = xt_peer_call(&peer, 20000, "byte 0 256");
			xt_ok(rep && atoi(rep) == 0xA5,
			      "byte data_ofs of the mapping is byte 256 of page 0 (%s)",
			      rep ? rep : "no answer");
			free(rep);
			munmap(mem, NPAGES * GT_PAGE);
		}
		close(fd);
	}
	gt_stats_check(&base, GT_SET_DMABUF, "at the end");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(gfd);
	return xt_exit();
}
