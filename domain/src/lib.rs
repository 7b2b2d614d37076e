//! The trading domain model: the vocabulary that the OMS, risk and the
//! simulated venue share, so that each speaks the same types and the
//! adapters between them shrink to what really differs.
//!
//! No IO, no clock, no FIX: FIX codes live in the gateway's FIX mapping.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
