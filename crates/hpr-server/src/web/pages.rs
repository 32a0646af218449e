//! The pages, rendered from the engine's field descriptors (maud escapes every value).

use abdm_hpr::flow::{FieldDescriptor, FieldKind};
use abdm_hpr::types::{Password, PasswordCriterion};
use maud::{DOCTYPE, Markup, html};

use super::i18n::{Lang, t, t_n, text_or};

/// The pages, named as in `<body data-step="…">`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Start,
    Aadhaar,
    Otp,
    Mobile,
    MobileOtp,
    HprId,
    Email,
    Category,
    Review,
    Password,
    Done,
    Existing,
    Expired,
}

impl Page {
    /// The `data-step` value and the form's path segment.
    pub fn as_str(self) -> &'static str {
        match self {
            Page::Start => "start",
            Page::Aadhaar => "aadhaar",
            Page::Otp => "otp",
            Page::Mobile => "mobile",
            Page::MobileOtp => "mobile-otp",
            Page::HprId => "hpr-id",
            Page::Email => "email",
            Page::Category => "category",
            Page::Review => "review",
            Page::Password => "password",
            Page::Done => "done",
            Page::Existing => "existing",
            Page::Expired => "expired",
        }
    }

    /// The page a form posts to, by its path segment.
    pub fn from_segment(segment: &str) -> Option<Self> {
        [
            Page::Aadhaar,
            Page::Otp,
            Page::Mobile,
            Page::MobileOtp,
            Page::HprId,
            Page::Email,
            Page::Category,
            Page::Review,
            Page::Password,
        ]
        .into_iter()
        .find(|p| p.as_str() == segment)
    }
}

/// One problem to show: on a field (by wire name) or on the page.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The wire name of the field it belongs to, if any.
    pub field: Option<String>,
    /// Already in the page's language.
    pub text: String,
}

/// The problems of a submitted form.
#[derive(Debug, Clone, Default)]
pub struct Problems {
    /// In the order to show them.
    pub items: Vec<Problem>,
    /// After a wrong OTP: how many tries remain.
    pub attempts_left: Option<u32>,
}

impl Problems {
    /// A problem on the page.
    pub fn page(text: impl Into<String>) -> Self {
        Self {
            items: vec![Problem {
                field: None,
                text: text.into(),
            }],
            attempts_left: None,
        }
    }

    /// A problem on `field`.
    pub fn field(field: &str, text: impl Into<String>) -> Self {
        Self {
            items: vec![Problem {
                field: Some(field.to_owned()),
                text: text.into(),
            }],
            attempts_left: None,
        }
    }

    fn on(&self, field: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|p| p.field.as_deref() == Some(field))
            .map(|p| p.text.as_str())
    }
}

/// What every page needs.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The language.
    pub lang: Lang,
    /// The session's CSRF token (empty: no forms).
    pub csrf: String,
    /// The registry is the embedded sandbox (the banner).
    pub sandbox: bool,
}

/// A category or sub-category choice: value and label (already translated).
#[derive(Debug, Clone)]
pub struct Option_ {
    pub value: String,
    pub label: String,
    pub parent: Option<String>,
}

/// What a page shows besides its fields (one per request: its size does not matter).
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum View {
    /// The start button (posting to `action`).
    Start { action: String },
    /// The Aadhaar number.
    Aadhaar { field: FieldDescriptor },
    /// An OTP (Aadhaar's or the mobile's).
    Otp {
        mobile: bool,
        field: FieldDescriptor,
        sandbox_otp: Option<String>,
        resend_in: u64,
        resent: bool,
    },
    /// One or two plain fields with their current values (mobile, hpr-id, email).
    Fields {
        page: Page,
        fields: Vec<(FieldDescriptor, Option<String>)>,
    },
    /// Category and sub-category.
    Category {
        category: FieldDescriptor,
        sub: FieldDescriptor,
        categories: Vec<Option_>,
        subs: Vec<(Option_, Vec<Option_>)>,
        chosen: (Option<String>, Option<String>),
    },
    /// The answers, with edit links.
    Review {
        hpr_id: String,
        email: String,
        category: String,
    },
    /// Password and confirmation.
    Password { field: FieldDescriptor },
    /// The result card.
    Done {
        number: String,
        id: String,
        name: String,
    },
    /// The "already registered" card.
    Existing { number: String, id: String },
    /// Link or session expired (or no open access).
    Expired { no_open_access: bool },
    /// A form without a valid CSRF token (403).
    Forbidden,
}

