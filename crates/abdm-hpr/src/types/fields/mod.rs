//! Validated newtypes, one per kind of wire value (CONTRACT §5). Once a value exists it is valid.

mod macros;
mod text;

mod aadhaar;
mod codes;
mod dob;
mod email;
mod hpr_id;
mod mobile;
mod photo;
mod pincode;
mod secret;
mod text_fields;
mod txn_id;

pub use aadhaar::Aadhaar;
pub use codes::{CategoryCode, DistrictCode, StateCode, SubCategoryCode};
pub use dob::{DateOfBirth, today_in_india};
pub use email::Email;
pub use hpr_id::{HPR_DOMAIN, HprId};
pub use mobile::Mobile;
pub use photo::{MAX_PHOTO_BYTES, Photo};
pub use pincode::Pincode;
pub use secret::{Otp, Password, PasswordCriterion, Token};
pub use text_fields::{Address, DomainName, IdType, PersonName};
pub use txn_id::TxnId;
