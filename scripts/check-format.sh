#!/bin/sh
# check-format.sh [FILE|DIR]...: checks that C files are formatted as
# .clang-format says (clang-format 14, Debian's clang-format package).
#
# Without arguments it checks the files and folders listed in
# scripts/check-format.list, the ones already clean: the lint test
# (tests/lint) runs it that way, so the list can only grow.  A folder stands
# for every .c and .h file under it.  Prints a unified diff of each
# difference and exits 1 if there is one; exits 77 (skip) without
# clang-format.  To format a file: clang-format -i FILE, then add it to the
# list.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
list=$src/scripts/check-format.list

cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
	for c in clang-format-14 clang-format; do
		if command -v "$c" >/dev/null 2>&1; then
			cf=$c
			break
		fi
	done
fi
if [ -z "$cf" ]; then
	echo "check-format: clang-format not found (apt-get install clang-format)" >&2
	exit 77
fi
case "$("$cf" --version)" in
*" version 14."*) ;;
*) echo "check-format: warning: $("$cf" --version) is not clang-format 14;" \
	"its output may differ" >&2 ;;
esac

cd "$src"
if [ $# -eq 0 ]; then
	# One path per line; blank lines and # comments are ignored.
	# shellcheck disable=SC2046 # paths hold no spaces
	set -- $(sed -e 's/#.*//' "$list")
fi

# Expand folders into their C files.  A missing path is an error: a file
# that moves must be renamed in the list too.
files=$(mktemp)
trap 'rm -f "$files"' EXIT
rc=0
for p in "$@"; do
	if [ -d "$p" ]; then
		find "$p" -type f \( -name '*.c' -o -name '*.h' \) | sort >>"$files"
	elif [ -f "$p" ]; then
		echo "$p" >>"$files"
	else
		echo "check-format: $p: no such file or folder" >&2
		rc=1
	fi
done

n=0
bad=0
while IFS= read -r f; do
	n=$((n + 1))
	if ! "$cf" --style=file "$f" | diff -u --label "$f" --label "$f (clang-format)" "$f" -; then
		bad=$((bad + 1))
	fi
done <"$files"

if [ "$bad" -gt 0 ]; then
	echo "check-format: $bad of $n files differ from .clang-format (clang-format -i FILE fixes them)" >&2
	exit 1
fi
if [ "$rc" -ne 0 ]; then
	echo "check-format: a path above does not exist (moved? rename it in scripts/check-format.list)" >&2
	exit 1
fi
echo "check-format: $n files formatted as .clang-format says"
