/* SPDX-License-Identifier: MIT */
/*
 * audit.c - the submitting half of the audit writer; see audit.h.
 *
 * audit_submit() runs on a FUSE worker thread while the caller waits for its
 * EROFS.  It does the work that must happen before the reply (reading
 * /proc/<tid>, while the tid is still the caller's) and the work that keeps
 * the writer's load bounded (coalescing), then leaves numbering, chaining and
 * I/O to the writer thread (audit_writer.c), so a slow or full disk never
 * holds a FUSE thread longer than the bounded wait of log_policy=block.
 *
 * Coalescing: an event identical to one whose attempt was queued less than
 * a window ago only bumps that entry's count; the writer turns the count into
 * a `summary` once the window is over.  Identical means that the two records
 * would be the same but for their time: same process object (pid, tid, argv,
 * cwd, ...), user, action, errno, paths, layer and every argument (mode,
 * flags, owner, sizes, offsets, times, xattr name and value, symlink target,
 * rename flags, ioctl cmd, ...), so a summary never hides an attempt that
 * differed (chmod 0644 then chmod 04755 are two attempts).  Identity is a
 * 128-bit hash of all of that (event_key()).  The table is fixed-size: when
 * it is full, events are simply queued as attempts.
 */
#include "audit_internal.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "audit_render.h"
#include "cleanup.h"
#include "log.h"
#include "parse.h"

int64_t audit_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct audit_body *audit_body_ref(struct audit_body *b)
{
	atomic_fetch_add(&b->refs, 1);
	return b;
}

void audit_body_unref(struct audit_body *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1)
		free(b);
}

/* ---- rendering the body of an attempt ---- */

static void render_path(struct afmt_buf *b, const char *key, const char *hexkey, const char *p,
			size_t n)
{
	afmt_kv_str(b, key, p, n);
	if (!afmt_utf8_valid(p, n)) {
		afmt_key(b, hexkey);
		afmt_hexstr(b, p, n);
	}
}

/* A NUL-terminated name (xattr name, symlink target), exact bytes included
 * when it is not UTF-8; NULL becomes null. */
static void render_cstr(struct afmt_buf *b, const char *key, const char *hexkey, const char *s)
{
	if (!s) {
		afmt_kv_null(b, key);
		return;
	}
	render_path(b, key, hexkey, s, strlen(s));
}

static void render_time_arg(struct afmt_buf *b, const char *key, const struct timespec *t)
{
	if (t->tv_nsec == UTIME_NOW)
		afmt_kv_strz(b, key, AUDIT_TIME_NOW);
	else
		afmt_kv_ts(b, key, t);
}

