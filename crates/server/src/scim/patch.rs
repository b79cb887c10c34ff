//! SCIM PATCH (RFC 7644 §3.5.2), applied to a resource as JSON: the server renders what it
//! has, applies the operations here, and stores the result as it would a `PUT` (the store
//! compares it with what it read, in one transaction). Operation names are case-insensitive
//! (Entra ID sends `Add`, `Replace`, `Remove`), and so are attribute names.
//!
//! Paths: `attr`, `attr.sub`, an extension's `urn:…:attr`, `attr[filter]` and
//! `attr[filter].sub`. With no path, `add` and `replace` take an object of attributes.

use serde_json::{Map, Value};

use super::error::{ScimError, ScimResult};
use super::filter::{self, Filter};

/// The message schema of a PATCH request.
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// Where an operation's path points.
#[derive(Debug)]
struct Target {
    /// The extension object holding the attribute, when the path names one.
    extension: Option<String>,
    attr: String,
    filter: Option<Filter>,
    sub: Option<String>,
}

/// Applies a PATCH request's body to `resource`. `extensions` are the schema URNs whose
/// attributes live in an object of their own.
pub fn apply(resource: &mut Value, body: &Value, extensions: &[&str]) -> ScimResult<()> {
    let schemas_ok = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(PATCH_SCHEMA)));
    if !schemas_ok {
        return Err(ScimError::bad(
            "invalidSyntax",
            format!("A PATCH body must name the schema {PATCH_SCHEMA}."),
        ));
    }
    let ops = body
        .get("Operations")
        .or_else(|| body.get("operations"))
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::bad("invalidSyntax", "A PATCH body needs Operations."))?;
    for op in ops {
        one(resource, op, extensions)?;
    }
    Ok(())
}

fn one(resource: &mut Value, op: &Value, extensions: &[&str]) -> ScimResult<()> {
    let name = op.get("op").and_then(Value::as_str).unwrap_or_default();
    let kind = match name.to_ascii_lowercase().as_str() {
        "add" => Op::Add,
        "replace" => Op::Replace,
        "remove" => Op::Remove,
        _ => {
            return Err(ScimError::bad(
                "invalidSyntax",
                format!("{name:?} is not a PATCH operation: use add, replace or remove."),
            ))
        }
    };
    let value = op.get("value").cloned();
    let path = op
        .get("path")
        .and_then(Value::as_str)
        .filter(|p| !p.trim().is_empty());
    let Some(path) = path else {
        if kind == Op::Remove {
            return Err(ScimError::bad(
                "noTarget",
                "A remove operation needs a path.",
            ));
        }
        let Some(Value::Object(values)) = value else {
            return Err(ScimError::bad(
                "invalidValue",
                "Without a path, the value must be an object of attributes.",
            ));
        };
        for (k, v) in values {
            // An extension's URN names its object; other keys may be `urn:…:attr` paths too.
            if let Some(ext) = extensions.iter().find(|e| e.eq_ignore_ascii_case(&k)) {
                if let Value::Object(inner) = v {
                    for (ik, iv) in inner {
                        let target = resolve(&format!("{ext}:{ik}"), extensions)?;
                        set(resource, &target, kind, Some(iv))?;
                    }
                }
                continue;
            }
            let target = resolve(&k, extensions)?;
            set(resource, &target, kind, Some(v))?;
        }
        return Ok(());
    };
    let target = resolve(path, extensions)?;
    set(resource, &target, kind, value)
}

fn resolve(path: &str, extensions: &[&str]) -> ScimResult<Target> {
    // An extension's whole object (its URN has dots: never read as `attr.sub`).
    if let Some(ext) = extensions
        .iter()
        .find(|e| e.eq_ignore_ascii_case(path.trim()))
    {
        return Ok(Target {
            extension: None,
            attr: (*ext).to_string(),
            filter: None,
            sub: None,
        });
    }
    let mut rest = path.trim().to_string();
    let mut extension = None;
    for ext in extensions {
        let prefix = format!("{}:", ext.to_ascii_lowercase());
        if rest.to_ascii_lowercase().starts_with(&prefix) {
            extension = Some((*ext).to_string());
            rest = rest[prefix.len()..].to_string();
        }
    }
    if extension.is_none() {
        rest = strip_core(&rest);
    }
    let (head, filter, sub) = match rest.find('[') {
        Some(open) => {
            let close = rest.rfind(']').ok_or_else(|| {
                ScimError::bad("invalidPath", format!("{path:?} has no closing ]."))
            })?;
            let f = filter::parse(&rest[open + 1..close])
                .map_err(|e| ScimError::bad("invalidPath", e.detail))?;
            let after = rest[close + 1..].trim_start_matches('.');
            let sub = (!after.is_empty()).then(|| after.to_string());
            (rest[..open].to_string(), Some(f), sub)
        }
        None => match rest.split_once('.') {
            Some((a, b)) => (a.to_string(), None, Some(b.to_string())),
            None => (rest.clone(), None, None),
        },
    };
    if head.is_empty() {
        return Err(ScimError::bad(
            "invalidPath",
            format!("{path:?} names no attribute."),
        ));
    }
    Ok(Target {
        extension,
        attr: head,
        filter,
        sub,
    })
}

