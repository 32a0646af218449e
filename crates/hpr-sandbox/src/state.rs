//! The simulator's memory: identities, transactions with their OTPs, created accounts.
//!
//! Everything lives behind one mutex in [`Core`]; each contract request holds it for a few
//! microseconds, whatever the number of live transactions: expiry pops a few entries of a
//! time-ordered index per request instead of scanning, a finished transaction keeps only its
//! Aadhaar number, and live transactions are capped per Aadhaar and in total. Only identities and
//! accounts are persisted (see [`crate::persist`]).

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

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
use crate::padded::Padded;
use crate::persist::{Journal, Record};
use crate::txn_table::{MAX_SLOTS, TxnTable};

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
    /// Step 3 found an account: the flow is over (the transaction keeps only its Aadhaar).
    ExistingAccount,
    /// Step 8 done (the transaction keeps only its Aadhaar).
    Created,
}

/// A six-digit OTP, kept inline (no allocation per transaction).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Code([u8; 6]);

impl Code {
    /// Six ASCII digits, or `None`.
    pub fn new(digits: &str) -> Option<Code> {
        let bytes: [u8; 6] = digits.as_bytes().try_into().ok()?;
        bytes.iter().all(u8::is_ascii_digit).then_some(Code(bytes))
    }

    /// `n` (below 1,000,000) as six digits.
    fn from_number(mut n: u32) -> Code {
        let mut bytes = [b'0'; 6];
        for b in bytes.iter_mut().rev() {
            *b = b'0' + (n % 10) as u8;
            n /= 10;
        }
        Code(bytes)
    }

    pub fn as_str(&self) -> &str {
        // always ASCII digits
        std::str::from_utf8(&self.0).unwrap_or("000000")
    }

    /// Whether `submitted` is this code.
    pub fn matches(&self, submitted: &str) -> bool {
        self.0.as_slice() == submitted.as_bytes()
    }
}

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A transaction id: the 128 bits of its UUID (16 bytes instead of a 36-byte string; two `u64`
/// rather than a `u128`, whose 16-byte alignment would pad every map entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TxnKey([u64; 2]);

impl TxnKey {
    pub(crate) fn from_u128(bits: u128) -> TxnKey {
        TxnKey([(bits >> 64) as u64, bits as u64])
    }

    /// The UUID whose text is the id clients see.
    pub(crate) fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::from_u128((u128::from(self.0[0]) << 64) | u128::from(self.0[1]))
    }

    /// The UUID's first 32 bits (`time_low`), where [`TxnTable`] keeps a slot number.
    pub(crate) fn tag(&self) -> u32 {
        (self.0[0] >> 32) as u32
    }

    /// The same key with `tag` as its first 32 bits (the version and variant bits are elsewhere).
    pub(crate) fn with_tag(self, tag: u32) -> TxnKey {
        TxnKey([
            (self.0[0] & 0xFFFF_FFFF) | (u64::from(tag) << 32),
            self.0[1],
        ])
    }
}

/// The transactions of one Aadhaar number, oldest first: one inline (the common case), more in
/// a `Vec`.
#[derive(Debug, Clone)]
enum TxnKeys {
    One(TxnKey),
    Many(Vec<TxnKey>),
}

impl TxnKeys {
    fn as_slice(&self) -> &[TxnKey] {
        match self {
            TxnKeys::One(key) => std::slice::from_ref(key),
            TxnKeys::Many(keys) => keys,
        }
    }

    fn push(&mut self, key: TxnKey) {
        match self {
            TxnKeys::One(first) => *self = TxnKeys::Many(vec![*first, key]),
            TxnKeys::Many(keys) => keys.push(key),
        }
    }

    /// Replaces `old` with `new`, as the newest.
    fn replace(&mut self, old: TxnKey, new: TxnKey) {
        match self {
            TxnKeys::One(only) if *only == old => *only = new,
            keys => {
                keys.remove(old);
                keys.push(new);
            }
        }
    }

