#!/usr/bin/env bash
# The same facts as `opsconsole --snapshot --format json`, gathered with the AWS CLI only, the way
# an operator would script it: one call after another, a loop per load balancer, per target group
# and per WAF rule, jq to pick ARNs and to put the answers together. It is the honest alternative
# the snapshot is compared with in bench/snapshot_vs_cli.sh, so it asks for no more and no less:
#
#   sts get-caller-identity
#   elbv2 describe-load-balancers, describe-target-groups,
#         describe-listeners per load balancer,
#         describe-target-health per group, and describe-target-group-attributes (deregistration
#         delay) for a group with a draining target, the only groups whose delay a snapshot reads
#   cloudwatch get-metric-data per target group (HealthyHostCount, UnHealthyHostCount,
#         HTTPCode_Target_5XX_Count, TargetResponseTime; last 5 minutes)
#   wafv2 list-web-acls (REGIONAL; CLOUDFRONT too when the region is us-east-1),
#         get-web-acl + list-resources-for-web-acl per ACL,
#         cloudwatch get-metric-data per rule (Allowed/Blocked/CountedRequests, 1-minute sums over
#         the last 15 minutes — one call per rule with its three metrics, the way one looks a rule
#         up; that is kinder to the CLI than get-metric-statistics per rule and metric),
#         get-sampled-requests for the three rules with the most blocked + counted requests
#   route53 list-hosted-zones, list-resource-record-sets per zone (the CLI follows the pages),
#         cloudwatch get-metric-statistics HealthCheckStatus per health check a record uses
#   ec2 describe-instances, describe-instance-status --include-all-instances
#
# Target AZs come from describe-instances, as the console derives them.
#
#   bash bench/awscli_snapshot.sh ENDPOINT_URL [REGION] > facts.json
#
# AWS_CLI picks the executable (default: ~/.cache/opsconsole/awscli-venv/bin/aws if present, else
# `aws` on PATH). Credentials and retry settings come from the environment, as for any script.
# Calls that fail (moto answers ListResourcesForWebACL and GetSampledRequests with HTTP 500) are
# recorded as {"error": "..."} instead of stopping the script, as a careful operator would.
set -euo pipefail

ENDPOINT=${1:?usage: bash bench/awscli_snapshot.sh ENDPOINT_URL [REGION]}
REGION=${2:-${AWS_REGION:-us-east-1}}
case "$ENDPOINT" in
http://127.0.0.1:*) ;;
*) echo "awscli_snapshot: refusing $ENDPOINT: only a local emulator (http://127.0.0.1:PORT)" >&2; exit 2 ;;
esac
if [ -z "${AWS_CLI:-}" ]; then
    if [ -x "$HOME/.cache/opsconsole/awscli-venv/bin/aws" ]; then
        AWS_CLI=$HOME/.cache/opsconsole/awscli-venv/bin/aws
    else
        AWS_CLI=aws
    fi
