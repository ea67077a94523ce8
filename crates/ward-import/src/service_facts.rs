//! Service facts AWS Config records no item for, that managed rules of the HIPAA pack read
//! through service APIs: ElastiCache clusters and replication groups, DynamoDB account
//! limits, Application Auto Scaling targets and policies, EMR clusters and security
//! configurations, WAFv2 logging configurations, Elastic Beanstalk configuration settings
//! and EBS snapshot sharing. Each AWS CLI response becomes `Ward::` pseudo resources
//! (`docs/inventory-format.md`), named by the ARN in the response when it has one, else
//! attributed like the account facts ([`crate::account_facts::attribute`]).

use serde_json::{Map, Value};
use ward_model::{Resource, Source};

use crate::account_facts::{PendingFact, Read, Scope, arn_parts};
use crate::api::camel_case;
use crate::diagnostic::{Code, ImportDiagnostic};

pub const CACHE_CLUSTER: &str = "Ward::ElastiCache::CacheCluster";
pub const REPLICATION_GROUP: &str = "Ward::ElastiCache::ReplicationGroup";
pub const DYNAMODB_ACCOUNT_LIMITS: &str = "Ward::DynamoDB::AccountLimits";
pub const SCALABLE_TARGET: &str = "Ward::ApplicationAutoScaling::ScalableTarget";
pub const SCALING_POLICY: &str = "Ward::ApplicationAutoScaling::ScalingPolicy";
pub const EMR_CLUSTER: &str = "Ward::EMR::Cluster";
pub const EMR_SECURITY_CONFIGURATION: &str = "Ward::EMR::SecurityConfiguration";
pub const WAFV2_LOGGING_CONFIGURATION: &str = "Ward::WAFv2::LoggingConfiguration";
pub const BEANSTALK_CONFIGURATION_SETTINGS: &str = "Ward::ElasticBeanstalk::ConfigurationSettings";
pub const SNAPSHOT_CREATE_VOLUME_PERMISSIONS: &str = "Ward::EC2::SnapshotCreateVolumePermissions";

/// Every pseudo type this module produces.
pub const PSEUDO_TYPES: &[&str] = &[
    CACHE_CLUSTER,
    REPLICATION_GROUP,
    DYNAMODB_ACCOUNT_LIMITS,
    SCALABLE_TARGET,
    SCALING_POLICY,
    EMR_CLUSTER,
    EMR_SECURITY_CONFIGURATION,
    WAFV2_LOGGING_CONFIGURATION,
    BEANSTALK_CONFIGURATION_SETTINGS,
    SNAPSHOT_CREATE_VOLUME_PERMISSIONS,
];

/// How the objects of a response are found and named.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub resource_type: &'static str,
    pub operation: &'static str,
    /// The key holding the object(s); `None`: the response itself is the object.
    key: Option<&'static str>,
    /// The key holds a list of objects.
    list: bool,
    /// The field with the object's ARN, when the response has one.
    arn: Option<&'static str>,
    /// The fields that name the object when there is no ARN (joined with `/`).
    name: &'static [&'static str],
}

