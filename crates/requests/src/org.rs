//! The first-run setup of a local database (the desktop app's, the CLI's): its one
//! organization, from a name, an owner's email and a number of seats as typed.
//!
//! The store decides whether the name and the seat count can be used and whether the database
//! holds an organization already (in the transaction that creates it); here the owner's email
//! is read and each refusal is pinned to the field of the setup form it is about.

use omni_core::error::Result;
use omni_core::model::Timestamp;
use omni_core::{Error, Reason};
use omni_store::{Caller, Store};

use crate::fields::email;

/// Creates the database's organization, owned by `owner` (its first Administrator); refused
/// when the database holds one already. Returns the owner as a caller.
pub async fn create_local_org(
    store: &Store,
    name: &str,
    owner: &str,
    seats: i64,
    now: Timestamp,
) -> Result<Caller> {
    let owner = email(owner, "owner")?;
    store
        .create_local_org(name, &owner, seats, now)
        .await
        .map_err(on_its_field)
}

/// The refusal, pinned to the setup form's field it is about.
fn on_its_field(e: Error) -> Error {
    match e.reason {
        Some(Reason::OrgNameMissing) => e.on_field("name"),
        Some(Reason::SeatsNegative) => e.on_field("seats"),
        _ => e,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use omni_core::ErrorCode;

    async fn store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("omni.db")).await.unwrap();
        (store, dir)
    }

    #[tokio::test]
    async fn each_refusal_names_its_field_and_one_organization_is_created() {
        let (store, _dir) = store().await;
        let now = Timestamp(1_700_000_000_000);
        let e = create_local_org(&store, "Acme", "nobody", 5, now)
            .await
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("owner"));
        let e = create_local_org(&store, "  ", "ana@acme.com", 5, now)
            .await
            .unwrap_err();
        assert_eq!(
            (e.field.as_deref(), e.message.as_str()),
            (Some("name"), "The organization needs a name.")
        );
        let e = create_local_org(&store, "Acme", "ana@acme.com", -1, now)
            .await
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("seats"));
        assert!(store.orgs().await.unwrap().is_empty());

        create_local_org(&store, "Acme", "ana@acme.com", 5, now)
            .await
            .unwrap();
        let e = create_local_org(&store, "Other", "bia@acme.com", 5, now)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::AlreadyExists);
        assert_eq!(e.reason, Some(Reason::OrgExists));
        assert_eq!(store.orgs().await.unwrap().len(), 1);
        store.close().await;
    }
}
