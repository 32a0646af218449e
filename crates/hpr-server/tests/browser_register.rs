//! The registration web page (`GET /register`) in a real browser, against the page contract
//! (`src/web/CONTRACT.md`): headless Chromium through chromedriver (`tests/browser/mod.rs`), the
//! service in-process with the embedded sandbox and open access.
//!
//! Every step of every scenario is screenshotted as
//! `<target>/screenshots/register-<scenario>-<step>-<width>.png` and checked with axe-core
//! (WCAG 2.0/2.1 A and AA, best practices); each test prints the files it wrote and the axe
//! tally, and fails on any `serious` or `critical` violation.
//!
//! Scenarios: the verified (Aadhaar-linked mobile) branch at 1280 px; the mobile-OTP branch at
//! 360 px; a wrong OTP; an invalid Aadhaar number; the Hindi page; JavaScript disabled; the
//! Aadhaar page by keyboard alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod common;

use std::time::Duration;

use browser::{Browser, Opts, has_devanagari};
use common::{AADHAAR, OTP, PASSWORD, TestServer};
use fantoccini::key::Key;

/// The e-mail typed on the email page.
const EMAIL: &str = "asha@example.com";
/// An Aadhaar number that fails the checksum (the last digit of [`AADHAAR`] changed).
const BAD_AADHAAR: &str = "234123412345";

/// The service with the web page's open access on the embedded sandbox.
///
/// The page (branch `web`) adds open access for the embedded sandbox; once merged, enable it
/// here if `TestServer::start` does not already.
async fn page_server() -> TestServer {
    TestServer::web(true).await
}

/// Which way the mobile is proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Branch {
    /// The Aadhaar-linked mobile: demographic auth, no mobile OTP.
    Verified,
    /// Another mobile, proven by an OTP (`mobile-otp` page).
    MobileOtp,
}

/// One scenario's browser on one service.
struct Run<'a> {
    b: Browser,
    server: &'a TestServer,
    /// `register-<scenario>`: the screenshots' prefix.
    prefix: String,
    /// Steps seen, in order.
    steps: Vec<String>,
    /// Whether every page must be `html[lang=hi]`.
    hindi: bool,
}

impl<'a> Run<'a> {
    async fn new(server: &'a TestServer, opts: Opts, scenario: &str) -> Option<Self> {
        let b = Browser::start(opts).await?;
        Some(Self {
            b,
            server,
            prefix: format!("register-{scenario}"),
            steps: Vec::new(),
            hindi: false,
        })
    }

    /// Waits for `step`, screenshots it and runs axe on it; in Hindi, checks the language.
    async fn at(&mut self, step: &str) {
        self.b.check_step(&self.prefix, step).await;
        self.steps.push(step.to_owned());
        assert!(
            self.b.exists("#sandbox-banner").await,
            "[{step}] no #sandbox-banner on the open-access page"
        );
        assert!(
            self.b.exists("a#lang-switch").await,
            "[{step}] no a#lang-switch"
        );
        let lang = self.b.attr("html", "lang").await;
        let want = if self.hindi { "hi" } else { "en" };
        assert_eq!(lang.as_deref(), Some(want), "[{step}] html[lang]");
        if self.hindi {
            let h1 = self.b.text("h1").await.unwrap_or_default();
            assert!(
                has_devanagari(&h1),
                "[{step}] the heading is not in Hindi: {h1:?}"
            );
        }
    }

    /// Opens `/register` (with `query`) and passes the `start` page.
    async fn open(&mut self, query: &str) {
        let url = format!("{}/register{query}", self.server.base);
        self.b.goto(&url).await;
        self.at("start").await;
        self.b.submit().await;
    }

    /// On the `aadhaar` page: types `aadhaar` and continues.
    async fn aadhaar(&mut self, aadhaar: &str) {
        self.at("aadhaar").await;
        self.b.fill("aadhaar", aadhaar).await;
        self.b.submit().await;
    }

    /// The fake SMS OTP the sandbox banner shows on an OTP page.
    async fn sandbox_otp(&self) -> String {
        let text = self
            .b
            .text("#sandbox-otp")
            .await
            .expect("#sandbox-otp on an OTP page");
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        assert_eq!(digits.len(), 6, "#sandbox-otp: {text:?}");
        assert_eq!(digits, OTP, "the embedded sandbox's fixed OTP");
        digits
    }

    /// On an OTP page (`otp` or `mobile-otp`): types the sandbox's OTP and continues.
    async fn otp(&mut self, step: &str) {
        self.at(step).await;
        assert!(
            self.b.exists("form#resend").await,
            "[{step}] no form#resend"
        );
        let otp = self.sandbox_otp().await;
        self.b.fill("otp", &otp).await;
        self.b.submit().await;
    }

