/* SPDX-License-Identifier: MIT */
/*
 * test_procinfo.c - the "process" object: facts about ourselves match what
 * the C library says, a thread reports its own tid and the group's pid, the
 * cache answers repeats, a cached thread that is gone and a tid that does
 * not exist yield an error field rather than old or invented data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/landlock.h>
#include <sys/syscall.h>

#include "procinfo.h"

static json_object *render(struct procinfo_cache *c, pid_t tid, pid_t *ret_pid)
{
	struct afmt_buf b = AFMT_BUF_INIT;
	json_object *o;

	procinfo_render(c, tid, &b, ret_pid);
	assert_false(afmt_failed(&b));
	o = json_tokener_parse(b.data);
	assert_non_null(o);
	afmt_free(&b);
	return o;
}

static int64_t get_int(json_object *o, const char *k)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, k, &v));
	return json_object_get_int64(v);
}

static const char *get_str(json_object *o, const char *k)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, k, &v));
	return json_object_get_string(v);
}

static void test_self(void **state)
{
	struct procinfo_cache *c;
	char comm[17] = "", cwd[4096];
	unsigned long hits, misses;
	json_object *o, *args;
	pid_t pid;

	assert_int_equal(procinfo_cache_new(4, &c), 0);
	prctl(PR_GET_NAME, comm);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	o = render(c, gettid(), &pid);
	assert_int_equal(pid, getpid());
	assert_int_equal(get_int(o, "pid"), getpid());
	assert_int_equal(get_int(o, "tid"), gettid());
	assert_int_equal(get_int(o, "ppid"), getppid());
	assert_string_equal(get_str(o, "name"), comm);
	assert_string_equal(get_str(o, "cwd"), cwd);
	{
		char exe[4096], rel[32];
		int pfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
		ssize_t n;

		/* readlinkat: valgrind rewrites readlink("/proc/self/exe") only */
		snprintf(rel, sizeof(rel), "%d/exe", (int)getpid());
		n = readlinkat(pfd, rel, exe, sizeof(exe) - 1);
		close(pfd);
		assert_true(n > 0);
		exe[n] = '\0';
		assert_string_equal(get_str(o, "executable"), exe); /* (valgrind's, under valgrind) */
	}
	assert_true(json_object_object_get_ex(o, "args", &args));
	assert_true(json_object_is_type(args, json_type_array));
	{
		bool found = false; /* argv[0] itself, or a later one under valgrind */

		for (size_t i = 0; i < json_object_array_length(args); i++)
			found |= strstr(json_object_get_string(json_object_array_get_idx(args, i)),
					"test_procinfo") != NULL;
		assert_true(found);
	}
	assert_true(get_int(o, "start_time") > 0);
	assert_false(json_object_object_get_ex(o, "error", NULL));
	json_object_put(o);

	/* The second lookup is served from the cache. */
	json_object_put(render(c, gettid(), &pid));
	procinfo_stats(c, &hits, &misses);
	assert_int_equal(hits, 1);
	assert_int_equal(misses, 1);

	/* A new comm (as after exec) is noticed at once. */
	prctl(PR_SET_NAME, "renamed");
	o = render(c, gettid(), &pid);
	assert_string_equal(get_str(o, "name"), "renamed");
	json_object_put(o);
	procinfo_stats(c, &hits, &misses);
	assert_int_equal(misses, 2);
	prctl(PR_SET_NAME, comm);
	procinfo_cache_free(c);
}

struct thread_arg {
	struct procinfo_cache *c;
	pid_t tid, pid;
	int64_t json_pid, json_tid;
};

static void *thread_main(void *p)
{
	struct thread_arg *t = p;
	json_object *o;

	t->tid = gettid();
	o = render(t->c, t->tid, &t->pid);
	t->json_pid = get_int(o, "pid");
	t->json_tid = get_int(o, "tid");
	json_object_put(o);
	return NULL;
}

static void test_thread(void **state)
{
	struct thread_arg t = { 0 };
	pthread_t th;

	assert_int_equal(procinfo_cache_new(0, &t.c), 0);
	assert_int_equal(pthread_create(&th, NULL, thread_main, &t), 0);
	pthread_join(th, NULL);
	assert_int_not_equal(t.tid, getpid());
	assert_int_equal(t.pid, getpid());
	assert_int_equal(t.json_pid, getpid());
	assert_int_equal(t.json_tid, t.tid);
	procinfo_cache_free(t.c);
}

/* A thread that is cached, then gone: its tid gives an error, not the facts
 * of the thread that was (the cache reads the stat through the file it
 * opened for that thread, which now fails, and drops the entry). */
