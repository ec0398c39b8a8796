#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_flood - a flood of refused mutations while another process reads.

Several processes, each with several threads, hammer the mount with
mutations that each make exactly one FUSE request (mkdir of fresh names,
which cannot coalesce; write opens, chmods and setxattrs of the same file,
which do), counting every attempt.  Meanwhile a reader process reads a large
file through the daemon (dropping its page cache before each pass), and this
process samples the daemon's VmRSS.  Then, for log_policy=block, for
log_policy=drop, and for both again with a 4-slot queue (so that attempts
overflow it and must show up in loss records):
  - every attempt got the deny errno, and every read succeeded;
  - the log verifies (jq, chain, seq, announced gaps) and accounts for every
    attempt: totals.attempts = attempts made = sum(attempt.count) +
    sum(summary.count) + sum(loss.count);
  - the daemon's RSS stayed within a fixed bound above its idle RSS.
No timing assertion: the durations only size the flood.

usage: test_flood.py [--seconds S] [--procs P] [--threads T]
"""
import argparse
import errno
import os
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import amber  # noqa: E402
from amber import auditlog, mounts  # noqa: E402

RSS_BOUND_KIB = 128 * 1024  # the writer's budget is ~40 MiB; FUSE buffers add some


def rss_bound(pid):
    """The RSS bound for this daemon.  Under AddressSanitizer every block
    carries redzones and freed blocks wait in a quarantine (256 MiB by
    default), so the same daemon's peak varies from about 60 to 160 MiB of
    growth there: the bound is the plain build's, times 2 under ASan."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            asan = "libasan" in f.read()
    except OSError:
        asan = False
    return RSS_BOUND_KIB * (2 if asan else 1)
BIG = 32 << 20
POSIX_FADV_DONTNEED = 4


def build_layer(w, n_targets=8):
    lay = os.path.join(w, "layer")
    os.mkdir(lay)
    with open(os.path.join(lay, "big"), "wb") as f:
        chunk = os.urandom(1 << 20)
        for _ in range(BIG >> 20):
            f.write(chunk)
    for i in range(n_targets):
        with open(os.path.join(lay, f"t{i}"), "wb") as f:
            f.write(b"target\n")
    os.mkdir(os.path.join(lay, "d"))
    return lay


def hammer_thread(mnt, wid, tid, deadline, kinds, out):
    made = wrong = 0
    i = 0
    tgt = os.path.join(mnt, f"t{(wid + tid) % 8}")
    while time.monotonic() < deadline:
        i += 1
        k = kinds[i % len(kinds)]
        try:
            if k == "mkdir":
                os.mkdir(os.path.join(mnt, "d", f"m{wid}_{tid}_{i}"))
            elif k == "open":
                os.close(os.open(tgt, os.O_WRONLY))
            elif k == "chmod":
                os.chmod(tgt, 0o600)
            elif k == "setxattr":
                os.setxattr(tgt, "user.flood", b"1")
            wrong += 1  # it succeeded: must never happen
        except OSError as e:
            if e.errno != errno.EROFS:
                wrong += 1
        made += 1
    out.append((made, wrong))


