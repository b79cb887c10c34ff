//! Turns the bytes of an imported file into UTF-8, whatever program saved it.
//!
//! Excel alone writes three encodings depending on the "Save as" choice and the locale:
//! UTF-8 with a byte-order mark ("CSV UTF-8"), UTF-16LE with a BOM ("Unicode Text"), and the
//! Windows code page ("CSV (Comma delimited)", Windows-1252 in Western locales); text editors add
//! UTF-8 without a BOM and the odd UTF-16 file without one. This module guesses the encoding from
//! a bounded prefix of the file and then decodes the stream chunk by chunk, so memory never grows
//! with the file size. Bytes that are invalid in the chosen encoding become U+FFFD, which the
//! importer turns into a per-line reason instead of failing the whole file.

use std::io::{self, Read};

use encoding_rs::{Decoder, Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// How many bytes are read up front to guess the encoding and the delimiter.
pub(crate) const SNIFF_BYTES: usize = 64 * 1024;

/// How many bytes of the original file are read and decoded at a time after the prefix.
const CHUNK_BYTES: usize = 16 * 1024;

/// The encoding guessed for a file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sniffed {
    /// The name shown to the user: "UTF-8", "UTF-8 with BOM", "UTF-16LE", "UTF-16BE" or
    /// "Windows-1252".
    pub name: &'static str,
    pub encoding: &'static Encoding,
    /// Length of the byte-order mark to skip (0 when there is none).
    pub bom_len: usize,
}

/// Guesses the encoding of a file from its first bytes. `complete` says whether `prefix` is the
/// whole file (so an incomplete UTF-8 sequence at its end is an error, not a cut).
pub(crate) fn sniff_encoding(prefix: &[u8], complete: bool) -> Sniffed {
    let sniffed = |name, encoding, bom_len| Sniffed {
        name,
        encoding,
        bom_len,
    };
    if prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return sniffed("UTF-8 with BOM", UTF_8, 3);
    }
    if prefix.starts_with(&[0xFF, 0xFE]) {
        return sniffed("UTF-16LE", UTF_16LE, 2);
    }
    if prefix.starts_with(&[0xFE, 0xFF]) {
        return sniffed("UTF-16BE", UTF_16BE, 2);
    }
    if let Some(utf16) = sniff_utf16_without_bom(prefix) {
        return utf16;
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => sniffed("UTF-8", UTF_8, 0),
        // The prefix ends in the middle of a character: fine unless the file ends there too.
        Err(e) if e.error_len().is_none() && !complete => sniffed("UTF-8", UTF_8, 0),
        Err(_) => sniffed("Windows-1252", WINDOWS_1252, 0),
    }
}

/// UTF-16 text that is mostly ASCII (as emails and phone numbers are) has a NUL in every other
/// byte: the high byte of each code unit. Which half holds the NULs gives the byte order.
fn sniff_utf16_without_bom(prefix: &[u8]) -> Option<Sniffed> {
    let pairs = prefix.len() / 2;
    if pairs == 0 {
        return None;
    }
    let (mut even_nul, mut odd_nul) = (0usize, 0usize);
    for pair in prefix.chunks_exact(2) {
        even_nul += usize::from(pair[0] == 0);
        odd_nul += usize::from(pair[1] == 0);
    }
    // At least a third of the code units look like ASCII, and the other half is (nearly) NUL-free.
    if odd_nul * 3 >= pairs && even_nul * 10 <= odd_nul {
        return Some(Sniffed {
            name: "UTF-16LE",
            encoding: UTF_16LE,
            bom_len: 0,
        });
    }
    if even_nul * 3 >= pairs && odd_nul * 10 <= even_nul {
        return Some(Sniffed {
            name: "UTF-16BE",
            encoding: UTF_16BE,
            bom_len: 0,
        });
    }
    None
}

