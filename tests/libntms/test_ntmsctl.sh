#!/bin/bash
# ntmsctl's commands, output and exit codes; --json read back with jq. Run inside private-bus.sh.
set -uo pipefail
ctl=$1 sim=$2
state=$NTMS_TEST_DIR/lab.state
fails=0
expect() { # expect WANTED-EXIT DESCRIPTION -- COMMAND...
  local want=$1 what=$2; shift 3
  out=$("$@" 2>"$NTMS_TEST_DIR/err"); local rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL: $what: exit $rc, expected $want; stderr: $(cat "$NTMS_TEST_DIR/err")" >&2; fails=$((fails+1))
  fi
}
check() { if ! eval "$2"; then echo "FAIL: $1" >&2; fails=$((fails+1)); fi; }

expect 0 libraries -- "$ctl" libraries
check "libraries lists lab" '[[ $out == *" lab "* ]]'
expect 0 "libraries --json" -- "$ctl" --json libraries
check "json has lab with 20 slots" '[ "$(jq -r ".[] | select(.name==\"lab\") | .slots" <<<"$out")" = 20 ]'
lab=$(jq -r '.[] | select(.name=="lab") | .id' <<<"$out")
expect 0 "library by name" -- "$ctl" --json library lab
check "library by name gives its GUID" '[ "$(jq -r .id <<<"$out")" = "$lab" ]'
expect 0 "library by GUID" -- "$ctl" library "$lab"
# drives: the virtual changer's two drives at elements 2 and 3, empty, with their DVCID identity.
expect 0 "drives of a library" -- "$ctl" --no-legend drives lab
check "drives lab: two rows, numbered 0 and 1, at elements 2 and 3, empty" \
  '[ "$(awk "{ print \$1, \$2, \$3, \$4, \$7 }" <<<"$out" | tr "\n" ";")" = "lab 0 2 empty VIRTUAL-DRIVE;lab 1 3 empty VIRTUAL-DRIVE;" ]'
expect 0 "drives --json" -- "$ctl" --json drives lab
check "drives --json: numbers, elements, serials ending in the drive number, no device yet" \
  '[ "$(jq -r "[.[] | \"\(.library) \(.number) \(.element) \(.state) \(.product) \(.serial[8:]) \(.device)\"] | join(\";\")" <<<"$out")" = "lab 0 2 empty VIRTUAL-DRIVE 01 ;lab 1 3 empty VIRTUAL-DRIVE 02 " ]'
expect 0 "drives of every library" -- "$ctl" --json drives
check "drives of every library include lab's and noport's" \
  '[ "$(jq "[.[] | select(.library==\"lab\" or .library==\"noport\")] | length" <<<"$out")" = 4 ]'
"$sim" "$state" place 3 CTLDRV1 >/dev/null
expect 0 "inventory after a cartridge was put in a drive" -- "$ctl" inventory lab --wait
expect 0 "drives after the inventory" -- "$ctl" --json drives lab
check "the second drive is loaded with CTLDRV1" \
  '[ "$(jq -r ".[1] | \"\(.state) \(.barcode)\"" <<<"$out")" = "loaded CTLDRV1" ]'
expect 5 "drives of an unknown library" -- "$ctl" drives nosuch
expect 2 "drives takes one library at most" -- "$ctl" drives lab noport
# An offline library says why, and when its device is tried again.
expect 0 "an offline library" -- "$ctl" library gone
check "an offline library: its reason and next retry under its line" \
  '[[ $(sed -n 2p <<<"$out") =~ ^\ +offline:\ .*/dev/sg-ntms-test-absent.*next\ retry\ at\ [0-9]{2}:[0-9]{2}:[0-9]{2}$ ]]'
expect 0 "an offline library --json" -- "$ctl" --json library gone
check "an offline library --json: online false, the reason as description" \
  '[ "$(jq -r .online <<<"$out")" = false ] && [[ $(jq -r .description <<<"$out") == "offline: "* ]]'
expect 5 "unknown library" -- "$ctl" library nosuch
expect 2 "usage" -- "$ctl" frobnicate
expect 2 "bad timeout" -- "$ctl" inject lab --timeout -1
expect 7 "no port" -- "$ctl" inject noport
expect 8 "library full" -- "$ctl" inject full
expect 5 "stop an unknown job" -- "$ctl" stop 00000000-0000-0000-0000-000000000001

