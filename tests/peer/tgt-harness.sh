#!/bin/bash
# A private tgtd acting as an SMC tape library on 127.0.0.1, for the peer tests and benchmarks.
#
#   TGT_HARNESS_DIR=DIR tgt-harness.sh start        start tgtd, build the library, print KEY=VALUE
#   TGT_HARNESS_DIR=DIR tgt-harness.sh stop         stop it (offline, delete targets, delete system)
#   TGT_HARNESS_DIR=DIR tgt-harness.sh insert ADDR BARCODE   operator puts a cartridge in a port
#   TGT_HARNESS_DIR=DIR tgt-harness.sh remove ADDR           operator takes it out
#   TGT_HARNESS_DIR=DIR tgt-harness.sh place TYPE ADDR BARCODE   put a cartridge in any element
#   TGT_HARNESS_DIR=DIR tgt-harness.sh drop-sessions    close every iSCSI connection from the target
#   TGT_HARNESS_DIR=DIR tgt-harness.sh sessions     print how many iSCSI connections it has
#   TGT_HARNESS_DIR=DIR tgt-harness.sh unbind|bind  refuse or admit logins from 127.0.0.1
#   TGT_HARNESS_DIR=DIR tgt-harness.sh down         kill tgtd (SIGKILL, as a crash would)
#   TGT_HARNESS_DIR=DIR tgt-harness.sh up           start it again on the same port with the layout
#                                                   and cartridges of start (SERIAL: a new serial)
#   TGT_HARNESS_DIR=DIR tgt-harness.sh status       exit 0 while tgtd runs
#
# DIR is an existing directory owned by the caller (a fresh temp dir); all state lives there.
# Library shape (start): SLOTS (20), DRIVES (2), IE (4), FILL (8: slots given barcodes S00001L8...),
# SERIAL (the changer's unit serial number; empty: tgt's own).
# Element map: MT 1 | DT 2..1+DRIVES | IE 100..99+IE | ST 1000..999+SLOTS.
#
# tgtd never outlives its caller: it runs under a supervisor in its own session that watches
# WATCH_PID (default: the caller of `start`) and stops tgtd when that process is gone, or at once
# on SIGUSR1; with TGT_HARNESS_CLEANUP=1 it then also removes DIR. The control instance (-C) and
# the TCP port are chosen free at run time. After `down` (DIR/down exists) the supervisor waits;
# `up` asks it (SIGUSR2) for a new tgtd on the same instance and port.
set -euo pipefail

die() { echo "tgt-harness: $*" >&2; exit 1; }
# A missing tool stops the harness at once, naming the Debian package (tools/deps.sh installs it).
need() { command -v "$1" >/dev/null || die "$1 is not installed (package $2)"; }
need tgtd tgt
need tgtadm tgt
need tgtimg tgt
need ss iproute2
need setsid util-linux

STATE=${TGT_HARNESS_DIR:-}
if [ -z "$STATE" ] || [ ! -d "$STATE" ]; then
    die "TGT_HARNESS_DIR must name an existing directory"
fi

MT_ADDR=1
DT_FIRST=2
IE_FIRST=100
ST_FIRST=1000
MAX_BARCODE=10 # tgt overflows a buffer and aborts on longer barcodes

