#!/bin/bash
# Compiles test_api.c as a user's program is compiled: plain gcc or g++, the flags from
# pkg-config, here meson's uninstalled libntms.pc, so that a broken .pc fails the test.
#   compile-api.sh c99|c++ UNINSTALLED-PC-DIR OUTPUT
set -euo pipefail
need() {
  command -v "$1" >/dev/null || { echo "compile-api.sh: $1 is not installed (package $2)" >&2; exit 1; }
}
need pkg-config pkg-config
need gcc gcc
need g++ g++
kind=$1 pcdir=$2 out=$3
src=$(dirname "$0")/test_api.c

if [ ! -f "$pcdir/libntms-uninstalled.pc" ]; then
  echo "compile-api.sh: no $pcdir/libntms-uninstalled.pc" >&2
  exit 1
fi
export PKG_CONFIG_PATH=$pcdir
# pkg-config prefers libntms-uninstalled.pc to an installed libntms.pc of the same name.
flags=$(pkg-config --cflags --libs libntms)
warnings=(-Wall -Wextra -Werror -pedantic)
case $kind in
  c99) cmd=(gcc -std=c99 "${warnings[@]}" "$src") ;;
  c++) cmd=(g++ "${warnings[@]}" -x c++ "$src" -x none) ;;
  *) echo "compile-api.sh: c99 or c++, not $kind" >&2; exit 2 ;;
esac
# The library is not installed: the program finds it where the build left it, in the -L
# directory of the .pc (its libdir variable names the install directory under the build tree).
rpath=()
for l in $(pkg-config --libs-only-L libntms); do rpath+=("-Wl,-rpath,${l#-L}"); done
# shellcheck disable=SC2086 # pkg-config's output is a list of words
"${cmd[@]}" $flags -pthread "${rpath[@]}" -o "$out"
