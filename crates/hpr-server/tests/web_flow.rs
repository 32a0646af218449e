#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The registration page as a JavaScript-off browser uses it: plain form posts from `start` to
//! the result card on both demographic branches, an existing account, a wrong OTP, an inline
//! validation error in English and Hindi, every Hindi page free of the table's English, and no
//! Aadhaar number, OTP or password in any URL, Location or page after the step that used it.

mod common;

use common::web::{Browser, Page};
use common::{AADHAAR, OTP, PASSWORD, TestServer, aadhaar};
use hpr_server::web::i18n::TABLE;

/// Runs the page from `start` to `done`; the browser keeps every response.
async fn register(server: &TestServer, b: &mut Browser, number: &str, linked: bool) -> Page {
    let page = b.get("/register").await;
    assert_eq!(page.step(), "start", "{}", page.body);
    assert!(page.tag("sandbox-banner").is_some());
    let page = b.submit(&page, &[]).await;
    assert_eq!(page.step(), "aadhaar");
    let page = b.submit(&page, &[("aadhaar", number)]).await;
    assert_eq!(page.step(), "otp", "{}", page.body);
    let otp = page.text("sandbox-otp").expect("the fake SMS on the page");
    assert_eq!(otp, OTP);
    assert!(page.tag("resend").is_some() && page.tag("resend-countdown").is_some());
    let page = b.submit(&page, &[("otp", &otp)]).await;
    assert_eq!(page.step(), "mobile", "{}", page.body);
    let mobile = if linked {
        server.linked_mobile(number)
    } else {
        server.other_mobile(number)
    };
    let mut page = b.submit(&page, &[("mobileNumber", &mobile)]).await;
    if !linked {
        assert_eq!(page.step(), "mobile-otp", "{}", page.body);
        let otp = page.text("sandbox-otp").unwrap();
        page = b.submit(&page, &[("otp", &otp)]).await;
    }
    assert_eq!(page.step(), "hpr-id", "{}", page.body);
    let suggestions = page.suggestions();
    assert!(!suggestions.is_empty(), "{}", page.body);
    // a tap on a suggestion: the typed input is empty, the button's value comes last
    let page = b
        .submit(&page, &[("hprId", ""), ("hprId", &suggestions[0])])
        .await;
    assert_eq!(page.step(), "email", "{}", page.body);
    let page = b.submit(&page, &[("email", "asha@example.com")]).await;
    assert_eq!(page.step(), "category", "{}", page.body);
    assert!(page.tag("hpCategoryCode").unwrap().starts_with("<select"));
    assert!(
        page.tag("hpSubCategoryCode")
            .unwrap()
            .starts_with("<select")
    );
    let page = b
        .submit(
            &page,
            &[("hpCategoryCode", "1"), ("hpSubCategoryCode", "1")],
        )
        .await;
    assert_eq!(page.step(), "review", "{}", page.body);
    assert!(page.tag("review").is_some());
    assert!(page.has(&format!("{}@hpr.abdm", suggestions[0])));
    assert_eq!(page.body.matches("class=\"edit\"").count(), 3);
    let page = b.submit(&page, &[]).await;
    assert_eq!(page.step(), "password", "{}", page.body);
    assert_eq!(page.body.matches("data-criterion=").count(), 6);
    assert!(page.tag("passwordConfirmation").is_some());
    let page = b
        .submit(
            &page,
            &[("password", PASSWORD), ("passwordConfirmation", PASSWORD)],
        )
        .await;
    assert_eq!(page.step(), "done", "{}", page.body);
    assert_eq!(
        page.text("hpr-id").unwrap(),
        format!("{}@hpr.abdm", suggestions[0])
    );
    assert!(page.text("hpr-id-number").unwrap().len() >= 14);
    assert!(!page.text("name").unwrap().is_empty());
    assert!(page.tag("print").is_some());
    page
}

