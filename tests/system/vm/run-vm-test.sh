#!/bin/bash
# The QEMU system test, host side (meson test --suite system, protocol TAP).
#
#   run-vm-test.sh BUILDDIR           run it; TAP on stdout, one result per check of the guest
#   run-vm-test.sh --shell BUILDDIR   boot the same guest with a root shell on this terminal:
#                                     the project installed, tgt's changer logged in, ntmsd running
#                                     (leave with "poweroff", or Ctrl-a x)
#
# 1. `meson install --destdir` of BUILDDIR into a staging tree (nothing of the build tree goes
#    into the guest otherwise), and the Debian packages its binaries link against. With
#    NTMS_VM_DEBS=DIR, the .debs of `make deb` in DIR instead: the guest installs them with
#    apt-get install ./*.deb, runs the same checks, and at the end purges them.
# 2. build-image.sh: the cached Debian 12 guest image, with those packages.
# 3. ntms-vm-inject.c and rsm_client.c (tests/libntms) compiled against the staged ntmsapi.h and
#    libntms (pkg-config with the staging tree as sysroot).
# 4. A second disk made with mkfs.ext4 -d: the staged tree, the programs, guest-test.sh and the
#    checks it sources.
# 5. QEMU (TCG; KVM is not used), a throw-away qcow2 overlay on the image, a hard time limit.
#    ttyS0 is the console (BUILDDIR/tests/system/vm/console.log), ttyS1 the guest's report
#    (report.log), both kept from the last run for diagnosis. When the Cockpit page's browser
#    checks run, also a user-mode NIC with one forwarded port and ttyS2 for browser-test.py
#    (headless Chromium on this host; browser.log, cockpit-*.png).
# 6. The report becomes TAP. A check the guest never reported is a failure that quotes the end of
#    the console. No reachable Debian mirror to build the image from: the whole test is skipped,
#    saying so.
#
# Environment: NTMS_VM_DEBS (see 1), NTMS_VM_CACHE (image cache, default /var/tmp/ntms-vm), NTMS_VM_MIRROR (instead of
# the host's apt mirror), NTMS_VM_TIMEOUT (seconds the guest may run, default 900), NTMS_VM_MEM
# (MiB, 1024), NTMS_VM_SMP (2), NTMS_VM_ONLY (names of guest checks, separated by spaces: only
# these run, in their usual order; the ones they build on, such as install, changer and start,
# must be named too).
set -euo pipefail
umask 022

HERE=$(cd "$(dirname "$0")" && pwd)
TIMEOUT=${NTMS_VM_TIMEOUT:-900}
MEM=${NTMS_VM_MEM:-1024}
SMP=${NTMS_VM_SMP:-2}

usage() { sed -n '2,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

mode='test'
case "${1:-}" in
  --shell) mode=shell; shift ;;
  -h | --help) usage; exit 0 ;;
