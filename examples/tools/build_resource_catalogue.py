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
  * hand-written Config-specific overlays (supplementaryConfiguration, legacy SG fields...),
  * the AWS Config resource schema (tests/data/reference/aws-config-resource-schema): which
    fields each type has and their leaf types; every type with a schema file gets a shape
    (issue 17). It also writes crates/ward-model/data/catalogue-schema-exceptions.json.

    python3 examples/tools/build_resource_catalogue.py [OUT [EXCEPTIONS_OUT]]
"""
import json, os, sys, glob, urllib.parse
from pathlib import Path
import botocore, botocore.loaders
import yaml

REPO = Path(__file__).resolve().parents[2]
OUT = sys.argv[1] if len(sys.argv) > 1 else str(REPO / 'crates/ward-model/data/resource-types.json')
EXC_OUT = sys.argv[2] if len(sys.argv) > 2 else str(Path(OUT).parent / 'catalogue-schema-exceptions.json')
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
        'Ward::Config::Recorders': ward(from_model('config', 'DescribeConfigurationRecordersResponse')),
        # aws ssm get-document --name SSM-SessionManagerRunShell: Session Manager's preferences
        # (its Content, a JSON string, is parsed by the rules: parse_json).
        'Ward::SSM::SessionManagerPreferences': ward(from_model('ssm', 'GetDocumentResult')),
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
    """(file relative to the repository, item) for every configuration item under tests/data/reference."""
    items = []
    def walk(o):
        if isinstance(o, dict):
            if 'resourceType' in o and 'configuration' in o:
                items.append((rel, o))
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
        rel = os.path.relpath(f, REPO)
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
sample_items = {}   # type -> [(file, {'configuration': decoded, 'supplementaryConfiguration': decoded})]
for path, ci in collect_items():
    t = ci['resourceType']
    c, s = samples.get(t, (None, None))
    conf, supp = decode(ci['configuration']), decode_supplementary(ci.get('supplementaryConfiguration') or {})
    samples[t] = (merge(c, shape_of(conf)), merge(s, shape_of(supp)))
    sample_items.setdefault(t, []).append((path, {'configuration': conf, 'supplementaryConfiguration': supp}))

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

# ---------- grounding in the AWS Config resource schema (issue 17) ----------
# tests/data/reference/aws-config-resource-schema lists, for each type, the property paths AWS
# Config records (dotted; arrays are not marked) with their leaf types. It decides which fields
# exist and their leaf kinds. Whether a node is an array comes from the botocore describe model
# of the same resource (its member of the same name, else a member of that name anywhere in the
# service's model), else from the real items; where none says, the node is `any` and is listed in
# the output's `provenance` (`open`).
SCHEMA_REL = 'tests/data/reference/aws-config-resource-schema/config/properties/resource-types'
SCHEMA_DIR = str(REPO / SCHEMA_REL)
SCHEMA_KINDS = {'string': 'string', 'ip': 'string', 'cidr_block': 'string', 'boolean': 'boolean',
                'integer': 'number', 'float': 'number', 'double': 'number', 'long': 'number',
                'date': 'any'}   # Config renders times as ISO-8601 strings or epoch numbers
PARTS = ('configuration', 'supplementaryConfiguration')
WRAPPERS = REPO / 'crates/ward-model/data/config-value-wrappers.json'
EXCEPTIONS = REPO / 'crates/ward-model/data/catalogue-schema-exceptions.json'
UNKNOWN_ARRAY = ('array-ness unknown: no botocore member of this name fits and no real item has it')

def schema_type_names():
    return sorted(os.path.basename(f)[:-len('.properties.json')]
                  for f in glob.glob(SCHEMA_DIR + '/*.properties.json'))

def schema_paths(t):
    """{path: schema type} of the configuration.* and supplementaryConfiguration.* paths, or None."""
    f = '%s/%s.properties.json' % (SCHEMA_DIR, t)
    if not os.path.exists(f):
        return None
    return {p: k for p, k in json.load(open(f)).items() if '.' in p and p.split('.', 1)[0] in PARTS}

def value_wrappers():
    """{type: {configuration.X}}: the fields Config records only as `X.value`, which Ward's
    importer unwraps, so the catalogue describes them as the bare value. Read from
    crates/ward-model/data/config-value-wrappers.json (examples/tools/build_value_wrappers.py:
    paths under `configuration`, dotted)."""
    table = json.load(open(WRAPPERS))['types']
    return {t: {'configuration.' + p for p in paths} for t, paths in table.items()}

def schema_tree(t, wrappers):
    """{'configuration': node, 'supplementaryConfiguration': node}; a node is a dict of children
    or a leaf kind. `X.value` of a value wrapper is the leaf X."""
    paths = schema_paths(t)
    if paths is None:
        return None
    tree = {p: {} for p in PARTS}
    for p, k in sorted(paths.items()):
        steps = p.split('.')
        if steps[-1] == 'value' and '.'.join(steps[:-1]) in wrappers.get(t, ()):
            steps = steps[:-1]
        node = tree[steps[0]]
        for s in steps[1:-1]:
            node = node.setdefault(s, {})
            assert isinstance(node, dict), (t, p)
        assert not isinstance(node.get(steps[-1]), dict), (t, p)
        node[steps[-1]] = SCHEMA_KINDS[k]
    return tree

# The botocore service of a Config type's service name, where the lower-cased names differ.
SERVICES = {'ElasticLoadBalancing': 'elb', 'ElasticLoadBalancingV2': 'elbv2', 'Elasticsearch': 'es',
            'WAFRegional': 'waf-regional', 'MSK': 'kafka', 'Cognito': 'cognito-idp',
            'KinesisFirehose': 'firehose', 'EventSchemas': 'schemas', 'CloudWatch': 'cloudwatch',
            'Logs': 'logs', 'Events': 'events', 'StepFunctions': 'stepfunctions',
            'ResilienceHub': 'resiliencehub', 'KafkaConnect': 'kafkaconnect',
            'AppConfig': 'appconfig', 'Route53RecoveryControl': 'route53-recovery-control-config',
            'Route53RecoveryReadiness': 'route53-recovery-readiness', 'Cassandra': 'keyspaces',
            'IoTTwinMaker': 'iottwinmaker', 'SES': 'sesv2', 'SimSpaceWeaver': 'simspaceweaver',
            'ServiceDiscovery': 'servicediscovery', 'CloudFormation': 'cloudformation',
            'APS': 'amp', 'AmazonMQ': 'mq', 'InspectorV2': 'inspector2', 'Lex': 'lexv2-models',
            'S3Express': 's3', 'ShieldRegional': 'shield'}
def service_of(t):
    name = t.split('::')[1]
    if name in SERVICES:
        return SERVICES[name]
    by_norm = {s.replace('-', ''): s for s in loader.list_available_services('service-2')}
    return by_norm.get(name.lower())

# The describe-API shape whose members are a type's configuration, where the automatic choice
# (the structure of the service sharing the most member names with the schema) is not wanted:
# every type of the full shapes above, and every type the HIPAA pack reads.
ROOTS = {
    'AWS::EC2::SecurityGroup': ('ec2', 'SecurityGroup'), 'AWS::EC2::NetworkAcl': ('ec2', 'NetworkAcl'),
    'AWS::EC2::Instance': ('ec2', 'Instance'), 'AWS::EC2::Volume': ('ec2', 'Volume'),
    'AWS::EC2::VPC': ('ec2', 'Vpc'), 'AWS::EC2::Subnet': ('ec2', 'Subnet'),
    'AWS::EC2::FlowLog': ('ec2', 'FlowLog'), 'AWS::RDS::DBInstance': ('rds', 'DBInstance'),
    'AWS::RDS::DBCluster': ('rds', 'DBCluster'),
    'AWS::S3::Bucket': ('s3', None),
    'AWS::S3::AccountPublicAccessBlock': ('s3control', 'PublicAccessBlockConfiguration'),
    'AWS::ElasticLoadBalancing::LoadBalancer': ('elb', 'LoadBalancerDescription'),
    'AWS::ElasticLoadBalancingV2::LoadBalancer': ('elbv2', 'LoadBalancer'),
    'AWS::CloudTrail::Trail': ('cloudtrail', 'Trail'), 'AWS::IAM::Policy': ('iam', 'ManagedPolicyDetail'),
    'AWS::IAM::User': ('iam', 'UserDetail'), 'AWS::IAM::Role': ('iam', 'RoleDetail'),
    'AWS::IAM::Group': ('iam', 'GroupDetail'), 'AWS::KMS::Key': ('kms', 'KeyMetadata'),
    'AWS::Lambda::Function': ('lambda', 'FunctionConfiguration'),
    # the pack's types without a full shape before issue 17
    'AWS::ACM::Certificate': ('acm', 'CertificateDetail'),
    'AWS::ApiGateway::Stage': ('apigateway', 'Stage'),
    'AWS::ApiGatewayV2::Stage': ('apigatewayv2', 'Stage'),
    'AWS::AutoScaling::AutoScalingGroup': ('autoscaling', 'AutoScalingGroup'),
    'AWS::AutoScaling::LaunchConfiguration': ('autoscaling', 'LaunchConfiguration'),
    'AWS::Backup::BackupPlan': ('backup', 'GetBackupPlanOutput'),
    'AWS::Backup::BackupSelection': ('backup', 'GetBackupSelectionOutput'),
    'AWS::Backup::BackupVault': ('backup', 'DescribeBackupVaultOutput'),
    'AWS::Backup::RecoveryPoint': ('backup', 'DescribeRecoveryPointOutput'),
    'AWS::CloudWatch::Alarm': ('cloudwatch', 'MetricAlarm'),
    'AWS::CodeBuild::Project': ('codebuild', 'Project'),
    'AWS::DMS::ReplicationInstance': ('dms', 'ReplicationInstance'),
    'AWS::DynamoDB::Table': ('dynamodb', 'TableDescription'),
    'AWS::EC2::InternetGateway': ('ec2', 'InternetGateway'),
    'AWS::EC2::RouteTable': ('ec2', 'RouteTable'),
    'AWS::EC2::VPNConnection': ('ec2', 'VpnConnection'),
    'AWS::ECS::TaskDefinition': ('ecs', 'TaskDefinition'),
    'AWS::EFS::FileSystem': ('efs', 'FileSystemDescription'),
    'AWS::ElasticBeanstalk::Environment': ('elasticbeanstalk', 'EnvironmentDescription'),
    'AWS::ElasticLoadBalancingV2::Listener': ('elbv2', 'Listener'),
    'AWS::Elasticsearch::Domain': ('es', 'ElasticsearchDomainStatus'),
    'AWS::Events::Rule': ('events', 'DescribeRuleResponse'),
    'AWS::Kinesis::Stream': ('kinesis', 'StreamDescription'),
    'AWS::OpenSearch::Domain': ('opensearch', 'DomainStatus'),
    'AWS::RDS::DBClusterSnapshot': ('rds', 'DBClusterSnapshot'),
    'AWS::RDS::DBSnapshot': ('rds', 'DBSnapshot'),
    'AWS::Redshift::Cluster': ('redshift', 'Cluster'),
    'AWS::Redshift::ClusterParameterGroup': ('redshift', 'ClusterParameterGroup'),
    'AWS::SNS::Topic': ('sns', 'TopicAttributesMap'),     # GetTopicAttributes: name -> string
    'AWS::SSM::Document': ('ssm', 'DocumentDescription'),
    'AWS::SageMaker::EndpointConfig': ('sagemaker', 'DescribeEndpointConfigOutput'),
    'AWS::SageMaker::NotebookInstance': ('sagemaker', 'DescribeNotebookInstanceOutput'),
    'AWS::SecretsManager::Secret': ('secretsmanager', 'DescribeSecretResponse'),
    'AWS::WAFRegional::WebACL': ('waf-regional', 'WebACL'),
    'AWS::WAFv2::WebACL': ('wafv2', 'WebACL'),
}

# What the full shapes of build_full() come from, where it is not simply botocore ROOTS[type].
FULL_FROM = {
    'AWS::S3::Bucket': 'hand-written',
    'AWS::S3::AccountPublicAccessBlock': 'hand-written',
    'AWS::EC2::SecurityGroup': 'botocore ec2 SecurityGroup, permissions hand-written',
    'AWS::RDS::DBCluster': 'botocore rds DBCluster, classic-ELB renaming',
    'AWS::ElasticLoadBalancing::LoadBalancer': 'botocore elb LoadBalancerDescription, classic-ELB renaming',
    'AWS::KMS::Key': 'botocore kms KeyMetadata, both renamings',
    'AWS::Lambda::Function': 'botocore lambda FunctionConfiguration, both renamings',
}

def bo_target(svc, shape_name):
    """(list depth, shape name, its type) of a shape, lists unwrapped."""
    shapes = model(svc)['shapes']
    depth = 0
    while shapes[shape_name]['type'] == 'list':
        depth += 1
        shape_name = shapes[shape_name]['member']['shape']
    return depth, shape_name, shapes[shape_name]['type']

_members = {}
def bo_members(svc, shape_name):
    """lower-cased member name -> member shape, of a structure."""
    if (svc, shape_name) not in _members:
        s = model(svc)['shapes'][shape_name]
        _members[svc, shape_name] = {m.lower(): spec['shape'] for m, spec in s.get('members', {}).items()}
    return _members[svc, shape_name]

_by_name = {}
def bo_by_name(svc):
    """lower-cased member name -> the shapes of every structure member of that name in the service."""
    if svc not in _by_name:
        idx = {}
        for name in sorted(model(svc)['shapes']):
            s = model(svc)['shapes'][name]
            if s['type'] == 'structure':
                for m, spec in s['members'].items():
                    idx.setdefault(m.lower(), []).append(spec['shape'])
        _by_name[svc] = idx
    return _by_name[svc]

def bo_fit(svc, shape_name, node):
    """(list depth, structure or None) when a botocore shape fits a schema node: a structure for
    a node with children; anything for a leaf (the schema's kind wins). None when it does not fit."""
    depth, target, kind = bo_target(svc, shape_name)
    if isinstance(node, dict):
        return (depth, target) if kind == 'structure' else None
    return depth, None

def bo_fit_by_name(svc, name, node):
    """The fit of the service's members named `name`, when they agree on the list depth; for a
    node with children, among the structures holding the most of its children (at least half)."""
    fits = [f for f in (bo_fit(svc, s, node) for s in bo_by_name(svc).get(name.lower(), [])) if f]
    if not fits:
        return None
    if isinstance(node, dict):
        def cover(f):
            members = bo_members(svc, f[1])
            return sum(1 for k in node if k.lower() in members)
        best = max(cover(f) for f in fits)
        if best * 2 < len(node):
            return None
        fits = [f for f in fits if cover(f) == best]
    if len({f[0] for f in fits}) != 1:
        return None
    return fits[0]

def auto_root(svc, node):
    """The structure of the service sharing the most member names with a schema node (at least
    two and half of them); describe outputs before request shapes, then the smallest, then by name."""
    keys = {k.lower() for k in node}
    best, rank = None, None
    for name in sorted(model(svc)['shapes']):
        if model(svc)['shapes'][name]['type'] != 'structure':
            continue
        members = bo_members(svc, name)
        hit = len(keys & set(members))
        r = (hit, not name.endswith(('Request', 'Input', 'Message', 'Type')), -len(members))
        if rank is None or r > rank:
            best, rank = name, r
    if rank is None or rank[0] < 2 or rank[0] * 2 < len(keys):
        return None             # one shared name says little: members by name instead
    return best

def resolve(svc, bshape, node, stats):
    """The shape of a schema node (a dict of children): leaf kinds from the schema, list depth
    from botocore; `('?', shape)` where no botocore member fits."""
    out = {}
    for name, sub in node.items():
        fit = None
        if svc and bshape:
            s = model(svc)['shapes'][bshape]
            if s['type'] == 'structure':
                m = bo_members(svc, bshape).get(name.lower())
                fit = m and bo_fit(svc, m, sub)
            elif s['type'] == 'map':      # an attribute map: every value has the map's value shape
                fit = bo_fit(svc, s['value']['shape'], sub)
            if fit:
                stats['model'] += 1
        if not fit and svc:
            fit = bo_fit_by_name(svc, name, sub)
            if fit:
                stats['name'] += 1
        if not fit:
            stats['unknown'] += 1
            out[name] = ('?', resolve(svc, None, sub, stats) if isinstance(sub, dict) else sub)
            continue
        depth, target = fit
        inner = resolve(svc, target, sub, stats) if isinstance(sub, dict) else sub
        for _ in range(depth):
            inner = [inner]
        out[name] = inner
    return out

def sample_values(t, part, steps):
    """(file, value) of every non-null value at `steps` (arrays walked) in the real items of `t`."""
    def walk(v, steps):
        if isinstance(v, list):
            for x in v:
                yield from walk(x, steps)
        elif not steps:
            yield v
        elif isinstance(v, dict) and steps[0] in v:
            yield from walk(v[steps[0]], steps[1:])
    return [(f, v) for f, item in sample_items.get(t, []) for v in walk(item[part], steps) if v is not None]

def kind_of(v):
    if isinstance(v, bool):
        return 'boolean'
    if isinstance(v, (int, float)):
        return 'number'
    if isinstance(v, str):
        return 'string'
    return 'object' if isinstance(v, dict) else 'array'

def describe(shape):
    if isinstance(shape, tuple):
        return describe(shape[1])
    if isinstance(shape, list):
        return 'an array of ' + describe(shape[0])
    if isinstance(shape, dict):
        return 'a map' if list(shape) == ['*'] else 'an object'
    return shape

class Grounding:
    """Merges an existing shape (describe model + real items + hand-written) with the schema's."""
    def __init__(self, t):
        self.t = t
        self.exceptions = []
        self.open = {}

    def exception(self, path, schema, catalogue, shown):
        f, v = shown[0]
        self.exceptions.append({'type': self.t, 'path': path, 'schema': schema, 'catalogue': catalogue,
                                'evidence': f, 'shows': '%s is %s' % (path, json.dumps(v)[:80])})

    def ground(self, e, s, part, steps):
        path = '.'.join([part] + steps)
        if s is None:
            return e
        if e is None:
            return s
        if isinstance(s, tuple):                 # array-ness unknown: the existing shape says
            return self.ground(e, s[1], part, steps)
        if e == 'any':
            if isinstance(s, (dict, list)):      # a hand-written `any` where the schema knows the fields
                return s
            if s != 'any':
                self.open[path] = 'left open by the existing shape (a hand-written any, a timestamp or a value of varying type)'
            return 'any'
        if isinstance(e, list):
            return [self.ground(e[0], s[0] if isinstance(s, list) else s, part, steps)]
        if isinstance(s, list):                  # the describe model of the resource and its items decide
            s = s[0]
        if isinstance(e, dict) and isinstance(s, dict):
            if list(e) == ['*']:
                if e['*'] == 'any':              # an open map: the schema names its fields
                    return s
                return {'*': self.ground_all(e['*'], s, part, steps)}
            out = dict(e)
            for k, sk in s.items():
                dups = [x for x in out if x != k and x.lower() == k.lower()]
                shown = [x for x in dups if sample_values(self.t, part, steps + [x])]
                if shown and k not in out:
                    self.exception('.'.join([part] + steps + [k]), 'a field', 'unreachable: the real item spells it %s' % shown[0],
                                   sample_values(self.t, part, steps + [shown[0]]))
                    continue
                base = out.get(k)
                for x in dups:
                    if x not in shown:
                        base = merge(base, out.pop(x))
                out[k] = self.ground(base, sk, part, steps + [k])
            return out
        if isinstance(s, dict):                  # a scalar where the schema has children
            shown = [(f, v) for f, v in sample_values(self.t, part, steps) if not isinstance(v, dict)]
            if shown:
                self.exception(path, 'an object', describe(e), shown)
                return e
            return s
        if isinstance(e, dict):                  # an object where the schema has a leaf
            shown = [(f, v) for f, v in sample_values(self.t, part, steps) if isinstance(v, dict)]
            if shown:
                self.exception(path, s, describe(e), shown)
                return e
            return s
        if e == s or s == 'any':
            return s
        shown = [(f, v) for f, v in sample_values(self.t, part, steps) if kind_of(v) == e]
        if shown:
            self.exception(path, s, e, shown)
            return e
        return s

    def ground_all(self, e, s, part, steps):
        """A map's value shape against every field the schema names under it."""
        for k, sk in s.items():
            e = self.ground(e, sk, part, steps + [k])
        return e

    def finish(self, shape, part, steps=()):
        """`('?', shape)` -> `any`, listed in `open`."""
        path = '.'.join((part,) + tuple(steps))
        if isinstance(shape, tuple):
            if shape[1] != 'any':
                self.open[path] = UNKNOWN_ARRAY
            return 'any'
        if isinstance(shape, list):
            return [self.finish(shape[0], part, steps)]
        if isinstance(shape, dict):
            return {k: self.finish(v, part, tuple(steps) + (k,)) for k, v in shape.items()}
        return shape

def snapshot_block_public_access():
    # No schema file (Config added the type after the vendored schema's commit) and no real
    # item: the describe API's shape, in both Config's renaming and the API's own spelling
    # (newer Config types are recorded in the CloudFormation spelling, which is the API's here).
    api = from_model('ec2', 'GetSnapshotBlockPublicAccessStateResult', styles=(field_style, lambda n: n))
    return {'configuration': api, 'supplementaryConfiguration': {}}

# Fields rules of the HIPAA pack read that the schema does not list and no real item under
# tests/data/reference shows. They are accepted so that the pack still checks, and listed in
# `provenance` (`unconfirmed`) with the rule that reads them, until the rule or the evidence
# changes (crates/ward-model/tests/catalogue_schema.rs fails once the rule no longer reads one).
# (type, part, field, shape, rule file, why)
UNCONFIRMED = [
    ('AWS::ApiGateway::Stage', 'configuration', 'methodSettings',
     lambda: from_model('apigateway', 'MapOfMethodSettings'), 'api-gw-execution-logging-enabled.ward',
     'a map keyed by method path, which the schema index cannot list; botocore apigateway Stage.methodSettings'),
    ('AWS::Backup::BackupVault', 'configuration', 'AccessPolicy', lambda: 'any',
     'backup-recovery-point-manual-deletion-disabled.ward',
     'a JSON policy document: the schema index lists none (it omits the IAM policy documents that the real AWS_IAM_Policy.json item has); the CloudFormation property name'),
    ('AWS::ElasticBeanstalk::Environment', 'configuration', 'optionSettings', lambda: 'any',
     'elastic-beanstalk-managed-updates-enabled.ward',
     'a map namespace -> option -> {value}, which the schema index cannot list; not in the botocore describe shape EnvironmentDescription'),
    ('AWS::Events::Rule', 'configuration', 'EventPattern', lambda: 'any', 'ward-cloudtrail-stop-alarm.ward',
     'a JSON document, which the schema index does not list; botocore events DescribeRuleResponse.EventPattern'),
    ('AWS::SSM::Document', 'supplementaryConfiguration', 'DocumentPermission',
     lambda: from_model('ssm', 'DescribeDocumentPermissionResponse'), 'ssm-document-not-public.ward',
     'likely a rule bug: the schema lists no supplementaryConfiguration for the type and no importer writes this key (the rule says Config does not record sharing)'),
    ('AWS::WAFv2::WebACL', 'configuration', 'arn', lambda: 'string', 'wafv2-logging-enabled.ward',
     'likely a rule bug: the schema spells the web ACL ARN configuration.resourceARN'),
]

def accept_unconfirmed(shapes, provenance):
    for t, part, field, shape, rule, why in UNCONFIRMED:
        node = shapes[t][part]
        assert isinstance(node, dict) and field not in node, (t, part, field)
        sub = shape()
        if isinstance(sub, dict):
            sub.pop('nextToken', None)
        node[field] = sub
        provenance[t].setdefault('unconfirmed', {})['%s.%s' % (part, field)] = \
            'read by policies/hipaa/%s; not in the schema, no real item: %s' % (rule, why)

def ground_in_schema(existing):
    """Every type with a schema file gets a shape: the existing one (if any) grounded in the
    schema, else the schema's with botocore's array-ness. Returns (shapes, provenance, exceptions)."""
    wrappers = value_wrappers()
    shapes, provenance, exceptions = {}, {}, []
    for t in schema_type_names():
        tree = schema_tree(t, wrappers)
        svc, root = ROOTS.get(t, (service_of(t), None))
        if svc and t not in ROOTS and tree['configuration']:
            root = auto_root(svc, tree['configuration'])
        stats = {'model': 0, 'name': 0, 'unknown': 0}
        g = Grounding(t)
        shape = {}
        for part in PARTS:
            node = tree[part]
            s = resolve(svc, root if part == 'configuration' else None, node, stats)
            e = (existing.get(t) or {}).get(part)
            if e is None and part == 'configuration' and not node:
                shape[part] = 'any'
                g.open[part] = 'the schema lists no configuration property of this type'
            else:
                shape[part] = g.finish(g.ground(e, s, part, []), part)
        if t in existing:
            what = 'schema + the full shape (%s)' % existing[t]['_from']
        elif root:
            what = 'schema + botocore %s %s' % (svc, root)
        elif svc:
            what = 'schema + botocore %s (members by name)' % svc
        else:
            what = 'schema only (no botocore model of the service)'
        provenance[t] = {'shape': what, 'arrays': 'from the model shape %(model)d, by member name %(name)d, unknown %(unknown)d' % stats}
        if g.open:
            provenance[t]['open'] = dict(sorted(g.open.items()))
        shapes[t] = shape
        exceptions += g.exceptions
    accept_unconfirmed(shapes, provenance)
    return shapes, provenance, exceptions

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
    existing = {t: dict(types[t], _from=FULL_FROM.get(t, 'botocore %s %s' % ROOTS[t]) + (', real items' if t in samples else ''))
                for t in full}
    grounded, provenance, exceptions = ground_in_schema(existing)
    names |= set(grounded)
    for t in names:
        types.setdefault(t, None)
    types.update(grounded)
    types['AWS::EC2::SnapshotBlockPublicAccess'] = snapshot_block_public_access()
    provenance['AWS::EC2::SnapshotBlockPublicAccess'] = {
        'shape': 'botocore ec2 GetSnapshotBlockPublicAccessStateResult, in both spellings (state, State): no schema file, no real item'}
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
            'Timestamps are any: Config renders some as ISO-8601 strings and some as epoch milliseconds.',
            'Grounded in the AWS Config resource schema (tests/data/reference/aws-config-resource-schema, awslabs/aws-config-resource-schema): every type with a schema file (%d; %d of them not in the enum) has a shape. '
            'The schema decides which configuration and supplementaryConfiguration fields exist and their leaf kinds (string, ip, cidr_block -> string; boolean; integer, float -> number; date -> any); '
            'X.value of a field Config records only as {"value": ...} is the bare X (Ward\'s importer unwraps it; %s). '
            'Array-ness comes from the botocore describe model of the same resource (the member of that name in the shape named in provenance, else a member of that name in the service\'s model whose structure fits), else from the real items; where none says, the node is any and provenance lists it under open. '
            'The full shapes above keep their fields and gain every schema path they lacked; where they contradict the schema, the schema wins unless a real item shows otherwise (listed in catalogue-schema-exceptions.json, with the item). '
            'provenance names each type\'s sources, the nodes left open, and the fields accepted for rules of the pack although the schema does not list them (unconfirmed).'
            % (len(grounded), len(set(grounded) - set(enum)),
               'table config-value-wrappers.json'),
            'Generated by examples/tools/build_resource_catalogue.py (see examples/README.md); edit the script, not this file.',
        ],
        'types': dict(sorted(types.items())),
        'provenance': dict(sorted(provenance.items())),
    }
    with open(OUT, 'w') as f:
        f.write(render(doc))
    exc = {
        'about': [
            'Where Ward\'s resource catalogue (resource-types.json) differs from the AWS Config resource schema '
            '(tests/data/reference/aws-config-resource-schema) for a reason: a real configuration item under '
            'tests/data/reference shows the catalogue\'s version (`evidence` is that file, `shows` what it holds).',
            'Generated with the catalogue by examples/tools/build_resource_catalogue.py; '
            'crates/ward-model/tests/catalogue_schema.rs fails on a difference not listed here and on a listed one that no longer occurs.',
        ],
        'exceptions': sorted(exceptions, key=lambda x: (x['type'], x['path'])),
    }
    with open(EXC_OUT, 'w') as f:
        f.write(json.dumps(exc, indent=2) + '\n')
    full_count = sum(1 for v in types.values() if v is not None)
    print('types', len(types), 'full', full_count, 'schema-grounded', len(grounded),
          'open nodes', sum(len(p.get('open', {})) for p in provenance.values()),
          'exceptions', len(exceptions), file=sys.stderr)

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
    out.append('  },')
    out.append('  "provenance": {')
    out.append(',\n'.join('    %s: %s' % (json.dumps(name), json.dumps(p, sort_keys=True))
                          for name, p in doc['provenance'].items()))
    out.append('  }')
    out.append('}')
    return '\n'.join(out) + '\n'

if __name__ == '__main__':
    main()
