# SPDX-License-Identifier: MIT
"""amber.amberlog - running amber-log and genlog, and the checks the logtool
tests report through: check() and fail() collect failures, finish() prints
them and ends the test (exit 1 if any)."""
import json
import os
import subprocess
import sys

AMBER_LOG = os.environ.get("AMBER_LOG") or os.path.join(
    os.environ.get("AMBER_BUILDDIR", "build"), "logtool/amber-log")
GENLOG = os.environ.get("GENLOG") or os.path.join(
    os.environ.get("AMBER_BUILDDIR", "build"), "tests/unit/logtool/genlog")

failures = []


def run(*args, input=None, check_rc=None):
    """Runs amber-log; returns (rc, stdout, stderr).  A signal is a failure."""
    p = subprocess.run([AMBER_LOG, *args], input=input, capture_output=True, timeout=300)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    if p.returncode < 0 or p.returncode > 3:  # 3: verify, session still open
        fail(f"amber-log {' '.join(args)}: died/rc={p.returncode}\n{err}")
    if "runtime error:" in err or "Sanitizer" in err:
        fail(f"amber-log {' '.join(args)}: sanitizer report\n{err}")
    if check_rc is not None and p.returncode != check_rc:
        fail(f"amber-log {' '.join(args)}: rc={p.returncode}, want {check_rc}\nstdout:\n{out}\nstderr:\n{err}")
    return p.returncode, out, err


def run_raw(*args):
    """Runs amber-log; returns (rc, stdout bytes, stderr bytes), undecoded."""
    p = subprocess.run([AMBER_LOG, *args], capture_output=True, timeout=300)
    if p.returncode < 0 or p.returncode > 3:
        fail(f"amber-log {' '.join(map(str, args))}: died/rc={p.returncode}\n{p.stderr!r}")
    return p.returncode, p.stdout, p.stderr


# What must never reach a terminal from amber-log's human-readable output:
# C0 controls but newline and tab, DEL, C1 controls, the bidi marks,
# embeddings, overrides and isolates, the line/paragraph separators, and
# bytes that are not UTF-8 (docs/amber-log.md, "Terminal safety").
UNSAFE = (set(range(0x20)) - {0x09, 0x0a}) | set(range(0x7f, 0xa0)) | {0x061c, 0x200e, 0x200f} \
    | set(range(0x2028, 0x202f)) | set(range(0x2066, 0x206a))


def terminal_unsafe(data):
    """None when data is safe to print on a terminal, else what is wrong."""
    try:
        text = data.decode("utf-8")  # strict: no overlong forms, no surrogates
    except UnicodeDecodeError as e:
        return f"bytes that are not UTF-8 at {e.start}: {data[max(0, e.start - 20):e.start + 20]!r}"
    for i, ch in enumerate(text):
        if ord(ch) in UNSAFE:
            return f"U+{ord(ch):04X} at {i}: {text[max(0, i - 20):i + 20]!r}"
    return None


def genlog(path, *args):
    subprocess.run([GENLOG, "-o", path, *args], check=True)


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def expect_in(needle, hay, what):
    check(needle in hay, f"{what}: expected {needle!r} in:\n{hay}")


def lines_of(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")[:-1]


def write_lines(path, lines, final_newline=True):
    with open(path, "wb") as f:
        f.write(b"\n".join(lines) + (b"\n" if final_newline and lines else b""))


def ndjson(text):
    # split on "\n" only: str.splitlines() also splits inside strings that
    # hold U+0085 or U+2028, which JSON leaves as they are
    return [json.loads(l) for l in text.split("\n") if l.strip()]


def finish(name):
    if failures:
        print(f"{name}: {len(failures)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print(f"{name}: ok")
    sys.exit(0)
