//! A small omni-server and OAuth provider over real HTTP on 127.0.0.1, for these tests: it
//! answers `/.well-known/omni-configuration`, the authority's OpenID configuration, an
//! authorization endpoint that redirects at once with a code (what a browser would be sent to
//! after the person signs in), and a token endpoint that checks the PKCE verifier against the
//! challenge the authorization URL carried and rotates refresh tokens.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use omni_signin::ServerConfig;
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the token endpoint answers a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// New access and refresh tokens (the old refresh token no longer works).
    Rotate,
    /// New access token, no refresh token in the answer.
    Keep,
    /// 400 invalid_grant.
    Refuse,
    /// 503.
    Down,
}

#[derive(Default)]
struct State {
    /// code_challenge per code handed out.
    codes: HashMap<String, (String, String)>,
    /// The refresh token that works now.
    refresh: Option<String>,
    generation: usize,
    refresh_mode: Option<Refresh>,
    /// What /.well-known/omni-configuration answers instead, when set: (status, content type,
    /// body).
    omni_answer: Option<(u16, &'static str, String)>,
    refuse_codes: bool,
}

#[derive(Clone)]
pub struct Fake {
    pub base: String,
    pub token_requests: Arc<AtomicUsize>,
    /// How long a refresh takes, so concurrent callers meet it in flight.
    refresh_delay: Duration,
    state: Arc<Mutex<State>>,
}

impl Fake {
    pub async fn start() -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let fake = Fake {
            base: format!("http://{addr}"),
            token_requests: Arc::new(AtomicUsize::new(0)),
            refresh_delay: Duration::from_millis(150),
            state: Arc::new(Mutex::new(State::default())),
        };
        let server = fake.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let server = server.clone();
                tokio::spawn(async move { server.serve(stream).await });
            }
        });
        fake
    }

    pub fn authority(&self) -> String {
        format!("{}/authority", self.base)
    }

    pub fn config(&self) -> ServerConfig {
        ServerConfig {
            server: self.base.clone(),
            authority: self.authority(),
            client_id: "omni-desktop".into(),
            scopes: vec!["api://omni/access_as_user".into(), "offline_access".into()],
            audience: "api://omni".into(),
            authorization_endpoint: format!("{}/authorize", self.authority()),
            token_endpoint: format!("{}/token", self.authority()),
        }
    }

    pub fn requests(&self) -> usize {
        self.token_requests.load(Ordering::SeqCst)
    }

    pub fn set_refresh(&self, mode: Refresh) {
        self.state.lock().unwrap().refresh_mode = Some(mode);
    }

    /// The refresh token the provider accepts now (as if it had issued it).
    pub fn issue_refresh(&self, token: &str) {
        let mut state = self.state.lock().unwrap();
        state.refresh = Some(token.to_string());
        state.generation = 1;
    }

    pub fn refuse_codes(&self) {
        self.state.lock().unwrap().refuse_codes = true;
    }

    pub fn answer_omni_configuration(&self, status: u16, content_type: &'static str, body: &str) {
        self.state.lock().unwrap().omni_answer = Some((status, content_type, body.to_string()));
    }

    async fn serve(&self, mut stream: TcpStream) {
        let Some((method, target, body)) = read_request(&mut stream).await else {
            return;
        };
        let (status, headers, body) = self.route(&method, &target, &body).await;
        let mut response = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (k, v) in headers {
            response.push_str(&format!("{k}: {v}\r\n"));
        }
        response.push_str("\r\n");
        response.push_str(&body);
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    }

    async fn route(
        &self,
        method: &str,
        target: &str,
        body: &str,
    ) -> (u16, Vec<(String, String)>, String) {
        let json = |status: u16, body: serde_json::Value| {
            (
                status,
                vec![("Content-Type".into(), "application/json".into())],
                body.to_string(),
            )
        };
        let url = url::Url::parse(&format!("http://fake{target}")).unwrap();
        match (method, url.path()) {
            ("GET", "/.well-known/omni-configuration") => {
                if let Some((status, ct, body)) = self.state.lock().unwrap().omni_answer.clone() {
                    return (status, vec![("Content-Type".into(), ct.into())], body);
                }
                json(
                    200,
                    serde_json::json!({
                        "authority": self.authority(),
                        "client_id": "omni-desktop",
                        "scopes": ["api://omni/access_as_user", "offline_access"],
                        "audience": "api://omni",
                    }),
                )
            }
            ("GET", "/authority/.well-known/openid-configuration") => json(
                200,
                serde_json::json!({
                    "issuer": self.authority(),
                    "authorization_endpoint": format!("{}/authorize", self.authority()),
                    "token_endpoint": format!("{}/token", self.authority()),
                    "jwks_uri": format!("{}/jwks", self.authority()),
                }),
            ),
            ("GET", "/authority/authorize") => {
                let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
                assert_eq!(q["response_type"], "code");
                assert_eq!(q["code_challenge_method"], "S256");
                let code = format!("code-{}", q["state"].len() + q["code_challenge"].len());
                self.state.lock().unwrap().codes.insert(
                    code.clone(),
                    (q["code_challenge"].clone(), q["redirect_uri"].clone()),
                );
                let mut location = url::Url::parse(&q["redirect_uri"]).unwrap();
                location
                    .query_pairs_mut()
                    .append_pair("code", &code)
                    .append_pair("state", &q["state"]);
                (
                    302,
                    vec![("Location".into(), location.to_string())],
                    String::new(),
                )
            }
            ("POST", "/authority/token") => {
                self.token_requests.fetch_add(1, Ordering::SeqCst);
                let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
                    .into_owned()
                    .collect();
                assert_eq!(form["client_id"], "omni-desktop");
                match form["grant_type"].as_str() {
                    "authorization_code" => self.exchange(&form, json),
                    "refresh_token" => {
                        tokio::time::sleep(self.refresh_delay).await;
                        self.refresh(&form, json)
                    }
                    _ => json(400, serde_json::json!({"error": "unsupported_grant_type"})),
                }
            }
            _ => (
                404,
                vec![("Content-Type".into(), "text/html".into())],
                "<html>no</html>".into(),
            ),
        }
    }

    fn exchange(
        &self,
        form: &HashMap<String, String>,
        json: impl Fn(u16, serde_json::Value) -> (u16, Vec<(String, String)>, String),
    ) -> (u16, Vec<(String, String)>, String) {
        let mut state = self.state.lock().unwrap();
        let refused = json(
            400,
            serde_json::json!({"error": "invalid_grant", "error_description": "The code is not valid."}),
        );
        if state.refuse_codes {
            return refused;
        }
        let Some((challenge, redirect)) = state.codes.remove(&form["code"]) else {
            return refused;
        };
        let verifier = &form["code_verifier"];
        let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()));
        if computed != challenge || form["redirect_uri"] != redirect {
            return json(
                400,
                serde_json::json!({"error": "invalid_grant", "error_description": "PKCE verification failed."}),
            );
        }
        state.generation = 1;
        state.refresh = Some("refresh-1".into());
        json(
            200,
            serde_json::json!({
                "access_token": "access-1", "token_type": "Bearer", "expires_in": 3600,
                "refresh_token": "refresh-1", "scope": "api://omni/access_as_user offline_access",
            }),
        )
    }

    fn refresh(
        &self,
        form: &HashMap<String, String>,
        json: impl Fn(u16, serde_json::Value) -> (u16, Vec<(String, String)>, String),
    ) -> (u16, Vec<(String, String)>, String) {
        let mut state = self.state.lock().unwrap();
        let mode = state.refresh_mode.unwrap_or(Refresh::Rotate);
        if mode == Refresh::Down {
            return (503, vec![("Retry-After".into(), "7".into())], "down".into());
        }
        if mode == Refresh::Refuse
            || state.refresh.as_deref() != Some(form["refresh_token"].as_str())
        {
            return json(
                400,
                serde_json::json!({"error": "invalid_grant", "error_description": "AADSTS70000: The refresh token was revoked."}),
            );
        }
        assert_eq!(form["scope"], "api://omni/access_as_user offline_access");
        state.generation += 1;
        let n = state.generation;
        if mode == Refresh::Keep {
            return json(
                200,
                serde_json::json!({
                    "access_token": format!("access-{n}"), "token_type": "Bearer", "expires_in": 3600,
                }),
            );
        }
        state.refresh = Some(format!("refresh-{n}"));
        json(
            200,
            serde_json::json!({
                "access_token": format!("access-{n}"), "token_type": "Bearer", "expires_in": 3600,
                "refresh_token": format!("refresh-{n}"),
            }),
        )
    }
}

/// Method, target and body of one HTTP/1.1 request.
async fn read_request(stream: &mut TcpStream) -> Option<(String, String, String)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while data.len() < head_end + length {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    }
    let mut first = head.lines().next()?.split(' ');
    Some((
        first.next()?.to_string(),
        first.next()?.to_string(),
        String::from_utf8_lossy(&data[head_end..head_end + length]).to_string(),
    ))
}
