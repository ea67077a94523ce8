#!/usr/bin/env python3
"""Generates the Riverside Family Clinic example estate, examples/clinic/estate/: the AWS
Config snapshots of the clinic's two AWS accounts and the AWS CLI output of the account and
service facts AWS Config does not record, laid out the way they are collected (one directory
per account, one per Region):

    estate/AWSLogs/<ACCOUNT>/credential-report.csv, iam-*.json   credential report, password policy, ...
    estate/AWSLogs/<ACCOUNT>/us-east-1/config-snapshot.json
    estate/AWSLogs/<ACCOUNT>/us-east-1/*.json   EBS default encryption, GuardDuty, Security Hub,
                                                Config recorder, ElastiCache, EMR, WAFv2 logging, ...

It also writes the expected results next to the estate (outside it, since Ward imports every
.json and .csv under the directory): expected-statuses.json (every finding Ward should give)
and the generated tables of README.md (resource ids, expected results per rule). The expected
status of each rule is declared at the end of this file, in EXPECTATIONS, from each rule's
documented semantics (`ward explain RULE`); the tests compare Ward's findings with it.

Deterministic: ids, hashes and times derive from names, so running it twice gives the same bytes.

    python3 examples/clinic/generate.py            # writes estate/, expected-statuses.json, README tables
    python3 examples/clinic/generate.py --check    # exits 1 if any of them is stale

The items use the spelling of configuration items as delivered to S3 (configurationItemVersion
1.3: awsAccountId, ARN, configurationStateMd5Hash, relationships with resourceName and name),
each configuration in AWS Config's own spelling for its type (see the README's format notes;
checked against awslabs/aws-config-resource-schema and the sample items of
awslabs/aws-config-rdk), IAM policy documents URL-encoded (RFC 3986), S3 bucket policies as JSON
text, the S3 AccessControlList as a JSON string, as AWS does; the CLI output as
`aws ... --output json` prints it.
"""
import base64
import hashlib
import json
import re
import sys
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ESTATE = HERE / "estate"
PACK = HERE.parent.parent / "policies" / "hipaa"

PROD = "111122223333"          # riverside-prod: the EHR, its databases and documents
ANALYTICS = "444455556666"     # riverside-analytics: data warehouse, research, dashboards
LOG_ARCHIVE = "222233334444"   # riverside-log-archive: the logs of the other accounts, and nothing else
REGION = "us-east-1"
ACCOUNT_NAMES = {PROD: "riverside-prod", ANALYTICS: "riverside-analytics", LOG_ARCHIVE: "riverside-log-archive"}
CAPTURE_BASE = datetime(2026, 11, 20, 3, 14, 0, tzinfo=timezone.utc)
OFFICE_CIDR = "203.0.113.0/24"   # clinic office (TEST-NET-3)
LAB_CIDR = "198.51.100.0/24"     # reference laboratory (TEST-NET-2)
PROD_CIDR = "10.20.0.0/16"
ANALYTICS_CIDR = "10.40.0.0/16"
AUDITOR_ACCOUNT = "999988887777"   # the external HIPAA auditor's AWS account
UNIVERSITY_ACCOUNT = "777788889999"  # research partner (university) account
ELB_ACCOUNT_US_EAST_1 = "127311923021"  # Elastic Load Balancing's log-delivery account in us-east-1

# ---------------------------------------------------------------- the item store
ITEMS = {PROD: [], ANALYTICS: [], LOG_ARCHIVE: []}   # configuration items per account
RESOURCES = []                      # every resource Ward will see: (type, id, account, short)
SHORT = {}                          # (type, short) -> id
ACCOUNT = PROD                      # the account being built
COUNTER = [0]                       # capture-time sequence across both snapshots


def hexid(kind, name, n=17):
    return hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()[:n]


def rid(prefix, name, n=17):
    return f"{prefix}-{hexid(prefix, name, n)}"


def upper_id(prefix, name, n=17):
    """IAM-style unique ids: AROA…, ANPA… (upper-case base32-ish)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    digest = hashlib.sha256(f"{prefix}:{name}".encode()).digest()
    return prefix + "".join(alphabet[b % 32] for b in digest[:n])


def lower_id(name, n=10):
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    digest = hashlib.sha256(name.encode()).digest()
    return "".join(alphabet[b % 36] for b in digest[:n])


def uid(name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "riverside/" + name))


def capture_time(index):
    t = CAPTURE_BASE.timestamp() + index * 7.391
    dt = datetime.fromtimestamp(t, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def epoch_ms(iso):
    dt = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return int(round(dt.timestamp() * 1000))


def java_date(iso):
    """The Java Date text AWS Config writes for some types ("Feb 21, 2022 6:37:48 PM", UTC)."""
    dt = datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")
    hour = dt.hour % 12 or 12
    return f"{dt.strftime('%b')} {dt.day}, {dt.year} {hour}:{dt.minute:02d}:{dt.second:02d} {'AM' if dt.hour < 12 else 'PM'}"


def url_encoded(policy):
    """IAM returns policy documents URL-encoded (RFC 3986), as written (here: 4-space JSON)."""
    return urllib.parse.quote(json.dumps(policy, indent=4), safe="")


def compact(doc):
    return json.dumps(doc, separators=(",", ":"))


def ec2_tags(tags):
    return [{"key": k, "value": v} for k, v in tags.items()]


def tag_list(tags):
    return [{"key": k, "value": v} for k, v in tags.items()]


def cfn_tags(tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def rel(resource_type, resource_id, name, resource_name=None):
    return {"resourceId": resource_id, "resourceName": resource_name,
            "resourceType": resource_type, "name": name}


def register(resource_type, resource_id, account, short):
    key = (resource_type, short)
    if key in SHORT and SHORT[key] != resource_id:
        raise SystemExit(f"short name {short!r} used twice for {resource_type}")
    SHORT[key] = resource_id
    RESOURCES.append((resource_type, resource_id, account, short))


def add(resource_type, resource_id, configuration, *, short=None, name=None, arn=None,
        region=None, az="Not Applicable", created=None, tags=None, relationships=(),
        supplementary=None, status="OK"):
    index = COUNTER[0]
    COUNTER[0] += 1
    captured = capture_time(index)
    item = {
        "relatedEvents": [],
        "relationships": list(relationships),
        "configuration": configuration,
        "supplementaryConfiguration": supplementary or {},
        "tags": dict(tags or {}),
        "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": captured,
        "configurationStateId": epoch_ms(captured),
        "awsAccountId": ACCOUNT,
        "configurationItemStatus": status,
        "resourceType": resource_type,
        "resourceId": resource_id,
    }
    item["resourceName"] = name   # null for types whose items carry no name (instances, VPCs, …)
    if arn is not None:
        item["ARN"] = arn
    item["awsRegion"] = region or REGION
    item["availabilityZone"] = az
    item["configurationStateMd5Hash"] = ""
    if created is not None:
        item["resourceCreationTime"] = created
    ITEMS[ACCOUNT].append(item)
    register(resource_type, resource_id, ACCOUNT, short or name or resource_id)
    return item


def arn_of(service, resource, region=True):
    return f"arn:aws:{service}:{REGION if region else ''}:{ACCOUNT}:{resource}"


PHI = {"phi": "true"}


def tags(name, *extra, owner="it@riversidefamilyclinic.example", environment="prod"):
    out = {"Name": name, "owner": owner, "environment": environment}
    for e in extra:
        out.update(e)
    return out


def atags(name, *extra):
    """Tags of the analytics account's resources."""
    return tags(name, *extra, owner="data-team@riversidefamilyclinic.example", environment="analytics")


# ================================================================= identifiers (prod)
VPC_PROD = rid("vpc", "prod")
VPC_DEFAULT = rid("vpc", "default")
SUBNETS = {  # name: (cidr, az, public)
    "public-a": ("10.20.0.0/24", "us-east-1a", True),
    "public-b": ("10.20.1.0/24", "us-east-1b", True),
    "app-a": ("10.20.10.0/24", "us-east-1a", False),
    "app-b": ("10.20.11.0/24", "us-east-1b", False),
    "db-a": ("10.20.20.0/24", "us-east-1a", False),
    "db-b": ("10.20.21.0/24", "us-east-1b", False),
}
SUBNET_ID = {n: rid("subnet", n) for n in SUBNETS}
DEFAULT_VPC_SUBNETS = [rid("subnet", f"default-{az}") for az in "abcdef"]
SG = {n: rid("sg", n) for n in [
    "default-prod", "default-legacy", "ehr-alb", "ehr-app", "bastion", "admin-ipv6",
    "ehr-db", "reporting-db", "vendor-remote-support", "vendor-integration",
    "icmp-diagnostics", "hl7-clb", "audit-search", "ehr-cache"]}
ACL = {n: rid("acl", n) for n in ["public", "app", "db", "legacy-default"]}
INSTANCE = {n: rid("i", n) for n in ["ehr-app-1", "ehr-app-2", "bastion", "hl7-interface", "fax-gateway"]}
VOLUME = {n: rid("vol", n) for n in ["ehr-app-1-root", "ehr-app-2-root", "bastion-root",
                                     "hl7-interface-root", "ehr-export-2024", "fax-gateway-root"]}
ENI = {n: rid("eni", n) for n in INSTANCE}
IGW = {"prod": rid("igw", "prod"), "default": rid("igw", "default")}
RTB = {"prod-public": rid("rtb", "prod-public"), "prod-private": rid("rtb", "prod-private"),
       "default-main": rid("rtb", "default-main")}
VGW = rid("vgw", "prod")
KMS_KEY_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "riverside/kms/phi-data"))
KMS_KEY_ARN = f"arn:aws:kms:{REGION}:{PROD}:key/{KMS_KEY_ID}"
PORTAL_KEY_ID = uid("kms/portal-legacy-2021")
SM_AWS_KEY_ID = uid("kms/aws-secretsmanager")
EHR_AMI = "ami-0" + hexid("ami", "ehr-app-golden-2026-10", 16)
BASTION_AMI = "ami-0" + hexid("ami", "al2023-2026-09", 16)
HL7_AMI = "ami-0" + hexid("ami", "mirth-connect-4.5", 16)
FAX_AMI = "ami-0" + hexid("ami", "windows-2019-base-2022-03", 16)
BUCKET = {
    "documents": f"riverside-ehr-documents-{PROD}",
    "backups": f"riverside-ehr-backups-{PROD}",
    "access-logs": f"riverside-s3-access-logs-{PROD}",
    "cloudtrail": f"riverside-cloudtrail-logs-{PROD}",
    "intake": "riverside-intake-scans",
}
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{PROD}:log-group:/riverside/cloudtrail:*"
FLOWLOG_GROUP = "/riverside/vpc-flow-logs"
OWNER_CANONICAL_ID = hashlib.sha256(b"riverside-canonical-user").hexdigest()
SCAN_VENDOR_CANONICAL_ID = hashlib.sha256(b"docuscan-vendor-canonical-user").hexdigest()
ALB_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{PROD}:loadbalancer/app/ehr-web-alb/{hexid('alb', 'ehr-web', 16)}"
EHR_TG_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{PROD}:targetgroup/ehr-web-tg/{hexid('tg', 'ehr-web', 16)}"
EHR_CERT_ARN = f"arn:aws:acm:{REGION}:{PROD}:certificate/{uid('acm/ehr')}"
HL7_CERT_ARN = f"arn:aws:acm:{REGION}:{PROD}:certificate/{uid('acm/hl7')}"
PORTAL_IAM_CERT_ARN = f"arn:aws:iam::{PROD}:server-certificate/portal-legacy-2021"
SNS_ARN = {n: f"arn:aws:sns:{REGION}:{PROD}:{n}" for n in
           ["security-alerts", "ops-alerts", "appointment-reminders-sms"]}
WAF = {n: (uid(f"wafv2/{n}"), f"arn:aws:wafv2:{REGION}:{PROD}:regional/webacl/{n}/{uid(f'wafv2/{n}')}")
       for n in ["ehr-web-waf", "patient-api-waf"]}
REST_API_ID = lower_id("apigw/patient-api")
FS_EHR_SCANS = "fs-" + hexid("fs", "ehr-scans", 17)
DR_VAULT_ARN = f"arn:aws:backup:us-west-2:{PROD}:backup-vault:riverside-phi-vault-dr"
PHI_PLAN_ID = uid("backup/plan/riverside-phi-daily")
GUARDDUTY_DETECTOR = hexid("guardduty", PROD, 32)


# ================================================================= prod: account level
def prod_account_items():
    add("AWS::S3::AccountPublicAccessBlock", PROD,
        {"blockPublicAcls": True, "ignorePublicAcls": True,
         "blockPublicPolicy": True, "restrictPublicBuckets": True}, short="prod PAB")
    add("AWS::EC2::SnapshotBlockPublicAccess", PROD,
        {"State": "block-all-sharing", "AccountId": PROD}, short="prod snapshot BPA")


# ================================================================= network (both accounts)
def vpc_item(key, vpc_id, cidr, default, name, rels, created, ipv6=None, t=None):
    t = t if t is not None else (tags(name) if name else {})
    add("AWS::EC2::VPC", vpc_id, {
        "cidrBlock": cidr,
        "dhcpOptionsId": rid("dopt", ACCOUNT, 8),
        "state": "available",
        "vpcId": vpc_id,
        "ownerId": ACCOUNT,
        "instanceTenancy": "default",
        "ipv6CidrBlockAssociationSet": [{
            "associationId": rid("vpc-cidr-assoc", key),
            "ipv6CidrBlock": ipv6,
            "ipv6CidrBlockState": {"state": "associated"},
            "networkBorderGroup": REGION, "ipv6Pool": "Amazon"}] if ipv6 else [],
        "cidrBlockAssociationSet": [{
            "associationId": rid("vpc-cidr-assoc", key + "-v4"),
            "cidrBlock": cidr, "cidrBlockState": {"state": "associated"}}],
        "isDefault": default,
        "tags": ec2_tags(t),
    }, short=f"vpc-{key}", arn=arn_of("ec2", f"vpc/{vpc_id}"),
        az="Multiple Availability Zones", created=created, tags=t, relationships=rels)


def prod_vpcs():
    for key, vpc_id, cidr, default, name in [
        ("prod", VPC_PROD, PROD_CIDR, False, "riverside-prod"),
        ("default", VPC_DEFAULT, "172.31.0.0/16", True, None),
    ]:
        rels = []
        if key == "prod":
            rels += [rel("AWS::EC2::Subnet", SUBNET_ID[s], "Contains Subnet") for s in SUBNETS]
            rels += [rel("AWS::EC2::NetworkAcl", ACL[a], "Contains NetworkAcl") for a in ["public", "app", "db"]]
            rels += [rel("AWS::EC2::SecurityGroup", SG[g], "Contains SecurityGroup")
                     for g in SG if g != "default-legacy"]
            rels += [rel("AWS::EC2::Instance", INSTANCE[i], "Contains Instance") for i in INSTANCE]
            rels += [rel("AWS::EC2::NetworkInterface", ENI[i], "Contains NetworkInterface") for i in INSTANCE]
            rels.append(rel("AWS::EC2::InternetGateway", IGW["prod"], "Is attached to InternetGateway"))
            rels.append(rel("AWS::EC2::RouteTable", RTB["prod-public"], "Contains RouteTable"))
            rels.append(rel("AWS::EC2::RouteTable", RTB["prod-private"], "Contains RouteTable"))
            rels.append(rel("AWS::EC2::VPNGateway", VGW, "Is attached to VPNGateway"))
        else:
            rels += [rel("AWS::EC2::Subnet", s, "Contains Subnet") for s in DEFAULT_VPC_SUBNETS]
            rels.append(rel("AWS::EC2::NetworkAcl", ACL["legacy-default"], "Contains NetworkAcl"))
            rels.append(rel("AWS::EC2::SecurityGroup", SG["default-legacy"], "Contains SecurityGroup"))
            rels.append(rel("AWS::EC2::InternetGateway", IGW["default"], "Is attached to InternetGateway"))
            rels.append(rel("AWS::EC2::RouteTable", RTB["default-main"], "Contains RouteTable"))
        vpc_item(key, vpc_id, cidr, default, name, rels,
                 "2019-03-11T17:02:44.000Z" if default else "2024-02-06T15:21:09.000Z",
                 ipv6="2600:1f18:5a1:e400::/56" if key == "prod" else None)


def subnet_item(short, sid, vpc, cidr, az, public, acl, rtb, name, created, extra_rels=(), t=None):
    t = t or tags(name)
    rels = [rel("AWS::EC2::VPC", vpc, "Is contained in Vpc"),
            rel("AWS::EC2::NetworkAcl", acl, "Is attached to NetworkAcl"),
            rel("AWS::EC2::RouteTable", rtb, "Is attached to RouteTable")] + list(extra_rels)
    add("AWS::EC2::Subnet", sid, {
        "availabilityZone": az,
        "availabilityZoneId": {"us-east-1a": "use1-az2", "us-east-1b": "use1-az4"}[az],
        "availableIpAddressCount": 250,
        "cidrBlock": cidr,
        "defaultForAz": False,
        "mapPublicIpOnLaunch": public,
        "mapCustomerOwnedIpOnLaunch": False,
        "state": "available",
        "subnetId": sid,
        "vpcId": vpc,
        "ownerId": ACCOUNT,
        "assignIpv6AddressOnCreation": False,
        "ipv6CidrBlockAssociationSet": [],
        "tags": ec2_tags(t),
        "subnetArn": arn_of("ec2", f"subnet/{sid}"),
        "enableDns64": False,
        "ipv6Native": False,
        "privateDnsNameOptionsOnLaunch": {"hostnameType": "ip-name",
                                          "enableResourceNameDnsARecord": False,
                                          "enableResourceNameDnsAAAARecord": False},
    }, short=short, arn=arn_of("ec2", f"subnet/{sid}"), az=az, created=created, tags=t, relationships=rels)


def prod_subnets():
    acl_of = {"public-a": "public", "public-b": "public", "app-a": "app", "app-b": "app",
              "db-a": "db", "db-b": "db"}
    for name, (cidr, az, public) in SUBNETS.items():
        rels = []
        for inst, (sub, _) in INSTANCE_PLACEMENT.items():
            if sub == name:
                rels.append(rel("AWS::EC2::Instance", INSTANCE[inst], "Contains Instance"))
                rels.append(rel("AWS::EC2::NetworkInterface", ENI[inst], "Contains NetworkInterface"))
        subnet_item(name, SUBNET_ID[name], VPC_PROD, cidr, az, public, ACL[acl_of[name]],
                    RTB["prod-public" if public else "prod-private"], f"riverside-prod-{name}",
                    "2024-02-06T15:24:31.000Z", rels)


def igw_item(short, igw_id, vpc, name, created):
    t = tags(name) if name else {}
    add("AWS::EC2::InternetGateway", igw_id, {
        "attachments": [{"state": "available", "vpcId": vpc}],
        "internetGatewayId": igw_id,
        "ownerId": ACCOUNT,
        "tags": ec2_tags(t),
    }, short=short, arn=arn_of("ec2", f"internet-gateway/{igw_id}"), created=created, tags=t,
        relationships=[rel("AWS::EC2::VPC", vpc, "Is attached to Vpc")])


def route(dest, **target):
    r = {"destinationCidrBlock": dest, "destinationIpv6CidrBlock": None, "destinationPrefixListId": None,
         "egressOnlyInternetGatewayId": None, "gatewayId": None, "instanceId": None,
         "instanceOwnerId": None, "natGatewayId": None, "transitGatewayId": None,
         "localGatewayId": None, "carrierGatewayId": None, "networkInterfaceId": None,
         "origin": "CreateRoute", "state": "active", "vpcPeeringConnectionId": None,
         "coreNetworkArn": None}
    if dest.startswith("pl-"):
        r["destinationCidrBlock"] = None
        r["destinationPrefixListId"] = dest
    elif ":" in dest:
        r["destinationCidrBlock"] = None
        r["destinationIpv6CidrBlock"] = dest
    r.update(target)
    if target.get("gatewayId") == "local":
        r["origin"] = "CreateRouteTable"
    return r


def rtb_item(short, rtb_id, vpc, name, routes, subnet_ids, main=False, created=None):
    t = tags(name) if name else {}
    assoc = [{"main": False, "routeTableAssociationId": rid("rtbassoc", f"{rtb_id}-{s}"),
              "routeTableId": rtb_id, "subnetId": s, "gatewayId": None,
              "associationState": {"state": "associated", "statusMessage": None}} for s in subnet_ids]
    if main:
        assoc.insert(0, {"main": True, "routeTableAssociationId": rid("rtbassoc", f"{rtb_id}-main"),
                         "routeTableId": rtb_id, "subnetId": None, "gatewayId": None,
                         "associationState": {"state": "associated", "statusMessage": None}})
    rels = [rel("AWS::EC2::VPC", vpc, "Is contained in Vpc")]
    rels += [rel("AWS::EC2::Subnet", s, "Is associated with Subnet") for s in subnet_ids]
    rels += [rel("AWS::EC2::InternetGateway", r["gatewayId"], "Is attached to InternetGateway")
             for r in routes if (r.get("gatewayId") or "").startswith("igw-")][:1]
    add("AWS::EC2::RouteTable", rtb_id, {
        "associations": assoc,
        "propagatingVgws": [],
        "routeTableId": rtb_id,
        "routes": routes,
        "tags": ec2_tags(t),
        "vpcId": vpc,
        "ownerId": ACCOUNT,
    }, short=short, arn=arn_of("ec2", f"route-table/{rtb_id}"), created=created, tags=t,
        relationships=rels)


S3_PREFIX_LIST = "pl-63a5400a"   # com.amazonaws.us-east-1.s3


def prod_gateways_and_routes():
    igw_item("igw-prod", IGW["prod"], VPC_PROD, "riverside-prod-igw", "2024-02-06T15:21:40.000Z")
    igw_item("igw-default", IGW["default"], VPC_DEFAULT, None, "2019-03-11T17:02:45.000Z")
    rtb_item("rtb-prod-public", RTB["prod-public"], VPC_PROD, "riverside-prod-public", [
        route(PROD_CIDR, gatewayId="local"),
        route("2600:1f18:5a1:e400::/56", gatewayId="local"),
        route("0.0.0.0/0", gatewayId=IGW["prod"]),
        route("::/0", gatewayId=IGW["prod"]),
    ], [SUBNET_ID["public-a"], SUBNET_ID["public-b"]], created="2024-02-06T15:25:02.000Z")
    # No internet route from the private subnets: S3 through a gateway endpoint, the clinic
    # office and the reference lab through the VPN gateway.
    rtb_item("rtb-prod-private", RTB["prod-private"], VPC_PROD, "riverside-prod-private", [
        route(PROD_CIDR, gatewayId="local"),
        route("2600:1f18:5a1:e400::/56", gatewayId="local"),
        route(S3_PREFIX_LIST, gatewayId=rid("vpce", "prod-s3")),
        dict(route(OFFICE_CIDR, gatewayId=VGW), origin="EnableVgwRoutePropagation"),
        dict(route(LAB_CIDR, gatewayId=VGW), origin="EnableVgwRoutePropagation"),
    ], [SUBNET_ID[s] for s in ["app-a", "app-b", "db-a", "db-b"]], main=True,
        created="2024-02-06T15:25:03.000Z")
    rtb_item("rtb-default-main", RTB["default-main"], VPC_DEFAULT, None, [
        route("172.31.0.0/16", gatewayId="local"),
        route("0.0.0.0/0", gatewayId=IGW["default"]),
    ], [], main=True, created="2019-03-11T17:02:45.000Z")


def acl_entry(number, action, protocol, cidr=None, ports=None, egress=False, ipv6=None):
    e = {"ruleNumber": number, "protocol": protocol, "ruleAction": action, "egress": egress}
    if cidr is not None:
        e["cidrBlock"] = cidr
    if ipv6 is not None:
        e["ipv6CidrBlock"] = ipv6
    if ports is not None:
        e["portRange"] = {"from": ports[0], "to": ports[1]}
    return e


TCP = "6"
EGRESS_ALL = [acl_entry(100, "allow", "-1", "0.0.0.0/0", egress=True),
              acl_entry(32767, "deny", "-1", "0.0.0.0/0", egress=True)]
DEFAULT_ACL_ENTRIES = [acl_entry(100, "allow", "-1", "0.0.0.0/0"),
                       acl_entry(32767, "deny", "-1", "0.0.0.0/0")] + EGRESS_ALL


def acl_item(short, acl_id, vpc, name, subnet_ids, default, entries, key):
    t = tags(name) if name else {}
    add("AWS::EC2::NetworkAcl", acl_id, {
        "associations": [{"networkAclAssociationId": rid("aclassoc", f"{key}-{s}"),
                          "networkAclId": acl_id, "subnetId": s} for s in subnet_ids],
        "entries": entries,
        "isDefault": default,
        "networkAclId": acl_id,
        "tags": ec2_tags(t),
        "vpcId": vpc,
        "ownerId": ACCOUNT,
    }, short=short, arn=arn_of("ec2", f"network-acl/{acl_id}"),
        az="Multiple Availability Zones", tags=t,
        relationships=[rel("AWS::EC2::Subnet", s, "Is attached to Subnet") for s in subnet_ids]
        + [rel("AWS::EC2::VPC", vpc, "Is contained in Vpc")])


def prod_network_acls():
    acls = {
        # Public subnets: web, SSH to the bastion from anywhere (!), Linux ephemeral ports.
        "public": ("riverside-public-nacl", ["public-a", "public-b"], False, [
            acl_entry(100, "allow", TCP, "0.0.0.0/0", (443, 443)),
            acl_entry(101, "allow", TCP, None, (443, 443), ipv6="::/0"),
            acl_entry(110, "allow", TCP, "0.0.0.0/0", (80, 80)),
            acl_entry(120, "allow", TCP, "0.0.0.0/0", (22, 22)),
            acl_entry(130, "allow", TCP, LAB_CIDR, (6661, 6661)),
            acl_entry(140, "allow", TCP, "0.0.0.0/0", (32768, 61000)),
            acl_entry(32767, "deny", "-1", "0.0.0.0/0"),
            acl_entry(32768, "deny", "-1", None, ipv6="::/0"),
        ] + EGRESS_ALL),
        # App subnets: only from inside the VPC, plus ephemeral return traffic.
        "app": ("riverside-app-nacl", ["app-a", "app-b"], False, [
            acl_entry(100, "allow", TCP, PROD_CIDR, (8443, 8443)),
            acl_entry(110, "allow", TCP, "10.20.0.0/23", (22, 22)),
            acl_entry(120, "allow", TCP, PROD_CIDR, (2575, 2575)),
            acl_entry(125, "allow", TCP, PROD_CIDR, (443, 443)),
            acl_entry(130, "allow", TCP, "0.0.0.0/0", (32768, 61000)),
            acl_entry(32767, "deny", "-1", "0.0.0.0/0"),
        ] + EGRESS_ALL),
        # DB subnets: someone kept the allow-all rule but put explicit DB-port denies first.
        "db": ("riverside-db-nacl", ["db-a", "db-b"], False, [
            acl_entry(80, "deny", TCP, "0.0.0.0/0", (3306, 3306)),
            acl_entry(81, "deny", TCP, "0.0.0.0/0", (5432, 5432)),
            acl_entry(82, "deny", TCP, "0.0.0.0/0", (1433, 1433)),
            acl_entry(83, "deny", TCP, "0.0.0.0/0", (1521, 1521)),
            acl_entry(100, "allow", "-1", "0.0.0.0/0"),
            acl_entry(32767, "deny", "-1", "0.0.0.0/0"),
        ] + EGRESS_ALL),
        # The default VPC's default NACL, untouched: everything allowed.
        "legacy-default": (None, None, True, DEFAULT_ACL_ENTRIES),
    }
    for key, (name, subnet_names, default, entries) in acls.items():
        if subnet_names is None:
            subnet_ids, vpc = DEFAULT_VPC_SUBNETS, VPC_DEFAULT
        else:
            subnet_ids, vpc = [SUBNET_ID[s] for s in subnet_names], VPC_PROD
        acl_item(f"acl-{key}", ACL[key], vpc, name, subnet_ids, default, entries, key)


def perm(protocol, ports=None, cidrs=(), ipv6=(), groups=(), description=None):
    p = {"ipProtocol": protocol}
    if ports is not None:
        p["fromPort"], p["toPort"] = ports
    p["ipv6Ranges"] = [{"cidrIpv6": c, **({"description": description} if description else {})}
                       for c in ipv6]
    p["prefixListIds"] = []
    p["userIdGroupPairs"] = [{"groupId": g, "userId": ACCOUNT,
                              **({"description": description} if description else {})}
                             for g in groups]
    p["ipv4Ranges"] = [{"cidrIp": c, **({"description": description} if description else {})}
                       for c in cidrs]
    p["ipRanges"] = list(cidrs)
    return p


def all_out():
    return [perm("-1", cidrs=["0.0.0.0/0"])]


def sg_item(short, sg_id, group_name, description, vpc, ingress, egress, t, attached, created):
    t = t or {}
    rels = [rel("AWS::EC2::VPC", vpc, "Is contained in Vpc")]
    rels += [rel(rtype, ident, rname) for rtype, ident, rname in attached]
    add("AWS::EC2::SecurityGroup", sg_id, {
        "description": description,
        "groupName": group_name,
        "ipPermissions": ingress,
        "ownerId": ACCOUNT,
        "groupId": sg_id,
        "ipPermissionsEgress": egress,
        "tags": ec2_tags(t),
        "vpcId": vpc,
    }, short=short, name=group_name, arn=arn_of("ec2", f"security-group/{sg_id}"),
        tags=t, relationships=rels, created=created)


def prod_security_groups():
    app_role = {"ward:role": "app"}   # read by ward-db-only-from-app-security-groups
    groups = {
        "default-prod": ("default", "default VPC security group", VPC_PROD, [], [], {}),
        "default-legacy": ("default", "default VPC security group", VPC_DEFAULT,
                           [perm("-1", groups=[SG["default-legacy"]])], all_out(), None),
        "ehr-alb": ("ehr-alb-sg", "EHR web load balancers: HTTPS from patients and staff", VPC_PROD, [
            perm("tcp", (443, 443), cidrs=["0.0.0.0/0"], ipv6=["::/0"]),
            perm("tcp", (80, 80), cidrs=["0.0.0.0/0"], description="redirected to 443"),
        ], all_out(), tags("ehr-alb-sg")),
        "ehr-app": ("ehr-app-sg", "EHR application servers", VPC_PROD, [
            perm("tcp", (8443, 8443), groups=[SG["ehr-alb"]], description="from the load balancers"),
            perm("tcp", (22, 22), groups=[SG["bastion"]], description="admin via bastion"),
        ], all_out(), tags("ehr-app-sg", app_role)),
        "bastion": ("bastion-sg", "Bastion host", VPC_PROD, [
            perm("tcp", (22, 22), cidrs=["0.0.0.0/0"], description="temporary: vendor onboarding"),
        ], all_out(), tags("bastion-sg")),
        "admin-ipv6": ("admin-ipv6-sg", "IPv6 admin access (IPv6 pilot)", VPC_PROD, [
            perm("tcp", (22, 22), ipv6=["::/0"]),
            perm("tcp", (3389, 3389), ipv6=["::/0"]),
        ], all_out(), tags("admin-ipv6-sg")),
        "icmp-diagnostics": ("icmp-diagnostics-sg", "ICMP echo and path MTU discovery for the MSP uptime monitor",
                             VPC_PROD, [
            perm("icmp", (8, -1), cidrs=["0.0.0.0/0"], description="echo request (uptime monitor)"),
            perm("icmp", (3, 4), cidrs=["0.0.0.0/0"], description="fragmentation needed (PMTUD)"),
        ], all_out(), tags("icmp-diagnostics-sg")),
        "ehr-db": ("ehr-db-sg", "EHR MySQL databases: app servers only", VPC_PROD, [
            perm("tcp", (3306, 3306), groups=[SG["ehr-app"]], description="EHR app servers"),
        ], [], tags("ehr-db-sg")),
        "reporting-db": ("reporting-db-sg", "Reporting PostgreSQL", VPC_PROD, [
            perm("tcp", (5432, 5432), cidrs=[PROD_CIDR], description="whole VPC (BI tools)"),
        ], [], tags("reporting-db-sg")),
        "vendor-remote-support": ("vendor-remote-support-sg", "Interface vendor remote support", VPC_PROD, [
            perm("tcp", (3380, 3399), cidrs=["0.0.0.0/0"], description="vendor remote desktop range"),
            perm("tcp", (22, 22), cidrs=[OFFICE_CIDR], description="clinic office"),
        ], all_out(), tags("vendor-remote-support-sg")),
        "vendor-integration": ("vendor-integration-sg", "Legacy HL7 / portal vendor integration", VPC_PROD, [
            perm("-1", cidrs=["0.0.0.0/0"], description="TODO restrict (ticket RFC-112)"),
        ], all_out(), tags("vendor-integration-sg")),
        "hl7-clb": ("hl7-clb-sg", "HL7 over TLS from the reference laboratory", VPC_PROD, [
            perm("tcp", (6661, 6661), cidrs=[LAB_CIDR], description="reference lab MLLP/TLS"),
        ], all_out(), tags("hl7-clb-sg")),
        "ehr-cache": ("ehr-cache-sg", "ehr-sessions Redis: EHR app servers only", VPC_PROD, [
            perm("tcp", (6379, 6379), groups=[SG["ehr-app"]], description="EHR app servers"),
        ], [], tags("ehr-cache-sg")),
        "audit-search": ("audit-search-sg", "ehr-audit-search OpenSearch domain: HTTPS from the VPC", VPC_PROD, [
            perm("tcp", (443, 443), cidrs=[PROD_CIDR], description="privacy officer tools, log shippers"),
        ], all_out(), tags("audit-search-sg")),
    }
    attached = {  # sg -> [(type, id, relationship name)]
        "ehr-alb": [("AWS::ElasticLoadBalancingV2::LoadBalancer", ALB_ARN, "Is associated with LoadBalancerV2"),
                    ("AWS::ElasticLoadBalancing::LoadBalancer", "portal-legacy-clb", "Is associated with LoadBalancer")],
        "ehr-app": [("AWS::EC2::Instance", INSTANCE["ehr-app-1"], "Is associated with Instance"),
                    ("AWS::EC2::Instance", INSTANCE["ehr-app-2"], "Is associated with Instance"),
                    ("AWS::EC2::NetworkInterface", ENI["ehr-app-1"], "Is associated with NetworkInterface"),
                    ("AWS::EC2::NetworkInterface", ENI["ehr-app-2"], "Is associated with NetworkInterface")],
        "bastion": [("AWS::EC2::Instance", INSTANCE["bastion"], "Is associated with Instance"),
                    ("AWS::EC2::NetworkInterface", ENI["bastion"], "Is associated with NetworkInterface")],
        "admin-ipv6": [("AWS::EC2::Instance", INSTANCE["bastion"], "Is associated with Instance"),
                       ("AWS::EC2::NetworkInterface", ENI["bastion"], "Is associated with NetworkInterface")],
        "icmp-diagnostics": [("AWS::EC2::Instance", INSTANCE["bastion"], "Is associated with Instance"),
                             ("AWS::EC2::NetworkInterface", ENI["bastion"], "Is associated with NetworkInterface")],
        "vendor-remote-support": [("AWS::EC2::Instance", INSTANCE["hl7-interface"], "Is associated with Instance"),
                                  ("AWS::EC2::NetworkInterface", ENI["hl7-interface"], "Is associated with NetworkInterface"),
                                  ("AWS::EC2::Instance", INSTANCE["fax-gateway"], "Is associated with Instance"),
                                  ("AWS::EC2::NetworkInterface", ENI["fax-gateway"], "Is associated with NetworkInterface")],
        "vendor-integration": [("AWS::EC2::Instance", INSTANCE["hl7-interface"], "Is associated with Instance"),
                               ("AWS::EC2::NetworkInterface", ENI["hl7-interface"], "Is associated with NetworkInterface"),
                               ("AWS::RDS::DBInstance", RDS_RESOURCE_ID["legacy-portal-db"], "Is associated with DBInstance")],
        "ehr-db": [("AWS::RDS::DBInstance", RDS_RESOURCE_ID["ehr-db"], "Is associated with DBInstance"),
                   ("AWS::RDS::DBInstance", RDS_RESOURCE_ID["analytics-aurora-1"], "Is associated with DBInstance"),
                   ("AWS::RDS::DBCluster", RDS_RESOURCE_ID["analytics-aurora"], "Is associated with DBCluster")],
        "reporting-db": [("AWS::RDS::DBInstance", RDS_RESOURCE_ID["reporting-db"], "Is associated with DBInstance")],
        "hl7-clb": [("AWS::ElasticLoadBalancing::LoadBalancer", "hl7-tls-clb", "Is associated with LoadBalancer")],
    }
    for key, (group_name, description, vpc, ingress, egress, t) in groups.items():
        sg_item(key if group_name == "default" else group_name, SG[key], group_name, description, vpc, ingress,
                egress, t, attached.get(key, []),
                "2019-03-11T17:02:45.000Z" if key == "default-legacy" else "2024-02-06T15:22:10.000Z")


