//! The running gateway: client sessions (acceptor, TCP/TLS), venue sessions
//! (initiators), and the OMS core task that owns all order state.
//!
//! Flow: a client session's application turns each order message into an
//! OMS event and hands it, without blocking, to the core task. The core
//! task takes every event queued, appends the batch to the journal (one
//! group commit) and only then applies it and routes the outputs: client
//! ExecutionReports and cancel rejects to the client's session, child
//! orders to venue sessions, copies to the drop-copy session. Venue
//! reports come back the same way. No lock is shared between sessions and
//! the core; every hand-off is a channel send that cannot block.

use crate::config::{GatewayConfig, JournalFsync};
use crate::fixmap;
use chrono::Utc;
use fix_engine::codec::Message;
use fix_engine::session::{
    standard_validator, AppContext, AppReject, Application, Role, Session, SessionConfig,
    SessionEvent,
};
use fix_engine::store::{
    FileStoreFactory, FsyncPolicy, PostgresStoreFactory, SessionKey, StoreFactory,
};
use fix_engine::transport::{
    start_initiator, Acceptor, AcceptorConfig, InitiatorConfig, RunningAcceptor, SessionHandle,
    SessionSpec,
};
use oms::events::EventKind;
use oms::{Event, Journal, JournaledOms, OmsConfig, Output, Symbol, Timestamp, VenueId};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

pub fn now_ts() -> Timestamp {
    Timestamp(Utc::now().timestamp_nanos_opt().unwrap_or_default())
}

/// Inputs of the core task.
pub enum CoreMsg {
    Event(Event),
    /// A human-readable summary of positions and P&L.
    Summary(oneshot::Sender<String>),
}

/// A running gateway.
pub struct Gateway {
    pub listeners: Vec<RunningAcceptor>,
    pub core: mpsc::UnboundedSender<CoreMsg>,
    pub venues: Vec<SessionHandle>,
    pub clients: Vec<SessionHandle>,
}

impl Gateway {
    /// Positions and P&L, from the core.
    pub async fn summary(&self) -> String {
        let (tx, rx) = oneshot::channel();
        if self.core.send(CoreMsg::Summary(tx)).is_err() {
            return "core stopped".into();
        }
        rx.await.unwrap_or_else(|_| "core stopped".into())
    }
}

/// Client session application: FIX -> OMS events.
struct ClientApp {
    session: String,
    accounts: Vec<String>,
    drop_copy: bool,
    core: mpsc::UnboundedSender<CoreMsg>,
}

impl Application for ClientApp {
    fn on_message(&mut self, ctx: &mut AppContext<'_>, msg: &Message) -> Result<(), AppReject> {
        if self.drop_copy {
            return Err(AppReject::UnsupportedMessageType);
        }
        let now = now_ts();
        match fixmap::client_event(&self.session, msg, &self.accounts) {
            Ok(kind) => {
                if self
                    .core
                    .send(CoreMsg::Event(Event::new(now, kind)))
                    .is_err()
                {
                    return Err(AppReject::Business {
                        reason: 4,
                        ref_tag: None,
                        text: "gateway is shutting down".into(),
                    });
                }
                Ok(())
            }
            Err(r) if r.tag == 35 => Err(AppReject::UnsupportedMessageType),
            // An order the gateway cannot take is rejected as an order,
            // with the reason, so the client's order book stays whole.
            Err(r) if msg.msg_type() == b"D" => {
                ctx.send(fixmap::edge_reject(msg, &r.text, now));
                Ok(())
            }
            Err(r) => Err(AppReject::Business {
                reason: 5,
                ref_tag: Some(r.tag),
                text: r.text,
            }),
        }
    }
}

/// Venue session application: venue reports -> OMS events.
struct VenueApp {
    venue: VenueId,
    core: mpsc::UnboundedSender<CoreMsg>,
}

impl Application for VenueApp {
    fn on_message(&mut self, _ctx: &mut AppContext<'_>, msg: &Message) -> Result<(), AppReject> {
        let now = now_ts();
        for kind in fixmap::venue_events(&self.venue, msg) {
            let _ = self.core.send(CoreMsg::Event(Event::new(now, kind)));
        }
        Ok(())
    }

