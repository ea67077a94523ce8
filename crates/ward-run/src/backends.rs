//! The controls of a run, whatever they are written in: the rule language (always), and the
//! other backends loaded beside it (Cedar policies, WASM plugins). This is the one place
//! that wires backends together; everything downstream (`run`, `ward test`, `ward rules`,
//! `ward explain`, the reports and the bundle) sees a [`ControlSet`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ward_engine::timings::timed;
use ward_engine::{Backend, EngineError, EvalOptions, Evaluation, LangBackend};
use ward_lang::{Pack, PackError};
use ward_model::{Inventory, RuleInfo};

/// Where a run's controls come from.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Rule directories (or files); none means the built-in HIPAA pack.
    pub policies: Vec<PathBuf>,
    /// WASM plugin files (`--plugin`), beside those the rule directories' `plugins.yaml` list.
    pub plugins: Vec<PathBuf>,
    /// The sandbox limits of each plugin call.
    pub plugin_limits: crate::plugins::PluginLimits,
    /// Where loading records the wall time of its stages (`ward check --timings`).
    pub timings: Option<std::sync::Arc<ward_engine::timings::Timings>>,
    /// Only these controls (a Config rule event's rules), else every one. From the built-in
    /// pack, the rule language parses and checks only the files that define them and what
    /// those import (the pack as a whole is checked by `ward test` and the test suite); Cedar
    /// is loaded only when some id is none of the rule language's, the WASM plugins only
    /// when it is none of Cedar's either. Rule directories are loaded whole: nothing else
    /// checks them as a whole. An id no control has is left out, as it is from every control.
    pub only: Option<BTreeSet<String>>,
}

/// Why the controls could not be loaded. Nothing is evaluated after any of these.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The rule language's own problems (with their diagnostics).
    #[error(transparent)]
    Pack(#[from] PackError),
    /// Another backend's authoring problems, each a diagnostic with its location.
    #[error("{} problem(s) in {what}", diagnostics.len())]
    Invalid {
        /// What was being loaded, e.g. `the Cedar policies`.
        what: String,
        diagnostics: Vec<miette::Report>,
    },
    /// Two backends define a rule with the same id.
    #[error("rule `{id}` is defined twice: by {first} and by {second}")]
    DuplicateRule {
        id: String,
        first: String,
        second: String,
    },
    /// Anything else that stops loading (an unreadable file, a refused plugin...).
    #[error("{0}")]
    Other(String),
}

/// A source file of the controls, as the evidence bundle records it.
#[derive(Debug, Clone)]
pub struct ControlSource {
    pub path: PathBuf,
    pub text: String,
}

/// Every control of a run, behind the backends that evaluate them.
pub struct ControlSet {
    lang: LangBackend,
    others: Vec<Box<dyn Backend + Send>>,
    /// The other backends' source files (the rule language's are in its pack).
    other_sources: Vec<ControlSource>,
    /// Every rule of every backend: the rule language's first, in pack order.
    rules: Vec<RuleInfo>,
    /// The WASM plugins loaded (for the findings document).
    plugins: Vec<ward_model::PluginRecord>,
}

impl ControlSet {
    /// Only the rule language's rules.
    pub fn from_pack(pack: Pack) -> ControlSet {
        let lang = LangBackend::new(pack);
        let rules = lang.rules();
        ControlSet {
            lang,
            others: Vec::new(),
            other_sources: Vec::new(),
            rules,
            plugins: Vec::new(),
        }
    }

    /// Loads the controls of every backend: the rule language's from `options.policies` (or
    /// the built-in pack), then each other backend's; with `options.only`, those alone when
    /// they come from the built-in pack.
    pub fn load(options: &LoadOptions) -> Result<ControlSet, LoadError> {
        match &options.only {
            Some(only) if options.policies.is_empty() => {
                ControlSet::load_builtin_only(options, only)
            }
            _ => ControlSet::load_every_control(options),
        }
    }