    /// On the `mobile` page: types `mobile` and continues.
    async fn mobile(&mut self, mobile: &str) {
        self.at("mobile").await;
        self.b.fill("mobileNumber", mobile).await;
        self.b.submit().await;
    }

    /// On the `hpr-id` page: taps the first suggestion; the HPR ID chosen.
    async fn hpr_id(&mut self) -> String {
        self.at("hpr-id").await;
        assert!(self.b.exists("input#hprId[name=hprId]").await);
        let chosen = self
            .b
            .attr("#step-form button.suggestion[name=hprId]", "value")
            .await
            .expect("a suggestion button");
        assert!(!chosen.is_empty());
        if self.b.opts.javascript {
            // a typed ID is checked as typed, by the engine: a malformed one is flagged at once
            self.b.fill("hprId", "a.").await;
            self.b.wait_for("#hprId[aria-invalid=true]").await;
            let message = self.b.text("#hprId-error").await.unwrap_or_default();
            assert!(!message.trim().is_empty(), "no inline message for `a.`");
            self.b.fill("hprId", "").await;
        }
        self.b
            .click("#step-form button.suggestion[name=hprId]")
            .await;
        chosen
    }

    /// On the `email` page: types [`EMAIL`] and continues.
    async fn email(&mut self) {
        self.at("email").await;
        self.b.fill("email", EMAIL).await;
        self.b.submit().await;
    }

    /// On the `category` page: category 1, sub-category 1 (the sub-categories may need a
    /// round trip without JavaScript).
    async fn category(&mut self) {
        self.at("category").await;
        self.b.select("hpCategoryCode", "1").await;
        let sub = "select#hpSubCategoryCode option[value='1']";
        if !self.b.exists(sub).await {
            if self.b.opts.javascript {
                self.b.wait_for(sub).await;
            } else {
                // without JavaScript the server lists the chosen category's sub-categories
                self.b.submit().await;
                self.b.wait_for(sub).await;
                self.b.select("hpCategoryCode", "1").await;
            }
        }
        self.b.select("hpSubCategoryCode", "1").await;
        self.b.submit().await;
    }

    /// On the `review` page: checks what it lists and continues.
    async fn review(&mut self, hpr_id: &str) {
        self.at("review").await;
        let review = self.b.text("#review").await.expect("#review");
        assert!(review.contains(hpr_id), "#review lacks {hpr_id}: {review}");
        assert!(review.contains(EMAIL), "#review lacks {EMAIL}: {review}");
        assert!(self.b.exists("a.edit").await, "no a.edit on the review");
        self.b.submit().await;
    }

    /// On the `password` page: types [`PASSWORD`] twice and continues (create runs).
    async fn password(&mut self) {
        self.at("password").await;
        assert!(self.b.exists("ul#password-checklist li[data-met]").await);
        assert!(self.b.exists("input#passwordConfirmation").await);
        self.b.fill("password", PASSWORD).await;
        self.b.fill("passwordConfirmation", PASSWORD).await;
        if self.b.opts.javascript {
            // the checklist follows the typing: every criterion turns met (some, such as "no
            // control character", are met from the start, so wait for the last unmet one to go)
            self.b
                .wait_for("ul#password-checklist:not(:has(li[data-met=false]))")
                .await;
            assert!(
                self.b
                    .exists("ul#password-checklist li[data-met=true]")
                    .await,
                "no policy criterion shown as met for {PASSWORD}"
            );
        }
        self.b.submit().await;
    }

    /// On the `done` page: the result card shows `hpr_id`.
    async fn done(&mut self, hpr_id: &str) {
        self.at("done").await;
        assert!(self.b.exists("#result-card").await);
        let number = self.b.text("#hpr-id-number").await.unwrap_or_default();
        assert!(
            number.chars().filter(char::is_ascii_digit).count() >= 10,
            "#hpr-id-number: {number:?}"
        );
        let id = self.b.text("#hpr-id").await.unwrap_or_default();
        assert!(id.contains(hpr_id), "#hpr-id {id:?} is not {hpr_id}");
        let name = self.b.text("#name").await.unwrap_or_default();
        assert!(!name.trim().is_empty(), "#name is empty");
    }

