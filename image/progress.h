/* SPDX-License-Identifier: MIT */
/*
 * progress.h - the progress line of a long import on a terminal, in the
 * way of `podman load` and skopeo: which layer, bytes read, rate.  Drawn
 * on stderr at most ten times a second, overwritten in place with '\r';
 * nothing at all when disabled (not a terminal, or --quiet).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct progress {
	bool on;
	size_t index, count; /* layer index (1-based) of count */
	uint64_t bytes, total;
	struct timespec start, last;
	const char *what;
};

void progress_begin(struct progress *p, bool on, const char *what, size_t index, size_t count, uint64_t total);
void progress_add(struct progress *p, uint64_t n);
/* Draws the final figures and ends the line. */
void progress_end(struct progress *p, bool ok);
