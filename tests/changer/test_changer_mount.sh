#!/bin/bash
# ntms-changer load and unload through Manager.MountMedia and Manager.DismountMedia, against the
# real ntmsd on a private bus (run inside tests/libntms/private-bus.sh, with the library below).
# Registered in tests/changer/meson.build (ntms-changer-mount).
#
#   test_changer_mount.sh NTMS-CHANGER NTMSCTL NTMS-SIM MTX-MODEL
set -uo pipefail
changer=$1 ctl=$2 sim=$3 model=$4
state=$NTMS_TEST_DIR/lab.state
err=$NTMS_TEST_DIR/err
# Tape devices that do not exist: the wait after a load for the drive to be online is skipped.
dev0=$NTMS_TEST_DIR/nst0 dev1=$NTMS_TEST_DIR/nst1
fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; fails=$((fails + 1)); }
run() {
  local want=$1 what=$2; shift 2
  out=$("$changer" "$@" 2>"$err"); local rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$what: exit $rc"; else
    not_ok "$what: exit $rc, expected $want; stderr: $(cat "$err")"; fi
}
run_failing() { # a non-zero exit, whichever
  local what=$1; shift
  out=$("$changer" "$@" 2>"$err"); local rc=$?
  if [ "$rc" -ne 0 ]; then ok "$what: exit $rc"; else not_ok "$what: exit 0"; fi
}
same() {
  if [ "$2" = "$3" ]; then ok "$1"; else
    not_ok "$1"; diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/# /'; fi
}
matches() {
  if [[ $3 =~ $2 ]]; then ok "$1"; else not_ok "$1: '$3' does not match '$2'"; fi
}
drive_prop() { # drive_prop NUMBER PROPERTY: a property of the library's drive NUMBER
  local lib p
  lib=$(busctl --system call org.ntms.Ntms1 /org/ntms/Ntms1 org.ntms.Ntms1.Manager GetLibrary s lab |
    cut -d'"' -f2)
  for p in $(busctl --system get-property org.ntms.Ntms1 "$lib" org.ntms.Ntms1.Library DrivePaths |
    cut -d' ' -f3-); do
    p=${p//\"/}
    if [ "$(busctl --system get-property org.ntms.Ntms1 "$p" org.ntms.Ntms1.Drive Number)" = "u $1" ]; then
      busctl --system get-property org.ntms.Ntms1 "$p" org.ntms.Ntms1.Drive "$2" | cut -d' ' -f2-
    fi
  done
}
agrees_with_model() { # ntmsd's view through ntms-changer equals the simulator's through the model
  local want
  want=$("$model" bacula listall <<<"$("$sim" "$state" status)")
  run 0 "listall ($1)" lab listall
  same "listall agrees with the changer itself ($1)" "$want" "$out"
}

# Slots 1..4 hold S00001L8..S00004L8, slots 5 and 6 and the port (slot 7) are empty.
run 0 "load slot 4 into drive 0" lab load 4 "$dev0" 0
same "load prints nothing" "" "$out"
matches "drive 0 holds S00004L8" '"S00004L8"' "$(drive_prop 0 Barcode)"
run 0 "loaded after the load" lab loaded 4 "$dev0" 0
same "loaded reports slot 4, where the cartridge came from" "4" "$out"
run 0 "listall after the load" lab listall
same "listall: drive 0 full from slot 4, slot 4 empty" "D:0:F:4:S00004L8
D:1:E
S:1:F:S00001L8
S:2:F:S00002L8
S:3:F:S00003L8
S:4:E
S:5:E
S:6:E
I:7:E" "$out"
run 0 "list after the load" lab list
same "list: the cartridge under slot 4, after the slots" "1:S00001L8
2:S00002L8
3:S00003L8
4:S00004L8" "$out"
agrees_with_model "one drive loaded"

run 6 "load into the full drive" lab load 1 "$dev0" 0
run 0 "unload drive 0 into slot 4" lab unload 4 "$dev0" 0
matches "drive 0 is empty again" '"empty"' "$(drive_prop 0 State)"
run 0 "loaded after the unload" lab loaded 0 "$dev0" 0
same "loaded prints 0" "0" "$out"
agrees_with_model "after the unload"

# unload into another slot than the home, then slot 0: ntmsd chooses (the home, else any).
run 0 "load slot 2 into drive 1" lab load 2 "$dev1" 1
run 0 "unload drive 1 into slot 6" lab unload 6 "$dev1" 1
run 0 "listall after the unload into slot 6" lab listall
matches "S00002L8 is in slot 6, slot 2 is empty" 'S:2:E.*S:6:F:S00002L8' "$(tr '\n' ' ' <<<"$out")"
run 0 "load slot 6 into drive 1" lab load 6 "$dev1" 1
run 0 "unload drive 1 with slot 0" lab unload 0 "$dev1" 1
run 0 "listall after unload 0" lab listall
matches "slot 0: ntmsd put it back where it came from" 'S:6:F:S00002L8' "$(tr '\n' ' ' <<<"$out")"
agrees_with_model "after unload 0"

# Two drives loaded from slots in descending order: each reports the slot its cartridge came
# from (Drive.HomeSlot), not the lowest empty slots (which would be 2 and 4).
run 0 "load slot 4 into drive 0" lab load 4 "$dev0" 0
run 0 "load slot 3 into drive 1" lab load 3 "$dev1" 1
same "drive 0's HomeSlot is slot 4's element" "1003" "$(drive_prop 0 HomeSlot)"
same "drive 1's HomeSlot is slot 3's element" "1002" "$(drive_prop 1 HomeSlot)"
run 0 "loaded, drive 0" lab loaded 0 "$dev0" 0
same "drive 0 was loaded from slot 4" "4" "$out"
run 0 "loaded, drive 1" lab loaded 0 "$dev1" 1
same "drive 1 was loaded from slot 3" "3" "$out"
run 0 "list with two drives loaded in descending order" lab list
same "list: each cartridge under its own slot" "1:S00001L8
6:S00002L8
4:S00004L8
3:S00003L8" "$out"
run 0 "listall with two drives loaded in descending order" lab listall
same "listall: each drive with the slot it was loaded from" "D:0:F:4:S00004L8
D:1:F:3:S00003L8
S:1:F:S00001L8
S:2:E
S:3:E
S:4:E
S:5:E
S:6:F:S00002L8
I:7:E" "$out"
agrees_with_model "two drives loaded in descending order"
run 0 "unload drive 0 with slot 0" lab unload 0 "$dev0" 0
run 0 "unload drive 1 into the slot loaded reported" lab unload 3 "$dev1" 1
run 0 "listall after both unloads" lab listall
matches "both cartridges are back in their slots" 'S:3:F:S00003L8 S:4:F:S00004L8' \
  "$(tr '\n' ' ' <<<"$out")"

# transfer: Manager.MoveMedia between storage slots, queued as a job like load and unload.
run 0 "transfer slot 1 to slot 5" lab transfer 1 5
same "transfer prints nothing" "" "$out"
run 0 "listall after the transfer" lab listall
matches "S00001L8 is in slot 5, slot 1 is empty" 'S:1:E .*S:5:F:S00001L8' "$(tr '\n' ' ' <<<"$out")"
agrees_with_model "after a transfer"
matches "ntmsctl jobs shows the passed move job" ' MOVE +PASSED' "$("$ctl" jobs 2>/dev/null)"
run 6 "transfer from an empty slot" lab transfer 1 2
matches "empty source: ERROR_EMPTY" 'transfer slot 1 to slot 2: ERROR_EMPTY \(4306\)' "$(cat "$err")"
run 6 "transfer into a full slot" lab transfer 5 3
matches "full destination: ERROR_NOT_EMPTY" 'ERROR_NOT_EMPTY \(4307\)' "$(cat "$err")"
run 2 "transfer into the import/export slot" lab transfer 5 7
matches "the port is refused with a pointer to inject and eject" 'import/export slot.*eject' \
  "$(cat "$err")"
run 0 "loaded from the transferred slot" lab load 5 "$dev0" 0
run 6 "transfer of a slot whose cartridge is in a drive" lab transfer 5 1
run 0 "unload it back to slot 5" lab unload 5 "$dev0" 0
run 0 "transfer slot 5 back to slot 1" lab transfer 5 1
agrees_with_model "after the transfer back"

# A job that fails at the library: a cartridge put into drive 1 behind ntmsd's back makes the
# move fail; the RSM error is named on one line and the exit status is not 0.
"$sim" "$state" place 3 GHOST1L8 >/dev/null
run_failing "load into a drive that is full behind ntmsd's back" lab load 1 "$dev1" 1
matches "the job's RSM error on one line" \
  '^ntms-changer: lab: load slot 1 into drive 1: ERROR_[A-Z_]+ \([0-9]+\)' "$(cat "$err")"
same "one line on stderr" 1 "$(wc -l <"$err")"
"$ctl" inventory lab --wait >/dev/null 2>&1
agrees_with_model "after the failed load and an inventory"

echo "1..$n"
[ "$fails" -eq 0 ]
