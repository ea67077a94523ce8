//! Reading a waiver file: the YAML tree with its locations (`marked-yaml`), checked field by
//! field so that every problem is reported at the line and column of the offending waiver or
//! field, all of them at once.

use jiff::civil::Date;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{LoadError, LoaderOptions, Marker, Node, Span};

use crate::diagnostic::{Source, WaiverDiagnostic, at};
use crate::{Pattern, Selector, WAIVERS_FORMAT_VERSION, Waiver};

const TOP_FIELDS: &[&str] = &["version", "waivers"];
const WAIVER_FIELDS: &[&str] = &[
    "id", "rule", "resource", "reason", "approver", "expires", "ticket",
];
const REQUIRED_FIELDS: &[&str] = &["id", "rule", "resource", "reason", "approver", "expires"];
const SELECTOR_FIELDS: &[&str] = &["id", "arn", "tag", "account"];

struct Parser<'a> {
    source: Source,
    rules: &'a [String],
    diags: Vec<WaiverDiagnostic>,
}

pub(crate) fn parse_file(
    text: &str,
    file: &str,
    rules: &[String],
    earlier: &[Waiver],
) -> Result<Vec<Waiver>, Vec<WaiverDiagnostic>> {
    let mut p = Parser {
        source: Source::new(file, text),
        rules,
        diags: Vec::new(),
    };
    if let Some(d) = p.second_document(text) {
        return Err(vec![d]);
    }
    let options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true)
        .toplevel_mapping();
    let root = match marked_yaml::parse_yaml_with_options(0, text, options) {
        Ok(root) => root,
        Err(e) => return Err(vec![p.load_error(&e)]),
    };
    let waivers = p.file(&root, earlier);
    if p.diags.is_empty() {
        Ok(waivers)
    } else {
        Err(p.diags)
    }
}

fn start(span: &Span) -> (usize, usize) {
    span.start().map_or((1, 1), |m| (m.line(), m.column()))
}

/// Where a mapping starts: its first key (the loader marks a block mapping at the first
/// key's colon).
fn map_start(map: &MarkedMappingNode) -> Option<&Marker> {
    map.keys()
        .next()
        .and_then(|k| k.span().start())
        .or_else(|| map.span().start())
}

/// Did-you-mean among `candidates`.
fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