static void render_args(struct afmt_buf *b, const struct audit_args *g)
{
	char tmp[64];

	afmt_key(b, "args");
	afmt_obj_begin(b);
	if (g->has & AUDIT_ARG_FLAGS) {
		afmt_key(b, "flags");
		audit_render_open_flags(b, g->flags);
	}
	if (g->has & AUDIT_ARG_MODE) {
		snprintf(tmp, sizeof(tmp), "%04o", (unsigned)(g->mode & 07777));
		afmt_kv_strz(b, "mode", tmp);
		if (audit_file_type_to_string(g->mode))
			afmt_kv_strz(b, "type", audit_file_type_to_string(g->mode));
	}
	/* (uid_t)-1 means "leave unchanged", as in chown(2): written as -1. */
	if (g->has & AUDIT_ARG_UID)
		afmt_kv_i64(b, "uid", g->uid == (uid_t)-1 ? -1 : (int64_t)g->uid);
	if (g->has & AUDIT_ARG_GID)
		afmt_kv_i64(b, "gid", g->gid == (gid_t)-1 ? -1 : (int64_t)g->gid);
	if (g->has & AUDIT_ARG_SIZE)
		afmt_kv_u64(b, "size", g->size);
	if (g->has & AUDIT_ARG_OFFSET)
		afmt_kv_u64(b, "offset", g->offset);
	if (g->has & AUDIT_ARG_LENGTH)
		afmt_kv_u64(b, "length", g->length);
	if (g->has & AUDIT_ARG_NAME)
		render_cstr(b, "name", "name_hex", g->name);
	if (g->has & AUDIT_ARG_VALUE) {
		char digest[HASH_HEX_LEN + 1];

		hash128_hex(g->value ? g->value : "", g->value ? g->length : 0, digest);
		afmt_kv_strz(b, "value_digest", digest);
	}
	if (g->has & AUDIT_ARG_CMD) {
		snprintf(tmp, sizeof(tmp), "0x%lx", g->cmd);
		afmt_kv_strz(b, "cmd", tmp);
	}
	if (g->has & AUDIT_ARG_RDEV) {
		snprintf(tmp, sizeof(tmp), "%u:%u", major(g->rdev), minor(g->rdev));
		afmt_kv_strz(b, "rdev", tmp);
	}
	if (g->has & AUDIT_ARG_TARGET)
		render_cstr(b, "target", "target_hex", g->target);
	if (g->has & AUDIT_ARG_RENAME_FLAGS) {
		afmt_key(b, "rename_flags");
		audit_render_rename_flags(b, g->rename_flags);
	}
	if (g->has & AUDIT_ARG_ATIME)
		render_time_arg(b, "atime", &g->atime);
	if (g->has & AUDIT_ARG_MTIME)
		render_time_arg(b, "mtime", &g->mtime);
	afmt_obj_end(b);
}

/* Everything of an attempt record from "event" to "user", as a list of
 * members without braces; the writer wraps it. */
static struct audit_body *render_body(const struct audit_event *ev, const struct afmt_buf *proc)
{
	struct afmt_buf b = AFMT_BUF_INIT;
	const char *ename = audit_errno_name(ev->err);
	struct audit_body *body = NULL;

	afmt_key(&b, "event");
	afmt_obj_begin(&b);
	afmt_kv_strz(&b, "action", audit_action_to_string(ev->action));
	afmt_kv_strz(&b, "outcome", AUDIT_OUTCOME_DENIED);
	afmt_obj_end(&b);
	afmt_kv_i64(&b, "errno", ev->err);
	afmt_kv_strz(&b, "errno_name", ename);

	afmt_key(&b, "file");
	afmt_obj_begin(&b);
	render_path(&b, "path", "path_hex", ev->path, ev->path_len);
	if (ev->new_path)
		render_path(&b, "new_path", "new_path_hex", ev->new_path, ev->new_path_len);
	else
		afmt_kv_null(&b, "new_path");
	afmt_key(&b, "layer");
	if (ev->layer >= 0)
		afmt_i64(&b, ev->layer);
	else
		afmt_null(&b);
	afmt_obj_end(&b);

	render_args(&b, &ev->args);
	afmt_key(&b, "process");
	afmt_json(&b, proc->data, proc->len);
	afmt_key(&b, "user");
	afmt_obj_begin(&b);
	afmt_kv_u64(&b, "uid", ev->uid);
	afmt_kv_u64(&b, "gid", ev->gid);
	afmt_obj_end(&b);

	if (!afmt_failed(&b) && !afmt_failed(proc)) {
		body = malloc(sizeof(*body) + b.len);
		if (body) {
			atomic_init(&body->refs, 1);
			body->len = b.len;
			memcpy(body->data, b.data, b.len);
		}
	}
	afmt_free(&b);
	return body;
}

/* ---- coalescing table (under lock) ---- */

static void key_bytes(XXH3_state_t *st, const void *p, size_t n)
{
	uint64_t len = n;

	/* The length first, so ("ab", "c") and ("a", "bc") differ. */
	XXH3_128bits_update(st, &len, sizeof(len));
	if (n)
		XXH3_128bits_update(st, p, n);
}

