# shellcheck shell=bash
# The system test's inventory and eject checks, sourced by guest-test.sh (its helpers, variables
# and the library it found are used here). Each check_NAME prints its diagnostics and returns 0
# when it passed; the operator at the mail slot and anyone changing slots behind ntmsd's back are
# tgtadm and mtx, as in the other checks.
# wait_for evaluates its condition each time round: single quotes on purpose.
# shellcheck disable=SC2016

# The GUID ListMedia gives the medium with bar code $1, and its state word.
medium_guid() { db_contents_full | awk -v b="$1" '$2 == b { print $1; exit }'; }
medium_state() { db_contents_full | awk -v b="$1" '$2 == b { print $3; exit }'; }
db_contents_full() {
  busctl --json=short call "$BUS" "$LIBPATH" "$LIBRARY_IF" ListMedia |
    jq -r '.data[0][] | "\(.[0]) \(.[1]) \(.[2]) \(.[3])"'
}

# Addresses of the empty storage slots, as mtx reads them (mtx numbers them from 1).
empty_slots() {
  mtx -f "$SG" status | sed -n 's/^ *Storage Element \([0-9]*\):Empty.*/\1/p' |
    while read -r n; do
      [ "$n" -le "$SLOTS" ] && echo $((ST_FIRST + n - 1))
    done
}
# mtx's number of the storage slot at address $1.
mtx_slot() { echo $(($1 - ST_FIRST + 1)); }
slot_of() { mtx_contents | awk -v b="$1" -v lo="$ST_FIRST" '$2 == b && $1 >= lo && !n++ { print $1 }'; }
port_of() { mtx_contents | awk -v b="$1" -v lo="$ST_FIRST" '$2 == b && $1 < lo && !n++ { print $1 }'; }

# Three changes behind ntmsd's back, then `ntmsctl inventory --wait`: a cartridge moved from slot
# to slot by mtx (MOVE MEDIUM from another program), one taken out (mtx moves it to the port and
# the operator takes it, tgtadm clear_slot), one new put into an empty slot (tgtadm). The job
# passes and the catalogue then equals the device: the moved one kept its GUID at its new slot,
# the missing one is gone, the new one listed.
check_inventory_ntmsctl() {
  need_library || return 1
  port_clear
  local empty moved_from moved_to gone_from new_slot guid_before out=$WORK/inventory.json rc
  mapfile -t empty < <(empty_slots)
  [ "${#empty[@]}" -ge 2 ] || { note "needs two empty slots, has ${#empty[@]}"; return 1; }
  moved_from=$(slot_of VMN001L8) gone_from=$(slot_of VMN002L8)
  if [ -z "$moved_from" ] || [ -z "$gone_from" ]; then
    note "VMN001L8 or VMN002L8 is not in a slot:"; mtx_contents; return 1
  fi
  moved_to=${empty[0]} new_slot=${empty[1]}
  guid_before=$(medium_guid VMN001L8)
  mtx -f "$SG" transfer "$(mtx_slot "$moved_from")" "$(mtx_slot "$moved_to")" >/dev/null ||
    { note "mtx transfer failed"; return 1; }
  if ! mtx -f "$SG" transfer "$(mtx_slot "$gone_from")" $((SLOTS + 1)) >/dev/null ||
    ! operator_remove "$IE_FIRST"; then
    note "taking VMN002L8 out through the port failed"; return 1
  fi
  tgt_element "element_type=2,address=$new_slot,barcode=VMI001L8,sides=1" || return 1
  note "behind ntmsd's back: VMN001L8 $moved_from -> $moved_to, VMN002L8 $gone_from -> out," \
    "VMI001L8 new in $new_slot"
  ntmsctl --json inventory "$LIB" --wait >"$out" 2>&1
  rc=$?
  note "ntmsctl --json inventory --wait exited $rc:"
  sed 's/^/  /' "$out"
  [ "$rc" = 0 ] && [ "$(jq -rs 'last | .state' "$out")" = PASSED ] || return 1
  note "ListMedia after the inventory:"
  db_contents_full | sed 's/^/  /'
  [ "$(medium_guid VMN001L8)" = "$guid_before" ] ||
    { note "VMN001L8 changed its GUID: $guid_before -> $(medium_guid VMN001L8)"; return 1; }
  db_contents | grep -qx "$moved_to VMN001L8 in-library" || { note "VMN001L8 not at $moved_to"; return 1; }
  [ "$(medium_state VMN002L8)" = gone ] || { note "VMN002L8 is $(medium_state VMN002L8), not gone"; return 1; }
  db_contents | grep -qx "$new_slot VMI001L8 in-library" || { note "VMI001L8 not listed at $new_slot"; return 1; }
  library_matches_mtx VMN001L8 VMI001L8
}

