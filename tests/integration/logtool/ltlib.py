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
    if p.returncode < 0 or p.returncode > 2:
        fail(f"amber-log {' '.join(args)}: died/rc={p.returncode}\n{err}")
    if "runtime error:" in err or "Sanitizer" in err:
        fail(f"amber-log {' '.join(args)}: sanitizer report\n{err}")
    if check_rc is not None and p.returncode != check_rc:
        fail(f"amber-log {' '.join(args)}: rc={p.returncode}, want {check_rc}\nstdout:\n{out}\nstderr:\n{err}")
    return p.returncode, out, err


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
    return [json.loads(l) for l in text.splitlines() if l.strip()]


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


def umount(mnt):
    if mnt in mounted:
        try:
            subprocess.run(["fusermount3", "-u", mnt], check=False, timeout=30)
        except subprocess.TimeoutExpired:
            fuse_abort(mnt)
        mounted.remove(mnt)


