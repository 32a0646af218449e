//! Sandbox settings: timings, OTP rules, auth, faults, persistence.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use abdm_hpr::abdm::FieldModes;

use crate::abdm::{
    DEFAULT_ABDM_CLIENT_ID, DEFAULT_ABDM_CLIENT_SECRET, DEFAULT_ABDM_TOKEN_TTL, MAX_ABDM_TOKEN_TTL,
};
use crate::error::Error;
use crate::identity::Identity;

/// A kind of injected failure (`--faults`, `x-sandbox-fault`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// Answer `500` with the HIS envelope.
    Status500,
    /// Answer `503` with `Retry-After: 1`.
    Status503,
    /// Never answer (until the client gives up or the server stops).
    Timeout,
    /// Drop the connection in the middle of the response.
    Reset,
    /// Answer `200` with a body that is not valid JSON.
    Malformed,
    /// Run the operation (it takes effect), then drop the connection before the answer: the
    /// client cannot know whether its OTP was sent or its ID created.
    LostAnswer,
}

impl FaultKind {
    /// All kinds.
    pub const ALL: [FaultKind; 6] = [
        FaultKind::Status500,
        FaultKind::Status503,
        FaultKind::Timeout,
        FaultKind::Reset,
        FaultKind::Malformed,
        FaultKind::LostAnswer,
    ];

    /// The name used on the command line and in `x-sandbox-fault`.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Status500 => "500",
            FaultKind::Status503 => "503",
            FaultKind::Timeout => "timeout",
            FaultKind::Reset => "reset",
            FaultKind::Malformed => "malformed",
            FaultKind::LostAnswer => "lost-answer",
        }
    }
}

impl FromStr for FaultKind {
    type Err = Error;
    /// A fault name, any case; an unknown one is an [`Error::InvalidConfig`] of `faults` that
    /// quotes it (a fault name is never personal data).
    fn from_str(s: &str) -> Result<Self, Error> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::config(
                    "faults",
                    format!(
                        "unknown fault `{}` (expected 500, 503, timeout, reset, malformed or lost-answer)",
                        s.trim()
                    ),
                )
            })
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where fake SMS messages (the OTPs) are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmsOutput {
    /// One line per OTP on standard output (the CLI default).
    #[default]
    Stdout,
    /// Not printed; still readable through the admin API and [`crate::Sandbox::latest_otp`].
    Silent,
}

