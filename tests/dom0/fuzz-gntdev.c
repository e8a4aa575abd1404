// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-gntdev - a stateful fuzzer of /dev/xen/gntdev: classic ioctls,
 * mmap() and what can be done to a mapping, fork(), dma-buf export and
 * import, vgem PRIME, release events.  docs/fuzzing.md tells how to run
 * it and how to replay a failure.
 *
 * Each step picks an operation by weight (the table ops[] at the end)
 * and gives it arguments from the live state most of the time and
 * hostile ones otherwise (zero and huge counts, reserved domids, bad
 * refs, stale fds, offsets no MAP_GRANT_REF returned, reserved fields
 * and unknown flags set, arguments whose arrays run into a guard page or
 * whose output lies in a read-only page).  Every call is judged: a
 * success where docs/abi.md or docs/dmabuf.md says the call must fail,
 * or a wrong answer (a misplaced index, a release reported for a buffer
 * still held), is a failure; an errno outside the set documented for
 * the call is counted and reported.  A fault touching a mapping is
 * caught (SIGSEGV/SIGBUS, siglongjmp) and counted; it is a failure only
 * on a mapping the fuzzer had not altered.  At the end everything is
 * released in a random order and every leak counter must come back.
 *
 * What it owns: the state tables below, all fixed size and static.
 * Lifetime of their entries:
 *  - files[]: a gntdev fd, from open() to close(); closing it forgets
 *    its ranges and imports (the kernel releases them), not its exports
 *    (a buffer outlives its file) nor its mappings (a VMA holds the file);
 *  - ranges[]: a listed MAP_GRANT_REF range, until UNMAP_GRANT_REF or
 *    its file's close;
 *  - maps[]: an mmap() (of a range or of an exported dma-buf) with a bit
 *    per page still mapped, until its last page is munmap()ed;
 *  - exps[]: an exported buffer, while the fuzzer holds it: its fd open,
 *    a mapping of it or a vgem GEM handle of it; then its (file, fd
 *    number) moves to gone[], a ring asked about by EXP_WAIT_RELEASED;
 *  - gems[]: a vgem handle of a PRIME-imported export, until GEM_CLOSE;
 *  - dumbs[]: a vgem dumb buffer, its dma-buf fd and its GEM handle,
 *    until both are closed;
 *  - imps[]: an IMP_TO_REFS import, until IMP_RELEASE or its file's
 *    close.
 * The program runs one thread; a fork() child only touches, unmaps and
 * exits, and the parent waits for it (killing it after 5 s).
 */
#define _GNU_SOURCE
#include <linux/dma-buf.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "dmabuf-util.h"

#define NREFS 64		/* grants of the domU peer */
#define MAXPAGES 64		/* largest range or buffer: one mask bit a page */
#define NFILES 4
#define NRANGES 32
#define NMAPS 32
#define NEXPORTS 24
#define NGONE 16
#define NGEMS 16
#define NDUMBS 8
#define NIMPORTS 16
#define FDBITS 1024		/* fd numbers remembered per file */
#define LOGLEN 64		/* operations kept for a failure report */
#define LINE 240
#define NUNEXP 48
#define MAXREPORTS 10		/* failure diagnostics printed in full */

#define DEFAULT_OPS 3000
#define BAD_REF 0x7ffffffu	/* a ref no domain grants */
#define NO_DOMAIN 0x7fefu	/* a domid below the reserved ones, unused */
#define COPY_SRC_GREF 1		/* GNTCOPY_source_gref */
#define COPY_DST_GREF 2		/* GNTCOPY_dest_gref */
#define FREE_SLACK_KB 4096
#define SETTLE_MS 10000
#define CHILD_MS 5000

/* An errno set: a list ending in 0. */
#define ESET(...) ((const int[]){ __VA_ARGS__, 0 })
static const int NONE[] = { 0 };
/* The errno sets an operation picks before its call. */
static const int E_BADF[] = { EBADF, 0 };
static const int E_BUSY[] = { EBUSY, 0 };
static const int E_FAULT[] = { EFAULT, 0 };
static const int E_FAULT_INVAL_OPNOTSUPP[] = { EFAULT, EINVAL, EOPNOTSUPP, 0 };
static const int E_FAULT_NOSPC[] = { EFAULT, ENOSPC, 0 };
static const int E_FAULT_OPNOTSUPP[] = { EFAULT, EOPNOTSUPP, 0 };
static const int E_INVAL[] = { EINVAL, 0 };
static const int E_INVAL_AGAIN_NOSPC_BUSY[] = { EINVAL, EAGAIN, ENOSPC, EBUSY, 0 };
static const int E_EXPORT[] = { EINVAL, EAGAIN, ENOSPC, EDQUOT, ENOMEM, EMFILE, E2BIG, 0 };
static const int E_MMAP[] = { EINVAL, EAGAIN, ENOSPC, ENOMEM, 0 };
static const int E_MMAP_RETRY[] = { EINVAL, EAGAIN, ENOSPC, ENOMEM, EBUSY, 0 };
static const int E_INVAL_NOENT[] = { EINVAL, ENOENT, 0 };
static const int E_INVAL_NOMEM[] = { EINVAL, ENOMEM, 0 };
static const int E_INVAL_NOSPC[] = { EINVAL, ENOSPC, 0 };
static const int E_INVAL_NOSPC_NOMEM[] = { EINVAL, ENOSPC, ENOMEM, 0 };
static const int E_INVAL_OPNOTSUPP[] = { EINVAL, EOPNOTSUPP, 0 };
static const int E_NOENT[] = { ENOENT, 0 };
static const int E_NOMEM_NOSPC[] = { ENOMEM, ENOSPC, 0 };
static const int E_NOSPC[] = { ENOSPC, 0 };
static const int E_NOSPC_NOMEM[] = { ENOSPC, ENOMEM, 0 };
static const int E_OPNOTSUPP[] = { EOPNOTSUPP, 0 };
static const int E_TIMEDOUT[] = { ETIMEDOUT, 0 };
static const int E_TIMEDOUT_NOENT[] = { ETIMEDOUT, ENOENT, 0 };
static const int E_XDEV_INVAL[] = { EXDEV, EINVAL, 0 };

/* What the fuzzer may have done to a mapping (touch faults are excused). */
#define ALT_MUNMAP	0x1u
#define ALT_MPROTECT	0x2u
#define ALT_MADVISE	0x4u
#define ALT_MREMAP	0x8u

struct gfile {
	int fd;				/* -1: slot free */
	unsigned int gen;		/* unique per open() */
	uint32_t max_grants;		/* SET_MAX_GRANTS bound, 0: none */
	uint64_t exported[FDBITS / 64];	/* fd numbers it ever exported */
};

struct range {
	bool live;
	unsigned int file;
	uint64_t index;
	uint32_t count;
	bool bad;		/* holds a grant that cannot map */
	bool mmapped;		/* mmap()ed once: EBUSY from now on */
	bool tried;		/* an mmap() failed (PVH may keep it claimed) */
};

enum mkind { M_RANGE, M_DMABUF };

struct mapping {
	bool live;
	enum mkind kind;
	uint8_t *addr;
	unsigned int npages;
	uint64_t present, readable, writable;	/* one bit per page */
	unsigned int gen;	/* M_RANGE: the gntdev file */
	uint64_t index;		/* M_RANGE: the range */
	uint32_t count;
	int exp;		/* M_DMABUF: the exps[] entry */
	unsigned int altered;	/* ALT_* */
};

struct export {
	bool live;
	int fd;			/* open dma-buf fd, -1 once closed */
	unsigned int file, gen;	/* the exporting file */
	int num;		/* the fd number the export returned */
	uint64_t ino;
	unsigned int npages;
	unsigned int nmaps, ngems;
};

struct gone {
	bool live;
	unsigned int file, gen;
	int num;
};

struct gem {
	bool live;
	uint32_t handle;
	int exp;
};

struct dumb {
	bool live;
	int fd;			/* -1 once closed */
	uint32_t handle;	/* 0 once closed */
	unsigned int npages;
};

struct import {
	bool live;
	unsigned int file;
	int num;		/* the fd number given to IMP_TO_REFS */
	unsigned int count;
};

struct op {
	const char *name;
	unsigned int weight;
	void (*fn)(void);
	unsigned long done, ok, expected, unexpected, skipped;
};

struct unexp {
	unsigned int op;
	int err;
	unsigned long n, step;
	char line[LINE];
};

/* Where an ioctl argument is placed (see place()). */
enum where { ARG_OK, ARG_SHORT, ARG_RO, ARG_NULL };

static struct gfile files[NFILES];
static struct range ranges[NRANGES];
static struct mapping maps[NMAPS];
static struct export exps[NEXPORTS];
static struct gone gone[NGONE];
static unsigned int gone_next;
static struct gem gems[NGEMS];
static struct dumb dumbs[NDUMBS];
static struct import imps[NIMPORTS];

static struct {
	uint64_t rng;
	unsigned long long seed;
	int domid;
	uint32_t refs[NREFS];
	uint32_t limit;
	bool pv;
	int vgem;		/* vgem's card, or -1 */
	int null_fd;		/* open, and not a dma-buf */
	unsigned int next_gen;
	uint8_t *arena;		/* page 0 rw, page 1 none, page 2 read-only */
	uint8_t *local;		/* two pages for GRANT_COPY */
	unsigned long step;
	bool log_all;
	bool in_teardown;
} fz;

static struct op ops[];
static struct op *cur;
static struct op teardown_op = { .name = "teardown" };

/* The verdicts. */
static unsigned long n_mustfail, n_wrong, n_pristine, n_faults, n_touches;
static unsigned long n_child_bad, n_children, n_teardown_bad, n_copy_status;
static unsigned long n_reports;
static struct unexp unexp[NUNEXP];
static unsigned int n_unexp_kinds;

static uint8_t argbuf[8192] __attribute__((aligned(64)));

/* ---- PRNG: xorshift64* ---- */

