//! The product's nouns: roles, money, time, users and the seat pool.
//!
//! These are plain values shared by every layer (store, CLI, server, desktop app). They carry no
//! behaviour that needs I/O; the rules about who may change them live in [`crate::policy`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::email::Email;
use crate::phone::Phone;
use crate::reason::Reason;

/// A person's permission level in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Role {
    /// Restricted access: uses only agents shared with them.
    User,
    /// Content management: agents, groups, workspaces; no billing or licenses.
    Collaborator,
    /// Full access, including licenses, seats and budgets.
    Administrator,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::User, Role::Collaborator, Role::Administrator];

    /// The stable lower-case name used in files, the CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Collaborator => "collaborator",
            Role::Administrator => "administrator",
        }
    }

    /// Inverse of [`Role::as_str`] for stored values.
    pub fn from_stored(s: &str) -> Option<Role> {
        s.parse().ok()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a role name that is none of the three.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.reason().detail().unwrap_or_default())]
pub struct UnknownRole(pub String);

impl UnknownRole {
    pub fn reason(&self) -> Reason {
        Reason::UnknownRole {
            text: self.0.clone(),
        }
    }
}

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "user" => Ok(Role::User),
            "collaborator" => Ok(Role::Collaborator),
            "administrator" | "admin" => Ok(Role::Administrator),
            _ => Err(UnknownRole(s.to_string())),
        }
    }
}

/// Which directory list an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DirectoryKind {
    Group,
    Workspace,
    Agent,
}

impl DirectoryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DirectoryKind::Group => "group",
            DirectoryKind::Workspace => "workspace",
            DirectoryKind::Agent => "agent",
        }
    }

    /// Inverse of [`DirectoryKind::as_str`] for stored values.
    pub fn from_stored(s: &str) -> Option<DirectoryKind> {
        Some(match s {
            "group" => DirectoryKind::Group,
            "workspace" => DirectoryKind::Workspace,
            "agent" => DirectoryKind::Agent,
            _ => return None,
        })
    }
}

/// An amount of US dollars in whole micro-dollars (1 USD = 1_000_000). Never a float.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(type = "number"))]
pub struct Usd(pub i64);

/// The error for a money amount that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.reason().detail().unwrap_or_default())]
pub struct BadAmount(pub String);

impl BadAmount {
    pub fn reason(&self) -> Reason {
        Reason::BadAmount {
            text: self.0.clone(),
        }
    }
}

impl Usd {
    /// Micro-dollars in one dollar.
    pub const MICROS: i64 = 1_000_000;

    /// Whole dollars.
    pub fn dollars(d: i64) -> Usd {
        Usd(d.saturating_mul(Self::MICROS))
    }

    /// Cents.
    pub fn cents(c: i64) -> Usd {
        Usd(c.saturating_mul(10_000))
    }

    /// Reads `50`, `50.5`, `$12.40`, `0.000123`; rejects negatives, floats with more than six
    /// decimals, and anything else.
    pub fn parse(s: &str) -> Result<Usd, BadAmount> {
        let bad = || BadAmount(s.to_string());
        let t = s.trim();
        let t = t.strip_prefix('$').unwrap_or(t).trim();
        let (whole, frac) = match t.split_once('.') {
            Some((w, f)) => (w, f),
            None => (t, ""),
        };
        if whole.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if frac.len() > 6 || whole.len() > 12 {
            return Err(bad());
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let mut micros: i64 = 0;
        for (i, b) in frac.bytes().enumerate() {
            micros += i64::from(b - b'0') * 10_i64.pow(5 - i as u32);
        }
        Ok(Usd(whole * Self::MICROS + micros))
    }

    /// `12.40`: at least two decimals, more only when they are not zero. No currency sign.
    pub fn decimal(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = abs / Self::MICROS as u64;
        let frac = abs % Self::MICROS as u64;
        let mut f = format!("{frac:06}");
        while f.len() > 2 && f.ends_with('0') {
            f.pop();
        }
        format!("{sign}{whole}.{f}")
    }
}

impl fmt::Display for Usd {
    /// `$12.40`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.decimal();
        match d.strip_prefix('-') {
            Some(rest) => write!(f, "-${rest}"),
            None => write!(f, "${d}"),
        }
    }
}

/// A point in time: milliseconds since the Unix epoch, UTC. Always passed in, never read from a
/// clock inside the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(type = "number"))]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// RFC 3339 in UTC with milliseconds, e.g. `2026-11-29T14:04:11.000Z`.
    pub fn rfc3339(self) -> String {
        match chrono::DateTime::from_timestamp_millis(self.0) {
            Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            None => self.0.to_string(),
        }
    }

    /// The first instant of the calendar month (UTC) that contains this one: usage resets there.
    pub fn month_start(self) -> Timestamp {
        use chrono::Datelike;
        let Some(t) = chrono::DateTime::from_timestamp_millis(self.0) else {
            return self;
        };
        let start = chrono::NaiveDate::from_ymd_opt(t.year(), t.month(), 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc().timestamp_millis());
        Timestamp(start.unwrap_or(self.0))
    }

    /// Thirty days later: how long a deleted user stays restorable.
    pub fn plus_days(self, days: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(days.saturating_mul(86_400_000)))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

/// A stored row's identifier.
pub type Id = i64;