# inject --wait follows the job to its end while the operator inserts a cartridge.
( sleep 1; "$sim" "$state" insert 100 CTL001L8 >/dev/null ) &
expect 0 "inject --wait" -- "$ctl" --json inject lab --timeout 20 --wait
wait
check "waited job passed with one medium" '[ "$(jq -r .state <<<"$out")" = PASSED ] && [ "$(jq -r .description <<<"$out")" = "media moved: 1" ]'
job=$(jq -r .id <<<"$out")
expect 0 "job" -- "$ctl" --json job "$job"
check "job shows PASSED" '[ "$(jq -r .state <<<"$out")" = PASSED ]'
expect 0 "jobs" -- "$ctl" --json jobs
check "jobs lists the job" '[ "$(jq -r ".[] | select(.id==\"$job\") | .state" <<<"$out")" = PASSED ]'

# inject without --wait prints the job; stop ends it STOPPED; retract on it then is invalid.
expect 0 "inject --many" -- "$ctl" --json inject lab --many
job=$(jq -r .job <<<"$out")
sleep 0.5
expect 0 "retract" -- "$ctl" retract "$job"
expect 0 "stop" -- "$ctl" stop "$job"
for _ in $(seq 50); do
  s=$("$ctl" --json job "$job" | jq -r .state); [ "$s" = STOPPED ] && break; sleep 0.1
done
check "stopped job" '[ "$s" = STOPPED ]'
expect 6 "stop a finished job" -- "$ctl" stop "$job"

# --wait with SIGINT and stdin not a terminal: ntmsctl stops the inject and exits "cancelled".
"$ctl" inject lab --wait </dev/null >"$NTMS_TEST_DIR/wait.out" 2>&1 &
pid=$!
sleep 1; kill -INT $pid; wait $pid; rc=$?
check "Ctrl-C stops the inject (exit 10, got $rc)" '[ $rc -eq 10 ] && grep -q STOPPED "$NTMS_TEST_DIR/wait.out"'

expect 0 requests -- "$ctl" --json requests
check "requests is a JSON array" '[ "$(jq -r type <<<"$out")" = array ]'
# Each inject above waited with its own insert request (NEWMEDIA); ntmsd ended every one.
check "insert requests were posted" \
  '[ "$(jq "[.[] | select(.type==\"NEWMEDIA\")] | length" <<<"$out")" -ge 3 ]'
check "no insert request is left open" \
  '[ "$(jq "[.[] | select(.type==\"NEWMEDIA\" and .state==\"SUBMITTED\")] | length" <<<"$out")" = 0 ]'
# satisfy of a waiting inject's request means "the cartridges are in": the port is checked now.
expect 0 "inject to satisfy" -- "$ctl" --json inject lab --timeout 300
job=$(jq -r .job <<<"$out")
req=
for _ in $(seq 100); do
  req=$("$ctl" --json requests |
    jq -r ".[] | select(.type==\"NEWMEDIA\" and .state==\"SUBMITTED\") | .id")
  [ -n "$req" ] && break; sleep 0.1
done
check "the waiting inject posted its insert request" '[ -n "$req" ]'
expect 0 "satisfy the insert request" -- "$ctl" satisfy "$req"
for _ in $(seq 100); do
  s=$("$ctl" --json job "$job" | jq -r .state); [ "$s" = PASSED ] && break; sleep 0.1
done
check "satisfy ended the wait: job PASSED" '[ "$s" = PASSED ]'
expect 6 "satisfy an answered request" -- "$ctl" satisfy "$req"
expect 5 "satisfy unknown" -- "$ctl" satisfy 00000000-0000-0000-0000-000000000001
expect 2 "cancel not a GUID" -- "$ctl" cancel nope

