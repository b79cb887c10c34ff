//! Whether a parsed number is valid, decided as `phonenumber`'s own `PhoneNumber::is_valid`
//! decides it, on patterns compiled once per country calling code.
//!
//! `phonenumber` keeps its metadata's patterns in a shared cache behind a lock, keyed by the
//! pattern's text: every match locks it and hashes a pattern of up to hundreds of characters,
//! and a validity check makes a dozen matches. That was most of the time an import spends on a
//! phone (about 7 µs a number; a million-line file with a phone on every line spent longer
//! validating phones than writing them). Here each calling code's patterns are compiled once
//! per thread with the same options (`ignore_whitespace`, as `phonenumber` loads them) and
//! applied in the same order with the same rules (`phonenumber::validator::source_for` and
//! `number_type`). A test compares both on numbers of every calling code.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use phonenumber::metadata::{Descriptor, Metadata, DATABASE};
use phonenumber::PhoneNumber;
use regex::{Regex, RegexBuilder};

/// One of a region's number descriptions: the lengths it allows and its pattern.
struct Pattern {
    lengths: Vec<u16>,
    regex: Regex,
}

impl Pattern {
    fn of(descriptor: &Descriptor) -> Option<Pattern> {
        Some(Pattern {
            lengths: descriptor.possible_length().to_vec(),
            regex: compile_anchored(descriptor.national_number().as_str())?,
        })
    }

    /// As `Descriptor::is_match`: a permitted length, and a match from the first digit.
    fn is_match(&self, national: &str) -> bool {
        let length = u16::try_from(national.len()).unwrap_or(u16::MAX);
        if !self.lengths.is_empty() && !self.lengths.contains(&length) {
            return false;
        }
        self.regex.is_match(national)
    }
}

/// `pattern` as `phonenumber` compiles it, anchored at the start of the text: `phonenumber`
/// asks for the leftmost match and keeps it when it starts at the first digit, which is the
/// same as asking whether a match starts there. The anchored search stops at the first digit
/// that rules a match out, and its lazy DFA has far fewer states to build (unanchored, the
/// longer patterns filled the DFA's cache again and again: a fifth of a parser thread's time).
/// The pattern goes on lines of its own, so that a `#` comment in it (whitespace-insensitive
/// mode) cannot swallow the closing parenthesis.
pub(super) fn compile_anchored(pattern: &str) -> Option<Regex> {
    RegexBuilder::new(&format!("^(?:\n{pattern}\n)"))
        .ignore_whitespace(true)
        .build()
        .ok()
}

/// A region's patterns: which numbers belong to it (`leading_digits`, where a calling code
/// serves several regions), the general description and every type a valid number may be.
struct Region {
    leading_digits: Option<Regex>,
    general: Pattern,
    types: Vec<Pattern>,
}

impl Region {
    fn of(meta: &Metadata) -> Option<Region> {
        let d = meta.descriptors();
        let types = [
            d.premium_rate(),
            d.toll_free(),
            d.shared_cost(),
            d.voip(),
            d.personal_number(),
            d.pager(),
            d.uan(),
            d.voicemail(),
            d.fixed_line(),
            d.mobile(),
        ];
        Some(Region {
            leading_digits: match meta.leading_digits() {
                Some(re) => Some(compile_anchored(re.as_str())?),
                None => None,
            },
            general: Pattern::of(d.general())?,
            types: types
                .into_iter()
                .flatten()
                .map(Pattern::of)
                .collect::<Option<_>>()?,
        })
    }

    /// As `number_type(..) != Type::Unknown`: the general description and at least one type.
    fn is_valid(&self, national: &str) -> bool {
        self.general.is_match(national) && self.types.iter().any(|t| t.is_match(national))
    }
}

/// The regions of one calling code, in the metadata's order.
enum Regions {
    /// The one region of the code: every number of the code is decided by it.
    One(Region),
    /// Several (e.g. +1, +44): the first whose leading digits start the number, or (for a
    /// region without them) for which it is valid.
    Many(Vec<Region>),
    /// A code with no usable metadata: no number of it is valid.
    None,
}

