#!/bin/bash
# Compiles the C examples of man pages the way a reader would: copied out of the page, with
#   gcc -std=c99 -Wall -Wextra -Werror -pedantic   and   g++ -Wall -Wextra -Werror -pedantic,
# against libntms through pkg-config. TAP: one subtest per example and compiler.
#   compile-examples.sh PKG_CONFIG_DIR PAGE...
#   compile-examples.sh --self-test PKG_CONFIG_DIR
# PKG_CONFIG_DIR holds the libntms.pc to build against (the build tree's meson-uninstalled/).
# --self-test shows that the checks can fail: a page whose example is written with a bare '-'
# is refused, and an example that does not compile is reported.
set -euo pipefail

here=$(dirname "$(realpath "$0")")
extract=$here/extract-examples.py
self_test=0
if [ "${1:-}" = --self-test ]; then
  self_test=1
  shift
fi
if [ $# -lt 1 ] || { [ $self_test -eq 0 ] && [ $# -lt 2 ]; }; then
  echo "usage: compile-examples.sh PKG_CONFIG_DIR PAGE... | --self-test PKG_CONFIG_DIR" >&2
  exit 2
fi
export PKG_CONFIG_PATH=$1
shift

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; failed=$((failed + 1)); }
diag() { sed 's/^/# /' "$@"; }

read -r -a flags <<<"$(pkg-config --cflags --libs libntms)"

compile() { # compile SOURCE OUTPUT c|c++: 0 when the compiler took it, its messages in OUTPUT.err
  local src=$1 out=$2
  if [ "$3" = c ]; then
    gcc -std=c99 -Wall -Wextra -Werror -pedantic -o "$out" "$src" "${flags[@]}" 2>"$out.err"
  else
    g++ -Wall -Wextra -Werror -pedantic -x c++ -o "$out" "$src" -x none "${flags[@]}" 2>"$out.err"
  fi
}

check_page() { # check_page PAGE
  local page=$1 name dir names
  name=$(basename "$page")
  dir=$tmp/$name
  mkdir -p "$dir"
  if ! names=$("$extract" "$page" "$dir" 2>"$dir/extract.err"); then
    not_ok "$name: its examples can be extracted"
    diag "$dir/extract.err"
    return
  fi
  if [ -z "$names" ]; then
    not_ok "$name: has a C example in EXAMPLES"
    return
  fi
  for example in $names; do
    if compile "$dir/$example" "$dir/${example%.c}-c" c; then
      ok "$name: $example compiles with gcc -std=c99 -Wall -Wextra -Werror -pedantic"
    else
      not_ok "$name: $example compiles with gcc -std=c99 -Wall -Wextra -Werror -pedantic"
      diag "$dir/${example%.c}-c.err"
    fi
    if compile "$dir/$example" "$dir/${example%.c}-cxx" c++; then
      ok "$name: $example compiles with g++ -Wall -Wextra -Werror -pedantic"
    else
      not_ok "$name: $example compiles with g++ -Wall -Wextra -Werror -pedantic"
      diag "$dir/${example%.c}-cxx.err"
    fi
  done
}

if [ $self_test -eq 1 ]; then
  page=$tmp/broken.3
  mkdir "$tmp/out"
  # A minus written '-' in roff may be printed as a hyphen: the extractor must refuse it.
  printf '%s\n' '.TH BROKEN 3' '.SH EXAMPLES' '.\" example: minus.c' '.EX' \
    'int main(void) { return 1 - 1; }' '.EE' >"$page"
  if "$extract" "$page" "$tmp/out" >/dev/null 2>"$tmp/err" && [ ! -s "$tmp/err" ]; then
    not_ok "an example with a bare - is refused"
  elif grep -q 'write \\- for a minus' "$tmp/err"; then
    ok "an example with a bare - is refused"
  else
    not_ok "an example with a bare - is refused with the reason"
    diag "$tmp/err"
  fi
  # An unnamed .EX block in EXAMPLES would silently escape compilation: refused.
  printf '%s\n' '.TH BROKEN 3' '.SH EXAMPLES' '.EX' 'int main(void) { return 0; }' '.EE' >"$page"
  if "$extract" "$page" "$tmp/out" >/dev/null 2>&1; then
    not_ok "an unnamed example is refused"
  else
    ok "an unnamed example is refused"
  fi
  # An example calling a function the header does not declare must fail under both compilers.
  printf '%s\n' '.TH BROKEN 3' '.SH EXAMPLES' '.\" example: undeclared.c' '.EX' \
    '#include <ntmsapi.h>' 'int main(void) { return (int)NoSuchNtmsFunction(NULL); }' \
    '.EE' >"$page"
  if ! "$extract" "$page" "$tmp/out" >/dev/null; then
    not_ok "an example that does not compile is extracted"
  else
    for lang in c c++; do
      if compile "$tmp/out/undeclared.c" "$tmp/out/undeclared-$lang" $lang; then
        not_ok "an example that does not compile fails as $lang"
      else
        ok "an example that does not compile fails as $lang"
      fi
    done
  fi
else
  for page in "$@"; do
    check_page "$page"
  done
fi

echo "1..$n"
[ $failed -eq 0 ]
