//! The importer on small inputs written here: each format, each kind of damage, and what
//! the user reads about it.

// Helpers outside `#[test]` functions get the same leave as the tests (clippy.toml).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use miette::{Diagnostic, NarratableReportHandler};
use serde_json::{Value, json};
use ward_import::{Code, FileReport, Format, ImportDiagnostic, Level, import_path, import_reader};
use ward_model::{Inventory, Source};

fn sg(id: &str) -> Value {
    json!({
        "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": "2024-03-01T10:00:00.000Z",
        "configurationStateId": 1709287200000_i64,
        "awsAccountId": "111122223333",
        "configurationItemStatus": "OK",
        "resourceType": "AWS::EC2::SecurityGroup",
        "resourceId": id,
        "ARN": format!("arn:aws:ec2:us-east-1:111122223333:security-group/{id}"),
        "awsRegion": "us-east-1",
        "configuration": {"groupId": id, "ipPermissions": [
            {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": ["0.0.0.0/0"]}
        ]},
        "supplementaryConfiguration": {},
        "tags": {"env": "prod"},
        "relationships": []
    })
}

/// A Config snapshot with `configurationItems` first and the header keys after it.
fn snapshot(items: &[Value]) -> String {
    serde_json::to_string_pretty(&json!({
        "configurationItems": items,
        "fileVersion": "1.0",
        "configSnapshotId": "00000000-0000-0000-0000-000000000000"
    }))
    .unwrap()
}

fn read(name: &str, text: &str) -> (FileReport, Inventory) {
    let mut inventory = Inventory::new();
    let report = import_reader(name, text.as_bytes(), &mut inventory);
    (report.files.into_iter().next().unwrap(), inventory)
}

fn errors(file: &FileReport) -> Vec<&ImportDiagnostic> {
    file.diagnostics.iter().filter(|d| d.is_error()).collect()
}

fn render(diagnostic: &ImportDiagnostic) -> String {
    let mut out = String::new();
    NarratableReportHandler::new()
        .render_report(&mut out, diagnostic as &dyn Diagnostic)
        .unwrap();
    out
}

#[test]
fn gzip_is_detected_by_magic_bytes() {
    let text = snapshot(&[sg("sg-1"), sg("sg-2"), sg("sg-3")]);
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(text.as_bytes()).unwrap();
    let gz = encoder.finish().unwrap();

    let dir = tempfile::tempdir().unwrap();
    // A name that says nothing: detection is by content.
    let path = dir.path().join("snapshot.bin");
    std::fs::write(&path, &gz).unwrap();
    let mut inventory = Inventory::new();
    let report = import_path(&path, &mut inventory);
    assert!(!report.has_errors(), "{:?}", report.files);
    assert_eq!(report.files[0].format, Some(Format::ConfigSnapshot));
    assert_eq!(report.resources(), 3);

    // A reader that hands out one byte per call still has its magic bytes seen.
    struct Trickle<'a>(&'a [u8]);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((byte, rest)), Some(slot)) => {
                    *slot = *byte;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }
    let mut from_reader = Inventory::new();
    let report = import_reader("snapshot.json.gz", Trickle(&gz), &mut from_reader);
    assert_eq!(report.files[0].format, Some(Format::ConfigSnapshot));
    let mut plain = Inventory::new();
    import_reader("snapshot.json", text.as_bytes(), &mut plain);
    let strip = |inv: &Inventory| {
        inv.iter()
            .map(|r| (r.key(), r.configuration.clone(), r.tags.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&from_reader), strip(&plain));
    assert_eq!(strip(&inventory), strip(&plain));
    let r = plain.get("AWS::EC2::SecurityGroup", "sg-2").unwrap();
    assert_eq!(r.source.format, "config-snapshot");
    assert_eq!(r.source.file.as_deref(), Some("snapshot.json"));
    assert_eq!(r.source.index, Some(1));
}