impl Regions {
    /// As `phonenumber::validator::source_for`, then the region's metadata.
    fn of(code: u16) -> Option<Regions> {
        let Some(ids) = DATABASE.region(&code) else {
            return Some(Regions::None);
        };
        if let [id] = ids[..] {
            let meta = if id == "001" {
                DATABASE.by_code(&code).and_then(|m| m.into_iter().next())
            } else if id.parse::<phonenumber::country::Id>().is_ok() {
                DATABASE.by_id(id)
            } else {
                None
            };
            return match meta {
                Some(meta) => Some(Regions::One(Region::of(meta)?)),
                None => Some(Regions::None),
            };
        }
        let mut regions = Vec::with_capacity(ids.len());
        for id in ids {
            match DATABASE.by_id(id) {
                Some(meta) => regions.push(Region::of(meta)?),
                // `phonenumber` would stop at a region missing from its own database.
                None => return None,
            }
        }
        Some(Regions::Many(regions))
    }

    fn is_valid(&self, national: &str) -> bool {
        match self {
            Regions::One(region) => region.is_valid(national),
            Regions::Many(regions) => regions
                .iter()
                .find(|r| match &r.leading_digits {
                    Some(leading) => leading.is_match(national),
                    None => r.is_valid(national),
                })
                .is_some_and(|r| r.is_valid(national)),
            Regions::None => false,
        }
    }
}

thread_local! {
    /// Each calling code's patterns, compiled the first time this thread meets the code
    /// (`None`: a pattern this engine would not compile, left to `phonenumber`).
    static BY_CODE: RefCell<HashMap<u16, Option<Rc<Regions>>>> = RefCell::new(HashMap::new());
}

/// Whether `number` is valid, with the same answer as `number.is_valid()`.
pub(super) fn is_valid(number: &PhoneNumber) -> bool {
    let code = number.code().value();
    match is_valid_national(code, &number.national().to_string()) {
        Some(valid) => valid,
        None => number.is_valid(),
    }
}

/// Whether the number of calling code `code` and national number `national` is valid, as
/// [`is_valid`] answers; `None` when only `phonenumber` can tell.
pub(super) fn is_valid_national(code: u16, national: &str) -> Option<bool> {
    let regions = BY_CODE.with(|by_code| {
        by_code
            .borrow_mut()
            .entry(code)
            .or_insert_with(|| Regions::of(code).map(Rc::new))
            .clone()
    });
    regions.map(|regions| regions.is_valid(national))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator of digit strings (no dependency for a test).
    struct Digits(u64);

    impl Digits {
        fn next(&mut self, len: usize) -> String {
            (0..len)
                .map(|_| {
                    self.0 = self
                        .0
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    char::from(b'0' + ((self.0 >> 33) % 10) as u8)
                })
                .collect()
        }
    }

    #[test]
    fn agrees_with_phonenumber_on_every_calling_code() {
        let mut digits = Digits(7);
        let (mut compared, mut valid) = (0, 0);
        for code in 1..1000u16 {
            let Some(ids) = DATABASE.region(&code) else {
                continue;
            };
            let mut candidates: Vec<String> = Vec::new();
            for id in &ids {
                let meta = match DATABASE.by_id(*id) {
                    Some(meta) => vec![meta],
                    None => DATABASE.by_code(&code).unwrap_or_default(),
                };
                for meta in meta {
                    let d = meta.descriptors();
                    let all = [
                        Some(d.general()),
                        d.fixed_line(),
                        d.mobile(),
                        d.toll_free(),
                        d.premium_rate(),
                        d.voip(),
                        d.uan(),
                    ];
                    for d in all.into_iter().flatten() {
                        if let Some(example) = d.example() {
                            candidates.push(example.to_string());
                            // The example with its last digits changed: often invalid.
                            let keep = example.len().saturating_sub(3);
                            candidates.push(format!("{}{}", &example[..keep], digits.next(3)));
                            candidates.push(format!("{example}{}", digits.next(1)));
                        }
                    }
                }
            }
            for len in 4..=15 {
                for _ in 0..20 {
                    candidates.push(digits.next(len));
                }
            }
            for national in candidates {
                let Ok(pn) = phonenumber::parse(None, format!("+{code}{national}")) else {
                    continue;
                };
                let expected = pn.is_valid();
                assert_eq!(is_valid(&pn), expected, "+{code} {national}");
                compared += 1;
                valid += usize::from(expected);
            }
        }
        assert!(compared > 10_000, "compared {compared}");
        assert!(valid > 500, "valid {valid}");
    }
}
