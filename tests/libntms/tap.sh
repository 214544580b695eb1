# shellcheck shell=bash
# TAP for the shell drivers of the libntms tests, sourced. Each line is counted as it is
# printed and the plan comes last, so that one stream can hold several runs of test_api; a run
# that dies without saying why still leaves a "not ok" line behind.
tap_count=0
tap_failed=0

tap_ok() { tap_count=$((tap_count + 1)); echo "ok - $*"; }
tap_not_ok() {
  tap_count=$((tap_count + 1))
  tap_failed=$((tap_failed + 1))
  echo "not ok - $*"
}
tap_skip() { tap_count=$((tap_count + 1)); echo "ok - $1 # SKIP $2"; }
# tap_check DESCRIPTION COMMAND...: ok when the command succeeds.
tap_check() {
  local what=$1
  shift
  if "$@"; then tap_ok "$what"; else tap_not_ok "$what"; fi
}

# tap_run NAME COMMAND...: passes the command's TAP lines through and counts them. A command
# that exits non-zero without a "not ok" of its own (it crashed, or could not start) adds one.
tap_run() {
  local name=$1 out rc n failed
  shift
  out=$(mktemp)
  set +e
  "$@" | tee "$out"
  rc=${PIPESTATUS[0]}
  set -e
  n=$(grep -cE '^(not )?ok( |$)' "$out" || true)
  failed=$(grep -cE '^not ok( |$)' "$out" || true)
  rm -f "$out"
  tap_count=$((tap_count + n))
  tap_failed=$((tap_failed + failed))
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    tap_not_ok "$name exited with status $rc"
  fi
}

# tap_same DESCRIPTION EXPECTED ACTUAL: ok when the two texts are equal; else their diff.
tap_same() {
  if [ "$2" = "$3" ]; then tap_ok "$1"; else
    tap_not_ok "$1"
    diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/# /'
  fi
}

tap_plan() { echo "1..$tap_count"; }