static uint64_t rnd(void)
{
	fz.rng ^= fz.rng >> 12;
	fz.rng ^= fz.rng << 25;
	fz.rng ^= fz.rng >> 27;
	return fz.rng * 0x2545f4914f6cdd1dull;
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool chance(unsigned int pct)
{
	return below(100) < pct;
}

/* Hostile arguments this often. */
static bool hostile(void)
{
	return chance(25);
}

/* ---- the operation log ---- */

static char line[LINE];
static size_t line_len;
static char ring[LOGLEN][LINE];
static unsigned int ring_n;
static bool dumped;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (line_len >= sizeof(line) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line + line_len, sizeof(line) - line_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		line_len += (size_t)n;
	if (line_len >= sizeof(line))
		line_len = sizeof(line) - 1;
}

static const char *ename(int err)
{
	static char buf[16];
	const char *s = strerrorname_np(err);

	if (s)
		return s;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

static void dump_ring(void)
{
	unsigned int n = ring_n < LOGLEN ? ring_n : LOGLEN;

	xt_diag("the last %u operations (seed %llu):", n + 1, fz.seed);
	for (unsigned int i = ring_n - n; i < ring_n; i++)
		xt_diag("  %s", ring[i % LOGLEN]);
	xt_diag("  %s   <- here", line);
}

/* A failure of the step now running: counted, reported (a few in full). */
static void failure(unsigned long *counter, const char *what)
{
	(*counter)++;
	if (!dumped) {
		dump_ring();
		dumped = true;
	}
	if (n_reports++ < MAXREPORTS)
		xt_diag("FAIL at step %lu: %s: %s", fz.step, what, line);
}

static void wrong(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void wrong(const char *fmt, ...)
{
	char what[120];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	note(" [bad result: %s]", what);
	failure(&n_wrong, what);
}

static void count_unexpected(int err)
{
	unsigned int op = (unsigned int)(cur - ops), i;

	if (cur == &teardown_op)
		op = ~0u;
	for (i = 0; i < n_unexp_kinds; i++) {
		if (unexp[i].op == op && unexp[i].err == err) {
			unexp[i].n++;
			return;
		}
	}
	if (n_unexp_kinds == NUNEXP)
		return;
	unexp[i] = (struct unexp){ .op = op, .err = err, .n = 1,
				   .step = fz.step };
	snprintf(unexp[i].line, sizeof(unexp[i].line), "%s", line);
	n_unexp_kinds++;
}

static bool in_set(int err, const int *set)
{
	for (; *set; set++)
		if (*set == err)
			return true;
	return false;
}

/*
 * The verdict on one call that returned @ret (-1 with errno: failed).
 * @must_fail: the documentation says it fails, with an errno of
 * @allowed; else it may succeed or fail with one of @allowed.  True if
 * the call succeeded; errno is kept.
 */
static bool judge(long ret, bool must_fail, const int *allowed)
{
	int err = errno;

	if (ret >= 0) {
		note(" = %ld", ret);
		if (must_fail) {
			note(" [must fail]");
			failure(&n_mustfail, "succeeded where it must fail");
		} else {
			cur->ok++;
		}
		return true;
	}
	note(" = -1 %s", ename(err));
	if (ret != -1) {
		wrong("returned %ld", ret);
	} else if (in_set(err, allowed)) {
		cur->expected++;
	} else {
		cur->unexpected++;
		note(" [unexpected]");
		count_unexpected(err);
	}
	errno = err;
	return false;
}

/* As judge(), for a call that returns an errno value (dmabuf-util.h). */
static bool judge_err(int err, bool must_fail, const int *allowed)
{
	errno = err;
	return judge(err ? -1 : 0, must_fail, allowed);
}

static void skip(const char *why)
{
	note(" (skipped: %s)", why);
	cur->skipped++;
	cur->done--;
}

/* ---- picking from the tables ---- */

/* A random index below @n for which @ok holds, or -1. */
static int pick(unsigned int n, bool (*ok)(unsigned int))
{
	unsigned int k = 0;
	int found = -1;

	for (unsigned int i = 0; i < n; i++)
		if (ok(i) && below(++k) == 0)
			found = (int)i;
	return found;
}

static bool file_open(unsigned int i)
{
	return files[i].fd >= 0;
}

static bool file_free(unsigned int i)
{
	return files[i].fd < 0;
}

static bool range_live(unsigned int i)
{
	return ranges[i].live;
}

static bool range_free(unsigned int i)
{
	return !ranges[i].live;
}

static bool map_live(unsigned int i)
{
	return maps[i].live;
}

static bool map_free(unsigned int i)
{
	return !maps[i].live;
}

static bool exp_free(unsigned int i)
{
	return !exps[i].live;
}

static bool exp_open(unsigned int i)
{
	return exps[i].live && exps[i].fd >= 0;
}

static bool gem_live(unsigned int i)
{
	return gems[i].live;
}

static bool gem_free(unsigned int i)
{
	return !gems[i].live;
}

static bool dumb_free(unsigned int i)
{
	return !dumbs[i].live;
}

static bool dumb_open(unsigned int i)
{
	return dumbs[i].live && dumbs[i].fd >= 0;
}

static bool dumb_handle(unsigned int i)
{
	return dumbs[i].live && dumbs[i].handle;
}

static bool imp_live(unsigned int i)
{
	return imps[i].live;
}

static bool imp_free(unsigned int i)
{
	return !imps[i].live;
}

static bool gone_live(unsigned int i)
{
	return gone[i].live;
}

static bool gmap_live(unsigned int i)
{
	return maps[i].live && maps[i].kind == M_RANGE;
}

/* A random page of @m still mapped (there is one while it is live). */
static unsigned int pick_page(const struct mapping *m)
{
	unsigned int k = 0, found = 0;

	for (unsigned int i = 0; i < m->npages; i++)
		if ((m->present >> i & 1) && below(++k) == 0)
			found = i;
	return found;
}

/* The mapped pages from @first on, as far as they go (at most @max). */
static unsigned int run_from(const struct mapping *m, unsigned int first,
			     unsigned int max)
{
	unsigned int n = 0;

	while (first + n < m->npages && n < max && (m->present >> (first + n) & 1))
		n++;
	return n;
}

static uint64_t page_bits(unsigned int first, unsigned int n)
{
	return (n >= 64 ? ~0ull : ((1ull << n) - 1)) << first;
}

/* A number no fd has (the lowest free one, free until the next open). */
static int closed_fd(void)
{
	int fd = dup(fz.null_fd);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? 1023 : fd;
}

static uint32_t hostile_count(void)
{
	static const uint32_t c[] = { 0, 0, 0xffffffffu, 0x80000000u };

	return below(5) == 4 ? fz.limit + 1 : c[below(ARRAY_SIZE(c))];
}

static uint32_t reserved_domid(void)
{
	static const uint32_t d[] = { 0x7ff0, 0x7ff1, 0x7ff4, 0x7fff, 0xffff,
				      0xffffffffu };

	return below(4) == 3 ? 0x10000u | (uint32_t)fz.domid : d[below(ARRAY_SIZE(d))];
}

/* The live range of @file at exactly @index/@count, or -1. */
static int range_at(unsigned int file, uint64_t index, uint32_t count)
{
	for (int i = 0; i < NRANGES; i++)
		if (ranges[i].live && ranges[i].file == file &&
		    ranges[i].index == index && ranges[i].count == count)
			return i;
	return -1;
}

/* Is byte offset @off inside a listed range of @file? */
static bool in_range(unsigned int file, uint64_t off)
{
	for (int i = 0; i < NRANGES; i++)
		if (ranges[i].live && ranges[i].file == file &&
		    off >= ranges[i].index &&
		    off < ranges[i].index + (uint64_t)ranges[i].count * GT_PAGE)
			return true;
	return false;
}

static uint64_t listed_grants(unsigned int file)
{
	uint64_t n = 0;

	for (int i = 0; i < NRANGES; i++)
		if (ranges[i].live && ranges[i].file == file)
			n += ranges[i].count;
	return n;
}

static bool was_exported(unsigned int file, int num)
{
	return num >= 0 && num < FDBITS &&
	       (files[file].exported[num / 64] >> (num % 64) & 1);
}

/* ---- arguments ---- */

/*
 * Place the @size-byte argument @arg: ARG_OK as it is; ARG_SHORT only
 * its first @cut bytes, at the end of a page followed by an inaccessible
 * one (the rest of an array is unreadable and unwritable); ARG_RO whole,
 * in a read-only page (nothing can be written back); ARG_NULL nowhere.
 */
static void *place(void *arg, size_t size, size_t cut, enum where w)
{
	uint8_t *ro = fz.arena + 2 * GT_PAGE;

	switch (w) {
	case ARG_SHORT:
		memcpy(fz.arena + GT_PAGE - cut, arg, cut);
		return fz.arena + GT_PAGE - cut;
	case ARG_RO:
		mprotect(ro, GT_PAGE, PROT_READ | PROT_WRITE);
		memcpy(ro, arg, size < GT_PAGE ? size : GT_PAGE);
		mprotect(ro, GT_PAGE, PROT_READ);
		return ro;
	case ARG_NULL:
		return NULL;
	default:
		return arg;
	}
}

static const char *where_name(enum where w)
{
	static const char *const n[] = { "", " arg=short", " arg=ro", " arg=NULL" };

	return n[w];
}

/* ---- touching memory that may fault ---- */

static sigjmp_buf touch_jb;
static volatile sig_atomic_t touching;

static void on_fault(int sig)
{
	if (!touching) {
		/* Not a touch: a bug of the fuzzer itself, so crash. */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	siglongjmp(touch_jb, sig);
}

/* Read the byte at @p, and write @val there if @write: 0 or the signal. */
static int touch(volatile uint8_t *p, bool write, uint8_t val)
{
	int sig = sigsetjmp(touch_jb, 1);

	if (sig) {
		touching = 0;
		return sig;
	}
	touching = 1;
	(void)*p;
	if (write)
		*p = val;
	touching = 0;
	return 0;
}

/* ---- forgetting state ---- */

/* An export nobody holds any more goes to gone[]. */
static void export_maybe_drop(int e)
{
	struct export *x = &exps[e];

	if (!x->live || x->fd >= 0 || x->nmaps || x->ngems)
		return;
	gone[gone_next] = (struct gone){ .live = true, .file = x->file,
					 .gen = x->gen, .num = x->num };
	gone_next = (gone_next + 1) % NGONE;
	x->live = false;
}

static void mapping_drop(struct mapping *m)
{
	m->live = false;
	if (m->kind == M_DMABUF) {
		exps[m->exp].nmaps--;
		export_maybe_drop(m->exp);
	}
}

/* munmap() pages @first.. of @m (all mapped); the call's result. */
static int unmap_pages(struct mapping *m, unsigned int first, unsigned int n)
{
	int ret = munmap(m->addr + (size_t)first * GT_PAGE, (size_t)n * GT_PAGE);

	if (!ret) {
		m->present &= ~page_bits(first, n);
		if (m->present)
			m->altered |= ALT_MUNMAP;
		else
			mapping_drop(m);
	}
	return ret;
}

/* The kernel released what a closed gntdev file listed. */
static void file_forget(unsigned int s)
{
	for (int i = 0; i < NRANGES; i++)
		if (ranges[i].live && ranges[i].file == s)
			ranges[i].live = false;
	for (int i = 0; i < NIMPORTS; i++)
		if (imps[i].live && imps[i].file == s)
			imps[i].live = false;
	for (int i = 0; i < NGONE; i++)
		if (gone[i].live && gone[i].file == s)
			gone[i].live = false;
	files[s].fd = -1;
}

static int add_mapping(const struct mapping *m)
{
	int i = pick(NMAPS, map_free);

	if (i < 0)
		return -1;
	maps[i] = *m;
	maps[i].live = true;
	if (m->kind == M_DMABUF)
		exps[m->exp].nmaps++;
	return i;
}

/* ---- operations: gntdev files ---- */

static void op_open(void)
{
	int s = pick(NFILES, file_free), fd;

	if (s < 0)
		return skip("no free file slot");
	fd = gt_try_open();
	if (!judge(fd, false, ESET(EMFILE, ENFILE, ENOMEM)))
		return;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	files[s] = (struct gfile){ .fd = fd, .gen = ++fz.next_gen };
	note(" f%d fd %d", s, fd);
}

static void op_close(void)
{
	int s = pick(NFILES, file_open), fd;

	if (s < 0 || chance(10)) {
		fd = closed_fd();
		note(" closed fd %d", fd);
		judge(close(fd), true, ESET(EBADF));
		return;
	}
	note(" f%d", s);
	judge(close(files[s].fd), false, NONE);
	file_forget((unsigned int)s);
}

/* ---- operations: classic ioctls ---- */

static void op_map(void)
{
	struct ioctl_gntdev_map_grant_ref *m = (void *)argbuf, *arg;
	const size_t hdr = offsetof(struct ioctl_gntdev_map_grant_ref, refs);
	int s = pick(NFILES, file_open), r = pick(NRANGES, range_free);
	uint32_t n = 1 + below(chance(10) ? MAXPAGES : 16), start = below(NREFS);
	const int *ok = E_NOMEM_NOSPC;
	enum where w = ARG_OK;
	bool must = false, bad = false;
	long maps_before = 0;
	uint64_t index;

	if (s < 0 || r < 0)
		return skip(s < 0 ? "no file" : "range table full");
	memset(m, 0, hdr);
	m->count = n;
	m->pad = chance(10) ? (uint32_t)rnd() : 0;
	for (uint32_t i = 0; i < n; i++) {
		m->refs[i].domid = (uint32_t)fz.domid;
		m->refs[i].ref = fz.refs[(start + i) % NREFS];
	}
	note(" f%d n=%u ref@%u pad=%#x", s, n, start, m->pad);
	if (hostile()) {
		switch (below(8)) {
		case 0:
			m->count = hostile_count();
			must = true;
			ok = E_INVAL;
			break;
		case 1:
		case 2:
			m->refs[below(n)].domid = reserved_domid();
			must = true;
			ok = E_INVAL_NOSPC;
			break;
		case 3:
			m->refs[below(n)].domid = NO_DOMAIN;
			bad = true;
			break;
		case 4:
			m->refs[below(n)].ref = chance(50) ? BAD_REF : 0xffffffffu;
			bad = true;
			break;
		case 5:
			if (n < 2) {
				n = 2;
				m->count = n;
			}
			w = ARG_SHORT;
			must = true;
			ok = E_FAULT_NOSPC;
			break;
		case 6:
			w = ARG_RO;
			must = true;
			ok = E_FAULT_NOSPC;
			break;
		default:
			w = ARG_NULL;
			must = true;
			ok = E_FAULT;
			break;
		}
		note(" count=%#x%s%s", m->count, bad ? " bad grant" : "",
		     where_name(w));
	}
	if (!must && files[s].max_grants &&
	    listed_grants((unsigned int)s) + n > files[s].max_grants) {
		must = true;
		ok = E_NOSPC;
		note(" over max %u", files[s].max_grants);
	}
	arg = place(m, hdr + n * sizeof(m->refs[0]), hdr + sizeof(m->refs[0]), w);
	if (w == ARG_RO)
		maps_before = gt_stat(GT_MAPS);
	if (!judge(ioctl(files[s].fd, IOCTL_GNTDEV_MAP_GRANT_REF, arg), must, ok)) {
		if (w == ARG_RO && gt_stat(GT_MAPS) != maps_before)
			wrong("a range stayed after EFAULT (maps %ld, was %ld)",
			      gt_stat(GT_MAPS), maps_before);
		return;
	}
	if (w != ARG_OK)
		return;		/* nothing to track: already a failure */
	index = m->index;
	note(" index %#llx", (unsigned long long)index);
	if (index % GT_PAGE)
		wrong("index %#llx not page aligned", (unsigned long long)index);
	for (int i = 0; i < NRANGES; i++)
		if (ranges[i].live && ranges[i].file == (unsigned int)s &&
		    index < ranges[i].index + (uint64_t)ranges[i].count * GT_PAGE &&
		    ranges[i].index < index + (uint64_t)n * GT_PAGE)
			wrong("index %#llx overlaps range r%d",
			      (unsigned long long)index, i);
	ranges[r] = (struct range){ .live = true, .file = (unsigned int)s,
				    .index = index, .count = n, .bad = bad };
	note(" r%d", r);
}

static void op_unmap(void)
{
	struct ioctl_gntdev_unmap_grant_ref u = { .pad = (uint32_t)rnd() };
	int r = pick(NRANGES, range_live), s, hit;
	bool must;

	if (r >= 0 && !hostile()) {
		s = (int)ranges[r].file;
		u.index = ranges[r].index;
		u.count = ranges[r].count;
	} else {
		s = r >= 0 ? (int)ranges[r].file : pick(NFILES, file_open);
		if (s < 0)
			return skip("no file");
		u.index = r >= 0 ? ranges[r].index : 0;
		u.count = r >= 0 ? ranges[r].count : 1;
		switch (below(5)) {
		case 0:
			u.index = 1ull << 40;
			break;
		case 1:
			u.index += 1;
			break;
		case 2:
			u.count += 1;
			break;
		case 3:
			u.index += GT_PAGE;
			u.count = u.count > 1 ? u.count - 1 : 1;
			break;
		default:
			u.count = hostile_count();
			break;
		}
	}
	hit = range_at((unsigned int)s, u.index, u.count);
	must = hit < 0;
	note(" f%d index %#llx count %u", s, (unsigned long long)u.index,
	     u.count);
	if (judge(ioctl(files[s].fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u), must,
		  must ? ESET(ENOENT) : NONE) && hit >= 0)
		ranges[hit].live = false;
}

static void op_get_offset(void)
{
	struct ioctl_gntdev_get_offset_for_vaddr g = { 0 };
	int m = pick(NMAPS, gmap_live), s = -1;
	bool must = true;

	if (m >= 0 && !hostile()) {
		const struct mapping *mp = &maps[m];

		for (int i = 0; i < NFILES; i++)
			if (files[i].fd >= 0 && files[i].gen == mp->gen)
				s = i;
		must = s < 0;
		if (s < 0)
			s = pick(NFILES, file_open);
		g.vaddr = (uintptr_t)mp->addr + (uint64_t)pick_page(mp) * GT_PAGE +
			  below(GT_PAGE);
	} else {
		int d = pick(NMAPS, map_live);

		s = pick(NFILES, file_open);
		m = -1;
		switch (below(4)) {
		case 0:
			g.vaddr = (uintptr_t)fz.local + below(GT_PAGE);
			break;
		case 1:
			g.vaddr = 0;
			break;
		case 2:
			g.vaddr = ~0ull - below(GT_PAGE);
			break;
		default:
			/* A dma-buf mapping, or one of another file. */
			if (d >= 0 && (maps[d].kind == M_DMABUF ||
				       s < 0 || maps[d].gen != files[s].gen))
				g.vaddr = (uintptr_t)maps[d].addr +
					  (uint64_t)pick_page(&maps[d]) * GT_PAGE;
			break;
		}
	}
	if (s < 0)
		return skip("no file");
	note(" f%d vaddr %#llx%s", s, (unsigned long long)g.vaddr,
	     must ? "" : " (own mapping)");
	if (!judge(ioctl(files[s].fd, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &g),
		   must, (m >= 0 && (maps[m].altered & ALT_MREMAP)) || must ?
		   ESET(EINVAL) : NONE))
		return;
	note(" offset %#llx count %u", (unsigned long long)g.offset, g.count);
	if (m >= 0 && (g.offset != maps[m].index || g.count != maps[m].count))
		wrong("range %#llx/%u, mapped from %#llx/%u",
		      (unsigned long long)g.offset, g.count,
		      (unsigned long long)maps[m].index, maps[m].count);
}

static void op_set_max(void)
{
	struct ioctl_gntdev_set_max_grants mg;
	int s = pick(NFILES, file_open);
	bool must = hostile();

	if (s < 0)
		return skip("no file");
	mg.count = must ? (chance(50) ? 0 : hostile_count()) :
		   1 + below(chance(70) ? 512 : 32);
	if (must && mg.count && mg.count <= fz.limit)
		mg.count = 0;
	note(" f%d count %u", s, mg.count);
	if (judge(ioctl(files[s].fd, IOCTL_GNTDEV_SET_MAX_GRANTS, &mg), must,
		  must ? ESET(EINVAL) : NONE))
		files[s].max_grants = mg.count;
}

static void op_notify(void)
{
	struct ioctl_gntdev_unmap_notify un = { .event_channel_port = ~0u };
	int r = pick(NRANGES, range_live), s;
	bool must = false;
	const int *ok = E_INVAL;
	uint32_t a = below(100);

	s = r >= 0 ? (int)ranges[r].file : pick(NFILES, file_open);
	if (s < 0)
		return skip("no file");
	un.index = r >= 0 ? ranges[r].index + below(ranges[r].count * GT_PAGE) :
		   rnd() % (1ull << 36);
	un.action = a < 60 ? UNMAP_NOTIFY_CLEAR_BYTE : a < 70 ? 0 :
		    a < 85 ? UNMAP_NOTIFY_SEND_EVENT :
		    UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT;
	if (hostile()) {
		if (chance(50))
			un.action |= chance(50) ? 0x4 : 0x80000000u;
		else
			un.index += (1ull << 36) + (uint64_t)below(8) * GT_PAGE;
	}
	/* The port is never a real one: SEND_EVENT must fail. */
	if (un.action & ~(uint32_t)(UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT) ||
	    un.action & UNMAP_NOTIFY_SEND_EVENT) {
		must = true;
		ok = E_INVAL_NOENT;
	}
	if (!in_range((unsigned int)s, un.index)) {
		must = true;
		ok = E_INVAL_NOENT;
	}
	note(" f%d index %#llx action %#x port %#x", s, (unsigned long long)un.index,
	     un.action, un.event_channel_port);
	judge(ioctl(files[s].fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un), must, ok);
}

/* Segment kinds of op_copy(). */
enum seg_kind {
	SEG_OK, SEG_BAD_REF, SEG_NO_DOMAIN,	/* the call succeeds */
	SEG_LONG, SEG_CROSS, SEG_LOCAL_BOTH, SEG_FLAGS, SEG_RESERVED,	/* EINVAL */
	SEG_NULL, SEG_RO,			/* EFAULT */
	SEG_KINDS
};

static void copy_segment(struct gntdev_grant_copy_segment *sg,
			 enum seg_kind k)
{
	uint32_t dir = below(3), off = below(GT_PAGE);
	uint32_t len = below(GT_PAGE + 1 - off);
	uint8_t *localp = fz.local + below(GT_PAGE);
	uint32_t ref = fz.refs[below(NREFS)], ref2 = fz.refs[below(NREFS)];
	uint16_t dom = (uint16_t)fz.domid;

	if (k == SEG_NULL || k == SEG_RO)
		dir = 0;
	if ((k == SEG_BAD_REF || k == SEG_NO_DOMAIN) && !len)
		len = 1;
	switch (k) {
	case SEG_BAD_REF:
		ref = BAD_REF;
		break;
	case SEG_NO_DOMAIN:
		dom = NO_DOMAIN;
		break;
	case SEG_LONG:
		len = GT_PAGE + 1 + below(100);
		off = 0;
		break;
	case SEG_CROSS:
		off = 1 + below(GT_PAGE - 1);
		len = GT_PAGE + 1 - off + below(off);
		break;
	case SEG_RESERVED:
		dom = (uint16_t)reserved_domid();
		if (dom < 0x7ff0)
			dom = 0x7ff0;
		break;
	case SEG_NULL:
		localp = NULL;
		len = len ? len : 1;
		break;
	case SEG_RO:
		localp = fz.arena + 2 * GT_PAGE;
		len = 1 + below(GT_PAGE);
		break;
	default:
		break;
	}
	memset(sg, 0, sizeof(*sg));
	sg->len = (uint16_t)len;
	sg->status = 1;
	if (dir == 0 || dir == 2) {
		sg->source.foreign.ref = ref;
		sg->source.foreign.offset = (uint16_t)off;
		sg->source.foreign.domid = dom;
		sg->flags |= COPY_SRC_GREF;
	} else {
		sg->source.virt = localp;
	}
	if (dir == 1 || dir == 2) {
		sg->dest.foreign.ref = dir == 2 ? ref2 : ref;
		sg->dest.foreign.offset = (uint16_t)(dir == 2 ? below(GT_PAGE + 1 - len) : off);
		sg->dest.foreign.domid = dir == 2 ? (uint16_t)fz.domid : dom;
		sg->flags |= COPY_DST_GREF;
	} else {
		sg->dest.virt = localp;
	}
	if (k == SEG_LOCAL_BOTH) {
		sg->flags = 0;
		sg->source.virt = fz.local;
		sg->dest.virt = fz.local + GT_PAGE;
	}
	if (k == SEG_FLAGS)
		sg->flags |= chance(50) ? 0x4 : 0x8000;
}

static void op_copy(void)
{
	struct gntdev_grant_copy_segment *sg = (void *)argbuf;
	struct ioctl_gntdev_grant_copy c;
	enum seg_kind kind[8];
	int s = pick(NFILES, file_open);
	bool einval = false, efault = false, must;
	uint32_t n = 1 + below(8), call = below(100);

	if (s < 0)
		return skip("no file");
	for (uint32_t i = 0; i < n; i++) {
		kind[i] = hostile() ? (enum seg_kind)(1 + below(SEG_KINDS - 1)) : SEG_OK;
		copy_segment(&sg[i], kind[i]);
		einval |= kind[i] >= SEG_LONG && kind[i] <= SEG_RESERVED;
		efault |= kind[i] >= SEG_NULL;
	}
	c.count = n;
	c.segments = sg;
	if (call < 5) {
		c.segments = NULL;
		efault = true;
	} else if (call < 10) {
		/* More segments than there are before an inaccessible page. */
		c.segments = place(sg, n * sizeof(*sg), n * sizeof(*sg), ARG_SHORT);
		c.count = chance(50) ? 0xffffffffu : n + 1 + below(1000);
		efault = true;
	} else if (call < 13) {
		c.count = 0;
		einval = false;
		efault = false;
	}
	must = einval || efault;
	note(" f%d count %u segs", s, c.count);
	for (uint32_t i = 0; i < n && i < 4; i++)
		note(" %d:%#x/%u", kind[i], sg[i].flags, sg[i].len);
	if (!judge(ioctl(files[s].fd, IOCTL_GNTDEV_GRANT_COPY, &c), must,
		   must ? ESET(EINVAL, EFAULT, ENOMEM) : ESET(EINTR)) ||
	    c.segments != sg)
		return;
	for (uint32_t i = 0; i < c.count; i++) {
		if (sg[i].status == 1)
			wrong("segment %u: status not written", i);
		else if (kind[i] != SEG_OK && !sg[i].status)
			wrong("segment %u with a bad grant: status 0", i);
		else if (kind[i] == SEG_OK && sg[i].status)
			n_copy_status++;
	}
}

/* ---- operations: mmap() and what can happen to a mapping ---- */

static void op_mmap_range(void)
{
	int r = pick(NRANGES, range_live), m = pick(NMAPS, map_free);
	int prot = chance(60) ? PROT_READ | PROT_WRITE : PROT_READ;
	int flags = MAP_SHARED;
	const int *ok;
	struct range *rg;
	size_t len;
	uint64_t off;
	bool must, valid = true;
	void *p;

	if (r < 0 || m < 0)
		return skip(r < 0 ? "no range" : "mapping table full");
	rg = &ranges[r];
	len = (size_t)rg->count * GT_PAGE;
	off = rg->index;
	if (hostile()) {
		switch (below(8)) {
		case 0:
			flags = MAP_PRIVATE;
			prot = PROT_READ | PROT_WRITE;
			valid = false;
			break;
		case 1:
			len += GT_PAGE;
			valid = false;
			break;
		case 2:
			len = rg->count > 1 ? len - GT_PAGE : 0;
			valid = false;
			break;
		case 3:
			len -= 1 + below(GT_PAGE - 1);	/* rounds up: valid */
			break;
		case 4:
			off += GT_PAGE;
			r = range_at(rg->file, off, rg->count);
			valid = r >= 0;
			if (valid)
				rg = &ranges[r];
			break;
		case 5:
			off += 1 + below(GT_PAGE - 1);
			valid = false;
			break;
		case 6:
			off = 1ull << 40;
			valid = false;
			break;
		default:
			len = 0;
			valid = false;
			break;
		}
	}
	if (!valid) {
		must = true;
		ok = E_INVAL_NOMEM;
	} else if (rg->mmapped) {
		must = true;
		ok = E_BUSY;
	} else if (rg->bad) {
		must = true;
		ok = E_INVAL_AGAIN_NOSPC_BUSY;
	} else {
		must = false;
		ok = rg->tried ? E_MMAP_RETRY :
			E_MMAP;
	}
	note(" r%d f%u len %#zx off %#llx prot %d %s", r, rg->file, len,
	     (unsigned long long)off, prot, flags == MAP_SHARED ? "shared" : "private");
	p = mmap(NULL, len, prot, flags, files[rg->file].fd, (off_t)off);
	if (!judge(p == MAP_FAILED ? -1 : 0, must, ok)) {
		if (valid)
			rg->tried = true;
		return;
	}
	if (must) {
		munmap(p, len);
		return;
	}
	rg->mmapped = true;
	note(" at %p m%d", p, m);
	maps[m] = (struct mapping){
		.live = true, .kind = M_RANGE, .addr = p, .npages = rg->count,
		.present = page_bits(0, rg->count),
		.readable = page_bits(0, rg->count),
		.writable = prot & PROT_WRITE ? page_bits(0, rg->count) : 0,
		.gen = files[rg->file].gen, .index = rg->index,
		.count = rg->count, .exp = -1,
	};
}

static void op_touch(void)
{
	int m = pick(NMAPS, map_live);
	struct mapping *mp;
	unsigned int first, last;

	if (m < 0)
		return skip("no mapping");
	mp = &maps[m];
	first = pick_page(mp);
	last = first + 1;
	if (chance(20)) {
		first = 0;
		last = mp->npages;
	}
	note(" m%d pages %u..%u", m, first, last - 1);
	for (unsigned int i = first; i < last; i++) {
		uint8_t *p = mp->addr + (size_t)i * GT_PAGE + below(GT_PAGE);
		bool w = (mp->writable >> i & 1) && chance(50);
		int sig;

		if (!(mp->present >> i & 1) || !(mp->readable >> i & 1))
			continue;
		n_touches++;
		sig = touch(p, w, (uint8_t)rnd());
		if (!sig)
			continue;
		note(" page %u: %s", i, strsignal(sig));
		if (!mp->altered) {
			failure(&n_pristine, "fault on an unaltered mapping");
			/* Report it once, not for every later touch. */
			mp->altered |= ALT_MADVISE;
		} else {
			n_faults++;
		}
		break;
	}
	cur->ok++;
}

static void op_munmap(void)
{
	int m = pick(NMAPS, map_live);
	struct mapping *mp;
	unsigned int first, n;

	if (m < 0)
		return skip("no mapping");
	mp = &maps[m];
	first = pick_page(mp);
	if (chance(10)) {
		note(" m%d unaligned", m);
		judge(munmap(mp->addr + (size_t)first * GT_PAGE + 1 + below(100),
			     GT_PAGE), true, ESET(EINVAL));
		return;
	}
	if (chance(40)) {
		note(" m%d whole", m);
		for (unsigned int i = 0; i < mp->npages && mp->live; i++) {
			n = run_from(mp, i, MAXPAGES);
			if (n && !judge(unmap_pages(mp, i, n), false, NONE))
				return;
			i += n;
		}
		return;
	}
	n = 1 + below(run_from(mp, first, MAXPAGES));
	note(" m%d pages %u+%u", m, first, n);
	judge(unmap_pages(mp, first, n), false, NONE);
}

static void op_mprotect(void)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE, PROT_NONE };
	int m = pick(NMAPS, map_live), prot = prots[below(3)];
	struct mapping *mp;
	unsigned int first, n;
	uint8_t *a;

	if (m < 0)
		return skip("no mapping");
	mp = &maps[m];
	first = pick_page(mp);
	n = 1 + below(run_from(mp, first, MAXPAGES));
	a = mp->addr + (size_t)first * GT_PAGE;
	if (hostile()) {
		bool unaligned = chance(50);

		note(" m%d %s", m, unaligned ? "unaligned" : "prot 0x100");
		judge(mprotect(unaligned ? a + 1 : a, (size_t)n * GT_PAGE,
			       unaligned ? PROT_READ : 0x100), true,
		      ESET(EINVAL));
		return;
	}
	note(" m%d pages %u+%u prot %d", m, first, n, prot);
	if (!judge(mprotect(a, (size_t)n * GT_PAGE, prot), false,
		   ESET(EACCES, EINVAL, ENOMEM)))
		return;
	mp->altered |= ALT_MPROTECT;
	mp->readable &= ~page_bits(first, n);
	mp->writable &= ~page_bits(first, n);
	if (prot & PROT_READ)
		mp->readable |= page_bits(first, n);
	if (prot & PROT_WRITE)
		mp->writable |= page_bits(first, n);
}

static void op_madvise(void)
{
	static const struct { int advice; bool alters; } adv[] = {
		{ MADV_DONTNEED, true }, { MADV_DONTNEED, true },
		{ MADV_DOFORK, false }, { MADV_DONTFORK, false },
		{ MADV_WILLNEED, false }, { MADV_RANDOM, false },
		{ MADV_NORMAL, false }, { MADV_COLD, true },
		{ MADV_PAGEOUT, true }, { MADV_REMOVE, true },
		{ MADV_FREE, true }, { MADV_DONTDUMP, false },
	};
	int m = pick(NMAPS, map_live), a = (int)below(ARRAY_SIZE(adv));
	struct mapping *mp;
	unsigned int first, n;

	if (m < 0)
		return skip("no mapping");
	mp = &maps[m];
	first = pick_page(mp);
	n = 1 + below(run_from(mp, first, MAXPAGES));
	if (hostile()) {
		bool unaligned = chance(50);

		note(" m%d %s", m, unaligned ? "unaligned" : "advice 9999");
		judge(madvise(mp->addr + (size_t)first * GT_PAGE + unaligned,
			      (size_t)n * GT_PAGE,
			      unaligned ? MADV_DONTNEED : 9999), true,
		      ESET(EINVAL));
		return;
	}
	note(" m%d pages %u+%u advice %d", m, first, n, adv[a].advice);
	if (judge(madvise(mp->addr + (size_t)first * GT_PAGE,
			  (size_t)n * GT_PAGE, adv[a].advice), false,
		  ESET(EINVAL, EAGAIN, ENOMEM, EPERM, EOPNOTSUPP, ESPIPE, EBUSY,
		       EACCES, ENODEV)) &&
	    adv[a].alters)
		mp->altered |= ALT_MADVISE;
}

static void op_mremap(void)
{
	int m = pick(NMAPS, map_live);
	struct mapping *mp;
	size_t len;
	void *p, *to;

	if (m < 0)
		return skip("no mapping");
	mp = &maps[m];
	if (mp->present != page_bits(0, mp->npages))
		return skip("mapping has holes");
	len = (size_t)mp->npages * GT_PAGE;
	switch (below(5)) {
	case 0:
		/* Growing in place: a gntdev VMA is VM_DONTEXPAND. */
		note(" m%d grow", m);
		p = mremap(mp->addr, len, len + GT_PAGE, 0);
		if (judge(p == MAP_FAILED ? -1 : 0, mp->kind == M_RANGE,
			  ESET(EFAULT, ENOMEM, EINVAL, EAGAIN)))
			munmap(mp->addr + len, GT_PAGE);
		return;
	case 1:
		if (mp->npages < 2)
			return skip("one page");
		note(" m%d shrink", m);
		p = mremap(mp->addr, len, len - GT_PAGE, 0);
		if (judge(p == MAP_FAILED ? -1 : 0, false,
			  ESET(EFAULT, ENOMEM, EINVAL, EAGAIN))) {
			mp->present &= ~page_bits(mp->npages - 1, 1);
			mp->altered |= ALT_MUNMAP;
		}
		return;
	case 2:
		note(" m%d unaligned", m);
		judge(mremap(mp->addr + 1, len, len, 0) == MAP_FAILED ? -1 : 0,
		      true, ESET(EINVAL));
		return;
	default:
		/* Moved onto a placeholder (MREMAP_FIXED replaces it). */
		to = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (to == MAP_FAILED)
			return skip("no placeholder");
		note(" m%d move to %p", m, to);
		p = mremap(mp->addr, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
		if (!judge(p == MAP_FAILED ? -1 : 0, false,
			   ESET(EFAULT, ENOMEM, EINVAL, EAGAIN))) {
			munmap(to, len);
			return;
		}
		mp->addr = p;
		mp->altered |= ALT_MREMAP;
	}
}

/* The child of op_fork(): touches, unmaps, or just exits. */
static void __attribute__((noreturn)) fork_child(int m, unsigned int what)
{
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	if (m >= 0 && what == 0)
		(void)*(volatile uint8_t *)(maps[m].addr +
					    (size_t)pick_page(&maps[m]) * GT_PAGE);
	if (m >= 0 && what == 1)
		munmap(maps[m].addr, (size_t)maps[m].npages * GT_PAGE);
	_exit(0);
}

static void op_fork(void)
{
	int m = pick(NMAPS, map_live), status = 0;
	unsigned int what = below(3);
	uint64_t t0;
	pid_t pid, w;

	note(" m%d %s", m, what == 0 ? "touch" : what == 1 ? "munmap" : "exit");
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		fork_child(m, what);
	if (!judge(pid, false, ESET(EAGAIN, ENOMEM)))
		return;
	n_children++;
	t0 = xt_now_ms();
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	       xt_now_ms() - t0 < CHILD_MS)
		usleep(1000);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		failure(&n_child_bad, "fork child hung");
		return;
	}
	if (WIFEXITED(status) && !WEXITSTATUS(status)) {
		note(" child exited");
	} else if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGSEGV ||
					   WTERMSIG(status) == SIGBUS)) {
		note(" child %s", strsignal(WTERMSIG(status)));
	} else {
		note(" child status %#x", status);
		failure(&n_child_bad, "fork child ended badly");
	}
}