expect 3 "unreachable host" -- env PATH=/nonexistent "$ctl" --host nowhere.invalid libraries
# systemd's conventions: --output, a legend and colours only on a terminal, NO_COLOR, --no-pager.
expect 0 "--output=json" -- "$ctl" --output=json libraries
check "--output=json is --json" '[ "$(jq -r ".[] | select(.name==\"lab\") | .id" <<<"$out")" = "$lab" ]'
expect 0 "--output short" -- "$ctl" --json --output short libraries
check "--output=short is the table" 'grep -q "^$lab  lab " <<<"$out"'
expect 2 "--output=xml" -- "$ctl" --output=xml libraries
check "--output=xml names the choices" 'grep -q "short or json" "$NTMS_TEST_DIR/err"'
expect 0 "--no-pager" -- "$ctl" --no-pager jobs
esc=$'\033'
check "into a pipe: no legend, no colours" \
  '! "$ctl" libraries | grep -q -e "^ID " -e "listed\.$" -e "$esc"'
on_tty() { TERM=xterm script -qec "$(printf "%q " "$@")" /dev/null </dev/null | tr -d "\r"; }
out=$(on_tty "$ctl" libraries)
check "on a terminal: a legend and a count" \
  '[[ $(head -n 1 <<<"$out") == "ID "*" NAME "*" STATE "* ]] && grep -qx "5 libraries listed." <<<"$out"'
check "on a terminal: the state in colour" 'grep -q "${esc}\[32monline${esc}\[0m" <<<"$out"'
out=$(NO_COLOR=1 on_tty "$ctl" libraries)
check "on a terminal with NO_COLOR: no colours" '! grep -q "$esc" <<<"$out" && grep -q " online " <<<"$out"'
out=$(on_tty "$ctl" --no-legend libraries)
check "on a terminal with --no-legend: no legend" '! grep -q -e "^ID " -e "listed\.$" <<<"$out"'

# backup FILE: an online backup written by ntmsd into a file ntmsctl made, 0600, that replaces
# FILE whole; the rows are the live database's. A link at FILE, or a directory ntmsctl cannot
# write in, is refused with the reason, and nothing is left behind.
bk=$NTMS_TEST_DIR/backup.db
echo "old content" >"$bk"
expect 0 "backup" -- "$ctl" backup "$bk"
check "backup is a private regular file" '[ -f "$bk" ] && [ ! -L "$bk" ] && [ "$(stat -c %a "$bk")" = 600 ]'
check "no temporary is left beside it" '[ -z "$(ls "$NTMS_TEST_DIR" | grep "backup.db.ntmsctl-")" ]'
if command -v sqlite3 >/dev/null; then
  rows() { sqlite3 -readonly "$1" "SELECT guid, identity FROM libraries ORDER BY guid; SELECT guid, barcode, element FROM media ORDER BY guid; SELECT count(*) FROM jobs"; }
  check "backup passes integrity_check" '[ "$(sqlite3 -readonly "$bk" "PRAGMA integrity_check")" = ok ]'
  check "backup has the live database's rows" '[ -n "$(rows "$bk")" ] && [ "$(rows "$bk")" = "$(rows "$NTMS_TEST_DIR/ntmsd.db")" ]'
  check "backup knows the library lab" '[ "$(sqlite3 -readonly "$bk" "SELECT guid FROM libraries WHERE name = '"'"'lab'"'"'")" = "$lab" ]'
fi
ln -s "$bk" "$NTMS_TEST_DIR/link.db"
before=$(md5sum <"$bk")
expect 2 "backup onto a symbolic link" -- "$ctl" backup "$NTMS_TEST_DIR/link.db"
check "the link is named and left alone" 'grep -q "symbolic link" "$NTMS_TEST_DIR/err" && [ -L "$NTMS_TEST_DIR/link.db" ] && [ "$(md5sum <"$bk")" = "$before" ]'
expect 1 "backup into a missing directory" -- "$ctl" backup "$NTMS_TEST_DIR/absent/backup.db"
check "the reason is given" 'grep -q "No such file or directory" "$NTMS_TEST_DIR/err" && [ ! -e "$NTMS_TEST_DIR/absent" ]'
mkdir "$NTMS_TEST_DIR/ro" && chmod 0555 "$NTMS_TEST_DIR/ro"
if ! setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then :; else
  expect 1 "backup into a directory nobody may not write" -- setpriv --reuid=nobody --regid=nogroup --clear-groups "$ctl" backup "$NTMS_TEST_DIR/ro/backup.db"
  check "nothing was created there" '[ -z "$(ls -A "$NTMS_TEST_DIR/ro")" ]'
