//! Evaluation: Cedar decisions become findings.
//!
//! Resource controls: for each resource of a type in the control's scope, the request
//! (`Ward::Evaluator::"ward"`, `Ward::Action::"applies"`, resource) decides applicability when
//! the control has `applies` policies (Deny → NOT_APPLICABLE), then
//! (`Ward::Evaluator::"ward"`, `Ward::Action::"comply"`, resource): Allow → COMPLIANT, Deny →
//! NON_COMPLIANT, an evaluation error of any policy → ERROR. The determining policies (the
//! permits that allowed, the forbids that denied; all the control's permits when none
//! matched) are the evidence, and their `@message` the message.
//!
//! Least-privilege controls: see [`ward_iam::access`]; as few requests as Cedar needs
//! ([`Requests`]), one finding per principal.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityId, EntityTypeName, EntityUid, PolicyId,
    PolicySet, PrincipalConstraint, Request, RequestBuilder, Response, RestrictedExpression,
};
use rayon::prelude::*;
use serde_json::json;
use ward_backend::progress::EvalProgress;
use ward_backend::timings::{Timings, timed};
use ward_backend::{EngineError, Evaluation};
use ward_model::{Evidence, Finding, Inventory, Resource, Status};

use crate::control::{CedarControl, Mode};
use crate::entities::{EVALUATOR_ID, EntityStore, uid_of};
use crate::schema::WardSchema;
use std::sync::Arc;
use ward_iam::{self as iam, ActionCatalog, Grant, PhiConfig, PrincipalAccess};

/// The backend name findings carry.
pub const CEDAR_BACKEND: &str = "cedar";

fn uid(ty: &str, id: &str) -> Option<EntityUid> {
    let t = EntityTypeName::from_str(ty).ok()?;
    Some(EntityUid::from_type_name_and_id(t, EntityId::new(id)))
}

fn finding(
    control: &CedarControl,
    resource: &Resource,
    status: Status,
    message: String,
    evidence: Vec<Evidence>,
) -> Finding {
    let r = resource.shared_ref();
    Finding {
        rule: control.id.clone(),
        backend: CEDAR_BACKEND.to_string(),
        fingerprint: Finding::fingerprint_of(&control.id, &r),
        resource: r,
        status,
        message,
        evidence,
        citations: control.citations.clone(),
        severity: control.severity,
        waiver: None,
    }
}

fn render(template: &str, resource: &Resource) -> String {
    let name = resource
        .resource_name
        .as_deref()
        .unwrap_or(&resource.resource_id);
    template
        .replace("{resourceId}", &resource.resource_id)
        .replace("{resourceType}", &resource.resource_type)
        .replace("{name}", name)
}

fn policy_evidence(control: &CedarControl, ids: &[PolicyId]) -> Vec<Evidence> {
    ids.iter()
        .filter_map(|id| control.info.get(id).map(|i| (id, i)))
        .map(|(_, i)| Evidence {
            path: format!("cedar:{}", i.location),
            value: json!({"effect": i.effect, "message": i.message}).into(),
            absent: false,
        })
        .collect()
}

/// Cedar reports errors and reasons as sets: sorted here, so the same input gives the same bytes.
fn errors_of(response: &Response) -> Vec<String> {
    let mut out: Vec<String> = response
        .diagnostics()
        .errors()
        .map(|e| e.to_string())
        .collect();
    out.sort();
    out
}

fn sorted_reasons(response: &Response) -> Vec<PolicyId> {
    let mut out: Vec<PolicyId> = response.diagnostics().reason().cloned().collect();
    out.sort_by_key(|id| id.to_string());
    out
}

/// Evaluates one resource control, counting each resource decided into `progress`.
pub fn evaluate_resource_control(
    control: &CedarControl,
    inventory: &Inventory,
    store: &EntityStore,
    progress: Option<&EvalProgress>,
) -> Vec<Finding> {
    let resources: Vec<&Resource> = control
        .resource_types
        .iter()
        .flat_map(|t| inventory.of_type(t))
        .collect();
    let principal = uid("Ward::Evaluator", EVALUATOR_ID);
    let comply = uid("Ward::Action", "comply");
    let applies = uid("Ward::Action", "applies");
    let (Some(principal), Some(comply), Some(applies)) = (principal, comply, applies) else {
        return Vec::new();
    };
    resources
        .par_iter()
        .map(|resource| {
            let finding = one_resource(
                control,
                resource,
                &store.entities,
                store,
                &principal,
                &comply,
                &applies,
            );
            if let Some(progress) = progress {
                progress.advance();
            }
            finding
        })
        .collect()
}

