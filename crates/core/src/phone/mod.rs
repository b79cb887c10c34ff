//! Phone numbers, parsed and validated with libphonenumber's metadata (the `phonenumber` crate)
//! and stored in E.164.
//!
//! People type numbers with spaces, dashes, parentheses, a leading `+`, or a national trunk
//! prefix (`011 98765-4321` in Brazil, `07911 123456` in the UK); all of those are accepted when
//! the country calling code is known, and the stored form is always `+<cc><national>`.

mod digits;
mod display;
mod validity;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::reason::Reason;

/// A valid phone number: country calling code plus national significant number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(type = "string"))]
pub struct Phone {
    country_code: u16,
    national: String,
}

/// Why a phone number was rejected (shown as the clause `the phone number is empty`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.reason.detail().unwrap_or_default())]
pub struct InvalidPhone {
    pub reason: Reason,
}

fn invalid(reason: Reason) -> InvalidPhone {
    InvalidPhone { reason }
}

/// Reads a country calling code written as `55`, `+55` or ` 055 `.
pub fn parse_country_code(text: &str) -> Result<u16, InvalidPhone> {
    let t = text.trim();
    let t = t.strip_prefix('+').unwrap_or(t).trim_start_matches('0');
    if t.is_empty() || t.len() > 3 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(Reason::PhoneBadCountryCode {
            text: text.trim().to_string(),
        }));
    }
    let cc: u16 = t.parse().map_err(|_| {
        invalid(Reason::PhoneBadCountryCode {
            text: text.trim().to_string(),
        })
    })?;
    if region_of(cc).is_none() {
        return Err(invalid(Reason::PhoneUnassignedCountryCode {
            code: i64::from(cc),
        }));
    }
    Ok(cc)
}

