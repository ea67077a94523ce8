//! Write Ward controls in Rust and compile them to a WebAssembly component that Ward runs
//! in its sandbox (`docs/plugins.md`).
//!
//! Implement [`Plugin`] and export it with [`export_plugin!`]; build with
//! `cargo build --release --target wasm32-unknown-unknown`. The result is a core module
//! that carries the `ward:plugin@1.0.0` component type; Ward turns it into a component when
//! it loads it.
//!
//! ```ignore
//! use ward_plugin_sdk::{Control, Outcome, Params, Plugin, PluginInfo, Resource, Severity};
//!
//! struct Mine;
//!
//! impl Plugin for Mine {
//!     fn info() -> PluginInfo {
//!         PluginInfo::new("mine", "0.1.0").control(
//!             Control::new("bucket-named-well", "Buckets have sensible names", Severity::Low)
//!                 .resource_type("AWS::S3::Bucket"),
//!         )
//!     }
//!
//!     fn evaluate(_control: &str, resource: &Resource, _params: &Params) -> Outcome {
//!         Outcome::compliant(format!("`{}` is fine", resource.id))
//!     }
//! }
//!
//! ward_plugin_sdk::export_plugin!(Mine);
//! ```
//!
//! The raw interface (the generated bindings) is in [`bindings`] for plugins that need it.

use std::collections::BTreeMap;
use std::marker::PhantomData;

pub use serde_json::{self, Value, json};

/// The bindings wit-bindgen generates for `plugins/wit/ward-plugin.wit`.
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "ward-plugin",
        pub_export_macro: true,
        export_macro_name: "export_raw",
        default_bindings_module: "ward_plugin_sdk::bindings",
    });
}

/// The raw `ward:plugin/plugin` interface: its types and the `Guest` trait.
pub use bindings::exports::ward::plugin::plugin as raw;
pub use raw::{ParamType, Severity, Status};

/// The interface version this SDK implements.
pub const INTERFACE_VERSION: &str = "1.0.0";

/// A parameter a control accepts.
#[derive(Debug, Clone)]
pub struct Param {
    name: String,
    ty: ParamType,
    default: Value,
    description: String,
}

impl Param {
    pub fn number(name: &str, default: f64, description: &str) -> Param {
        Param::new(name, ParamType::Number, json!(default), description)
    }

    pub fn integer(name: &str, default: i64, description: &str) -> Param {
        Param::new(name, ParamType::Number, json!(default), description)
    }

    pub fn text(name: &str, default: &str, description: &str) -> Param {
        Param::new(name, ParamType::Text, json!(default), description)
    }

    pub fn boolean(name: &str, default: bool, description: &str) -> Param {
        Param::new(name, ParamType::Boolean, json!(default), description)
    }

    pub fn text_list(name: &str, default: &[&str], description: &str) -> Param {
        Param::new(name, ParamType::TextList, json!(default), description)
    }

    pub fn number_list(name: &str, default: &[f64], description: &str) -> Param {
        Param::new(name, ParamType::NumberList, json!(default), description)
    }

    fn new(name: &str, ty: ParamType, default: Value, description: &str) -> Param {
        Param {
            name: name.to_string(),
            ty,
            default,
            description: description.to_string(),
        }
    }
}

/// One control: its metadata, as a rule of the rule language has it.
#[derive(Debug, Clone)]
pub struct Control {
    id: String,
    title: String,
    severity: Severity,
    citations: Vec<String>,
    description: String,
    remediation: String,
    resource_types: Vec<String>,
    params: Vec<Param>,
}

impl Control {
    pub fn new(id: &str, title: &str, severity: Severity) -> Control {
        Control {
            id: id.to_string(),
            title: title.to_string(),
            severity,
            citations: Vec::new(),
            description: String::new(),
            remediation: String::new(),
            resource_types: Vec::new(),
            params: Vec::new(),
        }
    }

