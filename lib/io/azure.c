/* SPDX-License-Identifier: MIT */
/*
 * azure.c - Azure Blob Storage: its source names (az://CONTAINER/BLOB,
 * az://CONTAINER@ACCOUNT.blob.core.windows.net/BLOB and
 * https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB), the URL each
 * becomes, the credentials the environment holds (AZURE_STORAGE_* and a
 * connection string, as Azure's SDKs read them), and Shared Key signing:
 * the string-to-sign of Microsoft's "Authorize with Shared Key" and the
 * Authorization line made from it.  Nothing here sends a request; the
 * curl backend asks remote_auth.c for each attempt's headers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "io/remote.h"
#include "util/crypto.h"

#define AZ_SUFFIX "core.windows.net"
#define AZ_MAX_PARAMS 32	/* query parameters signed; more is refused */
#define AZ_MAX_HEADERS 64	/* x-ms-* headers signed */

/* Azurite's account and key: published by Microsoft for the emulator,
 * what "UseDevelopmentStorage=true" stands for. */
#define DEV_ACCOUNT "devstoreaccount1"
#define DEV_KEY "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
#define DEV_ENDPOINT "http://127.0.0.1:10000/" DEV_ACCOUNT

/* The hosts of Azure's public and sovereign clouds' blob endpoints. */
static const char *const blob_hosts[] = {
	".blob.core.windows.net", ".blob.core.chinacloudapi.cn",
	".blob.core.usgovcloudapi.net",
};

/* --- names ----------------------------------------------------------------- */

bool lsio_az_blob_host(const char *host, size_t n)
{
	for (size_t i = 0; i < sizeof(blob_hosts) / sizeof(*blob_hosts); i++) {
		size_t m = strlen(blob_hosts[i]);

		if (n > m && !strncasecmp(host + n - m, blob_hosts[i], m))
			return true;
	}
	return false;
}

/* "CONTAINER/BLOB[?QUERY]" into u. */
static int split_path(const char *name, const char *p, struct lsio_url_parts *u,
		      char *why, size_t cap)
{
	const char *slash = strchr(p, '/'), *q;
	char buf[512];

	if (!slash || slash == p || !slash[1] || slash[1] == '?') {
		snprintf(why, cap, "'%s': expected az://CONTAINER/BLOB or https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB",
		     lsio_url_redact(name, buf, sizeof(buf)));
		return -LSIO_EJOB;
	}
	u->bucket = p;
	u->bucket_len = (size_t)(slash - p);
	u->key = slash + 1;
	q = strchr(u->key, '?');
	u->key_len = q ? (size_t)(q - u->key) : strcspn(u->key, "#");
	u->query = q ? q + 1 : NULL;
	return 0;
}

int lsio_az_split(const char *name, struct lsio_url_parts *u, char *why,
		  size_t cap)
{
	const char *p = strstr(name, "://") + 3, *at, *slash;
	char buf[512];

	u->kind = LSIO_URL_AZ;
	if (strncasecmp(name, "az://", 5)) {
		/* https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB */
		u->host = p;
		u->host_len = strcspn(p, "/?#");
		u->https = true;
		return split_path(name, p + u->host_len + (p[u->host_len] == '/'), u,
				  why, cap);
	}
	slash = strchr(p, '/');
	at = memchr(p, '@', slash ? (size_t)(slash - p) : strlen(p));
	if (at) {
		/* az://CONTAINER@ACCOUNT[.blob.core.windows.net]/BLOB, as
		 * adlfs writes it. */
		u->host = at + 1;
		u->host_len = slash ? (size_t)(slash - at - 1) : strlen(at + 1);
		if (!u->host_len || at == p) {
			snprintf(why, cap, "'%s': expected az://CONTAINER@ACCOUNT/BLOB",
			     lsio_url_redact(name, buf, sizeof(buf)));
			return -LSIO_EJOB;
		}
		/* HOST/BLOB splits as a container would: then the real one. */
		if (split_path(name, at + 1, u, why, cap))
			return -LSIO_EJOB;
		u->bucket = p;
		u->bucket_len = (size_t)(at - p);
		return 0;
	}
	return split_path(name, p, u, why, cap);
}

/* The account a source names (its host's first label): its length, 0
 * when the name gives no host. */
static size_t host_account(const struct lsio_url_parts *u, const char **acct)
{
	size_t n;

	*acct = u->host;
	if (!u->host)
		return 0;
	n = strcspn(u->host, ".:");
	return MIN(n, u->host_len);
}

/* --- the environment ------------------------------------------------------- */

