/* SPDX-License-Identifier: MIT */
/*
 * sink_part.c - an output shared by the parts of a sharded run, or kept
 * for a resumed one: how it is created once and committed once.
 *
 * Every part opens the same temporary (lsio_temp_stable_name(): named by
 * the job's fingerprint, so all parts of one job agree and another job
 * never shares it) without truncating it, and writes only its own chunks
 * and rows.  Each keeps a journal beside it (sink/journal.c).  A part that
 * finishes records DONE, then looks at every part's journal: the one that
 * sees all N done renames the temporary over the target - rename() is
 * atomic, so whichever parts race there, readers see no array or the whole
 * one - and removes the journals.  A part that fails leaves its journal
 * and the temporary: the part re-run (--resume) continues it, and the
 * last part to finish commits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "internal.h"

int lsio_part_target_check(struct lsio_sink *s)
{
	struct stat st;

	if (strcmp(s->path, "-") && (stat(s->path, &st) || S_ISREG(st.st_mode)))
		return 0;
	return lsio_fail(s->ctx, -LSIO_EUSAGE,
			 "%s: '%s' is not a file: a sharded or resumable run assembles the array under a temporary name beside its target",
			 s->shard->n > 1 ? "--shard" : "--resume", s->path);
}

void lsio_part_wait_note(struct lsio_sink *s, const char *pending)
{
	bool several = strchr(pending, ',') != NULL;

	s->deferred = true;
	lsio_warn(s->ctx, "part %u of %u is done; '%s' appears when part%s %s %s too",
		  s->shard->k, s->shard->n, s->path, several ? "s" : "",
		  pending, several ? "are" : "is");
}

/* "TEMP.K-of-N", malloc'd. */
static char *journal_path(const char *temp, uint32_t k, uint32_t n)
{
	size_t cap = strlen(temp) + 32;
	char *p = malloc(cap);

	if (p)
		snprintf(p, cap, "%s.%u-of-%u", temp, k, n);
	return p;
}

/* The job a committed output came from travels with it, as an extended
 * attribute set on the temporary before the rename: a part run again
 * after the commit (a whole array resubmitted with --resume) finds its
 * work done instead of starting a temporary nobody will commit.  File
 * systems without user attributes just do not know. */
#define PART_XATTR "user.lsio.run"

/* The job's fingerprint as the attribute holds it: 16 hex digits. */
static void part_id(const struct lsio_sink *s, char id[17])
{
	snprintf(id, 17, "%016llx", (unsigned long long)s->shard->fingerprint);
}

void lsio_part_label(struct lsio_sink *s, int fd)
{
	char id[17];

	part_id(s, id);
	fsetxattr(fd, PART_XATTR, id, 16, 0);
}

bool lsio_part_committed(struct lsio_sink *s, const char *temp,
			 const char *final)
{
	char id[17], have[17];

	if (!s->shard->resume || !access(temp, F_OK) || errno != ENOENT)
		return false;
	part_id(s, id);
	if (getxattr(final, PART_XATTR, have, 16) != 16 || memcmp(id, have, 16))
		return false;
	lsio_warn(s->ctx, "'%s' is this job's output already (committed by an earlier run): nothing to do",
		  s->path);
	return true;
}

int lsio_part_open(struct lsio_sink *s, const char *temp, int data_fd,
		   bool data_is_dir)
{
	const struct lsio_shard *sh = s->shard;
	uint64_t n = s->job->nchunks;
	char *path = journal_path(temp, sh->k, sh->n);
	int err;

	s->jstate = (struct lsio_journal_state){
		.fingerprint = sh->fingerprint, .nchunks = n,
		.resume = sh->resume, .done = calloc(n / 8 + 1, 1) };
	if (!path || !s->jstate.done) {
		free(path);
		return lsio_fail(s->ctx, -ENOMEM, "out of memory");
	}
	err = lsio_journal_open(path, data_fd, data_is_dir, sh->k, sh->n,
				&s->jstate, &s->journal);
	if (err == -EBUSY)
		lsio_fail(s->ctx, -LSIO_EOUTPUT,
			  "'%s': another run of this part is writing it (part %u of %u)",
			  path, sh->k, sh->n);
	else if (err)
		lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot write the journal '%s': %s",
			  path, strerror(-err));
	free(path);
	return err ? -LSIO_EOUTPUT : 0;
}

