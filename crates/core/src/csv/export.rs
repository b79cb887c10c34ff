//! Writes the user list as a CSV file that Excel opens correctly and cannot be tricked by.
//!
//! The file is for audits and for re-import: UTF-8 with a BOM (so Excel shows accented
//! characters), a header row, CRLF line ends and RFC 4180 quoting. Any cell that begins with a
//! character a spreadsheet reads as the start of a formula (`=`, `+`, `-`, `@`, tab, CR) is
//! prefixed with `'`, per the OWASP CSV-injection guidance; the importer removes that prefix
//! from emails again. Rows are formatted by hand into one reused buffer: an export of a million
//! users should take a couple of seconds, not allocate a few strings per cell.

use std::io::{self, BufWriter, Write};

use super::LineIssue;
use crate::{Phone, Role, Timestamp, Usd};

/// The header row of every export, in column order.
pub const EXPORT_HEADER: [&str; 9] = [
    "email",
    "country_code",
    "phone",
    "role",
    "licensed",
    "budget_usd",
    "usage_usd",
    "created_at",
    "updated_at",
];

/// The UTF-8 byte-order mark written first, so Excel reads the file as UTF-8.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// One user as exported.
#[derive(Debug, Clone, Copy)]
pub struct ExportRecord<'a> {
    pub email: &'a str,
    pub phone: Option<&'a Phone>,
    pub role: Role,
    pub licensed: bool,
    /// `None`: no limit (an empty cell).
    pub budget: Option<Usd>,
    pub usage: Usd,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Writes an export: BOM and header on creation, then one CRLF-terminated row per user.
pub struct ExportWriter<W: Write> {
    out: BufWriter<W>,
    line: Vec<u8>,
}

impl<W: Write> ExportWriter<W> {
    /// Writes the BOM and the header row.
    pub fn new(w: W) -> io::Result<Self> {
        let mut out = BufWriter::with_capacity(64 * 1024, w);
        out.write_all(UTF8_BOM)?;
        let mut line = Vec::with_capacity(256);
        for (i, cell) in EXPORT_HEADER.iter().enumerate() {
            if i > 0 {
                line.push(b',');
            }
            line.extend_from_slice(cell.as_bytes());
        }
        line.extend_from_slice(b"\r\n");
        out.write_all(&line)?;
        Ok(ExportWriter { out, line })
    }

    /// Writes one user.
    pub fn write(&mut self, r: &ExportRecord<'_>) -> io::Result<()> {
        let line = &mut self.line;
        line.clear();
        push_cell(line, r.email.as_bytes());
        line.push(b',');
        if let Some(phone) = r.phone {
            push_u64(line, u64::from(phone.country_code()));
        }
        line.push(b',');
        if let Some(phone) = r.phone {
            push_cell(line, phone.national().as_bytes());
        }
        line.push(b',');
        line.extend_from_slice(r.role.as_str().as_bytes());
        line.push(b',');
        line.extend_from_slice(if r.licensed { b"yes" } else { b"no" });
        line.push(b',');
        if let Some(budget) = r.budget {
            push_usd(line, budget);
        }
        line.push(b',');
        push_usd(line, r.usage);
        line.push(b',');
        push_timestamp(line, r.created_at);
        line.push(b',');
        push_timestamp(line, r.updated_at);
        line.extend_from_slice(b"\r\n");
        self.out.write_all(line)
    }

    /// Flushes everything written and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        self.out
            .into_inner()
            .map_err(io::IntoInnerError::into_error)
    }
}

/// The header row of an audit log export, in column order.
pub const AUDIT_HEADER: [&str; 6] = ["time", "actor", "action", "target", "before", "after"];

/// One audit entry as exported: its time (ISO 8601, UTC), who acted, the action's code, what
/// it was done to, and the state before and after as compact JSON (empty when none).
#[derive(Debug, Clone, Copy)]
pub struct AuditRecord<'a> {
    pub at: Timestamp,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

/// Writes an audit log export with the users export's rules (BOM, header, CRLF, RFC 4180
/// quoting, formula-looking cells neutralised): actors, targets and names are typed by people,
/// so a group named `=HYPERLINK(…)` stays text in Excel.
pub struct AuditWriter<W: Write> {
    out: BufWriter<W>,
    line: Vec<u8>,
}

