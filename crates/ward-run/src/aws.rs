//! The controls as the AWS Config custom rule backend and `ward remediate` see them
//! (`ward_aws::config_rule::Controls`): every backend's rules, evaluated through the
//! [`ControlSet`]; and the controls an event runs, loaded once the event is read.

use std::collections::BTreeSet;

use ward_aws::config_rule::{self, Controls, RuleEvent};
use ward_engine::{EngineError, EvalOptions, Evaluation};
use ward_model::{Inventory, RuleInfo, TypesRead};

use crate::backends::{ControlSet, LoadError, LoadOptions};

/// The controls a Config rule event runs (`--rule` given as `explicit`, else the event's
/// `wardRules`, else its Config rule's name: [`config_rule::requested_rules`]), loaded
/// alone ([`LoadOptions::only`]). One that may read a resource of any type (`lookup_arn`)
/// reads every type some control selects or reads: then every control is loaded, so that
/// the event reads what it reads with every control there. The evaluations are those of
/// every control loaded; an id no control has is `plan`'s error, as it is then.
pub fn controls_for_event(
    options: &LoadOptions,
    event: &RuleEvent,
    explicit: &[String],
) -> Result<ControlSet, LoadError> {
    let requested: BTreeSet<String> = config_rule::requested_rules(event, explicit)
        .into_iter()
        .collect();
    let controls = ControlSet::load(&LoadOptions {
        only: Some(requested.clone()),
        ..options.clone()
    })?;
    let reads_any_type = requested
        .iter()
        .any(|id| controls.rule(id).is_some() && Controls::types_read(&controls, id).any_type);
    // Rule directories were loaded whole already.
    if reads_any_type && options.policies.is_empty() {
        return ControlSet::load(&LoadOptions {
            only: None,
            ..options.clone()
        });
    }
    Ok(controls)
}

impl Controls for ControlSet {
    fn rules(&self) -> &[RuleInfo] {
        ControlSet::rules(self)
    }

    fn evaluate(
        &self,
        inventory: &Inventory,
        options: &EvalOptions,
    ) -> Result<Evaluation, EngineError> {
        ControlSet::evaluate(self, inventory, options)
    }

    /// From the backend that holds the rule, computed from its compiled form (the rule
    /// language: through every `def` and import; Cedar: the types of its entity store). A
    /// backend that cannot tell (WASM plugins) is answered by the types its source file names
    /// besides the rule's own, when there is one, else "any type".
    fn types_read(&self, rule: &str) -> TypesRead {
        if let Some(read) = self.backends().find_map(|b| b.types_read(rule)) {
            return read;
        }
        let text = self
            .rule(rule)
            .and_then(|r| r.source.as_ref())
            .and_then(|s| {
                self.sources()
                    .into_iter()
                    .find(|(path, _)| path.display().to_string() == s.file)
            })
            .map(|(_, text)| text);
        let own = |t: &String| {
            self.rule(rule)
                .is_some_and(|r| r.resource_types.iter().any(|o| o == t))
        };
        match text {
            Some(text) => TypesRead {
                types: resource_types_in(text)
                    .into_iter()
                    .filter(|t| !own(t))
                    .collect(),
                any_type: false,
            },
            None => TypesRead {
                any_type: true,
                ..TypesRead::default()
            },
        }
    }
}

/// Every `AWS::Service::Type` or `Ward::Service::Type` token in `text`, sorted, once.
pub fn resource_types_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == ':'))
        .filter(|t| t.starts_with("AWS::") || t.starts_with("Ward::"))
        .filter(|t| {
            let parts: Vec<&str> = t.split("::").collect();
            parts.len() == 3
                && parts
                    .iter()
                    .skip(1)
                    .all(|p| !p.is_empty() || *t == "AWS::::Account")
        })
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn types_are_found_in_rule_text() {
        let text = "resource: AWS::EC2::VPC\nlet l = resources(AWS::EC2::FlowLog) // Ward::IAM::CredentialReportUser\nAWS::::Account";
        assert_eq!(
            super::resource_types_in(text),
            [
                "AWS::::Account",
                "AWS::EC2::FlowLog",
                "AWS::EC2::VPC",
                "Ward::IAM::CredentialReportUser"
            ]
        );
    }
}