const SPECS: &[Spec] = &[
    Spec {
        resource_type: CACHE_CLUSTER,
        operation: "elasticache describe-cache-clusters",
        key: Some("CacheClusters"),
        list: true,
        arn: Some("ARN"),
        name: &["CacheClusterId"],
    },
    Spec {
        resource_type: REPLICATION_GROUP,
        operation: "elasticache describe-replication-groups",
        key: Some("ReplicationGroups"),
        list: true,
        arn: Some("ARN"),
        name: &["ReplicationGroupId"],
    },
    Spec {
        resource_type: DYNAMODB_ACCOUNT_LIMITS,
        operation: "dynamodb describe-limits",
        key: None,
        list: false,
        arn: None,
        name: &[],
    },
    Spec {
        resource_type: SCALABLE_TARGET,
        operation: "application-autoscaling describe-scalable-targets",
        key: Some("ScalableTargets"),
        list: true,
        arn: Some("ScalableTargetARN"),
        name: &["ServiceNamespace", "ResourceId", "ScalableDimension"],
    },
    Spec {
        resource_type: SCALING_POLICY,
        operation: "application-autoscaling describe-scaling-policies",
        key: Some("ScalingPolicies"),
        list: true,
        arn: Some("PolicyARN"),
        name: &["ServiceNamespace", "ResourceId", "PolicyName"],
    },
    Spec {
        resource_type: EMR_CLUSTER,
        operation: "emr describe-cluster",
        key: Some("Cluster"),
        list: false,
        arn: Some("ClusterArn"),
        name: &["Id"],
    },
    Spec {
        resource_type: EMR_SECURITY_CONFIGURATION,
        operation: "emr describe-security-configuration",
        key: None,
        list: false,
        arn: None,
        name: &["Name"],
    },
    Spec {
        resource_type: WAFV2_LOGGING_CONFIGURATION,
        operation: "wafv2 get-logging-configuration",
        key: Some("LoggingConfiguration"),
        list: false,
        arn: Some("ResourceArn"),
        name: &[],
    },
    Spec {
        resource_type: WAFV2_LOGGING_CONFIGURATION,
        operation: "wafv2 list-logging-configurations",
        key: Some("LoggingConfigurations"),
        list: true,
        arn: Some("ResourceArn"),
        name: &[],
    },
    Spec {
        resource_type: BEANSTALK_CONFIGURATION_SETTINGS,
        operation: "elasticbeanstalk describe-configuration-settings",
        key: Some("ConfigurationSettings"),
        list: true,
        arn: None,
        name: &["ApplicationName", "EnvironmentName"],
    },
    Spec {
        resource_type: SNAPSHOT_CREATE_VOLUME_PERMISSIONS,
        operation: "ec2 describe-snapshot-attribute --attribute createVolumePermission",
        key: None,
        list: false,
        arn: None,
        name: &["SnapshotId"],
    },
];

/// Recognizes a response by its keys.
pub(crate) fn recognize(rest: &Map<String, Value>) -> Option<Spec> {
    let find = |operation_prefix: &str| {
        SPECS
            .iter()
            .find(|s| s.operation.starts_with(operation_prefix))
            .copied()
    };
    if rest.contains_key("CacheClusters") {
        return find("elasticache describe-cache-clusters");
    }
    if rest.contains_key("ReplicationGroups") {
        return find("elasticache describe-replication-groups");
    }
    if rest.contains_key("AccountMaxReadCapacityUnits")
        || rest.contains_key("TableMaxReadCapacityUnits")
    {
        return find("dynamodb describe-limits");
    }
    if rest.contains_key("ScalableTargets") {
        return find("application-autoscaling describe-scalable-targets");
    }
    if rest.contains_key("ScalingPolicies") {
        return find("application-autoscaling describe-scaling-policies");
    }
    if rest
        .get("Cluster")
        .and_then(|c| c.get("ClusterArn"))
        .and_then(Value::as_str)
        .is_some_and(|arn| arn.contains(":elasticmapreduce:"))
    {
        return find("emr describe-cluster");
    }
    if rest.contains_key("SecurityConfiguration") && rest.contains_key("Name") {
        return find("emr describe-security-configuration");
    }
    if rest.contains_key("LoggingConfiguration") {
        return find("wafv2 get-logging-configuration");
    }
    if rest.contains_key("LoggingConfigurations") {
        return find("wafv2 list-logging-configurations");
    }
    if rest.contains_key("ConfigurationSettings") {
        return find("elasticbeanstalk describe-configuration-settings");
    }
    if rest.contains_key("CreateVolumePermissions") && rest.contains_key("SnapshotId") {
        return find("ec2 describe-snapshot-attribute");
    }
    None
}

