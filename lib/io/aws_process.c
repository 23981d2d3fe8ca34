/* SPDX-License-Identifier: MIT */
/*
 * aws_process.c - a profile's credential_process: a command the AWS CLI
 * runs (with /bin/sh -c) whose stdout is a JSON document of keys, the way
 * vaults, SSO helpers and corporate tools hand credentials over.
 *
 * The command's stdin is /dev/null (lsio's may be the chunks of a job);
 * its stdout and stderr are read, each up to 64 KiB, until it has exited
 * and its stdout has ended, or has exited and what it left running in
 * the background (holding the pipes) is quiet.  One that runs for more
 * than a minute is killed: lsio never hangs on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io/remote_state.h"

#define OUT_MAX (64 << 10)
#define DEADLINE_MS 60000	/* the AWS SDK for Go's limit */
#define POLL_MS 100

struct child {
	pid_t pid;
	int out, err;		/* our ends of its stdout and stderr */
	char *buf[2];		/* what came on each, '\0'-terminated */
	size_t len[2];
};

static void child_exec(const char *cmd, const int out[2], const int err[2])
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 ||
	    dup2(err[1], 2) < 0)
		_exit(127);
	/* Nothing else of lsio's: as Python's and Go's exec do. */
	if (close_range(3, ~0u, 0))
		for (long fd = 3; fd < 4096; fd++)
			close((int)fd);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* Start cmd with its stdout and stderr piped to us. */
static int child_start(struct child *ch, const char *cmd)
{
	int out[2], err[2];

	if (pipe2(out, O_CLOEXEC))
		return -errno;
	if (pipe2(err, O_CLOEXEC)) {
		close(out[0]);
		close(out[1]);
		return -errno;
	}
	ch->pid = fork();
	if (ch->pid == 0)
		child_exec(cmd, out, err);
	close(out[1]);
	close(err[1]);
	ch->out = out[0];
	ch->err = err[0];
	if (ch->pid < 0) {
		close(ch->out);
		close(ch->err);
		return -EAGAIN;
	}
	return 0;
}

/* Read what is there on fd into stream i; 0 at its end. */
static ssize_t child_read(struct child *ch, int i, int fd)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	size_t room = OUT_MAX - ch->len[i];

	if (n <= 0)
		return n < 0 && errno == EINTR ? 1 : 0;
	if ((size_t)n > room)
		n = (ssize_t)room;	/* the rest is dropped */
	memcpy(ch->buf[i] + ch->len[i], tmp, (size_t)n);
	ch->len[i] += (size_t)n;
	ch->buf[i][ch->len[i]] = '\0';
	return 1;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Both streams until the command has exited and its stdout has ended,
 * or, once it has exited, until nothing more comes for POLL_MS (what it
 * left running in the background may hold the pipes).  Its wait status
 * in *status; -1 when it ran past DEADLINE_MS and was killed. */
static int child_collect(struct child *ch, int *status)
{
	struct pollfd p[2] = { { ch->out, POLLIN, 0 }, { ch->err, POLLIN, 0 } };
	double end = now_ms() + DEADLINE_MS;
	bool exited = false;
	int n;

	for (;;) {
		n = poll(p, 2, POLL_MS);
		for (int i = 0; n > 0 && i < 2; i++)
			if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    child_read(ch, i, p[i].fd) == 0)
				p[i].fd = -1;
		if (!exited)
			exited = waitpid(ch->pid, status, WNOHANG) == ch->pid;
		if (exited && (p[0].fd < 0 || n == 0))
			return 0;
		if (now_ms() > end)
			break;
	}
	kill(ch->pid, SIGKILL);
	while (waitpid(ch->pid, status, 0) < 0 && errno == EINTR)
		;
	return -1;
}

/* The first line of what the command said on stderr, for messages. */
static const char *first_line(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

static int child_verdict(struct child *ch, int status, const char *profile,
			 char *why, size_t cap)
{
	const char *err = first_line(ch->buf[1]);
	const char *sep = *err ? ": " : "";

	if (status < 0)
		return lsio_why(why, cap, -LSIO_ESOURCE, "profile '%s': credential_process did not finish within %d s%s%s",
				profile, DEADLINE_MS / 1000, sep, err);
	if (WIFSIGNALED(status))
		return lsio_why(why, cap, -LSIO_ESOURCE, "profile '%s': credential_process was killed by signal %d%s%s",
				profile, WTERMSIG(status), sep, err);
	if (WEXITSTATUS(status))
		return lsio_why(why, cap, -LSIO_ESOURCE, "profile '%s': credential_process exited with status %d%s%s",
				profile, WEXITSTATUS(status), sep, err);
	return 0;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) && json_string_length(v) ? json_string_value(v)
							   : NULL;
}

int lsio_aws_process_parse(const char *doc, size_t n, struct lsio_creds *c,
			   char *why, size_t cap)
{
	json_error_t jerr;
	json_t *o = json_loadb(doc, n, 0, &jerr);
	json_t *ver = json_object_get(o, "Version");
	const char *id = jstr(o, "AccessKeyId"), *secret = jstr(o, "SecretAccessKey");
	const char *exp = jstr(o, "Expiration");
	int64_t expires = lsio_aws_time(exp);
	int ret = -LSIO_ESOURCE;

	if (!o)
		lsio_why(why, cap, 0, "its output is not JSON: %s (line %d)", jerr.text,
			 jerr.line);
	else if (!json_is_object(o))
		lsio_why(why, cap, 0, "its output is not a JSON object");
	else if (!json_is_integer(ver) || json_integer_value(ver) != 1)
		lsio_why(why, cap, 0, "its output has no \"Version\": 1");
	else if (!id || !secret)
		lsio_why(why, cap, 0, "its output has no \"%s\"",
			 id ? "SecretAccessKey" : "AccessKeyId");
	else if (expires < 0)
		lsio_why(why, cap, 0, "an \"Expiration\" that is not a time: \"%s\"", exp);
	else if (!(ret = lsio_aws_creds_set(c, id, secret, jstr(o, "SessionToken"))))
		c->expires = expires;
	json_decref(o);
	return ret;
}

static int child_run(struct child *ch, const char *cmd, const char *profile,
		     char *why, size_t cap)
{
	int ret = child_start(ch, cmd);
	int status = 0;

	if (ret)
		return lsio_why(why, cap, -LSIO_ESOURCE, "profile '%s': cannot run credential_process: %s",
				profile, strerror(-ret));
	if (child_collect(ch, &status))
		status = -1;
	close(ch->out);
	close(ch->err);
	return child_verdict(ch, status, profile, why, cap);
}

int lsio_aws_process(struct lsio_creds *c, const char *profile,
		     const char *cmd, char *why, size_t cap)
{
	struct child ch = { .pid = -1 };
	char msg[512];
	int ret = -ENOMEM;

	ch.buf[0] = malloc(OUT_MAX + 1);
	ch.buf[1] = malloc(OUT_MAX + 1);
	if (!ch.buf[0] || !ch.buf[1])
		goto out;
	ch.buf[0][0] = ch.buf[1][0] = '\0';
	ret = child_run(&ch, cmd, profile, why, cap);
	if (ret)
		goto out;
	ret = lsio_aws_process_parse(ch.buf[0], ch.len[0], c, msg, sizeof(msg));
	if (ret == -LSIO_ESOURCE)
		lsio_why(why, cap, 0, "profile '%s': credential_process: %s", profile, msg);
	snprintf(c->from, sizeof(c->from), "profile '%.64s': credential_process", profile);
out:
	free(ch.buf[0]);
	free(ch.buf[1]);
	return ret ? ret : 1;
}
