//! The SCIM resources as JSON: users and groups rendered from the store's records and read
//! back from requests, and the discovery documents (`ServiceProviderConfig`, `ResourceTypes`,
//! `Schemas`) that say honestly what this server keeps and supports.
//!
//! A user's `userName` is their email (read by the same rule as everywhere: [`Email::parse`]);
//! their phone is the primary (or else the last) of `phoneNumbers`, in E.164 ([`Phone::parse`]);
//! `active` may come as a string (Entra ID sends `"False"`). The product's own attributes
//! (role, license, budget) live in [`EXTENSION`].

use omni_core::model::{Role, Usd};
use omni_core::{Email, Phone};
use omni_store::scim::{ScimExtension, ScimGroup, ScimUser, ScimUserState};
use serde_json::{json, Value};

use super::error::{ScimError, ScimResult};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The product's own attributes of a user.
pub const EXTENSION: &str = "urn:poweromni:params:scim:schemas:extension:admin:2.0:User";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// A user's or group's `ETag` (weak: the resource's version).
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// The version an `If-Match` names, when it names one (`*` names none).
pub fn version_of(if_match: &str) -> Option<i64> {
    let v = if_match.trim();
    let v = v.strip_prefix("W/").unwrap_or(v);
    v.trim_matches('"').parse().ok()
}

fn meta(kind: &str, base: &str, id: i64, created: String, modified: String, version: i64) -> Value {
    json!({
        "resourceType": kind,
        "created": created,
        "lastModified": modified,
        "location": format!("{base}/{kind}s/{id}"),
        "version": etag(version),
    })
}

/// A user as SCIM shows them.
pub fn user_json(u: &ScimUser, base: &str) -> Value {
    let user = &u.user;
    let mut out = json!({
        "schemas": [USER_SCHEMA, EXTENSION],
        "id": user.id.to_string(),
        "userName": user.email.as_str(),
        "active": u.active,
        "emails": [{"value": user.email.as_str(), "type": "work", "primary": true}],
        EXTENSION: {
            "role": user.role.as_str(),
            "licensed": user.licensed,
            "budget": user.budget.map(Usd::decimal),
        },
        "meta": meta("User", base, user.id, user.created_at.rfc3339(), user.updated_at.rfc3339(), user.version),
    });
    if let Some(x) = &u.external_id {
        out["externalId"] = json!(x);
    }
    if let Some(p) = &user.phone {
        // Only the number is kept: its type and primary flag are not.
        out["phoneNumbers"] = json!([{ "value": p.e164() }]);
    }
    out
}

/// A group as SCIM shows it.
pub fn group_json(g: &ScimGroup, base: &str) -> Value {
    let members: Vec<Value> = g
        .members
        .iter()
        .map(|(id, email)| {
            // Only what a request can state: a member's email and type are not stated back.
            let _ = email;
            json!({"value": id.to_string(), "$ref": format!("{base}/Users/{id}")})
        })
        .collect();
    // A group's times are not kept apart from its version: the version says it changed.
    let mut out = json!({
        "schemas": [GROUP_SCHEMA],
        "id": g.group.id.to_string(),
        "displayName": g.group.name,
        "members": members,
        "meta": {
            "resourceType": "Group",
            "location": format!("{base}/Groups/{}", g.group.id),
            "version": etag(g.group.version),
        },
    });
    if let Some(x) = &g.external_id {
        out["externalId"] = json!(x);
    }
    out
}

/// The value of attribute `name` of `obj`, its name compared without regard to case.
pub fn get<'a>(obj: &'a Value, name: &str) -> Option<&'a Value> {
    obj.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

/// A boolean as identity providers send it: `true`, or the strings `"True"`/`"false"`.
fn boolean(v: &Value, what: &str) -> ScimResult<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ScimError::bad(
            "invalidValue",
            format!("{what} must be true or false."),
        )),
    }
}

fn invalid(e: impl Into<omni_core::Error>) -> ScimError {
    ScimError::bad("invalidValue", e.into().message)
}

