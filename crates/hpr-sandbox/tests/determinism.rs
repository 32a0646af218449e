//! Reproducibility: the seed fixes OTPs, transaction ids, HPR ID numbers and derived identities;
//! a fixed OTP replaces the random ones.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use hpr_sandbox::SandboxConfig;
use rand::SeedableRng;
use serde_json::Value;

/// Everything random a run of registrations produced.
#[derive(Debug, PartialEq, Eq)]
struct Trace {
    txn_ids: Vec<String>,
    otps: Vec<String>,
    hpr_id_numbers: Vec<String>,
    tokens: Vec<String>,
}

/// The same call sequence on a fresh sandbox with `seed`: three registrations, one of them by
/// mobile OTP, and one account check of an existing account.
async fn run(seed: u64) -> Trace {
    let h = start(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await;
    let mut trace = Trace {
        txn_ids: Vec::new(),
        otps: Vec::new(),
        hpr_id_numbers: Vec::new(),
        tokens: Vec::new(),
    };
    for (i, aadhaar) in [AADHAAR, AADHAAR_2, AADHAAR_3].into_iter().enumerate() {
        let txn = h.generate(aadhaar).await;
        trace.txn_ids.push(txn.clone());
        trace.otps.push(h.otp(&txn));
        h.verify(&txn).await;
        let account = h.check(&txn).await.json();
        trace
            .tokens
            .push(account["token"].as_str().unwrap().to_owned());
        if i == 1 {
            assert_eq!(h.generate_mobile(&txn, "9123456789").await.status, 200);
            trace.otps.push(h.otp(&txn));
            assert_eq!(h.verify_mobile(&txn, &h.otp(&txn)).await.status, 200);
        } else {
            let linked = h.running.identity(aadhaar).unwrap().mobile;
            assert_eq!(h.demographic(&txn, &linked).await.status, 200);
        }
        let r = h
            .create(&create_body(&txn, &account, &format!("user.{i}")))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let created = r.json();
        trace
            .hpr_id_numbers
            .push(created["hprIdNumber"].as_str().unwrap().to_owned());
        trace
            .tokens
            .push(created["token"].as_str().unwrap().to_owned());
    }
    let txn = h.generate(AADHAAR).await;
    trace.txn_ids.push(txn.clone());
    trace.otps.push(h.otp(&txn));
    h.verify(&txn).await;
    let existing: Value = h.check(&txn).await.json();
    assert_eq!(
        existing["hprIdNumber"].as_str().unwrap(),
        trace.hpr_id_numbers[0]
    );
    trace
        .tokens
        .push(existing["token"].as_str().unwrap().to_owned());
    h.running.shutdown().await;
    trace
}

#[tokio::test]
async fn the_same_seed_gives_the_same_otps_txn_ids_and_hpr_id_numbers() {
    let first = run(99).await;
    let second = run(99).await;
    assert_eq!(first, second);

    // and the values are varied, well-formed and unique within a run
    let unique = |v: &[String]| v.iter().collect::<std::collections::BTreeSet<_>>().len();
    assert_eq!(unique(&first.txn_ids), first.txn_ids.len());
    assert_eq!(unique(&first.hpr_id_numbers), 3);
    assert!(first.hpr_id_numbers.iter().all(|n| is_hpr_id_number(n)));
    assert!(
        first
            .otps
            .iter()
            .all(|o| o.len() == 6 && o.bytes().all(|b| b.is_ascii_digit()))
    );
    assert!(unique(&first.otps) > 1, "random OTPs vary");

    let other = run(100).await;
    assert_ne!(other.txn_ids, first.txn_ids);
    assert_ne!(other.hpr_id_numbers, first.hpr_id_numbers);
}

#[tokio::test]
async fn a_fixed_otp_is_sent_every_time() {
    let h = start(SandboxConfig {
        fixed_otp: Some("123456".into()),
        ..config()
    })
    .await;
    let txn = h.generate(AADHAAR).await;
    assert_eq!(h.otp(&txn), "123456");
    let r = h.verify_with(&txn, "123456").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(h.check(&txn).await.status, 200);
    assert_eq!(h.generate_mobile(&txn, "9123456789").await.status, 200);
    assert_eq!(h.otp(&txn), "123456");
    assert_eq!(h.verify_mobile(&txn, "123456").await.status, 200);

    let txn = h.generate(AADHAAR_2).await;
    assert_eq!(
        h.get(&format!("/_sandbox/otp/{txn}")).await.json()["otp"],
        "123456"
    );
    h.running.shutdown().await;
}

#[tokio::test]
async fn identities_are_derived_from_the_number_and_the_seed() {
    let a = start(SandboxConfig {
        seed: Some(5),
        ..SandboxConfig::default()
    })
    .await;
    let b = start(SandboxConfig {
        seed: Some(5),
        ..SandboxConfig::default()
    })
    .await;
    let c = start(SandboxConfig {
        seed: Some(6),
        ..SandboxConfig::default()
    })
    .await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut differs = 0;
    for _ in 0..20 {
        let aadhaar = random_aadhaar(&mut rng);
        let one = a.running.identity(&aadhaar).expect("valid");
        assert_eq!(one.aadhaar, aadhaar);
        assert!(one.validate().is_ok());
        assert_eq!(Some(&one), b.running.identity(&aadhaar).as_ref());
        // asking again (or over HTTP) gives the same person
        assert_eq!(Some(&one), a.running.identity(&aadhaar).as_ref());
        let over_http = a
            .get(&format!("/_sandbox/identities/{aadhaar}"))
            .await
            .json();
        assert_eq!(over_http, serde_json::to_value(&one).unwrap());
        assert_eq!(
            over_http,
            b.get(&format!("/_sandbox/identities/{aadhaar}"))
                .await
                .json()
        );
        if c.running.identity(&aadhaar).unwrap() != one {
            differs += 1;
        }
    }
    assert!(differs > 0, "another seed derives other identities");
    // typing variants of the number are the same person; invalid numbers have none
    assert_eq!(
        a.running.identity("2341 2341 2346"),
        a.running.identity(AADHAAR)
    );
    assert!(a.running.identity("234123412345").is_none());

    // the KYC answer of a flow is the derived identity
    let txn = a.generate(AADHAAR).await;
    let kyc = a.verify(&txn).await;
    let person = a.running.identity(AADHAAR).unwrap();
    assert_eq!(kyc["name"], person.name);
    assert_eq!(kyc["address"], person.address);
    for h in [a, b, c] {
        h.running.shutdown().await;
    }
}
