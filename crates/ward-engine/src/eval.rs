//! The interpreter of compiled rules ([`ward_lang::ir`]) for one resource.
//!
//! Absent values follow the language reference: they propagate through comparisons,
//! arithmetic and functions, and `and`/`or`/`not` use three-valued logic. Evidence is
//! recorded where values are compared or tested; quantifiers keep only the evidence of the
//! elements that decided them.

use std::rc::Rc;
use std::sync::Arc;

use ward_lang::Pack;
use ward_lang::functions::Builtin;
use ward_lang::ir::{ArithOp, CmpOp, Ir, IrArg, Message, MessagePart, RootField};
use ward_model::{Evidence, Inventory, Json, Resource};

use crate::builtins;
use crate::memo::{Entry, Memo};
use crate::value::{Path, Text, V, Val};

/// Evidence entries kept for one finding at most.
pub const MAX_EVIDENCE: usize = 40;

/// A failure of the rule itself for this resource: becomes an `ERROR` finding.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError(pub String);

pub type EvalResult<'a> = Result<Val<'a>, EvalError>;

/// Everything one evaluation can see.
pub struct Env<'a> {
    pub pack: &'a Pack,
    pub inventory: &'a Inventory,
    pub resource: &'a Resource,
    pub params: &'a [Option<Json>],
    /// The evaluation time (RFC 3339), for `now()` and ages.
    pub now: Option<jiff::Timestamp>,
    /// The most steps one evaluation may take ([`ward_backend::EvalOptions::step_budget`]).
    pub step_budget: u64,
}

/// Mutable state of one evaluation: locals and evidence, and the memoized `def` calls of
/// the worker thread ([`crate::memo`]), which travel from one evaluation to the next.
pub struct Frame<'a> {
    pub slots: Vec<Val<'a>>,
    pub evidence: Vec<Evidence>,
    depth: usize,
    pub memo: Memo<'a>,
    /// Expressions evaluated so far as evaluation without reuse would count them (a reused
    /// call costs what evaluating it took), and how many may be
    /// ([`ward_backend::EvalOptions::step_budget`]).
    pub steps: u64,
    pub budget: u64,
    /// Expressions actually evaluated (a reused call costs nothing): the work tests count.
    pub work: u64,
    /// The deepest nesting reached, and the most evidence held at once: what a reused call
    /// needs to know to be replayed exactly ([`crate::memo::Entry`]).
    pub max_depth: usize,
    pub peak: usize,
    /// Where [`Frame::note`] renders a path before knowing whether it is new.
    scratch: String,
}

/// How an error for a spent step budget begins ([`EvalError::is_budget`]).
const BUDGET_SPENT: &str = "step budget spent: ";

impl EvalError {
    /// The rule took more steps than its budget (the error names the budget).
    pub fn is_budget(&self) -> bool {
        self.0.starts_with(BUDGET_SPENT)
    }
}

impl<'a> Frame<'a> {
    pub fn new(slots: usize) -> Self {
        Frame {
            slots: vec![Val::absent(None); slots],
            evidence: Vec::new(),
            depth: 0,
            memo: Memo::default(),
            steps: 0,
            budget: ward_backend::DEFAULT_STEP_BUDGET,
            work: 0,
            max_depth: 0,
            peak: 0,
            scratch: String::new(),
        }
    }

    fn push_evidence(&mut self, e: Evidence) {
        self.evidence.push(e);
        self.peak = self.peak.max(self.evidence.len());
    }

    /// Records evidence recorded elsewhere (a memoized call's), with the same
    /// de-duplication and limit as [`Frame::note`].
    pub fn note_evidence(&mut self, e: &Evidence) {
        if self.evidence.len() >= MAX_EVIDENCE || self.evidence.iter().any(|x| x.path == e.path) {
            return;
        }
        self.push_evidence(e.clone());
    }

    /// Records a value as evidence when it was read from a path.
    pub fn note(&mut self, val: &Val<'a>) {
        let Some(path) = &val.path else { return };
        if !val.is_scalar() || self.evidence.len() >= MAX_EVIDENCE {
            return;
        }
        // Rendered into a buffer kept from call to call: most paths noted are already in
        // the evidence, and a new one is copied out at its exact length.
        let mut rendered = std::mem::take(&mut self.scratch);
        rendered.clear();
        path.write(&mut rendered);
        if !self.evidence.iter().any(|e| e.path == rendered) {
            self.push_evidence(Evidence {
                path: rendered.clone(),
                value: val.to_json().into(),
                absent: val.is_absent(),
            });
        }
        self.scratch = rendered;
    }
}

