//! The CSV corpus: one test per kind of messy file a user brings, asserting what the user would
//! check afterwards — the emails and phones imported, the line numbers and reasons reported —
//! plus the export's exact bytes and an export → import round trip.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{self, Read};

use omni_core::csv::{
    write_rejected, write_row, CsvError, DetectedFormat, ExportRecord, ExportWriter, ImportReader,
    ImportRecord, LineIssue, EXPORT_HEADER,
};
use omni_core::{ErrorCode, Phone, Role, Timestamp, Usd};

/// Everything the reader yields for `bytes`, and the format it detected.
pub(crate) fn read_all(bytes: &[u8]) -> (DetectedFormat, Vec<ImportRecord>) {
    let reader = ImportReader::new(bytes).unwrap();
    let format = reader.format().clone();
    let records = reader.collect::<Result<Vec<_>, _>>().unwrap();
    (format, records)
}

/// The valid rows as (line, email, phone in E.164).
fn rows(records: &[ImportRecord]) -> Vec<(u64, String, Option<String>)> {
    records
        .iter()
        .filter_map(|r| match r {
            ImportRecord::Row { line, row } => Some((
                *line,
                row.email.to_string(),
                row.phone.as_ref().map(Phone::e164),
            )),
            _ => None,
        })
        .collect()
}

fn invalid(records: &[ImportRecord]) -> Vec<&LineIssue> {
    records
        .iter()
        .filter_map(|r| match r {
            ImportRecord::Invalid(issue) => Some(issue),
            _ => None,
        })
        .collect()
}

fn headers(records: &[ImportRecord]) -> Vec<&LineIssue> {
    records
        .iter()
        .filter_map(|r| match r {
            ImportRecord::HeaderSkipped(issue) => Some(issue),
            _ => None,
        })
        .collect()
}

fn row(line: u64, email: &str, phone: Option<&str>) -> (u64, String, Option<String>) {
    (line, email.to_string(), phone.map(str::to_string))
}

pub(crate) fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

pub(crate) fn utf16be(text: &str, bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xFE, 0xFF] } else { Vec::new() };
    out.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    out
}

const BR: Option<&str> = Some("+5511987654321");

// ---------------------------------------------------------------- encodings

#[test]
fn utf8_with_bom() {
    let (format, records) =
        read_all(b"\xEF\xBB\xBFana@acme.com,55,11987654321\r\nbia@acme.com\r\n");
    assert_eq!(format.encoding, "UTF-8 with BOM");
    assert_eq!(format.delimiter, b',');
    // The BOM is not part of the first email.
    assert_eq!(
        rows(&records),
        vec![row(1, "ana@acme.com", BR), row(2, "bia@acme.com", None)]
    );
}

#[test]
fn utf8_without_bom() {
    let (format, records) = read_all("joão@exemplo.com.br,55,11987654321\n".as_bytes());
    assert_eq!(format.encoding, "UTF-8");
    assert_eq!(rows(&records), vec![row(1, "joão@exemplo.com.br", BR)]);
}

#[test]
fn utf16le_with_bom_as_excel_unicode_text_writes_it() {
    let text = "Ana@Acme.com\t55\t11 98765-4321\r\njoão@exemplo.com.br\t\t\r\n\"zé@exemplo.com.br\"\t55\t\"(11) 98765-4321\"\r\n";
    let (format, records) = read_all(&utf16le(text, true));
    assert_eq!(format.encoding, "UTF-16LE");
    assert_eq!(format.delimiter, b'\t');
    assert_eq!(format.to_string(), "UTF-16LE, tab-separated");
    assert_eq!(
        rows(&records),
        vec![
            row(1, "ana@acme.com", BR),
            row(2, "joão@exemplo.com.br", None),
            row(3, "zé@exemplo.com.br", BR)
        ]
    );
}

#[test]
fn utf16be_with_bom() {
    let (format, records) = read_all(&utf16be(
        "ana@acme.com;55;11987654321\njoão@exemplo.com.br\n",
        true,
    ));
    assert_eq!(format.encoding, "UTF-16BE");
    assert_eq!(format.delimiter, b';');
    assert_eq!(
        rows(&records),
        vec![
            row(1, "ana@acme.com", BR),
            row(2, "joão@exemplo.com.br", None)
        ]
    );
}

#[test]
fn utf16_without_bom_is_recognised_by_its_nul_bytes() {
    let text = "ana@acme.com,55,11987654321\r\njoão@exemplo.com.br\r\n";
    for (bytes, name) in [
        (utf16le(text, false), "UTF-16LE"),
        (utf16be(text, false), "UTF-16BE"),
    ] {
        let (format, records) = read_all(&bytes);
        assert_eq!(format.encoding, name);
        assert_eq!(
            rows(&records),
            vec![
                row(1, "ana@acme.com", BR),
                row(2, "joão@exemplo.com.br", None)
            ]
        );
    }
}

