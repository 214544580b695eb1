#!/bin/bash
# test_signals, with a dbus-monitor on the private bus logging every property read, so that the
# test can count the reads a wait makes. Run inside private-bus.sh.
#   run-signals.sh TEST_SIGNALS
set -euo pipefail
log=$NTMS_TEST_DIR/monitor.log
dbus-monitor --system --profile "type='method_call',interface='org.freedesktop.DBus.Properties'" \
  >"$log" 2>"$NTMS_TEST_DIR/monitor.err" &
monitor=$!
trap 'kill "$monitor" 2>/dev/null; wait "$monitor" 2>/dev/null || true' EXIT
"$1" "$log"