    fn on_event(&mut self, _ctx: &mut AppContext<'_>, event: &SessionEvent) {
        let kind = match event {
            SessionEvent::LoggedOn { .. } => EventKind::VenueConnected {
                venue: self.venue.clone(),
            },
            SessionEvent::Disconnected { .. } => EventKind::VenueDisconnected {
                venue: self.venue.clone(),
            },
            _ => return,
        };
        let _ = self.core.send(CoreMsg::Event(Event::new(now_ts(), kind)));
    }
}

/// Starts everything the config describes.
pub async fn start(cfg: GatewayConfig) -> anyhow::Result<Gateway> {
    let (core_tx, core_rx) = mpsc::unbounded_channel();
    std::fs::create_dir_all(&cfg.gateway.data_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create data_dir {}: {e}",
            cfg.gateway.data_dir.display()
        )
    })?;
    let stores: Arc<dyn StoreFactory> = match &cfg.gateway.postgres_url {
        Some(url) => {
            Arc::new(PostgresStoreFactory::connect(url, &cfg.gateway.fix_store_schema()).await?)
        }
        None => Arc::new(FileStoreFactory::new(
            cfg.gateway.data_dir.join("fix"),
            FsyncPolicy::Never,
        )),
    };
    let me = cfg.gateway.comp_id.clone();

    // Client sessions, one acceptor per listener sharing the same sessions.
    let mut listeners = Vec::new();
    let mut clients = HashMap::new();
    let mut drop_copies = Vec::new();
    let mut client_handles = Vec::new();
    for (i, l) in cfg.listeners.iter().enumerate() {
        let addr: SocketAddr = format!("{}:{}", l.host, l.port).parse().map_err(|e| {
            anyhow::anyhow!("listener[{i}]: bad address {}:{}: {e}", l.host, l.port)
        })?;
        let mut acfg = AcceptorConfig::new(addr);
        if let Some(tls) = &l.tls {
            acfg.tls = Some(fix_engine::transport::tls::server_config(tls)?);
            acfg.bind_comp_id_to_certificate = tls.client_ca.is_some();
        }
        let acceptor = Acceptor::new(acfg, stores.clone());
        for c in &cfg.clients {
            // One session per client, reachable on every listener: the
            // first acceptor owns it; the others route to the same handle.
            let key = SessionKey::new(&c.begin_string, &me, &c.comp_id);
            let handle = if let Some(h) = clients
                .get(&c.comp_id)
                .map(|(h, _): &(SessionHandle, String)| h.clone())
            {
                acceptor.add_existing(h.clone());
                h
            } else {
                let mut scfg = SessionConfig::new(&c.begin_string, &me, &c.comp_id, Role::Acceptor);
                scfg.heartbeat_interval = Duration::from_secs(c.heartbeat_secs);
                let app = ClientApp {
                    session: c.comp_id.clone(),
                    accounts: c.accounts.clone(),
                    drop_copy: c.drop_copy,
                    core: core_tx.clone(),
                };
                let h = acceptor
                    .add_session(SessionSpec {
                        validator: standard_validator(&c.begin_string),
                        config: scfg,
                        app: Box::new(app),
                    })
                    .await?;
                client_handles.push(h.clone());
                h
            };
            debug_assert_eq!(handle.key, key);
            if c.drop_copy {
                drop_copies.push((handle.clone(), c.begin_string.clone()));
            }
            clients.insert(c.comp_id.clone(), (handle, c.begin_string.clone()));
        }
        listeners.push(
            acceptor
                .bind()
                .await
                .map_err(|e| anyhow::anyhow!("listener[{i}] {addr}: {e}"))?,
        );
    }

    // Venue sessions.
    let mut venues = HashMap::new();
    let mut venue_handles = Vec::new();
    let mut sent_to_venues = HashMap::new();
    for v in &cfg.venues {
        let mut scfg = SessionConfig::new(&v.begin_string, &me, &v.id, Role::Initiator);
        scfg.heartbeat_interval = Duration::from_secs(v.heartbeat_secs);
        let key = SessionKey::new(&v.begin_string, &me, &v.id);
        let mut store = stores.open(&key).await?;
        let seq = store.load(Utc::now()).await?;
        sent_to_venues.insert(
            v.id.clone(),
            sent_cl_ord_ids(store.as_mut(), seq.next_sender_seq).await?,
        );
        let session = Session::new(Arc::new(scfg), standard_validator(&v.begin_string), seq);
        let mut icfg = InitiatorConfig::new(v.hosts[0].clone());
        icfg.hosts = v.hosts.clone();
        icfg.reconnect_min = Duration::from_millis(200);
        let app = VenueApp {
            venue: VenueId::new(v.id.as_str()),
            core: core_tx.clone(),
        };
        let h = start_initiator(icfg, session, store, Box::new(app));
        venue_handles.push(h.clone());
        venues.insert(v.id.clone(), (h, v.begin_string.clone()));
    }

    let oms_cfg = OmsConfig {
        venues: cfg
            .venues
            .iter()
            .map(|v| VenueId::new(v.id.as_str()))
            .collect(),
        default_venues: cfg
            .instruments
            .iter()
            .map(|i| {
                (
                    Symbol::new(i.symbol.as_str()),
                    VenueId::new(i.venue.as_str()),
                )
            })
            .collect::<BTreeMap<_, _>>(),
        drop_copy: !drop_copies.is_empty(),
    };
    let checker = crate::checks::build_checker(&cfg)?;
    let router = Box::new(oms::DefaultRouter);
    let routes = Routes {
        clients,
        venues,
        drop_copies,
    };
    match &cfg.gateway.postgres_url {
        Some(url) => {
            let schema = cfg.gateway.journal_schema();
            let journal = oms::PgJournal::connect(url, Some(&schema)).await?;
            let oms = JournaledOms::open(oms_cfg, checker, router, journal).await?;
            route(&routes, unsent_venue_requests(oms.core(), &sent_to_venues));
            tokio::spawn(run_core(oms, core_rx, routes));
        }
        None => {
            let policy = match cfg.gateway.journal_fsync {
                JournalFsync::EveryBatch => oms::FsyncPolicy::Always,
                JournalFsync::Never => oms::FsyncPolicy::Never,
            };
            let journal = oms::FileJournal::open(cfg.gateway.data_dir.join("journal"), policy)?;
            let oms = JournaledOms::open(oms_cfg, checker, router, journal).await?;
            route(&routes, unsent_venue_requests(oms.core(), &sent_to_venues));
            tokio::spawn(run_core(oms, core_rx, routes));
        }
    }
    Ok(Gateway {
        listeners,
        core: core_tx,
        venues: venue_handles,
        clients: client_handles,
    })
}

