// SPDX-License-Identifier: GPL-2.0-only
/*
 * xt-picture - host side of the screenshot tests.
 *
 *	xt-picture SHOT.ppm W H
 *
 * Compares the top-left W x H pixels of a QEMU screendump (binary PPM,
 * P6, 8 bits per channel) with xt_picture() and prints one line: how many
 * pixels differ and the first that does.  Exit status 0 only if the
 * screenshot is at least W x H and every pixel matches exactly.
 */
#include <stdio.h>
#include <stdlib.h>

#include "xt.h"

int main(int argc, char **argv)
{
	unsigned int sw, sh, max, w, h, bad = 0, fx = 0, fy = 0;
	uint32_t first_got = 0, first_want = 0;
	unsigned char *row;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: xt-picture SHOT.ppm W H\n");
		return 2;
	}
	w = atoi(argv[2]);
	h = atoi(argv[3]);
	f = fopen(argv[1], "rb");
	if (!f || fscanf(f, "P6 %u %u %u", &sw, &sh, &max) != 3 ||
	    fgetc(f) == EOF || max != 255) {
		printf("%s: not a P6 PPM screenshot\n", argv[1]);
		return 1;
	}
	if (sw < w || sh < h || !w || !h) {
		printf("screenshot is %ux%u, smaller than the %ux%u picture\n",
		       sw, sh, w, h);
		return 1;
	}
	row = malloc((size_t)sw * 3);
	if (!row)
		return 1;
	for (unsigned int y = 0; y < h; y++) {
		if (fread(row, 3, sw, f) != sw) {
			printf("screenshot truncated at row %u\n", y);
			return 1;
		}
		for (unsigned int x = 0; x < w; x++) {
			uint32_t got = row[3 * x] << 16 | row[3 * x + 1] << 8 |
				       row[3 * x + 2];
			uint32_t want = xt_picture(x, y, w, h);

			if (got != want && !bad++) {
				fx = x;
				fy = y;
				first_got = got;
				first_want = want;
			}
		}
	}
	free(row);
	fclose(f);
	if (bad)
		printf("%u of %u pixels differ; first at (%u,%u): 0x%06x, "
		       "want 0x%06x\n", bad, w * h, fx, fy, first_got,
		       first_want);
	else
		printf("all %u pixels of the %ux%u picture match\n", w * h, w,
		       h);
	return bad != 0;
}
