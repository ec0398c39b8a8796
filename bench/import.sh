#!/bin/bash
# bench/import.sh: how long importing an image takes, amber-image import
# against umoci unpack and podman load, on the same archives in one run.
#
#   bench/import.sh [--quick] [--runs N] [--builddir DIR] [--data DIR] [--out FILE]
#
# Images (built once, cached in --data, default /var/tmp/amber-bench-import):
#   minbase  a debootstrap'ed Debian bookworm minbase (/var/tmp/amber-minbase,
#            made if missing), `podman import`ed and saved as an oci-archive;
#   synth    bench/genimage.py: 100,000 files, 1 GiB, 10 gzip layers
#            (--quick: 10,000 files, 100 MiB, 10 layers).
# Each run drops the page cache, then times, interleaved A B C:
#   amber    amber-image --quiet --store FRESH import oci-archive:FILE
#   umoci    umoci unpack --image LAYOUT:TAG FRESH  (the same image as an OCI
#            layout, extracted from the archive beforehand, untimed: umoci
#            cannot read an archive)
#   podman   podman --root FRESH --storage-driver overlay load -i FILE
# and prints the median and the minimum wall time of --runs runs (default 3)
# as a Markdown table, also written to --out.  Needs root.  Every directory
# it makes is removed, every mount below it unmounted.
set -uo pipefail

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=$SRCDIR/build DATA=/var/tmp/amber-bench-import RUNS=3 QUICK="" OUT=""
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--runs) RUNS=$2; shift ;;
	--builddir) BUILDDIR=$2; shift ;;
	--data) DATA=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h|--help) sed -n 2,22p "$0"; exit 0 ;;
	*) echo "bench/import.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
say() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { say "bench/import.sh: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (drop_caches, podman and umoci as root)"
AI=$BUILDDIR/image/amber-image
[ -x "$AI" ] || die "$AI is not built"
for t in umoci skopeo podman python3 debootstrap; do
	command -v $t >/dev/null || die "$t is missing (scripts/install-deps.sh)"
done

W=$(mktemp -d /var/tmp/amber-bench-import-run.XXXXXX)
cleanup() {
	local m
	for m in $(awk -v t="$W/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- images ------------------------------------------------------------------
mkdir -p "$DATA"
MB=/var/tmp/amber-minbase
if [ ! -f "$MB.done" ]; then
	say "debootstrap --variant=minbase bookworm $MB"
	(flock 9; [ -f "$MB.done" ] || { rm -rf "$MB"; debootstrap --variant=minbase bookworm "$MB" \
		http://deb.debian.org/debian >"$W/debootstrap.log" 2>&1 && touch "$MB.done"; }) 9>"$MB.lock" ||
		die "debootstrap failed: $(tail -n 3 "$W/debootstrap.log")"
fi
if [ ! -f "$DATA/minbase-oci.tar" ]; then
	say "podman import + save of the minbase"
	P=(podman --root "$W/mkp" --runroot "$W/mkpr" --storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
	tar -C "$MB" -cf "$W/mb.tar" . || die "tar"
	"${P[@]}" import -q "$W/mb.tar" localhost/minbase:1 >/dev/null || die "podman import"
	"${P[@]}" save -q --format oci-archive -o "$DATA/minbase-oci.tar.tmp" localhost/minbase:1 || die "podman save"
	mv "$DATA/minbase-oci.tar.tmp" "$DATA/minbase-oci.tar"
	rm -rf "$W/mb.tar" "$W/mkp" "$W/mkpr"
fi
if [ -n "$QUICK" ]; then SYN=synth-quick; SYNARGS=(--files 10000 --layers 10 --bytes $((100 << 20)));
else SYN=synth; SYNARGS=(--files 100000 --layers 10 --bytes $((1 << 30))); fi
if [ ! -f "$DATA/$SYN/synth-oci.tar" ]; then
	say "bench/genimage.py ${SYNARGS[*]}"
	rm -rf "$DATA/$SYN"
	python3 "$SRCDIR/bench/genimage.py" "$DATA/$SYN.tmp" "${SYNARGS[@]}" || die "genimage.py"
	rm -rf "$DATA/$SYN.tmp/layout"
	mv "$DATA/$SYN.tmp" "$DATA/$SYN"
fi
IMAGES=("minbase:$DATA/minbase-oci.tar" "$SYN:$DATA/$SYN/synth-oci.tar")
for img in "${IMAGES[@]}"; do
	name=${img%%:*} file=${img#*:}
	skopeo copy -q "oci-archive:$file" "oci:$W/layout-$name:x" || die "skopeo copy $file"
done

# ---- runs -------------------------------------------------------------------
now() { date +%s.%N; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
run_one() { # system image file -> seconds on stdout
	local sys=$1 name=$2 file=$3 t0 t1 rc=0
	rm -rf "$W/fresh"
	mkdir -p "$W/fresh"
	drop
	t0=$(now)
	case $sys in
	amber) "$AI" --quiet --store "$W/fresh/store" import "oci-archive:$file" >/dev/null || rc=$? ;;
	umoci) umoci unpack --image "$W/layout-$name:x" "$W/fresh/bundle" >/dev/null || rc=$? ;;
	podman) podman --root "$W/fresh/p" --runroot "$W/fresh/pr" --storage-driver overlay \
		--cgroup-manager cgroupfs --events-backend file load -q -i "$file" >/dev/null || rc=$? ;;
	esac
	t1=$(now)
	if [ $sys = podman ]; then
		podman --root "$W/fresh/p" --runroot "$W/fresh/pr" --storage-driver overlay system reset -f >/dev/null 2>&1 || true
		for m in $(awk -v t="$W/fresh/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
			umount -l "$m" 2>/dev/null || true
		done
	fi
	rm -rf "$W/fresh"
	[ $rc = 0 ] || die "$sys failed on $name (exit $rc)"
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

SYSTEMS=(amber umoci podman)
declare -A T
for img in "${IMAGES[@]}"; do
	name=${img%%:*} file=${img#*:}
	for i in $(seq "$RUNS"); do
		for sys in "${SYSTEMS[@]}"; do
			s=$(run_one "$sys" "$name" "$file") || exit 1
			say "$name $sys run $i: ${s}s"
			T[$name,$sys]="${T[$name,$sys]:-} $s"
		done
	done
done

stat_of() { # "a b c" -> "median min"
	tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %.2f", m, v[1] }'
}
{
	echo "Import of the same oci-archive, cold page cache, $RUNS runs each, interleaved; wall time in seconds, median (min)."
	echo "Machine: $(nproc) CPUs, $(uname -r), $(findmnt -n -o FSTYPE -T "$W")."
	echo
	printf '| image | size | amber-image import | umoci unpack | podman load |\n|---|---|---|---|---|\n'
	for img in "${IMAGES[@]}"; do
		name=${img%%:*} file=${img#*:}
		printf '| %s | %s MiB | ' "$name" "$(( $(stat -c %s "$file") >> 20 ))"
		for sys in "${SYSTEMS[@]}"; do
			read -r med min <<<"$(stat_of "${T[$name,$sys]}")"
			printf '%s (%s) | ' "$med" "$min"
		done
		echo
	done
} | tee "${OUT:-/dev/null}"
