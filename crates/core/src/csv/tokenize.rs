//! Splits decoded text into CSV records while counting physical lines.
//!
//! The `csv` crate counts only `\n` as a line break, so files saved with classic-Mac `\r` line
//! ends would report every problem on line 1, and it keeps a whole record in memory however long
//! it is. Users fix rejected lines in a text editor, so the line a record starts on must be the
//! line the editor shows: this tokenizer counts `\r\n`, `\n` and a lone `\r` as one line break
//! each, inside quoted fields too, and caps the bytes kept per record.
//!
//! Parsing is RFC 4180 with the leniency real files need: spaces before an opening quote are
//! ignored, text after a closing quote is kept, and a quote inside an unquoted field is literal.

use std::io::{self, Read};

use super::decode::Utf8Source;

/// The most bytes of one record kept in memory; the rest of an overlong record is skipped.
pub(crate) const MAX_RECORD_BYTES: usize = 64 * 1024;

/// One record as read from the file: its fields and where it starts.
#[derive(Debug, Default)]
pub(crate) struct RawRecord {
    buf: Vec<u8>,
    ends: Vec<usize>,
    /// Physical line (1-based) of the record's first character.
    pub line: u64,
    /// The file ended inside a quoted field.
    pub unclosed_quote: bool,
    /// The index of the field that was being read when [`MAX_RECORD_BYTES`] was reached.
    pub truncated_at_field: Option<usize>,
}

impl RawRecord {
    fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
        self.line = 0;
        self.unclosed_quote = false;
        self.truncated_at_field = None;
    }

    fn full(&self) -> bool {
        self.buf.len() + self.ends.len() >= MAX_RECORD_BYTES
    }

    #[inline]
    fn push(&mut self, b: u8) {
        if self.full() {
            self.truncated_at_field.get_or_insert(self.ends.len());
        } else {
            self.buf.push(b);
        }
    }

    fn end_field(&mut self) {
        if self.full() {
            // Close the field that was cut (so its start can be shown), then keep no more.
            let cut = *self.truncated_at_field.get_or_insert(self.ends.len());
            if cut == self.ends.len() {
                self.ends.push(self.buf.len());
            }
        } else {
            self.ends.push(self.buf.len());
        }
    }

    /// Number of fields kept.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The `i`-th field, untrimmed; `""` when the record has fewer fields.
    pub(crate) fn field(&self, i: usize) -> &str {
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).copied().unwrap_or(0)
        };
        utf8_prefix(self.buf.get(start..end).unwrap_or_default())
    }

    /// True when every field is empty or spaces (a blank line, or a line of only delimiters).
    pub(crate) fn is_blank(&self) -> bool {
        self.truncated_at_field.is_none()
            && (0..self.len()).all(|i| super::import::clean(self.field(i)).is_empty())
    }
}

