#!/usr/bin/env bash
# Benchmark 2 (issue 7): `opsconsole --snapshot` under added network latency, against its
# critical path: the longest chain of API calls that depend on each other, × the latency.
#
#   bash bench/critical_path.sh [RUNS] [LATENCIES_MS]    # defaults: 3 runs, "0 50 100 200"
#   OPSCONSOLE_BIN=path/to/opsconsole bash bench/critical_path.sh 3 "0 100 200"
#
#   MODES=live bash bench/critical_path.sh 3             # one mode only (default "live replay")
#
# A private moto server is seeded with bench/estate.py; bench/delay_proxy.py in front of it holds
# every HTTP request for the latency before forwarding it (one added round trip per request;
# keep-alive connections are handled request by request), and the snapshot runs RUNS times
# through it per latency. Two proxies: `live` forwards everything to moto; `replay` answers a
# request it has seen before from memory (primed by one run), so moto's own time — seconds of
# CPU per snapshot on this estate, GIL-bound — does not blur the latency's share. The proxy logs each request, so the script reports how many
# requests each run made, and of which operations. The proxy answers moto's two unimplemented
# calls (wafv2 ListResourcesForWebACL, GetSampledRequests: HTTP 500) with empty AWS-shaped
# answers, so random retry backoff does not hide the latency (see delay_proxy.py).
#
# The chains, read from src/source/aws/*.rs and src/snapshot/collect.rs (one step = one round
# trip; `||` = at the same time). The four panels and STS run at the same time (tokio::join! in
# snapshot::collect), so the snapshot takes as long as the longest panel, plus:
#
# What the data requires (a call waits only for the answers it needs):
#   Targets:   DescribeTargetGroups → DescribeTargetHealth (all groups at once) → DescribeInstances
#              (the zones of the target ids)                                            = 3
#              (DescribeLoadBalancers → DescribeListeners, DescribeTargetGroupAttributes and
#               GetMetricData need only the ARNs: 2 deep)
#   WAF:       ListWebACLs → GetWebACL → GetMetricData (the rules' metric names) →
#              GetSampledRequests (of the busiest rules, known from the counts)         = 4
#              (ListResourcesForWebACL needs only the ARN in ListWebACLs' answer: 2)
#   Route53:   ListHostedZones → ListResourceRecordSets page 1 → … → page P (each page starts
#              where the previous answer says)                                          = 1 + P
#              (+1 GetMetricData when records have health checks; this estate has none)
#   Instances: DescribeInstances || DescribeInstanceStatus                              = 1
#   Identity:  GetCallerIdentity                                                        = 1
#   Critical path C = max(3, 4, 1 + P, 1); P = 7 for this estate (1,952 record sets, moto's
#   pages of 300, a few records repeated at page boundaries): C = 8, Route53's page walk.
#
# What the code does (ElbSource::region in elb.rs; WafSource::place/read_acl in waf.rs;
# DnsSource::fetch in dns.rs; busiest_samples in snapshot/collect.rs):
#   Targets:   DescribeLoadBalancers || DescribeTargetGroups → every DescribeListeners and
#              DescribeTargetHealth (and, outside a snapshot, up to 8 unread group attributes)
#              through one queue, 10 in flight, beside GetMetricData (target group load) →
#              DescribeInstances (zones)        = 1 + ceil((L + T) / 10) + 1 = 8 for L = 10, T = 50
#   WAF:       ListWebACLs → GetWebACL || ListResourcesForWebACL → GetMetricData →
#              GetSampledRequests (they follow the WAF panel, not the slowest one)       = 4
#   Route53:   1 + P = 8 (zones in turn, pages in turn: as required)
#   Implementation chain = 8 round trips = C.
#   But ELBv2's Describe* calls are paced to the account's documented bucket (40 at once, then 10
#   a second: "Request throttling for the ELB API"), so the 62 ELBv2 calls of this estate cannot
#   all be sent in under (62 − 40) / 10 = 2.2 s, whatever the latency: the snapshot takes about
#   max(2.2 s + a round trip or two, C × latency).
#
# Target: snapshot time ≤ 1.5 × C × latency. The script prints both the raw ratio and the part
# the latency added, (T(L) − T(0)) / (C × L), and the slope of T over L in round trips, which
# should match the implementation chain if the reading above is right.
set -euo pipefail