/// The three logical outcomes of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Truth {
    True,
    False,
    /// Undecidable because this path is absent.
    Absent(Option<String>),
}

const MAX_DEPTH: usize = 200;

pub fn truth(val: &Val<'_>) -> Result<Truth, EvalError> {
    match &val.v {
        V::Bool(true) => Ok(Truth::True),
        V::Bool(false) => Ok(Truth::False),
        V::Absent => Ok(Truth::Absent(val.path.as_ref().map(|p| p.render()))),
        _ => Err(EvalError(format!(
            "expected a boolean, found a {}{}",
            val.kind(),
            val.path
                .as_ref()
                .map(|p| format!(" at `{}`", p.render()))
                .unwrap_or_default()
        ))),
    }
}

pub fn eval<'a>(ir: &Ir, env: &Env<'a>, frame: &mut Frame<'a>) -> EvalResult<'a> {
    frame.steps += 1;
    frame.work += 1;
    if frame.steps > frame.budget {
        return Err(EvalError(format!(
            "{BUDGET_SPENT}more than {} evaluation steps for this resource",
            frame.budget
        )));
    }
    frame.depth += 1;
    frame.max_depth = frame.max_depth.max(frame.depth);
    if frame.depth > MAX_DEPTH {
        frame.depth -= 1;
        return Err(EvalError("expression nesting too deep".into()));
    }
    let out = eval_inner(ir, env, frame);
    frame.depth -= 1;
    out
}

