/* SPDX-License-Identifier: MIT */
/*
 * remote.h - what the remote backend's files share: URL translation and
 * credentials (s3_auth.c, aws_creds.c, gcs_creds.c), and the checks every HTTP response goes through
 * (http_check.c), both used by backend_curl.c.  The checks are pure functions of recorded header
 * lines, so tests/unit/test_remote.c can replay any server.
 */
#ifndef LSIO_REMOTE_H
#define LSIO_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

enum lsio_url_kind {
	LSIO_URL_HTTP, LSIO_URL_S3, LSIO_URL_GS, LSIO_URL_AZ,
	LSIO_URL_KINDS		/* how many */
};

/* --- URLs (s3_auth.c) ----------------------------------------------------- */

/* A source name split up: for s3://, gs:// and Azure the bucket (an
 * Azure container) and the key (its blob), pointers into the name, not
 * terminated: use the lengths.  Azure's also the host the name gives
 * (https://HOST/..., az://CONTAINER@HOST/...; NULL when none) and the
 * query after the blob's name (a SAS; NULL when none). */
struct lsio_url_parts {
	enum lsio_url_kind kind;
	const char *bucket, *key;
	size_t bucket_len, key_len;
	const char *host, *query;
	size_t host_len;
	bool https;		/* Azure: the name is the https URL itself */
};

/* Split name.  Returns 0, or -LSIO_EJOB with the reason in why (an s3://
 * name without a bucket or a key, an http URL without a host).  An https
 * URL on an Azure blob host (*.blob.core.windows.net and the sovereign
 * clouds') is LSIO_URL_AZ, so that it is signed. */
int lsio_url_split(const char *name, struct lsio_url_parts *u, char *why,
		   size_t cap);

/* How S3 is reached: from the job, over the environment. */
struct lsio_s3_config {
	const char *endpoint;	/* "https://s3.us-east-1.amazonaws.com" when NULL */
	const char *region;
	int addressing;		/* enum lsio_s3_addressing, -1 = by endpoint */
};

/* The https URL of s3://bucket/key: virtual-hosted
 * (https://bucket.s3.REGION.amazonaws.com/key) on AWS when the bucket is a
 * DNS name without dots, else path-style (ENDPOINT/bucket/key); a custom
 * endpoint is path-style unless addressing says virtual.  The key is
 * percent-encoded as S3 signs it.  Returns a malloc'd URL or NULL (out of
 * memory, or a bucket that cannot be virtual-hosted: reason in why). */
char *lsio_s3_url(const struct lsio_s3_config *c, const struct lsio_url_parts *u,
		  char *why, size_t cap);

/* The URL of gs://bucket/key on endpoint (https://storage.googleapis.com
 * when NULL): path-style, as the XML API serves it.  malloc'd or NULL. */
char *lsio_gs_url(const char *endpoint, const struct lsio_url_parts *u);

/* key (n bytes) percent-encoded into out (3 n + 1 bytes), as S3's
 * canonical URI and Azure's blob names have it: unreserved characters and
 * '/' as they are, every other byte %XX.  Returns the length written. */
size_t lsio_url_key_encode(char *out, const char *key, size_t n);

/* "host:port" of an http(s) URL (the port only when given), for per-host
 * statistics.  Returns 0 or -1 (no host). */
int lsio_url_host(const char *url, char *host, size_t cap);

/* --- Azure Blob Storage (azure.c) ---------------------------------------- */

/* true when host (n bytes) is an Azure blob endpoint's. */
bool lsio_az_blob_host(const char *host, size_t n);

/* Split an az:// name, or an https URL on an Azure blob host, into u. */
int lsio_az_split(const char *name, struct lsio_url_parts *u, char *why,
		  size_t cap);

