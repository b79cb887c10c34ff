//! The command line, as clap reads it. Kept apart from what the commands do.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "omni",
    version,
    about = "Manage your Power Omni organization's users, licenses and access."
)]
pub struct Cli {
    /// The database file (default: the desktop app's data file).
    #[arg(long, global = true, env = "OMNI_DB")]
    pub db: Option<PathBuf>,
    /// Act as this registered user (default: the organization's owner).
    #[arg(long = "as", global = true, value_name = "EMAIL")]
    pub as_user: Option<String>,
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the organization with its owner as first Administrator.
    Init {
        #[arg(long)]
        org: String,
        #[arg(long)]
        owner: String,
        #[arg(long, default_value_t = 0)]
        seats: i64,
    },
    /// The dashboard counters and the seat pool.
    Summary,
    /// List, add, edit and delete users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Assign and unassign licenses; set the number of seats.
    #[command(subcommand)]
    Licenses(LicensesCommand),
    /// Import users from a CSV file (email[,country code[,phone]] per line, no header).
    Import {
        file: PathBuf,
        /// Only show what the import would do.
        #[arg(long)]
        dry_run: bool,
        /// Write the rejected lines (with the reason) to this CSV file.
        #[arg(long, value_name = "OUT.csv")]
        rejected: Option<PathBuf>,
        /// Role for the new users.
        #[arg(long, default_value = "user")]
        role: String,
        /// Give every new user a license.
        #[arg(long)]
        licensed: bool,
    },
    /// Export users to CSV (`-` for standard output).
    Export {
        file: String,
        #[command(flatten)]
        filter: ListFilter,
    },
    /// Groups.
    #[command(subcommand)]
    Groups(DirectoryCommand),
    /// Workspaces.
    #[command(subcommand)]
    Workspaces(DirectoryCommand),
    /// Agents.
    #[command(subcommand)]
    Agents(DirectoryCommand),
    /// The agents a user can reach, and the path that grants each.
    Access { email: String },
    /// The audit log, newest first, filtered; or, with --csv, every entry the filters select.
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Who acted (their email).
        #[arg(long)]
        actor: Option<String>,
        /// What was done: an action's code, e.g. license.assign, user.role, seats.set.
        #[arg(long)]
        action: Option<String>,
        /// What it was done to: an email or a name.
        #[arg(long)]
        target: Option<String>,
        /// From this day (2026-11-30, UTC) or time (RFC 3339) on.
        #[arg(long)]
        from: Option<String>,
        /// Until this day (included) or time (excluded).
        #[arg(long)]
        until: Option<String>,
        /// Entries older than this entry's id (the last one already shown).
        #[arg(long)]
        before: Option<i64>,
        /// Write every entry the filters select as CSV to FILE (- for standard output).
        #[arg(long, value_name = "FILE")]
        csv: Option<String>,
    },
    /// Forget what has expired: users deleted more than 30 days ago (with their links),
    /// change-feed entries older than 30 days, usage events from before last month. The
    /// desktop app does this at every start.
    Maintain,
    /// The change feed after a sequence number.
    Changes {
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Generate a realistic demo organization (creates it when there is none).
    Demo {
        #[arg(long)]
        users: u64,
        /// Seats to purchase (default: enough for about 70 % of users).
        #[arg(long)]
        seats: Option<i64>,
    },
}

#[derive(Debug, Args, Default)]
pub struct ListFilter {
    /// Start of the email, or @ and the start of the domain.
    #[arg(long)]
    pub search: Option<String>,
    #[arg(long)]
    pub role: Option<String>,
    #[arg(long, conflicts_with = "unlicensed")]
    pub licensed: bool,
    #[arg(long)]
    pub unlicensed: bool,
    /// Only users at or over 80 % of their budget.
    #[arg(long)]
    pub over_budget: bool,
    /// email, phone, role, license, budget, usage, created or updated.
    #[arg(long, default_value = "email")]
    pub sort: String,
    #[arg(long)]
    pub desc: bool,
}

#[derive(Debug, Args)]
pub struct PhoneArgs {
    /// Country calling code, e.g. 55.
    #[arg(long, value_name = "CC")]
    pub country_code: Option<String>,
    /// National number (or +CC… with the country code).
    #[arg(long)]
    pub phone: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    List {
        #[command(flatten)]
        filter: ListFilter,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    Add {
        email: String,
        #[command(flatten)]
        phone: PhoneArgs,
        #[arg(long, default_value = "user")]
        role: String,
    },
    Edit {
        email: String,
        #[command(flatten)]
        phone: PhoneArgs,
        /// Remove the phone number.
        #[arg(long, conflicts_with = "phone")]
        clear_phone: bool,
        #[arg(long)]
        role: Option<String>,
        /// Monthly budget in USD, or `none`.
        #[arg(long)]
        budget: Option<String>,
    },
    SetRole {
        email: String,
        role: String,
    },
    Delete {
        #[arg(required = true)]
        emails: Vec<String>,
    },
    Restore {
        email: String,
    },
    /// Users deleted in the last 30 days.
    Deleted,
    Budget {
        email: String,
        /// USD per month, or `none` for no limit.
        amount: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum LicensesCommand {
    Assign {
        #[arg(required = true)]
        emails: Vec<String>,
    },
    Unassign {
        #[arg(required = true)]
        emails: Vec<String>,
    },
    Seats {
        seats: i64,
    },
}

/// Where a link goes, for `link` and `unlink`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct LinkTarget {
    #[arg(long)]
    pub user: Option<String>,
    #[arg(long)]
    pub group: Option<String>,
    #[arg(long)]
    pub workspace: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    List,
    Add {
        name: String,
    },
    Rename {
        name: String,
        new_name: String,
    },
    Delete {
        name: String,
    },
    Link {
        name: String,
        #[command(flatten)]
        to: LinkTarget,
    },
    Unlink {
        name: String,
        #[command(flatten)]
        to: LinkTarget,
    },
    /// Who can reach an agent, and the path that grants each (agents only).
    Reach {
        name: String,
    },
}
