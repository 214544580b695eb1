#!/bin/bash
# test_api.c, compiled by compile-api.sh as a user's program is (c99: gcc -std=c99 -pedantic;
# c++: g++), run against the real ntmsd on private buses: once with the libraries below, once
# over a database file that is not a database, once with the database on a full filesystem.
# TAP on stdout.
#   run-api.sh c99|c++ UNINSTALLED-PC-DIR NTMSD POLICY NTMS-SIM
set -euo pipefail
kind=$1 pcdir=$2 ntmsd=$3 policy=$4 sim=$5
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=tap.sh
. "$here/tap.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prog=$tmp/test_api

if ! "$here/compile-api.sh" "$kind" "$pcdir" "$prog"; then
  tap_not_ok "test_api.c compiles ($kind) with the flags of pkg-config libntms"
  tap_plan
  exit 0
fi
tap_ok "test_api.c compiles ($kind) with the flags of pkg-config libntms"

# lab: a single-cartridge port; noport: none; full: no free slot; off: disabled; gone: its
# device is absent; req1, req2: a magazine of two and one free slot, for operator requests.
cat > "$tmp/ntmsd.conf" <<'CONF'
[Library off]
Device=sim:off,slots=4,ie=1
Enabled=no
CONF
tap_run "test_api local" "$here/private-bus.sh" "$ntmsd" "$policy" --config "$tmp/ntmsd.conf" \
  --library 'lab=sim:lab,slots=20,ie=1,fill=4,move-ms=10,state=@lab.state' \
  --library 'noport=sim:noport,slots=10,ie=0' \
  --library 'full=sim:full,slots=4,ie=1,fill=4' \
  --library 'gone=/dev/sg-ntms-test-absent' \
  --library 'req1=sim:req1,slots=2,ie=2,fill=1,move-ms=10,state=@req1.state' \
  --library 'req2=sim:req2,slots=2,ie=2,fill=1,move-ms=10,state=@req2.state' \
  -- "$prog" local "$sim"

head -c 65536 /dev/zero | tr '\0' '?' > "$tmp/junk.db" # not a database
tap_run "test_api database-failure" "$here/private-bus.sh" "$ntmsd" "$policy" \
  --database "$tmp/junk.db" --library 'lab=sim:lab,slots=10,ie=1' \
  -- "$prog" database-failure

# A full filesystem is a real tmpfs of 2 MiB, mounted in a mount namespace of this test's own.
mkdir "$tmp/tiny"
if why=$(unshare --mount --propagation private mount -t tmpfs -o size=2m tmpfs "$tmp/tiny" 2>&1); then
  tap_run "test_api database-full" unshare --mount --propagation private bash -c '
    set -euo pipefail
    mount -t tmpfs -o size=2m,mode=0755 tmpfs "$1"
    shift
    exec "$@"' mount "$tmp/tiny" "$here/private-bus.sh" "$ntmsd" "$policy" \
    --database "$tmp/tiny/ntmsd.db" --library 'lab=sim:lab,slots=10,ie=1' \
    -- "$prog" database-full "$tmp/tiny/filler"
else
  why=${why%%$'\n'*}
  tap_skip "InjectNtmsMedia: ERROR_DATABASE_FULL" "cannot mount a tmpfs: ${why:-unshare failed}"
fi
tap_plan
