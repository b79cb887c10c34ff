//! SCIM filters (RFC 7644 §3.4.2.2), the part identity providers send: `attr eq "value"`
//! conditions joined by `and` (Entra ID: `userName eq "ana@acme.com"`, `externalId eq "…"`,
//! `displayName eq "Sales"`; in PATCH paths, `members[value eq "42"]`). Attribute names are
//! case-insensitive. Anything else is refused as `invalidFilter`, which the
//! `ServiceProviderConfig` states.

use serde_json::Value;

use super::error::{ScimError, ScimResult};

/// One `attr eq value` condition; the attribute lower-cased, without a core schema prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub attr: String,
    pub value: Value,
}

/// A filter: every condition must hold.
pub type Filter = Vec<Condition>;

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad("invalidFilter", detail)
}

/// Reads a filter.
pub fn parse(text: &str) -> ScimResult<Filter> {
    let mut rest = text.trim();
    let mut out = Vec::new();
    loop {
        let (cond, after) = condition(rest)?;
        out.push(cond);
        rest = after.trim_start();
        if rest.is_empty() {
            return Ok(out);
        }
        let (word, after) = word(rest);
        if !word.eq_ignore_ascii_case("and") {
            return Err(invalid(format!(
                "Only conditions joined by \"and\" are supported, not {word:?}."
            )));
        }
        rest = after.trim_start();
    }
}

fn word(s: &str) -> (&str, &str) {
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

fn condition(s: &str) -> ScimResult<(Condition, &str)> {
    let (attr, rest) = word(s.trim_start());
    if attr.is_empty() || attr.starts_with('(') {
        return Err(invalid("Write a filter as attribute eq \"value\"."));
    }
    let (op, rest) = word(rest.trim_start());
    if !op.eq_ignore_ascii_case("eq") {
        return Err(invalid(format!(
            "Only the eq operator is supported, not {op:?}."
        )));
    }
    let (value, rest) = value(rest.trim_start())?;
    Ok((
        Condition {
            attr: attr_name(attr),
            value,
        },
        rest,
    ))
}

/// An attribute's name as compared: lower case, without the core schemas' URN.
pub fn attr_name(attr: &str) -> String {
    let lower = attr.to_ascii_lowercase();
    for core in [
        "urn:ietf:params:scim:schemas:core:2.0:user:",
        "urn:ietf:params:scim:schemas:core:2.0:group:",
    ] {
        if let Some(rest) = lower.strip_prefix(core) {
            return rest.to_string();
        }
    }
    lower
}

fn value(s: &str) -> ScimResult<(Value, &str)> {
    if s.starts_with('"') {
        // A JSON string: find its closing quote, minding escapes.
        let bytes = s.as_bytes();
        let mut i = 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => {
                    let v: Value = serde_json::from_str(&s[..=i])
                        .map_err(|_| invalid("A string in the filter is not valid."))?;
                    return Ok((v, &s[i + 1..]));
                }
                _ => i += 1,
            }
        }
        return Err(invalid("A string in the filter has no closing quote."));
    }
    let (w, _) = word(s);
    let w = w.trim_end_matches(']');
    let consumed = &s[w.len()..];
    match serde_json::from_str::<Value>(&w.to_ascii_lowercase()) {
        Ok(v @ (Value::Bool(_) | Value::Null | Value::Number(_))) => Ok((v, consumed)),
        _ => Err(invalid(format!("{w:?} is not a value: quote strings."))),
    }
}

/// Whether `item` (a JSON object) meets every condition: strings compare without regard to
/// case (the attributes filtered on in paths are not case-exact: `type`, `value`).
pub fn matches(filter: &Filter, item: &Value) -> bool {
    filter.iter().all(|c| {
        let found = item.as_object().and_then(|o| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&c.attr))
                .map(|(_, v)| v)
        });
        match (found, &c.value) {
            (Some(Value::String(a)), Value::String(b)) => a.eq_ignore_ascii_case(b),
            (Some(a), b) => a == b,
            (None, _) => false,
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_what_entra_sends() {
        let f = parse("userName eq \"Ana@Acme.com\"").unwrap();
        assert_eq!(
            f,
            vec![Condition {
                attr: "username".into(),
                value: json!("Ana@Acme.com")
            }]
        );
        let f = parse("externalId eq \"a\\\"b\" and userName eq \"x@y.com\"").unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].value, json!("a\"b"));
        let f =
            parse("urn:ietf:params:scim:schemas:core:2.0:User:userName EQ \"x@y.com\"").unwrap();
        assert_eq!(f[0].attr, "username");
        assert_eq!(parse("active eq true").unwrap()[0].value, json!(true));
    }

    #[test]
    fn refuses_what_it_does_not_support() {
        for bad in [
            "userName co \"a\"",
            "userName eq \"a\" or id eq \"1\"",
            "userName eq a",
            "",
            "userName eq \"open",
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.scim_type, Some("invalidFilter"), "{bad}");
        }
    }

    #[test]
    fn matches_elements_by_their_attributes() {
        let f = parse("type eq \"work\"").unwrap();
        assert!(matches(&f, &json!({"type": "Work", "value": "x"})));
        assert!(!matches(&f, &json!({"type": "home"})));
    }
}
