//! Operator configuration: a TOML file, then `OMNI_SERVER_*` environment variables over it.
//! Nothing here is secret (tokens are verified against public keys), so the whole config may be
//! logged.

use serde::{Deserialize, Serialize};

/// Everything `omni-server serve` needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://PATH` or `postgres://user@host/db`.
    pub database: String,
    /// Connections in the database pool.
    pub pool_size: u32,
    /// The identity provider's base URL; a tenant's issuer is `{authority}/{tid}/v2.0`
    /// (Microsoft Entra ID: `https://login.microsoftonline.com`).
    pub authority: String,
    /// The audience access tokens must carry: this API's application ID URI or client id.
    pub audience: String,
    /// What clients sign in with (served at `/.well-known/omni-configuration`).
    pub client_id: String,
    pub client_authority: String,
    pub scopes: Vec<String>,
    /// Tolerance for `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// The largest request body accepted, except imports.
    pub max_body_bytes: usize,
    /// The largest CSV upload accepted.
    pub max_import_bytes: usize,
    /// Where uploads wait for their commit, as files (the system's temporary folder when unset).
    pub upload_dir: Option<std::path::PathBuf>,
    /// How long an upload waits for its commit before it is deleted, in seconds.
    pub upload_wait_secs: u64,
    /// The app role an application token needs to report usage.
    pub usage_role: String,
    /// The delegated scope (`scp`) a person's token needs for every endpoint a person calls.
    pub user_scope: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database: "sqlite://omni-server.db?mode=rwc".into(),
            pool_size: 8,
            authority: "https://login.microsoftonline.com".into(),
            audience: String::new(),
            client_id: String::new(),
            client_authority: "https://login.microsoftonline.com/organizations/v2.0".into(),
            scopes: vec!["openid".into(), "profile".into(), "offline_access".into()],
            leeway_secs: 60,
            max_body_bytes: 1 << 20,
            max_import_bytes: 256 << 20,
            upload_dir: None,
            upload_wait_secs: 3600,
            usage_role: "Usage.Report".into(),
            user_scope: "access_as_user".into(),
        }
    }
}

impl Config {
    /// Reads `file` (when given), then applies the environment.
    pub fn load(file: Option<&std::path::Path>) -> Result<Config, String> {
        let mut c = match file {
            Some(f) => {
                let text = std::fs::read_to_string(f)
                    .map_err(|e| format!("Cannot read the config file {}: {e}.", f.display()))?;
                toml::from_str(&text)
                    .map_err(|e| format!("The config file {} is not valid: {e}", f.display()))?
            }
            None => Config::default(),
        };
        c.apply_env(|k| std::env::var(k).ok())?;
        if c.audience.is_empty() {
            return Err(
                "Set the API audience (audience = \"api://...\" or OMNI_SERVER_AUDIENCE).".into(),
            );
        }
        Ok(c)
    }

    /// Overrides fields from `OMNI_SERVER_<FIELD>` variables.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), String> {
        let num = |k: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{k} must be a number, not {v:?}."))
        };
        if let Some(v) = get("OMNI_SERVER_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = get("OMNI_SERVER_DATABASE") {
            self.database = v;
        }
        if let Some(v) = get("OMNI_SERVER_POOL_SIZE") {
            self.pool_size = num("OMNI_SERVER_POOL_SIZE", v)? as u32;
        }
        if let Some(v) = get("OMNI_SERVER_AUTHORITY") {
            self.authority = v;
        }
        if let Some(v) = get("OMNI_SERVER_AUDIENCE") {
            self.audience = v;
        }
        if let Some(v) = get("OMNI_SERVER_CLIENT_ID") {
            self.client_id = v;
        }
        if let Some(v) = get("OMNI_SERVER_CLIENT_AUTHORITY") {
            self.client_authority = v;
        }
        if let Some(v) = get("OMNI_SERVER_SCOPES") {
            self.scopes = v.split_whitespace().map(str::to_string).collect();
        }
        if let Some(v) = get("OMNI_SERVER_UPLOAD_DIR") {
            self.upload_dir = Some(v.into());
        }
        if let Some(v) = get("OMNI_SERVER_UPLOAD_WAIT_SECS") {
            self.upload_wait_secs = num("OMNI_SERVER_UPLOAD_WAIT_SECS", v)?;
        }
        if let Some(v) = get("OMNI_SERVER_USER_SCOPE") {
            self.user_scope = v;
        }
        if let Some(v) = get("OMNI_SERVER_LEEWAY_SECS") {
            self.leeway_secs = num("OMNI_SERVER_LEEWAY_SECS", v)?;
        }
        Ok(())
    }
}