/// The user a request states (`POST`, `PUT`, or a `PATCH` applied: `patched`, where what is
/// missing was removed by the PATCH: `active`, `role` and `licensed` cannot be, and a budget
/// removed is cleared).
pub fn user_state(body: &Value, patched: bool) -> ScimResult<ScimUserState> {
    if !body.is_object() {
        return Err(ScimError::bad(
            "invalidSyntax",
            "The body must be a JSON object.",
        ));
    }
    let name = get(body, "userName")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ScimError::bad("invalidValue", "userName (the person's email) is required.")
        })?;
    let email = Email::parse(name).map_err(invalid)?;
    let external_id = external_id(body);
    let active = match get(body, "active") {
        Some(v) => boolean(v, "active")?,
        None if patched => return Err(cannot_remove("active")),
        None => true,
    };
    let phone = match get(body, "phoneNumbers") {
        Some(Value::Array(items)) => {
            let chosen = items
                .iter()
                .find(|i| get(i, "primary").is_some_and(|p| boolean(p, "primary").unwrap_or(false)))
                // Else the last: what a PATCH like `phoneNumbers[type eq "mobile"].value`
                // adds beside the number kept (which is stored without its type).
                .or_else(|| items.last());
            match chosen.and_then(|i| get(i, "value")).and_then(Value::as_str) {
                Some(v) if !v.trim().is_empty() => {
                    let v = v.trim().strip_prefix("tel:").unwrap_or(v.trim());
                    Some(Phone::parse(None, v).map_err(invalid)?)
                }
                _ => None,
            }
        }
        Some(_) => {
            return Err(ScimError::bad(
                "invalidValue",
                "phoneNumbers must be a list.",
            ))
        }
        None => None,
    };
    let extension = match get(body, EXTENSION) {
        Some(ext) => extension(ext, patched)?,
        None if patched => return Err(cannot_remove(EXTENSION)),
        None => ScimExtension::default(),
    };
    Ok(ScimUserState {
        email,
        phone,
        external_id,
        active,
        extension,
    })
}

fn cannot_remove(attr: &str) -> ScimError {
    ScimError::bad(
        "mutability",
        format!("{attr} always has a value: replace it rather than remove it."),
    )
}

fn extension(ext: &Value, patched: bool) -> ScimResult<ScimExtension> {
    let role = match get(ext, "role") {
        Some(Value::String(s)) => Some(
            s.trim()
                .to_ascii_lowercase()
                .parse::<Role>()
                .map_err(invalid)?,
        ),
        Some(_) => return Err(ScimError::bad("invalidValue", "role must be a string.")),
        None if patched => return Err(cannot_remove("role")),
        None => None,
    };
    let licensed = match get(ext, "licensed") {
        Some(v) => Some(boolean(v, "licensed")?),
        None if patched => return Err(cannot_remove("licensed")),
        None => None,
    };
    let budget = match ext
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("budget")))
    {
        None if patched => Some(None),
        None => None,
        Some((_, Value::Null)) => Some(None),
        Some((_, Value::String(s))) if s.trim().is_empty() => Some(None),
        Some((_, Value::String(s))) => Some(Some(Usd::parse(s).map_err(invalid)?)),
        Some((_, Value::Number(n))) => Some(Some(Usd::parse(&n.to_string()).map_err(invalid)?)),
        Some(_) => {
            return Err(ScimError::bad(
                "invalidValue",
                "budget must be an amount in US dollars.",
            ))
        }
    };
    Ok(ScimExtension {
        role,
        licensed,
        budget,
    })
}

