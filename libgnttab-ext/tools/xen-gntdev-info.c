// SPDX-License-Identifier: GPL-2.0-only
/*
 * xen-gntdev-info - what the xen-gntdev module of this machine is, what
 * it can do, what it holds, and whether a DRM device reaches the buffers
 * it exports without bouncing.
 *
 * Where each fact comes from (docs/xen-gntdev-info.md has the details):
 *
 *  status (default)
 *    loaded module      /sys/module/xen_gntdev/{version,srcversion,
 *                       refcnt,initstate}; no "version": Debian's stock
 *                       module; no directory: not loaded
 *    installed module   modinfo -k $(uname -r) -F filename|version|
 *                       srcversion xen-gntdev
 *    Xen domain         /sys/hypervisor/{type,guest_type,version/},
 *                       dom0: /proc/xen/capabilities has "control_d",
 *                       else /sys/hypervisor/uuid all zeros (a guess)
 *    IOMMU              /sys/class/iommu, /sys/kernel/iommu_groups,
 *                       `xl info` virt_caps (root only)
 *    capabilities       gntext_probe() on /dev/xen/gntdev; if the device
 *                       cannot be opened, its sysfs "features" attribute
 *                       (/sys/dev/char/MAJOR:MINOR/features)
 *    parameters         every file of /sys/module/xen_gntdev/parameters
 *  counters             /sys/kernel/debug/xen-gntdev/stats
 *  list                 /sys/kernel/debug/xen-gntdev/buffers, and
 *                       /proc/PID/comm of each owner
 *  check-importer DEV   /sys/dev/char/MAJOR:MINOR of DEV, its "device"
 *                       (dma_mask_bits, consistent_dma_mask_bits,
 *                       iommu_group, driver, subsystem), /proc/cpuinfo
 *                       "address sizes", PV: `xl info` total_memory,
 *                       PVH: /proc/iomem "System RAM",
 *                       /sys/kernel/debug/swiotlb (if readable)
 *
 * Programs (modinfo, xl) are run with posix_spawn(), a fixed argv and a
 * fixed environment, never through a shell, and are killed after a few
 * seconds.  Every read is bounded; a malformed line is skipped, and a
 * fact that cannot be read is reported as such ("could not read") rather
 * than ending the run.  Output is for people, or with --json one JSON
 * object (counters --watch: one object per line, per sample).
 *
 * Exit status: 0 success, 1 error (including a counters or buffers file
 * that cannot be read, and a device check-importer cannot resolve), 2
 * usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnttab-ext.h>

#ifndef XGI_VERSION
#define XGI_VERSION		"0.1"
#endif

/* A test build reads a fake tree: -DXGI_ROOT='"/some/dir"'. */
#ifndef XGI_ROOT
#define XGI_ROOT		""
#endif

#define MODULE_DIR		XGI_ROOT "/sys/module/xen_gntdev"
#define DEBUGFS_DIR		XGI_ROOT "/sys/kernel/debug"
#define GNTDEV_DEBUGFS		DEBUGFS_DIR "/xen-gntdev"
#define STATS_FILE		GNTDEV_DEBUGFS "/stats"
#define BUFFERS_FILE		GNTDEV_DEBUGFS "/buffers"
#define GNTDEV_DEV		XGI_ROOT "/dev/xen/gntdev"
#define HYP_DIR			XGI_ROOT "/sys/hypervisor"
#define XENFS_CAPS		XGI_ROOT "/proc/xen/capabilities"
#define DEBUGFS_MAGIC_NR	0x64626720

#define EXIT_OK			0
#define EXIT_ERR		1
#define EXIT_USAGE		2

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define PROGRAM_TIMEOUT_MS	5000
#define GiB			((uint64_t)1 << 30)
#define MiB			((uint64_t)1 << 20)

/* PVH: contiguous exports up to this many pages lie below 4 GiB. */
#define PVH_CONTIG_BLOCK_PAGES	1024

static bool opt_json;

/* ---- small helpers ---- */

/* snprintf that says whether everything fit. */
static bool fmt(char *buf, size_t size, const char *f, ...)
	__attribute__((format(printf, 3, 4)));

static bool fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size;
}

/*
 * Read up to @size - 1 bytes of @path into @buf, NUL-terminated.
 * Returns the length, or -errno.  Longer files are cut.
 */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	int fd, err;

	if (!size)
		return -EINVAL;
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			close(fd);
			buf[0] = '\0';
			return -err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	/* An embedded NUL ends the text. */
	return (ssize_t)strlen(buf);
}

/* The first line of @path, trailing blanks removed.  Length or -errno. */
static ssize_t read_line(const char *path, char *buf, size_t size)
{
	ssize_t n = read_file(path, buf, size);
	size_t len;

	if (n < 0)
		return n;
	len = strcspn(buf, "\n");
	while (len && (buf[len - 1] == ' ' || buf[len - 1] == '\t' ||
		       buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	return (ssize_t)len;
}

/* Strict decimal. */
static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && *end == '\0';
}

static bool parse_s64(const char *s, int64_t *v)
{
	char *end;

	if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
		return false;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return !errno && *end == '\0';
}

static bool path_exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* The last component of the target of symlink @path, "" if none. */
static void link_name(const char *path, char *buf, size_t size)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *slash;

	buf[0] = '\0';
	if (n <= 0)
		return;
	target[n] = '\0';
	slash = strrchr(target, '/');
	fmt(buf, size, "%s", slash ? slash + 1 : target);
}

static const char *bits_text(uint64_t bytes, char *buf, size_t size)
{
	if (bytes >= GiB && !(bytes % GiB))
		fmt(buf, size, "%llu GiB", (unsigned long long)(bytes / GiB));
	else if (bytes >= MiB)
		fmt(buf, size, "%.1f GiB", (double)bytes / (double)GiB);
	else
		fmt(buf, size, "%llu bytes", (unsigned long long)bytes);
	return buf;
}

/* 2^@bits, saturated at UINT64_MAX for 64. */
static uint64_t mask_span(unsigned int bits)
{
	return bits >= 64 ? UINT64_MAX : 1ull << bits;
}

/* ---- facts that could not be read ---- */

#define MAX_UNREAD 48

static struct {
	char what[160];
	char why[96];
} unread[MAX_UNREAD];
static unsigned int nr_unread;

static void unreadable(const char *what, const char *why)
{
	unsigned int i;

	for (i = 0; i < nr_unread; i++)
		if (!strcmp(unread[i].what, what))
			return;
	if (nr_unread == MAX_UNREAD)
		return;
	fmt(unread[nr_unread].what, sizeof(unread[0].what), "%s", what);
	fmt(unread[nr_unread].why, sizeof(unread[0].why), "%s", why);
	nr_unread++;
}

static void unreadable_err(const char *what, int err)
{
	unreadable(what, strerror(err));
}

/* ---- JSON, one object ---- */

#define JSON_DEPTH 8

static unsigned int json_depth;
static bool json_first[JSON_DEPTH];

/* Length of the valid UTF-8 sequence at @s, 0 if it is not one. */
static size_t utf8_seq(const unsigned char *s)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Printable for a terminal: control bytes and non-UTF-8 become '?'. */
static void sanitize(char *str)
{
	unsigned char *s = (unsigned char *)str;

	while (*s) {
		size_t n = utf8_seq(s);

		if (!n || *s < 0x20 || *s == 0x7f) {
			*s = '?';
			n = 1;
		}
		s += n;
	}
}

/* A JSON string: escapes, and U+FFFD for bytes that are not UTF-8. */
static void json_string(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	putchar('"');
	while (*s) {
		size_t n = utf8_seq(s);

		if (*s == '"' || *s == '\\') {
			printf("\\%c", *s);
		} else if (*s < 0x20 || *s == 0x7f) {
			printf("\\u%04x", *s);
		} else if (!n) {
			fputs("\\ufffd", stdout);
			n = 1;
		} else {
			fwrite(s, 1, n, stdout);
		}
		s += n ? n : 1;
	}
	putchar('"');
}

static void json_key(const char *key)
{
	if (json_depth) {
		if (!json_first[json_depth - 1])
			putchar(',');
		json_first[json_depth - 1] = false;
	}
	if (key) {
		json_string(key);
		putchar(':');
	}
}

static void json_open(const char *key, char c)
{
	json_key(key);
	putchar(c);
	if (json_depth < JSON_DEPTH)
		json_first[json_depth] = true;
	json_depth++;
}

static void json_close(char c)
{
	putchar(c);
	if (json_depth)
		json_depth--;
}

static void json_str(const char *key, const char *val)
{
	json_key(key);
	if (val)
		json_string(val);
	else
		fputs("null", stdout);
}

static void json_u64(const char *key, uint64_t val)
{
	json_key(key);
	printf("%llu", (unsigned long long)val);
}

static void json_s64(const char *key, int64_t val)
{
	json_key(key);
	printf("%lld", (long long)val);
}

static void json_bool(const char *key, int val)
{
	json_key(key);
	fputs(val < 0 ? "null" : val ? "true" : "false", stdout);
}

/* A decimal field: a number if it is one, else null. */
static void json_dec(const char *key, const char *val)
{
	uint64_t v;

	if (parse_u64(val, &v))
		json_u64(key, v);
	else
		json_str(key, NULL);
}

/* ---- output for both audiences ---- */

