//! The whole-process benchmark: `ward check` with the whole pack over generated snapshots,
//! beside the floor (a bare syntax scan of the same file) and, when they are on the PATH,
//! regorus and cfn-guard running six of the pack's controls on the same file
//! (`comparison/six.rego`, `comparison/six.guard`).
//!
//! ```text
//! cargo bench -p ward-cli --bench whole_process
//! WARD_BENCH_SIZES=10000,100000,1000000 cargo bench -p ward-cli --bench whole_process
//! WARD_BENCH_SHAPES=many,one cargo bench -p ward-cli --bench whole_process
//! ```
//!
//! Each size is measured on three estate shapes (`WARD_BENCH_SHAPES`, default all): `many`
//! small accounts (each copy of a template account in an account of its own), `few` large
//! ones (the copies spread over ten accounts) and `one` account holding everything. After
//! each size, the time and memory of each shape as a multiple of the many-account shape's.
//!
//! Every figure comes from one run, one process after another, so they can be compared as
//! ratios (docs/performance.md). Peak memory is `/usr/bin/time`'s maximum resident set size.
//! Each run is checked, not only timed: on many small accounts, Ward's NON_COMPLIANT count
//! must be the sum of its template accounts' counts (the generator copies whole accounts); on
//! the shapes where copies share an account, account-wide rules see the copies together, so
//! the check is on the six controls, which judge each resource alone; on every shape the ERROR
//! count is the templates' sum (none: a copy sharing an account must not break a rule, as the
//! generator once did by renaming an ECS revision `3-000001`); and the other engines'
//! violations of the six controls must agree with Ward's.
//!
//! cfn-guard holds about a hundred times the file in memory (19.7 GB for the 190 MB snapshot
//! of 100k items): it runs on snapshots of at most `WARD_BENCH_GUARD_MAX` items (default
//! 150000, so the 100k snapshot's 100086 items are in), so that a larger size does not
//! exhaust a 24 GB machine. Every engine is also skipped at a size where the peak it showed
//! at the size before, as a multiple of the file, would not fit in the memory available
//! (`MemAvailable`, less a tenth); the table says so.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::Value;

/// The six controls run by every engine, as Ward rule ids (the Rego version is in
/// `benches/comparison/six.rego`, each rule named after the Ward rule it mirrors).
const SIX: [&str; 6] = [
    "restricted-ssh",
    "s3-bucket-logging-enabled",
    "rds-storage-encrypted",
    "rds-instance-public-access-check",
    "cloud-trail-log-file-validation-enabled",
    "encrypted-volumes",
];

/// An estate shape: how the copies of the template accounts are spread over accounts.
struct Shape {
    name: &'static str,
    /// `scale_snapshot.py --accounts`: 0, each copy its own account.
    accounts: usize,
}

