#!/bin/bash
# oci-startup.sh BUILDDIR [RUNS]: start-to-exit time of "true" through the
# engines, with the plain runtime and with amber-oci wrapping that same
# runtime, in one hyperfine session (as root, from a checkout after
# building):
#   podman run --rm --runtime RUNTIME   IMAGE true
#   podman run --rm --runtime amber-oci IMAGE true
#   ctr run --rm --runc-binary RUNTIME   IMAGE ID true   (containerd's runc v2 shim)
#   ctr run --rm --runc-binary amber-oci IMAGE ID true
# RUNTIME is what amber-oci itself picks: crun, or runc where crun cannot
# run (the hybrid cgroup layout of these machines; see PEERS notes).  The
# image is a busybox root made here (podman import; a docker-archive by
# hand for containerd); podman uses the vfs driver, containerd overlayfs.
# amber-oci's audit logs go to the work directory (annotation org.amber.log).
# Results: hyperfine's table, then median/mean per command and the two
# differences amber-oci - RUNTIME.
set -euo pipefail

build=$(cd "${1:?usage: oci-startup.sh BUILDDIR [RUNS]}" && pwd)
runs=${2:-30}
[ "$(id -u)" = 0 ] || { echo "oci-startup: run as root" >&2; exit 1; }
for p in hyperfine podman containerd ctr jq busybox sha256sum; do
	command -v $p >/dev/null || { echo "oci-startup: $p missing (scripts/install-deps.sh)" >&2; exit 1; }
done
if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" != cgroup2fs ] && command -v crun >/dev/null; then
	rt=$(command -v crun)
else
	rt=$(command -v runc) || { echo "oci-startup: runc missing" >&2; exit 1; }
fi

work=$(mktemp -d /tmp/amber-bench-oci.XXXXXX)
chmod 755 "$work"
ns=amber-bench-$$
cpid=
P=(podman --root "$work/pstore" --runroot "$work/prun" --tmpdir "$work/ptmp" --storage-driver vfs
	--cgroup-manager cgroupfs --events-backend file)
C=(ctr -a "$work/ctr/c.sock" -n "$ns")
cleanup() {
	"${P[@]}" rm -af -t 0 >/dev/null 2>&1 || true
	if [ -n "$cpid" ]; then
		"${C[@]}" images rm localhost/amber-bench:latest >/dev/null 2>&1 || true
		kill -TERM "$cpid" 2>/dev/null; sleep 1; kill -KILL "$cpid" 2>/dev/null || true
	fi
	rm -rf "/run/containerd/runc/$ns" "$work"
}
trap cleanup EXIT

cp "$build/oci/amber-oci" "$build/fs/amberfs" "$work/"
printf '[engine]\nruntime_supports_json = ["crun", "runc", "amber-oci"]\n' >"$work/containers.conf"
export CONTAINERS_CONF=$work/containers.conf
r=$work/rootfs
mkdir -p "$r"/{bin,proc,sys,dev,tmp,etc,root} "$work/img" "$work/ctr"
cp "$(command -v busybox)" "$r/bin/busybox"
for a in $("$r/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
touch "$r"/etc/{hosts,resolv.conf,hostname}
echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
tar -C "$r" -cf "$work/img/layer.tar" .
"${P[@]}" import "$work/img/layer.tar" localhost/amber-bench >/dev/null

diff=$(sha256sum "$work/img/layer.tar" | cut -d' ' -f1)
jq -n --arg d "sha256:$diff" '{architecture: "amd64", os: "linux", config: {Cmd: ["sh"]},
	rootfs: {type: "layers", diff_ids: [$d]}}' >"$work/img/config.json"
cfg=$(sha256sum "$work/img/config.json" | cut -d' ' -f1)
mv "$work/img/config.json" "$work/img/$cfg.json"
jq -n --arg c "$cfg.json" '[{Config: $c, RepoTags: ["localhost/amber-bench:latest"], Layers: ["layer.tar"]}]' \
	>"$work/img/manifest.json"
tar -C "$work/img" -cf "$work/image.tar" manifest.json "$cfg.json" layer.tar
printf 'version = 2\nroot = "%s/ctr/root"\nstate = "%s/ctr/state"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "%s/ctr/c.sock"\n' \
	"$work" "$work" "$work" >"$work/ctr/config.toml"
containerd --config "$work/ctr/config.toml" >"$work/ctr/log" 2>&1 &
cpid=$!
for _ in $(seq 300); do "${C[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${C[@]}" images import "$work/image.tar" >/dev/null

U="--network=none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768"
A="--annotation org.amber.log=$work/amber.log"
name=$(basename "$rt")
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/oci.json" \
	-n "podman $name" "${P[*]} run --rm $U --runtime $rt localhost/amber-bench true" \
	-n "podman amber-oci" "${P[*]} run --rm $U $A --runtime $work/amber-oci localhost/amber-bench true" \
	-n "ctr $name" "${C[*]} run --rm --runc-binary $rt localhost/amber-bench:latest b1 true" \
	-n "ctr amber-oci" "${C[*]} run --rm $A --runc-binary $work/amber-oci localhost/amber-bench:latest b2 true"
jq -r '.results[] | "\(.command)\tmedian \(.median * 1000 | . * 10 | round / 10) ms\tmean \(.mean * 1000 | . * 10 | round / 10) ms ± \(.stddev * 1000 | . * 10 | round / 10)"' "$work/oci.json"
jq -r '.results as $r | ["podman", "ctr"][] as $e |
	($r[] | select(.command == "\($e) amber-oci").median) - ($r[] | select(.command | startswith("\($e) ") and (endswith("amber-oci") | not)).median) |
	"\($e): amber-oci adds \(. * 1000 | . * 10 | round / 10) ms (median)"' "$work/oci.json" 2>/dev/null ||
	jq -r '.results | "podman: amber-oci adds \((.[1].median - .[0].median) * 1000 | . * 10 | round / 10) ms (median)", "ctr: amber-oci adds \((.[3].median - .[2].median) * 1000 | . * 10 | round / 10) ms (median)"' "$work/oci.json"
echo "audit records written: $(grep -c '"kind":"start"' "$work/amber.log") sessions in $work/amber.log"