static void test_gone(void **state)
{
	struct procinfo_cache *c;
	struct thread_arg t = { 0 };
	json_object *o, *v;
	pthread_t th;
	pid_t pid;

	assert_int_equal(procinfo_cache_new(0, &c), 0);
	t.c = c;
	assert_int_equal(pthread_create(&th, NULL, thread_main, &t), 0);
	pthread_join(th, NULL);
	assert_int_equal(t.json_tid, t.tid);
	json_object_put(render(c, gettid(), &pid)); /* a cached thread that stays */
	/* Wait until the kernel has released the thread's tid. */
	for (int i = 0; i < 1000 && kill(t.tid, 0) == 0; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d", (int)t.tid);
		if (access(path, F_OK) < 0)
			break;
		usleep(1000);
	}
	o = render(c, t.tid, &pid);
	assert_int_equal(pid, -1);
	assert_true(json_object_object_get_ex(o, "pid", &v));
	assert_null(v);
	assert_non_null(strstr(get_str(o, "error"), "stat: ENOENT"));
	json_object_put(o);
	/* Another thread still is what it was. */
	o = render(c, gettid(), &pid);
	assert_int_equal(get_int(o, "tid"), gettid());
	assert_int_equal(pid, getpid());
	json_object_put(o);
	procinfo_cache_free(c);
}

static void test_missing(void **state)
{
	struct procinfo_cache *c;
	json_object *o, *v;
	pid_t pid;

	assert_int_equal(procinfo_cache_new(0, &c), 0);
	o = render(c, 0x3ffffff0, &pid); /* above pid_max */
	assert_int_equal(pid, -1);
	assert_true(json_object_object_get_ex(o, "pid", &v));
	assert_null(v);
	assert_int_equal(get_int(o, "tid"), 0x3ffffff0);
	assert_non_null(strstr(get_str(o, "error"), "ENOENT"));
	assert_false(json_object_object_get_ex(o, "executable", NULL));
	json_object_put(o);
	procinfo_cache_free(c);
}

/* A thread in a Landlock domain may not read /proc/<pid>/exe or cwd of a
 * process outside it (ptrace check): the helper forked before reads them. */
struct ll_arg {
	struct procinfo_cache *c;
	pid_t target;
	bool restricted;
	char exe[4096], cwd[4096], err[256];
};

static void *landlocked(void *p)
{
	struct ll_arg *t = p;
	struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_DIR };
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	json_object *o, *v;
	pid_t pid;

	if (rs < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		return NULL;
	t->restricted = true;
	/* Twice: the second lookup is a cache hit, and asks the helper for
	 * cwd at once when the first needed it. */
	for (int i = 0; i < 2; i++) {
		o = render(t->c, t->target, &pid); /* another process, outside our domain */
		t->exe[0] = t->cwd[0] = t->err[0] = '\0';
		if (json_object_object_get_ex(o, "executable", &v) && v)
			snprintf(t->exe, sizeof(t->exe), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(o, "cwd", &v) && v)
			snprintf(t->cwd, sizeof(t->cwd), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(o, "error", &v) && v)
			snprintf(t->err, sizeof(t->err), "%s", json_object_get_string(v));
		json_object_put(o);
		if (!t->cwd[0])
			break;
	}
	return NULL;
}

static bool run_landlocked(struct ll_arg *t)
{
	pthread_t th;

	t->target = fork();
	assert_true(t->target >= 0);
	if (t->target == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(pthread_create(&th, NULL, landlocked, t), 0);
	pthread_join(th, NULL);
	kill(t->target, SIGKILL);
	waitpid(t->target, NULL, 0);
	return t->restricted;
}

static void test_helper(void **state)
{
	struct ll_arg *t = calloc(1, sizeof(*t));
	char cwd[4096];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	/* Without the helper: null, and the error says why. */
	assert_int_equal(procinfo_cache_new(0, &t->c), 0);
	if (!run_landlocked(t)) {
		/* No Landlock here (or under valgrind, which does not know the
		 * syscall): nothing to compare; cmocka's "not ok # SKIP" would
		 * read as a failure to meson, so just say so. */
		print_message("# Landlock unavailable: helper not exercised\n");
		procinfo_cache_free(t->c);
		free(t);
		return;
	}
	assert_string_equal(t->exe, "");
	assert_non_null(strstr(t->err, "executable: EACCES"));
	procinfo_cache_free(t->c);

	memset(t, 0, sizeof(*t));
	assert_int_equal(procinfo_cache_new(0, &t->c), 0);
	assert_int_equal(procinfo_start_helper(t->c), 0);
	assert_true(run_landlocked(t));
	assert_true(t->exe[0] == '/');
	assert_string_equal(t->cwd, cwd);
	assert_string_equal(t->err, "");
	procinfo_cache_free(t->c);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_thread),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_helper),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
