//! The SCIM endpoints. Thin, as every handler of this server: each reads the request (through
//! [`super::resources`], [`super::filter`], [`super::patch`]) and calls one store operation
//! with the token's caller and the request's time.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, MethodRouter};
use omni_core::model::Id;
use omni_store::scim::{GroupChange, Members, ScimFilter};
use serde_json::Value;

use super::error::{ScimError, ScimResult, SCIM_JSON};
use super::resources::{self as res, etag, version_of, EXTENSION};
use super::{filter, patch, ScimCtx, MAX_RESULTS};
use crate::app::AppState;

type Params = Query<HashMap<String, String>>;

/// Every SCIM route, with its template (for the request log).
pub fn routes() -> Vec<(String, MethodRouter<AppState>)> {
    let at = |p: &str| format!("/scim/v2/{{org}}{p}");
    vec![
        (
            at("/ServiceProviderConfig"),
            get(service_provider_config).fallback(not_allowed),
        ),
        (
            at("/ResourceTypes"),
            get(resource_types).fallback(not_allowed),
        ),
        (
            at("/ResourceTypes/{id}"),
            get(resource_type).fallback(not_allowed),
        ),
        (at("/Schemas"), get(schemas).fallback(not_allowed)),
        (at("/Schemas/{id}"), get(schema).fallback(not_allowed)),
        (
            at("/Users"),
            get(list_users).post(create_user).fallback(not_allowed),
        ),
        (
            at("/Users/{id}"),
            get(get_user)
                .put(replace_user)
                .patch(patch_user)
                .delete(delete_user)
                .fallback(not_allowed),
        ),
        (
            at("/Groups"),
            get(list_groups).post(create_group).fallback(not_allowed),
        ),
        (
            at("/Groups/{id}"),
            get(get_group)
                .put(replace_group)
                .patch(patch_group)
                .delete(delete_group)
                .fallback(not_allowed),
        ),
        (at("/.search"), any(search_not_supported)),
        (at("/{*rest}"), any(nothing_here)),
        (at(""), any(nothing_here)),
    ]
}

async fn not_allowed() -> ScimError {
    ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "This address does not take that method.",
    )
}

async fn nothing_here() -> ScimError {
    ScimError::not_found("There is no SCIM resource at this address.")
}

async fn search_not_supported() -> ScimError {
    ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "Searching with POST /.search is not supported: query /Users or /Groups with GET.",
    )
}

/// A SCIM JSON answer, with the resource's ETag when it has one.
fn answer(status: StatusCode, body: &Value, version: Option<i64>) -> Response {
    let mut res = (status, body.to_string()).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    if let Some(v) = version.and_then(|v| HeaderValue::from_str(&etag(v)).ok()) {
        h.insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED {
        if let Some(loc) = body["meta"]["location"]
            .as_str()
            .and_then(|l| HeaderValue::from_str(l).ok())
        {
            h.insert(header::LOCATION, loc);
        }
    }
    res
}

fn body_json(body: &Bytes) -> ScimResult<Value> {
    serde_json::from_slice(body)
        .map_err(|e| ScimError::bad("invalidSyntax", format!("The body is not valid JSON: {e}.")))
}

fn id_of(text: &str, kind: &str) -> ScimResult<Id> {
    text.parse()
        .map_err(|_| ScimError::not_found(format!("There is no {kind} {text}.")))
}

/// The version `If-Match` names, if any.
fn if_match(headers: &HeaderMap) -> Option<i64> {
    headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .and_then(version_of)
}

/// Whether `If-None-Match` names this version (a `GET` then answers 304).
fn not_modified(headers: &HeaderMap, version: i64) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| version_of(t) == Some(version)))
}

fn unmodified(version: i64) -> Response {
    let mut res = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// `startIndex` (1-based) and `count`, as the RFC reads them: below 1 is 1, a negative count
/// is 0, and no more than [`MAX_RESULTS`].
fn paging(q: &HashMap<String, String>) -> ScimResult<(i64, i64)> {
    let num = |name: &str, default: i64| -> ScimResult<i64> {
        match q.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            Some((_, v)) => v
                .trim()
                .parse()
                .map_err(|_| ScimError::bad("invalidValue", format!("{name} must be a number."))),
            None => Ok(default),
        }
    };
    let start = num("startIndex", 1)?.max(1);
    let count = num("count", MAX_RESULTS)?.clamp(0, MAX_RESULTS);
    Ok((start, count))
}