/* What the environment says about Azure, read as Azure's SDKs read it. */
struct lsio_az {
	char *account;		/* AZURE_STORAGE_ACCOUNT, else the connection
				 * string's AccountName; NULL = none */
	uint8_t key[128];	/* the account key, decoded */
	size_t key_len;		/* 0 = no key */
	char *sas;		/* a SAS token without its '?', NULL = none */
	char *endpoint;		/* BlobEndpoint, else built for account */
	char *protocol, *suffix;	/* DefaultEndpointsProtocol, EndpointSuffix */
	char *conn_account, *conn_sas;	/* the connection string's own */
	char key_from[64], sas_from[64];	/* the variables they came from */
};

/*
 * Read AZURE_STORAGE_CONNECTION_STRING (AccountName, AccountKey,
 * BlobEndpoint, DefaultEndpointsProtocol, EndpointSuffix,
 * SharedAccessSignature, UseDevelopmentStorage), then AZURE_STORAGE_ACCOUNT,
 * AZURE_STORAGE_KEY and AZURE_STORAGE_SAS_TOKEN, which win over the
 * connection string's.  Returns 0, -LSIO_EJOB (a key that is not base64,
 * a key without an account, a part that is not Name=Value: why says
 * which variable), or -ENOMEM.  lsio_az_release() in any case.
 */
int lsio_az_init(struct lsio_az *az, char *why, size_t cap);
void lsio_az_release(struct lsio_az *az);

/* "PROTOCOL://ACCOUNT.blob.SUFFIX" (https, core.windows.net unless the
 * connection string says otherwise); malloc'd or NULL. */
char *lsio_az_endpoint(const struct lsio_az *az, const char *acct, size_t n);

enum lsio_az_auth {
	LSIO_AZ_ANON,		/* no credentials: a public container */
	LSIO_AZ_SAS_URL,	/* the name's own query holds a SAS */
	LSIO_AZ_SAS,		/* the environment's SAS, appended to the URL */
	LSIO_AZ_KEY,		/* Shared Key: each request signed */
};

struct lsio_az_source {
	char *url;		/* malloc'd: the URL requested */
	char account[64];	/* the source's storage account */
	bool ours;		/* the environment's credentials are its */
	enum lsio_az_auth auth;
};

/* The URL and credentials of an Azure source: the environment's
 * credentials go to its own account's sources only; anonymous
 * (--no-sign-request) drops them (a SAS in the name itself stays).
 * Returns 0, -LSIO_EJOB (no account known: why), -ENOMEM. */
int lsio_az_source(const struct lsio_az *az, const char *name,
		   const struct lsio_url_parts *u, bool anonymous,
		   struct lsio_az_source *out, char *why, size_t cap);

/* "shared key for account A (AZURE_STORAGE_CONNECTION_STRING)", "SAS
 * token (in the URL)", "none: anonymous (note)": for plan -v and for
 * refusals.  Never a secret. */
void lsio_az_creds_text(const struct lsio_az *az, enum lsio_az_auth auth,
			const char *note, char *buf, size_t cap);

/* The Shared Key string-to-sign of a request: method, its header lines
 * ("Name: value", Range among them), the account and the URL.  Returns
 * its length, or -1 when cap is too small (or too many parameters). */
long lsio_az_string_to_sign(const char *method, const char *const *lines,
			    size_t n, const char *account, const char *url,
			    char *out, size_t cap);

/* "Authorization: SharedKey ACCOUNT:SIGNATURE" for sts (n bytes) into
 * line.  Returns 0 or -LSIO_EBACKEND (no libcrypto) / -LSIO_EJOB (why). */
int lsio_az_authorization(const struct lsio_az *az, const char *sts, size_t n,
			  char *line, size_t cap, char *why, size_t wcap);

/* "Mon, 07 Dec 2026 03:57:20 GMT" (RFC 1123, whatever the locale). */
void lsio_az_date(int64_t t, char *buf, size_t cap);


/* --- AWS credentials (s3_auth.c) ----------------------------------------- */