/*
 * A section: a JSON object under @key, a heading for people.  Fields
 * below give a JSON value (key NULL: people only) and a line for people
 * (label NULL: JSON only).
 */
static void section(const char *key, const char *title)
{
	if (opt_json)
		json_open(key, '{');
	else
		printf("%s\n", title);
}

static void section_end(void)
{
	if (opt_json)
		json_close('}');
}

static void vline(const char *label, const char *f, va_list ap)
{
	printf("  %-20s ", label);
	vprintf(f, ap);
	putchar('\n');
}

static void field_str(const char *key, const char *jval, const char *label,
		      const char *f, ...) __attribute__((format(printf, 4, 5)));

static void field_str(const char *key, const char *jval, const char *label,
		      const char *f, ...)
{
	va_list ap;

	if (opt_json) {
		if (key)
			json_str(key, jval);
		return;
	}
	if (!label)
		return;
	va_start(ap, f);
	vline(label, f, ap);
	va_end(ap);
}

static void field_bool(const char *key, int jval, const char *label,
		       const char *f, ...) __attribute__((format(printf, 4, 5)));

static void field_bool(const char *key, int jval, const char *label,
		       const char *f, ...)
{
	va_list ap;

	if (opt_json) {
		if (key)
			json_bool(key, jval);
		return;
	}
	if (!label)
		return;
	va_start(ap, f);
	vline(label, f, ap);
	va_end(ap);
}

/* A number, or null when !@known. */
static void field_num(const char *key, bool known, uint64_t jval,
		      const char *label, const char *f, ...)
	__attribute__((format(printf, 5, 6)));

static void field_num(const char *key, bool known, uint64_t jval,
		      const char *label, const char *f, ...)
{
	va_list ap;

	if (opt_json) {
		if (key && known)
			json_u64(key, jval);
		else if (key)
			json_str(key, NULL);
		return;
	}
	if (!label)
		return;
	va_start(ap, f);
	vline(label, f, ap);
	va_end(ap);
}

/* The "could not read" list, at the end of every report. */
static void show_unreadable(void)
{
	unsigned int i;

	if (opt_json) {
		json_open("unreadable", '[');
		for (i = 0; i < nr_unread; i++) {
			json_open(NULL, '{');
			json_str("what", unread[i].what);
			json_str("error", unread[i].why);
			json_close('}');
		}
		json_close(']');
		return;
	}
	if (!nr_unread)
		return;
	printf("could not read\n");
	for (i = 0; i < nr_unread; i++)
		printf("  %s: %s\n", unread[i].what, unread[i].why);
}

/* ---- running a program: fixed argv, fixed environment, no shell ---- */

static const char *const program_dirs[] = {
	XGI_ROOT "/usr/sbin", XGI_ROOT "/usr/bin", XGI_ROOT "/sbin",
	XGI_ROOT "/bin",
};

/* posix_spawn() takes char *const[]; it does not write to them. */
static char *const program_env[] = {
	(char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"LC_ALL=C", NULL
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool find_program(const char *name, char *path, size_t size)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(program_dirs); i++)
		if (fmt(path, size, "%s/%s", program_dirs[i], name) &&
		    !access(path, X_OK))
			return true;
	return false;
}

/* Read @fd into @out until EOF or @deadline; the excess is drained. */
static bool collect_output(int fd, char *out, size_t size, int64_t deadline)
{
	char sink[512];
	size_t len = 0;

	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		bool room = len < size - 1;
		ssize_t n;
		int r;

		if (left <= 0)
			break;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n = read(fd, room ? out + len : sink,
			 room ? size - 1 - len : sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			out[len] = '\0';
			return true;
		}
		if (room)
			len += (size_t)n;
	}
	out[len] = '\0';
	return false;
}

/*
 * Run @name (looked up in program_dirs) with the NULL-terminated @args
 * (args[0] is the name), stdin and stderr on /dev/null, stdout kept in
 * @out (at most @size - 1 bytes).  A child still running after
 * PROGRAM_TIMEOUT_MS is killed.  Returns its exit status, or -ENOENT
 * (not installed), -ETIMEDOUT, -ECHILD (killed by a signal), -errno.
 */
static int run_program(const char *name, const char *const args[],
		       char *out, size_t size)
{
	posix_spawn_file_actions_t fa;
	char path[PATH_MAX];
	char *argv[16];
	int pipefd[2], status, err;
	bool done;
	size_t i;
	pid_t pid;

	out[0] = '\0';
	if (!find_program(name, path, sizeof(path)))
		return -ENOENT;
	/* posix_spawn() takes char *const[]; it does not write to them. */
	for (i = 0; args[i] && i < ARRAY_SIZE(argv) - 1; i++)
		argv[i] = (char *)args[i];
	argv[i] = NULL;
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	err = posix_spawn_file_actions_init(&fa);
	if (!err)
		err = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
						       O_RDONLY, 0);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	if (!err)
		err = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null",
						       O_WRONLY, 0);
	if (!err)
		err = posix_spawn(&pid, path, &fa, NULL, argv, program_env);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (err) {
		close(pipefd[0]);
		return -err;
	}
	done = collect_output(pipefd[0], out, size,
			      now_ms() + PROGRAM_TIMEOUT_MS);
	close(pipefd[0]);
	if (!done)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!done)
		return -ETIMEDOUT;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return -ECHILD;
}

static const char *program_error(int ret, char *buf, size_t size)
{
	if (ret == -ENOENT)
		return "not installed";
	if (ret == -ETIMEDOUT)
		return "timed out";
	if (ret == -ECHILD)
		return "killed by a signal";
	if (ret < 0)
		return strerror(-ret);
	fmt(buf, size, "exit status %d", ret);
	return buf;
}

/* ---- `xl info`: host memory, Xen's IOMMU (root only) ---- */

struct xl_info {
	int ret;		/* run_program()'s; 0 and a parse: valid */
	bool have_total;
	uint64_t total_mib;	/* total_memory */
	char virt_caps[160];
};

static void xl_info_get(struct xl_info *xi)
{
	static const char *const args[] = { "xl", "info", NULL };
	char out[16384], *line, *save = NULL;

	memset(xi, 0, sizeof(*xi));
	if (geteuid()) {
		xi->ret = -EACCES;
		return;
	}
	xi->ret = run_program("xl", args, out, sizeof(out));
	if (xi->ret)
		return;
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		size_t klen;
		char *val;

		if (!colon)
			continue;
		klen = strcspn(line, " \t:");
		val = colon + 1 + strspn(colon + 1, " \t");
		if (klen == 12 && !strncmp(line, "total_memory", 12))
			xi->have_total = parse_u64(val, &xi->total_mib);
		else if (klen == 9 && !strncmp(line, "virt_caps", 9))
			fmt(xi->virt_caps, sizeof(xi->virt_caps), "%s", val);
	}
}

static void xl_info_unreadable(const struct xl_info *xi, const char *what)
{
	char buf[32], text[64];

	if (xi->ret == -EACCES) {
		unreadable(what, "xl info needs root");
	} else if (xi->ret) {
		fmt(text, sizeof(text), "xl info: %s",
		    program_error(xi->ret, buf, sizeof(buf)));
		unreadable(what, text);
	}
}

/* ---- the Xen domain ---- */

enum flavour { FL_NOT_XEN, FL_UNKNOWN, FL_PV, FL_PVH, FL_HVM };

struct domain {
	enum flavour fl;
	char guest_type[16];
	char xen_version[64];
	int dom0;		/* 1, 0, -1: unknown */
	const char *dom0_how;	/* where dom0 was read */
};

static const char *flavour_name(enum flavour fl)
{
	switch (fl) {
	case FL_NOT_XEN:
		return "not Xen";
	case FL_PV:
		return "PV";
	case FL_PVH:
		return "PVH";
	case FL_HVM:
		return "HVM";
	default:
		return "unknown";
	}
}

static void domain_dom0(struct domain *d)
{
	char buf[256];
	ssize_t n;

	d->dom0 = -1;
	n = read_line(XENFS_CAPS, buf, sizeof(buf));
	if (n >= 0) {
		d->dom0 = !!strstr(buf, "control_d");
		d->dom0_how = XENFS_CAPS;
		return;
	}
	if (n != -ENOENT)
		unreadable_err(XENFS_CAPS, (int)-n);
	/* Without xenfs: dom0's handle is all zeros (xl list -l: 00000000-...). */
	n = read_line(HYP_DIR "/uuid", buf, sizeof(buf));
	if (n < 0) {
		unreadable_err(HYP_DIR "/uuid", (int)-n);
		return;
	}
	d->dom0 = !strcmp(buf, "00000000-0000-0000-0000-000000000000");
	d->dom0_how = HYP_DIR "/uuid, a guess: xenfs not mounted";
}

