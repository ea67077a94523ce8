//! Helpers shared by the end-to-end tests of the `ward` binary.

#![allow(dead_code, clippy::expect_used, clippy::panic)]

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

/// Runs `ward` with `args` from the workspace root on a pseudo-terminal made by `script`
/// (util-linux), its stdin empty and `env` set: its output is the terminal's transcript
/// (stdout and stderr together, lines ending in `\r\n`). Without `script` the test fails,
/// saying so: it never passes untested.
pub fn ward_on_terminal(args: &[&str], env: &[(&str, String)]) -> Output {
    let quote = |arg: &str| format!("'{}'", arg.replace('\'', r"'\''"));
    let command: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_ward"))
        .chain(args.iter().copied())
        .map(quote)
        .collect();
    let mut script = Command::new("script");
    script
        .args([
            "--quiet",
            "--return",
            "--command",
            &command.join(" "),
            "/dev/null",
        ])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null());
    for (key, value) in env {
        script.env(key, value);
    }
    match script.output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "this test needs `script` (util-linux; Debian's bsdutils) to make a pseudo-terminal"
        ),
        Err(e) => panic!("cannot run `script`: {e}"),
    }
}
