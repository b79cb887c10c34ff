//! The convergence test of connected mode's offline edits: two clients, each a process of its
//! own with a copy in its own file, reach a real omni-server through proxies the test cuts and
//! restores at random, make random edits (license, role, budget, phone, new users, links),
//! send and refresh at random, and are killed (SIGKILL) at random moments and started again,
//! while another administrator edits on the server. At the end, every copy dumps the same as
//! the server (the canonical dump: every read a screen makes), and every edit a client queued
//! is either on the server once (its `Idempotency-Key` kept there with a 2xx answer, and gone
//! from the outbox) or a conflict in that client's outbox, never both.
//!
//! The client process is this test binary itself, run as the ignored test [`client_process`]
//! with its plan in `OMNI_CONVERGE_PLAN` (without it, the test returns at once). The seed is
//! printed, and `OMNI_CONVERGE_SEED` replays it (the kills fall where the timing puts them).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use omni_client::{ServerOrganization, Url};
use omni_core::model::{DirectoryKind, Role, Timestamp, Usd};
use omni_core::Phone;
use omni_server::clock::{Clock, SystemClock};
use omni_store::sync::{EntryState, OfflineEdit};
use omni_store::{Caller, LinkKind, NewUser, Store, UserEdit, UserQuery};
use omni_sync::Copy;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::common::{email, owner_token, Cuttable, Fixed, Server};
use crate::dump::canonical_dump;

const CHILD: &str = "converge::client_process";
const PLAN: &str = "OMNI_CONVERGE_PLAN";
const CLIENTS: usize = 2;
const CHAOS: Duration = Duration::from_secs(12);

fn now() -> Timestamp {
    SystemClock.now()
}

fn no_progress() -> omni_requests::ProgressSink {
    Arc::new(|_| {})
}