/* ---- operations: dma-buf export ---- */

static void op_export(void)
{
	struct ioctl_gntdev_dmabuf_exp_from_refs *a = (void *)argbuf;
	struct ioctl_gntdev_dmabuf_exp_from_refs_v2 *b = (void *)argbuf;
	int s = pick(NFILES, file_open), e = pick(NEXPORTS, exp_free), fd;
	uint32_t n = 1 + below(chance(10) ? MAXPAGES : 16), start = below(NREFS);
	uint32_t flags = 0, domid = (uint32_t)fz.domid, data_ofs = 0;
	uint32_t *refs, count;
	bool v2 = chance(40), must = false;
	const int *ok = E_EXPORT;
	enum where w = ARG_OK;
	size_t hdr;
	struct stat st;
	void *arg;

	if (s < 0 || e < 0)
		return skip(s < 0 ? "no file" : "export table full");
	if (chance(8))
		flags = chance(50) ? GNTDEV_DMA_FLAG_WC : GNTDEV_DMA_FLAG_COHERENT;
	if (v2 && chance(50))
		data_ofs = below(GT_PAGE);
	count = n;
	hdr = v2 ? offsetof(struct ioctl_gntdev_dmabuf_exp_from_refs_v2, refs) :
		   offsetof(struct ioctl_gntdev_dmabuf_exp_from_refs, refs);
	refs = (uint32_t *)(argbuf + hdr);
	for (uint32_t i = 0; i < n; i++)
		refs[i] = fz.refs[(start + i) % NREFS];
	if (hostile()) {
		must = true;
		ok = E_INVAL;
		switch (below(9)) {
		case 0:
			flags |= chance(50) ? 0x4 : 0x80000000u;
			break;
		case 1:
			flags = GNTDEV_DMA_FLAG_WC | GNTDEV_DMA_FLAG_COHERENT;
			break;
		case 2:
			domid = reserved_domid();
			break;
		case 3:
			count = hostile_count();
			break;
		case 4:
			v2 = true;
			hdr = offsetof(struct ioctl_gntdev_dmabuf_exp_from_refs_v2, refs);
			for (uint32_t i = 0; i < n; i++)
				((uint32_t *)(argbuf + hdr))[i] = fz.refs[(start + i) % NREFS];
			data_ofs = chance(50) ? GT_PAGE : 0xffffffffu;
			break;
		case 5:
			refs[below(n)] = BAD_REF;
			ok = E_INVAL_OPNOTSUPP;
			break;
		case 6:
			domid = NO_DOMAIN;
			ok = E_INVAL_OPNOTSUPP;
			break;
		case 7:
			if (count < 2) {
				n = 2;
				count = n;
			}
			w = ARG_SHORT;
			ok = E_FAULT_INVAL_OPNOTSUPP;
			break;
		default:
			w = ARG_RO;
			ok = E_FAULT_OPNOTSUPP;
			break;
		}
	} else if (flags && fz.pv) {
		must = true;
		ok = E_OPNOTSUPP;
	}
	if (v2) {
		b->flags = flags;
		b->count = count;
		b->data_ofs = data_ofs;
		b->fd = 0xdeadbeef;
		b->domid = domid;
	} else {
		a->flags = flags;
		a->count = count;
		a->fd = 0xdeadbeef;
		a->domid = domid;
	}
	note(" f%d %s flags %#x count %#x ref@%u dom %#x ofs %u%s", s,
	     v2 ? "v2" : "v1", flags, count, start, domid, data_ofs,
	     where_name(w));
	arg = place(argbuf, hdr + n * sizeof(uint32_t), hdr + sizeof(uint32_t), w);
	if (!judge(ioctl(files[s].fd, v2 ? IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS_V2 :
			 IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, arg), must, ok) ||
	    w != ARG_OK)
		return;
	fd = (int)(v2 ? b->fd : a->fd);
	note(" fd %d e%d", fd, e);
	if (fcntl(fd, F_GETFD) != FD_CLOEXEC || fstat(fd, &st)) {
		wrong("fd %d is not an open close-on-exec file", fd);
		return;
	}
	if (fd < FDBITS)
		files[s].exported[fd / 64] |= 1ull << (fd % 64);
	exps[e] = (struct export){ .live = true, .fd = fd, .file = (unsigned int)s,
				   .gen = files[s].gen, .num = fd,
				   .ino = st.st_ino, .npages = n };
}