/// No Aadhaar number or password anywhere; the OTP only inside `#sandbox-otp` of the OTP pages
/// (before the step that uses it); none of them in a URL or a Location.
fn assert_no_secrets(b: &Browser, number: &str) {
    for seen in &b.seen {
        for secret in [number, PASSWORD, OTP] {
            assert!(!seen.url.contains(secret), "{} {}", seen.method, seen.url);
            assert!(
                !seen.location.as_deref().unwrap_or("").contains(secret),
                "{:?}",
                seen.location
            );
        }
        assert!(!seen.body.contains(number), "Aadhaar in {}", seen.url);
        assert!(!seen.body.contains(PASSWORD), "password in {}", seen.url);
        let page = Page {
            status: seen.status,
            headers: Default::default(),
            body: seen.body.clone(),
        };
        let expected = usize::from(matches!(page.step(), "otp" | "mobile-otp"));
        assert_eq!(
            seen.body.matches(OTP).count(),
            expected,
            "the OTP on a {} page",
            page.step()
        );
        if expected == 1 {
            assert_eq!(page.text("sandbox-otp").as_deref(), Some(OTP));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_branches_register_without_javascript() {
    let server = TestServer::web(true).await;
    for (n, linked) in [(1, true), (2, false)] {
        let number = aadhaar(n);
        let mut b = Browser::new(&server);
        register(&server, &mut b, &number, linked).await;
        assert_no_secrets(&b, &number);
        // the done page stays on a reload, and the registration is the tenant `web`'s
        assert_eq!(b.get("/register").await.step(), "done");
    }
    assert_eq!(server.sandbox.accounts().len(), 2);
    let key = server.key("web-reader", "web").await;
    let (status, page) = server.get(&key, "/v1/registrations").await;
    assert_eq!(status, 200);
    let all = page["registrations"].as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|r| r["stage"] == "completed"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_account_ends_on_the_existing_card() {
    let server = TestServer::web(true).await;
    let key = server.key("emr", "emr").await;
    let number = aadhaar(3);
    let id = server.start_for(&key, &number).await;
    let done = server.complete(&key, &id, &number, true).await;
    let hpr_id = done.last().unwrap().2["outcome"]["data"]["hprId"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut b = Browser::new(&server);
    let page = b.get("/register").await;
    let page = b.submit(&page, &[]).await;
    let page = b.submit(&page, &[("aadhaar", &number)]).await;
    let otp = page.text("sandbox-otp").unwrap();
    let page = b.submit(&page, &[("otp", &otp)]).await;
    assert_eq!(page.step(), "existing", "{}", page.body);
    assert!(page.tag("existing-card").is_some());
    assert_eq!(page.text("hpr-id").unwrap(), hpr_id);
    assert!(!page.text("hpr-id-number").unwrap().is_empty());
    assert_no_secrets(&b, &number);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_otp_shows_the_summary_and_the_attempts_left() {
    let server = TestServer::web(true).await;
    let mut b = Browser::new(&server);
    let page = b.get("/register").await;
    let page = b.submit(&page, &[]).await;
    let page = b.submit(&page, &[("aadhaar", AADHAAR)]).await;
    let page = b.submit(&page, &[("otp", "654321")]).await;
    assert_eq!(page.status, 422);
    assert_eq!(page.step(), "otp");
    assert!(
        page.tag("error-summary")
            .unwrap()
            .contains("role=\"alert\"")
    );
    assert!(page.has("href=\"#otp\""), "{}", page.body);
    assert_eq!(page.text("attempts-left").unwrap(), "Attempts left: 2");
    assert!(page.tag("otp").unwrap().contains("aria-invalid=\"true\""));
    assert!(!page.text("otp-error").unwrap().is_empty());
    // the right one still works
    let page = b.submit(&page, &[("otp", OTP)]).await;
    assert_eq!(page.step(), "mobile");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_aadhaar_is_shown_inline_in_english_and_in_hindi() {
    let server = TestServer::web(true).await;
    let bad = "234123412345";
    let engine = abdm_hpr::types::Aadhaar::parse(bad).unwrap_err();
    let calls = server.registry_calls();

    let mut b = Browser::new(&server);
    let page = b.get("/register").await;
    let page = b.submit(&page, &[]).await;
    let page = b.submit(&page, &[("aadhaar", bad)]).await;
    assert_eq!(page.status, 422);
    assert_eq!(page.step(), "aadhaar");
    assert!(page.tag("error-summary").is_some());
    assert!(page.has("<a href=\"#aadhaar\">"), "{}", page.body);
    let input = page.tag("aadhaar").unwrap();
    assert!(input.contains("aria-invalid=\"true\""), "{input}");
    assert!(input.contains("aadhaar-error"), "{input}");
    assert!(
        page.text("aadhaar-error")
            .unwrap()
            .contains(&*engine.message)
    );
    assert!(!page.has(bad), "the rejected value is not written back");
    // (the check of the Hindi pages below finds English where there is some)
    assert!(!english_left(&page).is_empty());

    let page = b.get("/register?lang=hi").await;
    assert!(page.has("<html lang=\"hi\">"));
    let page = b.submit(&page, &[("aadhaar", bad)]).await;
    assert_eq!(page.step(), "aadhaar");
    let error = page.text("aadhaar-error").unwrap();
    assert!(error.contains("जाँच अंक"), "{error}");
    assert!(!error.contains(&*engine.message), "{error}");
    assert!(page.has("<a href=\"#aadhaar\">"));
    assert_eq!(server.registry_calls(), calls, "nothing was sent");
    server.stop().await;
}

/// What a reader sees or hears: the text between tags and the attributes that are shown or
/// read out, one per line.
fn visible(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push('\n');
        let close = open + rest[open..].find('>').unwrap();
        let tag = &rest[open..close];
        for name in [
            "label",
            "title",
            "aria-label",
            "placeholder",
            "data-text",
            "alt",
        ] {
            let key = format!(" {name}=\"");
            if let Some(at) = tag.find(&key) {
                let from = at + key.len();
                out.push_str(&tag[from..from + tag[from..].find('"').unwrap()]);
                out.push('\n');
            }
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The table's English texts (language names aside) and the engine's labels shown on `page`.
fn english_left(page: &Page) -> Vec<String> {
    let text = visible(&page.body);
    let mut left: Vec<String> = TABLE
        .iter()
        .filter(|(key, en, hi)| !key.starts_with("lang.") && en.len() > 3 && en != hi)
        .filter(|(_, en, _)| text.contains(en))
        .map(|(key, en, _)| format!("{key}: {en}"))
        .collect();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for name in abdm_hpr::flow::catalog_names() {
        let d = abdm_hpr::flow::describe(name).unwrap();
        let choices = d.choices.iter().map(|c| &c.label);
        for shown in [&d.label, &d.help].into_iter().chain(choices) {
            if shown.len() > 3 && lines.contains(&shown.as_str()) {
                left.push(format!("engine {name}: {shown}"));
            }
        }
    }
    left
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hindi_page_is_translated() {
    let server = TestServer::web(true).await;
    let number = aadhaar(4);
    let mut b = Browser::new(&server);
    let page = b.get("/register?lang=hi").await;
    assert!(page.has("<html lang=\"hi\">"));
    assert!(
        page.tag("lang-switch")
            .unwrap()
            .contains("href=\"/register?lang=en\"")
    );
    let mut pages = vec![page.clone()];
    let page = b.submit(&page, &[]).await;
    pages.push(page.clone());
    let bad = b.submit(&page, &[("aadhaar", "123")]).await;
    pages.push(bad.clone());
    let page = b.submit(&bad, &[("aadhaar", &number)]).await;
    pages.push(page.clone());
    let wrong = b.submit(&page, &[("otp", "654321")]).await;
    pages.push(wrong.clone());
    let page = b.submit(&wrong, &[("otp", OTP)]).await;
    pages.push(page.clone());
    let page = b
        .submit(&page, &[("mobileNumber", &server.other_mobile(&number))])
        .await;
    assert_eq!(page.step(), "mobile-otp");
    pages.push(page.clone());
    let page = b.submit(&page, &[("otp", OTP)]).await;
    pages.push(page.clone());
    let bad = b.submit(&page, &[("hprId", "ab")]).await;
    pages.push(bad.clone());
    let page = b.submit(&bad, &[("hprId", "asha.web")]).await;
    pages.push(page.clone());
    let page = b.submit(&page, &[("email", "asha@example.com")]).await;
    pages.push(page.clone());
    let page = b
        .submit(
            &page,
            &[("hpCategoryCode", "2"), ("hpSubCategoryCode", "8")],
        )
        .await;
    pages.push(page.clone());
    let page = b.submit(&page, &[]).await;
    pages.push(page.clone());
    let bad = b
        .submit(
            &page,
            &[("password", "short"), ("passwordConfirmation", "other")],
        )
        .await;
    pages.push(bad.clone());
    let page = b
        .submit(
            &bad,
            &[("password", PASSWORD), ("passwordConfirmation", PASSWORD)],
        )
        .await;
    assert_eq!(page.step(), "done", "{}", page.body);
    pages.push(page);
    let steps: Vec<&str> = pages.iter().map(Page::step).collect();
    assert_eq!(
        steps,
        [
            "start",
            "aadhaar",
            "aadhaar",
            "otp",
            "otp",
            "mobile",
            "mobile-otp",
            "hpr-id",
            "hpr-id",
            "email",
            "category",
            "review",
            "password",
            "password",
            "done"
        ]
    );
    // the pages off the main path: a refused form, an expired link
    let forbidden = b.post("/register/password", &[]).await;
    assert_eq!(forbidden.status, 403);
    pages.push(forbidden);
    pages.push(b.get("/register/l/nonsense?lang=hi").await);
    for page in &pages {
        assert!(page.has("<html lang=\"hi\">"));
        let left = english_left(page);
        assert!(left.is_empty(), "{} page: {left:?}", page.step());
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_otp_is_resent_only_after_the_countdown() {
    let server = TestServer::web(true).await;
    let mut b = Browser::new(&server);
    let page = b.get("/register").await;
    let page = b.submit(&page, &[]).await;
    let page = b.submit(&page, &[("aadhaar", AADHAAR)]).await;
    assert_eq!(page.step(), "otp");
    let countdown = page.tag("resend-countdown").unwrap();
    assert!(countdown.contains("data-seconds=\"30\""), "{countdown}");
    let resend = page.tag("resend").unwrap();
    assert!(resend.contains("method=\"post\""), "{resend}");
    assert!(page.has("disabled>"), "the resend button waits");
    // without JavaScript an early resend is refused with a message, and nothing is sent
    let calls = server.registry_calls();
    let csrf = page.csrf();
    let early = b
        .post(
            "/register/resend",
            &[("csrf_token", &csrf), ("aadhaar", AADHAAR)],
        )
        .await;
    assert_eq!(early.status, 422);
    assert_eq!(early.step(), "otp");
    assert!(early.has("Please wait before asking for another OTP."));
    assert_eq!(server.registry_calls(), calls);
    // once the countdown has run out the button is enabled, and a resend sends a new OTP
    server.clock.advance(std::time::Duration::from_secs(31));
    let page = b.get("/register").await;
    assert!(
        page.tag("resend-countdown")
            .unwrap()
            .contains("data-seconds=\"0\"")
    );
    let page = b
        .post(
            "/register/resend",
            &[("csrf_token", &csrf), ("aadhaar", AADHAAR)],
        )
        .await;
    assert_eq!(page.step(), "otp");
    assert_eq!(server.registry_calls(), calls + 1);
    // the sandbox has its own resend interval (real time): either a new OTP or its refusal
    assert!(
        page.has("A new OTP was sent.") || page.has("Please wait before asking for another OTP."),
        "{}",
        page.body
    );
    assert!(
        b.seen
            .iter()
            .all(|s| !s.url.contains(AADHAAR) && !s.body.contains(AADHAAR))
    );
    server.stop().await;
}
