/* SPDX-License-Identifier: MIT */
/*
 * main.c - amberfs: wires options, layers, index, audit and gate into a
 * FUSE session.
 *
 * Everything that can be wrong with the input is checked before mounting,
 * and reported in one line.  Without -f the process forks before any thread
 * exists; the parent returns only once the child has mounted (or failed),
 * with the child's status, so "amberfs ... && ls MNT" is safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "amberfs.h"
#include "cleanup.h"
#include "confine.h"
#include "detach.h"
#include "log.h"
#include "safefile.h"

static struct audit *hup_audit;

static void on_sighup(int sig)
{
	if (hup_audit)
		audit_request_reopen(hup_audit);
}

/*
 * libfuse's messages, routed through our logger.  libfuse may print one
 * line in several calls, so pieces are joined until the newline.  While
 * the session is being created its complaints are captured instead, so a
 * bad option gives one line of ours rather than several of libfuse's.
 */
static pthread_mutex_t fuse_log_lock = PTHREAD_MUTEX_INITIALIZER;
static char fuse_line[1024], fuse_captured[1024];
static bool fuse_capture;

static void fuse_log_to_ours(enum fuse_log_level level, const char *fmt, va_list ap)
{
	size_t n;
	char *nl;

	pthread_mutex_lock(&fuse_log_lock);
	n = strlen(fuse_line);
	vsnprintf(fuse_line + n, sizeof(fuse_line) - n, fmt, ap);
	while ((nl = strchr(fuse_line, '\n'))) {
		*nl = '\0';
		if (fuse_capture)
			snprintf(fuse_captured, sizeof(fuse_captured), "%s", fuse_line);
		else
			log_full_errno(level <= FUSE_LOG_ERR ? LOG_LEVEL_ERROR
				       : level <= FUSE_LOG_WARNING ? LOG_LEVEL_WARNING
				       : level <= FUSE_LOG_INFO ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG,
				       0, "%s", fuse_line);
		memmove(fuse_line, nl + 1, strlen(nl + 1) + 1);
	}
	pthread_mutex_unlock(&fuse_log_lock);
}

static struct fuse_session *session_new(struct fuse_args *args, struct amberfs *fs)
{
	struct fuse_session *se;
	const char *what;
	char *end;

	fuse_capture = true;
	fuse_captured[0] = '\0';
	se = fuse_session_new(args, &amberfs_ops, sizeof(amberfs_ops), fs);
	fuse_capture = false;
	if (se)
		return se;
	/* "fuse: unknown option(s): `-o foo'" -> "foo" */
	what = strstr(fuse_captured, "`-o ");
	if (what) {
		what += 4;
		end = strchr(what, '\'');
		if (end)
			*end = '\0';
		log_error("option: '%s': unknown option; see amberfs --help", what);
	} else {
		log_error("options: '%s': invalid; see amberfs --help",
			  fuse_captured[0] ? fuse_captured : "?");
	}
	return NULL;
}

static int check_mountpoint(struct fs_config *cfg, const struct layer_stack *ls)
{
	struct stat st;
	char *abs;

	if (stat(cfg->mountpoint, &st) < 0)
		return log_error_errno(-errno, "mountpoint: '%s': %m", cfg->mountpoint);
	if (!S_ISDIR(st.st_mode))
		return log_error_errno(-ENOTDIR, "mountpoint: '%s': %m", cfg->mountpoint);
	for (size_t i = 0; i < ls->n; i++)
		if (ls->layers[i].dev == st.st_dev && ls->layers[i].ino == st.st_ino)
			return log_error_errno(-EINVAL, "mountpoint: '%s': is also layer %zu ('%s'); mount somewhere else",
					       cfg->mountpoint, i, ls->layers[i].path);
	/* The daemon leaves the cwd; keep an absolute mountpoint. */
	abs = realpath(cfg->mountpoint, NULL);
	if (!abs)
		return log_error_errno(-errno, "mountpoint: '%s': %m", cfg->mountpoint);
	free(cfg->mountpoint);
	cfg->mountpoint = abs;
	return 0;
}

