#!/usr/bin/env bash
# Benchmark 12 (issue 24): a snapshot of 20 accounts × 2 regions against each account alone.
#
#   bash bench/accounts.sh [RUNS] [LATENCY_MS]      # defaults: 3 runs, 100 ms
#   OPSCONSOLE_BIN=target/release/opsconsole bash bench/accounts.sh 3 100
#   ACCOUNTS=5 bash bench/accounts.sh 3 100         # fewer accounts (default 20)
#   MODE=replay bash bench/accounts.sh 3 100        # the server's time taken out (below)
#
# A private moto server is seeded by bench/accounts_estate.py with ACCOUNTS accounts
# (210000000001 …), each reached the way the console reaches it: sts:AssumeRole of
# arn:aws:iam::<id>:role/OpsConsole from the base keys (moto keeps one estate per account, and
# the role's credentials act in it). Per account and region (ap-northeast-1, us-east-1): one
# ALB, one target group of 3 instances, the instances, a web ACL of 3 rules; per account one
# Route53 zone of 10 records.
#
# The snapshots go through bench/delay_proxy.py in LIVE mode (every request forwarded to moto,
# LATENCY_MS added to each), with --answer-unimplemented (moto's HTTP 500 for wafv2
# ListResourcesForWebACL / GetSampledRequests answered empty, so retry backoff does not hide
# the latency). Not in delay_proxy.py's replay mode: it keys a request by its operation, path
# and body, without its credentials (or its region), so DescribeLoadBalancers signed in account
# 3 would get account 1's stored answer — the accounts would be mixed up.
#
# MODE=replay (evidence, not the benchmark's figure): bench/accounts_proxy.py, delay_proxy.py
# whose replay key also holds the request's signer (access key id, region, service). AssumeRole is replayed
# too, so every run gets the keys of the priming run (the warm-up) and each account its own
# stored answers: moto's time (single-threaded, ~0.14 s of CPU per account here) drops to ~0
# and what is left is the client's own fan-out, round trips and CPU. The check below still
# requires every account's own rows (its load balancers are named after it).
#
# Measured, RUNS times each, interleaved (all accounts, then every account alone, then the next
# run) so a change in the machine's load falls on both sides alike:
#   all:    opsconsole --snapshot --format json, config with every account as [[account]]
#   single: the same with --account acct-NN, for every account (the goal is against the
#           slowest single account, so all of them are measured)
# Goal (issue 24): median(all) ≤ 1.3 × the slowest single account's median.
#
# Printed: the medians, the slowest single account, the ratio, the requests of each kind of run
# (from the proxy's log), moto's and the client's CPU, and each snapshot's exit code (a
# non-zero one stops the script: `measure` in lib.sh). Then, for the all-accounts runs, where
# the time went: when the AssumeRole calls were sent and answered, how many requests were at
# moto at once, when each operation's requests left and came back (against the slowest account
# alone), and how long moto took per request (upstream ms) against a single account's runs.
set -euo pipefail

RUNS=${1:-3}
LATENCY=${2:-100}
ACCOUNTS=${ACCOUNTS:-20}
MODE=${MODE:-live}
REGIONS=${REGIONS:-ap-northeast-1 us-east-1}
for v in "$RUNS" "$LATENCY" "$ACCOUNTS"; do
    case "$v" in '' | *[!0-9]*) echo "usage: bash bench/accounts.sh [RUNS] [LATENCY_MS] (whole numbers)" >&2; exit 2 ;; esac
done

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_setup
find_binary
start_moto

[ -x "$VENV_PYTHON" ] || bench_die "no Python at $VENV_PYTHON (the moto venv has boto3)"
bench_say "seeding $ACCOUNTS accounts × ($REGIONS) (bench/accounts_estate.py)…"
"$VENV_PYTHON" "$BENCH_DIR/accounts_estate.py" "$MOTO_URL" --accounts "$ACCOUNTS" \
    --regions "$(echo $REGIONS | tr ' ' ',')" >"$BENCH_WORK/estate.json" 2>"$BENCH_WORK/estate.err" \
    || { tail -n 20 "$BENCH_WORK/estate.err" >&2; bench_die "seeding failed"; }
bench_say "seeded in $(jq -r .seconds "$BENCH_WORK/estate.json") s"

case "$MODE" in
live) start_proxy "$LATENCY" --answer-unimplemented ;;
replay) PROXY_SCRIPT=$BENCH_DIR/accounts_proxy.py start_proxy "$LATENCY" --answer-unimplemented --replay ;;
*) bench_die "MODE is live or replay, not $MODE" ;;
esac

