//! Cedar controls: `.cedar` files, their annotations, scope checks and validation against
//! the generated schema. Every problem of every file is collected as a diagnostic with its
//! file and span; nothing is evaluated while there is one.
//!
//! A file holds one or more controls: the policies sharing an `@id("...")` form one control.
//! Control annotations (on at least one of its policies; equal where repeated):
//! `@title`, `@severity` (info, low, medium, high, critical), `@hipaa` (citations,
//! comma-separated: `@hipaa("164.312(b), 164.308(a)(1)(ii)(D)")`), and optionally
//! `@description`, `@rationale`, `@remediation`, `@mode("least-privilege")`.
//! Policy annotations: `@message("...")`, the finding message when this policy decides it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cedar_policy::{
    ActionConstraint, Policy, PolicyId, PolicySet, ResourceConstraint, ValidationMode, Validator,
};
use miette::Diagnostic;
use ward_diagnostics::{LangDiagnostic, SourceFile, Span, did_you_mean};
use ward_model::Severity;

use crate::reads::AttributeReads;
use crate::schema::WardSchema;

/// Annotations Ward reads; any other is a diagnostic (a typo would lose metadata silently).
pub const ANNOTATIONS: [&str; 12] = [
    "id",
    "title",
    "severity",
    "hipaa",
    "description",
    "rationale",
    "remediation",
    "mode",
    "message",
    "scopeTypes",
    "scopeTag",
    "scopeName",
];

/// Control-level annotations: one value per control.
const CONTROL_ANNOTATIONS: [&str; 10] = [
    "title",
    "severity",
    "hipaa",
    "description",
    "rationale",
    "remediation",
    "mode",
    "scopeTypes",
    "scopeTag",
    "scopeName",
];

/// Which resources a least-privilege control judges access to: by default the PHI-bearing
/// ones (every type the IAM analysis reaches, tagged by the `phiTagKey`/`phiTagValues`
/// convention). `@scopeTypes("AWS::EC2::Instance")` narrows the types, `@scopeTag("environment
/// = prod, production")` changes the tag's default (the parameters still override it), and
/// `@scopeName("production instances")` names them in messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub types: Option<Vec<String>>,
    pub tag: Option<(String, Vec<String>)>,
    pub name: Option<String>,
}

/// How a control's requests are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Principal `Ward::Evaluator`, action `Ward::Action::"comply"` (and `"applies"`), resource
    /// = each resource of the types in scope.
    Resource,
    /// A request per IAM grant on a PHI-bearing resource (partial requests decide many at
    /// once, [`crate::eval::Requests`]): principal = the role or user, action =
    /// `IAM::Action::"service:Action"`, resource = the PHI resource.
    LeastPrivilege,
}

/// What Ward knows about one policy of a control.
#[derive(Debug, Clone)]
pub struct PolicyInfo {
    /// `FILE:LINE` of the policy.
    pub location: String,
    pub effect: &'static str,
    pub message: Option<String>,
    /// The policy's action scope names `Ward::Action::"applies"`.
    pub applies: bool,
}

/// One loaded control.
#[derive(Debug, Clone)]
pub struct CedarControl {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// Shared by the control's findings.
    pub citations: Arc<[String]>,
    pub description: Option<String>,
    pub rationale: Option<String>,
    pub remediation: Option<String>,
    pub mode: Mode,
    /// What a least-privilege control judges access to (default for other modes).
    pub scope: Scope,
    /// The file as named in diagnostics, and the 1-based line of its first policy.
    pub file: String,
    pub line: usize,
    /// The Ward resource types the control evaluates (its resource scope), sorted.
    pub resource_types: Vec<String>,
    pub policies: PolicySet,
    pub info: BTreeMap<PolicyId, PolicyInfo>,
    /// Some policy decides applicability (`Ward::Action::"applies"`).
    pub has_applies: bool,
    /// The configuration keys its policies read.
    pub reads: AttributeReads,
    /// The Cedar entity types its policies name an entity of (`None`: unknown, as when a
    /// policy cannot be read as JSON).
    pub named_types: Option<BTreeSet<String>>,
}

