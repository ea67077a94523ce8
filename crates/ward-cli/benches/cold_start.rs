//! Cold starts of the AWS Config rule path, as whole processes (issue 19, "the Lambda starts
//! fast"), beside a floor:
//!
//! - `ward config-rule --event E --rule restricted-ssh`, from its start to its exit;
//! - the Lambda `bootstrap`, from its start until the Lambda Runtime API (served here on
//!   loopback) receives its answer to the first event, whose evaluations it has sent with
//!   `PutEvaluations` to the tests' recording AWS Config endpoint (`ward_aws::testing`);
//! - the floor: `ward --version`, a process that starts and does nothing;
//! - for scale, `ward check --snapshot E --rule restricted-ssh`, which loads every control.
//!
//! E is the captured security group event of `tests/data/reference` (its group allows SSH
//! from anywhere): every run is checked, not only timed (NON_COMPLIANT, the evaluation sent).
//!
//! ```text
//! cargo build --release -p ward-lambda
//! cargo bench -p ward-cli --features aws --bench cold_start
//! WARD_BENCH_BEFORE=DIR cargo bench -p ward-cli --features aws --bench cold_start
//! ```
//!
//! `bootstrap` is taken from beside the `ward` the bench runs (the same profile's directory).
//! `WARD_BENCH_BEFORE` names a directory holding the `ward` and `bootstrap` of another build
//! (the commit before a change): they run too, in the same rounds. Each round runs every
//! process once, one after another; `WARD_BENCH_RUNS` rounds (default 30). The table gives
//! the median and the fastest wall time of each, and the median as a multiple of the floor's,
//! in `target/…/ward-bench/cold-start.md` and on standard output.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[allow(dead_code)]
mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use ward_aws::testing::{self, Recorder, RuntimeAnswer, RuntimeApi};

/// The captured event: a security group that allows SSH from anywhere.
const EVENT: &str = "tests/data/reference/config-items/cloud-custodian/tests/data/cwe/event-config-rule-security-group.json";
const RULE: &str = "restricted-ssh";
const GROUP: &str = "sg-e2fb6999";

