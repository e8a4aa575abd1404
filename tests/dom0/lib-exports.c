// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib-exports - libgnttab-ext's export and import handles on our module:
 *  - 64 exports of the domU's refs, their fds dup()ed elsewhere, each
 *    gntext_export_release(e, 0)d (TIMEDOUT: still held); the dups closed
 *    in a scrambled order; one poll() loop on gntext_fd() with
 *    gntext_released() sees each export once, by its id;
 *  - a synchronous release: RELEASED for a buffer nobody holds; TIMEDOUT
 *    while a dup holds it, then RELEASED by gntext_export_wait() once the
 *    dup is closed; an export's bytes are the domU's;
 *  - gntext_close() is EBUSY while an export lives;
 *  - DRM glue: a vgem dumb buffer → refs for the domU
 *    (gntext_drm_refs_from_gem), whose bytes the domU reads; its release
 *    while the domU maps it is DEFERRED, then the post check frees it;
 *    gntext_drm_fb_from_refs refuses a short pitch and a too-small buffer
 *    with ERANGE before any ioctl.
 * Every counter is back at the end.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sys/mman.h>
#include <drm_fourcc.h>
#include <gnttab-ext.h>

#include "dmabuf-util.h"

#define NPAGES 64
#define NBUF 64
#define GEM_PAGES 4

static uint32_t refs[NPAGES];

static void many(struct gntext_handle *h, const struct xt_peer *peer)
{
	struct gntext_export *e[NBUF], *out[NBUF];
	int dups[NBUF], seen[NBUF] = { 0 }, got = 0, twice = 0, unknown = 0;
	struct pollfd p = { .fd = gntext_fd(h), .events = POLLIN };
	unsigned int timedout = 0;
	uint64_t id[NBUF], t0;
	int i, n, k;

	for (i = 0; i < NBUF; i++) {
		if (gntext_exp_from_refs(h, peer->domid, 0, 1, &refs[i], 0,
					 &e[i])) {
			xt_ok(false, "export %d: %s", i, strerror(errno));
			while (i--)
				close(dups[i]);
			return;
		}
		id[i] = gntext_export_id(e[i]);
		dups[i] = dup(gntext_export_fd(e[i]));
		timedout += gntext_export_release(e[i], 0) == GNTEXT_TIMEDOUT;
	}
	xt_ok(timedout == NBUF,
	      "64 exports held by a dup: each release says TIMEDOUT (%u)",
	      timedout);
	n = gntext_released(h, out, NBUF);
	xt_ok(n == 0, "none is reported while held (%d)", n);
	for (i = 0; i < NBUF; i++)
		close(dups[(i * 37) % NBUF]);
	t0 = xt_now_ms();
	while (got < NBUF && xt_now_ms() - t0 < 10000) {
		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = gntext_released(h, out, NBUF);
		if (n < 0) {
			xt_diag("gntext_released: %s", strerror(errno));
			break;
		}
		for (k = 0; k < n; k++) {
			uint64_t x = gntext_export_id(out[k]);

			for (i = 0; i < NBUF && id[i] != x; i++)
				;
			if (i == NBUF)
				unknown++;
			else if (seen[i]++)
				twice++;
			else
				got++;
			gntext_export_free(out[k]);
		}
	}
	xt_ok(got == NBUF && !twice && !unknown,
	      "one poll loop sees each of the 64 releases once (%d seen, %d twice, %d unknown)",
	      got, twice, unknown);
	xt_ok(gntext_released(h, out, NBUF) == 0, "then nothing more");
}

static void sync_release(struct gntext_handle *h, const struct xt_peer *peer)
{
	struct gntext_export *e;
	uint8_t *mem;
	int dupfd, ret;

	if (!XT_CHECK(!gntext_exp_from_refs(h, peer->domid, 0, NPAGES, refs, 0,
					    &e), "an export of %d refs (%s)",
		      NPAGES, strerror(errno)))
		return;
	xt_ok(gntext_export_count(e) == NPAGES &&
	      gntext_export_size(e) == NPAGES * GT_PAGE,
	      "count %u, size %zu", gntext_export_count(e),
	      gntext_export_size(e));
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ, MAP_SHARED,
		   gntext_export_fd(e), 0);
	xt_ok(mem != MAP_FAILED && gt_mismatch(mem, 0, NPAGES, 1) < 0,
	      "its mmap shows the domU's bytes");
	if (mem != MAP_FAILED)
		munmap(mem, NPAGES * GT_PAGE);
	xt_ok(gntext_close(h) < 0 && errno == EBUSY,
	      "gntext_close while an export lives: EBUSY");
	ret = gntext_export_release(e, 5000);
	xt_ok(ret == GNTEXT_RELEASED, "release of a buffer nobody holds: RELEASED (%d)",
	      ret);

	if (gntext_exp_from_refs(h, peer->domid, 0, NPAGES, refs, 256, &e))
		return;
	dupfd = dup(gntext_export_fd(e));
	ret = gntext_export_release(e, 200);
	xt_ok(ret == GNTEXT_TIMEDOUT, "held by a dup: TIMEDOUT after 200 ms (%d)",
	      ret);
	close(dupfd);
	ret = gntext_export_wait(e, 5000);
	xt_ok(ret == GNTEXT_RELEASED, "the dup closed: gntext_export_wait says RELEASED (%d)",
	      ret);
}