/// Reads until `buf` holds `limit` bytes or the reader is exhausted. Returns whether the reader
/// reached its end (so `buf` holds the whole file).
pub(crate) fn read_prefix<R: Read>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    limit: usize,
) -> io::Result<bool> {
    buf.clear();
    buf.resize(limit, 0);
    let mut filled = 0;
    let mut at_end = false;
    while filled < limit {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => {
                at_end = true;
                break;
            }
            Ok(n) => filled = (filled + n).min(limit),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(at_end)
}

/// A stream of UTF-8 bytes decoded from a reader in any supported encoding, one bounded chunk at
/// a time.
pub(crate) struct Utf8Source<R> {
    inner: R,
    decoder: Decoder,
    /// Raw bytes of the current chunk (reused between chunks).
    raw: Vec<u8>,
    /// The current chunk decoded to UTF-8.
    out: Vec<u8>,
    /// Next unread byte of `out`.
    pos: usize,
    /// Original bytes decoded before the current chunk.
    raw_before: u64,
    /// Original bytes in the current chunk.
    raw_in_chunk: u64,
    /// The decoder has been told the input ended.
    finished: bool,
    /// The encoding's name, as in [`Sniffed::name`].
    name: &'static str,
    /// Everything so far was ASCII, read as UTF-8: the first non-ASCII byte decides between UTF-8
    /// and Windows-1252 (Excel's "CSV (Comma delimited)" of a list whose first accented name
    /// comes after the sniffed prefix).
    tentative_utf8: bool,
}

impl<R: Read> Utf8Source<R> {
    /// Starts decoding with the already-read `prefix` (the first bytes of the file, BOM included)
    /// and continues with `inner`. `complete` says `prefix` is the whole file.
    pub(crate) fn new(inner: R, sniffed: Sniffed, prefix: Vec<u8>, complete: bool) -> Self {
        let mut src = Utf8Source {
            inner,
            decoder: sniffed.encoding.new_decoder_without_bom_handling(),
            raw: Vec::new(),
            out: Vec::new(),
            pos: 0,
            raw_before: 0,
            raw_in_chunk: prefix.len() as u64,
            finished: complete,
            name: sniffed.name,
            tentative_utf8: sniffed.name == "UTF-8" && prefix.is_ascii(),
        };
        let body = prefix.get(sniffed.bom_len..).unwrap_or_default();
        decode_into(&mut src.decoder, body, &mut src.out, complete);
        src.raw = prefix;
        src
    }

    /// The decoded bytes not consumed yet from the current chunk (the whole decoded prefix right
    /// after [`Utf8Source::new`]), for sniffing the delimiter.
    pub(crate) fn buffered(&self) -> &[u8] {
        self.out.get(self.pos..).unwrap_or_default()
    }

    /// The name of the encoding in use (it can change once from "UTF-8" to "Windows-1252").
    pub(crate) fn encoding_name(&self) -> &'static str {
        self.name
    }

    /// Original bytes consumed so far, estimated within the current chunk in proportion to the
    /// decoded bytes consumed.
    pub(crate) fn bytes_read(&self) -> u64 {
        let produced = self.out.len() as u64;
        if produced == 0 {
            return self.raw_before + self.raw_in_chunk;
        }
        let part = self.raw_in_chunk.saturating_mul(self.pos as u64) / produced;
        self.raw_before + part
    }

    /// The next decoded byte, or `None` at the end of the file.
    #[inline]
    pub(crate) fn next_byte(&mut self) -> io::Result<Option<u8>> {
        if let Some(&b) = self.out.get(self.pos) {
            self.pos += 1;
            return Ok(Some(b));
        }
        if !self.refill()? {
            return Ok(None);
        }
        let b = self.out.get(self.pos).copied();
        self.pos += 1;
        Ok(b)
    }

    /// Decodes chunks until there is at least one unread byte; false at the end of the file.
    fn refill(&mut self) -> io::Result<bool> {
        while self.pos >= self.out.len() {
            if self.finished {
                return Ok(false);
            }
            self.raw_before += self.raw_in_chunk;
            self.raw_in_chunk = 0;
            self.out.clear();
            self.pos = 0;
            // Room for the chunk plus the rest of a UTF-8 sequence cut by its end.
            self.raw.resize(CHUNK_BYTES + 4, 0);
            let mut n = read_some(&mut self.inner, &mut self.raw[..CHUNK_BYTES])?.min(CHUNK_BYTES);
            let last = n == 0;
            if self.tentative_utf8 {
                if let Some(first) = self.raw[..n].iter().position(|b| !b.is_ascii()) {
                    // Read the whole first non-ASCII sequence (at most 4 bytes) before deciding.
                    let mut at_end = false;
                    while n - first < 4 && !at_end {
                        let more = read_some(&mut self.inner, &mut self.raw[n..n + 1])?.min(1);
                        at_end = more == 0;
                        n += more;
                    }
                    self.tentative_utf8 = false;
                    if !starts_with_utf8_sequence(&self.raw[first..n], at_end) {
                        // Only ASCII was decoded so far, so the UTF-8 decoder holds no state to lose.
                        self.decoder = WINDOWS_1252.new_decoder_without_bom_handling();
                        self.name = "Windows-1252";
                    }
                }
            }
            let chunk = self.raw.get(..n).unwrap_or_default();
            decode_into(&mut self.decoder, chunk, &mut self.out, last);
            self.raw_in_chunk = n as u64;
            self.finished = last;
        }
        Ok(true)
    }
}

/// True when `bytes` starts with a valid multi-byte UTF-8 sequence (or, unless the file ends
/// there, the start of one).
fn starts_with_utf8_sequence(bytes: &[u8], at_end: bool) -> bool {
    let len = match bytes.first() {
        Some(0xC2..=0xDF) => 2,
        Some(0xE0..=0xEF) => 3,
        Some(0xF0..=0xF4) => 4,
        _ => return false,
    };
    match std::str::from_utf8(bytes.get(..len.min(bytes.len())).unwrap_or_default()) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && !at_end,
    }
}

/// One `read`, retried when interrupted.
fn read_some<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Decodes `src` and appends the UTF-8 to `out` (replacing malformed sequences with U+FFFD).
fn decode_into(decoder: &mut Decoder, mut src: &[u8], out: &mut Vec<u8>, last: bool) {
    loop {
        let room = decoder
            .max_utf8_buffer_length(src.len())
            .unwrap_or(src.len().saturating_mul(3))
            .max(16);
        let start = out.len();
        out.resize(start + room, 0);
        let (result, read, written, _) = decoder.decode_to_utf8(src, &mut out[start..], last);
        out.truncate(start + written);
        src = src.get(read..).unwrap_or_default();
        if matches!(result, encoding_rs::CoderResult::InputEmpty) {
            return;
        }
    }
}
