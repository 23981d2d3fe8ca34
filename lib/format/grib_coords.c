/* SPDX-License-Identifier: MIT */
/*
 * grib_coords.c - a GRIB2 grid's shape and the latitude and longitude of
 * each of its points, from section 3 (WMO Manual on Codes, FM 92 GRIB
 * edition 2, grid definition templates 3.0, 3.20, 3.30, 3.40).
 *
 * Points come in the order their values are stored (scanning mode, code
 * table 3.4): rows of Ni points (columns of Nj when j points are
 * consecutive, flag 0x20), i going east unless flag 0x80, j going south
 * unless flag 0x40.  That is the order of the grib2 stage's output and of
 * ecCodes' latitudes and longitudes keys.  Like ecCodes, a regular grid's
 * steps come from its first and last points (its increments can be
 * rounded to the millidegree), and longitudes of the projected grids are
 * given in [0, 360).
 *
 * The projections are Snyder's ("Map Projections - A Working Manual",
 * USGS 1987): Lambert conformal conic (section 15) on a sphere or an
 * ellipsoid, polar stereographic (21) on a sphere; the earth's shape comes
 * from code table 3.2.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grib.h"
#include "stage/grib2.h"

#define DEG (M_PI / 180.0)

/* Octet k (1-based, as the templates number them) of section 3. */
static const uint8_t *oct(const struct grib_grid *g, unsigned k)
{
	return g->sec3 + k - 1;
}

/* The unit of a template's angles, in degrees: 10^-6, except that
 * 3.0 and 3.40 may give a basic angle and its subdivisions (octets 39-46,
 * 0 or all ones: not given). */
static double unit_of(const struct grib_grid *g)
{
	uint32_t tmpl = grib2_u16(oct(g, 13)), basic, sub;

	if (tmpl != 0 && tmpl != 40)
		return 1e-6;
	basic = grib2_u32(oct(g, 39));
	sub = grib2_u32(oct(g, 43));
	if (!basic || basic == UINT32_MAX || !sub || sub == UINT32_MAX)
		return 1e-6;
	return (double)basic / sub;
}

/* A signed (sign and magnitude) angle, as degrees. */
static double sdeg(const struct grib_grid *g, unsigned k)
{
	uint32_t v = grib2_u32(oct(g, k));
	double d = (double)(v & 0x7fffffffu) * unit_of(g);

	return v & 0x80000000u ? -d : d;
}

/* An unsigned angle, as degrees. */
static double udeg(const struct grib_grid *g, unsigned k)
{
	return (double)grib2_u32(oct(g, k)) * unit_of(g);
}

static uint32_t tmpl_of(const struct grib_grid *g)
{
	return g->sec3_len >= 14 ? grib2_u16(oct(g, 13)) : UINT32_MAX;
}

void grib_grid_words(const struct grib_grid *g, char *buf, size_t cap)
{
	struct grib2_field f;
	char why[128];

	if (!g->known ||
	    grib2_grid_read(g->sec3, g->sec3_len, &f, why, sizeof(why))) {
		snprintf(buf, cap, "3.%u", tmpl_of(g));
		return;
	}
	if (!f.ni)
		snprintf(buf, cap, "3.%u %llu points", f.grid_tmpl,
			 (unsigned long long)f.npoints);
	else
		snprintf(buf, cap, "3.%u %ux%u", f.grid_tmpl, f.ni, f.nj);
}

uint32_t grib_grid_shape(const struct grib_grid *g, uint64_t shape[2],
			 char *why, size_t cap)
{
	struct grib2_field f;

	if (!g->known) {
		snprintf(why, cap, "no grid (section 3) was read");
		return 0;
	}
	if (grib2_grid_read(g->sec3, g->sec3_len, &f, why, cap))
		return 0;
	if (!f.ni) {
		shape[0] = f.npoints;
		return 1;
	}
	shape[0] = f.scan & 0x20 ? f.ni : f.nj;
	shape[1] = f.scan & 0x20 ? f.nj : f.ni;
	return 2;
}

/* --- where each point is ------------------------------------------------ */

/* The grid's points in storage order: point k is column i, row j. */
struct walk {
	uint32_t ni, nj;
	uint8_t scan;
};

