/* SPDX-License-Identifier: MIT */
/*
 * reader.c - streaming line reader over a rotated series; see reader.h.
 *
 * Memory is bounded by one 1 MiB read buffer plus the longest line seen
 * (capped at READER_MAX_LINE).  Each line is assembled with its '\n' in
 * lbuf so its hash is one XXH3 call; an over-long line switches to the
 * streaming hash so the chain can still be checked across it.
 */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

#define RBUF_SIZE (1u << 20)

struct reader {
	char *const *files;
	size_t n_files;
	size_t cur;          /* index of the file being read, n_files = done */
	int fd;              /* -1 when no file is open */
	bool pending_open;   /* the next call must open files[cur] */
	uint64_t lineno, offset;
	uint64_t total, done;
	char *rbuf;
	size_t rpos, rlen;
	bool eof;
	char *lbuf;
	size_t llen, lcap;
	struct hash128_state *hs; /* non-NULL while a line is over the cap */
	size_t full_len;
};

int reader_new(char *const *files, size_t n_files, struct reader **ret)
{
	struct reader *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->rbuf = malloc(RBUF_SIZE);
	if (!r->rbuf) {
		free(r);
		return -ENOMEM;
	}
	r->files = files;
	r->n_files = n_files;
	r->fd = -1;
	r->pending_open = true;
	for (size_t i = 0; i < n_files; i++) {
		struct stat st;
		if (stat(files[i], &st) == 0 && S_ISREG(st.st_mode))
			r->total += (uint64_t)st.st_size;
	}
	*ret = r;
	return 0;
}

struct reader *reader_free(struct reader *r)
{
	if (!r)
		return NULL;
	if (r->fd >= 0)
		close(r->fd);
	if (r->hs) {
		char tmp[HASH_HEX_LEN + 1];
		hash128_final_hex(r->hs, tmp);
	}
	free(r->rbuf);
	free(r->lbuf);
	free(r);
	return NULL;
}

uint64_t reader_total_bytes(const struct reader *r)
{
	return r->total;
}

uint64_t reader_done_bytes(const struct reader *r)
{
	return r->done;
}

/* Appends n bytes to the current line, honouring the cap. */
static int line_append(struct reader *r, const char *p, size_t n)
{
	r->full_len += n;
	if (r->hs) {
		hash128_update(r->hs, p, n);
		return 0;
	}
	if (r->llen + n + 1 > READER_MAX_LINE + 2) {
		r->hs = hash128_new();
		if (!r->hs)
			return -ENOMEM;
		hash128_update(r->hs, r->lbuf, r->llen);
		hash128_update(r->hs, p, n);
		size_t room = READER_MAX_LINE > r->llen ? READER_MAX_LINE - r->llen : 0;
		n = n < room ? n : room;
		if (n == 0)
			return 0;
	}
	if (r->llen + n + 2 > r->lcap) {
		size_t cap = r->lcap ? r->lcap : 4096;
		while (cap < r->llen + n + 2)
			cap *= 2;
		char *b = realloc(r->lbuf, cap);
		if (!b)
			return -ENOMEM;
		r->lbuf = b;
		r->lcap = cap;
	}
	memcpy(r->lbuf + r->llen, p, n);
	r->llen += n;
	return 0;
}

/* Completes the line in lbuf and fills *line. */
static void line_finish(struct reader *r, struct reader_line *line, bool newline)
{
	size_t text_len = r->llen;

	if (r->lcap == 0) {
		/* empty first line: make sure lbuf exists */
		r->lbuf = malloc(4096);
		r->lcap = r->lbuf ? 4096 : 0;
	}
	if (r->hs) {
		if (newline)
			hash128_update(r->hs, "\n", 1);
		hash128_final_hex(r->hs, line->hash);
		r->hs = NULL;
		line->cut = true;
	} else {
		if (newline && r->lbuf)
			r->lbuf[r->llen] = '\n';
		hash128_hex(r->lbuf ? r->lbuf : "", r->llen + (newline ? 1 : 0), line->hash);
		line->cut = false;
	}
	if (r->lbuf)
		r->lbuf[text_len] = '\0';
	line->file = r->files[r->cur];
	line->file_index = (unsigned)r->cur;
	line->lineno = ++r->lineno;
	line->offset = r->offset;
	line->data = r->lbuf ? r->lbuf : "";
	line->len = text_len;
	line->full_len = r->full_len;
	line->newline = newline;
	line->err = 0;
	r->offset += r->full_len + (newline ? 1 : 0);
	r->llen = 0;
	r->full_len = 0;
}

static enum reader_event open_next(struct reader *r, struct reader_line *line)
{
	memset(line, 0, sizeof(*line));
	line->file = r->files[r->cur];
	line->file_index = (unsigned)r->cur;
	r->pending_open = false;
	r->fd = open(r->files[r->cur], O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (r->fd < 0) {
		line->err = errno;
		r->cur++;
		r->pending_open = true;
		return READER_FILE_ERROR;
	}
	struct stat st;
	if (fstat(r->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		line->err = EISDIR;
		close(r->fd);
		r->fd = -1;
		r->cur++;
		r->pending_open = true;
		return READER_FILE_ERROR;
	}
	r->lineno = r->offset = 0;
	r->rpos = r->rlen = 0;
	r->eof = false;
	return READER_FILE_BEGIN;
}

enum reader_event reader_next(struct reader *r, struct reader_line *line)
{
	for (;;) {
		if (r->cur >= r->n_files)
			return READER_END;
		if (r->pending_open)
			return open_next(r, line);
		if (r->rpos < r->rlen) {
			char *start = r->rbuf + r->rpos;
			size_t avail = r->rlen - r->rpos;
			char *nl = memchr(start, '\n', avail);
			size_t n = nl ? (size_t)(nl - start) : avail;
			if (line_append(r, start, n) < 0) {
				memset(line, 0, sizeof(*line));
				line->file = r->files[r->cur];
				line->err = ENOMEM;
				return READER_FILE_ERROR;
			}
			r->rpos += n + (nl ? 1 : 0);
			if (nl) {
				line_finish(r, line, true);
				return READER_LINE;
			}
			continue;
		}
		if (!r->eof) {
			ssize_t k = read(r->fd, r->rbuf, RBUF_SIZE);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				memset(line, 0, sizeof(*line));
				line->file = r->files[r->cur];
				line->file_index = (unsigned)r->cur;
				line->err = errno;
				r->eof = true;
				r->llen = r->full_len = 0;
				return READER_FILE_ERROR;
			}
			r->rpos = 0;
			r->rlen = (size_t)k;
			r->done += (uint64_t)k;
			if (k == 0)
				r->eof = true;
			continue;
		}
		/* end of file: a pending partial line first */
		if (r->full_len > 0 || r->hs) {
			line_finish(r, line, false);
			return READER_LINE;
		}
		memset(line, 0, sizeof(*line));
		line->file = r->files[r->cur];
		line->file_index = (unsigned)r->cur;
		line->lineno = r->lineno;
		close(r->fd);
		r->fd = -1;
		r->cur++;
		r->pending_open = true;
		return READER_FILE_END;
	}
}
