#!/bin/bash
# OpenNtmsSession("host") the way it reaches another host: sd-bus runs
#   ssh -xT -- HOST systemd-stdio-bridge
# and the far side's bridge joins that host's system bus. Here the far side is this machine
# through a real sshd on 127.0.0.1 with throwaway keys and a free port, the bus a private one
# with ntmsd on it. An `ssh` wrapper first in PATH adds the port, key and known-hosts file (ssh
# takes no configuration from $HOME here). systemd 252's bridge always connects to
# /run/dbus/system_bus_socket, so sshd's ForceCommand runs it with --bus-path of the private bus,
# after checking that the command asked for was exactly "systemd-stdio-bridge". TAP on stdout.
#   run-remote.sh UNINSTALLED-PC-DIR NTMSD POLICY NTMS-SIM NTMSCTL
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=tap.sh
. "$here/tap.sh"

if [ "${1:-}" != --inside ]; then
  pcdir=$1 ntmsd=$2 policy=$3 sim=$4 ctl=$5
  sshd=/usr/sbin/sshd
  # A missing tool is one failure naming its Debian package (tools/deps.sh installs it).
  need() {
    command -v "$1" >/dev/null && return 0
    printf '1..1\nnot ok 1 - %s is not installed (package %s)\n' "$1" "$2"
    exit 0
  }
  need "$sshd" openssh-server
  need ssh openssh-client
  need ssh-keygen openssh-client
  need systemd-stdio-bridge systemd
  need python3 python3
  need jq jq
  tmp=$(mktemp -d)
  cleanup() {
    # sshd is stopped by the inner script; this is for when that one was killed.
    local pid
    pid=$(cat "$tmp/sshd.pid" 2>/dev/null) || pid=
    if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$tmp/sshd_config"; then
      kill "$pid"
    fi
    rm -rf "$tmp"
  }
  trap cleanup EXIT
  trap 'exit 143' TERM INT
  if ! "$here/compile-api.sh" c99 "$pcdir" "$tmp/test_api"; then
    tap_not_ok "test_api.c compiles with the flags of pkg-config libntms"
    tap_plan
    exit 0
  fi
  tap_run "remote sessions" "$here/private-bus.sh" "$ntmsd" "$policy" \
    --library 'lab=sim:lab,slots=20,ie=1,fill=4,move-ms=10,state=@lab.state' \
    -- "$0" --inside "$tmp" "$sim" "$ctl"
  tap_plan
  exit 0
fi

# Inside private-bus.sh: DBUS_SYSTEM_BUS_ADDRESS names the private bus.
tmp=$2 sim=$3 ctl=$4
sshd_pid=
stop_sshd() {
  if [ -n "$sshd_pid" ]; then
    kill "$sshd_pid" 2>/dev/null || true
    wait "$sshd_pid" 2>/dev/null || true
  fi
  sshd_pid=
  rm -f "$tmp/sshd.pid"
}
finish() {
  stop_sshd
  # sshd's log explains a refused login or a dead bridge.
  if [ "$tap_failed" -ne 0 ]; then
    echo "--- sshd log" >&2
    cat "$tmp/sshd.log" >&2 || true
  fi
}
trap finish EXIT
trap 'exit 143' TERM INT

ssh-keygen -q -t ed25519 -N '' -C ntms-test-host -f "$tmp/host_key"
ssh-keygen -q -t ed25519 -N '' -C ntms-test-client -f "$tmp/client_key"
cp "$tmp/client_key.pub" "$tmp/authorized_keys"

cat > "$tmp/bridge" <<BRIDGE
#!/bin/sh
echo "\$SSH_ORIGINAL_COMMAND" >> "$tmp/remote-commands"
[ "\$SSH_ORIGINAL_COMMAND" = systemd-stdio-bridge ] || { echo "unexpected command: \$SSH_ORIGINAL_COMMAND" >&2; exit 1; }
exec systemd-stdio-bridge --bus-path="\$DBUS_SYSTEM_BUS_ADDRESS"
BRIDGE
chmod 755 "$tmp/bridge"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sshd refuses to start without its privilege separation directory (packaged as tmpfiles.d).
mkdir -p /run/sshd
# The far side's shell runs the bridge; with root's real HOME it would first run root's
# dotfiles, whose output would corrupt the D-Bus stream.
mkdir "$tmp/home"
for _ in 1 2 3; do
  port=$(free_port)
  cat > "$tmp/sshd_config" <<CONF
