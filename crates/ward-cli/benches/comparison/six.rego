# Six of Ward's HIPAA controls in Rego, for the whole-process benchmark (regorus), over an
# AWS Config snapshot file as input. Each rule mirrors the Ward rule of the same name (with
# `-` spelled `_`) and yields the resource ids it finds NON_COMPLIANT; `counts` is what the
# benchmark compares with Ward's findings.
package ward_bench

import rego.v1

items_of(t) := [i | some i in input.configurationItems; i.resourceType == t]

# restricted-ssh: a permission admitting TCP 22 (tcp/6 or all traffic, and a port range
# covering 22, an absent or -1 range covering every port) from a /0 source; or no
# ipPermissions at all (Ward cannot verify the group).
tcp_or_all(p) if p.ipProtocol in {"tcp", "6", "-1", "all"}

tcp_or_all(p) if not p.ipProtocol

covers_22(p) if p.ipProtocol in {"-1", "all"}

covers_22(p) if not p.fromPort

covers_22(p) if p.fromPort < 0

covers_22(p) if {
	p.fromPort >= 0
	p.fromPort <= 22
	p.toPort >= 22
}

covers_22(p) if {
	p.fromPort >= 0
	p.fromPort <= 22
	p.toPort < 0
}

covers_22(p) if {
	p.fromPort == 22
	not p.toPort
}

world_source(p) if {
	some c in p.ipRanges
	endswith(c, "/0")
}

world_source(p) if {
	some r in p.ipv4Ranges
	endswith(r.cidrIp, "/0")
}

world_source(p) if {
	some r in p.ipv6Ranges
	endswith(r.cidrIpv6, "/0")
}

restricted_ssh contains i.resourceId if {
	some i in items_of("AWS::EC2::SecurityGroup")
	some p in i.configuration.ipPermissions
	tcp_or_all(p)
	covers_22(p)
	world_source(p)
}

restricted_ssh contains i.resourceId if {
	some i in items_of("AWS::EC2::SecurityGroup")
	not i.configuration.ipPermissions
}

# s3-bucket-logging-enabled: no access-log destination bucket.
s3_bucket_logging_enabled contains i.resourceId if {
	some i in items_of("AWS::S3::Bucket")
	not logs_somewhere(i)
}

# Config records a bucket without logging as destinationBucketName: null, and `not null` is
# false in Rego: the value must be tested.
logs_somewhere(i) if {
	destination := i.supplementaryConfiguration.BucketLoggingConfiguration.destinationBucketName
	destination != null
}

# rds-storage-encrypted
rds_storage_encrypted contains i.resourceId if {
	some i in items_of("AWS::RDS::DBInstance")
	not i.configuration.storageEncrypted == true
}

# rds-instance-public-access-check
rds_instance_public_access_check contains i.resourceId if {
	some i in items_of("AWS::RDS::DBInstance")
	not i.configuration.publiclyAccessible == false
}

# cloud-trail-log-file-validation-enabled
cloud_trail_log_file_validation_enabled contains i.resourceId if {
	some i in items_of("AWS::CloudTrail::Trail")
	not i.configuration.logFileValidationEnabled == true
}

# encrypted-volumes: attached (in-use) volumes only.
encrypted_volumes contains i.resourceId if {
	some i in items_of("AWS::EC2::Volume")
	i.configuration.state == "in-use"
	not i.configuration.encrypted == true
}

counts := {
	"restricted_ssh": count(restricted_ssh),
	"s3_bucket_logging_enabled": count(s3_bucket_logging_enabled),
	"rds_storage_encrypted": count(rds_storage_encrypted),
	"rds_instance_public_access_check": count(rds_instance_public_access_check),
	"cloud_trail_log_file_validation_enabled": count(cloud_trail_log_file_validation_enabled),
	"encrypted_volumes": count(encrypted_volumes),
}