#[test]
fn windows_1252_from_excel_csv_comma_delimited() {
    // "joão" and "zé" in Windows-1252: ã = 0xE3, é = 0xE9.
    let bytes = b"jo\xE3o@exemplo.com.br;55;11987654321\r\nz\xE9@exemplo.com.br\r\n";
    let (format, records) = read_all(bytes);
    assert_eq!(format.encoding, "Windows-1252");
    assert_eq!(format.delimiter, b';');
    assert_eq!(
        rows(&records),
        vec![
            row(1, "joão@exemplo.com.br", BR),
            row(2, "zé@exemplo.com.br", None)
        ]
    );
}

#[test]
fn windows_1252_whose_first_accent_comes_after_the_sniffed_prefix() {
    // 70 KiB of plain ASCII (the same in UTF-8 and Windows-1252), then "joão" in Windows-1252.
    let mut bytes = Vec::new();
    let mut lines = 0u64;
    while bytes.len() < 70 * 1024 {
        bytes.extend_from_slice(b"someone@acme.com;55;11987654321\r\n");
        lines += 1;
    }
    bytes.extend_from_slice(b"jo\xE3o@exemplo.com.br;55;11987654321\r\n");
    let mut reader = ImportReader::new(&bytes[..]).unwrap();
    assert_eq!(reader.format().encoding, "UTF-8");
    let records = reader.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    assert_eq!(reader.format().encoding, "Windows-1252");
    assert!(invalid(&records).is_empty());
    assert_eq!(
        rows(&records).last(),
        Some(&row(lines + 1, "joão@exemplo.com.br", BR))
    );
}

#[test]
fn utf8_whose_first_accent_comes_after_the_sniffed_prefix() {
    let mut bytes = Vec::new();
    let mut lines = 0u64;
    while bytes.len() < 70 * 1024 {
        bytes.extend_from_slice(b"someone@acme.com\n");
        lines += 1;
    }
    bytes.extend_from_slice("joão@exemplo.com.br\n".as_bytes());
    let mut reader = ImportReader::new(&bytes[..]).unwrap();
    let records = reader.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    assert_eq!(reader.format().encoding, "UTF-8");
    assert_eq!(
        rows(&records).last(),
        Some(&row(lines + 1, "joão@exemplo.com.br", None))
    );
}

#[test]
fn bytes_invalid_in_the_detected_encoding_are_reported_on_their_line() {
    // UTF-8 with an accent in the first 64 KiB (so the file is UTF-8), then a Latin-1 "ã".
    let mut bytes = "josé@acme.com\n".as_bytes().to_vec();
    let mut lines = 1u64;
    while bytes.len() < 70 * 1024 {
        bytes.extend_from_slice(b"someone@acme.com\n");
        lines += 1;
    }
    bytes.extend_from_slice(b"jo\xE3o@exemplo.com.br\nlast@acme.com\n");
    let (format, records) = read_all(&bytes);
    assert_eq!(format.encoding, "UTF-8");
    let bad = invalid(&records);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].line, lines + 1);
    assert_eq!(bad[0].value, "jo\u{FFFD}o@exemplo.com.br");
    assert!(
        bad[0].reason.contains("not valid UTF-8"),
        "{}",
        bad[0].reason
    );
    assert!(bad[0].reason.contains("CSV UTF-8"), "{}", bad[0].reason);
    assert_eq!(
        rows(&records).last(),
        Some(&row(lines + 2, "last@acme.com", None))
    );
}

// ---------------------------------------------------------------- delimiters and line ends

#[test]
fn semicolon_separator() {
    let (format, records) = read_all(b"ana@acme.com;55;11987654321\nbia@acme.com;;\n");
    assert_eq!(format.delimiter, b';');
    assert_eq!(
        rows(&records),
        vec![row(1, "ana@acme.com", BR), row(2, "bia@acme.com", None)]
    );
}

#[test]
fn semicolon_separator_with_commas_inside_quotes() {
    let (format, records) = read_all(b"\"ana@acme.com\";55;11987654321;\"Silva, Ana\"\n");
    assert_eq!(format.delimiter, b';');
    assert_eq!(rows(&records), vec![row(1, "ana@acme.com", BR)]);
}

#[test]
fn tab_separator() {
    let (format, records) = read_all(b"ana@acme.com\t55\t11987654321\nbia@acme.com\t\t\n");
    assert_eq!(format.delimiter, b'\t');
    assert_eq!(
        rows(&records),
        vec![row(1, "ana@acme.com", BR), row(2, "bia@acme.com", None)]
    );
}

#[test]
fn one_email_per_line_without_any_separator() {
    let (format, records) = read_all(b"ana@acme.com\nbia@acme.com");
    assert_eq!(format.delimiter, b',');
    assert_eq!(
        rows(&records),
        vec![row(1, "ana@acme.com", None), row(2, "bia@acme.com", None)]
    );
}

