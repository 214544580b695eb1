#!/bin/bash
# Runs the C examples of the man pages against the real ntmsd, as the pages say they behave.
# Run inside tests/libntms/private-bus.sh with the libraries
#   lab    sim, 20 slots (4 full), a single-cartridge port at element 100, state file lab.state
#   noport sim, no import/export port
#   mag    sim, 4 slots (3 full), a magazine of two elements at 100-101, state file mag.state
# and the simulated operator (ntms-sim) at the port. TAP, one subtest per claim checked.
#   run-examples.sh PKG_CONFIG_DIR NTMS_SIM NTMSCTL PAGE...
set -euo pipefail

if [ $# -lt 4 ] || [ -z "${NTMS_TEST_DIR:-}" ]; then
  echo "usage: run-examples.sh PKG_CONFIG_DIR NTMS_SIM NTMSCTL PAGE... (inside private-bus.sh)" >&2
  exit 2
fi
export PKG_CONFIG_PATH=$1
sim=$2 ctl=$3
shift 3
extract=$(dirname "$(realpath "$0")")/extract-examples.py
work=$NTMS_TEST_DIR/examples
mkdir -p "$work"
lab_state=$NTMS_TEST_DIR/lab.state
mag_state=$NTMS_TEST_DIR/mag.state

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; failed=$((failed + 1)); }
diag() { sed 's/^/# /' "$@"; }
check() { # check DESCRIPTION COMMAND...: a subtest that passes when the command succeeds
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
has_line() { grep -Fxq -- "$2" "$1"; }
has_text() { grep -Fq -- "$2" "$1"; }

# Every example, built as the pages show, linked to this build's libntms.
read -r -a flags <<<"$(pkg-config --cflags --libs libntms)"
for dir in $(pkg-config --libs-only-L libntms | sed 's/-L//g'); do
  flags+=("-Wl,-rpath,$dir")
done
for page in "$@"; do
  if ! names=$("$extract" "$page" "$work" 2>"$work/extract.err"); then
    not_ok "$(basename "$page"): examples extracted"
    diag "$work/extract.err"
    continue
  fi
  for example in $names; do
    if ! gcc -std=c99 -Wall -Wextra -Werror -pedantic -o "$work/${example%.c}" \
        "$work/$example" "${flags[@]}" 2>"$work/build.err"; then
      not_ok "$example builds"
      diag "$work/build.err"
    fi
  done
done

rc=0
run() { # run EXAMPLE ARGS...: output in $work/EXAMPLE.out and .err, exit status in rc
  local example=$1
  shift
  rc=0
  if [ ! -x "$work/$example" ]; then
    echo "no program $example" >"$work/$example.err"
    : >"$work/$example.out"
    rc=127
    return
  fi
  timeout 120 "$work/$example" "$@" >"$work/$example.out" 2>"$work/$example.err" || rc=$?
}
expect_rc() { # expect_rc DESCRIPTION EXAMPLE WANTED
  if [ "$rc" -eq "$3" ]; then
    ok "$1"
  else
    not_ok "$1 (exit $rc, expected $3)"
    diag "$work/$2.out" "$work/$2.err"
  fi
}
wait_for() { # wait_for SECONDS COMMAND...: polls the command until it succeeds
  local tries=$(($1 * 10))
  shift
  while ! "$@" >/dev/null 2>&1; do
    tries=$((tries - 1))
    [ $tries -gt 0 ] || return 1
    sleep 0.1
  done
}
port_open() { "$sim" "$1" status | grep -q '^port *open'; }
job_state() { "$ctl" --json job "$1" | jq -r .state; }
job_is() { [ "$(job_state "$1")" = "$2" ]; }
# The operator: waits for the port of the library to open, then puts cartridges in.
operator_inserts() { # operator_inserts STATE ADDRESS:BARCODE...
  local state=$1
  shift
  wait_for 60 port_open "$state" || { echo "# the port of $state never opened"; return 1; }
  for c in "$@"; do
    "$sim" "$state" insert "${c%%:*}" "${c#*:}" >/dev/null
  done
}
in_storage() { "$sim" "$1" status | grep -Eq "^storage +[0-9]+ +full +$2( |\$)"; }

# NtmsErrorString(3): a fixed text per code, no daemon needed.
run errors 4322 5 4999
expect_rc "errors: exits 0" errors 0
check "errors: prints the documented texts" \
  diff -u <(printf '%s\n' '4322: library full' '5: access denied' '4999: unknown error') \
  "$work/errors.out"

# OpenNtmsSession(3).
run session
expect_rc "session: opens a session to this host" session 0
check "session: says ntmsd answers" has_line "$work/session.out" "ntmsd answers on this host"
run session -oProxyCommand=true
expect_rc "session: a host starting with - is refused" session 1
check "session: ... as ERROR_INVALID_COMPUTERNAME" \
  has_text "$work/session.err" "invalid host name (error 1210)"
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$NTMS_TEST_DIR/no-such-bus run session
expect_rc "session: no bus fails" session 1
check "session: ... as ERROR_NOT_CONNECTED" \
  has_text "$work/session.err" "cannot reach ntmsd (error 2250)"
run session-wide
expect_rc "session-wide: opens with UTF-16 strings; the closed handle is refused" session-wide 0

# EnumerateNtmsObject(3) and the W function of GetNtmsObjectInformation(3).
run ports
expect_rc "ports: exits 0" ports 0
check "ports: lab has its single-cartridge port 100, closed and empty" \
  [ "$(grep -A1 -Fx "lab, ports: 1" "$work/ports.out" | tail -n 1)" = "  port 100: empty, closed" ]
check "ports: noport has none" has_line "$work/ports.out" "noport, ports: 0"
check "ports: mag has one (a magazine)" has_line "$work/ports.out" "mag, ports: 1"
run names-wide
expect_rc "names-wide: exits 0" names-wide 0
check "names-wide: lab with 20 slots, through UTF-16" has_line "$work/names-wide.out" "lab: 20 slots"
check "names-wide: all three libraries" [ "$(wc -l <"$work/names-wide.out")" -eq 3 ]

# InjectNtmsMedia(3): an inject to its end while the operator loads the port.
run inject noport
expect_rc "inject: a library without a port fails" inject 1
check "inject: ... with ERROR_NOT_SUPPORTED" has_text "$work/inject.err" "(error 50)"
operator_inserts "$lab_state" 100:MAN001L8 &
operator=$!
run inject lab 30
wait $operator || true
expect_rc "inject: the job passes" inject 0
check "inject: it waited for the operator" has_line "$work/inject.out" "waiting: media moved: 0"
check "inject: it asked for cartridges" \
  has_line "$work/inject.out" "put cartridges into the port of lab"
check "inject: it ends with one cartridge moved" \
  [ "$(tail -n 1 "$work/inject.out")" = "passed: media moved: 1" ]
check "inject: the cartridge is in a storage slot of the library" in_storage "$lab_state" MAN001L8

# InventoryNtmsLibrary(3): a fast inventory of lab is queued and passes.
lab_id=$("$ctl" --json library lab | jq -r .id)
run inventory "$lab_id"
expect_rc "inventory: queued" inventory 0
check "inventory: ... and says so" has_line "$work/inventory.out" "inventory queued"
check "inventory: the job passes" wait_for 30 bash -c \
  "\"$ctl\" --json jobs | jq -e '[.[] | select(.action == \"FAST\" and .state == \"PASSED\")] | length == 1'"
run inventory 00000000-0000-0000-0000-000000000001
expect_rc "inventory: an unknown library fails" inventory 1

# libntms(3): every library and its jobs.
run status
expect_rc "status: exits 0" status 0
check "status: lab after the inject" \
  has_line "$work/status.out" "lab: online, slots 20 (5 full), drives 2, ports 1"
check "status: noport" has_line "$work/status.out" "noport: online, slots 10 (0 full), drives 2, ports 0"
check "status: the inject job under lab" grep -Eq \
  '^  job [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}: passed, media moved: 1$' \
  "$work/status.out"

# GetNtmsObjectInformation(3): that job, by its GUID.
job=$("$ctl" --json jobs | jq -r '.[] | select(.application == "inject-example") | .id')
run job "$job"
expect_rc "job: shows the inject job" job 0
check "job: operation" has_line "$work/job.out" "operation: inject START"
check "job: state" has_line "$work/job.out" "state: passed"
check "job: result" has_line "$work/job.out" "result: media moved: 1"
check "job: completed at a time" grep -Eq '^completed: [0-9]{4}-[0-9]{2}-[0-9]{2} ' "$work/job.out"
check "job: started by" \
  has_line "$work/job.out" "started by: inject-example (uid $(id -u) on $(hostname))"
run job 00000000-0000-0000-0000-000000000001
expect_rc "job: an unknown GUID fails" job 1
check "job: ... with ERROR_OBJECT_NOT_FOUND" has_text "$work/job.err" "(error 4312)"
run job not-a-guid
expect_rc "job: a malformed GUID is a usage error" job 2

# InjectNtmsMedia(3), STARTMANY then STOP: what is in the port is imported all the same.
lab=$("$ctl" --json library lab | jq -r .id)
operator_inserts "$lab_state" 100:MAN002L8 &
operator=$!
run inject-many "$lab" 6
wait $operator || true
expect_rc "inject-many: the job is stopped" inject-many 0
check "inject-many: ... with the cartridge moved" \
  has_line "$work/inject-many.out" "stopped: media moved: 1"
check "inject-many: the cartridge is in a storage slot" in_storage "$lab_state" MAN002L8

# CancelNtmsLibraryRequest(3): a queued job is cancelled, a waiting one stopped.
first=$("$ctl" inject lab --timeout 120)
second=$("$ctl" inject lab --timeout 120)
check "cancel: the first job waits for the operator" wait_for 30 job_is "$first" WAITING
check "cancel: the second waits in the queue" job_is "$second" QUEUED
run cancel "$second"
expect_rc "cancel: the queued job" cancel 0
check "cancel: ... ends cancelled" grep -Eq '^cancelled: media moved: 0; cancelled by .* before it started$' \
  "$work/cancel.out"
run cancel "$first"
expect_rc "cancel: the waiting job" cancel 0
check "cancel: ... ends stopped" has_line "$work/cancel.out" "stopped: media moved: 0"
run cancel "$first"
expect_rc "cancel: a job that has ended fails" cancel 1
check "cancel: ... with ERROR_OBJECT_NOT_FOUND" has_text "$work/cancel.err" "(error 4312)"

# OpenNtmsNotification(3): jobs prints a job's changes as they come, then 3 quiet seconds end it.
( sleep 1; "$ctl" inject lab --timeout 1 >/dev/null ) &
injector=$!
run jobs 3
wait $injector || true
expect_rc "jobs: exits 0 after the quiet seconds" jobs 0
check "jobs: the new job" grep -q '^new: inject, state ' "$work/jobs.out"
check "jobs: it waited for the operator" has_line "$work/jobs.out" \
  "changed: inject, state 5, media moved: 0"
check "jobs: it completed, nothing moved" has_line "$work/jobs.out" \
  "completed: inject, state 2, media moved: 0"

# WaitForNtmsOperatorRequest(3): a full library posts a request; opwait waits, answer answers.
"$ctl" inject mag --timeout 120 >/dev/null
( operator_inserts "$mag_state" 100:OPW001L8 101:OPW002L8 && "$sim" "$mag_state" close-port ) \
  >/dev/null &
operator=$!
# The inject's own NEWMEDIA request ("put cartridges in") ends when the port is closed; the
# "library full" request is a MESSAGE.
open_request() {
  "$ctl" --json requests | jq -e '.[] | select(.type == "MESSAGE" and .state == "SUBMITTED")'
}
check "opwait: the full library posted an operator request" wait_for 60 open_request
wait $operator || true
request=$("$ctl" --json requests |
  jq -r '.[] | select(.type == "MESSAGE" and .state == "SUBMITTED") | .id')
check "opwait: the inject's insert request is over" \
  [ "$("$ctl" --json requests | jq '[.[] | select(.type == "NEWMEDIA" and .state == "SUBMITTED")] | length')" = 0 ]
"$work/opwait" 60 >"$work/opwait.out" 2>"$work/opwait.err" &
waiter=$!
check "opwait: prints the request" wait_for 30 has_line "$work/opwait.out" \
  "operator: library mag is full: remove 1 cartridge from port 100"
check "opwait: ... and waits" kill -0 $waiter
run answer "$request"
expect_rc "answer: satisfies the request" answer 0
rc=0
wait $waiter || rc=$?
expect_rc "opwait: returns once it is satisfied" opwait 0
check "opwait: ... and says so" [ "$(tail -n 1 "$work/opwait.out")" = satisfied ]
check "answer: the request is COMPLETE" \
  [ "$("$ctl" --json requests | jq -r ".[] | select(.id == \"$request\") | .state")" = COMPLETE ]
run answer --refuse "$request"
expect_rc "answer: an answered request cannot be refused" answer 1
check "answer: ... ERROR_INVALID_STATE" has_text "$work/answer.err" "(error 5023)"
run opwait 0
expect_rc "opwait: nothing left to wait for" opwait 0
check "opwait: ... prints nothing" [ ! -s "$work/opwait.out" ]

# EjectNtmsMedia(3): the first cartridge of mag goes to its port; the operator takes it out.
mag_path=$(busctl --system call org.ntms.Ntms1 /org/ntms/Ntms1 org.ntms.Ntms1.Manager GetLibrary \
  s mag | sed -n 's/^o "\(.*\)"$/\1/p')
medium=$(busctl --system call org.ntms.Ntms1 "$mag_path" org.ntms.Ntms1.Library ListMedia |
  grep -o '"[0-9a-f-]\{36\}" "S00001L8"' | cut -d'"' -f2)
# The port element that holds this cartridge (the job picks an empty one).
port_holding() { "$sim" "$1" status | awk -v b="$2" '$1 == "ie" && $4 == b { print $2; f = 1 } END { exit !f }'; }
( wait_for 60 port_holding "$mag_state" S00001L8 &&
  "$sim" "$mag_state" remove "$(port_holding "$mag_state" S00001L8)" ) >/dev/null &
operator=$!
run eject "$medium"
wait $operator || true
expect_rc "eject: the operator took the cartridge out" eject 0
check "eject: ... and it says so" has_line "$work/eject.out" "eject: taken out"
run eject "$medium"
expect_rc "eject: a medium outside the library fails" eject 1
check "eject: ... with ERROR_LIBRARY_OFFLINE" has_text "$work/eject.err" "(error 4305)"

echo "1..$n"
[ $failed -eq 0 ]
