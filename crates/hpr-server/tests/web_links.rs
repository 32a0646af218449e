#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Registration links: `POST /v1/registrations/links` needs a key; a link binds the first
//! browser that continues from it and is then used up; it expires; the registration made
//! through it belongs to the key's tenant. Links work without open access (a real registry).

mod common;

use std::time::Duration;

use abdm_hpr::flow::Clock as _;
use common::web::Browser;
use common::{OTP, TestServer, aadhaar};
use serde_json::json;

/// A link's path (`/register/l/TOKEN`) from the API's answer.
fn path_of(server: &TestServer, body: &serde_json::Value) -> String {
    let url = body["url"].as_str().unwrap();
    let path = url
        .strip_prefix(&server.base)
        .expect("the service's own address");
    assert!(path.starts_with("/register/l/"), "{url}");
    path.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_binds_one_browser_and_its_registration_belongs_to_the_tenant() {
    // no open access: a link is the only way in
    let server = TestServer::web(false).await;
    let (status, body) = server
        .post("no-key", "/v1/registrations/links", &json!({}))
        .await;
    assert_eq!(status, 401, "{body}");
    let key = server.key("emr", "clinic").await;
    let (status, body) = server
        .post(
            &key,
            "/v1/registrations/links",
            &json!({"expires_in_mins": 60}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let expires = time::OffsetDateTime::parse(
        body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let in_an_hour = time::OffsetDateTime::from(server.clock.now()) + time::Duration::hours(1);
    assert!((expires - in_an_hour).abs() < time::Duration::seconds(2));
    let link = path_of(&server, &body);

    // a preview bot's GET does not use the link up
    let mut bot = Browser::new(&server);
    assert_eq!(bot.get(&link).await.step(), "start");
    let mut b = Browser::new(&server);
    let page = b.get(&link).await;
    assert_eq!(page.step(), "start");
    assert!(page.tag("continue").is_some());
    assert!(page.tag("sandbox-banner").is_none());
    let page = b.submit(&page, &[]).await;
    assert_eq!(page.step(), "aadhaar", "{}", page.body);
    let number = aadhaar(7);
    let page = b.submit(&page, &[("aadhaar", &number)]).await;
    assert_eq!(page.step(), "otp");
    assert!(
        page.tag("sandbox-otp").is_none(),
        "no fake SMS off the sandbox"
    );
    let page = b.submit(&page, &[("otp", OTP)]).await;
    assert_eq!(page.step(), "mobile");

    // used up: the bot (or anyone else) now sees `expired`, also when it continues
    let again = bot.get(&link).await;
    assert_eq!(again.step(), "expired");
    assert_eq!(again.status, 410);
    let mut late = Browser::new(&server);
    assert_eq!(late.get(&link).await.step(), "expired");
    // the bot's earlier start page cannot bind either
    let bot_page = {
        let mut fresh = Browser::new(&server);
        let (_, body) = server
            .post(&key, "/v1/registrations/links", &json!({}))
            .await;
        let other = path_of(&server, &body);
        let page = fresh.get(&other).await;
        (fresh, page, other)
    };
    let (mut fresh, page, _) = bot_page;
    let bound = fresh.submit(&page, &[]).await;
    assert_eq!(bound.step(), "aadhaar");
    let used = fresh.submit(&page, &[]).await;
    assert_eq!(
        used.step(),
        "aadhaar",
        "a second continue keeps the same browser bound"
    );

    // the registration is the tenant's, and only the tenant's
    let (status, list) = server.get(&key, "/v1/registrations").await;
    assert_eq!(status, 200);
    let registrations = list["registrations"].as_array().unwrap();
    assert_eq!(registrations.len(), 1, "{list}");
    assert_eq!(registrations[0]["stage"], "new_account");
    let id = registrations[0]["id"].as_str().unwrap();
    let (status, _) = server.get(&key, &format!("/v1/registrations/{id}")).await;
    assert_eq!(status, 200);
    let other = server.key("other", "elsewhere").await;
    let (_, list) = server.get(&other, "/v1/registrations").await;
    assert_eq!(list["registrations"].as_array().unwrap().len(), 0);
    let web = server.key("web", "web").await;
    let (_, list) = server.get(&web, "/v1/registrations").await;
    assert_eq!(list["registrations"].as_array().unwrap().len(), 0);
    // the link's token is not in the page after it was used
    assert!(
        !b.get("/register")
            .await
            .has(link.trim_start_matches("/register/l/"))
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_link_shows_expired() {
    let server = TestServer::web(false).await;
    let key = server.key("emr", "clinic").await;
    let (_, body) = server
        .post(
            &key,
            "/v1/registrations/links",
            &json!({"expires_in_mins": 1}),
        )
        .await;
    let link = path_of(&server, &body);
    let mut b = Browser::new(&server);
    let page = b.get(&link).await;
    assert_eq!(page.step(), "start");
    server.clock.advance(Duration::from_secs(61));
    // continuing from the page opened before the expiry fails too
    let late = b.submit(&page, &[]).await;
    assert_eq!(late.step(), "expired");
    let mut other = Browser::new(&server);
    let page = other.get(&link).await;
    assert_eq!(page.step(), "expired");
    assert_eq!(page.status, 410);
    // an unknown token is just as expired
    assert_eq!(other.get("/register/l/nonsense").await.step(), "expired");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_lives_from_one_minute_to_a_week() {
    let server = TestServer::web(false).await;
    let key = server.key("emr", "clinic").await;
    for (body, status) in [
        (json!({"expires_in_mins": 0}), 422),
        (json!({"expires_in_mins": 10_081}), 422),
        (json!({"expires": 5}), 422),
        (json!({"expires_in_mins": 10_080}), 201),
    ] {
        let (got, answer) = server.post(&key, "/v1/registrations/links", &body).await;
        assert_eq!(got, status, "{body}: {answer}");
    }
    // an empty body is the default: a day
    let response = server
        .request(reqwest::Method::POST, &key, "/v1/registrations/links")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    server.stop().await;
}
