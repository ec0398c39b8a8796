#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""show (each filter, table and --json), summary, tree and export (ECS and
OCSF required fields) on a generated log with a known workload; bad input
named with file and line and never fatal."""
import os
import sys
import shutil
import stat
import subprocess

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from amber import auditlog, mounts  # noqa: E402
from amber.amberlog import (  # noqa: E402
    AMBER_LOG, check, expect_in, finish, genlog, lines_of, ndjson, run, write_lines)

A, K = auditlog.ACTION, auditlog.KIND  # the names of the log (amber-log schema)

HERE = os.path.dirname(os.path.abspath(__file__))

# Required fields of each export format, as dotted paths (docs/amber-log.md).
ECS_REQUIRED = ["@timestamp", "ecs.version", "event.kind", "event.category", "event.type", "event.action",
                "event.outcome", "event.sequence", "file.path", "file.name", "process.pid", "user.id",
                "error.code"]
ECS_TYPES = {"access", "change", "creation", "deletion", "denied", "info"}
OCSF_REQUIRED = ["activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "time",
                 "metadata.version", "metadata.product.name", "metadata.product.vendor_name",
                 "actor.process.pid", "device.type_id", "file.name", "file.type_id",
                 "status_id", "disposition_id"]


def get(o, dotted):
    for k in dotted.split("."):
        if not isinstance(o, dict) or k not in o:
            return None
        o = o[k]
    return o


wd = mounts.Workdir(prefix="amber-log-test-")
d = wd.tmp
try:
    log = os.path.join(d, "w.log")
    genlog(log, "-e", os.path.join(HERE, "events.txt"))
    run("verify", log, check_rc=0)
    raw = lines_of(log)

    # show: table on a pipe, and --json gives the exact lines
    rc, out, _ = run("show", log, check_rc=0)
    rows = out.splitlines()
    check(rows[0].startswith("SEQ"), "show: header")
    check(len(rows) == 1 + 18, f"show: 18 attempts expected, got {len(rows) - 1}")
    expect_in("rename          /data/b" if False else "/data/a -> /data/b", out, "show rename")
    rc, out, _ = run("show", "--json", log, check_rc=0)
    check(out.encode().splitlines() == raw[1:-1], "show --json: the attempt lines byte for byte")
    rc, out, _ = run("show", "--all", log, check_rc=0)
    expect_in("--- start: mount /mnt/x", out, "show --all start")
    expect_in("--- stop: 18 attempts refused, 0 lost", out, "show --all stop")

    def seqs(*args):
        rc, out, _ = run("show", "--json", *args, log, check_rc=0)
        return [r["seq"] for r in ndjson(out)]

    check(seqs("--pid", "101") == [3, 4], "--pid 101")
    check(seqs("--pid", "101", "--pid", "103") == [3, 4, 6], "--pid twice = or")
    check(seqs("--name", "mv") == [5], "--name mv")
    check(seqs("--name", "ch*") == [7, 8], "--name glob")
    check(seqs("--exe", "/usr/bin/r*") == [6, 16, 17], "--exe glob")
    check(seqs("--uid", "1000") == [5, 6], "--uid 1000")
    check(seqs("--action", A.CHMOD) == [7], "--action chmod")
    check(seqs("--path", "/data/*") == [5, 6, 16, 17], "--path /data/*")
    check(seqs("--path", "/data/b") == [5], "--path matches a rename destination")
    check(seqs("--path", "/etc/*", "--action", A.OPEN_WRITE) == [2, 10], "filters are and-ed")
    ts = {r["seq"]: r["ts"] for r in ndjson(run("show", "--json", log)[1])}
    check(seqs("--since", ts[5], "--until", ts[7]) == [5, 6, 7], "--since/--until inclusive")
    check(seqs("--since", ts[19]) == [19], "--since last")
    check(seqs("--until", "2000-01-01") == [], "--until long ago")
    rc, out, err = run("show", "--since", "yesterday", log, check_rc=2)
    expect_in("not an RFC 3339 time", err, "bad --since")
    rc, out, err = run("show", "--action", "explode", log, check_rc=2)
    expect_in("unknown action 'explode'", err, "bad --action")

    # summary
    rc, out, _ = run("summary", "--json", "--top", "0", log, check_rc=0)
    rows = ndjson(out)
    by = {(r["by"], r["key"]): r for r in rows}
    check(by[("path", "/etc/passwd")]["count"] == 3, "summary: /etc/passwd x3")
    check(by[("path", "/etc/passwd")]["seq"] == [2, 10, 19], "summary: seqs first two + latest")
    check(by[("path", "/data/b")]["count"] == 1, "summary: rename destination counted")
    check(by[("executable", "/bin/busybox")]["count"] == 5, "summary: by executable")
    check(by[("user", "1000")]["count"] == 2, "summary: by user")
    check(by[("action", A.OPEN_WRITE)]["count"] == 2, "summary: by action")
    check(by[("action", A.RMDIR)]["first"] == ts[16] and by[("action", A.RMDIR)]["last"] == ts[17],
          "summary: first/last time")
    rc, out, _ = run("summary", log, check_rc=0)
    expect_in("18 refused attempts in 18 attempt/summary records, 1 session(s)", out, "summary header")
    for h in ("By path", "By executable", "By user", "By action"):
        expect_in(h, out, "summary table")

    # summary counts summary records by their count
    s = os.path.join(d, "s.log")
    genlog(s, "-n", "200", "--summaries")
    rc, out, _ = run("summary", "--json", "--top", "0", s, check_rc=0)
    total = sum(r["count"] for r in ndjson(out) if r["by"] == "action")
    rc, vout, _ = run("show", "--json", s, check_rc=0)
    weights = sum(r["count"] if r["kind"] == K.SUMMARY else 1 for r in ndjson(vout))
    check(total == weights and total > 200, f"summary weights: {total} vs {weights}")

    # tree: 100 -> {101, 102 -> 103, 104, 105, ...}
    rc, out, _ = run("tree", "--json", log, check_rc=0)
    procs = {p["pid"]: p for p in ndjson(out)}
    check(procs[100]["depth"] == 0 and procs[103]["depth"] == 2, "tree depths")
    check(sorted(procs[100]["children"]) == [101, 102, 104, 105, 106, 107, 108, 109], "tree children of 100")
    check(procs[102]["children"] == [103], "tree: 103 under 102")
    a = {(x["action"], x["path"]): x for x in procs[100]["attempts"]}
    check(a[(A.OPEN_WRITE, "/etc/passwd")]["count"] == 2 and a[(A.OPEN_WRITE, "/etc/passwd")]["first_seq"] == 2,
          "tree: attempts aggregated per process")
    rc, out, _ = run("tree", log, check_rc=0)
    expect_in("[100] sh (/bin/busybox) uid 0, ppid 1, 3 attempt(s)", out, "tree text root")
    expect_in("        [103] rm (/usr/bin/rm)", out, "tree text nesting")

    # export: every record, the required fields, valid values
    for fmt, req in (("ecs", ECS_REQUIRED), ("ocsf", OCSF_REQUIRED)):
        rc, out, _ = run("export", "--format", fmt, log, check_rc=0)
        recs = ndjson(out)
        check(len(recs) == 18, f"export {fmt}: 18 records")
        for r in recs:
            for f in req:
                check(get(r, f) is not None, f"export {fmt}: {f} missing in {r}")
        if fmt == "ecs":
            for r in recs:
                check(r["event"]["outcome"] in ("success", "failure", "unknown"), "ecs event.outcome value")
                check(set(r["event"]["type"]) <= ECS_TYPES, "ecs event.type values")
                check(r["event"]["category"] == ["file"], "ecs event.category")
        else:
            for r in recs:
                check(r["class_uid"] == 1001 and r["category_uid"] == 1, "ocsf class/category")
                check(r["type_uid"] == 100100 + r["activity_id"], "ocsf type_uid = class*100+activity")
                check(r["activity_id"] in (1, 3, 4, 5, 6, 7, 14, 99), "ocsf activity_id")
                check(isinstance(r["time"], int) and r["time"] > 1.7e12, "ocsf time in ms")
            ren = [r for r in recs if r["unmapped"]["action"] == A.RENAME][0]
            check(ren["activity_id"] == 5 and ren["file_result"]["path"] == "/data/b", "ocsf rename")
    rc, out, _ = run("export", "--format", "ocsf", "--pid", "103", log, check_rc=0)
    check(len(ndjson(out)) == 1, "export honours filters")
    run("export", "--format", "xml", log, check_rc=2)


    # replay --copy needs root for chown and mknod: as another user this part is skipped
    if os.geteuid() == 0:
        # replay --copy (no mount) over a plain tree standing for the merged view:
        # every kind of attempt, failures listed, content never invented
        view = os.path.join(d, "view")
        for p_, c in (("etc/passwd", "root\n"), ("etc/shadow", "s\n"), ("etc/hosts", "h\n"), ("data/a", "a\n"),
                      ("data/c", "c\n"), ("data/full/x", "x\n"), ("var/log/app.log", "hello\n")):
            os.makedirs(os.path.dirname(os.path.join(view, p_)), exist_ok=True)
            with open(os.path.join(view, p_), "w") as f:
                f.write(c)
            os.chmod(os.path.join(view, p_), 0o644)
        os.makedirs(os.path.join(view, "data/sub"))
        os.makedirs(os.path.join(view, "tmp"))
        xattr_ok = True
        try:
            os.setxattr(os.path.join(view, "etc/hosts"), "user.gone", b"1")
        except OSError:
            xattr_ok = False
        onto = os.path.join(d, "replay")
        rc, out, err = run("replay", "--onto", onto, "--copy", "--layers", view, "--json", log, check_rc=0)
        ch = {o["path"]: o for o in ndjson(out) if "path" in o}
        fails = {o["failure"]["path"]: o["failure"] for o in ndjson(out) if "failure" in o}
        want = {"/etc/passwd": ["would_truncate", "opened_for_writing", "written"], "/tmp/new": ["created", "times"],
                "/data/b": ["renamed"], "/data/c": ["deleted"], "/etc/shadow": ["chmod", "chown"],
                "/newdir": ["created"], "/var/log/app.log": ["truncated"], "/etc/hosts": ["xattr"],
                "/lnk": ["created"], "/hosts.hard": ["created"], "/data/sub": ["deleted"], "/fifo": ["created"]}
        if not xattr_ok:
            want["/etc/hosts"] = ["xattr"]  # setxattr is recorded even where removexattr fails
        for p_, w in want.items():
            check(ch.get(p_, {}).get("changes") == w, f"replay {p_}: want {w}, got {ch.get(p_)}")
        check(set(ch) == set(want), f"replay paths: {sorted(set(ch) ^ set(want))}")
        check(set(fails) == ({"/data/full"} if xattr_ok else {"/data/full", "/etc/hosts"}), f"replay failures {fails}")
        check(fails["/data/full"]["error"] == "Directory not empty", "rmdir of a full directory fails")
        check(ch["/newdir"]["mode"] == "0750" and ch["/fifo"]["type"] == "fifo", "replay mkdir/mknod")
        check(ch["/data/b"]["from"] == "/data/a", "replay rename")
        check(ch["/etc/shadow"]["mode"] == "0600" and ch["/etc/shadow"]["uid"] == 1000, "replay chmod/chown")
        check(ch["/var/log/app.log"]["size"] == 3, "replay truncate size")
        merged = os.path.join(onto, "merged")
        check(os.path.getsize(os.path.join(merged, "etc/passwd")) == 0, "O_TRUNC empties the file")
        check(open(os.path.join(merged, "var/log/app.log")).read() == "hel", "truncate to 3 bytes")
        check(os.readlink(os.path.join(merged, "lnk")) == "/etc/passwd", "symlink target")
        check(stat.S_ISFIFO(os.lstat(os.path.join(merged, "fifo")).st_mode), "fifo made")
        check(os.stat(os.path.join(merged, "hosts.hard")).st_nlink == 2, "hard link made")
        check(open(os.path.join(view, "etc/passwd")).read() == "root\n", "the source view is untouched")
        rc, out, _ = run("replay", "--onto", onto + "2", "--copy", "--layers", view, log, check_rc=0)
        expect_in("Would have failed even on a writable root:", out, "replay table: failures")
        expect_in("rmdir           /data/full: Directory not empty", out, "replay table: failure line")
        expect_in("opened for writing    /etc/passwd  (content unknown", out, "replay table: unknown content")
        expect_in("written               /etc/passwd  (write of 4096 bytes at offset 0: content unknown)", out,
                  "replay table: write")
        # a hostile log cannot leave the scratch root
        evil = os.path.join(d, "evil.txt")
        with open(evil, "w") as f:
            f.write("1 0 0 sh /bin/sh unlink /../../../../" + d.lstrip("/") + "/sentinel - -\n")
            f.write("1 0 0 sh /bin/sh chmod /lnk2/../../../../" + d.lstrip("/") + "/sentinel - {\"mode\":\"0777\"}\n")
        open(os.path.join(d, "sentinel"), "w").close()
        elog = os.path.join(d, "evil.log")
        genlog(elog, "-e", evil)
        rc, out, _ = run("replay", "--onto", onto + "3", "--copy", "--layers", view, "--json", elog, check_rc=0)
        check(os.path.exists(os.path.join(d, "sentinel")), "replay stayed inside its root")
        check(stat.S_IMODE(os.stat(os.path.join(d, "sentinel")).st_mode) != 0o777, "replay chmod stayed inside")

        # rootless replay: a user namespace of its own; the caller's files
        # change, a chown to another id fails and is listed
        if shutil.which("setpriv"):
            uview = os.path.join(d, "uview")
            shutil.copytree(view, uview, symlinks=True)
            uout = os.path.join(d, "uout")
            os.mkdir(uout)
            for root_, dirs, files in os.walk(d):
                for n_ in dirs + files + ["."]:
                    os.lchown(os.path.join(root_, n_), 1000, 1000)
            os.chmod(d, 0o755)
            p = subprocess.run(["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", AMBER_LOG, "replay",
                                "--onto", os.path.join(uout, "r"), "--layers", uview, "--json", log],
                               capture_output=True, text=True, timeout=120)
            if "cannot make a private mount namespace" in p.stderr or "cannot mount" in p.stderr:
                print("skip rootless replay:", p.stderr.strip())
            else:
                check(p.returncode == 0, f"rootless replay rc {p.returncode}: {p.stderr}")
                uch = {o["path"]: o for o in ndjson(p.stdout) if "path" in o}
                ufail = {o["failure"]["path"]: o["failure"] for o in ndjson(p.stdout) if "failure" in o}
                check(uch.get("/data/b", {}).get("from") == "/data/a", f"rootless rename: {uch.get('/data/b')}")
                check(uch.get("/newdir", {}).get("changes") == ["created"], "rootless mkdir")
                check(ufail.get("/etc/shadow", {}).get("action") == A.CHOWN, f"rootless chown fails: {ufail}")
                check(os.path.exists(os.path.join(uout, "r/upper/newdir")), "rootless result in upper/")
                check(os.path.exists(os.path.join(uview, "data/a")), "rootless: the layer is untouched")

    # bad input: named with file and line, never fatal, the rest still read
    bad = os.path.join(d, "bad.log")
    b = raw[:4] + [b"not json at all", raw[4].replace(b'{"v":1,', b'{"v":7,', 1)] + raw[5:]
    write_lines(bad, b)
    with open(bad, "ab") as f:
        f.write(b'{"v":1,"seq":99,"ts":"2026')
    for cmd in (["show"], ["summary"], ["tree"], ["export", "--format", "ecs"]):
        rc, out, err = run(*cmd, bad, check_rc=1)
        expect_in(f"{bad}:5: not JSON", err, f"{cmd[0]} names the non-JSON line")
        expect_in(f"{bad}:6: unknown schema version \"v\":7", err, f"{cmd[0]} names the unknown version")
        expect_in(f"{bad}:{len(b) + 1}: truncated last line", err, f"{cmd[0]} names the truncated line")
    rc, out, err = run("show", "--json", bad, check_rc=1)
    check(len(ndjson(out)) == 17, "show: the good records are still shown")
    rc, out, err = run("summary", bad, os.path.join(d, "missing.log"), check_rc=1)
    expect_in("missing.log: cannot read: No such file or directory", err, "missing file named")
    run("frobnicate", log, check_rc=2)
    run("show", check_rc=2)
finally:
    wd.close()
finish("logtool-commands")