# The config: the proxy as endpoint, both regions, every account as a role to assume.
CONFIG=$OPSCONSOLE_CONFIG_DIR/config.toml
{
    printf 'regions = [%s]\n' "$(printf '"%s", ' $REGIONS | sed 's/, $//')"
    printf 'endpoint_url = "%s"\n\n' "$PROXY_URL"
    jq -r '.accounts[] | "[[account]]\nname = \"\(.name)\"\nrole_arn = \"\(.role_arn)\"\n"' \
        "$BENCH_WORK/estate.json"
} >"$CONFIG"
mapfile -t NAMES < <(jq -r '.accounts[].name' "$BENCH_WORK/estate.json")
NREGIONS=$(echo $REGIONS | wc -w)

# Checks a snapshot holds every account asked for, each with its own rows and no error.
check_accounts() { # FILE EXPECTED_ACCOUNTS
    jq -e --argjson n "$2" --argjson r "$NREGIONS" '
        (.failed_panels | length) == 0
        and (.accounts | length) == $n
        and all(.accounts[];
            .error == null
            and (.name as $name | all(.targets.data.load_balancers[]; .name == $name + "-alb"))
            and (.targets.data.load_balancers | length) == $r
            and ([.targets.data.load_balancers[] | select(.account.id != null)] | length) == $r
            and ([.targets.data.load_balancers[].target_groups[].targets[]] | length) == 3 * $r
            and (.waf.data.acls | length) == $r
            and ([.dns.data.zones[].record_sets[]] | length) >= 10
            and (.instances.data.instances | length) == 3 * $r)' "$1" >/dev/null \
        || bench_die "the snapshot in $1 is incomplete: $(jq -c '{failed: .failed_panels, accounts: [.accounts[]? | {name, error}]}' "$1" 2>/dev/null || head -c 300 "$1")"
}

SNAPSHOT=("$BIN" --snapshot --format json --config "$CONFIG")
: >"$BENCH_WORK/runs.tsv"
run() { # KIND ACCOUNT RUN [extra args…]
    local kind=$1 account=$2 i=$3 r0 r1 t0 out
    shift 3
    out=$BENCH_WORK/snap-$kind-$account-$i
    r0=$(wc -l <"$PROXY_LOG")
    t0=$(now_s)
    measure "$out.json" "$out.err" "${SNAPSHOT[@]}" "$@"
    r1=$(wc -l <"$PROXY_LOG")
    sed -n "$((r0 + 1)),${r1}p" "$PROXY_LOG" >"$out.requests"
    if [ "$kind" = all ]; then check_accounts "$out.json" "${#NAMES[@]}"; else check_accounts "$out.json" 1; fi
    # measure stops the script on a non-zero exit: every row here exited 0.
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t0\n' "$kind" "$account" "$i" "$M_WALL" "$M_MOTO" \
        "$M_CPU" "$t0" "$out.requests" >>"$BENCH_WORK/runs.tsv"
    LAST_REQUESTS=$((r1 - r0))
}

bench_say "warm-up, not counted (moto imports each service's code on first use; in replay mode it primes the replay)"
measure "$BENCH_WORK/warm.json" "$BENCH_WORK/warm.err" "${SNAPSHOT[@]}"
check_accounts "$BENCH_WORK/warm.json" "${#NAMES[@]}"

for i in $(seq 1 "$RUNS"); do
    run all all "$i"
    bench_say "run $i, all ${#NAMES[@]} accounts: ${M_WALL} s (moto CPU ${M_MOTO} s, client ${M_CPU} s), $LAST_REQUESTS requests, exit 0, load $(cut -d' ' -f1 /proc/loadavg)"
    line=""
    for name in "${NAMES[@]}"; do
        run single "$name" "$i" --account "$name"
        line+=" $name ${M_WALL}"
    done
    bench_say "run $i, each alone:$line (load $(cut -d' ' -f1 /proc/loadavg))"
done

python3 - "$BENCH_WORK/runs.tsv" "$BENCH_WORK/estate.json" "$LATENCY" "$BIN" "$MODE" <<'EOF'
import collections, json, statistics, sys

runs = []  # (kind, account, i, wall, moto, cpu, t0, ops)
for line in open(sys.argv[1]):
    kind, account, i, wall, moto, cpu, t0, log, rc = line.rstrip("\n").split("\t")
    ops = [l.split() for l in open(log) if l.strip()]
    runs.append((kind, account, int(i), float(wall), float(moto), float(cpu), float(t0), ops))
