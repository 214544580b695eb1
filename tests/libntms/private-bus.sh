#!/bin/bash
# Runs a command against the real ntmsd on a private system bus: a dbus-daemon with the shipped
# policy, an ntmsd with its own database and simulated libraries, both stopped on exit.
#   private-bus.sh NTMSD POLICY [--library SPEC]... [--config FILE] [--database FILE]
#                  -- COMMAND [ARGS...]
# Without --config ntmsd reads an empty configuration (never the host's /etc/ntmsd), without
# --database it keeps one in the scratch directory. The command sees DBUS_SYSTEM_BUS_ADDRESS and
# NTMS_TEST_DIR, the scratch directory, where "state=@NAME" in a library spec puts NAME.
# The command runs once ntmsd owns org.ntms.Ntms1 (at most NTMS_BUS_READY_SECS, default 30, else
# an error) and its libraries have been read.
set -euo pipefail

# A missing tool stops at once, naming the Debian package (tools/deps.sh installs it).
need() {
  command -v "$1" >/dev/null || { echo "private-bus.sh: $1 is not installed (package $2)" >&2; exit 1; }
}
need dbus-daemon dbus
need busctl systemd
ntmsd=$1 policy=$2
shift 2
libraries=()
config= database=
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case $1 in
    --library) libraries+=(--library "$2"); shift 2 ;;
    --config) config=$2; shift 2 ;;
    --database) database=$2; shift 2 ;;
    *) echo "private-bus.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
shift

dir=$(mktemp -d)
[ -n "$config" ] || { config=$dir/ntmsd.conf; : > "$config"; }
[ -n "$database" ] || database=$dir/ntmsd.db
# Unprivileged test clients (ERROR_ACCESS_DENIED) must reach the bus socket in here.
chmod 755 "$dir"
bus_pid= daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null && wait "$bus_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

mkdir "$dir/policy"
cp "$policy" "$dir/policy/"
cat > "$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/bus.socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"/>
  </policy>
  <includedir>$dir/policy</includedir>
</busconfig>
CONF
dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile 2>"$dir/bus.log" &
bus_pid=$!
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/bus.socket"
for _ in $(seq 100); do [ -S "$dir/bus.socket" ] && break; sleep 0.05; done

# State files named in the specs live in the scratch directory ("state=@NAME" there).
specs=()
for s in "${libraries[@]}"; do specs+=("${s//@/$dir/}"); done
NTMS_TEST_DIR=$dir
export NTMS_TEST_DIR
"$ntmsd" --log-stderr --no-discover --config "$config" --database "$database" "${specs[@]}" \
  2> "$dir/ntmsd.log" &
daemon_pid=$!
# Ready once ntmsd owns its name. Asked of the bus itself: `busctl status` would also read the
# owner's cgroup and fails where there is no systemd cgroup tree (containers, chroots).
owned() {
  [ "$(busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
    NameHasOwner s org.ntms.Ntms1 2>/dev/null)" = "b true" ]
}
ready_secs=${NTMS_BUS_READY_SECS:-30}
for _ in $(seq $((ready_secs * 20))); do
  owned && break
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$dir/ntmsd.log" >&2; exit 1; }
  sleep 0.05
done
if ! owned; then
  echo "private-bus.sh: ntmsd did not take the name org.ntms.Ntms1 within $ready_secs s" >&2
  tail -20 "$dir/ntmsd.log" >&2
  kill -KILL "$daemon_pid" 2>/dev/null
  wait "$daemon_pid" 2>/dev/null || true
  daemon_pid=
  exit 1
fi

# A library is usable once its worker has read the element status, or found it offline: until
# then it has no slots, and an inject would find it full.
settled() {
  local p paths
  paths=$(busctl --system call org.ntms.Ntms1 /org/ntms/Ntms1 org.ntms.Ntms1.Manager \
    ListLibraries) || return 1
  for p in $paths; do
    p=${p//\"/} # busctl quotes each path
    [[ $p == /* ]] || continue
    [ "$(busctl --system get-property org.ntms.Ntms1 "$p" org.ntms.Ntms1.Library Slots)" != "u 0" ] ||
      [ "$(busctl --system get-property org.ntms.Ntms1 "$p" org.ntms.Ntms1.Library State)" = 's "offline"' ] ||
      return 1
  done
}
for _ in $(seq 600); do
  settled && break
  sleep 0.05
done
settled || echo "private-bus.sh: a library still has no slots after 30 s" >&2

rc=0
"$@" || rc=$?
[ $rc -eq 0 ] || { echo "--- ntmsd log" >&2; tail -30 "$dir/ntmsd.log" >&2; }
exit $rc
