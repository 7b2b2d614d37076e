//! The initiator: dials the counterparty, hands each connection to the
//! session task, and reconnects with exponential backoff, cycling through
//! fallback hosts, until shut down.

use super::driver::{spawn_session, BoxStream, NewConnection, SessionHandle};
use crate::session::Application;
use crate::session::Session;
use crate::store::MessageStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// Where and how to connect.
#[derive(Clone)]
pub struct InitiatorConfig {
    /// Primary host first, then fallbacks: `host:port`.
    pub hosts: Vec<String>,
    /// TLS client config and the server name to verify; `None` for TCP.
    pub tls: Option<(Arc<rustls::ClientConfig>, String)>,
    pub connect_timeout: Duration,
    pub reconnect_min: Duration,
    pub reconnect_max: Duration,
}

impl InitiatorConfig {
    pub fn new(host: impl Into<String>) -> Self {
        Self {
            hosts: vec![host.into()],
            tls: None,
            connect_timeout: Duration::from_secs(5),
            reconnect_min: Duration::from_millis(500),
            reconnect_max: Duration::from_secs(30),
        }
    }
}

/// Starts the session task and the connector; returns the session handle.
pub fn start_initiator(
    cfg: InitiatorConfig,
    session: Session,
    store: Box<dyn MessageStore>,
    app: Box<dyn Application>,
) -> SessionHandle {
    let schedule = session.config().schedule.clone();
    let (handle, session_task) = spawn_session(session, store, app);
    let h = handle.clone();
    tokio::spawn(async move {
        let mut backoff = cfg.reconnect_min;
        let mut host_idx = 0usize;
        loop {
            if session_task.is_finished() || h.connections.is_closed() {
                break;
            }
            if let Some(s) = &schedule {
                let now = chrono::Utc::now();
                if !s.is_in_session(now) {
                    // Outside the schedule: wait for the next window.
                    let Some(start) = s.next_start(now) else {
                        break;
                    };
                    tokio::time::sleep((start - now).to_std().unwrap_or_default()).await;
                    continue;
                }
            }
            let host = &cfg.hosts[host_idx % cfg.hosts.len().max(1)];
            match connect(&cfg, host).await {
                Ok(stream) => {
                    let (tx, rx) = oneshot::channel();
                    let conn = NewConnection {
                        stream,
                        initial: Vec::new(),
                        peer: host.clone(),
                        closed: Some(tx),
                    };
                    if h.connections.send(conn).await.is_err() {
                        break;
                    }
                    let reason = rx.await.unwrap_or_else(|_| "session ended".into());
                    tracing::info!(session = %h.key, %host, %reason, "connection closed");
                    backoff = cfg.reconnect_min;
                }
                Err(e) => {
                    tracing::warn!(session = %h.key, %host, error = %e, "connect failed");
                    host_idx += 1;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(cfg.reconnect_max);
                    continue;
                }
            }
            tokio::time::sleep(backoff).await;
        }
    });
    handle
}

async fn connect(cfg: &InitiatorConfig, host: &str) -> Result<BoxStream, String> {
    let sock = tokio::time::timeout(cfg.connect_timeout, TcpStream::connect(host))
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| e.to_string())?;
    let _ = sock.set_nodelay(true);
    match &cfg.tls {
        None => Ok(Box::pin(sock)),
        Some((tls, name)) => {
            let name = super::tls::server_name(name).map_err(|e| e.to_string())?;
            let c = tokio_rustls::TlsConnector::from(tls.clone());
            let s = c
                .connect(name, sock)
                .await
                .map_err(|e| format!("TLS handshake failed: {e}"))?;
            Ok(Box::pin(s))
        }
    }
}
