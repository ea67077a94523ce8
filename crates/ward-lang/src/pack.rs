//! A policy pack: every `.ward` file below some directories, parsed, imports resolved, and
//! checked together.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ward_model::ResourceCatalog;

use crate::ast::{Module, Span};
use crate::check::{DefRef, check_def, check_rule};
use crate::diagnostic::{LangDiagnostic, SourceFile};
use crate::ir::{CompiledDef, CompiledRule, Ir};
use crate::parse::parse_module;

/// A checked pack, ready to evaluate.
#[derive(Debug, Default)]
pub struct Pack {
    pub files: Vec<SourceFile>,
    pub rules: Vec<CompiledRule>,
    pub defs: Vec<CompiledDef>,
}

impl Pack {
    pub fn rule(&self, id: &str) -> Option<&CompiledRule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// `file:line` of a rule's definition.
    pub fn location(&self, rule: &CompiledRule) -> String {
        match self.files.get(rule.file) {
            Some(f) => {
                let (line, _) = f.line_col(rule.span.start);
                format!("{}:{line}", f.name)
            }
            None => String::new(),
        }
    }
}

/// What stopped a pack from loading.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} problem(s) in the rules", .0.len())]
    Invalid(Vec<LangDiagnostic>),
}

/// Loads every `.ward` file below each path (a file or a directory), plus what they import.
pub fn load_pack(paths: &[PathBuf]) -> Result<Pack, PackError> {
    let mut files = Vec::new();
    for path in paths {
        let walk =
            ward_model::walk::walk_files(path, &|p| ward_model::walk::has_suffix(p, ".ward"));
        if let Some(problem) = walk.problems.into_iter().next() {
            return Err(PackError::Io {
                path: problem.path,
                source: problem.error,
            });
        }
        files.extend(walk.files);
    }
    files.sort();
    files.dedup();
    let mut sources = Vec::new();
    for f in files {
        sources.push(read_source(&f)?);
    }
    load_pack_sources(sources, &mut |p| read_source(p))
}

fn read_source(path: &Path) -> Result<SourceFile, PackError> {
    let text = std::fs::read_to_string(path).map_err(|source| PackError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(SourceFile::new(path, display_path(path), text))
}

fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    match cwd.as_deref().and_then(|c| path.strip_prefix(c).ok()) {
        Some(rel) => rel.display().to_string(),
        None => path.display().to_string(),
    }
}

