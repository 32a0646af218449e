//! The simulator's memory: identities, transactions with their OTPs, created accounts.
//!
//! Everything lives behind one mutex in [`Core`]; each contract request holds it for a few
//! microseconds. Only identities and accounts are persisted (see [`crate::persist`]).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use abdm_hpr::types::Aadhaar;
use axum::http::StatusCode;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng, TryRngCore};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::clock::Clock;
use crate::config::{SandboxConfig, SmsOutput};
use crate::error::Error;
use crate::his::HisError;
use crate::identity::Identity;
use crate::persist::{Journal, Record};

/// Which OTP was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OtpKind {
    /// To the Aadhaar-linked mobile (step 1).
    Aadhaar,
    /// To another mobile (step 5).
    Mobile,
}

/// A fake SMS: one OTP "sent". `Debug` hides the OTP.
#[derive(Clone, PartialEq, Eq)]
pub struct Sms {
    /// The transaction the OTP belongs to.
    pub txn_id: String,
    /// Aadhaar or mobile OTP.
    pub kind: OtpKind,
    /// The receiving mobile, masked to its last 4 digits.
    pub to: String,
    /// The OTP itself.
    pub otp: String,
}

impl std::fmt::Debug for Sms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sms")
            .field("txn_id", &self.txn_id)
            .field("kind", &self.kind)
            .field("to", &self.to)
            .field("otp", &"[redacted]")
            .finish()
    }
}

/// Where a transaction stands in the registration flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Step 1 done: waiting for the Aadhaar OTP.
    AadhaarOtpSent,
    /// Step 2 done: waiting for the account check.
    AadhaarVerified,
    /// Step 3 found no account: steps 4–8 allowed.
    NewAccount,
    /// Step 3 found an account: the flow is over.
    ExistingAccount,
    /// Step 8 done.
    Created,
}

#[derive(Debug, Clone)]
pub(crate) struct PendingOtp {
    pub code: String,
    pub kind: OtpKind,
    pub sent_at: Instant,
    pub expires_at: Instant,
    pub wrong: u32,
    /// For a mobile OTP: the number it was sent to.
    pub mobile: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Txn {
    /// Kept parsed, so later steps need not re-validate it.
    pub aadhaar: Aadhaar,
    pub expires_at: Instant,
    pub step: Step,
    pub otp: Option<PendingOtp>,
    pub last_otp: Option<(String, OtpKind)>,
    /// When too many wrong OTPs locked the transaction.
    pub locked_at: Option<Instant>,
    /// The mobile proven by demographic auth or a mobile OTP.
    pub verified_mobile: Option<String>,
}

/// An HPR account created in the sandbox (persisted).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// The Aadhaar it was created with (12 digits).
    pub aadhaar: String,
    /// `NN-NNNN-NNNN-NNNN`.
    pub hpr_id_number: String,
    /// `<username>@hpr.abdm`.
    pub hpr_id: String,
    /// Category code.
    pub category_id: u32,
    /// Sub-category code.
    pub sub_category_id: u32,
    /// Category name.
    pub category_name: String,
    /// Sub-category name.
    pub category_sub_name: String,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("aadhaar", &abdm_hpr::types::mask::last4(&self.aadhaar))
            .field("category_id", &self.category_id)
            .field("sub_category_id", &self.sub_category_id)
            .finish_non_exhaustive()
    }
}

/// What survives a restart with `--state FILE`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Format version.
    pub version: u32,
    /// Identities seeded from files or added at run time (not the derived ones).
    pub identities: Vec<Identity>,
    /// Created accounts.
    pub accounts: Vec<Account>,
}

/// Current snapshot format.
pub const SNAPSHOT_VERSION: u32 = 1;

pub(crate) struct State {
    pub rng: StdRng,
    pub identities: HashMap<String, Identity>,
    pub txns: HashMap<String, Txn>,
    /// Aadhaar → transaction whose Aadhaar OTP is pending (for the resend throttle).
    pub pending_by_aadhaar: HashMap<String, String>,
    pub accounts: HashMap<String, Account>,
    /// Lower-case usernames in use.
    pub taken_ids: HashSet<String>,
    pub hpr_numbers: HashSet<String>,
    inserts_since_sweep: usize,
}