static void key_cstr(XXH3_state_t *st, const char *s)
{
	key_bytes(st, s ? s : "", s ? strlen(s) + 1 : 0);
}

/*
 * The coalescing identity: every input of render_body() but the time.  The
 * process is taken as rendered (pid, tid, ppid, name, executable, argv,
 * cwd, start time, error), the rest field by field; an argument that the
 * record does not show counts as 0, as it is not rendered either.
 */
static void event_key(const struct audit_event *ev, const struct afmt_buf *proc, uint64_t *lo,
		      uint64_t *hi)
{
	const struct audit_args *g = &ev->args;
	const unsigned h = g->has;
	const uint64_t fixed[] = {
		(uint64_t)ev->action, (uint64_t)(int64_t)ev->err, (uint64_t)(int64_t)ev->layer,
		ev->uid, ev->gid, h, ev->new_path != NULL,
		h & AUDIT_ARG_FLAGS ? (uint64_t)(unsigned)g->flags : 0,
		h & AUDIT_ARG_MODE ? g->mode : 0,
		h & AUDIT_ARG_UID ? g->uid : 0,
		h & AUDIT_ARG_GID ? g->gid : 0,
		h & AUDIT_ARG_SIZE ? g->size : 0,
		h & AUDIT_ARG_OFFSET ? g->offset : 0,
		h & AUDIT_ARG_LENGTH ? g->length : 0,
		h & AUDIT_ARG_CMD ? g->cmd : 0,
		h & AUDIT_ARG_RDEV ? g->rdev : 0,
		h & AUDIT_ARG_RENAME_FLAGS ? g->rename_flags : 0,
		h & AUDIT_ARG_ATIME ? (uint64_t)g->atime.tv_sec : 0,
		h & AUDIT_ARG_ATIME ? (uint64_t)g->atime.tv_nsec : 0,
		h & AUDIT_ARG_MTIME ? (uint64_t)g->mtime.tv_sec : 0,
		h & AUDIT_ARG_MTIME ? (uint64_t)g->mtime.tv_nsec : 0,
	};
	XXH3_state_t st;
	XXH128_hash_t k;

	XXH3_128bits_reset(&st);
	XXH3_128bits_update(&st, fixed, sizeof(fixed));
	key_bytes(&st, ev->path, ev->path_len);
	key_bytes(&st, ev->new_path, ev->new_path ? ev->new_path_len : 0);
	key_cstr(&st, h & AUDIT_ARG_NAME ? g->name : NULL);
	key_cstr(&st, h & AUDIT_ARG_TARGET ? g->target : NULL);
	key_bytes(&st, h & AUDIT_ARG_VALUE ? g->value : NULL,
		  h & AUDIT_ARG_VALUE && g->value ? g->length : 0);
	key_bytes(&st, proc->data, proc->len);
	k = XXH3_128bits_digest(&st);
	*lo = k.low64;
	*hi = k.high64;
}

static struct audit_centry *table_find(struct audit *a, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < AUDIT_TABLE_PROBES; i++) {
		struct audit_centry *e = &a->table[(lo + i) & (AUDIT_TABLE_LEN - 1)];

		if (e->used && e->key_lo == lo && e->key_hi == hi)
			return e;
	}
	return NULL;
}

static void centry_clear(struct audit *a, struct audit_centry *e)
{
	a->table_bytes -= e->body->len;
	a->table_used--;
	audit_body_unref(e->body);
	*e = (struct audit_centry){ 0 };
}

/* Remembers a queued attempt so repeats within the window coalesce into it.
 * Reuses an expired entry that has nothing to report; gives up (no
 * coalescing) when all probed slots are busy or the byte budget is spent. */