static int set_str(char **dst, const char *v, size_t n)
{
	free(*dst);
	*dst = strndup(v, n);
	return *dst ? 0 : -ENOMEM;
}

static int key_set(struct lsio_az *az, const char *b64, const char *from,
		   char *why, size_t cap)
{
	long n = lsio_base64_decode(b64, strlen(b64), az->key, sizeof(az->key));

	if (n <= 0) {
		snprintf(why, cap, "the account key in %s is not base64", from);
		return -LSIO_EJOB;
	}
	az->key_len = (size_t)n;
	snprintf(az->key_from, sizeof(az->key_from), "%s", from);
	return 0;
}

/* One "Name=Value" of a connection string (the value may hold '='). */
static int conn_part(struct lsio_az *az, const char *p, size_t n, char *why,
		     size_t cap)
{
	static const char var[] = "AZURE_STORAGE_CONNECTION_STRING";
	const char *eq = memchr(p, '=', n), *v;
	size_t k, vn;
	char key[128];

#define IS(name) (k == strlen(name) && !strncasecmp(p, name, k))
	if (!eq || eq == p) {
		/* Not quoted: a misplaced ';' may have cut a key in two. */
		snprintf(why, cap, "%s: a part is not Name=Value", var);
		return -LSIO_EJOB;
	}
	k = (size_t)(eq - p);
	v = eq + 1;
	vn = n - k - 1;
	if (IS("AccountName"))
		return set_str(&az->conn_account, v, vn);
	if (IS("BlobEndpoint"))
		return set_str(&az->endpoint, v, vn);
	if (IS("DefaultEndpointsProtocol"))
		return set_str(&az->protocol, v, vn);
	if (IS("EndpointSuffix"))
		return set_str(&az->suffix, v, vn);
	if (IS("SharedAccessSignature"))
		return set_str(&az->conn_sas, v + (*v == '?'), vn - (*v == '?'));
	if (IS("AccountKey")) {
		snprintf(key, sizeof(key), "%.*s", (int)MIN(vn, sizeof(key) - 1), v);
		return key_set(az, key, var, why, cap);
	}
	if (IS("UseDevelopmentStorage") && vn == 4 && !strncasecmp(v, "true", 4))
		return set_str(&az->conn_account, DEV_ACCOUNT, strlen(DEV_ACCOUNT)) ||
		       set_str(&az->endpoint, DEV_ENDPOINT, strlen(DEV_ENDPOINT)) ? -ENOMEM
		       : key_set(az, DEV_KEY, var, why, cap);
#undef IS
	return 0;	/* QueueEndpoint and the like: not ours */
}

static int conn_parse(struct lsio_az *az, const char *s, char *why, size_t cap)
{
	while (*s) {
		size_t n = strcspn(s, ";");
		int ret = n ? conn_part(az, s, n, why, cap) : 0;

		if (ret)
			return ret;
		s += n + (s[n] == ';');
	}
	return 0;
}

/* The endpoint of account's blobs when the environment names none. */
char *lsio_az_endpoint(const struct lsio_az *az, const char *acct, size_t n)
{
	const char *proto = az->protocol ? az->protocol : "https";
	const char *suffix = az->suffix ? az->suffix : AZ_SUFFIX;
	size_t len = strlen(proto) + n + strlen(suffix) + 16;
	char *url = malloc(len);

	if (url)
		snprintf(url, len, "%s://%.*s.blob.%s", proto, (int)n, acct, suffix);
	return url;
}

int lsio_az_init(struct lsio_az *az, char *why, size_t cap)
{
	const char *conn = lsio_env("AZURE_STORAGE_CONNECTION_STRING");
	const char *acct = lsio_env("AZURE_STORAGE_ACCOUNT");
	const char *key = lsio_env("AZURE_STORAGE_KEY");
	const char *sas = lsio_env("AZURE_STORAGE_SAS_TOKEN");
	int ret = 0;

	memset(az, 0, sizeof(*az));
	if (conn)
		ret = conn_parse(az, conn, why, cap);
	if (!ret && key && !acct && !az->conn_account) {
		snprintf(why, cap, "AZURE_STORAGE_KEY without AZURE_STORAGE_ACCOUNT: whose key is it?");
		ret = -LSIO_EJOB;
	}
	if (!ret && key)
		ret = key_set(az, key, acct ? "AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY"
					    : "AZURE_STORAGE_KEY", why, cap);
	if (!ret && (acct || az->conn_account))
		ret = set_str(&az->account, acct ? acct : az->conn_account,
			      strlen(acct ? acct : az->conn_account));
	if (!ret && sas) {
		ret = set_str(&az->sas, sas + (*sas == '?'), strlen(sas + (*sas == '?')));
		snprintf(az->sas_from, sizeof(az->sas_from), "AZURE_STORAGE_SAS_TOKEN");
	} else if (!ret && az->conn_sas) {
		az->sas = az->conn_sas;
		az->conn_sas = NULL;
		snprintf(az->sas_from, sizeof(az->sas_from), "AZURE_STORAGE_CONNECTION_STRING");
	}
	if (!ret && !az->endpoint && az->account)
		ret = (az->endpoint = lsio_az_endpoint(az, az->account,
						       strlen(az->account))) ? 0 : -ENOMEM;
	if (ret == -ENOMEM)
		snprintf(why, cap, "out of memory");
	return ret;
}

