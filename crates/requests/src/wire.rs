//! omni-server's request bodies, query parameters and answers, as JSON on the wire. The server
//! reads and writes them, its client (`omni_client`) writes and reads the same types, so the two
//! cannot drift apart: a field renamed here is renamed on both sides.
//!
//! Values a person typed (an email, a role name, a budget) stay text here, as sent; the server
//! reads them through this crate's rules ([`crate::email`], [`crate::role`], [`crate::budget`])
//! like every other front end. With the `openapi` feature (the server's) each type also
//! describes itself for the OpenAPI document (utoipa).

use omni_core::model::{Id, Role, Timestamp, Usd, User};
use omni_core::Reason;
use omni_store::{
    AuditQuery, ImportOptions, ImportReport, LinkKind, SortField, UserEdit, UserQuery,
};
use serde::{Deserialize, Serialize};

use crate::list::ListRequest;

/// The users table's query (`GET /users`), and the view an export writes (`GET /export`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
pub struct ListParams {
    /// Start of the email, or `@` and the start of the domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licensed: Option<bool>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub near_or_over_budget: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub desc: bool,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub offset: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl ListParams {
    /// The request these parameters make: a page of 100 unless `limit` says otherwise.
    pub fn request(self) -> ListRequest {
        ListRequest {
            search: self.search,
            role: self.role,
            licensed: self.licensed,
            near_or_over_budget: self.near_or_over_budget,
            sort: self.sort,
            descending: self.desc,
            offset: self.offset,
            limit: self.limit.unwrap_or(100),
        }
    }

    /// The parameters that ask for `query` (what [`ListParams::request`] reads back into it).
    pub fn of_query(query: &UserQuery) -> ListParams {
        ListParams {
            search: query.search.clone(),
            role: query.role.map(|r| r.as_str().to_string()),
            licensed: query.licensed,
            near_or_over_budget: query.near_or_over_budget,
            sort: (query.sort != SortField::Email).then(|| sort_name(query.sort).to_string()),
            desc: query.descending,
            offset: query.offset,
            limit: Some(query.limit),
        }
    }
}

/// The name a sort column is asked by (read back by `SortField`'s `FromStr`).
fn sort_name(sort: SortField) -> &'static str {
    match sort {
        SortField::Email => "email",
        SortField::Phone => "phone",
        SortField::Role => "role",
        SortField::License => "license",
        SortField::Budget => "budget",
        SortField::Usage => "usage",
        SortField::Created => "created",
        SortField::Updated => "updated",
    }
}

/// A new user (`POST /users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateUserBody {
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// user (default), collaborator or administrator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// Changes to a user (`PATCH /users/{id}`, with the version read in `If-Match`); absent
/// fields stay as they are, `null` clears phone or budget.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditUserBody {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub phone: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// USD per month, e.g. "50" or "12.50"; null, "", "none" or "0" removes the limit.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub budget: Option<Option<String>>,
}

impl EditUserBody {
    /// The body that asks for `edit` (its `expected_version` goes in `If-Match`, not here).
    pub fn of_edit(edit: &UserEdit) -> EditUserBody {
        EditUserBody {
            phone: edit.phone.as_ref().map(|p| p.as_ref().map(|p| p.e164())),
            country_code: None,
            role: edit.role.map(|r| r.as_str().to_string()),
            budget: edit.budget.map(|b| b.map(Usd::decimal)),
        }
    }
}

/// `Some(None)` is JSON `null`, `None` an absent field.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn deserialize<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }

    pub fn serialize<S, T>(v: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        T: Serialize,
    {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }
}

/// One user's license (`PUT /users/{id}/license`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LicenseBody {
    pub licensed: bool,
}

/// Many users' licenses at once (`POST /licenses`): all or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkLicenseBody {
    pub ids: Vec<Id>,
    pub licensed: bool,
}

/// Many users' role at once (`POST /roles`): all or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkRoleBody {
    pub ids: Vec<Id>,
    /// user, collaborator or administrator.
    pub role: String,
}

/// Users named by id (`POST /deleted-users`: deletes them, all or none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdsBody {
    pub ids: Vec<Id>,
}

/// A directory item's name (`POST /directory/{kind}`, `PATCH /directory/{kind}/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NameBody {
    pub name: String,
}

/// A link, read as "a is linked to b" (`POST /links`, `DELETE /links`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkBody {
    /// user_group, user_workspace, group_workspace, agent_workspace, agent_user, agent_group
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: LinkKind,
    pub a: Id,
    pub b: Id,
}

/// Whether a link was made or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Changed {
    pub changed: bool,
}

/// Whose links to read (`GET /links`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
pub struct LinksParams {
    /// A group, workspace or agent: the items it is linked to (a group's workspaces, an
    /// agent's workspaces and groups).
    pub item: Id,
}

/// One page of the groups, workspaces or agents (`GET /directory?kind=groups`), each with its
/// counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
pub struct DirectoryParams {
    /// groups, workspaces or agents
    pub kind: String,
    /// Part of the name, in any case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub offset: u64,
    /// At most 500; 100 when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Which members an item's page shows (`GET /directory/{kind}/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
pub struct MembersParams {
    /// The start of a member's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub offset: u64,
    /// At most 500; 100 when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The purchased seats (`PUT /seats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeatsBody {
    pub seats: i64,
}

/// A page of the audit log (`GET /audit`), newest first, and what its export writes
/// (`GET /audit/export`, which reads the filters only). Every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
pub struct AuditParams {
    /// Entries per page (default 100, at most 10,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The id of the last entry already shown: the page holds older ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Id>,
    /// Who acted: their email, exactly (any case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// What was done: one action's code, e.g. `license.assign`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// What it was done to: an email (any case) or a name, exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// From this time on (milliseconds since the Unix epoch, inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    /// Before this time (milliseconds since the Unix epoch, exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
}

impl AuditParams {
    /// The store's query these parameters ask for.
    pub fn query(self) -> AuditQuery {
        AuditQuery {
            actor: self.actor,
            action: self.action,
            target: self.target,
            from: self.from.map(Timestamp),
            until: self.until.map(Timestamp),
            before: self.before,
            limit: self.limit.unwrap_or(100),
        }
    }