/// Turns a recognized response into resources (or pending facts).
pub(crate) fn read(spec: &Spec, mut rest: Map<String, Value>, file: &str) -> Read {
    let mut out = Read::default();
    for key in ["ResponseMetadata", "NextToken", "Marker", "nextToken"] {
        if rest.remove(key).is_some_and(|v| !v.is_null()) && key != "ResponseMetadata" {
            out.diagnostics.push(
                ImportDiagnostic::warning(
                    Code::Incomplete,
                    file,
                    format!(
                        "`{}` output holds only one page (`{key}` is set)",
                        spec.operation
                    ),
                )
                .with_help(
                    "save every page (the AWS CLI pages by itself unless --no-paginate is given)",
                ),
            );
        }
    }
    let objects: Vec<Value> = match spec.key {
        None => vec![Value::Object(rest)],
        Some(key) => match rest.remove(key) {
            Some(Value::Array(items)) if spec.list => items,
            Some(object @ Value::Object(_)) if !spec.list => vec![object],
            Some(other) => {
                out.diagnostics.push(ImportDiagnostic::error(
                    Code::Item,
                    file,
                    format!(
                        "`{key}` is {}, expected {}",
                        crate::normalize::json_kind(&other),
                        if spec.list { "a list" } else { "an object" }
                    ),
                ));
                return out;
            }
            None => return out,
        },
    };
    for (index, object) in objects.into_iter().enumerate() {
        let index = spec.list.then_some(index);
        let Value::Object(object) = object else {
            out.diagnostics.push(
                ImportDiagnostic::error(
                    Code::Item,
                    file,
                    format!(
                        "an element of `{}` output is not a JSON object",
                        spec.operation
                    ),
                )
                .with_index(index),
            );
            continue;
        };
        let arn = spec
            .arn
            .and_then(|field| object.get(field))
            .and_then(Value::as_str)
            .map(str::to_string);
        let name: Vec<String> = spec
            .name
            .iter()
            .filter_map(|field| object.get(*field).and_then(Value::as_str))
            .map(str::to_string)
            .collect();
        let mut configuration = camel_case(Value::Object(object));
        if spec.resource_type == EMR_SECURITY_CONFIGURATION {
            decode_embedded(&mut configuration, "securityConfiguration");
        }
        let mut resource = Resource::new(spec.resource_type, "");
        resource.resource_name = name.last().cloned();
        resource.configuration = configuration.into();
        resource.source = Source {
            format: "aws-service-facts".to_string(),
            file: Some(file.to_string()),
            index,
        };
        match arn
            .as_deref()
            .and_then(|a| arn_parts(a).map(|p| (a.to_string(), p)))
        {
            Some((arn, (account, region))) => {
                resource.resource_id = arn.clone();
                resource.arn = Some(arn);
                resource.account_id = Some(account);
                resource.aws_region = region;
                out.resources.push(resource);
            }
            None if spec.name.is_empty() => out.pending.push(PendingFact {
                resource,
                scope: Scope::Regional,
                operation: spec.operation,
            }),
            None if name.len() == spec.name.len() || (!name.is_empty() && spec.list) => {
                resource.resource_id = name.join("/");
                out.pending.push(PendingFact {
                    resource,
                    scope: Scope::RegionalNamed,
                    operation: spec.operation,
                });
            }
            None => out.diagnostics.push(
                ImportDiagnostic::error(
                    Code::Item,
                    file,
                    format!(
                        "`{}` object has no {}; it cannot be named",
                        spec.operation,
                        spec.arn
                            .into_iter()
                            .chain(spec.name.iter().copied())
                            .map(|f| format!("`{f}`"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                )
                .with_index(index),
            ),
        }
    }
    out
}

/// A field holding JSON text (EMR's `SecurityConfiguration`) becomes that JSON, its keys
/// lower-cased like the rest; text that is not JSON stays as it is.
fn decode_embedded(configuration: &mut Value, field: &str) {
    if let Some(slot) = configuration.get_mut(field)
        && let Some(text) = slot.as_str()
        && let Ok(parsed) = serde_json::from_str::<Value>(text)
    {
        *slot = camel_case(parsed);
    }
}
