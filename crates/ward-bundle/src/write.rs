//! Assembling a run's members and writing them as a deterministic zip.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write as _};
use std::path::{Component, Path};

use ed25519_dalek::Signer as _;
use serde::Serialize;
use sha2::{Digest, Sha256};
use ward_model::InventorySnapshot;
use ward_report::FindingsDocument;
use ward_report::controls::ControlsReport;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::keys::{SigningKey, signer};
use crate::{BUNDLE_FORMAT_VERSION, BundleError, LeftOut, MANIFEST, Manifest, ManifestMember};
use crate::{Redacted, SIGNATURE};

/// One input file of the run: where it was, its size and SHA-256. Raw inputs are never put in
/// the bundle (they may hold secrets); their digests are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputFile {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

impl InputFile {
    /// Hashes the file at `path` (streaming).
    pub fn read(path: &Path) -> Result<InputFile, BundleError> {
        let io = |source| BundleError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = file.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            size += n as u64;
            hasher.update(buf.get(..n).unwrap_or_default());
        }
        Ok(InputFile {
            path: path.display().to_string().replace('\\', "/"),
            size,
            sha256: hex::encode(hasher.finalize()),
        })
    }
}

/// A rule source file of the pack: its path below `rules/` and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSource {
    pub name: String,
    pub text: String,
}

/// Names each file by its path relative to the deepest directory holding all of them, so a
/// pack's layout is kept (`restricted-ssh.ward`, `lib/network.ward`) and no absolute or
/// machine-specific path enters the bundle.
pub fn rule_sources_relative<'a>(
    files: impl IntoIterator<Item = (&'a Path, &'a str)>,
) -> Vec<RuleSource> {
    let files: Vec<(Vec<String>, &str)> = files
        .into_iter()
        .map(|(path, text)| {
            let parts = path
                .components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect();
            (parts, text)
        })
        .collect();
    // The common directory: the longest shared prefix of every file's parent components.
    let mut common: Option<Vec<String>> = None;
    for (parts, _) in &files {
        let parent = parts.split_last().map(|(_, p)| p).unwrap_or_default();
        common = Some(match common {
            None => parent.to_vec(),
            Some(c) => c
                .iter()
                .zip(parent)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a.clone())
                .collect(),
        });
    }
    let skip = common.map_or(0, |c| c.len());
    let mut out: Vec<RuleSource> = files
        .into_iter()
        .map(|(parts, text)| RuleSource {
            name: parts.get(skip..).unwrap_or_default().join("/"),
            text: text.to_string(),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The parameters of a run, as `parameters.json` records them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Parameters {
    /// `--param RULE.KEY=VALUE` overrides, by rule then key.
    pub overrides: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// `--rule` selections (empty: every rule of the pack).
    pub rules: Vec<String>,
    /// `--as-of` as given (the run's time is the findings' `as_of`).
    pub as_of: Option<String>,
    /// The rule directories (`--policies`), or `<builtin>` for the pack built into Ward.
    pub policies: Vec<String>,
}

/// Everything a run's bundle is made of.
pub struct Evidence<'a> {
    pub ward_version: &'a str,
    pub doc: &'a FindingsDocument,
    pub controls: &'a ControlsReport,
    /// Every source file of the pack that ran (see [`rule_sources_relative`]).
    pub rules: Vec<RuleSource>,
    /// The input files given to `--snapshot`, hashed.
    pub inputs: Vec<InputFile>,
    /// The normalized (and redacted) inventory; `None` with `--no-snapshot`.
    pub inventory: Option<InventorySnapshot>,
    /// The waiver files the run read, hashed.
    pub waiver_files: Vec<InputFile>,
    /// The parameters used; `None` when unknown (a bundle made from a saved result).
    pub parameters: Option<Parameters>,
    /// Why the inventory is not included, when it is not.
    pub inventory_left_out: Option<String>,
}

#[derive(Serialize)]
struct InputsMember<'a> {
    note: &'a str,
    files: &'a [InputFile],
}

#[derive(Serialize)]
struct WaiversMember<'a> {
    outcomes: &'a [ward_model::WaiverOutcome],
    files: &'a [InputFile],
}

#[derive(Serialize)]
struct ParametersMember<'a> {
    as_of: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<&'a Parameters>,
}

