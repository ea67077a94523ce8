//! Secret redaction: every imported resource passes through [`redact_resource`] before it
//! enters the inventory, so a credential in a configuration item never reaches a finding,
//! its evidence, a message, a report or a bundle. A secret value is replaced by a fixed
//! marker, `[REDACTED:KIND]`, and a [`Redaction`] records where it was and what kind it
//! looked like, never the value. `docs/redaction.md` is the user-facing description.
//!
//! Three kinds of detection, applied to `configuration`, `supplementaryConfiguration` and tag
//! values:
//!
//! 1. **Environment-variable-like pairs**, whose names are chosen by people: Lambda
//!    `environment.variables`, `{name, value}` lists (CodeBuild, ECS, Batch; a pair with a
//!    `type` other than `PLAINTEXT` holds a reference and is kept), Elastic Beanstalk option
//!    settings (map or list form). When the NAME looks sensitive ([`env_name_kind`]) the
//!    whole value is replaced, unless it is a reference (an ARN, `{{resolve:...}}`, `$VAR`),
//!    a boolean or empty. Names are never redacted.
//! 2. **Fields named by AWS**: a string under a key whose last word is `password`
//!    (`masterUserPassword`, `kdcAdminPassword`), and a high-entropy string under a key
//!    naming a secret, token or key (`sessionToken`, `clientSecret`); `userData` is decoded
//!    from base64 (and gunzipped, within bounds, when compressed) and replaced whole (kind
//!    `user-data`) when it holds any secret, or (kind `user-data-unreadable`) when it is
//!    compressed and cannot be read back within the bounds.
//! 3. **Patterns, anywhere**: private key blocks, AWS access key ids and secret access keys,
//!    JWTs, bearer and basic credentials, GitHub / GitLab / Slack / Stripe / Google tokens,
//!    the password of a `scheme://user:PASSWORD@host` URL and of a `Password=...` pair. Only
//!    the secret part of the string is replaced.
//!
//! Redaction is idempotent: a marker never matches a detector, so importing a Ward inventory
//! written from a redacted run records nothing new.

use std::ops::Range;
use std::sync::LazyLock;

use base64::Engine as _;
use regex::Regex;
use ward_model::{Json, Object, Redaction, Resource};

/// Every marker starts with this; a string that does is never redacted again.
pub const MARKER_PREFIX: &str = "[REDACTED:";

/// The marker that replaces a secret of `kind`.
pub fn marker(kind: &str) -> String {
    format!("{MARKER_PREFIX}{kind}]")
}

/// Replaces every secret in the resource's configuration, supplementary configuration and
/// tag values by its marker, and returns where (sorted, one record per path and kind).
pub fn redact_resource(resource: &mut Resource) -> Vec<Redaction> {
    let mut r = Redactor {
        resource_type: resource.resource_type.clone(),
        resource_id: resource.resource_id.clone(),
        found: Vec::new(),
    };
    let mut path = String::from("configuration");
    r.walk(&mut resource.configuration, &mut path, None);
    for (key, value) in resource.supplementary_configuration.iter_mut() {
        let mut path = join_key("supplementaryConfiguration", key);
        r.walk(value, &mut path, Some(key));
    }
    for (key, value) in resource.tags.iter_mut() {
        let path = join_key("tags", key);
        if let Some(redacted) = r.field_string(value, &path, Some(key)) {
            *value = redacted;
        }
    }
    let mut found = r.found;
    found.sort();
    found.dedup();
    found
}

struct Redactor {
    resource_type: String,
    resource_id: String,
    found: Vec<Redaction>,
}

/// Puts `redacted`, when there is one, in place of the string `value`.
fn replace(value: &mut Box<str>, redacted: Option<String>) {
    if let Some(redacted) = redacted {
        *value = redacted.into_boxed_str();
    }
}

impl Redactor {
    fn record(&mut self, path: &str, kind: &str) {
        self.found.push(Redaction {
            resource_type: self.resource_type.clone(),
            resource_id: self.resource_id.clone(),
            path: path.to_string(),
            kind: kind.to_string(),
        });
    }

    /// Walks `value`, found at `path`: one path buffer for the whole walk, each child's
    /// segment appended and taken off again, so no path string is built per node.
    fn walk(&mut self, value: &mut Json, path: &mut String, key: Option<&str>) {
        match value {
            Json::Object(map) => {
                self.env_like(map, path, key);
                for (k, v) in map.iter_mut() {
                    let len = path.len();
                    push_key(path, k);
                    self.walk(v, path, Some(k));
                    path.truncate(len);
                }
            }
            Json::Array(items) => {
                for (i, v) in items.iter_mut().enumerate() {
                    let len = path.len();
                    path.push('[');
                    path.push_str(&i.to_string());
                    path.push(']');
                    self.walk(v, path, key);
                    path.truncate(len);
                }
            }
            Json::String(s) => {
                let redacted = self.field_string(s, path, key);
                replace(s, redacted);
            }
            _ => {}
        }
    }

