//! What each command does: resolve the caller, call one store operation, print.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use omni_core::error::Result;
use omni_core::model::{Id, Timestamp};
use omni_core::{Email, Error, ErrorCode, Phone, Reason};
use omni_requests::ListRequest;
use omni_store::{
    AuditQuery, Caller, DemoSpec, DirectoryKind, ImportOptions, LinkKind, Progress, Store, UserEdit,
};

use crate::args::{
    Cli, Command, DirectoryCommand, LicensesCommand, LinkTarget, ListFilter, PhoneArgs,
    UsersCommand,
};
use crate::output::{self, Out};

/// The desktop app's data file: `<data dir>/com.poweromni.admin/omni.db`.
fn default_db() -> Result<PathBuf> {
    dirs::data_dir()
        .map(|d| d.join("com.poweromni.admin").join("omni.db"))
        .ok_or_else(|| {
            Error::invalid("Cannot find your data folder: pass --db PATH or set OMNI_DB.")
        })
}

/// The one place the clock is read.
fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp(ms)
}

fn email(s: &str) -> Result<Email> {
    omni_requests::email(s, "email")
}

fn phone(p: &PhoneArgs) -> Result<Option<Phone>> {
    omni_requests::phone(p.country_code.as_deref(), p.phone.as_deref())
}

/// The table's request the flags make (a page of 50 unless `users list` says otherwise).
fn list_request(f: &ListFilter) -> ListRequest {
    ListRequest {
        search: f.search.clone(),
        role: f.role.clone(),
        licensed: if f.licensed {
            Some(true)
        } else if f.unlicensed {
            Some(false)
        } else {
            None
        },
        near_or_over_budget: f.over_budget,
        sort: Some(f.sort.clone()),
        descending: f.desc,
        offset: 0,
        limit: 50,
    }
}

/// A progress bar on a terminal (never with --json), or nothing.
fn progress_bar(json: bool, what: &str) -> Option<indicatif::ProgressBar> {
    if json || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {percent}% {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    Some(bar)
}

fn report_to(bar: &Option<indicatif::ProgressBar>) -> impl Fn(Progress) + Sync + '_ {
    move |p: Progress| {
        if let Some(b) = bar {
            b.set_length(p.total.max(p.done));
            b.set_position(p.done);
        }
    }
}

async fn caller(store: &Store, as_user: Option<&str>) -> Result<Caller> {
    let org = store.local_org().await?;
    match as_user {
        Some(e) => store.caller_by_email(org.id, &email(e)?).await,
        None => store.owner(&org).await,
    }
}

pub async fn run(cli: Cli) -> Result<()> {
    let path = match &cli.db {
        Some(p) => p.clone(),
        None => default_db()?,
    };
    let store = Store::open(&path).await?;
    let out = Out { json: cli.json };
    let result = dispatch(&store, &cli, &out).await;
    store.close().await;
    result
}

