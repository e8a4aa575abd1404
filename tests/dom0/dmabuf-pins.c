// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-pins - vmap of an exported buffer must not fail at use time.
 * Xen counts how often one grant is mapped at once (a per-grant pin
 * count) and refuses mappings beyond its limit.  One ref of the domU is
 * exported again and again until an export is refused; the refusal must
 * come from the export itself, with an errno (EINVAL, ENOSPC or EAGAIN),
 * and must leave nothing behind.  Then every buffer that was exported is
 * vmap()ed by the test importer (PV dom0: the kernel mapping needs a
 * second grant mapping, which must not be made only now): each reads the
 * domU's bytes, and no WARNING may appear in the kernel log (the dma-buf
 * core WARNs on a failed vmap; the harness scans the log).  Closing them
 * all returns the counters to the baseline, and the ref exports again.
 */
#define _GNU_SOURCE
#include "dmabuf-util.h"
#include "../modules/xt-importer/xt-importer.h"

#define MAX_EXPORTS 400

int main(void)
{
	static int fds[MAX_EXPORTS];
	struct gt_stats base, before, now;
	static uint8_t buf[GT_PAGE];
	struct xt_peer peer;
	int gfd, imp, n = 0, err = 0, fd, bad = 0;
	uint32_t ref;

	imp = open("/dev/xt-importer", O_RDWR | O_CLOEXEC);
	if (imp < 0)
		xt_skip_all("/dev/xt-importer missing (xt-importer.ko not loaded)");
	gfd = dmb_begin(&peer, 1, &ref, &base);

	while (n < MAX_EXPORTS) {
		gt_stats_read(&before);
		err = dmb_export(gfd, 0, peer.domid, 1, &ref, &fd);
		if (err)
			break;
		fds[n++] = fd;
	}
	xt_diag("%d exports of one ref, then %s", n, err ? strerror(err) : "none refused");
	xt_ok(err == EINVAL || err == ENOSPC || err == EAGAIN,
	      "the export that exceeds Xen's pin count is refused (%s)",
	      err ? strerror(err) : "never refused");
	gt_stats_read(&now);
	xt_ok(n > 0 && gt_stats_same(&now, &before, GT_SET_DMABUF),
	      "the refused export leaves nothing behind");

	for (int i = 0; i < n; i++) {
		struct xt_imp_vmap v = {
			.fd = fds[i], .len = GT_PAGE, .buf = (uintptr_t)buf,
		};
		int ret = ioctl(imp, XT_IMP_IOC_VMAP, &v) ? errno : 0;

		if (ret || gt_mismatch(buf, 0, 1, 1) >= 0) {
			if (!bad++)
				xt_diag("vmap of export %d: %s", i,
					ret ? strerror(ret) : "wrong bytes");
		}
	}
	xt_ok(n > 0 && !bad, "vmap of each of the %d buffers reads the domU's bytes (%d failed)",
	      n, bad);

	for (int i = 0; i < n; i++)
		close(fds[i]);
	gt_stats_check(&base, GT_SET_DMABUF, "after closing every buffer");
	err = dmb_export(gfd, 0, peer.domid, 1, &ref, &fd);
	xt_ok(err == 0, "the ref exports again once the pins are released (%s)",
	      err ? strerror(err) : "ok");
	if (!err)
		close(fd);
	gt_stats_check(&base, GT_SET_DMABUF, "at the end");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(gfd);
	close(imp);
	return xt_exit();
}
