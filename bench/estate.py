#!/usr/bin/env python3
"""Seeds a running moto server with a large, realistic estate for the snapshot benchmarks.

    python3 bench/estate.py http://127.0.0.1:PORT [--region us-east-1] [--seed 7]

Run it with the moto venv's Python (it needs boto3): ~/.cache/opsconsole/moto-venv/bin/python.
Everything goes to the endpoint given; credentials are moto's static test ones, set here, so no
profile, SSO or instance metadata is ever consulted. Progress goes to stderr, a JSON summary of
what was created to stdout.

The estate, all in one region (us-east-1 by default):
- 1 VPC with 3 subnets (us-east-1a/b/c), 500 EC2 instances (`bench-web-000` …), spread over the
  three zones in turn;
- 10 ALBs (`bench-alb-00` …), each with 5 HTTP listeners forwarding to its 5 target groups:
  50 target groups (`bench-tg-00` …) × 20 instance targets = 1,000 targets; every instance serves
  two groups, every group spans the three zones. 10 instances are stopped after registration, so
  DescribeTargetHealth reports 20 targets `unused` / `Target.InvalidState` (moto never reports
  `unhealthy`: it does not probe);
- 1 REGIONAL web ACL (`bench-web-acl`) with 50 rules — 10 AWS managed rule-group references (one
  with OverrideAction Count, one with RuleActionOverrides) and 40 plain rules (path matches,
  geo blocks, rate limits; Block, Count and Allow) — associated with `bench-alb-00`;
- CloudWatch: AWS/WAFV2 AllowedRequests / BlockedRequests / CountedRequests per rule and for
  Rule=ALL (only the non-zero series, as AWS emits them), dimensions Region, Rule, WebACL; and
  AWS/ApplicationELB HealthyHostCount, UnHealthyHostCount, HTTPCode_Target_5XX_Count,
  TargetResponseTime per target group, dimensions LoadBalancer, TargetGroup. One point per minute
  from 30 minutes ago to 29 minutes ahead, so "the last 15 minutes" stays full for a whole
  benchmark session (moto accepts future timestamps; AWS accepts up to 2 h ahead);
- Route53: 1 public zone (`bench.example.com.`) with 500 geolocation record sets (`geo-000…`, type
  A), each with JP, US, continent EU and a default `*` location — except every tenth set, which
  has no default (the console flags those): 1,950 records, plus NS and SOA.

Why these choices: moto compares CloudWatch dimension lists order-sensitively, so dimensions are
sent sorted by name, as the console sends them. Calls are batched where the API allows it
(RunInstances by count, RegisterTargets per group, ChangeResourceRecordSets 500 changes per
call; PutMetricData only 20 datums per call, see put_metric_data_query): seeding takes about
half a minute.
"""

import argparse
import datetime
import json
import os
import random
import sys
import time
import urllib.parse
import urllib.request

try:
    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
except ImportError:
    sys.exit(
        "estate.py needs boto3: run it with ~/.cache/opsconsole/moto-venv/bin/python "
        "(python3 -m venv ~/.cache/opsconsole/moto-venv && "
        "~/.cache/opsconsole/moto-venv/bin/pip install 'moto[server]')"
    )

INSTANCES = 500
LOAD_BALANCERS = 10
GROUPS_PER_LB = 5
TARGETS_PER_GROUP = 20
STOPPED = 10  # every 50th instance, stopped after registration
WAF_RULES = 50
RECORD_SETS = 500
MINUTES_BACK = 30
MINUTES_AHEAD = 30
ZONE = "bench.example.com."
ACL_NAME = "bench-web-acl"
AMI = "ami-12c6146b"  # any AMI id works in moto

MANAGED_GROUPS = [
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesLinuxRuleSet",
    "AWSManagedRulesUnixRuleSet",
    "AWSManagedRulesPHPRuleSet",
    "AWSManagedRulesWordPressRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
    "AWSManagedRulesAdminProtectionRuleSet",
]
PATHS = [
    "/xmlrpc.php", "/wp-login.php", "/.env", "/.git/", "/phpmyadmin", "/admin", "/cgi-bin/",
    "/vendor/phpunit", "/server-status", "/actuator", "/solr/", "/boaform", "/HNAP1",
    "/console", "/manager/html", "/owa/",
]


def say(msg):
    print(f"estate: {msg}", file=sys.stderr, flush=True)


