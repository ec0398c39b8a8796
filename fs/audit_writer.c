/* SPDX-License-Identifier: MIT */
/*
 * audit_writer.c - the writer thread of the audit log; see audit.h and
 * docs/audit-log.md for the record format.
 *
 * Only this thread numbers (seq), chains (prev) and writes records, so the
 * file is a strict sequence and neither needs a lock.  The thread sleeps
 * until an event comes, then takes what the queue holds, writes it, and naps
 * for AUDIT_WRITER_NAP_NS while more gathers (submitters do not wake it
 * meanwhile), so a flood costs one wake-up and one write(2) per batch.
 *
 * Event records of a batch are appended with one write(2) on an O_APPEND
 * descriptor (up to AUDIT_WRITE_MAX_RECORDS / _BYTES at once), while the
 * file is healthy and nothing else is pending.  If that write fails or is
 * short, the whole lines that made it stay, the fragment is cut off, and
 * the rest go one record per write(2) as below, from the first one that did
 * not make it: numbering and chaining are as if each had been written alone.
 * A write that fails (disk full, file gone, RLIMIT_FSIZE) still consumes the
 * seq of an event record, and the loss is remembered as a seq range; before
 * the next record is written, the pending `rotate` and `loss` records go
 * first, so the gap is announced by the first record that makes it to disk.
 * A short write is cut off again (ftruncate) so the file never holds half a
 * line.
 *
 * Every file is opened, renamed and removed relative to the log's directory
 * fd, through fs/safefile.h: never through a symlink, and an existing file
 * only if it is a regular file of our own (the log may sit in a directory
 * other users can write).
 *
 * The file being written is held with flock(LOCK_SH) from its opening until
 * after the final `stop` record is written and flushed (fdatasync); a new
 * file (rotation, reopen) is locked before the old one is closed.  A reader
 * that takes LOCK_EX therefore gets it only once no daemon writes the file
 * any more (`fusermount3 -u MNT && amber-log verify --wait LOG`).
 */
#include "audit_internal.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_render.h"
#include "cleanup.h"
#include "log.h"
#include "safefile.h"

#define FILE_CHECK_NS 1000000000LL   /* how often the writer checks the file is still there */
#define ROTATE_RETRY_NS 60000000000LL /* after a failed rename, keep the file that long */
#define WARN_INTERVAL_NS 60000000000LL
#define STOP_RETRY_NS 5000000000LL    /* at the end: how long to try for the stop record */
#define STOP_RETRY_STEP_NS 100000000LL
#define LOCK_WAIT_MS 5000      /* at start: how long a reader's LOCK_EX may hold us up */
#define LOCK_WAIT_SWITCH_MS 200 /* at rotation and reopen, in the writer thread */

typedef void (*fill_fn)(struct audit *a, const void *ctx, struct afmt_buf *b);

static struct timespec now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

/* ---- record bodies ---- */

static void fill_item(struct audit *a, const void *ctx, struct afmt_buf *b)
{
	const struct audit_item *it = ctx;

	afmt_raw(b, ",", 1);
	afmt_raw(b, it->body->data, it->body->len);
	afmt_kv_u64(b, "count", it->count);
	if (it->summary) {
		afmt_kv_ts(b, "first_ts", &it->first_ts);
		afmt_kv_ts(b, "last_ts", &it->last_ts);
	}
}

static void fill_start(struct audit *a, const void *ctx, struct afmt_buf *b)
{
	afmt_kv_strz(b, "version", AMBER_VERSION);
	afmt_kv_strz(b, "session", a->session);
	afmt_key(b, "daemon");
	afmt_obj_begin(b);
	afmt_kv_i64(b, "pid", getpid());
	afmt_obj_end(b);
	afmt_kv_strz(b, "mountpoint", a->mountpoint);
	afmt_key(b, "options");
	if (a->options_json) {
		afmt_json(b, a->options_json, strlen(a->options_json));
	} else {
		afmt_obj_begin(b);
		afmt_kv_strz(b, "log_policy", a->policy_drop ? "drop" : "block");
		afmt_kv_u64(b, "log_max_size", a->max_size);
		afmt_kv_u64(b, "log_keep", a->keep);
		afmt_obj_end(b);
	}
	afmt_key(b, "layers");
	afmt_arr_begin(b);
	for (size_t i = 0; i < a->n_layers; i++) {
		const char *p = a->layers[i].path ? a->layers[i].path : "";

		afmt_obj_begin(b);
		afmt_kv_u64(b, "index", i);
		afmt_kv_strz(b, "path", p);
		if (!afmt_utf8_valid(p, strlen(p))) {
			afmt_key(b, "path_hex");
			afmt_hexstr(b, p, strlen(p));
		}
		afmt_kv_strz(b, "digest", a->layers[i].digest);
		afmt_obj_end(b);
	}
	afmt_arr_end(b);
}

