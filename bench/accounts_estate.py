#!/usr/bin/env python3
"""Seeds a running moto server with many small accounts for bench/accounts.sh (issue 24).

    python3 bench/accounts_estate.py http://127.0.0.1:PORT [--accounts 20] \
        [--regions ap-northeast-1,us-east-1]

Run it with the moto venv's Python (it needs boto3): ~/.cache/opsconsole/moto-venv/bin/python.
Everything goes to the endpoint given, which must be on 127.0.0.1; the base credentials are
moto's static test ones, set here, so no profile, SSO or instance metadata is ever consulted.
Progress goes to stderr, a JSON summary to stdout.

moto keeps one estate per account: credentials that STS AssumeRole returns for
`arn:aws:iam::<ID>:role/OpsConsole` act in account <ID>. So each account is seeded as the
console will read it: AssumeRole (session name `opsconsole`) with the base keys, then every
resource created with the role's credentials. Accounts are 210000000001, 210000000002, …

Per account and region:
- 1 VPC, 2 subnets (zones a and c), 3 instances (`acct-NN-web-0…2`);
- 1 ALB (`acct-NN-alb`) with 1 HTTP listener forwarding to 1 target group (`acct-NN-tg`) of the
  3 instances;
- 1 REGIONAL web ACL (`acct-NN-acl`) of 3 rules (a path match, a geo block, a rate limit),
  associated with the ALB.
Per account: 1 public Route53 zone (`acct-NN.example.com.`) with 10 A records (plus NS, SOA).
No CloudWatch datapoints: the console's GetMetricData reads still go out and answer empty.
"""

import argparse
import json
import os
import sys
import time

try:
    import boto3
    from botocore.config import Config
except ImportError:
    sys.exit(
        "accounts_estate.py needs boto3: run it with ~/.cache/opsconsole/moto-venv/bin/python "
        "(python3 -m venv ~/.cache/opsconsole/moto-venv && "
        "~/.cache/opsconsole/moto-venv/bin/pip install 'moto[server]')"
    )

FIRST_ACCOUNT = 210000000001
ROLE = "OpsConsole"
INSTANCES = 3
RECORDS = 10
AMI = "ami-12c6146b"  # any AMI id works in moto


def say(msg):
    print(f"accounts_estate: {msg}", file=sys.stderr, flush=True)


def account_id(n):
    return str(FIRST_ACCOUNT + n)


