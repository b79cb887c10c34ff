//! Property tests for the CSV importer: whatever bytes arrive, the reader never panics and reports
//! sensible line numbers; and files generated with every mess we support (encodings, delimiters,
//! line ends, quotes, spaces, blank lines, headers, extra columns, odd read sizes) give back
//! exactly the users written, on the lines they were written on. Case counts are kept small so
//! the whole test binary stays fast in debug builds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{self, Read};

use omni_core::csv::{ImportReader, ImportRecord};
use proptest::prelude::*;

use crate::csv_corpus::{utf16be, utf16le};

/// A reader that hands out the data in the given read sizes, cycling (like a slow pipe).
struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    turn: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self
            .sizes
            .get(self.turn % self.sizes.len().max(1))
            .copied()
            .unwrap_or(usize::MAX)
            .max(1);
        self.turn += 1;
        let n = size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Reads everything, checking the invariants every input must keep.
fn read_checked(data: &[u8], sizes: Vec<usize>) -> Vec<ImportRecord> {
    let mut reader = ImportReader::new(Chunked {
        data,
        sizes,
        turn: 0,
    })
    .unwrap();
    let mut records = Vec::new();
    let mut last_line = 0;
    let mut last_progress = 0;
    while let Some(item) = reader.next() {
        let record = item.unwrap();
        let line = record.line();
        assert!(line >= 1, "line {line} in {record:?}");
        assert!(line > last_line, "line {line} after line {last_line}");
        last_line = line;
        let progress = reader.bytes_read();
        assert!(progress >= last_progress && progress <= data.len() as u64);
        last_progress = progress;
        if let ImportRecord::Invalid(issue) | ImportRecord::HeaderSkipped(issue) = &record {
            assert!(issue.value.chars().count() <= 200);
            assert!(!issue.reason.is_empty());
        }
        records.push(record);
    }
    assert_eq!(reader.bytes_read(), data.len() as u64);
    records
}

/// Physical lines in ASCII text: `\r\n`, `\r` and `\n` each end one.
fn physical_lines(text: &[u8]) -> u64 {
    let mut lines = 1;
    let mut prev_cr = false;
    for &b in text {
        if b == b'\r' || (b == b'\n' && !prev_cr) {
            lines += 1;
        }
        prev_cr = b == b'\r';
    }
    lines
}

fn read_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        Just(vec![usize::MAX]),
        prop::collection::vec(1usize..8, 1..4)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..1024), sizes in read_sizes()) {
        read_checked(&data, sizes);
    }

    #[test]
    fn csv_like_ascii_reports_lines_inside_the_file(
        data in prop::collection::vec(prop::sample::select(b"a@b.co,;\t\"\r\n '=+5".to_vec()), 0..400),
        sizes in read_sizes(),
    ) {
        let records = read_checked(&data, sizes);
        let lines = physical_lines(&data);
        prop_assert!(records.len() as u64 <= lines);
        for r in &records {
            prop_assert!(r.line() <= lines, "line {} of {}", r.line(), lines);
        }
    }

    #[test]
    fn csv_like_bytes_in_any_encoding_never_panic(
        data in prop::collection::vec(prop::sample::select(b"a@b.,;\t\"\r\n \x00\xC3\xA3\xE9\xFF\xFE\xEF\xBB\xBF".to_vec()), 0..400),
        sizes in read_sizes(),
    ) {
        read_checked(&data, sizes);
    }
}

// ---------------------------------------------------------------- generated valid files

/// Phone cells that must all read as the given E.164 number.
const PHONES: &[(&str, &str, &str)] = &[
    ("55", "11987654321", "+5511987654321"),
    ("55", "(11) 98765-4321", "+5511987654321"),
    ("+55", "11 98765 4321", "+5511987654321"),
    ("55", "+55 11 98765-4321", "+5511987654321"),
    ("", "+55 (11) 98765-4321", "+5511987654321"),
    ("44", "07911 123456", "+447911123456"),
    ("1", "(201) 555-0123", "+12015550123"),
    ("39", "06 6982 1234", "+390669821234"),
];

const DOMAINS: &[&str] = &["acme.com", "exemplo.com.br", "example.org", "café.fr"];
const LOCAL_PREFIXES: &[&str] = &["", "", "", "=", "+", "-", "o'", "joão.", "zé_"];

#[derive(Debug, Clone)]
struct GenRow {
    local: String,
    prefix: &'static str,
    domain: &'static str,
    upper: bool,
    /// Write a formula-starting email as the export does: with a leading `'`.
    neutralise: bool,
    phone: Option<usize>,
    /// Country code but no number (ignored).
    lone_country_code: bool,
    quote: [bool; 3],
    spaces: bool,
    /// An extra column, always quoted, that may hold delimiters, quotes and line breaks.
    note: Option<String>,
    /// Write only the email (no delimiters at all).
    email_only: bool,
    blank_lines_before: usize,
}

impl GenRow {
    fn email_as_written(&self) -> String {
        let e = format!("{}{}@{}", self.prefix, self.local, self.domain);
        if self.upper {
            e.to_uppercase()
        } else {
            e
        }
    }

    fn expected_email(&self) -> String {
        format!("{}{}@{}", self.prefix, self.local, self.domain).to_lowercase()
    }
}

