//! The OpenAPI document, generated from the handlers' annotations and served at
//! `/openapi.json`, so clients and the documentation follow the code.

use axum::Json;
use utoipa::OpenApi;

use crate::{api, app, error};

#[derive(OpenApi)]
#[openapi(
    info(title = "omni-server", description = "Power Omni Admin: the organization's directory over HTTP. \
        Every /v1 call needs a Bearer access token from the organization's Entra ID tenant: a person's \
        delegated token with this API's scope, or for usage reports an application token with the usage app role."),
    paths(
        app::healthz, app::readyz, app::omni_configuration,
        api::my_org, api::me, api::summary, api::set_seats, api::list_users, api::create_user, api::get_user,
        api::edit_user, api::delete_user, api::set_license, api::restore_user, api::deleted_users,
        api::bulk_license, api::bulk_role, api::delete_users, api::access, api::user_links, api::items, api::create_item,
        api::rename_item, api::delete_item, api::item_links, api::agent_reach, api::link, api::unlink, api::changes, api::snapshot, api::audit,
        api::import_upload, api::import_commit, api::export, api::export_audit, api::record_usage,
        api::directory_page, api::item_page, api::scim_tokens, api::create_scim_token, api::revoke_scim_token,
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&Bearer, &Outage, &Idempotent),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every `/v1` operation may answer 503 `unavailable` (the database does not answer, or the
/// request did not finish within the server's bound) with `Retry-After`, and every change 507
/// `insufficient_storage` (the database's disk is full). Added here to all of them at once, so
/// no handler's annotation can forget it.
struct Outage;

impl utoipa::Modify for Outage {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{header::HeaderBuilder, ContentBuilder, Ref, ResponseBuilder, Type};
        let body = || {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build()
        };
        let unavailable = ResponseBuilder::new()
            .description(
                "The database does not answer (or the request did not finish within the \
                 server's bound): try again after Retry-After. A change refused so was not \
                 saved unless the message says it may have been.",
            )
            .header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(utoipa::openapi::ObjectBuilder::new().schema_type(Type::Integer))
                    .description(Some("Seconds to wait before trying again"))
                    .build(),
            )
            .content("application/json", body())
            .build();
        let full = ResponseBuilder::new()
            .description("The database's disk is full: nothing was saved.")
            .content("application/json", body())
            .build();
        for (path, item) in doc.paths.paths.iter_mut() {
            if !path.starts_with("/v1/") {
                continue;
            }
            let reads = [&mut item.get];
            let changes = [
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in reads.into_iter().flatten() {
                let r = &mut op.responses.responses;
                r.insert("503".into(), unavailable.clone().into());
            }
            for op in changes.into_iter().flatten() {
                let r = &mut op.responses.responses;
                r.insert("503".into(), unavailable.clone().into());
                r.insert("507".into(), full.clone().into());
            }
        }
    }
}

/// Every change under `/v1/orgs/{org}/` but the import's upload takes an `Idempotency-Key`
/// ([`crate::idempotency`]) and may answer 422 `idempotency_key_reused`. Added here to all of
/// them at once, as [`Outage`] does.
struct Idempotent;

impl utoipa::Modify for Idempotent {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{
            ContentBuilder, ObjectBuilder, Ref, Required, ResponseBuilder, Type,
        };
        let key = ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "1 to 200 visible ASCII characters, new for each change (a UUID). A retry with the \
                 same key and the same request gets the first answer again (status, body, ETag, \
                 with `Idempotent-Replayed: true`) and changes nothing; the change and its answer \
                 are saved in one transaction. Kept at least 24 hours.",
            ))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String).max_length(Some(200))))
            .build();
        let reused = ResponseBuilder::new()
            .description(
                "idempotency_key_reused: this Idempotency-Key was used for another request.",
            )
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        for (path, item) in doc.paths.paths.iter_mut() {
            if !path.starts_with("/v1/orgs/") {
                continue;
            }
            let upload = path.ends_with("/imports");
            let changes = [&mut item.put, &mut item.patch, &mut item.delete];
            let post = (!upload).then_some(&mut item.post);
            for op in changes.into_iter().chain(post).flatten() {
                op.parameters.get_or_insert_with(Vec::new).push(key.clone());
                op.responses
                    .responses
                    .insert("422".into(), reused.clone().into());
            }
        }
    }
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
