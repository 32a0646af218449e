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

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// How long a registration is kept after it was started, by default (a registration takes
/// minutes; OTP transactions upstream expire long before).
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);

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
        }
    }

    /// Keeps registrations for `ttl` after they start.
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
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
            expires_at: now.checked_add(self.ttl).unwrap_or(now),
        };
        self.store.create(&record).await?;
        Ok((record, outcome))
    }

    /// The stored registration `id`.
    pub async fn get(&self, id: &str) -> Result<StoredSession> {
        self.store.get(id).await?.ok_or_else(|| {
            Error::NotFound(format!("registration {id} does not exist or has expired"))
        })
    }

    /// Runs `step` with `payload` on registration `id` and saves the result.
    ///
    /// With `expected`, the step runs only if the session is still at that revision
    /// ([`Error::Conflict`] otherwise, nothing sent). Validation and order errors change nothing;
    /// a call that may have taken effect is saved as unconfirmed and its error returned.
    pub async fn step(
        &self,
        id: &str,
        step: Step,
        payload: Value,
        expected: Option<Revision>,
    ) -> Result<(StoredSession, StepOutcome)> {
        let mut stored = self.get(id).await?;
        if let Some(expected) = expected
            && expected != stored.revision
        {
            return Err(super::store::stale(id, expected, Some(stored.revision)));
        }
        if step == Step::CreateHprIdWithPreverified
            && stored.session.unconfirmed() == Some(Step::CreateHprIdWithPreverified)
            && let Some(done) = self.reconcile_create(&mut stored).await?
        {
            return Ok(done);
        }
        let request = stored
            .session
            .prepare_json(step, payload, self.clock.today())?;
        match request.send(&*self.backend).await {
            Ok(response) => {
                let outcome = stored.session.apply(&request, response)?;
                stored.revision = self.store.put(id, stored.revision, &stored.session).await?;
                Ok((stored, outcome))
            }
            Err(error) => {
                if stored.session.record_unconfirmed(&error) {
                    // keep the fact even if saving fails: the caller still gets the call's error
                    if let Err(e) = self.store.put(id, stored.revision, &stored.session).await {
                        tracing::warn!(error = %e, "could not record an unconfirmed step");
                    }
                }
                Err(error)
            }
        }
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
        stored.revision = self
            .store
            .put(&stored.id, stored.revision, &stored.session)
            .await?;
        Ok(exists.then(|| (stored.clone(), outcome)))
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
