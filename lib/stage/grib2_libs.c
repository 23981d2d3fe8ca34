/* SPDX-License-Identifier: MIT */
/*
 * grib2_libs.c - the data representation templates whose payload is
 * another format, decoded by the library Debian ships for it:
 *   5.40 JPEG 2000   OpenJPEG (libopenjp2)
 *   5.41 PNG         libpng
 *   5.42 CCSDS/AEC   libaec (what ECMWF's open data uses)
 * Each gives the unsigned integers X that simple packing would have held;
 * stage_grib2.c scales them.  Every image or stream must hold exactly
 * section 5's number of values, checked before its pixels are decoded, so
 * a hostile header cannot make a library allocate more than the output.
 * None of the libraries may print: their message handlers only record.
 */
#include <errno.h>
#include <setjmp.h>
#include <string.h>

#include <libaec.h>
#include <openjpeg.h>
#include <png.h>

#include "internal.h"
#include "grib2.h"

static uint32_t *ints_reserve(struct grib2_state *st, uint64_t n)
{
	if (n > SIZE_MAX / sizeof(uint32_t) ||
	    lsio_scratch_reserve(&st->ints, (size_t)n * sizeof(uint32_t) + 1))
		return NULL;
	return (uint32_t *)(void *)st->ints.p;	/* realloc'd: aligned */
}

/* --- 5.42 CCSDS ---------------------------------------------------------- */

static unsigned aec_sample_bytes(unsigned nbits, unsigned flags)
{
	if (nbits <= 8)
		return 1;
	if (nbits <= 16)
		return 2;
	if (nbits <= 24 && (flags & AEC_DATA_3BYTE))
		return 3;
	return 4;
}

static void aec_widen(const uint8_t *s, unsigned nb, uint32_t *x, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++, s += nb) {
		uint32_t v = 0;

		/* Little-endian samples: AEC_DATA_MSB was cleared. */
		for (unsigned k = nb; k-- > 0;)
			v = v << 8 | s[k];
		x[i] = v;
	}
}

/*
 * libaec 1.0.6 (Debian 12) trusts its parameters: a block size of 0 makes
 * it write past the buffer it sized from it, and the restricted code set
 * with more than 4 bits per sample leaks its state (both found by
 * fuzz_stages; later versions refuse the first, and an RSI past 4096).
 * Only what CCSDS 121.0 and libaec's later versions accept gets through:
 * block size 8, 16, 32 or 64, RSI 1..4096, the restricted set only up to
 * 4 bits, no flag outside libaec's set and no AEC_NOT_ENFORCE (which
 * lifts the block-size rule).  Returns 0, or which octet is wrong.
 */
static int aec_params_check(const uint8_t *d)
{
	unsigned bs = d[22], rsi = grib2_u16(d + 23);

	if (bs != 8 && bs != 16 && bs != 32 && bs != 64)
		return 1;
	if (rsi < 1 || rsi > 4096)
		return 2;
	if ((d[21] & ~(unsigned)(AEC_DATA_SIGNED | AEC_DATA_3BYTE | AEC_DATA_MSB |
				  AEC_DATA_PREPROCESS | AEC_RESTRICTED | AEC_PAD_RSI)) ||
	    ((d[21] & AEC_RESTRICTED) && d[19] > 4))
		return 3;
	return 0;
}

int grib2_aec_decode(const struct grib2_field *f, struct grib2_state *st,
		     char *why, size_t cap)
{
	const uint8_t *d = f->drs;
	struct aec_stream a = { 0 };
	unsigned nbits = d[19], nb;
	uint32_t *x;
	size_t out;
	int ret;

	a.flags = d[21] & ~(unsigned)AEC_DATA_MSB;
	if (nbits > 32 || (a.flags & AEC_DATA_SIGNED))
		return grib2_fail(why, cap, -LSIO_ENOTSUP,
				  "template 5.42 (CCSDS): %s samples are not supported",
				  nbits > 32 ? "more than 32-bit" : "signed");
	ret = aec_params_check(d);
	if (ret)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "template 5.42 (CCSDS): %s %u is not valid",
				  ret == 1 ? "block size" : ret == 2 ?
				  "reference sample interval" : "flags octet",
				  ret == 1 ? d[22] : ret == 2 ? grib2_u16(d + 23) : d[21]);
	nb = aec_sample_bytes(nbits, a.flags);
	out = (size_t)f->nvalues * nb;
	x = ints_reserve(st, f->nvalues);
	if (!x || lsio_scratch_reserve(&st->raw, out + 1))
		return grib2_fail(why, cap, -ENOMEM, "out of memory");
	a.bits_per_sample = nbits;
	a.block_size = d[22];
	a.rsi = grib2_u16(d + 23);
	a.next_in = f->data;
	a.avail_in = f->data_len;
	a.next_out = st->raw.p;
	a.avail_out = out;
	ret = aec_buffer_decode(&a);
	if (ret != AEC_OK)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "template 5.42 (CCSDS): libaec cannot decode the payload (error %d%s)",
				  ret, ret == AEC_CONF_ERROR ? ": bad parameters" : "");
	if (a.total_out != out)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "template 5.42 (CCSDS): decoded %zu bytes, %llu values need %zu",
				  a.total_out, (unsigned long long)f->nvalues, out);
	aec_widen(st->raw.p, nb, x, f->nvalues);
	return 0;
}