    fn load_every_control(options: &LoadOptions) -> Result<ControlSet, LoadError> {
        let timings = options.timings.as_deref();
        // The Cedar policies are validated on another core while the rules are parsed.
        let (pack, cedar) = std::thread::scope(|scope| {
            let cedar = scope.spawn(|| {
                let start = std::time::Instant::now();
                let cedar = crate::cedar::load_cedar(&options.policies);
                (cedar, start.elapsed())
            });
            let pack = timed(timings, "  ward-lang", || {
                crate::load_policies(&options.policies)
            });
            (pack, cedar.join())
        });
        let (cedar, took) = cedar.map_err(|_| {
            LoadError::Other("the Cedar policies could not be loaded (internal error)".into())
        })?;
        if let Some(timings) = timings {
            timings.record("  cedar (beside ward-lang)", took);
        }
        let mut set = ControlSet::from_pack(pack?);
        // Other backends are added here, each with `set.add(backend, its source files)?`.
        if let Some((cedar, files)) = cedar? {
            set.add(Box::new(cedar), files)?;
        }
        set.add_plugins(options)?;
        Ok(set)
    }

    /// The built-in pack's controls of `only`, each backend loaded only when some id is none
    /// of the backends' before it: the rule language (its index says which files define
    /// them), then Cedar, then the plugins.
    fn load_builtin_only(
        options: &LoadOptions,
        only: &BTreeSet<String>,
    ) -> Result<ControlSet, LoadError> {
        let timings = options.timings.as_deref();
        let pack = timed(timings, "  ward-lang", || crate::builtin_pack_of(only))?;
        let mut set = ControlSet::from_pack(pack);
        if !set.holds_every(only) {
            let cedar = timed(timings, "  cedar", || {
                crate::cedar::load_cedar(&options.policies)
            })?;
            if let Some((cedar, files)) = cedar {
                set.add(Box::new(cedar), files)?;
            }
        }
        if !set.holds_every(only) {
            set.add_plugins(options)?;
        }
        Ok(set)
    }

    /// Whether every one of `ids` is a rule of the set.
    fn holds_every(&self, ids: &BTreeSet<String>) -> bool {
        ids.iter().all(|id| self.rule(id).is_some())
    }

    /// Adds the WASM plugins of the rule directories and of `options.plugins`, if any.
    fn add_plugins(&mut self, options: &LoadOptions) -> Result<(), LoadError> {
        let wasm = timed(options.timings.as_deref(), "  wasm", || {
            crate::plugins::load_plugins(options)
        })?;
        #[cfg(feature = "wasm")]
        if let Some(wasm) = wasm {
            let records = wasm
                .plugins()
                .iter()
                .map(ward_wasm::Plugin::record)
                .collect();
            self.add(Box::new(wasm), Vec::new())?;
            self.plugins = records;
        }
        #[cfg(not(feature = "wasm"))]
        if let Some(never) = wasm {
            match never {}
        }
        Ok(())
    }

    /// Adds a backend; its rule ids must be new.
    pub fn add(
        &mut self,
        backend: Box<dyn Backend + Send>,
        sources: Vec<ControlSource>,
    ) -> Result<(), LoadError> {
        let mut known: BTreeMap<&str, &str> = self
            .rules
            .iter()
            .map(|r| (r.id.as_str(), r.backend.as_str()))
            .collect();
        let new_rules = backend.rules();
        for r in &new_rules {
            if let Some(first) = known.insert(r.id.as_str(), r.backend.as_str()) {
                return Err(LoadError::DuplicateRule {
                    id: r.id.clone(),
                    first: first.to_string(),
                    second: r.backend.clone(),
                });
            }
        }
        self.rules.extend(new_rules);
        self.others.push(backend);
        self.other_sources.extend(sources);
        Ok(())
    }

    /// The rule language's pack.
    pub fn pack(&self) -> &Pack {
        self.lang.pack()
    }

    /// The WASM plugins loaded: file, SHA-256, interface version, rules.
    pub fn plugins(&self) -> &[ward_model::PluginRecord] {
        &self.plugins
    }