#[test]
fn crlf_lf_and_cr_line_ends_give_the_same_rows_and_lines() {
    for eol in ["\r\n", "\n", "\r"] {
        let text = [
            "ana@acme.com,55,11987654321",
            "",
            "bia@acme.com",
            "",
            "",
            "ana@",
        ]
        .join(eol)
            + eol;
        let (_, records) = read_all(text.as_bytes());
        assert_eq!(
            rows(&records),
            vec![row(1, "ana@acme.com", BR), row(3, "bia@acme.com", None)],
            "{eol:?}"
        );
        assert_eq!(invalid(&records)[0].line, 6, "{eol:?}");
    }
}

#[test]
fn mixed_line_ends_in_one_file() {
    let (_, records) =
        read_all(b"a@acme.com\r\nb@acme.com\rc@acme.com\n\rd@acme.com\r\n\r\ne@acme.com");
    let lines: Vec<u64> = rows(&records).iter().map(|r| r.0).collect();
    // \n then \r is two line breaks (an LF line end, then a CR one); \r\n is one.
    assert_eq!(lines, vec![1, 2, 3, 5, 7]);
}

#[test]
fn no_line_end_after_the_last_line() {
    let (_, records) = read_all(b"ana@acme.com,55,11987654321");
    assert_eq!(rows(&records), vec![row(1, "ana@acme.com", BR)]);
}

// ---------------------------------------------------------------- quotes

#[test]
fn quoted_fields_with_delimiter_quote_and_newline_keep_line_numbers_right() {
    let text = "\"ana@acme.com\",\"55\",\"(11) 98765-4321\",\"Silva, Ana \"\"the boss\"\"\nsecond line\r\nthird\"\n\
                bia@acme.com\n\
                \n\
                \"cid@acme.com\"\r\n\
                \"da\"\"vi@acme.com\"\n\
                \"ed,u@acme.com\"\n";
    let (_, records) = read_all(text.as_bytes());
    assert_eq!(
        rows(&records),
        vec![
            row(1, "ana@acme.com", BR),
            row(4, "bia@acme.com", None),
            row(6, "cid@acme.com", None)
        ]
    );
    let bad = invalid(&records);
    assert_eq!(bad.iter().map(|i| i.line).collect::<Vec<_>>(), vec![7, 8]);
    assert_eq!(bad[0].reason, "invalid email \"da\"vi@acme.com\": the email contains '\"', which is not allowed before the @");
    assert_eq!(bad[1].reason, "invalid email \"ed,u@acme.com\": the email contains ',', which is not allowed before the @");
}

#[test]
fn quoted_newlines_in_a_cr_only_file() {
    let (_, records) =
        read_all(b"ana@acme.com,55,11987654321,\"a\rb\r\rc\"\rbia@acme.com\r\rcid@acme.com");
    assert_eq!(
        rows(&records),
        vec![
            row(1, "ana@acme.com", BR),
            row(5, "bia@acme.com", None),
            row(7, "cid@acme.com", None)
        ]
    );
}

#[test]
fn an_unclosed_quote_is_reported_where_it_opens() {
    let (_, records) =
        read_all(b"ana@acme.com\n\"bia@acme.com,55,11987654321\ncid@acme.com\ndavi@acme.com\n");
    assert_eq!(rows(&records), vec![row(1, "ana@acme.com", None)]);
    let bad = invalid(&records);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].line, 2);
    assert!(
        bad[0].reason.contains("opened on line 2 is never closed"),
        "{}",
        bad[0].reason
    );
    assert!(
        bad[0]
            .value
            .starts_with("bia@acme.com,55,11987654321\ncid@acme.com"),
        "{}",
        bad[0].value
    );
}

#[test]
fn text_around_quotes_is_read_leniently() {
    // Spaces before an opening quote, spaces after a closing one, a quote in an unquoted field.
    let (_, records) = read_all(b"  \"ana@acme.com\"  ,  \"55\" , 11987654321\nbia\"@acme.com\n");
    assert_eq!(rows(&records), vec![row(1, "ana@acme.com", BR)]);
    assert_eq!(invalid(&records)[0].value, "bia\"@acme.com");
}

// ---------------------------------------------------------------- spaces and blank lines

#[test]
fn stray_spaces_around_values_are_trimmed() {
    let (_, records) = read_all(b"   ana@acme.com  ,  55 ,  11 98765 4321   \n\tbia@acme.com\t\n");
    assert_eq!(
        rows(&records),
        vec![row(1, "ana@acme.com", BR), row(2, "bia@acme.com", None)]
    );
}

#[test]
fn non_breaking_and_zero_width_spaces_are_trimmed() {
    let (_, records) =
        read_all("\u{a0}ana@acme.com\u{200b},\u{a0}55\u{a0},11987654321\n".as_bytes());
    assert_eq!(rows(&records), vec![row(1, "ana@acme.com", BR)]);
}

#[test]
fn blank_lines_are_skipped_and_still_counted() {
    let text = b"\n\nana@acme.com\n   \n,,\n , ,\n\"\"\n\t\nbia@acme.com\n\n\n";
    let (_, records) = read_all(text);
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(
        rows(&records),
        vec![row(3, "ana@acme.com", None), row(9, "bia@acme.com", None)]
    );
}