/* --- 5.41 PNG ------------------------------------------------------------ */

struct png_src {
	const uint8_t *p;
	size_t len, at;
	char msg[96];
};

static void png_src_read(png_structp png, png_bytep out, png_size_t n)
{
	struct png_src *s = png_get_io_ptr(png);

	if (n > s->len - s->at)
		png_error(png, "truncated image");
	memcpy(out, s->p + s->at, n);
	s->at += n;
}

static void png_on_error(png_structp png, png_const_charp msg)
{
	struct png_src *s = png_get_error_ptr(png);

	snprintf(s->msg, sizeof(s->msg), "%s", msg);
	png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
}

/* Rows of pixels of pixbits each, unpacked to x; the image is checked to
 * hold nvalues pixels before any row is read. */
static int png_rows(png_structp png, png_infop info, const struct grib2_field *f,
		    struct grib2_state *st, char *why, size_t cap)
{
	png_uint_32 w = png_get_image_width(png, info);
	png_uint_32 h = png_get_image_height(png, info);
	unsigned pixbits = png_get_bit_depth(png, info) * png_get_channels(png, info);
	size_t rowbytes = png_get_rowbytes(png, info);
	uint32_t *x;
	uint8_t *row;

	if ((uint64_t)w * h != f->nvalues || pixbits > 32)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "template 5.41 (PNG): a %ux%u image of %u-bit pixels for %llu values",
				  w, h, pixbits, (unsigned long long)f->nvalues);
	x = ints_reserve(st, f->nvalues);
	if (!x || lsio_scratch_reserve(&st->raw, rowbytes + 8))
		return grib2_fail(why, cap, -ENOMEM, "out of memory");
	row = st->raw.p;
	for (png_uint_32 r = 0; r < h; r++) {
		png_read_row(png, row, NULL);
		grib2_unpack(row, rowbytes, 0, pixbits, x + (size_t)r * w, w);
	}
	return 0;
}

int grib2_png_decode(const struct grib2_field *f, struct grib2_state *st,
		     char *why, size_t cap)
{
	struct png_src src = { .p = f->data, .len = f->data_len };
	png_structp png;
	png_infop info = NULL;
	volatile int ret = -LSIO_EDATA;

	if (f->data_len < 8 || png_sig_cmp(f->data, 0, 8))
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "template 5.41 (PNG): section 7 does not hold a PNG image");
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_on_error,
				     png_on_warning);
	if (png)
		info = png_create_info_struct(png);
	if (!png || !info) {
		png_destroy_read_struct(&png, &info, NULL);
		return grib2_fail(why, cap, -ENOMEM, "out of memory");
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &info, NULL);
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "template 5.41 (PNG): libpng: %s", src.msg);
	}
	png_set_read_fn(png, &src, png_src_read);
	png_read_info(png, info);
	if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE)
		ret = grib2_fail(why, cap, -LSIO_ENOTSUP,
				 "template 5.41 (PNG): interlaced images are not supported");
	else
		ret = png_rows(png, info, f, st, why, cap);
	png_destroy_read_struct(&png, &info, NULL);
	return ret;
}

/* --- 5.40 JPEG 2000 ------------------------------------------------------ */

struct opj_src {
	const uint8_t *p;
	OPJ_SIZE_T len, at;
	char msg[96];
};

static OPJ_SIZE_T opj_src_read(void *out, OPJ_SIZE_T n, void *user)
{
	struct opj_src *s = user;

	if (s->at >= s->len)
		return (OPJ_SIZE_T)-1;
	n = MIN(n, s->len - s->at);
	memcpy(out, s->p + s->at, n);
	s->at += n;
	return n;
}

static OPJ_OFF_T opj_src_skip(OPJ_OFF_T n, void *user)
{
	struct opj_src *s = user;

	if (n < 0 || (OPJ_SIZE_T)n > s->len - s->at)
		return -1;
	s->at += (OPJ_SIZE_T)n;
	return n;
}

