//! `def` calls evaluated once and reused.
//!
//! A `def` whose body cannot read the resource under evaluation (no field of it, no
//! `related(...)` or `lookup(T, id)`, no rule parameter, and only such `def`s called) has one value per
//! (account, arguments): `resources(T)` is the only thing in it that depends on where it is
//! called, and it reads the account of the resource. When it reads the account (it calls
//! `resources(T)`, itself or through another def), its calls are evaluated once per (def,
//! account, arguments) by each worker thread and the result reused: an account-wide `def`
//! such as `log_bucket_names()` called for each of 10,000 buckets costs one pass over the
//! account, not 10,000. A def that reads every account's resources (`all_resources(T)`) and
//! not the account's has one value per arguments: it is evaluated once per (def, arguments)
//! by each worker, whichever account calls it, so that an index over the whole inventory
//! costs one pass however many accounts ask it ([`Scope`]).
//!
//! Reuse changes nothing a finding shows. The call is evaluated in a frame of its own and
//! both its value and the evidence it recorded are kept, with the steps it took, the nesting
//! it reached and the most evidence it held; every call, the first included, replays that
//! evidence into the caller's frame through [`crate::eval::Frame::note_evidence`] (the same
//! de-duplication as recording it there) and is charged those steps. Where replaying could
//! differ from evaluating in place (the caller would reach its step budget, the nesting limit
//! or the evidence limit) the call is evaluated in place instead, and a call that fails is
//! never remembered: the result is always what evaluation without reuse gives. Arguments are part
//! of the key by value: the call is evaluated once with each argument standing for itself (a
//! marker path, [`argument_marker`]), and each caller gets the evidence and value with its own
//! paths in place of the markers ([`evidence_for_caller`], [`value_for_caller`]), so that a
//! pattern every principal's policy holds at its own path is worked out once, not once per
//! principal. Only calls whose arguments are all scalars (strings, numbers, booleans, absent
//! values, resource types) are memoized, the others evaluated as before.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use ward_lang::Pack;
use ward_lang::functions::Builtin;
use ward_lang::ir::Ir;
use ward_model::Evidence;

use crate::index::{FieldIndex, IndexKey};
use crate::value::{Path, V, Val};

/// How a memoized `def`'s calls are shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Not memoized: it reads the resource under evaluation, or reads nothing of the
    /// inventory (a string or number helper, cheaper to evaluate again than to remember).
    None,
    /// One value per (account, arguments): it reads `resources(T)`, the account's resources.
    Account,
    /// One value per arguments for the whole inventory: it reads `all_resources(T)` and not
    /// `resources(T)`.
    Inventory,
}

/// How each `def` of a pack is memoized, by index in [`Pack::defs`]: those that read nothing
/// of the resource under evaluation and read the inventory (`resources(T)` or
/// `all_resources(T)`, themselves or through the defs they call). A def that reads neither
/// is cheap (string and number helpers): remembering it would cost more than evaluating it
/// again.
pub fn memoizable_defs(pack: &Pack) -> Vec<Scope> {
    // The greatest fixed point for independence (a def is independent unless a def it calls
    // is not) and the least for what it reads; repeat until nothing changes, at most one
    // round per def.
    let n = pack.defs.len();
    let mut independent_defs = vec![true; n];
    let mut account_wide = vec![false; n];
    let mut inventory_wide = vec![false; n];
    loop {
        let mut changed = false;
        for (i, def) in pack.defs.iter().enumerate() {
            let ind = independent(&def.body, &independent_defs);
            let account = reads(&def.body, Builtin::Resources, &account_wide);
            let inventory = reads(&def.body, Builtin::AllResources, &inventory_wide);
            for (flags, value) in [
                (&mut independent_defs, ind),
                (&mut account_wide, account),
                (&mut inventory_wide, inventory),
            ] {
                if let Some(slot) = flags.get_mut(i)
                    && *slot != value
                {
                    *slot = value;
                    changed = true;
                }
            }
        }
        if !changed {
            return independent_defs
                .iter()
                .zip(account_wide.iter().zip(&inventory_wide))
                .map(|(independent, (account, inventory))| {
                    match (*independent, *account, *inventory) {
                        (true, true, _) => Scope::Account,
                        (true, false, true) => Scope::Inventory,
                        _ => Scope::None,
                    }
                })
                .collect();
        }
    }
}

