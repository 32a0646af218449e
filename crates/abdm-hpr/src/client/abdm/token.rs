//! The access-token cache: one token shared by every call, renewed by one request at a time.
//!
//! - A token is used until less than [`RENEW_MARGIN`] of its life remains (or half its life, for
//!   tokens issued for less than two minutes), then renewed before the next call.
//! - Renewal is single-flight: callers that find the token stale queue on one lock; the first
//!   fetches, the others take what it fetched — 64 concurrent calls on an expired token cause one
//!   session request, never a stampede.
//! - A token the gateway refused (`900901`) is invalidated by generation, so a late caller still
//!   holding the refused token cannot throw away a fresh one.

use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::time::Instant;

use crate::abdm::SessionGrant;
use crate::error::Result;
use crate::types::Token;

/// Renew when less than this much life remains.
pub(crate) const RENEW_MARGIN: Duration = Duration::from_secs(60);

/// One issued token.
#[derive(Debug)]
pub(crate) struct Issued {
    /// The bearer. `Debug` redacts it.
    pub token: Token,
    /// When to stop using it.
    renew_at: Instant,
    /// Counts issues, so an invalidation names the token it means.
    generation: u64,
}

/// The cache. Cheap to share behind the backend's `Arc`.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    slot: RwLock<Option<Arc<Issued>>>,
    /// Held while a session request is in flight.
    renewal: tokio::sync::Mutex<()>,
    /// The last generation issued (only changed under `renewal`).
    issued: std::sync::atomic::AtomicU64,
}

impl TokenCache {
    /// A usable token: the cached one, or one fetched with `fetch` (by this caller or by one
    /// that was already fetching).
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<Arc<Issued>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<SessionGrant>>,
    {
        let seen = match self.current() {
            Some(issued) if Instant::now() < issued.renew_at => return Ok(issued),
            other => other.map(|i| i.generation),
        };
        let _renewing = self.renewal.lock().await;
        if let Some(issued) = self.current() {
            // someone renewed while we waited: use theirs, even if it is short-lived
            if Some(issued.generation) != seen || Instant::now() < issued.renew_at {
                return Ok(issued);
            }
        }
        let grant = fetch().await?;
        let lifetime = grant.lifetime();
        let margin = RENEW_MARGIN.min(lifetime / 2);
        let generation = self
            .issued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let issued = Arc::new(Issued {
            token: grant.access_token,
            renew_at: Instant::now() + lifetime - margin,
            generation,
        });
        *self
            .slot
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(issued.clone());
        Ok(issued)
    }

    /// Forgets `refused` if it is still the cached token.
    pub fn invalidate(&self, refused: &Issued) {
        let mut slot = self
            .slot
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot
            .as_ref()
            .is_some_and(|i| i.generation == refused.generation)
        {
            *slot = None;
        }
    }

    fn current(&self) -> Option<Arc<Issued>> {
        // a slot holding one Arc cannot be left half-written by a panic
        self.slot
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::step::Step;

    fn grant(n: usize, expires_in: u64) -> Result<SessionGrant> {
        SessionGrant::decode(
            Step::GenerateAadhaarOtp,
            200,
            format!(r#"{{"accessToken":"token-{n}","expiresIn":{expires_in}}}"#).as_bytes(),
        )
    }

    async fn get(cache: &TokenCache, fetches: &AtomicUsize, expires_in: u64) -> String {
        cache
            .get(|| async {
                let n = fetches.fetch_add(1, Ordering::SeqCst) + 1;
                // a slow session API: every other caller arrives while this one is in flight
                tokio::time::sleep(Duration::from_millis(50)).await;
                grant(n, expires_in)
            })
            .await
            .unwrap()
            .token
            .expose()
            .to_owned()
    }

    #[tokio::test(start_paused = true)]
    async fn sixty_four_callers_on_an_expired_token_cause_one_renewal() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicUsize::new(0));
        assert_eq!(get(&cache, &fetches, 600).await, "token-1");
        assert_eq!(get(&cache, &fetches, 600).await, "token-1");
        assert_eq!(fetches.load(Ordering::SeqCst), 1);

        // 540 s later less than 60 s remain: stale for everyone at once
        tokio::time::advance(Duration::from_secs(541)).await;
        let tokens = concurrently(64, &cache, &fetches, 600).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        assert!(tokens.iter().all(|t| t == "token-2"), "{tokens:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn short_lived_tokens_are_used_at_least_once_and_not_stampeded() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicUsize::new(0));
        // a 10 s token is renewed after 5 s (half its life), not on every call
        get(&cache, &fetches, 10).await;
        tokio::time::advance(Duration::from_secs(4)).await;
        get(&cache, &fetches, 10).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // a zero-second token: the callers queued behind its fetch still use it
        tokio::time::advance(Duration::from_secs(6)).await;
        let tokens = concurrently(16, &cache, &fetches, 0).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        assert!(tokens.iter().all(|t| t == "token-2"));
    }

    #[tokio::test(start_paused = true)]
    async fn invalidation_only_drops_the_refused_token() {
        let cache = TokenCache::default();
        let fetches = AtomicUsize::new(0);
        let first = cache.get(|| async { grant(1, 600) }).await.unwrap();
        cache.invalidate(&first);
        let second = cache
            .get(|| async {
                fetches.fetch_add(1, Ordering::SeqCst);
                grant(2, 600)
            })
            .await
            .unwrap();
        assert_eq!(second.token.expose(), "token-2");
        // a late caller reporting the old token leaves the new one alone
        cache.invalidate(&first);
        assert_eq!(get(&cache, &fetches, 600).await, "token-2");
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    /// Runs `n` concurrent callers, each on its own task.
    async fn concurrently(
        n: usize,
        cache: &Arc<TokenCache>,
        fetches: &Arc<AtomicUsize>,
        expires_in: u64,
    ) -> Vec<String> {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..n {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tasks.spawn(async move { get(&cache, &fetches, expires_in).await });
        }
        tasks.join_all().await
    }
}