/*
 * Creates the log if needed (never through a symlink: see safefile.h) and
 * makes its path absolute (the daemon leaves the cwd, and Landlock needs its
 * directory).  Only the directory is resolved: the name itself is kept.
 */
static int check_log_path(char **path)
{
	_cleanup_close_ int dirfd = -1, fd = -1;
	_cleanup_free_ char *name = NULL;
	const char *why;
	char *abs;
	int r;

	if (!*path)
		return 0;
	r = safefile_open_dir(*path, &dirfd, &name);
	if (r == -EINVAL)
		return log_error_errno(r, "log: '%s': not a file name; give a file with -o log=", *path);
	if (r < 0)
		return log_error_errno(r, "log: '%s': its directory: %m", *path);
	r = safefile_open_log(dirfd, name, O_WRONLY, &fd);
	why = safefile_refusal(r);
	if (why)
		return log_error_errno(r, "log: '%s': %s; remove it, or give -o log= a file in a directory that only uid %u can write",
				       *path, why, (unsigned)geteuid());
	if (r < 0)
		return log_error_errno(r, "log: '%s': %m; give a writable file with -o log=", *path);
	r = safefile_abs_path(dirfd, name, &abs);
	if (r < 0)
		return log_error_errno(r, "log: '%s': cannot resolve its directory: %m", *path);
	free(*path);
	*path = abs;
	return 0;
}

static int make_absolute(char **path)
{
	_cleanup_free_ char *cwd = NULL;
	char *abs;

	if (!*path || (*path)[0] == '/')
		return 0;
	cwd = getcwd(NULL, 0);
	if (!cwd || asprintf(&abs, "%s/%s", cwd, *path) < 0)
		return -ENOMEM;
	free(*path);
	*path = abs;
	return 0;
}

static int start_audit(struct amberfs *fs)
{
	const struct fs_config *cfg = fs->cfg;
	size_t n = fs->layers->n;
	struct audit_layer *layers = calloc(n, sizeof(*layers));
	char (*digests)[33] = calloc(n, sizeof(*digests));
	struct audit_config ac = {
		.path = cfg->log_path,
		.policy_drop = cfg->log_drop,
		.max_size = cfg->log_max_size,
		.keep = cfg->log_keep,
		.mountpoint = cfg->mountpoint, /* made absolute before mounting */
		.options_json = cfg->options_json,
		.layers = layers,
		.n_layers = n,
	};
	int r = -ENOMEM;

	if (layers && digests) {
		for (size_t i = 0; i < n; i++) {
			/* Only the log's start record shows them: with no log,
			 * no stat of every top-level entry of every layer. */
			if (!cfg->log_path || layer_digest(&fs->layers->layers[i], digests[i]) < 0)
				strcpy(digests[i], "unavailable");
			layers[i].path = fs->layers->layers[i].path;
			layers[i].digest = digests[i];
		}
		r = audit_new(&ac, &fs->audit);
		if (r < 0)
			log_error_errno(r, "log: '%s': cannot start the audit log: %m",
					cfg->log_path ? cfg->log_path : "(none)");
	}
	free(layers);
	free(digests);
	return r;
}

static int build_state(struct amberfs *fs)
{
	int r;

	r = inode_table_new(&fs->inodes);
	if (r == 0)
		r = index_new(fs->layers, fs->inodes, fs->cfg->synthdirs.v, fs->cfg->synthdirs.n,
			      &fs->index);
	if (r == 0) {
		index_set_squash(fs->index, fs->cfg->squash_uid, fs->cfg->squash_gid);
		index_set_override_xattr(fs->index, fs->cfg->override_xattr);
		r = index_init_root(fs->index);
	}
	if (r < 0)
		return log_error_errno(r, "cannot set up the merged tree: %m");
	return 0;
}

/*
 * Once mounted: start the audit writer (it forks its unconfined /proc
 * helper first, so executable and cwd stay readable), then confine the
 * process.  The FUSE workers start later and inherit Landlock; seccomp
 * covers every thread (TSYNC), the writer included.  Nothing is served
 * before that: the kernel's first request (INIT) is read by the loop.
 */
