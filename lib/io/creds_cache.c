/* SPDX-License-Identifier: MIT */
/*
 * creds_cache.c - credentials a process signs with, fetched once and
 * renewed before they expire.
 *
 * Finding credentials can cost requests (the instance metadata service,
 * STS, a token endpoint) or a command (credential_process), and up to
 * seconds where a service is absent; lsio zarr alone makes a plan per
 * metadata batch.  So a source chain is asked once per process and what
 * it gave - keys, or "none" and why - is kept for every later plan, as
 * an AWS SDK keeps its session's.  The entry is keyed by the environment
 * the chain reads (its variables' values), so an embedding program that
 * changes them gets a new entry, never stale keys.
 *
 * Keys that expire are renewed while a run goes on: the first request
 * made within REFRESH_BEFORE of their expiry asks the chain again, on
 * its own thread, while other threads go on signing with the keys still
 * valid.  A published set of keys is immutable and never freed (a
 * request in flight may be signing with it): superseded sets stay listed
 * behind the new one, a few hundred bytes an hour.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/remote.h"

#define REFRESH_BEFORE 300	/* seconds: renew when this close to expiry */
#define RETRY_AFTER 30		/* seconds between failed renewals */

extern char **environ;

struct keyset {
	struct lsio_creds c;
	struct keyset *older;	/* superseded: kept for requests in flight */
};

struct lsio_creds_entry {
	struct lsio_creds_entry *next;
	char *key;		/* the environment it was made from */
	lsio_creds_fn fn;
	_Atomic(struct keyset *) now;	/* NULL: the chain found none */
	char none_why[LSIO_MSG_MAX / 2];
	pthread_mutex_t lock;	/* one renewal at a time */
	int64_t next_try;	/* after a failed renewal */
	char renew_why[LSIO_MSG_MAX / 2];
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lsio_creds_entry *cache;

/* The chain's environment: every variable under one of prefixes, in
 * environ's order, "NAME=VALUE\n" each. */
static char *env_key(lsio_creds_fn fn, const char *const *prefixes)
{
	struct lsio_strbuf b = { 0 };

	lsio_strbuf_printf(&b, "%p\n", (void *)(uintptr_t)fn);
	for (char **e = environ; e && *e; e++)
		for (const char *const *p = prefixes; *p; p++)
			if (!strncmp(*e, *p, strlen(*p))) {
				lsio_strbuf_printf(&b, "%s\n", *e);
				break;
			}
	if (b.oom) {
		lsio_strbuf_release(&b);
		return NULL;
	}
	return b.p;
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static bool expiring(const struct keyset *k, int64_t t)
{
	return k && k->c.expires && t >= k->c.expires - REFRESH_BEFORE;
}

/* Ask the chain; publish what it gave.  Called with e->lock held. */
static int ask(struct lsio_creds_entry *e, char *why, size_t cap)
{
	struct keyset *k = calloc(1, sizeof(*k));
	int ret;

	if (!k)
		return -ENOMEM;
	ret = e->fn(&k->c, why, cap);
	if (ret <= 0) {
		lsio_creds_release(&k->c);
		free(k);
		if (!ret)
			snprintf(e->none_why, sizeof(e->none_why), "%s", why);
		return ret;
	}
	k->older = atomic_load(&e->now);
	atomic_store(&e->now, k);
	return 1;
}

static struct lsio_creds_entry *entry_find(lsio_creds_fn fn, char *key)
{
	struct lsio_creds_entry *e;

	for (e = cache; e; e = e->next)
		if (e->fn == fn && !strcmp(e->key, key)) {
			free(key);
			return e;
		}
	e = calloc(1, sizeof(*e));
	if (!e) {
		free(key);
		return NULL;
	}
	e->key = key;
	e->fn = fn;
	pthread_mutex_init(&e->lock, NULL);
	e->next_try = -1;	/* never asked */
	e->next = cache;
	cache = e;
	return e;
}

int lsio_creds_get(lsio_creds_fn fn, const char *const *prefixes,
		   struct lsio_creds_entry **out, char *why, size_t cap)
{
	char *key = env_key(fn, prefixes);
	struct lsio_creds_entry *e;
	int ret = 0;

	*out = NULL;
	if (!key)
		return -ENOMEM;
	pthread_mutex_lock(&cache_lock);
	e = entry_find(fn, key);
	pthread_mutex_unlock(&cache_lock);
	if (!e)
		return -ENOMEM;
	pthread_mutex_lock(&e->lock);
	if (e->next_try == -1 || expiring(atomic_load(&e->now), now_s())) {
		ret = ask(e, why, cap);
		if (ret >= 0)
			e->next_try = 0;
	}
	pthread_mutex_unlock(&e->lock);
	if (ret < 0)
		return ret;
	*out = e;
	if (!atomic_load(&e->now)) {
		snprintf(why, cap, "%s", e->none_why);
		return 0;
	}
	return 1;
}

/* Ask again, unless a renewal failed less than RETRY_AFTER ago.  Called
 * with e->lock held. */
static void renew_locked(struct lsio_creds_entry *e, int64_t t)
{
	char why[LSIO_MSG_MAX / 2] = "";
	int ret;

	if (t < e->next_try)
		return;
	ret = ask(e, why, sizeof(why));
	if (ret <= 0) {
		e->next_try = t + RETRY_AFTER;
		snprintf(e->renew_why, sizeof(e->renew_why), "%s",
			 ret ? why : "the source gave none");
	}
}

/* Keys about to expire: renewed by this thread unless another is at it
 * (trylock: its new keys come soon, the old ones are good meanwhile). */
static void renew(struct lsio_creds_entry *e, int64_t t)
{
	if (pthread_mutex_trylock(&e->lock))
		return;
	if (expiring(atomic_load(&e->now), t))
		renew_locked(e, t);
	pthread_mutex_unlock(&e->lock);
}

const struct lsio_creds *lsio_creds_now(struct lsio_creds_entry *e)
{
	struct keyset *k = e ? atomic_load(&e->now) : NULL;
	int64_t t;

	if (!k || !k->c.expires)
		return k ? &k->c : NULL;
	t = now_s();
	if (expiring(k, t)) {
		renew(e, t);
		k = atomic_load(&e->now);
	}
	return &k->c;
}

void lsio_creds_stale(struct lsio_creds_entry *e,
		      const struct lsio_creds *used)
{
	struct keyset *k;

	if (!e || !used)
		return;
	/* Waits for a renewal under way: the old keys are known bad. */
	pthread_mutex_lock(&e->lock);
	k = atomic_load(&e->now);
	if (k && &k->c == used)
		renew_locked(e, now_s());
	pthread_mutex_unlock(&e->lock);
}

int lsio_creds_renew_failure(struct lsio_creds_entry *e, char *why, size_t cap)
{
	int ret = 0;

	if (!e)
		return 0;
	pthread_mutex_lock(&e->lock);
	if (e->renew_why[0]) {
		snprintf(why, cap, "%s", e->renew_why);
		ret = 1;
	}
	pthread_mutex_unlock(&e->lock);
	return ret;
}
