#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A fuzz-ish corpus: seeded random damage to generated logs (flipped bits,
cut lines, deep nesting, huge numbers, long lines, bad escapes, NULs,
invalid UTF-8, swapped and duplicated lines) fed to every read-only
command.  Each must finish with 0, 1 or 2, never a signal, and the
human-readable ones must print nothing a terminal acts on; run under
ASan/UBSan (meson -Db_sanitize=address,undefined) this is the memory-safety
check of the reader and the scanner.  Usage: fuzz_corpus.py [N] [SEED]."""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from amber import mounts  # noqa: E402
from amber.amberlog import (  # noqa: E402
    check, finish, genlog, lines_of, run, run_raw, terminal_unsafe, write_lines)

n = int(sys.argv[1]) if len(sys.argv) > 1 else 150
rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 4242)

NASTY = [
    b"", b"{", b"}", b"[]", b"null", b'{"v":1}', b'{"v":1,"seq":-5,"ts":"x","kind":"attempt","prev":"0"}',
    b"{" * 5000 + b"}" * 5000, b'{"v":1,"a":' + b"[" * 200 + b"]" * 200 + b"}",
    b'{"v":1,"seq":99999999999999999999999,"ts":"x","kind":"stop","prev":"00"}',
    b'{"v":1,"seq":1,"ts":"x","kind":"attempt","file":{"path":"\\ud800\\udc00\\ud800"},"prev":"x"}',
    b'{"v":1,"seq":1,"ts":"x","kind":"attempt","file":{"path":"\\u0000"},"prev":"x"}',
    b'{"v":1,"seq":1,"ts":"x","kind":"attempt","file":{"path":"\xff\xfe\x80"},"prev":"x"}',
    b'{"v":1,"seq":1,"ts":"2026-99-99T99:99:99Z","kind":"summary","count":-3,"first_ts":5,"prev":"x"}',
    b'{"v":1,"seq":1,"ts":"x","kind":"loss","seq_first":10,"seq_last":2,"count":1,"prev":"x"}',
    b'{"v":1,"seq":1,"ts":"x","kind":"rotate","previous_seq":-1,"prev":"x"}',
    b'{"v":1,"seq":1,"ts":"x","kind":"start","layers":[{"index":-1,"path":5}],"prev":"x"}',
    b'{"v":1,"seq":1,"ts":"x","kind":"attempt","process":{"args":[1,null,{"a":[]}]},"prev":"x"}',
    b'{"v":1,"seq":1,"ts":"x","kind":"attempt","args":{"flags":"O_TRUNC","mode":7},"prev":"x"}',
    b'{"v":1,"seq":2,"ts":"x","kind":"attempt","file":{"path":"' + b"a/" * 40000 + b'"},"prev":"x"}',
    b"\x00\x00\x00", b'{"v":1e0}', b'{"v":1,"x":"\\x"}', b'{"v":1,"x":1.}', b'{"v":1,"x":-}',
]


def damage(lines):
    L = list(lines)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.randrange(8)
        i = rnd.randrange(len(L)) if L else 0
        if not L:
            L.append(rnd.choice(NASTY))
        elif op == 0:
            x = bytearray(L[i])
            if x:
                j = rnd.randrange(len(x))
                x[j] ^= 1 << rnd.randrange(8)
            L[i] = bytes(x)
        elif op == 1:
            L[i] = L[i][: rnd.randrange(len(L[i]) + 1)]
        elif op == 2:
            L.insert(i, rnd.choice(NASTY))
        elif op == 3:
            del L[i]
        elif op == 4 and i + 1 < len(L):
            L[i], L[i + 1] = L[i + 1], L[i]
        elif op == 5:
            L.insert(i, L[i])
        elif op == 6:
            L[i] = L[i].replace(b'"', b"", 1)
        else:
            L[i] = L[i] + bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 20)))
    return L


wd = mounts.Workdir(prefix="amber-log-test-")
d = wd.tmp
try:
    base = os.path.join(d, "base.log")
    genlog(base, "-n", "30", "--summaries", "--gap")
    src = lines_of(base)
    for k in range(n):
        p = os.path.join(d, f"f{k}.log")
        damaged = damage(src)
        final_nl = rnd.random() < 0.8
        write_lines(p, damaged, final_newline=final_nl)
        unchanged = damaged == src and final_nl  # a cut at the full length changes nothing
        for cmd in (["verify"], ["show"], ["show", "--all"], ["summary"], ["tree"]):
            # human-readable: whatever the damage, nothing a terminal acts on
            rc, out, err = run_raw(*cmd, p)
            for name, data in (("stdout", out), ("stderr", err)):
                why = terminal_unsafe(data)
                check(why is None, f"{' '.join(cmd)} f{k}.log: {name} is not terminal-safe: {why}")
            if cmd == ["verify"]:
                check(rc == (0 if unchanged else 1), f"verify: wrong verdict on f{k}.log (unchanged={unchanged})")
        for cmd in (["show", "--json", "--path", "/etc/*"], ["export", "--format", "ecs"],
                    ["export", "--format", "ocsf"]):
            run(*cmd, p)
        os.unlink(p)
finally:
    wd.close()
finish("logtool-fuzz-corpus")
