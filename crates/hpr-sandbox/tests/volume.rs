//! Transactions under volume, over loopback HTTP: a finished transaction keeps only what later
//! steps need, one Aadhaar number has at most 5 live transactions, and the total is capped
//! (`429` with `Retry-After`) until transactions expire. Time moves by the manual clock only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use hpr_sandbox::SandboxConfig;

#[tokio::test]
async fn a_created_account_ends_its_transaction_but_stays_findable() {
    let h = start_default().await;
    let (txn, account) = h.to_mobile_verified(AADHAAR).await;
    let r = h.create_valid(&txn, &account, "finished.flow").await;
    assert_ok(&r);
    let created = r.json();
    // the transaction's OTPs and mobile are gone (the admin API no longer has an OTP for it)
    assert!(h.running.latest_otp(&txn).is_none());
    assert_eq!(h.get(&format!("/_sandbox/otp/{txn}")).await.status, 404);
    // the account check still answers with the account, found by Aadhaar
    let r = h.check(&txn).await;
    assert_ok(&r);
    let found = r.json();
    assert_eq!(found["new"], false);
    assert_eq!(found["hprId"], created["hprId"]);
    assert_eq!(found["hprIdNumber"], created["hprIdNumber"]);
    // and the other steps say the flow is over
    assert_his(&h.suggest(&txn).await, 422, "HIS-1029");
    assert_his(
        &h.create_valid(&txn, &account, "again.flow").await,
        422,
        "HIS-1029",
    );
    h.running.shutdown().await;
}

#[tokio::test]
async fn the_sixth_otp_for_one_aadhaar_supersedes_the_oldest_transaction() {
    let h = start_default().await;
    let mut txns = Vec::new();
    for _ in 0..5 {
        let txn = h.generate(AADHAAR).await;
        h.verify(&txn).await;
        txns.push(txn);
    }
    let sixth = h.generate(AADHAAR).await;
    // the oldest is gone; the four others and the new one live on
    assert_his_at(&h.check(&txns[0]).await, 422, "HIS-1026", "txnId");
    for txn in &txns[1..] {
        assert_ok(&h.check(txn).await);
    }
    h.verify(&sixth).await;
    assert_ok(&h.check(&sixth).await);
    // another Aadhaar is not affected
    let other = h.generate(AADHAAR_2).await;
    h.verify(&other).await;
    assert_ok(&h.check(&txns[1]).await);
    h.running.shutdown().await;
}

#[tokio::test]
async fn past_max_transactions_a_new_otp_gets_429_until_transactions_expire() {
    let h = start(SandboxConfig {
        max_transactions: 3,
        ..config()
    })
    .await;
    let ttl = h.running.config().txn_ttl;
    let first = h.generate(AADHAAR).await;
    h.generate(AADHAAR_2).await;
    h.clock.advance(Duration::from_secs(60));
    h.generate(AADHAAR_3).await;

    let r = h.generate_raw(&aadhaar(20_000_000_007)).await;
    assert_his(&r, 429, "HIS-429");
    let wait = ttl - Duration::from_secs(60);
    assert_eq!(
        r.header("retry-after"),
        Some(wait.as_secs().to_string().as_str())
    );
    assert_no_echo(&r, &[&aadhaar(20_000_000_007)]);
    // the live ones are untouched
    h.verify(&first).await;

    // once the first two expire, new transactions fit again
    h.clock.advance(wait);
    let fresh = h.generate(&aadhaar(20_000_000_007)).await;
    h.verify(&fresh).await;
    h.generate(&aadhaar(20_000_000_008)).await;
    assert_his(
        &h.generate_raw(&aadhaar(20_000_000_009)).await,
        429,
        "HIS-429",
    );
    h.running.shutdown().await;
}
