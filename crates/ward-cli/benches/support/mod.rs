//! What the benchmarks share: generated snapshots, cached in the target directory.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where generated snapshots and results go: the benchmarks' own target subdirectory.
pub fn bench_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ward-bench");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        fail(&format!("cannot create {}: {e}", dir.display()));
    }
    dir
}

/// The seed of every generated snapshot, so every run measures the same input.
pub const SEED: u64 = 7;

/// A Config snapshot of about `resources` items made by `examples/tools/scale_snapshot.py`
/// (copies of the example estate's accounts); generated once, then reused while the generator
/// and the estate are unchanged (their digest is in the file name: a snapshot made from an
/// older estate would not match the templates' counts). `accounts`: 0 for each copy in an
/// account of its own (many small accounts), else the copies share this many accounts (1: one
/// account holding everything).
pub fn snapshot(resources: usize, accounts: usize) -> PathBuf {
    let shape = if accounts == 0 {
        String::new()
    } else {
        format!("-accounts{accounts}")
    };
    generate(
        &format!("snapshot-{resources}{shape}"),
        &[
            "--resources",
            &resources.to_string(),
            "--accounts",
            &accounts.to_string(),
        ],
    )
}

/// One copy of the template account whose path contains `account`: what the benchmark counts
/// a template's findings on. A copy lives in another account than its template, and the
/// pack's least-privilege intents name the template account's principals, so the template
/// itself is not what its copies evaluate like.
#[allow(dead_code)] // each bench compiles this module; only whole_process counts templates
pub fn template_copy(account: &str) -> PathBuf {
    generate(
        &format!("template-copy-{account}"),
        &["--copies", "1", "--only", account],
    )
}

/// Runs the generator with `args` (and the seed) into `NAME-seedS-DIGEST.json` of the bench
/// directory, unless it is there; its report of which template each copy used goes beside it
/// (`.mix.json`): the benchmark's expected counts.
fn generate(name: &str, args: &[&str]) -> PathBuf {
    let path = bench_dir().join(format!("{name}-seed{SEED}-{:016x}.json", inputs_digest()));
    if path.exists() {
        return path;
    }
    let partial = path.with_extension("json.partial");
    let output = Command::new("python3")
        .arg(repo_root().join("examples/tools/scale_snapshot.py"))
        .args(args)
        .args(["--seed", &SEED.to_string()])
        .arg("--out")
        .arg(&partial)
        .stderr(std::process::Stdio::inherit())
        .output();
    match output {
        Ok(o) if o.status.success() => {
            if let Err(e) = std::fs::write(path.with_extension("mix.json"), &o.stdout) {
                fail(&format!("cannot write the snapshot's mix: {e}"));
            }
        }
        Ok(o) => fail(&format!("scale_snapshot.py exited with {}", o.status)),
        Err(e) => fail(&format!("cannot run python3 for scale_snapshot.py: {e}")),
    }
    if let Err(e) = std::fs::rename(&partial, &path) {
        fail(&format!("cannot rename {}: {e}", partial.display()));
    }
    path
}

/// FNV-1a over the generator and the example estate's snapshots, in path order.
fn inputs_digest() -> u64 {
    let root = repo_root();
    let mut files = vec![root.join("examples/tools/scale_snapshot.py")];
    let estate = root.join("examples/clinic/estate/AWSLogs");
    let mut accounts: Vec<PathBuf> = std::fs::read_dir(&estate)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    accounts.sort();
    for a in accounts {
        let snapshot = a.join("us-east-1/config-snapshot.json");
        if snapshot.exists() {
            files.push(snapshot);
        }
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for f in files {
        let bytes = std::fs::read(&f)
            .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", f.display())));
        for b in f.to_string_lossy().bytes().chain(bytes) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// Stops the benchmark with a message (benchmarks are programs, not library code).
pub fn fail(message: &str) -> ! {
    eprintln!("benchmark: {message}");
    std::process::exit(2)
}