const SHAPES: [Shape; 3] = [
    Shape {
        name: "many",
        accounts: 0,
    },
    Shape {
        name: "few",
        accounts: 10,
    },
    Shape {
        name: "one",
        accounts: 1,
    },
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // The floor runs as its own process: this binary again, with `--scan FILE`.
    if let Some(i) = args.iter().position(|a| a == "--scan") {
        scan(Path::new(&args[i + 1]));
        return;
    }
    let sizes: Vec<usize> = std::env::var("WARD_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000".to_string())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("WARD_BENCH_SIZES: comma-separated item counts")
        })
        .collect();
    let shapes: Vec<&Shape> = match std::env::var("WARD_BENCH_SHAPES") {
        Ok(list) => list
            .split(',')
            .map(|name| {
                SHAPES
                    .iter()
                    .find(|s| s.name == name.trim())
                    .unwrap_or_else(|| {
                        support::fail(&format!(
                            "WARD_BENCH_SHAPES: `{name}` is not one of many, few, one"
                        ))
                    })
            })
            .collect(),
        Err(_) => SHAPES.iter().collect(),
    };
    let ward = PathBuf::from(env!("CARGO_BIN_EXE_ward"));
    let me = std::env::current_exe().expect("own path");
    let comparison = support::repo_root().join("crates/ward-cli/benches/comparison");
    let regorus = on_path("regorus");
    let guard = on_path("cfn-guard");
    let guard_max: u64 = std::env::var("WARD_BENCH_GUARD_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150_000);
    let mut guard_skipped = Vec::new();
    let mut budget = Budget::default();
    let template_counts = template_counts(&ward);

    let mut table = String::new();
    writeln!(
        table,
        "| items | shape | file | engine (controls) | wall s | x floor | peak RSS MiB | x file | NON_COMPLIANT |"
    )
    .unwrap();
    writeln!(table, "|---:|---|---:|---|---:|---:|---:|---:|---:|").unwrap();
    let mut by_shape = String::new();
    // Per size: the whole pack's wall time and peak on many small accounts.
    let mut many_wall: BTreeMap<usize, (f64, f64)> = BTreeMap::new();
    for (size, shape) in sizes
        .iter()
        .flat_map(|size| shapes.iter().map(move |shape| (*size, *shape)))
    {
        let snapshot = support::snapshot(size, shape.accounts);
        let mix = mix_of(&snapshot);
        let items = mix["items"].as_u64().unwrap_or(0);
        let file_mib = mib(std::fs::metadata(&snapshot).map(|m| m.len()).unwrap_or(0));
        let floor = measure(&Job::new(&me).arg("--scan").arg(&snapshot));
        let row = |table: &mut String, engine: &str, m: &Measure, verdict: String| {
            writeln!(
                table,
                "| {items} | {} | {file_mib:.0} MiB | {engine} | {:.2} | {:.1} | {:.0} | {:.2} | {verdict} |",
                shape.name,
                m.wall,
                m.wall / floor.wall,
                m.peak_mib,
                m.peak_mib / file_mib
            )
            .unwrap();
        };
        row(
            &mut table,
            "floor: serde_json into IgnoredAny",
            &floor,
            String::new(),
        );

        // Ward, the whole pack.
        match budget.fits("ward", file_mib) {
            Err(why) => skipped(
                &mut table,
                items,
                shape.name,
                file_mib,
                "ward (the whole pack)",
                &why,
            ),
            Ok(()) => {
                let out = support::bench_dir().join(format!("ward-{size}.json"));
                let whole = measure(&ward_check(&ward, &snapshot, &[], out.clone()));
                budget.record("ward", &whole, file_mib);
                let findings = read_findings(&out);
                let expected = templates_sum(&mix, &template_counts, |c| c.all);
                let got = non_compliant(&findings, None);
                assert_eq!(
                    errors(&findings),
                    templates_sum(&mix, &template_counts, |c| c.errors),
                    "{size} on {}: ERROR findings the template accounts do not have",
                    shape.name
                );
                let verdict = if shape.accounts == 0 {
                    assert_eq!(
                        got, expected,
                        "{size}: Ward's NON_COMPLIANT count is not the templates' sum"
                    );
                    format!("{got} (= templates' sum)")
                } else {
                    // Account-wide rules see the copies that share an account together.
                    got.to_string()
                };
                if let Some(many) = many_wall.get(&size).copied() {
                    writeln!(
                        by_shape,
                        "| {items} | {} | {:.2}x | {:.2}x |",
                        shape.name,
                        whole.wall / many.0,
                        whole.peak_mib / many.1
                    )
                    .unwrap();
                } else if shape.accounts == 0 {
                    many_wall.insert(size, (whole.wall, whole.peak_mib));
                    writeln!(by_shape, "| {items} | many | 1.00x | 1.00x |").unwrap();
                }
                row(
                    &mut table,
                    &format!(
                        "ward ({} rules)",
                        findings.summary["rules"].as_u64().unwrap_or(0)
                    ),
                    &whole,
                    verdict,
                );
            }
        }

        // Ward, the six controls alone: the other engines are checked against it.
        if let Err(why) = budget.fits("ward-six", file_mib) {
            skipped(
                &mut table,
                items,
                shape.name,
                file_mib,
                "ward (the six)",
                &why,
            );
            continue;
        }
        let out6 = support::bench_dir().join(format!("ward-six-{size}.json"));
        let six = measure(&ward_check(&ward, &snapshot, &SIX, out6.clone()));
        budget.record("ward-six", &six, file_mib);
        let six_doc = read_findings(&out6);
        let ward_six: BTreeMap<&str, usize> = SIX
            .iter()
            .map(|r| (*r, non_compliant(&six_doc, Some(r))))
            .collect();
        // The six judge each resource alone: on every shape, the templates' sum.
        for rule in SIX {
            let expected = templates_sum(&mix, &template_counts, |c| {
                c.by_rule.get(rule).copied().unwrap_or(0)
            });
            assert_eq!(
                ward_six.get(rule).copied(),
                Some(expected),
                "{size} ({} shape): {rule}'s NON_COMPLIANT count is not the templates' sum",
                shape.name
            );
        }
        row(
            &mut table,
            "ward (the six)",
            &six,
            format!("{} (= templates' sum)", ward_six.values().sum::<usize>()),
        );

        if let Some(regorus) = &regorus {
            match budget.fits("regorus", file_mib) {
                Err(why) => skipped(
                    &mut table,
                    items,
                    shape.name,
                    file_mib,
                    "regorus (the six)",
                    &why,
                ),
                Ok(()) => {
                    let out = support::bench_dir().join(format!("regorus-{size}.json"));
                    let m = measure(
                        &Job::new(regorus)
                            .arg("eval")
                            .arg("--data")
                            .arg(comparison.join("six.rego"))
                            .arg("--input")
                            .arg(&snapshot)
                            .arg("data.ward_bench.counts")
                            .stdout(out.clone()),
                    );
                    budget.record("regorus", &m, file_mib);
                    let counts = regorus_counts(&out);
                    row(
                        &mut table,
                        "regorus (the six)",
                        &m,
                        agreement(&counts, &ward_six),
                    );
                }
            }
        }

        match &guard {
            Some(guard) if items <= guard_max => match budget.fits("cfn-guard", file_mib) {
                Err(why) => skipped(
                    &mut table,
                    items,
                    shape.name,
                    file_mib,
                    "cfn-guard (the six)",
                    &why,
                ),
                Ok(()) => {
                    let out = support::bench_dir().join(format!("cfn-guard-{size}.json"));
                    let m = measure(
                        &Job::new(guard)
                            .arg("validate")
                            .arg("--rules")
                            .arg(comparison.join("six.guard"))
                            .arg("--data")
                            .arg(&snapshot)
                            .args(["--output-format", "json", "--structured"])
                            .args(["--show-summary", "none"])
                            .stdout(out.clone()),
                    );
                    budget.record("cfn-guard", &m, file_mib);
                    let counts = guard_counts(&out);
                    row(
                        &mut table,
                        "cfn-guard (the six)",
                        &m,
                        agreement(&counts, &ward_six),
                    );
                }
            },
            Some(_) if !guard_skipped.contains(&items) => guard_skipped.push(items),
            Some(_) => {}
            None => {}
        }
    }
    let mut report = table.clone();
    if !by_shape.is_empty() {
        report.push_str(
            "\nThe whole pack on each shape, as a multiple of many small accounts of the same size:\n\n| items | shape | wall | peak RSS |\n|---:|---|---:|---:|\n",
        );
        report.push_str(&by_shape);
    }
    if regorus.is_none() {
        report.push_str("\nregorus: not on the PATH, not measured\n");
    }
    if guard.is_none() {
        report.push_str("\ncfn-guard: not on the PATH, not measured\n");
    }
    if !guard_skipped.is_empty() {
        let sizes: Vec<String> = guard_skipped.iter().map(u64::to_string).collect();
        report.push_str(&format!(
            "\ncfn-guard: not run on {} items (above WARD_BENCH_GUARD_MAX = {guard_max}: it holds about a hundred times the file in memory)\n",
            sizes.join(", ")
        ));
    }
    println!("{report}");
    let results = support::bench_dir().join("whole-process.md");
    std::fs::write(&results, &report).unwrap();
    eprintln!("written to {}", results.display());
}

