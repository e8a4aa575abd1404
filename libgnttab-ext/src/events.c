// SPDX-License-Identifier: LGPL-2.1-only
/*
 * events.c - release events of our module: gntext_released(), and the
 * event side of gntext_export_release()/gntext_export_wait().
 *
 * Owns the reading of the gntdev fd.  The module queues one struct
 * gntdev_dmabuf_release per buffer released after the first poll() of
 * the file, which handle.c makes (timeout 0) when it opens a handle on a
 * module with "release-events".  Rules:
 *
 *  - One reader at a time (h->pumping under h->lock).  The reader polls
 *    without the lock, then reads (the poll said there is data and no
 *    other thread of the library reads, so a read() on a blocking fd does
 *    not block), and marks the exports it finds by ino GX_RELEASED under
 *    the lock, then wakes every waiter (h->cond).  Records for inos that
 *    are not ours (the caller's own exports on a borrowed fd, exports
 *    already freed) are dropped.  The caller must not read() the fd.
 *  - A synchronous waiter sets e->waiting: gntext_released() never hands
 *    out an export a waiter will free.  Everything else marked released
 *    is handed out by gntext_released(), each export once, and leaves the
 *    handle's list then.
 *  - A record with GNTDEV_DMABUF_RELEASE_LOST (the kernel's queue was
 *    full) flags every closed, unreleased export "lost".  At the end of
 *    the read each flagged export is asked about with EXP_WAIT_RELEASED
 *    (timeout 0): 0 marks it released, ENOENT marks every closed export
 *    with that fd number released (no live export has it), ETIMEDOUT
 *    clears the flag (the release is still to come and will be queued).
 *    An export whose fd number a newer unreleased export of the handle
 *    has taken cannot be asked about (the ioctl names the newest); it
 *    stays flagged and is asked again at each later read, until the
 *    newer one has been released.
 *
 * Releases another thread's synchronous wait read are returned by the
 * next gntext_released() call although poll() may no longer report
 * POLLIN for them: callers mixing both should call gntext_released()
 * after their synchronous releases too.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <xen/gntdev.h>

#include "internal.h"

#define RECS_PER_READ	128
/* Enough reads for a full kernel queue and its LOST record. */
#define MAX_READS	(GNTDEV_DMABUF_RELEASE_QUEUE / RECS_PER_READ + 2)

void gntext__events_enable(struct gntext_handle *h)
{
	struct pollfd pfd = { .fd = h->fd, .events = POLLIN };

	(void)poll(&pfd, 1, 0);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timespec ms_to_ts(uint64_t ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000,
	};

	return ts;
}

static struct gntext_export *find_ino(struct gntext_handle *h, uint64_t ino)
{
	struct gntext_list *l;
	struct gntext_export *e;

	for (l = h->exports.next; l != &h->exports; l = l->next) {
		e = gntext__container_of(l, struct gntext_export, node);
		if (e->ino == ino)
			return e;
	}
	return NULL;
}

/* Mark what @n records say.  Called with h->lock held. */
static void process(struct gntext_handle *h, const struct gntdev_dmabuf_release *r,
		    size_t n)
{
	struct gntext_list *l;
	struct gntext_export *e;
	int lost = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (r[i].flags & GNTDEV_DMABUF_RELEASE_LOST) {
			lost = 1;
			continue;
		}
		e = find_ino(h, r[i].ino);
		if (e && e->state == GX_CLOSED) {
			e->state = GX_RELEASED;
			e->lost = 0;
		}
	}
	if (!lost)
		return;
	for (l = h->exports.next; l != &h->exports; l = l->next) {
		e = gntext__container_of(l, struct gntext_export, node);
		if (e->state == GX_CLOSED) {
			e->lost = 1;
			h->lost = 1;
		}
	}
}

/* A newer closed-or-live export with @e's fd number.  h->lock held. */
static int has_newer_twin(struct gntext_export *e)
{
	struct gntext_list *l;
	struct gntext_export *o;

	for (l = e->h->exports.next; l != &e->h->exports; l = l->next) {
		o = gntext__container_of(l, struct gntext_export, node);
		if (o != e && o->fdnum == e->fdnum && o->seq > e->seq &&
		    o->state <= GX_CLOSED)
			return 1;
	}
	return 0;
}

/* Ask the module about each export flagged lost.  h->lock held. */
static void recover(struct gntext_handle *h)
{
	struct ioctl_gntdev_dmabuf_exp_wait_released arg;
	struct gntext_list *l, *m;
	struct gntext_export *e, *o;
	int pending = 0;

	for (l = h->exports.next; l != &h->exports; l = l->next) {
		e = gntext__container_of(l, struct gntext_export, node);
		if (!e->lost)
			continue;
		if (e->state != GX_CLOSED) {
			e->lost = 0;
			continue;
		}
		if (has_newer_twin(e)) {
			pending = 1;
			continue;
		}
		arg.fd = e->fdnum;
		arg.wait_to_ms = 0;
		if (ioctl(h->fd, IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED,
			  &arg) == 0) {
			e->state = GX_RELEASED;
			e->lost = 0;
		} else if (errno == ENOENT) {
			for (m = h->exports.next; m != &h->exports;
			     m = m->next) {
				o = gntext__container_of(m, struct gntext_export,
							 node);
				if (o->fdnum == e->fdnum &&
				    o->state == GX_CLOSED) {
					o->state = GX_RELEASED;
					o->lost = 0;
				}
			}
		} else if (errno == ETIMEDOUT) {
			e->lost = 0;
		} else {
			pending = 1;
		}
	}
	h->lost = pending;
}

