//! An import killed with SIGKILL midway leaves a healthy database holding none or all of it.

use std::time::{Duration, Instant};

use crate::{s, Omni};

#[test]
fn an_import_killed_midway_leaves_none_or_all_of_it() {
    let o = Omni::new();
    o.ok(&["init", "--org", "Acme", "--owner", "owner@acme.com"]);
    let rows = 200_000;
    let body: String = (0..rows)
        .map(|i| format!("user{i}@acme.com,55,119{:08}\n", i))
        .collect();
    let csv = o.write("big.csv", body.as_bytes());
    let size = std::fs::metadata(&csv).unwrap().len();
    let mut child = o.cmd().args(["import", s(&csv)]).spawn().unwrap();
    // Kill it midway: once it has read a third of the file (Linux counts every byte a process
    // reads in /proc/PID/io), so it is inside its transaction and cannot have committed.
    let io = format!("/proc/{}/io", child.id());
    let t0 = Instant::now();
    let mut read = 0;
    while read < size / 3 && t0.elapsed() < Duration::from_secs(60) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        read = std::fs::read_to_string(&io)
            .ok()
            .and_then(|t| {
                t.lines().find_map(|l| {
                    l.strip_prefix("rchar: ")
                        .and_then(|n| n.trim().parse::<u64>().ok())
                })
            })
            .unwrap_or(0);
        std::thread::sleep(Duration::from_millis(2));
    }
    let finished_early = child.try_wait().unwrap().is_some();
    child.kill().unwrap();
    child.wait().unwrap();
    // The database opens, is healthy, and holds either none or all of the import.
    let out = std::process::Command::new("sqlite3")
        .arg(o.db())
        .arg("PRAGMA integrity_check; SELECT COUNT(*) FROM users;")
        .output();
    let (integrity, count) = match out {
        Ok(out) if out.status.success() => {
            let t = String::from_utf8(out.stdout).unwrap();
            let mut l = t.lines();
            (
                l.next().unwrap_or_default().to_string(),
                l.next().unwrap_or_default().parse::<u64>().unwrap(),
            )
        }
        _ => panic!("sqlite3 is needed for this test (apt-get install sqlite3)"),
    };
    assert_eq!(integrity, "ok");
    assert!(
        count == 1 || count == rows + 1,
        "partial import: {count} users"
    );
    assert!(
        !finished_early,
        "the import finished before it could be killed: make the file bigger"
    );
    assert_eq!(count, 1, "killed before commit, yet rows are there");
    let (_, v) = o.json(&["summary"]);
    assert_eq!(
        v["total_users"].as_u64(),
        Some(count),
        "counters agree with the rows"
    );
}
