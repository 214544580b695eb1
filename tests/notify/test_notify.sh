#!/bin/bash
# ntms-notify against the real ntmsd: the mails it hands to sendmail (here a script that keeps
# its arguments and standard input) when an inject posts its operator request, when the library
# goes offline and when it is back online; their headers, and their text, which must be the
# catalog's entry with the event's fields in place. Also its refusal of bad configurations.
# TAP on stdout. Run inside private-bus.sh.
#   test_notify.sh NTMS-NOTIFY NTMSCTL NTMS-SIM CATALOG
# The waits and checks are shell strings, expanded when eval runs them.
# shellcheck disable=SC2016,SC2034
set -uo pipefail
notify=$1 ctl=$2 sim=$3 catalog=$4
dir=$NTMS_TEST_DIR
state=$dir/lab.state
# shellcheck source=../libntms/tap.sh
source "$(dirname "$0")/../libntms/tap.sh"

# ok_if DESCRIPTION SHELL-CONDITION: a TAP line for a condition of several commands.
ok_if() { if eval "$2"; then tap_ok "$1"; else tap_not_ok "$1"; fi; }
wait_for() { # wait_for SECONDS SHELL-CONDITION
  local secs=$1 i
  for ((i = 0; i < secs * 10; i++)); do
    eval "$2" && return 0
    sleep 0.1
  done
  return 1
}

