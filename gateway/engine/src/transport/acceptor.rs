//! The acceptor: one listening port (TCP or TLS) serving many sessions,
//! routed by the CompIDs of the first message (which must be a Logon), plus
//! session templates that create a session for any initiator addressing a
//! given CompID. Connections that have not logged on are capped and timed
//! out, so idle or flooding sockets cannot exhaust the server.

use super::driver::{spawn_session, BoxStream, NewConnection, SessionHandle};
use crate::codec::{Framer, Message};
use crate::msg_type::MsgType;
use crate::session::{Application, MessageValidator, Session, SessionConfig};
use crate::store::{SessionKey, StoreError, StoreFactory};
use crate::tags;
use chrono::Utc;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Listener settings.
#[derive(Clone)]
pub struct AcceptorConfig {
    pub bind: SocketAddr,
    /// TLS (rustls); `None` for plain TCP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// With mutual TLS: the Logon's SenderCompID must be the CompID the
    /// client certificate is bound to.
    pub bind_comp_id_to_certificate: bool,
    /// Connections that have not completed a Logon, at most.
    pub max_pending_logons: usize,
    /// Time allowed from accept (and TLS handshake) to a complete Logon.
    pub logon_timeout: Duration,
    pub max_message_size: usize,
}

impl AcceptorConfig {
    pub fn new(bind: SocketAddr) -> Self {
        Self {
            bind,
            tls: None,
            bind_comp_id_to_certificate: false,
            max_pending_logons: 64,
            logon_timeout: Duration::from_secs(10),
            max_message_size: 64 * 1024,
        }
    }
}

/// Everything needed to create a session: its config, validator and app.
pub struct SessionSpec {
    pub config: SessionConfig,
    pub validator: Option<Arc<dyn MessageValidator>>,
    pub app: Box<dyn Application>,
}

/// Creates a session for an unknown initiator CompID, or refuses it.
pub type TemplateFn = Arc<dyn Fn(&str) -> Option<SessionSpec> + Send + Sync>;

#[derive(Clone, PartialEq, Eq, Hash)]
struct Route {
    begin_string: String,
    ours: String,
    theirs: String,
}

struct Inner {
    sessions: Mutex<HashMap<Route, SessionHandle>>,
    templates: Mutex<Vec<(String, String, TemplateFn)>>,
    stores: Arc<dyn StoreFactory>,
}

/// Sessions served on one listening socket.
#[derive(Clone)]
pub struct Acceptor {
    cfg: AcceptorConfig,
    inner: Arc<Inner>,
}

/// A bound, running acceptor.
pub struct RunningAcceptor {
    pub local_addr: SocketAddr,
    pub join: tokio::task::JoinHandle<()>,
    pub acceptor: Acceptor,
}

impl Acceptor {
    pub fn new(cfg: AcceptorConfig, stores: Arc<dyn StoreFactory>) -> Self {
        Self {
            cfg,
            inner: Arc::new(Inner {
                sessions: Mutex::new(HashMap::new()),
                templates: Mutex::new(Vec::new()),
                stores,
            }),
        }
    }

    /// Adds a session: opens its store, restores its sequence numbers and
    /// starts its task.
    pub async fn add_session(&self, spec: SessionSpec) -> Result<SessionHandle, StoreError> {
        let route = Route {
            begin_string: spec.config.begin_string.clone(),
            ours: spec.config.sender_comp_id.clone(),
            theirs: spec.config.target_comp_id.clone(),
        };
        let handle = start(spec, self.inner.stores.as_ref()).await?;
        lock(&self.inner.sessions).insert(route, handle.clone());
        Ok(handle)
    }

    /// Serves a session that another acceptor started (one session
    /// reachable on several listeners, e.g. TCP and TLS ports).
    pub fn add_existing(&self, handle: SessionHandle) {
        let route = Route {
            begin_string: handle.key.begin_string.clone(),
            ours: handle.key.sender_comp_id.clone(),
            theirs: handle.key.target_comp_id.clone(),
        };
        lock(&self.inner.sessions).insert(route, handle);
    }

    /// Any initiator with this BeginString addressing `our_comp_id` gets a
    /// session from `make` (which may refuse by returning `None`).
    pub fn add_template(&self, begin_string: &str, our_comp_id: &str, make: TemplateFn) {
        lock(&self.inner.templates).push((begin_string.to_owned(), our_comp_id.to_owned(), make));
    }

    /// The handle of a known session.
    pub fn session(&self, key: &SessionKey) -> Option<SessionHandle> {
        let route = Route {
            begin_string: key.begin_string.clone(),
            ours: key.sender_comp_id.clone(),
            theirs: key.target_comp_id.clone(),
        };
        lock(&self.inner.sessions).get(&route).cloned()
    }

    pub fn sessions(&self) -> Vec<SessionHandle> {
        lock(&self.inner.sessions).values().cloned().collect()
    }

    /// Binds the port and starts accepting.
    pub async fn bind(self) -> std::io::Result<RunningAcceptor> {
        let listener = TcpListener::bind(self.cfg.bind).await?;
        let local_addr = listener.local_addr()?;
        let me = self.clone();
        let join = tokio::spawn(async move { me.accept_loop(listener).await });
        Ok(RunningAcceptor {
            local_addr,
            join,
            acceptor: self,
        })
    }