static void fill_rotate(struct audit *a, const void *ctx, struct afmt_buf *b)
{
	afmt_kv_strz(b, "reason", audit_rotate_reason_to_string(a->rotate_reason));
	afmt_kv_strz(b, "previous_file", a->rotate_prev_file);
	afmt_kv_u64(b, "previous_seq", a->rotate_prev_seq);
}

struct loss_ctx {
	const char *reason;
	uint64_t count, seq_first, seq_last; /* seq_first 0: never numbered */
	struct timespec first, last;
	const uint64_t *by_action;
};

/* {"mkdir":3,...}: the non-zero counts, as a value. */
static void render_by_action(struct afmt_buf *b, const uint64_t *by_action)
{
	afmt_obj_begin(b);
	for (int i = 0; i < _AUDIT_ACTION_MAX; i++)
		if (by_action[i])
			afmt_kv_u64(b, audit_action_to_string(i), by_action[i]);
	afmt_obj_end(b);
}

static void fill_loss(struct audit *a, const void *ctx, struct afmt_buf *b)
{
	const struct loss_ctx *l = ctx;

	afmt_kv_u64(b, "count", l->count);
	afmt_kv_strz(b, "reason", l->reason);
	afmt_key(b, "seq_first");
	if (l->seq_first)
		afmt_u64(b, l->seq_first);
	else
		afmt_null(b);
	afmt_key(b, "seq_last");
	if (l->seq_first)
		afmt_u64(b, l->seq_last);
	else
		afmt_null(b);
	afmt_kv_ts(b, "first_ts", &l->first);
	afmt_kv_ts(b, "last_ts", &l->last);
	afmt_key(b, "by_action");
	render_by_action(b, l->by_action);
}

static void fill_stop(struct audit *a, const void *ctx, struct afmt_buf *b)
{
	const struct audit_totals *t = ctx;

	afmt_key(b, "totals");
	afmt_obj_begin(b);
	afmt_kv_u64(b, "attempts", t->attempts);
	afmt_kv_u64(b, "written", t->written);
	afmt_kv_u64(b, "summarized", t->summarized);
	afmt_kv_u64(b, "lost", t->lost);
	afmt_kv_u64(b, "records", t->records);
	afmt_key(b, "by_action");
	render_by_action(b, t->by_action);
	afmt_key(b, "lost_by_action");
	render_by_action(b, t->lost_by_action);
	afmt_obj_end(b);
	afmt_kv_strz(b, "head", a->prev);
}

/* ---- one line ---- */

static void render(struct audit *a, enum audit_kind kind, const struct timespec *ts, fill_fn fill,
		   const void *ctx)
{
	struct afmt_buf *b = &a->line;

	afmt_reset(b);
	afmt_obj_begin(b);
	afmt_kv_u64(b, "v", AUDIT_SCHEMA_VERSION);
	afmt_kv_u64(b, "seq", a->seq + 1);
	afmt_kv_ts(b, "ts", ts);
	afmt_kv_strz(b, "kind", audit_kind_to_string(kind));
	fill(a, ctx, b);
	afmt_kv_strz(b, "prev", a->prev);
	afmt_obj_end(b);
	afmt_raw(b, "\n", 1);
}

/* Undoes a short write so no half line stays in the file. */
static void cut_fragment(struct audit *a, size_t n)
{
	off_t end = lseek(a->fd, 0, SEEK_END);

	if (n > 0 && end >= (off_t)n && ftruncate(a->fd, end - (off_t)n) < 0)
		log_debug_errno(-errno, "audit: cannot cut a partial line from '%s': %m", a->path);
}

/* Appends len bytes with one write(2); 0, or -errno with *ret_done the
 * bytes that made it.  After a short write the rest is tried once more:
 * that either completes it (space came back) or returns the real error
 * (ENOSPC, EFBIG). */
