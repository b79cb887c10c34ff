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
        Command::Org { .. } => {
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
        Command::Org { .. } => Patience::PATIENT,
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
    }
}