impl View {
    /// The page's `data-step`.
    pub fn page(&self) -> Page {
        match self {
            View::Start { .. } => Page::Start,
            View::Aadhaar { .. } => Page::Aadhaar,
            View::Otp { mobile: false, .. } => Page::Otp,
            View::Otp { mobile: true, .. } => Page::MobileOtp,
            View::Fields { page, .. } => *page,
            View::Category { .. } => Page::Category,
            View::Review { .. } => Page::Review,
            View::Password { .. } => Page::Password,
            View::Done { .. } => Page::Done,
            View::Existing { .. } => Page::Existing,
            View::Expired { .. } | View::Forbidden => Page::Expired,
        }
    }
}

/// The label of a field in the page's language (the engine's English as the fallback).
pub fn label(lang: Lang, d: &FieldDescriptor, key: Option<&str>) -> String {
    let key = key.map_or_else(|| format!("field.{}", d.name), str::to_owned);
    text_or(lang, &key, &d.label).to_owned()
}

fn help(lang: Lang, d: &FieldDescriptor) -> String {
    text_or(lang, &format!("help.{}", d.name), &d.help).to_owned()
}

/// The whole page.
pub fn render(ctx: &Ctx, view: &View, problems: &Problems) -> String {
    let lang = ctx.lang;
    let page = view.page();
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (heading(lang, view)) " — " (t(lang, "app.title")) }
                link rel="stylesheet" href="/register/assets/app.css";
                script src="/register/assets/app.js" defer {}
            }
            body data-step=(page.as_str()) {
                a.skip href="#main" { (t(lang, "app.skip")) }
                header.top {
                    p.brand { (t(lang, "app.title")) }
                    a #lang-switch href={ "/register?lang=" (lang.other().code()) }
                        lang=(lang.other().code()) hreflang=(lang.other().code()) {
                        (t(lang, "lang.other"))
                    }
                }
                main #main {
                    // inside a landmark, so assistive technology finds it with the page's content
                    @if ctx.sandbox {
                        div #sandbox-banner role="note" { (t(lang, "sandbox.banner")) }
                    }
                    h1 { (heading(lang, view)) }
                    @if !problems.items.is_empty() {
                        (summary(lang, problems, view))
                    }
                    (body(ctx, view, problems))
                }
            }
        }
    };
    markup.into_string()
}

fn heading(lang: Lang, view: &View) -> &'static str {
    match view {
        View::Start { .. } => t(lang, "start.heading"),
        View::Forbidden => t(lang, "forbidden.heading"),
        other => t(lang, &format!("{}.heading", other.page().as_str())),
    }
}

/// Fields a page shows (for the summary's links: a problem on another field has no link).
fn page_fields(view: &View) -> Vec<String> {
    match view {
        View::Aadhaar { field } | View::Password { field } => {
            let mut names = vec![field.name.clone()];
            if matches!(view, View::Password { .. }) {
                names.push("passwordConfirmation".to_owned());
            }
            names
        }
        View::Otp { field, .. } => vec![field.name.clone()],
        View::Fields { fields, .. } => fields.iter().map(|(d, _)| d.name.clone()).collect(),
        View::Category { category, sub, .. } => vec![category.name.clone(), sub.name.clone()],
        _ => Vec::new(),
    }
}

