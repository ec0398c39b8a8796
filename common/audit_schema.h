/* SPDX-License-Identifier: MIT */
/*
 * audit_schema.h - the names of the audit log, owned here and nowhere else.
 *
 * docs/audit-log.md is the contract; this module holds the values it
 * enumerates: the schema version ("v"), the record kinds, the actions
 * (event.action), the outcome, the reasons of loss and rotate records, the
 * open(2) and renameat2(2) flag names of args.flags and args.rename_flags,
 * the file types of args.type and the "now" of args.atime/args.mtime.
 *
 * Everything that writes or reads records takes them from here: the writer
 * (fs/audit*.c), the readers (amber-log, amber-run's exit line), the log
 * generator of the tests (tests/unit/logtool/genlog.c); the Python tests
 * read the same tables from `amber-log schema --json`, and
 * tests/integration/logtool/schema_contract.py checks them against the
 * contract.  Names are only ever added: logs already written use them all.
 *
 * Tables and lookups only: no state, safe from any thread.  A lookup by
 * name takes NULL (the field was missing) and answers "unknown" for it.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <sys/types.h>

/* The "v" every record begins with; a reader refuses any other. */
#define AUDIT_SCHEMA_VERSION 1

/* The "kind" of a record: start ... stop, in the contract's order. */
enum audit_kind {
	AUDIT_KIND_START,
	AUDIT_KIND_ATTEMPT,
	AUDIT_KIND_SUMMARY,
	AUDIT_KIND_LOSS,
	AUDIT_KIND_ROTATE,
	AUDIT_KIND_STOP,
	_AUDIT_KIND_MAX,
	_AUDIT_KIND_INVALID = -EINVAL, /* a kind this schema does not know */
};

/* What a refused request tried to do: event.action of attempt and summary
 * records, the keys of by_action in loss and stop records. */
enum audit_action {
	AUDIT_OPEN_WRITE,
	AUDIT_OPEN_TRUNC,
	AUDIT_CREATE,
	AUDIT_MKNOD,
	AUDIT_MKDIR,
	AUDIT_SYMLINK,
	AUDIT_LINK,
	AUDIT_UNLINK,
	AUDIT_RMDIR,
	AUDIT_RENAME,
	AUDIT_CHMOD,
	AUDIT_CHOWN,
	AUDIT_TRUNCATE,
	AUDIT_UTIMES,
	AUDIT_SETXATTR,
	AUDIT_REMOVEXATTR,
	AUDIT_WRITE,
	AUDIT_FALLOCATE,
	AUDIT_COPY_FILE_RANGE,
	AUDIT_IOCTL,
	_AUDIT_ACTION_MAX,
	_AUDIT_ACTION_INVALID = -EINVAL,
};

/* The reason of a loss record.  A write error carries the errno name after
 * AUDIT_LOSS_ERRNO_SEP: "write_error:ENOSPC". */
enum audit_loss_reason {
	AUDIT_LOSS_QUEUE_FULL,
	AUDIT_LOSS_QUEUE_TIMEOUT,
	AUDIT_LOSS_WRITE_ERROR,
	_AUDIT_LOSS_REASON_MAX,
	_AUDIT_LOSS_REASON_INVALID = -EINVAL,
};

#define AUDIT_LOSS_ERRNO_SEP ':'

/* The reason of a rotate record: log_max_size, or SIGHUP / a removed file. */
enum audit_rotate_reason {
	AUDIT_ROTATE_SIZE,
	AUDIT_ROTATE_REOPEN,
	_AUDIT_ROTATE_REASON_MAX,
	_AUDIT_ROTATE_REASON_INVALID = -EINVAL,
};

/* event.outcome: every request the gate sees is refused. */
#define AUDIT_OUTCOME_DENIED "denied"

/* args.atime / args.mtime of a utimes that sets the time to the present. */
#define AUDIT_TIME_NOW "now"

/* "attempt" ...; NULL for a value out of range. */
const char *audit_kind_to_string(enum audit_kind k);
/* _AUDIT_KIND_INVALID for NULL or a name the schema lacks. */
enum audit_kind audit_kind_from_string(const char *s);

const char *audit_action_to_string(enum audit_action a);
enum audit_action audit_action_from_string(const char *s);

/* "queue_full", "queue_timeout", "write_error" (without the errno). */
const char *audit_loss_reason_to_string(enum audit_loss_reason r);
/* Takes "write_error:EIO" as AUDIT_LOSS_WRITE_ERROR and points
 * *ret_errno_name (may be NULL) at "EIO"; for any other reason at "". */
enum audit_loss_reason audit_loss_reason_from_string(const char *s, const char **ret_errno_name);

const char *audit_rotate_reason_to_string(enum audit_rotate_reason r);
enum audit_rotate_reason audit_rotate_reason_from_string(const char *s);

/* One flag of a flags argument and the name the log gives it. */
struct audit_flag_name {
	unsigned bit;
	const char *name;
};

/*
 * args.flags lists the access mode first, by the value of flags & O_ACCMODE
 * ("O_RDONLY", "O_WRONLY", "O_RDWR", and "O_ACCMODE" for the value 3), then
 * the name of every bit of the open-flag table that is set, in table order
 * (a bit with no name becomes one "0x..." string).  args.rename_flags does
 * the same with the rename-flag table.  A table whose entry has bit 0 (a
 * flag this platform lacks) never names it.
 */
const char *audit_open_access_name(unsigned accmode);
const struct audit_flag_name *audit_open_flag_table(size_t *ret_n);
const struct audit_flag_name *audit_rename_flag_table(size_t *ret_n);
/* The name of one flag (O_TRUNC -> "O_TRUNC"); NULL if the table has none. */
const char *audit_open_flag_name(unsigned bit);
const char *audit_rename_flag_name(unsigned bit);

/* args.type of mknod: "reg", "dir", "chr", "blk", "fifo", "sock", "lnk" for
 * the S_IFMT bits of m; NULL for none of them. */
const char *audit_file_type_to_string(mode_t m);
/* The S_IFMT bits of such a name; 0 for NULL or an unknown name. */
mode_t audit_file_type_from_string(const char *s);
/* The names of the table above, in order, for listings; NULL past the end. */
const char *audit_file_type_name_at(size_t i);
