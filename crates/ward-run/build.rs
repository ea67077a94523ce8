//! Embeds the HIPAA pack (`policies/hipaa/**/*.ward`) into the binary, so `ward check`
//! works with no `--policies` and no files beside the binary.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.join("../../policies/hipaa");
    println!("cargo:rerun-if-changed={}", root.display());
    println!("cargo:rerun-if-changed={}", root.join("cedar").display());
    let mut code = String::new();
    for (name, ext, what) in [
        ("EMBEDDED_PACK", "ward", "pack"),
        ("EMBEDDED_CEDAR", "cedar", "pack's Cedar controls"),
    ] {
        let mut files = Vec::new();
        collect(&root, ext, &mut files);
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