def put_metric_data_query(session, endpoint, region, namespace, data):
    """PutMetricData in CloudWatch's query protocol, signed with SigV4.

    Not boto3's client: it speaks Smithy RPC v2 CBOR to CloudWatch, and moto 5.2.5 files
    datapoints put that way where its query-protocol GetMetricData — what the console's
    aws-sdk-cloudwatch 1.99.0 speaks — does not find them (checked: empty Values). Datapoints put
    in the query protocol are found by both, so the AWS CLI (CBOR) reads them too.
    """
    params = {"Action": "PutMetricData", "Version": "2010-08-01", "Namespace": namespace}
    for i, d in enumerate(data, 1):
        p = f"MetricData.member.{i}."
        params[p + "MetricName"] = d["MetricName"]
        for j, dim in enumerate(d["Dimensions"], 1):
            params[f"{p}Dimensions.member.{j}.Name"] = dim["Name"]
            params[f"{p}Dimensions.member.{j}.Value"] = dim["Value"]
        params[p + "Value"] = repr(d["Value"])
        params[p + "Timestamp"] = d["Timestamp"].strftime("%Y-%m-%dT%H:%M:%SZ")
        params[p + "Unit"] = d["Unit"]
    body = urllib.parse.urlencode(params)
    req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(session.get_credentials(), "monitoring", region).add_auth(req)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(urllib.request.Request(
            req.url, data=body.encode(), headers=dict(req.headers.items()), method="POST"),
            timeout=120) as resp:
        if resp.status != 200:
            sys.exit(f"estate.py: PutMetricData answered {resp.status}: {resp.read()[:300]!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("endpoint", help="moto's URL, e.g. http://127.0.0.1:5000")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--seed", type=int, default=7, help="seed of the metric values")
    args = ap.parse_args()
    if not args.endpoint.startswith("http://127.0.0.1:"):
        # Never contact AWS by accident: the estate is for a local emulator only.
        sys.exit(f"estate.py: refusing endpoint {args.endpoint}: only http://127.0.0.1:PORT")

    for k in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(k, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_EC2_METADATA_DISABLED="true",
    )
    os.environ.pop("AWS_PROFILE", None)
    session = boto3.session.Session(region_name=args.region)
    conf = Config(retries={"max_attempts": 3, "mode": "standard"})

    def client(name):
        return session.client(name, endpoint_url=args.endpoint, config=conf)

    ec2, elb, waf, r53 = (client(n) for n in ("ec2", "elbv2", "wafv2", "route53"))
    rnd = random.Random(args.seed)
    t0 = time.monotonic()
    region = args.region

    # ---- network and instances ----
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    zones = [f"{region}a", f"{region}b", f"{region}c"]
    subnets = []
    for i, az in enumerate(zones):
        s = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i * 16}.0/20", AvailabilityZone=az)
        subnets.append(s["Subnet"]["SubnetId"])
    by_zone = []
    for i, (az, subnet) in enumerate(zip(zones, subnets)):
        count = len(range(i, INSTANCES, len(zones)))
        out = ec2.run_instances(
            ImageId=AMI, InstanceType="t3.small", MinCount=count, MaxCount=count,
            SubnetId=subnet,
        )
        by_zone.append([x["InstanceId"] for x in out["Instances"]])
    # Interleave the zones, so instance k is in zone k % 3 and any 20 consecutive ones span all.
    instances = [by_zone[k % 3][k // 3] for k in range(INSTANCES)]
    # Each instance has its own Name, and CreateTags gives every resource of a call the same
    # tags: one call per instance (RunInstances tag specifications are per call, too).
    for k, iid in enumerate(instances):
        ec2.create_tags(Resources=[iid], Tags=[{"Key": "Name", "Value": f"bench-web-{k:03d}"},
                                               {"Key": "Stack", "Value": "bench"}])
    say(f"{INSTANCES} instances in {len(zones)} zones ({time.monotonic() - t0:.1f}s)")

    # ---- load balancers, target groups, listeners, targets ----
    lbs, tgs = [], []
    for n in range(LOAD_BALANCERS):
        lb = elb.create_load_balancer(
            Name=f"bench-alb-{n:02d}", Subnets=subnets, Scheme="internet-facing",
            Type="application",
        )["LoadBalancers"][0]
        lbs.append(lb)
        for g in range(GROUPS_PER_LB):
            t = n * GROUPS_PER_LB + g
            tg = elb.create_target_group(
                Name=f"bench-tg-{t:02d}", Protocol="HTTP", Port=80, VpcId=vpc,
                TargetType="instance", HealthCheckPath="/healthz",
            )["TargetGroups"][0]
            tgs.append((lb, tg))
            elb.create_listener(
                LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP",
                Port=80 if g == 0 else 8079 + g,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
            )
            members = [instances[(t * TARGETS_PER_GROUP + j) % INSTANCES]
                       for j in range(TARGETS_PER_GROUP)]
            elb.register_targets(
                TargetGroupArn=tg["TargetGroupArn"],
                Targets=[{"Id": i, "Port": 80} for i in members],
            )
    # Stopped only now: moto refuses to register a stopped instance. Each serves two groups.
    stopped = instances[:: INSTANCES // STOPPED][:STOPPED]
    ec2.stop_instances(InstanceIds=stopped)
    say(f"{len(lbs)} ALBs, {len(tgs)} target groups × {TARGETS_PER_GROUP} targets, "
        f"{len(stopped)} instances stopped ({time.monotonic() - t0:.1f}s)")

    # ---- web ACL ----
    rules, rule_actions = [], {}
    for p in range(WAF_RULES):
        vis = lambda name: {  # noqa: E731
            "SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name,
        }
        if p < len(MANAGED_GROUPS):
            group = MANAGED_GROUPS[p]
            name = f"AWS-{group}"
            statement = {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": group}}
            if p == 0:
                statement["ManagedRuleGroupStatement"]["RuleActionOverrides"] = [
                    {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}},
                    {"Name": "NoUserAgent_HEADER", "ActionToUse": {"Count": {}}},
                ]
            override = {"Count": {}} if p == 3 else {"None": {}}
            rules.append({"Name": name, "Priority": p, "Statement": statement,
                          "OverrideAction": override, "VisibilityConfig": vis(name)})
            rule_actions[name] = "Count" if p == 3 else "Block"
            continue
        kind = p % 4
        if kind == 0:
            name = f"rate-limit-{p:02d}"
            statement = {"RateBasedStatement": {"Limit": 2000 + 100 * p, "AggregateKeyType": "IP"}}
        elif kind == 1:
            name = f"geo-block-{p:02d}"
            statement = {"GeoMatchStatement": {"CountryCodes": [["CN", "RU", "KP", "IR"][p % 4]]}}
        else:
            path = PATHS[p % len(PATHS)]
            name = f"path-{p:02d}{path.rstrip('/').replace('/', '-').replace('.', '')}"
            statement = {"ByteMatchStatement": {
                "SearchString": path, "FieldToMatch": {"UriPath": {}},
                "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}],
                "PositionalConstraint": "STARTS_WITH",
            }}
        action = "Allow" if p % 10 == 5 else "Count" if p % 7 == 0 else "Block"
        rules.append({"Name": name, "Priority": p, "Statement": statement,
                      "Action": {action: {}}, "VisibilityConfig": vis(name)})
        rule_actions[name] = action
    acl = waf.create_web_acl(
        Name=ACL_NAME, Scope="REGIONAL", DefaultAction={"Allow": {}}, Rules=rules,
        VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                          "MetricName": ACL_NAME},
    )["Summary"]
    waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=lbs[0]["LoadBalancerArn"])
    say(f"web ACL {ACL_NAME}: {len(rules)} rules, associated with bench-alb-00 "
        f"({time.monotonic() - t0:.1f}s)")

    # ---- CloudWatch ----
    now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
    minutes = [now + datetime.timedelta(minutes=m) for m in range(-MINUTES_BACK, MINUTES_AHEAD)]
    waf_series = []  # (metric, rule, per-minute base)
    totals = {"AllowedRequests": 0, "BlockedRequests": 0, "CountedRequests": 0}
    for r in rules:
        metric = {"Allow": "AllowedRequests", "Block": "BlockedRequests",
                  "Count": "CountedRequests"}[rule_actions[r["Name"]]]
        if rnd.random() < 0.2:
            continue  # a rule that matched nothing: AWS emits no datapoint for it
        base = rnd.choice([1, 2, 5, 10, 40, 120])
        waf_series.append((metric, r["Name"], base))
        totals[metric] += base
    totals["AllowedRequests"] += 500  # the default action
    waf_series += [(m, "ALL", v) for m, v in totals.items() if v]

    def datum(name, dims, value, at, unit):
        return {"MetricName": name, "Dimensions": sorted(dims, key=lambda d: d["Name"]),
                "Value": float(value), "Timestamp": at, "Unit": unit}

    waf_data = []
    for metric, rule, base in waf_series:
        dims = [{"Name": "Region", "Value": region}, {"Name": "Rule", "Value": rule},
                {"Name": "WebACL", "Value": ACL_NAME}]
        for at in minutes:
            waf_data.append(datum(metric, dims, max(0, base + rnd.randint(-base // 3, base // 3)),
                                  at, "Count"))
    elb_data = []
    for lb, tg in tgs:
        lb_dim = lb["LoadBalancerArn"].split(":loadbalancer/", 1)[1]
        tg_dim = tg["TargetGroupArn"].rsplit(":", 1)[1]
        dims = [{"Name": "LoadBalancer", "Value": lb_dim}, {"Name": "TargetGroup", "Value": tg_dim}]
        members = TARGETS_PER_GROUP - sum(
            1 for j in range(TARGETS_PER_GROUP)
            if instances[(tgs.index((lb, tg)) * TARGETS_PER_GROUP + j) % INSTANCES] in stopped)
        for at in minutes:
            elb_data.append(datum("HealthyHostCount", dims, members, at, "Count"))
            elb_data.append(datum("UnHealthyHostCount", dims, 0, at, "Count"))
            elb_data.append(datum("HTTPCode_Target_5XX_Count", dims, rnd.choice([0, 0, 0, 1, 3]),
                                  at, "Count"))
            elb_data.append(datum("TargetResponseTime", dims, round(rnd.uniform(0.02, 0.4), 3),
                                  at, "Seconds"))
    calls = 0
    for namespace, data in (("AWS/WAFV2", waf_data), ("AWS/ApplicationELB", elb_data)):
        # 20 datums per call, AWS's old limit: moto parses a query-protocol member list in
        # quadratic time (1,000 per call: 9 s each; 20 per call: 12 ms).
        for i in range(0, len(data), 20):
            put_metric_data_query(session, args.endpoint, region, namespace, data[i:i + 20])
            calls += 1
    say(f"{len(waf_data)} WAF and {len(elb_data)} ALB datapoints in {calls} PutMetricData calls "
        f"({time.monotonic() - t0:.1f}s)")

    # ---- Route53 ----
    zone_id = r53.create_hosted_zone(Name=ZONE, CallerReference=f"bench-{time.time()}")[
        "HostedZone"]["Id"]
    changes = []
    locations = [("jp", {"CountryCode": "JP"}), ("us", {"CountryCode": "US"}),
                 ("eu", {"ContinentCode": "EU"}), ("default", {"CountryCode": "*"})]
    for s in range(RECORD_SETS):
        for ident, loc in locations:
            if ident == "default" and s % 10 == 9:
                continue  # no default record: answers NXDOMAIN-ish outside the listed places
            changes.append({"Action": "CREATE", "ResourceRecordSet": {
                "Name": f"geo-{s:03d}.{ZONE}", "Type": "A", "SetIdentifier": f"geo-{s:03d}-{ident}",
                "GeoLocation": loc, "TTL": 60,
                "ResourceRecords": [{"Value": f"198.51.{s % 100}.{locations.index((ident, loc)) + 1}"}],
            }})
    for i in range(0, len(changes), 500):
        r53.change_resource_record_sets(HostedZoneId=zone_id,
                                        ChangeBatch={"Changes": changes[i:i + 500]})
    say(f"zone {ZONE}: {RECORD_SETS} geolocation record sets, {len(changes)} records "
        f"({time.monotonic() - t0:.1f}s)")

    json.dump({
        "endpoint": args.endpoint, "region": region, "seconds": round(time.monotonic() - t0, 1),
        "instances": INSTANCES, "stopped_instances": len(stopped),
        "load_balancers": len(lbs), "listeners": len(tgs), "target_groups": len(tgs),
        "targets": len(tgs) * TARGETS_PER_GROUP, "web_acl_rules": len(rules),
        "waf_series": len(waf_series), "waf_datapoints": len(waf_data),
        "elb_datapoints": len(elb_data), "hosted_zones": 1, "record_sets": RECORD_SETS,
        "records": len(changes), "metric_minutes": [MINUTES_BACK, MINUTES_AHEAD],
    }, sys.stdout)
    print()


if __name__ == "__main__":
    main()