    /// Removes `key`; returns whether any remain.
    fn remove(&mut self, key: TxnKey) -> bool {
        match self {
            TxnKeys::One(only) => *only != key,
            TxnKeys::Many(keys) => {
                keys.retain(|k| *k != key);
                match keys.as_slice() {
                    [] => false,
                    [only] => {
                        *self = TxnKeys::One(*only);
                        true
                    }
                    _ => true,
                }
            }
        }
    }
}

/// The key of a transaction id as the sandbox writes them (lower-case hyphenated UUID); any
/// other spelling is an unknown transaction, as before.
pub(crate) fn txn_key(txn_id: &str) -> Option<TxnKey> {
    if txn_id.len() != 36 || txn_id.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    uuid::Uuid::try_parse(txn_id)
        .ok()
        .map(|u| TxnKey::from_u128(u.as_u128()))
}

/// An Aadhaar number as an integer (12 digits), for compact keys.
pub(crate) fn aadhaar_number(aadhaar: &Aadhaar) -> u64 {
    // `Aadhaar` guarantees 12 ASCII digits
    aadhaar
        .expose()
        .bytes()
        .fold(0u64, |n, b| n * 10 + u64::from(b.wrapping_sub(b'0') % 10))
}

/// Live transactions one Aadhaar number may have; a new OTP supersedes the oldest beyond this.
pub(crate) const MAX_TXNS_PER_AADHAAR: usize = 5;

/// How long an expired transaction still answers `HIS-2045` (then it is forgotten and answers
/// `HIS-1026` as unknown). It still counts against `max_transactions`, but a new transaction
/// that finds the sandbox full evicts expired ones first.
pub(crate) const EXPIRED_GRACE: Duration = Duration::from_secs(5 * 60);

/// Expired transactions forgotten per request at most (the index is time-ordered, so this is
/// a few pops, never a scan).
const EXPIRE_BATCH: usize = 8;

/// A mobile number kept inline (up to 15 bytes; every mobile the sandbox stores is 10 digits):
/// a transaction's mobile costs no allocation, and reading it no pointer to chase. `Debug`
/// shows its last 4 digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoredMobile {
    /// The length plus one: never zero, so `Option<StoredMobile>` is 16 bytes too.
    len_plus_one: std::num::NonZeroU8,
    bytes: [u8; 15],
}

impl StoredMobile {
    /// The number, or `None` if it is longer than 15 bytes (never for the mobiles stored: a
    /// parsed [`abdm_hpr::types::Mobile`] or an identity's, both 10 digits).
    pub fn new(mobile: &str) -> Option<StoredMobile> {
        let mut bytes = [0; 15];
        bytes
            .get_mut(..mobile.len())?
            .copy_from_slice(mobile.as_bytes());
        // at most 15 (`bytes` took it), so the sum fits
        let len_plus_one = std::num::NonZeroU8::new(u8::try_from(mobile.len() + 1).ok()?)?;
        Some(StoredMobile {
            len_plus_one,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        // whole UTF-8 text was copied in: never the fallback
        let len = usize::from(self.len_plus_one.get() - 1);
        std::str::from_utf8(&self.bytes[..len]).unwrap_or_default()
    }
}

impl std::fmt::Debug for StoredMobile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&abdm_hpr::types::mask::last4(self.as_str()))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PendingOtp {
    pub code: Code,
    pub kind: OtpKind,
    /// It expires `otp_ttl` later.
    pub sent_at: Instant,
    pub wrong: u32,
    /// The number it was sent to: a mobile OTP's always, an Aadhaar OTP's (the linked mobile)
    /// once known, so that a resend need not derive it again.
    pub mobile: Option<StoredMobile>,
}

#[derive(Debug, Clone)]
pub(crate) struct Txn {
    /// The Aadhaar number, as an integer ([`Txn::aadhaar`] gives it back validated).
    pub aadhaar: u64,
    pub expires_at: Instant,
    pub step: Step,
    pub otp: Option<PendingOtp>,
    pub last_otp: Option<(Code, OtpKind)>,
    /// When too many wrong OTPs locked the transaction.
    pub locked_at: Option<Instant>,
    /// The mobile proven by demographic auth or a mobile OTP.
    pub verified_mobile: Option<StoredMobile>,
}

impl Txn {
    /// A transaction for `aadhaar`, at step 1.
    pub fn new(aadhaar: &Aadhaar, expires_at: Instant, otp: PendingOtp) -> Txn {
        Txn {
            aadhaar: aadhaar_number(aadhaar),
            expires_at,
            step: Step::AadhaarOtpSent,
            last_otp: Some((otp.code, otp.kind)),
            otp: Some(otp),
            locked_at: None,
            verified_mobile: None,
        }
    }