/// One client process: random edits, sends and refreshes until killed; with `finish`, sends
/// and refreshes until the outbox holds no pending entry, then exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a client process of offline_edits_converge, started by it"]
async fn client_process() {
    let Ok(plan) = std::env::var(PLAN) else {
        return;
    };
    let plan: Value = serde_json::from_str(&plan).unwrap();
    let org = plan["org"].as_i64().unwrap();
    let me = plan["me"].as_i64().unwrap();
    let store = Store::open(Path::new(plan["copy"].as_str().unwrap()))
        .await
        .unwrap();
    let server = ServerOrganization::new(
        Url::parse(plan["server"].as_str().unwrap()).unwrap(),
        org,
        omni_client::http_client().unwrap(),
        Arc::new(Fixed(plan["token"].as_str().unwrap().to_string())),
    );
    let copy = Copy::new(store, org);
    if plan["finish"].as_bool().unwrap() {
        for _ in 0..100 {
            let sent = copy.send_outbox(&server, now()).await;
            let refreshed = copy.refresh(&server, no_progress(), now()).await;
            let pending = copy
                .store
                .outbox(org)
                .await
                .unwrap()
                .iter()
                .any(|e| e.state == EntryState::Pending);
            if matches!(sent, Ok(ref o) if !o.stopped_offline) && refreshed.is_ok() && !pending {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the outbox never emptied");
    }
    let mut rng = StdRng::seed_from_u64(plan["seed"].as_u64().unwrap());
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(plan["log"].as_str().unwrap())
        .unwrap();
    let caller = Caller { org, user: me };
    loop {
        let did = match rng.gen_range(0..10) {
            0..=5 => {
                let edit = random_edit(&copy.store, &caller, &mut rng).await;
                if let Some(edit) = &edit {
                    if let Ok(e) = copy.store.queue_edit(org, me, edit.clone(), now()).await {
                        writeln!(log, "{}", e.key).unwrap();
                        log.sync_data().unwrap();
                    }
                }
                format!("queue {edit:?}")
            }
            6..=7 => format!("send {:?}", copy.send_outbox(&server, now()).await),
            _ => format!(
                "refresh {:?}",
                copy.refresh(&server, no_progress(), now()).await
            ),
        };
        counters_hold(&copy.store, &caller, &did).await;
        tokio::time::sleep(Duration::from_millis(rng.gen_range(2..25))).await;
    }
}

/// The copy's counters (the dashboard) are its rows' (the table).
async fn counters_hold(store: &Store, caller: &Caller, did: &str) {
    let Ok(summary) = store.summary(caller).await else {
        return;
    };
    let q = UserQuery {
        limit: 1000,
        ..UserQuery::default()
    };
    let users = store.list_users(caller, &q, now()).await.unwrap().users;
    let rows = (
        users.len() as i64,
        users.iter().filter(|u| u.licensed).count() as i64,
        users
            .iter()
            .filter(|u| u.role == Role::Administrator)
            .count() as i64,
    );
    let counted = (
        summary.total_users,
        summary.licensed,
        summary.administrators,
    );
    assert_eq!(counted, rows, "the counters drifted after: {did}");
}

/// A random edit of what the copy shows (the owner is left alone, so an administrator
/// remains); `None` when the copy has nothing to edit yet.
async fn random_edit(store: &Store, caller: &Caller, rng: &mut StdRng) -> Option<OfflineEdit> {
    let q = UserQuery {
        limit: 1000,
        ..UserQuery::default()
    };
    let users: Vec<_> = store
        .list_users(caller, &q, now())
        .await
        .ok()?
        .users
        .into_iter()
        .filter(|u| u.id != caller.user)
        .collect();
    let roles = [Role::User, Role::Collaborator, Role::Administrator];
    if users.is_empty() || rng.gen_ratio(1, 7) {
        let new = NewUser {
            email: email(&format!("p{}@a.example", rng.gen_range(0..12))),
            phone: None,
            role: roles[rng.gen_range(0..3)],
        };
        return Some(OfflineEdit::CreateUser { user: 0, new });
    }
    let u = &users[rng.gen_range(0..users.len())];
    let (user, based_on) = (u.id, u.version);
    Some(match rng.gen_range(0..6) {
        0 => OfflineEdit::SetLicensed {
            user,
            licensed: !u.licensed,
            based_on,
        },
        1 => OfflineEdit::SetRole {
            user,
            role: roles[rng.gen_range(0..3)],
            based_on,
        },
        2 => OfflineEdit::SetBudget {
            user,
            budget: rng
                .gen_bool(0.7)
                .then(|| Usd(rng.gen_range(1..100) * 1_000_000)),
            based_on,
        },
        3 => OfflineEdit::EditUser {
            user,
            edit: UserEdit {
                phone: Some(rng.gen_bool(0.7).then(|| {
                    Phone::parse(Some("1"), &format!("20255501{:02}", rng.gen_range(0..100)))
                        .unwrap()
                })),
                budget: rng.gen_bool(0.3).then_some(None),
                ..UserEdit::default()
            },
            based_on,
        },
        _ => {
            let (link, kind) = [
                (LinkKind::UserGroup, DirectoryKind::Group),
                (LinkKind::UserWorkspace, DirectoryKind::Workspace),
                (LinkKind::AgentUser, DirectoryKind::Agent),
            ][rng.gen_range(0..3)];
            let items = store.items(caller, kind).await.ok()?;
            if items.is_empty() {
                return None;
            }
            let item = items[rng.gen_range(0..items.len())].id;
            let (a, b) = match link {
                LinkKind::AgentUser => (item, user),
                _ => (user, item),
            };
            let linked = store
                .user_links(caller, user)
                .await
                .ok()?
                .iter()
                .any(|(k, i)| *k == link && i.id == item);
            match linked {
                true => OfflineEdit::Unlink { link, a, b },
                false => OfflineEdit::Link { link, a, b },
            }
        }
    })
}

struct Client {
    copy: PathBuf,
    log: PathBuf,
    stderr: PathBuf,
    proxy: Cuttable,
    child: Option<Child>,
}

fn spawn(client: &Client, s: &Server, token: &str, seed: u64, finish: bool) -> Child {
    let plan = json!({
        "copy": client.copy, "log": client.log, "server": client.proxy.url.as_str(),
        "token": token, "org": s.org(), "me": s.owner.user, "seed": seed, "finish": finish,
    });
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&client.stderr)
        .unwrap();
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            CHILD,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(PLAN, plan.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

fn kill(child: &mut Option<Child>) {
    if let Some(mut c) = child.take() {
        let _ = c.kill(); // SIGKILL
        let _ = c.wait();
    }
}

/// Another administrator's random change on the server.
async fn other_admin(s: &Server, rng: &mut StdRng) {
    let q = UserQuery {
        limit: 1000,
        ..UserQuery::default()
    };
    let users: Vec<_> = s
        .store
        .list_users(&s.owner, &q, s.now())
        .await
        .unwrap()
        .users
        .into_iter()
        .filter(|u| u.id != s.owner.user)
        .collect();
    if users.is_empty() {
        return;
    }
    let u = &users[rng.gen_range(0..users.len())];
    let _ = match rng.gen_range(0..5) {
        0 => s
            .store
            .set_licensed(&s.owner, &[u.id], !u.licensed, s.now())
            .await
            .map(|_| ()),
        1 => s
            .store
            .set_role(&s.owner, &[u.id], Role::Collaborator, s.now())
            .await
            .map(|_| ()),
        2 => {
            let edit = UserEdit {
                budget: Some(Some(Usd(7_000_000))),
                ..UserEdit::default()
            };
            s.store
                .edit_user(&s.owner, u.id, edit, s.now())
                .await
                .map(|_| ())
        }
        3 => s.store.delete_users(&s.owner, &[u.id], s.now()).await,
        _ => {
            let groups = s.store.items(&s.owner, DirectoryKind::Group).await.unwrap();
            let g = groups[rng.gen_range(0..groups.len())].id;
            match rng.gen_bool(0.5) {
                true => {
                    s.store
                        .link(&s.owner, LinkKind::UserGroup, u.id, g, s.now())
                        .await
                }
                false => {
                    s.store
                        .unlink(&s.owner, LinkKind::UserGroup, u.id, g, s.now())
                        .await
                }
            }
            .map(|_| ())
        }
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_converge() {
    let seed: u64 = match std::env::var("OMNI_CONVERGE_SEED") {
        Ok(v) => v.parse().unwrap(),
        Err(_) => rand::random(),
    };
    eprintln!("offline_edits_converge: seed {seed} (replay with OMNI_CONVERGE_SEED={seed})");
    let mut rng = StdRng::seed_from_u64(seed);
    let s = Server::start(6).await;
    for i in 0..6 {
        let new = NewUser {
            email: email(&format!("u{i}@a.example")),
            phone: None,
            role: Role::User,
        };
        let u = s.store.create_user(&s.owner, new, s.now()).await.unwrap();
        if i % 2 == 0 {
            s.store
                .set_licensed(&s.owner, &[u.id], true, s.now())
                .await
                .unwrap();
        }
    }
    for (kind, name) in [
        (DirectoryKind::Group, "Sales"),
        (DirectoryKind::Group, "Ops"),
        (DirectoryKind::Workspace, "Main"),
        (DirectoryKind::Agent, "Helper"),
    ] {
        s.store
            .create_item(&s.owner, kind, name, s.now())
            .await
            .unwrap();
    }
    let token = owner_token().await;
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        clients.push(Client {
            copy: s.dir.path().join(format!("copy{i}.db")),
            log: s.dir.path().join(format!("keys{i}.txt")),
            stderr: s.dir.path().join(format!("client{i}.log")),
            proxy: Cuttable::start(&s.url).await,
            child: None,
        });
    }
    for c in &mut clients {
        c.child = Some(spawn(c, &s, &token, rng.gen(), false));
    }
    let start = Instant::now();
    let mut kills = 0;
    // At least CHAOS, and on a loaded machine (slow process starts) until the clients have
    // queued enough edits, within a bound.
    let queued_so_far = |clients: &[Client]| -> usize {
        clients
            .iter()
            .map(|c| std::fs::read_to_string(&c.log).map_or(0, |t| t.lines().count()))
            .sum()
    };
    while start.elapsed() < CHAOS || (queued_so_far(&clients) < 30 && start.elapsed() < CHAOS * 3) {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(50..400))).await;
        let c = &mut clients[rng.gen_range(0..CLIENTS)];
        match rng.gen_range(0..10) {
            0..=2 => c.proxy.set_up(rng.gen_bool(0.5)),
            3..=4 => {
                kill(&mut c.child);
                kills += 1;
                c.child = Some(spawn(c, &s, &token, rng.gen(), false));
            }
            5 => other_admin(&s, &mut rng).await,
            _ => {}
        }
    }
    // Everyone online again; each client, started once more, sends what it has left.
    for c in &mut clients {
        kill(&mut c.child);
        c.proxy.set_up(true);
    }
    let ended = Instant::now();
    // Twice: the second time, every outbox is empty, and each copy catches up with what the
    // others sent after it finished the first time.
    for c in clients.iter().chain(&clients) {
        let mut child = spawn(c, &s, &token, 0, true);
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            assert!(
                ended.elapsed() < Duration::from_secs(40),
                "seed {seed}: a client never finished sending"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(
            status.success(),
            "seed {seed}: the client's last run failed:\n{}",
            std::fs::read_to_string(&c.stderr).unwrap_or_default()
        );
    }

    let at = s.now();
    let on_server = canonical_dump(&s.store, &s.owner, at).await;
    let (mut queued, mut conflicts) = (0, 0);
    for (i, c) in clients.iter().enumerate() {
        let store = Store::open(&c.copy).await.unwrap();
        let copy_dump = canonical_dump(&store, &s.owner, at).await;
        assert!(
            copy_dump == on_server,
            "seed {seed}: copy {i} differs from the server\n{}\n{}",
            first_difference(&copy_dump, &on_server),
            std::fs::read_to_string(&c.stderr)
                .unwrap_or_default()
                .lines()
                .filter(|l| l.contains("drifted") || l.contains("panicked"))
                .take(4)
                .collect::<Vec<_>>()
                .join("\n")
        );
        let outbox = store.outbox(s.org()).await.unwrap();
        let keys = std::fs::read_to_string(&c.log).unwrap_or_default();
        for key in keys.lines() {
            queued += 1;
            let kept = s.store.idempotent_answer(&s.owner, key).await.unwrap();
            let status = kept.map(|k| k.answer.status);
            match outbox.iter().find(|e| e.key == key) {
                Some(e) => {
                    conflicts += 1;
                    assert!(
                        matches!(e.state, EntryState::Conflict { .. }),
                        "seed {seed}: entry still pending at the end: {e:?}"
                    );
                    assert!(
                        status.is_none_or(|st| st >= 400),
                        "seed {seed}: a conflict the server took ({status:?}): {e:?}"
                    );
                }
                None => assert!(
                    status.is_some_and(|st| (200..300).contains(&st)),
                    "seed {seed}: edit {key} is neither on the server ({status:?}) nor a conflict"
                ),
            }
        }
    }
    eprintln!(
        "offline_edits_converge: seed {seed}: {queued} edits queued, {conflicts} conflicts, \
         {kills} kills"
    );
    assert!(
        queued > 20,
        "seed {seed}: too few edits to prove anything: {queued}"
    );
}

fn first_difference(a: &str, b: &str) -> String {
    let mut out = String::new();
    for (x, y) in a.lines().zip(b.lines()).filter(|(x, y)| x != y).take(3) {
        out.push_str(&format!("copy:   {x}\nserver: {y}\n"));
    }
    if out.is_empty() {
        out = format!("lengths {} and {}", a.len(), b.len());
    }
    out
}