static void op_close_buf(void)
{
	int e = pick(NEXPORTS, exp_open);

	if (e < 0)
		return skip("no open export");
	note(" e%d fd %d", e, exps[e].fd);
	judge(close(exps[e].fd), false, NONE);
	exps[e].fd = -1;
	export_maybe_drop(e);
}

static void op_wait(void)
{
	struct ioctl_gntdev_dmabuf_exp_wait_released op = {
		.wait_to_ms = chance(70) ? 0 : 1 + below(20),
	};
	int e = pick(NEXPORTS, exp_open), g = pick(NGONE, gone_live), s = -1;
	uint32_t k = below(100);
	bool must = true;
	const int *ok = E_TIMEDOUT;

	if (k < 40 && e >= 0 && files[exps[e].file].fd >= 0 &&
	    files[exps[e].file].gen == exps[e].gen) {
		/* Our fd is open: the buffer cannot be released. */
		s = (int)exps[e].file;
		op.fd = (uint32_t)exps[e].num;
	} else if (k < 70 && g >= 0) {
		s = (int)gone[g].file;
		op.fd = (uint32_t)gone[g].num;
		must = false;
		ok = E_TIMEDOUT_NOENT;
	} else {
		s = pick(NFILES, file_open);
		if (s < 0)
			return skip("no file");
		op.fd = (uint32_t)(chance(50) ? fz.null_fd : (int)below(FDBITS));
		if (chance(10))
			op.fd = 0xffffffffu;
		must = !was_exported((unsigned int)s, (int)op.fd);
		ok = must ? E_NOENT : E_TIMEDOUT_NOENT;
	}
	note(" f%d fd %d ms %u", s, (int)op.fd, op.wait_to_ms);
	/* Released (0) or forgotten (ENOENT): no need to ask again. */
	if ((judge(ioctl(files[s].fd, IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED, &op),
		   must, ok) || errno == ENOENT) && g >= 0 && !must &&
	    gone[g].num == (int)op.fd)
		gone[g].live = false;
}