def flow_log(fid, vpc, group, created, name):
    t = tags(name)
    add("AWS::EC2::FlowLog", fid, {
        "creationTime": epoch_ms(created),
        "deliverLogsPermissionArn": f"arn:aws:iam::{ACCOUNT}:role/vpc-flow-logs-role",
        "deliverLogsStatus": "SUCCESS",
        "flowLogId": fid,
        "flowLogStatus": "ACTIVE",
        "logGroupName": group,
        "resourceId": vpc,
        "trafficType": "ALL",
        "logDestinationType": "cloud-watch-logs",
        "logDestination": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}",
        "logFormat": "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}",
        "tags": ec2_tags(t),
        "maxAggregationInterval": 600,
    }, short=name, arn=arn_of("ec2", f"vpc-flow-log/{fid}"), created=created, tags=t)


def vpn_connection(short, name, tunnels, created):
    vpn_id = rid("vpn", name)
    t = tags(name)
    add("AWS::EC2::VPNConnection", vpn_id, {
        "customerGatewayConfiguration": None,
        "customerGatewayId": rid("cgw", name),
        "category": "VPN",
        "state": {"value": "available"},
        "type": "ipsec.1",
        "vpnConnectionId": vpn_id,
        "vpnGatewayId": VGW,
        "transitGatewayId": None,
        "options": {"enableAcceleration": False, "staticRoutesOnly": False,
                    "localIpv4NetworkCidr": "0.0.0.0/0", "remoteIpv4NetworkCidr": "0.0.0.0/0",
                    "tunnelInsideIpVersion": "ipv4"},
        "routes": [],
        "tags": ec2_tags(t),
        "vgwTelemetry": [{"acceptedRouteCount": count, "lastStatusChange": changed,
                          "outsideIpAddress": ip, "status": status, "statusMessage": message}
                         for ip, status, changed, count, message in tunnels],
    }, short=short, arn=arn_of("ec2", f"vpn-connection/{vpn_id}"), created=created, tags=t,
        relationships=[rel("AWS::EC2::CustomerGateway", rid("cgw", name), "Is attached to CustomerGateway"),
                       rel("AWS::EC2::VPNGateway", VGW, "Is attached to VPNGateway")])


def prod_vpn():
    vpn_connection("vpn-office", "clinic-office-vpn", [
        ("3.225.18.41", "UP", "2026-11-02T06:41:12.000Z", 1, "1 BGP ROUTES"),
        ("52.0.197.213", "UP", "2026-11-02T06:41:55.000Z", 1, "1 BGP ROUTES"),
    ], "2024-02-08T10:11:40.000Z")
    vpn_connection("vpn-reflab", "reference-lab-vpn", [
        ("34.194.77.12", "UP", "2026-10-21T14:02:31.000Z", 1, "1 BGP ROUTES"),
        ("54.86.120.9", "DOWN", "2026-09-30T22:17:08.000Z", 0, ""),
    ], "2025-03-17T15:30:02.000Z")


# ================================================================= compute (prod)
INSTANCE_PLACEMENT = {  # name: (subnet, private ip)
    "ehr-app-1": ("app-a", "10.20.10.21"),
    "ehr-app-2": ("app-b", "10.20.11.22"),
    "bastion": ("public-a", "10.20.0.10"),
    "hl7-interface": ("app-a", "10.20.10.40"),
    "fax-gateway": ("app-b", "10.20.11.60"),
}
INSTANCE_PROFILE_ARN = f"arn:aws:iam::{PROD}:instance-profile/ehr-app-instance-profile"
SG_NAMES = {"ehr-app": "ehr-app-sg", "bastion": "bastion-sg", "admin-ipv6": "admin-ipv6-sg",
            "icmp-diagnostics": "icmp-diagnostics-sg",
            "vendor-remote-support": "vendor-remote-support-sg", "vendor-integration": "vendor-integration-sg"}
INSTANCE_SPEC = {
    # name: type, tenancy, ami, sgs, root volume, public ip, launch time, tags, profile arn,
    #       IMDS tokens, state, state transition reason, platform
    "ehr-app-1": ("m6i.xlarge", "dedicated", EHR_AMI, ["ehr-app"], "ehr-app-1-root", None,
                  "2026-10-14T09:12:03.000Z", tags("ehr-app-1", PHI, {"app": "ehr"}), INSTANCE_PROFILE_ARN,
                  "required", "running", "", None),
    "ehr-app-2": ("m6i.xlarge", "dedicated", EHR_AMI, ["ehr-app"], "ehr-app-2-root", None,
                  "2026-10-14T09:12:05.000Z", tags("ehr-app-2", PHI, {"app": "ehr"}), INSTANCE_PROFILE_ARN,
                  "required", "running", "", None),
    "bastion": ("t3.micro", "default", BASTION_AMI, ["bastion", "admin-ipv6", "icmp-diagnostics"], "bastion-root",
                "54.210.117.34", "2026-09-02T13:40:11.000Z", tags("bastion"), None,
                "required", "running", "", None),
    "hl7-interface": ("m6i.large", "default", HL7_AMI, ["vendor-remote-support", "vendor-integration"],
                      "hl7-interface-root", None, "2025-06-19T21:05:47.000Z",
                      tags("hl7-interface", PHI, {"app": "hl7"}), None, "optional", "running", "", None),
    # Receives referral faxes (PHI); replaced by the e-fax service in August, never terminated.
    "fax-gateway": ("t3.medium", "default", FAX_AMI, ["vendor-remote-support"], "fax-gateway-root", None,
                    "2022-03-09T16:20:44.000Z", tags("fax-gateway", PHI, {"app": "fax"}), None,
                    "optional", "stopped", "User initiated (2026-08-14 17:22:09 GMT)", "windows"),
}


def private_dns(ip):
    return "ip-" + ip.replace(".", "-") + ".ec2.internal"


def instance_item(name, iid, eni, subnet_id, az, vpc, ip, spec, sg_ids, sg_names, volume_id,
                  extra_rels=(), key_name="riverside-ops-2026"):
    (itype, tenancy, ami, _sgs, _root, public_ip, launch, t, profile, tokens, state,
     reason, platform) = spec
    groups = [{"groupName": n, "groupId": g} for g, n in zip(sg_ids, sg_names)]
    association = None
    if public_ip:
        association = {"ipOwnerId": "amazon",
                       "publicDnsName": "ec2-" + public_ip.replace(".", "-") + ".compute-1.amazonaws.com",
                       "publicIp": public_ip}
    state_code = {"running": 16, "stopped": 80}[state]
    config = {
        "amiLaunchIndex": 0,
        "imageId": ami,
        "instanceId": iid,
        "instanceType": itype,
        "kernelId": None,
        "keyName": key_name,
        "launchTime": launch,
        "monitoring": {"state": "enabled" if name.startswith("ehr") else "disabled"},
        "placement": {"availabilityZone": az, "affinity": None, "groupName": "",
                      "partitionNumber": None, "hostId": None, "tenancy": tenancy,
                      "spreadDomain": None, "hostResourceGroupArn": None},
        "platform": platform,
        "privateDnsName": private_dns(ip),
        "privateIpAddress": ip,
        "productCodes": [],
        "publicDnsName": association["publicDnsName"] if association else "",
        "publicIpAddress": public_ip,
        "ramdiskId": None,
        "state": {"code": state_code, "name": state},
        "stateTransitionReason": reason,
        "subnetId": subnet_id,
        "vpcId": vpc,
        "architecture": "x86_64",
        "blockDeviceMappings": [{"deviceName": "/dev/sda1" if platform == "windows" else "/dev/xvda", "ebs": {
            "attachTime": launch, "deleteOnTermination": True,
            "status": "attached", "volumeId": volume_id}}],
        "clientToken": hexid("token", name, 32),
        "ebsOptimized": True,
        "enaSupport": True,
        "hypervisor": "xen",
        "iamInstanceProfile": {"arn": profile, "id": upper_id("AIPA", profile)} if profile else None,
        "instanceLifecycle": None,
        "elasticGpuAssociations": [],
        "elasticInferenceAcceleratorAssociations": [],
        "networkInterfaces": [{
            "association": association,
            "attachment": {"attachTime": launch, "attachmentId": rid("eni-attach", name),
                           "deleteOnTermination": True, "deviceIndex": 0, "status": "attached",
                           "networkCardIndex": 0},
            "description": "",
            "groups": groups,
            "ipv6Addresses": [],
            "macAddress": ":".join(hexid("mac", name, 12)[i:i + 2] for i in range(0, 12, 2)),
            "networkInterfaceId": eni,
            "ownerId": ACCOUNT,
            "privateDnsName": private_dns(ip),
            "privateIpAddress": ip,
            "privateIpAddresses": [{"association": association, "primary": True,
                                    "privateDnsName": private_dns(ip), "privateIpAddress": ip}],
            "sourceDestCheck": True,
            "status": "in-use",
            "subnetId": subnet_id,
            "vpcId": vpc,
            "interfaceType": "interface",
        }],
        "outpostArn": None,
        "rootDeviceName": "/dev/sda1" if platform == "windows" else "/dev/xvda",
        "rootDeviceType": "ebs",
        "securityGroups": groups,
        "sourceDestCheck": True,
        "spotInstanceRequestId": None,
        "sriovNetSupport": None,
        "stateReason": {"code": "Client.UserInitiatedShutdown",
                        "message": "Client.UserInitiatedShutdown: User initiated shutdown"} if state == "stopped" else None,
        "tags": ec2_tags(t),
        "virtualizationType": "hvm",
        "cpuOptions": {"coreCount": 2 if itype.endswith("xlarge") else 1, "threadsPerCore": 2},
        "capacityReservationId": None,
        "capacityReservationSpecification": {"capacityReservationPreference": "open",
                                             "capacityReservationTarget": None},
        "hibernationOptions": {"configured": False},
        "licenses": [],
        "metadataOptions": {"state": "applied", "httpTokens": tokens,
                            "httpPutResponseHopLimit": 2, "httpEndpoint": "enabled",
                            "httpProtocolIpv6": "disabled", "instanceMetadataTags": "disabled"},
        "enclaveOptions": {"enabled": False},
        "bootMode": None,
        "platformDetails": "Windows" if platform == "windows" else "Linux/UNIX",
        "usageOperation": "RunInstances:0002" if platform == "windows" else "RunInstances",
        "usageOperationUpdateTime": launch,
        "privateDnsNameOptions": {"hostnameType": "ip-name", "enableResourceNameDnsARecord": False,
                                  "enableResourceNameDnsAAAARecord": False},
        "maintenanceOptions": {"autoRecovery": "default"},
        "currentInstanceBootMode": "legacy-bios",
    }
    rels = [rel("AWS::EC2::NetworkInterface", eni, "Contains NetworkInterface")]
    rels += [rel("AWS::EC2::SecurityGroup", g, "Is associated with SecurityGroup") for g in sg_ids]
    rels += [rel("AWS::EC2::Subnet", subnet_id, "Is contained in Subnet"),
             rel("AWS::EC2::Volume", volume_id, "Is attached to Volume"),
             rel("AWS::EC2::VPC", vpc, "Is contained in Vpc")] + list(extra_rels)
    add("AWS::EC2::Instance", iid, config, short=name, arn=arn_of("ec2", f"instance/{iid}"), az=az,
        created=launch, tags=t, relationships=rels)


def prod_instances():
    for name, spec in INSTANCE_SPEC.items():
        subnet, ip = INSTANCE_PLACEMENT[name]
        sgs = spec[3]
        extra = []
        if name in ("ehr-app-1", "ehr-app-2"):
            extra.append(rel("AWS::SSM::ManagedInstanceInventory", INSTANCE[name],
                             "Is associated with ManagedInstanceInventory"))
        instance_item(name, INSTANCE[name], ENI[name], SUBNET_ID[subnet], SUBNETS[subnet][1], VPC_PROD, ip, spec,
                      [SG[g] for g in sgs], [SG_NAMES[g] for g in sgs], VOLUME[spec[4]], extra,
                      key_name={"hl7-interface": "hl7-vendor", "fax-gateway": "fax-2022"}.get(name, "riverside-ops-2026"))


VOLUME_SPEC = {
    # name: (instance or None, size, encrypted, az, created, tags)
    "ehr-app-1-root": ("ehr-app-1", 100, True, "us-east-1a", "2026-10-14T09:12:03.412Z", tags("ehr-app-1-root", PHI)),
    "ehr-app-2-root": ("ehr-app-2", 100, True, "us-east-1b", "2026-10-14T09:12:05.087Z", tags("ehr-app-2-root", PHI)),
    "bastion-root": ("bastion", 8, False, "us-east-1a", "2026-09-02T13:40:11.730Z", tags("bastion-root")),
    "hl7-interface-root": ("hl7-interface", 200, True, "us-east-1a", "2025-06-19T21:05:48.005Z",
                           tags("hl7-interface-root", PHI)),
    # detached after the 2024 EHR migration, never deleted
    "ehr-export-2024": (None, 500, False, "us-east-1a", "2024-03-27T22:18:40.551Z",
                        tags("ehr-export-2024", PHI, {"note": "migration export, to be deleted"})),
    "fax-gateway-root": ("fax-gateway", 60, False, "us-east-1b", "2022-03-09T16:20:45.310Z",
                         tags("fax-gateway-root", PHI)),
}


def volume_item(name, vid, inst_id, attach_time, size, encrypted, az, created, t, kms, device="/dev/xvda"):
    config = {
        "attachments": [] if inst_id is None else [{
            "attachTime": attach_time, "device": device,
            "instanceId": inst_id, "state": "attached", "volumeId": vid,
            "deleteOnTermination": True}],
        "availabilityZone": az,
        "createTime": created,
        "encrypted": encrypted,
        "size": size,
        "snapshotId": "snap-0" + hexid("snap", name, 16),
        "state": "available" if inst_id is None else "in-use",
        "volumeId": vid,
        "iops": 3000,
        "tags": ec2_tags(t),
        "volumeType": "gp3",
        "fastRestored": None,
        "multiAttachEnabled": False,
        "throughput": 125,
    }
    if encrypted:
        config["kmsKeyId"] = kms
    rels = [] if inst_id is None else [rel("AWS::EC2::Instance", inst_id, "Is attached to Instance")]
    add("AWS::EC2::Volume", vid, config, short=name, arn=arn_of("ec2", f"volume/{vid}"),
        az=az, created=created, tags=t, relationships=rels)


def prod_volumes():
    for name, (inst, size, encrypted, az, created, t) in VOLUME_SPEC.items():
        volume_item(name, VOLUME[name], INSTANCE[inst] if inst else None,
                    INSTANCE_SPEC[inst][6] if inst else None, size, encrypted, az, created, t, KMS_KEY_ARN,
                    device="/dev/sda1" if inst == "fax-gateway" else "/dev/xvda")


def ssm_items():
    """Systems Manager: what AWS Config records for the instances the SSM agent reports."""
    for name, (agent_ok, patches_ok) in {"ehr-app-1": (True, True), "ehr-app-2": (False, False)}.items():
        iid = INSTANCE[name]
        ip = INSTANCE_PLACEMENT[name][1]
        add("AWS::SSM::ManagedInstanceInventory", iid, {
            "AWS:InstanceInformation": {
                "SchemaVersion": "1.0",
                "CaptureTime": "2026-11-20T02:30:11Z",
                "Content": {iid: {
                    "AgentType": "amazon-ssm-agent", "AgentVersion": "3.3.1142.0" if agent_ok else "3.2.582.0",
                    "ComputerName": private_dns(ip), "InstanceId": iid, "InstanceStatus": "Active",
                    "IpAddress": ip, "PlatformName": "Amazon Linux", "PlatformType": "Linux",
                    "PlatformVersion": "2023", "ResourceType": "EC2Instance"}},
            },
        }, short=f"{name} (SSM inventory)", region=REGION,
            relationships=[rel("AWS::EC2::Instance", iid, "Is associated with Instance")],
            supplementary={"instanceStatus": "Active"})
        association = {
            uid(f"ssm-assoc/gather-inventory"): {
                "Status": "COMPLIANT", "DocumentName": "AWS-GatherSoftwareInventory", "DocumentVersion": "1",
                "AssociationId": uid("ssm-assoc/gather-inventory"), "ExecutionType": "Command",
                "ExecutionTime": "2026-11-20T02:30:04Z", "Title": "gather-inventory"},
            uid(f"ssm-assoc/update-agent"): {
                "Status": "COMPLIANT" if agent_ok else "NON_COMPLIANT", "DocumentName": "AWS-UpdateSSMAgent",
                "DocumentVersion": "1", "AssociationId": uid("ssm-assoc/update-agent"),
                "ExecutionType": "Command", "ExecutionTime": "2026-11-16T04:00:12Z",
                "Title": "update-ssm-agent-weekly"},
            # The CloudWatch agent ships /var/log/secure to the ehr-app-ssh log group; on
            # ehr-app-2 its last configure run failed (the old SSM agent cannot fetch the parameter).
            uid(f"ssm-assoc/cloudwatch-agent"): {
                "Status": "COMPLIANT" if agent_ok else "NON_COMPLIANT", "DocumentName": "AmazonCloudWatch-ManageAgent",
                "DocumentVersion": "4", "AssociationId": uid("ssm-assoc/cloudwatch-agent"),
                "ExecutionType": "Command", "ExecutionTime": "2026-11-19T05:00:40Z",
                "Title": "cloudwatch-agent-ssh-logs"},
        }
        add("AWS::SSM::AssociationCompliance", f"AWS:ComplianceItem/{iid}", {
            "AWS:ComplianceItem": {"SchemaVersion": "1.0", "ComplianceType": "Association",
                                   "ResourceType": "ManagedInstance", "ResourceId": iid,
                                   "Content": {"Association": association}},
        }, short=f"{name} (association compliance)",
            relationships=[rel("AWS::EC2::Instance", iid, "Is associated with Instance")])
        patch = {
            "ComplianceSummary": {
                "Status": "COMPLIANT" if patches_ok else "NON_COMPLIANT",
                "PatchBaselineId": "pb-0" + hexid("pb", "al2023", 16), "PatchGroup": "ehr",
                "OverallSeverity": "UNSPECIFIED" if patches_ok else "CRITICAL",
                "ExecutionType": "Command", "ExecutionTime": "2026-11-19T04:10:33Z",
                "NonCompliantCriticalCount": 0 if patches_ok else 1, "InstalledCount": 412,
                "MissingCount": 0 if patches_ok else 3},
            "ALAS2023-2026-1291": {"Status": "COMPLIANT", "Classification": "Security",
                                   "PatchSeverity": "Important", "PatchState": "Installed",
                                   "Title": "openssl-3.2.2-1.amzn2023.0.4.x86_64"},
        }
        if not patches_ok:
            patch["ALAS2023-2026-1337"] = {"Status": "NON_COMPLIANT", "Classification": "Security",
                                           "PatchSeverity": "Critical", "PatchState": "Missing",
                                           "Title": "kernel-6.1.141-155.222.amzn2023.x86_64"}
        add("AWS::SSM::PatchCompliance", f"AWS:ComplianceItem/{iid}", {
            "AWS:ComplianceItem": {"SchemaVersion": "1.0", "ComplianceType": "Patch",
                                   "ResourceType": "ManagedInstance", "ResourceId": iid,
                                   "Content": {"Patch": patch}},
        }, short=f"{name} (patch compliance)",
            relationships=[rel("AWS::EC2::Instance", iid, "Is associated with Instance")])
    add("AWS::SSM::Document", "Riverside-RestartEhrService", {
        "Name": "Riverside-RestartEhrService",
        "DocumentType": "Command",
        "DocumentFormat": "YAML",
        "TargetType": "/AWS::EC2::Instance",
        "VersionName": None,
        "Requires": [],
        "Attachments": [],
        "Tags": cfn_tags(tags("Riverside-RestartEhrService")),
    }, short="Riverside-RestartEhrService", name="Riverside-RestartEhrService",
        arn=arn_of("ssm", "document/Riverside-RestartEhrService"), created="2024-05-02T10:11:12.000Z",
        tags=tags("Riverside-RestartEhrService"))


# ================================================================= Auto Scaling, ECS, Lambda, CodeBuild (prod)
def launch_configuration(name, public_ip, ami, itype, sgs, created, profile=None, user_data=""):
    arn = arn_of("autoscaling", f"launchConfiguration:{uid('lc/' + name)}:launchConfigurationName/{name}")
    add("AWS::AutoScaling::LaunchConfiguration", arn, {
        "launchConfigurationName": name,
        "launchConfigurationARN": arn,
        "imageId": ami,
        "keyName": "riverside-ops-2021" if "2021" in name else "riverside-ops-2022",
        "securityGroups": sgs,
        "classicLinkVPCId": None,
        "classicLinkVPCSecurityGroups": [],
        "userData": user_data,
        "instanceType": itype,
        "kernelId": "",
        "ramdiskId": "",
        "blockDeviceMappings": [{"virtualName": None, "deviceName": "/dev/xvda", "ebs": {
            "snapshotId": None, "volumeSize": 30, "volumeType": "gp2", "deleteOnTermination": True,
            "iops": None, "encrypted": False, "throughput": None}, "noDevice": None}],
        "instanceMonitoring": {"enabled": False},
        "spotPrice": None,
        "iamInstanceProfile": profile,
        "createdTime": epoch_ms(created),
        "ebsOptimized": False,
        "associatePublicIpAddress": public_ip,
        "placementTenancy": None,
        "metadataOptions": None,
    }, short=name, name=name, arn=arn, created=created)
    return arn


def auto_scaling_group(name, lc_name, lt, lbs, tgs, health, desired, subnets, created, t,
                       instances=(), short=None, instance_type="t3.large"):
    arn = arn_of("autoscaling", f"autoScalingGroup:{uid('asg/' + name)}:autoScalingGroupName/{name}")
    add("AWS::AutoScaling::AutoScalingGroup", arn, {
        "autoScalingGroupName": name,
        "autoScalingGroupARN": arn,
        "launchConfigurationName": lc_name,
        "launchTemplate": lt,
        "mixedInstancesPolicy": None,
        "minSize": 0 if desired == 0 else 1,
        "maxSize": 4,
        "desiredCapacity": desired,
        "predictedCapacity": None,
        "defaultCooldown": 300,
        "availabilityZones": ["us-east-1a", "us-east-1b"],
        "loadBalancerNames": lbs,
        "targetGroupARNs": tgs,
        "healthCheckType": health,
        "healthCheckGracePeriod": 300,
        "instances": [{"instanceId": i, "instanceType": instance_type, "availabilityZone": az,
                       "lifecycleState": "InService", "healthStatus": "Healthy",
                       "launchConfigurationName": None, "launchTemplate": lt,
                       "protectedFromScaleIn": False, "weightedCapacity": None} for i, az in instances],
        "createdTime": epoch_ms(created),
        "suspendedProcesses": [],
        "placementGroup": None,
        "vpczoneIdentifier": ",".join(subnets),
        "enabledMetrics": [],
        "status": None,
        "tags": [{"resourceId": name, "resourceType": "auto-scaling-group", "key": k, "value": v,
                  "propagateAtLaunch": True} for k, v in t.items()],
        "terminationPolicies": ["Default"],
        "newInstancesProtectedFromScaleIn": False,
        "serviceLinkedRoleARN": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
        "maxInstanceLifetime": None,
        "capacityRebalance": False,
        "warmPoolConfiguration": None,
        "warmPoolSize": None,
        "context": None,
        "desiredCapacityType": None,
        "defaultInstanceWarmup": None,
        "trafficSources": [{"identifier": x, "type": "elb" if not x.startswith("arn:") else "elbv2"}
                           for x in list(lbs) + list(tgs)],
    }, short=short or name, name=name, arn=arn, az="Multiple Availability Zones", created=created, tags=t,
        relationships=[rel("AWS::EC2::Subnet", s, "Is associated with Subnet") for s in subnets]
        + [rel("AWS::EC2::Instance", i, "Contains Instance") for i, _ in instances]
        + ([rel("AWS::AutoScaling::LaunchConfiguration", None, "Is associated with LaunchConfiguration", lc_name)]
           if lc_name else []),
        supplementary={"LifeCycleHooks": []})


def prod_auto_scaling():
    # The 2021 patient portal web tier: scaled to zero in 2025, never deleted.
    launch_configuration("portal-web-lc-2021", True, "ami-0" + hexid("ami", "portal-web-2021", 16), "t3.small",
                         [SG["ehr-alb"]], "2021-05-03T08:40:02.118Z")
    auto_scaling_group("patient-portal-asg", "portal-web-lc-2021", None, ["portal-legacy-clb"], [], "EC2", 0,
                       [SUBNET_ID["public-a"], SUBNET_ID["public-b"]], "2021-05-03T08:41:17.502Z",
                       tags("patient-portal-asg", {"app": "patient-portal-legacy"}))
    # Nightly reporting ETL workers (scale out at 06:00 UTC from a scheduled action).
    launch_configuration("reporting-etl-lc-2022", False, "ami-0" + hexid("ami", "reporting-etl-2022", 16),
                         "c6i.large", [SG["reporting-db"]], "2022-11-08T12:03:55.640Z",
                         profile=f"arn:aws:iam::{PROD}:instance-profile/reporting-etl-profile")
    auto_scaling_group("reporting-etl-asg", "reporting-etl-lc-2022", None, [], [], "EC2", 0,
                       [SUBNET_ID["app-a"], SUBNET_ID["app-b"]], "2022-11-08T12:05:01.009Z",
                       tags("reporting-etl-asg", {"app": "reporting"}))


def task_definition(family, revision, status, network_mode, containers, t, role=None,
                    requires=("FARGATE",), cpu="512", memory="1024"):
    arn = arn_of("ecs", f"task-definition/{family}:{revision}")
    # AWS Config records a task definition family as one resource (resourceId = the family,
    # resourceName = family:revision of the revision recorded), as in aws-config-rdk's
    # AWS_ECS_TaskDefinition.json; older revisions are earlier configuration items.
    add("AWS::ECS::TaskDefinition", family, {
        "TaskDefinitionArn": arn,
        "Family": family,
        "Status": status,
        "NetworkMode": network_mode,
        "RequiresCompatibilities": list(requires),
        "Cpu": cpu,
        "Memory": memory,
        "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole",
        "TaskRoleArn": role,
        "ContainerDefinitions": containers,
        "Volumes": [],
        "PlacementConstraints": [],
        "InferenceAccelerators": [],
        "Tags": cfn_tags(t),
    }, short=f"{family}:{revision}", name=f"{family}:{revision}", arn=arn, az="Regional", tags=t)


def container(name, image, *, readonly=None, user=None, privileged=None, port=None, host=False,
              mounts=()):
    c = {"Name": name, "Image": image, "Essential": True, "Cpu": 0, "Environment": [],
         "MountPoints": list(mounts), "VolumesFrom": [],
         "PortMappings": [{"ContainerPort": port, "HostPort": port, "Protocol": "tcp"}] if port else [],
         "LogConfiguration": {"LogDriver": "awslogs", "Options": {
             "awslogs-group": f"/ecs/{name}", "awslogs-region": REGION, "awslogs-stream-prefix": "ecs"}}}
    if readonly is not None:
        c["ReadonlyRootFilesystem"] = readonly
    if user is not None:
        c["User"] = user
    if privileged is not None:
        c["Privileged"] = privileged
    return c


def prod_ecs():
    image = f"{PROD}.dkr.ecr.{REGION}.amazonaws.com/hl7-parser"
    parser_role = f"arn:aws:iam::{PROD}:role/hl7-parser-task-role"
    task_definition("hl7-parser", 3, "ACTIVE", "awsvpc",
                    [container("hl7-parser", image + ":2.4.0", readonly=True, user="1000", port=8080),
                     container("log-router", "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4",
                               readonly=True, user="1000")],
                    tags("hl7-parser", PHI, {"app": "hl7"}), parser_role)
    # A monitoring trial on EC2 container instances (2025): host networking, runs as root.
    task_definition("node-exporter", 1, "ACTIVE", "host",
                    [container("node-exporter", "quay.io/prometheus/node-exporter:v1.8.2", port=9100,
                               mounts=[{"SourceVolume": "proc", "ContainerPath": "/host/proc", "ReadOnly": True}])],
                    tags("node-exporter", {"app": "monitoring"}),
                    requires=("EC2",), cpu="128", memory="128")


def lambda_function(name, runtime, handler, role, description, policy, created, t, memory=512,
                    timeout=60, env=None):
    arn = arn_of("lambda", f"function:{name}")
    supp = {"Tags": t}
    if policy is not None:
        supp["Policy"] = compact(policy)
    add("AWS::Lambda::Function", name, {
        "functionName": name,
        "functionArn": arn,
        "runtime": runtime,
        "role": role,
        "handler": handler,
        "codeSize": 18422,
        "description": description,
        "timeout": timeout,
        "memorySize": memory,
        "lastModified": created.replace("Z", "+0000"),
        "codeSha256": base64.b64encode(hashlib.sha256(name.encode()).digest()).decode(),
        "version": "$LATEST",
        "vpcConfig": None,
        "environment": {"variables": env or {}, "error": None},
        "tracingConfig": {"mode": "PassThrough"},
        "revisionId": uid("lambda-rev/" + name),
        "layers": [],
        "state": "Active",
        "lastUpdateStatus": "Successful",
        "packageType": "Zip",
        "architectures": ["arm64"],
        "ephemeralStorage": {"size": 512},
        "snapStart": {"applyOn": "None", "optimizationStatus": "Off"},
        "loggingConfig": {"logFormat": "Text", "logGroup": f"/aws/lambda/{name}"},
    }, short=name, name=name, arn=arn, created=created, tags=t,
        relationships=[rel("AWS::IAM::Role", upper_id("AROA", role.split("/")[-1]), "Is associated with Role",
                           role.split("/")[-1])],
        supplementary=supp)


