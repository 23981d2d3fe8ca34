/* SPDX-License-Identifier: MIT */
/*
 * aws_profile.c - the credentials a profile (or the environment) names
 * but does not hold, in botocore's order: a role to assume (role_arn with
 * source_profile or credential_source), a web identity token
 * (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, or the profile's
 * web_identity_token_file), SSO (refused: not supported), and a
 * credential_process.  s3_auth.c has already looked at the environment's
 * keys and, when none of these come first, the profile's static keys.
 *
 * A source_profile may itself assume a role (role chaining); the chain
 * is followed at most CHAIN_MAX deep and a profile met twice is a loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/remote_state.h"

#define CHAIN_MAX 8
#define WEB_TOKEN_MAX (16 << 10)

/* The profiles a role's sources went through, for loops and messages;
 * and where STS is, from the profile in use (AWS_PROFILE): every call
 * of a chain goes there, as botocore's client does. */
struct chain {
	const char *name[CHAIN_MAX];
	int n;
	const char *region, *endpoint;
};

/* What a profile says, read once. */
struct profile {
	const char *name;
	char *role_arn, *source, *cred_source, *web_file, *process, *sso;
	char *session, *external_id, *duration;
};

static void profile_read(struct profile *p, const char *name)
{
	char *sso_session = lsio_aws_profile_get(name, "sso_session", NULL);

	memset(p, 0, sizeof(*p));
	p->name = name;
	p->role_arn = lsio_aws_profile_get(name, "role_arn", NULL);
	p->source = lsio_aws_profile_get(name, "source_profile", NULL);
	p->cred_source = lsio_aws_profile_get(name, "credential_source", NULL);
	p->web_file = lsio_aws_profile_get(name, "web_identity_token_file", NULL);
	p->process = lsio_aws_profile_get(name, "credential_process", NULL);
	p->sso = lsio_aws_profile_get(name, "sso_start_url", NULL);
	if (!p->sso)
		p->sso = sso_session;
	else
		free(sso_session);
	p->session = lsio_aws_profile_get(name, "role_session_name", NULL);
	p->external_id = lsio_aws_profile_get(name, "external_id", NULL);
	p->duration = lsio_aws_profile_get(name, "duration_seconds", NULL);
}

static void profile_release(struct profile *p)
{
	free(p->role_arn);
	free(p->source);
	free(p->cred_source);
	free(p->web_file);
	free(p->process);
	free(p->sso);
	free(p->session);
	free(p->external_id);
	free(p->duration);
}

/* --- web identity ------------------------------------------------------------ */

