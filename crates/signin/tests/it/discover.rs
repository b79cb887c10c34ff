//! Discovery against a real HTTP server, and the sentences for each way it fails.

use std::time::Duration;

use omni_core::{Error, ErrorCode, Reason};
use omni_signin::{discover, http_client};

use crate::fake::Fake;

fn unreachable_detail(e: &Error) -> String {
    assert_eq!(e.code, ErrorCode::Unreachable, "{e:?}");
    match &e.reason {
        Some(Reason::ServerUnreachable { detail, .. }) => detail.clone(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn discovery_names_the_authority_client_and_endpoints() {
    let fake = Fake::start().await;
    let config = discover(&http_client().unwrap(), &format!("{}/", fake.base))
        .await
        .unwrap();
    assert_eq!(config, fake.config());
    let json = serde_json::to_string(&config).unwrap();
    assert_eq!(
        serde_json::from_str::<omni_signin::ServerConfig>(&json).unwrap(),
        config
    );
}

#[tokio::test]
async fn a_port_nobody_listens_on_is_connection_refused() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let e = discover(&http_client().unwrap(), &address)
        .await
        .unwrap_err();
    assert_eq!(unreachable_detail(&e), "connection refused");
    assert!(e.message.contains(&address), "{}", e.message);
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_no_such_host() {
    let e = discover(&http_client().unwrap(), "omni.invalid")
        .await
        .unwrap_err();
    assert_eq!(unreachable_detail(&e), "no such host");
    assert_eq!(
        e.reason,
        Some(Reason::ServerUnreachable {
            address: "https://omni.invalid".into(),
            detail: "no such host".into()
        })
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", silent.local_addr().unwrap());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let e = discover(&http, &address).await.unwrap_err();
    assert_eq!(unreachable_detail(&e), "timed out");
    drop(silent);
}

#[tokio::test]
async fn something_else_that_answers_is_not_an_omni_server() {
    let fake = Fake::start().await;
    let http = http_client().unwrap();
    for (status, content_type, body) in [
        (404, "text/html", "<html>Not found</html>"),
        (200, "text/html", "<html>Welcome to nginx</html>"),
        (200, "application/json", r#"{"issuer":"https://x"}"#),
        (301, "text/html", ""),
    ] {
        fake.answer_omni_configuration(status, content_type, body);
        let e = discover(&http, &fake.base).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Unreachable);
        assert_eq!(
            e.reason,
            Some(Reason::NotAnOmniServer {
                address: fake.base.clone()
            }),
            "{status} {body}"
        );
    }
    fake.answer_omni_configuration(503, "text/plain", "busy");
    let e = discover(&http, &fake.base).await.unwrap_err();
    assert_eq!(e.reason, Some(Reason::ServerUnavailable { seconds: 30 }));
}

#[tokio::test]
async fn an_address_that_is_not_one_is_refused_before_any_request() {
    let e = discover(&http_client().unwrap(), "not a server")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(
        e.reason,
        Some(Reason::ServerAddressInvalid {
            address: "not a server".into()
        })
    );
}

/// A real TLS server (`openssl s_server`) with a self-signed certificate: the address answers,
/// but this computer does not trust it.
#[tokio::test]
async fn a_certificate_this_computer_does_not_trust_is_named() {
    let Ok(dir) = tempfile_dir() else {
        println!("skipped: no temporary directory");
        return;
    };
    let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .args([
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    if !made.as_ref().is_ok_and(|o| o.status.success()) {
        println!("skipped: openssl is not there to make a certificate");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = tokio::process::Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(port.to_string())
        .arg("-key")
        .arg(&key)
        .arg("-cert")
        .arg(&cert)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Wait until it listens.
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let address = format!("https://127.0.0.1:{port}");
    let e = discover(&http_client().unwrap(), &address)
        .await
        .unwrap_err();
    server.kill().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(e.code, ErrorCode::Unreachable);
    assert_eq!(
        e.reason,
        Some(Reason::ServerCertificate {
            address,
            detail: "issued by an unknown authority".into()
        }),
        "{e:?}"
    );
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("omni-signin-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