#[test]
fn corrupt_gzip_keeps_what_was_read() {
    let items: Vec<Value> = (0..200).map(|i| sg(&format!("sg-{i}"))).collect();
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(snapshot(&items).as_bytes()).unwrap();
    let mut gz = encoder.finish().unwrap();
    let len = gz.len();
    gz.truncate(len * 2 / 3);
    let mut inventory = Inventory::new();
    let report = import_reader("cut.json.gz", gz.as_slice(), &mut inventory);
    assert!(report.has_errors());
    assert!(report.resources() > 0 && report.resources() < 200);
    assert_eq!(inventory.len(), report.resources());
}

#[test]
fn malformed_item_costs_only_itself() {
    let mut bad_config = sg("sg-bad");
    bad_config["configuration"] = json!("{\"groupId\": ");
    let no_id = json!({"resourceType": "AWS::EC2::SecurityGroup", "configuration": {}});
    let items = [
        sg("sg-1"),
        json!("not an item"),
        bad_config,
        no_id,
        sg("sg-4"),
    ];
    let (file, inventory) = read("snap.json", &snapshot(&items));

    assert_eq!(file.format, Some(Format::ConfigSnapshot));
    assert_eq!(file.resources, 2);
    assert!(inventory.get("AWS::EC2::SecurityGroup", "sg-1").is_some());
    assert!(inventory.get("AWS::EC2::SecurityGroup", "sg-4").is_some());

    let errors = errors(&file);
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert_eq!(errors[0].index, Some(1));
    assert!(errors[0].message.contains("a string"), "{}", errors[0]);
    assert_eq!(errors[1].index, Some(2));
    assert_eq!(errors[1].resource_id.as_deref(), Some("sg-bad"));
    assert_eq!(errors[1].code, Code::Item);
    assert_eq!(
        errors[1].to_string(),
        "`snap.json`, item 2 (`sg-bad`): `configuration` is a string of 12 characters that is not JSON (not shown: it was not redacted)"
    );
    assert_eq!(errors[2].index, Some(3));
    assert!(errors[2].message.contains("`resourceId`"));
}

#[test]
fn truncated_file_keeps_items_before_the_cut() {
    let text = snapshot(&[sg("sg-1"), sg("sg-2"), sg("sg-3")]);
    let cut = text.find("\"sg-3\"").unwrap() + 3;
    let (file, inventory) = read("cut.json", &text[..cut]);

    assert_eq!(inventory.len(), 2);
    assert_eq!(file.resources, 2);
    assert_eq!(
        file.format,
        Some(Format::ConfigApiItems),
        "header keys never seen"
    );
    let [error] = errors(&file)[..] else {
        panic!("{:#?}", file.diagnostics)
    };
    assert_eq!(error.code, Code::Syntax);
    assert!(error.message.contains("truncated"), "{error}");
    let (line, column) = error.line_column.unwrap();
    assert_eq!(line, text[..cut].lines().count());
    assert!(column > 0);
    assert!(error.help.as_deref().unwrap().contains("2 resources"));
    assert!(error.source_code.is_some() && error.span.is_some());
    let rendered = render(error);
    assert!(rendered.contains("cut.json"), "{rendered}");
}

/// Items are normalized on another thread in batches while parsing goes on: across many
/// batches they keep their order and index, and a cut keeps exactly the items before it.
#[test]
fn many_items_keep_their_order_and_a_cut_keeps_those_before_it() {
    let ids: Vec<String> = (0..1000).map(|i| format!("sg-{i:04}")).collect();
    let items: Vec<Value> = ids.iter().map(|id| sg(id)).collect();
    let text = snapshot(&items);
    let (file, inventory) = read("many.json", &text);
    assert!(errors(&file).is_empty(), "{:#?}", file.diagnostics);
    let got: Vec<(&str, Option<usize>)> = inventory
        .iter()
        .map(|r| (r.resource_id.as_str(), r.source.index))
        .collect();
    let want: Vec<(&str, Option<usize>)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), Some(i)))
        .collect();
    assert_eq!(got, want);

    let cut = text.find("\"sg-0700\"").unwrap() + 3;
    let (file, inventory) = read("many-cut.json", &text[..cut]);
    assert_eq!(inventory.len(), 700);
    assert_eq!(
        inventory.iter().last().map(|r| r.resource_id.as_str()),
        Some("sg-0699")
    );
    let [error] = errors(&file)[..] else {
        panic!("{:#?}", file.diagnostics)
    };
    assert_eq!(error.code, Code::Syntax);

    // An item that is not JSON, mid-file, with well-formed items after it: the items
    // before it are kept, none after, and the error is placed in the file.
    let broken = text.replacen("\"sg-0700\"", "\"sg-0700\" 7", 1);
    let (file, inventory) = read("many-broken.json", &broken);
    assert_eq!(inventory.len(), 700);
    let [error] = errors(&file)[..] else {
        panic!("{:#?}", file.diagnostics)
    };
    assert_eq!(error.code, Code::Syntax);
    let offset = broken.find(" 7").unwrap() + 1;
    let line = broken[..offset].matches('\n').count() + 1;
    let column = offset - broken[..offset].rfind('\n').map_or(0, |n| n + 1) + 1;
    assert_eq!(error.line_column, Some((line, column)), "{error}");
}

