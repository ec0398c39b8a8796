#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""amber-log against a real amberfs mount: a scripted workload of several
processes (a shell, its children, a grandchild, one under uid 1000) makes
several kinds of attempts; then verify, show with each filter, summary,
tree, export and replay (kernel overlay, and --copy of a merged view) must
give the expected results.  Root, /dev/fuse and kernel overlayfs needed
(exit 77 otherwise).  Every mount is undone in a finally block."""
import os
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import amber  # noqa: E402
from amber import mounts  # noqa: E402
from amber.amberlog import check, expect_in, fail, finish, lines_of, ndjson, run  # noqa: E402
from amber.auditlog import contract_deviations  # noqa: E402
from amber.auditlog import ACTION  # noqa: E402  (the names of the log: amber-log schema)

amber.require(tools=("setpriv",))

def build_image(d):
    A, B = os.path.join(d, "A"), os.path.join(d, "B")
    for p in ("etc", "var/log", "data/emptydir", "tmp"):
        os.makedirs(os.path.join(B, p))
    os.makedirs(os.path.join(A, "etc"))
    os.chmod(os.path.join(B, "tmp"), 0o1777)
    for p, c in (("B/etc/passwd", "root:x:0:0::/root:/bin/sh\n"), ("B/etc/shadow", "root:*::\n"),
                 ("B/etc/hosts", "lower\n"), ("A/etc/hosts", "127.0.0.1 upper\n"),
                 ("B/var/log/app.log", "hello\n"), ("B/data/old", "old\n"), ("B/data/keep", "keep\n")):
        with open(os.path.join(d, p), "w") as f:
            f.write(c)
        os.chmod(os.path.join(d, p), 0o644)
    return A, B


wd = mounts.Workdir(prefix="amber-log-test-")
d = wd.tmp
os.chmod(d, 0o755)  # uid 1000 must reach the mountpoint
try:
    A, B = build_image(d)
    mnt, log = os.path.join(d, "mnt"), os.path.join(d, "audit.log")
    os.mkdir(mnt)
    wd.amberfs([A, B], mnt, log=log)
    M = mnt
    script = f"""
