//! Reads a user-supplied import file into users to create, one line at a time.
//!
//! The platform's instructions say "email, country code, phone; no header", but files come from
//! Excel in many locales, from other tools and from hand editing. This module turns each record
//! the tokenizer yields into either a valid row or a specific reason it is not one, with the
//! physical line number the user will find in a text editor, and never stops at a bad line: only
//! an I/O failure ends the import early. Matching against existing users, duplicate detection and
//! permissions belong to the store and the policy, not here.

use std::fmt;
use std::io::Read;

use serde::Serialize;

use super::decode::{read_prefix, sniff_encoding, Utf8Source, SNIFF_BYTES};
use super::tokenize::{sniff_delimiter, RawRecord, Tokenizer, MAX_RECORD_BYTES};
use crate::{Email, Phone};

/// A fatal problem reading the file; problems with single lines are [`ImportRecord::Invalid`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// The file could not be read (disk, network or permission failure).
    #[error("could not read the CSV file{}: {source}", near_line(*.line))]
    Io {
        /// The physical line being read when it failed, when known.
        line: Option<u64>,
        #[source]
        source: std::io::Error,
    },
}

fn near_line(line: Option<u64>) -> String {
    line.map(|l| format!(" near line {l}")).unwrap_or_default()
}

impl From<CsvError> for crate::Error {
    fn from(e: CsvError) -> crate::Error {
        crate::Error::invalid(format!(
            "Could not import: {e}. Check that the file is still there and readable, then import it again."
        ))
    }
}

/// The encoding and delimiter the reader guessed for the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DetectedFormat {
    /// "UTF-8", "UTF-8 with BOM", "UTF-16LE", "UTF-16BE" or "Windows-1252".
    pub encoding: &'static str,
    /// `b','`, `b';'` or `b'\t'`.
    pub delimiter: u8,
}

impl DetectedFormat {
    /// The delimiter as a person would name it: "comma", "semicolon" or "tab".
    pub fn delimiter_name(&self) -> &'static str {
        match self.delimiter {
            b';' => "semicolon",
            b'\t' => "tab",
            _ => "comma",
        }
    }
}

impl fmt::Display for DetectedFormat {
    /// `UTF-16LE, tab-separated`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {}-separated", self.encoding, self.delimiter_name())
    }
}

/// A line of the file that became a user to import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportRow {
    /// Normalised (trimmed, lower-case).
    pub email: Email,
    pub phone: Option<Phone>,
}

/// A line of the file that did not become a user, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LineIssue {
    /// Physical line number (1-based, blank lines counted), as a text editor shows it.
    pub line: u64,
    /// The line's content as the user would recognise it: its fields re-joined with the file's
    /// delimiter, cut to about 200 characters.
    pub value: String,
    /// One sentence saying what is wrong and, where possible, how to fix it.
    pub reason: String,
}

/// One outcome of reading the file, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImportRecord {
    /// A valid row.
    Row { line: u64, row: ImportRow },
    /// A line that cannot become a user (bad email or phone, unclosed quote, …).
    Invalid(LineIssue),
    /// The first non-blank line looked like a header and was skipped.
    HeaderSkipped(LineIssue),
}

impl ImportRecord {
    /// The physical line the record starts on.
    pub fn line(&self) -> u64 {
        match self {
            ImportRecord::Row { line, .. } => *line,
            ImportRecord::Invalid(issue) | ImportRecord::HeaderSkipped(issue) => issue.line,
        }
    }
}

/// Streams an import file: sniffs its encoding and delimiter from the first 64 KiB, then yields
/// one [`ImportRecord`] per non-blank line. Memory stays bounded whatever the file size.
pub struct ImportReader<R: Read> {
    src: Utf8Source<R>,
    tokenizer: Tokenizer,
    record: RawRecord,
    format: DetectedFormat,
    seen_content: bool,
    done: bool,
}

impl<R: Read> ImportReader<R> {
    /// Reads the first 64 KiB to guess the encoding (BOM, NUL pattern of UTF-16, UTF-8 validity,
    /// else Windows-1252) and the delimiter (`,` `;` or tab), ready to stream the rest.
    pub fn new(mut reader: R) -> Result<Self, CsvError> {
        let mut prefix = Vec::new();
        let complete = read_prefix(&mut reader, &mut prefix, SNIFF_BYTES)
            .map_err(|source| CsvError::Io { line: None, source })?;
        let sniffed = sniff_encoding(&prefix, complete);
        let src = Utf8Source::new(reader, sniffed, prefix, complete);
        let delimiter = sniff_delimiter(src.buffered());
        Ok(ImportReader {
            src,
            tokenizer: Tokenizer::new(delimiter),
            record: RawRecord::default(),
            format: DetectedFormat {
                encoding: sniffed.name,
                delimiter,
            },
            seen_content: false,
            done: false,
        })
    }

    /// The encoding and delimiter in use. The encoding of a file whose first 64 KiB are plain
    /// ASCII is "UTF-8" until a later byte shows it is "Windows-1252".
    pub fn format(&self) -> &DetectedFormat {
        &self.format
    }

