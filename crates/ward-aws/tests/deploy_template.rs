//! `examples/deploy/template.yaml` passes `cfn-lint` (PyPI, pinned; installed into the test
//! venv when missing).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_deploy_template_passes_cfn_lint() {
    let venv = ward_aws::testing::python_venv(&["cfn-lint==1.58.0"], "import cfnlint");
    let template =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/deploy/template.yaml");
    let out = Command::new(venv.join("bin").join("cfn-lint"))
        .arg(&template)
        .output()
        .expect("run cfn-lint");
    assert!(
        out.status.success(),
        "cfn-lint {}:\n{}{}",
        template.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The Config rules it deploys run Ward rules that exist: by name or by `wardRules`.
    let text = std::fs::read_to_string(&template).unwrap();
    for rule in [
        "restricted-ssh",
        "restricted-common-ports",
        "encrypted-volumes",
        "vpc-flow-logs-enabled",
    ] {
        assert!(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("../../policies/hipaa/{rule}.ward"))
                .is_file(),
            "{rule} is not a rule of the pack"
        );
        assert!(text.contains(rule));
    }
    // Remediation: the parameters and the opt-out tag the code reads, the environment
    // variable of the evidence bucket, and only the revocations in the role.
    use ward_aws::remediate;
    for name in [remediate::REMEDIATE_PARAM, remediate::MAX_GROUPS_PARAM] {
        assert!(text.contains(&format!("{name}: !Ref")), "{name}");
    }
    assert!(
        text.contains(&format!(
            "aws:ResourceTag/{}",
            remediate::DEFAULT_OPT_OUT_TAG
        )),
        "the role's Deny names the opt-out tag the function honours"
    );
    assert!(text.contains("WARD_EVIDENCE_BUCKET:"));
    for rule in remediate::RULES {
        assert!(text.contains(rule), "{rule} is remediated but not deployed");
    }
    let ec2_actions: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']')
        .filter(|w| w.starts_with("ec2:"))
        .collect();
    for action in ec2_actions {
        assert!(
            [
                "ec2:DescribeSecurityGroups",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress"
            ]
            .contains(&action),
            "the role grants {action}"
        );
    }
    // Compliance changes go to an SNS topic encrypted with a KMS key.
    assert!(text.contains("Config Rules Compliance Change"));
    assert!(text.contains("KmsMasterKeyId: !Ref NotificationKey"));
}