# Sets STAT_STATE (field 3 of /proc/PID/stat) and STAT_START (field 22, which tells a process from
# a later one with the same pid), with builtins only: the supervisor asks five times a second, and
# a `ps` and a `cat` each time cost it 16 % of a core beside the tests it serves.
read_stat() {
    local line
    { IFS= read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
    # shellcheck disable=SC2086
    set -- ${line##*) }
    STAT_STATE=$1
    STAT_START=${20}
}

start_time() {
    read_stat "$1" || return 1
    echo "$STAT_START"
}

# Alive and not a zombie (nor dead).
alive() {
    read_stat "$1" || return 1
    [ "$STAT_STATE" != Z ] && [ "$STAT_STATE" != X ]
}

# Our tgtd: the pid still runs tgtd with our control instance (guards against pid reuse).
is_our_tgtd() {
    local pid=$1 cn=$2 cmd
    alive "$pid" || return 1
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    case "$cmd" in *tgtd*" -C $cn "*) return 0 ;; esac
    return 1
}

adm() { tgtadm -C "$CN" --lld iscsi "$@"; }

load_env() {
    [ -f "$STATE/env" ] || die "not started (no $STATE/env)"
    # shellcheck disable=SC1091
    . "$STATE/env"
    CN=$TGT_CN
}

# The polite way out (tgtd ignores SIGTERM), then SIGKILL if it is still there after 3 s.
stop_tgtd() {
    local pid=$1 cn=$2 tid i
    if is_our_tgtd "$pid" "$cn"; then
        # A test may have frozen tgtd (SIGSTOP) to provoke timeouts; tgtadm would wait forever.
        kill -CONT "$pid" 2>/dev/null || true
        timeout 5 tgtadm -C "$cn" --op update --mode sys --name State -v offline \
            >/dev/null 2>&1 || true
        for tid in $(timeout 5 tgtadm -C "$cn" --lld iscsi --op show --mode target 2>/dev/null |
            sed -n 's/^Target \([0-9]*\):.*/\1/p'); do
            timeout 5 tgtadm -C "$cn" --lld iscsi --op delete --mode target --tid "$tid" --force \
                >/dev/null 2>&1 || true
        done
        timeout 5 tgtadm -C "$cn" --op delete --mode system >/dev/null 2>&1 || true
        for i in $(seq 30); do
            is_our_tgtd "$pid" "$cn" || break
            sleep 0.1
        done
        if is_our_tgtd "$pid" "$cn"; then
            kill -KILL "$pid" 2>/dev/null || true
            echo "tgt-harness: tgtd $pid ignored delete system, sent SIGKILL" >&2
        fi
    fi
    # tgtd leaves its control socket behind; nobody else uses this instance number.
    rm -f "/var/run/tgtd/socket.$cn" "/var/run/tgtd/socket.$cn.lock"
}

# Starts tgtd in the background and sets pid. tgtd gets default signal handling, not ours.
run_tgtd() {
    local cn=$1 port=$2
    (
        trap - HUP INT TERM PIPE USR1 USR2
        # Not the supervisor's tick pipe (it exists once the supervisor loops: `up`).
        [ -z "${tick:-}" ] || exec {tick}<&-
        exec tgtd -f -C "$cn" --iscsi portal="127.0.0.1:$port"
    ) </dev/null >>"$STATE/tgtd.log" 2>&1 &
    pid=$!
    echo "$pid" >"$STATE/tgtd.pid.tmp"
    mv "$STATE/tgtd.pid.tmp" "$STATE/tgtd.pid"
}

# Runs in its own session (setsid) so signals aimed at the test's process group do not reach it.
supervise() {
    local cn=$1 port=$2 watch_pid=$3 watch_start=$4 pid stop_requested=0 restart_requested=0
    trap 'stop_requested=1' USR1
    trap 'restart_requested=1' USR2
    trap '' HUP INT TERM PIPE
    run_tgtd "$cn" "$port"
    local tick
    exec {tick}<> <(:)
    while [ "$stop_requested" = 0 ]; do
        read_stat "$watch_pid" || break
        [ "$STAT_START" = "$watch_start" ] || break
        if [ "$restart_requested" = 1 ]; then
            restart_requested=0
            alive "$pid" || run_tgtd "$cn" "$port"
        elif ! alive "$pid" && [ ! -e "$STATE/down" ]; then
            break # tgtd died, and not by `down`
        fi
        # A builtin sleep, woken at once by the traps above: read with a timeout from a pipe
        # nobody writes to (a `sleep` would be a fork and an exec five times a second).
        read -rt 0.2 -u "$tick" || true
    done
    stop_tgtd "$pid" "$cn"
    wait "$pid" 2>/dev/null || true
    # Nobody is left to remove the state of a caller that died, unless it asked us to.
    if [ "${TGT_HARNESS_CLEANUP:-0}" = 1 ] && [ -f "$STATE/env" ] &&
        [ "$(start_time "$watch_pid" || true)" != "$watch_start" ]; then
        rm -rf -- "$STATE"
    fi
}

port_in_use() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

pick_free_port() {
    local p i
    for i in $(seq 50); do
        p=$((20000 + RANDOM % 40000))
        port_in_use "$p" || { echo "$p"; return 0; }
    done
    return 1
}

pick_free_instance() {
    local n i
    for i in $(seq 50); do
        n=$((1000 + RANDOM % 30000))
        [ -e "/var/run/tgtd/socket.$n.lock" ] || { echo "$n"; return 0; }
    done
    return 1
}

# Stops whatever a failed start attempt left running.
abort_attempt() {
    local sup=$1 cn=$2
    if [ -f "$STATE/tgtd.pid" ]; then
        stop_tgtd "$(cat "$STATE/tgtd.pid")" "$cn"
    fi
    kill -USR1 "$sup" 2>/dev/null || true
    for _ in $(seq 30); do alive "$sup" || break; sleep 0.1; done
    if alive "$sup"; then kill -KILL "$sup" 2>/dev/null || true; fi
    rm -f "$STATE/tgtd.pid"
}

# tgtd exits at once when the instance is taken, and keeps running without a portal when the port
# is taken: only "our pid listens on our port and answers tgtadm" (within 5 s) is success.
listening() {
    local pid=$1 cn=$2 port=$3
    for _ in $(seq 100); do
        alive "$pid" || return 1
        ss -Hltnp "sport = :$port" 2>/dev/null | grep -q "pid=$pid," &&
            tgtadm -C "$cn" --op show --mode sys >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    return 1
}

# Starts tgtd under its supervisor and waits until it listens on our port. Sets CN PORT PID SUP.
launch() {
    local watch_pid=$1 watch_start=$2 i
    for _ in $(seq 8); do
        CN=$(pick_free_instance) || die "no free tgtd control instance"
        PORT=$(pick_free_port) || die "no free TCP port"
        rm -f "$STATE/tgtd.pid"
        setsid "$BASH" "$0" _supervise "$CN" "$PORT" "$watch_pid" "$watch_start" \
            </dev/null >>"$STATE/supervisor.log" 2>&1 &
        SUP=$!
        for i in $(seq 50); do [ -f "$STATE/tgtd.pid" ] && break; sleep 0.05; done
        [ -f "$STATE/tgtd.pid" ] || { abort_attempt "$SUP" "$CN"; continue; }
        PID=$(cat "$STATE/tgtd.pid")
        listening "$PID" "$CN" "$PORT" && return 0
        abort_attempt "$SUP" "$CN"
    done
    die "could not start tgtd (see $STATE/tgtd.log)"
}

check_barcode() {
    [ -n "$1" ] || die "empty barcode"
    [ "${#1}" -le "$MAX_BARCODE" ] || die "barcode '$1' is longer than $MAX_BARCODE characters"
    case "$1" in *[!A-Za-z0-9]*) die "barcode '$1' must be letters and digits" ;; esac
}

