/* SPDX-License-Identifier: MIT */
/*
 * storage.c - classify a source (ssd, hdd, memory, netfs, parallelfs,
 * remote) and give each class its planner defaults.
 *
 * Local files: the statfs magic names the file system; network, parallel
 * and memory file systems are decided by it alone.  Otherwise st_dev leads
 * through sysfs to the disk (partition -> disk, dm/md -> slaves, loop ->
 * backing file, which is classified in turn) and its rotational flag.  The
 * flag is not trusted alone: virtio and many RAID/USB bridges report
 * rotational=1 for flash, so a device claiming to spin gets a tiny probe of
 * random O_DIRECT reads, once per device per process.
 *
 * The tests pretend a sysfs tree, a probe's result (< 0: "could not
 * probe") and a recorded statfs through util/testenv.c's hooks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "storage.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)

#define WALK_MAX 8		/* dm on md on partitions: a few levels at most */
#define LOOP_MAX 4		/* loop device on a file on a loop device ... */
#define PROBE_READS 8
#define PROBE_BLOCK 4096u
#define PROBE_MIN_FILE (16 * PROBE_BLOCK)	/* room for 8 distinct blocks */
#define PROBE_SPAN GiB		/* probe within the file's first GiB */
/* Flash answers a random 4 KiB read in ~0.1 ms idle, but ~1 ms behind
 * another reader at depth 128 (measured here: queueing, not seeking); a
 * disk needs a seek plus half a rotation, >= 5 ms even at 15k rpm.  3 ms
 * keeps a busy SSD from being planned as a disk. */
#define PROBE_HDD_NS 3000000
#define PROBE_CACHE 32
#define STRIPE_DEFAULT MiB	/* Lustre's default stripe size */

