// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-tlb - a partial munmap() of a dma-buf mapping takes effect on
 * every CPU.  The page is read (so its TLB entry is warm), then unmapped
 * alone (the kernel frees no page table and has no reason of its own to
 * flush), and a read issued after munmap() returned must fault; a read
 * that succeeds means a stale TLB entry (PV dom0 clears these entries
 * with a hypercall, which flushes nothing itself).  With two CPUs the
 * reader is a thread pinned to CPU 1 spinning on the page while CPU 0
 * unmaps it; with one CPU (the harness's dom0) the same thread reads,
 * unmaps and reads again.  Then the counters return to the baseline.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "dmabuf-util.h"

#define NPAGES 4
#define VICTIM 2

static volatile uint8_t *victim;
static atomic_ulong reads;
static atomic_bool faulted, stop;
static sigjmp_buf reader_jmp;

static void on_segv(int sig)
{
	siglongjmp(reader_jmp, sig);
}

static bool pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !sched_setaffinity(0, sizeof(set), &set);
}

static void *reader(void *arg)
{
	(void)arg;
	if (!pin(1))
		return NULL;
	if (sigsetjmp(reader_jmp, 1)) {
		atomic_store(&faulted, true);
		return NULL;
	}
	while (!atomic_load(&stop)) {
		(void)*victim;
		atomic_fetch_add(&reads, 1);
	}
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_segv };
	uint32_t refs[NPAGES];
	struct gt_stats base;
	struct xt_peer peer;
	unsigned long after;
	pthread_t thr;
	uint8_t *mem;
	int gfd, fd, i;
	bool smp;

	smp = sysconf(_SC_NPROCESSORS_ONLN) >= 2 && pin(0);
	gfd = dmb_begin(&peer, NPAGES, refs, &base);
	fd = dmb_export_all(gfd, &peer, NPAGES, refs);
	mem = dmb_mmap_all(fd, NPAGES);
	victim = mem + VICTIM * GT_PAGE;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	if (!smp) {
		xt_ok(victim[7] == xt_pattern(1, VICTIM, 7),
		      "one CPU: the page reads the domU's bytes");
		xt_ok(munmap(mem + VICTIM * GT_PAGE, GT_PAGE) == 0,
		      "munmap of one page in the middle of the mapping");
		if (!sigsetjmp(reader_jmp, 1)) {
			(void)*victim;
			atomic_store(&reads, 1);
		} else {
			atomic_store(&faulted, true);
		}
		xt_ok(atomic_load(&faulted) && !atomic_load(&reads),
		      "one CPU: a read after munmap faults");
	} else {
		pthread_create(&thr, NULL, reader, NULL);
		for (i = 0; i < 5000 && atomic_load(&reads) < 1000; i++)
			usleep(1000);
		if (!XT_CHECK(atomic_load(&reads) >= 1000,
			      "the reader on CPU 1 reads the mapping"))
			xt_fatal("reader did not start");
		xt_ok(munmap(mem + VICTIM * GT_PAGE, GT_PAGE) == 0,
		      "munmap of one page in the middle of the mapping");
		after = atomic_load(&reads);
		for (i = 0; i < 2000 && !atomic_load(&faulted); i++)
			usleep(1000);
		atomic_store(&stop, true);
		pthread_join(thr, NULL);
		xt_ok(atomic_load(&faulted),
		      "CPU 1 faults on the unmapped page (%lu reads after munmap)",
		      atomic_load(&reads) - after);
	}
	xt_ok(mem[GT_PAGE + 7] == xt_pattern(1, 1, 7) &&
	      mem[3 * GT_PAGE + 7] == xt_pattern(1, 3, 7),
	      "the pages either side are still mapped");

	munmap(mem, VICTIM * GT_PAGE);
	munmap(mem + (VICTIM + 1) * GT_PAGE, (NPAGES - VICTIM - 1) * GT_PAGE);
	close(fd);
	xt_ok(dmb_wait(gfd, fd, 5000) == ENOENT, "released after the last munmap");
	gt_stats_check(&base, GT_SET_DMABUF, "after the partial munmap");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
