// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib-dir - displif page directories a domU builds, walked by
 * libgnttab-ext's gntext_dir_walk_grants() through real grants: for 1
 * page, 1023 (one full directory page), 1024 and 2025 (1080p XRGB, two
 * directory pages) the walk returns exactly the domU's refs in order;
 * then the domU turns its directory hostile (tests/domu/grant-pages,
 * "dirmode") and each chain ends in its clean errno well within a second:
 * loop ELOOP, short EBADMSG, long EBADMSG, a data ref 0 EBADMSG, a link
 * to a ref never granted the mapping's error.  A buffer size beyond the
 * refs array is EINVAL.  Nothing stays mapped.
 */
#define _GNU_SOURCE
#include <gnttab-ext.h>

#include "dmabuf-util.h"

#define MAXPAGES 2025

static uint32_t refs[MAXPAGES], walked[MAXPAGES];

static const struct {
	const char *mode;
	int err;		/* 0: any errno */
} hostile[] = {
	{ "loop", ELOOP },
	{ "short", EBADMSG },
	{ "long", EBADMSG },
	{ "zero", EBADMSG },
	{ "badref", 0 },
};

static void one_size(struct gntext_handle *h, unsigned int npages)
{
	struct xt_peer peer;
	char opts[] = "dir", *first, *rep;
	uint64_t size = (uint64_t)npages * GT_PAGE, t0, dt;
	uint32_t dref;
	int n;

	gt_grants(&peer, npages, opts, refs, NULL);
	first = xt_peer_get(&peer, "dir", 10000);
	if (!XT_CHECK(first, "%u pages: the domU publishes its directory",
		      npages))
		return;
	dref = (uint32_t)strtoul(first, NULL, 10);
	free(first);
	memset(walked, 0, sizeof(walked));
	n = gntext_dir_walk_grants(h, peer.domid, dref, size, walked,
				   MAXPAGES);
	xt_ok(n == (int)npages && !memcmp(walked, refs, npages * 4),
	      "%u pages: the walk returns the domU's %u refs in order (%d, %s)",
	      npages, npages, n, n < 0 ? strerror(errno) : "ok");
	/* The last page partly used: one byte more needs one ref more. */
	n = gntext_dir_walk_grants(h, peer.domid, dref, size - GT_PAGE + 1,
				   walked, MAXPAGES);
	xt_ok(n == (int)npages, "%u pages: a size ending inside the last page needs them all (%d)",
	      npages, n);
	n = gntext_dir_walk_grants(h, peer.domid, dref, size, walked,
				   npages - 1);
	xt_ok(n < 0 && errno == EINVAL,
	      "%u pages: room for one ref less: EINVAL (%s)", npages,
	      strerror(errno));
	for (unsigned int i = 0; i < ARRAY_SIZE(hostile); i++) {
		/* One directory page cannot be cut short: its next is 0. */
		if (!strcmp(hostile[i].mode, "short") && npages <= 1023)
			continue;
		rep = xt_peer_call(&peer, 10000, "dirmode %s", hostile[i].mode);
		if (!XT_CHECK(rep && !strcmp(rep, "ok"), "dirmode %s (%s)",
			      hostile[i].mode, rep ?: "no answer")) {
			free(rep);
			continue;
		}
		free(rep);
		t0 = xt_now_ms();
		errno = 0;
		n = gntext_dir_walk_grants(h, peer.domid, dref, size, walked,
					   MAXPAGES);
		dt = xt_now_ms() - t0;
		xt_ok(n < 0 && (hostile[i].err ? errno == hostile[i].err :
				errno != 0) && dt < 1000,
		      "%u pages, %s chain: %s in %llu ms", npages,
		      hostile[i].mode, n < 0 ? strerror(errno) : "accepted",
		      (unsigned long long)dt);
	}
	rep = xt_peer_call(&peer, 10000, "dirmode good");
	free(rep);
	n = gntext_dir_walk_grants(h, peer.domid, dref, size, walked, MAXPAGES);
	xt_ok(n == (int)npages, "%u pages: repaired, the walk works again (%d)",
	      npages, n);
	xt_ok(xt_peer_finish(&peer) == 0, "%u pages: domU peer exits cleanly",
	      npages);
}

int main(void)
{
	static const unsigned int sizes[] = { 1, 1023, 1024, MAXPAGES };
	struct gt_stats base;
	struct gntext_handle *h;

	printf("# xt-timeout 180\n");
	fflush(stdout);
	gt_need_domu();
	gt_stats_read(&base);
	h = gntext_open(0);
	if (!XT_CHECK(h, "gntext_open (%s)", h ? "ok" : strerror(errno)))
		return xt_exit();
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++)
		one_size(h, sizes[i]);
	xt_ok(gntext_close(h) == 0, "gntext_close");
	if (gt_stat(GT_MAPS) >= 0)
		gt_stats_check(&base, GT_SET_DMABUF | GT_BIT(GT_MAPS) |
			       GT_BIT(GT_MAPPED_GRANTS),
			       "after the walks (nothing stays mapped)");
	return xt_exit();
}
