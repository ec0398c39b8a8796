#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_diskfull - when the log cannot be written, nothing is lost silently.

The log lives on a small tmpfs mounted for the test.
1. Disk full: a filler takes every free byte; refused mkdirs keep getting
   EROFS and reads keep working; exactly one warning reaches stderr; once
   the filler is gone, the next records include a `loss` with reason
   write_error:ENOSPC and the exact seq range of what was numbered but not
   written.  The log verifies (jq: no half line), and totals.attempts equals
   the attempts made = sum(attempt) + sum(summary) + sum(loss).
2. File removed: the daemon creates the file again and goes on; the new
   file begins with a `rotate` (reason "reopen") naming the deleted file.
3. File removed and cannot be created (a directory took its name): records
   are lost (write_error:EISDIR) until it can; then the new file announces
   the gap with a `loss` whose seq range matches exactly.
Every `loss` record counts its attempts per action (`by_action`), and so
does `stop` (`totals.lost_by_action`).
4. Full at unmount: the disk is full (and, so that not even the tail of the
   log's last page takes a small record, the daemon's RLIMIT_FSIZE is set to
   the log's size, and 3 more attempts fail with EFBIG: a gap with two
   causes, which one loss record must announce) when the mount goes away.  The daemon says it is trying
   again; once space is back, the loss records and then `stop` are written,
   and the exit message says "N write attempt(s) refused, M of them not
   recorded: ..." with M = totals.lost.
5. Full for good: the same, but space never comes back.  The daemon gives
   up after a few seconds; the log holds no half line; the exit message
   gives the exact counts, the reason, and says the log has no stop record.
