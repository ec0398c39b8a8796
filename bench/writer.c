/* SPDX-License-Identifier: MIT */
/*
 * writer.c - amber-bench-writer: the audit writer alone, the `writer`
 * workload of bench/run.
 *
 * THREADS threads submit distinct events (mkdir of fresh names: nothing
 * coalesces) with log_policy=block for SECONDS into a log file in DIR,
 * reading /proc for each as the daemon does; then the writer is drained and
 * the file removed.  No FUSE and no mount: what a logged refusal costs on
 * top of FUSE is the difference between `refused` on amberfs and on
 * amberfs-log.  Prints the driver's one JSON object (bench/driver/bench.h):
 * "ns" from the first submission until the queue is drained, "ops" the
 * records written, "errors" the events lost, plus "submitted" and
 * "threads".
 *
 *   amber-bench-writer DIR [THREADS] [SECONDS]
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"

#define MAX_THREADS 64

static atomic_bool stop;
static struct audit *log_;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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
	const char *dir = argc > 1 ? argv[1] : NULL;
	int n = argc > 2 ? atoi(argv[2]) : 2, r;
	double secs = argc > 3 ? atof(argv[3]) : 1.0;
	char path[4096];
	struct audit_config cfg = { .path = path, .mountpoint = "/bench" };
	struct audit_totals t;
	pthread_t th[MAX_THREADS];
	uint64_t t0, t1;

	if (!dir || n < 1 || n > MAX_THREADS || secs <= 0) {
		fprintf(stderr, "usage: amber-bench-writer DIR [THREADS (1-%d)] [SECONDS]\n", MAX_THREADS);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bench-writer.%d.log", dir, (int)getpid());
	r = audit_new(&cfg, &log_);
	if (r < 0) {
		fprintf(stderr, "amber-bench-writer: cannot open '%s': %s\n", path, strerror(-r));
		return 1;
	}
	t0 = now_ns();
	for (int i = 0; i < n; i++)
		pthread_create(&th[i], NULL, hammer, (void *)(uintptr_t)i);
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&stop, true);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	audit_free(log_, &t); /* drains the queue */
	t1 = now_ns();
	unlink(path);
	printf("{\"ns\":%" PRIu64 ",\"ops\":%" PRIu64 ",\"bytes\":0,\"errors\":%" PRIu64
	       ",\"submitted\":%" PRIu64 ",\"threads\":%d}\n",
	       t1 - t0, (uint64_t)t.written, (uint64_t)t.lost, (uint64_t)t.attempts, n);
	return 0;
}
