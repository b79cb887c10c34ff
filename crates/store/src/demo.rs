//! A realistic generated organization, for trying the product and for benchmarks.
//!
//! Users come in through the real CSV import (a generated file streamed into
//! [`Store::import_commit`]); groups, workspaces, agents and their links through the directory
//! operations; then licenses, budgets and this month's usage are spread over the users in a few
//! set-based statements (checked by the same policy and seat invariant, and recorded in the
//! change feed), so a million users take seconds rather than hours.

use std::io::Read;

use omni_core::error::Result;
use omni_core::model::{Id, Timestamp};
use omni_core::policy::{self, Action};
use serde_json::json;

use crate::db::{internal, reserve_seq};
use crate::directory::{DirectoryKind, LinkKind};
use crate::import::{ImportOptions, Progress};
use crate::org::{bump_counters, counters};
use crate::{audit, Caller, Store};

/// How big a demo organization to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSpec {
    pub users: u64,
}

const FIRST: [&str; 24] = [
    "ana", "bruno", "carla", "diego", "elena", "felipe", "gabriela", "hugo", "isabel", "joao",
    "karin", "lucas", "maria", "nuno", "olivia", "pedro", "quentin", "rafaela", "sofia", "tiago",
    "ursula", "vitor", "wanda", "yuri",
];
const LAST: [&str; 16] = [
    "silva", "santos", "oliveira", "souza", "lima", "pereira", "costa", "almeida", "smith",
    "johnson", "garcia", "martin", "muller", "rossi", "novak", "tanaka",
];
const DOMAINS: [&str; 4] = ["acme.com", "acme.com.br", "acme.de", "contractors.acme.com"];
const GROUPS: [&str; 8] = [
    "Sales",
    "Finance",
    "Engineering",
    "Support",
    "Marketing",
    "Legal",
    "People",
    "Operations",
];
const WORKSPACES: [&str; 5] = [
    "Americas",
    "EMEA",
    "APAC",
    "Internal Tools",
    "Customer Success",
];
const AGENTS: [&str; 10] = [
    "Contract Reviewer",
    "Sales Coach",
    "Ticket Triage",
    "Invoice Checker",
    "Release Notes Writer",
    "Onboarding Buddy",
    "Policy Q&A",
    "Campaign Planner",
    "Code Reviewer",
    "Forecast Analyst",
];

/// Streams `n` CSV lines `email,55,phone` without holding them.
struct DemoCsv {
    next: u64,
    n: u64,
    buf: Vec<u8>,
    pos: usize,
}

impl Read for DemoCsv {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.buf.len() {
            if self.next >= self.n {
                return Ok(0);
            }
            self.buf.clear();
            self.pos = 0;
            for _ in 0..1000 {
                if self.next >= self.n {
                    break;
                }
                let i = self.next;
                self.next += 1;
                let first = FIRST[(i % 24) as usize];
                let last = LAST[((i / 24) % 16) as usize];
                let domain = DOMAINS[((i / 7) % 4) as usize];
                let line = if i % 5 == 0 {
                    format!("{first}.{last}{i}@{domain}\r\n")
                } else {
                    // Valid São Paulo mobile numbers: 11 9xxxx-xxxx.
                    format!(
                        "{first}.{last}{i}@{domain},55,119{:08}\r\n",
                        (i * 7919) % 100_000_000
                    )
                };
                self.buf.extend_from_slice(line.as_bytes());
            }
        }
        let k = (self.buf.len() - self.pos).min(out.len());
        out[..k].copy_from_slice(&self.buf[self.pos..self.pos + k]);
        self.pos += k;
        Ok(k)
    }
}