    async fn accept_loop(self, listener: TcpListener) {
        let pending = Arc::new(Semaphore::new(self.cfg.max_pending_logons));
        let mut backoff = Duration::from_millis(10);
        loop {
            let (sock, peer) = match listener.accept().await {
                Ok(x) => {
                    backoff = Duration::from_millis(10);
                    x
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off rather
                    // than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            };
            let Ok(permit) = pending.clone().try_acquire_owned() else {
                tracing::warn!(%peer, "too many connections awaiting Logon; closing");
                continue;
            };
            let me = self.clone();
            tokio::spawn(async move {
                let timeout = me.cfg.logon_timeout;
                let r = tokio::time::timeout(timeout, me.route_connection(sock, peer)).await;
                drop(permit);
                match r {
                    Err(_) => tracing::info!(%peer, "no Logon within {:?}; closed", timeout),
                    Ok(Err(why)) => tracing::info!(%peer, %why, "connection refused"),
                    Ok(Ok(())) => {}
                }
            });
        }
    }

    /// TLS handshake, read the Logon, find (or create) its session and hand
    /// the connection over.
    async fn route_connection(&self, sock: TcpStream, peer: SocketAddr) -> Result<(), String> {
        let _ = sock.set_nodelay(true);
        let mut cert_comp_id: Option<Result<Option<String>, String>> = None;
        let mut stream: BoxStream = match &self.cfg.tls {
            Some(tls) => {
                let acc = tokio_rustls::TlsAcceptor::from(tls.clone());
                let s = acc
                    .accept(sock)
                    .await
                    .map_err(|e| format!("TLS handshake failed: {e}"))?;
                if self.cfg.bind_comp_id_to_certificate {
                    cert_comp_id =
                        Some(super::tls::peer_comp_id(s.get_ref().1).map_err(|e| e.to_string()));
                }
                Box::pin(s)
            }
            None => Box::pin(sock),
        };
        let mut initial = Vec::new();
        let mut framer = Framer::new(self.cfg.max_message_size);
        let mut buf = [0u8; 4096];
        let logon = loop {
            let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("closed before Logon".into());
            }
            initial.extend_from_slice(&buf[..n]);
            framer.extend(&buf[..n]);
            if let Some(frame) = framer.next_frame().map_err(|e| e.to_string())? {
                break Message::parse(frame.freeze())
                    .map_err(|e| format!("garbled first message: {e}"))?;
            }
        };
        if MsgType::of(&logon) != MsgType::Logon {
            return Err("first message is not a Logon".into());
        }
        let route = Route {
            begin_string: String::from_utf8_lossy(logon.begin_string()).into_owned(),
            ours: logon.get_str(tags::TARGET_COMP_ID).unwrap_or("").to_owned(),
            theirs: logon.get_str(tags::SENDER_COMP_ID).unwrap_or("").to_owned(),
        };
        if let Some(c) = cert_comp_id {
            match c? {
                Some(id) if id == route.theirs => {}
                Some(id) => {
                    return Err(format!(
                        "SenderCompID {} does not match the client certificate's CompID {id}",
                        route.theirs
                    ))
                }
                None => return Err("mutual TLS required: no client certificate".into()),
            }
        }
        let handle = match self.find_or_create(&route).await {
            Some(h) => h,
            None => {
                return Err(format!(
                    "no session for {} {}->{}",
                    route.begin_string, route.theirs, route.ours
                ))
            }
        };
        let conn = NewConnection {
            stream,
            initial,
            peer: peer.to_string(),
            closed: None,
        };
        handle
            .connections
            .send(conn)
            .await
            .map_err(|_| "session task has stopped".to_string())
    }

    async fn find_or_create(&self, route: &Route) -> Option<SessionHandle> {
        if let Some(h) = lock(&self.inner.sessions).get(route) {
            return Some(h.clone());
        }
        let make = lock(&self.inner.templates)
            .iter()
            .find(|(b, o, _)| *b == route.begin_string && *o == route.ours)
            .map(|(_, _, f)| f.clone())?;
        let spec = make(&route.theirs)?;
        match start(spec, self.inner.stores.as_ref()).await {
            Ok(h) => {
                let mut map = lock(&self.inner.sessions);
                // Two connections may race to create it: keep the first.
                Some(map.entry(route.clone()).or_insert(h).clone())
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot open the store for a templated session");
                None
            }
        }
    }
}

async fn start(spec: SessionSpec, stores: &dyn StoreFactory) -> Result<SessionHandle, StoreError> {
    let cfg = Arc::new(spec.config);
    let key = SessionKey::new(&cfg.begin_string, &cfg.sender_comp_id, &cfg.target_comp_id);
    let mut store = stores.open(&key).await?;
    let seq = store.load(Utc::now()).await?;
    let session = Session::new(cfg, spec.validator, seq);
    let (handle, _join) = spawn_session(session, store, spec.app);
    Ok(handle)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
