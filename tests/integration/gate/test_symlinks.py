#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_symlinks - root's amberfs never writes through a user's planted file.

As root, with the machine's fs.protected_symlinks as it is (it may be 0), an
unprivileged user (uid 65534) plants names in a sticky, world-writable
directory (mkdtemp'd, mode 1777) where root's amberfs is told to put its log
or pidfile.  Root-only files (0600) elsewhere are the targets.  In every case
the targets must stay byte for byte, mode and mtime unchanged:
  1. log=DIR/audit.log, a symlink to a target: amberfs refuses to start, with
     one message naming the path.
  2. log= a FIFO of the user's: refused at once (no hang).
  3. log= a regular file of the user's: refused (records of root's daemon in
     a file the user controls would be worthless).
  4. log= a hard link to a root-only file (what fs.protected_hardlinks=0
     would let a user make; made here by root): refused.
  5. pidfile=DIR/pid, a symlink to a target: the mount comes up, DIR/pid is
     now a regular file of root's holding the daemon's pid, removed at
     unmount (with log= and without it).
  6. Rotation (log_max_size=4096, log_keep=2) with DIR/audit.log.1 and .2
     planted as symlinks to targets: rotation replaces the links.
  7. SIGHUP after the log was moved away and a symlink planted under its
     name: the daemon refuses the link (one warning), writes on into the
     file it has open, and the target stays.
