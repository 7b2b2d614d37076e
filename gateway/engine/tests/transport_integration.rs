//! The engine's own initiator and acceptor over real sockets on 127.0.0.1,
//! plain TCP and mutual TLS, with file stores in a temporary directory on
//! both sides: logon, traffic both ways, a cut connection with messages sent
//! while it is down, reconnection that resumes sequence numbers and resends
//! what was missed; refusals (certificate CompID mismatch, duplicate logon,
//! too many connections awaiting Logon, logon timeout).
//!
//! Nothing sleeps: tests wait on readiness signals (`SessionHandle::
//! wait_for`, messages forwarded by the applications into channels, a
//! socket reaching EOF), each under a `tokio::time::timeout` safety net.
//! A small TCP proxy between the two sides lets a test cut the connection
//! and hold the reconnection until it has sent what it wants to be missed.

use chrono::Utc;
use fix_engine::codec::time::{format_utc_string, TimePrecision};
use fix_engine::codec::{Framer, Message, MessageBuilder};
use fix_engine::session::{Role, Session, SessionConfig};
use fix_engine::store::{FileStoreFactory, FsyncPolicy, SessionKey, StoreFactory};
use fix_engine::transport::tls::{self, ClientTlsFiles, ServerTlsFiles};
use fix_engine::transport::{
    start_initiator, Acceptor, AcceptorConfig, InitiatorConfig, SessionHandle, SessionSpec,
    SessionStatus,
};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::timeout;

/// Safety net for every wait: a test that hangs fails instead.
const WAIT: Duration = Duration::from_secs(20);

// ------------------------------------------------------------ helpers --

fn order(id: &str) -> MessageBuilder {
    let mut b = MessageBuilder::new("D");
    b.field(11, id)
        .field(21, "3")
        .field(40, "1")
        .field(54, "1")
        .field(55, "INTC");
    b
}

async fn recv(rx: &mut mpsc::UnboundedReceiver<Message>) -> Message {
    timeout(WAIT, rx.recv())
        .await
        .expect("timed out waiting for an application message")
        .expect("application channel closed")
}

async fn wait(h: &SessionHandle, what: &str, f: impl Fn(&SessionStatus) -> bool) -> SessionStatus {
    match timeout(WAIT, h.wait_for(f)).await {
        Ok(s) => s,
        Err(_) => panic!(
            "timed out waiting for {what} on {}: {:?}",
            h.key,
            h.status()
        ),
    }
}

fn certs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../certs")
}

fn server_tls() -> Arc<rustls::ServerConfig> {
    let d = certs();
    tls::server_config(&ServerTlsFiles {
        cert: d.join("server.pem"),
        key: d.join("server-key.pem"),
        client_ca: Some(d.join("ca.pem")),
        client_cert_required: None,
        versions: Default::default(),
    })
    .expect("server TLS config from certs/")
}

fn client_tls(comp_id: Option<&str>) -> Arc<rustls::ClientConfig> {
    let d = certs();
    tls::client_config(&ClientTlsFiles {
        ca: d.join("ca.pem"),
        cert: comp_id.map(|c| d.join(format!("client-{c}.pem"))),
        key: comp_id.map(|c| d.join(format!("client-{c}-key.pem"))),
        versions: Default::default(),
    })
    .expect("client TLS config from certs/")
}

/// An acceptor on 127.0.0.1:0 serving one session `ours <- theirs`.
struct AcceptorSide {
    addr: SocketAddr,
    handle: SessionHandle,
    rx: mpsc::UnboundedReceiver<Message>,
}

async fn start_acceptor(
    cfg: AcceptorConfig,
    stores: Arc<dyn StoreFactory>,
    ours: &str,
    theirs: &str,
) -> AcceptorSide {
    let acceptor = Acceptor::new(cfg, stores);
    let (app, rx) = test_support::fix::forwarding_app();
    let handle = acceptor
        .add_session(SessionSpec {
            config: SessionConfig::new("FIX.4.4", ours, theirs, Role::Acceptor),
            validator: None,
            app,
        })
        .await
        .expect("acceptor session");
    let running = acceptor.bind().await.expect("bind 127.0.0.1:0");
    AcceptorSide {
        addr: running.local_addr,
        handle,
        rx,
    }
}