void lsio_az_release(struct lsio_az *az)
{
	free(az->account);
	free(az->conn_account);
	free(az->sas);
	free(az->conn_sas);
	free(az->endpoint);
	free(az->protocol);
	free(az->suffix);
	memset(az, 0, sizeof(*az));
}

/* --- a source's URL and credentials ----------------------------------------- */

static bool query_has_sig(const char *q)
{
	for (; q && *q; q += strcspn(q, "&"), q += *q == '&')
		if (!strncmp(q, "sig=", 4))
			return true;
	return false;
}

/* The endpoint of a source without its own https URL: the host it
 * names, its account's default, or the environment's (BlobEndpoint). */
static char *source_endpoint(const struct lsio_az *az,
			     const struct lsio_url_parts *u, bool ours,
			     const char *acct, size_t an)
{
	char *ep;

	if (u->host && memchr(u->host, '.', u->host_len)) {
		ep = malloc(u->host_len + 16);
		if (ep)
			sprintf(ep, "https://%.*s", (int)u->host_len, u->host);
		return ep;
	}
	if (u->host || !ours || !az->endpoint)
		return lsio_az_endpoint(az, acct, an);
	return strdup(az->endpoint);
}

/* ENDPOINT/CONTAINER/BLOB[?QUERY], the blob's name percent-encoded. */
static char *source_path_url(const char *ep, const struct lsio_url_parts *u,
			     size_t extra)
{
	size_t en = strlen(ep), n, len;
	char *url;

	while (en && ep[en - 1] == '/')
		en--;
	n = en + u->bucket_len + 3 * u->key_len +
	    (u->query ? strlen(u->query) : 0) + extra + 8;
	url = malloc(n);
	if (!url)
		return NULL;
	len = (size_t)sprintf(url, "%.*s/%.*s/", (int)en, ep, (int)u->bucket_len,
			      u->bucket);
	len += lsio_url_key_encode(url + len, u->key, u->key_len);
	if (u->query)
		snprintf(url + len, n - len, "?%s", u->query);
	return url;
}

/* Which credentials a source's requests carry: first match wins. */
static enum lsio_az_auth source_auth(const struct lsio_az *az,
				     const struct lsio_url_parts *u,
				     bool anonymous, bool ours)
{
	if (query_has_sig(u->query))
		return LSIO_AZ_SAS_URL;
	if (anonymous || !ours)
		return LSIO_AZ_ANON;
	if (az->sas)
		return LSIO_AZ_SAS;
	return az->key_len ? LSIO_AZ_KEY : LSIO_AZ_ANON;
}

int lsio_az_source(const struct lsio_az *az, const char *name,
		   const struct lsio_url_parts *u, bool anonymous,
		   struct lsio_az_source *out, char *why, size_t cap)
{
	const char *acct;
	size_t an = host_account(u, &acct), extra;
	char *ep = NULL;

	memset(out, 0, sizeof(*out));
	if (!an && !az->account) {
		snprintf(why, cap, "which storage account? Set AZURE_STORAGE_ACCOUNT or AZURE_STORAGE_CONNECTION_STRING, or name it (az://CONTAINER@ACCOUNT/BLOB)");
		return -LSIO_EJOB;
	}
	if (!an) {
		acct = az->account;
		an = strlen(acct);
	}
	if (an >= sizeof(out->account)) {
		snprintf(why, cap, "the account name is too long");
		return -LSIO_EJOB;
	}
	memcpy(out->account, acct, an);
	/* The environment's credentials are its account's alone. */
	out->ours = az->account && !strcmp(az->account, out->account);
	out->auth = source_auth(az, u, anonymous, out->ours);
	extra = out->auth == LSIO_AZ_SAS ? strlen(az->sas) + 1 : 0;
	if (u->https) {
		out->url = malloc(strlen(name) + extra + 1);
		if (out->url)
			sprintf(out->url, "%.*s", (int)strcspn(name, "#"), name);
	} else if ((ep = source_endpoint(az, u, out->ours, acct, an))) {
		out->url = source_path_url(ep, u, extra);
	}
	free(ep);
	if (!out->url) {
		snprintf(why, cap, "out of memory");
		return -ENOMEM;
	}
	if (extra)
		sprintf(out->url + strlen(out->url), "%c%s",
			strchr(out->url, '?') ? '&' : '?', az->sas);
	return 0;
}

