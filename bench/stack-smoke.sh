#!/bin/bash
# bench/stack-smoke.sh BUILDDIR: the smoke test of `bench/run --stack`
# (test 'bench-stack', suite 'bench').
#
# Builds a small two-layer stack in the overlayfs format (a 0/0 character
# device whiteout, an opaque directory, an overridden file) and the same
# stack in the OCI format (.wh. files, as amber-image stores layers), runs
# bench/run --quick --stack on each, and checks that results.json holds
# counted samples of that stack for kernel overlayfs and amberfs, that the
# native copy shows the merged tree, that the user's layers were not
# changed, that nothing stays mounted, and that bad layer lists are refused
# with a message.  Needs root, /dev/fuse and bench/run's tools (else SKIP).
set -uo pipefail

BUILDDIR=${1:?usage: stack-smoke.sh BUILDDIR}
SRC=$(cd "$(dirname "$0")/.." && pwd)
RUN=$SRC/bench/run
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (bench/run mounts)"; exit 77; }
[ -c /dev/fuse ] || { echo "SKIP: no /dev/fuse"; exit 77; }
for t in fio gnuplot fuse-overlayfs fusermount3 jq findmnt setfattr; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done

T=$(mktemp -d /var/tmp/amber-stack-smoke.XXXXXX) || exit 1
# bench/run unmounts what it mounted; this is the net under it, so that a
# failing test leaves nothing behind either.
cleanup() {
	findmnt -rn -o TARGET | grep -F "$T/" | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

# Layer B (bottom) and A (top), overlayfs format.
make_layers() { # DIR FORMAT
	local d=$1
	mkdir -p "$d"/B/a "$d"/B/o/sub "$d"/B/keep "$d"/A/a "$d"/A/o
	echo one >"$d/B/a/f1"; echo two >"$d/B/a/f2"; echo gone >"$d/B/w.txt"
	echo x >"$d/B/o/x"; echo y >"$d/B/o/sub/y"; echo k >"$d/B/keep/k"
	echo top >"$d/A/a/f1"; echo three >"$d/A/a/f3"; echo z >"$d/A/o/z"
	if [ "$2" = overlay ]; then
		mknod "$d/A/w.txt" c 0 0
		setfattr -n trusted.overlay.opaque -v y "$d/A/o"
	else
		: >"$d/A/.wh.w.txt"
		: >"$d/A/o/.wh..wh..opq"
	fi
}

# What the layers look like, ctime included: any write would change it.
layer_state() { (cd "$1" && find A B -printf '%p %y %s %m %U %C@ %T@\n' | sort && getfattr -R -d -m - A B 2>/dev/null) | sha256sum; }

# check_run OUT DATA NAME: results and native copy of one run.
check_run() {
	local out=$1 data=$2 name=$3 w s n native
	[ -s "$out/results.json" ] || { fail "$name: no results.json"; return; }
	for w in statwalk openclose neglookup; do
		for s in overlayfs amberfs; do
			n=$(jq --arg n "$name" --arg w "$w" --arg s "$s" '[.samples[] | select(.stack == $n and .workload == $w
				and .system == $s and .counted and (.failed | not))] | length' "$out/results.json")
			[ "$n" -ge 2 ] || fail "$name: $n counted samples of $w on $s (want cold and warm)"
		done
	done
	n=$(jq '[.samples[] | select(.failed)] | length' "$out/results.json")
	[ "$n" = 0 ] || fail "$name: $n failed samples"
	n=$(jq '[.samples[] | select(.workload == "openclose" and .errors > 0)] | length' "$out/results.json")
	[ "$n" = 0 ] || fail "$name: openclose could not open some listed files"
	jq -e '.machine.elapsed_s > 0' "$out/results.json" >/dev/null || fail "$name: no elapsed time in results.json"
	grep -q "^| $name | statwalk |" "$out/results.md" || fail "$name: results.md has no statwalk row"
	native=$(ls -d "$data"/user-*/native | head -1)
	[ "$(cd "$native" && find . | sort | tr '\n' ' ')" = ". ./a ./a/f1 ./a/f2 ./a/f3 ./keep ./keep/k ./o ./o/z " ] ||
		fail "$name: the native copy is not the merged tree: $(cd "$native" && find . | sort | tr '\n' ' ')"
	[ "$(cat "$native/a/f1")" = top ] || fail "$name: a/f1 is not the top layer's"
}

run_case() { # FORMAT NAME [bench/run options...]
	local fmt=$1 name=$2 d=$T/$1 before; shift 2
	make_layers "$d" "$fmt"
	before=$(layer_state "$d")
	echo "== $fmt: bench/run --quick --stack $d/A:$d/B $*"
	"$RUN" --quick --builddir "$BUILDDIR" --data "$T/data-$fmt" --out "$T/out-$fmt" \
		--stack "$d/A:$d/B" "$@" || fail "$fmt: bench/run exited with $?"
	check_run "$T/out-$fmt" "$T/data-$fmt" "$name"
	[ "$(layer_state "$d")" = "$before" ] || fail "$fmt: the user's layers were changed"
	findmnt -rn -o TARGET | grep -F "$T/" && fail "$fmt: mounts left under $T"
	[ -z "$(left_procs)" ] || fail "$fmt: processes left that use $T: $(left_procs)"
}

# Processes whose command line names a path under $T (a daemon left running).
left_procs() {
	local p c
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		c=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
		[[ $c == *"$T/"* ]] && echo "${p#/proc/}"
	done
}

run_case overlay user --only statwalk,openclose,neglookup --runs 1
run_case oci oci --stack-name oci --only statwalk,openclose,neglookup --runs 1 --systems overlayfs,amberfs

# Bad input: refused with a message, before anything is mounted.
expect_refusal() { # MESSAGE-PART ARGS...
	local want=$1 err; shift
	err=$("$RUN" --builddir "$BUILDDIR" --data "$T/data-bad" --out "$T/out-bad" "$@" 2>&1) &&
		{ fail "accepted: $*"; return; }
	grep -qF -- "$want" <<<"$err" || fail "bench/run $*: message '$err' lacks '$want'"
}
: >"$T/plain-file"
expect_refusal "is empty" --stack ""
expect_refusal "does not exist" --stack "$T/overlay/A:$T/nonexistent"
expect_refusal "is not a directory" --stack "$T/plain-file"
expect_refusal "an empty layer" --stack "$T/overlay/A::$T/overlay/B"
expect_refusal "given twice" --stack "$T/overlay/A:$T/overlay/A"
expect_refusal "--only takes" --stack "$T/overlay/A" --only real
[ ! -e "$T/out-bad" ] || fail "a refused command line left a results directory"

[ $FAILED = 0 ] && echo "PASS"
exit $FAILED
