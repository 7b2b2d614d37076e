//! The session task: the only owner of a [`Session`], its store and its
//! application. It moves bytes between the connection and the session,
//! sleeps until the session's next timer, and carries out the session's
//! actions (persist, write, load for resend, disconnect). Connections come
//! and go (the acceptor hands them in, the initiator dials them); the
//! session and its sequence numbers outlive them.

use crate::codec::{Message, MessageBuilder};
use crate::session::{Action, AppContext, AppReject, Application, Session, SessionEvent};
use crate::store::{MessageStore, Outgoing, SessionKey};
use chrono::Utc;
use std::pin::Pin;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::sync::{mpsc, oneshot};

/// A byte stream: plain TCP or TLS.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

pub type BoxStream = Pin<Box<dyn Stream>>;

/// A connection handed to a session task, with bytes already read from it
/// (the acceptor reads the Logon to route the connection).
pub struct NewConnection {
    pub stream: BoxStream,
    pub initial: Vec<u8>,
    pub peer: String,
    /// Told when this connection ends (the initiator waits on it).
    pub closed: Option<oneshot::Sender<String>>,
}

/// Commands from the application side.
#[derive(Debug)]
pub enum Command {
    Send(MessageBuilder),
    Logout(Option<String>),
    /// Drop the connection without a Logout (fault injection, operators).
    Disconnect,
    /// Stop the task after logging out.
    Shutdown,
}

/// Handle to a running session task.
#[derive(Clone, Debug)]
pub struct SessionHandle {
    pub key: crate::store::SessionKey,
    pub(crate) commands: mpsc::UnboundedSender<Command>,
    pub(crate) connections: mpsc::Sender<NewConnection>,
    state: tokio::sync::watch::Receiver<SessionStatus>,
}

/// What a session handle can observe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionStatus {
    pub connected: bool,
    pub logged_on: bool,
    pub next_sender_seq: u64,
    pub next_target_seq: u64,
}

impl SessionHandle {
    /// Queues an application message (never blocks).
    pub fn send(&self, msg: MessageBuilder) -> bool {
        self.commands.send(Command::Send(msg)).is_ok()
    }

    pub fn logout(&self, text: Option<String>) -> bool {
        self.commands.send(Command::Logout(text)).is_ok()
    }

    /// Drops the connection without a Logout.
    pub fn disconnect(&self) -> bool {
        self.commands.send(Command::Disconnect).is_ok()
    }

    pub fn shutdown(&self) -> bool {
        self.commands.send(Command::Shutdown).is_ok()
    }

    pub fn status(&self) -> SessionStatus {
        *self.state.borrow()
    }

    /// Waits until the status satisfies `f` (a readiness signal for tests
    /// and operators).
    pub async fn wait_for(&self, f: impl Fn(&SessionStatus) -> bool) -> SessionStatus {
        let mut rx = self.state.clone();
        loop {
            let s = *rx.borrow_and_update();
            if f(&s) {
                return s;
            }
            if rx.changed().await.is_err() {
                return *rx.borrow();
            }
        }
    }
}

/// Starts a session task and returns its handle.
pub fn spawn_session(
    session: Session,
    store: Box<dyn MessageStore>,
    app: Box<dyn Application>,
) -> (SessionHandle, tokio::task::JoinHandle<()>) {
    let (ctx, crx) = mpsc::unbounded_channel();
    let (ntx, nrx) = mpsc::channel(4);
    let status = SessionStatus {
        connected: false,
        logged_on: false,
        next_sender_seq: session.next_sender_seq(),
        next_target_seq: session.next_target_seq(),
    };
    let (stx, srx) = tokio::sync::watch::channel(status);
    let handle = SessionHandle {
        key: session.key().clone(),
        commands: ctx,
        connections: ntx,
        state: srx,
    };
    let task = SessionTask {
        app: LoggedApp {
            key: session.key().clone(),
            inner: app,
        },
        session,
        store,
        commands: crx,
        connections: nrx,
        status: stx,
    };
    let join = tokio::spawn(task.run());
    (handle, join)
}

struct SessionTask {
    session: Session,
    store: Box<dyn MessageStore>,
    app: LoggedApp,
    commands: mpsc::UnboundedReceiver<Command>,
    connections: mpsc::Receiver<NewConnection>,
    status: tokio::sync::watch::Sender<SessionStatus>,
}

/// The application as the task hands it to the session: session events
/// are logged on their way to it (the session tells of them only through
/// [`Application::on_event`]).
struct LoggedApp {
    key: SessionKey,
    inner: Box<dyn Application>,
}

impl Application for LoggedApp {
    fn on_logon(&mut self, session: &SessionKey, logon: &Message) -> Result<(), String> {
        self.inner.on_logon(session, logon)
    }

