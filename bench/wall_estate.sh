#!/usr/bin/env bash
# The console left running against the emulator seeded with the large estate (bench/estate.py:
# 1,000 targets in 50 groups, a 50-rule web ACL, 500 geolocation record sets, 500 instances),
# every panel refreshing on its default interval: CPU % of one core and peak RSS over the
# window, for the wall (`--wall`) and the interactive console (`--read-only`), and then the
# console's own API bill as its `S` dialog shows it (calls per minute per service, CloudWatch
# metrics requested and their monthly cost at that rate).
#
#   bash bench/wall_estate.sh [SECONDS] [WARMUP_SECONDS]
#   OPSCONSOLE_BIN=target/release/opsconsole bash bench/wall_estate.sh 120
#   MODES=wall bash bench/wall_estate.sh 60 30    # the wall only (MODES=console: the console only)
#   COUNT=perf   …  also counts the process's context switches (its wakeups) over the window
#   HEAP_PROFILE=/tmp/wall-heap …  runs it under heaptrack, writing /tmp/wall-heap.*.zst (read it
#                   with heaptrack_print; CPU and RSS are then heaptrack's, not comparable)
#   COUNT=record …  also samples where its CPU goes (`perf record -e cpu-clock`, 999 Hz, with
#                   DWARF call stacks) and prints the top entries, self and with callees;
#                   PERF_DATA=DIR keeps the samples there (DIR/wall.data) for `perf report -i`
#   COUNT=callgrind …  runs it under valgrind's callgrind: instructions counted over the window
#                   only (zeroed after the warm-up), written to DIR/wall.callgrind.1 (PERF_DATA=DIR;
#                   read with `callgrind_annotate --inclusive=yes`); exact where the CPU figures of
#                   this noisy VM are not, but CPU % and RSS are then valgrind's
#   COUNT=strace …  also counts its system calls (`strace -c -f`; this slows it: CPU % is then
#                   not comparable with a run without it)
#   KEEPALIVE=1 …  the console talks to moto through bench/delay_proxy.py with no added delay,
#                   which keeps the console's connections open as AWS's endpoints do: moto answers
#                   every request with `Connection: close`, so without it each request opens and
#                   closes a TCP connection (the proxy's CPU is its own, not counted)
#   RESIDENT=1 …    also says, at the end, which sections of the binary are resident and the
#                   largest resident mappings (bench/resident.py; reads /proc/PID/pagemap: root)
#
# Needs tmux, jq and the moto venv (see bench/lib.sh). Everything stays on 127.0.0.1.
set -euo pipefail

SECONDS_MEASURED=${1:-60}
WARMUP=${2:-20}
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
command -v tmux >/dev/null || bench_die "tmux is needed (apt-get install tmux)"

bench_setup
SOCKET="opsconsole-wall-$$"
trap 'tmux -L "$SOCKET" kill-server 2>/dev/null || true; bench_cleanup' EXIT
find_binary
start_moto
seed_estate
CONSOLE_URL=$MOTO_URL
if [ -n "${KEEPALIVE:-}" ]; then
    start_proxy 0 --keep-alive
    CONSOLE_URL=$PROXY_URL
    bench_say "the console talks to $CONSOLE_URL, which keeps its connections open"
fi

printf 'opsconsole against the large estate, %s s measured after %s s warm-up, 160x45, %s cores\n' \
    "$SECONDS_MEASURED" "$WARMUP" "$(nproc)"
printf '%-10s %12s %12s %10s %10s\n' mode "cpu% 1 core" "idle cpu s" "RSS MB" "peak MB"

