#!/bin/bash
# debian/libntms1.symbols against its sources: it is what tools/gen-symbols.py makes of
# libntms/libntms.sym, and it lists exactly what the built libntms.so.1 exports. TAP.
#   symbols-test.sh SOURCE-DIR LIBNTMS.SO
set -uo pipefail
src=$1 lib=$2
out=$(python3 "$src/tools/gen-symbols.py" --check 2>&1)
rc=$?
if [ "$rc" = 0 ]; then echo "ok 1 - debian/libntms1.symbols is generated from libntms.sym"
else echo "not ok 1 - debian/libntms1.symbols is generated from libntms.sym"; echo "$out" | sed 's/^/# /'; fi
exported=$(nm -D --defined-only "$lib" | awk '{ n = $NF; sub(/@@/, "@", n); if ($2 == "A") n = n "@" n; print n }' | sort)
listed=$(awk '/^ / { print $1 }' "$src/debian/libntms1.symbols" | sort)
if [ "$exported" = "$listed" ]; then echo "ok 2 - the symbols file lists exactly what $(basename "$lib") exports"
else
  echo "not ok 2 - the symbols file lists exactly what $(basename "$lib") exports"
  diff <(echo "$listed") <(echo "$exported") | grep '^[<>]' | sed 's/^</# only in the symbols file:/; s/^>/# only exported:/'
fi
echo "1..2"
