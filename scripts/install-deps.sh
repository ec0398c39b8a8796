#!/bin/sh
# Installs every Debian package that building, testing, the demo and the
# benchmarks need.  Idempotent: apt-get runs only when something is missing.
set -eu

PKGS="meson ninja-build pkg-config gcc libc6-dev
libfuse3-dev fuse3 libseccomp-dev libxxhash-dev libcmocka-dev libjson-c-dev
libarchive-dev libssl-dev umoci skopeo
python3 jq attr util-linux mount passwd kmod busybox-static uidmap procps psmisc
valgrind fio hyperfine gnuplot-nox fuse-overlayfs bubblewrap crun squashfuse
debootstrap
clang-format scdoc
runc podman containerd"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing packages:$missing" >&2
		echo "install-deps: run as root (or: sudo apt-get install$missing)" >&2
		exit 1
	fi
	echo "install-deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
