// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-events - release events (poll() and read() of a gntdev file)
 * and the device's "features" attribute, raw (include/uapi/xen/gntdev.h).
 *
 *  - features: the words this dom0 flavour must list, and nothing from
 *    the stock module's absent attribute;
 *  - a release before the file's first poll()/read() is not reported;
 *  - 64 exports, their fds closed in a scrambled order, are collected by
 *    one poll() loop: each release exactly once, with the buffer's st_ino
 *    and fd number; then EAGAIN and no POLLIN;
 *  - a buffer kept alive by a dup()ed fd is reported only once that is
 *    closed; a blocking read() wakes for it;
 *  - another file's exports are not reported here, nor an export whose
 *    fd number never reached userspace (EFAULT);
 *  - read() of less than a record: EINVAL; nothing queued: EAGAIN; a
 *    bad buffer: EFAULT with the record kept; EXP_WAIT_RELEASED of a
 *    reported buffer: ENOENT;
 *  - more than GNTDEV_DMABUF_RELEASE_QUEUE releases unread: the first
 *    record read is the LOST marker, then exactly the queue's records;
 *  - the file closed with events unread: every counter back.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "dmabuf-util.h"

#define NPAGES 64
#define NBUF 64
#define OVER (GNTDEV_DMABUF_RELEASE_QUEUE + 10)

static uint32_t refs[NPAGES];

/* "ok", or what errno says went wrong. */
#define OUTCOME(cond) ((cond) ? "ok" : strerror(errno))