    /// The Aadhaar number the transaction was started with.
    pub fn aadhaar(&self) -> Result<Aadhaar, HisError> {
        Aadhaar::parse(&format!("{:012}", self.aadhaar)).map_err(|_| {
            HisError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal sandbox error",
                "HIS-500",
                "A transaction lost its Aadhaar number",
            )
        })
    }

    /// Ends the flow at `step`, dropping everything but the Aadhaar number: the account check
    /// still answers with the account (found by Aadhaar), other steps with `HIS-1029`.
    fn finish(&mut self, step: Step) {
        self.step = step;
        self.otp = None;
        self.last_otp = None;
        self.locked_at = None;
        self.verified_mobile = None;
    }
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
    txns: TxnTable<Txn>,
    /// `(expires_at, key)` of every transaction in `txns`, earliest first.
    ///
    /// A time is kept as nanoseconds after [`State::epoch`]: every request inserts at the end
    /// and may remove one entry, and comparing one integer per key on the way down the tree
    /// costs a fraction of comparing an `Instant` (seconds, then nanoseconds) and the key.
    expiry: BTreeSet<(u64, TxnKey)>,
    /// What `expiry`'s times count from: the clock's time when the state was made (clocks only
    /// move forward, so no transaction expires before it).
    epoch: Instant,
    /// No transaction in `expiry` expires before this (`None`: none may). A bound kept beside
    /// the index so that the check made on every request, whether anything is due, reads one
    /// field instead of walking the B-tree down to its first leaf.
    expiry_floor: Option<u64>,
    /// Aadhaar number → its transactions in `txns`, oldest first (at most
    /// [`MAX_TXNS_PER_AADHAAR`]). Clients choose these keys, so the hash is keyed at random
    /// (foldhash: SipHash's resistance to chosen collisions at a fraction of its cost).
    by_aadhaar: HashMap<u64, TxnKeys, foldhash::fast::RandomState>,
    pub accounts: HashMap<String, Account>,
    /// Lower-case usernames in use.
    pub taken_ids: HashSet<String>,
    pub hpr_numbers: HashSet<String>,
}

impl State {
    fn new(rng: StdRng, epoch: Instant) -> Self {
        // a mask from a copy of the generator: the stream itself is not advanced
        let mask = rng.clone().next_u32().rotate_left(13);
        Self {
            rng,
            identities: HashMap::new(),
            txns: TxnTable::new(mask),
            expiry: BTreeSet::new(),
            epoch,
            expiry_floor: None,
            by_aadhaar: HashMap::default(),
            accounts: HashMap::new(),
            taken_ids: HashSet::new(),
            hpr_numbers: HashSet::new(),
        }
    }

    pub fn add_account(&mut self, account: Account) {
        if let Some(user) = account.hpr_id.split('@').next() {
            self.taken_ids.insert(user.to_ascii_lowercase());
        }
        self.hpr_numbers.insert(account.hpr_id_number.clone());
        self.accounts.insert(account.aadhaar.clone(), account);
    }

    /// Live transactions (expired ones still in their grace period included).
    #[cfg(test)]
    pub fn txn_count(&self) -> usize {
        self.txns.len()
    }

    /// The transaction behind an id, expired or not.
    pub fn txn(&self, txn_id: &str) -> Option<&Txn> {
        self.txns.get(&txn_key(txn_id)?)
    }

    /// The transactions of an Aadhaar number, oldest first.
    pub fn txns_of(&self, aadhaar: &Aadhaar) -> impl Iterator<Item = (TxnKey, &Txn)> {
        self.by_aadhaar
            .get(&aadhaar_number(aadhaar))
            .map(TxnKeys::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|key| self.txns.get(key).map(|txn| (*key, txn)))
    }

