#!/bin/bash
# Checks the shipped man pages and system files with the programs that will read them:
#   mandoc -T lint and man -l on every page; systemd-analyze verify and security on the units;
#   systemd-sysusers on the sysusers.d file; dbus-daemon on the D-Bus policy.
# Usage: lint.sh --unit UNIT [--unit UNIT]... --dbus-policy CONF --sysusers FILE PAGE...
# The first UNIT must be named ntmsd.service; each has an ExecStart= binary that exists, and a
# timer comes with its service. Prints one line per
# check; exits 1 if any check failed. A check whose program is missing is skipped with a message,
# except mandoc and man, which the project depends on.
set -uo pipefail

max_exposure=2.0

units=() policy='' sysusers=''
pages=()
while [ $# -gt 0 ]; do
  case "$1" in
    --unit) units+=("$2"); shift 2 ;;
    --dbus-policy) policy=$2; shift 2 ;;
    --sysusers) sysusers=$2; shift 2 ;;
    -*) echo "lint.sh: unknown option $1" >&2; exit 2 ;;
    *) pages+=("$1"); shift ;;
  esac
done
if [ ${#units[@]} -eq 0 ] || [ -z "$policy" ] || [ -z "$sysusers" ] || [ ${#pages[@]} -eq 0 ]; then
  echo "usage: lint.sh --unit UNIT [--unit UNIT]... --dbus-policy CONF --sysusers FILE PAGE..." >&2
  exit 2
fi

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
skip() { echo "SKIP: $*"; }
have() { command -v "$1" >/dev/null 2>&1; }

tmp=$(mktemp -d)
bus_pid=
cleanup() {
  if [ -n "$bus_pid" ]; then kill "$bus_pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Man pages: mandoc finds nothing at level warning or above, and man-db renders each page.
for page in "${pages[@]}"; do
  name=$(basename "$page")
  if ! have mandoc; then
    fail "$name: mandoc is not installed (package mandoc)"
  elif out=$(mandoc -T lint -W warning "$page" 2>&1) && [ -z "$out" ]; then
    pass "$name: mandoc -T lint -W warning is silent"
  else
    fail "$name: mandoc -T lint -W warning:"
    printf '%s\n' "$out" | sed 's/^/    /'
  fi

  if ! have man; then
    fail "$name: man is not installed (package man-db)"
  elif MANWIDTH=80 man -l "$page" >"$tmp/rendered" 2>"$tmp/man.err" && [ -s "$tmp/rendered" ] &&
      [ ! -s "$tmp/man.err" ]; then
    pass "$name: man -l renders $(wc -l <"$tmp/rendered") lines"
  else
    fail "$name: man -l did not render it cleanly:"
    sed 's/^/    /' "$tmp/man.err"
  fi
done

# The units. verify also looks up the man pages of Documentation=; give it the pages under test.
if ! have systemd-analyze; then
  skip "systemd-analyze is not installed (package systemd): unit not verified, exposure not measured"
else
  for page in "${pages[@]}"; do
    section=${page##*.}
    mkdir -p "$tmp/man/man$section"
    cp "$page" "$tmp/man/man$section/"
  done
  for unit in "${units[@]}"; do
    if out=$(MANPATH="$tmp/man" systemd-analyze verify "$unit" 2>&1) && [ -z "$out" ]; then
      pass "systemd-analyze verify $(basename "$unit")"
    else
      fail "systemd-analyze verify $(basename "$unit"):"
      printf '%s\n' "$out" | sed 's/^/    /'
    fi
  done

  for unit in "${units[@]}"; do
    [[ $unit == *.service ]] || continue
    out=$(systemd-analyze security --offline=yes "$unit" 2>&1)
    # "→ Overall exposure level for ntmsd.service: 1.5 OK 🙂"
    level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p')
    if [ -z "$level" ]; then
      fail "systemd-analyze security $(basename "$unit") printed no exposure level:"
      printf '%s\n' "$out" | sed 's/^/    /'
    elif awk -v l="$level" -v m="$max_exposure" 'BEGIN { exit !(l <= m) }'; then
      pass "systemd-analyze security --offline=yes $(basename "$unit"): exposure $level (at most $max_exposure)"
    else
      fail "systemd-analyze security --offline=yes $(basename "$unit"): exposure $level is over $max_exposure:"
      printf '%s\n' "$out" | grep '✗' | sed 's/^/    /'
    fi
  done
fi

# sysusers.d: applied to an empty root holding only Debian's group tape, it creates the system
# user ntmsd with its home in the state directory and makes it a member of tape.
if ! have systemd-sysusers; then
  skip "systemd-sysusers is not installed (package systemd): sysusers.d file not applied"
else
  root="$tmp/sysroot"
  mkdir -p "$root/etc"
  echo 'tape:x:26:' >"$root/etc/group"
  if ! out=$(systemd-sysusers --root="$root" "$(realpath "$sysusers")" 2>&1); then
    fail "systemd-sysusers failed:"
    printf '%s\n' "$out" | sed 's/^/    /'
  else
    user=$(grep '^ntmsd:' "$root/etc/passwd")
    uid=$(echo "$user" | cut -d: -f3)
    home=$(echo "$user" | cut -d: -f6)
    if [ -z "$user" ] || [ "$uid" -le 0 ] || [ "$uid" -ge 1000 ] || [ "$home" != /var/lib/ntmsd ]; then
      fail "systemd-sysusers: expected a system user ntmsd with home /var/lib/ntmsd, got '$user'"
    elif ! grep -Eq '^tape:x:26:(.*,)?ntmsd(,.*)?$' "$root/etc/group"; then
      fail "systemd-sysusers: ntmsd is not a member of tape: $(grep '^tape:' "$root/etc/group")"
    else
      pass "systemd-sysusers: system user ntmsd (uid $uid, home $home), member of tape"
    fi
  fi
fi

# D-Bus policy: a private bus with the system bus's default policy plus ours. dbus-daemon refuses
# a malformed file; nobody but root (and ntmsd, absent here) may own org.ntms.Ntms1.
request_name() { # ADDRESS [setpriv options...]: prints the reply or the error of RequestName
  local address=$1
  shift
  DBUS_SYSTEM_BUS_ADDRESS=$address "$@" dbus-send --system --print-reply --reply-timeout=5000 \
    --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.RequestName \
    string:org.ntms.Ntms1 uint32:4 2>&1
}
if ! have dbus-daemon || ! have dbus-send; then
  skip "dbus-daemon or dbus-send is not installed (package dbus): D-Bus policy not checked"
else
  chmod 755 "$tmp"
  cat >"$tmp/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$tmp/bus</listen>
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
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
  </policy>
  <include>$(realpath "$policy")</include>
</busconfig>
EOF
  if ! dbus-daemon --config-file="$tmp/bus.conf" --fork --print-pid=3 3>"$tmp/bus.pid" \
      2>"$tmp/bus.err"; then
    fail "dbus-daemon does not start with $(basename "$policy"):"
    sed 's/^/    /' "$tmp/bus.err"
  else
    bus_pid=$(cat "$tmp/bus.pid")
    address="unix:path=$tmp/bus"
    if [ "$(id -u)" -eq 0 ]; then
      if out=$(request_name "$address") && printf '%s\n' "$out" | grep -q 'uint32 1'; then
        pass "D-Bus policy: root may own org.ntms.Ntms1"
      else
        fail "D-Bus policy: root may not own org.ntms.Ntms1: $out"
      fi
      other=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
      who=nobody
    else
      other=()
      who="uid $(id -u)"
    fi
    if out=$(request_name "$address" "${other[@]}"); then
      fail "D-Bus policy: $who may own org.ntms.Ntms1: $out"
    elif printf '%s\n' "$out" | grep -q 'Error.AccessDenied'; then
      pass "D-Bus policy: $who may not own org.ntms.Ntms1"
    else
      fail "D-Bus policy: RequestName as $who failed unexpectedly: $out"
    fi
  fi
fi

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