    /// Environment-variable-like places in `map` (reached at `path` under `key`): values
    /// whose people-chosen names look sensitive are replaced whole.
    fn env_like(&mut self, map: &mut Object, path: &str, key: Option<&str>) {
        let facts = key.map(key_facts).unwrap_or_default();
        // Lambda: environment.variables is a map of name -> value.
        if facts.variables {
            for (name, value) in map.iter_mut() {
                if let Json::String(s) = value {
                    let child = join_key(path, name);
                    let redacted = self.env_value(s, &child, name);
                    replace(s, redacted);
                }
            }
        }
        // Elastic Beanstalk (Config item): optionSettings is namespace -> option -> {value}.
        if facts.option_settings {
            for (namespace, options) in map.iter_mut() {
                let Json::Object(options) = options else {
                    continue;
                };
                let ns_path = join_key(path, namespace);
                for (option, setting) in options.iter_mut() {
                    let Json::Object(setting) = setting else {
                        continue;
                    };
                    let Some((value_key, _)) = ci_get(setting, "value") else {
                        continue;
                    };
                    let value_key = value_key.to_string();
                    if let Some(Json::String(s)) = setting.get_mut(&value_key) {
                        let child = join_key(&join_key(&ns_path, option), &value_key);
                        let redacted = self.env_value(s, &child, option);
                        replace(s, redacted);
                    }
                }
            }
        }
        // CodeBuild / ECS / Batch {name, value[, type]}; Elastic Beanstalk {optionName, value}.
        let name = ci_get(map, "name")
            .or_else(|| ci_get(map, "optionname"))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_string);
        let Some(name) = name else {
            return;
        };
        if let Some((_, Json::String(kind))) = ci_get(map, "type")
            && !kind.eq_ignore_ascii_case("PLAINTEXT")
        {
            // SECRETS_MANAGER / PARAMETER_STORE: the value is a reference.
            return;
        }
        let Some((value_key, _)) = ci_get(map, "value") else {
            return;
        };
        let value_key = value_key.to_string();
        if let Some(Json::String(s)) = map.get_mut(&value_key) {
            let child = join_key(path, &value_key);
            let redacted = self.env_value(s, &child, &name);
            replace(s, redacted);
        }
    }

    /// The value of an environment variable (or option) called `name`: what replaces it
    /// when it is a secret.
    fn env_value(&mut self, value: &str, path: &str, name: &str) -> Option<String> {
        if is_reference_or_trivial(value) {
            return None;
        }
        match env_name_kind(name) {
            // A connection string keeps its host and database; only its password goes
            // (pattern detection, below).
            Some("connection-string") | None => None,
            Some(kind) => {
                self.record(path, kind);
                Some(marker(kind))
            }
        }
    }

    /// Any string: the rules for fields named by AWS, then the patterns. What replaces it
    /// when it holds a secret.
    fn field_string(&mut self, value: &str, path: &str, key: Option<&str>) -> Option<String> {
        if value.starts_with(MARKER_PREFIX) {
            return None;
        }
        let facts = key.map(key_facts).unwrap_or_default();
        if facts.user_data {
            let kind = match user_data_has_secret(value) {
                UserData::Clean => return None,
                UserData::Secret => "user-data",
                UserData::Unreadable => "user-data-unreadable",
            };
            self.record(path, kind);
            return Some(marker(kind));
        }
        let hits = find_secrets(value);
        if hits.is_empty() {
            // No known pattern: the field's name may still say it holds a secret.
            if let Some(kind) = facts.field_kind
                && !is_reference_or_trivial(value)
                && (kind == "password" || is_high_entropy(value))
            {
                self.record(path, kind);
                return Some(marker(kind));
            }
            return None;
        }
        let mut kinds: Vec<&'static str> = hits.iter().map(|(_, k)| *k).collect();
        let redacted = replace_ranges(value, &hits);
        kinds.sort_unstable();
        kinds.dedup();
        for kind in kinds {
            self.record(path, kind);
        }
        Some(redacted)
    }
}

/// What redaction needs to know of a key: the same for every value under it.
#[derive(Debug, Clone, Copy, Default)]
struct KeyFacts {
    /// `UserData`, `userData`, `user_data`.
    user_data: bool,
    /// `variables` (Lambda's environment).
    variables: bool,
    /// `optionSettings` (Elastic Beanstalk).
    option_settings: bool,
    /// What a value under this name holds when the name alone says ([`field_name_kind`]).
    field_kind: Option<&'static str>,
}

/// How many keys each thread remembers; names are few (AWS's field names) but tag keys and
/// map keys are chosen by people and need not be.
const KEY_FACTS_CACHED: usize = 4096;

thread_local! {
    static KEY_FACTS: std::cell::RefCell<std::collections::HashMap<String, KeyFacts>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// The facts of a key, worked out once per thread (up to [`KEY_FACTS_CACHED`] keys).
fn key_facts(key: &str) -> KeyFacts {
    if let Some(facts) = KEY_FACTS.with(|cache| cache.borrow().get(key).copied()) {
        return facts;
    }
    let name = normalized(key);
    let facts = KeyFacts {
        user_data: name == "userdata",
        variables: name == "variables",
        option_settings: name == "optionsettings",
        field_kind: field_name_kind(key),
    };
    KEY_FACTS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() < KEY_FACTS_CACHED {
            cache.insert(key.to_string(), facts);
        }
    });
    facts
}

/// `path.key`, or `path["key"]` when the key is not a plain identifier.
fn join_key(path: &str, key: &str) -> String {
    let mut out = path.to_string();
    push_key(&mut out, key);
    out
}

/// Appends `.key`, or `["key"]` when the key is not a plain identifier.
fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        let quoted = serde_json::to_string(key).unwrap_or_else(|_| format!("\"{key}\""));
        path.push('[');
        path.push_str(&quoted);
        path.push(']');
    }
}

/// Case-insensitive lookup of a key (`Name`, `name`), returning the key as spelled.
fn ci_get<'a>(map: &'a Object, key: &str) -> Option<(&'a str, &'a Json)> {
    map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key))
}

/// Lowercase, letters and digits only: `DB_Password` -> `dbpassword`.
fn normalized(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The lowercase words of a name: `masterUserPassword` -> master, user, password;
/// `AWS_SECRET_ACCESS_KEY` -> aws, secret, access, key; `APIKey` -> api, key.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            continue;
        }
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        let boundary = c.is_ascii_uppercase()
            && prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
            });
        if boundary && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

const PASSWORD_WORDS: &[&str] = &["password", "passwd", "pwd", "passphrase", "pass"];

/// Last words that make a name describe a secret rather than hold it: `SECRET_ARN`,
/// `TOKEN_TTL`, `passwordLastUsed`, `authTokenStatus`, `DB_AUTH_USER`.
const NOT_SECRET_LAST_WORDS: &[&str] = &[
    "arn",
    "arns",
    "name",
    "names",
    "path",
    "file",
    "dir",
    "ttl",
    "enabled",
    "enable",
    "disabled",
    "status",
    "state",
    "type",
    "date",
    "time",
    "timestamp",
    "timeout",
    "length",
    "age",
    "expiry",
    "expiration",
    "expires",
    "rotation",
    "region",
    "version",
    "url",
    "uri",
    "endpoint",
    "host",
    "hostname",
    "port",
    "header",
    "policy",
    "location",
    "used",
    "changed",
    "count",
    "user",
    "username",
    "login",
    "required",
    "prevention",
    "mode",
    "rotated",
    "modified",
    "created",
    "updated",
    "active",
    "service",
];