/* snprintf for human text, where cutting a long reason short is fine. */
__attribute__((format(printf, 3, 4)))
static void strfmt(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

/* A path built with snprintf; false when it does not fit (then unusable). */
__attribute__((format(printf, 3, 4)))
static bool path_fmt(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < cap;
}

#define BLOCK_FS (-1)	/* a file system on a block device: ask sysfs */

/*
 * statfs magics (linux/magic.h and the vendors').  FUSE counts as netfs:
 * the FUSE file systems people read data sets from (sshfs, s3fs, gcsfuse,
 * rclone, ceph-fuse, GlusterFS, JuiceFS) sit on a network, and even a local
 * one pays a round trip through a user-space daemon per request, which
 * rewards netfs's larger merges and moderate depth.  "fuseblk" (ntfs-3g)
 * has a real disk behind st_dev and is treated as a block file system.
 * The kernel's pseudo file systems make their files' contents when read:
 * st_size says 0 (proc) or a page (sysfs), not how much there is.
 */
static const struct fs_magic {
	uint32_t magic;
	const char *name;
	int cls;
	bool sizeless;		/* st_size is not the size of the contents */
} fs_magics[] = {
	{ 0x01021994, "tmpfs", LSIO_CLASS_MEMORY, false },
	{ 0x858458f6, "ramfs", LSIO_CLASS_MEMORY, false },
	{ 0x00009fa0, "proc", LSIO_CLASS_MEMORY, true },
	{ 0x62656572, "sysfs", LSIO_CLASS_MEMORY, true },
	{ 0x64626720, "debugfs", LSIO_CLASS_MEMORY, true },
	{ 0x74726163, "tracefs", LSIO_CLASS_MEMORY, true },
	{ 0x73636673, "securityfs", LSIO_CLASS_MEMORY, true },
	{ 0x0027e0eb, "cgroup", LSIO_CLASS_MEMORY, true },
	{ 0x63677270, "cgroup2", LSIO_CLASS_MEMORY, true },
	{ 0x62656570, "configfs", LSIO_CLASS_MEMORY, true },
	{ 0xde5e81e4, "efivarfs", LSIO_CLASS_MEMORY, true },
	{ 0x00006969, "nfs", LSIO_CLASS_NETFS, false },
	{ 0x00c36400, "ceph", LSIO_CLASS_NETFS, false },
	{ 0xff534d42, "cifs", LSIO_CLASS_NETFS, false },
	{ 0xfe534d42, "smb2", LSIO_CLASS_NETFS, false },
	{ 0x0000517b, "smb", LSIO_CLASS_NETFS, false },
	{ 0x01021997, "9p", LSIO_CLASS_NETFS, false },
	{ 0x5346414f, "afs", LSIO_CLASS_NETFS, false },
	{ 0x65735546, "fuse", LSIO_CLASS_NETFS, false },
	{ 0x0bd00bd0, "lustre", LSIO_CLASS_PARALLELFS, false },
	{ 0x47504653, "gpfs", LSIO_CLASS_PARALLELFS, false },
	{ 0x19830326, "beegfs", LSIO_CLASS_PARALLELFS, false },
	{ 0x20030528, "orangefs", LSIO_CLASS_PARALLELFS, false },
	{ 0x0000ef53, "ext4", BLOCK_FS, false },
	{ 0x58465342, "xfs", BLOCK_FS, false },
	{ 0x9123683e, "btrfs", BLOCK_FS, false },
	{ 0xf2f52010, "f2fs", BLOCK_FS, false },
	{ 0x2fc12fc1, "zfs", BLOCK_FS, false },
	{ 0x794c7630, "overlay", BLOCK_FS, false },
};

static const struct fs_magic *fs_magic_find(uint64_t type)
{
	for (size_t i = 0; i < ARRAY_SIZE(fs_magics); i++)
		if (fs_magics[i].magic == (uint32_t)type)
			return &fs_magics[i];
	return NULL;
}

/* The class a file system implies by itself, or BLOCK_FS. */
static int fs_class(const struct lsio_storage_facts *f)
{
	const struct fs_magic *m = fs_magic_find(f->fs_type);

	if (!strcmp(f->fs_name, "fuseblk"))
		return BLOCK_FS;
	return m ? m->cls : BLOCK_FS;
}

static const char *fs_label(const struct lsio_storage_facts *f, char *buf,
			    size_t cap)
{
	const struct fs_magic *m = fs_magic_find(f->fs_type);

	if (f->fs_name[0])
		return f->fs_name;
	if (m)
		return m->name;
	snprintf(buf, cap, "fs 0x%llx", (unsigned long long)f->fs_type);
	return buf;
}

bool lsio_storage_is_url(const char *path)
{
	static const char *const schemes[] = { "http://", "https://", "s3://",
					       "gs://", "az://" };

	for (size_t i = 0; path && i < ARRAY_SIZE(schemes); i++)
		if (!strncasecmp(path, schemes[i], strlen(schemes[i])))
			return true;
	return false;
}

/* --- the decision (pure) ------------------------------------------------- */

static void decide_fs(const struct lsio_storage_facts *f, int cls,
		      const char *fs, struct lsio_storage_info *out)
{
	uint64_t stripe = f->blksize;

	out->cls = (enum lsio_storage_class)cls;
	if (cls == LSIO_CLASS_MEMORY) {
		strfmt(out->reason, sizeof(out->reason),
		       "%s%s: in memory, no disk: memory", f->via, fs);
	} else if (cls == LSIO_CLASS_NETFS) {
		strfmt(out->reason, sizeof(out->reason),
		       "%s%s: network file system: netfs", f->via, fs);
	} else if (stripe >= 64 * KiB) {
		out->stripe = stripe;
		strfmt(out->reason, sizeof(out->reason),
		       "%s%s, stripe %llu KiB (st_blksize): parallelfs",
		       f->via, fs, (unsigned long long)(stripe / KiB));
	} else {
		/* A block size this small is not a stripe; use the default. */
		out->stripe = STRIPE_DEFAULT;
		strfmt(out->reason, sizeof(out->reason),
		       "%s%s, st_blksize %llu is no stripe, assumed 1 MiB: parallelfs",
		       f->via, fs, (unsigned long long)stripe);
	}
}

/* A block device: the rotational flag, checked by the probe when it claims
 * to spin (or says nothing). */
static void decide_block(const struct lsio_storage_facts *f, const char *fs,
			 struct lsio_storage_info *out)
{
	bool slow = f->probe_ns >= PROBE_HDD_NS;
	const char *flag = f->rotational < 0 ? "" :
			   slow ? "rotational=1, " : "rotational=1 but ";
	const char *verdict = slow ? "hdd" :
			      f->rotational > 0 ? "treated as ssd" : "ssd";
	char where[96];

	if (f->disk[0])
		strfmt(where, sizeof(where), "%s%s on %s", f->via, fs, f->disk);
	else
		strfmt(where, sizeof(where), "%s%s (no disk in sysfs for %u:%u)",
		       f->via, fs, major(f->dev), minor(f->dev));

	if (f->rotational == 0) {
		out->cls = LSIO_CLASS_SSD;
		strfmt(out->reason, sizeof(out->reason),
		       "%s: rotational=0: ssd", where);
	} else if (f->probe_ns >= 0) {
		out->cls = slow ? LSIO_CLASS_HDD : LSIO_CLASS_SSD;
		strfmt(out->reason, sizeof(out->reason),
		       "%s: %srandom 4 KiB reads take %.2f ms: %s", where, flag,
		       (double)f->probe_ns / 1e6, verdict);
	} else if (f->rotational == 1) {
		out->cls = LSIO_CLASS_HDD;
		strfmt(out->reason, sizeof(out->reason),
		       "%s: rotational=1, not probed (%s): hdd", where,
		       f->no_probe);
	} else {
		/* Unknown and unprobed: flash is the common case today. */
		out->cls = LSIO_CLASS_SSD;
		strfmt(out->reason, sizeof(out->reason),
		       "%s: not probed (%s): assumed ssd", where, f->no_probe);
	}
}

void lsio_storage_decide(const struct lsio_storage_facts *f,
			 struct lsio_storage_info *out)
{
	const struct fs_magic *m;
	char buf[32];
	const char *fs;
	int cls;

	memset(out, 0, sizeof(*out));
	out->dev = f->dev;
	out->probe_ns = f->probe_ns;
	out->nr_requests = f->nr_requests;
	if (f->is_url) {
		out->cls = LSIO_CLASS_REMOTE;
		out->probe_ns = -1;
		strfmt(out->reason, sizeof(out->reason), "%s URL: remote",
		       f->scheme);
		return;
	}
	/* statx knows the file system's real rule; the block size is the
	 * fallback for kernels before 6.1. */
	out->dio_align = f->dio_known ? f->dio_align : f->logical_block;
	fs = fs_label(f, buf, sizeof(buf));
	cls = fs_class(f);
	m = fs_magic_find(f->fs_type);
	out->sizeless = m && m->sizeless;
	if (cls != BLOCK_FS)
		decide_fs(f, cls, fs, out);
	else
		decide_block(f, fs, out);
}

/* --- sysfs --------------------------------------------------------------- */

/* Read the first line of dir/name into buf. Returns 0 or -errno. */
static int read_line(const char *dir, const char *name, char *buf, size_t cap)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (!path_fmt(path, sizeof(path), "%s/%s", dir, name))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* A number from dir/name, or def when the file is missing or not a number. */
static long read_num(const char *dir, const char *name, long def)
{
	char buf[32], *end;
	long v;

	if (read_line(dir, name, buf, sizeof(buf)))
		return def;
	v = strtol(buf, &end, 10);
	return end == buf ? def : v;
}

static void chain_add(struct lsio_storage_facts *f, const char *name)
{
	size_t n = strlen(f->disk);

	snprintf(f->disk + n, sizeof(f->disk) - n, "%s%s", n ? ">" : "", name);
}

static int walk(const char *dir, int depth, struct lsio_storage_facts *f,
		char *backing, size_t cap);

/* Combine a slave into what the first slave said: if any member spins, a
 * striped read waits for it; the alignment must suit every member. */
static void slave_merge(struct lsio_storage_facts *f,
			const struct lsio_storage_facts *s)
{
	f->rotational = MAX(f->rotational, s->rotational);
	f->logical_block = MAX(f->logical_block, s->logical_block);
}

static int not_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Walk the slaves of a dm/md device (sorted, so the result is stable).  The
 * first slave names the disk; the others only refine the flags. */
static int walk_slaves(const char *dir, struct dirent **ents, int n, int depth,
		       struct lsio_storage_facts *f, char *backing, size_t cap)
{
	char link[PATH_MAX], real[PATH_MAX];
	struct lsio_storage_facts other;
	size_t len = strlen(f->disk);
	int ret = -ENOENT, found = 0;

	for (int i = 0; i < n; i++) {
		struct lsio_storage_facts *into = found ? &other : f;
		int r;

		if (!path_fmt(link, sizeof(link), "%s/slaves/%s", dir,
			      ents[i]->d_name) || !realpath(link, real))
			continue;
		memset(&other, 0, sizeof(other));
		r = walk(real, depth + 1, into, backing, cap);
		if (r == 1)
			return 1;	/* a loop device beneath: its file decides */
		if (r == 0) {
			if (found++)
				slave_merge(f, &other);
			ret = 0;
		} else if (!found) {
			f->disk[len] = '\0';	/* forget the failed branch */
			ret = r;
		}
	}
	if (found > 1) {
		len = strlen(f->disk);
		snprintf(f->disk + len, sizeof(f->disk) - len, "+%d", found - 1);
	}
	return ret;
}

/* dir is a block device's sysfs directory (symlinks resolved). */
static int walk(const char *dir, int depth, struct lsio_storage_facts *f,
		char *backing, size_t cap)
{
	char disk[PATH_MAX], slaves[PATH_MAX];
	struct dirent **ents;
	char *slash;
	int n, ret = 0;

	if (depth > WALK_MAX)
		return -ELOOP;
	snprintf(disk, sizeof(disk), "%s", dir);
	/* A partition's directory sits inside its disk's. */
	slash = strrchr(disk, '/');
	if (read_num(disk, "partition", -1) >= 0 && slash && slash != disk)
		*slash = '\0';
	slash = strrchr(disk, '/');
	chain_add(f, slash ? slash + 1 : disk);

	if (read_line(disk, "loop/backing_file", backing, cap) == 0 && backing[0])
		return 1;

	n = -1;
	if (path_fmt(slaves, sizeof(slaves), "%s/slaves", disk))
		n = scandir(slaves, &ents, not_dot, alphasort);
	if (n > 0)
		ret = walk_slaves(disk, ents, n, depth, f, backing, cap);
	for (int i = 0; i < n; i++)
		free(ents[i]);
	if (n >= 0)
		free(ents);
	if (n > 0)
		return ret;

	f->rotational = (int)read_num(disk, "queue/rotational", -1);
	f->logical_block = (uint32_t)read_num(disk, "queue/logical_block_size", 0);
	f->nr_requests = (uint32_t)read_num(disk, "queue/nr_requests", 0);
	return 0;
}

int lsio_storage_sysfs(const char *root, dev_t dev,
		       struct lsio_storage_facts *f, char *backing, size_t cap)
{
	char link[PATH_MAX], real[PATH_MAX];
	int r;

	f->disk[0] = '\0';
	f->rotational = -1;
	f->logical_block = 0;
	f->nr_requests = 0;
	if (!path_fmt(link, sizeof(link), "%s/dev/block/%u:%u", root,
		      major(dev), minor(dev)) || !realpath(link, real))
		return -ENOENT;
	r = walk(real, 0, f, backing, cap);
	if (r < 0)
		f->disk[0] = '\0';	/* a chain that led nowhere names nothing */
	return r;
}

/* --- the latency probe --------------------------------------------------- */

static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	dev_t dev;
	int64_t ns;
} probe_cache[PROBE_CACHE];
static unsigned probe_cached_n, probes_run;

