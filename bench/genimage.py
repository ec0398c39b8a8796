#!/usr/bin/env python3
"""genimage.py OUTDIR [--files N] [--layers L] [--bytes B] [--seed S]

Writes a synthetic OCI image layout (OUTDIR/layout, tag "synth") and the
same image as an oci-archive (OUTDIR/synth-oci.tar): N files spread over
L gzip layers, about B bytes in all, deterministic for given arguments.
Sizes follow a mix like bench/genstack.py's (most files small, a few
large); content is half random, half repetitive, so gzip has some work.
Used by bench/import.sh.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import random
import tarfile


def layer_tar(rnd, layer, nfiles, budget):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        dirs = set()
        sizes = [rnd.choice((512, 2048, 4096, 8192, 65536)) for _ in range(nfiles)]
        scale = budget / max(1, sum(sizes))
        for i, s in enumerate(sizes):
            d = "l%d/d%03d" % (layer, i % 200)
            for p in (d.split("/")[0], d):
                if p not in dirs:
                    ti = tarfile.TarInfo(p)
                    ti.type = tarfile.DIRTYPE
                    ti.mode = 0o755
                    t.addfile(ti)
                    dirs.add(p)
            n = max(1, int(s * scale))
            half = n // 2
            data = rnd.randbytes(half) + bytes([i % 251]) * (n - half)
            ti = tarfile.TarInfo("%s/f%06d" % (d, i))
            ti.size = n
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
    tar = raw.getvalue()
    return tar, gzip.compress(tar, compresslevel=1, mtime=0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--files", type=int, default=100000)
    ap.add_argument("--layers", type=int, default=10)
    ap.add_argument("--bytes", type=int, default=1 << 30)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    lay = os.path.join(a.out, "layout")
    os.makedirs(lay + "/blobs/sha256", exist_ok=True)

    def blob(b):
        h = hashlib.sha256(b).hexdigest()
        with open(lay + "/blobs/sha256/" + h, "wb") as f:
            f.write(b)
        return {"digest": "sha256:" + h, "size": len(b)}

    layers, diff_ids = [], []
    for i in range(a.layers):
        tar, gz = layer_tar(rnd, i, a.files // a.layers, a.bytes // a.layers)
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        layers.append(dict(blob(gz), mediaType="application/vnd.oci.image.layer.v1.tar+gzip"))
    cfg = blob(json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                           "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode())
    man = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": dict(cfg, mediaType="application/vnd.oci.image.config.v1+json"),
                           "layers": layers}).encode())
    with open(lay + "/index.json", "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [dict(man, mediaType="application/vnd.oci.image.manifest.v1+json",
                                                           annotations={"org.opencontainers.image.ref.name": "synth"})]}, f)
    with open(lay + "/oci-layout", "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with tarfile.open(os.path.join(a.out, "synth-oci.tar"), "w") as t:
        for n in ("oci-layout", "index.json"):
            t.add(os.path.join(lay, n), n)
        for n in sorted(os.listdir(lay + "/blobs/sha256")):
            t.add(lay + "/blobs/sha256/" + n, "blobs/sha256/" + n)


if __name__ == "__main__":
    main()