static void table_insert(struct audit *a, uint64_t lo, uint64_t hi, int64_t now,
			 const struct audit_event *ev, struct audit_body *body, uint64_t ticket)
{
	struct audit_centry *e = NULL;

	if (a->table_bytes + body->len > AUDIT_TABLE_MAX_BYTES)
		return;
	for (size_t i = 0; i < AUDIT_TABLE_PROBES && !e; i++) {
		struct audit_centry *c = &a->table[(lo + i) & (AUDIT_TABLE_LEN - 1)];

		if (!c->used)
			e = c;
		else if (c->count == 0 && now - c->first_mono >= a->window_ns)
			e = c;
		else if (c->key_lo == lo && c->key_hi == hi)
			return; /* an expired entry of ours still has a summary to give */
	}
	if (!e)
		return;
	if (e->used)
		centry_clear(a, e);
	*e = (struct audit_centry){ .used = true, .key_lo = lo, .key_hi = hi, .first_mono = now,
				    .ticket = ticket, .first_ts = ev->ts, .last_ts = ev->ts,
				    .body = audit_body_ref(body), .action = ev->action };
	a->table_used++;
	a->table_bytes += body->len;
	if (now + a->window_ns < a->table_next_expiry)
		a->table_next_expiry = now + a->window_ns;
}

/* Counts ev into a live entry; false when there is none. */
static bool table_coalesce(struct audit *a, uint64_t lo, uint64_t hi, int64_t now,
			   const struct timespec *ts)
{
	struct audit_centry *e = table_find(a, lo, hi);

	if (!e || now - e->first_mono >= a->window_ns)
		return false;
	e->count++;
	e->last_ts = *ts;
	return true;
}

/* The table is scanned only once its first window may have ended (the
 * writer looks after every batch), and the scan notes when the next one
 * ends. */
size_t audit_table_take_expired(struct audit *a, int64_t now, bool all, struct audit_item *out)
{
	int64_t next = INT64_MAX;
	size_t n = 0;

	if (!all && now < a->table_next_expiry)
		return 0;
	for (size_t i = 0; i < AUDIT_TABLE_LEN && a->table_used > 0; i++) {
		struct audit_centry *e = &a->table[i];

		if (!e->used)
			continue;
		/* The summary must follow its attempt: wait until the writer
		 * has taken the attempt off the queue. */
		if ((!all && now - e->first_mono < a->window_ns) ||
		    (e->count > 0 && e->ticket >= a->dequeued)) {
			if (e->first_mono + a->window_ns < next)
				next = e->first_mono + a->window_ns;
			continue;
		}
		if (e->count > 0)
			out[n++] = (struct audit_item){ .body = audit_body_ref(e->body), .action = e->action,
							.summary = true,
							.count = e->count, .ts = e->last_ts,
							.first_ts = e->first_ts, .last_ts = e->last_ts };
		centry_clear(a, e);
	}
	a->table_next_expiry = next;
	return n;
}

/* ---- the queue (under lock) ---- */

static bool ring_has_room(struct audit *a, size_t bytes)
{
	if (a->ring_count == a->ring_len)
		return false;
	return a->ring_count == 0 || a->ring_bytes + bytes <= AUDIT_QUEUE_MAX_BYTES;
}

static void lossacc_add(struct audit_lossacc *l, const struct timespec *ts,
			enum audit_action action)
{
	if (l->count == 0)
		l->first = *ts;
	l->last = *ts;
	l->count++;
	l->by_action[action]++;
}

/* Under lock: an event dropped before it reached the writer. */
static void count_queue_loss(struct audit *a, struct audit_lossacc *l,
			     const struct timespec *ts, enum audit_action action)
{
	lossacc_add(l, ts, action);
	a->totals.lost++;
	a->totals.lost_queue++;
	a->totals.lost_by_action[action]++;
}

/* Queues the item, waiting (log_policy=block) at most AUDIT_BLOCK_WAIT_NS
 * for room.  Returns 0, or -EAGAIN (full, drop) / -ETIMEDOUT. */