uint32_t lsio_parts_missing(const struct lsio_shard *sh,
			    bool (*done)(void *arg, uint32_t k), void *arg,
			    char *buf, size_t cap)
{
	uint32_t missing = 0;
	size_t len = 0;

	buf[0] = '\0';
	for (uint32_t k = 0; k < sh->n; k++) {
		if (done(arg, k))
			continue;
		if (len < cap)
			len += (size_t)snprintf(buf + len, cap - len, "%s%u",
						missing ? ", " : "", k);
		missing++;
	}
	return missing;
}

struct journals {
	struct lsio_sink *s;
	const char *temp;
};

static bool journal_done(void *arg, uint32_t k)
{
	const struct journals *j = arg;
	const struct lsio_shard *sh = j->s->shard;
	char *path = journal_path(j->temp, k, sh->n);
	bool done = path && (k == sh->k ||
			     lsio_journal_complete(path, sh->fingerprint,
						   j->s->job->nchunks, k, sh->n));

	free(path);
	return done;
}

/* The parts not done yet, as "1, 3" into buf; 0 when every part is. */
static uint32_t parts_pending(struct lsio_sink *s, const char *temp,
			      char *buf, size_t cap)
{
	struct journals j = { s, temp };

	return lsio_parts_missing(s->shard, journal_done, &j, buf, cap);
}

static void journals_remove(struct lsio_sink *s, const char *temp)
{
	for (uint32_t k = 0; k < s->shard->n; k++) {
		char *path = journal_path(temp, k, s->shard->n);

		if (path)
			unlink(path);
		free(path);
	}
}

int lsio_part_finish(struct lsio_sink *s)
{
	int err = lsio_journal_done(s->journal);

	s->part_ended = !err;	/* done: nothing for abort() to keep */
	if (err)
		return lsio_fail(s->ctx, -LSIO_EOUTPUT, "cannot write '%s': %s",
				 s->path, strerror(-err));
	return 0;
}

int lsio_part_commit(struct lsio_sink *s, const char *temp, const char *final)
{
	char pending[256];

	if (parts_pending(s, temp, pending, sizeof(pending))) {
		/* The part that committed removes the journals: a part
		 * looking at them just after finds them gone. */
		if (access(temp, F_OK) && errno == ENOENT && !access(final, F_OK))
			return 0;
		lsio_part_wait_note(s, pending);
		return 0;
	}
	if (rename(temp, final)) {
		/* Another part saw every part done at the same moment and
		 * renamed first: the output is in place either way. */
		if (errno == ENOENT && !access(final, F_OK))
			return 0;
		return lsio_fail(s->ctx, -LSIO_EOUTPUT,
				 "cannot rename '%s' to '%s': %s", temp, final,
				 strerror(errno));
	}
	journals_remove(s, temp);
	return 0;
}

void lsio_part_forget(struct lsio_sink *s, const char *temp)
{
	char *path = journal_path(temp, s->shard->k, s->shard->n);

	if (path)
		unlink(path);
	free(path);
}

void lsio_part_abort(struct lsio_sink *s)
{
	if (!s->journal || s->part_ended)
		return;
	s->part_ended = true;
	lsio_journal_flush(s->journal);	/* what is written stays */
	lsio_warn(s->ctx, "what this run wrote is kept beside '%s': run it again with --resume to continue",
		  s->path);
}

void lsio_part_close(struct lsio_sink *s)
{
	lsio_journal_close(s->journal);
	s->journal = NULL;
	free(s->jstate.done);
	s->jstate.done = NULL;
}