static int write_all(struct audit *a, const char *data, size_t len, size_t *ret_done)
{
	size_t done = 0;
	int r = 0;

	while (done < len) {
		ssize_t n = write(a->fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -ENOSPC;
			break;
		}
		done += (size_t)n;
	}
	*ret_done = done;
	return r;
}

/* One write(2) of the rendered line; 0 or -errno, and never a partial line:
 * a fragment is cut off again. */
static int write_line(struct audit *a)
{
	size_t done;
	int r;

	if (afmt_failed(&a->line))
		return -ENOMEM;
	if (a->fd < 0)
		return a->open_err;
	r = write_all(a, a->line.data, a->line.len, &done);
	if (r < 0)
		cut_fragment(a, done);
	return r;
}

static void enter_failing(struct audit *a, int r)
{
	int64_t now = audit_mono_ns();

	if (a->failing || a->quiet)
		return;
	a->failing = true;
	/* One warning per episode, and at most one a minute when the disk
	 * hovers at full and writes come and go. */
	if (a->last_warning && now - a->last_warning < WARN_INTERVAL_NS)
		return;
	a->last_warning = now;
	log_warning_errno(r, "Cannot write the audit log '%s': %m; refused requests are still "
			     "counted and the loss will be recorded once writing works again",
			  a->path);
}

static void rotate_if_needed(struct audit *a);
static int flush_pending(struct audit *a);

/* Renders and writes one record; on success it is numbered and chained.
 * Event records (may_rotate) may first rotate the file by size. */
static int put(struct audit *a, enum audit_kind kind, const struct timespec *ts, fill_fn fill,
	       const void *ctx, bool may_rotate)
{
	int r;

	render(a, kind, ts, fill, ctx);
	if (may_rotate && a->max_size > 0 && a->fd >= 0 && a->size > 0 &&
	    a->size + a->line.len > a->max_size) {
		rotate_if_needed(a);
		r = flush_pending(a);
		if (r < 0)
			return r;
		render(a, kind, ts, fill, ctx);
	}
	r = write_line(a);
	if (r < 0) {
		enter_failing(a, r);
		return r;
	}
	if (a->failing) {
		a->failing = false;
		log_info("The audit log '%s' is writable again; what was lost is recorded in it",
			 a->path);
	}
	a->seq++;
	a->last_written_seq = a->seq;
	a->size += a->line.len;
	hash128_hex(a->line.data, a->line.len, a->prev);
	pthread_mutex_lock(&a->lock);
	a->totals.records++;
	pthread_mutex_unlock(&a->lock);
	return 0;
}

static int put_loss(struct audit *a, const struct loss_ctx *l)
{
	struct timespec ts = now_real();
	int r = put(a, AUDIT_KIND_LOSS, &ts, fill_loss, l, false);

	if (r < 0)
		return r;
	pthread_mutex_lock(&a->lock);
	a->totals.lost_reported += l->count;
	pthread_mutex_unlock(&a->lock);
	return 0;
}

/* Writes, in order, what must precede the next event record: the `rotate`
 * record of a new file, then the losses.  Stops at the first failure. */
static int flush_pending(struct audit *a)
{
	char reason[64];
	int r;

	if (a->rotate_pending) {
		struct timespec ts = now_real();

		r = put(a, AUDIT_KIND_ROTATE, &ts, fill_rotate, NULL, false);
		if (r < 0)
			return r;
		a->rotate_pending = false;
		free(a->rotate_prev_file);
		a->rotate_prev_file = NULL;
	}
	while (a->n_wloss > 0) {
		struct audit_wloss *w = &a->wloss[0];
		const char *name = audit_errno_name(w->err);
		struct loss_ctx l = { reason, w->count, w->seq_first, w->seq_last, w->first, w->last,
				      w->by_action };

		snprintf(reason, sizeof(reason), "%s%c%s", audit_loss_reason_to_string(AUDIT_LOSS_WRITE_ERROR),
			 AUDIT_LOSS_ERRNO_SEP, name ? name : "EIO");
		r = put_loss(a, &l);
		if (r < 0)
			return r;
		memmove(a->wloss, a->wloss + 1, --a->n_wloss * sizeof(a->wloss[0]));
	}
	if (a->qloss_full.count > 0) {
		struct loss_ctx l = { audit_loss_reason_to_string(AUDIT_LOSS_QUEUE_FULL),
				      a->qloss_full.count, 0, 0, a->qloss_full.first,
				      a->qloss_full.last, a->qloss_full.by_action };

		r = put_loss(a, &l);
		if (r < 0)
			return r;
		a->qloss_full = (struct audit_lossacc){ 0 };
	}
	if (a->qloss_timeout.count > 0) {
		struct loss_ctx l = { audit_loss_reason_to_string(AUDIT_LOSS_QUEUE_TIMEOUT),
				      a->qloss_timeout.count, 0, 0,
				      a->qloss_timeout.first, a->qloss_timeout.last,
				      a->qloss_timeout.by_action };

		r = put_loss(a, &l);
		if (r < 0)
			return r;
		a->qloss_timeout = (struct audit_lossacc){ 0 };
	}
	return 0;
}

