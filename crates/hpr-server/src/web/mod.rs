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

use std::collections::HashMap;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use abdm_hpr::flow::{
    ErrorDocument, FieldDescriptor, FieldKind, FieldRules, Stage, Step, StepOutcome, StoredSession,
    describe,
};
use abdm_hpr::types::{CategoryCode, Email, HprId, Invalid, Password, SubCategoryCode};

use crate::app::AppState;
use crate::db::millis;
use crate::extract::Path;
use crate::keys;

use i18n::{Lang, t};
use pages::{Ctx, Option_, Page, Problem, Problems, View};
use session::{Draft, WebSession};

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

/// `GET /register[?lang=hi][&page=…]`: the page for the browser's current state.
async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let asked_lang = query.get("lang").map(|l| Lang::from_code(l));
    let loaded = match session::load(&state, &headers).await {
        Ok(loaded) => loaded,
        Err(e) => return internal(&state, asked_lang.unwrap_or(Lang::En), &e.to_string()),
    };
    let Some(mut web) = loaded else {
        let lang = asked_lang.unwrap_or(Lang::En);
        if !state.config.web_open_access {
            let view = View::Expired {
                no_open_access: true,
            };
            return page(
                StatusCode::FORBIDDEN,
                &ctx(&state, lang, ""),
                &view,
                &Problems::default(),
            );
        }
        return fresh_start(&state, &headers, lang, "/register/start").await;
    };
    if let Some(lang) = asked_lang {
        lang.code().clone_into(&mut web.row.lang);
    }
    if let Err(e) = web.save(&state).await {
        return internal(&state, web.lang(), &e.to_string());
    }
    let requested = query.get("page").map(String::as_str);
    let resent = query.contains_key("sent");
    render_current(
        &state,
        &web,
        requested,
        &HashMap::new(),
        Problems::default(),
        resent,
    )
    .await
}

/// A new unbound session and the start page posting to `action`.
async fn fresh_start(state: &AppState, headers: &HeaderMap, lang: Lang, action: &str) -> Response {
    match session::create(state, lang, session::is_https(headers)).await {
        Ok((web, cookie)) => html(
            StatusCode::OK,
            pages::render(
                &ctx(state, lang, &web.row.csrf_token),
                &View::Start {
                    action: action.to_owned(),
                },
                &Problems::default(),
            ),
            Some(cookie),
        ),
        Err(e) => internal(state, lang, &e),
    }
}

/// The page for `web`'s state (or the `requested` draft page), with `problems`.
async fn render_current(
    state: &AppState,
    web: &WebSession,
    requested: Option<&str>,
    values: &HashMap<String, String>,
    problems: Problems,
    resent: bool,
) -> Response {
    let lang = web.lang();
    let c = ctx(state, lang, &web.row.csrf_token);
    let status = if problems.items.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    match current_view(state, web, requested, values, resent).await {
        Ok(view) => page(status, &c, &view, &problems),
        Err(e) => internal(state, lang, &e),
    }
}