/// Checks a set of sources. `read` loads an imported file that is not among them.
pub fn load_pack_sources(
    sources: Vec<SourceFile>,
    read: &mut dyn FnMut(&Path) -> Result<SourceFile, PackError>,
) -> Result<Pack, PackError> {
    let catalog = ResourceCatalog::builtin();
    let mut diags = Vec::new();
    let mut files: Vec<SourceFile> = Vec::new();
    let mut modules: Vec<Module> = Vec::new();
    let mut index_of: HashMap<PathBuf, usize> = HashMap::new();
    // Files whose rules are part of the pack (imported-only files contribute defs, and
    // their rules too: an imported file is part of the pack).
    let mut queue: Vec<SourceFile> = sources;
    queue.reverse();
    while let Some(file) = queue.pop() {
        let key = canonical(&file.path);
        if index_of.contains_key(&key) {
            continue;
        }
        let module = match parse_module(&file) {
            Ok(m) => m,
            Err(d) => {
                diags.push(d);
                Module::default()
            }
        };
        for (import, span) in &module.imports {
            let target = file.path.parent().unwrap_or(Path::new(".")).join(import);
            if index_of.contains_key(&canonical(&target)) {
                continue;
            }
            match read(&target) {
                Ok(f) => queue.push(f),
                Err(e) => diags.push(
                    LangDiagnostic::new(
                        &file,
                        *span,
                        "import",
                        format!("cannot import `{import}`"),
                    )
                    .with_help(e.to_string()),
                ),
            }
        }
        index_of.insert(key, files.len());
        files.push(file);
        modules.push(module);
    }

    // Global def table, then each file's visible defs (its own, then its imports').
    let mut def_index: Vec<(usize, usize)> = Vec::new(); // (file, def position)
    let mut own: Vec<HashMap<String, DefRef>> = Vec::new();
    for (fi, module) in modules.iter().enumerate() {
        let mut table = HashMap::new();
        for (di, def) in module.defs.iter().enumerate() {
            let file = files.get(fi);
            if crate::functions::Builtin::by_name(&def.name.name).is_some()
                && let Some(file) = file
            {
                diags.push(LangDiagnostic::new(
                    file,
                    def.name.span,
                    "reserved-name",
                    format!(
                        "`{}` is a built-in function and cannot be redefined",
                        def.name.name
                    ),
                ));
            }
            if table.contains_key(&def.name.name) {
                if let Some(file) = file {
                    diags.push(LangDiagnostic::new(
                        file,
                        def.name.span,
                        "duplicate-def",
                        format!("`{}` is defined twice in this file", def.name.name),
                    ));
                }
                continue;
            }
            table.insert(
                def.name.name.clone(),
                DefRef {
                    index: def_index.len(),
                    arity: def.params.len(),
                },
            );
            def_index.push((fi, di));
        }
        own.push(table);
    }
    let mut visible: Vec<HashMap<String, DefRef>> = Vec::new();
    for (fi, module) in modules.iter().enumerate() {
        let mut table = own.get(fi).cloned().unwrap_or_default();
        for (import, _) in &module.imports {
            let Some(file) = files.get(fi) else { continue };
            let target = canonical(&file.path.parent().unwrap_or(Path::new(".")).join(import));
            if let Some(imported) = index_of.get(&target).and_then(|&i| own.get(i)) {
                for (name, def) in imported {
                    table.entry(name.clone()).or_insert(*def);
                }
            }
        }
        visible.push(table);
    }

    let mut defs = Vec::new();
    for &(fi, di) in &def_index {
        let (Some(file), Some(def), Some(table)) = (
            files.get(fi),
            modules.get(fi).and_then(|m| m.defs.get(di)),
            visible.get(fi),
        ) else {
            continue;
        };
        defs.push(check_def(file, def, table, catalog, &mut diags));
    }
    check_recursion(&defs, &def_index, &modules, &files, &mut diags);

    let mut rules: Vec<CompiledRule> = Vec::new();
    let mut first_seen: HashMap<String, (usize, Span)> = HashMap::new();
    for (fi, module) in modules.iter().enumerate() {
        let (Some(file), Some(table)) = (files.get(fi), visible.get(fi)) else {
            continue;
        };
        for rule in &module.rules {
            if let Some((ofi, ospan)) = first_seen.get(&rule.id) {
                let other = files
                    .get(*ofi)
                    .map(|f| {
                        let (l, c) = f.line_col(ospan.start);
                        format!("{}:{l}:{c}", f.name)
                    })
                    .unwrap_or_default();
                diags.push(
                    LangDiagnostic::new(
                        file,
                        rule.id_span,
                        "duplicate-rule",
                        format!("rule id `{}` is used twice", rule.id),
                    )
                    .with_help(format!(
                        "the first is at {other}; rule ids are unique across the pack"
                    )),
                );
                continue;
            }
            first_seen.insert(rule.id.clone(), (fi, rule.id_span));
            if let Some(compiled) = check_rule(file, fi, rule, table, catalog, &mut diags) {
                rules.push(compiled);
            }
        }
    }
    if !diags.is_empty() {
        return Err(PackError::Invalid(diags));
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Pack { files, rules, defs })
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `def`s may call each other but not recursively: evaluation must terminate.
fn check_recursion(
    defs: &[CompiledDef],
    def_index: &[(usize, usize)],
    modules: &[Module],
    files: &[SourceFile],
    diags: &mut Vec<LangDiagnostic>,
) {
    fn calls(ir: &Ir, out: &mut Vec<usize>) {
        ir.visit(&mut |node| {
            if let Ir::CallDef(i, _) = node {
                out.push(*i);
            }
        });
    }
    let graph: Vec<Vec<usize>> = defs
        .iter()
        .map(|d| {
            let mut out = Vec::new();
            calls(&d.body, &mut out);
            out
        })
        .collect();
    // 0 = unvisited, 1 = on stack, 2 = done
    let mut state = vec![0u8; defs.len()];
    fn visit(n: usize, graph: &[Vec<usize>], state: &mut [u8]) -> Option<usize> {
        match state.get(n) {
            Some(1) => return Some(n),
            Some(2) | None => return None,
            _ => {}
        }
        if let Some(s) = state.get_mut(n) {
            *s = 1;
        }
        for &m in graph.get(n).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(c) = visit(m, graph, state) {
                return Some(c);
            }
        }
        if let Some(s) = state.get_mut(n) {
            *s = 2;
        }
        None
    }
    for n in 0..defs.len() {
        if let Some(cyclic) = visit(n, &graph, &mut state) {
            if let Some(&(fi, di)) = def_index.get(cyclic)
                && let (Some(file), Some(def)) =
                    (files.get(fi), modules.get(fi).and_then(|m| m.defs.get(di)))
            {
                diags.push(
                        LangDiagnostic::new(file, def.name.span, "recursion", format!("`{}` calls itself", def.name.name))
                            .with_help("functions cannot be recursive; use the collection functions (`any`, `map`, …)"),
                    );
            }
            return;
        }
    }
}