fn eval_inner<'a>(ir: &Ir, env: &Env<'a>, frame: &mut Frame<'a>) -> EvalResult<'a> {
    Ok(match ir {
        Ir::Num(n) => Val::num(*n),
        Ir::Str(s) => Val::string(s.as_ref()),
        Ir::Bool(b) => Val::bool(*b),
        Ir::Type(t) => Val::new(V::Type(t.clone())),
        Ir::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(eval(item, env, frame)?);
            }
            Val::list(out)
        }
        Ir::Root(field) => root_field(env.resource, *field, None),
        Ir::Resource => Val::new(V::Resource(env.resource)),
        Ir::Local(slot) => frame.slots.get(*slot).cloned().unwrap_or(Val::absent(None)),
        Ir::Param(i) => match env.params.get(*i).and_then(Option::as_ref) {
            Some(v) => Val::json(v, None),
            None => Val::absent(None),
        },
        Ir::Field(inner, name) => {
            let base = eval(inner, env, frame)?;
            field(&base, name)?
        }
        Ir::Index(inner, index) => {
            let base = eval(inner, env, frame)?;
            let index = eval(index, env, frame)?;
            match (&index.v, &base.v) {
                (V::Absent, _) => index,
                (_, V::Absent) => base,
                (V::Str(t), _) => field(&base, &Arc::from(t.as_str()))?,
                (V::Num(n), _) => {
                    let items = base.elements().ok_or_else(|| {
                        EvalError(format!("cannot index a {} by a number", base.kind()))
                    })?;
                    let len = items.len() as i64;
                    let i = *n as i64;
                    let i = if i < 0 { len + i } else { i };
                    usize::try_from(i)
                        .ok()
                        .and_then(|i| items.into_iter().nth(i))
                        .unwrap_or_else(|| {
                            Val::absent(base.path.as_ref().map(|p| {
                                Rc::new(Path::Index(p.clone(), usize::try_from(i).unwrap_or(0)))
                            }))
                        })
                }
                _ => return Err(EvalError(format!("cannot index by a {}", index.kind()))),
            }
        }
        Ir::Not(inner) => {
            let v = eval(inner, env, frame)?;
            frame.note(&v);
            match truth(&v)? {
                Truth::True => Val::bool(false),
                Truth::False => Val::bool(true),
                Truth::Absent(_) => v,
            }
        }
        Ir::Neg(inner) => {
            let v = eval(inner, env, frame)?;
            match v.v {
                V::Num(n) => Val::num(-n),
                V::Absent => v,
                _ => return Err(EvalError(format!("cannot negate a {}", v.kind()))),
            }
        }
        Ir::And(a, b) => {
            let l = eval(a, env, frame)?;
            frame.note(&l);
            let lt = truth(&l)?;
            if lt == Truth::False {
                return Ok(Val::bool(false));
            }
            let r = eval(b, env, frame)?;
            frame.note(&r);
            match (lt, truth(&r)?) {
                (_, Truth::False) => Val::bool(false),
                (Truth::True, Truth::True) => Val::bool(true),
                (Truth::Absent(_), _) => l,
                (_, _) => r,
            }
        }
        Ir::Or(a, b) => {
            let l = eval(a, env, frame)?;
            frame.note(&l);
            let lt = truth(&l)?;
            if lt == Truth::True {
                return Ok(Val::bool(true));
            }
            let r = eval(b, env, frame)?;
            frame.note(&r);
            match (lt, truth(&r)?) {
                (_, Truth::True) => Val::bool(true),
                (Truth::False, Truth::False) => Val::bool(false),
                (Truth::Absent(_), _) => l,
                (_, _) => r,
            }
        }
        Ir::Cmp(op, a, b) => {
            let l = eval(a, env, frame)?;
            let r = eval(b, env, frame)?;
            frame.note(&l);
            frame.note(&r);
            if l.is_absent() {
                return Ok(l);
            }
            if r.is_absent() {
                return Ok(r);
            }
            if matches!(op, CmpOp::Eq | CmpOp::Ne) && !same_kind(&l, &r) {
                return Err(shape_surprise(frame, &l, &r));
            }
            Val::bool(compare(*op, &l, &r)?)
        }
        Ir::In {
            needle,
            haystack,
            negated,
        } => {
            let n = eval(needle, env, frame)?;
            let h = eval(haystack, env, frame)?;
            frame.note(&n);
            frame.note(&h);
            if n.is_absent() {
                return Ok(n);
            }
            if h.is_absent() {
                return Ok(h);
            }
            let found = contains(frame, &h, &n)?;
            Val::bool(found != *negated)
        }
        Ir::Coalesce(a, b) => {
            let l = eval(a, env, frame)?;
            if l.is_absent() {
                eval(b, env, frame)?
            } else {
                l
            }
        }
        Ir::Arith(op, a, b) => {
            let l = eval(a, env, frame)?;
            let r = eval(b, env, frame)?;
            if l.is_absent() {
                return Ok(l);
            }
            if r.is_absent() {
                return Ok(r);
            }
            arith(*op, &l, &r)?
        }
        Ir::Matches(inner, re) => {
            let v = eval(inner, env, frame)?;
            frame.note(&v);
            match &v.v {
                V::Absent => v,
                V::Str(t) => Val::bool(re.is_match(t.as_str())),
                _ => {
                    return Err(EvalError(format!(
                        "`matches` needs a string, found a {}",
                        v.kind()
                    )));
                }
            }
        }
        Ir::Call(builtin, args) => call(*builtin, args, env, frame)?,
        Ir::If(cond, a, b) => {
            let c = eval(cond, env, frame)?;
            frame.note(&c);
            match truth(&c)? {
                Truth::True => eval(a, env, frame)?,
                Truth::False => eval(b, env, frame)?,
                Truth::Absent(_) => c,
            }
        }
        Ir::CallDef(index, args) => {
            let def = env
                .pack
                .defs
                .get(*index)
                .ok_or_else(|| EvalError("unknown function".into()))?;
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                values.push(eval(a, env, frame)?);
            }
            let account = env.resource.account_id.as_deref();
            let Some(key) = frame.memo.key(*index, account, &values) else {
                return call_def(def, values, env, frame);
            };
            let entry = match frame.memo.get(&key) {
                Some(entry) => Some(entry),
                None => {
                    // In a frame of its own, so that its evidence can be replayed; with the
                    // caller's depth and remaining budget, so that it fails where evaluating
                    // it in place would. Each argument stands for itself (its path is a
                    // marker), so that the value and evidence serve every caller passing
                    // the same values, wherever it read them.
                    let mut own = Frame::new(0);
                    own.depth = frame.depth;
                    own.max_depth = frame.depth;
                    own.budget = frame.budget.saturating_sub(frame.steps);
                    own.memo = std::mem::take(&mut frame.memo);
                    let marked: Vec<Val<'a>> = values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| Val {
                            v: v.v.clone(),
                            path: Some(Rc::new(Path::Label(crate::memo::argument_marker(i)))),
                        })
                        .collect();
                    let value = call_def(def, marked, env, &mut own);
                    frame.memo = std::mem::take(&mut own.memo);
                    frame.work += own.work;
                    // An error (a spent budget, too deep a nesting, a shape surprise) is not
                    // remembered: the call is evaluated in place below, which gives exactly
                    // what evaluation without reuse gives.
                    value.ok().map(|value| {
                        // A call without arguments has nothing to rebase.
                        let has_args = !values.is_empty();
                        let reads_arguments =
                            has_args && own.evidence.iter().any(|e| e.path.starts_with('\u{0}'));
                        let entry = Rc::new(Entry {
                            returns_argument: has_args && crate::memo::mentions_argument(&value),
                            value,
                            evidence: own.evidence,
                            reads_arguments,
                            steps: own.steps,
                            depth: own.max_depth.saturating_sub(frame.depth),
                            peak: own.peak,
                        });
                        frame.memo.insert(key, entry.clone());
                        entry
                    })
                }
            };
            match entry {
                // Replayed only where it cannot reach a limit (steps, nesting, evidence)
                // that evaluating it in place would reach: then the result is the same.
                // Evidence: either all of the call's fits, or the finding's evidence is
                // already full, so that evaluated in place the call would record nothing (and
                // remove nothing: what it rolls back, it recorded itself). Without the second
                // case, an account-level rule whose evidence fills up while it asks an
                // account-wide def about every resource would evaluate the def in place for
                // each: quadratic. A call whose own evidence filled up while it read from its
                // arguments may have kept an entry twice (under the marker and under the
                // caller's path) and dropped one evaluation in place would keep: in place.
                Some(e)
                    if frame.steps + e.steps <= frame.budget
                        && frame.depth + e.depth <= MAX_DEPTH
                        && ((frame.evidence.len() + e.peak <= MAX_EVIDENCE
                            && !(e.reads_arguments && e.peak >= MAX_EVIDENCE))
                            || frame.evidence.len() >= MAX_EVIDENCE) =>
                {
                    let held = frame.evidence.len();
                    frame.steps += e.steps;
                    frame.max_depth = frame.max_depth.max(frame.depth + e.depth);
                    frame.peak = frame.peak.max((held + e.peak).min(MAX_EVIDENCE));
                    if e.reads_arguments {
                        let paths: Vec<Option<String>> = values
                            .iter()
                            .map(|v| v.path.as_ref().map(|p| p.render()))
                            .collect();
                        for ev in &e.evidence {
                            if let Some(ev) = crate::memo::evidence_for_caller(ev, &paths) {
                                frame.note_evidence(&ev);
                            }
                        }
                    } else {
                        for ev in &e.evidence {
                            frame.note_evidence(ev);
                        }
                    }
                    if e.returns_argument {
                        crate::memo::value_for_caller(&e.value, &values)
                    } else {
                        e.value.clone()
                    }
                }
                _ => call_def(def, values, env, frame)?,
            }
        }
    })
}

