#!/bin/bash
# amber-oci when things go wrong (bare bundles, runc):
#   - kill -9 of the amberfs daemon of a running container: the
#     container's next file access fails (ENOTCONN, or SIGBUS for a
#     mapped page) instead of hanging, and delete still cleans up;
#   - the engine dies mid-create (amber-oci and the runtime killed while
#     the runtime's create runs): a later delete --force cleans up, and a
#     second one too;
#   - delete without --force of a running container is refused by the
#     runtime and leaves the mount alone; delete --force then cleans up.
. "$(dirname "$0")/lib.sh"
need jq
RUNC=$(command -v runc) || skip "runc is not installed"
make_rootfs "$T/rootfs"
mkdir "$T/bundle" "$T/logs"
(cd "$T/bundle" && "$RUNC" spec) || fail "runc spec"
# shellcheck disable=SC2016
jq --arg root "$T/rootfs" --arg log "$T/logs/amber.log" '
	.root.path = $root | .process.terminal = false |
	.process.args = ["sh", "-c", "while cat /etc/motd >/dev/null; do sleep 0.1; done; echo access-failed; exit 3"] |
	.annotations = {"org.amber.log": $log}' "$T/bundle/config.json" >"$T/c.json" && mv "$T/c.json" "$T/bundle/config.json"
O=("$AMBER_OCI" --root "$T/state" --runtime-binary "$RUNC")
BASE=$T/state/amber-oci
status_of() { "${O[@]}" state "$1" 2>/dev/null | jq -r .status; }
wait_status() { # id want
	for _ in $(seq 100); do [ "$(status_of "$1")" = "$2" ] && return 0; sleep 0.1; done
	return 1
}

# 1. kill -9 of the daemon
on_exit "${O[*]} delete --force k9"
"${O[@]}" create --bundle "$T/bundle" k9 >"$T/k9.out" 2>&1 </dev/null || fail "create: $(cat "$T/k9.out")"
"${O[@]}" start k9 || fail "start"
wait_status k9 running || fail "k9 does not run"
dpid=$(jq -r .daemon_pid "$BASE/k9/state.json")
[ "$(cat "/proc/$dpid/comm")" = amberfs ] || fail "state.json's daemon_pid $dpid is not amberfs"
kill -KILL "$dpid"
wait_status k9 stopped || fail "the container still runs (hangs?) after its daemon was killed: $(status_of k9)"
# amberfs's unmount helper takes the mount away here; the container's
# own copy of it (in its mount namespace) is what answered ENOTCONN.
[ ! -e "$BASE/k9/rootfs/etc/motd" ] || fail "the dead daemon's mountpoint still shows the image"
sed 's/^/# container: /' "$T/k9.out"
grep -q -e "not connected" -e "Bus error" -e access-failed "$T/k9.out" || fail "no failed access in the container's output"
pass "kill -9 of amberfs: the container's next file access fails and it stops (no hang)"
"${O[@]}" delete k9 || fail "delete after the daemon died"
assert_clean k9 "$BASE"
pass "delete after kill -9 of the daemon cleans up"

# 2. the engine dies mid-create
cat >"$T/slow-runtime" <<SH
#!/bin/sh
for a; do [ "\$a" = create ] && { touch "$T/in-create"; exec sleep 600; }; done
exec "$RUNC" "\$@"
SH
chmod +x "$T/slow-runtime"
on_exit "${O[*]} delete --force mc"
"$AMBER_OCI" --root "$T/state" --runtime-binary "$T/slow-runtime" create --bundle "$T/bundle" mc \
	>"$T/mc.out" 2>&1 </dev/null &
apid=$!
for _ in $(seq 100); do [ -e "$T/in-create" ] && break; sleep 0.1; done
[ -e "$T/in-create" ] || fail "the runtime's create never ran: $(cat "$T/mc.out")"
grep -qF "$BASE/mc/rootfs" /proc/self/mountinfo || fail "no amberfs mount while the runtime's create runs"
# amber-oci first: were its runtime to die first, it would see the failed
# create and clean up by itself, which is not the case under test.
kids=$(pgrep -P "$apid")
kill -KILL "$apid"
[ -z "$kids" ] || kill -KILL $kids
wait "$apid" 2>/dev/null
mpid=$(cat "$BASE/mc/amberfs.pid") && [ "$(cat "/proc/$mpid/comm" 2>/dev/null)" = amberfs ] ||
	fail "the daemon died with amber-oci (it must belong to the container): pid ${mpid:-none}, $(tail -1 "$T/logs/amber.log")"
"${O[@]}" delete --force mc || fail "delete --force after a crashed create"
assert_clean mc "$BASE"
"${O[@]}" delete --force mc 2>/dev/null
assert_clean mc "$BASE"
pass "engine killed mid-create: delete --force cleans up (twice)"

# 3. delete without --force of a running container
on_exit "${O[*]} delete --force run1"
"${O[@]}" create --bundle "$T/bundle" run1 >"$T/run1.out" 2>&1 </dev/null || fail "create run1"
"${O[@]}" start run1 && wait_status run1 running || fail "run1 does not run"
"${O[@]}" delete run1 2>/dev/null && fail "delete of a running container succeeded"
sleep 0.5 # the container keeps reading its root meanwhile
[ "$(status_of run1)" = running ] || fail "run1 stopped after a refused delete: $(cat "$T/run1.out")"
grep -qF "$BASE/run1/rootfs" /proc/self/mountinfo || fail "a refused delete removed the mount"
"${O[@]}" delete --force run1 || fail "delete --force run1"
assert_clean run1 "$BASE"
pass "delete of a running container is refused and keeps the mount; delete --force cleans up"
