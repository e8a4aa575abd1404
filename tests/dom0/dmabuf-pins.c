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
	struct dmb_stats base, before;
	static uint8_t buf[DMB_PAGE];
	struct xt_peer peer;
	int gfd, imp, n = 0, err = 0, fd, bad = 0;
	uint32_t ref;

	imp = open("/dev/xt-importer", O_RDWR | O_CLOEXEC);
	if (imp < 0)
		xt_skip_all("/dev/xt-importer missing (xt-importer.ko not loaded)");
	gfd = dmb_begin(&peer, 1, &ref, &base);

	while (n < MAX_EXPORTS) {
		before = dmb_stats();
		err = dmb_export(gfd, 0, peer.domid, 1, &ref, &fd);
		if (err)
			break;
		fds[n++] = fd;
	}
	xt_diag("%d exports of one ref, then %s", n, err ? strerror(err) : "none refused");
	xt_ok(err == EINVAL || err == ENOSPC || err == EAGAIN,
	      "the export that exceeds Xen's pin count is refused (%s)",
	      err ? strerror(err) : "never refused");
	xt_ok(n > 0 && dmb_stats_same(dmb_stats(), before),
	      "the refused export leaves nothing behind");

	for (int i = 0; i < n; i++) {
		struct xt_imp_vmap v = {
			.fd = fds[i], .len = DMB_PAGE, .buf = (uintptr_t)buf,
		};
		int ret = ioctl(imp, XT_IMP_IOC_VMAP, &v) ? errno : 0;

		if (ret || dmb_mismatch(buf, 1, 1) >= 0) {
			if (!bad++)
				xt_diag("vmap of export %d: %s", i,
					ret ? strerror(ret) : "wrong bytes");
		}
	}
	xt_ok(n > 0 && !bad, "vmap of each of the %d buffers reads the domU's bytes (%d failed)",
	      n, bad);

	for (int i = 0; i < n; i++)
		close(fds[i]);
	dmb_check_baseline(base, "after closing every buffer");
	err = dmb_export(gfd, 0, peer.domid, 1, &ref, &fd);
	xt_ok(err == 0, "the ref exports again once the pins are released (%s)",
	      err ? strerror(err) : "ok");
	if (!err)
		close(fd);
	dmb_check_baseline(base, "at the end");
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(gfd);
	close(imp);
	return xt_exit();
}
