#!/bin/bash
# The system test's checks, run INSIDE the QEMU guest (Debian 12, systemd as PID 1) by the
# image's ntms-vm.service from the test disk the host attached (mounted at /run/ntms-vm/disk):
#
#   root/        the project as `meson install --destdir` left it
#   bin/         ntms-vm-inject and rsm_client, C clients built on the host against root/'s libntms
#   guest-test.sh, guest-checks-*.sh (sourced: the checks of faults, media and drives)
#
# Each check ends in one line "NTMS-VM ok N - what" or "NTMS-VM not ok N - what", followed on
# failure by diagnostic lines "NTMS-VM # ...". The lines go to ttyS1, the report channel the host
# turns into TAP, and to the console (ttyS0) for people reading the boot log. The first line is
# "NTMS-VM plan N", the last "NTMS-VM done".
#
#   guest-test.sh --mode test    every check, then the unit powers the guest off
#   guest-test.sh --mode shell   install the project and bring up the changer, then leave the
#                                console to a person (run-vm-test.sh --shell)
#
# Everything is done the way an administrator would: systemctl, busctl, journalctl, ntmsctl, mtx,
# tgtadm for the operator at the library's mail slot, iscsiadm for the cable.
set -uo pipefail
# wait_for evaluates its condition each time round: single quotes on purpose.
# shellcheck disable=SC2016
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8 SYSTEMD_PAGER='' SYSTEMD_COLORS=0

DISK=/run/ntms-vm/disk
WORK=/run/ntms-vm/work
mode='test'
[ "${1:-}" = --mode ] && mode=${2:-test}

# The library tgt emulates: MT 1 | DT 2-3 | IE 100-103 | ST 1000-1011, two slots filled; the
# drives are the tape LUs 1 and 3.
TGT_CN=7
TGT_PORTAL=127.0.0.1:3260
IQN=iqn.2025-01.org.ntms:vm-library
LUN=2
LUN2=3 # the second drive's tape LU; the first is LUN 1
SLOTS=12
IE=4
IE_FIRST=100
ST_FIRST=1000
FILL=2

BUS=org.ntms.Ntms1
ROOT=/org/ntms/Ntms1
MANAGER=org.ntms.Ntms1.Manager
LIBRARY_IF=org.ntms.Ntms1.Library
JOB_IF=org.ntms.Ntms1.Job
OPREQUEST_ID=3bde3ec0b22048f4bb6e69d68cec059e
INSERT_ID=01b984393b154aa88a35618cee0fc4fb
# shellcheck disable=SC2034 # check_journal (guest-checks-life.sh) reads it
JOB_END_ID=fc4187bee1514ca8953865f96f4536b2

SG=        # the changer's sg node
LIB=       # its library GUID and object path in ntmsd
LIBPATH=

