/* SPDX-License-Identifier: MIT */
/*
 * seccomp_filter.c - default profile and Docker-JSON profile loader (seccomp_filter.h).
 *
 * The filter is compiled in the runner before any namespace exists
 * (prepare_inputs() in prepare.c calls seccomp_prog_get()), so a bad FILE
 * profile is reported (EXIT_RUNNER) before anything runs, and the command's
 * process only loads the BPF program (seccomp_prog_load() in exec.c).
 */
#include "seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "hash.h"
#include "input.h"
#include "log.h"
#include "xdg.h"

/* Bump when the way a profile is compiled changes (rules other than the
 * tables below, architectures, actions): it is part of the cache key. */
#define PROFILE_REVISION 2

struct seccomp_filter {
	scmp_filter_ctx ctx;
};

/* Everything an ordinary program needs.  Not listed = EPERM. */
static const char *const allowed[] = {
	/* files and descriptors */
	"access", "faccessat", "faccessat2", "chdir", "fchdir", "chmod", "fchmod", "fchmodat",
	"fchmodat2", "chown", "fchown", "fchownat", "lchown", "close", "close_range", "creat", "dup",
	"dup2", "dup3", "fcntl", "flock", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range",
	"ftruncate", "truncate", "getcwd", "getdents", "getdents64", "ioctl", "link", "linkat",
	"lseek", "_llseek", "mkdir", "mkdirat", "mknod", "mknodat", "open", "openat", "openat2",
	"pipe", "pipe2", "read", "readv", "pread64", "preadv", "preadv2", "readlink", "readlinkat",
	"rename", "renameat", "renameat2", "rmdir", "stat", "lstat", "fstat", "newfstatat",
	"statx", "statfs", "fstatfs", "symlink", "symlinkat", "umask", "unlink", "unlinkat",
	"utime", "utimes", "utimensat", "futimesat", "write", "writev", "pwrite64", "pwritev",
	"pwritev2", "sendfile", "splice", "tee", "vmsplice", "copy_file_range", "fallocate",
	"fadvise64", "readahead", "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr",
	"flistxattr", "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr",
	"fremovexattr", "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
	"memfd_create", "name_to_handle_at", "chroot",
	/* polling and events */
	"select", "pselect6", "poll", "ppoll", "epoll_create", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "signalfd",
	"signalfd4", "timerfd_create", "timerfd_settime", "timerfd_gettime",
	/* memory */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mlock", "mlock2", "munlock",
	"mlockall", "munlockall", "mincore", "msync", "membarrier", "pkey_alloc", "pkey_free",
	"pkey_mprotect", "remap_file_pages", "process_madvise", "process_mrelease",
	/* processes and threads */
	"arch_prctl", "prctl", "capget", "capset", "clone", "fork", "vfork", "execve", "execveat",
	"exit", "exit_group", "wait4", "waitid", "kill", "tkill", "tgkill", "getpid", "getppid",
	"gettid", "getpgid", "getpgrp", "setpgid", "getsid", "setsid", "set_tid_address",
	"set_robust_list", "get_robust_list", "futex", "futex_waitv", "rseq", "sched_yield",
	"sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_setparam",
	"sched_getscheduler", "sched_setscheduler", "sched_get_priority_max",
	"sched_get_priority_min", "sched_rr_get_interval", "sched_getattr", "sched_setattr",
	"getpriority", "setpriority", "ioprio_get", "ioprio_set", "getrlimit", "setrlimit",
	"prlimit64", "getrusage", "times", "pidfd_open", "pidfd_send_signal", "restart_syscall",
	"seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
	/* credentials */
	"getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
	"setfsuid", "setfsgid",
	/* signals */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend",
	"rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "pause",
	"alarm", "getitimer", "setitimer",
	/* time */
	"clock_gettime", "clock_getres", "clock_nanosleep", "gettimeofday", "nanosleep", "time",
	"timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
	/* networking (the namespace decides what is reachable) */
	"accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt",
	"setsockopt", "listen", "recvfrom", "recvmsg", "recvmmsg", "sendto", "sendmsg",
	"sendmmsg", "shutdown", "socketpair",
	/* System V and POSIX IPC (the IPC namespace is the container's) */
	"shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
	"msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend",
	"mq_timedreceive", "mq_notify", "mq_getsetattr",
	/* misc */
	"uname", "sethostname", "setdomainname", "sysinfo", "getrandom", "getcpu", "io_setup",
	"io_destroy", "io_getevents", "io_pgetevents", "io_submit", "io_cancel",
	"get_thread_area", "set_thread_area", "memfd_secret", "cachestat", "map_shadow_stack",
};