static void point_ij(const struct walk *w, uint64_t k, uint32_t *i,
		     uint32_t *j)
{
	if (w->scan & 0x20) {
		*i = (uint32_t)(k / w->nj);
		*j = (uint32_t)(k % w->nj);
	} else {
		*j = (uint32_t)(k / w->ni);
		*i = (uint32_t)(k % w->ni);
	}
}

static double lon360(double lon)
{
	lon = fmod(lon, 360.0);
	return lon < 0 ? lon + 360.0 : lon;
}

/* The earth (code table 3.2, octets 15-30): its equatorial radius a and
 * eccentricity e (0: a sphere). */
struct earth {
	double a, e;
};

/* A scaled value (octet k: the scale factor, k+1..k+4 the value). */
static double scaled(const struct grib_grid *g, unsigned k)
{
	double v = grib2_u32(oct(g, k + 1));

	for (unsigned f = *oct(g, k); f; f--)
		v /= 10;
	return v;
}

static void oblate(struct earth *E, double a, double b)
{
	E->a = a;
	E->e = a > b && b > 0 ? sqrt(1 - (b * b) / (a * a)) : 0;
}

static int earth_of(const struct grib_grid *g, struct earth *E, char *why,
		    size_t cap)
{
	unsigned shape = *oct(g, 15);

	E->e = 0;
	switch (shape) {
	case 0: E->a = 6367470.0; return 0;
	case 1: E->a = scaled(g, 16); break;
	case 2: oblate(E, 6378160.0, 6356775.0); return 0;
	case 3: oblate(E, scaled(g, 21) * 1000, scaled(g, 26) * 1000); break;
	case 4: oblate(E, 6378137.0, 6356752.314140); return 0;
	case 5: oblate(E, 6378137.0, 6356752.314245); return 0;
	case 6: E->a = 6371229.0; return 0;
	case 7: oblate(E, scaled(g, 21), scaled(g, 26)); break;
	case 8: E->a = 6371200.0; return 0;
	case 9: oblate(E, 6377563.396, 6356256.909); return 0;
	default: E->a = 0;
	}
	if (E->a > 0)
		return 0;
	snprintf(why, cap, "grid 3.%u: coordinates on shape of the earth %u (code table 3.2) are not supported",
		 tmpl_of(g), shape);
	return -LSIO_EJOB;
}

/* The i-th of n steps from a to b. */
static double step(double a, double b, uint32_t n, uint32_t i)
{
	return n > 1 ? a + (b - a) * i / (n - 1) : a;
}

/* Longitudes of a regular row (3.0, 3.40): from Lo1 to Lo2, eastward
 * unless i scans negatively, crossing 0 when it must. */
static void lon_ends(const struct grib_grid *g, uint8_t scan, double *a,
		     double *b)
{
	*a = udeg(g, 51);
	*b = udeg(g, 60);
	if (!(scan & 0x80) && *b < *a)
		*b += 360.0;
	if ((scan & 0x80) && *b > *a)
		*b -= 360.0;
}

static int coords_latlon(const struct grib_grid *g, const struct walk *w,
			 const double *lats, double *lat, double *lon)
{
	double lo1, lo2, la1 = sdeg(g, 47), la2 = sdeg(g, 56);
	uint32_t i, j;

	lon_ends(g, w->scan, &lo1, &lo2);
	for (uint64_t k = 0; k < (uint64_t)w->ni * w->nj; k++) {
		point_ij(w, k, &i, &j);
		lat[k] = lats ? lats[j] : step(la1, la2, w->nj, j);
		lon[k] = step(lo1, lo2, w->ni, i);
	}
	return 0;
}

/* The roots of the Legendre polynomial P_2n, north to south, as
 * degrees: the latitudes of a Gaussian grid of n parallels between a
 * pole and the equator.  Newton's method from the usual first guess. */
static void gauss_lats(uint32_t n, double *out)
{
	uint32_t m = 2 * n;

	for (uint32_t k = 0; k < n; k++) {
		double x = cos(M_PI * (k + 0.75) / (m + 0.5)), dx;
		int it = 0;

		do {
			double p0 = 1.0, p1 = x, p2;

			for (uint32_t l = 2; l <= m; l++) {
				p2 = ((2.0 * l - 1) * x * p1 - (l - 1.0) * p0) / l;
				p0 = p1;
				p1 = p2;
			}
			/* p1 = P_m(x), p0 = P_m-1(x) */
			dx = p1 / (m * (x * p1 - p0) / (x * x - 1.0));
			x -= dx;
		} while (fabs(dx) > 1e-15 && ++it < 100);
		out[k] = asin(x) / DEG;
		out[m - 1 - k] = -out[k];
	}
}

