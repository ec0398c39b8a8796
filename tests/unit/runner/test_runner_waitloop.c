/* SPDX-License-Identifier: MIT */
/*
 * test_runner_waitloop.c - the wait loop of amber-run's processes
 * (runner/waitloop.h): forwarding to the target, the kept signal,
 * reaping, descriptors before signals, and the bounded wait for one child.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exitcode.h"
#include "waitloop.h"

static sigset_t old_mask;

/* The loop's contract: its signals are blocked before anything forks. */
static int setup(void **state)
{
	sigset_t set;

	(void)state;
	waitloop_forward_set(&set);
	sigaddset(&set, SIGCHLD);
	return sigprocmask(SIG_BLOCK, &set, &old_mask);
}

static int teardown(void **state)
{
	(void)state;
	return sigprocmask(SIG_SETMASK, &old_mask, NULL);
}

/* A child that waits for a signal with the default action restored. */
static pid_t spawn_waiting(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (;;)
			pause();
	}
	return pid;
}

struct t {
	pid_t child;
	int code, kept, ready, reaped_batches, others;
	int pipe[2];
	struct waitloop l;
};

static void on_child(void *ud, pid_t pid, int status)
{
	struct t *t = ud;

	if (pid == t->child)
		t->code = exit_code_from_status(status);
	else
		t->others++;
}

static void on_reaped(void *ud)
{
	((struct t *)ud)->reaped_batches++;
}

/* SIGWINCH, kept: only then does the target get its SIGTERM. */
static void on_kept(void *ud, int sig)
{
	((struct t *)ud)->kept = sig;
	(void)kill(getpid(), SIGTERM);
}

static void on_ready(void *ud)
{
	struct t *t = ud;
	char c;

	if (read(t->pipe[0], &c, 1) == 1)
		t->ready++;
}

static bool child_done(void *ud)
{
	return ((struct t *)ud)->code >= 0;
}

static void test_forward_and_reap(void **state)
{
	struct t t = { .code = -1 };
	pid_t other;

	(void)state;
	assert_int_equal(pipe(t.pipe), 0);
	t.child = spawn_waiting();
	other = fork(); /* an orphan's stand-in: reaped too */
	assert_true(other >= 0);
	if (other == 0)
		_exit(3);
	t.l = (struct waitloop){
		.forward_to = t.child,
		.keep_signal = SIGWINCH,
		.fds = { { t.pipe[0], on_ready } },
		.on_signal = on_kept,
		.on_child = on_child,
		.reaped = on_reaped,
		.done = child_done,
		.ud = &t,
	};
	t.l.sfd = waitloop_signalfd();
	assert_true(t.l.sfd >= 0);
	/* The descriptor is seen before any signal; SIGWINCH is kept, and
	 * on_kept() sends the SIGTERM that goes on to the child and ends it. */
	assert_int_equal(kill(getpid(), SIGWINCH), 0);
	assert_int_equal(write(t.pipe[1], "x", 1), 1);
	assert_int_equal(waitloop_run(&t.l), 0);
	assert_int_equal(t.kept, SIGWINCH);
	assert_int_equal(t.ready, 1);
	assert_int_equal(t.code, 128 + SIGTERM);
	assert_true(t.reaped_batches >= 1);
	/* the other child may have been reaped in that batch or not yet */
	if (t.others == 0)
		assert_int_equal(waitloop_child(other, 5000, NULL, NULL), 0);
	close(t.l.sfd);
	close(t.pipe[0]);
	close(t.pipe[1]);
}

static void test_child_wait(void **state)
{
	sigset_t stop;
	int status = 0;
	pid_t pid;

	(void)state;
	/* exits: its status */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(7);
	assert_int_equal(waitloop_child(pid, 5000, NULL, &status), 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	assert_int_equal(exit_code_from_status(status), 7);
	/* reaped already */
	assert_int_equal(waitloop_child(pid, 100, NULL, NULL), -ECHILD);
	/* does not exit in time */
	pid = spawn_waiting();
	assert_int_equal(waitloop_child(pid, 50, NULL, NULL), -ETIMEDOUT);
	/* a stop signal ends the wait: its number */
	sigemptyset(&stop);
	sigaddset(&stop, SIGUSR2);
	assert_int_equal(kill(getpid(), SIGUSR2), 0);
	assert_int_equal(waitloop_child(pid, 5000, &stop, NULL), SIGUSR2);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitloop_child(pid, 5000, NULL, &status), 0);
	assert_int_equal(exit_code_from_status(status), 128 + SIGKILL);
	/* -1: until no child is left */
	for (int i = 0; i < 3; i++)
		if (fork() == 0)
			_exit(0);
	assert_int_equal(waitloop_child(-1, 5000, NULL, NULL), 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_and_reap),
		cmocka_unit_test(test_child_wait),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