/// Sweep expired transactions after this many new ones, so memory stays bounded under load.
const SWEEP_EVERY: usize = 4096;

impl State {
    fn new(rng: StdRng) -> Self {
        Self {
            rng,
            identities: HashMap::new(),
            txns: HashMap::new(),
            pending_by_aadhaar: HashMap::new(),
            accounts: HashMap::new(),
            taken_ids: HashSet::new(),
            hpr_numbers: HashSet::new(),
            inserts_since_sweep: 0,
        }
    }

    pub fn add_account(&mut self, account: Account) {
        if let Some(user) = account.hpr_id.split('@').next() {
            self.taken_ids.insert(user.to_ascii_lowercase());
        }
        self.hpr_numbers.insert(account.hpr_id_number.clone());
        self.accounts.insert(account.aadhaar.clone(), account);
    }

    pub fn insert_txn(&mut self, id: String, txn: Txn, now: Instant) {
        self.inserts_since_sweep += 1;
        if self.inserts_since_sweep >= SWEEP_EVERY {
            self.inserts_since_sweep = 0;
            self.txns.retain(|_, t| t.expires_at > now);
            let txns = &self.txns;
            self.pending_by_aadhaar
                .retain(|_, id| txns.contains_key(id));
        }
        self.txns.insert(id, txn);
    }

    /// A random v4 UUID from the seeded generator.
    pub fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        self.rng.fill_bytes(&mut bytes);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }

    /// Six random digits.
    pub fn otp(&mut self) -> String {
        format!("{:06}", self.rng.random_range(0..1_000_000u32))
    }

    /// A fake JWT-shaped token.
    pub fn token(&mut self, subject: &str) -> String {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut signature = [0u8; 32];
        self.rng.fill_bytes(&mut signature);
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD
            .encode(serde_json::json!({"iss": "hpr-sandbox", "sub": subject}).to_string());
        format!("{header}.{claims}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// A fresh, unique 14-digit HPR ID number `NN-NNNN-NNNN-NNNN` (starting `71`, as upstream's do).
    pub fn hpr_id_number(&mut self) -> String {
        loop {
            let n: u64 = self.rng.random_range(0..1_000_000_000_000);
            let digits = format!("71{n:012}");
            let formatted = format!(
                "{}-{}-{}-{}",
                &digits[..2],
                &digits[2..6],
                &digits[6..10],
                &digits[10..]
            );
            if self.hpr_numbers.insert(formatted.clone()) {
                return formatted;
            }
        }
    }

    /// Finds a live transaction, or the error a client should see.
    pub fn txn_mut(&mut self, txn_id: Option<&str>, now: Instant) -> Result<&mut Txn, HisError> {
        let Some(id) = txn_id else {
            return Err(HisError::new(
                StatusCode::BAD_REQUEST,
                "Transaction ID is required",
                "HIS-1117",
                "Transaction ID required",
            )
            .on("txnId"));
        };
        let expired = match self.txns.get(id) {
            None => return Err(unknown_txn()),
            Some(t) => t.expires_at <= now,
        };
        if expired {
            self.txns.remove(id);
            return Err(HisError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "This transaction has expired: start again with an Aadhaar OTP",
                "HIS-2045",
                "Session expired",
            )
            .on("txnId"));
        }
        let Some(txn) = self.txns.get_mut(id) else {
            return Err(unknown_txn());
        };
        if txn.locked_at.is_some() {
            return Err(HisError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Too many wrong OTPs: this transaction is locked; start again with an Aadhaar OTP",
                "HIS-1041",
                "Max OTP attempts reached",
            ));
        }
        Ok(txn)
    }
}

/// The answer for a transaction id the sandbox does not know.
fn unknown_txn() -> HisError {
    HisError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Unknown transaction: start again with an Aadhaar OTP",
        "HIS-1026",
        "Transaction not found",
    )
    .on("txnId")
}

