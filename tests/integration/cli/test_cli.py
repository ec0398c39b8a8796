#!/usr/bin/env python3
"""amberfs as a command: the ways it is started and stopped.

- daemon mode returns only once the mount answers, and writes the pidfile;
- the mount-helper form (`amberfs SOURCE MNT -o ...`, and /sbin/mount.fuse3
  with amberfs on PATH, which is what `mount -t fuse.amberfs` runs);
- escaped colons in lowerdir, relative layer paths;
- synthdir= directories appear, empty and read-only;
- SIGTERM, SIGINT (foreground), `umount` and `fusermount3 -u` each unmount,
  end the daemon and close the log with a `stop` record;
- the daemon is confined (seccomp filter, no_new_privs);
- nothing stays mounted, whatever happens (every test unmounts in finally).
"""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import amber  # noqa: E402
from amber import auditlog, mounts  # noqa: E402
from amber.mounts import mounted, unmount  # noqa: E402

AMBERFS = os.environ.get("AMBERFS")
FAILURES = []


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    if not cond:
        FAILURES.append(name)


class Stack:
    """Two layers (one with a ':' in its name) and a mountpoint."""

    def __init__(self):
        self.w = mounts.Workdir(prefix="amber-cli-")
        self.dir = self.w.tmp
        self.top = os.path.join(self.dir, "top:layer")
        self.low = os.path.join(self.dir, "low")
        self.mnt = os.path.join(self.dir, "mnt")
        for d in (self.top, self.low, self.mnt, os.path.join(self.low, "etc")):
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(self.top, "hello"), "w") as f:
            f.write("top\n")
        with open(os.path.join(self.low, "etc", "passwd"), "w") as f:
            f.write("root:x:0:0::/root:/bin/sh\n")
        self.lowerdir = self.top.replace(":", "\\:") + ":" + self.low
        self.log = os.path.join(self.dir, "audit.log")
        self.pidfile = os.path.join(self.dir, "pid")

    def start(self, *extra, opts=""):
        o = f"lowerdir={self.lowerdir},log={self.log},pidfile={self.pidfile}" + opts
        r = subprocess.run([AMBERFS, *extra, "-o", o, self.mnt], capture_output=True,
                           text=True, timeout=30)
        if r.returncode == 0:
            self.started()
        return r

    def started(self):
        """A daemon mounted at self.mnt: unmounted and ended in close()."""
        self.w.adopt(self.mnt, self.pid(), fuse=True)

    def pid(self):
        with open(self.pidfile) as f:
            return int(f.read())

    def records(self):
        return auditlog.read_records(self.log)

    def close(self):
        self.w.close()


def test_daemon_ready_and_signals():
    for how in ("SIGTERM", "umount", "fusermount3"):
        s = Stack()
        try:
            r = s.start()
            check(f"{how}: daemon returns 0", r.returncode == 0, r.stderr)
            # Ready on return: the first stat answers, with no retry loop.
            check(f"{how}: mount live on return", os.path.exists(os.path.join(s.mnt, "hello")))
            with open(os.path.join(s.mnt, "hello")) as f:
                check(f"{how}: escaped ':' layer read", f.read() == "top\n")
            try:
                open(os.path.join(s.mnt, "etc", "passwd"), "w")
                check(f"{how}: write refused", False, "open for writing succeeded")
            except OSError as e:
                check(f"{how}: write refused with EROFS", e.errno == 30, str(e))
            pid = s.pid()
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
            check(f"{how}: seccomp filter on", "Seccomp:\t2" in status, status)
            check(f"{how}: no_new_privs", "NoNewPrivs:\t1" in status, status)
            if how == "SIGTERM":
                os.kill(pid, signal.SIGTERM)
            else:
                cmd = ["umount", s.mnt] if how == "umount" else ["fusermount3", "-u", s.mnt]
                subprocess.run(cmd, check=True)
            check(f"{how}: daemon exits", mounts.wait_exit(pid))
            check(f"{how}: nothing mounted after exit", not mounted(s.mnt))
            recs = s.records()
            check(f"{how}: log closed with stop", recs and recs[-1]["kind"] == auditlog.KIND.STOP,
                  str(recs[-1:]))
            attempts = [x for x in recs if x["kind"] == auditlog.KIND.ATTEMPT]
            check(f"{how}: one attempt recorded", len(attempts) == 1
                  and attempts[0]["file"]["path"] == "/etc/passwd", str(attempts))
            check(f"{how}: pidfile removed", not os.path.exists(s.pidfile))
        finally:
            s.close()