static int start_serving(struct amberfs *fs)
{
	int r;

	r = start_audit(fs);
	if (r < 0)
		return r;
	r = gate_new(fs->audit, fs->index, fs->cfg->deny_errno, &fs->gate);
	if (r < 0)
		return log_error_errno(r, "gate: (setup): %m");
	if (fs->confine)
		return confine_apply(fs->confine, fs->layers);
	return 0;
}

/* Never through a symlink planted under that name: see safefile.h. */
static int write_pidfile(const char *path, struct pidfile **ret)
{
	int r;

	if (!path)
		return 0;
	r = pidfile_write(path, getpid(), ret);
	if (r < 0)
		return log_error_errno(r, "pidfile: '%s': %m", path);
	return 0;
}

/*
 * One thread answers every request; those that may block run on the
 * offload pool (see offload.h), which the loop drains before it returns,
 * so no worker replies to a session being destroyed.  -s: no pool.
 */
static int run_loop(struct amberfs *fs, struct fuse_session *se)
{
	int r;

	if (!fs->cfg->single_thread) {
		r = offload_new(fs->cfg->threads, &fs->offload);
		if (r < 0)
			return r;
	}
	r = fuse_session_loop(se);
	fs->offload = offload_free(fs->offload);
	return r;
}

static void report_totals(const struct fs_config *cfg, const struct audit_totals *t)
{
	char why[512];

	if (t->lost > 0) {
		log_warning("%llu write attempt(s) refused, %llu of them not recorded: %s",
			    (unsigned long long)t->attempts, (unsigned long long)t->lost,
			    audit_loss_reason(t, cfg->log_path, why, sizeof(why)));
		return;
	}
	if (t->attempts == 0 && cfg->log_path)
		return;
	log_info("%llu write attempt(s) refused%s%s%s", (unsigned long long)t->attempts,
		 cfg->log_path ? "; log: '" : " (no log= given)",
		 cfg->log_path ? cfg->log_path : "", cfg->log_path ? "'" : "");
}

/* Mounts and serves; notify_fd (or -1) learns when the mount is ready. */
static int serve(struct amberfs *fs, struct fuse_args *args, int notify_fd)
{
	const struct fs_config *cfg = fs->cfg;
	struct audit_totals totals = { 0 };
	struct pidfile *pidfile = NULL;
	_cleanup_close_ int devnull = -1;
	bool by_signal = false;
	struct fuse_session *se;
	int r;

	/* What confinement needs that does not depend on the mount (its
	 * seccomp filter) is made by a thread while we mount. */
	if (!cfg->noconfine && confine_prepare(cfg, &fs->confine) < 0)
		return log_error_errno(-ENOMEM, "out of memory");
	r = build_state(fs);
	if (r < 0)
		goto out;
	se = session_new(args, fs);
	if (!se) {
		r = -EINVAL;
		goto out;
	}
	if (fuse_set_signal_handlers(se) < 0) {
		r = log_error_errno(-EIO, "cannot install signal handlers");
		goto out_session;
	}
	signal(SIGHUP, on_sighup);
	if (fuse_session_mount(se, cfg->mountpoint) != 0) {
		r = log_error_errno(-EIO, "mountpoint: '%s': mount failed (is /dev/fuse usable? is fusermount3 installed?)",
				    cfg->mountpoint);
		goto out_signals;
	}
	/* Before confining: Landlock would not let us open these afterwards. */
	if (notify_fd >= 0)
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	r = write_pidfile(cfg->pidfile, &pidfile);
	if (r == 0)
		r = start_serving(fs);
	if (r < 0)
		goto out_unmount;
	hup_audit = fs->audit;
	if (notify_fd >= 0) {
		char ok = 0;

		if (write(notify_fd, &ok, 1) != 1)
			log_warning("cannot tell the parent that the mount is ready");
		close(notify_fd);
		if (devnull >= 0)
			(void)detach_stdio(TAKE_FD(devnull), false);
		log_use_syslog(true);
	}
	/* A positive value is the signal that ended the loop: a clean stop,
	 * with the mount still there.  0: the kernel ended the connection. */
	r = run_loop(fs, se);
	by_signal = r > 0;
	r = r < 0 ? -EIO : 0;
out_unmount:
	/* A confined daemon may not unmount: its helper does, and is waited for. */
	if (confine_unmount(fs->confine, by_signal || r < 0)) {
		struct pollfd pfd = { .fd = fuse_session_fd(se) };

		/* Once the connection is gone libfuse only closes the fd and
		 * frees its copy of the mountpoint; it must not try an unmount
		 * of its own while the mount is still busy somewhere. */
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR))
			fuse_session_unmount(se);
	} else {
		fuse_session_unmount(se);
	}
	/* The stop record is written before the signal handlers go, so a
	 * second SIGTERM during teardown cannot kill the daemon without it. */
	fs->gate = gate_free(fs->gate);
	audit_free(fs->audit, &totals);
	fs->audit = NULL;