/// True when `ir` calls `builtin` or a def flagged in `defs`.
fn reads(ir: &Ir, builtin: Builtin, defs: &[bool]) -> bool {
    let mut found = false;
    ir.visit(&mut |node| {
        found = found
            || matches!(node, Ir::Call(b, _) if *b == builtin)
            || matches!(node, Ir::CallDef(i, _) if defs.get(*i).copied().unwrap_or(false));
    });
    found
}

/// True when `ir` reads nothing of the resource under evaluation (no field of it, no
/// `related(...)`, no `lookup(T, id)`, which answers from the caller's account and Region
/// first, no rule parameter) and calls only independent defs.
fn independent(ir: &Ir, defs: &[bool]) -> bool {
    let mut reads_resource = false;
    ir.visit(&mut |node| {
        reads_resource = reads_resource
            || matches!(node, Ir::Root(_) | Ir::Resource | Ir::Param(_))
            || matches!(node, Ir::Call(Builtin::Related | Builtin::Lookup, _))
            || matches!(node, Ir::CallDef(i, _) if !defs.get(*i).copied().unwrap_or(false));
    });
    !reads_resource
}

/// One argument of a memoized call, as its key: its value. Where it was read from is not
/// part of the key: the call is evaluated once with each argument standing for itself
/// ([`argument_marker`]), and its evidence names the caller's paths when replayed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ArgKey {
    Absent,
    Bool(bool),
    Num(u64),
    Str(String),
    Type(String),
}

fn arg_key(v: &Val<'_>) -> Option<ArgKey> {
    Some(match &v.v {
        V::Absent => ArgKey::Absent,
        V::Bool(b) => ArgKey::Bool(*b),
        V::Num(n) => ArgKey::Num(n.to_bits()),
        V::Str(s) => ArgKey::Str(s.as_str().to_string()),
        V::Type(t) => ArgKey::Type(t.to_string()),
        // A resource or a part of one is, nearly always, the resource under evaluation or
        // one read from it: a different key for every resource, so remembering it would
        // only cost memory. Lists and objects built at run time have no cheap key.
        V::Json(_) | V::JsonMap(_) | V::Tags(_) | V::Resource(_) | V::List(_) | V::Obj(_) => {
            return None;
        }
    })
}

/// The path a memoized call's `i`th argument has while the call is evaluated: a label no
/// path of the inventory renders as, so that evidence read from the argument (its own path,
/// or `[0]` of an absent one) starts with it and is rewritten to the caller's path.
pub fn argument_marker(i: usize) -> String {
    format!("\u{0}arg{i}\u{0}")
}

/// True when a value holds something read from a memoized call's argument (its path starts
/// at an [`argument_marker`]): each caller gets it with its own paths.
pub fn mentions_argument(val: &Val<'_>) -> bool {
    fn marked(path: &Path<'_>) -> bool {
        match path {
            Path::Label(l) => l.starts_with('\u{0}'),
            Path::Field(parent, _) | Path::Index(parent, _) => marked(parent),
            Path::Root { .. } => false,
        }
    }
    val.path.as_deref().is_some_and(marked)
        || match &val.v {
            V::List(items) => items.iter().any(mentions_argument),
            V::Obj(fields) => fields.values().any(mentions_argument),
            _ => false,
        }
}