/// The stored registration of `web`, if it has one that has not expired.
async fn registration(state: &AppState, web: &WebSession) -> Result<Option<StoredSession>, String> {
    let Some(id) = &web.row.registration_id else {
        return Ok(None);
    };
    match state.service(&web.row.tenant).get(id).await {
        Ok(stored) => Ok(Some(stored)),
        Err(abdm_hpr::Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// A field's descriptor: from the registration's hint (with its choices and required flag),
/// else the engine's catalog.
fn descriptor(stored: Option<&StoredSession>, name: &str) -> FieldDescriptor {
    stored
        .and_then(|s| s.session.hint())
        .and_then(|h| h.field(name).cloned())
        .or_else(|| describe(name))
        .unwrap_or_else(|| FieldDescriptor {
            name: name.to_owned(),
            kind: FieldKind::Text,
            label: name.to_owned(),
            help: String::new(),
            required: true,
            secret: false,
            value: None,
            choices: Vec::new(),
            parent_field: None,
            rules: FieldRules::default(),
        })
}

fn required(mut d: FieldDescriptor) -> FieldDescriptor {
    d.required = true;
    d
}

async fn current_view(
    state: &AppState,
    web: &WebSession,
    requested: Option<&str>,
    values: &HashMap<String, String>,
    resent: bool,
) -> Result<View, String> {
    if web.row.tenant.is_empty() {
        return Ok(if state.config.web_open_access {
            View::Start {
                action: "/register/start".to_owned(),
            }
        } else {
            View::Expired {
                no_open_access: true,
            }
        });
    }
    if web.row.registration_id.is_none() {
        return Ok(View::Aadhaar {
            field: required(descriptor(None, "aadhaar")),
        });
    }
    let Some(mut stored) = registration(state, web).await? else {
        return Ok(View::Expired {
            no_open_access: false,
        });
    };
    if stored.session.stage() == Stage::AadhaarVerified {
        // the account check runs right after the OTP; if that failed, it runs now
        if let Ok((next, _)) = run(state, web, Step::CheckAccountExist, Value::Null).await {
            stored = next;
        }
    }
    let value = |name: &str| values.get(name).cloned();
    let draft = &web.draft;
    Ok(match stored.session.stage() {
        Stage::Start => View::Aadhaar {
            field: required(descriptor(None, "aadhaar")),
        },
        Stage::AadhaarOtpSent | Stage::MobileOtpSent => {
            let mobile = stored.session.stage() == Stage::MobileOtpSent;
            View::Otp {
                mobile,
                field: required(descriptor(Some(&stored), "otp")),
                sandbox_otp: peek(state, &stored),
                resend_in: resend_in(state, draft),
                resent,
            }
        }
        Stage::AadhaarVerified | Stage::NewAccount | Stage::MobileUnverified => View::Fields {
            page: Page::Mobile,
            fields: vec![(
                required(descriptor(Some(&stored), "mobileNumber")),
                value("mobileNumber"),
            )],
        },
        Stage::MobileVerified | Stage::SuggestionsReady => {
            draft_view(web.lang(), &stored, draft, requested, values)
        }
        Stage::Completed => match stored.session.result() {
            Some(result) if result.existing => View::Existing {
                number: result.hpr_id_number.clone(),
                id: result.hpr_id.clone(),
            },
            Some(result) => View::Done {
                number: result.hpr_id_number.clone(),
                id: result.hpr_id.clone(),
                name: draft.name.clone().unwrap_or_default(),
            },
            None => View::Expired {
                no_open_access: false,
            },
        },
    })
}

/// The page among hpr-id, email, category, review and password: the one asked for (an edit
/// link) or the first one not yet answered.
fn draft_view(
    lang: Lang,
    stored: &StoredSession,
    draft: &Draft,
    requested: Option<&str>,
    values: &HashMap<String, String>,
) -> View {
    let complete = draft.hpr_id.is_some()
        && draft.email.is_some()
        && draft.category.is_some()
        && draft.sub_category.is_some();
    let page = match requested.and_then(Page::from_segment) {
        Some(p @ (Page::HprId | Page::Email | Page::Category)) => p,
        Some(p @ (Page::Review | Page::Password)) if complete => p,
        _ if draft.hpr_id.is_none() => Page::HprId,
        _ if draft.email.is_none() => Page::Email,
        _ if draft.category.is_none() || draft.sub_category.is_none() => Page::Category,
        _ if !draft.reviewed => Page::Review,
        _ => Page::Password,
    };
    let submitted =
        |name: &str, saved: &Option<String>| values.get(name).cloned().or_else(|| saved.clone());
    let field = |name: &str| required(descriptor(Some(stored), name));
    match page {
        Page::HprId => View::Fields {
            page,
            fields: vec![(field("hprId"), submitted("hprId", &draft.hpr_id))],
        },
        Page::Email => View::Fields {
            page,
            fields: vec![(field("email"), submitted("email", &draft.email))],
        },
        Page::Category => {
            let category = field("hpCategoryCode");
            let sub = field("hpSubCategoryCode");
            let categories = choices_of(lang, &category, "cat");
            let subs = categories
                .iter()
                .map(|c| {
                    let options = sub
                        .choices_for(Some(&c.value))
                        .into_iter()
                        .map(|s| Option_ {
                            value: s.value.clone(),
                            label: i18n::text_or(lang, &format!("sub.{}", s.value), &s.label)
                                .to_owned(),
                            parent: s.parent.clone(),
                        })
                        .collect();
                    (c.clone(), options)
                })
                .collect();
            View::Category {
                category,
                sub,
                categories,
                subs,
                chosen: (
                    submitted("hpCategoryCode", &draft.category),
                    submitted("hpSubCategoryCode", &draft.sub_category),
                ),
            }
        }
        Page::Review => View::Review {
            hpr_id: draft
                .hpr_id
                .as_deref()
                .map(|id| format!("{id}@hpr.abdm"))
                .unwrap_or_default(),
            email: draft.email.clone().unwrap_or_default(),
            category: category_text(lang, stored, draft),
        },
        _ => View::Password {
            field: field("password"),
        },
    }
}

/// The choices of a descriptor as page options, labels translated by `{prefix}.{code}`.
fn choices_of(lang: Lang, d: &FieldDescriptor, prefix: &str) -> Vec<Option_> {
    d.choices
        .iter()
        .map(|c| Option_ {
            value: c.value.clone(),
            label: i18n::text_or(lang, &format!("{prefix}.{}", c.value), &c.label).to_owned(),
            parent: c.parent.clone(),
        })
        .collect()
}

/// "Doctor — Modern Medicine" for the review (codes for unlisted ones).
fn category_text(lang: Lang, stored: &StoredSession, draft: &Draft) -> String {
    let name = |field: &str, prefix: &str, code: &Option<String>| {
        let code = code.clone().unwrap_or_default();
        choices_of(lang, &descriptor(Some(stored), field), prefix)
            .into_iter()
            .find(|c| c.value == code)
            .map_or(code, |c| c.label)
    };
    format!(
        "{} — {}",
        name("hpCategoryCode", "cat", &draft.category),
        name("hpSubCategoryCode", "sub", &draft.sub_category)
    )
}

/// The sandbox's latest OTP for the registration's transaction (embedded sandbox only).
fn peek(state: &AppState, stored: &StoredSession) -> Option<String> {
    let peek = state.config.web_otp_peek.as_ref()?;
    let txn = stored.session.txn_id()?;
    (peek.0)(txn.as_str())
}

/// Seconds until a new OTP may be asked for.
fn resend_in(state: &AppState, draft: &Draft) -> u64 {
    let Some(sent) = draft.otp_sent_at else {
        return 0;
    };
    let now = millis(state.clock.now());
    let wait = i64::try_from(state.config.web_resend_after.as_millis()).unwrap_or(i64::MAX);
    let left = sent.saturating_add(wait).saturating_sub(now);
    u64::try_from(left).map_or(0, |ms| ms.div_ceil(1000))
}

/// Runs one engine step on the web session's registration, counted in the metrics.
async fn run(
    state: &AppState,
    web: &WebSession,
    step: Step,
    payload: Value,
) -> abdm_hpr::Result<(StoredSession, StepOutcome)> {
    let Some(id) = web.row.registration_id.as_deref() else {
        return Err(abdm_hpr::Error::NotFound(
            "this browser has no registration".to_owned(),
        ));
    };
    let started = Instant::now();
    let result = state
        .service(&web.row.tenant)
        .step(id, step, payload, None)
        .await;
    count(state, step, started, &result);
    result
}

fn count<T>(state: &AppState, step: Step, started: Instant, result: &abdm_hpr::Result<T>) {
    state.metrics.step(
        step.as_str(),
        result.is_ok(),
        started.elapsed().as_secs_f64(),
    );
}

/// The submitted form: every `(name, value)` pair, in order.
type Fields = Vec<(String, String)>;

fn last<'a>(form: &'a Fields, name: &str) -> &'a str {
    form.iter()
        .rev()
        .find(|(k, v)| k == name && !v.trim().is_empty())
        .or_else(|| form.iter().rev().find(|(k, _)| k == name))
        .map_or("", |(_, v)| v.as_str())
}

/// The session of a POST whose CSRF token matches; otherwise the 403 page (nothing changes).
async fn guard(
    state: &AppState,
    headers: &HeaderMap,
    form: &Result<Form<Fields>, FormRejection>,
) -> Result<WebSession, Response> {
    let lang = Lang::En;
    let web = match session::load(state, headers).await {
        Ok(web) => web,
        Err(e) => return Err(internal(state, lang, &e.to_string())),
    };
    let token = form
        .as_ref()
        .ok()
        .and_then(|Form(f)| f.iter().find(|(k, _)| k == "csrf_token"))
        .map(|(_, v)| v.as_str());
    match (web, token) {
        (Some(web), Some(token)) if session::same_token(token, &web.row.csrf_token) => Ok(web),
        (web, _) => {
            let lang = web.as_ref().map_or(lang, WebSession::lang);
            Err(page(
                StatusCode::FORBIDDEN,
                &ctx(state, lang, ""),
                &View::Forbidden,
                &Problems::default(),
            ))
        }
    }
}

/// `POST /register/start`: binds the browser to an open-access registration (tenant `web`).
async fn start_open(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let mut web = match guard(&state, &headers, &form).await {
        Ok(web) => web,
        Err(response) => return response,
    };
    if !state.config.web_open_access {
        return page(
            StatusCode::FORBIDDEN,
            &ctx(&state, web.lang(), ""),
            &View::Expired {
                no_open_access: true,
            },
            &Problems::default(),
        );
    }
    if web.row.tenant.is_empty() {
        OPEN_TENANT.clone_into(&mut web.row.tenant);
        if let Err(e) = web.save(&state).await {
            return internal(&state, web.lang(), &e.to_string());
        }
    }
    see_other("/register")
}

/// `GET /register/l/{token}`: the start page of a link (the link is used up by the POST).
async fn link_landing(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let lang = query.get("lang").map_or(Lang::En, |l| Lang::from_code(l));
    match state
        .db
        .link_usable(&keys::hash(&token), state.clock.now())
        .await
    {
        Ok(true) => fresh_start(&state, &headers, lang, &format!("/register/l/{token}")).await,
        Ok(false) => expired(&state, lang),
        Err(e) => internal(&state, lang, &e.to_string()),
    }
}

fn expired(state: &AppState, lang: Lang) -> Response {
    page(
        StatusCode::GONE,
        &ctx(state, lang, ""),
        &View::Expired {
            no_open_access: false,
        },
        &Problems::default(),
    )
}

/// `POST /register/l/{token}`: uses the link up and binds this browser to its tenant.
async fn link_bind(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let mut web = match guard(&state, &headers, &form).await {
        Ok(web) => web,
        Err(response) => return response,
    };
    if !web.row.tenant.is_empty() {
        // this browser is bound already (a second click): the link is not used again
        return see_other("/register");
    }
    match state
        .db
        .use_link(&keys::hash(&token), state.clock.now())
        .await
    {
        Ok(Some(tenant)) => {
            web.row.tenant = tenant;
            if let Err(e) = web.save(&state).await {
                return internal(&state, web.lang(), &e.to_string());
            }
            see_other("/register")
        }
        Ok(None) => expired(&state, web.lang()),
        Err(e) => internal(&state, web.lang(), &e.to_string()),
    }
}

/// `POST /register/resend`: a new OTP (Aadhaar's needs the number again: it is never kept).
async fn resend(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let web = match guard(&state, &headers, &form).await {
        Ok(web) => web,
        Err(response) => return response,
    };
    let fields = form.map(|Form(f)| f).unwrap_or_default();
    tracked(&state, resend_tracked(state.clone(), web, fields)).await
}

async fn resend_tracked(state: AppState, mut web: WebSession, form: Fields) -> Response {
    let lang = web.lang();
    let stored = match registration(&state, &web).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return see_other("/register"),
        Err(e) => return internal(&state, lang, &e),
    };
    let (step, payload) = match stored.session.stage() {
        Stage::AadhaarOtpSent => (
            Step::GenerateAadhaarOtp,
            json!({"aadhaar": last(&form, "aadhaar")}),
        ),
        Stage::MobileOtpSent => (Step::GenerateMobileOtp, Value::Null),
        _ => return see_other("/register"),
    };
    if resend_in(&state, &web.draft) > 0 {
        let problems = Problems::page(t(lang, "err.resend_wait"));
        return render_current(&state, &web, None, &HashMap::new(), problems, false).await;
    }
    match run(&state, &web, step, payload).await {
        Ok(_) => {
            web.draft.otp_sent_at = Some(millis(state.clock.now()));
            if let Err(e) = web.save(&state).await {
                return internal(&state, lang, &e.to_string());
            }
            see_other("/register?sent=1")
        }
        Err(e) => {
            let problems = problems_of(lang, &e, Page::Otp);
            render_current(&state, &web, None, &HashMap::new(), problems, false).await
        }
    }
}