/// Shared simulator state and settings.
pub(crate) struct Core {
    pub config: SandboxConfig,
    pub clock: Arc<dyn Clock>,
    pub seed: u64,
    state: Mutex<State>,
    /// Identities from the configuration, restored by a reset.
    configured_identities: Vec<Identity>,
    pub sms: broadcast::Sender<Sms>,
    /// With a state file: where changes to the persistent state go before they are answered.
    pub journal: Option<Journal>,
}

impl Core {
    pub fn new(
        config: SandboxConfig,
        clock: Arc<dyn Clock>,
        restored: Snapshot,
    ) -> Result<Self, Error> {
        config.validate()?;
        let seed = config
            .seed
            .unwrap_or_else(|| rand::rngs::OsRng.try_next_u64().unwrap_or(0x5eed));
        let mut state = State::new(StdRng::seed_from_u64(seed));
        let mut configured = Vec::new();
        for identity in config.identities.iter().cloned() {
            let identity = identity
                .normalized()
                .map_err(|problems| Error::InvalidIdentity { problems })?;
            configured.push(identity.clone());
            state.identities.insert(identity.aadhaar.clone(), identity);
        }
        for identity in restored.identities.iter().cloned() {
            if let Ok(identity) = identity.normalized() {
                state.identities.insert(identity.aadhaar.clone(), identity);
            }
        }
        for account in restored.accounts.iter().cloned() {
            state.add_account(account);
        }
        let (sms, _) = broadcast::channel(1024);
        Ok(Self {
            config,
            clock,
            seed,
            state: Mutex::new(state),
            configured_identities: configured,
            sms,
            journal: None,
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        // a panic while holding the lock leaves consistent-enough test state; keep serving
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// The identity behind a valid Aadhaar: seeded if known, else derived.
    pub fn identity_in(&self, state: &State, aadhaar: &Aadhaar) -> Identity {
        state
            .identities
            .get(aadhaar.expose())
            .cloned()
            .unwrap_or_else(|| Identity::derive(aadhaar, self.seed))
    }

    /// Records an OTP as sent: stores it for the admin API, prints and broadcasts the SMS.
    pub fn send_sms(&self, sms: Sms) {
        if self.config.sms == SmsOutput::Stdout {
            let kind = match sms.kind {
                OtpKind::Aadhaar => "Aadhaar",
                OtpKind::Mobile => "mobile",
            };
            use std::io::Write as _;
            // a closed stdout (`hpr sandbox | head -1`) must not fail the request that sent the OTP
            let _ = writeln!(
                std::io::stdout().lock(),
                "[sms] to {}: your {kind} OTP is {} (txn {})",
                sms.to,
                sms.otp,
                sms.txn_id
            );
        }
        // nobody listening is fine
        let _ = self.sms.send(sms);
    }

    /// Journals a change to the persistent state (no-op without a state file). Call it while
    /// holding the state lock (`_held`), so the journal's order is the order of the changes; the
    /// caller awaits [`crate::persist::take_ticket`] before answering.
    pub fn journal(&self, _held: &State, record: impl FnOnce() -> Record) {
        if let Some(journal) = &self.journal {
            journal.record(record());
        }
    }

    /// Identities from the configuration (a reset keeps them).
    pub fn configured_identities(&self) -> &[Identity] {
        &self.configured_identities
    }

    /// The persistent part of the state.
    pub fn snapshot(&self) -> Snapshot {
        let state = self.lock();
        let mut identities: Vec<Identity> = state.identities.values().cloned().collect();
        let mut accounts: Vec<Account> = state.accounts.values().cloned().collect();
        drop(state);
        identities.sort_by(|a, b| a.aadhaar.cmp(&b.aadhaar));
        accounts.sort_by(|a, b| a.hpr_id_number.cmp(&b.hpr_id_number));
        Snapshot {
            version: SNAPSHOT_VERSION,
            identities,
            accounts,
        }
    }

    /// Forgets transactions, accounts and run-time identities; keeps configured identities.
    pub fn reset(&self) {
        let mut state = self.lock();
        let rng = StdRng::seed_from_u64(self.seed);
        *state = State::new(rng);
        for identity in &self.configured_identities {
            state
                .identities
                .insert(identity.aadhaar.clone(), identity.clone());
        }
        self.journal(&state, || Record::Reset);
    }
}