static void op_mmap_buf(void)
{
	int e = pick(NEXPORTS, exp_open), m = pick(NMAPS, map_free);
	int prot = chance(60) ? PROT_READ | PROT_WRITE : PROT_READ;
	int flags = MAP_SHARED;
	unsigned int first, n;
	bool must = false;
	struct export *x;
	void *p;

	if (e < 0 || m < 0)
		return skip(e < 0 ? "no open export" : "mapping table full");
	x = &exps[e];
	first = chance(70) ? 0 : below(x->npages);
	n = 1 + below(x->npages - first);
	if (hostile()) {
		must = true;
		switch (below(3)) {
		case 0:
			flags = MAP_PRIVATE;
			break;
		case 1:
			n = x->npages - first + 1 + below(4);
			break;
		default:
			first = x->npages + below(4);
			break;
		}
	}
	note(" e%d pages %u+%u prot %d %s", e, first, n, prot,
	     flags == MAP_SHARED ? "shared" : "private");
	p = mmap(NULL, (size_t)n * GT_PAGE, prot, flags, x->fd,
		 (off_t)first * GT_PAGE);
	if (!judge(p == MAP_FAILED ? -1 : 0, must,
		   must ? ESET(EINVAL) : ESET(ENOMEM, EPERM, EAGAIN)))
		return;
	if (must) {
		munmap(p, (size_t)n * GT_PAGE);
		return;
	}
	note(" at %p m%d", p, m);
	add_mapping(&(struct mapping){
		.kind = M_DMABUF, .addr = p, .npages = n,
		.present = page_bits(0, n), .readable = page_bits(0, n),
		.writable = prot & PROT_WRITE ? page_bits(0, n) : 0,
		.exp = e,
	});
}

