//! Where the time comes from. Library code takes the time as a parameter; the server reads
//! its clock once per request (in the authentication extractor) and passes that instant to the
//! token checks and the store. Tests substitute a clock they can move.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use omni_core::model::Timestamp;

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp(ms)
    }
}

/// The system clock shifted by an adjustable offset (tests: "an hour later").
#[derive(Debug, Default, Clone)]
pub struct OffsetClock {
    offset_ms: Arc<AtomicI64>,
}

impl OffsetClock {
    pub fn set_offset_ms(&self, ms: i64) {
        self.offset_ms.store(ms, Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> Timestamp {
        Timestamp(SystemClock.now().0 + self.offset_ms.load(Ordering::SeqCst))
    }
}