/// ClOrdIDs (11) of the orders, cancels and replaces a venue session has
/// stored as sent. The session stores a message before it writes it, so
/// the venue has these or gets them by resend after the next logon.
async fn sent_cl_ord_ids(
    store: &mut dyn fix_engine::store::MessageStore,
    next_sender_seq: u64,
) -> anyhow::Result<HashSet<String>> {
    let mut out = HashSet::new();
    if next_sender_seq > 1 {
        for (_, bytes) in store.get_sent(1, next_sender_seq - 1).await? {
            if let Ok(m) = Message::parse(bytes.into()) {
                if matches!(m.msg_type(), b"D" | b"F" | b"G") {
                    if let Some(id) = m.get_str(11) {
                        out.insert(id.to_owned());
                    }
                }
            }
        }
    }
    Ok(out)
}

/// After a restart: venue requests the recovered OMS state says were sent
/// (the journal records the event before its outputs are routed) but that
/// never reached the venue session's store, because the process died in
/// between. Without sending them again those orders would stay PendingNew
/// (or PendingCancel / PendingReplace) for ever.
fn unsent_venue_requests(
    core: &oms::OmsCore,
    sent: &HashMap<String, HashSet<String>>,
) -> Vec<Output> {
    use oms::order::ChangeKind;
    use oms::outputs::{VenueCancel, VenueNewOrder, VenueReplace};
    let mut out = Vec::new();
    for p in core.state().orders.values() {
        for c in &p.children {
            let Some(sent) = sent.get(c.venue.as_str()) else {
                continue;
            };
            if c.status.is_terminal() {
                continue;
            }
            if c.status == oms::OrdStatus::PendingNew
                && c.venue_order_id.is_none()
                && !sent.contains(c.cl_ord_id.as_str())
            {
                out.push(Output::VenueNew(VenueNewOrder {
                    venue: c.venue.clone(),
                    cl_ord_id: c.cl_ord_id.clone(),
                    parent: p.order_id.clone(),
                    account: p.account.clone(),
                    symbol: p.symbol.clone(),
                    side: p.side,
                    qty: c.qty,
                    ord_type: p.ord_type,
                    price: c.price,
                    tif: p.tif,
                }));
                continue;
            }
            match &c.pending {
                Some((req, _)) if sent.contains(req.as_str()) => {}
                Some((req, ChangeKind::Cancel)) => out.push(Output::VenueCancel(VenueCancel {
                    venue: c.venue.clone(),
                    cl_ord_id: req.clone(),
                    orig_cl_ord_id: c.cl_ord_id.clone(),
                    venue_order_id: c.venue_order_id.clone(),
                    account: p.account.clone(),
                    symbol: p.symbol.clone(),
                    side: p.side,
                    qty: c.qty,
                })),
                Some((req, ChangeKind::Replace { qty, price, .. })) => {
                    out.push(Output::VenueReplace(VenueReplace {
                        venue: c.venue.clone(),
                        cl_ord_id: req.clone(),
                        orig_cl_ord_id: c.cl_ord_id.clone(),
                        venue_order_id: c.venue_order_id.clone(),
                        account: p.account.clone(),
                        symbol: p.symbol.clone(),
                        side: p.side,
                        qty: *qty,
                        ord_type: p.ord_type,
                        price: *price,
                        tif: p.tif,
                    }))
                }
                None => {}
            }
        }
    }
    if !out.is_empty() {
        tracing::warn!(
            count = out.len(),
            "sending venue requests recovered from the journal that never reached a venue session"
        );
    }
    out
}