def test_foreground_sigint():
    s = Stack()
    p = None
    try:
        o = f"lowerdir={s.lowerdir},log={s.log},pidfile={s.pidfile}"
        p = subprocess.Popen([AMBERFS, "-f", "-o", o, s.mnt], stderr=subprocess.PIPE)
        end = time.time() + 10
        while not os.path.exists(s.pidfile) and time.time() < end:
            time.sleep(0.05)
        check("foreground: mounted", mounted(s.mnt))
        os.listdir(s.mnt)
        p.send_signal(signal.SIGINT)
        rc = p.wait(timeout=10)
        check("foreground: SIGINT exits 0", rc == 0, str(rc))
        check("foreground: nothing mounted", not mounted(s.mnt))
        check("foreground: stop record", s.records()[-1]["kind"] == auditlog.KIND.STOP)
    finally:
        if p and p.poll() is None:
            p.kill()
        s.close()


def test_mount_helper_forms():
    s = Stack()
    try:
        r = s.start("amberfs-src")  # amberfs SOURCE MOUNTPOINT -o ...
        check("helper form: amberfs SOURCE MNT", r.returncode == 0, r.stderr)
        with open("/proc/self/mountinfo") as f:
            line = next((ln for ln in f if ln.split()[4] == s.mnt), "")
        check("helper form: fsname is SOURCE, type fuse.amberfs",
              " fuse.amberfs amberfs-src " in line, line)
        unmount(s.mnt)
        check("helper form: unmounted", not mounted(s.mnt))

        helper = shutil.which("mount.fuse3", path="/sbin:/usr/sbin")
        if not helper:
            print("skip mount.fuse3 (not installed)")
            return
        # What `mount -t fuse.amberfs -o ... amberfs MNT` runs; mount(8)
        # itself resets PATH, so that form needs amberfs installed.
        env = dict(os.environ, PATH=os.path.dirname(AMBERFS) + ":" + os.environ["PATH"])
        r = subprocess.run([helper, "amberfs", s.mnt, "-o",
                            f"lowerdir={s.lowerdir},pidfile={s.pidfile},nosuid,nodev"],
                           env=env, capture_output=True, text=True, timeout=30)
        check("mount.fuse3 amberfs MNT -o lowerdir=...", r.returncode == 0 and mounted(s.mnt),
              f"rc={r.returncode} mounted={mounted(s.mnt)} {r.stdout} {r.stderr}")
        if r.returncode == 0:
            s.started()
            check("mount.fuse3: tree served", os.listdir(s.mnt) == ["etc", "hello"]
                  or sorted(os.listdir(s.mnt)) == ["etc", "hello"])
    finally:
        s.close()


def test_relative_and_synth():
    s = Stack()
    cwd = os.getcwd()
    try:
        os.chdir(s.dir)
        o = "lowerdir=top\\:layer:low,synthdir=/tmp:/data/vol:/etc/extra,pidfile=pid"
        r = subprocess.run([AMBERFS, "-o", o, "mnt"], capture_output=True, text=True, timeout=30)
        check("relative lowerdir and mountpoint", r.returncode == 0, r.stderr)
        if r.returncode:
            return
        s.started()
        names = sorted(os.listdir("mnt"))
        check("synthdir: top-level dirs appear", names == ["data", "etc", "hello", "tmp"], str(names))
        check("synthdir: nested under a synthesized parent", os.listdir("mnt/data") == ["vol"])
        check("synthdir: inside a real dir, merged with it",
              sorted(os.listdir("mnt/etc")) == ["extra", "passwd"])
        st = os.stat("mnt/data/vol")
        check("synthdir: empty directory 0755", os.listdir("mnt/data/vol") == []
              and (st.st_mode & 0o7777) == 0o755)
        try:
            os.mkdir("mnt/tmp/x")
            check("synthdir: read-only", False, "mkdir succeeded")
        except OSError as e:
            check("synthdir: read-only", e.errno == 30, str(e))
    finally:
        os.chdir(cwd)
        s.close()


def main():
    amber.require()
    test_daemon_ready_and_signals()
    test_foreground_sigint()
    test_mount_helper_forms()
    test_relative_and_synth()
    print(f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
