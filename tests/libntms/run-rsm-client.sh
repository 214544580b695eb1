#!/bin/bash
# rsm_client, the client written from Microsoft's RSM pages alone, against library "lab" of the
# simulated changer (its state file lab.state, one port element at 100, storage from 1000). Before
# it runs, a cartridge is put into slot 1009 behind ntmsd's back, for the client's inventory to
# find; when the client says its eject waits for the operator, the operator takes the cartridge
# out of the port. Run inside private-bus.sh; TAP on standard output.
#   run-rsm-client.sh RSM_CLIENT NTMS_SIM [RSM_CLIENT OPTIONS...]
set -euo pipefail
client=$1 sim=$2
shift 2
state=$NTMS_TEST_DIR/lab.state
bus() { busctl --system "$@"; }
path=$(bus call org.ntms.Ntms1 /org/ntms/Ntms1 org.ntms.Ntms1.Manager GetLibrary s lab |
  sed -n 's/^o "\(.*\)"$/\1/p')
lib=$(bus get-property org.ntms.Ntms1 "$path" org.ntms.Ntms1.Library Id | sed -n 's/^s "\(.*\)"$/\1/p')
[ -n "$lib" ] || { echo "Bail out! library lab not found on the bus"; exit 1; }
"$sim" "$state" place 1009 NEW001L8 >/dev/null

out=$NTMS_TEST_DIR/rsm_client.out
"$client" "$lib" "$@" >"$out" 2>&1 &
pid=$!
removed=0
while kill -0 "$pid" 2>/dev/null; do
  if [ "$removed" = 0 ] && grep -q '^# waiting:' "$out"; then
    "$sim" "$state" remove 100 >/dev/null # the operator takes the cartridge out
    removed=1
  fi
  sleep 0.1
done
rc=0
wait "$pid" || rc=$?
cat "$out"
[ "$removed" = 1 ] || echo "# the client never said that its eject waited for the operator"
exit "$rc"
