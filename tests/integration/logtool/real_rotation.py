#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""amber-log verify on series the real writer produced: size rotation
(log_max_size), a logrotate-style rename + SIGHUP reopen, and a daemon
killed with SIGKILL whose log is then appended to by a new mount.  The
clean series must verify; a missing rotated file and the session without
stop must be named; a series trimmed by log_keep verifies, with a note.
Root and /dev/fuse needed (exit 77 otherwise)."""
import glob
import json
import os
import sys
import signal
import subprocess
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import amber  # noqa: E402
from amber import auditlog, mounts  # noqa: E402
from amber.amberlog import check, expect_in, fail, finish, lines_of, run  # noqa: E402
from amber.auditlog import contract_deviations  # noqa: E402

amber.require()


def attempts(mnt, prefix, n):
    for i in range(n):
        try:
            os.mkdir(os.path.join(mnt, f"{prefix}{i}"))
        except OSError:
            pass


wd = mounts.Workdir(prefix="amber-log-test-")
d = wd.tmp
try:
    A = os.path.join(d, "A")
    os.makedirs(A)
    with open(os.path.join(A, "f"), "w") as f:
        f.write("f\n")
    logs = os.path.join(d, "logs")
    os.mkdir(logs)

    # 1. size rotation: FILE.k ... FILE.1 FILE
    mnt = os.path.join(d, "mnt")
    os.mkdir(mnt)
    log = os.path.join(logs, "size.log")
    wd.amberfs([A], mnt, log=log, opts=["log_max_size=4096", "log_keep=20"])
    attempts(mnt, "s", 40)
    wd.umount(mnt)
    time.sleep(0.2)
    rotated = sorted(glob.glob(log + ".*"), key=lambda p: -int(p.rsplit(".", 1)[1]))
    series = rotated + [log]
    check(len(series) >= 4, f"size rotation made several files: {series}")
    rc, out, _ = run("verify", "--wait", *series, check_rc=0)
    expect_in(f"in {len(series)} file(s)", out, "rotated series verifies")
    for dev in contract_deviations([l for p in series for l in lines_of(p)]):
        fail(f"writer deviates from the log contract: {dev}")
    missing = series[len(series) // 2]
    rc, out, _ = run("verify", "--wait", *[p for p in series if p != missing], check_rc=1)
    after = series[len(series) // 2 + 1]
    expect_in(f"{after}:1: seq ", out, "missing rotated file named at the next file")
    expect_in("a rotated file is missing before this file", out, "missing rotated file")

    # 1b. log_keep trims the series: the oldest kept file opens with a
    #     rotate record; that is a note, exit 0, and no given file is
    #     called missing
    log = os.path.join(logs, "keep.log")
    wd.amberfs([A], mnt, log=log, opts=["log_max_size=4096", "log_keep=2"])
    attempts(mnt, "t", 60)
    wd.umount(mnt)
    time.sleep(0.2)  # as above, for a daemon that does not lock its log yet
    rc, out, _ = run("verify", "--wait", log + ".2", log + ".1", log, check_rc=0)
    expect_in("note: the series begins after files that rotation removed", out, "series trimmed by log_keep")
    check("missing" not in out, f"series trimmed by log_keep: nothing given is missing:\n{out}")
    check(not os.path.exists(log + ".3"), "log_keep=2 keeps two rotated files")

    # 2. logrotate: rename the file, SIGHUP; the writer reopens a new FILE
    #    that starts with a rotate record (reason "reopen")
    log = os.path.join(logs, "hup.log")
    pidf = os.path.join(d, "hup.pid")
    wd.amberfs([A], mnt, log=log, pidfile=pidf)
    attempts(mnt, "h", 3)
    time.sleep(0.2)
    os.rename(log, log + ".1")
    os.kill(int(open(pidf).read()), signal.SIGHUP)
    time.sleep(0.5)
    attempts(mnt, "k", 3)
    wd.umount(mnt)
    time.sleep(0.2)
    if check(os.path.exists(log), "writer deviation: after rename + SIGHUP no new log file was created"):
        first = json.loads(lines_of(log)[0])
        check(first["kind"] == auditlog.KIND.ROTATE and first.get("reason") == auditlog.ROTATE.REOPEN,
              f"writer deviation: the reopened file starts with {first['kind']}")
        run("verify", "--wait", log + ".1", log, check_rc=0)

    # 3. SIGKILL: the session has no stop; a new mount appends a chained start
    log = os.path.join(logs, "kill.log")
    pidf = os.path.join(d, "kill.pid")
    wd.amberfs([A], mnt, log=log, pidfile=pidf)
    attempts(mnt, "x", 3)
    time.sleep(0.3)
    os.kill(int(open(pidf).read()), signal.SIGKILL)
    time.sleep(0.3)
    wd.umount(mnt)
    wd.amberfs([A], mnt, log=log)
    attempts(mnt, "y", 2)
    wd.umount(mnt)
    time.sleep(0.2)
    rc, out, _ = run("verify", "--wait", log, check_rc=1)
    expect_in("a new session starts, but the previous one (started at " + log + ":1) has no stop record", out,
              "killed session named")
    check(out.count("\n") == 2, f"only the missing stop is a problem (the chain holds):\n{out}")
except subprocess.TimeoutExpired:
    pass
finally:
    wd.close()
finish("logtool-real-rotation")