static void domain_get(struct domain *d)
{
	char type[32], major[16], minor[16], extra[32];
	ssize_t n;

	memset(d, 0, sizeof(*d));
	d->dom0 = -1;
	n = read_line(HYP_DIR "/type", type, sizeof(type));
	if (n == -ENOENT && !path_exists(XGI_ROOT "/proc/xen")) {
		d->fl = FL_NOT_XEN;
		d->dom0 = 0;
		return;
	}
	if (n >= 0 && strcmp(type, "xen")) {
		d->fl = FL_NOT_XEN;
		d->dom0 = 0;
		return;
	}
	if (n < 0)
		unreadable_err(HYP_DIR "/type", (int)-n);
	d->fl = FL_UNKNOWN;
	n = read_line(HYP_DIR "/guest_type", d->guest_type,
		      sizeof(d->guest_type));
	if (n < 0)
		unreadable_err(HYP_DIR "/guest_type", (int)-n);
	else if (!strcmp(d->guest_type, "PV"))
		d->fl = FL_PV;
	else if (!strcmp(d->guest_type, "PVH"))
		d->fl = FL_PVH;
	else if (!strcmp(d->guest_type, "HVM"))
		d->fl = FL_HVM;
	if (read_line(HYP_DIR "/version/major", major,
		      sizeof(major)) >= 0 &&
	    read_line(HYP_DIR "/version/minor", minor,
		      sizeof(minor)) >= 0) {
		if (read_line(HYP_DIR "/version/extra", extra,
			      sizeof(extra)) < 0)
			extra[0] = '\0';
		fmt(d->xen_version, sizeof(d->xen_version), "%s.%s%s", major,
		    minor, extra);
	}
	domain_dom0(d);
}

static void show_domain(const struct domain *d)
{
	section("domain", "Xen domain");
	field_bool("xen", d->fl != FL_NOT_XEN, "hypervisor", "%s%s%s",
		   d->fl == FL_NOT_XEN ? "none (not a Xen domain)" : "Xen",
		   d->xen_version[0] ? " " : "", d->xen_version);
	field_str("xen_version", d->xen_version[0] ? d->xen_version : NULL,
		  NULL, "%s", "");
	if (d->fl != FL_NOT_XEN)
		field_str("flavour", d->fl == FL_UNKNOWN ? NULL :
			  flavour_name(d->fl), "flavour", "%s%s%s%s",
			  flavour_name(d->fl),
			  d->fl == FL_UNKNOWN ? " (guest_type \"" : "",
			  d->fl == FL_UNKNOWN ? d->guest_type : "",
			  d->fl == FL_UNKNOWN ? "\")" : "");
	else
		field_str("flavour", NULL, NULL, "%s", "");
	field_bool("dom0", d->dom0, d->fl == FL_NOT_XEN ? NULL : "dom0",
		   "%s%s%s%s", d->dom0 < 0 ? "unknown" : d->dom0 ? "yes" : "no",
		   d->dom0_how ? " (" : "", d->dom0_how ? d->dom0_how : "",
		   d->dom0_how ? ")" : "");
	field_str("dom0_source", d->dom0_how, NULL, "%s", "");
	section_end();
}

/* ---- status: the loaded module ---- */

struct loaded {
	int present;		/* 1, 0, -errno */
	bool builtin;
	char version[64];	/* "" if absent */
	char srcversion[64];
	char refcnt[24];
};

static void loaded_get(struct loaded *lm)
{
	struct stat st;
	ssize_t n;

	memset(lm, 0, sizeof(*lm));
	if (stat(MODULE_DIR, &st)) {
		lm->present = errno == ENOENT ? 0 : -errno;
		if (lm->present)
			unreadable_err(MODULE_DIR, errno);
		return;
	}
	lm->present = 1;
	/* Loadable modules have "initstate"; built-in ones only parameters. */
	lm->builtin = !path_exists(MODULE_DIR "/initstate");
	n = read_line(MODULE_DIR "/version", lm->version, sizeof(lm->version));
	if (n < 0 && n != -ENOENT)
		unreadable_err(MODULE_DIR "/version", (int)-n);
	n = read_line(MODULE_DIR "/srcversion", lm->srcversion,
		      sizeof(lm->srcversion));
	if (n < 0 && n != -ENOENT)
		unreadable_err(MODULE_DIR "/srcversion", (int)-n);
	n = read_line(MODULE_DIR "/refcnt", lm->refcnt, sizeof(lm->refcnt));
	if (n < 0 && n != -ENOENT)
		unreadable_err(MODULE_DIR "/refcnt", (int)-n);
}

static bool is_ours(const char *version)
{
	return !strncmp(version, "xgd-", 4);
}

static const char *module_kind(const char *version)
{
	if (!version[0])
		return "Debian's stock module (no version)";
	if (is_ours(version))
		return "this project's";
	return "another module";
}

static void show_loaded(const struct loaded *lm)
{
	section("loaded", "xen-gntdev module");
	field_bool("present", lm->present < 0 ? -1 : lm->present, "loaded",
		   "%s", lm->present < 0 ? "unknown" :
		   !lm->present ? "no (no " MODULE_DIR ")" :
		   lm->builtin ? "yes, built into the kernel" : "yes");
	if (lm->present > 0) {
		field_bool("builtin", lm->builtin, NULL, "%s", "");
		field_bool("ours", is_ours(lm->version), "module", "%s",
			   module_kind(lm->version));
		field_str("version", lm->version[0] ? lm->version : NULL,
			  "version", "%s", lm->version[0] ? lm->version : "-");
		field_str("srcversion",
			  lm->srcversion[0] ? lm->srcversion : NULL,
			  "srcversion", "%s",
			  lm->srcversion[0] ? lm->srcversion : "-");
		field_str("refcnt", lm->refcnt[0] ? lm->refcnt : NULL,
			  lm->refcnt[0] ? "references" : NULL, "%s",
			  lm->refcnt);
	}
	section_end();
}

/* ---- status: the installed module (modinfo) ---- */

struct installed {
	char kver[65];
	int ret;		/* modinfo's status for "filename" */
	char filename[PATH_MAX];
	char version[64];
	char srcversion[64];
};

static void modinfo_field(const char *kver, const char *field, char *buf,
			  size_t size, int *ret)
{
	const char *const args[] = {
		"modinfo", "-k", kver, "-F", field, "xen-gntdev", NULL
	};
	char out[PATH_MAX + 64];
	int r = run_program("modinfo", args, out, sizeof(out));

	if (ret)
		*ret = r;
	out[strcspn(out, "\n")] = '\0';
	fmt(buf, size, "%s", r ? "" : out);
}

static void installed_get(struct installed *im)
{
	struct utsname u;

	memset(im, 0, sizeof(*im));
	if (uname(&u)) {
		im->ret = -errno;
		return;
	}
	fmt(im->kver, sizeof(im->kver), "%s", u.release);
	modinfo_field(im->kver, "filename", im->filename,
		      sizeof(im->filename), &im->ret);
	if (im->ret)
		return;
	modinfo_field(im->kver, "version", im->version, sizeof(im->version),
		      NULL);
	modinfo_field(im->kver, "srcversion", im->srcversion,
		      sizeof(im->srcversion), NULL);
}

/*
 * Reload pending: both srcversions known and different; without both,
 * different versions (none = stock).  1, 0, -1: cannot tell.
 */
static int reload_pending(const struct loaded *lm,
			  const struct installed *im, const char **why)
{
	*why = "";
	if (lm->present <= 0 || im->ret) {
		*why = lm->present <= 0 ? "the module is not loaded" :
		       "no installed module found";
		return -1;
	}
	if (lm->builtin) {
		*why = "the loaded module is built into the kernel";
		return 0;
	}
	if (lm->srcversion[0] && im->srcversion[0]) {
		*why = "srcversions compared";
		return strcmp(lm->srcversion, im->srcversion) != 0;
	}
	*why = "no srcversion on both sides; versions compared";
	return strcmp(lm->version, im->version) != 0;
}

static void show_installed(const struct loaded *lm,
			   const struct installed *im)
{
	char title[128], buf[32];
	const char *why;
	int pending;

	fmt(title, sizeof(title), "installed for %s (modinfo)",
	    im->kver[0] ? im->kver : "this kernel");
	section("installed", title);
	field_str("kernel", im->kver[0] ? im->kver : NULL, NULL, "%s", "");
	if (im->ret) {
		field_str("filename", NULL, "file", "%s",
			  im->ret == -ENOENT ? "unknown: modinfo not installed" :
			  im->ret > 0 ? "none found" :
			  program_error(im->ret, buf, sizeof(buf)));
		if (im->ret < 0 && im->ret != -ENOENT)
			unreadable("modinfo xen-gntdev",
				   program_error(im->ret, buf, sizeof(buf)));
		if (im->ret == -ENOENT)
			unreadable("modinfo", "not installed");
	} else {
		field_str("filename", im->filename, "file", "%s",
			  im->filename);
		field_bool("ours", is_ours(im->version), "module", "%s",
			   module_kind(im->version));
		field_str("version", im->version[0] ? im->version : NULL,
			  "version", "%s", im->version[0] ? im->version : "-");
		field_str("srcversion",
			  im->srcversion[0] ? im->srcversion : NULL,
			  "srcversion", "%s",
			  im->srcversion[0] ? im->srcversion : "-");
	}
	section_end();
	pending = reload_pending(lm, im, &why);
	if (opt_json) {
		json_bool("reload_pending", pending);
		json_str("reload_pending_reason", why);
	} else if (pending > 0) {
		printf("  %-20s yes (%s differ)\n", "reload pending",
		       lm->srcversion[0] && im->srcversion[0] ?
		       "srcversions" : "versions");
	} else {
		printf("  %-20s %s (%s)\n", "reload pending",
		       pending ? "unknown" : "no", why);
	}
}

/* ---- status: the IOMMU as this domain sees it ---- */

