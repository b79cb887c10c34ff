//! A request for the users table, or for its export: the filters and sort a person chose, as
//! the CLI's flags and the server's query parameters carry them. One reading for both, so the
//! same words list the same rows and export the same file.

use omni_core::error::Result;
use omni_store::{ExportScope, SortField, UserQuery};

use crate::fields::role;

/// The table's filters, sort and page, as sent (text where the person wrote text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListRequest {
    /// Start of the email, or `@` and the start of the domain; blank is no search.
    pub search: Option<String>,
    /// A role name ([`crate::role`]).
    pub role: Option<String>,
    pub licensed: Option<bool>,
    pub near_or_over_budget: bool,
    /// A column name ([`SortField`]); none sorts by email.
    pub sort: Option<String>,
    pub descending: bool,
    pub offset: u64,
    pub limit: u32,
}

impl ListRequest {
    /// The store's query for this request.
    pub fn query(&self) -> Result<UserQuery> {
        Ok(UserQuery {
            search: self
                .search
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string),
            role: self.role.as_deref().map(role).transpose()?,
            licensed: self.licensed,
            near_or_over_budget: self.near_or_over_budget,
            sort: self
                .sort
                .as_deref()
                .map(str::parse::<SortField>)
                .transpose()?
                .unwrap_or_default(),
            descending: self.descending,
            offset: self.offset,
            limit: self.limit,
        })
    }

    /// What an export of this request writes: the whole list when it names no filter and the
    /// table's own order (by email, ascending), else the rows of this view in its order. The
    /// page is never part of it: an export writes every row of the view.
    pub fn export_scope(&self) -> Result<ExportScope> {
        let query = UserQuery {
            offset: 0,
            limit: 0,
            ..self.query()?
        };
        Ok(if query == UserQuery::default() {
            ExportScope::All
        } else {
            ExportScope::View { query }
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use omni_core::model::Role;

    fn scope(r: ListRequest) -> ExportScope {
        r.export_scope().unwrap()
    }

    #[test]
    fn without_filters_or_sort_an_export_is_the_whole_list() {
        assert_eq!(scope(ListRequest::default()), ExportScope::All);
        let paged_by_email = ListRequest {
            sort: Some("email".into()),
            search: Some("  ".into()),
            offset: 300,
            limit: 50,
            ..ListRequest::default()
        };
        assert_eq!(scope(paged_by_email), ExportScope::All);
    }

    #[test]
    fn descending_alone_is_a_view_in_that_order() {
        let r = ListRequest {
            descending: true,
            limit: 100,
            ..ListRequest::default()
        };
        assert_eq!(
            scope(r),
            ExportScope::View {
                query: UserQuery {
                    descending: true,
                    ..UserQuery::default()
                }
            }
        );
    }

    #[test]
    fn a_filter_or_another_sort_is_a_view() {
        for r in [
            ListRequest {
                search: Some("ana".into()),
                ..ListRequest::default()
            },
            ListRequest {
                role: Some("Collaborator".into()),
                ..ListRequest::default()
            },
            ListRequest {
                licensed: Some(false),
                ..ListRequest::default()
            },
            ListRequest {
                near_or_over_budget: true,
                ..ListRequest::default()
            },
            ListRequest {
                sort: Some("usage".into()),
                ..ListRequest::default()
            },
        ] {
            assert!(
                matches!(scope(r.clone()), ExportScope::View { .. }),
                "{r:?}"
            );
        }
    }

    #[test]
    fn the_query_reads_role_and_sort_names() {
        let q = ListRequest {
            role: Some("admin".into()),
            sort: Some("Created".into()),
            limit: 10,
            ..ListRequest::default()
        }
        .query()
        .unwrap();
        assert_eq!(q.role, Some(Role::Administrator));
        assert_eq!(q.sort, SortField::Created);
        assert_eq!(q.limit, 10);
        let e = ListRequest {
            sort: Some("height".into()),
            ..ListRequest::default()
        }
        .query()
        .unwrap_err();
        assert!(e.message.starts_with("Cannot sort by \"height\""), "{e:?}");
    }
}
