// SPDX-License-Identifier: GPL-2.0-only
/*
 * xt-run - runs the test programs inside dom0 and reports framed results.
 *
 *	xt-run NONCE TIMEOUT_S FILTER DIR...
 *	xt-run --frame NONCE BODY
 *
 * Every executable of every DIR whose name matches FILTER (fnmatch(3)
 * patterns separated by commas) runs once, in name order.  Programs named "domu-*" run in the
 * domU through its agent (judged by exit status); all others run here, in
 * their own session, with stdout and stderr relayed to the console as
 * "[name] line" and parsed as TAP.  A program still running after
 * TIMEOUT_S seconds is killed with its whole process group and reported as
 * failed; a program that knows it needs longer says so first, with the
 * line "# xt-timeout SECONDS" (at most XT_TIMEOUT_MAX, counted from its
 * start).  Each result goes out as an xt-frame.h frame, and so does
 * each row of measurements a program prints as "# xt-data ROW" (a "V"
 * frame, counted with the results); the last frame counts them.  Exit status: 0 if nothing failed.
 *
 * Verdicts: each TAP "ok"/"not ok" line is one result ("prog: desc");
 * "# SKIP" makes it a skip.  A program that prints no TAP line is one
 * result by its exit status (0 pass, 77 skip, else fail).  A non-zero exit
 * (other than 77) with no failed TAP line adds a failed result.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xt.h"
#include "xt-frame.h"

/* The longest a program may ask for with "# xt-timeout". */
#define XT_TIMEOUT_MAX 300

static const char *nonce;
static unsigned int nr_results, nr_failed;

/* One frame, in one write, starting on a fresh line. */
static void send_frame(const char *body)
{
	char frame[640];
	int n = xt_frame_format(frame, sizeof(frame), nonce, body);

	if (n > 0 && (write(STDOUT_FILENO, "\n", 1) < 0 ||
		      write(STDOUT_FILENO, frame, n) < 0))
		perror("write");
}

static void result(const char *status, const char *prog, const char *what)
{
	char body[512];

	if (what && *what)
		snprintf(body, sizeof(body), "R %s %s: %.300s", status, prog,
			 what);
	else
		snprintf(body, sizeof(body), "R %s %s", status, prog);
	send_frame(body);
	nr_results++;
	if (!strcmp(status, "fail"))
		nr_failed++;
}

struct tap_state {
	unsigned int lines;	/* TAP result lines seen */
	unsigned int failed;	/* of which "not ok" */
	bool skip_all;
	char skip_reason[256];	/* of "1..0 # SKIP reason" */
};

/* Interpret one line of a program's output. */
static void tap_line(struct tap_state *st, const char *prog, char *line)
{
	char *desc, *hash, body[512];
	unsigned int w, h;
	char name[64];
	bool ok;

	/* A request for the host to take a screenshot (see boot.sh). */
	if (sscanf(line, "# xt-screenshot %63s %u %u", name, &w, &h) == 3) {
		snprintf(body, sizeof(body), "S %s-%s %u %u", prog, name, w, h);
		send_frame(body);
		return;
	}
	/* A row of measurements: counted, so that a lost one is seen. */
	if (!strncmp(line, "# xt-data ", 10) && !strchr(line + 10, ' ')) {
		snprintf(body, sizeof(body), "V %.60s %.400s", prog, line + 10);
		send_frame(body);
		nr_results++;
		return;
	}

	if (!strncmp(line, "1..0", 4) && (hash = strcasestr(line, "# SKIP"))) {
		st->skip_all = true;
		hash += strlen("# SKIP");
		snprintf(st->skip_reason, sizeof(st->skip_reason), "%s",
			 hash + strspn(hash, " "));
		return;
	}
	if (!strncmp(line, "ok ", 3))
		ok = true;
	else if (!strncmp(line, "not ok ", 7))
		ok = false;
	else
		return;
	desc = line + (ok ? 3 : 7);
	desc += strspn(desc, "0123456789");
	desc += strspn(desc, " -");
	hash = strstr(desc, " # ");
	st->lines++;
	if (ok && hash && !strncasecmp(hash + 3, "SKIP", 4)) {
		char *reason = hash + 7;

		/* The reason goes with the result: "desc (reason)". */
		*hash = '\0';
		reason += strspn(reason, " ");
		if (*reason) {
			snprintf(body, sizeof(body), "%s (%s)", desc, reason);
			desc = body;
		}
		result("skip", prog, desc);
		return;
	}
	if (hash)
		*hash = '\0';
	if (!ok)
		st->failed++;
	result(ok ? "pass" : "fail", prog, desc);
}