/// A `.cedar` file to load: the name diagnostics show and its text.
#[derive(Debug, Clone)]
pub struct CedarSource {
    pub name: String,
    pub text: String,
}

/// Spans of the top-level policies of a Cedar file, in order (from the first annotation or
/// effect keyword to the closing `;`). Comments and strings are skipped.
pub fn policy_spans(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    let mut start: Option<usize> = None;
    let mut depth = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while bytes.get(i).is_some_and(|c| *c != b'\n') {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                start.get_or_insert(i);
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if c == b'\\' {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    if c == b'"' {
                        break;
                    }
                }
                continue;
            }
            b'(' | b'{' | b'[' => {
                start.get_or_insert(i);
                depth += 1;
            }
            b')' | b'}' | b']' => depth = depth.saturating_sub(1),
            b';' if depth == 0 => {
                if let Some(s) = start.take() {
                    spans.push(Span {
                        start: s,
                        end: i + 1,
                    });
                }
            }
            c if !c.is_ascii_whitespace() => {
                start.get_or_insert(i);
            }
            _ => {}
        }
        i += 1;
    }
    spans
}

fn lang_diag(
    file: &SourceFile,
    span: Span,
    code: &str,
    message: impl Into<String>,
) -> LangDiagnostic {
    LangDiagnostic::new(file, span, code, message)
}

/// A Cedar error (parse or validation) as a Ward diagnostic pointing into `file`.
fn from_cedar(file: &SourceFile, code: &str, e: &dyn Diagnostic, fallback: Span) -> LangDiagnostic {
    let mut label = None;
    let span = e
        .labels()
        .and_then(|mut l| l.next())
        .map(|l| {
            label = l.label().map(str::to_string);
            Span {
                start: l.offset(),
                end: l.offset() + l.len(),
            }
        })
        .unwrap_or(fallback);
    // Cedar names policies `policy0`, `policy1`...: the span says which one it is.
    let text = e.to_string();
    let text = match text.strip_prefix("for policy `") {
        Some(rest) => rest
            .split_once("`, ")
            .map_or(text.clone(), |(_, m)| m.to_string()),
        None => text,
    };
    let mut d = lang_diag(file, span, code, text.clone());
    if let Some(h) = e.help() {
        d = d.with_help(h.to_string());
    }
    if text.contains("policy is impossible") {
        d = d.with_help(
            "a `has` test of an attribute the schema does not declare is always false: check the names against `ward cedar schema`",
        );
    }
    if let Some(l) = label {
        d = d.with_label(l);
    }
    d
}

struct Pending {
    id: String,
    first: (usize, usize),
    annotations: BTreeMap<String, (String, usize)>,
    policies: Vec<(Policy, Span)>,
}

/// Whether [`load`] runs Cedar's validator over the policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    /// Type-check every policy against the schema (user policies).
    Full,
    /// The sources are the built-in pack's, embedded in the binary and validated by its
    /// tests (`ward_run`'s `the_builtin_cedar_controls_validate`): the validator, most of
    /// the time of loading them, is not run again at every start.
    AlreadyValidated,
}

