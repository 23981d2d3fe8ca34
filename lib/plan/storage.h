/* SPDX-License-Identifier: MIT */
/*
 * storage.h - what kind of storage a source lives on, and the planner's
 * defaults for each kind.
 *
 * Classification is split in two so it can be tested with recorded
 * environments: lsio_storage_gather() collects facts from the running
 * system (statfs, statx, /proc/self/mountinfo, sysfs, a latency probe) and
 * lsio_storage_decide() turns facts into a class and a one-line reason
 * without touching the system.  lsio_storage_classify() does both.
 */
#ifndef LSIO_STORAGE_H
#define LSIO_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"

#define LSIO_REASON_MAX 128

/* What the classifier concluded about one source. */
struct lsio_storage_info {
	enum lsio_storage_class cls;
	char reason[LSIO_REASON_MAX];	/* for `lsio plan`, never empty */
	uint32_t dio_align;	/* O_DIRECT offset/length alignment, 0 = none */
	uint64_t stripe;	/* parallel FS stripe size, 0 otherwise */
	dev_t dev;		/* st_dev of the source, 0 for URLs */
	int64_t probe_ns;	/* median random 4 KiB read, -1 = not probed */
	uint32_t nr_requests;	/* the disk's queue/nr_requests, 0 = unknown */
	bool sizeless;		/* proc, sysfs...: files are read to their
				 * end, whatever st_size says */
};

/* The facts a decision is made from; lsio_storage_decide() is a pure
 * function of this struct, so tests can replay any machine. */
struct lsio_storage_facts {
	bool is_url;
	char scheme[8];		/* "s3", "https", ... */
	uint64_t fs_type;	/* statfs f_type */
	char fs_name[32];	/* mountinfo type ("ext4", "fuse.sshfs"), "" = unknown */
	uint64_t blksize;	/* st_blksize: the stripe size on parallel FSs */
	dev_t dev;
	char via[48];		/* loop devices crossed: "loop0 -> " */
	char disk[64];		/* sysfs path to the disk: "dm-0>sda", "" = none */
	int rotational;		/* queue/rotational: 1, 0, -1 = unknown */
	uint32_t logical_block;	/* queue/logical_block_size, 0 = unknown */
	uint32_t nr_requests;	/* queue/nr_requests, 0 = unknown */
	bool dio_known;		/* statx reported STATX_DIOALIGN */
	uint32_t dio_align;	/* stx_dio_offset_align (0: no O_DIRECT) */
	int64_t probe_ns;	/* median random read latency, -1 = none */
	char no_probe[40];	/* why no probe ran, "" if it did */
};

/*
 * Classify the source at path (a file or an http/https/s3/gs URL); fd, when
 * >= 0, is an open descriptor of the same file and saves a lookup (path may
 * then be NULL).  URLs never touch the file system.  The first time a device
 * with rotational=1 (or no flag) is seen, a few random O_DIRECT reads decide
 * between ssd and hdd; the result is cached per device for the process.
 * out is always filled (a failure yields class ssd and says why).  Returns 0
 * or -errno when the file cannot be examined.  Thread-safe.
 */
int lsio_storage_classify(const char *path, int fd,
			  struct lsio_storage_info *out);

/* Fill facts from the running system (the part of classify that looks).
 * Returns 0 or -errno. */
int lsio_storage_gather(const char *path, int fd,
			struct lsio_storage_facts *f);

/* Decide class and reason from facts alone. */
void lsio_storage_decide(const struct lsio_storage_facts *f,
			 struct lsio_storage_info *out);

/*
 * Find the disk behind block device dev under the sysfs tree at root,
 * following partitions to their disk and device-mapper/md devices to their
 * slaves.  Fills f->disk, rotational, logical_block and nr_requests.
 * Returns 0 when a disk was found, 1 when dev (or a slave of it) is a loop
 * device (its backing file is copied into backing), -ENOENT when sysfs
 * knows no such device, -ELOOP when the stack is implausibly deep.
 */
int lsio_storage_sysfs(const char *root, dev_t dev,
		       struct lsio_storage_facts *f, char *backing, size_t cap);

/* true for http://, https://, s3://, gs:// and az:// (scheme
 * case-insensitive). */
bool lsio_storage_is_url(const char *path);

/* Number of latency probes this process has really run (for tests). */
unsigned lsio_storage_probes_run(void);

/*
 * A device's cost model: a request costs max(latency / depth, 1 / iops_max)
 * of device time plus its bytes at the sequential bandwidth.  Reading
 * through a gap pays when gap / bandwidth is less than one request's cost,
 * so the break-even gap is bandwidth * max(latency / depth, 1 / iops_max).
 */
struct lsio_device_model {
	uint64_t bandwidth;	/* sequential bytes per second */
	uint64_t iops_max;	/* small random reads per second, deep queue */
	uint64_t latency_ns;	/* one small random read at depth 1 */
};

/* The model behind class c's defaults; info (may be NULL) supplies a probed
 * latency where there is one. */
void lsio_class_model(enum lsio_storage_class c,
		      const struct lsio_storage_info *info,
		      struct lsio_device_model *m);

/*
 * The largest gap worth reading through with depth requests in flight to
 * the device (all workers together), rounded down to 4 KiB.  It does not
 * depend on the read size: see storage.c.
 */
uint64_t lsio_coalesce_gap_for(const struct lsio_device_model *m,
			       unsigned depth);

/* The defaults of class c; info (may be NULL) supplies the O_DIRECT
 * alignment, a parallel FS's stripe and a probed latency. */
void lsio_class_defaults(enum lsio_storage_class c,
			 const struct lsio_storage_info *info,
			 struct lsio_class_params *out);

#endif /* LSIO_STORAGE_H */