fi
command -v "$AWS_CLI" >/dev/null || { echo "awscli_snapshot: no AWS CLI ($AWS_CLI); pip install awscli" >&2; exit 1; }
command -v jq >/dev/null || { echo "awscli_snapshot: jq is needed (apt-get install jq)" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

awsc() { "$AWS_CLI" --endpoint-url "$ENDPOINT" --region "$REGION" --output json "$@"; }
# A call whose failure is data, not the end of the script.
awsc_or_error() {
    local out
    if out=$(awsc "$@" 2>&1); then
        printf '%s\n' "$out"
    else
        jq -n --arg e "$(grep -m 1 'error occurred' <<<"$out" || tail -n 1 <<<"$out")" '{error: $e}'
    fi
}
# Appends {"key": K, "value": <json on stdin>} to a JSON-lines file.
keep() { jq -c --arg k "$2" '{key: $k, value: .}' >>"$WORK/$1.jsonl"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

now=$(date +%s)
minute_end=$(( (now / 60 + 1) * 60 ))

awsc sts get-caller-identity >"$WORK/identity.json"

# ---- Targets ----
awsc elbv2 describe-load-balancers >"$WORK/lbs.json"
awsc elbv2 describe-target-groups >"$WORK/tgs.json"
: >"$WORK/listeners.jsonl"
for arn in $(jq -r '.LoadBalancers[].LoadBalancerArn' "$WORK/lbs.json"); do
    awsc elbv2 describe-listeners --load-balancer-arn "$arn" | keep listeners "$arn"
done
: >"$WORK/health.jsonl"; : >"$WORK/attributes.jsonl"; : >"$WORK/tg_metrics.jsonl"
jq -r '.TargetGroups[] | [.TargetGroupArn, (.LoadBalancerArns[0] // "")] | @tsv' "$WORK/tgs.json" >"$WORK/tg_list.tsv"
while IFS=$'\t' read -r tg lb; do
    awsc elbv2 describe-target-health --target-group-arn "$tg" >"$WORK/health.json"
    keep health "$tg" <"$WORK/health.json"
    if jq -e 'any(.TargetHealthDescriptions[]; .TargetHealth.State == "draining")' \
        "$WORK/health.json" >/dev/null; then
        awsc elbv2 describe-target-group-attributes --target-group-arn "$tg" | keep attributes "$tg"
    fi
    [ -n "$lb" ] || continue
    # CloudWatch dimensions: app/<name>/<id> and targetgroup/<name>/<id>, sorted by name.
    queries=$(jq -n --arg lb "${lb#*:loadbalancer/}" --arg tg "${tg##*:}" '
        [["HealthyHostCount","Average"],["UnHealthyHostCount","Average"],
         ["HTTPCode_Target_5XX_Count","Sum"],["TargetResponseTime","Average"]]
        | to_entries | map({Id: "m\(.key)", ReturnData: true, MetricStat: {
            Metric: {Namespace: "AWS/ApplicationELB", MetricName: .value[0],
                     Dimensions: [{Name: "LoadBalancer", Value: $lb}, {Name: "TargetGroup", Value: $tg}]},
            Period: 60, Stat: .value[1]}})')
    awsc cloudwatch get-metric-data --metric-data-queries "$queries" \
        --start-time "$(iso $((now - 300)))" --end-time "$(iso "$now")" | keep tg_metrics "$tg"
done <"$WORK/tg_list.tsv"

# ---- WAF ----
scopes=(REGIONAL)
[ "$REGION" = us-east-1 ] && scopes+=(CLOUDFRONT)
: >"$WORK/acls.jsonl"; : >"$WORK/acl_resources.jsonl"; : >"$WORK/rule_metrics.jsonl"
for scope in "${scopes[@]}"; do
    awsc wafv2 list-web-acls --scope "$scope" >"$WORK/list-$scope.json"
    jq -r '.WebACLs[] | [.Name, .Id, .ARN] | @tsv' "$WORK/list-$scope.json" >"$WORK/acl_list.tsv"
    while IFS=$'\t' read -r name id arn; do
        awsc wafv2 get-web-acl --scope "$scope" --name "$name" --id "$id" >"$WORK/acl.json"
        keep acls "$arn" <"$WORK/acl.json"
        if [ "$scope" = REGIONAL ]; then
            awsc_or_error wafv2 list-resources-for-web-acl --web-acl-arn "$arn" | keep acl_resources "$arn"
        fi
        # One get-metric-data per rule, its three counts; dimensions sorted by name.
        for metric_name in $(jq -r '.WebACL.Rules | sort_by(.Priority)[] | .VisibilityConfig.MetricName' "$WORK/acl.json"); do
            queries=$(jq -n --arg acl "$name" --arg rule "$metric_name" --arg region "$REGION" --arg scope "$scope" '
                ["AllowedRequests","BlockedRequests","CountedRequests"] | to_entries
                | map({Id: "m\(.key)", ReturnData: true, MetricStat: {
                    Metric: {Namespace: "AWS/WAFV2", MetricName: .value,
                             Dimensions: ((if $scope == "REGIONAL" then [{Name: "Region", Value: $region}] else [] end)
                                 + [{Name: "Rule", Value: $rule}, {Name: "WebACL", Value: $acl}])},
                    Period: 60, Stat: "Sum"}})')
            awsc cloudwatch get-metric-data --metric-data-queries "$queries" \
                --start-time "$(iso $((minute_end - 900)))" --end-time "$(iso "$minute_end")" \
                | jq -c --arg acl "$arn" --arg scope "$scope" '{acl: $acl, scope: $scope, result: .}' \
                | keep rule_metrics "$metric_name"
        done
    done <"$WORK/acl_list.tsv"
done
# The three busiest rules by blocked + counted requests in the window.
: >"$WORK/samples.jsonl"
jq -rs '[.[] | {rule: .key, acl: .value.acl, scope: .value.scope,
         hits: ([.value.result.MetricDataResults[] | select(.Id != "m0") | .Values[]] | add // 0)}]
        | map(select(.hits > 0)) | sort_by(-.hits) | .[:3][] | [.acl, .rule, .scope] | @tsv' \
    "$WORK/rule_metrics.jsonl" >"$WORK/busiest.tsv"
while IFS=$'\t' read -r arn rule scope; do
    awsc_or_error wafv2 get-sampled-requests --web-acl-arn "$arn" --rule-metric-name "$rule" \
        --scope "$scope" --max-items 100 \
        --time-window "StartTime=$(iso $((now - 900))),EndTime=$(iso "$now")" | keep samples "$rule"
done <"$WORK/busiest.tsv"

# ---- Route53 ----
awsc route53 list-hosted-zones >"$WORK/zones.json"
: >"$WORK/records.jsonl"; : >"$WORK/checks.jsonl"
for zone in $(jq -r '.HostedZones[].Id' "$WORK/zones.json"); do
    awsc route53 list-resource-record-sets --hosted-zone-id "$zone" | keep records "$zone"
done
for check in $(jq -r '.value.ResourceRecordSets[].HealthCheckId // empty' "$WORK/records.jsonl" | sort -u); do
    awsc cloudwatch get-metric-statistics --namespace AWS/Route53 --metric-name HealthCheckStatus \
        --dimensions "Name=HealthCheckId,Value=$check" --statistics Minimum --period 60 \
        --start-time "$(iso $((now - 600)))" --end-time "$(iso "$now")" | keep checks "$check"
done

# ---- Instances ----
awsc ec2 describe-instances >"$WORK/instances.json"
awsc ec2 describe-instance-status --include-all-instances >"$WORK/status.json"

# ---- One document ----
# Per-item answers become objects keyed by ARN / rule / zone. Passed to jq as files: the record
# sets alone are larger than one command-line argument may be.
for part in listeners health attributes tg_metrics acls acl_resources rule_metrics samples records checks; do
    jq -s 'map({(.key): .value}) | add // {}' "$WORK/$part.jsonl" >"$WORK/$part.obj.json"
done
f() { printf -- '--slurpfile\n%s\n%s\n' "$1" "$WORK/$2"; }
mapfile -t files < <(
    f identity identity.json; f lbs lbs.json; f tgs tgs.json; f zones zones.json
    f instances instances.json; f status status.json
    for part in listeners health attributes tg_metrics acls acl_resources rule_metrics samples records checks; do
        f "$part" "$part.obj.json"
    done
)
jq -n --arg generated_at "$(iso "$now")" --arg region "$REGION" "${files[@]}" '
{
  generated_at: $generated_at, region: $region, identity: $identity[0],
  targets: {load_balancers: $lbs[0].LoadBalancers, listeners: $listeners[0],
            target_groups: $tgs[0].TargetGroups, target_health: $health[0],
            target_group_attributes: $attributes[0], target_group_metrics: $tg_metrics[0]},
  waf: {web_acls: $acls[0], resources: $acl_resources[0], rule_metrics: $rule_metrics[0],
        sampled_requests: $samples[0]},
  dns: {hosted_zones: $zones[0].HostedZones, record_sets: $records[0], health: $checks[0]},
  instances: {reservations: $instances[0].Reservations, statuses: $status[0].InstanceStatuses}
}'
