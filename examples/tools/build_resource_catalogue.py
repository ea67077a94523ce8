#!/usr/bin/env python3
"""Builds crates/ward-model/data/resource-types.json (Ward's resource type catalogue).

    python3 examples/tools/build_resource_catalogue.py [OUT]

Needs botocore (its bundled API models; tested with 1.43.11) and PyYAML, and the reference data
in tests/data/reference. The output is deterministic for a given
botocore version. (It lives under examples/ for now; its natural home is a tools/ directory.)

Sources (all offline):
  * the AWS Config API model's ResourceType enum (botocore data/config/2014-11-12),
  * the HIPAA conformance pack's ComplianceResourceTypes,
  * shapes of the describe APIs (botocore EC2/RDS/ELB/ELBv2/CloudTrail/IAM/KMS/Lambda models),
    renamed the way AWS Config serializes them,
  * the union of fields in the real configuration items under tests/data/reference,
  * hand-written Config-specific overlays (supplementaryConfiguration, legacy SG fields...).
"""
import json, os, sys, glob, urllib.parse
from pathlib import Path
import botocore, botocore.loaders
import yaml

REPO = Path(__file__).resolve().parents[2]
OUT = sys.argv[1] if len(sys.argv) > 1 else str(REPO / 'crates/ward-model/data/resource-types.json')
REF = str(REPO / 'tests/data/reference')
loader = botocore.loaders.Loader()
models = {}
def model(svc):
    if svc not in models:
        models[svc] = loader.load_service_model(svc, 'service-2')
    return models[svc]

# ---------- names ----------
def field_style(name):          # DBInstanceIdentifier -> dBInstanceIdentifier (Config, most types)
    return name[:1].lower() + name[1:]
def jackson_style(name):        # DNSName -> dnsname, LBCookie... -> lbcookie... (classic ELB items)
    i = 0
    while i < len(name) and name[i].isupper():
        i += 1
    return name[:i].lower() + name[i:]

SCALARS = {'string': 'string', 'integer': 'number', 'long': 'number', 'double': 'number',
           'float': 'number', 'boolean': 'boolean', 'timestamp': 'any', 'blob': 'any'}

# ---------- Ward's account-level pseudo types (docs/inventory-format.md) ----------
def pseudo_types():
    def ward(conf):
        return {'configuration': conf, 'supplementaryConfiguration': {}}
    # Credential report columns (aws iam get-credential-report), snake_case -> camelCase.
    report = {'user': 'string', 'arn': 'string', 'userCreationTime': 'string', 'passwordEnabled': 'boolean',
              'passwordLastUsed': 'string', 'passwordLastChanged': 'string', 'passwordNextRotation': 'string',
              'mfaActive': 'boolean'}
    for k in ('1', '2'):
        report.update({'accessKey%sActive' % k: 'boolean', 'accessKey%sLastRotated' % k: 'string',
                       'accessKey%sLastUsedDate' % k: 'string', 'accessKey%sLastUsedRegion' % k: 'string',
                       'accessKey%sLastUsedService' % k: 'string', 'cert%sActive' % k: 'boolean',
                       'cert%sLastRotated' % k: 'string'})
    return {
        'Ward::IAM::CredentialReportUser': ward(report),
        'Ward::IAM::AccountPasswordPolicy': ward(from_model('iam', 'PasswordPolicy')),
        'Ward::IAM::AccountSummary': ward({'*': 'number'}),
        'Ward::IAM::VirtualMFADevices': ward({'virtualMFADevices': [from_model('iam', 'VirtualMFADevice')]}),
        'Ward::EC2::EbsEncryptionByDefault': ward({k: v for k, v in from_model('ec2', 'GetEbsEncryptionByDefaultResult').items()}),
        'Ward::GuardDuty::Detectors': ward({'detectorIds': ['string'], 'detectors': [{'detectorId': 'string', 'status': 'string'}]}),
        'Ward::SecurityHub::Hub': ward(from_model('securityhub', 'DescribeHubResponse')),
        'Ward::Config::RecorderStatus': ward(from_model('config', 'DescribeConfigurationRecorderStatusResponse')),
        # aws ec2 describe-snapshots --owner-ids self --restorable-by-user-ids all, whole:
        # {snapshots: [Snapshot], nextToken (one page of a paginated output only)}.
        'Ward::EC2::PublicSnapshots': ward(from_model('ec2', 'DescribeSnapshotsResult')),
        # Service facts (crates/ward-import/src/service_facts.rs).
        'Ward::ElastiCache::CacheCluster': ward(from_model('elasticache', 'CacheCluster')),
        'Ward::ElastiCache::ReplicationGroup': ward(from_model('elasticache', 'ReplicationGroup')),
        'Ward::DynamoDB::AccountLimits': ward(from_model('dynamodb', 'DescribeLimitsOutput')),
        'Ward::ApplicationAutoScaling::ScalableTarget': ward(from_model('application-autoscaling', 'ScalableTarget')),
        'Ward::ApplicationAutoScaling::ScalingPolicy': ward(from_model('application-autoscaling', 'ScalingPolicy')),
        'Ward::EMR::Cluster': ward(from_model('emr', 'Cluster')),
        'Ward::EMR::SecurityConfiguration': ward(dict(from_model('emr', 'DescribeSecurityConfigurationOutput'), securityConfiguration='any')),
        'Ward::WAFv2::LoggingConfiguration': ward(from_model('wafv2', 'LoggingConfiguration')),
        'Ward::ElasticBeanstalk::ConfigurationSettings': ward(from_model('elasticbeanstalk', 'ConfigurationSettingsDescription')),
        'Ward::EC2::SnapshotCreateVolumePermissions': ward(from_model('ec2', 'DescribeSnapshotAttributeResult')),
    }