out_signals:
	hup_audit = NULL;
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out:
	fs->confine = confine_free(fs->confine);
	if (r == 0)
		report_totals(cfg, &totals);
	/* Only if it is still ours: a later mount may have written its own. */
	pidfile = pidfile_remove(pidfile);
	return r;
}

/* Forks; the parent waits for the child's "mounted" byte or its exit. */
static int daemonize(int *ret_notify_fd)
{
	int p[2], status;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return log_error_errno(-errno, "pipe: %m");
	pid = fork();
	if (pid < 0)
		return log_error_errno(-errno, "fork: %m");
	if (pid == 0) {
		close(p[0]);
		setsid();
		if (chdir("/") < 0) {
			/* layers are already open by fd */
		}
		*ret_notify_fd = p[1];
		return 0;
	}
	close(p[1]);
	if (read(p[0], &c, 1) == 1)
		_exit(EXIT_SUCCESS);
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		_exit(WEXITSTATUS(status) ? WEXITSTATUS(status) : EXIT_FAILURE);
	_exit(EXIT_FAILURE);
}

static int add_default_options(struct fuse_args *args, const struct fs_config *cfg)
{
	_cleanup_free_ char *o = NULL;

	/* No default_permissions: the kernel would refuse a non-root writer
	 * with EACCES before we hear of it.  perm.c checks reads instead. */
	if (asprintf(&o, "-osubtype=amberfs,fsname=%s%s%s",
		     cfg->source ? cfg->source : "amberfs",
		     geteuid() == 0 ? ",allow_other" : "", cfg->kernel_ro ? ",ro" : "") < 0)
		return -ENOMEM;
	return fuse_opt_add_arg(args, o);
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct amberfs fs = { .timeout = 1e9 };
	struct fs_config cfg;
	int notify_fd = -1, r;

	log_init("amberfs");
	fuse_set_log_func(fuse_log_to_ours);
	r = opts_parse(&args, &cfg);
	if (r != 0)
		goto out;
	fs.cfg = &cfg;
	if (cfg.debug)
		log_set_level(LOG_LEVEL_DEBUG);
	r = layer_stack_open(cfg.lowerdirs.v, cfg.lowerdirs.n, &fs.layers);
	if (r == 0)
		r = check_mountpoint(&cfg, fs.layers);
	if (r == 0)
		r = check_log_path(&cfg.log_path);
	if (r == 0 && make_absolute(&cfg.pidfile) < 0)
		r = log_error_errno(-ENOMEM, "out of memory");
	if (r == 0 && add_default_options(&args, &cfg) < 0)
		r = log_error_errno(-ENOMEM, "out of memory");
	if (r == 0 && !cfg.foreground)
		r = daemonize(&notify_fd);
	if (r == 0)
		r = serve(&fs, &args, notify_fd);
out:
	fs.index = index_free(fs.index);
	fs.inodes = inode_table_free(fs.inodes);
	fs.layers = layer_stack_free(fs.layers);
	opts_free(&cfg);
	fuse_opt_free_args(&args);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