async fn dispatch(store: &Store, cli: &Cli, out: &Out) -> Result<()> {
    let now = now();
    let acts_as_nobody = match &cli.command {
        Command::Init { .. } => Some("init"),
        Command::Maintain => Some("maintain"),
        _ => None,
    };
    if let (Some(command), Some(_)) = (acts_as_nobody, &cli.as_user) {
        return Err(Error::invalid(format!(
            "--as does not apply to `omni {command}`: it acts on the database itself, not as a \
             user of the organization. Run it without --as."
        )));
    }
    if let Command::Init { org, owner, seats } = &cli.command {
        let c = omni_requests::create_local_org(store, org, owner, *seats, now)
            .await
            .map_err(|e| match e.reason {
                // The CLI speaks of the file it was given, not of an app.
                Some(Reason::OrgExists) => Error::new(
                    ErrorCode::AlreadyExists,
                    "This database already holds an organization.",
                ),
                _ => e,
            })?;
        return out.summary(&store.summary(&c).await?);
    }
    if let Command::Demo { users, seats } = &cli.command {
        return demo(store, cli, out, *users, *seats, now).await;
    }
    if let Command::Maintain = &cli.command {
        return out.forgotten(&store.forget_expired(now).await?);
    }
    let c = caller(store, cli.as_user.as_deref()).await?;
    let uid = |e: &str| {
        let e = e.to_string();
        async move { store.user_id(c.org, &email(&e)?).await }
    };
    match &cli.command {
        Command::Init { .. } | Command::Demo { .. } | Command::Maintain => Ok(()),
        Command::Summary => out.summary(&store.summary(&c).await?),
        Command::Users(cmd) => users(store, &c, out, cmd, now).await,
        Command::Licenses(LicensesCommand::Seats { seats }) => {
            store.set_seats(&c, *seats, now).await?;
            out.summary(&store.summary(&c).await?)
        }
        Command::Licenses(
            LicensesCommand::Assign { emails } | LicensesCommand::Unassign { emails },
        ) => {
            let assign = matches!(
                cli.command,
                Command::Licenses(LicensesCommand::Assign { .. })
            );
            let mut ids = Vec::new();
            for e in emails {
                ids.push(uid(e).await?);
            }
            let users = store.set_licensed(&c, &ids, assign, now).await?;
            out.users(&users)
        }
        Command::Import {
            file,
            dry_run,
            rejected,
            role: r,
            licensed,
        } => {
            let opts = ImportOptions {
                role: omni_requests::role(r)?,
                licensed: *licensed,
            };
            import(
                store,
                &c,
                out,
                file,
                *dry_run,
                rejected.as_deref(),
                opts,
                now,
            )
            .await
        }
        Command::Export { file, filter } => {
            let scope = list_request(filter).export_scope()?;
            let bar = progress_bar(out.json || file == "-", "Exporting");
            let n = if file == "-" {
                let stdout = std::io::stdout();
                store
                    .export(
                        &c,
                        &scope,
                        BufWriter::with_capacity(1 << 20, stdout),
                        &report_to(&bar),
                        now,
                    )
                    .await?
                    .1
            } else {
                let f = File::create(file)
                    .map_err(|e| Error::invalid(format!("Cannot create {file}: {e}.")))?;
                let (w, n) = store
                    .export(
                        &c,
                        &scope,
                        BufWriter::with_capacity(1 << 20, f),
                        &report_to(&bar),
                        now,
                    )
                    .await?;
                w.into_inner()
                    .map_err(|e| Error::internal(format!("Cannot write {file}: {e}.")))?;
                n
            };
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            if file != "-" {
                out.done(
                    &format!("Exported {n} users to {file}."),
                    serde_json::json!({"exported": n, "file": file}),
                )?;
            }
            Ok(())
        }
        Command::Groups(cmd) => directory(store, &c, out, DirectoryKind::Group, cmd, now).await,
        Command::Workspaces(cmd) => {
            directory(store, &c, out, DirectoryKind::Workspace, cmd, now).await
        }
        Command::Agents(cmd) => directory(store, &c, out, DirectoryKind::Agent, cmd, now).await,
        Command::Access { email: e } => {
            let id = uid(e).await?;
            out.access(e, &store.access(&c, id).await?)
        }
        Command::Audit {
            limit,
            actor,
            action,
            target,
            from,
            until,
            before,
            csv,
        } => {
            let query = AuditQuery {
                actor: actor.clone(),
                action: action.clone(),
                target: target.clone(),
                from: from.as_deref().map(omni_requests::time_from).transpose()?,
                until: until
                    .as_deref()
                    .map(omni_requests::time_until)
                    .transpose()?,
                before: *before,
                limit: *limit,
            };
            match csv {
                None => out.audit(&store.audit(&c, &query).await?),
                Some(file) => audit_csv(store, &c, out, &query, file).await,
            }
        }
        Command::Changes { after, limit } => {
            out.changes(&store.changes(&c, *after, *limit, now).await?)
        }
    }
}