def prod_lambda():
    ocr = "intake-ocr"
    ocr_arn = arn_of("lambda", f"function:{ocr}")
    lambda_function(ocr, "python3.12", "handler.main", f"arn:aws:iam::{PROD}:role/intake-ocr-role",
                    "OCR of scanned intake forms (S3 event)", {
                        "Version": "2012-10-17", "Id": "default", "Statement": [{
                            "Sid": "s3-intake-scans-invoke", "Effect": "Allow",
                            "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction",
                            "Resource": ocr_arn,
                            "Condition": {"StringEquals": {"AWS:SourceAccount": PROD},
                                          "ArnLike": {"AWS:SourceArn": f"arn:aws:s3:::{BUCKET['intake']}"}}}]},
                    "2025-02-11T16:40:09.381Z", tags(ocr, PHI, {"app": "intake"}), memory=1024, timeout=120,
                    env={"OUTPUT_BUCKET": BUCKET["documents"]})
    hook = "appointment-webhook"
    hook_arn = arn_of("lambda", f"function:{hook}")
    lambda_function(hook, "nodejs20.x", "index.handler", f"arn:aws:iam::{PROD}:role/appointment-webhook-role",
                    "Receives appointment confirmations from the SMS provider (function URL)", {
                        "Version": "2012-10-17", "Id": "default", "Statement": [{
                            "Sid": "FunctionURLAllowPublicAccess", "Effect": "Allow", "Principal": "*",
                            "Action": "lambda:InvokeFunctionUrl", "Resource": hook_arn,
                            "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}}]},
                    "2025-07-01T19:12:52.006Z", tags(hook, {"app": "reminders"}), memory=256, timeout=10,
                    # A signing secret pasted under an innocuous name: the import's redaction
                    # goes by names and known shapes and keeps it; the lambda-env-entropy
                    # plugin (plugins/examples) flags it by its entropy.
                    env={"REMINDER_WINDOW_HOURS": "24",
                         "PROVIDER_CALLBACK_REF": base64.urlsafe_b64encode(
                             hashlib.sha256(b"riverside sms provider webhook").digest()).decode().rstrip("=")})


def codebuild_project(name, source, env_vars, created, t, description):
    """CodeBuild projects as Config records them: resourceId a UUID, `source` and `artifacts` as
    lists (aws-config-rdk AWS_CodeBuild_Project.json)."""
    arn = arn_of("codebuild", f"project/{name}")
    role = f"codebuild-{name}-role"
    add("AWS::CodeBuild::Project", uid("codebuild/" + name), {
        "name": name,
        "description": description,
        "source": [source],
        "sourceVersion": "refs/heads/main",
        "artifacts": [{"type": "S3", "location": f"riverside-build-artifacts-{PROD}", "path": "",
                       "namespaceType": "NONE", "name": name, "packaging": "ZIP", "encryptionDisabled": False}],
        "secondarySources": [],
        "secondarySourceVersions": [],
        "secondaryArtifacts": [],
        "serviceRole": f"arn:aws:iam::{PROD}:role/{role}",
        "timeoutInMinutes": 60,
        "queuedtimeoutInMinutes": 480,
        "environment": {"type": "LINUX_CONTAINER", "image": "aws/codebuild/amazonlinux2-x86_64-standard:5.0",
                        "computeType": "BUILD_GENERAL1_SMALL", "privilegedMode": False,
                        "environmentVariables": env_vars, "imagePullCredentialsType": "CODEBUILD"},
        "encryptionKey": f"arn:aws:kms:{REGION}:{PROD}:alias/aws/s3",
        "tags": tag_list(t),
        "cache": {"type": "NO_CACHE"},
        "logsConfig": {"cloudWatchLogs": {"status": "ENABLED"}, "s3Logs": {"status": "DISABLED"}},
    }, short=name, name=name, arn=arn, created=created, tags=t,
        relationships=[rel("AWS::IAM::Role", upper_id("AROA", role), "Is associated with Role", role)])


def prod_codebuild():
    codebuild_project("ehr-app-build", {
        "type": "GITHUB", "location": "https://github.com/riverside-clinic/ehr-app.git", "gitCloneDepth": 1,
        "gitSubmodulesConfig": {"fetchSubmodules": False}, "buildSpec": "buildspec.yml",
        "auth": {"type": "CODECONNECTIONS",
                 "resource": f"arn:aws:codeconnections:{REGION}:{PROD}:connection/{uid('codeconnections/github')}"},
        "reportBuildStatus": True, "insecureSsl": False,
    }, [{"name": "DEPLOY_BUCKET", "value": f"riverside-build-artifacts-{PROD}", "type": "PLAINTEXT"},
        {"name": "SONAR_TOKEN", "value": "/riverside/ci/sonar-token", "type": "PARAMETER_STORE"}],
        "2024-02-12T13:30:00.000Z", tags("ehr-app-build", {"app": "ehr"}), "Builds the EHR application image")
    # The 2021 portal's build, copied from the vendor's wiki: credentials in the URL and in
    # plaintext environment variables (AWS's documentation example keys).
    codebuild_project("portal-legacy-build", {
        "type": "BITBUCKET", "location": "https://portal-ci:Portal2021ci@bitbucket.org/riverside-clinic/patient-portal.git",
        "gitCloneDepth": 1, "gitSubmodulesConfig": {"fetchSubmodules": False}, "buildSpec": "buildspec-portal.yml",
        "reportBuildStatus": False, "insecureSsl": False,
    }, [{"name": "AWS_ACCESS_KEY_ID", "value": "AKIAIOSFODNN7EXAMPLE", "type": "PLAINTEXT"},
        {"name": "AWS_SECRET_ACCESS_KEY", "value": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "type": "PLAINTEXT"},
        {"name": "PORTAL_ENV", "value": "prod", "type": "PLAINTEXT"}],
        "2021-04-19T10:02:31.000Z", tags("portal-legacy-build", {"app": "patient-portal-legacy"}),
        "Patient portal (2021) build")


# ================================================================= databases (prod)
RDS_RESOURCE_ID = {n: "db-" + upper_id("", "rds:" + n, 26) for n in
                   ["ehr-db", "reporting-db", "legacy-portal-db", "analytics-aurora-1",
                    "research-aurora-pg-1", "research-aurora-pg-2"]}
RDS_RESOURCE_ID["analytics-aurora"] = "cluster-" + upper_id("", "rds-cluster:analytics-aurora", 26)
RDS_RESOURCE_ID["research-aurora-pg"] = "cluster-" + upper_id("", "rds-cluster:research-aurora-pg", 26)
DB_SUBNET_GROUPS = {
    "riverside-db-private": (PROD, ["db-a", "db-b"], "Private DB subnets"),
    "riverside-db-public-legacy": (PROD, ["public-a", "public-b"], "Legacy portal (public subnets)"),
    "research-db-private": (ANALYTICS, ["an-private-a", "an-private-b"], "Research databases"),
}


def subnet_group(name):
    account, subnets, description = DB_SUBNET_GROUPS[name]
    vpc = VPC_PROD if account == PROD else VPC_ANALYTICS
    ids = SUBNET_ID if account == PROD else AN_SUBNET_ID
    azs = SUBNETS if account == PROD else AN_SUBNETS
    return {
        "dBSubnetGroupName": name,
        "dBSubnetGroupDescription": description,
        "vpcId": vpc,
        "subnetGroupStatus": "Complete",
        "subnets": [{"subnetIdentifier": ids[s],
                     "subnetAvailabilityZone": {"name": azs[s][1]},
                     "subnetOutpost": {"arn": None},
                     "subnetStatus": "Active"} for s in subnets],
        "dBSubnetGroupArn": f"arn:aws:rds:{REGION}:{account}:subgrp:{name}",
        "supportedNetworkTypes": ["IPV4"],
    }


RDS_SPEC = {
    # name: account, engine, version, class, port, multiAZ, encrypted, backup days, public, sg, subnet group,
    #       az, secondary az, created, tags, cluster, monitoring interval, log exports, auto minor upgrade
    "ehr-db": (PROD, "mysql", "8.0.39", "db.r6g.large", 3306, True, True, 14, False, "ehr-db",
               "riverside-db-private", "us-east-1a", "us-east-1b", "2024-02-07T11:02:51.330Z",
               tags("ehr-db", PHI, {"app": "ehr", "data-classification": "phi"}), None, 60,
               ["audit", "error", "general", "slowquery"], True),
    "reporting-db": (PROD, "postgres", "15.8", "db.t4g.large", 5432, False, False, 7, False, "reporting-db",
                     "riverside-db-private", "us-east-1b", None, "2024-09-12T16:45:02.118Z",
                     tags("reporting-db", PHI, {"app": "reporting"}), None, 0, ["postgresql"], True),
    "legacy-portal-db": (PROD, "mysql", "8.0.35", "db.t3.medium", 3306, False, True, 0, True, "vendor-integration",
                         "riverside-db-public-legacy", "us-east-1a", None, "2021-05-03T08:13:27.905Z",
                         tags("legacy-portal-db", PHI, {"app": "patient-portal-legacy"}), None, 0, ["error"], False),
    "analytics-aurora-1": (PROD, "aurora-mysql", "8.0.mysql_aurora.3.07.1", "db.r6g.large", 3306, False, True, 7,
                           False, "ehr-db", "riverside-db-private", "us-east-1a", None,
                           "2025-11-04T19:30:12.640Z",
                           tags("analytics-aurora-1", PHI, {"app": "analytics"}), "analytics-aurora", 0,
                           ["audit"], True),
    "research-aurora-pg-1": (ANALYTICS, "aurora-postgresql", "16.4", "db.r6g.large", 5432, False, True, 7, False,
                             "research-db", "research-db-private", "us-east-1a", None, "2025-08-19T14:22:40.150Z",
                             atags("research-aurora-pg-1", {"app": "research"}), "research-aurora-pg", 0,
                             ["postgresql"], True),
    "research-aurora-pg-2": (ANALYTICS, "aurora-postgresql", "16.4", "db.r6g.large", 5432, False, True, 7, False,
                             "research-db", "research-db-private", "us-east-1b", None, "2025-08-19T14:41:02.907Z",
                             atags("research-aurora-pg-2", {"app": "research"}), "research-aurora-pg", 0,
                             ["postgresql"], True),
}


def rds_instance(name):
    (account, engine, version, klass, port, multi_az, encrypted, backup, public, sg, sng, az, az2,
     created, t, cluster, monitoring, exports, minor) = RDS_SPEC[name]
    assert account == ACCOUNT
    resource_id = RDS_RESOURCE_ID[name]
    arn = arn_of("rds", f"db:{name}")
    kms = KMS_KEY_ARN if account == PROD else LAKE_KEY_ARN
    sg_id = SG[sg] if account == PROD else AN_SG[sg]
    family = {"mysql": "mysql8.0", "postgres": "postgres15", "aurora-mysql": "aurora-mysql8.0",
              "aurora-postgresql": "aurora-postgresql16"}[engine]
    endpoint_suffix = hexid("rds-endpoint", account, 11)
    config = {
        "dBInstanceIdentifier": name,
        "dBInstanceClass": klass,
        "engine": engine,
        "dBInstanceStatus": "available",
        "masterUsername": "riverside_admin",
        "dBName": None if cluster else {"ehr-db": "ehr", "reporting-db": "reporting",
                                        "legacy-portal-db": "portal"}[name],
        "endpoint": {"address": f"{name}.c{endpoint_suffix}.{REGION}.rds.amazonaws.com",
                     "port": port, "hostedZoneId": "Z2R2ITUGPM61AM"},
        "allocatedStorage": 1 if cluster else {"ehr-db": 500, "reporting-db": 200, "legacy-portal-db": 100}[name],
        "instanceCreateTime": created,
        "preferredBackupWindow": "07:00-07:30",
        "backupRetentionPeriod": backup,
        "dBSecurityGroups": [],
        "vpcSecurityGroups": [{"vpcSecurityGroupId": sg_id, "status": "active"}],
        "dBParameterGroups": [{"dBParameterGroupName": f"default.{family}", "parameterApplyStatus": "in-sync"}],
        "availabilityZone": az,
        "dBSubnetGroup": subnet_group(sng),
        "preferredMaintenanceWindow": "sun:08:00-sun:08:30",
        "pendingModifiedValues": {},
        "latestRestorableTime": "2026-11-20T03:05:00.000Z" if backup else None,
        "multiAZ": multi_az,
        "engineVersion": version,
        "autoMinorVersionUpgrade": minor,
        "readReplicaSourceDBInstanceIdentifier": None,
        "readReplicaDBInstanceIdentifiers": [],
        "readReplicaDBClusterIdentifiers": [],
        "licenseModel": "postgresql-license" if "postgres" in engine else "general-public-license",
        "iops": 3000 if not cluster else None,
        "optionGroupMemberships": [{"optionGroupName": f"default:{engine}-{version.split('.')[0]}-0" if engine == "mysql"
                                    else f"default:{engine}-{version.split('.')[0]}", "status": "in-sync"}],
        "characterSetName": None,
        "secondaryAvailabilityZone": az2,
        "publiclyAccessible": public,
        "statusInfos": [],
        "storageType": "aurora" if cluster else "gp3",
        "tdeCredentialArn": None,
        "dbInstancePort": 0,
        "dBClusterIdentifier": cluster,
        "storageEncrypted": encrypted,
        "kmsKeyId": kms if encrypted else None,
        "dbiResourceId": resource_id,
        "cACertificateIdentifier": "rds-ca-rsa2048-g1",
        "domainMemberships": [],
        "copyTagsToSnapshot": True,
        "monitoringInterval": monitoring,
        "enhancedMonitoringResourceArn": (f"arn:aws:logs:{REGION}:{account}:log-group:RDSOSMetrics:log-stream:{resource_id}"
                                          if monitoring else None),
        "monitoringRoleArn": f"arn:aws:iam::{account}:role/rds-monitoring-role" if monitoring else None,
        "promotionTier": 1 if cluster else None,
        "dBInstanceArn": arn,
        "timezone": None,
        "iAMDatabaseAuthenticationEnabled": name == "ehr-db",
        "performanceInsightsEnabled": name in ("ehr-db", "analytics-aurora-1"),
        "performanceInsightsKMSKeyId": KMS_KEY_ARN if name in ("ehr-db", "analytics-aurora-1") else None,
        "performanceInsightsRetentionPeriod": 7 if name in ("ehr-db", "analytics-aurora-1") else None,
        "enabledCloudwatchLogsExports": exports,
        "deletionProtection": name != "legacy-portal-db" and not name.startswith("research"),
        "associatedRoles": [],
        "maxAllocatedStorage": 1000 if name == "ehr-db" else None,
        "tagList": tag_list(t),
        "customerOwnedIpEnabled": False,
        "activityStreamStatus": "stopped",
        "backupTarget": "region",
        "networkType": "IPV4",
        "storageThroughput": 125 if not cluster else 0,
        "certificateDetails": {"cAIdentifier": "rds-ca-rsa2048-g1", "validTill": "2027-02-06T11:02:00.000Z"},
        "dedicatedLogVolume": False,
        "isStorageConfigUpgradeAvailable": False,
        "engineLifecycleSupport": "open-source-rds-extended-support-disabled",
    }
    if name == "ehr-db":
        config["masterUserSecret"] = {"secretArn": EHR_DB_SECRET_ARN, "secretStatus": "active", "kmsKeyId": KMS_KEY_ARN}
    rels = [rel("AWS::RDS::DBSubnetGroup", sng, "Is associated with DBSubnetGroup"),
            rel("AWS::EC2::SecurityGroup", sg_id, "Is associated with SecurityGroup")]
    if cluster:
        rels.append(rel("AWS::RDS::DBCluster", RDS_RESOURCE_ID[cluster], "Is associated with DBCluster", cluster))
    if encrypted:
        rels.append(rel("AWS::KMS::Key", kms.split("/")[-1], "Is associated with KMSKey"))
    add("AWS::RDS::DBInstance", resource_id, config, short=name, name=name, arn=arn,
        az="Multiple Availability Zones" if multi_az else az, created=created, tags=t,
        relationships=rels, supplementary={"Tags": tag_list(t)})


def rds_cluster(name, engine, version, port, members, multi_az, deletion, exports, sg_id, sng, kms, created, t,
                azs):
    """AWS Config spells DB cluster fields the Jackson way (dbclusterIdentifier,
    iamdatabaseAuthenticationEnabled), unlike DB instances (aws-config-rdk AWS_RDS_DBCluster.json)."""
    resource_id = RDS_RESOURCE_ID[name]
    arn = arn_of("rds", f"cluster:{name}")
    suffix = hexid("rds-endpoint", ACCOUNT, 11)
    family = f"aurora-postgresql{version.split('.')[0]}" if engine == "aurora-postgresql" else "aurora-mysql8.0"
    add("AWS::RDS::DBCluster", resource_id, {
        "allocatedStorage": 1,
        "availabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c"],
        "backupRetentionPeriod": 7,
        "databaseName": name.split("-")[0],
        "status": "available",
        "earliestRestorableTime": epoch_ms("2026-11-13T07:04:11.000Z"),
        "endpoint": f"{name}.cluster-c{suffix}.{REGION}.rds.amazonaws.com",
        "readerEndpoint": f"{name}.cluster-ro-c{suffix}.{REGION}.rds.amazonaws.com",
        "customEndpoints": [],
        "multiAZ": multi_az,
        "engine": engine,
        "engineVersion": version,
        "latestRestorableTime": epoch_ms("2026-11-20T03:05:00.000Z"),
        "port": port,
        "masterUsername": "riverside_admin",
        "preferredBackupWindow": "07:00-07:30",
        "preferredMaintenanceWindow": "sun:08:00-sun:08:30",
        "readReplicaIdentifiers": [],
        "vpcSecurityGroups": [{"vpcSecurityGroupId": sg_id, "status": "active"}],
        "hostedZoneId": "Z2R2ITUGPM61AM",
        "storageEncrypted": True,
        "kmsKeyId": kms,
        "dbClusterResourceId": resource_id,
        "associatedRoles": [],
        "clusterCreateTime": epoch_ms(created),
        "enabledCloudwatchLogsExports": exports,
        "engineMode": "provisioned",
        "deletionProtection": deletion,
        "httpEndpointEnabled": False,
        "activityStreamStatus": "stopped",
        "copyTagsToSnapshot": True,
        "crossAccountClone": False,
        "domainMemberships": [],
        "tagList": tag_list(t),
        "autoMinorVersionUpgrade": True,
        "networkType": "IPV4",
        "dbclusterIdentifier": name,
        "iamdatabaseAuthenticationEnabled": False,
        "dbsubnetGroup": sng,
        "dbclusterOptionGroupMemberships": [],
        "dbclusterParameterGroup": f"default.{family}",
        "dbclusterMembers": [{"isClusterWriter": i == 0, "promotionTier": 1, "dbinstanceIdentifier": m,
                              "clusterWriter": i == 0, "dbclusterParameterGroupStatus": "in-sync"}
                             for i, m in enumerate(members)],
        "dbclusterArn": arn,
    }, short=name, name=name, arn=arn, az="Multiple Availability Zones", created=created, tags=t,
        relationships=[rel("AWS::RDS::DBInstance", RDS_RESOURCE_ID[m], "Contains DBInstance", m) for m in members]
        + [rel("AWS::EC2::SecurityGroup", sg_id, "Is associated with SecurityGroup"),
           rel("AWS::RDS::DBSubnetGroup", sng, "Is associated with DBSubnetGroup"),
           rel("AWS::KMS::Key", kms.split("/")[-1], "Is associated with KMSKey")],
        supplementary={"Tags": tag_list(t)})


def db_snapshot(ident, instance, encrypted, restore_with, created, t):
    (account, engine, version, _klass, port, _maz, _enc, _b, _p, _sg, _sng, az, _az2, inst_created,
     _t, _c, _m, _e, _minor) = RDS_SPEC[instance]
    arn = arn_of("rds", f"snapshot:{ident}")
    add("AWS::RDS::DBSnapshot", ident, {
        "dBSnapshotIdentifier": ident,
        "dBInstanceIdentifier": instance,
        "snapshotCreateTime": created,
        "engine": engine,
        "allocatedStorage": {"ehr-db": 500, "reporting-db": 200}[instance],
        "status": "available",
        "port": port,
        "availabilityZone": az,
        "vpcId": VPC_PROD,
        "instanceCreateTime": inst_created,
        "masterUsername": "riverside_admin",
        "engineVersion": version,
        "licenseModel": "postgresql-license" if engine == "postgres" else "general-public-license",
        "snapshotType": "manual",
        "iops": 3000,
        "optionGroupName": f"default:{engine}-{version.split('.')[0]}",
        "percentProgress": 100,
        "sourceRegion": None,
        "sourceDBSnapshotIdentifier": None,
        "storageType": "gp3",
        "tdeCredentialArn": None,
        "encrypted": encrypted,
        "kmsKeyId": KMS_KEY_ARN if encrypted else None,
        "dBSnapshotArn": arn,
        "timezone": None,
        "iAMDatabaseAuthenticationEnabled": instance == "ehr-db",
        "processorFeatures": [],
        "dbiResourceId": RDS_RESOURCE_ID[instance],
        "tagList": tag_list(t),
    }, short=ident, name=ident, arn=arn, az=az, created=created, tags=t,
        relationships=[rel("AWS::RDS::DBInstance", RDS_RESOURCE_ID[instance], "Is associated with DBInstance", instance)],
        supplementary={"DBSnapshotAttributes": [{"attributeName": "restore", "attributeValues": restore_with}],
                       "Tags": tag_list(t)})


def prod_databases():
    for name in ["ehr-db", "reporting-db", "legacy-portal-db", "analytics-aurora-1"]:
        rds_instance(name)
    rds_cluster("analytics-aurora", "aurora-mysql", "8.0.mysql_aurora.3.07.1", 3306, ["analytics-aurora-1"],
                False, True, ["audit"], SG["ehr-db"], "riverside-db-private", KMS_KEY_ARN,
                "2025-11-04T19:24:55.310Z", tags("analytics-aurora", PHI, {"app": "analytics"}), None)
    db_snapshot("ehr-db-before-8-0-39-upgrade", "ehr-db", True, [], "2026-10-03T06:12:44.902Z",
                tags("ehr-db-before-8-0-39-upgrade", PHI))
    # Made public in 2025 to hand a copy to the BI vendor; unencrypted because its source is.
    db_snapshot("reporting-db-vendor-share-2025", "reporting-db", False, ["all"], "2025-06-02T15:31:09.117Z",
                tags("reporting-db-vendor-share-2025", PHI))
    table("appointment-reminders", "PAY_PER_REQUEST", True, "2024-06-03T12:44:08.511Z",
          tags("appointment-reminders", PHI, {"app": "reminders"}), key="appointmentId", kms=KMS_KEY_ARN)
    table("portal-sessions", "PROVISIONED", False, "2021-05-03T09:02:17.442Z",
          tags("portal-sessions", {"app": "patient-portal-legacy"}), key="sessionId", kms=None)
    dms_instance("ehr-migration-2024", True, "dms.t3.medium", "2024-01-22T10:18:03.000Z",
                 tags("ehr-migration-2024", {"note": "2024 EHR migration, to be deleted"}),
                 [SUBNET_ID["public-a"], SUBNET_ID["public-b"]], SG["vendor-integration"], KMS_KEY_ARN)


def table(name, billing, pitr, created, t, key, kms, items=12840, size=4182913):
    arn = arn_of("dynamodb", f"table/{name}")
    config = {
        "attributeDefinitions": [{"attributeName": key, "attributeType": "S"}],
        "tableName": name,
        "keySchema": [{"attributeName": key, "keyType": "HASH"}],
        "tableStatus": "ACTIVE",
        "creationDateTime": epoch_ms(created),
        "provisionedThroughput": {"numberOfDecreasesToday": 0, "readCapacityUnits": 0 if billing == "PAY_PER_REQUEST" else 5,
                                  "writeCapacityUnits": 0 if billing == "PAY_PER_REQUEST" else 5},
        "tableSizeBytes": size,
        "itemCount": items,
        "tableArn": arn,
        "tableId": uid("dynamodb/" + name),
        "globalSecondaryIndexes": [],
        "localSecondaryIndexes": [],
        "deletionProtectionEnabled": billing == "PAY_PER_REQUEST",
        "tableClassSummary": None,
        "ssedescription": {"status": "ENABLED", "ssetype": "KMS", "kmsmasterKeyArn": kms} if kms else None,
    }
    if billing == "PAY_PER_REQUEST":
        config["billingModeSummary"] = {"billingMode": "PAY_PER_REQUEST",
                                        "lastUpdateToPayPerRequestDateTime": epoch_ms(created)}
    add("AWS::DynamoDB::Table", name, config, short=name, name=name, arn=arn, created=created, tags=t,
        supplementary={"ContinuousBackupsDescription": {
            "continuousBackupsStatus": "ENABLED" if pitr else "DISABLED",
            "pointInTimeRecoveryDescription": {
                "pointInTimeRecoveryStatus": "ENABLED" if pitr else "DISABLED",
                **({"earliestRestorableDateTime": epoch_ms("2026-10-21T03:00:00.000Z"),
                    "latestRestorableDateTime": epoch_ms("2026-11-20T03:05:00.000Z"), "recoveryPeriodInDays": 35}
                   if pitr else {})}},
            "Tags": tag_list(t)})


def dms_instance(name, public, klass, created, t, subnets, sg_id, kms):
    ident = upper_id("", "dms:" + name, 26)
    arn = arn_of("dms", f"rep:{ident}")
    add("AWS::DMS::ReplicationInstance", ident, {
        "Id": name,
        "ReplicationInstanceIdentifier": name,
        "ReplicationInstanceClass": klass,
        "AllocatedStorage": 50,
        "AutoMinorVersionUpgrade": True,
        "AvailabilityZone": "us-east-1a",
        "EngineVersion": "3.5.3",
        "KmsKeyId": kms,
        "MultiAZ": False,
        "PreferredMaintenanceWindow": "sun:09:00-sun:09:30",
        "PubliclyAccessible": public,
        "ReplicationInstancePrivateIpAddresses": ["10.20.0.77" if ACCOUNT == PROD else "10.40.10.55"],
        "ReplicationInstancePublicIpAddresses": ["44.207.81.19"] if public else [],
        "ReplicationSubnetGroupIdentifier": name + "-subnets",
        "VpcSecurityGroupIds": [sg_id],
        "Tags": cfn_tags(t),
    }, short=name, name=name, arn=arn, az="us-east-1a", created=created, tags=t,
        relationships=[rel("AWS::EC2::SecurityGroup", sg_id, "Is associated with SecurityGroup")]
        + [rel("AWS::EC2::Subnet", s, "Is associated with Subnet") for s in subnets])


def secret(name, rotation, rotation_days, kms, created, t, description, rotation_lambda=None, owning_service=None):
    arn = arn_of("secretsmanager", f"secret:{name}-{lower_id('secret/' + name, 6)}")
    config = {
        "ARN": arn,
        "Name": name,
        "Description": description,
        "RotationEnabled": rotation,
        "Deleted": False,
        "Tags": cfn_tags(t),
    }
    if kms:
        config["KMSKeyId"] = kms
    if rotation:
        config["RotationRules"] = {"AutomaticallyAfterDays": rotation_days}
        config["RotationOccurringAsScheduled"] = True
        if rotation_lambda:
            config["RotationLambdaARN"] = rotation_lambda
    if owning_service:
        config["OwningService"] = owning_service
    add("AWS::SecretsManager::Secret", arn, config, short=name, name=name, arn=arn, created=created, tags=t)
    return arn


EHR_DB_SECRET_NAME = f"rds!db-{uid('rds-secret/ehr-db')}"
EHR_DB_SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{PROD}:secret:{EHR_DB_SECRET_NAME}-{lower_id('secret/' + EHR_DB_SECRET_NAME, 6)}"


def prod_secrets_and_messaging():
    # The EHR database's master password, managed by RDS (rotated every 7 days).
    secret(EHR_DB_SECRET_NAME, True, 7, KMS_KEY_ARN, "2024-02-07T11:02:52.000Z",
           {"aws:rds:primaryDBInstanceArn": f"arn:aws:rds:{REGION}:{PROD}:db:ehr-db"},
           "Secret associated with primary RDS DB instance: ehr-db", owning_service="rds")
    secret("hl7-vendor/sftp", False, None, None, "2025-06-20T09:44:31.000Z", tags("hl7-vendor/sftp", {"app": "hl7"}),
           "SFTP password of the HL7 interface vendor's drop box")
    for name, kms, display in [("security-alerts", KMS_KEY_ARN, "Riverside security alerts"),
                               ("ops-alerts", KMS_KEY_ARN, "Riverside operations"),
                               ("appointment-reminders-sms", None, "Riverside Clinic")]:
        config = {"TopicArn": SNS_ARN[name], "DisplayName": display, "Owner": PROD,
                  "Policy": compact({"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [{
                      "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
                      "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                                 "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                                 "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
                      "Resource": SNS_ARN[name], "Condition": {"StringEquals": {"AWS:SourceOwner": PROD}}}]
                      # riverside-audit notifies security-alerts of each log file it delivers.
                      + ([{"Sid": "AWSCloudTrailSNSPolicy", "Effect": "Allow",
                           "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "SNS:Publish",
                           "Resource": SNS_ARN[name], "Condition": {"StringEquals": {
                               "aws:SourceArn": f"arn:aws:cloudtrail:{REGION}:{PROD}:trail/riverside-audit"}}}]
                         if name == "security-alerts" else [])}),
                  "Tags": cfn_tags(tags(name))}
        if kms:
            config["KmsMasterKeyId"] = kms
        add("AWS::SNS::Topic", SNS_ARN[name], config, short=name, name=name, arn=SNS_ARN[name],
            tags=tags(name), supplementary={"Tags": tag_list(tags(name))})
    add("AWS::Kinesis::Stream", "hl7-events", {
        "Arn": arn_of("kinesis", "stream/hl7-events"), "Name": "hl7-events", "RetentionPeriodHours": 168,
        "ShardCount": 1, "StreamModeDetails": {"StreamMode": "PROVISIONED"},
        "StreamEncryption": {"EncryptionType": "KMS", "KeyId": KMS_KEY_ARN},
        "Tags": cfn_tags(tags("hl7-events", PHI)),
    }, short="hl7-events", name="hl7-events", arn=arn_of("kinesis", "stream/hl7-events"),
        created="2025-09-30T11:02:18.000Z", tags=tags("hl7-events", PHI))


