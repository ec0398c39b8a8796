/* SPDX-License-Identifier: MIT */
/*
 * run.c - the runner and holder processes (see run.h).
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "container.h"
#include "fsd.h"
#include "init.h"
#include "seccomp_filter.h"
#include "log.h"
#include "spec.h"
#include "userns.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct run_state {
	const struct run_opts *o;
	struct spec spec;
	struct strv layers;    /* absolute */
	struct strv synthdirs;
	struct strv env;
	char *name, *hostname;
	char *state_dir, *root, *pidfile, *log_path;
	bool rootless;
	bool squash_root; /* amberfs squash_to_root (see decide_owners) */
	struct idmap idmap;
	uint64_t caps;
	struct seccomp_prog seccomp;
	off_t log_size;        /* before the run: a summary needs new records */
	int sync_up[2], sync_down[2], ctl[2];
};

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

static int default_log_path(const char *name, char **ret)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	_cleanup_free_ char *dir = NULL;
	int r;

	if (state && state[0] == '/')
		r = asprintf(&dir, "%s/amber-run", state);
	else if (geteuid() == 0)
		r = asprintf(&dir, "/var/log/amber-run");
	else if (home && home[0] == '/')
		r = asprintf(&dir, "%s/.local/state/amber-run", home);
	else
		r = asprintf(&dir, "/tmp/amber-run-%u", (unsigned)geteuid());
	if (r < 0) {
		dir = NULL; /* undefined after a failed asprintf */
		return -ENOMEM;
	}
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

static int write_text(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_fclose_ FILE *f = NULL;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	f = fopen(path, "wxe");
	if (!f || fputs(text, f) < 0 || fflush(f) != 0)
		return log_error_errno(-errno, "cannot write '%s': %m", path);
	fchmod(fileno(f), 0644);
	return 0;
}

static int copy_text(const char *src, char **ret)
{
	_cleanup_fclose_ FILE *f = fopen(src, "re");
	char buf[8192];
	size_t n;

	if (!f)
		return (*ret = strdup("")) ? 0 : -ENOMEM;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	return (*ret = strdup(buf)) ? 0 : -ENOMEM;
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
	if ((r = write_text(s->state_dir, "hosts", hosts)) < 0 ||
	    (r = write_text(s->state_dir, "hostname", hostname)) < 0 ||
	    (r = write_text(s->state_dir, "resolv.conf", resolv)) < 0)
		return r;
	return 0;
}

static void state_cleanup(struct run_state *s)
{
	static const char *const files[] = { "hosts", "hostname", "resolv.conf", "amberfs.pid" };

	if (s->state_dir) {
		for (size_t i = 0; i < ELEMENTSOF(files); i++) {
			_cleanup_free_ char *p = NULL;

			if (asprintf(&p, "%s/%s", s->state_dir, files[i]) >= 0)
				(void)unlink(p);
		}
		if (s->root)
			(void)rmdir(s->root);
		(void)rmdir(s->state_dir);
	}
	spec_free(&s->spec);
	strv_free(&s->layers);
	strv_free(&s->synthdirs);
	strv_free(&s->env);
	free(s->name);
	free(s->hostname);
	free(s->state_dir);
	free(s->root);
	free(s->pidfile);
	free(s->log_path);
	seccomp_prog_free(&s->seccomp);
	for (int i = 0; i < 2; i++) {
		if (s->sync_up[i] >= 0)
			close(s->sync_up[i]);
		if (s->sync_down[i] >= 0)
			close(s->sync_down[i]);
		if (s->ctl[i] >= 0)
			close(s->ctl[i]);
	}
}

/* ---- preparation (no namespace, no mount yet) ------------------------ */

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