estate = json.load(open(sys.argv[2]))
latency = float(sys.argv[3]) / 1000
n = len(estate["accounts"])
med = statistics.median

alls = [r for r in runs if r[0] == "all"]
singles = collections.defaultdict(list)
for r in runs:
    if r[0] == "single":
        singles[r[1]].append(r)

print()
print(f"binary: {sys.argv[4]}")
print(f"estate: {n} accounts × {len(estate['regions'])} regions ({', '.join(estate['regions'])}); "
      f"{estate['load_balancers']} ALBs, {estate['targets']} targets, {estate['instances']} "
      f"instances, {estate['web_acls']} web ACLs, {estate['hosted_zones']} zones of "
      f"{estate['per_account']['records']} records; latency {latency * 1000:.0f} ms per request, "
      + ("live (every request to moto)" if sys.argv[5] == "live" else
         "replay by signer (repeats answered from memory: server time ~0)"))

all_walls = [r[3] for r in alls]
print(f"\nall {n} accounts: median {med(all_walls):.3f} s  (runs: "
      + ", ".join(f"{w:.3f}" for w in all_walls) + f"); moto CPU median {med(r[4] for r in alls):.2f} s, "
      f"client CPU {med(r[5] for r in alls):.2f} s; requests "
      + "/".join(str(len(r[7])) for r in alls) + " (replayed "
      + "/".join(str(sum(1 for o in r[7] if "replayed" in o)) for r in alls) + "); exit codes 0")

print(f"\neach account alone (--account NAME), median of {len(next(iter(singles.values())))} runs:")
print(f"  {'account':<10} {'median s':>9} {'min':>7} {'max':>7} {'moto cpu':>9} {'client':>7} {'requests':>9}")
per = {}
for name in sorted(singles):
    rs = singles[name]
    ws = [r[3] for r in rs]
    per[name] = med(ws)
    print(f"  {name:<10} {per[name]:>9.3f} {min(ws):>7.3f} {max(ws):>7.3f} "
          f"{med(r[4] for r in rs):>9.2f} {med(r[5] for r in rs):>7.2f} "
          f"{'/'.join(sorted({str(len(r[7])) for r in rs})):>9}")
slowest = max(per, key=per.get)
single_walls = [r[3] for rs in singles.values() for r in rs]
print(f"  median over every single run {med(single_walls):.3f} s; slowest account {slowest} "
      f"{per[slowest]:.3f} s (median of its runs); slowest single run {max(single_walls):.3f} s")
ratio = med(all_walls) / per[slowest]
print(f"\nratio all / slowest single: {med(all_walls):.3f} / {per[slowest]:.3f} = {ratio:.2f}×  "
      f"(goal ≤ 1.3×: {'met' if ratio <= 1.3 else 'NOT met'})")
for r in alls:
    own = [s for s in singles.values() for s in s if s[2] == r[2]]
    print(f"  run {r[2]}: {r[3]:.3f} / slowest single of the same run "
          f"{max(s[3] for s in own):.3f} = {r[3] / max(s[3] for s in own):.2f}×")

def ops_count(ops):
    return collections.Counter(o[2] for o in ops)

single_ops = next(iter(singles.values()))[0][7]
all_ops = alls[0][7]
print(f"\nrequests: all accounts {len(all_ops)}, one account {len(single_ops)} "
      f"({len(all_ops) / len(single_ops):.1f}×)")
ca, cs = ops_count(all_ops), ops_count(single_ops)
for name in sorted(set(ca) | set(cs), key=lambda k: -ca.get(k, 0)):
    short = (name.replace("GET:/2013-04-01/hostedzone/ID/rrset", "ListResourceRecordSets")
             .replace("GET:/2013-04-01/hostedzone", "ListHostedZones"))
    print(f"  {ca.get(name, 0):5d} {cs.get(name, 0):4d}  {short}")

# Where the time of an all-accounts run went. A log line is written when the answer is back:
# sent = logged - upstream - latency (the proxy holds the request for the latency first).
def timeline(r):
    t0 = r[6]
    out = []
    for o in r[7]:
        done = float(o[0]) - t0
        up = float(o[4]) / 1000
        out.append((done - up - latency, done - up, done, o[2], up))
    return out

def in_flight_at_moto(tl):
    ev = sorted([(t[1], 1) for t in tl] + [(t[2], -1) for t in tl])
    cur = peak = 0
    busy = 0.0
    last = None
    for t, d in ev:
        if last is not None and cur > 0:
            busy += t - last
        cur += d
        peak = max(peak, cur)
        last = t
    return peak, busy