# ================================================================= S3 (prod)
def deny_insecure(bucket):
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def bucket_policies():
    d, b, lg, ct = BUCKET["documents"], BUCKET["backups"], BUCKET["access-logs"], BUCKET["cloudtrail"]
    return {
        "documents": {"Version": "2012-10-17", "Statement": [
            deny_insecure(d),
            {"Sid": "DenyUnencryptedPuts", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{d}/*",
             "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
        ]},
        # no TLS-only statement: s3-bucket-ssl-requests-only NON_COMPLIANT
        "backups": {"Version": "2012-10-17", "Statement": [
            {"Sid": "BackupRoleAccess", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{PROD}:role/ehr-backup-role"},
             "Action": ["s3:PutObject", "s3:GetObject", "s3:ListBucket"],
             "Resource": [f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*"]},
        ]},
        "access-logs": {"Version": "2012-10-17", "Statement": [
            {"Sid": "S3ServerAccessLogsPolicy", "Effect": "Allow",
             "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{lg}/s3/*",
             "Condition": {"StringEquals": {"aws:SourceAccount": PROD}}},
            {"Sid": "ElbAccessLogs", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{ELB_ACCOUNT_US_EAST_1}:root"}, "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{lg}/elb/AWSLogs/{PROD}/*"},
            deny_insecure(lg),
        ]},
        # Central CloudTrail bucket until October 2026, when the analytics account's trail moved
        # to the log-archive account; its statement for analytics was left in place.
        "cloudtrail": {"Version": "2012-10-17", "Statement": [
            {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{ct}"},
            {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:PutObject",
             "Resource": [f"arn:aws:s3:::{ct}/AWSLogs/{PROD}/*", f"arn:aws:s3:::{ct}/AWSLogs/{ANALYTICS}/*"],
             "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}},
            deny_insecure(ct),
        ]},
        "intake": None,
    }


def acl_doc(owner, extra_grants=()):
    return {"grantSet": None,
            "grantList": [{"grantee": {"id": owner, "displayName": None}, "permission": "FullControl"}]
            + list(extra_grants),
            "owner": {"displayName": None, "id": owner},
            "isRequesterCharged": False}


def lifecycle_rule(rule_id, days, noncurrent=90):
    return {"id": rule_id, "filter": {"predicate": {"type": "LifecyclePrefixPredicate", "prefix": ""}},
            "status": "Enabled", "expirationInDays": days, "expiredObjectDeleteMarker": False,
            "noncurrentVersionExpirationInDays": noncurrent,
            "transitions": [{"days": 90, "storageClass": "GLACIER"}],
            "noncurrentVersionTransitions": [], "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7}}


def bucket_item(name, created, t, *, sse, versioning, logging, policy, owner, pab, extra_grants=(),
                lifecycle=None, notifications=None, replication=None, object_lock=None, website=None,
                mfa_delete=None):
    acl = acl_doc(owner, extra_grants)
    supp = {
        "AccessControlList": compact(acl),   # a JSON string, as AWS delivers it
        "BucketAccelerateConfiguration": {"status": None},
        "BucketLoggingConfiguration": {"destinationBucketName": logging[0] if logging else None,
                                       "logFilePrefix": logging[1] if logging else None},
        "BucketNotificationConfiguration": {"configurations": notifications or {}},
        "BucketPolicy": {"policyText": compact(policy) if policy else None},
        "BucketVersioningConfiguration": {"status": versioning, "isMfaDeleteEnabled": mfa_delete},
        "IsRequesterPaysEnabled": False,
    }
    if sse is not None:
        algorithm, kms, bucket_key = sse
        default = {"sseAlgorithm": algorithm}
        if kms:
            default["kmsMasterKeyID"] = kms
        supp["ServerSideEncryptionConfiguration"] = {"rules": [
            {"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": bucket_key}]}
    if pab is not None:
        supp["PublicAccessBlockConfiguration"] = {"blockPublicAcls": pab, "ignorePublicAcls": pab,
                                                  "blockPublicPolicy": pab, "restrictPublicBuckets": pab}
    if lifecycle:
        supp["BucketLifecycleConfiguration"] = {"rules": lifecycle}
    if replication:
        supp["BucketReplicationConfiguration"] = replication
    if object_lock:
        supp["ObjectLockConfiguration"] = object_lock
    if website:
        supp["BucketWebsiteConfiguration"] = website
    supp["BucketTaggingConfiguration"] = {"tagSets": [{"tags": dict(t)}]}
    add("AWS::S3::Bucket", name, {
        "name": name,
        "owner": {"displayName": None, "id": owner},
        "creationDate": created,
    }, short=name, name=name, arn=f"arn:aws:s3:::{name}", az="Regional", created=created, tags=t,
        supplementary=supp)


def prod_s3_buckets():
    policies = bucket_policies()
    lg = BUCKET["access-logs"]
    bucket_item(BUCKET["documents"], "2024-02-06T16:01:12.000Z", tags(BUCKET["documents"], PHI),
                sse=("aws:kms", KMS_KEY_ARN, True), versioning="Enabled", logging=(lg, "s3/ehr-documents/"),
                policy=policies["documents"], owner=OWNER_CANONICAL_ID, pab=True,
                replication={"roleARN": f"arn:aws:iam::{PROD}:role/s3-replication-role", "rules": {
                    "phi-documents-dr": {
                        "id": "phi-documents-dr", "priority": 1, "prefix": None, "status": "Enabled",
                        "filter": {"predicate": {"type": "LifecyclePrefixPredicate", "prefix": ""}},
                        "destinationConfig": {"bucketARN": f"arn:aws:s3:::riverside-ehr-documents-dr-{PROD}",
                                              "storageClass": "STANDARD_IA", "account": None,
                                              "encryptionConfiguration": {"replicaKmsKeyID": f"arn:aws:kms:us-west-2:{PROD}:key/{uid('kms/phi-data-dr')}"},
                                              "accessControlTranslation": None, "metrics": None,
                                              "replicationTime": None},
                        "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
                        "existingObjectReplication": {"status": "Enabled"},
                        "deleteMarkerReplication": {"status": "Disabled"}}}})
    bucket_item(BUCKET["backups"], "2024-02-06T16:03:40.000Z", tags(BUCKET["backups"], PHI),
                sse=("AES256", None, False), versioning="Enabled", logging=(lg, "s3/ehr-backups/"),
                policy=policies["backups"], owner=OWNER_CANONICAL_ID, pab=True)
    bucket_item(lg, "2024-02-06T15:58:02.000Z", tags(lg),
                sse=("AES256", None, False), versioning="Suspended", logging=None,
                policy=policies["access-logs"], owner=OWNER_CANONICAL_ID, pab=True,
                lifecycle=[lifecycle_rule("expire-after-7-years", 2557)])
    bucket_item(BUCKET["cloudtrail"], "2024-02-06T15:59:30.000Z", tags(BUCKET["cloudtrail"]),
                sse=("aws:kms", KMS_KEY_ARN, True), versioning="Enabled", logging=(lg, "s3/cloudtrail/"),
                policy=policies["cloudtrail"], owner=OWNER_CANONICAL_ID, pab=True,
                lifecycle=[lifecycle_rule("expire-after-7-years", 2557)],
                object_lock={"objectLockEnabled": "Enabled",
                             "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": None, "years": 7}}})
    # Created in 2016 for scanned intake forms. Its Config item has no
    # ServerSideEncryptionConfiguration key (see README: why this is modelled so). The scanning
    # vendor writes through an ACL grant to its canonical user.
    bucket_item(BUCKET["intake"], "2016-08-30T14:22:19.000Z",
                {"Name": BUCKET["intake"], "phi": "true", "owner": "front-desk"},
                sse=None, versioning="Off", logging=None, policy=None, owner=OWNER_CANONICAL_ID, pab=None,
                extra_grants=[{"grantee": {"id": SCAN_VENDOR_CANONICAL_ID, "displayName": None}, "permission": "Write"}],
                notifications={"intake-ocr": {
                    "events": ["s3:ObjectCreated:*"], "objectPrefixes": [], "filter": {
                        "s3KeyFilter": {"filterRules": [{"name": "Suffix", "value": ".pdf"}]}},
                    "type": "LambdaConfiguration", "functionARN": arn_of("lambda", "function:intake-ocr")}})


def prod_efs():
    fs_arn = arn_of("elasticfilesystem", f"file-system/{FS_EHR_SCANS}")
    t = tags("ehr-scans", PHI, {"app": "ehr"})
    add("AWS::EFS::FileSystem", FS_EHR_SCANS, {
        "FileSystemId": FS_EHR_SCANS, "Arn": fs_arn, "Encrypted": True, "KmsKeyId": KMS_KEY_ARN,
        "PerformanceMode": "generalPurpose", "ThroughputMode": "elastic",
        "BackupPolicy": {"Status": "ENABLED"},
        "LifecyclePolicies": [{"TransitionToIA": "AFTER_30_DAYS"}, {"TransitionToPrimaryStorageClass": "AFTER_1_ACCESS"}],
        "FileSystemProtection": {"ReplicationOverwriteProtection": "ENABLED"},
        "FileSystemTags": cfn_tags(t),
    }, short="ehr-scans", name="ehr-scans", arn=fs_arn, created="2024-02-07T15:12:40.000Z", tags=t)


# ================================================================= edge: load balancers, ACM, API Gateway, WAF
def alb_item(short, name, arn, scheme, vpc, subnets, azs, sg_ids, attributes, created, t, dns_suffix):
    add("AWS::ElasticLoadBalancingV2::LoadBalancer", arn, {
        "loadBalancerArn": arn,
        "dNSName": f"{'internal-' if scheme == 'internal' else ''}{name}-{int(hexid(name + '-dns', 'x', 8), 16) % 10**10}.{REGION}.elb.amazonaws.com",
        "canonicalHostedZoneId": "Z35SXDOTRQ7X7K",
        "createdTime": created,
        "loadBalancerName": name,
        "scheme": scheme,
        "vpcId": vpc,
        "state": {"code": "active", "reason": None},
        "type": "application",
        "availabilityZones": [{"zoneName": az, "subnetId": s, "outpostId": None, "loadBalancerAddresses": []}
                              for s, az in zip(subnets, azs)],
        "securityGroups": sg_ids,
        "ipAddressType": "dualstack" if scheme == "internet-facing" else "ipv4",
        "customerOwnedIpv4Pool": None,
    }, short=short, name=name, arn=arn, az="Multiple Availability Zones", created=created, tags=t,
        relationships=[rel("AWS::EC2::SecurityGroup", g, "Is associated with SecurityGroup") for g in sg_ids]
        + [rel("AWS::EC2::Subnet", s, "Is attached to Subnet") for s in subnets]
        + [rel("AWS::EC2::VPC", vpc, "Is contained in Vpc")],
        supplementary={"LoadBalancerAttributes": [{"key": k, "value": v} for k, v in attributes],
                       "Tags": tag_list(t)})


def listener(short, lb_arn, lb_name, port, protocol, actions, certs=(), ssl_policy=None, created=None):
    arn = lb_arn.replace(":loadbalancer/", ":listener/") + "/" + hexid("listener", f"{lb_name}:{port}", 16)
    add("AWS::ElasticLoadBalancingV2::Listener", arn, {
        "ListenerArn": arn,
        "LoadBalancerArn": lb_arn,
        "Port": port,
        "Protocol": protocol,
        "Certificates": [{"CertificateArn": c} for c in certs],
        "SslPolicy": ssl_policy,
        "DefaultActions": actions,
        "AlpnPolicy": [],
    }, short=short, arn=arn, az="Regional", created=created,
        relationships=[rel("AWS::ElasticLoadBalancingV2::LoadBalancer", lb_arn, "Is associated with LoadBalancerV2")])


def forward(tg):
    return {"Type": "forward", "TargetGroupArn": tg, "Order": 1,
            "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": tg, "Weight": 1}],
                              "TargetGroupStickinessConfig": {"Enabled": False}}}


def prod_albs():
    t = tags("ehr-web-alb", {"app": "ehr"})
    alb_item("ehr-web-alb", "ehr-web-alb", ALB_ARN, "internet-facing", VPC_PROD,
             [SUBNET_ID["public-a"], SUBNET_ID["public-b"]], ["us-east-1a", "us-east-1b"], [SG["ehr-alb"]], [
                 ("access_logs.s3.enabled", "true"), ("access_logs.s3.bucket", BUCKET["access-logs"]),
                 ("access_logs.s3.prefix", "elb"), ("deletion_protection.enabled", "true"),
                 ("idle_timeout.timeout_seconds", "60"), ("routing.http.drop_invalid_header_fields.enabled", "true"),
                 ("routing.http.desync_mitigation_mode", "defensive"), ("routing.http2.enabled", "true"),
                 ("waf.fail_open.enabled", "false"), ("connection_logs.s3.enabled", "false")],
             "2024-02-07T10:15:42.310Z", t, "ehr")
    listener("ehr-web-alb HTTPS:443", ALB_ARN, "ehr-web-alb", 443, "HTTPS", [forward(EHR_TG_ARN)],
             [EHR_CERT_ARN], "ELBSecurityPolicy-TLS13-1-2-2021-06", "2024-02-07T10:16:02.000Z")
    listener("ehr-web-alb HTTP:80", ALB_ARN, "ehr-web-alb", 80, "HTTP", [{
        "Type": "redirect", "Order": 1, "RedirectConfig": {
            "Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}", "Query": "#{query}",
            "StatusCode": "HTTP_301"}}], created="2024-02-07T10:16:05.000Z")


def clb_policy(lb_name, created_ms, reference):
    name = f"AWSConsole-SSLNegotiationPolicy-{lb_name}-{created_ms}"
    tls12_only = reference == "ELBSecurityPolicy-TLS-1-2-2017-01"
    attributes = [("Reference-Security-Policy", reference),
                  ("Protocol-TLSv1", "false" if tls12_only else "true"),
                  ("Protocol-TLSv1.1", "false" if tls12_only else "true"),
                  ("Protocol-TLSv1.2", "true"),
                  ("Server-Defined-Cipher-Order", "true"),
                  ("ECDHE-ECDSA-AES128-GCM-SHA256", "true"), ("ECDHE-RSA-AES128-GCM-SHA256", "true"),
                  ("ECDHE-ECDSA-AES256-GCM-SHA384", "true"), ("ECDHE-RSA-AES256-GCM-SHA384", "true"),
                  ("AES128-SHA", "false" if tls12_only else "true"),
                  ("ECDHE-RSA-AES128-SHA", "false" if tls12_only else "true")]
    return name, {"policyName": name, "policyTypeName": "SSLNegotiationPolicyType",
                  "policyAttributeDescriptions": [{"attributeName": k, "attributeValue": v} for k, v in attributes]}


def clb_item(name, listeners, policy, cross_zone, access_log, instances, sg_id, subnets, created, t):
    dns = f"{name}-{int(hexid(name + '-dns', 'x', 8), 16) % 10**9}.{REGION}.elb.amazonaws.com"
    policy_name, policy_doc = policy
    add("AWS::ElasticLoadBalancing::LoadBalancer", name, {
        "loadBalancerName": name,
        "canonicalHostedZoneName": dns,
        "canonicalHostedZoneNameID": "Z35SXDOTRQ7X7K",
        "listenerDescriptions": [
            {"listener": {"protocol": proto, "loadBalancerPort": port, "instanceProtocol": iproto,
                          "instancePort": iport, **({"sslcertificateId": cert} if cert else {})},
             "policyNames": [policy_name] if cert else []}
            for proto, port, iproto, iport, cert in listeners],
        "policies": {"appCookieStickinessPolicies": [], "lbcookieStickinessPolicies": [],
                     "otherPolicies": [policy_name]},
        "backendServerDescriptions": [],
        "availabilityZones": ["us-east-1a", "us-east-1b"],
        "subnets": subnets,
        "instances": [{"instanceId": i} for i in instances],
        "healthCheck": {"target": f"TCP:{listeners[0][3]}", "interval": 30, "timeout": 5,
                        "unhealthyThreshold": 2, "healthyThreshold": 10},
        "sourceSecurityGroup": {"ownerAlias": ACCOUNT, "groupName": sg_id},
        "securityGroups": [sg_id],
        "createdTime": epoch_ms(created),
        "scheme": "internet-facing",
        "dnsname": dns,
        "vpcid": VPC_PROD,
    }, short=name, name=name, arn=arn_of("elasticloadbalancing", f"loadbalancer/{name}"),
        az="Multiple Availability Zones", created=created, tags=t,
        relationships=[rel("AWS::EC2::SecurityGroup", sg_id, "Is associated with SecurityGroup")]
        + [rel("AWS::EC2::Instance", i, "Is associated with Instance") for i in instances]
        + [rel("AWS::EC2::Subnet", s, "Is attached to Subnet") for s in subnets]
        + [rel("AWS::EC2::VPC", VPC_PROD, "Is contained in Vpc")],
        supplementary={
            "LoadBalancerAttributes": {
                "crossZoneLoadBalancing": {"enabled": cross_zone},
                "accessLog": {"enabled": True, "s3BucketName": access_log[0], "s3BucketPrefix": access_log[1],
                              "emitInterval": 60} if access_log else {"enabled": False},
                "connectionDraining": {"enabled": True, "timeout": 300},
                "connectionSettings": {"idleTimeout": 60},
                "additionalAttributes": [{"key": "elb.http.desyncmitigationmode", "value": "defensive"}],
            },
            "LoadBalancerPolicies": [policy_doc],
            "Tags": tag_list(t),
        })


def prod_clbs():
    # The old patient-portal hostname: HTTPS with the 2021 certificate uploaded to IAM, and a
    # plain-HTTP listener kept "for old bookmarks".
    clb_item("portal-legacy-clb", [
        ("HTTPS", 443, "HTTPS", 8443, PORTAL_IAM_CERT_ARN),
        ("HTTP", 80, "HTTP", 8080, None),
    ], clb_policy("portal-legacy-clb", 1620029607000, "ELBSecurityPolicy-TLS-1-2-2017-01"), True, None,
        [INSTANCE["ehr-app-1"], INSTANCE["ehr-app-2"]], SG["ehr-alb"], [SUBNET_ID["public-a"], SUBNET_ID["public-b"]],
        "2021-05-03T08:13:27.000Z", tags("portal-legacy-clb", {"app": "patient-portal-legacy"}))
    # HL7 results from the reference laboratory, MLLP over TLS.
    clb_item("hl7-tls-clb", [("SSL", 6661, "TCP", 6661, HL7_CERT_ARN)],
             clb_policy("hl7-tls-clb", 1716201911000, "ELBSecurityPolicy-2016-08"), False,
             (BUCKET["access-logs"], "elb/hl7"), [INSTANCE["hl7-interface"]], SG["hl7-clb"],
             [SUBNET_ID["public-a"], SUBNET_ID["public-b"]], "2024-05-20T10:45:11.000Z",
             tags("hl7-tls-clb", PHI, {"app": "hl7"}))


def certificate(arn, domain, kind, issued, not_before, not_after, in_use, created, t, issuer):
    add("AWS::ACM::Certificate", arn, {
        "certificateArn": arn,
        "domainName": domain,
        "subjectAlternativeNames": [domain],
        "domainValidationOptions": [{"domainName": domain, "validationDomain": domain,
                                     "validationStatus": "SUCCESS", "validationMethod": "DNS"}]
        if kind == "AMAZON_ISSUED" else [],
        "serial": ":".join(hexid("serial", domain, 32)[i:i + 2] for i in range(0, 32, 2)),
        "subject": f"CN={domain}",
        "issuer": issuer,
        "createdAt": created,
        "issuedAt": issued,
        "importedAt": created if kind == "IMPORTED" else None,
        "status": "ISSUED",
        "notBefore": not_before,
        "notAfter": not_after,
        "keyAlgorithm": "RSA-2048",
        "signatureAlgorithm": "SHA256WITHRSA",
        "inUseBy": in_use,
        "type": kind,
        "keyUsages": [{"name": "DIGITAL_SIGNATURE"}, {"name": "KEY_ENCIPHERMENT"}],
        "extendedKeyUsages": [{"name": "TLS_WEB_SERVER_AUTHENTICATION", "oID": "1.3.6.1.5.5.7.3.1"}],
        "renewalEligibility": "ELIGIBLE" if kind == "AMAZON_ISSUED" else "INELIGIBLE",
        "options": {"certificateTransparencyLoggingPreference": "ENABLED"},
    }, short=domain, arn=arn, az="Regional", created=created, tags=t, supplementary={"Tags": tag_list(t)})


def prod_certificates():
    certificate(EHR_CERT_ARN, "ehr.riversidefamilyclinic.example", "AMAZON_ISSUED", "2026-07-16T00:00:00.000Z",
                "2026-07-16T00:00:00.000Z", "2027-08-14T23:59:59.000Z", [ALB_ARN], "2024-02-07T09:58:12.000Z",
                tags("ehr.riversidefamilyclinic.example"), "Amazon")
    # Issued by the laboratory network's CA and imported: ACM does not renew imported certificates.
    certificate(HL7_CERT_ARN, "hl7.riversidefamilyclinic.example", "IMPORTED", None,
                "2025-11-30T00:00:00.000Z", "2026-11-29T23:59:59.000Z",
                [arn_of("elasticloadbalancing", "loadbalancer/hl7-tls-clb")], "2025-11-30T15:20:44.000Z",
                tags("hl7.riversidefamilyclinic.example", {"app": "hl7"}), "LabNet Partner CA G2")


def waf_web_acl(name, description):
    acl_id, arn = WAF[name]
    add("AWS::WAFv2::WebACL", acl_id, {
        "name": name,
        "id": acl_id,
        "arn": arn,
        "defaultAction": {"allow": {}},
        "description": description,
        "capacity": 1025,
        "rules": [{"name": "AWS-AWSManagedRulesCommonRuleSet", "priority": 0,
                   "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": "AWSManagedRulesCommonRuleSet"}},
                   "overrideAction": {"none": {}},
                   "visibilityConfig": {"sampledRequestsEnabled": True, "cloudWatchMetricsEnabled": True,
                                        "metricName": "AWS-AWSManagedRulesCommonRuleSet"}},
                  {"name": "AWS-AWSManagedRulesKnownBadInputsRuleSet", "priority": 1,
                   "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": "AWSManagedRulesKnownBadInputsRuleSet"}},
                   "overrideAction": {"none": {}},
                   "visibilityConfig": {"sampledRequestsEnabled": True, "cloudWatchMetricsEnabled": True,
                                        "metricName": "AWS-AWSManagedRulesKnownBadInputsRuleSet"}}],
        "visibilityConfig": {"sampledRequestsEnabled": True, "cloudWatchMetricsEnabled": True, "metricName": name},
        "managedByFirewallManager": False,
        "labelNamespace": f"awswaf:{PROD}:webacl:{name}:",
    }, short=name, name=name, arn=arn, created="2024-02-07T10:30:00.000Z", tags={})


def api_stage(stage, deployment, waf_arn, client_cert, logging_level, created, t):
    arn = f"arn:aws:apigateway:{REGION}::/restapis/{REST_API_ID}/stages/{stage}"
    settings = {"metricsEnabled": logging_level is not None, "dataTraceEnabled": False,
                "throttlingBurstLimit": 5000, "throttlingRateLimit": 10000.0, "cachingEnabled": False,
                "cacheTtlInSeconds": 300, "cacheDataEncrypted": False,
                "requireAuthorizationForCacheControl": True,
                "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER"}
    if logging_level is not None:
        settings["loggingLevel"] = logging_level
    config = {
        "stageName": stage,
        "deploymentId": deployment,
        "description": f"patient-api {stage}",
        "cacheClusterEnabled": False,
        "cacheClusterStatus": "NOT_AVAILABLE",
        "methodSettings": {"*/*": settings} if logging_level is not None else {},
        "tracingEnabled": logging_level is not None,
        "createdDate": java_date(created),
        "lastUpdatedDate": java_date("2026-10-20T12:01:40.000Z"),
        "tags": t,
    }
    if waf_arn:
        config["webAclArn"] = waf_arn
    if client_cert:
        config["clientCertificateId"] = client_cert
    if logging_level is not None:
        config["accessLogSettings"] = {"destinationArn": f"arn:aws:logs:{REGION}:{PROD}:log-group:/apigw/patient-api/{stage}",
                                       "format": "$context.requestId $context.identity.sourceIp $context.status"}
    rels = [rel("AWS::ApiGateway::RestApi", f"arn:aws:apigateway:{REGION}::/restapis/{REST_API_ID}",
                "Is contained in RestApi", "patient-api")]
    if waf_arn:
        rels.append(rel("AWS::WAFv2::WebACL", WAF["patient-api-waf"][0], "Is associated with WebACL", "patient-api-waf"))
    add("AWS::ApiGateway::Stage", arn, config, short=f"patient-api/{stage}", name=stage, arn=arn,
        created=created, tags=t, relationships=rels)


def prod_api_gateway():
    waf_web_acl("ehr-web-waf", "EHR web application (ehr-web-alb)")
    waf_web_acl("patient-api-waf", "Patient API (API Gateway)")
    api_stage("prod", lower_id("deploy/prod", 6), WAF["patient-api-waf"][1], lower_id("clientcert/patient-api", 6),
              "INFO", "2025-03-03T10:00:00.000Z", tags("patient-api-prod", PHI, {"app": "patient-api"}))
    api_stage("test", lower_id("deploy/test", 6), None, None, None, "2025-03-03T10:05:00.000Z",
              tags("patient-api-test", {"app": "patient-api", "environment": "test"}))


# ================================================================= CloudTrail, CloudWatch, EventBridge (prod)
def trail_item(name, multi, validation, bucket, kms, cw, selectors, created, logging=True, prefix=None,
               stopped=None, home=REGION, sns=None):
    arn = f"arn:aws:cloudtrail:{home}:{ACCOUNT}:trail/{name}"
    config = {
        "name": name,
        "s3BucketName": bucket,
        "s3KeyPrefix": prefix,
        "includeGlobalServiceEvents": multi,
        "isMultiRegionTrail": multi,
        "homeRegion": home,
        "trailARN": arn,
        "logFileValidationEnabled": validation,
        "hasCustomEventSelectors": True,
        "hasInsightSelectors": False,
        "isOrganizationTrail": False,
    }
    if cw:
        config["cloudWatchLogsLogGroupArn"] = cw
        config["cloudWatchLogsRoleArn"] = f"arn:aws:iam::{ACCOUNT}:role/cloudtrail-to-cloudwatch"
    if kms:
        config["kmsKeyId"] = kms
    if sns:
        # CloudTrail's GetTrail returns both, each the topic's ARN.
        config["snsTopicName"] = sns
        config["snsTopicARN"] = sns
    t = atags(name) if ACCOUNT == ANALYTICS else tags(name)
    add("AWS::CloudTrail::Trail", name, config, short=name, name=name, arn=arn, az="Regional", created=created,
        tags=t,
        relationships=[rel("AWS::S3::Bucket", bucket, "Is associated with Bucket", bucket)] if ACCOUNT != ANALYTICS else [],
        supplementary={
            "Tags": tag_list(t),
            "TrailStatus": {"isLogging": logging,
                            "latestDeliveryTime": "2026-11-20T03:02:41.000Z" if logging else "2026-07-31T23:58:02.000Z",
                            "startLoggingTime": created, "latestDigestDeliveryTime":
                                ("2026-11-20T02:41:07.000Z" if logging else "2026-07-31T23:41:07.000Z") if validation else None,
                            "latestDeliveryError": None, "latestNotificationError": None,
                            "latestCloudWatchLogsDeliveryTime": "2026-11-20T03:02:44.000Z" if cw else None,
                            "timeLoggingStarted": created, "timeLoggingStopped": stopped,
                            "stopLoggingTime": stopped},
            "EventSelectors": selectors,
            "AdvancedEventSelectors": [],
        })


def prod_trails():
    trail_item("riverside-audit", True, True, BUCKET["cloudtrail"], KMS_KEY_ARN, LOG_GROUP_ARN,
               [{"readWriteType": "All", "includeManagementEvents": True,
                 "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}],
                 "excludeManagementEventSources": []}], "2024-02-06T16:10:03.000Z",
               sns=SNS_ARN["security-alerts"])
    trail_item("ehr-documents-data-events", False, False, BUCKET["cloudtrail"], None, None,
               [{"readWriteType": "All", "includeManagementEvents": False,
                 "dataResources": [{"type": "AWS::S3::Object", "values": [f"arn:aws:s3:::{BUCKET['documents']}/"]}],
                 "excludeManagementEventSources": []}], "2024-05-21T12:44:18.000Z", prefix="data-events")


def alarm(name, namespace, metric, dimensions, alarm_actions, insufficient, ok, description, created):
    arn = arn_of("cloudwatch", f"alarm:{name}")
    add("AWS::CloudWatch::Alarm", name, {
        "alarmName": name,
        "alarmArn": arn,
        "alarmDescription": description,
        "alarmConfigurationUpdatedTimestamp": created,
        "actionsEnabled": True,
        "okactions": ok,
        "alarmActions": alarm_actions,
        "insufficientDataActions": insufficient,
        "metricName": metric,
        "namespace": namespace,
        "statistic": "Maximum" if metric == "StatusCheckFailed" else "Average",
        "dimensions": [{"name": k, "value": v} for k, v in dimensions.items()],
        "period": 300 if metric != "StatusCheckFailed" else 60,
        "evaluationPeriods": 3 if metric != "StatusCheckFailed" else 2,
        "datapointsToAlarm": 3 if metric != "StatusCheckFailed" else 2,
        "threshold": 80.0 if metric != "StatusCheckFailed" else 1.0,
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
        "treatMissingData": "missing",
        "metrics": [],
    }, short=name, name=name, arn=arn, created=created)


def prod_monitoring():
    alarm("ehr-db-cpu-high", "AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": "ehr-db"},
          [SNS_ARN["ops-alerts"]], [SNS_ARN["ops-alerts"]], [SNS_ARN["ops-alerts"]],
          "EHR database CPU above 80% for 15 minutes", "2024-02-09T08:10:00.000Z")
    for app in ["ehr-app-1", "ehr-app-2"]:
        alarm(f"{app}-cpu-high", "AWS/EC2", "CPUUtilization", {"InstanceId": INSTANCE[app]},
              [SNS_ARN["ops-alerts"]], [SNS_ARN["ops-alerts"]], [SNS_ARN["ops-alerts"]],
              f"{app} CPU above 80% for 15 minutes", "2024-02-09T08:12:00.000Z")
    alarm("bastion-status-check-failed", "AWS/EC2", "StatusCheckFailed", {"InstanceId": INSTANCE["bastion"]},
          [SNS_ARN["ops-alerts"]], [], [], "Bastion failed its EC2 status checks", "2026-09-02T14:02:18.000Z")
    pattern = {"source": ["aws.cloudtrail"], "detail-type": ["AWS API Call via CloudTrail"],
               "detail": {"eventSource": ["cloudtrail.amazonaws.com"],
                          "eventName": ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"]}}
    arn = arn_of("events", "rule/cloudtrail-tamper-alert")
    add("AWS::Events::Rule", "cloudtrail-tamper-alert", {
        "Name": "cloudtrail-tamper-alert",
        "Arn": arn,
        "Description": "Alert the security mailbox when CloudTrail logging is stopped or changed",
        "EventBusName": "default",
        "EventPattern": compact(pattern),
        "State": "ENABLED",
        "Targets": [{"Id": "security-alerts", "Arn": SNS_ARN["security-alerts"]}],
    }, short="cloudtrail-tamper-alert", name="cloudtrail-tamper-alert", arn=arn,
        created="2024-02-09T08:20:00.000Z")


# ================================================================= IAM (both accounts)
def aws_policy(name, path="/"):
    return {"policyName": name, "policyArn": f"arn:aws:iam::aws:policy{path}{name}"}


def customer_policy_ref(name):
    return {"policyName": name, "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/{name}"}


def stmt(sid, actions, resources, effect="Allow", **extra):
    s = {"Sid": sid, "Effect": effect, "Action": actions, "Resource": resources}
    s.update(extra)
    return s


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def trust(principal, condition=None):
    s = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        s["Condition"] = condition
    return doc(s)


def managed_policy(name, description, versions, default, created, attached_to=()):
    """A customer managed policy; `attached_to` lists (type, name) of the principals using it."""
    pid = upper_id("ANPA", f"{ACCOUNT}:{name}") if ACCOUNT != PROD else upper_id("ANPA", name)
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{name}"
    kinds = {"AWS::IAM::Role": ("AROA", "Is attached to Role"), "AWS::IAM::User": ("AIDA", "Is attached to User"),
             "AWS::IAM::Group": ("AGPA", "Is attached to Group")}
    add("AWS::IAM::Policy", pid, {
        "policyName": name,
        "policyId": pid,
        "arn": arn,
        "path": "/",
        "defaultVersionId": default,
        "attachmentCount": len(attached_to),
        "permissionsBoundaryUsageCount": 0,
        "isAttachable": True,
        "description": description,
        "createDate": created,
        "updateDate": created if len(versions) == 1 else "2024-02-09T13:05:40.000Z",
        "policyVersionList": [{
            "document": url_encoded(d),
            "versionId": vid,
            "isDefaultVersion": vid == default,
            "createDate": created if vid == "v1" else "2024-02-09T13:05:40.000Z",
        } for vid, d in versions],
    }, short=name, name=name, arn=arn, region="global", created=created,
        relationships=[rel(t, principal_id(t, n), kinds[t][1], n) for t, n in attached_to])


def principal_id(resource_type, name):
    prefix = {"AWS::IAM::Role": "AROA", "AWS::IAM::User": "AIDA", "AWS::IAM::Group": "AGPA"}[resource_type]
    return upper_id(prefix, name if ACCOUNT == PROD else f"{ACCOUNT}:{name}")


def iam_role(name, trust_doc, attached, inline, created, description, t=None, profile=None, last_used=None,
             path="/", short=None):
    role_id = principal_id("AWS::IAM::Role", name)
    arn = f"arn:aws:iam::{ACCOUNT}:role{path}{name}"
    t = t if t is not None else {}
    profiles = []
    if profile:
        profiles = [{
            "path": "/", "instanceProfileName": profile,
            "instanceProfileId": upper_id("AIPA", f"arn:aws:iam::{ACCOUNT}:instance-profile/{profile}"),
            "arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{profile}", "createDate": created,
            "roles": [{"path": path, "roleName": name, "roleId": role_id, "arn": arn, "createDate": created,
                       "assumeRolePolicyDocument": url_encoded(trust_doc), "description": None,
                       "maxSessionDuration": None, "permissionsBoundary": None, "tags": [], "roleLastUsed": None}]}]
    add("AWS::IAM::Role", role_id, {
        "path": path,
        "roleName": name,
        "roleId": role_id,
        "arn": arn,
        "createDate": created,
        "assumeRolePolicyDocument": url_encoded(trust_doc),
        "instanceProfileList": profiles,
        "rolePolicyList": [{"policyName": n, "policyDocument": url_encoded(d)} for n, d in inline],
        "attachedManagedPolicies": attached,
        "permissionsBoundary": None,
        "tags": tag_list(t),
        "roleLastUsed": {"lastUsedDate": last_used, "region": REGION} if last_used else None,
        "description": description,
        "maxSessionDuration": 3600,
    }, short=short or name, name=name, arn=arn, region="global", created=created, tags=t,
        relationships=[rel("AWS::IAM::Policy", upper_id("ANPA", a["policyName"] if ACCOUNT == PROD else f"{ACCOUNT}:{a['policyName']}"),
                           "Is attached to CustomerManagedPolicy", a["policyName"])
                       for a in attached if f":{ACCOUNT}:" in a["policyArn"]])


def iam_user(name, groups, attached, inline, created, password_last_used=None, t=None):
    user_id = principal_id("AWS::IAM::User", name)
    arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    t = t if t is not None else {}
    add("AWS::IAM::User", user_id, {
        "path": "/",
        "userName": name,
        "userId": user_id,
        "arn": arn,
        "createDate": created,
        "userPolicyList": [{"policyName": n, "policyDocument": url_encoded(d)} for n, d in inline],
        "groupList": groups,
        "attachedManagedPolicies": attached,
        "permissionsBoundary": None,
        "tags": tag_list(t),
    }, short=name, name=name, arn=arn, region="global", created=created, tags=t,
        relationships=[rel("AWS::IAM::Group", principal_id("AWS::IAM::Group", g), "Is attached to Group", g)
                       for g in groups]
        + [rel("AWS::IAM::Policy", upper_id("ANPA", a["policyName"] if ACCOUNT == PROD else f"{ACCOUNT}:{a['policyName']}"),
               "Is attached to CustomerManagedPolicy", a["policyName"])
           for a in attached if f":{ACCOUNT}:" in a["policyArn"]])


def iam_group(name, attached, inline, created, members):
    group_id = principal_id("AWS::IAM::Group", name)
    arn = f"arn:aws:iam::{ACCOUNT}:group/{name}"
    add("AWS::IAM::Group", group_id, {
        "path": "/",
        "groupName": name,
        "groupId": group_id,
        "arn": arn,
        "createDate": created,
        "groupPolicyList": [{"policyName": n, "policyDocument": url_encoded(d)} for n, d in inline],
        "attachedManagedPolicies": attached,
    }, short=name, name=name, arn=arn, region="global", created=created,
        relationships=[rel("AWS::IAM::User", principal_id("AWS::IAM::User", u), "Contains User", u) for u in members]
        + [rel("AWS::IAM::Policy", upper_id("ANPA", a["policyName"] if ACCOUNT == PROD else f"{ACCOUNT}:{a['policyName']}"),
               "Is attached to CustomerManagedPolicy", a["policyName"])
           for a in attached if f":{ACCOUNT}:" in a["policyArn"]])


POLICIES = {
    # name: (description, versions [(version id, document)], default version, created, attached to)
    "RiversideBreakGlassAdmin": (
        "Break-glass administrator access for the IT contractor", [
            ("v1", doc({"Sid": "BreakGlass", "Effect": "Allow", "Action": "*", "Resource": "*"})),
        ], "v1", "2024-02-06T14:55:00.000Z", []),
    "EhrAppDocumentAccess": (
        "EHR application servers: documents bucket and PHI key", [
            # v1 was a quick "make it work" policy; replaced by v2, still stored as a version
            ("v1", doc({"Effect": "Allow", "Action": "*", "Resource": "*"})),
            ("v2", doc(stmt("Documents", ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                            [f"arn:aws:s3:::{BUCKET['documents']}", f"arn:aws:s3:::{BUCKET['documents']}/*"]),
                       stmt("PhiKey", ["kms:Decrypt", "kms:GenerateDataKey"], KMS_KEY_ARN))),
        ], "v2", "2024-02-07T09:31:22.000Z", [("AWS::IAM::Role", "ehr-app-instance-role")]),
    "BackupOperator": (
        "Backup operators: manage backups and the backup bucket", [
            ("v1", doc(stmt("Backup", "backup:*", "*"),
                       stmt("BackupBucket", "s3:*",
                            [f"arn:aws:s3:::{BUCKET['backups']}", f"arn:aws:s3:::{BUCKET['backups']}/*"]))),
        ], "v1", "2024-03-14T18:02:51.000Z", [("AWS::IAM::User", "backup-agent")]),
}


def prod_iam():
    for name, (description, versions, default, created, attached_to) in POLICIES.items():
        managed_policy(name, description, versions, default, created, attached_to)
    logs = lambda group: doc(stmt("Delivery", ["logs:CreateLogStream", "logs:PutLogEvents"],
                                  f"arn:aws:logs:{REGION}:{PROD}:log-group:{group}:*"))
    roles = [
        ("ehr-app-instance-role", trust({"Service": "ec2.amazonaws.com"}),
         [customer_policy_ref("EhrAppDocumentAccess"), aws_policy("AmazonSSMManagedInstanceCore")],
         [("cloudwatch-agent", logs("/riverside/ehr-app"))], "2024-02-07T09:31:25.000Z",
         "EHR application servers", "ehr-app-instance-profile", "2026-11-20T02:58:12.000Z"),
        ("ehr-backup-role", trust({"Service": "backup.amazonaws.com"}),
         [aws_policy("AWSBackupServiceRolePolicyForBackup", "/service-role/"),
          aws_policy("AWSBackupServiceRolePolicyForRestores", "/service-role/")], [],
         "2024-02-08T11:20:00.000Z", "AWS Backup jobs of riverside-phi-daily", None, "2026-11-20T05:01:44.000Z"),
        ("external-auditor", trust({"AWS": f"arn:aws:iam::{AUDITOR_ACCOUNT}:root"},
                                   {"StringEquals": {"sts:ExternalId": "riverside-hipaa-2026"}}),
         [aws_policy("SecurityAudit"), aws_policy("AWSCloudTrail_ReadOnlyAccess")], [],
         "2026-04-27T13:02:11.000Z", "Read-only access for the external HIPAA auditor", None, "2026-05-14T16:40:02.000Z"),
        ("cloudtrail-to-cloudwatch", trust({"Service": "cloudtrail.amazonaws.com"}), [],
         [("cloudtrail-logs-delivery", logs("/riverside/cloudtrail"))], "2024-02-06T16:09:40.000Z",
         "CloudTrail delivery to CloudWatch Logs", None, "2026-11-20T03:02:44.000Z"),
        ("vpc-flow-logs-role", trust({"Service": "vpc-flow-logs.amazonaws.com"}), [],
         [("flow-logs-delivery", doc(stmt("Delivery", ["logs:CreateLogStream", "logs:PutLogEvents",
                                                        "logs:DescribeLogGroups", "logs:DescribeLogStreams"], "*")))],
         "2024-02-06T15:28:02.000Z", "VPC flow logs delivery", None, "2026-11-20T03:10:00.000Z"),
        ("rds-monitoring-role", trust({"Service": "monitoring.rds.amazonaws.com"}),
         [aws_policy("AmazonRDSEnhancedMonitoringRole", "/service-role/")], [], "2024-02-07T11:00:03.000Z",
         "RDS Enhanced Monitoring", None, "2026-11-20T03:13:00.000Z"),
        ("intake-ocr-role", trust({"Service": "lambda.amazonaws.com"}),
         [aws_policy("AWSLambdaBasicExecutionRole", "/service-role/")],
         [("intake-ocr-access", doc(
             stmt("ReadScans", "s3:GetObject", f"arn:aws:s3:::{BUCKET['intake']}/*"),
             stmt("WriteDocuments", "s3:PutObject", f"arn:aws:s3:::{BUCKET['documents']}/intake/*"),
             stmt("Textract", "textract:AnalyzeDocument", "*"),
             stmt("PhiKey", ["kms:Decrypt", "kms:GenerateDataKey"], KMS_KEY_ARN)))],
         "2025-02-11T16:38:02.000Z", "intake-ocr Lambda function", None, "2026-11-19T22:41:09.000Z"),
        ("appointment-webhook-role", trust({"Service": "lambda.amazonaws.com"}),
         [aws_policy("AWSLambdaBasicExecutionRole", "/service-role/")], [], "2025-07-01T19:10:41.000Z",
         "appointment-webhook Lambda function", None, "2026-11-20T01:12:55.000Z"),
        ("codebuild-ehr-app-build-role", trust({"Service": "codebuild.amazonaws.com"}), [],
         [("codebuild-base", doc(
             stmt("Logs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                  f"arn:aws:logs:{REGION}:{PROD}:log-group:/aws/codebuild/ehr-app-build*"),
             stmt("Artifacts", ["s3:PutObject", "s3:GetObject"], f"arn:aws:s3:::riverside-build-artifacts-{PROD}/*"),
             stmt("Ecr", ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:PutImage",
                          "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"], "*")))],
         "2024-02-12T13:29:41.000Z", "CodeBuild: ehr-app-build", None, "2026-11-18T17:04:12.000Z"),
        ("codebuild-portal-legacy-build-role", trust({"Service": "codebuild.amazonaws.com"}),
         [aws_policy("AdministratorAccess")], [], "2021-04-19T10:01:02.000Z", "CodeBuild: portal-legacy-build",
         None, "2023-02-01T09:30:00.000Z"),
        ("ecsTaskExecutionRole", trust({"Service": "ecs-tasks.amazonaws.com"}),
         [aws_policy("AmazonECSTaskExecutionRolePolicy", "/service-role/")], [], "2025-04-22T09:40:00.000Z",
         "ECS task execution", None, "2026-11-20T02:00:31.000Z"),
        ("hl7-parser-task-role", trust({"Service": "ecs-tasks.amazonaws.com"}), [],
         [("hl7-events", doc(stmt("PutEvents", ["kinesis:PutRecord", "kinesis:PutRecords"],
                                  arn_of("kinesis", "stream/hl7-events")),
                             stmt("PhiKey", "kms:GenerateDataKey", KMS_KEY_ARN)))],
         "2025-09-30T11:10:12.000Z", "hl7-parser tasks", None, "2026-11-20T03:01:19.000Z"),
        ("s3-replication-role", trust({"Service": "s3.amazonaws.com"}), [],
         [("replicate-documents", doc(
             stmt("Source", ["s3:GetReplicationConfiguration", "s3:ListBucket"], f"arn:aws:s3:::{BUCKET['documents']}"),
             stmt("SourceObjects", ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl",
                                    "s3:GetObjectVersionTagging"], f"arn:aws:s3:::{BUCKET['documents']}/*"),
             stmt("Destination", ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                  f"arn:aws:s3:::riverside-ehr-documents-dr-{PROD}/*"),
             stmt("Keys", ["kms:Decrypt", "kms:Encrypt"],
                  [KMS_KEY_ARN, f"arn:aws:kms:us-west-2:{PROD}:key/{uid('kms/phi-data-dr')}"])))],
         "2024-02-06T16:20:00.000Z", "S3 replication of the documents bucket", None, "2026-11-20T03:00:02.000Z"),
        ("reporting-etl-role", trust({"Service": "ec2.amazonaws.com"}),
         [aws_policy("AmazonSSMManagedInstanceCore")], [], "2022-11-08T12:01:19.000Z", "Nightly reporting ETL",
         "reporting-etl-profile", "2026-11-19T06:41:00.000Z"),
        # Planted for the Cedar least-privilege control: developers were meant to get the
        # build buckets, but the policy's `riverside-ehr-*` pattern also reaches the PHI
        # documents (and backups) buckets with s3:*. And "to debug production", Session
        # Manager shells on every instance of the account, the PHI ones included (practice A4).
        ("developer-role", trust({"AWS": f"arn:aws:iam::{PROD}:root"}), [], [("developer-s3", doc(
             stmt("DevBuckets", "s3:*", [f"arn:aws:s3:::riverside-ehr-*", f"arn:aws:s3:::riverside-ehr-*/*"]))),
             ("developer-sessions", doc(
             stmt("DebugSessions", "ssm:StartSession", f"arn:aws:ec2:{REGION}:{PROD}:instance/*")))],
         "2026-10-02T10:15:00.000Z", "Developers (console, via SSO)", None, "2026-11-19T15:20:00.000Z"),
    ]
    for name, trust_doc, attached, inline, created, description, profile, last_used in roles:
        iam_role(name, trust_doc, attached, inline, created, description,
                 t=tags(name) if name == "ehr-app-instance-role" else {}, profile=profile, last_used=last_used)
    iam_role("AWSServiceRoleForAutoScaling", trust({"Service": "autoscaling.amazonaws.com"}),
             [aws_policy("AutoScalingServiceRolePolicy", "/aws-service-role/")], [], "2021-05-03T08:41:15.000Z",
             "Default Service-Linked Role enables access to AWS Services and Resources used or managed by Auto Scaling",
             last_used="2026-11-20T03:00:41.000Z", path="/aws-service-role/autoscaling.amazonaws.com/")
    iam_role("AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
             trust({"Service": "dynamodb.application-autoscaling.amazonaws.com"}),
             [aws_policy("AWSApplicationAutoscalingDynamoDBTablePolicy", "/aws-service-role/")], [],
             "2021-05-03T09:05:10.000Z", "", last_used="2026-11-20T03:09:00.000Z",
             path="/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/")
    iam_group("clinic-admins", [aws_policy("AdministratorAccess")], [], "2024-02-06T14:50:00.000Z", ["mlopez"])
    iam_group("front-desk", [], [("scan-upload", doc(stmt("UploadScans", "s3:PutObject",
                                                           f"arn:aws:s3:::{BUCKET['intake']}/*")))],
              "2024-03-01T09:12:00.000Z", ["frontdesk-shared"])
    iam_group("compliance-auditors", [aws_policy("SecurityAudit")],
              [("audit-log-access", doc(stmt("CloudTrailLogs", "s3:*",
                                             [f"arn:aws:s3:::{BUCKET['cloudtrail']}",
                                              f"arn:aws:s3:::{BUCKET['cloudtrail']}/*"])))],
              "2026-04-27T13:10:40.000Z", ["jwhite-contractor"])
    # The designated break-glass administrator: the one IAM console login kept beside Okta.
    iam_user("mlopez", ["clinic-admins"], [], [], "2024-02-06T14:52:31.000Z",
             t={"role": "IT manager", "ward:break-glass": "sealed MFA in the IT safe"})
    iam_user("ci-deploy", [], [], [("deploy-artifacts", doc(
        stmt("Artifacts", ["s3:PutObject", "s3:GetObject"], f"arn:aws:s3:::riverside-build-artifacts-{PROD}/*"),
        stmt("Functions", ["lambda:UpdateFunctionCode", "lambda:PublishVersion"],
             arn_of("lambda", "function:*")),
        stmt("Keys", ["kms:Decrypt", "kms:GenerateDataKey"], "*")))], "2024-02-12T13:40:09.000Z",
        t={"role": "CI deployments"})
    iam_user("backup-agent", [], [customer_policy_ref("BackupOperator")], [], "2024-03-14T18:05:12.000Z",
             t={"role": "on-premises backup software"})
    iam_user("frontdesk-shared", ["front-desk"], [], [], "2024-03-01T09:14:50.000Z",
             t={"role": "shared front-desk scanner login"})
    iam_user("jwhite-contractor", ["compliance-auditors"], [], [], "2026-04-27T13:12:02.000Z",
             t={"role": "2026 HIPAA audit (external)"})


# ================================================================= KMS (both accounts)
def kms_key(key_id, description, state, manager, created, t, alias=None, deletion=None):
    """A KMS key as Config records it (aws-config-rdk AWS_KMS_Key.json: epoch-millisecond
    creationDate, `awsaccountId`, the key policy as JSON text in supplementaryConfiguration)."""
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"
    config = {
        "keyId": key_id,
        "arn": arn,
        "creationDate": epoch_ms(created),
        "enabled": state == "Enabled",
        "description": description,
        "keyUsage": "ENCRYPT_DECRYPT",
        "keyState": state,
        "origin": "AWS_KMS",
        "keyManager": manager,
        "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "keySpec": "SYMMETRIC_DEFAULT",
        "encryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "signingAlgorithms": [],
        "multiRegion": False,
        "awsaccountId": ACCOUNT,
    }
    if deletion:
        config["deletionDate"] = epoch_ms(deletion)
        config["pendingDeletionWindowInDays"] = 30
    if manager == "AWS":
        service = alias.split("/")[-1]
        policy = {"Version": "2012-10-17", "Id": f"auto-{service}-2", "Statement": [
            {"Sid": f"Allow access through AWS {service} for all principals in the account that are authorized to use it",
             "Effect": "Allow", "Principal": {"AWS": "*"},
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant",
                        "kms:DescribeKey"], "Resource": "*",
             "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT,
                                            "kms:ViaService": f"{service}.{REGION}.amazonaws.com"}}},
            {"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"], "Resource": "*"}]}
    else:
        policy = {"Version": "2012-10-17", "Id": "key-consolepolicy-3", "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}]}
    add("AWS::KMS::Key", key_id, config, short=alias or description, arn=arn, created=created, tags=t,
        supplementary={"Policy": json.dumps(policy, indent=2)})


def prod_kms():
    kms_key(KMS_KEY_ID, "Riverside PHI data key (EBS, RDS, S3, CloudTrail)", "Enabled", "CUSTOMER",
            "2024-02-06T14:58:40.117Z", tags("riverside-phi-data"), alias="riverside-phi-data")
    kms_key(PORTAL_KEY_ID, "Patient portal 2021 (retired)", "PendingDeletion", "CUSTOMER",
            "2021-05-03T08:02:11.506Z", tags("riverside-portal-2021"), alias="riverside-portal-2021",
            deletion="2026-12-01T10:20:33.000Z")
    kms_key(SM_AWS_KEY_ID, "Default key that protects my Secrets Manager data when no other key is defined",
            "Enabled", "AWS", "2024-02-07T11:02:50.231Z", {}, alias="aws/secretsmanager")


# ================================================================= AWS Backup (both accounts)
def backup_vault(name, kms, created, access_policy=None, lock=None):
    arn = f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:{name}"
    config = {"BackupVaultName": name, "BackupVaultArn": arn, "EncryptionKeyArn": kms,
              "Notifications": None}
    if access_policy is not None:
        config["AccessPolicy"] = access_policy
    if lock is not None:
        config["LockConfiguration"] = lock
    add("AWS::Backup::BackupVault", name, config, short=name, name=name, arn=arn, created=created)


def backup_plan(plan_id, name, rules, created):
    arn = f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-plan:{plan_id}"
    add("AWS::Backup::BackupPlan", plan_id, {
        "BackupPlanId": plan_id,
        "BackupPlanArn": arn,
        "VersionId": lower_id("backup-plan-version/" + name, 32),
        "BackupPlan": {"BackupPlanName": name, "BackupPlanRule": rules},
    }, short=name, name=name, arn=arn, created=created)


def backup_selection(plan_id, name, role, resources, created):
    sel_id = uid(f"backup/selection/{ACCOUNT}/{name}")
    add("AWS::Backup::BackupSelection", sel_id, {
        "BackupPlanId": plan_id,
        "SelectionId": sel_id,
        "BackupSelection": {"SelectionName": name, "IamRoleArn": role, "Resources": resources,
                            "NotResources": [], "ListOfTags": [],
                            "Conditions": {"StringEquals": [], "StringNotEquals": [], "StringLike": [], "StringNotLike": []}},
    }, short=name, name=name, created=created,
        relationships=[rel("AWS::Backup::BackupPlan", plan_id, "Is contained in BackupPlan")])


def recovery_point(arn, resource_arn, resource_type, vault, encrypted, created, size, plan_arn=None, kms=None):
    config = {
        "RecoveryPointArn": arn,
        "BackupVaultName": vault,
        "BackupVaultArn": f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:{vault}",
        "ResourceArn": resource_arn,
        "ResourceType": resource_type,
        "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ehr-backup-role",
        "Status": "COMPLETED",
        "CreationDate": created,
        "CompletionDate": created,
        "BackupSizeInBytes": size,
        "IsEncrypted": encrypted,
        "StorageClass": "WARM",
        "Lifecycle": {"DeleteAfterDays": 35},
    }
    if kms:
        config["EncryptionKeyArn"] = kms
    if plan_arn:
        config["CreatedBy"] = {"BackupPlanArn": plan_arn, "BackupPlanId": plan_arn.split(":")[-1],
                               "BackupPlanVersion": lower_id("backup-plan-version/riverside-phi-daily", 32),
                               "BackupRuleId": uid("backup/rule/daily-35d")}
    add("AWS::Backup::RecoveryPoint", arn, config, short=f"recovery point of {resource_arn.split(':')[-1]} ({created[:10]})",
        arn=arn, created=created)


def prod_backup():
    backup_vault("riverside-phi-vault", KMS_KEY_ARN, "2024-02-08T11:18:02.000Z", access_policy=doc(
        {"Sid": "DenyManualDeletionOfRecoveryPoints", "Effect": "Deny", "Principal": {"AWS": "*"},
         "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle",
                    "backup:PutBackupVaultAccessPolicy"], "Resource": "*"}))
    backup_vault("Default", f"arn:aws:kms:{REGION}:{PROD}:key/{uid('kms/aws-backup')}", "2025-06-01T20:14:51.000Z")
    backup_plan(PHI_PLAN_ID, "riverside-phi-daily", [{
        "RuleName": "daily-35d", "TargetBackupVault": "riverside-phi-vault",
        "ScheduleExpression": "cron(0 5 ? * * *)", "StartWindowMinutes": 60, "CompletionWindowMinutes": 360,
        "Lifecycle": {"DeleteAfterDays": 35},
        "CopyActions": [{"DestinationBackupVaultArn": DR_VAULT_ARN, "Lifecycle": {"DeleteAfterDays": 35}}],
        "EnableContinuousBackup": False}], "2024-02-08T11:20:41.000Z")
    backup_selection(PHI_PLAN_ID, "phi-resources", f"arn:aws:iam::{PROD}:role/ehr-backup-role", [
        arn_of("rds", "db:ehr-db"),
        arn_of("rds", "cluster:analytics-aurora"),
        arn_of("ec2", f"instance/{INSTANCE['ehr-app-1']}"),
        arn_of("ec2", f"instance/{INSTANCE['ehr-app-2']}"),
        arn_of("ec2", f"volume/{VOLUME['ehr-app-1-root']}"),
        arn_of("ec2", f"volume/{VOLUME['ehr-app-2-root']}"),
        arn_of("dynamodb", "table/appointment-reminders"),
        arn_of("elasticfilesystem", f"file-system/{FS_EHR_SCANS}"),
    ], "2024-02-08T11:22:10.000Z")
    plan_arn = f"arn:aws:backup:{REGION}:{PROD}:backup-plan:{PHI_PLAN_ID}"
    recovery_point(f"arn:aws:rds:{REGION}:{PROD}:snapshot:awsbackup:job-{uid('backup-job/ehr-db/2026-11-19')}",
                   arn_of("rds", "db:ehr-db"), "RDS", "riverside-phi-vault", True, "2026-11-19T05:41:02.000Z",
                   536870912000, plan_arn, KMS_KEY_ARN)
    # On-demand backup taken before the October reporting-db upgrade; the source is unencrypted.
    recovery_point(f"arn:aws:rds:{REGION}:{PROD}:snapshot:awsbackup:job-{uid('backup-job/reporting-db/2026-10-11')}",
                   arn_of("rds", "db:reporting-db"), "RDS", "Default", False, "2026-10-11T21:03:44.000Z",
                   214748364800)