/// Runs a form's work as a tracked task: it finishes (and is saved) even if the browser goes
/// away, and a graceful shutdown waits for it.
async fn tracked<F>(state: &AppState, work: F) -> Response
where
    F: Future<Output = Response> + Send + 'static,
{
    match state.steps.spawn(work).await {
        Ok(response) => response,
        Err(e) => internal(state, Lang::En, &e.to_string()),
    }
}

/// `POST /register/{page}`: one page's form.
async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(segment): Path<String>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let web = match guard(&state, &headers, &form).await {
        Ok(web) => web,
        Err(response) => return response,
    };
    let Some(page) = Page::from_segment(&segment) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if web.row.tenant.is_empty() {
        return see_other("/register");
    }
    let fields = form.map(|Form(f)| f).unwrap_or_default();
    tracked(&state, submit_tracked(state.clone(), web, page, fields)).await
}

async fn submit_tracked(
    state: AppState,
    mut web: WebSession,
    page: Page,
    form: Fields,
) -> Response {
    let lang = web.lang();
    let outcome = match page {
        Page::Aadhaar => submit_aadhaar(&state, &mut web, &form).await,
        Page::Otp | Page::MobileOtp => submit_otp(&state, &mut web, page, &form).await,
        Page::Mobile => submit_mobile(&state, &mut web, &form).await,
        Page::HprId | Page::Email | Page::Category => draft_value(lang, &mut web, page, &form),
        Page::Review => {
            let d = &web.draft;
            if d.hpr_id.is_some() && d.email.is_some() && d.sub_category.is_some() {
                web.draft.reviewed = true;
                Ok(())
            } else {
                Err(Problems::page(t(lang, "err.review_first")))
            }
        }
        Page::Password => submit_password(&state, &mut web, &form).await,
        _ => Ok(()),
    };
    match outcome {
        Ok(()) => match web.save(&state).await {
            Ok(()) => see_other("/register"),
            Err(e) => internal(&state, lang, &e.to_string()),
        },
        Err(problems) => {
            let values: HashMap<String, String> = form
                .iter()
                .filter(|(k, _)| k != "csrf_token")
                .map(|(k, _)| (k.clone(), last(&form, k).to_owned()))
                .collect();
            render_current(&state, &web, Some(page.as_str()), &values, problems, false).await
        }
    }
}

