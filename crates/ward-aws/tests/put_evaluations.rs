//! `PutEvaluations` with the real `aws-sdk-config` client against a recording endpoint on
//! loopback that throttles, fails and reports `FailedEvaluations` on cue (moto implements
//! `PutEvaluations` only in test mode). Nothing may be lost and nothing accepted twice.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use serde_json::{Value, json};
use ward_aws::AwsError;
use ward_aws::config_rule::{ConfigEvaluation, put_evaluations};
use ward_aws::testing::{self, Recorder, Script};

fn evaluations(n: usize) -> Vec<ConfigEvaluation> {
    (0..n)
        .map(|i| ConfigEvaluation {
            compliance_resource_type: "AWS::EC2::SecurityGroup".into(),
            compliance_resource_id: format!("sg-{i:04}"),
            compliance_type: if i % 3 == 0 {
                "NON_COMPLIANT".into()
            } else {
                "COMPLIANT".into()
            },
            annotation: (i % 3 == 0).then(|| "1 ingress rule(s) open port 22 (SSH)".into()),
            ordering_timestamp: "2026-01-02T03:04:05.678Z".into(),
        })
        .collect()
}

fn run(
    script: Script,
    evals: &[ConfigEvaluation],
) -> (Recorder, Result<ward_aws::config_rule::PutReport, AwsError>) {
    let recorder = Recorder::start(None, script);
    let rt = ward_aws::runtime().unwrap();
    let result = rt.block_on(async {
        let clients = testing::clients(&recorder.url, testing::quick_retry()).await;
        put_evaluations(&clients, "result-token", evals).await
    });
    (recorder, result)
}

fn throttled(status: u16) -> Option<(u16, String)> {
    Some((
        status,
        json!({"__type": "ThrottlingException", "message": "Rate exceeded"}).to_string(),
    ))
}

fn assert_each_accepted_once(recorder: &Recorder, evals: &[ConfigEvaluation]) {
    let accepted = recorder.accepted();
    let unique: BTreeSet<_> = accepted.iter().cloned().collect();
    assert_eq!(
        accepted.len(),
        unique.len(),
        "an evaluation was accepted twice"
    );
    let expected: BTreeSet<_> = evals
        .iter()
        .map(|e| {
            (
                e.compliance_resource_type.clone(),
                e.compliance_resource_id.clone(),
                e.compliance_type.clone(),
            )
        })
        .collect();
    assert_eq!(unique, expected, "an evaluation was lost");
    for p in recorder.puts() {
        assert!(p.body["Evaluations"].as_array().unwrap().len() <= 100);
        assert_eq!(p.body["ResultToken"], "result-token");
    }
}

#[test]
fn throttling_429_and_throttling_exception_are_retried() {
    let evals = evaluations(10);
    let (recorder, result) = run(
        Box::new(|n, _| match n {
            0 => throttled(429),
            1 | 2 => throttled(400),
            _ => None,
        }),
        &evals,
    );
    let report = result.unwrap();
    assert_eq!(report.accepted, 10);
    let statuses: Vec<u16> = recorder.puts().iter().map(|p| p.status).collect();
    assert_eq!(statuses, [429, 400, 400, 200]);
    assert_each_accepted_once(&recorder, &evals);
    // The wire format: epoch-seconds timestamps, the annotation only where there is one.
    let first = &recorder.puts()[3].body["Evaluations"][0];
    assert_eq!(first["OrderingTimestamp"], json!(1767323045.678));
    assert_eq!(first["ComplianceType"], "NON_COMPLIANT");
    assert!(
        recorder.puts()[3].body["Evaluations"][1]
            .get("Annotation")
            .is_none()
    );
}

#[test]
fn a_500_mid_batch_is_retried_and_nothing_is_sent_twice() {
    let evals = evaluations(250);
    let (recorder, result) = run(
        Box::new(|n, _| (n == 1).then(|| (500, json!({"__type": "InternalFailure"}).to_string()))),
        &evals,
    );
    let report = result.unwrap();
    assert_eq!(report.accepted, 250);
    assert_eq!(report.batches, 3);
    let sizes: Vec<(u16, usize)> = recorder
        .puts()
        .iter()
        .map(|p| (p.status, p.body["Evaluations"].as_array().unwrap().len()))
        .collect();
    assert_eq!(sizes, [(200, 100), (500, 100), (200, 100), (200, 50)]);
    assert_each_accepted_once(&recorder, &evals);
}

#[test]
fn failed_evaluations_are_sent_again_and_only_they() {
    let evals = evaluations(150);
    let (recorder, result) = run(
        Box::new(|n, body: &Value| {
            if n != 0 {
                return None;
            }
            let failed: Vec<&Value> = body["Evaluations"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| {
                    e["ComplianceResourceId"] == "sg-0007" || e["ComplianceResourceId"] == "sg-0042"
                })
                .collect();
            Some((200, json!({"FailedEvaluations": failed}).to_string()))
        }),
        &evals,
    );
    assert_eq!(result.unwrap().accepted, 150);
    let puts = recorder.puts();
    let ids: Vec<Vec<String>> = puts
        .iter()
        .map(|p| {
            p.body["Evaluations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["ComplianceResourceId"].as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0].len(), 100);
    assert_eq!(ids[1], ["sg-0007", "sg-0042"]);
    assert_eq!(ids[2].len(), 50);
    assert_each_accepted_once(&recorder, &evals);
}

#[test]
fn throttling_that_never_ends_is_an_error_that_counts_what_was_lost() {
    let evals = evaluations(120);
    let (recorder, result) = run(
        Box::new(|n, _| if n == 0 { None } else { throttled(429) }),
        &evals,
    );
    match result {
        Err(AwsError::PutFailed {
            failed,
            total,
            message,
        }) => {
            assert_eq!((failed, total), (20, 120));
            assert!(message.contains("ThrottlingException"), "{message}");
        }
        other => panic!("expected PutFailed, got {other:?}"),
    }
    assert_eq!(recorder.accepted().len(), 100);
}

#[test]
fn a_refused_request_is_not_retried() {
    let evals = evaluations(3);
    let (recorder, result) = run(
        Box::new(|_, _| {
            Some((
                400,
                json!({"__type": "InvalidResultTokenException", "message": "The resultToken is invalid"}).to_string(),
            ))
        }),
        &evals,
    );
    let err = result.unwrap_err();
    assert!(
        err.to_string().contains("InvalidResultTokenException"),
        "{err}"
    );
    assert_eq!(recorder.puts().len(), 1);
}
