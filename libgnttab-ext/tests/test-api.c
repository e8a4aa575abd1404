// SPDX-License-Identifier: GPL-2.0-only
/*
 * test-api - host tests of the handle, export, import and event code
 * without Xen.
 *
 * A fake gntdev: this program defines ioctl() (and mmap()/munmap()),
 * which the statically linked library calls instead of libc's.  For the
 * fds in fake_fds[] the fake answers the gntdev ioctls from a script
 * (struct fake); every other call goes to the kernel through syscall().
 * The fake devices are /dev/null (a character device, so gntext_open_fd()
 * accepts it once GET_OFFSET_FOR_VADDR answers EINVAL; no "features"
 * attribute, so no release events) and the read end of a pipe, used
 * through the internal gntext__handle_new() as a handle with release
 * events: the test writes struct gntdev_dmabuf_release records into the
 * pipe.  Fake dma-bufs are memfds (unique st_ino).
 *
 * Negative cases first: argument checks that must fail before any ioctl
 * (the fake counts its calls), then the positive paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <xen/gntdev.h>

#include "internal.h"
#include "tap.h"

#define NFD 1024
#define PAGE 4096

static struct fake {
	int fds[4];
	int nfds;
	unsigned long calls;	/* ioctls on fake fds */
	/* DMABUF_EXP_FROM_REFS(_V2) */
	int exp_errno;
	int exp_v2;
	uint32_t exp_flags, exp_count, exp_domid, exp_ofs, exp_ref0;
	/* DMABUF_EXP_WAIT_RELEASED: answer by fd number (0 = success) */
	int wait_ans[NFD];
	unsigned long nwait;
	uint32_t wait_fd, wait_ms;
	/* DMABUF_IMP_TO_REFS(_V2) and IMP_RELEASE */
	int imp_errno, imp_v2, imp_fd, rel_errno, rel_fd, rel_fd_open;
	/* MAP/UNMAP_GRANT_REF, mmap */
	uint32_t (*grants)[PAGE / 4];
	uint32_t ngrants, map_domid, map_ref;
	int map_errno, mmap_errno, maps, unmaps, mmaps, munmaps;
	uint64_t map_index;
	void *mapped;
} F;

static int is_fake(int fd)
{
	int i;

	for (i = 0; i < F.nfds; i++)
		if (F.fds[i] == fd)
			return 1;
	return 0;
}

static int fail(int e)
{
	errno = e;
	return -1;
}

