#!/bin/bash
# ntmsd on a bus whose policy does not let it own org.ntms.Ntms1: it exits 1 at once and says
# which bus (DBUS_SYSTEM_BUS_ADDRESS) refused it and which policy file is missing.
set -euo pipefail
ntmsd=$1
command -v dbus-daemon >/dev/null || { echo "dbus-daemon is not installed (package dbus)"; exit 1; }
dir=$(mktemp -d)
trap 'kill "$(cat "$dir/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$dir"' EXIT
cat > "$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <deny own="*"/>
  </policy>
</busconfig>
CONF
dbus-daemon --config-file="$dir/bus.conf" --fork --nopidfile --print-pid=1 > "$dir/pid"
for _ in $(seq 50); do [ -S "$dir/bus" ] && break; sleep 0.1; done
address="unix:path=$dir/bus"
rc=0
DBUS_SYSTEM_BUS_ADDRESS=$address timeout 20 "$ntmsd" --no-discover --database "$dir/ntmsd.db" \
  2> "$dir/err" || rc=$?
cat "$dir/err"
fail=0
[ "$rc" -eq 1 ] || { echo "FAIL: exit status $rc, expected 1"; fail=1; }
grep -qF "cannot serve org.ntms.Ntms1 on the bus at DBUS_SYSTEM_BUS_ADDRESS=$address" "$dir/err" ||
  { echo "FAIL: the message does not name the bus"; fail=1; }
grep -qF "org.ntms.Ntms1.conf" "$dir/err" || { echo "FAIL: the message does not name the policy"; fail=1; }
[ "$fail" -eq 0 ] && echo "ok: refused with a message naming the bus and the policy"
exit "$fail"
