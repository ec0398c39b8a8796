/* SPDX-License-Identifier: MIT */
/* sink.c - amber-oci's messages in runc's log format; see sink.h. */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_fmt.h"
#include "log.h"

static int sink_fd = -1;
static bool sink_json;

static const char *level_name(enum log_level l)
{
	switch (l) {
	case LOG_LEVEL_ERROR:
		return "error";
	case LOG_LEVEL_WARNING:
		return "warning";
	case LOG_LEVEL_INFO:
		return "info";
	case LOG_LEVEL_DEBUG:
		return "debug";
	}
	return "error";
}

static void sink_write(enum log_level level, const char *msg)
{
	struct afmt_buf b = AFMT_BUF_INIT;
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	if (sink_json) {
		afmt_obj_begin(&b);
		afmt_kv_strz(&b, "level", level_name(level));
		afmt_kv_strz(&b, "msg", msg);
		afmt_kv_strz(&b, "time", ts);
		afmt_obj_end(&b);
	} else {
		afmt_printf(&b, "time=\"%s\" level=%s msg=", ts, level_name(level));
		afmt_strz(&b, msg); /* a quoted, escaped string, as logrus writes it */
	}
	afmt_raw(&b, "\n", 1);
	if (!afmt_failed(&b) && write(sink_fd, b.data, b.len) < 0) {
		/* Nowhere left to report to. */
	}
	afmt_free(&b);
	/* runc prints a fatal error on stderr too; podman reads it there. */
	if (level == LOG_LEVEL_ERROR) {
		afmt_printf(&b, "amber-oci: %s\n", msg);
		if (!afmt_failed(&b) && write(STDERR_FILENO, b.data, b.len) < 0) {
			/* as above */
		}
		afmt_free(&b);
	}
}

int sink_open(const char *file, const char *format)
{
	if (format && strcmp(format, "json") != 0 && strcmp(format, "text") != 0)
		return log_error_errno(-EINVAL, "--log-format '%s': use text or json", format);
	if (!file)
		return 0;
	sink_fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (sink_fd < 0)
		return log_error_errno(-errno, "cannot open log file '%s': %m", file);
	sink_json = format && strcmp(format, "json") == 0;
	log_set_sink(sink_write);
	return 0;
}
