/* SPDX-License-Identifier: MIT */
/*
 * ctx.c - the context: the last error's detail, queued warnings, and the
 * cancellation flag a signal handler may set.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct lsio_ctx *lsio_ctx_new(void)
{
	struct lsio_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	pthread_mutex_init(&ctx->lock, NULL);
	atomic_init(&ctx->cancel, 0);
	return ctx;
}

void lsio_ctx_free(struct lsio_ctx *ctx)
{
	if (!ctx)
		return;
	for (int i = ctx->next_warning; i < ctx->nwarnings; i++)
		free(ctx->warnings[i]);
	free(ctx->warning_out);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}

const char *lsio_ctx_message(const struct lsio_ctx *ctx)
{
	return ctx ? ctx->msg : "";
}

const char *lsio_ctx_next_warning(struct lsio_ctx *ctx)
{
	pthread_mutex_lock(&ctx->lock);
	free(ctx->warning_out);
	ctx->warning_out = NULL;
	if (ctx->next_warning < ctx->nwarnings)
		ctx->warning_out = ctx->warnings[ctx->next_warning++];
	if (ctx->next_warning == ctx->nwarnings)
		ctx->next_warning = ctx->nwarnings = 0;
	pthread_mutex_unlock(&ctx->lock);
	return ctx->warning_out;
}

void lsio_ctx_cancel(struct lsio_ctx *ctx)
{
	atomic_store(&ctx->cancel, 1);
}

static int vfail(struct lsio_ctx *ctx, bool first_wins, int err,
		 const char *fmt, va_list ap)
{
	if (err > 0)
		err = -err;
	pthread_mutex_lock(&ctx->lock);
	if (!first_wins || !ctx->err) {
		vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
		ctx->err = err;
	}
	pthread_mutex_unlock(&ctx->lock);
	return err;
}

int lsio_fail(struct lsio_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = vfail(ctx, false, err, fmt, ap);
	va_end(ap);
	return err;
}

int lsio_fail_first(struct lsio_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = vfail(ctx, true, err, fmt, ap);
	va_end(ap);
	return err;
}

void lsio_warn(struct lsio_ctx *ctx, const char *fmt, ...)
{
	char buf[LSIO_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&ctx->lock);
	if (ctx->nwarnings < (int)ARRAY_SIZE(ctx->warnings)) {
		/* Drop a repeat of the last warning: workers warn alike. */
		if (!ctx->nwarnings ||
		    strcmp(ctx->warnings[ctx->nwarnings - 1], buf))
			ctx->warnings[ctx->nwarnings++] = strdup(buf);
	}
	pthread_mutex_unlock(&ctx->lock);
}
