#!/bin/bash
# Installs, from Debian 12's packages, everything the build, make demo, make check (every test
# and benchmark), with --packaging what make deb uses and with --fuzz what make fuzz uses (clang
# and libFuzzer, which nothing else needs). Idempotent: silent and quick when every package is
# there.
#
#   tools/deps.sh [--packaging] [--fuzz]          install what is missing (as root)
#   tools/deps.sh --list [--packaging] [--fuzz]   print the package list, one a line
#
# Packages are installed without recommends and with a policy-rc.d that lets no maintainer script
# start a service; services they enable at boot (ssh, tgt) are disabled again afterwards: the tests
# start their own sshd and tgtd on free ports and stop them. A service that was enabled before
# stays as it was.
# Environment (for tests/system/deps-test.sh): NTMS_DEPS_POLICY_RC_D (/usr/sbin/policy-rc.d),
# NTMS_DEPS_UNIT_DIR (/etc/systemd/system).
set -euo pipefail

packages=(
  # the build
  make meson ninja-build pkg-config g++ gcc dpkg-dev python3
  libfmt-dev libsystemd-dev libsdbus-c++-dev libsdbus-c++-bin libsqlite3-dev
  libgtest-dev libgmock-dev libinih-dev libiscsi-dev
  # the tests: processes, the private bus, man pages, tgt, sshd, polkit
  procps iproute2 util-linux dbus systemd sqlite3 jq mandoc man-db libiscsi-bin
  tgt openssh-server openssh-client polkitd pkexec libxml2-utils
  # <ntmsapi.h> compared with mingw-w64's, compiled by clang for the Windows targets
  mingw-w64-common clang-14
  # the QEMU system test and make check-fresh
  qemu-system-x86 qemu-utils debootstrap e2fsprogs binutils wget mtx git
  # the browser test of the Cockpit page in the QEMU guest, driven from here
  chromium chromium-driver python3-selenium
)
packaging=(debhelper dpkg-dev fakeroot lintian)
fuzz=(clang-14 libclang-rt-14-dev)

list=0 with_packaging=0 with_fuzz=0
for a in "$@"; do
  case $a in
    --list) list=1 ;;
    --packaging) with_packaging=1 ;;
    --fuzz) with_fuzz=1 ;;
    *) echo "deps: unknown argument $a (usage: deps.sh [--list] [--packaging] [--fuzz])" >&2; exit 2 ;;
  esac
done
[ "$with_packaging" = 0 ] || packages+=("${packaging[@]}")
[ "$with_fuzz" = 0 ] || packages+=("${fuzz[@]}")
if [ "$list" = 1 ]; then
  printf '%s\n' "${packages[@]}" | sort -u
  exit 0
fi

# One dpkg-query for all: the installed ones, then the others.
installed() {
  dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null | awk '/ install ok installed$/ { print $1 }'
}
mapfile -t missing < <(comm -23 <(printf '%s\n' "${packages[@]}" | sort -u) <(installed "${packages[@]}" | sort -u))
[ ${#missing[@]} -gt 0 ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run as root (or: sudo apt-get install --no-install-recommends ${missing[*]})" >&2
  exit 1
fi

policy=${NTMS_DEPS_POLICY_RC_D:-/usr/sbin/policy-rc.d}
unit_dir=${NTMS_DEPS_UNIT_DIR:-/etc/systemd/system}

# Boot-time links of units, to tell the ones this installation adds from the ones that were there.
enabled_units() {
  find "$unit_dir" -mindepth 2 -maxdepth 2 -path '*.wants/*' \
    \( -name '*.service' -o -name '*.socket' -o -name '*.timer' \) -printf '%f\n' \
    2>/dev/null | sort -u
}

echo "deps: installing ${#missing[@]} Debian packages and what they depend on:"
echo "      ${missing[*]}" | fold -s -w 96
echo "deps: on a fresh system this is about 180 packages and 400 MB from your mirror, 3 to 10"
echo "      minutes; no service is started or left enabled (the tests start their own)."
start=$(date +%s)
before=$(enabled_units)

own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# tools/deps.sh: no service starts while it installs packages.\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
fi
remove_policy() { if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi; }
trap remove_policy EXIT

export DEBIAN_FRONTEND=noninteractive
echo "deps: apt-get update"
apt-get update -q | grep -vE '^(Hit|Get|Ign):' || true
echo "deps: apt-get install"
# -q: one line per package downloaded, unpacked and set up, without a progress bar in logs.
apt-get install -y -q --no-install-recommends "${missing[@]}" |
  grep -E '^(Get:|Setting up|E:|W:)' | sed -E 's/^Get:[0-9]+ [^ ]+ [^ ]+ [^ ]+ /  get /; s/^Setting up /  set up /' ||
  true
if [ "$(installed "${missing[@]}" | wc -l)" -ne ${#missing[@]} ]; then
  echo "deps: apt-get install did not install every package (see above)" >&2
  exit 1
fi

# Services the new packages enabled at boot: nobody asked for them. Those of systemd itself
# (getty@tty1, systemd-pstore, where deps.sh brought systemd in) make the system bootable.
of_systemd() {
  local file=${1/@*./@.} owner
  owner=$(dpkg -S "/lib/systemd/system/$file" "/usr/lib/systemd/system/$file" 2>/dev/null |
    head -n 1 | cut -d: -f1)
  [ "$owner" = systemd ] || [ "$owner" = systemd-sysv ]
}
disabled=()
for unit in $(comm -13 <(echo "$before") <(enabled_units)); do
  of_systemd "$unit" && continue
  if systemctl --root=/ disable "$unit" >/dev/null 2>&1 || systemctl disable "$unit" >/dev/null 2>&1; then
    disabled+=("$unit")
  fi
done
echo "deps: done in $(($(date +%s) - start)) s.${disabled[*]:+ Disabled what they enabled at boot: ${disabled[*]}.}"