unsigned lsio_storage_probes_run(void)
{
	unsigned n;

	pthread_mutex_lock(&probe_lock);
	n = probes_run;
	pthread_mutex_unlock(&probe_lock);
	return n;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Time PROBE_READS reads of blk bytes, one at a random block in each eighth
 * of the span, from the last eighth to the first: reading backwards means a
 * disk's forward read-ahead never serves the next read, so even a small
 * file shows a spinning disk's rotational delay.  Returns the median in ns,
 * or -1 with why set.
 */
static int64_t probe_reads(int fd, uint64_t span, uint32_t blk, dev_t dev,
			   char *why, size_t cap)
{
	int64_t t[PROBE_READS];
	uint64_t nblk = span / blk / PROBE_READS;
	uint64_t rnd = (uint64_t)now_ns() ^ ((uint64_t)dev << 17) ^ 0x9e3779b97f4a7c15ull;
	void *buf;

	if (posix_memalign(&buf, MAX(blk, 4096u), blk)) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	for (int i = 0; i < PROBE_READS; i++) {
		uint64_t off;
		int64_t t0;

		rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
		off = ((PROBE_READS - 1 - i) * nblk + rnd % nblk) * blk;
		t0 = now_ns();
		if (pread(fd, buf, blk, (off_t)off) != (ssize_t)blk) {
			snprintf(why, cap, "probe read failed");
			free(buf);
			return -1;
		}
		t[i] = now_ns() - t0;
	}
	free(buf);
	qsort(t, PROBE_READS, sizeof(t[0]), cmp_i64);
	return (t[PROBE_READS / 2 - 1] + t[PROBE_READS / 2]) / 2;
}

/* Open the file again with O_DIRECT (so the page cache cannot answer) and
 * probe it, unless it is too small or sparse to say anything. */
static int64_t probe_file(const char *path, int fd, const struct stat *st,
			  uint32_t align, char *why, size_t cap)
{
	uint32_t blk = MAX(align, PROBE_BLOCK);
	uint64_t span = MIN((uint64_t)st->st_size, PROBE_SPAN);
	char proc[32];
	int64_t ns;
	int dfd;

	if ((uint64_t)st->st_size < MAX(PROBE_MIN_FILE, (uint64_t)blk * 16)) {
		snprintf(why, cap, "file < %u KiB", PROBE_MIN_FILE / 1024);
		return -1;
	}
	/* Holes read as zeros without touching the disk. */
	if ((uint64_t)st->st_blocks * 512 < (uint64_t)st->st_size / 2) {
		snprintf(why, cap, "file is sparse");
		return -1;
	}
	if (!path) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		path = proc;
	}
	dfd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (dfd < 0) {
		snprintf(why, cap, "O_DIRECT refused: %s", strerror(errno));
		return -1;
	}
	ns = probe_reads(dfd, span, blk, st->st_dev, why, cap);
	close(dfd);
	return ns;
}