#define GAUSS_N_MAX 8000u

/* 3.40: rows on Gaussian latitudes, starting at the one nearest La1. */
static int coords_gauss(const struct grib_grid *g, const struct walk *w,
			double *lat, double *lon, char *why, size_t cap)
{
	uint32_t n = grib2_u32(oct(g, 68)), first = 0;
	double la1 = sdeg(g, 47), *all, *rows;
	int dir = w->scan & 0x40 ? -1 : 1;

	/* O(N^2) work: N = 8000, six times ECMWF's finest (1280), takes about
	 * a second. */
	if (!n || n > GAUSS_N_MAX || w->nj > 2 * n) {
		snprintf(why, cap, "grid 3.40: %u rows for N = %u (1 to %u parallels between a pole and the equator, at most 2N rows)",
			 w->nj, n, GAUSS_N_MAX);
		return -LSIO_EJOB;
	}
	all = malloc(2 * (size_t)n * sizeof(*all));
	rows = malloc(w->nj * sizeof(*rows));
	if (!all || !rows) {
		free(all);
		free(rows);
		snprintf(why, cap, "out of memory");
		return -ENOMEM;
	}
	gauss_lats(n, all);
	for (uint32_t k = 1; k < 2 * n; k++)
		if (fabs(all[k] - la1) < fabs(all[first] - la1))
			first = k;
	for (uint32_t j = 0; j < w->nj; j++) {
		int64_t k = (int64_t)first + (int64_t)dir * j;

		rows[j] = k >= 0 && k < 2 * (int64_t)n ? all[k] : NAN;
	}
	coords_latlon(g, w, rows, lat, lon);
	free(all);
	free(rows);
	return 0;
}

/* A projection: where (lat, lon) goes on the plane, and back. */
struct proj {
	struct earth E;
	double lov;		/* central meridian (radians) */
	double n, af;		/* Lambert: cone constant, a times Snyder's F */
	double k2r;		/* polar (a sphere): 2 R k0 */
	bool lambert, south;
};

/* Snyder's t (15-9) and m (14-15) on the ellipsoid; on a sphere
 * tan(pi/4 - phi/2) and cos(phi). */
static double snyder_t(double phi, double e)
{
	double es = e * sin(phi);

	return tan(M_PI / 4 - phi / 2) / pow((1 - es) / (1 + es), e / 2);
}

static double snyder_m(double phi, double e)
{
	double es = e * sin(phi);

	return cos(phi) / sqrt(1 - es * es);
}

/* The latitude of t (Snyder 7-9, iterated; exact at once on a sphere). */
static double phi_of_t(double t, double e)
{
	double phi = M_PI / 2 - 2 * atan(t), prev;
	int k = 0;

	do {
		double es = e * sin(phi);

		prev = phi;
		phi = M_PI / 2 - 2 * atan(t * pow((1 - es) / (1 + es), e / 2));
	} while (e > 0 && fabs(phi - prev) > 1e-15 && ++k < 50);
	return phi;
}

static void proj_fwd(const struct proj *p, double phi, double lam, double *x,
		     double *y)
{
	double d = remainder(lam - p->lov, 2 * M_PI), rho;

	if (p->lambert) {
		rho = p->af * pow(snyder_t(phi, p->E.e), p->n);
		*x = rho * sin(p->n * d);
		*y = -rho * cos(p->n * d);
	} else if (p->south) {
		rho = p->k2r * tan(M_PI / 4 + phi / 2);
		*x = rho * sin(d);
		*y = rho * cos(d);
	} else {
		rho = p->k2r * tan(M_PI / 4 - phi / 2);
		*x = rho * sin(d);
		*y = -rho * cos(d);
	}
}

static void proj_inv(const struct proj *p, double x, double y, double *lat,
		     double *lon)
{
	double rho, phi, lam;

	if (p->lambert) {
		double s = p->n < 0 ? -1.0 : 1.0;

		rho = s * hypot(x, y);
		lam = p->lov + atan2(s * x, -s * y) / p->n;
		phi = rho == 0 ? s * M_PI / 2 :
		      phi_of_t(pow(rho / p->af, 1 / p->n), p->E.e);
	} else if (p->south) {
		rho = hypot(x, y);
		phi = 2 * atan(rho / p->k2r) - M_PI / 2;
		lam = p->lov + atan2(x, y);
	} else {
		rho = hypot(x, y);
		phi = M_PI / 2 - 2 * atan(rho / p->k2r);
		lam = p->lov + atan2(x, -y);
	}
	*lat = phi / DEG;
	*lon = lon360(lam / DEG);
}

