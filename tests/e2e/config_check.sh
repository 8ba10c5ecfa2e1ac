#!/bin/sh
# patchgated -n and patchgate check configuration files: every error as
# file:line: message, all at once, and a non-zero exit.
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() {
	if [ "$1" != "$2" ]; then
		echo "FAIL: $3: got [$1], want [$2]"
		fail=1
	else
		echo "ok: $3"
	fi
}
contains() {
	if grep -qF -- "$2" "$1"; then
		echo "ok: $3"
	else
		echo "FAIL: $3: [$2] not in:"
		cat "$1"
		fail=1
	fi
}

cat > "$T/good.conf" <<EOF2
[server]
listen = 127.0.0.1:0
store = $T/store
[mirror el9]
type = rpm-md
url = http://127.0.0.1:1/repo
[baseline prod]
rule = classification=* delay=7d
[group prod]
baseline = prod
mirrors = el9
EOF2
"$top_builddir/patchgated" -c "$T/good.conf" -n >"$T/out" 2>&1
check $? 0 "a good configuration passes -n"
contains "$T/out" "configuration OK" "and says so"

cat > "$T/bad.conf" <<EOF2
[server]
store = relative/path
[mirror el9]
type = yum2
url = http://127.0.0.1:1/repo
[baseline prod]
rule = classification=* delay=soon
[group prod]
baseline = prod
mirrors = el9 el10
EOF2
"$top_builddir/patchgated" -c "$T/bad.conf" -n >"$T/out" 2>&1
check $? 1 "a bad configuration fails -n"
contains "$T/out" "bad.conf:2: store: \"relative/path\" is not an absolute path" "store error with line"
contains "$T/out" "bad.conf:4: type: unknown mirror type \"yum2\"" "type error with line"
contains "$T/out" "bad.conf:7: rule: bad delay \"soon\"" "delay error with line"
contains "$T/out" "bad.conf:8: [group prod]: mirror \"el10\" is not defined" "dangling reference"

"$top_builddir/patchgate" -c "$T/bad.conf" sync >"$T/out" 2>&1
check $? 1 "sync refuses a bad configuration"
contains "$T/out" "bad.conf:7: rule: bad delay" "with the same messages"

"$top_builddir/patchgate" -c "$T/missing.conf" sync >"$T/out" 2>&1
check $? 1 "a missing file fails"
contains "$T/out" "missing.conf: No such file or directory" "naming the file"

"$top_builddir/patchgate" -c "$T/good.conf" sync nosuch >"$T/out" 2>&1
check $? 1 "an unknown mirror name fails"
contains "$T/out" "no mirror named nosuch" "naming the mirror"

PATCHGATE_NOW=yesterday "$top_builddir/patchgate" -c "$T/good.conf" sync >"$T/out" 2>&1
check $? 1 "a bad PATCHGATE_NOW fails"
contains "$T/out" "PATCHGATE_NOW: not an RFC 3339 time" "naming the variable"
exit $fail
