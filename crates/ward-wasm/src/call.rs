//! One plugin call: a fresh instance of the pre-instantiated component in its own store,
//! with its fuel and memory limits; whatever happens becomes a finding.

use std::collections::BTreeSet;

use serde_json::Value;
use ward_model::{Evidence, Finding, Resource, Status};
use wasmtime::{Engine, ResourceLimiter, Store, Trap};

use crate::bindings::WardPluginPre;
use crate::bindings::exports::ward::plugin::plugin as raw;
use crate::{BACKEND, ControlInfo, Limits, Plugin};

/// What a store holds: the limiter, which remembers a refused growth.
pub(crate) struct HostState {
    limiter: Limiter,
}

struct Limiter {
    memory_bytes: usize,
    table_elements: usize,
    /// The size a memory asked to grow to when it was refused.
    refused_memory: Option<usize>,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.refused_memory = Some(desired);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= self.table_elements)
    }

    fn instances(&self) -> usize {
        // A component made by wit-component holds a few core instances.
        32
    }

    fn tables(&self) -> usize {
        32
    }

    fn memories(&self) -> usize {
        4
    }
}

/// Why a call produced no usable output.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The fuel ran out.
    Fuel,
    /// A memory asked to grow beyond the limit (and the plugin gave up, or instantiation
    /// failed): the size it asked for.
    Memory(usize),
    /// The call stack was exhausted.
    Stack,
    /// Any other trap.
    Trap(String),
    /// The output did not lift into the interface's types (bad enum discriminant, string
    /// that is not UTF-8, pointer out of bounds...), or instantiation failed.
    Host(String),
}

/// Words for a failure, with the limit involved.
pub(crate) fn describe_failure(failure: &Failure, limits: &Limits) -> String {
    match failure {
        Failure::Fuel => format!(
            "it ran out of fuel (the limit is {} units per call): an endless loop, or too much work",
            limits.fuel
        ),
        Failure::Memory(asked) => format!(
            "it exceeded its memory limit: it asked for {} KiB, the limit is {} KiB",
            asked / 1024,
            limits.memory_bytes / 1024
        ),
        Failure::Stack => format!(
            "it exhausted its call stack (the limit is {} KiB): endless recursion?",
            limits.stack_bytes / 1024
        ),
        Failure::Trap(trap) => format!("it trapped: {trap}"),
        Failure::Host(message) => format!("its call failed: {message}"),
    }
}

/// The compiled plugin and what each call needs.
pub(crate) struct Runner {
    engine: Engine,
    pre: WardPluginPre<HostState>,
    limits: Limits,
}

impl Runner {
    pub(crate) fn new(engine: Engine, pre: WardPluginPre<HostState>, limits: Limits) -> Self {
        Runner {
            engine,
            pre,
            limits,
        }
    }