/* Extra calls that a capability re-allows (Docker does the same). */
static const struct {
	int cap;
	const char *name;
} by_cap[] = {
	{ 21, "mount" }, { 21, "umount2" }, { 21, "umount" }, { 21, "pivot_root" }, { 21, "setns" },
	{ 21, "fsopen" }, { 21, "fsconfig" }, { 21, "fsmount" }, { 21, "fspick" },
	{ 21, "move_mount" }, { 21, "open_tree" }, { 21, "mount_setattr" }, { 21, "quotactl" },
	{ 21, "lookup_dcookie" }, { 21, "fanotify_init" }, { 21, "fanotify_mark" },
	{ 21, "open_by_handle_at" },
	{ 19, "ptrace" }, { 19, "process_vm_readv" }, { 19, "process_vm_writev" },
	{ 19, "kcmp" }, { 19, "pidfd_getfd" },
	{ 16, "init_module" }, { 16, "finit_module" }, { 16, "delete_module" },
	{ 25, "settimeofday" }, { 25, "clock_settime" }, { 25, "clock_adjtime" }, { 25, "adjtimex" },
	{ 22, "reboot" }, { 22, "kexec_load" }, { 22, "kexec_file_load" },
	{ 34, "syslog" }, { 20, "acct" }, { 17, "iopl" }, { 17, "ioperm" },
	{ 23, "mbind" }, { 23, "set_mempolicy" }, { 23, "get_mempolicy" }, { 23, "move_pages" },
	{ 39, "bpf" }, { 38, "perf_event_open" },
};

#define NS_CLONE_FLAGS                                                                 \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
	 CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME)

static int allow_name(scmp_filter_ctx ctx, const char *name, unsigned n_args,
		      const struct scmp_arg_cmp *args, uint32_t action)
{
	int nr = seccomp_syscall_resolve_name(name);
	int r;

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not on this architecture / unknown to this libseccomp */
	r = seccomp_rule_add_array(ctx, action, nr, n_args, args);
	if (r < 0 && r != -EEXIST)
		return log_error_errno(r, "seccomp: cannot add a rule for '%s': %m", name);
	return 0;
}

/*
 * As Docker: on x86-64 the same rules also cover 32-bit (x86) and x32
 * programs, which would otherwise be killed for a "bad architecture".
 */
static int add_compat_arches(scmp_filter_ctx ctx)
{
	int r;

	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		return 0;
	r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
	if (r < 0 && r != -EEXIST)
		return log_error_errno(r, "seccomp: cannot add the x86 architecture: %m");
	r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
	if (r < 0 && r != -EEXIST)
		return log_error_errno(r, "seccomp: cannot add the x32 architecture: %m");
	return 0;
}

static int add_default_rules(scmp_filter_ctx ctx, uint64_t caps)
{
	const struct scmp_arg_cmp no_ns = SCMP_A0(SCMP_CMP_MASKED_EQ, NS_CLONE_FLAGS, 0);
	const struct scmp_arg_cmp no_vsock = SCMP_A0(SCMP_CMP_NE, 40 /* AF_VSOCK */);
	static const unsigned long personas[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };
	bool sys_admin = caps & (1ULL << 21);
	int r;

	for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
		if ((r = allow_name(ctx, allowed[i], 0, NULL, SCMP_ACT_ALLOW)) < 0)
			return r;
	for (size_t i = 0; i < ELEMENTSOF(by_cap); i++)
		if ((caps & (1ULL << by_cap[i].cap)) &&
		    (r = allow_name(ctx, by_cap[i].name, 0, NULL, SCMP_ACT_ALLOW)) < 0)
			return r;
	/* clone/unshare: only without namespace flags (unless CAP_SYS_ADMIN). */
	if ((r = allow_name(ctx, "clone", sys_admin ? 0 : 1, &no_ns, SCMP_ACT_ALLOW)) < 0 ||
	    (r = allow_name(ctx, "unshare", sys_admin ? 0 : 1, &no_ns, SCMP_ACT_ALLOW)) < 0)
		return r;
	/* clone3 passes its flags in memory a filter cannot read: ENOSYS
	 * makes glibc fall back to clone. */
	if (!sys_admin && (r = allow_name(ctx, "clone3", 0, NULL, SCMP_ACT_ERRNO(ENOSYS))) < 0)
		return r;
	if (sys_admin && (r = allow_name(ctx, "clone3", 0, NULL, SCMP_ACT_ALLOW)) < 0)
		return r;
	if ((r = allow_name(ctx, "socket", 1, &no_vsock, SCMP_ACT_ALLOW)) < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(personas); i++) {
		const struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_EQ, personas[i]);

		if ((r = allow_name(ctx, "personality", 1, &a, SCMP_ACT_ALLOW)) < 0)
			return r;
	}
	return 0;
}

