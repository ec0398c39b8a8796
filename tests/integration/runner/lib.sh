# shellcheck shell=bash
# lib.sh - shared set-up for amber-run's integration tests.
#
#   . lib.sh MODE      MODE = root | user
#
# Every test gets its own directory $T, a fresh three-layer busybox image
# ($IMG = top:app:base) and its own XDG_RUNTIME_DIR, so the runner's state
# directories land in $T/run and we can check that none is left behind.
# In "user" mode the runner is run by an unprivileged account created here
# (amber-run-test), from copies of the binaries it can reach.  The EXIT
# trap unmounts and kills whatever a test left (by PID, only processes
# whose command line names $T), even when the test fails.
set -euo pipefail

MODE=${1:?usage: TEST MODE (root|user)}
: "${AMBER_BUILDDIR:?}" "${AMBER_SRCDIR:?}"
TEST_USER=amber-run-test
PASSED=0

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { PASSED=$((PASSED + 1)); echo "ok $PASSED - $*"; }

[ "$(id -u)" = 0 ] || skip "run as root (the test creates its unprivileged user itself)"
[ -c /dev/fuse ] || skip "no /dev/fuse"
[ -x "$AMBER_BUILDDIR/runner/amber-run" ] || fail "amber-run not built"
AMBERFS_SRC=${AMBERFS:-$AMBER_BUILDDIR/fs/amberfs}
[ -x "$AMBERFS_SRC" ] || fail "amberfs not built"

T=$(mktemp -d /tmp/amber-run-it.XXXXXX)
chmod 755 "$T"

leftovers() { # pids of processes whose command line mentions $T
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		if { tr "\0" " " <"$p/cmdline"; } 2>/dev/null | grep -qF "$T/"; then
			echo "${p#/proc/}"
		fi
	done
}

