/* SPDX-License-Identifier: MIT */
/*
 * signals.c - a signal that would end lsio cancels the run instead, so the
 * library removes its temporaries; then lsio ends by that same signal, so
 * its parent sees what happened ($? is 128+N in a shell, 130 for Ctrl-C)
 * and a shell loop around lsio stops on Ctrl-C as it should.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"

/* Every catchable signal whose default ends the process, except the
 * profiling timers (a profiler owns those) and SIGPIPE (an error to
 * report, EPIPE) and SIGXFSZ (see signals_install). */
static const int stop_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGALRM, SIGUSR1, SIGUSR2, SIGXCPU,
};

#define NSTOP (sizeof(stop_signals) / sizeof(stop_signals[0]))

static struct lsio_ctx *volatile signal_ctx;
static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	struct lsio_ctx *ctx = signal_ctx;

	caught = sig;
	if (ctx)
		lsio_ctx_cancel(ctx);
	/* A second signal ends the process the usual way. */
	signal(sig, SIG_DFL);
}

static void stop_signals_mask(int how)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < NSTOP; i++)
		sigaddset(&set, stop_signals[i]);
	sigprocmask(how, &set, NULL);
}

static void signals_install(struct lsio_ctx *ctx)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction old;

	signal_ctx = ctx;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NSTOP; i++) {
		/* Ignored when we started (nohup, a script's background
		 * job): the caller meant it, so it stays ignored. */
		if (!sigaction(stop_signals[i], NULL, &old) &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(stop_signals[i], &sa, NULL);
	}
	/* A closed pipe is an error to report (EPIPE), not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	/* Past RLIMIT_FSIZE, a write fails with EFBIG when SIGXFSZ is
	 * ignored: the run then fails as for a full disk, removes its
	 * temporaries and says "File too large", where dying of the
	 * signal would say nothing anyone could act on. */
	signal(SIGXFSZ, SIG_IGN);
}

struct lsio_ctx *cmd_ctx_new(void)
{
	struct lsio_ctx *ctx = lsio_ctx_new();

	if (!ctx) {
		fputs("lsio: out of memory\n", stderr);
		return NULL;
	}
	signals_install(ctx);
	return ctx;
}

void cmd_ctx_free(struct lsio_ctx *ctx)
{
	/* The library's threads are gone once a call returns, so blocking
	 * here is enough to keep the handler off a freed context. */
	stop_signals_mask(SIG_BLOCK);
	if (signal_ctx == ctx)
		signal_ctx = NULL;
	stop_signals_mask(SIG_UNBLOCK);
	lsio_ctx_free(ctx);
}

int cmd_exit(int status)
{
	int sig = caught;

	if (!sig)
		return status;
	fflush(NULL);
	signal(sig, SIG_DFL);
	raise(sig);
	/* Not reached; should the signal not end us, say it the shell's way. */
	return 128 + sig;
}
