#!/bin/bash
# make demo's walk-through (tools/demo.sh), as a user sees it. TAP on stdout.
#   demo-test.sh SOURCE-DIR BUILD-DIR
# Its commands can be pasted (each "$ ..." line is one shell command with its words quoted as
# needed, the empty job argument included); busctl's raw values are explained; bold headings only
# on a terminal, never with NO_COLOR, so that a log file holds no escape sequences.
set -uo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
check() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
esc=$'\033'

"$src/tools/demo.sh" "$build" >"$tmp/plain" 2>&1
rc=$?
check $rc "the demo runs to its end (exit status $rc)"
[ "$rc" = 0 ] || tail -n 20 "$tmp/plain" | sed 's/^/# /'

! grep -q "$esc" "$tmp/plain"
check $? "into a file: no escape sequences"

bad=0
while IFS= read -r line; do
  bash -n -c "${line#\$ }" 2>/dev/null || { echo "# does not parse: $line"; bad=1; }
  # The words the shell makes of it: as many as ntmsd was given (none dropped, none split).
  words=$(bash -c 'f() { echo $#; }; eval "f ${1#\$ }"' _ "$line")
  [ "$words" -gt 1 ] || { echo "# one word only: $line"; bad=1; }
done < <(grep '^\$ ' "$tmp/plain")
check $bad "every command shown parses as one shell command"

grep -q "^\$ busctl .* InjectMedia 'susa{sv}' [0-9a-f-]* 0 '' 1 timeout u 60$" "$tmp/plain"
check $? "the InjectMedia command shows its empty job argument as '' and its signature quoted"

grep -q '^#   State 5: waiting for the operator' "$tmp/plain" &&
  grep -q '^#   State 2: passed; MediaMoved 1 cartridge(s); Error 0 (ERROR_SUCCESS)' "$tmp/plain"
check $? "busctl's raw values are explained in words"

# On a terminal (script(1) gives the demo a pseudo-terminal).
TERM=xterm script -qec "$src/tools/demo.sh $build" /dev/null </dev/null >"$tmp/tty" 2>&1
grep -q "${esc}\[1m== " "$tmp/tty"
check $? "on a terminal: bold headings"
TERM=xterm NO_COLOR=1 script -qec "$src/tools/demo.sh $build" /dev/null </dev/null >"$tmp/nocolor" 2>&1
grep -q '^== ' "$tmp/nocolor" && ! grep -q "${esc}\[1m" "$tmp/nocolor"
check $? "on a terminal with NO_COLOR set: no escape sequences"

echo "1..$n"
