#!/bin/bash
# podman with --runtime amber-oci, as root ($1 = root) or as an unprivileged
# user with a subuid range ($1 = user; rootless podman runs amber-oci in
# its user namespace, where amberfs mounts).  On an image made with
# podman import:
#   - a write to /etc fails and is logged (the default log path);
#   - --read-only --tmpfs /tmp works;
#   - podman exec works;
#   - podman stop delivers SIGTERM and the exit code comes back;
#   - podman rm leaves no mount, no daemon and no state.
MODE=${1:-root}
. "$(dirname "$0")/lib.sh"
need podman
need jq
TEST_USER=amber-oci-test

mkdir -p "$T/bin" "$T/home" "$T/run" "$T/logs" "$T/pstore" "$T/prun" "$T/ptmp"
cp "$AMBER_OCI" "$AMBERFS" "$T/bin/"
chmod 0755 "$T/bin" "$T/bin/amber-oci" "$T/bin/amberfs"
if [ "$MODE" = user ]; then
	need newuidmap
	if ! id "$TEST_USER" >/dev/null 2>&1; then
		useradd -M -d /nonexistent -s /bin/sh "$TEST_USER" || skip "cannot create the test user"
	fi
	unshare -U true 2>/dev/null || skip "user namespaces are disabled"
	# Rootless podman maps the container's ids onto a subordinate range.
	for f in /etc/subuid /etc/subgid; do
		grep -q "^$TEST_USER:" "$f" || echo "$TEST_USER:1065536:65536" >>"$f"
	done
	# Unprivileged FUSE needs /dev/fuse usable by the test user; Debian's
	# default is 0666, these machines ship 0600, so the test opens it up.
	chmod 0666 /dev/fuse
	chown -R "$TEST_USER:" "$T/home" "$T/run" "$T/logs" "$T/pstore" "$T/prun" "$T/ptmp"
	chmod 0700 "$T/run"
	as() { setpriv --reuid "$TEST_USER" --regid "$TEST_USER" --init-groups -- \
		env -i PATH="$PATH" HOME="$T/home" XDG_RUNTIME_DIR="$T/run" "$@"; }
	ULIMITS=(--ulimit host)
	LOGDIR=$T/home/.local/state/amber
	STATE=$T/run/amber-oci
	# The pause process holds podman's user and mount namespaces (and so
	# amberfs's mounts): ending it ends them.  It and any conmon left are
	# found by the environment this test gave them.
	on_exit 'for p in $(pgrep -u "$TEST_USER"); do tr "\0" "\n" </proc/$p/environ | grep -qxF "XDG_RUNTIME_DIR=$T/run" && kill -KILL $p; done'
else
	as() { "$@"; }
	ULIMITS=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
	LOGDIR=/var/log/amber
	STATE=/run/amber-oci
fi
P=(podman --root "$T/pstore" --runroot "$T/prun" --tmpdir "$T/ptmp" --storage-driver vfs
	--cgroup-manager cgroupfs --events-backend file)
pod() { as "${P[@]}" --runtime "$T/bin/amber-oci" "$@"; }
RUN=(run --network=none "${ULIMITS[@]}")
on_exit 'pod rm -af -t 0'

make_rootfs "$T/rootfs"
tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
chmod 0644 "$T/rootfs.tar"
as "${P[@]}" import "$T/rootfs.tar" localhost/amber-oci-test >/dev/null 2>"$T/import.err" ||
	skip "podman cannot import an image here: $(tail -1 "$T/import.err")"
# An engine that cannot start a container at all on this machine is a skip;
# the same container with runc itself must work, or the machine is at fault.
as "${P[@]}" --runtime "$(command -v runc || command -v crun)" "${RUN[@]}" --rm localhost/amber-oci-test true 2>"$T/pre.err" ||
	skip "podman cannot run a container with runc here: $(tail -1 "$T/pre.err")"

# 1. A write to /etc fails and is logged, in the default log.
out=$(pod "${RUN[@]}" --name w1 localhost/amber-oci-test sh -c 'exec 2>&1; echo x > /etc/x || echo refused; cat /etc/motd' 2>&1)
id=$(pod inspect --format '{{.Id}}' w1) || fail "no container w1"
pod rm w1 >/dev/null || fail "podman rm"
[ "$MODE" = root ] && on_exit "rm -f '$LOGDIR/$id.log'"
grep -q "Read-only file system" <<<"$out" && grep -qx refused <<<"$out" && grep -qx "image file" <<<"$out" ||
	fail "write to /etc: $out"
[ "$(log_attempts "$LOGDIR/$id.log")" = "create /etc/x" ] || fail "log $LOGDIR/$id.log: $(log_attempts "$LOGDIR/$id.log")"
jq -se --arg id "$id" 'map(select(.kind == "start"))[0].options.meta.container_id == $id' "$LOGDIR/$id.log" >/dev/null ||
	fail "the start record does not name container $id"
assert_clean "$id" "$STATE"
pass "a write to /etc fails (EROFS) and is logged in $LOGDIR/ID.log"

# 2. --read-only --tmpfs /tmp
out=$(pod "${RUN[@]}" --rm --read-only --tmpfs /tmp --annotation "org.amber.log=$T/logs/ro.log" \
	localhost/amber-oci-test sh -c 'exec 2>&1; echo y > /tmp/y && cat /tmp/y; touch /z || echo refused' 2>&1)
[ "$(grep -x -e y -e refused <<<"$out" | tr '\n' ' ')" = "y refused " ] || fail "--read-only --tmpfs /tmp: $out"
[ "$(log_attempts "$T/logs/ro.log")" = "create /z" ] || fail "ro.log: $(log_attempts "$T/logs/ro.log")"
pass "--read-only --tmpfs /tmp works (the annotation's log)"

# 3. exec, 4. stop with SIGTERM and the exit code, 5. rm leaves nothing.
pod "${RUN[@]}" -d --name s1 --annotation "org.amber.log=$T/logs/s1.log" localhost/amber-oci-test \
	sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done' >/dev/null || fail "podman run -d"
id=$(pod inspect --format '{{.Id}}' s1)
out=$(pod exec s1 sh -c 'exec 2>&1; cat /etc/motd; echo z > /etc/passwd || echo refused' 2>&1)
[ "$(grep -x -e "image file" -e refused <<<"$out" | tr '\n' ' ')" = "image file refused " ] || fail "exec: $out"
pass "podman exec works (and its write is refused)"
pod stop -t 20 s1 >/dev/null || fail "podman stop"
code=$(pod inspect --format '{{.State.ExitCode}}' s1)
[ "$code" = 42 ] || fail "exit code after podman stop: $code, want 42 (the TERM trap's)"
pass "podman stop delivers SIGTERM; exit code 42 comes back"
pod rm s1 >/dev/null || fail "podman rm"
assert_clean "$id" "$STATE"
if [ "$MODE" = user ]; then
	# (podman's namespace began as a copy of ours: other mounts may be there)
	left=$(pod unshare grep -F "$STATE/" /proc/self/mountinfo) || true
	[ -z "$left" ] || fail "amberfs mounts left in podman's namespace: $left"
fi
[ "$(log_attempts "$T/logs/s1.log")" = "open_write /etc/passwd" ] || fail "s1.log: $(log_attempts "$T/logs/s1.log")"
[ "$(jq -r 'select(.kind == "stop") | .kind' "$T/logs/s1.log")" = stop ] || fail "s1.log has no stop record"
pass "podman rm leaves no mount, no daemon, no state; the log is complete"