#[test]
fn syntax_error_mid_file_is_located_and_underlined() {
    let text = "{\"configurationItems\": [\n  {\"resourceType\": \"AWS::S3::Bucket\", \"resourceId\": \"b1\"},\n  {\"resourceType\": \"AWS::S3::Bucket\" \"resourceId\": \"b2\"}\n]}\n";
    let (file, inventory) = read("bad.json", text);
    assert_eq!(inventory.len(), 1);
    let [error] = errors(&file)[..] else {
        panic!("{:#?}", file.diagnostics)
    };
    assert_eq!(error.line_column, Some((3, 38)));
    assert!(
        error
            .message
            .starts_with("invalid JSON: expected `,` or `}`"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .starts_with("`bad.json`:3:38: invalid JSON"),
        "{error}"
    );
    let span = error.span.unwrap();
    assert_eq!(&text[span.offset()..span.offset() + 1], "\"");
    let rendered = render(error);
    assert!(rendered.contains("ward::import::syntax"), "{rendered}");
    // The line is shown with its keys, its values masked: the file was not redacted.
    assert!(
        rendered.contains("\"resourceId\": \"**\""),
        "the line is shown: {rendered}"
    );
    assert!(!rendered.contains("b2"), "{rendered}");
}

#[test]
fn unknown_format_lists_keys_and_accepted_formats() {
    let (file, inventory) = read("what.json", r#"{"Reservations": [], "Foo": 1}"#);
    assert!(inventory.is_empty());
    assert_eq!(file.format, None);
    let [error] = errors(&file)[..] else {
        panic!("{:#?}", file.diagnostics)
    };
    assert_eq!(error.code, Code::UnknownFormat);
    assert_eq!(
        error.message,
        "unrecognized input format: found top-level keys `Reservations`, `Foo`"
    );
    let help = error.help.as_deref().unwrap();
    assert!(help.contains("`configurationItems`") && help.contains("`invokingEvent`"));

    let (file, _) = read("s.json", "\"just a string\"");
    assert!(errors(&file)[0].message.contains("a string"));
    let (file, _) = read(
        "p.json",
        r#"{"status_code": 200, "data": {"Reservations": []}}"#,
    );
    assert!(
        errors(&file)[0]
            .message
            .contains("keys of `data` `Reservations`")
    );
}

#[test]
fn empty_inputs() {
    let (file, _) = read("empty.json", "");
    assert_eq!(errors(&file)[0].message, "the file is empty");
    let (file, _) = read("blank.json", "  \n ");
    assert_eq!(errors(&file)[0].message, "the file is empty");
    let (file, _) = read("obj.json", "{}");
    assert!(!file.has_errors());
    assert_eq!(file.diagnostics[0].level, Level::Warning);
    let (file, inv) = read("list.json", "[]");
    assert_eq!(file.format, Some(Format::ConfigurationItemList));
    assert!(inv.is_empty() && file.diagnostics.is_empty());
}

#[test]
fn single_item_and_item_list() {
    let (file, inv) = read("one.json", &sg("sg-1").to_string());
    assert_eq!(file.format, Some(Format::ConfigurationItem));
    let r = inv.get("AWS::EC2::SecurityGroup", "sg-1").unwrap();
    assert_eq!(r.source.index, None);
    assert_eq!(r.source.format, "config-item");

    let list = json!([sg("sg-1"), 42, sg("sg-2")]).to_string();
    let (file, inv) = read("list.json", &list);
    assert_eq!(file.format, Some(Format::ConfigurationItemList));
    assert_eq!(inv.len(), 2);
    assert_eq!(errors(&file)[0].index, Some(1));
}

#[test]
fn api_items_and_batch_output() {
    let mut item = sg("sg-1");
    let obj = item.as_object_mut().unwrap();
    obj.remove("awsAccountId");
    obj.remove("ARN");
    obj.insert("accountId".into(), json!("111122223333"));
    obj.insert(
        "arn".into(),
        json!("arn:aws:ec2:us-east-1:111122223333:security-group/sg-1"),
    );
    obj.insert("version".into(), json!("1.3"));
    obj.insert(
        "configuration".into(),
        json!(r#"{"groupId":"sg-1","ipPermissions":[]}"#),
    );
    // AWS CLI v1 prints timestamps as epoch seconds.
    obj.insert("configurationItemCaptureTime".into(), json!(1709287200.5));
    let text = json!({
        "baseConfigurationItems": [item],
        "unprocessedResourceKeys": [{"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-2"}]
    })
    .to_string();
    let (file, inv) = read("batch.json", &text);
    assert_eq!(file.format, Some(Format::ConfigApiItems));
    let r = inv.get("AWS::EC2::SecurityGroup", "sg-1").unwrap();
    assert_eq!(r.configuration["groupId"], "sg-1");
    assert_eq!(r.account_id.as_deref(), Some("111122223333"));
    assert_eq!(
        r.configuration_item_capture_time.as_deref(),
        Some("2024-03-01T10:00:00.500Z")
    );
    assert_eq!(r.source.format, "config-api");
    let warning = file
        .diagnostics
        .iter()
        .find(|d| d.level == Level::Warning)
        .unwrap();
    assert!(warning.message.contains("unprocessedResourceKeys"));
}

#[test]
fn select_results() {
    let full = json!({"resourceType": "AWS::S3::Bucket", "resourceId": "b1",
        "configuration": {"name": "b1"}, "tags": [{"key": "k", "value": "v"}]});
    let text = json!({
        "Results": [full.to_string(), "{broken", r#"{"configuration":{"foo":1}}"#],
        "QueryInfo": {"SelectFields": [{"Name": "resourceType"}]}
    })
    .to_string();
    let (file, inv) = read("select.json", &text);
    assert_eq!(file.format, Some(Format::SelectResourceConfig));
    assert_eq!(inv.get("AWS::S3::Bucket", "b1").unwrap().tags["k"], "v");
    let errors = errors(&file);
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].index, Some(1));
    assert!(errors[0].message.starts_with("result is not valid JSON"));
    assert_eq!(errors[1].index, Some(2));
    assert!(
        errors[1]
            .help
            .as_deref()
            .unwrap()
            .contains("select `resourceType")
    );
}

#[test]
fn rule_events() {
    let ci = sg("sg-9");
    let invoking =
        json!({"configurationItem": ci, "messageType": "ConfigurationItemChangeNotification"});
    let event = json!({"invokingEvent": invoking.to_string(), "ruleParameters": "{}",
        "resultToken": "x", "eventLeftScope": false});
    let (file, inv) = read("event.json", &event.to_string());
    assert_eq!(file.format, Some(Format::ConfigRuleEvent));
    assert!(inv.get("AWS::EC2::SecurityGroup", "sg-9").is_some());
    assert!(file.diagnostics.is_empty());

    // The invoking event itself.
    let (file, inv) = read("invoking.json", &invoking.to_string());
    assert_eq!(file.format, Some(Format::ConfigRuleEvent));
    assert_eq!(inv.len(), 1);

    // Oversized: only a summary.
    let summary = json!({"configurationItemSummary": {
            "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-big",
            "awsAccountId": "111122223333", "configurationItemStatus": "OK",
            "configurationItemCaptureTime": "2024-03-01T10:00:00.000Z"},
        "messageType": "OversizedConfigurationItemChangeNotification"});
    let event = json!({"invokingEvent": summary.to_string()});
    let (file, inv) = read("oversized.json", &event.to_string());
    let r = inv.get("AWS::EC2::SecurityGroup", "sg-big").unwrap();
    assert!(r.configuration.is_null());
    assert_eq!(file.diagnostics[0].level, Level::Warning);
    assert!(
        file.diagnostics[0]
            .message
            .contains("configurationItemSummary")
    );

    // Scheduled: nothing, and an info saying so.
    let event =
        json!({"invokingEvent": r#"{"messageType":"ScheduledNotification","awsAccountId":"1"}"#});
    let (file, inv) = read("scheduled.json", &event.to_string());
    assert!(inv.is_empty());
    assert_eq!(file.diagnostics[0].level, Level::Info);
    assert_eq!(file.diagnostics[0].code, Code::NoResources);

    let (file, _) = read("broken-event.json", r#"{"invokingEvent": "{oops"}"#);
    assert!(
        errors(&file)[0]
            .message
            .contains("`invokingEvent` is not valid JSON")
    );
}

#[test]
fn ward_inventory_round_trip() {
    let (_, original) = read("snap.json", &snapshot(&[sg("sg-1"), sg("sg-2")]));
    let text = serde_json::to_string(&original.to_snapshot()).unwrap();
    let (file, copy) = read("inventory.json", &text);
    assert_eq!(file.format, Some(Format::WardInventory));
    assert!(file.diagnostics.is_empty(), "{:#?}", file.diagnostics);
    assert_eq!(
        copy.iter().collect::<Vec<_>>(),
        original.iter().collect::<Vec<_>>()
    );
    // The original provenance is kept.
    assert_eq!(
        copy.iter().next().unwrap().source.file.as_deref(),
        Some("snap.json")
    );

    // Keys in any order; a bad resource costs only itself; an unknown version is an error.
    let text = r#"{"resources": [{"resourceType": "AWS::S3::Bucket", "resourceId": "b"}, {"resourceType": 5}],
                   "wardInventoryVersion": "2"}"#;
    let (file, inv) = read("future.json", text);
    assert_eq!(inv.len(), 1);
    assert_eq!(inv.iter().next().unwrap().source.format, "ward-inventory");
    let errors = errors(&file);
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].index, Some(1));
    assert_eq!(errors[1].code, Code::Version);
}

#[test]
fn plain_api_responses() {
    let text = json!({"SecurityGroups": [{"GroupId": "sg-1", "GroupName": "web", "OwnerId": "111122223333",
        "VpcId": "vpc-1",
        "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            "UserIdGroupPairs": [{"GroupId": "sg-2", "UserId": "111122223333"}], "PrefixListIds": []}],
        "Tags": [{"Key": "Name", "Value": "web"}]},
        {"GroupName": "no id"}]})
    .to_string();
    let (file, inv) = read("sgs.json", &text);
    assert_eq!(file.format, Some(Format::Ec2Api));
    let r = inv.get("AWS::EC2::SecurityGroup", "sg-1").unwrap();
    let perm = &r.configuration["ipPermissions"][0];
    assert_eq!(perm["ipv4Ranges"][0]["cidrIp"], "0.0.0.0/0");
    assert_eq!(perm["ipv6Ranges"][0]["cidrIpv6"], "::/0");
    assert_eq!(perm["ipRanges"], json!(["0.0.0.0/0"]));
    assert_eq!(perm["userIdGroupPairs"][0]["groupId"], "sg-2");
    assert_eq!(r.tags["Name"], "web");
    assert_eq!(r.relationships[0].resource_id.as_deref(), Some("vpc-1"));
    assert_eq!(r.arn, None);
    assert_eq!(r.configuration_item_capture_time, None);
    let errors = errors(&file);
    assert_eq!(errors[0].index, Some(1));
    assert!(errors[0].message.contains("`GroupId`"));

    let text = r#"{"DBInstance": {"DBInstanceIdentifier": "db1", "PubliclyAccessible": false,
        "MultiAZ": true, "TagList": [{"Key": "a", "Value": "b"}]}}"#;
    let (file, inv) = read("modify.json", text);
    assert_eq!(file.format, Some(Format::RdsApi));
    let db = inv.get("AWS::RDS::DBInstance", "db1").unwrap();
    assert_eq!(db.configuration["multiAZ"], true);
    assert_eq!(
        db.availability_zone.as_deref(),
        Some("Multiple Availability Zones")
    );
    assert_eq!(db.tags["a"], "b");
}