# The catalog's entry for ID, its @FIELD@s replaced from the NAME=VALUE arguments: written
# here from the catalog's format (journalctl's), independently of ntms-notify's own reader.
#   expected_entry ID NAME=VALUE...   prints "Subject" then a line "--" then the text
expected_entry() {
  local id=$1
  shift
  awk -v id="$id" '
    /^-- [0-9a-f]+$/ && length($2) == 32 { on = ($2 == id); head = on; next }
    on && head && /^$/ { head = 0; next }
    on && head && /^Subject:/ { sub(/^Subject: */, ""); subject = $0; next }
    on && !head { text = text $0 "\n" }
    END { printf "%s\n--\n%s", subject, text }' "$catalog" >"$dir/entry"
  local kv
  for kv in "$@"; do
    # The value goes in literally (it may hold / and &).
    NAME=${kv%%=*} VALUE=${kv#*=} perl -0pi -e 's/\@\Q$ENV{NAME}\E\@/$ENV{VALUE}/g' "$dir/entry"
  done
  # Trailing empty lines end the text, as in the mail.
  perl -0pe 's/\n+\z/\n/' "$dir/entry"
}

# sendmail: each call's arguments (one a line) and its input, numbered from 1.
cat >"$dir/sendmail" <<EOF
#!/bin/sh
n=\$(( \$(cat "$dir/mails" 2>/dev/null || echo 0) + 1 ))
printf '%s\n' "\$@" >"$dir/mail.\$n.args"
cat >"$dir/mail.\$n"
echo \$n >"$dir/mails"
EOF
chmod +x "$dir/sendmail"
mails() { cat "$dir/mails" 2>/dev/null || echo 0; }
# same_text A B: diff's verdict, its differences as TAP comments.
same_text() { diff -u "$1" "$2" | sed 's/^/# /'; return "${PIPESTATUS[0]}"; }
# The MESSAGE of ntmsd's latest journal record whose fields include every FIELD=VALUE given (ntmsd
# writes each record to its log as "ntmsd[PID]: PRIORITY: MESSAGE [FIELD=VALUE ...]").
journal_message() {
  local line
  line=$(grep -F "MESSAGE_ID=" "$dir/ntmsd.log")
  for kv in "$@"; do line=$(grep -F -- "$kv" <<<"$line"); done
  tail -1 <<<"$line" | sed -E 's/^ntmsd\[[0-9]+\]: [a-z]+: //; s/ \[MESSAGE_ID=.*$//'
}
header() { sed -n "1,/^\$/s/^$2: //p" "$dir/mail.$1"; }  # header N NAME
body() { sed '1,/^$/d' "$dir/mail.$1"; }                   # body N

# Bad configurations stop it before anything happens, naming what is wrong.
printf '[Notify]\nFrom=a@example.org\n' >"$dir/none.conf"
"$notify" --config "$dir/none.conf" 2>"$dir/err"
rc=$?
tap_check "no recipient: exit 1" [ "$rc" = 1 ]
tap_check "no recipient: says so" grep -q "names no recipient" "$dir/err"
printf '[Notify]\nTo=a@example.org\nColour=red\n' >"$dir/bad.conf"
"$notify" --config "$dir/bad.conf" 2>"$dir/err"
rc=$?
ok_if "an unknown key: exit 1, named" '[ "$rc" = 1 ] && grep -q "unknown key Colour" "$dir/err"'
printf '[Notify]\nTo=-oQ@example.org\n' >"$dir/bad.conf"
"$notify" --config "$dir/bad.conf" 2>"$dir/err"
tap_check "an address that sendmail would take for an option is refused" grep -q "is not a mail address" "$dir/err"
printf '[Notify]\nTo=a@example.org\nEvents=request paper\n' >"$dir/bad.conf"
"$notify" --config "$dir/bad.conf" 2>"$dir/err"
tap_check "an unknown event is refused" grep -q "not 'paper'" "$dir/err"
tap_check "no mail was sent for them" [ "$(mails)" = 0 ]

cat >"$dir/notify.conf" <<EOF
# Two recipients, on one line and on another.
[Notify]
To=ops@example.org, tape@example.org
To=backup@example.org
From=ntms@example.org
Sendmail=$dir/sendmail
Catalog=$catalog
Events=request offline online
EOF
"$notify" --config "$dir/notify.conf" 2>"$dir/notify.log" &
pid=$!
wait_for 10 'grep -q "ready;" "$dir/notify.log"'
tap_check "ntms-notify is ready" grep -q "ready; mailing 3 recipients through $dir/sendmail" "$dir/notify.log"

lab=$("$ctl" --json library lab | jq -r .id)
libpath=$(busctl --system call org.ntms.Ntms1 /org/ntms/Ntms1 org.ntms.Ntms1.Manager GetLibrary \
  s lab | awk '{ print $2 }' | tr -d '"')
device=$(busctl --system get-property org.ntms.Ntms1 "$libpath" org.ntms.Ntms1.Library Device |
  sed -E 's/^s "(.*)"$/\1/')

# 1. An inject posts its request to fill the port: one mail.
job=$("$ctl" inject lab --timeout 300)
wait_for 10 '[ "$(mails)" -ge 1 ]'
tap_check "the operator request was mailed" [ "$(mails)" = 1 ]
req=$("$ctl" --json requests | jq -r '.[] | select(.type=="NEWMEDIA" and .state=="SUBMITTED") | .id')
msg=$("$ctl" --json requests | jq -r ".[] | select(.id==\"$req\") | .message")
tap_check "sendmail's arguments: -i -f the sender -- the recipients" [ "$(cat "$dir/mail.1.args")" = \
"-i
-f
ntms@example.org
--
ops@example.org
tape@example.org
backup@example.org" ]
tap_check "From" [ "$(header 1 From)" = ntms@example.org ]
tap_check "To: every recipient" [ "$(header 1 To)" = "ops@example.org, tape@example.org, backup@example.org" ]
expected_entry 01b984393b154aa88a35618cee0fc4fb NTMS_LIBRARY_NAME=lab "NTMS_LIBRARY=$lab" \
  "NTMS_JOB=$job" "NTMS_OPREQUEST=$req" NTMS_OPREQUEST_TYPE=newmedia \
  NTMS_OPREQUEST_STATE=submitted >"$dir/expected"
ok_if "Subject: the catalog's, for the insert request of lab" \
  '[ "$(header 1 Subject)" = "$(head -1 "$dir/expected")" ] &&
   [ "$(header 1 Subject)" = "Put cartridges into the port of library lab" ]'
ok_if "Date, MIME and Auto-Submitted headers" \
  '[[ "$(header 1 Date)" =~ ^[A-Z][a-z]{2},\ [0-9]{2}\ [A-Z][a-z]{2}\ [0-9]{4}\ [0-9:]{8}\ [-+][0-9]{4}$ ]] &&
   [ "$(header 1 Auto-Submitted)" = auto-generated ] &&
   [ "$(header 1 Content-Type)" = "text/plain; charset=utf-8" ]'
{ journal_message "NTMS_OPREQUEST=$req " NTMS_OPREQUEST_STATE=submitted; echo
  sed '1,2d' "$dir/expected"; } >"$dir/expected.body"
echo "# request: $msg"
tap_check "the body: the journal record's message, then the catalog's text with its fields" \
  same_text "$dir/expected.body" <(body 1)
tap_check "no field is left unreplaced" test -z "$(grep -o '@NTMS_[A-Z_]*@' "$dir/mail.1")"
"$ctl" satisfy "$req"
wait_for 20 '[ "$("$ctl" --json job "$job" | jq -r .state)" = PASSED ]'
sleep 0.5
tap_check "an answered request is not mailed again" [ "$(mails)" = 1 ]

# 2. The library goes offline: its device no longer answers (the state file is broken; the idle
#    check finds it within CheckIntervalSec, 10 s).
cp "$state" "$dir/lab.state.good"
echo broken >"$state"
wait_for 30 '[ "$(mails)" -ge 2 ]'
tap_check "the library going offline was mailed" [ "$(mails)" = 2 ]
reason=$(busctl --system get-property org.ntms.Ntms1 "$libpath" org.ntms.Ntms1.Library \
  OfflineReason | sed -E 's/^s "(.*)"$/\1/')
first=$(body 2 | head -1)
journal=$(journal_message MESSAGE_ID=360f56304a3d4219b49176f0379bdcec)
ok_if "offline: the first line is the journal's message: library, device, reason" \
  '[ "$first" = "$journal" ] && [[ "$first" == "Library lab ($device) is offline: "?* ]]'
expected_entry 360f56304a3d4219b49176f0379bdcec NTMS_LIBRARY_NAME=lab "NTMS_LIBRARY=$lab" \
  "NTMS_DEVICE=$device" "NTMS_REASON=${journal#*is offline: }" >"$dir/expected"
tap_check "offline: Subject" [ "$(header 2 Subject)" = "Library lab is offline" ]
tap_check "offline: the catalog's text with the library, GUID, device and reason" \
  same_text <(sed '1,2d' "$dir/expected") <(body 2 | sed '1,2d')
echo "# offline reason now: $reason"

# 3. Whole again: online, mailed since Events= names online.
cp "$dir/lab.state.good" "$state"
wait_for 30 '[ "$(mails)" -ge 3 ]'
ok_if "the library back online was mailed, with the journal's message" \
  '[ "$(mails)" = 3 ] && [ "$(header 3 Subject)" = "Library lab is online" ] &&
   [ "$(body 3 | head -1)" = "$(journal_message MESSAGE_ID=00e6dd16ae944cdd9f1e440bb834b99d)" ]'

kill -TERM "$pid"
wait "$pid"
rc=$?
tap_check "SIGTERM ends ntms-notify with status 0" [ "$rc" = 0 ]
tap_check "it logged each mail" [ "$(grep -c '^ntms-notify: mailed ' "$dir/notify.log")" = 3 ]
sed 's/^/# /' "$dir/notify.log"
echo "# the first mail:"
sed 's/^/#   /' "$dir/mail.1"

tap_plan
[ "$tap_failed" = 0 ]
