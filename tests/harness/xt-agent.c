// SPDX-License-Identifier: GPL-2.0-only
/*
 * xt-agent - the domU's side of the test harness.
 *
 * Started by the domU's /init, it announces itself with data/xt-ready = 1
 * and then polls its xenstore directory data/xt/.  Each new entry
 * data/xt/<seq>/cmd = "prog [args...]" starts /xt/domu/<prog> with XT_DIR
 * set to data/xt/<seq> (relative to the domain's home), in a session of its
 * own, its output on the domU console.  When the program exits the agent
 * writes data/xt/<seq>/rc (exit status, or 128 + signal).  A key
 * data/xt/<seq>/kill makes it kill the program's whole session.  The dom0
 * side removes the entry once it has read rc; the agent forgets an entry
 * when it disappears.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

#define MAX_JOBS 256

struct job {
	char name[32];
	pid_t pid;		/* 0 once finished */
};

static struct job jobs[MAX_JOBS];
static struct xs_handle *xs;

static char *xs_get(const char *fmt, const char *name)
{
	char path[128];
	unsigned int len;

	if (snprintf(path, sizeof(path), fmt, name) >= (int)sizeof(path))
		return NULL;
	return xs_read(xs, XBT_NULL, path, &len);
}

static void xs_put(const char *fmt, const char *name, const char *val)
{
	char path[128];

	if (snprintf(path, sizeof(path), fmt, name) >= (int)sizeof(path))
		return;
	if (!xs_write(xs, XBT_NULL, path, val, strlen(val)))
		fprintf(stderr, "xt-agent: write %s: %s\n", path,
			strerror(errno));
}

static struct job *find_job(const char *name)
{
	for (int i = 0; i < MAX_JOBS; i++)
		if (jobs[i].name[0] && !strcmp(jobs[i].name, name))
			return &jobs[i];
	return NULL;
}

static void start_job(const char *name)
{
	char *cmd = xs_get("data/xt/%s/cmd", name), *argv[32], *save;
	char dir[64], prog[256];
	struct job *job = NULL;
	int argc = 0;
	pid_t pid;

	if (!cmd)
		return;		/* not complete yet */
	for (int i = 0; i < MAX_JOBS && !job; i++)
		if (!jobs[i].name[0])
			job = &jobs[i];
	if (!job) {
		free(cmd);
		return;
	}
	for (char *tok = strtok_r(cmd, " ", &save); tok && argc < 31;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (!argc || strchr(argv[0], '/')) {
		xs_put("data/xt/%s/rc", name, "127");
		free(cmd);
		return;
	}
	snprintf(job->name, sizeof(job->name), "%s", name);
	snprintf(prog, sizeof(prog), "/xt/domu/%s", argv[0]);
	snprintf(dir, sizeof(dir), "data/xt/%s", name);
	pid = fork();
	if (pid == 0) {
		setsid();
		setenv("XT_DIR", dir, 1);
		execv(prog, argv);
		fprintf(stderr, "xt-agent: exec %s: %s\n", prog,
			strerror(errno));
		_exit(127);
	}
	job->pid = pid > 0 ? pid : 0;
	if (pid < 0)
		xs_put("data/xt/%s/rc", name, "126");
	free(cmd);
}

static void poll_jobs(char **entries, unsigned int n)
{
	for (int i = 0; i < MAX_JOBS; i++) {
		struct job *job = &jobs[i];
		bool listed = false;
		char rc[16], *kill_req;
		int status;

		if (!job->name[0])
			continue;
		for (unsigned int k = 0; k < n; k++)
			listed |= !strcmp(entries[k], job->name);
		if (job->pid) {
			kill_req = xs_get("data/xt/%s/kill", job->name);
			if (kill_req)
				kill(-job->pid, SIGKILL);
			free(kill_req);
			if (waitpid(job->pid, &status, WNOHANG) == job->pid) {
				snprintf(rc, sizeof(rc), "%d",
					 WIFEXITED(status) ?
					 WEXITSTATUS(status) :
					 128 + WTERMSIG(status));
				kill(-job->pid, SIGKILL);
				job->pid = 0;
				xs_put("data/xt/%s/rc", job->name, rc);
			}
		} else if (!listed) {
			job->name[0] = '\0';	/* dom0 has collected it */
		}
	}
}

int main(void)
{
	xs = xs_open(0);
	if (!xs) {
		perror("xt-agent: xs_open");
		return 1;
	}
	xs_put("data/%s", "xt-ready", "1");
	for (;;) {
		unsigned int n = 0;
		char **entries = xs_directory(xs, XBT_NULL, "data/xt", &n);

		for (unsigned int k = 0; k < n; k++)
			if (!find_job(entries[k]))
				start_job(entries[k]);
		poll_jobs(entries, n);
		free(entries);
		usleep(10000);
	}
}
