/* SPDX-License-Identifier: MIT */
/*
 * test_runner_opts.c - amber-run's command line, table-driven: each row is
 * an argv and what opts_parse() must make of it (or that it must refuse).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "opts.h"

#define MAXARGS 16

struct row {
	const char *argv[MAXARGS]; /* without argv[0] */
	int result;                /* OPTS_RUN, OPTS_EXIT_OK or -EINVAL */
	size_t n_layers;
	const char *first_layer;
	const char *cmd0;
	size_t n_cmd;
};

static const struct row rows[] = {
	{ { "img", "true" }, OPTS_RUN, 1, "img", "true", 1 },
	{ { "a:b:c", "sh", "-c", "x" }, OPTS_RUN, 3, "a", "sh", 3 },
	{ { "a\\:b:c", "ls" }, OPTS_RUN, 2, "a:b", "ls", 1 },
	{ { "a\\\\:c", "ls" }, OPTS_RUN, 2, "a\\", "ls", 1 },
	{ { "img", "--", "ls", "-l" }, OPTS_RUN, 1, "img", "ls", 2 },
	/* options after the layers belong to the command */
	{ { "img", "ls", "--tmpfs", "/x" }, OPTS_RUN, 1, "img", "ls", 3 },
	{ { "--tmpfs", "/tmp", "-v", "/a:/b", "--ro-bind", "/c:/d", "img", "x" }, OPTS_RUN, 1, "img", "x", 1 },
	{ { "-t", "-q", "--no-init", "-w", "/", "-u", "1:2", "img", "x" }, OPTS_RUN, 1, "img", "x", 1 },
	{ { "--net", "host", "--hostname", "h", "--name", "n", "img", "x" }, OPTS_RUN, 1, "img", "x", 1 },
	{ { "--seccomp", "unconfined", "--cap-add", "SYS_PTRACE", "--cap-drop", "net_raw,CAP_MKNOD", "i", "x" },
	  OPTS_RUN, 1, "i", "x", 1 },
	{ { "--help" }, OPTS_EXIT_OK },
	{ { "--version" }, OPTS_EXIT_OK },
	/* refusals */
	{ {}, -EINVAL },
	{ { "/img" }, -EINVAL },                     /* a layer list: missing command */
	{ { "/img", "--" }, -EINVAL },               /* a layer list: missing command */
	{ { "" , "x" }, -EINVAL },                   /* empty layer list */
	{ { "a::b", "x" }, -EINVAL },                /* empty layer */
	{ { "--bogus", "img", "x" }, -EINVAL },      /* unknown option */
	{ { "-Z", "img", "x" }, -EINVAL },           /* unknown short option */
	{ { "--tmpfs" }, -EINVAL },                  /* missing value */
	{ { "-v" }, -EINVAL },                       /* missing value */
	{ { "--net", "bridge", "img", "x" }, -EINVAL },
	{ { "--cap-add", "NOT_A_CAP", "img", "x" }, -EINVAL },
	{ { "-e", "=x", "img", "x" }, -EINVAL },     /* empty env key */
	{ { "--env-file", "/nonexistent/env", "img", "x" }, -EINVAL },
	/* --env-file: a regular file only, never read forever */
	{ { "--env-file", "/dev/zero", "img", "x" }, -EINVAL },
	{ { "--env-file", "/", "img", "x" }, -EINVAL },
	/* --name: a printable file name */
	{ { "--name", "web-1.x_y", "img", "x" }, OPTS_RUN, 1, "img", "x", 1 },
	{ { "--name", "", "img", "x" }, -EINVAL },
	{ { "--name", "a\nb", "img", "x" }, -EINVAL },
	{ { "--name", "a\tb", "img", "x" }, -EINVAL },
	{ { "--name", "\x7f", "img", "x" }, -EINVAL },
	{ { "--name", "a/b", "img", "x" }, -EINVAL },
	{ { "--name", "/", "img", "x" }, -EINVAL },
	{ { "--name", ".", "img", "x" }, -EINVAL },
	{ { "--name", "..", "img", "x" }, -EINVAL },
	/* --log-max-size, --log-keep: checked, nothing wraps */
	{ { "--log-max-size", "0", "--log-keep", "0", "img", "x" }, OPTS_RUN, 1, "img", "x", 1 },
	{ { "--log-max-size", "4096", "--log-keep", "1000", "img", "x" }, OPTS_RUN, 1, "img", "x", 1 },
	{ { "--log-max-size", "16777215T", "img", "x" }, OPTS_RUN, 1, "img", "x", 1 },
	{ { "--log-max-size", "4095", "img", "x" }, -EINVAL },
	{ { "--log-max-size", "16777216T", "img", "x" }, -EINVAL },
	{ { "--log-max-size", "99999999999999999999", "img", "x" }, -EINVAL },
	{ { "--log-max-size", "-1", "img", "x" }, -EINVAL },
	{ { "--log-max-size", "1x", "img", "x" }, -EINVAL },
	{ { "--log-max-size", "", "img", "x" }, -EINVAL },
	{ { "--log-keep", "1001", "img", "x" }, -EINVAL },
	{ { "--log-keep", "1k", "img", "x" }, -EINVAL },
	{ { "--log-keep", "-1", "img", "x" }, -EINVAL },
	{ { "--log-keep", "", "img", "x" }, -EINVAL },
};

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		char *argv[MAXARGS + 2] = { (char *)"amber-run" };
		int argc = 1, res;
		struct run_opts o;

		for (; r->argv[argc - 1]; argc++)
			argv[argc] = (char *)r->argv[argc - 1];
		res = opts_parse(argc, argv, &o);
		if (res != r->result)
			fail_msg("row %zu (%s ...): got %d, want %d", i, argv[1] ? argv[1] : "", res, r->result);
		if (res != OPTS_RUN) {
			if (res == OPTS_EXIT_OK)
				opts_free(&o);
			continue;
		}
		assert_int_equal(o.layers.n, r->n_layers);
		assert_string_equal(o.layers.v[0], r->first_layer);
		assert_int_equal(o.argv.n, r->n_cmd);
		assert_string_equal(o.argv.v[0], r->cmd0);
		assert_null(o.argv.v[o.argv.n]);
		opts_free(&o);
	}
}

