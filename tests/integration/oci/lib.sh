# shellcheck shell=bash
# Shared by the amber-oci integration tests (sourced).  Each test gets its
# own directory $T; cleanup() (an EXIT trap) runs the test's own cleanup
# hooks (containers, engines, by pid), then unmounts whatever is still
# mounted under $T or under amber-oci's state directories of this test,
# kills the amberfs daemons serving them, and removes $T.
#
# Environment (from meson): AMBER_OCI, AMBERFS, AMBER_SRCDIR.
set -u

T=$(mktemp -d /tmp/amber-oci-test.XXXXXX)
chmod 0755 "$T"
PASSED=0
CLEANUPS=()

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { PASSED=$((PASSED + 1)); echo "ok $PASSED - $*"; }
need() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (scripts/install-deps.sh installs it)"; }
on_exit() { CLEANUPS+=("$*"); }

[ "$(id -u)" = 0 ] || skip "these tests start as root (they create their unprivileged user themselves)"
[ -c /dev/fuse ] || skip "no /dev/fuse"
[ -x "${AMBER_OCI:-}" ] || fail "AMBER_OCI is not set to the built amber-oci"
[ -x "${AMBERFS:-}" ] || fail "AMBERFS is not set to the built amberfs"

# amberfs daemons whose command line names a path under one of $@.
daemons_under() {
	local p d
	for p in $(pgrep -x amberfs); do
		for d in "$@"; do
			tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF -- "$d" && echo "$p"
		done
	done | sort -u
}

# Mountpoints (in this namespace) under one of $@, deepest first.
mounts_under() {
	local d
	for d in "$@"; do
		awk -v t="$d/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo
	done | sort -r -u
}

cleanup() {
	local rc=$? i m p
	for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUPS[$i]}" >/dev/null 2>&1 || true
	done
	for m in $(mounts_under "$T"); do umount -l "$m" 2>/dev/null || true; done
	for p in $(daemons_under "$T"); do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$T"
	echo "# $PASSED checks passed"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A busybox root file system in $1.
make_rootfs() {
	local r=$1 a bb
	bb=$(command -v busybox) || skip "busybox is not installed"
	mkdir -p "$r"/{bin,proc,sys,dev,tmp,etc,data,root}
	cp "$bb" "$r/bin/busybox"
	for a in $("$r/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
	done
	touch "$r"/etc/{hosts,resolv.conf,hostname}
	echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
	echo 'root:x:0:' >"$r/etc/group"
	echo "image file" >"$r/etc/motd"
}

# No mount, no daemon and no state left for container $1 whose amber-oci
# state base is $2 (the directory that holds one directory per container).
assert_clean() {
	local id=$1 base=$2
	[ ! -e "$base/$id" ] || fail "state directory $base/$id left behind"
	! grep -qF "$base/$id/" /proc/self/mountinfo || fail "a mount of $id left behind"
	[ -z "$(daemons_under "$base/$id/")" ] || fail "an amberfs daemon of $id left behind"
}

# The attempts in an audit log: "action path" per line.
log_attempts() {
	jq -r 'select(.kind == "attempt") | "\(.event.action) \(.file.path)"' "$1"
}
