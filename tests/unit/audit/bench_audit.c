/* SPDX-License-Identifier: MIT */
/*
 * bench_audit.c - records per second the audit writer sustains on its own
 * (no FUSE): N threads submit distinct events (nothing coalesces) with
 * log_policy=block for a few seconds into a log file; prints submitted/s,
 * written records/s and the loss count.  A measurement, not a test
 * (suite 'bench').  usage: bench_audit [DIR] [THREADS] [SECONDS]
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"

static atomic_bool stop;
static struct audit *log_;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *hammer(void *p)
{
	unsigned long i = 0, id = (unsigned long)(uintptr_t)p;
	char path[64];

	while (!atomic_load(&stop)) {
		struct audit_event ev = {
			.action = AUDIT_MKDIR, .err = EROFS, .path = path, .layer = -1,
			.args = { .has = AUDIT_ARG_MODE, .mode = 0755 }, .tid = gettid(),
		};

		snprintf(path, sizeof(path), "/bench/t%lu/%lu", id, i++);
		ev.path_len = strlen(path);
		clock_gettime(CLOCK_REALTIME, &ev.ts);
		audit_submit(log_, &ev);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	int n = argc > 2 ? atoi(argv[2]) : 2;
	double secs = argc > 3 ? atof(argv[3]) : 3.0, t0, t1, t2;
	char path[4096];
	struct audit_config cfg = { .path = path, .mountpoint = "/bench" };
	struct audit_totals t;
	pthread_t th[64];

	if (n < 1 || n > 64)
		n = 2;
	snprintf(path, sizeof(path), "%s/bench-audit.%d.log", dir, (int)getpid());
	if (audit_new(&cfg, &log_) < 0)
		return 1;
	t0 = now();
	for (int i = 0; i < n; i++)
		pthread_create(&th[i], NULL, hammer, (void *)(uintptr_t)i);
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&stop, true);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	t1 = now();
	audit_free(log_, &t); /* drains the queue */
	t2 = now();
	printf("%d threads, %.1f s: %.0f submitted/s; %lu records written in %.2f s = %.0f records/s; "
	       "%lu lost; log %s\n",
	       n, t1 - t0, (double)t.attempts / (t1 - t0), (unsigned long)t.written, t2 - t0,
	       (double)t.written / (t2 - t0), (unsigned long)t.lost, path);
	unlink(path);
	return 0;
}