/* Entries of @dir (no dot files), names joined by spaces.  Count or -errno. */
static int list_dir(const char *dir, char *names, size_t size)
{
	struct dirent *de;
	size_t len = 0;
	DIR *d;
	int n = 0;

	if (names && size)
		names[0] = '\0';
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		if (names && len < size &&
		    fmt(names + len, size - len, "%s%s", len ? " " : "",
			de->d_name))
			len = strlen(names);
	}
	closedir(d);
	return n;
}

static void show_iommu(const struct domain *d, const struct xl_info *xi)
{
	char names[256];
	int n, groups;
	const char *note;

	section("iommu", "IOMMU");
	n = list_dir(XGI_ROOT "/sys/class/iommu", names, sizeof(names));
	if (n < 0 && n != -ENOENT)
		unreadable_err(XGI_ROOT "/sys/class/iommu", -n);
	if (opt_json && (n >= 0 || n == -ENOENT)) {
		char *save = NULL, *w;

		json_open("linux_iommus", '[');
		for (w = n > 0 ? strtok_r(names, " ", &save) : NULL; w;
		     w = strtok_r(NULL, " ", &save))
			json_str(NULL, w);
		json_close(']');
	} else {
		field_str("linux_iommus", NULL, "Linux IOMMUs", "%s",
			  n > 0 ? names : n == 0 || n == -ENOENT ? "none" :
			  "unknown");
	}
	groups = list_dir(XGI_ROOT "/sys/kernel/iommu_groups", NULL, 0);
	if (groups < 0 && groups != -ENOENT)
		unreadable_err(XGI_ROOT "/sys/kernel/iommu_groups", -groups);
	field_num("iommu_groups", groups >= 0 || groups == -ENOENT,
		  groups > 0 ? (uint64_t)groups : 0, "IOMMU groups", "%d",
		  groups > 0 ? groups : 0);
	if (d->fl != FL_NOT_XEN && d->dom0 == 1) {
		if (!xi->ret && xi->virt_caps[0]) {
			field_bool("xen_iommu",
				   !!strstr(xi->virt_caps, "directio"),
				   "Xen IOMMU", "%s (xl info virt_caps: %s)",
				   strstr(xi->virt_caps, "directio") ?
				   "enabled" : "not enabled", xi->virt_caps);
		} else {
			field_bool("xen_iommu", -1, "Xen IOMMU",
				   "unknown (needs xl info)");
			xl_info_unreadable(xi, "Xen IOMMU (xl info virt_caps)");
		}
	} else {
		field_bool("xen_iommu", -1, NULL, "%s", "");
	}
	switch (d->fl) {
	case FL_PV:
		note = "Xen owns the IOMMU; PV DMA goes through xen-swiotlb, to machine addresses";
		break;
	case FL_PVH:
		note = "Xen owns the IOMMU and translates dom0's guest-physical addresses";
		break;
	case FL_HVM:
		note = "an HVM domain: any IOMMU listed is an emulated one";
		break;
	case FL_NOT_XEN:
		note = "not a Xen domain: the IOMMUs listed are Linux's";
		break;
	default:
		note = "flavour unknown";
		break;
	}
	field_str("note", note, "note", "%s", note);
	section_end();
}

/* ---- status: capabilities ---- */

static const char *lib_dom0_name(enum gntext_dom0 d)
{
	switch (d) {
	case GNTEXT_DOM0_PV:
		return "PV";
	case GNTEXT_DOM0_PVH:
		return "PVH";
	case GNTEXT_DOM0_HVM:
		return "HVM";
	default:
		return "unknown";
	}
}

/* Cap bits from the words of a "features" line; the rest go to @other. */
static uint32_t caps_from_words(char *line, char *other, size_t size)
{
	char *save = NULL, *w;
	uint32_t caps = 0;
	size_t len = 0;

	other[0] = '\0';
	for (w = strtok_r(line, " \t\n", &save); w;
	     w = strtok_r(NULL, " \t\n", &save)) {
		unsigned int bit;
		bool known = false;

		for (bit = 0; bit < 32; bit++) {
			const char *name = gntext_cap_name(1u << bit);

			if (name && !strcmp(name, w)) {
				caps |= 1u << bit;
				known = true;
			}
		}
		if (!known && len < size &&
		    fmt(other + len, size - len, "%s%s", len ? " " : "", w))
			len = strlen(other);
	}
	return caps;
}

/* The features attribute, read without opening the device. */
static int caps_from_sysfs(uint32_t *caps, char *other, size_t size)
{
	char path[64], line[512];
	struct stat st;
	ssize_t n;

	if (stat(GNTDEV_DEV, &st))
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENODEV;
	fmt(path, sizeof(path), XGI_ROOT "/sys/dev/char/%u:%u/features",
	    major(st.st_rdev), minor(st.st_rdev));
	n = read_line(path, line, sizeof(line));
	if (n < 0)
		return (int)n;
	*caps = caps_from_words(line, other, size);
	return 0;
}

static void show_cap_bits(uint32_t caps)
{
	unsigned int bit;

	if (opt_json)
		json_open("caps", '{');
	for (bit = 0; bit < 32; bit++) {
		const char *name = gntext_cap_name(1u << bit);

		if (!name)
			continue;
		if (opt_json)
			json_bool(name, !!(caps & (1u << bit)));
		else
			printf("  %-20s %s\n", name,
			       caps & (1u << bit) ? "yes" : "no");
	}
	if (opt_json) {
		json_close('}');
		json_open("words", '[');
		for (bit = 0; bit < 32; bit++)
			if (caps & (1u << bit) && gntext_cap_name(1u << bit))
				json_str(NULL, gntext_cap_name(1u << bit));
		json_close(']');
	}
}

static void show_caps(void)
{
	struct gntext_caps c;
	char other[256] = "";
	struct gntext_handle *h;
	uint32_t caps = 0;
	int err = 0, ret;

	memset(&c, 0, sizeof(c));
	h = gntext_open(0);
	if (h) {
		if (gntext_probe(h, &c))
			err = errno;
		gntext_close(h);
	} else {
		err = errno;
	}
	if (h && !err) {
		section("capabilities", "capabilities (gntext_probe)");
		field_str("source", "gntext_probe", NULL, "%s", "");
		field_bool("ours", c.ours, "module", "%s",
			   c.ours ? "ours (has the features attribute)" :
			   "stock (no features attribute)");
		if (!c.ours)
			field_bool("stock_dmabuf_ioctls",
				   c.stock_dmabuf_ioctls,
				   "dma-buf ioctls", "%s",
				   c.stock_dmabuf_ioctls ?
				   "answered (CONFIG_XEN_GNTDEV_DMABUF)" :
				   "absent");
		else
			field_bool("stock_dmabuf_ioctls", -1, NULL, "%s", "");
		field_str("dom0", lib_dom0_name(c.dom0), "dom0 (library)",
			  "%s", lib_dom0_name(c.dom0));
		show_cap_bits(c.caps);
		section_end();
		return;
	}
	/* No usable handle: the sysfs attribute needs no permission. */
	ret = caps_from_sysfs(&caps, other, sizeof(other));
	section("capabilities", ret ? "capabilities" :
		"capabilities (sysfs features)");
	field_str("source", ret ? NULL : "sysfs", NULL, "%s", "");
	field_str("open_error", strerror(err), "device", "cannot %s %s: %s",
		  h ? "probe" : "open", GNTDEV_DEV, strerror(err));
	if (ret == -ENOENT && !path_exists(GNTDEV_DEV)) {
		field_bool("ours", -1, "module", "%s",
			   "unknown: no " GNTDEV_DEV
			   " (not a Xen domain, or the module is not loaded)");
	} else if (ret == -ENOENT) {
		field_bool("ours", 0, "module", "%s",
			   "stock (no features attribute)");
		show_cap_bits(0);
	} else if (ret) {
		field_bool("ours", -1, "module", "unknown: features: %s",
			   strerror(-ret));
		unreadable_err(GNTDEV_DEV " features (sysfs)", -ret);
	} else {
		field_bool("ours", 1, "module", "%s",
			   "ours (has the features attribute)");
		show_cap_bits(caps);
		field_str("other_words", other, other[0] ? "other words" : NULL,
			  "%s", other);
	}
	section_end();
}

/* ---- status: module parameters ---- */

#define MAX_PARAMS 64

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void show_params(const struct loaded *lm)
{
	char names[MAX_PARAMS][NAME_MAX + 1], *sorted[MAX_PARAMS];
	const char *dir = MODULE_DIR "/parameters";
	unsigned int n = 0, i;
	struct dirent *de;
	DIR *d;

	section("parameters", "module parameters (" MODULE_DIR "/parameters)");
	d = lm->present > 0 ? opendir(dir) : NULL;
	if (!d && lm->present > 0)
		unreadable_err(dir, errno);
	while (d && (de = readdir(d)) && n < MAX_PARAMS) {
		if (de->d_name[0] == '.')
			continue;
		fmt(names[n], sizeof(names[n]), "%s", de->d_name);
		sorted[n] = names[n];
		n++;
	}
	if (d)
		closedir(d);
	qsort(sorted, n, sizeof(sorted[0]), name_cmp);
	for (i = 0; i < n; i++) {
		char path[PATH_MAX], val[256];
		ssize_t r;

		if (!fmt(path, sizeof(path), "%s/%s", dir, sorted[i]))
			continue;
		r = read_line(path, val, sizeof(val));
		if (r < 0) {
			unreadable_err(path, (int)-r);
			field_str(sorted[i], NULL, sorted[i], "(%s)",
				  strerror((int)-r));
			continue;
		}
		if (!opt_json)
			sanitize(val);
		field_str(sorted[i], val, sorted[i], "%s", val);
	}
	if (!n && !opt_json)
		printf("  %s\n", lm->present > 0 ? "none" :
		       "none (module not loaded)");
	section_end();
}