#[test]
fn directory_walk_is_sorted_recursive_and_skips_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("b/nested")).unwrap();
    std::fs::create_dir_all(root.join(".hidden")).unwrap();
    std::fs::write(root.join("b/nested/z.json"), sg("sg-z").to_string()).unwrap();
    std::fs::write(root.join("a.json"), sg("sg-a").to_string()).unwrap();
    std::fs::write(root.join("c.json"), "{bad").unwrap();
    std::fs::write(root.join("notes.txt"), "not json").unwrap();
    std::fs::write(root.join(".hidden/h.json"), sg("sg-h").to_string()).unwrap();

    let mut inventory = Inventory::new();
    let report = import_path(root, &mut inventory);
    let names: Vec<String> = report
        .files
        .iter()
        .map(|f| {
            std::path::Path::new(&f.path)
                .strip_prefix(root)
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["a.json", "b/nested/z.json", "c.json"]);
    assert_eq!(inventory.len(), 2);
    assert!(report.has_errors());
    assert_eq!(
        report.diagnostics().count(),
        1,
        "only c.json has a diagnostic"
    );

    let mut inventory = Inventory::new();
    let report = import_path(&root.join("missing.json"), &mut inventory);
    let error = report.diagnostics().next().unwrap();
    assert_eq!(error.code, Code::Io);
    assert!(error.message.starts_with("could not open `"), "{error}");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let depth = 100_000;
    let text = format!(
        "{{\"configurationItems\": [{}, {{\"resourceType\": \"T\", \"resourceId\": \"x\", \"configuration\": {}{}}}, {}]}}",
        sg("sg-1"),
        "[".repeat(depth),
        "]".repeat(depth),
        sg("sg-2")
    );
    let (file, inv) = read("deep.json", &text);
    assert_eq!(inv.len(), 2, "the items around the deep one are still read");
    let error = errors(&file)[0];
    assert_eq!(error.code, Code::Item);
    assert_eq!(error.index, Some(1), "{error}");
    assert!(error.message.contains("more than 128 deep"), "{error}");
    // Nesting too deep outside a configuration item is a syntax error of the file.
    let text = format!(
        "{{\"configurationItems\": [{}], \"other\": {}{}}}",
        sg("sg-1"),
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let (file, _) = read("deep-envelope.json", &text);
    let error = errors(&file)[0];
    assert_eq!(error.code, Code::Syntax);
    assert!(error.message.contains("recursion limit"), "{error}");
}

#[test]
fn large_files_report_line_and_column_without_source() {
    let filler = " ".repeat(9 * 1024 * 1024);
    let text = format!("{{\"configurationItems\": [{}]{filler}x}}", sg("sg-1"));
    let (file, inv) = read("big.json", &text);
    assert_eq!(inv.len(), 1);
    let error = errors(&file)[0];
    assert!(error.line_column.is_some());
    assert!(error.source_code.is_none(), "not kept above 8 MiB");
}

#[test]
fn resource_from_item_is_the_same_normalization() {
    let source = Source {
        format: "ward-test".into(),
        file: Some("rule-test.yaml".into()),
        index: Some(3),
    };
    let r = ward_import::resource_from_item(sg("sg-1"), source.clone()).unwrap();
    assert_eq!(r.source, source);
    assert_eq!(
        r.configuration["ipPermissions"][0]["ipv4Ranges"][0]["cidrIp"],
        "0.0.0.0/0"
    );
    let error = ward_import::resource_from_item(json!({"resourceId": "x"}), source).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`rule-test.yaml`, item 3 (`x`): item has no `resourceType`"
    );
}