fn one_resource(
    control: &CedarControl,
    resource: &Resource,
    entities: &Entities,
    store: &EntityStore,
    principal: &EntityUid,
    comply: &EntityUid,
    applies: &EntityUid,
) -> Finding {
    if resource.is_deleted() {
        return finding(
            control,
            resource,
            Status::NotApplicable,
            "the resource is deleted".into(),
            Vec::new(),
        );
    }
    if let Some(e) = store.failed.get(&resource.key()) {
        return finding(
            control,
            resource,
            Status::Error,
            format!("the resource could not become a Cedar entity: {e}"),
            Vec::new(),
        );
    }
    let Some(ty) = crate::schema::WardSchema::builtin()
        .ok()
        .and_then(|s| s.entity_types.get(&resource.resource_type))
    else {
        return finding(
            control,
            resource,
            Status::Error,
            "the resource type has no Cedar entity type".into(),
            Vec::new(),
        );
    };
    let Some(target) = uid(ty, &uid_of(resource)) else {
        return finding(
            control,
            resource,
            Status::Error,
            "the resource has no valid Cedar uid".into(),
            Vec::new(),
        );
    };
    let authorizer = Authorizer::new();
    let ask = |action: &EntityUid| {
        Request::new(
            principal.clone(),
            action.clone(),
            target.clone(),
            Context::empty(),
            None,
        )
        .map(|r| authorizer.is_authorized(&r, &control.policies, entities))
        .map_err(|e| e.to_string())
    };
    if control.has_applies {
        match ask(applies) {
            Err(e) => {
                return finding(
                    control,
                    resource,
                    Status::Error,
                    format!("cedar request error: {e}"),
                    Vec::new(),
                );
            }
            Ok(r) => {
                let errors = errors_of(&r);
                if !errors.is_empty() {
                    return finding(
                        control,
                        resource,
                        Status::Error,
                        format!("cedar evaluation error: {}", errors.join("; ")),
                        Vec::new(),
                    );
                }
                if r.decision() == Decision::Deny {
                    let reasons = sorted_reasons(&r);
                    let msg = messages(control, &reasons, resource).unwrap_or_else(|| {
                        "the control does not apply to this resource".to_string()
                    });
                    return finding(
                        control,
                        resource,
                        Status::NotApplicable,
                        msg,
                        policy_evidence(control, &reasons),
                    );
                }
            }
        }
    }
    let response = match ask(comply) {
        Ok(r) => r,
        Err(e) => {
            return finding(
                control,
                resource,
                Status::Error,
                format!("cedar request error: {e}"),
                Vec::new(),
            );
        }
    };
    let errors = errors_of(&response);
    if !errors.is_empty() {
        return finding(
            control,
            resource,
            Status::Error,
            format!("cedar evaluation error: {}", errors.join("; ")),
            Vec::new(),
        );
    }
    let reasons = sorted_reasons(&response);
    match response.decision() {
        Decision::Allow => {
            let msg =
                messages(control, &reasons, resource).unwrap_or_else(|| control.title.clone());
            finding(
                control,
                resource,
                Status::Compliant,
                msg,
                policy_evidence(control, &reasons),
            )
        }
        Decision::Deny if !reasons.is_empty() => {
            let msg = messages(control, &reasons, resource).unwrap_or_else(|| {
                format!(
                    "forbidden by {}",
                    reasons
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
            finding(
                control,
                resource,
                Status::NonCompliant,
                msg,
                policy_evidence(control, &reasons),
            )
        }
        Decision::Deny => {
            // No permit matched: the resource meets none of the compliant shapes.
            let permits: Vec<PolicyId> = control
                .info
                .iter()
                .filter(|(_, i)| i.effect == "permit" && !i.applies)
                .map(|(id, _)| id.clone())
                .collect();
            let msg = messages(control, &permits, resource)
                .map(|m| format!("not satisfied: {m}"))
                .unwrap_or_else(|| format!("not satisfied: {}", control.title));
            finding(
                control,
                resource,
                Status::NonCompliant,
                msg,
                policy_evidence(control, &permits),
            )
        }
    }
}

fn messages(control: &CedarControl, ids: &[PolicyId], resource: &Resource) -> Option<String> {
    let msgs: BTreeSet<String> = ids
        .iter()
        .filter_map(|id| control.info.get(id)?.message.as_deref())
        .map(|m| render(m, resource))
        .collect();
    (!msgs.is_empty()).then(|| msgs.into_iter().collect::<Vec<_>>().join("; "))
}

/// How a least-privilege control asks Cedar about the grants of one principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requests {
    /// One request per grant.
    PerGrant,
    /// As few as Cedar needs, over only the policies whose principal scope can match the
    /// principal: a partial request (Cedar's partial evaluation) with the
    /// principal alone known decides every grant of the principal when no policy's outcome
    /// depends on the action, resource or context; then one per (action, resource type)
    /// decides every grant of that action on resources of that type when none depends on
    /// the resource or context. The rest are asked one by one. A partial answer is used only
    /// when it is exact: a decision, no residual policy, no error. The findings are the same
    /// as with [`Requests::PerGrant`] (tested on the example estate).
    Fewest,
}

/// What Cedar said about one grant.
enum Asked {
    /// A partial request decided it, without residual or error.
    Decided(Decision),
    /// Asked alone.
    Answered(Response),
}

/// Asks Cedar about the grants of one principal, remembering the partial answers.
struct Asker<'a> {
    oracle: Oracle<'a>,
    requests: Requests,
    /// The answer with the principal alone known, once asked: `None` when not exact.
    whole: Option<Option<Decision>>,
    /// The answers with the principal, the action and the resource's type known, by
    /// (the action's class, [`CedarNames::types`] index): the first action of a class
    /// asked answers for all ([`action_classes`]).
    by_action: HashMap<(usize, usize), Option<Decision>>,
    /// The same with the request's context known too (whether the grant is conditional, the
    /// policy that grants it), for policies whose conditions read the context: one answer per
    /// (class, type, conditional, policy) instead of one request per resource.
    by_context: HashMap<(usize, usize, bool, String), Option<Decision>>,
}

/// What asks Cedar about one principal.
struct Oracle<'a> {
    authorizer: Authorizer,
    /// The control's policies; with [`Requests::Fewest`], only those whose principal scope
    /// can match the principal ([`for_principal`]).
    policies: Cow<'a, PolicySet>,
    entities: &'a Entities,
    principal: EntityUid,
    /// Counts the requests (partial or whole) it makes: what tests count.
    asked: &'a std::cell::Cell<u64>,
}