fi
expect 7 "backup over --host" -- "$ctl" --host nowhere.invalid backup "$bk"

# check-database: ntmsd checks its whole database; a sound one is "ok", exit 0.
expect 0 "check-database" -- "$ctl" check-database
check "check-database says ok" '[ "$out" = ok ]'
expect 0 "check-database --json" -- "$ctl" --json check-database
check "check-database --json: ok, no problems" '[ "$(jq -c . <<<"$out")" = '"'"'{"ok":true,"problems":[]}'"'"' ]'
expect 2 "check-database takes no argument" -- "$ctl" check-database lab
if setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
  expect 4 "check-database without the right" -- setpriv --reuid=nobody --regid=nogroup --clear-groups "$ctl" check-database
fi


# eject: the media's GUIDs from the library's ListMedia.
lab_path=$(busctl --system call org.ntms.Ntms1 /org/ntms/Ntms1 org.ntms.Ntms1.Manager GetLibrary \
  s lab | sed -n 's/^o "\(.*\)"$/\1/p')
medium_of() {
  busctl --system call org.ntms.Ntms1 "$lab_path" org.ntms.Ntms1.Library ListMedia |
    grep -o "\"[0-9a-f-]\{36\}\" \"$1\"" | cut -d'"' -f2
}
m1=$(medium_of S00001L8) m2=$(medium_of S00002L8) m3=$(medium_of S00003L8)

# mount and dismount: S00004L8 into the empty drive (the other holds CTLDRV1), then back home.
m4=$(medium_of S00004L8)
expect 2 "mount: a barcode is not a GUID" -- "$ctl" mount S00004L8
expect 2 "mount: --drive takes a GUID" -- "$ctl" mount "$m4" --drive 2
expect 0 "mount --wait" -- "$ctl" --json mount "$m4" --wait
drv=$(jq -r .drive <<<"$out")
expect 0 "drives after the mount" -- "$ctl" --json drives lab
check "mount: the first drive is in use with S00004L8, and is the drive printed" \
  '[ "$(jq -r ".[0] | \"\(.state) \(.barcode) \(.id)\"" <<<"$out")" = "inuse S00004L8 $drv" ]'
expect 0 "dismount" -- "$ctl" --json dismount "$m4"
check "dismount --json names the medium" '[ "$(jq -r .dismounted <<<"$out")" = "$m4" ]'
for _ in $(seq 100); do
  [ "$("$ctl" --json drives lab | jq -r ".[0].state")" = empty ] && break
  sleep 0.1
done
expect 0 "media after the dismount" -- "$ctl" --json media "$m4"
check "dismount: S00004L8 is back in slot 1003" \
  '[ "$(jq -r ".[0] | \"\(.state) \(.location)\"" <<<"$out")" = "in-library slot 1003" ]'
expect 2 "dismount takes one medium" -- "$ctl" dismount
# clean: the library holds no cleaning cartridge (CLN...): the job fails and says so; a drive
# that holds a cartridge is refused at once.
expect 2 "clean: a drive number is not a GUID" -- "$ctl" clean 0
expect 5 "clean: an unknown drive" -- "$ctl" clean 00000000-0000-0000-0000-000000000001
expect 7 "clean --wait without a cleaner" -- "$ctl" --json clean "$drv" --wait
check "clean --wait: FAILED, action CLEANDRIVE, no cleaner" \
  '[ "$(jq -r .state <<<"$out")" = FAILED ] && [ "$(jq -r .action <<<"$out")" = CLEANDRIVE ] && [[ $(jq -r .description <<<"$out") == *"no cleaning cartridge"* ]]'