static int enqueue(struct audit *a, struct audit_item *it)
{
	if (!ring_has_room(a, it->body->len)) {
		struct timespec deadline;
		int64_t d;

		/* Each waiter holds a FUSE worker thread: past a few of them,
		 * reads of other processes could find no worker, so further
		 * events are counted at once, as under log_policy=drop. */
		if (a->policy_drop || a->waiters >= AUDIT_MAX_WAITERS)
			return -EAGAIN;
		d = audit_mono_ns() + AUDIT_BLOCK_WAIT_NS;
		deadline = (struct timespec){ .tv_sec = d / 1000000000LL, .tv_nsec = d % 1000000000LL };
		a->writer_awake = true;
		sem_post(&a->wake); /* no nap while a caller waits for room */
		a->waiters++;
		while (!ring_has_room(a, it->body->len))
			if (pthread_cond_timedwait(&a->space, &a->lock, &deadline) == ETIMEDOUT &&
			    !ring_has_room(a, it->body->len)) {
				a->waiters--;
				return -ETIMEDOUT;
			}
		a->waiters--;
	}
	a->ring[(a->ring_head + a->ring_count) % a->ring_len] = *it;
	a->ring_count++;
	a->ring_bytes += it->body->len;
	a->enqueued++;
	return 0;
}

bool audit_congested(struct audit *a)
{
	bool full;

	if (!a || !a->path || a->policy_drop)
		return false;
	pthread_mutex_lock(&a->lock);
	full = !ring_has_room(a, AUDIT_CONGESTED_BYTES);
	pthread_mutex_unlock(&a->lock);
	return full;
}

int audit_submit(struct audit *a, const struct audit_event *ev)
{
	struct afmt_buf proc = AFMT_BUF_INIT;
	struct audit_body *body;
	uint64_t lo, hi;
	pid_t pid;
	int64_t now;
	int r;

	if (!a || !ev || !audit_action_to_string(ev->action) || !ev->path)
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	a->totals.attempts++;
	a->totals.by_action[ev->action]++;
	pthread_mutex_unlock(&a->lock);
	if (!a->path)
		return 0; /* no file: counting is all there is to do */

	procinfo_render(a->procs, ev->tid, &proc, &pid);
	event_key(ev, &proc, &lo, &hi);
	now = audit_mono_ns();

	pthread_mutex_lock(&a->lock);
	if (table_coalesce(a, lo, hi, now, &ev->ts)) {
		pthread_mutex_unlock(&a->lock);
		afmt_free(&proc);
		return 0;
	}
	pthread_mutex_unlock(&a->lock);

	body = render_body(ev, &proc);
	afmt_free(&proc);

	pthread_mutex_lock(&a->lock);
	/* Another thread may have queued the same event meanwhile. */
	if (table_coalesce(a, lo, hi, now, &ev->ts)) {
		pthread_mutex_unlock(&a->lock);
		audit_body_unref(body);
		return 0;
	}
	if (!body) {
		r = -EAGAIN; /* out of memory: as good as a full queue */
	} else {
		struct audit_item it = { .body = body, .action = ev->action, .count = 1, .ts = ev->ts };

		r = enqueue(a, &it);
		if (r >= 0) {
			/* Wake the writer only when it sleeps (otherwise it
			 * comes back for more by itself, after its nap), or
			 * when the ring is filling up: it then ends its nap. */
			bool wake = !a->writer_awake || a->ring_count >= (a->ring_len + 1) / 2 ||
				    a->ring_bytes >= AUDIT_QUEUE_MAX_BYTES / 2;

			a->writer_awake = true;
			table_insert(a, lo, hi, now, ev, body, a->enqueued - 1);
			pthread_mutex_unlock(&a->lock);
			if (wake)
				sem_post(&a->wake);
			return 0;
		}
	}
	count_queue_loss(a, r == -ETIMEDOUT ? &a->lost_timeout : &a->lost_full, &ev->ts, ev->action);
	pthread_mutex_unlock(&a->lock);
	audit_body_unref(body);
	return 0;
}

