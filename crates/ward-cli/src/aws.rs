//! The controls as the AWS Config custom rule backend and `ward remediate` see them
//! (`ward_aws::config_rule::Controls`): every backend's rules, evaluated through the
//! [`ControlSet`].

use ward_aws::config_rule::Controls;
use ward_engine::{EngineError, EvalOptions, Evaluation};
use ward_model::{Inventory, RuleInfo};

use crate::backends::ControlSet;

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

    /// The resource types named in the rule's source file (`resources(AWS::EC2::FlowLog)`,
    /// lookups, its `resource:` line): what a scheduled run must read for it.
    fn read_types(&self, rule: &str) -> Vec<String> {
        let Some(file) = self
            .rule(rule)
            .and_then(|r| r.source.as_ref())
            .map(|s| s.file.clone())
        else {
            return Vec::new();
        };
        let sources = self.sources();
        let Some((_, text)) = sources
            .iter()
            .find(|(path, _)| path.display().to_string() == file)
        else {
            return Vec::new();
        };
        resource_types_in(text)
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
