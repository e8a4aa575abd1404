// SPDX-License-Identifier: LGPL-2.1-only
/*
 * handle.c - the gntdev file: gntext_open(), gntext_open_fd(),
 * gntext_close(), gntext_fd().
 *
 * Lifetime: a handle lives from open to a successful gntext_close().  It
 * owns its fd only when gntext_open() opened it; a borrowed fd
 * (gntext_open_fd()) is never closed by the library.  The handle keeps
 * its exports and imports on lists under h->lock (see internal.h), and
 * gntext_close() refuses with EBUSY, freeing nothing, while either list
 * is non-empty - including exports released but not yet collected by
 * gntext_released() or freed by gntext_export_wait().
 *
 * Telling a gntdev file from another fd (gntext_open_fd): it must be a
 * character device, and IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR for address 0
 * must fail with EINVAL, as every gntdev (ours and upstream's) answers
 * for an address that is not one of its mappings.  That ioctl changes no
 * state.  Anything else (ENOTTY from /dev/null, success, another errno)
 * is ENOTTY.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xen/gntdev.h>

#include "internal.h"

#define GNTDEV_PATH "/dev/xen/gntdev"

struct gntext_handle *gntext__handle_new(int fd, int owns_fd, int events)
{
	pthread_condattr_t ca;
	struct gntext_handle *h;

	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->fd = fd;
	h->owns_fd = owns_fd;
	h->events = events;
	gntext__list_init(&h->exports);
	gntext__list_init(&h->imports);

	if (pthread_mutex_init(&h->lock, NULL))
		goto err_free;
	if (pthread_condattr_init(&ca))
		goto err_mutex;
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&h->cond, &ca)) {
		pthread_condattr_destroy(&ca);
		goto err_mutex;
	}
	pthread_condattr_destroy(&ca);
	return h;

err_mutex:
	pthread_mutex_destroy(&h->lock);
err_free:
	free(h);
	errno = ENOMEM;
	return NULL;
}

/* A new handle on a gntdev fd: events on if the module has them. */
static struct gntext_handle *handle_setup(int fd, int owns_fd)
{
	struct gntext_handle *h;
	int events;

	events = !!(gntext__read_caps(fd, "") & GNTEXT_CAP_RELEASE_EVENTS);
	h = gntext__handle_new(fd, owns_fd, events);
	if (h && events)
		gntext__events_enable(h);
	return h;
}

static int is_gntdev(int fd)
{
	struct ioctl_gntdev_get_offset_for_vaddr arg;
	struct stat st;

	if (fstat(fd, &st))
		return -1;	/* EBADF */
	if (!S_ISCHR(st.st_mode)) {
		errno = ENOTTY;
		return -1;
	}
	memset(&arg, 0, sizeof(arg));
	if (ioctl(fd, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &arg) == 0 ||
	    errno != EINVAL) {
		errno = ENOTTY;
		return -1;
	}
	return 0;
}

struct gntext_handle *gntext_open(unsigned int flags)
{
	struct gntext_handle *h;
	int fd, err;

	if (flags) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(GNTDEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	h = handle_setup(fd, 1);
	if (!h) {
		err = errno;
		close(fd);
		errno = err;
	}
	return h;
}

struct gntext_handle *gntext_open_fd(int fd)
{
	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	if (is_gntdev(fd))
		return NULL;
	return handle_setup(fd, 0);
}

int gntext_close(struct gntext_handle *h)
{
	int busy;

	if (!h)
		return 0;
	pthread_mutex_lock(&h->lock);
	busy = h->nexports || h->nimports || h->pumping;
	pthread_mutex_unlock(&h->lock);
	if (busy) {
		errno = EBUSY;
		return -1;
	}
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	if (h->owns_fd)
		close(h->fd);
	free(h);
	return 0;
}

int gntext_fd(const struct gntext_handle *h)
{
	if (!h) {
		errno = EINVAL;
		return -1;
	}
	return h->fd;
}
