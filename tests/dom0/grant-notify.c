// SPDX-License-Identifier: GPL-2.0-only
/*
 * grant-notify - dom0 arms an unmap notification (clear a byte, then send
 * an event) on a mapping of a domU's page; the domU observes the event and
 * finds the byte already cleared when it arrives.
 */
#define _GNU_SOURCE
#include "gntdev-test.h"
#include <xen/evtchn.h>

#define OFF 100

int main(void)
{
	struct ioctl_evtchn_bind_interdomain bind;
	struct ioctl_gntdev_unmap_notify notify;
	struct xt_peer peer;
	int fd, efd, port, local;
	uint64_t index;
	uint32_t ref;
	uint8_t *mem;
	char *rep;

	gt_need_domu();
	fd = gt_open();
	efd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
	if (efd < 0)
		xt_fatal("open /dev/xen/evtchn: %m");
	gt_grants(&peer, 1, "evtchn", &ref, &port);

	bind.remote_domain = peer.domid;
	bind.remote_port = port;
	local = ioctl(efd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &bind);
	if (local < 0)
		xt_fatal("IOCTL_EVTCHN_BIND_INTERDOMAIN: %m");

	if (gt_map(fd, peer.domid, &ref, 1, &index))
		xt_fatal("MAP_GRANT_REF: %m");
	mem = mmap(NULL, GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   index);
	if (mem == MAP_FAILED)
		xt_fatal("mmap: %m");
	mem[OFF] = 0xab;
	rep = xt_peer_call(&peer, 10000, "byte 0 %d", OFF);
	xt_ok(rep && !strcmp(rep, "171"), "domU sees the byte dom0 set (%s)",
	      rep ? rep : "no answer");
	free(rep);

	notify.index = index + OFF;
	notify.action = UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT;
	notify.event_channel_port = local;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &notify) == 0,
	      "SET_UNMAP_NOTIFY clear byte + event");

	/* Unmap while the domU waits for the event. */
	munmap(mem, GT_PAGE);
	xt_ok(gt_unmap(fd, index, 1) == 0, "UNMAP_GRANT_REF");
	rep = xt_peer_call(&peer, 15000, "wait-event 10000 0 %d", OFF);
	xt_ok(rep && !strncmp(rep, "event", 5),
	      "domU receives the unmap event (%s)", rep ? rep : "no answer");
	xt_ok(rep && !strcmp(rep, "event 0"),
	      "the byte was already cleared when the event arrived");
	free(rep);

	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(efd);
	close(fd);
	return xt_exit();
}
