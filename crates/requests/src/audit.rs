//! The audit log's time filters as a person writes them on the command line: a day
//! (`2026-11-30`, UTC) or an instant (RFC 3339, `2026-11-30T14:00:00Z`). A day given as the
//! end of a range includes that day, as people mean it.

use omni_core::error::Result;
use omni_core::model::Timestamp;
use omni_core::Error;

const DAY_MS: i64 = 86_400_000;

fn parse(s: &str, end_of_day: bool) -> Result<Timestamp> {
    let t = s.trim();
    if let Ok(day) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let start = day
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc().timestamp_millis());
        if let Some(ms) = start {
            return Ok(Timestamp(if end_of_day { ms + DAY_MS } else { ms }));
        }
    }
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| Timestamp(d.timestamp_millis()))
        .map_err(|_| {
            Error::invalid(format!(
                "{t:?} is not a date (2026-11-30) or a time (2026-11-30T14:00:00Z)."
            ))
        })
}

/// The start of a range: a day's first instant, or the instant given (inclusive).
pub fn time_from(s: &str) -> Result<Timestamp> {
    parse(s, false)
}

/// The end of a range, as the exclusive bound the store takes: the day after a day given, or
/// the instant given.
pub fn time_until(s: &str) -> Result<Timestamp> {
    parse(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_instants() -> Result<()> {
        // 2026-11-30T12:00:00Z is 1_796_040_000_000.
        assert_eq!(time_from("2026-11-30")?, Timestamp(1_795_996_800_000));
        assert_eq!(time_until("2026-11-30")?, Timestamp(1_796_083_200_000));
        assert_eq!(
            time_from("2026-11-30T12:00:00Z")?,
            Timestamp(1_796_040_000_000)
        );
        assert_eq!(
            time_until("2026-11-30T09:00:00-03:00")?,
            Timestamp(1_796_040_000_000)
        );
        assert!(time_from("yesterday").is_err());
        assert!(time_until("2026-13-01").is_err());
        Ok(())
    }
}
