//! Every built-in the table says takes a `v => …` argument is one the evaluator knows how to
//! call with it: `higher_order` has a catch-all arm, so a new one without its arm would
//! compile and only fail when a rule runs it. And what `group_by` files where.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::rc::Rc;
use ward_engine::builtins::higher_order;
use ward_engine::eval::{Env, Frame};

use ward_engine::value::{Path, V, Val};
use ward_lang::Pack;
use ward_lang::functions::Builtin;
use ward_lang::ir::Ir;
use ward_model::{Inventory, Resource};

/// An empty pack and inventory, and a resource to evaluate for.
struct World {
    pack: Pack,
    inventory: Inventory,
    resource: Resource,
}

impl World {
    fn new() -> Self {
        World {
            pack: Pack::default(),
            inventory: Inventory::new(),
            resource: Resource::new("AWS::S3::Bucket", "b"),
        }
    }

    fn env(&self) -> Env<'_> {
        Env {
            pack: &self.pack,
            inventory: &self.inventory,
            resource: &self.resource,
            params: &[],
            now: None,
            step_budget: ward_engine::DEFAULT_STEP_BUDGET,
        }
    }
}

#[test]
fn every_builtin_with_a_function_argument_is_evaluated() {
    let world = World::new();
    let env = world.env();
    let takers: Vec<Builtin> = Builtin::ALL
        .iter()
        .copied()
        .filter(|b| b.lambda_position().is_some())
        .collect();
    assert!(
        takers.len() >= 7,
        "the table lists the higher-order built-ins"
    );
    for b in takers {
        let mut frame = Frame::new(1);
        let list = Val::list(vec![Val::bool(true)]);
        // `group_by` needs string keys: it is given one.
        let body = if b == Builtin::GroupBy {
            Ir::Str("k".into())
        } else {
            Ir::Bool(true)
        };
        let out = higher_order(b, list, 0, &body, &env, &mut frame);
        assert!(out.is_ok(), "`{}`: {:?}", b.name(), out.err());
    }
}

/// `group_by(xs, x => x.k)` over JSON objects read from `items[i]`, each with the path the
/// inventory would give it.
fn group<'a>(
    items: &'a [ward_model::Json],
    env: &Env<'a>,
    frame: &mut Frame<'a>,
) -> Result<Val<'a>, ward_engine::eval::EvalError> {
    let list = Val::list(
        items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let root = Rc::new(Path::Label("items".into()));
                Val::json(v, Some(Rc::new(Path::Index(root, i))))
            })
            .collect(),
    );
    let body = Ir::Field(Box::new(Ir::Local(0)), "k".into());
    higher_order(Builtin::GroupBy, list, 0, &body, env, frame)
}

fn names(v: &Val<'_>) -> Vec<String> {
    v.elements()
        .unwrap()
        .iter()
        .map(|e| e.to_json()["n"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn group_by_files_each_element_under_its_keys_in_list_order_and_records_no_evidence() {
    let world = World::new();
    let env = world.env();
    let items: Vec<ward_model::Json> = serde_json::from_str(
        r#"[{"n": "a", "k": "x"}, {"n": "b", "k": ["y", "x", "y"]}, {"n": "c"},
            {"n": "d", "k": null}, {"n": "e", "k": "y"}, {"n": "f", "k": []}]"#,
    )
    .unwrap();
    let mut frame = Frame::new(1);
    let out = group(&items, &env, &mut frame).unwrap();
    let V::Obj(map) = &out.v else {
        panic!("an object, found {out:?}")
    };
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    assert_eq!(keys, ["x", "y"], "absent keys and empty lists file nothing");
    assert_eq!(names(&map["x"]), ["a", "b"]);
    assert_eq!(
        names(&map["y"]),
        ["b", "e"],
        "an element once per distinct key"
    );
    assert!(frame.evidence.is_empty(), "{:?}", frame.evidence);
}

#[test]
fn group_by_with_a_key_that_is_not_a_string_is_an_error_naming_the_path() {
    let world = World::new();
    let env = world.env();
    for (items, expected) in [
        (
            r#"[{"n": "a", "k": "x"}, {"n": "b", "k": 7}]"#,
            "`group_by` needs a string or a list of strings as the key, found a number at `items[1].k`",
        ),
        (
            r#"[{"n": "a", "k": ["x", {"o": 1}]}]"#,
            "found a list holding a object at `items[0].k[1]`",
        ),
    ] {
        let items: Vec<ward_model::Json> = serde_json::from_str(items).unwrap();
        let mut frame = Frame::new(1);
        let err = group(&items, &env, &mut frame).unwrap_err();
        assert!(err.0.contains(expected), "{}", err.0);
    }
}