    /// The parameters that ask for `q` (what [`AuditParams::query`] reads back into it).
    pub fn of_query(q: &AuditQuery) -> AuditParams {
        AuditParams {
            limit: Some(q.limit),
            before: q.before,
            actor: q.actor.clone(),
            action: q.action.clone(),
            target: q.target.clone(),
            from: q.from.map(|t| t.0),
            until: q.until.map(|t| t.0),
        }
    }
}

/// What an upload's users are created as (`POST /imports`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
pub struct ImportParams {
    /// Role of the users the file creates (default user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// License every new user (Administrators only).
    #[serde(default)]
    pub licensed: bool,
}

impl ImportParams {
    pub fn of_options(options: ImportOptions) -> ImportParams {
        ImportParams {
            role: Some(options.role.as_str().to_string()),
            licensed: options.licensed,
        }
    }
}

/// What a commit's new users are created as, when it differs from what the upload said
/// (`POST /imports/{upload}/commit`): a person may change the role or the license between the
/// preview and the commit. Absent, the upload's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
pub struct CommitParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licensed: Option<bool>,
}

impl CommitParams {
    pub fn of_options(options: ImportOptions) -> CommitParams {
        CommitParams {
            role: Some(options.role.as_str().to_string()),
            licensed: Some(options.licensed),
        }
    }
}

/// An upload's preview: what committing it would do, and the id to commit it by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportPreview {
    /// Pass to `/imports/{upload}/commit` to apply exactly this file.
    pub upload: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub report: ImportReport,
}

/// The signed-in user and their organization (`GET /v1/orgs/{org}/me`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub org: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub user: User,
}

/// An organization, by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgRef {
    pub id: Id,
    pub name: String,
}

/// A user, by id and email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRef {
    pub id: Id,
    pub email: String,
}

/// Where the signed-in person belongs (`GET /v1/me`): their organization, their user and their
/// role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyOrg {
    pub org: OrgRef,
    pub user: UserRef,
    /// `user`, `collaborator` or `administrator`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub role: Role,
}

/// What a client needs to sign in, from the server's URL alone
/// (`GET /.well-known/omni-configuration`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OmniConfiguration {
    /// Where to sign in (authorization code flow with PKCE).
    pub authority: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    /// The audience of this API's access tokens.
    pub audience: String,
}

/// The JSON body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// A stable machine code (`permission_denied`, `stale_version`, `invalid_token`, ...).
    pub code: String,
    /// One sentence for a person, in English: what happened and what to do.
    pub message: String,
    /// Why, as data (`key` and its parameters), when the refusal has one: a client says it in
    /// the person's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub reason: Option<Reason>,
    /// The input field at fault, when there is one (`email`, `phone`, `role`, `budget`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `POST /v1/orgs/{org}/scim/tokens`: a provisioning token's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScimTokenBody {
    pub name: String,
}

/// A provisioning token just created: the only time its secret is shown (only its hash is
/// kept). Its `Debug` leaves the secret out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewScimToken {
    pub token: omni_store::scim::ScimToken,
    /// The bearer token the identity provider sends.
    pub secret: String,
}

impl std::fmt::Debug for NewScimToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewScimToken")
            .field("token", &self.token)
            .field("secret", &"<shown once>")
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use omni_core::Phone;

    #[test]
    fn list_params_read_back_into_the_query_they_were_made_of() {
        let q = UserQuery {
            search: Some("@acme".into()),
            role: Some(Role::Collaborator),
            licensed: Some(false),
            near_or_over_budget: true,
            sort: SortField::Usage,
            descending: true,
            offset: 200,
            limit: 50,
        };
        assert_eq!(ListParams::of_query(&q).request().query().unwrap(), q);
        let d = UserQuery {
            limit: 100,
            ..UserQuery::default()
        };
        assert_eq!(ListParams::of_query(&d).request().query().unwrap(), d);
        for sort in SortField::ALL {
            assert_eq!(sort_name(sort).parse::<SortField>().unwrap(), sort);
        }
        let a = AuditQuery {
            actor: Some("ana@acme.com".into()),
            action: Some("license.assign".into()),
            target: Some("Sales".into()),
            from: Some(Timestamp(1)),
            until: Some(Timestamp(2)),
            before: Some(7),
            limit: 50,
        };
        assert_eq!(AuditParams::of_query(&a).query(), a);
    }

    #[test]
    fn an_edit_sends_null_to_clear_and_leaves_out_what_stays() {
        let phone = Phone::parse(None, "+55 11 98765-4321").unwrap();
        let edit = UserEdit {
            phone: Some(Some(phone)),
            budget: Some(None),
            ..UserEdit::default()
        };
        let json = serde_json::to_value(EditUserBody::of_edit(&edit)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"phone": "+5511987654321", "budget": null})
        );
        let edit = UserEdit {
            phone: Some(None),
            budget: Some(Some(Usd(12_400_001))),
            role: Some(Role::Administrator),
            expected_version: Some(3),
        };
        let body = EditUserBody::of_edit(&edit);
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"phone": null, "role": "administrator", "budget": "12.400001"})
        );
        let back: EditUserBody = serde_json::from_value(json).unwrap();
        assert_eq!(back, body);
        assert_eq!(crate::budget("12.400001").unwrap(), Some(Usd(12_400_001)));
    }
}