static bool has_word(const char *line, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = line; (p = strstr(p, word)); p += n)
		if ((p == line || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

static void check_features(int gfd)
{
	static const char *const all[] = {
		"export", "export-v2", "wait-released", "release-events",
		"import", "import-v2",
	};
	char path[64], line[256] = "";
	struct stat st;
	bool pv = gt_dom0_is_pv();
	FILE *f;

	if (fstat(gfd, &st))
		xt_fatal("fstat gntdev: %m");
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/features",
		 major(st.st_rdev), minor(st.st_rdev));
	f = fopen(path, "r");
	if (!XT_CHECK(f, "%s is readable (%s)", path, OUTCOME(f)))
		return;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	xt_diag("features: %s", line);
	for (unsigned int i = 0; i < ARRAY_SIZE(all); i++)
		xt_ok(has_word(line, all[i]), "features lists %s", all[i]);
	xt_ok(has_word(line, "contig-wc") == !pv &&
	      has_word(line, "contig-coherent") == !pv,
	      "features lists contig-wc and contig-coherent only in PVH (%s dom0)",
	      pv ? "PV" : "PVH");
}

/* Read every queued record (@gfd is non-blocking); how many, at most @max. */
static int drain(int gfd, struct gntdev_dmabuf_release *ev, int max)
{
	int n = 0;

	while (n < max) {
		ssize_t got = read(gfd, ev + n, (size_t)(max - n) * sizeof(*ev));

		if (got < 0)
			return errno == EAGAIN ? n : -errno;
		n += (int)(got / (ssize_t)sizeof(*ev));
	}
	return n;
}

static int export_one(int gfd, const struct xt_peer *peer, unsigned int i,
		      uint64_t *ino)
{
	struct stat st;
	int fd, ret;

	ret = dmb_export(gfd, 0, peer->domid, 1, &refs[i % NPAGES], &fd);
	if (ret) {
		errno = ret;
		return -1;
	}
	if (ino) {
		fstat(fd, &st);
		*ino = st.st_ino;
	}
	return fd;
}

static void not_before_first_poll(const struct xt_peer *peer)
{
	int gfd = gt_open(), fd = export_one(gfd, peer, 0, NULL), ret;
	struct pollfd p = { .fd = gfd, .events = POLLIN };

	if (!XT_CHECK(fd >= 0, "an export on a fresh file (%s)",
		      OUTCOME(fd >= 0)))
		goto out;
	close(fd);
	ret = dmb_wait(gfd, fd, 5000);
	xt_ok(ret == 0 || ret == ENOENT,
	      "released before the file was ever polled (%s)",
	      ret ? strerror(ret) : "ok");
	xt_ok(poll(&p, 1, 100) == 0,
	      "that release is not reported by a later poll()");
out:
	close(gfd);
}

static void many(int gfd, const struct xt_peer *peer)
{
	uint64_t ino[NBUF];
	int fds[NBUF], seen[NBUF] = { 0 }, got = 0, dup_ev = 0, stray = 0;
	struct pollfd p = { .fd = gfd, .events = POLLIN };
	uint64_t t0;
	struct gntdev_dmabuf_release ev[16];
	int i, n;

	for (i = 0; i < NBUF; i++) {
		fds[i] = export_one(gfd, peer, (unsigned int)i, &ino[i]);
		if (!XT_CHECK(fds[i] >= 0, "export %d of %d (%s)", i, NBUF,
			      OUTCOME(fds[i] >= 0))) {
			while (i--)
				close(fds[i]);
			return;
		}
	}
	xt_ok(poll(&p, 1, 0) == 0, "64 live exports: no POLLIN");
	/* Scrambled: 64 and 37 are coprime. */
	for (i = 0; i < NBUF; i++)
		close(fds[(i * 37) % NBUF]);
	t0 = xt_now_ms();
	while (got < NBUF && xt_now_ms() - t0 < 10000) {
		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = drain(gfd, ev, 16);
		if (n < 0) {
			xt_diag("read: %s", strerror(-n));
			break;
		}
		for (int k = 0; k < n; k++) {
			for (i = 0; i < NBUF && ino[i] != ev[k].ino; i++)
				;
			if (i == NBUF || ev[k].flags) {
				stray++;
				continue;
			}
			if (seen[i]++)
				dup_ev++;
			else
				got++;
			if (ev[k].fd != (uint32_t)fds[i])
				stray++;
		}
	}
	xt_ok(got == NBUF && !dup_ev && !stray,
	      "one poll loop sees each of the 64 releases once (%d seen, %d twice, %d unknown or wrong fd)",
	      got, dup_ev, stray);
	xt_ok(read(gfd, ev, sizeof(ev)) < 0 && errno == EAGAIN,
	      "then read() says EAGAIN (%m)");
	xt_ok(poll(&p, 1, 0) == 0, "and poll() no POLLIN");
	xt_ok(dmb_wait(gfd, fds[0], 0) == ENOENT,
	      "EXP_WAIT_RELEASED of a reported buffer: ENOENT");
}

struct reader {
	int gfd;
	ssize_t got;
	struct gntdev_dmabuf_release ev;
};

static void *blocking_read(void *arg)
{
	struct reader *r = arg;

	r->got = read(r->gfd, &r->ev, sizeof(r->ev));
	return NULL;
}

static void set_blocking(int gfd, bool on)
{
	int fl = fcntl(gfd, F_GETFL);

	fcntl(gfd, F_SETFL, on ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
}

static void held_by_dup(int gfd, const struct xt_peer *peer)
{
	struct pollfd p = { .fd = gfd, .events = POLLIN };
	struct reader r = { .gfd = gfd, .got = -2 };
	pthread_t thr;
	uint64_t ino;
	int fd, dupfd;

	fd = export_one(gfd, peer, 1, &ino);
	if (!XT_CHECK(fd >= 0, "an export to hold (%s)", OUTCOME(fd >= 0)))
		return;
	dupfd = dup(fd);
	close(fd);
	xt_ok(poll(&p, 1, 300) == 0,
	      "a buffer held by a dup()ed fd is not reported");
	/* A blocking read() waits for the release. */
	set_blocking(gfd, true);
	if (!XT_CHECK(!pthread_create(&thr, NULL, blocking_read, &r),
		      "reader thread")) {
		set_blocking(gfd, false);
		close(dupfd);
		return;
	}
	usleep(200 * 1000);
	xt_ok(r.got == -2, "a blocking read() waits");
	close(dupfd);
	pthread_join(thr, NULL);
	set_blocking(gfd, false);
	xt_ok(r.got == (ssize_t)sizeof(struct gntdev_dmabuf_release) && r.ev.ino == ino &&
	      r.ev.fd == (uint32_t)fd && !r.ev.flags,
	      "closing the dup wakes it with that buffer's record");
}

static void other_file(int gfd, const struct xt_peer *peer)
{
	struct pollfd p = { .fd = gfd, .events = POLLIN };
	int g2 = gt_open(), fd = export_one(g2, peer, 2, NULL), ret;

	if (XT_CHECK(fd >= 0, "an export from a second file (%s)",
		     OUTCOME(fd >= 0))) {
		close(fd);
		ret = dmb_wait(g2, fd, 5000);
		xt_ok(ret == 0 || ret == ENOENT, "released there (%s)",
		      ret ? strerror(ret) : "ok");
	}
	xt_ok(poll(&p, 1, 100) == 0,
	      "another file's release is not reported here");
	close(g2);
}

static void bad_reads(int gfd, const struct xt_peer *peer)
{
	struct pollfd p = { .fd = gfd, .events = POLLIN };
	char small[sizeof(struct gntdev_dmabuf_release) - 1];
	uint64_t ino;
	void *none;
	struct gntdev_dmabuf_release ev;
	int fd;

	xt_ok(read(gfd, small, sizeof(small)) < 0 && errno == EINVAL,
	      "read() of %zu bytes: EINVAL (%m)", sizeof(small));
	xt_ok(read(gfd, &ev, sizeof(ev)) < 0 && errno == EAGAIN,
	      "read() with nothing queued, O_NONBLOCK: EAGAIN (%m)");
	none = mmap(NULL, GT_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	fd = export_one(gfd, peer, 3, &ino);
	if (!XT_CHECK(fd >= 0 && none != MAP_FAILED, "an export (%s)",
		      OUTCOME(fd >= 0 && none != MAP_FAILED)))
		return;
	close(fd);
	xt_ok(poll(&p, 1, 5000) == 1, "its release makes the file readable");
	xt_ok(read(gfd, none, sizeof(ev)) < 0 && errno == EFAULT,
	      "read() into an unmapped page: EFAULT (%m)");
	xt_ok(read(gfd, &ev, sizeof(ev)) == sizeof(ev) && ev.ino == ino,
	      "the record is still there for the next read()");
	munmap(none, GT_PAGE);
}

/*
 * An export whose fd number never reached userspace (the argument is
 * read-only, so writing the fd back fails: EFAULT) is undone; it was
 * never the caller's, so its release must not be reported.
 */
static void aborted_export(int gfd, const struct xt_peer *peer)
{
	struct pollfd p = { .fd = gfd, .events = POLLIN };
	struct ioctl_gntdev_dmabuf_exp_from_refs *op;
	uint8_t *page;
	int ret;

	page = mmap(NULL, GT_PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!XT_CHECK(page != MAP_FAILED, "a page for the argument"))
		return;
	op = (void *)page;
	op->flags = 0;
	op->count = 1;
	op->domid = (uint32_t)peer->domid;
	op->refs[0] = refs[4];
	mprotect(page, GT_PAGE, PROT_READ);
	ret = ioctl(gfd, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, op) ? errno : 0;
	xt_ok(ret == EFAULT, "an export whose fd cannot be written back: EFAULT (%s)",
	      strerror(ret));
	xt_ok(poll(&p, 1, 300) == 0,
	      "its undoing is not reported as a release");
	munmap(page, GT_PAGE);
}

/* More releases than the queue holds, unread. */
static void overflow(const struct xt_peer *peer)
{
	int gfd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	struct pollfd p = { .fd = gfd, .events = POLLIN };
	static struct gntdev_dmabuf_release ev[OVER];
	int i, fd, n, fails = 0, lost_after = 0;

	if (!XT_CHECK(gfd >= 0, "a non-blocking gntdev file (%s)",
		      OUTCOME(gfd >= 0)))
		return;
	poll(&p, 1, 0);
	for (i = 0; i < OVER; i++) {
		fd = export_one(gfd, peer, (unsigned int)i, NULL);
		if (fd < 0) {
			if (!fails++)
				xt_diag("export %d: %m", i);
			continue;
		}
		close(fd);
	}
	xt_ok(!fails, "%d one-page exports, closed at once", OVER);
	n = drain(gfd, ev, OVER);
	for (i = 1; i < n; i++)
		lost_after += !!(ev[i].flags & GNTDEV_DMABUF_RELEASE_LOST);
	xt_ok(n == GNTDEV_DMABUF_RELEASE_QUEUE + 1 && ev[0].flags ==
	      GNTDEV_DMABUF_RELEASE_LOST && ev[0].ino == 0 && !lost_after,
	      "read: the LOST marker, then %d records (%d read, first flags %#x)",
	      GNTDEV_DMABUF_RELEASE_QUEUE, n, n > 0 ? ev[0].flags : 0);
	/* Some unread, and the file goes. */
	for (i = 0; i < 8; i++) {
		fd = export_one(gfd, peer, (unsigned int)i, NULL);
		if (fd >= 0)
			close(fd);
	}
	close(gfd);
}

int main(void)
{
	struct gt_stats base;
	struct xt_peer peer;
	int gfd;

	printf("# xt-timeout 240\n");
	fflush(stdout);
	gt_require_ours();
	gfd = dmb_begin(&peer, NPAGES, refs, &base);
	set_blocking(gfd, false);
	check_features(gfd);
	not_before_first_poll(&peer);
	bad_reads(gfd, &peer);
	many(gfd, &peer);
	held_by_dup(gfd, &peer);
	other_file(gfd, &peer);
	aborted_export(gfd, &peer);
	overflow(&peer);
	close(gfd);
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	gt_stats_check(&base, GT_SET_DMABUF, "after the events");
	return xt_exit();
}
