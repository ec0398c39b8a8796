/* SPDX-License-Identifier: MIT */
/* args.c - amber-oci's global options and command options; see args.h. */
#include "args.h"

#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"

/* Global options of runc and crun that take a value. */
static const char *const global_valued[] = {
	"root", "log", "log-format", "log-level", "criu", "rootless", "cgroup-manager", "runtime-binary",
};

/* Options of create/run/delete/state/exec that take a value. */
static const char *const cmd_valued[] = {
	"bundle", "b", "pid-file", "console-socket", "preserve-fds", "pidfd-socket", "process", "p",
	"cwd", "env", "e", "user", "u", "additional-gids", "g", "process-label", "apparmor", "cap",
	"c", "cgroup", "signal", "format", "f",
};

static bool in(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

const char *args_opt_name(const char *arg, char *buf, size_t n)
{
	size_t l;

	if (arg[0] != '-' || arg[1] == '\0')
		return NULL;
	arg += arg[1] == '-' ? 2 : 1;
	l = strcspn(arg, "=");
	if (l == 0 || l >= n)
		return NULL;
	memcpy(buf, arg, l);
	buf[l] = '\0';
	return buf;
}

bool args_cmd_takes_value(const char *opt)
{
	return in(cmd_valued, ELEMENTSOF(cmd_valued), opt);
}

static void pick(struct oci_globals *g, const char *name, const char *value)
{
	if (strcmp(name, "root") == 0)
		g->root = value;
	else if (strcmp(name, "log") == 0)
		g->log = value;
	else if (strcmp(name, "log-format") == 0)
		g->log_format = value;
	else if (strcmp(name, "rootless") == 0)
		g->rootless = value;
	else if (strcmp(name, "runtime-binary") == 0)
		g->runtime = value;
	else if (strcmp(name, "debug") == 0)
		g->debug = true;
	else if (strcmp(name, "v") == 0 || strcmp(name, "version") == 0)
		g->version = true;
	else if (strcmp(name, "h") == 0 || strcmp(name, "help") == 0)
		g->help = true;
}

int args_globals(int argc, char **argv, const char **fwd, struct oci_globals *g, int *ret_cmd)
{
	int i;

	*g = (struct oci_globals){ .fwd = fwd };
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *value = NULL;
		char name[64];
		bool own;

		if (!args_opt_name(a, name, sizeof(name)))
			break;
		own = strcmp(name, "runtime-binary") == 0;
		if (strchr(a, '='))
			value = strchr(a, '=') + 1;
		else if (in(global_valued, ELEMENTSOF(global_valued), name)) {
			if (i + 1 >= argc)
				return log_error_errno(-EINVAL, "option '%s' needs a value", a);
			value = argv[i + 1];
			if (!own)
				fwd[g->n_fwd++] = a;
			a = argv[++i];
		}
		pick(g, name, value);
		if (!own)
			fwd[g->n_fwd++] = a;
	}
	*ret_cmd = i;
	return 0;
}
