//! Filters over an account's resources that an equality decides, answered from an index.
//!
//! `filter(resources(T), x => x.a.b == E and ...)` (or `count(...)`) evaluated in place reads
//! every resource of type `T` of the account for every resource under evaluation: quadratic
//! in the size of an account (each load balancer scanning every listener). When the test the
//! body evaluates first is an equality between a field of `x` and an expression `E` that does
//! not read `x` (`x.a.b == E`, `E == x.a.b`, either `?? false`), every resource whose field
//! is a string other than `E`'s value makes the body false at once, and a false element
//! leaves no trace in `filter` or `count` (its evidence is dropped, nothing else is kept). So
//! the worker indexes the account's resources of `T` once by that field (string values; a
//! resource whose field is absent, not a string or cannot be read is kept aside), and the
//! call evaluates the body on the resources whose field equals `E`'s value and on those kept
//! aside, in inventory order: the same value, the same evidence, the same errors, without
//! the scan. When `E`'s value is not a string (or `E` fails), the call is evaluated in place.
//!
//! The order of the tests matters: `a and b` evaluates `b` only when `a` is not false, so a
//! test that reads the element evaluated before the equality could fail on a resource the
//! index passes over; the equality must be the first test of the body's `and`s that reads the
//! element. Tests before it that do not read the element have one value for all elements:
//! evaluated once, false makes the result empty, and an error leaves the call to be evaluated
//! in place.

use std::collections::HashMap;
use std::rc::Rc;

use ward_lang::functions::Builtin;
use ward_lang::ir::{CmpOp, Ir, IrArg};

use crate::eval::{Env, EvalError, Frame, apply, eval};
use crate::value::{V, Val};

/// A `filter` or `count` call the index can answer.
pub struct Indexable<'i> {
    resource_type: &'i str,
    /// The tests evaluated before the equality, which do not read the element: the same value
    /// for every element.
    before: Vec<&'i Ir>,
    /// The field of the lambda's element (`x.a.b`), and its path (`a.b`).
    key: &'i Ir,
    path: String,
    /// The expression the field is compared with, which does not read the element.
    value: &'i Ir,
}

/// Whether `b(list, slot => body)` has the shape the index answers.
pub fn indexable<'i>(b: Builtin, list: &'i Ir, slot: usize, body: &'i Ir) -> Option<Indexable<'i>> {
    if !matches!(b, Builtin::Filter | Builtin::Count) {
        return None;
    }
    let resource_type = match list {
        Ir::Call(Builtin::Resources, args) => match args.as_slice() {
            [IrArg::Value(Ir::Type(t) | Ir::Str(t))] => t.as_ref(),
            _ => return None,
        },
        _ => return None,
    };
    // The tests of the body's `and`s in the order they are evaluated; the equality is the
    // first that reads the element.
    let mut tests = Vec::new();
    conjuncts(body, &mut tests);
    let at = tests.iter().position(|t| reads_slot(t, slot))?;
    let (before, rest) = tests.split_at(at);
    let mut first = *rest.first()?;
    if let Ir::Coalesce(inner, fallback) = first
        && matches!(**fallback, Ir::Bool(false))
    {
        first = inner;
    }
    let Ir::Cmp(CmpOp::Eq, a, b) = first else {
        return None;
    };
    let (key, value, path) = match (field_path(a, slot), field_path(b, slot)) {
        (Some(path), None) => (&**a, &**b, path),
        (None, Some(path)) => (&**b, &**a, path),
        _ => return None,
    };
    if reads_slot(value, slot) {
        return None;
    }
    Some(Indexable {
        resource_type,
        before: before.to_vec(),
        key,
        path,
        value,
    })
}

/// The tests of `and`s, in the order they are evaluated.
fn conjuncts<'i>(ir: &'i Ir, out: &mut Vec<&'i Ir>) {
    if let Ir::And(a, b) = ir {
        conjuncts(a, out);
        conjuncts(b, out);
    } else {
        out.push(ir);
    }
}

/// `a.b` when `ir` is the field chain `x.a.b` of the element in `slot`.
fn field_path(ir: &Ir, slot: usize) -> Option<String> {
    let mut names = Vec::new();
    let mut at = ir;
    while let Ir::Field(inner, name) = at {
        names.push(name.as_ref());
        at = inner;
    }
    if names.is_empty() || !matches!(at, Ir::Local(s) if *s == slot) {
        return None;
    }
    names.reverse();
    Some(names.join("."))
}