/// `cache`'s answer under `key`, asked once.
fn remembered<K: Eq + std::hash::Hash>(
    cache: &mut HashMap<K, Option<Decision>>,
    key: K,
    ask: impl FnOnce() -> Option<Decision>,
) -> Option<Decision> {
    *cache.entry(key).or_insert_with(ask)
}

impl Oracle<'_> {
    /// The decision of a partial request, when it is exact.
    fn exact(&self, request: &Request) -> Option<Decision> {
        self.asked.set(self.asked.get() + 1);
        let response =
            self.authorizer
                .is_authorized_partial(request, &self.policies, self.entities);
        let settled = response.nontrivial_residuals().next().is_none()
            && response.definitely_errored().next().is_none();
        settled.then(|| response.decision()).flatten()
    }

    /// The exact answer about a grant with the resource unknown but its type, and with
    /// `context` when given.
    fn about(&self, cedar: &CedarGrant<'_>, context: Option<&Context>) -> Option<Decision> {
        let request = RequestBuilder::default()
            .principal(self.principal.clone())
            .action(cedar.action.clone())
            .unknown_resource_with_type(cedar.resource_type.clone());
        let request = match context {
            Some(context) => request.context(context.clone()).build(),
            None => request.build(),
        };
        self.exact(&request)
    }
}

/// The policies whose principal scope can match `principal`. The others are false for every
/// request of this principal, without error (a scope is tested before any condition), so
/// leaving them out changes no decision, residual or error; it only spares Cedar their
/// evaluation.
fn for_principal(policies: &PolicySet, principal: &EntityUid, entities: &Entities) -> PolicySet {
    let within = |group: &EntityUid| {
        group == principal
            || entities
                .ancestors(principal)
                .is_some_and(|mut up| up.any(|a| a == group))
    };
    let mut out = PolicySet::new();
    for policy in policies.policies() {
        let matches = match policy.principal_constraint() {
            PrincipalConstraint::Any => true,
            PrincipalConstraint::Eq(uid) => &uid == principal,
            PrincipalConstraint::In(group) => within(&group),
            PrincipalConstraint::Is(ty) => principal.type_name() == &ty,
            PrincipalConstraint::IsIn(ty, group) => principal.type_name() == &ty && within(&group),
        };
        if matches && out.add(policy.clone()).is_err() {
            return policies.clone();
        }
    }
    out
}

impl<'a> Asker<'a> {
    fn new(
        control: &'a CedarControl,
        store: &'a EntityStore,
        principal: EntityUid,
        requests: Requests,
        asked: &'a std::cell::Cell<u64>,
    ) -> Self {
        let policies = match requests {
            Requests::PerGrant => Cow::Borrowed(&control.policies),
            Requests::Fewest => Cow::Owned(for_principal(
                &control.policies,
                &principal,
                &store.entities,
            )),
        };
        Asker {
            oracle: Oracle {
                authorizer: Authorizer::new(),
                policies,
                entities: &store.entities,
                principal,
                asked,
            },
            requests,
            whole: None,
            by_action: HashMap::new(),
            by_context: HashMap::new(),
        }
    }

    fn ask(
        &mut self,
        resource: &Resource,
        grant: &Grant,
        policy: &str,
        cedar: CedarGrant<'_>,
    ) -> Result<Asked, String> {
        let context = Context::from_pairs([
            (
                "conditional".to_string(),
                RestrictedExpression::new_bool(grant.conditional),
            ),
            (
                "policy".to_string(),
                RestrictedExpression::new_string(policy.to_string()),
            ),
        ])
        .map_err(|e| e.to_string())?;
        if self.requests == Requests::Fewest {
            let oracle = &self.oracle;
            let whole = *self.whole.get_or_insert_with(|| {
                oracle.exact(
                    &RequestBuilder::default()
                        .principal(oracle.principal.clone())
                        .build(),
                )
            });
            let by_action = || {
                remembered(&mut self.by_action, (cedar.class, cedar.type_index), || {
                    oracle.about(&cedar, None)
                })
            };
            let key = (
                cedar.class,
                cedar.type_index,
                grant.conditional,
                policy.to_string(),
            );
            let by_context = || {
                remembered(&mut self.by_context, key, || {
                    oracle.about(&cedar, Some(&context))
                })
            };
            if let Some(decision) = whole.or_else(by_action).or_else(by_context) {
                return Ok(Asked::Decided(decision));
            }
        }
        let resource = EntityUid::from_type_name_and_id(
            cedar.resource_type.clone(),
            EntityId::new(uid_of(resource)),
        );
        let oracle = &self.oracle;
        let request = Request::new(
            oracle.principal.clone(),
            cedar.action.clone(),
            resource,
            context,
            None,
        )
        .map_err(|e| e.to_string())?;
        oracle.asked.set(oracle.asked.get() + 1);
        Ok(Asked::Answered(oracle.authorizer.is_authorized(
            &request,
            &oracle.policies,
            oracle.entities,
        )))
    }
}

/// A grant's action and resource type in Cedar's terms.
#[derive(Clone, Copy)]
struct CedarGrant<'n> {
    action: &'n EntityUid,
    /// The action's class ([`action_classes`]).
    class: usize,
    resource_type: &'n EntityTypeName,
    /// Index into [`CedarNames::types`].
    type_index: usize,
}

/// The catalogue's actions and the PHI resource types as Cedar names, parsed once per
/// evaluation (parsing a Cedar name is costly), and the actions the control's policies cannot
/// tell apart.
struct CedarNames {
    /// By catalogue index: `service:Name`.
    actions: Vec<String>,
    /// By catalogue index: `IAM::Action::"service:Name"`.
    action_uids: Vec<Option<EntityUid>>,
    /// By catalogue index: the action's class ([`action_classes`]).
    action_class: Vec<usize>,
    /// Ward resource type → its Cedar entity type.
    types: Vec<(String, Option<EntityTypeName>)>,
}

