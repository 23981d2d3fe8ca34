/* SPDX-License-Identifier: MIT */
/*
 * test_storage.c - the storage classifier and the per-class defaults.
 *
 *  1. decide(): recorded facts for every class, no system access;
 *  2. the sysfs walk over a fake tree (partition -> disk, dm -> slaves,
 *     md, loop, a cycle), built in a temporary directory;
 *  3. classify() end to end on real files with LSIO_SYSFS_ROOT pointing
 *     the real st_dev at devices of the fake tree;
 *  4. the defaults table and the coalescing-gap model;
 *  5. live: a file in /tmp and in /dev/shm on this machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "plan/storage.h"
#include "unit.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)

static char top[PATH_MAX];	/* the test's temporary directory */
static char sys[PATH_MAX];	/* the fake sysfs inside it */

/* --- helpers ------------------------------------------------------------- */

/* snprintf without -Wformat-truncation's guesses: paths here are short. */
__attribute__((format(printf, 3, 4)))
static void fmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, cap, f, ap);
	va_end(ap);
}

static void mkdirs(const char *path)
{
	char buf[PATH_MAX];

	fmt(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	mkdir(buf, 0755);
}

static void parent_dirs(const char *path)
{
	char buf[PATH_MAX];

	fmt(buf, sizeof(buf), "%s", path);
	*strrchr(buf, '/') = '\0';
	mkdirs(buf);
}

/* Write text to sys/rel (sysfs values end in a newline, as the kernel's). */
static void put(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *fp;

	fmt(path, sizeof(path), "%s/%s", sys, rel);
	parent_dirs(path);
	fp = fopen(path, "w");
	if (!fp) {
		perror(path);
		exit(1);
	}
	fprintf(fp, "%s\n", text);
	fclose(fp);
}

/* root/rel -> sys/target, a symlink as in /sys/dev/block and slaves/. */
static void link_in(const char *root, const char *rel, const char *target)
{
	char path[PATH_MAX], to[PATH_MAX];

	fmt(path, sizeof(path), "%s/%s", root, rel);
	fmt(to, sizeof(to), "%s/%s", sys, target);
	parent_dirs(path);
	if (symlink(to, path) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
}

static void disk(const char *dir, int rot, int lbs, int nr)
{
	char rel[256], v[32];

	fmt(rel, sizeof(rel), "%s/queue/rotational", dir);
	fmt(v, sizeof(v), "%d", rot);
	put(rel, v);
	fmt(rel, sizeof(rel), "%s/queue/logical_block_size", dir);
	fmt(v, sizeof(v), "%d", lbs);
	put(rel, v);
	fmt(rel, sizeof(rel), "%s/queue/nr_requests", dir);
	fmt(v, sizeof(v), "%d", nr);
	put(rel, v);
}

#define SDA "devices/pci0/block/sda"
#define NVME "devices/pci0/block/nvme0n1"
#define VIRT "devices/virtual/block"

/* A sysfs as a machine with a SATA disk, an NVMe drive, LVM, md RAID and
 * loop devices would have it (only the files the classifier reads). */
static void fake_sysfs(void)
{
	disk(SDA, 1, 4096, 64);
	put(SDA "/sda2/partition", "2");
	disk(NVME, 0, 512, 1023);
	put(NVME "/nvme0n1p1/partition", "1");
	disk(VIRT "/dm-0", 1, 4096, 128);		/* LVM on sda2 */
	link_in(sys, VIRT "/dm-0/slaves/sda2", SDA "/sda2");
	disk(VIRT "/dm-1", 1, 4096, 128);		/* dm-crypt on LVM */
	link_in(sys, VIRT "/dm-1/slaves/dm-0", VIRT "/dm-0");
	disk(VIRT "/md0", 0, 4096, 128);		/* RAID1 of nvme + sda */
	link_in(sys, VIRT "/md0/slaves/nvme0n1p1", NVME "/nvme0n1p1");
	link_in(sys, VIRT "/md0/slaves/sda2", SDA "/sda2");
	disk(VIRT "/loop0", 1, 512, 128);
	put(VIRT "/loop0/loop/backing_file", "/srv/images/disk.img");
	disk(VIRT "/dm-2", 1, 512, 128);		/* LVM on a loop device */
	link_in(sys, VIRT "/dm-2/slaves/loop0", VIRT "/loop0");
	disk(VIRT "/dm-9", 0, 512, 128);		/* a cycle: never in real life */
	link_in(sys, VIRT "/dm-9/slaves/dm-9", VIRT "/dm-9");
	disk(VIRT "/zram0", 0, 4096, 0);		/* slaves/ exists, empty */
	put(VIRT "/zram0/slaves/.keep", "");

	link_in(sys, "dev/block/8:0", SDA);
	link_in(sys, "dev/block/8:2", SDA "/sda2");
	link_in(sys, "dev/block/259:0", NVME);
	link_in(sys, "dev/block/259:1", NVME "/nvme0n1p1");
	link_in(sys, "dev/block/253:0", VIRT "/dm-0");
	link_in(sys, "dev/block/253:1", VIRT "/dm-1");
	link_in(sys, "dev/block/253:2", VIRT "/dm-2");
	link_in(sys, "dev/block/253:9", VIRT "/dm-9");
	link_in(sys, "dev/block/9:0", VIRT "/md0");
	link_in(sys, "dev/block/7:0", VIRT "/loop0");
	link_in(sys, "dev/block/251:0", VIRT "/zram0");
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

static int write_file(const char *path, size_t size)
{
	char buf[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -errno;
	for (size_t done = 0; done < size; done += sizeof(buf)) {
		memset(buf, (int)(done / sizeof(buf)), sizeof(buf));
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return -EIO;
	}
	/* The probe reads with O_DIRECT: dirty pages would be flushed first. */
	fsync(fd);
	close(fd);
	return 0;
}

static bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* --- 1. decide() over recorded facts --------------------------------------- */

struct decide_case {
	const char *name;
	struct lsio_storage_facts f;
	enum lsio_storage_class want;
	const char *reason;	/* substring of the reason */
	uint64_t stripe;
};

/* Facts start as "nothing known"; a case overrides what it recorded. */
#pragma GCC diagnostic ignored "-Woverride-init"
#define FACTS(...) { .rotational = -1, .probe_ns = -1, __VA_ARGS__ }

static const struct decide_case decide_cases[] = {
	{ "s3 url", FACTS(.is_url = true, .scheme = "s3"),
	  LSIO_CLASS_REMOTE, "s3 URL: remote", 0 },
	{ "https url", FACTS(.is_url = true, .scheme = "https"),
	  LSIO_CLASS_REMOTE, "https URL: remote", 0 },
	{ "tmpfs", FACTS(.fs_type = 0x01021994),
	  LSIO_CLASS_MEMORY, "tmpfs: in memory, no disk: memory", 0 },
	{ "ramfs", FACTS(.fs_type = 0x858458f6),
	  LSIO_CLASS_MEMORY, "ramfs", 0 },
	{ "procfs", FACTS(.fs_type = 0x9fa0, .fs_name = "proc"),
	  LSIO_CLASS_MEMORY, "proc: in memory", 0 },
	{ "nfs", FACTS(.fs_type = 0x6969, .fs_name = "nfs4"),
	  LSIO_CLASS_NETFS, "nfs4: network file system: netfs", 0 },
	{ "cephfs", FACTS(.fs_type = 0x00c36400),
	  LSIO_CLASS_NETFS, "ceph", 0 },
	{ "cifs", FACTS(.fs_type = 0xff534d42),
	  LSIO_CLASS_NETFS, "cifs", 0 },
	{ "smb2", FACTS(.fs_type = 0xfe534d42),
	  LSIO_CLASS_NETFS, "smb2", 0 },
	{ "smb", FACTS(.fs_type = 0x517b),
	  LSIO_CLASS_NETFS, "smb", 0 },
	{ "sshfs", FACTS(.fs_type = 0x65735546, .fs_name = "fuse.sshfs"),
	  LSIO_CLASS_NETFS, "fuse.sshfs", 0 },
	{ "fuseblk is a disk", FACTS(.fs_type = 0x65735546, .fs_name = "fuseblk",
				     .disk = "sdb", .rotational = 0),
	  LSIO_CLASS_SSD, "fuseblk on sdb: rotational=0: ssd", 0 },
	{ "lustre", FACTS(.fs_type = 0x0bd00bd0, .blksize = 4 * MiB),
	  LSIO_CLASS_PARALLELFS, "lustre, stripe 4096 KiB", 4 * MiB },
	{ "gpfs", FACTS(.fs_type = 0x47504653, .blksize = 16 * MiB),
	  LSIO_CLASS_PARALLELFS, "gpfs", 16 * MiB },
	{ "beegfs", FACTS(.fs_type = 0x19830326, .blksize = 512 * KiB),
	  LSIO_CLASS_PARALLELFS, "beegfs, stripe 512 KiB", 512 * KiB },
	{ "lustre, no stripe", FACTS(.fs_type = 0x0bd00bd0, .blksize = 4096),
	  LSIO_CLASS_PARALLELFS, "assumed 1 MiB", MiB },
	{ "nvme", FACTS(.fs_type = 0xef53, .fs_name = "ext4", .disk = "nvme0n1",
			.rotational = 0),
	  LSIO_CLASS_SSD, "ext4 on nvme0n1: rotational=0: ssd", 0 },
	{ "virtio, fast probe", FACTS(.fs_type = 0xef53, .fs_name = "ext4",
				      .disk = "vda", .rotational = 1,
				      .probe_ns = 120000),
	  LSIO_CLASS_SSD,
	  "ext4 on vda: rotational=1 but random 4 KiB reads take 0.12 ms: treated as ssd", 0 },
	{ "hdd, slow probe", FACTS(.fs_type = 0x58465342, .disk = "dm-0>sda",
				   .rotational = 1, .probe_ns = 8300000),
	  LSIO_CLASS_HDD,
	  "xfs on dm-0>sda: rotational=1, random 4 KiB reads take 8.30 ms: hdd", 0 },
	{ "hdd, no probe", FACTS(.fs_type = 0xef53, .disk = "sda", .rotational = 1,
				 .no_probe = "file < 64 KiB"),
	  LSIO_CLASS_HDD, "rotational=1, not probed (file < 64 KiB): hdd", 0 },
	{ "btrfs, no disk, slow", FACTS(.fs_type = 0x9123683e, .dev = 0x2d,
					.probe_ns = 9000000),
	  LSIO_CLASS_HDD,
	  "btrfs (no disk in sysfs for 0:45): random 4 KiB reads take 9.00 ms: hdd", 0 },
	{ "overlay, no disk, fast", FACTS(.fs_type = 0x794c7630, .probe_ns = 90000),
	  LSIO_CLASS_SSD, "overlay", 0 },
	{ "unknown fs, nothing known", FACTS(.fs_type = 0x1234, .no_probe = "O_DIRECT refused"),
	  LSIO_CLASS_SSD, "fs 0x1234 (no disk in sysfs for 0:0): not probed (O_DIRECT refused): assumed ssd", 0 },
	{ "loop on tmpfs", FACTS(.fs_type = 0x01021994, .via = "loop3 -> "),
	  LSIO_CLASS_MEMORY, "loop3 -> tmpfs: in memory, no disk", 0 },
	{ "long chain is cut", FACTS(.fs_type = 0xef53, .fs_name = "ext4",
				     .via = "loop0 -> loop1 -> loop2 -> loop3 -> ",
				     .disk = "dm-10>dm-11>dm-12>dm-13>md127>nvme10n1+7",
				     .rotational = 1,
				     .no_probe = "loops nested too deep"),
	  LSIO_CLASS_HDD, "loop0 -> loop1", 0 },
};

static void test_decide(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(decide_cases); i++) {
		const struct decide_case *c = &decide_cases[i];
		struct lsio_storage_info info;

		lsio_storage_decide(&c->f, &info);
		CHECK(info.cls == c->want, "%s: got %s, want %s", c->name,
		      lsio_class_name(info.cls), lsio_class_name(c->want));
		CHECK(has(info.reason, c->reason), "%s: reason '%s' lacks '%s'",
		      c->name, info.reason, c->reason);
		CHECK(strlen(info.reason) > 0 && strlen(info.reason) < LSIO_REASON_MAX,
		      "%s: reason length %zu", c->name, strlen(info.reason));
		CHECK(info.stripe == c->stripe, "%s: stripe %llu", c->name,
		      (unsigned long long)info.stripe);
	}
}

/* The kernel's pseudo file systems make up their files' sizes (0, a
 * page): the planner reads those files to their end. */
static void test_decide_sizeless(void)
{
	static const struct {
		uint64_t fs_type;
		bool sizeless;
	} v[] = { { 0x9fa0, true }, { 0x62656572, true }, { 0x74726163, true },
		  { 0x63677270, true }, { 0x01021994, false }, { 0xef53, false },
		  { 0x6969, false }, { 0x1234, false } };

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		struct lsio_storage_facts f = FACTS(.fs_type = v[i].fs_type);
		struct lsio_storage_info info;

		lsio_storage_decide(&f, &info);
		CHECK(info.sizeless == v[i].sizeless, "fs 0x%llx: sizeless %d",
		      (unsigned long long)v[i].fs_type, info.sizeless);
	}
}

/* dio_align: statx's answer wins (0 = O_DIRECT unsupported), else the
 * logical block size. */
static void test_decide_align(void)
{
	struct lsio_storage_facts f = FACTS(.fs_type = 0xef53, .rotational = 0,
					    .logical_block = 4096);
	struct lsio_storage_info info;

	lsio_storage_decide(&f, &info);
	CHECK(info.dio_align == 4096, "align from sysfs %u", info.dio_align);
	f.dio_known = true;
	f.dio_align = 512;
	lsio_storage_decide(&f, &info);
	CHECK(info.dio_align == 512, "align from statx %u", info.dio_align);
	f.dio_align = 0;
	lsio_storage_decide(&f, &info);
	CHECK(info.dio_align == 0, "statx says no O_DIRECT %u", info.dio_align);
}

/* --- 2. the sysfs walk --------------------------------------------------------- */

struct sysfs_case {
	unsigned maj, min;
	int ret;
	const char *disk;
	int rot;
	uint32_t lbs, nr;
	const char *backing;
};

static const struct sysfs_case sysfs_cases[] = {
	{ 8, 0, 0, "sda", 1, 4096, 64, NULL },
	{ 8, 2, 0, "sda", 1, 4096, 64, NULL },		/* partition -> disk */
	{ 259, 1, 0, "nvme0n1", 0, 512, 1023, NULL },
	{ 253, 0, 0, "dm-0>sda", 1, 4096, 64, NULL },	/* dm -> slave */
	{ 253, 1, 0, "dm-1>dm-0>sda", 1, 4096, 64, NULL },
	/* md: the first slave names it, any spinning member makes it spin,
	 * the largest block size wins */
	{ 9, 0, 0, "md0>nvme0n1+1", 1, 4096, 1023, NULL },
	{ 7, 0, 1, "loop0", -1, 0, 0, "/srv/images/disk.img" },
	{ 253, 2, 1, "dm-2>loop0", -1, 0, 0, "/srv/images/disk.img" },
	{ 251, 0, 0, "zram0", 0, 4096, 0, NULL },	/* empty slaves/ */
	{ 253, 9, -ELOOP, "", -1, 0, 0, NULL },
	{ 1, 99, -ENOENT, "", -1, 0, 0, NULL },
};

static void test_sysfs(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(sysfs_cases); i++) {
		const struct sysfs_case *c = &sysfs_cases[i];
		struct lsio_storage_facts f = FACTS(.fs_type = 0xef53);
		char backing[PATH_MAX] = "";
		int r = lsio_storage_sysfs(sys, makedev(c->maj, c->min), &f,
					   backing, sizeof(backing));

		CHECK(r == c->ret, "%u:%u: returned %d, want %d", c->maj, c->min,
		      r, c->ret);
		CHECK(!strcmp(f.disk, c->disk), "%u:%u: disk '%s', want '%s'",
		      c->maj, c->min, f.disk, c->disk);
		if (c->ret == 0) {
			CHECK(f.rotational == c->rot, "%u:%u: rotational %d",
			      c->maj, c->min, f.rotational);
			CHECK(f.logical_block == c->lbs, "%u:%u: block %u",
			      c->maj, c->min, f.logical_block);
			CHECK(f.nr_requests == c->nr, "%u:%u: nr_requests %u",
			      c->maj, c->min, f.nr_requests);
		}
		if (c->backing)
			CHECK(!strcmp(backing, c->backing), "%u:%u: backing '%s'",
			      c->maj, c->min, backing);
	}
}

/* --- 3. classify() end to end with the fake sysfs ---------------------------- */

struct e2e_case {
	const char *name;
	const char *target;	/* fake device for the real st_dev, NULL = none */
	const char *file;	/* in top/ */
	const char *probe_us;	/* LSIO_PROBE_LATENCY_US, NULL = really probe */
	enum lsio_storage_class want;
	const char *reason;
};

static const struct e2e_case e2e_cases[] = {
	{ "partition, fast probe", SDA "/sda2", "big", "120", LSIO_CLASS_SSD,
	  "on sda: rotational=1 but random 4 KiB reads take 0.12 ms: treated as ssd" },
	{ "partition, slow probe", SDA "/sda2", "big", "9000", LSIO_CLASS_HDD,
	  "on sda: rotational=1, random 4 KiB reads take 9.00 ms: hdd" },
	{ "nvme partition", NVME "/nvme0n1p1", "big", NULL, LSIO_CLASS_SSD,
	  "on nvme0n1: rotational=0: ssd" },
	{ "dm on dm on disk", VIRT "/dm-1", "big", "9000", LSIO_CLASS_HDD,
	  "on dm-1>dm-0>sda: rotational=1, random" },
	{ "md, fast probe", VIRT "/md0", "big", "300", LSIO_CLASS_SSD,
	  "on md0>nvme0n1+1: rotational=1 but" },
	{ "loop on tmpfs", VIRT "/loop1", "big", NULL, LSIO_CLASS_MEMORY,
	  "loop1 -> tmpfs: in memory, no disk: memory" },
	{ "loop on itself", VIRT "/loop2", "big", NULL, LSIO_CLASS_SSD,
	  "loop2 -> loop2 -> loop2 -> loop2 -> " },
	{ "small file, flag trusted", SDA "/sda2", "small", NULL, LSIO_CLASS_HDD,
	  "rotational=1, not probed (file < 64 KiB): hdd" },
	{ "sparse file, flag trusted", SDA "/sda2", "sparse", NULL, LSIO_CLASS_HDD,
	  "not probed (file is sparse): hdd" },
	{ "loop file gone", VIRT "/loop3", "big", NULL, LSIO_CLASS_SSD,
	  "on loop3: not probed (loop file unreadable): assumed ssd" },
	{ "cycle in sysfs", VIRT "/dm-9", "big", "120", LSIO_CLASS_SSD,
	  "(no disk in sysfs for " },
	{ "no such device, slow", NULL, "big", "9000", LSIO_CLASS_HDD,
	  "(no disk in sysfs for " },
};

/* A root whose dev/block/MAJ:MIN for the temp dir's device leads to target
 * in the shared fake tree. */
static void e2e_root(size_t i, dev_t dev, const char *target, char *root,
		     size_t cap)
{
	char rel[64];

	fmt(root, cap, "%s/e2e%zu", top, i);
	mkdirs(root);
	fmt(rel, sizeof(rel), "dev/block/%u:%u", major(dev), minor(dev));
	if (target)
		link_in(root, rel, target);
}

static void e2e_one(size_t i, dev_t dev)
{
	const struct e2e_case *c = &e2e_cases[i];
	struct lsio_storage_info info;
	char root[PATH_MAX], path[PATH_MAX];
	int r;

	e2e_root(i, dev, c->target, root, sizeof(root));
	setenv("LSIO_SYSFS_ROOT", root, 1);
	if (c->probe_us)
		setenv("LSIO_PROBE_LATENCY_US", c->probe_us, 1);
	else
		unsetenv("LSIO_PROBE_LATENCY_US");
	fmt(path, sizeof(path), "%s/%s", top, c->file);
	r = lsio_storage_classify(path, -1, &info);
	CHECK(r == 0, "%s: classify returned %d", c->name, r);
	CHECK(info.cls == c->want, "%s: got %s (%s), want %s", c->name,
	      lsio_class_name(info.cls), info.reason, lsio_class_name(c->want));
	CHECK(has(info.reason, c->reason), "%s: reason '%s' lacks '%s'",
	      c->name, info.reason, c->reason);
}

/* With no forced result the probe really runs on this machine's disk,
 * once per device: a second file on it reuses the measurement.  The first
 * goes by descriptor alone, so the probe reopens it via /proc/self/fd. */
static void e2e_real_probe(dev_t dev)
{
	struct lsio_storage_info a, b;
	char root[PATH_MAX], path[PATH_MAX];
	unsigned before = lsio_storage_probes_run();
	int fd;

	e2e_root(ARRAY_SIZE(e2e_cases), dev, SDA "/sda2", root, sizeof(root));
	setenv("LSIO_SYSFS_ROOT", root, 1);
	unsetenv("LSIO_PROBE_LATENCY_US");
	fmt(path, sizeof(path), "%s/big", top);
	fd = open(path, O_RDONLY);
	CHECK(lsio_storage_classify(NULL, fd, &a) == 0, "classify by fd");
	close(fd);
	CHECK(a.probe_ns > 0, "probe ran: %s", a.reason);
	CHECK(has(a.reason, "random 4 KiB reads take"), "reason '%s'", a.reason);
	CHECK(lsio_storage_probes_run() == before + 1, "one probe, not %u",
	      lsio_storage_probes_run() - before);

	fmt(path, sizeof(path), "%s/big2", top);
	CHECK(lsio_storage_classify(path, -1, &b) == 0, "classify big2");
	CHECK(b.probe_ns == a.probe_ns, "cached probe %lld vs %lld",
	      (long long)b.probe_ns, (long long)a.probe_ns);
	CHECK(lsio_storage_probes_run() == before + 1, "probe not cached");
	printf("  fake sda + real probe: %s\n", a.reason);
}

static void test_e2e(void)
{
	struct lsio_storage_facts f;
	struct lsio_storage_info info;
	char path[PATH_MAX], shm[PATH_MAX] = "";
	struct stat st;
	int fd;

	/* Only a disk file system reaches sysfs; skip on a tmpfs /tmp. */
	setenv("LSIO_SYSFS_ROOT", top, 1);
	setenv("LSIO_PROBE_LATENCY_US", "-1", 1);
	lsio_storage_gather(top, -1, &f);
	lsio_storage_decide(&f, &info);
	if (info.cls != LSIO_CLASS_SSD && info.cls != LSIO_CLASS_HDD) {
		UNIT_SKIP_CASE("end-to-end cases: %s is %s, not a disk", top,
			       lsio_class_name(info.cls));
		return;
	}
	stat(top, &st);

	fmt(path, sizeof(path), "%s/big", top);
	CHECK(write_file(path, 256 * KiB) == 0, "write %s", path);
	fmt(path, sizeof(path), "%s/big2", top);
	CHECK(write_file(path, 256 * KiB) == 0, "write %s", path);
	fmt(path, sizeof(path), "%s/small", top);
	CHECK(write_file(path, 8 * KiB) == 0, "write %s", path);
	fmt(path, sizeof(path), "%s/sparse", top);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && ftruncate(fd, 64 * MiB) == 0, "sparse file");
	close(fd);

	/* loop1's backing file lives on tmpfs; loop2's on the temp dir's own
	 * device, which maps to loop2 again: a cycle the depth limit ends. */
	fmt(shm, sizeof(shm), "/dev/shm/lsio-test-storage-%d", (int)getpid());
	if (write_file(shm, 4096) == 0) {
		put(VIRT "/loop1/loop/backing_file", shm);
	} else {
		shm[0] = '\0';
		put(VIRT "/loop1/loop/backing_file", "/proc/version");
	}
	fmt(path, sizeof(path), "%s/big", top);
	put(VIRT "/loop2/loop/backing_file", path);
	put(VIRT "/loop3/loop/backing_file", "/nonexistent/disk.img (deleted)");

	for (size_t i = 0; i < ARRAY_SIZE(e2e_cases); i++) {
		if (!shm[0] && !strcmp(e2e_cases[i].name, "loop on tmpfs"))
			continue;
		e2e_one(i, st.st_dev);
	}
	e2e_real_probe(st.st_dev);
	if (shm[0])
		unlink(shm);
	unsetenv("LSIO_SYSFS_ROOT");
	unsetenv("LSIO_PROBE_LATENCY_US");
}