/* --- Shared Key ---------------------------------------------------------- */

/* A header line's name and its value, trimmed. */
struct hline {
	const char *name, *val;
	size_t nlen, vlen;
};

static bool hline_split(const char *line, struct hline *h)
{
	const char *colon = strchr(line, ':');

	if (!colon)
		return false;	/* "Name;" (an empty header): nothing to sign */
	h->name = line;
	h->nlen = (size_t)(colon - line);
	while (h->nlen && isspace((unsigned char)line[h->nlen - 1]))
		h->nlen--;
	h->val = colon + 1;
	while (isspace((unsigned char)*h->val))
		h->val++;
	h->vlen = strlen(h->val);
	while (h->vlen && isspace((unsigned char)h->val[h->vlen - 1]))
		h->vlen--;
	return true;
}

/* The value of the standard header name among lines, "" when absent. */
static struct hline std_header(const char *const *lines, size_t n,
			       const char *name)
{
	struct hline h = { .val = "" };

	for (size_t i = 0; i < n; i++)
		if (hline_split(lines[i], &h) && h.nlen == strlen(name) &&
		    !strncasecmp(h.name, name, h.nlen))
			return h;
	return (struct hline){ .val = "" };
}

static int hline_cmp(const void *a, const void *b)
{
	const struct hline *x = a, *y = b;
	int c = strncasecmp(x->name, y->name, MIN(x->nlen, y->nlen));

	return c ? c : (x->nlen > y->nlen) - (x->nlen < y->nlen);
}

struct sbuf {
	char *p;
	size_t len, cap;
	bool over;
};

__attribute__((format(printf, 2, 3)))
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->over = true;
	else
		b->len += (size_t)n;
}

/* The name lower-cased and the value with runs of white space made one
 * space, as the spec canonicalizes x-ms-* headers. */
static void sb_header(struct sbuf *b, const struct hline *h)
{
	for (size_t i = 0; i < h->nlen; i++)
		sb_add(b, "%c", tolower((unsigned char)h->name[i]));
	sb_add(b, ":");
	for (size_t i = 0; i < h->vlen; i++)
		if (!isspace((unsigned char)h->val[i]) ||
		    !isspace((unsigned char)h->val[i + 1]))
			sb_add(b, "%c", isspace((unsigned char)h->val[i]) ? ' ' : h->val[i]);
	sb_add(b, "\n");
}

static void canon_headers(struct sbuf *b, const char *const *lines, size_t n)
{
	struct hline h[AZ_MAX_HEADERS] = { 0 };
	size_t nh = 0;

	for (size_t i = 0; i < n; i++)
		if (nh < AZ_MAX_HEADERS && hline_split(lines[i], &h[nh]) &&
		    h[nh].nlen > 5 && !strncasecmp(h[nh].name, "x-ms-", 5))
			nh++;
	qsort(h, nh, sizeof(*h), hline_cmp);
	for (size_t i = 0; i < nh; i++)
		sb_header(b, &h[i]);
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

/* A query value percent-decoded ('+' stays: Azure decodes only %XX). */
static void sb_decoded(struct sbuf *b, const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '%' && i + 2 < n && hexval((unsigned char)v[i + 1]) >= 0 &&
		    hexval((unsigned char)v[i + 2]) >= 0) {
			sb_add(b, "%c", hexval((unsigned char)v[i + 1]) * 16 +
					hexval((unsigned char)v[i + 2]));
			i += 2;
		} else {
			sb_add(b, "%c", v[i]);
		}
	}
}

/* "/ACCOUNT/PATH" and then, for each query parameter in order of its
 * lower-cased name, "\nname:value[,value]". */
