/* SPDX-License-Identifier: MIT */
/*
 * sink.h - where amber-oci's own messages go.
 *
 * Engines name a file with --log and a format with --log-format (json or
 * text) and read the runtime's errors back from it: containerd's shim
 * takes the last "msg" of the JSON lines as the reason a task failed.  So
 * amber-oci writes its messages there, in runc's (logrus) format:
 *   {"level":"error","msg":"...","time":"2026-12-02T04:42:19Z"}
 *   time="2026-12-02T04:42:19Z" level=error msg="..."
 * Without --log they go to stderr, as runc's do.  The file is opened once,
 * O_APPEND|O_CLOEXEC; each message is one write(2).
 */
#pragma once

/* Routes common/log's messages to FILE in FORMAT (NULL: text).  -EINVAL
 * for an unknown format, -errno when FILE cannot be opened. */
int sink_open(const char *file, const char *format);
