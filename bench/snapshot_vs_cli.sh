#!/usr/bin/env bash
# Benchmark 1 (issue 7): `opsconsole --snapshot --format json` against the AWS CLI script that
# gathers the same facts (bench/awscli_snapshot.sh), on the large estate of bench/estate.py.
#
#   bash bench/snapshot_vs_cli.sh [RUNS]          # RUNS (default 5) of each, alternately
#   OPSCONSOLE_BIN=path/to/opsconsole bash bench/snapshot_vs_cli.sh 5   # skip the build
#   MODE=replay bash bench/snapshot_vs_cli.sh 3   # or MODE=direct, see below
#
# It starts a private moto server on a free 127.0.0.1 port, seeds it, runs each side once to warm
# up (moto imports a service's code on its first request), then runs the snapshot and the CLI
# script one after the other RUNS times, so drift in the machine's load hits both alike (this is
# why it is a loop and not hyperfine, which runs all runs of one command before the other). Each
# output is checked to hold the whole estate. It prints every run, the medians and the ratio,
# then stops moto and the proxy it started.
#
# By default both sides talk to moto through bench/delay_proxy.py with no added delay and
# --answer-unimplemented: moto answers wafv2 ListResourcesForWebACL and GetSampledRequests with
# HTTP 500, which both clients would retry with random backoff sleeps, measuring the emulator's
# gap instead of the client (AWS answers them). The proxy also counts each side's requests.
# MODE=direct talks to moto directly instead, 500s, retries and all. MODE=replay has the proxy
# answer every request it has seen before from memory (the warm-up runs prime it), taking moto's
# own time — seconds per run on this estate, see delay_proxy.py — out of both sides' figures.
#
# Target: the snapshot at least 30× faster than the CLI script.
set -euo pipefail

RUNS=${1:-5}
case "$RUNS" in '' | *[!0-9]*) echo "usage: bash bench/snapshot_vs_cli.sh [RUNS]" >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] || { echo "RUNS must be at least 1" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_setup
find_binary
start_moto
seed_estate

case "${MODE:-live}" in
direct)
    URL=$MOTO_URL
    PROXY_LOG=
    bench_say "talking to moto directly (its 500s are retried with backoff by both sides)" ;;
live)
    start_proxy 0 --answer-unimplemented
    URL=$PROXY_URL
    bench_say "talking to moto through the proxy at $URL (no delay; unimplemented calls answered)" ;;
replay)
    start_proxy 0 --answer-unimplemented --replay
    URL=$PROXY_URL
    bench_say "talking to the proxy at $URL, which answers repeated requests from memory (primed by the warm-up runs)" ;;
*) bench_die "MODE is live, replay or direct" ;;
esac

requests_so_far() { if [ -n "$PROXY_LOG" ]; then wc -l <"$PROXY_LOG"; else echo 0; fi; }

SNAPSHOT=("$BIN" --snapshot --format json --endpoint-url "$URL" --region us-east-1)
CLI=(bash "$BENCH_DIR/awscli_snapshot.sh" "$URL" us-east-1)

bench_say "warm-up: one run of each, not counted"
measure "$BENCH_WORK/snap-warm.json" "$BENCH_WORK/snap-warm.err" "${SNAPSHOT[@]}"
check_snapshot "$BENCH_WORK/snap-warm.json"
measure "$BENCH_WORK/cli-warm.json" "$BENCH_WORK/cli-warm.err" "${CLI[@]}"
check_cli "$BENCH_WORK/cli-warm.json"

snap_times=() cli_times=() snap_cpu=() cli_cpu=() snap_moto=() cli_moto=() snap_reqs=() cli_reqs=()
printf '%-4s | %9s %8s %9s %6s | %9s %8s %9s %6s | %s\n' run "snap s" "cpu s" "moto cpu" reqs \
    "CLI s" "cpu s" "moto cpu" reqs "load avg"
for i in $(seq 1 "$RUNS"); do
    r0=$(requests_so_far)
    measure "$BENCH_WORK/snap-$i.json" "$BENCH_WORK/snap-$i.err" "${SNAPSHOT[@]}"
    check_snapshot "$BENCH_WORK/snap-$i.json"
    snap_times+=("$M_WALL") snap_cpu+=("$M_CPU") snap_moto+=("$M_MOTO")
    r1=$(requests_so_far)
    measure "$BENCH_WORK/cli-$i.json" "$BENCH_WORK/cli-$i.err" "${CLI[@]}"
    check_cli "$BENCH_WORK/cli-$i.json"
    cli_times+=("$M_WALL") cli_cpu+=("$M_CPU") cli_moto+=("$M_MOTO")
    r2=$(requests_so_far)
    snap_reqs+=($((r1 - r0))) cli_reqs+=($((r2 - r1)))
    printf '%-4s | %9s %8s %9s %6s | %9s %8s %9s %6s | %s\n' "$i" \
        "${snap_times[-1]}" "${snap_cpu[-1]}" "${snap_moto[-1]}" "${snap_reqs[-1]}" \
        "${cli_times[-1]}" "${cli_cpu[-1]}" "${cli_moto[-1]}" "${cli_reqs[-1]}" \
        "$(cut -d' ' -f1-3 /proc/loadavg)"
done

ms=$(median "${snap_times[@]}")
mc=$(median "${cli_times[@]}")
range() { printf '%s\n' "$@" | sort -g | sed -n '1p;$p' | paste -sd- -; }
echo
echo "estate: $(jq -c '{instances, load_balancers, target_groups, targets, web_acl_rules, record_sets, records}' "$BENCH_WORK/estate.json")"
echo "snapshot: median ${ms} s over $RUNS runs (range $(range "${snap_times[@]}")); its own CPU median $(median "${snap_cpu[@]}") s; moto's CPU median $(median "${snap_moto[@]}") s; ${snap_reqs[-1]} requests"
echo "AWS CLI:  median ${mc} s over $RUNS runs (range $(range "${cli_times[@]}")); its CPU (aws + jq processes) median $(median "${cli_cpu[@]}") s; moto's CPU median $(median "${cli_moto[@]}") s; ${cli_reqs[-1]} requests, one aws process per call"
ratio=$(awk -v a="$mc" -v b="$ms" 'BEGIN { printf "%.1f", a / b }')
met=$(awk -v r="$ratio" 'BEGIN { print (r >= 30) ? "yes" : "NO" }')
echo "ratio (CLI / snapshot, medians): ${ratio}x   target >= 30x: $met"
if [ -n "$PROXY_LOG" ]; then
    # The last snapshot run's requests: the lines before the last CLI run's.
    total=$(wc -l <"$PROXY_LOG")
    first=$((total - cli_reqs[-1] - snap_reqs[-1] + 1))
    sed -n "${first},$((first + snap_reqs[-1] - 1))p" "$PROXY_LOG" >"$BENCH_WORK/last-snapshot.log"
    echo "last snapshot run, per operation: requests, and moto's time answering them (sum / slowest, ms):"
    awk '{ n[$3]++; s[$3] += $5; if ($5 > m[$3]) m[$3] = $5 }
         END { for (k in n) printf "    %4d  %-40s %9.0f %7.0f\n", n[k], k, s[k], m[k] }' \
        "$BENCH_WORK/last-snapshot.log" | sort -k3 -gr
fi
