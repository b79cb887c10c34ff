//! The session against the fake token endpoint: one refresh however many callers, rotation,
//! the end of a refused session, and what survives a network failure.

use std::sync::Arc;

use omni_core::{Error, ErrorCode, Reason, Timestamp};
use omni_signin::{http_client, AccountKey, MemoryVault, Secret, Session, Tokens, Vault};

use crate::fake::{Fake, Refresh};

const T0: Timestamp = Timestamp(1_800_000_000_000);
const HOUR: i64 = 3_600_000;

fn key() -> AccountKey {
    AccountKey::new("com.poweromni.admin.test", "session")
}

fn stored(vault: &MemoryVault) -> Option<String> {
    vault.load(&key()).unwrap().map(|s| s.expose().to_string())
}

/// A session signed in at T0 (access-1 until T0 + 1 h, refresh-1), and its vault.
async fn signed_in(fake: &Fake) -> (Session, Arc<MemoryVault>) {
    fake.issue_refresh("refresh-1");
    let vault = Arc::new(MemoryVault::new());
    let tokens = Tokens {
        access: Secret::new("access-1"),
        expires_at: Timestamp(T0.0 + HOUR),
        refresh: Some(Secret::new("refresh-1")),
    };
    let session = Session::new(
        &http_client().unwrap(),
        &fake.config(),
        key(),
        tokens,
        vault.clone(),
    )
    .await;
    (session, vault)
}

fn assert_ended(e: &Error, reason: Reason) {
    assert_eq!(e.code, ErrorCode::SignInRequired, "{e:?}");
    assert_eq!(e.reason, Some(reason));
}

#[tokio::test]
async fn a_new_session_stores_the_refresh_token_and_gives_the_access_token_until_it_expires() {
    let fake = Fake::start().await;
    let (session, vault) = signed_in(&fake).await;
    assert_eq!(stored(&vault).as_deref(), Some("refresh-1"));
    assert_eq!(session.vault_problem(), None);
    let t = session
        .access_token(Timestamp(T0.0 + HOUR - 61_000))
        .await
        .unwrap();
    assert_eq!(t.expose(), "access-1");
    assert_eq!(fake.requests(), 0);
    // Within a minute of expiry: refreshed.
    let t = session
        .access_token(Timestamp(T0.0 + HOUR - 59_000))
        .await
        .unwrap();
    assert_eq!(t.expose(), "access-2");
    assert_eq!(fake.requests(), 1);
}

#[tokio::test]
async fn fifty_callers_at_expiry_make_one_refresh() {
    let fake = Fake::start().await;
    let (session, vault) = signed_in(&fake).await;
    let at_expiry = Timestamp(T0.0 + HOUR);
    let callers: Vec<_> = (0..50)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move { session.access_token(at_expiry).await })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await.unwrap().unwrap().expose(), "access-2");
    }
    assert_eq!(fake.requests(), 1);
    assert_eq!(stored(&vault).as_deref(), Some("refresh-2"));
}

#[tokio::test]
async fn each_rotated_refresh_token_replaces_the_stored_one() {
    let fake = Fake::start().await;
    let (session, vault) = signed_in(&fake).await;
    let t1 = Timestamp(T0.0 + HOUR);
    assert_eq!(session.access_token(t1).await.unwrap().expose(), "access-2");
    assert_eq!(stored(&vault).as_deref(), Some("refresh-2"));
    // The next refresh uses refresh-2 (the fake accepts only the latest).
    let t2 = Timestamp(t1.0 + HOUR);
    assert_eq!(session.access_token(t2).await.unwrap().expose(), "access-3");
    assert_eq!(stored(&vault).as_deref(), Some("refresh-3"));

    // A provider that does not rotate: the refresh token stays, in the vault and in use.
    fake.set_refresh(Refresh::Keep);
    let t3 = Timestamp(t2.0 + HOUR);
    assert_eq!(session.access_token(t3).await.unwrap().expose(), "access-4");
    assert_eq!(stored(&vault).as_deref(), Some("refresh-3"));
    fake.set_refresh(Refresh::Rotate);
    let t4 = Timestamp(t3.0 + HOUR);
    assert_eq!(session.access_token(t4).await.unwrap().expose(), "access-5");
    assert_eq!(fake.requests(), 4);
}

#[tokio::test]
async fn a_refused_refresh_ends_the_session_without_another_request() {
    let fake = Fake::start().await;
    let (session, vault) = signed_in(&fake).await;
    fake.set_refresh(Refresh::Refuse);
    let at_expiry = Timestamp(T0.0 + HOUR);
    assert_ended(
        &session.access_token(at_expiry).await.unwrap_err(),
        Reason::SignInAgain,
    );
    assert_eq!(stored(&vault), None);
    assert_eq!(fake.requests(), 1);
    fake.set_refresh(Refresh::Rotate);
    assert_ended(
        &session.access_token(at_expiry).await.unwrap_err(),
        Reason::SignInAgain,
    );
    assert_ended(
        &session.access_token(T0).await.unwrap_err(),
        Reason::SignInAgain,
    );
    assert_ended(
        &session
            .rejected(&Secret::new("access-1"), at_expiry)
            .await
            .unwrap_err(),
        Reason::SignInAgain,
    );
    assert_eq!(fake.requests(), 1, "an ended session asks no more");
    assert_eq!(session.claims().await, None);
}