def seed_region(session, endpoint, conf, n, region):
    """One account's estate in one region; returns (instances, targets)."""

    def client(name):
        return session.client(name, region_name=region, endpoint_url=endpoint, config=conf)

    ec2, elb, waf = client("ec2"), client("elbv2"), client("wafv2")
    tag = f"acct-{n + 1:02d}"
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.50.{i * 16}.0/20",
                          AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
        for i, az in enumerate("ac")
    ]
    instances = [x["InstanceId"] for x in ec2.run_instances(
        ImageId=AMI, InstanceType="t3.small", MinCount=INSTANCES, MaxCount=INSTANCES,
        SubnetId=subnets[0])["Instances"]]
    for k, iid in enumerate(instances):
        ec2.create_tags(Resources=[iid], Tags=[{"Key": "Name", "Value": f"{tag}-web-{k}"}])
    lb = elb.create_load_balancer(Name=f"{tag}-alb", Subnets=subnets, Scheme="internet-facing",
                                  Type="application")["LoadBalancers"][0]
    tg = elb.create_target_group(Name=f"{tag}-tg", Protocol="HTTP", Port=80, VpcId=vpc,
                                 TargetType="instance", HealthCheckPath="/healthz",
                                 )["TargetGroups"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward",
                                         "TargetGroupArn": tg["TargetGroupArn"]}])
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"],
                         Targets=[{"Id": i, "Port": 80} for i in instances])

    def vis(name):
        return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                "MetricName": name}

    rules = [
        {"Name": "path-wp-login", "Priority": 0, "Action": {"Block": {}},
         "VisibilityConfig": vis("path-wp-login"),
         "Statement": {"ByteMatchStatement": {
             "SearchString": "/wp-login.php", "FieldToMatch": {"UriPath": {}},
             "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}],
             "PositionalConstraint": "STARTS_WITH"}}},
        {"Name": "geo-block", "Priority": 1, "Action": {"Block": {}},
         "VisibilityConfig": vis("geo-block"),
         "Statement": {"GeoMatchStatement": {"CountryCodes": ["KP"]}}},
        {"Name": "rate-limit", "Priority": 2, "Action": {"Count": {}},
         "VisibilityConfig": vis("rate-limit"),
         "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}}},
    ]
    acl = waf.create_web_acl(Name=f"{tag}-acl", Scope="REGIONAL", DefaultAction={"Allow": {}},
                             Rules=rules, VisibilityConfig=vis(f"{tag}-acl"))["Summary"]
    waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=lb["LoadBalancerArn"])
    return len(instances), len(instances)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("endpoint", help="moto's URL, e.g. http://127.0.0.1:5000")
    ap.add_argument("--accounts", type=int, default=20)
    ap.add_argument("--regions", default="ap-northeast-1,us-east-1")
    args = ap.parse_args()
    if not args.endpoint.startswith("http://127.0.0.1:"):
        # Never contact AWS by accident: the estate is for a local emulator only.
        sys.exit(f"accounts_estate.py: refusing endpoint {args.endpoint}: only http://127.0.0.1:PORT")
    regions = [r for r in args.regions.split(",") if r]

    for k in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(k, None)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_EC2_METADATA_DISABLED="true")
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(k, None)
    conf = Config(retries={"max_attempts": 3, "mode": "standard"})
    sts = boto3.session.Session(region_name="us-east-1").client(
        "sts", endpoint_url=args.endpoint, config=conf)

    t0 = time.monotonic()
    accounts, instances, targets = [], 0, 0
    for n in range(args.accounts):
        acct = account_id(n)
        role = f"arn:aws:iam::{acct}:role/{ROLE}"
        creds = sts.assume_role(RoleArn=role, RoleSessionName="opsconsole")["Credentials"]
        session = boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"], region_name=regions[0])
        # The role's credentials act in its own account, not in the base one.
        seen = session.client("sts", endpoint_url=args.endpoint, config=conf
                              ).get_caller_identity()["Account"]
        if seen != acct:
            sys.exit(f"accounts_estate.py: credentials of {role} act in {seen}, not {acct}")
        for region in regions:
            i, t = seed_region(session, args.endpoint, conf, n, region)
            instances += i
            targets += t
        r53 = session.client("route53", endpoint_url=args.endpoint, config=conf)
        zone = f"acct-{n + 1:02d}.example.com."
        zone_id = r53.create_hosted_zone(Name=zone, CallerReference=f"{acct}-{time.time()}")[
            "HostedZone"]["Id"]
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
            {"Action": "CREATE", "ResourceRecordSet": {
                "Name": f"www{r}.{zone}", "Type": "A", "TTL": 60,
                "ResourceRecords": [{"Value": f"198.51.100.{r + 1}"}]}}
            for r in range(RECORDS)]})
        accounts.append({"id": acct, "name": f"acct-{n + 1:02d}", "role_arn": role})
        say(f"{acct}: {len(regions)} regions, zone {zone} ({time.monotonic() - t0:.1f}s)")

    json.dump({
        "endpoint": args.endpoint, "seconds": round(time.monotonic() - t0, 1),
        "accounts": accounts, "regions": regions,
        "per_region": {"load_balancers": 1, "target_groups": 1, "targets": INSTANCES,
                       "instances": INSTANCES, "web_acls": 1, "web_acl_rules": 3},
        "per_account": {"hosted_zones": 1, "records": RECORDS},
        "load_balancers": len(accounts) * len(regions), "instances": instances,
        "targets": targets, "web_acls": len(accounts) * len(regions),
        "hosted_zones": len(accounts), "records": len(accounts) * RECORDS,
    }, sys.stdout)
    print()


if __name__ == "__main__":
    main()