static int cmd_status(void)
{
	struct installed im;
	struct xl_info xi;
	struct loaded lm;
	struct domain d;

	loaded_get(&lm);
	installed_get(&im);
	domain_get(&d);
	if (d.fl != FL_NOT_XEN && d.dom0 == 1)
		xl_info_get(&xi);
	else
		memset(&xi, 0, sizeof(xi)), xi.ret = -ENODEV;
	if (opt_json) {
		json_open(NULL, '{');
		json_str("command", "status");
	}
	show_loaded(&lm);
	show_installed(&lm, &im);
	show_domain(&d);
	show_iommu(&d, &xi);
	show_caps();
	show_params(&lm);
	show_unreadable();
	if (opt_json) {
		json_close('}');
		putchar('\n');
	}
	return EXIT_OK;
}

/* ---- debugfs files: why one cannot be read ---- */

static const char *debugfs_why(const char *file, int err, char *buf,
			       size_t size)
{
	char version[64];
	struct statfs sfs;

	if (err == EACCES || err == EPERM) {
		fmt(buf, size, "%s: permission denied (debugfs needs root)",
		    file);
		return buf;
	}
	if (err != ENOENT) {
		fmt(buf, size, "%s: %s", file, strerror(err));
		return buf;
	}
	if (statfs(DEBUGFS_DIR, &sfs) && (errno == EACCES || errno == EPERM))
		fmt(buf, size, "%s: permission denied (debugfs needs root)",
		    file);
	else if (statfs(DEBUGFS_DIR, &sfs) ||
		 sfs.f_type != DEBUGFS_MAGIC_NR)
		fmt(buf, size, "debugfs is not mounted on %s (mount -t debugfs none %s)",
		    DEBUGFS_DIR, DEBUGFS_DIR);
	else if (!path_exists(MODULE_DIR))
		fmt(buf, size, "%s: the xen-gntdev module is not loaded",
		    file);
	else if (read_line(MODULE_DIR "/version", version,
			   sizeof(version)) < 0)
		fmt(buf, size, "%s: absent: the loaded xen-gntdev is the stock module",
		    file);
	else if (!path_exists(GNTDEV_DEBUGFS))
		fmt(buf, size, "%s: absent: %s has no debugfs directory",
		    file, version);
	else
		fmt(buf, size, "%s: absent: the loaded module (%s) is older than this file",
		    file, version);
	return buf;
}

/* Report @file unreadable: stderr for people, an object for --json. */
static int debugfs_fail(const char *command, const char *file, int err)
{
	char why[256];

	debugfs_why(file, err, why, sizeof(why));
	if (opt_json) {
		json_open(NULL, '{');
		json_str("command", command);
		json_str("source", file);
		json_str("error", why);
		json_close('}');
		putchar('\n');
	}
	fprintf(stderr, "xen-gntdev-info: %s\n", why);
	return EXIT_ERR;
}

/* ---- counters ---- */

#define MAX_COUNTERS 64

struct counters {
	unsigned int n;
	unsigned int malformed;
	struct {
		char name[48];
		int64_t value;
	} c[MAX_COUNTERS];
};

static const int64_t *counter_find(const struct counters *cs,
				   const char *name)
{
	unsigned int i;

	for (i = 0; cs && i < cs->n; i++)
		if (!strcmp(cs->c[i].name, name))
			return &cs->c[i].value;
	return NULL;
}

static int counters_read(struct counters *cs)
{
	char text[16384], *line, *save = NULL;
	ssize_t n;

	cs->n = 0;
	cs->malformed = 0;
	n = read_file(STATS_FILE, text, sizeof(text));
	if (n < 0)
		return (int)n;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[48], *val;
		size_t len = strcspn(line, " \t");

		val = line + len + strspn(line + len, " \t");
		val[strcspn(val, " \t\r")] = '\0';
		if (!len || len >= sizeof(name) || cs->n == MAX_COUNTERS) {
			cs->malformed++;
			continue;
		}
		memcpy(name, line, len);
		name[len] = '\0';
		/* A repeated name would be a duplicate JSON key. */
		if (counter_find(cs, name) ||
		    !parse_s64(val, &cs->c[cs->n].value)) {
			cs->malformed++;
			continue;
		}
		fmt(cs->c[cs->n].name, sizeof(cs->c[0].name), "%s", name);
		cs->n++;
	}
	return 0;
}

