//! The registration page at `/register`: server-rendered forms over the same engine as the REST
//! API (`AppState::service(tenant)`), so a web registration is also visible to its tenant under
//! `/v1/registrations`.
//!
//! Page order: aadhaar → otp → (account check) → existing | mobile → (mobile-otp) → hpr-id →
//! email → category → review → password (runs create) → done. Everything a browser
//! registration needs is in the database (`web_sessions`; the engine's `registrations`), so any
//! replica continues it. The password is never stored: the page that asks for it runs create.
//! Inputs come from the engine's field descriptors, values are checked by the engine's parsers,
//! and every word comes from [`i18n`].

pub mod i18n;
pub mod pages;
pub mod session;

mod access;
mod check;
mod engine;
mod problems;
mod submit;
mod view;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::app::AppState;
use crate::extract::Path;

use access::{link_bind, link_landing, start_open};
use check::check;
use i18n::{Lang, t};
use pages::{Ctx, Problems, View};
use submit::{resend, submit};
use view::show;

/// The tenant of open-access registrations (embedded sandbox only).
pub const OPEN_TENANT: &str = "web";

/// The Content-Security-Policy of every page.
pub const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const CSS: &str = include_str!("assets/app.css");
const JS: &str = include_str!("assets/app.js");

/// The page's routes (merged into the app's router).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/register", get(show))
        .route("/register/start", post(start_open))
        .route("/register/check", post(check))
        .route("/register/resend", post(resend))
        .route("/register/l/{token}", get(link_landing).post(link_bind))
        .route("/register/assets/{file}", get(asset))
        .route("/register/{page}", post(submit))
        .layer(middleware::map_response(security_headers))
}

/// CSP, no sniffing, no referrer; pages are never cached (assets set their own caching).
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn root() -> Redirect {
    Redirect::to("/register")
}

/// `GET /register/assets/{app.css,app.js}`.
async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

fn ctx(state: &AppState, lang: Lang, csrf: &str) -> Ctx {
    Ctx {
        lang,
        csrf: csrf.to_owned(),
        sandbox: state.config.web_open_access,
    }
}

fn html(status: StatusCode, body: String, cookie: Option<HeaderValue>) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

fn page(status: StatusCode, ctx: &Ctx, view: &View, problems: &Problems) -> Response {
    html(status, pages::render(ctx, view, problems), None)
}

/// A failure of the service itself (the database): a plain page, no details.
fn internal(state: &AppState, lang: Lang, what: &str) -> Response {
    tracing::error!(error = %what, "web page: store failure");
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        &ctx(state, lang, ""),
        &View::Expired {
            no_open_access: false,
        },
        &Problems::page(t(lang, "err.generic")),
    )
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}