for entry in "wall:--wall" "console:--read-only"; do
    name=${entry%%:*}
    case " ${MODES:-wall console} " in *" $name "*) ;; *) continue ;; esac
    args=${entry#*:}
    tmux -L "$SOCKET" kill-server 2>/dev/null || true
    # A server still on its way out makes the next one exit at once ("server exited unexpectedly").
    while tmux -L "$SOCKET" has-session 2>/dev/null; do sleep 0.2; done
    sleep 0.5
    counted="${PERF_DATA:-$BENCH_WORK}/$name.callgrind"
    wrapper=""
    [ -n "${HEAP_PROFILE:-}" ] && wrapper="heaptrack -o '$HEAP_PROFILE.$name'"
    [ "${COUNT:-}" = callgrind ] && rm -f "$counted"* \
        && wrapper="valgrind -q --tool=callgrind --callgrind-out-file='$counted'"
    tmux -L "$SOCKET" -f /dev/null new-session -d -s wall -x 160 -y 45 \
        "exec env TERM=xterm-256color $wrapper '$BIN' $args --endpoint-url '$CONSOLE_URL' \
         --region us-east-1 --log-file '$BENCH_WORK/$name.log'"
    pid=$(tmux -L "$SOCKET" list-panes -t wall -F '#{pane_pid}')
    sleep "$WARMUP"
    kill -0 "$pid" 2>/dev/null || bench_die "$name: opsconsole exited during warm-up"
    t0=$(cpu_ticks "$pid")
    w0=$(now_s)
    case ${COUNT:-} in
    perf) perf stat -e context-switches,task-clock -p "$pid" -o "$BENCH_WORK/$name.perf" \
            -- sleep "$SECONDS_MEASURED" ;;
    record) perf record -q -F 999 -e cpu-clock --call-graph dwarf,16384 -p "$pid" \
            -o "${PERF_DATA:-$BENCH_WORK}/$name.data" -- sleep "$SECONDS_MEASURED" 2>/dev/null ;;
    callgrind) callgrind_control -z "$pid" >/dev/null
            sleep "$SECONDS_MEASURED"
            callgrind_control -d "$pid" >/dev/null ;;
    strace) timeout -s INT "$SECONDS_MEASURED" strace -c -f -p "$pid" -o "$BENCH_WORK/$name.strace" \
            || true ;;
    *) sleep "$SECONDS_MEASURED" ;;
    esac
    t1=$(cpu_ticks "$pid")
    w1=$(now_s)
    rss=$(kb_of "$pid" VmRSS)
    hwm=$(kb_of "$pid" VmHWM)
    awk -v t0="$t0" -v t1="$t1" -v w0="$w0" -v w1="$w1" -v tick="$(getconf CLK_TCK)" \
        -v rss="$rss" -v hwm="$hwm" -v name="$name" 'BEGIN {
        printf "%-10s %12.3f %12.2f %10.2f %10.2f\n", name,
            100 * (t1 - t0) / tick / (w1 - w0), (t1 - t0) / tick, rss / 1024, hwm / 1024 }'
    # What the resident memory is at the end: the heap and stacks (anonymous) against the
    # binary's and libraries' pages (file-backed; a bench build's are larger than a release's).
    awk -v a="$(kb_of "$pid" RssAnon)" -v f="$(kb_of "$pid" RssFile)" -v t="$(kb_of "$pid" Threads)" \
        'BEGIN { printf "    now: anonymous %.1f MB, file-backed %.1f MB, %s threads\n", a / 1024, f / 1024, t }'
    [ -n "${RESIDENT:-}" ] && python3 bench/resident.py "$pid" | sed 's/^/    /'
    [ -s "$BENCH_WORK/$name.perf" ] && grep -E 'context-switches|task-clock' "$BENCH_WORK/$name.perf" | sed 's/^/    /'
    data="${PERF_DATA:-$BENCH_WORK}/$name.data"
    if [ -s "$data" ]; then
        perf report -q -i "$data" --no-children --sort dso,symbol --stdio -g none \
            --percent-limit 1.5 2>/dev/null | sed 's/^/    self /' | head -n 30
        perf report -q -i "$data" --children --sort symbol --stdio -g none \
            --percent-limit 4 2>/dev/null | sed 's/^/    with callees /' | head -n 40
    fi
    if [ -s "$counted.1" ]; then
        # The frames and the API calls, inclusive, out of everything counted over the window.
        callgrind_annotate --inclusive=yes "$counted.1" 2>/dev/null \
            | grep -E 'PROGRAM TOTALS|ui::draw_on |BufferDiff|tui::diff|App::update |try_op::' \
            | head -n 12 | cut -c1-160 | sed 's/^/    /'
    fi
    [ -s "$BENCH_WORK/$name.strace" ] && sed 's/^/    /' "$BENCH_WORK/$name.strace" | head -n 14
    # The API bill of this run, from the console's own counters.
    tmux -L "$SOCKET" send-keys -t wall S
    sleep 1
    tmux -L "$SOCKET" capture-pane -p -t wall | grep -E 'calls|API|CloudWatch|total|  [A-Z][A-Za-z0-9 ]+ ' \
        | sed 's/^[^A-Za-z]*//; s/[║│┃]*$//' > "$BENCH_WORK/$name.stats" || true
    sed 's/^/    /' "$BENCH_WORK/$name.stats"
    # Through the proxy: how many connections the console's requests came on, since its start.
    [ -n "${KEEPALIVE:-}" ] && awk '{ n++; c[$2] } END { printf "    %d requests on %d connections\n", n, length(c) }' "$PROXY_LOG"
    tmux -L "$SOCKET" send-keys -t wall Escape q
    sleep 0.5
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    # Frames rendered and written, as the console logs them when it ends (builds that do).
    grep -h 'frames of this console' "$BENCH_WORK/$name.log"* 2>/dev/null | tail -n 1 | sed 's/^/    /' || true
done
