//! `omni-server`: run the server, or administer organizations on its database.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use omni_core::Email;
use omni_server::clock::{Clock, SystemClock};
use omni_server::{AppState, Config};
use omni_store::{Patience, Store};

/// A request allocates and frees many small buffers on two threads at once; glibc's allocator
/// spent about a seventh of a license toggle's CPU time there (perf, bench/server).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "omni-server", version, about = "Power Omni Admin server")]
struct Cli {
    /// Config file (TOML); OMNI_SERVER_* variables override it.
    #[arg(long, env = "OMNI_SERVER_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API until Ctrl-C or SIGTERM.
    Serve,
    /// Organizations on this server.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// SCIM provisioning of an organization (docs/scim.md): its tokens and settings.
    Scim {
        #[command(subcommand)]
        command: ScimCommand,
    },
}

#[derive(Subcommand)]
enum ScimCommand {
    /// Provisioning tokens. Made as the organization's owner (an Administrator).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Shows the provisioning settings, or changes those given.
    Settings {
        #[arg(long)]
        org: i64,
        /// New users get a license while seats last.
        #[arg(long)]
        license_new_users: Option<bool>,
        /// What becomes of role, license and budget sent by provisioning: apply, ignore or refuse.
        #[arg(long)]
        extension: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Creates a token and prints it once: only its hash is kept.
    Create {
        #[arg(long)]
        org: i64,
        /// What the audit log calls it, e.g. "Entra ID".
        #[arg(long)]
        name: String,
    },
    /// Lists the tokens (never the tokens themselves), with when each was last used.
    List {
        #[arg(long)]
        org: i64,
    },
    /// Revokes a token: it is refused from now on.
    Revoke {
        #[arg(long)]
        org: i64,
        #[arg(long)]
        id: i64,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Creates an organization bound to an Entra ID tenant, with its owner.
    Create {
        #[arg(long)]
        name: String,
        /// The Entra ID tenant id (tid) whose people sign in to it.
        #[arg(long)]
        entra_tenant: String,
        /// The owner's sign-in email: the first Administrator.
        #[arg(long)]
        owner: String,
        #[arg(long, default_value_t = 0)]
        seats: i64,
    },
    /// Lists the organizations.
    List,
}

fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("omni-server: {message}");
    std::process::exit(1)
}

fn main() {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => fail(format!("cannot start the runtime: {e}")),
    };
    rt.block_on(run(cli));
}

async fn run(cli: Cli) {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OMNI_SERVER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = match cli.command {
        // Organizations can be administered before the API's audience is configured.
        Command::Org { .. } | Command::Scim { .. } => {
            let mut c = match &cli.config {
                Some(f) => Config::load(Some(f)).unwrap_or_else(|e| fail(e)),
                None => Config::default(),
            };
            c.apply_env(|k| std::env::var(k).ok())
                .unwrap_or_else(|e| fail(e));
            c
        }
        Command::Serve => Config::load(cli.config.as_deref()).unwrap_or_else(|e| fail(e)),
    };
    // Serving, every wait for the database is bounded, so requests are refused at once while
    // it is down (docs/database-outage.md); an operator's command may wait its turn.
    let patience = match cli.command {
        Command::Serve => Patience::SERVER,
        Command::Org { .. } | Command::Scim { .. } => Patience::PATIENT,
    };
    let store = Store::connect_bounded(&config.database, config.pool_size, patience)
        .await
        .unwrap_or_else(|e| fail(e));
    let now = SystemClock.now();
    match cli.command {
        Command::Serve => {
            let listener = tokio::net::TcpListener::bind(&config.listen)
                .await
                .unwrap_or_else(|e| fail(format!("cannot listen on {}: {e}", config.listen)));
            tracing::info!(listen = %config.listen, backend = ?store.backend(), authority = %config.authority, audience = %config.audience, "serving");
            // Changes committed by other processes on the same PostgreSQL wake this one's
            // long polls.
            store.listen_for_changes();
            let state = AppState::new(store.clone(), config, Arc::new(SystemClock));
            let forgetting = tokio::spawn(omni_server::forget_expired_hourly(state.clone()));
            omni_server::serve(
                listener,
                omni_server::router(state),
                omni_server::shutdown_signal(),
            )
            .await
            .unwrap_or_else(|e| fail(e));
            forgetting.abort();
            let _ = forgetting.await;
            store.close().await;
            tracing::info!("stopped");
        }
        Command::Org { command } => match command {
            OrgCommand::Create {
                name,
                entra_tenant,
                owner,
                seats,
            } => {
                let owner = Email::parse(&owner).unwrap_or_else(|e| fail(e));
                let c = store
                    .create_org(&name, &owner, seats, Some(&entra_tenant), now)
                    .await
                    .unwrap_or_else(|e| fail(e));
                println!(
                    "{}",
                    serde_json::json!({"org": c.org, "owner_user": c.user})
                );
            }
            OrgCommand::List => {
                let orgs = store.orgs().await.unwrap_or_else(|e| fail(e));
                println!("{}", serde_json::to_string(&orgs).unwrap_or_default());
            }
        },
        Command::Scim { command } => scim(&store, command, now).await,
    }
}

