#!/bin/bash
# containerd's runc v2 shim (what Kubernetes' containerd runs) with
# amber-oci as its runc binary: ctr run --runc-binary amber-oci runs an
# imported image on an amberfs root; a refused write is logged; the exit
# code comes back; ctr task kill / task rm / container rm clean up.
# containerd runs from a config of our own under $T and is killed by pid.
. "$(dirname "$0")/lib.sh"
need containerd
need ctr
need jq
need sha256sum
RUNC=$(command -v runc) || skip "runc is not installed (the shim needs a runc-compatible runtime to wrap)"

NS=amber-oci-test-$$
mkdir -p "$T/bin" "$T/ctr" "$T/img"
cp "$AMBER_OCI" "$AMBERFS" "$T/bin/"
# The shim keeps runc's state in /run/containerd/runc/NAMESPACE: ours alone.
on_exit "rm -rf '/run/containerd/runc/$NS'"
cat >"$T/ctr/config.toml" <<TOML
version = 2
root = "$T/ctr/root"
state = "$T/ctr/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$T/ctr/c.sock"
TOML
containerd --config "$T/ctr/config.toml" >"$T/ctr/log" 2>&1 &
CPID=$!
on_exit "kill -TERM $CPID; sleep 1; kill -KILL $CPID"
C=(ctr -a "$T/ctr/c.sock" -n "$NS")
for _ in $(seq 300); do "${C[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${C[@]}" version >/dev/null 2>&1 || skip "containerd does not start here: $(tail -2 "$T/ctr/log")"

# A docker-archive image by hand: one layer, its config, the manifest.
make_rootfs "$T/rootfs"
tar -C "$T/rootfs" -cf "$T/img/layer.tar" .
diff=$(sha256sum "$T/img/layer.tar" | cut -d' ' -f1)
jq -n --arg d "sha256:$diff" --arg arch "$(dpkg --print-architecture 2>/dev/null || echo amd64)" \
	'{architecture: $arch, os: "linux", config: {Cmd: ["sh"]}, rootfs: {type: "layers", diff_ids: [$d]}}' >"$T/img/config.json"
cfg=$(sha256sum "$T/img/config.json" | cut -d' ' -f1)
mv "$T/img/config.json" "$T/img/$cfg.json"
jq -n --arg c "$cfg.json" '[{Config: $c, RepoTags: ["localhost/amber-oci-test:latest"], Layers: ["layer.tar"]}]' >"$T/img/manifest.json"
tar -C "$T/img" -cf "$T/image.tar" manifest.json "$cfg.json" layer.tar
IMG=localhost/amber-oci-test:latest
"${C[@]}" images import "$T/image.tar" >/dev/null || fail "ctr images import"
on_exit "${C[*]} images rm $IMG"
"${C[@]}" run --rm --runc-binary "$RUNC" "$IMG" pre-$$ true >"$T/pre.out" 2>&1 ||
	skip "ctr run with runc itself fails here: $(tail -1 "$T/pre.out")"

STATE=/run/containerd/runc/$NS/amber-oci
ID=run-$$
on_exit "rm -f /var/log/amber/$ID.log"
out=$("${C[@]}" run --rm --runc-binary "$T/bin/amber-oci" "$IMG" "$ID" \
	sh -c 'exec 2>&1; grep -c "^[0-9]* [0-9]* [0-9:]* / / .* - fuse.amberfs " /proc/self/mountinfo; echo x > /etc/x || echo refused; cat /etc/motd; exit 3' 2>&1)
rc=$?
[ "$rc" = 3 ] || fail "ctr run: exit code $rc, want 3: $out"
[ "$(grep -x -e 1 -e refused -e "image file" <<<"$out" | tr '\n' ' ')" = "1 refused image file " ] || fail "ctr run: $out"
pass "ctr run --runc-binary amber-oci: root on amberfs, write refused, exit code 3 comes back"
[ "$(log_attempts "/var/log/amber/$ID.log")" = "create /etc/x" ] || fail "log: $(log_attempts "/var/log/amber/$ID.log")"
assert_clean "$ID" "$STATE"
pass "the refused write is logged; ctr run --rm leaves no mount, daemon or state"

ID=task-$$
on_exit "rm -f /var/log/amber/$ID.log"
on_exit "${C[*]} task kill -s KILL $ID; ${C[*]} task rm -f $ID; ${C[*]} container rm $ID"
"${C[@]}" run -d --runc-binary "$T/bin/amber-oci" "$IMG" "$ID" \
	sh -c 'trap "exit 42" TERM; while :; do touch /etc/t 2>/dev/null; sleep 0.1; done' >/dev/null || fail "ctr run -d"
for _ in $(seq 100); do [ -n "$(log_attempts "/var/log/amber/$ID.log" 2>/dev/null)" ] && break; sleep 0.1; done
"${C[@]}" task kill "$ID" || fail "ctr task kill"
for _ in $(seq 100); do "${C[@]}" task ls | grep -q "^$ID .*STOPPED" && break; sleep 0.1; done
"${C[@]}" task ls | grep -q "^$ID .*STOPPED" || fail "the task did not stop after SIGTERM: $("${C[@]}" task ls)"
"${C[@]}" task rm "$ID" >/dev/null || fail "ctr task rm"
"${C[@]}" container rm "$ID" || fail "ctr container rm"
assert_clean "$ID" "$STATE"
log_attempts "/var/log/amber/$ID.log" | grep -q "^utimes /etc/t$\|^create /etc/t$" || fail "no touch /etc/t in the log"
[ "$(jq -r 'select(.kind == "stop") | .kind' "/var/log/amber/$ID.log")" = stop ] || fail "the log has no stop record"
pass "ctr task kill, task rm and container rm leave no mount, daemon or state; the log is complete"