fn json<T: Serialize>(path: &str, value: &T) -> Result<Vec<u8>, BundleError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| BundleError::Json {
        path: path.into(),
        source,
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes the bundle: every member, `manifest.json`, and `manifest.sig` when `key` is given.
/// The same evidence (and key) gives the same bytes.
pub fn build(evidence: &Evidence, key: Option<&SigningKey>) -> Result<Vec<u8>, BundleError> {
    let doc = evidence.doc;
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut add = |path: String, bytes: Vec<u8>| -> Result<(), BundleError> {
        check_member_path(&path)?;
        if members.insert(path.clone(), bytes).is_some() {
            return Err(BundleError::DuplicateMember(path));
        }
        Ok(())
    };
    add("findings.json".into(), doc.to_json().into_bytes())?;
    add(
        "controls.json".into(),
        evidence.controls.to_json().into_bytes(),
    )?;
    add(
        "controls.md".into(),
        evidence.controls.render_markdown().into_bytes(),
    )?;
    add(
        "report.html".into(),
        ward_report::html::render_html(doc, evidence.controls).into_bytes(),
    )?;
    for rule in &evidence.rules {
        add(
            format!("rules/{}", rule.name),
            rule.text.as_bytes().to_vec(),
        )?;
    }
    add(
        "inputs.json".into(),
        json(
            "inputs.json",
            &InputsMember {
                note: "the files given to --snapshot, as read; they are not in the bundle \
                       (raw inputs may hold secrets): inventory.json is what Ward read from them",
                files: &evidence.inputs,
            },
        )?,
    )?;
    if let Some(inventory) = &evidence.inventory {
        add("inventory.json".into(), json("inventory.json", inventory)?)?;
    }
    add(
        "waivers.json".into(),
        json(
            "waivers.json",
            &WaiversMember {
                outcomes: &doc.waivers,
                files: &evidence.waiver_files,
            },
        )?,
    )?;
    add(
        "parameters.json".into(),
        json(
            "parameters.json",
            &ParametersMember {
                as_of: doc.as_of.as_deref(),
                parameters: evidence.parameters.as_ref(),
            },
        )?,
    )?;

    let mut left_out = vec![LeftOut {
        what: "the raw input files".into(),
        reason: "they may hold secrets; inputs.json lists each one's path, size and SHA-256, \
                 and inventory.json holds what Ward read from them, with secrets redacted"
            .into(),
    }];
    if evidence.inventory.is_none() {
        left_out.push(LeftOut {
            what: "inventory.json (the normalized inventory)".into(),
            reason: evidence
                .inventory_left_out
                .clone()
                .unwrap_or_else(|| "not available".into()),
        });
    }
    if evidence.parameters.is_none() {
        left_out.push(LeftOut {
            what: "the parameter overrides".into(),
            reason: "the bundle was made from a saved result, which does not record them; \
                     parameters.json holds the run's time only"
                .into(),
        });
    }
    let manifest = Manifest {
        bundle_format_version: BUNDLE_FORMAT_VERSION.into(),
        ward_version: evidence.ward_version.into(),
        as_of: doc.as_of.clone(),
        members: members
            .iter()
            .map(|(path, bytes)| ManifestMember {
                path: path.clone(),
                size: bytes.len() as u64,
                sha256: sha256_hex(bytes),
            })
            .collect(),
        redacted: Redacted {
            secrets: doc.redactions.len(),
            listed_in: "findings.json: redactions".into(),
            note: "secret values (passwords, keys, tokens) in configuration items are removed \
                   at import, before evaluation; findings, evidence and inventory.json hold \
                   the redacted values only"
                .into(),
        },
        left_out,
        signer: key.map(|k| signer(&k.verifying_key())),
    };
    let manifest_bytes = manifest.to_bytes().map_err(|source| BundleError::Json {
        path: MANIFEST.into(),
        source,
    })?;
    if let Some(key) = key {
        let signature = key.sign(&manifest_bytes);
        members.insert(SIGNATURE.into(), signature.to_bytes().to_vec());
    }
    members.insert(MANIFEST.into(), manifest_bytes);
    write_zip(&members, doc.as_of.as_deref())
}

/// A member path: relative, `/`-separated, no empty, `.` or `..` parts, not a reserved name.
fn check_member_path(path: &str) -> Result<(), BundleError> {
    let bad = path.is_empty()
        || path == MANIFEST
        || path == SIGNATURE
        || path.contains('\\')
        || path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        Err(BundleError::BadMemberPath(path.into()))
    } else {
        Ok(())
    }
}

/// The zip entries' modification time: the run's time (UTC, to the second) when it parses,
/// else the zip epoch, 1980-01-01 00:00:00.
fn entry_time(as_of: Option<&str>) -> DateTime {
    let parsed = as_of.and_then(|t| {
        let num = |range: std::ops::Range<usize>| t.get(range)?.parse::<u16>().ok();
        let year = num(0..4)?;
        let [month, day, hour, minute, second] = [
            num(5..7)?,
            num(8..10)?,
            num(11..13)?,
            num(14..16)?,
            num(17..19)?,
        ]
        .map(|v| u8::try_from(v).unwrap_or(u8::MAX));
        DateTime::from_date_and_time(year, month, day, hour, minute, second).ok()
    });
    parsed.unwrap_or_default()
}

fn write_zip(
    members: &BTreeMap<String, Vec<u8>>,
    as_of: Option<&str>,
) -> Result<Vec<u8>, BundleError> {
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(entry_time(as_of))
        .unix_permissions(0o644);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (path, bytes) in members {
        zip.start_file(path.as_str(), options)?;
        zip.write_all(bytes).map_err(BundleError::Write)?;
    }
    Ok(zip.finish()?.into_inner())
}