impl<W: Write> AuditWriter<W> {
    /// Writes the BOM and the header row.
    pub fn new(w: W) -> io::Result<Self> {
        let mut out = BufWriter::with_capacity(64 * 1024, w);
        out.write_all(UTF8_BOM)?;
        out.write_all(AUDIT_HEADER.join(",").as_bytes())?;
        out.write_all(b"\r\n")?;
        Ok(AuditWriter {
            out,
            line: Vec::with_capacity(256),
        })
    }

    /// Writes one entry.
    pub fn write(&mut self, r: &AuditRecord<'_>) -> io::Result<()> {
        let line = &mut self.line;
        line.clear();
        push_timestamp(line, r.at);
        for cell in [
            Some(r.actor),
            Some(r.action),
            Some(r.target),
            r.before,
            r.after,
        ] {
            line.push(b',');
            if let Some(cell) = cell {
                push_cell(line, cell.as_bytes());
            }
        }
        line.extend_from_slice(b"\r\n");
        self.out.write_all(line)
    }

    /// Flushes everything written and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        self.out
            .into_inner()
            .map_err(io::IntoInnerError::into_error)
    }
}

/// Writes one CSV row of arbitrary cells with the export's rules (neutralised, RFC 4180 quoted,
/// CRLF), e.g. for a report of rejected import lines. Write [`UTF8_BOM`] first for Excel.
pub fn write_row<W: Write>(w: &mut W, cells: &[&str]) -> io::Result<()> {
    let mut line = Vec::with_capacity(128);
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        push_cell(&mut line, cell.as_bytes());
    }
    line.extend_from_slice(b"\r\n");
    w.write_all(&line)
}

/// Writes the rejected lines of an import as a file the user can fix in Excel and import again:
/// UTF-8 with BOM, no header (like an import file), CRLF. Each row holds the line's email,
/// country code and phone — split back from [`LineIssue::value`] — then, in a fourth column the
/// importer ignores, `line 12: <reason>`.
pub fn write_rejected<W: Write>(w: &mut W, issues: &[LineIssue]) -> io::Result<()> {
    w.write_all(UTF8_BOM)?;
    for issue in issues {
        let mut fields = split_value(&issue.value);
        let email = fields.next().unwrap_or_default();
        let country = fields.next().unwrap_or_default();
        let phone = fields.next().unwrap_or_default();
        let note = format!("line {}: {}", issue.line, issue.reason);
        write_row(w, &[email, country, phone, &note])?;
    }
    Ok(())
}

/// Splits a [`LineIssue::value`] (fields joined with the file's delimiter) on the delimiter it
/// uses most.
fn split_value(value: &str) -> impl Iterator<Item = &str> {
    let delimiter = [',', ';', '\t']
        .into_iter()
        .filter(|&d| value.contains(d))
        .max_by_key(|&d| value.matches(d).count());
    let mut rest = Some(value);
    std::iter::from_fn(move || {
        let current = rest?;
        match delimiter.and_then(|d| current.split_once(d)) {
            Some((field, tail)) => {
                rest = Some(tail);
                Some(field.trim())
            }
            None => {
                rest = None;
                Some(current.trim())
            }
        }
    })
}

