//! `granted_actions(s, actions)` is a built-in for speed (the log-bucket rules ask it of every
//! statement of every principal): it must give what the expression it replaced gives, value,
//! evidence and errors alike, on statements of every shape a policy document can hold.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::json;
use ward_engine::EvalOptions;
use ward_lang::{Pack, PackError, SourceFile, load_pack_sources};
use ward_model::{Inventory, Resource, Status};

/// The same question asked twice: of the built-in, and of the expression it replaced (the
/// statements and actions in a policy version's document, where the catalogue allows any key).
const PACK: &str = r#"
def granted_by_expression(s, actions) =
  filter(actions, a =>
    action_matches(s.Action ?? [], a) or (exists(s.NotAction) and not action_matches(s.NotAction, a)))

rule builtin {
  title: "t"
  severity: high
  resource: AWS::IAM::Policy
  hipaa: ["164.312(b)"]
  let doc = configuration.policyVersionList[0].document
  let granted = flatten(map(doc.statements, s => granted_actions(s, doc.actions)))
  assert count(granted) == 0 else "grants {granted}"
}

rule expression {
  title: "t"
  severity: high
  resource: AWS::IAM::Policy
  hipaa: ["164.312(b)"]
  let doc = configuration.policyVersionList[0].document
  let granted = flatten(map(doc.statements, s => granted_by_expression(s, doc.actions)))
  assert count(granted) == 0 else "grants {granted}"
}
"#;

fn pack() -> Pack {
    load_pack_sources(
        vec![SourceFile::new("granted.ward", "granted.ward", PACK)],
        &mut |path| {
            Err(PackError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other("no imports here"),
            })
        },
    )
    .unwrap()
}

#[test]
fn the_builtin_gives_what_the_expression_gives() {
    let write = json!(["s3:PutObject", "s3:DeleteObject", "s3:GetObject"]);
    let cases = [
        // Action: literal, wildcard, any case, a single string, `*`.
        (
            json!([{"Effect": "Allow", "Action": ["s3:PutObject"]}]),
            &write,
        ),
        (
            json!([{"Effect": "Allow", "Action": ["S3:put*", "ec2:*"]}]),
            &write,
        ),
        (json!([{"Effect": "Allow", "Action": "s3:*"}]), &write),
        (json!([{"Effect": "Allow", "Action": ["*"]}]), &write),
        (
            json!([{"Effect": "Allow", "Action": ["s3:?etObject"]}]),
            &write,
        ),
        // Nothing granted: another service, an empty or absent Action.
        (json!([{"Effect": "Allow", "Action": ["kms:*"]}]), &write),
        (json!([{"Effect": "Allow", "Action": []}]), &write),
        (json!([{"Effect": "Allow"}]), &write),
        // NotAction: every action it does not exclude.
        (
            json!([{"Effect": "Allow", "NotAction": ["s3:Get*"]}]),
            &write,
        ),
        (json!([{"Effect": "Allow", "NotAction": "s3:*"}]), &write),
        (
            json!([{"Effect": "Allow", "Action": ["s3:GetObject"], "NotAction": ["s3:Delete*"]}]),
            &write,
        ),
        // Several statements, one granting.
        (
            json!([{"Action": ["iam:*"]}, {"Action": ["s3:DeleteObject"]}]),
            &write,
        ),
        // Shapes Ward does not recognise fail as the expression fails.
        (json!([{"Effect": "Allow", "Action": [7]}]), &write),
        (
            json!([{"Effect": "Allow", "Action": ["kms:*"], "NotAction": [true]}]),
            &write,
        ),
        (
            json!([{"Effect": "Allow", "Action": {"s3": "PutObject"}}]),
            &write,
        ),
        (json!(["s3:PutObject"]), &write),
        (json!([{"Action": ["s3:*"]}]), &json!(["s3:PutObject", 3])),
        // No action asked: nothing read, nothing fails.
        (json!(["not a statement"]), &json!([])),
        (json!([{"Action": [7]}]), &json!([])),
    ];
    let mut inventory = Inventory::new();
    for (i, (statements, actions)) in cases.iter().enumerate() {
        let mut p = Resource::new("AWS::IAM::Policy", format!("p{i:02}"));
        p.configuration = json!({"policyVersionList": [{"document": {"statements": statements, "actions": actions}}]}).into();
        inventory.insert(p);
    }
    let found = ward_engine::evaluate(&pack(), &inventory, &EvalOptions::default()).unwrap();
    let of = |rule: &str| -> Vec<_> {
        found
            .findings
            .iter()
            .filter(|f| f.rule == rule)
            .map(|f| {
                (
                    f.resource.id.clone(),
                    f.status,
                    f.message.clone(),
                    f.evidence.clone(),
                )
            })
            .collect()
    };
    let (builtin, expression) = (of("builtin"), of("expression"));
    assert_eq!(builtin.len(), cases.len());
    assert_eq!(builtin, expression);
    // The comparison covers each outcome, with evidence.
    for status in [Status::Compliant, Status::NonCompliant, Status::Error] {
        assert!(
            builtin.iter().any(|(_, s, _, _)| *s == status),
            "no case ends {status:?}"
        );
    }
    assert!(builtin.iter().any(|(_, _, _, e)| !e.is_empty()));
}