void audit_note_lost(struct audit *a, enum audit_action action)
{
	struct timespec ts;

	if (!a || !audit_action_to_string(action))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&a->lock);
	a->totals.attempts++;
	a->totals.by_action[action]++;
	/* Without a file there is no loss to report: only attempts count. */
	if (a->path)
		count_queue_loss(a, &a->lost_full, &ts, action);
	pthread_mutex_unlock(&a->lock);
	if (a->path)
		sem_post(&a->wake);
}

const char *audit_loss_reason(const struct audit_totals *t, const char *path, char *buf,
			      size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	if (t->lost_write)
		n += snprintf(buf + n, size - n, "%llu could not be written to '%s' (%s: %s)",
			      (unsigned long long)t->lost_write, path ? path : "?",
			      audit_errno_name(t->write_err) ?: "?",
			      t->write_err ? strerrordesc_np(t->write_err) ?: "?" : "?");
	if (t->lost_queue && n < size)
		n += snprintf(buf + n, size - n, "%s%llu were dropped before the writer (queue full or wait timed out)",
			      n ? ", " : "", (unsigned long long)t->lost_queue);
	if (t->lost > t->lost_reported && n < size)
		n += snprintf(buf + n, size - n, "; %llu of them are not announced in the log either",
			      (unsigned long long)(t->lost - t->lost_reported));
	if (!t->stop_written && path && n < size)
		snprintf(buf + n, size - n, "; the log has no stop record for this session");
	return buf;
}

void audit_request_reopen(struct audit *a)
{
	int saved = errno;

	if (!a)
		return;
	/* Both are async-signal-safe; the writer polls the flag after each wake. */
	atomic_store(&a->reopen, true);
	sem_post(&a->wake);
	errno = saved;
}

void audit_get_totals(struct audit *a, struct audit_totals *ret)
{
	pthread_mutex_lock(&a->lock);
	*ret = a->totals;
	pthread_mutex_unlock(&a->lock);
}

void audit_test_pause_writer(struct audit *a, bool pause)
{
	pthread_mutex_lock(&a->lock);
	a->paused = pause;
	pthread_mutex_unlock(&a->lock);
	sem_post(&a->wake);
}

static struct audit *audit_free_config(struct audit *a)
{
	if (!a)
		return NULL;
	for (size_t i = 0; i < a->n_layers; i++) {
		free((char *)a->layers[i].path);
		free((char *)a->layers[i].digest);
	}
	free(a->layers);
	free(a->path);
	free(a->name);
	if (a->dirfd >= 0)
		close(a->dirfd);
	free(a->mountpoint);
	free(a->options_json);
	free(a->ring);
	free(a->batch);
	free(a->flushes);
	free(a->table);
	free(a->rotate_prev_file);
	free(a->gone_name);
	afmt_free(&a->line);
	afmt_free(&a->out);
	procinfo_cache_free(a->procs);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->space);
	sem_destroy(&a->wake);
	free(a);
	return NULL;
}

static char *strdup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

