/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xt.h - the test library shared by every program that runs inside the
 * Xen machine (dom0 tests and their domU peers).
 *
 * TAP: a test program calls xt_ok()/xt_skip() once per check and returns
 * xt_exit() from main().  Output is kselftest-style TAP on stdout ("ok N -
 * desc", "not ok N - desc", "# diag", and a "1..N" plan at the end); the
 * in-machine runner (xt-run) turns it into framed results for the host.
 * Exit status: 0 all passed, 1 something failed, 77 = whole program
 * skipped (see xt_skip_all()).
 *
 * Peers: a dom0 test starts a program in the domU with xt_peer_start().
 * The domU's agent runs /xt/domu/<prog> with the environment variable
 * XT_DIR set to the peer's private xenstore directory
 * (/local/domain/<domU>/data/xt/<seq>).  Both sides exchange strings
 * there: dom0 with xt_peer_put()/xt_peer_get(), the peer with
 * xt_self_put()/xt_self_get().  Reads poll (xs_watch is unreliable in
 * static binaries); every wait has a timeout in milliseconds.
 *
 * Lifetime: the xenstore connection is opened on first use and lives
 * until exit.  Strings returned by *_get() are malloc()ed: the caller
 * frees them.
 */
#ifndef XT_H
#define XT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * linux-libc-dev's <xen/evtchn.h> and <xen/gntdev.h> use these types without
 * defining them; C11 allows repeating an identical typedef.
 */
typedef uint16_t domid_t;
typedef uint32_t grant_ref_t;

/* ---- TAP ---- */
void xt_ok(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void xt_skip(const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void xt_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * One row of measurements for the host ("# xt-data ROW": xt-run sends it
 * as a framed "V" record, counted like a result; `make bench` collects
 * the rows as CSV).  ROW is comma-separated, without spaces.
 */
void xt_data(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a diagnostic and exit 1 at once (setup failures). */
void xt_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* Skip the whole program with a reason: prints "1..0 # SKIP", exits 77. */
void xt_skip_all(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
int xt_exit(void);
/* Number of failed checks so far. */
int xt_failures(void);

/* The number of elements of array @a. */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Evaluate an expression once, report it as a check, yield its truth. */
#define XT_CHECK(cond, ...) ({ bool xt_c_ = (cond); xt_ok(xt_c_, __VA_ARGS__); xt_c_; })

/* ---- environment ---- */
/* The domU's id (XT_DOMU_ID), or -1 when there is none. */
int xt_domu_id(void);
/* Milliseconds since an arbitrary epoch (CLOCK_MONOTONIC). */
uint64_t xt_now_ms(void);

/* ---- memory probes ---- */
/*
 * Is the byte at @addr readable without a fault?  (Asked through a pipe,
 * which reports EFAULT instead of raising a signal.)
 */
bool xt_readable(const volatile void *addr);
/*
 * A MAP_SHARED mapping of @len bytes of @fd at @off whose start is
 * aligned to @align (a power of two), or MAP_FAILED.
 */
void *xt_map_aligned(size_t len, int prot, int fd, uint64_t off, size_t align);
/* echo 4 > /proc/self/clear_refs (clear soft-dirty bits); true if written. */
bool xt_clear_refs(void);

/* ---- xenstore (absolute or home-relative paths) ---- */
char *xt_xs_read(const char *path);
int xt_xs_write(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Poll until @path exists; NULL on timeout. */
char *xt_xs_wait(const char *path, int timeout_ms);

/* ---- peers (dom0 side) ---- */
struct xt_peer {
	int domid;
	unsigned int seq;
	char dir[96];		/* /local/domain/<domid>/data/xt/<seq> */
};

/* Start "/xt/domu/<prog> [args]" in the domU; 0 or -1. */
int xt_peer_start(struct xt_peer *p, const char *prog_and_args);
int xt_peer_put(struct xt_peer *p, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
char *xt_peer_get(struct xt_peer *p, const char *key, int timeout_ms);
/* Wait for the peer to exit: its exit status, or -1 on timeout. */
int xt_peer_wait(struct xt_peer *p, int timeout_ms);

/*
 * Request/reply with a running peer: dom0 writes "req" = "<n> <text>",
 * the peer answers "rep" = "<n> <result>".  Returns the malloc()ed
 * result, or NULL if the peer did not answer within @timeout_ms.
 */
char *xt_peer_call(struct xt_peer *p, int timeout_ms, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define XT_REFS_PER_KEY 256
/*
 * Read up to @n refs a "grant-pages" peer published (its refs/K keys, each
 * waited for up to @timeout_ms) into @refs; returns how many it read.
 */
unsigned int xt_peer_refs(struct xt_peer *p, uint32_t *refs, unsigned int n,
			  int timeout_ms);
/*
 * Start the domU peer "grant-pages NPAGES OPTS" (see tests/domu/
 * grant-pages.c) and collect the @npages grant refs it publishes (and its
 * event channel port when OPTS holds "evtchn"; @port may be NULL).
 * 0 on success, -1 (with a diagnostic) otherwise.
 */
int xt_grant_peer(struct xt_peer *p, unsigned int npages, const char *opts,
		  uint32_t *refs, int *port);
/* Ask the peer to leave and wait for it: 0 if it exited cleanly. */
int xt_peer_finish(struct xt_peer *p);

/* ---- peers (domU side; XT_DIR from the environment) ---- */
int xt_self_put(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *xt_self_get(const char *key, int timeout_ms);
/* Next request after number @last (NULL on timeout); *n gets its number. */
char *xt_self_next_req(unsigned int last, unsigned int *n, int timeout_ms);
int xt_self_reply(unsigned int n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * A peer's request loop: answers each request with @serve's malloc()ed
 * reply ("error" for NULL) until "exit" (answered "ok"); returns then.
 * Without a request for 10 minutes it gives up (xt_fatal), unless
 * @forever.
 */
void xt_self_serve(char *(*serve)(const char *req), bool forever);

/*
 * The byte pattern both domains write and check: byte @off of page @page
 * for pattern @seed.  Different seeds give different bytes almost
 * everywhere, so a check cannot pass on stale data.
 */
static inline uint8_t xt_pattern(uint32_t seed, uint32_t page, uint32_t off)
{
	uint32_t x = (seed * 2654435761u) ^ (page << 12 | off);

	x ^= x >> 13;
	x *= 0x5bd1e995u;
	x ^= x >> 15;
	return (uint8_t)x;
}

/*
 * The test picture (0x00RRGGBB at pixel @x, @y of a @w x @h image): eight
 * colour bars over the top half, horizontal and vertical ramps below, a
 * white frame and a diagonal.  The domU draws it, the host checks a
 * screenshot against it pixel for pixel.
 */
static inline uint32_t xt_picture(uint32_t x, uint32_t y, uint32_t w,
				  uint32_t h)
{
	static const uint32_t bars[8] = {
		0xffffff, 0xffff00, 0x00ffff, 0x00ff00,
		0xff00ff, 0xff0000, 0x0000ff, 0x000000,
	};

	if (x < 4 || y < 4 || x >= w - 4 || y >= h - 4 || x * h == y * w)
		return 0xffffff;
	if (y < h / 2)
		return bars[x * 8 / w];
	if (y < h * 3 / 4)
		return (x * 255 / (w - 1)) << 16 | (y & 0xff) << 8 | 0x40;
	return 0x20 << 16 | (y * 255 / (h - 1)) << 8 | (x * 255 / (w - 1));
}

#endif