    /// Bytes of the original file consumed so far, for progress bars (exact at chunk boundaries,
    /// estimated in proportion within the chunk being read; equal to the file size at the end).
    pub fn bytes_read(&self) -> u64 {
        self.src.bytes_read()
    }

    fn classify(&self, first: bool) -> ImportRecord {
        let rec = &self.record;
        let line = rec.line;
        let issue = |reason: String| LineIssue {
            line,
            value: display_value(rec, self.format.delimiter),
            reason,
        };
        if rec.unclosed_quote {
            return ImportRecord::Invalid(issue(format!(
                "a quote (\") opened on line {line} is never closed, so the rest of the file was read as one value: \
                 close the quote or remove it"
            )));
        }
        if rec.truncated_at_field.is_some_and(|field| field < 3) {
            return ImportRecord::Invalid(issue(format!(
                "the line is longer than {} KiB, which no email and phone need: check the line (or a quote before it)",
                MAX_RECORD_BYTES / 1024
            )));
        }
        let [email_field, country_field, phone_field] = resplit(rec, self.format.delimiter)
            .unwrap_or_else(|| [rec.field(0), rec.field(1), rec.field(2)]);
        let email_text = unneutralise(clean(email_field));
        if first
            && looks_like_header(email_text)
            && !has_digits(country_field)
            && !has_digits(phone_field)
        {
            return ImportRecord::HeaderSkipped(issue(
                "this looks like a header row, so it was skipped: the file should have no header, only the email, \
                 country code and phone number on each line"
                    .to_string(),
            ));
        }
        let email =
            match Email::parse(email_text) {
                Ok(email) => email,
                Err(_) if email_text.is_empty() => return ImportRecord::Invalid(issue(
                    "the email is missing: the first column of each line must be the user's email"
                        .to_string(),
                )),
                Err(_) if email_text.contains(char::REPLACEMENT_CHARACTER) => {
                    return ImportRecord::Invalid(issue(self.undecodable("email", email_text)));
                }
                Err(e) => {
                    return ImportRecord::Invalid(issue(format!(
                        "invalid email {}: {}",
                        shown(email_text),
                        e
                    )))
                }
            };
        let country = strip_quote_prefix(clean(country_field));
        let number = strip_quote_prefix(clean(phone_field));
        let phone = if number.is_empty() {
            // A country code with no number is ignored: there is no phone to store.
            None
        } else if country.is_empty() && !number.starts_with('+') {
            return ImportRecord::Invalid(issue(format!(
                "phone {} has no country code: put the country calling code (e.g. 55) in the second column, \
                 or write the number with it (e.g. +55 11 98765-4321)",
                shown(number)
            )));
        } else {
            let code = Some(country).filter(|c| !c.is_empty());
            match Phone::parse(code, number) {
                Ok(phone) => Some(phone),
                Err(_) if number.contains(char::REPLACEMENT_CHARACTER) => {
                    return ImportRecord::Invalid(issue(self.undecodable("phone", number)));
                }
                Err(e) => {
                    let reason = match code {
                        Some(c) => format!(
                            "invalid phone {} for country code {c}: {}",
                            shown(number),
                            e
                        ),
                        None => format!("invalid phone {}: {}", shown(number), e),
                    };
                    return ImportRecord::Invalid(issue(reason));
                }
            }
        };
        ImportRecord::Row {
            line,
            row: ImportRow { email, phone },
        }
    }

    fn undecodable(&self, what: &str, text: &str) -> String {
        format!(
            "invalid {what} {}: it has characters that are not valid {} (shown as \u{FFFD}); save the file as \
             \"CSV UTF-8\" and import it again",
            shown(text),
            self.format.encoding
        )
    }
}

impl<R: Read> Iterator for ImportReader<R> {
    type Item = Result<ImportRecord, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            let read = self.tokenizer.read_record(&mut self.src, &mut self.record);
            self.format.encoding = self.src.encoding_name();
            match read {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(source) => {
                    self.done = true;
                    return Some(Err(CsvError::Io {
                        line: Some(self.tokenizer.line()),
                        source,
                    }));
                }
            }
            if self.record.is_blank() && !self.record.unclosed_quote {
                continue;
            }
            let first = !self.seen_content;
            self.seen_content = true;
            return Some(Ok(self.classify(first)));
        }
    }
}

impl<R: Read> std::iter::FusedIterator for ImportReader<R> {}

/// Characters trimmed around every value: whitespace, and the invisible BOM and zero-width space
/// that copy-paste and re-saved files leave behind.
pub(crate) fn clean(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}' || c == '\u{200B}')
}