/* The token in path, without the line break an editor leaves. */
static char *token_read(const char *path, char *why, size_t cap)
{
	FILE *f = fopen(path, "re");
	char *buf = malloc(WEB_TOKEN_MAX + 1);
	size_t n = 0;

	if (f && buf)
		n = fread(buf, 1, WEB_TOKEN_MAX + 1, f);
	if (!f || !buf || n > WEB_TOKEN_MAX || (n == 0 && ferror(f))) {
		lsio_why(why, cap, 0, "cannot read the web identity token file '%s': %s", path,
			 !f ? strerror(errno) : !buf ? "out of memory"
			 : n > WEB_TOKEN_MAX ? "larger than 16 KiB" : strerror(errno));
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	while (buf && n && strchr(" \t\r\n", buf[n - 1]))
		n--;
	if (buf)
		buf[n] = '\0';
	if (buf && !n) {
		lsio_why(why, cap, 0, "the web identity token file '%s' is empty", path);
		free(buf);
		buf = NULL;
	}
	return buf;
}

/* AssumeRoleWithWebIdentity; use_env: the environment's variables over
 * the profile's (not for a source_profile). */
static int web_identity(struct lsio_creds *c, const struct profile *p,
			const struct chain *ch, bool use_env, char *why,
			size_t cap)
{
	const char *file = use_env && lsio_env("AWS_WEB_IDENTITY_TOKEN_FILE")
		? lsio_env("AWS_WEB_IDENTITY_TOKEN_FILE") : p->web_file;
	const char *role = use_env && lsio_env("AWS_ROLE_ARN") ? lsio_env("AWS_ROLE_ARN")
							  : p->role_arn;
	struct lsio_sts_call q = { .role_arn = role, .session = p->session,
		.region = ch->region, .endpoint = ch->endpoint };
	char url[1024], msg[1024];
	char *token;
	int ret;

	if (use_env && lsio_env("AWS_ROLE_SESSION_NAME"))
		q.session = lsio_env("AWS_ROLE_SESSION_NAME");
	if (!role)
		return lsio_why(why, cap, -LSIO_ESOURCE, "web identity token '%s': no role to assume: set AWS_ROLE_ARN or the profile's role_arn",
				file);
	token = token_read(file, why, cap);
	if (!token)
		return -LSIO_ESOURCE;
	q.token = token;
	ret = lsio_sts_call(&q, c, url, sizeof(url), msg, sizeof(msg));
	free(token);
	snprintf(c->from, sizeof(c->from), "web identity token %.100s, role %.100s via STS %.100s",
		 file, role, url);
	if (ret < 0 && ret != -ENOMEM)
		lsio_why(why, cap, 0, "%s: %s", c->from, msg);
	return ret;
}

/* --- assume role ------------------------------------------------------------------ */

static int assume_role(struct lsio_creds *c, const struct profile *p,
		       struct chain *ch, char *why, size_t cap);

/* The loop a -> b -> a, when name is already on the chain. */
static int chain_push(struct chain *ch, const char *name, char *why, size_t cap)
{
	char path[512] = "";
	size_t len = 0;
	bool loop = false;

	for (int i = 0; i < ch->n; i++)
		loop |= !strcmp(ch->name[i], name);
	if (!loop && ch->n < CHAIN_MAX) {
		ch->name[ch->n++] = name;
		return 0;
	}
	for (int i = 0; i < ch->n && len < sizeof(path); i++)
		len += (size_t)snprintf(path + len, sizeof(path) - len, "'%s' -> ", ch->name[i]);
	return lsio_why(why, cap, -LSIO_ESOURCE, "profile '%s': %s: %s'%s'", ch->name[0],
			loop ? "source_profile loop" : "source_profile chain too long",
			path, name);
}

/* The keys of a source_profile: its own role, web identity, command or
 * static keys. */
static int source_creds(struct lsio_creds *s, const char *name,
			struct chain *ch, char *why, size_t cap)
{
	struct profile p;
	bool seen = false;
	char *v = lsio_aws_profile_get(name, "region", &seen);
	int ret;

	free(v);
	if (!seen)
		return lsio_why(why, cap, -LSIO_ESOURCE, "profile '%s': source profile '%s' is in neither the credentials nor the config file",
				ch->name[0], name);
	profile_read(&p, name);
	if (p.role_arn && !p.web_file)
		ret = assume_role(s, &p, ch, why, cap);
	else if (p.web_file)
		ret = web_identity(s, &p, ch, false, why, cap);
	else if (p.sso)
		ret = lsio_why(why, cap, -LSIO_ESOURCE, "profile '%s': SSO profiles are not supported: run 'aws configure export-credentials --profile %s --format env' and use the keys it prints",
			       name, name);
	else if (p.process)
		ret = lsio_aws_process(s, name, p.process, why, cap);
	else if (!(ret = lsio_aws_profile_keys(s, name, why, cap)))
		ret = lsio_why(why, cap, -LSIO_ESOURCE, "profile '%s': source profile '%s' has no credentials",
			       ch->name[0], name);
	profile_release(&p);
	return ret;
}

/* credential_source: where a role's source keys come from outside the
 * profile files. */
static int named_source(struct lsio_creds *s, const struct profile *p,
			char *why, size_t cap)
{
	const char *cs = p->cred_source;
	int ret;

	if (!strcmp(cs, "Environment"))
		ret = lsio_aws_env_keys(s, why, cap);
	else if (!strcmp(cs, "EcsContainer"))
		ret = lsio_aws_from_container(s, why, cap);
	else if (!strcmp(cs, "Ec2InstanceMetadata"))
		ret = lsio_aws_from_imds(s, why, cap);
	else
		return lsio_why(why, cap, -LSIO_ESOURCE, "profile '%s': unknown credential_source '%s' (Environment, EcsContainer or Ec2InstanceMetadata)",
				p->name, cs);
	if (!ret)
		ret = lsio_why(why, cap, -LSIO_ESOURCE, "profile '%s': credential_source %s has no credentials",
			       p->name, cs);
	return ret;
}

/* The source's keys into s: the profile itself when it is its own
 * source (keys beside role_arn, as botocore allows). */
static int role_source(struct lsio_creds *s, const struct profile *p,
		       struct chain *ch, char *why, size_t cap)
{
	if (p->source && p->cred_source)
		return lsio_why(why, cap, -LSIO_ESOURCE, "profile '%s' has both source_profile and credential_source",
				p->name);
	if (p->cred_source)
		return named_source(s, p, why, cap);
	if (!p->source)
		return lsio_why(why, cap, -LSIO_ESOURCE, "profile '%s' has role_arn but neither source_profile nor credential_source",
				p->name);
	if (!strcmp(p->source, p->name)) {
		int ret = lsio_aws_profile_keys(s, p->name, why, cap);

		return ret ? ret : lsio_why(why, cap, -LSIO_ESOURCE, "profile '%s' is its own source_profile but has no keys",
					    p->name);
	}
	return source_creds(s, p->source, ch, why, cap);
}

static int assume_role(struct lsio_creds *c, const struct profile *p,
		       struct chain *ch, char *why, size_t cap)
{
	struct lsio_creds s = { 0 };
	struct lsio_sts_call q = { .role_arn = p->role_arn, .session = p->session,
		.src = &s, .external_id = p->external_id, .duration = p->duration,
		.region = ch->region, .endpoint = ch->endpoint };
	char url[1024], msg[1024];
	int ret = chain_push(ch, p->name, why, cap);

	if (!ret)
		ret = role_source(&s, p, ch, why, cap);
	if (ret > 0) {
		ret = lsio_sts_call(&q, c, url, sizeof(url), msg, sizeof(msg));
		snprintf(c->from, sizeof(c->from), "profile '%.40s': assume role %.100s with %s '%.40s' via STS %.100s",
			 p->name, p->role_arn, p->source ? "source profile" : "credential source",
			 p->source ? p->source : p->cred_source, url);
		if (ret < 0 && ret != -ENOMEM)
			lsio_why(why, cap, 0, "%s: %s", c->from, msg);
	}
	lsio_creds_release(&s);
	return ret;
}

/* --- the profile's step of the chain ------------------------------------------------ */

int lsio_aws_profile_creds(struct lsio_creds *c, char *why, size_t cap)
{
	struct chain ch = { .n = 0, .region = c->region, .endpoint = c->endpoint };
	struct profile p;
	int ret = 0;

	profile_read(&p, lsio_aws_profile());
	if (p.role_arn && !p.web_file)
		ret = assume_role(c, &p, &ch, why, cap);
	else if ((lsio_env("AWS_WEB_IDENTITY_TOKEN_FILE") && lsio_env("AWS_ROLE_ARN")) ||
		 p.web_file)
		ret = web_identity(c, &p, &ch, true, why, cap);
	else if (p.sso)
		ret = lsio_why(why, cap, -LSIO_ESOURCE, "profile '%s': SSO profiles (sso_start_url, sso_session) are not supported: run 'aws configure export-credentials --profile %s --format env' and use the keys it prints",
			       p.name, p.name);
	else if (p.process)
		ret = lsio_aws_process(c, p.name, p.process, why, cap);
	profile_release(&p);
	if (ret < 0 && ret != -ENOMEM)
		ret = -LSIO_ESOURCE;
	return ret;
}
