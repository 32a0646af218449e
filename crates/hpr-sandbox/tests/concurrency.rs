//! Many registrations at once: every one completes, IDs are unique, and no flow sees another's
//! state.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use abdm_hpr::types::AccountCheck;
use common::*;
use rand::SeedableRng;

const REGISTRATIONS: usize = 200;

/// One whole registration through the SDK; even `i` use the linked mobile, odd `i` another one
/// proven by a mobile OTP. OTPs come from the sandbox per transaction.
async fn register(h: &Harness, i: usize, aadhaar: &str) -> (String, String) {
    let client = &h.client;
    let (txn, _) = sdk_generate(client, aadhaar).await;
    let account = expect_new(sdk_verify_and_check(h, client, &txn).await);
    // the KYC data is this Aadhaar's person, not another flow's
    let person = h.running.identity(aadhaar).unwrap();
    assert_eq!(
        account.first_name.as_deref(),
        Some(person.first_name.as_str())
    );
    assert_eq!(account.address.as_deref(), Some(person.address.as_str()));
    if i.is_multiple_of(2) {
        assert!(sdk_demographic(client, &txn, &person.mobile).await);
    } else {
        let mobile = format!("9{:09}", i);
        if mobile != person.mobile {
            assert!(!sdk_demographic(client, &txn, &mobile).await);
        }
        sdk_generate_mobile(client, &txn, &mobile).await;
        sdk_verify_mobile(client, &txn, &h.otp(&txn)).await;
    }
    let suggestions = sdk_suggest(client, &txn).await;
    assert!(!suggestions.is_empty());
    let created = sdk_create(client, &txn, &account, &format!("user{aadhaar}")).await;
    assert!(is_hpr_id_number(&created.hpr_id_number));
    assert_eq!(created.hpr_id, format!("user{aadhaar}@hpr.abdm"));
    (created.hpr_id_number, created.hpr_id)
}

/// The account check of a fresh run for `aadhaar`.
async fn existing(h: &Harness, aadhaar: &str) -> (String, String) {
    let (txn, _) = sdk_generate(&h.client, aadhaar).await;
    match sdk_verify_and_check(h, &h.client, &txn).await {
        AccountCheck::Existing(account) => (account.hpr_id_number, account.hpr_id),
        AccountCheck::New(_) => panic!("the account should exist"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_do_not_interfere() {
    let h = Arc::new(start(config()).await);
    let mut rng = rand::rngs::StdRng::seed_from_u64(2024);
    let mut numbers = HashSet::new();
    while numbers.len() < REGISTRATIONS {
        numbers.insert(random_aadhaar(&mut rng));
    }
    let numbers: Vec<String> = numbers.into_iter().collect();

    let tasks: Vec<_> = numbers
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, aadhaar)| {
            let h = Arc::clone(&h);
            tokio::spawn(async move {
                let ids = register(&h, i, &aadhaar).await;
                (aadhaar, ids)
            })
        })
        .collect();
    let mut created = Vec::new();
    for task in tasks {
        created.push(task.await.expect("registration task"));
    }

    let hpr_numbers: BTreeSet<&String> = created.iter().map(|(_, (n, _))| n).collect();
    let hpr_ids: BTreeSet<&String> = created.iter().map(|(_, (_, id))| id).collect();
    assert_eq!(hpr_numbers.len(), REGISTRATIONS);
    assert_eq!(hpr_ids.len(), REGISTRATIONS);
    assert_eq!(h.running.accounts().len(), REGISTRATIONS);

    // each Aadhaar finds exactly its own account, checked concurrently too
    let checks: Vec<_> = created
        .into_iter()
        .map(|(aadhaar, ids)| {
            let h = Arc::clone(&h);
            tokio::spawn(async move {
                assert_eq!(existing(&h, &aadhaar).await, ids);
            })
        })
        .collect();
    for check in checks {
        check.await.expect("account check task");
    }
    let log = h.running.requests();
    assert!(log.iter().all(|r| r.status == 200));
    assert!(log.len() >= REGISTRATIONS * 9);
}
