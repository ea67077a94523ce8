//! Splitting a JSON list into the texts of its elements, at close to scan speed.
//!
//! serde_json reads an input's envelope (the top-level keys, their small values) one byte at
//! a time through [`Input`]'s `Read`. When a big list begins, [`Input::split_list`] takes
//! over the same bytes and only finds where each element starts and ends: it follows strings
//! (escapes included) and counts brackets. Each element's text is then parsed on its own,
//! where serde_json checks its syntax, on any core. At the list's `]` serde_json gets the
//! input back, with whitespace standing in for the bytes it did not see, so the line and
//! column of any later error are still the file's.

use std::cell::RefCell;
use std::io::{self, Read};

/// Bytes read from the underlying reader at a time; the window grows past this only for an
/// element that does not fit.
const CHUNK: usize = 64 * 1024;

/// Where a byte is: one-based line and one-based column in bytes, as serde_json counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl Position {
    /// Where `inner`, a position within a text that starts here, is in the input.
    pub(crate) fn within(self, inner: Position) -> Position {
        if inner.line <= 1 {
            Position {
                line: self.line,
                column: self.column + inner.column.saturating_sub(1),
            }
        } else {
            Position {
                line: self.line + inner.line - 1,
                column: inner.column,
            }
        }
    }
}

/// What went wrong reading the input, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// The input ends in the middle of a value.
    Eof,
    /// Not JSON.
    Syntax,
    /// JSON, but not what was expected.
    Data,
    /// The reader failed (a file error, broken gzip).
    Io,
}

/// A failure to read the input as JSON, with its position in the input (`None` for an I/O
/// failure, which has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) kind: FailureKind,
    /// serde_json's words, without its "at line L column C".
    pub(crate) detail: String,
    pub(crate) at: Option<Position>,
}

impl Failure {
    /// A serde_json error met reading a text that starts at `start` in the input (the
    /// whole input: line 1, column 1).
    pub(crate) fn from_serde(err: &serde_json::Error, start: Position) -> Failure {
        use serde_json::error::Category;
        let kind = match err.classify() {
            Category::Io => FailureKind::Io,
            Category::Eof => FailureKind::Eof,
            Category::Syntax => FailureKind::Syntax,
            Category::Data => FailureKind::Data,
        };
        let (line, column) = (err.line(), err.column());
        let mut detail = err.to_string();
        let suffix = format!(" at line {line} column {column}");
        if let Some(stripped) = detail.strip_suffix(&suffix) {
            detail = stripped.to_string();
        }
        let at = (line > 0).then(|| start.within(Position { line, column }));
        Failure { kind, detail, at }
    }

    fn io(err: &io::Error) -> Failure {
        Failure {
            kind: FailureKind::Io,
            detail: err.to_string(),
            at: None,
        }
    }
}

/// One element of a list: its text (surrounding whitespace excluded), where it starts, and
/// its index in the list.
pub(crate) struct Element<'t> {
    pub(crate) text: &'t [u8],
    pub(crate) at: Position,
    pub(crate) index: usize,
}

/// How a split ended without failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Split {
    /// At the list's `]`, which serde_json reads next.
    Ended,
    /// The caller asked to stop; the input is left in the middle of the list.
    Stopped,
}

/// The input of one file, shared by serde_json (through `Read for &Input`) and the list
/// splitter. Both run on one thread, one after the other.
pub(crate) struct Input<'r> {
    window: RefCell<Window<'r>>,
}

