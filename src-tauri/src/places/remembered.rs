//! What the places are made of, as remembered in `places.json` and as the screens show them.

use omni_core::model::{Id, Role, Timestamp};
use omni_signin::ServerConfig;
use serde::{Deserialize, Serialize};

/// A place the app can work on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlaceKey {
    /// The organization in this computer's database.
    #[default]
    Local,
    /// The organization of whoever signs in to the omni-server at `address`.
    Server { address: String },
}

/// Who signed in to a server last, as shown (nothing secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Account {
    pub email: String,
    pub name: Option<String>,
    pub org_id: Id,
    pub org_name: String,
    pub role: Role,
    /// Their user in the organization (so the local copy can be read as them offline).
    #[serde(default)]
    pub user_id: Option<Id>,
}

/// A server the app knows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct KnownServer {
    pub(super) config: ServerConfig,
    pub(super) account: Option<Account>,
}

/// What `places.json` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Remembered {
    pub(super) current: PlaceKey,
    pub(super) servers: Vec<KnownServer>,
}

/// A server as the screens show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ServerShown {
    pub address: String,
    /// Signed in now, in this run.
    pub signed_in: bool,
    /// Who signed in last (also when signed out since).
    pub account: Option<Account>,
}

/// How the local copy of the server in use stands, as the screens say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// The first download is under way: reads go to the server meanwhile.
    Downloading,
    /// The copy follows the server.
    UpToDate,
    /// The server cannot be reached: the screens show the copy as of `synced_at`.
    Offline,
}

/// The copy's state and when the server was last heard from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SyncShown {
    pub state: SyncState,
    pub synced_at: Option<Timestamp>,
    /// Edits made offline, waiting to be sent ("3 changes waiting").
    pub waiting: u32,
    /// Offline edits the server refused or found stale ("1 needs your attention").
    pub needs_attention: u32,
    /// While downloading: how far, once the snapshot's size is known ("Syncing 45 %").
    pub percent: Option<u8>,
}
