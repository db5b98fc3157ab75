#!/usr/bin/env bash
# How long after start the console's first frame is on screen, with every API call delayed by
# DELAY_MS (bench/delay_proxy.py in front of the emulator): the frame must not wait for data.
# The time is taken from just before `tmux new-session` until `capture-pane` first shows the
# panel titles, polled every 5 ms, so tmux's own start-up is included (an upper bound).
#
#   bash bench/first_frame.sh [RUNS] [DELAY_MS]
#   OPSCONSOLE_BIN=target/release/opsconsole bash bench/first_frame.sh 10 2000
set -euo pipefail

RUNS=${1:-10}
DELAY_MS=${2:-2000}
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
command -v tmux >/dev/null || bench_die "tmux is needed (apt-get install tmux)"

bench_setup
SOCKET="opsconsole-first-$$"
trap 'tmux -L "$SOCKET" kill-server 2>/dev/null || true; bench_cleanup' EXIT
find_binary
start_moto
start_proxy "$DELAY_MS"

times=()
for run in $(seq 1 "$RUNS"); do
    tmux -L "$SOCKET" kill-server 2>/dev/null || true
    t0=$(now_s)
    tmux -L "$SOCKET" -f /dev/null new-session -d -s first -x 160 -y 45 \
        "exec env TERM=xterm-256color '$BIN' --read-only --endpoint-url '$PROXY_URL' --region us-east-1"
    shown=""
    for _ in $(seq 1 2000); do
        if tmux -L "$SOCKET" capture-pane -p -t first 2>/dev/null | grep -q "5 Logs"; then
            shown=$(now_s)
            break
        fi
        sleep 0.005
    done
    [ -n "$shown" ] || bench_die "run $run: no frame within 10 s"
    ms=$(awk -v a="$t0" -v b="$shown" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
    times+=("$ms")
    # Still loading: the frame came before the data.
    loading=$(tmux -L "$SOCKET" capture-pane -p -t first | grep -c "loading\|⠋\|⠙\|⠹\|⠸\|⠼\|⠴\|⠦\|⠧\|⠇\|⠏" || true)
    printf 'run %2d: first frame after %7s ms (lines still loading: %s)\n' "$run" "$ms" "$loading"
    tmux -L "$SOCKET" send-keys -t first q
    sleep 0.3
done
printf 'median %s ms over %s runs, every API call delayed %s ms\n' \
    "$(median "${times[@]}")" "$RUNS" "$DELAY_MS"
