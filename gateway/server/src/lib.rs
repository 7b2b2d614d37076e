//! The gateway server library behind the `fixgw` binary.
#![forbid(unsafe_code)]

pub mod acceptance;
pub mod certs;
pub mod checks;
pub mod clearing;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub(crate) mod fixmap;
pub mod runtime;
pub mod threads;
pub mod validators;
