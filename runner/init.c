/* SPDX-License-Identifier: MIT */
/*
 * init.c - reaping and signal forwarding for PID 1 (see init.h).
 */
#include "init.h"

#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "waitloop.h"

struct init {
	pid_t child;
	int code; /* -1 until the child is reaped */
};

static void on_child(void *ud, pid_t pid, int status)
{
	struct init *in = ud;

	if (pid == in->child && in->code < 0)
		in->code = exit_code_from_status(status);
}

static bool child_done(void *ud)
{
	const struct init *in = ud;

	return in->code >= 0;
}

int init_run(pid_t child, int term_as)
{
	struct init in = { .child = child, .code = -1 };
	struct waitloop l = {
		.forward_to = child,
		.term_as = term_as,
		.on_child = on_child,
		.done = child_done,
		.ud = &in,
	};
	int r;

	l.sfd = waitloop_signalfd();
	if (l.sfd < 0) {
		log_error_errno(l.sfd, "init: signalfd: %m");
		return EXIT_RUNNER;
	}
	r = waitloop_run(&l);
	close(l.sfd);
	if (r < 0) {
		log_error_errno(r, "init: waiting for signals: %m");
		return EXIT_RUNNER;
	}
	return in.code;
}