#[test]
fn an_empty_file_or_only_blank_lines_yield_nothing() {
    for bytes in [
        &b""[..],
        b"\n\r\n\r",
        b"\xEF\xBB\xBF",
        b"\xFF\xFE",
        b" , ;\n",
    ] {
        let (_, records) = read_all(bytes);
        // " , ;" has a ';' as a value (comma-separated), which is not blank.
        if bytes == b" , ;\n" {
            assert_eq!(records.len(), 1);
        } else {
            assert!(records.is_empty(), "{bytes:?}: {records:?}");
        }
    }
}

// ---------------------------------------------------------------- header rows

#[test]
fn a_header_added_anyway_is_skipped_with_a_warning() {
    let (format, records) =
        read_all(b"E-mail;Country code;Phone\r\nana@acme.com;55;11987654321\r\n");
    assert_eq!(format.delimiter, b';');
    let h = headers(&records);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].line, 1);
    assert_eq!(h[0].value, "E-mail;Country code;Phone");
    assert!(h[0].reason.contains("header"), "{}", h[0].reason);
    assert!(
        h[0].reason.contains("should have no header"),
        "{}",
        h[0].reason
    );
    assert_eq!(rows(&records), vec![row(2, "ana@acme.com", BR)]);
    assert!(invalid(&records).is_empty());
}

#[test]
fn header_words_in_several_languages() {
    for header in [
        "email",
        "Email Address,Phone",
        "EMAIL,COUNTRY CODE,PHONE",
        "e-mail,código do país,telefone",
        "Usuário,DDI,Telefone",
        "correo electrónico;código;teléfono",
        "Login",
        "mail",
        "\"E-mail\",\"Código do país\",\"Telefone\"",
    ] {
        let text = format!("{header}\nana@acme.com\n");
        let (_, records) = read_all(text.as_bytes());
        assert_eq!(headers(&records).len(), 1, "{header}");
        assert_eq!(
            rows(&records),
            vec![row(2, "ana@acme.com", None)],
            "{header}"
        );
    }
}

#[test]
fn our_own_export_header_is_recognised() {
    let line = EXPORT_HEADER.join(",");
    let text = format!(
        "\u{FEFF}{line}\r\nana@acme.com,55,11987654321,user,no,,0.00,2026-01-01T00:00:00.000Z\r\n"
    );
    let (_, records) = read_all(text.as_bytes());
    assert_eq!(headers(&records).len(), 1);
    assert_eq!(rows(&records), vec![row(2, "ana@acme.com", BR)]);
}

#[test]
fn a_header_after_blank_lines_is_still_the_first_line() {
    let (_, records) = read_all(b"\n\nEmail\nana@acme.com\n");
    assert_eq!(headers(&records)[0].line, 3);
    assert_eq!(rows(&records), vec![row(4, "ana@acme.com", None)]);
}

#[test]
fn a_first_line_that_is_neither_email_nor_header_is_invalid() {
    let (_, records) = read_all(b"Ana Silva,55,11987654321\nemail\nbia@acme.com\n");
    assert!(headers(&records).is_empty());
    let bad = invalid(&records);
    assert_eq!(bad.len(), 2);
    assert_eq!(bad[0].line, 1);
    assert_eq!(
        bad[0].reason,
        "invalid email \"Ana Silva\": the email has no @"
    );
    // A header-like line that is not the first one is just an invalid email.
    assert_eq!(bad[1].line, 2);
    assert_eq!(rows(&records), vec![row(3, "bia@acme.com", None)]);
}

// ---------------------------------------------------------------- values

#[test]
fn upper_case_emails_are_normalised() {
    let (_, records) = read_all(b"ANA@ACME.COM\nBia.Souza@Acme.Com.BR\n");
    assert_eq!(
        rows(&records),
        vec![
            row(1, "ana@acme.com", None),
            row(2, "bia.souza@acme.com.br", None)
        ]
    );
}

#[test]
fn phones_with_spaces_dashes_parentheses_or_a_plus() {
    let text = "a@acme.com,55,11 98765 4321\n\
                b@acme.com,55,11-98765-4321\n\
                c@acme.com,55,(11) 98765-4321\n\
                d@acme.com,55,+55 11 98765-4321\n\
                e@acme.com,,+55 (11) 98765-4321\n\
                f@acme.com,+55,011 98765-4321\n\
                g@acme.com,44,07911 123456\n";
    let (_, records) = read_all(text.as_bytes());
    let got = rows(&records);
    assert_eq!(got.len(), 7, "{records:?}");
    for r in &got[..6] {
        assert_eq!(r.2.as_deref(), BR, "{r:?}");
    }
    assert_eq!(got[6].2.as_deref(), Some("+447911123456"));
}