esac
if [ $# -ne 1 ] || [ ! -f "$1/build.ninja" ]; then
  echo "usage: run-vm-test.sh [--shell] BUILDDIR (a configured and built meson build tree)" >&2
  exit 2
fi
builddir=$(cd "$1" && pwd)
logdir=$builddir/tests/system/vm
mkdir -p "$logdir"
host_log=$logdir/host.log
: >"$host_log"

work=
qemu_pid=
browser_pid=
cleanup() {
  if [ -n "$qemu_pid" ]; then kill "$qemu_pid" 2>/dev/null || true; fi
  if [ -n "$browser_pid" ]; then kill "$browser_pid" 2>/dev/null || true; fi
  if [ -n "$work" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "$*" >>"$host_log"; }
comment() { echo "# $*"; log "$*"; }
skip() {
  log "skipped: $*"
  echo "1..0 # SKIP $*"
  exit 0
}
# A host step failed: the test is one failure naming the step, with the end of its log.
host_failure() {
  local what=$1 file=${2:-$host_log}
  echo "1..1"
  echo "not ok 1 - $what"
  tail -n 40 "$file" | tr -d '\r' | sed 's/^/# /'
  exit 0
}

if [ "$(id -u)" -ne 0 ]; then
  skip "needs root: debootstrap builds the guest image, and the installed files must be root's"
fi
# A missing tool is one failure naming its Debian package (tools/deps.sh installs it).
need() { command -v "$1" >/dev/null || host_failure "$1 is not installed (package $2)"; }
need qemu-system-x86_64 qemu-system-x86
need qemu-img qemu-utils
need mkfs.ext4 e2fsprogs
need debootstrap debootstrap
need wget wget
need gcc gcc
need pkg-config pkg-config
need jq jq
need readelf binutils
need dpkg dpkg

work=$(mktemp -d "$logdir/run.XXXXXX")
stage=$work/disk
root=$stage/root
mkdir -p "$root" "$stage/bin"
t_start=$(date +%s)

# 1. The project: the packages of make deb (unpacked here for the host's steps, installed with
#    apt in the guest), or installed as a package would install it.
if [ -n "${NTMS_VM_DEBS:-}" ]; then
  debs=("$NTMS_VM_DEBS"/*.deb)
  [ -e "${debs[0]}" ] || host_failure "NTMS_VM_DEBS=$NTMS_VM_DEBS holds no .deb (make deb)"
  mkdir -p "$stage/debs"
  for deb in "${debs[@]}"; do
    case $(basename "$deb") in *-dbgsym_*) continue ;; esac
    cp "$deb" "$stage/debs/"
    dpkg-deb -x "$deb" "$root" || host_failure "dpkg-deb -x $deb"
  done
  comment "packages from $NTMS_VM_DEBS: $(cd "$stage/debs" && echo *.deb)"
else
  prefix=$(meson introspect --buildoptions "$builddir" | jq -r '.[] | select(.name == "prefix") | .value')
  case "$prefix" in
    /usr | /usr/local) ;;
    *) host_failure "prefix $prefix: the guest's systemd, D-Bus and ld.so look under /usr (meson setup --prefix=/usr)" ;;
  esac
  if ! meson install -C "$builddir" --no-rebuild --destdir "$root" >>"$host_log" 2>&1; then
    host_failure "meson install --destdir of $builddir"
  fi
  comment "installed $builddir (prefix $prefix): $(find "$root" -type f | wc -l) files"
fi

# The Debian packages that hold the libraries the installed programs and libraries link against.
runtime_packages() {
  local lib path f pkg
  find "$root" -type f \( -perm -u+x -o -name '*.so*' \) -print0 |
    xargs -0 -r readelf -d 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' | sort -u |
    while read -r lib; do
      path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ && !found { print $NF; found = 1 }')
      [ -n "$path" ] || continue # one of the project's own (libntms.so.1)
      for f in "$path" "$(realpath "$path")" "${path#/usr}" "/usr${path#/usr}"; do
        if pkg=$(dpkg -S "$f" 2>/dev/null); then
          echo "${pkg%%:*}"
          break
        fi
      done
    done | sort -u
}
mapfile -t packages < <(runtime_packages)
comment "runtime packages: ${packages[*]}"

# 2. The guest image.
t0=$(date +%s)
set +e
image_out=$("$HERE/build-image.sh" "${packages[@]}" 2>"$work/image.err")
rc=$?
set -e
cat "$work/image.err" >>"$host_log"
if [ "$rc" = 77 ]; then
  skip "guest image cannot be built: $(tail -n 1 "$work/image.err" | sed 's/^build-image: //')"
elif [ "$rc" != 0 ]; then
  host_failure "the guest image could not be built (build-image.sh exit $rc)" "$work/image.err"
fi
image=$(echo "$image_out" | sed -n 's/^image=//p')
built=$(echo "$image_out" | sed -n 's/^built_seconds=//p')
if [ "$built" = 0 ]; then
  comment "guest image $image (cached, $(sed -n 's/^built=//p' "$image/image.info"))"
else
  comment "guest image $image built in $built s ($(sed -n 's/^debootstrap_seconds=//p' "$image/image.info") s debootstrap)"
fi
t_image=$(($(date +%s) - t0))

# 3. The C client, built against what was installed: the header and libntms.pc of the staging tree.
pc=$(find "$root" -name libntms.pc | head -n 1)
[ -n "$pc" ] || host_failure "no libntms.pc in the installed tree"
if ! flags=$(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$(dirname "$pc") \
    pkg-config --cflags --libs libntms 2>>"$host_log"); then
  host_failure "pkg-config libntms against the installed tree"
fi
log "pkg-config libntms: $flags"
# shellcheck disable=SC2086 # flags are words
if ! gcc -std=c99 -Wall -Wextra -Werror -pedantic -o "$stage/bin/ntms-vm-inject" \
    "$HERE/ntms-vm-inject.c" $flags >>"$host_log" 2>&1; then
  host_failure "ntms-vm-inject.c does not build against the installed libntms"
fi
# shellcheck disable=SC2086 # flags are words
if ! gcc -std=c99 -Wall -Wextra -Werror -pedantic -o "$stage/bin/rsm_client" \
    "$HERE/../../libntms/rsm_client.c" $flags >>"$host_log" 2>&1; then
  host_failure "rsm_client.c does not build against the installed libntms"
fi

# 4. The test disk.
install -m 755 "$HERE/guest-test.sh" "$stage/guest-test.sh"
for f in "$HERE"/guest-checks-*.sh; do
  install -m 644 "$f" "$stage/${f##*/}"
done
size_mb=$(($(du -sm "$stage" | cut -f1) + 64))
truncate -s "${size_mb}M" "$work/test.img"
if ! mkfs.ext4 -q -F -L NTMSTEST -d "$stage" "$work/test.img" >>"$host_log" 2>&1; then
  host_failure "mkfs.ext4 -d of the test disk"
fi
qemu-img create -q -f qcow2 -F raw -b "$image/root.img" "$work/root.qcow2"

# 5. The guest.
# -cpu max offers VMX to the guest; its kvm modules would only cost boot time.
append="root=/dev/vda rw console=ttyS0,115200 panic=-1 net.ifnames=0 modprobe.blacklist=kvm,kvm_intel,kvm_amd"
if [ -n "${NTMS_VM_ONLY:-}" ]; then
  only=$(echo "$NTMS_VM_ONLY" | tr -s ' ' ',' | sed -e 's/^,//' -e 's/,$//')
  [[ $only =~ ^[a-z_,]+$ ]] || host_failure "NTMS_VM_ONLY=$NTMS_VM_ONLY: check names are a-z and _"
  append="$append ntms.only=$only"
  comment "only the checks $only"
fi
# shellcheck disable=SC2054 # the commas belong to QEMU's option values
qemu=(qemu-system-x86_64 -accel tcg,thread=multi -cpu max -M q35 -m "$MEM" -smp "$SMP"
  -vga none -no-reboot -nic none
  -kernel "$image/vmlinuz" -initrd "$image/initrd.img"
  -drive "file=$work/root.qcow2,if=virtio,format=qcow2,cache=unsafe"
  -drive "file=$work/test.img,if=virtio,format=raw,readonly=on")
if [ "$mode" = shell ]; then
  echo "Booting the guest (TCG, about a minute); the console logs root in. Ctrl-a x quits QEMU."
  "${qemu[@]}" -nographic -append "$append ntms.vm=shell" -serial mon:stdio -serial null
  exit 0
fi

# The Cockpit page's browser checks (guest-checks-cockpit.sh), when they are to run: a user-mode
# NIC whose only way in is a free host port forwarded to the guest's 9090 (restrict=on: the guest
# reaches nothing), a third serial port (the guest's ttyS2) on which browser-test.py and the guest
# talk, and the browser, started next to QEMU. Its log is browser.log, its screenshots
# cockpit-*.png.
browser_qemu=()
if [ -z "${NTMS_VM_ONLY:-}" ] || [[ ",$only," == *,browser_* ]]; then
  if ! /usr/bin/python3 -c 'import selenium' 2>/dev/null || ! [ -x /usr/bin/chromedriver ]; then
    comment "no browser for the Cockpit checks: python3-selenium or chromium-driver is missing (tools/deps.sh)"
  else
    browser_port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    browser_qemu=(-nic "user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:$browser_port-:9090"
      -serial "unix:$work/browser.sock,server=on,wait=off")
    append="$append ntms.browser=1"
    rm -f "$logdir"/cockpit-*.png
  fi
fi

console=$logdir/console.log
report=$logdir/report.log
rm -f "$console" "$report"
t0=$(date +%s)
timeout --kill-after=10 "$TIMEOUT" "${qemu[@]}" -display none -monitor none \
  -append "$append" -serial "file:$console" -serial "file:$report" "${browser_qemu[@]}" \
  </dev/null >>"$host_log" 2>&1 &
qemu_pid=$!
if [ "${#browser_qemu[@]}" -gt 0 ]; then
  "$HERE/browser-test.py" --socket "$work/browser.sock" --port "$browser_port" --logdir "$logdir" \
    --timeout "$TIMEOUT" </dev/null >"$logdir/browser.log" 2>&1 &
  browser_pid=$!
fi
set +e
wait "$qemu_pid"
qemu_rc=$?
set -e
qemu_pid=
t_guest=$(($(date +%s) - t0))
if [ -n "$browser_pid" ]; then
  kill "$browser_pid" 2>/dev/null || true
  wait "$browser_pid" 2>/dev/null || true
  browser_pid=
fi

# 6. The report.
declare -A result=()
declare -A diagnostics=()
planned=0
done_seen=0
bailed=
last=0
comments=()
while IFS= read -r line; do
  case "$line" in
    "plan "*) planned=${line#plan } ;;
    "ok "* | "not ok "*)
      n=${line#not }
      n=${n#ok }
      n=${n%% *}
      result[$n]=$line
      last=$n ;;
    "# "*)
      if [ "$last" -gt 0 ]; then
        diagnostics[$last]+="$line"$'\n'
      else
        comments+=("$line")
      fi ;;
    done) done_seen=1 ;;
    "bail out"*) bailed=${line#bail out - } ;;
  esac
done < <(tr -d '\r' <"$report" 2>/dev/null | sed -n 's/^.*NTMS-VM //p')

for c in "${comments[@]+"${comments[@]}"}"; do echo "$c"; done
comment "guest: $t_guest s (qemu exit $qemu_rc$([ "$qemu_rc" = 124 ] && echo ", killed after $TIMEOUT s")); image step $t_image s; whole test $(($(date +%s) - t_start)) s"
if ! [[ "$planned" =~ ^[0-9]+$ ]] || [ "$planned" -eq 0 ]; then
  planned=1
fi
echo "1..$planned"
# The kernel's and systemd's last words; the report's own lines are already above.
console_tail() {
  echo "# last lines of the console ($console), without the report's:"
  tr -d '\r' <"$console" 2>/dev/null | grep -v 'NTMS-VM' | tail -n 25 | sed 's/^/#   /'
}
missing=0
for ((n = 1; n <= planned; n++)); do
  if [ -n "${result[$n]:-}" ]; then
    echo "${result[$n]}"
    printf '%s' "${diagnostics[$n]:-}"
    continue
  fi
  if [ -n "$bailed" ]; then
    why=$bailed
  elif [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
    why="the guest was stopped after $TIMEOUT s (NTMS_VM_TIMEOUT)"
  else
    why="the guest stopped reporting (qemu exit $qemu_rc)"
  fi
  [ "$planned" = 1 ] && [ -z "${result[1]:-}" ] && why="the guest reported no checks: ${bailed:-no report on ttyS1}"
  echo "not ok $n - no result from the guest for check $n: $why"
  if [ "$missing" = 0 ]; then console_tail; fi
  missing=$((missing + 1))
done
if [ "$missing" = 0 ] && [ "$done_seen" = 0 ]; then
  echo "# the guest did not say it was done"
fi