static void test_values(void **state)
{
	char *argv[] = { "amber-run", "-t", "-u", "1000:100", "-w", "/work", "--net", "host",
			 "--seccomp", "/some/profile.json", "--cap-add", "sys_admin", "--cap-drop", "ALL",
			 "--log", "/l", "--tmpfs", "/a", "--tmpfs", "/b:size=1m", "img", "cmd", NULL };
	struct run_opts o;

	(void)state;
	assert_int_equal(opts_parse(22, argv, &o), OPTS_RUN);
	assert_true(o.tty);
	assert_string_equal(o.user, "1000:100");
	assert_string_equal(o.workdir, "/work");
	assert_int_equal(o.net, NET_HOST);
	assert_int_equal(o.seccomp, SECCOMP_MODE_FILE);
	assert_string_equal(o.seccomp_file, "/some/profile.json");
	assert_true(o.cap_add == (1ULL << 21));
	assert_true(o.cap_drop == CAPS_ALL);
	assert_true(caps_compute(o.cap_add, o.cap_drop) == (1ULL << 21)); /* drop ALL, add one */
	assert_string_equal(o.log_path, "/l");
	assert_int_equal(o.tmpfs.n, 2);
	assert_string_equal(o.tmpfs.v[1], "/b:size=1m");
	/* the log is capped unless asked otherwise */
	assert_true(o.log_max_size == 64ULL << 20);
	assert_int_equal(o.log_keep, 4);
	opts_free(&o);
	{
		char *a[] = { "amber-run", "--log-max-size", "1G", "--log-keep", "9", "img", "cmd", NULL };

		assert_int_equal(opts_parse(7, a, &o), OPTS_RUN);
		assert_true(o.log_max_size == 1ULL << 30);
		assert_int_equal(o.log_keep, 9);
		opts_free(&o);
	}
}

static void test_env(void **state)
{
	char path[] = "/tmp/amber-run-envXXXXXX";
	int fd = mkstemp(path);
	struct run_opts o;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# comment\n\nA=1\n  B=two words\nHOSTVAR\n", f);
	fclose(f);
	setenv("HOSTVAR", "fromhost", 1);
	unsetenv("UNSETVAR");
	{
		char *argv[] = { "amber-run", "-e", "A=0", "--env-file", path, "-e", "C=3", "-e", "A=last",
				 "-e", "UNSETVAR", "img", "x", NULL };

		assert_int_equal(opts_parse(13, argv, &o), OPTS_RUN);
	}
	unlink(path);
	/* A later entry replaces an earlier one (and moves last); UNSETVAR is dropped. */
	assert_int_equal(o.env.n, 4);
	assert_string_equal(o.env.v[0], "B=two words");
	assert_string_equal(o.env.v[1], "HOSTVAR=fromhost");
	assert_string_equal(o.env.v[2], "C=3");
	assert_string_equal(o.env.v[3], "A=last");
	opts_free(&o);
}

/* --env-file takes a regular file of at most 1 MiB, and no NUL byte; a
 * FIFO is refused at once (opened without blocking, never read). */
static void test_env_file_bounds(void **state)
{
	char dir[] = "/tmp/amber-run-envdirXXXXXX", path[300];
	struct strv env = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(env_add_file(&env, path), -EINVAL);
	unlink(path);
	snprintf(path, sizeof(path), "%s/big", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < (1 << 20) / 8; i++)
		fputs("A=12345\n", f); /* exactly 1 MiB */
	fclose(f);
	assert_int_equal(env_add_file(&env, path), 0);
	assert_int_equal(env.n, 1);
	f = fopen(path, "a");
	fputc('\n', f); /* one byte more */
	fclose(f);
	assert_int_equal(env_add_file(&env, path), -EFBIG);
	f = fopen(path, "w");
	fwrite("A=1\0B=2\r\n", 1, 10, f);
	fclose(f);
	assert_int_equal(env_add_file(&env, path), -EINVAL);
	f = fopen(path, "w");
	fputs("C=3\r\nD=4", f); /* CRLF, no final newline */
	fclose(f);
	assert_int_equal(env_add_file(&env, path), 0);
	assert_string_equal(env.v[env.n - 2], "C=3");
	assert_string_equal(env.v[env.n - 1], "D=4");
	unlink(path);
	rmdir(dir);
	strv_free(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_env_file_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