/*
 * The record could not be written: its seq is spent, the range remembered.
 * One gap in the file is one range, announced by one loss record, even when
 * the cause changes within it (ENOSPC, then EFBIG): a reader matches each
 * gap to the loss record that follows it, and there is no record between
 * two causes to split it; the reason given is the first.
 */
static void numbered_loss(struct audit *a, int r, const struct audit_item *it)
{
	struct audit_wloss *w = a->n_wloss ? &a->wloss[a->n_wloss - 1] : NULL;

	a->seq++;
	if (!w || w->seq_last + 1 != a->seq) {
		if (a->n_wloss < AUDIT_WLOSS_MAX) {
			w = &a->wloss[a->n_wloss++];
			*w = (struct audit_wloss){ .err = r, .seq_first = a->seq, .first = it->ts };
		}
		/* else: absurdly many interleaved failures; widen the last range */
	}
	w->seq_last = a->seq;
	w->count += it->count;
	w->by_action[it->action] += it->count;
	w->last = it->ts;
	pthread_mutex_lock(&a->lock);
	a->totals.lost += it->count;
	a->totals.lost_write += it->count;
	a->totals.lost_by_action[it->action] += it->count;
	a->totals.write_err = -r;
	pthread_mutex_unlock(&a->lock);
	enter_failing(a, r);
}

static enum audit_kind item_kind(const struct audit_item *it)
{
	return it->summary ? AUDIT_KIND_SUMMARY : AUDIT_KIND_ATTEMPT;
}

/* Under lock: n event records are in the file (totals.records is counted
 * where they are written). */
static void count_written(struct audit *a, const struct audit_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (items[i].summary)
			a->totals.summarized += items[i].count;
		else
			a->totals.written++;
	}
}

/* One event record with its own write(2), after what is pending. */
static void put_event(struct audit *a, const struct audit_item *it)
{
	int r = flush_pending(a);

	if (r >= 0)
		r = put(a, item_kind(it), &it->ts, fill_item, it, true);
	if (r < 0) {
		numbered_loss(a, r, it);
		return;
	}
	pthread_mutex_lock(&a->lock);
	count_written(a, it, 1);
	pthread_mutex_unlock(&a->lock);
}

/* Whether records may go out in one write(2): a healthy file and nothing
 * (rotate, loss) that must be written first. */
static bool can_batch(const struct audit *a)
{
	return a->fd >= 0 && !a->failing && !a->rotate_pending && a->n_wloss == 0 &&
	       a->qloss_full.count == 0 && a->qloss_timeout.count == 0;
}

/* Renders up to n records into a->out, numbering and chaining them as it
 * goes, and stops before one that would need a rotation first.  Returns
 * how many; a->seq, a->size and a->prev then describe the file as if they
 * were written. */
static size_t render_chunk(struct audit *a, const struct audit_item *items, size_t n)
{
	size_t k = 0;

	afmt_reset(&a->out);
	while (k < n && k < AUDIT_WRITE_MAX_RECORDS && a->out.len < AUDIT_WRITE_MAX_BYTES) {
		render(a, item_kind(&items[k]), &items[k].ts, fill_item, &items[k]);
		if (afmt_failed(&a->line) ||
		    (a->max_size > 0 && a->size > 0 && a->size + a->line.len > a->max_size))
			break;
		afmt_raw(&a->out, a->line.data, a->line.len);
		if (afmt_failed(&a->out))
			break;
		a->out_ends[k++] = a->out.len;
		a->seq++;
		a->size += a->line.len;
		hash128_hex(a->line.data, a->line.len, a->prev);
	}
	return k;
}

