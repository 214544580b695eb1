# shellcheck shell=bash
# The system test's Bacula check, sourced by guest-test.sh (its helpers, variables and the
# library it found are used here, and drive_path and drive_prop of guest-checks-drives.sh):
# Debian 12's Bacula director (SQLite catalogue), storage, file daemon and console, configured as
# an administrator would, with ntms-changer as the autochanger's Changer Command and drive 0's
# /dev/nstN as its Archive Device. Each check_NAME prints its diagnostics and returns 0 when it
# passed.
# wait_for evaluates its condition each time round: single quotes on purpose.
# shellcheck disable=SC2016

BACULA_DB=/var/lib/bacula/ntmsvm.db
BACULA_SRC=/srv/ntms-backup
BACULA_DST=/srv/ntms-restore

bacula_password() { head -c 18 /dev/urandom | base64 | tr -d '/+='; }

# bacula_configs CHANGER ARCHIVE-DEVICE: the four configuration files in /etc/bacula.
bacula_configs() {
  local dir_pw sd_pw fd_pw
  dir_pw=$(bacula_password) sd_pw=$(bacula_password) fd_pw=$(bacula_password)
  cat >/etc/bacula/bacula-dir.conf <<EOF
Director {
  Name = vm-dir
  DIRaddress = 127.0.0.1
  DIRport = 9101
  QueryFile = "/etc/bacula/scripts/query.sql"
  WorkingDirectory = "/var/lib/bacula"
  PidDirectory = "/run/bacula"
  Maximum Concurrent Jobs = 5
  Password = "$dir_pw"
  Messages = Daemon
}
Catalog {
  Name = vm-catalog
  dbname = "ntmsvm"; dbuser = ""; dbpassword = ""
}
Messages {
  Name = Daemon
  console = all, !skipped, !saved
  append = "/var/lib/bacula/vm-dir.log" = all, !skipped
}
Messages {
  Name = Standard
  console = all, !skipped, !saved
  append = "/var/lib/bacula/vm-jobs.log" = all, !skipped
  catalog = all
}
Client {
  Name = vm-fd
  Address = 127.0.0.1
  FDPort = 9102
  Catalog = vm-catalog
  Password = "$fd_pw"
}
Storage {
  Name = vm-tape
  Address = 127.0.0.1
  SDPort = 9103
  Password = "$sd_pw"
  Device = vm-changer
  Media Type = LTO-8
  Autochanger = yes
  Maximum Concurrent Jobs = 5
}
Pool {
  Name = Default
  Pool Type = Backup
  AutoPrune = no
  Volume Retention = 365 days
}
Pool {
  Name = Scratch
  Pool Type = Backup
}
FileSet {
  Name = vm-files
  Include {
    Options { signature = MD5 }
    File = $BACULA_SRC
  }
}
Job {
  Name = vm-backup
  Type = Backup
  Level = Full
  Client = vm-fd
  FileSet = vm-files
  Storage = vm-tape
  Pool = Default
  Messages = Standard
  Write Bootstrap = "/var/lib/bacula/vm-backup.bsr"
}
Job {
  Name = vm-restore
  Type = Restore
  Client = vm-fd
  FileSet = vm-files
  Storage = vm-tape
  Pool = Default
  Messages = Standard
  Where = $BACULA_DST
}
EOF
  cat >/etc/bacula/bacula-sd.conf <<EOF
Storage {
  Name = vm-sd
  SDAddress = 127.0.0.1
  SDPort = 9103
  WorkingDirectory = "/var/lib/bacula"
  Pid Directory = "/run/bacula"
  Maximum Concurrent Jobs = 5
}
Director {
  Name = vm-dir
  Password = "$sd_pw"
}
Autochanger {
  Name = vm-changer
  Device = vm-drive-0
  Changer Device = "$1"
  Changer Command = "/usr/bin/ntms-changer %c %o %S %a %d"
}
Device {
  Name = vm-drive-0
  Drive Index = 0
  Media Type = LTO-8
  Archive Device = $2
  Autochanger = yes
  Automatic Mount = yes
  Always Open = yes
  Removable Media = yes
  Random Access = no
  Maximum Changer Wait = 300
}
Messages {
  Name = Standard
  director = vm-dir = all
}
EOF
  cat >/etc/bacula/bacula-fd.conf <<EOF
Director {
  Name = vm-dir
  Password = "$fd_pw"
}
FileDaemon {
  Name = vm-fd
  FDAddress = 127.0.0.1
  FDport = 9102
  WorkingDirectory = /var/lib/bacula
  Pid Directory = /run/bacula
  Maximum Concurrent Jobs = 5
}
Messages {
  Name = Standard
  director = vm-dir = all, !skipped, !restored
}
EOF
  cat >/etc/bacula/bconsole.conf <<EOF
Director {
  Name = vm-dir
  Address = 127.0.0.1
  DIRport = 9101
  Password = "$dir_pw"
}
EOF
  chown root:bacula /etc/bacula/bacula-dir.conf /etc/bacula/bacula-sd.conf
  chmod 640 /etc/bacula/*.conf
}

# bconsole with the commands on its standard input; the session goes to standard output.
# A job that waits for an operator (a failed load, a volume Bacula will not use) would wait for
# ever: after 240 s the session is cut and the storage's status shown.
bcons() {
  timeout 240 bconsole -c /etc/bacula/bconsole.conf && return 0
  {
    note "bconsole cut off after 240 s; status storage:"
    printf 'status storage=vm-tape\nmessages\n' | timeout 60 bconsole -c /etc/bacula/bconsole.conf |
      tail -n 30 | sed 's/^/  /'
  } >&2
  return 1
}

# The catalogue's media, "SLOT INCHANGER VOLUME STATUS JOBS BYTES" a line.
bacula_media() {
  sqlite3 -separator ' ' "$BACULA_DB" \
    'SELECT Slot, InChanger, VolumeName, VolStatus, VolJobs, VolBytes FROM Media ORDER BY Slot'
}

bacula_diagnostics() {
  note "bacula's log:"; tail -n 40 /var/lib/bacula/vm-jobs.log 2>/dev/null | sed 's/^/  /'
  note "bacula-sd:"; journalctl -b -u bacula-sd --no-pager -o cat | tail -n 10 | sed 's/^/  /'
  note "ntmsd:"; journal_tail
  note "ntmsctl drives:"; ntmsctl drives "$LIB" 2>&1 | sed 's/^/  /'
}

# An operator's inject through the port while Bacula holds drive $1 with its volume: the inject
# passes with one cartridge moved, and the drive still holds the volume, in use.
inject_while_held() {
  local d=$1 out=$WORK/bacula-inject.out rc
  port_clear
  [ "$(drive_prop "$d" State)" = inuse ] || { note "drive 0 is not in use: $(drive_prop "$d" State)"; return 1; }
  ntmsctl_inject_waiting "$out" || return 1
  operator_insert "$IE_FIRST" VMQ001L8 || { kill "$NTMSCTL_PID"; return 1; }
  ntmsctl_inject_end
  rc=$?
  note "inject while Bacula holds drive 0: ntmsctl exited $rc; $(tr '\n' ';' <"$out")"
  [ "$rc" = 0 ] && grep -q '^PASSED media moved: 1$' "$out" || return 1
  [ "$(drive_prop "$d" State)" = inuse ] ||
    { note "after the inject drive 0 is $(drive_prop "$d" State), not inuse"; return 1; }
}

# update slots, label barcodes, a full backup of a directory, an operator's inject while Bacula
# holds the drive, the backup's restore elsewhere, diff -r; then the volume is where Bacula, ntmsd
# and mtx say it is, ntmsd moved it, and the injected cartridge is in a slot.
check_bacula() {
  need_library || return 1
  local d0 nst slot vol name since t0 jobid out rc=0 p
  # bacula-director-sqlite3 is only the catalogue's back end: the director is bacula-director.
  for p in /usr/sbin/bacula-dir /usr/sbin/bacula-sd /usr/sbin/bacula-fd /usr/sbin/bconsole; do
    [ -x "$p" ] || { note "$p is missing: the guest image lacks its Debian package (bacula-director, -sd, -fd, -console)"; return 1; }
  done
  since=$(date '+%Y-%m-%d %H:%M:%S')
  d0=$(drive_path 0) && nst=$(drive_prop "$d0" Device) && [ -c "$nst" ] ||
    { note "drive 0 has no tape device: '$nst'"; return 1; }
  # Two free slots: one stays the volume's while it is in the drive, the other is for the
  # operator's inject below.
  if [ "$(lib_prop FreeSlots)" -lt 2 ]; then
    tgt_element "element_type=2,address=$((ST_FIRST + SLOTS - 1)),clear_slot=1" &&
      ntmsctl inventory "$LIB" --wait >/dev/null || { note "making a slot free failed"; return 1; }
    note "slot $((ST_FIRST + SLOTS - 1)) emptied behind ntmsd's back, then an inventory"
  fi
  # The first full storage slot (mtx's number); tgt loads the tape file named by its barcode.
  read -r slot vol < <(mtx_contents | awk -v lo="$ST_FIRST" '$1 >= lo && !n++ { print $1 - lo + 1, $2 }')
  [ -n "$vol" ] || { note "no cartridge in a storage slot"; return 1; }
  [ -e "/var/lib/ntms-vm/$vol" ] ||
    tgtimg --op new --device-type tape --barcode "$vol" --size 64 --type data \
      --file "/var/lib/ntms-vm/$vol" >/dev/null || return 1
  name=$(lib_prop Name)
  note "library '$name', slot $slot holds $vol; drive 0 is $nst ($(stat -c '%U:%G %a' "$nst"))"
  id bacula | grep -q '(tape)' || { note "user bacula is not in group tape: $(id bacula)"; return 1; }

  # The administrator's set-up: configuration, an empty SQLite catalogue, the daemons.
  bacula_configs "$LIB" "$nst"
  rm -f "$BACULA_DB" /var/lib/bacula/vm-*.log
  sqlite3 "$BACULA_DB" </usr/share/dbconfig-common/data/bacula-director-sqlite3/install/sqlite3 ||
    { note "cannot create the catalogue $BACULA_DB"; return 1; }
  chown bacula:bacula "$BACULA_DB"
  mkdir -p /run/bacula && chown bacula:bacula /run/bacula
  t0=$SECONDS
  systemctl start bacula-fd.service bacula-sd.service bacula-director.service ||
    { systemctl status bacula-fd bacula-sd bacula-director --no-pager -n 10; return 1; }
  wait_for 30 'echo status dir | timeout 20 bconsole -c /etc/bacula/bconsole.conf | grep -q "Daemon started"' ||
    { note "bconsole cannot reach the director"; journalctl -b -u bacula-director --no-pager -o cat | tail -n 10
      bacula_diagnostics; return 1; }
  note "bacula-fd, -sd, -director up in $((SECONDS - t0)) s"

  mkdir -p "$BACULA_SRC/sub"
  rm -rf "$BACULA_DST"
  head -c 300000 /dev/urandom >"$BACULA_SRC/random.bin"
  seq 1 20000 >"$BACULA_SRC/sub/numbers.txt"
  cp /etc/os-release "$BACULA_SRC/sub/"
  ln -sf sub/numbers.txt "$BACULA_SRC/link"

  t0=$SECONDS
  out=$(printf '%s\n' "update slots storage=vm-tape drive=0" \
    "label storage=vm-tape drive=0 pool=Default slots=$slot barcodes" yes \
    "run job=vm-backup yes" "wait" "messages" | bcons)
  echo "$out" | grep -E 'Connecting|3304|3305|3307|Volume|Slot|label|OK label|Termination|Bytes|Error|ERR' |
    sed "s/^/  /" | head -n 60
  note "update slots, label barcodes and the backup took $((SECONDS - t0)) s"
  echo "$out" | grep -q "OK label.*Volume=\"$vol\"" || { note "label barcodes did not label $vol"; rc=1; }
  jobid=$(sqlite3 "$BACULA_DB" "SELECT JobId FROM Job WHERE Name='vm-backup' AND JobStatus='T' ORDER BY JobId DESC LIMIT 1")
  if [ -z "$jobid" ]; then
    note "no vm-backup job that ended OK; bconsole said:"
    echo "$out" | tail -n 60 | sed 's/^/  /'
    bacula_diagnostics
    systemctl stop bacula-director.service bacula-sd.service bacula-fd.service
    return 1
  fi
  note "backup job $jobid: $(sqlite3 "$BACULA_DB" "SELECT JobFiles, JobBytes FROM Job WHERE JobId=$jobid") files, bytes"
  # The volume stays in the drive after the backup; the restore below reads it from there.
  inject_while_held "$d0" || rc=1

  t0=$SECONDS
  out=$(printf '%s\n' "restore jobid=$jobid client=vm-fd where=$BACULA_DST all done yes" "wait" "messages" | bcons)
  note "restore took $((SECONDS - t0)) s: $(echo "$out" | grep -E 'Termination' | head -n 1)"
  if diff -r "$BACULA_SRC" "$BACULA_DST$BACULA_SRC"; then
    note "diff -r $BACULA_SRC $BACULA_DST$BACULA_SRC: the same"
  else
    note "the restored files differ (above)"
    echo "$out" | tail -n 20 | sed 's/^/  /'
    rc=1
  fi

  # The tape back into its slot (Bacula's unmount of an autochanger drive unloads it).
  out=$(printf '%s\n' "unmount storage=vm-tape drive=0" "update slots storage=vm-tape drive=0" "list media pool=Default" | bcons)
  echo "$out" | grep -E '^\|' | sed 's/^/  /'
  wait_for 60 'mtx_contents | grep -x "$((ST_FIRST + slot - 1)) $vol" >/dev/null' ||
    { note "$vol is not back in slot $slot after unmount"; rc=1; }
  note "bacula's catalogue (slot inchanger volume status jobs bytes): $(bacula_media | tr '\n' ';')"
  bacula_media | awk -v s="$slot" -v v="$vol" '$1 == s && $2 == 1 && $3 == v && $5 >= 1 && $6 > 0 { f = 1 } END { exit !f }' ||
    { note "bacula does not record $vol in slot $slot, in the changer, with a job and bytes"; rc=1; }
  # ntmsd has it in the slot mtx shows, and its drive is empty.
  db_contents | awk -v a=$((ST_FIRST + slot - 1)) -v v="$vol" '$1 == a && $2 == v && $3 == "in-library" { f = 1 } END { exit !f }' ||
    { note "ntmsd does not have $vol in-library at element $((ST_FIRST + slot - 1))"; rc=1; }
  # ntmsd moved the cartridge: its mount and dismount jobs passed.
  local ops
  ops=$(journalctl -u ntmsd --since "$since" MESSAGE_ID="$JOB_END_ID" -o json |
    jq -r '"\(.NTMS_JOB_OPERATION) \(.NTMS_JOB_STATE)"' | sort | uniq -c | tr -s ' ')
  note "ntmsd's jobs since the check began: $(tr "\n" ";" <<<"$ops")"
  grep -q ' mount passed$' <<<"$ops" && grep -q ' dismount passed$' <<<"$ops" ||
    { note "no mount and dismount jobs passed in ntmsd"; rc=1; }
  [ "$rc" = 0 ] || bacula_diagnostics
  systemctl stop bacula-director.service bacula-sd.service bacula-fd.service
  [ "$rc" = 0 ] && library_matches_mtx "$vol" VMQ001L8
}
