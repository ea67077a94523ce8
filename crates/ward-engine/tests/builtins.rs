//! Every built-in the table says takes a `v => …` argument is one the evaluator knows how to
//! call with it: `higher_order` has a catch-all arm, so a new one without its arm would
//! compile and only fail when a rule runs it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ward_engine::builtins::higher_order;
use ward_engine::eval::{Env, Frame};
use ward_engine::value::Val;
use ward_lang::Pack;
use ward_lang::functions::Builtin;
use ward_lang::ir::Ir;
use ward_model::{Inventory, Resource};

#[test]
fn every_builtin_with_a_function_argument_is_evaluated() {
    let (pack, inventory) = (Pack::default(), Inventory::new());
    let resource = Resource::new("AWS::S3::Bucket", "b");
    let env = Env {
        pack: &pack,
        inventory: &inventory,
        resource: &resource,
        params: &[],
        now: None,
        step_budget: ward_engine::DEFAULT_STEP_BUDGET,
    };
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
        let out = higher_order(b, list, 0, &Ir::Bool(true), &env, &mut frame);
        assert!(out.is_ok(), "`{}`: {:?}", b.name(), out.err());
    }
}