ListenAddress 127.0.0.1:$port
HostKey $tmp/host_key
PidFile $tmp/sshd.pid
AuthorizedKeysFile $tmp/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
SetEnv DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS HOME=$tmp/home
ForceCommand $tmp/bridge
LogLevel VERBOSE
CONF
  /usr/sbin/sshd -D -f "$tmp/sshd_config" -E "$tmp/sshd.log" &
  sshd_pid=$!
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break 2; fi
    kill -0 "$sshd_pid" 2>/dev/null || break
    sleep 0.05
  done
  stop_sshd # the port was taken meanwhile, or sshd did not start: try another
done
if [ -z "$sshd_pid" ]; then
  tap_not_ok "sshd listens on 127.0.0.1"
  exit 1
fi
tap_ok "sshd listens on 127.0.0.1:$port"

# The client side: what sd-bus execs as "ssh", with this test's port, key and known host.
{
  printf '[localhost]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$tmp/host_key.pub")"
  printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$tmp/host_key.pub")"
} > "$tmp/known_hosts"
mkdir "$tmp/bin"
cat > "$tmp/bin/ssh" <<WRAPPER
#!/bin/sh
echo "\$*" >> "$tmp/ssh-commands"
exec /usr/bin/ssh -F /dev/null -p $port -i "$tmp/client_key" -o IdentitiesOnly=yes \
  -o BatchMode=yes -o UserKnownHostsFile="$tmp/known_hosts" -o GlobalKnownHostsFile=/dev/null \
  -o StrictHostKeyChecking=yes -o ConnectTimeout=10 "\$@"
WRAPPER
chmod 755 "$tmp/bin/ssh"
export PATH=$tmp/bin:$PATH

# busctl --host takes the same road: proof that the far side is set up, whatever libntms does.
version=$(busctl --host localhost get-property org.ntms.Ntms1 /org/ntms/Ntms1 \
  org.ntms.Ntms1.Manager Version 2>&1) || true
echo "# busctl --host localhost get-property ... Version: ${version//$'\n'/ }"
tap_check "busctl --host localhost reads ntmsd's Version through sshd" \
  bash -c '[[ $1 == "s \""* ]]' _ "$version"
: > "$tmp/ssh-commands"
: > "$tmp/remote-commands"

# 127.0.0.2 is a loopback address sshd does not listen on: refused at once, no DNS involved.
tap_run "test_api remote" "$tmp/test_api" remote "$sim" localhost root@localhost 127.0.0.2

# sd-bus's own command line, on both ends.
tap_check "sd-bus ran ssh -xT -- HOST systemd-stdio-bridge for HOST and USER@HOST" \
  bash -c 'grep -qx -- "-xT -- localhost systemd-stdio-bridge" "$1" &&
           grep -qx -- "-xT -- root@localhost systemd-stdio-bridge" "$1"' _ "$tmp/ssh-commands"
tap_check "the far side was asked for systemd-stdio-bridge only" \
  bash -c '[ -s "$1" ] && ! grep -vqx systemd-stdio-bridge "$1"' _ "$tmp/remote-commands"

out=$("$ctl" --host localhost libraries 2>"$tmp/ctl.err") || true
tap_check "ntmsctl --host localhost libraries lists the far side's library" \
  bash -c '[[ $1 == *" lab "* ]]' _ "$out"
out=$("$ctl" --host localhost --json libraries 2>>"$tmp/ctl.err") || true
tap_check "ntmsctl --host localhost --json libraries: lab with 20 slots" \
  bash -c '[ "$(jq -r ".[] | select(.name==\"lab\") | .slots" <<<"$1")" = 20 ]' _ "$out"
rc=0
"$ctl" --host 127.0.0.2 libraries >/dev/null 2>>"$tmp/ctl.err" || rc=$?
tap_check "ntmsctl --host of an unreachable host exits 3 (unreachable)" test "$rc" -eq 3
if [ "$tap_failed" -ne 0 ]; then
  sed 's/^/ntmsctl: /' "$tmp/ctl.err" >&2
  exit 1 # private-bus.sh then shows ntmsd's log too
fi
