#!/bin/bash
# ntms-changer's slots, list, listall and loaded against the real ntmsd on a private bus (run
# inside tests/libntms/private-bus.sh), each compared with the exact text expected for a simulated
# library, and with what the mtx-changer scripts' rules make of the same changer read without
# ntmsd (mtx_model.py); the changer named by name, GUID and device string; and every refusal with
# its exit status and message. load and unload reach ntmsd only in test_changer_mount.sh.
#   test_changer.sh NTMS-CHANGER NTMSCTL NTMS-SIM MTX-MODEL
set -uo pipefail
changer=$1 ctl=$2 sim=$3 model=$4
state=$NTMS_TEST_DIR/lab.state
err=$NTMS_TEST_DIR/err
fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; fails=$((fails + 1)); }

# run WANTED-EXIT DESCRIPTION ARGS...: ntms-changer's stdout in $out, its stderr in $err.
run() {
  local want=$1 what=$2; shift 2
  out=$("$changer" "$@" 2>"$err"); local rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$what: exit $rc"; else
    not_ok "$what: exit $rc, expected $want; stderr: $(cat "$err")"; fi
}
same() { # same DESCRIPTION EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then ok "$1"; else
    not_ok "$1"; diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/# /'; fi
}
matches() { # matches DESCRIPTION REGEX TEXT
  if [[ $3 =~ $2 ]]; then ok "$1"; else not_ok "$1: '$3' does not match '$2'"; fi
}

# The library: slots 1000..1005 (mtx slots 1..6), ports 100 and 101 (slots 7 and 8), drives at
# elements 2 and 3 (drives 0 and 1). Slot 2 and 5 stay empty, slot 6 holds an unlabelled
# cartridge, the second port a labelled one, the second drive DRV001L8.
for spec in "1000 S00001L8" "1002 S00003L8" "1003 S00004L8" "1005" "101 PORT01L8" "3 DRV001L8"; do
  # shellcheck disable=SC2086
  "$sim" "$state" place $spec >/dev/null || not_ok "ntms-sim place $spec"
done
"$ctl" inventory lab --wait >/dev/null 2>"$err" || not_ok "inventory: $(cat "$err")"

run 0 "slots" lab slots
same "slots counts storage and import/export slots" "8" "$out"

run 0 "list" lab list /dev/nst0 0
same "list: full storage slots, then the drive under its home slot" "1:S00001L8
3:S00003L8
4:S00004L8
6:
2:DRV001L8" "$out"

run 0 "listall" lab listall
listall=$out
same "listall: drives, slots, ports as I:" "D:0:E
D:1:F:2:DRV001L8
S:1:F:S00001L8
S:2:E
S:3:F:S00003L8
S:4:F:S00004L8
S:5:E
S:6:F:
I:7:E
I:8:F:PORT01L8" "$out"

run 0 "listall --bareos" --bareos lab listall
same "listall --bareos: ports as S:, no empty barcode field" "D:0:E
D:1:F:2:DRV001L8
S:1:F:S00001L8
S:2:E
S:3:F:S00003L8
S:4:F:S00004L8
S:5:E
S:6:F
S:7:E
S:8:F:PORT01L8" "$out"

run 0 "loaded, empty drive" lab loaded 0 /dev/nst0 0
same "loaded prints 0 for an empty drive" "0" "$out"
run 0 "loaded, full drive" lab loaded 0 /dev/nst1 1
same "loaded prints the full drive's home slot" "2" "$out"

# The scripts' rules applied to the simulator's own element list give the same text.
status=$("$sim" "$state" status)
for cmd in "bacula slots" "bacula list" "bacula listall" "bareos listall" "bacula loaded 0" \
           "bacula loaded 1"; do
  # shellcheck disable=SC2086
  set -- $cmd
  flag=() ; [ "$1" = bareos ] && flag=(--bareos)
  want=$("$model" "$@" <<<"$status")
  if [ "$2" = loaded ]; then run 0 "$cmd (model)" lab loaded 0 /dev/nst0 "$3"
  else run 0 "$cmd (model)" "${flag[@]}" lab "$2"; fi
  same "$cmd agrees with the mtx-changer script's rules" "$want" "$out"
done

# The changer by GUID and by device string: the same answer.
lab_path=$(busctl --system call org.ntms.Ntms1 /org/ntms/Ntms1 org.ntms.Ntms1.Manager \
  GetLibrary s lab | cut -d'"' -f2)
id=$(busctl --system get-property org.ntms.Ntms1 "$lab_path" org.ntms.Ntms1.Library Id | cut -d'"' -f2)
device=$(busctl --system get-property org.ntms.Ntms1 "$lab_path" org.ntms.Ntms1.Library Device |
  cut -d'"' -f2)
