// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-race - threads and processes hammer gntdev files at once, for a
 * bounded time, and the module must keep every promise of its ABI.
 *
 * The main process and two forked workers each run THREADS threads for
 * SECONDS: all threads of a process share one gntdev file and one table
 * of its grant mappings, and pick operations at random:
 *	map	MAP_GRANT_REF of 1-8 of the domU's refs, into the table;
 *	unmap	UNMAP_GRANT_REF of a mapping taken out of the table, which
 *		another thread may be mmapping at that very moment;
 *	mmap	mmap() of a mapping of the table never mmapped before, the
 *		domU's bytes checked, munmap(): the mapping may be gone
 *		already (EINVAL); or of one mmapped before: EBUSY (a range
 *		is mmapped once in its life) or EINVAL;
 *	export	DMABUF_EXP_FROM_REFS of 1-16 refs, mmap() of the dma-buf and
 *		its bytes checked, close(), EXP_WAIT_RELEASED;
 *	fork	a child mmaps a fresh mapping of the table through the
 *		inherited file, checks its bytes and exits 20 ms later
 *		(meanwhile the parent's writes break copy-on-write: MMU
 *		invalidations beside its mmap() and munmap());
 *	reopen	a private gntdev file: map, mmap, close the file while the
 *		pages stay mmapped (they must stay readable), munmap.
 * Any errno the race does not explain, a wrong byte or a signal is a
 * failure; so is a counter not back at its baseline once everything is
 * closed, or a frame handed over to Xen outside the PVH pool.  Without dma-buf export (Debian's
 * module) the export operation is left out.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <sys/wait.h>

#include "dmabuf-util.h"

#define NPAGES 64
#define THREADS 4
#define WORKERS 2
#define SECONDS 8
#define SLOTS 64

enum op { OP_MAP, OP_UNMAP, OP_MMAP, OP_EXPORT, OP_FORK, OP_REOPEN, NOPS };
static const char *const op_name[NOPS] = {
	"map", "unmap", "mmap", "export", "fork", "reopen",
};

struct slot {
	uint64_t index;
	unsigned int first, count;	/* refs[first .. first + count) */
	enum { NEW, CLAIMED, USED } state;	/* CLAIMED: mmap() under way */
	unsigned long serial;
	bool shaky;	/* made while an unmapped index was in flight */
};

/*
 * What pick() takes: a slot out of the table, a NEW one (which becomes
 * CLAIMED), a USED one (an mmap() of it has returned).
 */
enum pick { TAKE, FRESH, AGAIN };

/*
 * An index reused: a thread picks a slot and, before its mmap() reaches
 * the kernel, another unmaps it and a third maps new refs that get the
 * same index.  The first mmap() then finds the new range, as it would
 * after close() and open() of a file descriptor.  So a slot unmapped
 * while its mmap() is under way becomes a "zombie" until that mmap()
 * returns: its result proves nothing, and a slot mapped over a zombie's
 * index is "shaky": the zombie's mmap() may have taken it (EBUSY).
 */
struct zombie {
	uint64_t index;
	unsigned int count;
	unsigned long serial;
};

/* What the threads of one process share. */
static struct {
	pthread_mutex_t lock;
	struct slot slot[SLOTS];
	unsigned int nslots, reserved;	/* reserved: being mapped */
	struct zombie zombie[SLOTS];
	unsigned int nzombies;
	unsigned long serial;
	int gfd, domid;
	bool can_export;
	uint64_t deadline;
	unsigned long done[NOPS], raced[NOPS], bad;
	char first_bad[160];
} S = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint32_t refs[NPAGES];

static void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bad(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&S.lock);
	if (!S.bad++) {
		va_start(ap, fmt);
		vsnprintf(S.first_bad, sizeof(S.first_bad), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&S.lock);
}

static void count(enum op op, bool raced)
{
	pthread_mutex_lock(&S.lock);
	S.done[op]++;
	S.raced[op] += raced;
	pthread_mutex_unlock(&S.lock);
}

