#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fails when a log_error/log_warning/log_info/log_debug call formats %m.

Those four pass err = 0 to log_full_errno(), which sets errno to 0 before
formatting: their %m prints "Success".  A call that reports an error passes
it explicitly (log_error_errno(r, "...: %m", ...)); see common/log.h.

Every C file of the source tree is read (build directories and .git
skipped), comments removed, and each call's first argument -- its format,
one or more string literals, adjacent ones concatenated, PRIu64-style
macros between them allowed -- is searched for a %m conversion ("%%m" is
none).  Calls spread over several lines are found as well.

tests/unit/common/test_log.c, which makes such calls on purpose to prove
that a debug build aborts on them, is left out.

usage: log_percent_m.py [SRCDIR]   (default: the tree this file is in)
"""
import os
import re
import sys

# The unit test of the debug-build assertion makes such calls on purpose.
EXEMPT = {os.path.join("tests", "unit", "common", "test_log.c")}

CALL = re.compile(r"\blog_(error|warning|info|debug)\s*\(")
CONVERSION = re.compile(r"%([-+ #0']*)(\*|\d+)?(\.(\*|\d+))?(hh|h|ll|l|j|z|t|L)?(.)")


def strip_comments(text):
    """Blanks out comments, keeping string and character literals and the
    line numbers (newlines inside comments stay)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def first_argument_literals(text, pos):
    """The string literals that make up the argument starting at pos (just
    after the call's '('), concatenated; None when it holds none."""
    parts = []
    i, n = pos, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            parts.append(text[i + 1:j])
            i = j + 1
        elif c.isalnum() or c == "_":
            # a macro between literals (PRIu64) stands for a conversion's
            # length and letter: "%" PRIu64 "m" is no %m
            m = re.match(r"\w+", text[i:])
            parts.append("d")
            i += m.end()
        else:
            break  # ',' or ')' ends the argument
    return "".join(parts) if '"' in text[pos:i] else None


def formats_percent_m(fmt):
    i = 0
    while True:
        i = fmt.find("%", i)
        if i < 0:
            return False
        m = CONVERSION.match(fmt, i)
        if not m:
            return False
        if m.group(6) == "m":
            return True
        i = m.end()


def c_files(root):
    for d, subdirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        if rel == ".":
            subdirs[:] = [s for s in subdirs
                          if not s.startswith((".", "build"))]
        subdirs.sort()
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.join(d, f)


def check(root):
    bad, calls = [], 0
    for path in c_files(root):
        if os.path.relpath(path, root) in EXEMPT:
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = strip_comments(f.read())
        for m in CALL.finditer(text):
            calls += 1
            fmt = first_argument_literals(text, m.end())
            if fmt is not None and formats_percent_m(fmt):
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f"{os.path.relpath(path, root)}:{line}: "
                           f"log_{m.group(1)}() with %m prints \"Success\": "
                           f"pass the error (log_*_errno(r, ...)) or drop %m")
    return bad, calls


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    bad, calls = check(root)
    for b in bad:
        print(b)
    print(f"{calls} log_error/log_warning/log_info/log_debug calls, "
          f"{len(bad)} with %m")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