thread_local! {
    /// [`region_of`]'s answers: looking a code up in the metadata allocates, and naming its
    /// region compares the name with every region's.
    static REGIONS: std::cell::RefCell<std::collections::HashMap<u16, Option<Option<phonenumber::country::Id>>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// The region a number of calling code `cc` is read in: `None` for a code no country has,
/// `Some(None)` for a code of no region (non-geographic, e.g. +800), else the code's main region.
fn region_of(cc: u16) -> Option<Option<phonenumber::country::Id>> {
    REGIONS.with(|regions| {
        *regions.borrow_mut().entry(cc).or_insert_with(|| {
            let ids = phonenumber::metadata::DATABASE.region(&cc)?;
            Some(ids.first().and_then(|id| id.parse().ok()))
        })
    })
}

impl Phone {
    /// Parses `number` in the country given by `country_code` (digits, `+` optional). A number
    /// written with a leading `+` carries its own country code, which must agree with
    /// `country_code` when both are given.
    pub fn parse(country_code: Option<&str>, number: &str) -> Result<Phone, InvalidPhone> {
        Phone::parse_with(country_code, number, true)
    }

    /// [`Phone::parse`], through [`digits`] where it can (`short_way`) or always through
    /// `phonenumber::parse` (the test of the short way compares both).
    fn parse_with(
        country_code: Option<&str>,
        number: &str,
        short_way: bool,
    ) -> Result<Phone, InvalidPhone> {
        let number = number.trim();
        if number.is_empty() {
            return Err(invalid(Reason::PhoneEmpty));
        }
        if let Some(c) = number
            .chars()
            .find(|c| !(c.is_ascii_digit() || " -().+/\u{a0}".contains(*c)))
        {
            return Err(invalid(Reason::PhoneBadCharacter {
                character: c.to_string(),
            }));
        }
        let cc = match country_code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(parse_country_code(c)?),
            None => None,
        };
        let international = number.starts_with('+');
        let parsed = if international {
            phonenumber::parse(None, number)
        } else {
            let Some(cc) = cc else {
                return Err(invalid(Reason::PhoneNoCountryCode));
            };
            match region_of(cc).flatten() {
                Some(id) => {
                    // Digits only, kept as they are: valid or not as the full path would say
                    // (which also words a refusal).
                    if let Some(got) = digits::parse(cc, id, number).filter(|_| short_way) {
                        if validity::is_valid_national(got, number) == Some(true) {
                            return Ok(Phone {
                                country_code: got,
                                national: number.to_string(),
                            });
                        }
                    }
                    phonenumber::parse(Some(id), number)
                }
                // Non-geographic codes (e.g. +800) have no region: read the digits as international.
                None => phonenumber::parse(None, format!("+{cc}{number}")),
            }
        };
        let pn = parsed.map_err(|e| {
            invalid(Reason::PhoneNotANumber {
                number: number.to_string(),
                detail: e.to_string(),
            })
        })?;
        let got = pn.code().value();
        if let (true, Some(cc)) = (international, cc) {
            if cc != got {
                return Err(invalid(Reason::PhoneCountryCodeDiffers {
                    written: i64::from(got),
                    given: i64::from(cc),
                }));
            }
        }
        if !validity::is_valid(&pn) {
            return Err(invalid(Reason::PhoneInvalidForCountry {
                number: number.to_string(),
                code: i64::from(got),
            }));
        }
        // What `pn.format().mode(Mode::E164)` writes after `+{got}` (it first matches the
        // country's display formats, which E.164 does not use).
        Ok(Phone {
            country_code: got,
            national: pn.national().to_string(),
        })
    }

    /// Reads a stored E.164 value (`+5511987654321`).
    pub fn from_e164(e164: &str) -> Result<Phone, InvalidPhone> {
        if !e164.starts_with('+') {
            return Err(invalid(Reason::PhoneNotE164 {
                number: e164.to_string(),
            }));
        }
        Phone::parse(None, e164)
    }

    /// Reads back a value the store wrote with [`Phone::e164`], without re-validating it: country
    /// calling codes are prefix-free, so the first 1 to 3 digits that name one are it.
    pub fn from_stored(e164: &str) -> Option<Phone> {
        let digits = e164.strip_prefix('+')?;
        (1..=3).find_map(|n| {
            let cc: u16 = digits.get(..n)?.parse().ok()?;
            phonenumber::metadata::DATABASE.region(&cc)?;
            Some(Phone {
                country_code: cc,
                national: digits.get(n..)?.to_string(),
            })
        })
    }

    /// The country calling code, e.g. 55.
    pub fn country_code(&self) -> u16 {
        self.country_code
    }

    /// The national significant number, digits only (leading zeros kept where they belong).
    pub fn national(&self) -> &str {
        &self.national
    }

    /// `+55 11 98765-4321`: the international format of the number's country, as people write
    /// it (always `+`, the calling code and a space first, so the national part follows it).
    pub fn international(&self) -> String {
        display::international(self.country_code, &self.national)
    }

    /// `+5511987654321`.
    pub fn e164(&self) -> String {
        format!("+{}{}", self.country_code, self.national)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}{}", self.country_code, self.national)
    }
}

