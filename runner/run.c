/* SPDX-License-Identifier: MIT */
/*
 * run.c - the runner process (see run.h): prepares the run, starts the
 * holder, relays the pty and signals, prints the summary line.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "exitcode.h"
#include "holder.h"
#include "log.h"
#include "logsum.h"
#include "prepare.h"
#include "waitloop.h"

/* ---- runner ------------------------------------------------------- */

struct relay {
	int master;         /* pty master, -1 until received */
	bool raw;           /* our terminal was put in raw mode */
	struct termios saved;
};

static void relay_winsize(struct relay *t)
{
	struct winsize ws;

	if (t->master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(t->master, TIOCSWINSZ, &ws);
}

static void relay_start(struct relay *t, int master)
{
	struct termios raw;

	t->master = master;
	if (tcgetattr(STDIN_FILENO, &t->saved) == 0) {
		raw = t->saved;
		cfmakeraw(&raw);
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
			t->raw = true;
	}
	relay_winsize(t);
}

static void relay_stop(struct relay *t)
{
	if (t->raw)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
	if (t->master >= 0)
		close(t->master);
	t->master = -1;
}

static bool copy_once(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return false;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, n - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		off += w;
	}
	return true;
}

/* The runner's wait: the pty relay, and signals to the holder. */
struct runner {
	struct run_state *s;
	struct relay t;
	pid_t holder;
	int code; /* the holder's exit code; -1 until it is reaped */
	struct waitloop l;
};

enum { FD_CTL, FD_MASTER, FD_STDIN };

/* The pty master from the container: relay it from now on. */
static void on_ctl(void *ud)
{
	struct runner *r = ud;
	int m;

	if (fd_recv(r->s->ctl[0], &m) == 0) {
		relay_start(&r->t, m);
		r->l.fds[FD_MASTER].fd = m;
		r->l.fds[FD_STDIN].fd = STDIN_FILENO;
	}
	close(r->s->ctl[0]);
	r->s->ctl[0] = r->l.fds[FD_CTL].fd = -1;
}

/* EIO once every slave is closed: stop polling it. */
static void on_master(void *ud)
{
	struct runner *r = ud;

	if (!copy_once(r->t.master, STDOUT_FILENO))
		r->l.fds[FD_MASTER].fd = -1;
}

static void on_stdin(void *ud)
{
	struct runner *r = ud;

	if (!copy_once(STDIN_FILENO, r->t.master))
		r->l.fds[FD_STDIN].fd = -1;
}

/* SIGWINCH resizes the container's pty instead of being forwarded. */
static void on_winch(void *ud, int sig)
{
	struct runner *r = ud;

	relay_winsize(&r->t);
}

static void on_holder_exit(void *ud, pid_t pid, int status)
{
	struct runner *r = ud;

	if (pid == r->holder)
		r->code = exit_code_from_status(status);
}

static bool holder_done(void *ud)
{
	const struct runner *r = ud;

	return r->code >= 0;
}

static int runner_loop(struct run_state *s, pid_t holder, int sfd)
{
	struct runner r = {
		.s = s, .t = { .master = -1 }, .holder = holder, .code = -1,
		.l = {
			.sfd = sfd, .forward_to = holder, .keep_signal = SIGWINCH,
			.fds = { [FD_CTL] = { s->ctl[0], on_ctl }, [FD_MASTER] = { -1, on_master },
				 [FD_STDIN] = { -1, on_stdin } },
			.on_signal = on_winch, .on_child = on_holder_exit, .done = holder_done,
		},
	};
	int k;

	r.l.ud = &r;
	k = waitloop_run(&r.l);
	if (k < 0)
		log_error_errno(k, "waiting for the container: %m");
	/* Drain what the command wrote last. */
	if (r.t.master >= 0 && r.l.fds[FD_MASTER].fd >= 0) {
		int fl = fcntl(r.t.master, F_GETFL);

		fcntl(r.t.master, F_SETFL, fl | O_NONBLOCK);
		while (copy_once(r.t.master, STDOUT_FILENO))
			;
	}
	relay_stop(&r.t);
	return r.code < 0 ? EXIT_RUNNER : r.code;
}

static int runner_start(struct run_state *s, pid_t *ret)
{
	pid_t holder, self = getpid();
	char b;

	if (pipe2(s->sync_up, O_CLOEXEC) < 0 || pipe2(s->sync_down, O_CLOEXEC) < 0)
		return log_error_errno(-errno, "pipe: %m");
	if (s->o->tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->ctl) < 0)
		return log_error_errno(-errno, "socketpair: %m");
	holder = fork();
	if (holder < 0)
		return log_error_errno(-errno, "fork: %m");
	if (holder == 0)
		holder_main(s, self);
	*ret = holder;
	/* sync_down[1] stays open until we exit: the holder's lifeline. */
	close(s->sync_up[1]);
	close(s->sync_down[0]);
	s->sync_up[1] = s->sync_down[0] = -1;
	if (s->ctl[1] >= 0) {
		close(s->ctl[1]);
		s->ctl[1] = -1;
	}
	if (!s->rootless)
		return 0;
	if (read(s->sync_up[0], &b, 1) != 1)
		return -EIO; /* the holder failed and said why */
	if (userns_write_maps(holder, &s->idmap) < 0)
		return -EIO;
	if (write(s->sync_down[1], "m", 1) != 1)
		return -EIO;
	return 0;
}

static void report(const struct run_state *s)
{
	_cleanup_free_ char *line = NULL;
	struct log_totals t;

	if (s->o->quiet || !s->log_path)
		return;
	/* Nothing to say when amberfs never wrote to the log (setup failed). */
	if (logsum_read(s->log_path, &s->log_mark, s->o->log_max_size ? s->o->log_keep : 0, &t) < 0 || !t.wrote)
		return;
	line = logsum_format(&t, s->log_path);
	if (line)
		fprintf(stderr, "amber-run: %s\n", line);
}

/* A SIGTERM, SIGINT, SIGHUP or SIGQUIT that came while we prepared. */
static int pending_stop_signal(void)
{
	static const int stop[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	sigset_t p;

	if (sigpending(&p) < 0)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(stop); i++)
		if (sigismember(&p, stop[i]) == 1)
			return stop[i];
	return 0;
}

int run_container(const struct run_opts *o)
{
	struct run_state s = RUN_STATE_INIT(o);
	_cleanup_close_ int sfd = -1;
	sigset_t set, old;
	pid_t holder = -1;
	int code = EXIT_RUNNER, status, sig;

	waitloop_forward_set(&set);
	sigaddset(&set, SIGCHLD);
	/* Nothing on disk yet: until here a signal simply ends the run. */
	if (prepare_inputs(&s) < 0)
		goto out_free;
	/* From now on there is state to remove: signals wait for us. */
	sigprocmask(SIG_BLOCK, &set, &old);
	if (prepare_state(&s) < 0)
		goto out;
	sig = pending_stop_signal();
	if (sig) {
		log_error("interrupted by %s before the container started", strsignal(sig));
		code = 128 + sig;
		goto out;
	}
	sfd = waitloop_signalfd();
	if (sfd < 0) {
		log_error_errno(sfd, "signalfd: %m");
		goto out;
	}
	if (runner_start(&s, &holder) < 0) {
		if (holder > 0) {
			kill(holder, SIGKILL);
			waitpid(holder, &status, 0);
		}
		goto out;
	}
	code = runner_loop(&s, holder, sfd);
	report(&s);
out:
	state_dir_remove(&s);
	run_state_free(&s);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return code;
out_free:
	run_state_free(&s);
	return code;
}