fn strip_core(path: &str) -> String {
    let lower = path.to_ascii_lowercase();
    for core in [
        "urn:ietf:params:scim:schemas:core:2.0:user:",
        "urn:ietf:params:scim:schemas:core:2.0:group:",
    ] {
        if lower.starts_with(core) {
            return path[core.len()..].to_string();
        }
    }
    path.to_string()
}

/// The object holding the target's attribute (the resource, or its extension's object).
fn holder<'a>(resource: &'a mut Value, target: &Target) -> ScimResult<&'a mut Map<String, Value>> {
    let root = resource
        .as_object_mut()
        .ok_or_else(|| ScimError::bad("invalidPath", "The resource is not an object."))?;
    let Some(ext) = &target.extension else {
        return Ok(root);
    };
    let key = key_of(root, ext);
    let entry = root.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    entry
        .as_object_mut()
        .ok_or_else(|| ScimError::bad("invalidPath", "The extension is not an object."))
}

/// The key in `map` equal to `name` but for case, or `name`.
fn key_of(map: &Map<String, Value>, name: &str) -> String {
    map.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_string())
}

fn set(resource: &mut Value, target: &Target, op: Op, value: Option<Value>) -> ScimResult<()> {
    if op != Op::Remove && value.is_none() {
        return Err(ScimError::bad(
            "invalidValue",
            "An add or replace operation needs a value.",
        ));
    }
    let map = holder(resource, target)?;
    let key = key_of(map, &target.attr);
    match (&target.filter, &target.sub) {
        (None, None) => {
            match op {
                Op::Remove => match value {
                    // Remove these elements of a multi-valued attribute (Entra ID removes group
                    // members so: `{"op": "Remove", "path": "members", "value": [{"value": "42"}]}`).
                    Some(Value::Array(gone)) => {
                        if let Some(Value::Array(items)) = map.get_mut(&key) {
                            items.retain(|i| !gone.iter().any(|g| same_element(i, g)));
                        }
                    }
                    _ => {
                        map.remove(&key);
                    }
                },
                Op::Add => {
                    let v = value.unwrap_or(Value::Null);
                    match (map.get_mut(&key), v) {
                        (Some(Value::Array(items)), Value::Array(new)) => {
                            for n in new {
                                if !items.iter().any(|i| same_element(i, &n)) {
                                    items.push(n);
                                }
                            }
                        }
                        (Some(Value::Object(obj)), Value::Object(new)) => {
                            for (k, v) in new {
                                let k2 = key_of(obj, &k);
                                obj.insert(k2, v);
                            }
                        }
                        (_, v) => {
                            map.insert(key, v);
                        }
                    }
                }
                Op::Replace => {
                    let v = value.unwrap_or(Value::Null);
                    match (map.get_mut(&key), v) {
                        (Some(Value::Object(obj)), Value::Object(new)) => {
                            for (k, v) in new {
                                let k2 = key_of(obj, &k);
                                obj.insert(k2, v);
                            }
                        }
                        (_, v) => {
                            map.insert(key, v);
                        }
                    }
                }
            }
            Ok(())
        }
        (None, Some(sub)) => {
            let entry = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Array(items) = entry {
                // `emails.value` on a multi-valued attribute: its primary (or only) element.
                if items.is_empty() {
                    items.push(Value::Object(Map::new()));
                }
                let i = items
                    .iter()
                    .position(|i| i.get("primary") == Some(&Value::Bool(true)))
                    .unwrap_or(0);
                set_sub(&mut items[i], sub, op, value);
                return Ok(());
            }
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            set_sub(entry, sub, op, value);
            Ok(())
        }
        (Some(f), sub) => {
            let entry = map.entry(key).or_insert_with(|| Value::Array(Vec::new()));
            if !entry.is_array() {
                *entry = Value::Array(Vec::new());
            }
            let Value::Array(items) = entry else {
                return Ok(());
            };
            let found = items.iter().any(|i| filter::matches(f, i));
            match (op, sub) {
                (Op::Remove, None) => items.retain(|i| !filter::matches(f, i)),
                (Op::Remove, Some(sub)) => {
                    for i in items.iter_mut().filter(|i| filter::matches(f, i)) {
                        set_sub(i, sub, op, None);
                    }
                }
                (_, Some(sub)) if found => {
                    for i in items.iter_mut().filter(|i| filter::matches(f, i)) {
                        set_sub(i, sub, op, value.clone());
                    }
                }
                (_, Some(sub)) => {
                    // No element matches yet: make one that does (`emails[type eq "work"].value`).
                    let mut new = Map::new();
                    for c in f {
                        new.insert(c.attr.clone(), c.value.clone());
                    }
                    let mut new = Value::Object(new);
                    set_sub(&mut new, sub, op, value);
                    items.push(new);
                }
                (_, None) => {
                    let v = value.unwrap_or(Value::Null);
                    let mut replaced = false;
                    for i in items.iter_mut().filter(|i| filter::matches(f, i)) {
                        if let (Value::Object(obj), Value::Object(new)) = (&mut *i, &v) {
                            for (k, nv) in new {
                                let k2 = key_of(obj, k);
                                obj.insert(k2, nv.clone());
                            }
                        } else {
                            *i = v.clone();
                        }
                        replaced = true;
                    }
                    if !replaced {
                        items.push(v);
                    }
                }
            }
            Ok(())
        }
    }
}

