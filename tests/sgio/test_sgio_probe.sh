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
# shellcheck source-path=SCRIPTDIR source=../libntms/tap.sh
. "$(dirname "$0")/../libntms/tap.sh"

# run WANTED-EXIT DESCRIPTION ARGS...: stdout in $out, stderr in $err.
run() {
  local want=$1 what=$2; shift 2
  out=$("$probe" "$@" 2>"$err"); local rc=$?
  if [ "$rc" -eq "$want" ]; then tap_ok "$what: exit $rc"; else
    tap_not_ok "$what: exit $rc, expected $want; stderr: $(cat "$err")"; fi
}

"$sim" "$state" create 'sim:lab,slots=20,ie=1,fill=4' >/dev/null || { echo "Bail out! ntms-sim create"; exit 1; }

run 0 "the whole storage type" "$device" status storage
whole=$(echo "$out" | awk '$1 >= 1000 && $1 <= 1005')
run 0 "storage 1000 6, one element a request" "$device" status storage 1000 6
tap_same "the six slots print as in the whole type's read" "$(printf 'storage:\n%s' "$whole")" "$out"
full=$(echo "$out" | grep -c 'FULL')
tap_same "four of them full, with their barcodes" "4 4" "$full $(echo "$out" | grep -c 'tag S0000[1-4]L8')"

run 0 "one element by default" "$device" status ie 100
tap_same "the port alone" "1" "$(echo "$out" | awk '$1 == 100' | wc -l)"

run 1 "a range past the type's last element" "$device" status storage 1018 5
tap_same "the two slots inside it are printed first" "1018 1019" "$(echo "$out" | awk '$1 ~ /^[0-9]+$/ { printf "%s%s", s, $1; s = " " }')"
if grep -q "storage element 1020 status" "$err"; then tap_ok "the error names the element"; else
  tap_not_ok "the error names the element: $(cat "$err")"; fi

missing="sim:absent,state=$dir/none/absent.state"
for args in "storage 1000 0" "storage 65535 2" "storage 70000" "storage x" "storage 1000 1 9" \
            "carousel 1000"; do
  # shellcheck disable=SC2086 # the arguments, split on purpose
  run 2 "status $args is a usage error" "$missing" status $args
done
if grep -q "^usage: sgio-probe" "$err"; then tap_ok "a usage error prints the usage"; else
  tap_not_ok "a usage error prints the usage: $(cat "$err")"; fi

tap_plan
exit $((tap_failed > 0))
