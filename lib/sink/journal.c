/* SPDX-License-Identifier: MIT */
/*
 * journal.c - the record of a resumable run: which chunks are safely in
 * the temporary output, so that a run killed by a signal, a Slurm time
 * limit or a crash is continued rather than redone (--resume), and
 * whether a part of a sharded run is done (--shard).
 *
 * One file per part, beside the output's temporary: parts never write
 * the same file, which appends on NFS would not survive.  A header names
 * the job (its fingerprint) and the part; then records, each checksummed:
 *
 *   FILL  the part's fill value is written
 *   CHNK  these chunks are written (their indexes, u32)
 *   DONE  the part is complete
 *
 * Workers add chunks to memory only; the thread running the job writes a
 * batch about once a second (the engine's clock decides), after
 * fdatasync() of the output, and syncs
 * the journal: a chunk is recorded only once its bytes would survive a
 * crash of the machine.  A torn last record fails its checksum and ends
 * the journal there: those chunks are simply done again.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define JOURNAL_MAGIC "LSIOJRN1"
#define TAG_FILL 0x4c4c4946u	/* "FILL" */
#define TAG_CHNK 0x4b4e4843u	/* "CHNK" */
#define TAG_DONE 0x454e4f44u	/* "DONE" */
#define JOURNAL_RECORD_MAX ((size_t)1 << 20)	/* indexes per CHNK record */

struct journal_header {
	char magic[8];
	uint64_t fingerprint;
	uint64_t nchunks;
	uint32_t k, n;
};

struct journal_record {
	uint32_t tag;
	uint32_t count;		/* u32 chunk indexes following */
	uint32_t crc;		/* FNV-1a of tag, count and the indexes: it
				 * catches a torn write, all it must do */
	uint32_t pad;
};

struct lsio_journal {
	int fd;
	int data_fd;		/* synced before each record */
	bool data_is_dir;	/* files output: syncfs() its file system */
	pthread_mutex_t lock;	/* guards pending */
	uint32_t *pending;	/* chunks written since the last batch */
	size_t npending, cap;
	uint32_t *batch;	/* the batch being written (no lock) */
	size_t batch_cap;
};

/* The indexes of a record that has none (FILL, DONE). */
static const uint32_t no_chunks[1];