RUNS=${1:-3}
LATENCIES=${2:-0 50 100 200}
case "$RUNS" in '' | *[!0-9]*) echo "usage: bash bench/critical_path.sh [RUNS] [\"0 50 100 200\"]" >&2; exit 2 ;; esac
for l in $LATENCIES; do
    case "$l" in *[!0-9]*) echo "latencies are whole milliseconds: $l" >&2; exit 2 ;; esac
done

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_setup
find_binary
start_moto
seed_estate


: >"$BENCH_WORK/runs.tsv"
# Two proxies in front of the same moto: `live` forwards every request; `replay` forwards each
# distinct request once and answers repeats from memory (server time ~0), primed by one run.
start_proxy 0 --answer-unimplemented
LIVE_URL=$PROXY_URL LIVE_LOG=$PROXY_LOG LIVE_DELAY=$PROXY_DELAY_FILE
start_proxy 0 --answer-unimplemented --replay
REPLAY_URL=$PROXY_URL REPLAY_LOG=$PROXY_LOG REPLAY_DELAY=$PROXY_DELAY_FILE

snapshot_cmd() { SNAPSHOT=("$BIN" --snapshot --format json --endpoint-url "$1" --region us-east-1); }
bench_say "warm-up run (moto imports each service's code on first use) and replay priming, not counted"
snapshot_cmd "$LIVE_URL"
measure "$BENCH_WORK/warm.json" "$BENCH_WORK/warm.err" "${SNAPSHOT[@]}"
check_snapshot "$BENCH_WORK/warm.json"
snapshot_cmd "$REPLAY_URL"
measure "$BENCH_WORK/prime.json" "$BENCH_WORK/prime.err" "${SNAPSHOT[@]}"
check_snapshot "$BENCH_WORK/prime.json"

for mode in ${MODES:-live replay}; do
    case "$mode" in
    live) url=$LIVE_URL log=$LIVE_LOG delay_file=$LIVE_DELAY ;;
    replay) url=$REPLAY_URL log=$REPLAY_LOG delay_file=$REPLAY_DELAY ;;
    *) bench_die "unknown mode $mode (live, replay)" ;;
    esac
    snapshot_cmd "$url"
    for latency in $LATENCIES; do
        set_delay "$latency" "$delay_file"
        for i in $(seq 1 "$RUNS"); do
            r0=$(wc -l <"$log")
            out=$BENCH_WORK/snap-$mode-$latency-$i
            measure "$out.json" "$out.err" "${SNAPSHOT[@]}"
            check_snapshot "$out.json"
            r1=$(wc -l <"$log")
            sed -n "$((r0 + 1)),${r1}p" "$log" >"$out.requests"
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$latency" "$i" "$M_WALL" "$M_MOTO" \
                "$M_CPU" "$out.requests" >>"$BENCH_WORK/runs.tsv"
            bench_say "$mode, latency ${latency} ms, run $i: ${M_WALL} s (moto CPU ${M_MOTO} s), $((r1 - r0)) requests ($(grep -c ' replayed' "$out.requests" || true) replayed), load $(cut -d' ' -f1 /proc/loadavg)"
        done
    done
done

python3 - "$BENCH_WORK/runs.tsv" "$BENCH_WORK/estate.json" <<'EOF'
import collections, json, math, statistics, sys

# (mode, latency) -> [(wall s, moto CPU s, requests)]
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    mode, latency, i, wall, moto, cpu, log = line.rstrip("\n").split("\t")
    ops = [l.split() for l in open(log) if l.strip()]
    runs[(mode, int(latency))].append((float(wall), float(moto), ops))
estate = json.load(open(sys.argv[2]))

def count(ops, name):
    return sum(1 for o in ops if o[2] == name)

