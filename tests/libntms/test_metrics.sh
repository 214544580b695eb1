#!/bin/bash
# ntmsctl metrics against the real ntmsd (run inside private-bus.sh with the libraries lab, a
# simulated one with 20 slots, 4 of them full, and a port at element 100, and gone, an absent
# device): after known operations (an inject that passes, one cancelled in its queue, one
# stopped, the library going offline) the numbers are exactly these, and every output passes the
# exposition-format checker. Also FILE: replaced atomically, readable by node-exporter's user.
#   test_metrics.sh NTMSCTL NTMS-SIM CHECKER
set -uo pipefail
ctl=$1 sim=$2 checker=$3
state=$NTMS_TEST_DIR/lab.state
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# The metrics now, checked for format; the text in $out.
read_metrics() {
  out=$("$ctl" metrics 2>"$NTMS_TEST_DIR/err") || { fail "ntmsctl metrics: $(cat "$NTMS_TEST_DIR/err")"; return; }
  local problems
  problems=$(python3 "$checker" --require ntms_libraries --require ntms_slots \
    --require ntms_jobs_total --require ntms_job_duration_seconds \
    --require ntms_scsi_errors_total --require ntms_scsi_retries_total \
    --require ntms_library_offline_transitions_total --require ntms_database_size_bytes \
    --require ntms_port_cartridges - <<<"$out") || fail "format ($1): $problems"
}
# expect SAMPLE VALUE: the line "SAMPLE VALUE" is in $out (labels as ntmsd sorts them).
expect() {
  grep -qxF -- "$1 $2" <<<"$out" ||
    fail "$1: expected $2, got '$(grep -F -- "$1 " <<<"$out" | head -1)'"
}
value() { grep -F -- "$1 " <<<"$out" | head -1 | awk '{ print $NF }'; }
job_path() { echo "/org/ntms/Ntms1/job/$(tr -d - <<<"$1" | tr A-F a-f)"; }
wait_state() { # wait_state JOB STATE
  local s=
  for _ in $(seq 100); do
    s=$("$ctl" --json job "$1" | jq -r .state); [ "$s" = "$2" ] && return 0; sleep 0.1
  done
  fail "job $1 is $s, not $2"
}

read_metrics "at start"
expect 'ntms_libraries{state="online"}' 1
expect 'ntms_libraries{state="offline"}' 1
expect 'ntms_libraries{state="reading"}' 0
expect 'ntms_libraries{state="removed"}' 0
expect 'ntms_library_online{library="lab"}' 1
expect 'ntms_library_online{library="gone"}' 0
expect 'ntms_slots{library="lab",state="full"}' 4
expect 'ntms_slots{library="lab",state="free"}' 16
expect 'ntms_port_elements{library="lab",port="100"}' 1
expect 'ntms_port_cartridges{library="lab",port="100"}' 0
expect 'ntms_jobs_total{kind="inject",outcome="passed"}' 0
expect 'ntms_job_duration_seconds_count{kind="inject"}' 0
expect 'ntms_scsi_errors_total{library="gone"}' 0
expect 'ntms_library_offline_transitions_total{library="lab"}' 0
expect 'ntms_library_offline_transitions_total{library="gone"}' 0
[ "$(value 'ntms_database_size_bytes{file="database"}')" -gt 0 ] 2>/dev/null ||
  fail "the database's size is not positive: $(value 'ntms_database_size_bytes{file="database"}')"
grep -q '^# TYPE ntms_job_duration_seconds histogram$' <<<"$out" || fail "no histogram TYPE line"

# An inject that passes: the operator puts a cartridge in.
start=$(date +%s.%N)
( sleep 1; "$sim" "$state" insert 100 MET001L8 >/dev/null ) &
"$ctl" --json inject lab --timeout 30 --wait >"$NTMS_TEST_DIR/inject.out" || fail "the inject failed"
wait
# One queued behind a waiting one, cancelled; then the waiting one stopped.
running=$("$ctl" --json inject lab --timeout 300 | jq -r .job)
wait_state "$running" WAITING
queued=$("$ctl" --json inject lab --timeout 300 | jq -r .job)
busctl --system call org.ntms.Ntms1 "$(job_path "$queued")" org.ntms.Ntms1.Job Cancel 'a{sv}' 0 ||
  fail "Job.Cancel of the queued inject"