loaded=$("$ctl" --json drives lab | jq -r ".[1].id")
expect 6 "clean: a drive that holds a cartridge" -- "$ctl" clean "$loaded"
check "eject: the media are listed" '[ ${#m1} = 36 ] && [ ${#m2} = 36 ] && [ ${#m3} = 36 ]'
expect 2 "eject: a barcode is not a GUID" -- "$ctl" eject S00001L8
expect 2 "eject: --queue and --force together" -- "$ctl" eject "$m1" --queue --force
expect 2 "eject --stop with a medium" -- "$ctl" eject "$m1" --stop "$m1"
expect 5 "eject: an unknown medium" -- "$ctl" eject 00000000-0000-0000-0000-000000000001
job_state() { "$ctl" --json job "$1" | jq -r .state; }
wait_state() { for _ in $(seq 100); do [ "$(job_state "$1")" = "$2" ] && return 0; sleep 0.1; done; return 1; }
port_full() { "$sim" "$state" status | grep -Eq "^ie +100 +full"; }
# --wait follows the eject until the operator has taken the cartridge out of port 100.
( for _ in $(seq 100); do port_full && break; sleep 0.1; done
  "$sim" "$state" remove 100 >/dev/null ) &
expect 0 "eject --wait" -- "$ctl" --json eject "$m1" --timeout 20 --wait
wait
check "eject --wait: PASSED, one cartridge, action EJECT" \
  '[ "$(jq -r .state <<<"$out")" = PASSED ] && [ "$(jq -r .action <<<"$out")" = EJECT ] && [ "$(jq -r .description <<<"$out")" = "media moved: 1" ]'
check "eject: the medium is listed gone" \
  'busctl --system call org.ntms.Ntms1 "$lab_path" org.ntms.Ntms1.Library ListMedia | grep -q "\"$m1\" \"S00001L8\" \"gone\" 0"'
expect 7 "eject: a medium outside the library" -- "$ctl" eject "$m1"
# Without --wait: the job's GUID; --stop brings the cartridge back and ends it STOPPED.
expect 0 "eject" -- "$ctl" --json eject "$m2" --timeout 300
job=$(jq -r .job <<<"$out")
check "eject: the job waits for the operator" 'wait_state "$job" WAITING'
expect 0 "eject --stop" -- "$ctl" eject --stop "$job"
check "eject --stop: STOPPED" 'wait_state "$job" STOPPED'
check "eject --stop: the cartridge is back" '! port_full'
expect 6 "eject --stop of a finished eject" -- "$ctl" eject --stop "$job"
# --queue: one medium per element of the single-cartridge port; eject alone ejects the queue,
# and stop JOB stops an eject as it stops an inject.
expect 0 "eject --queue" -- "$ctl" eject "$m2" --queue
expect 1 "eject --queue beyond the port's one element (ERROR_BUSY)" -- "$ctl" eject "$m3" --queue
expect 0 "eject the queue" -- "$ctl" --json eject --timeout 300
job=$(jq -r .job <<<"$out")
check "eject the queue: it waits" 'wait_state "$job" WAITING'
expect 0 "stop an eject" -- "$ctl" stop "$job"
check "stop an eject: STOPPED" 'wait_state "$job" STOPPED'

# bash completion: commands, options, and names and GUIDs asked of the daemon.
# inventory: a cartridge placed by hand and one taken out behind ntmsd's back; --wait follows the
# job, whose description says what changed, and the database then lists what the library holds.
"$sim" "$state" place 1015 HAND01L8 >/dev/null
expect 0 "inventory --wait" -- "$ctl" --json inventory lab --method fast --wait
check "inventory job passed and counted the new cartridge" \
  '[ "$(jq -r .state <<<"$out")" = PASSED ] && [[ $(jq -r .description <<<"$out") == *"inventory: 1 new, "* ]] && [ "$(jq -r .action <<<"$out")" = FAST ]'
expect 0 "inventory without --wait" -- "$ctl" --json inventory lab
check "inventory without --wait names the library and method" \
  '[ "$(jq -r .library <<<"$out")" = "$lab" ] && [ "$(jq -r .method <<<"$out")" = DEFAULT ]'
expect 2 "inventory: a bad method" -- "$ctl" inventory lab --method omid
expect 7 "inventory of an offline library" -- "$ctl" inventory gone
expect 5 "inventory of an unknown library" -- "$ctl" inventory nosuch
for _ in $(seq 50); do
  "$ctl" --json jobs | jq -e '[.[] | select(.action=="DEFAULT" and (.state=="QUEUED" or .state=="INPROCESS"))] | length == 0' >/dev/null && break
  sleep 0.1
