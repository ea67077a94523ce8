//! A Ward plugin: Lambda environment variables whose values look like secrets.
//!
//! Ward's import already replaces values under sensitive names (`DB_PASSWORD`, `API_KEY`...)
//! and values of known shapes (AWS keys, JWTs, tokens) with `[REDACTED:kind]` markers. This
//! control catches what is left: a random-looking value under an innocuous name
//! (`APP_CONFIG=Zx9...`), judged by its length and Shannon entropy, a measure the rule
//! language does not have. It never repeats a value: messages and evidence carry the
//! variable's name, the value's length and its entropy only.

use ward_plugin_sdk::{
    Control, Outcome, Param, Params, Plugin, PluginInfo, Resource, Severity, Value, json,
    shannon_entropy,
};

pub const CONTROL: &str = "lambda-env-secret-entropy";

const VARIABLES: &str = "configuration.environment.variables";

/// A value that Ward's import redacted.
const REDACTED_PREFIX: &str = "[REDACTED:";

pub struct LambdaEnvEntropy;

impl Plugin for LambdaEnvEntropy {
    fn info() -> PluginInfo {
        PluginInfo::new("lambda-env-entropy", env!("CARGO_PKG_VERSION")).control(
            Control::new(
                CONTROL,
                "Lambda environment variables hold no secret-looking values",
                Severity::High,
            )
            .citation("164.312(a)(1)")
            .citation("164.312(a)(2)(iv)")
            .resource_type("AWS::Lambda::Function")
            .description(
                "Flags Lambda environment variables whose values look randomly generated \
                 (a single token of at least `minLength` characters with at least `minEntropy` \
                 bits of Shannon entropy per character, or a long hexadecimal string), the shape \
                 of an API key, signing secret or password. Environment variables are readable \
                 by anyone who can read the function's configuration and are stored without a \
                 customer managed key by default. Values Ward's import already redacted are \
                 counted, not flagged again.",
            )
            .remediation(
                "Move the value to AWS Secrets Manager or SSM Parameter Store (SecureString) and \
                 read it at run time, or use the Lambda secrets extension; rotate the exposed \
                 secret.",
            )
            .param(Param::integer(
                "minLength",
                20,
                "shortest value (in characters) that can be flagged",
            ))
            .param(Param::number(
                "minEntropy",
                4.2,
                "Shannon entropy (bits per character) from which a mixed-case or alphanumeric value is flagged",
            ))
            .param(Param::number(
                "minHexEntropy",
                3.0,
                "Shannon entropy (bits per character) from which a hexadecimal value of 32 characters or more is flagged",
            )),
        )
    }

    fn evaluate(_control: &str, resource: &Resource, params: &Params) -> Outcome {
        evaluate(resource, &Thresholds::from(params))
    }
}

ward_plugin_sdk::export_plugin!(LambdaEnvEntropy);

/// When a value looks like a secret.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub min_length: usize,
    pub min_entropy: f64,
    pub min_hex_entropy: f64,
}

impl From<&Params> for Thresholds {
    fn from(params: &Params) -> Thresholds {
        Thresholds {
            min_length: params
                .number("minLength")
                .map(|n| n.max(1.0) as usize)
                .unwrap_or(20),
            min_entropy: params.number("minEntropy").unwrap_or(4.2),
            min_hex_entropy: params.number("minHexEntropy").unwrap_or(3.0),
        }
    }
}

/// Why a value looks like a secret, without the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Suspect {
    pub length: usize,
    pub entropy: f64,
}

/// Whether `value` looks like a generated secret.
pub fn suspect(value: &str, t: &Thresholds) -> Option<Suspect> {
    let length = value.chars().count();
    if length < t.min_length || value.starts_with(REDACTED_PREFIX) {
        return None;
    }
    // One token of the base64 / base64url / hex alphabets (dots for JWT-like tokens): URLs,
    // ARNs, sentences and paths with `:` or spaces are not secrets by themselves.
    let token = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-' | '.'));
    if !token {
        return None;
    }
    let entropy = shannon_entropy(value);
    let hex = value.chars().all(|c| c.is_ascii_hexdigit());
    let flagged = if hex {
        length >= 32 && entropy >= t.min_hex_entropy
    } else {
        let lower = value.chars().any(|c| c.is_ascii_lowercase());
        let upper = value.chars().any(|c| c.is_ascii_uppercase());
        let digit = value.chars().any(|c| c.is_ascii_digit());
        let classes = [lower, upper, digit].iter().filter(|b| **b).count();
        classes >= 2 && entropy >= t.min_entropy
    };
    flagged.then_some(Suspect { length, entropy })
}

/// The evidence path of a variable: `.NAME`, or `["NAME"]` when it is not an identifier.
fn variable_path(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!("{VARIABLES}.{name}")
    } else {
        format!("{VARIABLES}[{}]", Value::String(name.to_string()))
    }
}