static int fake_ioctl(unsigned long req, void *arg)
{
	struct ioctl_gntdev_dmabuf_exp_from_refs *e1 = arg;
	struct ioctl_gntdev_dmabuf_exp_from_refs_v2 *e2 = arg;
	struct ioctl_gntdev_dmabuf_exp_wait_released *w = arg;
	struct ioctl_gntdev_dmabuf_imp_to_refs *i1 = arg;
	struct ioctl_gntdev_dmabuf_imp_to_refs_v2 *i2 = arg;
	struct ioctl_gntdev_dmabuf_imp_release *r = arg;
	struct ioctl_gntdev_map_grant_ref *m = arg;
	struct ioctl_gntdev_unmap_grant_ref *u = arg;
	uint32_t k;
	int fd;

	F.calls++;
	switch (req) {
	case IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR:
		return fail(EINVAL);
	case IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS:
	case IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS_V2:
		F.exp_v2 = req == IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS_V2;
		F.exp_flags = e1->flags;
		F.exp_count = e1->count;
		F.exp_domid = F.exp_v2 ? e2->domid : e1->domid;
		F.exp_ofs = F.exp_v2 ? e2->data_ofs : 0;
		F.exp_ref0 = F.exp_v2 ? e2->refs[0] : e1->refs[0];
		if (F.exp_errno)
			return fail(F.exp_errno);
		fd = memfd_create("fake-dmabuf", MFD_CLOEXEC);
		if (fd < 0)
			return -1;
		if (F.exp_v2)
			e2->fd = fd;
		else
			e1->fd = fd;
		return 0;
	case IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED:
		F.nwait++;
		F.wait_fd = w->fd;
		F.wait_ms = w->wait_to_ms;
		if (w->fd >= NFD)
			return fail(ENOENT);
		return F.wait_ans[w->fd] ? fail(F.wait_ans[w->fd]) : 0;
	case IOCTL_GNTDEV_DMABUF_IMP_TO_REFS:
	case IOCTL_GNTDEV_DMABUF_IMP_TO_REFS_V2:
		F.imp_v2 = req == IOCTL_GNTDEV_DMABUF_IMP_TO_REFS_V2;
		F.imp_fd = i1->fd;
		if (F.imp_errno)
			return fail(F.imp_errno);
		for (k = 0; k < i1->count; k++) {
			if (F.imp_v2)
				i2->refs[k] = 1000 + k;
			else
				i1->refs[k] = 1000 + k;
		}
		if (F.imp_v2)
			i2->data_ofs = 256;
		return 0;
	case IOCTL_GNTDEV_DMABUF_IMP_RELEASE:
		F.rel_fd = r->fd;
		F.rel_fd_open = fcntl(r->fd, F_GETFD) >= 0;
		return F.rel_errno ? fail(F.rel_errno) : 0;
	case IOCTL_GNTDEV_MAP_GRANT_REF:
		if (m->count != 1)
			return fail(EINVAL);
		F.map_domid = m->refs[0].domid;
		F.map_ref = m->refs[0].ref;
		if (F.map_errno)
			return fail(F.map_errno);
		F.maps++;
		F.map_index = (uint64_t)F.maps << 12;
		m->index = F.map_index;
		return 0;
	case IOCTL_GNTDEV_UNMAP_GRANT_REF:
		if (u->index != F.map_index || u->count != 1)
			return fail(ENOENT);
		F.unmaps++;
		return 0;
	default:
		return fail(ENOTTY);
	}
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (is_fake(fd))
		return fake_ioctl(req, arg);
	return syscall(SYS_ioctl, fd, req, arg);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (!is_fake(fd))
		return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd,
				       off);
	F.mmaps++;
	if (F.mmap_errno || len != PAGE || prot != PROT_READ ||
	    (uint64_t)off != F.map_index || F.map_ref >= F.ngrants) {
		errno = F.mmap_errno ? F.mmap_errno : EINVAL;
		return MAP_FAILED;
	}
	F.mapped = F.grants[F.map_ref];
	return F.mapped;
}

int munmap(void *addr, size_t len)
{
	if (addr && addr == F.mapped) {
		F.munmaps++;
		F.mapped = NULL;
		return 0;
	}
	return syscall(SYS_munmap, addr, len);
}

/* ---- helpers ---- */

static int pipe_rd = -1, pipe_wr = -1;

static void fake_reset_maps(void)
{
	F.maps = 0;
	F.unmaps = 0;
	F.mmaps = 0;
	F.munmaps = 0;
}

static void fake_add(int fd)
{
	F.fds[F.nfds++] = fd;
}

static void send_rec(uint64_t ino, uint32_t fd, uint32_t flags)
{
	struct gntdev_dmabuf_release r = {
		.ino = ino, .fd = fd, .flags = flags,
	};

	if (write(pipe_wr, &r, sizeof(r)) != sizeof(r))
		abort();
}

static void send_release(struct gntext_export *e)
{
	send_rec(gntext_export_id(e), e->fdnum, 0);
}

static long ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 +
	       (b.tv_nsec - a->tv_nsec) / 1000000;
}

static struct gntext_export *export(struct gntext_handle *h, uint32_t data_ofs)
{
	uint32_t refs[3] = { 11, 12, 13 };
	struct gntext_export *e = NULL;

	if (gntext_exp_from_refs(h, 1, 0, 3, refs, data_ofs, &e))
		return NULL;
	return e;
}

/* ---- tests ---- */