fn gen_row() -> impl Strategy<Value = GenRow> {
    (
        "[a-z0-9]{1,8}",
        prop::sample::select(LOCAL_PREFIXES),
        prop::sample::select(DOMAINS),
        any::<bool>(),
        any::<bool>(),
        prop::option::weighted(0.6, 0..PHONES.len()),
        any::<bool>(),
        any::<[bool; 3]>(),
        any::<bool>(),
        prop::option::weighted(0.3, "[a-z ,;\t\"\r\nãé]{0,12}"),
        prop::bool::weighted(0.2),
        prop::sample::select(&[0usize, 0, 0, 1, 2][..]),
    )
        .prop_map(
            |(
                local,
                prefix,
                domain,
                upper,
                neutralise,
                phone,
                lone_country_code,
                quote,
                spaces,
                note,
                email_only,
                blank,
            )| {
                GenRow {
                    local,
                    prefix,
                    domain,
                    upper,
                    neutralise,
                    phone,
                    lone_country_code,
                    quote,
                    spaces,
                    note,
                    email_only,
                    blank_lines_before: blank,
                }
            },
        )
}

#[derive(Debug, Clone, Copy)]
enum Enc {
    Utf8,
    Utf8Bom,
    Utf16Le(bool),
    Utf16Be(bool),
    Windows1252,
}

fn encode(text: &str, enc: Enc) -> Vec<u8> {
    match enc {
        Enc::Utf8 => text.as_bytes().to_vec(),
        Enc::Utf8Bom => [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat(),
        Enc::Utf16Le(bom) => utf16le(text, bom),
        Enc::Utf16Be(bom) => utf16be(text, bom),
        Enc::Windows1252 => {
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
            assert!(!unmappable);
            bytes.into_owned()
        }
    }
}

fn encodings() -> impl Strategy<Value = Enc> {
    prop_oneof![
        Just(Enc::Utf8),
        Just(Enc::Utf8Bom),
        any::<bool>().prop_map(Enc::Utf16Le),
        any::<bool>().prop_map(Enc::Utf16Be),
        Just(Enc::Windows1252),
    ]
}

/// Writes one cell: quoted (with `""` escapes) or bare, with optional stray spaces around it.
fn cell(out: &mut String, value: &str, quote: bool, spaces: bool) {
    if spaces {
        out.push_str("  ");
    }
    if quote {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
    if spaces {
        out.push(' ');
    }
}

/// What a generated file must import as: (line, email, phone) rows and the header line.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    header: Option<u64>,
    rows: Vec<(u64, String, Option<String>)>,
}

fn build_file(
    rows: &[GenRow],
    delimiter: char,
    eol: &str,
    header: bool,
    filler: usize,
) -> (String, Expected) {
    let mut text = String::new();
    let mut expected = Expected::default();
    let mut line = 1u64;
    let d = delimiter.to_string();
    if header {
        text.push_str(&["Email", "Country code", "Phone"].join(&d));
        text.push_str(eol);
        expected.header = Some(line);
        line += 1;
    }
    // Rows before the generated ones, so some files are longer than the 64 KiB sniffed up front.
    // The first always has delimiters, so the delimiter can be sniffed.
    for i in 0..filler {
        text.push_str(&format!("filler{i}@acme.com{d}{d}{eol}"));
        expected
            .rows
            .push((line, format!("filler{i}@acme.com"), None));
        line += 1;
    }
    for (i, r) in rows.iter().enumerate() {
        for b in 0..r.blank_lines_before {
            match b % 3 {
                0 => {}
                1 => text.push_str("   "),
                _ => text.push_str(&format!("{d} {d}")),
            }
            text.push_str(eol);
            line += 1;
        }
        let mut email = r.email_as_written();
        if r.neutralise && email.starts_with(['=', '+', '-']) {
            email.insert(0, '\'');
        }
        let first_data_row = i == 0 && !header && filler == 0;
        cell(&mut text, &email, r.quote[0], r.spaces);
        if !r.email_only || first_data_row {
            let (cc, number, e164) = match r.phone {
                Some(p) => (PHONES[p].0, PHONES[p].1, Some(PHONES[p].2.to_string())),
                None if r.lone_country_code => ("55", "", None),
                None => ("", "", None),
            };
            text.push(delimiter);
            cell(&mut text, cc, r.quote[1], r.spaces);
            text.push(delimiter);
            cell(&mut text, number, r.quote[2], r.spaces);
            expected.rows.push((line, r.expected_email(), e164));
            if let Some(note) = &r.note {
                text.push(delimiter);
                cell(&mut text, note, true, false);
                line += physical_lines(note.as_bytes()) - 1;
            }
        } else {
            expected.rows.push((line, r.expected_email(), None));
        }
        text.push_str(eol);
        line += 1;
    }
    (text, expected)
}

fn imported(records: &[ImportRecord]) -> Expected {
    let mut got = Expected::default();
    for r in records {
        match r {
            ImportRecord::Row { line, row } => got.rows.push((
                *line,
                row.email.to_string(),
                row.phone.as_ref().map(|p| p.e164()),
            )),
            ImportRecord::HeaderSkipped(issue) => got.header = Some(issue.line),
            ImportRecord::Invalid(issue) => panic!("unexpected invalid line: {issue:?}"),
        }
    }
    got
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn generated_files_give_back_every_row_on_its_line(
        rows in prop::collection::vec(gen_row(), 1..12),
        delimiter in prop::sample::select(&[',', ';', '\t'][..]),
        eol in prop::sample::select(&["\n", "\r\n", "\r"][..]),
        header in any::<bool>(),
        enc in encodings(),
        filler in prop::sample::select(&[0usize, 0, 0, 4000][..]),
        sizes in read_sizes(),
    ) {
        let (text, expected) = build_file(&rows, delimiter, eol, header, filler);
        let bytes = encode(&text, enc);
        let records = read_checked(&bytes, sizes);
        prop_assert_eq!(imported(&records), expected);
    }
}
