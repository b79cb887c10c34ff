//! The desktop shell's checks that need no window: the generated TypeScript bindings and
//! command wrappers match the Rust side, and every command is registered, listed, granted and
//! described in the command table on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

const BINDINGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/ipc/bindings.ts");
const COMMANDS_TS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/ipc/commands.ts");

/// Rewrites `path` with `fresh` under UPDATE_BINDINGS; fails when what is committed differs.
fn generated(path: &str, fresh: &str, from: &str) {
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(path, fresh).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{path} is out of date with {from}: run `UPDATE_BINDINGS=1 cargo test -p omni-admin` and commit it"
    );
}

#[test]
fn typescript_bindings_match_the_rust_types() {
    generated(
        BINDINGS,
        &omni_admin_lib::bindings::render(),
        "the Rust types",
    );
}

#[test]
fn typescript_command_wrappers_match_the_command_table() {
    generated(
        COMMANDS_TS,
        &omni_admin_lib::bindings::render_commands(),
        "the command table (src-tauri/src/ipc.rs)",
    );
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Splits at the commas outside `<>` and `()`.
fn top_level(list: &str) -> Vec<String> {
    let (mut depth, mut parts, mut cur) = (0i32, Vec::new(), String::new());
    for c in list.chars() {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

#[test]
fn the_command_table_reads_as_the_command_functions() {
    let root = env!("CARGO_MANIFEST_DIR");
    let sources: String = [
        "org",
        "users",
        "directory",
        "files",
        "places",
        "outbox",
        "scim",
    ]
    .iter()
    .map(|m| std::fs::read_to_string(format!("{root}/src/commands/{m}.rs")).unwrap())
    .collect();
    let table = omni_admin_lib::ipc::table(&omni_admin_lib::bindings::config());
    for c in &table {
        let fun = [
            format!("pub async fn {}(", c.name),
            format!("pub fn {}(", c.name),
        ]
        .iter()
        .find_map(|f| sources.find(f.as_str()).map(|at| at + f.len()))
        .unwrap_or_else(|| panic!("no command function {}", c.name));
        let rest = squeeze(&sources[fun..]);
        let (params, after) = rest.split_once(")->Reply<").unwrap();
        let returns = &after[..after.find('{').unwrap() - 1];
        let params: Vec<String> = top_level(params)
            .into_iter()
            .filter(|p| !p.contains(":State<") && !p.ends_with(":AppHandle"))
            .collect();
        let table_params: Vec<String> = c
            .args
            .iter()
            .map(|a| squeeze(&format!("{}:{}", a.name, a.ty.rust)))
            .collect();
        assert_eq!(params, table_params, "arguments of {}", c.name);
        assert_eq!(returns, squeeze(c.returns.rust), "result of {}", c.name);
    }
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
    let table: BTreeSet<String> = omni_admin_lib::ipc::table(&omni_admin_lib::bindings::config())
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    assert_eq!(
        listed, table,
        "build.rs COMMANDS and the command table (src-tauri/src/ipc.rs) differ"
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

const REASONS_TS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/reasons.ts");

/// A catalogue text: one sentence, or its forms by plural category.
#[derive(Debug)]
enum Text {
    Plain(String),
    Plural { one: String, other: String },
}

/// The JSON string literal that starts at or after `from` in `text`.
fn string_at(text: &str, from: usize) -> String {
    let start = from + text[from..].find('"').unwrap();
    serde_json::Deserializer::from_str(&text[start..])
        .into_iter::<String>()
        .next()
        .unwrap()
        .unwrap()
}

/// The entries of `export const <name>` in reasons.ts, by reason key.
fn catalogue(ts: &str, name: &str) -> std::collections::BTreeMap<String, Text> {
    let from = ts.find(&format!("export const {name}")).unwrap();
    let to = from + ts[from..].find("\n};").unwrap();
    ts[from..to]
        .split("\n  err_")
        .skip(1)
        .map(|entry| {
            let (key, value) = entry.split_once(':').unwrap();
            let value = value.trim_start();
            let text = if value.starts_with('{') {
                Text::Plural {
                    one: string_at(value, value.find("one:").unwrap()),
                    other: string_at(value, value.find("other:").unwrap()),
                }
            } else {
                Text::Plain(string_at(value, 0))
            };
            (key.to_string(), text)
        })
        .collect()
}

/// `{name}` placeholders of a template.
fn placeholders(template: &str) -> Vec<String> {
    template
        .split('{')
        .skip(1)
        .filter_map(|p| p.split_once('}').map(|(name, _)| name.to_string()))
        .collect()
}

#[test]
fn the_reason_catalogue_has_every_reason_and_reads_as_the_english_sentences() {
    use ts_rs::TS;
    let samples = omni_core::Reason::samples();
    let fields: Vec<(String, serde_json::Map<String, serde_json::Value>)> = samples
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap();
            let map = v.as_object_mut().unwrap();
            let key = map.remove("key").unwrap().as_str().unwrap().to_string();
            (key, map.clone())
        })
        .collect();
    // Samples: each key of the Reason type once.
    let decl = <omni_core::Reason as TS>::decl(&omni_admin_lib::bindings::config());
    let declared: BTreeSet<String> = decl
        .split("\"key\": \"")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_string))
        .collect();
    let sampled: BTreeSet<String> = fields.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(sampled.len(), samples.len(), "a reason sampled twice");
    assert_eq!(
        sampled, declared,
        "Reason::samples() and the Reason type differ"
    );
    let ts = std::fs::read_to_string(REASONS_TS).unwrap();
    for language in ["reasonsEn", "reasonsPt"] {
        let texts = catalogue(&ts, language);
        let keys: BTreeSet<String> = texts.keys().cloned().collect();
        assert_eq!(keys, declared, "{language} and the Reason type differ");
        for (key, values) in &fields {
            let forms = match &texts[key] {
                Text::Plain(t) => vec![t],
                Text::Plural { one, other } => vec![one, other],
            };
            for form in forms {
                for p in placeholders(form) {
                    assert!(
                        values.contains_key(&p),
                        "{language} {key}: no field {{{p}}}"
                    );
                }
            }
        }
    }
    // The English catalogue reads as Reason::english() does.
    let en = catalogue(&ts, "reasonsEn");
    for (sample, (key, values)) in samples.iter().zip(&fields) {
        let template = match &en[key] {
            Text::Plain(t) => t,
            Text::Plural { one, other } => match values.get("count").and_then(|c| c.as_i64()) {
                Some(1) => one,
                _ => other,
            },
        };
        let mut rendered = template.clone();
        for (name, value) in values {
            let shown = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            rendered = rendered.replace(&format!("{{{name}}}"), &shown);
        }
        assert_eq!(rendered, sample.english(), "reasonsEn.err_{key}");
    }
}