static void test_open(void)
{
	char path[] = "/tmp/gntext-api.XXXXXX";
	int p[2], fd;

	tap_ok(tap_nfails(gntext_open(1), EINVAL), "open: flags 1 is EINVAL");
	tap_ok(tap_nfails(gntext_open(~0u), EINVAL), "open: flags ~0 is EINVAL");
	if (access("/dev/xen/gntdev", F_OK))
		tap_ok(tap_nfails(gntext_open(0), ENOENT),
		       "open: no /dev/xen/gntdev here: ENOENT");
	tap_ok(tap_nfails(gntext_open_fd(-1), EBADF), "open_fd: -1 is EBADF");
	tap_ok(tap_nfails(gntext_open_fd(NFD - 1), EBADF),
	       "open_fd: a closed fd is EBADF");
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	tap_ok(tap_nfails(gntext_open_fd(fd), ENOTTY),
	       "open_fd: /dev/null is ENOTTY");
	close(fd);
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	tap_ok(tap_nfails(gntext_open_fd(fd), ENOTTY),
	       "open_fd: /dev/zero is ENOTTY");
	close(fd);
	if (pipe2(p, O_CLOEXEC) == 0) {
		tap_ok(tap_nfails(gntext_open_fd(p[0]), ENOTTY),
		       "open_fd: a pipe is ENOTTY");
		close(p[0]);
		close(p[1]);
	}
	fd = mkstemp(path);
	if (fd >= 0) {
		tap_ok(tap_nfails(gntext_open_fd(fd), ENOTTY),
		       "open_fd: a regular file is ENOTTY");
		close(fd);
		unlink(path);
	}
	tap_ok(gntext_close(NULL) == 0, "close(NULL) is 0");
	tap_ok(tap_fails(gntext_fd(NULL), EINVAL), "fd(NULL) is EINVAL");
}

static void test_args(struct gntext_handle *h, int memfd)
{
	uint32_t refs[4] = { 1, 2, 3, 4 }, out[4], ofs;
	unsigned long calls = F.calls;
	struct gntext_caps caps;
	struct gntext_export *e;
	struct gntext_import *i;

	tap_ok(tap_fails(gntext_exp_from_refs(NULL, 1, 0, 1, refs, 0, &e),
			 EINVAL), "exp_from_refs: NULL handle");
	tap_ok(tap_fails(gntext_exp_from_refs(h, 1, 0, 1, NULL, 0, &e), EINVAL),
	       "exp_from_refs: NULL refs");
	tap_ok(tap_fails(gntext_exp_from_refs(h, 1, 0, 1, refs, 0, NULL),
			 EINVAL), "exp_from_refs: NULL out");
	tap_ok(tap_fails(gntext_exp_from_refs(h, 1, 0, 0, refs, 0, &e), EINVAL),
	       "exp_from_refs: count 0");
	tap_ok(tap_fails(gntext_exp_from_refs(h, 1, 0, 1, refs, 4096, &e),
			 EINVAL), "exp_from_refs: data_ofs 4096");
	tap_ok(tap_fails(gntext_exp_from_refs(h, 1, 0, 1, refs, UINT32_MAX, &e),
			 EINVAL), "exp_from_refs: data_ofs UINT32_MAX");
	tap_ok(tap_fails(gntext_exp_from_refs(h, 1, GNTEXT_EXP_WC |
					  GNTEXT_EXP_COHERENT, 1, refs, 0,
					  &e), EINVAL),
	       "exp_from_refs: WC and COHERENT");
	tap_ok(tap_fails(gntext_exp_from_refs(h, 1, 4, 1, refs, 0, &e), EINVAL),
	       "exp_from_refs: unknown flag");
	tap_ok(tap_fails(gntext_exp_to_refs(NULL, memfd, 1, 1, out, NULL, &i),
			 EINVAL), "exp_to_refs: NULL handle");
	tap_ok(tap_fails(gntext_exp_to_refs(h, memfd, 1, 1, NULL, NULL, &i),
			 EINVAL), "exp_to_refs: NULL refs");
	tap_ok(tap_fails(gntext_exp_to_refs(h, memfd, 1, 1, out, &ofs, NULL),
			 EINVAL), "exp_to_refs: NULL out");
	tap_ok(tap_fails(gntext_exp_to_refs(h, memfd, 1, 0, out, NULL, &i),
			 EINVAL), "exp_to_refs: count 0");
	tap_ok(tap_fails(gntext_exp_to_refs(h, -1, 1, 1, out, NULL, &i), EBADF),
	       "exp_to_refs: fd -1 is EBADF");
	tap_ok(tap_fails(gntext_exp_to_refs(h, NFD - 2, 1, 1, out, NULL, &i),
			 EBADF), "exp_to_refs: a closed fd is EBADF");
	tap_ok(tap_fails(gntext_export_release(NULL, 0), EINVAL) &&
	       tap_fails(gntext_export_wait(NULL, 0), EINVAL) &&
	       tap_fails(gntext_import_release(NULL), EINVAL) &&
	       tap_fails(gntext_export_fd(NULL), EINVAL),
	       "release/wait/import_release/export_fd of NULL: EINVAL");
	tap_ok(gntext_export_id(NULL) == 0 && gntext_export_count(NULL) == 0 &&
	       gntext_export_size(NULL) == 0, "export accessors of NULL: 0");
	gntext_export_free(NULL);
	tap_ok(tap_fails(gntext_released(NULL, &e, 1), EINVAL),
	       "released: NULL handle");
	tap_ok(tap_fails(gntext_released(h, NULL, 1), EINVAL),
	       "released: NULL out");
	tap_ok(tap_fails(gntext_released(h, &e, 1), EOPNOTSUPP),
	       "released: no release events is EOPNOTSUPP");
	tap_ok(tap_fails(gntext_probe(h, NULL), EINVAL) &&
	       tap_fails(gntext_probe(NULL, &caps), EINVAL), "probe: NULLs");
	tap_ok(tap_fails(gntext_dir_walk_grants(NULL, 1, 1, 1, out, 4), EINVAL),
	       "dir_walk_grants: NULL handle");
	tap_ok(tap_fails(gntext_dir_walk_grants(h, 1, 1, 0, out, 4), EINVAL),
	       "dir_walk_grants: size 0");
	tap_ok(tap_fails(gntext_dir_walk_grants(h, 1, 1, 5 * 4096, out, 4),
			 EINVAL), "dir_walk_grants: more refs than max_refs");
	tap_ok(F.calls == calls, "no ioctl made by any of the above");
}

