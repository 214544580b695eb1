#!/bin/bash
# Installs every build and test dependency from Debian's packages. Idempotent and quick when
# everything is already present.
set -euo pipefail

packages=(
  meson ninja-build pkg-config g++ gcc python3
  libfmt-dev libsystemd-dev libsdbus-c++-dev libsdbus-c++-bin libsqlite3-dev
  libgtest-dev libgmock-dev libinih-dev libiscsi-dev libiscsi-bin
  tgt sqlite3 dbus mandoc man-db jq systemd
  openssh-server openssh-client
  qemu-system-x86 qemu-utils debootstrap e2fsprogs mtx
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
