/* amber-bench: command line of the workload driver (see bench.h). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void result_print(const struct result *r, const char *extra_json)
{
	printf("{\"ns\":%" PRIu64 ",\"ops\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"errors\":%" PRIu64 "%s%s}\n", r->ns,
	       r->ops, r->bytes, r->errors, extra_json ? "," : "", extra_json ? extra_json : "");
}

struct args {
	const char *root, *list, *list2, *probe, *log, *pidfile;
	uint64_t n;
	double seconds;
	unsigned units, flooders;
	bool wait;
};

static int usage(void)
{
	fputs("usage: amber-bench statwalk|readdir|readall ROOT\n"
	      "       amber-bench openclose|neglookup ROOT --list FILE -n N\n"
	      "       amber-bench compile ROOT --list INCDIRS --list2 HEADERS --units N\n"
	      "       amber-bench refused ROOT --list FILE --seconds S\n"
	      "       amber-bench contention ROOT --list FILE --seconds S [--flooders K]\n"
	      "       amber-bench mount --probe PATH --log FILE [--pid-out FILE] [--wait] [--seconds T] -- CMD...\n",
	      stderr);
	return 2;
}

static int parse(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "list", required_argument, NULL, 'l' },     { "list2", required_argument, NULL, 'L' },
		{ "probe", required_argument, NULL, 'p' },    { "log", required_argument, NULL, 'g' },
		{ "seconds", required_argument, NULL, 's' },  { "units", required_argument, NULL, 'u' },
		{ "flooders", required_argument, NULL, 'f' }, { "wait", no_argument, NULL, 'w' },
		{ "pid-out", required_argument, NULL, 'P' },  {}
	};
	int c;

	*a = (struct args){ .n = 100000, .seconds = 2, .units = 1, .flooders = 1 };
	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) >= 0) {
		switch (c) {
		case 'l': a->list = optarg; break;
		case 'L': a->list2 = optarg; break;
		case 'p': a->probe = optarg; break;
		case 'g': a->log = optarg; break;
		case 's': a->seconds = strtod(optarg, NULL); break;
		case 'u': a->units = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'f': a->flooders = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': a->wait = true; break;
		case 'P': a->pidfile = optarg; break;
		case 'n': a->n = strtoull(optarg, NULL, 10); break;
		default: return -EINVAL;
		}
	}
	return optind;
}

static int load(const char *file, struct pathlist *l)
{
	int r = file ? pathlist_load(file, l) : -EINVAL;
	if (r < 0)
		fprintf(stderr, "amber-bench: cannot load path list '%s': %s\n", file ? file : "(none)", strerror(-r));
	return r;
}

static int run_lists(const char *cmd, struct args *a)
{
	struct pathlist l = { 0 }, l2 = { 0 };
	struct result r = { 0 }, r2 = { 0 }, r3 = { 0 };
	char extra[512];
	int ret = load(a->list, &l);

	if (ret < 0)
		return ret;
	if (strcmp(cmd, "openclose") == 0)
		ret = ops_openclose(a->root, &l, a->n, &r);
	else if (strcmp(cmd, "neglookup") == 0)
		ret = ops_neglookup(a->root, &l, a->n, &r);
	else if (strcmp(cmd, "refused") == 0)
		ret = ops_refused(a->root, &l, a->seconds, &r);
	else if (strcmp(cmd, "compile") == 0) {
		ret = load(a->list2, &l2);
		if (ret >= 0)
			ret = ops_compile(a->root, &l, &l2, a->units, &r);
	} else if (strcmp(cmd, "contention") == 0) {
		ret = ops_contention(a->root, &l, a->seconds, a->flooders, &r2, &r, &r3);
		snprintf(extra, sizeof(extra),
			 "\"alone_ns\":%" PRIu64 ",\"alone_ops\":%" PRIu64 ",\"flood_ns\":%" PRIu64
			 ",\"flood_ops\":%" PRIu64 ",\"flood_errors\":%" PRIu64,
			 r2.ns, r2.ops, r3.ns, r3.ops, r3.errors);
	} else
		ret = usage();
	if (ret == 0)
		result_print(&r, strcmp(cmd, "contention") == 0 ? extra : NULL);
	pathlist_free(&l);
	pathlist_free(&l2);
	return ret;
}

static int run_mount(struct args *a, char **cmd)
{
	struct result r = { 0 };
	char extra[64];
	int pid = 0;

	if (!a->probe || !a->log || !cmd[0])
		return usage();
	int ret = spawn_mount(cmd, a->probe, a->log, a->pidfile, a->seconds, a->wait, &r, &pid);
	if (ret < 0) {
		fprintf(stderr, "amber-bench: mount command '%s' failed (%s); see %s\n", cmd[0],
			ret == -ECHILD ? "it exited non-zero" : strerror(-ret), a->log);
		return ret;
	}
	snprintf(extra, sizeof(extra), "\"pid\":%d", pid);
	result_print(&r, extra);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;
	struct result r = { 0 };
	int ret;

	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	int first = parse(argc - 1, argv + 1, &a);
	if (first < 0)
		return usage();
	char **rest = argv + 1 + first;
	if (strcmp(cmd, "mount") == 0) {
		if (a.seconds == 2)
			a.seconds = 60;
		return run_mount(&a, rest) < 0 ? 1 : 0;
	}
	if (!rest[0])
		return usage();
	a.root = rest[0];
	if (strcmp(cmd, "statwalk") == 0)
		ret = walk_stat(a.root, &r);
	else if (strcmp(cmd, "readdir") == 0)
		ret = walk_readdir(a.root, &r);
	else if (strcmp(cmd, "readall") == 0)
		ret = walk_readall(a.root, &r);
	else
		return run_lists(cmd, &a) < 0 ? 1 : 0;
	if (ret < 0) {
		fprintf(stderr, "amber-bench: %s of '%s' failed: %s\n", cmd, a.root, strerror(-ret));
		return 1;
	}
	result_print(&r, NULL);
	return 0;
}