/// Loads, checks and validates Cedar control files. All problems are returned together.
pub fn load(
    sources: &[CedarSource],
    schema: &WardSchema,
    validation: Validation,
) -> Result<Vec<CedarControl>, Vec<LangDiagnostic>> {
    let mut diags = Vec::new();
    let mut controls: Vec<CedarControl> = Vec::new();
    let validator = (validation == Validation::Full).then(|| Validator::new(schema.schema.clone()));
    for source in sources {
        let file = SourceFile::new(
            &source.name,
            source.name.clone(),
            Arc::<str>::from(source.text.as_str()),
        );
        let whole = Span { start: 0, end: 0 };
        let pset: PolicySet = match source.text.parse() {
            Ok(p) => p,
            Err(e) => {
                let e: cedar_policy::ParseErrors = e;
                for err in e.iter() {
                    diags.push(from_cedar(&file, "cedar-syntax", err, whole));
                }
                continue;
            }
        };
        let spans = policy_spans(&source.text);
        let span_of = |id: &PolicyId| -> Span {
            id.to_string()
                .strip_prefix("policy")
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| spans.get(n).copied())
                .unwrap_or(whole)
        };
        if pset.templates().next().is_some() {
            for t in pset.templates() {
                diags.push(
                    lang_diag(
                        &file,
                        span_of(t.id()),
                        "cedar-template",
                        "policy templates are not supported in Ward controls",
                    )
                    .with_help("write a static policy: no `?principal` or `?resource` slots"),
                );
            }
            continue;
        }
        if let Some(validator) = &validator {
            let result = validator.validate(&pset, ValidationMode::Strict);
            for e in result.validation_errors() {
                diags.push(from_cedar(
                    &file,
                    "cedar-validation",
                    e,
                    span_of(e.policy_id()),
                ));
            }
            for w in result.validation_warnings() {
                diags.push(from_cedar(
                    &file,
                    "cedar-validation",
                    w,
                    span_of(w.policy_id()),
                ));
            }
        }
        let mut policies: Vec<&Policy> = pset.policies().collect();
        policies.sort_by_key(|p| span_of(p.id()).start);
        if policies.is_empty() {
            diags.push(lang_diag(
                &file,
                whole,
                "cedar-empty",
                "the file holds no policy",
            ));
            continue;
        }
        let mut pending: Vec<Pending> = Vec::new();
        for p in policies {
            let span = span_of(p.id());
            for (k, _) in p.annotations() {
                if !ANNOTATIONS.contains(&k) {
                    diags.push(
                        lang_diag(
                            &file,
                            span,
                            "cedar-annotation",
                            format!("unknown annotation `@{k}`"),
                        )
                        .with_help(did_you_mean(k, ANNOTATIONS)),
                    );
                }
            }
            let Some(id) = p.annotation("id") else {
                diags.push(
                    lang_diag(&file, span, "cedar-annotation", "the policy has no `@id`")
                        .with_help(
                            "every policy names the control it belongs to: `@id(\"my-control\")`",
                        ),
                );
                continue;
            };
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                diags.push(
                    lang_diag(&file, span, "cedar-annotation", format!("`{id}` is not a control id"))
                        .with_help("control ids are lower-case letters, digits and `-`, like the rule language's"),
                );
                continue;
            }
            let entry = match pending.iter_mut().position(|c| c.id == id) {
                Some(i) => pending.get_mut(i),
                None => {
                    pending.push(Pending {
                        id: id.to_string(),
                        first: file.line_col(span.start),
                        annotations: BTreeMap::new(),
                        policies: Vec::new(),
                    });
                    pending.last_mut()
                }
            };
            let Some(entry) = entry else { continue };
            for key in CONTROL_ANNOTATIONS {
                if let Some(v) = p.annotation(key) {
                    match entry.annotations.get(key) {
                        Some((old, line)) if old != v => diags.push(
                            lang_diag(
                                &file,
                                span,
                                "cedar-annotation",
                                format!(
                                    "`@{key}` of control `{id}` differs from the one on line {line}"
                                ),
                            )
                            .with_help(
                                "give control annotations once, or the same value on every policy",
                            ),
                        ),
                        Some(_) => {}
                        None => {
                            entry.annotations.insert(
                                key.to_string(),
                                (v.to_string(), file.line_col(span.start).0),
                            );
                        }
                    }
                }
            }
            entry.policies.push((p.clone(), span));
        }
        for c in pending {
            match finish(&file, c, schema) {
                Ok(control) => {
                    if let Some(other) = controls.iter().find(|o| o.id == control.id) {
                        diags.push(lang_diag(
                            &file,
                            Span { start: 0, end: 0 },
                            "cedar-duplicate",
                            format!(
                                "control `{}` is also defined in {}:{}",
                                control.id, other.file, other.line
                            ),
                        ));
                    } else {
                        controls.push(control);
                    }
                }
                Err(mut d) => diags.append(&mut d),
            }
        }
    }
    if diags.is_empty() {
        controls.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(controls)
    } else {
        Err(diags)
    }
}

