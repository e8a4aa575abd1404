// SPDX-License-Identifier: GPL-2.0-only
/*
 * grant-notify - dom0 arms an unmap notification (clear a byte, then send
 * an event) on a mapping of a domU's page; the domU observes the event and
 * finds the byte already cleared when it arrives.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xt.h"	/* first: defines domid_t for <xen/evtchn.h> */
#include <xen/evtchn.h>
#include <xen/gntdev.h>


#define PAGE 4096u
#define OFF 100

int main(void)
{
	struct ioctl_gntdev_map_grant_ref map = { .count = 1 };
	struct ioctl_gntdev_unmap_grant_ref unmap = { .count = 1 };
	struct ioctl_evtchn_bind_interdomain bind;
	struct ioctl_gntdev_unmap_notify notify;
	struct xt_peer peer;
	int fd, efd, port, local;
	uint32_t ref;
	uint8_t *mem;
	char *rep;

	if (xt_domu_id() < 0)
		xt_skip_all("no domU");
	fd = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	efd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
	if (fd < 0 || efd < 0)
		xt_fatal("open gntdev/evtchn: %m");
	if (xt_grant_peer(&peer, 1, "evtchn", &ref, &port))
		xt_fatal("no grant from the domU");

	bind.remote_domain = peer.domid;
	bind.remote_port = port;
	local = ioctl(efd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &bind);
	if (local < 0)
		xt_fatal("IOCTL_EVTCHN_BIND_INTERDOMAIN: %m");

	map.refs[0].domid = peer.domid;
	map.refs[0].ref = ref;
	if (ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, &map))
		xt_fatal("MAP_GRANT_REF: %m");
	mem = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   map.index);
	if (mem == MAP_FAILED)
		xt_fatal("mmap: %m");
	mem[OFF] = 0xab;
	rep = xt_peer_call(&peer, 10000, "byte 0 %d", OFF);
	xt_ok(rep && !strcmp(rep, "171"), "domU sees the byte dom0 set (%s)",
	      rep ? rep : "no answer");
	free(rep);

	notify.index = map.index + OFF;
	notify.action = UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT;
	notify.event_channel_port = local;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &notify) == 0,
	      "SET_UNMAP_NOTIFY clear byte + event");

	/* Unmap while the domU waits for the event. */
	munmap(mem, PAGE);
	unmap.index = map.index;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap) == 0,
	      "UNMAP_GRANT_REF");
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
