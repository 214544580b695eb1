#!/bin/bash
# The man pages against what they document. TAP:
#  - each link page is one ".so man3/PAGE.3" line naming a page of the set, and man-db, given
#    the pages as an installed tree, resolves the link's name to that page and renders it;
#  - every function libntms exports (its version script) has a page, whose NAME line lists it;
#  - every command and option that `ntmsctl --help` prints is documented in ntmsctl(1);
#  - every cross reference to one of the project's pages names a page of the set.
#   coverage.sh --symbols LIBNTMS.SYM --ntmsctl NTMSCTL --links LINK... --pages PAGE...
set -euo pipefail

symbols='' ntmsctl='' mode=''
pages=() links=()
while [ $# -gt 0 ]; do
  case $1 in
    --symbols) symbols=$2; shift 2 ;;
    --ntmsctl) ntmsctl=$2; shift 2 ;;
    --pages) mode=pages; shift ;;
    --links) mode=links; shift ;;
    *)
      case $mode in
        pages) pages+=("$1") ;;
        links) links+=("$1") ;;
        *) echo "coverage.sh: unexpected argument $1" >&2; exit 2 ;;
      esac
      shift ;;
  esac
done
if [ -z "$symbols" ] || [ -z "$ntmsctl" ] || [ ${#pages[@]} -eq 0 ] || [ ${#links[@]} -eq 0 ]; then
  echo "usage: coverage.sh --symbols LIBNTMS.SYM --ntmsctl NTMSCTL --links LINK... --pages PAGE..." >&2
  exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; failed=$((failed + 1)); }

# The pages as man-db would find them installed: man1/, man3/, ...
tree=$tmp/man
for f in "${pages[@]}" "${links[@]}"; do
  section=${f##*.}
  mkdir -p "$tree/man$section"
  cp "$f" "$tree/man$section/"
done
export MANPATH=$tree MANWIDTH=80
have_page() { [ -f "$tree/man$2/$1.$2" ]; }
# The names of a page's NAME section ("OpenNtmsSession, OpenNtmsSessionA, ... \- ...").
name_line() { sed -n '/^\.SH NAME/,/\\-/p' "$1" | sed '1d' | tr '\n' ' '; }

# Link pages.
for link in "${links[@]}"; do
  name=$(basename "$link" .3)
  target=$(sed -n 's|^\.so man3/\(.*\)\.3$|\1|p' "$link")
  if [ "$(wc -l <"$link")" -ne 1 ] || [ -z "$target" ]; then
    not_ok "$name.3 is one line: .so man3/PAGE.3"
    continue
  fi
  if ! have_page "$target" 3; then
    not_ok "$name.3 links to $target.3, which is one of the pages"
    continue
  fi
  if [ "$(man -w "$name" 2>&1)" = "$tree/man3/$target.3" ]; then
    ok "man $name finds $target.3"
  else
    not_ok "man $name finds $target.3 (man -w: $(man -w "$name" 2>&1))"
  fi
  if man "$name" >"$tmp/rendered" 2>"$tmp/err" && [ ! -s "$tmp/err" ] &&
      grep -q "^NAME" "$tmp/rendered"; then
    ok "man $name renders $target.3"
  else
    not_ok "man $name renders $target.3: $(cat "$tmp/err")"
  fi
  if name_line "$tree/man3/$target.3" | grep -Eq "(^|[ ,])$name(,| )"; then
    ok "$target.3 lists $name in its NAME section"
  else
    not_ok "$target.3 lists $name in its NAME section"
  fi
done

# Every exported function. The version script lists them between "global:" and "local:".
functions=$(sed -n '/global:/,/local:/p' "$symbols" | sed -n 's/^ *\([A-Za-z_][A-Za-z0-9_]*\);$/\1/p')
if [ -z "$functions" ]; then
  not_ok "the version script $symbols lists functions"
fi
for f in $functions; do
  if ! page=$(man -w "$f" 2>/dev/null); then
    not_ok "libntms function $f has a page"
  elif name_line "$page" | grep -Eq "(^|[ ,])$f(,| )"; then
    ok "libntms function $f is documented in $(basename "$page")"
  else
    not_ok "libntms function $f: $(basename "$page") does not list it in NAME"
  fi
done

# ntmsctl: the commands and options of its help, in the COMMANDS and OPTIONS of ntmsctl(1).
if ! have_page ntmsctl 1; then
  not_ok "ntmsctl.1 is one of the pages"
else
  man ntmsctl >"$tmp/ntmsctl.txt" 2>/dev/null
  "$ntmsctl" --help >"$tmp/help"
  # "  stop JOB | retract JOB    stop ..." gives stop and retract.
  commands=$(grep -E '^  [a-z]' "$tmp/help" | sed 's/   .*//' | tr '|' '\n' |
    sed -n 's/^ *\([a-z][a-z-]*\).*/\1/p')
  options=$(grep -oE -- '--[a-z][a-z-]*' "$tmp/help" | sort -u)
  [ -n "$commands" ] || not_ok "ntmsctl --help lists commands"
  # In a file: grep -q leaving a pipe early would kill sed with SIGPIPE once the section
  # outgrows sed's 4 KiB buffer, and pipefail would count that as a miss.
  sed -n '/^COMMANDS/,/^[A-Z]/p' "$tmp/ntmsctl.txt" >"$tmp/commands.txt"
  for c in $commands; do
    # A tag line of the COMMANDS section, as man renders it.
    if grep -Eq "^       $c( |\$)" "$tmp/commands.txt"; then
      ok "ntmsctl(1) documents the command $c"
    else
      not_ok "ntmsctl(1) documents the command $c"
    fi
  done
  for o in $options -h; do
    if grep -Eq -- "^ +$o([ ,]|\$)" "$tmp/ntmsctl.txt"; then
      ok "ntmsctl(1) documents the option $o"
    else
      not_ok "ntmsctl(1) documents the option $o"
    fi
  done
fi

# Cross references to the project's own pages must name pages of the set.
refs=$(cat "${pages[@]}" | sed -n 's/^\.BR \([A-Za-z][A-Za-z0-9_.]*\) (\([0-9]\))[ ,.]*$/\1 \2/p' |
  sort -u)
while read -r name section; do
  case $name in
    libntms | ntmsctl | ntmsd | ntmsd.conf | org.ntms.Ntms1 | *Ntms*) ;;
    *) continue ;;
  esac
  if have_page "$name" "$section" || { [ "$section" = 3 ] && man -w "$name" >/dev/null 2>&1; }; then
    ok "reference $name($section) resolves"
  else
    not_ok "reference $name($section) resolves"
  fi
done <<<"$refs"

echo "1..$n"
[ $failed -eq 0 ]
