/* SPDX-License-Identifier: MIT */
/*
 * prepare.c - a run's inputs and its state directory (see prepare.h).
 */
#include "prepare.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "input.h"
#include "log.h"
#include "xdg.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- paths and files ------------------------------------------------ */

static int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST)
				return -errno;
			*s = '/';
		}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* $XDG_STATE_HOME/amber-run, else /var/log/amber-run for root and
 * ~/.local/state/amber-run for others, else /tmp/amber-run-UID. */
static int default_log_path(const char *name, char **ret)
{
	_cleanup_free_ char *dir = NULL;
	int r;

	if (geteuid() == 0 && !xdg_env(XDG_STATE))
		dir = strdup("/var/log/amber-run");
	else if (xdg_path(XDG_STATE, "amber-run", &dir) == -ENOENT &&
		 asprintf(&dir, "/tmp/amber-run-%u", (unsigned)geteuid()) < 0)
		dir = NULL; /* undefined after a failed asprintf */
	if (!dir)
		return -ENOMEM;
	r = mkdir_p(dir, 0700);
	if (r < 0)
		return log_error_errno(r, "cannot create the log directory '%s': %m (use --log FILE)", dir);
	return asprintf(ret, "%s/%s.log", dir, name) < 0 ? -ENOMEM : 0;
}

static int absolute(const char *p, char **ret)
{
	_cleanup_free_ char *cwd = NULL;

	if (p[0] == '/')
		return (*ret = strdup(p)) ? 0 : -ENOMEM;
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return -errno;
	return asprintf(ret, "%s/%s", cwd, p) < 0 ? -ENOMEM : 0;
}