# `ntmsctl eject --wait` of a cartridge: it comes into the port, the operator takes it out
# (tgtadm clear_slot), ntmsctl exits 0 with the job PASSED, and the medium is listed gone.
check_eject_ntmsctl() {
  need_library || return 1
  port_clear
  local guid out=$WORK/eject.out pid rc port
  guid=$(medium_guid VMB001L8)
  [ -n "$guid" ] || { note "VMB001L8 is not listed"; return 1; }
  ntmsctl eject "$guid" --timeout 120 --wait >"$out" 2>&1 &
  pid=$!
  if ! wait_for 60 'port=$(port_of VMB001L8); [ -n "$port" ]'; then
    note "VMB001L8 never reached the port:"; sed 's/^/  /' "$out"; mtx_contents
    kill "$pid"; return 1
  fi
  note "VMB001L8 in port element $port; ListMedia says $(medium_state VMB001L8)"
  operator_remove "$port" || { kill "$pid"; return 1; }
  wait_for 60 '! kill -0 "$pid" 2>/dev/null' || { note "ntmsctl eject --wait did not return"; kill "$pid"; }
  wait "$pid"
  rc=$?
  note "ntmsctl eject --wait exited $rc:"
  sed 's/^/  /' "$out"
  [ "$rc" = 0 ] && grep -q '^PASSED' "$out" || return 1
  [ "$(medium_state VMB001L8)" = gone ] || { note "VMB001L8 is $(medium_state VMB001L8), not gone"; return 1; }
  library_matches_mtx
}

# rsm_client (tests/libntms/rsm_client.c, written from Microsoft's RSM pages alone) against the
# installed libntms: a cartridge is put into a slot behind ntmsd's back, the client inventories
# the library, lists its drives and media (the new one among them), ejects VMB002L8 and waits;
# the operator takes it out of the port when the client says it waits.
check_rsm_client() {
  need_library || return 1
  port_clear
  local prog=$DISK/bin/rsm_client out=$WORK/rsm.out pid rc slot port media removed=0
  slot=$(empty_slots | head -n 1)
  [ -n "$slot" ] || { note "no empty slot"; return 1; }
  tgt_element "element_type=2,address=$slot,barcode=VMR001L8,sides=1" || return 1
  media=$(($(mtx_contents | wc -l)))
  note "VMR001L8 put into slot $slot behind ntmsd's back; the library holds $media cartridges"
  "$prog" "$LIB" --inventory --drives 2 --media "$media" --expect VMR001L8 --expect VMS001L8 \
    --eject VMB002L8 --timeout 120 >"$out" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$removed" = 0 ] && grep -q '^# waiting:' "$out"; then
      wait_for 30 'port=$(port_of VMB002L8); [ -n "$port" ]' &&
        operator_remove "$port" && removed=1
      note "the operator took VMB002L8 out of port element ${port:-?}"
      [ "$removed" = 1 ] || removed=2
    fi
    sleep 0.2
  done
  wait "$pid"
  rc=$?
  note "rsm_client exited $rc:"
  sed 's/^/  /' "$out"
  [ "$rc" = 0 ] && [ "$removed" = 1 ] && grep -q '^1\.\.[0-9]' "$out" &&
    ! grep -q '^not ok' "$out" || return 1
  [ "$(medium_state VMB002L8)" = gone ] || { note "VMB002L8 is $(medium_state VMB002L8), not gone"; return 1; }
  library_matches_mtx VMR001L8
}