/// A line written with another delimiter than the rest of the file (files pasted together from
/// different locales), e.g. `bruno@acme.com;55;11987654321` in a comma-separated file, is read as
/// one field holding `;`, which no email may contain. When splitting that field on the other
/// delimiter gives a valid email first, the line is read that way.
fn resplit(rec: &RawRecord, delimiter: u8) -> Option<[&str; 3]> {
    if rec.len() != 1 {
        return None;
    }
    let field = rec.field(0);
    let other = [',', ';', '\t']
        .into_iter()
        .filter(|&d| d != char::from(delimiter) && field.contains(d))
        .max_by_key(|&d| field.matches(d).count())?;
    let mut parts = field.split(other).map(|part| unquote(clean(part)));
    let email = parts.next()?;
    Email::parse(unneutralise(email)).ok()?;
    Some([
        email,
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    ])
}

/// `"55"` → `55` (for values split by [`resplit`], which the tokenizer saw as plain text).
fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(s)
}

/// Undoes the export's formula neutralisation: `'=1+2@acme.com` was written for `=1+2@acme.com`.
/// A `'` is legal in an email, so it is removed only before a character the export neutralises.
fn unneutralise(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => s,
    }
}

/// A leading `'` in a country code or phone (typed in spreadsheets to keep a `+`) is never part
/// of the number.
fn strip_quote_prefix(s: &str) -> &str {
    s.strip_prefix('\'').map(str::trim_start).unwrap_or(s)
}

/// The words a header's first cell is made of, in the languages our customers use.
const HEADER_WORDS: [&str; 27] = [
    "email",
    "emails",
    "mail",
    "mails",
    "correo",
    "courriel",
    "electronico",
    "eletronico",
    "usuario",
    "usuarios",
    "user",
    "users",
    "username",
    "utilisateur",
    "benutzer",
    "login",
    "upn",
    "account",
    "conta",
    "cuenta",
    "address",
    "endereco",
    "direccion",
    "adresse",
    "name",
    "nome",
    "nombre",
];

/// A first cell like `Email`, `E-mail`, `Email Address`, `Usuário` or `correo electrónico`, and no
/// `@` (an email is data, whatever its words).
fn looks_like_header(first: &str) -> bool {
    if first.is_empty() || first.contains('@') {
        return false;
    }
    let folded: String = first
        .chars()
        .flat_map(char::to_lowercase)
        .map(fold_accent)
        .collect();
    let compact = |s: &str| -> String { s.chars().filter(char::is_ascii_alphanumeric).collect() };
    let whole = compact(&folded);
    // Words are split on spaces and punctuation but not on `-`, so `E-mail` is one word and
    // `bad-email` (an invalid email, not a header) is not `email`.
    whole.starts_with("email")
        || whole.starts_with("mail")
        || folded
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .any(|word| HEADER_WORDS.contains(&compact(word).as_str()))
}

/// A header's other cells are names like `Phone` or `DDI`, never digits like a real row's.
fn has_digits(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_digit())
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        _ => c,
    }
}

/// Longest value shown in a reason or a [`LineIssue::value`], in characters.
const SHOWN_CHARS: usize = 200;

/// `"text"` for a reason, cut to a readable length.
fn shown(text: &str) -> String {
    format!("\"{}\"", truncate(text, 100))
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars.saturating_sub(1)) {
        Some((cut, _)) if text.chars().count() > max_chars => {
            format!("{}…", text.get(..cut).unwrap_or(text))
        }
        _ => text.to_string(),
    }
}

/// The record's fields, trimmed and re-joined with the delimiter, cut to [`SHOWN_CHARS`].
fn display_value(rec: &RawRecord, delimiter: u8) -> String {
    let mut value = String::new();
    for i in 0..rec.len() {
        if i > 0 {
            value.push(char::from(delimiter));
        }
        value.push_str(clean(rec.field(i)));
        if value.len() > SHOWN_CHARS * 4 {
            break;
        }
    }
    truncate(value.trim_end_matches(char::from(delimiter)), SHOWN_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_recognised() {
        for h in [
            "email",
            "E-mail",
            "Email Address",
            "EMAIL_ADDRESS",
            "e-mail",
            "Usuário",
            "correo electrónico",
            "Login",
            "mail",
            "E-Mail-Adresse",
            "Endereço de e-mail",
            "User email",
            "(email)",
        ] {
            assert!(looks_like_header(h), "{h}");
        }
        for h in [
            "ana",
            "ana@acme.com",
            "",
            "12345",
            "joão.silva",
            "bad-email",
            "ana.user@",
        ] {
            assert!(!looks_like_header(h), "{h}");
        }
    }

    #[test]
    fn neutralisation_is_undone_only_before_formula_starters() {
        assert_eq!(unneutralise("'=1+2@acme.com"), "=1+2@acme.com");
        assert_eq!(unneutralise("'-x@acme.com"), "-x@acme.com");
        assert_eq!(unneutralise("'ana@acme.com"), "'ana@acme.com");
        assert_eq!(unneutralise("ana@acme.com"), "ana@acme.com");
    }

    #[test]
    fn truncates_on_characters() {
        assert_eq!(truncate("joão", 10), "joão");
        assert_eq!(truncate("joãozinho", 4), "joã…");
        assert_eq!(truncate("abcd", 4), "abcd");
    }
}
