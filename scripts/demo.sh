#!/bin/sh
# demo.sh BUILDDIR: the README's demo ("./dev demo" runs it after the build).
#
# Builds the three-layer busybox image (scripts/make-demo-image.sh), turns it
# into an OCI archive (scripts/make-demo-archive.sh: umoci and skopeo),
# imports that with amber-image into a store of its own and runs it by name
# with amber-run, with a tmpfs on /tmp and a host directory on /data: the
# image's Cmd (/app/run.sh) writes there, which works; its writes to /etc,
# /usr/bin and / are refused, and the audit log shows each refused attempt
# (amber-log if built, else jq).  Without amber-image, umoci or skopeo it
# runs the layer directories directly.
# If amber-run is not built (or not usable on this machine) it falls back to
# amberfs alone: mount the stack, list it, try a write, show the log.
# Everything it mounts is unmounted by a trap, whatever happens.
set -eu

build=${1:?usage: demo.sh BUILDDIR}
build=$(cd "$build" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
amberfs=${AMBERFS:-$build/fs/amberfs}
runner=$build/runner/amber-run
logtool=$build/logtool/amber-log

work=$(mktemp -d "${TMPDIR:-/tmp}/amber-demo.XXXXXX")
mnt=
cleanup() {
	if [ -n "$mnt" ] && mountpoint -q "$mnt" 2>/dev/null; then
		fusermount3 -u "$mnt" 2>/dev/null || umount "$mnt" 2>/dev/null || umount -l "$mnt"
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

"$src/scripts/make-demo-image.sh" "$work/image" >/dev/null
img=$work/image
layers=$img/config:$img/app:$img/base
# The log outlives the demo: explore it afterwards with amber-log.
log=$build/demo-audit.log
rm -f "$log"
mkdir "$work/volume"

show_log() {
	step "the refused writes, from the audit log ($log)"
	if [ -x "$logtool" ] && "$logtool" show "$log" 2>/dev/null; then
		return 0
	fi
	if command -v jq >/dev/null 2>&1; then
		jq -r 'select(.kind == "attempt" or .kind == "summary") |
			"\(.event.action)\t\(.file.path)\t\(.process.name // "?") (pid \(.process.pid // "?"))\t\(.errno_name)"' \
			"$log" 2>/dev/null || cat "$log"
	else
		cat "$log"
	fi
}

imagetool=$build/image/amber-image
if [ -x "$runner" ] && [ -x "$imagetool" ] && command -v umoci >/dev/null && command -v skopeo >/dev/null &&
	[ "${AMBER_DEMO_NO_IMAGE:-0}" != 1 ] && [ "${AMBER_DEMO_NO_RUNNER:-0}" != 1 ]; then
	# The same three layers as an OCI archive (umoci, skopeo), imported
	# into a store of the demo's own and run by name.
	step "an OCI archive of 3 layers (base, app, config: a whiteout of /etc/motd), Cmd /app/run.sh"
	"$src/scripts/make-demo-archive.sh" "$img" "$work/demo.tar"
	ls -l "$work/demo.tar" | sed 's/^/  /'
	store=$work/store
	step "amber-image --store STORE import oci-archive:demo.tar amber-demo"
	"$imagetool" --store "$store" import "oci-archive:$work/demo.tar" amber-demo
	"$imagetool" --store "$store" list | sed 's/^/  /'
	step "amber-run --store STORE --tmpfs /tmp -v VOLUME:/data amber-demo   (its Cmd: /app/run.sh)"
	rc=0
	"$runner" --store "$store" --hostname demo --tmpfs /tmp -v "$work/volume:/data" --log "$log" \
		amber-demo || rc=$?
	step "on the host, the volume holds what the container wrote"
	ls -l "$work/volume"
	show_log
	echo
	echo "The log stays in $log: try '$logtool summary $log' or 'jq . $log'."
	exit "$rc"
fi

if [ -x "$runner" ] && [ "${AMBER_DEMO_NO_RUNNER:-0}" != 1 ]; then
	step "image: 3 layers (top first): config (whiteout of /etc/motd), app, base"
	echo "$layers" | tr ':' '\n' | sed 's/^/  /'
	step "amber-run --tmpfs /tmp -v VOLUME:/data IMAGE /app/run.sh"
	rc=0
	"$runner" --hostname demo --tmpfs /tmp -v "$work/volume:/data" --log "$log" \
		"$layers" /app/run.sh || rc=$?
	step "on the host, the volume holds what the container wrote"
	ls -l "$work/volume"
	show_log
	echo
	echo "The log stays in $log: try '$logtool summary $log' or 'jq . $log'."
	exit "$rc"
fi

# amberfs alone (amber-run not built yet).
mnt=$work/mnt
mkdir "$mnt"
step "amberfs -o lowerdir=config:app:base,log=$log $mnt"
"$amberfs" -o "lowerdir=$layers,log=$log" "$mnt"
step "the merged tree"
ls -la "$mnt" "$mnt/etc" | sed 's/^/  /'
echo "  /etc/motd (whited out): $(cat "$mnt/etc/motd" 2>&1 | sed 's/.*: //')"
echo "  /etc/app.conf: $(cat "$mnt/etc/app.conf")"
step "writes are refused"
for t in "$mnt/etc/passwd" "$mnt/usr/bin/backdoor" "$mnt/newfile"; do
	if msg=$(sh -c "echo x >>'$t'" 2>&1); then
		echo "  write to ${t#"$mnt"}: unexpectedly succeeded"
	else
		echo "  write to ${t#"$mnt"}: refused (${msg##*: })"
	fi
done
mkdir "$mnt/persist" 2>/dev/null || echo "  mkdir /persist: refused"
fusermount3 -u "$mnt" 2>/dev/null || umount "$mnt"
mnt=
# The daemon writes its "stop" record as it exits: give it a moment.
i=0
while ! tail -n 1 "$log" 2>/dev/null | grep -q '"kind":"stop"' && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
show_log
