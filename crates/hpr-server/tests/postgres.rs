//! The database layer on a real Postgres, checked exactly as on SQLite: one function takes a
//! [`Database`] and runs every store semantic the service relies on (the registrations'
//! compare-and-swap and claims, listing, purging, idempotency records, API keys, tenant
//! isolation); it runs once on SQLite and once on a throwaway Postgres cluster (see `pg/`).
//! Then a whole registration runs through the service on Postgres.
//!
//! Without Postgres binaries the Postgres tests fail saying how to install them, unless
//! `HPR_SKIP_POSTGRES_TESTS=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod pg;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use abdm_hpr::Error;
use abdm_hpr::flow::{RegistrationSession, SessionStore, StoredSession};
use hpr_server::db::{Begin, RegistrationRow, WebSessionRow, millis};
use hpr_server::store::TenantStore;
use hpr_server::{Database, ServerConfig};
use serde_json::json;

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn record(id: &str, created: SystemTime) -> StoredSession {
    StoredSession {
        id: id.to_owned(),
        revision: 1,
        session: RegistrationSession::new(),
        created_at: created,
        expires_at: created + secs(3600),
    }
}

fn is_conflict<T: std::fmt::Debug>(result: abdm_hpr::Result<T>) -> bool {
    matches!(result, Err(Error::Conflict(_)))
}

