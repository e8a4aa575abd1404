// SPDX-License-Identifier: GPL-2.0-only
/*
 * toolstack - the Xen toolstack runs on the gntdev under test.
 *
 * xenstored and xenconsoled reach the domU's xenstore and console rings
 * through /dev/xen/gntdev (libxengnttab), so a domU that booted, talks
 * xenstore and has its console logged by xenconsoled proves the toolstack
 * works on this gntdev.  With XT_GNTDEV=ours the loaded module must also
 * be ours (its version starts with "xgd-").
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xt.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int main(void)
{
	const char *want = getenv("XT_GNTDEV");
	char *ver = slurp("/sys/module/xen_gntdev/version");
	char *log, *val, path[96];
	int domid = xt_domu_id();
	bool seen = false;

	if (want && !strcmp(want, "ours"))
		xt_ok(ver && !strncmp(ver, "xgd-", 4),
		      "the loaded xen-gntdev is ours (version %s)",
		      ver ? strtok(ver, "\n") : "none");
	else
		xt_skip("stock gntdev under test", "the loaded xen-gntdev is ours");
	free(ver);
	if (domid < 0)
		xt_skip_all("no domU");

	snprintf(path, sizeof(path), "/local/domain/%d/data/xt-ready", domid);
	val = xt_xs_read(path);
	xt_ok(val && !strcmp(val, "1"),
	      "xenstored serves the domU (its agent wrote %s)", path);
	free(val);

	/* xenconsoled may take a moment to flush the log. */
	for (int i = 0; i < 50 && !seen; i++) {
		log = slurp("/var/log/xen/console/guest-xt-domu.log");
		seen = log && strstr(log, "xt-domu: up");
		free(log);
		if (!seen)
			usleep(100000);
	}
	xt_ok(seen, "xenconsoled logs the domU's console");
	if (want && !strcmp(want, "ours")) {
		long files = xt_gntdev_stat("files");
		long grants = xt_gntdev_stat("mapped_grants");

		/* xenstored's and xenconsoled's maps of the domU's rings. */
		xt_ok(files >= 2 && grants >= 2,
		      "the toolstack maps the domU's rings through our gntdev "
		      "(%ld files, %ld mapped grants)", files, grants);
	}
	return xt_exit();
}