/* Lambert's cone from its standard parallels (Snyder 15-8, 15-10). */
static void lambert_cone(struct proj *p, double p1, double p2)
{
	double e = p->E.e, t1 = snyder_t(p1, e), m1 = snyder_m(p1, e);

	p->n = fabs(p1 - p2) < 1e-10 ? sin(p1) :
	       (log(m1) - log(snyder_m(p2, e))) / (log(t1) - log(snyder_t(p2, e)));
	p->af = p->E.a * m1 / (p->n * pow(t1, p->n));
}

/* 3.20 and 3.30: Nx by Ny points Dx, Dy metres apart from the first. */
static int coords_projected(const struct grib_grid *g, const struct walk *w,
			    double *lat, double *lon, char *why, size_t cap)
{
	struct proj p = { .lambert = tmpl_of(g) == 30 };
	double x0, y0, dx = grib2_u32(oct(g, 56)) * 1e-3,
	       dy = grib2_u32(oct(g, 60)) * 1e-3;
	uint32_t i, j;
	int ret = earth_of(g, &p.E, why, cap);

	if (ret)
		return ret;
	if (!p.lambert && p.E.e > 0) {
		snprintf(why, cap, "grid 3.20: coordinates on an ellipsoid (shape of the earth %u, code table 3.2) are not supported, only spheres",
			 *oct(g, 15));
		return -LSIO_EJOB;
	}
	p.lov = udeg(g, 52) * DEG;
	p.south = *oct(g, 64) & 0x80;
	if (p.lambert) {
		if (p.south) {
			snprintf(why, cap, "grid 3.30: coordinates of a south pole projection are not supported");
			return -LSIO_EJOB;
		}
		lambert_cone(&p, sdeg(g, 66) * DEG, sdeg(g, 70) * DEG);
	} else {
		double s = sin(sdeg(g, 48) * DEG);

		/* true scale at LaD (Snyder 21-7 with k0 from 21-4) */
		p.k2r = p.E.a * (p.south ? 1 - s : 1 + s);
	}
	if (w->scan & 0x80)
		dx = -dx;
	if (!(w->scan & 0x40))
		dy = -dy;
	proj_fwd(&p, sdeg(g, 39) * DEG, udeg(g, 43) * DEG, &x0, &y0);
	for (uint64_t k = 0; k < (uint64_t)w->ni * w->nj; k++) {
		point_ij(w, k, &i, &j);
		proj_inv(&p, x0 + i * dx, y0 + j * dy, &lat[k], &lon[k]);
	}
	return 0;
}

int grib_grid_coords(const struct grib_grid *g, double *lat, double *lon,
		     char *why, size_t cap)
{
	struct grib2_field f;
	struct walk w;
	int ret = grib2_grid_read(g->sec3, g->sec3_len, &f, why, cap);

	if (ret)
		return -LSIO_EJOB;
	if (!f.ni) {
		snprintf(why, cap, "grid 3.%u: coordinates of a reduced grid are not supported",
			 f.grid_tmpl);
		return -LSIO_EJOB;
	}
	if (f.scan & 0x10) {
		snprintf(why, cap, "grid 3.%u: coordinates with alternate row scanning (scanning mode 0x%02x) are not supported",
			 f.grid_tmpl, f.scan);
		return -LSIO_EJOB;
	}
	w = (struct walk){ .ni = f.ni, .nj = f.nj, .scan = f.scan };
	switch (f.grid_tmpl) {
	case 0:
		return coords_latlon(g, &w, NULL, lat, lon);
	case 40:
		return coords_gauss(g, &w, lat, lon, why, cap);
	case 20: case 30:
		return coords_projected(g, &w, lat, lon, why, cap);
	}
	snprintf(why, cap, "grid 3.%u: coordinates are supported for grids 3.0, 3.20, 3.30 and 3.40",
		 f.grid_tmpl);
	return -LSIO_EJOB;
}

/* --- lat.npy and lon.npy -------------------------------------------------- */

