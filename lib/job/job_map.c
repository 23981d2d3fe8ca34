/* SPDX-License-Identifier: MIT */
/*
 * job_map.c - the string -> index maps that deduplicate a job's sources,
 * stage chains and file names: a million chunks usually name a handful of
 * each.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "job/job_parse.h"

uint32_t job_hash(const void *key, size_t len)
{
	const uint8_t *s = key;
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

uint32_t job_hash_str(const char *s)
{
	return job_hash(s, strlen(s));
}

/* Is the key of idx the len bytes at key? */
static bool map_match(const struct job_map *m, uint32_t idx, const void *key,
		      size_t len)
{
	const char *k = m->key(m->arg, idx);

	if (m->key_len)
		return !memcmp(k, key, m->key_len);
	/* A key of len bytes has no NUL: strncmp stops at k's. */
	return !strncmp(k, key, len) && !k[len];
}

bool job_map_find(const struct job_map *m, const void *key, size_t len,
		  uint32_t hash, uint32_t *idx)
{
	if (!m->slots)
		return false;
	for (size_t i = hash & m->mask; m->slots[i].idx1;
	     i = (i + 1) & m->mask) {
		const struct job_map_slot *s = &m->slots[i];

		if (s->hash == hash && map_match(m, s->idx1 - 1, key, len)) {
			*idx = s->idx1 - 1;
			return true;
		}
	}
	return false;
}

bool job_map_lookup(const struct job_map *m, const char *key, uint32_t hash,
		    uint32_t *idx)
{
	return job_map_find(m, key, strlen(key), hash, idx);
}

static void map_place(struct job_map_slot *slots, size_t mask,
		      struct job_map_slot s)
{
	size_t i = s.hash & mask;

	while (slots[i].idx1)
		i = (i + 1) & mask;
	slots[i] = s;
}

int job_map_insert(struct job_map *m, uint32_t hash, uint32_t idx)
{
	size_t cap = m->slots ? m->mask + 1 : 0;

	if ((m->n + 1) * 2 > cap) {
		size_t ncap = cap ? cap * 2 : 64;
		struct job_map_slot *s = calloc(ncap, sizeof(*s));

		if (!s)
			return -ENOMEM;
		for (size_t i = 0; i < cap; i++)
			if (m->slots[i].idx1)
				map_place(s, ncap - 1, m->slots[i]);
		free(m->slots);
		m->slots = s;
		m->mask = ncap - 1;
	}
	map_place(m->slots, m->mask,
		  (struct job_map_slot){.hash = hash, .idx1 = idx + 1});
	m->n++;
	return 0;
}

void job_map_release(struct job_map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = m->n = 0;
}

int job_grow(void *p, size_t size, size_t *cap, size_t need)
{
	size_t ncap = *cap ? *cap : 16, bytes;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	if (!lsio_mul_ok(ncap, size, &bytes))
		return -ENOMEM;
	np = realloc(*(void **)p, bytes);
	if (!np)
		return -ENOMEM;
	*(void **)p = np;
	*cap = ncap;
	return 0;
}