run 0 "listall by GUID" "$id" listall
same "the GUID names the same library" "$listall" "$out"
run 0 "listall by device string" "$device" listall
same "the device string names the same library" "$listall" "$out"

# Refusals: nothing printed on stdout, one line on stderr, the documented status.
run 5 "unknown changer" nosuch list
matches "unknown changer: the RSM error named" \
  '^ntms-changer: nosuch: ERROR_OBJECT_NOT_FOUND \(4312\): ' "$(cat "$err")"
same "unknown changer: nothing on stdout" "" "$out"
run 7 "offline library" gone slots
matches "offline library: ERROR_LIBRARY_OFFLINE and the reason" \
  '^ntms-changer: gone: ERROR_LIBRARY_OFFLINE \(4305\): .*sg-ntms-test-absent' "$(cat "$err")"
out=$(DBUS_SYSTEM_BUS_ADDRESS=unix:path=$NTMS_TEST_DIR/no.socket "$changer" lab slots 2>"$err")
same "no bus at the address: exit 3" 3 "$?"
matches "no bus: ERROR_NOT_CONNECTED" '^ntms-changer: .*ERROR_NOT_CONNECTED \(2250\)' "$(cat "$err")"
run 1 "unknown command" lab frobnicate 1 /dev/nst0 0
matches "unknown command: named, then the usage" "unknown command 'frobnicate'.*usage: ntms-changer" \
  "$(tr '\n' ' ' <"$err")"
run 1 "one argument" lab
matches "one argument: usage" "usage: ntms-changer" "$(cat "$err")"
run 1 "loaded needs five arguments" lab loaded 0
matches "too few arguments: what the command expects" "loaded expects 5 arguments, 3 given" \
  "$(cat "$err")"
run 1 "a drive index that is no number" lab loaded 0 /dev/nst0 x
run 5 "loaded, no such drive" lab loaded 0 /dev/nst0 2
matches "no such drive: the numbering told" "drive 2: ERROR_OBJECT_NOT_FOUND \(4312\): the library has 2 drives" \
  "$(cat "$err")"
run 1 "transfer needs a destination" lab transfer 1
run 1 "transfer to a slot that is no number" lab transfer 1 x
run 2 "transfer within one slot" lab transfer 1 1
matches "transfer within one slot: ERROR_INVALID_PARAMETER" \
  "^ntms-changer: lab: transfer slot 1 to slot 1: ERROR_INVALID_PARAMETER \(87\): the same slot" \
  "$(cat "$err")"
run 5 "transfer to a slot the library has not" lab transfer 1 999

# USE access: nobody is refused, nobody in group tape (USE by default) reads the same lines.
if setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
  out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$changer" lab listall 2>"$err")
  rc=$?
  same "nobody: exit 4 (access denied)" 4 "$rc"
  matches "nobody: ERROR_ACCESS_DENIED" '^ntms-changer: lab: ERROR_ACCESS_DENIED \(5\)' "$(cat "$err")"
  out=$(setpriv --reuid=nobody --regid=nogroup --groups=tape "$changer" lab listall 2>"$err")
  same "nobody in group tape: the same listall" "$listall" "$out"
else
  ok "# SKIP access checks need root to become nobody"
fi

# load and unload refuse what mtx refuses before ntmsd is asked to move anything.
run 6 "load from an empty slot" lab load 2 /dev/nst0 0
matches "load, empty slot: ERROR_EMPTY" "load slot 2 into drive 0: ERROR_EMPTY \(4306\)" "$(cat "$err")"
run 6 "load into a full drive" lab load 1 /dev/nst1 1
matches "load, full drive: ERROR_NOT_EMPTY" "ERROR_NOT_EMPTY \(4307\): the drive is full" "$(cat "$err")"
run 5 "load from slot 9 of 8" lab load 9 /dev/nst0 0
run 5 "load from slot 0" lab load 0 /dev/nst0 0
run 6 "unload an empty drive" lab unload 2 /dev/nst0 0
run 6 "unload into a full slot" lab unload 1 /dev/nst1 1
run 2 "unload into a port" lab unload 7 /dev/nst1 1
run 5 "unload into slot 9 of 8" lab unload 9 /dev/nst1 1
# Nothing moved.
run 0 "listall after the refusals" lab listall
same "the refusals changed nothing" "$listall" "$out"

run 0 "--version" --version
matches "--version" '^ntms-changer [0-9]' "$out"

echo "1..$n"
[ "$fails" -eq 0 ]
