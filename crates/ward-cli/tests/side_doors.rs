//! Side doors (`tests/data/side-doors/`, issue 25): a secret on the line where a snapshot's
//! JSON breaks is located, never shown; resource names shaped as spreadsheet formulas, HTML
//! or Markdown are neutralised in CSV and escaped in Markdown, JUnit XML and HTML.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{stdout, ward};

const MALFORMED: &str = "tests/data/side-doors/malformed";
const HOSTILE: &str = "tests/data/side-doors/hostile-names";
const SECRET: &str = "SideDoorPl4ntedPw";

/// The hostile names planted (bucket ids, names and `Owner` tags).
fn hostile_names() -> Vec<String> {
    let text =
        std::fs::read_to_string(common::root().join(HOSTILE).join("config-snapshot.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["configurationItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["resourceId"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_secret_where_the_json_breaks_is_located_never_shown() {
    for format in ["text", "json", "csv", "markdown"] {
        let out = ward(&["check", "--snapshot", MALFORMED, "--format", format]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(!err.contains(SECRET), "{err}");
        assert!(!stdout(&out).contains(SECRET), "{format}");
        assert!(
            err.contains("config-snapshot.json`:14:74: invalid"),
            "the break is located: {err}"
        );
        // The line is shown by its shape: keys kept, values masked.
        assert!(
            err.contains("\"DB_PASSWORD\": \"*****************\""),
            "{err}"
        );
    }
}

#[test]
fn formulas_are_neutralised_in_csv() {
    let out = ward(&["check", "--snapshot", HOSTILE, "--format", "csv"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut ids = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        for field in &record {
            assert!(
                !field.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a formula reaches the spreadsheet: {field:?}"
            );
        }
        ids.push(record[4].to_string());
    }
    for name in hostile_names() {
        let shown = if name.starts_with(['=', '+', '-', '@']) {
            format!("'{name}")
        } else {
            name.clone()
        };
        assert!(ids.contains(&shown), "{shown:?} is in the CSV, neutralised");
    }
}

/// `line` without its code spans (CommonMark: a backtick run opens one, the next run of the
/// same length closes it; outside them a backslash escapes the next character).
fn outside_code_spans(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                i += 2;
            }
            '`' => {
                let run = chars[i..].iter().take_while(|c| **c == '`').count();
                let mut j = i + run;
                let mut closed = None;
                while j < chars.len() {
                    let r = chars[j..].iter().take_while(|c| **c == '`').count();
                    if r == run {
                        closed = Some(j + r);
                        break;
                    }
                    j += r.max(1);
                }
                match closed {
                    Some(end) => i = end,
                    None => {
                        out.extend(&chars[i..i + run]);
                        i += run;
                    }
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[test]
fn markup_is_escaped_in_markdown_and_html() {
    let out = ward(&["check", "--snapshot", HOSTILE, "--format", "markdown"]);
    let md = stdout(&out);
    assert!(md.contains("&lt;script&gt;"), "messages escape markup");
    // Raw markup only as the literal text of a code span, which renders as text.
    assert!(md.contains("`<script>alert('ward')</script>`"));
    for line in md.lines() {
        let prose = outside_code_spans(line);
        for needle in ["<script", "<img", "](javascript:"] {
            assert!(
                !prose.contains(needle),
                "{needle} outside a code span: {line}"
            );
        }
    }

    let out = ward(&["check", "--snapshot", HOSTILE, "--format", "junit"]);
    let xml = stdout(&out);
    assert!(
        xml.contains("&lt;script&gt;"),
        "the name is in the JUnit XML, escaped"
    );
    assert!(
        !xml.contains("<script") && !xml.contains("<img"),
        "no planted element"
    );

    let out = ward(&["report", "--snapshot", HOSTILE]);
    let html = stdout(&out);
    assert!(
        html.contains("&lt;script&gt;alert("),
        "the name is shown, escaped"
    );
    assert!(
        !html.contains("<script>alert("),
        "no planted script in the HTML"
    );
    assert!(!html.contains("<img src=x"), "no planted tag in the HTML");
    assert!(!html.contains("href=\"javascript:"), "no javascript: link");
}