fn summary(lang: Lang, problems: &Problems, view: &View) -> Markup {
    let fields = page_fields(view);
    html! {
        div #error-summary .error-summary role="alert" tabindex="-1" aria-labelledby="error-summary-title" {
            h2 #error-summary-title { (t(lang, "errors.title")) }
            ul {
                @for p in &problems.items {
                    li {
                        @match &p.field {
                            Some(f) if fields.contains(f) => a href={ "#" (f) } { (p.text) },
                            _ => (p.text),
                        }
                    }
                }
            }
            @if let Some(n) = problems.attempts_left {
                p #attempts-left { (t_n(lang, "attempts.left", n)) }
            }
        }
    }
}

fn hidden_csrf(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(ctx.csrf); }
}

fn continue_button(lang: Lang, key: &str) -> Markup {
    html! { button #continue .primary type="submit" { (t(lang, key)) } }
}

/// One input from its descriptor: type, inputmode and autocomplete from the kind, lengths from
/// the rules where the value is not normalised (an Aadhaar or mobile may hold spaces).
fn input(
    ctx: &Ctx,
    d: &FieldDescriptor,
    label_key: Option<&str>,
    value: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let lang = ctx.lang;
    let name = d.name.as_str();
    let (kind, inputmode, autocomplete) = match d.kind {
        FieldKind::Aadhaar => ("text", Some("numeric"), "off"),
        FieldKind::Otp => ("text", Some("numeric"), "one-time-code"),
        FieldKind::Mobile => ("tel", Some("tel"), "tel-national"),
        FieldKind::Email => ("email", Some("email"), "email"),
        FieldKind::HprId => ("text", None, "username"),
        FieldKind::Password => ("password", None, "new-password"),
        _ => ("text", None, "off"),
    };
    let exact = matches!(
        d.kind,
        FieldKind::Otp | FieldKind::Password | FieldKind::Email
    );
    let min = d.rules.min_len.filter(|_| exact);
    let max = d.rules.max_len.filter(|_| exact);
    // secrets and the Aadhaar number are never written back into a page
    let value = value.filter(|_| !d.secret && d.kind != FieldKind::Aadhaar);
    html! {
        div.field .has-error[error.is_some()] {
            label for=(name) { (label(lang, d, label_key)) }
            p.help id={ (name) "-help" } { (help(lang, d)) }
            p.field-error id={ (name) "-error" } aria-live="polite" { @if let Some(e) = error { (e) } }
            input id=(name) name=(name) type=(kind) inputmode=[inputmode] autocomplete=(autocomplete)
                minlength=[min] maxlength=[max] value=[value]
                spellcheck="false" autocapitalize="none"
                required[d.required] aria-required=[d.required.then_some("true")]
                aria-invalid=[error.map(|_| "true")]
                aria-describedby={ (name) "-help " (name) "-error" };
        }
    }
}

fn body(ctx: &Ctx, view: &View, problems: &Problems) -> Markup {
    let lang = ctx.lang;
    match view {
        View::Start { action } => html! {
            p { (t(lang, "start.intro")) }
            form #step-form method="post" action=(action) {
                (hidden_csrf(ctx))
                (continue_button(lang, "start.button"))
            }
        },
        View::Aadhaar { field } => html! {
            p { (t(lang, "aadhaar.intro")) }
            form #step-form method="post" action="/register/aadhaar" novalidate {
                (hidden_csrf(ctx))
                (input(ctx, field, None, None, problems.on(&field.name)))
                (continue_button(lang, "step.continue"))
            }
        },
        View::Otp {
            mobile,
            field,
            sandbox_otp,
            resend_in,
            resent,
        } => {
            let page = if *mobile { "mobile-otp" } else { "otp" };
            let key = if *mobile {
                "field.otp.mobile"
            } else {
                "field.otp.aadhaar"
            };
            let wait = t_n(lang, "resend.wait", "\u{0}");
            let (before, after) = wait.split_once('\u{0}').unwrap_or((&wait, ""));
            html! {
                p { (t(lang, &format!("{page}.intro"))) }
                @if *resent { p.notice role="status" { (t(lang, "resend.sent")) } }
                @if let Some(otp) = sandbox_otp {
                    p.sandbox-otp { (t(lang, "sandbox.otp")) " " strong #sandbox-otp { (otp) } }
                }
                form #step-form method="post" action={ "/register/" (page) } novalidate {
                    (hidden_csrf(ctx))
                    (input(ctx, field, Some(key), None, problems.on(&field.name)))
                    (continue_button(lang, "step.continue"))
                }
                form #resend .secondary method="post" action="/register/resend" novalidate {
                    (hidden_csrf(ctx))
                    @if !*mobile {
                        div.field {
                            label for="resend-aadhaar" { (t(lang, "resend.aadhaar")) }
                            input #resend-aadhaar name="aadhaar" type="text" inputmode="numeric"
                                autocomplete="off" spellcheck="false"
                                aria-describedby="resend-wait";
                        }
                    }
                    // no aria-live: a countdown read out every second helps nobody
                    p #resend-wait class=[(*resend_in == 0).then_some("done")] {
                        (before) span #resend-countdown data-seconds=(resend_in) { (resend_in) } (after)
                    }
                    button type="submit" disabled[*resend_in > 0] { (t(lang, "resend.button")) }
                }
            }
        }
        View::Fields { page, fields } => html! {
            @if *page == Page::Mobile { p { (t(lang, "mobile.intro")) } }
            @if *page == Page::HprId { p { (t(lang, "hpr-id.intro")) } }
            form #step-form method="post" action={ "/register/" (page.as_str()) } novalidate {
                (hidden_csrf(ctx))
                @for (d, value) in fields {
                    (input(ctx, d, None, value.as_deref(), problems.on(&d.name)))
                }
                (continue_button(lang, "step.continue"))
                @for (d, _) in fields.iter().filter(|(d, _)| d.kind == FieldKind::HprId && !d.choices.is_empty()) {
                    h2 #suggestions-title { (t(lang, "hpr-id.suggestions")) }
                    ul.suggestions aria-labelledby="suggestions-title" {
                        @for c in &d.choices {
                            li { button.suggestion type="submit" name=(d.name) value=(c.value) { (c.value) "@hpr.abdm" } }
                        }
                    }
                }
            }
            @if *page == Page::HprId {
                p #hprId-ok .check-ok hidden data-text=(t(lang, "hpr-id.ok")) {}
            }
        },
        View::Category {
            category,
            sub,
            categories,
            subs,
            chosen,
        } => html! {
            form #step-form method="post" action="/register/category" novalidate {
                (hidden_csrf(ctx))
                (select(ctx, category, problems, html! {
                    option value="" { (t(lang, "category.choose")) }
                    @for c in categories {
                        option value=(c.value) selected[chosen.0.as_deref() == Some(c.value.as_str())] { (c.label) }
                    }
                }))
                (select(ctx, sub, problems, html! {
                    option value="" { (t(lang, "category.choose")) }
                    @for (group, options) in subs {
                        optgroup label=(group.label) data-parent=(group.value) {
                            @for o in options {
                                option value=(o.value) data-parent=[o.parent.as_deref()]
                                    selected[chosen.1.as_deref() == Some(o.value.as_str())] { (o.label) }
                            }
                        }
                    }
                }))
                (continue_button(lang, "step.continue"))
            }
        },
        View::Review {
            hpr_id,
            email,
            category,
        } => html! {
            dl #review {
                div.row { dt { (t(lang, "review.hprId")) } dd { (hpr_id) }
                    dd { a.edit href="/register?page=hpr-id" { (t(lang, "review.edit")) span.visually-hidden { " " (t(lang, "review.hprId")) } } } }
                div.row { dt { (t(lang, "review.email")) } dd { (email) }
                    dd { a.edit href="/register?page=email" { (t(lang, "review.edit")) span.visually-hidden { " " (t(lang, "review.email")) } } } }
                div.row { dt { (t(lang, "review.category")) } dd { (category) }
                    dd { a.edit href="/register?page=category" { (t(lang, "review.edit")) span.visually-hidden { " " (t(lang, "review.category")) } } } }
            }
            form #step-form method="post" action="/register/review" {
                (hidden_csrf(ctx))
                (continue_button(lang, "step.continue"))
            }
        },
        View::Password { field } => {
            let confirm = FieldDescriptor {
                name: "passwordConfirmation".to_owned(),
                label: t(lang, "field.passwordConfirmation").to_owned(),
                help: t(lang, "help.passwordConfirmation").to_owned(),
                ..field.clone()
            };
            html! {
                p { (t(lang, "password.intro")) }
                form #step-form method="post" action="/register/password" novalidate {
                    (hidden_csrf(ctx))
                    (input(ctx, field, None, None, problems.on(&field.name)))
                    p #password-checklist-title { (t(lang, "password.needs")) }
                    ul #password-checklist aria-labelledby="password-checklist-title" aria-live="polite" {
                        @for (criterion, met) in Password::checklist("") {
                            li data-criterion=(criterion.as_str()) data-met=(met) { (criterion_text(lang, criterion)) }
                        }
                    }
                    (input(ctx, &confirm, Some("field.passwordConfirmation"), None, problems.on("passwordConfirmation")))
                    (continue_button(lang, "password.submit"))
                }
            }
        }
        View::Done { number, id, name } => html! {
            section #result-card .card {
                dl {
                    div.row { dt { (t(lang, "done.number")) } dd #hpr-id-number { (number) } }
                    div.row { dt { (t(lang, "done.id")) } dd #hpr-id { (id) } }
                    div.row { dt { (t(lang, "done.name")) } dd #name { (name) } }
                }
                button #print type="button" hidden { (t(lang, "done.print")) }
            }
        },
        View::Existing { number, id } => html! {
            section #existing-card .card {
                p { (t(lang, "existing.intro")) }
                dl {
                    div.row { dt { (t(lang, "done.number")) } dd #hpr-id-number { (number) } }
                    div.row { dt { (t(lang, "done.id")) } dd #hpr-id { (id) } }
                }
            }
        },
        View::Expired { no_open_access } => html! {
            @if *no_open_access {
                p #open-access-off { (t(lang, "expired.no-open-access")) }
            } @else {
                p { (t(lang, "expired.intro")) }
            }
        },
        View::Forbidden => html! {
            p { (t(lang, "forbidden.intro")) }
            p { a href="/register" { (t(lang, "forbidden.back")) } }
        },
    }
}

fn select(ctx: &Ctx, d: &FieldDescriptor, problems: &Problems, options: Markup) -> Markup {
    let lang = ctx.lang;
    let name = d.name.as_str();
    let error = problems.on(name);
    html! {
        div.field .has-error[error.is_some()] {
            label for=(name) { (label(lang, d, None)) }
            p.help id={ (name) "-help" } { (help(lang, d)) }
            p.field-error id={ (name) "-error" } aria-live="polite" { @if let Some(e) = error { (e) } }
            select id=(name) name=(name) required[d.required]
                data-parent-field=[d.parent_field.as_deref()]
                aria-invalid=[error.map(|_| "true")]
                aria-describedby={ (name) "-help " (name) "-error" } {
                (options)
            }
        }
    }
}

/// A password criterion in the page's language (the engine's English as the fallback).
pub fn criterion_text(lang: Lang, criterion: PasswordCriterion) -> &'static str {
    super::i18n::lookup(lang, &format!("pw.{}", criterion.as_str()))
        .unwrap_or_else(|| criterion.describe())
}
