#!/bin/bash
# make check-fresh: the README's commands, exactly as written, on a fresh minimal Debian 12.
#
#   tools/check-fresh.sh [--keep] [--prepare]
#   tools/check-fresh.sh --commands      print the README commands it would run, one a line
#
# 1. A minimal Debian 12 root (debootstrap --variant=minbase, from the mirror of the host's apt
#    sources or $NTMS_FRESH_MIRROR), built once and kept as a tarball in $NTMS_FRESH_CACHE
#    (default /var/tmp/ntms-fresh). Each run unpacks a pristine copy of it.
# 2. The checkout (the files git knows, tracked or not ignored; build trees are ignored) is copied
#    to /usr/src/ntms in that root.
# 3. The command lines of README.md's first sh block run there one after another, as root, in
#    /usr/src/ntms, in a chroot inside a private mount namespace with /proc, /sys, /dev and /dev/pts
#    of the host (the tests need root, mount namespaces, /dev/net/tun-free loopback networking;
#    QEMU runs without KVM). The guest image cache of the system test, /var/tmp/ntms-vm, is the
#    host's (bound in), so that it is built once for the host and for fresh roots.
# 4. The closing line is make check's: "N passed, N failed". The whole output is in
#    $NTMS_FRESH_CACHE/last.log.
#
# --prepare only builds (or finds) the cached root. --keep leaves the run's root in place.
# Exit status: 0 when every README command succeeded, 1 otherwise, 2 on a usage error.
set -euo pipefail
# The whole script is one compound command, read before it runs: an edit of this file (a git
# checkout) during an hour-long run cannot change what the run does next.
{
SUITE=bookworm
CACHE=${NTMS_FRESH_CACHE:-/var/tmp/ntms-fresh}
SRC=$(cd "$(dirname "$0")/.." && pwd)
keep=0 prepare=0 list=0
for a in "$@"; do
  case $a in
    --keep) keep=1 ;;
    --prepare) prepare=1 ;;
    --commands) list=1 ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-fresh: unknown argument $a" >&2; exit 2 ;;
  esac
done

die() { echo "check-fresh: $*" >&2; exit 1; }

# README's commands: the lines of its first ```sh block, comments and blank lines dropped.
mapfile -t commands < <(awk '/^```sh$/ { inside = 1; next } inside && /^```/ { exit }
  inside { sub(/[ \t]+#.*$/, ""); sub(/^#.*$/, ""); if ($0 ~ /[^ \t]/) print }' "$SRC/README.md")
[ ${#commands[@]} -gt 0 ] || die "README.md has no sh block"
if [ "$list" = 1 ]; then
  printf '%s\n' "${commands[@]}"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot, mounts)"
need() { command -v "$1" >/dev/null || die "$1 is not installed (package $2)"; }
need debootstrap debootstrap
need unshare util-linux
need flock util-linux
need git git

# The first http(s) mirror for $SUITE in the host's apt sources (deb822, then one-line lists).
host_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk -v suite="$SUITE" 'tolower($1) == "uris:" { u = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite && u != "") { print u; exit } }' "$f"
  done
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' | awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2 }'
}

mkdir -p "$CACHE"
base=$CACHE/$SUITE-minbase.tar
if [ ! -s "$base" ]; then
  mirror=${NTMS_FRESH_MIRROR:-$(host_mirror | grep -E '^https?:' | head -n 1 || true)}
  [ -n "$mirror" ] || die "no Debian $SUITE mirror in the host's apt sources (set NTMS_FRESH_MIRROR)"
  exec 9>"$CACHE/lock"
  flock -w 1800 9 || die "another check-fresh is building $base"
  if [ ! -s "$base" ]; then
    tmp=$(mktemp -d "$CACHE/build.XXXXXX")
    trap 'rm -rf --one-file-system "$tmp"' EXIT
    echo "check-fresh: debootstrap --variant=minbase $SUITE from $mirror (a few minutes, once)"
    if ! debootstrap --variant=minbase "$SUITE" "$tmp/fs" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
      tail -n 20 "$tmp/debootstrap.log" >&2
      die "debootstrap failed"
    fi
    # What a freshly installed system has: its mirror in sources.list, and no cached lists.
    echo "deb $mirror $SUITE main" >"$tmp/fs/etc/apt/sources.list"
    rm -rf "$tmp/fs/var/lib/apt/lists/"* "$tmp/fs/var/cache/apt/archives/"*.deb
    tar -C "$tmp/fs" -cf "$base.tmp" .
    mv "$base.tmp" "$base"
    rm -rf --one-file-system "$tmp"
    trap - EXIT
  fi
  exec 9>&-
fi
echo "check-fresh: base root $base ($(du -h "$base" | cut -f1))"
[ "$prepare" = 0 ] || exit 0

run=$(mktemp -d "$CACHE/run.XXXXXX")
root=$run/fs
mkdir "$root"
cleanup() {
  if [ "$keep" = 1 ]; then
    echo "check-fresh: the root is kept in $root"
  else
    rm -rf --one-file-system "$run"
  fi
}
trap cleanup EXIT
tar -C "$root" -xf "$base"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# What the installer writes and debootstrap does not: the host's name, and localhost.
[ -s "$root/etc/hostname" ] || echo ntms-fresh >"$root/etc/hostname"
[ -s "$root/etc/hosts" ] ||
  printf '127.0.0.1\tlocalhost\n127.0.1.1\tntms-fresh\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
    >"$root/etc/hosts"
mkdir -p "$root/usr/src/ntms"
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
  tar -C "$root/usr/src/ntms" -xf -
mkdir -p /var/tmp/ntms-vm "$root/var/tmp/ntms-vm"

log=$CACHE/last.log
[ -z "${NTMS_FRESH_LOG:-}" ] || log=$NTMS_FRESH_LOG
echo "check-fresh: running README.md's commands in $root (output in $log):"
printf '  %s\n' "${commands[@]}"
script=$run/commands.sh
{
  echo 'set -e'
  echo 'cd /usr/src/ntms'
  for c in "${commands[@]}"; do
    printf 'echo %q\n' "# $c"
    echo "$c"
  done
} >"$script"
cp "$script" "$root/usr/src/readme-commands.sh"

set +e
# A private mount namespace: whatever is mounted for the run goes when it ends, also on a crash.
unshare --mount --propagation private -- bash -euc '
  root=$1
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"
  mount -t tmpfs -o mode=755 tmpfs "$root/run"
  mount --bind /var/tmp/ntms-vm "$root/var/tmp/ntms-vm"
  exec chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash /usr/src/readme-commands.sh' _ "$root" </dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)
echo "check-fresh: README commands exit status $rc"
echo "${summary:-no closing line: make check did not get that far}"
[ "$rc" = 0 ] && [ -n "$summary" ]
exit
}
