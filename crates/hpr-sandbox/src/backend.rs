//! [`InProcessBackend`]: the sandbox behind the registry port, with no HTTP in between.
//!
//! Each request is encoded in Backend A's wire format (the same bytes the gateway client would
//! send), run through the same operation the HTTP route runs, and the answer decoded as the
//! client would decode it. So the in-process path exercises the sandbox's rules and the wire
//! shapes, without a socket. Faults, latency, bearer-auth and the request log are HTTP-layer
//! features and do not apply here.

use std::time::Duration;

use abdm_hpr::backend::{BoxFuture, RegistryBackend, Request, Response};
use abdm_hpr::error::{ApiError, Error};
use abdm_hpr::{Step, gateway};

use crate::Sandbox;
use crate::body;
use crate::his::HisError;

/// The sandbox as a [`RegistryBackend`], called in the same process.
///
/// ```
/// # async fn demo() -> abdm_hpr::Result<()> {
/// use abdm_hpr::RegistryApi;
/// use abdm_hpr::types::{GenerateAadhaarOtpInput, GenerateAadhaarOtpRequest};
/// use hpr_sandbox::{InProcessBackend, Sandbox, SandboxConfig};
/// let sandbox = Sandbox::new(SandboxConfig::default()).expect("a default sandbox");
/// let backend = InProcessBackend::new(sandbox);
/// let request = GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput { aadhaar: Some("234123412346".into()) })?;
/// let sent = backend.generate_aadhaar_otp(&request).await?;
/// assert!(backend.sandbox().latest_otp(sent.txn_id.as_str()).is_some());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct InProcessBackend {
    sandbox: Sandbox,
}

impl InProcessBackend {
    /// Calls `sandbox` directly.
    pub fn new(sandbox: Sandbox) -> Self {
        Self { sandbox }
    }

    /// The sandbox behind the port (its OTPs, accounts and SMS).
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    fn answer(&self, request: &Request) -> Result<Response, Error> {
        let step = request.step();
        let bytes = gateway::encode(request)?;
        let core = &self.sandbox.inner.core;
        let result = body::parse(&bytes).and_then(|map| crate::operation(step)(core, &map));
        match result {
            Ok(reply) => gateway::decode_response(step, 200, &reply.to_bytes()),
            Err(his) => Err(api_error(step, &his)),
        }
    }
}

/// The error the gateway client would report for this HIS answer.
fn api_error(step: Step, his: &HisError) -> Error {
    let body = his.body().to_string();
    Error::Api {
        operation: step,
        error: Box::new(ApiError::from_body(
            his.status.as_u16(),
            body.as_bytes(),
            his.retry_after.map(Duration::from_secs),
        )),
    }
}

impl RegistryBackend for InProcessBackend {
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, abdm_hpr::Result<Response>> {
        drop(crate::persist::take_ticket());
        let answer = self.answer(request);
        let ticket = crate::persist::take_ticket();
        let step = request.step();
        Box::pin(async move {
            // a change to the persistent state is on disk before the answer, as over HTTP
            crate::durable(ticket)
                .await
                .map_err(|his| api_error(step, &his))?;
            answer
        })
    }
}