impl CedarNames {
    fn new(
        catalog: &ActionCatalog,
        schema: &WardSchema,
        policies: &PolicySet,
        entities: &Entities,
    ) -> Self {
        let action_type = EntityTypeName::from_str(IAM_ACTION).ok();
        let actions: Vec<String> = catalog.actions.iter().map(|a| a.full_name()).collect();
        let action_uids: Vec<Option<EntityUid>> = actions
            .iter()
            .map(|name| {
                action_type
                    .clone()
                    .map(|t| EntityUid::from_type_name_and_id(t, EntityId::new(name)))
            })
            .collect();
        let action_class = action_classes(&action_uids, policies, entities);
        let types = iam::phi_services()
            .iter()
            .map(|(t, _)| {
                let cedar = schema
                    .entity_types
                    .get(*t)
                    .and_then(|c| EntityTypeName::from_str(c).ok());
                (t.to_string(), cedar)
            })
            .collect();
        CedarNames {
            actions,
            action_uids,
            action_class,
            types,
        }
    }

    /// A grant's action and resource type in Cedar's terms, when both have one.
    fn of(&self, action: usize, resource: &Resource) -> Option<CedarGrant<'_>> {
        let uid = self.action_uids.get(action)?.as_ref()?;
        let (type_index, resource_type) = self
            .types
            .iter()
            .enumerate()
            .find(|(_, (t, _))| *t == resource.resource_type)
            .and_then(|(i, (_, c))| Some((i, c.as_ref()?)))?;
        Some(CedarGrant {
            action: uid,
            class: *self.action_class.get(action)?,
            resource_type,
            type_index,
        })
    }
}

/// The entity type of the least-privilege actions.
const IAM_ACTION: &str = "IAM::Action";

/// Classes of actions the policies cannot tell apart, by catalogue index: two actions are in
/// one class when they stand in the same relation (`==`, `in`) to every action the policies
/// name. A policy can only reach an action through such literals: the schema gives no
/// attribute an action type, and actions have no attributes, so for the same principal,
/// resource and context, the actions of one class get the same decision. When the policies'
/// literals cannot be read, every action is its own class.
fn action_classes(
    uids: &[Option<EntityUid>],
    policies: &PolicySet,
    entities: &Entities,
) -> Vec<usize> {
    let Some(literals) = action_literals(policies) else {
        return (0..uids.len()).collect();
    };
    // A signature per action: for each literal, (equal to it, in it).
    let mut classes: HashMap<Vec<bool>, usize> = HashMap::new();
    let mut next = 0;
    let mut fresh = || {
        next += 1;
        next - 1
    };
    uids.iter()
        .map(|uid| {
            // An action without a uid is never asked: a class of its own.
            let Some(uid) = uid else {
                return fresh();
            };
            let ancestors: Vec<&EntityUid> = entities
                .ancestors(uid)
                .map(Iterator::collect)
                .unwrap_or_default();
            let signature = literals
                .iter()
                .flat_map(|l| [uid == l, uid == l || ancestors.contains(&l)])
                .collect();
            *classes.entry(signature).or_insert_with(&mut fresh)
        })
        .collect()
}

/// Every action uid the policies name, in their scopes and conditions; `None` when a
/// policy cannot be read as JSON.
fn action_literals(policies: &PolicySet) -> Option<Vec<EntityUid>> {
    crate::reads::entities_named(policies)?
        .iter()
        .filter(|(t, _)| t == IAM_ACTION)
        .map(|(t, id)| uid(t, id))
        .collect()
}

/// Evaluates a least-privilege control: every role and user.
pub fn evaluate_least_privilege(
    control: &CedarControl,
    inventory: &Inventory,
    store: &EntityStore,
    phi: &PhiConfig,
    schema: &WardSchema,
    requests: Requests,
) -> Vec<Finding> {
    least_privilege(control, inventory, store, phi, schema, requests, None, None)
}

/// [`evaluate_least_privilege`], adding to `asked` the Cedar requests it made (tests hold
/// them to the growth of the inventory).
pub fn evaluate_least_privilege_counting(
    control: &CedarControl,
    inventory: &Inventory,
    store: &EntityStore,
    phi: &PhiConfig,
    schema: &WardSchema,
    asked: &std::sync::atomic::AtomicU64,
) -> Vec<Finding> {
    least_privilege(
        control,
        inventory,
        store,
        phi,
        schema,
        Requests::Fewest,
        None,
        Some(asked),
    )
}

/// [`evaluate_least_privilege`], counting each principal decided into `progress` and the
/// requests made into `asked`.
#[allow(clippy::too_many_arguments)]
fn least_privilege(
    control: &CedarControl,
    inventory: &Inventory,
    store: &EntityStore,
    phi: &PhiConfig,
    schema: &WardSchema,
    requests: Requests,
    progress: Option<&EvalProgress>,
    asked: Option<&std::sync::atomic::AtomicU64>,
) -> Vec<Finding> {
    let catalog = ActionCatalog::builtin();
    let phi_index = iam::PhiIndex::new(inventory, phi, catalog);
    let managed = iam::ManagedPolicies::default();
    let names = CedarNames::new(catalog, schema, &control.policies, &store.entities);
    let principals: Vec<&Resource> = control
        .resource_types
        .iter()
        .flat_map(|t| inventory.of_type(t))
        .collect();
    principals
        .par_iter()
        .map_init(iam::ReachCache::default, |cache, p| {
            let decided = if p.is_deleted() {
                finding(
                    control,
                    p,
                    Status::NotApplicable,
                    "the principal is deleted".into(),
                    Vec::new(),
                )
            } else {
                let access = iam::analyze(inventory, p, &phi_index, catalog, &managed, cache);
                let made = std::cell::Cell::new(0);
                let finding = judge(
                    control, &access, store, schema, &phi_index, &names, requests, &made,
                );
                if let Some(asked) = asked {
                    asked.fetch_add(made.get(), std::sync::atomic::Ordering::Relaxed);
                }
                finding
            };
            if let Some(progress) = progress {
                progress.advance();
            }
            decided
        })
        .collect()
}

