// SPDX-License-Identifier: GPL-2.0-only
/*
 * toolstack - the Xen toolstack runs on the gntdev under test.
 *
 * xenstored and xenconsoled reach the domU's xenstore and console rings
 * through /dev/xen/gntdev (libxengnttab), so a domU that booted, talks
 * xenstore and has its console logged by xenconsoled proves the toolstack
 * works on this gntdev.  With XT_GNTDEV=ours the loaded module must also
 * be ours (its version starts with "xgd-").  The xenstored that runs is
 * the one the harness chose (XT_XENSTORED: the C xenstored or Debian's
 * default, oxenstored).  The C xenstored maps a domain's ring through
 * gntdev; Xen 4.17's oxenstored maps it with xc_map_foreign_range()
 * (privcmd) and never opens gntdev, so with it only xenconsoled's maps
 * go through the gntdev under test.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "gntdev-test.h"

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

/* Does process @pid have /dev/xen/gntdev open? */
static bool holds_gntdev(long pid)
{
	char dir[64], link[PATH_MAX], target[PATH_MAX];
	struct dirent *d;
	bool found = false;
	DIR *fds;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
	fds = opendir(dir);
	if (!fds)
		return false;
	while (!found && (d = readdir(fds))) {
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%s", dir, d->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		found = !strcmp(target, "/dev/xen/gntdev");
	}
	closedir(fds);
	return found;
}

/*
 * The xenstored of /run/xenstored.pid is the chosen one; returns whether
 * it maps rings through gntdev.
 */
static bool check_xenstored(void)
{
	const char *want = getenv("XT_XENSTORED");
	char *pidtxt = slurp("/run/xenstored.pid");
	long pid = pidtxt ? strtol(pidtxt, NULL, 10) : 0;
	char path[64], *comm = NULL;
	bool ocaml;

	if (!want || !strcmp(want, "cxenstored"))
		want = "xenstored";
	ocaml = !strcmp(want, "oxenstored");
	if (pid > 0) {
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		comm = slurp(path);
	}
	if (comm)
		strtok(comm, "\n");
	xt_ok(comm && !strcmp(comm, want), "the running xenstored is %s (is %s)",
	      want, comm ? comm : "none");
	if (ocaml)
		xt_ok(pid > 0 && !holds_gntdev(pid),
		      "oxenstored maps rings with privcmd, not gntdev");
	else
		xt_ok(pid > 0 && holds_gntdev(pid),
		      "xenstored holds /dev/xen/gntdev open");
	free(comm);
	free(pidtxt);
	return !ocaml;
}

int main(void)
{
	const char *want = getenv("XT_GNTDEV");
	char *ver = slurp("/sys/module/xen_gntdev/version");
	char *log, *val, path[96];
	int domid = xt_domu_id();
	bool seen = false, store_maps;

	if (want && !strcmp(want, "ours"))
		xt_ok(ver && !strncmp(ver, "xgd-", 4),
		      "the loaded xen-gntdev is ours (version %s)",
		      ver ? strtok(ver, "\n") : "none");
	else
		xt_skip("stock gntdev under test", "the loaded xen-gntdev is ours");
	free(ver);
	store_maps = check_xenstored();
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
		long files = gt_stat(GT_FILES);
		long grants = gt_stat(GT_MAPPED_GRANTS);

		/* xenconsoled's (and xenstored's) maps of the domU's rings. */
		xt_ok(files >= 1 + store_maps && grants >= 1 + store_maps,
		      "the toolstack maps the domU's rings through our gntdev (%ld files, %ld mapped grants)",
		      files, grants);
	}
	return xt_exit();
}