done
expect 6 "inventory stop with none running" -- "$ctl" inventory lab --method stop

# door: none on lab (exit 7); on doorlab the operator opens and closes the door, having put a
# cartridge into a slot by hand, and --wait follows the job through the inventory.
expect 7 "door of a library without one" -- "$ctl" door lab
check "door without one says so" 'grep -q "error 4316" "$NTMS_TEST_DIR/err"'
expect 2 "door: a bad method" -- "$ctl" door doorlab --method stop
dstate=$NTMS_TEST_DIR/doorlab.state
( for _ in $(seq 100); do
    "$ctl" --json requests | jq -e '.[] | select(.type=="DEVICESERVICE" and .state=="SUBMITTED")' >/dev/null && break
    sleep 0.1
  done
  "$sim" "$dstate" open-door >/dev/null; sleep 1
  "$sim" "$dstate" place 1009 DOORC1L8 >/dev/null
  "$sim" "$dstate" close-door >/dev/null ) &
expect 0 "door --wait" -- "$ctl" --json door doorlab --method fast --wait
wait
check "door job passed and its inventory found the cartridge" \
  '[ "$(jq -r .state <<<"$out")" = PASSED ] && [[ $(jq -r .description <<<"$out") == *"inventory: 1 new, "* ]]'

completion=$(dirname "$0")/../../libntms/ntmsctl.bash-completion
complete_words() { # complete_words WORD...: COMPREPLY for the last word, sorted, one a line
  bash -c 'ntmsctl() { "$NTMSCTL" "$@"; }
    . "$1"; shift
    COMP_WORDS=(ntmsctl "$@"); COMP_CWORD=$#
    _ntmsctl; printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$completion" "$@"
}
export NTMSCTL=$ctl
out=$(complete_words "")
check "completion: the commands" '[ "$(tr "\n" " " <<<"$out")" = "backup cancel check-database clean dismount door drives eject inject inventory job jobs libraries library media metrics monitor mount requests retract satisfy stop " ]'
out=$(complete_words --no)
check "completion: options" '[ "$(tr "\n" " " <<<"$out")" = "--no-legend --no-pager " ]'
out=$(complete_words inject "")
check "completion: inject takes library names and GUIDs from the daemon" \
  'grep -qx lab <<<"$out" && grep -qx noport <<<"$out" && grep -qx "$lab" <<<"$out"'
out=$(complete_words --json library l)
check "completion: after options, a prefix of a name" '[ "$out" = lab ]'
out=$(complete_words inject lab --)
check "completion: inject's own options" 'grep -qx -- --many <<<"$out" && grep -qx -- --timeout <<<"$out"'
out=$(complete_words eject "$m2" --)
check "completion: eject's own options" 'grep -qx -- --queue <<<"$out" && grep -qx -- --stop <<<"$out" && grep -qx -- --wait <<<"$out"'
out=$(complete_words job "")
check "completion: job takes the daemon's job GUIDs" \
  '[ -n "$out" ] && [ "$(wc -l <<<"$out")" = "$("$ctl" --json jobs | jq length)" ]'
running=$("$ctl" --json inject lab --timeout 300 | jq -r .job)
out=$(complete_words stop "")
check "completion: stop offers only the jobs that can be stopped" '[ "$out" = "$running" ]'
"$ctl" stop "$running" >/dev/null 2>&1
out=$(complete_words inventory lab --)
check "completion: inventory's own options" 'grep -qx -- --method <<<"$out" && grep -qx -- --wait <<<"$out"'
out=$(complete_words inventory lab --method "")
check "completion: --method's values" '[ "$(tr "\n" " " <<<"$out")" = "default fast stop " ]'
out=$(complete_words door doorlab --method "")
check "completion: door's --method values" '[ "$(tr "\n" " " <<<"$out")" = "default fast none " ]'
out=$(complete_words --output "")
check "completion: --output's values" '[ "$(tr "\n" " " <<<"$out")" = "json short " ]'

