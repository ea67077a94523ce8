//! The rule language's evaluator: runs checked rules over an inventory and produces findings.
//!
//! - [`LangBackend`] is the rule language as a [`Backend`] (the contract every way of writing
//!   a control implements lives in `ward-backend`, re-exported here; Cedar and WASM depend
//!   on that contract only, so they build neither pest nor this evaluator).
//! - Work is split into (rule, resource) pairs, dispatched by resource type through the
//!   inventory's index, and evaluated in parallel with rayon; the findings are then sorted,
//!   so the output does not depend on the number of threads.
//! - One rule's run-time failure is an `ERROR` finding for that resource only.

pub mod builtins;
pub mod eval;
pub mod index;
pub mod memo;
pub mod value;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;
use ward_lang::ir::IrStmt;
use ward_lang::{CompiledRule, Pack};
use ward_model::{
    FieldNeeds, Finding, Inventory, Json, ParamInfo, Resource, RuleInfo, SourceLocation, Status,
    TypesRead,
};

pub use ward_backend::{
    Backend, DEFAULT_STEP_BUDGET, EngineError, EvalOptions, Evaluation, progress, sort_findings,
    status_counts, timings,
};

use crate::eval::{Env, Frame, Truth, eval, render, truth};
use crate::memo::Memo;

/// The name backends put in [`Finding::backend`] for the rule language.
pub const LANG_BACKEND: &str = "ward-lang";

/// The rule language as a [`Backend`].
pub struct LangBackend {
    pack: Pack,
    /// What each rule reads besides its resource, computed on first use.
    types_read: std::sync::OnceLock<BTreeMap<String, TypesRead>>,
}

impl LangBackend {
    pub fn new(pack: Pack) -> Self {
        LangBackend {
            pack,
            types_read: std::sync::OnceLock::new(),
        }
    }

    pub fn pack(&self) -> &Pack {
        &self.pack
    }
}

impl Backend for LangBackend {
    fn name(&self) -> &str {
        LANG_BACKEND
    }

    fn rules(&self) -> Vec<RuleInfo> {
        self.pack
            .rules
            .iter()
            .map(|r| rule_info(&self.pack, r))
            .collect()
    }

    fn field_needs(&self) -> FieldNeeds {
        self.field_needs_of(None)
    }

    fn types_read(&self, rule: &str) -> Option<TypesRead> {
        self.types_read
            .get_or_init(|| ward_lang::fields::types_read(&self.pack))
            .get(rule)
            .cloned()
    }

    /// The selected rules' fields, with those of the `def`s they call.
    fn field_needs_of(&self, only: Option<&BTreeSet<String>>) -> FieldNeeds {
        let used = ward_lang::fields::configuration_fields_of(&self.pack, only);
        if !used.everything_in.is_empty() {
            return FieldNeeds::everything();
        }
        let mut needs = FieldNeeds::names(used.names);
        needs.union(&FieldNeeds::whole_types(used.whole_types));
        needs
    }

    fn evaluate(
        &self,
        inventory: &Inventory,
        options: &EvalOptions,
    ) -> Result<Evaluation, EngineError> {
        let own = |id: &String| self.pack.rule(id).is_some();
        let options = EvalOptions {
            as_of: options.as_of.clone(),
            params: options
                .params
                .iter()
                .filter(|(id, _)| own(id))
                .map(|(id, p)| (id.clone(), p.clone()))
                .collect(),
            only: options
                .only
                .as_ref()
                .map(|only| only.iter().filter(|id| own(id)).cloned().collect()),
            timings: options.timings.clone(),
            targets: options.targets.clone(),
            step_budget: options.step_budget,
            progress: options.progress.clone(),
        };
        evaluate(&self.pack, inventory, &options)
    }
}