/* A copy of a random slot as @how says; false if there is none. */
static bool pick(unsigned int *seed, struct slot *out, enum pick how)
{
	unsigned int i, n, start;
	bool got = false;

	pthread_mutex_lock(&S.lock);
	start = S.nslots ? (unsigned int)rand_r(seed) % S.nslots : 0;
	for (n = 0; n < S.nslots && !got; n++) {
		i = (start + n) % S.nslots;
		if ((how == FRESH && S.slot[i].state != NEW) ||
		    (how == AGAIN && S.slot[i].state != USED))
			continue;
		*out = S.slot[i];
		got = true;
		if (how == FRESH) {
			S.slot[i].state = CLAIMED;
		} else if (how == TAKE) {
			if (out->state == CLAIMED)
				S.zombie[S.nzombies++] = (struct zombie){
					out->index, out->count, out->serial };
			S.slot[i] = S.slot[--S.nslots];
		}
	}
	pthread_mutex_unlock(&S.lock);
	return got;
}

/*
 * The mmap() of slot @s (picked FRESH or AGAIN) has returned: a FRESH
 * slot still listed becomes USED.  True if the slot was unmapped since
 * the pick (the result proves nothing then).
 */
static bool settle(const struct slot *s)
{
	bool taken = true;
	unsigned int i;

	pthread_mutex_lock(&S.lock);
	for (i = 0; i < S.nzombies; i++)
		if (S.zombie[i].serial == s->serial)
			S.zombie[i] = S.zombie[--S.nzombies];
	for (i = 0; i < S.nslots; i++)
		if (S.slot[i].serial == s->serial) {
			taken = false;
			S.slot[i].state = USED;
		}
	pthread_mutex_unlock(&S.lock);
	return taken;
}

/*
 * Do the @n pages at @m show the domU's pages @first... (pattern 1)?  A
 * few bytes a page, quietly: a forked child may call it.
 */
static bool pages_ok(const volatile uint8_t *m, unsigned int first,
		     unsigned int n)
{
	static const unsigned int at[] = { 0, 1, 2049, GT_PAGE - 1 };

	for (unsigned int p = 0; p < n; p++)
		for (unsigned int i = 0; i < ARRAY_SIZE(at); i++)
			if (m[(size_t)p * GT_PAGE + at[i]] !=
			    xt_pattern(1, first + p, at[i]))
				return false;
	return true;
}

/* Wrong bytes, from touch_slot(). */
#define EWRONG 1000

/* mmap a mapping, check its bytes, munmap; 0, the mmap errno or EWRONG. */
static int touch_slot(int gfd, const struct slot *s)
{
	size_t len = (size_t)s->count * GT_PAGE;
	volatile uint8_t *m;
	bool ok;

	m = mmap(NULL, len, PROT_READ, MAP_SHARED, gfd, (off_t)s->index);
	if (m == MAP_FAILED)
		return errno;
	ok = pages_ok(m, s->first, s->count);
	munmap((void *)m, len);
	return ok ? 0 : EWRONG;
}

static const char *err_name(int err)
{
	return err == EWRONG ? "wrong bytes" : err ? strerror(err) : "success";
}

/*
 * Judge the result @err of an mmap() of slot @s, picked FRESH (@again
 * false) or AGAIN.  Unless the slot was unmapped meanwhile: a fresh
 * range maps with the domU's bytes (or EBUSY if shaky), a range mmapped
 * before is EBUSY.  Once unmapped: success, EINVAL, EBUSY or another
 * range's bytes, never another errno.
 */
static void judge_mmap(const struct slot *s, bool again, int err,
		       const char *who)
{
	bool taken = settle(s);

	if (taken) {
		if (err && err != EINVAL && err != EBUSY && err != EWRONG)
			bad("%s of an unmapped range: %s", who, err_name(err));
	} else if (again) {
		if (err != EBUSY)
			bad("%s of a range mmapped before: %s, not EBUSY", who,
			    err_name(err));
	} else if (err && !(err == EBUSY && s->shaky)) {
		bad("%s of a fresh range: %s", who, err_name(err));
	}
	count(OP_MMAP, taken);
}

/* Map @count refs from @first on @gfd; 0 or an errno. */
static int map_refs(int gfd, unsigned int first, unsigned int count,
		    uint64_t *index)
{
	return gt_map(gfd, S.domid, refs + first, count, index) ? errno : 0;
}