/// The engine's initiator `ours -> theirs` dialling `addr`.
async fn start_engine_initiator(
    addr: SocketAddr,
    tls: Option<(Arc<rustls::ClientConfig>, String)>,
    stores: &dyn StoreFactory,
    ours: &str,
    theirs: &str,
) -> (SessionHandle, mpsc::UnboundedReceiver<Message>) {
    let mut scfg = SessionConfig::new("FIX.4.4", ours, theirs, Role::Initiator);
    scfg.heartbeat_interval = Duration::from_secs(30);
    let key = SessionKey::new("FIX.4.4", ours, theirs);
    let mut store = stores.open(&key).await.expect("initiator store");
    let seq = store.load(Utc::now()).await.expect("load");
    let session = Session::new(Arc::new(scfg), None, seq);
    let mut icfg = InitiatorConfig::new(addr.to_string());
    icfg.tls = tls;
    icfg.reconnect_min = Duration::from_millis(20);
    icfg.reconnect_max = Duration::from_millis(200);
    let (app, rx) = test_support::fix::forwarding_app();
    (start_initiator(icfg, session, store, app), rx)
}

/// A TCP proxy the test controls: `cut()` drops every connection through
/// it; while the gate is closed, new connections are accepted but not
/// forwarded.
struct Proxy {
    addr: SocketAddr,
    gate: watch::Sender<bool>,
    live: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    forwarded: watch::Receiver<usize>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (gate, gate_rx) = watch::channel(true);
        let (fwd_tx, forwarded) = watch::channel(0usize);
        let live: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let live2 = live.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let mut g = gate_rx.clone();
                let live = live2.clone();
                let fwd_tx = fwd_tx.clone();
                tokio::spawn(async move {
                    if g.wait_for(|open| *open).await.is_err() {
                        return;
                    }
                    let Ok(mut up) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let task = tokio::spawn(async move {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut up).await;
                    });
                    live.lock().unwrap().push(task.abort_handle());
                    fwd_tx.send_modify(|n| *n += 1);
                });
            }
        });
        Self {
            addr,
            gate,
            live,
            forwarded,
        }
    }

    fn set_gate(&self, open: bool) {
        self.gate.send_replace(open);
    }

    /// Drops both sockets of every forwarded connection (no Logout).
    fn cut(&self) {
        for h in self.live.lock().unwrap().drain(..) {
            h.abort();
        }
    }
}

/// Logon, traffic both ways, cut, messages while cut, reconnect, resume.
async fn disconnect_and_recover(tls: bool) {
    let dir = tempfile::tempdir().unwrap();
    let acc_stores = Arc::new(FileStoreFactory::new(
        dir.path().join("acceptor"),
        FsyncPolicy::Never,
    ));
    let ini_stores = FileStoreFactory::new(dir.path().join("initiator"), FsyncPolicy::Never);
    let mut acfg = AcceptorConfig::new("127.0.0.1:0".parse().unwrap());
    if tls {
        acfg.tls = Some(server_tls());
        acfg.bind_comp_id_to_certificate = true;
    }
    let mut acc = start_acceptor(acfg, acc_stores, "GATEWAY", "CLIENT1").await;
    let proxy = Proxy::start(acc.addr).await;
    let ctls = tls.then(|| (client_tls(Some("CLIENT1")), "localhost".to_owned()));
    let (ini, mut ini_rx) =
        start_engine_initiator(proxy.addr, ctls, &ini_stores, "CLIENT1", "GATEWAY").await;

    wait(&ini, "logon", |s| s.logged_on).await;
    wait(&acc.handle, "logon", |s| s.logged_on).await;

    // Traffic both ways.
    assert!(ini.send(order("I1")));
    let m = recv(&mut acc.rx).await;
    assert_eq!(m.get_str(11), Some("I1"));
    assert_eq!(m.get_str(49), Some("CLIENT1"));
    assert_eq!(m.seq_num(), Some(2));
    assert!(acc.handle.send(order("A1")));
    let m = recv(&mut ini_rx).await;
    assert_eq!(m.get_str(11), Some("A1"));
    assert_eq!(m.seq_num(), Some(2));
    assert!(!m.has(43));

    // Cut the connection and hold the reconnection.
    proxy.set_gate(false);
    proxy.cut();
    wait(&acc.handle, "disconnect", |s| !s.connected).await;
    wait(&ini, "disconnect", |s| !s.logged_on).await;
    let before = acc.handle.status().next_sender_seq;
    assert_eq!(before, 3);
    for id in ["M1", "M2", "M3"] {
        assert!(acc.handle.send(order(id)));
    }
    // Given their numbers and stored while nobody is connected.
    let st = wait(&acc.handle, "missed sends", |s| {
        s.next_sender_seq == before + 3
    })
    .await;
    assert!(!st.connected);

    // Reconnect: the initiator logs on again with its stored numbers.
    let forwarded = *proxy.forwarded.borrow();
    proxy.set_gate(true);
    wait(&ini, "logon again", |s| s.logged_on).await;
    wait(&acc.handle, "logon again", |s| s.logged_on).await;
    assert_eq!(*proxy.forwarded.borrow(), forwarded + 1);
    for (id, seq) in [("M1", 3), ("M2", 4), ("M3", 5)] {
        let m = recv(&mut ini_rx).await;
        assert_eq!(m.get_str(11), Some(id));
        assert_eq!(m.seq_num(), Some(seq), "original MsgSeqNum");
        assert_eq!(m.get_str(43), Some("Y"), "PossDupFlag on a resend");
        assert!(m.has(122), "OrigSendingTime on a resend");
    }
    // Both directions carry on from where they were.
    assert!(ini.send(order("I2")));
    let m = recv(&mut acc.rx).await;
    // Initiator: Logon 1, I1 2, Logon 3, ResendRequest 4, I2 5 (no reset).
    assert_eq!((m.get_str(11), m.seq_num()), (Some("I2"), Some(5)));
    assert!(!m.has(43));
    assert!(acc.handle.send(order("A2")));
    let m = recv(&mut ini_rx).await;
    assert_eq!(m.get_str(11), Some("A2"));
    assert!(!m.has(43));
    let a = acc.handle.status();
    let i = ini.status();
    assert_eq!(i.next_target_seq, a.next_sender_seq);
    assert_eq!(a.next_target_seq, i.next_sender_seq);
    ini.shutdown();
    acc.handle.shutdown();
}

