#!/bin/bash
# bench-startup.sh BUILDDIR [RUNS]: start-to-exit time of "true" in a
# read-only busybox root, amber-run next to bwrap and crun, measured by one
# hyperfine session (as root; run from a checkout after building).
#
# All three get the same directory as their root, read-only:
#   amber-run -q --log L ROOTFS true        (amberfs root, seccomp, caps, init)
#   bwrap --unshare-all --ro-bind ROOTFS / --proc /proc --dev /dev ... true
#   crun --cgroup-manager=disabled run -b BUNDLE ID  (config: root.readonly,
#                                                     from "crun spec")
# crun refuses hybrid cgroups on these machines (see PEERS.md), so the whole
# session runs in a private mount namespace with cgroup2 "unified" unmounted.
# Results: the table hyperfine prints, and a median/mean line per tool.
# With AMBER_BENCH_USER=NAME, a second session runs amber-run and bwrap
# rootless as that user (/dev/fuse must be usable by it; crun rootless
# needs a different config and is left out).
set -euo pipefail

build=$(cd "${1:?usage: bench-startup.sh BUILDDIR [RUNS]}" && pwd)
runs=${2:-200}
src=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bench-startup: run as root" >&2; exit 1; }
for p in hyperfine bwrap crun jq; do
	command -v $p >/dev/null || { echo "bench-startup: $p missing (scripts/install-deps.sh)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/amber-bench-startup.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$src/scripts/make-demo-image.sh" "$work/image" >/dev/null
rootfs=$work/image/base
mkdir -p "$work/bundle"
(cd "$work/bundle" && crun spec)
chmod 755 "$work"
chmod -R a+rX "$work/image"
jq --arg r "$rootfs" '.root = {path: $r, readonly: true} | .process.terminal = false |
	.process.args = ["/bin/true"]' "$work/bundle/config.json" >"$work/bundle/c.json"
mv "$work/bundle/c.json" "$work/bundle/config.json"

export AMBERFS=${AMBERFS:-$build/fs/amberfs}
unshare -m bash -s "$build" "$rootfs" "$work" "$runs" <<'INNER'
set -euo pipefail
build=$1 rootfs=$2 work=$3 runs=$4
umount /sys/fs/cgroup/unified 2>/dev/null || true
hyperfine -N --warmup 10 --runs "$runs" \
	--export-json "$work/startup.json" --export-markdown "$work/startup.md" \
	-n amber-run "$build/runner/amber-run -q --log $work/amber.log $rootfs true" \
	-n bwrap "bwrap --unshare-all --ro-bind $rootfs / --proc /proc --dev /dev --die-with-parent --new-session --clearenv --setenv PATH /bin /bin/true" \
	-n crun "crun --cgroup-manager=disabled run -b $work/bundle amber-bench-$$"
jq -r '.results[] | "\(.command)\tmedian \(.median * 1000 | . * 100 | round / 100) ms\tmean \(.mean * 1000 | . * 100 | round / 100) ms ± \(.stddev * 1000 | . * 100 | round / 100)"' "$work/startup.json"
INNER

if [ -n "${AMBER_BENCH_USER:-}" ]; then
	u=$AMBER_BENCH_USER
	cp "$build/runner/amber-run" "$AMBERFS" "$work/"
	chmod 755 "$work/amber-run" "$work/amberfs"
	mkdir -p "$work/u"
	chown "$u" "$work/u"
	setpriv --reuid "$u" --regid "$u" --init-groups -- env HOME="$work/u" XDG_RUNTIME_DIR="$work/u" \
		AMBERFS="$work/amberfs" hyperfine -N --warmup 10 --runs "$runs" --export-json "$work/u/rootless.json" \
		-n amber-run-rootless "$work/amber-run -q --log $work/u/amber.log $rootfs true" \
		-n bwrap-rootless "bwrap --unshare-all --unshare-user --uid 0 --gid 0 --ro-bind $rootfs / --proc /proc --dev /dev --die-with-parent --new-session --clearenv --setenv PATH /bin /bin/true"
	jq -r '.results[] | "\(.command)\tmedian \(.median * 1000 | . * 100 | round / 100) ms\tmean \(.mean * 1000 | . * 100 | round / 100) ms ± \(.stddev * 1000 | . * 100 | round / 100)"' "$work/u/rootless.json"
fi