/* The probe result for st's device: forced by the environment, cached, or
 * measured now.  The lock is held while probing so that concurrent callers
 * wait for one probe instead of disturbing it with their own. */
static int64_t probe_cached(const char *path, int fd, const struct stat *st,
			    uint32_t align, char *why, size_t cap)
{
	const char *force = lsio_test_hook(LSIO_HOOK_PROBE_US);
	int64_t ns = -1;
	unsigned i;

	if (force) {
		ns = (int64_t)(strtod(force, NULL) * 1000);
		if (ns < 0)
			snprintf(why, cap, "probe disabled");
		return ns < 0 ? -1 : ns;
	}
	pthread_mutex_lock(&probe_lock);
	for (i = 0; i < probe_cached_n; i++)
		if (probe_cache[i].dev == st->st_dev)
			break;
	if (i < probe_cached_n) {
		ns = probe_cache[i].ns;
	} else {
		ns = probe_file(path, fd, st, align, why, cap);
		if (ns >= 0)
			probes_run++;
		/* Only a measurement is cached: a later, larger file on the
		 * same device may still be probed. */
		if (ns >= 0 && probe_cached_n < PROBE_CACHE) {
			probe_cache[probe_cached_n].dev = st->st_dev;
			probe_cache[probe_cached_n++].ns = ns;
		}
	}
	pthread_mutex_unlock(&probe_lock);
	return ns;
}

