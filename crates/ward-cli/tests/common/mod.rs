//! Helpers shared by the end-to-end tests of the `ward` binary.

#![allow(dead_code, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The shipped example estate: a directory of Config snapshots and AWS CLI output.
pub const EXAMPLE: &str = "examples/clinic/estate";

/// The workspace root (the binary runs there).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `ward` with `args` from the workspace root, without colours.
pub fn ward(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run ward")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
