//! The request handlers.

pub mod links;
pub mod ops;
pub mod registrations;