/// Sandbox settings. `Default` gives the documented defaults with SMS printing off (library use).
#[derive(Clone)]
pub struct SandboxConfig {
    /// Seed for identities, OTPs and IDs; `None` draws one from the OS.
    pub seed: Option<u64>,
    /// Send this OTP every time instead of a random one (scripts, demos).
    pub fixed_otp: Option<String>,
    /// OTP lifetime (default 10 min).
    pub otp_ttl: Duration,
    /// Transaction lifetime (default 30 min).
    pub txn_ttl: Duration,
    /// Wrong OTPs allowed before the transaction is locked (default 3).
    pub max_otp_attempts: u32,
    /// Minimum time between two OTPs for the same Aadhaar or transaction (default 30 s).
    pub resend_interval: Duration,
    /// Accepted API keys; empty accepts any non-empty bearer key.
    pub api_keys: Vec<String>,
    /// Added to every contract request.
    pub latency: Duration,
    /// Probability (0.0–1.0) of injecting one of `faults` into a contract request.
    pub fault_rate: f64,
    /// Fault kinds drawn from when `fault_rate` fires (default: all).
    pub faults: Vec<FaultKind>,
    /// Where OTP "SMS" lines go.
    pub sms: SmsOutput,
    /// Identities known in addition to the derived ones.
    pub identities: Vec<Identity>,
    /// Keep created accounts and seeded identities in this JSON file across restarts (changes are
    /// synced to `FILE.journal` before they are answered; see [`crate::persist`]).
    pub state_file: Option<PathBuf>,
    /// Largest accepted request body (default 2 MiB; larger gets 413).
    pub max_body_bytes: usize,
    /// How many contract requests `GET /_sandbox/requests` remembers (default 10,000).
    pub request_log_capacity: usize,
    /// Most live transactions kept at once (default 1,000,000); past it a new Aadhaar OTP gets
    /// `429` with a `Retry-After` until the earliest transaction expires.
    pub max_transactions: usize,
    /// Time a client has to send a request's head, and again its body (default 10 s). A
    /// connection that stalls mid-head is closed; a body not complete in time gets `408` and the
    /// connection is closed. An idle keep-alive connection is closed after this long too.
    pub header_timeout: Duration,
    /// Connections served at once (default 1,024); past it a new connection gets `503` and is
    /// closed. Applies to [`crate::Sandbox::start`].
    pub max_connections: usize,
    /// When set, the admin API (`/_sandbox/*`, except `GET /_sandbox/health`) needs the header
    /// `x-sandbox-admin-token: <token>`.
    pub admin_token: Option<String>,
    /// Backend B: the `(clientId, clientSecret)` pairs its session endpoints accept (default: one,
    /// [`DEFAULT_ABDM_CLIENT_ID`] / [`DEFAULT_ABDM_CLIENT_SECRET`]); at least one.
    pub abdm_clients: Vec<(String, String)>,
    /// Backend B: life of an access token, in whole seconds from 1 s to one day (default 1200 s,
    /// sent as `expiresIn`).
    pub abdm_token_ttl: Duration,
    /// Backend B: which request fields must arrive encrypted with the sandbox's key, and with
    /// which padding (default: `password` with OAEP-SHA1).
    pub abdm_encrypted: FieldModes,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            seed: None,
            fixed_otp: None,
            otp_ttl: Duration::from_secs(10 * 60),
            txn_ttl: Duration::from_secs(30 * 60),
            max_otp_attempts: 3,
            resend_interval: Duration::from_secs(30),
            api_keys: Vec::new(),
            latency: Duration::ZERO,
            fault_rate: 0.0,
            faults: FaultKind::ALL.to_vec(),
            sms: SmsOutput::Silent,
            identities: Vec::new(),
            state_file: None,
            max_body_bytes: 2 * 1024 * 1024,
            request_log_capacity: 10_000,
            max_transactions: 1_000_000,
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
            admin_token: None,
            abdm_clients: vec![(
                DEFAULT_ABDM_CLIENT_ID.to_owned(),
                DEFAULT_ABDM_CLIENT_SECRET.to_owned(),
            )],
            abdm_token_ttl: DEFAULT_ABDM_TOKEN_TTL,
            abdm_encrypted: FieldModes::default(),
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("seed", &self.seed)
            .field("fixed_otp", &self.fixed_otp.as_ref().map(|_| "[redacted]"))
            .field("otp_ttl", &self.otp_ttl)
            .field("txn_ttl", &self.txn_ttl)
            .field("max_otp_attempts", &self.max_otp_attempts)
            .field("resend_interval", &self.resend_interval)
            .field("api_keys", &self.api_keys.len())
            .field("latency", &self.latency)
            .field("fault_rate", &self.fault_rate)
            .field("faults", &self.faults)
            .field("sms", &self.sms)
            .field("identities", &self.identities.len())
            .field("state_file", &self.state_file)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_transactions", &self.max_transactions)
            .field("header_timeout", &self.header_timeout)
            .field("max_connections", &self.max_connections)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "abdm_clients",
                &self
                    .abdm_clients
                    .iter()
                    .map(|(id, _)| (id.as_str(), "[redacted]"))
                    .collect::<Vec<_>>(),
            )
            .field("abdm_token_ttl", &self.abdm_token_ttl)
            .field("abdm_encrypted", &self.abdm_encrypted.to_string())
            .finish_non_exhaustive()
    }
}

/// Longest accepted lifetime, interval or latency: 100 years. Far beyond any useful setting, and
/// small enough that adding it to the clock can never overflow [`std::time::Instant`].
pub const MAX_DURATION: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// Longest accepted [`SandboxConfig::header_timeout`]: one day.
pub const MAX_HEADER_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// Most accepted [`SandboxConfig::max_connections`].
pub const MAX_CONNECTIONS: usize = 100_000;

/// Longest accepted [`SandboxConfig::admin_token`], in bytes.
pub const MAX_ADMIN_TOKEN_LEN: usize = 1024;

/// Longest accepted client ID or secret of [`SandboxConfig::abdm_clients`], in bytes.
pub const MAX_ABDM_CREDENTIAL_LEN: usize = 1024;