# media: every medium once, with its library, state and location: a cartridge loaded in drive 2
# behind ntmsd's back (found by an inventory), one the operator put into port 100, one placed in
# slot 1015 above, and S00001L8, ejected above, outside.
check "the stopped inject has ended" 'wait_state "$running" STOPPED'
"$sim" "$state" place 2 DRV001L8 >/dev/null
expect 0 "inventory before media" -- "$ctl" --json inventory lab --method fast --wait
"$sim" "$state" insert 100 PRT001L8 >/dev/null
location_of() { jq -r ".[] | select(.barcode==\"$1\") | .location" <<<"$out"; }
for _ in $(seq 100); do
  out=$("$ctl" --json media); [ "$(location_of PRT001L8)" = "port 100" ] && break; sleep 0.1
done
expect 0 "media --json" -- "$ctl" --json media
check "media: the cartridge in the drive is in drive 2" '[ "$(location_of DRV001L8)" = "drive 2" ]'
check "media: the cartridge in the port is in port 100, in-port" \
  '[ "$(location_of PRT001L8)" = "port 100" ] && [ "$(jq -r ".[] | select(.barcode==\"PRT001L8\") | .state" <<<"$out")" = in-port ]'
check "media: the placed cartridge is in slot 1015 of lab" \
  '[ "$(location_of HAND01L8)" = "slot 1015" ] && [ "$(jq -r ".[] | select(.barcode==\"HAND01L8\") | .library" <<<"$out")" = lab ]'
check "media: the ejected cartridge is outside, gone" \
  '[ "$(jq -r ".[] | select(.id==\"$m1\") | .location + \" \" + .state" <<<"$out")" = "outside gone" ]'
check "media: each medium once" '[ "$(jq "[.[].id] | length" <<<"$out")" = "$(jq "[.[].id] | unique | length" <<<"$out")" ]'
check "media: doorlab's cartridges too" '[ "$(jq "[.[] | select(.library==\"doorlab\")] | length" <<<"$out")" = 3 ]'
all=$out
expect 0 "media of lab" -- "$ctl" --json media lab
check "media lab: only lab's media in the library, as many as the full list has" \
  '[ "$(jq "[.[] | select(.library!=\"lab\")] | length" <<<"$out")" = 0 ] && [ "$(jq length <<<"$out")" = "$(jq "[.[] | select(.library==\"lab\")] | length" <<<"$all")" ]'
expect 0 "media --barcode" -- "$ctl" --json media --barcode DRV001L8
check "media --barcode: the one medium" '[ "$(jq length <<<"$out")" = 1 ] && [ "$(jq -r ".[0].location" <<<"$out")" = "drive 2" ]'
drv=$(jq -r ".[0].id" <<<"$out")
expect 0 "media GUID" -- "$ctl" --json media "$drv"
check "media GUID: that medium" '[ "$(jq -r ".[0].barcode" <<<"$out")" = DRV001L8 ] && [ "$(jq length <<<"$out")" = 1 ]'
expect 0 "media into a pipe" -- "$ctl" media
check "media into a pipe: one line each, with its location" \
  '[ "$(wc -l <<<"$out")" = "$(jq length <<<"$all")" ] && grep -Eq "^lab +DRV001L8 +$drv +in-library +drive 2$" <<<"$out"'
expect 5 "media --barcode unknown" -- "$ctl" media --barcode NOSUCH
check "media --barcode unknown: the code in words" 'grep -q "barcode NOSUCH: .*(error 4312)" "$NTMS_TEST_DIR/err"'
expect 5 "media of an unknown medium" -- "$ctl" media 00000000-0000-0000-0000-000000000001
expect 5 "media of an unknown library" -- "$ctl" media nosuch
expect 2 "media with two arguments" -- "$ctl" media lab doorlab
out=$(complete_words media --)
check "completion: media's own option" 'grep -qx -- --barcode <<<"$out"'
out=$(complete_words media --barcode DRV)
check "completion: --barcode's values" '[ "$out" = DRV001L8 ]'
out=$(complete_words eject "")
check "completion: eject offers the media in a library" 'grep -qx "$drv" <<<"$out" && ! grep -qx "$m1" <<<"$out"'

[ $fails -eq 0 ] || { echo "$fails checks failed" >&2; exit 1; }