static void op_sync(void)
{
	static const uint64_t good[] = {
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW,
	};
	struct dma_buf_sync sync = { .flags = good[below(ARRAY_SIZE(good))] };
	int e = pick(NEXPORTS, exp_open), d = pick(NDUMBS, dumb_open), fd;
	bool must = false;

	fd = e >= 0 ? exps[e].fd : d >= 0 ? dumbs[d].fd : -1;
	if (e >= 0 && d >= 0 && chance(20))
		fd = dumbs[d].fd;
	if (fd < 0 || hostile()) {
		must = true;
		switch (below(4)) {
		case 0:
			sync.flags = 0;
			break;
		case 1:
			sync.flags |= 0x100;
			break;
		case 2:
			sync.flags = DMA_BUF_SYNC_START;
			break;
		default:
			fd = fz.null_fd;
			break;
		}
		if (fd < 0)
			fd = fz.null_fd;
	}
	note(" fd %d flags %#llx", fd, (unsigned long long)sync.flags);
	judge(ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync), must,
	      must ? ESET(EINVAL, ENOTTY) : NONE);
}

/* ---- operations: vgem ---- */

static void op_prime(void)
{
	int e = pick(NEXPORTS, exp_open), gi = pick(NGEMS, gem_free), fd;
	uint32_t h = 0;
	bool must = false;

	if (fz.vgem < 0)
		return skip("no vgem");
	if (e < 0 || gi < 0 || hostile()) {
		must = true;
		fd = chance(50) ? fz.null_fd : closed_fd();
		e = -1;
	} else {
		fd = exps[e].fd;
	}
	note(" e%d fd %d", e, fd);
	if (!judge_err(dmb_prime_import(fz.vgem, fd, &h), must,
		       must ? ESET(EINVAL, EBADF) : ESET(EINVAL, ENOMEM)) ||
	    e < 0)
		return;
	note(" handle %u", h);
	for (int i = 0; i < NGEMS; i++) {
		if (gems[i].live && gems[i].handle == h) {
			/* The same buffer again gives the same handle. */
			if (gems[i].exp != e && exps[gems[i].exp].ino != exps[e].ino)
				wrong("handle %u of e%d is e%d's", h, e, gems[i].exp);
			return;
		}
	}
	gems[gi] = (struct gem){ .live = true, .handle = h, .exp = e };
	exps[e].ngems++;
}

static void op_gem_close(void)
{
	int gi = pick(NGEMS, gem_live), d = pick(NDUMBS, dumb_handle);
	uint32_t h;

	if (fz.vgem < 0)
		return skip("no vgem");
	if ((gi < 0 && d < 0) || hostile()) {
		h = chance(50) ? 0 : 0x7ffffff0u;
		note(" handle %#x", h);
		judge_err(dmb_gem_close(fz.vgem, h), true, ESET(EINVAL, ENOENT));
		return;
	}
	if (gi >= 0 && (d < 0 || chance(60))) {
		h = gems[gi].handle;
		note(" g%d handle %u", gi, h);
		judge_err(dmb_gem_close(fz.vgem, h), false, NONE);
		gems[gi].live = false;
		exps[gems[gi].exp].ngems--;
		export_maybe_drop(gems[gi].exp);
		return;
	}
	note(" dumb %d handle %u", d, dumbs[d].handle);
	judge_err(dmb_gem_close(fz.vgem, dumbs[d].handle), false, NONE);
	dumbs[d].handle = 0;
	if (dumbs[d].fd < 0)
		dumbs[d].live = false;
}

static void op_dumb(void)
{
	int d = pick(NDUMBS, dumb_free), fd;
	unsigned int n = 1 + below(16);
	uint32_t h = 0;

	if (fz.vgem < 0 || d < 0)
		return skip(fz.vgem < 0 ? "no vgem" : "dumb table full");
	note(" %u pages", n);
	fd = dmb_vgem_dumb(fz.vgem, n, &h);
	if (!judge(fd, false, ESET(ENOMEM, ENOSPC, EINVAL, EMFILE)))
		return;
	note(" fd %d handle %u d%d", fd, h, d);
	dumbs[d] = (struct dumb){ .live = true, .fd = fd, .handle = h,
				  .npages = n };
}

static void op_dumb_close(void)
{
	int d = pick(NDUMBS, dumb_open);

	if (d < 0)
		return skip("no dumb buffer fd");
	note(" d%d fd %d", d, dumbs[d].fd);
	judge(close(dumbs[d].fd), false, NONE);
	dumbs[d].fd = -1;
	if (!dumbs[d].handle)
		dumbs[d].live = false;
}

/* ---- operations: dma-buf import ---- */

static void op_import(void)
{
	struct ioctl_gntdev_dmabuf_imp_to_refs *a = (void *)argbuf;
	struct ioctl_gntdev_dmabuf_imp_to_refs_v2 *b = (void *)argbuf;
	int s = pick(NFILES, file_open), d = pick(NDUMBS, dumb_open);
	int i = pick(NIMPORTS, imp_free), e = pick(NEXPORTS, exp_open);
	uint32_t fd, count, domid = (uint32_t)xt_domu_id(), reserved = 0;
	bool v2 = chance(40), must = false, tracked;
	const int *ok = E_NOSPC_NOMEM;
	enum where w = ARG_OK;
	size_t hdr;
	void *arg;

	if (s < 0 || i < 0)
		return skip(s < 0 ? "no file" : "import table full");
	fd = d >= 0 ? (uint32_t)dumbs[d].fd : (uint32_t)fz.null_fd;
	count = d >= 0 ? dumbs[d].npages : 1;
	if (d < 0 || hostile()) {
		must = true;
		ok = E_INVAL;
		switch (below(9)) {
		case 0:
			count = count > 1 && chance(50) ? count - 1 : count + 1;
			break;
		case 1:
			count = hostile_count();
			break;
		case 2:
			domid = reserved_domid();
			break;
		case 3:
			v2 = true;
			reserved = 1 + below(0xffff);
			break;
		case 4:
			if (e >= 0) {
				fd = (uint32_t)exps[e].fd;
				count = exps[e].npages;
				ok = E_XDEV_INVAL;
			} else {
				must = d < 0;	/* no export: nothing hostile */
			}
			break;
		case 5:
			fd = (uint32_t)fz.null_fd;
			break;
		case 6:
			fd = (uint32_t)closed_fd();
			ok = E_BADF;
			break;
		case 7:
			if (count >= 2) {
				w = ARG_SHORT;
				ok = E_FAULT;
			} else {
				must = d < 0;	/* too small to cut short */
			}
			break;
		default:
			domid = NO_DOMAIN;
			must = d < 0;
			ok = E_INVAL_NOSPC_NOMEM;
			break;
		}
		if (d < 0 && fd == (uint32_t)fz.null_fd)
			ok = E_INVAL;
	}
	hdr = v2 ? offsetof(struct ioctl_gntdev_dmabuf_imp_to_refs_v2, refs) :
		   offsetof(struct ioctl_gntdev_dmabuf_imp_to_refs, refs);
	memset(argbuf, 0, hdr + sizeof(uint32_t));
	if (v2) {
		b->fd = fd;
		b->count = count;
		b->domid = domid;
		b->reserved = reserved;
		b->data_ofs = 0xdead;
	} else {
		a->fd = fd;
		a->count = count;
		a->domid = domid;
		a->reserved = (uint32_t)rnd();	/* ignored, as libxengnttab does */
	}
	note(" f%d %s fd %d count %#x dom %#x rsv %#x%s", s, v2 ? "v2" : "v1",
	     (int)fd, count, domid, v2 ? reserved : a->reserved, where_name(w));
	arg = place(argbuf, hdr + (count <= MAXPAGES ? count : 1) * sizeof(uint32_t),
		    hdr + sizeof(uint32_t), w);
	if (!judge(ioctl(files[s].fd, v2 ? IOCTL_GNTDEV_DMABUF_IMP_TO_REFS_V2 :
			 IOCTL_GNTDEV_DMABUF_IMP_TO_REFS, arg), must, ok))
		return;
	tracked = w == ARG_OK && count <= MAXPAGES;
	if (v2 && tracked && b->data_ofs)
		wrong("a vgem buffer's data_ofs is %u", b->data_ofs);
	if (!tracked)
		return;		/* released with the file */
	note(" i%d", i);
	imps[i] = (struct import){ .live = true, .file = (unsigned int)s,
				   .num = (int)fd, .count = count };
}

