// SPDX-License-Identifier: LGPL-2.1-only
/*
 * import.c - exp_to_refs: a local dma-buf granted to a peer.
 * gntext_exp_to_refs(), gntext_import_release().
 *
 * Lifetime of a struct gntext_import: created by a successful IMP_TO_REFS
 * (V1 when the caller passes no data_ofs pointer, V2 otherwise) made
 * with the library's own dup() of the caller's dma-buf fd (close-on-
 * exec), so the caller may close its fd at once.  The module names an
 * import by the open dma-buf behind the fd number given, so releasing
 * by the dup's number always finds this very buffer.  It is on its
 * handle's import list until gntext_import_release(), which frees it
 * whatever the outcome: IMP_RELEASE 0 is GNTEXT_RELEASED, EBUSY is
 * GNTEXT_DEFERRED (the module keeps the buffer until the peer unmaps),
 * anything else -1 with errno; the dup is closed in every case.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <xen/gntdev.h>

#include "internal.h"

static int import_ioctl(struct gntext_handle *h, int fd, uint32_t domid,
			uint32_t count, uint32_t *refs, uint32_t *data_ofs)
{
	struct ioctl_gntdev_dmabuf_imp_to_refs_v2 *v2;
	struct ioctl_gntdev_dmabuf_imp_to_refs *v1;
	size_t hdr, size;
	int ret, err;

	hdr = data_ofs ? sizeof(*v2) : sizeof(*v1);
	if ((count - 1) > (SIZE_MAX - hdr) / sizeof(uint32_t)) {
		errno = EINVAL;
		return -1;
	}
	size = hdr + (size_t)(count - 1) * sizeof(uint32_t);

	if (!data_ofs) {
		v1 = calloc(1, size);
		if (!v1)
			return -1;
		v1->fd = fd;
		v1->count = count;
		v1->domid = domid;
		ret = ioctl(h->fd, IOCTL_GNTDEV_DMABUF_IMP_TO_REFS, v1);
		err = errno;
		if (!ret)
			memcpy(refs, v1->refs, count * sizeof(uint32_t));
		free(v1);
	} else {
		v2 = calloc(1, size);
		if (!v2)
			return -1;
		v2->fd = fd;
		v2->count = count;
		v2->domid = domid;
		ret = ioctl(h->fd, IOCTL_GNTDEV_DMABUF_IMP_TO_REFS_V2, v2);
		err = errno;
		if (!ret) {
			memcpy(refs, v2->refs, count * sizeof(uint32_t));
			*data_ofs = v2->data_ofs;
		}
		free(v2);
	}
	errno = err;
	return ret ? -1 : 0;
}

int gntext_exp_to_refs(struct gntext_handle *h, int dmabuf_fd, uint32_t domid,
		       uint32_t count, uint32_t *refs, uint32_t *data_ofs,
		       struct gntext_import **out)
{
	struct gntext_import *i;
	int err;

	if (!h || !refs || !out || count == 0) {
		errno = EINVAL;
		return -1;
	}
	if (dmabuf_fd < 0) {
		errno = EBADF;
		return -1;
	}
	i = calloc(1, sizeof(*i));
	if (!i)
		return -1;
	i->h = h;
	i->count = count;
	gntext__list_init(&i->node);
	i->fd = fcntl(dmabuf_fd, F_DUPFD_CLOEXEC, 0);
	if (i->fd < 0)
		goto err_free;
	if (import_ioctl(h, i->fd, domid, count, refs, data_ofs))
		goto err_close;

	pthread_mutex_lock(&h->lock);
	gntext__list_add_tail(&h->imports, &i->node);
	h->nimports++;
	pthread_mutex_unlock(&h->lock);
	*out = i;
	return 0;

err_close:
	err = errno;
	close(i->fd);
	errno = err;
err_free:
	err = errno;
	free(i);
	errno = err;
	return -1;
}

int gntext_import_release(struct gntext_import *i)
{
	struct ioctl_gntdev_dmabuf_imp_release arg;
	struct gntext_handle *h;
	int ret, err;

	if (!i) {
		errno = EINVAL;
		return -1;
	}
	h = i->h;
	memset(&arg, 0, sizeof(arg));
	arg.fd = i->fd;
	if (ioctl(h->fd, IOCTL_GNTDEV_DMABUF_IMP_RELEASE, &arg) == 0)
		ret = GNTEXT_RELEASED;
	else if (errno == EBUSY)
		ret = GNTEXT_DEFERRED;
	else
		ret = -1;
	err = errno;

	close(i->fd);
	pthread_mutex_lock(&h->lock);
	gntext__list_del(&i->node);
	h->nimports--;
	pthread_mutex_unlock(&h->lock);
	free(i);
	if (ret < 0)
		errno = err;
	return ret;
}
