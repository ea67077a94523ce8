//! IAM's semantics as Ward implements them (`tests/data/decisions/`): each file is one
//! policy document, the AWS documentation it follows (`about`), and requests with the
//! decision `ward_iam::policy::may_allow` must reach (`expect`) or the error it must give.

use std::path::Path;

use serde_json::Value;

#[test]
fn every_case_decides_as_documented() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/decisions");
    let walk = ward_model::walk::walk_files(&dir, &|p| ward_model::walk::has_suffix(p, ".json"));
    assert!(walk.problems.is_empty(), "{:?}", walk.problems);
    assert!(
        walk.files.len() >= 7,
        "the corpus is missing: {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for file in &walk.files {
        let text = std::fs::read_to_string(file).unwrap();
        let case: Value = serde_json::from_str(&text).unwrap();
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(
            case["about"].is_string(),
            "{name}: say what the case follows"
        );
        for r in case["requests"].as_array().unwrap() {
            let (action, resource) = (
                r["action"].as_str().unwrap(),
                r["resource"].as_str().unwrap(),
            );
            let got = ward_iam::policy::may_allow(&case["document"], action, resource);
            let want = match (r.get("expect"), r.get("error")) {
                (Some(Value::Bool(b)), None) => Ok(*b),
                (None, Some(Value::String(e))) => Err(e.clone()),
                _ => panic!("{name}: a request needs `expect` or `error`"),
            };
            if got != want {
                failures.push(format!(
                    "{name}: {action} on {resource}: got {got:?}, want {want:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