impl TryFrom<String> for Phone {
    type Error = InvalidPhone;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::from_e164(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.e164()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(cc: Option<&str>, n: &str) -> Result<String, String> {
        Phone::parse(cc, n)
            .map(|p| p.e164())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn messy_brazilian_numbers() {
        for n in [
            "11987654321",
            "(11) 98765-4321",
            " 11 98765 4321 ",
            "+55 11 98765-4321",
            "011987654321",
        ] {
            assert_eq!(e164(Some("55"), n), Ok("+5511987654321".into()), "{n}");
        }
        assert_eq!(
            e164(Some("+55"), "11987654321"),
            Ok("+5511987654321".into())
        );
    }

    #[test]
    fn uk_trunk_prefix_and_italian_leading_zero() {
        assert_eq!(e164(Some("44"), "07911 123456"), Ok("+447911123456".into()));
        let it = Phone::parse(Some("39"), "06 6982 1234");
        assert_eq!(
            it.as_ref().map(|p| p.national().to_string()),
            Ok("0669821234".into())
        );
    }

    #[test]
    fn rejections_say_why() {
        assert!(e164(None, "11987654321").is_err_and(|m| m.contains("no country code")));
        assert!(e164(Some("55"), "12").is_err());
        assert!(e164(Some("55"), "abc").is_err_and(|m| m.contains("digits only")));
        assert!(e164(Some("999"), "123456").is_err_and(|m| m.contains("not an assigned")));
        assert!(e164(Some("1"), "+55 11 98765-4321").is_err_and(|m| m.contains("says 1")));
    }

    #[test]
    fn e164_round_trip() {
        let p = Phone::parse(Some("55"), "11987654321").map_err(|e| e.to_string());
        let back = p
            .clone()
            .and_then(|p| Phone::from_e164(&p.e164()).map_err(|e| e.to_string()));
        assert_eq!(p, back);
        let stored = p.as_ref().ok().and_then(|p| Phone::from_stored(&p.e164()));
        assert_eq!(p.ok(), stored);
        assert_eq!(
            Phone::from_stored("+447911123456").map(|p| p.country_code()),
            Some(44)
        );
        assert_eq!(
            Phone::from_stored("+12125550100").map(|p| p.national().to_string()),
            Some("2125550100".into())
        );
    }
}

#[cfg(test)]
mod short_way_tests {
    use super::*;

    /// A small deterministic generator (no dependency for a test).
    struct Random(u64);

    impl Random {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }

        fn digits(&mut self, len: usize) -> String {
            (0..len)
                .map(|_| char::from(b'0' + self.below(10) as u8))
                .collect()
        }
    }

    /// The short way for digits-only numbers gives what the full path gives, number for number,
    /// refusals included: random digits of every calling code, alone and after the prefixes
    /// the full path reads (the calling code, the national prefix, a zero, an international
    /// prefix), and every region's example numbers.
    #[test]
    fn digits_only_numbers_read_as_the_full_path_reads_them() {
        let mut random = Random(12);
        let (mut compared, mut short) = (0, 0);
        for cc in 1..1000u16 {
            let Some(Some(id)) = region_of(cc) else {
                continue;
            };
            let Some(meta) = phonenumber::metadata::DATABASE.by_id(id.as_ref()) else {
                continue;
            };
            let d = meta.descriptors();
            let mut candidates: Vec<String> = [
                Some(d.general()),
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.voip(),
            ]
            .into_iter()
            .flatten()
            .filter_map(|d| d.example().map(str::to_string))
            .collect();
            let prefixes = [
                String::new(),
                cc.to_string(),
                meta.national_prefix().unwrap_or("0").to_string(),
                "0".to_string(),
                "00".to_string(),
                "011".to_string(),
            ];
            for example in candidates.clone() {
                for prefix in &prefixes {
                    candidates.push(format!("{prefix}{example}"));
                }
                let keep = example.len().saturating_sub(2);
                candidates.push(format!("{}{}", &example[..keep], random.digits(2)));
            }
            for len in 0..=18 {
                for _ in 0..6 {
                    let prefix = &prefixes[random.below(prefixes.len() as u64) as usize];
                    candidates.push(format!("{prefix}{}", random.digits(len)));
                }
            }
            let code = cc;
            for number in candidates {
                let cc = code.to_string();
                let full = Phone::parse_with(Some(&cc), &number, false);
                assert_eq!(
                    Phone::parse_with(Some(&cc), &number, true),
                    full,
                    "+{cc} {number}"
                );
                compared += 1;
                if let (Some(got), Ok(_)) = (digits::parse(code, id, &number), &full) {
                    assert_eq!(full.as_ref().map(Phone::country_code), Ok(got));
                    short += 1;
                }
            }
        }
        assert!(compared > 20_000, "compared {compared}");
        // The short way is taken for many valid numbers, not only refused ones.
        assert!(short > 1_000, "short {short}");
    }

    #[test]
    fn a_brazilian_mobile_takes_the_short_way() {
        let id = region_of(55).flatten();
        assert_eq!(
            id.and_then(|id| digits::parse(55, id, "11987654321")),
            Some(55)
        );
        assert_eq!(e164_of("11987654321"), Ok("+5511987654321".into()));
        // Written with its trunk prefix, it takes the full path, to the same number.
        assert_eq!(
            id.and_then(|id| digits::parse(55, id, "011987654321")),
            None
        );
        assert_eq!(e164_of("011987654321"), Ok("+5511987654321".into()));
    }

    fn e164_of(number: &str) -> Result<String, InvalidPhone> {
        Phone::parse(Some("55"), number).map(|p| p.e164())
    }
}