/* --- 4. defaults ----------------------------------------------------------------- */

static void test_defaults_sane(void)
{
	for (int c = 0; c < LSIO_CLASS_COUNT; c++) {
		struct lsio_class_params p;

		lsio_class_defaults(c, NULL, &p);
		CHECK(p.queue_depth > 0, "%s: depth", lsio_class_name(c));
		CHECK(!p.max_request || p.coalesce_gap < p.max_request,
		      "%s: gap %llu >= max %llu", lsio_class_name(c),
		      (unsigned long long)p.coalesce_gap,
		      (unsigned long long)p.max_request);
		CHECK(!p.split || (p.part_size && p.part_size <= p.split),
		      "%s: part %llu, split %llu", lsio_class_name(c),
		      (unsigned long long)p.part_size, (unsigned long long)p.split);
		CHECK(p.part_size % 4096 == 0 && p.coalesce_gap % 4096 == 0,
		      "%s: sizes are 4 KiB multiples", lsio_class_name(c));
		CHECK(!p.align || (p.part_size % p.align == 0),
		      "%s: parts aligned", lsio_class_name(c));
		CHECK(p.offset_order == (c == LSIO_CLASS_HDD), "%s: order",
		      lsio_class_name(c));
	}
}

struct defaults_case {
	enum lsio_storage_class c;
	uint64_t stripe;
	uint32_t dio_align;
	uint64_t gap, max, split, part;
	uint32_t depth, align;
};