def from_model(svc, shape_name, styles=(field_style,), depth=0, stack=()):
    shapes = model(svc)['shapes']
    s = shapes[shape_name]
    t = s['type']
    if t in SCALARS:
        return SCALARS[t]
    if depth > 10 or shape_name in stack:
        return 'any'
    stack = stack + (shape_name,)
    if t == 'list':
        return [from_model(svc, s['member']['shape'], styles, depth + 1, stack)]
    if t == 'map':
        return {'*': from_model(svc, s['value']['shape'], styles, depth + 1, stack)}
    if t == 'structure':
        out = {}
        for m, spec in s['members'].items():
            sub = from_model(svc, spec['shape'], styles, depth + 1, stack)
            for st in styles:
                out[st(m)] = sub
        return out
    return 'any'

# ---------- samples ----------
def decode(v):
    if isinstance(v, str):
        s = v.strip()
        if s[:1] in '{["':
            try:
                return decode(json.loads(s))
            except ValueError:
                return v
        if s.startswith('%7B'):
            try:
                return json.loads(urllib.parse.unquote(s))
            except ValueError:
                return v
    if isinstance(v, dict):
        return {k: decode(x) for k, x in v.items()}
    if isinstance(v, list):
        return [decode(x) for x in v]
    return v

def decode_supplementary(supp):
    # the importer decodes every supplementaryConfiguration value that is JSON text ("false" too)
    out = {}
    for k, v in supp.items():
        if isinstance(v, str):
            try:
                v = json.loads(v)
            except ValueError:
                pass
        out[k] = decode(v)
    return out

def shape_of(v):
    if isinstance(v, dict):
        return {k: shape_of(x) for k, x in v.items()}
    if isinstance(v, list):
        s = None
        for x in v:
            s = merge(s, shape_of(x))
        return [s]
    if isinstance(v, bool):
        return 'boolean'
    if isinstance(v, (int, float)):
        return 'number'
    if isinstance(v, str):
        return 'string'
    return None   # null: says nothing about the type