fn one_of(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Parser<'_> {
    fn at_marker(&self, m: Option<&Marker>, len: Option<usize>) -> (usize, usize, Option<usize>) {
        let (line, column) = m.map_or((1, 1), |m| (m.line(), m.column()));
        (line, column, len)
    }

    fn diag(
        &self,
        (line, column, len): (usize, usize, Option<usize>),
        code: &str,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> WaiverDiagnostic {
        at(&self.source, line, column, len, code, message, label)
    }

    /// Where a scalar is: its start and the length of its text.
    fn scalar_at(&self, s: &MarkedScalarNode) -> (usize, usize, Option<usize>) {
        self.at_marker(s.span().start(), Some(s.as_str().len().max(1)))
    }

    /// Where a node starts (a container: to the end of its first line).
    fn node_at(&self, n: &Node) -> (usize, usize, Option<usize>) {
        match n {
            Node::Scalar(s) => self.scalar_at(s),
            Node::Mapping(m) => self.at_marker(map_start(m), None),
            other => self.at_marker(other.span().start(), None),
        }
    }

    /// The loader reads the first YAML document only: a document marker (`---`, `...` at the
    /// start of a line) after the content would silently drop the rest, so it is refused. One
    /// `---` before any content is fine.
    fn second_document(&self, text: &str) -> Option<WaiverDiagnostic> {
        let mut content = false;
        for (index, line) in text.lines().enumerate() {
            let marker = ["---", "..."].into_iter().find(|m| {
                line.strip_prefix(m)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
            });
            match marker {
                Some("---") if !content => content = true,
                Some(m) => {
                    return Some(
                        self.diag(
                            (index + 1, 1, Some(3)),
                            "yaml",
                            format!("a waiver file holds one YAML document; `{m}` ends it here"),
                            "document marker",
                        )
                        .with_help("put every waiver in the one `waivers:` list"),
                    );
                }
                None => {
                    let trimmed = line.trim_start();
                    if !trimmed.is_empty() && !trimmed.starts_with('#') {
                        content = true;
                    }
                }
            }
        }
        None
    }

    fn load_error(&self, e: &LoadError) -> WaiverDiagnostic {
        let at = |m: &Marker| self.at_marker(Some(m), None);
        match e {
            LoadError::TopLevelMustBeMapping(m) => self
                .diag(
                    at(m),
                    "structure",
                    "a waiver file must be a mapping",
                    "here",
                )
                .with_help("start with `version: 1` and a `waivers:` list"),
            LoadError::TopLevelMustBeSequence(m) => {
                self.diag(at(m), "structure", "unexpected top level", "here")
            }
            LoadError::UnexpectedAnchor(m) => self
                .diag(
                    at(m),
                    "yaml",
                    "YAML anchors and aliases are not allowed in a waiver file",
                    "anchor",
                )
                .with_help("write each waiver out in full, so that a reviewer sees what it covers"),
            LoadError::MappingKeyMustBeScalar(m) => {
                self.diag(at(m), "yaml", "a mapping key must be a plain text", "key")
            }
            LoadError::UnexpectedTag(m) => self.diag(
                at(m),
                "yaml",
                "YAML tags are not allowed in a waiver file",
                "tag",
            ),
            LoadError::ScanError(m, e) => {
                let text = e.to_string();
                // yaml-rust2 appends " at byte … line … column …": the location is ours.
                let message = text.split(" at byte ").next().unwrap_or(&text).to_string();
                self.diag(at(m), "yaml", format!("invalid YAML: {message}"), "here")
            }
            LoadError::DuplicateKey(inner) => {
                let first = start(inner.prev_key.span());
                self.diag(
                    self.scalar_at(&inner.key),
                    "duplicate-field",
                    format!("field `{}` is given twice", inner.key.as_str()),
                    "second time",
                )
                .with_help(format!(
                    "first given at {}:{}:{}",
                    self.source.file, first.0, first.1
                ))
            }
        }
    }

    /// Reports keys not in `allowed`.
    fn unknown_keys(&mut self, map: &MarkedMappingNode, allowed: &[&str], kind: &str, what: &str) {
        for key in map.keys() {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let mut help = format!("the fields of {kind} are {}", one_of(allowed));
            if let Some(near) = closest(key.as_str(), allowed.iter().copied()) {
                help = format!("did you mean `{near}`? {help}");
            }
            let d = self
                .diag(
                    self.scalar_at(key),
                    "unknown-field",
                    format!("unknown field `{}` in {what}", key.as_str()),
                    "unknown field",
                )
                .with_help(help);
            self.diags.push(d);
        }
    }

    /// A required text field: present, a scalar, not empty.
    fn text<'n>(
        &mut self,
        map: &'n MarkedMappingNode,
        field: &str,
        what: &str,
    ) -> Option<&'n MarkedScalarNode> {
        let node = map.get_node(field)?;
        match node {
            Node::Scalar(s) if !s.as_str().trim().is_empty() => Some(s),
            Node::Scalar(s) => {
                let d = self.diag(
                    self.at_marker(s.span().start(), None),
                    "empty-field",
                    format!("`{field}` of {what} is empty"),
                    "empty",
                );
                self.diags.push(d);
                None
            }
            other => {
                let d = self.diag(
                    self.node_at(other),
                    "not-text",
                    format!("`{field}` of {what} must be a text"),
                    "not a text",
                );
                self.diags.push(d);
                None
            }
        }
    }

    fn file(&mut self, root: &Node, earlier: &[Waiver]) -> Vec<Waiver> {
        let Some(top) = root.as_mapping() else {
            let d = self.diag(
                self.node_at(root),
                "structure",
                "a waiver file must be a mapping",
                "here",
            );
            self.diags.push(d);
            return Vec::new();
        };
        self.unknown_keys(top, TOP_FIELDS, "a waiver file", "a waiver file");
        match self.text(top, "version", "the waiver file") {
            Some(v) if v.as_str() == WAIVERS_FORMAT_VERSION.to_string() => {}
            Some(v) => {
                let d = self
                    .diag(
                        self.scalar_at(v),
                        "version",
                        format!("unsupported waiver file version `{}`", v.as_str()),
                        "version",
                    )
                    .with_help(format!(
                        "this Ward reads waiver files of version {WAIVERS_FORMAT_VERSION}"
                    ));
                self.diags.push(d);
            }
            None if top.get_node("version").is_none() => {
                let d = self
                    .diag(
                        self.at_marker(map_start(top), None),
                        "missing-field",
                        "the waiver file has no `version`",
                        "here",
                    )
                    .with_help(format!("add `version: {WAIVERS_FORMAT_VERSION}`"));
                self.diags.push(d);
            }
            None => {}
        }
        let list = match top.get_node("waivers") {
            Some(Node::Sequence(list)) => list,
            Some(other) => {
                let d = self.diag(
                    self.node_at(other),
                    "structure",
                    "`waivers` must be a list of waivers",
                    "not a list",
                );
                self.diags.push(d);
                return Vec::new();
            }
            None => {
                let d = self
                    .diag(
                        self.at_marker(map_start(top), None),
                        "missing-field",
                        "the waiver file has no `waivers` list",
                        "here",
                    )
                    .with_help("add `waivers:` with one `- id: …` entry per waiver");
                self.diags.push(d);
                return Vec::new();
            }
        };
        let mut waivers: Vec<Waiver> = Vec::new();
        for (index, node) in list.iter().enumerate() {
            let Some(w) = self.waiver(index, node) else {
                continue;
            };
            let first = earlier
                .iter()
                .chain(waivers.iter())
                .find(|e| e.id == w.id)
                .map(|e| (e.file.clone(), e.line));
            if let Some((file, line)) = first {
                let id_at = node
                    .as_mapping()
                    .and_then(|m| m.get_scalar("id"))
                    .map_or_else(|| self.node_at(node), |s| self.scalar_at(s));
                let d = self
                    .diag(
                        id_at,
                        "duplicate-id",
                        format!("waiver id `{}` is used twice", w.id),
                        "second use",
                    )
                    .with_help(format!(
                        "first used at {file}:{line}; give every waiver its own id"
                    ));
                self.diags.push(d);
                continue;
            }
            waivers.push(w);
        }
        waivers
    }

    fn waiver(&mut self, index: usize, node: &Node) -> Option<Waiver> {
        let Some(map) = node.as_mapping() else {
            let d = self
                .diag(
                    self.node_at(node),
                    "structure",
                    format!("waiver {} must be a mapping", index + 1),
                    "not a mapping",
                )
                .with_help(format!("a waiver has the fields {}", one_of(WAIVER_FIELDS)));
            self.diags.push(d);
            return None;
        };
        let before = self.diags.len();
        let line = map_start(map).map_or(1, Marker::line);
        let id = self.text(map, "id", &format!("waiver {}", index + 1));
        let what = match id {
            Some(id) => format!("waiver `{}`", id.as_str()),
            None => format!("waiver {}", index + 1),
        };
        self.unknown_keys(map, WAIVER_FIELDS, "a waiver", &what);
        let missing: Vec<&str> = REQUIRED_FIELDS
            .iter()
            .copied()
            .filter(|f| map.get_node(f).is_none())
            .collect();
        if !missing.is_empty() {
            let d = self
                .diag(
                    self.at_marker(map_start(map), None),
                    "missing-field",
                    format!("{what} is missing {}", one_of(&missing)),
                    "this waiver",
                )
                .with_help(format!(
                    "a waiver needs {}; `ticket` is optional",
                    one_of(REQUIRED_FIELDS)
                ));
            self.diags.push(d);
        }
        let rule = self.text(map, "rule", &what);
        if let Some(rule) = rule
            && !self.rules.iter().any(|r| r == rule.as_str())
        {
            let mut d = self.diag(
                self.scalar_at(rule),
                "unknown-rule",
                format!("{what} names the unknown rule `{}`", rule.as_str()),
                "no such rule",
            );
            d = match closest(rule.as_str(), self.rules.iter().map(String::as_str)) {
                Some(near) => d.with_help(format!("did you mean `{near}`? (see `ward rules`)")),
                None => d.with_help("see `ward rules` for the rule ids"),
            };
            self.diags.push(d);
        }
        let selector = self.selector(map, &what);
        let reason = self.text(map, "reason", &what);
        let approver = self.text(map, "approver", &what);
        let expires = self.text(map, "expires", &what).and_then(|e| {
            let text = e.as_str().trim();
            let parsed = (text.len() == 10)
                .then(|| text.parse::<Date>().ok())
                .flatten();
            if parsed.is_none() {
                let d = self
                    .diag(
                        self.scalar_at(e),
                        "bad-date",
                        format!("`expires` of {what} is not a date: `{}`", e.as_str()),
                        "not a date",
                    )
                    .with_help(
                        "write the last day the waiver applies as YYYY-MM-DD, e.g. 2027-03-31",
                    );
                self.diags.push(d);
            }
            parsed
        });
        let ticket = match map.get_node("ticket") {
            Some(_) => self
                .text(map, "ticket", &what)
                .map(|t| t.as_str().to_string()),
            None => None,
        };
        if self.diags.len() > before {
            return None;
        }
        Some(Waiver {
            id: id?.as_str().trim().to_string(),
            rule: rule?.as_str().trim().to_string(),
            selector: selector?,
            reason: reason?.as_str().trim().to_string(),
            approver: approver?.as_str().trim().to_string(),
            expires: expires?,
            ticket,
            file: self.source.file.clone(),
            line,
        })
    }

    fn selector(&mut self, waiver: &MarkedMappingNode, what: &str) -> Option<Selector> {
        let node = waiver.get_node("resource")?;
        let Some(map) = node.as_mapping() else {
            let d = self
                .diag(
                    self.node_at(node),
                    "structure",
                    format!("`resource` of {what} must be a mapping"),
                    "not a mapping",
                )
                .with_help(format!(
                    "select the resources with {}, e.g. `resource: {{id: my-bucket}}`",
                    one_of(SELECTOR_FIELDS)
                ));
            self.diags.push(d);
            return None;
        };
        let before = self.diags.len();
        let field_what = format!("the resource selector of {what}");
        self.unknown_keys(map, SELECTOR_FIELDS, "a resource selector", &field_what);
        let mut selector = Selector::default();
        for field in ["id", "arn"] {
            let Some(s) = self.text(map, field, &field_what) else {
                continue;
            };
            let text = s.as_str().trim();
            if text.chars().all(|c| c == '*') {
                let d = self
                    .diag(
                        self.scalar_at(s),
                        "cover-all",
                        format!("`{field}: {text}` in {what} matches every resource"),
                        "matches everything",
                    )
                    .with_help(
                        "a waiver covers named resources: leave the field out and select by \
                         account or tag, or name the resources",
                    );
                self.diags.push(d);
                continue;
            }
            let pattern = Some(Pattern::new(text));
            if field == "id" {
                selector.id = pattern;
            } else {
                selector.arn = pattern;
            }
        }
        if let Some(s) = self.text(map, "tag", &field_what) {
            match s.as_str().split_once('=') {
                Some((key, value)) if !key.trim().is_empty() => {
                    selector.tag = Some((key.trim().to_string(), value.trim().to_string()));
                }
                _ => {
                    let d = self
                        .diag(
                            self.scalar_at(s),
                            "bad-tag",
                            format!("`tag` of {what} is not `key=value`: `{}`", s.as_str()),
                            "not key=value",
                        )
                        .with_help("write the tag as `key=value`, e.g. `tag: env=scratch`");
                    self.diags.push(d);
                }
            }
        }
        if let Some(s) = self.text(map, "account", &field_what) {
            let text = s.as_str().trim();
            if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
                selector.account = Some(text.to_string());
            } else {
                let d = self
                    .diag(
                        self.scalar_at(s),
                        "bad-account",
                        format!("`account` of {what} is not a 12-digit AWS account id: `{text}`"),
                        "not an account id",
                    )
                    .with_help("quote the account id: `account: \"111122223333\"`");
                self.diags.push(d);
            }
        }
        if self.diags.len() > before {
            return None;
        }
        if selector.is_empty() {
            let d = self
                .diag(
                    self.node_at(node),
                    "no-selector",
                    format!(
                        "{what} selects no resource: its `resource` names none of {}",
                        one_of(SELECTOR_FIELDS)
                    ),
                    "empty selector",
                )
                .with_help(
                    "a waiver must name the resources it covers, so that it cannot silently \
                     cover every resource of the rule",
                );
            self.diags.push(d);
            return None;
        }
        Some(selector)
    }
}
