// SPDX-License-Identifier: GPL-2.0-only
/*
 * xt.c - TAP, xenstore and peer helpers for programs inside the Xen
 * machine.  See xt.h for the conventions; this file owns the process-wide
 * TAP counters and the single lazily opened xenstore connection.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "xt.h"

static unsigned int xt_count;
static unsigned int xt_failed;

static void xt_vreport(const char *verdict, const char *directive,
		       const char *fmt, va_list ap)
{
	printf("%s %u - ", verdict, ++xt_count);
	vprintf(fmt, ap);
	if (directive)
		printf(" # %s", directive);
	putchar('\n');
	fflush(stdout);
}

void xt_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xt_vreport(cond ? "ok" : "not ok", NULL, fmt, ap);
	va_end(ap);
	if (!cond)
		xt_failed++;
}

void xt_skip(const char *reason, const char *fmt, ...)
{
	char directive[256];
	va_list ap;

	snprintf(directive, sizeof(directive), "SKIP %s", reason);
	va_start(ap, fmt);
	xt_vreport("ok", directive, fmt, ap);
	va_end(ap);
}

void xt_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void xt_data(const char *fmt, ...)
{
	va_list ap;

	fputs("# xt-data ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void xt_fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("# fatal: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	printf("not ok %u - setup\n1..%u\n", xt_count + 1, xt_count + 1);
	fflush(stdout);
	exit(1);
}

void xt_skip_all(const char *fmt, ...)
{
	va_list ap;

	fputs("1..0 # SKIP ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(77);
}

int xt_failures(void)
{
	return xt_failed;
}

int xt_exit(void)
{
	printf("1..%u\n", xt_count);
	fflush(stdout);
	return xt_failed ? 1 : 0;
}

int xt_domu_id(void)
{
	const char *s = getenv("XT_DOMU_ID");

	return s && *s ? atoi(s) : -1;
}

uint64_t xt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- memory probes ---- */
bool xt_readable(const volatile void *addr)
{
	static int probe[2] = { -1, -1 };
	char c;

	if (probe[0] < 0 && pipe2(probe, O_CLOEXEC))
		xt_fatal("pipe: %m");
	if (write(probe[1], (const void *)addr, 1) != 1)
		return false;
	return read(probe[0], &c, 1) == 1;
}

void *xt_map_aligned(size_t len, int prot, int fd, uint64_t off, size_t align)
{
	uint8_t *res, *at;
	void *p;

	/* Reserve len + align, map at the aligned point, trim both ends. */
	res = mmap(NULL, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (res == MAP_FAILED)
		return MAP_FAILED;
	at = (uint8_t *)(((uintptr_t)res + align - 1) & ~(uintptr_t)(align - 1));
	p = mmap(at, len, prot, MAP_SHARED | MAP_FIXED, fd, off);
	if (at > res)
		munmap(res, at - res);
	munmap(at + len, res + len + align - (at + len));
	return p;
}

bool xt_clear_refs(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, "4", 1) == 1;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* ---- xenstore ---- */

static struct xs_handle *xt_xs(void)
{
	static struct xs_handle *xs;

	if (!xs) {
		xs = xs_open(0);
		if (!xs)
			xt_fatal("xs_open: %s", strerror(errno));
	}
	return xs;
}

char *xt_xs_read(const char *path)
{
	unsigned int len;

	return xs_read(xt_xs(), XBT_NULL, path, &len);
}

static int xt_xs_vwrite(const char *path, const char *fmt, va_list ap)
{
	char *val;
	int n, ret;

	n = vasprintf(&val, fmt, ap);
	if (n < 0)
		return -1;
	ret = xs_write(xt_xs(), XBT_NULL, path, val, n) ? 0 : -1;
	free(val);
	return ret;
}

int xt_xs_write(const char *path, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = xt_xs_vwrite(path, fmt, ap);
	va_end(ap);
	return ret;
}

char *xt_xs_wait(const char *path, int timeout_ms)
{
	uint64_t end = xt_now_ms() + timeout_ms;
	useconds_t nap = 2000;
	char *val;

	for (;;) {
		val = xt_xs_read(path);
		if (val || xt_now_ms() >= end)
			return val;
		usleep(nap);
		if (nap < 20000)
			nap *= 2;
	}
}

/* ---- peers ---- */

int xt_peer_start(struct xt_peer *p, const char *prog_and_args)
{
	static unsigned int counter;
	char path[160];

	p->domid = xt_domu_id();
	if (p->domid < 0)
		return -1;
	p->seq = (unsigned int)getpid() * 1000 + ++counter;
	snprintf(p->dir, sizeof(p->dir), "/local/domain/%d/data/xt/%u",
		 p->domid, p->seq);
	snprintf(path, sizeof(path), "%s/cmd", p->dir);
	return xt_xs_write(path, "%s", prog_and_args);
}

/* "<dir>/<key>" = the formatted value; 0 or -1. */
static int xt_dir_vput(const char *dir, const char *key, const char *fmt,
		       va_list ap)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xt_xs_vwrite(path, fmt, ap);
}

static int xt_dir_put(const char *dir, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int xt_dir_put(const char *dir, const char *key, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = xt_dir_vput(dir, key, fmt, ap);
	va_end(ap);
	return ret;
}

/* "<dir>/<key>" = "<n> <the formatted text>"; 0 or -1. */
static int xt_dir_vput_numbered(const char *dir, const char *key,
				unsigned int n, const char *fmt, va_list ap)
{
	char *text;
	int ret;

	if (vasprintf(&text, fmt, ap) < 0)
		return -1;
	ret = xt_dir_put(dir, key, "%u %s", n, text);
	free(text);
	return ret;
}

/* Poll for "<dir>/<key>" up to @timeout_ms; NULL on timeout. */
static char *xt_dir_get(const char *dir, const char *key, int timeout_ms)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xt_xs_wait(path, timeout_ms);
}