print("\nwhere an all-accounts run's time goes (from the proxy's log; times from the start "
      "of the process):")
for r in alls:
    tl = timeline(r)
    ar = [t for t in tl if t[3] == "AssumeRole"]
    gci = [t for t in tl if t[3] == "GetCallerIdentity"]
    first = min(t[0] for t in tl)
    last = max(t[2] for t in tl)
    peak, busy = in_flight_at_moto(tl)
    print(f"  run {r[2]}: wall {r[3]:.2f} s; first request sent {first:.2f} s, last answer "
          f"{last:.2f} s (exit {r[3] - last:.2f} s later)")
    if ar:
        print(f"    {len(ar)} AssumeRole sent {min(t[0] for t in ar):.2f}–{max(t[0] for t in ar):.2f} s, "
              f"answered {min(t[2] for t in ar):.2f}–{max(t[2] for t in ar):.2f} s"
              + (f"; GetCallerIdentity answered {max(t[2] for t in gci):.2f} s" if gci else ""))
    print(f"    moto had a request of this run {busy:.2f} s of the {last - first:.2f} s "
          f"({100 * busy / max(last - first, 1e-9):.0f} %), up to {peak} at once; moto CPU "
          f"{r[4]:.2f} s")
    # Requests answered per tenth of the run.
    span = max(last, 1e-9)
    bins = [0] * 10
    for t in tl:
        bins[min(9, int(t[2] / span * 10))] += 1
    print("    answers per tenth of the run: " + " ".join(str(b) for b in bins))

def short_name(name):
    return (name.replace("GET:/2013-04-01/hostedzone/ID/rrset", "ListResourceRecordSets")
            .replace("GET:/2013-04-01/hostedzone", "ListHostedZones"))

def sent_ranges(r):
    by = collections.defaultdict(list)
    for t in timeline(r):
        by[t[3]].append(t)
    return sorted(by.items(), key=lambda kv: (min(t[0] for t in kv[1]), max(t[0] for t in kv[1])))

# Per operation, when its requests left and came back: all accounts' first run against one
# account's first run (the slowest account's). The lag of the last send shows any serialising.
one = singles[slowest][0]
print(f"\nwhen each operation's requests left and came back (s from the start): all accounts, "
      f"run 1 | {slowest} alone, run 1")
own = dict(sent_ranges(one))
for name, ts in sent_ranges(alls[0]):
    o = own.get(name, [])
    mine = (f"sent {min(t[0] for t in o):5.2f}–{max(t[0] for t in o):5.2f} back "
            f"{min(t[2] for t in o):5.2f}–{max(t[2] for t in o):5.2f}") if o else "-"
    print(f"  {short_name(name):<24} {len(ts):4d}  sent {min(t[0] for t in ts):5.2f}–"
          f"{max(t[0] for t in ts):5.2f} back {min(t[2] for t in ts):5.2f}–"
          f"{max(t[2] for t in ts):5.2f} | {len(o):3d}  {mine}")

def upstream_by_op(rs):
    d = collections.defaultdict(list)
    for r in rs:
        for o in r[7]:
            d[o[2]].append(float(o[4]))
    return d

ua = upstream_by_op(alls)
us = upstream_by_op([r for rs in singles.values() for r in rs])
print("\nmoto's time per request (upstream ms, median / max): all accounts vs one account alone")
for name in sorted(ua, key=lambda k: -med(ua[k])):
    short = (name.replace("GET:/2013-04-01/hostedzone/ID/rrset", "ListResourceRecordSets")
             .replace("GET:/2013-04-01/hostedzone", "ListHostedZones"))
    s = us.get(name, [0])
    print(f"  {short:<32} {med(ua[name]):8.1f} / {max(ua[name]):8.1f}    "
          f"{med(s):8.1f} / {max(s):8.1f}")
tot_a = [sum(float(o[4]) for o in r[7]) / 1000 for r in alls]
tot_s = [sum(float(o[4]) for o in r[7]) / 1000 for rs in singles.values() for r in rs]
print(f"  upstream time summed over a run's requests (they overlap: queueing counts once per "
      f"request waiting): all {med(tot_a):.2f} s, one account {med(tot_s):.2f} s")
print(f"  moto CPU per run: all {med(r[4] for r in alls):.2f} s, one account "
      f"{med(r[4] for rs in singles.values() for r in rs):.2f} s (× {n} = "
      f"{n * med(r[4] for rs in singles.values() for r in rs):.2f} s)")
EOF
uptime | sed 's/^/load: /'
