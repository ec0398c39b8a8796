#!/usr/bin/env python3
"""hostile.py OUTDIR OUTSIDE - one OCI image layout per hostile archive case.

Each OUTDIR/CASE is a valid layout (digests and diff_ids right), whose only
layer holds a harmless base and then the hostile entries, so that the
import gets as far as the entry and must refuse it there.  OUTSIDE is a
directory that the entries try to reach; the test checks it stays empty.
Prints "CASE<TAB>the refusal the import must report" per line.
"""
import hashlib
import io
import json
import os
import sys
import tarfile


def reg(name, data=b"x", **kw):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = 0o644
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti, data


def link(name, target, kind):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = target
    return ti, None


def build_tar(entries, raw_tail=b""):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        d = tarfile.TarInfo("etc")
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        t.addfile(d)
        ti, data = reg("etc/base")
        t.addfile(ti, io.BytesIO(data))
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
        if raw_tail:
            # Hand-made members go before the end-of-archive blocks.
            t.fileobj.write(raw_tail)
            t.offset += len(raw_tail)
    return buf.getvalue()


def huge_member():
    ti = tarfile.TarInfo("etc/huge")
    ti.size = 1 << 40
    hdr = ti.tobuf(format=tarfile.PAX_FORMAT)
    return hdr + b"\0" * 512  # the data that follows is never there


def sparse_member():
    # GNU sparse format 1.0 in pax headers: a map block, then the data.
    data = b"1\n0\n512\n".ljust(512, b"\0") + b"s" * 512
    ti = tarfile.TarInfo("etc/GNUSparseFile.0/sparse")
    ti.size = len(data)
    ti.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                      "GNU.sparse.name": "etc/sparse", "GNU.sparse.realsize": str(1 << 30)}
    return ti.tobuf(format=tarfile.PAX_FORMAT) + data


def write_layout(d, layer):
    os.makedirs(d + "/blobs/sha256")

    def blob(b):
        h = hashlib.sha256(b).hexdigest()
        with open(d + "/blobs/sha256/" + h, "wb") as f:
            f.write(b)
        return {"digest": "sha256:" + h, "size": len(b)}

    ld = blob(layer)
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": [ld["digest"]]},
                      "config": {}}).encode()
    cd = blob(cfg)
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": dict(cd, mediaType="application/vnd.oci.image.config.v1+json"),
                      "layers": [dict(ld, mediaType="application/vnd.oci.image.layer.v1.tar")]}).encode()
    md = blob(man)
    with open(d + "/index.json", "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [dict(md, mediaType="application/vnd.oci.image.manifest.v1+json",
                                                           annotations={"org.opencontainers.image.ref.name": "t"})]}, f)
    with open(d + "/oci-layout", "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')


def main():
    out, outside = sys.argv[1], sys.argv[2]
    up = "../" * 20 + outside.lstrip("/")
    cases = {
        "absolute": ([reg(outside + "/abs")], b"", "absolute name"),
        "dotdot": ([reg(up + "/dotdot")], b"", "'..' component"),
        "symlink-abs": ([link("etc/a", outside, tarfile.SYMTYPE), reg("etc/a/pwned")], b"",
                        "resolves through a symlink that leaves the layer"),
        "symlink-rel": ([link("etc/b", up, tarfile.SYMTYPE), reg("etc/b/pwned")], b"",
                        "resolves through a symlink that leaves the layer"),
        "hardlink-abs": ([link("etc/h", "/etc/passwd", tarfile.LNKTYPE)], b"", "absolute name"),
        "hardlink-out": ([link("etc/h", up + "/x", tarfile.LNKTYPE)], b"", "'..' component"),
        "hardlink-unknown": ([link("etc/h", "etc/not-in-this-layer", tarfile.LNKTYPE)], b"",
                             "not an earlier file of this layer"),
        "huge": ([], huge_member(), "larger than the limit on one file"),
        "sparse": ([], sparse_member(), "sparse entry"),
        "longname": ([reg("etc/" + "/".join(["d" * 200] * 25))], b"", "longer than PATH_MAX"),
        "duplicate": ([reg("etc/dup", b"one"), reg("etc/dup", b"two")], b"", "duplicate entry"),
        "dir-then-file": ([reg("etc/base2"), reg("etc/base2/x")], b"", "not a directory"),
    }
    for name, (entries, tail, why) in cases.items():
        write_layout(os.path.join(out, name), build_tar(entries, tail))
        print("%s\t%s" % (name, why))


if __name__ == "__main__":
    main()