    fn on_message(&mut self, ctx: &mut AppContext<'_>, msg: &Message) -> Result<(), AppReject> {
        self.inner.on_message(ctx, msg)
    }

    fn on_event(&mut self, ctx: &mut AppContext<'_>, event: &SessionEvent) {
        match event {
            SessionEvent::Ignored { reason } | SessionEvent::Disconnected { reason } => {
                tracing::info!(session = %self.key, %reason, "{:?}", event)
            }
            _ => tracing::debug!(session = %self.key, "{:?}", event),
        }
        self.inner.on_event(ctx, event);
    }
}

/// One message of an outbound batch, as [`Action::Send`] described it.
struct PendingSend {
    seq: u64,
    bytes: bytes::Bytes,
    /// An application message: stored for resends.
    persist: bool,
    /// A resent message or gap fill: already stored, its MsgSeqNum is old.
    resend: bool,
    /// The application's delivery number, stored with the batch.
    delivery: Option<u64>,
}

struct Live {
    reader: tokio::io::ReadHalf<BoxStream>,
    writer: BufWriter<tokio::io::WriteHalf<BoxStream>>,
    closed: Option<oneshot::Sender<String>>,
}

impl SessionTask {
    async fn run(mut self) {
        let mut live: Option<Live> = None;
        let mut buf = vec![0u8; 64 * 1024];
        let mut shutting_down = false;
        loop {
            let deadline = self.session.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(d) => {
                        let wait = (d - Utc::now()).to_std().unwrap_or_default();
                        tokio::time::sleep(wait).await
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                conn = self.connections.recv() => {
                    let Some(conn) = conn else { break };
                    if live.is_some() {
                        // The old connection may have closed just before
                        // this one arrived: look before refusing.
                        let now = Utc::now();
                        match tokio::time::timeout(std::time::Duration::ZERO, read_some(&mut live, &mut buf)).await {
                            Ok(Ok(0)) | Ok(Err(_)) => {
                                self.close(&mut live, "peer closed the connection").await;
                                self.session.handle_disconnected(now, "peer closed the connection", &mut self.app);
                                self.drive(&mut live).await;
                            }
                            Ok(Ok(n)) => {
                                self.session.handle_bytes(now, &buf[..n], &mut self.app);
                                self.drive(&mut live).await;
                            }
                            Err(_) => {}
                        }
                    }
                    if live.is_some() {
                        // Duplicate identity: the session is in use on
                        // another connection. Refuse the newcomer.
                        tracing::warn!(session = %self.session.key(), peer = %conn.peer,
                            "refusing a second connection for a session that is connected");
                        drop(conn);
                        continue;
                    }
                    let (r, w) = tokio::io::split(conn.stream);
                    live = Some(Live { reader: r, writer: BufWriter::with_capacity(64 * 1024, w), closed: conn.closed });
                    let now = Utc::now();
                    self.session.handle_connected(now, &mut self.app);
                    if !conn.initial.is_empty() {
                        self.session.handle_bytes(now, &conn.initial, &mut self.app);
                    }
                }
                read = read_some(&mut live, &mut buf) => {
                    let now = Utc::now();
                    match read {
                        Ok(0) | Err(_) => {
                            let why = match read { Err(e) => e.to_string(), _ => "peer closed the connection".to_owned() };
                            self.close(&mut live, &why).await;
                            self.session.handle_disconnected(now, &why, &mut self.app);
                        }
                        Ok(n) => self.session.handle_bytes(now, &buf[..n], &mut self.app),
                    }
                }
                cmd = self.commands.recv() => {
                    let now = Utc::now();
                    match cmd {
                        Some(Command::Send(m)) => {
                            self.session.send(now, m);
                            // Drain whatever else is queued: one write for many messages.
                            while let Ok(Command::Send(m)) = self.commands.try_recv() {
                                self.session.send(now, m);
                            }
                        }
                        Some(Command::Logout(text)) => self.session.logout(now, text.as_deref()),
                        Some(Command::Disconnect) => {
                            self.close(&mut live, "disconnected by command").await;
                            self.session.handle_disconnected(now, "disconnected by command", &mut self.app);
                        }
                        Some(Command::Shutdown) | None => {
                            shutting_down = true;
                            if self.session.is_logged_on() {
                                self.session.logout(now, Some("session shutting down"));
                            } else {
                                self.drive(&mut live).await;
                                self.close(&mut live, "shutdown").await;
                                break;
                            }
                        }
                    }
                }
                () = sleep => self.session.handle_timeout(Utc::now(), &mut self.app),
            }
            self.drive(&mut live).await;
            if shutting_down && live.is_none() {
                break;
            }
        }
    }

