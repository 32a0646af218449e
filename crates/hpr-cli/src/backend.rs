//! Which registry `hpr` talks to: the gateway named by `--api-url` / `HPR_API_URL`, or — for
//! `hpr register` with nothing configured — a sandbox called in this process through the port.

use std::sync::Arc;

use abdm_hpr::{GatewayClient, RegistryBackend};
use hpr_sandbox::{InProcessBackend, Sandbox, SandboxConfig, SmsOutput};

use crate::cli::BackendArgs;
use crate::exit::CliError;

/// A backend behind the registry port, and the embedded sandbox if that is what it is.
pub struct Backend {
    /// The backend every step goes through.
    pub client: Arc<dyn RegistryBackend>,
    /// Where the steps go, for people (`the HPR gateway at https://…`).
    pub description: String,
    /// The in-process sandbox, when no gateway was configured.
    pub embedded: Option<Sandbox>,
}

impl Backend {
    /// The configured gateway; `--api-url`/`HPR_API_URL` and a key are required.
    pub fn remote(args: &BackendArgs) -> Result<Self, CliError> {
        let Some(url) = args.api_url.as_deref() else {
            return Err(CliError::usage(
                "no registry configured: pass --api-url or set HPR_API_URL (e.g. the URL printed by `hpr sandbox`)",
            ));
        };
        if args.api_key.is_none() {
            return Err(CliError::usage(
                "no API key: set HPR_API_KEY or pass --api-key KEY; `hpr sandbox` accepts any non-empty key",
            ));
        }
        let client = builder(args)
            .base_url(url)
            .build()
            .map_err(|e| CliError::usage(e.to_string()))?;
        Ok(Self {
            description: format!("the HPR gateway at {}", client.base_url()),
            client: Arc::new(client),
            embedded: None,
        })
    }

    /// The configured gateway if any, else a fresh sandbox called in this process (with `seed`
    /// and `fixed_otp`, when given: the same seed and inputs give the same people and screens).
    pub fn remote_or_embedded(
        args: &BackendArgs,
        seed: Option<u64>,
        fixed_otp: Option<String>,
    ) -> Result<Self, CliError> {
        if args.api_url.is_some() {
            return Self::remote(args);
        }
        Self::embedded(seed, fixed_otp, SmsOutput::Silent)
    }

    /// A fresh sandbox called in this process, its OTPs shown as `sms` says.
    pub fn embedded(
        seed: Option<u64>,
        fixed_otp: Option<String>,
        sms: SmsOutput,
    ) -> Result<Self, CliError> {
        let config = SandboxConfig {
            sms,
            seed,
            fixed_otp,
            ..SandboxConfig::default()
        };
        let sandbox = Sandbox::new(config).map_err(|e| CliError::failure(e.to_string()))?;
        Ok(Self {
            client: Arc::new(InProcessBackend::new(sandbox.clone())),
            description: "an embedded offline sandbox".to_owned(),
            embedded: Some(sandbox),
        })
    }
}

fn builder(args: &BackendArgs) -> abdm_hpr::GatewayClientBuilder {
    let mut b = GatewayClient::builder();
    if let Some(key) = &args.api_key {
        b = b.api_key(key);
    }
    if let Some(v) = &args.hprid_auth {
        b = b.hprid_auth(v);
    }
    if let Some(v) = &args.facility_id {
        b = b.facility_id(v);
    }
    if let Some(secs) = args.timeout_secs {
        b = b.timeout(std::time::Duration::from_secs(secs));
    }
    b
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn embedded(seed: Option<u64>) -> Sandbox {
        Backend::remote_or_embedded(&BackendArgs::default(), seed, Some("123456".into()))
            .unwrap()
            .embedded
            .expect("no --api-url: the embedded sandbox")
    }

    #[test]
    fn the_embedded_sandbox_takes_the_seed_and_the_fixed_otp() {
        let (a, b) = (embedded(Some(42)), embedded(Some(42)));
        assert_eq!(a.seed(), 42);
        assert_eq!(a.config().fixed_otp.as_deref(), Some("123456"));
        // the same seed invents the same person for the same Aadhaar number
        assert!(a.identity("234123412346") == b.identity("234123412346"));
        assert!(embedded(Some(43)).identity("234123412346") != a.identity("234123412346"));
    }
}