/* Keys, or (gs://) a token alone: what creds_cache.c keeps. */
struct lsio_creds {
	char *access_key, *secret_key, *token;	/* token may be NULL */
	char *region;		/* the profile's region, or NULL */
	char *endpoint;		/* the profile's endpoint_url, or NULL */
	int64_t expires;	/* seconds since 1970, 0 = never */
	char from[384];		/* "environment", "profile 'x' in 'FILE'",
				 * "instance metadata (IMDSv2) at URL, role R" */
};

/*
 * Find credentials as the AWS CLI does (botocore's chain), first match wins:
 *   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 *   2. the profile's role_arn (assume-role), 3. a web identity token,
 *      4. SSO (not supported): lsio_aws_creds_fetch's, so this returns 0;
 *   5. the profile AWS_PROFILE (else "default") in AWS_SHARED_CREDENTIALS_FILE
 *      (else ~/.aws/credentials);
 *   6. the profile's credential_process: lsio_aws_creds_fetch's (0 here);
 *   7. the profile in AWS_CONFIG_FILE (else ~/.aws/config, section
 *      "[profile NAME]" or "[default]").
 * The profile's region and endpoint_url are read from the config file
 * even when the keys come from the environment.  Sends nothing, runs
 * nothing.  Returns 1 when keys were found, 0 when none were (no error),
 * or -LSIO_EJOB when they are incomplete (a key id without a secret) or
 * AWS_PROFILE names a missing profile, with the reason in why.
 */
int lsio_aws_creds_find(struct lsio_creds *c, char *why, size_t cap);
void lsio_creds_release(struct lsio_creds *c);

/*
 * The rest of the chain, for when lsio_aws_creds_find() found no keys:
 *   2.-4. and 6. above (aws_profile.c: lsio_aws_profile_creds);
 *   8. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on
 *      http://169.254.170.2, else AWS_CONTAINER_CREDENTIALS_FULL_URI, with
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE) as its Authorization;
 *   9. EC2 instance metadata (IMDSv2) at AWS_EC2_METADATA_SERVICE_ENDPOINT
 *      (else http://169.254.169.254) unless AWS_EC2_METADATA_DISABLED=true.
 * Keys expiring within 5 minutes are fetched again.  Fills c's keys,
 * expires and from.  Returns 1 when keys were found; 0 when none were, with
 * why "" or why the instance metadata gave none (a machine outside EC2
 * has none: not an error); -LSIO_ESOURCE when a configured source (a
 * role, a command, the container's endpoint) fails, or the keys have
 * expired, with why naming the source, its URL and what it answered;
 * -ENOMEM.
 */
int lsio_aws_creds_fetch(struct lsio_creds *c, char *why, size_t cap);

/* --- AWS profiles (s3_auth.c) ---------------------------------------------- */

/* The profile in use: AWS_PROFILE, else "default". */
const char *lsio_aws_profile(void);

/* key of profile: the credentials file's [NAME], else the config file's
 * [profile NAME] ([default]).  malloc'd, NULL when absent; *seen (may be
 * NULL) is set when either file has the section. */
char *lsio_aws_profile_get(const char *profile, const char *key, bool *seen);

/* profile's static keys (credentials file, then config file), or the
 * environment's: 1 found, 0 none, -LSIO_EJOB half a pair, -ENOMEM.  They
 * replace c's keys and set c->from. */
int lsio_aws_profile_keys(struct lsio_creds *c, const char *profile,
			  char *why, size_t cap);
int lsio_aws_env_keys(struct lsio_creds *c, char *why, size_t cap);

/* --- the profile's roles and commands (aws_profile.c) ----------------------- */

/* Steps 2, 3, 4 and 6 of the chain: 1 with keys in c (c->from names the
 * profile, role and STS URL or command, never a secret), 0 when the
 * profile and the environment configure none of them, -LSIO_ESOURCE with
 * why (an STS error's Code and Message, a command's failure, a
 * source_profile loop, an SSO profile), -ENOMEM. */
