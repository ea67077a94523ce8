//! ARCHITECTURE.md stays true: it names every crate of the workspace, and every file or
//! folder it names in backquotes exists (a path may be written from the repository root or
//! from any folder below it, as the document does when it is clear where it is).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

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
