# shellcheck shell=bash
# The system test's drive checks, sourced by guest-test.sh (its helpers, variables and the library
# it found are used here). tgt's changer has two drives, bound to the tape LUs 1 and 3 of the same
# target; the kernel's st driver makes a /dev/nstN for each. Each check_NAME prints its
# diagnostics and returns 0 when it passed.
# wait_for evaluates its condition each time round: single quotes on purpose.
# shellcheck disable=SC2016

DRIVE_IF=org.ntms.Ntms1.Drive

drive_prop() { prop "$1" "$DRIVE_IF" "$2"; }

# The object path of the library's drive number $1 (Drive.Number, mtx's drive index).
drive_path() {
  local p
  for p in $(prop "$LIBPATH" "$LIBRARY_IF" DrivePaths | jq -r '.[]'); do
    [ "$(drive_prop "$p" Number)" = "$1" ] && { echo "$p"; return 0; }
  done
  return 1
}

# The unit serial number the kernel read from tape device $1 (nstN): VPD page 0x80 in sysfs, its
# text after the 4-byte header, spaces trimmed.
tape_serial() {
  local page=/sys/class/scsi_tape/$1/device/vpd_pg80
  [ -r "$page" ] || return 1
  tail -c +5 "$page" | tr -d '\0' | sed 's/^ *//; s/ *$//'
}

# The no-rewind node (nstN) whose unit serial number is $1; nothing when none has it.
tape_with_serial() {
  local d n
  for d in /sys/class/scsi_tape/nst*; do
    n=${d##*/}
    [[ $n =~ ^nst[0-9]+$ ]] || continue
    [ "$(tape_serial "$n")" = "$1" ] && { echo "$n"; return 0; }
  done
  return 1
}

tape_list() {
  local d n
  for d in /sys/class/scsi_tape/nst*; do
    n=${d##*/}
    [[ $n =~ ^nst[0-9]+$ ]] && echo "  /dev/$n serial '$(tape_serial "$n")'"
  done
}

# Each drive's Device is the tape device with its serial (tgt's default unit serial of tid 1 LUN 1
# is beaf11), DeviceById a /dev/tape/by-id link to it, `ntmsctl drives` shows it; the tape LU's
# SCSI device deleted (hot-unplug) clears the drive's Device, and an iSCSI rescan brings it back.
check_tape_devices() {
  need_library || return 1
  local d0 d1 node link serial1 want1 sdev
  udevadm settle
  wait_for 30 'node=$(tape_with_serial beaf11)' ||
    { note "no tape device has the serial beaf11:"; tape_list; return 1; }
  note "tape devices:"; tape_list
  d0=$(drive_path 0) && d1=$(drive_path 1) ||
    { note "the library has no drives 0 and 1: $(prop "$LIBPATH" "$LIBRARY_IF" DrivePaths)"; return 1; }
  note "drive 0: serial '$(drive_prop "$d0" Serial)'; drive 1: serial '$(drive_prop "$d1" Serial)'"
  wait_for 10 '[ "$(drive_prop "$d0" Device)" = "/dev/$node" ]' ||
    { note "drive 0's Device is '$(drive_prop "$d0" Device)', expected /dev/$node"; return 1; }
  link=$(drive_prop "$d0" DeviceById)
  note "drive 0: Device /dev/$node, DeviceById $link"
  [[ $link == /dev/tape/by-id/* ]] && [ "$(realpath "$link")" = "/dev/$node" ] ||
    { note "DeviceById '$link' does not lead to /dev/$node"; return 1; }
  # tgt cuts the identifier of the last drive of a reply short: without a serial there is no
  # match. Should it report the serial whole, the drive has the device with that serial.
  serial1=$(drive_prop "$d1" Serial)
  want1=
  [ -z "$serial1" ] || want1=/dev/$(tape_with_serial "$serial1")
  [ "$(drive_prop "$d1" Device)" = "$want1" ] ||
    { note "drive 1 (serial '$serial1') has Device '$(drive_prop "$d1" Device)', expected '$want1'"; return 1; }
  ntmsctl drives "$LIB" | sed 's/^/  /'
  ntmsctl drives "$LIB" | awk -v d="/dev/$node" '$2 == 0 && $NF == d { found = 1 } END { exit !found }' ||
    { note "ntmsctl drives does not show /dev/$node for drive 0"; return 1; }

  # Hot-unplug of the tape LU's SCSI device, then a rescan of the iSCSI session.
  sdev=$(realpath "/sys/class/scsi_tape/$node/device")
  echo 1 >"$sdev/delete" || { note "cannot delete $sdev"; return 1; }
  wait_for 15 '[ -z "$(drive_prop "$d0" Device)" ]' ||
    { note "drive 0 still names '$(drive_prop "$d0" Device)' after its device was deleted"; return 1; }
  note "device deleted: drive 0's Device is empty"
  iscsiadm -m session --rescan >/dev/null || { note "iscsiadm --rescan failed"; return 1; }
  udevadm settle
  wait_for 30 'node=$(tape_with_serial beaf11) && [ "$(drive_prop "$d0" Device)" = "/dev/$node" ]' ||
    { note "after the rescan drive 0's Device is '$(drive_prop "$d0" Device)'"; tape_list; return 1; }
  note "rescanned: drive 0's Device is /dev/$node again"
  [ "$(lib_prop State)" = online ] || { note "the library is $(lib_prop State)"; return 1; }
}