fn reads_slot(ir: &Ir, slot: usize) -> bool {
    let mut found = false;
    ir.visit(&mut |node| found = found || matches!(node, Ir::Local(s) if *s == slot));
    found
}

/// One account's resources of one type, by the string value of one field.
pub struct FieldIndex<'a> {
    /// The account's (not deleted) resources of the type, as `resources(T)` lists them.
    items: Vec<Val<'a>>,
    by_value: HashMap<String, Vec<usize>>,
    /// Positions whose field is absent, not a string, or cannot be read: always evaluated.
    aside: Vec<usize>,
}

/// (account, resource type, field path) → its index.
pub type IndexKey = (Option<String>, String, String);

/// The elements the body must be evaluated on, in inventory order; `None`: evaluate the call
/// in place.
pub fn candidates<'a>(
    shape: &Indexable<'_>,
    slot: usize,
    env: &Env<'a>,
    frame: &mut Frame<'a>,
) -> Option<Vec<Val<'a>>> {
    if !frame.memo.indexes_enabled() {
        return None;
    }
    // Tests before the equality have one value for all elements: false makes every element
    // false (nothing kept); true or absent lets the equality decide; anything else (an error,
    // a value that is not a boolean) is left to the call evaluated in place, which fails on
    // the first element as `and` does.
    for test in &shape.before {
        let mark = frame.evidence.len();
        let value = eval(test, env, frame);
        frame.evidence.truncate(mark);
        match value.ok()?.v {
            V::Bool(false) => return Some(Vec::new()),
            V::Bool(true) | V::Absent => {}
            _ => return None,
        }
    }
    // The value compared with: its evidence is recorded again, element by element, when the
    // body is evaluated on the candidates (as in place).
    let mark = frame.evidence.len();
    let value = eval(shape.value, env, frame);
    frame.evidence.truncate(mark);
    let value = value.ok()?;
    let text = value.as_str()?.to_string();
    let account = env.resource.account_id.clone();
    let key: IndexKey = (
        account.clone(),
        shape.resource_type.to_string(),
        shape.path.clone(),
    );
    let index = match frame.memo.index(&key) {
        Some(known) => known,
        None => {
            let built = Rc::new(build(shape, slot, account.as_deref(), env, frame));
            frame.memo.remember_index(key, built.clone());
            built
        }
    };
    let mut positions: Vec<usize> = index
        .by_value
        .get(&text)
        .into_iter()
        .flatten()
        .chain(&index.aside)
        .copied()
        .collect();
    positions.sort_unstable();
    Some(
        positions
            .into_iter()
            .filter_map(|p| index.items.get(p).cloned())
            .collect(),
    )
}

/// Reads the field of every resource of the type in the account. The work is counted; the
/// steps are not charged to the evaluation that happens to build it (every evaluation of the
/// worker uses it), and its evidence is dropped.
fn build<'a>(
    shape: &Indexable<'_>,
    slot: usize,
    account: Option<&str>,
    env: &Env<'a>,
    frame: &mut Frame<'a>,
) -> FieldIndex<'a> {
    let items: Vec<Val<'a>> = env
        .inventory
        .of_type_in_account(shape.resource_type, account)
        .filter(|r| !r.is_deleted())
        .map(|r| Val::new(V::Resource(r)))
        .collect();
    let (steps, budget, mark) = (frame.steps, frame.budget, frame.evidence.len());
    frame.budget = u64::MAX;
    let saved_slot = frame.slots.get(slot).cloned();
    let mut by_value: HashMap<String, Vec<usize>> = HashMap::new();
    let mut aside = Vec::new();
    for (position, item) in items.iter().enumerate() {
        let read: Result<Val<'a>, EvalError> = apply(slot, shape.key, item.clone(), env, frame);
        match read.ok().as_ref().and_then(Val::as_str) {
            Some(text) => by_value.entry(text.to_string()).or_default().push(position),
            None => aside.push(position),
        }
        frame.evidence.truncate(mark);
    }
    if let (Some(saved), Some(s)) = (saved_slot, frame.slots.get_mut(slot)) {
        *s = saved;
    }
    frame.steps = steps;
    frame.budget = budget;
    FieldIndex {
        items,
        by_value,
        aside,
    }
}
