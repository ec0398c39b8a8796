#!/bin/bash
# Tampering: one flipped byte in a layer blob, in the config and in the
# manifest of an OCI layout (and in a layer inside an oci-archive): each
# import is refused with the blob named, and nothing is left in the store.
. "$(dirname "$0")/lib.sh"
build_images

flip() { # FILE: inverts the byte in the middle of FILE
	python3 - "$1" <<'PY'
import os, sys
p = sys.argv[1]
with open(p, "r+b") as f:
    n = os.path.getsize(p)
    f.seek(n // 2)
    b = f.read(1)
    f.seek(n // 2)
    f.write(bytes([b[0] ^ 0xFF]))
PY
}

man=$(jq -r '.manifests[0].digest' "$IMGS/img/index.json")
cfg=$(jq -r '.config.digest' "$IMGS/img/blobs/sha256/${man#sha256:}")
layer=$(jq -r '.layers[1].digest' "$IMGS/img/blobs/sha256/${man#sha256:}")
for what in layer config manifest; do
	case $what in
	layer) d=$layer; want="layer blob $layer|layer 2 of 4 \($layer\)" ;;
	config) d=$cfg; want="config blob $cfg does not match its digest" ;;
	manifest) d=$man; want="manifest blob $man does not match its digest" ;;
	esac
	rm -rf "$T/t-$what"
	cp -a "$IMGS/img" "$T/t-$what"
	flip "$T/t-$what/blobs/sha256/${d#sha256:}"
	ai import "oci:$T/t-$what:t"
	expect_rc 2 "tampered $what"
	expect_err "$want" "tampered $what: the blob is named"
	assert_store_empty "tampered $what"
	ok "$MODE: a flipped byte in the $what is refused, naming $d; nothing stored"
done

# A layer blob whose bytes decompress fine but are not the ones the
# descriptor names: the digest check itself must catch it.  Replace the
# top layer by a valid gzip of other content, keeping the descriptor.
top=$(jq -r '.layers[3].digest' "$IMGS/img/blobs/sha256/${man#sha256:}")
rm -rf "$T/t-swap"
cp -a "$IMGS/img" "$T/t-swap"
mkdir -p "$T/swap/etc" && echo other >"$T/swap/etc/other"
tar -C "$T/swap" -cf - etc | gzip -n >"$T/t-swap/blobs/sha256/${top#sha256:}"
ai import "oci:$T/t-swap:t"
expect_rc 2 "swapped layer"
expect_err "layer blob $top does not match its digest" "swapped layer: the blob is named"
assert_store_empty "swapped layer"
ok "$MODE: a valid but different layer blob is refused by its digest; nothing stored"

# The same inside an oci-archive.
python3 - "$T/t-layer" "$T/t-layer.tar" <<'PY'
import os, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(dst, "w") as t:
    for d, _, files in os.walk(src):
        for f in files:
            p = os.path.join(d, f)
            t.add(p, os.path.relpath(p, src))
PY
chmod a+r "$T/t-layer.tar"
ai import "oci-archive:$T/t-layer.tar:t"
expect_rc 2 "tampered layer in an oci-archive"
expect_err "$layer" "tampered oci-archive: the blob is named"
assert_store_empty "tampered oci-archive"
ok "$MODE: the same layer flip inside an oci-archive is refused; nothing stored"