async fn submit_aadhaar(
    state: &AppState,
    web: &mut WebSession,
    form: &Fields,
) -> Result<(), Problems> {
    let id = uuid::Uuid::now_v7().to_string();
    let started = Instant::now();
    let result = state
        .service(&web.row.tenant)
        .start(&id, json!({"aadhaar": last(form, "aadhaar")}))
        .await;
    count(state, Step::GenerateAadhaarOtp, started, &result);
    match result {
        Ok(_) => {
            state.metrics.started();
            web.row.registration_id = Some(id);
            web.draft = Draft {
                otp_sent_at: Some(millis(state.clock.now())),
                ..Draft::default()
            };
            Ok(())
        }
        Err(e) => Err(problems_of(web.lang(), &e, Page::Aadhaar)),
    }
}

async fn submit_otp(
    state: &AppState,
    web: &mut WebSession,
    page: Page,
    form: &Fields,
) -> Result<(), Problems> {
    let (verify, then) = if page == Page::Otp {
        (Step::VerifyAadhaarOtp, Step::CheckAccountExist)
    } else {
        (Step::VerifyMobileOtp, Step::GetHprIdSuggestion)
    };
    run(state, web, verify, json!({"otp": last(form, "otp")}))
        .await
        .map_err(|e| problems_of(web.lang(), &e, page))?;
    // the next step needs nothing from the professional; should it fail, the page runs it
    // again (account check) or goes on without suggestions
    if let Err(e) = run(state, web, then, Value::Null).await {
        tracing::warn!(step = then.as_str(), kind = ?ErrorDocument::kind_of(&e), "web: a follow-up step failed");
    }
    Ok(())
}

