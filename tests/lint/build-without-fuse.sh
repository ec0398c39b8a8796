#!/bin/sh
# SPDX-License-Identifier: MIT
# build-without-fuse.sh SRCDIR: amber-log builds on a machine without
# libfuse3 and libseccomp.  Configures SRCDIR with -Damberfs=disabled
# -Drunner=disabled through a pkg-config that denies knowing fuse3 and
# libseccomp (as on a machine without libfuse3-dev and libseccomp-dev),
# checks that meson looked neither up, then builds amber-log and runs it.
set -eu

src=${1:?usage: build-without-fuse.sh SRCDIR}
real=$(command -v pkg-config) || { echo "pkg-config not found" >&2; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/amber-nofuse.XXXXXX")
trap 'rm -rf "$work"' EXIT

cat >"$work/pkg-config" <<EOF2
#!/bin/sh
for a in "\$@"; do
	case "\$a" in
	*fuse*|*seccomp*) echo "pkg-config \$*" >>"$work/asked"; exit 1 ;;
	esac
done
exec "$real" "\$@"
EOF2
chmod +x "$work/pkg-config"
printf "[binaries]\npkgconfig = '%s'\n" "$work/pkg-config" >"$work/native.ini"

# -Dtests=false: the tests need every program (see meson.build).
if ! meson setup "$work/build" "$src" --native-file "$work/native.ini" -Dwerror=true \
	-Damberfs=disabled -Drunner=disabled -Dtests=false >"$work/setup.log" 2>&1; then
	cat "$work/setup.log" >&2
	echo "build-without-fuse: meson setup failed" >&2
	exit 1
fi
if [ -e "$work/asked" ]; then
	cat "$work/asked" >&2
	echo "build-without-fuse: libfuse or libseccomp was looked up" >&2
	exit 1
fi
if grep -Ein 'fuse3|seccomp' "$work/build/meson-logs/meson-log.txt" >&2; then
	echo "build-without-fuse: the meson log above names libfuse or libseccomp" >&2
	exit 1
fi
if ! meson compile -C "$work/build" amber-log >"$work/compile.log" 2>&1; then
	cat "$work/compile.log" >&2
	echo "build-without-fuse: amber-log does not build" >&2
	exit 1
fi
log=$(find "$work/build" -name amber-log -type f -perm -u+x | head -n 1)
"$log" --help >/dev/null
echo "build-without-fuse: amber-log built and ran with neither libfuse nor libseccomp looked up"