static int prepare(struct run_state *s)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	_cleanup_free_ char *tmpl = NULL;
	char stamp[32];
	time_t now = time(NULL);
	int r;

	if (s->o->workdir && s->o->workdir[0] != '/')
		return log_error_errno(-EINVAL, "--workdir '%s' must be an absolute path", s->o->workdir);
	if (s->o->hostname && (strlen(s->o->hostname) > 64 || !s->o->hostname[0]))
		return log_error_errno(-EINVAL, "--hostname '%s': 1 to 64 characters", s->o->hostname);
	r = check_layers(s);
	if (r < 0)
		return r;
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", localtime(&now));
	if (s->o->name)
		s->name = strdup(s->o->name);
	else if (asprintf(&s->name, "amber-%s-%d", stamp, (int)getpid()) < 0)
		s->name = NULL;
	if (!s->name || strchr(s->name, '/'))
		return log_error_errno(-EINVAL, "bad container name");
	s->hostname = strdup(s->o->hostname ? s->o->hostname : "amber");
	if (!s->hostname)
		return -ENOMEM;
	r = s->o->log_path ? absolute(s->o->log_path, &s->log_path) : default_log_path(s->name, &s->log_path);
	if (r < 0)
		return r;
	if ((r = build_env(s)) < 0)
		return r;
	{
		struct stat st;

		s->log_size = stat(s->log_path, &st) == 0 ? st.st_size : 0;
	}
	/* Private state: the amberfs mountpoint, its pid file, /etc files. */
	if (asprintf(&tmpl, "%s/amber-run.XXXXXX", rt && rt[0] == '/' && access(rt, W_OK) == 0 ? rt : "/tmp") < 0)
		return -ENOMEM;
	if (!mkdtemp(tmpl))
		return log_error_errno(-errno, "cannot create a state directory '%s': %m", tmpl);
	s->state_dir = TAKE_PTR(tmpl);
	if (asprintf(&s->root, "%s/root", s->state_dir) < 0 || asprintf(&s->pidfile, "%s/amberfs.pid", s->state_dir) < 0)
		return -ENOMEM;
	if (mkdir(s->root, 0755) < 0)
		return log_error_errno(-errno, "mkdir '%s': %m", s->root);
	if ((r = write_etc(s)) < 0)
		return r;
	r = spec_build(s->o, s->state_dir, &s->spec);
	if (r < 0)
		return r;
	r = spec_validate(&s->spec, true);
	if (r < 0)
		return r;
	r = spec_synthdirs(&s->spec, &s->synthdirs);
	if (r < 0)
		return r;
	s->caps = caps_compute(s->o->cap_add, s->o->cap_drop);
	{
		_cleanup_free_ char *cache = seccomp_cache_dir();

		r = seccomp_prog_get(s->o->seccomp, s->o->seccomp_file, s->caps, cache, &s->seccomp);
		if (r < 0)
			return r;
	}
	s->rootless = geteuid() != 0;
	if (s->rootless) {
		userns_plan(&s->idmap);
	}
	decide_owners(s);
	return 0;
}

/* ---- holder ------------------------------------------------------- */

static int holder_enter(struct run_state *s)
{
	int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
	char b = 0;

	if (s->o->net == NET_NONE)
		flags |= CLONE_NEWNET;
	if (s->rootless)
		flags |= CLONE_NEWUSER;
	if (unshare(flags) < 0)
		return log_error_errno(-errno, "cannot create the container namespaces: %m%s",
				       s->rootless ? " (are unprivileged user namespaces enabled?)" : "");
	if (s->rootless) {
		if (write(s->sync_up[1], "u", 1) != 1 || read(s->sync_down[0], &b, 1) != 1 || b != 'm')
			return log_error_errno(-EIO, "the runner could not set up the user namespace");
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			return log_error_errno(-errno, "cannot become root in the user namespace: %m");
	}
	/* (type "none": ignored for a propagation change; valgrind wants one) */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return log_error_errno(-errno, "cannot make the mounts private: %m");
	return 0;
}

/* Waits for init; forwards the runner's signals to it.  Returns its code. */
static int holder_wait(pid_t init, pid_t daemon)
{
	sigset_t set;

	init_forward_set(&set);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si), status;
		pid_t p;

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			if (si.si_code != SI_KERNEL)
				(void)kill(init, sig);
			continue;
		}
		while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
			if (p == init)
				return init_exit_code(status);
			if (p == daemon)
				log_warning("amberfs (pid %d) exited while the container runs", (int)p);
		}
	}
}