int lsio_aws_profile_creds(struct lsio_creds *c, char *why, size_t cap);

/* --- AWS STS (aws_sts.c) ---------------------------------------------------- */

/* One call of STS: AssumeRoleWithWebIdentity (unsigned, with token) or
 * AssumeRole (signed by src). */
struct lsio_sts_call {
	const char *role_arn, *session;	/* session NULL: "lsio-PID" */
	const char *token;		/* the web identity token, or NULL */
	const struct lsio_creds *src;	/* AssumeRole's signer */
	const char *external_id;	/* AssumeRole's, or NULL */
	const char *duration;		/* seconds, or NULL: STS's default */
	const char *region;		/* the profile's, or NULL */
	const char *endpoint;		/* the profile's endpoint_url, or NULL */
};

/* STS's URL: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the profile's
 * endpoint_url, https://sts.REGION.amazonaws.com for AWS_REGION,
 * AWS_DEFAULT_REGION or the profile's region, else the global
 * https://sts.amazonaws.com; and the region that signs for it. */
void lsio_sts_endpoint(const struct lsio_sts_call *q, char *url, size_t cap,
		       char *region, size_t rcap);

/* Make the call; on 1 c holds the role's keys, token and expiry, and url
 * the STS URL asked.  -LSIO_ESOURCE with why "URL: HTTP 403 Forbidden:
 * AccessDenied: message", -ENOMEM.  One request, no retry. */
int lsio_sts_call(const struct lsio_sts_call *q, struct lsio_creds *c,
		  char *url, size_t ucap, char *why, size_t cap);

/* The <Credentials> of an STS response (n bytes of body) into c: 0, or
 * -LSIO_ESOURCE with why (an <Error>'s Code: Message, a missing key or a
 * bad Expiration), -ENOMEM. */
int lsio_sts_parse(const char *body, size_t n, struct lsio_creds *c,
		   char *why, size_t cap);

/* --- credential_process (aws_process.c) -------------------------------------- */

/* Run cmd with /bin/sh -c (stdin /dev/null) and take the keys from the
 * JSON on its stdout ({"Version": 1, "AccessKeyId", "SecretAccessKey",
 * "SessionToken", "Expiration"}).  1, or -LSIO_ESOURCE with why naming
 * the profile and what failed (the exit status and the first line of its
 * stderr, or what is wrong with the JSON), -ENOMEM. */
int lsio_aws_process(struct lsio_creds *c, const char *profile,
		     const char *cmd, char *why, size_t cap);

/* Parse a credential_process document of n bytes: 0 or -LSIO_ESOURCE. */
int lsio_aws_process_parse(const char *doc, size_t n, struct lsio_creds *c,
			   char *why, size_t cap);

/* --- credentials shared by the process (creds_cache.c) ------------------- */

/* A chain of credential sources: fills c, returns 1 (found), 0 (none:
 * why says why, or is ""), or a negative error with why. */
typedef int (*lsio_creds_fn)(struct lsio_creds *c, char *why, size_t cap);

/* fn's credentials, asked once per process for the environment it reads
 * (the variables named by prefixes, a NULL-terminated list such as
 * {"AWS_", "HOME=", NULL}) and shared by every later call; asked again
 * when they expire within 5 minutes.  "None" is remembered too; errors
 * are not.  Returns 1 with *out set, 0 (none: *out set, why), or the
 * error fn gave (why).  Entries live as long as the process. */
struct lsio_creds_entry;
int lsio_creds_get(lsio_creds_fn fn, const char *const *prefixes,
		   struct lsio_creds_entry **out, char *why, size_t cap);

/* The keys to sign a request with now, NULL when e has none.  Keys within
 * 5 minutes of expiry are renewed first by the calling thread, unless
 * another thread is at it (the old keys are still valid meanwhile) or a
 * renewal failed less than 30 s ago.  The pointer stays valid for the
 * life of the process. */