def hammer_process(mnt, wid, threads, seconds, kinds, wfd):
    """Child: threads hammer until the deadline; writes (made, wrong) to wfd."""
    deadline = time.monotonic() + seconds
    out = []
    ts = [threading.Thread(target=hammer_thread, args=(mnt, wid, t, deadline, kinds, out))
          for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    made = sum(o[0] for o in out)
    wrong = sum(o[1] for o in out)
    os.write(wfd, struct.pack("QQ", made, wrong))


def start_hammers(mnt, procs, threads, seconds, kinds):
    kids = []
    for wid in range(procs):
        r, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                os.close(r)
                hammer_process(mnt, wid, threads, seconds, kinds, wfd)
            except BaseException as e:
                print(f"hammer {wid}: {e!r}", file=sys.stderr)
                code = 1
            os._exit(code)
        os.close(wfd)
        kids.append((pid, r))
    return kids


def collect_hammers(kids):
    made = wrong = 0
    for pid, r in kids:
        data = os.read(r, 16)
        os.close(r)
        os.waitpid(pid, 0)
        if len(data) != 16:
            raise AssertionError(f"hammer {pid} reported nothing")
        m, w = struct.unpack("QQ", data)
        made += m
        wrong += w
    return made, wrong


def reader_process(path, seconds, wfd):
    """Child: reads path end to end, uncached, until the deadline."""
    deadline = time.monotonic() + seconds
    total = errors = passes = 0
    t0 = time.monotonic()
    while time.monotonic() < deadline:
        try:
            fd = os.open(path, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
            while True:
                b = os.read(fd, 1 << 20)
                if not b:
                    break
                total += len(b)
            os.close(fd)
            passes += 1
        except OSError:
            errors += 1
    elapsed = time.monotonic() - t0
    os.write(wfd, struct.pack("QQQd", total, errors, passes, elapsed))


def start_reader(path, seconds):
    r, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            reader_process(path, seconds, wfd)
        finally:
            os._exit(0)
    os.close(wfd)
    return pid, r


def collect_reader(kid):
    pid, r = kid
    data = os.read(r, 32)
    os.close(r)
    os.waitpid(pid, 0)
    total, errors, passes, elapsed = struct.unpack("QQQd", data)
    return total, errors, passes, elapsed


def flood_once(w, lay, policy, args, queue_len=None):
    name = policy + (f"-q{queue_len}" if queue_len else "")
    mnt = w.path(f"mnt-{name}")
    os.mkdir(mnt)
    log = w.path(f"{name}.log")
    env = {"AMBER_AUDIT_QUEUE_LEN": str(queue_len)} if queue_len else None
    m = w.amberfs([lay], mnt, log=log, opts=[f"log_policy={policy}"] + args.extra, env=env,
                  foreground=True)
    # Warm up so the idle RSS includes the worker threads and caches.
    with open(os.path.join(mnt, "big"), "rb") as f:
        f.read()
    idle = m.rss_kib()
    bound = rss_bound(m.pid)
    kinds = ["mkdir", "open", "mkdir", "chmod", "mkdir", "setxattr"]
    reader = start_reader(os.path.join(mnt, "big"), args.seconds)
    kids = start_hammers(mnt, args.procs, args.threads, args.seconds, kinds)
    peak = idle
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline + 0.5:
        peak = max(peak, m.rss_kib())
        time.sleep(0.05)
    made, wrong = collect_hammers(kids)
    total, rerr, passes, elapsed = collect_reader(reader)
    peak = max(peak, m.rss_kib())
    m.close()
    s = auditlog.Series([log])
    t = s.check_invariant(expected_attempts=made)
    a, sm, lo = s.sums()
    failures = []
    if wrong:
        failures.append(f"{wrong} attempts did not get EROFS")
    if rerr or total == 0:
        failures.append(f"reader: {rerr} errors, {total} bytes")
    if peak - idle > bound:
        failures.append(f"daemon RSS grew {peak - idle} KiB > {bound} KiB")
    print(f"log_policy={name}: {made} attempts in {args.seconds}s by {args.procs}x{args.threads}"
          f" threads; log: {len(s.kind('attempt'))} attempts + {sm} in {len(s.kind('summary'))}"
          f" summaries + {lo} in {len(s.kind('loss'))} loss records = {t['attempts']};"
          f" reader {total / (1 << 20) / max(elapsed, 1e-9):.0f} MiB/s over {passes} passes;"
          f" daemon RSS {idle} -> peak {peak} KiB"
          f" -> {'ok' if not failures else 'FAIL: ' + '; '.join(failures)}")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--opts", default="")
    args = ap.parse_args()
    args.extra = [o for o in args.opts.split(",") if o]
    amber.require()
    failures = []
    with mounts.Workdir(prefix="amber-gate-") as w:
        lay = build_layer(w.tmp)
        for policy in ("block", "drop"):
            failures += flood_once(w, lay, policy, args)
        # A 4-slot queue (AMBER_AUDIT_QUEUE_LEN, a test knob): under drop
        # most attempts overflow it; they must be counted in loss records.
        failures += flood_once(w, lay, "drop", args, queue_len=4)
        failures += flood_once(w, lay, "block", args, queue_len=4)
    if failures:
        print(f"FAILED: {failures}")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
