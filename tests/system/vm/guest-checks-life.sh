# shellcheck shell=bash
# The system test's checks of ntmsd's life under faults, sourced by guest-test.sh (its helpers,
# variables and the library it found are used here): a kill in the middle of a job, the journal's
# operator request, the library's device going away and coming back, a device that is no usable
# changer. Each check_NAME prints its diagnostics and returns 0 when it passed.
# wait_for evaluates its condition each time round: single quotes on purpose.
# shellcheck disable=SC2016

# kill -9 while a RETRACT makes the job read the port, with the changer frozen so that the kill
# lands on a SCSI command in flight; then a restart must end the job as interrupted and lose
# nothing, and the cartridges still in the port come in with the next inject.
check_kill() {
  need_library || return 1
  port_clear
  local tgtd pid b
  inject_busctl 120 vm-kill || return 1
  wait_for 30 '[ "$(job_prop State)" = 5 ]' || { note "job not waiting: $(job_summary)"; return 1; }
  operator_insert 100 VMK001L8 && operator_insert 101 VMK002L8 || return 1
  tgtd=$(systemctl show -P MainPID ntms-vm-tgtd.service)
  pid=$(systemctl show -P MainPID ntmsd.service)
  kill -STOP "$tgtd"
  retract_busctl
  sleep 1.5
  note "job state $(job_prop State) when ntmsd (pid $pid) gets SIGKILL"
  systemctl kill -s KILL ntmsd.service
  kill -CONT "$tgtd"
  wait_for 10 '! kill -0 "$pid" 2>/dev/null' || { note "ntmsd survived SIGKILL"; return 1; }
  note "after the kill: $(systemctl show -p ActiveState -p Result ntmsd.service | tr '\n' ' ')"
  systemctl restart ntmsd.service || return 1
  wait_for 30 '[ "$(lib_prop State)" = online ]' || { note "library not online after restart"; journal_tail; return 1; }
  # shellcheck disable=SC2034 # job_prop reads it
  JOBPATH=$(manager GetJob s "$JOB" | jq -r '.data[0]')
  note "after the restart, job $JOB: $(job_summary)"
  [ "$(job_prop State)" = 3 ] && [ "$(job_prop Error)" = 995 ] &&
    job_prop ErrorMessage | grep -q interrupted || { note "the job is not reported interrupted"; return 1; }
  # Nothing lost or doubled: each cartridge is in exactly one element, and every slot agrees.
  for b in VMK001L8 VMK002L8; do
    [ "$(mtx_contents | awk -v b="$b" '$2 == b' | wc -l)" = 1 ] ||
      { note "$b is not in exactly one element:"; mtx_contents; return 1; }
  done
  library_matches_mtx || return 1
  # What stayed in the port is imported by the next inject.
  if mtx_contents | awk -v lo="$ST_FIRST" '$1 < lo' | grep . >/dev/null; then
    note "left in the port: $(mtx_contents | awk -v lo="$ST_FIRST" '$1 < lo' | tr '\n' ' ')"
    inject_busctl 120 vm-kill-again || return 1
    wait_for 30 '[ "$(job_prop State)" = 5 ]' || { note "job not waiting: $(job_summary)"; return 1; }
    retract_busctl || return 1
    wait_for 60 'final_state "$(job_prop State)"' || { note "job did not end: $(job_summary)"; return 1; }
    note "second inject: $(job_summary)"
    [ "$(job_prop State)" = 2 ] || return 1
  fi
  library_matches_mtx VMK001L8 VMK002L8
}

