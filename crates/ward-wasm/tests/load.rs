//! Loading plugins: what is refused at load, with which message, and output that breaks
//! the canonical ABI itself (a status that does not exist, a pointer out of bounds), which
//! safe Rust cannot produce, so these plugins are written in WAT.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/plugins.rs"]
mod plugins;

use serde_json::json;
use ward_backend::{Backend, EvalOptions};
use ward_model::{Inventory, Resource, Status};
use ward_wasm::{Limits, PluginHost, WasmBackend, WasmError};

const WIT: &str = include_str!("../../../plugins/wit/ward-plugin.wit");

fn host() -> PluginHost {
    PluginHost::new(Limits::default()).unwrap()
}

fn load(bytes: &[u8]) -> Result<ward_wasm::Plugin, WasmError> {
    host().load_bytes("test.wasm", bytes, None)
}

/// A core module with the world's component type embedded (what wit-bindgen produces).
fn with_world(wit: &str, world: &str, mut module: Vec<u8>) -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    let pkg = resolve.push_str("ward-plugin.wit", wit).unwrap();
    let world = resolve.select_world(&[pkg], Some(world)).unwrap();
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .unwrap();
    module
}

/// A module whose every export traps, for a world.
fn dummy(wit: &str, world: &str) -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    let pkg = resolve.push_str("ward-plugin.wit", wit).unwrap();
    let world_id = resolve.select_world(&[pkg], Some(world)).unwrap();
    let module = wit_component::dummy_module(
        &resolve,
        world_id,
        wit_parser::ManglingAndAbi::Legacy(wit_parser::LiftLowerAbi::Sync),
    );
    with_world(wit, world, module)
}

fn err(bytes: &[u8]) -> String {
    load(bytes).unwrap_err().to_string()
}

#[test]
fn not_webassembly() {
    assert_eq!(
        err(b"#!/bin/sh\necho hi\n"),
        "plugin `test.wasm` is not a WebAssembly module or component"
    );
}

#[test]
fn a_missing_file_is_named() {
    let e = host()
        .load_file(std::path::Path::new("no/such/plugin.wasm"), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("cannot read plugin `no/such/plugin.wasm`"),
        "{e}"
    );
}

#[test]
fn a_core_module_importing_wasi_is_refused_naming_the_import() {
    let module = wat::parse_str(
        r#"(module
             (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
             (memory (export "memory") 1))"#,
    )
    .unwrap();
    assert_eq!(
        err(&module),
        "plugin `test.wasm` imports `wasi_snapshot_preview1::fd_write`, which Ward does not grant: \
         a plugin may import nothing (no file system, network, clock or randomness)"
    );
}

#[test]
fn a_plugin_whose_world_imports_a_clock_is_refused_naming_it() {
    // The same interface, in a world that also imports a clock: the dummy module imports
    // the clock's function.
    let wit = format!(
        "{WIT}\npackage wasi:clocks@0.2.0 {{ interface wall-clock {{ record datetime {{ seconds: u64, nanoseconds: u32 }} now: func() -> datetime; }} }}\n"
    )
    .replace(
        "world ward-plugin {\n    export plugin;\n}",
        "world ward-plugin {\n    import wasi:clocks/wall-clock@0.2.0;\n    export plugin;\n}",
    );
    let e = err(&dummy(&wit, "ward-plugin"));
    assert!(
        e.starts_with("plugin `test.wasm` imports `wasi:clocks/wall-clock@0.2.0::now`"),
        "{e}"
    );
}

#[test]
fn a_component_importing_anything_is_refused_naming_it() {
    let component = wat::parse_str(
        r#"(component
             (import "wasi:filesystem/types@0.2.0" (instance)))"#,
    )
    .unwrap();
    assert_eq!(
        err(&component),
        "plugin `test.wasm` imports `wasi:filesystem/types@0.2.0`, which Ward does not grant: \
         a plugin may import nothing (no file system, network, clock or randomness)"
    );
}

#[test]
fn a_component_that_is_not_a_plugin() {
    let component = wat::parse_str("(component)").unwrap();
    assert_eq!(
        err(&component),
        "plugin `test.wasm` is not a Ward plugin: it exports no `ward:plugin/plugin` interface (it exports nothing)"
    );
}

#[test]
fn an_incompatible_interface_version_is_refused() {
    for version in ["2.0.0", "1.1.0", "0.9.0"] {
        let wit = WIT.replace(
            "package ward:plugin@1.0.0;",
            &format!("package ward:plugin@{version};"),
        );
        assert_eq!(
            err(&dummy(&wit, "ward-plugin")),
            format!(
                "plugin `test.wasm` implements `ward:plugin@{version}`, which this Ward cannot run: \
                 it implements `ward:plugin@1.0.0` (same major version, minor version up to its own)"
            )
        );
    }
}

#[test]
fn a_plugin_that_traps_when_asked_for_its_controls_is_refused() {
    let e = err(&dummy(WIT, "ward-plugin"));
    assert_eq!(
        e,
        "plugin `test.wasm`: asking it for its controls failed: it trapped: wasm trap: wasm `unreachable` instruction executed"
    );
}

#[test]
fn a_pinned_sha256_must_match() {
    let file = plugins::plugin("lambda-env-entropy");
    let bytes = std::fs::read(&file).unwrap();
    let actual = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(&bytes))
    };
    let plugin = host()
        .load_file(&file, Some(&format!("sha256:{}", actual.to_uppercase())))
        .unwrap();
    assert_eq!(plugin.sha256(), actual);
    let wrong = "0".repeat(64);
    let e = host()
        .load_file(&file, Some(&wrong))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "plugin `{}` has SHA-256 {actual}, but {wrong} was pinned",
            file.display()
        )
    );
}

