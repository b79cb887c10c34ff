//! A sign-in through the loopback listener, the browser played by plain HTTP requests.

use std::time::Duration;

use omni_core::{ErrorCode, Reason, Timestamp};
use omni_signin::{http_client, SignIn, Tokens};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::fake::Fake;

const NOW: Timestamp = Timestamp(1_800_000_000_000);
const WAIT: Duration = Duration::from_secs(20);

/// GET `url` as a browser would, without following redirects: (status, Location, body).
async fn get(url: &str) -> (u16, Option<String>, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (status, location, response.text().await.unwrap())
}

/// The provider's redirect back to the app for this sign-in (the person signed in).
async fn provider_redirect(sign_in: &SignIn) -> String {
    let (status, location, _) = get(sign_in.url()).await;
    assert_eq!(status, 302);
    location.unwrap()
}

fn port(sign_in: &SignIn) -> u16 {
    url::Url::parse(sign_in.redirect_uri())
        .unwrap()
        .port()
        .unwrap()
}

type Waiting = tokio::task::JoinHandle<Result<Tokens, omni_core::Error>>;

/// A sign-in waiting on its own task, the provider's redirect for it, and its port.
async fn start(fake: &Fake) -> (Waiting, u16, String) {
    start_waiting(fake, WAIT).await
}

async fn start_waiting(fake: &Fake, wait: Duration) -> (Waiting, u16, String) {
    let http = http_client().unwrap();
    let sign_in = SignIn::start(&http, &fake.config()).unwrap();
    let redirect = provider_redirect(&sign_in).await;
    let port = port(&sign_in);
    assert!(redirect.starts_with(&format!("http://127.0.0.1:{port}/callback?code=")));
    let waiting = tokio::spawn(async move { sign_in.finish(wait, || NOW).await });
    (waiting, port, redirect)
}

async fn connection_refused(port: u16) -> bool {
    match TcpStream::connect(("127.0.0.1", port)).await {
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionRefused,
        Ok(_) => false,
    }
}

#[tokio::test]
async fn the_right_redirect_gets_the_page_and_the_tokens_and_closes_the_listener() {
    let fake = Fake::start().await;
    let (waiting, port, redirect) = start(&fake).await;
    let (status, _, page) = get(&redirect).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("You can close this tab and return to Power Omni Admin"),
        "{page}"
    );
    let tokens = waiting.await.unwrap().unwrap();
    assert_eq!(tokens.access.expose(), "access-1");
    assert_eq!(
        tokens.refresh.as_ref().map(|r| r.expose()),
        Some("refresh-1")
    );
    assert_eq!(tokens.expires_at, Timestamp(NOW.0 + 3_600_000));
    assert_eq!(fake.requests(), 1);
    assert!(connection_refused(port).await, "the listener still answers");
}

#[tokio::test]
async fn the_listener_is_bound_to_127_0_0_1_only() {
    let fake = Fake::start().await;
    let http = http_client().unwrap();
    let sign_in = SignIn::start(&http, &fake.config()).unwrap();
    let port = port(&sign_in);
    assert!(sign_in.redirect_uri().starts_with("http://127.0.0.1:"));
    TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    // This computer's address on its network (no packet is sent: a UDP "connect" only picks
    // the route). A listener on 0.0.0.0 would answer there.
    let udp = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    let other = udp
        .connect("10.255.255.255:9")
        .ok()
        .and_then(|()| udp.local_addr().ok())
        .map(|a| a.ip())
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified());
    match other {
        Some(ip) => {
            let e = TcpStream::connect((ip, port)).await.unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{ip}");
        }
        None => println!("skipped the non-loopback check: this computer has no other address"),
    }
    for host in ["[::1]"] {
        assert!(
            TcpStream::connect(format!("{host}:{port}")).await.is_err(),
            "{host} answers"
        );
    }
}

