#!/usr/bin/env python3
"""Generates examples/clinic/snapshot.json: the AWS Config snapshot of the Riverside Family
Clinic's AWS account (111122223333, us-east-1), as AWS Config delivers it to S3.

Deterministic: ids, hashes and times derive from names, so running it twice gives the same bytes.

    python3 examples/clinic/generate.py            # writes snapshot.json next to this script
    python3 examples/clinic/generate.py --check    # exits 1 if snapshot.json is stale

The items use the spelling of configuration items as delivered to S3 (configurationItemVersion
1.3: awsAccountId, ARN, configurationStateMd5Hash, relationships with resourceName and name),
configuration objects in AWS Config's camelCase, IAM policy documents URL-encoded (RFC 3986),
S3 bucket policies as JSON text, and the S3 AccessControlList as a JSON string, as AWS does.
The expected result of every rule for every resource is in README.md next to this file.
"""
import hashlib
import json
import sys
import urllib.parse
import uuid
from datetime import datetime, timezone
from pathlib import Path

ACCOUNT = "111122223333"
REGION = "us-east-1"
OWNER_CANONICAL_ID = hashlib.sha256(b"riverside-canonical-user").hexdigest()
CAPTURE_BASE = datetime(2026, 11, 20, 3, 14, 0, tzinfo=timezone.utc)
OFFICE_CIDR = "203.0.113.0/24"   # clinic office (TEST-NET-3)
PROD_CIDR = "10.20.0.0/16"

ITEMS = []


# ---------------------------------------------------------------- helpers
def hexid(kind, name, n=17):
    return hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()[:n]


def rid(prefix, name, n=17):
    return f"{prefix}-{hexid(prefix, name, n)}"


