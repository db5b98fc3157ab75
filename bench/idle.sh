#!/usr/bin/env bash
# Idle cost of the console: runs the release binary on the demo world in a detached tmux pane
# at 160×45 (plain, --read-only, and --wall when this build has it), leaves it alone, and prints
# per mode the CPU it used as a percentage of one core (utime+stime from /proc/PID/stat over the
# measured window) and its peak RSS (VmHWM from /proc/PID/status).
#
#   bash bench/idle.sh [SECONDS] [WARMUP_SECONDS]
#   OPSCONSOLE_BIN=target/release/opsconsole bash bench/idle.sh 60   # skip the build
#
# SECONDS (default 60) is the measured window per mode; WARMUP_SECONDS (default 5) is left out
# of it, so start-up (the log backlog, the first fetches) is reported on its own line. Everything
# is bounded: each mode stops after WARMUP+SECONDS, the private tmux server is killed on exit.
# The demo world makes no network connection; config and state go to a temporary directory, so
# neither the user's config nor their journal is read or written.
set -euo pipefail

SECONDS_MEASURED=${1:-60}
WARMUP=${2:-5}
case "$SECONDS_MEASURED$WARMUP" in
*[!0-9]*) echo "usage: bash bench/idle.sh [SECONDS] [WARMUP_SECONDS]" >&2; exit 2 ;;
esac
if [ "$SECONDS_MEASURED" -lt 1 ]; then
    echo "SECONDS must be at least 1" >&2
    exit 2
fi

cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "tmux is needed (apt-get install tmux)" >&2; exit 1; }
# OPSCONSOLE_BIN=path uses that binary as it is; by default the release build is brought up to date.
if [ -n "${OPSCONSOLE_BIN:-}" ]; then
    BIN=$OPSCONSOLE_BIN
else
    timeout 1800 cargo build --release --quiet --bin opsconsole --features static-openssl
    BIN=$PWD/target/release/opsconsole
fi

TICK=$(getconf CLK_TCK)

SOCKET="opsconsole-idle-$$"
WORK=$(mktemp -d)
cleanup() {
    tmux -L "$SOCKET" kill-server 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
. bench/lib.sh  # cpu_ticks, kb_of

modes=("demo:--demo" "read-only:--demo --read-only")
if "$BIN" --help 2>/dev/null | grep -q -- '--wall'; then
    modes+=("wall:--demo --wall")
fi

printf 'opsconsole idle, %s s measured after %s s warm-up, 160x45, %s cores, %s\n' \
    "$SECONDS_MEASURED" "$WARMUP" "$(nproc)" \
    "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
printf '%-10s %12s %12s %12s %10s %10s %14s\n' mode "cpu% 1 core" "start cpu s" "idle cpu s" \
    "RSS MB" "peak MB" "tmux cpu%"

for entry in "${modes[@]}"; do
    name=${entry%%:*}
    args=${entry#*:}
    home="$WORK/$name"
    mkdir -p "$home"
    # A fresh tmux server per mode, so its own CPU can be told apart.
    tmux -L "$SOCKET" kill-server 2>/dev/null || true
    tmux -L "$SOCKET" -f /dev/null new-session -d -s idle -x 160 -y 45 \
        "exec env HOME='$home' XDG_CONFIG_HOME='$home/config' XDG_STATE_HOME='$home/state' \
         XDG_DATA_HOME='$home/data' OPSCONSOLE_CONFIG_DIR='$home/config' \
         OPSCONSOLE_STATE_DIR='$home/state' TERM=xterm-256color RUST_LOG=warn \
         '$BIN' $args"
    pid=$(tmux -L "$SOCKET" list-panes -t idle -F '#{pane_pid}')
    server=$(tmux -L "$SOCKET" display-message -p '#{pid}')
    sleep "$WARMUP"
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "$name: opsconsole exited during warm-up" >&2
        exit 1
    fi
    t0=$(cpu_ticks "$pid")
    s0=$(cpu_ticks "$server")
    w0=$(date +%s.%N)
    sleep "$SECONDS_MEASURED"
    t1=$(cpu_ticks "$pid")
    s1=$(cpu_ticks "$server")
    w1=$(date +%s.%N)
    rss=$(kb_of "$pid" VmRSS)
    hwm=$(kb_of "$pid" VmHWM)
    screen=$(tmux -L "$SOCKET" capture-pane -p -t idle)
    tmux -L "$SOCKET" send-keys -t idle q
    sleep 0.5
    kill "$pid" 2>/dev/null || true
    if ! grep -q "Targets" <<<"$screen"; then
        echo "$name: the pane does not show the console:" >&2
        echo "$screen" >&2
        exit 1
    fi
    awk -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" -v w0="$w0" -v w1="$w1" \
        -v tick="$TICK" -v rss="$rss" -v hwm="$hwm" -v name="$name" 'BEGIN {
        wall = w1 - w0
        printf "%-10s %12.3f %12.2f %12.2f %10.1f %10.1f %14.3f\n", name,
            100 * (t1 - t0) / tick / wall, t0 / tick, (t1 - t0) / tick,
            rss / 1024, hwm / 1024, 100 * (s1 - s0) / tick / wall
    }'
done
echo "cpu% 1 core: utime+stime of opsconsole over the window / wall time of the window;"
echo "start cpu s: CPU seconds used during start-up and warm-up; peak MB: VmHWM at the end;"
echo "tmux cpu%: the tmux server drawing the pane (what a terminal emulator would do)."
echo "Clock tick: 1/$TICK s."
