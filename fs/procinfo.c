/* SPDX-License-Identifier: MIT */
/*
 * procinfo.c - process facts from /proc for audit records; see procinfo.h.
 *
 * The cache is direct-mapped by tid: a fixed array, one mutex, no growth, so
 * a flood from a million short-lived processes costs the same memory as one.
 * /proc is read outside the mutex; only the slot swap, the rendering and a
 * re-read of a cached thread's stat (a few microseconds) hold it.
 *
 * What every lookup pays for, and how it is kept small:
 *  - /proc/<tid>/stat: a cached thread keeps its stat file open (up to
 *    PROCINFO_MAX_FDS of them) and reads it again with pread().  The open
 *    file stays bound to that thread: once it is gone, the read fails
 *    (ESRCH) even if its tid was reused, and the lookup falls back to
 *    opening /proc/<tid>/stat by name, as a new thread.
 *  - /proc/<tid>/cwd: in a confined daemon only the helper may read it, a
 *    round trip to another process.  Once a direct read was refused, the
 *    request goes to the helper first and the stat is read while the
 *    helper works.
 */
#include "procinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit_render.h"
#include "cleanup.h"
#include "detach.h"

#define PROCINFO_DEFAULT_SLOTS 256
#define CMDLINE_MAX 4096 /* bytes of argv kept; beyond that "args_truncated" */
#define ENTRY_TTL_NS 1000000000LL
#define PROCINFO_MAX_FDS 32 /* stat files kept open, so that a fork flood cannot take many fds */

struct pentry {
	bool used;
	pid_t tid;
	unsigned long long tstart; /* thread start time: the key with tid */
	char comm[64];             /* as of loading: a change means exec */
	int64_t loaded_ns;         /* CLOCK_MONOTONIC */
	pid_t tgid;
	unsigned long long pstart; /* process (thread group leader) start time */
	char *exe;                 /* NULL: see exe_err */
	int exe_err;
	char *args_json; /* rendered JSON array; NULL: see args_err */
	int args_err;
	bool args_truncated;
	int stat_fd; /* /proc/<tid>/stat of this very thread, or -1 */
};

struct procinfo_cache {
	pthread_mutex_t lock;
	int proc_fd; /* /proc, O_PATH */
	/* The unconfined readlink helper (see procinfo_start_helper), or -1. */
	pthread_mutex_t helper_lock;
	int helper_fd;
	pid_t helper_pid;
	bool helper_useless; /* it got EACCES too: it is confined as well */
	atomic_bool helper_first; /* a direct readlink was refused: ask the helper at once */
	size_t n, n_fds;          /* slots; stat files held open (under lock) */
	unsigned long hits, misses;
	struct pentry slot[];
};

