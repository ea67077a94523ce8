//! SDK answers to AWS Config configuration items (JSON, Config's spelling), which
//! `ward-import`'s normalization then turns into resources.
//!
//! - Config's own items (`GetResourceConfigHistory`) are written field for field; `configuration` stays the JSON string Config sends.
//! - EC2 objects (for accounts without Config) are written as Config records them: the API's
//!   field names with the first letter lower-cased (`GroupId` -> `groupId`), security group
//!   ranges as `ipv4Ranges[{cidrIp}]`, tags as `[{key, value}]`, the item's `arn`,
//!   `accountId`, `awsRegion`, relationships (`Is contained in Vpc`, `Is attached to
//!   Instance`...) and the collection time as `configurationItemCaptureTime`. The samples
//!   under `tests/data/reference/config-items/` and `ward-model`'s resource catalogue are the
//!   reference for every spelling.

use aws_sdk_ec2::types as ec2;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde_json::{Map, Value, json};

/// A JSON object built field by field; absent values are left out.
#[derive(Default)]
struct Obj(Map<String, Value>);

impl Obj {
    fn s(mut self, key: &str, value: Option<&str>) -> Self {
        if let Some(v) = value {
            self.0.insert(key.into(), Value::String(v.to_string()));
        }
        self
    }
    fn n(mut self, key: &str, value: Option<i32>) -> Self {
        if let Some(v) = value {
            self.0.insert(key.into(), json!(v));
        }
        self
    }
    fn b(mut self, key: &str, value: Option<bool>) -> Self {
        if let Some(v) = value {
            self.0.insert(key.into(), Value::Bool(v));
        }
        self
    }
    fn t(mut self, key: &str, value: Option<&DateTime>) -> Self {
        if let Some(v) = value.and_then(time) {
            self.0.insert(key.into(), Value::String(v));
        }
        self
    }
    fn v(mut self, key: &str, value: Value) -> Self {
        if !value.is_null() {
            self.0.insert(key.into(), value);
        }
        self
    }
    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// An SDK time as RFC 3339 (`2016-10-28T00:33:43.651Z`).
pub fn time(t: &DateTime) -> Option<String> {
    t.fmt(Format::DateTime).ok()
}

fn list<T>(items: &[T], f: impl Fn(&T) -> Value) -> Value {
    Value::Array(items.iter().map(f).collect())
}

fn tags(tags: &[ec2::Tag]) -> Value {
    list(tags, |t| {
        Obj::default()
            .s("key", t.key())
            .s("value", t.value())
            .done()
    })
}

fn relationship(resource_type: &str, id: Option<&str>, name: &str) -> Option<Value> {
    id.map(|id| json!({"resourceType": resource_type, "resourceId": id, "relationshipName": name}))
}

/// Where an EC2 item lives: its account, Region and the collection time.
#[derive(Debug, Clone)]
pub struct Ec2Context {
    pub account_id: String,
    pub region: String,
    pub capture_time: String,
}

impl Ec2Context {
    fn arn(&self, kind: &str, id: &str) -> String {
        format!(
            "arn:{}:ec2:{}:{}:{kind}/{id}",
            crate::client::partition(&self.region),
            self.region,
            self.account_id
        )
    }