/// What the reports and commands show of a rule of the language, and where it is defined.
pub fn rule_info(pack: &Pack, rule: &CompiledRule) -> RuleInfo {
    let m = &rule.meta;
    RuleInfo {
        id: rule.id.clone(),
        backend: LANG_BACKEND.to_string(),
        title: m.title.clone(),
        severity: m.severity,
        citations: m.hipaa.clone(),
        frameworks: m.frameworks.clone(),
        resource_types: rule.resource_types.clone(),
        params: rule
            .params
            .iter()
            .map(|p| ParamInfo {
                name: p.name.clone(),
                ty: p.ty.to_string(),
                default: p.default.clone(),
            })
            .collect(),
        description: m.description.clone(),
        rationale: m.rationale.clone(),
        remediation: m.remediation.clone(),
        reference: m.source.clone(),
        source: pack.files.get(rule.file).map(|f| SourceLocation {
            file: f.name.clone(),
            line: f.line_col(rule.span.start).0,
        }),
    }
}

/// Resolves each rule's parameter values: defaults, then overrides. Unknown rules and
/// parameters, and values of the wrong type, are errors before anything is evaluated.
pub fn resolve_params(
    pack: &Pack,
    overrides: &BTreeMap<String, BTreeMap<String, Value>>,
) -> Result<Vec<Vec<Option<Value>>>, EngineError> {
    for (rule_id, params) in overrides {
        let rule = pack
            .rule(rule_id)
            .ok_or_else(|| EngineError::UnknownRule(rule_id.clone()))?;
        for name in params.keys() {
            if !rule.params.iter().any(|p| &p.name == name) {
                return Err(EngineError::UnknownParam {
                    rule: rule_id.clone(),
                    param: name.clone(),
                    known: rule.params.iter().map(|p| p.name.clone()).collect(),
                });
            }
        }
    }
    pack.rules
        .iter()
        .map(|rule| {
            rule.params
                .iter()
                .map(
                    |p| match overrides.get(&rule.id).and_then(|o| o.get(&p.name)) {
                        Some(v) => {
                            p.ty.convert(v)
                                .map(Some)
                                .map_err(|message| EngineError::BadParam {
                                    rule: rule.id.clone(),
                                    param: p.name.clone(),
                                    message,
                                })
                        }
                        None => Ok(p.default.clone()),
                    },
                )
                .collect()
        })
        .collect()
}

/// Evaluates every rule of the pack over the inventory.
pub fn evaluate(
    pack: &Pack,
    inventory: &Inventory,
    options: &EvalOptions,
) -> Result<Evaluation, EngineError> {
    evaluate_counting(pack, inventory, options, None)
}

