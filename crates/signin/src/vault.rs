//! Where the refresh token waits between two runs of the app: the OS keyring (Secret Service
//! on Linux, Credential Manager on Windows, Keychain on macOS), or, where none answers, memory
//! only, so the person signs in again at the next start. Never a file: there is no plain-text
//! fallback.
//!
//! Only the refresh token is stored (a whole token response is larger than the 2,560 bytes
//! Windows keeps in one credential). It is stored as bytes (`set_secret`), so the limit counts
//! UTF-8 bytes, not the UTF-16 of a password.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use omni_core::{Error, ErrorCode};
use serde::{Deserialize, Serialize};

use crate::discover::ServerConfig;
use crate::tokens::Secret;

/// The most bytes of a refresh token kept in the Windows Credential Manager (which keeps
/// 2,560 bytes in one credential); a longer one stays in memory only.
pub(crate) const WINDOWS_MAX_SECRET: usize = 2_500;

/// The name of one stored refresh token: the keyring's service and user.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AccountKey {
    pub service: String,
    pub user: String,
}

impl AccountKey {
    /// The service every entry of the desktop app is stored under.
    pub const SERVICE: &'static str = "com.poweromni.admin";

    pub fn new(service: impl Into<String>, user: impl Into<String>) -> AccountKey {
        AccountKey {
            service: service.into(),
            user: user.into(),
        }
    }

    /// The entry of a server's session: service `com.poweromni.admin`, user
    /// `{server}|{client_id}` (e.g. `https://omni.contoso.com|6f1c…`): one session per server
    /// and client on this computer's account.
    pub fn for_server(config: &ServerConfig) -> AccountKey {
        AccountKey::new(
            AccountKey::SERVICE,
            format!("{}|{}", config.server, config.client_id),
        )
    }
}

/// One secret per [`AccountKey`]. The calls block (a keyring is a D-Bus or system call away):
/// [`crate::Session`] makes them on tokio's blocking threads.
pub trait Vault: Send + Sync {
    /// The stored secret, None when there is none.
    fn load(&self, key: &AccountKey) -> Result<Option<Secret>, Error>;
    /// Stores `secret`, replacing any.
    fn save(&self, key: &AccountKey, secret: &Secret) -> Result<(), Error>;
    /// Removes the secret; nothing to remove is not an error.
    fn delete(&self, key: &AccountKey) -> Result<(), Error>;
}

/// What [`open_vault`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VaultKind {
    /// The OS keyring answers: a session outlives the app.
    Keyring,
    /// No keyring answers: sessions are kept in memory only; `why` is a sentence for the app
    /// to show.
    MemoryOnly { why: String },
}

/// The OS keyring, through `keyring` 4 (its `v1` default: Secret Service over D-Bus on
/// Linux).
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyringVault;

impl KeyringVault {
    fn entry(key: &AccountKey) -> Result<keyring::Entry, Error> {
        keyring::Entry::new(&key.service, &key.user).map_err(keyring_error)
    }

    /// Whether the keyring answers: its store was set up, and a read of an entry nobody
    /// writes (no prompt, no change) works. The sentence says why not.
    pub fn probe() -> Result<(), String> {
        if let Err(e) = keyring::Entry::store_status() {
            return Err(format!(
                "No system keyring answers ({e}): you will have to sign in again each time Power Omni Admin starts."
            ));
        }
        let probe = AccountKey::new(AccountKey::SERVICE, "probe");
        match KeyringVault.load(&probe) {
            Ok(_) => Ok(()),
            Err(e) => Err(format!(
                "The system keyring does not answer ({}): you will have to sign in again each time Power Omni Admin starts.",
                e.message.trim_end_matches('.')
            )),
        }
    }
}

impl Vault for KeyringVault {
    fn load(&self, key: &AccountKey) -> Result<Option<Secret>, Error> {
        match Self::entry(key)?.get_secret() {
            Ok(bytes) => String::from_utf8(bytes)
                .map(|s| Some(Secret::new(s)))
                .map_err(|_| Error::internal("The keyring holds something else under this name.")),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn save(&self, key: &AccountKey, secret: &Secret) -> Result<(), Error> {
        if cfg!(windows) && !fits_windows(secret) {
            return Err(too_long());
        }
        Self::entry(key)?
            .set_secret(secret.expose().as_bytes())
            .map_err(|e| match e {
                keyring::Error::TooLong(..) => too_long(),
                e => keyring_error(e),
            })
    }

    fn delete(&self, key: &AccountKey) -> Result<(), Error> {
        match Self::entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(e)),
        }
    }
}

