/* SPDX-License-Identifier: MIT */
/*
 * safefile.h - the files amberfs writes itself (the audit log, its rotated
 * copies, the pidfile), opened safely in directories other users can write.
 *
 * The threat: root's amberfs given log= or pidfile= in a world-writable
 * directory such as /tmp, where another user has planted, under the name
 * amberfs will open, a symlink (or a hard link, a FIFO, a file of their
 * own) so that root appends to or overwrites a file of root's.  The kernel's
 * fs.protected_symlinks may be off, so nothing here relies on it:
 *   - the last component is never followed (O_NOFOLLOW; rename and unlink
 *     act on the name itself);
 *   - a log that exists is used only if it is a regular file owned by our
 *     euid with a single link; a FIFO or device is never waited on
 *     (O_NONBLOCK while opening);
 *   - the pidfile is written to a fresh file (O_EXCL, random name) that is
 *     then renamed over PIDFILE: whatever had that name is replaced, never
 *     written through.
 * The directories on the way are the caller's choice and are trusted; each
 * is resolved once, and every later operation is relative to its fd, so
 * swapping a directory afterwards redirects nothing.
 *
 * Errors are -errno.  The refusals of this module are -ELOOP (a symbolic
 * link), -EINVAL (not a regular file), -EPERM (owned by another user) and
 * -EMLINK (more than one hard link); safefile_refusal() puts them into words.
 * No function here logs.  Thread-safe (no shared state).
 */
#pragma once

#include <sys/types.h>

/* Splits PATH into its directory (opened O_PATH, returned in *ret_dirfd,
 * owned by the caller) and its last component (*ret_name, malloc'd).  -EINVAL
 * when the last component is not a plain name ("", ".", "..", a trailing
 * '/'). */
int safefile_open_dir(const char *path, int *ret_dirfd, char **ret_name);

/* "/abs/dir/NAME" for NAME in dirfd, the directory as the kernel names it
 * (symlinks on the way resolved, NAME itself untouched); malloc'd. */
int safefile_abs_path(int dirfd, const char *name, char **ret);

/* Opens or creates (0600) NAME in dirfd for appending, with O_WRONLY or
 * O_RDWR (access), O_CLOEXEC, and checks it as described above.  Returns
 * the fd in *ret_fd (blocking mode, owned by the caller). */
int safefile_open_log(int dirfd, const char *name, int access, int *ret_fd);

/* "is a symbolic link", ... for this module's refusals; NULL for any other
 * error (the caller prints %m). */
const char *safefile_refusal(int r);

struct pidfile;

/* Writes "PID\n" to a fresh file in PATH's directory and renames it over
 * PATH.  The handle remembers the file, so pidfile_remove() removes only
 * that one.  Call it before confining: later only the removal is needed. */
int pidfile_write(const char *path, pid_t pid, struct pidfile **ret);

/* Removes the pidfile if PATH still names the file we wrote (a later
 * daemon may have written its own since), frees the handle.  NULL is fine;
 * returns NULL. */
struct pidfile *pidfile_remove(struct pidfile *p);
