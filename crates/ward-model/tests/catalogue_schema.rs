//! The resource catalogue (`data/resource-types.json`) held against AWS Config's own list of
//! the properties it records, the vendored awslabs/aws-config-resource-schema
//! (`tests/data/reference/aws-config-resource-schema`, issue 17).
//!
//! For every resource type that has a schema file, and so for every type the HIPAA pack reads,
//! every `configuration.*` and `supplementaryConfiguration.*` path of the schema must be
//! reachable in the catalogued shape (walking through arrays and maps; `X.value` of a field
//! that Config records only as `{"value": …}` is the bare `X`, as Ward's importer unwraps it),
//! and the leaf kinds must agree (`string`, `ip`, `cidr_block` → `string`; `boolean`;
//! `integer`, `float` → `number`; `date` → `any`). An `any` on the way is accepted only where the
//! catalogue's `provenance` lists it as open, with its reason. A difference is accepted only when
//! `data/catalogue-schema-exceptions.json` lists it with its evidence; a listed exception that no
//! longer occurs fails too. Only files of the repository are read.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use ward_model::{ResourceCatalog, Shape};

const SCHEMA_DIR: &str =
    "tests/data/reference/aws-config-resource-schema/config/properties/resource-types";
const PARTS: [&str; 2] = ["configuration", "supplementaryConfiguration"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The code of a `.ward` or `.cedar` file: comments and string text replaced by spaces, the
/// expressions interpolated in strings (`"{count(resources(AWS::X::Y))}"`) kept.
fn code_of(text: &str) -> String {
    #[derive(PartialEq)]
    enum Mode {
        Code,
        Interp,
        Str,
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut stack = vec![Mode::Code];
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let mode = stack.last().unwrap();
        if *mode == Mode::Str {
            match (c, next) {
                ('\\', _) | ('{', Some('{')) | ('}', Some('}')) => i += 2,
                ('{', _) => {
                    stack.push(Mode::Interp);
                    out.push(' ');
                    i += 1;
                }
                ('"', _) => {
                    stack.pop();
                    out.push(' ');
                    i += 1;
                }
                _ => i += 1,
            }
            continue;
        }
        match (c, next) {
            ('/', Some('/')) => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i += 2;
            }
            ('"', _) => {
                stack.push(Mode::Str);
                out.push(' ');
                i += 1;
            }
            ('{', _) if *mode == Mode::Interp => {
                stack.push(Mode::Interp);
                out.push(c);
                i += 1;
            }
            ('}', _) if *mode == Mode::Interp => {
                stack.pop();
                out.push(' ');
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Every `AWS::Service::Type` (or `AWS::::Account`) named in a text.
fn aws_type_names(code: &str, out: &mut BTreeSet<String>) {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut rest = code;
    while let Some(at) = rest.find("AWS::") {
        let before = rest[..at].chars().next_back();
        let tail = &rest[at + 5..];
        let service: String = tail
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let after = &tail[service.len()..];
        if before.is_none_or(|c| !word(c))
            && let Some(after) = after.strip_prefix("::")
        {
            let name: String = after
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            if !name.is_empty() {
                out.insert(format!("AWS::{service}::{name}"));
            }
        }
        rest = tail;
    }
}

/// The AWS resource types the HIPAA pack reads: named in the code of its `.ward` and `.cedar`
/// files (not in their comments or message text).
fn pack_types() -> BTreeSet<String> {
    let mut files = Vec::new();
    files_under(&repo().join("policies/hipaa"), &mut files);
    let mut types = BTreeSet::new();
    for f in files {
        let ext = f.extension().and_then(|e| e.to_str());
        if matches!(ext, Some("ward" | "cedar")) {
            aws_type_names(&code_of(&std::fs::read_to_string(&f).unwrap()), &mut types);
        }
    }
    types
}

fn schema_file(t: &str) -> PathBuf {
    repo().join(SCHEMA_DIR).join(format!("{t}.properties.json"))
}

/// `{path: schema type}` of the `configuration.*` / `supplementaryConfiguration.*` paths.
fn schema_paths(t: &str) -> Option<BTreeMap<String, String>> {
    let file = schema_file(t);
    if !file.exists() {
        return None;
    }
    let doc = read_json(&file);
    Some(
        doc.as_object()
            .unwrap()
            .iter()
            .filter(|(p, _)| {
                p.split_once('.')
                    .is_some_and(|(head, _)| PARTS.contains(&head))
            })
            .map(|(p, k)| (p.clone(), k.as_str().unwrap().to_string()))
            .collect(),
    )
}

fn schema_type_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join(SCHEMA_DIR))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".properties.json").map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

/// The fields Config records only as `X.value`, which the importer unwraps: `{type: {X}}`,
/// as the importer reads them (`ward_model::ValueWrappers`, `data/config-value-wrappers.json`).
fn value_wrappers() -> BTreeMap<String, BTreeSet<String>> {
    ward_model::ValueWrappers::builtin()
        .types()
        .map(|(t, paths)| {
            let paths = paths
                .iter()
                .map(|p| format!("configuration.{}", p.join(".")))
                .collect();
            (t.to_string(), paths)
        })
        .collect()
}

/// The same fields by the table's rule, from the schema: a path `X.value` where X has no
/// other child.
fn value_wrappers_by_the_schema() -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in schema_type_names() {
        let paths = schema_paths(&t).unwrap();
        let mut kids: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for p in paths.keys() {
            if let Some((parent, last)) = p.rsplit_once('.') {
                kids.entry(parent).or_default().insert(last);
            }
        }
        for p in paths.keys() {
            if let Some(x) = p.strip_suffix(".value")
                && kids.get(x).is_some_and(|k| k.len() == 1)
            {
                out.entry(t.clone()).or_default().insert(x.to_string());
            }
        }
    }
    out
}

/// The importer's table of wrapped fields is what the vendored schema says (regenerate it
/// with examples/tools/build_value_wrappers.py when this fails).
#[test]
fn the_value_wrapper_table_is_the_schema_s() {
    let table = value_wrappers();
    assert!(table.len() >= 20, "{table:?}");
    assert_eq!(table, value_wrappers_by_the_schema());
}

fn describe(shape: &Shape) -> String {
    match shape {
        Shape::String => "string".into(),
        Shape::Number => "number".into(),
        Shape::Boolean => "boolean".into(),
        Shape::Any => "any".into(),
        Shape::Object(_) => "an object".into(),
        Shape::Map(_) => "a map".into(),
        Shape::Array(inner) => format!("an array of {}", describe(inner)),
    }
}

fn strip_arrays(mut shape: &Shape) -> &Shape {
    while let Shape::Array(inner) = shape {
        shape = inner;
    }
    shape
}

/// The catalogue's kind for a schema leaf type.
fn expected(kind: &str) -> Shape {
    match kind {
        "string" | "ip" | "cidr_block" => Shape::String,
        "boolean" => Shape::Boolean,
        "integer" | "float" | "double" | "long" => Shape::Number,
        "date" => Shape::Any,
        other => panic!("a schema leaf type this test does not know: {other}"),
    }
}

/// Checks one schema path (`part.a.b`, wrappers unwrapped) against a type's catalogued shape.
fn check_path(
    shapes: &[(&str, &Shape)],
    path: &str,
    kind: &str,
    open: &BTreeSet<String>,
) -> Result<(), String> {
    let steps: Vec<&str> = path.split('.').collect();
    let mut cur = shapes
        .iter()
        .find(|(part, _)| *part == steps[0])
        .map(|(_, s)| *s)
        .unwrap();
    let mut walked = steps[0].to_string();
    for step in &steps[1..] {
        cur = strip_arrays(cur);
        cur = match cur {
            Shape::Object(fields) => match fields.get(*step) {
                Some(s) => s,
                None => return Err(format!("`{walked}` has no field `{step}`")),
            },
            Shape::Map(inner) => inner,
            Shape::Any if open.contains(&walked) => return Ok(()),
            Shape::Any => return Err(format!("`{walked}` is any, not listed as open")),
            scalar => {
                return Err(format!(
                    "`{walked}` is {} where the schema has fields",
                    describe(scalar)
                ));
            }
        };
        walked = format!("{walked}.{step}");
    }
    let leaf = strip_arrays(cur);
    let want = expected(kind);
    if *leaf == want || (*leaf == Shape::Any && open.contains(&walked)) {
        Ok(())
    } else {
        Err(format!(
            "the schema says {kind}, the catalogue {}",
            describe(leaf)
        ))
    }
}

/// The node at an open path is `any` in the catalogue.
fn open_is_any(shapes: &[(&str, &Shape)], path: &str) -> bool {
    let steps: Vec<&str> = path.split('.').collect();
    let Some(mut cur) = shapes
        .iter()
        .find(|(part, _)| *part == steps[0])
        .map(|(_, s)| *s)
    else {
        return false;
    };
    for step in &steps[1..] {
        cur = match strip_arrays(cur) {
            Shape::Object(fields) => match fields.get(*step) {
                Some(s) => s,
                None => return false,
            },
            Shape::Map(inner) => inner,
            _ => return false,
        };
    }
    *strip_arrays(cur) == Shape::Any
}

struct Checked {
    differences: BTreeMap<(String, String), String>,
    paths: usize,
    types: usize,
}

/// Every schema path of the given types against the catalogue.
fn check_types(types: &[String]) -> Checked {
    let catalog = ResourceCatalog::builtin();
    let doc = read_json(&repo().join("crates/ward-model/data/resource-types.json"));
    let wrappers = value_wrappers();
    let mut differences = BTreeMap::new();
    let mut paths = 0;
    let mut count = 0;
    for t in types {
        let Some(schema) = schema_paths(t) else {
            continue;
        };
        count += 1;
        let Some(shape) = catalog.shape(t) else {
            differences.insert((t.clone(), String::new()), "no shape (null)".into());
            continue;
        };
        let open: BTreeSet<String> = doc["provenance"][t.as_str()]["open"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        let shapes = [
            ("configuration", &shape.configuration),
            (
                "supplementaryConfiguration",
                &shape.supplementary_configuration,
            ),
        ];
        for path in &open {
            assert!(
                open_is_any(&shapes, path),
                "{t}: provenance lists `{path}` as open, but the catalogue's node there is not any"
            );
        }
        let unwrap = wrappers.get(t);
        for (path, kind) in &schema {
            paths += 1;
            let path = match path.strip_suffix(".value") {
                Some(x) if unwrap.is_some_and(|w| w.contains(x)) => x,
                _ => path.as_str(),
            };
            if let Err(why) = check_path(&shapes, path, kind, &open) {
                differences.insert((t.clone(), path.to_string()), why);
            }
        }
    }
    Checked {
        differences,
        paths,
        types: count,
    }
}

fn exceptions() -> BTreeMap<(String, String), Value> {
    let doc = read_json(&repo().join("crates/ward-model/data/catalogue-schema-exceptions.json"));
    let mut out = BTreeMap::new();
    for e in doc["exceptions"].as_array().unwrap() {
        let key = (
            e["type"].as_str().unwrap().to_string(),
            e["path"].as_str().unwrap().to_string(),
        );
        let evidence = e["evidence"].as_str().unwrap_or_default();
        assert!(
            !evidence.is_empty() && repo().join(evidence).exists(),
            "exception {key:?}: its evidence `{evidence}` is not a file of the repository"
        );
        assert!(
            out.insert(key.clone(), e.clone()).is_none(),
            "exception {key:?} is listed twice"
        );
    }
    out
}

/// Differences not listed, and listed exceptions that do not occur (of the given types).
fn unexplained(checked: &Checked, types: &BTreeSet<&str>) -> Vec<String> {
    let listed = exceptions();
    let mut problems = Vec::new();
    for ((t, path), why) in &checked.differences {
        if !listed.contains_key(&(t.clone(), path.clone())) {
            problems.push(format!("{t} {path}: {why}"));
        }
    }
    for (t, path) in listed.keys() {
        if types.contains(t.as_str())
            && !checked.differences.contains_key(&(t.clone(), path.clone()))
        {
            problems.push(format!(
                "{t} {path}: listed in catalogue-schema-exceptions.json, but the catalogue agrees with the schema now"
            ));
        }
    }
    problems
}

#[test]
fn every_type_the_pack_reads_has_a_shape() {
    let catalog = ResourceCatalog::builtin();
    let types = pack_types();
    // the scan found the pack's types (a broken scan must not pass vacuously)
    for t in [
        "AWS::S3::Bucket",
        "AWS::Backup::BackupSelection",
        "AWS::RDS::DBInstance",
    ] {
        assert!(types.contains(t), "the pack scan missed {t}: {types:?}");
    }
    assert!(
        types.len() >= 50,
        "the pack reads {} AWS types?",
        types.len()
    );
    let missing: Vec<&String> = types
        .iter()
        .filter(|t| catalog.shape(t).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "types the pack reads without a catalogued shape: {missing:?}"
    );
}

#[test]
fn the_pack_types_agree_with_the_config_schema() {
    let types: Vec<String> = pack_types().into_iter().collect();
    let with_schema = types.iter().filter(|t| schema_file(t).exists()).count();
    assert!(
        with_schema >= 50,
        "only {with_schema} pack types have a schema file"
    );
    assert_agrees_with_schema(&types, "pack types with a schema file");
}

/// Checks `types` against the schema: every difference is listed as an exception.
fn assert_agrees_with_schema(types: &[String], what: &str) -> BTreeSet<String> {
    let checked = check_types(types);
    let names: BTreeSet<&str> = types.iter().map(String::as_str).collect();
    let problems = unexplained(&checked, &names);
    eprintln!(
        "{} {what}, {} schema paths checked, {} difference(s), each listed as an exception",
        checked.types,
        checked.paths,
        checked.differences.len()
    );
    assert!(
        problems.is_empty(),
        "the catalogue and the AWS Config resource schema differ ({}):\n{}",
        problems.len(),
        problems.join("\n")
    );
    names.into_iter().map(str::to_string).collect()
}

#[test]
fn every_schema_type_agrees_with_the_config_schema() {
    let types = schema_type_names();
    let names = assert_agrees_with_schema(&types, "schema types");
    // every listed exception is of a type with a schema file
    for (t, path) in exceptions().keys() {
        assert!(
            names.contains(t.as_str()),
            "exception {t} {path}: no schema file for {t}"
        );
    }
}

/// The fields accepted for a rule of the pack although the schema does not list them
/// (`provenance.TYPE.unconfirmed`) are still read by that rule, and are indeed not schema paths.
#[test]
fn unconfirmed_fields_are_still_read_by_their_rule() {
    let doc = read_json(&repo().join("crates/ward-model/data/resource-types.json"));
    let mut count = 0;
    for (t, p) in doc["provenance"].as_object().unwrap() {
        let Some(unconfirmed) = p["unconfirmed"].as_object() else {
            continue;
        };
        let schema = schema_paths(t).unwrap_or_default();
        for (path, why) in unconfirmed {
            count += 1;
            let why = why.as_str().unwrap();
            assert!(
                !schema
                    .keys()
                    .any(|p| p == path || p.starts_with(&format!("{path}."))),
                "{t} {path} is in the schema now: drop it from UNCONFIRMED"
            );
            let rule = why
                .split_whitespace()
                .find(|w| w.starts_with("policies/hipaa/"))
                .map(|w| w.trim_end_matches([';', ',']))
                .unwrap_or_else(|| panic!("{t} {path}: no rule named in `{why}`"));
            let text = std::fs::read_to_string(repo().join(rule))
                .unwrap_or_else(|e| panic!("{t} {path}: {rule}: {e}"));
            let field = path.rsplit('.').next().unwrap();
            assert!(
                code_of(&text).contains(&format!(".{field}")),
                "{rule} no longer reads `{field}`: drop {t} {path} from UNCONFIRMED"
            );
        }
    }
    eprintln!("{count} unconfirmed field(s) accepted for the pack's rules");
}

#[test]
fn the_code_scan_skips_comments_and_message_text() {
    let code = code_of(
        "// AWS::A::Comment\nrule r { description: \"AWS::B::Text\"\n  resource: AWS::C::Code\n  assert x else \"{count(resources(AWS::D::Interp))} and {{AWS::E::Escaped}} {f(\"AWS::F::Nested\")}\" }",
    );
    let mut names = BTreeSet::new();
    aws_type_names(&code, &mut names);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(names, ["AWS::C::Code", "AWS::D::Interp"]);
}