    /// From the `otp` page's successful submission to `done`.
    async fn after_aadhaar_otp(&mut self, branch: Branch) -> String {
        let mobile = match branch {
            Branch::Verified => self.server.linked_mobile(AADHAAR),
            Branch::MobileOtp => self.server.other_mobile(AADHAAR),
        };
        self.mobile(&mobile).await;
        if branch == Branch::MobileOtp {
            self.otp("mobile-otp").await;
        }
        let hpr_id = self.hpr_id().await;
        self.email().await;
        self.category().await;
        self.review(&hpr_id).await;
        self.password().await;
        self.done(&hpr_id).await;
        hpr_id
    }

    /// A whole registration of [`AADHAAR`] from `/register{query}` to `done`.
    async fn register(&mut self, query: &str, branch: Branch) -> String {
        self.open(query).await;
        self.aadhaar(AADHAAR).await;
        self.otp("otp").await;
        self.after_aadhaar_otp(branch).await
    }

    /// Prints the screenshots and the axe tally; fails on serious or critical violations.
    fn finish(self, test: &str) {
        println!("== {test}: steps {}", self.steps.join(" → "));
        self.b.report(test);
        self.b.tally().assert_no_serious();
    }
}

/// (a) The verified branch at 1280 px with JavaScript: `start` to `done`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_branch_desktop() {
    let server = page_server().await;
    let Some(mut run) = Run::new(&server, Opts::desktop(), "verified").await else {
        return;
    };
    run.register("", Branch::Verified).await;
    assert!(!run.steps.contains(&"mobile-otp".to_owned()));
    run.finish("verified branch, 1280 px");
}

/// (b) The mobile-OTP branch at 360 px.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mobile_otp_branch_mobile() {
    let server = page_server().await;
    let Some(mut run) = Run::new(&server, Opts::mobile(), "mobile-otp").await else {
        return;
    };
    run.register("", Branch::MobileOtp).await;
    assert!(run.steps.contains(&"mobile-otp".to_owned()));
    run.finish("mobile-OTP branch, 360 px");
}

/// (c) A wrong OTP: the error summary, focused, and the attempts left; then the right OTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_otp_then_right_one() {
    let server = page_server().await;
    let Some(mut run) = Run::new(&server, Opts::desktop(), "wrong-otp").await else {
        return;
    };
    run.open("").await;
    run.aadhaar(AADHAAR).await;
    run.at("otp").await;
    let wrong = if OTP == "000000" { "111111" } else { "000000" };
    run.b.fill("otp", wrong).await;
    run.b.submit().await;
    run.b.wait_for("#error-summary").await;
    run.b.wait_for_step("otp").await;
    assert_eq!(
        run.b.attr("#error-summary", "role").await.as_deref(),
        Some("alert")
    );
    assert_eq!(
        run.b.focused_id().await,
        "error-summary",
        "the error summary has the focus"
    );
    let left = run
        .b
        .text("#attempts-left")
        .await
        .expect("#attempts-left after a wrong OTP");
    assert!(
        left.chars().any(|c| c.is_ascii_digit()),
        "#attempts-left: {left:?}"
    );
    run.b.screenshot("register-wrong-otp-otp-error").await;
    run.b.axe("otp-error").await;
    // the right one continues
    let otp = run.sandbox_otp().await;
    run.b.fill("otp", &otp).await;
    run.b.submit().await;
    run.at("mobile").await;
    run.finish("wrong OTP");
}

/// (d) An invalid Aadhaar number: the summary links to the field, the focus is on the summary
/// or the field, the field is `aria-invalid` and described by its error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_aadhaar_inline_error() {
    let server = page_server().await;
    let Some(mut run) = Run::new(&server, Opts::desktop(), "invalid-aadhaar").await else {
        return;
    };
    run.open("").await;
    run.aadhaar(BAD_AADHAAR).await;
    run.b.wait_for("#error-summary").await;
    run.b.wait_for_step("aadhaar").await;
    assert!(
        run.b.exists("#error-summary a[href='#aadhaar']").await,
        "the summary links to #aadhaar"
    );
    let focused = run.b.focused_id().await;
    assert!(
        focused == "error-summary" || focused == "aadhaar",
        "the focus is on {focused:?}, not the summary or the field"
    );
    assert_eq!(
        run.b.attr("#aadhaar", "aria-invalid").await.as_deref(),
        Some("true")
    );
    let described = run
        .b
        .attr("#aadhaar", "aria-describedby")
        .await
        .unwrap_or_default();
    assert!(
        described.split_whitespace().any(|id| id == "aadhaar-error"),
        "#aadhaar[aria-describedby={described:?}]"
    );
    let message = run.b.text("#aadhaar-error").await.unwrap_or_default();
    assert!(!message.trim().is_empty(), "#aadhaar-error is empty");
    run.b
        .screenshot("register-invalid-aadhaar-aadhaar-error")
        .await;
    run.b.axe("aadhaar-error").await;
    // the summary's link takes the focus to the field
    run.b.click("#error-summary a[href='#aadhaar']").await;
    assert_eq!(run.b.focused_id().await, "aadhaar");
    // a valid number continues
    run.b.fill("aadhaar", AADHAAR).await;
    run.b.submit().await;
    run.at("otp").await;
    run.finish("invalid Aadhaar");
}

