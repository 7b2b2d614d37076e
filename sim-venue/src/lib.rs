//! The simulated exchange: matching engine, simulated market, market data,
//! halts and clearing, served over FIX.
#![forbid(unsafe_code)]