/// Words that make a name describe a secret's metadata wherever they stand:
/// `accessKey1LastRotated`, `accessKey1LastUsedRegion`, `PasswordNextRotation`.
const METADATA_WORDS: &[&str] = &[
    "last", "next", "previous", "min", "max", "minimum", "maximum",
];

/// Token-named fields AWS uses for idempotency and paging, not for authentication.
const NOT_SECRET_NAMES: &[&str] = &[
    "clienttoken",
    "creationtoken",
    "nexttoken",
    "idempotencytoken",
    "httptokens",
    "httptoken",
    "secretsmanager",
];

/// The kind of secret a name announces, from its words; `None` for a name that holds none.
fn name_kind(words: &[String], env: bool) -> Option<&'static str> {
    let last = words.last()?;
    if NOT_SECRET_LAST_WORDS.contains(&last.as_str())
        || words.iter().any(|w| METADATA_WORDS.contains(&w.as_str()))
    {
        return None;
    }
    let joined = words.concat();
    if NOT_SECRET_NAMES.contains(&joined.as_str()) {
        return None;
    }
    let has = |w: &str| words.iter().any(|x| x == w);
    if joined.contains("secretaccesskey") {
        return Some("aws-secret-access-key");
    }
    if words.iter().any(|w| PASSWORD_WORDS.contains(&w.as_str())) || joined.contains("password") {
        return Some("password");
    }
    if joined.contains("privatekey") {
        return Some("private-key");
    }
    if joined.contains("apikey") {
        return Some("api-key");
    }
    if joined.contains("accesskey") {
        return Some("access-key");
    }
    if ["secretkey", "signingkey", "encryptionkey", "masterkey"]
        .iter()
        .any(|k| joined.contains(k))
    {
        return Some("secret-key");
    }
    if joined.contains("secret") {
        return Some("secret");
    }
    if joined.contains("token") {
        return Some("token");
    }
    if joined.contains("credential") || has("creds") || has("cred") {
        return Some("credential");
    }
    if has("auth") || has("authorization") {
        return Some("auth");
    }
    if has("dsn") || has("connstr") || joined.contains("connectionstring") {
        return Some("connection-string");
    }
    if env && last == "key" {
        return Some("key");
    }
    None
}

/// The kind of secret an environment variable (or option) name announces.
pub(crate) fn env_name_kind(name: &str) -> Option<&'static str> {
    name_kind(&words(name), true)
}

/// The kind of secret a field named by AWS holds: `password` when its last word is a
/// password word (any value is then a secret), else a secret/token/key kind (the value must
/// also look random, see [`is_high_entropy`]).
fn field_name_kind(name: &str) -> Option<&'static str> {
    let words = words(name);
    let last = words.last()?;
    if PASSWORD_WORDS.contains(&last.as_str()) && last != "pass" {
        return Some("password");
    }
    match name_kind(&words, false) {
        Some("password" | "connection-string" | "auth") | None => None,
        other => other,
    }
}

/// Values that are not secrets whatever their name says: empty, booleans, ARNs, CloudFormation
/// dynamic references, shell and template variables, KMS aliases, masks and markers.
fn is_reference_or_trivial(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    v.is_empty()
        || [
            "true", "false", "yes", "no", "on", "off", "null", "none", "enabled", "disabled",
        ]
        .contains(&lower.as_str())
        || lower.starts_with("arn:")
        || v.starts_with("{{resolve:")
        || v.starts_with("${")
        || v.starts_with("$(")
        || (v.starts_with('$')
            && v.len() > 1
            && v.chars()
                .skip(1)
                .all(|c| c.is_ascii_alphanumeric() || c == '_'))
        || lower.starts_with("alias/")
        || v.chars().all(|c| c == '*')
        || v.starts_with(MARKER_PREFIX)
}

/// Shannon entropy in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let total = n as f64;
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / total;
            -p * p.log2()
        })
        .sum()
}

/// A value that looks randomly generated: at least 16 characters with no spaces, mixing
/// letters and digits (or cases), at least 3 bits of entropy per character.
pub(crate) fn is_high_entropy(value: &str) -> bool {
    let v = value.trim();
    if v.chars().count() < 16 || v.chars().any(char::is_whitespace) || looks_like_time(v) {
        return false;
    }
    let lower = v.chars().any(|c| c.is_ascii_lowercase());
    let upper = v.chars().any(|c| c.is_ascii_uppercase());
    let digit = v.chars().any(|c| c.is_ascii_digit());
    let classes = [lower, upper, digit].iter().filter(|b| **b).count();
    classes >= 2 && entropy(v) >= 3.0
}

/// `2024-01-15...`: a date or time, never a secret.
fn looks_like_time(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 10
        && b.iter().take(4).all(u8::is_ascii_digit)
        && b.get(4) == Some(&b'-')
        && b.get(5..7)
            .is_some_and(|m| m.iter().all(u8::is_ascii_digit))
        && b.get(7) == Some(&b'-')
}

/// One pattern detector: the regex, the capture group holding the secret (0: the match),
/// and the kind it records.
struct Detector {
    regex: Regex,
    group: usize,
    kind: &'static str,
}

fn detector(pattern: &str, group: usize, kind: &'static str) -> Option<Detector> {
    Regex::new(pattern)
        .ok()
        .map(|regex| Detector { regex, group, kind })
}

