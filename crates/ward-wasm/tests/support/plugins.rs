//! Builds Ward's plugins workspace (`plugins/`) for `wasm32-unknown-unknown` once per test
//! binary and returns where the `.wasm` files are. Shared by ward-wasm's and ward-cli's
//! tests (`#[path]`-included). It adds the Rust target with rustup when it is missing, and
//! fails with a clear message, never skips, when it cannot build.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const TARGET: &str = "wasm32-unknown-unknown";

/// The repository root.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the crate lives in crates/NAME")
        .to_path_buf()
}

/// The workspace's target directory: `CARGO_TARGET_DIR`, or the one this test binary was
/// built in (`TARGET/debug/deps/TEST`).
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            repo_root().join(dir)
        };
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .unwrap_or_else(|| repo_root().join("target"))
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

fn ensure_target() -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match installed {
        Ok(out)
            if String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|l| l.trim() == TARGET) =>
        {
            Ok(())
        }
        Ok(_) => {
            let status = Command::new("rustup")
                .args(["target", "add", TARGET])
                .status()
                .map_err(|e| format!("cannot run `rustup target add {TARGET}`: {e}"))?;
            if status.success() {
                Ok(())
            } else {
                Err(format!("`rustup target add {TARGET}` failed ({status})"))
            }
        }
        // No rustup: the toolchain may still have the target; the build will tell.
        Err(_) => Ok(()),
    }
}

fn build() -> Result<PathBuf, String> {
    ensure_target()?;
    let target_dir = target_dir().join("plugins");
    let manifest = repo_root().join("plugins").join("Cargo.toml");
    let output = Command::new(cargo())
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            TARGET,
            "--manifest-path",
        ])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &target_dir)
        // The outer build's flags are for the host, not for wasm32.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .map_err(|e| format!("cannot run cargo to build the plugins: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "building the plugins failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(target_dir.join(TARGET).join("release"))
}

/// The directory holding the built plugins (`lambda_env_entropy.wasm`, `hostile.wasm`).
pub fn plugins_dir() -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BUILT.get_or_init(build) {
        Ok(dir) => dir.clone(),
        Err(e) => panic!(
            "the plugin tests need the plugins built for {TARGET} \
             (cargo build --release --target {TARGET} --manifest-path plugins/Cargo.toml): {e}"
        ),
    }
}

/// The built plugin file of a crate of the plugins workspace, e.g. `lambda-env-entropy`.
pub fn plugin(name: &str) -> PathBuf {
    let file = plugins_dir().join(format!("{}.wasm", name.replace('-', "_")));
    assert!(file.is_file(), "no plugin at {}", file.display());
    file
}
