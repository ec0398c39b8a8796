#!/bin/bash
# amber-oci on a bare bundle, against the runtime it wraps ($1: crun or
# runc).  The same bundle goes through create, state, start, state, kill,
# state, delete, state, delete with the runtime itself and with amber-oci:
# every exit code and every state must match.  Inside, a write to the
# image is refused (EROFS) and logged once; a write to the bundle's tmpfs
# works.  With amber-oci the root is an amberfs mount, and after delete
# no mount, daemon or state is left.
RT=${1:-runc}
# crun refuses the hybrid cgroup layout (v1 controllers + v2 "unified"):
# run this test in a mount namespace of its own without the unified
# hierarchy, where crun falls back to cgroup v1 (see PEERS notes).
if [ "$RT" = crun ] && [ "${2:-}" != inner ] && [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	exec unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified && exec bash "$0" crun inner' "$0"
fi
. "$(dirname "$0")/lib.sh"
need "$RT"
need jq
RTBIN=$(command -v "$RT")

make_rootfs "$T/rootfs"
mkdir "$T/bundle" "$T/logs"
(cd "$T/bundle" && "$RTBIN" spec) || fail "$RT spec"
# shellcheck disable=SC2016
jq --arg root "$T/rootfs" --arg log "$T/logs/amber.log" '
	.root.path = $root | .process.terminal = false |
	.process.args = ["sh", "-c", "echo started; echo x > /etc/motd || echo etc-refused; echo t > /tmp/t && cat /tmp/t; trap \"echo term; exit 7\" TERM; while :; do sleep 0.1; done"] |
	.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}] |
	.annotations = {"org.amber.log": $log, "io.example.image": "busybox:test"}' \
	"$T/bundle/config.json" >"$T/config.json" && mv "$T/config.json" "$T/bundle/config.json"

wait_output() { # file text
	for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	fail "'$2' never appeared in $1: $(cat "$1")"
}
status_of() { # runtime... id
	local out
	out=$("$@" 2>/dev/null) || { echo "state-error"; return; }
	jq -r .status <<<"$out"
}
wait_status() { # want runtime... id
	local want=$1 s; shift
	for _ in $(seq 100); do s=$(status_of "$@" state "$ID"); [ "$s" = "$want" ] && return 0; sleep 0.1; done
	echo "$s"
}

# One pass; the transcript is printed, one line per step.
lifecycle() { # name runtime-command...
	local name=$1; shift
	local out=$T/$name.out
	ID=ctr-$name
	on_exit "$* delete --force $ID"
	"$@" create --bundle "$T/bundle" "$ID" >"$out" 2>&1 </dev/null
	echo "create $?"
	echo "state $(status_of "$@" state "$ID")"
	"$@" start "$ID"
	echo "start $?"
	wait_output "$out" "^t$"
	echo "state $(status_of "$@" state "$ID")"
	"$@" kill "$ID" TERM
	echo "kill $?"
	wait_status stopped "$@" >/dev/null
	echo "state $(status_of "$@" state "$ID")"
	"$@" delete "$ID" 2>/dev/null
	echo "delete $?"
	echo "state $(status_of "$@" state "$ID")"
	"$@" delete "$ID" 2>/dev/null
	echo "delete-again $?"
	cat "$out"
}

GLOBAL=(--root "$T/state-$RT")
[ "$RT" = crun ] && GLOBAL+=(--cgroup-manager=disabled)
direct=$(lifecycle direct "$RTBIN" "${GLOBAL[@]}")
echo "$direct" | sed 's/^/# direct: /'
amber=$(lifecycle amber "$AMBER_OCI" --runtime-binary "$RTBIN" "${GLOBAL[@]}")
echo "$amber" | sed 's/^/# amber-oci: /'

grep -qx "state running" <<<"$direct" || fail "$RT itself did not run the container"
[ "$direct" = "$amber" ] || fail "amber-oci's transcript differs from $RT's: $(diff <(echo "$direct") <(echo "$amber"))"
pass "create/start/kill/delete: exit codes and states match $RT's"
grep -qx "etc-refused" <<<"$amber" || fail "the write to /etc was not refused"
grep -qx "t" <<<"$amber" || fail "the write to the tmpfs /tmp failed"
pass "a write to the image is refused, one to the bundle's tmpfs works"

LOG=$T/logs/amber.log
[ -s "$LOG" ] || fail "no audit log at the annotation's path $LOG"
[ "$(log_attempts "$LOG")" = "open_write /etc/motd" ] || fail "log attempts: $(log_attempts "$LOG")"
# (-s: jq 1.6's -e reports 4 when the last input gives no output)
jq -se --arg b "$T/bundle" 'map(select(.kind == "start"))[0].options.meta |
	.container_id == "ctr-amber" and .bundle == $b and .["io.example.image"] == "busybox:test"' "$LOG" >/dev/null ||
	fail "the start record lacks the container id, bundle or annotations: $(head -1 "$LOG")"
[ "$(jq -r 'select(.kind == "stop") | .kind' "$LOG")" = stop ] || fail "the log has no stop record (daemon not stopped cleanly)"
pass "the refused write is logged once; the start record carries the id, bundle and annotations"
grep -qx "image file" "$T/rootfs/etc/motd" || fail "the image changed"
assert_clean ctr-amber "$T/state-$RT/amber-oci"
pass "after delete: no mount, no daemon, no state"
