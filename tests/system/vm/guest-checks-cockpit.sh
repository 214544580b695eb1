# shellcheck shell=bash
# The Cockpit page's checks, sourced by guest-test.sh. The browser is on the host: run-vm-test.sh
# gives the guest a user-mode NIC whose only way in is a forwarded host port to the guest's 9090,
# and a third serial port (ttyS2) on which the host's browser-test.py and these checks talk, one
# line at a time:
#   guest -> host  "ready"                       cockpit.socket listens, the users exist
#   host -> guest  "insert ADDRESS BARCODE"      the operator puts a cartridge into the port
#   guest -> host  "inserted ADDRESS BARCODE" or "failed ..."
#   host -> guest  "diag NAME TEXT"              what the browser saw, for the result of NAME
#   host -> guest  "result NAME ok|fail TEXT"    the browser's verdict on NAME
# Each browser result is one check here, so it is one TAP result of the system test. The kernel
# command line says whether the host started a browser (ntms.browser=1); without one these
# checks fail, and host.log says why.
# wait_for evaluates its condition each time round: single quotes on purpose.
# shellcheck disable=SC2016

BROWSER_TTY=/dev/ttyS2
COCKPIT_OPERATOR=ntmsop # in group tape: USE and CONTROL of every library (ntmsd.conf's default)
COCKPIT_VIEWER=ntmsview # in no group of ntmsd.conf: no right
COCKPIT_PASSWORD=ntms-vm-cockpit
BROWSER_WAIT=${BROWSER_WAIT:-300} # seconds a browser check waits for the host's verdict
browser_ready=0

browser_wanted() { grep -q 'ntms\.browser=1' /proc/cmdline; }
browser_send() { printf '%s\n' "$*" >&5; }

# Reads the host's lines until "result $1 ..." arrives, doing what the operator is asked to do
# meanwhile; prints the diagnostics and returns 0 for "ok".
browser_result() {
  local want=$1 line cmd name verdict text deadline=$((SECONDS + BROWSER_WAIT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    IFS= read -r -t 5 line <&5 || continue
    line=${line%$'\r'}
    read -r cmd name verdict text <<<"$line"
    case "$cmd" in
      insert)
        if [ -n "$LIB" ] && operator_insert "$name" "$verdict"; then
          note "the operator put $verdict into port element $name (tgtadm)"
          browser_send "inserted $name $verdict"
        else
          browser_send "failed insert $name $verdict"
        fi ;;
      diag) [ "$name" = "$want" ] && note "browser: $verdict $text" ;;
      result)
        [ "$name" = "$want" ] || continue
        note "browser: $verdict $text"
        [ "$verdict" = ok ]
        return ;;
    esac
  done
  note "no verdict from the host's browser on $want within $BROWSER_WAIT s"
  return 1
}

# eth0 for the forwarded port, cockpit.socket, an operator and a viewer who may log in.
check_cockpit() {
  need_library || return 1
  if ! browser_wanted; then
    note "the host started no browser (ntms.browser=1 is not on the kernel command line); see host.log"
    return 1
  fi
  [ -f /usr/share/cockpit/ntms/manifest.json ] || { note "the page is not installed"; return 1; }
  # A free slot for the page's inject, and an empty port: earlier checks may have filled both.
  port_clear
  slot_free || return 1
  # eth0 (QEMU's user-mode NIC) at the address its port forwarding goes to; no gateway, no DNS:
  # the guest answers the forwarded connections and reaches nothing else.
  [ -e /sys/class/net/eth0 ] || { note "no eth0: $(ls /sys/class/net)"; return 1; }
  mkdir -p /run/systemd/network
  printf '[Match]\nName=eth0\n\n[Network]\nAddress=10.0.2.15/24\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' \
    >/run/systemd/network/50-ntms-vm-eth0.network
  systemctl start systemd-networkd.service || return 1
  wait_for 30 'networkctl status eth0 2>/dev/null | grep -q "10.0.2.15"' ||
    { note "eth0 has no address:"; networkctl status eth0 --no-pager 2>&1 | tail -n 15; return 1; }
  local u
  for u in "$COCKPIT_OPERATOR" "$COCKPIT_VIEWER"; do
    id "$u" >/dev/null 2>&1 || useradd -m -s /bin/bash "$u" || return 1
    echo "$u:$COCKPIT_PASSWORD" | chpasswd || return 1
  done
  usermod -a -G tape "$COCKPIT_OPERATOR" || return 1
  note "$(id "$COCKPIT_OPERATOR"); $(id "$COCKPIT_VIEWER")"
  systemctl start cockpit.socket || return 1
  # The first connection starts cockpit.service (and makes its certificate): done here, once.
  wait_for 60 'curl -ksf -o /dev/null https://127.0.0.1:9090/' ||
    { note "cockpit-ws does not answer on 9090"; systemctl status cockpit.service --no-pager -n 10; return 1; }
  stty -F "$BROWSER_TTY" raw -echo 115200 || return 1
  exec 5<>"$BROWSER_TTY"
  browser_send "ready"
  browser_ready=1
  note "cockpit.socket up after $(uptime_s) s of uptime; told the host"
}

browser_check() {
  [ "$browser_ready" = 1 ] || { note "the cockpit check did not get the page ready for the browser"; return 1; }
  browser_result "$1"
}

# The operator logs in, the page lists the library and its slot map.
check_browser_login() { browser_check login; }

# Inject from the page, the operator fills the port, Satisfy from the page: the page shows the
# job PASSED and the cartridge in a slot; mtx and the database agree.
check_browser_inject() {
  browser_check inject || return 1
  library_matches_mtx VMW001L8
}

# The viewer sees every action disabled, with the reason.
check_browser_viewer() { browser_check viewer; }