/* Copies the configuration and allocates every fixed-size table. */
static int audit_alloc(const struct audit_config *cfg, struct audit **ret)
{
	struct audit *a = calloc(1, sizeof(*a));
	pthread_condattr_t ca;
	bool oom = false;
	uint64_t qlen;

	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->space, &ca);
	pthread_condattr_destroy(&ca);
	sem_init(&a->wake, 0, 0);
	a->fd = -1;
	a->dirfd = -1;
	a->policy_drop = cfg->policy_drop;
	a->max_size = cfg->max_size;
	a->keep = cfg->keep;
	a->window_ns = (int64_t)(cfg->coalesce_ms ? cfg->coalesce_ms : 1000) * 1000000LL;
	a->table_next_expiry = INT64_MAX;
	a->ring_len = cfg->queue_len ? cfg->queue_len : AUDIT_DEFAULT_QUEUE_LEN;
	/* A knob for tests that want a full queue through a real mount; a
	 * value that is not a number from 1 to 2^20 leaves the default. */
	if (!cfg->queue_len && parse_uint(secure_getenv("AMBER_AUDIT_QUEUE_LEN"), 1u << 20, &qlen) == 0)
		a->ring_len = qlen;
	if (a->ring_len == 0 || a->ring_len > (1u << 20))
		a->ring_len = AUDIT_DEFAULT_QUEUE_LEN;
	a->path = strdup_or_null(cfg->path, &oom);
	a->mountpoint = strdup_or_null(cfg->mountpoint, &oom);
	/* Copied verbatim into `start`: it must be one JSON object on one line,
	 * else our own rendering of the log options stands in for it. */
	if (cfg->options_json && cfg->options_json[0] == '{' && !strchr(cfg->options_json, '\n'))
		a->options_json = strdup_or_null(cfg->options_json, &oom);
	a->ring = calloc(a->ring_len, sizeof(*a->ring));
	a->batch = calloc(a->ring_len, sizeof(*a->batch));
	a->flushes = calloc(AUDIT_TABLE_LEN, sizeof(*a->flushes));
	a->table = calloc(AUDIT_TABLE_LEN, sizeof(*a->table));
	a->layers = calloc(cfg->n_layers ? cfg->n_layers : 1, sizeof(*a->layers));
	if (!a->ring || !a->batch || !a->flushes || !a->table || !a->layers)
		oom = true;
	for (size_t i = 0; !oom && i < cfg->n_layers; i++) {
		a->layers[i].path = strdup_or_null(cfg->layers[i].path, &oom);
		a->layers[i].digest = strdup_or_null(cfg->layers[i].digest, &oom);
		a->n_layers = i + 1;
	}
	if (oom || procinfo_cache_new(0, &a->procs) < 0) {
		audit_free_config(a);
		return -ENOMEM;
	}
	*ret = a;
	return 0;
}

int audit_new(const struct audit_config *cfg, struct audit **ret)
{
	struct audit *a = NULL;
	struct sigaction sa;
	int r;

	if (!cfg || !ret)
		return -EINVAL;
	r = audit_alloc(cfg, &a);
	if (r < 0)
		return log_debug_errno(r, "audit: cannot set up: %m");
	if (a->path) {
		/* A log over RLIMIT_FSIZE must fail the write (EFBIG, counted
		 * as a loss), not kill the daemon with SIGXFSZ. */
		if (sigaction(SIGXFSZ, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
			signal(SIGXFSZ, SIG_IGN);
		/* Before the daemon confines itself (if it does so after
		 * audit_new()) this keeps executable/cwd readable; after, it
		 * changes nothing.  Not fatal. */
		r = procinfo_start_helper(a->procs);
		if (r < 0)
			log_debug("audit: no /proc helper: %s", audit_errno_name(r));
		r = audit_writer_open(a);
		if (r < 0) {
			audit_free_config(a);
			return r;
		}
		r = audit_writer_start(a);
		if (r < 0) {
			close(a->fd);
			audit_free_config(a);
			return log_debug_errno(r, "audit: cannot start the writer thread: %m");
		}
	}
	*ret = a;
	return 0;
}

void audit_free(struct audit *a, struct audit_totals *ret_totals)
{
	if (!a)
		return;
	if (a->path)
		audit_writer_stop(a);
	if (ret_totals)
		*ret_totals = a->totals;
	/* Whatever a late submit left in the ring. */
	for (size_t i = 0; i < a->ring_count; i++)
		audit_body_unref(a->ring[(a->ring_head + i) % a->ring_len].body);
	for (size_t i = 0; i < AUDIT_TABLE_LEN; i++)
		if (a->table[i].used)
			audit_body_unref(a->table[i].body);
	audit_free_config(a);
}