static uint32_t fnv32(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static uint32_t record_crc(const struct journal_record *r, const uint32_t *idx)
{
	return fnv32(fnv32(2166136261u, r, 8), idx,
		     (size_t)r->count * sizeof(*idx));
}

/* --- reading ----------------------------------------------------------------- */

static bool header_ok(const struct journal_header *h, uint64_t fp,
		      uint64_t nchunks, uint32_t k, uint32_t n)
{
	return !memcmp(h->magic, JOURNAL_MAGIC, 8) && h->fingerprint == fp &&
	       h->nchunks == nchunks && h->k == k && h->n == n;
}

static int read_exact(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Mark the chunks of one CHNK record done; false when it is damaged. */
static bool record_apply(int fd, const struct journal_record *r,
			 struct lsio_journal_state *st, uint32_t **buf,
			 size_t *cap)
{
	if (r->count > *cap) {
		uint32_t *nb = realloc(*buf, (size_t)r->count * sizeof(**buf));

		if (!nb)
			return false;
		*buf = nb;
		*cap = r->count;
	}
	if (read_exact(fd, *buf, (size_t)r->count * sizeof(**buf)) ||
	    record_crc(r, *buf) != r->crc)
		return false;
	for (uint32_t i = 0; i < r->count; i++) {
		uint64_t c = (*buf)[i];

		if (c >= st->nchunks)
			return false;
		if (!(st->done[c >> 3] >> (c & 7) & 1))
			st->ndone++;
		st->done[c >> 3] |= (uint8_t)(1u << (c & 7));
	}
	return true;
}

/* Replay fd's records into st; stops at the first damaged one.  Returns
 * where new records go: after the last good one, DONE left out (a part
 * run again is done again only at its end). */
static off_t journal_replay(int fd, struct lsio_journal_state *st)
{
	off_t end = (off_t)sizeof(struct journal_header);
	struct journal_record r;
	uint32_t *buf = NULL;
	size_t cap = 0;

	while (!read_exact(fd, &r, sizeof(r))) {
		if (r.tag == TAG_CHNK && !record_apply(fd, &r, st, &buf, &cap))
			break;
		if (r.tag != TAG_CHNK &&
		    (r.count || record_crc(&r, no_chunks) != r.crc ||
		     (r.tag != TAG_FILL && r.tag != TAG_DONE)))
			break;
		if (r.tag == TAG_DONE)
			break;
		st->filled |= r.tag == TAG_FILL;
		end += (off_t)(sizeof(r) + (size_t)r.count * sizeof(uint32_t));
	}
	free(buf);
	return end;
}

bool lsio_journal_complete(const char *path, uint64_t fp, uint64_t nchunks,
			   uint32_t k, uint32_t n)
{
	struct journal_header h;
	struct journal_record r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end;
	bool ok;

	if (fd < 0)
		return false;
	/* DONE is the last record: read the header and the tail only. */
	end = lseek(fd, 0, SEEK_END);
	ok = end >= (off_t)(sizeof(h) + sizeof(r)) &&
	     pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
	     header_ok(&h, fp, nchunks, k, n) &&
	     pread(fd, &r, sizeof(r), end - (off_t)sizeof(r)) == (ssize_t)sizeof(r) &&
	     r.tag == TAG_DONE && !r.count && record_crc(&r, no_chunks) == r.crc;
	close(fd);
	return ok;
}

/* --- writing ----------------------------------------------------------------- */

static int journal_start(struct lsio_journal *j, uint64_t fp, uint64_t nchunks,
			 uint32_t k, uint32_t n)
{
	struct journal_header h = { .fingerprint = fp, .nchunks = nchunks,
				    .k = k, .n = n };

	memcpy(h.magic, JOURNAL_MAGIC, 8);
	if (ftruncate(j->fd, 0) || lseek(j->fd, 0, SEEK_SET))
		return -errno;
	return lsio_write_all(j->fd, &h, sizeof(h));
}

int lsio_journal_add(struct lsio_journal *j, uint64_t chunk)
{
	int err = 0;

	pthread_mutex_lock(&j->lock);
	if (j->npending == j->cap) {
		size_t ncap = j->cap ? j->cap * 2 : 4096;
		uint32_t *np = realloc(j->pending, ncap * sizeof(*np));

		if (np) {
			j->pending = np;
			j->cap = ncap;
		} else {
			err = -ENOMEM;
		}
	}
	if (!err)
		j->pending[j->npending++] = (uint32_t)chunk;
	pthread_mutex_unlock(&j->lock);
	return err;
}

/* What was written so far reaches the disk before the journal says so. */
static int data_sync(struct lsio_journal *j)
{
	if (j->data_fd < 0)
		return 0;
	if (j->data_is_dir ? syncfs(j->data_fd) : fdatasync(j->data_fd))
		return -errno;
	return 0;
}

static int record_write(struct lsio_journal *j, uint32_t tag,
			const uint32_t *idx, uint32_t count)
{
	struct journal_record r = { .tag = tag, .count = count };
	int err;

	r.crc = record_crc(&r, idx);
	err = lsio_write_all(j->fd, &r, sizeof(r));
	if (!err && count)
		err = lsio_write_all(j->fd, idx, (size_t)count * sizeof(*idx));
	return err;
}

/* Hand the pending chunks to the writer: the two buffers trade places. */
static size_t pending_take(struct lsio_journal *j)
{
	uint32_t *p;
	size_t n, cap;

	pthread_mutex_lock(&j->lock);
	p = j->batch;
	cap = j->batch_cap;
	n = j->npending;
	j->batch = j->pending;
	j->batch_cap = j->cap;
	j->pending = p;
	j->cap = cap;
	j->npending = 0;
	pthread_mutex_unlock(&j->lock);
	return n;
}

int lsio_journal_flush(struct lsio_journal *j)
{
	size_t n = pending_take(j);
	int err;

	if (!n)
		return 0;
	err = data_sync(j);
	for (size_t off = 0; !err && off < n; off += JOURNAL_RECORD_MAX)
		err = record_write(j, TAG_CHNK, j->batch + off,
				   (uint32_t)MIN(n - off, JOURNAL_RECORD_MAX));
	if (!err && fdatasync(j->fd))
		err = -errno;
	return err;
}

static int journal_mark(struct lsio_journal *j, uint32_t tag)
{
	int err = lsio_journal_flush(j);

	if (!err)
		err = data_sync(j);
	if (!err)
		err = record_write(j, tag, no_chunks, 0);
	if (!err && fdatasync(j->fd))
		err = -errno;
	return err;
}

int lsio_journal_filled(struct lsio_journal *j)
{
	return journal_mark(j, TAG_FILL);
}

int lsio_journal_done(struct lsio_journal *j)
{
	return journal_mark(j, TAG_DONE);
}

void lsio_journal_close(struct lsio_journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	pthread_mutex_destroy(&j->lock);
	free(j->pending);
	free(j->batch);
	free(j);
}

int lsio_journal_open(const char *path, int data_fd, bool data_is_dir,
		      uint32_t k, uint32_t n, struct lsio_journal_state *st,
		      struct lsio_journal **out)
{
	struct lsio_journal *j = calloc(1, sizeof(*j));
	struct journal_header h;
	off_t end = -1;
	int err = 0;

	*out = NULL;
	memset(st->done, 0, st->nchunks / 8 + 1);
	st->ndone = 0;
	st->filled = false;
	if (!j)
		return -ENOMEM;
	j->data_fd = data_fd;
	j->data_is_dir = data_is_dir;
	pthread_mutex_init(&j->lock, NULL);
	j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (j->fd < 0) {
		err = -errno;
		goto fail;
	}
	/* Two runs of one part (a requeued task whose first run still
	 * writes) would undo each other's work: the second one stops. */
	if (flock(j->fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail;
	}
	if (st->resume && !read_exact(j->fd, &h, sizeof(h)) &&
	    header_ok(&h, st->fingerprint, st->nchunks, k, n))
		end = journal_replay(j->fd, st);
	/* Cutting a damaged tail (or DONE) keeps every good record even if
	 * this process dies right here. */
	if (end >= 0 && (ftruncate(j->fd, end) || lseek(j->fd, end, SEEK_SET) < 0))
		err = -errno;
	else if (end < 0)
		err = journal_start(j, st->fingerprint, st->nchunks, k, n);
	if (err)
		goto fail;
	*out = j;
	return 0;
fail:
	lsio_journal_close(j);
	return err;
}