#[test]
fn two_plugins_declaring_one_control_are_refused() {
    let file = plugins::plugin("lambda-env-entropy");
    let a = host().load_file(&file, None).unwrap();
    let b = host().load_file(&file, None).unwrap();
    let e = WasmBackend::new(vec![a, b]).unwrap_err().to_string();
    assert!(
        e.starts_with("control `lambda-env-secret-entropy` is declared by two plugins"),
        "{e}"
    );
}

// ---------------------------------------------------------------- the canonical ABI by hand

/// Little-endian memory image builder.
struct Image(Vec<u8>);

impl Image {
    fn put(&mut self, at: usize, bytes: &[u8]) {
        if self.0.len() < at + bytes.len() {
            self.0.resize(at + bytes.len(), 0);
        }
        self.0[at..at + bytes.len()].copy_from_slice(bytes);
    }
    fn u32(&mut self, at: usize, v: u32) {
        self.put(at, &v.to_le_bytes());
    }
    fn u8(&mut self, at: usize, v: u8) {
        self.put(at, &[v]);
    }
    fn string(&mut self, at: usize, ptr: u32, len: u32) {
        self.u32(at, ptr);
        self.u32(at + 4, len);
    }
    fn wat(&self) -> String {
        self.0.iter().map(|b| format!("\\{b:02x}")).collect()
    }
}

/// A plugin declaring one control `abi-breaker` on buckets, whose `evaluate` returns one
/// finding with the given status byte and message pointer (the canonical ABI layout of
/// `plugins/wit/ward-plugin.wit`, written out by hand).
fn abi_breaker(status: u8, message_ptr: u32) -> Vec<u8> {
    let mut m = Image(Vec::new());
    let strings: [(usize, &str); 4] = [
        (1024, "wat"),
        (1032, "0.1.0"),
        (1040, "abi-breaker"),
        (1100, "AWS::S3::Bucket"),
    ];
    for (at, s) in strings {
        m.put(at, s.as_bytes());
    }
    m.put(1056, b"Breaks the canonical ABI");
    // resource-types: list<string> with one element.
    m.string(1120, 1100, 15);
    // control (60 bytes, align 4)
    let c = 1200;
    m.string(c, 1040, 11); // id
    m.string(c + 8, 1056, 24); // title
    m.u8(c + 16, 1); // severity: low
    m.string(c + 20, 0, 0); // citations
    m.string(c + 28, 0, 0); // description
    m.string(c + 36, 0, 0); // remediation
    m.string(c + 44, 1120, 1); // resource-types
    m.string(c + 52, 0, 0); // params
    // plugin-info
    m.string(1300, 1024, 3);
    m.string(1308, 1032, 5);
    m.string(1316, 1200, 1);
    // finding (32 bytes)
    let f = 1400;
    m.string(f, 1040, 11); // control
    m.u32(f + 8, 0); // resource
    m.u8(f + 12, status);
    m.string(f + 16, message_ptr, 4); // message
    m.string(f + 24, 0, 0); // evidence
    // result<list<finding>, string>: ok
    m.u8(1500, 0);
    m.string(1504, 1400, 1);
    let module = format!(
        r#"(module
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 0) "{data}")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $ptr i32)
    (local.set $ptr
      (i32.and
        (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
        (i32.xor (i32.sub (local.get 2) (i32.const 1)) (i32.const -1))))
    (global.set $heap (i32.add (local.get $ptr) (local.get 3)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.const 16)))))
    (local.get $ptr))
  (func (export "ward:plugin/plugin@1.0.0#info") (result i32)
    (i32.const 1300))
  (func (export "ward:plugin/plugin@1.0.0#evaluate")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (i32.const 1500)))"#,
        data = m.wat()
    );
    with_world(WIT, "ward-plugin", wat::parse_str(&module).unwrap())
}

fn evaluate_breaker(bytes: &[u8]) -> ward_model::Finding {
    let plugin = load(bytes).unwrap();
    assert_eq!(plugin.name(), "wat");
    assert_eq!(plugin.interface_version(), "1.0.0");
    let backend = WasmBackend::new(vec![plugin]).unwrap();
    let mut inventory = Inventory::new();
    let mut r = Resource::new("AWS::S3::Bucket", "b");
    r.configuration = json!({}).into();
    inventory.insert(r);
    let mut evaluation = backend
        .evaluate(&inventory, &EvalOptions::default())
        .unwrap();
    assert_eq!(evaluation.findings.len(), 1);
    evaluation.findings.remove(0)
}

#[test]
fn the_hand_written_plugin_works_when_its_output_is_right() {
    let f = evaluate_breaker(&abi_breaker(2, 1024));
    assert_eq!(f.status, Status::NotApplicable, "{}", f.message);
    assert_eq!(f.message, "wat\0");
    assert_eq!(f.rule, "abi-breaker");
}

#[test]
fn a_status_that_does_not_exist_is_an_error_finding() {
    let f = evaluate_breaker(&abi_breaker(9, 1024));
    assert_eq!(f.status, Status::Error);
    assert!(
        f.message
            .starts_with("plugin `wat` (test.wasm): its call failed: "),
        "{}",
        f.message
    );
    assert!(f.message.contains("discriminant"), "{}", f.message);
}

#[test]
fn a_message_out_of_bounds_is_an_error_finding() {
    let f = evaluate_breaker(&abi_breaker(0, 0xFFFF_0000));
    assert_eq!(f.status, Status::Error);
    assert!(
        f.message
            .starts_with("plugin `wat` (test.wasm): its call failed: "),
        "{}",
        f.message
    );
}