say() { echo "NTMS-VM $*" >&3; echo "NTMS-VM $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
note() { echo "$*"; } # into the running check's diagnostics

# ---------------------------------------------------------------------------------------------
# tgt: the library, and the operator at its mail slot

tgt() { tgtadm -C "$TGT_CN" --lld iscsi "$@"; }
tgt_element() { tgt --mode logicalunit --op update --tid 1 --lun "$LUN" --params "$1"; }
operator_insert() { tgt_element "element_type=3,address=$1,barcode=$2"; }
operator_remove() { tgt_element "element_type=3,address=$1,clear_slot=1"; }

start_tgt() {
  local store=/var/lib/ntms-vm i
  mkdir -p "$store"
  dd if=/dev/zero of="$store/smc" bs=1k count=1 status=none
  for i in 1 2; do
    tgtimg --op new --device-type tape --barcode "DRV$i" --size 1 --type data \
      --file "$store/drive$i" >/dev/null || return 1
  done
  # A transient unit: systemd keeps its log and stops it (tgtd ignores SIGTERM) at power-off.
  systemd-run --quiet --unit=ntms-vm-tgtd -p KillSignal=SIGKILL -p TimeoutStopSec=2 \
    /usr/sbin/tgtd -f -C "$TGT_CN" --iscsi portal="$TGT_PORTAL" || return 1
  for i in $(seq 100); do
    tgtadm -C "$TGT_CN" --op show --mode sys >/dev/null 2>&1 && break
    sleep 0.1
  done
  tgt --op new --mode target --tid 1 -T "$IQN" &&
    tgt --op new --mode logicalunit --tid 1 --lun 1 -b "$store/drive1" --device-type=tape &&
    tgt --op update --mode logicalunit --tid 1 --lun 1 --params online=0 &&
    tgt --op new --mode logicalunit --tid 1 --lun "$LUN" -b "$store/smc" --device-type=changer &&
    tgt --op new --mode logicalunit --tid 1 --lun "$LUN2" -b "$store/drive2" --device-type=tape &&
    tgt --op update --mode logicalunit --tid 1 --lun "$LUN2" --params online=0 &&
    tgt_element "media_home=$store" &&
    tgt_element "element_type=1,start_address=1,quantity=1" &&
    tgt_element "element_type=4,start_address=2,quantity=2" &&
    tgt_element "element_type=4,address=2,tid=1,lun=1" &&
    tgt_element "element_type=4,address=3,tid=1,lun=$LUN2" &&
    tgt_element "element_type=3,start_address=$IE_FIRST,quantity=$IE" &&
    tgt_element "element_type=2,start_address=$ST_FIRST,quantity=$SLOTS" || return 1
  for i in $(seq 1 "$FILL"); do
    tgt_element "element_type=2,address=$((ST_FIRST + i - 1)),barcode=$(printf 'VMS%03dL8' "$i"),sides=1" ||
      return 1
  done
  tgt --op bind --mode target --tid 1 -I 127.0.0.1
}

# The sg node of the tgt changer (lsscsi: "mediumx IET VIRTUAL-CHANGER ... /dev/sgN").
changer_sg() { lsscsi -g | awk '$2 == "mediumx" && $3 == "IET" { print $NF; exit }'; }

iscsi_login() {
  iscsiadm -m node -T "$IQN" -p "$TGT_PORTAL" --login >/dev/null || return 1
  udevadm settle -t 20
  wait_for 30 '[ -n "$(changer_sg)" ]' || return 1
  SG=$(changer_sg)
}

iscsi_logout() { iscsiadm -m node -T "$IQN" -p "$TGT_PORTAL" --logout >/dev/null; }

# ---------------------------------------------------------------------------------------------
# helpers

# wait_for SECONDS 'shell condition'
wait_for() {
  local deadline=$((SECONDS + $1))
  while ! eval "$2"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# busctl's JSON, one value: prop PATH INTERFACE NAME
prop() { busctl --json=short get-property "$BUS" "$1" "$2" "$3" 2>/dev/null | jq -cr .data; }
job_prop() { prop "$JOBPATH" "$JOB_IF" "$1"; }
lib_prop() { prop "$LIBPATH" "$LIBRARY_IF" "$1"; }
manager() { busctl --json=short call "$BUS" "$ROOT" "$MANAGER" "$@"; }

# The library ntmsd serves for the sg node $1 (Device= may be the node or a /dev/tape link to it).
library_for() {
  local want p dev
  want=$(realpath -e "$1" 2>/dev/null) || return 1
  for p in $(manager ListLibraries 2>/dev/null | jq -r '.data[0][]'); do
    dev=$(prop "$p" "$LIBRARY_IF" Device)
    [ -n "$dev" ] && [ "$(realpath -e "$dev" 2>/dev/null)" = "$want" ] && { echo "$p"; return 0; }
  done
  return 1
}

list_libraries() {
  local p
  for p in $(manager ListLibraries 2>/dev/null | jq -r '.data[0][]'); do
    echo "  $p: $(prop "$p" "$LIBRARY_IF" Name) $(prop "$p" "$LIBRARY_IF" Device)" \
      "$(prop "$p" "$LIBRARY_IF" State) $(prop "$p" "$LIBRARY_IF" OfflineReason)"
  done
}

# "ADDRESS BARCODE" of every full storage and I/E element, as mtx (an independent SMC client)
# reads them. mtx numbers storage elements 1..SLOTS, then the I/E elements.
# Readers read it to the end (no awk exit, no grep -q): one that stops early leaves the loop
# writing into a closed pipe, and bash says "write error: Broken pipe" in the check's notes.
mtx_contents() {
  mtx -f "$SG" status | sed -n 's/^ *Storage Element \([0-9]*\)\( IMPORT\/EXPORT\)\{0,1\}:Full *:VolumeTag=\([^ ]*\).*/\1 \3/p' |
    while read -r n tag; do
      if [ "$n" -le "$SLOTS" ]; then
        echo "$((ST_FIRST + n - 1)) $tag"
      else
        echo "$((IE_FIRST + n - SLOTS - 1)) $tag"
      fi
    done
}

# "ADDRESS BARCODE STATE" of every medium ntmsd's database records for the library.
db_contents() {
  busctl --json=short call "$BUS" "$LIBPATH" "$LIBRARY_IF" ListMedia |
    jq -r '.data[0][] | "\(.[3]) \(.[1]) \(.[2])"'
}

# The database and mtx agree on every storage slot, and each barcode given is in a slot.
library_matches_mtx() {
  local db m rc=0 b
  db=$(db_contents) || { note "ListMedia failed"; return 1; }
  m=$(mtx_contents) || { note "mtx status failed"; return 1; }
  local db_slots mtx_slots
  db_slots=$(echo "$db" | awk -v lo="$ST_FIRST" '$3 == "in-library" && $1 >= lo { print $1, $2 }' | sort)
  mtx_slots=$(echo "$m" | awk -v lo="$ST_FIRST" '$1 >= lo' | sort)
  if [ "$db_slots" != "$mtx_slots" ]; then
    note "database and mtx disagree on the storage slots (< database, > mtx):"
    diff <(echo "$db_slots") <(echo "$mtx_slots") | grep '^[<>]'
    rc=1
  fi
  for b in "$@"; do
    if [ "$(echo "$mtx_slots" | awk -v b="$b" '$2 == b' | wc -l)" != 1 ]; then
      note "mtx does not show $b in exactly one storage slot"
      rc=1
    fi
  done
  if [ "$rc" != 0 ]; then
    note "ListMedia:"; echo "$db" | sed 's/^/  /'
    note "mtx status:"; mtx -f "$SG" status | sed 's/^/  /'
  fi
  return "$rc"
}

# The operator takes out whatever an earlier check left in the port.
port_clear() {
  local addr tag
  mtx_contents | while read -r addr tag; do
    if [ "$addr" -lt "$ST_FIRST" ]; then
      note "port element $addr still holds $tag from an earlier check; the operator takes it out"
      operator_remove "$addr"
    fi
  done
}

# At least one free storage slot for an inject: earlier checks may have filled the library. The
# first slot is emptied behind ntmsd's back, then an inventory tells ntmsd.
slot_free() {
  [ "$(lib_prop FreeSlots)" != 0 ] && return 0
  tgt_element "element_type=2,address=$ST_FIRST,clear_slot=1" &&
    ntmsctl inventory "$LIB" --wait >/dev/null || { note "making a slot free failed"; return 1; }
  note "the library was full: slot $ST_FIRST emptied behind ntmsd's back, then an inventory"
}

final_state() { case "$1" in 2 | 3 | 4 | 7 | 8) return 0 ;; esac; return 1; }

# inject_busctl TIMEOUT APPLICATION: sets JOB and JOBPATH
inject_busctl() {
  local out
  out=$(manager InjectMedia 'susa{sv}' "$LIB" 0 "" 2 timeout u "$1" application s "$2") ||
    return 1
  JOB=$(echo "$out" | jq -r '.data[0]')
  JOBPATH=$(echo "$out" | jq -r '.data[1]')
  note "InjectMedia START: job $JOB"
}

retract_busctl() { manager InjectMedia 'susa{sv}' "$LIB" 2 "$JOB" 0 >/dev/null; }

job_summary() {
  echo "state $(job_prop State) error $(job_prop Error) moved $(job_prop MediaMoved)" \
    "message '$(job_prop ErrorMessage)'"
}

journal_tail() { journalctl -b -u ntmsd --no-pager -n 15 -o short-monotonic | sed 's/^/  /'; }

# ---------------------------------------------------------------------------------------------
# the checks: check_NAME prints its diagnostics and returns 0 when it passed

# What a Debian package's maintainer scripts would do, done by hand: the files go in, then
# systemd-sysusers creates the user, ldconfig finds libntms, systemd and udev re-read their
# directories, dbus-daemon reads the new policy, journald indexes the catalog, and the modules of
# modules-load.d are loaded (a package does that in postinst; here systemd-modules-load does it).
check_install() {
  if [ -d "$DISK/debs" ]; then
    # The packages of make deb: their maintainer scripts and dpkg triggers do all of the above.
    # Everything they depend on is in the image; apt has no network here.
    # (apt wants the files' absolute paths; it has nothing to download.)
    note "apt-get install $DISK/debs/*.deb: $(cd "$DISK/debs" && echo *.deb)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$DISK"/debs/*.deb 2>&1 | tail -n 15 ||
      return 1
    dpkg-query -W -f '${Package} ${Version} ${Status}\n' ntmsd libntms1 libntms-dev ntms-tools |
      sed 's/^/  /'
  else
    # Existing directories (and Debian's /lib -> usr/lib link) keep their owner and mode.
    tar -C "$DISK/root" -cf - . | tar -C / -xf - --keep-directory-symlink --no-overwrite-dir ||
      { note "copying the install tree failed"; return 1; }
    systemd-sysusers || return 1
    ldconfig
    systemctl daemon-reload
    udevadm control --reload
    systemctl reload dbus
    journalctl --update-catalog
    systemctl restart systemd-modules-load.service
  fi
  local rc=0
  id ntmsd | grep -q '(tape)' || { note "user ntmsd missing or not in group tape: $(id ntmsd 2>&1)"; rc=1; }
  ldconfig -p | grep -q 'libntms\.so\.1 ' || { note "ldconfig does not know libntms.so.1"; rc=1; }
  systemctl cat ntmsd.service >/dev/null || { note "systemd does not know ntmsd.service"; rc=1; }
  journalctl --list-catalog "$OPREQUEST_ID" 2>/dev/null | grep -q "$OPREQUEST_ID" ||
    { note "the journal catalog has no entry $OPREQUEST_ID"; rc=1; }
  journalctl --list-catalog "$INSERT_ID" 2>/dev/null | grep -q "$INSERT_ID" ||
    { note "the journal catalog has no entry $INSERT_ID"; rc=1; }
  grep -q '^sg ' /proc/modules || { note "modules-load.d did not load sg"; rc=1; }
  [ -x "$(command -v ntmsctl)" ] || { note "ntmsctl is not on PATH"; rc=1; }
  return "$rc"
}

check_changer() {
  modprobe -a ch iscsi_tcp || return 1
  start_tgt || { note "tgtd setup failed"; journalctl -u ntms-vm-tgtd --no-pager | tail -n 5; return 1; }
  echo "InitiatorName=$(iscsi-iname -p iqn.2025-01.org.ntms:guest)" >/etc/iscsi/initiatorname.iscsi
  systemctl start iscsid.service || return 1
  iscsiadm -m discovery -t sendtargets -p "$TGT_PORTAL" >/dev/null || return 1
  iscsi_login || { note "no medium changer after iSCSI login:"; lsscsi -g; return 1; }
  note "lsscsi -g:"; lsscsi -g | sed 's/^/  /'
  local type
  type=$(cat "/sys/class/scsi_generic/$(basename "$SG")/device/type")
  [ "$type" = 8 ] || { note "$SG has SCSI type $type, not 8"; return 1; }
  note "changer $SG (type $type) after $(uptime_s) s of uptime"
}

# Each slot alone, as ntmsd reads the element a move went to: one READ ELEMENT STATUS of one
# element, on a connection whose last read was small. tgt counts such a read's residual against
# its whole report from the slot to the last one, and the kernel's initiator passes an overflow
# on as the residual, as it does an underflow; for some slots that looked like a reply without
# its element. Full or empty and the barcodes as mtx shows them.
check_probe_slots() {
  local out got want
  if ! out=$(sgio-probe "$SG" status storage "$ST_FIRST" "$SLOTS" 2>&1); then
    note "sgio-probe status storage $ST_FIRST $SLOTS failed:"; echo "$out" | sed 's/^/  /'
    return 1
  fi
  got=$(echo "$out" | awk '$1 ~ /^[0-9]+$/' | wc -l)
  [ "$got" = "$SLOTS" ] || { note "$got slots read, not $SLOTS:"; echo "$out" | sed 's/^/  /'; return 1; }
  got=$(echo "$out" | awk '$2 ~ /FULL/ && $3 == "tag" { print $1, $4 }' | sort)
  want=$(mtx_contents | awk -v lo="$ST_FIRST" '$1 >= lo' | sort)
  note "$(echo "$got" | grep -c .) full slots, one read each"
  if [ "$got" != "$want" ]; then
    note "sgio-probe and mtx disagree (< sgio-probe, > mtx):"
    diff <(echo "$got") <(echo "$want") | grep '^[<>]'
    return 1
  fi
}

check_verify() {
  local unit out
  unit=$(systemctl show -P FragmentPath ntmsd.service)
  [ -f "$unit" ] || { note "no unit file for ntmsd.service"; return 1; }
  note "unit file $unit"
  out=$(systemd-analyze verify "$unit" 2>&1)
  local rc=$?
  [ -n "$out" ] && echo "$out"
  [ "$rc" = 0 ] && [ -z "$out" ]
}

check_start() {
  mkdir -p /etc/ntmsd
  # The administrator's configuration: no [Library] section, changers are found through udev.
  printf '[Daemon]\nDiscover=yes\n' >/etc/ntmsd/ntmsd.conf
  local t0=$SECONDS
  if ! systemctl start ntmsd.service; then
    systemctl status ntmsd.service --no-pager -n 20
    return 1
  fi
  note "systemctl start returned after $((SECONDS - t0)) s"
  local state user pid
  state=$(systemctl is-active ntmsd.service)
  pid=$(systemctl show -P MainPID ntmsd.service)
  user=$(ps -o user= -p "$pid" 2>/dev/null)
  note "ntmsd.service $state, MainPID $pid, user $user"
  [ "$state" = active ] && [ "$user" = ntmsd ] &&
    prop "$ROOT" "$MANAGER" Version >/dev/null
}

check_discover() {
  if wait_for 30 'LIBPATH=$(library_for "$SG") && [ "$(lib_prop State)" = online ]'; then
    LIB=$(lib_prop Id)
    note "library $LIB at $LIBPATH, device $(lib_prop Device), $(lib_prop Slots) slots"
    # The tape drive, the target's controller LUN and the CD-ROM have sg nodes too: no libraries.
    local count
    count=$(manager ListLibraries | jq '.data[0] | length')
    [ "$count" = 1 ] || { note "$count libraries, expected only the changer:"; list_libraries; return 1; }
    return 0
  fi
  note "no online library for $SG within 30 s; libraries:"
  list_libraries
  journal_tail
  # The remaining checks are about the rest of ntmsd, not discovery: name the changer in the
  # configuration, as an administrator without discovery would, so that they still say something.
  note "configuring [Library vm] Device=$SG so that the other checks can run"
  mkdir -p /etc/ntmsd/ntmsd.conf.d
  printf '[Library vm]\nDevice=%s\n' "$SG" >/etc/ntmsd/ntmsd.conf.d/90-system-test.conf
  systemctl restart ntmsd.service &&
    wait_for 30 'LIBPATH=$(library_for "$SG") && [ "$(lib_prop State)" = online ]' &&
    LIB=$(lib_prop Id)
  return 1
}

need_library() {
  [ -n "$LIB" ] && return 0
  note "no library: the changer was not found"
  return 1
}

check_inject_busctl() {
  need_library || return 1
  port_clear
  local free
  free=$(lib_prop FreeSlots)
  inject_busctl 120 vm-busctl || return 1
  wait_for 30 '[ "$(job_prop State)" = 5 ]' || { note "job not waiting: $(job_summary)"; return 1; }
  note "job waiting for the operator; port $(lib_prop Ports)"
  operator_insert 100 VMB001L8 && operator_insert 101 VMB002L8 || return 1
  # tgt never reports the port closed: the administrator says the cartridges are in.
  retract_busctl || return 1
  wait_for 60 'final_state "$(job_prop State)"' || { note "job did not end: $(job_summary)"; return 1; }
  note "job ended: $(job_summary); free slots $free -> $(lib_prop FreeSlots)"
  [ "$(job_prop State)" = 2 ] && [ "$(job_prop Error)" = 0 ] && [ "$(job_prop MediaMoved)" = 2 ] &&
    [ "$(lib_prop FreeSlots)" = $((free - 2)) ] || return 1
  library_matches_mtx VMB001L8 VMB002L8
}

# ntmsctl inject --wait in the background, its output in $1: sets JOB and NTMSCTL_PID once the
# job waits for the operator.
ntmsctl_inject_waiting() {
  local out=$1
  ntmsctl inject "$LIB" --timeout 120 --wait >"$out" 2>&1 &
  NTMSCTL_PID=$!
  wait_for 30 'grep -q "^job " "$out"' || { cat "$out"; kill "$NTMSCTL_PID"; return 1; }
  JOB=$(awk '/^job / { print $2; exit }' "$out")
  wait_for 30 '[ "$(ntmsctl --json job "$JOB" | jq -r .state)" = WAITING ]' ||
    { note "job $JOB not waiting"; ntmsctl job "$JOB"; kill "$NTMSCTL_PID"; return 1; }
}

# The operator has filled the port: ntmsctl retract of that job, then ntmsctl inject's exit code.
ntmsctl_inject_end() {
  ntmsctl retract "$JOB" || { kill "$NTMSCTL_PID"; return 1; }
  wait_for 60 '! kill -0 "$NTMSCTL_PID" 2>/dev/null' ||
    { note "ntmsctl inject --wait did not return"; kill "$NTMSCTL_PID"; }
  wait "$NTMSCTL_PID"
}

check_inject_ntmsctl() {
  need_library || return 1
  port_clear
  local out=$WORK/ntmsctl.out rc
  ntmsctl_inject_waiting "$out" || return 1
  operator_insert 100 VMN001L8 && operator_insert 102 VMN002L8 || { kill "$NTMSCTL_PID"; return 1; }
  ntmsctl_inject_end
  rc=$?
  note "ntmsctl inject --wait exited $rc:"
  sed 's/^/  /' "$out"
  ntmsctl job "$JOB" | sed 's/^/  /'
  [ "$rc" = 0 ] && grep -q '^PASSED media moved: 2$' "$out" || return 1
  library_matches_mtx VMN001L8 VMN002L8
}

check_inject_c() {
  need_library || return 1
  port_clear
  local prog=$DISK/bin/ntms-vm-inject out=$WORK/c.out fifo=$WORK/c.in pid rc lib installed
  # The libntms.so.1 the install tree put in, at its place in the guest.
  installed=$(cd "$DISK/root" && find . -name libntms.so.1 | head -n 1)
  installed=$(realpath -e "${installed#.}" 2>/dev/null)
  lib=$(ldd "$prog" | awk '$1 == "libntms.so.1" { print $3 }')
  note "$prog uses $lib, the installed library is $installed"
  [ -n "$installed" ] && [ "$(realpath -e "$lib" 2>/dev/null)" = "$installed" ] ||
    { note "the program does not use the installed libntms.so.1"; return 1; }
  rm -f "$fifo"
  mkfifo "$fifo"
  "$prog" "$LIB" <"$fifo" >"$out" 2>&1 &
  pid=$!
  exec 8>"$fifo"
  if ! wait_for 30 'grep -q "^waiting" "$out"'; then
    note "the program did not report a waiting job:"; cat "$out"
    exec 8>&-; kill "$pid"; return 1
  fi
  operator_insert 101 VMC001L8 && operator_insert 103 VMC002L8 || { exec 8>&-; return 1; }
  echo retract >&8
  exec 8>&-
  wait_for 60 '! kill -0 "$pid" 2>/dev/null' || { note "the program did not finish"; kill "$pid"; }
  wait "$pid"
  rc=$?
  note "ntms-vm-inject exited $rc:"
  sed 's/^/  /' "$out"
  [ "$rc" = 0 ] && grep -q '^done state=2 error=0 media moved: 2$' "$out" || return 1
  library_matches_mtx VMC001L8 VMC002L8
}

check_stop() {
  local t0=$SECONDS
  systemctl stop ntmsd.service || return 1
  note "systemctl stop took $((SECONDS - t0)) s: $(systemctl show -p ActiveState -p Result -p ExecMainStatus ntmsd.service | tr '\n' ' ')"
  [ "$(systemctl show -P Result ntmsd.service)" = success ] &&
    [ "$(systemctl show -P ExecMainStatus ntmsd.service)" = 0 ]
}

# apt-get purge of the packages: nothing of theirs is left but the documented state directory
# /var/lib/ntmsd (and the system user), ntmsd(8) FILES.
check_purge() {
  local pkgs=(ntms-tools libntms-dev libntms1 ntmsd) files left=0 f
  files=$(dpkg -L "${pkgs[@]}" 2>/dev/null | sort -u)
  # The configuration the checks above wrote is the administrator's, not the packages'.
  rm -f /etc/ntmsd/ntmsd.conf /etc/ntmsd/ntmsd.conf.d/90-system-test.conf
  DEBIAN_FRONTEND=noninteractive apt-get purge -y "${pkgs[@]}" 2>&1 | tail -n 5
  dpkg-query -W -f '${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null | grep -v 'not-installed$' &&
    { note "still known to dpkg (above)"; left=1; }
  for f in $files; do
    [ -d "$f" ] && continue
    if [ -e "$f" ] || [ -L "$f" ]; then note "left behind: $f"; left=1; fi
  done
  [ ! -e /etc/ntmsd ] || { note "/etc/ntmsd is still there: $(ls -A /etc/ntmsd)"; left=1; }
  [ -d /var/lib/ntmsd ] || { note "the state directory /var/lib/ntmsd is gone"; left=1; }
  note "kept: $(ls -A /var/lib/ntmsd | tr '\n' ' ')"
  return "$left"
}

# check_kill, check_journal, check_hotplug, check_not_a_changer
# shellcheck source=guest-checks-life.sh
. "$DISK/guest-checks-life.sh"
# check_inventory_ntmsctl, check_eject_ntmsctl, check_rsm_client
# shellcheck source=guest-checks-media.sh
. "$DISK/guest-checks-media.sh"
# check_tape_devices
# shellcheck source=guest-checks-drives.sh
. "$DISK/guest-checks-drives.sh"
# check_cockpit, check_browser_login, check_browser_inject, check_browser_viewer
# shellcheck source=guest-checks-cockpit.sh
. "$DISK/guest-checks-cockpit.sh"
# check_notify_mail, check_metrics_node_exporter
# shellcheck source=guest-checks-services.sh
. "$DISK/guest-checks-services.sh"
# check_bacula
# shellcheck source=guest-checks-bacula.sh
. "$DISK/guest-checks-bacula.sh"

CHECKS=(
  install "the project installs like a package (sysusers, ldconfig, systemd, udev, D-Bus, catalog)"
  changer "tgt's changer through the kernel iSCSI initiator is a /dev/sgN of type 8"
  probe_slots "sgio-probe reads each slot alone through /dev/sgN (one READ ELEMENT STATUS each): what mtx shows"
  verify "systemd-analyze verify of the installed ntmsd.service is clean"
  start "systemctl start ntmsd succeeds, the unit is active and runs as user ntmsd"
  discover "ntmsd found the changer through udev by itself (Discover=yes, no [Library])"
  inject_busctl "busctl InjectMedia, two cartridges by the operator, RETRACT: job passed, mtx shows them where the database says"
  inject_ntmsctl "ntmsctl inject --wait and ntmsctl retract: job passed, mtx agrees with the database"
  inject_c "a C program linking the installed libntms: InjectNtmsMedia START and RETRACT, job passed, mtx agrees"
  inventory_ntmsctl "slots changed behind ntmsd's back (mtx, tgtadm), ntmsctl inventory --wait: moved, gone and new as mtx shows"
  eject_ntmsctl "ntmsctl eject --wait, the operator takes the cartridge out of the port: job passed, medium gone"
  rsm_client "rsm_client, written from Microsoft's RSM pages: inventory, drives, media, eject with the operator, every return code"
  tape_devices "each drive's Device is the /dev/nstN with its serial (VPD 0x80), followed through a hot-unplug and a rescan"
  kill "systemctl kill -s KILL in the middle of an inject, restart: job interrupted, nothing lost"
  journal "library full: the operator request is in journalctl -u ntmsd with its MESSAGE_ID and in journalctl -x with its catalog text"
  hotplug "iscsiadm logout takes the library offline, login brings it back online with the same GUID"
  not_a_changer "scsi_debug ptype=8 is reported as a library that cannot be used, the real one undisturbed"
  cockpit "cockpit.socket on eth0 (the host's forwarded port), an operator in group tape and a viewer without rights"
  browser_login "Chromium on the host logs the operator into Cockpit; the ntms page lists the library and its slot map"
  browser_inject "the page's Inject, the operator fills the port, the page's Satisfy: the page shows the job PASSED and the cartridge in its slot; mtx agrees"
  browser_viewer "the viewer without rights sees Inject, Inventory, Door, Eject disabled with the reason"
  notify_mail "ntms-notify mails an operator request and a library going offline through exim4 into a local mailbox, with the catalog's text"
  metrics_node_exporter "ntms-metrics.service's file through prometheus-node-exporter on :9100: ntms_ series match mtx, no textfile scrape error"
  bacula "Bacula with ntms-changer: update slots, label barcodes, full backup, an operator's inject while Bacula holds the drive, restore, diff -r; Bacula, ntmsd and mtx agree"
  stop "systemctl stop ntmsd ends it cleanly"
)
if [ -d "$DISK/debs" ]; then
  CHECKS[1]="the packages install with apt-get install ./*.deb (sysusers, ldconfig, systemd, udev, D-Bus, catalog)"
  CHECKS+=(purge "apt-get purge leaves nothing but /var/lib/ntmsd")
fi

# ntms.only=a,b,c on the kernel command line (run-vm-test.sh's NTMS_VM_ONLY): only those checks.
only_checks() {
  local only i kept=()
  only=$(sed -n 's/.*ntms\.only=\([a-z_,]*\).*/\1/p' /proc/cmdline)
  [ -n "$only" ] || return 0
  for ((i = 0; i < ${#CHECKS[@]}; i += 2)); do
    if [[ ",$only," == *",${CHECKS[i]},"* ]]; then kept+=("${CHECKS[i]}" "${CHECKS[i + 1]}"); fi
  done
  CHECKS=("${kept[@]}")
}
only_checks

run_checks() {
  local i n=0 name desc log lines
  say "plan $(( ${#CHECKS[@]} / 2 ))"
  for ((i = 0; i < ${#CHECKS[@]}; i += 2)); do
    name=${CHECKS[i]}
    desc=${CHECKS[i + 1]}
    n=$((n + 1))
    log=$WORK/$n-$name.log
    local t0=$SECONDS
    # What each check saw follows its result: all of it for a failure, the gist for a pass.
    if "check_$name" >"$log" 2>&1; then
      say "ok $n - $desc"
      lines=12
    else
      say "not ok $n - $desc"
      lines=60
    fi
    say "#   ($((SECONDS - t0)) s)"
    tail -n "$lines" "$log" | tr -d '\r' | while IFS= read -r line; do say "#   $line"; done
  done
}

mkdir -p "$WORK"
exec 3>/dev/ttyS1
say "# guest up after $(uptime_s) s, kernel $(uname -r), PID 1 $(cat /proc/1/comm)"
if [ "$mode" = shell ]; then
  check_install && check_changer && check_start
  check_discover
  echo "ntms system test guest: project installed, changer $SG, library ${LIB:-none}."
  echo "Logs of the setup: $WORK. Power off with: poweroff"
  exit 0
fi
t0=$SECONDS
run_checks
say "# checks took $((SECONDS - t0)) s; uptime $(uptime_s) s"
say "done"