static void drm_glue(struct gntext_handle *h, int domid)
{
	uint32_t grefs[GEM_PAGES], handle = 0;
	struct xt_peer mapper;
	struct gntext_drm_fb fb;
	struct gntext_import *imp;
	uint8_t *mem = MAP_FAILED;
	char *rep;
	int vfd = dmb_open_vgem(), fd, ret;

	if (vfd < 0) {
		xt_skip("no vgem", "the DRM glue");
		return;
	}
	memset(&fb, 0, sizeof(fb));
	errno = 0;
	ret = gntext_drm_fb_from_refs(h, vfd, domid, 0, refs, 1, 1024, 768,
				      DRM_FORMAT_XRGB8888, 4096, 0, &fb);
	xt_ok(ret < 0 && errno == ERANGE,
	      "a 1024x768 framebuffer over 1 page: ERANGE (%s)",
	      strerror(errno));
	errno = 0;
	ret = gntext_drm_fb_from_refs(h, vfd, domid, 0, refs, NPAGES, 16, 16,
				      DRM_FORMAT_XRGB8888, 32, 0, &fb);
	xt_ok(ret < 0 && errno == ERANGE,
	      "a pitch shorter than a line: ERANGE (%s)", strerror(errno));

	fd = dmb_vgem_dumb(vfd, GEM_PAGES, &handle);
	if (fd >= 0) {
		mem = mmap(NULL, GEM_PAGES * GT_PAGE, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fd, 0);
		close(fd);
	}
	if (!XT_CHECK(mem != MAP_FAILED, "a vgem dumb buffer, mapped"))
		goto out;
	gt_fill(mem, 0, GEM_PAGES, 7);
	ret = gntext_drm_refs_from_gem(h, vfd, handle, GEM_PAGES * GT_PAGE,
				       domid, grefs, &imp);
	if (!XT_CHECK(ret == 0, "gntext_drm_refs_from_gem (%s)",
		      ret ? strerror(errno) : "ok"))
		goto out;
	if (XT_CHECK(dmb_peer_map(&mapper, grefs, GEM_PAGES, false),
		     "the domU maps the refs")) {
		rep = xt_peer_call(&mapper, 10000, "check 7");
		xt_ok(rep && !strcmp(rep, "ok"), "the domU reads dom0's bytes (%s)",
		      rep ?: "no answer");
		free(rep);
		ret = gntext_import_release(imp);
		xt_ok(ret == GNTEXT_DEFERRED,
		      "released while the domU maps it: DEFERRED (%d)", ret);
		rep = xt_peer_call(&mapper, 10000, "exit");
		free(rep);
		xt_peer_wait(&mapper, 10000);
	} else {
		gntext_import_release(imp);
	}
out:
	if (mem != MAP_FAILED)
		munmap(mem, GEM_PAGES * GT_PAGE);
	if (handle)
		dmb_gem_close(vfd, handle);
	close(vfd);
}

int main(void)
{
	struct gt_stats base;
	struct xt_peer peer;
	struct gntext_handle *h;
	int gfd;
	uint64_t t0;

	printf("# xt-timeout 120\n");
	fflush(stdout);
	gt_require_ours();
	gfd = dmb_begin(&peer, NPAGES, refs, &base);
	close(gfd);
	h = gntext_open(0);
	if (!XT_CHECK(h, "gntext_open (%s)", h ? "ok" : strerror(errno)))
		return xt_exit();
	many(h, &peer);
	sync_release(h, &peer);
	drm_glue(h, peer.domid);
	xt_ok(gntext_close(h) == 0, "gntext_close once everything is released");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	/* The deferred import goes once the domU's mapper has unmapped. */
	t0 = xt_now_ms();
	while (gt_stat(GT_DMABUF_IMPORTS) > 0 && xt_now_ms() - t0 < 10000)
		usleep(100 * 1000);
	gt_stats_check(&base, GT_SET_DMABUF, "after the library's exports");
	return xt_exit();
}