static const struct defaults_case defaults_cases[] = {
	{ LSIO_CLASS_SSD, 0, 512, 16 * KiB, 2 * MiB, 8 * MiB, 2 * MiB, 64, 512 },
	{ LSIO_CLASS_SSD, 0, 0, 16 * KiB, 2 * MiB, 8 * MiB, 2 * MiB, 64, 4096 },
	{ LSIO_CLASS_HDD, 0, 4096, MiB, 32 * MiB, 0, 0, 4, 4096 },
	{ LSIO_CLASS_MEMORY, 0, 4096, 4 * KiB, 4 * MiB, 0, 0, 32, 0 },
	{ LSIO_CLASS_NETFS, 0, 0, 256 * KiB, 16 * MiB, 16 * MiB, 8 * MiB, 32, 0 },
	{ LSIO_CLASS_PARALLELFS, 4 * MiB, 0, MiB, 16 * MiB, 4 * MiB, 4 * MiB, 64, 0 },
	{ LSIO_CLASS_PARALLELFS, 0, 0, MiB, 4 * MiB, MiB, MiB, 64, 0 },
	/* 1 GiB/s x 30 ms (unmeasured) / 128 in flight, to 4 KiB */
	{ LSIO_CLASS_REMOTE, 0, 0, 244 * KiB, 16 * MiB, 16 * MiB, 8 * MiB, 128, 0 },
};

