/* SPDX-License-Identifier: MIT */
/*
 * suggest.c - "did you mean": the nearest of a list of words to a typo,
 * for unknown keys, stages, variables and options alike.  At the bottom
 * of the library (util), so that the job parser, the stage registry and
 * the CLI share the one implementation.
 */
#include <ctype.h>
#include <string.h>

#include "internal.h"

#define DYM_MAX 64	/* longer keys are not typos of ours */

/* Optimal-string-alignment distance, ignoring case: Levenshtein plus
 * adjacent transpositions, so "lenght" is one edit from "length". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t rows[3][DYM_MAX + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]);
			int cb = tolower((unsigned char)b[j - 1]);
			size_t d = prev[j - 1] + (ca != cb);

			d = MIN(d, prev[j] + 1);
			d = MIN(d, cur[j - 1] + 1);
			if (i > 1 && j > 1 &&
			    ca == tolower((unsigned char)b[j - 2]) &&
			    cb == tolower((unsigned char)a[i - 2]))
				d = MIN(d, prev2[j - 2] + 1);
			cur[j] = d;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

/* Whether key is one of word's '-' or '_' separated parts, ignoring case:
 * "size" in "file-size", "gap" in "coalesce_gap". */
static bool is_part(const char *key, size_t len, const char *word)
{
	for (const char *p = word; *p; p += strcspn(p, "-_"), p += !!*p)
		if (!strncasecmp(p, key, len) && strchr("-_", p[len]))
			return true;
	return false;
}

/* The first word key is a part of; not for keys of one or two letters,
 * which are parts of too much. */
static const char *part_of(const char *key, size_t len,
			   const char *const *words)
{
	for (; len > 2 && *words; words++)
		if (is_part(key, len, *words))
			return *words;
	return NULL;
}

const char *lsio_did_you_mean(const char *key, const char *const *words)
{
	size_t len = strlen(key), best = SIZE_MAX, limit;
	const char *hit = NULL;

	if (!words || len > DYM_MAX)
		return NULL;
	/* One edit for short keys, two for longer ones: more would suggest
	 * unrelated words ("to" for "xy"). */
	limit = MIN(2, MAX(1, len / 3));
	for (const char *const *w = words; *w; w++) {
		size_t d;

		if (strlen(*w) > DYM_MAX)
			continue;
		d = edit_distance(key, *w);
		if (d <= limit && d < best) {
			best = d;
			hit = *w;
		}
	}
	return hit ? hit : part_of(key, len, words);
}