    /// Carries out the session's actions. Outbound messages are gathered
    /// and stored as one batch (one write, or one transaction) before any
    /// of them reaches the socket, with the inbound sequence number.
    async fn drive(&mut self, live: &mut Option<Live>) {
        let mut target_seq = None;
        let mut sends: Vec<PendingSend> = Vec::new();
        while let Some(action) = self.session.poll_action() {
            if let Action::Send {
                seq,
                bytes,
                persist,
                resend,
                delivery,
            } = action
            {
                sends.push(PendingSend {
                    seq,
                    bytes,
                    persist,
                    resend,
                    delivery,
                });
                continue;
            }
            self.flush_sends(live, &mut sends, None).await;
            match action {
                Action::Send { .. } => unreachable!("handled above"),
                Action::LoadForResend { begin, end } => {
                    let msgs = match self.store.get_sent(begin, end).await {
                        Ok(m) => m,
                        Err(e) => {
                            tracing::error!(session = %self.session.key(), error = %e, "store read failed; gap-filling");
                            Vec::new()
                        }
                    };
                    self.session
                        .handle_stored_messages(Utc::now(), msgs, &mut self.app);
                }
                Action::ResetStore { creation_time } => {
                    if let Err(e) = self.store.reset(creation_time).await {
                        tracing::error!(session = %self.session.key(), error = %e, "store reset failed");
                    }
                }
                Action::PersistTargetSeq(n) => target_seq = Some(n),
                Action::Disconnect { reason } => {
                    if let Some(n) = target_seq.take() {
                        let _ = self.store.set_next_target_seq(n).await;
                    }
                    self.close(live, &reason).await;
                }
            }
        }
        self.flush_sends(live, &mut sends, target_seq).await;
        if let Some(l) = live.as_mut() {
            if l.writer.flush().await.is_err() {
                self.close(live, "write failed").await;
                self.session
                    .handle_disconnected(Utc::now(), "write failed", &mut self.app);
            }
        }
        // No per-batch flush: the store's own fsync policy decides when
        // data reaches the disk (flush() would fdatasync on every batch).
        self.status.send_replace(SessionStatus {
            connected: live.is_some(),
            logged_on: self.session.is_logged_on(),
            next_sender_seq: self.session.next_sender_seq(),
            next_target_seq: self.session.next_target_seq(),
        });
    }

    /// Stores `sends` (application messages with the highest delivery
    /// number among them, and the sequence number past administrative
    /// ones; resent messages are already stored) and the inbound sequence
    /// number in one batch, then writes them to the connection's buffer.
    /// If the store fails, none of them is written and the connection is
    /// closed: nothing goes out that a resend could not repeat.
    async fn flush_sends(
        &mut self,
        live: &mut Option<Live>,
        sends: &mut Vec<PendingSend>,
        target_seq: Option<u64>,
    ) {
        if sends.is_empty() && target_seq.is_none() {
            return;
        }
        let stored: Vec<Outgoing<'_>> = sends
            .iter()
            .filter(|s| s.persist)
            .map(|s| Outgoing::new(s.seq, &s.bytes))
            .collect();
        let last_stored = stored.last().map(|s| s.seq);
        let last_admin = sends
            .iter()
            .filter(|s| !s.persist && !s.resend)
            .map(|s| s.seq)
            .max();
        let delivered = sends
            .iter()
            .filter(|s| s.persist)
            .filter_map(|s| s.delivery)
            .max();
        let mut result = self.store.save_batch(&stored, target_seq, delivered).await;
        drop(stored);
        if let Some(admin) = last_admin.filter(|a| Some(*a) > last_stored) {
            if result.is_ok() {
                result = self.store.set_next_sender_seq(admin + 1).await;
            }
        }
        if let Err(e) = result {
            sends.clear();
            tracing::error!(session = %self.session.key(), error = %e, "store failed; disconnecting");
            self.close(live, "message store failure").await;
            self.session
                .handle_disconnected(Utc::now(), "message store failure", &mut self.app);
            return;
        }
        for s in sends.drain(..) {
            if let Some(l) = live.as_mut() {
                if l.writer.write_all(&s.bytes).await.is_err() {
                    self.close(live, "write failed").await;
                    self.session
                        .handle_disconnected(Utc::now(), "write failed", &mut self.app);
                }
            }
        }
    }

    async fn close(&mut self, live: &mut Option<Live>, reason: &str) {
        if let Some(mut l) = live.take() {
            let _ = l.writer.flush().await;
            let _ = l.writer.shutdown().await;
            if let Some(tx) = l.closed.take() {
                let _ = tx.send(reason.to_owned());
            }
        }
    }
}

async fn read_some(live: &mut Option<Live>, buf: &mut [u8]) -> std::io::Result<usize> {
    match live {
        Some(l) => l.reader.read(buf).await,
        None => std::future::pending().await,
    }
}
