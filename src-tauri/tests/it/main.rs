//! The desktop shell's checks that need no window: the generated TypeScript bindings match the
//! Rust types, and every command is registered, listed and granted on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

const BINDINGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/ipc/bindings.ts");

#[test]
fn typescript_bindings_match_the_rust_types() {
    let fresh = omni_admin_lib::bindings::render();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(BINDINGS, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(BINDINGS).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/ipc/bindings.ts is out of date with the Rust types: run `UPDATE_BINDINGS=1 cargo test -p omni-admin` and commit it"
    );
}

fn quoted(text: &str, start: &str, end: &str) -> BTreeSet<String> {
    let from = text.find(start).unwrap() + start.len();
    let to = from + text[from..].find(end).unwrap();
    text[from..to]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn every_command_is_registered_listed_and_granted() {
    let root = env!("CARGO_MANIFEST_DIR");
    let build = std::fs::read_to_string(format!("{root}/build.rs")).unwrap();
    let listed = quoted(&build, "const COMMANDS: &[&str] = &[", "];");
    let lib = std::fs::read_to_string(format!("{root}/src/lib.rs")).unwrap();
    let from = lib.find("generate_handler![").unwrap();
    let to = from + lib[from..].find("])").unwrap();
    let registered: BTreeSet<String> = lib[from..to]
        .split(',')
        .filter_map(|s| s.trim().rsplit("::").next().map(str::to_string))
        .filter(|s| !s.is_empty() && !s.contains('['))
        .collect();
    let caps = std::fs::read_to_string(format!("{root}/capabilities/main.json")).unwrap();
    let caps: serde_json::Value = serde_json::from_str(&caps).unwrap();
    let granted: BTreeSet<String> = caps["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            p.as_str()?
                .strip_prefix("allow-")
                .map(|c| c.replace('-', "_"))
        })
        .collect();
    assert_eq!(
        listed, registered,
        "build.rs COMMANDS and generate_handler! differ"
    );
    assert_eq!(
        listed, granted,
        "build.rs COMMANDS and capabilities/main.json differ"
    );
    let all: Vec<&str> = caps["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    assert!(
        all.iter()
            .all(|p| p.starts_with("allow-") || *p == "core:event:default"),
        "unexpected permission in {all:?}"
    );
}

#[test]
fn the_content_security_policy_is_strict() {
    let conf =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tauri.conf.json")).unwrap();
    let conf: serde_json::Value = serde_json::from_str(&conf).unwrap();
    let csp = conf["app"]["security"]["csp"].as_str().unwrap();
    for needed in [
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(needed), "CSP lacks {needed}: {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval") && !csp.contains('*'),
        "CSP too loose: {csp}"
    );
}
