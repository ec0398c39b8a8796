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
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import amber  # noqa: E402
from amber import mounts  # noqa: E402
from amber.amberlog import check, expect_in, failures, finish, run  # noqa: E402

amber.require()
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


wd = mounts.Workdir(prefix="amber-log-test-")
d = wd.tmp
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
        m = wd.amberfs([A], mnt, log=log)
        refuse_some(mnt, k)
        if k == 0 and not (os.path.exists(log) and writer_holds(log)):
            skip = "the daemon does not hold a lock on its log file (the writer side of the protocol is missing)"
            break
        # what is tested: fusermount3 -u returns before the stop record may be written
        subprocess.run(["fusermount3", "-u", mnt], check=True, timeout=30)
        rc, out, err = run("verify", "--wait", log)
        wd.umount(m)  # reaps the daemon
        if not check(rc == 0 and "OK: " in out, f"round {k}: verify --wait right after the unmount: rc {rc}\n"
                                                 f"{out}{err}"):
            break
        expect_in("ends with stop", out, f"round {k}")
except subprocess.TimeoutExpired:
    pass
finally:
    wd.close()
if skip and not failures:
    amber.skip(skip)
finish("logtool-real-unmount-wait")