# ================================================================= OpenSearch Service domains (both accounts)
def search_domain(name, version, vpc, subnets, sg, encrypted, kms, n2n, https, tls, logs, created, t, instance):
    """One OpenSearch Service domain, recorded by AWS Config under both of its resource types:
    AWS::Elasticsearch::Domain (camelCase, the 2015 API) and AWS::OpenSearch::Domain (PascalCase)."""
    domain_id = f"{ACCOUNT}/{name}"
    arn = f"arn:aws:es:{REGION}:{ACCOUNT}:domain/{name}"
    endpoint = f"{'vpc-' if vpc else 'search-'}{name}-{lower_id('es/' + name, 26)}.{REGION}.es.amazonaws.com"
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/OpenSearchService/domains/{name}"
    es_logs = {k: {"cloudWatchLogsLogGroupArn": f"{group}/{k.lower()}", "enabled": True} for k in logs}
    os_logs = {k: {"CloudWatchLogsLogGroupArn": f"{group}/{k.lower()}", "Enabled": True} for k in logs}
    es = {
        "domainId": domain_id, "domainName": name, "arn": arn, "created": True, "deleted": False,
        "elasticsearchVersion": version,
        "elasticsearchClusterConfig": {"instanceType": instance + ".elasticsearch", "instanceCount": 2,
                                       "dedicatedMasterEnabled": False, "zoneAwarenessEnabled": True,
                                       "zoneAwarenessConfig": {"availabilityZoneCount": 2}, "warmEnabled": False},
        "ebsoptions": {"ebsenabled": True, "volumeType": "gp3", "volumeSize": 100, "iops": 3000, "throughput": 125},
        "snapshotOptions": {"automatedSnapshotStartHour": 0},
        "cognitoOptions": {"enabled": False},
        "encryptionAtRestOptions": {"enabled": encrypted, **({"kmsKeyId": kms} if encrypted else {})},
        "nodeToNodeEncryptionOptions": {"enabled": n2n},
        "domainEndpointOptions": {"enforceHTTPS": https, "tlssecurityPolicy": tls, "customEndpointEnabled": False},
        "advancedSecurityOptions": {"enabled": encrypted and n2n and https, "internalUserDatabaseEnabled": False},
        "logPublishingOptions": es_logs,
        "processing": False, "upgradeProcessing": False,
    }
    osd = {
        "Id": domain_id, "DomainName": name, "Arn": arn, "EngineVersion": version if version.startswith("OpenSearch") else f"Elasticsearch_{version}",
        "ClusterConfig": {"InstanceType": instance + ".search", "InstanceCount": 2, "DedicatedMasterEnabled": False,
                          "ZoneAwarenessEnabled": True, "WarmEnabled": False},
        "EBSOptions": {"EBSEnabled": True, "VolumeType": "gp3", "VolumeSize": 100},
        "SnapshotOptions": {"AutomatedSnapshotStartHour": 0},
        "CognitoOptions": {"Enabled": False},
        "EncryptionAtRestOptions": {"Enabled": encrypted, **({"KmsKeyId": kms} if encrypted else {})},
        "NodeToNodeEncryptionOptions": {"Enabled": n2n},
        "DomainEndpointOptions": {"EnforceHTTPS": https, "TLSSecurityPolicy": tls, "CustomEndpointEnabled": False},
        "AdvancedSecurityOptions": {"Enabled": encrypted and n2n and https, "InternalUserDatabaseEnabled": False},
        "LogPublishingOptions": os_logs,
    }
    if vpc:
        es["vpcoptions"] = {"vpcid": vpc, "subnetIds": subnets, "securityGroupIds": [sg],
                            "availabilityZones": ["us-east-1a", "us-east-1b"]}
        es["endpoints"] = {"vpc": endpoint}
        osd["VPCOptions"] = {"SubnetIds": subnets, "SecurityGroupIds": [sg]}
    else:
        es["endpoint"] = endpoint
    access = doc({"Effect": "Allow", "Principal": {"AWS": "*"} if not vpc else {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                  "Action": "es:*", "Resource": f"{arn}/*"})
    es["accessPolicies"] = compact(access)
    osd["AccessPolicies"] = access
    osd["Tags"] = cfn_tags(t)
    rels = ([rel("AWS::EC2::SecurityGroup", sg, "Is associated with SecurityGroup")]
            + [rel("AWS::EC2::Subnet", s, "Is associated with Subnet") for s in subnets]
            + ([rel("AWS::KMS::Key", kms.split("/")[-1], "Is associated with KMSKey")] if encrypted else [])
            + [rel("AWS::EC2::VPC", vpc, "Is associated with Vpc")]) if vpc else []
    # The two types name the domain differently: AWS::Elasticsearch::Domain by its DomainId
    # (ACCOUNT/NAME), AWS::OpenSearch::Domain by its name (aws-config-rdk sample items).
    add("AWS::Elasticsearch::Domain", domain_id, es, short=name, name=name, arn=arn,
        az="Multiple Availability Zones", tags=t, relationships=rels, supplementary={"Tags": tag_list(t)})
    add("AWS::OpenSearch::Domain", name, osd, short=name, name=name, arn=arn, az="Regional", tags=t)


def prod_search():
    # HL7 message and EHR access-log search for the privacy officer.
    search_domain("ehr-audit-search", "OpenSearch_2.13", VPC_PROD, [SUBNET_ID["app-a"], SUBNET_ID["app-b"]],
                  SG["audit-search"], True, KMS_KEY_ARN, True, True, "Policy-Min-TLS-1-2-PFS-2023-10",
                  ["ES_APPLICATION_LOGS", "AUDIT_LOGS"], "2025-10-02T13:40:55.000Z",
                  tags("ehr-audit-search", PHI, {"app": "privacy-office"}), "r6g.large")


# ================================================================= the analytics account
VPC_ANALYTICS = rid("vpc", "analytics")
AN_SUBNETS = {
    "an-public-a": ("10.40.0.0/24", "us-east-1a", True),
    "an-private-a": ("10.40.10.0/24", "us-east-1a", False),
    "an-private-b": ("10.40.11.0/24", "us-east-1b", False),
}
AN_SUBNET_ID = {n: rid("subnet", n) for n in AN_SUBNETS}
AN_SG = {n: rid("sg", n) for n in ["default-analytics", "bi-alb", "bi-dashboard", "warehouse", "sandbox-dw",
                                    "research-db", "notebook", "dms", "bi-cache", "emr-master", "emr-slave",
                                    "survey-app-prod", "survey-app-staging"]}
AN_ACL = rid("acl", "analytics-default")
AN_IGW = rid("igw", "analytics")
AN_RTB = {"public": rid("rtb", "analytics-public"), "private": rid("rtb", "analytics-private")}
AN_INSTANCE = {n: rid("i", n) for n in ["bi-dashboard-1", "jupyter-gpu-1", "claims-etl-master", "genomics-spark-master",
                                        "survey-app-prod-1", "survey-app-staging-1"]}
AN_VOLUME = {n: rid("vol", n) for n in ["bi-dashboard-1-root", "jupyter-gpu-1-root", "claims-etl-master-root",
                                        "genomics-spark-master-root", "survey-app-prod-1-root",
                                        "survey-app-staging-1-root"]}
EMR = {"claims-etl": "j-" + upper_id("", "emr:claims-etl", 13), "genomics-spark": "j-" + upper_id("", "emr:genomics-spark", 13)}
AN_ENI = {n: rid("eni", n) for n in AN_INSTANCE}
LAKE_KEY_ID = uid("kms/analytics-lake")
LAKE_KEY_ARN = f"arn:aws:kms:{REGION}:{ANALYTICS}:key/{LAKE_KEY_ID}"
AN_OWNER_CANONICAL_ID = hashlib.sha256(b"riverside-analytics-canonical-user").hexdigest()
AN_BUCKET = {
    "lake": f"riverside-analytics-lake-{ANALYTICS}",
    "dashboard": f"riverside-community-dashboard-{ANALYTICS}",
    "dropbox": f"riverside-partner-dropbox-{ANALYTICS}",
}
BI_ALB_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ANALYTICS}:loadbalancer/app/bi-dashboard-alb/{hexid('alb', 'bi-dashboard', 16)}"
BI_TG_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ANALYTICS}:targetgroup/bi-dashboard-tg/{hexid('tg', 'bi-dashboard', 16)}"
FS_NOTEBOOKS = "fs-" + hexid("fs", "research-notebooks", 17)
AN_PLAN_ID = uid("backup/plan/analytics-weekly")


def analytics_account_items():
    # Block Public Access for policies was turned off in 2025 to publish the community dashboard.
    add("AWS::S3::AccountPublicAccessBlock", ANALYTICS,
        {"blockPublicAcls": True, "ignorePublicAcls": True,
         "blockPublicPolicy": False, "restrictPublicBuckets": False}, short="analytics PAB")
    add("AWS::EC2::SnapshotBlockPublicAccess", ANALYTICS,
        {"State": "block-new-sharing", "AccountId": ANALYTICS}, short="analytics snapshot BPA")


def analytics_network():
    rels = [rel("AWS::EC2::Subnet", AN_SUBNET_ID[s], "Contains Subnet") for s in AN_SUBNETS]
    rels += [rel("AWS::EC2::NetworkAcl", AN_ACL, "Contains NetworkAcl")]
    rels += [rel("AWS::EC2::SecurityGroup", g, "Contains SecurityGroup") for g in AN_SG.values()]
    rels += [rel("AWS::EC2::Instance", i, "Contains Instance") for i in AN_INSTANCE.values()]
    rels += [rel("AWS::EC2::InternetGateway", AN_IGW, "Is attached to InternetGateway")]
    rels += [rel("AWS::EC2::RouteTable", r, "Contains RouteTable") for r in AN_RTB.values()]
    vpc_item("analytics", VPC_ANALYTICS, ANALYTICS_CIDR, False, "riverside-analytics", rels,
             "2025-02-10T10:04:51.000Z", t=atags("riverside-analytics"))
    placement = {"bi-dashboard-1": "an-private-a", "jupyter-gpu-1": "an-private-b", "claims-etl-master": "an-private-a",
                 "genomics-spark-master": "an-public-a", "survey-app-prod-1": "an-public-a",
                 "survey-app-staging-1": "an-public-a"}
    for name, (cidr, az, public) in AN_SUBNETS.items():
        extra = []
        for inst, sub in placement.items():
            if sub == name:
                extra.append(rel("AWS::EC2::Instance", AN_INSTANCE[inst], "Contains Instance"))
                extra.append(rel("AWS::EC2::NetworkInterface", AN_ENI[inst], "Contains NetworkInterface"))
        subnet_item(name, AN_SUBNET_ID[name], VPC_ANALYTICS, cidr, az, public, AN_ACL,
                    AN_RTB["public" if public else "private"], f"riverside-analytics-{name[3:]}",
                    "2025-02-10T10:05:30.000Z", extra, t=atags(f"riverside-analytics-{name[3:]}"))
    igw_item("igw-analytics", AN_IGW, VPC_ANALYTICS, "riverside-analytics-igw", "2025-02-10T10:05:02.000Z")
    rtb_item("rtb-an-public", AN_RTB["public"], VPC_ANALYTICS, "riverside-analytics-public", [
        route(ANALYTICS_CIDR, gatewayId="local"),
        route("0.0.0.0/0", gatewayId=AN_IGW),
    ], [AN_SUBNET_ID["an-public-a"]], created="2025-02-10T10:06:11.000Z")
    rtb_item("rtb-an-private", AN_RTB["private"], VPC_ANALYTICS, "riverside-analytics-private", [
        route(ANALYTICS_CIDR, gatewayId="local"),
        route(S3_PREFIX_LIST, gatewayId=rid("vpce", "analytics-s3")),
    ], [AN_SUBNET_ID["an-private-a"], AN_SUBNET_ID["an-private-b"]], main=True, created="2025-02-10T10:06:12.000Z")
    # Never customized: the VPC's default NACL allows everything.
    acl_item("acl-analytics-default", AN_ACL, VPC_ANALYTICS, None, list(AN_SUBNET_ID.values()), True,
             DEFAULT_ACL_ENTRIES, "analytics-default")
    groups = {
        "default-analytics": ("default", "default VPC security group",
                              [perm("-1", groups=[AN_SG["default-analytics"]])], all_out(), None, []),
        "bi-alb": ("bi-alb-sg", "BI dashboard load balancer: HTTP from the clinic networks",
                   [perm("tcp", (80, 80), cidrs=["10.0.0.0/8"], description="clinic networks over the VPN")],
                   all_out(), atags("bi-alb-sg"),
                   [("AWS::ElasticLoadBalancingV2::LoadBalancer", BI_ALB_ARN, "Is associated with LoadBalancerV2")]),
        "bi-dashboard": ("bi-dashboard-sg", "BI dashboard servers",
                         [perm("tcp", (8088, 8088), groups=[AN_SG["bi-alb"]], description="from the ALB")],
                         all_out(), atags("bi-dashboard-sg"),
                         [("AWS::EC2::Instance", AN_INSTANCE["bi-dashboard-1"], "Is associated with Instance")]),
        "warehouse": ("warehouse-sg", "population-health-dw: Redshift from the VPC",
                      [perm("tcp", (5439, 5439), cidrs=[ANALYTICS_CIDR], description="analytics VPC")],
                      [], atags("warehouse-sg"), []),
        "sandbox-dw": ("research-sandbox-dw-sg", "research-sandbox-dw: Redshift for the university partner",
                       [perm("tcp", (5439, 5439), cidrs=["0.0.0.0/0"], description="TODO university IP ranges")],
                       all_out(), atags("research-sandbox-dw-sg"), []),
        "research-db": ("research-db-sg", "research-aurora-pg: PostgreSQL from the notebooks",
                        [perm("tcp", (5432, 5432), groups=[AN_SG["notebook"]], description="SageMaker notebooks")],
                        [], atags("research-db-sg"), []),
        "notebook": ("notebook-sg", "SageMaker notebooks and the GPU workstation", [], all_out(),
                     atags("notebook-sg"),
                     [("AWS::EC2::Instance", AN_INSTANCE["jupyter-gpu-1"], "Is associated with Instance")]),
        "dms": ("dms-lake-cdc-sg", "DMS change data capture into the lake", [], all_out(), atags("dms-lake-cdc-sg"), []),
        "bi-cache": ("bi-cache-sg", "BI dashboard caches: Redis and Memcached from the dashboard servers",
                     [perm("tcp", (6379, 6379), groups=[AN_SG["bi-dashboard"]], description="bi-sessions"),
                      perm("tcp", (11211, 11211), groups=[AN_SG["bi-dashboard"]], description="bi-memcached")],
                     [], atags("bi-cache-sg"), []),
        # EMR's managed groups; a researcher added SSH from anywhere to reach the genomics notebook.
        "emr-master": ("ElasticMapReduce-master", "Master group for Elastic MapReduce created on 2025-11-03T14:20:11.000Z",
                       [perm("tcp", (0, 65535), groups=[AN_SG["emr-master"], AN_SG["emr-slave"]]),
                        perm("udp", (0, 65535), groups=[AN_SG["emr-master"], AN_SG["emr-slave"]]),
                        perm("icmp", (-1, -1), groups=[AN_SG["emr-master"], AN_SG["emr-slave"]]),
                        perm("tcp", (22, 22), cidrs=["0.0.0.0/0"])],
                       all_out(), {}, [("AWS::EC2::Instance", AN_INSTANCE["genomics-spark-master"], "Is associated with Instance"),
                                       ("AWS::EC2::Instance", AN_INSTANCE["claims-etl-master"], "Is associated with Instance")]),
        "emr-slave": ("ElasticMapReduce-slave", "Slave group for Elastic MapReduce created on 2025-11-03T14:20:11.000Z",
                      [perm("tcp", (0, 65535), groups=[AN_SG["emr-master"], AN_SG["emr-slave"]]),
                       perm("udp", (0, 65535), groups=[AN_SG["emr-master"], AN_SG["emr-slave"]]),
                       perm("icmp", (-1, -1), groups=[AN_SG["emr-master"], AN_SG["emr-slave"]])],
                      all_out(), {}, []),
    }
    for key, (group_name, description, ingress, egress, t, attached) in groups.items():
        sg_item(key if group_name == "default" else group_name, AN_SG[key], group_name, description, VPC_ANALYTICS,
                ingress, egress, t, attached,
                "2025-02-10T10:07:00.000Z")


def analytics_compute():
    specs = {
        "bi-dashboard-1": ("t3.large", "default", "ami-0" + hexid("ami", "superset-4.1", 16), ["bi-dashboard"],
                           "bi-dashboard-1-root", None, "2026-09-14T08:31:20.000Z",
                           atags("bi-dashboard-1", {"app": "bi-dashboard"}),
                           f"arn:aws:iam::{ANALYTICS}:instance-profile/bi-dashboard-profile",
                           "required", "running", "", None),
        "jupyter-gpu-1": ("g5.xlarge", "default", "ami-0" + hexid("ami", "dlami-2026-10", 16), ["notebook"],
                          "jupyter-gpu-1-root", None, "2026-11-03T14:12:09.000Z",
                          atags("jupyter-gpu-1", {"app": "research"}),
                          f"arn:aws:iam::{ANALYTICS}:instance-profile/jupyter-gpu-profile",
                          "required", "stopped", "User initiated (2026-11-16 23:05:41 GMT)", None),
        # EMR master nodes (single-node clusters); EMR tags its instances with the cluster id.
        "claims-etl-master": ("m5.xlarge", "default", "ami-0" + hexid("ami", "emr-7.2.0", 16), ["emr-master"],
                              "claims-etl-master-root", None, "2025-11-03T14:22:40.000Z",
                              {"aws:elasticmapreduce:job-flow-id": EMR["claims-etl"],
                               "aws:elasticmapreduce:instance-group-role": "MASTER", "app": "claims-etl"},
                              f"arn:aws:iam::{ANALYTICS}:instance-profile/EMR_EC2_DefaultRole",
                              "required", "running", "", None),
        "genomics-spark-master": ("m5.2xlarge", "default", "ami-0" + hexid("ami", "emr-7.2.0", 16), ["emr-master"],
                                  "genomics-spark-master-root", "3.92.18.77", "2026-11-18T15:02:09.000Z",
                                  {"aws:elasticmapreduce:job-flow-id": EMR["genomics-spark"],
                                   "aws:elasticmapreduce:instance-group-role": "MASTER", "app": "research"},
                                  f"arn:aws:iam::{ANALYTICS}:instance-profile/EMR_EC2_DefaultRole",
                                  "optional", "running", "", None),
    }
    placement = {"bi-dashboard-1": ("an-private-a", "10.40.10.31"), "jupyter-gpu-1": ("an-private-b", "10.40.11.80"),
                 "claims-etl-master": ("an-private-a", "10.40.10.90"), "genomics-spark-master": ("an-public-a", "10.40.0.77")}
    names = {"bi-dashboard": "bi-dashboard-sg", "notebook": "notebook-sg", "emr-master": "ElasticMapReduce-master"}
    for name, spec in specs.items():
        subnet, ip = placement[name]
        instance_item(name, AN_INSTANCE[name], AN_ENI[name], AN_SUBNET_ID[subnet], AN_SUBNETS[subnet][1],
                      VPC_ANALYTICS, ip, spec, [AN_SG[g] for g in spec[3]], [names[g] for g in spec[3]],
                      AN_VOLUME[spec[4]], key_name="analytics-2026")
    # The launch template encrypts the dashboard's volume; the GPU workstation was launched by
    # hand, and EBS encryption by default is off in this account.
    volume_item("bi-dashboard-1-root", AN_VOLUME["bi-dashboard-1-root"], AN_INSTANCE["bi-dashboard-1"],
                specs["bi-dashboard-1"][6], 30, True, "us-east-1a", "2026-09-14T08:31:21.005Z",
                atags("bi-dashboard-1-root"), LAKE_KEY_ARN)
    volume_item("jupyter-gpu-1-root", AN_VOLUME["jupyter-gpu-1-root"], AN_INSTANCE["jupyter-gpu-1"],
                specs["jupyter-gpu-1"][6], 500, False, "us-east-1b", "2026-11-03T14:12:10.440Z",
                atags("jupyter-gpu-1-root"), None)
    # claims-etl's security configuration turns on local-disk (EBS) encryption; genomics-spark has none.
    volume_item("claims-etl-master-root", AN_VOLUME["claims-etl-master-root"], AN_INSTANCE["claims-etl-master"],
                specs["claims-etl-master"][6], 64, True, "us-east-1a", "2025-11-03T14:22:41.220Z",
                {"aws:elasticmapreduce:job-flow-id": EMR["claims-etl"]}, LAKE_KEY_ARN)
    volume_item("genomics-spark-master-root", AN_VOLUME["genomics-spark-master-root"],
                AN_INSTANCE["genomics-spark-master"], specs["genomics-spark-master"][6], 64, False, "us-east-1a",
                "2026-11-18T15:02:10.007Z", {"aws:elasticmapreduce:job-flow-id": EMR["genomics-spark"]}, None)
    alb_item("bi-dashboard-alb", "bi-dashboard-alb", BI_ALB_ARN, "internal", VPC_ANALYTICS,
             [AN_SUBNET_ID["an-private-a"], AN_SUBNET_ID["an-private-b"]], ["us-east-1a", "us-east-1b"],
             [AN_SG["bi-alb"]], [
                 ("access_logs.s3.enabled", "false"), ("access_logs.s3.bucket", ""), ("access_logs.s3.prefix", ""),
                 ("deletion_protection.enabled", "false"), ("idle_timeout.timeout_seconds", "60"),
                 ("routing.http.drop_invalid_header_fields.enabled", "false"),
                 ("routing.http.desync_mitigation_mode", "defensive"), ("routing.http2.enabled", "true"),
                 ("waf.fail_open.enabled", "false"), ("connection_logs.s3.enabled", "false")],
             "2026-09-14T08:20:11.402Z", atags("bi-dashboard-alb", {"app": "bi-dashboard"}), "bi")
    listener("bi-dashboard-alb HTTP:80", BI_ALB_ARN, "bi-dashboard-alb", 80, "HTTP", [forward(BI_TG_ARN)],
             created="2026-09-14T08:20:40.000Z")
    lt = {"launchTemplateId": "lt-0" + hexid("lt", "bi-dashboard", 16), "launchTemplateName": "bi-dashboard",
          "version": "$Latest"}
    auto_scaling_group("bi-dashboard-asg", None, lt, [], [BI_TG_ARN], "ELB", 1,
                       [AN_SUBNET_ID["an-private-a"], AN_SUBNET_ID["an-private-b"]], "2026-09-14T08:25:02.115Z",
                       atags("bi-dashboard-asg", {"app": "bi-dashboard"}),
                       instances=[(AN_INSTANCE["bi-dashboard-1"], "us-east-1a")])
    for env, managed, created, version in [("survey-app-prod", True, "2025-05-06T18:22:10.000Z", "v2026.10.2"),
                                           ("survey-app-staging", False, "2025-05-06T17:40:31.000Z", "v2026.11.1")]:
        beanstalk_environment(env, managed, created, version)


def beanstalk_environment(env, managed, created, version):
    """An Elastic Beanstalk environment; AWS Config records its option settings as a map
    namespace -> option -> {value} (aws-config-rdk AWS_ElasticBeanstalk_Environment.json)."""
    env_id = "e-" + lower_id("beanstalk/" + env, 10)
    arn = f"arn:aws:elasticbeanstalk:{REGION}:{ANALYTICS}:environment/patient-surveys/{env}"
    options = {
        "aws:elasticbeanstalk:environment": {"EnvironmentType": {"value": "SingleInstance"},
                                             "ServiceRole": {"value": "AWSServiceRoleForElasticBeanstalk"}},
        "aws:elasticbeanstalk:managedactions": {"ManagedActionsEnabled": {"value": "true" if managed else "false"},
                                                "PreferredStartTime": {"value": "Sun:09:00"},
                                                "ServiceRoleForManagedUpdates": {"value": "AWSServiceRoleForElasticBeanstalkManagedUpdates"}},
        "aws:elasticbeanstalk:managedactions:platformupdate": {"UpdateLevel": {"value": "minor"},
                                                               "InstanceRefreshEnabled": {"value": "false"}},
        "aws:autoscaling:asg": {"MinSize": {"value": "1"}, "MaxSize": {"value": "1"}},
        "aws:autoscaling:launchconfiguration": {"InstanceType": {"value": "t3.small"},
                                                "IamInstanceProfile": {"value": "aws-elasticbeanstalk-ec2-role"},
                                                "DisableIMDSv1": {"value": "true"}},
        "aws:ec2:vpc": {"VPCId": {"value": VPC_ANALYTICS}, "Subnets": {"value": AN_SUBNET_ID["an-public-a"]},
                        "AssociatePublicIpAddress": {"value": "true"}},
        "aws:elasticbeanstalk:cloudwatch:logs": {"StreamLogs": {"value": "true"}, "RetentionInDays": {"value": "30"},
                                                 "DeleteOnTerminate": {"value": "false"}},
        "aws:elasticbeanstalk:healthreporting:system": {"SystemType": {"value": "enhanced"}},
    }
    t = atags(env, {"app": "patient-surveys", "elasticbeanstalk:environment-name": env,
                    "elasticbeanstalk:environment-id": env_id})
    add("AWS::ElasticBeanstalk::Environment", env_id, {
        "applicationName": "patient-surveys",
        "cNAME": f"{env}.eba-{lower_id('beanstalk/cname', 8)}.{REGION}.elasticbeanstalk.com",
        "dateCreated": java_date(created),
        "dateUpdated": java_date("2026-10-28T11:40:03.000Z"),
        "description": "Post-visit patient satisfaction surveys (de-identified)",
        "endpointURL": f"awseb-{env_id}-{lower_id('beanstalk/elb/' + env, 8)}.{REGION}.elb.amazonaws.com",
        "environmentArn": arn,
        "environmentId": env_id,
        "environmentName": env,
        "optionSettings": options,
        "platformArn": f"arn:aws:elasticbeanstalk:{REGION}::platform/Python 3.11 running on 64bit Amazon Linux 2023/4.3.1",
        "solutionStackName": "64bit Amazon Linux 2023 v4.3.1 running Python 3.11",
        "status": "Ready",
        "tags": t,
        "tier": {"name": "WebServer", "type": "Standard", "version": "1.0"},
        "versionLabel": version,
    }, short=env, name=env, arn=arn, created=created, tags=t,
        relationships=[rel("AWS::ElasticBeanstalk::Application",
                           f"arn:aws:elasticbeanstalk:{REGION}:{ANALYTICS}:application/patient-surveys",
                           "Is contained in Application", "patient-surveys"),
                       rel("AWS::AutoScaling::AutoScalingGroup", None, "Contains AutoScalingGroup",
                           f"awseb-{env_id}-stack-AWSEBAutoScalingGroup-{upper_id('', 'asg/' + env, 12)}"),
                       rel("AWS::EC2::SecurityGroup", AN_SG[env], "Is associated with SecurityGroup")])
    # What Elastic Beanstalk created for the single-instance environment: an instance with an
    # Elastic IP in the public subnet, its Auto Scaling group and security group.
    stack = f"awseb-{env_id}-stack"
    asg = f"{stack}-AWSEBAutoScalingGroup-{upper_id('', 'asg/' + env, 12)}"
    sg_name = f"{stack}-AWSEBSecurityGroup-{upper_id('', 'sg/' + env, 12)}"
    eb_tags = {"elasticbeanstalk:environment-name": env, "elasticbeanstalk:environment-id": env_id,
               "aws:cloudformation:stack-name": stack, "Name": env}
    sg_item(f"{env} (Beanstalk)", AN_SG[env], sg_name, "SecurityGroup for ElasticBeanstalk environment.", VPC_ANALYTICS,
            [perm("tcp", (80, 80), cidrs=["0.0.0.0/0"])], all_out(), dict(eb_tags),
            [("AWS::EC2::Instance", AN_INSTANCE[env + "-1"], "Is associated with Instance")], created)
    ip = {"survey-app-prod": "10.40.0.21", "survey-app-staging": "10.40.0.22"}[env]
    public = {"survey-app-prod": "44.211.90.12", "survey-app-staging": "44.211.90.13"}[env]
    launched = {"survey-app-prod": "2026-10-28T11:36:52.000Z", "survey-app-staging": "2026-11-12T09:14:20.000Z"}[env]
    spec = ("t3.small", "default", "ami-0" + hexid("ami", "beanstalk-al2023-python-4.3.1", 16), [env],
            env + "-1-root", public, launched, dict(eb_tags, **{"aws:autoscaling:groupName": asg}),
            f"arn:aws:iam::{ANALYTICS}:instance-profile/aws-elasticbeanstalk-ec2-role", "required", "running", "", None)
    instance_item(env + "-1", AN_INSTANCE[env + "-1"], AN_ENI[env + "-1"], AN_SUBNET_ID["an-public-a"], "us-east-1a",
                  VPC_ANALYTICS, ip, spec, [AN_SG[env]], [sg_name], AN_VOLUME[env + "-1-root"], key_name=None)
    volume_item(env + "-1-root", AN_VOLUME[env + "-1-root"], AN_INSTANCE[env + "-1"], launched, 8, False,
                "us-east-1a", launched.replace(".000Z", ".512Z"), {"elasticbeanstalk:environment-name": env}, None)
    auto_scaling_group(asg, None, {"launchTemplateId": "lt-0" + hexid("lt", env, 16),
                                   "launchTemplateName": f"{stack}-AWSEBEC2LaunchTemplate", "version": "1"},
                       [], [], "EC2", 1, [AN_SUBNET_ID["an-public-a"]], created, dict(eb_tags),
                       instances=[(AN_INSTANCE[env + "-1"], "us-east-1a")], short=f"{env} (Beanstalk ASG)",
                       instance_type="t3.small")