    /// Stores a new transaction under a key made of `random` (see [`State::new_txn_bits`]) and
    /// returns it. The caller has made room (see [`State::make_room`]).
    pub fn insert_txn(&mut self, random: u128, txn: Txn) -> TxnKey {
        let (key, number) = self.store(random, txn);
        match self.by_aadhaar.entry(number) {
            Entry::Occupied(mut keys) => keys.get_mut().push(key),
            Entry::Vacant(slot) => {
                slot.insert(TxnKeys::One(key));
            }
        }
        key
    }

    /// Puts `txn` in the table and the expiry index; returns its key and its Aadhaar number, for
    /// the caller to index it by.
    fn store(&mut self, random: u128, txn: Txn) -> (TxnKey, u64) {
        let (number, expires_at) = (txn.aadhaar, txn.expires_at);
        let key = self.txns.insert(random, txn);
        let expires_at = self.expiry_mark(expires_at);
        self.expiry.insert((expires_at, key));
        self.expiry_floor = Some(
            self.expiry_floor
                .map_or(expires_at, |at| at.min(expires_at)),
        );
        (key, number)
    }

    /// Stores `txn` in place of the same Aadhaar's transaction `previous` (a new OTP supersedes
    /// a pending one) and returns its key: as [`State::remove_txn`] then [`State::insert_txn`]
    /// (the new transaction takes the previous one's slot), without taking the Aadhaar's index
    /// entry out and back in. Room is not needed: the count of transactions does not change.
    pub fn supersede(&mut self, previous: TxnKey, random: u128, txn: Txn) -> TxnKey {
        if let Some(old) = self.txns.remove(&previous) {
            self.expiry
                .remove(&(self.expiry_mark(old.expires_at), previous));
        }
        let (key, number) = self.store(random, txn);
        match self.by_aadhaar.get_mut(&number) {
            Some(keys) => keys.replace(previous, key),
            None => {
                self.by_aadhaar.insert(number, TxnKeys::One(key));
            }
        }
        key
    }

    /// Records the linked mobile a transaction's Aadhaar OTP was sent to, if it is still pending.
    pub fn note_otp_mobile(&mut self, key: TxnKey, mobile: &str) {
        if let Some(otp) = self.txns.get_mut(&key).and_then(|txn| txn.otp.as_mut())
            && otp.kind == OtpKind::Aadhaar
        {
            otp.mobile = StoredMobile::new(mobile);
        }
    }

    /// Forgets a transaction (and its index entries).
    pub fn remove_txn(&mut self, key: TxnKey) -> Option<Txn> {
        let txn = self.txns.remove(&key)?;
        self.expiry.remove(&(self.expiry_mark(txn.expires_at), key));
        self.unindex(txn.aadhaar, key);
        Some(txn)
    }

    /// Removes `key` from the transactions of Aadhaar `number`.
    fn unindex(&mut self, number: u64, key: TxnKey) {
        if let Some(keys) = self.by_aadhaar.get_mut(&number)
            && !keys.remove(key)
        {
            self.by_aadhaar.remove(&number);
        }
    }

    /// Forgets up to `budget` transactions whose expiry is at or before `cutoff`, earliest
    /// first; returns how many.
    fn expire_until(&mut self, cutoff: Instant, budget: usize) -> usize {
        // nothing expires before the epoch
        let Some(cutoff) = cutoff.checked_duration_since(self.epoch) else {
            return 0;
        };
        let cutoff = u64::try_from(cutoff.as_nanos()).unwrap_or(u64::MAX);
        // removing entries leaves the floor low, never too high: it stays a bound
        if self.expiry_floor.is_none_or(|floor| floor > cutoff) {
            return 0;
        }
        let mut forgotten = 0;
        while forgotten < budget {
            let Some(&(expires_at, key)) = self.expiry.first() else {
                self.expiry_floor = None;
                break;
            };
            if expires_at > cutoff {
                self.expiry_floor = Some(expires_at);
                break;
            }
            if self.remove_txn(key).is_none() {
                // not in the map: drop the stray index entry
                self.expiry.pop_first();
            }
            forgotten += 1;
        }
        forgotten
    }

