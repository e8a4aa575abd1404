// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib-info - xen-gntdev-info, as installed with libgnttab-ext, in dom0:
 * `status` names our module, its version and this dom0's flavour and
 * lists the release-events capability; `counters` prints the stats
 * file's counters; `list` shows an export this test holds (its pid and
 * pages); `check-importer` gives a verdict for cirrus and for vgem; each
 * with --json prints one balanced JSON object.  Every output is logged
 * (docs/xen-gntdev-info.md quotes a run).
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "dmabuf-util.h"

#define PROG "/xt/lib/xen-gntdev-info"
#define NPAGES 8

static uint32_t refs[NPAGES];
static char out[65536];

/* Run PROG @args; its output in out[], logged; the exit status or -1. */
static int run(const char *args)
{
	char cmd[256];
	size_t n = 0, got;
	int status;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", PROG, args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n < sizeof(out) - 1 &&
	       (got = fread(out + n, 1, sizeof(out) - 1 - n, f)) > 0)
		n += got;
	out[n] = '\0';
	status = pclose(f);
	xt_diag("$ xen-gntdev-info %s", args);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		xt_diag("  %s", line);
		line[strlen(line)] = '\n';	/* strtok cut it: put it back */
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* One object: braces and brackets balance outside strings. */
static bool json_ok(const char *s)
{
	int depth = 0;
	bool str = false;

	while (*s == ' ' || *s == '\n')
		s++;
	if (*s != '{')
		return false;
	for (; *s; s++) {
		if (str) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				str = false;
		} else if (*s == '"') {
			str = true;
		} else if (*s == '{' || *s == '[') {
			depth++;
		} else if (*s == '}' || *s == ']') {
			if (--depth < 0)
				return false;
		}
	}
	return !depth && !str;
}

static void check_importer(const char *driver)
{
	char card[300], args[340];
	int ret;

	if (!dmb_card_path(driver, card, sizeof(card))) {
		xt_skip("no such device", "check-importer %s", driver);
		return;
	}
	snprintf(args, sizeof(args), "check-importer %s", card);
	ret = run(args);
	xt_ok(ret == 0 && (strstr(out, "direct") || strstr(out, "bounces") ||
			   strstr(out, "refused") || strstr(out, "unknown")),
	      "check-importer %s (%s): a verdict (exit %d)", card, driver,
	      ret);
	snprintf(args, sizeof(args), "--json check-importer %s", card);
	xt_ok(run(args) == 0 && json_ok(out), "--json check-importer %s",
	      driver);
}

int main(void)
{
	bool pv = gt_dom0_is_pv();
	struct gt_stats base;
	struct xt_peer peer;
	char want[32];
	int gfd, fd, ret;

	printf("# xt-timeout 120\n");
	fflush(stdout);
	gt_require_ours();
	if (access(PROG, X_OK))
		xt_skip_all("%s is not in the image", PROG);
	ret = run("status");
	xt_ok(ret == 0 && strstr(out, "xgd-") && strstr(out, "release-events") &&
	      strstr(out, pv ? "PV" : "PVH"),
	      "status: our module, release-events, a %s dom0 (exit %d)",
	      pv ? "PV" : "PVH", ret);
	xt_ok(run("--json status") == 0 && json_ok(out),
	      "--json status: one JSON object");
	ret = run("counters");
	xt_ok(ret == 0 && strstr(out, "dmabuf_exports"),
	      "counters: the stats file's counters (exit %d)", ret);
	xt_ok(run("--json counters") == 0 && json_ok(out),
	      "--json counters: one JSON object");

	gfd = dmb_begin(&peer, NPAGES, refs, &base);
	ret = dmb_export(gfd, 0, peer.domid, NPAGES, refs, &fd);
	if (XT_CHECK(ret == 0, "an export to list (%s)",
		     ret ? strerror(ret) : "ok")) {
		ret = run("list");
		snprintf(want, sizeof(want), "%d", getpid());
		xt_ok(ret == 0 && strstr(out, "export") && strstr(out, want),
		      "list: the export held by pid %d (exit %d)", getpid(),
		      ret);
		xt_ok(run("--json list") == 0 && json_ok(out),
		      "--json list: one JSON object");
		close(fd);
		dmb_wait(gfd, fd, 5000);
	}
	check_importer("cirrus");
	check_importer("vgem");
	xt_ok(run("--bogus") == 2, "an unknown option: exit 2");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(gfd);
	gt_stats_check(&base, GT_SET_DMABUF, "after xen-gntdev-info");
	return xt_exit();
}
