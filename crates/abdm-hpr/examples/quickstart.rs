//! The README's library example: start a registration and verify the Aadhaar OTP.
//!
//! `HPR_API_URL=http://127.0.0.1:8080 HPR_API_KEY=dev cargo run -p abdm-hpr --example quickstart -- 234123412346`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use abdm_hpr::types::{
    GenerateAadhaarOtpInput, GenerateAadhaarOtpRequest, Otp, VerifyAadhaarOtpRequest,
};
use abdm_hpr::{Error, GatewayClient, RegistryApi};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let client = GatewayClient::from_env()?; // HPR_API_URL, HPR_API_KEY, …
    let aadhaar = std::env::args().nth(1).unwrap_or_default();
    // Every field is checked before anything is sent; errors name the field and the rule.
    let request = GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput {
        aadhaar: Some(aadhaar),
    })?;
    let sent = client.generate_aadhaar_otp(&request).await?;
    println!(
        "OTP sent to {:?}; transaction {}",
        sent.mobile_number, sent.txn_id
    ); // txn id printed masked

    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Error::Config(e.to_string()))?;
    let otp: Otp = line
        .parse()
        .map_err(|e: abdm_hpr::types::Invalid| e.at("otp"))?;
    match client
        .verify_aadhaar_otp(&VerifyAadhaarOtpRequest::new(sent.txn_id, otp))
        .await
    {
        Ok(kyc) => println!("verified; KYC profile received ({kyc:?})"), // Debug never shows personal data
        Err(e) if e.api_code() == Some("HIS-1013") => eprintln!("wrong OTP: {e}"),
        Err(e) => return Err(e),
    }
    Ok(())
}