def upper_id(prefix, name, n=17):
    """IAM-style unique ids: AROA…, ANPA… (upper-case base32-ish)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    digest = hashlib.sha256(f"{prefix}:{name}".encode()).digest()
    return prefix + "".join(alphabet[b % 32] for b in digest[:n])


def capture_time(index):
    t = CAPTURE_BASE.timestamp() + index * 7.391
    dt = datetime.fromtimestamp(t, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def epoch_ms(iso):
    dt = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return int(round(dt.timestamp() * 1000))


def url_encoded(policy):
    """IAM returns policy documents URL-encoded (RFC 3986), as written (here: 4-space JSON)."""
    return urllib.parse.quote(json.dumps(policy, indent=4), safe="")


def compact(doc):
    return json.dumps(doc, separators=(",", ":"))


def ec2_tags(tags):
    return [{"key": k, "value": v} for k, v in tags.items()]


def rel(resource_type, resource_id, name, resource_name=None):
    return {"resourceId": resource_id, "resourceName": resource_name,
            "resourceType": resource_type, "name": name}


def add(resource_type, resource_id, configuration, *, name=None, arn=None, region=REGION,
        az="Not Applicable", created=None, tags=None, relationships=(), supplementary=None,
        status="OK"):
    index = len(ITEMS)
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
    item["awsRegion"] = region
    item["availabilityZone"] = az
    item["configurationStateMd5Hash"] = ""
    if created is not None:
        item["resourceCreationTime"] = created
    ITEMS.append(item)
    return item


# ---------------------------------------------------------------- identifiers
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
    "ehr-db", "reporting-db", "vendor-remote-support", "vendor-integration"]}
ACL = {n: rid("acl", n) for n in ["public", "app", "db", "legacy-default"]}
INSTANCE = {n: rid("i", n) for n in ["ehr-app-1", "ehr-app-2", "bastion", "hl7-interface"]}
VOLUME = {n: rid("vol", n) for n in ["ehr-app-1-root", "ehr-app-2-root", "bastion-root",
                                     "hl7-interface-root", "ehr-export-2024"]}
ENI = {n: rid("eni", n) for n in INSTANCE}
KMS_KEY_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "riverside/kms/phi-data"))
KMS_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KMS_KEY_ID}"
EHR_AMI = "ami-0" + hexid("ami", "ehr-app-golden-2026-10", 16)
BASTION_AMI = "ami-0" + hexid("ami", "al2023-2026-09", 16)
HL7_AMI = "ami-0" + hexid("ami", "mirth-connect-4.5", 16)
BUCKET = {
    "documents": f"riverside-ehr-documents-{ACCOUNT}",
    "backups": f"riverside-ehr-backups-{ACCOUNT}",
    "access-logs": f"riverside-s3-access-logs-{ACCOUNT}",
    "cloudtrail": f"riverside-cloudtrail-logs-{ACCOUNT}",
    "intake": "riverside-intake-scans",
}
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/riverside/cloudtrail:*"
FLOWLOG_GROUP = "/riverside/vpc-flow-logs"
PHI = {"phi": "true"}
COMMON = {"owner": "it@riversidefamilyclinic.example", "environment": "prod"}


def tags(name, *extra):
    out = {"Name": name}
    out.update(COMMON)
    for e in extra:
        out.update(e)
    return out


# ---------------------------------------------------------------- account level
def account_public_access_block():
    add("AWS::S3::AccountPublicAccessBlock", ACCOUNT,
        {"blockPublicAcls": True, "ignorePublicAcls": True,
         "blockPublicPolicy": True, "restrictPublicBuckets": True},
        created=None, status="OK")


# ---------------------------------------------------------------- network
def vpcs():
    for key, vpc_id, cidr, default, name in [
        ("prod", VPC_PROD, PROD_CIDR, False, "riverside-prod"),
        ("default", VPC_DEFAULT, "172.31.0.0/16", True, None),
    ]:
        t = tags(name) if name else {}
        rels = []
        if key == "prod":
            rels += [rel("AWS::EC2::Subnet", SUBNET_ID[s], "Contains Subnet") for s in SUBNETS]
            rels += [rel("AWS::EC2::NetworkAcl", ACL[a], "Contains NetworkAcl") for a in ["public", "app", "db"]]
            rels += [rel("AWS::EC2::SecurityGroup", SG[g], "Contains SecurityGroup")
                     for g in SG if g not in ("default-legacy",)]
            rels += [rel("AWS::EC2::Instance", INSTANCE[i], "Contains Instance") for i in INSTANCE]
            rels += [rel("AWS::EC2::NetworkInterface", ENI[i], "Contains NetworkInterface") for i in INSTANCE]
            rels.append(rel("AWS::EC2::InternetGateway", rid("igw", "prod"), "Is attached to InternetGateway"))
            rels.append(rel("AWS::EC2::RouteTable", rid("rtb", "prod-public"), "Contains RouteTable"))
            rels.append(rel("AWS::EC2::RouteTable", rid("rtb", "prod-private"), "Contains RouteTable"))
        else:
            rels += [rel("AWS::EC2::Subnet", s, "Contains Subnet") for s in DEFAULT_VPC_SUBNETS]
            rels.append(rel("AWS::EC2::NetworkAcl", ACL["legacy-default"], "Contains NetworkAcl"))
            rels.append(rel("AWS::EC2::SecurityGroup", SG["default-legacy"], "Contains SecurityGroup"))
            rels.append(rel("AWS::EC2::InternetGateway", rid("igw", "default"), "Is attached to InternetGateway"))
        add("AWS::EC2::VPC", vpc_id, {
            "cidrBlock": cidr,
            "dhcpOptionsId": rid("dopt", "default", 8),
            "state": "available",
            "vpcId": vpc_id,
            "ownerId": ACCOUNT,
            "instanceTenancy": "default",
            "ipv6CidrBlockAssociationSet": [{
                "associationId": rid("vpc-cidr-assoc", key),
                "ipv6CidrBlock": "2600:1f18:5a1:e400::/56",
                "ipv6CidrBlockState": {"state": "associated"},
                "networkBorderGroup": REGION, "ipv6Pool": "Amazon"}] if key == "prod" else [],
            "cidrBlockAssociationSet": [{
                "associationId": rid("vpc-cidr-assoc", key + "-v4"),
                "cidrBlock": cidr, "cidrBlockState": {"state": "associated"}}],
            "isDefault": default,
            "tags": ec2_tags(t),
        }, arn=f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{vpc_id}",
            az="Multiple Availability Zones",
            created="2019-03-11T17:02:44.000Z" if default else "2024-02-06T15:21:09.000Z",
            tags=t, relationships=rels)


def subnets():
    acl_of = {"public-a": "public", "public-b": "public", "app-a": "app", "app-b": "app",
              "db-a": "db", "db-b": "db"}
    for name, (cidr, az, public) in SUBNETS.items():
        sid = SUBNET_ID[name]
        t = tags(f"riverside-prod-{name}")
        rels = [rel("AWS::EC2::VPC", VPC_PROD, "Is contained in Vpc"),
                rel("AWS::EC2::NetworkAcl", ACL[acl_of[name]], "Is attached to NetworkAcl"),
                rel("AWS::EC2::RouteTable", rid("rtb", "prod-public" if public else "prod-private"),
                    "Is attached to RouteTable")]
        for inst, (sub, _) in INSTANCE_PLACEMENT.items():
            if sub == name:
                rels.append(rel("AWS::EC2::Instance", INSTANCE[inst], "Contains Instance"))
                rels.append(rel("AWS::EC2::NetworkInterface", ENI[inst], "Contains NetworkInterface"))
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
            "vpcId": VPC_PROD,
            "ownerId": ACCOUNT,
            "assignIpv6AddressOnCreation": False,
            "ipv6CidrBlockAssociationSet": [],
            "tags": ec2_tags(t),
            "subnetArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{sid}",
            "enableDns64": False,
            "ipv6Native": False,
            "privateDnsNameOptionsOnLaunch": {"hostnameType": "ip-name",
                                              "enableResourceNameDnsARecord": False,
                                              "enableResourceNameDnsAAAARecord": False},
        }, arn=f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{sid}",
            az=az, created="2024-02-06T15:24:31.000Z", tags=t, relationships=rels)


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


def network_acls():
    egress_all = [acl_entry(100, "allow", "-1", "0.0.0.0/0", egress=True),
                  acl_entry(32767, "deny", "-1", "0.0.0.0/0", egress=True)]
    acls = {
        # Public subnets: web, SSH to the bastion from anywhere (!), Linux ephemeral ports.
        "public": ("riverside-public-nacl", ["public-a", "public-b"], False, [
            acl_entry(100, "allow", TCP, "0.0.0.0/0", (443, 443)),
            acl_entry(101, "allow", TCP, None, (443, 443), ipv6="::/0"),
            acl_entry(110, "allow", TCP, "0.0.0.0/0", (80, 80)),
            acl_entry(120, "allow", TCP, "0.0.0.0/0", (22, 22)),
            acl_entry(140, "allow", TCP, "0.0.0.0/0", (32768, 61000)),
            acl_entry(32767, "deny", "-1", "0.0.0.0/0"),
            acl_entry(32768, "deny", "-1", None, ipv6="::/0"),
        ] + egress_all),
        # App subnets: only from inside the VPC, plus ephemeral return traffic.
        "app": ("riverside-app-nacl", ["app-a", "app-b"], False, [
            acl_entry(100, "allow", TCP, PROD_CIDR, (8443, 8443)),
            acl_entry(110, "allow", TCP, "10.20.0.0/23", (22, 22)),
            acl_entry(120, "allow", TCP, PROD_CIDR, (2575, 2575)),
            acl_entry(130, "allow", TCP, "0.0.0.0/0", (32768, 61000)),
            acl_entry(32767, "deny", "-1", "0.0.0.0/0"),
        ] + egress_all),
        # DB subnets: someone kept the allow-all rule but put explicit DB-port denies first.
        "db": ("riverside-db-nacl", ["db-a", "db-b"], False, [
            acl_entry(80, "deny", TCP, "0.0.0.0/0", (3306, 3306)),
            acl_entry(81, "deny", TCP, "0.0.0.0/0", (5432, 5432)),
            acl_entry(82, "deny", TCP, "0.0.0.0/0", (1433, 1433)),
            acl_entry(83, "deny", TCP, "0.0.0.0/0", (1521, 1521)),
            acl_entry(100, "allow", "-1", "0.0.0.0/0"),
            acl_entry(32767, "deny", "-1", "0.0.0.0/0"),
        ] + egress_all),
        # The default VPC's default NACL, untouched: everything allowed.
        "legacy-default": (None, None, True, [
            acl_entry(100, "allow", "-1", "0.0.0.0/0"),
            acl_entry(32767, "deny", "-1", "0.0.0.0/0"),
        ] + egress_all),
    }
    for key, (name, subnet_names, default, entries) in acls.items():
        acl_id = ACL[key]
        if subnet_names is None:
            subnet_ids, vpc = DEFAULT_VPC_SUBNETS, VPC_DEFAULT
        else:
            subnet_ids, vpc = [SUBNET_ID[s] for s in subnet_names], VPC_PROD
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
        }, arn=f"arn:aws:ec2:{REGION}:{ACCOUNT}:network-acl/{acl_id}",
            az="Multiple Availability Zones", tags=t,
            created=None,
            relationships=[rel("AWS::EC2::Subnet", s, "Is attached to Subnet") for s in subnet_ids]
            + [rel("AWS::EC2::VPC", vpc, "Is contained in Vpc")])


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


ALL_OUT = [perm("-1", cidrs=["0.0.0.0/0"])]


def security_groups():
    groups = {
        "default-prod": ("default", "default VPC security group", VPC_PROD, [], [], {}),
        "default-legacy": ("default", "default VPC security group", VPC_DEFAULT,
                           [perm("-1", groups=[SG["default-legacy"]])], ALL_OUT, None),
        "ehr-alb": ("ehr-alb-sg", "EHR web load balancers: HTTPS from patients and staff", VPC_PROD, [
            perm("tcp", (443, 443), cidrs=["0.0.0.0/0"], ipv6=["::/0"]),
            perm("tcp", (80, 80), cidrs=["0.0.0.0/0"], description="redirected to 443"),
        ], ALL_OUT, tags("ehr-alb-sg")),
        "ehr-app": ("ehr-app-sg", "EHR application servers", VPC_PROD, [
            perm("tcp", (8443, 8443), groups=[SG["ehr-alb"]], description="from the load balancers"),
            perm("tcp", (22, 22), groups=[SG["bastion"]], description="admin via bastion"),
        ], ALL_OUT, tags("ehr-app-sg")),
        "bastion": ("bastion-sg", "Bastion host", VPC_PROD, [
            perm("tcp", (22, 22), cidrs=["0.0.0.0/0"], description="temporary: vendor onboarding"),
        ], ALL_OUT, tags("bastion-sg")),
        "admin-ipv6": ("admin-ipv6-sg", "IPv6 admin access (IPv6 pilot)", VPC_PROD, [
            perm("tcp", (22, 22), ipv6=["::/0"]),
            perm("tcp", (3389, 3389), ipv6=["::/0"]),
        ], ALL_OUT, tags("admin-ipv6-sg")),
        "ehr-db": ("ehr-db-sg", "EHR MySQL databases: app servers only", VPC_PROD, [
            perm("tcp", (3306, 3306), groups=[SG["ehr-app"]], description="EHR app servers"),
        ], [], tags("ehr-db-sg")),
        "reporting-db": ("reporting-db-sg", "Reporting PostgreSQL", VPC_PROD, [
            perm("tcp", (5432, 5432), cidrs=[PROD_CIDR], description="whole VPC (BI tools)"),
        ], [], tags("reporting-db-sg")),
        "vendor-remote-support": ("vendor-remote-support-sg", "Interface vendor remote support", VPC_PROD, [
            perm("tcp", (3380, 3399), cidrs=["0.0.0.0/0"], description="vendor remote desktop range"),
            perm("tcp", (22, 22), cidrs=[OFFICE_CIDR], description="clinic office"),
        ], ALL_OUT, tags("vendor-remote-support-sg")),
        "vendor-integration": ("vendor-integration-sg", "Legacy HL7 / portal vendor integration", VPC_PROD, [
            perm("-1", cidrs=["0.0.0.0/0"], description="TODO restrict (ticket RFC-112)"),
        ], ALL_OUT, tags("vendor-integration-sg")),
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
        "vendor-remote-support": [("AWS::EC2::Instance", INSTANCE["hl7-interface"], "Is associated with Instance"),
                                  ("AWS::EC2::NetworkInterface", ENI["hl7-interface"], "Is associated with NetworkInterface")],
        "vendor-integration": [("AWS::EC2::Instance", INSTANCE["hl7-interface"], "Is associated with Instance"),
                               ("AWS::EC2::NetworkInterface", ENI["hl7-interface"], "Is associated with NetworkInterface"),
                               ("AWS::RDS::DBInstance", "legacy-portal-db", "Is associated with DBInstance")],
        "ehr-db": [("AWS::RDS::DBInstance", "ehr-db", "Is associated with DBInstance"),
                   ("AWS::RDS::DBInstance", "analytics-aurora-1", "Is associated with DBInstance"),
                   ("AWS::RDS::DBCluster", "analytics-aurora", "Is associated with DBCluster")],
        "reporting-db": [("AWS::RDS::DBInstance", "reporting-db", "Is associated with DBInstance")],
    }
    for key, (group_name, description, vpc, ingress, egress, t) in groups.items():
        sg_id = SG[key]
        t = t or {}
        rels = [rel("AWS::EC2::VPC", vpc, "Is contained in Vpc")]
        for rtype, ident, rname in attached.get(key, []):
            if rtype.startswith("AWS::RDS"):
                ident = RDS_RESOURCE_ID.get(ident, ident)
            rels.append(rel(rtype, ident, rname))
        add("AWS::EC2::SecurityGroup", sg_id, {
            "description": description,
            "groupName": group_name,
            "ipPermissions": ingress,
            "ownerId": ACCOUNT,
            "groupId": sg_id,
            "ipPermissionsEgress": egress,
            "tags": ec2_tags(t),
            "vpcId": vpc,
        }, name=group_name, arn=f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{sg_id}",
            tags=t, relationships=rels,
            created="2019-03-11T17:02:45.000Z" if key == "default-legacy" else "2024-02-06T15:22:10.000Z")


# ---------------------------------------------------------------- compute
INSTANCE_PLACEMENT = {  # name: (subnet, private ip)
    "ehr-app-1": ("app-a", "10.20.10.21"),
    "ehr-app-2": ("app-b", "10.20.11.22"),
    "bastion": ("public-a", "10.20.0.10"),
    "hl7-interface": ("app-a", "10.20.10.40"),
}
INSTANCE_SPEC = {
    # name: (type, tenancy, ami, sgs, root volume, public ip, launch time, tags, profile)
    "ehr-app-1": ("m6i.xlarge", "dedicated", EHR_AMI, ["ehr-app"], "ehr-app-1-root", None,
                  "2026-10-14T09:12:03.000Z", tags("ehr-app-1", PHI, {"app": "ehr"}), True),
    "ehr-app-2": ("m6i.xlarge", "dedicated", EHR_AMI, ["ehr-app"], "ehr-app-2-root", None,
                  "2026-10-14T09:12:05.000Z", tags("ehr-app-2", PHI, {"app": "ehr"}), True),
    "bastion": ("t3.micro", "default", BASTION_AMI, ["bastion", "admin-ipv6"], "bastion-root",
                "54.210.117.34", "2026-09-02T13:40:11.000Z", tags("bastion"), False),
    "hl7-interface": ("m6i.large", "default", HL7_AMI, ["vendor-remote-support", "vendor-integration"],
                      "hl7-interface-root", None, "2025-06-19T21:05:47.000Z",
                      tags("hl7-interface", PHI, {"app": "hl7"}), False),
}
INSTANCE_PROFILE_ARN = f"arn:aws:iam::{ACCOUNT}:instance-profile/ehr-app-instance-profile"


def private_dns(ip):
    return "ip-" + ip.replace(".", "-") + ".ec2.internal"


def instances():
    for name, (itype, tenancy, ami, sgs, root, public_ip, launch, t, profile) in INSTANCE_SPEC.items():
        iid = INSTANCE[name]
        subnet, ip = INSTANCE_PLACEMENT[name]
        az = SUBNETS[subnet][1]
        groups = [{"groupName": {"ehr-app": "ehr-app-sg", "bastion": "bastion-sg",
                                 "admin-ipv6": "admin-ipv6-sg",
                                 "vendor-remote-support": "vendor-remote-support-sg",
                                 "vendor-integration": "vendor-integration-sg"}[g],
                   "groupId": SG[g]} for g in sgs]
        association = None
        if public_ip:
            association = {"ipOwnerId": "amazon",
                           "publicDnsName": "ec2-" + public_ip.replace(".", "-") + ".compute-1.amazonaws.com",
                           "publicIp": public_ip}
        config = {
            "amiLaunchIndex": 0,
            "imageId": ami,
            "instanceId": iid,
            "instanceType": itype,
            "kernelId": None,
            "keyName": "riverside-ops-2026" if name != "hl7-interface" else "hl7-vendor",
            "launchTime": launch,
            "monitoring": {"state": "enabled" if name.startswith("ehr") else "disabled"},
            "placement": {"availabilityZone": az, "affinity": None, "groupName": "",
                          "partitionNumber": None, "hostId": None, "tenancy": tenancy,
                          "spreadDomain": None, "hostResourceGroupArn": None},
            "platform": None,
            "privateDnsName": private_dns(ip),
            "privateIpAddress": ip,
            "productCodes": [],
            "publicDnsName": association["publicDnsName"] if association else "",
            "publicIpAddress": public_ip,
            "ramdiskId": None,
            "state": {"code": 16, "name": "running"},
            "stateTransitionReason": "",
            "subnetId": SUBNET_ID[subnet],
            "vpcId": VPC_PROD,
            "architecture": "x86_64",
            "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {
                "attachTime": launch, "deleteOnTermination": True,
                "status": "attached", "volumeId": VOLUME[root]}}],
            "clientToken": hexid("token", name, 32),
            "ebsOptimized": True,
            "enaSupport": True,
            "hypervisor": "xen",
            "iamInstanceProfile": {"arn": INSTANCE_PROFILE_ARN,
                                   "id": upper_id("AIPA", "ehr-app-instance-profile")} if profile else None,
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
                "networkInterfaceId": ENI[name],
                "ownerId": ACCOUNT,
                "privateDnsName": private_dns(ip),
                "privateIpAddress": ip,
                "privateIpAddresses": [{"association": association, "primary": True,
                                        "privateDnsName": private_dns(ip), "privateIpAddress": ip}],
                "sourceDestCheck": True,
                "status": "in-use",
                "subnetId": SUBNET_ID[subnet],
                "vpcId": VPC_PROD,
                "interfaceType": "interface",
            }],
            "outpostArn": None,
            "rootDeviceName": "/dev/xvda",
            "rootDeviceType": "ebs",
            "securityGroups": groups,
            "sourceDestCheck": True,
            "spotInstanceRequestId": None,
            "sriovNetSupport": None,
            "stateReason": None,
            "tags": ec2_tags(t),
            "virtualizationType": "hvm",
            "cpuOptions": {"coreCount": 2 if itype.endswith("xlarge") else 1, "threadsPerCore": 2},
            "capacityReservationId": None,
            "capacityReservationSpecification": {"capacityReservationPreference": "open",
                                                 "capacityReservationTarget": None},
            "hibernationOptions": {"configured": False},
            "licenses": [],
            "metadataOptions": {"state": "applied",
                                "httpTokens": "required" if name != "hl7-interface" else "optional",
                                "httpPutResponseHopLimit": 2, "httpEndpoint": "enabled",
                                "httpProtocolIpv6": "disabled", "instanceMetadataTags": "disabled"},
            "enclaveOptions": {"enabled": False},
            "bootMode": None,
            "platformDetails": "Linux/UNIX",
            "usageOperation": "RunInstances",
            "usageOperationUpdateTime": launch,
            "privateDnsNameOptions": {"hostnameType": "ip-name", "enableResourceNameDnsARecord": False,
                                      "enableResourceNameDnsAAAARecord": False},
            "maintenanceOptions": {"autoRecovery": "default"},
            "currentInstanceBootMode": "legacy-bios",
        }
        rels = [rel("AWS::EC2::NetworkInterface", ENI[name], "Contains NetworkInterface")]
        rels += [rel("AWS::EC2::SecurityGroup", SG[g], "Is associated with SecurityGroup") for g in sgs]
        rels += [rel("AWS::EC2::Subnet", SUBNET_ID[subnet], "Is contained in Subnet"),
                 rel("AWS::EC2::Volume", VOLUME[root], "Is attached to Volume"),
                 rel("AWS::EC2::VPC", VPC_PROD, "Is contained in Vpc")]
        add("AWS::EC2::Instance", iid, config,
            arn=f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{iid}", az=az, created=launch,
            tags=t, relationships=rels)


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
}


def volumes():
    for name, (inst, size, encrypted, az, created, t) in VOLUME_SPEC.items():
        vid = VOLUME[name]
        config = {
            "attachments": [] if inst is None else [{
                "attachTime": INSTANCE_SPEC[inst][6], "device": "/dev/xvda",
                "instanceId": INSTANCE[inst], "state": "attached", "volumeId": vid,
                "deleteOnTermination": True}],
            "availabilityZone": az,
            "createTime": created,
            "encrypted": encrypted,
            "size": size,
            "snapshotId": "snap-0" + hexid("snap", name, 16),
            "state": "available" if inst is None else "in-use",
            "volumeId": vid,
            "iops": 3000,
            "tags": ec2_tags(t),
            "volumeType": "gp3",
            "fastRestored": None,
            "multiAttachEnabled": False,
            "throughput": 125,
        }
        if encrypted:
            config["kmsKeyId"] = KMS_KEY_ARN
        rels = [] if inst is None else [rel("AWS::EC2::Instance", INSTANCE[inst], "Is attached to Instance")]
        add("AWS::EC2::Volume", vid, config, arn=f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{vid}",
            az=az, created=created, tags=t, relationships=rels)


def flow_log():
    fid = rid("fl", "prod")
    add("AWS::EC2::FlowLog", fid, {
        "creationTime": 1707233311000,
        "deliverLogsPermissionArn": f"arn:aws:iam::{ACCOUNT}:role/vpc-flow-logs-role",
        "deliverLogsStatus": "SUCCESS",
        "flowLogId": fid,
        "flowLogStatus": "ACTIVE",
        "logGroupName": FLOWLOG_GROUP,
        "resourceId": VPC_PROD,
        "trafficType": "ALL",
        "logDestinationType": "cloud-watch-logs",
        "logDestination": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{FLOWLOG_GROUP}",
        "logFormat": "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}",
        "tags": ec2_tags(tags("riverside-prod-flow-logs")),
        "maxAggregationInterval": 600,
    }, arn=f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-flow-log/{fid}", created="2024-02-06T15:28:31.000Z",
        tags=tags("riverside-prod-flow-logs"))


# ---------------------------------------------------------------- databases
RDS_RESOURCE_ID = {n: "db-" + upper_id("", "rds:" + n, 26) for n in
                   ["ehr-db", "reporting-db", "legacy-portal-db", "analytics-aurora-1"]}
RDS_RESOURCE_ID["analytics-aurora"] = "cluster-" + upper_id("", "rds-cluster:analytics-aurora", 26)
DB_SUBNET_GROUPS = {
    "riverside-db-private": ["db-a", "db-b"],
    "riverside-db-public-legacy": ["public-a", "public-b"],
}


def subnet_group(name):
    return {
        "dBSubnetGroupName": name,
        "dBSubnetGroupDescription": {"riverside-db-private": "Private DB subnets",
                                     "riverside-db-public-legacy": "Legacy portal (public subnets)"}[name],
        "vpcId": VPC_PROD,
        "subnetGroupStatus": "Complete",
        "subnets": [{"subnetIdentifier": SUBNET_ID[s],
                     "subnetAvailabilityZone": {"name": SUBNETS[s][1]},
                     "subnetOutpost": {"arn": None},
                     "subnetStatus": "Active"} for s in DB_SUBNET_GROUPS[name]],
        "dBSubnetGroupArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:subgrp:{name}",
        "supportedNetworkTypes": ["IPV4"],
    }


RDS_SPEC = {
    # name: engine, version, class, port, multiAZ, encrypted, backup days, public, sg, subnet group,
    #       az, secondary az, created, tags, cluster
    "ehr-db": ("mysql", "8.0.39", "db.r6g.large", 3306, True, True, 14, False, "ehr-db",
               "riverside-db-private", "us-east-1a", "us-east-1b", "2024-02-07T11:02:51.330Z",
               tags("ehr-db", PHI, {"app": "ehr", "data-classification": "phi"}), None),
    "reporting-db": ("postgres", "15.8", "db.t4g.large", 5432, False, False, 7, False, "reporting-db",
                     "riverside-db-private", "us-east-1b", None, "2024-09-12T16:45:02.118Z",
                     tags("reporting-db", PHI, {"app": "reporting"}), None),
    "legacy-portal-db": ("mysql", "8.0.35", "db.t3.medium", 3306, False, True, 0, True, "vendor-integration",
                         "riverside-db-public-legacy", "us-east-1a", None, "2021-05-03T08:13:27.905Z",
                         tags("legacy-portal-db", PHI, {"app": "patient-portal-legacy"}), None),
    "analytics-aurora-1": ("aurora-mysql", "8.0.mysql_aurora.3.07.1", "db.r6g.large", 3306, False, True, 7,
                           False, "ehr-db", "riverside-db-private", "us-east-1a", None,
                           "2025-11-04T19:30:12.640Z",
                           tags("analytics-aurora-1", PHI, {"app": "analytics"}), "analytics-aurora"),
}


def rds_instances():
    for name, (engine, version, klass, port, multi_az, encrypted, backup, public, sg, sng, az, az2,
               created, t, cluster) in RDS_SPEC.items():
        resource_id = RDS_RESOURCE_ID[name]
        arn = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{name}"
        family = {"mysql": "mysql8.0", "postgres": "postgres15", "aurora-mysql": "aurora-mysql8.0"}[engine]
        config = {
            "dBInstanceIdentifier": name,
            "dBInstanceClass": klass,
            "engine": engine,
            "dBInstanceStatus": "available",
            "masterUsername": "riverside_admin",
            "dBName": None if cluster else {"ehr-db": "ehr", "reporting-db": "reporting",
                                            "legacy-portal-db": "portal"}[name],
            "endpoint": {"address": f"{name}.c{hexid('rds-endpoint', 'acct', 11)}.{REGION}.rds.amazonaws.com",
                         "port": port, "hostedZoneId": "Z2R2ITUGPM61AM"},
            "allocatedStorage": 1 if cluster else {"ehr-db": 500, "reporting-db": 200, "legacy-portal-db": 100}[name],
            "instanceCreateTime": created,
            "preferredBackupWindow": "07:00-07:30",
            "backupRetentionPeriod": backup,
            "dBSecurityGroups": [],
            "vpcSecurityGroups": [{"vpcSecurityGroupId": SG[sg], "status": "active"}],
            "dBParameterGroups": [{"dBParameterGroupName": f"default.{family}", "parameterApplyStatus": "in-sync"}],
            "availabilityZone": az,
            "dBSubnetGroup": subnet_group(sng),
            "preferredMaintenanceWindow": "sun:08:00-sun:08:30",
            "pendingModifiedValues": {},
            "latestRestorableTime": "2026-11-20T03:05:00.000Z" if backup else None,
            "multiAZ": multi_az,
            "engineVersion": version,
            "autoMinorVersionUpgrade": True,
            "readReplicaSourceDBInstanceIdentifier": None,
            "readReplicaDBInstanceIdentifiers": [],
            "readReplicaDBClusterIdentifiers": [],
            "licenseModel": "general-public-license" if engine != "postgres" else "postgresql-license",
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
            "kmsKeyId": KMS_KEY_ARN if encrypted else None,
            "dbiResourceId": resource_id,
            "cACertificateIdentifier": "rds-ca-rsa2048-g1",
            "domainMemberships": [],
            "copyTagsToSnapshot": True,
            "monitoringInterval": 60 if name == "ehr-db" else 0,
            "enhancedMonitoringResourceArn": (f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:RDSOSMetrics:log-stream:{resource_id}"
                                              if name == "ehr-db" else None),
            "monitoringRoleArn": f"arn:aws:iam::{ACCOUNT}:role/rds-monitoring-role" if name == "ehr-db" else None,
            "promotionTier": 1 if cluster else None,
            "dBInstanceArn": arn,
            "timezone": None,
            "iAMDatabaseAuthenticationEnabled": name == "ehr-db",
            "performanceInsightsEnabled": name in ("ehr-db", "analytics-aurora-1"),
            "performanceInsightsKMSKeyId": KMS_KEY_ARN if name in ("ehr-db", "analytics-aurora-1") else None,
            "performanceInsightsRetentionPeriod": 7 if name in ("ehr-db", "analytics-aurora-1") else None,
            "enabledCloudwatchLogsExports": ["audit", "error"] if engine != "postgres" else ["postgresql"],
            "deletionProtection": name != "legacy-portal-db",
            "associatedRoles": [],
            "maxAllocatedStorage": 1000 if name == "ehr-db" else None,
            "tagList": [{"key": k, "value": v} for k, v in t.items()],
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
        rels = [rel("AWS::RDS::DBSubnetGroup", sng, "Is associated with DBSubnetGroup"),
                rel("AWS::EC2::SecurityGroup", SG[sg], "Is associated with SecurityGroup")]
        if cluster:
            rels.append(rel("AWS::RDS::DBCluster", RDS_RESOURCE_ID[cluster], "Is associated with DBCluster",
                            cluster))
        if encrypted:
            rels.append(rel("AWS::KMS::Key", KMS_KEY_ID, "Is associated with KMSKey"))
        add("AWS::RDS::DBInstance", resource_id, config, name=name, arn=arn,
            az="Multiple Availability Zones" if multi_az else az, created=created, tags=t,
            relationships=rels,
            supplementary={"Tags": [{"key": k, "value": v} for k, v in t.items()]})


def rds_cluster():
    name = "analytics-aurora"
    t = tags(name, PHI, {"app": "analytics"})
    resource_id = RDS_RESOURCE_ID[name]
    arn = f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:{name}"
    add("AWS::RDS::DBCluster", resource_id, {
        "allocatedStorage": 1,
        "availabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c"],
        "backupRetentionPeriod": 7,
        "databaseName": "analytics",
        "dBClusterIdentifier": name,
        "dBClusterParameterGroup": "default.aurora-mysql8.0",
        "dBSubnetGroup": "riverside-db-private",
        "status": "available",
        "earliestRestorableTime": "2026-11-13T07:04:11.000Z",
        "endpoint": f"{name}.cluster-c{hexid('rds-endpoint', 'acct', 11)}.{REGION}.rds.amazonaws.com",
        "readerEndpoint": f"{name}.cluster-ro-c{hexid('rds-endpoint', 'acct', 11)}.{REGION}.rds.amazonaws.com",
        "customEndpoints": [],
        "multiAZ": False,
        "engine": "aurora-mysql",
        "engineVersion": "8.0.mysql_aurora.3.07.1",
        "latestRestorableTime": "2026-11-20T03:05:00.000Z",
        "port": 3306,
        "masterUsername": "riverside_admin",
        "dBClusterOptionGroupMemberships": [],
        "preferredBackupWindow": "07:00-07:30",
        "preferredMaintenanceWindow": "sun:08:00-sun:08:30",
        "readReplicaIdentifiers": [],
        "dBClusterMembers": [{"dBInstanceIdentifier": "analytics-aurora-1", "isClusterWriter": True,
                              "dBClusterParameterGroupStatus": "in-sync", "promotionTier": 1}],
        "vpcSecurityGroups": [{"vpcSecurityGroupId": SG["ehr-db"], "status": "active"}],
        "hostedZoneId": "Z2R2ITUGPM61AM",
        "storageEncrypted": True,
        "kmsKeyId": KMS_KEY_ARN,
        "dbClusterResourceId": resource_id,
        "dBClusterArn": arn,
        "associatedRoles": [],
        "iAMDatabaseAuthenticationEnabled": False,
        "clusterCreateTime": "2025-11-04T19:24:55.310Z",
        "enabledCloudwatchLogsExports": ["audit"],
        "engineMode": "provisioned",
        "deletionProtection": True,
        "httpEndpointEnabled": False,
        "copyTagsToSnapshot": True,
        "crossAccountClone": False,
        "domainMemberships": [],
        "tagList": [{"key": k, "value": v} for k, v in t.items()],
        "autoMinorVersionUpgrade": True,
        "networkType": "IPV4",
    }, name=name, arn=arn, az="Multiple Availability Zones", created="2025-11-04T19:24:55.310Z", tags=t,
        relationships=[rel("AWS::RDS::DBInstance", RDS_RESOURCE_ID["analytics-aurora-1"], "Contains DBInstance",
                           "analytics-aurora-1"),
                       rel("AWS::EC2::SecurityGroup", SG["ehr-db"], "Is associated with SecurityGroup"),
                       rel("AWS::RDS::DBSubnetGroup", "riverside-db-private", "Is associated with DBSubnetGroup"),
                       rel("AWS::KMS::Key", KMS_KEY_ID, "Is associated with KMSKey")],
        supplementary={"Tags": [{"key": k, "value": v} for k, v in t.items()]})


# ---------------------------------------------------------------- S3
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
             "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ehr-backup-role"},
             "Action": ["s3:PutObject", "s3:GetObject", "s3:ListBucket"],
             "Resource": [f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*"]},
        ]},
        "access-logs": {"Version": "2012-10-17", "Statement": [
            {"Sid": "S3ServerAccessLogsPolicy", "Effect": "Allow",
             "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{lg}/s3/*",
             "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}},
            {"Sid": "ElbAccessLogs", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::127311923021:root"}, "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{lg}/elb/AWSLogs/{ACCOUNT}/*"},
            deny_insecure(lg),
        ]},
        "cloudtrail": {"Version": "2012-10-17", "Statement": [
            {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{ct}"},
            {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{ct}/AWSLogs/{ACCOUNT}/*",
             "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}},
            deny_insecure(ct),
        ]},
        "intake": None,
    }


def s3_buckets():
    policies = bucket_policies()
    spec = {
        # key: (created, sse, versioning, logging (bucket, prefix) or None, tags)
        "documents": ("2024-02-06T16:01:12.000Z", ("aws:kms", KMS_KEY_ARN, True), "Enabled",
                      (BUCKET["access-logs"], "s3/ehr-documents/"), tags(BUCKET["documents"], PHI)),
        "backups": ("2024-02-06T16:03:40.000Z", ("AES256", None, False), "Enabled",
                    (BUCKET["access-logs"], "s3/ehr-backups/"), tags(BUCKET["backups"], PHI)),
        "access-logs": ("2024-02-06T15:58:02.000Z", ("AES256", None, False), "Suspended", None,
                        tags(BUCKET["access-logs"])),
        "cloudtrail": ("2024-02-06T15:59:30.000Z", ("aws:kms", KMS_KEY_ARN, True), "Enabled",
                       (BUCKET["access-logs"], "s3/cloudtrail/"), tags(BUCKET["cloudtrail"])),
        # Created in 2016 for scanned intake forms. Its Config item has no
        # ServerSideEncryptionConfiguration key (see README: why this is modelled so).
        "intake": ("2016-08-30T14:22:19.000Z", None, "Off", None,
                   {"Name": BUCKET["intake"], "phi": "true", "owner": "front-desk"}),
    }
    for key, (created, sse, versioning, logging, t) in spec.items():
        name = BUCKET[key]
        acl = {"grantSet": None,
               "grantList": [{"grantee": {"id": OWNER_CANONICAL_ID, "displayName": None},
                              "permission": "FullControl"}],
               "owner": {"displayName": None, "id": OWNER_CANONICAL_ID},
               "isRequesterCharged": False}
        supp = {
            "AccessControlList": compact(acl),   # a JSON string, as AWS delivers it
            "BucketAccelerateConfiguration": {"status": None},
            "BucketLoggingConfiguration": {"destinationBucketName": logging[0] if logging else None,
                                           "logFilePrefix": logging[1] if logging else None},
            "BucketNotificationConfiguration": {"configurations": {}},
            "BucketPolicy": {"policyText": compact(policies[key]) if policies[key] else None},
            "BucketVersioningConfiguration": {"status": versioning, "isMfaDeleteEnabled": None},
            "IsRequesterPaysEnabled": False,
        }
        if sse is not None:
            algorithm, kms, bucket_key = sse
            default = {"sseAlgorithm": algorithm}
            if kms:
                default["kmsMasterKeyID"] = kms
            supp["ServerSideEncryptionConfiguration"] = {"rules": [
                {"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": bucket_key}]}
        if key != "intake":
            supp["PublicAccessBlockConfiguration"] = {"blockPublicAcls": True, "ignorePublicAcls": True,
                                                      "blockPublicPolicy": True, "restrictPublicBuckets": True}
        if key in ("access-logs", "cloudtrail"):
            supp["BucketLifecycleConfiguration"] = {"rules": [{
                "id": "expire-after-7-years", "filter": {"predicate": {"type": "LifecyclePrefixPredicate", "prefix": ""}},
                "status": "Enabled", "expirationInDays": 2557, "expiredObjectDeleteMarker": False,
                "noncurrentVersionExpirationInDays": 90, "transitions": [{"days": 90, "storageClass": "GLACIER"}],
                "noncurrentVersionTransitions": [], "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7}}]}
        supp["BucketTaggingConfiguration"] = {"tagSets": [{"tags": dict(t)}]}
        add("AWS::S3::Bucket", name, {
            "name": name,
            "owner": {"displayName": None, "id": OWNER_CANONICAL_ID},
            "creationDate": created,
        }, name=name, arn=f"arn:aws:s3:::{name}", az="Regional", created=created, tags=t,
            supplementary=supp)


# ---------------------------------------------------------------- load balancers
ALB_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/ehr-web-alb/{hexid('alb', 'ehr-web', 16)}"


def load_balancers():
    t = tags("ehr-web-alb", {"app": "ehr"})
    add("AWS::ElasticLoadBalancingV2::LoadBalancer", ALB_ARN, {
        "loadBalancerArn": ALB_ARN,
        "dNSName": f"ehr-web-alb-{int(hexid('alb-dns', 'x', 8), 16) % 10**10}.{REGION}.elb.amazonaws.com",
        "canonicalHostedZoneId": "Z35SXDOTRQ7X7K",
        "createdTime": "2024-02-07T10:15:42.310Z",
        "loadBalancerName": "ehr-web-alb",
        "scheme": "internet-facing",
        "vpcId": VPC_PROD,
        "state": {"code": "active", "reason": None},
        "type": "application",
        "availabilityZones": [{"zoneName": SUBNETS[s][1], "subnetId": SUBNET_ID[s], "outpostId": None,
                               "loadBalancerAddresses": []} for s in ["public-a", "public-b"]],
        "securityGroups": [SG["ehr-alb"]],
        "ipAddressType": "dualstack",
        "customerOwnedIpv4Pool": None,
    }, name="ehr-web-alb", arn=ALB_ARN, az="Multiple Availability Zones",
        created="2024-02-07T10:15:42.310Z", tags=t,
        relationships=[rel("AWS::EC2::SecurityGroup", SG["ehr-alb"], "Is associated with SecurityGroup")]
        + [rel("AWS::EC2::Subnet", SUBNET_ID[s], "Is attached to Subnet") for s in ["public-a", "public-b"]]
        + [rel("AWS::EC2::VPC", VPC_PROD, "Is contained in Vpc")],
        supplementary={
            "LoadBalancerAttributes": [
                {"key": "access_logs.s3.enabled", "value": "true"},
                {"key": "access_logs.s3.bucket", "value": BUCKET["access-logs"]},
                {"key": "access_logs.s3.prefix", "value": "elb"},
                {"key": "deletion_protection.enabled", "value": "true"},
                {"key": "idle_timeout.timeout_seconds", "value": "60"},
                {"key": "routing.http.drop_invalid_header_fields.enabled", "value": "true"},
                {"key": "routing.http.desync_mitigation_mode", "value": "defensive"},
                {"key": "routing.http2.enabled", "value": "true"},
                {"key": "waf.fail_open.enabled", "value": "false"},
                {"key": "connection_logs.s3.enabled", "value": "false"},
            ],
            "Tags": [{"key": k, "value": v} for k, v in t.items()],
        })

    t = tags("portal-legacy-clb", {"app": "patient-portal-legacy"})
    add("AWS::ElasticLoadBalancing::LoadBalancer", "portal-legacy-clb", {
        "loadBalancerName": "portal-legacy-clb",
        "canonicalHostedZoneName": f"portal-legacy-clb-{int(hexid('clb-dns', 'x', 8), 16) % 10**9}.{REGION}.elb.amazonaws.com",
        "canonicalHostedZoneNameID": "Z35SXDOTRQ7X7K",
        "listenerDescriptions": [
            {"listener": {"protocol": "HTTPS", "loadBalancerPort": 443, "instanceProtocol": "HTTPS",
                          "instancePort": 8443,
                          "sslcertificateId": f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/{uuid.uuid5(uuid.NAMESPACE_URL, 'riverside/acm/portal')}"},
             "policyNames": ["ELBSecurityPolicy-TLS-1-2-2017-01"]},
        ],
        "policies": {"appCookieStickinessPolicies": [], "lbcookieStickinessPolicies": [],
                     "otherPolicies": ["ELBSecurityPolicy-TLS-1-2-2017-01"]},
        "backendServerDescriptions": [],
        "availabilityZones": ["us-east-1a", "us-east-1b"],
        "subnets": [SUBNET_ID["public-a"], SUBNET_ID["public-b"]],
        "instances": [{"instanceId": INSTANCE["ehr-app-1"]}, {"instanceId": INSTANCE["ehr-app-2"]}],
        "healthCheck": {"target": "HTTPS:8443/health", "interval": 30, "timeout": 5,
                        "unhealthyThreshold": 2, "healthyThreshold": 10},
        "sourceSecurityGroup": {"ownerAlias": ACCOUNT, "groupName": "ehr-alb-sg"},
        "securityGroups": [SG["ehr-alb"]],
        "createdTime": 1620029607000,
        "scheme": "internet-facing",
        "dnsname": f"portal-legacy-clb-{int(hexid('clb-dns', 'x', 8), 16) % 10**9}.{REGION}.elb.amazonaws.com",
        "vpcid": VPC_PROD,
    }, name="portal-legacy-clb",
        arn=f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/portal-legacy-clb",
        az="Multiple Availability Zones", created="2021-05-03T08:13:27.000Z", tags=t,
        relationships=[rel("AWS::EC2::SecurityGroup", SG["ehr-alb"], "Is associated with SecurityGroup")]
        + [rel("AWS::EC2::Instance", INSTANCE[i], "Is associated with Instance") for i in ["ehr-app-1", "ehr-app-2"]]
        + [rel("AWS::EC2::Subnet", SUBNET_ID[s], "Is attached to Subnet") for s in ["public-a", "public-b"]]
        + [rel("AWS::EC2::VPC", VPC_PROD, "Is contained in Vpc")],
        supplementary={
            "LoadBalancerAttributes": {
                "crossZoneLoadBalancing": {"enabled": True},
                "accessLog": {"enabled": False},
                "connectionDraining": {"enabled": True, "timeout": 300},
                "connectionSettings": {"idleTimeout": 60},
                "additionalAttributes": [{"key": "elb.http.desyncmitigationmode", "value": "defensive"}],
            },
            "LoadBalancerPolicies": [],
            "Tags": [{"key": k, "value": v} for k, v in t.items()],
        })


# ---------------------------------------------------------------- CloudTrail
def trails():
    specs = [
        ("riverside-audit", True, True, BUCKET["cloudtrail"], True, True,
         [{"readWriteType": "All", "includeManagementEvents": True, "dataResources": [],
           "excludeManagementEventSources": []}], "2024-02-06T16:10:03.000Z"),
        ("ehr-documents-data-events", False, False, BUCKET["cloudtrail"], False, False,
         [{"readWriteType": "All", "includeManagementEvents": False,
           "dataResources": [{"type": "AWS::S3::Object", "values": [f"arn:aws:s3:::{BUCKET['documents']}/"]}],
           "excludeManagementEventSources": []}], "2024-05-21T12:44:18.000Z"),
    ]
    for name, multi, validation, bucket, kms, cw, selectors, created in specs:
        arn = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{name}"
        config = {
            "name": name,
            "s3BucketName": bucket,
            "s3KeyPrefix": None if multi else "data-events",
            "includeGlobalServiceEvents": multi,
            "isMultiRegionTrail": multi,
            "homeRegion": REGION,
            "trailARN": arn,
            "logFileValidationEnabled": validation,
            "hasCustomEventSelectors": True,
            "hasInsightSelectors": False,
            "isOrganizationTrail": False,
        }
        if cw:
            config["cloudWatchLogsLogGroupArn"] = LOG_GROUP_ARN
            config["cloudWatchLogsRoleArn"] = f"arn:aws:iam::{ACCOUNT}:role/cloudtrail-to-cloudwatch"
        if kms:
            config["kmsKeyId"] = KMS_KEY_ARN
        t = tags(name)
        add("AWS::CloudTrail::Trail", name, config, name=name, arn=arn, az="Regional", created=created,
            tags=t,
            relationships=[rel("AWS::S3::Bucket", bucket, "Is associated with Bucket", bucket)],
            supplementary={
                "Tags": [{"key": k, "value": v} for k, v in t.items()],
                "TrailStatus": {"isLogging": True, "latestDeliveryTime": "2026-11-20T03:02:41.000Z",
                                "startLoggingTime": created, "latestDigestDeliveryTime":
                                    "2026-11-20T02:41:07.000Z" if validation else None,
                                "latestDeliveryError": None, "latestNotificationError": None,
                                "latestCloudWatchLogsDeliveryTime": "2026-11-20T03:02:44.000Z" if cw else None,
                                "timeLoggingStarted": created, "timeLoggingStopped": None},
                "EventSelectors": selectors,
                "AdvancedEventSelectors": [],
            })


# ---------------------------------------------------------------- IAM and KMS
POLICIES = {
    # name: (description, versions [(version id, document)], default version, created)
    "RiversideBreakGlassAdmin": (
        "Break-glass administrator access for the IT contractor", [
            ("v1", {"Version": "2012-10-17", "Statement": [
                {"Sid": "BreakGlass", "Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        ], "v1", "2024-02-06T14:55:00.000Z"),
    "EhrAppDocumentAccess": (
        "EHR application servers: documents bucket and PHI key", [
            # v1 was a quick "make it work" policy; replaced by v2, still stored as a version
            ("v1", {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
            ("v2", {"Version": "2012-10-17", "Statement": [
                {"Sid": "Documents", "Effect": "Allow",
                 "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                 "Resource": [f"arn:aws:s3:::{BUCKET['documents']}", f"arn:aws:s3:::{BUCKET['documents']}/*"]},
                {"Sid": "PhiKey", "Effect": "Allow",
                 "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": KMS_KEY_ARN}]}),
        ], "v2", "2024-02-07T09:31:22.000Z"),
    "BackupOperator": (
        "Backup operators: manage backups and the backup bucket", [
            ("v1", {"Version": "2012-10-17", "Statement": [
                {"Sid": "Backup", "Effect": "Allow", "Action": "backup:*", "Resource": "*"},
                {"Sid": "BackupBucket", "Effect": "Allow", "Action": "s3:*",
                 "Resource": [f"arn:aws:s3:::{BUCKET['backups']}", f"arn:aws:s3:::{BUCKET['backups']}/*"]}]}),
        ], "v1", "2024-03-14T18:02:51.000Z"),
}


def iam_policies():
    role_id = upper_id("AROA", "ehr-app-instance-role")
    for name, (description, versions, default, created) in POLICIES.items():
        pid = upper_id("ANPA", name)
        arn = f"arn:aws:iam::{ACCOUNT}:policy/{name}"
        attached = name == "EhrAppDocumentAccess"
        add("AWS::IAM::Policy", pid, {
            "policyName": name,
            "policyId": pid,
            "arn": arn,
            "path": "/",
            "defaultVersionId": default,
            "attachmentCount": 1 if attached else 0,
            "permissionsBoundaryUsageCount": 0,
            "isAttachable": True,
            "description": description,
            "createDate": created,
            "updateDate": created if len(versions) == 1 else "2024-02-09T13:05:40.000Z",
            "policyVersionList": [{
                "document": url_encoded(doc),
                "versionId": vid,
                "isDefaultVersion": vid == default,
                "createDate": created if vid == "v1" else "2024-02-09T13:05:40.000Z",
            } for vid, doc in versions],
        }, name=name, arn=arn, region="global", created=created,
            relationships=[rel("AWS::IAM::Role", role_id, "Is attached to Role", "ehr-app-instance-role")]
            if attached else [])


def iam_role():
    name = "ehr-app-instance-role"
    role_id = upper_id("AROA", name)
    arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    t = tags(name)
    add("AWS::IAM::Role", role_id, {
        "path": "/",
        "roleName": name,
        "roleId": role_id,
        "arn": arn,
        "createDate": "2024-02-07T09:31:25.000Z",
        "assumeRolePolicyDocument": url_encoded(trust),
        "instanceProfileList": [{
            "path": "/", "instanceProfileName": "ehr-app-instance-profile",
            "instanceProfileId": upper_id("AIPA", "ehr-app-instance-profile"),
            "arn": INSTANCE_PROFILE_ARN, "createDate": "2024-02-07T09:31:26.000Z",
            "roles": [{"path": "/", "roleName": name, "roleId": role_id, "arn": arn,
                       "createDate": "2024-02-07T09:31:25.000Z",
                       "assumeRolePolicyDocument": url_encoded(trust),
                       "description": None, "maxSessionDuration": None, "permissionsBoundary": None,
                       "tags": [], "roleLastUsed": None}]}],
        "rolePolicyList": [{"policyName": "cloudwatch-agent", "policyDocument": url_encoded(
            {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                 "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/riverside/ehr-app:*"}]})}],
        "attachedManagedPolicies": [
            {"policyName": "EhrAppDocumentAccess", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/EhrAppDocumentAccess"},
            {"policyName": "AmazonSSMManagedInstanceCore",
             "policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}],
        "permissionsBoundary": None,
        "tags": [{"key": k, "value": v} for k, v in t.items()],
        "roleLastUsed": {"lastUsedDate": "2026-11-20T02:58:12.000Z", "region": REGION},
        "description": "EHR application servers",
        "maxSessionDuration": 3600,
    }, name=name, arn=arn, region="global", created="2024-02-07T09:31:25.000Z", tags=t,
        relationships=[rel("AWS::IAM::Policy", upper_id("ANPA", "EhrAppDocumentAccess"),
                           "Is attached to CustomerManagedPolicy", "EhrAppDocumentAccess")])


def kms_key():
    t = tags("riverside-phi-data")
    add("AWS::KMS::Key", KMS_KEY_ID, {
        "keyId": KMS_KEY_ID,
        "arn": KMS_KEY_ARN,
        "creationDate": "2024-02-06T14:58:40.117Z",
        "enabled": True,
        "description": "Riverside PHI data key (EBS, RDS, S3, CloudTrail)",
        "keyUsage": "ENCRYPT_DECRYPT",
        "keyState": "Enabled",
        "origin": "AWS_KMS",
        "keyManager": "CUSTOMER",
        "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "keySpec": "SYMMETRIC_DEFAULT",
        "encryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "signingAlgorithms": [],
        "macAlgorithms": [],
        "multiRegion": False,
    }, arn=KMS_KEY_ARN, created="2024-02-06T14:58:40.117Z", tags=t)


# ---------------------------------------------------------------- main
def build():
    ITEMS.clear()
    account_public_access_block()
    vpcs()
    subnets()
    network_acls()
    security_groups()
    instances()
    volumes()
    flow_log()
    rds_instances()
    rds_cluster()
    s3_buckets()
    load_balancers()
    trails()
    iam_policies()
    iam_role()
    kms_key()
    return {
        "fileVersion": "1.0",
        "configSnapshotId": str(uuid.uuid5(uuid.NAMESPACE_URL, "riverside/config-snapshot/2026-11-20")),
        "configurationItems": ITEMS,
    }


def main():
    out = Path(__file__).with_name("snapshot.json")
    text = json.dumps(build(), indent=2) + "\n"
    if "--check" in sys.argv[1:]:
        if not out.exists() or out.read_text() != text:
            print(f"{out} is stale: run {Path(__file__).name}", file=sys.stderr)
            sys.exit(1)
        return
    out.write_text(text)
    print(f"wrote {out} ({len(ITEMS)} configuration items)")


if __name__ == "__main__":
    main()