impl<'r> Input<'r> {
    pub(crate) fn new(reader: impl Read + 'r) -> Input<'r> {
        Input {
            window: RefCell::new(Window {
                reader: Box::new(reader),
                data: vec![0; CHUNK],
                pos: 0,
                end: 0,
                base: 0,
                eof: false,
                line: 1,
                line_start: 0,
                newlines_owed: 0,
                spaces_owed: 0,
            }),
        }
    }

    /// Splits the list whose `[` serde_json has just read, handing `each` every element in
    /// order until it returns `false`. On [`Split::Ended`] the input is at the `]`, for
    /// serde_json to read.
    pub(crate) fn split_list(
        &self,
        mut each: impl FnMut(Element<'_>) -> bool,
    ) -> Result<Split, Failure> {
        let mut window = self.window.borrow_mut();
        // serde_json's column counts the bytes of the line up to and including the `[`.
        let opened = window.here();
        let mut expect = Expect::First;
        let mut index = 0;
        loop {
            let Some(byte) = window.skip_whitespace()? else {
                return Err(window.failure_at_end("EOF while parsing a list"));
            };
            match (expect, byte) {
                (Expect::First | Expect::CommaOrEnd, b']') => break,
                (Expect::Value, b']') => {
                    return Err(window.failure_here(FailureKind::Syntax, "trailing comma"));
                }
                (Expect::CommaOrEnd, b',') => {
                    let next = window.pos + 1;
                    window.advance_to(next);
                    expect = Expect::Value;
                }
                (Expect::CommaOrEnd, _) => {
                    return Err(window.failure_here(FailureKind::Syntax, "expected `,` or `]`"));
                }
                (Expect::First | Expect::Value, _) => {
                    let at = window.here();
                    let end = window.frame_element(at)?;
                    let text = window.data.get(window.pos..end).unwrap_or_default();
                    let go_on = each(Element { text, at, index });
                    window.advance_to(end);
                    index += 1;
                    expect = Expect::CommaOrEnd;
                    if !go_on {
                        return Ok(Split::Stopped);
                    }
                }
            }
        }
        // serde_json goes on at the `]`: whitespace stands in for the bytes it did not see,
        // so that its line and column are the input's again.
        let close = window.here();
        if close.line > opened.line {
            window.newlines_owed = close.line - opened.line;
            window.spaces_owed = close.column - 1;
        } else {
            window.spaces_owed = close.column.saturating_sub(opened.column);
        }
        Ok(Split::Ended)
    }
}

impl Input<'_> {
    /// Where the next byte serde_json reads is (it reads one byte at a time, so right
    /// after a key this is just past the key's closing quote).
    pub(crate) fn position(&self) -> Position {
        self.window.borrow().here()
    }
}

impl Read for &Input<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.window.borrow_mut().read_into(out)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Right after the `[`: an element or the end.
    First,
    /// After a comma: an element.
    Value,
    /// After an element: a comma or the end.
    CommaOrEnd,
}

/// A window on the input: `data[pos..end]` is read and not yet consumed; `base` is the
/// input offset of `data[0]`.
struct Window<'r> {
    reader: Box<dyn Read + 'r>,
    data: Vec<u8>,
    pos: usize,
    end: usize,
    base: u64,
    eof: bool,
    /// The line of the byte at `pos`, and the input offset where that line starts.
    line: usize,
    line_start: u64,
    /// Whitespace serde_json is still to read in place of the bytes split off.
    newlines_owed: usize,
    spaces_owed: usize,
}

