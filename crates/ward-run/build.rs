//! Embeds the HIPAA pack (`policies/hipaa/**/*.ward`) into the binary, so `ward check`
//! works with no `--policies` and no files beside the binary, with an index of the file
//! that defines each rule, so that a run of some rules (a Config rule event) parses and
//! checks only their files and what those import. The index is read from the lines that
//! begin a rule (`rule ID {`); `ward_run`'s tests hold it to the parsed pack.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The pack's files of one kind, through the workspace's one directory walk; a folder that
/// cannot be read fails the build rather than embedding a pack with rules missing.
fn collect(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let walk = ward_model::walk::walk_files(dir, &|p| ward_model::walk::has_suffix(p, suffix));
    for problem in &walk.problems {
        // `cargo::error` fails the build with this message.
        println!("cargo::error=embedding the HIPAA pack: {problem}");
    }
    walk.files
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.join("../../policies/hipaa");
    println!("cargo:rerun-if-changed={}", root.display());
    println!("cargo:rerun-if-changed={}", root.join("cedar").display());
    let mut code = String::new();
    for (name, ext, what) in [
        ("EMBEDDED_PACK", ".ward", "pack"),
        ("EMBEDDED_CEDAR", ".cedar", "pack's Cedar controls"),
    ] {
        let files = collect(&root, ext);
        embed(&root, &files, name, what, &mut code);
        if ext == ".ward" {
            index_rules(&root, &files, &mut code);
        }
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("embedded_pack.rs");
    if let Err(e) = std::fs::write(&out, code) {
        println!("cargo:warning=cannot write {}: {e}", out.display());
    }
}

fn embed(root: &Path, files: &[PathBuf], name: &str, what: &str, code: &mut String) {
    let _ = writeln!(
        code,
        "/// The built-in {what}: (path relative to `policies/hipaa`, text).\npub const {name}: &[(&str, &str)] = &["
    );
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = relative(root, f);
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            f.display().to_string()
        );
    }
    code.push_str("];\n");
}

/// `EMBEDDED_RULE_FILES`: (rule id, path relative to `policies/hipaa`) of every line that
/// begins with `rule ID`, the way rules are written in the pack.
fn index_rules(root: &Path, files: &[PathBuf], code: &mut String) {
    code.push_str(
        "/// The file of each rule of the built-in pack: (rule id, path relative to `policies/hipaa`).\npub const EMBEDDED_RULE_FILES: &[(&str, &str)] = &[\n",
    );
    for f in files {
        let text = match std::fs::read_to_string(f) {
            Ok(text) => text,
            Err(e) => {
                println!("cargo::error=indexing the HIPAA pack: {}: {e}", f.display());
                continue;
            }
        };
        let rel = relative(root, f);
        for id in text.lines().filter_map(rule_id) {
            let _ = writeln!(code, "    ({id:?}, {rel:?}),");
        }
    }
    code.push_str("];\n");
}

/// The id of the rule a line begins, if it begins one.
fn rule_id(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("rule")?;
    let rest = rest.strip_prefix(|c: char| c.is_whitespace())?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(rest.len());
    let id = rest.get(..end)?;
    id.starts_with(|c: char| c.is_ascii_alphabetic())
        .then_some(id)
}

fn relative(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .to_string_lossy()
        .replace('\\', "/")
}