/* One sample; @prev (may be NULL) gives the deltas. */
static void counters_print(const struct counters *cs,
			   const struct counters *prev, bool watch)
{
	unsigned int i;

	if (opt_json) {
		json_open(NULL, '{');
		json_str("command", "counters");
		json_str("source", STATS_FILE);
		if (watch)
			json_s64("time", (int64_t)time(NULL));
		json_open("counters", '{');
		for (i = 0; i < cs->n; i++)
			json_s64(cs->c[i].name, cs->c[i].value);
		json_close('}');
		if (prev) {
			json_open("delta", '{');
			for (i = 0; i < cs->n; i++) {
				const int64_t *p = counter_find(prev,
								cs->c[i].name);

				if (p)
					json_s64(cs->c[i].name,
						 cs->c[i].value - *p);
			}
			json_close('}');
		}
		json_u64("malformed_lines", cs->malformed);
		json_close('}');
		putchar('\n');
		fflush(stdout);
		return;
	}
	if (watch) {
		char stamp[32];
		time_t t = time(NULL);
		struct tm tm;

		if (!localtime_r(&t, &tm) ||
		    !strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm))
			stamp[0] = '\0';
		printf("--- %s\n", stamp);
	} else {
		printf("%s\n", STATS_FILE);
	}
	for (i = 0; i < cs->n; i++) {
		const int64_t *p = counter_find(prev, cs->c[i].name);

		printf("  %-26s %12lld", cs->c[i].name,
		       (long long)cs->c[i].value);
		if (p && cs->c[i].value != *p)
			printf("  (%+lld)", (long long)(cs->c[i].value - *p));
		else if (prev && !p)
			printf("  (new)");
		putchar('\n');
	}
	if (cs->malformed)
		printf("  (%u malformed line%s skipped)\n", cs->malformed,
		       cs->malformed == 1 ? "" : "s");
	fflush(stdout);
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int cmd_counters_watch(double seconds)
{
	struct counters a, b, *cur = &a, *prev = NULL;
	struct sigaction sa;
	sigset_t block, old;
	char why[256];
	int ret;

	ret = counters_read(cur);
	if (ret)
		return debugfs_fail("counters", STATS_FILE, -ret);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	/* Blocked except inside ppoll(): no signal is lost between checks. */
	sigprocmask(SIG_BLOCK, &block, &old);
	if (!opt_json)
		printf("every %g s until interrupted: %s\n", seconds,
		       STATS_FILE);
	for (;;) {
		struct timespec ts;

		if (!ret) {
			counters_print(cur, prev, true);
			prev = cur;
			cur = cur == &a ? &b : &a;
		} else if (!opt_json) {
			debugfs_why(STATS_FILE, -ret, why, sizeof(why));
			printf("--- %s\n", why);
			fflush(stdout);
			prev = NULL;
		}
		ts.tv_sec = (time_t)seconds;
		ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
		while (!stop_requested && ppoll(NULL, 0, &ts, &old) < 0 &&
		       errno == EINTR)
			;
		if (stop_requested)
			break;
		ret = counters_read(cur);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return EXIT_OK;
}

static int cmd_counters(int argc, char **argv)
{
	struct counters cs;
	double seconds = 1;
	char *end;
	int ret;

	if (argc > 0 && strcmp(argv[0], "--watch"))
		return -1;
	if (argc > 2)
		return -1;
	if (argc == 2) {
		errno = 0;
		seconds = strtod(argv[1], &end);
		if (errno || *end || !(seconds >= 0.1 && seconds <= 86400))
			return -1;
	}
	if (argc)
		return cmd_counters_watch(seconds);
	ret = counters_read(&cs);
	if (ret)
		return debugfs_fail("counters", STATS_FILE, -ret);
	counters_print(&cs, NULL, false);
	return EXIT_OK;
}

/* ---- list: live exports and imports ---- */

/* The keys of a buffers line; others are ignored. */
enum bufkey {
	K_ID, K_PID, K_DOMID, K_PAGES, K_DATA_OFS, K_FLAGS, K_ATTACHMENTS,
	K_IMPORTERS, K_STATE, NR_BUFKEYS
};

static const char *const buf_keys[NR_BUFKEYS] = {
	[K_ID] = "id",
	[K_PID] = "pid",
	[K_DOMID] = "domid",
	[K_PAGES] = "pages",
	[K_DATA_OFS] = "data_ofs",
	[K_FLAGS] = "flags",
	[K_ATTACHMENTS] = "attachments",
	[K_IMPORTERS] = "importers",
	[K_STATE] = "state",
};

struct bufobj {
	char type[16];
	char val[NR_BUFKEYS][256];	/* "" if the line has no such key */
};

/* Parse one line into @o: the type word, then key=value words. */
static bool bufobj_parse(char *line, struct bufobj *o)
{
	char *save = NULL, *w;
	unsigned int k;

	memset(o, 0, sizeof(*o));
	w = strtok_r(line, " \t\r", &save);
	if (!w || !fmt(o->type, sizeof(o->type), "%s", w))
		return false;
	while ((w = strtok_r(NULL, " \t\r", &save))) {
		char *eq = strchr(w, '=');

		if (!eq)
			continue;
		*eq = '\0';
		for (k = 0; k < NR_BUFKEYS; k++)
			if (!strcmp(w, buf_keys[k]) &&
			    !fmt(o->val[k], sizeof(o->val[k]), "%s", eq + 1))
				/* Too long for the field: malformed. */
				fmt(o->val[k], sizeof(o->val[k]), "?");
	}
	return true;
}

static void pid_comm(const char *pid, char *comm, size_t size)
{
	char path[64];
	uint64_t v;

	comm[0] = '\0';
	if (!parse_u64(pid, &v) || !v || v > INT_MAX)
		return;
	fmt(path, sizeof(path), XGI_ROOT "/proc/%llu/comm",
	    (unsigned long long)v);
	if (read_line(path, comm, size) < 0)
		comm[0] = '\0';
}

static const char *dash(const char *s)
{
	return s && s[0] ? s : "-";
}

static void bufobj_print(struct bufobj *o, bool is_export)
{
	char comm[32], *save = NULL, *dev;

	pid_comm(o->val[K_PID], comm, sizeof(comm));
	if (!opt_json) {
		sanitize(comm);
		sanitize(o->val[K_IMPORTERS]);
		printf("%-7s %-10s %-7s %-16s %-5s %6s %4s %-8s %3s %-9s %s\n",
		       o->type, dash(o->val[K_ID]), dash(o->val[K_PID]),
		       comm[0] ? comm : o->val[K_PID][0] ? "(exited)" : "-",
		       dash(o->val[K_DOMID]), dash(o->val[K_PAGES]),
		       dash(is_export ? o->val[K_DATA_OFS] : ""),
		       dash(is_export ? o->val[K_FLAGS] : ""),
		       dash(is_export ? o->val[K_ATTACHMENTS] : ""),
		       dash(o->val[K_STATE]),
		       is_export && strcmp(o->val[K_IMPORTERS], "-") ?
		       dash(o->val[K_IMPORTERS]) : "-");
		return;
	}
	json_open(NULL, '{');
	json_str("type", o->type);
	json_dec("id", o->val[K_ID]);
	json_dec("pid", o->val[K_PID]);
	json_str("comm", comm[0] ? comm : NULL);
	json_dec("domid", o->val[K_DOMID]);
	json_dec("pages", o->val[K_PAGES]);
	if (is_export) {
		json_dec("data_ofs", o->val[K_DATA_OFS]);
		json_str("flags", o->val[K_FLAGS][0] ? o->val[K_FLAGS] : NULL);
		json_dec("attachments", o->val[K_ATTACHMENTS]);
		json_open("importers", '[');
		dev = strcmp(o->val[K_IMPORTERS], "-") ?
		      strtok_r(o->val[K_IMPORTERS], ",", &save) : NULL;
		for (; dev; dev = strtok_r(NULL, ",", &save))
			json_str(NULL, dev);
		json_close(']');
	}
	json_str("state", o->val[K_STATE][0] ? o->val[K_STATE] : NULL);
	json_close('}');
}

/* One line of @f into @buf; an overlong line is cut and the rest skipped. */
static bool next_line(FILE *f, char *buf, size_t size)
{
	size_t len;
	int c;

	if (!fgets(buf, (int)size, f))
		return false;
	len = strlen(buf);
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	else
		while ((c = getc(f)) != EOF && c != '\n')
			;
	return true;
}

static int cmd_list(void)
{
	uint64_t exp_pages = 0, imp_pages = 0, parked = 0, v;
	unsigned int nexp = 0, nimp = 0, ignored = 0;
	char line[1024];
	struct bufobj o;
	FILE *f;

	f = fopen(BUFFERS_FILE, "re");
	if (!f)
		return debugfs_fail("list", BUFFERS_FILE, errno);
	if (opt_json) {
		json_open(NULL, '{');
		json_str("command", "list");
		json_str("source", BUFFERS_FILE);
		json_open("objects", '[');
	} else {
		printf("%-7s %-10s %-7s %-16s %-5s %6s %4s %-8s %3s %-9s %s\n",
		       "TYPE", "ID", "PID", "COMM", "DOMID", "PAGES", "OFS",
		       "FLAGS", "ATT", "STATE", "IMPORTERS");
	}
	while (next_line(f, line, sizeof(line))) {
		if (!bufobj_parse(line, &o))
			continue;
		if (!strcmp(o.type, "parked")) {
			if (parse_u64(o.val[K_PAGES], &v))
				parked += v;
			continue;
		}
		if (strcmp(o.type, "export") && strcmp(o.type, "import")) {
			ignored++;
			continue;
		}
		if (!strcmp(o.type, "export")) {
			nexp++;
			if (parse_u64(o.val[K_PAGES], &v))
				exp_pages += v;
		} else {
			nimp++;
			if (parse_u64(o.val[K_PAGES], &v))
				imp_pages += v;
		}
		bufobj_print(&o, !strcmp(o.type, "export"));
	}
	fclose(f);
	if (opt_json) {
		json_close(']');
		json_u64("exports", nexp);
		json_u64("export_pages", exp_pages);
		json_u64("imports", nimp);
		json_u64("import_pages", imp_pages);
		json_u64("parked_pages", parked);
		json_u64("ignored_lines", ignored);
		json_close('}');
		putchar('\n');
		return EXIT_OK;
	}
	if (!nexp && !nimp)
		printf("(no live exports or imports)\n");
	printf("%u export%s (%llu pages), %u import%s (%llu pages), %llu parked page%s\n",
	       nexp, nexp == 1 ? "" : "s", (unsigned long long)exp_pages,
	       nimp, nimp == 1 ? "" : "s", (unsigned long long)imp_pages,
	       (unsigned long long)parked,
	       parked == 1 ? "" : "s");
	if (ignored)
		printf("(%u line%s of unknown type ignored)\n", ignored,
		       ignored == 1 ? "" : "s");
	return EXIT_OK;
}

/* ---- check-importer ---- */

enum verdict { V_UNKNOWN, V_DIRECT, V_BOUNCES, V_REFUSED };

static const char *verdict_name(enum verdict v)
{
	switch (v) {
	case V_DIRECT:
		return "direct";
	case V_BOUNCES:
		return "bounces";
	case V_REFUSED:
		return "refused";
	default:
		return "unknown";
	}
}

struct importer {
	char node[PATH_MAX];	/* /sys/devices/.../drm/cardN */
	char bus[PATH_MAX];	/* its "device", "" if none */
	char subsystem[64];
	char driver[64];
	char mask_dev[PATH_MAX]; /* where the DMA mask was read */
	bool virtual_dev;	/* no DMA: CPU access only */
	bool linux_iommu;
	int mask_bits;		/* -1 unknown */
	int coherent_bits;
};

static int attr_int(const char *dir, const char *name)
{
	char path[PATH_MAX], buf[32];
	uint64_t v;

	if (!fmt(path, sizeof(path), "%s/%s", dir, name) ||
	    read_line(path, buf, sizeof(buf)) < 0 || !parse_u64(buf, &v) ||
	    v > 64)
		return -1;
	return (int)v;
}

/* The DMA mask of @dev or, failing that, of its nearest ancestor. */
static void importer_mask(struct importer *im)
{
	char dir[PATH_MAX], *slash;
	int depth;

	fmt(dir, sizeof(dir), "%s", im->bus);
	for (depth = 0; depth < 8; depth++) {
		im->mask_bits = attr_int(dir, "dma_mask_bits");
		if (im->mask_bits >= 0) {
			im->coherent_bits = attr_int(dir,
						     "consistent_dma_mask_bits");
			fmt(im->mask_dev, sizeof(im->mask_dev), "%s", dir);
			return;
		}
		slash = strrchr(dir, '/');
		if (!slash || slash == dir ||
		    !strcmp(dir, XGI_ROOT "/sys/devices"))
			break;
		*slash = '\0';
		if (!strcmp(dir, XGI_ROOT "/sys/devices"))
			break;
	}
	im->mask_bits = -1;
	im->coherent_bits = -1;
}

static int importer_resolve(const char *arg, struct importer *im,
			    char *err, size_t errsize)
{
	char dev[PATH_MAX], path[PATH_MAX], sub[64];
	struct stat st;

	memset(im, 0, sizeof(*im));
	im->mask_bits = -1;
	im->coherent_bits = -1;
	if (!fmt(dev, sizeof(dev), "%s%s", strchr(arg, '/') ? "" :
		 XGI_ROOT "/dev/dri/", arg)) {
		fmt(err, errsize, "%s: name too long", arg);
		return -1;
	}
	if (stat(dev, &st)) {
		fmt(err, errsize, "%s: %s", dev, strerror(errno));
		return -1;
	}
	if (!S_ISCHR(st.st_mode)) {
		fmt(err, errsize, "%s: not a character device", dev);
		return -1;
	}
	fmt(path, sizeof(path), XGI_ROOT "/sys/dev/char/%u:%u", major(st.st_rdev),
	    minor(st.st_rdev));
	if (!realpath(path, im->node)) {
		fmt(err, errsize, "%s: %s: %s", dev, path, strerror(errno));
		return -1;
	}
	fmt(path, sizeof(path), "%s/subsystem", im->node);
	link_name(path, sub, sizeof(sub));
	if (strcmp(sub, "drm")) {
		fmt(err, errsize, "%s: not a DRM device (subsystem %s)", dev,
		    sub[0] ? sub : "unknown");
		return -1;
	}
	fmt(path, sizeof(path), "%s/device", im->node);
	if (!realpath(path, im->bus)) {
		/* No bus device at all: a virtual device. */
		im->bus[0] = '\0';
		im->virtual_dev = true;
		return 0;
	}
	fmt(path, sizeof(path), "%s/subsystem", im->bus);
	link_name(path, im->subsystem, sizeof(im->subsystem));
	fmt(path, sizeof(path), "%s/driver", im->bus);
	link_name(path, im->driver, sizeof(im->driver));
	fmt(path, sizeof(path), "%s/iommu_group", im->bus);
	im->linux_iommu = path_exists(path);
	im->mask_bits = attr_int(im->bus, "dma_mask_bits");
	if (im->mask_bits >= 0) {
		im->coherent_bits = attr_int(im->bus,
					     "consistent_dma_mask_bits");
		fmt(im->mask_dev, sizeof(im->mask_dev), "%s", im->bus);
		return 0;
	}
	if (!strcmp(im->subsystem, "faux") || !strcmp(im->driver, "vgem") ||
	    !strcmp(im->driver, "vkms") ||
	    strstr(im->bus, "/sys/devices/virtual/") ||
	    strstr(im->bus, "/sys/devices/faux/")) {
		im->virtual_dev = true;
		return 0;
	}
	importer_mask(im);
	return 0;
}

/* "address sizes : 46 bits physical, 48 bits virtual" */
static int cpu_phys_bits(void)
{
	char line[512];
	int bits = -1;
	FILE *f = fopen(XGI_ROOT "/proc/cpuinfo", "re");

	if (!f) {
		unreadable_err(XGI_ROOT "/proc/cpuinfo", errno);
		return -1;
	}
	while (next_line(f, line, sizeof(line))) {
		char *p;

		if (strncmp(line, "address sizes", 13))
			continue;
		p = strchr(line, ':');
		if (p && sscanf(p + 1, "%d bits physical", &bits) == 1 &&
		    bits > 0 && bits <= 64)
			break;
		bits = -1;
	}
	fclose(f);
	if (bits < 0)
		unreadable(XGI_ROOT "/proc/cpuinfo address sizes", "not found");
	return bits;
}

/*
 * Ends (exclusive) of the top-level "System RAM" of /proc/iomem: the
 * highest, and the highest below 4 GiB.
 */
static bool iomem_ram_end(uint64_t *end, uint64_t *low_end)
{
	char line[256];
	bool any = false, zero = true;
	FILE *f = fopen(XGI_ROOT "/proc/iomem", "re");

	*end = 0;
	*low_end = 0;
	if (!f) {
		unreadable_err(XGI_ROOT "/proc/iomem", errno);
		return false;
	}
	while (next_line(f, line, sizeof(line))) {
		unsigned long long lo, hi;
		char *colon = strchr(line, ':');
		uint64_t low;

		/* Top level only: nested resources are indented. */
		if (line[0] == ' ' || !colon || !strstr(colon, "System RAM"))
			continue;
		if (sscanf(line, "%llx-%llx", &lo, &hi) != 2 || hi < lo)
			continue;
		any = true;
		if (hi)
			zero = false;
		if ((uint64_t)hi + 1 > *end)
			*end = (uint64_t)hi + 1;
		low = hi < 4 * GiB ? (uint64_t)hi + 1 : 4 * GiB;
		if (lo < 4 * GiB && low > *low_end)
			*low_end = low;
	}
	fclose(f);
	if (any && zero) {
		unreadable(XGI_ROOT "/proc/iomem addresses", "shown as 0: needs root");
		return false;
	}
	if (!any)
		unreadable(XGI_ROOT "/proc/iomem", "no System RAM line");
	return any;
}

struct judgement {
	enum verdict v;
	char reason[512];
	enum verdict v_contig;	/* PVH/HVM: contiguous exports > 4 MiB */
	char reason_contig[384];
	char highest[256];	/* the highest address a page can have */
	const char *swiotlb;
};

/* PV: foreign machine frames anywhere in the host; xen-swiotlb bounces. */
static void judge_pv(const struct importer *im, int phys_bits,
		     struct judgement *j, struct xl_info *xi)
{
	uint64_t span = mask_span((unsigned int)im->mask_bits);
	uint64_t total, top;
	char a[32], b[32];

	j->swiotlb = "xen-swiotlb (all DMA of a PV dom0; bounces beyond the mask)";
	xl_info_get(xi);
	if (xi->ret || !xi->have_total) {
		xl_info_unreadable(xi, "host memory (xl info total_memory)");
		fmt(j->highest, sizeof(j->highest),
		    "any host machine frame (host memory unknown)");
	} else {
		fmt(j->highest, sizeof(j->highest),
		    "any host machine frame: %llu MiB of RAM (xl info), plus the PCI hole",
		    (unsigned long long)xi->total_mib);
	}
	if (phys_bits > 0 && im->mask_bits >= phys_bits) {
		j->v = V_DIRECT;
		fmt(j->reason, sizeof(j->reason),
		    "the %d-bit mask covers all %d physical address bits",
		    im->mask_bits, phys_bits);
		return;
	}
	if (xi->ret || !xi->have_total) {
		j->v = V_UNKNOWN;
		fmt(j->reason, sizeof(j->reason),
		    "%d-bit mask, but the host's memory size is unknown (xl info)",
		    im->mask_bits);
		return;
	}
	total = xi->total_mib * MiB;
	/* RAM remapped above the PCI hole lies at most 4 GiB higher. */
	top = total + 4 * GiB;
	if (span >= top) {
		j->v = V_DIRECT;
		fmt(j->reason, sizeof(j->reason),
		    "the %d-bit mask (%s) covers RAM + a 4 GiB PCI hole (%s)",
		    im->mask_bits, bits_text(span, a, sizeof(a)),
		    bits_text(top, b, sizeof(b)));
	} else if (span < total) {
		j->v = V_BOUNCES;
		fmt(j->reason, sizeof(j->reason),
		    "the %d-bit mask (%s) < host RAM (%s): xen-swiotlb copies pages above it",
		    im->mask_bits, bits_text(span, a, sizeof(a)),
		    bits_text(total, b, sizeof(b)));
	} else {
		j->v = V_UNKNOWN;
		fmt(j->reason, sizeof(j->reason),
		    "the %d-bit mask (%s) covers RAM (%s), maybe not RAM above the PCI hole",
		    im->mask_bits, bits_text(span, a, sizeof(a)),
		    bits_text(total, b, sizeof(b)));
	}
}

/*
 * PVH (and HVM): pages are dom0 guest-physical addresses.  Plain and
 * small contiguous exports are below 4 GiB (GFP_DMA32); larger
 * contiguous ones are holes above 4 GiB, beyond RAM.  A device that
 * cannot reach a page is refused (map_dma_buf EINVAL), never bounced.
 */
static void judge_pvh(const struct importer *im, int phys_bits,
		      struct judgement *j)
{
	uint64_t span = mask_span((unsigned int)im->mask_bits);
	uint64_t ram_end, low_end;
	bool have_ram = iomem_ram_end(&ram_end, &low_end);
	char a[32], b[32];

	j->swiotlb = "not for exports: a page out of reach is refused (EINVAL), not bounced";
	if (!have_ram || !low_end)
		low_end = 4 * GiB;
	if (have_ram)
		fmt(j->highest, sizeof(j->highest),
		    "plain: below %s; contiguous > %u pages: above 4 GiB, past RAM (0x%llx)",
		    bits_text(low_end, a, sizeof(a)), PVH_CONTIG_BLOCK_PAGES,
		    (unsigned long long)ram_end);
	else
		fmt(j->highest, sizeof(j->highest),
		    "plain: below 4 GiB; contiguous > %u pages: above 4 GiB and RAM",
		    PVH_CONTIG_BLOCK_PAGES);
	if (im->linux_iommu) {
		j->v = V_DIRECT;
		j->v_contig = V_DIRECT;
		fmt(j->reason, sizeof(j->reason),
		    "Linux drives an IOMMU for this device (iommu_group)");
		fmt(j->reason_contig, sizeof(j->reason_contig), "%s",
		    j->reason);
		return;
	}
	if (span >= low_end) {
		j->v = V_DIRECT;
		fmt(j->reason, sizeof(j->reason),
		    "the %d-bit mask (%s) covers all below %s, where plain exports lie",
		    im->mask_bits, bits_text(span, a, sizeof(a)),
		    bits_text(low_end, b, sizeof(b)));
	} else {
		j->v = V_REFUSED;
		fmt(j->reason, sizeof(j->reason),
		    "the %d-bit mask (%s) < %s: a page beyond it is EINVAL, not bounced",
		    im->mask_bits, bits_text(span, a, sizeof(a)),
		    bits_text(low_end, b, sizeof(b)));
	}
	if (phys_bits > 0 && im->mask_bits >= phys_bits) {
		j->v_contig = V_DIRECT;
		fmt(j->reason_contig, sizeof(j->reason_contig),
		    "the %d-bit mask covers the %d-bit physical address space",
		    im->mask_bits, phys_bits);
	} else if (im->mask_bits <= 32) {
		j->v_contig = V_REFUSED;
		fmt(j->reason_contig, sizeof(j->reason_contig),
		    "they lie above 4 GiB: EINVAL; use at most %u pages",
		    PVH_CONTIG_BLOCK_PAGES);
	} else {
		j->v_contig = V_UNKNOWN;
		fmt(j->reason_contig, sizeof(j->reason_contig),
		    "they may land above the %d-bit mask (then EINVAL)%s",
		    im->mask_bits,
		    phys_bits < 0 ? "; physical address width unknown" : "");
	}
}

static void judge(const struct importer *im, const struct domain *d,
		  struct judgement *j, struct xl_info *xi)
{
	int phys_bits;

	memset(j, 0, sizeof(*j));
	j->v_contig = V_UNKNOWN;
	if (d->fl == FL_NOT_XEN) {
		fmt(j->reason, sizeof(j->reason),
		    "not a Xen domain: there are no grant exports here");
		fmt(j->highest, sizeof(j->highest), "-");
		return;
	}
	if (im->virtual_dev) {
		j->v = V_DIRECT;
		j->v_contig = V_DIRECT;
		fmt(j->reason, sizeof(j->reason),
		    "no DMA, CPU access only (virtual device: %s), nothing bounces",
		    im->driver[0] ? im->driver : "no bus device");
		fmt(j->reason_contig, sizeof(j->reason_contig), "%s",
		    j->reason);
		fmt(j->highest, sizeof(j->highest), "irrelevant (no DMA)");
		return;
	}
	if (im->mask_bits < 0) {
		fmt(j->reason, sizeof(j->reason),
		    "no DMA mask visible for %s (subsystem %s)",
		    im->bus, im->subsystem[0] ? im->subsystem : "unknown");
		fmt(j->highest, sizeof(j->highest), "-");
		return;
	}
	phys_bits = cpu_phys_bits();
	if (d->fl == FL_PV)
		judge_pv(im, phys_bits, j, xi);
	else if (d->fl == FL_PVH || d->fl == FL_HVM)
		judge_pvh(im, phys_bits, j);
	else
		fmt(j->reason, sizeof(j->reason),
		    "the domain's flavour (PV or PVH) is unknown");
}

/* The swiotlb pool, if debugfs shows it (root). */
static void show_swiotlb_pool(void)
{
	char buf[32], used[32];
	uint64_t n, u;

	if (read_line(DEBUGFS_DIR "/swiotlb/io_tlb_nslabs", buf,
		      sizeof(buf)) < 0 || !parse_u64(buf, &n)) {
		field_num("swiotlb_slabs", false, 0, NULL, "%s", "");
		return;
	}
	if (read_line(DEBUGFS_DIR "/swiotlb/io_tlb_used", used,
		      sizeof(used)) < 0 || !parse_u64(used, &u)) {
		u = 0;
		used[0] = '\0';
	}
	field_num("swiotlb_slabs", true, n, "swiotlb pool",
		  "%llu slabs of 2 KiB%s%s%s", (unsigned long long)n,
		  used[0] ? ", " : "", used, used[0] ? " in use" : "");
	if (used[0])
		field_num("swiotlb_used", true, u, NULL, "%s", "");
}

static int cmd_check_importer(const char *arg)
{
	struct importer im;
	struct judgement j;
	struct xl_info xi;
	struct domain d;
	char err[PATH_MAX + 128];
	bool contig;

	memset(&xi, 0, sizeof(xi));
	if (importer_resolve(arg, &im, err, sizeof(err))) {
		if (opt_json) {
			json_open(NULL, '{');
			json_str("command", "check-importer");
			json_str("device", arg);
			json_str("error", err);
			json_close('}');
			putchar('\n');
		}
		fprintf(stderr, "xen-gntdev-info: %s\n", err);
		return EXIT_ERR;
	}
	domain_get(&d);
	judge(&im, &d, &j, &xi);
	contig = d.fl == FL_PVH || d.fl == FL_HVM;
	if (opt_json) {
		json_open(NULL, '{');
		json_str("command", "check-importer");
	}
	section("device", "importer");
	field_str("path", arg, "device", "%s", arg);
	field_str("sysfs", im.node, "sysfs", "%s", im.node);
	field_str("bus_device", im.bus[0] ? im.bus : NULL, "bus device",
		  "%s", im.bus[0] ? im.bus : "none (virtual)");
	field_str("subsystem", im.subsystem[0] ? im.subsystem : NULL,
		  im.bus[0] ? "subsystem" : NULL, "%s", dash(im.subsystem));
	field_str("driver", im.driver[0] ? im.driver : NULL,
		  im.bus[0] ? "driver" : NULL, "%s", dash(im.driver));
	field_bool("virtual", im.virtual_dev, NULL, "%s", "");
	field_num("dma_mask_bits", im.mask_bits >= 0,
		  im.mask_bits >= 0 ? (uint64_t)im.mask_bits : 0,
		  im.virtual_dev ? NULL : "DMA mask", "%s%d bits%s%s",
		  im.mask_bits >= 0 ? "" : "unknown, ", im.mask_bits,
		  im.mask_dev[0] && strcmp(im.mask_dev, im.bus) ?
		  ", of ancestor " : "",
		  im.mask_dev[0] && strcmp(im.mask_dev, im.bus) ?
		  im.mask_dev : "");
	field_num("coherent_dma_mask_bits", im.coherent_bits >= 0,
		  im.coherent_bits >= 0 ? (uint64_t)im.coherent_bits : 0,
		  im.coherent_bits >= 0 ? "coherent mask" : NULL, "%d bits",
		  im.coherent_bits);
	field_str("mask_source", im.mask_dev[0] ? im.mask_dev : NULL, NULL,
		  "%s", "");
	field_bool("linux_iommu", im.linux_iommu, im.bus[0] ?
		   "Linux IOMMU" : NULL, "%s", im.linux_iommu ?
		   "yes (iommu_group)" : "no");
	section_end();
	show_domain(&d);
	section("dma", "exported pages");
	field_str("highest_page", j.highest, "where", "%s", j.highest);
	field_num("host_total_memory_mib", !xi.ret && xi.have_total,
		  xi.total_mib, NULL, "%s", "");
	field_str("swiotlb", j.swiotlb, j.swiotlb ? "swiotlb" : NULL, "%s",
		  j.swiotlb);
	show_swiotlb_pool();
	section_end();
	if (opt_json) {
		json_str("verdict", verdict_name(j.v));
		json_str("reason", j.reason);
		json_str("verdict_contiguous", contig ?
			 verdict_name(j.v_contig) : NULL);
		json_str("reason_contiguous", contig ? j.reason_contig : NULL);
	} else {
		printf("verdict: %s: %s\n", verdict_name(j.v), j.reason);
		if (contig)
			printf("contiguous exports over %u pages: %s: %s\n",
			       PVH_CONTIG_BLOCK_PAGES,
			       verdict_name(j.v_contig), j.reason_contig);
	}
	show_unreadable();
	if (opt_json) {
		json_close('}');
		putchar('\n');
	}
	return EXIT_OK;
}

/* ---- main ---- */

static void print_help(FILE *f)
{
	fprintf(f,
		"usage: xen-gntdev-info [--json] [COMMAND]\n"
		"\n"
		"  status                      the loaded and installed xen-gntdev, the Xen\n"
		"                              domain, IOMMU, capabilities, parameters\n"
		"                              (the default)\n"
		"  counters [--watch [SECS]]   the module's leak counters (debugfs); with\n"
		"                              --watch every SECS seconds (default 1) with\n"
		"                              the change, until interrupted\n"
		"  list                        live dma-buf exports and imports (debugfs)\n"
		"  check-importer /dev/dri/cardN\n"
		"                              whether that DRM device reaches exported\n"
		"                              pages without bouncing\n"
		"\n"
		"  --json      one JSON object (counters --watch: one per line)\n"
		"  --help      this text\n"
		"  --version   the version\n"
		"\n"
		"Exit status: 0 success, 1 error, 2 usage.  See xen-gntdev-info(1).\n");
}

/* Make sure fds 0-2 are open, so no file we open lands on one. */
static void std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

int main(int argc, char **argv)
{
	char *args[16];
	int n = 0, i, ret;
	const char *cmd;

	std_fds();
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			opt_json = true;
		} else if (!strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "-h")) {
			print_help(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--version") ||
			   !strcmp(argv[i], "-V")) {
			printf("xen-gntdev-info %s\n", XGI_VERSION);
			return EXIT_OK;
		} else if (n < (int)ARRAY_SIZE(args)) {
			args[n++] = argv[i];
		} else {
			print_help(stderr);
			return EXIT_USAGE;
		}
	}
	cmd = n ? args[0] : "status";
	if (!strcmp(cmd, "status") && n <= 1)
		return cmd_status();
	if (!strcmp(cmd, "list") && n == 1)
		return cmd_list();
	if (!strcmp(cmd, "check-importer") && n == 2 && args[1][0] != '-')
		return cmd_check_importer(args[1]);
	if (!strcmp(cmd, "counters")) {
		ret = cmd_counters(n - 1, args + 1);
		if (ret >= 0)
			return ret;
	}
	fprintf(stderr, "xen-gntdev-info: bad usage\n");
	print_help(stderr);
	return EXIT_USAGE;
}
