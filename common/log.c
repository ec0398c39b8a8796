/* SPDX-License-Identifier: MIT */
/*
 * log.c - implementation of the diagnostic stream; see log.h.
 *
 * Messages are formatted into one buffer and written with a single write(2)
 * so lines from concurrent threads never interleave.
 */
#include "log.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static const char *log_program = "amber";
static enum log_level log_max = LOG_LEVEL_INFO;
static bool log_syslog;
static log_sink_fn log_sink;

void log_init(const char *program)
{
	const char *e = getenv("AMBER_LOG_LEVEL");

	log_program = program;
	if (e && strcmp(e, "debug") == 0)
		log_max = LOG_LEVEL_DEBUG;
}

void log_set_level(enum log_level level)
{
	log_max = level;
}

enum log_level log_get_level(void)
{
	return log_max;
}

void log_use_syslog(bool on)
{
	if (on && !log_syslog)
		openlog(log_program, LOG_PID, LOG_DAEMON);
	log_syslog = on;
}

void log_set_sink(log_sink_fn fn)
{
	log_sink = fn;
}

#ifndef NDEBUG
/* Whether fmt has a %m conversion ("%%m" has none). */
static bool has_percent_m(const char *fmt)
{
	for (const char *p = fmt; (p = strchr(p, '%'));) {
		p++;
		if (*p == '%') {
			p++;
			continue;
		}
		p += strspn(p, "-+ #0'123456789.*hlLqjzt");
		if (*p == 'm')
			return true;
	}
	return false;
}
#endif

void log_fullv(enum log_level level, int err, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char buf[4096];
	int n;

	/* %m with no error (log_error() and the like pass 0) would print
	 * "Success": pass the error with log_*_errno().  Checked before the
	 * level is, so a message that is not shown is caught too. */
	assert(!(err == 0 && has_percent_m(fmt)));
	if (level > log_max)
		return;
	/* %m in fmt must print err, not whatever errno is now. */
	errno = err < 0 ? -err : err;
	if (log_sink) {
		vsnprintf(buf, sizeof(buf), fmt, ap);
		log_sink(level, buf);
		return;
	}
	if (log_syslog) {
		vsnprintf(buf, sizeof(buf), fmt, ap);
		syslog(prio[level], "%s", buf);
		return;
	}
	n = snprintf(buf, sizeof(buf), "%s: ", log_program);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	errno = err < 0 ? -err : err;
	vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	n = strlen(buf);
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0) {
		/* Nowhere left to report to. */
	}
}

int log_full_errno(enum log_level level, int err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_fullv(level, err, fmt, ap);
	va_end(ap);
	errno = saved;
	return err < 0 ? err : -err;
}