/// (e) The Hindi page: `html[lang=hi]`, headings and labels in Devanagari on every step, and
/// a whole registration in Hindi.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hindi_registration() {
    let server = page_server().await;
    let Some(mut run) = Run::new(&server, Opts::desktop(), "hindi").await else {
        return;
    };
    run.hindi = true;
    if !browser::devanagari_font_installed() {
        eprintln!(
            "warning: no Devanagari font (fc-list :lang=hi is empty): the Hindi screenshots \
             show boxes; install fonts-lohit-deva"
        );
    }
    run.open("?lang=hi").await;
    run.at("aadhaar").await;
    let label = run
        .b
        .text("label[for=aadhaar]")
        .await
        .expect("label[for=aadhaar]");
    assert!(
        has_devanagari(&label),
        "the label is not in Hindi: {label:?}"
    );
    let button = run.b.text("button#continue").await.unwrap_or_default();
    assert!(
        has_devanagari(&button),
        "the button is not in Hindi: {button:?}"
    );
    run.b.fill("aadhaar", AADHAAR).await;
    run.b.submit().await;
    // the language is remembered in the session: no ?lang on the next pages
    run.otp("otp").await;
    run.after_aadhaar_otp(Branch::Verified).await;
    run.finish("Hindi");
}

/// (f) JavaScript disabled (360 px, the mobile-OTP branch, so both OTP pages): a whole
/// registration still reaches `done`; the countdown and the checklist do not move.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript() {
    let server = page_server().await;
    let Some(mut run) = Run::new(&server, Opts::mobile().without_js(), "nojs").await else {
        return;
    };
    run.open("").await;
    run.aadhaar(AADHAAR).await;
    run.at("otp").await;
    if run.b.exists("#resend-countdown").await {
        let before = run.b.text("#resend-countdown").await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let after = run.b.text("#resend-countdown").await;
        assert_eq!(before, after, "the countdown moved without JavaScript");
    }
    let otp = run.sandbox_otp().await;
    run.b.fill("otp", &otp).await;
    run.b.submit().await;
    let mobile = server.other_mobile(AADHAAR);
    run.mobile(&mobile).await;
    run.otp("mobile-otp").await;
    let hpr_id = run.hpr_id().await;
    run.email().await;
    run.category().await;
    run.review(&hpr_id).await;
    // the checklist is static: typing does not change it
    run.at("password").await;
    let met = |b: &Browser| {
        let b = b.client().clone();
        async move {
            let items = b
                .find_all(fantoccini::Locator::Css("ul#password-checklist li"))
                .await
                .unwrap();
            let mut met = Vec::new();
            for item in items {
                met.push(item.attr("data-met").await.unwrap());
            }
            met
        }
    };
    let before = met(&run.b).await;
    run.b.fill("password", PASSWORD).await;
    run.b.fill("passwordConfirmation", PASSWORD).await;
    assert_eq!(
        before,
        met(&run.b).await,
        "the checklist moved without JavaScript"
    );
    run.b.submit().await;
    run.done(&hpr_id).await;
    run.finish("JavaScript disabled, 360 px");
}

/// (g) The Aadhaar page by keyboard alone: Tab to the field, type, Tab to Continue, Enter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aadhaar_page_by_keyboard() {
    let server = page_server().await;
    let Some(mut run) = Run::new(&server, Opts::desktop(), "keyboard").await else {
        return;
    };
    run.open("").await;
    run.at("aadhaar").await;
    let mut tabs = 0;
    while run.b.focused_id().await != "aadhaar" {
        run.b.press(Key::Tab).await;
        tabs += 1;
        assert!(tabs <= 30, "30 Tabs did not reach #aadhaar");
    }
    run.b.type_keys(AADHAAR).await;
    let mut more = 0;
    while run.b.focused_id().await != "continue" {
        run.b.press(Key::Tab).await;
        more += 1;
        assert!(
            more <= 30,
            "30 Tabs after #aadhaar did not reach button#continue"
        );
    }
    run.b.screenshot("register-keyboard-aadhaar-focus").await;
    run.b.press(Key::Enter).await;
    run.at("otp").await;
    println!("== keyboard: {tabs} Tab(s) to #aadhaar, {more} more to button#continue");
    run.finish("keyboard only");
}
