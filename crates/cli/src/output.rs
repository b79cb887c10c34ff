//! Printing results: a short text for people, or one JSON document with `--json`.

use omni_core::access::{AgentAccess, UserReach};
use omni_core::error::Result;
use omni_core::model::{Summary, Timestamp, User};
use omni_core::Error;
use omni_store::{AuditPage, ChangePage, DirectoryItem, Forgotten, ImportReport, UserPage};
use serde::Serialize;
use serde_json::json;

pub struct Out {
    pub json: bool,
}

fn print_json<T: Serialize + ?Sized>(v: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(v)
        .map_err(|e| Error::internal(format!("Cannot print JSON: {e}.")))?;
    println!("{s}");
    Ok(())
}

fn budget_usage(u: &User) -> String {
    match u.budget {
        Some(b) => format!("{} / {}", u.usage, b),
        None => format!("{} / no limit", u.usage),
    }
}

fn user_line(u: &User) -> String {
    format!(
        "{:<40} {:<16} {:<13} {:<9} {}",
        u.email.as_str(),
        u.phone.as_ref().map(|p| p.e164()).unwrap_or_default(),
        u.role.as_str(),
        if u.licensed { "licensed" } else { "-" },
        budget_usage(u)
    )
}

impl Out {
    pub fn summary(&self, s: &Summary) -> Result<()> {
        if self.json {
            return print_json(s);
        }
        println!("Total users     {}", s.total_users);
        println!("Licensed        {}", s.licensed);
        println!("Unlicensed      {}", s.unlicensed);
        println!("Administrators  {}", s.administrators);
        println!(
            "Seats           {} purchased, {} assigned, {} available",
            s.seats.purchased, s.seats.assigned, s.seats.available
        );
        Ok(())
    }

    pub fn user(&self, u: &User) -> Result<()> {
        if self.json {
            return print_json(u);
        }
        println!("{}", user_line(u));
        Ok(())
    }

    pub fn users(&self, users: &[User]) -> Result<()> {
        if self.json {
            return print_json(users);
        }
        for u in users {
            println!("{}", user_line(u));
        }
        Ok(())
    }

    pub fn page(&self, p: &UserPage) -> Result<()> {
        if self.json {
            return print_json(p);
        }
        for u in &p.users {
            println!("{}", user_line(u));
        }
        let more = if p.total_capped { "+" } else { "" };
        println!("({} shown of {}{more})", p.users.len(), p.total);
        Ok(())
    }

    pub fn deleted(&self, d: &[(User, Timestamp)]) -> Result<()> {
        if self.json {
            let v: Vec<_> = d
                .iter()
                .map(|(u, at)| json!({"user": u, "deleted_at": at.rfc3339()}))
                .collect();
            return print_json(&v);
        }
        for (u, at) in d {
            println!("{:<40} deleted {}", u.email.as_str(), at.rfc3339());
        }
        Ok(())
    }

    pub fn done(&self, text: &str, v: serde_json::Value) -> Result<()> {
        if self.json {
            return print_json(&v);
        }
        println!("{text}");
        Ok(())
    }

    pub fn items(&self, items: &[DirectoryItem]) -> Result<()> {
        if self.json {
            return print_json(items);
        }
        for i in items {
            println!("{}", i.name);
        }
        Ok(())
    }

    pub fn item(&self, i: &DirectoryItem) -> Result<()> {
        if self.json {
            return print_json(i);
        }
        println!("{} {}", i.kind.as_str(), i.name);
        Ok(())
    }

    pub fn access(&self, who: &str, a: &[AgentAccess]) -> Result<()> {
        if self.json {
            return print_json(a);
        }
        if a.is_empty() {
            println!(
                "{who} can reach no agent: share one with them, their group or their workspace."
            );
        }
        for x in a {
            let paths: Vec<String> = x.paths.iter().map(|p| p.describe()).collect();
            println!("{:<28} via {}", x.agent.name, paths.join("; "));
        }
        Ok(())
    }

    pub fn reach(&self, agent: &str, reach: &[UserReach]) -> Result<()> {
        if self.json {
            return print_json(reach);
        }
        if reach.is_empty() {
            println!("Nobody can reach {agent}: share it with users, groups or workspaces.");
        }
        for r in reach {
            let paths: Vec<String> = r.paths.iter().map(|p| p.describe()).collect();
            println!("{:<40} via {}", r.user.name, paths.join("; "));
        }
        Ok(())
    }

    pub fn audit(&self, page: &AuditPage) -> Result<()> {
        if self.json {
            return print_json(page);
        }
        for e in &page.entries {
            let change = match (&e.before, &e.after) {
                (Some(b), Some(a)) => format!("{b} → {a}"),
                (None, Some(a)) => a.to_string(),
                (Some(b), None) => format!("{b} → (removed)"),
                (None, None) => String::new(),
            };
            println!(
                "{} {} {} {} {}",
                e.at.rfc3339(),
                e.actor,
                e.action,
                e.target,
                change
            );
        }
        if let Some(last) = page.entries.last().filter(|_| page.more) {
            println!("(older entries: --before {})", last.id);
        }
        Ok(())
    }

    pub fn forgotten(&self, f: &Forgotten) -> Result<()> {
        if self.json {
            return print_json(f);
        }
        println!(
            "Purged {} deleted user(s) past their restore window; dropped {} change-feed entr{} \
             older than {} days and {} usage event(s) from before last month.",
            f.users,
            f.changes,
            if f.changes == 1 { "y" } else { "ies" },
            omni_store::FEED_KEPT_DAYS,
            f.usage_events
        );
        Ok(())
    }

    pub fn changes(&self, p: &ChangePage) -> Result<()> {
        if self.json {
            return print_json(p);
        }
        for c in &p.changes {
            println!("{} {:?} {} {:?}", c.seq, c.entity, c.id, c.op);
        }
        println!(
            "(next: {}{})",
            p.next,
            if p.done { ", up to date" } else { "" }
        );
        Ok(())
    }
}

/// The import's outcome: the counts, then every warning and rejected line.
pub fn import_report(out: &Out, r: &ImportReport) -> Result<()> {
    if out.json {
        return print_json(r);
    }
    let verb = if r.committed {
        "Imported"
    } else {
        "Preview (nothing written)"
    };
    println!(
        "{verb}: {} created, {} updated, {} unchanged, {} invalid, {} duplicates in the file.",
        r.created, r.updated, r.unchanged, r.invalid, r.duplicates_in_file
    );
    println!("File: {}, separator {}", r.encoding, r.delimiter);
    for w in &r.warnings {
        println!("warning: line {}: {}", w.line, w.reason);
    }
    for u in r.updates.iter().take(20) {
        println!(
            "update: line {}: {} phone {} → {}",
            u.line,
            u.email,
            u.before.as_deref().unwrap_or("(none)"),
            u.after
        );
    }
    for e in r.errors.iter().take(50) {
        println!("rejected: line {}: {} ({})", e.line, e.value, e.reason);
    }
    if r.errors.len() > 50 {
        println!(
            "… and {} more rejected lines (use --rejected OUT.csv to save them all).",
            r.errors.len() - 50
        );
    }
    Ok(())
}
