#!/bin/bash
# ntms-notify.service and its sysusers.d file, checked by the programs that read them:
# systemd-analyze verify (with the unit's man pages where Documentation= looks), its exposure
# (systemd-analyze security, at most MAX_EXPOSURE: the unit cannot set NoNewPrivileges= and the
# settings implying it, since sendmail may be set-user-ID, so the bar is not ntmsd.service's;
# ProtectKernelTunables= is among them, which the QEMU guest's exim4 showed),
# and systemd-sysusers on an empty root. TAP on stdout.
#   lint-unit.sh UNIT SYSUSERS PAGE...
set -uo pipefail
unit=$1 sysusers=$2
shift 2
max_exposure=6.1
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - # SKIP $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! command -v systemd-analyze >/dev/null; then
  skip "systemd-analyze is not installed (package systemd)"
else
  for page in "$@"; do
    mkdir -p "$tmp/man/man${page##*.}"
    cp "$page" "$tmp/man/man${page##*.}/"
  done
  if out=$(MANPATH="$tmp/man" systemd-analyze verify "$unit" 2>&1) && [ -z "$out" ]; then
    ok "systemd-analyze verify $(basename "$unit")"
  else
    not_ok "systemd-analyze verify $(basename "$unit")"
    printf '%s\n' "$out" | sed 's/^/# /'
  fi
  out=$(systemd-analyze security --offline=yes "$unit" 2>&1)
  level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p')
  if [ -n "$level" ] && awk -v l="$level" -v m="$max_exposure" 'BEGIN { exit !(l <= m) }'; then
    ok "systemd-analyze security --offline=yes: exposure $level (at most $max_exposure)"
  else
    not_ok "systemd-analyze security --offline=yes: exposure '$level' (at most $max_exposure)"
    printf '%s\n' "$out" | grep '✗' | sed 's/^/# /'
  fi
  # What the sandbox must leave to sendmail.
  # ProtectKernelTunables= filters _sysctl: exim4 then runs as the caller and cannot spool.
  for setting in NoNewPrivileges= SystemCallFilter= RestrictSUIDSGID= PrivateDevices= \
      DynamicUser= PrivateUsers= ProtectKernelTunables=; do
    if grep -q "^$setting" "$unit"; then
      not_ok "the unit sets $setting, which would stop a set-user-ID sendmail"
    else
      ok "the unit leaves $setting unset (sendmail may be set-user-ID)"
    fi
  done
  caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
  if [[ " $caps " == *" CAP_SETUID "* && " $caps " == *" CAP_SETGID "* ]]; then
    ok "the bounding set keeps CAP_SETUID and CAP_SETGID for a set-user-ID root MTA"
  else
    not_ok "the bounding set '$caps' lacks CAP_SETUID or CAP_SETGID"
  fi
fi

if ! command -v systemd-sysusers >/dev/null; then
  skip "systemd-sysusers is not installed (package systemd)"
else
  mkdir -p "$tmp/sysroot/etc"
  if out=$(systemd-sysusers --root="$tmp/sysroot" "$(realpath "$sysusers")" 2>&1) &&
      user=$(grep '^ntms-notify:' "$tmp/sysroot/etc/passwd") &&
      uid=$(cut -d: -f3 <<<"$user") && [ "$uid" -gt 0 ] && [ "$uid" -lt 1000 ] &&
      grep -q '^ntms-notify:' "$tmp/sysroot/etc/group"; then
    ok "systemd-sysusers creates the system user and group ntms-notify (uid $uid)"
  else
    not_ok "systemd-sysusers: no system user ntms-notify: $out ${user:-}"
  fi
fi
echo "1..$n"
exit $failed
