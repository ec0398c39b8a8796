# SPDX-License-Identifier: MIT
"""amber.auditlog - reading the audit log, and verifying it on our own.

The one place in the tests that knows the log's schema (docs/audit-log.md
is the contract).  The names in it - version, record kinds, actions,
outcome, reasons, flag names - are not typed here: they come from their
one owner, common/audit_schema.c, through `amber-log schema --json`, and
tests/integration/logtool/schema_contract.py checks that dump against the
contract.  KIND.ATTEMPT is "attempt", ACTION.OPEN_WRITE "open_write",
OPEN_FLAG.O_TRUNC "O_TRUNC"; a name the schema lacks is an AttributeError
at once rather than a comparison that silently never matches.  What is
typed here is the layout: key order and each kind's required fields.

The verifier is written here on purpose, independent of amber-log's
reader: every line JSON (and parsed by jq as well), fixed key order, prev =
XXH3-128 of the previous line (through libxxhash via ctypes, so the tests
need nothing outside the Python standard library), seq +1 per record and
restarting at 1 with each start, every gap announced exactly by a later
loss record, and the accounting invariant.
"""
import ctypes
import ctypes.util
import json
import os
import re
import shutil
import subprocess
import types

# ---- the schema ----

class Names(tuple):
    """Names of one list of the schema, in order, with attribute access:
    KIND.ATTEMPT == "attempt", OPEN_FLAG.O_TRUNC == "O_TRUNC"."""

    def __getattr__(self, attr):
        for n in (attr, attr.lower()):
            if n in self:
                return n
        raise AttributeError(f"the audit schema has no {attr!r} here (it has {', '.join(self)})")


_schema = None


def schema():
    """The names of the log as amber-log knows them (`amber-log schema
    --json`, read once): VERSION, KIND, ACTION, LOSS, ROTATE, OPEN_FLAG
    (access modes and flags), RENAME_FLAG, FILE_TYPE, OUTCOME,
    LOSS_ERRNO_SEP, TIME_NOW.  The module's attributes of the same names
    are these, loaded on first use."""
    global _schema
    if _schema is None:
        from amber import amberlog
        p = subprocess.run([amberlog.AMBER_LOG, "schema", "--json"], capture_output=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"{amberlog.AMBER_LOG} schema --json: exit {p.returncode}: "
                               f"{p.stderr.decode(errors='replace')} (is AMBER_LOG an amber-log "
                               "of this build?)")
        d = json.loads(p.stdout)
        _schema = types.SimpleNamespace(
            VERSION=d["version"], KIND=Names(d["kinds"]), ACTION=Names(d["actions"]),
            LOSS=Names(d["loss_reasons"]), ROTATE=Names(d["rotate_reasons"]),
            OPEN_FLAG=Names(d["open_access"] + d["open_flags"]), RENAME_FLAG=Names(d["rename_flags"]),
            FILE_TYPE=Names(d["file_types"]), OUTCOME=d["outcome"],
            LOSS_ERRNO_SEP=d["loss_errno_separator"], TIME_NOW=d["time_now"])
    return _schema


def __getattr__(name):
    """auditlog.KIND, auditlog.ACTION, ...: importing this module runs
    nothing; the first use reads the schema."""
    if name.isupper() and not name.startswith("_"):
        try:
            return getattr(schema(), name)
        except AttributeError:
            pass
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def write_error(errno_name):
    """The reason of a loss record for a write that failed with errno_name."""
    s = schema()
    return s.LOSS.WRITE_ERROR + s.LOSS_ERRNO_SEP + errno_name


KEYS_FIRST = ["v", "seq", "ts", "kind"]  # in this order; "prev" is last
TS_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$"