async fn submit_mobile(
    state: &AppState,
    web: &mut WebSession,
    form: &Fields,
) -> Result<(), Problems> {
    let lang = web.lang();
    if let Ok(Some(stored)) = registration(state, web).await
        && stored.session.stage() == Stage::AadhaarVerified
    {
        run(state, web, Step::CheckAccountExist, Value::Null)
            .await
            .map_err(|e| problems_of(lang, &e, Page::Mobile))?;
    }
    let (_, outcome) = run(
        state,
        web,
        Step::DemographicAuthViaMobile,
        json!({"mobileNumber": last(form, "mobileNumber")}),
    )
    .await
    .map_err(|e| problems_of(lang, &e, Page::Mobile))?;
    if outcome.next_step == Some(Step::GenerateMobileOtp) {
        run(state, web, Step::GenerateMobileOtp, Value::Null)
            .await
            .map_err(|e| problems_of(lang, &e, Page::Mobile))?;
        web.draft.otp_sent_at = Some(millis(state.clock.now()));
    } else if let Err(e) = run(state, web, Step::GetHprIdSuggestion, Value::Null).await {
        tracing::warn!(kind = ?ErrorDocument::kind_of(&e), "web: no HPR ID suggestions");
    }
    Ok(())
}

/// A value the engine's own parser accepts, kept in the draft (hpr-id, email, category).
fn draft_value(
    lang: Lang,
    web: &mut WebSession,
    page: Page,
    form: &Fields,
) -> Result<(), Problems> {
    let invalid = |field: &str, e: &Invalid| Problems {
        items: vec![field_problem(lang, field, e.rule.as_str(), &e.message)],
        attempts_left: None,
    };
    match page {
        Page::HprId => {
            let id = HprId::parse(last(form, "hprId")).map_err(|e| invalid("hprId", &e))?;
            web.draft.hpr_id = Some(id.as_str().to_owned());
        }
        Page::Email => {
            let email = Email::parse(last(form, "email")).map_err(|e| invalid("email", &e))?;
            web.draft.email = Some(email.as_str().to_owned());
        }
        _ => {
            let category = CategoryCode::parse(last(form, "hpCategoryCode"))
                .map_err(|e| invalid("hpCategoryCode", &e));
            let sub = SubCategoryCode::parse(last(form, "hpSubCategoryCode"))
                .map_err(|e| invalid("hpSubCategoryCode", &e));
            let (category, sub) = match (category, sub) {
                (Ok(c), Ok(s)) => (c.to_string(), s.to_string()),
                (c, s) => {
                    let mut all = Problems::default();
                    for p in [c.err(), s.err()].into_iter().flatten() {
                        all.items.extend(p.items);
                    }
                    return Err(all);
                }
            };
            // a listed sub-category must belong to the chosen category (unlisted codes pass:
            // the registry's tables are authoritative)
            if let Some(d) = describe("hpSubCategoryCode") {
                let listed = d.choices.iter().any(|c| c.value == sub);
                let fits = d
                    .choices_for(Some(&category))
                    .iter()
                    .any(|c| c.value == sub);
                if listed && !fits {
                    return Err(Problems::field(
                        "hpSubCategoryCode",
                        t(lang, "err.sub_mismatch"),
                    ));
                }
            }
            web.draft.category = Some(category);
            web.draft.sub_category = Some(sub);
        }
    }
    web.draft.reviewed = false;
    Ok(())
}

