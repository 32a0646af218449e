//! `GET /openapi.json`: the service's OpenAPI 3.1 document, generated from the handlers'
//! `#[utoipa::path]` annotations and the types they return (the engine's types derive their
//! schemas behind `abdm-hpr`'s `openapi` feature).
//!
//! Only the document is served: no Swagger UI (its crate downloads a zip at build time).
//! The error responses are reusable components here, one per status, each with the engine's
//! `ErrorDocument` body; the handlers list the ones they can return. Headers every response
//! carries (`X-Request-Id`) are added by a modifier here, because the layer that sets them
//! wraps every route.
//!
//! ```
//! use utoipa::OpenApi as _;
//! let doc = hpr_server::openapi::ApiDoc::openapi();
//! assert!(doc.paths.paths.contains_key("/v1/registrations/{id}/steps/{step}"));
//! ```

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, Ref, RefOr, ResponseBuilder, Schema, response,
};
use utoipa::{Modify, OpenApi, ToResponse, ToSchema};

use abdm_hpr::flow::{ErrorDocument, ErrorKind};

use crate::error::ApiError;
use crate::routes::{links, ops, registrations};

/// The name of the bearer-key security scheme in the document.
pub const BEARER: &str = "api_key";

/// The document: every route of [`crate::router`].
#[derive(OpenApi)]
#[openapi(
    info(
        title = "hpr serve",
        version = env!("CARGO_PKG_VERSION"),
        description = "Registers healthcare professionals in India's ABDM Healthcare Professional \
            Registry (HPR) through a resumable registration engine. Start a registration with the \
            Aadhaar number, then run its steps in the order each answer's `next_step` gives, sending \
            what `next_step_payload_hint` describes. Every error body is an `ErrorDocument`; every \
            response carries `X-Request-Id`. Authenticate with `Authorization: Bearer KEY` \
            (`hpr serve keys create --name NAME` makes a key); a key reaches its tenant's \
            registrations only.",
        license(name = "MIT")
    ),
    paths(
        registrations::start,
        registrations::list,
        registrations::show,
        registrations::delete,
        registrations::step,
        links::create,
        ops::healthz,
        ops::readyz,
        ops::metrics,
        openapi_json,
    ),
    components(
        schemas(ErrorDocument, StartRequest, StepPayload, Health, ops::Readiness),
        responses(
            Unauthorized,
            NotFound,
            Conflict,
            PayloadTooLarge,
            UnsupportedMediaType,
            Unprocessable,
            TooManyRequests,
            Internal,
            BadGateway,
            Unavailable,
            GatewayTimeout,
        )
    ),
    modifiers(&BearerScheme, &CommonHeaders),
    tags(
        (name = "registrations", description = "Registrations and their steps (needs an API key)"),
        (name = "operations", description = "Health, readiness, metrics and this document (no key)"),
    )
)]
pub struct ApiDoc;

/// The body of `POST /v1/registrations`.
#[derive(Debug, ToSchema)]
#[schema(example = json!({"aadhaar": "234123412346"}))]
pub struct StartRequest {
    /// The professional's 12-digit Aadhaar number: the first digit 2–9, the last a Verhoeff
    /// check digit (the service also ignores spaces and hyphens). Never shown back.
    #[schema(pattern = "^[2-9][0-9]{11}$", example = "234123412346")]
    pub aadhaar: String,
}

/// The body of a step: a JSON object whose keys are the step's wire field names, as the
/// previous answer's `next_step_payload_hint` describes (`fields`, `required_fields`,
/// `optional_fields`). Fields the registration already knows (`txnId`, the e-KYC
/// demographics, …) are sent for the caller unless overridden, so `{}` or an empty body is
/// enough for `check_account_exist` and `get_hpr_id_suggestion`.
///
/// - `generate_aadhaar_otp`: `aadhaar` (restarts the registration, resending the OTP)
/// - `verify_aadhaar_otp`: `otp`; optional `domainName`, `idType`, `restrictions`
/// - `check_account_exist`: nothing (optional `preverifiedCheck`)
/// - `demographic_auth_via_mobile`: `mobileNumber`
/// - `generate_mobile_otp`: `mobile` (prefilled from the previous step)
/// - `verify_mobile_otp`: `otp`
/// - `get_hpr_id_suggestion`: nothing
/// - `create_hpr_id_with_preverified`: `hprId`, `password`, `email`, `hpCategoryCode`,
///   `hpSubCategoryCode`, and any demographics the e-KYC did not give; optional `profilePhoto`
#[derive(Debug, ToSchema)]
#[schema(
    value_type = Object,
    example = json!({"otp": "123456"})
)]
pub struct StepPayload(pub serde_json::Map<String, serde_json::Value>);

/// The body of `/healthz`.
#[derive(Debug, ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(schema_with = health_status)]
    pub status: String,
}

fn health_status() -> Schema {
    string_enum(&["ok"], "Always `ok`.")
}

/// The schema of [`ops::Readiness::status`]: `ready` or `not_ready`.
pub fn readiness_status() -> Schema {
    string_enum(&["ready", "not_ready"], "`ready` or `not_ready`.")
}

fn string_enum(values: &[&str], description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(values.iter().copied()))
        .description(Some(description))
        .into()
}

/// Adds the `api_key` bearer scheme (an API key made by `hpr serve keys create`).
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key: `Authorization: Bearer KEY`. Create one with \
                         `hpr serve keys create --name NAME`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// `X-Request-Id` on every route: accepted on every request, returned on every response