fn main() {
    let runs: usize = std::env::var("WARD_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let ward = PathBuf::from(env!("CARGO_BIN_EXE_ward"));
    let bootstrap = ward.with_file_name("bootstrap");
    if !bootstrap.is_file() {
        support::fail(&format!(
            "no `{}`: build it first with `cargo build --release -p ward-lambda`",
            bootstrap.display()
        ));
    }
    let event_file = support::repo_root().join(EVENT);
    let lambda_event = lambda_event(&event_file);
    let config = Recorder::start(None, Box::new(|_, _| None));
    let runtime_api = RuntimeApi::start();

    let mut builds = vec![("", ward.clone(), bootstrap)];
    if let Some(dir) = std::env::var_os("WARD_BENCH_BEFORE").map(PathBuf::from) {
        let before = (" (before)", dir.join("ward"), dir.join("bootstrap"));
        if !before.1.is_file() || !before.2.is_file() {
            support::fail(&format!(
                "WARD_BENCH_BEFORE: no `ward` and `bootstrap` in {}",
                dir.display()
            ));
        }
        builds.insert(0, before);
    }
    let mut processes: Vec<Process> = vec![Process {
        name: "floor: `ward --version`".into(),
        run: Run::Exit {
            program: ward.clone(),
            args: vec!["--version".into()],
            expect: (0, "ward".into()),
        },
    }];
    for (which, ward, _) in &builds {
        processes.push(Process {
            name: format!("`ward config-rule --rule {RULE}`{which}"),
            run: Run::Exit {
                program: ward.clone(),
                args: ["config-rule", "--event", &path(&event_file), "--rule", RULE]
                    .map(String::from)
                    .to_vec(),
                expect: (1, format!("NON_COMPLIANT AWS::EC2::SecurityGroup {GROUP}")),
            },
        });
    }
    for (which, _, bootstrap) in &builds {
        processes.push(Process {
            name: format!("`bootstrap`, start to first event handled{which}"),
            run: Run::Lambda {
                program: bootstrap.clone(),
            },
        });
    }
    processes.push(Process {
        name: format!("`ward check --rule {RULE}` (every control loaded)"),
        run: Run::Exit {
            program: ward.clone(),
            args: ["check", "--snapshot", &path(&event_file), "--rule", RULE]
                .map(String::from)
                .to_vec(),
            expect: (1, String::new()),
        },
    });

    let mut walls: Vec<Vec<f64>> = vec![Vec::new(); processes.len()];
    for _ in 0..runs {
        for (process, walls) in processes.iter().zip(&mut walls) {
            let wall = match &process.run {
                Run::Exit {
                    program,
                    args,
                    expect,
                } => run_to_exit(program, args, expect),
                Run::Lambda { program } => {
                    run_lambda(program, &runtime_api, &config, &lambda_event)
                }
            };
            walls.push(wall);
        }
    }

    let floor = median(&walls[0]);
    let mut table = String::new();
    writeln!(
        table,
        "| process | runs | median ms | fastest ms | median x floor |\n|---|---:|---:|---:|---:|"
    )
    .unwrap();
    for (process, walls) in processes.iter().zip(&walls) {
        let fastest = walls.iter().copied().fold(f64::INFINITY, f64::min);
        writeln!(
            table,
            "| {} | {runs} | {:.1} | {:.1} | {:.1} |",
            process.name,
            median(walls) * 1e3,
            fastest * 1e3,
            median(walls) / floor
        )
        .unwrap();
    }
    let results = support::bench_dir().join("cold-start.md");
    std::fs::write(&results, &table).unwrap();
    println!("{table}\n(also in {})", results.display());
}

struct Process {
    name: String,
    run: Run,
}

enum Run {
    /// A process run to its exit, whose exit code and standard output are checked.
    Exit {
        program: PathBuf,
        args: Vec<String>,
        /// The exit code, and a line its standard output contains.
        expect: (i32, String),
    },
    /// `bootstrap` until its first event is answered.
    Lambda { program: PathBuf },
}

fn path(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

fn median(walls: &[f64]) -> f64 {
    let mut sorted = walls.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// The environment of every process: no AWS configuration of the machine, dummy
/// credentials, the Region of the tests.
fn command(program: &Path) -> Command {
    let mut command = Command::new(program);
    command.env_clear().envs(testing::child_env());
    command
}

fn run_to_exit(program: &Path, args: &[String], (code, line): &(i32, String)) -> f64 {
    let start = Instant::now();
    let out = command(program)
        .args(args)
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| support::fail(&format!("cannot run {}: {e}", program.display())));
    let wall = start.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.code() != Some(*code) || !stdout.contains(line.as_str()) {
        support::fail(&format!(
            "{} {args:?} exited with {} (expected {code} and `{line}`):\n{stdout}{}",
            program.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    wall
}

/// The captured event as Config sends it to a Lambda, with the Ward rule to run.
fn lambda_event(file: &Path) -> String {
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    event["ruleParameters"] = Value::String(json!({ "wardRules": RULE }).to_string());
    event.to_string()
}

/// One `bootstrap` from its start until the runtime API has its answer to the first event;
/// then it is stopped (it waits for the next event).
fn run_lambda(program: &Path, api: &RuntimeApi, config: &Recorder, event: &str) -> f64 {
    let request_id = api.offer(event);
    let puts_before = config.puts().len();
    let start = Instant::now();
    let mut child = command(program)
        .env("AWS_ENDPOINT_URL", &config.url)
        .envs(api.lambda_env())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| support::fail(&format!("cannot run {}: {e}", program.display())));
    let answer = api.answers.recv_timeout(Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    let RuntimeAnswer {
        request_id: id,
        at,
        outcome,
        body,
    } = answer.unwrap_or_else(|_| {
        support::fail(&format!(
            "{} did not answer its first event",
            program.display()
        ))
    });
    let wall = at.duration_since(start).as_secs_f64();
    let answer: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let sent = config.puts().len() - puts_before;
    if id != request_id
        || outcome != "response"
        || answer["summary"]["NON_COMPLIANT"] != 1
        || answer["sent"]["accepted"] != 1
        || sent != 1
    {
        support::fail(&format!(
            "{} answered {outcome} to {id} (expected a response to {request_id}, one NON_COMPLIANT evaluation sent; {sent} PutEvaluations): {body}",
            program.display()
        ));
    }
    wall
}
