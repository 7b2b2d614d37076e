//! Compliance rules that need per-account history: pattern day trading
//! and wash sales. Market-state rules (halts, LULD, circuit breakers,
//! Rule 201) live in [`crate::market`]; Reg SHO locates in
//! the short-sale check of [`crate::RiskEngine::pre_trade`].

pub mod pdt;
pub mod wash;