fn finish(
    file: &SourceFile,
    c: Pending,
    schema: &WardSchema,
) -> Result<CedarControl, Vec<LangDiagnostic>> {
    let mut diags = Vec::new();
    let first_span = c
        .policies
        .first()
        .map(|(_, s)| *s)
        .unwrap_or(Span { start: 0, end: 0 });
    let get = |k: &str| c.annotations.get(k).map(|(v, _)| v.clone());
    let missing = |k: &str, example: &str| {
        lang_diag(
            file,
            first_span,
            "cedar-annotation",
            format!("control `{}` has no `@{k}`", c.id),
        )
        .with_help(format!("add `@{k}({example})` to one of its policies"))
    };
    let title = get("title").unwrap_or_default();
    if title.is_empty() {
        diags.push(missing("title", "\"what the control checks\""));
    }
    let severity = match get("severity") {
        None => {
            diags.push(missing("severity", "\"high\""));
            Severity::Medium
        }
        Some(s) => match Severity::parse(&s) {
            Some(s) => s,
            None => {
                diags.push(
                    lang_diag(
                        file,
                        first_span,
                        "cedar-annotation",
                        format!("`{s}` is not a severity"),
                    )
                    .with_help(did_you_mean(&s, Severity::ALL.map(Severity::as_str))),
                );
                Severity::Medium
            }
        },
    };
    let citations: Vec<String> = get("hipaa")
        .map(|h| {
            h.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if citations.is_empty() {
        diags.push(missing("hipaa", "\"164.312(b), 164.308(a)(1)(ii)(D)\""));
    }
    let mode = match get("mode").as_deref() {
        None | Some("resource") => Mode::Resource,
        Some("least-privilege") => Mode::LeastPrivilege,
        Some(other) => {
            diags.push(
                lang_diag(
                    file,
                    first_span,
                    "cedar-annotation",
                    format!("`{other}` is not a control mode"),
                )
                .with_help("expected `resource` (the default) or `least-privilege`"),
            );
            Mode::Resource
        }
    };
    let scope = scope_of(file, first_span, mode, &get, &mut diags);
    let mut policies = PolicySet::new();
    let mut info = BTreeMap::new();
    let mut types: Vec<String> = Vec::new();
    let mut has_applies = false;
    for (p, span) in &c.policies {
        let (line, _) = file.line_col(span.start);
        let applies = match p.action_constraint() {
            ActionConstraint::Eq(a) => a.to_string() == "Ward::Action::\"applies\"",
            ActionConstraint::In(list) => list
                .iter()
                .any(|a| a.to_string() == "Ward::Action::\"applies\""),
            ActionConstraint::Any => false,
        };
        if mode == Mode::Resource {
            let named = match p.action_constraint() {
                ActionConstraint::Eq(a) => a.type_name().to_string() == "Ward::Action",
                ActionConstraint::In(list) => list
                    .iter()
                    .all(|a| a.type_name().to_string() == "Ward::Action"),
                ActionConstraint::Any => false,
            };
            if !named {
                diags.push(
                    lang_diag(file, *span, "cedar-scope", "a resource control's policy names its action")
                        .with_help("use `action == Ward::Action::\"comply\"` (or `\"applies\"` to decide which resources are in scope); a least-privilege control says `@mode(\"least-privilege\")`"),
                );
            }
            let ty = match p.resource_constraint() {
                ResourceConstraint::Is(t) | ResourceConstraint::IsIn(t, _) => Some(t.to_string()),
                ResourceConstraint::Eq(uid) => Some(uid.type_name().to_string()),
                ResourceConstraint::Any | ResourceConstraint::In(_) => None,
            };
            match ty.and_then(|t| schema.resource_types.get(&t).cloned()) {
                Some(t) => {
                    if !types.contains(&t) {
                        types.push(t);
                    }
                }
                None => diags.push(
                    lang_diag(file, *span, "cedar-scope", "the policy does not name a resource type in its scope")
                        .with_help("write `resource is AWS::S3::Bucket` (any entity type of `ward cedar schema`): a control evaluates the resources of the types its policies name"),
                ),
            }
        }
        has_applies |= applies;
        // Readable and unique: `CONTROL:LINE` (`.N` when several policies share a line).
        let mut id = PolicyId::new(format!("{}:{line}", c.id));
        let mut n = 1;
        while info.contains_key(&id) {
            n += 1;
            id = PolicyId::new(format!("{}:{line}.{n}", c.id));
        }
        let policy = p.new_id(id.clone());
        info.insert(
            id.clone(),
            PolicyInfo {
                location: format!("{}:{line}", file.name),
                effect: match p.effect() {
                    cedar_policy::Effect::Permit => "permit",
                    cedar_policy::Effect::Forbid => "forbid",
                },
                message: p.annotation("message").map(str::to_string),
                applies,
            },
        );
        if let Err(e) = policies.add(policy) {
            diags.push(lang_diag(file, *span, "cedar-policy", e.to_string()));
        }
    }
    if mode == Mode::LeastPrivilege {
        types = vec!["AWS::IAM::Role".to_string(), "AWS::IAM::User".to_string()];
    }
    types.sort();
    if !diags.is_empty() {
        return Err(diags);
    }
    let reads = crate::reads::reads_of(&policies);
    let named_types = crate::reads::entities_named(&policies)
        .map(|named| named.into_iter().map(|(t, _)| t).collect());
    Ok(CedarControl {
        reads,
        named_types,
        id: c.id,
        title,
        severity,
        citations: citations.into(),
        description: get("description"),
        rationale: get("rationale"),
        remediation: get("remediation"),
        mode,
        scope,
        file: file.name.clone(),
        line: c.first.0,
        resource_types: types,
        policies,
        info,
        has_applies,
    })
}

/// The `@scope…` annotations of a control: only a least-privilege control takes them, and
/// its types must be ones the IAM analysis reaches.
fn scope_of(
    file: &SourceFile,
    span: Span,
    mode: Mode,
    get: &dyn Fn(&str) -> Option<String>,
    diags: &mut Vec<LangDiagnostic>,
) -> Scope {
    let list = |v: &str| -> Vec<String> {
        v.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let mut scope = Scope {
        types: get("scopeTypes").map(|v| list(&v)),
        tag: None,
        name: get("scopeName").map(|v| v.trim().to_string()),
    };
    if let Some(tag) = get("scopeTag") {
        match tag.split_once('=') {
            Some((key, values)) if !key.trim().is_empty() && !list(values).is_empty() => {
                scope.tag = Some((key.trim().to_string(), list(values)));
            }
            _ => diags.push(
                lang_diag(
                    file,
                    span,
                    "cedar-annotation",
                    format!("`@scopeTag(\"{tag}\")` names no tag key and values"),
                )
                .with_help("write `@scopeTag(\"KEY = VALUE, VALUE\")`, e.g. `@scopeTag(\"environment = prod, production\")`"),
            ),
        }
    }
    if scope != Scope::default() && mode != Mode::LeastPrivilege {
        diags.push(
            lang_diag(
                file,
                span,
                "cedar-annotation",
                "`@scopeTypes`, `@scopeTag` and `@scopeName` apply to least-privilege controls only",
            )
            .with_help("add `@mode(\"least-privilege\")`, or remove them"),
        );
    }
    let known: Vec<&str> = ward_iam::phi_services().iter().map(|(t, _)| *t).collect();
    for t in scope.types.iter().flatten() {
        if !known.contains(&t.as_str()) {
            diags.push(
                lang_diag(
                    file,
                    span,
                    "cedar-annotation",
                    format!("`{t}` is not a type the least-privilege analysis reaches"),
                )
                .with_help(format!(
                    "{}; one of: {}",
                    did_you_mean(t, known.iter().copied()),
                    known.join(", ")
                )),
            );
        }
    }
    if scope.types.as_ref().is_some_and(Vec::is_empty) {
        diags.push(lang_diag(
            file,
            span,
            "cedar-annotation",
            "`@scopeTypes` names no type",
        ));
    }
    scope
}
