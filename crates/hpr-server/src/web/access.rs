//! Binding a browser to a tenant: the open-access start (embedded sandbox) and the one-use
//! links a tenant hands out. Until bound, a browser's session has no tenant and can only start.

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::app::AppState;
use crate::extract::Path;
use crate::keys;

use super::i18n::Lang;
use super::pages::{self, Problems, View};
use super::session;
use super::submit::{Fields, guard};
use super::{OPEN_TENANT, ctx, html, internal, page, see_other};

/// A new unbound session and the start page posting to `action`.
pub(super) async fn fresh_start(
    state: &AppState,
    headers: &HeaderMap,
    lang: Lang,
    action: &str,
) -> Response {
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

/// `POST /register/start`: binds the browser to an open-access registration (tenant `web`).
pub(super) async fn start_open(
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
pub(super) async fn link_landing(
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
pub(super) async fn link_bind(
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