/// Whether Windows' Credential Manager keeps `secret` in one credential.
pub(crate) fn fits_windows(secret: &Secret) -> bool {
    secret.expose().len() <= WINDOWS_MAX_SECRET
}

fn too_long() -> Error {
    Error::new(
        ErrorCode::Internal,
        format!(
            "The sign-in is longer than the system keyring keeps ({WINDOWS_MAX_SECRET} bytes): it is kept in memory only, and you will sign in again at the next start."
        ),
    )
}

/// A keyring error, in words; its text never holds the secret (keyring's errors name the
/// failure, not the value).
fn keyring_error(e: keyring::Error) -> Error {
    let what = match &e {
        keyring::Error::NoStorageAccess(_) => "the keyring is locked or refused access".to_string(),
        keyring::Error::NoDefaultStore => "no keyring is set up".to_string(),
        e => e.to_string(),
    };
    Error::internal(format!("The system keyring failed: {what}."))
}

/// Secrets in this process's memory: for a computer without a keyring, and for tests.
#[derive(Debug, Default)]
pub struct MemoryVault {
    secrets: Mutex<HashMap<AccountKey, Secret>>,
}

impl MemoryVault {
    pub fn new() -> MemoryVault {
        MemoryVault::default()
    }

    fn secrets(&self) -> std::sync::MutexGuard<'_, HashMap<AccountKey, Secret>> {
        // A panic elsewhere while holding the lock leaves a map that is still whole.
        self.secrets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Vault for MemoryVault {
    fn load(&self, key: &AccountKey) -> Result<Option<Secret>, Error> {
        Ok(self.secrets().get(key).cloned())
    }

    fn save(&self, key: &AccountKey, secret: &Secret) -> Result<(), Error> {
        self.secrets().insert(key.clone(), secret.clone());
        Ok(())
    }

    fn delete(&self, key: &AccountKey) -> Result<(), Error> {
        self.secrets().remove(key);
        Ok(())
    }
}

/// The vault the desktop app uses: the OS keyring when it answers ([`KeyringVault::probe`]),
/// otherwise memory only, with the sentence to show. Blocking (a D-Bus round trip on Linux):
/// call it at startup or on a blocking thread.
pub fn open_vault() -> (Arc<dyn Vault>, VaultKind) {
    match KeyringVault::probe() {
        Ok(()) => (Arc::new(KeyringVault), VaultKind::Keyring),
        Err(why) => (Arc::new(MemoryVault::new()), VaultKind::MemoryOnly { why }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_the_server_and_the_client() {
        let config = ServerConfig {
            server: "https://omni.contoso.com".into(),
            authority: "https://login.example.com/t".into(),
            client_id: "omni-desktop".into(),
            scopes: vec![],
            audience: "api://omni".into(),
            authorization_endpoint: "https://login.example.com/t/authorize".into(),
            token_endpoint: "https://login.example.com/t/token".into(),
        };
        assert_eq!(
            AccountKey::for_server(&config),
            AccountKey::new(
                "com.poweromni.admin",
                "https://omni.contoso.com|omni-desktop"
            )
        );
    }

    #[test]
    fn windows_keeps_a_refresh_token_up_to_2500_bytes() {
        assert!(fits_windows(&Secret::new("a".repeat(2_500))));
        assert!(!fits_windows(&Secret::new("a".repeat(2_501))));
    }

    #[test]
    fn the_memory_vault_keeps_one_secret_per_key() {
        let vault = MemoryVault::new();
        let (a, b) = (AccountKey::new("s", "a"), AccountKey::new("s", "b"));
        vault.save(&a, &Secret::new("1")).unwrap();
        vault.save(&a, &Secret::new("2")).unwrap();
        assert_eq!(vault.load(&a).unwrap(), Some(Secret::new("2")));
        assert_eq!(vault.load(&b).unwrap(), None);
        vault.delete(&a).unwrap();
        vault.delete(&a).unwrap();
        assert_eq!(vault.load(&a).unwrap(), None);
    }
}