static void op_map(unsigned int *seed)
{
	unsigned int n = 1 + (unsigned int)rand_r(seed) % 8;
	unsigned int first = (unsigned int)rand_r(seed) % (NPAGES - n + 1);
	struct slot s = { .first = first, .count = n, .state = NEW };
	uint64_t end;
	unsigned int i;
	int err;

	pthread_mutex_lock(&S.lock);
	if (S.nslots + S.reserved + S.nzombies >= SLOTS) {
		pthread_mutex_unlock(&S.lock);
		return;
	}
	S.reserved++;
	pthread_mutex_unlock(&S.lock);
	err = map_refs(S.gfd, first, n, &s.index);
	pthread_mutex_lock(&S.lock);
	S.reserved--;
	if (!err) {
		end = s.index + (uint64_t)n * GT_PAGE;
		for (i = 0; i < S.nzombies; i++)
			s.shaky |= S.zombie[i].index < end &&
				   s.index < S.zombie[i].index +
					     (uint64_t)S.zombie[i].count * GT_PAGE;
		s.serial = ++S.serial;
		S.slot[S.nslots++] = s;
	}
	pthread_mutex_unlock(&S.lock);
	if (err)
		bad("MAP_GRANT_REF of %u refs: %s", n, strerror(err));
	count(OP_MAP, false);
}

static void op_unmap(unsigned int *seed)
{
	struct slot s;

	if (!pick(seed, &s, TAKE))
		return;
	if (gt_unmap(S.gfd, s.index, s.count))
		bad("UNMAP_GRANT_REF of a mapping of the table: %m");
	count(OP_UNMAP, false);
}

static void op_mmap(unsigned int *seed)
{
	bool again = rand_r(seed) % 4 == 0;
	struct slot s;

	if (pick(seed, &s, again ? AGAIN : FRESH))
		judge_mmap(&s, again, touch_slot(S.gfd, &s), "mmap");
}

static void op_export(unsigned int *seed)
{
	unsigned int n = 1 + (unsigned int)rand_r(seed) % 16;
	unsigned int first = (unsigned int)rand_r(seed) % (NPAGES - n + 1);
	volatile uint8_t *m;
	int fd, err;

	if (!S.can_export)
		return;
	err = dmb_export(S.gfd, 0, (uint32_t)S.domid, n, refs + first, &fd);
	if (err) {
		bad("EXP_FROM_REFS of %u refs: %s", n, strerror(err));
		return;
	}
	m = mmap(NULL, (size_t)n * GT_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		bad("mmap of a dma-buf: %m");
	} else {
		if (!pages_ok(m, first, n))
			bad("dma-buf of refs %u+%u: wrong bytes", first, n);
		munmap((void *)m, (size_t)n * GT_PAGE);
	}
	close(fd);
	err = dmb_wait(S.gfd, fd, 5000);
	/* ENOENT: released before the wait began. */
	if (err && err != ENOENT)
		bad("EXP_WAIT_RELEASED: %s", strerror(err));
	count(OP_EXPORT, false);
}

static void op_fork(unsigned int *seed)
{
	struct slot s;
	int st;
	pid_t pid;

	if (!pick(seed, &s, FRESH))
		return;
	pid = fork();
	if (pid == 0) {
		/* Only system calls here: the other threads' locks are
		 * copied in whatever state they were.
		 */
		int err = touch_slot(S.gfd, &s);

		/*
		 * Linger: while the child lives, the parent's writes break
		 * copy-on-write, and each break is an invalidation of the
		 * parent's mm beside its threads' mmap() and munmap().
		 */
		usleep(20000);
		_exit(err == EWRONG ? 255 : err & 0xff);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		bad("fork/waitpid: %m");
		settle(&s);
	} else if (!WIFEXITED(st)) {
		bad("forked child: signal %d", WTERMSIG(st));
		settle(&s);
	} else {
		st = WEXITSTATUS(st);
		judge_mmap(&s, false, st == 255 ? EWRONG : st, "a child's mmap");
	}
	count(OP_FORK, false);
}

static void op_reopen(unsigned int *seed)
{
	unsigned int n = 1 + (unsigned int)rand_r(seed) % 8;
	unsigned int first = (unsigned int)rand_r(seed) % (NPAGES - n + 1);
	volatile uint8_t *m;
	uint64_t index;
	int fd, err;

	fd = gt_try_open();
	if (fd < 0) {
		bad("open gntdev: %m");
		return;
	}
	err = map_refs(fd, first, n, &index);
	if (err) {
		bad("MAP_GRANT_REF on a private file: %s", strerror(err));
		close(fd);
		return;
	}
	m = mmap(NULL, (size_t)n * GT_PAGE, PROT_READ, MAP_SHARED, fd,
		 (off_t)index);
	close(fd);
	if (m == MAP_FAILED) {
		bad("mmap on a private file: %m");
		return;
	}
	if (!pages_ok(m, first, n))
		bad("pages mmapped from a closed file changed");
	munmap((void *)m, (size_t)n * GT_PAGE);
	count(OP_REOPEN, false);
}

