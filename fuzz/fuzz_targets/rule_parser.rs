//! A rule file: parsed, checked and, when it is a valid pack, evaluated over a small
//! inventory. Nothing may panic, overflow or hang; a broken rule must be a diagnostic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ward_engine::EvalOptions;
use ward_lang::{PackError, SourceFile, load_pack_sources};
use ward_model::{Inventory, Resource};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = SourceFile::new("fuzz.ward", "fuzz.ward", text);
    let loaded = load_pack_sources(vec![file], &mut |path| {
        Err(PackError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("no imports while fuzzing"),
        })
    });
    let Ok(pack) = loaded else {
        return;
    };
    let mut inventory = Inventory::new();
    for (t, id, config) in [
        ("AWS::EC2::SecurityGroup", "sg-1", r#"{"ipPermissions":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":["0.0.0.0/0"]}]}"#),
        ("AWS::S3::Bucket", "b", r#"{"name":"b","tags":[]}"#),
        ("AWS::RDS::DBInstance", "db", r#"{"storageEncrypted":false,"publiclyAccessible":true}"#),
    ] {
        let mut r = Resource::new(t, id);
        r.configuration = serde_json::from_str(config).unwrap_or_default();
        inventory.insert(r);
    }
    let _ = ward_engine::evaluate(&pack, &inventory, &EvalOptions::default());
});
