//! The progress line of long commands (`src/progress.rs`): nothing when stderr is not a
//! terminal, nothing with `--quiet`, and on a terminal (a pseudo-terminal made by `script`)
//! a line that is cleared before anything else is printed; the outputs are the same either
//! way. `ward collect`'s line is tested in `aws.rs` (it needs an AWS endpoint).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

mod common;
use common::*;

/// What the line draws and a captured stderr must never hold.
const LINE_MARKS: &[&str] = &[
    "\r",
    "\x1b[",
    "loading",
    "importing",
    "evaluating",
    "finishing",
];

/// A snapshot cut in the middle of its list: an import diagnostic on stderr.
fn broken_snapshot(dir: &Path) -> PathBuf {
    let path = dir.join("broken.json");
    std::fs::write(
        &path,
        r#"{"fileVersion": "1.0", "configurationItems": [{"resourceType": "AWS::S3::Bucket""#,
    )
    .unwrap();
    path
}

#[test]
fn a_captured_stderr_gets_no_progress_and_quiet_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let broken = broken_snapshot(dir.path());
    let args = [
        "check",
        "--snapshot",
        EXAMPLE,
        "--snapshot",
        broken.to_str().unwrap(),
        "--format",
        "json",
    ];
    let plain = ward(&args);
    let quiet = ward(&[&args[..], &["--quiet"]].concat());
    assert_eq!(plain.status.code(), Some(2));
    assert_eq!(quiet.status.code(), Some(2));
    assert_eq!(plain.stdout, quiet.stdout);
    assert_eq!(plain.stderr, quiet.stderr);
    let err = String::from_utf8(plain.stderr).unwrap();
    assert!(err.contains("the file ends in the middle"), "{err}");
    for mark in LINE_MARKS {
        assert!(!err.contains(mark), "{mark:?} in {err}");
    }
    // The same for `ward controls`, which shares the run.
    let controls = ward(&["controls", "--snapshot", EXAMPLE]);
    let controls_err = String::from_utf8(controls.stderr).unwrap();
    assert_eq!(controls_err, "", "{controls_err}");
}

#[test]
fn a_terminal_gets_a_line_cleared_before_anything_else_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let findings = dir.path().join("findings.json");
    let args = [
        "check",
        "--snapshot",
        EXAMPLE,
        "--format",
        "json",
        "--output",
        findings.to_str().unwrap(),
    ];
    let shown = ward_on_terminal(&args, &[]);
    assert_eq!(shown.status.code(), Some(1), "{shown:?}");
    let transcript = String::from_utf8(shown.stdout).unwrap();
    // The line is drawn at once, then each stage long enough to be seen.
    assert!(transcript.contains("loading"), "{transcript:?}");
    assert!(transcript.contains("the controls"), "{transcript:?}");
    // Cleared at the end: nothing is left on the terminal.
    assert!(transcript.ends_with("\r\x1b[2K"), "{transcript:?}");
    // What was written is what a run without a terminal writes.
    let piped = ward(&["check", "--snapshot", EXAMPLE, "--format", "json"]);
    assert_eq!(std::fs::read(&findings).unwrap(), piped.stdout);

    // `--quiet`: not a byte on the terminal.
    let quiet = ward_on_terminal(&[&args[..], &["--quiet"]].concat(), &[]);
    assert_eq!(quiet.status.code(), Some(1));
    assert_eq!(String::from_utf8(quiet.stdout).unwrap(), "");
    assert_eq!(std::fs::read(&findings).unwrap(), piped.stdout);
}

#[test]
fn what_a_run_prints_while_the_line_is_shown_is_never_on_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let broken = broken_snapshot(dir.path());
    let findings = dir.path().join("findings.json");
    let args = [
        "check",
        "--snapshot",
        EXAMPLE,
        "--snapshot",
        broken.to_str().unwrap(),
        "--format",
        "json",
        "--output",
        findings.to_str().unwrap(),
    ];
    let shown = ward_on_terminal(&args, &[]);
    assert_eq!(shown.status.code(), Some(2));
    let transcript = String::from_utf8(shown.stdout).unwrap();
    assert!(
        transcript.contains("the file ends in the middle"),
        "{transcript:?}"
    );
    // The import's diagnostic is printed with the line taken off the screen: no line of the
    // terminal holds both.
    for line in transcript.split('\n') {
        let drawn = line.rsplit("\x1b[2K").next().unwrap_or(line);
        let progress = ["loading", "importing [", "evaluating ["]
            .iter()
            .any(|m| drawn.contains(m));
        let printed = drawn.contains("ends in the middle") || drawn.contains("error:");
        assert!(!(progress && printed), "{line:?}");
    }
    assert!(
        transcript.ends_with("the rest was evaluated\r\n"),
        "{transcript:?}"
    );
}