/// The user ids of a group's `members`.
pub fn member_ids(group: &Value) -> ScimResult<Vec<i64>> {
    let Some(members) = get(group, "members") else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = members else {
        return Err(ScimError::bad("invalidValue", "members must be a list."));
    };
    let mut out = Vec::new();
    for m in items {
        let v = get(m, "value").ok_or_else(|| {
            ScimError::bad("invalidValue", "Each member needs a value (a user id).")
        })?;
        let id = match v {
            Value::String(s) => s.trim().parse().ok(),
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
        .ok_or_else(|| ScimError::not_found(format!("There is no user {v}.")))?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// A resource's `externalId`.
pub fn external_id(body: &Value) -> Option<String> {
    match get(body, "externalId")? {
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A group's `displayName`.
pub fn display_name(group: &Value) -> ScimResult<String> {
    get(group, "displayName")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ScimError::bad("invalidValue", "displayName is required."))
}

/// Keeps only the attributes asked for (`attributes`), or drops those not wanted
/// (`excludedAttributes`), at the top level or within the extension; `id`, `schemas` and
/// `meta` always stay.
pub fn project(resource: &mut Value, attributes: Option<&str>, excluded: Option<&str>) {
    let names = |s: &str| -> Vec<String> {
        s.split(',')
            .map(|a| super::filter::attr_name(a.trim()))
            .filter(|a| !a.is_empty())
            .collect()
    };
    let Some(obj) = resource.as_object_mut() else {
        return;
    };
    let always = ["id", "schemas", "meta"];
    let ext_lower = EXTENSION.to_ascii_lowercase();
    if let Some(attrs) = attributes.filter(|a| !a.trim().is_empty()) {
        let wanted = names(attrs);
        let top = |k: &str| {
            wanted
                .iter()
                .map(|w| w.split('.').next().unwrap_or(w).to_string())
                .any(|w| w == k.to_ascii_lowercase())
        };
        obj.retain(|k, _| {
            always.contains(&k.as_str())
                || top(k)
                || k.eq_ignore_ascii_case(EXTENSION)
                    && wanted.iter().any(|w| w.starts_with(&ext_lower))
        });
        if let Some(Value::Object(ext)) = obj.get_mut(EXTENSION) {
            let inner: Vec<String> = wanted
                .iter()
                .filter_map(|w| w.strip_prefix(&format!("{ext_lower}:")).map(str::to_string))
                .collect();
            if !inner.is_empty() {
                ext.retain(|k, _| inner.contains(&k.to_ascii_lowercase()));
            }
        }
    }
    if let Some(ex) = excluded.filter(|a| !a.trim().is_empty()) {
        for name in names(ex) {
            if let Some(inner) = name.strip_prefix(&format!("{ext_lower}:")) {
                if let Some(Value::Object(ext)) = obj.get_mut(EXTENSION) {
                    ext.retain(|k, _| !k.eq_ignore_ascii_case(inner));
                }
                continue;
            }
            obj.retain(|k, _| always.contains(&k.as_str()) || !k.eq_ignore_ascii_case(&name));
        }
    }
}

/// What this server supports, as `GET /ServiceProviderConfig` says it.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/power-omni/admin/blob/main/docs/scim.md",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": super::MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Provisioning token",
            "description": "A bearer token an Administrator creates for the organization (Settings, or omni-server scim token create).",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}

/// The two resource types.
pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User", "name": "User", "endpoint": "/Users",
            "description": "A person of the organization",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": EXTENSION, "required": true}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group", "name": "Group", "endpoint": "/Groups",
            "description": "A group of the organization",
            "schema": GROUP_SCHEMA,
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}

fn attr(
    name: &str,
    kind: &str,
    required: bool,
    mutability: &str,
    uniqueness: &str,
    description: &str,
) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "description": description,
        "required": required, "caseExact": false, "mutability": mutability,
        "returned": "default", "uniqueness": uniqueness,
    })
}

fn multi(name: &str, description: &str, subs: Vec<Value>) -> Value {
    json!({
        "name": name, "type": "complex", "multiValued": true, "description": description,
        "required": false, "mutability": "readWrite", "returned": "default",
        "uniqueness": "none", "subAttributes": subs,
    })
}