static void test_export(struct gntext_handle *h)
{
	uint32_t refs[3] = { 21, 22, 23 };
	struct gntext_export *e = NULL;
	struct stat st;

	tap_ok(gntext_exp_from_refs(h, 5, GNTEXT_EXP_WC, 3, refs, 0, &e) ==
	       0 && !F.exp_v2 && F.exp_flags == GNTDEV_DMA_FLAG_WC &&
	       F.exp_count == 3 && F.exp_domid == 5 && F.exp_ref0 == 21,
	       "export: data_ofs 0 is the V1 ioctl, arguments passed");
	tap_ok(e && fstat(gntext_export_fd(e), &st) == 0 &&
	       gntext_export_id(e) == st.st_ino &&
	       gntext_export_count(e) == 3 &&
	       gntext_export_size(e) == 3 * 4096,
	       "export: fd, id = st_ino, count, size");
	F.wait_ans[e->fdnum] = 0;
	tap_ok(gntext_export_release(e, 100) == GNTEXT_RELEASED &&
	       F.wait_ms == 100, "export: release, WAIT 0 is RELEASED");

	tap_ok(gntext_exp_from_refs(h, 6, GNTEXT_EXP_COHERENT, 3, refs, 100,
				    &e) == 0 && F.exp_v2 &&
	       F.exp_ofs == 100 && F.exp_domid == 6 && F.exp_ref0 == 21 &&
	       F.exp_flags == GNTDEV_DMA_FLAG_COHERENT &&
	       gntext_export_size(e) == 3 * 4096 - 100,
	       "export: data_ofs 100 is the V2 ioctl, size 3 pages - 100");
	F.wait_ans[e->fdnum] = ENOENT;
	tap_ok(gntext_export_release(e, 0) == GNTEXT_RELEASED,
	       "export: WAIT ENOENT, no other export: RELEASED");

	F.exp_errno = EDQUOT;
	tap_ok(tap_fails(gntext_exp_from_refs(h, 5, 0, 3, refs, 0, &e), EDQUOT),
	       "export: the ioctl's errno (EDQUOT)");
	F.exp_errno = 0;
	tap_ok(h->nexports == 0, "export: a failed export is not tracked");
}

