#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""amber-log verify on generated logs: clean logs pass; each fault (flipped
byte, deleted line, reordered pair, truncated tail, missing rotated file)
and each kind of bad input is caught and named with file and line."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from amber import mounts  # noqa: E402
from amber.amberlog import (  # noqa: E402
    check, expect_in, finish, genlog, lines_of, run, write_lines)

wd = mounts.Workdir(prefix="amber-log-test-")
d = wd.tmp
try:
    base = os.path.join(d, "base.log")
    genlog(base, "-n", "40", "--summaries")
    rc, out, _ = run("verify", base, check_rc=0)
    expect_in("OK: 42 records", out, "clean log")
    expect_in("does not rule out a forger", out, "clean log states the limit")
    rc, out, _ = run("verify", "--help", check_rc=0)
    expect_in("What it does NOT prove", out, "verify --help")
    L = lines_of(base)

    def case(name, lines, final_newline=True):
        p = os.path.join(d, name + ".log")
        write_lines(p, lines, final_newline)
        rc, out, _ = run("verify", p, check_rc=1)
        return p, out

    # a flipped byte inside a path: line 12 still parses; line 13 names it
    x = bytearray(L[11]); i = x.index(b'"path":"') + 9; x[i] ^= 0x01
    p, out = case("flip", L[:11] + [bytes(x)] + L[12:])
    expect_in(f"{p}:13: seq 13: chain broken: \"prev\" does not match the bytes of line 12 (seq 12)", out, "flip")
    check(out.count("\n") == 2, f"flip: one finding expected:\n{out}")

    # a flipped byte that breaks the JSON
    x = bytearray(L[11]); x[0] = ord("x")
    p, out = case("flipjson", L[:11] + [bytes(x)] + L[12:])
    expect_in(f"{p}:12: not JSON", out, "flip to non-JSON")
    expect_in(f"{p}:13: seq 13: chain broken", out, "flip to non-JSON")

    # a flipped byte in the prev field of line 20
    x = bytearray(L[19]); i = x.index(b'"prev":"') + 9; x[i] = ord("0") if x[i] != ord("0") else ord("1")
    p, out = case("flipprev", L[:19] + [bytes(x)] + L[20:])
    expect_in(f"{p}:20: seq 20: chain broken", out, "flip in prev")

    # a deleted line
    p, out = case("deleted", L[:9] + L[10:])
    expect_in(f"{p}:10: 1 line(s) deleted before this line: seq 10..10 missing", out, "deleted line")
    check(out.count("\n") == 2, f"deleted: one finding expected:\n{out}")

    # two deleted lines at once
    p, out = case("deleted2", L[:9] + L[11:])
    expect_in(f"{p}:10: 2 line(s) deleted before this line: seq 10..11 missing", out, "deleted lines")

    # a reordered pair
    p, out = case("swapped", L[:14] + [L[15], L[14]] + L[16:])
    expect_in(f"{p}:15: seq 16: lines 15 and 16 are out of order: seq 15 (line 16) was written before seq 16",
              out, "swapped pair")
    check(out.count("\n") == 2, f"swapped: one finding expected:\n{out}")

    # an inserted (duplicated) line
    p, out = case("duplicated", L[:20] + [L[19]] + L[20:])
    expect_in(f"{p}:21: seq 20: seq goes backwards", out, "duplicated line")

    # a truncated tail: cut inside the last line
    p = os.path.join(d, "trunc.log")
    data = b"\n".join(L) + b"\n"
    with open(p, "wb") as f:
        f.write(data[:-50])
    rc, out, _ = run("verify", p, check_rc=1)
    expect_in(f"{p}:42: truncated last line", out, "truncated tail")
    expect_in("does not end with a stop record", out, "truncated tail")

    # a truncated tail cut at a line boundary
    p, out = case("trunc_boundary", L[:30])
    expect_in(f"{p}:30: seq 30: the series does not end with a stop record", out, "tail cut at a line")

    # an unknown schema version, named with file and line
    x = L[5].replace(b'{"v":1,', b'{"v":2,', 1)
    p, out = case("version", L[:5] + [x] + L[6:])
    expect_in(f"{p}:6: unknown schema version \"v\":2", out, "unknown v")

    # a non-JSON line inserted
    p, out = case("garbage", L[:3] + [b"this is not json"] + L[3:])
    expect_in(f"{p}:4: not JSON", out, "garbage line")
    expect_in(f"{p}:4: line 4 does not belong here", out, "garbage line is an insertion")

    # an empty file, a missing file
    p = os.path.join(d, "empty.log"); open(p, "w").close()
    rc, out, _ = run("verify", p, check_rc=1)
    expect_in(f"{p}: empty file", out, "empty file")
    rc, out, _ = run("verify", os.path.join(d, "nope.log"), check_rc=1)
    expect_in("nope.log: cannot read: No such file or directory", out, "missing file")

    # rotated series: clean, a missing middle file, a missing oldest file,
    # files out of order, a file given that does not exist
    r = os.path.join(d, "rot.log")
    genlog(r, "-n", "60", "--rotate-every", "15", "--summaries", "--gap")
    files = [r + ".4", r + ".3", r + ".2", r + ".1", r]
    check(all(os.path.exists(f) for f in files), "genlog made 5 files")
    rc, out, _ = run("verify", *files, check_rc=0)
    expect_in("in 5 file(s)", out, "rotated series")
    rc, out, _ = run("verify", r + ".4", r + ".3", r + ".1", r, check_rc=1)
    expect_in(f"{r}.1:1: seq ", out, "missing rotated file")
    expect_in("a rotated file is missing before this file", out, "missing rotated file")
    expect_in(f"the file given before it, {r}.3, ends at seq", out, "missing rotated file")
    rc, out, _ = run("verify", *files[1:], check_rc=1)
    expect_in(f"{r}.3:1: seq 16: the series starts with a rotate record", out, "missing oldest file")
    rc, out, _ = run("verify", r + ".4", r + ".2", r + ".3", r + ".1", r, check_rc=1)
    expect_in("files out of order", out, "files out of order")
    rc, out, _ = run("verify", r + ".4", r + ".3", r + ".2", r + ".0", r + ".1", r, check_rc=1)
    expect_in(f"{r}.0: cannot read: No such file or directory", out, "nonexistent file in series")

    # two separate series given as one
    rc, out, _ = run("verify", base, r + ".4", check_rc=1)
    expect_in(f"{r}.4:1: seq 1: this file begins a new series", out, "two series")

    # a gap announced by a loss record is fine; an unannounced one is not
    g = os.path.join(d, "gap.log")
    genlog(g, "-n", "30", "--gap")
    run("verify", g, check_rc=0)
    genlog(g, "-n", "30", "--gap", "--no-loss-record")
    rc, out, _ = run("verify", g, check_rc=1)
    expect_in("seq 18..19 (2 records) skipped before this line and no later loss record", out, "unannounced gap")

    # several sessions appended to one file stay chained; a session
    # without stop followed by a new start is named
    s = os.path.join(d, "sessions.log")
    genlog(s, "-n", "5", "--sessions", "3")
    rc, out, _ = run("verify", s, check_rc=0)
    expect_in("3 session(s)", out, "sessions")
finally:
    wd.close()
finish("logtool-verify-faults")