/// True for a cell a spreadsheet would read as a formula.
fn needs_neutralising(cell: &[u8]) -> bool {
    matches!(
        cell.first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// Appends `cell`, prefixed with `'` when it starts like a formula and quoted when it holds a
/// comma, quote or line break.
fn push_cell(line: &mut Vec<u8>, cell: &[u8]) {
    let quote = cell
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if quote {
        line.push(b'"');
    }
    if needs_neutralising(cell) {
        line.push(b'\'');
    }
    if quote {
        for &b in cell {
            if b == b'"' {
                line.push(b'"');
            }
            line.push(b);
        }
        line.push(b'"');
    } else {
        line.extend_from_slice(cell);
    }
}

fn push_u64(line: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    line.extend_from_slice(&digits[start..]);
}

/// `n` in exactly `width` digits (zero-padded; `n` must fit).
fn push_padded(line: &mut Vec<u8>, n: u32, width: usize) {
    let mut digits = [b'0'; 4];
    let mut n = n;
    for d in digits[..width].iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    line.extend_from_slice(&digits[..width]);
}

/// [`Usd::decimal`] without allocating; a negative amount starts with `-`, so it is neutralised.
fn push_usd(line: &mut Vec<u8>, usd: Usd) {
    if usd.0 < 0 {
        line.extend_from_slice(b"'-");
    }
    let abs = usd.0.unsigned_abs();
    let micros = Usd::MICROS as u64;
    push_u64(line, abs / micros);
    line.push(b'.');
    let mut frac = abs % micros;
    let mut digits = [b'0'; 6];
    for d in digits.iter_mut().rev() {
        *d = b'0' + (frac % 10) as u8;
        frac /= 10;
    }
    let mut len = digits.len();
    while len > 2 && digits[len - 1] == b'0' {
        len -= 1;
    }
    line.extend_from_slice(&digits[..len]);
}

/// [`Timestamp::rfc3339`] without allocating, for the years 0000–9999 (always, in practice).
fn push_timestamp(line: &mut Vec<u8>, t: Timestamp) {
    use chrono::{Datelike, Timelike};
    if let Some(dt) = chrono::DateTime::from_timestamp_millis(t.0) {
        if let Ok(year @ 0..=9999) = u32::try_from(dt.year()) {
            push_padded(line, year, 4);
            line.push(b'-');
            push_padded(line, dt.month(), 2);
            line.push(b'-');
            push_padded(line, dt.day(), 2);
            line.push(b'T');
            push_padded(line, dt.hour(), 2);
            line.push(b':');
            push_padded(line, dt.minute(), 2);
            line.push(b':');
            push_padded(line, dt.second(), 2);
            line.push(b'.');
            push_padded(line, dt.timestamp_subsec_millis(), 3);
            line.push(b'Z');
            return;
        }
    }
    push_cell(line, t.rfc3339().as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(u: Usd) -> String {
        let mut v = Vec::new();
        push_usd(&mut v, u);
        String::from_utf8_lossy(&v).into_owned()
    }

    fn ts(t: Timestamp) -> String {
        let mut v = Vec::new();
        push_timestamp(&mut v, t);
        String::from_utf8_lossy(&v).into_owned()
    }

    #[test]
    fn audit_rows_are_neutralised_and_quoted() -> io::Result<()> {
        let mut w = AuditWriter::new(Vec::new())?;
        w.write(&AuditRecord {
            at: Timestamp(1_796_047_451_007),
            actor: "owner@acme.com",
            action: "group.create",
            target: "=HYPERLINK(\"x\")",
            before: None,
            after: Some(r#"{"name":"=HYPERLINK(\"x\")"}"#),
        })?;
        let bytes = w.finish()?;
        assert_eq!(&bytes[..3], UTF8_BOM);
        let text = String::from_utf8_lossy(&bytes[3..]);
        assert_eq!(
            text.as_ref(),
            "time,actor,action,target,before,after\r\n\
             2026-11-30T14:04:11.007Z,owner@acme.com,group.create,\"'=HYPERLINK(\"\"x\"\")\",,\
             \"{\"\"name\"\":\"\"=HYPERLINK(\\\"\"x\\\"\")\"\"}\"\r\n"
        );
        Ok(())
    }

    #[test]
    fn money_matches_decimal() {
        for micros in [
            0,
            1,
            10,
            123,
            500_000,
            1_000_000,
            12_400_000,
            12_345_678,
            999_999_999_999,
            i64::MAX,
        ] {
            assert_eq!(usd(Usd(micros)), Usd(micros).decimal(), "{micros}");
        }
        assert_eq!(usd(Usd(-1_500_000)), "'-1.50");
        assert_eq!(usd(Usd(i64::MIN)), format!("'{}", Usd(i64::MIN).decimal()));
    }

    #[test]
    fn timestamps_match_rfc3339() {
        for ms in [
            0,
            1,
            999,
            1_796_047_451_000,
            1_796_047_451_007,
            -1,
            -86_400_001,
            253_402_300_799_999,
        ] {
            assert_eq!(ts(Timestamp(ms)), Timestamp(ms).rfc3339(), "{ms}");
        }
        // Outside chrono's range or after year 9999: the library's own text, neutralised if needed.
        assert_eq!(ts(Timestamp(i64::MAX)), Timestamp(i64::MAX).rfc3339());
        assert_eq!(
            ts(Timestamp(i64::MIN)),
            format!("'{}", Timestamp(i64::MIN).rfc3339())
        );
    }
}