/// A table row for an engine not run at this size, with why.
fn skipped(table: &mut String, items: u64, shape: &str, file_mib: f64, engine: &str, why: &str) {
    writeln!(
        table,
        "| {items} | {shape} | {file_mib:.0} MiB | {engine} | not run | | | | {why} |"
    )
    .unwrap();
}

/// What each engine's peak memory was, as a multiple of the file, at the last size measured
/// in this run (sizes go up, and the multiple goes down as fixed costs are spread): a larger
/// size whose predicted peak does not fit is not run.
#[derive(Default)]
struct Budget {
    ratio: BTreeMap<&'static str, f64>,
}

impl Budget {
    fn record(&mut self, engine: &'static str, m: &Measure, file_mib: f64) {
        if file_mib > 0.0 {
            self.ratio.insert(engine, m.peak_mib / file_mib);
        }
    }

    fn fits(&self, engine: &str, file_mib: f64) -> Result<(), String> {
        let (Some(ratio), Some(available)) = (self.ratio.get(engine), available_mib()) else {
            return Ok(());
        };
        let need = ratio * file_mib;
        if need <= available * 0.9 {
            return Ok(());
        }
        Err(format!(
            "would need about {:.1} GiB ({ratio:.1}x the file, as at the size before); {:.1} GiB available",
            need / 1024.0,
            available / 1024.0
        ))
    }
}

