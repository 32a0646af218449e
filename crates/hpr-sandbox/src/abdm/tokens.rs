//! The gateway's access tokens: issued by the session endpoints, required on every HPR route,
//! checked against the sandbox clock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Most tokens remembered at once. Expired ones are purged first when a new token is issued; past
/// the bound the one closest to expiry is dropped (its holder gets `900901` and fetches another,
/// as after an idle expiry upstream).
pub(crate) const MAX_LIVE_TOKENS: usize = 100_000;

/// What a presented token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenState {
    /// Issued and not expired.
    Live,
    /// Issued, and expired (by the clock, or through the admin API).
    Expired,
    /// Never issued here, or forgotten.
    Unknown,
}

/// Issued access tokens and when each expires.
#[derive(Default)]
pub(crate) struct Tokens {
    expiries: Mutex<HashMap<String, Instant>>,
}

impl Tokens {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        // a map of plain values cannot be left half-changed by a panic
        self.expiries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Remembers a new token until `expires`.
    pub fn issue(&self, token: String, expires: Instant, now: Instant) {
        let mut table = self.table();
        if table.len() >= MAX_LIVE_TOKENS {
            table.retain(|_, at| *at > now);
        }
        if table.len() >= MAX_LIVE_TOKENS
            && let Some(oldest) = table
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(t, _)| t.clone())
        {
            table.remove(&oldest);
        }
        table.insert(token, expires);
    }

    /// Whether `token` may be used at `now`.
    pub fn check(&self, token: &str, now: Instant) -> TokenState {
        match self.table().get(token) {
            Some(at) if now < *at => TokenState::Live,
            Some(_) => TokenState::Expired,
            None => TokenState::Unknown,
        }
    }

    /// Makes every live token expired now; returns how many were live.
    pub fn expire_all(&self, now: Instant) -> usize {
        let mut table = self.table();
        let mut expired = 0;
        for at in table.values_mut().filter(|at| now < **at) {
            *at = now;
            expired += 1;
        }
        expired
    }

    /// How many tokens are live at `now`.
    pub fn live(&self, now: Instant) -> usize {
        self.table().values().filter(|at| now < **at).count()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn tokens_expire_by_the_clock_and_on_demand() {
        let tokens = Tokens::default();
        let t0 = Instant::now();
        tokens.issue("a".into(), t0 + Duration::from_secs(10), t0);
        tokens.issue("b".into(), t0 + Duration::from_secs(20), t0);
        assert_eq!(tokens.check("a", t0), TokenState::Live);
        assert_eq!(tokens.check("zzz", t0), TokenState::Unknown);
        let t1 = t0 + Duration::from_secs(10);
        assert_eq!(tokens.check("a", t1), TokenState::Expired);
        assert_eq!(tokens.live(t1), 1);
        assert_eq!(tokens.expire_all(t1), 1);
        assert_eq!(tokens.check("b", t1), TokenState::Expired);
        assert_eq!(tokens.live(t1), 0);
    }

    #[test]
    fn the_table_stays_bounded() {
        let tokens = Tokens::default();
        let t0 = Instant::now();
        for i in 0..MAX_LIVE_TOKENS {
            tokens.issue(format!("t{i}"), t0 + Duration::from_secs(1 + i as u64), t0);
        }
        tokens.issue("new".into(), t0 + Duration::from_secs(1), t0);
        assert_eq!(tokens.table().len(), MAX_LIVE_TOKENS);
        assert_eq!(
            tokens.check("t0", t0),
            TokenState::Unknown,
            "closest to expiry dropped"
        );
        // once some have expired, they make the room
        let later = t0 + Duration::from_secs(100);
        tokens.issue("newer".into(), later + Duration::from_secs(5), later);
        assert!(tokens.table().len() < MAX_LIVE_TOKENS);
        assert_eq!(tokens.check("newer", later), TokenState::Live);
    }
}
