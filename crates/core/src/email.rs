//! Email addresses: the sign-in name of every user, so the one key users are matched on.
//!
//! Validation is deliberately practical, not the full RFC 5322 grammar: Entra ID sign-in names are
//! `local@domain` with a dotted domain. Normalisation trims and lower-cases the whole address,
//! because the product treats emails as case-insensitive. Characters that spreadsheets treat as
//! formula starters (`=`, `+`, `-`, `@`) are legal in a local part; the CSV export neutralises them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::reason::Reason;

/// A valid, normalised (trimmed, lower-case) email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(type = "string"))]
pub struct Email(String);

/// Why a text is not an email address (shown as the clause `the email has no @`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.reason.detail().unwrap_or_default())]
pub struct InvalidEmail {
    pub reason: Reason,
}

fn invalid(reason: Reason) -> InvalidEmail {
    InvalidEmail { reason }
}

const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-.";

impl Email {
    /// Validates and normalises `text`.
    pub fn parse(text: &str) -> Result<Email, InvalidEmail> {
        let t = text.trim();
        if t.is_empty() {
            return Err(invalid(Reason::EmailEmpty));
        }
        if t.chars().count() > 254 {
            return Err(invalid(Reason::EmailTooLong));
        }
        let lower = t.to_lowercase();
        let Some((local, domain)) = lower.rsplit_once('@') else {
            return Err(invalid(Reason::EmailNoAt));
        };
        if local.is_empty() {
            return Err(invalid(Reason::EmailNothingBeforeAt));
        }
        if local.chars().count() > 64 {
            return Err(invalid(Reason::EmailLocalTooLong));
        }
        if let Some(c) = local
            .chars()
            .find(|c| !(c.is_alphanumeric() || LOCAL_SPECIALS.contains(*c)))
        {
            return Err(invalid(Reason::EmailBadLocalCharacter {
                character: c.to_string(),
            }));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(invalid(Reason::EmailMisplacedDot));
        }
        if domain.is_empty() {
            return Err(invalid(Reason::EmailNoDomain));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(invalid(Reason::EmailDomainNoDot {
                domain: domain.to_string(),
            }));
        }
        for label in &labels {
            if label.is_empty() {
                return Err(invalid(Reason::EmailDomainEmptyPart {
                    domain: domain.to_string(),
                }));
            }
            if label.len() > 63 {
                return Err(invalid(Reason::EmailDomainPartTooLong));
            }
            if let Some(c) = label.chars().find(|c| !(c.is_alphanumeric() || *c == '-')) {
                return Err(invalid(Reason::EmailBadDomainCharacter {
                    character: c.to_string(),
                }));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(invalid(Reason::EmailDomainHyphen {
                    domain: domain.to_string(),
                }));
            }
        }
        let tld = labels.last().copied().unwrap_or_default();
        if tld.chars().count() < 2 || tld.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid(Reason::EmailBadTopLevelDomain {
                domain: domain.to_string(),
            }));
        }
        Ok(Email(lower))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }

    /// Wraps a value read back from the store, which only ever holds normalised emails.
    pub fn from_stored(s: String) -> Email {
        Email(s)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = InvalidEmail;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Email::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl std::str::FromStr for Email {
    type Err = InvalidEmail;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Email::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_spaces() {
        assert_eq!(
            Email::parse("  Ana@ACME.com ").map(String::from),
            Ok("ana@acme.com".into())
        );
    }

    #[test]
    fn formula_like_local_parts_are_valid() {
        for e in [
            "=1+2@acme.com",
            "+sum@acme.com",
            "-x@acme.com",
            "@a@acme.com",
        ] {
            // `@a@acme.com` has two @: the last one splits, and '@' is not a local character.
            let r = Email::parse(e);
            if e.starts_with('@') {
                assert!(r.is_err(), "{e}");
            } else {
                assert!(r.is_ok(), "{e}: {r:?}");
            }
        }
    }

    #[test]
    fn rejects_with_reasons() {
        for (e, why) in [
            ("", "empty"),
            ("ana", "no @"),
            ("@acme.com", "nothing before"),
            ("ana@", "no domain"),
            ("ana@acme", "no dot"),
            ("ana@acme..com", "empty part"),
            ("ana smith@acme.com", "' '"),
            ("ana@acme.c", "top-level"),
            ("ana@-acme.com", "starts or ends"),
            ("a..b@acme.com", "misplaced dot"),
        ] {
            let r = Email::parse(e).map_err(|x| x.to_string());
            assert!(matches!(&r, Err(m) if m.contains(why)), "{e:?} gave {r:?}");
        }
    }

    #[test]
    fn international_addresses() {
        assert!(Email::parse("joão@exemplo.com.br").is_ok());
        assert_eq!(
            Email::parse("ANA@acme.com").map(|e| e.domain().to_string()),
            Ok("acme.com".into())
        );
    }
}
