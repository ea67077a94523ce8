//! Replays what the `config_event` fuzz target found (`fuzz/regressions/config_event/`), on
//! stable: each event is parsed, planned and evaluated without AWS, as the target does. Each
//! once crashed or hung the handler; now each must end in evaluations or an error.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use ward_aws::config_rule::{self, Controls, RuleEvent};
use ward_backend::{EngineError, EvalOptions, Evaluation};
use ward_lang::{Pack, PackError, SourceFile, load_pack_sources};
use ward_model::{Inventory, RuleInfo};

struct Lang {
    pack: Pack,
    rules: Vec<RuleInfo>,
}

impl Controls for Lang {
    fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    fn evaluate(
        &self,
        inventory: &Inventory,
        options: &EvalOptions,
    ) -> Result<Evaluation, EngineError> {
        ward_engine::evaluate(&self.pack, inventory, options)
    }
}

fn controls() -> Lang {
    let text = "rule restricted-ssh {\n  title: \"t\"\n  severity: high\n  resource: AWS::EC2::SecurityGroup\n  hipaa: [\"164.312(e)(1)\"]\n  assert count(configuration.ipPermissions ?? []) == 0 else \"open\"\n}\n";
    let pack = load_pack_sources(
        vec![SourceFile::new("fuzz.ward", "fuzz.ward", text)],
        &mut |path| {
            Err(PackError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other("no imports"),
            })
        },
    )
    .unwrap();
    let rules = pack
        .rules
        .iter()
        .map(|r| ward_engine::rule_info(&pack, r))
        .collect();
    Lang { pack, rules }
}

#[test]
fn every_config_event_regression_ends_in_a_result() {
    let controls = controls();
    let runtime = ward_aws::runtime().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/config_event");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "README.md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let Ok(event) = RuleEvent::parse(text) else {
            continue;
        };
        for explicit in [Vec::new(), vec!["restricted-ssh".to_string()]] {
            if let Ok(plan) = config_rule::plan(&controls, &event, &explicit) {
                let _ =
                    runtime.block_on(config_rule::evaluate_event(&controls, &event, &plan, None));
            }
        }
    }
}
