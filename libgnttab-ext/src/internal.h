/* SPDX-License-Identifier: LGPL-2.1-only */
/*
 * internal.h - what the library's source files share; never installed.
 *
 * Owns the layout of the three objects of gnttab-ext.h and the rules
 * that tie them together:
 *
 *  - A handle keeps every export and import made through it on a list,
 *    under h->lock, from its creation until it is freed (exports) or
 *    released (imports).  An export leaves the list when it is freed by
 *    a release/wait that ended GNTEXT_RELEASED or GNTEXT_UNKNOWN, or
 *    when gntext_released() hands it to the caller (state GX_REPORTED,
 *    after which only gntext_export_free() may touch it).
 *  - Every field of an export that can change after creation (state,
 *    lost, waiting) is read and written under h->lock only.
 *  - At most one thread reads release events at a time (h->pumping,
 *    under h->lock); the others sleep on h->cond, which the reader
 *    broadcasts when it has marked what it read.
 *
 * Internal functions are named gntext__*.  The library is built with
 * -fvisibility=hidden: only the declarations of gnttab-ext.h, included
 * below with default visibility, leave the shared object.
 */
#ifndef GNTEXT_INTERNAL_H
#define GNTEXT_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#pragma GCC visibility push(default)
#include "gnttab-ext.h"
#pragma GCC visibility pop

/* A minimal intrusive doubly linked list. */
struct gntext_list {
	struct gntext_list *prev, *next;
};

static inline void gntext__list_init(struct gntext_list *l)
{
	l->prev = l;
	l->next = l;
}

static inline void gntext__list_add_tail(struct gntext_list *head,
					 struct gntext_list *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static inline void gntext__list_del(struct gntext_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n;
	n->next = n;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define gntext__container_of(p, type, member) \
	((type *)((char *)(p) - offsetof(type, member)))

struct gntext_handle {
	int fd;
	int owns_fd;		/* opened by gntext_open(): close it */
	int events;		/* the module's release events are on */
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* CLOCK_MONOTONIC; a reader finished */
	int pumping;		/* a thread is reading events */
	int lost;		/* some exports are flagged lost */
	uint64_t seq;		/* creation order of exports */
	struct gntext_list exports;
	struct gntext_list imports;
	unsigned long nexports;
	unsigned long nimports;
};

enum gntext__state {
	GX_LIVE,	/* the handle owns the dma-buf fd */
	GX_CLOSED,	/* fd closed, release not seen yet */
	GX_RELEASED,	/* release seen, not yet returned to anyone */
	GX_REPORTED,	/* returned by gntext_released(); off the list */
};

struct gntext_export {
	struct gntext_handle *h;
	struct gntext_list node;	/* on h->exports */
	int fd;			/* -1 once closed */
	uint32_t fdnum;		/* the number the export returned */
	uint64_t ino;
	uint64_t seq;
	uint32_t count;
	uint32_t data_ofs;
	enum gntext__state state;
	int lost;		/* its release record may have been dropped */
	int waiting;		/* a synchronous waiter owns the outcome */
};

struct gntext_import {
	struct gntext_handle *h;
	struct gntext_list node;	/* on h->imports */
	int fd;			/* the library's dup of the dma-buf */
	uint32_t count;
};

/* handle.c */
struct gntext_handle *gntext__handle_new(int fd, int owns_fd, int events);

/* probe.c */
uint32_t gntext__parse_features(const char *text, size_t len);
/*
 * gntext_probe() against a sysfs mounted under @root ("" is the real
 * one: paths are @root + "/sys/..."), for the host tests.
 */
int gntext__probe_root(int fd, const char *root, struct gntext_caps *caps);
/* The feature bits, without the rest of a probe; 0 if there are none. */
uint32_t gntext__read_caps(int fd, const char *root);

/* export.c */
/* Track @dmabuf_fd (now owned by the export) as an export of @h. */
struct gntext_export *gntext__export_new(struct gntext_handle *h,
					 int dmabuf_fd, uint32_t count,
					 uint32_t data_ofs);
/* Unlink @e from its handle (under h->lock) and free it. */
void gntext__export_destroy(struct gntext_export *e);
/* An export other than @e, not yet released, with the same fd number. */
struct gntext_export *gntext__export_twin(struct gntext_export *e, int live_only);

/* events.c */
/* Turn the module's release events on (a poll() of timeout 0). */
void gntext__events_enable(struct gntext_handle *h);
/* Wait for @e's release through events; a gntext_release value. */
int gntext__events_wait(struct gntext_export *e, unsigned int timeout_ms);

#endif /* GNTEXT_INTERNAL_H */
