//! The CLI contract: commands, `--json` keys, exit codes 0/2/3/4/5 and one-sentence errors.

use crate::{s, Omni};

fn init(o: &Omni, seats: &str) {
    o.ok(&[
        "init",
        "--org",
        "Acme",
        "--owner",
        "owner@acme.com",
        "--seats",
        seats,
    ]);
}

#[test]
fn summary_json_has_the_documented_keys() {
    let o = Omni::new();
    init(&o, "3");
    o.ok(&[
        "users",
        "add",
        "ana@acme.com",
        "--country-code",
        "55",
        "--phone",
        "(11) 98765-4321",
    ]);
    o.ok(&["licenses", "assign", "ana@acme.com"]);
    let (code, v) = o.json(&["summary"]);
    assert_eq!(code, 0);
    assert_eq!(v["total_users"], 2);
    assert_eq!(v["licensed"], 1);
    assert_eq!(v["unlicensed"], 1);
    assert_eq!(v["administrators"], 1);
    assert_eq!(v["seats"]["purchased"], 3);
    assert_eq!(v["seats"]["assigned"], 1);
    assert_eq!(v["seats"]["available"], 2);
}

#[test]
fn exit_codes_say_what_went_wrong() {
    let o = Omni::new();
    // Usage error.
    assert_eq!(o.run(&["users", "frobnicate"]).status.code(), Some(2));
    // Not initialised: invalid input, with what to do.
    let out = o.run(&["summary"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("omni init"));
    init(&o, "1");
    o.ok(&["users", "add", "col@acme.com", "--role", "COLLABORATOR"]);
    o.ok(&["users", "add", "ana@acme.com"]);
    o.ok(&["users", "add", "bia@acme.com"]);
    // Permission denied: a Collaborator cannot make an Administrator.
    let out = o.run(&[
        "--as",
        "col@acme.com",
        "users",
        "set-role",
        "ana@acme.com",
        "administrator",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Only an Administrator"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    // Invalid input.
    assert_eq!(
        o.run(&["users", "add", "not-an-email"]).status.code(),
        Some(4)
    );
    assert_eq!(
        o.run(&["users", "add", "x@acme.com", "--role", "owner"])
            .status
            .code(),
        Some(4)
    );
    // Conflict: no seat left, last administrator, duplicate.
    o.ok(&["licenses", "assign", "ana@acme.com"]);
    let out = o.run(&["licenses", "assign", "bia@acme.com"]);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("all 1 seats"));
    assert_eq!(
        o.run(&["users", "add", "ANA@acme.com"]).status.code(),
        Some(5)
    );
    // Errors in --json mode are a JSON document too.
    let (code, v) = o.json(&["licenses", "assign", "bia@acme.com"]);
    assert_eq!(code, 5);
    assert_eq!(v["error"]["code"], "no_seat_available");
}

#[test]
fn users_list_filters_and_json() {
    let o = Omni::new();
    init(&o, "5");
    for e in ["ana@acme.com", "anabel@acme.com", "bruno@acme.com"] {
        o.ok(&["users", "add", e]);
    }
    o.ok(&["users", "set-role", "bruno@acme.com", "collaborator"]);
    o.ok(&["users", "budget", "ana@acme.com", "50"]);
    let (_, v) = o.json(&["users", "list", "--search", "ana", "--limit", "10"]);
    let emails: Vec<&str> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["ana@acme.com", "anabel@acme.com"]);
    assert_eq!(v["users"][0]["budget"], 50_000_000);
    let (_, v) = o.json(&["users", "list", "--role", "collaborator"]);
    assert_eq!(v["users"][0]["email"], "bruno@acme.com");
    let text = o.ok(&["users", "list", "--sort", "email", "--desc", "--limit", "1"]);
    assert!(text.starts_with("owner@acme.com"), "{text}");
    assert!(o.ok(&["users", "list"]).contains("$0.00 / $50.00"));
}

#[test]
fn delete_restore_and_audit() {
    let o = Omni::new();
    init(&o, "1");
    o.ok(&["users", "add", "ana@acme.com"]);
    o.ok(&["licenses", "assign", "ana@acme.com"]);
    o.ok(&["users", "delete", "ana@acme.com"]);
    let (_, v) = o.json(&["summary"]);
    assert_eq!(v["seats"]["available"], 1, "deleting frees the seat");
    assert!(o.ok(&["users", "deleted"]).contains("ana@acme.com"));
    let (_, u) = o.json(&["users", "restore", "ana@acme.com"]);
    assert_eq!(u["licensed"], false);
    let (_, log) = o.json(&["audit", "--limit", "3"]);
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["user.restore", "user.delete", "license.assign"]);
    assert_eq!(log["more"], true);

    // Filters, and the next page after the last entry shown.
    let (_, mine) = o.json(&[
        "audit",
        "--target",
        "ANA@acme.com",
        "--action",
        "user.delete",
    ]);
    assert_eq!(mine["entries"].as_array().unwrap().len(), 1);
    assert_eq!(mine["more"], false);
    let last = log["entries"][2]["id"].as_i64().unwrap().to_string();
    let (_, older) = o.json(&["audit", "--limit", "1", "--before", &last]);
    assert_eq!(older["entries"][0]["action"], "user.create");
    let (_, today) = o.json(&["audit", "--from", "2000-01-01", "--until", "2000-01-02"]);
    assert_eq!(
        today["entries"].as_array().unwrap().len(),
        0,
        "nothing in 2000"
    );
    let (code, refused) = o.json(&["audit", "--from", "yesterday"]);
    assert_eq!(code, 4, "{refused}");
    assert!(refused.to_string().contains("not a date"), "{refused}");

    // --csv: the app's export of the same filters.
    let csv = o.ok(&["audit", "--target", "ana@acme.com", "--csv", "-"]);
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
    assert_eq!(lines[0], "time,actor,action,target,before,after");
    assert_eq!(lines.len(), 2 + 4, "{csv}");
    assert!(
        lines[1].contains(",owner@acme.com,user.restore,ana@acme.com,,"),
        "{csv}"
    );
}