#[tokio::test]
async fn a_token_refused_after_another_caller_refreshed_is_replaced_without_a_request() {
    let fake = Fake::start().await;
    let (session, _) = signed_in(&fake).await;
    let old = session.access_token(T0).await.unwrap();
    // The server refuses the token (401): the first caller refreshes.
    let fresh = session.rejected(&old, T0).await.unwrap();
    assert_eq!(fresh.expose(), "access-2");
    assert_eq!(fake.requests(), 1);
    // A second caller whose request carried the old token too: no new request.
    let again = session.rejected(&old, T0).await.unwrap();
    assert_eq!(again, fresh);
    assert_eq!(fake.requests(), 1);
    assert_eq!(session.access_token(T0).await.unwrap(), fresh);
}

#[tokio::test]
async fn a_provider_that_does_not_answer_keeps_the_session() {
    let fake = Fake::start().await;
    let (session, vault) = signed_in(&fake).await;
    fake.set_refresh(Refresh::Down);
    let at_expiry = Timestamp(T0.0 + HOUR);
    let e = session.access_token(at_expiry).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unreachable, "{e:?}");
    assert_eq!(e.reason, Some(Reason::ServerUnavailable { seconds: 7 }));
    assert_eq!(stored(&vault).as_deref(), Some("refresh-1"));
    fake.set_refresh(Refresh::Rotate);
    assert_eq!(
        session.access_token(at_expiry).await.unwrap().expose(),
        "access-2"
    );
}

#[tokio::test]
async fn a_refresh_with_nothing_listening_is_unreachable() {
    let fake = Fake::start().await;
    let (_, vault) = signed_in(&fake).await;
    let mut config = fake.config();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    config.token_endpoint = format!("http://{}/token", closed.local_addr().unwrap());
    drop(closed);
    let session =
        Session::restore(&http_client().unwrap(), &config, key(), vault.clone(), T0).await;
    let e = session.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unreachable);
    assert!(
        matches!(&e.reason, Some(Reason::ServerUnreachable { detail, .. }) if detail == "connection refused"),
        "{e:?}"
    );
    assert_eq!(
        stored(&vault).as_deref(),
        Some("refresh-1"),
        "kept for the next try"
    );
}

#[tokio::test]
async fn signing_out_forgets_the_tokens_and_the_stored_one() {
    let fake = Fake::start().await;
    let (session, vault) = signed_in(&fake).await;
    session.sign_out().await.unwrap();
    assert_eq!(stored(&vault), None);
    assert_ended(
        &session.access_token(T0).await.unwrap_err(),
        Reason::SignedOut,
    );
    assert_ended(
        &session
            .access_token(Timestamp(T0.0 + 2 * HOUR))
            .await
            .unwrap_err(),
        Reason::SignedOut,
    );
    assert_eq!(fake.requests(), 0);
}

#[tokio::test]
async fn a_stored_session_is_restored_with_a_refresh() {
    let fake = Fake::start().await;
    let http = http_client().unwrap();
    let vault = Arc::new(MemoryVault::new());
    let restored = Session::restore(&http, &fake.config(), key(), vault.clone(), T0).await;
    assert!(
        restored.unwrap().is_none(),
        "nothing stored, nothing restored"
    );
    assert_eq!(fake.requests(), 0);

    fake.issue_refresh("refresh-7");
    vault.save(&key(), &Secret::new("refresh-7")).unwrap();
    let session = Session::restore(&http, &fake.config(), key(), vault.clone(), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fake.requests(), 1);
    assert_eq!(stored(&vault).as_deref(), Some("refresh-2"), "rotated");
    let t = session.access_token(Timestamp(T0.0 + 1000)).await.unwrap();
    assert_eq!(t.expose(), "access-2");
    assert_eq!(fake.requests(), 1);
}

#[tokio::test]
async fn a_stored_session_the_provider_refuses_is_deleted() {
    let fake = Fake::start().await;
    let http = http_client().unwrap();
    let vault = Arc::new(MemoryVault::new());
    vault.save(&key(), &Secret::new("revoked")).unwrap();
    let e = Session::restore(&http, &fake.config(), key(), vault.clone(), T0)
        .await
        .unwrap_err();
    assert_ended(&e, Reason::SignInAgain);
    assert_eq!(stored(&vault), None);
}

/// A vault that refuses to store, as a keyring may.
struct Refusing;

impl Vault for Refusing {
    fn load(&self, _: &AccountKey) -> Result<Option<Secret>, Error> {
        Ok(None)
    }
    fn save(&self, _: &AccountKey, _: &Secret) -> Result<(), Error> {
        Err(Error::internal("The system keyring failed: locked."))
    }
    fn delete(&self, _: &AccountKey) -> Result<(), Error> {
        Ok(())
    }
}

#[tokio::test]
async fn a_vault_that_refuses_leaves_a_session_in_memory_and_says_why() {
    let fake = Fake::start().await;
    fake.issue_refresh("refresh-1");
    let tokens = Tokens {
        access: Secret::new("access-1"),
        expires_at: Timestamp(T0.0 + HOUR),
        refresh: Some(Secret::new("refresh-1")),
    };
    let session = Session::new(
        &http_client().unwrap(),
        &fake.config(),
        key(),
        tokens,
        Arc::new(Refusing),
    )
    .await;
    assert_eq!(
        session.vault_problem().as_deref(),
        Some("The system keyring failed: locked.")
    );
    assert_eq!(
        session
            .access_token(Timestamp(T0.0 + HOUR))
            .await
            .unwrap()
            .expose(),
        "access-2"
    );
}
