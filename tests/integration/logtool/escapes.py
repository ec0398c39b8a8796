#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Terminal safety: a log whose process names, executables, argv, paths,
arguments, timestamps and rotate records hold escape sequences, C1
controls, bidi overrides and bytes that are not UTF-8 is read by every
human-readable command (show, show --all, tree, summary, replay, verify,
and the warnings on stderr).  Nothing that a terminal acts on may come out;
each such character is shown escaped, a name that is not UTF-8 as \\xNN
escapes of its exact bytes (file.path_hex), and the width-limited COMM
column is cut between escapes, never inside one.  No mount needed."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from amber import mounts  # noqa: E402
from amber.amberlog import (  # noqa: E402
    check, expect_in, finish, genlog, lines_of, ndjson, run, run_raw, terminal_unsafe, write_lines)

ESC_NAME = b"\x1b[2J\x1b[1;1Hgotcha"          # clears the screen, homes the cursor
C1_EXE = b"/bin/\xc2\x9b" b"2Jsh"                  # U+009B CSI
BIDI_NAME = b"ab\xe2\x80\xaecd"                   # U+202E RIGHT-TO-LEFT OVERRIDE
BAD_PATH = b"/etc/pa\xff\xfess"                   # not UTF-8: path_hex in the log
OSC_PATH = b"/b\x1b]0;pwned\x07"                  # sets the window title
BIDI_PATH = b"/a\xe2\x80\xaetxt.exe"
C1_DST = b"/dst\xc2\x85x"                         # U+0085 NEL
ISO_PATH = b"/iso\xe2\x81\xa6x\xe2\x81\xa9\xe2\x80\x8f\xd8\x9c"
NEW_BAD = b"/new\xff\x1b[2J"

C1_BIDI = {0x061c, 0x200e, 0x200f} | set(range(0x80, 0xa0)) | set(range(0x2028, 0x202f)) | set(range(0x2066, 0x206a))


def esc_units(b):
    """The escaper's rules (docs/amber-log.md), one string per unit."""
    units, i = [], 0
    while i < len(b):
        ch = None
        for k in (1, 2, 3, 4):
            try:
                ch = b[i:i + k].decode("utf-8")
                break
            except UnicodeDecodeError:
                pass
        if ch is None:
            units.append(f"\\x{b[i]:02x}")
            i += 1
            continue
        i += len(ch.encode())
        c = ord(ch)
        if ch == "\\":
            units.append("\\\\")
        elif ch in "\n\t\r":
            units.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[ch])
        elif c < 0x20 or c == 0x7f:
            units.append(f"\\x{c:02x}")
        elif c in C1_BIDI:
            units.append(f"\\u{c:04x}")
        else:
            units.append(ch)
    return units


def esc(b):
    return "".join(esc_units(b))


def column(b, width):
    out, used = "", 0
    for u in esc_units(b):
        w = 1 if ord(u[0]) >= 0x80 else len(u)
        if used + w > width:
            break
        out += u
        used += w
    return out + " " * (width - used)


def safe(what, rc, out, err):
    for name, data in (("stdout", out), ("stderr", err)):
        why = terminal_unsafe(data)
        check(why is None, f"{what}: {name} is not terminal-safe: {why}")
    return out.decode("utf-8", errors="replace"), err.decode("utf-8", errors="replace")