/*
 * Writes as many of the n records as fit in one chunk with one write(2);
 * returns how many were dealt with.  After a failed or short write, the
 * whole lines that made it count as written, the fragment is cut off, the
 * numbering and chain go back to the last whole line, and the first record
 * that did not make it is tried again alone (put_event(): written, or
 * numbered and counted as lost), so the rest follow one by one.
 */
static size_t put_chunk(struct audit *a, const struct audit_item *items, size_t n)
{
	char prev0[HASH_HEX_LEN + 1];
	uint64_t seq0 = a->seq, size0 = a->size;
	size_t k, done, whole = 0, end = 0;
	int r;

	memcpy(prev0, a->prev, sizeof(prev0));
	k = render_chunk(a, items, n);
	if (k == 0) {
		/* A rotation is due, or no memory: the one-by-one path
		 * handles both. */
		a->seq = seq0;
		a->size = size0;
		memcpy(a->prev, prev0, sizeof(prev0));
		put_event(a, &items[0]);
		return 1;
	}
	r = write_all(a, a->out.data, a->out.len, &done);
	if (r == 0) {
		whole = k;
	} else {
		while (whole < k && a->out_ends[whole] <= done)
			whole++;
		end = whole ? a->out_ends[whole - 1] : 0;
		cut_fragment(a, done - end);
		a->seq = seq0 + whole;
		a->size = size0 + end;
		if (whole == 0)
			memcpy(a->prev, prev0, sizeof(prev0));
		else
			hash128_hex(a->out.data + (whole > 1 ? a->out_ends[whole - 2] : 0),
				    end - (whole > 1 ? a->out_ends[whole - 2] : 0), a->prev);
	}
	if (whole > 0)
		a->last_written_seq = a->seq;
	pthread_mutex_lock(&a->lock);
	count_written(a, items, whole);
	a->totals.records += whole;
	pthread_mutex_unlock(&a->lock);
	if (whole == k)
		return k;
	put_event(a, &items[whole]);
	return whole + 1;
}

/* The event records of a batch, in order. */
static void put_events(struct audit *a, const struct audit_item *items, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (can_batch(a))
			i += put_chunk(a, items + i, n - i);
		else
			put_event(a, &items[i++]);
	}
}

/* ---- the file ---- */

/* The current name of the open log, as the kernel sees it (logrotate may
 * have renamed it); "... (deleted)" when it was removed. */
static char *fd_name(int fd)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/*
 * The shared lock of a file we write (see the top of this file).  Only a
 * reader holding LOCK_EX can make it wait (one probing a file we have just
 * created, or verifying one between sessions): at start we wait for it a
 * while, in the writer thread briefly.  Advisory either way: a file we
 * cannot lock is still written, with a warning.
 */
static void lock_shared(struct audit *a, int fd, int wait_ms)
{
	int r;

	for (int waited = 0;; waited += 10) {
		if (flock(fd, LOCK_SH | LOCK_NB) == 0)
			return;
		r = -errno;
		if (r != -EWOULDBLOCK || waited >= wait_ms)
			break;
		usleep(10000);
	}
	log_warning_errno(r, "Cannot lock the audit log '%s' (flock): %m; a reader waiting for its end may not wait",
			  a->path);
}

/* Makes fd the current file; the next record will be `rotate`.
 * Takes ownership of fd and prev_name. */
static void switch_file(struct audit *a, int fd, enum audit_rotate_reason reason, char *prev_name)
{
	struct stat st;

	if (a->fd >= 0)
		close(a->fd);
	a->fd = fd;
	a->size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	free(a->rotate_prev_file);
	a->rotate_prev_file = prev_name;
	a->rotate_reason = reason;
	a->rotate_prev_seq = a->last_written_seq;
	a->rotate_pending = true;
	a->removal_warned = false;
	a->refusal_warned = false;
}

/* The file is unusable: write nothing until it can be opened again. */
static void lose_file(struct audit *a, int r)
{
	if (a->fd >= 0) {
		free(a->gone_name);
		a->gone_name = fd_name(a->fd);
		close(a->fd);
	}
	a->fd = -1;
	a->open_err = r;
	enter_failing(a, r);
}

static void rotated_name(const struct audit *a, unsigned i, char *buf, size_t n)
{
	snprintf(buf, n, "%s.%u", a->name, i);
}

