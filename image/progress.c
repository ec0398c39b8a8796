/* SPDX-License-Identifier: MIT */
/*
 * progress.c - the progress line (see progress.h).
 */
#include "progress.h"

#include <stdio.h>

static double secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void draw(struct progress *p, const struct timespec *now)
{
	double t = secs(&p->start, now), mib = (double)p->bytes / 1048576.0;

	fprintf(stderr, "\r%s %zu/%zu: %.1f MiB", p->what, p->index, p->count, mib);
	if (p->total > 0)
		fprintf(stderr, " of %.1f MiB", (double)p->total / 1048576.0);
	if (t > 0.05)
		fprintf(stderr, ", %.1f MiB/s", mib / t);
	fputs("\033[K", stderr);
	fflush(stderr);
}

void progress_begin(struct progress *p, bool on, const char *what, size_t index, size_t count, uint64_t total)
{
	*p = (struct progress){ .on = on, .index = index, .count = count, .total = total, .what = what };
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
	if (on)
		draw(p, &p->start);
}

void progress_add(struct progress *p, uint64_t n)
{
	struct timespec now;

	p->bytes += n;
	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (secs(&p->last, &now) < 0.1)
		return;
	p->last = now;
	draw(p, &now);
}

void progress_end(struct progress *p, bool ok)
{
	struct timespec now;

	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	draw(p, &now);
	fputs(ok ? ", done\n" : ", failed\n", stderr);
}
