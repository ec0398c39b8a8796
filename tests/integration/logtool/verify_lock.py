#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""verify and the writer's lock: the amberfs daemon holds flock(LOCK_SH) on
the log file it writes until its stop record is on disk.  A helper process
stands in for it here, holding the lock on a generated log.  A last file
without stop is "session still open" (exit 3) while the lock is held, even
with a half-written last line or an empty new file, and a dead writer
(exit 1, said so) when it is not; damage stays damage (exit 1);
--wait waits for the writer to let go and then verifies.  Also: a series
trimmed by rotation (log_keep) is a note, not a missing file.  No mount,
no timing assertion (the helper is told when to let go)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from amber import mounts  # noqa: E402
from amber.amberlog import (  # noqa: E402
    AMBER_LOG, check, expect_in, finish, genlog, lines_of, run, write_lines)

HOLDER = r"""
import fcntl, sys
f = open(sys.argv[1], "ab")
fcntl.flock(f, fcntl.LOCK_SH)
print("locked", flush=True)
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "append":
        f.write(bytes.fromhex(arg))
        f.flush()
        print("appended", flush=True)
    elif cmd == "release":
        break
fcntl.flock(f, fcntl.LOCK_UN)
f.close()
print("released", flush=True)
"""


class Writer:
    """A process holding flock(LOCK_SH) on path, like the daemon."""

    def __init__(self, path):
        self.p = subprocess.Popen([sys.executable, "-c", HOLDER, path], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        check(self.p.stdout.readline().strip() == "locked", "helper took the lock")

    def append(self, data):
        self.p.stdin.write("append " + data.hex() + "\n")
        self.p.stdin.flush()
        check(self.p.stdout.readline().strip() == "appended", "helper appended")

    def release(self):
        if self.p.poll() is None:
            self.p.stdin.write("release\n")
            self.p.stdin.flush()
            self.p.stdout.readline()
        self.close()

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


writers = []


def writer(path):
    w = Writer(path)
    writers.append(w)
    return w


wd = mounts.Workdir(prefix="amber-log-test-")
d = wd.tmp
try:
    full = os.path.join(d, "full.log")
    genlog(full, "-n", "20", "--summaries")
    L = lines_of(full)
    log = os.path.join(d, "open.log")

    # 1. no stop, lock held: session still open, exit 3
    write_lines(log, L[:-1])
    w = writer(log)
    rc, out, err = run("verify", log, check_rc=3)
    expect_in("session still open: " + log + " is still being written", out, "open session")
    expect_in("records read so far are intact", out, "open session: what is there is intact")
    check("FAILED" not in out and "OK:" not in out, f"open session is neither OK nor FAILED:\n{out}")
    # quiet still says it (exit 3 is not OK)
    rc, out, _ = run("verify", "--quiet", log, check_rc=3)
    expect_in("session still open", out, "open session, --quiet")

    # 2. the writer is in the middle of a write(2): a last line without its
    #    newline is not damage while the lock is held
    w.append(L[-1][:40])
    rc, out, _ = run("verify", log, check_rc=3)
    expect_in("its last line is being written", out, "partial line of an open session")
    check("truncated" not in out, f"partial line of an open session is not damage:\n{out}")

    # 3. --wait: the writer finishes (stop record), then lets go; verify
    #    must have waited and see the whole session
    vp = subprocess.Popen([AMBER_LOG, "verify", "--wait=120", log], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    line = vp.stderr.readline()
    expect_in("is still being written (a writer holds its lock): waiting", line, "--wait says that it waits")
    w.append(L[-1][40:] + b"\n")
    w.release()
    out, err = vp.communicate(timeout=120)
    check(vp.returncode == 0, f"verify --wait after the writer let go: rc {vp.returncode}\n{out}{err}")
    expect_in("OK: 22 records", out, "verify --wait")

    # 4. no stop, no lock: the writer died; exit 1, said so
    write_lines(log, L[:-1])
    rc, out, _ = run("verify", log, check_rc=1)
    expect_in("does not end with a stop record, and no writer holds " + log + " any more: the daemon died", out,
              "dead writer")
    check("session still open" not in out, "dead writer is not an open session")
    # ... also with a cut last line: then that line is damage too
    write_lines(log, L[:-1] + [L[-1][:30]], final_newline=False)
    rc, out, _ = run("verify", log, check_rc=1)
    expect_in(f"{log}:{len(L)}: truncated last line", out, "dead writer, cut line")

    # 5. --wait with a writer that never lets go: bounded, then exit 3
    write_lines(log, L[:-1])
    w = writer(log)
    rc, out, err = run("verify", "--wait=1", log, check_rc=3)
    expect_in("a writer holds its lock, still after the wait", out, "--wait timed out")
    expect_in("still held", err, "--wait timed out, on stderr")

    # 6. damage in an open session: exit 1, and the open session is said too
    x = bytearray(L[5]); i = x.index(b'"path":"') + 9; x[i] ^= 1
    write_lines(log, L[:5] + [bytes(x)] + L[6:-1])
    rc, out, _ = run("verify", log, check_rc=1)
    expect_in(f"{log}:7: seq 7: chain broken", out, "damage while open")
    expect_in("session still open", out, "damage while open: open said too")
    expect_in("records read so far have the problems above", out, "damage while open")

    # 7. a complete session while the lock is still held (the daemon has
    #    written stop and not yet closed): OK
    write_lines(log, L)
    rc, out, _ = run("verify", log, check_rc=0)
    expect_in("OK: 22 records", out, "stop written, lock still held")
    w.release()

    # 8. rotation: the writer holds the newest file; an empty new file (just
    #    created, its rotate record not yet written) is not damage either
    r = os.path.join(d, "rot.log")
    genlog(r, "-n", "40", "--rotate-every", "12", "--no-stop")
    series = [r + ".3", r + ".2", r + ".1", r]
    check(all(os.path.exists(p) for p in series), "genlog made 4 files")
    w = writer(r)
    run("verify", *series, check_rc=3)
    w.release()
    run("verify", *series, check_rc=1)
    fresh = os.path.join(d, "fresh.log")
    open(fresh, "w").close()
    w = writer(fresh)
    rc, out, _ = run("verify", *series, fresh, check_rc=3)
    check("empty file" not in out, f"the writer's new empty file is not damage:\n{out}")
    w.release()
    rc, out, _ = run("verify", *series, fresh, check_rc=1)
    expect_in(f"{fresh}: empty file", out, "an empty last file nobody writes")
    # the newest file exists but was not given
    rc, out, _ = run("verify", *series[:3], check_rc=1)
    expect_in(f"it goes on in {r}, which exists but was not given", out, "a later file not given")

    # 9. a series trimmed by rotation (log_keep): the oldest kept file opens
    #    with a rotate record whose previous_file names a file that was
    #    given (FILE.1 at the time); that is a note, not a missing file
    genlog(r, "-n", "60", "--rotate-every", "15")
    os.unlink(r + ".4")
    kept = [r + ".3", r + ".2", r + ".1", r]
    rc, out, _ = run("verify", *kept, check_rc=0)
    expect_in(f"{r}.3:1: seq ", out, "trimmed series: note placed at the first line")
    expect_in("note: the series begins after files that rotation removed", out, "trimmed series")
    check("missing" not in out, f"trimmed series: nothing given is called missing:\n{out}")
    expect_in("OK: ", out, "trimmed series verifies")
    rc, out, _ = run("verify", "--quiet", *kept, check_rc=0)
    check(out == "", f"--quiet prints nothing for a trimmed but intact series:\n{out}")
    # ... but a file before it that is still there must be given
    genlog(r, "-n", "60", "--rotate-every", "15")
    rc, out, _ = run("verify", *kept, check_rc=1)
    expect_in(f"the file before it, {r}.4, exists but was not given", out, "older file not given")
    # ... and a log deleted under a running daemon is not rotation
    L = lines_of(kept[0])
    L[0] = L[0].replace(b'"reason":"size"', b'"reason":"reopen"').replace(
        b'"previous_file":"' + (r + ".1").encode(), b'"previous_file":"' + r.encode() + b' (deleted)')
    write_lines(kept[0], L)
    os.unlink(r + ".4")
    rc, out, _ = run("verify", kept[0], check_rc=1)
    expect_in("was deleted while the daemon was writing it", out, "deleted, not rotated")
finally:
    for w in writers:
        w.close()
    wd.close()
finish("logtool-verify-lock")