#[tokio::test]
async fn tcp_logon_traffic_disconnect_and_resume_with_file_stores() {
    disconnect_and_recover(false).await;
}

#[tokio::test]
async fn mutual_tls_logon_traffic_disconnect_and_resume_with_file_stores() {
    disconnect_and_recover(true).await;
}

// -------------------------------------------------------- raw clients --

/// A Logon from `sender` to `target` as a raw client would write it.
fn logon_bytes(sender: &str, target: &str) -> Vec<u8> {
    let mut b = MessageBuilder::new("A");
    b.field(98, "0").field(108, "30");
    let now = format_utc_string(Utc::now(), TimePrecision::Millis);
    b.encode_with_header("FIX.4.4", sender, target, 1, now.as_bytes())
}

/// The next message from `s`, or `None` when the peer closes (EOF or a
/// reset) first.
async fn read_msg<S: AsyncRead + Unpin>(s: &mut S) -> Option<Message> {
    let mut framer = Framer::new(64 * 1024);
    let mut buf = [0u8; 4096];
    loop {
        if let Ok(Some(frame)) = framer.next_frame() {
            return Message::parse(frame.freeze()).ok();
        }
        let n = timeout(WAIT, s.read(&mut buf))
            .await
            .expect("timed out reading")
            .unwrap_or(0);
        if n == 0 {
            return None;
        }
        framer.extend(&buf[..n]);
    }
}

async fn send_raw<S: AsyncWrite + Unpin>(s: &mut S, bytes: &[u8]) {
    // A refused peer may already have closed: a failed write is then fine,
    // the read that follows sees the close.
    let _ = s.write_all(bytes).await;
    let _ = s.flush().await;
}

async fn tls_connect(
    addr: SocketAddr,
    comp_id: Option<&str>,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let sock = TcpStream::connect(addr).await?;
    let c = tokio_rustls::TlsConnector::from(client_tls(comp_id));
    c.connect(tls::server_name("localhost").unwrap(), sock)
        .await
}

