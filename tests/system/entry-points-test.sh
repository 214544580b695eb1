#!/bin/bash
# README's first lines and the Makefile behind them, without running them (make check-fresh
# does that on a fresh root). TAP on stdout.
#   entry-points-test.sh SOURCE-DIR
# - check-fresh runs README's first sh block: apt-get installs make and nothing else (deps.sh
#   does the rest), then make demo, then make check;
# - make demo compiles exactly the programs tools/demo.sh runs from the build tree.
set -uo pipefail
src=$1
n=0
check() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

mapfile -t cmds < <("$src/tools/check-fresh.sh" --commands)
[ "${#cmds[@]}" = 3 ] && [ "${cmds[1]}" = "make demo" ] && [ "${cmds[2]}" = "make check" ]
check $? "README's commands: a prerequisite line, make demo, make check"
printf '# %s\n' "${cmds[@]}"

# The packages the first line installs by hand: the words after "install" that are not options.
read -ra words <<<"${cmds[0]##*apt-get install}"
pkgs=()
for w in "${words[@]}"; do [[ $w == -* ]] || pkgs+=("$w"); done
[[ ${cmds[0]} == *"apt-get update &&"* ]] && [ "${pkgs[*]}" = make ]
check $? "the prerequisite line updates the package lists and installs make only (got: ${pkgs[*]})"

targets=$(make -C "$src" -n demo BUILD=build 2>/dev/null | sed -n 's/^meson compile -C build //p')
ran=$(grep -oE '\$build/[A-Za-z0-9_/.-]+' "$src/tools/demo.sh" | sed 's|.*/||' | sort -u)
[ -n "$targets" ] && [ "$(echo "$ran")" = "$(tr ' ' '\n' <<<"$targets" | sort -u)" ]
check $? "make demo compiles exactly what demo.sh runs (compiles: $targets; runs: $(echo $ran))"

echo "1..$n"
