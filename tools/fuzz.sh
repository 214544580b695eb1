#!/bin/bash
# make fuzz: runs each libFuzzer target of tests/fuzz, built in BUILD by make fuzz, for SECONDS,
# one after the other, and prints per target the executions, executions per second, coverage and
# corpus size. A crash or a failed invariant stops nothing else; the script then ends with 1 and
# names the input libFuzzer saved.
#
#   tools/fuzz.sh BUILD SECONDS [TARGET...]      TARGET: element_status, config, ... (default: all)
#
# New inputs go to BUILD/fuzz/corpus/TARGET (kept across runs, never into the source tree, which
# holds the small seed corpus); crashes to BUILD/fuzz/artifacts/TARGET/; each run's output to
# BUILD/fuzz/TARGET.log. To replay one input: BUILD/tests/fuzz/fuzz_TARGET FILE.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: tools/fuzz.sh BUILD SECONDS [TARGET...]" >&2; exit 2; }
build=$1 seconds=$2
shift 2
src=$(cd "$(dirname "$0")/.." && pwd)
case $seconds in '' | *[!0-9]*) echo "fuzz: SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;; esac

targets=("$@")
if [ ${#targets[@]} = 0 ]; then
  for f in "$src"/tests/fuzz/fuzz_*.cpp; do
    f=${f##*/fuzz_}
    targets+=("${f%.cpp}")
  done
fi

# UBSan only prints by default; a finding must stop the run like a crash does.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

for t in "${targets[@]}"; do
  [ -x "$build/tests/fuzz/fuzz_$t" ] ||
    { echo "fuzz: $build/tests/fuzz/fuzz_$t is not built (make fuzz builds it)" >&2; exit 2; }
done

work=$build/fuzz
failed=()
total=0
printf '%-16s %12s %10s %8s %8s %8s\n' target executions 'exec/s' cov features corpus
for t in "${targets[@]}"; do
  exe=$build/tests/fuzz/fuzz_$t
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  args=(-max_total_time="$seconds" -timeout=10 -print_final_stats=1
    -artifact_prefix="$work/artifacts/$t/")
  dict=$src/tests/fuzz/dict/$t.dict
  [ -f "$dict" ] && args+=(-dict="$dict")
  log=$work/$t.log
  rc=0
  "$exe" "${args[@]}" "$work/corpus/$t" "$src/tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  execs=$(awk '/^stat::number_of_executed_units:/ { print $2 }' "$log")
  secs=$(awk '/^stat::number_of_executed_units:/ { n = $2 } /^Done [0-9]+ runs in [0-9]+ second/ { s = $5 }
    END { if (s == "") s = 0; print s }' "$log")
  # The last status line: "#N  REDUCE cov: C ft: F corp: K/..."
  status=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$status")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$status")
  corp=$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$status")
  rate=-
  [ -n "$execs" ] && [ "${secs:-0}" -gt 0 ] && rate=$((execs / secs))
  printf '%-16s %12s %10s %8s %8s %8s\n' "$t" "${execs:--}" "$rate" "${cov:--}" "${ft:--}" "${corp:--}"
  total=$((total + ${execs:-0}))
  if [ "$rc" != 0 ]; then
    failed+=("$t")
    echo "fuzz: $t failed (exit $rc); see $log" >&2
    grep -E 'SUMMARY|invariant does not hold|Test unit written to' "$log" | sed 's/^/  /' >&2 || true
  fi
done
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, $total executions in all; ${#failed[@]} failed${failed[*]:+: ${failed[*]}}"
[ ${#failed[@]} = 0 ]