echo x > {M}/etc/passwd
touch {M}/newfile
mkdir {M}/newdir
mv {M}/data/old {M}/data/new
chmod 600 {M}/etc/hosts
chown 1000:1000 {M}/var/log/app.log
python3 -c 'import os; os.truncate("{M}/var/log/app.log", 2)'
sh -c 'echo y > {M}/etc/shadow; rm {M}/data/keep; true'
rmdir {M}/data/emptydir
ln -s /etc/passwd {M}/lnk
setfattr -n user.note -v 1 {M}/etc/hosts
setpriv --reuid=1000 --regid=1000 --clear-groups touch {M}/tmp/x
exit 0
"""
    sh = subprocess.Popen(["sh", "-c", script], stderr=subprocess.DEVNULL)
    sh.wait()
    wd.umount(mnt)  # flushes the log and writes stop
    time.sleep(0.2)

    rc, out, _ = run("verify", log, check_rc=0)
    expect_in("OK:", out, "verify real log")
    for dev in contract_deviations(lines_of(log)):
        fail(f"writer deviates from the log contract: {dev}")

    recs = ndjson(run("show", "--json", log, check_rc=0)[1])
    by_action = {}
    for r in recs:
        by_action.setdefault(r["event"]["action"], []).append(r)
    ACT = ACTION
    for a, n in ((ACT.OPEN_WRITE, 2), (ACT.CREATE, 2), (ACT.MKDIR, 1), (ACT.RENAME, 1), (ACT.CHMOD, 1),
                 (ACT.CHOWN, 1), (ACT.TRUNCATE, 1), (ACT.UNLINK, 1), (ACT.RMDIR, 1), (ACT.SYMLINK, 1),
                 (ACT.SETXATTR, 1)):
        check(len(by_action.get(a, [])) == n,
              f"workload: {n} {a} attempt(s) expected, got {[r['file']['path'] for r in by_action.get(a, [])]}")
    path_of = {(r["event"]["action"], r["file"]["path"]): r for r in recs}
    outer = sh.pid
    check(path_of[(ACT.OPEN_WRITE, "/etc/passwd")]["process"]["pid"] == outer, "the outer shell wrote /etc/passwd")
    inner = path_of[(ACT.OPEN_WRITE, "/etc/shadow")]["process"]["pid"]
    check(path_of[(ACT.OPEN_WRITE, "/etc/shadow")]["process"]["ppid"] == outer, "inner shell is a child of outer")
    rm = path_of[(ACT.UNLINK, "/data/keep")]["process"]
    check(rm["ppid"] == inner and rm["name"] == "rm", "rm is a child of the inner shell")
    check(path_of[(ACT.CREATE, "/tmp/x")]["user"]["uid"] == 1000, "uid 1000 attempt recorded with its fsuid")
    check(path_of[(ACT.RENAME, "/data/old")]["file"]["new_path"] == "/data/new", "rename new_path")
    check(path_of[(ACT.SYMLINK, "/lnk")]["args"]["target"] == "/etc/passwd", "symlink target")

    def seqs(*args):
        return [r["seq"] for r in ndjson(run("show", "--json", *args, log, check_rc=0)[1])]

    S = {k: r["seq"] for k, r in path_of.items()}
    check(seqs("--pid", str(outer)) == [S[(ACT.OPEN_WRITE, "/etc/passwd")]], "show --pid")
    check(seqs("--name", "touch") == sorted([S[(ACT.CREATE, "/newfile")], S[(ACT.CREATE, "/tmp/x")]]), "show --name")
    mkdir_exe = path_of[(ACT.MKDIR, "/newdir")]["process"].get("executable")
    if mkdir_exe:
        check(seqs("--exe", mkdir_exe) == [S[(ACT.MKDIR, "/newdir")]], "show --exe")
        check(seqs("--exe", "*/rm") == [S[(ACT.UNLINK, "/data/keep")]], "show --exe glob")
    else:
        # the writer could not read /proc/<pid>/exe: --exe matches nothing
        print("NOTE: the writer logged no executable:", path_of[(ACT.MKDIR, "/newdir")]["process"].get("error"))
        check(seqs("--exe", "*") == [], "show --exe with no executables logged")
    check(seqs("--uid", "1000") == [S[(ACT.CREATE, "/tmp/x")]], "show --uid")
    check(seqs("--action", ACT.CHMOD) == [S[(ACT.CHMOD, "/etc/hosts")]], "show --action")
    check(seqs("--path", "/data/*") == sorted([S[(ACT.RENAME, "/data/old")], S[(ACT.UNLINK, "/data/keep")],
                                               S[(ACT.RMDIR, "/data/emptydir")]]), "show --path")
    t0, t1 = path_of[(ACT.MKDIR, "/newdir")]["ts"], path_of[(ACT.CHMOD, "/etc/hosts")]["ts"]
    check(seqs("--since", t0, "--until", t1)
          == list(range(S[(ACT.MKDIR, "/newdir")], S[(ACT.CHMOD, "/etc/hosts")] + 1)),
          "show --since/--until")
    rc, out, _ = run("show", log, check_rc=0)
    expect_in("/data/old -> /data/new", out, "show table")

    summ = ndjson(run("summary", "--json", "--top", "0", log, check_rc=0)[1])
    sb = {(r["by"], r["key"]): r["count"] for r in summ}
    check(sb[("action", ACT.OPEN_WRITE)] == 2 and sb[("path", "/etc/hosts")] == 2, "summary counts")
    check(sb[("user", "1000")] == 1 and sb[("user", "0")] == len(recs) - 1, "summary by user")
    if rm.get("executable"):
        check(sb[("executable", rm["executable"])] == 1, "summary by executable")
    else:
        check(sb[("executable", "(unknown)")] == len(recs), "summary: unknown executables grouped")

    tree = {p["pid"]: p for p in ndjson(run("tree", "--json", log, check_rc=0)[1])}
    check(tree[outer]["depth"] == 0 and tree[inner]["depth"] == 1 and tree[rm["pid"]]["depth"] == 2,
          "tree: outer > inner > rm")
    check(inner in tree[outer]["children"] and rm["pid"] in tree[inner]["children"], "tree children")
    check(len(tree) >= 10, "tree: one node per process")

    for fmt in ("ecs", "ocsf"):
        check(len(ndjson(run("export", "--format", fmt, log, check_rc=0)[1])) == len(recs), f"export {fmt}")

    # replay on a kernel overlay of the logged layers
    onto = os.path.join(d, "replay")
    rc, out, err = run("replay", "--onto", onto, "--json", log)
    if rc != 0 and "cannot mount the scratch overlay" in err:
        print("skip replay: kernel overlayfs unavailable:", err)
    else:
        check(rc == 0, f"replay rc {rc}: {err}")
        ch = {o["path"]: o for o in ndjson(out) if "path" in o}
        fails = [o["failure"] for o in ndjson(out) if "failure" in o]
        want = {"/etc/passwd": ["would_truncate"], "/etc/shadow": ["would_truncate"],
                "/newfile": ["created"], "/newdir": ["created"], "/data/new": ["renamed"],
                "/etc/hosts": ["chmod", "xattr"], "/var/log/app.log": ["chown", "truncated"],
                "/data/keep": ["deleted"], "/data/emptydir": ["deleted"], "/lnk": ["created"],
                "/tmp/x": ["created"]}
        for p, w in want.items():
            check(p in ch and ch[p]["changes"] == w, f"replay {p}: {w} expected, got {ch.get(p)}")
        check(set(ch) == set(want), f"replay: unexpected paths {set(ch) ^ set(want)}")
        check(not fails, f"replay: nothing should fail: {fails}")
        check(ch["/data/new"]["from"] == "/data/old", "replay rename from")
        check(ch["/etc/hosts"]["mode"] == "0600", "replay chmod mode")
        check(ch["/var/log/app.log"]["uid"] == 1000 and ch["/var/log/app.log"]["size"] == 2, "replay chown/truncate")
        check(ch["/tmp/x"]["uid"] == 1000, "replay: created with the caller's fsuid")
        check(ch["/newdir"]["type"] == "directory" and ch["/lnk"]["type"] == "symlink", "replay types")
        # the layers are untouched; the upper dir holds the result
        check(open(os.path.join(B, "etc/passwd")).read().startswith("root:"), "layer B untouched")
        check(os.path.exists(os.path.join(B, "data/keep")), "layer B untouched (keep)")
        up = os.path.join(onto, "upper")
        check(os.path.getsize(os.path.join(up, "etc/passwd")) == 0, "upper: /etc/passwd emptied")
        check(stat.S_ISCHR(os.lstat(os.path.join(up, "data/keep")).st_mode), "upper: whiteout for /data/keep")
        check(stat.S_IMODE(os.stat(os.path.join(up, "etc/hosts")).st_mode) == 0o600, "upper: chmod applied")
        check(not any(l.split()[1].startswith(onto) for l in open("/proc/self/mounts")), "nothing left mounted")
        rc, out, _ = run("replay", "--onto", onto, log, check_rc=2)
        # the same, as a table
        onto2 = os.path.join(d, "replay2")
        rc, out, _ = run("replay", "--onto", onto2, log, check_rc=0)
        for line in ("\tcreated               /newdir  (directory, mode 0755, uid 0 gid 0)",
                     "\trenamed               /data/new  (from /data/old)",
                     "\tchmod-ed              /etc/hosts  (0644 -> 0600)",
                     "\ttruncated             /var/log/app.log  (6 -> 2 bytes)",
                     "\tdeleted               /data/keep",
                     "\twould have truncated  /etc/passwd"):
            expect_in(line, out, "replay table")

    # replay --copy of the merged view (a second, log-less amberfs mount)
    view = os.path.join(d, "view")
    os.mkdir(view)
    wd.amberfs([A, B], view)
    onto3 = os.path.join(d, "replay3")
    rc, out, err = run("replay", "--onto", onto3, "--copy", "--layers", view, "--json", log, check_rc=0)
    wd.umount(view)
    ch = {o["path"]: o for o in ndjson(out) if "path" in o}
    check(ch.get("/data/new", {}).get("from") == "/data/old", "replay --copy rename")
    check(os.path.exists(os.path.join(onto3, "merged/newdir")), "replay --copy: result in merged/")
    check(not os.path.exists(os.path.join(onto3, "merged/data/keep")), "replay --copy: deletion applied")
    check(open(os.path.join(onto3, "merged/etc/hosts")).read() == "127.0.0.1 upper\n", "copy is the merged view")
except subprocess.TimeoutExpired:
    pass
finally:
    wd.close()
finish("logtool-real-mount")