impl SandboxConfig {
    /// Checks the settings, naming the first bad one.
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(otp) = &self.fixed_otp
            && (otp.len() != 6 || !otp.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(Error::config(
                "fixed_otp",
                "fixed OTP must be exactly 6 digits",
            ));
        }
        if !(0.0..=1.0).contains(&self.fault_rate) {
            return Err(Error::config(
                "fault_rate",
                "fault rate must be between 0.0 and 1.0",
            ));
        }
        if self.fault_rate > 0.0 && self.faults.is_empty() {
            return Err(Error::config(
                "faults",
                "a fault rate needs at least one fault kind",
            ));
        }
        if self.max_otp_attempts == 0 {
            return Err(Error::config(
                "max_otp_attempts",
                "max OTP attempts must be at least 1",
            ));
        }
        if self.max_transactions == 0 {
            return Err(Error::config(
                "max_transactions",
                "max transactions must be at least 1",
            ));
        }
        if self.api_keys.iter().any(|k| k.trim().is_empty()) {
            return Err(Error::config("api_keys", "API keys must not be empty"));
        }
        if self.header_timeout.is_zero() || self.header_timeout > MAX_HEADER_TIMEOUT {
            return Err(Error::config(
                "header_timeout",
                format!(
                    "header timeout must be more than 0 and at most {} seconds (one day)",
                    MAX_HEADER_TIMEOUT.as_secs()
                ),
            ));
        }
        if !(1..=MAX_CONNECTIONS).contains(&self.max_connections) {
            return Err(Error::config(
                "max_connections",
                format!("max connections must be from 1 to {MAX_CONNECTIONS}"),
            ));
        }
        if let Some(token) = &self.admin_token
            && (token.is_empty()
                || token.len() > MAX_ADMIN_TOKEN_LEN
                || !token.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(Error::config(
                "admin_token",
                format!(
                    "the admin token must be 1 to {MAX_ADMIN_TOKEN_LEN} visible ASCII characters \
                     (no spaces)"
                ),
            ));
        }
        self.validate_abdm()?;
        for (setting, what, value) in [
            ("otp_ttl", "OTP lifetime", self.otp_ttl),
            ("txn_ttl", "transaction lifetime", self.txn_ttl),
            ("resend_interval", "resend interval", self.resend_interval),
            ("latency", "latency", self.latency),
        ] {
            if value > MAX_DURATION {
                return Err(Error::config(
                    setting,
                    format!(
                        "{what} must be at most {} seconds (100 years)",
                        MAX_DURATION.as_secs()
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl SandboxConfig {
    /// The Backend B settings: at least one client, IDs and secrets of 1 to
    /// [`MAX_ABDM_CREDENTIAL_LEN`] visible ASCII characters (no `:` in an ID, the CLI's
    /// separator), and a token lifetime of whole seconds up to a day. Messages never quote a
    /// secret.
    fn validate_abdm(&self) -> Result<(), Error> {
        if self.abdm_clients.is_empty() {
            return Err(Error::config(
                "abdm_clients",
                "at least one ABDM client (ID and secret) is needed",
            ));
        }
        let visible = |s: &str| {
            !s.is_empty()
                && s.len() <= MAX_ABDM_CREDENTIAL_LEN
                && s.bytes().all(|b| b.is_ascii_graphic())
        };
        for (id, secret) in &self.abdm_clients {
            if !visible(id) || id.contains(':') {
                return Err(Error::config(
                    "abdm_clients",
                    format!(
                        "an ABDM client ID must be 1 to {MAX_ABDM_CREDENTIAL_LEN} visible ASCII \
                         characters, without spaces or `:`"
                    ),
                ));
            }
            if !visible(secret) {
                return Err(Error::config(
                    "abdm_clients",
                    format!(
                        "an ABDM client secret must be 1 to {MAX_ABDM_CREDENTIAL_LEN} visible \
                         ASCII characters, without spaces"
                    ),
                ));
            }
        }
        if self.abdm_token_ttl < Duration::from_secs(1)
            || self.abdm_token_ttl > MAX_ABDM_TOKEN_TTL
            || self.abdm_token_ttl.subsec_nanos() != 0
        {
            return Err(Error::config(
                "abdm_token_ttl",
                format!(
                    "the ABDM token lifetime must be whole seconds from 1 to {} (one day)",
                    MAX_ABDM_TOKEN_TTL.as_secs()
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn abdm_settings_are_checked_without_quoting_secrets() {
        type Tweak = fn(&mut SandboxConfig);
        let bad: [(&str, Tweak); 7] = [
            ("abdm_clients", |c| c.abdm_clients.clear()),
            ("abdm_clients", |c| {
                c.abdm_clients = vec![(String::new(), "s".into())]
            }),
            ("abdm_clients", |c| {
                c.abdm_clients = vec![("a:b".into(), "s".into())]
            }),
            ("abdm_clients", |c| {
                c.abdm_clients = vec![("id".into(), "top secret".into())]
            }),
            ("abdm_token_ttl", |c| c.abdm_token_ttl = Duration::ZERO),
            ("abdm_token_ttl", |c| {
                c.abdm_token_ttl = MAX_ABDM_TOKEN_TTL + Duration::from_secs(1)
            }),
            ("abdm_token_ttl", |c| {
                c.abdm_token_ttl = Duration::from_millis(1500)
            }),
        ];
        for (named, tweak) in bad {
            let mut config = SandboxConfig::default();
            tweak(&mut config);
            match config.validate() {
                Err(Error::InvalidConfig { setting, reason }) => {
                    assert_eq!(setting, named);
                    assert!(!reason.contains("top secret"), "{reason}");
                }
                other => panic!("{named}: expected a config error, got {other:?}"),
            }
        }
        let good = SandboxConfig {
            abdm_clients: vec![("SBX_1".into(), "p:ss".into())],
            abdm_token_ttl: MAX_ABDM_TOKEN_TTL,
            ..SandboxConfig::default()
        };
        assert!(good.validate().is_ok());
        let shown = format!("{:?}", SandboxConfig::default());
        assert!(shown.contains(DEFAULT_ABDM_CLIENT_ID), "{shown}");
        assert!(!shown.contains(DEFAULT_ABDM_CLIENT_SECRET), "{shown}");
    }

    #[test]
    fn huge_durations_are_a_config_error_not_an_overflow() {
        for tweak in [
            (|c: &mut SandboxConfig| c.otp_ttl = Duration::from_secs(u64::MAX)) as fn(&mut _),
            |c| c.txn_ttl = Duration::MAX,
            |c| c.resend_interval = MAX_DURATION + Duration::from_nanos(1),
            |c| c.latency = Duration::MAX,
        ] {
            let mut config = SandboxConfig::default();
            tweak(&mut config);
            let err = config.validate().unwrap_err();
            assert!(matches!(err, Error::InvalidConfig { .. }), "{err:?}");
            assert!(err.to_string().contains("at most"), "{err}");
        }
        let config = SandboxConfig {
            otp_ttl: MAX_DURATION,
            ..SandboxConfig::default()
        };
        assert!(config.validate().is_ok());
        // the bound really is safe to add to the clock
        assert!(
            std::time::Instant::now()
                .checked_add(MAX_DURATION)
                .is_some()
        );
    }

    #[test]
    fn connection_settings_are_range_checked() {
        type Tweak = fn(&mut SandboxConfig);
        let bad: [(&str, Tweak); 8] = [
            ("header_timeout", |c| c.header_timeout = Duration::ZERO),
            ("header_timeout", |c| c.header_timeout = Duration::MAX),
            ("header_timeout", |c| {
                c.header_timeout = MAX_HEADER_TIMEOUT + Duration::from_nanos(1)
            }),
            ("max_connections", |c| c.max_connections = 0),
            ("max_connections", |c| c.max_connections = usize::MAX),
            ("admin_token", |c| c.admin_token = Some(String::new())),
            ("admin_token", |c| c.admin_token = Some("two words".into())),
            ("admin_token", |c| {
                c.admin_token = Some("x".repeat(MAX_ADMIN_TOKEN_LEN + 1))
            }),
        ];
        for (named, tweak) in bad {
            let mut config = SandboxConfig::default();
            tweak(&mut config);
            match config.validate() {
                Err(Error::InvalidConfig { setting, .. }) => assert_eq!(setting, named),
                other => panic!("{named}: expected a config error, got {other:?}"),
            }
        }
        let edge = SandboxConfig {
            header_timeout: MAX_HEADER_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            admin_token: Some("t".repeat(MAX_ADMIN_TOKEN_LEN)),
            ..SandboxConfig::default()
        };
        assert!(edge.validate().is_ok());
        let low = SandboxConfig {
            header_timeout: Duration::from_nanos(1),
            max_connections: 1,
            ..SandboxConfig::default()
        };
        assert!(low.validate().is_ok());
        let shown = format!("{edge:?}");
        assert!(!shown.contains("tttt"), "{shown}");
    }

    #[test]
    fn errors_name_the_setting() {
        let config = SandboxConfig {
            fixed_otp: Some("12345".into()),
            ..SandboxConfig::default()
        };
        let err = config.validate().unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidConfig {
                    setting: "fixed_otp",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "fixed OTP must be exactly 6 digits");
        assert!(!err.to_string().contains("12345"));
    }
}