    /// The configuration item around `configuration`.
    fn item(
        &self,
        resource_type: &str,
        id: &str,
        arn: String,
        configuration: Value,
        relationships: Vec<Value>,
        availability_zone: Option<&str>,
    ) -> Value {
        json!({
            "resourceType": resource_type,
            "resourceId": id,
            "arn": arn,
            "accountId": self.account_id,
            "awsRegion": self.region,
            "availabilityZone": availability_zone,
            "configurationItemCaptureTime": self.capture_time,
            "configurationItemStatus": "OK",
            "configuration": configuration,
            "supplementaryConfiguration": {},
            "relationships": relationships,
        })
    }
}

pub(crate) fn ip_permission(p: &ec2::IpPermission) -> Value {
    Obj::default()
        .s("ipProtocol", p.ip_protocol())
        .n("fromPort", p.from_port())
        .n("toPort", p.to_port())
        .v(
            "userIdGroupPairs",
            list(p.user_id_group_pairs(), |g| {
                Obj::default()
                    .s("description", g.description())
                    .s("groupId", g.group_id())
                    .s("groupName", g.group_name())
                    .s("peeringStatus", g.peering_status())
                    .s("userId", g.user_id())
                    .s("vpcId", g.vpc_id())
                    .s("vpcPeeringConnectionId", g.vpc_peering_connection_id())
                    .done()
            }),
        )
        .v(
            "ipv4Ranges",
            list(p.ip_ranges(), |r| {
                Obj::default()
                    .s("cidrIp", r.cidr_ip())
                    .s("description", r.description())
                    .done()
            }),
        )
        .v(
            "ipv6Ranges",
            list(p.ipv6_ranges(), |r| {
                Obj::default()
                    .s("cidrIpv6", r.cidr_ipv6())
                    .s("description", r.description())
                    .done()
            }),
        )
        .v(
            "prefixListIds",
            list(p.prefix_list_ids(), |r| {
                Obj::default()
                    .s("prefixListId", r.prefix_list_id())
                    .s("description", r.description())
                    .done()
            }),
        )
        .done()
}

/// `AWS::EC2::SecurityGroup`.
pub fn security_group(ctx: &Ec2Context, sg: &ec2::SecurityGroup) -> Option<Value> {
    let id = sg.group_id()?;
    let config = Obj::default()
        .s("description", sg.description())
        .s("groupId", Some(id))
        .s("groupName", sg.group_name())
        .v("ipPermissions", list(sg.ip_permissions(), ip_permission))
        .v(
            "ipPermissionsEgress",
            list(sg.ip_permissions_egress(), ip_permission),
        )
        .s("ownerId", sg.owner_id())
        .s("securityGroupArn", sg.security_group_arn())
        .v("tags", tags(sg.tags()))
        .s("vpcId", sg.vpc_id())
        .done();
    let arn = sg
        .security_group_arn()
        .map(str::to_string)
        .unwrap_or_else(|| ctx.arn("security-group", id));
    let rels = relationship("AWS::EC2::VPC", sg.vpc_id(), "Is contained in Vpc")
        .into_iter()
        .collect();
    let mut item = ctx.item(
        "AWS::EC2::SecurityGroup",
        id,
        arn,
        config,
        rels,
        Some("Not Applicable"),
    );
    if let (Some(name), Value::Object(o)) = (sg.group_name(), &mut item) {
        o.insert("resourceName".into(), json!(name));
    }
    Some(item)
}

/// `AWS::EC2::Instance`; `owner` is the reservation's account.
pub fn instance(ctx: &Ec2Context, i: &ec2::Instance) -> Option<Value> {
    let id = i.instance_id()?;
    let groups = |gs: &[ec2::GroupIdentifier]| {
        list(gs, |g| {
            Obj::default()
                .s("groupId", g.group_id())
                .s("groupName", g.group_name())
                .done()
        })
    };
    let config = Obj::default()
        .s("instanceId", Some(id))
        .s("imageId", i.image_id())
        .v(
            "state",
            i.state().map_or(Value::Null, |s| {
                Obj::default()
                    .n("code", s.code())
                    .s("name", s.name().map(|n| n.as_str()))
                    .done()
            }),
        )
        .v(
            "metadataOptions",
            i.metadata_options().map_or(Value::Null, |m| {
                Obj::default()
                    .s("state", m.state().map(|x| x.as_str()))
                    .s("httpTokens", m.http_tokens().map(|x| x.as_str()))
                    .n("httpPutResponseHopLimit", m.http_put_response_hop_limit())
                    .s("httpEndpoint", m.http_endpoint().map(|x| x.as_str()))
                    .s(
                        "httpProtocolIpv6",
                        m.http_protocol_ipv6().map(|x| x.as_str()),
                    )
                    .s(
                        "instanceMetadataTags",
                        m.instance_metadata_tags().map(|x| x.as_str()),
                    )
                    .done()
            }),
        )
        .s("privateDnsName", i.private_dns_name())
        .s("publicDnsName", i.public_dns_name())
        .s("stateTransitionReason", i.state_transition_reason())
        .s("keyName", i.key_name())
        .n("amiLaunchIndex", i.ami_launch_index())
        .s("instanceType", i.instance_type().map(|x| x.as_str()))
        .t("launchTime", i.launch_time())
        .v(
            "placement",
            i.placement().map_or(Value::Null, |p| {
                Obj::default()
                    .s("availabilityZone", p.availability_zone())
                    .s("groupName", p.group_name())
                    .s("hostId", p.host_id())
                    .s("tenancy", p.tenancy().map(|x| x.as_str()))
                    .done()
            }),
        )
        .v(
            "monitoring",
            i.monitoring().map_or(Value::Null, |m| {
                Obj::default()
                    .s("state", m.state().map(|x| x.as_str()))
                    .done()
            }),
        )
        .s("subnetId", i.subnet_id())
        .s("vpcId", i.vpc_id())
        .s("privateIpAddress", i.private_ip_address())
        .s("publicIpAddress", i.public_ip_address())
        .s("architecture", i.architecture().map(|x| x.as_str()))
        .s("rootDeviceType", i.root_device_type().map(|x| x.as_str()))
        .s("rootDeviceName", i.root_device_name())
        .v(
            "blockDeviceMappings",
            list(i.block_device_mappings(), |m| {
                Obj::default()
                    .s("deviceName", m.device_name())
                    .v(
                        "ebs",
                        m.ebs().map_or(Value::Null, |e| {
                            Obj::default()
                                .s("volumeId", e.volume_id())
                                .s("status", e.status().map(|x| x.as_str()))
                                .t("attachTime", e.attach_time())
                                .b("deleteOnTermination", e.delete_on_termination())
                                .done()
                        }),
                    )
                    .done()
            }),
        )
        .v(
            "iamInstanceProfile",
            i.iam_instance_profile().map_or(Value::Null, |p| {
                Obj::default().s("arn", p.arn()).s("id", p.id()).done()
            }),
        )
        .s(
            "virtualizationType",
            i.virtualization_type().map(|x| x.as_str()),
        )
        .s("hypervisor", i.hypervisor().map(|x| x.as_str()))
        .s("platform", i.platform().map(|x| x.as_str()))
        .v("tags", tags(i.tags()))
        .v("securityGroups", groups(i.security_groups()))
        .b("sourceDestCheck", i.source_dest_check())
        .b("ebsOptimized", i.ebs_optimized())
        .b("enaSupport", i.ena_support())
        .done();
    let mut rels: Vec<Value> = Vec::new();
    for g in i.security_groups() {
        rels.extend(relationship(
            "AWS::EC2::SecurityGroup",
            g.group_id(),
            "Is associated with SecurityGroup",
        ));
    }
    rels.extend(relationship(
        "AWS::EC2::Subnet",
        i.subnet_id(),
        "Is contained in Subnet",
    ));
    for m in i.block_device_mappings() {
        rels.extend(relationship(
            "AWS::EC2::Volume",
            m.ebs().and_then(|e| e.volume_id()),
            "Is attached to Volume",
        ));
    }
    rels.extend(relationship(
        "AWS::EC2::VPC",
        i.vpc_id(),
        "Is contained in Vpc",
    ));
    let az = i.placement().and_then(|p| p.availability_zone());
    let mut item = ctx.item(
        "AWS::EC2::Instance",
        id,
        ctx.arn("instance", id),
        config,
        rels,
        az,
    );
    if let (Some(t), Value::Object(o)) = (i.launch_time().and_then(time), &mut item) {
        o.insert("resourceCreationTime".into(), json!(t));
    }
    Some(item)
}

/// `AWS::EC2::Volume`.
pub fn volume(ctx: &Ec2Context, v: &ec2::Volume) -> Option<Value> {
    let id = v.volume_id()?;
    let config = Obj::default()
        .s("volumeId", Some(id))
        .n("size", v.size())
        .s("snapshotId", v.snapshot_id())
        .s("availabilityZone", v.availability_zone())
        .s("state", v.state().map(|x| x.as_str()))
        .t("createTime", v.create_time())
        .v(
            "attachments",
            list(v.attachments(), |a| {
                Obj::default()
                    .s("volumeId", a.volume_id())
                    .s("instanceId", a.instance_id())
                    .s("device", a.device())
                    .s("state", a.state().map(|x| x.as_str()))
                    .t("attachTime", a.attach_time())
                    .b("deleteOnTermination", a.delete_on_termination())
                    .done()
            }),
        )
        .v("tags", tags(v.tags()))
        .s("volumeType", v.volume_type().map(|x| x.as_str()))
        .n("iops", v.iops())
        .n("throughput", v.throughput())
        .b("encrypted", v.encrypted())
        .s("kmsKeyId", v.kms_key_id())
        .b("multiAttachEnabled", v.multi_attach_enabled())
        .done();
    let rels = v
        .attachments()
        .iter()
        .filter_map(|a| {
            relationship(
                "AWS::EC2::Instance",
                a.instance_id(),
                "Is attached to Instance",
            )
        })
        .collect();
    let mut item = ctx.item(
        "AWS::EC2::Volume",
        id,
        ctx.arn("volume", id),
        config,
        rels,
        v.availability_zone(),
    );
    if let (Some(t), Value::Object(o)) = (v.create_time().and_then(time), &mut item) {
        o.insert("resourceCreationTime".into(), json!(t));
    }
    Some(item)
}

/// `AWS::EC2::NetworkAcl`.
pub fn network_acl(ctx: &Ec2Context, n: &ec2::NetworkAcl) -> Option<Value> {
    let id = n.network_acl_id()?;
    let config = Obj::default()
        .s("networkAclId", Some(id))
        .s("vpcId", n.vpc_id())
        .b("isDefault", n.is_default())
        .v(
            "entries",
            list(n.entries(), |e| {
                Obj::default()
                    .n("ruleNumber", e.rule_number())
                    .s("protocol", e.protocol())
                    .s("ruleAction", e.rule_action().map(|x| x.as_str()))
                    .b("egress", e.egress())
                    .s("cidrBlock", e.cidr_block())
                    .s("ipv6CidrBlock", e.ipv6_cidr_block())
                    .v(
                        "portRange",
                        e.port_range().map_or(Value::Null, |p| {
                            Obj::default().n("from", p.from()).n("to", p.to()).done()
                        }),
                    )
                    .v(
                        "icmpTypeCode",
                        e.icmp_type_code().map_or(Value::Null, |c| {
                            Obj::default()
                                .n("code", c.code())
                                .n("type", c.r#type())
                                .done()
                        }),
                    )
                    .done()
            }),
        )
        .v(
            "associations",
            list(n.associations(), |a| {
                Obj::default()
                    .s("networkAclAssociationId", a.network_acl_association_id())
                    .s("networkAclId", a.network_acl_id())
                    .s("subnetId", a.subnet_id())
                    .done()
            }),
        )
        .s("ownerId", n.owner_id())
        .v("tags", tags(n.tags()))
        .done();
    let mut rels: Vec<Value> = n
        .associations()
        .iter()
        .filter_map(|a| relationship("AWS::EC2::Subnet", a.subnet_id(), "Is attached to Subnet"))
        .collect();
    rels.extend(relationship(
        "AWS::EC2::VPC",
        n.vpc_id(),
        "Is contained in Vpc",
    ));
    Some(ctx.item(
        "AWS::EC2::NetworkAcl",
        id,
        ctx.arn("network-acl", id),
        config,
        rels,
        Some("Multiple Availability Zones"),
    ))
}

/// `AWS::EC2::VPC`.
pub fn vpc(ctx: &Ec2Context, v: &ec2::Vpc) -> Option<Value> {
    let id = v.vpc_id()?;
    let config = Obj::default()
        .s("vpcId", Some(id))
        .s("state", v.state().map(|x| x.as_str()))
        .s("cidrBlock", v.cidr_block())
        .v(
            "cidrBlockAssociationSet",
            list(v.cidr_block_association_set(), |a| {
                Obj::default()
                    .s("associationId", a.association_id())
                    .s("cidrBlock", a.cidr_block())
                    .v(
                        "cidrBlockState",
                        a.cidr_block_state().map_or(Value::Null, |s| {
                            Obj::default()
                                .s("state", s.state().map(|x| x.as_str()))
                                .s("statusMessage", s.status_message())
                                .done()
                        }),
                    )
                    .done()
            }),
        )
        .s("dhcpOptionsId", v.dhcp_options_id())
        .v("tags", tags(v.tags()))
        .s("instanceTenancy", v.instance_tenancy().map(|x| x.as_str()))
        .b("isDefault", v.is_default())
        .s("ownerId", v.owner_id())
        .done();
    Some(ctx.item(
        "AWS::EC2::VPC",
        id,
        ctx.arn("vpc", id),
        config,
        Vec::new(),
        Some("Multiple Availability Zones"),
    ))
}

/// `AWS::EC2::Subnet`.
pub fn subnet(ctx: &Ec2Context, s: &ec2::Subnet) -> Option<Value> {
    let id = s.subnet_id()?;
    let config = Obj::default()
        .s("subnetId", Some(id))
        .s("subnetArn", s.subnet_arn())
        .s("state", s.state().map(|x| x.as_str()))
        .s("vpcId", s.vpc_id())
        .s("cidrBlock", s.cidr_block())
        .n("availableIpAddressCount", s.available_ip_address_count())
        .s("availabilityZone", s.availability_zone())
        .s("availabilityZoneId", s.availability_zone_id())
        .b("defaultForAz", s.default_for_az())
        .b("mapPublicIpOnLaunch", s.map_public_ip_on_launch())
        .b(
            "assignIpv6AddressOnCreation",
            s.assign_ipv6_address_on_creation(),
        )
        .s("ownerId", s.owner_id())
        .v("tags", tags(s.tags()))
        .done();
    let arn = s
        .subnet_arn()
        .map(str::to_string)
        .unwrap_or_else(|| ctx.arn("subnet", id));
    let rels = relationship("AWS::EC2::VPC", s.vpc_id(), "Is contained in Vpc")
        .into_iter()
        .collect();
    Some(ctx.item(
        "AWS::EC2::Subnet",
        id,
        arn,
        config,
        rels,
        s.availability_zone(),
    ))
}

/// `AWS::EC2::FlowLog` (Config's `resourceId` is the flow log id; `configuration.resourceId`
/// is the VPC, subnet or interface it logs).
pub fn flow_log(ctx: &Ec2Context, f: &ec2::FlowLog) -> Option<Value> {
    let id = f.flow_log_id()?;
    let config = Obj::default()
        .t("creationTime", f.creation_time())
        .s("deliverLogsErrorMessage", f.deliver_logs_error_message())
        .s("deliverLogsPermissionArn", f.deliver_logs_permission_arn())
        .s("deliverCrossAccountRole", f.deliver_cross_account_role())
        .s("deliverLogsStatus", f.deliver_logs_status())
        .s("flowLogId", Some(id))
        .s("flowLogStatus", f.flow_log_status())
        .s("logGroupName", f.log_group_name())
        .s("resourceId", f.resource_id())
        .s("trafficType", f.traffic_type().map(|x| x.as_str()))
        .s(
            "logDestinationType",
            f.log_destination_type().map(|x| x.as_str()),
        )
        .s("logDestination", f.log_destination())
        .s("logFormat", f.log_format())
        .n("maxAggregationInterval", f.max_aggregation_interval())
        .v("tags", tags(f.tags()))
        .done();
    let mut item = ctx.item(
        "AWS::EC2::FlowLog",
        id,
        ctx.arn("flow-log", id),
        config,
        Vec::new(),
        Some("Not Applicable"),
    );
    if let (Some(t), Value::Object(o)) = (f.creation_time().and_then(time), &mut item) {
        o.insert("resourceCreationTime".into(), json!(t));
    }
    Some(item)
}

/// A map of strings as a JSON object with its keys in order (the SDK's maps have none).
fn sorted_strings(map: Option<&std::collections::HashMap<String, String>>) -> Map<String, Value> {
    let mut entries: Vec<_> = map.into_iter().flatten().collect();
    entries.sort();
    entries
        .into_iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

/// A `GetResourceConfigHistory` item (it has tags and relationships, which the batch calls
/// leave out).
pub fn config_item(i: &aws_sdk_config::types::ConfigurationItem) -> Value {
    let supplementary = sorted_strings(i.supplementary_configuration());
    let tags = sorted_strings(i.tags());
    Obj::default()
        .s("version", i.version())
        .s("accountId", i.account_id())
        .t(
            "configurationItemCaptureTime",
            i.configuration_item_capture_time(),
        )
        .s(
            "configurationItemStatus",
            i.configuration_item_status().map(|x| x.as_str()),
        )
        .s("configurationStateId", i.configuration_state_id())
        .s("arn", i.arn())
        .s("resourceType", i.resource_type().map(|x| x.as_str()))
        .s("resourceId", i.resource_id())
        .s("resourceName", i.resource_name())
        .s("awsRegion", i.aws_region())
        .s("availabilityZone", i.availability_zone())
        .t("resourceCreationTime", i.resource_creation_time())
        .v("tags", Value::Object(tags))
        .v(
            "relationships",
            list(i.relationships(), |r| {
                Obj::default()
                    .s("resourceType", r.resource_type().map(|x| x.as_str()))
                    .s("resourceId", r.resource_id())
                    .s("resourceName", r.resource_name())
                    .s("relationshipName", r.relationship_name())
                    .done()
            }),
        )
        .s("configuration", i.configuration())
        .v("supplementaryConfiguration", Value::Object(supplementary))
        .done()
}