static void test_defaults_table(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(defaults_cases); i++) {
		const struct defaults_case *d = &defaults_cases[i];
		struct lsio_storage_info info = { .cls = d->c, .stripe = d->stripe,
						  .dio_align = d->dio_align,
						  .probe_ns = -1 };
		struct lsio_class_params p;
		const char *n = lsio_class_name(d->c);

		lsio_class_defaults(d->c, &info, &p);
		CHECK(p.coalesce_gap == d->gap, "%s: gap %llu", n,
		      (unsigned long long)p.coalesce_gap);
		CHECK(p.max_request == d->max, "%s: max %llu", n,
		      (unsigned long long)p.max_request);
		CHECK(p.split == d->split, "%s: split %llu", n,
		      (unsigned long long)p.split);
		CHECK(p.part_size == d->part, "%s: part %llu", n,
		      (unsigned long long)p.part_size);
		CHECK(p.queue_depth == d->depth, "%s: depth %u", n, p.queue_depth);
		CHECK(p.align == d->align, "%s: align %u", n, p.align);
	}
}

/* The model reproduces fio's break-even gaps on this machine. */
static void test_gap_model(void)
{
	struct lsio_storage_info probed = { .cls = LSIO_CLASS_HDD, .probe_ns = 12000000 };
	struct lsio_device_model m;
	uint64_t g;

	lsio_class_model(LSIO_CLASS_SSD, NULL, &m);
	g = lsio_coalesce_gap_for(&m, 1);
	CHECK(g >= 96 * KiB && g <= 256 * KiB, "ssd depth 1: %llu", (unsigned long long)g);
	CHECK(lsio_coalesce_gap_for(&m, 0) == g, "depth 0 means 1");
	g = lsio_coalesce_gap_for(&m, 32);
	CHECK(g == 16 * KiB, "ssd depth 32: %llu", (unsigned long long)g);
	CHECK(lsio_coalesce_gap_for(&m, 128) == 16 * KiB, "ssd depth 128");
	for (unsigned d = 1; d < 256; d++)
		CHECK(lsio_coalesce_gap_for(&m, d + 1) <= lsio_coalesce_gap_for(&m, d),
		      "gap never grows with depth (%u)", d);

	/* A probed 12 ms disk: at depth 1 a seek is worth > 2 MiB. */
	lsio_class_model(LSIO_CLASS_HDD, &probed, &m);
	CHECK(m.latency_ns == 12000000, "probe feeds the model");
	g = lsio_coalesce_gap_for(&m, 1);
	CHECK(g > 2 * MiB && g < 3 * MiB, "hdd depth 1: %llu", (unsigned long long)g);

	/* A probe flattered by a cache (40 us here) never shrinks the model. */
	probed = (struct lsio_storage_info){ .cls = LSIO_CLASS_SSD, .probe_ns = 40000 };
	lsio_class_model(LSIO_CLASS_SSD, &probed, &m);
	CHECK(m.latency_ns == 115000, "fast probe ignored: %llu",
	      (unsigned long long)m.latency_ns);

	/* A remote host's measured first byte is its latency, either way:
	 * 20 ms and 256 requests in flight make 80 KiB worth a request. */
	probed = (struct lsio_storage_info){ .cls = LSIO_CLASS_REMOTE, .probe_ns = 20000000 };
	lsio_class_model(LSIO_CLASS_REMOTE, &probed, &m);
	CHECK(m.latency_ns == 20000000, "remote latency measured");
	g = lsio_coalesce_gap_for(&m, 256);
	CHECK(g == 80 * KiB, "remote 20 ms / 256: %llu", (unsigned long long)g);
	probed.probe_ns = 100000;	/* loopback: 0.1 ms */
	lsio_class_model(LSIO_CLASS_REMOTE, &probed, &m);
	CHECK(lsio_coalesce_gap_for(&m, 256) == 4 * KiB,
	      "a fast host still merges adjacent reads");

	m = (struct lsio_device_model){ 0 };
	CHECK(lsio_coalesce_gap_for(&m, 4) == 4 * KiB,
	      "empty model: adjacent reads only");
}

