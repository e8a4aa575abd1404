// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf-listing - the debugfs listing of live buffers,
 * /sys/kernel/debug/xen-gntdev/buffers (docs/dmabuf.md):
 *  - an export of 8 refs (V2, data offset 256) shows as one "export" line
 *    with its st_ino, our pid, the domU's domid, pages, data offset and
 *    flags; once vgem imports it, one attachment by a vgem device;
 *  - a vgem dumb buffer granted to the domU shows as one "import" line
 *    (its st_ino, pid, domid, pages, state live);
 *  - the "parked" line is there;
 *  - released, both lines are gone.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include "dmabuf-util.h"

#define NPAGES 8
#define LISTING "/sys/kernel/debug/xen-gntdev/buffers"

static uint32_t refs[NPAGES];

/* The listing's line for @type with id=@ino into @line; false if none. */
static bool find_line(const char *type, uint64_t ino, char *line, size_t len)
{
	char want[64];
	bool found = false;
	FILE *f = fopen(LISTING, "r");

	if (!f)
		return false;
	snprintf(want, sizeof(want), "%s id=%llu ", type,
		 (unsigned long long)ino);
	while (!found && fgets(line, (int)len, f))
		found = !strncmp(line, want, strlen(want));
	fclose(f);
	if (found)
		line[strcspn(line, "\n")] = '\0';
	return found;
}

static bool has(const char *line, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = line; (p = strstr(p, word)); p += n)
		if ((p == line || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

static uint64_t ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

static void export_line(int gfd, const struct xt_peer *peer, int vfd)
{
	char line[512], want[96];
	uint32_t handle = 0;
	uint64_t ino;
	int fd, ret;

	ret = dmb_export_v2(gfd, 0, peer->domid, NPAGES, 256, refs, &fd);
	if (!XT_CHECK(ret == 0, "a V2 export of %d refs (%s)", NPAGES,
		      ret ? strerror(ret) : "ok"))
		return;
	ino = ino_of(fd);
	if (XT_CHECK(find_line("export", ino, line, sizeof(line)),
		     "the export is listed with its st_ino %llu",
		     (unsigned long long)ino)) {
		xt_diag("%s", line);
		snprintf(want, sizeof(want), "pid=%d", getpid());
		xt_ok(has(line, want), "with our %s", want);
		snprintf(want, sizeof(want), "domid=%d", peer->domid);
		xt_ok(has(line, want) && has(line, "pages=8") &&
		      has(line, "data_ofs=256") && has(line, "flags=plain") &&
		      has(line, "attachments=0") && has(line, "importers=-") &&
		      has(line, "state=live"),
		      "its domid, pages, data offset, flags, no importer, live");
	}
	if (vfd >= 0 && !dmb_prime_import(vfd, fd, &handle)) {
		xt_ok(find_line("export", ino, line, sizeof(line)) &&
		      has(line, "attachments=1") && strstr(line, "importers=vgem"),
		      "imported by vgem: one attachment, a vgem device (%s)",
		      line);
		dmb_gem_close(vfd, handle);
	}
	close(fd);
	ret = dmb_wait(gfd, fd, 5000);
	xt_ok((ret == 0 || ret == ENOENT) &&
	      !find_line("export", ino, line, sizeof(line)),
	      "released, the export is no longer listed");
}

static void import_line(int gfd, const struct xt_peer *peer, int vfd)
{
	struct ioctl_gntdev_dmabuf_imp_to_refs *op;
	struct ioctl_gntdev_dmabuf_imp_release rel = { 0 };
	char line[512], want[96];
	uint32_t handle = 0;
	uint64_t ino;
	int fd;

	fd = dmb_vgem_dumb(vfd, NPAGES, &handle);
	op = calloc(1, sizeof(*op) + NPAGES * sizeof(op->refs[0]));
	if (!XT_CHECK(fd >= 0 && op, "a vgem dumb buffer of %d pages", NPAGES))
		goto out;
	ino = ino_of(fd);
	op->fd = (uint32_t)fd;
	op->count = NPAGES;
	op->domid = (uint32_t)peer->domid;
	if (!XT_CHECK(!ioctl(gfd, IOCTL_GNTDEV_DMABUF_IMP_TO_REFS, op),
		      "granted to the domU (%s)", strerror(errno)))
		goto out;
	if (XT_CHECK(find_line("import", ino, line, sizeof(line)),
		     "the import is listed with its st_ino %llu",
		     (unsigned long long)ino)) {
		xt_diag("%s", line);
		snprintf(want, sizeof(want), "domid=%d", peer->domid);
		xt_ok(has(line, want) && has(line, "pages=8") &&
		      has(line, "state=live"), "its domid, pages, state live");
		snprintf(want, sizeof(want), "pid=%d", getpid());
		xt_ok(has(line, want), "with our %s", want);
	}
	rel.fd = (uint32_t)fd;
	xt_ok(!ioctl(gfd, IOCTL_GNTDEV_DMABUF_IMP_RELEASE, &rel) &&
	      !find_line("import", ino, line, sizeof(line)),
	      "released, the import is no longer listed");
out:
	free(op);
	if (fd >= 0) {
		close(fd);
		dmb_gem_close(vfd, handle);
	}
}

int main(void)
{
	struct gt_stats base;
	struct xt_peer peer;
	char line[256];
	FILE *f;
	int gfd, vfd;

	gt_require_ours();
	gfd = dmb_begin(&peer, NPAGES, refs, &base);
	f = fopen(LISTING, "r");
	if (!XT_CHECK(f, LISTING " is readable"))
		return xt_exit();
	line[0] = '\0';
	while (fgets(line, sizeof(line), f) && strncmp(line, "parked ", 7))
		;
	fclose(f);
	xt_ok(!strncmp(line, "parked pages=0", 14), "the parked line: %s",
	      line);
	vfd = dmb_open_vgem();
	export_line(gfd, &peer, vfd);
	if (vfd >= 0)
		import_line(gfd, &peer, vfd);
	else
		xt_skip("no vgem", "the import line");
	if (vfd >= 0)
		close(vfd);
	xt_ok(xt_peer_finish(&peer) == 0, "domU peer exits cleanly");
	close(gfd);
	gt_stats_check(&base, GT_SET_DMABUF, "after the listing");
	return xt_exit();
}