/// The schemas: only the attributes this server keeps.
pub fn schemas(base: &str) -> Vec<Value> {
    let schema = |id: &str, name: &str, description: &str, attributes: Vec<Value>| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": id, "name": name, "description": description, "attributes": attributes,
            "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
        })
    };
    let mut external = attr(
        "externalId",
        "string",
        false,
        "readWrite",
        "none",
        "The identity provider's id of the person",
    );
    external["caseExact"] = json!(true);
    let mut ref_attr = attr(
        "$ref",
        "reference",
        false,
        "immutable",
        "none",
        "The member's address",
    );
    ref_attr["referenceTypes"] = json!(["User"]);
    let mut budget = attr(
        "budget",
        "decimal",
        false,
        "readWrite",
        "none",
        "Monthly budget in US dollars; null: no limit",
    );
    budget["type"] = json!("string");
    let mut emails = multi(
        "emails",
        "The email (the userName; read-only here)",
        vec![
            attr("value", "string", false, "readOnly", "none", "The email"),
            attr("type", "string", false, "readOnly", "none", "work"),
            attr("primary", "boolean", false, "readOnly", "none", "true"),
        ],
    );
    emails["mutability"] = json!("readOnly");
    let mut role = attr(
        "role",
        "string",
        true,
        "readWrite",
        "none",
        "user or collaborator (provisioning never grants administrator); user when not sent",
    );
    role["canonicalValues"] = json!(["user", "collaborator", "administrator"]);
    vec![
        schema(USER_SCHEMA, "User", "A person of the organization", vec![
            attr("userName", "string", true, "readWrite", "server", "The person's email, their Entra ID sign-in name"),
            external,
            attr("active", "boolean", true, "readWrite", "none", "false: deactivated (deleted, restorable, their seat back to the pool); true when not sent"),
            emails,
            multi("phoneNumbers", "The phone number (the primary, or else the last sent), E.164; only the number is kept", vec![
                attr("value", "string", false, "readWrite", "none", "E.164, e.g. +5511987654321"),
                attr("type", "string", false, "readOnly", "none", "work, mobile, ... (not kept)"),
                attr("primary", "boolean", false, "readOnly", "none", "Which number is kept when several come (not kept)"),
            ]),
        ]),
        schema(GROUP_SCHEMA, "Group", "A group of the organization", vec![
            attr("displayName", "string", true, "readWrite", "server", "The group's name"),
            multi("members", "The users in the group", vec![
                attr("value", "string", false, "immutable", "none", "The user's id"),
                ref_attr,
            ]),
        ]),
        schema(EXTENSION, "PowerOmniUser", "Power Omni: role, license and budget", vec![
            role,
            attr("licensed", "boolean", true, "readWrite", "none", "Holds one of the organization's seats; as the organization's settings say when not sent"),
            budget,
        ]),
    ]
}

/// A list response.
pub fn list(resources: Vec<Value>, total: i64, start_index: i64) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_user_as_entra_sends_it() {
        let body = json!({
            "schemas": [USER_SCHEMA],
            "userName": "Ana.Souza@Acme.com",
            "externalId": "0a1b",
            "active": "False",
            "phoneNumbers": [{"type": "mobile", "value": "+55 11 98765-4321"}],
        });
        let s = user_state(&body, false).unwrap();
        assert_eq!(s.email.as_str(), "ana.souza@acme.com");
        assert_eq!(s.phone.unwrap().e164(), "+5511987654321");
        assert_eq!(s.external_id.as_deref(), Some("0a1b"));
        assert!(!s.active);
        assert_eq!(s.extension, ScimExtension::default());
    }

    #[test]
    fn refuses_what_is_not_an_email_or_a_phone() {
        let e = user_state(&json!({"userName": "not-an-email"}), false).unwrap_err();
        assert_eq!(
            (e.status.as_u16(), e.scim_type),
            (400, Some("invalidValue"))
        );
        let e = user_state(
            &json!({"userName": "a@acme.com", "phoneNumbers": [{"value": "12"}]}),
            false,
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some("invalidValue"));
    }

    #[test]
    fn versions_from_if_match() {
        assert_eq!(version_of("W/\"7\""), Some(7));
        assert_eq!(version_of("\"7\""), Some(7));
        assert_eq!(version_of("*"), None);
    }
}