/// What the intent decides about one resource's grants.
#[derive(Default)]
struct Judged {
    /// The grants it does not allow: (statement, conditional) → actions, in catalogue order.
    beyond: BTreeMap<(usize, bool), Vec<usize>>,
    intended: usize,
    errors: Vec<String>,
}

/// Judges the grants on one resource. `decided_alike` is set to false when some answer
/// depended on the resource or the context (asked alone), or when something failed: then
/// the judgment holds for this resource only.
fn judge_resource(
    asker: &mut Asker<'_>,
    access: &PrincipalAccess<'_>,
    on: &iam::ResourceGrants<'_>,
    names: &CedarNames,
    decided_alike: &mut bool,
) -> Judged {
    let mut judged = Judged::default();
    let resource = on.resource;
    for g in on.grants.iter() {
        let Some(name) = names.actions.get(g.action) else {
            continue;
        };
        let Some(cedar) = names.of(g.action, resource) else {
            judged
                .errors
                .push(format!("{name} on {}: no Cedar uid", resource.resource_id));
            *decided_alike = false;
            continue;
        };
        let policy = access
            .sources
            .get(g.source)
            .map_or("", |s| s.policy.as_str());
        let allowed = match asker.ask(resource, g, policy, cedar) {
            Ok(Asked::Decided(decision)) => decision == Decision::Allow,
            Ok(Asked::Answered(response)) => {
                *decided_alike = false;
                let errs = errors_of(&response);
                if !errs.is_empty() {
                    judged.errors.push(format!(
                        "{name} on {}: {}",
                        resource.resource_id,
                        errs.join("; ")
                    ));
                    continue;
                }
                response.decision() == Decision::Allow
            }
            Err(e) => {
                *decided_alike = false;
                judged.errors.push(format!("{name}: {e}"));
                continue;
            }
        };
        if allowed {
            judged.intended += 1;
        } else {
            judged
                .beyond
                .entry((g.source, g.conditional))
                .or_default()
                .push(g.action);
        }
    }
    judged
}

/// Unintended grants told together: the same actions through the same statement.
#[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
struct BeyondKey {
    statement: String,
    actions: Vec<usize>,
    conditional: bool,
    /// Per service, how many catalogued actions apply to the resources (for the summary).
    applicable: Vec<(String, usize)>,
}

/// A judgment (kept, so that its address stays its own) and the groups its unintended grants
/// belong to.
type JudgedGroups = (Arc<Judged>, Vec<usize>);

/// The resources of one [`BeyondKey`], as they are found (one pointer per pair of principal
/// and resource, one per cohort of resources reached alike: names and uids are made only for
/// the resources a finding lists).
#[derive(Default)]
struct BeyondTargets<'a> {
    resources: Vec<&'a Resource>,
    cohorts: Vec<&'a iam::CohortGrants<'a>>,
}

/// Where a judgment applies: one resource, or the resources of a cohort reached alike.
#[derive(Clone, Copy)]
enum Judging<'a> {
    One(&'a Resource),
    Cohort(&'a iam::CohortGrants<'a>),
}

/// At most this many resource names in a message part; the evidence lists every resource.
const NAMES_IN_MESSAGE: usize = 10;

/// What a message part and its evidence entry say a group's grants reach: every PHI resource
/// of a type in an account, when the grants reach all of them and there are more than
/// [`NAMES_IN_MESSAGE`] (a broad role on one large account would otherwise list thousands,
/// for each such role); the other resources by name.
struct Reached {
    /// (account, type, how many).
    every: Vec<(Option<String>, String, usize)>,
    names: BTreeSet<String>,
    uids: BTreeSet<String>,
}

/// The resources of one scope (account, type) a group reaches.
type Scoped<'a> = (Vec<&'a Resource>, Vec<&'a iam::CohortGrants<'a>>);

