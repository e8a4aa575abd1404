// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib-tutorial - the tutorial's program (libgnttab-ext/examples/
 * show-guest-fb.c, docs/tutorial.md), built on the host with nothing but
 * `pkg-config --cflags --libs libgnttab-ext` against the library as
 * `make install DESTDIR=...` installed it, runs in dom0 as a user would
 * run it: the domU draws xt_picture() into 768 pages it grants, the
 * program scans them out on cirrus, and the host's screenshot
 * ("tutorial") must match the picture pixel for pixel.  The program
 * must then say "released" and exit 0, with every counter back.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "dmabuf-util.h"

#define W 1024
#define H 768
#define NPAGES (W * H * 4 / 4096)
#define PROG "/xt/lib/show-guest-fb"
#define REFS "/tmp/lib-tutorial.refs"

static uint32_t refs[NPAGES];

int main(void)
{
	char card[300], cmd[512], line[256], *rep;
	bool showing = false, released = false;
	struct gt_stats base;
	struct xt_peer peer;
	int status, gfd;
	FILE *f;

	printf("# xt-timeout 120\n");
	fflush(stdout);
	gt_require_ours();
	if (access(PROG, X_OK))
		xt_skip_all("%s is not in the image", PROG);
	if (!dmb_card_path("cirrus", card, sizeof(card)))
		xt_skip_all("no cirrus DRM device");
	gfd = dmb_begin(&peer, NPAGES, refs, &base);
	close(gfd);
	rep = xt_peer_call(&peer, 30000, "draw %d %d", W, H);
	if (!XT_CHECK(rep && !strcmp(rep, "ok"), "the domU draws the picture"))
		return xt_exit();
	free(rep);

	f = fopen(REFS, "w");
	if (!f)
		xt_fatal(REFS ": %m");
	for (unsigned int i = 0; i < NPAGES; i++)
		fprintf(f, "%u\n", refs[i]);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s %d %d %d 5 %s < %s 2>&1", PROG,
		 peer.domid, W, H, card, REFS);
	xt_diag("%s", cmd);
	f = popen(cmd, "r");
	if (!f)
		xt_fatal("popen: %m");
	while (fgets(line, sizeof(line), f)) {
		xt_diag("show-guest-fb: %s", line);
		if (!showing && !strncmp(line, "showing ", 8)) {
			showing = true;
			/* The host compares its screenshot with the picture. */
			printf("# xt-screenshot tutorial %d %d\n", W, H);
			fflush(stdout);
		}
		released |= !strcmp(line, "released\n");
	}
	status = pclose(f);
	xt_ok(showing, "the tutorial's program scans the guest's framebuffer out");
	xt_ok(released && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "it says released and exits 0 (status %#x)", status);
	unlink(REFS);
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	gt_stats_check(&base, GT_SET_DMABUF, "after the tutorial");
	return xt_exit();
}
