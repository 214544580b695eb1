#!/bin/bash
# make demo: one inject on a simulated library, start to finish, on a private system bus.
#   tools/demo.sh BUILD_DIR
# Starts a private dbus-daemon with the shipped policy and ntmsd with the sim library "lab1"
# (20 slots, one single-cartridge mail slot), then walks through an inject with busctl, ntms-sim
# (the operator at the mail slot) and ntmsctl, and a "library full" case. Cleans up after itself.
set -euo pipefail
build=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)

if [ "${NTMS_DEMO_INSIDE:-}" != 1 ]; then
  exec env NTMS_DEMO_INSIDE=1 "$src/tests/libntms/private-bus.sh" "$build/ntmsd" \
    "$src/systemd/org.ntms.Ntms1.conf" \
    --library 'lab1=sim:lab1,state=@lab1.state,slots=20,ie=1,fill=4,move-ms=800' \
    --library 'full=sim:full,state=@full.state,slots=3,ie=3,fill=2,move-ms=300' \
    -- "$0" "$build"
fi

# Bold headings on a terminal only, and never with NO_COLOR set (https://no-color.org).
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-dumb}" != dumb ]; then
  bold=$'\033[1m' plain=$'\033[0m'
else
  bold='' plain=''
fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
# Each command as it can be pasted into a shell: words with shell syntax or none at all quoted.
quote() {
  local a out=()
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then out+=("$a"); else out+=("'${a//\'/\'\\\'\'}'"); fi
  done
  echo "${out[*]}"
}
run() { printf '$ %s\n' "$(quote "$@")"; "$@"; }
# What busctl's raw values mean: job states are RSM's NTMS_LM_*, errors Win32 codes.
job_state() {
  case $1 in
    0) echo "queued" ;; 1) echo "in process" ;; 2) echo "passed" ;; 3) echo "failed" ;;
    5) echo "waiting for the operator" ;; 7) echo "cancelled" ;; 8) echo "stopped" ;;
    *) echo "state $1" ;;
  esac
}
explain() { printf '#   %s\n' "$*"; }
# The values of busctl get-property's answer as run printed it ("u 2" a line), on one line.
values() { grep -v '^\$ ' "$1" | awk '{ printf "%s%s", sep, $2; sep = " " } END { print "" }'; }
sim=$build/sgio/ntms-sim
ctl=$build/libntms/ntmsctl
BUS=(busctl --system --no-pager)

say "ntmsd runs on a private system bus ($DBUS_SYSTEM_BUS_ADDRESS) with two simulated libraries"
run "$ctl" libraries

lib=$("$ctl" --json libraries | jq -r '.[] | select(.name == "lab1") | .id')
say "Start an inject on lab1 with busctl (action 0 = NTMS_INJECT_START, timeout 60 s)"
run "${BUS[@]}" call org.ntms.Ntms1 /org/ntms/Ntms1 org.ntms.Ntms1.Manager InjectMedia \
  'susa{sv}' "$lib" 0 "" 1 timeout u 60 | tee "$NTMS_TEST_DIR/reply"
job_path=$(tail -1 "$NTMS_TEST_DIR/reply" | awk '{print $3}' | tr -d '"')
job=$(tail -1 "$NTMS_TEST_DIR/reply" | awk '{print $2}' | tr -d '"')
explain "the job's GUID and its object path; the empty string is the job argument (none for START)"
sleep 1
run "${BUS[@]}" get-property org.ntms.Ntms1 "$job_path" org.ntms.Ntms1.Job State | tee "$NTMS_TEST_DIR/state"
st=$(values "$NTMS_TEST_DIR/state")
explain "State $st: $(job_state "$st") (RSM's NTMS_LM_* values)"

say "The operator puts cartridge DEMO01L8 into the mail slot (element 100)"
run "$sim" "$NTMS_TEST_DIR/lab1.state" insert 100 DEMO01L8

say "The job sees the full port, moves the cartridge to a free slot and identifies it"
for _ in $(seq 60); do
  state=$("${BUS[@]}" get-property org.ntms.Ntms1 "$job_path" org.ntms.Ntms1.Job State | awk '{print $2}')
  case $state in 2|3|7|8) break ;; esac
  sleep 0.5
done
run "${BUS[@]}" get-property org.ntms.Ntms1 "$job_path" org.ntms.Ntms1.Job State MediaMoved Error |
  tee "$NTMS_TEST_DIR/props"
read -r st moved err < <(values "$NTMS_TEST_DIR/props")
explain "State $st: $(job_state "$st"); MediaMoved $moved cartridge(s); Error $err$([ "$err" = 0 ] && echo " (ERROR_SUCCESS)")"
run "$ctl" job "$job"
run "$sim" "$NTMS_TEST_DIR/lab1.state" status

say "Library 'full' has one free slot; the operator fills its 3-cartridge magazine"
full=$("$ctl" --json libraries | jq -r '.[] | select(.name == "full") | .id')
run "$ctl" inject "$full" --timeout 30 > "$NTMS_TEST_DIR/inject2" || true
cat "$NTMS_TEST_DIR/inject2"
sleep 1
for b in FULL01 FULL02 FULL03; do
  run "$sim" "$NTMS_TEST_DIR/full.state" insert $((100 + ${b#FULL0} - 1)) "$b"
done
run "$sim" "$NTMS_TEST_DIR/full.state" close-port || true
sleep 4
say "One cartridge fits; the wait's own NEWMEDIA request ('put cartridges into port') ended
COMPLETE, and a MESSAGE request asks to remove the rest from the port"
run "$ctl" jobs
run "$ctl" requests

say "What ntmsd told the operator (the journal on a real system; its standard error here)"
grep -E "put cartridges|moved from|is full|finished|operator request" "$NTMS_TEST_DIR/ntmsd.log" |
  sed -E 's/ \[MESSAGE_ID=.*//' || true

say "Done: ntmsd and the private bus are stopped and their files removed."