/* Opens (or creates) the log by name in its directory.  A file that is not
 * ours to write (see safefile.h) is refused and said so, once per file. */
static int open_log(struct audit *a, int access, int *ret_fd)
{
	int r = safefile_open_log(a->dirfd, a->name, access, ret_fd);
	const char *why = r < 0 ? safefile_refusal(r) : NULL;

	if (why && !a->refusal_warned) {
		a->refusal_warned = true;
		log_warning("Refusing to write the audit log '%s': it %s; records are lost (and counted) until the name holds a regular file of uid %u or none",
			    a->path, why, (unsigned)geteuid());
	}
	return r;
}

/* FILE.(keep-1) -> FILE.keep, ..., FILE -> FILE.1, then a new FILE. */
static void rotate_if_needed(struct audit *a)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];
	char *prev_name = NULL;
	int64_t now = audit_mono_ns();
	int fd, r;

	if (now < a->next_rotate_try)
		return;
	/* rename() and unlink() act on names, never through a symlink. */
	for (unsigned i = a->keep; i >= 2; i--) {
		rotated_name(a, i - 1, from, sizeof(from));
		rotated_name(a, i, to, sizeof(to));
		if (renameat(a->dirfd, from, a->dirfd, to) < 0 && errno != ENOENT)
			goto fail;
	}
	if (a->keep >= 1) {
		rotated_name(a, 1, to, sizeof(to));
		if (renameat(a->dirfd, a->name, a->dirfd, to) < 0)
			goto fail;
		prev_name = fd_name(a->fd);
	} else {
		/* log_keep=0: the full file goes; rotate names it as deleted */
		if (unlinkat(a->dirfd, a->name, 0) < 0 && errno != ENOENT)
			goto fail;
		prev_name = fd_name(a->fd);
	}
	r = open_log(a, O_WRONLY, &fd);
	if (r < 0) {
		lose_file(a, r);
		free(a->gone_name);
		a->gone_name = prev_name;
		return;
	}
	lock_shared(a, fd, LOCK_WAIT_SWITCH_MS); /* the new file before the old one goes */
	switch_file(a, fd, AUDIT_ROTATE_SIZE, prev_name);
	return;
fail:
	a->next_rotate_try = now + ROTATE_RETRY_NS;
	log_warning_errno(-errno, "Cannot rotate the audit log '%s': %m; writing on into it", a->path);
}

/* SIGHUP, or the file was removed or could not be opened.  On failure the
 * open file (if any) stays in use. */
static int reopen(struct audit *a, bool warn)
{
	char *prev_name;
	int fd, r;

	r = open_log(a, O_WRONLY, &fd);
	if (r < 0) {
		if (a->fd < 0)
			a->open_err = r; /* still failing; retried every second */
		else if (warn && !safefile_refusal(r))
			log_warning_errno(r, "Cannot reopen the audit log '%s': %m; writing on into "
					     "the open file", a->path);
		return r;
	}
	prev_name = a->fd >= 0 ? fd_name(a->fd) : TAKE_PTR(a->gone_name);
	lock_shared(a, fd, LOCK_WAIT_SWITCH_MS); /* the new file before the old one goes */
	switch_file(a, fd, AUDIT_ROTATE_REOPEN, prev_name);
	return 0;
}

/* Before each batch: is the file we write still reachable under its name?
 * A removed file is created again; if that fails, records are lost (and
 * counted) rather than written where nobody can read them. */
static void check_file(struct audit *a)
{
	int64_t now = audit_mono_ns();
	struct stat st;
	int r;

	if (a->fd < 0) {
		if (now >= a->next_file_check) {
			a->next_file_check = now + FILE_CHECK_NS;
			(void)reopen(a, false);
		}
		return;
	}
	if (fstat(a->fd, &st) < 0 || st.st_nlink > 0)
		return;
	if (!a->removal_warned)
		log_warning("The audit log '%s' was removed; creating it again", a->path);
	a->removal_warned = true;
	r = reopen(a, false);
	if (r < 0) {
		lose_file(a, r);
		a->next_file_check = now + FILE_CHECK_NS;
	}
}

/* ---- start-up ---- */

/* prev for a file that already holds records: the hash of its last line.  A
 * last line without its newline (a crash mid-write by some other program) is
 * completed with one, so our first record starts on a line of its own. */
