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
"""
import errno
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gatelib as g  # noqa: E402

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


def main():
    g.require_root_fuse()
    failures = []
    with g.Workdir() as w:
        lay = os.path.join(w.path, "layer")
        os.mkdir(lay)
        with open(os.path.join(lay, "f"), "wb") as f:
            f.write(b"readable\n" * 1000)
        logfs = os.path.join(w.path, "logfs")
        os.mkdir(logfs)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs",
                           logfs]).returncode != 0:
            g.skip("cannot mount a tmpfs")
        w.extra_umounts.append(logfs)
        sub = os.path.join(logfs, "sub")
        os.mkdir(sub)
        log = os.path.join(sub, "audit.log")
        mnt = os.path.join(w.path, "mnt")
        os.mkdir(mnt)
        # pidfile and stderr outside the tmpfs, so only the log competes for it
        m = w.mount([lay], mnt, log=log, workdir=w.path)
        made = 0

        # 1. disk full
        filler = os.path.join(logfs, "filler")
        fill(filler)
        wrong = refuse(mnt, "full", 40)
        made += 40
        try:
            g.wait_until(lambda: WARNING in m.stderr(), what="the warning")
        except AssertionError:
            print(f"daemon stderr:\n{m.stderr()}\nalive: {m.proc.poll() is None}; log tail:")
            print("\n".join(str(r)[:200] for r in g.read_records(log)[-3:]))
            raise
        with open(os.path.join(mnt, "f"), "rb") as f:
            if f.read() != b"readable\n" * 1000:
                failures.append("read during disk full")
        wrong += refuse(mnt, "full_more", 10)
        made += 10
        os.unlink(filler)
        wrong += refuse(mnt, "after", 5)
        made += 5
        g.wait_until(lambda: any(r["kind"] == "loss" for r in g.read_records(log)),
                     what="the loss record")
        recs = g.read_records(log)
        loss = [r for r in recs if r["kind"] == "loss"]
        if not loss or any(not r["reason"].startswith("write_error:ENOSPC") or r["seq_first"] is None
                           for r in loss):
            failures.append(f"loss records {loss}")
        print(f"disk full: {made} attempts, losses {[(r['count'], r['seq_first'], r['seq_last']) for r in loss]}")

        # 2. the file is removed: it is created again
        s = g.Series([log])  # verifies what we have so far, before it is gone
        os.unlink(log)
        wrong += refuse(mnt, "removed", 5)
        made += 5
        g.wait_until(lambda: sum(1 for r in g.read_records(log) if r["kind"] == "attempt") >= 5,
                     what="attempts in the recreated log")
        recs = g.read_records(log)
        if recs[0]["kind"] != "rotate" or recs[0]["reason"] != "reopen" or \
                "(deleted)" not in recs[0]["previous_file"]:
            failures.append(f"recreated log begins with {recs[0]}")
        s2 = g.Series([log], allow_unknown_origin=True)
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
        g.wait_until(lambda: m.stderr().count("was removed") >= 2, what="the removal warning")
        os.rmdir(log)
        g.wait_until(lambda: os.path.exists(log), timeout=15, what="the log to come back")
        wrong += refuse(mnt, "back", 2)
        made += 2
        m.close()
        s3 = g.Series([log], allow_unknown_origin=True)
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

        # The first file (disk full part): its losses are announced exactly and
        # nothing in it is half a line (Series() checked both).
        del s
        n_warn = m.stderr().count(WARNING)
        if n_warn != 1:
            failures.append(f"{n_warn} warnings on stderr instead of 1:\n{m.stderr()}")
        if wrong:
            failures.append(f"{wrong} mkdirs did not get EROFS")
    if failures:
        print(f"FAILED: {failures}")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
