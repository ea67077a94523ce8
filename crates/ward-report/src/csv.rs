//! CSV (`ward check --format csv`): one row per finding, every status, in the document's
//! order, for spreadsheets and ad-hoc queries.
//!
//! RFC 4180: comma-separated, a header row, fields holding a comma, a double quote or a line
//! break are quoted and their quotes doubled (the `csv` crate writes it). Lists (citations,
//! evidence) are joined with `; ` inside one field; evidence reads `path = value` with the
//! value as JSON (`<absent>` for a missing field). The waiver columns are empty unless the
//! status is `WAIVED`.
//!
//! Safe for spreadsheets: a field a spreadsheet would read as a formula (it begins with `=`,
//! `+`, `-`, `@`, a tab or a carriage return, or their full-width forms) gets a `'` in front,
//! as OWASP's CSV injection guidance says, so a resource named `=HYPERLINK(...)` is shown,
//! never run. The raw values are in the JSON document.

use ward_model::Finding;

use crate::FindingsDocument;

/// The header row.
pub const CSV_COLUMNS: [&str; 19] = [
    "rule",
    "status",
    "severity",
    "resource_type",
    "resource_id",
    "arn",
    "account",
    "region",
    "message",
    "citations",
    "evidence",
    "fingerprint",
    "backend",
    "waiver_id",
    "waiver_reason",
    "waiver_approver",
    "waiver_expires",
    "waiver_file",
    "original_status",
];

/// A CSV writing error (only for a failing writer; writing to memory does not fail).
#[derive(Debug, thiserror::Error)]
#[error("cannot write CSV: {0}")]
pub struct CsvError(#[from] ::csv::Error);

/// The CSV table of a run's findings.
pub fn render_csv(doc: &FindingsDocument) -> Result<String, CsvError> {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    for f in &doc.findings {
        w.write_record(row(f).iter().map(|field| neutralize(field).into_owned()))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| CsvError(::csv::Error::from(e.into_error())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The characters a spreadsheet starts a formula with (OWASP, CSV injection), with the
/// full-width forms some spreadsheets accept too.
const FORMULA_STARTS: [char; 10] = [
    '=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
];

/// `field` as a spreadsheet shows it and never evaluates it: a `'` before a formula start.
pub fn neutralize(field: &str) -> std::borrow::Cow<'_, str> {
    if field.starts_with(FORMULA_STARTS) {
        std::borrow::Cow::Owned(format!("'{field}"))
    } else {
        std::borrow::Cow::Borrowed(field)
    }
}

fn row(f: &Finding) -> [String; 19] {
    let r = &f.resource;
    let evidence: Vec<String> = f
        .evidence
        .iter()
        .map(|e| {
            let value = if e.absent {
                "<absent>".to_string()
            } else {
                e.value.to_string()
            };
            format!("{} = {value}", e.path)
        })
        .collect();
    let w = f.waiver.as_ref();
    [
        f.rule.clone(),
        f.status.as_str().to_string(),
        f.severity.as_str().to_string(),
        r.resource_type.clone(),
        r.id.clone(),
        r.arn.clone().unwrap_or_default(),
        r.account.clone().unwrap_or_default(),
        r.region.clone().unwrap_or_default(),
        f.message.clone(),
        f.citations.join("; "),
        evidence.join("; "),
        f.fingerprint.clone(),
        f.backend.clone(),
        w.map(|w| w.id.clone()).unwrap_or_default(),
        w.map(|w| w.reason.clone()).unwrap_or_default(),
        w.map(|w| w.approver.clone()).unwrap_or_default(),
        w.map(|w| w.expires.clone()).unwrap_or_default(),
        w.map(|w| w.location()).unwrap_or_default(),
        w.map(|w| w.original_status.as_str().to_string())
            .unwrap_or_default(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_shown_never_run() {
        for hostile in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "\u{FF1D}1+1",
        ] {
            assert_eq!(neutralize(hostile), format!("'{hostile}"));
        }
        for plain in ["sg-1234", "role/x=y", "", "a-b", "NON_COMPLIANT"] {
            assert_eq!(neutralize(plain), plain);
        }
    }
}