static OPJ_BOOL opj_src_seek(OPJ_OFF_T n, void *user)
{
	struct opj_src *s = user;

	if (n < 0 || (OPJ_SIZE_T)n > s->len)
		return OPJ_FALSE;
	s->at = (OPJ_SIZE_T)n;
	return OPJ_TRUE;
}

static void opj_on_error(const char *msg, void *user)
{
	struct opj_src *s = user;
	size_t n;

	snprintf(s->msg, sizeof(s->msg), "%s", msg);
	n = strlen(s->msg);
	if (n && s->msg[n - 1] == '\n')
		s->msg[n - 1] = '\0';
}

static void opj_quiet(const char *msg, void *user)
{
}

static opj_stream_t *opj_src_stream(struct opj_src *src)
{
	opj_stream_t *s = opj_stream_create(1 << 16, OPJ_TRUE);

	if (!s)
		return NULL;
	opj_stream_set_user_data(s, src, NULL);
	opj_stream_set_user_data_length(s, src->len);
	opj_stream_set_read_function(s, opj_src_read);
	opj_stream_set_skip_function(s, opj_src_skip);
	opj_stream_set_seek_function(s, opj_src_seek);
	return s;
}

/* The one component's pixels as X; the image's size was checked. */
static int opj_pixels(const opj_image_t *img, const struct grib2_field *f,
		      struct grib2_state *st, char *why, size_t cap)
{
	const opj_image_comp_t *c = &img->comps[0];
	uint32_t *x;

	if (img->numcomps < 1 || !c->data || (uint64_t)c->w * c->h != f->nvalues)
		return grib2_fail(why, cap, -LSIO_EDATA,
				  "template 5.40 (JPEG 2000): the decoded image does not hold %llu values",
				  (unsigned long long)f->nvalues);
	x = ints_reserve(st, f->nvalues);
	if (!x)
		return grib2_fail(why, cap, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < f->nvalues; i++)
		x[i] = (uint32_t)c->data[i];
	return 0;
}

static int opj_run(opj_codec_t *codec, opj_stream_t *stream,
		   const struct grib2_field *f, struct grib2_state *st,
		   struct opj_src *src, char *why, size_t cap)
{
	opj_dparameters_t par;
	opj_image_t *img = NULL;
	int ret = -LSIO_EDATA;

	opj_set_default_decoder_parameters(&par);
	if (!opj_setup_decoder(codec, &par) ||
	    !opj_read_header(stream, codec, &img))
		goto fail;
	/* Refuse a header that declares more than the field before any
	 * pixel is allocated.  GRIB2 writers make one grey component: more
	 * (a palette, colour channels, subsampling) is not a field, and
	 * those are the paths of OpenJPEG's past overflows. */
	if (img->numcomps != 1 || img->comps[0].dx != 1 || img->comps[0].dy != 1 ||
	    img->comps[0].prec > 32 ||
	    (uint64_t)(img->x1 - img->x0) * (img->y1 - img->y0) != f->nvalues) {
		snprintf(src->msg, sizeof(src->msg),
			 "the image is %ux%u in %u components, section 5 declares %llu values (one component)",
			 img->x1 - img->x0, img->y1 - img->y0, img->numcomps,
			 (unsigned long long)f->nvalues);
		goto fail;
	}
	if (!opj_decode(codec, stream, img) || !opj_end_decompress(codec, stream))
		goto fail;
	ret = opj_pixels(img, f, st, why, cap);
	opj_image_destroy(img);
	return ret;
fail:
	opj_image_destroy(img);
	return grib2_fail(why, cap, ret, "template 5.40 (JPEG 2000): OpenJPEG: %s",
			  src->msg[0] ? src->msg : "cannot decode the payload");
}

int grib2_jpeg_decode(const struct grib2_field *f, struct grib2_state *st,
		      char *why, size_t cap)
{
	static const uint8_t jp2[] = { 0, 0, 0, 12, 'j', 'P', ' ', ' ' };
	struct opj_src src = { .p = f->data, .len = f->data_len };
	bool is_jp2 = f->data_len >= 8 && !memcmp(f->data, jp2, 8);
	opj_codec_t *codec;
	opj_stream_t *stream;
	int ret;

	codec = opj_create_decompress(is_jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
	stream = codec ? opj_src_stream(&src) : NULL;
	if (!stream) {
		opj_destroy_codec(codec);
		return grib2_fail(why, cap, -ENOMEM, "out of memory");
	}
	opj_set_error_handler(codec, opj_on_error, &src);
	opj_set_warning_handler(codec, opj_quiet, NULL);
	opj_set_info_handler(codec, opj_quiet, NULL);
	ret = opj_run(codec, stream, f, st, &src, why, cap);
	opj_stream_destroy(stream);
	opj_destroy_codec(codec);
	return ret;
}
