/* SPDX-License-Identifier: MIT */
/*
 * audit_internal.h - state shared by the two halves of the audit writer:
 * fs/audit.c (the submitting side: /proc facts, coalescing, the bounded
 * queue) and fs/audit_writer.c (the one writer thread: numbering, chaining,
 * rotation, loss reports).  Nothing outside these two files includes it.
 *
 * Locking: `lock` guards the ring, the coalescing table, the queue-loss
 * accumulators, `totals`, `writer_awake`, `paused` and `stopping`.  Everything under
 * "writer-private" is touched only by the writer thread (and by audit_new()
 * and audit_free() when that thread does not run).
 */
#pragma once

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit.h"
#include "audit_fmt.h"
#include "hash.h"
#include "procinfo.h"

#define AUDIT_DEFAULT_QUEUE_LEN 4096
#define AUDIT_QUEUE_MAX_BYTES (16u << 20) /* rendered bodies waiting in the ring */
#define AUDIT_TABLE_LEN 1024               /* coalescing entries (power of two) */
#define AUDIT_TABLE_PROBES 16
#define AUDIT_TABLE_MAX_BYTES (4u << 20) /* bodies held by coalescing entries */
#define AUDIT_BLOCK_WAIT_NS 1000000000LL  /* log_policy=block: longest wait for space */
#define AUDIT_MAX_WAITERS 4               /* log_policy=block: callers waiting at once */
#define AUDIT_CONGESTED_BYTES 4096        /* audit_congested(): room for a large record */
#define AUDIT_WLOSS_MAX 8                 /* separate unreported seq ranges */
#define AUDIT_WRITER_NAP_NS 1000000LL     /* after a batch: events gather that long before the next */
#define AUDIT_WRITE_MAX_RECORDS 1024      /* records appended with one write(2) */
#define AUDIT_WRITE_MAX_BYTES (1u << 20)

/* The rendered middle of an attempt record, from "event" to "user", shared by
 * the queued attempt and the coalescing entry that may later become a
 * summary with the very same fields. */
struct audit_body {
	atomic_uint refs;
	size_t len;
	char data[];
};

struct audit_item {
	struct audit_body *body;
	enum audit_action action;
	bool summary;
	uint64_t count;                   /* attempts it stands for */
	struct timespec ts;               /* attempt: when it arrived */
	struct timespec first_ts, last_ts; /* summary */
};

struct audit_centry {
	bool used;
	uint64_t key_lo, key_hi;
	int64_t first_mono; /* window start, CLOCK_MONOTONIC ns */
	uint64_t ticket;    /* queue position of the attempt it follows */
	uint64_t count;     /* repeats coalesced so far, not counting the attempt */
	struct timespec first_ts, last_ts;
	struct audit_body *body;
	enum audit_action action;
};

struct audit_lossacc {
	uint64_t count;
	struct timespec first, last;
	uint64_t by_action[_AUDIT_ACTION_MAX];
};

/* A loss of records that were numbered but not written: one contiguous
 * seq range with one cause. */
struct audit_wloss {
	int err;
	uint64_t count, seq_first, seq_last;
	struct timespec first, last;
	uint64_t by_action[_AUDIT_ACTION_MAX];
};

struct audit {
	/* configuration (immutable after audit_new) */
	char *path;       /* for messages; files are opened by dirfd + name */
	int dirfd;        /* the log's directory (O_PATH), resolved once */
	char *name;       /* the log's name in it; rotated files are NAME.1 ... */
	bool policy_drop;
	uint64_t max_size;
	unsigned keep;
	int64_t window_ns;
	char *mountpoint;
	char *options_json;
	struct audit_layer *layers;
	size_t n_layers;
	char session[HASH_HEX_LEN + 1];

	struct procinfo_cache *procs;

	/* shared, under lock */
	pthread_mutex_t lock;
	pthread_cond_t space; /* CLOCK_MONOTONIC */
	struct audit_item *ring;
	size_t ring_len, ring_head, ring_count, ring_bytes;
	uint64_t enqueued, dequeued;
	unsigned waiters; /* callers waiting for room (log_policy=block) */
	struct audit_centry *table;
	size_t table_used, table_bytes;
	int64_t table_next_expiry; /* no entry's window ends before (INT64_MAX: none) */
	struct audit_lossacc lost_full, lost_timeout;
	struct audit_totals totals;
	/* The writer will look at the ring again without being woken: it is
	 * working, napping after a batch, or was woken already.  Submitters
	 * post `wake` only when it is false (or the ring fills): one wake-up
	 * per batch, not per event. */
	bool writer_awake;
	bool paused, stopping;

	sem_t wake;
	atomic_bool reopen;
	pthread_t thread;
	bool thread_running;

	/* writer-private */
	int fd;           /* -1 while the file cannot be opened */
	int open_err;     /* why fd is -1 */
	uint64_t size;    /* bytes in the current file */
	uint64_t seq;     /* last seq handed out */
	uint64_t last_written_seq;
	char prev[HASH_HEX_LEN + 1];
	bool failing, quiet;
	int64_t last_warning;
	struct audit_wloss wloss[AUDIT_WLOSS_MAX]; /* oldest first */
	size_t n_wloss;
	struct audit_lossacc qloss_full, qloss_timeout; /* taken from the shared ones, not yet reported */
	bool rotate_pending;
	enum audit_rotate_reason rotate_reason;
	char *rotate_prev_file;
	char *gone_name; /* while fd is -1: the name the lost file had */
	uint64_t rotate_prev_seq;
	bool removal_warned, refusal_warned;
	int64_t next_rotate_try, next_file_check;
	struct afmt_buf line;
	struct afmt_buf out;                       /* lines appended with one write(2) */
	size_t out_ends[AUDIT_WRITE_MAX_RECORDS];  /* where each of them ends in out */
	struct audit_item *batch;
	struct audit_item *flushes; /* summaries taken from the table */
};

struct audit_body *audit_body_ref(struct audit_body *b);
void audit_body_unref(struct audit_body *b);
int64_t audit_mono_ns(void);

/* audit_writer.c */
int audit_writer_open(struct audit *a);  /* opens the file, computes prev, writes start */
int audit_writer_start(struct audit *a); /* starts the thread */
void audit_writer_stop(struct audit *a); /* drains, writes stop, joins, closes */
/* Takes expired (or, with all, every) coalescing entries; under lock. */
size_t audit_table_take_expired(struct audit *a, int64_t now, bool all, struct audit_item *out);