struct Routes {
    clients: HashMap<String, (SessionHandle, String)>,
    venues: HashMap<String, (SessionHandle, String)>,
    drop_copies: Vec<(SessionHandle, String)>,
}

/// The single writer.
async fn run_core<J: Journal>(
    mut oms: JournaledOms<J>,
    mut rx: mpsc::UnboundedReceiver<CoreMsg>,
    routes: Routes,
) {
    let mut batch = Vec::with_capacity(512);
    let mut queries = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                CoreMsg::Event(e) => batch.push(e),
                CoreMsg::Summary(tx) => queries.push(tx),
            }
            if batch.len() < 1024 {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let events = std::mem::take(&mut batch);
            match oms.handle(events).await {
                Ok(outputs) => route(&routes, outputs),
                Err(e) => {
                    // Nothing is acknowledged without its journal record:
                    // stop taking orders rather than lose one.
                    tracing::error!(error = %e, "journal append failed; the OMS stops accepting events");
                    break;
                }
            }
        }
        for q in queries.drain(..) {
            let _ = q.send(summary(oms.core()));
        }
    }
}

fn route(r: &Routes, outputs: Vec<Output>) {
    let now = now_ts();
    for o in outputs {
        match o {
            Output::ExecReport(er) => {
                if let Some((h, b)) = r.clients.get(&*er.session) {
                    h.send(fixmap::exec_report(&er, b));
                }
            }
            Output::CancelReject(cr) => {
                if let Some((h, _)) = r.clients.get(&*cr.session) {
                    h.send(fixmap::cancel_reject(&cr));
                }
            }
            Output::VenueNew(v) => {
                if let Some((h, _)) = r.venues.get(v.venue.as_str()) {
                    h.send(fixmap::venue_new(&v, now));
                }
            }
            Output::VenueCancel(v) => {
                if let Some((h, _)) = r.venues.get(v.venue.as_str()) {
                    h.send(fixmap::venue_cancel(&v, now));
                }
            }
            Output::VenueReplace(v) => {
                if let Some((h, _)) = r.venues.get(v.venue.as_str()) {
                    h.send(fixmap::venue_replace(&v, now));
                }
            }
            Output::DropCopy(er) => {
                for (h, b) in &r.drop_copies {
                    h.send(fixmap::exec_report(&er, b));
                }
            }
            Output::Alert(a) => tracing::warn!(kind = ?a.kind, text = %a.text, "alert"),
        }
    }
}

fn summary(core: &oms::OmsCore) -> String {
    let p = core.portfolio();
    let mut s = String::new();
    for (acc, a) in p.accounts() {
        let pnl = p.pnl(acc);
        s.push_str(&format!(
            "account {acc}: cash {} (settled {}), realised P&L {}, unrealised P&L {}\n",
            a.cash.round_dp(2),
            a.settled_cash.round_dp(2),
            pnl.realised.round_dp(2),
            pnl.unrealised.round_dp(2)
        ));
        for (sym, pos) in &a.positions {
            s.push_str(&format!(
                "  {sym}: position {} (settled {}), average cost {}\n",
                pos.qty,
                pos.settled_qty,
                pos.avg_cost.round_dp(4)
            ));
        }
    }
    s
}
