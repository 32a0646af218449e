//! [`RegistrationService`]: load → prepare → call → apply → save, in one place.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use time::{Date, OffsetDateTime, UtcOffset};

use super::store::{Revision, SessionStore, StoredSession};
use super::{RegistrationSession, Step, StepOutcome};
use crate::backend::RegistryBackend;
use crate::error::{Error, Result};
use crate::types::AccountCheck;

/// The time, for the service: `now` for session bookkeeping, `today` (India) for the
/// date-of-birth rule. Tests inject a fixed clock.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// Today's date in India (UTC+05:30).
    fn today(&self) -> Date {
        let now = OffsetDateTime::from(self.now());
        // +05:30 is a valid offset; the fallback keeps this infallible
        let ist = UtcOffset::from_hms(5, 30, 0).unwrap_or(UtcOffset::UTC);
        now.to_offset(ist).date()
    }
}

/// The error for a registration that does not exist or has expired.
fn not_found(id: &str) -> Error {
    Error::NotFound(format!("registration {id} does not exist or has expired"))
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// How long a registration is kept after its last saved step, by default (a registration takes
/// minutes; OTP transactions upstream expire long before).
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// How long one step may hold its registration by default: longer than any call to the
/// registry takes (the gateway client's timeouts and retries end well within it), so a claim
/// outlives its step only when the process running it died.
pub const DEFAULT_CLAIM_TTL: Duration = Duration::from_secs(120);

/// The registration engine as a service: one backend, one session store, one clock.
///
/// Every step goes through the same sequence — load the session, check the order and validate
/// ([`RegistrationSession::prepare`]), call the backend, apply the answer, save with the revision
/// that was read — so `hpr step`, the wizard and the REST service behave the same. A failure that
/// may have taken effect (an OTP sent or an ID created whose answer was lost) is saved as
/// *unconfirmed*; a retry of create first asks the registry whether the account now exists.
///
/// ```
/// # async fn demo(backend: std::sync::Arc<dyn abdm_hpr::RegistryBackend>) -> abdm_hpr::Result<()> {
/// use std::sync::Arc;
/// use abdm_hpr::flow::{MemoryStore, RegistrationService, Step, SystemClock};
/// let service = RegistrationService::new(backend, Arc::new(MemoryStore::new()), Arc::new(SystemClock));
/// let (stored, outcome) = service.start("reg-1", serde_json::json!({"aadhaar": "234123412346"})).await?;
/// assert_eq!(outcome.next_step, Some(Step::VerifyAadhaarOtp));
/// let (stored, _) = service
///     .step("reg-1", Step::VerifyAadhaarOtp, serde_json::json!({"otp": "123456"}), Some(stored.revision))
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RegistrationService {
    backend: Arc<dyn RegistryBackend>,
    store: Arc<dyn SessionStore>,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    claim_ttl: Duration,
}

impl RegistrationService {
    /// A service over `backend` and `store`, reading time from `clock`.
    pub fn new(
        backend: Arc<dyn RegistryBackend>,
        store: Arc<dyn SessionStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            backend,
            store,
            clock,
            ttl: DEFAULT_TTL,
            claim_ttl: DEFAULT_CLAIM_TTL,
        }
    }

    /// Keeps registrations for `ttl` after their last saved step (a sliding expiry).
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Lets one step hold its registration for at most `claim_ttl` (see
    /// [`SessionStore::claim`]): after that a step whose process died no longer blocks others.
    pub fn with_claim_ttl(mut self, claim_ttl: Duration) -> Self {
        self.claim_ttl = claim_ttl;
        self
    }

    /// The clock the service reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// `now + duration`, saturating instead of overflowing.
    fn after(&self, now: SystemTime, duration: Duration) -> SystemTime {
        now.checked_add(duration).unwrap_or(now)
    }

    /// The backend steps are sent to.
    pub fn backend(&self) -> &Arc<dyn RegistryBackend> {
        &self.backend
    }

    /// The store sessions are kept in.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.store
    }

    /// Starts registration `id`: validates the payload (`{"aadhaar": …}`), sends the Aadhaar
    /// OTP and stores the new session. Nothing is stored when the step fails.
    pub async fn start(&self, id: &str, payload: Value) -> Result<(StoredSession, StepOutcome)> {
        let mut session = RegistrationSession::new();
        let request =
            session.prepare_json(Step::GenerateAadhaarOtp, payload, self.clock.today())?;
        let response = request.send(&*self.backend).await?;
        let outcome = session.apply(&request, response)?;
        let now = self.clock.now();
        let record = StoredSession {
            id: id.to_owned(),
            revision: 1,
            session,
            created_at: now,
            expires_at: self.after(now, self.ttl),
        };
        self.store.create(&record).await?;
        Ok((record, outcome))
    }

    /// The stored registration `id`; [`Error::NotFound`] when there is none or it expired
    /// (even before the store purged it).
    pub async fn get(&self, id: &str) -> Result<StoredSession> {
        match self.store.get(id).await? {
            Some(stored) if stored.expires_at > self.clock.now() => Ok(stored),
            _ => Err(not_found(id)),
        }
    }

    /// Runs `step` with `payload` on registration `id` and saves the result.
    ///
    /// With `expected`, the step runs only if the session is still at that revision
    /// ([`Error::Conflict`] otherwise, nothing sent). The step claims the registration before it
    /// calls the registry, so of two concurrent steps exactly one is sent; the other is
    /// [`Error::Conflict`]. Validation and order errors change nothing; a call that may have
    /// taken effect is saved as unconfirmed and its error returned. Every save extends the
    /// registration's expiry by the service's TTL.
    pub async fn step(
        &self,
        id: &str,
        step: Step,
        payload: Value,
        expected: Option<Revision>,
    ) -> Result<(StoredSession, StepOutcome)> {
        let now = self.clock.now();
        // load and claim in one go (one statement for a database store)
        let Some(mut stored) = self
            .store
            .claim_current(id, now, self.after(now, self.claim_ttl))
            .await?
        else {
            return Err(not_found(id));
        };
        let result = self
            .run_claimed(&mut stored, step, payload, expected, now)
            .await;
        if result.is_err() {
            // nothing was saved (or the save failed): free the registration for the next try
            if let Err(e) = self.store.release(id).await {
                tracing::warn!(error = %e, "could not release a registration");
            }
        }
        result
    }

    /// The part of [`step`](Self::step) that runs while the registration is claimed: the
    /// expiry, revision, order and field checks (which change nothing), then the call.
    async fn run_claimed(
        &self,
        stored: &mut StoredSession,
        step: Step,
        payload: Value,
        expected: Option<Revision>,
        now: SystemTime,
    ) -> Result<(StoredSession, StepOutcome)> {
        if stored.expires_at <= now {
            return Err(not_found(&stored.id));
        }
        if let Some(expected) = expected
            && expected != stored.revision
        {
            return Err(super::store::stale(
                &stored.id,
                expected,
                Some(stored.revision),
            ));
        }
        let reconcile = step == Step::CreateHprIdWithPreverified
            && stored.session.unconfirmed() == Some(Step::CreateHprIdWithPreverified);
        if reconcile && let Some(done) = self.reconcile_create(stored).await? {
            return Ok(done);
        }
        let request = stored
            .session
            .prepare_json(step, payload, self.clock.today())?;
        match request.send(&*self.backend).await {
            Ok(response) => {
                let outcome = stored.session.apply(&request, response)?;
                self.save(stored).await?;
                Ok((stored.clone(), outcome))
            }
            Err(error) => {
                if stored.session.record_unconfirmed(&error) {
                    // keep the fact even if saving fails: the caller still gets the call's error
                    if let Err(e) = self.save(stored).await {
                        tracing::warn!(error = %e, "could not record an unconfirmed step");
                    }
                }
                Err(error)
            }
        }
    }

    /// Saves `stored` over the revision it was read at, with a renewed expiry.
    async fn save(&self, stored: &mut StoredSession) -> Result<()> {
        stored.expires_at = self.after(self.clock.now(), self.ttl);
        stored.revision = self.store.put(stored).await?;
        Ok(())
    }

    /// Before repeating a create whose answer was lost: asks whether the account exists now.
    /// `Some` when it does (the session is completed and saved), `None` to go on with create.
    async fn reconcile_create(
        &self,
        stored: &mut StoredSession,
    ) -> Result<Option<(StoredSession, StepOutcome)>> {
        let request = stored.session.prepare_json(
            Step::CheckAccountExist,
            Value::Null,
            self.clock.today(),
        )?;
        let response = request.send(&*self.backend).await?;
        let exists = matches!(
            &response,
            crate::backend::Response::CheckAccountExist(AccountCheck::Existing(_))
        );
        let outcome = stored.session.apply(&request, response)?;
        self.save(stored).await?;
        if exists {
            return Ok(Some((stored.clone(), outcome)));
        }
        // the account does not exist: create runs next, under a fresh claim on the new revision
        let now = self.clock.now();
        self.store
            .claim(
                &stored.id,
                stored.revision,
                now,
                self.after(now, self.claim_ttl),
            )
            .await?;
        Ok(None)
    }

    /// Deletes registration `id`; `false` if there was none.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        self.store.delete(id).await
    }

    /// Deletes every expired registration; returns how many.
    pub async fn purge_expired(&self) -> Result<usize> {
        let ids = self.store.list_expired(self.clock.now()).await?;
        let mut removed = 0;
        for id in ids {
            if self.store.delete(&id).await? {
                removed += 1;
            }
        }
        Ok(removed)
    }
}
