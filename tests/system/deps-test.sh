#!/bin/bash
# tools/deps.sh and the harnesses' checks for their tools, without touching the system: apt-get,
# dpkg-query, systemctl and id are fakes first in PATH. TAP on stdout.
#   deps-test.sh SOURCE-DIR NTMSD
# 1. Every "need TOOL PACKAGE" of a harness in tests/ and tools/ names a package deps.sh installs,
#    and where that package is installed here, it is the one that holds TOOL.
# 2. A harness missing a tool stops at once with "TOOL is not installed (package PACKAGE)".
# 3. deps.sh installs under a policy-rc.d that forbids starting services, removes it after, and
#    disables the services the installation enabled, not the ones enabled before.
# 4. private-bus.sh: ready as soon as ntmsd owns its name; an ntmsd that never takes it is an
#    error naming the name, not a silent wait.
set -uo pipefail
src=$1 ntmsd=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi; }
diag() { sed 's/^/# /'; }

# 1. need TOOL PACKAGE, as written in the scripts.
"$src/tools/deps.sh" --list --packaging --fuzz >"$tmp/packages"
grep -rhoE '^ *need ("?[$/A-Za-z0-9_.+{}-]+"?) [a-z0-9.+-]+$' "$src/tests" "$src/tools" |
  sed -E 's/^ *need //; s/"//g' | sort -u >"$tmp/needs"
# Essential packages are on every Debian system; deps.sh need not name them.
essential() { [ "$(dpkg-query -W -f='${Essential}' "$1" 2>/dev/null)" = yes ]; }
unknown=$(awk 'NR == FNR { p[$1] = 1; next } !($2 in p)' "$tmp/packages" "$tmp/needs" |
  while read -r tool pkg; do essential "$pkg" || echo "$tool $pkg"; done)
[ -s "$tmp/needs" ] && [ -z "$unknown" ]
check $? "every harness's 'need TOOL PACKAGE' ($(wc -l <"$tmp/needs") of them) names a package deps.sh installs"
[ -z "$unknown" ] || echo "$unknown" | diag

# The package, or one it depends on (pkg-config -> pkgconf, dbus -> dbus-daemon), holds the tool.
holds() { # holds PACKAGE TOOL
  local name=${2##*/} owner
  owner=$(dpkg -S "/usr/bin/$name" "/usr/sbin/$name" "/bin/$name" "/sbin/$name" 2>/dev/null |
    head -n 1 | cut -d: -f1)
  [ -n "$owner" ] || return 1
  [ "$owner" = "$1" ] && return 0
  dpkg-query -W -f='${Depends}, ${Pre-Depends}' "$1" 2>/dev/null | tr ',|' '\n\n' |
    sed -E 's/\(.*\)//; s/:any//; s/ //g' | grep -Fx "$owner" >/dev/null
}
wrong=
while read -r tool pkg; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || continue
  holds "$pkg" "${tool//\$sshd//usr/sbin/sshd}" || wrong+="$tool is not in package $pkg"$'\n'
done <"$tmp/needs"
[ -z "$wrong" ]
check $? "each of those packages, where installed here, holds its tool"
printf '%s' "$wrong" | diag

# 2. A harness without one of its tools: a PATH with only the tools named (those it checks
#    before, and what it needs to say so).
path_with() {
  local dir=$tmp/path-$RANDOM t
  mkdir -p "$dir"
  for t in "$@"; do ln -s "$(command -v "$t")" "$dir/$t"; done
  echo "$dir"
}
missing_tool() { # missing_tool TOOL PACKAGE DESCRIPTION "TOOLS ON PATH" COMMAND...
  local tool=$1 pkg=$2 what=$3 p start out rc
  # shellcheck disable=SC2086 # a list of words
  p=$(path_with $4)
  shift 4
  start=$SECONDS
  out=$(PATH=$p /usr/bin/timeout 20 "$@" 2>&1)
  rc=$?
  if [ "$rc" != 0 ] && [ $((SECONDS - start)) -le 3 ] &&
      grep -qF "$tool is not installed (package $pkg)" <<<"$out"; then
    ok "$what"
  else
    not_ok "$what"
    echo "exit status $rc after $((SECONDS - start)) s:" | diag
    echo "$out" | tail -n 5 | diag
  fi
}
mkdir "$tmp/tgt"
missing_tool ss iproute2 "tgt-harness.sh without ss stops at once naming iproute2" \
  "tgtd tgtadm tgtimg env" env TGT_HARNESS_DIR="$tmp/tgt" /bin/bash "$src/tests/peer/tgt-harness.sh" start
missing_tool dbus-daemon dbus "private-bus.sh without dbus-daemon stops at once naming dbus" \
  "" /bin/bash "$src/tests/libntms/private-bus.sh" "$ntmsd" "$src/systemd/org.ntms.Ntms1.conf" -- true
missing_tool qemu-img qemu-utils "run-vm-test.sh without qemu-img fails at once naming qemu-utils" \
  "dirname id mkdir qemu-system-x86_64 tail tr sed grep" \
  /bin/bash -c '"$1" "$2" | grep -q "^not ok 1 - qemu-img is not installed (package qemu-utils)" &&
    echo "qemu-img is not installed (package qemu-utils)" && exit 1' _ \
  "$src/tests/system/vm/run-vm-test.sh" "$(dirname "$ntmsd")"

# 3. deps.sh with fakes: nothing installed yet, one unit enabled before, one enabled by the install.
fake=$tmp/fake
mkdir -p "$fake/bin" "$fake/units/multi-user.target.wants"
touch "$fake/units/multi-user.target.wants/old.service"
cat >"$fake/bin/dpkg-query" <<'EOF'
#!/bin/bash
# dpkg -S (which file is whose) is the real one's; one status line per package asked for,
# installed once the fake apt-get ran.
[ "$1" = --search ] || [ "$1" = -S ] && exec /usr/bin/dpkg-query "$@"
for a in "$@"; do
  case $a in
    -*) ;;
    *) if [ -e "$FAKE/installed" ]; then echo "$a install ok installed"; else echo "$a unknown ok not-installed"; fi ;;
  esac