fn param<'a>(q: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    q.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A query's filter as the store reads it; `None`: it selects nothing (an id that is not a
/// number).
fn store_filter(
    q: &HashMap<String, String>,
    name_attr: &str,
    external: bool,
) -> ScimResult<Option<ScimFilter>> {
    let mut f = ScimFilter::default();
    let Some(text) = param(q, "filter") else {
        return Ok(Some(f));
    };
    for c in filter::parse(text)? {
        let text = match &c.value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match c.attr.as_str() {
            "id" => match text.parse() {
                Ok(id) => f.id = Some(id),
                Err(_) => return Ok(None),
            },
            a if a == name_attr => f.name = Some(text),
            "externalid" if external => f.external_id = Some(text),
            other => {
                return Err(ScimError::bad(
                    "invalidFilter",
                    format!("Filtering on {other:?} is not supported (see docs/scim.md)."),
                ))
            }
        }
    }
    Ok(Some(f))
}

fn projected(mut v: Value, q: &HashMap<String, String>) -> Value {
    res::project(
        &mut v,
        param(q, "attributes"),
        param(q, "excludedAttributes"),
    );
    v
}

async fn service_provider_config(ctx: ScimCtx) -> Response {
    answer(
        StatusCode::OK,
        &res::service_provider_config(&ctx.base),
        None,
    )
}

async fn resource_types(ctx: ScimCtx) -> Response {
    let all = res::resource_types(&ctx.base);
    let n = all.len() as i64;
    answer(StatusCode::OK, &res::list(all, n, 1), None)
}

async fn resource_type(
    ctx: ScimCtx,
    Path((_, id)): Path<(String, String)>,
) -> ScimResult<Response> {
    res::resource_types(&ctx.base)
        .into_iter()
        .find(|t| t["id"].as_str() == Some(id.as_str()))
        .map(|t| answer(StatusCode::OK, &t, None))
        .ok_or_else(|| ScimError::not_found(format!("There is no resource type {id}.")))
}

async fn schemas(ctx: ScimCtx) -> Response {
    let all = res::schemas(&ctx.base);
    let n = all.len() as i64;
    answer(StatusCode::OK, &res::list(all, n, 1), None)
}

async fn schema(ctx: ScimCtx, Path((_, id)): Path<(String, String)>) -> ScimResult<Response> {
    res::schemas(&ctx.base)
        .into_iter()
        .find(|s| s["id"].as_str() == Some(id.as_str()))
        .map(|s| answer(StatusCode::OK, &s, None))
        .ok_or_else(|| ScimError::not_found(format!("There is no schema {id}.")))
}

async fn list_users(
    State(s): State<AppState>,
    ctx: ScimCtx,
    Query(q): Params,
) -> ScimResult<Response> {
    let (start, count) = paging(&q)?;
    let (total, users) = match store_filter(&q, "username", true)? {
        Some(f) => {
            s.store
                .scim_users(&ctx.caller, &f, start - 1, count, ctx.now)
                .await?
        }
        None => (0, Vec::new()),
    };
    let items = users
        .iter()
        .map(|u| projected(res::user_json(u, &ctx.base), &q))
        .collect();
    Ok(answer(
        StatusCode::OK,
        &res::list(items, total, start),
        None,
    ))
}

async fn get_user(
    State(s): State<AppState>,
    ctx: ScimCtx,
    Path((_, id)): Path<(String, String)>,
    Query(q): Params,
    headers: HeaderMap,
) -> ScimResult<Response> {
    let u = s
        .store
        .scim_user(&ctx.caller, id_of(&id, "user")?, ctx.now)
        .await?;
    if not_modified(&headers, u.user.version) {
        return Ok(unmodified(u.user.version));
    }
    let body = projected(res::user_json(&u, &ctx.base), &q);
    Ok(answer(StatusCode::OK, &body, Some(u.user.version)))
}

async fn create_user(State(s): State<AppState>, ctx: ScimCtx, body: Bytes) -> ScimResult<Response> {
    let state = res::user_state(&body_json(&body)?, false)?;
    let u = s
        .store
        .scim_create_user(&ctx.caller, state, ctx.now)
        .await?;
    Ok(answer(
        StatusCode::CREATED,
        &res::user_json(&u, &ctx.base),
        Some(u.user.version),
    ))
}

async fn replace_user(
    State(s): State<AppState>,
    ctx: ScimCtx,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let id = id_of(&id, "user")?;
    let state = res::user_state(&body_json(&body)?, false)?;
    let u = s
        .store
        .scim_update_user(&ctx.caller, id, state, if_match(&headers), ctx.now)
        .await?;
    Ok(answer(
        StatusCode::OK,
        &res::user_json(&u, &ctx.base),
        Some(u.user.version),
    ))
}

async fn patch_user(
    State(s): State<AppState>,
    ctx: ScimCtx,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let id = id_of(&id, "user")?;
    let ops = body_json(&body)?;
    let asked = if_match(&headers);
    // Without If-Match, a change made between the read and the write is not overwritten: the
    // PATCH is applied again to what is there now (a few times at most).
    let mut tries = 0;
    loop {
        let before = s.store.scim_user(&ctx.caller, id, ctx.now).await?;
        if asked.is_some_and(|v| v != before.user.version) {
            return Err(ScimError::new(
                StatusCode::PRECONDITION_FAILED,
                None,
                "The user was changed since you read it: read it again.",
            ));
        }
        let mut resource = res::user_json(&before, &ctx.base);
        patch::apply(&mut resource, &ops, &[EXTENSION])?;
        let state = res::user_state(&resource, true)?;
        match s
            .store
            .scim_update_user(&ctx.caller, id, state, Some(before.user.version), ctx.now)
            .await
        {
            Ok(u) => {
                return Ok(answer(
                    StatusCode::OK,
                    &res::user_json(&u, &ctx.base),
                    Some(u.user.version),
                ))
            }
            Err(e)
                if e.code == omni_core::ErrorCode::StaleVersion && asked.is_none() && tries < 3 =>
            {
                tries += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

async fn delete_user(
    State(s): State<AppState>,
    ctx: ScimCtx,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ScimResult<StatusCode> {
    let id = id_of(&id, "user")?;
    s.store
        .scim_delete_user(&ctx.caller, id, if_match(&headers), ctx.now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_groups(
    State(s): State<AppState>,
    ctx: ScimCtx,
    Query(q): Params,
) -> ScimResult<Response> {
    let (start, count) = paging(&q)?;
    let (total, groups) = match store_filter(&q, "displayname", true)? {
        Some(f) => {
            s.store
                .scim_groups(&ctx.caller, &f, start - 1, count)
                .await?
        }
        None => (0, Vec::new()),
    };
    let items = groups
        .iter()
        .map(|g| projected(res::group_json(g, &ctx.base), &q))
        .collect();
    Ok(answer(
        StatusCode::OK,
        &res::list(items, total, start),
        None,
    ))
}

async fn get_group(
    State(s): State<AppState>,
    ctx: ScimCtx,
    Path((_, id)): Path<(String, String)>,
    Query(q): Params,
    headers: HeaderMap,
) -> ScimResult<Response> {
    let g = s
        .store
        .scim_group(&ctx.caller, id_of(&id, "group")?)
        .await?;
    if not_modified(&headers, g.group.version) {
        return Ok(unmodified(g.group.version));
    }
    let body = projected(res::group_json(&g, &ctx.base), &q);
    Ok(answer(StatusCode::OK, &body, Some(g.group.version)))
}

async fn create_group(
    State(s): State<AppState>,
    ctx: ScimCtx,
    body: Bytes,
) -> ScimResult<Response> {
    let body = body_json(&body)?;
    let name = res::display_name(&body)?;
    let members = res::member_ids(&body)?;
    let g = s
        .store
        .scim_create_group(
            &ctx.caller,
            &name,
            res::external_id(&body),
            &members,
            ctx.now,
        )
        .await?;
    Ok(answer(
        StatusCode::CREATED,
        &res::group_json(&g, &ctx.base),
        Some(g.group.version),
    ))
}

async fn replace_group(
    State(s): State<AppState>,
    ctx: ScimCtx,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let id = id_of(&id, "group")?;
    let body = body_json(&body)?;
    let name = res::display_name(&body)?;
    let members = res::member_ids(&body)?;
    let g = s
        .store
        .scim_update_group(
            &ctx.caller,
            id,
            GroupChange {
                name: Some(name),
                external_id: Some(res::external_id(&body)),
                members: Members::Set(members),
            },
            if_match(&headers),
            ctx.now,
        )
        .await?;
    Ok(answer(
        StatusCode::OK,
        &res::group_json(&g, &ctx.base),
        Some(g.group.version),
    ))
}

async fn patch_group(
    State(s): State<AppState>,
    ctx: ScimCtx,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let id = id_of(&id, "group")?;
    let ops = body_json(&body)?;
    let before = s.store.scim_group(&ctx.caller, id).await?;
    let asked = if_match(&headers);
    if asked.is_some_and(|v| v != before.group.version) {
        return Err(ScimError::new(
            StatusCode::PRECONDITION_FAILED,
            None,
            "The group was changed since you read it: read it again.",
        ));
    }
    let mut resource = res::group_json(&before, &ctx.base);
    patch::apply(&mut resource, &ops, &[])?;
    let name = res::display_name(&resource)?;
    let after = res::member_ids(&resource)?;
    let was: Vec<Id> = before.members.iter().map(|m| m.0).collect();
    // What the PATCH changed, applied as changes (not as a whole list): a member added or
    // removed by another request meanwhile stays as that request left it.
    let add = after.iter().filter(|i| !was.contains(i)).copied().collect();
    let remove = was.iter().filter(|i| !after.contains(i)).copied().collect();
    let g = s
        .store
        .scim_update_group(
            &ctx.caller,
            id,
            GroupChange {
                name: Some(name),
                external_id: Some(res::external_id(&resource)),
                members: Members::Change { add, remove },
            },
            asked,
            ctx.now,
        )
        .await?;
    // Entra ID takes a 204 or the group; the group says what it became.
    Ok(answer(
        StatusCode::OK,
        &res::group_json(&g, &ctx.base),
        Some(g.group.version),
    ))
}

async fn delete_group(
    State(s): State<AppState>,
    ctx: ScimCtx,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ScimResult<StatusCode> {
    let id = id_of(&id, "group")?;
    s.store
        .scim_delete_group(&ctx.caller, id, if_match(&headers), ctx.now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