# The target with its drives and its changer, cartridges in the first FILL slots, bound to
# 127.0.0.1: what `start` builds, and `up` again.
configure() {
    local d i barcode
    adm --op new --mode target --tid 1 -T "$IQN"
    for d in $(seq 1 "$DRIVES_N"); do
        [ -f "$STATE/drive$d.img" ] ||
            tgtimg --op new --device-type tape --barcode "INIT$d" --size 1 --type data \
                --file "$STATE/drive$d.img" >/dev/null
        adm --op new --mode logicalunit --tid 1 --lun "$d" -b "$STATE/drive$d.img" \
            --device-type=tape
        adm --op update --mode logicalunit --tid 1 --lun "$d" --params online=0
    done
    : >"$STATE/changer"
    adm --op new --mode logicalunit --tid 1 --lun "$LUN" -b "$STATE/changer" --device-type=changer
    [ -z "$SERIAL_S" ] ||
        adm --op update --mode logicalunit --tid 1 --lun "$LUN" --params scsi_sn="$SERIAL_S"
    adm --op update --mode logicalunit --tid 1 --lun "$LUN" --params media_home="$STATE"
    adm --op update --mode logicalunit --tid 1 --lun "$LUN" \
        --params element_type=1,start_address=$MT_ADDR,quantity=1
    if [ "$DRIVES_N" -gt 0 ]; then
        adm --op update --mode logicalunit --tid 1 --lun "$LUN" \
            --params element_type=4,start_address=$DT_FIRST,quantity="$DRIVES_N"
        for d in $(seq 1 "$DRIVES_N"); do
            adm --op update --mode logicalunit --tid 1 --lun "$LUN" \
                --params element_type=4,address=$((DT_FIRST + d - 1)),tid=1,lun="$d"
        done
    fi
    [ "$IE_N" -eq 0 ] || adm --op update --mode logicalunit --tid 1 --lun "$LUN" \
        --params element_type=3,start_address=$IE_FIRST,quantity="$IE_N"
    adm --op update --mode logicalunit --tid 1 --lun "$LUN" \
        --params element_type=2,start_address=$ST_FIRST,quantity="$SLOTS_N"
    # One tgtadm call per cartridge (tgt has no batch form); printf -v spares a fork per slot.
    for ((i = 1; i <= FILL_N; i++)); do
        printf -v barcode 'S%05dL8' "$i"
        adm --op update --mode logicalunit --tid 1 --lun "$LUN" \
            --params "element_type=2,address=$((ST_FIRST + i - 1)),barcode=$barcode,sides=1"
    done
    adm --op bind --mode target --tid 1 -I 127.0.0.1
}

