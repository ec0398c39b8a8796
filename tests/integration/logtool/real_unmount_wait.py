#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The script pattern of docs/amber-log.md against a real daemon:
    fusermount3 -u MNT && amber-log verify --wait LOG
fusermount3 returns before the daemon has written its stop record; the
daemon holds flock(LOCK_SH) on its log until that record is on disk, and
verify --wait waits for the lock.  Twenty times: mount, refuse some
writes, unmount, verify at once: every run must be OK.  Needs root,
/dev/fuse and a daemon that locks its log (exit 77 otherwise, saying so).
Every mount is undone in a finally block."""
import errno
import fcntl
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from amber.amberlog import *  # noqa: E402,F403

skip_unless_mountable()
ROUNDS = 20


def writer_holds(path):
    """True when some process holds a lock on path (as verify tests it)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except OSError as e:
        if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return True
        raise
    finally:
        os.close(fd)


def refuse_some(mnt, k):
    for i in range(5):
        for op in (lambda p: os.mkdir(p), lambda p: open(p, "w").close()):
            try:
                op(os.path.join(mnt, f"r{k}-{i}"))
            except OSError:
                pass


d = tmpdir()
skip = None
try:
    A = os.path.join(d, "A")
    os.makedirs(A)
    with open(os.path.join(A, "f"), "w") as f:
        f.write("f\n")
    mnt = os.path.join(d, "mnt")
    os.mkdir(mnt)
    for k in range(ROUNDS):
        log = os.path.join(d, f"audit{k}.log")
        mount([A], mnt, log)
        refuse_some(mnt, k)
        if k == 0 and not (os.path.exists(log) and writer_holds(log)):
            skip = "the daemon does not hold a lock on its log file (the writer side of the protocol is missing)"
            break
        umount(mnt)  # fusermount3 -u: returns before the stop record may be written
        rc, out, err = run("verify", "--wait", log)
        if not check(rc == 0 and "OK: " in out, f"round {k}: verify --wait right after the unmount: rc {rc}\n"
                                                 f"{out}{err}"):
            break
        expect_in("ends with stop", out, f"round {k}")
except subprocess.TimeoutExpired:
    pass
finally:
    for m in list(mounted):
        umount(m)
    if not any(l.split()[4].startswith(d) for l in open("/proc/self/mountinfo")):
        shutil.rmtree(d, ignore_errors=True)
if skip and not failures:
    print("skip: " + skip)
    sys.exit(77)
finish("logtool-real-unmount-wait")
