#!/bin/bash
# Paths that hold ':', '\' and ',' -- layers, a volume's source and
# destination, the audit log -- go through amber-run's lists (escaped with
# '\') and the amberfs command line unchanged (common/optlist.h).  An empty
# layer in the list is refused, saying where.
. "$(dirname "$0")/lib.sh"

# '\' before ':' and '\': one element of an amber-run list.
esc() { printf '%s' "$1" | sed 's/[\\:]/\\&/g'; }

odd=$T/odd
mkdir "$odd"
top="$odd/con:fig\\x,1"
app="$odd/a\\pp:2,"
base="$odd/ba,se\\:"
cp -a "$T/image/config" "$top"
cp -a "$T/image/app" "$app"
cp -a "$T/image/base" "$base"
chmod -R a+rX "$odd"
layers="$(esc "$top"):$(esc "$app"):$(esc "$base")"

vol="$T/vo:l\\x,y"
as mkdir "$vol"
dst="/mnt/d:s\\t,x"
log="$T/logs/a,b:c\\d.log"

run --log "$log" -v "$(esc "$vol"):$(esc "$dst")" "$layers" sh -c '
	cat /etc/app.conf
	hello
	echo fromvolume >"/mnt/d:s\\t,x/f"
	echo x >/newfile || true'
expect_rc 0 "odd paths"
expect_out '^greeting=hello$' "the top layer's file"
expect_out '^hello from the app layer$' "the middle layer's file"
ok "layers whose paths hold ':', '\\' and ',' are merged"

[ "$(cat "$vol/f")" = fromvolume ] || fail "nothing written through the volume '$vol' on '$dst'"
ok "a volume whose source and destination hold ':', '\\' and ','"

[ -s "$log" ] || fail "no audit log at '$log'"
got=$(jq -r -s '.[0] | select(.kind == "start") | [.layers[] | .path] | join("|")' "$log")
[ "$got" = "$top|$app|$base" ] || fail "start record names the layers '$got', want '$top|$app|$base'"
jq -e -s 'any(.[]; .kind == "attempt" and .file.path == "/newfile")' "$log" >/dev/null ||
	fail "no attempt record for /newfile in '$log'"
ok "the log file '$log' names each layer exactly"

run "$(esc "$top")::$(esc "$base")" true
expect_rc 125 "an empty layer"
expect_err "empty layer path at position 2" "the empty layer's position"
ok "an empty layer is refused, with its position"