write_env() {
    cat >"$STATE/env.tmp" <<EOF
TGT_CN=$CN
TGT_PORT=$PORT
TGT_IQN=$IQN
TGT_LUN=$LUN
TGT_URL=iscsi://127.0.0.1:$PORT/$IQN/$LUN
TGTD_PID=$PID
TGT_SUPERVISOR_PID=$SUP
TGT_MT=$MT_ADDR
TGT_DT_FIRST=$DT_FIRST
TGT_DRIVES=$DRIVES_N
TGT_IE_FIRST=$IE_FIRST
TGT_IE=$IE_N
TGT_ST_FIRST=$ST_FIRST
TGT_SLOTS=$SLOTS_N
TGT_FILL=$FILL_N
TGT_SERIAL=$SERIAL_S
EOF
    mv "$STATE/env.tmp" "$STATE/env"
}

cmd_start() {
    local watch_pid=${WATCH_PID:-$PPID} watch_start
    SLOTS_N=${SLOTS:-20} DRIVES_N=${DRIVES:-2} IE_N=${IE:-4} FILL_N=${FILL:-8} SERIAL_S=${SERIAL:-}
    [ ! -f "$STATE/env" ] || die "already started in $STATE"
    [ "$FILL_N" -le "$SLOTS_N" ] || die "FILL ($FILL_N) exceeds SLOTS ($SLOTS_N)"
    [ $((ST_FIRST + SLOTS_N - 1)) -le 65535 ] || die "SLOTS too large for 16-bit addresses"
    [ -z "$SERIAL_S" ] || check_barcode "$SERIAL_S"
    watch_start=$(start_time "$watch_pid") || die "cannot watch pid $watch_pid"

    launch "$watch_pid" "$watch_start"
    trap 'abort_attempt "$SUP" "$CN"; rm -f "$STATE/env"' EXIT
    IQN="iqn.2025-01.test.ntms:harness-$CN"
    LUN=$((DRIVES_N + 1))
    configure
    write_env
    trap - EXIT
    cat "$STATE/env"
}

cmd_stop() {
    [ -f "$STATE/env" ] || exit 0
    load_env
    stop_tgtd "$TGTD_PID" "$CN"
    if alive "$TGT_SUPERVISOR_PID"; then
        kill -USR1 "$TGT_SUPERVISOR_PID" 2>/dev/null || true
        for _ in $(seq 30); do alive "$TGT_SUPERVISOR_PID" || break; sleep 0.1; done
        if alive "$TGT_SUPERVISOR_PID"; then kill -KILL "$TGT_SUPERVISOR_PID" 2>/dev/null || true; fi
    fi
    rm -f "$STATE/env" "$STATE/tgtd.pid"
}

cmd_status() {
    load_env
    is_our_tgtd "$TGTD_PID" "$CN" || { echo "tgtd not running"; exit 1; }
    echo "tgtd $TGTD_PID running, control instance $CN, portal 127.0.0.1:$TGT_PORT"
}