def merge(a, b, prefer_a_names=False):
    """Union of two shapes. With prefer_a_names, a field of b whose name differs from one of a's
    only by case is dropped (a comes from real items, b from an API model)."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) == ['*'] or list(b) == ['*']:
            return a if list(a) == ['*'] else b
        out = dict(a)
        lower = {k.lower(): k for k in a}
        for k, v in b.items():
            if k in out:
                out[k] = merge(out[k], v, prefer_a_names)
            elif prefer_a_names and k.lower() in lower:
                continue
            else:
                out[k] = v
        return out
    if isinstance(a, list) and isinstance(b, list):
        return [merge(a[0], b[0], prefer_a_names)]
    if a == b:
        return a
    if a == 'any' or b == 'any':
        # a timestamp is 'any' in the model; a sample shows how Config renders it, but it varies
        # between types (ISO string or epoch millis), so keep 'any'.
        return 'any'
    return 'any'

def collect_items():
    items = []
    def walk(o):
        if isinstance(o, dict):
            if 'resourceType' in o and 'configuration' in o:
                items.append(o)
            for k, v in o.items():
                if k == 'invokingEvent' and isinstance(v, str):
                    walk(json.loads(v))
                else:
                    walk(v)
        elif isinstance(o, list):
            for x in o:
                walk(x)
        elif isinstance(o, str) and o.startswith('{') and '"resourceType"' in o:
            try:
                walk(json.loads(o))
            except ValueError:
                pass
    for f in sorted(glob.glob(REF + '/**/*.json', recursive=True)):
        try:
            walk(json.load(open(f)))
        except ValueError:
            pass
    return items

def nulls_to_any(s):
    if s is None:
        return 'any'
    if isinstance(s, dict):
        return {k: nulls_to_any(v) for k, v in s.items()}
    if isinstance(s, list):
        return [nulls_to_any(s[0])]
    return s


samples = {}
for ci in collect_items():
    t = ci['resourceType']
    c, s = samples.get(t, (None, None))
    samples[t] = (merge(c, shape_of(decode(ci['configuration']))),
                  merge(s, shape_of(decode_supplementary(ci.get('supplementaryConfiguration') or {}))))

# ---------- shared pieces ----------
POLICY_DOC = 'any'   # IAM policy documents: decoded by the importer; statements vary too much
KV = [{'key': 'string', 'value': 'string'}]
EC2_TAGS = KV

def sg_permission():
    return {
        'ipProtocol': 'string', 'fromPort': 'number', 'toPort': 'number',
        'userIdGroupPairs': [{'userId': 'string', 'groupName': 'string', 'groupId': 'string',
                              'vpcId': 'string', 'vpcPeeringConnectionId': 'string',
                              'peeringStatus': 'string', 'description': 'string'}],
        'ipRanges': ['string'],                                   # legacy list of CIDR strings
        'ipv4Ranges': [{'cidrIp': 'string', 'description': 'string'}],
        'ipv6Ranges': [{'cidrIpv6': 'string', 'description': 'string'}],
        'prefixListIds': [{'prefixListId': 'string', 'description': 'string'}],
    }

def with_(base, **extra):
    out = dict(base)
    out.update(extra)
    return out

def build_full():
    full = {}
    # EC2
    sg = from_model('ec2', 'SecurityGroup')
    sg['ipPermissions'] = [sg_permission()]
    sg['ipPermissionsEgress'] = [sg_permission()]
    full['AWS::EC2::SecurityGroup'] = (sg, {})
    full['AWS::EC2::NetworkAcl'] = (from_model('ec2', 'NetworkAcl'), {})
    full['AWS::EC2::Instance'] = (from_model('ec2', 'Instance'), {})
    full['AWS::EC2::Volume'] = (from_model('ec2', 'Volume'), {})
    full['AWS::EC2::VPC'] = (from_model('ec2', 'Vpc'), {})
    full['AWS::EC2::Subnet'] = (from_model('ec2', 'Subnet'), {})
    full['AWS::EC2::FlowLog'] = (from_model('ec2', 'FlowLog'), {})
    # RDS
    full['AWS::RDS::DBInstance'] = (from_model('rds', 'DBInstance'), {'Tags': KV})
    # DBCluster items lower-case the whole leading capital run (dbclusterIdentifier, iamdatabaseAuthenticationEnabled),
    # as the aws-config-rdk sample item AWS_RDS_DBCluster.json and aws-config-resource-schema show.
    full['AWS::RDS::DBCluster'] = (from_model('rds', 'DBCluster', styles=(jackson_style,)), {'Tags': KV})
    # S3
    grant = {'grantee': 'any', 'permission': 'string'}
    owner = {'displayName': 'string', 'id': 'string'}
    s3_supp = {
        'AccessControlList': {'grantSet': 'any', 'grantList': [grant], 'owner': owner,
                              'isRequesterCharged': 'boolean'},
        'BucketAcl': 'any',
        'BucketAccelerateConfiguration': {'status': 'string'},
        'BucketLoggingConfiguration': {'destinationBucketName': 'string', 'logFilePrefix': 'string'},
        'BucketNotificationConfiguration': {'configurations': {'*': 'any'}},
        'BucketPolicy': {'policyText': POLICY_DOC},
        'BucketVersioningConfiguration': {'status': 'string', 'isMfaDeleteEnabled': 'boolean'},
        'IsRequesterPaysEnabled': 'boolean',
        'ServerSideEncryptionConfiguration': {'rules': [{
            'applyServerSideEncryptionByDefault': {'sseAlgorithm': 'string', 'kmsMasterKeyID': 'string'},
            'bucketKeyEnabled': 'boolean'}]},
        'PublicAccessBlockConfiguration': {'blockPublicAcls': 'boolean', 'ignorePublicAcls': 'boolean',
                                           'blockPublicPolicy': 'boolean', 'restrictPublicBuckets': 'boolean'},
        'BucketLifecycleConfiguration': {'rules': ['any']},
        'BucketReplicationConfiguration': {'roleARN': 'string', 'rules': {'*': 'any'}},
        'BucketWebsiteConfiguration': {'indexDocumentSuffix': 'string', 'errorDocument': 'string',
                                       'redirectAllRequestsTo': 'any', 'routingRules': ['any']},
        'BucketTaggingConfiguration': {'tagSets': [{'tags': {'*': 'string'}}]},
        'ObjectLockConfiguration': {'objectLockEnabled': 'string',
                                    'rule': {'defaultRetention': {'mode': 'string', 'days': 'number',
                                                                  'years': 'number'}}},
        'BucketOwnershipControls': 'any',
        'BucketCorsConfiguration': 'any',
        'BucketIntelligentTieringConfiguration': 'any',
    }
    full['AWS::S3::Bucket'] = ({'name': 'string', 'owner': owner, 'creationDate': 'any'}, s3_supp)
    full['AWS::S3::AccountPublicAccessBlock'] = (
        {'blockPublicAcls': 'boolean', 'ignorePublicAcls': 'boolean',
         'blockPublicPolicy': 'boolean', 'restrictPublicBuckets': 'boolean'}, {})
    # ELB
    elb = from_model('elb', 'LoadBalancerDescription', styles=(jackson_style,))
    full['AWS::ElasticLoadBalancing::LoadBalancer'] = (elb, {
        'LoadBalancerAttributes': {
            'accessLog': {'enabled': 'boolean', 's3BucketName': 'string', 'emitInterval': 'number',
                          's3BucketPrefix': 'string'},
            'crossZoneLoadBalancing': {'enabled': 'boolean'},
            'connectionDraining': {'enabled': 'boolean', 'timeout': 'number'},
            'connectionSettings': {'idleTimeout': 'number'},
            'additionalAttributes': [{'key': 'string', 'value': 'string'}],
        },
        'LoadBalancerPolicies': ['any'],
        'Tags': KV,
    })
    full['AWS::ElasticLoadBalancingV2::LoadBalancer'] = (
        from_model('elbv2', 'LoadBalancer'), {'LoadBalancerAttributes': KV, 'Tags': KV})
    # CloudTrail
    sel = from_model('cloudtrail', 'EventSelector')
    adv = from_model('cloudtrail', 'AdvancedEventSelector')
    status = from_model('cloudtrail', 'GetTrailStatusResponse')
    status.pop('responseMetadata', None)
    full['AWS::CloudTrail::Trail'] = (from_model('cloudtrail', 'Trail'), {
        'Tags': KV, 'TrailStatus': status, 'EventSelectors': [sel],
        'AdvancedEventSelectors': [adv],
        'InsightSelectors': [from_model('cloudtrail', 'InsightSelector')],
    })
    # IAM (GetAccountAuthorizationDetails shapes are what Config records)
    def iam(detail, *more):
        s = from_model('iam', detail)
        for m in more:
            s = merge(s, from_model('iam', m))
        return s
    pol = iam('ManagedPolicyDetail', 'Policy')
    pol['policyVersionList'] = [with_(from_model('iam', 'PolicyVersion'), document=POLICY_DOC)]
    full['AWS::IAM::Policy'] = (pol, {})
    usr = iam('UserDetail', 'User')
    usr['userPolicyList'] = [{'policyName': 'string', 'policyDocument': POLICY_DOC}]
    full['AWS::IAM::User'] = (usr, {})
    role = iam('RoleDetail', 'Role')
    role['assumeRolePolicyDocument'] = POLICY_DOC
    role['rolePolicyList'] = [{'policyName': 'string', 'policyDocument': POLICY_DOC}]
    ip = from_model('iam', 'InstanceProfile')
    ip['roles'] = ['any']
    role['instanceProfileList'] = [ip]
    full['AWS::IAM::Role'] = (role, {})
    grp = iam('GroupDetail', 'Group')
    grp['groupPolicyList'] = [{'policyName': 'string', 'policyDocument': POLICY_DOC}]
    full['AWS::IAM::Group'] = (grp, {})
    # KMS: the naming of AWSAccountId is not confirmed by a sample; accept both spellings.
    kms = from_model('kms', 'KeyMetadata', styles=(field_style, jackson_style))
    full['AWS::KMS::Key'] = (kms, {'*': 'any'})
    lam = from_model('lambda', 'FunctionConfiguration', styles=(field_style, jackson_style))
    full['AWS::Lambda::Function'] = (lam, {'Policy': POLICY_DOC, 'Tags': 'any'})
    return full

def main():
    names = set()
    enum = model('config')['shapes']['ResourceType']['enum']
    names |= set(enum)
    class Loader(yaml.SafeLoader):
        pass
    def any_tag(loader, suffix, node):
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        return loader.construct_mapping(node)
    Loader.add_multi_constructor('!', any_tag)
    pack = yaml.load(open(REF + '/aws-config-conformance-packs/Operational-Best-Practices-for-HIPAA-Security.yaml'), Loader=Loader)
    pack_types = set()
    for r in pack['Resources'].values():
        pack_types |= set(((r.get('Properties') or {}).get('Scope') or {}).get('ComplianceResourceTypes') or [])
    names |= pack_types
    # Types AWS Config records (awslabs/aws-config-resource-schema has their properties
    # files) that the Config API model's ResourceType enum does not list yet, and that
    # managed rules of the HIPAA pack evaluate.
    names |= {'AWS::SageMaker::NotebookInstance', 'AWS::SageMaker::EndpointConfig', 'AWS::DMS::ReplicationInstance'}
    full = build_full()
    types = {n: None for n in names}
    for t, (conf, supp) in full.items():
        sc, ss = samples.get(t, (None, None))
        if sc is not None:
            conf = merge(sc, conf, prefer_a_names=True) if t != 'AWS::EC2::SecurityGroup' else conf_sg(sc, conf)
        if ss is not None and supp != {'*': 'any'}:
            supp = merge(ss, supp, prefer_a_names=True)
        types[t] = {'configuration': nulls_to_any(conf), 'supplementaryConfiguration': nulls_to_any(supp)}
    types['AWS::::Account'] = {'configuration': {'*': 'any'}, 'supplementaryConfiguration': {'*': 'any'}}
    types.update(pseudo_types())
    doc = {
        'sources': [
            'Type names: the ResourceType enum of the AWS Config API model (botocore %s, data/config/2014-11-12/service-2.json), %d names; '
            'plus every ComplianceResourceTypes entry of Operational-Best-Practices-for-HIPAA-Security.yaml (%d, all in the enum); plus AWS::SageMaker::NotebookInstance, AWS::SageMaker::EndpointConfig and AWS::DMS::ReplicationInstance (recorded by Config per awslabs/aws-config-resource-schema, absent from the enum); plus AWS::::Account and the Ward:: account-fact and service-fact pseudo types (shapes from the botocore IAM, EC2, Security Hub, Config, ElastiCache, DynamoDB, Application Auto Scaling, EMR, WAFv2 and Elastic Beanstalk models; credential report columns by hand).' % (botocore.__version__, len(set(enum)), len(pack_types)),
            'Full shapes: the describe-API shapes of the botocore EC2, RDS, ELB, ELBv2, CloudTrail, IAM (GetAccountAuthorizationDetails), KMS and Lambda models, '
            'renamed as AWS Config serializes them (first letter lower-cased: DBInstanceIdentifier -> dBInstanceIdentifier; classic ELB items lower-case the whole leading capital run: DNSName -> dnsname), '
            'merged with the union of the fields seen in the real configuration items under shared/reference (config-items/, c7n-placebo/), whose spelling wins.',
            'Config-specific parts written by hand: security group ipRanges (legacy CIDR strings) and ipv4Ranges; every supplementaryConfiguration; IAM policy documents as any (decoded by the importer).',
            'Timestamps are any: Config renders some as ISO-8601 strings and some as epoch milliseconds. KMS key and Lambda function field names accept both renamings (no real item to confirm which).',
            'Generated by examples/tools/build_resource_catalogue.py (see examples/README.md); edit the script, not this file.',
        ],
        'types': dict(sorted(types.items())),
    }
    with open(OUT, 'w') as f:
        f.write(render(doc))
    full_count = sum(1 for v in types.values() if v is not None)
    print('types', len(types), 'full', full_count, file=sys.stderr)

def conf_sg(sample, conf):
    # the SG permission shape is hand-written; take other top-level fields from the sample too
    s = dict(sample)
    s.pop('ipPermissions', None)
    s.pop('ipPermissionsEgress', None)
    return merge(s, conf, prefer_a_names=True)

def render(doc):
    """One type per line for null entries; full shapes pretty-printed, compact leaves."""
    out = ['{', '  "sources": ' + json.dumps(doc['sources'], indent=4).replace('\n', '\n  ') + ',', '  "types": {']
    entries = []
    for name, v in doc['types'].items():
        if v is None:
            entries.append('    %s: null' % json.dumps(name))
        else:
            body = json.dumps(v, indent=2, sort_keys=True)
            body = body.replace('\n', '\n    ')
            entries.append('    %s: %s' % (json.dumps(name), body))
    out.append(',\n'.join(entries))
    out.append('  }')
    out.append('}')
    return '\n'.join(out) + '\n'

if __name__ == '__main__':
    main()
