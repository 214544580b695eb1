#!/bin/bash
# Builds the Debian 12 guest image of the QEMU system test, or finds it in its cache.
#
#   build-image.sh [PACKAGE...]
#
# The image is a minimal bookworm (debootstrap --variant=minbase) with Debian's kernel, systemd as
# PID 1, tgt and the kernel iSCSI initiator, the tools an administrator uses (mtx, sg3-utils,
# lsscsi, busctl, journalctl, man) and the runtime libraries of the project; PACKAGEs are added
# to that list (the runner passes the Debian packages that the installed binaries link against).
# The project itself is not in the image: each run attaches it on a second disk, and the image's
# ntms-vm.service hands over to the guest-test.sh found there (see README.md, "System test").
#
# Packages come from the Debian mirror the host's apt uses (or $NTMS_VM_MIRROR). The result lives
# in ${NTMS_VM_CACHE:-/var/tmp/ntms-vm}/<key>/ (root.img, vmlinuz, initrd.img, image.info,
# installed.txt), where <key> is a hash of this script and the package list. A cached image is
# used when this same script made it and it holds every package asked for; otherwise a new one is
# built and replaces it. A build runs in a temporary directory renamed into place at the end,
# under a lock, so that an interrupted or concurrent build never leaves or uses a half image.
#
# Prints "image=DIR" and "built_seconds=N" (0 when cached) on stdout. Exit status: 0 ready,
# 77 no Debian mirror reachable (the caller skips with the message on stderr), 1 failed.
set -euo pipefail

SUITE=bookworm
CACHE=${NTMS_VM_CACHE:-/var/tmp/ntms-vm}
HERE=$(cd "$(dirname "$0")" && pwd)
SELF="$HERE/$(basename "$0")"

base_packages=(
  systemd systemd-sysv dbus udev kmod procps util-linux
  linux-image-amd64 initramfs-tools
  tgt open-iscsi sg3-utils mtx lsscsi
  man-db jq
  # the checks of the programs that use ntmsd: Bacula with ntms-changer, mail through a local
  # MTA, node-exporter's textfile collector, and Cockpit with the ntms page
  bacula-director-sqlite3 bacula-sd bacula-fd bacula-console
  exim4-daemon-light prometheus-node-exporter curl
  cockpit-ws cockpit-bridge cockpit-system
  # what debootstrap cannot choose among alternatives: the session bus dconf-service (for
  # glib-networking, for Cockpit) needs
  dbus-user-session
  libsdbus-c++1 libsqlite3-0 libfmt9 libiscsi7 libinih1 libsystemd0
)

# Packages whose dependencies offer alternatives that debootstrap, which always takes the first,
# gets wrong: bacula-director would bring bacula-director-pgsql, which conflicts with the sqlite3
# catalogue above. apt-get installs them in the new system once debootstrap is done.
apt_packages=(bacula-director)

die() { echo "build-image: $*" >&2; exit 1; }
skip() { echo "build-image: $*" >&2; exit 77; }

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot)"
need() { command -v "$1" >/dev/null || die "$1 is not installed (package $2)"; }
need debootstrap debootstrap
need mkfs.ext4 e2fsprogs
need wget wget
need sha256sum coreutils
need flock util-linux

# The first mirror of the host's apt sources that serves $SUITE: deb822 files
# (sources.list.d/*.sources) first, then one-line sources.list files. No host name is assumed.
host_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk -v suite="$SUITE" '
      function flush() {
        if (uris != "" && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") &&
            enabled != "no") { split(uris, u, " "); print u[1]; found = 1; exit }
        types = uris = suites = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "") }
      key == "types" { types = $0 } key == "uris" { uris = $0 }
      key == "suites" { suites = $0 } key == "enabled" { enabled = tolower($0) }
      END { if (!found) flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    # deb [options] URI SUITE COMPONENT...
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2 }'
  done
}

packages=("${base_packages[@]}" "$@")
package_list=$(printf '%s\n' "${packages[@]}" "${apt_packages[@]}" | sort -u)
include_list=$(printf '%s\n' "${packages[@]}" | sort -u)
recipe=$( { cat "$SELF"; echo "$SUITE"; } | sha256sum | cut -c1-16)
key=$( { echo "$recipe"; echo "$package_list"; } | sha256sum | cut -c1-16)

