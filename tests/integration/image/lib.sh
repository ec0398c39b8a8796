# shellcheck shell=bash
# lib.sh - shared set-up for amber-image's integration tests.
#
#   . lib.sh MODE      MODE = root | user | nosub
#
# root: everything as root.  user: amber-image and amberfs run as an
# unprivileged account with a subordinate id range (amber-image-test),
# nosub: as one without (amber-image-nosub).  The images are always built
# as root (mkimages.sh; the oracle is `umoci unpack` as root).  Every test
# gets its own directory $T; the EXIT trap unmounts what is mounted below
# $T and kills what still names $T, even when the test fails.
set -euo pipefail

MODE=${1:?usage: TEST MODE (root|user|nosub)}
: "${AMBER_BUILDDIR:?}" "${AMBER_SRCDIR:?}"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PASSED=0

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { PASSED=$((PASSED + 1)); echo "ok $PASSED - $*"; }

[ "$(id -u)" = 0 ] || skip "run as root (the test creates its unprivileged users itself)"
AI_SRC=$AMBER_BUILDDIR/image/amber-image
AMBERFS_SRC=${AMBERFS:-$AMBER_BUILDDIR/fs/amberfs}
[ -x "$AI_SRC" ] || fail "amber-image not built"
for t in umoci skopeo python3 jq; do
	command -v $t >/dev/null || skip "$t is not installed (scripts/install-deps.sh installs it)"
done

T=$(mktemp -d /tmp/amber-image-it.XXXXXX)
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
	for m in $(awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	for p in $(leftovers); do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$T"
	echo "# $PASSED checks passed"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case "$MODE" in
root)
	AI=$AI_SRC
	export AMBERFS=$AMBERFS_SRC
	as() { "$@"; }
	;;
user | nosub)
	if [ "$MODE" = user ]; then TEST_USER=amber-image-test; else TEST_USER=amber-image-nosub; fi
	id "$TEST_USER" >/dev/null 2>&1 || useradd -M -d /nonexistent -s /bin/sh "$TEST_USER" ||
		skip "cannot create the test user"
	# Only this user's own lines in /etc/subuid and /etc/subgid are touched.
	sed -i "/^$TEST_USER:/d" /etc/subuid /etc/subgid
	if [ "$MODE" = user ]; then
		unshare -U true 2>/dev/null || skip "user namespaces are disabled"
		[ -x /usr/bin/newuidmap ] || skip "newuidmap is missing (package uidmap)"
		usermod --add-subuids 400000-465535 --add-subgids 400000-465535 "$TEST_USER"
		SUBUID=400000
	fi
	# Unprivileged FUSE needs /dev/fuse usable by the test user; Debian's
	# default is 0666, these machines ship 0600, so the test opens it up.
	chmod 0666 /dev/fuse
	mkdir "$T/bin"
	cp "$AI_SRC" "$AMBERFS_SRC" "$T/bin/"
	AI=$T/bin/amber-image
	export AMBERFS=$T/bin/amberfs
	mkdir "$T/home"
	chown "$TEST_USER" "$T/home"
	export HOME=$T/home
	as() { setpriv --reuid "$TEST_USER" --regid "$TEST_USER" --init-groups -- "$@"; }
	;;
*) fail "unknown mode '$MODE'" ;;
esac

STORE=$T/store
mkdir -p "$STORE"
[ "$MODE" = root ] || chown "$TEST_USER" "$STORE"

# amber-image as the test's user, on $STORE.  Output in $OUT, status in $RC.
ai() {
	RC=0
	OUT=$(as "$AI" --store "$STORE" "$@" 2>"$T/stderr") || RC=$?
	ERR=$(cat "$T/stderr")
}
expect_rc() { [ "$RC" = "$1" ] || fail "$2: exit status $RC, want $1; stdout: $OUT; stderr: $ERR"; }
expect_err() { grep -qE -- "$1" <<<"$ERR" || fail "$2: stderr lacks /$1/: $ERR"; }
expect_out() { grep -qE -- "$1" <<<"$OUT" || fail "$2: stdout lacks /$1/: $OUT"; }

# Nothing of a refused import in the store: no layer, no image, no work dir.
assert_store_empty() {
	local left
	left=$(find "$STORE/layers" "$STORE/images" "$STORE/tmp" "$STORE/blobs" -mindepth 1 -not -type d 2>/dev/null; \
		find "$STORE/layers" "$STORE/tmp" -mindepth 1 -maxdepth 1 2>/dev/null)
	[ -z "$left" ] || fail "$1: the store kept: $left"
}

build_images() { # -> $IMGS
	IMGS=$T/images
	"$HERE/mkimages.sh" "$IMGS" >"$T/mkimages.log" 2>&1 || fail "mkimages.sh: $(tail -n 5 "$T/mkimages.log")"
	# Readable by the test user (not ref/: the oracle keeps its modes).
	chmod a+rx "$IMGS"
	chmod -R a+rX "$IMGS/img" "$IMGS"/*.tar
}

walk_flags() { # the treewalk.py flags for this mode
	case "$MODE" in
	root) echo "" ;;
	user) echo "--override --no-owners" ;;
	nosub) echo "--override" ;;
	esac
}

mkdir_as() { # a directory below $T that the test user owns
	mkdir -p "$@"
	[ "$MODE" = root ] || chown "$TEST_USER" "$@"
}
