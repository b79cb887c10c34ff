//! A short way through [`super::Phone::parse`] for the numbers files are mostly made of: digits
//! only, with the country calling code in its own column (`55`, `11987654321`).
//!
//! `phonenumber::parse` costs such a number about 10,000 instructions: a parser combinator
//! reads it, and every pattern it applies goes through `phonenumber`'s shared, locked cache
//! keyed by the pattern's text. For most numbers none of its steps changes anything: there is
//! no international prefix to strip, no country code written in front, no national prefix.
//! This module checks exactly that, with the same patterns compiled once per thread and per
//! calling code (as [`super::validity`] does), and answers only then; for any other number it
//! answers `None` and the full path decides, refusals included. A test compares both on random
//! numbers of every calling code.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use phonenumber::metadata::{Metadata, DATABASE};
use regex::Regex;

use super::validity::compile_anchored;

/// What `phonenumber::parse` looks at before it keeps a number's digits as they are.
struct Region {
    /// The calling code `phonenumber` gives the region's numbers.
    country_code: u16,
    /// The calling code as written (`55`): a number starting with it may carry it.
    code: String,
    national_prefix: Option<String>,
    /// `international_prefix` and `national_prefix_for_parsing`, anchored: a number either
    /// starts with a match of them, which `phonenumber` would strip, or keeps its digits.
    international_prefix: Option<Regex>,
    prefix_for_parsing: Option<Regex>,
}

impl Region {
    fn of(meta: &Metadata) -> Option<Region> {
        let anchored = |pattern: Option<&str>| match pattern {
            Some(pattern) => compile_anchored(pattern).map(Some),
            None => Some(None),
        };
        Some(Region {
            country_code: meta.country_code(),
            code: meta.country_code().to_string(),
            national_prefix: meta.national_prefix().map(str::to_string),
            international_prefix: anchored(meta.international_prefix().map(|re| re.as_str()))?,
            prefix_for_parsing: anchored(meta.national_prefix_for_parsing().map(|re| re.as_str()))?,
        })
    }

    /// Whether `phonenumber::parse` keeps `digits` (ASCII digits only) as the national number,
    /// unchanged.
    fn keeps(&self, digits: &str) -> bool {
        // `NationalNumber` (leading zeros counted apart; at most 56 bits) and the lengths
        // `parse` refuses: 2 to 16 digits, the first not a zero.
        (2..=16).contains(&digits.len())
            && !digits.starts_with('0')
            && !digits.starts_with(self.code.as_str())
            && !self
                .national_prefix
                .as_deref()
                .is_some_and(|p| digits.starts_with(p))
            && !self
                .international_prefix
                .as_ref()
                .is_some_and(|re| re.is_match(digits))
            && !self
                .prefix_for_parsing
                .as_ref()
                .is_some_and(|re| re.is_match(digits))
    }
}

thread_local! {
    /// The patterns of each calling code's main region (the one [`super::region_of`] names),
    /// compiled the first time this thread meets the code (`None`: a pattern this engine would
    /// not compile, left to the full path).
    static BY_CODE: RefCell<HashMap<u16, Option<Rc<Region>>>> = RefCell::new(HashMap::new());
}

/// The calling code and national number `phonenumber::parse(Some(region), digits)` gives, when
/// it keeps `digits` as they are; `None` when the full path has to decide. `region` is
/// [`super::region_of`]`(code)`.
pub(super) fn parse(code: u16, region: phonenumber::country::Id, digits: &str) -> Option<u16> {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let compiled = BY_CODE.with(|by_code| {
        by_code
            .borrow_mut()
            .entry(code)
            .or_insert_with(|| {
                DATABASE
                    .by_id(region.as_ref())
                    .and_then(Region::of)
                    .map(Rc::new)
            })
            .clone()
    })?;
    compiled.keeps(digits).then_some(compiled.country_code)
}