/// `MemAvailable` of `/proc/meminfo`, in MiB.
fn available_mib() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The floor: the file read and every byte of it checked as JSON, nothing kept.
fn scan(path: &Path) {
    let bytes = std::fs::read(path).expect("snapshot");
    let _: serde::de::IgnoredAny = serde_json::from_slice(&bytes).expect("valid JSON");
}

/// The evaluation time of every run: ages (of keys, certificates...) are measured from it,
/// so a template and its copies are judged alike whatever each file's latest capture time.
const AS_OF: &str = "2026-11-21T00:00:00Z";

fn ward_check(ward: &Path, snapshot: &Path, rules: &[&str], out: PathBuf) -> Job {
    let mut job = Job::new(ward)
        .arg("check")
        .arg("--as-of")
        .arg(AS_OF)
        .arg("--format")
        .arg("json")
        .arg("--snapshot")
        .arg(snapshot);
    for r in rules {
        job = job.arg("--rule").arg(r);
    }
    job.stdout(out)
}

struct Measure {
    wall: f64,
    peak_mib: f64,
}

/// A process to measure: its program, arguments and where its stdout goes.
struct Job {
    program: PathBuf,
    args: Vec<OsString>,
    stdout: Option<PathBuf>,
}

impl Job {
    fn new(program: &Path) -> Job {
        Job {
            program: program.to_path_buf(),
            args: Vec::new(),
            stdout: None,
        }
    }

    fn arg(mut self, arg: impl AsRef<OsStr>) -> Job {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    fn args<const N: usize>(mut self, args: [&str; N]) -> Job {
        self.args.extend(args.iter().map(OsString::from));
        self
    }

    fn stdout(mut self, path: PathBuf) -> Job {
        self.stdout = Some(path);
        self
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.args).stderr(Stdio::inherit());
        c.stdout(match &self.stdout {
            Some(path) => file(path),
            None => Stdio::null(),
        });
        c
    }
}

/// Runs `job` under `/usr/bin/time`, for its wall time and peak resident set size.
/// Exit codes 0 and 1 (findings), and cfn-guard's 19 (a rule failed), are success; anything
/// else stops the benchmark.
fn measure(job: &Job) -> Measure {
    let time_out = support::bench_dir().join("time.txt");
    let mut command = Command::new("/usr/bin/time");
    command
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&time_out)
        .arg(&job.program)
        .args(&job.args)
        .stderr(Stdio::inherit())
        .stdout(match &job.stdout {
            Some(path) => file(path),
            None => Stdio::null(),
        });
    let start = Instant::now();
    let status = command
        .status()
        .unwrap_or_else(|e| support::fail(&format!("cannot run /usr/bin/time: {e}")));
    let wall = start.elapsed().as_secs_f64();
    if !matches!(status.code(), Some(0 | 1 | 19)) {
        support::fail(&format!("{} failed: {status}", job.program.display()));
    }
    let kib: f64 = std::fs::read_to_string(&time_out)
        .ok()
        .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0.0);
    Measure {
        wall,
        peak_mib: kib / 1024.0,
    }
}

fn file(path: &Path) -> Stdio {
    Stdio::from(std::fs::File::create(path).unwrap())
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The generator's record of which template each copy used (written beside the snapshot).
fn mix_of(snapshot: &Path) -> Value {
    read_json(&snapshot.with_extension("mix.json"))
}

/// The control whose outcome depends on the account it runs in: the pack's least-privilege
/// intent names the example estate's principals by ARN, account id included, so in a copy
/// under another account id the intended grants are no longer recognized and are reported.
/// It is left out of the templates' sum (and still evaluated, and timed).
const ACCOUNT_BOUND: &str = "ward-phi-least-privilege";

fn errors(doc: &FindingsDoc) -> usize {
    doc.findings.iter().filter(|f| f.status == "ERROR").count()
}

fn non_compliant(doc: &FindingsDoc, rule: Option<&str>) -> usize {
    doc.findings
        .iter()
        .filter(|f| f.status == "NON_COMPLIANT")
        .filter(|f| match rule {
            Some(r) => f.rule == r,
            None => f.rule != ACCOUNT_BOUND,
        })
        .count()
}

/// What the benchmark reads of a findings document: the whole pack's at 1M items is several
/// GB of JSON, read as a stream.
#[derive(serde::Deserialize)]
struct FindingsDoc {
    findings: Vec<SlimFinding>,
    summary: Value,
}

#[derive(serde::Deserialize)]
struct SlimFinding {
    rule: String,
    status: String,
}

fn read_findings(path: &Path) -> FindingsDoc {
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path).unwrap());
    serde_json::from_reader(file).unwrap()
}

