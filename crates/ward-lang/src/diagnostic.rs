//! The rule language's diagnostics are the workspace's (`ward-diagnostics`), shared with
//! Cedar and waivers.

pub use ward_diagnostics::{LangDiagnostic, SourceFile, did_you_mean, display_name, suggest};
