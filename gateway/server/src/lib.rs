//! The gateway server library behind the `fixgw` binary.
#![forbid(unsafe_code)]

pub mod certs;