#[tokio::test]
async fn mutual_tls_refuses_a_certificate_bound_to_another_comp_id() {
    let dir = tempfile::tempdir().unwrap();
    let stores = Arc::new(FileStoreFactory::new(dir.path(), FsyncPolicy::Never));
    let mut acfg = AcceptorConfig::new("127.0.0.1:0".parse().unwrap());
    acfg.tls = Some(server_tls());
    acfg.bind_comp_id_to_certificate = true;
    let acc = start_acceptor(acfg, stores, "GATEWAY", "CLIENT1").await;

    // CLIENT2's certificate, Logon as CLIENT1: closed without an answer.
    let mut s = tls_connect(acc.addr, Some("CLIENT2"))
        .await
        .expect("TLS handshake");
    send_raw(&mut s, &logon_bytes("CLIENT1", "GATEWAY")).await;
    assert!(read_msg(&mut s).await.is_none(), "refused: no Logon answer");
    assert!(!acc.handle.status().logged_on);

    // No client certificate at all: the TLS handshake (or the first read)
    // fails.
    if let Ok(mut s) = tls_connect(acc.addr, None).await {
        send_raw(&mut s, &logon_bytes("CLIENT1", "GATEWAY")).await;
        assert!(read_msg(&mut s).await.is_none());
    }
    assert!(!acc.handle.status().logged_on);

    // The matching certificate logs on (the test can tell the difference).
    let mut s = tls_connect(acc.addr, Some("CLIENT1"))
        .await
        .expect("TLS handshake");
    send_raw(&mut s, &logon_bytes("CLIENT1", "GATEWAY")).await;
    let m = read_msg(&mut s).await.expect("Logon answer");
    assert_eq!(m.msg_type(), b"A");
    assert_eq!(m.get_str(56), Some("CLIENT1"));
    wait(&acc.handle, "logon", |s| s.logged_on).await;
}

#[tokio::test]
async fn duplicate_logon_is_closed_and_the_first_connection_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let stores = Arc::new(FileStoreFactory::new(
        dir.path().join("a"),
        FsyncPolicy::Never,
    ));
    let ini_stores = FileStoreFactory::new(dir.path().join("i"), FsyncPolicy::Never);
    let acfg = AcceptorConfig::new("127.0.0.1:0".parse().unwrap());
    let mut acc = start_acceptor(acfg, stores, "GATEWAY", "CLIENT1").await;
    let (ini, mut ini_rx) =
        start_engine_initiator(acc.addr, None, &ini_stores, "CLIENT1", "GATEWAY").await;
    wait(&ini, "logon", |s| s.logged_on).await;
    wait(&acc.handle, "logon", |s| s.logged_on).await;

    // A second connection claims the same session.
    let mut dup = TcpStream::connect(acc.addr).await.unwrap();
    send_raw(&mut dup, &logon_bytes("CLIENT1", "GATEWAY")).await;
    assert!(
        read_msg(&mut dup).await.is_none(),
        "duplicate closed unanswered"
    );

    // The first connection is untouched.
    assert!(ini.status().logged_on && acc.handle.status().logged_on);
    assert!(ini.send(order("AFTER-DUP")));
    let m = recv(&mut acc.rx).await;
    assert_eq!((m.get_str(11), m.seq_num()), (Some("AFTER-DUP"), Some(2)));
    assert!(acc.handle.send(order("BACK")));
    assert_eq!(recv(&mut ini_rx).await.get_str(11), Some("BACK"));
    ini.shutdown();
}

#[tokio::test]
async fn pending_logon_cap_and_logon_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let stores = Arc::new(FileStoreFactory::new(dir.path(), FsyncPolicy::Never));
    let mut acfg = AcceptorConfig::new("127.0.0.1:0".parse().unwrap());
    acfg.max_pending_logons = 2;
    acfg.logon_timeout = Duration::from_secs(2);
    let acc = start_acceptor(acfg, stores, "GATEWAY", "CLIENT1").await;

    // Two idle connections take both places...
    let started = tokio::time::Instant::now();
    let mut idle1 = TcpStream::connect(acc.addr).await.unwrap();
    let mut idle2 = TcpStream::connect(acc.addr).await.unwrap();
    // ...so a third, even with a valid Logon, is closed at once.
    let mut third = TcpStream::connect(acc.addr).await.unwrap();
    send_raw(&mut third, &logon_bytes("CLIENT1", "GATEWAY")).await;
    assert!(read_msg(&mut third).await.is_none(), "over the cap: closed");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "closed for the cap, not by the logon timeout"
    );
    assert!(!acc.handle.status().logged_on);

    // The idle ones are closed by the logon timeout.
    assert!(read_msg(&mut idle1).await.is_none());
    assert!(read_msg(&mut idle2).await.is_none());
    assert!(started.elapsed() >= Duration::from_secs(2));

    // Places are free again: a Logon gets through.
    let mut ok = TcpStream::connect(acc.addr).await.unwrap();
    send_raw(&mut ok, &logon_bytes("CLIENT1", "GATEWAY")).await;
    let m = read_msg(&mut ok).await.expect("Logon answer");
    assert_eq!(m.msg_type(), b"A");
    wait(&acc.handle, "logon", |s| s.logged_on).await;
}