wd = mounts.Workdir(prefix="amber-log-test-")
d = wd.tmp
try:
    ev = os.path.join(d, "events.txt")
    with open(ev, "wb") as f:
        for line in (
            b"100 1 0 " + ESC_NAME + b" " + C1_EXE + b" open_write " + BAD_PATH + b' - {"flags":["O_WRONLY"]}',
            b"101 100 0 " + BIDI_NAME + b" /usr/bin/mv rename " + BIDI_PATH + b" " + C1_DST + b" -",
            b"101 100 0 " + BIDI_NAME + b" /usr/bin/x mkdir " + OSC_PATH + b' - {"mode":"0755"}',
            b"102 100 0 sh /bin/sh setxattr " + ISO_PATH + b' - {"name":"user.\\u001b[31mred","\\u009b1m":"k"}',
            b"102 100 0 sh /bin/sh create " + NEW_BAD + b' - {"mode":"0644"}',
            b"102 100 0 sh /bin/sh symlink /lnk - " + b'{"target":"\\u001b]0;pwned\\u0007"}',
        ):
            f.write(line + b"\n")
    log = os.path.join(d, "h.log")
    genlog(log, "-e", ev)
    run("verify", log, check_rc=0)
    raw = lines_of(log)
    check(b'"path_hex":"2f6574632f7061fffe7373"' in raw[1], "genlog writes path_hex for a name that is not UTF-8")

    # show: every field escaped, the bad path as its exact bytes
    out, err = safe("show", *run_raw("show", log))
    expect_in(esc(BAD_PATH), out, "show: a path that is not UTF-8 as \\xNN of its bytes")
    check("\ufffd" not in out, "show: no U+FFFD for a path that has path_hex")
    for b in (OSC_PATH, BIDI_PATH, C1_DST, ISO_PATH):
        expect_in(esc(b), out, "show: path escaped")
    expect_in("user.\\x1b[31mred", out, "show: an argument value escaped")
    expect_in(" \\u009b1m=k", out, "show: an argument name escaped")
    expect_in("target=\\x1b]0;pwned\\x07", out, "show: the symlink target escaped")
    rows = out.splitlines()
    # COMM is the 15 columns after "SEQ TIME PID "; cut between escapes
    comm = {r.split()[0]: r[41:56] for r in rows[1:]}
    check(comm.get("2") == column(ESC_NAME, 15), f"show: COMM column {comm.get('2')!r}, want {column(ESC_NAME, 15)!r}")
    check(comm.get("3") == column(BIDI_NAME, 15), f"show: COMM column {comm.get('3')!r}")
    check(rows[1][56] == " " and rows[1][57:58] == "0", f"show: the columns after COMM stay in place: {rows[1]!r}")
    safe("show --all", *run_raw("show", "--all", log))
    rc, out, _ = run_raw("show", "--path", BAD_PATH, "--json", log)
    check(len(ndjson(out.decode())) == 1, "show --path matches the exact bytes of a name that is not UTF-8")

    # tree: names, executables, argv, paths
    out, _ = safe("tree", *run_raw("tree", log))
    expect_in(esc(ESC_NAME) + " (" + esc(C1_EXE) + ")", out, "tree: name and executable escaped")
    expect_in(esc(BIDI_PATH) + " -> " + esc(C1_DST), out, "tree: rename escaped")
    expect_in(esc(BAD_PATH), out, "tree: exact bytes")
    rc, out, _ = run_raw("tree", "--json", log)
    trees = ndjson(out.decode("utf-8"))  # strict: the JSON stays UTF-8
    acts = [a for t in trees for a in t["attempts"]]
    bad = [a for a in acts if a["path"] == "/etc/pa\ufffd\ufffdss"]
    check(len(bad) == 1 and bad[0].get("path_hex") == BAD_PATH.hex(), f"tree --json: path_hex of the bad name: {bad}")

    # summary: keys and timestamps
    out, _ = safe("summary", *run_raw("summary", "--top", "0", log))
    for b in (BAD_PATH, OSC_PATH, C1_DST, C1_EXE):
        expect_in(esc(b), out, "summary: key escaped")
    rc, out, _ = run_raw("summary", "--json", "--top", "0", log)
    keys = {(r["by"], r["key"]): r for r in ndjson(out.decode("utf-8"))}
    k = keys.get(("path", "/etc/pa\ufffd\ufffdss"), {})
    check(k.get("key_hex") == BAD_PATH.hex(), f"summary --json: key_hex of the bad name: {k}")

    # a hostile timestamp and rotate record (a log anyone may have edited)
    evil = os.path.join(d, "evil.log")
    L = list(raw)
    L[2] = L[2].replace(b'"ts":"', b'"ts":"\\u001b[2J\xc2\x9b', 1)
    L.insert(3, b'{"v":1,"seq":4,"ts":"x","kind":"rotate","reason":"\\u001b[5m","previous_file":"\xe2\x80\xae/x",'
                b'"previous_seq":3,"prev":"\\u001b[1m"}')
    L.insert(4, b'{"v":"\xc2\x9b' b'2J\xe2\x80\xae","seq":5}')
    write_lines(evil, L)
    for cmd in (["show", "--all"], ["summary"], ["tree"], ["verify"]):
        out, err = safe(f"{cmd[0]} on an edited log", *run_raw(*cmd, evil))
    expect_in("\\u009b2J\\u202e", out + err, "verify: the quoted bad \"v\" escaped")
    _, err = safe("show warnings", *run_raw("show", evil))
    expect_in("unknown schema version", err, "show names the bad line on stderr")

    # verify: a file name and a previous_file that hold escapes
    rot = os.path.join(d, "r\x1b[2J.log")
    genlog(rot, "-n", "20", "--rotate-every", "8")
    out, _ = safe("verify of a trimmed series", *run_raw("verify", rot + ".1", rot))
    expect_in("r\\x1b[2J.log", out, "verify: file names escaped")

    # replay: the change set and the failures; the exact bytes are the name
    # (--copy: no mount, no root needed)
    view = os.path.join(d, "view")
    os.makedirs(os.path.join(view, "etc"))
    with open(os.path.join(view.encode(), BIDI_PATH.lstrip(b"/")), "w") as f:
        f.write("x\n")
    out, err = safe("replay", *run_raw("replay", "--onto", os.path.join(d, "r1"), "--copy", "--layers", view, log))
    merged = os.path.join(d, "r1", "merged").encode()
    check(os.path.exists(os.path.join(merged, NEW_BAD.lstrip(b"/"))), "replay: created under the exact bytes")
    check(os.path.exists(os.path.join(merged, C1_DST.lstrip(b"/"))), "replay: renamed to the exact bytes")
    expect_in(esc(NEW_BAD), out, "replay: created path escaped")
    expect_in(esc(C1_DST) + "  (from " + esc(BIDI_PATH) + ")", out, "replay: rename escaped")
    expect_in("-> \\x1b]0;pwned\\x07", out, "replay: symlink target escaped")
    expect_in(esc(BAD_PATH), out, "replay: a failure escaped")
    rc, out, _ = run_raw("replay", "--onto", os.path.join(d, "r2"), "--copy", "--layers", view, "--json", log)
    objs = ndjson(out.decode("utf-8"))
    made = [o for o in objs if o.get("path_hex") == NEW_BAD.hex()]
    check(len(made) == 1 and made[0]["changes"] == ["created"], f"replay --json: path_hex: {objs}")
finally:
    wd.close()
finish("logtool-escapes")