#[test]
fn a_phone_without_country_code_is_invalid_unless_it_starts_with_plus() {
    let (_, records) = read_all(b"ana@acme.com,,11987654321\nbia@acme.com,,+5511987654321\n");
    assert_eq!(rows(&records), vec![row(2, "bia@acme.com", BR)]);
    let bad = invalid(&records);
    assert_eq!(bad[0].line, 1);
    assert_eq!(bad[0].value, "ana@acme.com,,11987654321");
    assert!(
        bad[0]
            .reason
            .starts_with("phone \"11987654321\" has no country code"),
        "{}",
        bad[0].reason
    );
    assert!(bad[0].reason.contains("second column"), "{}", bad[0].reason);
}

#[test]
fn a_country_code_without_phone_is_ignored() {
    let (_, records) = read_all(b"ana@acme.com,55,\nbia@acme.com,55\ncid@acme.com,xyz, \n");
    assert_eq!(
        rows(&records),
        vec![
            row(1, "ana@acme.com", None),
            row(2, "bia@acme.com", None),
            row(3, "cid@acme.com", None)
        ]
    );
}

#[test]
fn a_line_written_with_another_delimiter_is_read_with_it() {
    let text = "ana@acme.com,55,11987654321\n\
                bad-email\n\
                eva@acme.com,,\n\
                ana@acme.com\n\
                bruno@acme.com;x\n\
                cid@acme.com;55;(11) 98765-4321\n\
                davi@acme.com\t55\t11987654321\n\
                \"ed;u@acme.com\"\n";
    let (format, records) = read_all(text.as_bytes());
    assert_eq!(format.delimiter, b',');
    assert_eq!(
        rows(&records),
        vec![
            row(1, "ana@acme.com", BR),
            // Duplicates are left to the store.
            row(3, "eva@acme.com", None),
            row(4, "ana@acme.com", None),
            // "x" is a country code without a phone: ignored.
            row(5, "bruno@acme.com", None),
            row(6, "cid@acme.com", BR),
            row(7, "davi@acme.com", BR),
        ]
    );
    let bad = invalid(&records);
    assert_eq!(bad.len(), 2);
    assert_eq!(bad[0].line, 2);
    // Splitting "ed;u@acme.com" gives no email, so the reason is about the whole value.
    assert_eq!(
        bad[1].reason,
        "invalid email \"ed;u@acme.com\": the email contains ';', which is not allowed before the @"
    );
}

#[test]
fn extra_columns_are_ignored() {
    let (_, records) =
        read_all(b"ana@acme.com,55,11987654321,Ana Silva,Sales,=cmd|' /C calc'!A0\n");
    assert_eq!(rows(&records), vec![row(1, "ana@acme.com", BR)]);
}

#[test]
fn invalid_rows_say_what_is_wrong() {
    let text = "ana@\n\
                ,55,11987654321\n\
                bia@acme.com,55,123\n\
                cid@acme.com,999,123456\n\
                davi@acme.com,55,11-CALL-ME\n\
                edu@acme.com,1,+55 11 98765-4321\n\
                ana smith@acme.com\n\
                ok@acme.com\n";
    let (_, records) = read_all(text.as_bytes());
    assert_eq!(rows(&records), vec![row(8, "ok@acme.com", None)]);
    let bad: Vec<(u64, &str, &str)> = invalid(&records)
        .iter()
        .map(|i| (i.line, i.value.as_str(), i.reason.as_str()))
        .collect();
    assert_eq!(
        bad[0],
        (
            1,
            "ana@",
            "invalid email \"ana@\": the email has no domain after the @"
        )
    );
    assert_eq!(
        bad[1],
        (
            2,
            ",55,11987654321",
            "the email is missing: the first column of each line must be the user's email"
        )
    );
    assert_eq!(bad[2].0, 3);
    assert!(
        bad[2]
            .2
            .starts_with("invalid phone \"123\" for country code 55: "),
        "{}",
        bad[2].2
    );
    assert_eq!(bad[3].0, 4);
    assert!(
        bad[3]
            .2
            .contains("+999 is not an assigned country calling code"),
        "{}",
        bad[3].2
    );
    assert_eq!(bad[4].0, 5);
    assert!(bad[4].2.contains("digits only"), "{}", bad[4].2);
    assert_eq!(bad[5].0, 6);
    assert!(
        bad[5].2.contains("the country code column says 1"),
        "{}",
        bad[5].2
    );
    assert_eq!(bad[6], (7, "ana smith@acme.com", "invalid email \"ana smith@acme.com\": the email contains ' ', which is not allowed before the @"));
    assert_eq!(bad.len(), 7);
}

#[test]
fn the_shown_value_is_the_line_cut_to_about_200_characters() {
    let long = format!("{}@acme.com", "x".repeat(300));
    let (_, records) = read_all(format!("{long};55;123\n").as_bytes());
    let bad = invalid(&records);
    assert_eq!(bad[0].value.chars().count(), 200);
    assert!(bad[0].value.ends_with('…'));
    assert!(
        bad[0].reason.contains("longer than 254"),
        "{}",
        bad[0].reason
    );
    assert!(bad[0].reason.len() < 300, "{}", bad[0].reason);
}