static void test_release_nonevents(struct gntext_handle *h)
{
	struct gntext_export *a, *b, *c;
	unsigned long calls;
	int n;

	a = export(h, 0);
	tap_ok(tap_fails(gntext_export_wait(a, 0), EINVAL),
	       "wait before release is EINVAL");
	tap_ok(tap_fails(gntext_close(h), EBUSY) && h->nexports == 1,
	       "close with a live export: EBUSY, nothing freed");
	n = a->fdnum;
	F.wait_ans[n] = ETIMEDOUT;
	tap_ok(gntext_export_release(a, 0) == GNTEXT_TIMEDOUT &&
	       gntext_export_fd(a) == -1 && fcntl(n, F_GETFD) == -1,
	       "WAIT ETIMEDOUT: TIMEDOUT, fd closed, export valid");
	tap_ok(tap_fails(gntext_close(h), EBUSY),
	       "close with a timed-out export: EBUSY");
	F.wait_ans[n] = EINTR;
	tap_ok(gntext_export_wait(a, 10) == GNTEXT_INTERRUPTED,
	       "WAIT EINTR: INTERRUPTED");
	F.wait_ans[n] = EFAULT;
	tap_ok(tap_fails(gntext_export_wait(a, 10), EFAULT),
	       "WAIT EFAULT: -1 EFAULT, export kept");
	F.wait_ans[n] = 0;
	tap_ok(gntext_export_wait(a, 10) == GNTEXT_RELEASED,
	       "wait again: RELEASED");

	/* Reused fd numbers. */
	a = export(h, 0);
	n = a->fdnum;
	F.wait_ans[n] = ETIMEDOUT;
	gntext_export_release(a, 0);
	b = export(h, 0);
	if (!b || (int)b->fdnum != n) {
		tap_ok(1, "# SKIP fd number not reused");
		return;
	}
	calls = F.calls;
	tap_ok(gntext_export_wait(a, 1000) == GNTEXT_UNKNOWN &&
	       F.calls == calls,
	       "a newer live export has the number: UNKNOWN, no WAIT made");
	gntext_export_release(b, 0);		/* TIMEDOUT */
	c = export(h, 0);			/* gets n again */
	gntext_export_release(c, 0);		/* TIMEDOUT */
	F.wait_ans[n] = ENOENT;
	tap_ok((int)c->fdnum == n && gntext_export_wait(b, 0) ==
	       GNTEXT_UNKNOWN,
	       "ENOENT while another unreleased export has the number: UNKNOWN");
	tap_ok(gntext_export_wait(c, 0) == GNTEXT_RELEASED,
	       "ENOENT, the number no longer shared: RELEASED");
	tap_ok(h->nexports == 0, "every export freed");
}

static void test_import(struct gntext_handle *h)
{
	uint32_t refs[4] = { 0 }, ofs = 7;
	struct gntext_import *i = NULL;
	struct stat a, b;
	int memfd, dupfd;

	memfd = memfd_create("fake-gem", MFD_CLOEXEC);
	tap_ok(gntext_exp_to_refs(h, memfd, 7, 4, refs, NULL, &i) == 0 &&
	       !F.imp_v2 && F.imp_fd != memfd && refs[0] == 1000 &&
	       refs[3] == 1003, "import: no data_ofs is V1, refs returned");
	dupfd = F.imp_fd;
	tap_ok(fstat(memfd, &a) == 0 && fstat(dupfd, &b) == 0 &&
	       a.st_ino == b.st_ino &&
	       (fcntl(dupfd, F_GETFD) & FD_CLOEXEC),
	       "import: the ioctl got a close-on-exec dup of the buffer");
	close(memfd);
	tap_ok(tap_fails(gntext_close(h), EBUSY),
	       "close with an import: EBUSY");
	F.rel_errno = 0;
	tap_ok(gntext_import_release(i) == GNTEXT_RELEASED &&
	       F.rel_fd == dupfd && F.rel_fd_open &&
	       fcntl(dupfd, F_GETFD) == -1,
	       "import release 0: RELEASED, by the open dup, dup closed");

	memfd = memfd_create("fake-gem", MFD_CLOEXEC);
	tap_ok(gntext_exp_to_refs(h, memfd, 7, 1, refs, &ofs, &i) == 0 &&
	       F.imp_v2 && ofs == 256, "import: data_ofs pointer is V2");
	dupfd = F.imp_fd;
	F.rel_errno = EBUSY;
	tap_ok(gntext_import_release(i) == GNTEXT_DEFERRED &&
	       fcntl(dupfd, F_GETFD) == -1,
	       "import release EBUSY: DEFERRED, dup closed");
	gntext_exp_to_refs(h, memfd, 7, 1, refs, NULL, &i);
	dupfd = F.imp_fd;
	F.rel_errno = ENOENT;
	tap_ok(tap_fails(gntext_import_release(i), ENOENT) &&
	       fcntl(dupfd, F_GETFD) == -1,
	       "import release ENOENT: -1 ENOENT, dup closed");
	F.imp_errno = EXDEV;
	tap_ok(tap_fails(gntext_exp_to_refs(h, memfd, 7, 1, refs, NULL, &i),
			 EXDEV) && fcntl(F.imp_fd, F_GETFD) == -1,
	       "import EXDEV: the ioctl's errno, dup closed");
	F.imp_errno = 0;
	F.rel_errno = 0;
	close(memfd);
	tap_ok(h->nimports == 0, "every import freed");
}