fn set_sub(item: &mut Value, sub: &str, op: Op, value: Option<Value>) {
    let Value::Object(obj) = item else {
        return;
    };
    let key = key_of(obj, sub);
    match (op, value) {
        (Op::Remove, _) | (_, None) => {
            obj.remove(&key);
        }
        (_, Some(v)) => {
            obj.insert(key, v);
        }
    }
}

/// Two elements of a multi-valued attribute are the same when their `value`s are (or they
/// are equal).
fn same_element(a: &Value, b: &Value) -> bool {
    match (a.get("value"), b.get("value")) {
        (Some(x), Some(y)) => x == y || x.as_str().zip(y.as_str()).is_some_and(|(x, y)| x == y),
        _ => a == b,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const EXT: &str = "urn:example:params:scim:schemas:extension:x:2.0:User";

    fn patch(ops: Value) -> Value {
        json!({"schemas": [PATCH_SCHEMA], "Operations": ops})
    }

    #[test]
    fn entra_capitalized_ops_and_string_booleans_reach_the_resource() {
        let mut r = json!({"userName": "a@b.com", "active": true});
        let body = patch(json!([{"op": "Replace", "path": "active", "value": "False"}]));
        apply(&mut r, &body, &[EXT]).unwrap();
        assert_eq!(r["active"], json!("False"));
    }

    #[test]
    fn filtered_paths_make_or_change_elements() {
        let mut r = json!({"userName": "a@b.com"});
        let body = patch(json!([
            {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+351912345678"},
        ]));
        apply(&mut r, &body, &[EXT]).unwrap();
        assert_eq!(
            r["phoneNumbers"],
            json!([{"type": "mobile", "value": "+351912345678"}])
        );
        let body = patch(json!([
            {"op": "replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+351912345679"},
        ]));
        apply(&mut r, &body, &[EXT]).unwrap();
        assert_eq!(r["phoneNumbers"][0]["value"], json!("+351912345679"));
    }

    #[test]
    fn members_added_and_removed_in_one_request() {
        let mut g = json!({"displayName": "Sales", "members": [{"value": "1"}, {"value": "2"}]});
        let body = patch(json!([
            {"op": "Add", "path": "members", "value": [{"value": "3"}]},
            {"op": "Remove", "path": "members", "value": [{"value": "1"}]},
            {"op": "remove", "path": "members[value eq \"2\"]"},
        ]));
        apply(&mut g, &body, &[]).unwrap();
        assert_eq!(g["members"], json!([{"value": "3"}]));
    }

    #[test]
    fn extension_attributes_by_urn_or_object() {
        let mut r = json!({"userName": "a@b.com"});
        let body = patch(json!([
            {"op": "replace", "path": format!("{EXT}:role"), "value": "collaborator"},
            {"op": "replace", "value": {EXT: {"budget": "50"}, "externalId": "x"}},
        ]));
        apply(&mut r, &body, &[EXT]).unwrap();
        assert_eq!(r[EXT], json!({"role": "collaborator", "budget": "50"}));
        assert_eq!(r["externalId"], json!("x"));
        let body = patch(json!([{"op": "replace", "path": EXT, "value": {"budget": "60"}}]));
        apply(&mut r, &body, &[EXT]).unwrap();
        assert_eq!(r[EXT], json!({"role": "collaborator", "budget": "60"}));
    }

    #[test]
    fn refuses_what_is_not_a_patch() {
        let mut r = json!({});
        assert!(apply(&mut r, &json!({"Operations": []}), &[]).is_err());
        let e = apply(&mut r, &patch(json!([{"op": "remove"}])), &[]).unwrap_err();
        assert_eq!(e.scim_type, Some("noTarget"));
        let e = apply(&mut r, &patch(json!([{"op": "move", "path": "x"}])), &[]).unwrap_err();
        assert_eq!(e.scim_type, Some("invalidSyntax"));
    }
}