struct lsio_grib_coords {
	char *path[2];		/* DIR/lat.npy, DIR/lon.npy */
	uint64_t shape[2];
	double *v[2];		/* latitudes, longitudes */
};

void lsio_grib_coords_free(struct lsio_grib_coords *c)
{
	if (!c)
		return;
	for (int k = 0; k < 2; k++) {
		free(c->path[k]);
		free(c->v[k]);
	}
	free(c);
}

/* "DIR/NAME" for the directory of output. */
static char *beside(const char *output, const char *name)
{
	const char *slash = strrchr(output, '/');
	int dlen = slash ? (int)(slash - output + 1) : 0;
	size_t cap = (size_t)dlen + strlen(name) + 1;
	char *p = malloc(cap);

	if (p)
		snprintf(p, cap, "%.*s%s", dlen, output, name);
	return p;
}

int grib_coords_new(struct lsio_ctx *ctx, const struct grib_grid *g,
		    const char *output, struct lsio_grib_coords **out)
{
	struct lsio_grib_coords *c = calloc(1, sizeof(*c));
	char why[LSIO_MSG_MAX / 2] = "";
	uint64_t n;
	int ret;

	*out = NULL;
	if (!c)
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	switch (grib_grid_shape(g, c->shape, why, sizeof(why))) {
	case 2:
		break;
	case 1:
		grib_grid_words(g, why, sizeof(why));
		lsio_grib_coords_free(c);
		return lsio_fail(ctx, -LSIO_EJOB, "--coords: grid %s is reduced: coordinates of reduced grids are not supported",
				 why);
	default:
		lsio_grib_coords_free(c);
		return lsio_fail(ctx, -LSIO_EJOB, "--coords: %s", why);
	}
	n = c->shape[0] * c->shape[1];
	c->path[0] = beside(output, "lat.npy");
	c->path[1] = beside(output, "lon.npy");
	c->v[0] = malloc(MAX(n, 1u) * sizeof(double));
	c->v[1] = malloc(MAX(n, 1u) * sizeof(double));
	if (!c->path[0] || !c->path[1] || !c->v[0] || !c->v[1]) {
		lsio_grib_coords_free(c);
		return lsio_fail(ctx, -ENOMEM, "out of memory");
	}
	ret = grib_grid_coords(g, c->v[0], c->v[1], why, sizeof(why));
	if (ret) {
		lsio_grib_coords_free(c);
		return lsio_fail(ctx, ret, "--coords: %s", why);
	}
	*out = c;
	return 0;
}

/* lat.npy and lon.npy as every output is written (sink_target.c): a
 * regular file or a new path replaced by renaming a temporary over it (a
 * symlink's target, not the link), a FIFO or character device written
 * through - both files' temporaries made before either is put in place. */
int lsio_grib_coords_write(struct lsio_ctx *ctx,
			   const struct lsio_grib_coords *c)
{
	struct lsio_target t[2] = { { .fd = -1 }, { .fd = -1 } };
	char *temp[2] = { NULL, NULL };
	size_t n = (size_t)(c->shape[0] * c->shape[1]) * sizeof(double);
	struct lsio_dtype dt;
	int ret = lsio_dtype_parse("<f8", &dt);

	for (int k = 0; !ret && k < 2; k++)
		ret = lsio_target_open(ctx, c->path[k], -1, &t[k]);
	for (int k = 0; !ret && k < 2; k++)
		if (!t[k].stream)
			ret = lsio_npy_write_temp(ctx, t[k].path, &dt, c->shape,
						  2, c->v[k], n, &temp[k]);
	for (int k = 0; !ret && k < 2; k++) {
		if (t[k].stream && (ret = lsio_npy_write_fd(t[k].fd, &dt, c->shape,
							    2, c->v[k], n)))
			ret = lsio_fail(ctx, -LSIO_EOUTPUT, "cannot write '%s': %s",
					c->path[k], strerror(-ret));
		else if (!t[k].stream && rename(temp[k], t[k].path))
			ret = lsio_fail(ctx, -errno, "cannot rename '%s' to '%s': %s",
					temp[k], t[k].path, strerror(errno));
	}
	for (int k = 0; k < 2; k++) {
		if (ret && temp[k])
			unlink(temp[k]);
		free(temp[k]);
		lsio_target_release(&t[k]);
	}
	return ret;
}