static void test_walk_grants(struct gntext_handle *h)
{
	uint32_t refs[2100], dir[3] = { 1, 2, 0 }, data[2025], k;

	F.ngrants = 4;
	F.grants = calloc(F.ngrants, PAGE);
	for (k = 0; k < 2025; k++)
		data[k] = 500 + k;
	gntext_dir_build(F.grants[1], dir, data, 2025);
	fake_reset_maps();
	tap_ok(gntext_dir_walk_grants(h, 3, 1, 2025ull * PAGE, refs, 2100) ==
	       2025 && !memcmp(refs, data, sizeof(data)) && F.map_domid == 3 &&
	       F.maps == 2 && F.unmaps == 2 && F.mmaps == 2 && F.munmaps == 2,
	       "walk_grants: 1080p directory read through 2 grant maps, each unmapped");
	fake_reset_maps();
	F.mmap_errno = EAGAIN;
	tap_ok(tap_fails(gntext_dir_walk_grants(h, 3, 1, 2025ull * PAGE, refs,
						2100), EAGAIN) &&
	       F.maps == 1 && F.unmaps == 1 && F.munmaps == 0,
	       "walk_grants: mmap failure is its errno, range unmapped");
	F.mmap_errno = 0;
	F.map_errno = ENOSPC;
	tap_ok(tap_fails(gntext_dir_walk_grants(h, 3, 1, 2025ull * PAGE, refs,
						2100), ENOSPC) && F.mmaps == 1,
	       "walk_grants: MAP_GRANT_REF failure is its errno, no mmap");
	F.map_errno = 0;
	F.grants[2][0] = 1;
	tap_ok(tap_fails(gntext_dir_walk_grants(h, 3, 1, 2025ull * PAGE, refs,
						2100), ELOOP),
	       "walk_grants: a cycle is ELOOP");
	free(F.grants);
	F.grants = NULL;
}

/* ---- release events ---- */

struct waiter {
	struct gntext_export *e;
	unsigned int ms;
	int ret;
	pthread_t t;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->ret = gntext_export_release(w->e, w->ms);
	return NULL;
}

