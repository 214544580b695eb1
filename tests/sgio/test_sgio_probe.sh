#!/bin/bash
# sgio-probe's status of single elements against a simulated library: the elements read one at a
# time print as the whole type's read prints them, an element outside the type fails, and every
# malformed range is a usage error before the device is opened.
#   test_sgio_probe.sh SGIO-PROBE NTMS-SIM
set -uo pipefail
probe=$1 sim=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
state=$dir/lab.state
device="sim:lab,state=$state"
err=$dir/err
n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; fails=$((fails + 1)); }

# run WANTED-EXIT DESCRIPTION ARGS...: stdout in $out, stderr in $err.
run() {
  local want=$1 what=$2; shift 2
  out=$("$probe" "$@" 2>"$err"); local rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$what: exit $rc"; else
    not_ok "$what: exit $rc, expected $want; stderr: $(cat "$err")"; fi
}
same() { # same DESCRIPTION EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then ok "$1"; else
    not_ok "$1"; diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/# /'; fi
}

"$sim" "$state" create 'sim:lab,slots=20,ie=1,fill=4' >/dev/null || { echo "Bail out! ntms-sim create"; exit 1; }

run 0 "the whole storage type" "$device" status storage
whole=$(echo "$out" | awk '$1 >= 1000 && $1 <= 1005')
run 0 "storage 1000 6, one element a request" "$device" status storage 1000 6
same "the six slots print as in the whole type's read" "$(printf 'storage:\n%s' "$whole")" "$out"
full=$(echo "$out" | grep -c 'FULL')
same "four of them full, with their barcodes" "4 4" "$full $(echo "$out" | grep -c 'tag S0000[1-4]L8')"

run 0 "one element by default" "$device" status ie 100
same "the port alone" "1" "$(echo "$out" | awk '$1 == 100' | wc -l)"

run 1 "a range past the type's last element" "$device" status storage 1018 5
same "the two slots inside it are printed first" "1018 1019" "$(echo "$out" | awk '$1 ~ /^[0-9]+$/ { printf "%s%s", s, $1; s = " " }')"
if grep -q "storage element 1020 status" "$err"; then ok "the error names the element"; else
  not_ok "the error names the element: $(cat "$err")"; fi

missing="sim:absent,state=$dir/none/absent.state"
for args in "storage 1000 0" "storage 65535 2" "storage 70000" "storage x" "storage 1000 1 9" \
            "carousel 1000"; do
  # shellcheck disable=SC2086 # the arguments, split on purpose
  run 2 "status $args is a usage error" "$missing" status $args
done
if grep -q "^usage: sgio-probe" "$err"; then ok "a usage error prints the usage"; else
  not_ok "a usage error prints the usage: $(cat "$err")"; fi

echo "1..$n"
exit $((fails > 0))