static void test_names(void)
{
	static const char *const want[] = { "ssd", "hdd", "memory", "netfs",
					    "parallelfs", "remote" };

	for (int c = 0; c < LSIO_CLASS_COUNT; c++)
		CHECK(!strcmp(lsio_class_name(c), want[c]), "name %d: %s", c,
		      lsio_class_name(c));
	CHECK(!strcmp(lsio_class_name(LSIO_CLASS_COUNT), "unknown"), "bad class");
}

/* --- 5. live, on this machine -------------------------------------------- */

static void test_urls(void)
{
	static const struct { const char *path; bool url; } cases[] = {
		{ "s3://bucket/key", true }, { "gs://b/o", true },
		{ "http://h/x", true }, { "HTTPS://h/x", true },
		{ "/tmp/http://x", false }, { "gsx://b", false },
		{ "s3:/bucket", false }, { "", false },
	};
	struct lsio_storage_info info;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK(lsio_storage_is_url(cases[i].path) == cases[i].url,
		      "is_url(%s)", cases[i].path);
	/* A URL never reaches the file system (the bucket does not exist). */
	CHECK(lsio_storage_classify("s3://no-such-bucket/k", -1, &info) == 0,
	      "classify url");
	CHECK(info.cls == LSIO_CLASS_REMOTE && !strcmp(info.reason, "s3 URL: remote"),
	      "url: %s", info.reason);
	CHECK(lsio_storage_classify("/no/such/file", -1, &info) == -ENOENT,
	      "missing file");
	CHECK(info.cls == LSIO_CLASS_SSD && has(info.reason, "cannot examine"),
	      "missing file: %s", info.reason);
}