#[test]
fn an_overlong_line_is_rejected_without_holding_it_in_memory() {
    let mut text = b"ana@acme.com,55,11987654321\n".to_vec();
    text.extend(std::iter::repeat_n(b'x', 200 * 1024));
    text.extend_from_slice(b"@acme.com\nbia@acme.com\n");
    // Extra columns may be long: they are ignored, whatever their length.
    text.extend_from_slice(b"cid@acme.com,55,11987654321,");
    text.extend(std::iter::repeat_n(b'y', 200 * 1024));
    text.extend_from_slice(b"\ndavi@acme.com\n");
    let (_, records) = read_all(&text);
    assert_eq!(
        rows(&records),
        vec![
            row(1, "ana@acme.com", BR),
            row(3, "bia@acme.com", None),
            row(4, "cid@acme.com", BR),
            row(5, "davi@acme.com", None)
        ]
    );
    let bad = invalid(&records);
    assert_eq!(bad[0].line, 2);
    assert!(
        bad[0].reason.contains("longer than 64 KiB"),
        "{}",
        bad[0].reason
    );
    assert_eq!(bad[0].value.chars().count(), 200);
    assert!(bad[0].value.starts_with("xxxx"));
    assert_eq!(bad.len(), 1);
}

#[test]
fn exported_neutralised_emails_come_back_unchanged() {
    let (_, records) = read_all(b"'=1+2@acme.com\n'-x@acme.com\n'+sum@acme.com\n'ana@acme.com\n");
    assert_eq!(
        rows(&records),
        vec![
            row(1, "=1+2@acme.com", None),
            row(2, "-x@acme.com", None),
            row(3, "+sum@acme.com", None),
            // A ' that neutralises nothing is part of the email.
            row(4, "'ana@acme.com", None),
        ]
    );
}

#[test]
fn a_quote_typed_before_a_phone_in_a_spreadsheet_is_ignored() {
    let (_, records) = read_all(b"ana@acme.com,'+55,'11987654321\nbia@acme.com,,'+5511987654321\n");
    assert_eq!(
        rows(&records),
        vec![row(1, "ana@acme.com", BR), row(2, "bia@acme.com", BR)]
    );
}

// ---------------------------------------------------------------- streaming

/// Generates `lines` rows on the fly, so the test itself holds no file in memory.
struct Generated {
    next: u64,
    lines: u64,
    pending: Vec<u8>,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pending.is_empty() && self.next < self.lines {
            self.next += 1;
            self.pending = format!("user{}@acme.com,55,11987654321\r\n", self.next).into_bytes();
            if self.next % 1000 == 0 {
                self.pending.extend_from_slice(b"\r\n");
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

#[test]
fn a_long_file_streams_with_progress() {
    let lines = 20_000;
    let mut reader = ImportReader::new(Generated {
        next: 0,
        lines,
        pending: Vec::new(),
    })
    .unwrap();
    let mut count = 0u64;
    let mut last_progress = 0;
    let mut last_line = 0;
    while let Some(record) = reader.next() {
        let ImportRecord::Row { line, row } = record.unwrap() else {
            panic!("not a row")
        };
        count += 1;
        assert_eq!(row.email.as_str(), format!("user{count}@acme.com"));
        // One blank line after every 1000th row.
        assert_eq!(line, count + (count - 1) / 1000);
        assert!(line > last_line);
        last_line = line;
        let progress = reader.bytes_read();
        assert!(progress >= last_progress);
        last_progress = progress;
    }
    assert_eq!(count, lines);
    let total: u64 = (1..=lines)
        .map(|i| format!("user{i}@acme.com,55,11987654321\r\n").len() as u64)
        .sum::<u64>()
        + 2 * (lines / 1000);
    assert_eq!(reader.bytes_read(), total);
}

#[test]
fn bytes_read_reaches_the_file_size() {
    for bytes in [
        utf16le("ana@acme.com\r\nbia@acme.com\r\n", true),
        b"\xEF\xBB\xBFana@acme.com".to_vec(),
    ] {
        let mut reader = ImportReader::new(&bytes[..]).unwrap();
        assert!(reader.bytes_read() <= bytes.len() as u64);
        while reader.next().is_some() {}
        assert_eq!(reader.bytes_read(), bytes.len() as u64);
    }
}

/// Gives `ok` bytes, then fails.
struct Failing {
    data: Vec<u8>,
    ok: usize,
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.ok == 0 {
            return Err(io::Error::other("the network share went away"));
        }
        let n = buf.len().min(self.ok).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data.drain(..n);
        self.ok -= n;
        Ok(n)
    }
}

#[test]
fn a_read_failure_is_fatal_names_the_line_and_ends_the_stream() {
    let data: Vec<u8> = (0..10_000)
        .flat_map(|i| format!("u{i}@acme.com\n").into_bytes())
        .collect();
    let ok = 70 * 1024;
    let mut reader = ImportReader::new(Failing { data, ok }).unwrap();
    let mut rows_read = 0;
    let err = loop {
        match reader.next() {
            Some(Ok(_)) => rows_read += 1,
            Some(Err(e)) => break e,
            None => panic!("the failure was not reported"),
        }
    };
    assert!(reader.next().is_none());
    assert!(rows_read > 1000);
    let CsvError::Io {
        line: Some(line), ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*line, rows_read + 1);
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("could not read the CSV file near line {line}: ")),
        "{message}"
    );
    assert!(message.contains("the network share went away"));
    let e: omni_core::Error = err.into();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(e.message.contains("import it again"), "{}", e.message);

