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
/// (copies of the example estate's accounts); generated once, then reused. `accounts`: 0 for
/// each copy in an account of its own (many small accounts), else the copies share this many
/// accounts (1: one account holding everything).
pub fn snapshot(resources: usize, accounts: usize) -> PathBuf {
    let shape = if accounts == 0 {
        String::new()
    } else {
        format!("-accounts{accounts}")
    };
    let path = bench_dir().join(format!("snapshot-{resources}{shape}-seed{SEED}.json"));
    if path.exists() {
        return path;
    }
    let partial = path.with_extension("json.partial");
    let output = Command::new("python3")
        .arg(repo_root().join("examples/tools/scale_snapshot.py"))
        .args(["--resources", &resources.to_string()])
        .args(["--seed", &SEED.to_string()])
        .args(["--accounts", &accounts.to_string()])
        .arg("--out")
        .arg(&partial)
        .stderr(std::process::Stdio::inherit())
        .output();
    match output {
        // The generator prints which template each copy used: the benchmark's expected counts.
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

/// Stops the benchmark with a message (benchmarks are programs, not library code).
pub fn fail(message: &str) -> ! {
    eprintln!("benchmark: {message}");
    std::process::exit(2)
}
