/* SPDX-License-Identifier: MIT */
/*
 * stage_crc32c.c - the Zarr v3 crc32c codec: the chunk ends with the
 * CRC-32C (Castagnoli) of the bytes before it, 4 bytes little-endian.
 * The stage verifies it and strips it, in place (no copy).
 *
 * On x86-64 with SSE4.2 the crc32 instruction does the work (8 bytes per
 * instruction); elsewhere a slicing-by-8 table.  The choice is made once.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define LSIO_CRC32C_X86 1
#endif

#include "internal.h"
#include "stage.h"

#define CRC32C_POLY 0x82f63b78u	/* reflected Castagnoli polynomial */

static uint32_t crc32c_table[8][256];
static pthread_once_t crc32c_table_once = PTHREAD_ONCE_INIT;

static void crc32c_table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc32c_table[0][i] = c;
	}
	/* table[k][i]: the CRC of byte i followed by k zero bytes. */
	for (int k = 1; k < 8; k++)
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = crc32c_table[k - 1][i];

			crc32c_table[k][i] = (c >> 8) ^
					     crc32c_table[0][c & 0xff];
		}
}

uint32_t lsio_crc32c_sw(uint32_t crc, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint32_t (*t)[256] = crc32c_table;

	pthread_once(&crc32c_table_once, crc32c_table_init);
	crc = ~crc;
	for (; n >= 8; n -= 8, p += 8) {
		uint32_t lo, hi;

		memcpy(&lo, p, 4);	/* little-endian host */
		memcpy(&hi, p + 4, 4);
		lo ^= crc;
		crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^
		      t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
		      t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^
		      t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
	}
	while (n--)
		crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

#ifdef LSIO_CRC32C_X86
__attribute__((target("sse4.2")))
uint32_t lsio_crc32c_hw(uint32_t crc, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint64_t c = ~crc;

	for (; n >= 8; n -= 8, p += 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = _mm_crc32_u64(c, v);
	}
	crc = (uint32_t)c;
	while (n--)
		crc = _mm_crc32_u8(crc, *p++);
	return ~crc;
}

bool lsio_crc32c_hw_available(void)
{
	/* -1 unknown; a benign race: every thread computes the same. */
	static atomic_int have = -1;
	int h = atomic_load_explicit(&have, memory_order_relaxed);

	if (h < 0) {
		__builtin_cpu_init();
		h = __builtin_cpu_supports("sse4.2") ? 1 : 0;
		atomic_store_explicit(&have, h, memory_order_relaxed);
	}
	return h;
}
#else
uint32_t lsio_crc32c_hw(uint32_t crc, const void *buf, size_t n)
{
	return lsio_crc32c_sw(crc, buf, n);
}

bool lsio_crc32c_hw_available(void)
{
	return false;
}
#endif

uint32_t lsio_crc32c(uint32_t crc, const void *p, size_t n)
{
	if (lsio_crc32c_hw_available())
		return lsio_crc32c_hw(crc, p, n);
	return lsio_crc32c_sw(crc, p, n);
}

static int crc32c_run(struct lsio_stage_io *io)
{
	const uint8_t *t;
	uint32_t stored, computed;
	size_t n;
	int ret;

	if (io->in_len < 4)
		return lsio_stage_fail(io, -LSIO_EDATA,
				       "crc32c: %zu bytes is too short for the 4-byte checksum",
				       io->in_len);
	n = io->in_len - 4;
	ret = lsio_stage_check_size(io, "crc32c: data is", n);
	if (ret)
		return ret;
	t = io->in + n;
	stored = lsio_le32(t);
	computed = lsio_crc32c(0, io->in, n);
	if (stored != computed)
		return lsio_stage_fail(io, -LSIO_ECHECKSUM,
				       "crc32c: stored 0x%08x, computed 0x%08x",
				       stored, computed);
	io->out = io->in;
	io->out_len = n;
	return 0;
}

const struct lsio_stage_ops lsio_stage_crc32c = {
	.name = "crc32c",
	.run = crc32c_run,
};
