//! The FIX engine: framing, codec, sans-IO session layer, message stores and
//! the tokio TCP/TLS transport.
#![forbid(unsafe_code)]

pub mod codec;
pub mod msg_type;
pub mod ratelimit;
pub mod schedule;
pub mod session;
pub mod store;
pub mod tags;
pub mod transport;
pub mod validate;