    /// Every rule of every backend.
    pub fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    /// The rule with this id, whichever backend holds it.
    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        ward_model::rule::find(&self.rules, id)
    }

    /// Every rule id, in the order of [`ControlSet::rules`].
    pub fn rule_ids(&self) -> Vec<String> {
        self.rules.iter().map(|r| r.id.clone()).collect()
    }

    /// Every backend: the rule language first.
    pub fn backends(&self) -> impl Iterator<Item = &dyn Backend> {
        std::iter::once(&self.lang as &dyn Backend).chain(self.others.iter().map(|b| {
            let b: &dyn Backend = b.as_ref();
            b
        }))
    }

    /// What every backend reads of each configuration item (the importer skips the rest).
    pub fn field_needs(&self) -> ward_model::FieldNeeds {
        self.field_needs_of(None)
    }

    /// What the selected rules read (every rule when `None`).
    pub fn field_needs_of(&self, only: Option<&BTreeSet<String>>) -> ward_model::FieldNeeds {
        let mut needs = ward_model::FieldNeeds::names(Vec::new());
        for backend in self.backends() {
            needs.union(&backend.field_needs_of(only));
        }
        needs
    }

    /// Every source file of the controls: the rule language's, then the other backends'.
    pub fn sources(&self) -> Vec<(&Path, &str)> {
        self.pack()
            .files
            .iter()
            .map(|f| (f.path.as_path(), f.text.as_ref()))
            .chain(
                self.other_sources
                    .iter()
                    .map(|s| (s.path.as_path(), s.text.as_str())),
            )
            .collect()
    }

    /// Evaluates every backend and merges their findings in the stable order. A parameter
    /// or `only` entry naming a rule no backend holds is an error before anything runs.
    pub fn evaluate(
        &self,
        inventory: &Inventory,
        options: &EvalOptions,
    ) -> Result<Evaluation, EngineError> {
        let named = options.params.keys().chain(options.only.iter().flatten());
        for id in named {
            if self.rule(id).is_none() {
                return Err(EngineError::UnknownRule(id.clone()));
            }
        }
        let mut all = Evaluation::default();
        // The rule language last: the other backends' working state (Cedar's entity store)
        // is freed before its findings, most of a run's, are made; the peak is the larger of
        // the two, not their sum.
        let others = self.others.iter().map(|b| {
            let b: &dyn Backend = b.as_ref();
            b
        });
        for backend in others.chain(std::iter::once(&self.lang as &dyn Backend)) {
            let stage = format!("  {}", backend.name());
            let evaluation =
                ward_engine::timings::timed(options.timings.as_deref(), &stage, || {
                    backend.evaluate(inventory, options)
                })?;
            all.merge(evaluation);
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use ward_model::{Finding, Severity, Status};

    /// A backend with one rule that finds every account compliant.
    struct Accounts(&'static str);

    impl Backend for Accounts {
        fn name(&self) -> &str {
            "test"
        }
        fn rules(&self) -> Vec<RuleInfo> {
            vec![RuleInfo::new(self.0, "test", "accounts", Severity::Low)]
        }
        fn evaluate(&self, inv: &Inventory, opts: &EvalOptions) -> Result<Evaluation, EngineError> {
            if opts.only.as_ref().is_some_and(|o| !o.contains(self.0)) {
                return Ok(Evaluation::default());
            }
            let findings = inv
                .of_type(ward_model::ACCOUNT_TYPE)
                .map(|r| Finding {
                    rule: self.0.into(),
                    backend: "test".into(),
                    resource: r.shared_ref(),
                    status: Status::Compliant,
                    message: String::new(),
                    evidence: Vec::new(),
                    citations: Vec::new().into(),
                    severity: Severity::Low,
                    fingerprint: String::new(),
                    waiver: None,
                })
                .collect();
            Ok(Evaluation {
                findings,
                ..Evaluation::default()
            })
        }
    }

    fn inventory() -> Inventory {
        let mut inv = Inventory::new();
        let item = serde_json::json!({
            "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",
            "accountId": "111122223333", "awsRegion": "us-east-1",
            "configuration": {"ipPermissions": []}
        });
        let source = ward_model::Source {
            format: "test".into(),
            file: None,
            index: None,
        };
        inv.insert(ward_import::resource_from_item(item, source).unwrap());
        inv.synthesize_accounts();
        inv
    }

    #[test]
    fn findings_of_every_backend_are_merged_and_rules_listed() {
        let mut set = ControlSet::load(&LoadOptions::default()).unwrap();
        let lang_rules = set.rules().len();
        let backends = set.backends().count();
        set.add(Box::new(Accounts("test-accounts")), Vec::new())
            .unwrap();
        assert_eq!(set.rules().len(), lang_rules + 1);
        assert_eq!(set.backends().count(), backends + 1);
        let options = EvalOptions {
            only: Some(["test-accounts".to_string(), "restricted-ssh".to_string()].into()),
            ..EvalOptions::default()
        };
        let eval = set.evaluate(&inventory(), &options).unwrap();
        let by: Vec<(&str, &str)> = eval
            .findings
            .iter()
            .map(|f| (f.rule.as_str(), f.backend.as_str()))
            .collect();
        assert_eq!(
            by,
            [("restricted-ssh", "ward-lang"), ("test-accounts", "test")]
        );
    }

    #[test]
    fn a_rule_id_defined_twice_is_refused() {
        let mut set = ControlSet::load(&LoadOptions::default()).unwrap();
        let err = set
            .add(Box::new(Accounts("restricted-ssh")), Vec::new())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "rule `restricted-ssh` is defined twice: by ward-lang and by test"
        );
    }

    #[test]
    fn a_parameter_of_an_unknown_rule_is_an_error() {
        let set = ControlSet::load(&LoadOptions::default()).unwrap();
        let mut options = EvalOptions::default();
        options
            .params
            .insert("no-such-rule".into(), BTreeMap::new());
        let err = set.evaluate(&inventory(), &options).unwrap_err();
        assert_eq!(err, EngineError::UnknownRule("no-such-rule".into()));
    }

    fn only(ids: &[&str]) -> LoadOptions {
        LoadOptions {
            only: Some(ids.iter().map(|id| id.to_string()).collect()),
            ..LoadOptions::default()
        }
    }

    fn file_names(set: &ControlSet) -> Vec<String> {
        set.pack().files.iter().map(|f| f.name.clone()).collect()
    }

    /// The index the build makes of the built-in pack is the parsed pack's: every rule, in
    /// the file that defines it, and nothing else.
    #[test]
    fn the_builtin_rule_index_is_the_parsed_packs() {
        let pack = crate::builtin_pack().unwrap();
        let parsed: BTreeMap<String, String> = pack
            .rules
            .iter()
            .map(|r| {
                let file = &pack.files.get(r.file).unwrap().name;
                let rel = file
                    .strip_prefix(&format!("{}/", crate::BUILTIN_PREFIX))
                    .unwrap();
                (r.id.clone(), rel.to_string())
            })
            .collect();
        let indexed: BTreeMap<String, String> = crate::embedded::EMBEDDED_RULE_FILES
            .iter()
            .map(|(id, file)| (id.to_string(), file.to_string()))
            .collect();
        assert_eq!(
            indexed.len(),
            crate::embedded::EMBEDDED_RULE_FILES.len(),
            "an id twice"
        );
        assert_eq!(indexed, parsed);
        assert!(parsed.len() > 100);
    }

    /// The work of loading one rule: its file and the one file it imports, one rule checked,
    /// no Cedar (whose schema and validation cost most of loading the pack).
    #[test]
    fn one_rule_loads_its_file_and_imports_alone() {
        let set = ControlSet::load(&only(&["restricted-ssh"])).unwrap();
        assert_eq!(set.rule_ids(), ["restricted-ssh"]);
        assert_eq!(set.pack().rules.len(), 1);
        assert_eq!(
            file_names(&set),
            [
                "<builtin>/policies/hipaa/restricted-ssh.ward",
                "<builtin>/policies/hipaa/lib/network.ward"
            ]
        );
        assert_eq!(set.backends().count(), 1);
        // Imports of imports, and two rules at once.
        let set =
            ControlSet::load(&only(&["ward-log-bucket-protected", "restricted-ssh"])).unwrap();
        assert_eq!(
            set.rule_ids(),
            ["restricted-ssh", "ward-log-bucket-protected"]
        );
        let files = file_names(&set);
        assert!(files.len() < 10, "{files:?}");
        for lib in ["network", "ward-controls", "iam", "elb", "common"] {
            let name = format!("<builtin>/policies/hipaa/lib/{lib}.ward");
            assert!(files.contains(&name), "{name} not in {files:?}");
        }
        assert_eq!(set.backends().count(), 1);
    }

    /// Cedar is loaded for a Cedar control (and for an id the rule language does not have,
    /// which no backend has: then the set simply lacks it, as every control's would).
    #[test]
    fn cedar_loads_only_for_an_id_the_rule_language_lacks() {
        let set = ControlSet::load(&only(&["ward-phi-rds-protection"])).unwrap();
        assert!(set.rule("ward-phi-rds-protection").is_some());
        assert!(set.pack().files.is_empty());
        assert_eq!(set.backends().count(), 2);
        let set = ControlSet::load(&only(&["restricted-ssh", "no-such-rule"])).unwrap();
        assert!(set.rule("restricted-ssh").is_some());
        assert!(set.rule("no-such-rule").is_none());
        assert_eq!(set.backends().count(), 2);
        let set = ControlSet::load(&only(&[])).unwrap();
        assert!(set.rules().is_empty());
        assert_eq!(set.backends().count(), 1);
    }

    /// A rule loaded alone finds exactly what it finds with every control loaded, for every
    /// rule of the built-in pack over the example estate.
    #[test]
    fn every_rule_loaded_alone_finds_what_it_finds_among_every_control() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let (inventory, report) = crate::import_inputs(&[root.join("examples/clinic/estate")]);
        assert!(!report.has_errors());
        let every = ControlSet::load(&LoadOptions::default()).unwrap();
        let mut compared = 0;
        for rule in every.rules() {
            let ids: BTreeSet<String> = [rule.id.clone()].into();
            let alone = ControlSet::load(&LoadOptions {
                only: Some(ids.clone()),
                ..LoadOptions::default()
            })
            .unwrap();
            assert_eq!(alone.rule(&rule.id), Some(rule));
            let options = EvalOptions {
                only: Some(ids),
                ..EvalOptions::default()
            };
            let evaluated = |set: &ControlSet| {
                let e = set.evaluate(&inventory, &options).unwrap();
                let findings = serde_json::to_string(&e.findings).unwrap();
                (findings, e.rules_without_resources, e.as_of)
            };
            assert_eq!(evaluated(&alone), evaluated(&every), "{}", rule.id);
            compared += 1;
        }
        assert!(compared > 100);
    }

    #[test]
    fn the_builtin_rules_name_the_fields_they_read() {
        let pack = crate::builtin_pack().unwrap();
        let used = ward_lang::fields::configuration_fields(&pack);
        assert!(
            used.everything_in.is_empty(),
            "these use a configuration object of any type whole: {:?}",
            used.everything_in
        );
        let set = ControlSet::from_pack(pack);
        let needs = set.field_needs();
        assert!(!needs.is_everything());
        assert!(needs.keeps_whole("Ward::IAM::CredentialReportUser"));
        assert!(needs.keeps_name("ipPermissions"));
        assert!(!needs.keeps_name("noRuleReadsThis"));
        // With every backend of the built-in pack, types no rule reads whole are still
        // projected.
        let all = ControlSet::load(&LoadOptions::default()).unwrap();
        let needs = all.field_needs();
        assert!(!needs.is_everything());
        assert!(needs.keeps_whole("AWS::S3::Bucket"));
        assert!(!needs.keeps_whole("AWS::EC2::Instance"));
        // A run of selected rules reads only what they read.
        let one: BTreeSet<String> = ["restricted-ssh".to_string()].into();
        let needs = all.field_needs_of(Some(&one));
        assert!(needs.keeps_name("ipPermissions"));
        assert!(!needs.keeps_name("storageEncrypted"));
        assert!(!needs.keeps_whole("AWS::IAM::Policy"));
        assert!(!needs.keeps_whole("AWS::S3::Bucket"));
        let cedar: BTreeSet<String> = ["ward-phi-least-privilege".to_string()].into();
        let needs = all.field_needs_of(Some(&cedar));
        // Least privilege: the keys its policies read and those of the IAM analysis.
        assert!(needs.keeps_name("path"));
        assert!(needs.keeps_name("rolePolicyList"));
        assert!(needs.keeps_name("policyVersionList"));
        assert!(needs.keeps_name("BucketPolicy"));
        assert!(!needs.keeps_whole("AWS::IAM::Policy"));
        assert!(!needs.keeps_name("ipPermissions"));
    }
}