static DETECTORS: LazyLock<Vec<Detector>> = LazyLock::new(|| {
    [
        detector(
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\z)",
            0,
            "private-key",
        ),
        detector(
            r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b",
            1,
            "aws-access-key-id",
        ),
        detector(
            r#"(?i)(?:aws)?_?secret_?(?:access)?_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?:[^A-Za-z0-9/+=]|\z)"#,
            1,
            "aws-secret-access-key",
        ),
        detector(
            r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
            0,
            "jwt",
        ),
        detector(
            r"(?i)\bbearer\s+([A-Za-z0-9._~+/-]{16,}=*)",
            1,
            "bearer-token",
        ),
        detector(
            r#"(?i)\bauthorization["']?\s*[:=]\s*["']?basic\s+([A-Za-z0-9+/]{8,}={0,2})"#,
            1,
            "basic-auth",
        ),
        detector(r"\b(gh[pousr]_[A-Za-z0-9]{36,255})\b", 1, "github-token"),
        detector(r"\b(github_pat_[A-Za-z0-9_]{22,255})\b", 1, "github-token"),
        detector(r"\b(glpat-[A-Za-z0-9_-]{20,})", 1, "gitlab-token"),
        detector(r"\b(xox[abposr]-[A-Za-z0-9-]{10,})", 1, "slack-token"),
        detector(
            r"hooks\.slack\.com/services/([A-Za-z0-9_/]+)",
            1,
            "slack-webhook",
        ),
        detector(
            r"\b((?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,})\b",
            1,
            "stripe-key",
        ),
        detector(r"\b(AIza[0-9A-Za-z_-]{35})", 1, "google-api-key"),
        // scheme://user:PASSWORD@host: only the password.
        detector(
            r"\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:([^@\s/]+)@",
            1,
            "password",
        ),
        // Password=...; in a connection string, password: ... in a script or YAML.
        detector(
            r#"(?i)\b[a-z0-9_.-]*(?:password|passwd|pwd|passphrase)["']?\s*[=:]\s*["']?([^\s;"'&,}]+)"#,
            1,
            "password",
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
});

/// All detectors' patterns in one set, to skip the strings (most of them) none can match.
static DETECTOR_SET: LazyLock<Option<regex::RegexSet>> =
    LazyLock::new(|| regex::RegexSet::new(DETECTORS.iter().map(|d| d.regex.as_str())).ok());

/// `NAME=VALUE` / `NAME: VALUE` / `"NAME": "VALUE"` with a secret-looking name and a random
/// value, in free text (scripts, JSON kept as a string, YAML).
static NAMED_VALUE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"\b([A-Za-z0-9_.-]*[A-Za-z0-9])["']?\s*[=:]\s*["']?([A-Za-z0-9/+_.~=-]{16,})"#)
        .ok()
});

/// A standalone 40-character base64 word: an AWS secret access key when an access key id is
/// in the same string.
static BASE64_40: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|\z)").ok()
});

/// The byte ranges of the secrets in `text`, with their kinds, sorted and not overlapping.
pub(crate) fn find_secrets(text: &str) -> Vec<(Range<usize>, &'static str)> {
    // An ARN names a resource; it holds no secret (and its `secret:` segments are not one).
    if text.trim_start().starts_with("arn:") {
        return Vec::new();
    }
    let mut hits: Vec<(Range<usize>, &'static str)> = Vec::new();
    // One pass of the combined set tells which detectors can match at all.
    let candidates: Vec<&Detector> = match DETECTOR_SET.as_ref() {
        Some(set) => set
            .matches(text)
            .iter()
            .filter_map(|i| DETECTORS.get(i))
            .collect(),
        None => DETECTORS.iter().collect(),
    };
    for d in candidates {
        for caps in d.regex.captures_iter(text) {
            if let Some(m) = caps.get(d.group)
                && keep_hit(d.kind, m.as_str())
            {
                hits.push((m.range(), d.kind));
            }
        }
    }
    let has_key_id = hits.iter().any(|(_, k)| *k == "aws-access-key-id");
    if has_key_id && let Some(re) = BASE64_40.as_ref() {
        for caps in re.captures_iter(text) {
            if let Some(m) = caps.get(1) {
                let s = m.as_str();
                if s.chars().any(|c| c.is_ascii_lowercase())
                    && s.chars().any(|c| c.is_ascii_uppercase())
                {
                    hits.push((m.range(), "aws-secret-access-key"));
                }
            }
        }
    }
    if let Some(re) = NAMED_VALUE.as_ref() {
        for caps in re.captures_iter(text) {
            if let (Some(name), Some(value)) = (caps.get(1), caps.get(2))
                // `arn:...:secret:NAME`, `secretsmanager:Action`: a segment, not a name.
                && !text.get(..name.start()).is_some_and(|b| b.ends_with(':'))
                && value.as_str().chars().any(|c| c.is_ascii_digit())
                && value.as_str().chars().any(|c| c.is_ascii_alphabetic())
                && let Some(kind) = name_kind(&words(name.as_str()), false)
                && kind != "password"
                && is_high_entropy(value.as_str())
                && !is_reference_or_trivial(value.as_str())
            {
                hits.push((value.range(), kind));
            }
        }
    }
    hits.sort_by_key(|(r, _)| (r.start, std::cmp::Reverse(r.end)));
    let mut out: Vec<(Range<usize>, &'static str)> = Vec::new();
    for (range, kind) in hits {
        match out.last_mut() {
            Some((last, _)) if range.start < last.end => {
                last.end = last.end.max(range.end);
            }
            _ => out.push((range, kind)),
        }
    }
    out
}

/// A pattern hit that is not a secret after all: a marker, a variable, a boolean.
fn keep_hit(kind: &str, secret: &str) -> bool {
    if secret.starts_with(MARKER_PREFIX) || secret.starts_with('[') {
        return false;
    }
    if kind == "password" {
        return !is_reference_or_trivial(secret) && !secret.starts_with('%');
    }
    true
}

/// `text` with each range replaced by its kind's marker.
/// The text of a JSON file as a diagnostic may show it: every byte inside a string value
/// (not a key) made `*`, so the shape, the keys, the punctuation and the numbers around an
/// error stay and no value does. Byte offsets are kept (one `*` per byte), so a span into
/// the text still points at the same place. For files that did not parse, where no value
/// has been through redaction.
pub fn mask_json_string_values(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i) != Some(&b'"') {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        let mut escaped = false;
        while let Some(&b) = bytes.get(end) {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' || b == b'\n' {
                break;
            }
            end += 1;
        }
        let after = bytes
            .get(end + 1..)
            .and_then(|rest| rest.iter().find(|b| !b.is_ascii_whitespace()));
        let is_key = bytes.get(end) == Some(&b'"') && after == Some(&b':');
        if !is_key && let Some(content) = out.get_mut(start..end) {
            content.fill(b'*');
        }
        i = end + 1;
    }
    // Only ASCII bytes replaced whole runs of bytes between quotes: still UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn replace_ranges(text: &str, hits: &[(Range<usize>, &'static str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, kind) in hits {
        if let Some(before) = text.get(at..range.start) {
            out.push_str(before);
        }
        out.push_str(&marker(kind));
        at = range.end;
    }
    if let Some(rest) = text.get(at..) {
        out.push_str(rest);
    }
    out
}