#[tokio::test]
async fn a_redirect_for_another_sign_in_is_refused_and_the_listener_keeps_waiting() {
    let fake = Fake::start().await;
    let (waiting, port, redirect) = start(&fake).await;
    // A connection that says nothing does not hold the listener up.
    let _silent = TcpStream::connect(("127.0.0.1", port)).await.unwrap();

    let mut wrong = url::Url::parse(&redirect).unwrap();
    let pairs: Vec<(String, String)> = wrong.query_pairs().into_owned().collect();
    wrong.query_pairs_mut().clear();
    for (k, v) in &pairs {
        let v = if k == "state" {
            "forged".to_string()
        } else {
            v.clone()
        };
        wrong.query_pairs_mut().append_pair(k, &v);
    }
    let (status, _, page) = get(wrong.as_str()).await;
    assert_eq!(status, 400);
    assert!(page.contains("This sign-in link is not the one Power Omni Admin is waiting for"));

    let mut no_state = url::Url::parse(&redirect).unwrap();
    no_state.set_query(Some(&format!("code={}", pairs[0].1)));
    assert_eq!(get(no_state.as_str()).await.0, 400);
    assert_eq!(
        get(&format!("http://127.0.0.1:{port}/favicon.ico")).await.0,
        404
    );
    assert!(!waiting.is_finished());

    let (status, _, page) = get(&redirect).await;
    assert_eq!(status, 200, "{page}");
    let tokens = waiting.await.unwrap().unwrap();
    assert_eq!(tokens.access.expose(), "access-1");
    assert!(connection_refused(port).await);
}

#[tokio::test]
async fn a_refusal_from_the_provider_ends_the_sign_in() {
    let fake = Fake::start().await;
    let (waiting, port, redirect) = start(&fake).await;
    let state = url::Url::parse(&redirect)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let (status, _, page) = get(&format!(
        "http://127.0.0.1:{port}/callback?error=access_denied&error_description=The+user+declined&state={state}"
    ))
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("refused"), "{page}");
    let e = waiting.await.unwrap().unwrap_err();
    assert_eq!(e.code, ErrorCode::SignInRequired);
    assert_eq!(
        e.reason,
        Some(Reason::SignInRefused {
            detail: "access_denied: The user declined".into()
        })
    );
    assert_eq!(fake.requests(), 0, "no code, no exchange");
    assert!(connection_refused(port).await);
}

#[tokio::test]
async fn a_code_the_token_endpoint_refuses_ends_the_sign_in() {
    let fake = Fake::start().await;
    fake.refuse_codes();
    let (waiting, _, redirect) = start(&fake).await;
    assert_eq!(get(&redirect).await.0, 200);
    let e = waiting.await.unwrap().unwrap_err();
    assert_eq!(e.code, ErrorCode::SignInRequired);
    assert_eq!(
        e.reason,
        Some(Reason::SignInRefused {
            detail: "invalid_grant: The code is not valid.".into()
        })
    );
}

#[tokio::test]
async fn cancel_stops_the_wait_and_closes_the_listener() {
    let fake = Fake::start().await;
    let http = http_client().unwrap();
    let sign_in = SignIn::start(&http, &fake.config()).unwrap();
    let port = port(&sign_in);
    let canceller = sign_in.canceller();
    let waiting = tokio::spawn(sign_in.finish(WAIT, || NOW));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiting.is_finished());
    canceller.cancel();
    let e = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("cancel ends the wait")
        .unwrap()
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Cancelled);
    assert_eq!(e.reason, Some(Reason::SignInCancelled));
    assert!(connection_refused(port).await);
    canceller.cancel();
}

#[tokio::test]
async fn a_sign_in_nobody_finishes_times_out() {
    let fake = Fake::start().await;
    let (waiting, port, _) = start_waiting(&fake, Duration::from_millis(300)).await;
    let e = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Cancelled);
    assert_eq!(e.reason, Some(Reason::SignInTimedOut { minutes: 1 }));
    assert!(connection_refused(port).await);
    assert_eq!(fake.requests(), 0);
}

#[tokio::test]
async fn a_request_that_is_not_http_is_dropped_and_the_wait_goes_on() {
    let fake = Fake::start().await;
    let (waiting, port, redirect) = start(&fake).await;
    let mut junk = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    junk.write_all(b"HELLO\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    junk.read_to_end(&mut answer).await.unwrap();
    assert!(answer.is_empty());
    assert_eq!(get(&redirect).await.0, 200);
    assert!(waiting.await.unwrap().is_ok());
}
