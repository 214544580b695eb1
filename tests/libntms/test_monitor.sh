#!/bin/bash
# ntmsctl monitor against the real ntmsd: the lines it prints, as text and as JSON, while an
# inject is filled by the operator (ntms-sim), an inject's request is satisfied, a library goes
# offline (its state file broken) and online again, and ntmsd leaves the bus; --library, and the
# clean end on SIGINT and SIGTERM. TAP on stdout. Run inside private-bus.sh.
#   test_monitor.sh NTMSCTL NTMS-SIM
# The waits and checks are shell strings, expanded when eval runs them.
# shellcheck disable=SC2016,SC2034
set -uo pipefail
ctl=$1 sim=$2
dir=$NTMS_TEST_DIR
state=$dir/lab.state
# shellcheck source=tap.sh
source "$(dirname "$0")/tap.sh"

# tap_check_jq DESCRIPTION jq -e ...: jq's answer decides, and is not printed.
tap_check_jq() { local d=$1; shift; if "$@" >/dev/null; then tap_ok "$d"; else tap_not_ok "$d"; fi; }
# ok_if DESCRIPTION SHELL-CONDITION: a TAP line for a condition of several commands.
ok_if() { if eval "$2"; then tap_ok "$1"; else tap_not_ok "$1"; fi; }
# Polls COMMAND (a shell string) every 0.1 s for up to SECONDS; 0 once it succeeded.
wait_for() {
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 10; i++)); do
    eval "$1" && return 0
    sleep 0.1
  done
  return 1
}
unique_names() {
  busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
    ListNames | grep -o '":[0-9.]*"' | wc -l
}
open_request() { # the GUID of the open NEWMEDIA request, if any
  "$ctl" --json requests | jq -r '.[] | select(.type=="NEWMEDIA" and .state=="SUBMITTED") | .id'
}
job_state() { "$ctl" --json job "$1" | jq -r .state; }

lab=$("$ctl" --json library lab | jq -r .id)

# Usage errors come first, and change nothing.
"$ctl" monitor --library nosuch >/dev/null 2>"$dir/err"
rc=$?
tap_check "monitor --library of an unknown library exits 5" [ "$rc" = 5 ]
tap_check "... and names it" grep -q "nosuch: no such library" "$dir/err"
"$ctl" libraries --library lab >/dev/null 2>&1
rc=$?
tap_check "--library with another command is a usage error (2)" [ "$rc" = 2 ]

before=$(unique_names)
"$ctl" monitor >"$dir/mon.txt" 2>"$dir/mon.txt.err" &
text_pid=$!
"$ctl" --json monitor >"$dir/mon.json" 2>"$dir/mon.json.err" &
json_pid=$!
"$ctl" monitor --library other >"$dir/mon.other" 2>"$dir/mon.other.err" &
other_pid=$!
# Once all three are connected, an inventory of library other is an event each must show: when
# it has, each is listening.
wait_for 10 '[ "$(unique_names)" -ge $((before + 3)) ]'
sleep 0.5
probe=$("$ctl" inventory other --wait | sed -n 's/^job //p')
wait_for 20 'grep -q "job $probe finished" "$dir/mon.txt" && grep -q "job $probe finished" "$dir/mon.other" &&
  grep -q "\"job-finished\".*\"job\":\"$probe\"" "$dir/mon.json"'
tap_check "each monitor shows a probe inventory of library other" \
  grep -q "other: job $probe finished PASSED" "$dir/mon.other"

# 1. An inject that the operator fills.
job1=$("$ctl" inject lab --timeout 300)
wait_for 10 '[ -n "$(open_request)" ]'
req1=$(open_request)
msg1=$("$ctl" --json requests | jq -r ".[] | select(.id==\"$req1\") | .message")
"$sim" "$state" insert 100 MON001L8 >/dev/null
wait_for 20 '[ "$(job_state "$job1")" = PASSED ]'
tap_check "the first inject passed" [ "$(job_state "$job1")" = PASSED ]

# 2. An inject whose request is satisfied.
job2=$("$ctl" inject lab --timeout 300)
wait_for 10 '[ -n "$(open_request)" ]'
req2=$(open_request)
"$ctl" satisfy "$req2"
wait_for 20 '[ "$(job_state "$job2")" = PASSED ]'
tap_check "the satisfied inject passed" [ "$(job_state "$job2")" = PASSED ]

# 3. The library goes offline (its device no longer answers: the state file is broken; the idle
#    check finds it within CheckIntervalSec, 10 s) and comes back once the file is whole again.
cp "$state" "$dir/lab.state.good"
echo broken >"$state"
wait_for 30 '[ "$("$ctl" --json library lab | jq -r .online)" = false ]'
cp "$dir/lab.state.good" "$state"
wait_for 30 '[ "$("$ctl" --json library lab | jq -r .online)" = true ]'
tap_check "the library went offline and came back" \
  [ "$("$ctl" --json library lab | jq -r .online)" = true ]

# 4. ntmsd leaves the bus: the monitors say so and go on.
ntmsd_pid=$(busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
  GetConnectionUnixProcessID s org.ntms.Ntms1 | awk '{ print $2 }')
kill -TERM "$ntmsd_pid"
wait_for 20 'grep -q "left the bus" "$dir/mon.txt"'
sleep 0.5
tap_check "the monitors still run after ntmsd left" kill -0 "$text_pid" "$json_pid" "$other_pid"

kill -INT "$text_pid"
wait "$text_pid"
rc=$?
tap_check "SIGINT ends monitor with status 0" [ "$rc" = 0 ]
kill -TERM "$json_pid"
wait "$json_pid"
rc=$?
tap_check "SIGTERM ends monitor --json with status 0" [ "$rc" = 0 ]
kill -INT "$other_pid"
wait "$other_pid"
tap_check "nothing on stderr" test ! -s "$dir/mon.txt.err" -a ! -s "$dir/mon.json.err"