    /// `at` as `expiry` keeps it: nanoseconds after the epoch.
    fn expiry_mark(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    /// One increment of expiry: forgets a few transactions expired more than
    /// [`EXPIRED_GRACE`] ago. Called on every contract request; O(few × log n).
    pub fn expire_some(&mut self, now: Instant) -> usize {
        match now.checked_sub(EXPIRED_GRACE) {
            Some(cutoff) => self.expire_until(cutoff, EXPIRE_BATCH),
            None => 0,
        }
    }

    /// Makes room for one new transaction of `aadhaar`: the oldest of its transactions beyond
    /// [`MAX_TXNS_PER_AADHAAR`] − 1 are superseded (forgotten); past `max_total`, expired
    /// transactions are forgotten even within their grace period. Fails with `429` (and a
    /// `Retry-After` until the earliest expiry) when the sandbox is still full.
    pub fn make_room(
        &mut self,
        aadhaar: &Aadhaar,
        max_total: usize,
        now: Instant,
    ) -> Result<(), HisError> {
        let number = aadhaar_number(aadhaar);
        let max_total = max_total.min(MAX_SLOTS);
        while let Some(&oldest) = self
            .by_aadhaar
            .get(&number)
            .map(TxnKeys::as_slice)
            .filter(|keys| keys.len() >= MAX_TXNS_PER_AADHAAR)
            .and_then(<[TxnKey]>::first)
        {
            if self.remove_txn(oldest).is_none() {
                // an index entry without its transaction: drop it all the same
                self.unindex(number, oldest);
            }
        }
        if self.txns.len() >= max_total {
            let excess = self.txns.len() + 1 - max_total;
            self.expire_until(now, excess.max(EXPIRE_BATCH));
        }
        if self.txns.len() < max_total {
            return Ok(());
        }
        let wait = self
            .expiry
            .first()
            .and_then(|(at, _)| self.epoch.checked_add(Duration::from_nanos(*at)))
            .map_or(Duration::ZERO, |at| at.saturating_duration_since(now));
        let mut full = HisError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many live transactions in the sandbox: retry later",
            "HIS-429",
            format!("The sandbox holds at most {max_total} live transactions"),
        );
        full.retry_after = Some(wait.as_secs().max(1));
        Err(full)
    }

    /// Ends a transaction's flow at `step` (account created or found), dropping its data.
    pub fn finish(&mut self, txn_id: Option<&str>, step: Step) {
        if let Some(txn) = txn_id
            .and_then(txn_key)
            .and_then(|key| self.txns.get_mut(&key))
        {
            txn.finish(step);
        }
    }

    /// The bits of a random v4 UUID from the seeded generator, for a new transaction's key
    /// ([`State::insert_txn`], [`State::supersede`]; [`TxnKey::uuid`] is the id clients see).
    pub fn new_txn_bits(&mut self) -> u128 {
        let mut bytes = [0u8; 16];
        self.rng.fill_bytes(&mut bytes);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .as_u128()
    }

