//! EC2, RDS and S3 API objects (boto3 / AWS CLI PascalCase) to configuration items in
//! AWS Config's camelCase spelling, which [`crate::normalize`] then normalizes like any CI.

use serde_json::{Map, Value, json};

/// Which API list an object came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiKind {
    SecurityGroup,
    DbInstance,
    Bucket,
}

impl ApiKind {
    /// The id field of the API object, for diagnostics.
    pub(crate) fn id_of(self, object: &Value) -> Option<String> {
        let key = match self {
            ApiKind::SecurityGroup => "GroupId",
            ApiKind::DbInstance => "DBInstanceIdentifier",
            ApiKind::Bucket => "Name",
        };
        object.get(key).and_then(Value::as_str).map(str::to_string)
    }

    pub(crate) fn to_item(self, object: Value) -> Result<Value, String> {
        match self {
            ApiKind::SecurityGroup => security_group(object),
            ApiKind::DbInstance => db_instance(object),
            ApiKind::Bucket => bucket(object),
        }
    }
}

/// PascalCase to Config's camelCase: the first character is lowercased, as the AWS Java SDK
/// bean convention Config uses does (`DBInstanceIdentifier` → `dBInstanceIdentifier`,
/// `MultiAZ` → `multiAZ`, `DbiResourceId` → `dbiResourceId`).
pub(crate) fn camel_key(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Applies [`camel_key`] to every object key, recursively.
pub(crate) fn camel_case(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (camel_key(&k), camel_case(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_case).collect()),
        other => other,
    }
}

fn object(value: Value, what: &str) -> Result<Map<String, Value>, String> {
    match camel_case(value) {
        Value::Object(map) => Ok(map),
        other => Err(format!(
            "{what} is {}, expected a JSON object",
            crate::normalize::json_kind(&other)
        )),
    }
}