static int action_from_string(const char *s, int errno_ret, uint32_t *ret)
{
	static const struct { const char *name; uint32_t act; } acts[] = {
		{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW }, { "SCMP_ACT_KILL", SCMP_ACT_KILL },
		{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
		{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS }, { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
		{ "SCMP_ACT_LOG", SCMP_ACT_LOG },
	};

	if (s && strcmp(s, "SCMP_ACT_ERRNO") == 0) {
		*ret = SCMP_ACT_ERRNO(errno_ret);
		return 0;
	}
	for (size_t i = 0; s && i < ELEMENTSOF(acts); i++)
		if (strcmp(s, acts[i].name) == 0) {
			*ret = acts[i].act;
			return 0;
		}
	return -EINVAL;
}

static int op_from_string(const char *s, enum scmp_compare *ret)
{
	static const struct { const char *name; enum scmp_compare op; } ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
		{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
		{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};

	for (size_t i = 0; s && i < ELEMENTSOF(ops); i++)
		if (strcmp(s, ops[i].name) == 0) {
			*ret = ops[i].op;
			return 0;
		}
	return -EINVAL;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static int jint(json_object *o, const char *key, int def)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : def;
}

/* "includes"/"excludes": {"caps": [...]} conditions, as in Docker's file. */
static bool caps_condition(json_object *rule, const char *key, uint64_t caps, bool want_all)
{
	json_object *cond, *list;

	if (!json_object_object_get_ex(rule, key, &cond) ||
	    !json_object_object_get_ex(cond, "caps", &list) || !json_object_is_type(list, json_type_array))
		return true;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		/* NULL for a null element, which names no capability */
		const char *name = json_object_get_string(json_object_array_get_idx(list, i));
		uint64_t bit = 0;
		bool have = name && cap_from_name(name, &bit) == 0 && (caps & bit);

		if (want_all != have)
			return false;
	}
	return true;
}

static int file_rule_args(const char *path, json_object *rule, struct scmp_arg_cmp *args, unsigned *n)
{
	json_object *list;

	*n = 0;
	if (!json_object_object_get_ex(rule, "args", &list) || !json_object_is_type(list, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(list) && i < 6; i++) {
		json_object *a = json_object_array_get_idx(list, i), *v;
		enum scmp_compare op;

		if (op_from_string(jstr(a, "op"), &op) < 0)
			return log_error_errno(-EINVAL, "seccomp profile '%s': bad \"op\" in args", path);
		args[*n] = (struct scmp_arg_cmp){ .arg = jint(a, "index", 0), .op = op };
		if (json_object_object_get_ex(a, "value", &v))
			args[*n].datum_a = (scmp_datum_t)json_object_get_uint64(v);
		if (json_object_object_get_ex(a, "valueTwo", &v))
			args[*n].datum_b = (scmp_datum_t)json_object_get_uint64(v);
		(*n)++;
	}
	return 0;
}

static int add_file_rule(const char *path, scmp_filter_ctx ctx, json_object *rule, uint64_t caps)
{
	struct scmp_arg_cmp args[6];
	json_object *names;
	uint32_t action;
	unsigned n_args;
	int r;

	if (!caps_condition(rule, "includes", caps, true) || !caps_condition(rule, "excludes", caps, false))
		return 0;
	if (action_from_string(jstr(rule, "action"), jint(rule, "errnoRet", EPERM), &action) < 0)
		return log_error_errno(-EINVAL, "seccomp profile '%s': unknown action '%s'", path,
				       jstr(rule, "action") ?: "(none)");
	r = file_rule_args(path, rule, args, &n_args);
	if (r < 0)
		return r;
	if (jstr(rule, "name"))
		return allow_name(ctx, jstr(rule, "name"), n_args, args, action);
	if (!json_object_object_get_ex(rule, "names", &names) || !json_object_is_type(names, json_type_array))
		return log_error_errno(-EINVAL, "seccomp profile '%s': a rule has no \"names\"", path);
	for (size_t i = 0; i < json_object_array_length(names); i++) {
		r = allow_name(ctx, json_object_get_string(json_object_array_get_idx(names, i)), n_args, args,
			       action);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A FILE profile is read once, whole, bounded (input.h): the same bytes
 * are hashed for the cache key and compiled. */
static int read_profile(const char *path, char **ret, size_t *ret_len)
{
	return input_read("seccomp profile", path, INPUT_MAX_CONFIG, ret, ret_len) < 0 ? -EINVAL : 0;
}

static json_object *parse_profile(const char *path, const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *root;

	if (!tok)
		return NULL;
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		log_error("seccomp profile '%s' is not valid JSON: %s", path,
			  e == json_tokener_continue ? "unexpected end of file" : json_tokener_error_desc(e));
	}
	json_tokener_free(tok);
	return root;
}

static int load_profile(const char *path, const char *text, size_t len, uint64_t caps, scmp_filter_ctx *ret)
{
	json_object *root, *rules;
	uint32_t def;
	scmp_filter_ctx ctx = NULL;
	int r = 0;

	root = parse_profile(path, text, len);
	if (!root)
		return -EINVAL;
	if (action_from_string(jstr(root, "defaultAction"), jint(root, "defaultErrnoRet", EPERM), &def) < 0) {
		r = log_error_errno(-EINVAL, "seccomp profile '%s': missing or unknown \"defaultAction\"", path);
		goto out;
	}
	ctx = seccomp_init(def);
	if (!ctx) {
		r = log_error_errno(-ENOMEM, "seccomp_init failed");
		goto out;
	}
	if (json_object_object_get_ex(root, "syscalls", &rules) && json_object_is_type(rules, json_type_array))
		for (size_t i = 0; r >= 0 && i < json_object_array_length(rules); i++)
			r = add_file_rule(path, ctx, json_object_array_get_idx(rules, i), caps);
	if (r >= 0) {
		*ret = ctx;
		ctx = NULL;
	}
out:
	if (ctx)
		seccomp_release(ctx);
	json_object_put(root);
	return r;
}

/* text: the FILE profile's bytes (mode FILE only). */
static int filter_build(enum seccomp_mode mode, const char *file, const char *text, size_t len, uint64_t caps,
			struct seccomp_filter **ret)
{
	scmp_filter_ctx ctx = NULL;
	struct seccomp_filter *f;
	int r;

	*ret = NULL;
	if (mode == SECCOMP_MODE_UNCONFINED)
		return 0;
	if (mode == SECCOMP_MODE_FILE) {
		r = load_profile(file, text, len, caps, &ctx);
		if (r < 0)
			return r;
	} else {
		ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
		if (!ctx)
			return log_error_errno(-ENOMEM, "seccomp_init failed");
		r = add_compat_arches(ctx);
		if (r >= 0)
			r = add_default_rules(ctx, caps);
		if (r < 0) {
			seccomp_release(ctx);
			return r;
		}
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		seccomp_release(ctx);
		return -ENOMEM;
	}
	f->ctx = ctx;
	*ret = f;
	return 0;
}

int seccomp_filter_build(enum seccomp_mode mode, const char *file, uint64_t caps,
			 struct seccomp_filter **ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	*ret = NULL;
	if (mode == SECCOMP_MODE_FILE && (r = read_profile(file, &text, &len)) < 0)
		return r;
	return filter_build(mode, file, text, len, caps, ret);
}

void seccomp_filter_free(struct seccomp_filter *f)
{
	if (!f)
		return;
	seccomp_release(f->ctx);
	free(f);
}

/* ---- compiled programs and their cache ---------------------------- */

static int read_all(int fd, void **ret, size_t *ret_len)
{
	struct stat st;
	void *buf;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
	    st.st_size > BPF_MAXINSNS * (off_t)sizeof(struct sock_filter))
		return -EBADMSG;
	buf = malloc(st.st_size);
	if (!buf)
		return -ENOMEM;
	if (pread(fd, buf, st.st_size, 0) != st.st_size) {
		free(buf);
		return -EIO;
	}
	*ret = buf;
	*ret_len = st.st_size;
	return 0;
}

/* Everything the program depends on goes into the cache key. */
static int cache_key(enum seccomp_mode mode, const char *text, size_t len, uint64_t caps, uint64_t *ret)
{
	const struct scmp_version *v = seccomp_version();
	struct hash128_state *h = hash128_new();
	char hex[HASH_HEX_LEN + 1];
	uint32_t m = mode;

	if (!h)
		return -ENOMEM;
	uint32_t arch = seccomp_arch_native(), rev = PROFILE_REVISION;

	hash128_update(h, "amber-run seccomp", 18);
	hash128_update(h, &rev, sizeof(rev));
	hash128_update(h, &arch, sizeof(arch));
	hash128_update(h, &m, sizeof(m));
	hash128_update(h, &caps, sizeof(caps));
	if (v)
		hash128_update(h, v, sizeof(*v));
	for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
		hash128_update(h, allowed[i], strlen(allowed[i]) + 1);
	for (size_t i = 0; i < ELEMENTSOF(by_cap); i++) {
		hash128_update(h, &by_cap[i].cap, sizeof(by_cap[i].cap));
		hash128_update(h, by_cap[i].name, strlen(by_cap[i].name) + 1);
	}
	if (mode == SECCOMP_MODE_FILE)
		hash128_update(h, text, len);
	hash128_final_hex(h, hex);
	*ret = hash64(hex, HASH_HEX_LEN);
	return 0;
}

char *seccomp_cache_dir(void)
{
	char *dir = NULL;

	if (geteuid() == 0 && !xdg_env(XDG_CACHE))
		dir = strdup("/var/cache/amber-run");
	else
		(void)xdg_path(XDG_CACHE, "amber-run", &dir);
	if (!dir)
		return NULL;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		/* One level of missing parent (~/.cache) is common. */
		char *slash = strrchr(dir, '/');

		*slash = '\0';
		(void)mkdir(dir, 0700);
		*slash = '/';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			free(dir);
			return NULL;
		}
	}
	return dir;
}

static int compile(enum seccomp_mode mode, const char *file, const char *text, size_t len, uint64_t caps,
		   struct seccomp_prog *ret)
{
	struct seccomp_filter *f = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	r = filter_build(mode, file, text, len, caps, &f);
	if (r < 0)
		return r;
	fd = memfd_create("amber-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = seccomp_export_bpf(f->ctx, fd);
	if (r < 0) {
		log_error_errno(r, "cannot export the seccomp filter: %m");
		goto out;
	}
	r = read_all(fd, &ret->insns, &ret->n);
	ret->n /= sizeof(struct sock_filter);
out:
	seccomp_filter_free(f);
	return r;
}

int seccomp_prog_get(enum seccomp_mode mode, const char *file, uint64_t caps, const char *cache_dir,
		     struct seccomp_prog *ret)
{
	_cleanup_free_ char *path = NULL, *tmp = NULL, *text = NULL;
	struct seccomp_prog p = { 0 };
	size_t len = 0;
	uint64_t key;
	int r;

	*ret = (struct seccomp_prog){ 0 };
	if (mode == SECCOMP_MODE_UNCONFINED)
		return 0;
	if (mode == SECCOMP_MODE_FILE && (r = read_profile(file, &text, &len)) < 0)
		return r;
	if (cache_dir && cache_key(mode, text, len, caps, &key) == 0 &&
	    asprintf(&path, "%s/seccomp-%016llx.bpf", cache_dir, (unsigned long long)key) > 0) {
		/* O_NONBLOCK: whatever sits at that name must not block us
		 * (read_all() takes only a regular file of a sane size). */
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

		if (fd >= 0 && read_all(fd, &p.insns, &p.n) == 0) {
			p.n /= sizeof(struct sock_filter);
			*ret = p;
			return 0;
		}
	}
	r = compile(mode, file, text, len, caps, &p);
	if (r < 0)
		return r;
	/* Best effort: write the cache atomically (tmp + rename). */
	if (path && asprintf(&tmp, "%s.%d.tmp", path, (int)getpid()) > 0) {
		_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		size_t size = p.n * sizeof(struct sock_filter);

		if (fd >= 0 && write(fd, p.insns, size) == (ssize_t)size && rename(tmp, path) == 0)
			log_debug("seccomp filter cached in '%s'", path);
		else if (fd >= 0)
			(void)unlink(tmp);
	}
	*ret = p;
	return 0;
}

int seccomp_prog_load(const struct seccomp_prog *p)
{
	struct sock_fprog prog;

	if (!p || !p->insns)
		return 0;
	prog.len = (unsigned short)p->n;
	prog.filter = p->insns;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return -errno;
	return 0;
}

void seccomp_prog_free(struct seccomp_prog *p)
{
	free(p->insns);
	*p = (struct seccomp_prog){ 0 };
}