# The chains, from one run's requests (the same in every run).
ops = next(iter(runs.values()))[0][2]
L = count(ops, "DescribeListeners")
T = count(ops, "DescribeTargetHealth")
A = count(ops, "DescribeTargetGroupAttributes")
P = count(ops, "GET:/2013-04-01/hostedzone/ID/rrset")
Z = count(ops, "GET:/2013-04-01/hostedzone")
health = 1 if count(ops, "GetMetricData") > 2 else 0  # Route53 health metrics, if any
dep = {"Targets": 3, "WAF": 4, "Route53": Z + P + health, "Instances": 1, "Identity": 1}
# As implemented (elb.rs): load balancers || groups, then every listener, health and attribute
# read through one queue of 10 in flight, then DescribeInstances for the zones; WAF: ListWebACLs
# -> GetWebACL || ListResourcesForWebACL -> GetMetricData -> GetSampledRequests.
impl_targets = 1 + math.ceil((L + T + A) / 10) + 1
impl = max(impl_targets, 4, Z + P + health, 1)
# ELBv2 Describe* calls are paced to the account's documented bucket: 40 at once, 10 a second.
elb_calls = 2 + L + T + A + count(ops, "DescribeRules")  # rules: one call per listener
floor = max(0, elb_calls - 40) / 10
C = max(dep.values())
print()
print(f"estate: {estate['load_balancers']} ALBs ({L} DescribeListeners), {T} target groups, "
      f"{estate['targets']} targets, {estate['web_acl_rules']} WAF rules, "
      f"{estate['records']} geolocation records in {estate['record_sets']} sets ({P} pages), "
      f"{estate['instances']} instances; {len(ops)} requests per snapshot")
print("critical path by data dependency, round trips: "
      + ", ".join(f"{k} {v}" for k, v in dep.items()) + f"  ->  C = {C}")
print(f"chain as implemented: Targets {impl_targets} (10 ELBv2 reads in flight), WAF 4 with "
      f"the sampled requests: {impl} round trips")
print(f"ELBv2 quota floor: {elb_calls} Describe* calls, 40 at once then 10 a second: "
      f">= {floor:.1f} s whatever the latency")

for mode in sorted({m for m, _ in runs}):
    lats = sorted(l for m, l in runs if m == mode)
    med = {l: statistics.median(r[0] for r in runs[(mode, l)]) for l in lats}
    t0 = med.get(0)
    print(f"\n{mode}: " + ("every request forwarded to moto" if mode == "live" else
                          "repeats answered from the proxy's memory, server time ~0"))
    print(f"{'latency':>8} {'median s':>9} {'min':>7} {'max':>7} {'moto cpu':>9} {'req/run':>8} "
          f"{'C*lat s':>8} {'T/(C*lat)':>10} {'(T-T0)/(C*lat)':>15} {'met?':>5}")
    for l in lats:
        rs = runs[(mode, l)]
        ts = [r[0] for r in rs]
        moto = statistics.median(r[1] for r in rs)
        reqs = "/".join(map(str, sorted({len(r[2]) for r in rs})))
        m = med[l]
        cp = C * l / 1000
        raw = f"{m / cp:.2f}" if cp else "-"
        added = f"{(m - t0) / cp:.2f}" if cp and t0 is not None else "-"
        met = ("yes" if m <= 1.5 * cp else "NO") if cp else "-"
        print(f"{l:>6}ms {m:>9.3f} {min(ts):>7.3f} {max(ts):>7.3f} {moto:>9.2f} {reqs:>8} "
              f"{cp:>8.2f} {raw:>10} {added:>15} {met:>5}")
    if len(lats) >= 2:
        xs = [l / 1000 for l in lats]
        ys = [med[l] for l in lats]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        print(f"slope of the median over the latency: {slope:.1f} round trips "
              f"(intercept {my - slope * mx:.2f} s); as implemented {impl}, critical path {C}")

print("\nrequests per operation in one snapshot:")
for name, n in collections.Counter(o[2] for o in ops).most_common():
    print(f"  {n:5d} {name}")

# Evidence of the rounds: what came back when, in the replay at the highest latency (the server
# takes no time there, so each step of a chain is one latency period).
replays = [k for k in runs if k[0] == "replay"]
key = max(replays or list(runs), key=lambda k: k[1])
lat = key[1]
ops = runs[key][0][2]
if lat:
    start = float(ops[0][0]) - lat / 1000
    print(f"\ntimeline, {key[0]} at {lat} ms: round trip in which each answer came back "
          f"(the proxy logs a request when its answer is back)")
    waves = []
    for o in ops:
        step = round((float(o[0]) - start) / (lat / 1000))
        name = (o[2].replace("GET:/2013-04-01/hostedzone/ID/rrset", "ListResourceRecordSets")
                .replace("GET:/2013-04-01/hostedzone", "ListHostedZones"))
        if not waves or waves[-1][0] != step:
            waves.append((step, collections.Counter()))
        waves[-1][1][name] += 1
    for step, names in waves:
        print(f"  {step:3d}  " + ", ".join(f"{n}x {k}" if n > 1 else k for k, n in names.items()))
EOF
uptime | sed 's/^/load: /'