/* --- gathering facts ----------------------------------------------------- */

/* The mount's type from /proc/self/mountinfo ("ext4", "fuse.sshfs"): more
 * precise than the magic, which ext2/3/4 share and all FUSE mounts share. */
static void mount_type(dev_t dev, char *out, size_t cap)
{
	FILE *fp = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, *sep;
	size_t len = 0;
	unsigned maj, min;

	out[0] = '\0';
	if (!fp)
		return;
	while (getline(&line, &len, fp) > 0) {
		if (sscanf(line, "%*u %*u %u:%u", &maj, &min) != 2 ||
		    maj != major(dev) || min != minor(dev))
			continue;
		sep = strstr(line, " - ");
		if (sep) {
			sep += 3;
			snprintf(out, cap, "%.*s", (int)strcspn(sep, " \n"), sep);
		}
		break;
	}
	free(line);
	fclose(fp);
}

static void statx_dio(const char *path, int fd, struct lsio_storage_facts *f)
{
#ifdef STATX_DIOALIGN
	struct statx stx;
	int r;

	if (fd >= 0)
		r = statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx);
	else
		r = statx(AT_FDCWD, path, 0, STATX_DIOALIGN, &stx);
	if (r == 0 && (stx.stx_mask & STATX_DIOALIGN)) {
		f->dio_known = true;
		f->dio_align = stx.stx_dio_offset_align;
	}