static void test_live(void)
{
	struct lsio_storage_info info;
	char path[PATH_MAX];

	fmt(path, sizeof(path), "%s/big", top);
	if (access(path, F_OK) != 0)
		write_file(path, 256 * KiB);
	CHECK(lsio_storage_classify(path, -1, &info) == 0, "classify %s", path);
	CHECK(info.reason[0] && info.cls < LSIO_CLASS_COUNT, "live /tmp");
	printf("  %s: %s (dio_align %u, nr_requests %u)\n", path, info.reason,
	       info.dio_align, info.nr_requests);

	fmt(path, sizeof(path), "/dev/shm/lsio-test-storage-%d", (int)getpid());
	if (write_file(path, 4096) != 0) {
		UNIT_SKIP_CASE("live memory case: cannot write %s", path);
		return;
	}
	CHECK(lsio_storage_classify(path, -1, &info) == 0, "classify %s", path);
	CHECK(info.cls == LSIO_CLASS_MEMORY, "/dev/shm: %s", info.reason);
	printf("  %s: %s\n", path, info.reason);
	unlink(path);
}

int main(void)
{
	setenv("LSIO_TEST_HOOKS", "1", 1);	/* util/testenv.c */
	fmt(top, sizeof(top), "/tmp/lsio-test-storage-XXXXXX");
	if (!mkdtemp(top)) {
		perror(top);
		return 1;
	}
	fmt(sys, sizeof(sys), "%s/sys", top);
	fake_sysfs();

	test_decide();
	test_decide_align();
	test_decide_sizeless();
	test_sysfs();
	test_e2e();
	test_defaults_sane();
	test_defaults_table();
	test_gap_model();
	test_names();
	test_urls();
	test_live();

	nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return unit_done("test_storage");
}
