//! Embeds the HIPAA pack (`policies/hipaa/**/*.ward`) into the binary, so `ward check`
//! works with no `--policies` and no files beside the binary.

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
        let rel = f
            .strip_prefix(root)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            f.display().to_string()
        );
    }
    code.push_str("];\n");
}
