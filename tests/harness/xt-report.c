// SPDX-License-Identifier: GPL-2.0-only
/*
 * xt-report - the host's reader of a machine's console log.
 *
 *	xt-report NONCE LABEL LOG
 *	xt-report --bodies NONCE LOG TYPE
 *
 * Prints one line per result frame found in LOG ("PASS  LABEL  name",
 * "FAIL ...", "SKIP ...", and "DATA  LABEL  prog  row" for a row of
 * measurements), then a last line "# counts PASS FAIL SKIP
 * COMPLETE".  The run is complete only when the final "D" frame arrived
 * and the "E" frames account for exactly the result frames received: a
 * frame lost to console noise makes the run incomplete, never a pass.
 * Exit status: 0 when complete with no failure, 1 otherwise.
 *
 * With --bodies it only prints the body of every valid frame of TYPE (one
 * letter), one per line: the host uses it for requests such as "S" (take a
 * screenshot) while the machine runs.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xt-frame.h"

int main(int argc, char **argv)
{
	unsigned long results = 0, announced = 0, pass = 0, fail = 0, skip = 0;
	char *line = NULL, body[1024];
	bool done = false, ends = false;
	size_t cap = 0;
	ssize_t len;
	FILE *log;

	if (argc == 5 && !strcmp(argv[1], "--bodies")) {
		log = fopen(argv[3], "r");
		if (!log)
			return 2;
		while ((len = getline(&line, &cap, log)) >= 0) {
			while (len && (line[len - 1] == '\n' ||
				       line[len - 1] == '\r'))
				line[--len] = '\0';
			if (!xt_frame_parse(line, argv[2], body, sizeof(body)) &&
			    body[0] == argv[4][0] && body[1] == ' ')
				puts(body + 2);
		}
		free(line);
		fclose(log);
		return 0;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: xt-report NONCE LABEL LOG\n");
		return 2;
	}
	log = fopen(argv[3], "r");
	if (!log) {
		perror(argv[3]);
		return 2;
	}
	while ((len = getline(&line, &cap, log)) >= 0) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (xt_frame_parse(line, argv[1], body, sizeof(body)))
			continue;
		if (!strncmp(body, "R ", 2)) {
			const char *verdict = "FAIL", *name = body + 2;

			if (!strncmp(name, "pass ", 5))
				verdict = "PASS", pass++;
			else if (!strncmp(name, "skip ", 5))
				verdict = "SKIP", skip++;
			else
				fail++;
			name += strcspn(name, " ") + 1;
			printf("%s  %s  %s\n", verdict, argv[2], name);
			results++;
		} else if (!strncmp(body, "V ", 2)) {
			/* A row of measurements: "DATA  LABEL  prog  row". */
			printf("DATA  %s  %s\n", argv[2], body + 2);
			results++;
		} else if (!strncmp(body, "E ", 2)) {
			announced += strtoul(body + 2, NULL, 10);
			ends = true;
		} else if (!strcmp(body, "D")) {
			done = true;
		}
	}
	free(line);
	fclose(log);
	if (!done || !ends || announced != results) {
		char said[64] = "no count announced";

		if (ends)
			snprintf(said, sizeof(said), "%lu announced", announced);
		printf("FAIL  %s  harness: run incomplete (%lu results "
		       "received, %s, end frame %s)\n", argv[2], results,
		       said, done ? "seen" : "missing");
		fail++;
	}
	printf("# counts %lu %lu %lu\n", pass, fail, skip);
	return fail ? 1 : 0;
}
