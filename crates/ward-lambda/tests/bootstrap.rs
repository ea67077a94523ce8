//! The `bootstrap` binary as Lambda runs it: started with the Lambda environment, it polls
//! a Runtime API (`ward_aws::testing::RuntimeApi`, served on loopback as the Lambda
//! service serves it) at `/runtime/invocation/next`, evaluates the Config event it gets,
//! revokes what it found (the rule's `wardRemediate=true`), sends the evaluations to the AWS
//! endpoint (moto behind the recording endpoint), logs the evidence on standard output and
//! posts its result to `/runtime/invocation/{id}/response`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use ward_aws::testing::{self, Moto, Recorder, RuntimeApi, plant};

#[test]
fn bootstrap_takes_a_config_event_from_the_runtime_api_and_remediates() {
    let moto = Moto::start();
    let recorder = Recorder::start(Some(moto.url.clone()), Box::new(|_, _| None));
    let (sg, event) = ward_aws::runtime().unwrap().block_on(async {
        let c = testing::clients(&recorder.url, testing::quick_retry()).await;
        c.s3.create_bucket()
            .bucket("ward-evidence")
            .send()
            .await
            .expect("CreateBucket");
        let sg = plant::open_ssh_group(&c, "ward-bootstrap").await;
        let params = json!({"wardRules": "restricted-ssh", "wardRemediate": "true"});
        let event = plant::change_event(&c, &sg, "restricted-ssh", params, "token-1").await;
        (sg, event)
    });
    let api = RuntimeApi::start();
    let request_id = api.offer(&event.to_string());
    let mut child = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env_clear()
        .envs(testing::child_env())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(api.lambda_env())
        .env("AWS_ENDPOINT_URL", &recorder.url)
        .env("WARD_EVIDENCE_BUCKET", "ward-evidence")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bootstrap");
    let started = Instant::now();
    let answer = loop {
        if let Ok(answer) = api.answers.recv_timeout(Duration::from_millis(100)) {
            break answer;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("bootstrap exited ({status}) before answering:\n{err}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "bootstrap did not answer in 120 s"
        );
    };
    // Once it has answered, it asks for the next invocation.
    let waited = Instant::now();
    while api.polls() < 2 && waited.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let polls = api.polls();
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    let body = &answer.body;
    assert_eq!(
        (answer.request_id.as_str(), answer.outcome.as_str()),
        (request_id.as_str(), "response"),
        "{body}\n{stderr}"
    );
    assert_eq!(polls, 2);
    assert!(api.answers.try_recv().is_err(), "one answer only");

    let result: Value = serde_json::from_str(body).unwrap();
    assert_eq!(result["summary"]["NON_COMPLIANT"], 1, "{result:#}");
    assert_eq!(result["sent"]["accepted"], 1);
    assert_eq!(result["remediation"]["calls"], 1);
    assert_eq!(result["remediation"]["evidence"]["log"], true);
    assert!(
        result["remediation"]["evidence"]["s3"]
            .as_str()
            .unwrap()
            .starts_with("s3://ward-evidence/ward-remediation/")
    );

    // Exactly the world SSH source went; the evaluation went with the event's token.
    let revokes: Vec<Value> = recorder
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.operation.starts_with("RevokeSecurityGroup"))
        .map(|r| r.body.clone())
        .collect();
    assert_eq!(revokes.len(), 1);
    assert_eq!(revokes[0]["GroupId"], json!(sg));
    assert_eq!(revokes[0]["IpPermissions.1.FromPort"], "22");
    assert_eq!(revokes[0]["IpPermissions.1.IpRanges.1.CidrIp"], "0.0.0.0/0");
    let puts = recorder.puts();
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0].body["ResultToken"], "token-1");
    let annotation = puts[0].body["Evaluations"][0]["Annotation"]
        .as_str()
        .unwrap();
    assert!(
        annotation.starts_with("Ward revoked ingress tcp port 22 0.0.0.0/0. Was: "),
        "{annotation}"
    );

    // The evidence line of the log: before and after.
    let line = stdout
        .lines()
        .find(|l| l.contains("\"wardRemediation\""))
        .unwrap_or_else(|| panic!("no evidence line in the log:\n{stdout}\n{stderr}"));
    let evidence: Value = serde_json::from_str(line).unwrap();
    assert_eq!(evidence["configRuleName"], "restricted-ssh");
    assert_eq!(
        evidence["before"][&sg]["ipPermissions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        evidence["after"][&sg]["ipPermissions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
