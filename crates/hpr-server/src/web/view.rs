//! Which page a browser sees: the one for its registration's stage (or the draft page it asked
//! for), built from the engine's field descriptors with every label translated.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use abdm_hpr::flow::{
    FieldDescriptor, FieldKind, FieldRules, Stage, Step, StoredSession, describe,
};

use crate::app::AppState;
use crate::db::millis;

use super::access::fresh_start;
use super::engine::{registration, run};
use super::i18n::{self, Lang};
use super::pages::{Option_, Page, Problems, View};
use super::session::{self, Draft, WebSession};
use super::{ctx, internal, page};

/// `GET /register[?lang=hi][&page=…]`: the page for the browser's current state.
pub(super) async fn show(
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

/// The page for `web`'s state (or the `requested` draft page), with `problems`.
pub(super) async fn render_current(
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
pub(super) fn resend_in(state: &AppState, draft: &Draft) -> u64 {
    let Some(sent) = draft.otp_sent_at else {
        return 0;
    };
    let now = millis(state.clock.now());
    let wait = i64::try_from(state.config.web_resend_after.as_millis()).unwrap_or(i64::MAX);
    let left = sent.saturating_add(wait).saturating_sub(now);
    u64::try_from(left).map_or(0, |ms| ms.div_ceil(1000))
}
