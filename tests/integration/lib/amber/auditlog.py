# SPDX-License-Identifier: MIT
"""gatelib - shared helpers of the gate/audit integration tests.

Mounting amberfs in the foreground (so its stderr and pid are ours), a
verifier for the audit log written here on purpose (independent of
amber-log): every line JSON (and parsed by jq as well), fixed key order,
prev = XXH3-128 of the previous line (through libxxhash via ctypes, so the
test needs nothing outside the Python standard library), seq +1 per record
and restarting at 1 with each start, every gap announced exactly by a later
loss record, and the accounting invariant.  Snapshots of the layers prove
nothing in them changed.
"""
import ctypes
import ctypes.util
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

SKIP = 77


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(SKIP)


def require_root_fuse():
    if os.geteuid() != 0:
        skip("needs root")
    if not os.path.exists("/dev/fuse"):
        skip("/dev/fuse is missing")
    if not os.environ.get("AMBERFS") or not os.path.exists(os.environ["AMBERFS"]):
        skip("AMBERFS does not name the amberfs binary")
    if not shutil.which("fusermount3"):
        skip("fusermount3 is missing")


# ---- XXH3-128 as common/hash.c prints it ----

class _XXH128(ctypes.Structure):
    _fields_ = [("low64", ctypes.c_uint64), ("high64", ctypes.c_uint64)]


_lib = None


def hash128_hex(data: bytes) -> str:
    global _lib
    if _lib is None:
        name = ctypes.util.find_library("xxhash") or "libxxhash.so.0"
        _lib = ctypes.CDLL(name)
        _lib.XXH3_128bits.restype = _XXH128
        _lib.XXH3_128bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    h = _lib.XXH3_128bits(data, len(data))
    # canonical form: big-endian high64 then low64
    return f"{h.high64:016x}{h.low64:016x}"


ZERO = "0" * 32


# ---- the log ----

class VerifyError(AssertionError):
    pass


class Series:
    """Records of one series of files, verified."""

    def __init__(self, files, allow_unknown_origin=False):
        self.files = list(files)
        self.raw = []
        self.recs = []
        for f in self.files:
            jq_check(f)
            with open(f, "rb") as fh:
                data = fh.read()
            if data and not data.endswith(b"\n"):
                raise VerifyError(f"{f}: ends in a partial line")
            for line in data.splitlines(keepends=True):
                self.raw.append(line)
                try:
                    self.recs.append(json.loads(line))
                except ValueError as e:
                    raise VerifyError(f"{f}: not JSON: {line[:200]!r}: {e}")
        self.allow_unknown_origin = allow_unknown_origin
        self._verify()

    def _verify(self):
        last_seq = 0
        gaps = []
        for i, (raw, r) in enumerate(zip(self.raw, self.recs)):
            keys = list(r.keys())
            if keys[:4] != ["v", "seq", "ts", "kind"] or keys[-1] != "prev":
                raise VerifyError(f"record {i}: key order {keys}")
            if r["v"] != 1:
                raise VerifyError(f"record {i}: v={r['v']}")
            if len(r["ts"]) != 30 or not r["ts"].endswith("Z"):
                raise VerifyError(f"record {i}: ts {r['ts']}")
            kind = r["kind"]
            if i == 0:
                if kind == "start" and r["prev"] != ZERO and not self.allow_unknown_origin:
                    raise VerifyError("first start record does not begin the chain")
                if kind != "start" and not self.allow_unknown_origin:
                    raise VerifyError(f"series begins with {kind}")
            else:
                want = hash128_hex(self.raw[i - 1])
                if r["prev"] != want:
                    raise VerifyError(f"record {i} (seq {r['seq']}): prev {r['prev']} != {want}")
            seq = r["seq"]
            if kind == "rotate":
                if i == 0:
                    last_seq = r["previous_seq"]  # the series starts mid-way
                elif r["previous_seq"] != self.recs[i - 1]["seq"]:
                    raise VerifyError(f"rotate: previous_seq {r['previous_seq']} != "
                                      f"{self.recs[i - 1]['seq']}")
            if kind == "start":
                if seq != 1:
                    raise VerifyError(f"record {i}: start with seq {seq}")
                if gaps:
                    raise VerifyError(f"session ended with unannounced gaps {gaps}")
            elif i > 0 or kind == "rotate":
                if seq <= last_seq:
                    raise VerifyError(f"record {i}: seq {seq} after {last_seq}")
                if seq != last_seq + 1:
                    gaps.append((last_seq + 1, seq - 1))
            last_seq = seq
            if kind == "loss" and r["seq_first"] is not None:
                if not gaps or gaps[0] != (r["seq_first"], r["seq_last"]):
                    raise VerifyError(f"loss {r['seq_first']}..{r['seq_last']} announces no gap "
                                      f"(open gaps {gaps})")
                gaps.pop(0)
            if kind == "stop" and r["head"] != r["prev"]:
                raise VerifyError("stop: head != prev")
        if gaps:
            raise VerifyError(f"unannounced seq gaps {gaps}")

    def kind(self, k):
        return [r for r in self.recs if r["kind"] == k]

    def sums(self):
        a = sum(r["count"] for r in self.kind("attempt"))
        s = sum(r["count"] for r in self.kind("summary"))
        lo = sum(r["count"] for r in self.kind("loss"))
        return a, s, lo

    def check_invariant(self, expected_attempts=None):
        """attempts = sum(attempt.count) + sum(summary.count) + sum(loss.count)."""
        stops = self.kind("stop")
        if not stops:
            raise VerifyError("no stop record")
        t = stops[-1]["totals"]
        a, s, lo = self.sums()
        if t["attempts"] != a + s + lo:
            raise VerifyError(f"invariant: totals.attempts {t['attempts']} != {a}+{s}+{lo}")
        if (t["written"], t["summarized"], t["lost"]) != (a, s, lo):
            raise VerifyError(f"totals {t} disagree with the records ({a}, {s}, {lo})")
        if expected_attempts is not None and t["attempts"] != expected_attempts:
            raise VerifyError(f"totals.attempts {t['attempts']} != {expected_attempts} made")
        return t