/// Evaluates a `def`'s body with `args` in its parameter slots.
fn call_def<'a>(
    def: &ward_lang::ir::CompiledDef,
    args: Vec<Val<'a>>,
    env: &Env<'a>,
    frame: &mut Frame<'a>,
) -> EvalResult<'a> {
    let mut slots = vec![Val::absent(None); def.slots.max(args.len())];
    for (i, v) in args.into_iter().enumerate() {
        if let Some(s) = slots.get_mut(i) {
            *s = v;
        }
    }
    let saved = std::mem::replace(&mut frame.slots, slots);
    let out = eval(&def.body, env, frame);
    frame.slots = saved;
    out
}

/// A top-level field of a resource, as a value with its path.
pub fn root_field<'a>(r: &'a Resource, field: RootField, other: Option<&'a Resource>) -> Val<'a> {
    let path = Some(Rc::new(Path::Root {
        other,
        field: field.name(),
    }));
    let text = |s: &'a Option<String>| match s {
        Some(s) => Val {
            v: V::Str(Text::Borrowed(s)),
            path: path.clone(),
        },
        None => Val::absent(path.clone()),
    };
    match field {
        RootField::Configuration => Val::json(&r.configuration, path),
        RootField::SupplementaryConfiguration => Val {
            v: V::JsonMap(&r.supplementary_configuration),
            path,
        },
        RootField::Tags => Val {
            v: V::Tags(&r.tags),
            path,
        },
        RootField::Relationships => {
            let items = r
                .relationships
                .iter()
                .map(|rel| {
                    let mut m = std::collections::BTreeMap::new();
                    m.insert(
                        "resourceType".to_string(),
                        Val::new(V::Str(Text::Borrowed(&rel.resource_type))),
                    );
                    if let Some(id) = &rel.resource_id {
                        m.insert(
                            "resourceId".to_string(),
                            Val::new(V::Str(Text::Borrowed(id))),
                        );
                    }
                    if let Some(name) = &rel.resource_name {
                        m.insert(
                            "resourceName".to_string(),
                            Val::new(V::Str(Text::Borrowed(name))),
                        );
                    }
                    m.insert(
                        "relationshipName".to_string(),
                        Val::new(V::Str(Text::Borrowed(&rel.relationship_name))),
                    );
                    Val::new(V::Obj(Rc::new(m)))
                })
                .collect();
            Val {
                v: V::List(Rc::new(items)),
                path,
            }
        }
        RootField::ResourceType => Val {
            v: V::Str(Text::Borrowed(&r.resource_type)),
            path,
        },
        RootField::ResourceId => Val {
            v: V::Str(Text::Borrowed(&r.resource_id)),
            path,
        },
        RootField::ResourceName => text(&r.resource_name),
        RootField::Arn => text(&r.arn),
        RootField::AccountId => text(&r.account_id),
        RootField::AwsRegion => text(&r.aws_region),
        RootField::AvailabilityZone => text(&r.availability_zone),
        RootField::ConfigurationItemStatus => text(&r.configuration_item_status),
        RootField::ConfigurationItemCaptureTime => text(&r.configuration_item_capture_time),
        RootField::ResourceCreationTime => text(&r.resource_creation_time),
    }
}