#endif
}

/* Test only: LSIO_STATFS="TYPE[:BLKSIZE[:NAME]]" replays a recorded statfs
 * (e.g. "0x6969::nfs4", "0x0bd00bd0:4194304:lustre"), so `lsio plan` can be
 * tested for file systems this machine does not mount. */
static void recorded_statfs(struct lsio_storage_facts *f)
{
	const char *rec = lsio_test_hook(LSIO_HOOK_STATFS);
	char *end;

	if (!rec)
		return;
	f->fs_type = strtoull(rec, &end, 0);
	if (*end == ':' && end[1] != ':')
		f->blksize = strtoull(end + 1, &end, 0);
	else if (*end == ':')
		end++;
	if (*end == ':')
		snprintf(f->fs_name, sizeof(f->fs_name), "%s", end + 1);
	else
		f->fs_name[0] = '\0';
}

static int gather(const char *path, int fd, int depth,
		  struct lsio_storage_facts *f);

/* A loop device reads its backing file: the file's storage decides.  When
 * that fails (deleted, nested too deep) the loop device's facts stand. */
static int gather_loop(const char *backing, int depth,
		       struct lsio_storage_facts *f)
{
	struct lsio_storage_facts outer = *f;
	size_t n = strlen(f->via);

	if (depth >= LOOP_MAX) {
		snprintf(f->no_probe, sizeof(f->no_probe), "loops nested too deep");
		return 0;
	}
	memset(f, 0, sizeof(*f));
	strfmt(f->via, sizeof(f->via), "%.*s%s -> ", (int)n, outer.via,
	       outer.disk);
	f->rotational = -1;
	f->probe_ns = -1;
	if (gather(backing, -1, depth + 1, f) == 0)
		return 0;
	*f = outer;
	snprintf(f->no_probe, sizeof(f->no_probe), "loop file unreadable");
	return 0;
}

static int gather(const char *path, int fd, int depth,
		  struct lsio_storage_facts *f)
{
	char backing[PATH_MAX];
	const char *root = lsio_test_hook(LSIO_HOOK_SYSFS_ROOT);
	struct statfs sfs;
	struct stat st;
	int r;

	if (fd >= 0 ? fstat(fd, &st) || fstatfs(fd, &sfs) :
		      stat(path, &st) || statfs(path, &sfs))
		return -errno;
	f->fs_type = (uint64_t)sfs.f_type;
	f->blksize = (uint64_t)st.st_blksize;
	f->dev = st.st_dev;
	mount_type(st.st_dev, f->fs_name, sizeof(f->fs_name));
	recorded_statfs(f);
	statx_dio(path, fd, f);
	if (fs_class(f) != BLOCK_FS)
		return 0;

	r = lsio_storage_sysfs(root ? root : "/sys", st.st_dev, f,
			       backing, sizeof(backing));
	if (r == 1)
		return gather_loop(backing, depth, f);
	if (f->rotational != 0)
		f->probe_ns = probe_cached(path, fd, &st, f->dio_align,
					   f->no_probe, sizeof(f->no_probe));
	return 0;
}

int lsio_storage_gather(const char *path, int fd,
			struct lsio_storage_facts *f)
{
	const char *colon;

	memset(f, 0, sizeof(*f));
	f->rotational = -1;
	f->probe_ns = -1;
	if (fd < 0 && lsio_storage_is_url(path)) {
		colon = strchr(path, ':');
		f->is_url = true;
		snprintf(f->scheme, sizeof(f->scheme), "%.*s",
			 (int)(colon - path), path);
		return 0;
	}
	if (fd < 0 && !path)
		return -EINVAL;
	return gather(path, fd, 0, f);
}

int lsio_storage_classify(const char *path, int fd,
			  struct lsio_storage_info *out)
{
	struct lsio_storage_facts f;
	int r = lsio_storage_gather(path, fd, &f);