impl Window<'_> {
    /// The position of the byte at `pos`.
    fn here(&self) -> Position {
        let offset = self.base + self.pos as u64;
        Position {
            line: self.line,
            column: usize::try_from(offset - self.line_start).unwrap_or(usize::MAX) + 1,
        }
    }

    fn failure_here(&self, kind: FailureKind, detail: &str) -> Failure {
        Failure {
            kind,
            detail: detail.to_string(),
            at: Some(self.here()),
        }
    }

    /// The input ended at `pos`: serde_json places that on the last byte read.
    fn failure_at_end(&self, detail: &str) -> Failure {
        let here = self.here();
        Failure {
            kind: FailureKind::Eof,
            detail: detail.to_string(),
            at: Some(Position {
                line: here.line,
                column: here.column - 1,
            }),
        }
    }

    /// Consumes `data[pos..to]`, keeping count of lines.
    fn advance_to(&mut self, to: usize) {
        let consumed = self.data.get(self.pos..to).unwrap_or_default();
        let mut last = None;
        for newline in memchr::memchr_iter(b'\n', consumed) {
            self.line += 1;
            last = Some(newline);
        }
        if let Some(last) = last {
            self.line_start = self.base + (self.pos + last + 1) as u64;
        }
        self.pos = to;
    }

    /// Moves `data[keep_from..end]` to the front (growing the window when nothing can be
    /// dropped) and reads more after it. Returns how far indices moved down, and whether
    /// more was read (`false` at the end of the input).
    fn fill(&mut self, keep_from: usize) -> Result<(usize, bool), Failure> {
        if keep_from > 0 {
            self.data.copy_within(keep_from..self.end, 0);
            self.end -= keep_from;
            self.pos -= keep_from;
            self.base += keep_from as u64;
        }
        if self.eof {
            return Ok((keep_from, false));
        }
        if self.end == self.data.len() {
            let grown = self.data.len() * 2;
            self.data.resize(grown, 0);
        }
        loop {
            let free = self.data.get_mut(self.end..).unwrap_or_default();
            match self.reader.read(free) {
                Ok(0) => {
                    self.eof = true;
                    return Ok((keep_from, false));
                }
                Ok(n) => {
                    self.end += n;
                    return Ok((keep_from, true));
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(Failure::io(&err)),
            }
        }
    }

    /// The next byte that is not whitespace, consuming the whitespace; `None` at the end.
    fn skip_whitespace(&mut self) -> Result<Option<u8>, Failure> {
        loop {
            while let Some(&byte) = self.data.get(self.pos..self.end).and_then(<[u8]>::first) {
                match byte {
                    b' ' | b'\t' | b'\r' => self.pos += 1,
                    b'\n' => {
                        self.pos += 1;
                        self.line += 1;
                        self.line_start = self.base + self.pos as u64;
                    }
                    other => return Ok(Some(other)),
                }
            }
            if !self.fill(self.pos)?.1 {
                return Ok(None);
            }
        }
    }

    /// Finds the end (exclusive) of the element starting at `pos`, reading more input as
    /// needed: an object or array ends at its closing bracket, a string at its closing
    /// quote, anything else at the next delimiter. The element's syntax is checked later,
    /// by whoever parses its text; here only the end of input can fail it, and then
    /// serde_json, reading what there is of the element, says where and why.
    fn frame_element(&mut self, at: Position) -> Result<usize, Failure> {
        let first = self
            .data
            .get(self.pos..self.end)
            .and_then(<[u8]>::first)
            .copied();
        if !matches!(first, Some(b'{' | b'[' | b'"')) {
            return self.frame_scalar();
        }
        let mut depth = 0_usize;
        let mut in_string = false;
        let mut escaped = false;
        let mut i = self.pos;
        loop {
            while i < self.end {
                let rest = self.data.get(i..self.end).unwrap_or_default();
                if escaped {
                    escaped = false;
                    i += 1;
                    continue;
                }
                if in_string {
                    match memchr::memchr2(b'"', b'\\', rest) {
                        None => i = self.end,
                        Some(k) => {
                            i += k + 1;
                            if rest.get(k) == Some(&b'\\') {
                                escaped = true;
                            } else {
                                in_string = false;
                                if depth == 0 {
                                    return Ok(i);
                                }
                            }
                        }
                    }
                    continue;
                }
                for &byte in rest {
                    i += 1;
                    match byte {
                        b'"' => {
                            in_string = true;
                            break;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                return Ok(i);
                            }
                        }
                        _ => {}
                    }
                }
            }
            let (shift, more) = self.fill(self.pos)?;
            i -= shift;
            if !more {
                return Err(self.unfinished(at));
            }
        }
    }

    /// A number, `true`, `false`, `null` or anything else that is not a string, an object
    /// or an array: up to the next delimiter. Nothing at all there is an error.
    fn frame_scalar(&mut self) -> Result<usize, Failure> {
        let mut i = self.pos;
        loop {
            let rest = self.data.get(i..self.end).unwrap_or_default();
            let length = rest.iter().position(|byte| {
                matches!(
                    byte,
                    b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}' | b'[' | b'{' | b'"' | b':'
                )
            });
            match length {
                Some(length) => {
                    i += length;
                    break;
                }
                None => i = self.end,
            }
            let (shift, more) = self.fill(self.pos)?;
            i -= shift;
            if !more {
                break;
            }
        }
        if i == self.pos {
            return Err(self.failure_here(FailureKind::Syntax, "expected value"));
        }
        Ok(i)
    }

    /// The input ended inside the element at `pos`: serde_json reads what there is of it
    /// and names the first problem (a bracket that does not match, or the end itself).
    fn unfinished(&self, at: Position) -> Failure {
        let text = self.data.get(self.pos..self.end).unwrap_or_default();
        match serde_json::from_slice::<serde::de::IgnoredAny>(text) {
            Err(err) => Failure::from_serde(&err, at),
            Ok(_) => Failure {
                kind: FailureKind::Eof,
                detail: "EOF while parsing a value".to_string(),
                at: Some(at),
            },
        }
    }

    /// serde_json's reads: owed whitespace first, then the input.
    fn read_into(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.newlines_owed > 0 || self.spaces_owed > 0 {
            let mut written = 0;
            for slot in out.iter_mut() {
                if self.newlines_owed > 0 {
                    self.newlines_owed -= 1;
                    *slot = b'\n';
                } else if self.spaces_owed > 0 {
                    self.spaces_owed -= 1;
                    *slot = b' ';
                } else {
                    break;
                }
                written += 1;
            }
            return Ok(written);
        }
        if self.pos == self.end {
            match self.fill(self.pos) {
                Ok((_, true)) => {}
                Ok((_, false)) => return Ok(0),
                Err(failure) => return Err(io::Error::other(failure.detail)),
            }
        }
        let available = self.data.get(self.pos..self.end).unwrap_or_default();
        let n = available.len().min(out.len());
        if let (Some(to), Some(from)) = (out.get_mut(..n), available.get(..n)) {
            to.copy_from_slice(from);
        }
        if n == 1 {
            if available.first() == Some(&b'\n') {
                self.line += 1;
                self.line_start = self.base + self.pos as u64 + 1;
            }
            self.pos += 1;
        } else {
            self.advance_to(self.pos + n);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    type Seen = RefCell<(Vec<(String, Position)>, Option<Failure>)>;

    /// Reads `text` as an object whose `list` key is split: the elements' texts, and how
    /// it ended (the split's failure, or serde_json's for the rest).
    fn split(text: &str, chunked: bool) -> (Vec<(String, Position)>, Result<(), String>) {
        struct Reader<'a>(&'a [u8], bool);
        impl Read for Reader<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                // Three bytes at a time when chunked: every boundary case gets crossed.
                let n = buf
                    .len()
                    .min(self.0.len())
                    .min(if self.1 { 3 } else { usize::MAX });
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        struct Top<'s, 'r> {
            input: &'s Input<'r>,
            out: &'s Seen,
        }
        impl<'de> Visitor<'de> for Top<'_, '_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
                while let Some(key) = map.next_key::<String>()? {
                    if key == "list" {
                        map.next_value_seed(List {
                            input: self.input,
                            out: self.out,
                        })?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(())
            }
        }
        struct List<'s, 'r> {
            input: &'s Input<'r>,
            out: &'s Seen,
        }
        impl<'de> DeserializeSeed<'de> for List<'_, '_> {
            type Value = ();
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_any(self)
            }
        }
        impl<'de> Visitor<'de> for List<'_, '_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
                // Each element parsed on its own, as the importer does; the first
                // failure, of an element or of the list, stops the reading.
                let result = self.input.split_list(|element| {
                    let text = String::from_utf8_lossy(element.text).into_owned();
                    let mut out = self.out.borrow_mut();
                    out.0.push((text, element.at));
                    if let Err(e) = serde_json::from_slice::<IgnoredAny>(element.text) {
                        out.1 = Some(Failure::from_serde(&e, element.at));
                        return false;
                    }
                    true
                });
                let parsed = self.out.borrow().1.is_none();
                match result {
                    Ok(Split::Ended) if parsed => Ok(()),
                    Ok(_) => Err(serde::de::Error::custom("element")),
                    Err(failure) => {
                        self.out.borrow_mut().1 = Some(failure);
                        Err(serde::de::Error::custom("split"))
                    }
                }
            }
        }
        let out = RefCell::new((Vec::new(), None));
        let input = Input::new(Reader(text.as_bytes(), chunked));
        let mut de = serde_json::Deserializer::from_reader(&input);
        let result = (&mut de)
            .deserialize_any(Top {
                input: &input,
                out: &out,
            })
            .and_then(|()| de.end());
        let (elements, failure) = out.into_inner();
        let ended = match (result, failure) {
            (Ok(()), _) => Ok(()),
            (Err(_), Some(f)) => Err(format!("{:?} {} at {:?}", f.kind, f.detail, f.at)),
            (Err(e), None) => {
                let f = Failure::from_serde(&e, Position { line: 1, column: 1 });
                Err(format!("{:?} {} at {:?}", f.kind, f.detail, f.at))
            }
        };
        (elements, ended)
    }

    fn at(line: usize, column: usize) -> Position {
        Position { line, column }
    }

    #[test]
    fn elements_are_framed_whatever_the_chunking() {
        let text = "{\"a\": 1, \"list\": [ {\"x\": \"]}\\\"\"}, [1, [2]], \"s\\\\\", 12.5e3,\n  true, null ], \"b\": [1]}";
        for chunked in [false, true] {
            let (elements, ended) = split(text, chunked);
            let texts: Vec<&str> = elements.iter().map(|(t, _)| t.as_str()).collect();
            assert_eq!(
                texts,
                [
                    "{\"x\": \"]}\\\"\"}",
                    "[1, [2]]",
                    "\"s\\\\\"",
                    "12.5e3",
                    "true",
                    "null"
                ]
            );
            assert_eq!(elements[0].1, at(1, 20));
            assert_eq!(elements[4].1, at(2, 3));
            assert_eq!(ended, Ok(()));
        }
    }

    /// What serde_json alone says of `text`, in the form `split` gives.
    fn direct(text: &str) -> Result<(), String> {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(_) => Ok(()),
            Err(e) => {
                let f = Failure::from_serde(&e, at(1, 1));
                Err(format!("{:?} {} at {:?}", f.kind, f.detail, f.at))
            }
        }
    }

    #[test]
    fn errors_after_a_split_list_keep_the_input_line_and_column() {
        // serde_json, which did not see the list, still places the error exactly.
        for text in [
            "{\"list\": [\n{\"a\": 1},\n  {\"b\": 2}\n  ], \"c\": x}",
            "{\"list\": [{\"a\": 1}, {\"b\": 2}], \"c\": x}",
            "{\"list\": [\n\n], \"c\": x}",
            "{\"list\": [{\"a\":\n1}]\n\n}\n\n,",
        ] {
            for chunked in [false, true] {
                let (elements, ended) = split(text, chunked);
                assert!(ended.is_err(), "{text}");
                assert_eq!(ended, direct(text), "{text}");
                assert!(elements.len() <= 2);
            }
        }
    }

    #[test]
    fn broken_lists_fail_where_serde_json_would() {
        for text in [
            "{\"list\": [1,]}",
            "{\"list\": [1 2]}",
            "{\"list\": [,]}",
            "{\"list\": [}",
            "{\"list\": [{\"a\": [}]}",
            "{\"list\": [{\"a\": [}",
            "{\"list\": [{\"a\": 1}",
            "{\"list\": [{\"a\": 1}\n",
            "{\"list\": [{\"a\": \"x",
            "{\"list\": [{\"a\": \"x\\",
            "{\"list\": [\n  {\"a\":\n  1",
            "{\"list\": [",
            "{\"list\": [1",
        ] {
            for chunked in [false, true] {
                let (_, ended) = split(text, chunked);
                assert!(ended.is_err(), "{text}");
                assert_eq!(ended, direct(text), "{text:?}");
            }
        }
    }

    #[test]
    fn positions_within_an_element() {
        let start = at(3, 10);
        assert_eq!(start.within(at(1, 1)), at(3, 10));
        assert_eq!(start.within(at(1, 5)), at(3, 14));
        assert_eq!(start.within(at(2, 5)), at(4, 5));
    }
}