async fn submit_password(
    state: &AppState,
    web: &mut WebSession,
    form: &Fields,
) -> Result<(), Problems> {
    let lang = web.lang();
    let password = last(form, "password");
    let confirmation = last(form, "passwordConfirmation");
    let mut problems = Problems::default();
    if let Err(e) = Password::parse(password) {
        problems
            .items
            .push(field_problem(lang, "password", e.rule.as_str(), &e.message));
    }
    if !session::same_token(password, confirmation) {
        problems.items.push(Problem {
            field: Some("passwordConfirmation".to_owned()),
            text: t(lang, "err.mismatch").to_owned(),
        });
    }
    if !problems.items.is_empty() {
        return Err(problems);
    }
    let d = &web.draft;
    let (Some(hpr_id), Some(email), Some(category), Some(sub)) =
        (&d.hpr_id, &d.email, &d.category, &d.sub_category)
    else {
        return Err(Problems::page(t(lang, "err.review_first")));
    };
    let payload = json!({
        "hprId": hpr_id,
        "email": email,
        "hpCategoryCode": category,
        "hpSubCategoryCode": sub,
        "password": password,
    });
    let name = match registration(state, web).await {
        Ok(Some(stored)) => name_of(&stored),
        _ => None,
    };
    run(state, web, Step::CreateHprIdWithPreverified, payload)
        .await
        .map_err(|e| problems_of(lang, &e, Page::Password))?;
    state.metrics.completed();
    web.draft.name = name;
    Ok(())
}