/// (`app::observe` wraps every route).
struct CommonHeaders;

impl Modify for CommonHeaders {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let parameter = ParameterBuilder::new()
            .name("X-Request-Id")
            .parameter_in(ParameterIn::Header)
            .required(utoipa::openapi::Required::False)
            .description(Some(
                "An id for this request (1–128 of `A–Z a–z 0–9 - _ . :`), echoed in the \
                 response and the logs; another value is replaced by a new id.",
            ))
            .schema(Some(string_schema()))
            .build();
        for item in openapi.paths.paths.values_mut() {
            item.parameters
                .get_or_insert_with(Vec::new)
                .push(RefOr::T(parameter.clone()));
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.delete,
                &mut item.put,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                for answer in operation.responses.responses.values_mut() {
                    if let RefOr::T(answer) = answer {
                        with_request_id(answer);
                    }
                }
            }
        }
        if let Some(components) = openapi.components.as_mut() {
            for answer in components.responses.values_mut() {
                if let RefOr::T(answer) = answer {
                    with_request_id(answer);
                }
            }
        }
    }
}

fn string_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .into()
}

fn with_request_id(answer: &mut response::Response) {
    answer.headers.insert(
        "X-Request-Id".to_owned(),
        RefOr::T(
            HeaderBuilder::new()
                .schema(Some(string_schema()))
                .description(Some(
                    "The request's id: the one sent in `X-Request-Id` if usable, else a new UUID.",
                ))
                .build(),
        ),
    );
}

/// An error response with an `ErrorDocument` body.
fn error_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorDocument")))
            .build(),
    )
}

macro_rules! error_responses {
    ($($(#[$doc:meta])* $name:ident => $description:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<response::Response>) {
                (stringify!($name), RefOr::T(extend(stringify!($name), error_response($description)).build()))
            }
        }
    )*};
}

/// Headers some error responses add.
fn extend(name: &str, builder: ResponseBuilder) -> ResponseBuilder {
    match name {
        "Unauthorized" => builder.header(
            "WWW-Authenticate",
            HeaderBuilder::new()
                .schema(Some(string_schema()))
                .description(Some("`Bearer realm=\"hpr\"`"))
                .build(),
        ),
        "TooManyRequests" => builder.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(SchemaType::new(Type::Integer))
                        .minimum(Some(0)),
                ))
                .description(Some(
                    "Seconds to wait before the next request with this key.",
                ))
                .build(),
        ),
        _ => builder,
    }
}

error_responses! {
    /// 401 `auth`.
    Unauthorized => "`auth`: no API key, a malformed `Authorization` header, or an unknown or revoked key.";
    /// 404 `not_found`.
    NotFound => "`not_found`: no such registration (unknown, expired, deleted or another tenant's: the same answer), or an unknown step.";
    /// 409 `flow` or `conflict`.
    Conflict => "`flow`: the step is not allowed at the registration's stage (`allowed_steps` lists those that are); `conflict`: `If-Match` names another revision, another step on the registration is running, or a request with this `Idempotency-Key` is still running. Nothing was sent.";
    /// 413 `validation`.
    PayloadTooLarge => "`validation`: the body is larger than the service's limit.";
    /// 415 `validation`.
    UnsupportedMediaType => "`validation`: the body is not JSON (`Content-Type` must be `application/json` or `*+json`).";
    /// 422 `validation` or `api`.
    Unprocessable => "`validation`: a field broke a rule (`fields` lists each one), or the request could not be read (body, query, `If-Match`, `Idempotency-Key`), or the `Idempotency-Key` was used with another request; `api`: the registry refused the step (`status`, `code`).";
    /// 429 `rate_limited`.
    TooManyRequests => "`rate_limited`: too many requests for this API key; retry after `Retry-After` seconds.";
    /// 500 `store` or `config`.
    Internal => "`store` or `config`: the step stopped unexpectedly, or the service is misconfigured; read the registration to see where it stands.";
    /// 502 `api` or `transport`.
    BadGateway => "`api` or `transport`: the registry failed or could not be reached, or answered unreadably; `unconfirmed: true` when the step may have taken effect.";
    /// 503 `store`.
    Unavailable => "`store`: the database failed; retry.";
    /// 504 `transport`.
    GatewayTimeout => "`transport`: no answer within the request timeout (a step that started goes on and is saved: read the registration).";
}

/// The serialized document, made once.
static DOCUMENT: LazyLock<Result<String, String>> =
    LazyLock::new(|| ApiDoc::openapi().to_json().map_err(|e| e.to_string()));

/// `GET /openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi",
    tag = "operations",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this service.", content_type = "application/json", body = Object),
    )
)]
pub async fn openapi_json() -> Response {
    match &*DOCUMENT {
        Ok(json) => {
            let mut response = json.clone().into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(e) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::Config,
            format!("cannot encode the OpenAPI document: {e}"),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_error_component() {
        let doc = ApiDoc::openapi();
        let json = serde_json::to_value(&doc).unwrap_or_default();
        assert_eq!(json["openapi"], "3.1.0");
        assert_eq!(json["info"]["title"], "hpr serve");
        for name in ["Unauthorized", "TooManyRequests", "Unprocessable"] {
            assert_eq!(
                json["components"]["responses"][name]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorDocument",
                "{name}"
            );
        }
        assert!(
            json["components"]["responses"]["TooManyRequests"]["headers"]["Retry-After"]
                .is_object()
        );
    }
}
