#!/bin/bash
# The WCHAR trap of ntmsapi(3), compiled: u"..." and NTMS_TEXT("...") fit the W functions, in C11
# and C++; an L"..." literal (32-bit wchar_t on Linux) is diagnosed in C and refused in C++.
# Compile only. TAP on stdout.
#   check-wchar.sh INCLUDE_DIR [CC] [CXX]
set -uo pipefail
include=$1 cc=${2:-gcc} cxx=${3:-g++}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
result() { # ok|not-ok what [detail]
  n=$((n + 1))
  if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; [ -z "${3:-}" ] || sed 's/^/# /' <<<"$3"; fi
}
program() { # the argument given as lpServer
  printf '#include <ntmsapi.h>\nHANDLE f(void);\nHANDLE f(void) { return OpenNtmsSessionW(%s, 0, 0); }\n' "$1"
}
compiles() { # compiler language flags... < source
  local out
  out=$("$@" -I "$include" -Wall -Wextra -Werror -c -o /dev/null - 2>&1) && return 0
  echo "$out" >"$tmp/err"
  return 1
}

for lang in "c -std=c11" "c++ -std=c++17"; do
  set -- $lang
  compiler=$cc; [ "$1" = c++ ] && compiler=$cxx
  if program 'u"localhost"' | compiles "$compiler" -x "$@"; then
    result ok "$1: u\"...\" is an LPCWSTR"
  else
    result not-ok "$1: u\"...\" is an LPCWSTR" "$(cat "$tmp/err")"
  fi
  if program 'NTMS_TEXT("localhost")' | compiles "$compiler" -x "$@" -DUNICODE; then
    result ok "$1: NTMS_TEXT(\"...\") with UNICODE is an LPCWSTR"
  else
    result not-ok "$1: NTMS_TEXT(\"...\") with UNICODE is an LPCWSTR" "$(cat "$tmp/err")"
  fi
  if program 'L"localhost"' | compiles "$compiler" -x "$@"; then
    result not-ok "$1: L\"...\" given as an LPCWSTR is diagnosed" "it compiled without a word"
  elif grep -qiE "incompatible pointer|cannot convert|invalid conversion" "$tmp/err"; then
    result ok "$1: L\"...\" given as an LPCWSTR is diagnosed ($(grep -oiE "incompatible pointer type|cannot convert|invalid conversion" "$tmp/err" | head -n 1))"
  else
    result not-ok "$1: L\"...\" given as an LPCWSTR is diagnosed" "$(cat "$tmp/err")"
  fi
done
# Without UNICODE, NTMS_TEXT is the UTF-8 literal the A functions take, in C99 too.
if printf '#include <ntmsapi.h>\nHANDLE f(void);\nHANDLE f(void) { return OpenNtmsSession(NTMS_TEXT("localhost"), 0, 0); }\n' |
  compiles "$cc" -x c -std=c99 -pedantic; then
  result ok "c99: NTMS_TEXT(\"...\") without UNICODE is an LPCSTR"
else
  result not-ok "c99: NTMS_TEXT(\"...\") without UNICODE is an LPCSTR" "$(cat "$tmp/err")"
fi
echo "1..$n"
exit $failed
