//! Cedar names for Ward's resource types.
//!
//! A resource type `AWS::S3::Bucket` is already a valid Cedar entity type (namespace
//! `AWS::S3`, type `Bucket`) and keeps its name. Names Cedar cannot take are mapped, and the
//! mapping is stable and documented (`docs/cedar.md`):
//!
//! - empty path components are dropped: `AWS::::Account` becomes `AWS::Account`;
//! - a character outside `[A-Za-z0-9_]` becomes `_`, and a component starting with a digit
//!   gets a leading `_`;
//! - a component that is a Cedar reserved word (`in`, `is`, `has`, `like`, `if`, `then`,
//!   `else`, `true`, `false`, `__cedar`) gets a trailing `_`.

/// The Cedar entity type of the Ward pseudo resource for an account.
pub const ACCOUNT_ENTITY: &str = "AWS::Account";
/// Ward's resource type for an account.
pub const ACCOUNT_TYPE: &str = "AWS::::Account";

const RESERVED: [&str; 10] = [
    "in", "is", "has", "like", "if", "then", "else", "true", "false", "__cedar",
];

/// The Cedar entity type name of a Ward resource type.
pub fn entity_type_of(resource_type: &str) -> String {
    let parts: Vec<String> = resource_type
        .split("::")
        .filter(|p| !p.is_empty())
        .map(component)
        .collect();
    if parts.is_empty() {
        return "Ward::Unnamed".to_string();
    }
    parts.join("::")
}

fn component(part: &str) -> String {
    let mut out: String = part
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if RESERVED.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// Splits a Cedar entity type name into its namespace and base name.
pub fn split_type(name: &str) -> (&str, &str) {
    match name.rfind("::") {
        Some(i) => (
            name.get(..i).unwrap_or(""),
            name.get(i + 2..).unwrap_or(name),
        ),
        None => ("", name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping() {
        assert_eq!(entity_type_of("AWS::S3::Bucket"), "AWS::S3::Bucket");
        assert_eq!(entity_type_of(ACCOUNT_TYPE), ACCOUNT_ENTITY);
        assert_eq!(
            entity_type_of("Ward::IAM::CredentialReportUser"),
            "Ward::IAM::CredentialReportUser"
        );
        assert_eq!(entity_type_of("AWS::X-Y::in"), "AWS::X_Y::in_");
        assert_eq!(entity_type_of("AWS::3D::Thing"), "AWS::_3D::Thing");
        assert_eq!(split_type("AWS::S3::Bucket"), ("AWS::S3", "Bucket"));
        assert_eq!(split_type("Bucket"), ("", "Bucket"));
    }
}