/// A memoized call's value as the caller would have had it: what it holds of an argument
/// (the argument itself, or a part of an absent one) carries the caller's path for it.
pub fn value_for_caller<'a>(val: &Val<'a>, args: &[Val<'a>]) -> Val<'a> {
    /// `Some(new path)` for a path that starts at an argument's marker.
    fn rebase<'a>(path: &Path<'a>, args: &[Val<'a>]) -> Option<Option<Rc<Path<'a>>>> {
        match path {
            Path::Label(l) => {
                let index = l.strip_prefix("\u{0}arg")?.strip_suffix('\u{0}')?;
                let arg = args.get(index.parse::<usize>().ok()?)?;
                Some(arg.path.clone())
            }
            Path::Field(parent, name) => {
                Some(rebase(parent, args)?.map(|p| Rc::new(Path::Field(p, name.clone()))))
            }
            Path::Index(parent, i) => {
                Some(rebase(parent, args)?.map(|p| Rc::new(Path::Index(p, *i))))
            }
            Path::Root { .. } => None,
        }
    }
    let path = match val.path.as_deref().and_then(|p| rebase(p, args)) {
        Some(rebased) => rebased,
        None => val.path.clone(),
    };
    let v = match &val.v {
        V::List(items) if items.iter().any(mentions_argument) => V::List(Rc::new(
            items.iter().map(|i| value_for_caller(i, args)).collect(),
        )),
        V::Obj(fields) if fields.values().any(mentions_argument) => V::Obj(Rc::new(
            fields
                .iter()
                .map(|(k, f)| (k.clone(), value_for_caller(f, args)))
                .collect(),
        )),
        other => other.clone(),
    };
    Val { v, path }
}

/// Evidence a memoized call recorded, as the caller would have recorded it: paths read from
/// an argument start at the caller's path for it; an argument the caller did not read from
/// anywhere (a literal) records nothing, as evaluated in place.
pub fn evidence_for_caller(evidence: &Evidence, args: &[Option<String>]) -> Option<Evidence> {
    let Some(rest) = evidence.path.strip_prefix("\u{0}arg") else {
        return Some(evidence.clone());
    };
    let (index, rest) = rest.split_once('\u{0}')?;
    let caller = args.get(index.parse::<usize>().ok()?)?.as_ref()?;
    Some(Evidence {
        path: format!("{caller}{rest}"),
        ..evidence.clone()
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    def: usize,
    /// `None` for a def of [`Scope::Inventory`]; `Some(the caller's account)` otherwise.
    account: Option<Option<String>>,
    args: Vec<ArgKey>,
}

/// A memoized call's outcome and the evidence it recorded.
pub struct Entry<'a> {
    pub value: Val<'a>,
    /// The value holds something read from an argument ([`mentions_argument`]): each caller
    /// gets it with its own paths ([`value_for_caller`]).
    pub returns_argument: bool,
    /// Paths read from the arguments start with their [`argument_marker`].
    pub evidence: Vec<Evidence>,
    /// Some evidence was read from an argument.
    pub reads_arguments: bool,
    /// The steps it took, the nesting it reached below the call, and the most evidence it
    /// held at once: a caller that would reach a limit with them evaluates the call in place.
    pub steps: u64,
    pub depth: usize,
    pub peak: usize,
}

/// The memoized calls of one worker thread (values borrow from the inventory and are not
/// shared between threads). It travels with the frame of each evaluation
/// ([`crate::eval::Frame::memo`]).
#[derive(Default)]
pub struct Memo<'a> {
    /// How each def is memoized ([`memoizable_defs`]); empty: none is.
    memoizable: Arc<[Scope]>,
    entries: HashMap<Key, Rc<Entry<'a>>>,
    /// Whether `filter`/`count` over an account's resources may use field indexes
    /// ([`crate::index`]); off in a default memo, which evaluates everything in place.
    index_filters: bool,
    indexes: HashMap<IndexKey, Rc<FieldIndex<'a>>>,
    /// The expressions evaluated by the evaluations this memo travelled with (tests count
    /// work with it).
    pub work: u64,
}

/// Past this many entries a worker stops remembering new calls (they are evaluated, and
/// their evidence replayed, as the first call of each is): a guard against a rule that
/// calls a def with a different argument for each resource.
const MEMO_ENTRIES: usize = 1 << 16;

/// A call's key, when it can be memoized.
pub struct CallKey(Key);

impl<'a> Memo<'a> {
    pub fn new(memoizable: Arc<[Scope]>) -> Self {
        Memo {
            memoizable,
            entries: HashMap::new(),
            index_filters: true,
            indexes: HashMap::new(),
            work: 0,
        }
    }

    pub fn indexes_enabled(&self) -> bool {
        self.index_filters
    }

    pub fn index(&self, key: &IndexKey) -> Option<Rc<FieldIndex<'a>>> {
        self.indexes.get(key).cloned()
    }

    pub fn remember_index(&mut self, key: IndexKey, index: Rc<FieldIndex<'a>>) {
        self.indexes.insert(key, index);
    }

    /// The key of a call of `def` from a resource of `account`, when it can be memoized.
    pub fn key(&self, def: usize, account: Option<&str>, args: &[Val<'a>]) -> Option<CallKey> {
        let account = match self.memoizable.get(def).copied().unwrap_or(Scope::None) {
            Scope::None => return None,
            Scope::Account => Some(account.map(str::to_string)),
            Scope::Inventory => None,
        };
        Some(CallKey(Key {
            def,
            account,
            args: args.iter().map(arg_key).collect::<Option<Vec<_>>>()?,
        }))
    }

    pub fn get(&self, key: &CallKey) -> Option<Rc<Entry<'a>>> {
        self.entries.get(&key.0).cloned()
    }

    /// Remembers a call evaluated for `key` (unless the memory is full).
    pub fn insert(&mut self, key: CallKey, entry: Rc<Entry<'a>>) {
        if self.entries.len() < MEMO_ENTRIES {
            self.entries.insert(key.0, entry);
        }
    }
}