def analytics_storage():
    t = atags("research-notebooks", {"app": "research"})
    fs_arn = arn_of("elasticfilesystem", f"file-system/{FS_NOTEBOOKS}")
    add("AWS::EFS::FileSystem", FS_NOTEBOOKS, {
        "FileSystemId": FS_NOTEBOOKS, "Arn": fs_arn, "Encrypted": False,
        "PerformanceMode": "generalPurpose", "ThroughputMode": "bursting",
        "BackupPolicy": {"Status": "DISABLED"},
        "LifecyclePolicies": [],
        "FileSystemProtection": {"ReplicationOverwriteProtection": "ENABLED"},
        "FileSystemTags": cfn_tags(t),
    }, short="research-notebooks", name="research-notebooks", arn=fs_arn, created="2025-03-20T09:18:31.000Z", tags=t)
    lake, dash, drop = AN_BUCKET["lake"], AN_BUCKET["dashboard"], AN_BUCKET["dropbox"]
    bucket_item(lake, "2025-02-10T11:02:40.000Z", atags(lake, {"data-classification": "de-identified"}),
                sse=("aws:kms", LAKE_KEY_ARN, True), versioning="Enabled", logging=None,
                policy=doc(deny_insecure(lake)), owner=AN_OWNER_CANONICAL_ID, pab=True,
                lifecycle=[dict(lifecycle_rule("raw-to-glacier", 1095, 30), id="raw-to-glacier")])
    # The public community-health dashboard (aggregate statistics), a static website.
    bucket_item(dash, "2025-06-18T15:44:09.000Z", atags(dash, {"data-classification": "public"}),
                sse=("AES256", None, False), versioning="Off", logging=None,
                policy=doc({"Sid": "PublicReadForDashboard", "Effect": "Allow", "Principal": "*",
                            "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{dash}/*"}),
                owner=AN_OWNER_CANONICAL_ID, pab=False,
                website={"indexDocumentSuffix": "index.html", "errorDocument": "error.html",
                         "redirectAllRequestsTo": None, "routingRules": []})
    # Result files from the partner laboratory: meant to be limited to the lab, but the only
    # condition forces bucket-owner-full-control.
    bucket_item(drop, "2025-09-02T10:12:30.000Z", atags(drop, {"data-classification": "phi"}),
                sse=("AES256", None, False), versioning="Off", logging=None,
                policy=doc({"Sid": "PartnerLabUploads", "Effect": "Allow", "Principal": "*",
                            "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{drop}/incoming/*",
                            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}),
                owner=AN_OWNER_CANONICAL_ID, pab=False)


def redshift_cluster(name, node, nodes, encrypted, public, retention, allow_upgrade, group, logging, sg, sng,
                     created, t, subnets_public):
    arn = arn_of("redshift", f"cluster:{name}")
    add("AWS::Redshift::Cluster", name, {
        "clusterIdentifier": name,
        "nodeType": node,
        "clusterStatus": "available",
        "clusterAvailabilityStatus": "Available",
        "masterUsername": "awsuser",
        "dBName": "dev",
        "endpoint": {"address": f"{name}.c{lower_id('redshift/' + name, 10)}.{REGION}.redshift.amazonaws.com", "port": 5439},
        "clusterCreateTime": created,
        "automatedSnapshotRetentionPeriod": retention,
        "manualSnapshotRetentionPeriod": -1,
        "clusterSecurityGroups": [],
        "vpcSecurityGroups": [{"vpcSecurityGroupId": sg, "status": "active"}],
        "clusterParameterGroups": [{"parameterGroupName": group, "parameterApplyStatus": "in-sync",
                                    "clusterParameterStatusList": []}],
        "clusterSubnetGroupName": sng,
        "vpcId": VPC_ANALYTICS,
        "availabilityZone": "us-east-1a",
        "preferredMaintenanceWindow": "sun:06:30-sun:07:00",
        "pendingModifiedValues": {},
        "clusterVersion": "1.0",
        "allowVersionUpgrade": allow_upgrade,
        "numberOfNodes": nodes,
        "publiclyAccessible": public,
        "encrypted": encrypted,
        "kmsKeyId": LAKE_KEY_ARN if encrypted else None,
        "enhancedVpcRouting": encrypted,
        "iamRoles": [{"iamRoleArn": f"arn:aws:iam::{ANALYTICS}:role/redshift-lake-role", "applyStatus": "in-sync"}],
        "maintenanceTrackName": "current",
        "elasticIpStatus": None,
        "clusterNodes": [{"nodeRole": "SHARED" if nodes == 1 else ("LEADER" if i == 0 else f"COMPUTE-{i - 1}"),
                          "privateIPAddress": f"10.40.{0 if subnets_public else 10}.{100 + i}",
                          "publicIPAddress": f"3.91.44.{10 + i}" if public else None}
                         for i in range(nodes if nodes == 1 else nodes + 1)],
        "tags": tag_list(t),
    }, short=name, name=name, arn=arn, az="us-east-1a", created=created, tags=t,
        relationships=[rel("AWS::EC2::SecurityGroup", sg, "Is associated with SecurityGroup"),
                       rel("AWS::EC2::VPC", VPC_ANALYTICS, "Is contained in Vpc"),
                       rel("AWS::Redshift::ClusterSubnetGroup", sng, "Is associated with ClusterSubnetGroup")]
        + ([rel("AWS::Redshift::ClusterParameterGroup", group, "Is associated with ClusterParameterGroup")]
           if group != "default.redshift-1.0" else []),
        supplementary={"LoggingStatus": logging, "Tags": tag_list(t)})


def analytics_databases():
    redshift_cluster("population-health-dw", "ra3.xlplus", 2, True, False, 7, True, "phdw-params",
                     {"loggingEnabled": True, "logDestinationType": "cloudwatch",
                      "logExports": ["connectionlog", "userlog", "useractivitylog"],
                      "lastSuccessfulDeliveryTime": "2026-11-20T03:00:12.000Z"},
                     AN_SG["warehouse"], "warehouse-private", "2025-03-04T16:20:01.000Z",
                     atags("population-health-dw", {"data-classification": "de-identified"}), False)
    redshift_cluster("research-sandbox-dw", "dc2.large", 1, False, True, 0, False, "default.redshift-1.0",
                     {"loggingEnabled": False}, AN_SG["sandbox-dw"], "research-public",
                     "2025-10-09T12:02:44.000Z", atags("research-sandbox-dw", {"app": "research"}), True)
    add("AWS::Redshift::ClusterParameterGroup", "phdw-params", {
        "parameterGroupName": "phdw-params",
        "parameterGroupFamily": "redshift-1.0",
        "description": "population-health-dw: TLS only, user activity logging",
    }, short="phdw-params", name="phdw-params", arn=arn_of("redshift", "parametergroup:phdw-params"),
        created="2025-03-04T16:02:11.000Z", supplementary={"Parameters": [
            {"parameterName": "auto_analyze", "parameterValue": "true", "description": "Use auto analyze",
             "source": "engine-default", "dataType": "boolean", "allowedValues": "true,false",
             "applyType": "static", "isModifiable": True},
            {"parameterName": "enable_user_activity_logging", "parameterValue": "true",
             "description": "parameter for audit logging purpose", "source": "user", "dataType": "boolean",
             "allowedValues": "true,false", "applyType": "static", "isModifiable": True},
            {"parameterName": "require_ssl", "parameterValue": "true", "description": "require ssl for all databaseconnections",
             "source": "user", "dataType": "boolean", "allowedValues": "true,false", "applyType": "static",
             "isModifiable": True},
            {"parameterName": "use_fips_ssl", "parameterValue": "false", "description": "Use fips ssl library",
             "source": "engine-default", "dataType": "boolean", "allowedValues": "true,false",
             "applyType": "static", "isModifiable": True}]})
    for name in ["research-aurora-pg-1", "research-aurora-pg-2"]:
        rds_instance(name)
    rds_cluster("research-aurora-pg", "aurora-postgresql", "16.4", 5432, ["research-aurora-pg-1", "research-aurora-pg-2"],
                True, False, ["postgresql"], AN_SG["research-db"], "research-db-private", LAKE_KEY_ARN,
                "2025-08-19T14:15:20.744Z", atags("research-aurora-pg", {"app": "research"}), None)
    ident = "research-aurora-pg-before-v16"
    arn = arn_of("rds", f"cluster-snapshot:{ident}")
    t = atags(ident, {"app": "research"})
    add("AWS::RDS::DBClusterSnapshot", ident, {
        "availabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c"],
        "dbclusterSnapshotIdentifier": ident,
        "dbclusterIdentifier": "research-aurora-pg",
        "snapshotCreateTime": epoch_ms("2026-03-02T09:12:40.000Z"),
        "engine": "aurora-postgresql",
        "engineMode": "provisioned",
        "allocatedStorage": 0,
        "status": "available",
        "port": 0,
        "vpcId": VPC_ANALYTICS,
        "clusterCreateTime": epoch_ms("2025-08-19T14:15:20.744Z"),
        "masterUsername": "riverside_admin",
        "engineVersion": "15.8",
        "licenseModel": "postgresql-license",
        "snapshotType": "manual",
        "percentProgress": 100,
        "storageEncrypted": True,
        "kmsKeyId": LAKE_KEY_ARN,
        "dbclusterSnapshotArn": arn,
        "iamdatabaseAuthenticationEnabled": False,
        "tagList": tag_list(t),
    }, short=ident, name=ident, arn=arn, az="Multiple Availability Zones", created="2026-03-02T09:12:40.000Z",
        tags=t,
        relationships=[rel("AWS::EC2::VPC", VPC_ANALYTICS, "Is associated with Vpc"),
                       rel("AWS::RDS::DBCluster", RDS_RESOURCE_ID["research-aurora-pg"], "Is associated with DBCluster",
                           "research-aurora-pg")],
        supplementary={"DBClusterSnapshotAttributes": [{"attributeName": "restore",
                                                        "attributeValues": [UNIVERSITY_ACCOUNT]}],
                       "Tags": tag_list(t)})
    table("survey-responses", "PAY_PER_REQUEST", True, "2025-05-06T18:30:02.118Z",
          atags("survey-responses", {"app": "patient-surveys"}), key="responseId", kms=LAKE_KEY_ARN,
          items=48211, size=21990412)
    dms_instance("lake-cdc", False, "dms.r6i.large", "2025-04-14T13:30:22.000Z", atags("lake-cdc"),
                 [AN_SUBNET_ID["an-private-a"], AN_SUBNET_ID["an-private-b"]], AN_SG["dms"], LAKE_KEY_ARN)
    add("AWS::Kinesis::Stream", "clickstream-raw", {
        "Arn": arn_of("kinesis", "stream/clickstream-raw"), "Name": "clickstream-raw", "RetentionPeriodHours": 24,
        "ShardCount": 2, "StreamModeDetails": {"StreamMode": "PROVISIONED"},
        "Tags": cfn_tags(atags("clickstream-raw")),
    }, short="clickstream-raw", name="clickstream-raw", arn=arn_of("kinesis", "stream/clickstream-raw"),
        created="2025-06-18T16:02:40.000Z", tags=atags("clickstream-raw"))


def analytics_ml():
    role = f"arn:aws:iam::{ANALYTICS}:role/sagemaker-execution-role"
    for name, itype, kms, internet, subnet, root, created in [
        ("readmission-model-nb", "ml.t3.large", LAKE_KEY_ARN, "Disabled", AN_SUBNET_ID["an-private-a"], "Disabled",
         "2025-09-08T13:20:11.000Z"),
        ("intern-sandbox-nb", "ml.t3.medium", None, "Enabled", None, "Enabled", "2025-07-01T15:41:52.000Z"),
    ]:
        arn = arn_of("sagemaker", f"notebook-instance/{name}")
        config = {"NotebookInstanceName": name, "Id": name, "InstanceType": itype, "RoleArn": role,
                  "DirectInternetAccess": internet, "VolumeSizeInGB": 50, "RootAccess": root,
                  "PlatformIdentifier": "notebook-al2-v3",
                  "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
                  "Tags": cfn_tags(atags(name))}
        if kms:
            config["KmsKeyId"] = kms
        if subnet:
            config["SubnetId"] = subnet
            config["SecurityGroupIds"] = [AN_SG["notebook"]]
        add("AWS::SageMaker::NotebookInstance", name, config, short=name, name=name, arn=arn, created=created,
            tags=atags(name))
    for name, kms, created in [("readmission-v3", LAKE_KEY_ARN, "2026-06-11T10:02:33.000Z"),
                               ("readmission-v1", None, "2025-10-20T17:44:02.000Z")]:
        arn = arn_of("sagemaker", f"endpoint-config/{name}")
        config = {"EndpointConfigName": name, "Id": arn,
                  "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": name.replace("readmission", "readmission-model"),
                                          "InitialInstanceCount": 1, "InstanceType": "ml.m5.large",
                                          "InitialVariantWeight": 1.0}],
                  "Tags": cfn_tags(atags(name))}
        if kms:
            config["KmsKeyId"] = kms
        add("AWS::SageMaker::EndpointConfig", name, config, short=name, name=name, arn=arn, created=created,
            tags=atags(name))
    search_domain("research-search", "7.10", None, [], None, False, None, False, False,
                  "Policy-Min-TLS-1-0-2019-07", [], "2025-06-23T11:31:09.000Z",
                  atags("research-search", {"app": "research"}), "t3.medium")


def analytics_trail():
    # Logging was stopped on 2026-08-01 "to save cost" and never restarted. In October 2026 the
    # trail was pointed at the new log-archive account's bucket (first step of the move).
    trail_item("analytics-trail", True, True, ARCHIVE_BUCKET["logs"], None, None,
               [{"readWriteType": "All", "includeManagementEvents": True, "dataResources": [],
                 "excludeManagementEventSources": []}], "2025-02-10T10:30:12.000Z", logging=False,
               stopped="2026-08-01T00:02:13.000Z")


def analytics_iam():
    lake = AN_BUCKET["lake"]
    managed_policy("DataScienceS3Access", "Data scientists: the lake and its key", [
        ("v1", doc(stmt("Lake", "s3:*", [f"arn:aws:s3:::{lake}", f"arn:aws:s3:::{lake}/*"]),
                   stmt("Keys", ["kms:Decrypt", "kms:GenerateDataKey"], "*"))),
    ], "v1", "2025-02-11T09:40:31.000Z", [("AWS::IAM::Group", "data-science")])
    managed_policy("LakeReadOnly", "Read-only access to the de-identified lake", [
        ("v1", doc(stmt("Read", ["s3:GetObject", "s3:ListBucket"], [f"arn:aws:s3:::{lake}", f"arn:aws:s3:::{lake}/*"]),
                   stmt("Key", "kms:Decrypt", LAKE_KEY_ARN))),
    ], "v1", "2025-02-11T09:42:02.000Z", [("AWS::IAM::Role", "sagemaker-execution-role"),
                                          ("AWS::IAM::Role", "redshift-lake-role"),
                                          ("AWS::IAM::Role", "jupyter-gpu-role"),
                                          ("AWS::IAM::Role", "university-lake-reader"),
                                          ("AWS::IAM::User", "data-eng-svc")])
    roles = [
        ("sagemaker-execution-role", trust({"Service": "sagemaker.amazonaws.com"}),
         [aws_policy("AmazonSageMakerFullAccess"), customer_policy_ref("LakeReadOnly")], [],
         "2025-07-01T15:30:02.000Z", "SageMaker notebooks and endpoints", None, "2026-11-19T21:02:44.000Z"),
        ("redshift-lake-role", trust({"Service": "redshift.amazonaws.com"}),
         [customer_policy_ref("LakeReadOnly")], [], "2025-03-04T16:10:40.000Z", "Redshift COPY from the lake",
         None, "2026-11-20T01:00:09.000Z"),
        ("bi-dashboard-role", trust({"Service": "ec2.amazonaws.com"}),
         [aws_policy("CloudWatchAgentServerPolicy")], [], "2026-09-14T08:10:02.000Z", "BI dashboard servers",
         "bi-dashboard-profile", "2026-11-20T03:10:02.000Z"),
        ("jupyter-gpu-role", trust({"Service": "ec2.amazonaws.com"}),
         [customer_policy_ref("LakeReadOnly")], [], "2026-11-03T14:05:12.000Z", "GPU workstation",
         "jupyter-gpu-profile", "2026-11-16T22:58:01.000Z"),
        ("dms-vpc-role", trust({"Service": "dms.amazonaws.com"}),
         [aws_policy("AmazonDMSVPCManagementRole", "/service-role/")], [], "2025-04-14T13:20:09.000Z",
         "DMS VPC management", None, "2026-11-20T02:40:00.000Z"),
        # Planted for ward-role-trust-restricted (practice B7): the research partner reads the
        # de-identified lake through a role that trusts the university's whole account, with
        # no external id or MFA condition: whoever the university's administrators allow.
        ("university-lake-reader", trust({"AWS": f"arn:aws:iam::{UNIVERSITY_ACCOUNT}:root"}),
         [customer_policy_ref("LakeReadOnly")], [], "2026-06-02T10:12:40.000Z",
         "Research partner (university) reads the de-identified lake", None, "2026-11-18T17:25:31.000Z"),
    ]
    for name, trust_doc, attached, inline, created, description, profile, last_used in roles:
        iam_role(name, trust_doc, attached, inline, created, description, profile=profile, last_used=last_used)
    iam_role("aws-elasticbeanstalk-ec2-role", trust({"Service": "ec2.amazonaws.com"}),
             [aws_policy("AWSElasticBeanstalkWebTier"), aws_policy("AWSElasticBeanstalkWorkerTier"),
              aws_policy("AWSElasticBeanstalkMulticontainerDocker")], [], "2025-05-06T17:30:02.000Z",
             "Elastic Beanstalk instances", profile="aws-elasticbeanstalk-ec2-role",
             last_used="2026-11-20T03:12:40.000Z")
    iam_role("EMR_DefaultRole", trust({"Service": "elasticmapreduce.amazonaws.com"}),
             [aws_policy("AmazonEMRServicePolicy_v2", "/service-role/")], [], "2025-11-03T14:18:40.000Z",
             "Default role for the Amazon EMR service", last_used="2026-11-20T03:00:12.000Z")
    iam_role("EMR_EC2_DefaultRole", trust({"Service": "ec2.amazonaws.com"}),
             [aws_policy("AmazonElasticMapReduceforEC2Role", "/service-role/")], [], "2025-11-03T14:18:41.000Z",
             "Default role for EMR cluster nodes", profile="EMR_EC2_DefaultRole", last_used="2026-11-20T03:11:02.000Z")
    iam_role("AWSBackupDefaultServiceRole", trust({"Service": "backup.amazonaws.com"}),
             [aws_policy("AWSBackupServiceRolePolicyForBackup", "/service-role/"),
              aws_policy("AWSBackupServiceRolePolicyForRestores", "/service-role/")], [],
             "2025-03-10T14:01:02.000Z", "Provides AWS Backup permission to create backups and perform restores on your behalf",
             last_used="2026-11-16T06:40:12.000Z", path="/service-role/")
    iam_role("AWSServiceRoleForAutoScaling", trust({"Service": "autoscaling.amazonaws.com"}),
             [aws_policy("AutoScalingServiceRolePolicy", "/aws-service-role/")], [], "2026-09-14T08:24:58.000Z",
             "Default Service-Linked Role enables access to AWS Services and Resources used or managed by Auto Scaling",
             last_used="2026-11-20T03:05:10.000Z", path="/aws-service-role/autoscaling.amazonaws.com/",
             short="AWSServiceRoleForAutoScaling (analytics)")
    iam_group("data-science", [customer_policy_ref("DataScienceS3Access"), aws_policy("AmazonSageMakerFullAccess")],
              [], "2025-02-11T09:45:00.000Z", ["kpatel", "intern-2025"])
    iam_user("data-eng-svc", [], [customer_policy_ref("LakeReadOnly")], [], "2025-02-11T10:02:11.000Z",
             t={"role": "ETL service user"})
    iam_user("kpatel", ["data-science"], [], [], "2025-02-11T10:05:40.000Z", t={"role": "data scientist"})
    iam_user("intern-2025", ["data-science"], [], [], "2025-06-02T13:00:02.000Z", t={"role": "summer intern 2025"})


def analytics_kms_and_backup():
    kms_key(LAKE_KEY_ID, "Analytics lake, warehouse and research databases", "Enabled", "CUSTOMER",
            "2025-02-10T10:50:31.412Z", atags("riverside-analytics-lake"), alias="riverside-analytics-lake")
    backup_vault("analytics-backups", LAKE_KEY_ARN, "2025-03-10T14:00:00.000Z")
    backup_plan(AN_PLAN_ID, "analytics-weekly", [{
        "RuleName": "weekly-14d", "TargetBackupVault": "analytics-backups",
        "ScheduleExpression": "cron(0 6 ? * SUN *)", "StartWindowMinutes": 480, "CompletionWindowMinutes": 10080,
        "Lifecycle": {"DeleteAfterDays": 14}, "CopyActions": [], "EnableContinuousBackup": False}],
        "2025-03-10T14:02:12.000Z")
    backup_selection(AN_PLAN_ID, "lake-weekly", f"arn:aws:iam::{ANALYTICS}:role/service-role/AWSBackupDefaultServiceRole",
                     [f"arn:aws:s3:::{AN_BUCKET['lake']}"], "2025-03-10T14:03:40.000Z")


# ================================================================= account-level facts (AWS CLI output)
REPORT_COLUMNS = ["user", "arn", "user_creation_time", "password_enabled", "password_last_used",
                  "password_last_changed", "password_next_rotation", "mfa_active",
                  "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
                  "access_key_1_last_used_region", "access_key_1_last_used_service",
                  "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
                  "access_key_2_last_used_region", "access_key_2_last_used_service",
                  "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"]


def report_row(user, created, password=None, mfa=False, key=None, root=False, account=PROD, max_age=90,
               key2=None):
    """One credential report row. `password`: (last used or None, last changed); `key`: (last
    rotated, last used, service) of the active access key 1; `key2` the same for key 2."""
    def t(iso):
        return iso[:19] + "+00:00"
    arn = f"arn:aws:iam::{account}:root" if root else f"arn:aws:iam::{account}:user/{user}"
    row = {"user": "<root_account>" if root else user, "arn": arn, "user_creation_time": t(created)}
    if root:
        row.update(password_enabled="not_supported",
                   password_last_used=t(password[0]) if password and password[0] else "no_information",
                   password_last_changed="not_supported", password_next_rotation="not_supported")
    elif password:
        used, changed = password
        nxt = (datetime.strptime(changed[:19], "%Y-%m-%dT%H:%M:%S") + timedelta(days=max_age)).strftime(
            "%Y-%m-%dT%H:%M:%S+00:00") if max_age else "N/A"
        row.update(password_enabled="true", password_last_used=t(used) if used else "no_information",
                   password_last_changed=t(changed), password_next_rotation=nxt)
    else:
        row.update(password_enabled="false", password_last_used="N/A", password_last_changed="N/A",
                   password_next_rotation="N/A")
    row["mfa_active"] = "true" if mfa else "false"
    for n, k in ((1, key), (2, key2)):
        rotated, used, service = k or ("N/A", "N/A", "N/A")
        row.update({f"access_key_{n}_active": "true" if k else "false",
                    f"access_key_{n}_last_rotated": t(rotated) if k else "N/A",
                    f"access_key_{n}_last_used_date": t(used) if k else "N/A",
                    f"access_key_{n}_last_used_region": REGION if k else "N/A",
                    f"access_key_{n}_last_used_service": service})
    row.update(cert_1_active="false", cert_1_last_rotated="N/A", cert_2_active="false", cert_2_last_rotated="N/A")
    return row


CREDENTIAL_REPORTS = {
    PROD: [
        report_row("root", "2019-03-11T16:58:20Z", ("2026-03-02T14:11:05Z", None), mfa=True, root=True),
        report_row("mlopez", "2024-02-06T14:52:31Z", ("2026-11-19T21:40:12Z", "2026-10-01T09:00:00Z"), mfa=True),
        # Mid-rotation: key 2 was created a week before the capture, key 1 still serves.
        report_row("ci-deploy", "2024-02-12T13:40:09Z",
                   key=("2026-10-02T08:15:00Z", "2026-11-19T17:05:00Z", "lambda"),
                   key2=("2026-11-13T10:00:00Z", "2026-11-19T17:30:00Z", "lambda")),
        report_row("backup-agent", "2024-03-14T18:05:12Z",
                   key=("2024-03-14T18:06:02Z", "2026-11-20T02:10:00Z", "s3")),
        report_row("frontdesk-shared", "2024-03-01T09:14:50Z", ("2026-11-19T16:58:31Z", "2026-09-02T08:00:00Z")),
        report_row("jwhite-contractor", "2026-04-27T13:12:02Z", ("2026-05-12T15:20:44Z", "2026-04-27T13:12:02Z"),
                   mfa=True),
    ],
    # The log archive's root has a hardware MFA device and has never signed in; it has no IAM
    # users (people come in through roles).
    LOG_ARCHIVE: [report_row("root", "2026-10-05T09:02:11Z", None, mfa=True, root=True, account=LOG_ARCHIVE)],
    ANALYTICS: [
        # The contractor still signs in as root: last on 2026-11-04, to raise a service quota.
        report_row("root", "2025-02-10T09:58:02Z", ("2026-11-04T19:22:10Z", None), root=True, account=ANALYTICS,
                   key=("2025-02-10T10:12:30Z", "2025-02-11T09:31:00Z", "iam")),
        # Key 2 was made in February for the new pipeline; a forgotten job still uses key 1.
        report_row("data-eng-svc", "2025-02-11T10:02:11Z", account=ANALYTICS,
                   key=("2025-09-01T12:00:00Z", "2026-11-19T23:10:00Z", "s3"),
                   key2=("2026-02-02T09:00:00Z", "2026-11-19T23:40:00Z", "s3")),
        report_row("kpatel", "2025-02-11T10:05:40Z", ("2026-11-19T20:12:00Z", "2025-02-11T10:06:00Z"), mfa=True,
                   account=ANALYTICS, max_age=None),
        report_row("intern-2025", "2025-06-02T13:00:02Z", ("2025-08-22T17:40:02Z", "2025-06-02T13:05:00Z"),
                   account=ANALYTICS, max_age=None),
    ],
}

STRONG_PASSWORD_POLICY = {
    "MinimumPasswordLength": 14, "RequireSymbols": True, "RequireNumbers": True,
    "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
    "AllowUsersToChangePassword": True, "ExpirePasswords": True, "MaxPasswordAge": 90,
    "PasswordReusePrevention": 24, "HardExpiry": False}

PASSWORD_POLICIES = {
    PROD: STRONG_PASSWORD_POLICY,
    LOG_ARCHIVE: STRONG_PASSWORD_POLICY,
    # Set up by the 2025 contractor: the console's old default rules, no expiry, no reuse check.
    ANALYTICS: {"MinimumPasswordLength": 8, "RequireSymbols": False, "RequireNumbers": True,
                "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
                "AllowUsersToChangePassword": True, "ExpirePasswords": False},
}

VIRTUAL_MFA = {  # account: [(user, device name, enabled)]
    PROD: [("mlopez", "mlopez-iphone", "2024-02-06T15:02:11Z"),
           ("jwhite-contractor", "jwhite-contractor", "2026-04-27T13:20:40Z")],
    ANALYTICS: [("kpatel", "kpatel-pixel", "2025-02-11T10:09:31Z")],
    LOG_ARCHIVE: [],
}


def csv_text(rows):
    lines = [",".join(REPORT_COLUMNS)]
    lines += [",".join(r[c] for c in REPORT_COLUMNS) for r in rows]
    return "\n".join(lines) + "\n"


def count(account, resource_type):
    return sum(1 for i in ITEMS[account] if i["resourceType"] == resource_type)


