//! The browser harness (`tests/browser/mod.rs`) on its own, without the registration page: a
//! throwaway axum server on 127.0.0.1 serves tiny pages with a strict Content-Security-Policy
//! (`script-src 'self'`), and a headless Chromium opens them at 360 and 1280 px, with
//! JavaScript on and off, takes screenshots and runs axe-core.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::Query;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use browser::{Browser, Opts, png_size};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn page(lang: &str, step: &str, title: &str, main: &str) -> Response {
    (
        [(header::CONTENT_SECURITY_POLICY, CSP)],
        Html(format!(
            r#"<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/app.css"><script src="/app.js" defer></script></head>
<body data-step="{step}">
<header><p>Harness</p></header>
<main><h1>{title}</h1>
{main}
<script>document.documentElement.setAttribute('data-inline', 'ran');</script>
</main>
</body>
</html>"#
        )),
    )
        .into_response()
}

/// A page that should pass axe: labelled field, landmarks, language, title.
async fn good() -> impl IntoResponse {
    page(
        "en",
        "start",
        "A good page",
        r#"<form id="step-form" method="get" action="/next">
<label for="name">Your name</label>
<input id="name" name="name" type="text" autocomplete="name">
<button id="continue" type="submit">Continue</button>
</form>"#,
    )
}

/// The same with an input that has no label (axe's `label` rule, impact critical).
async fn bad() -> impl IntoResponse {
    page(
        "en",
        "bad",
        "A bad page",
        r#"<form id="step-form" method="get" action="/next">
<input id="name" name="name" type="text">
<button id="continue" type="submit">Continue</button>
</form>"#,
    )
}

/// A page taller than any window: the screenshot covers all of it.
async fn tall() -> impl IntoResponse {
    let paragraphs: String = (1..=60)
        .map(|i| format!("<p>Paragraph {i} of a long page.</p>"))
        .collect();
    page("en", "tall", "A tall page", &paragraphs)
}

async fn next(Query(q): Query<std::collections::HashMap<String, String>>) -> impl IntoResponse {
    let name = q.get("name").cloned().unwrap_or_default();
    let escaped = name
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    page(
        "hi",
        "next",
        "अगला पृष्ठ",
        &format!(r#"<p id="echo">{escaped}</p>"#),
    )
}

async fn app_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript")],
        "document.body.setAttribute('data-js', 'on');",
    )
}

async fn app_css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css")],
        "body { font-family: sans-serif; margin: 0 1rem; } \
         input, button { font-size: 1rem; display: block; margin: .5rem 0; }",
    )
}

async fn serve() -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let app = Router::new()
        .route("/good", get(good))
        .route("/bad", get(bad))
        .route("/tall", get(tall))
        .route("/next", get(next))
        .route("/app.js", get(app_js))
        .route("/app.css", get(app_css));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    (addr, tx)
}

