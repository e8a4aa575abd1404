// SPDX-License-Identifier: LGPL-2.1-only
/*
 * export.c - exp_from_refs: a peer's grants as a local dma-buf.
 * gntext_exp_from_refs(), the export accessors, gntext_export_release(),
 * gntext_export_wait(), gntext_export_free().
 *
 * Lifetime of a struct gntext_export (states in internal.h):
 *   GX_LIVE      from exp_from_refs; the export owns the dma-buf fd.
 *   GX_CLOSED    gntext_export_release() closed the fd; the buffer may
 *                still be held (a dup, an importer, a mapping).
 *   GX_RELEASED  the module said it is gone (an event, or a wait).
 *   GX_REPORTED  gntext_released() gave it to the caller, who frees it
 *                with gntext_export_free().
 * A release or wait that ends GNTEXT_RELEASED or GNTEXT_UNKNOWN unlinks
 * and frees the export itself.  The id is the st_ino of the dma-buf,
 * taken by fstat() right after the export, before anyone else can see
 * the fd.
 *
 * Waiting: with release events (events.c) a wait matches records by
 * ino.  Without them it is EXP_WAIT_RELEASED by fd number, which names
 * the newest live export with that number: when another export of this
 * handle has reused the number, the module cannot say anything about
 * ours.  If that other export is still open the wait would only ever
 * see it, so the answer is GNTEXT_UNKNOWN at once; an ENOENT while
 * another unreleased export has the number is GNTEXT_UNKNOWN too.  Both
 * free the export.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xen/gntdev.h>

#include "internal.h"

/* Bytes of an ioctl argument of @hdr bytes ending in @count u32 refs. */
static int arg_size(size_t hdr, uint32_t count, size_t *size)
{
	if (count == 0 || (count - 1) > (SIZE_MAX - hdr) / sizeof(uint32_t)) {
		errno = EINVAL;
		return -1;
	}
	*size = hdr + (size_t)(count - 1) * sizeof(uint32_t);
	return 0;
}

struct gntext_export *gntext__export_new(struct gntext_handle *h,
					 int dmabuf_fd, uint32_t count,
					 uint32_t data_ofs)
{
	struct gntext_export *e;
	struct stat st;

	if (fstat(dmabuf_fd, &st))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->h = h;
	e->fd = dmabuf_fd;
	e->fdnum = dmabuf_fd;
	e->ino = st.st_ino;
	e->count = count;
	e->data_ofs = data_ofs;
	e->state = GX_LIVE;
	gntext__list_init(&e->node);

	pthread_mutex_lock(&h->lock);
	e->seq = ++h->seq;
	gntext__list_add_tail(&h->exports, &e->node);
	h->nexports++;
	pthread_mutex_unlock(&h->lock);
	return e;
}

void gntext__export_destroy(struct gntext_export *e)
{
	struct gntext_handle *h = e->h;

	pthread_mutex_lock(&h->lock);
	gntext__list_del(&e->node);
	h->nexports--;
	pthread_mutex_unlock(&h->lock);
	free(e);
}

/* Called with h->lock held. */
struct gntext_export *gntext__export_twin(struct gntext_export *e, int live_only)
{
	struct gntext_list *l;
	struct gntext_export *o;

	for (l = e->h->exports.next; l != &e->h->exports; l = l->next) {
		o = gntext__container_of(l, struct gntext_export, node);
		if (o == e || o->fdnum != e->fdnum)
			continue;
		if (live_only ? o->state == GX_LIVE : o->state <= GX_CLOSED)
			return o;
	}
	return NULL;
}

static int export_ioctl(struct gntext_handle *h, uint32_t domid, uint32_t flags,
			uint32_t count, const uint32_t *refs,
			uint32_t data_ofs)
{
	struct ioctl_gntdev_dmabuf_exp_from_refs_v2 *v2;
	struct ioctl_gntdev_dmabuf_exp_from_refs *v1;
	size_t size;
	int ret, err, fd;

	if (data_ofs == 0) {
		if (arg_size(sizeof(*v1), count, &size))
			return -1;
		v1 = calloc(1, size);
		if (!v1)
			return -1;
		v1->flags = flags;
		v1->count = count;
		v1->domid = domid;
		memcpy(v1->refs, refs, count * sizeof(uint32_t));
		ret = ioctl(h->fd, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, v1);
		err = errno;
		fd = v1->fd;
		free(v1);
	} else {
		if (arg_size(sizeof(*v2), count, &size))
			return -1;
		v2 = calloc(1, size);
		if (!v2)
			return -1;
		v2->flags = flags;
		v2->count = count;
		v2->data_ofs = data_ofs;
		v2->domid = domid;
		memcpy(v2->refs, refs, count * sizeof(uint32_t));
		ret = ioctl(h->fd, IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS_V2, v2);
		err = errno;
		fd = v2->fd;
		free(v2);
	}
	if (ret) {
		errno = err;
		return -1;
	}
	return fd;
}

