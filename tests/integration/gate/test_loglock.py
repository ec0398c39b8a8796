#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_loglock - a script can wait for the final record after unmounting.

The daemon holds flock(LOCK_SH) on the log it writes from opening it until
its `stop` record is written and flushed, and locks a new file (rotation,
SIGHUP) before it lets go of the old one.  Through a real, confined mount:
  1. while mounted, LOCK_EX|LOCK_NB on the log fails and LOCK_SH|LOCK_NB
     succeeds (readers share);
  2. unmount race, several times: `fusermount3 -u MNT`, then at once a
     blocking LOCK_EX on the log; once it is granted, the last line of the
     log is the session's `stop`, and its totals count every attempt made;
  3. after size rotations the current file is locked and FILE.1 is not;
     after a logrotate-style rename and SIGHUP, the new file is locked and
     the renamed one is not.
"""
import fcntl
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import amber  # noqa: E402
from amber import auditlog, mounts  # noqa: E402


def exclusive_free(path):
    """Whether LOCK_EX can be had on path right now (released at once)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def shared_free(path):
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def mkdirs(mnt, prefix, n):
    for i in range(n):
        try:
            os.mkdir(os.path.join(mnt, f"{prefix}{i}"))
        except OSError:
            pass


def last_record(path):
    recs = auditlog.read_records(path)
    return recs[-1] if recs else None


def unmount_race(w, lay, rounds=5):
    failures = []
    for k in range(rounds):
        mnt = w.path(f"mnt_race{k}")
        os.mkdir(mnt)
        log = w.path(f"race{k}.log")
        m = w.amberfs([lay], mnt, log=log, foreground=True)
        if k == 0:
            if exclusive_free(log):
                failures.append("LOCK_EX on the live log was granted")
            if not shared_free(log):
                failures.append("LOCK_SH on the live log was refused")
        mkdirs(mnt, "r", 30 + 20 * k)
        fd = os.open(log, os.O_RDONLY | os.O_CLOEXEC)
        try:
            subprocess.run(["fusermount3", "-u", mnt], check=True)
            fcntl.flock(fd, fcntl.LOCK_EX)  # what `amber-log verify --wait` does
            last = last_record(log)
        finally:
            os.close(fd)
        m.close()
        if not last or last["kind"] != "stop" or last["totals"]["attempts"] != 30 + 20 * k:
            failures.append(f"round {k}: after LOCK_EX the last record is {last}")
    print(f"unmount race: {rounds} rounds -> {'ok' if not failures else failures}")
    return failures


def handover(w, lay):
    failures = []
    mnt = w.path("mnt_rot")
    os.mkdir(mnt)
    logdir = w.path("rot")
    os.mkdir(logdir)
    log = os.path.join(logdir, "audit.log")
    m = w.amberfs([lay], mnt, log=log, opts=["log_max_size=4096", "log_keep=5"], foreground=True)
    mkdirs(mnt, "s", 60)
    amber.wait_until(lambda: os.path.exists(log + ".2"), what="two size rotations")
    amber.wait_until(lambda: any(r["kind"] == "attempt" and r["file"]["path"] == "/s59"
                                 for r in auditlog.read_records(log)), what="the last attempt")
    if exclusive_free(log):
        failures.append("size rotation: the current file is not locked")
    if not exclusive_free(log + ".1"):
        failures.append("size rotation: FILE.1 is still locked")
    os.rename(log, log + ".old")
    os.kill(m.pid, signal.SIGHUP)
    amber.wait_until(lambda: os.path.exists(log), what="the reopened log")
    amber.wait_until(lambda: not exclusive_free(log), what="the lock on the reopened log")
    if not exclusive_free(log + ".old"):
        failures.append("SIGHUP: the renamed file is still locked")
    m.close()
    if not exclusive_free(log):
        failures.append("the log is still locked after the daemon exited")
    print(f"lock handover -> {'ok' if not failures else failures}")
    return failures


def main():
    amber.require()
    failures = []
    with mounts.Workdir(prefix="amber-gate-") as w:
        lay = w.path("layer")
        os.mkdir(lay)
        failures += unmount_race(w, lay)
        failures += handover(w, lay)
    if failures:
        print(f"FAILED: {failures}")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