/// Opens the pages at `opts`; checks JavaScript, the CSP, the helpers, screenshots and axe.
async fn exercise(opts: Opts, name: &str) {
    let Some(mut b) = Browser::start(opts).await else {
        return;
    };
    let (addr, stop) = serve().await;
    let base = format!("http://{addr}");

    b.goto(&format!("{base}/good")).await;
    b.wait_for_step("start").await;
    // the page's CSP holds: its inline script did not run
    assert_eq!(b.attr("html", "data-inline").await, None, "CSP not applied");
    // the script from 'self' runs exactly when JavaScript is on
    if opts.javascript {
        b.wait_for("body[data-js=on]").await;
    } else {
        // give a script the time it would need, then make sure none ran
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert!(
            !b.exists("body[data-js]").await,
            "JavaScript ran while disabled"
        );
    }
    assert!(b.exists("button#continue").await);
    assert!(!b.exists("#error-summary").await);
    assert_eq!(b.text("h1").await.as_deref(), Some("A good page"));

    // screenshots: PNGs of the asked width
    let shot = b.screenshot(&format!("harness-{name}-good")).await;
    let png = std::fs::read(&shot).unwrap();
    let (w, _h) = png_size(&png).expect("a PNG");
    assert!(
        shot.file_name().unwrap().to_str().unwrap()
            == format!("harness-{name}-good-{}.png", opts.width),
        "{}",
        shot.display()
    );
    // the device pixel ratio is 1 in headless Chromium
    assert_eq!(w, opts.width, "the screenshot's width");

    // axe-core, injected despite the CSP: the good page has no serious or critical violation
    let good = b.axe("good").await;
    assert!(
        good.iter()
            .all(|v| v.impact != "serious" && v.impact != "critical"),
        "{good:?}"
    );

    // keyboard: Tab to the field, type, Enter submits
    let mut tabs = 0;
    while b.focused_id().await != "name" {
        b.press(fantoccini::key::Key::Tab).await;
        tabs += 1;
        assert!(tabs < 10, "Tab never reached #name");
    }
    b.type_keys("Asha <b>").await;
    b.press(fantoccini::key::Key::Enter).await;
    b.wait_for_step("next").await;
    assert_eq!(b.text("#echo").await.as_deref(), Some("Asha <b>"));
    assert_eq!(b.attr("html", "lang").await.as_deref(), Some("hi"));
    assert!(browser::has_devanagari(&b.text("h1").await.unwrap()));
    b.screenshot(&format!("harness-{name}-next")).await;
    b.axe("next").await;

    // a page taller than the window is shot whole, at the same width
    b.goto(&format!("{base}/tall")).await;
    b.wait_for_step("tall").await;
    let shot = b.screenshot(&format!("harness-{name}-tall")).await;
    let (w, h) = png_size(&std::fs::read(&shot).unwrap()).unwrap();
    assert_eq!(w, opts.width);
    assert!(h > opts.height, "the tall page's screenshot is {w}x{h}");
    let inner = b
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await;
    assert_eq!(
        inner,
        serde_json::json!([opts.width, opts.height]),
        "the viewport is back"
    );

    // fill + submit (clicks button#continue)
    b.goto(&format!("{base}/good")).await;
    b.wait_for_step("start").await;
    b.fill("name", "Ravi").await;
    b.submit().await;
    b.wait_for_step("next").await;
    assert_eq!(b.text("#echo").await.as_deref(), Some("Ravi"));

    // the bad page: axe reports the unlabelled input
    b.goto(&format!("{base}/bad")).await;
    b.wait_for_step("bad").await;
    let bad = b.axe("bad").await;
    let label = bad.iter().find(|v| v.id == "label").unwrap_or_else(|| {
        panic!("axe did not report the unlabelled input: {bad:?}");
    });
    assert_eq!(label.nodes, 1);
    assert!(label.impact == "critical" || label.impact == "serious");
    assert!(!b.tally().serious_or_critical().is_empty());
    assert_eq!(b.tally().steps.len(), 3);

    b.report(&format!("harness {name}"));
    b.close().await;
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_desktop_with_javascript() {
    exercise(Opts::desktop(), "js").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_mobile_with_javascript() {
    exercise(Opts::mobile(), "js").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_desktop_without_javascript() {
    exercise(Opts::desktop().without_js(), "nojs").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_mobile_without_javascript() {
    exercise(Opts::mobile().without_js(), "nojs").await;
}

/// A failed wait panics naming the URL and the page's step; the panic drops the browser,
/// which ends chromedriver and every Chromium process of its profile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_failed_wait_names_the_page_and_drop_ends_the_processes() {
    let Some(b) = Browser::start(Opts::desktop()).await else {
        return;
    };
    let (addr, stop) = serve().await;
    let url = format!("http://{addr}/good");
    b.goto(&url).await;
    b.wait_for_step("start").await;
    let profile = b.profile_dir();
    assert!(
        !browser::processes_with(&profile).is_empty(),
        "no Chromium process runs with {}",
        profile.display()
    );
    let failed = tokio::spawn(async move {
        b.wait_for_step_within("nowhere", std::time::Duration::from_secs(1))
            .await;
    })
    .await
    .expect_err("waiting for a missing step panics");
    let payload = failed.into_panic();
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    assert!(message.contains("body[data-step=nowhere]"), "{message}");
    assert!(message.contains(&url), "{message}");
    assert!(message.contains("body[data-step=start]"), "{message}");
    let left = browser::processes_with(&profile);
    assert!(left.is_empty(), "processes left after drop: {left:?}");
    let _ = stop.send(());
}