#[test]
fn groups_agents_and_access() {
    let o = Omni::new();
    init(&o, "1");
    o.ok(&["users", "add", "ana@acme.com"]);
    o.ok(&["groups", "add", "Sales"]);
    o.ok(&["workspaces", "add", "EMEA"]);
    o.ok(&["agents", "add", "Sales Coach"]);
    o.ok(&["agents", "add", "Contract Reviewer"]);
    o.ok(&["groups", "link", "Sales", "--user", "ana@acme.com"]);
    o.ok(&["groups", "link", "Sales", "--workspace", "EMEA"]);
    o.ok(&["agents", "link", "Sales Coach", "--group", "Sales"]);
    o.ok(&["agents", "link", "Contract Reviewer", "--workspace", "EMEA"]);
    let text = o.ok(&["access", "ana@acme.com"]);
    assert!(
        text.contains("Contract Reviewer") && text.contains("group Sales → workspace EMEA"),
        "{text}"
    );
    assert!(
        text.contains("Sales Coach") && text.contains("via group Sales"),
        "{text}"
    );
    let reach = o.ok(&["agents", "reach", "Contract Reviewer"]);
    assert!(
        reach.contains("ana@acme.com") && reach.contains("group Sales → workspace EMEA"),
        "{reach}"
    );
    assert!(
        reach.contains("owner@acme.com") && reach.contains("role administrator"),
        "{reach}"
    );
    assert_eq!(o.run(&["groups", "reach", "Sales"]).status.code(), Some(4));
    o.ok(&["agents", "unlink", "Sales Coach", "--group", "Sales"]);
    let (_, v) = o.json(&["access", "ana@acme.com"]);
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert!(o.ok(&["agents", "list"]).contains("Sales Coach"));
}

#[test]
fn import_dry_run_commit_rejected_file_and_export() {
    let o = Omni::new();
    init(&o, "10");
    let csv = o.write(
        "in.csv",
        b"ana@acme.com,55,11987654321\nbad-email\nana@acme.com\nbruno@acme.com;x\n",
    );
    let (code, v) = o.json(&["import", s(&csv), "--dry-run"]);
    assert_eq!(code, 0);
    for key in [
        "created",
        "updated",
        "unchanged",
        "invalid",
        "duplicates_in_file",
        "warnings",
        "errors",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["created"], 2, "{v}");
    assert_eq!(v["invalid"], 1);
    assert_eq!(v["duplicates_in_file"], 1);
    assert_eq!(v["errors"][0]["line"], 2);
    assert_eq!(v["errors"][0]["value"], "bad-email");
    assert!(v["errors"][0]["reason"].as_str().unwrap().contains("@"));
    let (_, s0) = o.json(&["summary"]);
    assert_eq!(s0["total_users"], 1, "a dry run writes nothing");
    let rejected = o.path("rejected.csv");
    let (_, v) = o.json(&["import", s(&csv), "--rejected", s(&rejected)]);
    assert_eq!(v["created"], 2);
    let rej = std::fs::read_to_string(&rejected).unwrap();
    assert!(rej.contains("bad-email") && rej.contains("line 2"), "{rej}");
    let out = o.path("out.csv");
    o.ok(&["export", s(&out)]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("ana@acme.com,55,11987654321,user,no"),
        "{text}"
    );
    let stdout = o.ok(&["export", "-"]);
    assert_eq!(stdout, text);
}

#[test]
fn maintain_keeps_what_is_still_restorable_and_says_what_it_forgot() {
    let o = Omni::new();
    init(&o, "3");
    o.ok(&["users", "add", "ana@acme.com"]);
    o.ok(&["users", "delete", "ana@acme.com"]);
    let (code, v) = o.json(&["maintain"]);
    assert_eq!(code, 0);
    // Deleted a moment ago: still restorable, so nothing is purged; no entry is a month old.
    assert_eq!(
        (
            v["users"].as_u64(),
            v["changes"].as_u64(),
            v["usage_events"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );
    assert!(o.ok(&["maintain"]).contains("Purged 0 deleted user(s)"));
    // It acts on the database, as nobody: a user to act as is refused, not ignored.
    let (code, v) = o.json(&["--as", "ana@acme.com", "maintain"]);
    assert_eq!(code, 4);
    assert_eq!(v["error"]["code"], "invalid_input");
    assert!(v["error"]["message"].as_str().unwrap().contains("--as"));
}

#[test]
fn input_reads_as_the_server_and_the_app_read_it() {
    let o = Omni::new();
    init(&o, "5");
    for e in ["ana@acme.com", "bruno@acme.com"] {
        o.ok(&["users", "add", e]);
    }
    // `--desc` alone exports the whole list, by email descending.
    let emails = |csv: &str| -> Vec<String> {
        csv.lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect()
    };
    let down = emails(&o.ok(&["export", "-", "--desc"]));
    assert_eq!(down, ["owner@acme.com", "bruno@acme.com", "ana@acme.com"]);
    // A budget of "none", "0" or "" is no limit.
    for none in ["none", "0", ""] {
        o.ok(&["users", "budget", "ana@acme.com", "50"]);
        let (_, v) = o.json(&["users", "budget", "ana@acme.com", none]);
        assert!(v["budget"].is_null(), "{none:?}: {v}");
    }
    // One organization per database.
    let out = o.run(&["init", "--org", "Other", "--owner", "x@acme.com"]);
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: This database already holds an organization."
    );
}
