/* SPDX-License-Identifier: MIT */
/*
 * grib_words.c - the words of a wgrib2-style inventory line, so that a
 * scanned file's --list reads (and matches) like the .idx NOAA publishes
 * beside its files: NCEP's parameter abbreviations (the WMO entries of
 * GRIB2 code table 4.2 that forecast files use most, and NCEP's local
 * ones), fixed surfaces (code table 4.5) and forecast times (4.4, 4.10).
 * A parameter not in the table is "var discipline=D category=C number=N":
 * still matchable, never guessed.
 */
#include <stdio.h>
#include <string.h>

#include "grib.h"

struct param {
	unsigned char d, c, n;
	char name[8];
};

/* Sorted by discipline, category, number. */
static const struct param params[] = {
	{ 0, 0, 0, "TMP" },	{ 0, 0, 1, "VTMP" },	{ 0, 0, 2, "POT" },
	{ 0, 0, 3, "EPOT" },	{ 0, 0, 4, "TMAX" },	{ 0, 0, 5, "TMIN" },
	{ 0, 0, 6, "DPT" },	{ 0, 0, 7, "DEPR" },	{ 0, 0, 10, "LHTFL" },
	{ 0, 0, 11, "SHTFL" },	{ 0, 0, 17, "SKINT" },	{ 0, 0, 21, "APTMP" },
	{ 0, 1, 0, "SPFH" },	{ 0, 1, 1, "RH" },	{ 0, 1, 2, "MIXR" },
	{ 0, 1, 3, "PWAT" },	{ 0, 1, 7, "PRATE" },	{ 0, 1, 8, "APCP" },
	{ 0, 1, 10, "ACPCP" },	{ 0, 1, 11, "SNOD" },	{ 0, 1, 13, "WEASD" },
	{ 0, 1, 22, "CLMR" },	{ 0, 1, 23, "ICMR" },	{ 0, 1, 24, "RWMR" },
	{ 0, 1, 25, "SNMR" },	{ 0, 1, 192, "CRAIN" },	{ 0, 1, 193, "CFRZR" },
	{ 0, 1, 194, "CICEP" },	{ 0, 1, 195, "CSNOW" },	{ 0, 2, 0, "WDIR" },
	{ 0, 2, 1, "WIND" },	{ 0, 2, 2, "UGRD" },	{ 0, 2, 3, "VGRD" },
	{ 0, 2, 8, "VVEL" },	{ 0, 2, 9, "DZDT" },	{ 0, 2, 10, "ABSV" },
	{ 0, 2, 22, "GUST" },	{ 0, 2, 192, "VWSH" },	{ 0, 3, 0, "PRES" },
	{ 0, 3, 1, "PRMSL" },	{ 0, 3, 3, "ICAHT" },	{ 0, 3, 5, "HGT" },
	{ 0, 3, 192, "MSLET" },	{ 0, 3, 196, "HPBL" },	{ 0, 4, 7, "DSWRF" },
	{ 0, 4, 8, "USWRF" },	{ 0, 5, 3, "DLWRF" },	{ 0, 5, 4, "ULWRF" },
	{ 0, 6, 1, "TCDC" },	{ 0, 6, 3, "LCDC" },	{ 0, 6, 4, "MCDC" },
	{ 0, 6, 5, "HCDC" },	{ 0, 7, 6, "CAPE" },	{ 0, 7, 7, "CIN" },
	{ 0, 7, 8, "HLCY" },	{ 0, 14, 192, "O3MR" },	{ 0, 16, 195, "REFD" },
	{ 0, 16, 196, "REFC" },	{ 0, 19, 0, "VIS" },	{ 2, 0, 0, "LAND" },
	{ 2, 0, 2, "SOILW" },	{ 10, 0, 3, "HTSGW" },	{ 10, 2, 0, "ICEC" },
};

const char *grib_param_name(unsigned discipline, unsigned category,
			    unsigned number)
{
	for (size_t i = 0; i < ARRAY_SIZE(params); i++)
		if (params[i].d == discipline && params[i].c == category &&
		    params[i].n == number)
			return params[i].name;
	return NULL;
}

struct surface {
	unsigned char type;
	double scale;		/* the value is printed times this */
	const char *fmt;	/* one value: "%g"; a layer has "%g-%g" before */
	const char *unit;	/* a layer: "%g-%g UNIT"; NULL: no layer form */
};