/*
 * Read what is queued, waiting up to @timeout_ms for the first record.
 * The caller has set h->pumping and does not hold h->lock.  0, or -1
 * with errno (EINTR for a signal).
 */
static int pump(struct gntext_handle *h, uint64_t timeout_ms)
{
	struct gntdev_dmabuf_release recs[RECS_PER_READ];
	struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
	int ms = timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms;
	int i, n, ret = 0;
	ssize_t got;

	for (i = 0; i < MAX_READS; i++) {
		pfd.revents = 0;
		n = poll(&pfd, 1, i ? 0 : ms);
		if (n < 0) {
			ret = -1;
			break;
		}
		if (n == 0)
			break;
		if (!(pfd.revents & POLLIN)) {
			errno = pfd.revents & POLLNVAL ? EBADF : EIO;
			ret = -1;
			break;
		}
		got = read(h->fd, recs, sizeof(recs));
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			ret = -1;
			break;
		}
		if (got == 0)
			break;
		pthread_mutex_lock(&h->lock);
		process(h, recs, (size_t)got / sizeof(recs[0]));
		pthread_mutex_unlock(&h->lock);
	}
	n = errno;
	pthread_mutex_lock(&h->lock);
	if (h->lost)
		recover(h);
	pthread_mutex_unlock(&h->lock);
	errno = n;
	return ret;
}

/* Become the reader, pump, and wake the others.  h->lock held. */
static int pump_locked(struct gntext_handle *h, uint64_t timeout_ms)
{
	int ret, err;

	h->pumping = 1;
	pthread_mutex_unlock(&h->lock);
	ret = pump(h, timeout_ms);
	err = errno;
	pthread_mutex_lock(&h->lock);
	h->pumping = 0;
	pthread_cond_broadcast(&h->cond);
	errno = err;
	return ret;
}

int gntext__events_wait(struct gntext_export *e, unsigned int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms, now, rem;
	struct gntext_handle *h = e->h;
	int pumped = 0, ret, err = 0;
	struct timespec ts;

	pthread_mutex_lock(&h->lock);
	e->waiting = 1;
	for (;;) {
		if (e->state == GX_RELEASED) {
			ret = GNTEXT_RELEASED;
			break;
		}
		now = now_ms();
		rem = now < deadline ? deadline - now : 0;
		if (!h->pumping) {
			if (pumped && rem == 0) {
				ret = GNTEXT_TIMEDOUT;
				break;
			}
			pumped = 1;
			if (pump_locked(h, rem)) {
				err = errno;
				ret = err == EINTR ? GNTEXT_INTERRUPTED : -1;
				if (e->state == GX_RELEASED)
					ret = GNTEXT_RELEASED;
				break;
			}
			continue;
		}
		if (rem == 0) {
			ret = GNTEXT_TIMEDOUT;
			break;
		}
		ts = ms_to_ts(deadline);
		pthread_cond_timedwait(&h->cond, &h->lock, &ts);
	}
	e->waiting = 0;
	if (ret == GNTEXT_RELEASED) {
		gntext__list_del(&e->node);
		h->nexports--;
		pthread_mutex_unlock(&h->lock);
		free(e);
		return ret;
	}
	pthread_mutex_unlock(&h->lock);
	if (ret < 0)
		errno = err;
	return ret;
}

int gntext_released(struct gntext_handle *h, struct gntext_export **out, unsigned int max)
{
	struct gntext_list *l, *next;
	unsigned int n = 0;
	struct gntext_export *e;
	int err;

	if (!h || (!out && max)) {
		errno = EINVAL;
		return -1;
	}
	if (!h->events) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (max > INT_MAX)
		max = INT_MAX;
	pthread_mutex_lock(&h->lock);
	if (!h->pumping && pump_locked(h, 0)) {
		err = errno;
		if (err != EINTR) {
			pthread_mutex_unlock(&h->lock);
			errno = err;
			return -1;
		}
	}
	for (l = h->exports.next; l != &h->exports && n < max; l = next) {
		next = l->next;
		e = gntext__container_of(l, struct gntext_export, node);
		if (e->state != GX_RELEASED || e->waiting)
			continue;
		gntext__list_del(&e->node);
		h->nexports--;
		e->state = GX_REPORTED;
		out[n++] = e;
	}
	pthread_mutex_unlock(&h->lock);
	return n;
}