"""
import os
import signal
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import amber  # noqa: E402
from amber import auditlog, mounts, users  # noqa: E402

def make_target(w, name):
    p = w.path(name)
    with open(p, "wb") as f:
        f.write(f"root only: {name}\n".encode())
    os.chmod(p, 0o600)
    return p


def fingerprint(p):
    st = os.lstat(p)
    with open(p, "rb") as f:
        return (f.read(), st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns, st.st_nlink)


def run_amberfs(lay, mnt, opts):
    """amberfs -f that is expected to refuse to start: (returncode, stderr)."""
    try:
        p = subprocess.run([amber.amberfs(), "-f", "-o",
                            ",".join(["lowerdir=" + lay] + opts), mnt],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=15)
    except subprocess.TimeoutExpired:
        subprocess.run(["fusermount3", "-uz", mnt], stderr=subprocess.DEVNULL)
        return None, "timed out (blocked on the planted file?)"
    if mounts.mounted(mnt):
        subprocess.run(["fusermount3", "-uz", mnt], stderr=subprocess.DEVNULL)
    return p.returncode, p.stderr.decode(errors="replace")


def refused_start(w, lay, mnt, log, label):
    rc, err = run_amberfs(lay, mnt, [f"log={log}"])
    if rc == 0 or rc is None or log not in err:
        return [f"{label}: amberfs exited {rc}, stderr {err!r} (want a refusal naming {log})"]
    print(f"{label}: refused: {err.strip()}")
    return []


def mkdirs(mnt, prefix, n):
    for i in range(n):
        try:
            os.mkdir(os.path.join(mnt, f"{prefix}{i}"))
        except OSError:
            pass


def pidfile_and_rotation(w, lay, mnt, log, pidfile):
    failures = []
    m = w.amberfs([lay], mnt, log=log, workdir=w.tmp, pidfile=pidfile,
                  opts=["log_max_size=4096", "log_keep=2"], foreground=True)
    st = os.lstat(pidfile)
    with open(pidfile) as f:
        content = f.read()
    if not stat.S_ISREG(st.st_mode) or st.st_uid != 0 or content != f"{m.pid}\n":
        failures.append(f"pidfile: mode {oct(st.st_mode)} uid {st.st_uid} content {content!r}")
    mkdirs(mnt, "rot", 80)  # several rotations
    rc = m.close()
    if rc != 0:
        failures.append(f"amberfs exited {rc}: {m.stderr()}")
    if os.path.lexists(pidfile):
        failures.append("the pidfile outlived the daemon")
    for n in (".1", ".2"):
        if not os.path.isfile(log + n) or os.path.islink(log + n):
            failures.append(f"{log + n} is not a regular file after rotation")
    print(f"pidfile and rotation: {m.stderr().strip()}")
    return failures


def pidfile_only(w, lay, mnt, pidfile):
    """No log=: the confined daemon still replaces the link and removes its file."""
    failures = []
    m = w.amberfs([lay], mnt, workdir=w.tmp, pidfile=pidfile, foreground=True)
    if os.path.islink(pidfile):
        failures.append("pidfile without log=: still the planted link")
    rc = m.close()
    if rc != 0:
        failures.append(f"amberfs exited {rc}: {m.stderr()}")
    if os.path.lexists(pidfile):
        failures.append("pidfile without log=: it outlived the daemon")
    return failures


def sighup(w, lay, mnt, log, target):
    failures = []
    m = w.amberfs([lay], mnt, log=log, workdir=w.tmp, foreground=True)
    mkdirs(mnt, "a", 3)
    amber.wait_until(lambda: sum(r["kind"] == "attempt" for r in auditlog.read_records(log)) == 3,
                     what="3 attempts in the log")
    os.rename(log, log + ".moved")
    users.as_user(users.NOBODY, os.symlink, target, log)
    os.kill(m.pid, signal.SIGHUP)
    amber.wait_until(lambda: "Refusing to write the audit log" in m.stderr(),
                     what="the refusal of the planted log")
    mkdirs(mnt, "b", 5)
    rc = m.close()
    if rc != 0:
        failures.append(f"amberfs exited {rc}: {m.stderr()}")
    if not os.path.islink(log):
        failures.append(f"{log} is no longer the planted link")
    print(f"SIGHUP: {m.stderr().strip()}")
    return failures


def main():
    amber.require()
    print(f"fs.protected_symlinks = {open('/proc/sys/fs/protected_symlinks').read().strip()}")
    failures = []
    with mounts.Workdir(prefix="amber-gate-") as w:
        lay = w.path("layer")
        os.mkdir(lay)
        mnt = w.path("mnt")
        os.mkdir(mnt)
        sticky = tempfile.mkdtemp(prefix="sticky-", dir=w.tmp)
        os.chmod(sticky, 0o1777)
        targets = {n: make_target(w, n) for n in ("t_log", "t_pid", "t_rot1", "t_rot2", "t_hup")}
        before = {n: fingerprint(p) for n, p in targets.items()}

        # 1. a symlink under the log's name
        log = os.path.join(sticky, "audit.log")
        users.as_user(users.NOBODY, os.symlink, targets["t_log"], log)
        failures += refused_start(w, lay, mnt, log, "log symlink")
        os.unlink(log)

        # 2. a FIFO, 3. a file of the user's
        users.as_user(users.NOBODY, os.mkfifo, log, 0o666)
        failures += refused_start(w, lay, mnt, log, "log FIFO")
        os.unlink(log)
        users.as_user(users.NOBODY, lambda p: open(p, "w").close(), log)
        failures += refused_start(w, lay, mnt, log, "log of another user")
        os.unlink(log)

        # 4. a hard link to a root-only file
        os.link(targets["t_log"], log)
        failures += refused_start(w, lay, mnt, log, "log hard link")
        os.unlink(log)

        # 5. the pidfile, 6. rotated files
        pidfile = os.path.join(sticky, "amberfs.pid")
        users.as_user(users.NOBODY, os.symlink, targets["t_pid"], pidfile)
        users.as_user(users.NOBODY, os.symlink, targets["t_rot1"], log + ".1")
        users.as_user(users.NOBODY, os.symlink, targets["t_rot2"], log + ".2")
        try:
            failures += pidfile_and_rotation(w, lay, mnt, log, pidfile)
        except (RuntimeError, AssertionError) as e:
            failures.append(f"pidfile and rotation: {e}")

        for f in os.listdir(sticky):
            os.unlink(os.path.join(sticky, f))
        users.as_user(users.NOBODY, os.symlink, targets["t_pid"], pidfile)
        try:
            failures += pidfile_only(w, lay, mnt, pidfile)
        except (RuntimeError, AssertionError) as e:
            failures.append(f"pidfile without log=: {e}")

        # 7. SIGHUP (no rotation racing the rename)
        for f in os.listdir(sticky):
            os.unlink(os.path.join(sticky, f))
        try:
            failures += sighup(w, lay, mnt, log, targets["t_hup"])
        except (RuntimeError, AssertionError) as e:
            failures.append(f"SIGHUP: {e}")

        after = {n: fingerprint(p) for n, p in targets.items()}
        for n in targets:
            if before[n] != after[n]:
                failures.append(f"{n} changed: {before[n]} -> {after[n]}")
    if failures:
        print(f"FAILED: {failures}")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