static int tail_prev(struct audit *a, uint64_t size)
{
	const size_t chunk = 65536;
	_cleanup_free_ char *buf = malloc(chunk);
	struct hash128_state *h;
	uint64_t pos, start = 0, end;
	bool found = false;
	char c;

	memset(a->prev, '0', HASH_HEX_LEN);
	a->prev[HASH_HEX_LEN] = '\0';
	if (size == 0)
		return 0;
	if (!buf)
		return -ENOMEM;
	if (pread(a->fd, &c, 1, (off_t)size - 1) != 1)
		return -EIO;
	if (c != '\n') {
		log_warning("The audit log '%s' ends in a partial line; completing it", a->path);
		if (write(a->fd, "\n", 1) != 1)
			return errno ? -errno : -EIO;
		size++;
		a->size = size;
	}
	end = size - 1; /* the last newline, excluded from the search */
	for (pos = end; pos > 0 && !found;) {
		size_t n = pos < chunk ? (size_t)pos : chunk;

		if (pread(a->fd, buf, n, (off_t)(pos - n)) != (ssize_t)n)
			return -EIO;
		for (size_t i = n; i > 0; i--)
			if (buf[i - 1] == '\n') {
				start = pos - n + i;
				found = true;
				break;
			}
		pos -= n;
	}
	h = hash128_new();
	if (!h)
		return -ENOMEM;
	for (pos = start; pos < size;) {
		size_t n = size - pos < chunk ? (size_t)(size - pos) : chunk;

		if (pread(a->fd, buf, n, (off_t)pos) != (ssize_t)n) {
			hash128_final_hex(h, a->prev);
			return -EIO;
		}
		hash128_update(h, buf, n);
		pos += n;
	}
	hash128_final_hex(h, a->prev);
	return 0;
}

int audit_writer_open(struct audit *a)
{
	unsigned char rnd[16];
	struct timespec ts = now_real();
	struct stat st;
	int r;

	r = safefile_open_dir(a->path, &a->dirfd, &a->name);
	if (r < 0)
		return log_debug_errno(r, "audit: cannot open the directory of '%s': %m", a->path);
	r = safefile_open_log(a->dirfd, a->name, O_RDWR, &a->fd);
	if (r < 0)
		return log_debug_errno(r, "audit: cannot open '%s': %m", a->path);
	lock_shared(a, a->fd, LOCK_WAIT_MS);
	if (fstat(a->fd, &st) < 0) {
		r = -errno;
		close(a->fd);
		a->fd = -1;
		return log_debug_errno(r, "audit: cannot stat '%s': %m", a->path);
	}
	a->size = (uint64_t)st.st_size;
	r = tail_prev(a, a->size);
	if (r < 0)
		goto fail;
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		r = -EIO;
		goto fail;
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(a->session + 2 * i, 3, "%02x", rnd[i]);
	a->quiet = true; /* no warning from put(): this failure is reported below */
	r = put(a, AUDIT_KIND_START, &ts, fill_start, NULL, false);
	a->quiet = false;
	if (r < 0)
		goto fail;
	return 0;
fail:
	close(a->fd);
	a->fd = -1;
	return log_debug_errno(r, "audit: cannot write the start record to '%s': %m", a->path);
}

/* ---- the thread ---- */

/* Sleeps until woken, or: after a batch, for the nap; while summaries are
 * due, 0.1 s; else a second (the file check). */
static void wait_for_work(struct audit *a, bool nap, bool busy_table)
{
	int64_t d = audit_mono_ns() + (nap ? AUDIT_WRITER_NAP_NS : busy_table ? 100000000LL : FILE_CHECK_NS);
	struct timespec deadline = { .tv_sec = d / 1000000000LL, .tv_nsec = d % 1000000000LL };

	while (sem_clockwait(&a->wake, CLOCK_MONOTONIC, &deadline) < 0 && errno == EINTR)
		;
}

static void lossacc_merge(struct audit_lossacc *into, struct audit_lossacc *from)
{
	if (from->count == 0)
		return;
	if (into->count == 0)
		into->first = from->first;
	into->last = from->last;
	into->count += from->count;
	for (int i = 0; i < _AUDIT_ACTION_MAX; i++)
		into->by_action[i] += from->by_action[i];
	*from = (struct audit_lossacc){ 0 };
}