static int write_text(const struct run_state *s, const char *name, const char *text)
{
	_cleanup_close_ int fd = openat(s->state_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	size_t len = strlen(text);
	ssize_t n;

	if (fd < 0)
		return log_error_errno(-errno, "cannot create '%s/%s': %m", s->state_dir, name);
	n = write(fd, text, len);
	if (n != (ssize_t)len)
		return log_error_errno(n < 0 ? -errno : -EIO, "cannot write '%s/%s': %m", s->state_dir, name);
	return 0;
}

/* A host file for --net host: bounded, regular, a missing one is empty. */
static int copy_text(const char *src, char **ret)
{
	int r = input_read(NULL, src, INPUT_MAX_CONFIG, ret, NULL);

	if (r == -ENOENT)
		return (*ret = strdup("")) ? 0 : -ENOMEM;
	if (r < 0)
		return log_error_errno(r, "cannot copy '%s' for --net host: %m (a regular file of at most 1 MiB)", src);
	return 0;
}

/* hosts, hostname and resolv.conf, bound read-only where the image has them. */
static int write_etc(const struct run_state *s)
{
	_cleanup_free_ char *hosts = NULL, *hostname = NULL, *resolv = NULL;
	int r;

	if (s->o->net == NET_HOST) {
		if ((r = copy_text("/etc/hosts", &hosts)) < 0)
			return r;
	} else if (asprintf(&hosts, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
				    "127.0.1.1\t%s\n",
			    s->hostname) < 0) {
		return -ENOMEM;
	}
	if (asprintf(&hostname, "%s\n", s->hostname) < 0)
		return -ENOMEM;
	if (s->o->net == NET_HOST) {
		if ((r = copy_text("/etc/resolv.conf", &resolv)) < 0)
			return r;
	} else if (!(resolv = strdup("# no network (amber-run --net none)\n"))) {
		return -ENOMEM;
	}
	if ((r = write_text(s, "hosts", hosts)) < 0 || (r = write_text(s, "hostname", hostname)) < 0 ||
	    (r = write_text(s, "resolv.conf", resolv)) < 0)
		return r;
	return 0;
}

void state_dir_remove(const struct run_state *s)
{
	static const char *const files[] = { "hosts", "hostname", "resolv.conf" };
	struct stat a, b;

	if (s->state_fd < 0)
		return;
	for (size_t i = 0; i < ELEMENTSOF(files); i++)
		(void)unlinkat(s->state_fd, files[i], 0);
	(void)unlinkat(s->state_fd, "root", AT_REMOVEDIR);
	/* The directory by name, only while that name is still this one. */
	if (fstat(s->state_fd, &a) == 0 && lstat(s->state_dir, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		(void)rmdir(s->state_dir);
}

void run_state_free(struct run_state *s)
{
	spec_free(&s->spec);
	strv_free(&s->layers);
	strv_free(&s->synthdirs);
	strv_free(&s->env);
	free(s->name);
	free(s->hostname);
	free(s->state_dir);
	free(s->root);
	free(s->log_path);
	seccomp_prog_free(&s->seccomp);
	if (s->state_fd >= 0)
		close(s->state_fd);
	s->state_fd = -1;
	for (int i = 0; i < 2; i++) {
		if (s->sync_up[i] >= 0)
			close(s->sync_up[i]);
		if (s->sync_down[i] >= 0)
			close(s->sync_down[i]);
		if (s->ctl[i] >= 0)
			close(s->ctl[i]);
		s->sync_up[i] = s->sync_down[i] = s->ctl[i] = -1;
	}
}

/* ---- inputs (nothing on disk yet) ------------------------------------ */

static int check_layers(struct run_state *s)
{
	int r;

	for (size_t i = 0; i < s->o->layers.n; i++) {
		_cleanup_free_ char *abs = NULL;
		struct stat st;

		r = absolute(s->o->layers.v[i], &abs);
		if (r < 0)
			return r;
		if (lstat(abs, &st) < 0)
			return log_error_errno(-errno, "layer '%s': %m", s->o->layers.v[i]);
		if (S_ISLNK(st.st_mode))
			return log_error_errno(-EINVAL, "layer '%s' is a symbolic link; give the real path",
					       s->o->layers.v[i]);
		if (!S_ISDIR(st.st_mode))
			return log_error_errno(-ENOTDIR, "layer '%s' is not a directory", s->o->layers.v[i]);
		r = strv_push(&s->layers, abs);
		if (r < 0)
			return r;
	}
	return 0;
}

static int build_env(struct run_state *s)
{
	_cleanup_free_ char *hn = NULL;
	int r;

	if (asprintf(&hn, "HOSTNAME=%s", s->hostname) < 0)
		return -ENOMEM;
	if ((r = env_add(&s->env, "PATH=" DEFAULT_PATH)) < 0 || (r = env_add(&s->env, hn)) < 0)
		return r;
	if (s->o->tty && (r = env_add(&s->env, "TERM=xterm")) < 0)
		return r;
	for (size_t i = 0; i < s->o->env.n; i++)
		if ((r = env_add(&s->env, s->o->env.v[i])) < 0)
			return r;
	return 0;
}

static bool id_mapped(unsigned long id, unsigned long own, unsigned long start, unsigned long n)
{
	return id == own || (n > 0 && id >= start && id - start < n);
}

/*
 * Rootless, the user namespace maps only our own ids and our subordinate
 * range: files of other owners (an image unpacked by root) show as nobody.
 * --owners auto then presents every file as root's (amberfs squash_to_root),
 * so container root sees a coherent tree and its writes reach amberfs.
 */
static void decide_owners(struct run_state *s)
{
	const struct idmap *m = &s->idmap;
	struct stat st;

	s->squash_root = s->o->owners == OWNERS_ROOT;
	if (!s->rootless || s->o->owners != OWNERS_AUTO)
		return;
	for (size_t i = 0; i < s->layers.n; i++) {
		if (stat(s->layers.v[i], &st) < 0)
			continue;
		if (!id_mapped(st.st_uid, getuid(), m->sub_uid, m->n_uid) ||
		    !id_mapped(st.st_gid, getgid(), m->sub_gid, m->n_gid)) {
			s->squash_root = true;
			if (!s->o->quiet)
				log_info("'%s' is owned by %u:%u, which this user namespace cannot map: "
					 "showing the image's files as owned by root (--owners image to keep them)",
					 s->layers.v[i], (unsigned)st.st_uid, (unsigned)st.st_gid);
			return;
		}
	}
}

/* A host name goes into /etc/hosts and /etc/hostname: one printable word. */
static int check_hostname(const char *h)
{
	if (!h)
		return 0;
	if (!h[0] || strlen(h) > 64)
		return log_error_errno(-EINVAL, "--hostname '%s': 1 to 64 characters", h);
	for (const char *p = h; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return log_error_errno(-EINVAL, "--hostname: control character or space at byte %zu",
					       (size_t)(p - h));
	return 0;
}

static int set_names(struct run_state *s)
{
	char stamp[32];
	time_t now = time(NULL);

	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", localtime(&now));
	if (s->o->name) /* checked by opts_parse() */
		s->name = strdup(s->o->name);
	else if (asprintf(&s->name, "amber-%s-%d", stamp, (int)getpid()) < 0)
		s->name = NULL;
	s->hostname = strdup(s->o->hostname ? s->o->hostname : "amber");
	return s->name && s->hostname ? 0 : -ENOMEM;
}

/*
 * What the container may get: as root, amber-run's own bounding set;
 * rootless, its root holds every capability of the new user namespace
 * (whose bounding set starts full), which governs only what that
 * namespace owns.
 */
static int resolve_caps(struct run_state *s)
{
	int missing = -1, r;

	r = caps_resolve(s->o->cap_add, s->o->cap_drop, s->rootless ? caps_known() : caps_grantable(), &s->caps,
			 &missing);
	if (r < 0)
		return log_error_errno(r, "--cap-add: capability '%s' cannot be granted: it is not in amber-run's "
				       "bounding set",
				       cap_to_name(missing) ?: "?");
	return 0;
}

int prepare_inputs(struct run_state *s)
{
	int r;

	if (s->o->workdir && s->o->workdir[0] != '/')
		return log_error_errno(-EINVAL, "--workdir '%s' must be an absolute path", s->o->workdir);
	if ((r = check_hostname(s->o->hostname)) < 0 || (r = check_layers(s)) < 0 || (r = set_names(s)) < 0)
		return r;
	r = s->o->log_path ? absolute(s->o->log_path, &s->log_path) : default_log_path(s->name, &s->log_path);
	if (r < 0)
		return r;
	logsum_mark(s->log_path, &s->log_mark);
	if ((r = build_env(s)) < 0)
		return r;
	/* The /etc files are added once the state directory exists. */
	if ((r = spec_build(s->o, NULL, &s->spec)) < 0 || (r = spec_validate(&s->spec, true)) < 0 ||
	    (r = spec_synthdirs(&s->spec, &s->synthdirs)) < 0)
		return r;
	s->rootless = geteuid() != 0;
	if ((r = resolve_caps(s)) < 0)
		return r;
	{
		_cleanup_free_ char *cache = seccomp_cache_dir();

		r = seccomp_prog_get(s->o->seccomp, s->o->seccomp_file, s->caps, cache, &s->seccomp);
		if (r < 0)
			return r;
	}
	if (s->rootless)
		userns_plan(&s->idmap);
	decide_owners(s);
	return 0;
}

/* ---- the state directory ---------------------------------------------- */

int prepare_state(struct run_state *s)
{
	const char *rt = xdg_env(XDG_RUNTIME);
	_cleanup_free_ char *tmpl = NULL;
	int r;

	/* Private state: the amberfs mountpoint and the /etc files. */
	if (asprintf(&tmpl, "%s/amber-run.XXXXXX", rt && access(rt, W_OK) == 0 ? rt : "/tmp") < 0)
		return -ENOMEM;
	if (!mkdtemp(tmpl))
		return log_error_errno(-errno, "cannot create a state directory '%s': %m", tmpl);
	s->state_dir = TAKE_PTR(tmpl);
	s->state_fd = open(s->state_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->state_fd < 0) {
		r = log_error_errno(-errno, "cannot open '%s': %m", s->state_dir);
		(void)rmdir(s->state_dir);
		return r;
	}
	if (asprintf(&s->root, "%s/root", s->state_dir) < 0)
		return -ENOMEM;
	if (mkdirat(s->state_fd, "root", 0755) < 0)
		return log_error_errno(-errno, "mkdir '%s': %m", s->root);
	if ((r = write_etc(s)) < 0)
		return r;
	if ((r = spec_add_etc_files(&s->spec, s->state_dir)) < 0 || (r = spec_validate(&s->spec, false)) < 0)
		return r;
	return 0;
}