static bool import_with(unsigned int file, int num)
{
	for (int i = 0; i < NIMPORTS; i++)
		if (imps[i].live && imps[i].file == file && imps[i].num == num)
			return true;
	return false;
}

static void op_imp_release(void)
{
	struct ioctl_gntdev_dmabuf_imp_release op = { .reserved = (uint32_t)rnd() };
	int i = pick(NIMPORTS, imp_live), s, ret, err;
	bool must = false;

	if (i >= 0 && !hostile()) {
		s = (int)imps[i].file;
		op.fd = (uint32_t)imps[i].num;
	} else {
		s = pick(NFILES, file_open);
		if (s < 0)
			return skip("no file");
		op.fd = (uint32_t)(chance(50) ? fz.null_fd : closed_fd());
		must = !import_with((unsigned int)s, (int)op.fd);
		i = -1;
	}
	note(" f%d fd %d", s, (int)op.fd);
	ret = ioctl(files[s].fd, IOCTL_GNTDEV_DMABUF_IMP_RELEASE, &op);
	err = ret ? errno : 0;
	judge(ret, must, must ? ESET(ENOENT) : ESET(EBUSY, ENOENT));
	if (i >= 0) {
		/*
		 * Released or deferred.  ENOENT: the number now names another
		 * buffer, so the import stays the file's, still reachable by
		 * that number once it names no dma-buf (docs/dmabuf.md).
		 */
		if (err != ENOENT)
			imps[i].live = false;
	} else if (!must) {
		for (int k = 0; k < NIMPORTS; k++)
			if (imps[k].live && imps[k].file == (unsigned int)s &&
			    imps[k].num == (int)op.fd)
				imps[k].live = false;
	}
}

/* ---- operations: release events, stray ioctls ---- */

/* Is a record's buffer one the fuzzer still holds? */
static void check_record(const struct gntdev_dmabuf_release *ev)
{
	if (ev->flags & ~GNTDEV_DMABUF_RELEASE_LOST) {
		wrong("record flags %#x", ev->flags);
		return;
	}
	if (ev->flags) {
		if (ev->ino || ev->fd != ~0u)
			wrong("LOST record with ino %llu fd %u",
			      (unsigned long long)ev->ino, ev->fd);
		return;
	}
	for (int e = 0; e < NEXPORTS; e++)
		if (exps[e].live && exps[e].ino == ev->ino)
			wrong("release of e%d reported while held (fd %d, %u maps, %u gems)",
			      e, exps[e].fd, exps[e].nmaps, exps[e].ngems);
}

static void op_events(void)
{
	struct gntdev_dmabuf_release ev[8];
	struct pollfd p = { .events = POLLIN };
	int s = pick(NFILES, file_open), pr;
	uint32_t k = below(100), n = 1 + below(8);
	ssize_t got;

	if (s < 0)
		return skip("no file");
	p.fd = files[s].fd;
	pr = poll(&p, 1, 0);
	note(" f%d poll %d revents %#x", s, pr, (unsigned int)p.revents);
	if (pr < 0 || pr > 1 || (p.revents & (POLLERR | POLLNVAL)))
		wrong("poll() gave %d, revents %#x", pr, (unsigned int)p.revents);
	if (k < 10) {
		note(" read 15");
		judge(read(files[s].fd, ev, sizeof(ev[0]) - 1), true, ESET(EINVAL));
		return;
	}
	if (k < 20) {
		note(" read into %s", k < 15 ? "NULL" : "read-only");
		judge(read(files[s].fd, k < 15 ? NULL : fz.arena + 2 * GT_PAGE,
			   sizeof(ev)), true, ESET(EFAULT, EAGAIN));
		return;
	}
	note(" read %u", n);
	got = read(files[s].fd, ev, n * sizeof(ev[0]));
	if (!judge(got, false, ESET(EAGAIN)))
		return;
	if (got % sizeof(ev[0]) || (size_t)got > n * sizeof(ev[0])) {
		wrong("read() of records gave %zd bytes", got);
		return;
	}
	for (size_t i = 0; i < (size_t)got / sizeof(ev[0]); i++)
		check_record(&ev[i]);
}

static void op_bad_ioctl(void)
{
	static const unsigned long cmds[] = {
		_IOC(_IOC_NONE, 'G', 4, 0), _IOC(_IOC_NONE, 'G', 5, 8),
		_IOC(_IOC_NONE, 'G', 6, 16), _IOC(_IOC_NONE, 'G', 15, 24),
		_IOC(_IOC_NONE, 'G', 42, 8), _IOC(_IOC_NONE, 'G', 255, 4),
		_IOC(_IOC_READ | _IOC_WRITE, 'G', 0,
		     sizeof(struct ioctl_gntdev_map_grant_ref)),
		_IOC(_IOC_NONE, 'G', 0, 0), _IOC(_IOC_NONE, 'G', 9, 8),
		_IOC(_IOC_NONE, 'H', 0, 24),
	};
	int s = pick(NFILES, file_open), e = pick(NEXPORTS, exp_open), fd;
	unsigned long cmd = cmds[below(ARRAY_SIZE(cmds))];

	if (s < 0)
		return skip("no file");
	fd = files[s].fd;
	if (e >= 0 && chance(30)) {
		/* A gntdev ioctl on a dma-buf. */
		fd = exps[e].fd;
		cmd = IOCTL_GNTDEV_MAP_GRANT_REF;
	}
	for (size_t i = 0; i < 64; i++)
		argbuf[i] = (uint8_t)rnd();
	note(" fd %d cmd %#lx", fd, cmd);
	judge(ioctl(fd, cmd, argbuf), true, ESET(ENOTTY, EINVAL));
}

/* ---- the table ---- */

static struct op ops[] = {
	{ .name = "open", .weight = 3, .fn = op_open },
	{ .name = "close", .weight = 1, .fn = op_close },
	{ .name = "MAP_GRANT_REF", .weight = 10, .fn = op_map },
	{ .name = "UNMAP_GRANT_REF", .weight = 5, .fn = op_unmap },
	{ .name = "GET_OFFSET_FOR_VADDR", .weight = 3, .fn = op_get_offset },
	{ .name = "SET_MAX_GRANTS", .weight = 1, .fn = op_set_max },
	{ .name = "SET_UNMAP_NOTIFY", .weight = 3, .fn = op_notify },
	{ .name = "GRANT_COPY", .weight = 4, .fn = op_copy },
	{ .name = "mmap-range", .weight = 8, .fn = op_mmap_range },
	{ .name = "touch", .weight = 8, .fn = op_touch },
	{ .name = "munmap", .weight = 4, .fn = op_munmap },
	{ .name = "mprotect", .weight = 2, .fn = op_mprotect },
	{ .name = "madvise", .weight = 2, .fn = op_madvise },
	{ .name = "mremap", .weight = 2, .fn = op_mremap },
	{ .name = "fork", .weight = 1, .fn = op_fork },
	{ .name = "EXP_FROM_REFS", .weight = 6, .fn = op_export },
	{ .name = "close-dmabuf", .weight = 4, .fn = op_close_buf },
	{ .name = "EXP_WAIT_RELEASED", .weight = 3, .fn = op_wait },
	{ .name = "mmap-dmabuf", .weight = 4, .fn = op_mmap_buf },
	{ .name = "DMA_BUF_IOCTL_SYNC", .weight = 2, .fn = op_sync },
	{ .name = "PRIME-import", .weight = 2, .fn = op_prime },
	{ .name = "GEM_CLOSE", .weight = 2, .fn = op_gem_close },
	{ .name = "vgem-dumb", .weight = 2, .fn = op_dumb },
	{ .name = "close-dumb", .weight = 1, .fn = op_dumb_close },
	{ .name = "IMP_TO_REFS", .weight = 3, .fn = op_import },
	{ .name = "IMP_RELEASE", .weight = 3, .fn = op_imp_release },
	{ .name = "events", .weight = 3, .fn = op_events },
	{ .name = "bad-ioctl", .weight = 1, .fn = op_bad_ioctl },
};

static struct op *pick_op(void)
{
	unsigned int total = 0, k;

	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		total += ops[i].weight;
	k = below(total);
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		if (k < ops[i].weight)
			return &ops[i];
		k -= ops[i].weight;
	}
	return &ops[0];
}

static void step(struct op *op)
{
	line_len = 0;
	line[0] = '\0';
	note("%lu %s", fz.step, op->name);
	cur = op;
	op->done++;
	op->fn();
	snprintf(ring[ring_n % LOGLEN], LINE, "%s", line);
	ring_n++;
	if (fz.log_all)
		xt_diag("%s", line);
}

/* ---- teardown ---- */

enum td_kind { TD_MAP, TD_EXP, TD_GEM, TD_DUMB_FD, TD_DUMB_H, TD_IMP,
	       TD_RANGE, TD_FILE };

struct td_action {
	enum td_kind kind;
	int i;
};