const struct lsio_creds *lsio_creds_now(struct lsio_creds_entry *e);

/* A server refused used as expired: renew now (once, whichever thread
 * says so first). */
void lsio_creds_stale(struct lsio_creds_entry *e,
		      const struct lsio_creds *used);

/* Why the last renewal failed: returns 1 and fills why, or 0. */
int lsio_creds_renew_failure(struct lsio_creds_entry *e, char *why, size_t cap);

/* The value of key in section of an INI file such as ~/.aws/config;
 * malloc'd, NULL when absent.  *found_section tells whether the section
 * exists. */
char *lsio_ini_get(const char *path, const char *section, const char *key,
		   bool *found_section);

/* --- GCS credentials (gcs_creds.c) --------------------------------------- */

enum lsio_gcs_kind {
	LSIO_GCS_NONE,		/* anonymous requests */
	LSIO_GCS_TOKEN,		/* GOOGLE_OAUTH_ACCESS_TOKEN, as given */
	LSIO_GCS_SERVICE,	/* "type": "service_account" file: a JWT */
	LSIO_GCS_USER,		/* "type": "authorized_user": a refresh token */
	LSIO_GCS_METADATA,	/* the GCE metadata server */
};

struct lsio_gcs_creds {
	enum lsio_gcs_kind kind;
	char *file;		/* the credentials file (SERVICE, USER) */
	char *email;		/* SERVICE: client_email */
	char *key_pem, *key_id;	/* SERVICE: private_key, private_key_id */
	char *client_id, *client_secret, *refresh_token;	/* USER */
	char *token_uri;	/* where tokens come from (METADATA: its URL) */
	char *token;		/* the access token; NULL: anonymous */
	int64_t expires;	/* seconds since 1970, 0 = not said */
	char from[384];		/* for plan -v: never a secret */
};

/*
 * Find GCS credentials as google-auth does, first match wins:
 *   1. GOOGLE_OAUTH_ACCESS_TOKEN, used as it is;
 *   2. the file GOOGLE_APPLICATION_CREDENTIALS names;
 *   3. gcloud's application default credentials, CLOUDSDK_CONFIG (else
 *      ~/.config/gcloud)/application_default_credentials.json;
 *   4. the GCE metadata server, GCE_METADATA_HOST (else
 *      metadata.google.internal), unless NO_GCE_CHECK=true.
 * A file is "service_account" or "authorized_user"; its token is fetched
 * (or taken from this process's cache while it has 5 minutes left).
 * Returns 1 with c->token set, 0 for none (anonymous; from says why),
 * -LSIO_ESOURCE when a file is unreadable or malformed or its token
 * endpoint refuses, with why naming the file, the URL, the HTTP status
 * and Google's error; -ENOMEM.
 */
int lsio_gcs_creds_find(struct lsio_gcs_creds *c, char *why, size_t cap);

/* A fresh token for the credentials found (kinds SERVICE, USER, METADATA),
 * one request, no retry: c->token and c->expires are replaced.  For a
 * refresh during a long run.  Returns 0, -LSIO_ESOURCE (why), -ENOMEM. */
int lsio_gcs_token_fetch(struct lsio_gcs_creds *c, char *why, size_t cap);

/* The signed JWT a service account trades for a token, issued at now
 * (seconds since 1970), valid an hour.  *jwt is malloc'd.  Returns 0,
 * -LSIO_ESOURCE for a key libcrypto cannot use (why), -LSIO_EBACKEND,
 * -ENOMEM. */
int lsio_gcs_jwt(const struct lsio_gcs_creds *c, int64_t now, char **jwt,
		 char *why, size_t cap);

/* "service account EMAIL from FILE, token expiring TIME" ... into buf. */
void lsio_gcs_creds_describe(const struct lsio_gcs_creds *c, char *buf,
			     size_t cap);