/// How long a deleted user can be restored.
pub const RESTORE_WINDOW_DAYS: i64 = 30;

/// Whole days left, at `now`, to restore a user deleted at `deleted_at` (rounded up: a user
/// with 29 days and an hour left has 30; 0 once the window has passed).
pub fn restore_days_left(deleted_at: Timestamp, now: Timestamp) -> i64 {
    const DAY: i64 = 86_400_000;
    let left = deleted_at
        .plus_days(RESTORE_WINDOW_DAYS)
        .0
        .saturating_sub(now.0);
    if left <= 0 {
        0
    } else {
        (left + DAY - 1) / DAY
    }
}

/// A user of the organization as every reader sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct User {
    pub id: Id,
    pub email: Email,
    pub phone: Option<Phone>,
    pub role: Role,
    pub licensed: bool,
    /// Monthly budget; `None` means no limit.
    pub budget: Option<Usd>,
    /// Spend in the current calendar month.
    pub usage: Usd,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Bumped on every change; writers must present the version they read.
    pub version: i64,
}

/// How close a user is to their budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum BudgetState {
    NoLimit,
    Within,
    /// At or above 80 % of the budget.
    Near,
    Over,
}

impl User {
    /// Where the usage stands against the budget.
    pub fn budget_state(&self) -> BudgetState {
        budget_state(self.budget, self.usage)
    }
}

/// Where `usage` stands against `budget` (`None` or zero means no limit).
pub fn budget_state(budget: Option<Usd>, usage: Usd) -> BudgetState {
    match budget {
        None => BudgetState::NoLimit,
        Some(b) if b.0 <= 0 => BudgetState::NoLimit,
        Some(b) if usage.0 > b.0 => BudgetState::Over,
        Some(b) if usage.0.saturating_mul(10) >= b.0.saturating_mul(8) => BudgetState::Near,
        Some(_) => BudgetState::Within,
    }
}

/// The license pool. `available` is derived, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Seats {
    pub purchased: i64,
    pub assigned: i64,
    pub available: i64,
}

impl Seats {
    pub fn new(purchased: i64, assigned: i64) -> Seats {
        Seats {
            purchased,
            assigned,
            available: (purchased - assigned).max(0),
        }
    }
}

/// The dashboard counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Summary {
    pub total_users: i64,
    pub licensed: i64,
    pub unlicensed: i64,
    pub administrators: i64,
    pub seats: Seats,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_left_to_restore_round_up_and_end_at_zero() {
        let deleted = Timestamp(1_796_047_451_000);
        let hour = 3_600_000;
        assert_eq!(restore_days_left(deleted, deleted), 30);
        assert_eq!(restore_days_left(deleted, Timestamp(deleted.0 + hour)), 30);
        assert_eq!(restore_days_left(deleted, deleted.plus_days(29)), 1);
        assert_eq!(
            restore_days_left(deleted, Timestamp(deleted.plus_days(30).0 - 1)),
            1
        );
        assert_eq!(restore_days_left(deleted, deleted.plus_days(30)), 0);
        assert_eq!(restore_days_left(deleted, deleted.plus_days(45)), 0);
    }

    #[test]
    fn usd_parses_and_prints() {
        assert_eq!(Usd::parse("50"), Ok(Usd::dollars(50)));
        assert_eq!(Usd::parse("$12.40"), Ok(Usd::cents(1240)));
        assert_eq!(Usd::parse(".5"), Ok(Usd(500_000)));
        assert_eq!(Usd::parse("0.000123"), Ok(Usd(123)));
        assert!(Usd::parse("-1").is_err());
        assert!(Usd::parse("1.0000001").is_err());
        assert!(Usd::parse("1e3").is_err());
        assert!(Usd::parse("").is_err());
        assert!(Usd::parse(".").is_err());
        assert_eq!(Usd::cents(1240).to_string(), "$12.40");
        assert_eq!(Usd(123).decimal(), "0.000123");
        assert_eq!(Usd::dollars(5).decimal(), "5.00");
    }

    #[test]
    fn roles_read_any_case() {
        assert_eq!("ADMINISTRATOR".parse::<Role>(), Ok(Role::Administrator));
        assert_eq!(" Collaborator ".parse::<Role>(), Ok(Role::Collaborator));
        assert!("owner".parse::<Role>().is_err());
    }

    #[test]
    fn budget_states() {
        assert_eq!(budget_state(None, Usd::dollars(5)), BudgetState::NoLimit);
        assert_eq!(
            budget_state(Some(Usd(0)), Usd::dollars(5)),
            BudgetState::NoLimit
        );
        assert_eq!(
            budget_state(Some(Usd::dollars(10)), Usd::dollars(5)),
            BudgetState::Within
        );
        assert_eq!(
            budget_state(Some(Usd::dollars(10)), Usd::dollars(8)),
            BudgetState::Near
        );
        assert_eq!(
            budget_state(Some(Usd::dollars(10)), Usd::dollars(11)),
            BudgetState::Over
        );
    }

    #[test]
    fn month_start_is_utc_first_of_month() {
        // 2026-11-29T14:04:11Z
        let t = Timestamp(1_796_047_451_000);
        assert_eq!(t.month_start().rfc3339(), "2026-11-01T00:00:00.000Z");
    }
}