done
exit 0
EOF
cat >"$fake/bin/apt-get" <<'EOF'
#!/bin/bash
echo "apt-get $*" >>"$FAKE/log"
if [ "$1" = install ] || [ "$2" = install ] || [[ " $* " == *" install "* ]]; then
  # What a maintainer script does: ask policy-rc.d, enable its unit.
  if [ -x "$NTMS_DEPS_POLICY_RC_D" ]; then
    "$NTMS_DEPS_POLICY_RC_D" fake start; echo "policy-rc.d says $?" >>"$FAKE/log"
  else
    echo "no policy-rc.d" >>"$FAKE/log"
  fi
  ln -s /dev/null "$NTMS_DEPS_UNIT_DIR/multi-user.target.wants/new.service"
  # What installing systemd itself enables (where deps.sh brings it in): the real dpkg -S
  # knows getty@.service as systemd's.
  mkdir -p "$NTMS_DEPS_UNIT_DIR/getty.target.wants"
  ln -sf /dev/null "$NTMS_DEPS_UNIT_DIR/getty.target.wants/getty@tty9.service"
  echo "Setting up fake (1.0) ..."
  touch "$FAKE/installed"
fi
EOF
cat >"$fake/bin/systemctl" <<'EOF'
#!/bin/bash
echo "systemctl $*" >>"$FAKE/log"
[ "${*: -1}" = new.service ] && rm -f "$NTMS_DEPS_UNIT_DIR/multi-user.target.wants/new.service"
exit 0
EOF
printf '#!/bin/sh\necho %s\n' "${FAKE_UID:-0}" >"$fake/bin/id"
chmod 755 "$fake/bin/"*
out=$(FAKE=$fake PATH=$fake/bin:$PATH NTMS_DEPS_POLICY_RC_D=$fake/policy-rc.d \
  NTMS_DEPS_UNIT_DIR=$fake/units "$src/tools/deps.sh" 2>&1)
rc=$?
[ "$rc" = 0 ] && grep -qx 'policy-rc.d says 101' "$fake/log" && [ ! -e "$fake/policy-rc.d" ]
check $? "deps.sh installs with a policy-rc.d that refuses every service start, and removes it"
grep -qx 'systemctl --root=/ disable new.service' "$fake/log" && ! grep -q 'old.service' "$fake/log" &&
  grep -q 'Disabled what they enabled at boot: new.service\.$' <<<"$out"
check $? "deps.sh disables (and says so) the services the installation enabled, not the others"
! grep -q 'getty@' "$fake/log"
check $? "deps.sh leaves the units of systemd itself enabled (getty@tty9.service)"
grep -q 'deps: installing' <<<"$out" && grep -q 'minutes' <<<"$out" && grep -q 'set up fake' <<<"$out"
check $? "deps.sh says what is coming, how long it takes, and shows each package set up"
{ echo "exit status $rc; output:"; echo "$out"; echo "log:"; cat "$fake/log"; } | diag

printf '#!/bin/sh\nexit 0\n' >"$fake/policy-rc.d"
chmod 755 "$fake/policy-rc.d"
rm -f "$fake/installed" "$fake/log" "$fake/units/multi-user.target.wants/new.service"
FAKE=$fake PATH=$fake/bin:$PATH NTMS_DEPS_POLICY_RC_D=$fake/policy-rc.d \
  NTMS_DEPS_UNIT_DIR=$fake/units "$src/tools/deps.sh" >/dev/null 2>&1
[ -e "$fake/policy-rc.d" ] && grep -qx 'policy-rc.d says 0' "$fake/log"
check $? "deps.sh leaves an administrator's own policy-rc.d alone"

rm -f "$fake/installed"
printf '#!/bin/sh\necho 1000\n' >"$fake/bin/id"
out=$(FAKE=$fake PATH=$fake/bin:$PATH "$src/tools/deps.sh" 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q 'run as root' <<<"$out" && grep -q 'missing packages: .*iproute2' <<<"$out"
check $? "deps.sh as a user names the missing packages and exits 1"
echo "$out" | diag

# 4. private-bus.sh readiness.
start=$SECONDS
out=$("$src/tests/libntms/private-bus.sh" "$ntmsd" "$src/systemd/org.ntms.Ntms1.conf" -- \
  bash -c 'busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s org.ntms.Ntms1' 2>&1)
rc=$?
took=$((SECONDS - start))
[ "$rc" = 0 ] && [ "$out" = "b true" ] && [ "$took" -lt 8 ]
check $? "private-bus.sh runs the command once ntmsd owns its name ($took s)"
[ "$rc" = 0 ] || echo "$out" | diag
cat >"$tmp/mute-ntmsd" <<'EOF'
#!/bin/sh
exec sleep 60
EOF
chmod 755 "$tmp/mute-ntmsd"
start=$SECONDS
out=$(NTMS_BUS_READY_SECS=1 "$src/tests/libntms/private-bus.sh" "$tmp/mute-ntmsd" \
  "$src/systemd/org.ntms.Ntms1.conf" -- true 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q 'did not take the name org.ntms.Ntms1 within 1 s' <<<"$out" &&
  [ $((SECONDS - start)) -lt 10 ]
check $? "private-bus.sh with an ntmsd that never takes its name fails, naming it"
[ "$rc" = 1 ] || echo "$out" | diag

echo "1..$n"