/* What every lookup reads fresh. */
struct stat_facts {
	char comm[64];
	pid_t ppid;
	unsigned long long start;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Reads up to cap bytes of /proc/<pid>/<name>; returns the length or -errno.
 * With ret_fd, the open file is handed over on success. */
static ssize_t read_proc(int proc_fd, pid_t pid, const char *name, char *buf, size_t cap,
			 int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	char path[64];
	size_t len = 0;

	snprintf(path, sizeof(path), "%d/%s", (int)pid, name);
	fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (ret_fd)
		*ret_fd = TAKE_FD(fd);
	return (ssize_t)len;
}

/* readlink /proc/<pid>/<name> into a malloc'd string, or -errno. */
static int readlink_direct(int proc_fd, pid_t pid, const char *name, char **ret)
{
	char path[64], buf[4096 + 1];
	ssize_t n;

	snprintf(path, sizeof(path), "%d/%s", (int)pid, name);
	n = readlinkat(proc_fd, path, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

/* ---- the readlink helper ----
 *
 * Once the daemon has confined itself with Landlock, the kernel's ptrace
 * check refuses it /proc/<pid>/exe and /proc/<pid>/cwd of every process
 * outside its domain.  A helper process forked before confinement answers
 * exactly these two readlinks and nothing else: it holds no descriptor but
 * its socket and /proc, changes nothing, and dies with the daemon. */

enum { HELPER_EXE, HELPER_CWD };

struct helper_req {
	int32_t pid;
	int32_t what;
};

static size_t fmt_uint(char *out, unsigned v)
{
	char tmp[16];
	size_t n = 0, i = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (n > 0)
		out[i++] = tmp[--n];
	return i;
}

/* Only async-signal-safe calls: the parent may have threads. */
static _Noreturn void helper_main(int fd, int proc_fd, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	for (;;) {
		struct helper_req rq;
		char path[32], buf[4 + 4096];
		int32_t err = 0;
		ssize_t n = recv(fd, &rq, sizeof(rq), 0), l;
		size_t k;

		if (n == 0)
			_exit(0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(rq) || rq.pid <= 0)
			_exit(1);
		k = fmt_uint(path, (unsigned)rq.pid);
		memcpy(path + k, rq.what == HELPER_EXE ? "/exe" : "/cwd", 5);
		l = readlinkat(proc_fd, path, buf + 4, sizeof(buf) - 4);
		if (l < 0) {
			err = errno;
			l = 0;
		}
		memcpy(buf, &err, sizeof(err));
		if (send(fd, buf, 4 + (size_t)l, MSG_NOSIGNAL) < 0)
			_exit(1);
	}
}

int procinfo_start_helper(struct procinfo_cache *c)
{
	int sv[2];
	pid_t parent = getpid(), pid;

	if (c->helper_fd >= 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		/* Keep the socket as 3 and /proc as 4, nothing else (both
		 * moved above 10 first so the dup2s cannot clobber them). */
		int sk = fcntl(sv[1], F_DUPFD, 10), pf = fcntl(c->proc_fd, F_DUPFD, 10);

		if (sk < 0 || pf < 0 || dup2(sk, 3) < 0 || dup2(pf, 4) < 0)
			_exit(1);
		/* Nor the caller's stdio: whoever started the daemon may be
		 * waiting for EOF on its stdout/stderr. */
		(void)detach_stdio(-1, false);
		syscall(SYS_close_range, 5, ~0U, 0);
		helper_main(3, 4, parent);
	}
	close(sv[1]);
	c->helper_fd = sv[0];
	c->helper_pid = pid;
	return 0;
}

static void stop_helper(struct procinfo_cache *c)
{
	if (c->helper_fd < 0)
		return;
	close(c->helper_fd); /* EOF: the helper exits */
	c->helper_fd = -1;
	while (waitpid(c->helper_pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* The first half of a helper readlink: on success (0) the request is sent
 * and helper_lock is held until helper_recv() takes the answer.  -EACCES:
 * there is no helper to ask; -EIO: it cannot be reached. */
static int helper_send(struct procinfo_cache *c, pid_t pid, int what)
{
	struct helper_req rq = { .pid = pid, .what = what };

	pthread_mutex_lock(&c->helper_lock);
	if (c->helper_fd < 0 || c->helper_useless) {
		pthread_mutex_unlock(&c->helper_lock);
		return -EACCES;
	}
	if (send(c->helper_fd, &rq, sizeof(rq), MSG_NOSIGNAL) < 0) {
		pthread_mutex_unlock(&c->helper_lock);
		return -EIO;
	}
	return 0;
}

/* The second half: the answer to the request helper_send() sent. */
static int helper_recv(struct procinfo_cache *c, char **ret)
{
	char buf[4 + 4096 + 1];
	int32_t err = 0;
	ssize_t n;

	while ((n = recv(c->helper_fd, buf, sizeof(buf) - 1, 0)) < 0 && errno == EINTR)
		;
	if (n >= 4) {
		memcpy(&err, buf, sizeof(err));
		if (err == EACCES)
			c->helper_useless = true; /* confined as well: stop asking */
	}
	pthread_mutex_unlock(&c->helper_lock);
	if (n < 4)
		return -EIO;
	if (err)
		return -err;
	buf[n] = '\0';
	*ret = strdup(buf + 4);
	return *ret ? 0 : -ENOMEM;
}

static int readlink_helper(struct procinfo_cache *c, pid_t pid, int what, char **ret)
{
	int r = helper_send(c, pid, what);

	return r < 0 ? r : helper_recv(c, ret);
}

/* Direct first; the helper only when the kernel refused us.  Once the
 * helper could read what we could not (we are confined), it is asked
 * first: the direct attempt would only fail again. */
static int readlink_proc(struct procinfo_cache *c, pid_t pid, int what, char **ret)
{
	int r;

	if (atomic_load(&c->helper_first))
		return readlink_helper(c, pid, what, ret);
	r = readlink_direct(c->proc_fd, pid, what == HELPER_EXE ? "exe" : "cwd", ret);
	if (r == -EACCES && c->helper_fd >= 0) {
		r = readlink_helper(c, pid, what, ret);
		if (r >= 0)
			atomic_store(&c->helper_first, true);
	}
	return r;
}

static int parse_stat(const char *buf, size_t len, struct stat_facts *f)
{
	const char *open = memchr(buf, '(', len), *close = NULL, *p;
	unsigned long long v = 0;
	size_t clen;
	int field = 3;

	for (p = buf + len; p > buf; p--)
		if (p[-1] == ')') {
			close = p - 1;
			break;
		}
	if (!open || !close || close < open)
		return -EBADMSG;
	clen = (size_t)(close - open - 1);
	if (clen >= sizeof(f->comm))
		clen = sizeof(f->comm) - 1;
	memcpy(f->comm, open + 1, clen);
	f->comm[clen] = '\0';
	/* After ") " come fields 3 (state), 4 (ppid) ... 22 (starttime). */
	for (p = close + 1; p < buf + len && field <= 22; field++) {
		while (p < buf + len && *p == ' ')
			p++;
		if (field == 4 || field == 22) {
			char *end;

			errno = 0;
			v = strtoull(p, &end, 10);
			if (errno || end == p)
				return -EBADMSG;
			if (field == 4)
				f->ppid = (pid_t)v;
			else
				f->start = v;
		}
		while (p < buf + len && *p != ' ')
			p++;
	}
	return field > 22 ? 0 : -EBADMSG;
}

/* With ret_fd, the open stat file is handed over on success. */
static int read_stat(int proc_fd, pid_t pid, struct stat_facts *f, int *ret_fd)
{
	char buf[1024];
	ssize_t n = read_proc(proc_fd, pid, "stat", buf, sizeof(buf) - 1, ret_fd);

	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return parse_stat(buf, (size_t)n, f);
}

static int read_tgid(int proc_fd, pid_t tid, pid_t *ret)
{
	char buf[4096];
	ssize_t n = read_proc(proc_fd, tid, "status", buf, sizeof(buf) - 1, NULL);
	const char *p;

	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	p = strstr(buf, "\nTgid:");
	if (!p)
		return -EBADMSG;
	*ret = (pid_t)strtol(p + 6, NULL, 10);
	return *ret > 0 ? 0 : -EBADMSG;
}

/* The argv as a JSON array, NUL-separated in /proc/<pid>/cmdline. */
static int read_args(int proc_fd, pid_t pid, struct pentry *e)
{
	_cleanup_free_ char *buf = malloc(CMDLINE_MAX + 1);
	struct afmt_buf b = AFMT_BUF_INIT;
	ssize_t n;
	size_t i = 0;

	if (!buf)
		return -ENOMEM;
	n = read_proc(proc_fd, pid, "cmdline", buf, CMDLINE_MAX + 1, NULL);
	if (n < 0)
		return (int)n;
	if (n > CMDLINE_MAX) {
		n = CMDLINE_MAX;
		e->args_truncated = true;
	}
	afmt_arr_begin(&b);
	while (i < (size_t)n) {
		const char *nul = memchr(buf + i, '\0', (size_t)n - i);
		size_t l = nul ? (size_t)(nul - (buf + i)) : (size_t)n - i;

		afmt_str(&b, buf + i, l);
		i += l + 1;
	}
	afmt_arr_end(&b);
	if (afmt_failed(&b)) {
		afmt_free(&b);
		return -ENOMEM;
	}
	e->args_json = b.data; /* ownership moves to the entry */
	return 0;
}

/* Under lock for a slot (it may hold one of the counted stat files). */
static void entry_clear(struct procinfo_cache *c, struct pentry *e)
{
	free(e->exe);
	free(e->args_json);
	if (e->stat_fd >= 0) {
		close(e->stat_fd);
		c->n_fds--;
	}
	*e = (struct pentry){ .stat_fd = -1 };
}

/* Fills e from /proc (outside any lock).  Fails only when the thread group
 * cannot be identified. */
static int entry_load(struct procinfo_cache *c, pid_t tid, const struct stat_facts *sf,
		      struct pentry *e)
{
	int proc_fd = c->proc_fd;
	struct stat_facts leader;
	int r;

	*e = (struct pentry){ .used = true, .tid = tid, .tstart = sf->start, .stat_fd = -1 };
	memcpy(e->comm, sf->comm, sizeof(e->comm));
	e->loaded_ns = mono_ns();
	r = read_tgid(proc_fd, tid, &e->tgid);
	if (r < 0)
		return r;
	e->pstart = sf->start;
	if (e->tgid != tid && read_stat(proc_fd, e->tgid, &leader, NULL) >= 0)
		e->pstart = leader.start;
	e->exe_err = readlink_proc(c, tid, HELPER_EXE, &e->exe);
	e->args_err = read_args(proc_fd, tid, e);
	return 0;
}

int procinfo_cache_new(size_t slots, struct procinfo_cache **ret)
{
	struct procinfo_cache *c;

	if (slots == 0)
		slots = PROCINFO_DEFAULT_SLOTS;
	c = calloc(1, sizeof(*c) + slots * sizeof(c->slot[0]));
	if (!c)
		return -ENOMEM;
	c->proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->proc_fd < 0) {
		int r = -errno;

		free(c);
		return r;
	}
	c->n = slots;
	for (size_t i = 0; i < slots; i++)
		c->slot[i].stat_fd = -1;
	c->helper_fd = -1;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->helper_lock, NULL);
	*ret = c;
	return 0;
}

struct procinfo_cache *procinfo_cache_free(struct procinfo_cache *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		entry_clear(c, &c->slot[i]);
	stop_helper(c);
	close(c->proc_fd);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->helper_lock);
	free(c);
	return NULL;
}

static void add_error(char *err, size_t cap, const char *what, int r)
{
	const char *name = audit_errno_name(r);
	size_t l = strlen(err);

	snprintf(err + l, cap - l, "%s%s: %s", l ? "; " : "", what, name ? name : "error");
}

static void render_entry(const struct pentry *e, const struct stat_facts *sf, const char *cwd,
			 int cwd_err, struct afmt_buf *b)
{
	char err[256] = "";

	afmt_obj_begin(b);
	afmt_kv_i64(b, "pid", e->tgid);
	afmt_kv_i64(b, "tid", e->tid);
	afmt_kv_i64(b, "ppid", sf->ppid);
	afmt_kv_strz(b, "name", sf->comm);
	afmt_kv_strz(b, "executable", e->exe);
	afmt_key(b, "args");
	if (e->args_json)
		afmt_json(b, e->args_json, strlen(e->args_json));
	else
		afmt_null(b);
	if (e->args_truncated) {
		afmt_key(b, "args_truncated");
		afmt_bool(b, true);
	}
	afmt_kv_strz(b, "cwd", cwd);
	afmt_kv_u64(b, "start_time", e->pstart);
	if (e->exe_err < 0)
		add_error(err, sizeof(err), "executable", e->exe_err);
	if (e->args_err < 0)
		add_error(err, sizeof(err), "args", e->args_err);
	if (cwd_err < 0)
		add_error(err, sizeof(err), "cwd", cwd_err);
	if (err[0])
		afmt_kv_strz(b, "error", err);
	afmt_obj_end(b);
}

static void render_unknown(pid_t tid, const char *what, int r, struct afmt_buf *b)
{
	char err[128] = "";

	add_error(err, sizeof(err), what, r);
	afmt_obj_begin(b);
	afmt_kv_null(b, "pid");
	afmt_kv_i64(b, "tid", tid);
	afmt_kv_strz(b, "error", err);
	afmt_obj_end(b);
}

static bool entry_fresh(const struct pentry *e, pid_t tid, const struct stat_facts *sf)
{
	return e->used && e->tid == tid && e->tstart == sf->start &&
	       strcmp(e->comm, sf->comm) == 0 && mono_ns() - e->loaded_ns < ENTRY_TTL_NS;
}

/* Under lock: reads the stat of a cached thread again through the file
 * it keeps open.  False when there is none, or the thread is gone: the
 * entry is then dropped, so a new thread with this tid is read afresh even
 * if it started within the same clock tick. */
static bool slot_stat(struct procinfo_cache *c, struct pentry *e, pid_t tid,
		      struct stat_facts *f)
{
	char buf[1024];
	ssize_t n;

	if (!e->used || e->tid != tid || e->stat_fd < 0)
		return false;
	n = pread(e->stat_fd, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		buf[n] = '\0';
		if (parse_stat(buf, (size_t)n, f) == 0 && f->start == e->tstart)
			return true;
	}
	entry_clear(c, e);
	return false;
}

/* Under lock: e (a slot, or an entry about to become one) keeps *fd, the
 * open stat file of its thread, while fewer than PROCINFO_MAX_FDS are kept. */
static void entry_keep_fd(struct procinfo_cache *c, struct pentry *e, int *fd)
{
	if (*fd < 0 || e->stat_fd >= 0 || c->n_fds >= PROCINFO_MAX_FDS)
		return;
	e->stat_fd = TAKE_FD(*fd);
	c->n_fds++;
}

/* The thread's stat: through the cached open file, else by name (the file
 * opened then is handed over in *ret_fd, for the cache to keep). */
static int lookup_stat(struct procinfo_cache *c, struct pentry *slot, pid_t tid,
		       struct stat_facts *f, int *ret_fd)
{
	bool cached;

	pthread_mutex_lock(&c->lock);
	cached = slot_stat(c, slot, tid, f);
	pthread_mutex_unlock(&c->lock);
	return cached ? 0 : read_stat(c->proc_fd, tid, f, ret_fd);
}

/* A cache miss: loads the facts that do not change, renders, and replaces
 * the slot. */
static void render_miss(struct procinfo_cache *c, struct pentry *slot, pid_t tid,
			const struct stat_facts *sf, const char *cwd, int cwd_err, int *stat_fd,
			struct afmt_buf *b, pid_t *ret_pid)
{
	struct pentry fresh;
	int r = entry_load(c, tid, sf, &fresh);

	pthread_mutex_lock(&c->lock);
	if (r < 0) {
		entry_clear(c, &fresh);
		pthread_mutex_unlock(&c->lock);
		render_unknown(tid, "status", r, b);
		return;
	}
	*ret_pid = fresh.tgid;
	render_entry(&fresh, sf, cwd, cwd_err, b);
	/* The same thread reloaded (exec, or the entry aged): its open stat
	 * file stays with it. */
	if (slot->used && slot->tid == tid && slot->tstart == fresh.tstart && slot->stat_fd >= 0)
		fresh.stat_fd = TAKE_FD(slot->stat_fd); /* still counted */
	entry_keep_fd(c, &fresh, stat_fd);
	entry_clear(c, slot);
	*slot = fresh; /* the slot owns the strings and the file now */
	pthread_mutex_unlock(&c->lock);
}

void procinfo_render(struct procinfo_cache *c, pid_t tid, struct afmt_buf *b, pid_t *ret_pid)
{
	struct pentry *slot = &c->slot[(size_t)tid % c->n];
	_cleanup_close_ int stat_fd = -1;
	_cleanup_free_ char *cwd = NULL;
	struct stat_facts sf = { 0 };
	bool asked;
	int r, cwd_err = 0;

	*ret_pid = -1;
	/* Confined: the helper reads cwd while we read the stat. */
	asked = atomic_load(&c->helper_first) && helper_send(c, tid, HELPER_CWD) == 0;
	r = lookup_stat(c, slot, tid, &sf, &stat_fd);
	if (asked)
		cwd_err = helper_recv(c, &cwd);
	if (r < 0) {
		render_unknown(tid, "stat", r, b);
		return;
	}
	if (!asked)
		cwd_err = readlink_proc(c, tid, HELPER_CWD, &cwd);

	pthread_mutex_lock(&c->lock);
	if (entry_fresh(slot, tid, &sf)) {
		c->hits++;
		*ret_pid = slot->tgid;
		render_entry(slot, &sf, cwd, cwd_err, b);
		entry_keep_fd(c, slot, &stat_fd);
		pthread_mutex_unlock(&c->lock);
		return;
	}
	c->misses++;
	pthread_mutex_unlock(&c->lock);
	render_miss(c, slot, tid, &sf, cwd, cwd_err, &stat_fd, b, ret_pid);
}

void procinfo_stats(struct procinfo_cache *c, unsigned long *ret_hits, unsigned long *ret_misses)
{
	pthread_mutex_lock(&c->lock);
	*ret_hits = c->hits;
	*ret_misses = c->misses;
	pthread_mutex_unlock(&c->lock);
}