#[derive(Default)]
struct TemplateCount {
    all: usize,
    /// ERROR findings.
    errors: usize,
    /// Each of the six controls' count.
    by_rule: BTreeMap<&'static str, usize>,
}

/// Ward's NON_COMPLIANT count on one copy of each template account, alone.
fn template_counts(ward: &Path) -> BTreeMap<String, TemplateCount> {
    let mut counts = BTreeMap::new();
    for account in ["111122223333", "444455556666", "222233334444"] {
        let name =
            format!("examples/clinic/estate/AWSLogs/{account}/us-east-1/config-snapshot.json");
        let out = support::bench_dir().join(format!("template-{account}.json"));
        // One copy of the template, not the template: see `support::template_copy`.
        let status = ward_check(ward, &support::template_copy(account), &[], out.clone())
            .command()
            .status()
            .unwrap();
        assert!(matches!(status.code(), Some(0 | 1)), "{name}: {status}");
        let doc = read_findings(&out);
        counts.insert(
            name,
            TemplateCount {
                all: non_compliant(&doc, None),
                errors: errors(&doc),
                by_rule: SIX
                    .iter()
                    .map(|r| (*r, non_compliant(&doc, Some(r))))
                    .collect(),
            },
        );
    }
    counts
}

/// A count over the snapshot: each template's count times its copies (`mix`: the generator's
/// report of which template each copy used).
fn templates_sum(
    mix: &Value,
    counts: &BTreeMap<String, TemplateCount>,
    count: impl Fn(&TemplateCount) -> usize,
) -> usize {
    mix["templates"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(t, copies)| copies.as_u64().unwrap() as usize * counts.get(t).map_or(0, &count))
        .sum()
}

fn agreement(counts: &BTreeMap<String, usize>, ward: &BTreeMap<&str, usize>) -> String {
    let total: usize = counts.values().sum();
    let disagree: Vec<String> = ward
        .iter()
        .filter(|(r, n)| counts.get(**r).copied().unwrap_or(0) != **n)
        .map(|(r, n)| format!("{r}: {} vs Ward {n}", counts.get(*r).copied().unwrap_or(0)))
        .collect();
    if disagree.is_empty() {
        format!("{total} (agrees)")
    } else {
        format!("{total} (DISAGREES: {})", disagree.join("; "))
    }
}

/// regorus prints `{"result": [{"expressions": [{"value": {RULE: COUNT}}]}]}`.
fn regorus_counts(out: &Path) -> BTreeMap<String, usize> {
    let doc = read_json(out);
    let value = &doc["result"][0]["expressions"][0]["value"];
    value
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.replace('_', "-"), v.as_u64().unwrap_or(0) as usize))
                .collect()
        })
        .unwrap_or_default()
}

/// cfn-guard's structured JSON output: per data file, the `not_compliant` rules, each with
/// the checks that failed and the paths of the values they read. A rule's violations are
/// the distinct configuration items (`/configurationItems/N/...`) its failed checks name.
fn guard_counts(out: &Path) -> BTreeMap<String, usize> {
    fn items(value: &Value, found: &mut std::collections::BTreeSet<u64>) {
        match value {
            Value::String(path) => {
                let mut parts = path.split('/');
                if let (Some(""), Some("configurationItems"), Some(n)) =
                    (parts.next(), parts.next(), parts.next())
                    && let Ok(n) = n.parse()
                {
                    found.insert(n);
                }
            }
            Value::Array(values) => values.iter().for_each(|v| items(v, found)),
            Value::Object(map) => map.values().for_each(|v| items(v, found)),
            _ => {}
        }
    }
    let doc = read_json(out);
    let mut found: BTreeMap<String, std::collections::BTreeSet<u64>> = BTreeMap::new();
    for file in doc.as_array().into_iter().flatten() {
        for rule in file["not_compliant"].as_array().into_iter().flatten() {
            let name = rule["Rule"]["name"].as_str().unwrap_or_default();
            items(
                &rule["Rule"]["checks"],
                found.entry(name.replace('_', "-")).or_default(),
            );
        }
    }
    found
        .into_iter()
        .map(|(rule, items)| (rule, items.len()))
        .collect()
}
