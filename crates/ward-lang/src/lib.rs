//! The Ward rule language: the pest binding for `grammar/ward.pest`, an AST with spans, the
//! checker that resolves names, types and resource shapes, and the compiled form
//! ([`ir`]) that `ward-engine` evaluates.
//!
//! ward-lang knows nothing about where resources come from or how findings are reported; the
//! only AWS knowledge it has is the resource catalogue from `ward-model`, used to check field
//! names.

pub mod ast;
pub mod check;
pub mod diagnostic;
pub mod fields;
pub mod functions;
pub mod ir;
pub mod pack;
pub mod parse;
mod syntax;

pub use diagnostic::{LangDiagnostic, SourceFile};
pub use ir::{CompiledDef, CompiledRule, Ir, ParamSpec, ParamType, RuleMeta};
pub use pack::{Pack, PackError, load_pack, load_pack_sources};