    let early = ImportReader::new(Failing {
        data: Vec::new(),
        ok: 0,
    })
    .err()
    .unwrap();
    assert_eq!(
        early.to_string(),
        "could not read the CSV file: the network share went away"
    );
}

// ---------------------------------------------------------------- export

fn ts(ms: i64) -> Timestamp {
    Timestamp(ms)
}

fn record<'a>(email: &'a str, phone: Option<&'a Phone>) -> ExportRecord<'a> {
    ExportRecord {
        email,
        phone,
        role: Role::User,
        licensed: false,
        budget: None,
        usage: Usd(0),
        created_at: ts(1_796_047_451_000),
        updated_at: ts(1_796_047_451_123),
    }
}

fn export(records: &[ExportRecord<'_>]) -> String {
    let mut w = ExportWriter::new(Vec::new()).unwrap();
    for r in records {
        w.write(r).unwrap();
    }
    String::from_utf8(w.finish().unwrap()).unwrap()
}

/// The data lines of an export (BOM and header removed), CRLF kept as the separator.
fn data_lines(csv: &str) -> Vec<&str> {
    let body = csv.split_once("\r\n").unwrap().1;
    body.strip_suffix("\r\n").unwrap().split("\r\n").collect()
}

#[test]
fn export_starts_with_bom_and_header() {
    let bytes = export(&[]).into_bytes();
    assert_eq!(
        bytes,
        b"\xEF\xBB\xBFemail,country_code,phone,role,licensed,budget_usd,usage_usd,created_at,updated_at\r\n"
    );
}

#[test]
fn export_rows_have_every_column_and_crlf() {
    let phone = Phone::parse(Some("55"), "11987654321").unwrap();
    let full = ExportRecord {
        email: "ana@acme.com",
        phone: Some(&phone),
        role: Role::Administrator,
        licensed: true,
        budget: Some(Usd::cents(5000)),
        usage: Usd::cents(1240),
        created_at: ts(1_796_047_451_000),
        updated_at: ts(1_796_047_451_007),
    };
    let csv = export(&[full, record("bia@acme.com", None)]);
    assert!(csv.ends_with("\r\n"));
    assert_eq!(csv.matches('\n').count(), csv.matches("\r\n").count());
    assert_eq!(
        data_lines(&csv),
        vec![
            "ana@acme.com,55,11987654321,administrator,yes,50.00,12.40,2026-11-30T14:04:11.000Z,2026-11-30T14:04:11.007Z",
            "bia@acme.com,,,user,no,,0.00,2026-11-30T14:04:11.000Z,2026-11-30T14:04:11.123Z",
        ]
    );
}

#[test]
fn export_keeps_leading_zeros_of_national_numbers() {
    let phone = Phone::parse(Some("39"), "06 6982 1234").unwrap();
    let csv = export(&[record("it@acme.com", Some(&phone))]);
    assert!(
        data_lines(&csv)[0].starts_with("it@acme.com,39,0669821234,"),
        "{csv}"
    );
}

#[test]
fn export_quotes_per_rfc_4180() {
    let csv = export(&[
        record("a,b\"c@acme.com", None),
        record("line\nbreak@acme.com", None),
    ]);
    let body = csv.split_once("\r\n").unwrap().1;
    assert!(body.starts_with("\"a,b\"\"c@acme.com\",,,user,"), "{body}");
    assert!(
        body.contains("\r\n\"line\nbreak@acme.com\",,,user,"),
        "{body}"
    );
}

#[test]
fn export_neutralises_formula_starters() {
    let cases = [
        ("=1+2@acme.com", "'=1+2@acme.com"),
        ("+sum@acme.com", "'+sum@acme.com"),
        ("-x@acme.com", "'-x@acme.com"),
        ("@x", "'@x"),
        ("\tx@acme.com", "'\tx@acme.com"),
        ("\rx@acme.com", "\"'\rx@acme.com\""),
        (
            "=HYPERLINK(\"http://evil\",\"x\")",
            "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"",
        ),
        ("ana@acme.com", "ana@acme.com"),
        ("a=b@acme.com", "a=b@acme.com"),
    ];
    for (email, cell) in cases {
        let csv = export(&[record(email, None)]);
        let body = csv.split_once("\r\n").unwrap().1;
        assert!(
            body.starts_with(&format!("{cell},")),
            "{email:?} gave {body:?}"
        );
    }
    // Negative amounts start with '-' too.
    let mut r = record("ana@acme.com", None);
    r.usage = Usd(-1_500_000);
    assert!(data_lines(&export(&[r]))[0].contains(",'-1.50,"));
}

#[test]
fn rejected_lines_are_saved_as_a_file_to_fix_and_import_again() {
    let text = "ana@acme.com;55;11987654321\r\n\
                bad-email;55;11987654321\r\n\
                bia@acme.com;55;123\r\n\
                =cmd@;;\r\n";
    let (_, records) = read_all(text.as_bytes());
    let mut issues: Vec<LineIssue> = invalid(&records).into_iter().cloned().collect();
    // The store adds duplicates with just the email as the value.
    issues.push(LineIssue {
        line: 9,
        value: "ana@acme.com".into(),
        reason: "duplicate: ana@acme.com is already on line 1 of this file".into(),
    });
    let mut out = Vec::new();
    write_rejected(&mut out, &issues).unwrap();
    let saved = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = saved
        .strip_prefix('\u{FEFF}')
        .unwrap()
        .split_terminator("\r\n")
        .collect();
    assert_eq!(lines.len(), 4, "{saved}");
    assert_eq!(
        lines[0],
        "bad-email,55,11987654321,\"line 2: invalid email \"\"bad-email\"\": the email has no @\""
    );
    assert!(lines[1].starts_with(
        "bia@acme.com,55,123,\"line 3: invalid phone \"\"123\"\" for country code 55: "
    ));
    assert_eq!(
        lines[2],
        "'=cmd@,,,\"line 4: invalid email \"\"=cmd@\"\": the email has no domain after the @\""
    );
    assert_eq!(
        lines[3],
        "ana@acme.com,,,line 9: duplicate: ana@acme.com is already on line 1 of this file"
    );

    // Imported again as saved, the same values are rejected for the same reasons.
    let (_, again) = read_all(saved.as_bytes());
    let reasons: Vec<&str> = invalid(&again).iter().map(|i| i.reason.as_str()).collect();
    assert_eq!(
        reasons,
        issues[..3]
            .iter()
            .map(|i| i.reason.as_str())
            .collect::<Vec<_>>()
    );
    assert_eq!(rows(&again), vec![row(4, "ana@acme.com", None)]);

    // Once fixed, they import.
    let fixed = saved
        .replace("bad-email", "bad@acme.com")
        .replace(",123,", ",11987654321,")
        .replace("'=cmd@", "'=cmd@acme.com");
    let (_, fixed) = read_all(fixed.as_bytes());
    assert!(invalid(&fixed).is_empty(), "{:?}", invalid(&fixed));
    assert_eq!(
        rows(&fixed),
        vec![
            row(1, "bad@acme.com", BR),
            row(2, "bia@acme.com", BR),
            row(3, "=cmd@acme.com", None),
            row(4, "ana@acme.com", None)
        ]
    );
}

#[test]
fn write_row_applies_the_same_rules() {
    let mut out = Vec::new();
    write_row(&mut out, &["3", "=SUM(A1)", "a,b", "ok"]).unwrap();
    assert_eq!(out, b"3,'=SUM(A1),\"a,b\",ok\r\n");
}

#[test]
fn export_then_import_gives_the_same_emails_and_phones() {
    let phones: Vec<Phone> = [
        ("55", "11987654321"),
        ("1", "2015550123"),
        ("44", "7911123456"),
        ("39", "0669821234"),
        ("800", "12345678"),
    ]
    .iter()
    .map(|(cc, n)| Phone::parse(Some(cc), n).unwrap())
    .collect();
    let mut emails: Vec<String> = (0..100).map(|i| format!("user{i}@acme.com")).collect();
    emails.extend(
        [
            "=1+2@acme.com",
            "+sum@acme.com",
            "-x@acme.com",
            "joão@exemplo.com.br",
            "o'brien@acme.ie",
            "'quoted@acme.com",
        ]
        .map(String::from),
    );
    let records: Vec<ExportRecord<'_>> = emails
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut r = record(
                e,
                if i % 3 == 0 {
                    None
                } else {
                    Some(&phones[i % phones.len()])
                },
            );
            r.budget = (i % 2 == 0).then_some(Usd(i as i64 * 1_234_567));
            r.licensed = i % 5 == 0;
            r
        })
        .collect();
    let csv = export(&records);
    let (format, back) = read_all(csv.as_bytes());
    assert_eq!(format.encoding, "UTF-8 with BOM");
    assert_eq!(format.delimiter, b',');
    assert_eq!(headers(&back).len(), 1);
    assert!(invalid(&back).is_empty(), "{:?}", invalid(&back));
    let expected: Vec<_> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (i as u64 + 2, r.email.to_string(), r.phone.map(Phone::e164)))
        .collect();
    assert_eq!(rows(&back), expected);
}