fn str_field(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `ec2.DescribeSecurityGroups` → `AWS::EC2::SecurityGroup`.
///
/// `IpRanges: [{CidrIp}]` becomes Config's `ipv4Ranges: [{cidrIp}]` (the legacy `ipRanges`
/// string list is then synthesized by normalization). The ARN is not built: the response
/// does not say its region.
fn security_group(value: Value) -> Result<Value, String> {
    let mut config = object(value, "security group")?;
    let group_id = str_field(&config, "groupId")
        .ok_or_else(|| "security group has no `GroupId`".to_string())?;
    for field in ["ipPermissions", "ipPermissionsEgress"] {
        if let Some(Value::Array(perms)) = config.get_mut(field) {
            for perm in perms.iter_mut() {
                if let Value::Object(perm) = perm
                    && let Some(ranges) = perm.remove("ipRanges")
                {
                    perm.insert("ipv4Ranges".into(), ranges);
                }
            }
        }
    }
    let mut item = Map::new();
    item.insert("resourceType".into(), json!("AWS::EC2::SecurityGroup"));
    item.insert("resourceId".into(), json!(group_id));
    if let Some(name) = str_field(&config, "groupName") {
        item.insert("resourceName".into(), json!(name));
    }
    if let Some(owner) = str_field(&config, "ownerId") {
        item.insert("accountId".into(), json!(owner));
    }
    if let Some(arn) = str_field(&config, "securityGroupArn") {
        item.insert("arn".into(), json!(arn));
    }
    item.insert("availabilityZone".into(), json!("Not Applicable"));
    if let Some(vpc) = str_field(&config, "vpcId") {
        item.insert(
            "relationships".into(),
            json!([{"resourceType": "AWS::EC2::VPC", "resourceId": vpc,
                    "relationshipName": "Is contained in Vpc"}]),
        );
    }
    item.insert("configuration".into(), Value::Object(config));
    Ok(Value::Object(item))
}

/// `rds.DescribeDBInstances` / `rds.ModifyDBInstance` → `AWS::RDS::DBInstance`.
///
/// Config's resource id for a DB instance is its `DbiResourceId` (`db-…`); the identifier is
/// the resource name. Region and account come from `DBInstanceArn`.
fn db_instance(value: Value) -> Result<Value, String> {
    let mut config = object(value, "DB instance")?;
    let identifier = str_field(&config, "dBInstanceIdentifier")
        .ok_or_else(|| "DB instance has no `DBInstanceIdentifier`".to_string())?;
    let resource_id = str_field(&config, "dbiResourceId").unwrap_or_else(|| identifier.clone());
    let mut item = Map::new();
    item.insert("resourceType".into(), json!("AWS::RDS::DBInstance"));
    item.insert("resourceId".into(), json!(resource_id));
    item.insert("resourceName".into(), json!(identifier));
    if let Some(arn) = str_field(&config, "dBInstanceArn") {
        let mut parts = arn.split(':');
        if let (Some(_), Some(_), Some(_), Some(region), Some(account)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) {
            if !region.is_empty() {
                item.insert("awsRegion".into(), json!(region));
            }
            if !account.is_empty() {
                item.insert("accountId".into(), json!(account));
            }
        }
        item.insert("arn".into(), json!(arn));
    }
    let multi_az = config.get("multiAZ").and_then(Value::as_bool) == Some(true);
    if multi_az {
        item.insert(
            "availabilityZone".into(),
            json!("Multiple Availability Zones"),
        );
    } else if let Some(az) = str_field(&config, "availabilityZone") {
        item.insert("availabilityZone".into(), json!(az));
    }
    if let Some(created) = config.get("instanceCreateTime") {
        item.insert("resourceCreationTime".into(), created.clone());
    }
    if let Some(tags) = config.remove("tagList") {
        item.insert("tags".into(), tags);
    }
    let mut relationships = Vec::new();
    if let Some(Value::Array(groups)) = config.get("vpcSecurityGroups") {
        for group in groups {
            if let Some(id) = group.get("vpcSecurityGroupId").and_then(Value::as_str) {
                relationships.push(json!({"resourceType": "AWS::EC2::SecurityGroup",
                    "resourceId": id, "relationshipName": "Is associated with SecurityGroup"}));
            }
        }
    }
    if let Some(name) = config
        .get("dBSubnetGroup")
        .and_then(|g| g.get("dBSubnetGroupName"))
        .and_then(Value::as_str)
    {
        relationships.push(json!({"resourceType": "AWS::RDS::DBSubnetGroup",
            "resourceId": name, "relationshipName": "Is associated with DBSubnetGroup"}));
    }
    item.insert("relationships".into(), Value::Array(relationships));
    item.insert("configuration".into(), Value::Object(config));
    Ok(Value::Object(item))
}

/// `s3.ListBuckets` → `AWS::S3::Bucket` with Config's `configuration` fields `name`,
/// `creationDate` and (added from the response's `Owner` by the reader) `owner`.
fn bucket(value: Value) -> Result<Value, String> {
    let config = object(value, "bucket")?;
    let name = str_field(&config, "name").ok_or_else(|| "bucket has no `Name`".to_string())?;
    let mut configuration = Map::new();
    configuration.insert("name".into(), json!(name));
    if let Some(created) = config.get("creationDate") {
        configuration.insert("creationDate".into(), created.clone());
    }
    let mut item = Map::new();
    item.insert("resourceType".into(), json!("AWS::S3::Bucket"));
    item.insert("resourceId".into(), json!(name));
    item.insert("resourceName".into(), json!(name));
    item.insert("arn".into(), json!(format!("arn:aws:s3:::{name}")));
    if let Some(region) = str_field(&config, "bucketRegion") {
        item.insert("awsRegion".into(), json!(region));
    }
    if let Some(created) = config.get("creationDate") {
        item.insert("resourceCreationTime".into(), created.clone());
    }
    item.insert("availabilityZone".into(), json!("Regional"));
    item.insert("configuration".into(), Value::Object(configuration));
    Ok(Value::Object(item))
}

/// `ListBuckets`' `Owner {DisplayName, ID}` in Config's spelling `{displayName, id}`.
pub(crate) fn bucket_owner(owner: &Value) -> Option<Value> {
    let owner = owner.as_object()?;
    Some(json!({
        "displayName": owner.get("DisplayName").cloned().unwrap_or(Value::Null),
        "id": owner.get("ID").cloned().unwrap_or(Value::Null),
    }))
}

/// The time a recorded response was sent (`ResponseMetadata.HTTPHeaders.date`, RFC 2822),
/// in RFC 3339: the capture time of the resources it describes.
pub(crate) fn response_time(metadata: &Value) -> Option<String> {
    let date = metadata.get("HTTPHeaders")?.get("date")?.as_str()?;
    let ts = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(date)
        .ok()?;
    Some(format!("{}Z", ts.strftime("%Y-%m-%dT%H:%M:%S")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_follows_config() {
        assert_eq!(camel_key("DBInstanceIdentifier"), "dBInstanceIdentifier");
        assert_eq!(camel_key("MultiAZ"), "multiAZ");
        assert_eq!(camel_key("DbiResourceId"), "dbiResourceId");
        assert_eq!(
            camel_key("IAMDatabaseAuthenticationEnabled"),
            "iAMDatabaseAuthenticationEnabled"
        );
        assert_eq!(camel_key("CidrIpv6"), "cidrIpv6");
    }

    #[test]
    fn response_date_is_the_capture_time() {
        let meta = json!({"HTTPHeaders": {"date": "Thu, 18 Oct 2018 11:59:58 GMT"}});
        assert_eq!(
            response_time(&meta).as_deref(),
            Some("2018-10-18T11:59:58Z")
        );
    }
}