# A full library: the cartridges without a slot stay in the port and an operator request goes to
# the journal with its MESSAGE_ID, explained by the catalog under journalctl -x.
check_journal() {
  need_library || return 1
  port_clear
  local free n i since records
  free=$(lib_prop FreeSlots)
  n=$((free + 1))
  [ "$free" -ge 1 ] && [ "$n" -le "$IE" ] ||
    { note "needs 1 to $((IE - 1)) free slots to overflow the port, has $free"; return 1; }
  since=$(date '+%Y-%m-%d %H:%M:%S')
  inject_busctl 120 vm-full || return 1
  wait_for 30 '[ "$(job_prop State)" = 5 ]' || { note "job not waiting: $(job_summary)"; return 1; }
  for i in $(seq 1 "$n"); do
    operator_insert $((IE_FIRST + i - 1)) "$(printf 'VMF%03dL8' "$i")" || return 1
  done
  retract_busctl || return 1
  wait_for 60 'final_state "$(job_prop State)"' || { note "job did not end: $(job_summary)"; return 1; }
  note "$n cartridges for $free free slots: $(job_summary)"
  [ "$(job_prop State)" = 2 ] && [ "$(job_prop MediaMoved)" = "$free" ] || return 1
  wait_for 10 'journalctl -u ntmsd --since "$since" MESSAGE_ID=$OPREQUEST_ID -o json | grep -q .'
  records=$(journalctl -u ntmsd --since "$since" MESSAGE_ID=$OPREQUEST_ID -o json)
  if ! echo "$records" | jq -e --arg lib "$LIB" \
      'select(.NTMS_LIBRARY == $lib and (.NTMS_OPREQUEST | length) > 0 and (.MESSAGE | test("full")))' \
      >/dev/null; then
    note "no operator request for library $LIB in journalctl -u ntmsd MESSAGE_ID=$OPREQUEST_ID:"
    echo "$records" | jq -c '{MESSAGE, NTMS_LIBRARY, NTMS_OPREQUEST}' 2>/dev/null
    journal_tail
    return 1
  fi
  journalctl -u ntmsd --since "$since" MESSAGE_ID=$OPREQUEST_ID -o cat | sed 's/^/  /'
  local explained
  explained=$(journalctl -x -u ntmsd --since "$since" MESSAGE_ID=$OPREQUEST_ID --no-pager)
  if ! echo "$explained" | grep -q 'Subject: Operator request for library' ||
    ! echo "$explained" | grep -q 'needs someone at library'; then
    note "journalctl -x shows no catalog text:"
    echo "$explained" | sed 's/^/  /'
    return 1
  fi
  # The wait had its own "put cartridges in" request: posted, then complete when the port closed.
  records=$(journalctl -u ntmsd --since "$since" MESSAGE_ID=$INSERT_ID NTMS_JOB="$JOB" -o json)
  echo "$records" | jq -s -e --arg port "$IE_FIRST" \
    'any(.[]; .NTMS_OPREQUEST_STATE == "submitted" and .NTMS_PORT == $port) and
     any(.[]; .NTMS_OPREQUEST_STATE == "complete")' >/dev/null ||
    { note "no insert request records (submitted, complete) for job $JOB:"
      echo "$records" | jq -c '{MESSAGE, NTMS_PORT, NTMS_OPREQUEST_STATE}' 2>/dev/null; return 1; }
  explained=$(journalctl -x -u ntmsd --since "$since" MESSAGE_ID=$INSERT_ID --no-pager)
  echo "$explained" | grep -q 'Subject: Put cartridges into the port of library' ||
    { note "journalctl -x shows no catalog text for the insert request:"
      echo "$explained" | sed 's/^/  /'; return 1; }
  # The job's end is a record of its own, with the number of cartridges it moved.
  journalctl -u ntmsd --since "$since" MESSAGE_ID=$JOB_END_ID NTMS_JOB="$JOB" -o json |
    jq -e '.NTMS_MEDIA_MOVED == "'"$free"'"' >/dev/null ||
    { note "no job-end record with NTMS_MEDIA_MOVED=$free for job $JOB"; return 1; }
  library_matches_mtx
}

# The cable is pulled (iSCSI logout) and plugged back: offline, then online under the same GUID.
check_hotplug() {
  need_library || return 1
  local old=$SG
  iscsi_logout || return 1
  if ! wait_for 30 '[ "$(lib_prop State)" = offline ]'; then
    note "library still $(lib_prop State) 30 s after $old went away"; journal_tail
    iscsi_login; return 1
  fi
  note "after logout: $(lib_prop State) ($(lib_prop OfflineReason))"
  iscsi_login || { note "login again failed"; return 1; }
  note "logged in again: $old -> $SG"
  if ! wait_for 30 '[ "$(lib_prop State)" = online ]'; then
    note "library still $(lib_prop State) 30 s after $SG came back"
    list_libraries; journal_tail
    return 1
  fi
  [ "$(lib_prop Id)" = "$LIB" ] || { note "GUID changed: $(lib_prop Id)"; return 1; }
  [ "$(library_for "$SG")" = "$LIBPATH" ] || { note "$SG is not served by $LIBPATH"; list_libraries; return 1; }
  note "online again as $LIB on $(lib_prop Device)"
  library_matches_mtx
}

# scsi_debug's type-8 device has no SMC support at all: it must show as a library that cannot be
# used, with its reason, while the real library carries on untouched.
check_not_a_changer() {
  need_library || return 1
  local pid since sd path reason
  pid=$(systemctl show -P MainPID ntmsd.service)
  since=$(date '+%Y-%m-%d %H:%M:%S')
  modprobe scsi_debug ptype=8 || return 1
  udevadm settle -t 20
  wait_for 20 'sd=$(lsscsi -g | awk "/scsi_debug/ { print \$NF; exit }"); [ -n "$sd" ]' ||
    { note "scsi_debug made no sg node"; lsscsi -g; return 1; }
  note "scsi_debug: $(lsscsi -g | grep scsi_debug)"
  if ! wait_for 30 'path=$(library_for "$sd")'; then
    note "no library reported for $sd within 30 s:"; list_libraries; journal_tail; return 1
  fi
  reason=$(prop "$path" "$LIBRARY_IF" OfflineReason)
  note "$sd: $(prop "$path" "$LIBRARY_IF" State), reason '$reason'"
  journalctl -u ntmsd --since "$since" -p warning -o cat | sed 's/^/  /'
  [ "$(prop "$path" "$LIBRARY_IF" State)" != online ] && [ -n "$reason" ] || return 1
  journalctl -u ntmsd --since "$since" -p warning -o cat | grep -qF -e "$(basename "$sd")" -e "$reason" ||
    { note "the journal does not name $sd at warning or above"; return 1; }
  [ "$(systemctl show -P MainPID ntmsd.service)" = "$pid" ] || { note "ntmsd restarted"; return 1; }
  [ "$(lib_prop State)" = online ] || { note "the tgt library is $(lib_prop State)"; return 1; }
  library_matches_mtx
}
