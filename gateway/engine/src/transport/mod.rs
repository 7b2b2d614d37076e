//! The tokio transport under the sans-IO session layer: TCP and TLS
//! sockets, acceptor and initiator loops. This module owns only moving
//! bytes and TLS setup; FIX semantics live in the session layer.

pub mod acceptor;
pub mod driver;
pub mod initiator;
pub mod tls;

pub use acceptor::{Acceptor, AcceptorConfig, RunningAcceptor, SessionSpec, TemplateFn};
pub use driver::{spawn_session, Command, NewConnection, SessionHandle, SessionStatus};
pub use initiator::{start_initiator, InitiatorConfig};