def fact_files(account):
    """The AWS CLI output files of an account: {relative path: text}."""
    files = {}
    rows = CREDENTIAL_REPORTS[account]
    files["credential-report.csv"] = csv_text(rows)
    for r in rows:
        short = f"{short_account(account)} root" if r["user"] == "<root_account>" else r["user"]
        register("Ward::IAM::CredentialReportUser", r["arn"], account, short)
    files["iam-get-account-password-policy.json"] = cli_json({"PasswordPolicy": PASSWORD_POLICIES[account]})
    register("Ward::IAM::AccountPasswordPolicy", account, account, f"{short_account(account)} password policy")
    root = rows[0]
    users = {i["configuration"]["userName"]: i for i in ITEMS[account] if i["resourceType"] == "AWS::IAM::User"}
    virtual = VIRTUAL_MFA[account]
    hardware = 0 if account == ANALYTICS else 1
    summary = {
        "GroupPolicySizeQuota": 5120, "InstanceProfilesQuota": 1000,
        "Policies": count(account, "AWS::IAM::Policy"), "GroupsPerUserQuota": 10,
        "InstanceProfiles": sum(len(i["configuration"]["instanceProfileList"]) for i in ITEMS[account]
                                if i["resourceType"] == "AWS::IAM::Role"),
        "AttachedPoliciesPerUserQuota": 10, "Users": len(users), "PoliciesQuota": 1500, "Providers": 0,
        "AccountMFAEnabled": 1 if root["mfa_active"] == "true" else 0, "AccessKeysPerUserQuota": 2,
        "AssumeRolePolicySizeQuota": 2048, "PolicyVersionsInUseQuota": 10000, "GlobalEndpointTokenVersion": 1,
        "VersionsPerPolicyQuota": 5, "AttachedPoliciesPerGroupQuota": 10, "PolicySizeQuota": 6144,
        "Groups": count(account, "AWS::IAM::Group"), "AccountSigningCertificatesPresent": 0, "UsersQuota": 5000,
        "ServerCertificatesQuota": 20, "MFADevices": len(virtual) + hardware, "UserPolicySizeQuota": 2048,
        "PolicyVersionsInUse": sum(len(i["configuration"]["attachedManagedPolicies"]) for i in ITEMS[account]
                                   if i["resourceType"] in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")),
        "ServerCertificates": 1 if account == PROD else 0, "Roles": count(account, "AWS::IAM::Role"),
        "RolesQuota": 1000, "SigningCertificatesPerUserQuota": 2, "MFADevicesInUse": len(virtual) + hardware,
        "RolePolicySizeQuota": 10240, "AttachedPoliciesPerRoleQuota": 10,
        "AccountAccessKeysPresent": 1 if root["access_key_1_active"] == "true" else 0,
        "AccountPasskeysPresent": 0, "GroupsQuota": 300,
    }
    files["iam-get-account-summary.json"] = cli_json({"SummaryMap": summary})
    register("Ward::IAM::AccountSummary", account, account, f"{short_account(account)} account summary")
    devices = []
    for user, device, enabled in virtual:
        u = users[user]["configuration"]
        used = next(r for r in rows if r["user"] == user)["password_last_used"]
        devices.append({"SerialNumber": f"arn:aws:iam::{account}:mfa/{device}",
                        "User": {"Path": "/", "UserName": user, "UserId": u["userId"], "Arn": u["arn"],
                                 "CreateDate": u["createDate"][:19] + "+00:00",
                                 **({"PasswordLastUsed": used} if used not in ("N/A", "no_information") else {})},
                        "EnableDate": enabled[:19] + "+00:00"})
    files["iam-list-virtual-mfa-devices.json"] = cli_json({"VirtualMFADevices": devices})
    register("Ward::IAM::VirtualMFADevices", account, account, f"{short_account(account)} virtual MFA devices")
    regional = {}
    regional["config-snapshot.json"] = json.dumps(snapshot(account), indent=2) + "\n"
    encrypted = account != ANALYTICS
    regional["ec2-get-ebs-encryption-by-default.json"] = cli_json(
        {"EbsEncryptionByDefault": encrypted, **({"SseType": "sse-ebs"} if encrypted else {})})
    register("Ward::EC2::EbsEncryptionByDefault", f"{account}/{REGION}", account, f"{short_account(account)} {REGION}")
    # aws ec2 describe-snapshots --owner-ids self --restorable-by-user-ids all: nothing in prod;
    # in analytics, the imaging dataset shared publicly for a 2025 paper (service_fact_files).
    regional["ec2-describe-snapshots-public.json"] = cli_json(
        {"Snapshots": [public_snapshot(account)] if account == ANALYTICS else []})
    register("Ward::EC2::PublicSnapshots", f"{account}/{REGION}", account, f"{short_account(account)} {REGION}")
    regional["guardduty-list-detectors.json"] = cli_json(
        {"DetectorIds": [] if account == ANALYTICS else [hexid("guardduty", account, 32)]})
    register("Ward::GuardDuty::Detectors", f"{account}/{REGION}", account, f"{short_account(account)} {REGION}")
    if account != ANALYTICS:   # describe-hub fails (InvalidAccessException) where Security Hub is off
        hub = f"arn:aws:securityhub:{REGION}:{account}:hub/default"
        regional["securityhub-describe-hub.json"] = cli_json({
            "HubArn": hub, "SubscribedAt": "2024-02-06T17:20:11.304Z" if account == PROD else "2026-10-05T09:40:02.118Z",
            "AutoEnableControls": True,
            "ControlFindingGenerator": "SECURITY_CONTROL"})
        register("Ward::SecurityHub::Hub", hub, account, f"{short_account(account)} {REGION}")
    started = {PROD: "2024-02-06T15:40:02.118000+00:00", ANALYTICS: "2025-02-10T10:28:40.502000+00:00",
               LOG_ARCHIVE: "2026-10-05T09:31:12.640000+00:00"}[account]
    recorder = {
        "arn": f"arn:aws:config:{REGION}:{account}:configuration-recorder/default/{lower_id('recorder/' + account, 16)}",
        "name": "default", "lastStartTime": started, "recording": True, "lastStatus": "SUCCESS",
        "lastStatusChangeTime": "2026-11-20T03:14:00.000000+00:00"}
    if account == ANALYTICS:
        # The analytics recorder's role lost its managed policy in a clean-up on 2026-11-20:
        # the recorder still runs, but its last recording failed.
        recorder.update({"lastStatus": "FAILURE", "lastErrorCode": "AccessDeniedException",
                         "lastErrorMessage": "The configuration recorder role does not have permission to call config:PutConfigurationItems"})
    regional["configservice-describe-configuration-recorder-status.json"] = cli_json({
        "ConfigurationRecordersStatus": [recorder]})
    register("Ward::Config::RecorderStatus", f"{account}/{REGION}", account, f"{short_account(account)} {REGION}")
    # What the recorders record (the AWS CLI reference's example shape): prod records every
    # supported type, IAM's included (so does the log archive); the 2025 contractor set analytics' to a few types only.
    group = ({"allSupported": True, "includeGlobalResourceTypes": True, "resourceTypes": [],
              "exclusionByResourceTypes": {"resourceTypes": []},
              "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}}
             if account != ANALYTICS else
             {"allSupported": False, "includeGlobalResourceTypes": False,
              "resourceTypes": ["AWS::S3::Bucket", "AWS::EC2::Instance", "AWS::EC2::Volume"],
              "exclusionByResourceTypes": {"resourceTypes": []},
              "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}})
    regional["configservice-describe-configuration-recorders.json"] = cli_json({"ConfigurationRecorders": [{
        "arn": recorder["arn"], "name": "default",
        "roleARN": f"arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
        "recordingGroup": group,
        "recordingMode": {"recordingFrequency": "CONTINUOUS", "recordingModeOverrides": []}}]})
    register("Ward::Config::Recorders", f"{account}/{REGION}", account, f"{short_account(account)} {REGION} recorders")
    # aws ssm get-document --name SSM-SessionManagerRunShell --document-format JSON, where the
    # account has instances:
    # prod sends sessions to an encrypted CloudWatch Logs group (set up with the bastion's
    # Session Manager pilot in 2026); analytics kept the defaults (no logging). The content is
    # the preferences document of the Session Manager user guide, as JSON text.
    if account != LOG_ARCHIVE:
        inputs = {"s3BucketName": "", "s3KeyPrefix": "", "s3EncryptionEnabled": True,
                  "cloudWatchLogGroupName": "/riverside/ssm-sessions" if account == PROD else "",
                  "cloudWatchEncryptionEnabled": True, "cloudWatchStreamingEnabled": account == PROD,
                  "kmsKeyId": "", "runAsEnabled": False, "runAsDefaultUser": "", "idleSessionTimeout": "20",
                  "maxSessionDuration": "", "shellProfile": {"windows": "", "linux": ""}}
        content = {"schemaVersion": "1.0", "description": "Document to hold regional settings for Session Manager",
                   "sessionType": "Standard_Stream", "inputs": inputs}
        regional["ssm-get-document-SSM-SessionManagerRunShell.json"] = cli_json({
            "Name": "SSM-SessionManagerRunShell",
            "CreatedDate": "2026-09-02T13:40:11.204000+00:00" if account == PROD else "2025-02-10T10:40:02.118000+00:00",
            "DocumentVersion": "2" if account == PROD else "1", "Status": "Active",
            "Content": json.dumps(content, indent=4), "DocumentType": "Session", "DocumentFormat": "JSON"})
        register("Ward::SSM::SessionManagerPreferences", f"{account}/{REGION}", account,
                 f"{short_account(account)} {REGION} session preferences")
    regional.update(service_fact_files(account))
    for name, text in regional.items():
        files[f"{REGION}/{name}"] = text
    return files


def public_snapshot(account):
    """The analytics account's public snapshot as `describe-snapshots` prints it: the members of
    botocore's EC2 Snapshot shape, in the model's order. Its createVolumePermission (group all)
    is saved too, in service_fact_files."""
    return {
        "Tags": [{"Key": "Name", "Value": "research-dataset-2025"}],
        "StorageTier": "standard",
        "CompletionTime": cli_time("2025-04-02T16:48:27.331Z"),
        "SnapshotId": "snap-0" + hexid("snap", "research-dataset-2025", 16),
        "VolumeId": "vol-0" + hexid("vol", "research-dataset-2025", 16),
        "State": "completed",
        "StartTime": cli_time("2025-04-02T16:31:05.912Z"),
        "Progress": "100%",
        "OwnerId": account,
        "Description": "De-identified imaging dataset for the 2025 readmission paper",
        "VolumeSize": 200,
        "Encrypted": False,
    }


def cli_time(iso):
    """AWS CLI v2 datetime output: 2025-11-03T14:20:11.102000+00:00."""
    base, _, frac = iso.rstrip("Z").partition(".")
    return f"{base}.{(frac or '0').ljust(6, '0')[:6]}+00:00"


def cache_cluster(account, cid, engine, version, node, group, retention, az, created, sg):
    arn = f"arn:aws:elasticache:{REGION}:{account}:cluster:{cid}"
    register("Ward::ElastiCache::CacheCluster", arn, account, cid)
    c = {"CacheClusterId": cid,
         "ClientDownloadLandingPage": "https://console.aws.amazon.com/elasticache/home#client-download:",
         "CacheNodeType": node, "Engine": engine, "EngineVersion": version, "CacheClusterStatus": "available",
         "NumCacheNodes": 1, "PreferredAvailabilityZone": az, "CacheClusterCreateTime": cli_time(created),
         "PreferredMaintenanceWindow": "sun:05:00-sun:06:00", "PendingModifiedValues": {},
         "CacheSecurityGroups": [],
         "CacheParameterGroup": {"CacheParameterGroupName": f"default.{engine}{version.split('.')[0]}" + (".x" if engine == "memcached" else ""),
                                 "ParameterApplyStatus": "in-sync", "CacheNodeIdsToReboot": []},
         "CacheSubnetGroupName": "riverside-cache" if account == PROD else "bi-cache",
         "AutoMinorVersionUpgrade": True,
         "SecurityGroups": [{"SecurityGroupId": sg, "Status": "active"}],
         "AuthTokenEnabled": engine != "memcached", "TransitEncryptionEnabled": engine != "memcached",
         "AtRestEncryptionEnabled": engine != "memcached", "ARN": arn, "ReplicationGroupLogDeliveryEnabled": False,
         "LogDeliveryConfigurations": [], "NetworkType": "ipv4", "IpDiscovery": "ipv4"}
    if group:
        c["ReplicationGroupId"] = group
        c["SnapshotRetentionLimit"] = retention
        c["SnapshotWindow"] = "06:00-07:00"
        c["TransitEncryptionMode"] = "required" if engine != "memcached" else None
    else:
        c["ConfigurationEndpoint"] = {"Address": f"{cid}.{lower_id('ec/' + cid, 6)}.cfg.use1.cache.amazonaws.com",
                                      "Port": 11211}
    return {k: v for k, v in c.items() if v is not None}


def replication_group(account, gid, description, members, retention, node, created, snapshotting):
    arn = f"arn:aws:elasticache:{REGION}:{account}:replicationgroup:{gid}"
    register("Ward::ElastiCache::ReplicationGroup", arn, account, gid)
    primary = f"{gid}.{lower_id('ec/' + gid, 6)}.ng.0001.use1.cache.amazonaws.com"
    return {"ReplicationGroupId": gid, "Description": description, "GlobalReplicationGroupInfo": {},
            "Status": "available", "PendingModifiedValues": {}, "MemberClusters": members,
            "NodeGroups": [{"NodeGroupId": "0001", "Status": "available",
                            "PrimaryEndpoint": {"Address": primary, "Port": 6379},
                            "ReaderEndpoint": {"Address": primary.replace(f"{gid}.", f"{gid}-ro.", 1), "Port": 6379},
                            "NodeGroupMembers": [{"CacheClusterId": m, "CacheNodeId": "0001",
                                                  "PreferredAvailabilityZone": f"us-east-1{'ab'[i % 2]}",
                                                  "CurrentRole": "primary" if i == 0 else "replica"}
                                                 for i, m in enumerate(members)]}],
            "SnapshottingClusterId": snapshotting, "AutomaticFailover": "enabled" if len(members) > 1 else "disabled",
            "MultiAZ": "enabled" if len(members) > 1 else "disabled", "SnapshotRetentionLimit": retention,
            "SnapshotWindow": "06:00-07:00", "ClusterEnabled": False, "CacheNodeType": node,
            "AuthTokenEnabled": True, "TransitEncryptionEnabled": True, "AtRestEncryptionEnabled": True,
            "ARN": arn, "LogDeliveryConfigurations": [], "ReplicationGroupCreateTime": cli_time(created),
            "DataTiering": "disabled", "AutoMinorVersionUpgrade": True, "NetworkType": "ipv4",
            "IpDiscovery": "ipv4", "TransitEncryptionMode": "required", "ClusterMode": "disabled", "Engine": "redis"}


def emr_cluster(name, state, master_dns, subnet, security_configuration, created, release="emr-7.2.0"):
    cid = EMR[name]
    arn = f"arn:aws:elasticmapreduce:{REGION}:{ANALYTICS}:cluster/{cid}"
    register("Ward::EMR::Cluster", arn, ANALYTICS, name)
    cluster = {
        "Id": cid, "Name": name,
        "Status": {"State": state, "StateChangeReason": {"Message": "Cluster ready to run steps."}
                   if state == "WAITING" else {},
                   "Timeline": {"CreationDateTime": cli_time(created), "ReadyDateTime": cli_time(created)}},
        "Ec2InstanceAttributes": {"Ec2KeyName": "emr-analytics", "Ec2SubnetId": subnet,
                                  "RequestedEc2SubnetIds": [subnet], "Ec2AvailabilityZone": "us-east-1a",
                                  "RequestedEc2AvailabilityZones": [], "IamInstanceProfile": "EMR_EC2_DefaultRole",
                                  "EmrManagedMasterSecurityGroup": AN_SG["emr-master"],
                                  "EmrManagedSlaveSecurityGroup": AN_SG["emr-slave"]},
        "InstanceCollectionType": "INSTANCE_GROUP",
        "LogUri": f"s3n://{AN_BUCKET['lake']}/emr-logs/",
        "ReleaseLabel": release, "AutoTerminate": False, "TerminationProtected": name == "claims-etl",
        "UnhealthyNodeReplacement": True, "VisibleToAllUsers": True,
        "Applications": [{"Name": "Spark", "Version": "3.5.1"}, {"Name": "Hadoop", "Version": "3.3.6"}]
        + ([{"Name": "JupyterEnterpriseGateway", "Version": "2.6.0"}] if name == "genomics-spark" else []),
        "Tags": [{"Key": "app", "Value": "claims-etl" if name == "claims-etl" else "research"}],
        "ServiceRole": "EMR_DefaultRole", "NormalizedInstanceHours": 8848 if name == "claims-etl" else 16,
        "MasterPublicDnsName": master_dns, "Configurations": [],
        "ScaleDownBehavior": "TERMINATE_AT_TASK_COMPLETION", "EbsRootVolumeSize": 64,
        "KerberosAttributes": {"Realm": "EC2.INTERNAL"} if security_configuration else {},
        "ClusterArn": arn, "StepConcurrencyLevel": 1, "PlacementGroups": [],
        "OSReleaseLabel": "2.0.20241001.0",
    }
    if security_configuration:
        cluster["SecurityConfiguration"] = security_configuration
    return {"Cluster": cluster}


def service_fact_files(account):
    """AWS CLI output of the service facts AWS Config does not record (per Region)."""
    out = {}
    if account == PROD:
        out["elasticache-describe-replication-groups.json"] = cli_json({"ReplicationGroups": [
            replication_group(account, "ehr-sessions", "EHR web sessions", ["ehr-sessions-001", "ehr-sessions-002"],
                              21, "cache.t4g.small", "2024-02-07T12:10:40.302Z", "ehr-sessions-002")]})
        out["elasticache-describe-cache-clusters.json"] = cli_json({"CacheClusters": [
            cache_cluster(account, f"ehr-sessions-00{i}", "redis", "7.1.0", "cache.t4g.small", "ehr-sessions",
                          0 if i == 1 else 21, f"us-east-1{'ab'[i - 1]}", "2024-02-07T12:10:41.118Z", SG["ehr-cache"])
            for i in (1, 2)]})
        out["dynamodb-describe-limits.json"] = cli_json({
            "AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
            "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000})
        register("Ward::DynamoDB::AccountLimits", f"{account}/{REGION}", account, f"prod {REGION}")
        # The 2021 portal vendor registered portal-sessions with Application Auto Scaling; its
        # scaling policies were deleted in a 2023 clean-up, the targets were not.
        targets = []
        for dim in ["ReadCapacityUnits", "WriteCapacityUnits"]:
            tarn = f"arn:aws:application-autoscaling:{REGION}:{account}:scalable-target/0{hexid('aas', dim, 27)}"
            targets.append({"ServiceNamespace": "dynamodb", "ResourceId": "table/portal-sessions",
                            "ScalableDimension": f"dynamodb:table:{dim}", "MinCapacity": 5, "MaxCapacity": 100,
                            "RoleARN": f"arn:aws:iam::{account}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
                            "CreationTime": cli_time("2021-05-03T09:05:11.402Z"),
                            "SuspendedState": {"DynamicScalingInSuspended": False, "DynamicScalingOutSuspended": False,
                                               "ScheduledScalingSuspended": False},
                            "ScalableTargetARN": tarn})
            register("Ward::ApplicationAutoScaling::ScalableTarget", tarn, account, f"portal-sessions {dim}")
        out["application-autoscaling-describe-scalable-targets.json"] = cli_json({"ScalableTargets": targets})
        out["application-autoscaling-describe-scaling-policies.json"] = cli_json({"ScalingPolicies": []})
        out["wafv2-list-logging-configurations.json"] = cli_json({"LoggingConfigurations": [{
            "ResourceArn": WAF["ehr-web-waf"][1],
            "LogDestinationConfigs": [f"arn:aws:logs:{REGION}:{account}:log-group:aws-waf-logs-ehr-web"],
            "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}, {"SingleHeader": {"Name": "cookie"}}],
            "ManagedByFirewallManager": False, "LogType": "WAF_LOGS", "LogScope": "CUSTOMER"}]})
        register("Ward::WAFv2::LoggingConfiguration", WAF["ehr-web-waf"][1], account, "ehr-web-waf logging")
        snap = "snap-0" + hexid("snap", "ehr-export-2024", 16)
        out[f"ec2-describe-snapshot-attribute-{snap}.json"] = cli_json({"CreateVolumePermissions": [], "SnapshotId": snap})
        register("Ward::EC2::SnapshotCreateVolumePermissions", f"{account}/{REGION}/{snap}", account, snap)
    elif account == ANALYTICS:
        out["elasticache-describe-replication-groups.json"] = cli_json({"ReplicationGroups": [
            replication_group(account, "bi-sessions", "BI dashboard sessions", ["bi-sessions-001"], 0,
                              "cache.t4g.micro", "2026-09-14T08:40:12.511Z", None)]})
        out["elasticache-describe-cache-clusters.json"] = cli_json({"CacheClusters": [
            cache_cluster(account, "bi-sessions-001", "redis", "7.1.0", "cache.t4g.micro", "bi-sessions", 0,
                          "us-east-1a", "2026-09-14T08:40:13.004Z", AN_SG["bi-cache"]),
            cache_cluster(account, "bi-query-cache", "memcached", "1.6.22", "cache.t4g.small", None, None,
                          "us-east-1b", "2026-09-14T08:44:51.730Z", AN_SG["bi-cache"])]})
        out["emr-describe-cluster-claims-etl.json"] = cli_json(emr_cluster(
            "claims-etl", "RUNNING", "ip-10-40-10-90.ec2.internal", AN_SUBNET_ID["an-private-a"], "kerberos-at-rest",
            "2025-11-03T14:20:11.102Z"))
        out["emr-describe-cluster-genomics-spark.json"] = cli_json(emr_cluster(
            "genomics-spark", "WAITING", "ec2-3-92-18-77.compute-1.amazonaws.com", AN_SUBNET_ID["an-public-a"], None,
            "2026-11-18T15:00:02.811Z"))
        out["emr-describe-security-configuration-kerberos-at-rest.json"] = cli_json({
            "Name": "kerberos-at-rest",
            "SecurityConfiguration": compact({
                "EncryptionConfiguration": {
                    "EnableInTransitEncryption": False, "EnableAtRestEncryption": True,
                    "AtRestEncryptionConfiguration": {
                        "S3EncryptionConfiguration": {"EncryptionMode": "SSE-KMS", "AwsKmsKey": LAKE_KEY_ARN},
                        "LocalDiskEncryptionConfiguration": {"EncryptionKeyProviderType": "AwsKms",
                                                             "AwsKmsKey": LAKE_KEY_ARN, "EnableEbsEncryption": True}}},
                "AuthenticationConfiguration": {"KerberosConfiguration": {
                    "Provider": "ClusterDedicatedKdc",
                    "ClusterDedicatedKdcConfiguration": {"TicketLifetimeInHours": 24}}}}),
            "CreationDateTime": cli_time("2025-11-03T14:10:02.550Z")})
        register("Ward::EMR::SecurityConfiguration", f"{account}/{REGION}/kerberos-at-rest", account, "kerberos-at-rest")
        # A de-identified imaging dataset shared publicly for a 2025 paper; block public access
        # (block-new-sharing) came later and leaves existing public snapshots public.
        snap = "snap-0" + hexid("snap", "research-dataset-2025", 16)
        out[f"ec2-describe-snapshot-attribute-{snap}.json"] = cli_json(
            {"CreateVolumePermissions": [{"Group": "all"}], "SnapshotId": snap})
        register("Ward::EC2::SnapshotCreateVolumePermissions", f"{account}/{REGION}/{snap}", account, snap)
    return out


def cli_json(obj):
    """AWS CLI v2 `--output json`: 4-space indentation."""
    return json.dumps(obj, indent=4) + "\n"


def short_account(account):
    return {PROD: "prod", ANALYTICS: "analytics", LOG_ARCHIVE: "archive"}[account]


def snapshot(account):
    return {
        "fileVersion": "1.0",
        "configSnapshotId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"riverside/config-snapshot/{account}/2026-11-20")),
        "configurationItems": ITEMS[account],
    }


# ================================================================= build
def prod_identity_provider():
    """Prod federates with the clinic's Okta tenant (set up in November 2026, so recorded last);
    analytics has no identity provider. Config records AWS::IAM::SAMLProvider with the
    CloudFormation-style fields of AWS's Config resource schema (configuration.Arn, .Name),
    its resource id the ARN (the type's Cloud Control identifier)."""
    arn = f"arn:aws:iam::{PROD}:saml-provider/RiversideOkta"
    add("AWS::IAM::SAMLProvider", arn, {"Arn": arn, "Name": "RiversideOkta"},
        short="RiversideOkta", name="RiversideOkta", arn=arn, region="global",
        created="2026-11-18T15:02:40.000Z")


def prod_stacks():
    """Two CloudFormation stacks, recorded last (a December 2026 change). The network stack
    deploys under its own role (cfn-deploy-network, trusted by CloudFormation only, with the
    network actions it needs) and drift detection found it IN_SYNC; the legacy EHR app stack
    was deployed with the administrator's own credentials in 2024 and has since been changed
    by hand (DRIFTED). Fields as AWS's Config resource schema and the real items of
    aws-solutions/workload-discovery-on-aws record them: roleARN omitted when there is none,
    driftInformation.stackDriftStatus."""
    iam_role("cfn-deploy-network", trust({"Service": "cloudformation.amazonaws.com"}), [],
             [("network-stack", doc(stmt("Network", [
                 "ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateRouteTable", "ec2:CreateRoute",
                 "ec2:AssociateRouteTable", "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress",
                 "ec2:RevokeSecurityGroupIngress", "ec2:CreateTags", "ec2:DescribeVpcs", "ec2:DescribeSubnets",
                 "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups"], "*")))],
             "2026-12-01T09:00:00.000Z", "CloudFormation service role of the riverside-network stack",
             t={"role": "network stack deployments"})
    for name, created, role, drift, checked, resources in [
        ("riverside-network", "2026-12-01T09:20:00.000Z", f"arn:aws:iam::{PROD}:role/cfn-deploy-network",
         "IN_SYNC", "2026-12-01T10:00:00.000Z", [("Vpc", "AWS::EC2::VPC", VPC_PROD)]),
        ("ehr-app-legacy", "2024-02-20T11:05:00.000Z", None, "DRIFTED", "2026-11-30T22:00:00.000Z",
         [("AppSecurityGroup", "AWS::EC2::SecurityGroup", SG["ehr-app"])]),
    ]:
        stack_id = f"arn:aws:cloudformation:{REGION}:{PROD}:stack/{name}/{uid('stack/' + name)}"
        configuration = {
            "stackId": stack_id, "stackName": name, "description": f"Riverside {name}",
            "creationTime": created, "lastUpdatedTime": checked, "stackStatus": "UPDATE_COMPLETE",
            "disableRollback": False, "notificationARNs": [], "outputs": [],
            "capabilities": ["CAPABILITY_NAMED_IAM"], "tags": [{"key": "owner", "value": "it-ops"}],
            "enableTerminationProtection": True,
            "driftInformation": {"stackDriftStatus": drift, "lastCheckTimestamp": checked},
        }
        if role:
            configuration["roleARN"] = role
        add("AWS::CloudFormation::Stack", stack_id, configuration, short=name, name=name, arn=stack_id,
            created=created, tags={"owner": "it-ops"},
            supplementary={"EnableTerminationProtection": True, "StackResourceSummaries": [
                {"logicalResourceId": logical, "physicalResourceId": physical, "resourceType": rtype,
                 "lastUpdatedTimestamp": checked, "resourceStatus": "UPDATE_COMPLETE",
                 "driftInformation": {"stackResourceDriftStatus": "MODIFIED" if drift == "DRIFTED" else "IN_SYNC"}}
                for logical, rtype, physical in resources]})


ARCHIVE_KEY_ID = uid("kms/log-archive")
ARCHIVE_KEY_ARN = f"arn:aws:kms:{REGION}:{LOG_ARCHIVE}:key/{ARCHIVE_KEY_ID}"
ARCHIVE_CANONICAL_ID = hashlib.sha256(b"riverside-log-archive-canonical-user").hexdigest()
ARCHIVE_BUCKET = {"logs": f"riverside-log-archive-{LOG_ARCHIVE}", "access": f"riverside-log-archive-access-{LOG_ARCHIVE}"}
ARCHIVE_SNS = f"arn:aws:sns:{REGION}:{LOG_ARCHIVE}:log-archive-alerts"


def archive_account():
    """riverside-log-archive, opened in October 2026 to take the logs out of the workload
    accounts (the log archive of AWS Control Tower's layout, set up by hand): a CloudTrail bucket
    that the analytics trail now writes to (prod's trail still writes into prod: the move is
    planned), its access-log bucket, its own multi-Region trail, and three roles reached from prod
    (two administrators and the external auditor's read-only role). Recorded last."""
    add("AWS::S3::AccountPublicAccessBlock", LOG_ARCHIVE,
        {"blockPublicAcls": True, "ignorePublicAcls": True,
         "blockPublicPolicy": True, "restrictPublicBuckets": True}, short="archive PAB")
    add("AWS::EC2::SnapshotBlockPublicAccess", LOG_ARCHIVE,
        {"State": "block-all-sharing", "AccountId": LOG_ARCHIVE}, short="archive snapshot BPA")
    kms_key(ARCHIVE_KEY_ID, "Log archive key (CloudTrail, S3)", "Enabled", "CUSTOMER",
            "2026-10-05T09:10:40.117Z", tags("riverside-log-archive"), alias="riverside-log-archive")
    logs, access = ARCHIVE_BUCKET["logs"], ARCHIVE_BUCKET["access"]
    lock = {"objectLockEnabled": "Enabled", "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": None, "years": 7}}}
    write_for = [PROD, ANALYTICS, LOG_ARCHIVE]
    bucket_item(logs, "2026-10-05T09:20:30.000Z", tags(logs),
                sse=("aws:kms", ARCHIVE_KEY_ARN, True), versioning="Enabled", logging=(access, "s3/log-archive/"),
                policy={"Version": "2012-10-17", "Statement": [
                    {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                     "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{logs}",
                     "Condition": {"StringEquals": {"aws:SourceAccount": write_for}}},
                    {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                     "Action": "s3:PutObject", "Resource": [f"arn:aws:s3:::{logs}/AWSLogs/{a}/*" for a in write_for],
                     "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                                    "aws:SourceAccount": write_for}}},
                    # Even the archive's administrators need MFA to delete logs or weaken the bucket.
                    {"Sid": "DenyLogChangesWithoutMFA", "Effect": "Deny", "Principal": "*",
                     "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutBucketPolicy",
                                "s3:DeleteBucketPolicy", "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning",
                                "s3:DeleteBucket"],
                     "Resource": [f"arn:aws:s3:::{logs}", f"arn:aws:s3:::{logs}/*"],
                     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
                    deny_insecure(logs)]},
                owner=ARCHIVE_CANONICAL_ID, pab=True, lifecycle=[lifecycle_rule("expire-after-7-years", 2557)],
                object_lock=lock)
    bucket_item(access, "2026-10-05T09:18:02.000Z", tags(access),
                sse=("AES256", None, False), versioning="Enabled", logging=None,
                policy={"Version": "2012-10-17", "Statement": [
                    {"Sid": "S3ServerAccessLogsPolicy", "Effect": "Allow",
                     "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                     "Resource": f"arn:aws:s3:::{access}/s3/*",
                     "Condition": {"StringEquals": {"aws:SourceAccount": LOG_ARCHIVE}}},
                    deny_insecure(access)]},
                owner=ARCHIVE_CANONICAL_ID, pab=True, lifecycle=[lifecycle_rule("expire-after-1-year", 365)])
    trail_item("log-archive-trail", True, True, logs, ARCHIVE_KEY_ARN,
               f"arn:aws:logs:{REGION}:{LOG_ARCHIVE}:log-group:/riverside/log-archive/cloudtrail:*",
               [{"readWriteType": "All", "includeManagementEvents": True,
                 "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}],
                 "excludeManagementEventSources": []}], "2026-10-05T09:30:03.000Z", sns=ARCHIVE_SNS)
    pattern = {"source": ["aws.cloudtrail"], "detail-type": ["AWS API Call via CloudTrail"],
               "detail": {"eventSource": ["cloudtrail.amazonaws.com"],
                          "eventName": ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"]}}
    arn = f"arn:aws:events:{REGION}:{LOG_ARCHIVE}:rule/cloudtrail-tamper-alert"
    add("AWS::Events::Rule", "cloudtrail-tamper-alert", {
        "Name": "cloudtrail-tamper-alert", "Arn": arn,
        "Description": "Alert the security mailbox when CloudTrail logging is stopped or changed",
        "EventBusName": "default", "EventPattern": compact(pattern), "State": "ENABLED",
        "Targets": [{"Id": "log-archive-alerts", "Arn": ARCHIVE_SNS}],
    }, short="archive cloudtrail-tamper-alert", name="cloudtrail-tamper-alert", arn=arn,
        created="2026-10-05T09:35:00.000Z")
    from_prod_with_mfa = trust({"AWS": f"arn:aws:iam::{PROD}:root"}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    for name, trust_doc, attached, description in [
        ("log-archive-admin", from_prod_with_mfa, [aws_policy("AdministratorAccess")],
         "Administrators of the log archive, from prod with MFA"),
        ("log-archive-breakglass", from_prod_with_mfa, [aws_policy("AdministratorAccess")],
         "Break-glass administrator of the log archive"),
        ("log-archive-auditor", trust({"AWS": f"arn:aws:iam::{AUDITOR_ACCOUNT}:root"},
                                      {"StringEquals": {"sts:ExternalId": "riverside-hipaa-2026"}}),
         [aws_policy("ReadOnlyAccess")], "The external HIPAA auditor reads the logs"),
    ]:
        iam_role(name, trust_doc, attached, [], "2026-10-05T09:40:00.000Z", description,
                 t={"owner": "security@riversidefamilyclinic.example"})


def build():
    global ACCOUNT
    for items in ITEMS.values():
        items.clear()
    RESOURCES.clear()
    SHORT.clear()
    COUNTER[0] = 0
    ACCOUNT = PROD
    prod_account_items()
    prod_vpcs()
    prod_subnets()
    prod_gateways_and_routes()
    prod_network_acls()
    prod_security_groups()
    flow_log(rid("fl", "prod"), VPC_PROD, FLOWLOG_GROUP, "2024-02-06T15:28:31.000Z", "riverside-prod-flow-logs")
    prod_vpn()
    prod_instances()
    prod_volumes()
    ssm_items()
    prod_auto_scaling()
    prod_ecs()
    prod_lambda()
    prod_codebuild()
    prod_databases()
    prod_secrets_and_messaging()
    prod_s3_buckets()
    prod_efs()
    prod_albs()
    prod_clbs()
    prod_certificates()
    prod_api_gateway()
    prod_trails()
    prod_monitoring()
    prod_iam()
    prod_kms()
    prod_backup()
    prod_search()
    ACCOUNT = ANALYTICS
    analytics_account_items()
    analytics_network()
    analytics_compute()
    analytics_storage()
    analytics_databases()
    analytics_ml()
    analytics_trail()
    analytics_iam()
    analytics_kms_and_backup()
    ACCOUNT = PROD
    prod_identity_provider()
    prod_stacks()
    ACCOUNT = LOG_ARCHIVE
    archive_account()
    ACCOUNT = PROD
    files = {}
    for account in (PROD, ANALYTICS, LOG_ARCHIVE):
        register("AWS::::Account", account, account, short_account(account))
        for path, text in fact_files(account).items():
            files[f"AWSLogs/{account}/{path}"] = text
    return files


# ================================================================= expected results
# For every rule of the pack: the status each resource should get, from the rule's documented
# semantics (`ward explain RULE`). `default` applies to every resource of the rule's types not
# named; the others map a resource's short name (see the README's resource table) to the reason
# for its status. The tests compare Ward's findings with the expected-statuses.json written
# from this table.
C, NC, NA = "COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"
EXPECTATIONS = {}


def expect(rule, default, c=(), nc=None, na=None, note=None):
    if rule in EXPECTATIONS:
        raise SystemExit(f"{rule}: expected results declared twice")
    EXPECTATIONS[rule] = {"default": default, C: {n: "" for n in c}, NC: dict(nc or {}), NA: dict(na or {}),
                          "note": note}


def both_accounts(rule, why_analytics, note=None):
    expect(rule, C, nc={"analytics": why_analytics}, note=note)


# ---- account level (one AWS::::Account per account: prod passes, analytics fails)
both_accounts("cloudtrail-enabled", "its only trail, analytics-trail, stopped logging on 2026-08-01")
both_accounts("cloudtrail-s3-dataevents-enabled", "no logging trail (riverside-audit's all-buckets S3 data-event selector is in prod)")
both_accounts("ebs-snapshot-public-restorable-check", "describe-snapshots --restorable-by-user-ids all lists the research dataset snapshot (its createVolumePermission is group all)")
both_accounts("iam-password-policy", "length 8, no symbols required, no reuse prevention, passwords never expire")
both_accounts("iam-root-access-key-check", "the root user has an active access key (created during the 2025 setup)")
both_accounts("multi-region-cloudtrail-enabled", "its multi-Region trail is not logging")
both_accounts("root-account-hardware-mfa-enabled", "the root user has no MFA at all")
both_accounts("root-account-mfa-enabled", "the root user has no MFA (AccountMFAEnabled 0, mfa_active false)")
both_accounts("s3-account-level-public-access-blocks-periodic", "BlockPublicPolicy and RestrictPublicBuckets are off")
both_accounts("securityhub-enabled", "Security Hub is not enabled (no describe-hub output)")
both_accounts("ward-cloudtrail-stop-alarm", "no EventBridge rule or alarm alerts on StopLogging/DeleteTrail/UpdateTrail")
both_accounts("ward-root-user-not-used", "the root user signed in with its password on 2026-11-04 (within 90 days)")
expect("ward-access-keys-no-lasting-overlap", NA, c=["ci-deploy"],
       nc={"data-eng-svc": "key 2 (created 2026-02-02) and key 1 (2025-09-01) both active since February"})
both_accounts("ward-cloudtrail-delivery-notifies", "its only multi-Region trail, analytics-trail, is not logging")
both_accounts("ward-admin-count", "no administrator-equivalent IAM principal (between 2 and 3 expected): the contractor works as root")
both_accounts("ward-config-recorder-on", "the recorder's last status is FAILURE (AccessDeniedException: its role lost permission)")

# ---- per account and Region facts
expect("ec2-ebs-encryption-by-default", C, nc={"analytics us-east-1": "EbsEncryptionByDefault false"})
expect("guardduty-enabled-centralized", C, nc={"analytics us-east-1": "list-detectors returns no detector"})

# ---- the IAM credential report
ROOTS = {"prod root": "root user's row", "analytics root": "root user's row", "archive root": "root user's row"}
expect("access-keys-rotated", NA, c=["ci-deploy"],
       nc={"backup-agent": "access key 1 last rotated 2024-03-14",
           "data-eng-svc": "access key 1 last rotated 2025-09-01"},
       na={**ROOTS, "mlopez": "no access key", "frontdesk-shared": "no access key",
           "jwhite-contractor": "no access key", "kpatel": "no access key", "intern-2025": "no access key"})
expect("iam-user-mfa-enabled", NC, c=["mlopez", "jwhite-contractor", "kpatel"],
       nc={"ci-deploy": "no MFA device", "backup-agent": "no MFA device", "frontdesk-shared": "no MFA device",
           "data-eng-svc": "no MFA device", "intern-2025": "no MFA device"}, na=ROOTS)
expect("iam-user-unused-credentials-check", C,
       nc={"jwhite-contractor": "password last used 2026-05-12 (192 days)",
           "intern-2025": "password last used 2025-08-22"}, na=ROOTS)
CONSOLE_NA = {**ROOTS, "ci-deploy": "no console password", "backup-agent": "no console password",
              "data-eng-svc": "no console password"}
expect("mfa-enabled-for-iam-console-access", NA, c=["mlopez", "jwhite-contractor", "kpatel"],
       nc={"frontdesk-shared": "console password, no MFA (a shared login)",
           "intern-2025": "console password, no MFA"}, na=CONSOLE_NA)
expect("ward-console-users-have-mfa", NA, c=["mlopez", "jwhite-contractor", "kpatel"],
       nc={"frontdesk-shared": "console password, no MFA (a shared login)",
           "intern-2025": "console password, no MFA"}, na=CONSOLE_NA)

expect("ward-console-password-only-break-glass", NA, c=["mlopez"],
       nc={"frontdesk-shared": "console password, not a break-glass user (a shared login)",
           "jwhite-contractor": "console password, not a break-glass user (a contractor)",
           "kpatel": "console password, not a break-glass user",
           "intern-2025": "console password, not a break-glass user"}, na=CONSOLE_NA)
expect("cloudformation-stack-service-role-check", C,
       nc={"ehr-app-legacy": "no roleARN: deployed with the administrator's own credentials"})
expect("cloudformation-stack-drift-detection-check", C,
       nc={"ehr-app-legacy": "drift status DRIFTED (its security group was changed by hand)"})
expect("ward-identity-federated", C,
       nc={"analytics": "no SAML or OIDC provider, no IAM Identity Center role (prod federates with Okta: RiversideOkta)",
           "archive": "no identity provider of its own: its administrators come in through roles trusted by prod's root, which the rule does not count"})

# ---- IAM items
expect("iam-customer-policy-blocked-kms-actions", C,
       nc={"RiversideBreakGlassAdmin": "Allow * on *", "DataScienceS3Access": "kms:Decrypt and kms:GenerateDataKey on *"})
expect("iam-policy-no-statements-with-admin-access", C, nc={"RiversideBreakGlassAdmin": "Allow * on * (default version v1)"},
       note="EhrAppDocumentAccess's * on * is in v1, not the default version v2")
expect("iam-policy-no-statements-with-full-access", C,
       nc={"RiversideBreakGlassAdmin": "Action *", "BackupOperator": "backup:* and s3:*",
           "DataScienceS3Access": "s3:*"})
expect("iam-inline-policy-blocked-kms-actions", C, nc={"ci-deploy": "inline deploy-artifacts allows kms:Decrypt on *"})
expect("iam-no-inline-policy-check", C, nc={n: "inline policy" for n in [
    "ehr-app-instance-role", "cloudtrail-to-cloudwatch", "vpc-flow-logs-role", "intake-ocr-role",
    "codebuild-ehr-app-build-role", "hl7-parser-task-role", "s3-replication-role", "front-desk",
    "compliance-auditors", "ci-deploy", "developer-role", "cfn-deploy-network"]})
expect("iam-user-no-policies-check", C,
       nc={"ci-deploy": "inline policy", "backup-agent": "BackupOperator attached directly",
           "data-eng-svc": "LakeReadOnly attached directly"})
expect("ward-auditor-log-read-only", NA, c=["external-auditor", "log-archive-auditor"],
       nc={"compliance-auditors": "inline audit-log-access grants s3:* on the CloudTrail log bucket"},
       note="NOT_APPLICABLE: every principal whose name does not match (?i)audit")

# ---- network
expect("internet-gateway-authorized-vpc-only", NC,
       nc={"igw-prod": "attached; no AuthorizedVpcIds given", "igw-default": "attached; no AuthorizedVpcIds given",
           "igw-analytics": "attached; no AuthorizedVpcIds given"},
       note="allow-listed: without the AuthorizedVpcIds parameter every attached gateway is NON_COMPLIANT")
expect("nacl-no-unrestricted-ssh-rdp", NC, c=["acl-app"],
       nc={"acl-public": "rule 120 allows tcp 22 from 0.0.0.0/0",
           "acl-db": "rule 100 allows all traffic from 0.0.0.0/0",
           "acl-legacy-default": "default NACL: rule 100 allows everything",
           "acl-analytics-default": "default NACL: rule 100 allows everything"})
expect("no-unrestricted-route-to-igw", NC, c=["rtb-prod-private", "rtb-an-private"],
       nc={"rtb-prod-public": "0.0.0.0/0 and ::/0 to igw-prod", "rtb-default-main": "0.0.0.0/0 to igw-default",
           "rtb-an-public": "0.0.0.0/0 to igw-analytics"})
expect("restricted-common-ports", C,
       nc={"admin-ipv6-sg": "tcp 3389 from ::/0", "vendor-remote-support-sg": "tcp 3380-3399 from 0.0.0.0/0",
           "vendor-integration-sg": "all traffic from 0.0.0.0/0"})
expect("restricted-ssh", C,
       nc={"bastion-sg": "tcp 22 from 0.0.0.0/0", "admin-ipv6-sg": "tcp 22 from ::/0",
           "vendor-integration-sg": "all traffic from 0.0.0.0/0", "ElasticMapReduce-master": "tcp 22 from 0.0.0.0/0"})
expect("subnet-auto-assign-public-ip-disabled", C,
       nc={"public-a": "mapPublicIpOnLaunch", "public-b": "mapPublicIpOnLaunch", "an-public-a": "mapPublicIpOnLaunch"})
expect("vpc-default-security-group-closed", NA, c=["default-prod"],
       nc={"default-legacy": "stock rules (all from itself, all out)", "default-analytics": "stock rules"},
       note="NOT_APPLICABLE: every group that is not a VPC's default group")
expect("vpc-flow-logs-enabled", NC, c=["vpc-prod"], nc={"vpc-default": "no flow log", "vpc-analytics": "no flow log"})
expect("vpc-sg-open-only-to-authorized-ports", NA, c=["icmp-diagnostics-sg"],
       nc={"ehr-alb-sg": "tcp 443, 80 open to the world, no port authorized (no parameters)",
           "bastion-sg": "tcp 22 to 0.0.0.0/0", "admin-ipv6-sg": "tcp 22, 3389 to ::/0",
           "vendor-remote-support-sg": "tcp 3380-3399 to 0.0.0.0/0", "vendor-integration-sg": "all traffic to 0.0.0.0/0",
           "research-sandbox-dw-sg": "tcp 5439 to 0.0.0.0/0", "ElasticMapReduce-master": "tcp 22 to 0.0.0.0/0",
           "survey-app-prod (Beanstalk)": "tcp 80 to 0.0.0.0/0", "survey-app-staging (Beanstalk)": "tcp 80 to 0.0.0.0/0"},
       note="NOT_APPLICABLE: groups with no source 0.0.0.0/0 or ::/0; icmp-diagnostics-sg opens only ICMP to the world")
expect("vpc-vpn-2-tunnels-up", C, nc={"vpn-reflab": "tunnel 54.86.120.9 DOWN since 2026-09-30"})
expect("ward-nacl-db-ports-blocked", C,
       nc={"acl-legacy-default": "rule 100 allows every DB port from 0.0.0.0/0",
           "acl-analytics-default": "rule 100 allows every DB port from 0.0.0.0/0"},
       note="acl-db: deny rules 80-83 come before its allow-all rule 100")

# ---- EC2, EBS, Auto Scaling, SSM, ECS
EMR_MASTERS = ["claims-etl-master", "genomics-spark-master"]
BEANSTALK = ["survey-app-prod-1", "survey-app-staging-1"]
expect("desired-instance-tenancy", NC, c=["ehr-app-1", "ehr-app-2"],
       nc={n: "tenancy default" for n in ["bastion", "hl7-interface", "fax-gateway", "bi-dashboard-1", "jupyter-gpu-1"]
           + EMR_MASTERS + BEANSTALK})
expect("cloudwatch-alarm-resource-check", NA, c=["ehr-app-1", "ehr-app-2"],
       nc={n: "no CPUUtilization alarm on its InstanceId" for n in ["bastion", "hl7-interface", "fax-gateway",
                                                                   "bi-dashboard-1", "jupyter-gpu-1"]
           + EMR_MASTERS + BEANSTALK},
       note="NOT_APPLICABLE: EBS volumes, Aurora clusters and S3 buckets (the alarmResourceType parameter selects EC2 instances)")
expect("ec2-instance-detailed-monitoring-enabled", NC, c=["ehr-app-1", "ehr-app-2"],
       nc={n: "monitoring state disabled" for n in ["bastion", "hl7-interface", "fax-gateway", "bi-dashboard-1",
                                                    "jupyter-gpu-1"] + EMR_MASTERS + BEANSTALK})
expect("ec2-imdsv2-check", C, nc={"hl7-interface": "httpTokens optional", "fax-gateway": "httpTokens optional",
                                  "genomics-spark-master": "httpTokens optional"})
expect("ec2-instance-managed-by-systems-manager", NC, c=["ehr-app-1", "ehr-app-2"],
       nc={n: "no SSM managed-instance inventory" for n in ["bastion", "hl7-interface", "fax-gateway",
                                                            "bi-dashboard-1", "jupyter-gpu-1"]
          + EMR_MASTERS + BEANSTALK},
       na={"ehr-app-1 (SSM inventory)": "the finding is on the instance",
           "ehr-app-2 (SSM inventory)": "the finding is on the instance"})
expect("ec2-instance-no-public-ip", C, nc={"bastion": "public IP 54.210.117.34",
                                           "genomics-spark-master": "public IP 3.92.18.77",
                                           "survey-app-prod-1": "Elastic IP 44.211.90.12",
                                           "survey-app-staging-1": "Elastic IP 44.211.90.13"})
expect("ec2-instance-profile-attached", C,
       nc={"bastion": "no instance profile", "hl7-interface": "no instance profile", "fax-gateway": "no instance profile"})
expect("ec2-instances-in-vpc", C,
       note="allow-listed: NON_COMPLIANT needs an EC2-Classic instance (retired in 2023)")
expect("ec2-resources-protected-by-backup-plan", NC, c=["ehr-app-1", "ehr-app-2"],
       nc={n: "not in a backup selection" for n in ["bastion", "hl7-interface", "bi-dashboard-1"] + EMR_MASTERS
           + BEANSTALK},
       na={"fax-gateway": "stopped", "jupyter-gpu-1": "stopped"})
expect("ec2-stopped-instance", NA, c=["jupyter-gpu-1"],
       nc={"fax-gateway": "stopped since 2026-08-14 (97 days)"},
       note="NOT_APPLICABLE: running instances")
expect("ward-log-bucket-writers", C,
       nc={"clinic-admins": "AdministratorAccess: s3:* on the log buckets; no allowedWriters given",
           "mlopez": "AdministratorAccess through clinic-admins",
           "codebuild-portal-legacy-build-role": "AdministratorAccess",
           "compliance-auditors": "inline audit-log-access allows s3:* on the CloudTrail bucket",
           "jwhite-contractor": "s3:* on the CloudTrail bucket through compliance-auditors",
           "EMR_EC2_DefaultRole": "AmazonElasticMapReduceforEC2Role allows s3:* on *",
           "log-archive-admin": "AdministratorAccess: s3:* on the archive's two log buckets",
           "log-archive-breakglass": "AdministratorAccess: s3:* on the archive's two log buckets"},
       note="deployed without allowedWriters: every writer is named")
SAGEMAKER_READ = "AmazonSageMakerFullAccess: s3:GetObject on arn:aws:s3:::* (its condition on the object's tag is not subtracted)"
expect("ward-log-bucket-readers", C,
       nc={"clinic-admins": "AdministratorAccess", "mlopez": "AdministratorAccess through clinic-admins",
           "codebuild-portal-legacy-build-role": "AdministratorAccess",
           "compliance-auditors": "inline audit-log-access reads the CloudTrail bucket",
           "jwhite-contractor": "reads the CloudTrail bucket through compliance-auditors",
           "EMR_EC2_DefaultRole": "AmazonElasticMapReduceforEC2Role allows s3:* on *",
           "data-science": SAGEMAKER_READ, "kpatel": SAGEMAKER_READ + ", through data-science",
           "intern-2025": SAGEMAKER_READ + ", through data-science", "sagemaker-execution-role": SAGEMAKER_READ,
           "log-archive-admin": "AdministratorAccess", "log-archive-breakglass": "AdministratorAccess",
           "log-archive-auditor": "ReadOnlyAccess (s3:Get* on *)"},
       note="deployed without allowedReaders: every reader is named, the auditors included")
expect("ward-phi-ssh-logs-forwarded", NA, c=["ehr-app-1"],
       nc={"ehr-app-2": "its AmazonCloudWatch-ManageAgent association last ran NON_COMPLIANT",
           "hl7-interface": "no SSM association compliance recorded (not a managed instance)"},
       na={"fax-gateway": "stopped"},
       note="NOT_APPLICABLE: instances without phi=true")
expect("ward-phi-dedicated-tenancy", NA, c=["ehr-app-1", "ehr-app-2"],
       nc={"hl7-interface": "phi=true, tenancy default", "fax-gateway": "phi=true, tenancy default"},
       note="NOT_APPLICABLE: instances without phi=true")
# ---- Cedar controls (policies/hipaa/cedar)
expect("ward-phi-s3-bucket-protection", NA, c=["riverside-ehr-documents-111122223333", "riverside-ehr-backups-111122223333"],
       nc={"riverside-intake-scans": "phi=true: no versioning, no access logging, no public access block"},
       note="NOT_APPLICABLE: buckets without phi=true")
expect("ward-phi-rds-protection", NA, c=["ehr-db", "analytics-aurora-1"],
       nc={"reporting-db": "phi=true, not encrypted",
           "legacy-portal-db": "phi=true, public, no deletion protection, 1-day backups"},
       note="NOT_APPLICABLE: DB instances without phi=true")
expect("ward-phi-least-privilege", NA,
       c=["ehr-app-instance-role", "ehr-backup-role", "external-auditor", "intake-ocr-role", "s3-replication-role",
          "mlopez", "frontdesk-shared", "backup-agent", "jwhite-contractor",
          "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable", "AWSServiceRoleForAutoScaling",
          "hl7-parser-task-role", "reporting-etl-role"],
       nc={"developer-role": "planted: s3:* on arn:aws:s3:::riverside-ehr-* reaches the PHI documents and backups buckets (inline policy developer-s3, Sid DevBuckets); "
                             "ssm:StartSession on every instance of the account reaches the PHI instances (developer-sessions, Sid DebugSessions; practice A4)",
           "codebuild-portal-legacy-build-role": "AdministratorAccess reaches every PHI resource",
           "cfn-deploy-network": "ec2:CreateTags on * (network-stack, Sid Network) reaches the PHI instances and volumes: "
                                 "the network stack's role can rewrite their phi tag"},
       note="NOT_APPLICABLE: no grant on a PHI-bearing resource (the analytics account's roles and users, among them "
            "sagemaker-execution-role with AmazonSageMakerFullAccess and EMR_EC2_DefaultRole with rds:Describe* on *, "
            "have identity grants whose wildcards match the clinic account's PHI resources, but no bucket policy "
            "admits account 444455556666 and RDS and DynamoDB take no cross-account grants here); "
            "COMPLIANT: every grant is in the intent (ward-phi-least-privilege.cedar): among them the SSM agent's "
            "own actions through AmazonSSMManagedInstanceCore (ehr-app-instance-role, reporting-etl-role), the HL7 "
            "parser's kinesis:PutRecord(s) on hl7-events, the Auto Scaling service role on the PHI instances and volumes")
expect("ward-production-instance-access", NA,
       c=["ehr-backup-role", "reporting-etl-role", "external-auditor", "ehr-app-instance-role",
          "AWSServiceRoleForAutoScaling", "mlopez", "jwhite-contractor"],
       nc={"developer-role": "planted (practice A4): ssm:StartSession on every instance of the account reaches the five "
                             "production instances, the bastion among them (developer-sessions, Sid DebugSessions)",
           "codebuild-portal-legacy-build-role": "AdministratorAccess reaches every production instance",
           "cfn-deploy-network": "ec2:CreateTags on * (network-stack, Sid Network) reaches the production instances"},
       note="NOT_APPLICABLE: no grant on an instance tagged environment = prod/production; COMPLIANT: every grant "
            "is in the intent (ward-production-instance-access.cedar): administrators, service roles, the SSM agent's "
            "own actions, auditors' List/Read, the backup role")
expect("ward-role-trust-restricted", C,
       nc={"university-lake-reader": "planted: trusts the university's whole account (arn:aws:iam::777788889999:root) "
                                     "with no external id, MFA, organization or principal condition"},
       note="COMPLIANT: services, the role's own account (developer-role), another account's root with sts:ExternalId "
            "(external-auditor, log-archive-auditor) or aws:MultiFactorAuthPresent (log-archive-admin, "
            "log-archive-breakglass)")
expect("encrypted-volumes", C,
       nc={"bastion-root": "in use, unencrypted", "fax-gateway-root": "in use, unencrypted",
           "jupyter-gpu-1-root": "in use, unencrypted", "genomics-spark-master-root": "in use, unencrypted",
           "survey-app-prod-1-root": "in use, unencrypted", "survey-app-staging-1-root": "in use, unencrypted"},
       na={"ehr-export-2024": "not attached (available)"})
expect("ebs-in-backup-plan", NC, c=["ehr-app-1-root", "ehr-app-2-root"],
       nc={n: "not in a backup selection" for n in ["bastion-root", "hl7-interface-root", "ehr-export-2024",
                                                    "fax-gateway-root", "bi-dashboard-1-root", "jupyter-gpu-1-root",
                                                    "claims-etl-master-root", "genomics-spark-master-root",
                                                    "survey-app-prod-1-root", "survey-app-staging-1-root"]})
expect("autoscaling-group-elb-healthcheck-required", NA, c=["bi-dashboard-asg"],
       nc={"patient-portal-asg": "behind portal-legacy-clb with health check type EC2"},
       na={"reporting-etl-asg": "no load balancer", "survey-app-prod (Beanstalk ASG)": "no load balancer",
           "survey-app-staging (Beanstalk ASG)": "no load balancer"})
expect("autoscaling-launch-config-public-ip-disabled", C, nc={"portal-web-lc-2021": "associatePublicIpAddress true"})
expect("ec2-managedinstance-association-compliance-status-check", C,
       nc={"ehr-app-2 (association compliance)": "AWS-UpdateSSMAgent association NON_COMPLIANT"})
expect("ec2-managedinstance-patch-compliance-status-check", C,
       nc={"ehr-app-2 (patch compliance)": "critical kernel patch missing"})
expect("ssm-document-not-public", NC,
       nc={"Riverside-RestartEhrService": "sharing permissions are not recorded by AWS Config (cannot verify)"},
       note="allow-listed: COMPLIANT needs describe-document-permission output, which AWS Config does not record")
expect("ecs-containers-readonly-access", C, nc={"node-exporter:1": "ReadonlyRootFilesystem not set"})
expect("ecs-task-definition-user-for-host-mode-check", C,
       nc={"node-exporter:1": "host network mode, container neither privileged nor non-root"})

# ---- load balancers, certificates, API Gateway, WAF
expect("acm-certificate-expiration-check", C,
       nc={"hl7.riversidefamilyclinic.example": "imported certificate expires 2026-11-29 (9 days)"})
expect("alb-http-to-https-redirection-check", C, nc={"bi-dashboard-alb": "HTTP:80 forwards, no redirect"})
expect("alb-waf-enabled", NC,
       nc={"ehr-web-alb": "AWS Config records no WAFv2 association (cannot verify)", "bi-dashboard-alb": "no web ACL"},
       note="allow-listed: Config records only WAF Classic associations (WAF Classic reached end of life in 2025)")
expect("elb-acm-certificate-required", C, nc={"portal-legacy-clb": "HTTPS listener uses an IAM server certificate"})
expect("elb-cross-zone-load-balancing-enabled", C, nc={"hl7-tls-clb": "cross-zone load balancing off"})
expect("elb-deletion-protection-enabled", C, nc={"bi-dashboard-alb": "deletion_protection.enabled false"})
expect("elb-logging-enabled", C, nc={"portal-legacy-clb": "access log off", "bi-dashboard-alb": "access logs off"})
expect("elb-predefined-security-policy-ssl-check", C,
       nc={"hl7-tls-clb": "SSL listener's policy references ELBSecurityPolicy-2016-08"})
expect("elb-tls-https-listeners-only", C, nc={"portal-legacy-clb": "HTTP:80 listener"})
expect("elbv2-acm-certificate-required", C, nc={"bi-dashboard-alb": "no HTTPS listener (HTTP:80 forwards)"})
expect("api-gw-associated-with-waf", C, nc={"patient-api/test": "no web ACL"})
expect("api-gw-execution-logging-enabled", C, nc={"patient-api/test": "no execution logging (no methodSettings)"})
expect("api-gw-ssl-enabled", C, nc={"patient-api/test": "no client certificate"})
expect("wafv2-logging-enabled", C, nc={"patient-api-waf": "no logging configuration"})

# ---- CloudTrail, CloudWatch
expect("cloud-trail-cloud-watch-logs-enabled", C,
       nc={"ehr-documents-data-events": "no CloudWatch Logs log group", "analytics-trail": "no CloudWatch Logs log group"})
expect("cloud-trail-encryption-enabled", C,
       nc={"ehr-documents-data-events": "no kmsKeyId", "analytics-trail": "no kmsKeyId"})
expect("cloud-trail-log-file-validation-enabled", C, nc={"ehr-documents-data-events": "log file validation off"})
expect("cloudwatch-alarm-action-check", C, nc={"bastion-status-check-failed": "no INSUFFICIENT_DATA action"})
expect("ward-trail-logs-in-log-archive-account", NC, c=["analytics-trail", "log-archive-trail"],
       nc={"riverside-audit": "its bucket is in prod, its own account, which holds workload data (not a log archive)",
           "ehr-documents-data-events": "its bucket is in prod, its own account"},
       note="COMPLIANT: analytics-trail writes into the log-archive account; log-archive-trail is the archive's own, in the account that receives another account's trail and holds log buckets only")

# ---- databases
expect("db-instance-backup-enabled", C, nc={"legacy-portal-db": "backupRetentionPeriod 0"})
expect("rds-automatic-minor-version-upgrade-enabled", C, nc={"legacy-portal-db": "autoMinorVersionUpgrade false"})
expect("rds-enhanced-monitoring-enabled", NC, c=["ehr-db"],
       nc={n: "monitoringInterval 0" for n in ["reporting-db", "legacy-portal-db", "analytics-aurora-1",
                                               "research-aurora-pg-1", "research-aurora-pg-2"]})
expect("rds-in-backup-plan", NC, c=["ehr-db", "analytics-aurora-1"],
       nc={n: "not in a backup selection" for n in ["reporting-db", "legacy-portal-db", "research-aurora-pg-1",
                                                    "research-aurora-pg-2"]},
       note="analytics-aurora-1 is covered through its cluster's ARN")
expect("rds-instance-public-access-check", C, nc={"legacy-portal-db": "publiclyAccessible true"})
expect("rds-logging-enabled", NC, c=["ehr-db", "research-aurora-pg-1", "research-aurora-pg-2"],
       nc={"reporting-db": "postgres: upgrade log not exported", "legacy-portal-db": "mysql: exports error only",
           "analytics-aurora-1": "aurora-mysql: exports audit only"})
expect("rds-multi-az-support", NC, c=["ehr-db"],
       nc={"reporting-db": "single-AZ", "legacy-portal-db": "single-AZ"},
       na={"analytics-aurora-1": "Aurora", "research-aurora-pg-1": "Aurora", "research-aurora-pg-2": "Aurora"})
expect("rds-storage-encrypted", C, nc={"reporting-db": "storageEncrypted false"})
expect("ward-db-only-from-app-security-groups", NC, c=["ehr-db", "analytics-aurora-1"],
       nc={"reporting-db": "reporting-db-sg admits 10.20.0.0/16",
           "legacy-portal-db": "vendor-integration-sg admits 0.0.0.0/0",
           "research-aurora-pg-1": "research-db-sg admits notebook-sg, not an application group",
           "research-aurora-pg-2": "research-db-sg admits notebook-sg, not an application group"})
expect("ward-rds-sg-only-ingress", C,
       nc={"reporting-db": "5432 from 10.20.0.0/16", "legacy-portal-db": "3306 from 0.0.0.0/0 (protocol -1)"})
expect("aurora-resources-protected-by-backup-plan", C, nc={"research-aurora-pg": "not in a backup selection"})
expect("rds-cluster-deletion-protection-enabled", C, nc={"research-aurora-pg": "deletionProtection false"})
expect("rds-cluster-multi-az-enabled", C, nc={"analytics-aurora": "one instance, multiAZ false"})
expect("rds-snapshot-encrypted", C, nc={"reporting-db-vendor-share-2025": "unencrypted"})
expect("rds-snapshots-public-prohibited", C, nc={"reporting-db-vendor-share-2025": "restore attribute all (public)"})
expect("dynamodb-autoscaling-enabled", C,
       nc={"portal-sessions": "provisioned; its auto scaling targets have no scaling policy"})
expect("dynamodb-throughput-limit-check", NA, c=["prod us-east-1"],
       nc={"analytics": "DynamoDB tables in us-east-1 but no describe-limits output was collected"},
       na={"prod": "judged on its describe-limits fact"})
expect("dynamodb-in-backup-plan", C, nc={"portal-sessions": "not in a backup selection",
                                         "survey-responses": "not in a backup selection"})
expect("dynamodb-pitr-enabled", C, nc={"portal-sessions": "PITR DISABLED"})
expect("dms-replication-not-public", C, nc={"ehr-migration-2024": "PubliclyAccessible true"})
for rule, why in [("redshift-backup-enabled", "automated snapshots off (retention 0)"),
                  ("redshift-cluster-configuration-check", "unencrypted, audit logging off"),
                  ("redshift-cluster-maintenancesettings-check", "allowVersionUpgrade false"),
                  ("redshift-cluster-public-access-check", "publiclyAccessible true"),
                  ("redshift-require-tls-ssl", "default.redshift-1.0 (not recorded; require_ssl false)")]:
    expect(rule, C, nc={"research-sandbox-dw": why})
for rule, why in [("elasticsearch-encrypted-at-rest", "not encrypted at rest"),
                  ("elasticsearch-in-vpc-only", "public endpoint, no VPC"),
                  ("elasticsearch-logs-to-cloudwatch", "publishes no logs"),
                  ("elasticsearch-node-to-node-encryption-check", "node-to-node encryption off"),
                  ("opensearch-encrypted-at-rest", "not encrypted at rest"),
                  ("opensearch-https-required", "EnforceHTTPS false"),
                  ("opensearch-in-vpc-only", "no VPCOptions (public endpoint)"),
                  ("opensearch-logs-to-cloudwatch", "publishes no logs"),
                  ("opensearch-node-to-node-encryption-check", "node-to-node encryption off")]:
    expect(rule, C, nc={"research-search": why})

# ---- backup
expect("backup-plan-min-frequency-and-min-retention-check", C,
       nc={"analytics-weekly": "weekly (Sundays), keeps 14 days"})
expect("backup-recovery-point-encrypted", C,
       nc={"recovery point of reporting-db (2026-10-11)": "IsEncrypted false (the source is unencrypted)"})
expect("backup-recovery-point-manual-deletion-disabled", NC, c=["riverside-phi-vault"],
       nc={"Default": "no access policy", "analytics-backups": "no access policy"})
expect("efs-encrypted-check", C, nc={"research-notebooks": "Encrypted false"})
expect("efs-in-backup-plan", C, nc={"research-notebooks": "not selected, automatic backups DISABLED"})

# ---- S3
B, AB = BUCKET, AN_BUCKET
expect("s3-bucket-acl-prohibited", C, nc={B["intake"]: "ACL grants Write to the scanning vendor's canonical user"})
ARCHIVE = [ARCHIVE_BUCKET["logs"], ARCHIVE_BUCKET["access"]]
expect("s3-bucket-default-lock-enabled", NC, c=[B["cloudtrail"], ARCHIVE_BUCKET["logs"]],
       nc={n: "no Object Lock" for n in [B["documents"], B["backups"], B["access-logs"], B["intake"],
                                         AB["lake"], AB["dashboard"], AB["dropbox"], ARCHIVE_BUCKET["access"]]})
expect("s3-bucket-logging-enabled", NC, c=[B["documents"], B["backups"], B["cloudtrail"], ARCHIVE_BUCKET["logs"]],
       nc={n: "no server access logging" for n in [B["access-logs"], B["intake"], AB["lake"], AB["dashboard"],
                                                   AB["dropbox"], ARCHIVE_BUCKET["access"]]})
expect("s3-bucket-public-read-prohibited", C,
       nc={AB["dashboard"]: "policy allows s3:GetObject to *, RestrictPublicBuckets off"})
expect("s3-bucket-policy-grantee-check", C,
       nc={B["cloudtrail"]: "Allows cloudtrail.amazonaws.com; no servicePrincipals given (no parameter allows nothing)",
           B["access-logs"]: "Allows logging.s3.amazonaws.com and the ELB account 127311923021; no parameters given",
           B["backups"]: "Allows role ehr-backup-role; no awsPrincipals given",
           AB["dashboard"]: "Allows s3:GetObject to * without a condition",
           AB["dropbox"]: "Allows Principal * (its condition is not an IP range or VPC given)",
           ARCHIVE_BUCKET["logs"]: "Allows cloudtrail.amazonaws.com; no servicePrincipals given",
           ARCHIVE_BUCKET["access"]: "Allows logging.s3.amazonaws.com; no servicePrincipals given"},
       note="deployed without parameters, as the AWS HIPAA Quick Start does: every grant fails")
expect("s3-bucket-public-write-prohibited", C,
       nc={AB["dropbox"]: "policy allows s3:PutObject to * (its condition does not restrict), RestrictPublicBuckets off"})
expect("s3-bucket-replication-enabled", NC, c=[B["documents"]],
       nc={n: "no replication rule" for n in [B["backups"], B["access-logs"], B["cloudtrail"], B["intake"],
                                              AB["lake"], AB["dashboard"], AB["dropbox"], *ARCHIVE]})
expect("s3-bucket-server-side-encryption-enabled", C, nc={B["intake"]: "no ServerSideEncryptionConfiguration"})
expect("s3-bucket-ssl-requests-only", NC, c=[B["documents"], B["access-logs"], B["cloudtrail"], AB["lake"], *ARCHIVE],
       nc={B["backups"]: "policy has no TLS-only deny", B["intake"]: "no bucket policy",
           AB["dashboard"]: "policy has no TLS-only deny", AB["dropbox"]: "policy has no TLS-only deny"})
expect("s3-bucket-versioning-enabled", NC, c=[B["documents"], B["backups"], B["cloudtrail"], AB["lake"], *ARCHIVE],
       nc={B["access-logs"]: "Suspended", B["intake"]: "Off", AB["dashboard"]: "Off", AB["dropbox"]: "Off"})
expect("s3-default-encryption-kms", NC, c=[B["documents"], B["cloudtrail"], AB["lake"], ARCHIVE_BUCKET["logs"]],
       nc={B["backups"]: "SSE-S3", B["access-logs"]: "SSE-S3", B["intake"]: "no default encryption",
           AB["dashboard"]: "SSE-S3", AB["dropbox"]: "SSE-S3", ARCHIVE_BUCKET["access"]: "SSE-S3"})
expect("s3-event-notifications-enabled", NC, c=[B["intake"]],
       nc={n: "no event notification" for n in [B["documents"], B["backups"], B["access-logs"], B["cloudtrail"],
                                                AB["lake"], AB["dashboard"], AB["dropbox"], *ARCHIVE]})
expect("s3-version-lifecycle-policy-check", NA, c=[B["cloudtrail"], AB["lake"], *ARCHIVE],
       nc={B["documents"]: "versioned, no lifecycle rule", B["backups"]: "versioned, no lifecycle rule"},
       note="NOT_APPLICABLE: buckets whose versioning is not Enabled")
expect("ward-log-bucket-protected", NA, c=[B["cloudtrail"], ARCHIVE_BUCKET["logs"]],
       nc={B["access-logs"]: "versioning Suspended, no MFA delete, no Object Lock",
           ARCHIVE_BUCKET["access"]: "versioning without MFA delete, no Object Lock"},
       note="NOT_APPLICABLE: buckets that no trail, logging configuration or load balancer of any loaded account names as a log destination, and whose policy lets no log delivery service put objects")
expect("ward-session-manager-logging", C,
       nc={"analytics": "Session Manager keeps its default preferences in us-east-1: no S3 bucket, no CloudWatch log group"},
       na={"archive": "no EC2 instance recorded"})
expect("ward-log-bucket-mfa-for-changes", NA, c=[ARCHIVE_BUCKET["logs"]],
       nc={B["cloudtrail"]: "its policy has no Deny conditioned on MFA",
           B["access-logs"]: "its policy has no Deny conditioned on MFA",
           ARCHIVE_BUCKET["access"]: "its policy has no Deny conditioned on MFA"},
       note="NOT_APPLICABLE: buckets that are not log buckets (as for ward-log-bucket-protected)")
expect("ward-log-bucket-retention", NA, c=[B["cloudtrail"], B["access-logs"], ARCHIVE_BUCKET["logs"]],
       nc={ARCHIVE_BUCKET["access"]: "its lifecycle rule expires the access logs after 365 days (under 2190)"},
       note="NOT_APPLICABLE: buckets that are not log buckets (as for ward-log-bucket-protected)")

# ---- other services
expect("codebuild-project-envvar-awscred-check", C,
       nc={"portal-legacy-build": "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in plaintext"})
expect("codebuild-project-source-repo-url-check", C, nc={"portal-legacy-build": "user:password in the Bitbucket URL"})
expect("elastic-beanstalk-managed-updates-enabled", C,
       nc={"survey-app-staging": "ManagedActionsEnabled false"})
expect("kinesis-stream-encrypted", C, nc={"clickstream-raw": "no StreamEncryption"})
expect("elasticache-redis-cluster-automatic-backup-check", NA, c=["ehr-sessions"],
       nc={"bi-sessions": "SnapshotRetentionLimit 0 (automatic backups off)"},
       note="NOT_APPLICABLE: members of a recorded replication group, and memcached")
expect("emr-kerberos-enabled", C, nc={"genomics-spark": "no security configuration"})
expect("emr-master-no-public-ip", C, nc={"genomics-spark": "master node in a public subnet (ec2-3-92-18-77...)"})
expect("kms-cmk-not-scheduled-for-deletion", C, nc={"riverside-portal-2021": "PendingDeletion"},
       na={"aws/secretsmanager": "AWS managed key"})
expect("lambda-function-public-access-prohibited", C,
       nc={"appointment-webhook": "function URL with auth type NONE: Principal *"})
expect("sagemaker-endpoint-configuration-kms-key-configured", C, nc={"readmission-v1": "no KmsKeyId"})
expect("sagemaker-notebook-instance-kms-key-configured", C, nc={"intern-sandbox-nb": "no KmsKeyId"})
expect("sagemaker-notebook-no-direct-internet-access", C, nc={"intern-sandbox-nb": "DirectInternetAccess Enabled"})
expect("secretsmanager-rotation-enabled-check", C, nc={"hl7-vendor/sftp": "no rotation"})
expect("secretsmanager-using-cmk", C, nc={"hl7-vendor/sftp": "default key aws/secretsmanager"})
expect("sns-encrypted-kms", C, nc={"appointment-reminders-sms": "no KmsMasterKeyId"})


# ================================================================= expected-statuses.json and README tables
def pack_rules():
    """rule id -> resource types, read from the pack's .ward files and Cedar controls
    (cedar/*.cedar: `@id`, and `resource is TYPE` in the scopes, or IAM roles and users for a
    least-privilege control)."""
    rules = {}
    for path in sorted((PACK / "cedar").glob("*.cedar")):
        text = path.read_text()
        for rid in sorted(set(re.findall(r'@id\("([\w-]+)"\)', text))):
            if '@mode("least-privilege")' in text:
                rules[rid] = ["AWS::IAM::Role", "AWS::IAM::User"]
            else:
                rules[rid] = sorted(set(re.findall(r"resource is ([\w:]+)", text)))
    for path in sorted(PACK.glob("*.ward")):
        text = path.read_text()
        name = re.search(r"^rule\s+([\w-]+)\s*\{", text, re.M)
        types = re.search(r"^\s*resource:\s*(\[[^\]]*\]|\S+)", text, re.M)
        if not name or not types:
            raise SystemExit(f"{path}: no rule or resource line")
        rules[name.group(1)] = [t.strip() for t in types.group(1).strip("[]").split(",")]
    return rules


def expected_statuses():
    """{rule: {key: status}} for every (rule, resource of its types), and per rule the resolved
    [(short, status, why)] for the README. A key is the resource id, or TYPE/ID when two
    resources of the rule share an id."""
    rules = pack_rules()
    missing = sorted(set(rules) - set(EXPECTATIONS))
    extra = sorted(set(EXPECTATIONS) - set(rules))
    if missing or extra:
        raise SystemExit(f"expectations missing for {missing}, declared for unknown rules {extra}")
    statuses, resolved = {}, {}
    for rule, types in sorted(rules.items()):
        e = EXPECTATIONS[rule]
        members = [r for r in RESOURCES if r[0] in types]
        shorts = {r[3] for r in members}
        for status in (C, NC, NA):
            unknown = set(e[status]) - shorts
            if unknown:
                raise SystemExit(f"{rule}: no resource of {types} named {sorted(unknown)}")
        ids = [r[1] for r in members]
        out, lines = {}, []
        for rtype, rid_, _account, short in members:
            status = next((s for s in (C, NC, NA) if short in e[s]), e["default"])
            why = e[status].get(short, "")
            key = f"{rtype}/{rid_}" if ids.count(rid_) > 1 else rid_
            if key in out:
                raise SystemExit(f"{rule}: two resources with key {key}")
            out[key] = status
            lines.append((short, status, why))
        statuses[rule] = dict(sorted(out.items()))
        resolved[rule] = lines
    return statuses, resolved


def grouped(lines, status):
    """`a`, `b` (why); `c` (other why): the resources of one status grouped by reason."""
    groups = {}
    for short, st, why in lines:
        if st == status:
            groups.setdefault(why, []).append(short)
    return "; ".join(", ".join(f"`{n}`" for n in shorts) + (f" ({md(why)})" if why else "")
                     for why, shorts in groups.items())


def md(text):
    """Table-cell text: IAM wildcards must not turn into Markdown emphasis."""
    return text.replace("*", "\\*")


def expected_table(resolved):
    out = ["| rule | NON_COMPLIANT (why) | COMPLIANT | NOT_APPLICABLE |", "|---|---|---|---|"]
    for rule, lines in sorted(resolved.items()):
        note = EXPECTATIONS[rule]["note"] or ""
        c = sorted(s for s, st, _ in lines if st == C)
        na = [s for s, st, _ in lines if st == NA]
        nc_cell = grouped(lines, NC) or "—"
        if note and not note.startswith("NOT_APPLICABLE"):
            nc_cell += f" Note: {md(note)}."
        c_cell = ", ".join(f"`{n}`" for n in c) if len(c) <= 6 else f"the other {len(c)}"
        if note.startswith("NOT_APPLICABLE") and len(na) > 3:
            na_cell = f"{len(na)} ({md(note.split(': ', 1)[1])})"
        else:
            na_cell = grouped(lines, NA)
        out.append(f"| `{rule}` | {nc_cell} | {c_cell or '—'} | {na_cell or '—'} |")
    return "\n".join(out)


def resource_table():
    out = ["| account | short name | resource type | resource id |", "|---|---|---|---|"]
    for rtype, rid_, account, short in RESOURCES:
        shown = rid_ if len(rid_) <= 90 else rid_[:87] + "…"
        out.append(f"| {short_account(account)} | `{short}` | `{rtype}` | `{shown}` |")
    return "\n".join(out)


def replace_block(text, name, body):
    begin, end = f"<!-- BEGIN generated: {name} -->", f"<!-- END generated: {name} -->"
    if begin not in text or end not in text:
        raise SystemExit(f"README.md has no {begin} ... {end} block")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def outputs():
    """Every file this script writes: {path: text}."""
    files = {ESTATE / path: text for path, text in build().items()}
    statuses, resolved = expected_statuses()
    files[HERE / "expected-statuses.json"] = json.dumps(statuses, indent=2) + "\n"
    readme = (HERE / "README.md").read_text()
    items = {a: len(v) for a, v in ITEMS.items()}
    findings = sum(len(v) for v in statuses.values())
    readme = replace_block(readme, "counts", (
        f"The three snapshots hold {sum(items.values())} configuration items ({items[PROD]} in riverside-prod, "
        f"{items[ANALYTICS]} in riverside-analytics, {items[LOG_ARCHIVE]} in riverside-log-archive). With the "
        f"facts and the three `AWS::::Account` "
        f"resources Ward synthesizes, Ward sees {len(RESOURCES)} resources and the {len(statuses)} rules "
        f"of the pack give {findings} findings:\n"
        + ", ".join(f"{sum(1 for v in statuses.values() for x in v.values() if x == st)} {st}"
                    for st in (C, NC, NA)) + "."))
    readme = replace_block(readme, "resources", resource_table())
    readme = replace_block(readme, "expected results", expected_table(resolved))
    files[HERE / "README.md"] = readme
    return files


def main():
    files = outputs()
    estate_now = {p for p in ESTATE.rglob("*") if p.is_file()} if ESTATE.exists() else set()
    stale = sorted(estate_now - set(files))
    if "--check" in sys.argv[1:]:
        bad = [str(p.relative_to(HERE)) for p, text in files.items() if not p.exists() or p.read_text() != text]
        bad += [f"{p.relative_to(HERE)} (not written by this script)" for p in stale]
        if bad:
            print("stale, run generate.py: " + ", ".join(bad), file=sys.stderr)
            sys.exit(1)
        return
    for p in stale:
        p.unlink()
    for p, text in files.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    items = sum(len(v) for v in ITEMS.values())
    print(f"wrote {ESTATE.relative_to(HERE.parent.parent)}: {items} configuration items "
          f"({', '.join(f'{len(v)} in {a}' for a, v in ITEMS.items())}) and "
          f"{sum(1 for p in files if p.parent != HERE and p.suffix != '' and p.name != 'config-snapshot.json')} "
          f"account-fact files; {len(RESOURCES)} resources for Ward; expected-statuses.json, README.md tables")


if __name__ == "__main__":
    main()
