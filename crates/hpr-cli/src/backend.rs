//! Which registry `hpr` talks to: the gateway named by `--api-url` / `HPR_API_URL`, or — for
//! `hpr register` with nothing configured — a sandbox started in this process.

use std::net::{Ipv4Addr, SocketAddr};

use abdm_hpr::GatewayClient;
use hpr_sandbox::{RunningSandbox, Sandbox, SandboxConfig, SmsOutput};

use crate::cli::BackendArgs;
use crate::exit::CliError;

/// The API key the embedded sandbox is called with when none is configured.
const EMBEDDED_KEY: &str = "hpr-embedded-sandbox";

/// A client, and the embedded sandbox behind it if there is one.
pub struct Backend {
    /// The client every step goes through.
    pub client: GatewayClient,
    /// The in-process sandbox, when no gateway was configured.
    pub embedded: Option<RunningSandbox>,
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
                "no API key: set HPR_API_KEY or pass --api-key before the subcommand (`hpr --api-key KEY step ...`); `hpr sandbox` accepts any non-empty key",
            ));
        }
        let client = builder(args)
            .base_url(url)
            .build()
            .map_err(|e| CliError::usage(e.to_string()))?;
        Ok(Self {
            client,
            embedded: None,
        })
    }

    /// The configured gateway if any, else a fresh sandbox on a free loopback port.
    ///
    /// Must be called inside a tokio runtime (the sandbox serves on it).
    pub async fn remote_or_embedded(args: &BackendArgs) -> Result<Self, CliError> {
        if args.api_url.is_some() {
            return Self::remote(args);
        }
        let config = SandboxConfig {
            sms: SmsOutput::Silent,
            ..SandboxConfig::default()
        };
        let sandbox = Sandbox::new(config).map_err(|e| CliError::failure(e.to_string()))?;
        let running = sandbox
            .start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(|e| CliError::failure(e.to_string()))?;
        let key = args
            .api_key
            .clone()
            .unwrap_or_else(|| EMBEDDED_KEY.to_owned());
        let client = builder(args)
            .api_key(key)
            .base_url(running.base_url())
            .build()
            .map_err(|e| CliError::usage(e.to_string()))?;
        Ok(Self {
            client,
            embedded: Some(running),
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
