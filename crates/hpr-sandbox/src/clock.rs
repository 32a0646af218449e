//! Time, injectable so tests can expire OTPs and transactions without sleeping.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A source of monotonic time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that only moves when told to. Clones share the same time.
///
/// ```
/// use std::time::Duration;
/// use hpr_sandbox::clock::{Clock, ManualClock};
/// let clock = ManualClock::new();
/// let t0 = clock.now();
/// clock.advance(Duration::from_secs(600));
/// assert_eq!(clock.now() - t0, Duration::from_secs(600));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    base: Instant,
    offset: Arc<Mutex<Duration>>,
}

impl ManualClock {
    /// A clock frozen at the moment of creation.
    pub fn new() -> Self {
        Self {
            base: Instant::now(),
            offset: Arc::default(),
        }
    }

    /// Moves the clock forward. A step that would take it past the latest instant the platform
    /// can represent is ignored (no test needs centuries; a panic in a shared clock would poison
    /// every later test step).
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        let next = offset.saturating_add(by);
        if self.base.checked_add(next).is_some() {
            *offset = next;
        }
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        let offset = *self.offset.lock().unwrap_or_else(|p| p.into_inner());
        // `advance` only stores offsets that fit
        self.base.checked_add(offset).unwrap_or(self.base)
    }
}

/// `t + by`, without the overflow panic of `Instant + Duration`.
///
/// [`SandboxConfig::validate`](crate::SandboxConfig::validate) bounds every configured duration by
/// [`MAX_DURATION`](crate::config::MAX_DURATION), so the sum fits; should it not, the result
/// saturates at `t + MAX_DURATION` (or `t`), i.e. "practically never".
pub(crate) fn later(t: Instant, by: Duration) -> Instant {
    t.checked_add(by)
        .or_else(|| t.checked_add(crate::config::MAX_DURATION))
        .unwrap_or(t)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn adding_never_overflows() {
        let t = Instant::now();
        assert_eq!(later(t, Duration::from_secs(5)), t + Duration::from_secs(5));
        assert!(later(t, Duration::MAX) > t);
        let clock = ManualClock::new();
        let t0 = clock.now();
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), t0, "an impossible step is ignored");
        clock.advance(Duration::from_secs(1));
        assert_eq!(clock.now() - t0, Duration::from_secs(1));
    }
}
