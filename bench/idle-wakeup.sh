#!/bin/bash
# bench/idle-wakeup.sh: warm open+close on the synth stack of bench/run (build it
# first: bench/run --prepare), with amberfs free, with amberfs and the caller pinned
# to CPU 0, and with CPU 1 kept busy; kernel overlayfs for reference.  Shows what a
# halted vCPU's wake-up costs a FUSE round trip on a VM.  Needs root; AMBER_BUILDDIR
# (default build) holds amberfs and amber-bench.
set -u
ST=/var/tmp/amber-bench/synth-s1-f10000-l10
B=${AMBER_BUILDDIR:-$(dirname "$0")/../build}
DRV=$B/bench/amber-bench
A=$B/fs/amberfs
LD=$(cd $ST/layers && for l in $(tr : " " < $ST/lowerdir); do printf "%s:" $PWD/$l; done | sed "s/:$//")
W=$(mktemp -d /tmp/amber-idle.XXXXXX); mkdir -p $W/a $W/p $W/o
BUSY=""
cleanup(){ [ -n "$BUSY" ] && kill $BUSY 2>/dev/null; fusermount3 -u $W/a; fusermount3 -u $W/p; umount $W/o; rmdir $W/a $W/p $W/o $W; }
trap cleanup EXIT
$A -o lowerdir=$LD $W/a
taskset -c 0 $A -o lowerdir=$LD $W/p
(cd $ST/layers && mount -t overlay overlay -o lowerdir=$(cat $ST/lowerdir) $W/o)
oc(){ $DRV openclose $1 --list $ST/files.txt -n 20000 | sed 's/.*"ns":\([0-9]*\).*/\1/' | awk '{printf "%.1f", $1/20000/1000}'; }
for m in $W/a $W/o; do oc $m >/dev/null; done; taskset -c 0 $DRV openclose $W/p --list $ST/files.txt -n 5000 >/dev/null
for r in 1 2 3 4 5; do
  echo "run $r: overlayfs $(oc $W/o) | amberfs free $(oc $W/a) | amberfs+caller pinned to cpu0 $(taskset -c 0 bash -c "$(declare -f oc); DRV=$DRV ST=$ST oc $W/p") | amberfs free, cpu1 busy: $(taskset -c 1 sh -c 'while :; do :; done' & BUSY=$!; sleep 0.2; x=$(oc $W/a); kill $BUSY; echo $x) µs/op"
done
