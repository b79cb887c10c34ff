//! One value of a form or a command line: an email, a phone number, a role name, a budget.
//! Each refusal names the form field it belongs to, which the CLI and the server ignore and the
//! desktop app shows the sentence beside.

use omni_core::error::Result;
use omni_core::model::{Role, Usd};
use omni_core::{Email, Error, Phone};

/// The email in `text`; a refusal is on `field` (`email` in the user form, `owner` in the
/// organization's).
pub fn email(text: &str, field: &str) -> Result<Email> {
    Email::parse(text).map_err(|e| Error::from(e).on_field(field))
}

/// The phone number `number`, with its country calling code when one is given. A blank number
/// is no phone (a form's empty box, a body's `""`); a blank country code is none.
pub fn phone(country_code: Option<&str>, number: Option<&str>) -> Result<Option<Phone>> {
    let Some(number) = number.filter(|n| !n.trim().is_empty()) else {
        return Ok(None);
    };
    let cc = country_code.filter(|c| !c.trim().is_empty());
    Phone::parse(cc, number)
        .map(Some)
        .map_err(|e| Error::from(e).on_field("phone"))
}

/// The role named by `text`: user, collaborator or administrator (also "admin"), in any case.
pub fn role(text: &str) -> Result<Role> {
    text.parse::<Role>()
        .map_err(|e| Error::from(e).on_field("role"))
}

/// The role named, or User when none is.
pub fn role_or_user(text: Option<&str>) -> Result<Role> {
    Ok(text.map(role).transpose()?.unwrap_or(Role::User))
}

/// A monthly budget in US dollars, as typed: `None` means no limit. An empty text, "none" (in
/// any case) and an amount of zero all mean no limit.
pub fn budget(text: &str) -> Result<Option<Usd>> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let amount = Usd::parse(t).map_err(|e| Error::from(e).on_field("budget"))?;
    Ok(Some(amount).filter(|a| a.0 > 0))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use omni_core::Reason;

    #[test]
    fn no_limit_is_empty_none_or_zero() {
        for text in ["", "  ", "none", "NONE", " None ", "0", "0.00", "$0"] {
            assert_eq!(budget(text).unwrap(), None, "{text:?}");
        }
        assert_eq!(budget("50").unwrap(), Some(Usd(50_000_000)));
        assert_eq!(budget(" 12.40 ").unwrap(), Some(Usd(12_400_000)));
    }

    #[test]
    fn a_bad_amount_keeps_its_sentence_and_names_the_field() {
        let e = budget("ten").unwrap_err();
        assert_eq!(
            e.message,
            "\"ten\" is not an amount in US dollars: write it like 50 or 12.40 (at most 6 decimals)."
        );
        assert_eq!(e.field.as_deref(), Some("budget"));
        assert_eq!(e.reason, Some(Reason::BadAmount { text: "ten".into() }));
    }

    #[test]
    fn roles_are_read_in_any_case_and_default_to_user() {
        assert_eq!(role(" COLLABORATOR ").unwrap(), Role::Collaborator);
        assert_eq!(role("admin").unwrap(), Role::Administrator);
        assert_eq!(role_or_user(None).unwrap(), Role::User);
        let e = role("owner").unwrap_err();
        assert_eq!(
            e.message,
            "unknown role \"owner\": use administrator, collaborator or user."
        );
        assert_eq!(e.field.as_deref(), Some("role"));
    }

    #[test]
    fn a_blank_phone_is_no_phone_and_a_blank_country_code_none() {
        assert_eq!(phone(Some("55"), None).unwrap(), None);
        assert_eq!(phone(Some("55"), Some("  ")).unwrap(), None);
        let p = phone(Some(""), Some("+55 11 98765-4321")).unwrap().unwrap();
        assert_eq!(p.e164(), "+5511987654321");
        let e = phone(None, Some("11987654321")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("phone"));
    }

    #[test]
    fn an_email_refusal_is_on_the_field_asked() {
        let e = email("nobody", "owner").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("owner"));
        assert_eq!(e.message, "Invalid email: the email has no @.");
    }
}