/// The longest valid UTF-8 prefix of `b` (a field cut by the record cap may end mid-character).
fn utf8_prefix(b: &[u8]) -> &str {
    match std::str::from_utf8(b) {
        Ok(s) => s,
        Err(e) => {
            std::str::from_utf8(b.get(..e.valid_up_to()).unwrap_or_default()).unwrap_or_default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field: leading spaces are skipped.
    FieldStart,
    Unquoted,
    Quoted,
    /// Just saw a `"` inside a quoted field: either an escaped quote or the closing one.
    QuoteInQuoted,
}

/// Reads records one at a time, keeping the physical line count across records.
#[derive(Debug)]
pub(crate) struct Tokenizer {
    delimiter: u8,
    /// The physical line (1-based) of the next byte.
    line: u64,
    /// The previous byte was `\r` (so a `\n` now completes a CRLF, not a new line).
    prev_cr: bool,
}

impl Tokenizer {
    pub(crate) fn new(delimiter: u8) -> Tokenizer {
        Tokenizer {
            delimiter,
            line: 1,
            prev_cr: false,
        }
    }

    /// The physical line the tokenizer is on.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// Reads the next record into `rec`; false at the end of the file. Empty lines between
    /// records are skipped (a line holding only spaces or delimiters is returned, and is blank).
    pub(crate) fn read_record<R: Read>(
        &mut self,
        src: &mut Utf8Source<R>,
        rec: &mut RawRecord,
    ) -> io::Result<bool> {
        rec.clear();
        let mut state = State::FieldStart;
        let mut started = false;
        loop {
            let Some(b) = src.next_byte()? else {
                if !started {
                    return Ok(false);
                }
                rec.unclosed_quote = state == State::Quoted;
                rec.end_field();
                return Ok(true);
            };
            let was_cr = self.prev_cr;
            self.prev_cr = b == b'\r';
            let newline = b == b'\r' || b == b'\n';
            if b == b'\r' || (b == b'\n' && !was_cr) {
                self.line += 1;
            }
            if !started {
                if newline {
                    continue;
                }
                started = true;
                rec.line = self.line;
            }
            let is_delimiter = b == self.delimiter;
            match state {
                State::FieldStart => {
                    if is_delimiter {
                        rec.end_field();
                    } else if newline {
                        rec.end_field();
                        return Ok(true);
                    } else if b == b'"' {
                        state = State::Quoted;
                    } else if b == b' ' || b == b'\t' {
                        // Stray spaces before a value (a tab here is not the delimiter).
                    } else {
                        rec.push(b);
                        state = State::Unquoted;
                    }
                }
                State::Unquoted => {
                    if is_delimiter {
                        rec.end_field();
                        state = State::FieldStart;
                    } else if newline {
                        rec.end_field();
                        return Ok(true);
                    } else {
                        rec.push(b);
                    }
                }
                State::Quoted => {
                    if b == b'"' {
                        state = State::QuoteInQuoted;
                    } else {
                        rec.push(b);
                    }
                }
                State::QuoteInQuoted => {
                    if b == b'"' {
                        rec.push(b'"');
                        state = State::Quoted;
                    } else if is_delimiter {
                        rec.end_field();
                        state = State::FieldStart;
                    } else if newline {
                        rec.end_field();
                        return Ok(true);
                    } else {
                        // Text after the closing quote: keep it, as spreadsheets do.
                        rec.push(b);
                        state = State::Unquoted;
                    }
                }
            }
        }
    }
}

/// The candidate delimiters, in order of preference when the counts tie.
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// How many non-blank lines the delimiter is guessed from.
const SNIFF_LINES: usize = 20;

/// Picks `,`, `;` or tab: the one found (outside quotes) on the most of the first non-blank
/// lines, then the most often. A file with none of them (one email per line) gets `,`.
pub(crate) fn sniff_delimiter(text: &[u8]) -> u8 {
    let mut lines_with = [0usize; 3];
    let mut totals = [0usize; 3];
    let mut current = [0usize; 3];
    let mut in_quotes = false;
    let mut content = false;
    let mut lines = 0;
    let mut tally = |current: &mut [usize; 3]| {
        for i in 0..3 {
            lines_with[i] += usize::from(current[i] > 0);
            totals[i] += current[i];
            current[i] = 0;
        }
    };
    for &b in text {
        if b == b'"' {
            in_quotes = !in_quotes;
            content = true;
        } else if in_quotes {
        } else if b == b'\n' || b == b'\r' {
            if content {
                tally(&mut current);
                lines += 1;
                if lines >= SNIFF_LINES {
                    break;
                }
            }
            current = [0; 3];
            content = false;
        } else if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
            current[i] += 1;
        } else if !b.is_ascii_whitespace() {
            content = true;
        }
    }
    if content && lines < SNIFF_LINES {
        tally(&mut current);
    }
    let mut best = 0;
    for i in 1..3 {
        if (lines_with[i], totals[i]) > (lines_with[best], totals[best]) {
            best = i;
        }
    }
    if lines_with[best] == 0 {
        b','
    } else {
        DELIMITERS[best]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter(b"a@b.com,55,1\n"), b',');
        assert_eq!(sniff_delimiter(b"a@b.com;55;1\r\nc@d.com;1;2"), b';');
        assert_eq!(sniff_delimiter(b"a@b.com\t55\t1\r"), b'\t');
        assert_eq!(sniff_delimiter(b"a@b.com\nc@d.com\n"), b',');
        assert_eq!(sniff_delimiter(b"\"x,y,z\";55;1\n\"a,b\";1;2"), b';');
        assert_eq!(sniff_delimiter(b""), b',');
    }
}