static _Noreturn void holder_main(struct run_state *s)
{
	struct fsd_config fc = {
		.layers = &s->layers, .synthdirs = &s->synthdirs, .log_path = s->log_path,
		.pidfile = NULL, /* see find_daemon() in fsd.c */
		.mountpoint = s->root,
		.squash_root = s->squash_root,
	};
	struct container_config cc;
	pid_t daemon = -1, init;
	int code = EXIT_RUNNER;

	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	close(s->sync_up[0]);
	close(s->sync_down[1]);
	if (s->ctl[0] >= 0)
		close(s->ctl[0]);
	if (holder_enter(s) < 0)
		_exit(EXIT_RUNNER);
	/* The daemon forks away from amberfs: let it become our child. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (fsd_start(&fc, &daemon) < 0)
		goto out;
	if (unshare(CLONE_NEWPID) < 0) {
		log_error("cannot create the pid namespace: %m");
		goto out;
	}
	cc = (struct container_config){
		.opts = s->o, .spec = &s->spec, .root = s->root, .hostname = s->hostname,
		.env = s->env.v, .caps = s->caps, .seccomp = &s->seccomp, .ctl_fd = s->ctl[1],
	};
	init = fork();
	if (init < 0) {
		log_error("fork: %m");
		goto out;
	}
	if (init == 0)
		container_main(&cc);
	if (s->ctl[1] >= 0)
		close(s->ctl[1]);
	code = holder_wait(init, daemon);
out:
	fsd_stop(&fc, daemon);
	_exit(code);
}

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

static int runner_loop(struct run_state *s, pid_t holder, int sfd)
{
	struct relay t = { .master = -1 };
	bool stdin_open = true, master_open = true;
	int code = -1;

	while (code < 0) {
		struct pollfd p[4] = {
			{ sfd, POLLIN, 0 },
			{ s->ctl[0], POLLIN, 0 },
			{ master_open ? t.master : -1, POLLIN, 0 },
			{ t.master >= 0 && stdin_open ? STDIN_FILENO : -1, POLLIN, 0 },
		};

		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents) {
			int m;

			if (fd_recv(s->ctl[0], &m) == 0)
				relay_start(&t, m);
			close(s->ctl[0]);
			s->ctl[0] = -1;
		}
		/* EIO once every slave is closed: stop polling it. */
		if (p[2].revents && !copy_once(t.master, STDOUT_FILENO))
			master_open = false;
		if (p[3].revents && !copy_once(STDIN_FILENO, t.master))
			stdin_open = false;
		if (p[0].revents) {
			struct signalfd_siginfo si;
			int status;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGWINCH) {
				relay_winsize(&t);
				continue;
			}
			if (si.ssi_signo != SIGCHLD) {
				if (si.ssi_code != SI_KERNEL)
					(void)kill(holder, si.ssi_signo);
				continue;
			}
			if (waitpid(holder, &status, WNOHANG) == holder)
				code = init_exit_code(status);
		}
	}
	/* Drain what the command wrote last. */
	if (t.master >= 0 && master_open) {
		int fl = fcntl(t.master, F_GETFL);

		fcntl(t.master, F_SETFL, fl | O_NONBLOCK);
		while (copy_once(t.master, STDOUT_FILENO))
			;
	}
	relay_stop(&t);
	return code < 0 ? EXIT_RUNNER : code;
}

static int runner_start(struct run_state *s, pid_t *ret)
{
	pid_t holder;
	char b;

	if (pipe2(s->sync_up, O_CLOEXEC) < 0 || pipe2(s->sync_down, O_CLOEXEC) < 0)
		return log_error_errno(-errno, "pipe: %m");
	if (s->o->tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->ctl) < 0)
		return log_error_errno(-errno, "socketpair: %m");
	holder = fork();
	if (holder < 0)
		return log_error_errno(-errno, "fork: %m");
	if (holder == 0)
		holder_main(s);
	*ret = holder;
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
	struct stat st;
	uint64_t n;

	/* Nothing to say when amberfs never wrote to the log (setup failed). */
	if (s->o->quiet || !s->log_path || stat(s->log_path, &st) < 0 || st.st_size <= s->log_size)
		return;
	if (fsd_blocked_count(s->log_path, &n) == 0)
		fprintf(stderr, "amber-run: %" PRIu64 " writes blocked; log: %s\n", n, s->log_path);
	else /* no "stop" record: amberfs did not finish its log */
		fprintf(stderr, "amber-run: unknown number of writes blocked; log: %s\n", s->log_path);
}

int run_container(const struct run_opts *o)
{
	struct run_state s = { .o = o, .sync_up = { -1, -1 }, .sync_down = { -1, -1 }, .ctl = { -1, -1 } };
	_cleanup_close_ int sfd = -1;
	sigset_t set, old;
	pid_t holder = -1;
	int code = EXIT_RUNNER, status;

	init_forward_set(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (prepare(&s) < 0)
		goto out;
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		log_error("signalfd: %m");
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
	state_cleanup(&s);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return code;
}