void lsio_gcs_creds_release(struct lsio_gcs_creds *c);

/* --- responses (http_check.c) -------------------------------------------- */

/* An ETag longer than this (none seen in the wild comes close) is taken
 * as no ETag: it cannot be pinned. */
#define LSIO_ETAG_MAX 256

/* What the header lines of one response said.  A redirect or an interim
 * response starts a new one (a new status line resets it). */
struct lsio_http_resp {
	int status;		/* 0 until a status line was seen */
	char reason[48];	/* "Not Found" (HTTP/1.x only) */
	bool has_range;		/* Content-Range: bytes FIRST-LAST/TOTAL */
	uint64_t range_first, range_last;
	uint64_t range_total;	/* UINT64_MAX when "*" or absent */
	int64_t length;		/* Content-Length, -1 = not given */
	bool multipart;		/* Content-Type: multipart/byteranges */
	char etag[LSIO_ETAG_MAX];	/* as sent, "" = none */
	double retry_after;	/* seconds, -1 = not given */
	char ms_error[64];	/* Azure's x-ms-error-code, "" = none */
};

void lsio_http_resp_reset(struct lsio_http_resp *r);

/* Take one header line (as libcurl hands it: with its CRLF, or not). */
void lsio_http_header(struct lsio_http_resp *r, const char *line, size_t n);

enum lsio_http_verdict {
	LSIO_HTTP_OK,		/* 206 for exactly the range asked */
	LSIO_HTTP_SLICE,	/* 200: the whole object; take the range */
	LSIO_HTTP_RETRY,	/* 408, 429, 500, 502, 503, 504 */
	LSIO_HTTP_FAIL,		/* anything else: why says what */
};

/* Judge the head of the response to a GET of len bytes at off (len > 0).
 * On FAIL (and RETRY) why holds "HTTP 416 ..." or what did not match. */
enum lsio_http_verdict lsio_http_judge(const struct lsio_http_resp *r,
				       uint64_t off, uint64_t len, char *why,
				       size_t cap);

/* The same for a GET of the last len bytes ("Range: bytes=-LEN"): a 206
 * must end at the object's end and hold len bytes (an object shorter than
 * len fails, naming its size), a 200 of a known length is sliced. */
enum lsio_http_verdict lsio_http_judge_suffix(const struct lsio_http_resp *r,
					      uint64_t len, char *why,
					      size_t cap);

/* The same for a GET of the rest of the object from off. */
enum lsio_http_verdict lsio_http_judge_rest(const struct lsio_http_resp *r,
					    uint64_t off, char *why, size_t cap);

/* A strong ETag ("abc", not W/"abc"): one If-Match can name.  If-Match
 * compares strongly, so a weak ETag would never match. */
bool lsio_etag_strong(const char *etag);

/* "HTTP 404 Not Found" ("HTTP 504" over HTTP/2, which has no reason). */
void lsio_http_status_text(const struct lsio_http_resp *r, char *buf,
			   size_t cap);

/* 408, 429, 500, 502, 503, 504: worth another try. */
bool lsio_http_retryable(int status);

/* The text between <tag> and </tag> in n bytes of body, trimmed, line
 * breaks as spaces; "" when absent. */
void lsio_xml_text(const char *body, size_t n, const char *tag, char *out,
		   size_t cap);

/* The <Code> and <Message> of an S3 (or GCS XML) error body, "" when
 * absent. */
void lsio_xml_error(const char *body, size_t n, char *code, size_t code_cap,
		    char *msg, size_t msg_cap);

/* Exponential backoff with full jitter: a uniform delay in
 * [0, min(cap, base * 2^retry)) seconds; *rng is the caller's state. */
double lsio_backoff(unsigned retry, double base, double cap, uint64_t *rng);

#endif /* LSIO_REMOTE_H */