cleanup() {
	local rc=$? p m
	for p in $(leftovers); do kill -KILL "$p" 2>/dev/null || true; done
	# Mounts under $T in our namespace (the runner never makes any).
	for m in $(awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$T"
	echo "# $PASSED checks passed"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$MODE" = user ]; then
	if ! id "$TEST_USER" >/dev/null 2>&1; then
		useradd -M -d /nonexistent -s /bin/sh "$TEST_USER" ||
			skip "cannot create the test user"
	fi
	unshare -U true 2>/dev/null || skip "user namespaces are disabled"
	# Unprivileged FUSE needs /dev/fuse usable by the test user; Debian's
	# default is 0666, these machines ship 0600, so the test opens it up.
	chmod 0666 /dev/fuse
	mkdir "$T/bin"
	cp "$AMBER_BUILDDIR/runner/amber-run" "$AMBERFS_SRC" "$T/bin/"
	RUNNER=$T/bin/amber-run
	export AMBERFS=$T/bin/amberfs
	chown "$TEST_USER" "$T"
	mkdir "$T/home"
	chown "$TEST_USER" "$T/home"
	export HOME=$T/home
	AS=(setpriv --reuid "$TEST_USER" --regid "$TEST_USER" --init-groups --)
	as() { "${AS[@]}" "$@"; }
elif [ "$MODE" = root ]; then
	RUNNER=$AMBER_BUILDDIR/runner/amber-run
	export AMBERFS=$AMBERFS_SRC
	AS=()
	as() { "$@"; }
else
	fail "unknown mode '$MODE'"
fi
export XDG_RUNTIME_DIR=$T/run
# Default logs and the seccomp cache go to $T too, not to /var.
export XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache
as mkdir -p "$T/run" "$T/vol" "$T/logs" "$T/state" "$T/cache"

"$AMBER_SRCDIR/scripts/make-demo-image.sh" "$T/image" >/dev/null
chmod -R a+rX "$T/image"
IMG=$T/image/config:$T/image/app:$T/image/base

# Preflight: one container must start within 60 s, or every later run
# would wait for its own timeout.
preflight() {
	local rc=0 err
	err=$(as env XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" XDG_STATE_HOME="$XDG_STATE_HOME" \
		XDG_CACHE_HOME="$XDG_CACHE_HOME" AMBERFS="$AMBERFS" timeout -k 5 60 "$RUNNER" -q "$IMG" true 2>&1) || rc=$?
	[ $rc = 0 ] || fail "amber-run cannot start a container (exit $rc): $err"
}

# amber-run as the test's user.  Output in $OUT, status in $RC.  A run
# that hangs is killed after $RUN_TIMEOUT s (status 124 or 137), so the
# test fails on its status instead of waiting for meson's timeout.
RUN_TIMEOUT=120
run() {
	RC=0
	OUT=$(as env XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" XDG_STATE_HOME="$XDG_STATE_HOME" \
		XDG_CACHE_HOME="$XDG_CACHE_HOME" AMBERFS="$AMBERFS" \
		timeout -k 5 "$RUN_TIMEOUT" "$RUNNER" "$@" 2>"$T/stderr") || RC=$?
	ERR=$(cat "$T/stderr")
	assert_clean
}

# amber-run in the background (no shell function in between: $BG is the
# runner itself); waits until the command printed "ready".
start_bg() {
	"${AS[@]}" env XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" XDG_STATE_HOME="$XDG_STATE_HOME" \
		XDG_CACHE_HOME="$XDG_CACHE_HOME" AMBERFS="$AMBERFS" HOME="$HOME" "$RUNNER" "$@" \
		>"$T/bg.out" 2>"$T/bg.err" &
	BG=$!
	for _ in $(seq 1 400); do
		grep -q ready "$T/bg.out" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "background container did not start: $(cat "$T/bg.err")"
}

# Waits (at most $1 s) until the background runner has exited; its
# status in $RC, its output in $OUT and $ERR.  Fails if it does not exit.
wait_bg() {
	local end=$((SECONDS + $1))
	while kill -0 "$BG" 2>/dev/null && [ $SECONDS -lt $end ]; do
		sleep 0.05
	done
	kill -0 "$BG" 2>/dev/null && fail "amber-run (pid $BG) still runs after $1 s: $(cat "$T/bg.err")"
	RC=0
	wait "$BG" || RC=$?
	OUT=$(cat "$T/bg.out")
	ERR=$(cat "$T/bg.err")
}

# Waits (at most $1 s) until nothing of a run is left (see assert_clean).
wait_clean() {
	local end=$((SECONDS + $1))
	while [ -n "$(ls -A "$T/run")$(leftovers)$(run_mounts)" ] && [ $SECONDS -lt $end ]; do
		sleep 0.2
	done
	assert_clean
}

# Mounts under $T in our namespace, except those a test made itself under
# $T/mnt/ (the cleanup trap unmounts those).
run_mounts() {
	awk -v t="$T/" -v m="$T/mnt/" 'index($5, t) == 1 && index($5, m) != 1' /proc/self/mountinfo
}

# Nothing left behind by the last run: no state dir, no daemon, no mount.
assert_clean() {
	local left
	left=$(ls -A "$T/run")
	[ -z "$left" ] || fail "state left in \$XDG_RUNTIME_DIR: $left"
	left=$(leftovers | tr '\n' ' ')
	[ -z "$left" ] || fail "processes left behind: $left ($(for p in $left; do tr '\0' ' ' </proc/$p/cmdline; echo; done))"
	left=$(run_mounts)
	[ -z "$left" ] || fail "mount left behind: $left"
	if grep -q "amber-run\." /proc/self/mountinfo; then
		fail "a runner mount leaked into the host namespace"
	fi
}

expect_rc() { # want, description
	[ "$RC" = "$1" ] || fail "$2: exit status $RC, want $1; stdout: $OUT; stderr: $ERR"
}
expect_out() { # regex, description
	grep -qE -- "$1" <<<"$OUT" || fail "$2: stdout lacks /$1/: $OUT; stderr: $ERR"
}
expect_err() {
	grep -qE -- "$1" <<<"$ERR" || fail "$2: stderr lacks /$1/: $ERR"
}

preflight