impl<'a> BeyondTargets<'a> {
    fn reached(self, phi_index: &'a iam::PhiIndex<'a>) -> Reached {
        let mut by_scope: BTreeMap<(Option<&str>, &str), Scoped<'a>> = BTreeMap::new();
        let scope = |r: &'a Resource| (r.account_id.as_deref(), r.resource_type.as_str());
        for r in self.resources {
            by_scope.entry(scope(r)).or_default().0.push(r);
        }
        for c in self.cohorts {
            by_scope
                .entry(scope(c.example.resource))
                .or_default()
                .1
                .push(c);
        }
        let mut reached = Reached {
            every: Vec::new(),
            names: BTreeSet::new(),
            uids: BTreeSet::new(),
        };
        for ((account, ty), (mut resources, mut cohorts)) in by_scope {
            // A resource is found once per group, unless two statements are described alike;
            // a cohort's resources are never among the group's single resources.
            resources.sort_unstable_by_key(|r| std::ptr::from_ref::<Resource>(r));
            resources.dedup_by_key(|r| std::ptr::from_ref::<Resource>(r));
            cohorts.sort_unstable_by_key(|c| std::ptr::from_ref::<iam::CohortGrants<'_>>(c));
            cohorts.dedup_by_key(|c| std::ptr::from_ref::<iam::CohortGrants<'_>>(c));
            let n = resources.len() + cohorts.iter().map(|c| c.count).sum::<usize>();
            if n > NAMES_IN_MESSAGE && n == phi_index.held(account, ty) {
                reached
                    .every
                    .push((account.map(str::to_string), ty.to_string(), n));
            } else {
                let alike = cohorts
                    .iter()
                    .flat_map(|c| phi_index.cohort_resources(c).map(|(_, r)| r));
                for r in resources.into_iter().chain(alike) {
                    reached.uids.insert(uid_of(r));
                    reached.names.insert(
                        r.resource_name
                            .clone()
                            .unwrap_or_else(|| r.resource_id.clone()),
                    );
                }
            }
        }
        reached
    }
}

/// The judgments of one principal's grants, gathered into the groups a finding tells.
#[derive(Default)]
struct Collected<'a> {
    groups: Vec<BeyondTargets<'a>>,
    group_of: HashMap<BeyondKey, usize>,
    /// (judgment, actions that apply) → its groups: keys are built once, not per resource.
    /// The map holds each judgment, so its address is never another's.
    groups_of: HashMap<(*const Judged, usize), JudgedGroups>,
    /// (the resource's place in the PHI index, error).
    errors: Vec<(usize, String)>,
    intended: usize,
}

impl<'a> Collected<'a> {
    /// Adds a judgment of the grants on `target` (whose first resource is the `index`th of
    /// the PHI index).
    fn add(
        &mut self,
        judged: &Arc<Judged>,
        index: usize,
        target: Judging<'a>,
        access: &PrincipalAccess<'_>,
        phi_index: &iam::PhiIndex<'_>,
    ) {
        let count = match target {
            Judging::One(_) => 1,
            Judging::Cohort(c) => c.count,
        };
        self.errors
            .extend(judged.errors.iter().map(|e| (index, e.clone())));
        self.intended += judged.intended * count;
        if judged.beyond.is_empty() {
            return;
        }
        let applicable = phi_index.applicable(index);
        let Collected {
            groups,
            group_of,
            groups_of,
            ..
        } = self;
        let (_, ids) = groups_of
            .entry((
                Arc::as_ptr(judged),
                applicable.map_or(0, |a| std::ptr::from_ref(a) as usize),
            ))
            .or_insert_with(|| {
                let ids = judged
                    .beyond
                    .iter()
                    .map(|((source, conditional), actions)| {
                        let key = BeyondKey {
                            statement: access
                                .sources
                                .get(*source)
                                .map(|s| s.describe())
                                .unwrap_or_default(),
                            actions: actions.clone(),
                            conditional: *conditional,
                            applicable: applicable
                                .map(|a| a.iter().map(|(k, v)| (k.clone(), *v)).collect())
                                .unwrap_or_default(),
                        };
                        *group_of.entry(key).or_insert_with(|| {
                            groups.push(BeyondTargets::default());
                            groups.len() - 1
                        })
                    })
                    .collect();
                (judged.clone(), ids)
            });
        for id in ids.iter() {
            if let Some(targets) = groups.get_mut(*id) {
                match target {
                    Judging::One(r) => targets.resources.push(r),
                    Judging::Cohort(c) => targets.cohorts.push(c),
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn judge<'r>(
    control: &CedarControl,
    access: &PrincipalAccess<'r>,
    store: &EntityStore,
    schema: &WardSchema,
    phi_index: &iam::PhiIndex<'r>,
    names: &CedarNames,
    requests: Requests,
    asked: &std::cell::Cell<u64>,
) -> Finding {
    let p = access.principal;
    let label = iam::principal_label(p);
    if let Some(e) = store.failed.get(&p.key()) {
        return finding(
            control,
            p,
            Status::Error,
            format!("the principal could not become a Cedar entity: {e}"),
            Vec::new(),
        );
    }
    let principal = schema
        .entity_types
        .get(&p.resource_type)
        .and_then(|t| uid(t, &uid_of(p)));
    let Some(principal) = principal else {
        return finding(
            control,
            p,
            Status::Error,
            "the principal has no valid Cedar uid".into(),
            Vec::new(),
        );
    };
    let mut asker = Asker::new(control, store, principal, requests, asked);
    // Resources that share a list of grants (`ResourceGrants::grants`) and a type are judged
    // alike when every answer came from a partial request that left the resource unknown.
    let mut alike: HashMap<(*const [Grant], &str), Arc<Judged>> = HashMap::new();
    let mut judge_one = |on: &iam::ResourceGrants<'r>| -> (Arc<Judged>, bool) {
        let resource: &'r Resource = on.resource;
        let key = (Arc::as_ptr(&on.grants), resource.resource_type.as_str());
        if let Some(known) = alike.get(&key) {
            return (known.clone(), true);
        }
        let mut decided_alike = true;
        let judged = Arc::new(judge_resource(
            &mut asker,
            access,
            on,
            names,
            &mut decided_alike,
        ));
        if decided_alike {
            alike.insert(key, judged.clone());
        }
        (judged, decided_alike)
    };
    let mut collected = Collected::default();
    for on in &access.resources {
        let (judged, _) = judge_one(on);
        collected.add(
            &judged,
            on.phi_index,
            Judging::One(on.resource),
            access,
            phi_index,
        );
    }
    for part in &access.cohorts {
        let (judged, decided_alike) = judge_one(&part.example);
        if decided_alike {
            let target = Judging::Cohort(part);
            collected.add(&judged, part.example.phi_index, target, access, phi_index);
            continue;
        }
        // An answer depended on the resource: each is judged on its own.
        for (index, resource) in phi_index.cohort_resources(part) {
            let on = iam::ResourceGrants {
                resource,
                phi_index: index,
                grants: part.example.grants.clone(),
            };
            let (judged, _) = judge_one(&on);
            collected.add(&judged, index, Judging::One(resource), access, phi_index);
        }
    }
    let Collected {
        mut groups,
        group_of,
        mut errors,
        intended,
        ..
    } = collected;
    // In inventory order, as the resources are.
    errors.sort_by_key(|(index, _)| *index);
    let errors: Vec<String> = errors.into_iter().map(|(_, e)| e).collect();
    let mut by_key: BTreeMap<BeyondKey, BeyondTargets> = BTreeMap::new();
    for (key, id) in group_of {
        if let Some(targets) = groups.get_mut(id) {
            by_key.insert(key, std::mem::take(targets));
        }
    }
    if !errors.is_empty() {
        return finding(
            control,
            p,
            Status::Error,
            format!("cedar evaluation error for {label}: {}", errors.join("; ")),
            Vec::new(),
        );
    }
    let mut evidence = Vec::new();
    let mut parts = Vec::new();
    for (key, targets) in by_key {
        let actions: Vec<String> = key
            .actions
            .iter()
            .filter_map(|a| names.actions.get(*a).cloned())
            .collect();
        let applicable: BTreeMap<String, usize> = key.applicable.iter().cloned().collect();
        let reached = targets.reached(phi_index);
        let several = reached.names.len() + reached.every.iter().map(|e| e.2).sum::<usize>() > 1;
        let summary = summarize(&actions, Some(&applicable), several);
        let mut shown: Vec<String> = reached
            .every
            .iter()
            .map(|(account, ty, n)| {
                let account = account.as_deref().unwrap_or("(unknown)");
                match &control.scope.name {
                    None => format!("every PHI-bearing {ty} of account {account} ({n})"),
                    Some(name) => format!("every {ty} of account {account} among the {name} ({n})"),
                }
            })
            .collect();
        shown.extend(reached.names.iter().take(NAMES_IN_MESSAGE).cloned());
        let more = reached.names.len().saturating_sub(NAMES_IN_MESSAGE);
        if more > 0 {
            shown.push(format!("and {more} more (the evidence lists them all)"));
        }
        parts.push(format!(
            "{summary} on {} via {}",
            shown.join(", "),
            key.statement
        ));
        let mut value = json!({
            "statement": key.statement,
            "conditional": key.conditional,
            "actions": actions,
            "resources": reached.uids,
        });
        if !reached.every.is_empty()
            && let Some(fields) = value.as_object_mut()
        {
            let every: Vec<_> = reached
                .every
                .iter()
                .map(|(account, ty, n)| json!({"account": account, "type": ty, "count": n}))
                .collect();
            fields.insert("every".into(), json!(every));
        }
        evidence.push(Evidence {
            path: format!("iam:{label}:{}", key.statement),
            value: value.into(),
            absent: false,
        });
    }
    for u in &access.unverifiable {
        evidence.push(Evidence {
            path: format!("iam:{label}"),
            value: json!(u).into(),
            absent: true,
        });
    }
    if !parts.is_empty() || !access.unverifiable.is_empty() {
        let mut msg = String::new();
        if !parts.is_empty() {
            msg = format!(
                "{label} has access to {} beyond the intended: {}",
                scope_plural(control),
                parts.join("; ")
            );
        }
        if !access.unverifiable.is_empty() {
            if !msg.is_empty() {
                msg.push_str("; ");
            }
            msg.push_str(&format!(
                "{label}'s access cannot be verified: {}",
                access.unverifiable.join("; ")
            ));
        }
        return finding(control, p, Status::NonCompliant, msg, evidence);
    }
    if access.resources.is_empty() && access.cohorts.is_empty() {
        return finding(
            control,
            p,
            Status::NotApplicable,
            match &control.scope.name {
                None => format!("{label} has no grant on a PHI-bearing resource"),
                Some(name) => format!("{label} has no grant on the {name}"),
            },
            Vec::new(),
        );
    }
    finding(
        control,
        p,
        Status::Compliant,
        format!(
            "{label} has {intended} grant(s) on {}, all intended",
            scope_plural(control)
        ),
        Vec::new(),
    )
}

/// What a least-privilege control's messages call the resources it judges.
fn scope_plural(control: &CedarControl) -> &str {
    control
        .scope
        .name
        .as_deref()
        .unwrap_or("PHI-bearing resources")
}

/// `s3:GetObject, s3:PutObject`, or `s3:* (all 94 actions that apply to it)` when the list
/// holds every action of the service that can reach the resource (`to each` when `several`)
/// and there is more than one.
fn summarize(
    actions: &[String],
    applicable: Option<&BTreeMap<String, usize>>,
    several: bool,
) -> String {
    let it = if several { "each" } else { "it" };
    let mut by_service: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for a in actions {
        let service = a.split(':').next().unwrap_or("");
        by_service.entry(service).or_default().push(a);
    }
    by_service
        .into_iter()
        .map(|(service, list)| {
            let total = applicable
                .and_then(|a| a.get(service))
                .copied()
                .unwrap_or(usize::MAX);
            let mut list = list;
            list.sort_unstable();
            list.dedup();
            if list.len() == total && total > 1 {
                format!("{service}:* (all {total} {service} actions that apply to {it})")
            } else if list.len() > 6 {
                format!(
                    "{} and {} more {service} actions",
                    list.iter().take(5).copied().collect::<Vec<_>>().join(", "),
                    list.len() - 5
                )
            } else {
                list.join(", ")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The entities a set of controls reads: the resources of the types they read, with the
/// configuration keys their policies read.
pub fn entity_store(
    controls: &[&CedarControl],
    inventory: &Inventory,
    schema: &WardSchema,
    phi: &PhiConfig,
) -> EntityStore {
    let types = crate::types_read(controls.iter().copied());
    let mut reads = crate::reads::AttributeReads::default();
    for c in controls {
        reads.union(&c.reads);
    }
    let phi_only = judged_alone(controls, phi);
    crate::entities::build(inventory, schema, phi, &types, &reads, &phi_only)
}

/// The PHI-bearing types whose entities only least privilege reads, and only as the resource
/// of a request about a PHI-bearing resource: no control of the set evaluates them, no policy
/// names an entity of them, and they are no entity's parent. Their resources that are not
/// PHI-bearing (or are deleted) are never asked about, and get no entity.
fn judged_alone(controls: &[&CedarControl], phi: &PhiConfig) -> BTreeSet<String> {
    if !controls.iter().any(|c| c.mode == Mode::LeastPrivilege) {
        return BTreeSet::new();
    }
    let mut judged: BTreeSet<String> = crate::judged_types(phi.types.as_deref()).collect();
    for c in controls {
        for t in &c.resource_types {
            judged.remove(t);
        }
        match &c.named_types {
            // A policy Ward cannot walk may name any entity.
            None => return BTreeSet::new(),
            Some(named) => judged.retain(|t| !named.contains(&crate::names::entity_type_of(t))),
        }
    }
    for parent in crate::schema::PARENT_TYPES {
        judged.remove(parent);
    }
    judged
}

/// Runs every control over the inventory; each control is a step of `progress`, and each
/// resource it decides one pair.
pub fn evaluate_all(
    controls: &[&CedarControl],
    inventory: &Inventory,
    phi_for: &dyn Fn(&str) -> PhiConfig,
    schema: &WardSchema,
    timings: Option<&Timings>,
    progress: Option<&EvalProgress>,
) -> Result<Evaluation, EngineError> {
    // A backend with nothing to do does not show itself.
    let progress = progress.filter(|_| !controls.is_empty());
    if let Some(progress) = progress {
        let pairs = controls
            .iter()
            .flat_map(|c| &c.resource_types)
            .map(|t| inventory.of_type(t).count() as u64)
            .sum();
        progress.begin(CEDAR_BACKEND, pairs);
    }
    // The controls of one tag convention share an entity store built for them alone (the
    // resources of the types they read, with the attributes they read), dropped before the
    // next convention's is built.
    let mut groups: Vec<(PhiConfig, Vec<&CedarControl>)> = Vec::new();
    for control in controls {
        let phi = phi_for(&control.id);
        match groups.iter_mut().find(|(p, _)| *p == phi) {
            Some((_, group)) => group.push(control),
            None => groups.push((phi, vec![*control])),
        }
    }
    let mut findings = Vec::new();
    let mut without = Vec::new();
    for (phi, group) in groups {
        if let Some(progress) = progress {
            progress.step("entities");
        }
        let store = timed(timings, "    entities", || {
            entity_store(&group, inventory, schema, &phi)
        });
        for control in group {
            if let Some(progress) = progress {
                progress.step(&control.id);
            }
            let found = timed(timings, &format!("    {}", control.id), || {
                match control.mode {
                    Mode::Resource => {
                        evaluate_resource_control(control, inventory, &store, progress)
                    }
                    Mode::LeastPrivilege => least_privilege(
                        control,
                        inventory,
                        &store,
                        &phi,
                        schema,
                        Requests::Fewest,
                        progress,
                        None,
                    ),
                }
            });
            if found.is_empty() {
                without.push(control.id.clone());
            }
            findings.extend(found);
        }
    }
    ward_backend::sort_findings(&mut findings);
    without.sort();
    Ok(Evaluation {
        findings,
        rules_without_resources: without,
        as_of: inventory.latest_capture_time().map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes_of(policies: &str, actions: &[&str]) -> Vec<usize> {
        let schema = WardSchema::builtin().unwrap_or_else(|e| panic!("{e:?}"));
        let store = crate::entities::build(
            &Inventory::new(),
            schema,
            &PhiConfig::default(),
            &BTreeSet::new(),
            &crate::reads::AttributeReads::default(),
            &BTreeSet::new(),
        );
        let policies: PolicySet = policies.parse().unwrap_or_else(|e| panic!("{e}"));
        let catalog = ActionCatalog::builtin();
        let names = CedarNames::new(catalog, schema, &policies, &store.entities);
        actions
            .iter()
            .map(|a| {
                let i = names
                    .actions
                    .iter()
                    .position(|n| n == a)
                    .unwrap_or_else(|| panic!("{a}"));
                names.action_class[i]
            })
            .collect()
    }

    #[test]
    fn actions_are_told_apart_by_the_groups_and_literals_the_policies_name() {
        let read = r#"permit (principal, action in IAM::Action::"s3:Read", resource);"#;
        let c = classes_of(
            read,
            &["s3:GetObject", "s3:GetBucketPolicy", "s3:PutObject"],
        );
        assert_eq!(c[0], c[1]);
        assert_ne!(c[0], c[2]);
        let named = r#"permit (principal, action in IAM::Action::"s3:Read", resource)
            unless { [IAM::Action::"s3:GetObject"].contains(action) };"#;
        let c = classes_of(
            named,
            &["s3:GetObject", "s3:GetBucketPolicy", "s3:PutObject"],
        );
        assert_ne!(c[0], c[1]);
        assert_ne!(c[1], c[2]);
        // No action named: one class for all.
        let any = r#"permit (principal, action, resource);"#;
        let c = classes_of(any, &["s3:GetObject", "kms:Decrypt"]);
        assert_eq!(c[0], c[1]);
    }
}
