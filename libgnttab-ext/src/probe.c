// SPDX-License-Identifier: LGPL-2.1-only
/*
 * probe.c - what the loaded module can do: gntext_probe(),
 * gntext_cap_name(), and the "features" word parser.
 *
 * Owns no object: a probe reads sysfs every time and fills the caller's
 * struct gntext_caps.  Sources:
 *   /sys/dev/char/MAJ:MIN/features   (MAJ:MIN: st_rdev of the gntdev fd)
 *       one line of words; each known word sets its GNTEXT_CAP_* bit,
 *       unknown words are ignored.  Present: ours = 1.  Absent: the stock
 *       module (ours = 0, caps = 0), and stock_dmabuf_ioctls says
 *       whether IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED for a bogus fd
 *       answers anything but ENOTTY (a module without
 *       CONFIG_XEN_GNTDEV_DMABUF does not know the ioctl).
 *   /sys/module/xen_gntdev/{version,srcversion}   "" when absent
 *   /sys/hypervisor/guest_type   "PV", "PVH", "HVM" (else UNKNOWN)
 *
 * The sysfs root can be moved only through gntext__probe_root(), an
 * internal (hidden) function for the host tests; the library itself
 * always passes "".  No global state.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <xen/gntdev.h>

#include "internal.h"

static const char *const cap_names[] = {
	"export",		/* GNTEXT_CAP_EXPORT */
	"export-v2",		/* GNTEXT_CAP_EXPORT_V2 */
	"wait-released",	/* GNTEXT_CAP_WAIT_RELEASED */
	"release-events",	/* GNTEXT_CAP_RELEASE_EVENTS */
	"import",		/* GNTEXT_CAP_IMPORT */
	"import-v2",		/* GNTEXT_CAP_IMPORT_V2 */
	"contig-wc",		/* GNTEXT_CAP_CONTIG_WC */
	"contig-coherent",	/* GNTEXT_CAP_CONTIG_COHERENT */
};

#define NCAPS ARRAY_SIZE(cap_names)

const char *gntext_cap_name(uint32_t cap)
{
	unsigned int i;

	for (i = 0; i < NCAPS; i++)
		if (cap == (1u << i))
			return cap_names[i];
	return NULL;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\v' || c == '\f';
}

uint32_t gntext__parse_features(const char *text, size_t len)
{
	uint32_t caps = 0;
	size_t i = 0, start, wlen;
	unsigned int c;

	while (i < len && text[i]) {
		while (i < len && text[i] && is_space(text[i]))
			i++;
		start = i;
		while (i < len && text[i] && !is_space(text[i]))
			i++;
		wlen = i - start;
		if (!wlen)
			continue;
		for (c = 0; c < NCAPS; c++)
			if (strlen(cap_names[c]) == wlen &&
			    !memcmp(cap_names[c], text + start, wlen))
				caps |= 1u << c;
	}
	return caps;
}

/*
 * Read a small sysfs file into @buf (NUL-terminated, at most @size - 1
 * bytes).  Returns the length, or -1 with errno.
 */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (got < size - 1) {
		n = read(fd, buf + got, size - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = errno;
			close(fd);
			errno = n;
			return -1;
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

/* The first line of a sysfs file, trimmed; "" if unreadable. */
static void read_line(const char *path, char *out, size_t size)
{
	char buf[256];
	size_t n;

	out[0] = '\0';
	if (read_small(path, buf, sizeof(buf)) < 0)
		return;
	n = strcspn(buf, "\r\n");
	while (n && is_space(buf[n - 1]))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(out, buf, n);
	out[n] = '\0';
}

/*
 * The features text of the device behind @fd: length >= 0, or -1 with
 * errno (ENOENT/ENOTDIR: the attribute does not exist).
 */
static ssize_t read_features(int fd, const char *root, char *buf,
			     size_t size)
{
	char path[PATH_MAX];
	struct stat st;
	int n;

	if (fstat(fd, &st))
		return -1;
	if (!S_ISCHR(st.st_mode)) {
		errno = ENOENT;
		return -1;
	}
	n = snprintf(path, sizeof(path), "%s/sys/dev/char/%u:%u/features",
		     root, major(st.st_rdev), minor(st.st_rdev));
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return read_small(path, buf, size);
}

uint32_t gntext__read_caps(int fd, const char *root)
{
	char buf[4096];
	ssize_t n;

	n = read_features(fd, root, buf, sizeof(buf));
	if (n < 0)
		return 0;
	return gntext__parse_features(buf, n);
}

static int stock_dmabuf(int fd)
{
	struct ioctl_gntdev_dmabuf_exp_wait_released arg = {
		.fd = ~0u,	/* no export has this number */
		.wait_to_ms = 0,
	};

	if (ioctl(fd, IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED, &arg) == 0)
		return 1;
	return errno != ENOTTY;
}

static enum gntext_dom0 read_dom0(const char *root)
{
	char path[PATH_MAX], type[16];

	snprintf(path, sizeof(path), "%s/sys/hypervisor/guest_type", root);
	read_line(path, type, sizeof(type));
	if (!strcmp(type, "PV"))
		return GNTEXT_DOM0_PV;
	if (!strcmp(type, "PVH"))
		return GNTEXT_DOM0_PVH;
	if (!strcmp(type, "HVM"))
		return GNTEXT_DOM0_HVM;
	return GNTEXT_DOM0_UNKNOWN;
}

int gntext__probe_root(int fd, const char *root, struct gntext_caps *caps)
{
	char buf[4096], path[PATH_MAX];
	ssize_t n;

	if (!caps || !root) {
		errno = EINVAL;
		return -1;
	}
	memset(caps, 0, sizeof(*caps));
	n = read_features(fd, root, buf, sizeof(buf));
	if (n >= 0) {
		caps->ours = 1;
		caps->caps = gntext__parse_features(buf, n);
	} else if (errno == ENOENT || errno == ENOTDIR) {
		caps->stock_dmabuf_ioctls = stock_dmabuf(fd);
	} else {
		return -1;
	}
	caps->dom0 = read_dom0(root);
	snprintf(path, sizeof(path), "%s/sys/module/xen_gntdev/version", root);
	read_line(path, caps->version, sizeof(caps->version));
	snprintf(path, sizeof(path), "%s/sys/module/xen_gntdev/srcversion",
		 root);
	read_line(path, caps->srcversion, sizeof(caps->srcversion));
	return 0;
}

int gntext_probe(struct gntext_handle *h, struct gntext_caps *caps)
{
	if (!h || !caps) {
		errno = EINVAL;
		return -1;
	}
	return gntext__probe_root(h->fd, "", caps);
}
