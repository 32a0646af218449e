//! Which registry `hpr` talks to: the gateway named by `--api-url` / `HPR_API_URL`, ABDM itself
//! (`--backend abdm`, the `HPR_ABDM_*` settings), or a sandbox called in this process through the
//! port.

use std::sync::Arc;

use abdm_hpr::client::{
    ENV_ABDM_CLIENT_ID, ENV_ABDM_CLIENT_SECRET, ENV_ABDM_ENCRYPT, ENV_ABDM_ENV,
    ENV_ABDM_GATEWAY_URL, ENV_ABDM_HPR_URL, ENV_ABDM_SESSION_API,
};
use abdm_hpr::{AbdmBackendBuilder, GatewayClient, RegistryBackend};
use hpr_sandbox::{InProcessBackend, Sandbox, SandboxConfig, SmsOutput};

use crate::cli::{BackendArgs, BackendKind};
use crate::exit::CliError;

/// A backend behind the registry port, and the embedded sandbox if that is what it is.
pub struct Backend {
    /// The backend every step goes through.
    pub client: Arc<dyn RegistryBackend>,
    /// Where the steps go, for people (`the HPR gateway at https://…`).
    pub description: String,
    /// The base URL the steps are sent under (none for the embedded sandbox).
    pub endpoint: Option<String>,
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
            endpoint: Some(client.base_url().to_owned()),
            client: Arc::new(client),
            embedded: None,
        })
    }

    /// ABDM's own HPR API, configured by the `--abdm-*` flags / `HPR_ABDM_*` variables; a
    /// missing client ID or secret is a usage error naming the variable.
    pub fn abdm(args: &BackendArgs) -> Result<Self, CliError> {
        let a = &args.abdm;
        let settings = [
            (ENV_ABDM_CLIENT_ID, &a.abdm_client_id),
            (ENV_ABDM_CLIENT_SECRET, &a.abdm_client_secret),
            (ENV_ABDM_ENV, &a.abdm_env),
            (ENV_ABDM_HPR_URL, &a.abdm_hpr_url),
            (ENV_ABDM_GATEWAY_URL, &a.abdm_gateway_url),
            (ENV_ABDM_SESSION_API, &a.abdm_session_api),
            (ENV_ABDM_ENCRYPT, &a.abdm_encrypt),
        ];
        // clap already merged flags over the environment; the library reads the merged values
        let mut builder = AbdmBackendBuilder::from_lookup(|name| {
            settings
                .iter()
                .find(|(n, _)| *n == name)
                .and_then(|(_, v)| (*v).clone())
        });
        if let Some(secs) = args.timeout_secs {
            builder = builder.timeout(std::time::Duration::from_secs(secs));
        }
        let client = builder
            .build()
            .map_err(|e| CliError::usage(e.to_string()))?;
        Ok(Self {
            description: format!("ABDM's HPR API at {}", client.hpr_url()),
            endpoint: Some(client.hpr_url().to_owned()),
            client: Arc::new(client),
            embedded: None,
        })
    }

    /// The backend `kind`; `seed`, `fixed_otp` and `sms` configure an embedded sandbox.
    pub fn of_kind(
        kind: BackendKind,
        args: &BackendArgs,
        seed: Option<u64>,
        fixed_otp: Option<String>,
        sms: SmsOutput,
    ) -> Result<Self, CliError> {
        match kind {
            BackendKind::Gateway => Self::remote(args),
            BackendKind::Abdm => Self::abdm(args),
            BackendKind::Sandbox => Self::embedded(seed, fixed_otp, sms),
        }
    }

    /// The configured gateway if any, else a fresh sandbox called in this process (with `seed`
    /// and `fixed_otp`, when given: the same seed and inputs give the same people and screens).
    pub fn remote_or_embedded(
        args: &BackendArgs,
        seed: Option<u64>,
        fixed_otp: Option<String>,
    ) -> Result<Self, CliError> {
        Self::of_kind(
            register_default(args),
            args,
            seed,
            fixed_otp,
            SmsOutput::Silent,
        )
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
            endpoint: None,
            embedded: Some(sandbox),
        })
    }
}

/// `hpr register`'s backend: the one named, else the gateway when --api-url is set, else the
/// embedded sandbox.
pub fn register_default(args: &BackendArgs) -> BackendKind {
    args.backend.unwrap_or(if args.api_url.is_some() {
        BackendKind::Gateway
    } else {
        BackendKind::Sandbox
    })
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
    fn abdm_needs_both_credentials_and_names_the_variable() {
        let mut args = BackendArgs::default();
        args.abdm.abdm_client_id = Some("SBX_1".into());
        let err = Backend::abdm(&args).err().expect("no secret");
        assert_eq!(err.status, crate::exit::ExitStatus::Usage);
        assert!(
            err.message.contains("HPR_ABDM_CLIENT_SECRET"),
            "{}",
            err.message
        );
        args.abdm.abdm_client_secret = Some("s".into());
        args.abdm.abdm_hpr_url = Some("http://127.0.0.1:9/abdm/hpr/api".into());
        let backend = Backend::abdm(&args).expect("configured");
        assert!(
            backend
                .description
                .contains("http://127.0.0.1:9/abdm/hpr/api")
        );
        args.abdm.abdm_encrypt = Some("pin=none".into());
        let err = Backend::abdm(&args).err().expect("unknown field");
        assert!(err.message.contains("HPR_ABDM_ENCRYPT") && err.message.contains("pin"));
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
