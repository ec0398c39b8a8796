/* SPDX-License-Identifier: MIT */
/*
 * log.h - the diagnostic stream (never the audit log).
 *
 * Every program writes its human-facing messages through here: one line per
 * message, prefixed with the program name, to stderr or to syslog once a
 * daemon has detached.  The _errno variants format %m from the given error
 * and return it negated, so a boundary can write
 *     return log_error_errno(r, "Failed to open layer '%s': %m", path);
 * Audit records are written only by fs/audit.c and never pass through here.
 * log_error(), log_warning(), log_info() and log_debug() carry no error:
 * their format must not use %m, which would print "Success" (a debug
 * build asserts this, and tests/lint/log_percent_m.py checks every call).
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_init(const char *program);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* After daemonizing, stderr is /dev/null: route messages to syslog. */
void log_use_syslog(bool on);
/* Hands every message (formatted, without the program prefix) to fn
 * instead of stderr or syslog; NULL restores those.  For a program whose
 * caller names the destination and format (amber-oci's --log). */
typedef void (*log_sink_fn)(enum log_level level, const char *msg);
void log_set_sink(log_sink_fn fn);

/* Returns -abs(err) so callers can "return log_..._errno(r, ...)". */
int log_full_errno(enum log_level level, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_fullv(enum log_level level, int err, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#define log_error(...) ((void)log_full_errno(LOG_LEVEL_ERROR, 0, __VA_ARGS__))
#define log_warning(...) ((void)log_full_errno(LOG_LEVEL_WARNING, 0, __VA_ARGS__))
#define log_info(...) ((void)log_full_errno(LOG_LEVEL_INFO, 0, __VA_ARGS__))
#define log_debug(...)                                              \
	do {                                                        \
		if (log_get_level() >= LOG_LEVEL_DEBUG)             \
			(void)log_full_errno(LOG_LEVEL_DEBUG, 0, __VA_ARGS__); \
	} while (0)

#define log_error_errno(e, ...) log_full_errno(LOG_LEVEL_ERROR, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_LEVEL_WARNING, (e), __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_LEVEL_DEBUG, (e), __VA_ARGS__)