cmd_insert() {
    [ $# -eq 2 ] || die "usage: insert ADDR BARCODE"
    load_env
    check_barcode "$2"
    adm --mode logicalunit --op update --tid 1 --lun "$TGT_LUN" \
        --params "element_type=3,address=$1,barcode=$2,sides=1"
}

cmd_remove() {
    [ $# -eq 1 ] || die "usage: remove ADDR"
    load_env
    adm --mode logicalunit --op update --tid 1 --lun "$TGT_LUN" \
        --params "element_type=3,address=$1,clear_slot=1"
}

cmd_place() {
    [ $# -eq 3 ] || die "usage: place TYPE ADDR BARCODE"
    load_env
    check_barcode "$3"
    adm --mode logicalunit --op update --tid 1 --lun "$TGT_LUN" \
        --params "element_type=$1,address=$2,barcode=$3,sides=1"
}

# Closes every iSCSI connection from the target side, as a target reboot or a network cut would.
cmd_drop_sessions() {
    local sid="" line
    load_env
    adm --op show --mode conn --tid 1 | while read -r line; do
        case "$line" in
        Session:*) sid=${line#Session: } ;;
        Connection:*)
            adm --op delete --mode conn --tid 1 --sid "$sid" --cid "${line#Connection: }" || true
            ;;
        esac
    done
}

# Connections the target has now, over all sessions.
cmd_sessions() {
    load_env
    adm --op show --mode conn --tid 1 | grep -c '^ *Connection:' || true
}

cmd_bind() {
    load_env
    adm --op "$1" --mode target --tid 1 -I 127.0.0.1
}

# tgtd crashes: SIGKILL, so that no session is logged out and nothing is cleaned up.
cmd_down() {
    load_env
    alive "$TGT_SUPERVISOR_PID" || die "its supervisor is gone"
    : >"$STATE/down"
    if is_our_tgtd "$TGTD_PID" "$CN"; then
        kill -KILL "$TGTD_PID"
        for _ in $(seq 50); do is_our_tgtd "$TGTD_PID" "$CN" || break; sleep 0.05; done
        ! is_our_tgtd "$TGTD_PID" "$CN" || die "tgtd $TGTD_PID survived SIGKILL"
    fi
}

# tgtd is back on the same control instance and port, built as at start: its changer state was in
# memory only, so the slots hold the cartridges of start again. SERIAL overrides the serial.
cmd_up() {
    local new=""
    load_env
    [ -e "$STATE/down" ] || die "tgtd is not down"
    alive "$TGT_SUPERVISOR_PID" || die "its supervisor is gone"
    PORT=$TGT_PORT IQN=$TGT_IQN LUN=$TGT_LUN SUP=$TGT_SUPERVISOR_PID
    SLOTS_N=$TGT_SLOTS DRIVES_N=$TGT_DRIVES IE_N=$TGT_IE FILL_N=$TGT_FILL
    SERIAL_S=${SERIAL-$TGT_SERIAL}
    [ -z "$SERIAL_S" ] || check_barcode "$SERIAL_S"
    kill -USR2 "$SUP"
    for _ in $(seq 100); do
        new=$(cat "$STATE/tgtd.pid" 2>/dev/null || true)
        [ -n "$new" ] && [ "$new" != "$TGTD_PID" ] && break
        sleep 0.05
    done
    if [ -z "$new" ] || [ "$new" = "$TGTD_PID" ]; then die "its supervisor started no tgtd"; fi
    PID=$new
    listening "$PID" "$CN" "$PORT" || die "tgtd $PID does not listen on $PORT (see $STATE/tgtd.log)"
    rm -f "$STATE/down"
    configure
    write_env
    cat "$STATE/env"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
insert) shift; cmd_insert "$@" ;;
remove) shift; cmd_remove "$@" ;;
place) shift; cmd_place "$@" ;;
drop-sessions) cmd_drop_sessions ;;
sessions) cmd_sessions ;;
bind | unbind) cmd_bind "$1" ;;
down) cmd_down ;;
up) cmd_up ;;
_supervise) shift; supervise "$@" ;;
*) die "usage: tgt-harness.sh start|stop|status|insert ADDR BARCODE|remove ADDR|place TYPE ADDR BARCODE|drop-sessions|sessions|bind|unbind|down|up" ;;
esac
