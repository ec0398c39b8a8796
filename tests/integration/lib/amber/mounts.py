# SPDX-License-Identifier: MIT
"""amber.mounts - mounts that are always undone.

Every mount goes through a Workdir, used as a context manager: on exit
(success, failure, timeout or SIGTERM) it unmounts everything made in it,
newest first, ends the amberfs daemons it started by pid, and removes the
directory, never across a mount that is still there.  With deadline= a
watchdog aborts the FUSE connections below it when time is up: a hung
daemon blocks the test's syscalls where no signal reaches them.

Workdir.amberfs() starts amberfs in one of two ways:
  daemon mode (the default): `amberfs -o ... MNT` returns once the mount
    answers; the daemon's pid comes from -o pidfile=;
  foreground=True: `amberfs -f` as our child, its stderr in a file
    (Mount.stderr()), its exit status returned by Mount.close(); with a
    log, the mount is handed out once the log holds the start record.
The pidfile and the stderr file go next to the log (or the mountpoint)
unless told otherwise: a confined daemon may write only there.

Layer paths (str or bytes) are escaped for lowerdir= (':' and '\\').
"""
import os
import signal
import subprocess
import tempfile
import threading
import time

import amber
from amber import auditlog


class MountError(RuntimeError):
    pass


def escape_layer(path):
    """Escape ':' and '\\' in one lowerdir element (str or bytes)."""
    if isinstance(path, str):
        return path.replace("\\", "\\\\").replace(":", "\\:")
    return path.replace(b"\\", b"\\\\").replace(b":", b"\\:")


def lowerdir(layers):
    """The value of lowerdir= for layers, top first (bytes)."""
    return b":".join(escape_layer(os.fsencode(x)) for x in layers)


def _canon(path):
    """Absolute path without touching the filesystem: stat'ing a mountpoint
    whose daemon hangs would hang us too.  Temp dirs are realpath'ed when
    created, so no symlink is left to resolve."""
    return os.path.normpath(os.path.abspath(os.fsencode(path)))


def _unescape(field):
    return field.replace(b"\\040", b" ").replace(b"\\011", b"\t") \
        .replace(b"\\012", b"\n").replace(b"\\134", b"\\")


def mount_info(path):
    """(fstype, 'major:minor') of the last mount at path, or None."""
    want, found = _canon(path), None
    with open("/proc/self/mountinfo", "rb") as f:
        for line in f:
            fields = line.split(b" ")
            if _unescape(fields[4]) == want:
                found = (fields[fields.index(b"-") + 1].decode(), fields[2].decode())
    return found


def mounted(path):
    """Is path (str or bytes) a mount point in /proc/self/mountinfo?"""
    return mount_info(path) is not None


def mounts_under(prefix):
    """Mount points below prefix (a str), for clean-up and leak checks."""
    out = []
    with open("/proc/self/mountinfo", "rb") as f:
        for line in f:
            mp = os.fsdecode(_unescape(line.split(b" ")[4]))
            if mp.startswith(prefix.rstrip("/") + "/"):
                out.append(mp)
    return out