/// "First Middle Last" from the create step's prefilled names.
fn name_of(stored: &StoredSession) -> Option<String> {
    let hint = stored.session.hint()?;
    let parts: Vec<String> = ["firstName", "middleName", "lastName"]
        .iter()
        .filter_map(|n| hint.field(n)?.value.as_ref()?.as_str().map(str::to_owned))
        .filter(|s| !s.trim().is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// A problem on `field` by the engine's rule `code`: the engine's English, or the table's
/// translation.
fn field_problem(lang: Lang, field: &str, code: &str, message: &str) -> Problem {
    let text = i18n::text_or(lang, &format!("rule.{code}"), message);
    let label = describe(field).map_or_else(
        || i18n::t(lang, &format!("field.{field}")).to_owned(),
        |d| pages::label(lang, &d, None),
    );
    Problem {
        field: Some(field.to_owned()),
        text: format!("{label}: {text}"),
    }
}

/// What to show for an engine error, in the page's language (never the submitted values: the
/// engine's messages do not hold them).
fn problems_of(lang: Lang, error: &abdm_hpr::Error, page: Page) -> Problems {
    let doc = ErrorDocument::from_error(error);
    if let Some(fields) = &doc.error.fields {
        return Problems {
            items: fields
                .iter()
                .map(|f| {
                    let mut p = field_problem(lang, &f.field, &f.code, &f.message);
                    if f.field == "otp" {
                        let key = if page == Page::MobileOtp {
                            "field.otp.mobile"
                        } else {
                            "field.otp.aadhaar"
                        };
                        let text = i18n::text_or(lang, &format!("rule.{}", f.code), &f.message);
                        p.text = format!("{}: {text}", t(lang, key));
                    }
                    p
                })
                .collect(),
            attempts_left: None,
        };
    }
    let otp_field = matches!(page, Page::Otp | Page::MobileOtp).then(|| "otp".to_owned());
    let (key, field) = match (doc.error.kind, error.api_code()) {
        (_, Some("HIS-1013" | "HIS-2022")) => ("err.otp_wrong", otp_field),
        (_, Some("HIS-1041")) => ("err.otp_locked", otp_field),
        (_, Some("HIS-1060")) => ("err.otp_expired", otp_field),
        (_, Some("HIS-1023")) => ("err.resend_wait", None),
        (_, Some("HIS-1015" | "HIS-3021" | "HIS-1016" | "HIS-1029")) => ("err.hpr_id_taken", None),
        (abdm_hpr::flow::ErrorKind::Transport, _) => ("err.transport", None),
        (abdm_hpr::flow::ErrorKind::Conflict, _) => ("err.busy", None),
        (abdm_hpr::flow::ErrorKind::Flow, _) => ("err.flow", None),
        (abdm_hpr::flow::ErrorKind::Api, _) => ("err.registry", None),
        _ => ("err.generic", None),
    };
    let mut text = t(lang, key).to_owned();
    if key == "err.registry"
        && let Some(code) = error.api_code()
    {
        text.push_str(&format!(" ({code})"));
    }
    Problems {
        items: vec![Problem { field, text }],
        attempts_left: (key == "err.otp_wrong")
            .then(|| attempts_left(&error.to_string()))
            .flatten(),
    }
}

/// "… (2 attempts left)" in the registry's message → 2.
fn attempts_left(message: &str) -> Option<u32> {
    let at = message.find(" attempt")?;
    let digits: String = message[..at]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

/// `POST /register/check` `{"field","value"}` with `X-CSRF-Token`: the engine's verdict on a
/// value as it is typed (hprId, email, password with its checklist).
async fn check(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let web = match session::load(&state, &headers).await {
        Ok(Some(web)) => web,
        Ok(None) => return StatusCode::FORBIDDEN.into_response(),
        Err(e) => return internal(&state, Lang::En, &e.to_string()),
    };
    let token = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !session::same_token(token, &web.row.csrf_token) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let Ok(request) = serde_json::from_slice::<HashMap<String, String>>(&body) else {
        return StatusCode::UNPROCESSABLE_ENTITY.into_response();
    };
    let lang = web.lang();
    let field = request.get("field").map_or("", String::as_str);
    let value = request.get("value").map_or("", String::as_str);
    let verdict = |result: Result<(), Invalid>| match result {
        Ok(()) => {
            let key = if field == "hprId" {
                "hpr-id.ok"
            } else {
                "check.ok"
            };
            json!({"ok": true, "message": t(lang, key)})
        }
        Err(e) => {
            json!({"ok": false, "message": field_problem(lang, field, e.rule.as_str(), &e.message).text})
        }
    };
    let answer = match field {
        "hprId" => verdict(HprId::parse(value).map(|_| ())),
        "email" => verdict(Email::parse(value).map(|_| ())),
        "password" => {
            let mut answer = verdict(Password::parse(value).map(|_| ()));
            answer["checklist"] = Password::checklist(value)
                .into_iter()
                .map(|(c, met)| json!({"id": c.as_str(), "met": met, "label": pages::criterion_text(lang, c)}))
                .collect();
            answer
        }
        _ => return StatusCode::UNPROCESSABLE_ENTITY.into_response(),
    };
    axum::Json(answer).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_are_read_from_the_registry_message() {
        assert_eq!(
            attempts_left("verify_aadhaar_otp: OTP verification failed (2 attempts left)"),
            Some(2)
        );
        assert_eq!(attempts_left("(1 attempt left)"), Some(1));
        assert_eq!(attempts_left("Incorrect OTP"), None);
    }
}
