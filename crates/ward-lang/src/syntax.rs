//! The pest binding of `grammar/ward.pest`.

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/ward.pest"]
pub(crate) struct WardParser;