/* Under lock: moves the queued items into the batch. */
static size_t take_batch(struct audit *a)
{
	size_t n = 0;

	while (a->ring_count > 0) {
		a->batch[n++] = a->ring[a->ring_head];
		a->ring_bytes -= a->ring[a->ring_head].body->len;
		a->ring_head = (a->ring_head + 1) % a->ring_len;
		a->ring_count--;
		a->dequeued++;
	}
	return n;
}

/*
 * The end of the session: the pending loss records, then `stop`, whose
 * totals must match what the log holds, so it follows only once every loss
 * is in.  While the disk refuses them they are tried again (a small record
 * may fit where a big one did not, and space may come back) for a few
 * seconds, which the unmount waits.  What still fails is in the daemon's
 * exit message (audit_loss_reason()).
 */
static void write_end(struct audit *a)
{
	struct audit_totals t;
	struct timespec ts;
	int r;

	for (int i = 0;; i++) {
		pthread_mutex_lock(&a->lock);
		lossacc_merge(&a->qloss_full, &a->lost_full);
		lossacc_merge(&a->qloss_timeout, &a->lost_timeout);
		pthread_mutex_unlock(&a->lock);
		check_file(a);
		r = flush_pending(a);
		if (r >= 0) {
			audit_get_totals(a, &t);
			ts = now_real();
			r = put(a, AUDIT_KIND_STOP, &ts, fill_stop, &t, false);
		}
		if (r >= 0)
			break;
		if (i == 0)
			log_warning_errno(r, "Cannot write the end of the audit log '%s': %m; trying again for %d s (free some space to get the stop record)",
					  a->path, (int)(STOP_RETRY_NS / 1000000000LL));
		if ((int64_t)i * STOP_RETRY_STEP_NS >= STOP_RETRY_NS) {
			log_warning_errno(r, "Gave up writing the end of the audit log '%s': %m", a->path);
			return;
		}
		usleep(STOP_RETRY_STEP_NS / 1000);
	}
	pthread_mutex_lock(&a->lock);
	a->totals.stop_written = true;
	pthread_mutex_unlock(&a->lock);
}

static void *writer_main(void *p)
{
	struct audit *a = p;
	bool stop = false, busy = false, nap = false;

	while (!stop) {
		size_t n = 0, m;

		wait_for_work(a, nap, busy);
		pthread_mutex_lock(&a->lock);
		if (!a->paused)
			n = take_batch(a);
		/* Events came: nap after writing them, and until then nobody
		 * needs to wake us.  None: sleep until woken. */
		nap = n > 0;
		a->writer_awake = nap;
		lossacc_merge(&a->qloss_full, &a->lost_full);
		lossacc_merge(&a->qloss_timeout, &a->lost_timeout);
		stop = a->stopping && a->ring_count == 0;
		m = audit_table_take_expired(a, audit_mono_ns(), stop, a->flushes);
		busy = a->table_used > 0;
		pthread_cond_broadcast(&a->space);
		pthread_mutex_unlock(&a->lock);

		/* After taking the batch: whatever was submitted after a
		 * removal or a rename+SIGHUP goes to the new file. */
		if (atomic_exchange(&a->reopen, false))
			reopen(a, true);
		check_file(a);
		(void)flush_pending(a);
		put_events(a, a->batch, n);
		for (size_t i = 0; i < n; i++)
			audit_body_unref(a->batch[i].body);
		put_events(a, a->flushes, m);
		for (size_t i = 0; i < m; i++)
			audit_body_unref(a->flushes[i].body);
	}
	write_end(a);
	/* On disk before the lock goes (at close, in audit_writer_stop()). */
	if (a->fd >= 0 && fdatasync(a->fd) < 0)
		log_warning_errno(-errno, "Cannot flush the audit log '%s': %m", a->path);
	return NULL;
}

int audit_writer_start(struct audit *a)
{
	int r = pthread_create(&a->thread, NULL, writer_main, a);

	if (r != 0)
		return -r;
	a->thread_running = true;
	return 0;
}

void audit_writer_stop(struct audit *a)
{
	if (a->thread_running) {
		pthread_mutex_lock(&a->lock);
		a->stopping = true;
		a->paused = false;
		pthread_mutex_unlock(&a->lock);
		sem_post(&a->wake);
		pthread_join(a->thread, NULL);
		a->thread_running = false;
	}
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}
