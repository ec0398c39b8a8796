# SPDX-License-Identifier: MIT
"""Shared helpers for the amber-log integration tests (stdlib only)."""
import json
import shutil
import os
import subprocess
import sys
import tempfile

AMBER_LOG = os.environ.get("AMBER_LOG") or os.path.join(
    os.environ.get("AMBER_BUILDDIR", "build"), "fs/logtool/amber-log")
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


def tmpdir():
    return tempfile.mkdtemp(prefix="amber-log-test-")


def finish(name):
    if failures:
        print(f"{name}: {len(failures)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print(f"{name}: ok")
    sys.exit(0)


# ---- real mounts (root, /dev/fuse) ----

AMBERFS = os.environ.get("AMBERFS", "")
mounted = []


def skip_unless_mountable(*tools):
    missing = [t for t in ("fusermount3",) + tools if not shutil.which(t)]
    if os.geteuid() != 0 or not os.path.exists("/dev/fuse") or not os.path.exists(AMBERFS) or missing:
        print(f"skip: needs root, /dev/fuse, $AMBERFS and {', '.join(('fusermount3',) + tools)}")
        sys.exit(77)


def fuse_abort(mnt):
    """Last resort for a daemon that never answers: abort its connection."""
    for line in open("/proc/self/mountinfo"):
        f = line.split()
        if f[4] == mnt:
            minor = f[2].split(":")[1]
            try:
                with open(f"/sys/fs/fuse/connections/{minor}/abort", "w") as a:
                    a.write("1")
            except OSError:
                pass
    subprocess.run(["umount", "-l", mnt], check=False, stderr=subprocess.DEVNULL)


def mount(layers, mnt, log=None, extra=""):
    opts = "lowerdir=" + ":".join(layers) + (f",log={log}" if log else "") + extra
    opts += os.environ.get("LOGTOOL_AMBERFS_OPTS", "")  # e.g. ",noconfine" while debugging
    mounted.append(mnt)
    try:
        subprocess.run([AMBERFS, "-o", opts, mnt], check=True, timeout=30)
    except subprocess.TimeoutExpired:
        fuse_abort(mnt)
        mounted.remove(mnt)
        fail(f"amberfs did not come up within 30 s on {mnt} (aborted the connection)")
        raise


def is_mounted(mnt):
    return any(l.split()[4] == mnt for l in open("/proc/self/mountinfo"))


def umount(mnt):
    if mnt in mounted and not is_mounted(mnt):
        mounted.remove(mnt)  # gone already (a killed daemon's helper unmounts)
    if mnt in mounted:
        try:
            subprocess.run(["fusermount3", "-u", mnt], check=False, timeout=30)
        except subprocess.TimeoutExpired:
            fuse_abort(mnt)
        mounted.remove(mnt)




# ---- the log contract (notes/auditlog.md), checked on what a real writer wrote ----

TS_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$"
ACTIONS = {"open_write", "open_trunc", "create", "mknod", "mkdir", "symlink", "link", "unlink", "rmdir",
           "rename", "chmod", "chown", "truncate", "utimes", "setxattr", "removexattr", "write", "fallocate",
           "copy_file_range", "ioctl"}


def contract_deviations(raw_lines):
    """Returns a list of 'line N: what' for each departure from the contract."""
    import re
    out = []
    for n, raw in enumerate(raw_lines, 1):
        try:
            r = json.loads(raw)
        except ValueError:
            out.append(f"line {n}: not JSON")
            continue
        keys = list(r)
        if keys[:4] != ["v", "seq", "ts", "kind"] or keys[-1] != "prev":
            out.append(f"line {n}: key order {keys[:4]}...{keys[-1]} (want v, seq, ts, kind first, prev last)")
        if not re.match(TS_RE, str(r.get("ts"))):
            out.append(f"line {n}: ts {r.get('ts')!r} is not RFC 3339 UTC with 9 digits")
        if not re.match(r"^[0-9a-f]{32}$", str(r.get("prev"))):
            out.append(f"line {n}: prev is not 32 lowercase hex")
        k = r.get("kind")
        need = {
            "start": ["version", "session", "daemon.pid", "mountpoint", "options.deny_errno",
                      "options.log_policy", "options.log_max_size", "options.log_keep", "options.kernel_ro",
                      "layers"],
            "attempt": ["event.action", "event.outcome", "errno", "errno_name", "file.path", "file.new_path",
                        "file.layer", "args", "process.pid", "process.tid", "user.uid", "user.gid", "count"],
            "summary": ["event.action", "file.path", "process.pid", "count", "first_ts", "last_ts"],
            "loss": ["count", "reason", "seq_first", "seq_last", "first_ts", "last_ts"],
            "rotate": ["reason", "previous_file", "previous_seq"],
            "stop": ["totals.attempts", "totals.written", "totals.summarized", "totals.lost", "totals.records",
                     "totals.by_action", "head"],
        }.get(k)
        if need is None:
            out.append(f"line {n}: unknown kind {k!r}")
            continue
        for f in need:
            o, ok = r, True
            for part in f.split("."):
                if not isinstance(o, dict) or part not in o:
                    ok = False
                    break
                o = o[part]
            if not ok:
                out.append(f"line {n}: {k} lacks {f}")
        if k == "attempt":
            if r["event"].get("action") not in ACTIONS or r["event"].get("outcome") != "denied":
                out.append(f"line {n}: event {r['event']}")
            if r.get("count") != 1:
                out.append(f"line {n}: attempt count {r.get('count')}")
            p = r.get("process", {})
            if "error" not in p:
                for f in ("ppid", "name", "executable", "args", "cwd", "start_time"):
                    if f not in p:
                        out.append(f"line {n}: process lacks {f}")
            for a in r.get("args", {}).get("flags", []) if isinstance(r.get("args"), dict) else []:
                if not str(a).startswith("O_"):
                    out.append(f"line {n}: flag {a!r}")
            if "mode" in r.get("args", {}) and not re.match(r"^0[0-7]{3,}$", str(r["args"]["mode"])):
                out.append(f"line {n}: mode {r['args']['mode']!r} is not an octal string")
            if (r["file"].get("new_path") is not None) != (r["event"].get("action") in ("rename", "link")):
                if r["event"].get("action") != "symlink":
                    out.append(f"line {n}: new_path {r['file'].get('new_path')!r} for {r['event']['action']}")
        if k == "rotate" and r.get("reason") not in ("size", "reopen"):
            out.append(f"line {n}: rotate reason {r.get('reason')!r}")
        if k == "stop" and r.get("head") != r.get("prev"):
            out.append(f"line {n}: stop head != prev")
    return out
