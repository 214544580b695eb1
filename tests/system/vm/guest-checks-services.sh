# shellcheck shell=bash
# The system test's checks of the programs around ntmsd that other services consume, sourced by
# guest-test.sh (its helpers, variables and the library it found are used here): ntms-notify
# mailing through Debian's exim4 into a local mailbox, and ntms-metrics.service's file read by
# Debian's prometheus-node-exporter. Each check_NAME prints its diagnostics and returns 0 when it
# passed.
# wait_for evaluates its condition each time round: single quotes on purpose.
# shellcheck disable=SC2016

NOTIFY_USER=tapeop
NOTIFY_MBOX=/var/mail/$NOTIFY_USER
OFFLINE_ID=360f56304a3d4219b49176f0379bdcec

# The messages of an mbox file with a header "Subject: $2": each message on one line, its
# lines joined by \x1f, so that grep and awk see one message at a time.
mbox_messages() {
  [ -f "$1" ] || return 0
  awk 'BEGIN { ORS = "" } /^From / && NR > 1 { print "\n" } { print $0 "\x1f" } END { print "\n" }' "$1" |
    grep -F -- $'\x1f'"Subject: $2"$'\x1f'
}

# The header $2 of the one-line message $1 (as mbox_messages prints it).
mail_header() { tr '\037' '\n' <<<"$1" | sed -n "/^\$/q; s/^$2: //p" | head -n 1; }

# mail_has MESSAGE WHAT TEXT: the message (one line) contains TEXT, else a note naming WHAT.
mail_has() {
  grep -qF -- "$3" <<<"$1" && return 0
  note "the mail has no $2 ('$3')"
  return 1
}

