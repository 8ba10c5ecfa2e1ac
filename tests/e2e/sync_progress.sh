#!/bin/bash
# A progress line for people at a terminal: a sync run in a pseudo-terminal
# (script(1)) redraws one line in place with the packages it has read and
# the bytes it has fetched, and takes it away before each log line; run
# with stderr to a file, as systemd and the daemon run it, it writes the
# log lines only.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 script rpmbuild createrepo_c
pg_need_programs

W=$T/www
REPO=$W/repo
for p in foo bar baz; do mkrpm "$REPO/Packages" $p 1.0; done
mkrepo "$REPO"
start_upstream "$W"

conf() {
	cat >"$1" <<EOF
[server]
listen = 127.0.0.1:0
store = $2

[mirror el9]
type = rpm-md
url = $UPSTREAM_URL/repo

[baseline dev]
rule = classification=* delay=0

[group dev]
baseline = dev
mirrors = el9
EOF
}

pg_say "a sync at a terminal"
conf "$T/tty.conf" "$T/store-tty"
PATCHGATE_NOW=2026-01-01T00:00:00Z script -qefc \
    "'$top_builddir/patchgate' -c '$T/tty.conf' sync" "$T/tty.out" >/dev/null 2>&1
assert_eq "the sync at a terminal succeeds" 0 $?
sed 's/^/  | /' "$T/tty.out" | cat -v >&2
TTY=$(cat -v "$T/tty.out")
assert_contains "a progress line names the packages read from primary" \
    "$TTY" "mirror el9: primary: "
assert_contains "it redraws in place (carriage return, erase line)" "$TTY" '^M^[[K'
assert_contains "a progress line names the bytes fetched" "$TTY" " kB"
assert_contains "the log lines are there too" "$TTY" "patchgate: mirror el9: synced"
# The last thing on the screen is a log line, not a stale progress line.
assert_eq "no progress line is left at the end" \
    "patchgate: mirror el9: synced" \
    "$(tr '\r' '\n' <"$T/tty.out" | sed 's/\x1b\[K//' | grep -v -e '^$' -e '^Script ' |
	tail -n 1)"

pg_say "the same sync with stderr to a file"
conf "$T/file.conf" "$T/store-file"
PATCHGATE_NOW=2026-01-01T00:00:00Z "$top_builddir/patchgate" -c "$T/file.conf" \
    sync >"$T/file.out" 2>&1
assert_eq "the sync succeeds" 0 $?
assert_false "no carriage return and no escape in a file" \
    grep -q "$(printf '[\r\033]')" "$T/file.out"
assert_false "no progress text in a file" grep -q "primary: .* packages" "$T/file.out"
assert_contains "the log lines are there" "$(cat "$T/file.out")" "patchgate: mirror el9: synced"

pg_done