static void run_local(const char *dir, const char *prog, int timeout_s)
{
	struct tap_state st = { 0 };
	char path[512], buf[4096], line[1024];
	size_t llen = 0;
	int pipefd[2], status;
	uint64_t start, deadline;
	bool timed_out = false;
	pid_t pid;
	int asked;

	snprintf(path, sizeof(path), "%s/%s", dir, prog);
	if (pipe2(pipefd, O_CLOEXEC)) {
		result("fail", prog, "pipe failed");
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		result("fail", prog, "fork failed");
		close(pipefd[0]);
		close(pipefd[1]);
		return;
	}
	if (pid == 0) {
		setsid();
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execl(path, prog, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	start = xt_now_ms();
	deadline = start + (uint64_t)timeout_s * 1000;

	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		int64_t left = (int64_t)(deadline - xt_now_ms());
		ssize_t n;

		if (left <= 0) {
			timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, left > 1000 ? 1000 : (int)left) <= 0)
			continue;
		n = read(pipefd[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n' && llen < sizeof(line) - 1) {
				line[llen++] = buf[i];
				continue;
			}
			if (buf[i] != '\n')
				continue;	/* overlong: truncated */
			line[llen] = '\0';
			llen = 0;
			printf("[%s] %s\n", prog, line);
			fflush(stdout);
			if (sscanf(line, "# xt-timeout %d", &asked) == 1 &&
			    asked > 0) {
				timeout_s = asked < XT_TIMEOUT_MAX ?
					    asked : XT_TIMEOUT_MAX;
				deadline = start + (uint64_t)timeout_s * 1000;
			}
			tap_line(&st, prog, line);
		}
	}
	close(pipefd[0]);
	/* The program may have left children behind in its session. */
	kill(-pid, SIGKILL);
	waitpid(pid, &status, 0);

	if (timed_out) {
		snprintf(line, sizeof(line), "timeout after %d s", timeout_s);
		result("fail", prog, line);
		return;
	}
	if (WIFSIGNALED(status)) {
		snprintf(line, sizeof(line), "killed by signal %d",
			 WTERMSIG(status));
		result("fail", prog, line);
		return;
	}
	status = WEXITSTATUS(status);
	if (!st.lines) {
		if (status == 0)
			result("pass", prog, NULL);
		else if (status == 77 || st.skip_all)
			result("skip", prog, st.skip_reason);
		else {
			snprintf(line, sizeof(line), "exit status %d", status);
			result("fail", prog, line);
		}
		return;
	}
	if (status != 0 && status != 77 && !st.failed) {
		snprintf(line, sizeof(line), "exit status %d", status);
		result("fail", prog, line);
	}
}

static void run_domu(const char *prog, int timeout_s)
{
	struct xt_peer peer;
	char what[64];
	int rc;

	if (xt_peer_start(&peer, prog)) {
		result("fail", prog, "cannot start in the domU");
		return;
	}
	rc = xt_peer_wait(&peer, timeout_s * 1000);
	if (rc == 0)
		result("pass", prog, NULL);
	else if (rc == 77)
		result("skip", prog, NULL);
	else {
		if (rc < 0)
			snprintf(what, sizeof(what), "timeout after %d s",
				 timeout_s);
		else
			snprintf(what, sizeof(what), "exit status %d", rc);
		result("fail", prog, what);
	}
}

/* Does @name match one of the comma-separated patterns of @filter? */
static bool selected(const char *filter, const char *name)
{
	char pat[256];

	while (*filter) {
		size_t len = strcspn(filter, ",");

		if (len < sizeof(pat)) {
			memcpy(pat, filter, len);
			pat[len] = '\0';
			if (!fnmatch(pat, name, 0))
				return true;
		}
		filter += len + (filter[len] == ',');
	}
	return false;
}

static int is_program(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	char body[64], frame[640];
	int timeout_s, n;

	if (argc == 4 && !strcmp(argv[1], "--frame")) {
		/* Used by /init for harness-level frames. */
		n = xt_frame_format(frame, sizeof(frame), argv[2], argv[3]);
		return n > 0 && write(STDOUT_FILENO, "\n", 1) == 1 &&
		       write(STDOUT_FILENO, frame, n) == n ? 0 : 1;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: xt-run NONCE TIMEOUT_S FILTER DIR...\n"
				"       xt-run --frame NONCE BODY\n");
		return 2;
	}
	nonce = argv[1];
	timeout_s = atoi(argv[2]);
	signal(SIGPIPE, SIG_IGN);

	for (int a = 4; a < argc; a++) {
		struct dirent **names;
		int count = scandir(argv[a], &names, is_program, alphasort);

		for (int i = 0; i < count; i++) {
			const char *prog = names[i]->d_name;
			char path[512];
			struct stat sb;

			snprintf(path, sizeof(path), "%s/%s", argv[a], prog);
			if (selected(argv[3], prog) && !stat(path, &sb) &&
			    S_ISREG(sb.st_mode) && (sb.st_mode & 0111)) {
				/* Marks for the host's diagnosis of a
				 * machine that dies under a test.
				 */
				printf("\nxt-run: start %s\n", prog);
				fflush(stdout);
				if (!strncmp(prog, "domu-", 5))
					run_domu(prog, timeout_s);
				else
					run_local(argv[a], prog, timeout_s);
				printf("\nxt-run: end %s\n", prog);
				fflush(stdout);
			}
			free(names[i]);
		}
		if (count >= 0)
			free(names);
	}

	/* A filter that selects nothing is a mistake, never a pass. */
	if (!nr_results) {
		snprintf(body, sizeof(body), "no test matches '%.40s'", argv[3]);
		result("fail", "xt-run", body);
	}
	snprintf(body, sizeof(body), "E %u", nr_results);
	send_frame(body);
	return nr_failed ? 1 : 0;
}
