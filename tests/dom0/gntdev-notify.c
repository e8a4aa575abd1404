// SPDX-License-Identifier: GPL-2.0-only
/*
 * gntdev-notify - SET_UNMAP_NOTIFY with our xen-gntdev: when the range
 * goes, the byte is cleared and only then the event is sent (the domU
 * reads the byte right after it sees the event); replacing a
 * notification drops the first event channel reference; an event
 * channel reference is never leaked.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "gntdev-test.h"
#include <xen/evtchn.h>

#define NPAGES 2
#define OFF 100

/* UNMAP_GRANT_REF from another process after @ms: the last reference. */
static pid_t unmap_later(int fd, uint64_t index, unsigned int n, int ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		usleep(ms * 1000);
		_exit(gt_unmap(fd, index, n) ? 1 : 0);
	}
	return pid;
}

int main(void)
{
	struct ioctl_evtchn_bind_interdomain bind = { 0 };
	struct ioctl_gntdev_unmap_notify un = { 0 };
	uint32_t refs[NPAGES];
	struct gt_stats base;
	struct xt_peer peer;
	int fd, efd, port, local, status = -1;
	uint64_t index;
	uint8_t *mem;
	char *rep;
	pid_t pid;

	gt_require_ours();
	gt_need_domu();
	gt_grants(&peer, NPAGES, "evtchn", refs, &port);
	efd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
	if (efd < 0)
		xt_fatal("open /dev/xen/evtchn: %m");
	bind.remote_domain = peer.domid;
	bind.remote_port = port;
	local = ioctl(efd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &bind);
	if (local < 0)
		xt_fatal("bind to the domU's port %d: %m", port);
	gt_stats_read(&base);
	fd = gt_open();

	/* ---- refusal: CLEAR_BYTE on a read-only mapping ---- */
	xt_ok(gt_map(fd, peer.domid, refs, NPAGES, &index) == 0, "MAP_GRANT_REF");
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ, MAP_SHARED, fd, index);
	if (!XT_CHECK(mem != MAP_FAILED, "read-only mmap (%m)"))
		xt_fatal("cannot continue");
	un.index = index + OFF;
	un.action = UNMAP_NOTIFY_CLEAR_BYTE;
	errno = 0;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) == -1 && errno == EINVAL,
	      "CLEAR_BYTE on a read-only mapping -> EINVAL (%m)");
	un.action = UNMAP_NOTIFY_SEND_EVENT;
	un.event_channel_port = local;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) == 0,
	      "SEND_EVENT alone on a read-only mapping");
	xt_ok(gt_stat(GT_NOTIFY_EVTCHNS) == base.v[GT_NOTIFY_EVTCHNS] + 1,
	      "notify_evtchns counts the held channel");
	xt_ok(ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) == 0 &&
	      gt_stat(GT_NOTIFY_EVTCHNS) == base.v[GT_NOTIFY_EVTCHNS] + 1,
	      "replacing the notification keeps one reference");
	un.action = 0;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) == 0 &&
	      gt_stat(GT_NOTIFY_EVTCHNS) == base.v[GT_NOTIFY_EVTCHNS],
	      "action 0 drops it");
	munmap(mem, NPAGES * GT_PAGE);
	xt_ok(gt_unmap(fd, index, NPAGES) == 0, "UNMAP_GRANT_REF");

	/* ---- clear byte, then event ---- */
	xt_ok(gt_peer_ok(&peer, "setbyte 1 100 77"), "domU sets the byte to 77");
	xt_ok(gt_map(fd, peer.domid, refs, NPAGES, &index) == 0, "MAP_GRANT_REF");
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, index);
	if (!XT_CHECK(mem != MAP_FAILED, "writable mmap (%m)"))
		xt_fatal("cannot continue");
	xt_ok(mem[GT_PAGE + OFF] == 77, "dom0 sees 77");
	un.index = index + GT_PAGE + OFF;
	un.action = UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT;
	un.event_channel_port = local;
	xt_ok(ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) == 0,
	      "SET_UNMAP_NOTIFY CLEAR_BYTE|SEND_EVENT");
	xt_ok(munmap(mem, NPAGES * GT_PAGE) == 0, "munmap");
	pid = unmap_later(fd, index, NPAGES, 1500);
	rep = xt_peer_call(&peer, 30000, "wait-event 20000 1 100");
	xt_ok(rep && !strcmp(rep, "event 0"),
	      "domU gets the event and the byte is already 0 (%s)",
	      rep ? rep : "no answer");
	free(rep);
	xt_ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "UNMAP_GRANT_REF in the child");

	/* ---- notification fired by close() ---- */
	xt_ok(gt_peer_ok(&peer, "setbyte 0 5 9"), "domU sets another byte");
	xt_ok(gt_map(fd, peer.domid, refs, NPAGES, &index) == 0, "MAP_GRANT_REF");
	mem = mmap(NULL, NPAGES * GT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, index);
	un.index = index + 5;
	xt_ok(mem != MAP_FAILED &&
	      ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) == 0,
	      "notify armed on a new range");
	if (mem != MAP_FAILED)
		munmap(mem, NPAGES * GT_PAGE);
	pid = fork();
	if (pid == 0) {
		usleep(1500 * 1000);
		close(fd);
		_exit(0);
	}
	close(fd);	/* the child's copy is the last one */
	rep = xt_peer_call(&peer, 30000, "wait-event 20000 0 5");
	xt_ok(rep && !strcmp(rep, "event 0"),
	      "close() fires it too, byte first (%s)", rep ? rep : "no answer");
	free(rep);
	waitpid(pid, &status, 0);

	gt_stats_check(&base, GT_SET_CLASSIC, "after close");
	close(efd);
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	return xt_exit();
}