"""
import errno
import os
import re
import resource
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import amber  # noqa: E402
from amber import auditlog, mounts  # noqa: E402

WARNING = "Cannot write the audit log"


def refuse(mnt, prefix, n):
    wrong = 0
    for i in range(n):
        try:
            os.mkdir(os.path.join(mnt, f"{prefix}{i}"))
            wrong += 1
        except OSError as e:
            wrong += e.errno != errno.EROFS
    return wrong


def fill(path):
    """Takes every free byte of the file system of path."""
    with open(path, "wb", buffering=0) as f:
        for size in (1 << 16, 4096, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise


def check_by_action(recs, what):
    """Per-action counts of loss records and of stop add up."""
    bad = []
    for r in recs:
        if r["kind"] == "loss" and sum(r.get("by_action", {}).values()) != r["count"]:
            bad.append(f"{what}: loss by_action {r.get('by_action')} for count {r['count']}")
        if r["kind"] == "stop" and \
                sum(r["totals"].get("lost_by_action", {"?": -1}).values()) != r["totals"]["lost"]:
            bad.append(f"{what}: stop lost_by_action {r['totals'].get('lost_by_action')} "
                       f"for lost {r['totals']['lost']}")
    return bad


EXIT_RE = re.compile(r"(\d+) write attempt\(s\) refused, (\d+) of them not recorded: (.*)")


def full_at_unmount(w, lay, sub, logfs, space_comes_back):
    """Parts 4 and 5: the disk is full when the session ends."""
    failures = []
    what = "full at unmount" + ("" if space_comes_back else ", for good")
    tag = "4" if space_comes_back else "5"
    log = os.path.join(sub, f"audit{tag}.log")
    mnt = w.path(f"mnt{tag}")
    os.mkdir(mnt)
    m = w.amberfs([lay], mnt, log=log, workdir=w.tmp, foreground=True)
    filler = os.path.join(logfs, "filler")
    fill(filler)
    wrong = refuse(mnt, f"end{tag}_", 30)
    amber.wait_until(lambda: WARNING in m.stderr(), what=f"{what}: the warning")
    # Not even the tail of the log's last page: nothing more fits.  A few
    # more attempts now fail with EFBIG, most likely right after ENOSPC
    # failures: one gap with two causes, still announced by one loss.
    resource.prlimit(m.pid, resource.RLIMIT_FSIZE,
                     (os.path.getsize(log), resource.RLIM_INFINITY))
    wrong += refuse(mnt, f"efbig{tag}_", 3)
    um = subprocess.Popen(["fusermount3", "-u", mnt])
    try:
        amber.wait_until(lambda: "Cannot write the end of the audit log" in m.stderr(), timeout=30,
                         what=f"{what}: the daemon trying again for the stop record")
        if space_comes_back:
            os.unlink(filler)
            resource.prlimit(m.pid, resource.RLIMIT_FSIZE,
                             (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    finally:
        um.wait()
        rc = m.close()
        if os.path.exists(filler):
            os.unlink(filler)
    if rc != 0:
        failures.append(f"{what}: amberfs exited {rc}")
    recs = auditlog.Series([log]).recs  # no half line, chain and announced gaps
    stops = [r for r in recs if r["kind"] == "stop"]
    msg = EXIT_RE.search(m.stderr())
    if not msg:
        failures.append(f"{what}: no exit message with the lost count:\n{m.stderr()}")
    if space_comes_back:
        if not stops:
            failures.append(f"{what}: no stop record once space came back")
        else:
            t = auditlog.Series([log]).check_invariant(expected_attempts=33)
            if t["lost"] == 0:
                failures.append(f"{what}: nothing was lost? {t}")
            if msg and (int(msg.group(1)), int(msg.group(2))) != (33, t["lost"]):
                failures.append(f"{what}: exit message {msg.group(0)!r} for totals {t}")
        failures += check_by_action(recs, what)
    else:
        # Lost: what is neither an attempt nor a summary in the file; of
        # those, what no loss record announces is said to be so.
        lost = 33 - sum(1 for r in recs if r["kind"] == "attempt") \
            - sum(r["count"] for r in recs if r["kind"] == "summary")
        unannounced = lost - sum(r["count"] for r in recs if r["kind"] == "loss")
        if stops:
            failures.append(f"{what}: a stop record was written on a full disk: {stops}")
        if msg and ((int(msg.group(1)), int(msg.group(2))) != (33, lost) or
                    "no stop record" not in msg.group(3) or "could not be written" not in msg.group(3) or
                    (unannounced and f"{unannounced} of them are not announced" not in msg.group(3))):
            failures.append(f"{what}: exit message {msg.group(0)!r}, want 33 refused, {lost} lost, "
                            f"{unannounced} not announced")
    if wrong:
        failures.append(f"{what}: {wrong} mkdirs did not get EROFS")
    print(f"{what}: {msg.group(0) if msg else m.stderr()}")
    return failures


def main():
    amber.require()
    failures = []
    with mounts.Workdir(prefix="amber-gate-") as w:
        lay = w.path("layer")
        os.mkdir(lay)
        with open(os.path.join(lay, "f"), "wb") as f:
            f.write(b"readable\n" * 1000)
        logfs = w.path("logfs")
        os.mkdir(logfs)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs",
                           logfs]).returncode != 0:
            amber.skip("cannot mount a tmpfs")
        w.adopt(logfs)
        sub = os.path.join(logfs, "sub")
        os.mkdir(sub)
        log = os.path.join(sub, "audit.log")
        mnt = w.path("mnt")
        os.mkdir(mnt)
        # pidfile and stderr outside the tmpfs, so only the log competes for it
        m = w.amberfs([lay], mnt, log=log, workdir=w.tmp, foreground=True)
        made = 0

        # 1. disk full
        filler = os.path.join(logfs, "filler")
        fill(filler)
        wrong = refuse(mnt, "full", 40)
        made += 40
        try:
            amber.wait_until(lambda: WARNING in m.stderr(), what="the warning")
        except AssertionError:
            print(f"daemon stderr:\n{m.stderr()}\nalive: {m.proc.poll() is None}; log tail:")
            print("\n".join(str(r)[:200] for r in auditlog.read_records(log)[-3:]))
            raise
        with open(os.path.join(mnt, "f"), "rb") as f:
            if f.read() != b"readable\n" * 1000:
                failures.append("read during disk full")
        wrong += refuse(mnt, "full_more", 10)
        made += 10
        os.unlink(filler)
        wrong += refuse(mnt, "after", 5)
        made += 5
        amber.wait_until(lambda: any(r["kind"] == "loss" for r in auditlog.read_records(log)),
                         what="the loss record")
        recs = auditlog.read_records(log)
        loss = [r for r in recs if r["kind"] == "loss"]
        if not loss or any(not r["reason"].startswith("write_error:ENOSPC") or r["seq_first"] is None
                           for r in loss):
            failures.append(f"loss records {loss}")
        failures += check_by_action(recs, "disk full")
        print(f"disk full: {made} attempts, losses {[(r['count'], r['seq_first'], r['seq_last']) for r in loss]}")

        # 2. the file is removed: it is created again
        s = auditlog.Series([log])  # verifies what we have so far, before it is gone
        os.unlink(log)
        wrong += refuse(mnt, "removed", 5)
        made += 5
        amber.wait_until(lambda: sum(1 for r in auditlog.read_records(log) if r["kind"] == "attempt") >= 5,
                         what="attempts in the recreated log")
        recs = auditlog.read_records(log)
        if recs[0]["kind"] != "rotate" or recs[0]["reason"] != "reopen" or \
                "(deleted)" not in recs[0]["previous_file"]:
            failures.append(f"recreated log begins with {recs[0]}")
        s2 = auditlog.Series([log], allow_unknown_origin=True)
        got = sum(1 for r in s2.kind("attempt") if r["file"]["path"].startswith("/removed"))
        if got != 5:
            failures.append(f"{got} of 5 attempts after the removal are in the new file")
        print(f"file removed: recreated, begins with rotate from {recs[0]['previous_file']!r}")

        # 3. the file cannot be created again for a while: losses until it can
        # (A directory in its place rather than a removed parent: Landlock
        # rules bind to the directory inode, so a recreated parent would
        # stay out of bounds for a confined daemon.)
        os.unlink(log)
        os.mkdir(log)
        wrong += refuse(mnt, "nodir", 6)
        made += 6
        amber.wait_until(lambda: m.stderr().count("was removed") >= 2, what="the removal warning")
        os.rmdir(log)
        amber.wait_until(lambda: os.path.exists(log), timeout=15, what="the log to come back")
        wrong += refuse(mnt, "back", 2)
        made += 2
        m.close()
        s3 = auditlog.Series([log], allow_unknown_origin=True)
        lost = [r for r in s3.kind("loss") if r["reason"] == "write_error:EISDIR"]
        if not lost or sum(r["count"] for r in lost) != 6:
            failures.append(f"not 6 attempts in write_error:EISDIR losses: {s3.kind('loss')}")
        stop = s3.kind("stop")[-1]
        t = stop["totals"]
        # The three files hold the whole session (the removed one is gone, so
        # count from the totals): every attempt made is in the totals.
        if t["attempts"] != made or t["attempts"] != t["written"] + t["summarized"] + t["lost"]:
            failures.append(f"totals {t} for {made} attempts")
        print(f"file not creatable: {[(r['count'], r['seq_first'], r['seq_last']) for r in lost]} lost"
              f" and announced; totals {t['attempts']} = {t['written']} written +"
              f" {t['summarized']} summarized + {t['lost']} lost")

        failures += check_by_action(s3.recs, "file not creatable")

        # The first file (disk full part): its losses are announced exactly and
        # nothing in it is half a line (Series() checked both).
        del s
        n_warn = m.stderr().count(WARNING)
        if n_warn != 1:
            failures.append(f"{n_warn} warnings on stderr instead of 1:\n{m.stderr()}")
        if wrong:
            failures.append(f"{wrong} mkdirs did not get EROFS")

        # 4 and 5: full when the session ends
        failures += full_at_unmount(w, lay, sub, logfs, space_comes_back=True)
        failures += full_at_unmount(w, lay, sub, logfs, space_comes_back=False)
    if failures:
        print(f"FAILED: {failures}")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
