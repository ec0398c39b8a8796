/* SPDX-License-Identifier: MIT */
/*
 * reader.h - streaming line reader over a rotated audit-log series.
 *
 * The reader owns the files of one series (oldest first), reads them with
 * plain read(2) through a fixed buffer (never mmap: a million-record log must
 * not show up as resident memory) and hands out one line at a time with its
 * file, 1-based line number and the XXH3-128 of its exact bytes including
 * the '\n' (what the next record's "prev" must name).  It never judges
 * content; it only reports what it saw: a file that could not be opened, a
 * last line without '\n', a line longer than the cap (its hash is still
 * computed over every byte, its text is cut).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "hash.h"

/* Lines longer than this are reported and cut (hash still covers all). */
#define READER_MAX_LINE (16u * 1024 * 1024)

enum reader_event {
	READER_END = 0,       /* no more files */
	READER_LINE,          /* a line (see struct reader_line) */
	READER_FILE_BEGIN,    /* a file opened; line numbers restart */
	READER_FILE_ERROR,    /* a file could not be opened or read: errno in err */
	READER_FILE_END,      /* a file finished */
};

struct reader_line {
	const char *file;      /* as given on the command line */
	unsigned file_index;   /* 0 = oldest */
	uint64_t lineno;       /* 1-based within file */
	uint64_t offset;       /* byte offset of the line in its file */
	const char *data;      /* NUL-terminated, without the '\n' */
	size_t len;            /* bytes in data (cut at READER_MAX_LINE) */
	size_t full_len;       /* real length without '\n' */
	bool newline;          /* false: last line of the file had no '\n' */
	bool cut;              /* longer than READER_MAX_LINE */
	char hash[HASH_HEX_LEN + 1]; /* of the exact bytes incl. '\n' if any */
	int err;               /* READER_FILE_ERROR: positive errno */
};

struct reader;

/* files is borrowed and must outlive the reader. */
int reader_new(char *const *files, size_t n_files, struct reader **ret);
struct reader *reader_free(struct reader *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct reader *, reader_free);
/* Fills *line (valid until the next call) and returns the event. */
enum reader_event reader_next(struct reader *r, struct reader_line *line);
/* Total bytes of all files that could be stat()ed, and bytes read so far:
 * for progress reporting. */
uint64_t reader_total_bytes(const struct reader *r);
uint64_t reader_done_bytes(const struct reader *r);