static const struct surface surfaces[] = {
	{ 1, 0, "surface", NULL },
	{ 2, 0, "cloud base", NULL },
	{ 3, 0, "cloud top", NULL },
	{ 4, 0, "0C isotherm", NULL },
	{ 5, 0, "adiabatic condensation from sfc", NULL },
	{ 6, 0, "max wind", NULL },
	{ 7, 0, "tropopause", NULL },
	{ 8, 0, "top of atmosphere", NULL },
	{ 9, 0, "sea bottom", NULL },
	{ 10, 0, "entire atmosphere", NULL },
	{ 20, 1, "%g K level", "K level" },
	{ 100, 0.01, "%g mb", "mb" },
	{ 101, 0, "mean sea level", NULL },
	{ 102, 1, "%g m above mean sea level", "m above mean sea level" },
	{ 103, 1, "%g m above ground", "m above ground" },
	{ 104, 1, "%g sigma level", "sigma layer" },
	{ 105, 1, "%g hybrid level", "hybrid layer" },
	{ 106, 1, "%g m below ground", "m below ground" },
	{ 107, 1, "%g K isentropic level", "K isentropic layer" },
	{ 108, 0.01, "%g mb above ground", "mb above ground" },
	{ 109, 1, "PV=%g (Km^2/kg/s) surface", NULL },
	{ 111, 1, "%g eta level", "eta layer" },
	{ 160, 1, "%g m below sea level", "m below sea level" },
	{ 200, 0, "entire atmosphere (considered as a single layer)", NULL },
	{ 204, 0, "highest tropospheric freezing level", NULL },
	{ 220, 0, "planetary boundary layer", NULL },
};

static const struct surface *surface_of(unsigned type)
{
	for (size_t i = 0; i < ARRAY_SIZE(surfaces); i++)
		if (surfaces[i].type == type)
			return &surfaces[i];
	return NULL;
}

static void one_surface(unsigned type, double v, bool missing, char *buf,
			size_t cap)
{
	const struct surface *s = surface_of(type);

	if (!s)
		snprintf(buf, cap, "level type=%u value=%g", type,
			 missing ? 0 : v);
	else if (s->scale == 0)
		snprintf(buf, cap, "%s", s->fmt);
	else
		snprintf(buf, cap, s->fmt, missing ? 0 : v * s->scale);
}

void grib_level_words(unsigned type1, double v1, bool v1_missing,
		      unsigned type2, double v2, bool v2_missing, char *buf,
		      size_t cap)
{
	const struct surface *s = surface_of(type1);
	char a[96], b[96];

	if (type2 == 255 || type2 == 0) {
		one_surface(type1, v1, v1_missing, buf, cap);
		return;
	}
	if (type2 == type1 && s && s->unit) {
		snprintf(buf, cap, "%g-%g %s", v1 * s->scale, v2 * s->scale,
			 s->unit);
		return;
	}
	one_surface(type1, v1, v1_missing, a, sizeof(a));
	one_surface(type2, v2, v2_missing, b, sizeof(b));
	snprintf(buf, cap, "%s - %s", a, b);
}

/* Code table 4.4 units wgrib2 prints as such; 10-12 are hours. */
static const char *time_unit(unsigned *unit, uint64_t *t)
{
	switch (*unit) {
	case 0: return "min";
	case 1: return "hour";
	case 2: return "day";
	case 3: return "month";
	case 4: return "year";
	case 10: *t *= 3; *unit = 1; return "hour";
	case 11: *t *= 6; *unit = 1; return "hour";
	case 12: *t *= 12; *unit = 1; return "hour";
	case 13: return "sec";
	}
	return NULL;
}

static const char *stat_name(int stat)
{
	static const char *const names[] = { "ave", "acc", "max", "min" };

	return stat >= 0 && stat < 4 ? names[stat] : NULL;
}

void grib_time_words(unsigned unit, uint64_t t, int stat, unsigned len_unit,
		     uint64_t len, char *buf, size_t cap)
{
	const char *u = time_unit(&unit, &t), *lu = time_unit(&len_unit, &len);
	const char *sn = stat_name(stat);
	char sbuf[16];

	if (!u) {
		snprintf(buf, cap, "%llu (time unit %u) fcst",
			 (unsigned long long)t, unit);
		return;
	}
	if (stat < 0) {
		if (t == 0)
			snprintf(buf, cap, "anl");
		else
			snprintf(buf, cap, "%llu %s fcst",
				 (unsigned long long)t, u);
		return;
	}
	if (!sn) {
		snprintf(sbuf, sizeof(sbuf), "stat=%d", stat);
		sn = sbuf;
	}
	if (lu && len_unit == unit)
		snprintf(buf, cap, "%llu-%llu %s %s fcst", (unsigned long long)t,
			 (unsigned long long)(t + len), u, sn);
	else
		snprintf(buf, cap, "%llu %s +%llu %s %s fcst",
			 (unsigned long long)t, u, (unsigned long long)len,
			 lu ? lu : "?", sn);
}