/// `omni audit --csv FILE`: every entry the filters select, as the app's export writes them.
async fn audit_csv(
    store: &Store,
    c: &Caller,
    out: &Out,
    query: &AuditQuery,
    file: &str,
) -> Result<()> {
    let bar = progress_bar(out.json || file == "-", "Exporting");
    let n = if file == "-" {
        let stdout = BufWriter::with_capacity(1 << 20, std::io::stdout());
        let (mut w, n) = store
            .export_audit(c, query, stdout, &report_to(&bar))
            .await?;
        w.flush()
            .map_err(|e| Error::internal(format!("Cannot write the export: {e}.")))?;
        n
    } else {
        let f = File::create(file)
            .map_err(|e| Error::invalid(format!("Cannot create {file}: {e}.")))?;
        let (w, n) = store
            .export_audit(
                c,
                query,
                BufWriter::with_capacity(1 << 20, f),
                &report_to(&bar),
            )
            .await?;
        w.into_inner()
            .map_err(|e| Error::internal(format!("Cannot write {file}: {e}.")))?;
        n
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if file != "-" {
        out.done(
            &format!("Exported {n} audit entries to {file}."),
            serde_json::json!({"exported": n, "file": file}),
        )?;
    }
    Ok(())
}

async fn users(
    store: &Store,
    c: &Caller,
    out: &Out,
    cmd: &UsersCommand,
    now: Timestamp,
) -> Result<()> {
    let uid = |e: &str| {
        let e = e.to_string();
        async move { store.user_id(c.org, &email(&e)?).await }
    };
    match cmd {
        UsersCommand::List {
            filter,
            limit,
            offset,
        } => {
            let q = ListRequest {
                limit: *limit,
                offset: *offset,
                ..list_request(filter)
            }
            .query()?;
            out.page(&store.list_users(c, &q, now).await?)
        }
        UsersCommand::Add {
            email: e,
            phone: p,
            role: r,
        } => {
            let new = omni_store::NewUser {
                email: email(e)?,
                phone: phone(p)?,
                role: omni_requests::role(r)?,
            };
            out.user(&store.create_user(c, new, now).await?)
        }
        UsersCommand::Edit {
            email: e,
            phone: p,
            clear_phone,
            role: r,
            budget,
        } => {
            let edit = UserEdit {
                phone: if *clear_phone {
                    Some(None)
                } else {
                    phone(p)?.map(Some)
                },
                role: r.as_deref().map(omni_requests::role).transpose()?,
                budget: budget.as_deref().map(omni_requests::budget).transpose()?,
                expected_version: None,
            };
            out.user(&store.edit_user(c, uid(e).await?, edit, now).await?)
        }
        UsersCommand::SetRole { email: e, role: r } => {
            let role = omni_requests::role(r)?;
            let users = store.set_role(c, &[uid(e).await?], role, now).await?;
            out.users(&users)
        }
        UsersCommand::Delete { emails } => {
            let mut ids = Vec::new();
            for e in emails {
                ids.push(uid(e).await?);
            }
            store.delete_users(c, &ids, now).await?;
            out.done(
                &format!(
                    "Deleted {} user(s); they can be restored for 30 days.",
                    ids.len()
                ),
                serde_json::json!({"deleted": ids.len()}),
            )
        }
        UsersCommand::Restore { email: e } => {
            let e = email(e)?;
            let deleted = store.deleted_users(c, now).await?;
            let id = deleted
                .iter()
                .find(|(u, _)| u.email == e)
                .map(|(u, _)| u.id)
                .ok_or_else(|| {
                    Error::not_found(format!(
                        "{e} is not among the users deleted in the last 30 days."
                    ))
                })?;
            out.user(&store.restore_user(c, id, now).await?)
        }
        UsersCommand::Deleted => out.deleted(&store.deleted_users(c, now).await?),
        UsersCommand::Budget { email: e, amount } => out.user(
            &store
                .set_budget(c, uid(e).await?, omni_requests::budget(amount)?, now)
                .await?,
        ),
    }
}

#[allow(clippy::too_many_arguments)]
async fn import(
    store: &Store,
    c: &Caller,
    out: &Out,
    file: &Path,
    dry_run: bool,
    rejected: Option<&Path>,
    opts: ImportOptions,
    now: Timestamp,
) -> Result<()> {
    let open = || {
        File::open(file)
            .map_err(|e| Error::invalid(format!("Cannot open {}: {e}.", file.display())))
    };
    let size = open()?.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(out.json, if dry_run { "Checking" } else { "Importing" });
    let reader = std::io::BufReader::with_capacity(1 << 20, open()?);
    let report = if dry_run {
        store
            .import_preview(c, reader, opts, size, &report_to(&bar), now)
            .await?
    } else {
        store
            .import_commit(c, reader, opts, size, &report_to(&bar), None, now)
            .await?
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(path) = rejected {
        let f = File::create(path)
            .map_err(|e| Error::invalid(format!("Cannot create {}: {e}.", path.display())))?;
        let mut w = BufWriter::new(f);
        omni_core::csv::write_rejected(&mut w, &report.errors)
            .and_then(|_| w.flush())
            .map_err(|e| Error::internal(format!("Cannot write {}: {e}.", path.display())))?;
    }
    output::import_report(out, &report)
}

async fn demo(
    store: &Store,
    cli: &Cli,
    out: &Out,
    users: u64,
    seats: Option<i64>,
    now: Timestamp,
) -> Result<()> {
    let want = seats.unwrap_or(((users as i64) * 7 / 10).max(1));
    let c = if store.orgs().await?.is_empty() {
        omni_requests::create_local_org(store, "Acme (demo)", "owner@acme.com", want, now).await?
    } else {
        let c = caller(store, cli.as_user.as_deref()).await?;
        let s = store.summary(&c).await?;
        if s.seats.purchased < want {
            store.set_seats(&c, want, now).await?;
        }
        c
    };
    let bar = progress_bar(out.json, "Generating");
    store
        .generate_demo(&c, DemoSpec { users }, &report_to(&bar), now)
        .await?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    out.summary(&store.summary(&c).await?)
}

async fn directory(
    store: &Store,
    c: &Caller,
    out: &Out,
    kind: DirectoryKind,
    cmd: &DirectoryCommand,
    now: Timestamp,
) -> Result<()> {
    let id = |name: &str| {
        let name = name.to_string();
        async move { store.item_by_name(c, kind, &name).await.map(|i| i.id) }
    };
    match cmd {
        DirectoryCommand::List => out.items(&store.items(c, kind).await?),
        DirectoryCommand::Add { name } => out.item(&store.create_item(c, kind, name, now).await?),
        DirectoryCommand::Rename { name, new_name } => out.item(
            &store
                .rename_item(c, Some(kind), id(name).await?, new_name, now)
                .await?,
        ),
        DirectoryCommand::Delete { name } => {
            store
                .delete_item(c, Some(kind), id(name).await?, now)
                .await?;
            out.done(
                &format!("Deleted the {} {name}.", kind.as_str()),
                serde_json::json!({"deleted": name}),
            )
        }
        DirectoryCommand::Reach { name } => {
            if kind != DirectoryKind::Agent {
                return Err(Error::invalid(
                    "Only agents are reached: use `omni agents reach NAME`.",
                ));
            }
            out.reach(name, &store.agent_reach(c, id(name).await?).await?)
        }
        DirectoryCommand::Link { name, to } | DirectoryCommand::Unlink { name, to } => {
            let this = id(name).await?;
            let (link, a, b) = link_ends(store, c, kind, this, to).await?;
            let linking = matches!(cmd, DirectoryCommand::Link { .. });
            let changed = if linking {
                store.link(c, link, a, b, now).await?
            } else {
                store.unlink(c, link, a, b, now).await?
            };
            let verb = match (linking, changed) {
                (true, true) => "Linked",
                (true, false) => "Already linked:",
                (false, true) => "Unlinked",
                (false, false) => "Was not linked:",
            };
            out.done(
                &format!("{verb} {} {name}.", kind.as_str()),
                serde_json::json!({"changed": changed}),
            )
        }
    }
}

/// Which link kind `kind --user/--group/--workspace` means, and its two ends.
async fn link_ends(
    store: &Store,
    c: &Caller,
    kind: DirectoryKind,
    this: Id,
    to: &LinkTarget,
) -> Result<(LinkKind, Id, Id)> {
    let user = match &to.user {
        Some(e) => Some(store.user_id(c.org, &email(e)?).await?),
        None => None,
    };
    let group = match &to.group {
        Some(n) => Some(store.item_by_name(c, DirectoryKind::Group, n).await?.id),
        None => None,
    };
    let workspace = match &to.workspace {
        Some(n) => Some(store.item_by_name(c, DirectoryKind::Workspace, n).await?.id),
        None => None,
    };
    use DirectoryKind::*;
    match (kind, user, group, workspace) {
        (Group, Some(u), _, _) => Ok((LinkKind::UserGroup, u, this)),
        (Group, _, _, Some(w)) => Ok((LinkKind::GroupWorkspace, this, w)),
        (Workspace, Some(u), _, _) => Ok((LinkKind::UserWorkspace, u, this)),
        (Workspace, _, Some(g), _) => Ok((LinkKind::GroupWorkspace, g, this)),
        (Agent, Some(u), _, _) => Ok((LinkKind::AgentUser, this, u)),
        (Agent, _, Some(g), _) => Ok((LinkKind::AgentGroup, this, g)),
        (Agent, _, _, Some(w)) => Ok((LinkKind::AgentWorkspace, this, w)),
        _ => Err(Error::invalid(format!(
            "A {} links to {}.",
            kind.as_str(),
            match kind {
                Group => "a user (--user) or a workspace (--workspace)",
                Workspace => "a user (--user) or a group (--group)",
                Agent => "a user, a group or a workspace",
            }
        ))),
    }
}
