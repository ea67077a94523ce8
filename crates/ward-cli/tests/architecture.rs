//! ARCHITECTURE.md stays true: it names every crate of the workspace, its code map's
//! "depends on" column names exactly the workspace crates each crate's `Cargo.toml` depends
//! on, and every file or folder it names in backquotes exists (a path may be written from
//! the repository root or from any folder below it, as the document does when it is clear
//! where it is).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::root;

/// Every file and folder of the repository, relative to its root, with `/` separators
/// (folders end in `/`); build output and version control left out.
fn tree(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if matches!(name.as_str(), ".git" | "target") {
            continue;
        }
        if path.is_dir() {
            let rel = format!("{prefix}{name}/");
            out.push(rel.clone());
            tree(&path, &rel, out);
        } else {
            out.push(format!("{prefix}{name}"));
        }
    }
}

/// The backquoted tokens of `text` that look like paths: a `/` inside, no spaces.
fn paths_named(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| t.contains('/') && !t.contains(' ') && *t != "/")
        .filter(|t| !t.starts_with("http") && !t.contains("::") && !t.contains('*'))
        .map(str::to_string)
        .collect()
}

#[test]
fn architecture_names_every_crate_and_only_paths_that_exist() {
    let root = root();
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut crates: Vec<String> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| root.join("crates").join(n).join("Cargo.toml").is_file())
        .collect();
    crates.sort();
    assert!(crates.len() >= 10, "{crates:?}");
    for c in &crates {
        assert!(
            text.contains(&format!("crates/{c}")),
            "ARCHITECTURE.md does not name the crate `crates/{c}`"
        );
    }
    let mut files = Vec::new();
    tree(&root, "", &mut files);
    let named = paths_named(&text);
    assert!(named.len() > 30, "only {} paths named", named.len());
    let missing: Vec<&String> = named
        .iter()
        .filter(|p| {
            let p = p.trim_start_matches("./");
            !files
                .iter()
                .any(|f| f == p || f.ends_with(&format!("/{p}")) || f == &format!("{p}/"))
                && !files.iter().any(|f| f.ends_with(&format!("/{p}/")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );
}

/// The workspace crates (`ward-*`) a `Cargo.toml` lists under `[dependencies]`.
fn workspace_dependencies(manifest: &str) -> BTreeSet<String> {
    let mut in_dependencies = false;
    let mut out = BTreeSet::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if in_dependencies && line.starts_with("ward-") {
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            out.insert(name);
        }
    }
    out
}

/// The `ward-*` words of a text.
fn crate_names(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("ward-") && w.len() > 5)
        .map(str::to_string)
        .collect()
}

#[test]
fn the_code_map_says_what_each_crate_depends_on() {
    let root = root();
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("| `crates/") else {
            continue;
        };
        let Some((name, _)) = rest.split_once('`') else {
            continue;
        };
        let columns: Vec<&str> = line.split('|').collect();
        let said = crate_names(columns[columns.len() - 2]);
        let manifest =
            std::fs::read_to_string(root.join("crates").join(name).join("Cargo.toml")).unwrap();
        let actual = workspace_dependencies(&manifest);
        if said != actual {
            wrong.push(format!(
                "{name}: the code map says {said:?}, Cargo.toml has {actual:?}"
            ));
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} crates in the code map");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The README's minimum Rust version is the workspace's `rust-version`, and every crate
/// inherits it (so clippy's `incompatible_msrv` lint checks the code against it).
#[test]
fn the_minimum_rust_version_is_one_number() {
    let root = root();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|rest| rest.split('"').next())
        .expect("the workspace declares rust-version");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("Rust toolchain ({version} or newer")),
        "the README's quick start names another minimum than rust-version {version}"
    );
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let path = entry.unwrap().path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        assert!(
            text.contains("rust-version.workspace = true"),
            "{} does not inherit the workspace's rust-version",
            path.display()
        );
    }
}