    /// Six random digits.
    pub fn otp(&mut self) -> Code {
        Code::from_number(self.rng.random_range(0..1_000_000u32))
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

    /// Finds a live transaction, or the error a client should see (and does one increment of
    /// expiry).
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
        let Some(key) = txn_key(id) else {
            return Err(unknown_txn());
        };
        let expired = match self.txns.get(&key) {
            None => return Err(unknown_txn()),
            Some(t) => t.expires_at <= now,
        };
        if expired {
            self.remove_txn(key);
            return Err(HisError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "This transaction has expired: start again with an Aadhaar OTP",
                "HIS-2045",
                "Session expired",
            )
            .on("txnId"));
        }
        // after the lookup, so that the transaction asked for answers for itself
        self.expire_some(now);
        let Some(txn) = self.txns.get_mut(&key) else {
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
    /// Padded: every request takes the lock, on either worker, and the settings around it are
    /// read by every request.
    state: Padded<Mutex<State>>,
    /// Identities from the configuration, restored by a reset.
    configured_identities: Vec<Identity>,
    pub sms: broadcast::Sender<Sms>,
    /// Whether anyone ever subscribed to [`Core::sms`]: until then sending an SMS skips the
    /// channel's receiver count, which takes a lock shared by every worker.
    sms_subscribed: AtomicBool,
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
        let mut state = State::new(StdRng::seed_from_u64(seed), clock.now());
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
            state: Padded(Mutex::new(state)),
            configured_identities: configured,
            sms,
            sms_subscribed: AtomicBool::new(false),
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

    /// The mobile linked to a valid Aadhaar (seeded identity, or the derived one's, without
    /// making up the rest of the identity).
    pub fn linked_mobile_in(&self, state: &State, aadhaar: &Aadhaar) -> String {
        match state.identities.get(aadhaar.expose()) {
            Some(identity) => identity.mobile.clone(),
            None => crate::identity::derive_mobile(aadhaar, self.seed),
        }
    }

    /// Notes that someone subscribes to the SMS channel (call before subscribing).
    pub fn note_sms_subscriber(&self) {
        self.sms_subscribed.store(true, Ordering::Release);
    }

    /// Records an OTP as sent: prints the SMS (with [`SmsOutput::Stdout`]) and broadcasts it.
    /// The SMS is only built when someone gets it (most load-test requests have no listener).
    pub fn send_sms(&self, sms: impl FnOnce() -> Sms) {
        let print = self.config.sms == SmsOutput::Stdout;
        let listened = self.sms_subscribed.load(Ordering::Acquire) && self.sms.receiver_count() > 0;
        if !print && !listened {
            return;
        }
        let sms = sms();
        if print {
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
        *state = State::new(rng, self.clock.now());
        for identity in &self.configured_identities {
            state
                .identities
                .insert(identity.aadhaar.clone(), identity.clone());
        }
        self.journal(&state, || Record::Reset);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use serde_json::json;

    const TTL: Duration = Duration::from_secs(30 * 60);

    #[test]
    fn a_stored_mobile_keeps_its_digits_and_debug_shows_the_last_four() {
        let mobile = StoredMobile::new("9876543210").unwrap();
        assert_eq!(mobile.as_str(), "9876543210");
        assert_eq!(
            format!("{mobile:?}"),
            abdm_hpr::types::mask::last4("9876543210")
        );
        assert!(!format!("{mobile:?}").contains("987654"));
        assert_eq!(StoredMobile::new("").unwrap().as_str(), "");
        assert_eq!(
            StoredMobile::new(&"9".repeat(15)).unwrap().as_str(),
            "9".repeat(15)
        );
        assert!(StoredMobile::new(&"9".repeat(16)).is_none());
    }

    /// A valid Aadhaar number from `n`.
    fn aadhaar(n: u64) -> Aadhaar {
        let mut digits = [0u8; 12];
        digits[0] = 2;
        let mut rest = n;
        for d in digits[1..11].iter_mut().rev() {
            *d = (rest % 10) as u8;
            rest /= 10;
        }
        digits[11] = abdm_hpr::types::verhoeff::check_digit(&digits[..11]);
        let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        Aadhaar::parse(&text).unwrap()
    }

    fn pending(now: Instant) -> PendingOtp {
        PendingOtp {
            code: Code::new("123456").unwrap(),
            kind: OtpKind::Aadhaar,
            sent_at: now,
            wrong: 0,
            mobile: None,
        }
    }

    fn add(state: &mut State, n: u64, now: Instant) -> TxnKey {
        let txn = Txn::new(&aadhaar(n), now + TTL, pending(now));
        state.insert_txn(u128::from(n) + 1, txn)
    }

    fn consistent(state: &State) {
        assert_eq!(state.expiry.len(), state.txns.len());
        if let Some((first, _)) = state.expiry.first() {
            assert!(state.expiry_floor.is_some_and(|floor| floor <= *first));
        }
        for (at, key) in &state.expiry {
            let txn = state.txns.get(key).expect("an indexed transaction");
            assert_eq!(state.expiry_mark(txn.expires_at), *at);
        }
        let indexed: usize = state
            .by_aadhaar
            .values()
            .map(|keys| keys.as_slice().len())
            .sum();
        assert_eq!(indexed, state.txns.len());
    }

    #[test]
    fn expiry_forgets_exactly_the_expired_transactions_a_few_at_a_time() {
        let clock = ManualClock::new();
        let t0 = clock.now();
        let mut state = State::new(StdRng::seed_from_u64(1), clock.now());
        let early: Vec<TxnKey> = (0..20).map(|n| add(&mut state, n, t0)).collect();
        clock.advance(Duration::from_secs(120));
        let late: Vec<TxnKey> = (20..25).map(|n| add(&mut state, n, clock.now())).collect();
        consistent(&state);

        // expired, but within the grace period: still there (they answer HIS-2045)
        clock.advance(TTL);
        assert_eq!(state.expire_some(clock.now()), 0);
        assert_eq!(state.txn_count(), 25);

        // past the grace period of the early ones only: forgotten in increments of EXPIRE_BATCH
        clock.advance(EXPIRED_GRACE - Duration::from_secs(60));
        let now = clock.now();
        let mut increments = Vec::new();
        loop {
            let n = state.expire_some(now);
            if n == 0 {
                break;
            }
            increments.push(n);
            consistent(&state);
        }
        assert_eq!(increments, [8, 8, 4]);
        assert_eq!(state.txn_count(), 5);
        // the floor is the earliest expiry left: the next requests' check reads only it
        let late_expiry = state.txns.get(&late[0]).unwrap().expires_at;
        assert_eq!(state.expiry_floor, Some(state.expiry_mark(late_expiry)));
        assert!(early.iter().all(|k| state.txns.get(k).is_none()));
        assert!(late.iter().all(|k| state.txns.get(k).is_some()));
        assert_eq!(state.by_aadhaar.len(), 5);

        // then the late ones
        clock.advance(Duration::from_secs(120));
        assert_eq!(state.expire_some(clock.now()), 5);
        assert_eq!(state.txn_count(), 0);
        assert!(state.by_aadhaar.is_empty() && state.expiry.is_empty());
        assert_eq!(state.expire_some(clock.now()), 0);
        assert_eq!(state.expiry_floor, None);

        // a transaction removed early leaves the floor below the rest: still a bound
        let t1 = clock.now();
        let first = add(&mut state, 30, t1);
        clock.advance(Duration::from_secs(1));
        let second = add(&mut state, 31, clock.now());
        assert!(state.remove_txn(first).is_some());
        consistent(&state);
        clock.advance(TTL + EXPIRED_GRACE);
        assert_eq!(state.expire_some(clock.now()), 1);
        assert!(state.txns.get(&second).is_none());
    }

    #[test]
    fn a_transaction_stays_small() {
        // what one live transaction costs in the map and the indexes, before the map's slack
        let entry = std::mem::size_of::<Option<(TxnKey, Txn)>>();
        let index = std::mem::size_of::<(u64, TxnKeys)>();
        println!("txn entry {entry} B, Aadhaar index entry {index} B");
        assert!(entry <= 128, "{entry}");
        assert!(index <= 32, "{index}");
    }

    #[test]
    fn a_sixth_transaction_of_one_aadhaar_supersedes_the_oldest() {
        let clock = ManualClock::new();
        let mut state = State::new(StdRng::seed_from_u64(1), clock.now());
        let mut keys = Vec::new();
        for i in 0..7u64 {
            state.make_room(&aadhaar(7), 100, clock.now()).unwrap();
            let txn = Txn::new(&aadhaar(7), clock.now() + TTL, pending(clock.now()));
            keys.push(state.insert_txn(u128::from(i) + 1, txn));
            consistent(&state);
        }
        let live: Vec<TxnKey> = state.txns_of(&aadhaar(7)).map(|(k, _)| k).collect();
        assert_eq!(live, keys[2..]);
        assert_eq!(state.txn_count(), MAX_TXNS_PER_AADHAAR);
    }

    /// Superseding leaves the state as forgetting the previous transaction then storing the
    /// new one does: the same transactions, the same order, consistent indexes.
    #[test]
    fn superseding_equals_removing_then_inserting() {
        let clock = ManualClock::new();
        for (count, previous_at) in [(1u64, 0), (3, 2), (3, 0), (5, 3)] {
            let mut by_steps = State::new(StdRng::seed_from_u64(1), clock.now());
            let mut in_place = State::new(StdRng::seed_from_u64(1), clock.now());
            let mut keys = Vec::new();
            for i in 0..count {
                let [a, b] = [&mut by_steps, &mut in_place].map(|state| {
                    let txn = Txn::new(&aadhaar(7), clock.now() + TTL, pending(clock.now()));
                    state.insert_txn(u128::from(i) + 1, txn)
                });
                assert_eq!(a, b, "both states made the same key");
                keys.push(a);
            }
            let previous = keys[previous_at];
            let txn = || Txn::new(&aadhaar(7), clock.now() + TTL * 2, pending(clock.now()));
            by_steps.remove_txn(previous).unwrap();
            let key = by_steps.insert_txn(99, txn());
            assert_eq!(in_place.supersede(previous, 99, txn()), key);
            consistent(&in_place);
            let order = |state: &State| {
                state
                    .txns_of(&aadhaar(7))
                    .map(|(k, _)| k)
                    .collect::<Vec<_>>()
            };
            assert_eq!(order(&in_place), order(&by_steps), "{count} {previous_at}");
            assert_eq!(in_place.expiry, by_steps.expiry);
            assert!(in_place.txns.get(&previous).is_none() && in_place.txns.get(&key).is_some());
        }
    }

    #[test]
    fn the_total_cap_answers_429_until_transactions_expire() {
        let clock = ManualClock::new();
        let mut state = State::new(StdRng::seed_from_u64(1), clock.now());
        for n in 0..3 {
            state.make_room(&aadhaar(n), 3, clock.now()).unwrap();
            add(&mut state, n, clock.now());
        }
        clock.advance(Duration::from_secs(60));
        let full = state.make_room(&aadhaar(9), 3, clock.now()).unwrap_err();
        assert_eq!(full.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(full.details[0].code, "HIS-429");
        assert_eq!(
            full.retry_after,
            Some((TTL - Duration::from_secs(60)).as_secs())
        );
        // once they expire (even within the grace period) a new one fits
        clock.advance(TTL);
        state.make_room(&aadhaar(9), 3, clock.now()).unwrap();
        assert!(state.txn_count() < 3);
        consistent(&state);
    }

    #[test]
    fn a_finished_transaction_keeps_only_its_aadhaar() {
        let clock = ManualClock::new();
        let config = SandboxConfig {
            seed: Some(3),
            fixed_otp: Some("123456".into()),
            ..SandboxConfig::default()
        };
        let core = Core::new(config, Arc::new(clock.clone()), Snapshot::default()).unwrap();
        let who = aadhaar(42);
        core.lock().add_account(Account {
            aadhaar: who.expose().to_owned(),
            hpr_id_number: "71-0000-0000-0001".into(),
            hpr_id: "someone@hpr.abdm".into(),
            category_id: 1,
            sub_category_id: 1,
            category_name: "Doctor".into(),
            category_sub_name: "Modern Medicine".into(),
        });
        let body = |v: serde_json::Value| {
            crate::body::parse(v.to_string().as_bytes())
                .unwrap()
                .into_owned()
        };
        let sent = core
            .generate_aadhaar_otp(&body(json!({"aadhaar": who.expose()})))
            .unwrap()
            .into_value();
        let txn_id = sent["txnId"].as_str().unwrap().to_owned();
        core.verify_aadhaar_otp(&body(json!({"txnId": txn_id, "otp": "123456"})))
            .unwrap();
        let check = body(json!({"txnId": txn_id, "preverifiedCheck": true}));
        let found = core.check_account_exist(&check).unwrap().into_value();
        assert_eq!(found["new"], false);
        {
            let state = core.lock();
            let txn = state.txn(&txn_id).unwrap();
            assert_eq!(txn.step, Step::ExistingAccount);
            assert!(txn.otp.is_none() && txn.last_otp.is_none());
            assert!(txn.locked_at.is_none() && txn.verified_mobile.is_none());
        }
        // the account is still found (by Aadhaar); other steps say the flow is over
        let again = core.check_account_exist(&check).unwrap().into_value();
        assert_eq!(again["hprId"], "someone@hpr.abdm");
        let suggest = core
            .suggestions(&body(json!({"txnId": txn_id})))
            .unwrap_err();
        assert_eq!(suggest.details[0].code, "HIS-1029");
    }
}