/// The organization's owner, who acts for the operator's SCIM commands.
async fn owner_of(store: &Store, org: i64) -> omni_store::Caller {
    let orgs = store.orgs().await.unwrap_or_else(|e| fail(e));
    let org = orgs
        .iter()
        .find(|o| o.id == org)
        .unwrap_or_else(|| fail(format!("there is no organization {org}")));
    store.owner(org).await.unwrap_or_else(|e| fail(e))
}

async fn scim(store: &Store, command: ScimCommand, now: omni_core::model::Timestamp) {
    use omni_store::scim::{ExtensionPolicy, ScimSettings};
    let print = |v: serde_json::Value| println!("{v}");
    match command {
        ScimCommand::Token { command } => match command {
            TokenCommand::Create { org, name } => {
                let caller = owner_of(store, org).await;
                let (token, hash) = omni_server::scim::new_token();
                let t = store
                    .create_scim_token(&caller, &name, &hash, now)
                    .await
                    .unwrap_or_else(|e| fail(e));
                print(serde_json::json!({
                    "id": t.id,
                    "name": t.name,
                    "token": token,
                    "note": "Shown once: only its hash is kept.",
                }));
            }
            TokenCommand::List { org } => {
                let caller = owner_of(store, org).await;
                let tokens = store.scim_tokens(&caller).await.unwrap_or_else(|e| fail(e));
                print(serde_json::to_value(&tokens).unwrap_or_default());
            }
            TokenCommand::Revoke { org, id } => {
                let caller = owner_of(store, org).await;
                let t = store
                    .revoke_scim_token(&caller, id, now)
                    .await
                    .unwrap_or_else(|e| fail(e));
                print(serde_json::to_value(&t).unwrap_or_default());
            }
        },
        ScimCommand::Settings {
            org,
            license_new_users,
            extension,
        } => {
            let caller = owner_of(store, org).await;
            let mut settings = store
                .scim_settings(&caller)
                .await
                .unwrap_or_else(|e| fail(e));
            if license_new_users.is_none() && extension.is_none() {
                print(serde_json::to_value(settings).unwrap_or_default());
                return;
            }
            if let Some(l) = license_new_users {
                settings.license_new_users = l;
            }
            if let Some(x) = extension {
                settings.extension = ExtensionPolicy::parse(&x)
                    .unwrap_or_else(|| fail("--extension is apply, ignore or refuse"));
            }
            let s: ScimSettings = store
                .set_scim_settings(&caller, settings, now)
                .await
                .unwrap_or_else(|e| fail(e));
            print(serde_json::to_value(s).unwrap_or_default());
        }
    }
}
