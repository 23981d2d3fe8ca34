/* SPDX-License-Identifier: MIT */
/*
 * host_cache.c - what earlier runs measured of each remote host: the median
 * time to a response's first byte, which the planner turns into the remote
 * coalescing gap (bandwidth x latency / requests in flight), as the local
 * classes use their latency probe.  A short probe before every run would
 * cost the round trips it measures; a run's own requests measure it for
 * free, for the next run.
 *
 * One text file, $XDG_CACHE_HOME/lsio/hosts (else ~/.cache/lsio/hosts), a
 * line a host: "HOST:PORT FIRST_BYTE_US UNIX_TIME".  Written whole under a
 * temporary name and renamed, so a reader never sees half of it; two runs
 * ending together lose one's update, nothing worse.  LSIO_HOST_CACHE=off
 * turns it off; the tests' hook LSIO_REMOTE_LATENCY_MS (util/testenv.c)
 * pretends it holds that figure for every host.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define HOSTS_MAX 256		/* lines kept, the newest */
#define HOST_MAX_AGE (30 * 86400)	/* older figures are not trusted */
#define HOST_MIN_REQUESTS 8	/* fewer say little about a host */

struct host_line {
	char host[64];
	uint64_t first_byte_us;
	int64_t when;
};

static bool cache_off(void)
{
	const char *v = getenv("LSIO_HOST_CACHE");

	return v && (!strcmp(v, "off") || !strcmp(v, "0"));
}

/* The cache file's path into buf; false when there is no home for it. */
static bool cache_path(char *buf, size_t cap, bool make_dir)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;

	if (xdg && *xdg)
		n = snprintf(buf, cap, "%s/lsio", xdg);
	else if (home && *home)
		n = snprintf(buf, cap, "%s/.cache/lsio", home);
	else
		return false;
	if (n < 0 || (size_t)n + sizeof("/hosts.XXXXXX") > cap)
		return false;
	if (make_dir) {
		char *slash = strrchr(buf, '/');

		*slash = '\0';
		mkdir(buf, 0700);	/* ~/.cache may not exist yet */
		*slash = '/';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return false;
	}
	strcat(buf, "/hosts");
	return true;
}

/* Read up to max lines; returns how many. */
static size_t cache_read(struct host_line *lines, size_t max)
{
	char path[4096], line[256];
	size_t n = 0;
	FILE *f;

	if (!cache_path(path, sizeof(path), false) || !(f = fopen(path, "re")))
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		struct host_line *l = &lines[n];
		unsigned long long us;
		long long when;

		if (sscanf(line, "%63s %llu %lld", l->host, &us, &when) != 3)
			continue;	/* not ours, or cut short: skip it */
		l->first_byte_us = us;
		l->when = when;
		n++;
	}
	fclose(f);
	return n;
}

int lsio_host_latency(const char *host, uint64_t *ns, int64_t *when)
{
	const char *forced = lsio_test_hook(LSIO_HOOK_REMOTE_MS);
	struct host_line *lines;
	size_t n;
	int ret = -ENOENT;

	if (forced) {
		double ms = strtod(forced, NULL);

		*ns = ms > 0 ? (uint64_t)(ms * 1e6) : 0;
		*when = 0;
		return ms > 0 ? 0 : -ENOENT;
	}
	if (cache_off() || !(lines = calloc(HOSTS_MAX, sizeof(*lines))))
		return -ENOENT;
	n = cache_read(lines, HOSTS_MAX);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(lines[i].host, host) ||
		    (int64_t)time(NULL) - lines[i].when > HOST_MAX_AGE)
			continue;
		*ns = lines[i].first_byte_us * 1000;
		*when = lines[i].when;
		ret = 0;
		break;
	}
	free(lines);
	return ret;
}

/* The run's hosts first, then the others as they were, up to HOSTS_MAX. */
static void cache_write(const struct host_line *mine, size_t nmine,
			const struct host_line *old, size_t nold)
{
	char path[4096], tmp[4096 + 16];
	size_t kept = 0;
	FILE *f;
	int fd;

	if (!cache_path(path, sizeof(path), true))
		return;
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return;
	}
	for (size_t i = 0; i < nmine; i++, kept++)
		fprintf(f, "%s %llu %lld\n", mine[i].host,
			(unsigned long long)mine[i].first_byte_us,
			(long long)mine[i].when);
	for (size_t i = 0; i < nold && kept < HOSTS_MAX; i++) {
		bool replaced = false;

		for (size_t k = 0; k < nmine; k++)
			replaced |= !strcmp(old[i].host, mine[k].host);
		if (replaced)
			continue;
		fprintf(f, "%s %llu %lld\n", old[i].host,
			(unsigned long long)old[i].first_byte_us,
			(long long)old[i].when);
		kept++;
	}
	if (fclose(f) || rename(tmp, path))
		unlink(tmp);
}

void lsio_host_latency_save(const struct lsio_stats *st)
{
	struct host_line mine[ARRAY_SIZE(st->hosts)], *old;
	size_t nmine = 0;

	if (cache_off() || !st->nhosts)
		return;
	memset(mine, 0, sizeof(mine));	/* cppcheck cannot follow the loop */
	for (uint32_t h = 0; h < st->nhosts; h++) {
		const struct lsio_host_stats *hs = &st->hosts[h];

		if (hs->requests < HOST_MIN_REQUESTS || hs->first_byte <= 0 ||
		    !strcmp(hs->host, "(other)"))
			continue;
		snprintf(mine[nmine].host, sizeof(mine[nmine].host), "%s", hs->host);
		mine[nmine].first_byte_us = (uint64_t)(hs->first_byte * 1e6);
		mine[nmine++].when = (int64_t)time(NULL);
	}
	if (!nmine || !(old = calloc(HOSTS_MAX, sizeof(*old))))
		return;
	cache_write(mine, nmine, old, cache_read(old, HOSTS_MAX));
	free(old);
}
