#!/bin/sh
# make-demo-archive.sh IMAGEDIR ARCHIVE: the demo image as an OCI archive.
#
# Takes the three layer directories that make-demo-image.sh built
# (IMAGEDIR/base, app, config) and builds the same image with umoci, one
# layer per directory (the config layer deletes /etc/motd, which umoci
# writes as an OCI whiteout), with /app/run.sh as its command; then skopeo
# writes it as an oci-archive, which "amber-image import" takes.
# Needs root (umoci unpack keeps owners) and Debian's umoci and skopeo.
set -eu

img=${1:?usage: make-demo-archive.sh IMAGEDIR ARCHIVE}
out=${2:?usage: make-demo-archive.sh IMAGEDIR ARCHIVE}
work=$(mktemp -d "${TMPDIR:-/tmp}/amber-demo-oci.XXXXXX")
trap 'rm -rf "$work"' EXIT

layout=$work/layout
umoci init --layout "$layout"
umoci new --image "$layout:demo"
for layer in base app config; do
	bundle=$work/bundle-$layer
	umoci unpack --image "$layout:demo" "$bundle" >/dev/null
	# The layer's files over what the layers below left.
	(cd "$img/$layer" && find . -name '.wh.*' -prune -o -print) | while read -r p; do
		[ "$p" = . ] && continue
		if [ -d "$img/$layer/$p" ] && [ ! -L "$img/$layer/$p" ]; then
			mkdir -p "$bundle/rootfs/$p"
		else
			cp -a "$img/$layer/$p" "$bundle/rootfs/$p"
		fi
	done
	# OCI whiteouts of the layer: delete, and umoci records the deletion.
	(cd "$img/$layer" && find . -name '.wh.*' ! -name '.wh..wh..opq') | while read -r w; do
		rm -rf "$bundle/rootfs/$(dirname "$w")/$(basename "$w" | sed 's/^\.wh\.//')"
	done
	umoci repack --image "$layout:demo" "$bundle" >/dev/null
	rm -rf "$bundle"
done
umoci config --image "$layout:demo" --config.cmd /app/run.sh --config.workingdir / \
	--config.env PATH=/usr/local/bin:/usr/bin:/bin --config.label org.amber.demo=1
rm -f "$out"
skopeo copy --quiet "oci:$layout:demo" "oci-archive:$out:demo"
