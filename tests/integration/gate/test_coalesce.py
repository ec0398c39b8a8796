#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_coalesce - repeats are merged only when every argument is the same.

Through a real mount, one process makes, on the same file, within the
coalescing window:
  chmod 0644 then chmod 04755 (then 04755 once more: a true repeat);
  setxattr user.comment then security.capability (a file capability), then
  security.capability with another value;
  symlink NAME -> /bin/sh then NAME -> /tmp/evil.
The log must hold one attempt per distinct request, with its own arguments
(both modes, both xattr names, both values' digests, both targets), and only
the true repeat may be folded into a summary.  The log verifies and accounts
for every attempt.
"""
import errno
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import amber  # noqa: E402
from amber import auditlog, mounts  # noqa: E402


def vfs_cap(permitted):
    """struct vfs_cap_data, revision 2, effective bit set."""
    return struct.pack("<IIIII", 0x02000001, permitted, 0, 0, 0)


def refused(fn, *args):
    try:
        fn(*args)
    except OSError as e:
        return e.errno == errno.EROFS
    return False


def main():
    amber.require()
    failures = []
    with mounts.Workdir(prefix="amber-gate-") as w:
        lay = w.path("layer")
        os.makedirs(os.path.join(lay, "bin"))
        with open(os.path.join(lay, "bin", "busybox"), "wb") as f:
            f.write(b"\x7fELF not really\n")
        os.chmod(os.path.join(lay, "bin", "busybox"), 0o755)
        mnt = w.path("mnt")
        os.mkdir(mnt)
        log = w.path("audit.log")
        m = w.amberfs([lay], mnt, log=log, foreground=True)
        bb = os.path.join(mnt, "bin", "busybox")
        link = os.path.join(mnt, "bin", "sh")
        cap_raw, cap_admin = vfs_cap(1 << 13), vfs_cap(1 << 21)
        ops = [
            (os.chmod, bb, 0o644),
            (os.chmod, bb, 0o4755),
            (os.chmod, bb, 0o4755),  # the same again: may be a summary
            (os.setxattr, bb, "user.comment", b"hello"),
            (os.setxattr, bb, "security.capability", cap_raw),
            (os.setxattr, bb, "security.capability", cap_admin),
            (os.symlink, "/bin/sh", link),
            (os.symlink, "/tmp/evil", link),
        ]
        for op in ops:
            if not refused(*op):
                failures.append(f"{op[0].__name__}{op[1:]} was not refused with EROFS")
        m.close()

        s = auditlog.Series([log])
        s.check_invariant(expected_attempts=len(ops))
        att = s.kind("attempt")
        by = {}
        for r in att:
            by.setdefault(r["event"]["action"], []).append(r["args"])
        modes = [a.get("mode") for a in by.get("chmod", [])]
        if sorted(modes) != ["0644", "4755"]:
            failures.append(f"chmod attempts show modes {modes}, want 0644 and 4755")
        names = [a.get("name") for a in by.get("setxattr", [])]
        if sorted(names) != ["security.capability", "security.capability", "user.comment"]:
            failures.append(f"setxattr attempts show names {names}")
        digests = {a.get("name"): [] for a in by.get("setxattr", [])}
        for a in by.get("setxattr", []):
            digests[a.get("name")].append(a.get("value_digest"))
        caps = digests.get("security.capability", [])
        want = sorted([auditlog.hash128_hex(cap_raw), auditlog.hash128_hex(cap_admin)])
        if sorted(caps) != want:
            failures.append(f"security.capability digests {caps}, want {want}")
        targets = [a.get("target") for a in by.get("symlink", [])]
        if sorted(targets) != ["/bin/sh", "/tmp/evil"]:
            failures.append(f"symlink attempts show targets {targets}")
        sums = s.kind("summary")
        if len(att) != 7 or any(r["event"]["action"] != "chmod" or r["args"]["mode"] != "4755"
                                for r in sums):
            failures.append(f"{len(att)} attempts (want 7) and summaries {sums}")
        print(f"{len(att)} attempts, {len(sums)} summaries; modes {modes}, xattrs {names}, "
              f"targets {targets}")
        if failures:
            print("log:\n" + "\n".join(l.decode()[:300] for l in s.raw))
    if failures:
        print(f"FAILED: {failures}")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
