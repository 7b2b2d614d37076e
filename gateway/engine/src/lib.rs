//! The FIX engine: framing, codec, sans-IO session layer, message stores and
//! the tokio TCP/TLS transport.
//!
//! - [`codec`]: framing, the zero-copy parsed message, the encoder;
//! - [`tags`] and [`msg_type`]: the protocol's vocabulary as types (named
//!   tag numbers, [`tags::Tag`], [`msg_type::MsgType`]);
//! - [`validate`]: data-dictionary validation and the reject reasons;
//! - [`session`]: the session state machine and the application interface;
//! - [`store`]: message stores (memory, file, PostgreSQL);
//! - [`transport`]: the session task, acceptor and initiator, TLS;
//! - [`schedule`], [`ratelimit`]: session windows and the inbound limit.
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