/// `base.name`.
pub fn field<'a>(base: &Val<'a>, name: &Arc<str>) -> EvalResult<'a> {
    let path = base.child_path(name);
    if let Some(map) = base.json_map() {
        return Ok(match map.get(name.as_ref()) {
            Some(v) => Val::json(v, path),
            None => Val::absent(path),
        });
    }
    Ok(match &base.v {
        V::Absent => base.clone(),
        V::Tags(tags) => match tags.get(name.as_ref()) {
            Some(v) => Val {
                v: V::Str(Text::Borrowed(v)),
                path,
            },
            None => Val::absent(path),
        },
        V::Obj(map) => match map.get(name.as_ref()) {
            Some(v) => v.clone(),
            None => Val::absent(path),
        },
        V::Resource(r) => match RootField::by_name(name) {
            Some(f) => root_field(r, f, Some(r)),
            None => return Err(EvalError(format!("a resource has no field `{name}`"))),
        },
        _ => {
            return Err(EvalError(format!(
                "cannot read field `{name}` of a {}{}",
                base.kind(),
                base.path
                    .as_ref()
                    .map(|p| format!(" (`{}`)", p.render()))
                    .unwrap_or_default()
            )));
        }
    })
}

fn compare(op: CmpOp, l: &Val<'_>, r: &Val<'_>) -> Result<bool, EvalError> {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (&l.v, &r.v) {
        (V::Num(a), V::Num(b)) => a.partial_cmp(b),
        (V::Str(_) | V::Type(_), V::Str(_) | V::Type(_)) => {
            Some(l.as_str().unwrap_or("").cmp(r.as_str().unwrap_or("")))
        }
        (V::Bool(a), V::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    };
    match op {
        CmpOp::Eq | CmpOp::Ne => {
            let equal = match (ord, &l.v, &r.v) {
                (Some(o), _, _) => o == Ordering::Equal,
                // One inventory holds one resource per type, id, account and Region: no need
                // to compare two resources field by field unless they share type and id.
                (None, V::Resource(a), V::Resource(b)) => {
                    std::ptr::eq(*a, *b)
                        || (a.resource_type == b.resource_type
                            && a.resource_id == b.resource_id
                            && l.to_json() == r.to_json())
                }
                (None, _, _) => l.to_json() == r.to_json() && l.kind() == r.kind(),
            };
            Ok(equal == (op == CmpOp::Eq))
        }
        _ => {
            let Some(o) = ord.filter(|_| !matches!(l.v, V::Bool(_))) else {
                return Err(EvalError(format!(
                    "cannot order a {} and a {}",
                    l.kind(),
                    r.kind()
                )));
            };
            Ok(match op {
                CmpOp::Lt => o == Ordering::Less,
                CmpOp::Le => o != Ordering::Greater,
                CmpOp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            })
        }
    }
}

pub fn values_equal(a: &Val<'_>, b: &Val<'_>) -> bool {
    compare(CmpOp::Eq, a, b).unwrap_or(false)
}

/// Whether two present values are of kinds that `==` can compare: a string and a resource
/// type are both text, and a list or object of the inventory is the same kind as one built
/// at run time. Anything else is a shape the rule did not expect (`configuration.state`
/// recorded as `{"value": "in-use"}` compared with `"in-use"`): never quietly unequal.
pub fn same_kind(a: &Val<'_>, b: &Val<'_>) -> bool {
    a.kind() == b.kind() || (a.as_str().is_some() && b.as_str().is_some())
}

/// The run-time error for a value whose shape the rule did not expect. The unexpected
/// value, with its path, becomes evidence of the `ERROR` finding (objects and lists
/// included, which evidence otherwise leaves out).
pub fn shape_surprise(frame: &mut Frame<'_>, found: &Val<'_>, other: &Val<'_>) -> EvalError {
    // The side read from the inventory is the surprise; a literal or parameter has no path.
    let (found, other) = match (&found.path, &other.path) {
        (None, Some(_)) => (other, found),
        _ => (found, other),
    };
    if let Some(path) = &found.path {
        let path = path.render();
        if !frame.evidence.iter().any(|e| e.path == path) && frame.evidence.len() < MAX_EVIDENCE {
            frame.push_evidence(Evidence {
                path,
                value: found.to_json().into(),
                absent: false,
            });
        }
    }
    EvalError(format!(
        "unexpected shape: {} is {} {} ({}), compared with {} {} ({}); Ward does not guess what it means",
        found
            .path
            .as_ref()
            .map(|p| format!("`{}`", p.render()))
            .unwrap_or_else(|| "a value".to_string()),
        article(found.kind()),
        found.kind(),
        excerpt(found),
        article(other.kind()),
        other.kind(),
        excerpt(other),
    ))
}

pub fn article(kind: &str) -> &'static str {
    if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// A value as JSON text, cut to a readable length.
pub fn excerpt(v: &Val<'_>) -> String {
    const MAX: usize = 120;
    let text = v.to_json().to_string();
    if text.len() <= MAX {
        return text;
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", text.get(..end).unwrap_or_default())
}

/// Why `x in haystack` could not be answered.
enum Contains<'a> {
    /// No element of the list is of the needle's kind: this element shows the shape found.
    Surprise(Val<'a>),
    Error(EvalError),
}

/// `needle in haystack`: an element of a list, a key of an object, a substring of a string.
pub fn contains<'a>(
    frame: &mut Frame<'_>,
    haystack: &Val<'a>,
    needle: &Val<'a>,
) -> Result<bool, EvalError> {
    lookup_in(haystack, needle).map_err(|e| match e {
        Contains::Surprise(element) => shape_surprise(frame, &element, needle),
        Contains::Error(e) => e,
    })
}

fn lookup_in<'a>(haystack: &Val<'a>, needle: &Val<'a>) -> Result<bool, Contains<'a>> {
    if let Some(items) = haystack.elements() {
        if items.iter().any(|i| values_equal(i, needle)) {
            return Ok(true);
        }
        // A list whose elements are all of another kind than the needle (security group
        // ids recorded as `{"value": "sg-1"}` objects, looked up by a string) is a surprise,
        // not a "not found".
        if items.iter().any(|i| same_kind(i, needle)) {
            return Ok(false);
        }
        return match items.into_iter().find(|i| !i.is_absent()) {
            Some(element) => Err(Contains::Surprise(element)),
            None => Ok(false),
        };
    }
    if let (Some(m), Some(n)) = (haystack.json_map(), needle.as_str()) {
        return Ok(m.contains_key(n));
    }
    match (&haystack.v, needle.as_str()) {
        (V::Str(h), Some(n)) => Ok(h.as_str().contains(n)),
        (V::Tags(t), Some(n)) => Ok(t.contains_key(n)),
        (V::Obj(m), Some(n)) => Ok(m.contains_key(n)),
        _ => Err(Contains::Error(EvalError(format!(
            "cannot look for {} {} ({}) in {} {}{}",
            article(needle.kind()),
            needle.kind(),
            excerpt(needle),
            article(haystack.kind()),
            haystack.kind(),
            haystack
                .path
                .as_ref()
                .map(|p| format!(" (`{}` = {})", p.render(), excerpt(haystack)))
                .unwrap_or_default()
        )))),
    }
}

fn arith<'a>(op: ArithOp, l: &Val<'a>, r: &Val<'a>) -> EvalResult<'a> {
    if let (V::Num(a), V::Num(b)) = (&l.v, &r.v) {
        let (a, b) = (*a, *b);
        return Ok(Val::num(match op {
            ArithOp::Add => a + b,
            ArithOp::Sub => a - b,
            ArithOp::Mul => a * b,
            ArithOp::Div | ArithOp::Rem if b == 0.0 => {
                return Err(EvalError("division by zero".into()));
            }
            ArithOp::Div => a / b,
            ArithOp::Rem => a % b,
        }));
    }
    if op == ArithOp::Add {
        if let (Some(a), Some(b)) = (l.as_str(), r.as_str()) {
            return Ok(Val::string(format!("{a}{b}")));
        }
        if let (Some(mut a), Some(b)) = (l.elements(), r.elements()) {
            a.extend(b);
            return Ok(Val::list(a));
        }
    }
    Err(EvalError(format!(
        "cannot apply arithmetic to a {}{} and a {}{}",
        l.kind(),
        builtins::at_path(l),
        r.kind(),
        builtins::at_path(r)
    )))
}

/// Evaluates a lambda body for one element.
pub fn apply<'a>(
    slot: usize,
    body: &Ir,
    element: Val<'a>,
    env: &Env<'a>,
    frame: &mut Frame<'a>,
) -> EvalResult<'a> {
    if let Some(s) = frame.slots.get_mut(slot) {
        *s = element;
    } else {
        return Err(EvalError("internal: lambda slot out of range".into()));
    }
    eval(body, env, frame)
}

