/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tap.h - the few TAP helpers the host tests share: "ok N - what" or
 * "not ok N - what" per check, "1..N" at the end, exit status 1 if any
 * check failed.
 */
#ifndef GNTEXT_TAP_H
#define GNTEXT_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3)))
static int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

/*
 * A call that must fail: -1 (or NULL) with errno @want.  errno is read
 * on entry, right after the call that is the argument.
 */
static inline int tap_fails(int ret, int want)
{
	return ret == -1 && errno == want;
}

static inline int tap_nfails(const void *p, int want)
{
	return !p && errno == want;
}

static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* GNTEXT_TAP_H */