/// [`evaluate`], adding to `steps` the evaluation steps it took (memoized calls included
/// once per worker): tests and benchmarks count work with it, not seconds. The (rule,
/// resource) pairs decided are counted into `options.progress` alike.
pub fn evaluate_counting(
    pack: &Pack,
    inventory: &Inventory,
    options: &EvalOptions,
    steps: Option<&std::sync::atomic::AtomicU64>,
) -> Result<Evaluation, EngineError> {
    let step_budget = options
        .step_budget
        .unwrap_or(ward_backend::DEFAULT_STEP_BUDGET);
    // Held as the inventory's values are, for rules to read alike.
    let params: Vec<Vec<Option<Json>>> = resolve_params(pack, &options.params)?
        .into_iter()
        .map(|rule| rule.into_iter().map(|p| p.map(Json::from)).collect())
        .collect();
    let as_of = options
        .as_of
        .clone()
        .or_else(|| inventory.latest_capture_time().map(str::to_string));
    let now = match &as_of {
        Some(t) => Some(builtins::parse_time(t).map_err(|_| EngineError::BadTime(t.clone()))?),
        None => None,
    };
    // The resources of each type in the findings' order (`ResourceRef`'s: id, ARN, account,
    // Region), so that the findings come out of the parallel evaluation already sorted.
    let mut in_order: BTreeMap<&str, Vec<&Resource>> = BTreeMap::new();
    let mut work: Vec<(usize, &CompiledRule, &Resource)> = Vec::new();
    let mut without = Vec::new();
    for (ri, rule) in pack.rules.iter().enumerate() {
        if options
            .only
            .as_ref()
            .is_some_and(|only| !only.contains(&rule.id))
        {
            continue;
        }
        let before = work.len();
        let types: BTreeSet<&str> = rule.resource_types.iter().map(String::as_str).collect();
        for t in types {
            let resources = in_order.entry(t).or_insert_with(|| {
                let mut resources: Vec<&Resource> = inventory
                    .of_type(t)
                    .filter(|r| options.targets(r))
                    .collect();
                resources.par_sort_by(|a, b| {
                    (&a.resource_id, &a.arn, &a.account_id, &a.aws_region).cmp(&(
                        &b.resource_id,
                        &b.arn,
                        &b.account_id,
                        &b.aws_region,
                    ))
                });
                resources
            });
            work.extend(resources.iter().map(|r| (ri, rule, *r)));
        }
        if work.len() == before {
            without.push(rule.id.clone());
        }
    }
    // A backend with nothing to do does not show itself.
    let progress = options.progress.as_deref().filter(|_| !work.is_empty());
    if let Some(progress) = progress {
        progress.begin(LANG_BACKEND, work.len() as u64);
    }
    // With `--timings`, the time each rule takes, summed over threads (nanoseconds).
    let spent: Option<Vec<std::sync::atomic::AtomicU64>> = options
        .timings
        .as_ref()
        .map(|_| pack.rules.iter().map(|_| Default::default()).collect());
    // Each rule's citations, shared by its findings.
    let citations: Vec<Arc<[String]>> = pack
        .rules
        .iter()
        .map(|r| Arc::from(r.meta.hipaa.as_slice()))
        .collect();
    let no_citations: Arc<[String]> = Arc::from([]);
    // An indexed collect: written in place, without per-thread lists joined afterwards.
    // Which defs can be evaluated once per account and arguments (`memo`).
    let memoizable: Arc<[memo::Scope]> = Arc::from(memo::memoizable_defs(pack));
    let mut findings: Vec<Finding> = work
        .par_iter()
        .map_init(
            || Memo::new(memoizable.clone()),
            |memo, &(ri, rule, resource)| {
                let env = Env {
                    pack,
                    inventory,
                    resource,
                    params: params.get(ri).map(Vec::as_slice).unwrap_or(&[]),
                    now,
                    step_budget,
                };
                let cited = citations.get(ri).unwrap_or(&no_citations);
                let before = memo.work;
                let finding = match spent.as_ref().and_then(|s| s.get(ri)) {
                    None => evaluate_rule_with(rule, &env, cited, memo),
                    Some(spent) => {
                        let start = std::time::Instant::now();
                        let finding = evaluate_rule_with(rule, &env, cited, memo);
                        let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
                        spent.fetch_add(nanos, std::sync::atomic::Ordering::Relaxed);
                        finding
                    }
                };
                if let Some(steps) = steps {
                    steps.fetch_add(memo.work - before, std::sync::atomic::Ordering::Relaxed);
                }
                if let Some(progress) = progress {
                    progress.advance();
                }
                finding
            },
        )
        .collect();
    if let (Some(timings), Some(spent)) = (&options.timings, spent) {
        timings::record_slowest(timings, pack.rules.iter().map(|r| r.id.as_str()), spent);
    }
    // Already in order: sorting them again is one pass, and keeps the order a guarantee.
    sort_findings(&mut findings);
    Ok(Evaluation {
        findings,
        rules_without_resources: without,
        as_of,
    })
}
/// Evaluates one rule for one resource; its findings carry `citations`.
pub fn evaluate_rule(rule: &CompiledRule, env: &Env<'_>, citations: &Arc<[String]>) -> Finding {
    evaluate_rule_with(rule, env, citations, &mut Memo::default())
}

/// [`evaluate_rule`] with the worker's memoized `def` calls ([`memo`]).
pub fn evaluate_rule_with<'a>(
    rule: &CompiledRule,
    env: &Env<'a>,
    citations: &Arc<[String]>,
    memo: &mut Memo<'a>,
) -> Finding {
    let mut frame = Frame::new(rule.slots);
    frame.budget = env.step_budget;
    frame.memo = std::mem::take(memo);
    let finding = run_rule(rule, env, citations, &mut frame);
    *memo = std::mem::take(&mut frame.memo);
    memo.work += frame.work;
    finding
}

