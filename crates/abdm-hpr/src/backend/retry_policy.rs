//! When to retry: a pure policy that can never duplicate a side effect.

use std::time::Duration;

use crate::error::Error;

/// When to repeat a failed call. The default, [`RetryPolicy::none`], never retries.
///
/// An enabled policy retries only what is safe for every operation, including those that send an
/// OTP or create an ID: failures that happened before the request was sent (connect, DNS, TLS,
/// connect timeout) and `429`/`503` answers, waiting as long as `Retry-After` asks. A `Retry-After`
/// longer than the maximum backoff ends the retries and returns the error (its `retry_after` says
/// how long to wait).
///
/// ```
/// use std::time::Duration;
/// use abdm_hpr::client::RetryPolicy;
/// let policy = RetryPolicy::standard().with_max_attempts(5).with_backoff(Duration::from_millis(100), Duration::from_secs(2));
/// assert_eq!(policy.max_attempts(), 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::none()
    }
}

impl RetryPolicy {
    /// Never retry (the default).
    pub const fn none() -> Self {
        Self {
            max_attempts: 1,
            initial_backoff: Duration::ZERO,
            max_backoff: Duration::ZERO,
        }
    }

    /// Up to 3 attempts, backoff 250 ms doubling up to 10 s.
    pub const fn standard() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
        }
    }

    /// Total attempts including the first (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Backoff before the second attempt, doubling up to `max`.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Total attempts including the first.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// How long to wait before attempt `attempt + 1` after `error`, or `None` to give up.
    pub fn delay_after(&self, attempt: u32, error: &Error) -> Option<Duration> {
        if attempt >= self.max_attempts || !error.is_retryable() {
            return None;
        }
        let exponent = attempt.saturating_sub(1).min(16);
        let backoff = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        match error {
            Error::Api { error, .. } => match error.retry_after {
                Some(wait) if wait > self.max_backoff => None,
                Some(wait) => Some(wait.max(backoff)),
                None => Some(backoff),
            },
            _ => Some(backoff),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::error::{ApiError, RequestSent};
    use crate::step::Step as Operation;

    fn api(status: u16, retry_after: Option<Duration>) -> Error {
        Error::Api {
            operation: Operation::GenerateAadhaarOtp,
            error: Box::new(ApiError::from_body(status, b"", retry_after)),
        }
    }

    fn transport(sent: RequestSent) -> Error {
        Error::Transport {
            operation: Operation::CreateHprIdWithPreverified,
            sent,
            source: "connection refused".into(),
        }
    }

    #[test]
    fn none_never_retries() {
        assert_eq!(
            RetryPolicy::none().delay_after(1, &transport(RequestSent::No)),
            None
        );
    }

    #[test]
    fn standard_retries_only_safe_failures() {
        let p = RetryPolicy::standard();
        assert_eq!(
            p.delay_after(1, &transport(RequestSent::No)),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            p.delay_after(2, &transport(RequestSent::No)),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            p.delay_after(3, &transport(RequestSent::No)),
            None,
            "bounded"
        );
        assert_eq!(p.delay_after(1, &transport(RequestSent::Maybe)), None);
        assert_eq!(p.delay_after(1, &api(500, None)), None);
        assert_eq!(p.delay_after(1, &api(422, None)), None);
        assert_eq!(
            p.delay_after(1, &api(429, Some(Duration::from_secs(2)))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            p.delay_after(1, &api(503, None)),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            p.delay_after(1, &api(503, Some(Duration::from_secs(60)))),
            None,
            "too long a wait"
        );
        let timeout = |during_connect| Error::Timeout {
            operation: Operation::VerifyMobileOtp,
            during_connect,
        };
        assert!(p.delay_after(1, &timeout(true)).is_some());
        assert_eq!(p.delay_after(1, &timeout(false)), None);
    }
}