/// Every store semantic, on `db` (fresh and empty).
async fn check_store(db: Database) {
    let a = TenantStore::new(db.clone(), "tenant-a");
    let b = TenantStore::new(db.clone(), "tenant-b");

    // ---- create / get / put (compare-and-swap) ------------------------------------------
    let first = record("reg-1", t0());
    a.create(&first).await.unwrap();
    assert!(is_conflict(a.create(&first).await), "a second create");
    let got = a.get("reg-1").await.unwrap().expect("stored");
    assert_eq!(got, first, "reads back exactly (times in ms)");
    assert_eq!(a.get("nope").await.unwrap(), None);
    assert_eq!(a.put(&got).await.unwrap(), 2);
    assert!(
        is_conflict(a.put(&got).await),
        "a put on revision 1 after 2"
    );
    let got = a.get("reg-1").await.unwrap().unwrap();
    assert_eq!(got.revision, 2);

    // ---- claims -----------------------------------------------------------------------------
    a.claim("reg-1", 2, t0(), t0() + secs(10)).await.unwrap();
    assert!(
        is_conflict(a.claim("reg-1", 2, t0() + secs(5), t0() + secs(15)).await),
        "a second claim while the first holds"
    );
    // the first holder died: once its claim ran out, another may claim
    a.claim("reg-1", 2, t0() + secs(11), t0() + secs(21))
        .await
        .unwrap();
    assert!(
        is_conflict(a.claim("reg-1", 1, t0() + secs(30), t0() + secs(40)).await),
        "a claim on an old revision"
    );
    a.release("reg-1").await.unwrap();
    a.claim("reg-1", 2, t0() + secs(12), t0() + secs(22))
        .await
        .unwrap();
    // a put ends the claim
    assert_eq!(a.put(&got).await.unwrap(), 3);
    a.claim("reg-1", 3, t0() + secs(13), t0() + secs(23))
        .await
        .unwrap();
    a.release("reg-1").await.unwrap();
    assert!(
        is_conflict(a.claim("gone", 1, t0(), t0() + secs(1)).await),
        "a claim on nothing"
    );

    // ---- tenant isolation -----------------------------------------------------------------
    assert_eq!(b.get("reg-1").await.unwrap(), None);
    let mut theirs = a.get("reg-1").await.unwrap().unwrap();
    assert!(is_conflict(b.put(&theirs).await));
    assert!(is_conflict(b.claim("reg-1", 3, t0(), t0() + secs(1)).await));
    b.release("reg-1").await.unwrap();
    assert!(!b.delete("reg-1").await.unwrap());
    assert!(
        b.list_expired(t0() + secs(99_999))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        db.list_registrations("tenant-b", "", None, 100, t0())
            .await
            .unwrap()
            .is_empty()
    );
    // the same id may not be created by another tenant either (ids are global)
    assert!(is_conflict(b.create(&first).await));
    // and tenant a's registration is untouched
    theirs.revision = 3;
    assert_eq!(a.get("reg-1").await.unwrap().unwrap(), theirs);

    // ---- delete / list_expired --------------------------------------------------------------
    assert_eq!(
        a.list_expired(t0() + secs(3600)).await.unwrap(),
        vec!["reg-1".to_owned()]
    );
    assert!(a.list_expired(t0() + secs(3599)).await.unwrap().is_empty());
    assert!(a.delete("reg-1").await.unwrap());
    assert!(!a.delete("reg-1").await.unwrap());
    assert_eq!(a.get("reg-1").await.unwrap(), None);

    // ---- list: newest first, cursor paging, stage filter ----------------------------------
    let stages = ["aadhaar_otp_sent", "account_checked", "aadhaar_otp_sent"];
    for (i, stage) in (0u64..5).zip(stages.iter().cycle()) {
        let row = RegistrationRow {
            id: format!("list-{i}"),
            revision: 1,
            stage: (*stage).to_owned(),
            session: "{}".to_owned(),
            created_at: millis(t0() + secs(i)),
            expires_at: millis(t0() + secs(100 + i)),
        };
        assert!(db.insert_registration("tenant-a", &row).await.unwrap());
    }
    // two with the same creation time: the id breaks the tie
    for id in ["same-a", "same-b"] {
        let row = RegistrationRow {
            id: id.to_owned(),
            revision: 1,
            stage: "start".to_owned(),
            session: "{}".to_owned(),
            created_at: millis(t0() + secs(2)),
            expires_at: millis(t0() + secs(200)),
        };
        assert!(db.insert_registration("tenant-a", &row).await.unwrap());
    }
    let ids = |rows: &[RegistrationRow]| rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    let all = db
        .list_registrations("tenant-a", "", None, 100, t0())
        .await
        .unwrap();
    assert_eq!(
        ids(&all),
        [
            "list-4", "list-3", "same-b", "same-a", "list-2", "list-1", "list-0"
        ]
    );
    let mut paged = Vec::new();
    let mut after: Option<(i64, String)> = None;
    loop {
        let page = db
            .list_registrations(
                "tenant-a",
                "",
                after.as_ref().map(|(t, id)| (*t, id.as_str())),
                2,
                t0(),
            )
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        let last = page.last().unwrap();
        after = Some((last.created_at, last.id.clone()));
        paged.extend(ids(&page));
    }
    assert_eq!(paged, ids(&all), "the pages together are the whole list");
    let checked = db
        .list_registrations("tenant-a", "account_checked", None, 100, t0())
        .await
        .unwrap();
    assert_eq!(ids(&checked), ["list-4", "list-1"]);
    // the expired ones are not listed
    let live = db
        .list_registrations("tenant-a", "", None, 100, t0() + secs(102))
        .await
        .unwrap();
    assert_eq!(
        ids(&live),
        ["list-4", "list-3", "same-b", "same-a"],
        "{live:?}"
    );

    // ---- idempotency records --------------------------------------------------------------
    let now = t0() + secs(1000);
    let begin = |tenant: &'static str, key: &'static str, hash: &'static str, now: SystemTime| {
        let db = db.clone();
        async move {
            db.begin_idempotent(tenant, key, hash, now, now - secs(120), now - secs(86_400))
                .await
                .unwrap()
        }
    };
    assert_eq!(begin("tenant-a", "k1", "h1", now).await, Begin::Started);
    assert_eq!(begin("tenant-a", "k1", "h1", now).await, Begin::InProgress);
    assert_eq!(begin("tenant-a", "k1", "h2", now).await, Begin::Mismatch);
    // another tenant's key of the same name is its own
    assert_eq!(begin("tenant-b", "k1", "h9", now).await, Begin::Started);
    db.finish_idempotent("tenant-a", "k1", 201, r#"{"ok":true}"#)
        .await
        .unwrap();
    assert_eq!(
        begin("tenant-a", "k1", "h1", now + secs(1)).await,
        Begin::Replay {
            status: 201,
            body: r#"{"ok":true}"#.to_owned()
        }
    );
    assert_eq!(
        begin("tenant-a", "k1", "h2", now + secs(1)).await,
        Begin::Mismatch
    );
    // a request that never finished (its process died) is taken over once stale
    assert_eq!(begin("tenant-a", "k2", "h1", now).await, Begin::Started);
    assert_eq!(
        begin("tenant-a", "k2", "h1", now + secs(60)).await,
        Begin::InProgress
    );
    assert_eq!(
        begin("tenant-a", "k2", "h1", now + secs(121)).await,
        Begin::Started
    );
    assert_eq!(
        begin("tenant-a", "k2", "h1", now + secs(122)).await,
        Begin::InProgress,
        "the takeover holds it again"
    );
    // forgotten: starts afresh
    db.forget_idempotent("tenant-a", "k2").await.unwrap();
    assert_eq!(
        begin("tenant-a", "k2", "h3", now + secs(123)).await,
        Begin::Started
    );
    // a finished record past its time counts as absent
    assert_eq!(
        begin("tenant-a", "k1", "h5", now + secs(86_401)).await,
        Begin::Started
    );

    // ---- purge ------------------------------------------------------------------------------
    // registrations expired by t0+103: list-0..list-3; idempotency records before now+200:
    // the tenant-b one
    let gone = db.purge(t0() + secs(103), now + secs(200)).await.unwrap();
    assert_eq!(gone, 4);
    let left = db
        .list_registrations("tenant-a", "", None, 100, t0())
        .await
        .unwrap();
    assert_eq!(ids(&left), ["list-4", "same-b", "same-a"]);
    assert_eq!(
        begin("tenant-b", "k1", "h0", now + secs(1)).await,
        Begin::Started,
        "the purged record is gone"
    );

    // ---- API keys ---------------------------------------------------------------------------
    assert!(
        db.insert_key("emr", "tenant-a", "hash-1", t0())
            .await
            .unwrap()
    );
    assert!(
        !db.insert_key("emr", "tenant-b", "hash-2", t0())
            .await
            .unwrap(),
        "a name is taken once"
    );
    assert!(
        db.insert_key("lab", "tenant-b", "hash-3", t0() + secs(1))
            .await
            .unwrap()
    );
    let keys = db.list_keys().await.unwrap();
    assert_eq!(
        keys.iter()
            .map(|k| (k.name.as_str(), k.tenant.as_str()))
            .collect::<Vec<_>>(),
        [("emr", "tenant-a"), ("lab", "tenant-b")]
    );
    assert_eq!(keys[0].created_at, t0());
    assert_eq!(keys[0].revoked_at, None);
    assert_eq!(
        db.key_by_hash("hash-1").await.unwrap(),
        Some(("emr".to_owned(), "tenant-a".to_owned()))
    );
    assert_eq!(db.key_by_hash("hash-2").await.unwrap(), None);
    assert!(db.revoke_key("emr", t0() + secs(5)).await.unwrap());
    assert!(!db.revoke_key("emr", t0() + secs(6)).await.unwrap());
    assert!(!db.revoke_key("nobody", t0()).await.unwrap());
    assert_eq!(db.key_by_hash("hash-1").await.unwrap(), None);
    assert_eq!(
        db.list_keys().await.unwrap()[0].revoked_at,
        Some(t0() + secs(5))
    );

    // ---- the web page: sessions and links ---------------------------------------------------
    let session = WebSessionRow {
        id: "cookie-hash".to_owned(),
        tenant: String::new(),
        registration_id: None,
        csrf_token: "csrf".to_owned(),
        lang: "en".to_owned(),
        draft: "{}".to_owned(),
        expires_at: millis(t0() + secs(60)),
    };
    db.insert_web_session(&session, t0()).await.unwrap();
    let mut got = db.web_session("cookie-hash", t0()).await.unwrap().unwrap();
    assert_eq!(
        (got.tenant.as_str(), got.registration_id.as_deref()),
        ("", None)
    );
    got.tenant = "tenant-a".to_owned();
    got.registration_id = Some("reg-9".to_owned());
    got.lang = "hi".to_owned();
    got.draft = r#"{"hprId":"asha.k"}"#.to_owned();
    assert!(db.update_web_session(&got).await.unwrap());
    let again = db.web_session("cookie-hash", t0()).await.unwrap().unwrap();
    assert_eq!(again.registration_id.as_deref(), Some("reg-9"));
    assert_eq!(
        (again.lang.as_str(), again.draft.as_str()),
        ("hi", got.draft.as_str())
    );
    assert!(
        db.web_session("cookie-hash", t0() + secs(60))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    db.insert_link("link-hash", "tenant-b", t0(), t0() + secs(60))
        .await
        .unwrap();
    assert!(db.link_usable("link-hash", t0()).await.unwrap());
    assert!(
        !db.link_usable("link-hash", t0() + secs(60)).await.unwrap(),
        "expired"
    );
    assert_eq!(
        db.use_link("link-hash", t0() + secs(1))
            .await
            .unwrap()
            .as_deref(),
        Some("tenant-b")
    );
    assert_eq!(
        db.use_link("link-hash", t0() + secs(2)).await.unwrap(),
        None,
        "used up"
    );
    assert!(!db.link_usable("link-hash", t0() + secs(2)).await.unwrap());
    assert_eq!(db.purge_web(t0() + secs(61)).await.unwrap(), 2);
    assert!(db.web_session("cookie-hash", t0()).await.unwrap().is_none());

    db.ping().await.unwrap();
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_semantics_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("hpr.db").display());
    let db = Database::connect(&url).await.unwrap();
    assert_eq!(db.kind(), "sqlite");
    check_store(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_semantics_on_postgres_are_the_same() {
    let Some(cluster) = pg::PgCluster::start() else {
        return;
    };
    let db = Database::connect(&cluster.create_database()).await.unwrap();
    assert_eq!(db.kind(), "postgres");
    check_store(db).await;
    // over the Unix socket as well; the migrations ran once
    let db = Database::connect(&cluster.socket_url_of("postgres"))
        .await
        .unwrap();
    db.ping().await.unwrap();
    let again = Database::connect(&cluster.socket_url_of("postgres"))
        .await
        .unwrap();
    again.ping().await.unwrap();
    db.close().await;
    again.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_registration_runs_on_postgres() {
    let Some(cluster) = pg::PgCluster::start() else {
        return;
    };
    let db = Database::connect(&cluster.create_database()).await.unwrap();
    let server = common::TestServer::with_database(
        db,
        ServerConfig::default(),
        tempfile::tempdir().unwrap(),
    )
    .await;
    let key = server.key("emr", "emr").await;
    let other = server.key("other", "other").await;
    let id = server.start_registration(&key).await;
    let linked = server.sandbox.identity(common::AADHAAR).unwrap().mobile;
    let mut hpr_id = String::new();
    let steps = [
        ("verify_aadhaar_otp", json!({"otp": common::OTP})),
        ("check_account_exist", json!({})),
        (
            "demographic_auth_via_mobile",
            json!({"mobileNumber": linked}),
        ),
        ("get_hpr_id_suggestion", json!({})),
    ];
    for (step, payload) in steps {
        let (status, out) = server.step(&key, &id, step, &payload).await;
        assert_eq!(status, 200, "{step}: {out}");
        if step == "get_hpr_id_suggestion" {
            hpr_id = out["outcome"]["data"][0].as_str().unwrap().to_owned();
        }
    }
    let (status, out) = server
        .step(
            &key,
            &id,
            "create_hpr_id_with_preverified",
            &json!({
                "hprId": hpr_id,
                "password": "Ayushman@143",
                "email": "asha@example.com",
                "hpCategoryCode": "1",
                "hpSubCategoryCode": "1",
            }),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        out["outcome"]["next_step"],
        serde_json::Value::Null,
        "{out}"
    );
    assert_eq!(
        out["outcome"]["data"]["hprId"],
        format!("{hpr_id}@hpr.abdm")
    );

    let (status, view) = server.get(&key, &format!("/v1/registrations/{id}")).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(
        view["result"]["hprId"],
        format!("{hpr_id}@hpr.abdm"),
        "{view}"
    );
    assert_eq!(view["revision"], 6, "{view}");
    assert_eq!(view["stage"], "completed", "{view}");
    let (status, page) = server.get(&key, "/v1/registrations").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["registrations"][0]["id"], id.as_str());
    // another tenant sees nothing
    let (status, _) = server.get(&other, &format!("/v1/registrations/{id}")).await;
    assert_eq!(status, 404);
    let (status, page) = server.get(&other, "/v1/registrations").await;
    assert_eq!(status, 200);
    assert_eq!(page["registrations"], json!([]));
    server.stop().await;
}