/*
 * Poll "<dir>/<key>" (a "<n> <text>" value) until its number @n is, or
 * with @other is not, @num; *@got gets @n.  The malloc()ed text, or NULL
 * once @timeout_ms passed.
 */
static char *xt_dir_wait_numbered(const char *dir, const char *key,
				  unsigned int num, bool other,
				  unsigned int *got, int timeout_ms)
{
	uint64_t end = xt_now_ms() + timeout_ms;
	char *val;
	int off;

	for (;;) {
		val = xt_dir_get(dir, key, 50);
		if (val && sscanf(val, "%u %n", got, &off) == 1 &&
		    (*got == num) != other) {
			memmove(val, val + off, strlen(val + off) + 1);
			return val;
		}
		free(val);
		if (xt_now_ms() >= end)
			return NULL;
		usleep(5000);
	}
}

int xt_peer_put(struct xt_peer *p, const char *key, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = xt_dir_vput(p->dir, key, fmt, ap);
	va_end(ap);
	return ret;
}

char *xt_peer_get(struct xt_peer *p, const char *key, int timeout_ms)
{
	return xt_dir_get(p->dir, key, timeout_ms);
}

int xt_peer_wait(struct xt_peer *p, int timeout_ms)
{
	char *rc = xt_peer_get(p, "rc", timeout_ms);
	int status;

	if (!rc) {
		/* The agent kills the peer when it sees this key. */
		xt_peer_put(p, "kill", "1");
		return -1;
	}
	status = atoi(rc);
	free(rc);
	xs_rm(xt_xs(), XBT_NULL, p->dir);
	return status;
}

char *xt_peer_call(struct xt_peer *p, int timeout_ms, const char *fmt, ...)
{
	static unsigned int n;
	unsigned int got;
	va_list ap;

	/* A request that could not be written is answered by the timeout. */
	va_start(ap, fmt);
	xt_dir_vput_numbered(p->dir, "req", ++n, fmt, ap);
	va_end(ap);
	return xt_dir_wait_numbered(p->dir, "rep", n, false, &got, timeout_ms);
}

unsigned int xt_peer_refs(struct xt_peer *p, uint32_t *refs, unsigned int n,
			  int timeout_ms)
{
	unsigned int i = 0, first;
	char key[32], *list, *pos, *end;

	while (i < n) {
		first = i;
		snprintf(key, sizeof(key), "refs/%u", i / XT_REFS_PER_KEY);
		list = xt_peer_get(p, key, timeout_ms);
		if (!list)
			break;
		for (pos = list; i < n && i - first < XT_REFS_PER_KEY;
		     i++, pos = end) {
			refs[i] = (uint32_t)strtoul(pos, &end, 10);
			if (end == pos)
				break;
		}
		free(list);
		if (i - first != XT_REFS_PER_KEY && i != n)
			break;
	}
	return i;
}

int xt_grant_peer(struct xt_peer *p, unsigned int npages, const char *opts,
		  uint32_t *refs, int *port)
{
	char cmd[128], *ready;
	unsigned int i;

	snprintf(cmd, sizeof(cmd), "grant-pages %u %s", npages,
		 opts ? opts : "");
	if (xt_peer_start(p, cmd)) {
		xt_diag("cannot start '%s' (no domU?)", cmd);
		return -1;
	}
	ready = xt_peer_get(p, "ready", 30000);
	if (!ready) {
		xt_diag("'%s' did not get ready", cmd);
		return -1;
	}
	free(ready);
	i = xt_peer_refs(p, refs, npages, 1000);
	if (i != npages) {
		xt_diag("'%s' published %u of %u refs", cmd, i, npages);
		return -1;
	}
	if (port) {
		char *val = xt_peer_get(p, "port", 1000);

		*port = val ? atoi(val) : -1;
		free(val);
		if (*port < 0)
			return -1;
	}
	return 0;
}

int xt_peer_finish(struct xt_peer *p)
{
	char *rep = xt_peer_call(p, 10000, "exit");

	free(rep);
	return xt_peer_wait(p, 10000);
}

static const char *xt_self_dir(void)
{
	const char *dir = getenv("XT_DIR");

	if (!dir)
		xt_fatal("XT_DIR is not set: not started by the agent");
	return dir;
}

int xt_self_put(const char *key, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = xt_dir_vput(xt_self_dir(), key, fmt, ap);
	va_end(ap);
	return ret;
}

char *xt_self_get(const char *key, int timeout_ms)
{
	return xt_dir_get(xt_self_dir(), key, timeout_ms);
}

char *xt_self_next_req(unsigned int last, unsigned int *n, int timeout_ms)
{
	return xt_dir_wait_numbered(xt_self_dir(), "req", last, true, n,
				    timeout_ms);
}

int xt_self_reply(unsigned int n, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = xt_dir_vput_numbered(xt_self_dir(), "rep", n, fmt, ap);
	va_end(ap);
	return ret;
}

void xt_self_serve(char *(*serve)(const char *req), bool forever)
{
	unsigned int last = 0, n;
	char *req, *rep;

	for (;;) {
		req = xt_self_next_req(last, &n, 600000);
		if (!req) {
			if (forever)
				continue;
			xt_fatal("no request from dom0 for 10 minutes");
		}
		last = n;
		if (!strcmp(req, "exit")) {
			xt_self_reply(n, "ok");
			free(req);
			return;
		}
		rep = serve(req);
		xt_self_reply(n, "%s", rep ? rep : "error");
		free(rep);
		free(req);
	}
}
