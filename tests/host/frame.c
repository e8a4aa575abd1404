// SPDX-License-Identifier: GPL-2.0-only
/*
 * frame - the result framing between machine and host (xt-frame.h):
 * a frame round-trips, and a torn, altered or foreign frame is rejected.
 */
#include <stdio.h>
#include <string.h>

#include "xt-frame.h"

static int n, failed;

static void ok(int cond, const char *what)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n, what);
	failed += !cond;
}

int main(void)
{
	char frame[256], line[256], body[256];
	int len;

	ok(xt_crc32("123456789", 9) == 0xcbf43926u, "crc32 check value");
	len = xt_frame_format(frame, sizeof(frame), "n0nce", "R pass a: b c");
	ok(len > 0 && frame[len - 1] == '\n', "a frame is one line");
	memcpy(line, frame, len - 1);
	line[len - 1] = '\0';
	ok(!xt_frame_parse(line, "n0nce", body, sizeof(body)) &&
	   !strcmp(body, "R pass a: b c"), "a frame round-trips");
	ok(xt_frame_parse(line, "other", body, sizeof(body)),
	   "another run's nonce is rejected");
	line[10] = 'f';
	ok(xt_frame_parse(line, "n0nce", body, sizeof(body)),
	   "an altered body fails its checksum");
	memcpy(line, frame, 20);
	strcpy(line + 20, "[ 12.3] xen: noise");
	ok(xt_frame_parse(line, "n0nce", body, sizeof(body)),
	   "a line torn by console noise is rejected");
	memcpy(line, frame, len - 1);
	strcpy(line + len - 1, "[   40.710208] t[200]: segfault at 7f40 ip 4018eb");
	ok(!xt_frame_parse(line, "n0nce", body, sizeof(body)) &&
	   !strcmp(body, "R pass a: b c"),
	   "a kernel message between a frame and its newline leaves it whole");
	strcpy(line, "[    1.5] noise ");
	memcpy(line + strlen(line), frame, len);
	line[strlen(line) - 1] = '\0';
	ok(!xt_frame_parse(line, "n0nce", body, sizeof(body)) &&
	   !strcmp(body, "R pass a: b c"), "text before a frame leaves it whole");
	memcpy(line, frame, len - 1);
	line[len - 1] = '\0';
	memmove(line + 12, line + 11, len - 11);
	line[11] = 'X';
	ok(xt_frame_parse(line, "n0nce", body, sizeof(body)),
	   "a character inside a frame tears it");
	ok(xt_frame_parse("ok 1 - R pass x", "n0nce", body, sizeof(body)),
	   "plain TAP text is no frame");
	ok(xt_frame_format(frame, 16, "n0nce", "R pass long name") < 0,
	   "formatting into too small a buffer fails");
	printf("1..%d\n", n);
	return failed != 0;
}