def alive(pid):
    """Is pid running (a zombie waiting for its reaper counts as gone)?"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_exit(pid, timeout=10.0):
    """Whether pid is gone within timeout seconds."""
    end = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def _is_amberfs(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return b"amberfs" in f.read().split(b"\0")[0]
    except OSError:
        return False


def end_daemon(pid):
    """A daemon exits once unmounted: wait 5 s, then TERM, then KILL (only
    while the pid is still an amberfs: pids are reused)."""
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        if sig and alive(pid) and _is_amberfs(pid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        if wait_exit(pid, 5):
            return


def abort_fuse(path):
    """Abort the FUSE connection of the mount at path: every request
    blocked on a hung daemon fails at once with ENOTCONN."""
    info = mount_info(path)
    if not info or not info[0].startswith("fuse"):
        return
    minor = info[1].split(":")[1]
    try:
        with open("/sys/fs/fuse/connections/%s/abort" % minor, "w") as f:
            f.write("1")
        print("aborted the FUSE connection of %s" % os.fsdecode(path))
    except OSError:
        pass


def unmount(mnt, pid=None, fuse=True):
    """Unmounts mnt if it is mounted (fusermount3 -u, or umount for a
    kernel file system), aborting a FUSE connection that does not let go
    and detaching as a last resort; then ends the daemon pid."""
    if mounted(mnt):
        cmd = ["fusermount3", "-u", mnt] if fuse else ["umount", mnt]
        try:
            ok = subprocess.run(cmd, capture_output=True, timeout=60).returncode == 0
        except subprocess.TimeoutExpired:
            ok = False
        if not ok and mounted(mnt):
            abort_fuse(mnt)
            subprocess.run(["umount", "-l", mnt], capture_output=True, timeout=60)
    if pid:
        end_daemon(pid)


def _read_pid(pidfile):
    try:
        with open(pidfile) as f:
            return int(f.read().strip() or 0) or None
    except (OSError, ValueError):
        return None


class Mount:
    """One mount of a Workdir.  For amberfs: pid (the daemon), log, pidfile;
    in foreground mode also proc (our child) and its stderr."""

    def __init__(self, mnt, kind, pid=None, proc=None, errpath=None, log=None, pidfile=None,
                 stderr=""):
        self.mnt, self.kind, self.pid, self.proc = os.fsdecode(mnt), kind, pid, proc
        self.errpath, self.log, self.pidfile = errpath, log, pidfile
        self.err = open(errpath, "wb") if errpath else None
        self._stderr = stderr
        self.closed = False

    def stderr(self):
        """What the daemon wrote on stderr (daemon mode: until it returned)."""
        if not self.errpath:
            return self._stderr
        with open(self.errpath, "rb") as f:
            return f.read().decode(errors="replace")

    def rss_kib(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def close(self):
        """Unmounts (so the daemon flushes its log and exits) and waits for
        the daemon; returns its exit status in foreground mode."""
        if not self.proc:
            if not self.closed:  # once: the pid may be reused afterwards
                self.closed = True
                unmount(self.mnt, self.pid, fuse=self.kind == "fuse")
            return None
        self.closed = True
        if self.proc.poll() is None:
            try:
                subprocess.run(["fusermount3", "-u", self.mnt], stderr=subprocess.DEVNULL, timeout=60)
            except subprocess.TimeoutExpired:
                abort_fuse(self.mnt)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                subprocess.run(["fusermount3", "-uz", self.mnt], stderr=subprocess.DEVNULL)
        if mounted(self.mnt):
            subprocess.run(["umount", "-l", self.mnt], stderr=subprocess.DEVNULL)
        if self.err and not self.err.closed:
            self.err.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Workdir:
    """A temporary directory (0755: other users reach mounts below it) that
    owns every mount made in it."""

    def __init__(self, prefix="amber-test-", keep=False, deadline=None):
        self.tmp = os.path.realpath(tempfile.mkdtemp(prefix=prefix))
        os.chmod(self.tmp, 0o755)
        self.keep = keep
        self.mounts = []
        self.done = threading.Event()
        if deadline:
            threading.Thread(target=self._watchdog, args=(deadline,), daemon=True).start()

    def _watchdog(self, seconds):
        if self.done.wait(seconds):
            return
        print("watchdog: %d s elapsed, aborting FUSE mounts under %s" % (seconds, self.tmp))
        for mp in mounts_under(self.tmp):
            abort_fuse(mp)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def adopt(self, mnt, pid=None, fuse=False):
        """A mount the test made itself: undone with the others."""
        m = Mount(mnt, "fuse" if fuse else "other", pid=pid)
        self.mounts.append(m)
        return m

    def kernel(self, lowerdirs, cwd, mnt):
        """Kernel overlayfs; lowerdirs are names relative to cwd, top first
        (short relative names keep the option under one page)."""
        os.makedirs(mnt, exist_ok=True)
        lower = list(lowerdirs)
        if len(lower) == 1:  # kernel overlayfs needs >= 2 lower layers
            os.makedirs(os.path.join(cwd, b".empty-bottom"), exist_ok=True)
            lower.append(b".empty-bottom")
        r = subprocess.run([b"mount", b"-t", b"overlay", b"overlay", b"-o", b"lowerdir=" + lowerdir(lower),
                            os.fsencode(mnt)], cwd=cwd, capture_output=True, timeout=120)
        if r.returncode != 0:
            raise MountError("kernel overlayfs mount failed: %s" % r.stderr.decode(errors="replace").strip())
        return self.adopt(mnt)

    def amberfs(self, layers, mnt, log=None, opts=(), *, foreground=False, cwd=None, env=None,
                pidfile=None, workdir=None, timeout=None):
        """Mounts layers (top first; relative to cwd if relative) at mnt,
        with log= and the given -o options.  A pidfile= given is the
        caller's (it may hold a planted link) and is left as it is."""
        mnt = os.fsdecode(mnt)
        os.makedirs(mnt, exist_ok=True)
        workdir = workdir or os.path.dirname(os.fsdecode(log) if log else mnt)
        if not pidfile:
            pidfile = os.path.join(workdir, "pid." + os.path.basename(mnt))
            if os.path.lexists(pidfile):
                os.unlink(pidfile)
        o = [b"lowerdir=" + lowerdir(layers)] + ([b"log=" + os.fsencode(log)] if log else [])
        o += [os.fsencode(x) for x in opts] + [b"pidfile=" + os.fsencode(pidfile)]
        argv = [os.fsencode(amber.amberfs())] + ([b"-f"] if foreground else []) + \
            [b"-o", b",".join(o), os.fsencode(mnt)]
        env = dict(os.environ, **(env or {}))
        if foreground:
            return self._foreground(argv, mnt, log, pidfile, workdir, cwd, env, timeout or 20)
        try:
            r = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, timeout=timeout or 120)
        except subprocess.TimeoutExpired:
            self.adopt(mnt, _read_pid(pidfile), fuse=True)
            raise MountError("amberfs did not return within %d s" % (timeout or 120))
        except BaseException:
            # Interrupted (SIGTERM) while amberfs was starting: its daemon
            # may still be mounting after the scan close() makes, so wait
            # for it here and own what it mounts.
            self._adopt_late(mnt, pidfile)
            raise
        err = r.stderr.decode(errors="replace")
        m = Mount(mnt, "fuse", pid=_read_pid(pidfile), log=log, pidfile=pidfile, stderr=err)
        self.mounts.append(m)
        if r.returncode != 0 or not mounted(mnt):
            raise MountError("amberfs failed (exit %d): %s" % (r.returncode, err.strip()))
        return m

    def _adopt_late(self, mnt, pidfile, seconds=5):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if mounted(mnt):
                self.adopt(mnt, _read_pid(pidfile), fuse=True)
                return
            time.sleep(0.05)

    def _foreground(self, argv, mnt, log, pidfile, workdir, cwd, env, timeout):
        errpath = os.path.join(workdir, "stderr." + os.path.basename(mnt))
        m = Mount(mnt, "fuse", errpath=errpath, log=log, pidfile=pidfile)
        m.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=m.err)
        m.pid = m.proc.pid
        self.mounts.append(m)
        deadline = time.monotonic() + timeout
        # The daemon's own pidfile: a regular file (not a link planted there)
        while not (os.path.isfile(pidfile) and not os.path.islink(pidfile)):
            if m.proc.poll() is not None:
                m.close()
                raise MountError(f"amberfs exited {m.proc.returncode}: {m.stderr()}")
            if time.monotonic() > deadline:
                m.close()
                raise MountError("amberfs did not come up")
            time.sleep(0.02)
        # The daemon writes its pidfile before the log's start record: wait
        # for that too, so a test that fills the disk next cannot race it.
        while log and not any(r["kind"] == auditlog.KIND.START for r in auditlog.read_records(log)[-1:]) \
                and m.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        return m

    def umount(self, m):
        """Undoes one mount (a Mount, or every mount at a path) now."""
        rc = None
        match = (lambda x: x is m) if isinstance(m, Mount) else (lambda x: x.mnt == os.fsdecode(m))
        for x in [x for x in self.mounts if match(x)]:
            self.mounts.remove(x)
            rc = x.close()
        return rc

    def umount_all(self):
        for m in reversed(list(self.mounts)):
            self.umount(m)

    def close(self):
        self.done.set()
        known = {m.mnt for m in self.mounts if not m.closed}
        for mp in mounts_under(self.tmp):  # e.g. a mount that hung
            if mp not in known:
                info = mount_info(mp)
                fuse = bool(info) and info[0].startswith("fuse")
                self.adopt(mp, self._find_daemon(mp) if fuse else None, fuse=fuse)
        for m in reversed(self.mounts):
            if m.closed:
                continue
            try:
                m.close()
            except Exception as e:  # keep cleaning up the others
                print("cleanup of %s failed: %s" % (m.mnt, e))
        self.mounts = []
        left = mounts_under(self.tmp)
        if left:  # never rm -rf across a mount
            print("still mounted, not removing %s: %r" % (self.tmp, left))
        elif not self.keep:
            subprocess.run(["rm", "-rf", "--one-file-system", self.tmp], check=False)
        else:
            print("kept: " + self.tmp)

    @staticmethod
    def _find_daemon(mnt):
        """PID of the amberfs serving mnt when no pidfile was written: the
        process whose command line ends with this (unique, temporary)
        mountpoint."""
        want = os.fsencode(mnt)
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if len(argv) > 1 and argv[-2] == want and b"amberfs" in argv[0]:
                return int(d)
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