impl Store {
    /// Fills the caller's organization with `spec.users` generated users, groups, workspaces,
    /// agents, links, licenses (up to the free seats, about 70 % of users), budgets and usage.
    pub async fn generate_demo(
        &self,
        caller: &Caller,
        spec: DemoSpec,
        progress: &(dyn Fn(Progress) + Sync),
        now: Timestamp,
    ) -> Result<()> {
        let file = DemoCsv {
            next: 0,
            n: spec.users,
            buf: Vec::new(),
            pos: 0,
        };
        self.import_commit(
            caller,
            file,
            ImportOptions::default(),
            0,
            progress,
            None,
            now,
        )
        .await?;
        let ids = |kind, names: &'static [&'static str]| {
            let store = self.clone();
            async move {
                let mut out = Vec::new();
                for name in names {
                    let item = match store.item_by_name(caller, kind, name).await {
                        Ok(item) => item,
                        Err(_) => store.create_item(caller, kind, name, now).await?,
                    };
                    out.push(item.id);
                }
                Ok::<Vec<Id>, omni_core::Error>(out)
            }
        };
        let groups = ids(DirectoryKind::Group, &GROUPS).await?;
        let workspaces = ids(DirectoryKind::Workspace, &WORKSPACES).await?;
        let agents = ids(DirectoryKind::Agent, &AGENTS).await?;
        for (i, g) in groups.iter().enumerate() {
            self.link(
                caller,
                LinkKind::GroupWorkspace,
                *g,
                workspaces[i % workspaces.len()],
                now,
            )
            .await?;
        }
        for (i, a) in agents.iter().enumerate() {
            self.link(
                caller,
                LinkKind::AgentWorkspace,
                *a,
                workspaces[i % workspaces.len()],
                now,
            )
            .await?;
            self.link(
                caller,
                LinkKind::AgentGroup,
                *a,
                groups[(i * 3) % groups.len()],
                now,
            )
            .await?;
        }
        self.spread(caller, &groups, now).await
    }

    /// Group memberships, licenses, budgets and usage in set-based statements.
    async fn spread(&self, caller: &Caller, groups: &[Id], now: Timestamp) -> Result<()> {
        let mut w = self.write(caller, now).await?;
        for action in [
            Action::ManageDirectory,
            Action::ManageLicenses,
            Action::SetBudget,
        ] {
            w.authorize(&action)?;
        }
        let org = caller.org;
        let (max_link,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM links")
            .fetch_one(&mut *w.tx)
            .await
            .map_err(internal)?;
        let n = groups.len() as i64;
        for (i, g) in groups.iter().enumerate() {
            sqlx::query(
                "INSERT INTO links (org_id, kind, a_id, b_id, created_at) SELECT $1, 'user_group', id, $2, $3 FROM users \
                 WHERE org_id = $1 AND deleted_at IS NULL AND id % $4 = $5 AND role = 'user' ON CONFLICT DO NOTHING",
            )
            .bind(org)
            .bind(g)
            .bind(now.0)
            .bind(n)
            .bind(i as i64)
            .execute(&mut *w.tx)
            .await
            .map_err(internal)?;
        }
        let (new_links,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM links WHERE id > $1")
            .bind(max_link)
            .fetch_one(&mut *w.tx)
            .await
            .map_err(internal)?;
        let first = reserve_seq(&mut w.tx, org, new_links).await?;
        sqlx::query(
            "INSERT INTO changes (org_id, seq, entity, entity_id, op, at) \
             SELECT $1, $2 - 1 + ROW_NUMBER() OVER (ORDER BY id), 'link', id, 'upsert', $3 FROM links WHERE id > $4",
        )
        .bind(org)
        .bind(first)
        .bind(now.0)
        .bind(max_link)
        .execute(&mut *w.tx)
        .await
        .map_err(internal)?;

        let c = counters(&mut w.tx, org).await?;
        let free = (c.purchased - c.licensed).max(0);
        let want = (c.total * 7 / 10 - c.licensed).clamp(0, free);
        let licensed = sqlx::query(
            "UPDATE users SET licensed = 1 WHERE id IN (SELECT id FROM users WHERE org_id = $1 AND deleted_at IS NULL \
             AND licensed = 0 ORDER BY id LIMIT $2)",
        )
        .bind(org)
        .bind(want)
        .execute(&mut *w.tx)
        .await
        .map_err(internal)?
        .rows_affected() as i64;
        policy::ensure_seats(c.purchased, c.licensed + licensed)?;
        bump_counters(&mut w.tx, org, 0, licensed, 0).await?;
        // Budgets of $20 to $200 for two users in three; this month's usage from nothing to 115 % of
        // the budget (a few over, more near it), up to $120 for those without a limit.
        let month = now.month_start().0;
        let touched = sqlx::query(
            "UPDATE users SET budget_micros = CASE WHEN id % 3 = 0 THEN NULL ELSE (20 + (id * 37) % 181) * 1000000 END, \
             usage_micros = CASE WHEN licensed = 0 THEN 0 \
               WHEN id % 3 = 0 THEN ((id * 7919) % 120000) * 1000 \
               ELSE (20 + (id * 37) % 181) * ((id * 7919) % 115) * 10000 END, usage_month = $2, \
             updated_at = $3, version = version + 1 WHERE org_id = $1 AND deleted_at IS NULL",
        )
        .bind(org)
        .bind(month)
        .bind(now.0)
        .execute(&mut *w.tx)
        .await
        .map_err(internal)?
        .rows_affected() as i64;
        let first = reserve_seq(&mut w.tx, org, touched).await?;
        sqlx::query(
            "INSERT INTO changes (org_id, seq, entity, entity_id, op, at) \
             SELECT $1, $2 - 1 + ROW_NUMBER() OVER (ORDER BY id), 'user', id, 'upsert', $3 FROM users \
             WHERE org_id = $1 AND deleted_at IS NULL",
        )
        .bind(org)
        .bind(first)
        .bind(now.0)
        .execute(&mut *w.tx)
        .await
        .map_err(internal)?;
        audit::record(
            &mut w.tx,
            caller,
            now,
            "demo.generate",
            "demo data",
            None,
            Some(json!({"licensed": licensed, "users": c.total})),
        )
        .await?;
        w.commit().await?;
        Ok(())
    }
}
