/* SPDX-License-Identifier: MIT */
/*
 * offload.h - a small pool of threads for the requests that may block.
 *
 * amberfs answers requests on one thread: every answer that comes from the
 * daemon's tables (an attribute, a lookup in a merged directory, an open of
 * a file whose descriptor is cached) costs microseconds, and handing each of
 * them to another thread would cost more than the work itself (the woken
 * thread has to be scheduled; libfuse's multithreaded loop pays that on
 * every request).  What can block - reading data from a layer, merging a
 * directory for the first time, waiting for room in the audit queue - is
 * handed to this pool instead, so one slow request never holds the others.
 * A job owns its arguments; the worker runs it and replies to the request.
 */
#pragma once

#include <stdbool.h>

struct offload;

/* A pool of at most max_threads workers, started on first use. */
int offload_new(unsigned max_threads, struct offload **ret);
/* Waits for every queued job to finish, then ends the workers. */
struct offload *offload_free(struct offload *o);

/*
 * Queues fn(arg) for a worker.  -errno (pool is NULL, or no memory, or no
 * thread could be started): the caller runs it itself.
 */
int offload_submit(struct offload *o, void (*fn)(void *arg), void *arg);
