#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench_log - what the audit log costs under a flood (a measurement, not a test).

Prints, for one amberfs mount with log= on a regular file:
  - reader alone: MiB/s reading a 32 MiB file through the daemon, page cache
    dropped before each pass (posix_fadvise DONTNEED), so every pass is
    served by FUSE;
  - flood alone: refused mkdirs of fresh names (nothing coalesces) from
    P processes x T threads; attempts/s made and records/s written (attempt
    records in the log divided by the span of their timestamps);
  - flood + reader at once: the reader's MiB/s and its slowdown;
  - the same flood with repeats of one write open per thread (coalesced);
  - the flood without log= (gate and FUSE cost only), for comparison.
usage: AMBERFS=build/fs/amberfs bench_log.py [--seconds 5] [--procs 4] [--threads 2]
"""
import argparse
import datetime
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from amber import auditlog as g  # noqa: E402
import test_flood as fl  # noqa: E402


def ts(s):
    d = datetime.datetime.strptime(s[:26] + "Z", "%Y-%m-%dT%H:%M:%S.%fZ")
    return d.timestamp() + int(s[26:29]) / 1e9


def reader_only(path, seconds):
    total, errors, passes, elapsed = fl.collect_reader(fl.start_reader(path, seconds))
    return total / (1 << 20) / elapsed


def flood(mnt, args, kinds, with_reader):
    reader = fl.start_reader(os.path.join(mnt, "big"), args.seconds) if with_reader else None
    t0 = time.monotonic()
    kids = fl.start_hammers(mnt, args.procs, args.threads, args.seconds, kinds)
    made, wrong = fl.collect_hammers(kids)
    elapsed = time.monotonic() - t0
    mib = None
    if reader:
        total, _, _, el = fl.collect_reader(reader)
        mib = total / (1 << 20) / el
    return made, elapsed, mib


def records_per_second(log, since_seq):
    recs = [r for r in g.read_records(log) if r["kind"] == "attempt" and r["seq"] > since_seq]
    if len(recs) < 2:
        return 0.0, len(recs)
    span = ts(recs[-1]["ts"]) - ts(recs[0]["ts"])
    return len(recs) / span if span > 0 else 0.0, len(recs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--opts", default="")
    args = ap.parse_args()
    extra = [o for o in args.opts.split(",") if o]
    g.require_root_fuse()
    with g.Workdir() as w:
        lay = fl.build_layer(w.path)
        mnt = os.path.join(w.path, "mnt")
        os.mkdir(mnt)
        log = os.path.join(w.path, "audit.log")
        m = w.mount([lay], mnt, log=log, opts=extra)
        big = os.path.join(mnt, "big")
        base = reader_only(big, args.seconds)
        print(f"reader alone:                {base:8.0f} MiB/s")

        last = max((r["seq"] for r in g.read_records(log)), default=0)
        made, el, _ = flood(mnt, args, ["mkdir"], False)
        g.wait_until(lambda: records_per_second(log, last)[1] >= made * 0.99, timeout=60,
                     what="the writer to catch up")
        rps, n = records_per_second(log, last)
        print(f"flood alone (mkdir, distinct): {made / el:8.0f} attempts/s made,"
              f" {rps:8.0f} records/s written ({n} records, {args.procs}x{args.threads} threads)")

        last = max(r["seq"] for r in g.read_records(log))
        made, el, mib = flood(mnt, args, ["mkdir"], True)
        print(f"flood + reader:              {mib:8.0f} MiB/s reader"
              f" ({100 * (1 - mib / base):.0f}% slower), {made / el:.0f} attempts/s")

        made, el, mib = flood(mnt, args, ["open"], True)
        print(f"coalesced flood + reader:    {mib:8.0f} MiB/s reader"
              f" ({100 * (1 - mib / base):.0f}% slower), {made / el:.0f} attempts/s")
        m.close()
        s = g.Series([log])
        t = s.check_invariant()
        print(f"log: {len(s.recs)} records, {os.path.getsize(log) / (1 << 20):.1f} MiB,"
              f" totals {t['attempts']} attempts = {t['written']} + {t['summarized']} + {t['lost']},"
              f" chain verified")

        mnt2 = os.path.join(w.path, "mnt-nolog")
        os.mkdir(mnt2)
        m2 = w.mount([lay], mnt2, opts=extra)
        base2 = reader_only(os.path.join(mnt2, "big"), args.seconds)
        made, el, mib = flood(mnt2, args, ["mkdir"], True)
        print(f"no log=: reader alone {base2:.0f} MiB/s; flood + reader {mib:.0f} MiB/s"
              f" ({100 * (1 - mib / base2):.0f}% slower), {made / el:.0f} attempts/s")
        made, el, mib = flood(mnt2, args, ["open"], True)
        print(f"no log=: open flood + reader {mib:.0f} MiB/s"
              f" ({100 * (1 - mib / base2):.0f}% slower), {made / el:.0f} attempts/s")
        m2.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
