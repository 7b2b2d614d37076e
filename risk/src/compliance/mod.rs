//! Compliance rules that need per-account history: pattern day trading
//! and wash sales. Market-state rules (halts, LULD, circuit breakers,
//! Rule 201) live in [`crate::market`]; Reg SHO locates in
//! [`crate::engine`]'s short-sale check.

pub mod pdt;
pub mod wash;
