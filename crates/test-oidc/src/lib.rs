//! For tests only (a dev-dependency of omni-server's and omni-client's tests): the test OpenID
//! provider of `tests/oidc` (a real oidc-provider, Entra-shaped, one issuer per tenant),
//! started once per test binary, and real access tokens from it. One copy of what both test
//! binaries need, so they cannot start the provider differently.
//!
//! Panics instead of returning errors: a test fixture that cannot start must fail its test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::BufRead;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

/// The provider's port. The process starts at the first call and exits with the test binary
/// (its stdin closes). On a fresh checkout it first installs the pinned provider (`npm ci`).
pub fn port() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc");
        if !dir.join("node_modules/oidc-provider").exists() {
            let ok = std::process::Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&dir)
                .status()
                .expect("npm");
            assert!(ok.success(), "npm ci in tests/oidc failed");
        }
        let mut child = std::process::Command::new("node")
            .arg("provider.mjs")
            .current_dir(&dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("node");
        let out = child.stdout.take().unwrap();
        // Bounded: a provider that never says its port fails the test instead of hanging it.
        let (said, heard) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(out).read_line(&mut line);
            let _ = said.send(line);
        });
        let line = heard
            .recv_timeout(Duration::from_secs(60))
            .expect("the test OpenID provider did not say its port within 60 s");
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the test OpenID provider said {line:?}: {e}"));
        // Kept open for the life of this process: closing stdin stops the provider.
        std::mem::forget(child.stdin.take());
        std::mem::forget(child);
        v["port"].as_u64().unwrap() as u16
    })
}

/// `http://127.0.0.1:{port}`: the authority, under which each tenant's issuer is
/// `{authority}/{tenant}/v2.0`.
pub fn authority() -> String {
    format!("http://127.0.0.1:{}", port())
}

/// An HTTP client for the provider and the servers under test: bounded, so a request that is
/// never answered fails its test instead of hanging the suite.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A real access token of `tenant` from the `tests` client (client credentials for
/// `resource`), with the extra `person_*` parameters the provider turns into claims (see
/// tests/oidc/README.md). A request the provider has not answered in 10 s is sent again (a
/// stalled one hung a whole suite once); three misses fail the test.
pub async fn client_credentials(tenant: &str, resource: &str, person: &[(&str, String)]) -> String {
    let mut form: Vec<(&str, String)> = vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", "tests".into()),
        ("client_secret", "tests-secret".into()),
        ("resource", resource.into()),
        ("scope", "access_as_user".into()),
    ];
    form.extend(person.iter().cloned());
    let mut last = String::new();
    for _ in 0..3 {
        let sent = http()
            .post(format!("{}/{tenant}/v2.0/token", authority()))
            .form(&form)
            .send()
            .await;
        match sent {
            Ok(res) if res.status().is_success() => {
                let v: Value = res.json().await.unwrap();
                return v["access_token"].as_str().unwrap().to_string();
            }
            Ok(res) => panic!("token: {}", res.status()),
            Err(e) => last = e.to_string(),
        }
    }
    panic!("the OpenID provider did not answer a token request three times: {last}");
}
