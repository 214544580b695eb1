#!/bin/bash
# test_api against ntmsd on a private bus with the three libraries it expects.
set -euo pipefail
ntmsd=$1 policy=$2 sim=$3 test=$4
exec "$(dirname "$0")/private-bus.sh" "$ntmsd" "$policy" \
  --library 'lab=sim:lab,slots=20,ie=1,fill=4,move-ms=10,state=@lab.state' \
  --library 'noport=sim:noport,slots=10,ie=0' \
  --library 'full=sim:full,slots=4,ie=1,fill=4' \
  -- bash -c 'NTMS_SIM_STATE=$NTMS_TEST_DIR/lab.state exec "$0" "$1"' "$test" "$sim"
