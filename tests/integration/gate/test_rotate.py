#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_rotate - size rotation and SIGHUP reopen keep the chain verifiable.

1. log_max_size=4096,log_keep=100: many refused mkdirs; the files
   FILE.N .. FILE.1 FILE form one series that verifies (jq, chain, seq), each
   new file begins with a `rotate` record (reason "size") whose previous_seq
   is the last seq of the file before, no file exceeds the limit, and every
   attempt is accounted for.
2. log_keep=2: only FILE.1 and FILE.2 are kept, and they still verify as a
   series whose first record is a `rotate`.  log_keep=0: no old file is
   kept; FILE stays within the limit and begins with a `rotate` naming the
   deleted file.
3. logrotate "create" style: mv FILE FILE.a; kill -HUP; ...; mv FILE
   FILE.b; kill -HUP; and a HUP without a rename.  FILE.a FILE.b FILE verify
   as one series; each reopened file begins with `rotate` (reason
   "reopen") naming the file before it.
"""
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import amber  # noqa: E402
from amber import auditlog, mounts  # noqa: E402


def mkdirs(mnt, prefix, n):
    for i in range(n):
        try:
            os.mkdir(os.path.join(mnt, f"{prefix}{i}"))
            raise AssertionError("mkdir succeeded on amberfs")
        except OSError:
            pass


def wait_attempts(log, n):
    amber.wait_until(lambda: sum(1 for r in auditlog.read_records(log) if r["kind"] == "attempt") >= n,
                     what=f"{n} attempt records in {log}")


def size_rotation(w, lay):
    failures = []
    mnt = w.path("mnt1")
    os.mkdir(mnt)
    logdir = w.path("logs1")
    os.mkdir(logdir)
    log = os.path.join(logdir, "audit.log")
    m = w.amberfs([lay], mnt, log=log, opts=["log_max_size=4096", "log_keep=100"], foreground=True)
    mkdirs(mnt, "r", 120)
    m.close()
    files = auditlog.rotated_series(log)
    s = auditlog.Series(files)
    t = s.check_invariant(expected_attempts=120)
    big = [f for f in files if os.path.getsize(f) > 4096]
    if big:
        failures.append(f"files over log_max_size: {big}")
    # The first record of each file after the first is a rotate.
    first = 0
    for f in files:
        n = len(open(f, "rb").read().splitlines())
        r = s.recs[first]
        if first > 0:
            prev = s.recs[first - 1]
            if r["kind"] != "rotate" or r["reason"] != "size" or r["previous_seq"] != prev["seq"]:
                failures.append(f"{f} begins with {r}")
        first += n
    print(f"size rotation: {len(files)} files, {len(s.recs)} records, {t['attempts']} attempts,"
          f" chain verified -> {'ok' if not failures else failures}")
    return failures


def keep_limit(w, lay):
    failures = []
    mnt = w.path("mnt2")
    os.mkdir(mnt)
    logdir = w.path("logs2")
    os.mkdir(logdir)
    log = os.path.join(logdir, "audit.log")
    m = w.amberfs([lay], mnt, log=log, opts=["log_max_size=4096", "log_keep=2"], foreground=True)
    mkdirs(mnt, "k", 120)
    m.close()
    names = sorted(n for n in os.listdir(logdir) if n.startswith("audit.log"))
    if names != ["audit.log", "audit.log.1", "audit.log.2"]:
        failures.append(f"files kept: {names}")
    s = auditlog.Series([log + ".2", log + ".1", log], allow_unknown_origin=True)
    if s.recs[0]["kind"] != "rotate":
        failures.append(f"oldest kept file begins with {s.recs[0]['kind']}")
    print(f"log_keep=2: kept {names}, {len(s.recs)} records verified -> "
          f"{'ok' if not failures else failures}")
    return failures


def keep_none(w, lay):
    """log_keep=0 (documented: keep no old file): the full file is deleted."""
    failures = []
    mnt = w.path("mnt4")
    os.mkdir(mnt)
    logdir = w.path("logs4")
    os.mkdir(logdir)
    log = os.path.join(logdir, "audit.log")
    m = w.amberfs([lay], mnt, log=log, opts=["log_max_size=4096", "log_keep=0"], foreground=True)
    mkdirs(mnt, "z", 120)
    m.close()
    names = sorted(n for n in os.listdir(logdir) if n.startswith("audit.log"))
    if names != ["audit.log"]:
        failures.append(f"log_keep=0 kept {names}")
    if os.path.getsize(log) > 4096:
        failures.append(f"{log} has {os.path.getsize(log)} bytes, over log_max_size")
    s = auditlog.Series([log], allow_unknown_origin=True)
    first = s.recs[0]
    if first["kind"] != "rotate" or first["reason"] != "size" or \
            first["previous_file"] != log + " (deleted)":
        failures.append(f"log_keep=0: the file begins with {first}")
    t = s.kind("stop")[-1]["totals"]
    if t["attempts"] != 120:
        failures.append(f"log_keep=0: totals {t}")
    print(f"log_keep=0: kept {names}, first record {first['kind']} from "
          f"{first.get('previous_file')!r} -> {'ok' if not failures else failures}")
    return failures


def sighup(w, lay):
    failures = []
    mnt = w.path("mnt3")
    os.mkdir(mnt)
    logdir = w.path("logs3")
    os.mkdir(logdir)
    log = os.path.join(logdir, "audit.log")
    m = w.amberfs([lay], mnt, log=log, foreground=True)
    done = 0
    for name in ("a", "b"):
        mkdirs(mnt, f"h{name}", 5)
        done += 5
        wait_attempts(log, 5)
        os.rename(log, f"{log}.{name}")
        os.kill(m.pid, signal.SIGHUP)
        amber.wait_until(lambda: os.path.exists(log), what="the log to be created again")
    mkdirs(mnt, "hc", 3)
    wait_attempts(log, 3)
    os.kill(m.pid, signal.SIGHUP)  # a HUP with nothing renamed: same file
    amber.wait_until(lambda: any(r["kind"] == "rotate" for r in auditlog.read_records(log)[1:]),
                     what="the second reopen of the same file")
    mkdirs(mnt, "hd", 2)
    done += 5
    m.close()
    s = auditlog.Series([log + ".a", log + ".b", log])
    s.check_invariant(expected_attempts=done)
    rot = s.kind("rotate")
    prevs = [r["previous_file"] for r in rot]
    if [r["reason"] for r in rot] != ["reopen"] * 3:
        failures.append(f"rotate reasons {[r['reason'] for r in rot]}")
    if prevs[:2] != [log + ".a", log + ".b"] or prevs[2] != log:
        failures.append(f"previous_file {prevs}")
    for f in (log + ".b", log):
        with open(f, "rb") as fh:
            if b'"kind":"rotate"' not in fh.readline():
                failures.append(f"{f} does not begin with rotate")
    print(f"SIGHUP: {len(s.recs)} records over 3 files, previous files {prevs}, chain verified"
          f" -> {'ok' if not failures else failures}")
    return failures


def main():
    amber.require()
    failures = []
    with mounts.Workdir(prefix="amber-gate-") as w:
        lay = w.path("layer")
        os.mkdir(lay)
        with open(os.path.join(lay, "f"), "w") as f:
            f.write("f\n")
        failures += size_rotation(w, lay)
        failures += keep_limit(w, lay)
        failures += keep_none(w, lay)
        failures += sighup(w, lay)
    if failures:
        print(f"FAILED: {failures}")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
