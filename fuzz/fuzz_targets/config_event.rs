//! A Config rule event, as the Lambda handler and `ward config-rule` take it: parsed, its
//! rules and parameters planned, and evaluated (without AWS: an oversized or scheduled event
//! asks for clients and must say so). Nothing may panic; a bad event is an `AwsError`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ward_aws::config_rule::{self, Controls, RuleEvent};
use ward_engine::{EngineError, EvalOptions, Evaluation};
use ward_lang::{Pack, PackError, SourceFile, load_pack_sources};
use ward_model::{Inventory, RuleInfo};

/// Two rules of the pack's kind, over the types the captured events carry.
const RULES: &str = r#"
rule restricted-ssh {
  title: "t"
  severity: high
  resource: AWS::EC2::SecurityGroup
  hipaa: ["164.312(e)(1)"]
  param port: number = 22
  assert count(filter(configuration.ipPermissions ?? [], p => p.fromPort == port)) == 0
    else "open {port}"
}
rule encrypted-volumes {
  title: "t"
  severity: high
  resource: AWS::EC2::Volume
  hipaa: ["164.312(a)(2)(iv)"]
  assert configuration.encrypted == true else "not encrypted"
}
"#;

struct Lang {
    pack: Pack,
    rules: Vec<RuleInfo>,
}

impl Controls for Lang {
    fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    fn evaluate(&self, inventory: &Inventory, options: &EvalOptions) -> Result<Evaluation, EngineError> {
        ward_engine::evaluate(&self.pack, inventory, options)
    }
}

fn controls() -> &'static Lang {
    static LANG: OnceLock<Lang> = OnceLock::new();
    LANG.get_or_init(|| {
        let file = SourceFile::new("fuzz.ward", "fuzz.ward", RULES);
        let pack = load_pack_sources(vec![file], &mut |path| {
            Err(PackError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other("no imports"),
            })
        })
        .unwrap_or_else(|e| panic!("the fuzz target's rules: {e:?}"));
        let rules = pack.rules.iter().map(|r| ward_engine::rule_info(&pack, r)).collect();
        Lang { pack, rules }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(event) = RuleEvent::parse(text) else {
        return;
    };
    let controls = controls();
    for explicit in [Vec::new(), vec!["restricted-ssh".to_string()]] {
        let Ok(plan) = config_rule::plan(controls, &event, &explicit) else {
            continue;
        };
        let Ok(runtime) = ward_aws::runtime() else {
            return;
        };
        if let Ok(evaluations) =
            runtime.block_on(config_rule::evaluate_event(controls, &event, &plan, None))
        {
            for e in evaluations {
                assert!(e.annotation.as_ref().is_none_or(|a| {
                    (1..=config_rule::ANNOTATION_MAX).contains(&a.chars().count())
                }));
            }
        }
    }
});
