//! The OpenAPI document, generated from the handlers' annotations and served at
//! `/openapi.json`, so clients and the documentation follow the code.

use axum::Json;
use utoipa::OpenApi;

use crate::{api, app, error};

#[derive(OpenApi)]
#[openapi(
    info(title = "omni-server", description = "Power Omni Admin: the organization's directory over HTTP. \
        Every /v1/orgs/{org} call needs a Bearer access token from the organization's Entra ID tenant."),
    paths(
        app::healthz, app::readyz, app::omni_configuration,
        api::me, api::summary, api::set_seats, api::list_users, api::create_user, api::get_user,
        api::edit_user, api::delete_user, api::set_license, api::restore_user, api::deleted_users,
        api::bulk_license, api::access, api::user_links, api::items, api::create_item,
        api::rename_item, api::delete_item, api::link, api::unlink, api::changes, api::audit,
        api::import_upload, api::import_commit, api::export, api::record_usage,
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&Bearer),
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

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
