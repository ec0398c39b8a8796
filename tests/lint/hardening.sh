#!/bin/sh
# SPDX-License-Identifier: MIT
# hardening.sh --fortify|--no-fortify PROGRAM...: checks that each built
# program carries the hardening that meson.build asks for, as checksec
# would: a position-independent executable (PIE), full RELRO (a GNU_RELRO
# segment and immediate binding, BIND_NOW), the stack protector
# (__stack_chk_fail) and, with --fortify, _FORTIFY_SOURCE (__*_chk calls).
# Exits 77 (skip) without readelf.
set -eu

if ! command -v readelf >/dev/null 2>&1; then
	echo "hardening: readelf not found (binutils)" >&2
	exit 77
fi

case "${1:-}" in
--fortify) fortify=1 ;;
--no-fortify) fortify=0 ;;
*) echo "usage: hardening.sh --fortify|--no-fortify PROGRAM..." >&2; exit 2 ;;
esac
shift

rc=0
fail() { # program, what is missing
	echo "hardening: $1: $2" >&2
	ok=0
	rc=1
}

for p in "$@"; do
	name=$(basename "$p")
	ok=1
	header=$(readelf -hW "$p")
	dynamic=$(readelf -dW "$p")
	segments=$(readelf -lW "$p")
	symbols=$(readelf --dyn-syms -W "$p")

	echo "$header" | grep -q 'Type: *DYN' ||
		fail "$name" "not position-independent (ELF type is not DYN)"
	echo "$dynamic" | grep -q '(FLAGS_1).*PIE' ||
		fail "$name" "no PIE flag in FLAGS_1"
	echo "$segments" | grep -q 'GNU_RELRO' ||
		fail "$name" "no GNU_RELRO segment (RELRO)"
	echo "$dynamic" | grep -Eq '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' ||
		fail "$name" "no BIND_NOW (partial RELRO only: link with -z now)"
	echo "$symbols" | grep -q '__stack_chk_fail' ||
		fail "$name" "no stack protector (__stack_chk_fail)"
	if [ "$fortify" = 1 ]; then
		echo "$symbols" | grep -Eq ' __[a-z0-9_]+_chk(@|$)' ||
			fail "$name" "no _FORTIFY_SOURCE (no __*_chk function)"
	fi
	if [ "$ok" = 1 ]; then
		echo "hardening: $name: PIE, full RELRO, stack protector$([ "$fortify" = 1 ] && echo ', FORTIFY')"
	fi
done
exit $rc
