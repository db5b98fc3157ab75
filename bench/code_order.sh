#!/usr/bin/env bash
# Which of the binary's functions a wall and a console run, written to bench/code-order.txt,
# the order the release build's linker lays the code out in (build.rs): those functions first,
# next to each other, the rest after them.
#
# Why: the kernel maps a binary's code 64 KB around each page a process touches (fault-around),
# so a wall that runs a few thousand functions scattered over 15 MB of code keeps most of the
# 15 MB resident (BENCHMARKS.md §16, §22). Laid out together they fill a few megabytes.
#
#   bash bench/code_order.sh [SECONDS]        # each mode run SECONDS under callgrind (default 240)
#   OPSCONSOLE_BIN=target/release/opsconsole bash bench/code_order.sh 240
#
# Each mode (`--wall`, then `--read-only` driven through its panels) runs against the large
# estate (bench/estate.py) under valgrind's callgrind from its start to its quit; every function
# of the binary that ran at all is listed by its symbol, the most run first. Symbols of a later
# build that are not in the list are laid out after it, as before; a name in the list the build
# no longer has is skipped. Run it again when a release build's wall keeps more code resident
# than BENCHMARKS.md §22 says (`RESIDENT=1 bash bench/wall_estate.sh`).
set -euo pipefail

SECONDS_RUN=${1:-240}
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
command -v tmux >/dev/null || bench_die "tmux is needed (apt-get install tmux)"
command -v valgrind >/dev/null || bench_die "valgrind is needed (apt-get install valgrind)"

bench_setup
SOCKET="opsconsole-order-$$"
trap 'tmux -L "$SOCKET" kill-server 2>/dev/null || true; bench_cleanup' EXIT
find_binary
start_moto
seed_estate

for entry in "wall:--wall" "console:--read-only"; do
    name=${entry%%:*}
    tmux -L "$SOCKET" kill-server 2>/dev/null || true
    while tmux -L "$SOCKET" has-session 2>/dev/null; do sleep 0.2; done
    # Symbols as the linker knows them (not demangled), and no instruction-level detail.
    tmux -L "$SOCKET" -f /dev/null new-session -d -s order -x 160 -y 45 \
        "exec env TERM=xterm-256color valgrind -q --tool=callgrind --demangle=no \
         --compress-strings=no --callgrind-out-file='$BENCH_WORK/$name.callgrind' \
         '$BIN' ${entry#*:} --endpoint-url '$MOTO_URL' --region us-east-1 \
         --log-file '$BENCH_WORK/$name.log'"
    pid=$(tmux -L "$SOCKET" list-panes -t order -F '#{pane_pid}')
    bench_say "$name: $SECONDS_RUN s under callgrind"
    if [ "$name" = console ]; then
        # Half the time idle, then each panel, zoomed, scrolled and sorted, the problems, the
        # help, the API bill and the timeline, 3 s a key, then idle again.
        sleep $((SECONDS_RUN / 2))
        keys=(Tab Tab Tab Tab Enter Down Down Up s Enter p Escape '?' Escape S Escape T Escape)
        for key in "${keys[@]}"; do
            tmux -L "$SOCKET" send-keys -t order "$key"
            sleep 3
        done
        rest=$((SECONDS_RUN / 2 - 3 * ${#keys[@]}))
        sleep $((rest > 0 ? rest : 1))
    else
        sleep "$SECONDS_RUN"
    fi
    kill -0 "$pid" 2>/dev/null || bench_die "$name: opsconsole exited under callgrind"
    tmux -L "$SOCKET" send-keys -t order Escape q
    for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { kill "$pid"; sleep 2; }
    [ -s "$BENCH_WORK/$name.callgrind" ] || bench_die "$name: callgrind wrote nothing"
done

# Every function of the binary with a cost, summed over both runs, the most run first.
python3 - "$BIN" "$BENCH_WORK/wall.callgrind" "$BENCH_WORK/console.callgrind" >"$BENCH_WORK/code-order.txt" <<'EOF'
import os, re, sys
binary = os.path.realpath(sys.argv[1])
cost = {}
for path in sys.argv[2:]:
    ob = fn = None
    call_line = False
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("ob="):
                ob = os.path.realpath(line[3:].strip())
            elif line.startswith("fn="):
                fn = line[3:].strip() if ob == binary else None
                if fn:
                    cost.setdefault(fn, 0)
            elif line.startswith("calls="):
                call_line = True  # the next line is the call's inclusive cost, not the caller's
            elif line[:1].isdigit() or line[:1] in "+-*":
                if fn and not call_line:
                    parts = line.split()
                    if len(parts) >= 2 and parts[1].isdigit():
                        cost[fn] = cost.get(fn, 0) + int(parts[1])
                call_line = False
# callgrind marks a function's other contexts `name'2`; `(below main)` and `0x…` are not symbols.
listed = set()
for name, _ in sorted(cost.items(), key=lambda kv: -kv[1]):
    name = re.sub(r"'\d+$", "", name)
    if name and name not in listed and not name.startswith("0x") and " " not in name:
        listed.add(name)
        print(name)
EOF
# Replaced only when the list was made whole.
mv "$BENCH_WORK/code-order.txt" bench/code-order.txt
bench_say "bench/code-order.txt: $(wc -l <bench/code-order.txt) functions"