/// Two decimals, so the output is the same bytes on every run.
fn rounded(x: f64) -> Value {
    json!((x * 100.0).round() / 100.0)
}

pub fn evaluate(resource: &Resource, t: &Thresholds) -> Outcome {
    match resource.get("configuration") {
        None | Some(Value::Null) => {
            return Outcome::non_compliant(
                "the function's configuration was not recorded: its environment cannot be checked",
            )
            .evidence("configuration", Value::Null);
        }
        Some(_) => {}
    }
    let variables = match resource.get(VARIABLES) {
        Some(Value::Object(map)) if !map.is_empty() => map,
        Some(Value::Object(_)) => {
            return Outcome::not_applicable("the function has no environment variables")
                .evidence(VARIABLES, json!({}));
        }
        Some(other) if !other.is_null() => {
            return Outcome::error(format!(
                "`{VARIABLES}` is not an object of variables (found {})",
                kind(other)
            ));
        }
        _ => {
            return Outcome::not_applicable("the function has no environment variables")
                .evidence(VARIABLES, Value::Null);
        }
    };
    let mut suspects = Vec::new();
    let mut redacted = 0usize;
    for (name, value) in variables {
        let Some(text) = value.as_str() else {
            continue;
        };
        if text.starts_with(REDACTED_PREFIX) {
            redacted += 1;
            continue;
        }
        if let Some(s) = suspect(text, t) {
            suspects.push((name, s));
        }
    }
    let redacted_note = match redacted {
        0 => String::new(),
        n => format!("; {n} value(s) under sensitive names were already redacted at import"),
    };
    if suspects.is_empty() {
        return Outcome::compliant(format!(
            "none of the {} environment variable(s) holds a secret-looking value{redacted_note}",
            variables.len()
        ));
    }
    let listed: Vec<String> = suspects
        .iter()
        .map(|(name, s)| {
            format!(
                "`{name}` ({} characters, {:.2} bits/character)",
                s.length, s.entropy
            )
        })
        .collect();
    let mut outcome = Outcome::non_compliant(format!(
        "{} environment variable(s) hold values that look like secrets: {}{redacted_note}",
        suspects.len(),
        listed.join(", ")
    ));
    for (name, s) in suspects {
        outcome = outcome.evidence(
            variable_path(name),
            json!({"length": s.length, "entropyBitsPerCharacter": rounded(s.entropy)}),
        );
    }
    outcome
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ward_plugin_sdk::Status;

    const T: Thresholds = Thresholds {
        min_length: 20,
        min_entropy: 4.2,
        min_hex_entropy: 3.0,
    };

    fn lambda(variables: Value) -> Resource {
        Resource {
            resource_type: "AWS::Lambda::Function".into(),
            id: "f".into(),
            json: json!({"configuration": {"environment": {"variables": variables}}}),
        }
    }

    #[test]
    fn random_values_are_suspects_words_and_urls_are_not() {
        assert!(suspect("LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE", &T).is_some());
        assert!(suspect("a0681d6156b2c4b870b56c05f20f2b86", &T).is_some());
        for ordinary in [
            "riverside-clinical-documents-111122223333",
            "https://api.smsprovider.example/v2/callbacks",
            "com.riverside.intake.handler",
            "arn:aws:sns:us-east-1:111122223333:appointments",
            "production",
            "[REDACTED:password]",
        ] {
            assert_eq!(suspect(ordinary, &T), None, "{ordinary}");
        }
    }

    #[test]
    fn never_repeats_the_value() {
        let secret = "LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE";
        let out = evaluate(
            &lambda(json!({"APP_CONFIG": secret, "DB_PASSWORD": "[REDACTED:password]"})),
            &T,
        );
        assert_eq!(out.status, Status::NonCompliant);
        assert!(out.message.contains("`APP_CONFIG`"), "{}", out.message);
        assert!(out.message.contains("already redacted"), "{}", out.message);
        assert!(!out.message.contains(secret));
        let evidence = format!("{:?}", out.evidence);
        assert!(!evidence.contains(secret));
        assert_eq!(out.evidence[0].0, "configuration.environment.variables.APP_CONFIG");
    }

    #[test]
    fn ordinary_values_comply_and_no_variables_is_not_applicable() {
        let out = evaluate(&lambda(json!({"OUTPUT_BUCKET": "riverside-docs"})), &T);
        assert_eq!(out.status, Status::Compliant);
        assert_eq!(evaluate(&lambda(json!({})), &T).status, Status::NotApplicable);
        let unrecorded = Resource {
            resource_type: "AWS::Lambda::Function".into(),
            id: "f".into(),
            json: json!({"configuration": null}),
        };
        assert_eq!(evaluate(&unrecorded, &T).status, Status::NonCompliant);
    }

    #[test]
    fn odd_names_get_a_quoted_path() {
        assert_eq!(
            variable_path("my.var"),
            "configuration.environment.variables[\"my.var\"]"
        );
    }
}