echo "# text:"
sed 's/^/#   /' "$dir/mon.txt"

# Text: each line starts with the time; what follows, per object, in order.
tap_check "every text line starts with HH:MM:SS.mmm" \
  test -z "$(grep -Ev '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} ' "$dir/mon.txt")"
sed -E 's/^[0-9:.]+ //' "$dir/mon.txt" >"$dir/mon.lines"
lines_of() { grep -F -- "$1" "$dir/mon.lines"; }
tap_check "job 1: created, filled by the operator, finished" [ "$(lines_of "job $job1")" = \
"lab: job $job1 new: inject START, QUEUED
lab: job $job1 INPROCESS, 0 moved
lab: job $job1 WAITING, 0 moved
lab: job $job1 INPROCESS, 0 moved
lab: job $job1 INPROCESS, 1 moved
lab: job $job1 finished PASSED, 1 moved" ]
tap_check "request 1: posted with its text, then COMPLETE" [ "$(lines_of "request $req1")" = \
"lab: request $req1 posted (NEWMEDIA): $msg1
lab: request $req1 COMPLETE" ]
tap_check "job 2: finished PASSED with nothing moved" \
  grep -qx "lab: job $job2 finished PASSED, 0 moved" "$dir/mon.lines"
tap_check "request 2: posted, then COMPLETE after satisfy" [ "$(lines_of "request $req2" | sed 's/posted.*/posted/')" = \
"lab: request $req2 posted
lab: request $req2 COMPLETE" ]
line_no() { grep -nF -- "$1" "$dir/mon.lines" | head -1 | cut -d: -f1; }
ok_if "request 1 is posted before its job's end" \
  '[ "$(line_no "request $req1 posted")" -lt "$(line_no "job $job1 finished")" ]'
tap_check "the library went offline with its reason, and online" \
  [ "$(grep -E '^lab: library (offline|online)' "$dir/mon.lines" | sed -E 's/^(lab: library offline: ).*/\1.../')" = \
"lab: library offline: ...
lab: library online" ]
# (ntmsd may send the library's changes together: FreeSlots alone or with Ports.)
tap_check "the cartridge's slot shows as one free slot less" grep -qE "^lab: library( [A-Za-z]+=[^ ]+)* FreeSlots=17( |\$)" "$dir/mon.lines"
tap_check "ntmsd leaving is the last line" \
  [ "$(tail -1 "$dir/mon.lines")" = "ntmsd: left the bus; waiting for it to come back" ]

# JSON: one object a line, the documented keys.
tap_check_jq "every --json line is one JSON object" jq -e -s 'length > 0 and all(type == "object")' "$dir/mon.json"
tap_check_jq "every --json object has time, event, library and library_id" \
  jq -e -s 'all(has("time") and has("event") and has("library") and has("library_id"))' "$dir/mon.json"
tap_check "--json: job 1's events in order" [ "$(jq -r "select(.job==\"$job1\") | .event" "$dir/mon.json" | tr '\n' ' ')" = \
  "job-new job-state job-state job-state job-state job-finished " ]
tap_check_jq "--json: job 1 finished PASSED in lab, 1 moved, no error" jq -e -s --arg j "$job1" --arg lab "$lab" \
  '[.[] | select(.event=="job-finished" and .job==$j) | del(.time)] ==
   [{event: "job-finished", library: "lab", library_id: $lab, job: $j, state: "PASSED", error: 0,
     message: "", media_moved: 1}]' "$dir/mon.json"
tap_check_jq "--json: request 1 posted" jq -e -s --arg r "$req1" --arg lab "$lab" --arg m "$msg1" \
  '[.[] | select(.event=="request-new" and .request==$r) | del(.time)] ==
   [{event: "request-new", library: "lab", library_id: $lab, request: $r, type: "NEWMEDIA",
     state: "SUBMITTED", message: $m}]' "$dir/mon.json"
tap_check_jq "--json: request 2 COMPLETE" jq -e -s --arg r "$req2" \
  '[.[] | select(.event=="request-state" and .request==$r) | .state] == ["COMPLETE"]' "$dir/mon.json"
tap_check_jq "--json: offline with a reason, then online with none" jq -e -s \
  '[.[] | select(.event=="library-state") | [.library, .state, (.reason != "")]] ==
   [["lab", "offline", true], ["lab", "online", false]]' "$dir/mon.json"
tap_check_jq "--json: ports as objects" jq -e -s \
  'any(.event=="library-changed" and (.changes.Ports? // [] | any(.port==100 and .elements==1)))' "$dir/mon.json"
tap_check_jq "--json: time is UTC with microseconds" jq -e -s \
  'all(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$"))' "$dir/mon.json"
tap_check_jq "--json: ntmsd left" jq -e -s '.[-1] | del(.time) == {event: "daemon-left", library: null, library_id: null}' "$dir/mon.json"

# --library other: nothing of lab; ntmsd's own events still come.
tap_check "--library other: no line about lab" test -z "$(grep -F 'lab:' "$dir/mon.other")"
tap_check "--library other: its own inventory, from new to finished" \
  [ "$(sed -E 's/^[0-9:.]+ //' "$dir/mon.other" | grep -F "job $probe" | sed -n '1p;$p')" = \
"other: job $probe new: inventory DEFAULT, QUEUED
other: job $probe finished PASSED, 0 moved" ]
tap_check "--library other: ntmsd leaving is told" grep -q "ntmsd: left the bus" "$dir/mon.other"

tap_plan
[ "$tap_failed" = 0 ]