    /// Runs `f` on a fresh instance in a fresh store.
    fn with_instance<R>(
        &self,
        f: impl FnOnce(&crate::bindings::WardPlugin, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, Failure> {
        let mut store = Store::new(
            &self.engine,
            HostState {
                limiter: Limiter {
                    memory_bytes: self.limits.memory_bytes,
                    table_elements: 100_000,
                    refused_memory: None,
                },
            },
        );
        store.limiter(|s| &mut s.limiter);
        store
            .set_fuel(self.limits.fuel)
            .map_err(|e| Failure::Host(format!("{e:#}")))?;
        let result = self
            .pre
            .instantiate(&mut store)
            .and_then(|instance| f(&instance, &mut store));
        result.map_err(|e| {
            if let Some(asked) = store.data().limiter.refused_memory {
                return Failure::Memory(asked);
            }
            match e.downcast_ref::<Trap>() {
                Some(Trap::OutOfFuel) => Failure::Fuel,
                Some(Trap::StackOverflow) => Failure::Stack,
                Some(trap) => Failure::Trap(trap.to_string()),
                None => Failure::Host(format!("{e:#}")),
            }
        })
    }

    pub(crate) fn info(&self) -> Result<raw::PluginInfo, Failure> {
        self.with_instance(|instance, store| instance.ward_plugin_plugin().call_info(store))
    }

    pub(crate) fn evaluate(
        &self,
        plugin: &Plugin,
        control: &ControlInfo,
        resource: &Resource,
        params: &[(String, Value)],
        as_of: Option<&str>,
    ) -> Finding {
        let error = |message: String| make(control, resource, Status::Error, message, Vec::new());
        let json = match serde_json::to_string(resource) {
            Ok(json) => json,
            Err(e) => return error(format!("cannot hand the resource to the plugin: {e}")),
        };
        let request = raw::Request {
            control: control.id.clone(),
            params: params
                .iter()
                .map(|(name, value)| raw::ParamValue {
                    name: name.clone(),
                    value: value.to_string(),
                })
                .collect(),
            resources: vec![raw::Resource {
                resource_type: resource.resource_type.clone(),
                id: resource.resource_id.clone(),
                json,
            }],
            as_of: as_of.map(str::to_string),
        };
        let who = format!("plugin `{}` ({})", plugin.name, plugin.file);
        let output = self.with_instance(|instance, store| {
            instance.ward_plugin_plugin().call_evaluate(store, &request)
        });
        let findings = match output {
            Err(failure) => {
                return error(format!(
                    "{who}: {}",
                    describe_failure(&failure, &self.limits)
                ));
            }
            Ok(Err(message)) => {
                return error(format!(
                    "{who} reported an error: {}",
                    clip(&message, self.limits.max_message_bytes)
                ));
            }
            Ok(Ok(findings)) => findings,
        };
        match check_output(plugin, control, findings, &self.limits) {
            Ok(finding) => make(
                control,
                resource,
                finding.status,
                finding.message,
                finding.evidence,
            ),
            Err(problem) => error(format!("{who} returned malformed output: {problem}")),
        }
    }
}

/// A finding the plugin returned, checked.
struct Checked {
    status: Status,
    message: String,
    evidence: Vec<Evidence>,
}

/// The one finding for the one resource of the request, or what is wrong with the output.
fn check_output(
    plugin: &Plugin,
    control: &ControlInfo,
    findings: Vec<raw::Finding>,
    limits: &Limits,
) -> Result<Checked, String> {
    let given = 1usize;
    let mut seen = BTreeSet::new();
    let mut result = None;
    for f in findings {
        if f.control != control.id {
            return Err(if plugin.control(&f.control).is_some() {
                format!(
                    "a finding for control `{}`, but Ward asked for `{}`",
                    clip(&f.control, 128),
                    control.id
                )
            } else {
                format!(
                    "a finding for control `{}`, which the plugin did not declare",
                    clip(&f.control, 128)
                )
            });
        }
        let index = f.resource as usize;
        if index >= given {
            return Err(format!(
                "a finding for resource #{index}, but the plugin was given {given} resource(s)"
            ));
        }
        if !seen.insert(index) {
            return Err("two findings for the same resource".to_string());
        }
        if f.message.len() > limits.max_message_bytes {
            return Err(format!(
                "a message of {} bytes (the limit is {})",
                f.message.len(),
                limits.max_message_bytes
            ));
        }
        if f.evidence.len() > limits.max_evidence {
            return Err(format!(
                "{} evidence items (the limit is {})",
                f.evidence.len(),
                limits.max_evidence
            ));
        }
        let mut evidence = Vec::with_capacity(f.evidence.len());
        for e in f.evidence {
            if e.path.is_empty() || e.path.len() > limits.max_evidence_bytes {
                return Err(format!(
                    "an evidence path of {} bytes (it must have 1 to {})",
                    e.path.len(),
                    limits.max_evidence_bytes
                ));
            }
            if e.value.len() > limits.max_evidence_bytes {
                return Err(format!(
                    "an evidence value of {} bytes at `{}` (the limit is {})",
                    e.value.len(),
                    clip(&e.path, 256),
                    limits.max_evidence_bytes
                ));
            }
            let value: Value = serde_json::from_str(&e.value).map_err(|err| {
                format!(
                    "the evidence value at `{}` is not JSON ({err})",
                    clip(&e.path, 256)
                )
            })?;
            evidence.push(Evidence {
                path: e.path,
                value: value.into(),
                absent: false,
            });
        }
        result = Some(Checked {
            status: match f.status {
                raw::Status::Compliant => Status::Compliant,
                raw::Status::NonCompliant => Status::NonCompliant,
                raw::Status::NotApplicable => Status::NotApplicable,
                raw::Status::Error => Status::Error,
            },
            message: f.message,
            evidence,
        });
    }
    result.ok_or_else(|| "no finding for the resource".to_string())
}

/// At most `max` bytes of `text`, cut at a character boundary, with `…` when cut.
fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", text.get(..end).unwrap_or(""))
}

fn make(
    control: &ControlInfo,
    resource: &Resource,
    status: Status,
    message: String,
    evidence: Vec<Evidence>,
) -> Finding {
    let r = resource.shared_ref();
    Finding {
        rule: control.id.clone(),
        backend: BACKEND.to_string(),
        fingerprint: Finding::fingerprint_of(&control.id, &r),
        resource: r,
        status,
        message,
        evidence,
        citations: control.citations.as_slice().into(),
        severity: control.severity,
        waiver: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_cuts_at_a_character_boundary() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "abc…");
        assert_eq!(clip("aé", 2), "a…");
    }
}
