#!/bin/bash
# The bash completion offers every command of ntmsctl's usage text, and every option the usage
# text names (globally or after one of the commands). TAP on stdout.
#   check-completion.sh NTMSCTL COMPLETION-FILE
set -uo pipefail
ctl=$1 completion=$2
# shellcheck source=/dev/null
source "$completion"

complete_words() { # complete_words WORD...: what the completion offers for the last word
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMPREPLY=()
    _ntmsctl
    printf '%s\n' "${COMPREPLY[@]}"
}

help=$("$ctl" --help) || { echo "not ok 1 - ntmsctl --help"; exit 1; }
# Command lines start with two blanks and a word; "a ARG | b ARG" names two.
mapfile -t commands < <(grep -E '^  [a-z]' <<<"$help" | sed -E 's/^ +//; s/ {2,}[^ ].*$//' |
  tr '|' '\n' | awk '$1 ~ /^[a-z][a-z-]*$/ { print $1 }' | sort -u)
mapfile -t options < <(grep -oE -- '--[a-z][a-z-]*' <<<"$help" | sort -u)

n=0 failed=0
result() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }

# Sanity: the usage text was read (the commands ntmsctl has had from the start).
for c in libraries inject media; do
  printf '%s\n' "${commands[@]}" | grep -qx "$c"; result $? "usage text names $c"
done

offered=$(complete_words ntmsctl "")
for c in "${commands[@]}"; do
  grep -qx -- "$c" <<<"$offered"; result $? "completion offers command $c"
done

all_options=$(complete_words ntmsctl --; for c in "${commands[@]}"; do complete_words ntmsctl "$c" --; done)
for o in "${options[@]}"; do
  grep -qx -- "$o" <<<"$all_options"; result $? "completion offers option $o"
done

# An option's own value: --method after door, --output anywhere.
grep -qx none <<<"$(complete_words ntmsctl door lab --method "")"; result $? "door --method offers none"
grep -qx json <<<"$(complete_words ntmsctl --output "")"; result $? "--output offers json"

echo "1..$n"
exit $failed
