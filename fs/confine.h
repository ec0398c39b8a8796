/* SPDX-License-Identifier: MIT */
/*
 * confine.h - the daemon confines itself once the mount is up.
 *
 * Landlock: read-only beneath the layers and /proc, write only in the
 * directory of the audit log.  seccomp (libseccomp): only the syscalls a
 * serving daemon needs; no exec, no mount, no chmod/chown/mkdir/link.  Even
 * a compromised daemon cannot change a layer.
 *
 * A confined process may no longer unmount (Landlock forbids it, and
 * fusermount3 cannot be executed), so a small unconfined helper is forked
 * first: on request, or when the daemon dies, it unmounts the mount if it is
 * still ours.  The daemon waits for it, so once the daemon's pid is gone the
 * mountpoint is free.
 *
 * What does not depend on the mount is prepared ahead, by a thread that
 * runs while the daemon mounts: the seccomp filter is compiled (libseccomp
 * takes about as long as the rest of the confinement) and libgcc_s is
 * loaded.  Nothing is loosened by that: the daemon answers no request
 * before confine_apply() has returned.
 */
#pragma once

#include <stdbool.h>

#include "layer.h"
#include "opts.h"

struct confine;

/*
 * Starts preparing (see above) for cfg, which must outlive *ret.  Call it
 * after any fork that should not take the thread along (daemonizing).
 * Only -ENOMEM fails: without a thread the work is done in confine_apply().
 */
int confine_prepare(const struct fs_config *cfg, struct confine **ret);

/*
 * Waits for the preparation, forks the unmount helper, then applies
 * Landlock and seccomp to the calling process (all its threads: seccomp
 * uses TSYNC; Landlock must be applied before the worker threads exist).
 * Returns 0 even when the kernel lacks Landlock (logs what is missing);
 * -errno on a real failure.
 */
int confine_apply(struct confine *c, const struct layer_stack *ls);

/*
 * Asks the helper to unmount (still_mounted) or just to exit (the kernel
 * connection ended: someone else unmounted; a new mount may already sit on
 * the mountpoint and must be left alone), and waits for it.  false when
 * there is no helper (c is NULL, or confine_apply() did not start it):
 * the caller unmounts.
 */
bool confine_unmount(struct confine *c, bool still_mounted);
struct confine *confine_free(struct confine *c);