# An image made by this very script that already holds every package asked for will do, so that a
# new library the project links against rebuilds the image only when it is not there yet.
find_image() {
  local dir
  for dir in "$CACHE"/*/; do
    dir=${dir%/}
    [ -s "$dir/root.img" ] && [ -s "$dir/vmlinuz" ] && [ -s "$dir/initrd.img" ] || continue
    [ "$(sed -n 's/^recipe=//p' "$dir/image.info" 2>/dev/null)" = "$recipe" ] || continue
    [ -z "$(comm -23 <(echo "$package_list") <(sort -u "$dir/installed.txt"))" ] || continue
    echo "$dir"
    return 0
  done
  return 1
}

mkdir -p "$CACHE"
if image=$(find_image); then
  echo "image=$image"
  echo "built_seconds=0"
  exit 0
fi

# One builder at a time; whoever waited finds the image built by the other.
exec 9>"$CACHE/lock"
flock -w 900 9 || die "timed out waiting for another build of the guest image ($CACHE/lock)"
if image=$(find_image); then
  echo "image=$image"
  echo "built_seconds=0"
  exit 0
fi
image="$CACHE/$key"

mirror=${NTMS_VM_MIRROR:-}
origin=NTMS_VM_MIRROR
if [ -z "$mirror" ]; then
  mirror=$(host_mirror | grep -E '^(https?|file):' | head -n 1 || true)
  origin="the host's apt sources"
  [ -n "$mirror" ] || skip "no Debian $SUITE mirror in the host's apt sources (set NTMS_VM_MIRROR)"
fi
mirror=${mirror%/}
if ! wget -q -T 15 -t 2 -O /dev/null "$mirror/dists/$SUITE/Release"; then
  skip "the Debian mirror $mirror (from $origin) cannot be reached"
fi

# debootstrap mounts proc and sysfs inside the target; one that was killed may leave them there.
remove_build() {
  awk -v dir="$1/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n 1 umount -l
  rm -rf --one-file-system "$1"
}
# Under the lock nobody else is building: what a killed build left behind can go.
for old in "$CACHE"/build.*; do
  if [ -e "$old" ]; then remove_build "$old"; fi
done

tmp=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'remove_build "$tmp"' EXIT
root="$tmp/rootfs"
start=$(date +%s)

# Settings read by the packages as debootstrap installs them: dpkg skips its fsync calls (a
# half-written image is thrown away anyway), and the initramfs holds only what this guest needs to
# mount its root (virtio disk, ext4) instead of every storage driver, which makes it quicker to
# build and to unpack at each boot.
mkdir -p "$root/etc/dpkg/dpkg.cfg.d" "$root/etc/initramfs-tools/conf.d" \
  "$root/usr/share/initramfs-tools/modules.d"
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/ntms-vm"
echo MODULES=list >"$root/etc/initramfs-tools/conf.d/ntms-vm.conf"
printf '%s\n' virtio_pci virtio_blk ext4 >"$root/usr/share/initramfs-tools/modules.d/ntms-vm"

echo "build-image: debootstrap $SUITE from $mirror into $tmp ($(echo "$package_list" | wc -l) packages)" >&2
if ! LC_ALL=C DEBIAN_FRONTEND=noninteractive debootstrap --variant=minbase \
    --include="$(echo "$include_list" | paste -sd,)" "$SUITE" "$root" "$mirror" \
    >"$tmp/debootstrap.log" 2>&1; then
  tail -n 30 "$tmp/debootstrap.log" >&2
  # A mirror that answered the Release file but failed half way is a failure, not a skip.
  die "debootstrap failed (log above)"
fi
# No maintainer script may start a service in the chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
if ! { chroot "$root" apt-get -q update &&
    LC_ALL=C DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get -q -y \
      --no-install-recommends install "${apt_packages[@]}"; } >>"$tmp/debootstrap.log" 2>&1; then
  tail -n 30 "$tmp/debootstrap.log" >&2
  die "apt-get install ${apt_packages[*]} in the new system failed (log above)"
fi
rm -f "$root/usr/sbin/policy-rc.d"
mid=$(date +%s)

echo ntms-vm >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 ntms-vm\n' >"$root/etc/hosts"
echo "/dev/vda / ext4 rw,noatime 0 1" >"$root/etc/fstab"
# Root without a password: only ever reachable on the serial console of a throw-away overlay.
chroot "$root" passwd -d root >/dev/null

# The test starts its own tgtd on 127.0.0.1 and logs in by itself; the packaged target daemon and
# the initiator's automatic logins stay off. Timers that would compete for the CPU are masked.
systemctl --root="$root" disable tgt.service open-iscsi.service >/dev/null 2>&1 || true
# So do the services of the programs the checks drive: each check starts the ones it needs, with
# its own configuration, and a boot that needs none of them does not pay for them.
systemctl --root="$root" disable bacula-director.service bacula-sd.service bacula-fd.service \
  exim4.service prometheus-node-exporter.service cockpit.socket >/dev/null 2>&1 || true
systemctl --root="$root" mask apt-daily.timer apt-daily-upgrade.timer man-db.timer \
  e2scrub_all.timer fstrim.timer >/dev/null 2>&1

# Interactive boots (run-vm-test.sh --shell) log root in on the serial console; test boots have
# no login there.
mkdir -p "$root/etc/systemd/system/serial-getty@ttyS0.service.d"
cat >"$root/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<'EOF'
[Unit]
ConditionKernelCommandLine=ntms.vm=shell

[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 %I $TERM
EOF

# The hand-over to the test disk. ttyS1 is the report channel the host reads; ttyS0 the console.
mkdir -p "$root/usr/local/libexec"
cat >"$root/usr/local/libexec/ntms-vm-boot" <<'EOF'
#!/bin/bash
# Mounts the test disk the host attached (ext4, label NTMSTEST) and runs its guest-test.sh.
# Kernel argument ntms.vm=shell: only prepare the system for a person at the console.
set -uo pipefail
report() { echo "NTMS-VM $*" >/dev/ttyS1; echo "NTMS-VM $*"; }
mode=test
grep -qw 'ntms.vm=shell' /proc/cmdline && mode=shell
disk=/dev/disk/by-label/NTMSTEST
for _ in $(seq 300); do [ -b "$disk" ] && break; sleep 0.1; done
mkdir -p /run/ntms-vm/disk
if ! mount -o ro "$disk" /run/ntms-vm/disk; then
  report "bail out - the test disk (label NTMSTEST) is missing or cannot be mounted"
  exit 1
fi
exec /run/ntms-vm/disk/guest-test.sh --mode "$mode"
EOF
chmod 755 "$root/usr/local/libexec/ntms-vm-boot"
cat >"$root/etc/systemd/system/ntms-vm.service" <<'EOF'
[Unit]
Description=ntms system test from the attached test disk
# After the boot transaction: journald, udev, D-Bus and iscsid.socket are up.
After=multi-user.target

[Service]
Type=exec
ExecStart=/usr/local/libexec/ntms-vm-boot
ExecStopPost=/bin/sh -c 'grep -qw ntms.vm=shell /proc/cmdline || systemctl --no-block poweroff'
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
EOF
systemctl --root="$root" enable ntms-vm.service >/dev/null 2>&1

chroot "$root" dpkg-query -W -f '${Package}\n' | sort -u >"$tmp/installed.txt"
chroot "$root" apt-get clean
rm -f "$root/etc/dpkg/dpkg.cfg.d/ntms-vm"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old

kernel=$(ls "$root"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
initrd=$(ls "$root"/boot/initrd.img-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$kernel" ] && [ -n "$initrd" ] || die "no kernel or initrd in $root/boot"
cp "$kernel" "$tmp/vmlinuz"
cp "$initrd" "$tmp/initrd.img"

# An ext4 image straight from the directory (no loop mount), with room for the test's writes.
size_mb=$(( $(du -sm "$root" | cut -f1) + 512 ))
truncate -s "${size_mb}M" "$tmp/root.img"
mkfs.ext4 -q -F -L ntmsroot -d "$root" "$tmp/root.img" || die "mkfs.ext4 -d failed"
end=$(date +%s)

{
  echo "recipe=$recipe"
  echo "suite=$SUITE"
  echo "mirror=$mirror"
  echo "kernel=$(basename "$kernel")"
  echo "debootstrap_seconds=$((mid - start))"
  echo "build_seconds=$((end - start))"
  echo "rootfs_mb=$(du -sm "$root" | cut -f1)"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$tmp/image.info"
echo "$package_list" >"$tmp/requested.txt"
rm -rf "$root"

trap - EXIT
mv -T "$tmp" "$image"
# The images this one replaces (older recipes, fewer packages) are no longer wanted.
for old in "$CACHE"/*/; do
  old=${old%/}
  if [ "$old" != "$image" ] && [ -f "$old/image.info" ]; then rm -rf --one-file-system "$old"; fi
done

echo "image=$image"
echo "built_seconds=$((end - start))"