static void *worker(void *arg)
{
	static void (*const run[NOPS])(unsigned int *) = {
		op_map, op_unmap, op_mmap, op_export, op_fork, op_reopen,
	};
	/* Weights: mostly the racing map/unmap/mmap, forks seldom. */
	static const unsigned char weight[NOPS] = { 6, 5, 6, 3, 1, 2 };
	unsigned int seed = (unsigned int)(uintptr_t)arg, r, op;

	while (xt_now_ms() < S.deadline) {
		r = (unsigned int)rand_r(&seed) % 23;
		for (op = 0; r >= weight[op]; op++)
			r -= weight[op];
		run[op](&seed);
	}
	return NULL;
}

/* One process's run: THREADS threads on one file; 0 if all went well. */
static int process_run(unsigned int seed, bool report)
{
	pthread_t thr[THREADS];
	unsigned long total = 0;
	char line[256];
	size_t len = 0;
	unsigned int i;

	S.gfd = gt_open();
	S.deadline = xt_now_ms() + SECONDS * 1000;
	for (i = 0; i < THREADS; i++)
		if (pthread_create(&thr[i], NULL, worker,
				   (void *)(uintptr_t)(seed + i)))
			xt_fatal("pthread_create");
	for (i = 0; i < THREADS; i++)
		pthread_join(thr[i], NULL);
	while (S.nslots--)
		if (gt_unmap(S.gfd, S.slot[S.nslots].index,
			     S.slot[S.nslots].count))
			bad("UNMAP_GRANT_REF at the end: %m");
	close(S.gfd);
	for (i = 0; i < NOPS; i++) {
		total += S.done[i];
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					"%s%s %lu", i ? ", " : "", op_name[i],
					S.done[i]);
	}
	if (report) {
		xt_diag("main process: %s; mmaps of a range unmapped meanwhile %lu",
			line, S.raced[OP_MMAP]);
		xt_ok(!S.bad && total > 0,
		      "%u threads, %lu operations in %d s: %s%s", THREADS,
		      total, SECONDS, S.bad ? "first fault: " : "no fault",
		      S.first_bad);
	} else if (S.bad) {
		fprintf(stderr, "# worker %u: %lu faults, first: %s\n", seed,
			S.bad, S.first_bad);
	}
	return S.bad || !total;
}

int main(void)
{
	struct xt_peer peer;
	struct gt_stats base, now;
	pid_t pid[WORKERS];
	int gfd, st, i, ok = 0;

	printf("# xt-timeout 120\n");
	fflush(stdout);
	gt_require_ours();
	gt_need_domu();
	gt_stats_read(&base);
	gfd = gt_open();
	S.can_export = dmb_wait(gfd, 0, 0) != ENOTTY;
	close(gfd);
	gt_grants(&peer, NPAGES, "", refs, NULL);
	S.domid = peer.domid;

	fflush(stdout);
	for (i = 0; i < WORKERS; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(process_run(1000u * (unsigned int)(i + 1), false));
	}
	process_run(7u, true);
	for (i = 0; i < WORKERS; i++)
		ok += pid[i] > 0 && waitpid(pid[i], &st, 0) == pid[i] &&
		      WIFEXITED(st) && WEXITSTATUS(st) == 0;
	xt_ok(ok == WORKERS, "%d worker processes ran without a fault (%d)",
	      WORKERS, ok);

	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	gt_stats_check(&base, GT_SET_CLASSIC | GT_SET_DMABUF,
		       "after the race (everything closed)");
	/*
	 * Not dom0's free memory: in PVH the frames of released exports stay
	 * handed over to Xen in the pool (hundreds after this test, until
	 * its idle drain), which zz-leaks checks once the module is gone.
	 */
	gt_stats_read(&now);
	xt_ok(now.v[GT_DMABUF_FRAMES_OUT] - now.v[GT_DMABUF_POOL] ==
	      base.v[GT_DMABUF_FRAMES_OUT] - base.v[GT_DMABUF_POOL],
	      "every frame still handed over is pooled (%ld out, %ld pooled)",
	      now.v[GT_DMABUF_FRAMES_OUT], now.v[GT_DMABUF_POOL]);
	return xt_exit();
}
