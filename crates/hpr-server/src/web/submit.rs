//! The POST handlers of the pages: each checks the CSRF token, runs its work as a tracked task,
//! and either moves the browser on (303 to `/register`) or shows the same page with problems.

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use abdm_hpr::flow::{ErrorDocument, Stage, Step, StoredSession, describe};
use abdm_hpr::types::{CategoryCode, Email, HprId, Invalid, Password, SubCategoryCode};

use crate::app::AppState;
use crate::db::millis;
use crate::extract::Path;

use super::engine::{count, registration, run};
use super::i18n::{Lang, t};
use super::pages::{Page, Problem, Problems, View};
use super::problems::{field_problem, problems_of};
use super::session::{self, Draft, WebSession};
use super::view::{render_current, resend_in};
use super::{ctx, internal, page, see_other};

/// `POST /register/{page}`: one page's form.
pub(super) async fn submit(
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

/// `POST /register/resend`: a new OTP (Aadhaar's needs the number again: it is never kept).
pub(super) async fn resend(
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

/// The session of a POST whose CSRF token matches; otherwise the 403 page (nothing changes).
pub(super) async fn guard(
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

/// The submitted form: every `(name, value)` pair, in order.
pub(super) type Fields = Vec<(String, String)>;

fn last<'a>(form: &'a Fields, name: &str) -> &'a str {
    form.iter()
        .rev()
        .find(|(k, v)| k == name && !v.trim().is_empty())
        .or_else(|| form.iter().rev().find(|(k, _)| k == name))
        .map_or("", |(_, v)| v.as_str())
}
