// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-params - the module's global bounds.
 *  - "limit" (grants per call): a value whose per-call operation arrays
 *    would exceed what kvmalloc() accepts (INT_MAX bytes) is refused with
 *    EINVAL and the old value stays; the largest accepted one is taken.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>

#include "dmabuf-util.h"

#define PARAMS "/sys/module/xen_gntdev/parameters/"

static long read_param(const char *name)
{
	char path[128];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* 0, or the errno of the write. */
static int write_param(const char *name, long v)
{
	char path[128], val[32];
	int fd, n, err = 0;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	n = snprintf(val, sizeof(val), "%ld\n", v);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, val, n) != n)
		err = errno;
	close(fd);
	return err;
}

int main(void)
{
	/* The larger of the two Xen grant operations: 32 bytes on x86-64. */
	const long op = 32, max = 0x7fffffffL / op;
	long limit;
	int err;

	limit = read_param("limit");
	if (limit < 0 || xt_gntdev_stat("maps") < 0)
		xt_skip_all("not our xen-gntdev");

	/* ---- limit ---- */
	err = write_param("limit", max + 1);
	xt_ok(err == EINVAL && read_param("limit") == limit,
	      "limit %ld (arrays over INT_MAX bytes) refused: %s, still %ld",
	      max + 1, err ? strerror(err) : "accepted", read_param("limit"));
	err = write_param("limit", 0x7fffffffL);
	xt_ok(err == EINVAL && read_param("limit") == limit,
	      "limit 0x7fffffff refused: %s", err ? strerror(err) : "accepted");
	err = write_param("limit", max);
	xt_ok(err == 0 && read_param("limit") == max,
	      "limit %ld, the largest, accepted (%s)", max,
	      err ? strerror(err) : "ok");
	xt_ok(write_param("limit", limit) == 0 && read_param("limit") == limit,
	      "limit restored to %ld", limit);

	return xt_exit();
}