wait_state "$queued" CANCELLED
"$ctl" stop "$running" >/dev/null || fail "stop of the waiting inject"
wait_state "$running" STOPPED
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')

read_metrics "after three injects"
expect 'ntms_jobs_total{kind="inject",outcome="passed"}' 1
expect 'ntms_jobs_total{kind="inject",outcome="cancelled"}' 1
expect 'ntms_jobs_total{kind="inject",outcome="stopped"}' 1
expect 'ntms_jobs_total{kind="inject",outcome="failed"}' 0
expect 'ntms_jobs_total{kind="eject",outcome="passed"}' 0
expect 'ntms_job_duration_seconds_count{kind="inject"}' 3
expect 'ntms_job_duration_seconds_bucket{kind="inject",le="+Inf"}' 3
expect 'ntms_job_duration_seconds_count{kind="eject"}' 0
sum=$(value 'ntms_job_duration_seconds_sum{kind="inject"}')
awk -v s="$sum" -v t="$took" 'BEGIN { exit !(s > 0 && s < t) }' || fail "inject durations sum to $sum, not in (0, $took)"
# The passed inject took more than the operator's second.
[ "$(value 'ntms_job_duration_seconds_bucket{kind="inject",le="0.5"}')" -le 2 ] ||
  fail "the passed inject is counted in the 0.5 s bucket"
expect 'ntms_slots{library="lab",state="full"}' 5
expect 'ntms_slots{library="lab",state="free"}' 15
expect 'ntms_library_offline_transitions_total{library="lab"}' 0

# The library goes offline: its device (the state file) disappears; the worker's check finds out
# (CheckIntervalSec, 10 s by default) and its retries open it again, as a new, full one.
rm -f "$state"
for _ in $(seq 300); do
  read_metrics "while lab goes offline"
  [ "$(value 'ntms_library_offline_transitions_total{library="lab"}')" = 1 ] && break
  sleep 0.1
done
expect 'ntms_library_offline_transitions_total{library="lab"}' 1
[ "$(value 'ntms_scsi_errors_total{library="lab"}')" -ge 1 ] 2>/dev/null ||
  fail "no SCSI error counted for the vanished device"
expect 'ntms_library_offline_transitions_total{library="gone"}' 0
expect 'ntms_jobs_total{kind="inject",outcome="passed"}' 1
expect 'ntms_job_duration_seconds_count{kind="inject"}' 3

# FILE: replaced atomically, mode 0644, nothing else left in its directory.
mkdir -p "$NTMS_TEST_DIR/textfile"
prom=$NTMS_TEST_DIR/textfile/ntms.prom
echo old >"$prom"
"$ctl" metrics "$prom" || fail "ntmsctl metrics FILE"
[ "$(stat -c %a "$prom")" = 644 ] || fail "the file's mode is $(stat -c %a "$prom"), not 644"
[ "$(ls "$NTMS_TEST_DIR/textfile")" = ntms.prom ] || fail "left behind: $(ls "$NTMS_TEST_DIR/textfile")"
python3 "$checker" "$prom" || fail "the file's format"
grep -q '^ntms_jobs_total{kind="inject",outcome="passed"} 1$' "$prom" || fail "the file's content"
# A directory that is not there: an error, nothing made.
"$ctl" metrics "$NTMS_TEST_DIR/nosuch/ntms.prom" 2>"$NTMS_TEST_DIR/err" && fail "a missing directory was accepted"
grep -q "No such file or directory" "$NTMS_TEST_DIR/err" || fail "no reason given: $(cat "$NTMS_TEST_DIR/err")"
[ ! -e "$NTMS_TEST_DIR/nosuch" ] || fail "a missing directory was made"
# Usage: one FILE at most, and no other format.
"$ctl" --json metrics >/dev/null 2>&1; [ $? = 2 ] || fail "--json was accepted"
"$ctl" metrics a b 2>/dev/null; [ $? = 2 ] || fail "two files were accepted"
# No daemon on the bus: exit 3, as every command.
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$NTMS_TEST_DIR/no.socket "$ctl" metrics >/dev/null 2>&1
rc=$?; [ $rc = 3 ] || fail "without a bus: exit $rc, not 3"

[ $fails -eq 0 ] && echo "metrics: all checks passed"
exit $((fails > 0))