def required():
    """Required fields of each kind, as dotted paths."""
    K = schema().KIND
    return {
        K.START: ["version", "session", "daemon.pid", "mountpoint", "options.deny_errno",
                  "options.log_policy", "options.log_max_size", "options.log_keep", "options.kernel_ro",
                  "layers"],
        K.ATTEMPT: ["event.action", "event.outcome", "errno", "errno_name", "file.path", "file.new_path",
                    "file.layer", "args", "process.pid", "process.tid", "user.uid", "user.gid", "count"],
        K.SUMMARY: ["event.action", "file.path", "process.pid", "count", "first_ts", "last_ts"],
        K.LOSS: ["count", "reason", "seq_first", "seq_last", "first_ts", "last_ts"],
        K.ROTATE: ["reason", "previous_file", "previous_seq"],
        K.STOP: ["totals.attempts", "totals.written", "totals.summarized", "totals.lost", "totals.records",
                 "totals.by_action", "head"],
    }


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
        S = schema()
        K = S.KIND
        last_seq = 0
        gaps = []
        for i, (raw, r) in enumerate(zip(self.raw, self.recs)):
            keys = list(r.keys())
            if keys[:4] != KEYS_FIRST or keys[-1] != "prev":
                raise VerifyError(f"record {i}: key order {keys}")
            if r["v"] != S.VERSION:
                raise VerifyError(f"record {i}: v={r['v']}")
            if len(r["ts"]) != 30 or not r["ts"].endswith("Z"):
                raise VerifyError(f"record {i}: ts {r['ts']}")
            kind = r["kind"]
            if i == 0:
                if kind == K.START and r["prev"] != ZERO and not self.allow_unknown_origin:
                    raise VerifyError("first start record does not begin the chain")
                if kind != K.START and not self.allow_unknown_origin:
                    raise VerifyError(f"series begins with {kind}")
            else:
                want = hash128_hex(self.raw[i - 1])
                if r["prev"] != want:
                    raise VerifyError(f"record {i} (seq {r['seq']}): prev {r['prev']} != {want}")
            seq = r["seq"]
            if kind == K.ROTATE:
                if i == 0:
                    last_seq = r["previous_seq"]  # the series starts mid-way
                elif r["previous_seq"] != self.recs[i - 1]["seq"]:
                    raise VerifyError(f"rotate: previous_seq {r['previous_seq']} != "
                                      f"{self.recs[i - 1]['seq']}")
            if kind == K.START:
                if seq != 1:
                    raise VerifyError(f"record {i}: start with seq {seq}")
                if gaps:
                    raise VerifyError(f"session ended with unannounced gaps {gaps}")
            elif i > 0 or kind == K.ROTATE:
                if seq <= last_seq:
                    raise VerifyError(f"record {i}: seq {seq} after {last_seq}")
                if seq != last_seq + 1:
                    gaps.append((last_seq + 1, seq - 1))
            last_seq = seq
            if kind == K.LOSS and r["seq_first"] is not None:
                if not gaps or gaps[0] != (r["seq_first"], r["seq_last"]):
                    raise VerifyError(f"loss {r['seq_first']}..{r['seq_last']} announces no gap "
                                      f"(open gaps {gaps})")
                gaps.pop(0)
            if kind == K.STOP and r["head"] != r["prev"]:
                raise VerifyError("stop: head != prev")
        if gaps:
            raise VerifyError(f"unannounced seq gaps {gaps}")

    def kind(self, k):
        return [r for r in self.recs if r["kind"] == k]

    def sums(self):
        K = schema().KIND
        a = sum(r["count"] for r in self.kind(K.ATTEMPT))
        s = sum(r["count"] for r in self.kind(K.SUMMARY))
        lo = sum(r["count"] for r in self.kind(K.LOSS))
        return a, s, lo

    def check_invariant(self, expected_attempts=None):
        """attempts = sum(attempt.count) + sum(summary.count) + sum(loss.count)."""
        stops = self.kind(schema().KIND.STOP)
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


def contract_deviations(raw_lines):
    """Departures from the contract of what a real writer wrote: a list of 'line N: what'."""
    S = schema()
    K, A = S.KIND, S.ACTION
    need_of = required()
    out = []
    for n, raw in enumerate(raw_lines, 1):
        try:
            r = json.loads(raw)
        except ValueError:
            out.append(f"line {n}: not JSON")
            continue
        keys = list(r)
        if keys[:4] != KEYS_FIRST or keys[-1] != "prev":
            out.append(f"line {n}: key order {keys[:4]}...{keys[-1]} (want v, seq, ts, kind first, prev last)")
        if not re.match(TS_RE, str(r.get("ts"))):
            out.append(f"line {n}: ts {r.get('ts')!r} is not RFC 3339 UTC with 9 digits")
        if not re.match(r"^[0-9a-f]{32}$", str(r.get("prev"))):
            out.append(f"line {n}: prev is not 32 lowercase hex")
        k = r.get("kind")
        need = need_of.get(k)
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
        if k == K.ATTEMPT:
            if r["event"].get("action") not in A or r["event"].get("outcome") != S.OUTCOME:
                out.append(f"line {n}: event {r['event']}")
            if r.get("count") != 1:
                out.append(f"line {n}: attempt count {r.get('count')}")
            p = r.get("process", {})
            if "error" not in p:
                for f in ("ppid", "name", "executable", "args", "cwd", "start_time"):
                    if f not in p:
                        out.append(f"line {n}: process lacks {f}")
            for a in r.get("args", {}).get("flags", []) if isinstance(r.get("args"), dict) else []:
                if a not in S.OPEN_FLAG:
                    out.append(f"line {n}: flag {a!r}")
            if "mode" in r.get("args", {}) and not re.match(r"^0[0-7]{3,}$", str(r["args"]["mode"])):
                out.append(f"line {n}: mode {r['args']['mode']!r} is not an octal string")
            if (r["file"].get("new_path") is not None) != (r["event"].get("action") in (A.RENAME, A.LINK)):
                if r["event"].get("action") != A.SYMLINK:
                    out.append(f"line {n}: new_path {r['file'].get('new_path')!r} for {r['event']['action']}")
        if k == K.ROTATE and r.get("reason") not in S.ROTATE:
            out.append(f"line {n}: rotate reason {r.get('reason')!r}")
        if k == K.STOP and r.get("head") != r.get("prev"):
            out.append(f"line {n}: stop head != prev")
    return out