static void canon_resource(struct sbuf *b, const char *account,
			   const char *url)
{
	const char *p = strstr(url, "://"), *q;
	struct hline prm[AZ_MAX_PARAMS] = { 0 };
	size_t np = 0, plen;

	p = p ? p + 3 : url;
	p += strcspn(p, "/?#");
	plen = strcspn(p, "?#");
	sb_add(b, "/%s%.*s", account, (int)plen, plen ? p : "/");
	q = p[plen] == '?' ? p + plen + 1 : NULL;
	while (q && *q && *q != '#') {
		size_t n = strcspn(q, "&#");
		const char *eq = memchr(q, '=', n);

		if (np == AZ_MAX_PARAMS) {
			b->over = true;
			break;
		}
		prm[np].name = q;
		prm[np].nlen = eq ? (size_t)(eq - q) : n;
		prm[np].val = eq ? eq + 1 : q + n;
		prm[np].vlen = eq ? n - prm[np].nlen - 1 : 0;
		np += n > 0;
		q += n + (q[n] == '&');
	}
	qsort(prm, np, sizeof(*prm), hline_cmp);
	for (size_t i = 0; i < np; i++) {
		bool same = i && !hline_cmp(&prm[i - 1], &prm[i]);

		if (!same) {
			sb_add(b, "\n");
			for (size_t k = 0; k < prm[i].nlen; k++)
				sb_add(b, "%c", tolower((unsigned char)prm[i].name[k]));
		}
		sb_add(b, "%c", same ? ',' : ':');
		sb_decoded(b, prm[i].val, prm[i].vlen);
	}
}

long lsio_az_string_to_sign(const char *method, const char *const *lines,
			    size_t n, const char *account, const char *url,
			    char *out, size_t cap)
{
	/* The standard headers signed, in the spec's order. */
	static const char *const std[] = {
		"Content-Encoding", "Content-Language", "Content-Length",
		"Content-MD5", "Content-Type", "Date", "If-Modified-Since",
		"If-Match", "If-None-Match", "If-Unmodified-Since", "Range",
	};
	struct sbuf b = { out, 0, cap, !cap };

	if (!cap)
		return -1;
	out[0] = '\0';
	sb_add(&b, "%s\n", method);
	for (size_t i = 0; i < sizeof(std) / sizeof(*std); i++) {
		struct hline h = std_header(lines, n, std[i]);

		/* Since version 2015-02-21 a zero length is signed as "". */
		if (!strcmp(std[i], "Content-Length") && h.vlen == 1 && h.val[0] == '0')
			h.vlen = 0;
		sb_add(&b, "%.*s\n", (int)h.vlen, h.val);
	}
	canon_headers(&b, lines, n);
	canon_resource(&b, account, url);
	return b.over ? -1 : (long)b.len;
}

int lsio_az_authorization(const struct lsio_az *az, const char *sts, size_t n,
			  char *line, size_t cap, char *why, size_t wcap)
{
	uint8_t mac[32];
	char sig[48];
	int ret = lsio_hmac_sha256(az->key, az->key_len, sts, n, mac, why, wcap);

	if (ret)
		return ret;
	lsio_base64_encode(mac, sizeof(mac), 0, sig, sizeof(sig));
	if ((size_t)snprintf(line, cap, "Authorization: SharedKey %s:%s", az->account,
			     sig) >= cap) {
		snprintf(why, wcap, "the account name is too long");
		return -LSIO_EJOB;
	}
	return 0;
}

void lsio_az_date(int64_t t, char *buf, size_t cap)
{
	static const char days[][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	snprintf(buf, cap, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
		 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
}

const char *lsio_url_redact(const char *url, char *out, size_t cap)
{
	const char *p;
	size_t len;

	for (p = strchr(url, '?'); p && *p && *p != '#'; p += strcspn(p + 1, "&#") + 1) {
		if (strncasecmp(p + 1, "sig=", 4))
			continue;
		len = (size_t)(p + 5 - url);
		snprintf(out, cap, "%.*s", (int)len, url);
		if (len < cap)
			snprintf(out + len, cap - len, "REDACTED%s",
				 p + 5 + strcspn(p + 5, "&#"));
		return out;	/* one signature per URL */
	}
	return url;
}

void lsio_az_creds_text(const struct lsio_az *az, enum lsio_az_auth auth,
			const char *note, char *buf, size_t cap)
{
	switch (auth) {
	case LSIO_AZ_KEY:
		snprintf(buf, cap, "shared key for account %s (%s)", az->account,
			 az->key_from);
		break;
	case LSIO_AZ_SAS:
		snprintf(buf, cap, "SAS token for account %s (%s)", az->account,
			 az->sas_from);
		break;
	case LSIO_AZ_SAS_URL:
		snprintf(buf, cap, "SAS token (in the URL)");
		break;
	default:
		snprintf(buf, cap, "none: anonymous%s%s%s", note ? " (" : "",
			 note ? note : "", note ? ")" : "");
	}
}
