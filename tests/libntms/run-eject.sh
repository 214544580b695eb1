#!/bin/bash
# test_eject with the GUIDs of the first two media of library "lab", read from its ListMedia with
# busctl. Run inside private-bus.sh.
#   run-eject.sh TEST_EJECT NTMS_SIM
set -euo pipefail
path=$(busctl --system call org.ntms.Ntms1 /org/ntms/Ntms1 org.ntms.Ntms1.Manager GetLibrary s lab |
  sed -n 's/^o "\(.*\)"$/\1/p')
media=$(busctl --system call org.ntms.Ntms1 "$path" org.ntms.Ntms1.Library ListMedia)
guid_of() { grep -o "\"[0-9a-f-]\{36\}\" \"$1\"" <<<"$media" | cut -d'"' -f2; }
first=$(guid_of S00001L8) second=$(guid_of S00002L8)
[ -n "$first" ] && [ -n "$second" ] || { echo "run-eject.sh: media not listed: $media" >&2; exit 1; }
exec "$1" "$2" "$NTMS_TEST_DIR/lab.state" "$first" "$second"