# exim4 as Debian configures it by default, local delivery only; ntms-notify mails a local user
# when an inject job posts its operator request and when the library goes offline (iSCSI
# logout); the mails are in the user's mailbox with the subjects and texts of ntmsd's catalog.
check_notify_mail() {
  need_library || return 1
  local conf=/etc/exim4/update-exim4.conf.conf name since m rc=0 t0
  if ! grep -q "^dc_eximconfig_configtype='local'" "$conf"; then
    note "exim4 was configured '$(sed -n 's/^dc_eximconfig_configtype=//p' "$conf")': made local-only"
    sed -i "s/^dc_eximconfig_configtype=.*/dc_eximconfig_configtype='local'/" "$conf"
    update-exim4.conf || return 1
  fi
  t0=$SECONDS
  systemctl start exim4.service || { systemctl status exim4.service --no-pager -n 10; return 1; }
  note "exim4 started in $((SECONDS - t0)) s"
  id "$NOTIFY_USER" >/dev/null 2>&1 || useradd --create-home "$NOTIFY_USER" || return 1
  rm -f "$NOTIFY_MBOX"
  mkdir -p /etc/ntms
  printf '[Notify]\nTo=%s@localhost\n' "$NOTIFY_USER" >/etc/ntms/notify.conf
  t0=$SECONDS
  systemctl enable --now ntms-notify.service ||
    { systemctl status ntms-notify.service --no-pager -n 20; return 1; }
  note "ntms-notify $(systemctl is-active ntms-notify.service) as" \
    "$(ps -o user= -p "$(systemctl show -P MainPID ntms-notify.service)") after $((SECONDS - t0)) s"
  name=$(lib_prop Name)
  since=$(date '+%Y-%m-%d %H:%M:%S')

  # An inject job waits for the operator: its request to fill the port is mailed.
  port_clear
  slot_free || return 1
  inject_busctl 120 vm-notify || return 1
  wait_for 30 '[ "$(job_prop State)" = 5 ]' || { note "job not waiting: $(job_summary)"; return 1; }
  if wait_for 30 'm=$(mbox_messages "$NOTIFY_MBOX" "Put cartridges into the port of library $name") && [ -n "$m" ]'; then
    note "request mail: $(mail_header "$m" Subject)"
    [ "$(wc -l <<<"$m")" = 1 ] || { note "the request was mailed $(wc -l <<<"$m") times"; rc=1; }
    mail_has "$m" "recipient" "To: $NOTIFY_USER@localhost" || rc=1
    mail_has "$m" "RFC 3834 header" "Auto-Submitted: auto-generated" || rc=1
    mail_has "$m" "text/plain UTF-8 type" "Content-Type: text/plain; charset=utf-8" || rc=1
    mail_has "$m" "catalog text with the job" "An inject job ($JOB) has opened" || rc=1
    mail_has "$m" "library GUID" "($LIB)" || rc=1
  else
    note "no mail 'Put cartridges into the port of library $name' in $NOTIFY_MBOX within 30 s"
    rc=1
  fi
  manager InjectMedia 'susa{sv}' "$LIB" 1 "$JOB" 0 >/dev/null || { note "InjectMedia STOP failed"; rc=1; }
  wait_for 30 'final_state "$(job_prop State)"' || { note "job did not end: $(job_summary)"; rc=1; }

  # The cable is pulled: the offline mail has the reason of the journal's record.
  iscsi_logout || return 1
  if wait_for 30 'm=$(mbox_messages "$NOTIFY_MBOX" "Library $name is offline") && [ -n "$m" ]'; then
    note "offline mail: $(mail_header "$m" Subject)"
    mail_has "$m" "catalog text" "ntmsd cannot use library $name ($LIB)" || rc=1
    mail_has "$m" "message of the journal" "Library $name (" || rc=1
    # The logout is seen twice, in either order: the next poll fails on the lost session, and
    # udev reports the device removed. Each is a record with its own reason; the mail is sent
    # once, for the change from online, and bears the reason of the first the bus announced (or
    # of both together). journald may write a record a moment after the mail is delivered.
    local reasons reason found=0 i
    for ((i = 0; i < 50; i++)); do
      reasons=$(journalctl -u ntmsd --since "$since" MESSAGE_ID=$OFFLINE_ID -o json |
        jq -r 'select(.NTMS_REASON != null) | .NTMS_REASON')
      [ -n "$reasons" ] && break
      sleep 0.2
    done
    while IFS= read -r reason; do
      [ -n "$reason" ] || continue
      note "the journal's reason: '$reason'"
      grep -qF -- "$reason" <<<"$m" && found=1
    done <<<"$reasons"
    [ "$found" = 1 ] || { note "the mail has none of the journal's reasons"; rc=1; }
  else
    note "no mail 'Library $name is offline' in $NOTIFY_MBOX within 30 s (library $(lib_prop State))"
    rc=1
  fi
  iscsi_login || { note "login again failed"; return 1; }
  wait_for 30 '[ "$(lib_prop State)" = online ]' || { note "library $(lib_prop State) after login"; rc=1; }
  if [ "$rc" != 0 ]; then
    note "journalctl -u ntms-notify:"; journalctl -b -u ntms-notify --no-pager -o cat | tail -n 10 | sed 's/^/  /'
    note "exim4's mainlog:"; tail -n 10 /var/log/exim4/mainlog 2>/dev/null | sed 's/^/  /'
    note "$NOTIFY_MBOX:"; [ -f "$NOTIFY_MBOX" ] && head -n 40 "$NOTIFY_MBOX" | sed 's/^/  /'
  fi
  journalctl -b -u ntms-notify --no-pager -o cat | grep -F 'mailed' | sed 's/^/  /'
  systemctl disable --now ntms-notify.service 2>/dev/null
  systemctl stop exim4.service
  [ "$rc" = 0 ] && library_matches_mtx
}

# The value of the series $2 (name and labels exactly as exposed) in the exposition text $1.
series_value() { awk -v s="$2" '$1 == s { print $2; found = 1; exit } END { exit !found }' <<<"$1"; }