def jq_check(path):
    """Every line parses with jq (jq stops at the first bad line)."""
    if not shutil.which("jq"):
        return
    r = subprocess.run(["jq", "-c", ".kind", path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise VerifyError(f"jq cannot parse {path}: {r.stderr.decode()[:300]}")


def read_records(path):
    out = []
    try:
        with open(path, "rb") as f:
            for line in f:
                if line.endswith(b"\n"):
                    out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def rotated_series(log):
    """FILE.N ... FILE.1 FILE, oldest first, for the files that exist."""
    files = []
    i = 1
    while os.path.exists(f"{log}.{i}"):
        files.insert(0, f"{log}.{i}")
        i += 1
    files.append(log)
    return files


# ---- mounting ----

class Mount:
    """amberfs -f in the background; unmounted and reaped in close()."""

    def __init__(self, layers, mnt, log=None, opts=(), workdir=None, env=None, pidfile=None):
        self.mnt = mnt
        # Next to the log: a confined daemon may write only there.
        self.workdir = workdir or os.path.dirname(log or mnt)
        self.pidfile = pidfile or os.path.join(self.workdir, f"pid.{os.path.basename(mnt)}")
        self.errpath = os.path.join(self.workdir, f"stderr.{os.path.basename(mnt)}")
        if not pidfile:  # a pidfile= given is the caller's (it may hold a planted link)
            try:
                os.unlink(self.pidfile)
            except FileNotFoundError:
                pass
        o = ["lowerdir=" + ":".join(layers), "pidfile=" + self.pidfile]
        if log:
            o.append("log=" + log)
        o.extend(opts)
        self.err = open(self.errpath, "wb")
        self.proc = subprocess.Popen([os.environ["AMBERFS"], "-f", "-o", ",".join(o), mnt],
                                     stdout=subprocess.DEVNULL, stderr=self.err,
                                     env=dict(os.environ, **(env or {})))
        self.pid = self.proc.pid
        deadline = time.monotonic() + 20
        # The daemon's own pidfile: a regular file (not a link planted there)
        while not (os.path.isfile(self.pidfile) and not os.path.islink(self.pidfile)):
            if self.proc.poll() is not None:
                self.err.close()
                raise RuntimeError(f"amberfs exited {self.proc.returncode}: {self.stderr()}")
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError("amberfs did not come up")
            time.sleep(0.02)
        # The daemon writes its pidfile before the log's start record: wait
        # for that too, so a test that fills the disk next cannot race it.
        while log and not any(r["kind"] == "start" for r in read_records(log)[-1:]) \
                and self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)

    def stderr(self):
        with open(self.errpath, "rb") as f:
            return f.read().decode(errors="replace")

    def rss_kib(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def close(self):
        """Unmounts (flushing the log) and waits for the daemon."""
        if self.proc.poll() is None:
            subprocess.run(["fusermount3", "-u", self.mnt], stderr=subprocess.DEVNULL)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                subprocess.run(["fusermount3", "-uz", self.mnt], stderr=subprocess.DEVNULL)
        if os.path.ismount(self.mnt):
            subprocess.run(["umount", "-l", self.mnt], stderr=subprocess.DEVNULL)
        if not self.err.closed:
            self.err.close()
        return self.proc.returncode


class Workdir:
    """A temporary directory removed at the end, with mounts closed first."""

    def __init__(self, prefix="amber-gate-"):
        self.path = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.path, 0o755)
        self.mounts = []
        self.extra_umounts = []

    def mount(self, *a, **kw):
        m = Mount(*a, **kw)
        self.mounts.append(m)
        return m

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for m in self.mounts:
            try:
                m.close()
            except Exception as e:  # keep cleaning up
                print(f"cleanup: {e}", file=sys.stderr)
        for p in self.extra_umounts:
            subprocess.run(["umount", "-l", p], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.path, ignore_errors=True)
        return False


# ---- layer snapshots ----

def snapshot(root):
    """Everything about every entry below root except atime (reads may set it)."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [""] + dirnames + filenames:
            p = os.path.join(dirpath, name) if name else dirpath
            if name == "" and dirpath != root:
                continue
            st = os.lstat(p)
            ent = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_nlink, st.st_ino,
                   st.st_rdev, st.st_mtime_ns, st.st_ctime_ns)
            xattrs = {}
            try:
                for x in sorted(os.listxattr(p, follow_symlinks=False)):
                    xattrs[x] = os.getxattr(p, x, follow_symlinks=False)
            except OSError:
                pass
            content = None
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    content = hashlib.sha256(f.read()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                content = os.readlink(p)
            snap[os.path.relpath(p, root)] = (ent, tuple(sorted(xattrs.items())), content)
    return snap


def diff_snapshots(a, b):
    out = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            out.append(f"{k}: {a.get(k)} -> {b.get(k)}")
    return out


def wait_until(pred, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def kill_quietly(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