fn call<'a>(b: Builtin, args: &[IrArg], env: &Env<'a>, frame: &mut Frame<'a>) -> EvalResult<'a> {
    if let Some(pos) = b.lambda_position()
        && let Some(IrArg::Lambda { slot, body }) = args.get(pos)
    {
        let Some(IrArg::Value(list_ir)) = args.first() else {
            return Err(EvalError("internal: missing list argument".into()));
        };
        // An account's resources filtered by an equality: from the worker's index.
        if let Some(shape) = crate::index::indexable(b, list_ir, *slot, body)
            && let Some(candidates) = crate::index::candidates(&shape, *slot, env, frame)
        {
            return builtins::higher_order(b, Val::list(candidates), *slot, body, env, frame);
        }
        let list = eval(list_ir, env, frame)?;
        return builtins::higher_order(b, list, *slot, body, env, frame);
    }
    let mut values = Vec::with_capacity(args.len());
    for a in args {
        match a {
            IrArg::Value(ir) => values.push(eval(ir, env, frame)?),
            IrArg::Lambda { .. } => return Err(EvalError("internal: unexpected function".into())),
        }
    }
    if !b.accepts_absent() {
        for v in &values {
            frame.note(v);
        }
        if let Some(absent) = values.iter().find(|v| v.is_absent()) {
            return Ok(absent.clone());
        }
    }
    builtins::call(b, values, env, frame)
}

/// Renders a message, interpolating its expressions.
pub fn render<'a>(message: &Message, env: &Env<'a>, frame: &mut Frame<'a>) -> String {
    let mut out = String::new();
    for part in &message.parts {
        match part {
            MessagePart::Text(t) => out.push_str(t),
            MessagePart::Expr(ir) => {
                // Interpolation must not add evidence of its own.
                let mark = frame.evidence.len();
                match eval(ir, env, frame) {
                    Ok(v) => out.push_str(&v.display()),
                    Err(e) => out.push_str(&format!("<error: {}>", e.0)),
                }
                frame.evidence.truncate(mark);
            }
        }
    }
    out
}
