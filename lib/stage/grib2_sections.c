/* SPDX-License-Identifier: MIT */
/*
 * grib2_sections.c - walk the sections of one GRIB2 message and find one
 * field: the grid (section 3), the data representation (5), the bitmap
 * (6) and the data (7) that apply to it.
 *
 * A message is section 0 (16 octets: "GRIB", discipline, edition 2, total
 * length), then sections that each begin with a 4-octet length and a
 * 1-octet number, then "7777".  Sections 2-7 may repeat: each section 7
 * ends one field, described by the latest section 3, 4, 5 and 6 before it
 * (WMO Manual on Codes, FM 92 GRIB, regulation 92.9).  Every length is
 * checked against the bytes present before anything is read.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "grib2.h"

int grib2_fail(char *why, size_t cap, int err, const char *fmt, ...)
{
	va_list ap;

	/* Every message says which stage it comes from, as the codecs' do. */
	if (why && cap > 8) {
		memcpy(why, "grib2: ", 8);
		va_start(ap, fmt);
		vsnprintf(why + 7, cap - 7, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* Where the walk is: the latest sections seen, by octet 1 of each. */
struct walk {
	const uint8_t *sec3, *sec5, *sec6, *bitmap;
	uint32_t len3, len5, len6;
	size_t bitmap_len;
	bool have6;		/* a section 6 since the last section 4 */
};

/* The shape of 3.0/3.1/3.40/3.41 (Ni, Nj at octets 31-38, scanning mode
 * at 72) and of 3.20/3.30 (Nx, Ny at 31-38, scanning mode at 65). */
int grib2_grid_read(const uint8_t *s, uint32_t len, struct grib2_field *f,
		    char *why, size_t cap)
{
	uint32_t scan_at;

	if (len < 14)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "section 3 is %u octets, shorter than its 14-octet header",
				  len);
	f->npoints = grib2_u32(s + 6);
	f->grid_tmpl = grib2_u16(s + 12);
	switch (f->grid_tmpl) {
	case 0: case 1: case 40: case 41:
		scan_at = 71;
		break;
	case 20: case 30:
		scan_at = 64;
		break;
	default:
		return grib2_fail(why, cap, -LSIO_ENOTSUP,
				  "grid definition template 3.%u is not supported",
				  f->grid_tmpl);
	}
	if (len <= scan_at)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "section 3 is %u octets, template 3.%u needs %u",
				  len, f->grid_tmpl, scan_at + 1);
	f->ni = grib2_u32(s + 30);
	f->nj = grib2_u32(s + 34);
	f->scan = s[scan_at];
	/* A reduced grid lists its row lengths (octet 11) and has Ni missing:
	 * ecCodes gives it as one row of numberOfPoints. */
	if (s[10] || f->ni == UINT32_MAX) {
		f->ni = f->nj = 0;
		return 0;
	}
	if ((uint64_t)f->ni * f->nj != f->npoints)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "section 3: %u x %u points, but the grid says %llu",
				  f->ni, f->nj, (unsigned long long)f->npoints);
	return 0;
}

static int bitmap_read(struct walk *w, const uint8_t *s, uint32_t len,
		       char *why, size_t cap)
{
	if (len < 6)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "section 6 is %u octets, shorter than its 6-octet header",
				  len);
	w->have6 = true;
	switch (s[5]) {
	case 0:		/* a bitmap follows; later fields may refer to it */
		w->sec6 = s;
		w->len6 = len;
		w->bitmap = s + 6;
		w->bitmap_len = len - 6;
		return 0;
	case 254:	/* the bitmap defined earlier in this message */
		if (!w->sec6)
			return grib2_fail(why, cap, -LSIO_EDATA,
					  "section 6 refers to a previous bitmap, but none came before");
		w->bitmap = w->sec6 + 6;
		w->bitmap_len = w->len6 - 6;
		return 0;
	case 255:	/* no bitmap: every point has a value */
		w->bitmap = NULL;
		w->bitmap_len = 0;
		return 0;
	default:
		return grib2_fail(why, cap, -LSIO_ENOTSUP,
				  "predefined bitmap %u (section 6) is not supported",
				  s[5]);
	}
}

/* The field ends at this section 7: check that it has what it needs. */
static int field_fill(const struct walk *w, const uint8_t *s7, uint32_t len7,
		      struct grib2_field *f, char *why, size_t cap)
{
	int ret;

