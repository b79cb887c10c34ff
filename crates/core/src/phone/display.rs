//! A number as people write it: `+55 11 98765-4321`, the international format of its country.
//!
//! `phonenumber::format` finds the country's format with patterns matched through its shared,
//! locked cache, as [`super::validity`] explains, and needs a parsed `PhoneNumber` first. The
//! users table formats every phone of every page it shows, so here each calling code's formats
//! are compiled once per thread and chosen by the same rules (`phonenumber::formatter`). A test
//! compares both on the example numbers of every region.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use phonenumber::metadata::DATABASE;
use regex::{Regex, RegexBuilder};

use super::validity::compile_anchored;

/// One of a country's international formats: the leading digits it is for, the pattern that
/// splits the number into groups, and how the groups are written (`$1 $2-$3`).
struct Format {
    leading: Option<Regex>,
    pattern: Regex,
    written: String,
}

impl Format {
    /// As `phonenumber::formatter::formatter`: no leading digits, or the last of them matching
    /// from the first digit and the pattern matching the whole number.
    fn fits(&self, national: &str) -> bool {
        match &self.leading {
            None => true,
            Some(leading) => {
                leading.is_match(national)
                    && self
                        .pattern
                        .find(national)
                        .is_some_and(|m| m.start() == 0 && m.end() == national.len())
            }
        }
    }
}

/// The formats of one calling code, compiled (`None`: one this engine would not compile).
fn formats_of(code: u16) -> Option<Vec<Format>> {
    let meta = DATABASE.by_code(&code)?.into_iter().next()?;
    let formats = if meta.international_formats().is_empty() {
        meta.formats()
    } else {
        meta.international_formats()
    };
    formats
        .iter()
        .map(|f| {
            Some(Format {
                leading: match f.leading_digits().last() {
                    Some(re) => Some(compile_anchored(re.as_str())?),
                    None => None,
                },
                pattern: RegexBuilder::new(f.pattern().as_str())
                    .ignore_whitespace(true)
                    .build()
                    .ok()?,
                written: f.format().to_string(),
            })
        })
        .collect()
}

thread_local! {
    static BY_CODE: RefCell<HashMap<u16, Option<Rc<Vec<Format>>>>> = RefCell::new(HashMap::new());
}

/// `+{code} ` and the national number grouped as its country writes it (the digits alone where
/// no format fits, as `phonenumber` writes them).
pub(super) fn international(code: u16, national: &str) -> String {
    let formats = BY_CODE.with(|by_code| {
        by_code
            .borrow_mut()
            .entry(code)
            .or_insert_with(|| formats_of(code).map(Rc::new))
            .clone()
    });
    let grouped = formats
        .as_deref()
        .and_then(|formats| formats.iter().find(|f| f.fits(national)))
        .map(|f| f.pattern.replace(national, f.written.as_str()).into_owned());
    format!("+{code} {}", grouped.as_deref().unwrap_or(national))
}

#[cfg(test)]
mod tests {
    use super::super::Phone;
    use phonenumber::metadata::DATABASE;
    use phonenumber::Mode;

    #[test]
    fn a_brazilian_mobile_reads_as_people_write_it() {
        let p = Phone::parse(Some("55"), "11987654321").map(|p| p.international());
        assert_eq!(p, Ok("+55 11 98765-4321".to_string()));
        let uk = Phone::parse(Some("44"), "07911 123456").map(|p| p.international());
        assert_eq!(uk, Ok("+44 7911 123456".to_string()));
    }

    /// Every region's example numbers come out as `phonenumber::format` writes them.
    #[test]
    fn formats_as_phonenumber_does() {
        let mut compared = 0;
        for meta in DATABASE.iter() {
            let d = meta.descriptors();
            let examples = [
                Some(d.general()),
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.voip(),
                d.premium_rate(),
                d.pager(),
            ];
            for example in examples.into_iter().flatten().filter_map(|d| d.example()) {
                let e164 = format!("+{}{example}", meta.country_code());
                let Ok(parsed) = phonenumber::parse(None, &e164) else {
                    continue;
                };
                let Some(phone) = Phone::from_stored(&parsed.format().mode(Mode::E164).to_string())
                else {
                    continue;
                };
                let theirs = parsed.format().mode(Mode::International).to_string();
                assert_eq!(phone.international(), theirs, "{e164}");
                compared += 1;
            }
        }
        assert!(compared > 500, "compared {compared}");
    }
}