/// An `ERROR` finding's message: the rule's failure, or the step budget it spent.
fn error_message(rule: &CompiledRule, e: &eval::EvalError, budget: u64) -> String {
    if e.is_budget() {
        format!(
            "rule {} stopped after {budget} evaluation steps for this resource, its step budget (a runaway rule? `--step-budget` sets another)",
            rule.id
        )
    } else {
        format!("rule error: {}", e.0)
    }
}

fn run_rule<'a>(
    rule: &CompiledRule,
    env: &Env<'a>,
    citations: &Arc<[String]>,
    frame: &mut Frame<'a>,
) -> Finding {
    let resource = env.resource;
    let make = |status: Status, message: String, mut evidence: Vec<ward_model::Evidence>| {
        // Recorded by pushing: without this, a finding held until output keeps up to
        // twice the room its evidence needs.
        evidence.shrink_to_fit();
        let r = resource.shared_ref();
        Finding {
            rule: rule.id.clone(),
            backend: LANG_BACKEND.to_string(),
            fingerprint: Finding::fingerprint_of(&rule.id, &r),
            resource: r,
            status,
            message,
            evidence,
            citations: citations.clone(),
            severity: rule.meta.severity,
            waiver: None,
        }
    };
    if resource.is_deleted() {
        return make(
            Status::NotApplicable,
            "the resource is deleted".to_string(),
            Vec::new(),
        );
    }
    for stmt in &rule.stmts {
        match stmt {
            IrStmt::Let { slot, value } => match eval(value, env, frame) {
                Ok(v) => {
                    if let Some(s) = frame.slots.get_mut(*slot) {
                        *s = v;
                    }
                }
                Err(e) => {
                    return make(
                        Status::Error,
                        error_message(rule, &e, env.step_budget),
                        std::mem::take(&mut frame.evidence),
                    );
                }
            },
            IrStmt::When { cond, message } => {
                let mark = frame.evidence.len();
                let outcome = eval(cond, env, frame).and_then(|v| {
                    frame.note(&v);
                    truth(&v)
                });
                match outcome {
                    Ok(Truth::False) => {
                        let text = match message {
                            Some(m) => render(m, env, frame),
                            None => "the rule does not apply to this resource".to_string(),
                        };
                        return make(
                            Status::NotApplicable,
                            text,
                            std::mem::take(&mut frame.evidence),
                        );
                    }
                    // Fail closed: an undecidable `when` does not exclude the resource.
                    Ok(Truth::True | Truth::Absent(_)) => frame.evidence.truncate(mark),
                    Err(e) => {
                        return make(
                            Status::Error,
                            error_message(rule, &e, env.step_budget),
                            std::mem::take(&mut frame.evidence),
                        );
                    }
                }
            }
            IrStmt::Assert { cond, message } => {
                let outcome = eval(cond, env, frame).and_then(|v| {
                    frame.note(&v);
                    truth(&v)
                });
                match outcome {
                    Ok(Truth::True) => {}
                    Ok(Truth::False) => {
                        let text = render(message, env, frame);
                        return make(
                            Status::NonCompliant,
                            text,
                            std::mem::take(&mut frame.evidence),
                        );
                    }
                    Ok(Truth::Absent(path)) => {
                        let text = render(message, env, frame);
                        let text = match path {
                            Some(p) => format!("{text} (cannot be verified: `{p}` is absent)"),
                            None => {
                                format!("{text} (cannot be verified: a value it needs is absent)")
                            }
                        };
                        return make(
                            Status::NonCompliant,
                            text,
                            std::mem::take(&mut frame.evidence),
                        );
                    }
                    Err(e) => {
                        return make(
                            Status::Error,
                            error_message(rule, &e, env.step_budget),
                            std::mem::take(&mut frame.evidence),
                        );
                    }
                }
            }
        }
    }
    make(
        Status::Compliant,
        rule.meta.title.clone(),
        std::mem::take(&mut frame.evidence),
    )
}