	if (r < 0) {
		memset(out, 0, sizeof(*out));
		out->cls = LSIO_CLASS_SSD;
		out->probe_ns = -1;
		strfmt(out->reason, sizeof(out->reason),
		       "cannot examine: %s: assumed ssd", strerror(-r));
		return r;
	}
	lsio_storage_decide(&f, out);
	return 0;
}

/* --- per-class defaults -------------------------------------------------- */

/*
 * Device models.  Only ssd's is measured (this machine's virtio disk, fio):
 * the others are typical figures chosen so that their break-even gap lands
 * where peers and DESIGN.md put it.
 */
static const struct lsio_device_model class_models[LSIO_CLASS_COUNT] = {
	/* 0.95 GiB/s at 256 KiB O_DIRECT; 58k IOPS at depth 128; 8.7k at
	 * depth 1 (115 us): break-even 16 KiB at depth >= 8, 112 KiB at 1. */
	[LSIO_CLASS_SSD] = { 972 * MiB, 58000, 115000 },
	/* 7200 rpm: ~200 MiB/s streaming, ~8 ms per random read, ~200 IOPS
	 * even with NCQ: a seek is worth 1 MiB of streaming. */
	[LSIO_CLASS_HDD] = { 200 * MiB, 200, 8000000 },
	/* Cached data copies at ~10 GiB/s per core; a read costs ~0.4 us
	 * beyond its copy (submission, page-cache lookup): 4 KiB. */
	[LSIO_CLASS_MEMORY] = { 10 * GiB, 2500000, 400 },
	/* 10 GbE ~1 GiB/s; an RPC ~0.5 ms; a few thousand small reads/s per
	 * client from a typical NFS/SMB server: 256 KiB. */
	[LSIO_CLASS_NETFS] = { 1 * GiB, 4096, 500000 },
	/* ~4 GiB/s per client, ~1 ms per RPC, ~4k RPCs/s: 1 MiB. */
	[LSIO_CLASS_PARALLELFS] = { 4 * GiB, 4096, 1000000 },
	/* ~1 GiB/s per client, ~30 ms to the first byte (S3), until a run
	 * has measured the host (io/host_cache.c).  No request budget: with
	 * 256 GETs in flight a request costs 30 ms / 256 of the run, worth
	 * ~120 KiB of transfer, and a fixed 1 MiB (object_store's, zarr-
	 * python's) read dense 64 KiB ranges 5.6 times over (RESULTS.md). */
	[LSIO_CLASS_REMOTE] = { 1 * GiB, 0, 30000000 },
};

void lsio_class_model(enum lsio_storage_class c,
		      const struct lsio_storage_info *info,
		      struct lsio_device_model *m)
{
	*m = class_models[(unsigned)c < LSIO_CLASS_COUNT ? c : LSIO_CLASS_SSD];
	/* A probe measured this device's depth-1 latency, but a cache (the
	 * drive's, a VM host's) can flatter it: it may only make it slower. */
	if (info && info->probe_ns > 0 &&
	    (c == LSIO_CLASS_SSD || c == LSIO_CLASS_HDD))
		m->latency_ns = MAX(m->latency_ns, (uint64_t)info->probe_ns);
	/* A host's measured first-byte time is its latency, faster or not. */
	if (info && info->probe_ns > 0 && c == LSIO_CLASS_REMOTE)
		m->latency_ns = (uint64_t)info->probe_ns;
}

/*
 * Merging two reads saves one request and costs gap / bandwidth.  A request
 * costs max(latency / depth, 1 / iops_max) of device time (Little's law,
 * capped by the device), so the break-even gap is bandwidth times that.
 * This is the rule "read + gap < bandwidth / IOPS" with IOPS taken
 * at the read's own size (IOPS(s) = 1 / (cost + s / bandwidth)): the read
 * size cancels out.  fio here agrees: 16 KiB at depth 32 and ~128 KiB at
 * depth 1 (model: 16 and 112 KiB).  Its 32 KiB for 64 KiB reads is one step
 * of a power-of-two sweep on a +-30% machine, and near break-even either
 * choice costs a few percent, so the gap depends on depth, not read size.
 */