static void test_events(struct gntext_handle *h)
{
	struct gntext_export *e, *f, *g, *out[4];
	struct waiter wa, wb;
	struct timespec t0;
	unsigned long calls;
	int n;

	e = export(h, 0);
	tap_ok(e && gntext_export_release(e, 0) == GNTEXT_TIMEDOUT,
	       "events: no record yet: TIMEDOUT");
	tap_ok(gntext_released(h, out, 4) == 0, "events: nothing released");
	send_rec(0x7fffffff12345ull, 3, 0);
	tap_ok(gntext_released(h, out, 4) == 0,
	       "events: a record of someone else's buffer is ignored");
	send_release(e);
	tap_ok(gntext_released(h, out, 4) == 1 && out[0] == e,
	       "events: the record reports the export");
	send_release(e);
	tap_ok(gntext_released(h, out, 4) == 0,
	       "events: reported once, a repeated record is ignored");
	gntext_export_free(e);

	e = export(h, 0);
	send_release(e);	/* queued before the fd is even closed */
	tap_ok(gntext_export_release(e, 0) == GNTEXT_RELEASED,
	       "events: a synchronous close with its record: RELEASED");

	e = export(h, 0);
	f = export(h, 0);
	g = export(h, 0);
	gntext_export_release(e, 0);
	gntext_export_release(f, 0);
	gntext_export_release(g, 0);
	send_release(g);
	send_release(e);
	send_release(f);
	tap_ok(gntext_released(h, out, 2) == 2 &&
	       gntext_released(h, out + 2, 2) == 1,
	       "events: at most max per call, the rest on the next");
	gntext_export_free(out[0]);
	gntext_export_free(out[1]);
	gntext_export_free(out[2]);

	e = export(h, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tap_ok(gntext_export_release(e, 100) == GNTEXT_TIMEDOUT &&
	       ms_since(&t0) >= 99 && ms_since(&t0) < 1000,
	       "events: a 100 ms wait times out after 100 ms");
	tap_ok(gntext_export_wait(e, 0) == GNTEXT_TIMEDOUT,
	       "events: wait 0 again: TIMEDOUT");
	send_release(e);
	tap_ok(gntext_export_wait(e, 0) == GNTEXT_RELEASED,
	       "events: wait again after the record: RELEASED");

	/* Two synchronous waiters and a gntext_released() caller. */
	wa.e = export(h, 0);
	wb.e = export(h, 0);
	wa.ms = 5000;
	wb.ms = 5000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&wa.t, NULL, wait_thread, &wa);
	pthread_create(&wb.t, NULL, wait_thread, &wb);
	usleep(50000);
	send_release(wb.e);
	usleep(20000);
	n = gntext_released(h, out, 4);
	send_release(wa.e);
	n += gntext_released(h, out, 4);
	pthread_join(wa.t, NULL);
	pthread_join(wb.t, NULL);
	tap_ok(wa.ret == GNTEXT_RELEASED && wb.ret == GNTEXT_RELEASED &&
	       n == 0 && ms_since(&t0) < 2000,
	       "events: two waiters released by their records, none handed to released() (%ld ms)",
	       ms_since(&t0));

	/* A lost record: the module is asked. */
	e = export(h, 0);
	f = export(h, 0);
	gntext_export_release(e, 0);
	gntext_export_release(f, 0);
	F.wait_ans[e->fdnum] = ENOENT;
	F.wait_ans[f->fdnum] = ETIMEDOUT;
	send_rec(0, ~0u, GNTDEV_DMABUF_RELEASE_LOST);
	tap_ok(gntext_released(h, out, 4) == 1 && out[0] == e,
	       "events: after LOST, WAIT ENOENT reports the export");
	gntext_export_free(out[0]);
	tap_ok(!h->lost && !f->lost,
	       "events: after LOST, WAIT ETIMEDOUT: the record is to come");
	send_release(f);
	tap_ok(gntext_released(h, out, 4) == 1 && out[0] == f,
	       "events: ... and it does");
	gntext_export_free(out[0]);

	/* A lost record while a newer export has the fd number. */
	e = export(h, 0);
	gntext_export_release(e, 0);
	f = export(h, 0);
	if ((int)f->fdnum != (int)e->fdnum) {
		tap_ok(1, "# SKIP fd number not reused");
		return;
	}
	F.wait_ans[e->fdnum] = ENOENT;
	calls = F.nwait;
	send_rec(0, ~0u, GNTDEV_DMABUF_RELEASE_LOST);
	tap_ok(gntext_released(h, out, 4) == 0 && F.nwait == calls &&
	       h->lost && e->lost,
	       "events: LOST, the number taken by a newer export: not asked");
	gntext_export_release(f, 0);
	send_release(f);
	n = gntext_released(h, out, 4);
	tap_ok(n == 2 && F.nwait == calls + 1 && !h->lost,
	       "events: once the newer one is released, the older is asked");
	while (n > 0)
		gntext_export_free(out[--n]);
	tap_ok(h->nexports == 0, "events: every export freed");
}

int main(void)
{
	struct gntext_handle *h, *he;
	int nullfd, memfd, p[2];

	test_open();

	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	fake_add(nullfd);
	h = gntext_open_fd(nullfd);
	tap_ok(h && gntext_fd(h) == nullfd && !h->events,
	       "open_fd: a fake gntdev (GET_OFFSET_FOR_VADDR EINVAL) is taken");
	if (!h)
		return tap_done();
	memfd = memfd_create("fake-gem", MFD_CLOEXEC);
	test_args(h, memfd);
	close(memfd);
	test_export(h);
	test_release_nonevents(h);
	test_import(h);
	test_walk_grants(h);
	tap_ok(gntext_close(h) == 0 && fcntl(nullfd, F_GETFD) >= 0,
	       "close: 0 with nothing left; a borrowed fd stays open");
	close(nullfd);

	if (pipe2(p, O_CLOEXEC))
		return tap_done();
	pipe_rd = p[0];
	pipe_wr = p[1];
	fake_add(pipe_rd);
	he = gntext__handle_new(pipe_rd, 1, 1);
	test_events(he);
	tap_ok(gntext_close(he) == 0 && fcntl(pipe_rd, F_GETFD) == -1,
	       "close: an owned fd is closed");
	close(pipe_wr);
	return tap_done();
}
