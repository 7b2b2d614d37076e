//! The tokio transport under the sans-IO session layer: TCP and TLS
//! sockets, acceptor and initiator loops. This module owns only moving
//! bytes and TLS setup; FIX semantics live in the session layer.

pub mod tls;