uint64_t lsio_coalesce_gap_for(const struct lsio_device_model *m,
			       unsigned depth)
{
	double by_latency = (double)m->bandwidth * (double)m->latency_ns / 1e9 /
			    (depth ? depth : 1);
	uint64_t gap = m->iops_max ? m->bandwidth / m->iops_max : 0;

	/* Integer division keeps round figures (1 GiB/s / 1024) exact. */
	if (by_latency >= (double)GiB)
		gap = GiB;
	else if (by_latency > (double)gap)
		gap = (uint64_t)by_latency;
	/* Adjacent reads always merge: a gap of 0 would mean "off". */
	return MAX(MIN(gap, GiB) / (4 * KiB) * (4 * KiB), 4 * KiB);
}

/*
 * Defaults; one line of reasoning each (recorded in tests/bench/RESULTS.md).
 * coalesce_gap comes from the model at the class's queue depth.
 */
static const struct lsio_class_params class_params[LSIO_CLASS_COUNT] = {
	[LSIO_CLASS_SSD] = {
		.max_request = 2 * MiB,	/* 256 KiB already streams at full speed; 2 MiB costs <1% in overhead */
		.split = 8 * MiB,	/* one request up to 8 MiB runs at full speed too; the kernel splits it */
		.part_size = 2 * MiB,	/* bigger reads become parts that overlap across the queue */
		.queue_depth = 64,	/* 58k IOPS needs ~7 in flight; 64 x 2 workers fills 128 tags */
	},
	[LSIO_CLASS_HDD] = {
		.max_request = 32 * MiB,	/* an 8 ms seek is <5% of a 32 MiB read */
		.split = 0,		/* parts of one span are sequential anyway: no gain */
		.queue_depth = 4,	/* NCQ gains little beyond 4; deeper only adds latency */
		.offset_order = true,	/* the head moves one way */
	},
	[LSIO_CLASS_MEMORY] = {
		.max_request = 4 * MiB,	/* bigger copies only delay the first stage */
		.split = 0,		/* cached reads complete inline on one core: parts would serialise */
		.queue_depth = 32,	/* depth only batches submissions here */
	},
	[LSIO_CLASS_NETFS] = {
		.max_request = 16 * MiB,	/* 16 rsize RPCs of 1 MiB, sent in parallel by the client */
		.split = 16 * MiB,
		.part_size = 8 * MiB,	/* two parts keep two slots busy for a big chunk */
		.queue_depth = 32,	/* more only queues in the RPC slot table and on the server */
	},
	[LSIO_CLASS_PARALLELFS] = {	/* sizes in stripes: see class_defaults_stripe() */
		.queue_depth = 64,	/* many servers (OSTs/NSDs) answer in parallel */
	},
	[LSIO_CLASS_REMOTE] = {
		.max_request = 16 * MiB,	/* ~0.2 s per connection: latency amortised, no giant retries */
		.split = 16 * MiB,
		.part_size = 8 * MiB,	/* AWS's advice for ranged GETs: 8-16 MB */
		/* Requests in flight per worker: at 20 ms per request, 64 left
		 * lsio latency-bound at 2.1x fsspec; 128 gave 3.1x (RESULTS.md,
		 * remote).  s5cmd and the AWS CRT run hundreds too. */
		.queue_depth = 128,
	},
};

/* A read spanning up to 4 stripes hits up to 4 servers at once; parts of
 * one stripe each go to one server. */
static void class_defaults_stripe(const struct lsio_storage_info *info,
				  struct lsio_class_params *out)
{
	uint64_t stripe = info && info->stripe ? info->stripe : STRIPE_DEFAULT;

	out->max_request = 4 * stripe;
	out->split = stripe;
	out->part_size = stripe;
}

void lsio_class_defaults(enum lsio_storage_class c,
			 const struct lsio_storage_info *info,
			 struct lsio_class_params *out)
{
	struct lsio_device_model m;

	if ((unsigned)c >= LSIO_CLASS_COUNT)
		c = LSIO_CLASS_SSD;
	*out = class_params[c];
	lsio_class_model(c, info, &m);
	out->coalesce_gap = lsio_coalesce_gap_for(&m, out->queue_depth);
	if (c == LSIO_CLASS_PARALLELFS)
		class_defaults_stripe(info, out);
	/* O_DIRECT only on local disks: elsewhere the page cache is the
	 * device (memory) or the client's cache batches RPCs for us. */
	if (c == LSIO_CLASS_SSD || c == LSIO_CLASS_HDD)
		out->align = info && info->dio_align ? info->dio_align : 4096;
}