	if (!w->sec3 || !w->sec5 || !w->have6)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "section 7 without a section %s before it",
				  !w->sec3 ? "3" : !w->sec5 ? "5" : "6");
	ret = grib2_grid_read(w->sec3, w->len3, f, why, cap);
	if (ret)
		return ret;
	if (w->len5 < 11)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "section 5 is %u octets, shorter than its 11-octet header",
				  w->len5);
	f->nvalues = grib2_u32(w->sec5 + 5);
	f->drs_tmpl = grib2_u16(w->sec5 + 9);
	f->drs = w->sec5;
	f->drs_len = w->len5;
	f->bitmap = w->bitmap;
	if (f->bitmap && w->bitmap_len < (f->npoints + 7) / 8)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "bitmap of %zu octets is short for %llu points",
				  w->bitmap_len, (unsigned long long)f->npoints);
	if (f->nvalues > f->npoints)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "section 5 declares %llu values for %llu points",
				  (unsigned long long)f->nvalues,
				  (unsigned long long)f->npoints);
	f->data = s7 + 5;
	f->data_len = len7 - 5;
	return 0;
}

static int section_header(const uint8_t *msg, size_t pos, size_t end,
			  uint32_t *len, char *why, size_t cap)
{
	if (end - pos < 5)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "truncated: %zu octets left at byte %zu, no end section '7777'",
				  end - pos, pos);
	*len = grib2_u32(msg + pos);
	if (*len < 5 || *len > end - pos)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "section %u at byte %zu declares %u octets, %zu are left",
				  msg[pos + 4], pos, *len, end - pos);
	return 0;
}

static int header_check(const uint8_t *msg, size_t len, size_t *end,
			char *why, size_t cap)
{
	uint64_t total = 0;

	if (len < 16 || memcmp(msg, "GRIB", 4))
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "not a GRIB message (no 'GRIB' in the first 16 of %zu bytes)",
				  len);
	if (msg[7] != 2)
		return grib2_fail(why, cap, -LSIO_ENOTSUP,
				  "GRIB edition %u is not supported (only 2)", msg[7]);
	for (int i = 8; i < 16; i++)
		total = total << 8 | msg[i];
	if (total > len)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "truncated: section 0 says %llu bytes, the chunk has %zu",
				  (unsigned long long)total, len);
	if (total < 16 + 4)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "section 0 says %llu bytes, too short for a message",
				  (unsigned long long)total);
	/* Checked first, so a field found before the end is also refused
	 * when the message was cut or overrun. */
	if (memcmp(msg + total - 4, "7777", 4))
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "no end section '7777' at byte %llu, where section 0 says the message ends",
				  (unsigned long long)total - 4);
	*end = (size_t)total;	/* bytes after the message are ignored */
	return 0;
}

int grib2_field_find(const uint8_t *msg, size_t len, uint32_t field,
		     struct grib2_field *f, char *why, size_t cap)
{
	struct walk w = { 0 };
	uint32_t seen = 0, slen = 0;
	size_t end = 0, pos = 16;
	int ret = header_check(msg, len, &end, why, cap);

	memset(f, 0, sizeof(*f));
	while (!ret) {
		if (end - pos >= 4 && !memcmp(msg + pos, "7777", 4))
			break;
		ret = section_header(msg, pos, end, &slen, why, cap);
		if (ret)
			return ret;
		switch (msg[pos + 4]) {
		case 1: case 2:
			break;
		case 3:
			w.sec3 = msg + pos;
			w.len3 = slen;
			break;
		case 4:
			w.have6 = false;
			break;
		case 5:
			w.sec5 = msg + pos;
			w.len5 = slen;
			break;
		case 6:
			ret = bitmap_read(&w, msg + pos, slen, why, cap);
			break;
		case 7:
			if (++seen == field)
				return field_fill(&w, msg + pos, slen, f, why, cap);
			break;
		default:
			return grib2_fail(why, cap, -LSIO_EDATA,
					  "unknown section %u at byte %zu",
					  msg[pos + 4], pos);
		}
		pos += slen;
	}
	if (ret)
		return ret;
	return grib2_fail(why, cap, -LSIO_EDATA,
			  "the message has %u field%s, field %u was asked for",
			  seen, seen == 1 ? "" : "s", field);
}
