/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xt-frame.h - the framing of results between the Xen machine and the host.
 *
 * The machine's console carries everything: Xen's log, dom0's kernel log,
 * test output.  A result only counts when it arrives as one whole frame
 *
 *	XT1 <nonce> <body> *<crc32 of "XT1 <nonce> <body>", 8 hex digits>
 *
 * starting on a line of its own.  The nonce is drawn by the host for each boot, so
 * neither a stale log nor text a test prints can pass for a frame, and a
 * line torn by interleaved console output fails its checksum and is lost,
 * which the host counts as a failure (the final "E <count>" frame says how
 * many result frames were sent).  Bodies: "R <pass|fail|skip> <name>" for
 * a result, "V <prog> <row>" for a row of measurements (counted like a
 * result), "E <count>" for the end.
 */
#ifndef XT_FRAME_H
#define XT_FRAME_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static inline uint32_t xt_crc32(const char *s, size_t n)
{
	uint32_t crc = 0xffffffffu;

	while (n--) {
		crc ^= (uint8_t)*s++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

/* Format one frame, newline included; returns its length or -1. */
static inline int xt_frame_format(char *buf, size_t size, const char *nonce,
				  const char *body)
{
	int n = snprintf(buf, size, "XT1 %s %s", nonce, body);

	if (n < 0 || (size_t)n + 12 > size)
		return -1;
	return n + snprintf(buf + n, size - n, " *%08x\n",
			    xt_crc32(buf, n));
}

/*
 * Parse @line (without its newline) as a frame for @nonce; copy the body
 * into @body.  0 on success, -1 if it is no valid frame.  The frame may
 * have console text around it on the same line: dom0's kernel writes to
 * the console directly, so a message can land between a frame and its
 * newline (a child's "segfault at" line does), or before it.  The
 * checksum decides where the frame ends; text inside a frame still tears
 * it.
 */
static inline int xt_frame_parse(const char *line, const char *nonce,
				 char *body, size_t size)
{
	size_t nlen = strlen(nonce), blen;
	const char *start = line, *star, *end;
	unsigned int crc;

	for (;;) {
		start = strstr(start, "XT1 ");
		if (!start)
			return -1;
		if (!strncmp(start + 4, nonce, nlen) && start[4 + nlen] == ' ')
			break;
		start += 4;
	}
	end = start + strlen(start);
	for (star = start + 5 + nlen; star + 10 <= end; star++) {
		if (star[0] != ' ' || star[1] != '*' ||
		    strspn(star + 2, "0123456789abcdef") < 8 ||
		    sscanf(star + 2, "%8x", &crc) != 1 ||
		    crc != xt_crc32(start, star - start))
			continue;
		blen = star - (start + 5 + nlen);
		if (blen >= size)
			return -1;
		memcpy(body, start + 5 + nlen, blen);
		body[blen] = '\0';
		return 0;
	}
	return -1;
}

#endif
