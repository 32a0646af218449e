//! `state_file`: accounts and seeded identities survive a restart; a broken file is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::*;
use hpr_sandbox::{Sandbox, SandboxConfig};

fn with_state(path: &Path) -> SandboxConfig {
    SandboxConfig {
        state_file: Some(path.to_owned()),
        ..config()
    }
}

#[tokio::test]
async fn accounts_and_added_identities_survive_a_restart() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("state.json");

    let h = start(with_state(&path)).await;
    let mut added = h.running.identity(AADHAAR_2).unwrap();
    added.mobile = "7000000003".into();
    added.first_name = "Seeded".into();
    h.running.add_identity(added.clone()).unwrap();
    let (txn, account) = h.to_mobile_verified(AADHAAR).await;
    let r = h
        .create(&create_body(&txn, &account, "kept.across.restarts"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let created = r.json();
    let snapshot = h.running.snapshot();
    assert_eq!(snapshot.accounts.len(), 1);
    h.running.shutdown().await;

    // the file holds the state, and no OTP or password
    let text = std::fs::read_to_string(&path).expect("state file written");
    assert!(text.contains("kept.across.restarts@hpr.abdm"));
    assert!(!text.contains(PASSWORD));
    let on_disk: hpr_sandbox::Snapshot = serde_json::from_str(&text).unwrap();
    assert_eq!(on_disk, snapshot);

    let h = start(with_state(&path)).await;
    let accounts = h.running.accounts();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].aadhaar, AADHAAR);
    assert_eq!(accounts[0].hpr_id_number, created["hprIdNumber"]);
    assert_eq!(h.running.identity(AADHAAR_2), Some(added));

    // the account check finds it
    let txn = h.generate(AADHAAR).await;
    h.verify(&txn).await;
    let existing = h.check(&txn).await.json();
    assert_eq!(existing["new"], false);
    assert_eq!(existing["hprIdNumber"], created["hprIdNumber"]);
    assert_eq!(existing["hprId"], "kept.across.restarts@hpr.abdm");

    // the username is still taken, and the added identity is still in use
    let r = h
        .post(
            "/aadhaar/generateOtp",
            &serde_json::json!({"aadhaar": AADHAAR_2}),
        )
        .await;
    assert_eq!(r.json()["mobileNumber"], "******0003");
    let txn = r.json()["txnId"].as_str().unwrap().to_owned();
    h.verify(&txn).await;
    let account = h.check(&txn).await.json();
    assert_eq!(account["firstName"], "Seeded");
    assert_eq!(h.demographic(&txn, "7000000003").await.status, 200);
    let r = h
        .create(&create_body(&txn, &account, "Kept.Across.Restarts"))
        .await;
    assert_his(&r, 422, "HIS-1015");
    let r = h
        .create(&create_body(&txn, &account, "seeded.person"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_ne!(r.json()["hprIdNumber"], created["hprIdNumber"]);
    h.running.shutdown().await;

    // a third start sees both accounts
    let sandbox = Sandbox::new(with_state(&path)).unwrap();
    assert_eq!(sandbox.accounts().len(), 2);
}

#[tokio::test]
async fn a_missing_state_file_is_an_empty_state() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("does-not-exist-yet.json");
    let sandbox = Sandbox::new(with_state(&path)).expect("a missing file is fine");
    assert!(sandbox.accounts().is_empty());
    assert!(sandbox.snapshot().identities.is_empty());
}

#[test]
fn a_corrupt_state_file_is_refused() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("state.json");
    for corrupt in [
        "{ not json",
        "[]",
        r#"{"version": 1, "identities": "nope", "accounts": []}"#,
        r#"{"version": 999, "identities": [], "accounts": []}"#,
    ] {
        std::fs::write(&path, corrupt).unwrap();
        let error = Sandbox::new(with_state(&path)).expect_err("a broken state file is an error");
        assert!(
            matches!(
                error,
                hpr_sandbox::Error::StateCorrupt { .. } | hpr_sandbox::Error::StateTooNew { .. }
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("state.json"), "{error}");
    }
}

#[tokio::test]
async fn an_answered_change_is_on_disk_before_shutdown() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("state.json");
    let h = start(with_state(&path)).await;
    let (txn, account) = h.to_mobile_verified(AADHAAR).await;
    let r = h
        .create(&create_body(&txn, &account, "on.disk.already"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // read as a restart would (snapshot + journal), with the sandbox still running
    let on_disk = hpr_sandbox::persist::load(&path).unwrap();
    assert_eq!(on_disk.accounts.len(), 1);
    assert_eq!(on_disk.accounts[0].hpr_id, "on.disk.already@hpr.abdm");
    assert!(hpr_sandbox::persist::journal_path(&path).exists());

    let mut added = h.running.identity(AADHAAR_2).unwrap();
    added.first_name = "Added".into();
    let r = h
        .http
        .post(format!("{}/_sandbox/identities", h.running.base_url()))
        .header("content-type", "application/json")
        .body(serde_json::to_string(&added).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let on_disk = hpr_sandbox::persist::load(&path).unwrap();
    assert!(on_disk.identities.iter().any(|i| i.first_name == "Added"));

    let r = h
        .http
        .post(format!("{}/_sandbox/reset", h.running.base_url()))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let on_disk = hpr_sandbox::persist::load(&path).unwrap();
    assert!(on_disk.accounts.is_empty() && on_disk.identities.is_empty());

    // a graceful shutdown leaves the snapshot alone
    h.running.shutdown().await;
    assert!(!hpr_sandbox::persist::journal_path(&path).exists());
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    // the snapshot, and the (empty) lock file
    assert_eq!(names, [".state.json.lock", "state.json"]);
    assert_eq!(
        std::fs::metadata(dir.path().join(".state.json.lock"))
            .unwrap()
            .len(),
        0
    );

    // one sandbox at a time on a state file
    let first = Sandbox::new(with_state(&path)).unwrap();
    let second = Sandbox::new(with_state(&path)).unwrap_err();
    assert!(
        matches!(second, hpr_sandbox::Error::StateInUse { .. }),
        "{second:?}"
    );
    drop(first);
    Sandbox::new(with_state(&path)).expect("free again once the first is dropped");
}