# ntms-metrics.service writes its file once; Debian's prometheus-node-exporter, reading its
# default textfile directory, exposes the ntms_ series on :9100 with the library's figures as
# mtx reads them, and reports no error reading the file.
check_metrics_node_exporter() {
  need_library || return 1
  local dir=/var/lib/prometheus/node-exporter out name full ports t0 rc=0 v
  [ -d "$dir" ] || { note "$dir does not exist: is prometheus-node-exporter installed?"; return 1; }
  t0=$SECONDS
  systemctl start ntms-metrics.service ||
    { systemctl status ntms-metrics.service --no-pager -n 10; return 1; }
  [ "$(systemctl show -P Result ntms-metrics.service)" = success ] && [ -s "$dir/ntms.prom" ] ||
    { note "ntms-metrics.service left no $dir/ntms.prom"; journalctl -b -u ntms-metrics --no-pager -o cat | tail -n 5; return 1; }
  note "ntms-metrics.service wrote $(wc -l <"$dir/ntms.prom") lines in $((SECONDS - t0)) s" \
    "($(stat -c '%U %a' "$dir/ntms.prom"))"
  systemctl start ntms-metrics.timer || rc=1
  note "ntms-metrics.timer: $(systemctl is-active ntms-metrics.timer), next $(systemctl show -P NextElapseUSecRealtime ntms-metrics.timer)"
  t0=$SECONDS
  systemctl start prometheus-node-exporter.service || return 1
  wait_for 30 'out=$(curl -fsS http://127.0.0.1:9100/metrics 2>/dev/null) && grep -q "^ntms_" <<<"$out"' ||
    { note "no ntms_ series on http://127.0.0.1:9100/metrics within 30 s"
      journalctl -b -u prometheus-node-exporter --no-pager -o cat | tail -n 10; systemctl stop prometheus-node-exporter.service; return 1; }
  note "node-exporter answered after $((SECONDS - t0)) s; its ntms_ series:"
  grep '^ntms_' <<<"$out" | grep -v '_bucket{' | sed 's/^/  /'
  name=$(lib_prop Name)
  full=$(mtx_contents | awk -v lo="$ST_FIRST" '$1 >= lo' | wc -l)
  ports=$(mtx_contents | awk -v lo="$ST_FIRST" '$1 < lo' | wc -l)
  note "mtx: $full of $SLOTS storage slots full, $ports cartridges in the port; ntmsd: $(lib_prop FreeSlots) free"
  expect() {
    v=$(series_value "$out" "$1") || { note "no series $1"; rc=1; return; }
    [ "$v" = "$2" ] || { note "$1 is $v, expected $2"; rc=1; }
  }
  expect "ntms_slots{library=\"$name\",state=\"full\"}" "$full"
  expect "ntms_slots{library=\"$name\",state=\"free\"}" "$((SLOTS - full))"
  expect "ntms_library_online{library=\"$name\"}" 1
  expect 'ntms_libraries{state="online"}' 1
  v=$(grep "^ntms_port_cartridges{library=\"$name\"" <<<"$out" | awk '{ s += $2 } END { print s + 0 }')
  [ "$v" = "$ports" ] || { note "ntms_port_cartridges add up to $v, mtx shows $ports in the port"; rc=1; }
  v=$(grep "^ntms_port_elements{library=\"$name\"" <<<"$out" | awk '{ s += $2 } END { print s + 0 }')
  [ "$v" = "$IE" ] || { note "ntms_port_elements add up to $v, the port has $IE"; rc=1; }
  grep -q '^ntms_jobs_total{' <<<"$out" || { note "no ntms_jobs_total series"; rc=1; }
  grep -q '^ntms_database_size_bytes{file="database"} [1-9]' <<<"$out" || { note "no ntms_database_size_bytes above 0"; rc=1; }
  expect node_textfile_scrape_error 0
  grep -q "^node_textfile_mtime_seconds{file=\"[^\"]*ntms.prom\"}" <<<"$out" ||
    { note "node-exporter does not name ntms.prom in node_textfile_mtime_seconds"; rc=1; }
  [ "$rc" = 0 ] || journalctl -b -u prometheus-node-exporter --no-pager -o cat | grep -i textfile | tail -n 5
  systemctl stop prometheus-node-exporter.service ntms-metrics.timer
  unset -f expect
  return "$rc"
}