static void td_run(const struct td_action *a)
{
	bool ok = true;

	line_len = 0;
	line[0] = '\0';
	note("teardown %d:%d", a->kind, a->i);
	switch (a->kind) {
	case TD_MAP:
		for (unsigned int p = 0; maps[a->i].live && p < maps[a->i].npages; p++) {
			unsigned int n = run_from(&maps[a->i], p, MAXPAGES);

			if (n)
				ok &= judge(unmap_pages(&maps[a->i], p, n), false, NONE);
			p += n;
		}
		break;
	case TD_EXP:
		if (exps[a->i].live && exps[a->i].fd >= 0) {
			ok = judge(close(exps[a->i].fd), false, NONE);
			exps[a->i].fd = -1;
			export_maybe_drop(a->i);
		}
		break;
	case TD_GEM:
		if (gems[a->i].live) {
			ok = judge_err(dmb_gem_close(fz.vgem, gems[a->i].handle),
				       false, NONE);
			gems[a->i].live = false;
			exps[gems[a->i].exp].ngems--;
			export_maybe_drop(gems[a->i].exp);
		}
		break;
	case TD_DUMB_FD:
		if (dumbs[a->i].live && dumbs[a->i].fd >= 0) {
			ok = judge(close(dumbs[a->i].fd), false, NONE);
			dumbs[a->i].fd = -1;
		}
		break;
	case TD_DUMB_H:
		if (dumbs[a->i].live && dumbs[a->i].handle) {
			ok = judge_err(dmb_gem_close(fz.vgem, dumbs[a->i].handle),
				       false, NONE);
			dumbs[a->i].handle = 0;
		}
		break;
	case TD_IMP:
		if (imps[a->i].live) {
			struct ioctl_gntdev_dmabuf_imp_release op = {
				.fd = (uint32_t)imps[a->i].num,
			};

			ok = judge(ioctl(files[imps[a->i].file].fd,
					 IOCTL_GNTDEV_DMABUF_IMP_RELEASE, &op),
				   false, ESET(EBUSY, ENOENT)) || errno == EBUSY ||
			     errno == ENOENT;
			imps[a->i].live = false;
		}
		break;
	case TD_RANGE:
		if (ranges[a->i].live) {
			ok = gt_unmap(files[ranges[a->i].file].fd, ranges[a->i].index,
				      ranges[a->i].count) == 0;
			note(" = %s", ok ? "0" : ename(errno));
			ranges[a->i].live = false;
		}
		break;
	case TD_FILE:
		if (files[a->i].fd >= 0) {
			ok = judge(close(files[a->i].fd), false, NONE);
			file_forget((unsigned int)a->i);
		}
		break;
	}
	if (!ok)
		failure(&n_teardown_bad, "a release call failed");
	if (fz.log_all)
		xt_diag("%s", line);
}

/* Release everything, in a random order. */
static void teardown(void)
{
	struct td_action act[NMAPS + NEXPORTS + NGEMS + 2 * NDUMBS + NIMPORTS +
			     NRANGES + NFILES];
	unsigned int n = 0;

	cur = &teardown_op;
	fz.in_teardown = true;
	for (int i = 0; i < NMAPS; i++)
		act[n++] = (struct td_action){ TD_MAP, i };
	for (int i = 0; i < NEXPORTS; i++)
		act[n++] = (struct td_action){ TD_EXP, i };
	for (int i = 0; i < NGEMS; i++)
		act[n++] = (struct td_action){ TD_GEM, i };
	for (int i = 0; i < NDUMBS; i++) {
		act[n++] = (struct td_action){ TD_DUMB_FD, i };
		act[n++] = (struct td_action){ TD_DUMB_H, i };
	}
	for (int i = 0; i < NIMPORTS; i++)
		act[n++] = (struct td_action){ TD_IMP, i };
	for (int i = 0; i < NRANGES; i++)
		act[n++] = (struct td_action){ TD_RANGE, i };
	for (int i = 0; i < NFILES; i++)
		act[n++] = (struct td_action){ TD_FILE, i };
	for (unsigned int i = n - 1; i > 0; i--) {
		unsigned int j = below(i + 1);
		struct td_action t = act[i];

		act[i] = act[j];
		act[j] = t;
	}
	for (unsigned int i = 0; i < n; i++)
		td_run(&act[i]);
}

/* ---- setup and the end ---- */

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	char *end;
	uint64_t x;

	if (!v || !*v)
		return dflt;
	errno = 0;
	x = strtoull(v, &end, 0);
	return errno || *end ? dflt : x;
}

/* dmabuf_pool_pages=0 drains the PVH page pool; then the old value. */
static void drain_pool(void)
{
	long pool = gt_param("dmabuf_pool_pages");

	if (pool > 0) {
		gt_param_set("dmabuf_pool_pages", 0);
		gt_param_set("dmabuf_pool_pages", pool);
	}
}

static void setup(struct xt_peer *peer)
{
	struct sigaction sa = { .sa_handler = on_fault };
	long limit = gt_param("limit");

	gt_require_ours();
	gt_need_domu();
	gt_grants(peer, NREFS, "", fz.refs, NULL);
	fz.domid = peer->domid;
	fz.limit = limit > 0 && limit < 0x7fffffff ? (uint32_t)limit : 65536;
	fz.pv = gt_dom0_is_pv();
	fz.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	fz.arena = mmap(NULL, 3 * GT_PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fz.local = mmap(NULL, 2 * GT_PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fz.null_fd < 0 || fz.arena == MAP_FAILED || fz.local == MAP_FAILED ||
	    mprotect(fz.arena + GT_PAGE, GT_PAGE, PROT_NONE) ||
	    mprotect(fz.arena + 2 * GT_PAGE, GT_PAGE, PROT_READ))
		xt_fatal("cannot set up: %m");
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	fz.vgem = dmb_open_vgem();
	if (fz.vgem < 0)
		xt_diag("no vgem: PRIME, dumb buffers and imports are skipped");
	for (int i = 0; i < NFILES; i++)
		files[i].fd = -1;
	xt_diag("%s dom0, domU %d, limit %u, 64 refs from %u", fz.pv ? "PV" : "PVH",
		fz.domid, fz.limit, fz.refs[0]);
}

/* After it all, the device still maps the domU's pages correctly. */
static bool fresh_map_works(struct xt_peer *peer)
{
	int fd = gt_try_open();
	uint64_t index;
	uint8_t *mem;
	bool ok = false;

	if (fd < 0 || !gt_peer_ok(peer, "fill 9"))
		goto out;
	if (gt_map(fd, peer->domid, fz.refs, 4, &index))
		goto out;
	mem = mmap(NULL, 4 * GT_PAGE, PROT_READ, MAP_SHARED, fd, (off_t)index);
	if (mem != MAP_FAILED) {
		ok = gt_mismatch(mem, 0, 4, 9) < 0;
		munmap(mem, 4 * GT_PAGE);
	}
	ok &= gt_unmap(fd, index, 4) == 0;
out:
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Poll the counters until they are back (releases may be asynchronous). */
static void settle(const struct gt_stats *base, unsigned int set)
{
	struct gt_stats now;
	uint64_t t0 = xt_now_ms();

	for (;;) {
		drain_pool();
		gt_stats_read(&now);
		if (gt_stats_same(base, &now, set) || xt_now_ms() - t0 > SETTLE_MS)
			break;
		usleep(100 * 1000);
	}
	xt_diag("counters settled after %llu ms",
		(unsigned long long)(xt_now_ms() - t0));
}

static void summary(unsigned long long seed, unsigned long steps, uint64_t ms)
{
	xt_diag("seed %llu, %lu operations in %llu ms", seed, steps,
		(unsigned long long)ms);
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		xt_diag("  %-20s %6lu done %6lu ok %6lu allowed errno %4lu unexpected %5lu skipped",
			ops[i].name, ops[i].done, ops[i].ok, ops[i].expected,
			ops[i].unexpected, ops[i].skipped);
	xt_diag("touches %lu, faults on altered mappings %lu, fork children %lu",
		n_touches, n_faults, n_children);
	xt_diag("GRANT_COPY segments with good grants and a bad status: %lu",
		n_copy_status);
	for (unsigned int i = 0; i < n_unexp_kinds; i++)
		xt_diag("unexpected errno: %s %s x%lu, first at step %lu: %s",
			unexp[i].op < ARRAY_SIZE(ops) ? ops[unexp[i].op].name :
			"teardown", ename(unexp[i].err), unexp[i].n,
			unexp[i].step, unexp[i].line);
}

int main(void)
{
	unsigned long long seed = env_u64("FUZZ_SEED", 0);
	uint64_t t0, ms;
	unsigned long nops = (unsigned long)env_u64("FUZZ_OPS", DEFAULT_OPS);
	unsigned int timeout;
	struct gt_stats base;
	struct xt_peer peer;
	long free0, free1;
	uint64_t deadline, last_diag;
	unsigned int set = GT_SET_CLASSIC | GT_SET_DMABUF | GT_SET_IMPORT;

	t0 = xt_now_ms();
	if (!getenv("FUZZ_SEED")) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^
		       (uint64_t)getpid() << 40;
	}
	if (!nops)
		nops = DEFAULT_OPS;
	timeout = nops / 40 + 90 < 300 ? (unsigned int)(nops / 40 + 90) : 300;
	printf("# fuzz seed %llu\n", seed);
	printf("# xt-timeout %u\n", timeout);
	fflush(stdout);
	fz.seed = seed;
	fz.rng = seed ? seed : 0x9e3779b97f4a7c15ull;
	fz.log_all = getenv("FUZZ_LOG");

	setup(&peer);
	drain_pool();
	gt_stats_read(&base);
	free0 = gt_free_kb();

	/* The operations, leaving time for the teardown and the checks. */
	deadline = t0 + (uint64_t)(timeout - 60) * 1000;
	last_diag = xt_now_ms();
	for (fz.step = 1; fz.step <= nops; fz.step++) {
		step(pick_op());
		if (xt_now_ms() - last_diag > 10000) {
			last_diag = xt_now_ms();
			xt_diag("%lu of %lu operations", fz.step, nops);
		}
		if (xt_now_ms() > deadline) {
			xt_diag("time budget spent: stopping after %lu of %lu operations",
				fz.step, nops);
			fz.step++;
			break;
		}
	}
	fz.step--;
	teardown();
	ms = xt_now_ms() - t0;

	xt_ok(!n_mustfail, "%lu operations, seed %llu: no call that must fail succeeded (%lu did)",
	      fz.step, seed, n_mustfail);
	xt_ok(!n_wrong, "no call gave a wrong result (%lu did)", n_wrong);
	xt_ok(!n_pristine, "no fault touching an unaltered mapping (%lu touches, %lu faults)",
	      n_touches, n_pristine);
	xt_ok(!n_child_bad, "every fork() child exited or faulted (%lu children)",
	      n_children);
	xt_ok(!n_teardown_bad, "every release of the teardown succeeded");
	xt_ok(fresh_map_works(&peer), "a fresh mapping afterwards shows the domU's bytes");
	settle(&base, set);
	gt_stats_check(&base, set, "after the fuzz run");
	free1 = gt_free_kb();
	xt_ok(free0 < 0 || free1 > free0 - FREE_SLACK_KB,
	      "free memory back within 4 MiB (%ld kB, was %ld kB)", free1, free0);
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	summary(seed, fz.step, ms);
	if (xt_failures() && !dumped)
		dump_ring();
	if (xt_failures())
		xt_diag("replay: FUZZ_SEED=%llu FUZZ_OPS=%lu", seed, fz.step);
	return xt_exit();
}
