//! [`KeyCache`]: recently seen API keys, so a busy client costs no database read per request.
//!
//! Only keys found live are cached, for [`ServerConfig::key_cache_ttl`](crate::ServerConfig)
//! (1 s by default): a revoked key stops working within that time on every replica, and an
//! unknown key is looked up every time (no negative caching, so a new key works at once).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// The most keys remembered; beyond it the cache starts afresh (keys are few in practice).
const CAPACITY: usize = 4096;

/// Live keys by hash: `(name, tenant)` and when they were read.
#[derive(Debug)]
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (String, String, SystemTime)>>,
}

impl KeyCache {
    /// A cache keeping entries for `ttl` (zero: no caching).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, String, SystemTime)>> {
        // every change is one insert or a clear: a panic elsewhere cannot leave it half-done
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `(name, tenant)` of the key with this hash, if it was read less than the TTL ago.
    pub fn get(&self, hash: &str, now: SystemTime) -> Option<(String, String)> {
        let entries = self.lock();
        let (name, tenant, read) = entries.get(hash)?;
        let fresh = now.duration_since(*read).is_ok_and(|age| age < self.ttl);
        fresh.then(|| (name.clone(), tenant.clone()))
    }

    /// Remembers a live key read at `now`.
    pub fn put(&self, hash: String, name: &str, tenant: &str, now: SystemTime) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(hash, (name.to_owned(), tenant.to_owned(), now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_live_for_the_ttl_only() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let cache = KeyCache::new(Duration::from_secs(1));
        assert_eq!(cache.get("h", t0), None);
        cache.put("h".into(), "emr", "t", t0);
        assert_eq!(
            cache.get("h", t0 + Duration::from_millis(999)),
            Some(("emr".into(), "t".into()))
        );
        assert_eq!(cache.get("h", t0 + Duration::from_secs(1)), None);
        // a clock that went back does not make an entry immortal
        assert_eq!(cache.get("h", t0 - Duration::from_secs(5)), None);
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let t0 = SystemTime::UNIX_EPOCH;
        let cache = KeyCache::new(Duration::ZERO);
        cache.put("h".into(), "emr", "t", t0);
        assert_eq!(cache.get("h", t0), None);
    }
}
