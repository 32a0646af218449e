//! Per-key rate limits (GCRA, by `governor`), in this process's memory: each replica limits
//! on its own.

use std::num::NonZeroU32;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

/// Requests per minute per API key, with a burst of the same size.
#[derive(Debug)]
pub struct KeyLimiter {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
}

impl KeyLimiter {
    /// A limiter allowing `per_minute` requests per key; `None` (or 0) allows everything.
    pub fn new(per_minute: Option<u32>) -> Self {
        Self {
            limiter: per_minute
                .and_then(NonZeroU32::new)
                .map(|n| RateLimiter::keyed(Quota::per_minute(n))),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one request of `key`; 429 with the seconds to wait when over the limit.
    pub fn check(&self, key: &str) -> Result<(), ApiError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        match limiter.check_key(&key.to_owned()) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                // round up: retrying after the advertised time must succeed
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Err(ApiError::rate_limited(seconds.max(1)))
            }
        }
    }

    /// Forgets keys whose limit has fully recovered (bounded memory).
    pub fn shrink(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}