int gntext_exp_from_refs(struct gntext_handle *h, uint32_t domid, uint32_t flags,
			 uint32_t count, const uint32_t *refs,
			 uint32_t data_ofs, struct gntext_export **out)
{
	struct gntext_export *e;
	int fd, err;

	if (!h || !refs || !out || count == 0 ||
	    data_ofs >= GNTEXT_PAGE_SIZE ||
	    (flags & ~(GNTEXT_EXP_WC | GNTEXT_EXP_COHERENT)) ||
	    (flags & GNTEXT_EXP_WC && flags & GNTEXT_EXP_COHERENT)) {
		errno = EINVAL;
		return -1;
	}
	fd = export_ioctl(h, domid, flags, count, refs, data_ofs);
	if (fd < 0)
		return -1;
	e = gntext__export_new(h, fd, count, data_ofs);
	if (!e) {
		/* Nobody saw the fd: closing it releases the buffer. */
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	*out = e;
	return 0;
}

int gntext_export_fd(const struct gntext_export *e)
{
	if (!e) {
		errno = EINVAL;
		return -1;
	}
	return e->fd;
}

uint64_t gntext_export_id(const struct gntext_export *e)
{
	return e ? e->ino : 0;
}

uint32_t gntext_export_count(const struct gntext_export *e)
{
	return e ? e->count : 0;
}

size_t gntext_export_size(const struct gntext_export *e)
{
	if (!e)
		return 0;
	return (size_t)e->count * GNTEXT_PAGE_SIZE - e->data_ofs;
}

/* EXP_WAIT_RELEASED by fd number, for modules without release events. */
static int wait_by_fd(struct gntext_export *e, unsigned int timeout_ms)
{
	struct ioctl_gntdev_dmabuf_exp_wait_released arg = {
		.fd = e->fdnum,
		.wait_to_ms = timeout_ms,
	};
	struct gntext_handle *h = e->h;
	int ambiguous;

	pthread_mutex_lock(&h->lock);
	ambiguous = !!gntext__export_twin(e, 1);
	pthread_mutex_unlock(&h->lock);
	if (ambiguous)
		goto unknown;

	if (ioctl(h->fd, IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED, &arg) == 0)
		goto released;
	switch (errno) {
	case ETIMEDOUT:
		return GNTEXT_TIMEDOUT;
	case EINTR:
		return GNTEXT_INTERRUPTED;
	case ENOENT:
		pthread_mutex_lock(&h->lock);
		ambiguous = !!gntext__export_twin(e, 0);
		pthread_mutex_unlock(&h->lock);
		if (ambiguous)
			goto unknown;
		goto released;
	default:
		return -1;
	}

released:
	gntext__export_destroy(e);
	return GNTEXT_RELEASED;
unknown:
	gntext__export_destroy(e);
	return GNTEXT_UNKNOWN;
}

int gntext_export_wait(struct gntext_export *e, unsigned int timeout_ms)
{
	struct gntext_handle *h;
	int state;

	if (!e) {
		errno = EINVAL;
		return -1;
	}
	h = e->h;
	pthread_mutex_lock(&h->lock);
	state = e->state;
	pthread_mutex_unlock(&h->lock);
	if (state == GX_LIVE || state == GX_REPORTED) {
		/* Not closed yet, or already gntext_released()'s. */
		errno = EINVAL;
		return -1;
	}
	if (h->events)
		return gntext__events_wait(e, timeout_ms);
	return wait_by_fd(e, timeout_ms);
}

int gntext_export_release(struct gntext_export *e, unsigned int timeout_ms)
{
	struct gntext_handle *h;
	int fd = -1;

	if (!e) {
		errno = EINVAL;
		return -1;
	}
	h = e->h;
	pthread_mutex_lock(&h->lock);
	if (e->state == GX_LIVE) {
		fd = e->fd;
		e->fd = -1;
		e->state = GX_CLOSED;
	}
	pthread_mutex_unlock(&h->lock);
	/*
	 * Closed after the state change, so a thread reading release
	 * events finds the export closed when the record arrives.
	 */
	if (fd >= 0)
		close(fd);
	return gntext_export_wait(e, timeout_ms);
}

void gntext_export_free(struct gntext_export *e)
{
	/* Only gntext_released()'s exports are the caller's to free. */
	if (e && e->state == GX_REPORTED)
		free(e);
}