    /// A HIPAA citation, e.g. `164.312(a)(1)`.
    pub fn citation(mut self, citation: &str) -> Control {
        self.citations.push(citation.to_string());
        self
    }

    pub fn description(mut self, text: &str) -> Control {
        self.description = text.to_string();
        self
    }

    pub fn remediation(mut self, text: &str) -> Control {
        self.remediation = text.to_string();
        self
    }

    /// An AWS Config resource type the control evaluates, e.g. `AWS::Lambda::Function`.
    pub fn resource_type(mut self, resource_type: &str) -> Control {
        self.resource_types.push(resource_type.to_string());
        self
    }

    pub fn param(mut self, param: Param) -> Control {
        self.params.push(param);
        self
    }
}

/// What the plugin is and which controls it implements.
#[derive(Debug, Clone)]
pub struct PluginInfo {
    name: String,
    version: String,
    controls: Vec<Control>,
}

impl PluginInfo {
    pub fn new(name: &str, version: &str) -> PluginInfo {
        PluginInfo {
            name: name.to_string(),
            version: version.to_string(),
            controls: Vec::new(),
        }
    }

    pub fn control(mut self, control: Control) -> PluginInfo {
        self.controls.push(control);
        self
    }
}

impl From<PluginInfo> for raw::PluginInfo {
    fn from(info: PluginInfo) -> raw::PluginInfo {
        raw::PluginInfo {
            name: info.name,
            version: info.version,
            controls: info
                .controls
                .into_iter()
                .map(|c| raw::Control {
                    id: c.id,
                    title: c.title,
                    severity: c.severity,
                    citations: c.citations,
                    description: c.description,
                    remediation: c.remediation,
                    resource_types: c.resource_types,
                    params: c
                        .params
                        .into_iter()
                        .map(|p| raw::ParamDecl {
                            name: p.name,
                            type_: p.ty,
                            default: p.default.to_string(),
                            description: p.description,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// One resource of the inventory, parsed.
#[derive(Debug, Clone)]
pub struct Resource {
    pub resource_type: String,
    pub id: String,
    /// The whole normalized resource (`docs/inventory-format.md`).
    pub json: Value,
}

impl Resource {
    /// The value at a path from the resource root: `configuration.environment.variables`,
    /// `tags.env`, `configuration.ipPermissions[0].fromPort`; `None` when absent.
    pub fn get(&self, path: &str) -> Option<&Value> {
        get_path(&self.json, path)
    }
}

/// The value at a dotted path with `[index]` steps.
pub fn get_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut here = value;
    for part in path.split('.') {
        let (key, indexes) = match part.find('[') {
            Some(i) => part.split_at(i),
            None => (part, ""),
        };
        if !key.is_empty() {
            here = here.get(key)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let n: usize = index.strip_suffix(']')?.parse().ok()?;
            here = here.get(n)?;
        }
    }
    Some(here)
}

/// The parameters of one evaluation: the declared defaults with the user's overrides.
#[derive(Debug, Clone, Default)]
pub struct Params(BTreeMap<String, Value>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    pub fn number(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(Value::as_f64)
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    pub fn boolean(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(Value::as_bool)
    }

    pub fn text_list(&self, name: &str) -> Vec<&str> {
        self.get(name)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
}

/// The outcome of a control for one resource.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    pub message: String,
    pub evidence: Vec<(String, Value)>,
}

impl Outcome {
    pub fn new(status: Status, message: impl Into<String>) -> Outcome {
        Outcome {
            status,
            message: message.into(),
            evidence: Vec::new(),
        }
    }

    pub fn compliant(message: impl Into<String>) -> Outcome {
        Outcome::new(Status::Compliant, message)
    }

    pub fn non_compliant(message: impl Into<String>) -> Outcome {
        Outcome::new(Status::NonCompliant, message)
    }

    pub fn not_applicable(message: impl Into<String>) -> Outcome {
        Outcome::new(Status::NotApplicable, message)
    }

    pub fn error(message: impl Into<String>) -> Outcome {
        Outcome::new(Status::Error, message)
    }

    /// Adds a value that decided the outcome, at its path from the resource root.
    pub fn evidence(mut self, path: impl Into<String>, value: Value) -> Outcome {
        self.evidence.push((path.into(), value));
        self
    }
}

/// A plugin: its controls and how it evaluates one of them for one resource.
pub trait Plugin {
    /// The plugin's name, version and controls; called once when Ward loads the plugin.
    fn info() -> PluginInfo;

    /// Evaluates `control` (one of the ids [`Plugin::info`] declared) for one resource.
    fn evaluate(control: &str, resource: &Resource, params: &Params) -> Outcome;

    /// Like [`Plugin::evaluate`], with the evaluation time (RFC 3339) when Ward has one.
    /// The default ignores it.
    fn evaluate_at(
        control: &str,
        resource: &Resource,
        params: &Params,
        _as_of: Option<&str>,
    ) -> Outcome {
        Self::evaluate(control, resource, params)
    }
}

/// Implements the raw interface for a [`Plugin`]; used by [`export_plugin!`].
#[doc(hidden)]
pub struct Adapter<P>(PhantomData<P>);

impl<P: Plugin> raw::Guest for Adapter<P> {
    fn info() -> raw::PluginInfo {
        P::info().into()
    }

    fn evaluate(request: raw::Request) -> Result<Vec<raw::Finding>, String> {
        let mut params = Params::default();
        for p in &request.params {
            let value: Value = serde_json::from_str(&p.value)
                .map_err(|e| format!("parameter `{}` is not JSON: {e}", p.name))?;
            params.0.insert(p.name.clone(), value);
        }
        let mut findings = Vec::with_capacity(request.resources.len());
        for (index, r) in request.resources.into_iter().enumerate() {
            let outcome = match serde_json::from_str::<Value>(&r.json) {
                Ok(json) => {
                    let resource = Resource {
                        resource_type: r.resource_type,
                        id: r.id,
                        json,
                    };
                    P::evaluate_at(
                        &request.control,
                        &resource,
                        &params,
                        request.as_of.as_deref(),
                    )
                }
                Err(e) => Outcome::error(format!("the resource is not JSON: {e}")),
            };
            let index = u32::try_from(index).map_err(|_| "too many resources".to_string())?;
            findings.push(raw::Finding {
                control: request.control.clone(),
                resource: index,
                status: outcome.status,
                message: outcome.message,
                evidence: outcome
                    .evidence
                    .into_iter()
                    .map(|(path, value)| raw::Evidence {
                        path,
                        value: value.to_string(),
                    })
                    .collect(),
            });
        }
        Ok(findings)
    }
}

/// Exports a [`Plugin`] as the component's `ward:plugin/plugin` interface.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        type __WardPluginAdapter = $crate::Adapter<$plugin>;
        $crate::bindings::export_raw!(__WardPluginAdapter with_types_in $crate::bindings);
    };
}

/// Shannon entropy of a string, in bits per character.
pub fn shannon_entropy(text: &str) -> f64 {
    let mut counts: BTreeMap<char, usize> = BTreeMap::new();
    let mut total = 0usize;
    for c in text.chars() {
        *counts.entry(c).or_insert(0) += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let n = total as f64;
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let v = json!({"configuration": {"a": [{"b": 1}], "c": {"d": "x"}}});
        assert_eq!(get_path(&v, "configuration.a[0].b"), Some(&json!(1)));
        assert_eq!(get_path(&v, "configuration.c.d"), Some(&json!("x")));
        assert_eq!(get_path(&v, "configuration.a[1].b"), None);
        assert_eq!(get_path(&v, "tags.x"), None);
    }

    #[test]
    fn entropy() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
    }
}