/// `NAME=VALUE` assignments at the start of a line (`export DB_PASSWORD=...`,
/// `api_key: ...`): a secret when NAME looks sensitive and VALUE is not a reference.
static ASSIGNMENT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?m)^\s*(?:export\s+|set\s+|setx\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*["']?([^\s"']+)"#)
        .ok()
});

/// The most bytes gzip-compressed user data may expand to (EC2 takes 16 KB of user data;
/// this leaves room for any real script and none for a zip bomb).
const USER_DATA_MAX_EXPANDED: u64 = 1 << 20;
/// The most it may expand by, against its compressed size.
const USER_DATA_MAX_RATIO: u64 = 200;

/// What EC2 user data holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UserData {
    Clean,
    Secret,
    /// Compressed data that could not be read back within the bounds: it may hold anything.
    Unreadable,
}

/// EC2 user data (base64 or plain; a gzip-compressed script, as cloud-init accepts, read
/// back within bounds): whether the script holds a secret.
fn user_data_has_secret(value: &str) -> UserData {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok();
    let mut texts = vec![value.to_string()];
    if let Some(bytes) = decoded {
        if bytes.starts_with(&[0x1f, 0x8b]) {
            match gunzip_bounded(&bytes) {
                Some(script) => texts.push(String::from_utf8_lossy(&script).into_owned()),
                None => return UserData::Unreadable,
            }
        } else {
            texts.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    if texts.iter().any(|text| text_has_secret(text)) {
        UserData::Secret
    } else {
        UserData::Clean
    }
}

/// `bytes` gunzipped, or `None` when they are not gzip or expand past the bounds.
fn gunzip_bounded(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read as _;
    let limit =
        USER_DATA_MAX_EXPANDED.min((bytes.len() as u64).saturating_mul(USER_DATA_MAX_RATIO));
    let mut out = Vec::new();
    let mut reader = flate2::read::MultiGzDecoder::new(bytes).take(limit + 1);
    reader.read_to_end(&mut out).ok()?;
    (out.len() as u64 <= limit).then_some(out)
}

fn text_has_secret(text: &str) -> bool {
    if !find_secrets(text).is_empty() {
        return true;
    }
    ASSIGNMENT.as_ref().is_some_and(|re| {
        re.captures_iter(text).any(|caps| {
            matches!((caps.get(1), caps.get(2)), (Some(name), Some(value))
                if env_name_kind(name.as_str()).is_some_and(|k| k != "connection-string")
                    && !is_reference_or_trivial(value.as_str()))
        })
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn resource(resource_type: &str, configuration: Value) -> Resource {
        let mut r = Resource::new(resource_type.to_string(), "r-1".to_string());
        r.configuration = configuration.into();
        r
    }

    fn paths(found: &[Redaction]) -> Vec<(String, String)> {
        found
            .iter()
            .map(|r| (r.path.clone(), r.kind.clone()))
            .collect()
    }

    fn redacted_text(text: &str) -> String {
        replace_ranges(text, &find_secrets(text))
    }

    #[test]
    fn words_split_names() {
        assert_eq!(words("masterUserPassword"), ["master", "user", "password"]);
        assert_eq!(
            words("AWS_SECRET_ACCESS_KEY"),
            ["aws", "secret", "access", "key"]
        );
        assert_eq!(words("APIKey"), ["api", "key"]);
        assert_eq!(words("db-conn.str"), ["db", "conn", "str"]);
    }

    #[test]
    fn sensitive_env_names() {
        for (name, kind) in [
            ("DB_PASSWORD", "password"),
            ("PGPASSWORD", "password"),
            ("mysql_pwd", "password"),
            ("SMTP_PASS", "password"),
            ("AWS_SECRET_ACCESS_KEY", "aws-secret-access-key"),
            ("AWS_ACCESS_KEY_ID", "access-key"),
            ("STRIPE_API_KEY", "api-key"),
            ("apiKey", "api-key"),
            ("JWT_PRIVATE_KEY", "private-key"),
            ("CLIENT_SECRET", "secret"),
            ("SONAR_TOKEN", "token"),
            ("GithubAccessToken", "token"),
            ("GOOGLE_CREDENTIALS", "credential"),
            ("BASIC_AUTH", "auth"),
            ("SENTRY_DSN", "connection-string"),
            ("DB_CONNECTION_STRING", "connection-string"),
            ("ENCRYPTION_KEY", "secret-key"),
            ("LICENSE_KEY", "key"),
        ] {
            assert_eq!(env_name_kind(name), Some(kind), "{name}");
        }
    }

    #[test]
    fn harmless_env_names() {
        for name in [
            "OUTPUT_BUCKET",
            "DEPLOY_BUCKET",
            "LOG_LEVEL",
            "DB_SECRET_ARN",
            "TOKEN_TTL",
            "AUTHOR",
            "BYPASS_CACHE",
            "PASSWORD_MIN_LENGTH",
            "DB_AUTH_USER",
            "KMS_KEY_ARN",
            "AUTH_URL",
            "REGION",
        ] {
            assert_eq!(env_name_kind(name), None, "{name}");
        }
    }

    #[test]
    fn aws_field_names() {
        assert_eq!(field_name_kind("masterUserPassword"), Some("password"));
        assert_eq!(field_name_kind("kdcAdminPassword"), Some("password"));
        assert_eq!(field_name_kind("sessionToken"), Some("token"));
        assert_eq!(field_name_kind("clientSecret"), Some("secret"));
        for name in [
            "passwordLastUsed",
            "passwordEnabled",
            "minimumPasswordLength",
            "clientToken",
            "creationToken",
            "httpTokens",
            "authTokenStatus",
            "authTokenEnabled",
            "secretArn",
            "tdeCredentialArn",
            "kmsKeyId",
            "keyName",
            "configurationStateMd5Hash",
            "masterUsername",
            "accessKey1LastRotated",
            "accessKey2LastUsedDate",
            "accessKey1LastUsedRegion",
            "accessKey1Active",
            "passwordNextRotation",
        ] {
            assert_eq!(field_name_kind(name), None, "{name}");
        }
    }

    #[test]
    fn entropy_tells_random_from_words() {
        assert!(is_high_entropy("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
        assert!(is_high_entropy("9f8a7b6c5d4e3f2a1b0c"));
        assert!(!is_high_entropy("required"));
        assert!(!is_high_entropy("this is a sentence with words"));
        assert!(!is_high_entropy("aaaaaaaaaaaaaaaaaaaaaaaa1"));
        assert!(!is_high_entropy("2024-01-15T10:00:00+00:00"));
    }

    #[test]
    fn private_keys() {
        let pem =
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----";
        assert_eq!(redacted_text(pem), "[REDACTED:private-key]");
        let with_cert =
            format!("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n{pem}\n");
        let out = redacted_text(&with_cert);
        assert!(out.contains("BEGIN CERTIFICATE"));
        assert!(out.contains("[REDACTED:private-key]"));
        assert!(!out.contains("MIIEow"));
        let open = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk";
        assert_eq!(redacted_text(open), "[REDACTED:private-key]");
        let public = "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----";
        assert!(find_secrets(public).is_empty());
    }

    #[test]
    fn aws_keys() {
        assert_eq!(
            redacted_text("AKIAIOSFODNN7EXAMPLE"),
            "[REDACTED:aws-access-key-id]"
        );
        assert_eq!(
            redacted_text("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
            "aws_secret_access_key = [REDACTED:aws-secret-access-key]\n"
        );
        assert_eq!(
            redacted_text("AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            "[REDACTED:aws-access-key-id]:[REDACTED:aws-secret-access-key]"
        );
        // A 40-character word alone is not a key: git commit hashes, SHA-1 digests.
        for harmless in [
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "AROAEXAMPLEROLEID1234",
            "AIDAJQABLZS4A3QDU576Q",
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:acm:us-east-1:111122223333:certificate/12345678-1234-1234-1234-123456789012",
            "d41d8cd98f00b204e9800998ecf8427e",
        ] {
            assert!(find_secrets(harmless).is_empty(), "{harmless}");
        }
    }

    #[test]
    fn tokens() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(redacted_text(jwt), "[REDACTED:jwt]");
        assert_eq!(
            redacted_text("Authorization: Bearer abcdef0123456789ABCDEF"),
            "Authorization: Bearer [REDACTED:bearer-token]"
        );
        assert_eq!(
            redacted_text("Authorization: Basic dXNlcjpwYXNzd29yZA=="),
            "Authorization: Basic [REDACTED:basic-auth]"
        );
        for (token, kind) in [
            ("ghp_0123456789abcdefghijABCDEFGHIJ012345", "github-token"),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
                "github-token",
            ),
            ("glpat-0123456789abcdefghij", "gitlab-token"),
            ("xoxb-123456789012-abcdefghijkl", "slack-token"),
            ("sk_live_0123456789abcdefABCDEF", "stripe-key"),
            ("AIzaSyA0123456789abcdefghijklmnopqrstuv", "google-api-key"),
        ] {
            assert_eq!(redacted_text(token), marker(kind), "{token}");
        }
        assert_eq!(
            redacted_text("https://hooks.slack.com/services/T000/B000/XXXXXXXX"),
            "https://hooks.slack.com/services/[REDACTED:slack-webhook]"
        );
        for harmless in [
            "bearer token required",
            "github_pat",
            "sk_live_short",
            "xoxb",
        ] {
            assert!(find_secrets(harmless).is_empty(), "{harmless}");
        }
    }

    #[test]
    fn passwords_in_urls_and_connection_strings() {
        assert_eq!(
            redacted_text("postgres://app:s3cr3t-Pa55@db.internal:5432/ehr"),
            "postgres://app:[REDACTED:password]@db.internal:5432/ehr"
        );
        assert_eq!(
            redacted_text("Server=db;Database=ehr;User Id=sa;Password=Hunter2!;"),
            "Server=db;Database=ehr;User Id=sa;Password=[REDACTED:password];"
        );
        assert_eq!(
            redacted_text(r#"{"user":"app","password":"Hunter2"}"#),
            r#"{"user":"app","password":"[REDACTED:password]"}"#
        );
        for harmless in [
            "https://github.com/acme/repo.git",
            "https://token-only@github.com/acme/repo.git",
            "s3://bucket/key",
            "arn:aws:iam::111122223333:policy/PasswordPolicy",
            "passwordEnabled: true",
            "minimumPasswordLength=14",
            "password=$DB_PASSWORD",
            "postgres://app:[REDACTED:password]@db/ehr",
        ] {
            assert!(find_secrets(harmless).is_empty(), "{harmless}");
        }
    }

    #[test]
    fn named_values_in_free_text() {
        assert_eq!(
            redacted_text("export API_TOKEN=9f8a7b6c5d4e3f2a1b0cZZ"),
            "export API_TOKEN=[REDACTED:token]"
        );
        assert!(find_secrets("TOKEN_TTL=3600").is_empty());
        assert!(find_secrets("secretArn: arn:aws:secretsmanager:us-east-1:1:secret:x").is_empty());
    }

    #[test]
    fn lambda_environment_variables() {
        let mut r = resource(
            "AWS::Lambda::Function",
            json!({"environment": {"variables": {
                "DB_PASSWORD": "hunter2",
                "OUTPUT_BUCKET": "ehr-documents",
                "DB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db",
                "DATABASE_URL": "mysql://app:Sup3rS3cret@db:3306/ehr",
                "FEATURE_TOKEN": "true",
                "STRIPE": "sk_live_0123456789abcdefABCDEF",
            }}, "kmsKeyArn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}),
        );
        let found = redact_resource(&mut r);
        let vars = &r.configuration["environment"]["variables"];
        assert_eq!(vars["DB_PASSWORD"], "[REDACTED:password]");
        assert_eq!(vars["OUTPUT_BUCKET"], "ehr-documents");
        assert_eq!(
            vars["DB_SECRET_ARN"],
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:db"
        );
        assert_eq!(
            vars["DATABASE_URL"],
            "mysql://app:[REDACTED:password]@db:3306/ehr"
        );
        assert_eq!(vars["FEATURE_TOKEN"], "true");
        assert_eq!(vars["STRIPE"], "[REDACTED:stripe-key]");
        assert!(
            r.configuration["kmsKeyArn"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:kms")
        );
        assert_eq!(
            paths(&found),
            [
                (
                    "configuration.environment.variables.DATABASE_URL".into(),
                    "password".into()
                ),
                (
                    "configuration.environment.variables.DB_PASSWORD".into(),
                    "password".into()
                ),
                (
                    "configuration.environment.variables.STRIPE".into(),
                    "stripe-key".into()
                ),
            ]
        );
        assert!(
            found
                .iter()
                .all(|f| f.resource_type == "AWS::Lambda::Function" && f.resource_id == "r-1")
        );
    }

    #[test]
    fn codebuild_plaintext_variables_only() {
        let mut r = resource(
            "AWS::CodeBuild::Project",
            json!({"environment": {"environmentVariables": [
                {"name": "AWS_ACCESS_KEY_ID", "value": "AKIAIOSFODNN7EXAMPLE", "type": "PLAINTEXT"},
                {"name": "AWS_SECRET_ACCESS_KEY", "value": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
                {"name": "SONAR_TOKEN", "value": "prod/sonar/token", "type": "SECRETS_MANAGER"},
                {"name": "DB_PASSWORD", "value": "/prod/db/password", "type": "PARAMETER_STORE"},
                {"name": "DEPLOY_BUCKET", "value": "artifacts", "type": "PLAINTEXT"},
            ]}}),
        );
        let found = redact_resource(&mut r);
        let vars = &r.configuration["environment"]["environmentVariables"];
        assert_eq!(vars[0]["value"], "[REDACTED:access-key]");
        assert_eq!(vars[0]["name"], "AWS_ACCESS_KEY_ID");
        assert_eq!(vars[1]["value"], "[REDACTED:aws-secret-access-key]");
        assert_eq!(vars[2]["value"], "prod/sonar/token");
        assert_eq!(vars[3]["value"], "/prod/db/password");
        assert_eq!(vars[4]["value"], "artifacts");
        assert_eq!(
            paths(&found),
            [
                (
                    "configuration.environment.environmentVariables[0].value".into(),
                    "access-key".into()
                ),
                (
                    "configuration.environment.environmentVariables[1].value".into(),
                    "aws-secret-access-key".into()
                ),
            ]
        );
    }

    #[test]
    fn ecs_container_environment() {
        let mut r = resource(
            "AWS::ECS::TaskDefinition",
            json!({"ContainerDefinitions": [{"Name": "web", "Image": "nginx",
                "Environment": [{"Name": "API_KEY", "Value": "k-123"}, {"Name": "MODE", "Value": "prod"}],
                "Secrets": [{"Name": "DB_PASSWORD", "ValueFrom": "arn:aws:ssm:us-east-1:1:parameter/db"}]}]}),
        );
        let found = redact_resource(&mut r);
        let c = &r.configuration["ContainerDefinitions"][0];
        assert_eq!(c["Environment"][0]["Value"], "[REDACTED:api-key]");
        assert_eq!(c["Environment"][1]["Value"], "prod");
        assert_eq!(
            c["Secrets"][0]["ValueFrom"],
            "arn:aws:ssm:us-east-1:1:parameter/db"
        );
        assert_eq!(c["Name"], "web");
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].path,
            "configuration.ContainerDefinitions[0].Environment[0].Value"
        );
    }

    #[test]
    fn elastic_beanstalk_option_settings() {
        let mut r = resource(
            "AWS::ElasticBeanstalk::Environment",
            json!({"optionSettings": {
                "aws:elasticbeanstalk:application:environment": {"RDS_PASSWORD": {"value": "pw1"}, "APP_ENV": {"value": "prod"}},
                "aws:elasticbeanstalk:managedactions": {"ManagedActionsEnabled": {"value": "true"}}
            }}),
        );
        let found = redact_resource(&mut r);
        let ns = &r.configuration["optionSettings"]["aws:elasticbeanstalk:application:environment"];
        assert_eq!(ns["RDS_PASSWORD"]["value"], "[REDACTED:password]");
        assert_eq!(ns["APP_ENV"]["value"], "prod");
        assert_eq!(
            paths(&found),
            [(
                r#"configuration.optionSettings["aws:elasticbeanstalk:application:environment"].RDS_PASSWORD.value"#.into(),
                "password".into()
            )]
        );
        let mut fact = resource(
            "Ward::ElasticBeanstalk::ConfigurationSettings",
            json!({"optionSettings": [
                {"namespace": "aws:elasticbeanstalk:application:environment", "optionName": "SECRET_KEY_BASE", "value": "abc"},
                {"namespace": "aws:elasticbeanstalk:managedactions", "optionName": "ManagedActionsEnabled", "value": "true"}
            ]}),
        );
        let found = redact_resource(&mut fact);
        assert_eq!(
            fact.configuration["optionSettings"][0]["value"],
            "[REDACTED:secret-key]"
        );
        assert_eq!(fact.configuration["optionSettings"][1]["value"], "true");
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn database_passwords() {
        let mut r = resource(
            "AWS::RDS::DBInstance",
            json!({"masterUserPassword": "Hunter2", "masterUsername": "admin",
                   "manageMasterUserPassword": true,
                   "masterUserSecret": {"secretArn": "arn:aws:secretsmanager:us-east-1:1:secret:rds", "secretStatus": "active"},
                   "storageEncrypted": true}),
        );
        let found = redact_resource(&mut r);
        assert_eq!(r.configuration["masterUserPassword"], "[REDACTED:password]");
        assert_eq!(r.configuration["manageMasterUserPassword"], true);
        assert_eq!(
            r.configuration["masterUserSecret"]["secretArn"],
            "arn:aws:secretsmanager:us-east-1:1:secret:rds"
        );
        assert_eq!(found.len(), 1);
        // Config's placeholder for a password it does not record stays.
        let mut r = resource("AWS::RDS::DBCluster", json!({"masterUserPassword": null}));
        assert!(redact_resource(&mut r).is_empty());
        let mut r = resource("AWS::DMS::Endpoint", json!({"password": "****"}));
        assert!(redact_resource(&mut r).is_empty());
    }

    #[test]
    fn user_data() {
        use base64::engine::general_purpose::STANDARD;
        let script = "#!/bin/bash\nexport AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nyum -y update\n";
        let mut r = resource(
            "AWS::EC2::LaunchTemplate",
            json!({"launchTemplateData": {"userData": STANDARD.encode(script)}}),
        );
        let found = redact_resource(&mut r);
        assert_eq!(
            r.configuration["launchTemplateData"]["userData"],
            "[REDACTED:user-data]"
        );
        assert_eq!(
            paths(&found),
            [(
                "configuration.launchTemplateData.userData".into(),
                "user-data".into()
            )]
        );
        let script = "#!/bin/bash\nexport DB_PASSWORD='hunter2'\n";
        let mut r = resource(
            "AWS::EC2::Instance",
            json!({"userData": STANDARD.encode(script)}),
        );
        assert_eq!(redact_resource(&mut r).len(), 1);
        let clean = STANDARD.encode("#!/bin/bash\nyum -y install httpd\nexport DB_SECRET_ARN=arn:aws:secretsmanager:x\nPASSWORD=$(aws ssm get-parameter)\n");
        let mut r = resource("AWS::EC2::Instance", json!({"userData": clean.clone()}));
        assert!(redact_resource(&mut r).is_empty());
        assert_eq!(r.configuration["userData"], clean);
    }

    #[test]
    fn gzip_user_data_is_read_back_within_bounds() {
        use base64::engine::general_purpose::STANDARD;
        use std::io::Write as _;
        let gzip = |data: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        };
        let secret = gzip(b"#!/bin/bash\nexport DB_PASSWORD='Tr0ub4dor&3'\n");
        let mut r = resource(
            "AWS::EC2::Instance",
            json!({"userData": STANDARD.encode(&secret)}),
        );
        assert_eq!(redact_resource(&mut r).len(), 1);
        assert_eq!(r.configuration["userData"], "[REDACTED:user-data]");
        let clean = STANDARD.encode(gzip(b"#!/bin/bash\nyum -y install httpd\n"));
        let mut r = resource("AWS::EC2::Instance", json!({"userData": clean.clone()}));
        assert!(redact_resource(&mut r).is_empty());
        assert_eq!(r.configuration["userData"], clean);
        // A bomb (a megabyte of zeros in a kilobyte) and a broken stream: not read, removed.
        for unreadable in [
            gzip(&vec![0u8; 4 << 20]),
            secret.get(..secret.len() / 2).unwrap().to_vec(),
        ] {
            let mut r = resource(
                "AWS::EC2::Instance",
                json!({"userData": STANDARD.encode(&unreadable)}),
            );
            let found = redact_resource(&mut r);
            assert_eq!(
                r.configuration["userData"],
                "[REDACTED:user-data-unreadable]"
            );
            assert_eq!(
                paths(&found),
                [(
                    "configuration.userData".into(),
                    "user-data-unreadable".into()
                )]
            );
        }
    }

    #[test]
    fn tags_and_supplementary_configuration() {
        let mut r = resource("AWS::S3::Bucket", json!({"name": "b"}));
        r.tags.insert(
            "DeployToken".into(),
            "ghp_0123456789abcdefghijABCDEFGHIJ012345".into(),
        );
        r.tags.insert("DataClassification".into(), "secret".into());
        r.tags.insert("Owner".into(), "team-a".into());
        r.supplementary_configuration.insert(
            "Notes",
            json!({"callback": "https://user:pw0rd@hooks.example.com/x"}),
        );
        let found = redact_resource(&mut r);
        assert_eq!(r.tags["DeployToken"], "[REDACTED:github-token]");
        assert_eq!(r.tags["DataClassification"], "secret");
        assert_eq!(r.tags["Owner"], "team-a");
        assert_eq!(
            r.supplementary_configuration["Notes"]["callback"],
            "https://user:[REDACTED:password]@hooks.example.com/x"
        );
        assert_eq!(
            paths(&found),
            [
                (
                    "supplementaryConfiguration.Notes.callback".into(),
                    "password".into()
                ),
                ("tags.DeployToken".into(), "github-token".into()),
            ]
        );
    }

    #[test]
    fn ids_hashes_and_policies_survive() {
        let config = json!({
            "instanceId": "i-0123456789abcdef0",
            "clientToken": "terraform-20240101120000000000000001",
            "configurationStateMd5Hash": "d41d8cd98f00b204e9800998ecf8427e",
            "kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "certificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/12345678-1234-1234-1234-123456789012",
            "metadataOptions": {"httpTokens": "required"},
            "policyDocument": {"Statement": [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:ListSecretVersionIds"],
                "Resource": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"}]},
            "source": {"type": "GITHUB", "location": "https://github.com/acme/ehr.git"},
        });
        let mut r = resource("AWS::EC2::Instance", config.clone());
        assert!(redact_resource(&mut r).is_empty());
        assert_eq!(r.configuration, config);
    }

    #[test]
    fn credential_report_and_password_policy_survive() {
        let config = json!({
            "user": "backup-agent", "arn": "arn:aws:iam::111122223333:user/backup-agent",
            "passwordEnabled": true, "passwordLastUsed": "2024-01-15T10:00:00+00:00",
            "passwordLastChanged": "2023-06-01T00:00:00+00:00", "passwordNextRotation": "N/A",
            "accessKey1Active": true, "accessKey1LastRotated": "2023-02-03T04:05:06+00:00",
            "accessKey1LastUsedDate": "2024-01-15T10:00:00+00:00",
            "accessKey1LastUsedRegion": "us-east-1", "accessKey1LastUsedService": "s3",
            "minimumPasswordLength": 14, "maxPasswordAge": 90,
        });
        let mut r = resource("Ward::IAM::CredentialReportUser", config.clone());
        assert!(redact_resource(&mut r).is_empty());
        assert_eq!(r.configuration, config);
    }

    #[test]
    fn redaction_is_idempotent() {
        let mut r = resource(
            "AWS::Lambda::Function",
            json!({"environment": {"variables": {"DB_PASSWORD": "x1", "URL": "redis://:p4ss@cache:6379"}}}),
        );
        assert_eq!(redact_resource(&mut r).len(), 2);
        let once = r.configuration.clone();
        assert!(redact_resource(&mut r).is_empty());
        assert_eq!(r.configuration, once);
    }

    #[test]
    fn masked_json_keeps_keys_and_offsets_not_values() {
        let text = "{\"user\": \"h\u{e9}llo \\\"pw\\\"\", \"n\": 12,\n \"broken\": \"AKIAIOSFODNN7EXAMPLE\n}";
        let masked = mask_json_string_values(text);
        assert_eq!(masked.len(), text.len());
        assert!(masked.contains("\"user\": \"*************\""), "{masked}");
        assert!(masked.contains("\"n\": 12"), "{masked}");
        assert!(!masked.contains("AKIA"), "{masked}");
        assert!(
            masked.contains("\"broken\": \"********************\n}"),
            "{masked}"
        );
    }
}
