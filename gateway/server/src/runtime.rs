//! The running gateway: client sessions (acceptor, TCP/TLS), venue sessions
//! (initiators), and the OMS core task that owns all order state.
//!
//! Flow: a client session's application turns each order message into an
//! OMS event and hands it, without blocking, to the core task. The core
//! task takes every event queued, appends the batch to the journal (one
//! group commit) and only then applies it and routes the outputs: client
//! ExecutionReports and cancel rejects to the client's session, child
//! orders to venue sessions, copies to the drop-copy session. Venue
//! reports come back the same way (trade corrections and busts included).
//! No lock is shared between sessions and the core; every hand-off is a
//! channel send that cannot block.
//!
//! Beside the sessions: the market data task ([`market_data`]: venue
//! snapshots and updates in, conflated quote and mark events to the core)
//! and the settlement job ([`settlement`]: the venues' clearing records
//! in, one `Settle` event per due date). Both decide with the clock
//! outside the core; the core sees only the events they send, journaled
//! like any other, so a replay reaches the same state.
//!
//! At start, before any session runs, `recovery` matches the journal
//! against every FIX session's store (delivery cursors, inbound sequence)
//! and sends what a crash kept from the sessions.

pub mod market_data;
pub(crate) mod recovery;
pub mod settlement;

use crate::config::{GatewayConfig, JournalFsync};
use crate::fixmap;
use chrono::Utc;
use fix_engine::codec::Message;
use fix_engine::codec::MessageBuilder;
use fix_engine::session::{
    lenient_enum_validator, standard_validator, AppContext, AppReject, Application, Role, Session,
    SessionConfig, SessionEvent,
};
use fix_engine::store::{
    FileStoreFactory, FsyncPolicy, PostgresStoreFactory, SessionKey, StoreFactory,
};
use fix_engine::transport::{
    start_initiator, Acceptor, AcceptorConfig, InitiatorConfig, RunningAcceptor, SessionHandle,
    SessionSpec,
};
use oms::events::EventKind;
use oms::{
    Addressed, Event, Journal, JournaledOms, OmsConfig, Output, Recipient, Symbol, Timestamp,
    VenueId,
};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

pub fn now_ts() -> Timestamp {
    Timestamp(Utc::now().timestamp_nanos_opt().unwrap_or_default())
}

/// A read-only look at the core's state, run inside the core task.
pub type Inspect = Box<dyn FnOnce(&oms::OmsCore) + Send>;

/// Inputs of the core task.
pub enum CoreMsg {
    Event(Event),
    /// A human-readable summary of positions and P&L.
    Summary(oneshot::Sender<String>),
    /// Runs against the core's state once every event sent before it is
    /// applied (operators' queries, the settlement job, tests).
    Inspect(Inspect),
    /// One event applied on its own (its own journal append), its
    /// outputs routed as usual and also handed back.
    Apply(Event, oneshot::Sender<Vec<Output>>),
    /// Stop after what is queued before this (answered once the journal
    /// is closed).
    Stop(oneshot::Sender<()>),
}

/// A running gateway.
pub struct Gateway {
    pub listeners: Vec<RunningAcceptor>,
    pub core: mpsc::UnboundedSender<CoreMsg>,
    pub venues: Vec<SessionHandle>,
    pub clients: Vec<SessionHandle>,
    /// The market data task, if any venue has market data.
    pub market_data: Option<mpsc::UnboundedSender<market_data::MdMsg>>,
    /// The settlement job, if any venue has a clearing source (it also
    /// runs by itself: at start and every `[settlement] interval_secs`).
    pub settlement: Option<Arc<settlement::SettlementJob>>,
    /// The core task and the settlement job's timer.
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Gateway {
    /// Positions and P&L, from the core, at the latest marks (market data
    /// held back by conflation is sent to the core first).
    pub async fn summary(&self) -> String {
        if let Some(md) = &self.market_data {
            let (tx, rx) = oneshot::channel();
            if md.send(market_data::MdMsg::Flush(tx)).is_ok() {
                let _ = rx.await;
            }
        }
        let (tx, rx) = oneshot::channel();
        if self.core.send(CoreMsg::Summary(tx)).is_err() {
            return "core stopped".into();
        }
        rx.await.unwrap_or_else(|_| "core stopped".into())
    }

    /// Stops everything (the in-process equivalent of a process exit with
    /// a clean logout): listeners, the settlement job's timer, every FIX
    /// session (Logout, then the task ends and its store is closed), then
    /// the core after the events already queued (the journal is closed).
    /// The same configuration can then be started again on the same data.
    pub async fn stop(mut self) {
        for l in &self.listeners {
            l.join.abort();
        }
        let core_task = if self.tasks.is_empty() {
            None
        } else {
            Some(self.tasks.remove(0))
        };
        for t in &self.tasks {
            t.abort();
        }
        let sessions: Vec<SessionHandle> =
            self.clients.iter().chain(&self.venues).cloned().collect();
        for h in &sessions {
            h.shutdown();
        }
        for h in &sessions {
            // The status channel closes when the session task ends.
            if tokio::time::timeout(Duration::from_secs(10), h.wait_for(|_| false))
                .await
                .is_err()
            {
                tracing::warn!(session = %h.key, "session did not stop within 10 s");
            }
        }
        let (tx, rx) = oneshot::channel();
        if self.core.send(CoreMsg::Stop(tx)).is_ok() {
            let _ = rx.await;
        }
        if let Some(t) = core_task {
            let _ = t.await;
        }
    }

    /// Runs `f` on the core's state after every event sent so far is
    /// applied; `None` if the core has stopped.
    pub async fn inspect<R: Send + 'static>(
        &self,
        f: impl FnOnce(&oms::OmsCore) -> R + Send + 'static,
    ) -> Option<R> {
        inspect(&self.core, f).await
    }
}

/// [`Gateway::inspect`] through a core sender.
pub async fn inspect<R: Send + 'static>(
    core: &mpsc::UnboundedSender<CoreMsg>,
    f: impl FnOnce(&oms::OmsCore) -> R + Send + 'static,
) -> Option<R> {
    let (tx, rx) = oneshot::channel();
    let job: Inspect = Box::new(move |c| {
        let _ = tx.send(f(c));
    });
    core.send(CoreMsg::Inspect(job)).ok()?;
    rx.await.ok()
}

/// Applies `ev` on its own and returns its outputs; `None` if the core
/// has stopped (or its journal failed).
pub async fn apply(core: &mpsc::UnboundedSender<CoreMsg>, ev: Event) -> Option<Vec<Output>> {
    let (tx, rx) = oneshot::channel();
    core.send(CoreMsg::Apply(ev, tx)).ok()?;
    rx.await.ok()
}

/// Where `msg` sits in its session, for the journal: the session key,
/// the start of its current sequence (UTC microseconds) and the MsgSeqNum.
fn inbound(key: &Arc<str>, ctx: &AppContext<'_>, msg: &Message) -> oms::SourcePos {
    oms::SourcePos {
        stream: key.clone(),
        epoch: ctx.seq_epoch().timestamp_micros(),
        pos: msg.seq_num().unwrap_or(0),
    }
}

/// Client session application: FIX -> OMS events.
struct ClientApp {
    session: String,
    /// The FIX session key, named in journaled events' `source`.
    key: Arc<str>,
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
                let ev = Event::new(now, kind).from_source(inbound(&self.key, ctx, msg));
                if self.core.send(CoreMsg::Event(ev)).is_err() {
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

/// Venue session application: venue reports -> OMS events; market data
/// -> the market data task (see [`market_data`]).
struct VenueApp {
    venue: VenueId,
    /// The FIX session key, named in journaled events' `source`.
    key: Arc<str>,
    core: mpsc::UnboundedSender<CoreMsg>,
    /// Subscribed at every logon when market data is on.
    md_symbols: Vec<String>,
    md: Option<mpsc::UnboundedSender<market_data::MdMsg>>,
}

impl Application for VenueApp {
    fn on_message(&mut self, ctx: &mut AppContext<'_>, msg: &Message) -> Result<(), AppReject> {
        match msg.msg_type() {
            b"W" | b"X" => {
                if let (Some(md), Some(update)) = (&self.md, fixmap::market_data(msg)) {
                    let _ = md.send(market_data::MdMsg::Update(market_data::MdInput {
                        venue: self.venue.clone(),
                        update,
                        source: inbound(&self.key, ctx, msg),
                    }));
                }
                return Ok(());
            }
            b"Y" => {
                let req = msg.get_str(262).unwrap_or("");
                let text = msg.get_str(58).unwrap_or("");
                // A duplicate MDReqID: the venue still has (or got again
                // by a resend) the subscription this logon asked for.
                if msg.get(281) == Some(b"1") {
                    tracing::debug!(venue = %self.venue, req, text, "market data already subscribed");
                } else {
                    tracing::warn!(venue = %self.venue, req, text, "venue refused a market data request");
                }
                return Ok(());
            }
            _ => {}
        }
        let now = now_ts();
        for kind in fixmap::venue_events(&self.venue, msg) {
            let ev = Event::new(now, kind).from_source(inbound(&self.key, ctx, msg));
            let _ = self.core.send(CoreMsg::Event(ev));
        }
        Ok(())
    }

    fn on_event(&mut self, ctx: &mut AppContext<'_>, event: &SessionEvent) {
        let kind = match event {
            SessionEvent::LoggedOn { .. } => {
                if self.md.is_some() {
                    for s in &self.md_symbols {
                        ctx.send(fixmap::md_request(s));
                    }
                }
                EventKind::VenueConnected {
                    venue: self.venue.clone(),
                }
            }
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

    // Every FIX session's store, opened before the sessions run: what
    // each holds of its delivery stream and of its inbound sequence is
    // matched against the journal (see `recovery`).
    let mut opened = Vec::new();
    for c in &cfg.clients {
        let key = SessionKey::new(&c.begin_string, &me, &c.comp_id);
        let to = if c.drop_copy {
            Recipient::DropCopy
        } else {
            Recipient::Client(c.comp_id.as_str().into())
        };
        opened.push(recovery::OpenedStore::open(stores.as_ref(), key, to).await?);
    }
    for v in &cfg.venues {
        let key = SessionKey::new(&v.begin_string, &me, &v.id);
        let to = Recipient::Venue(VenueId::new(v.id.as_str()));
        opened.push(recovery::OpenedStore::open(stores.as_ref(), key, to).await?);
    }

    // The core, recovered from the journal.
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
        drop_copy: cfg.clients.iter().any(|c| c.drop_copy),
    };
    let checker = crate::checks::build_checker(&cfg)?;
    let router = Box::new(oms::DefaultRouter);
    let journal: Box<dyn Journal + Sync> = match &cfg.gateway.postgres_url {
        Some(url) => {
            let schema = cfg.gateway.journal_schema();
            Box::new(oms::PgJournal::connect(url, Some(&schema)).await?)
        }
        None => {
            let policy = match cfg.gateway.journal_fsync {
                JournalFsync::EveryBatch => oms::FsyncPolicy::Always,
                JournalFsync::Never => oms::FsyncPolicy::Never,
            };
            Box::new(oms::FileJournal::open(
                cfg.gateway.data_dir.join("journal"),
                policy,
            )?)
        }
    };
    let recovery::Recovered { oms, owed } =
        recovery::recover(oms_cfg, checker, router, journal, &mut opened).await?;
    let mut owed: Vec<(recovery::OpenedStore, Vec<Addressed>)> =
        opened.into_iter().zip(owed).collect();
    let venue_stores = owed.split_off(cfg.clients.len());
    // The acceptor opens the client stores itself.
    let client_owed: Vec<(SessionKey, Vec<Addressed>)> =
        owed.into_iter().map(|(s, o)| (s.key, o)).collect();

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
                    key: key.to_string().into(),
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

    // Venue sessions, and the market data task they feed.
    let md = cfg.venues.iter().any(|v| v.market_data).then(|| {
        market_data::spawn(
            market_data::MarketData::new(
                Duration::from_millis(cfg.gateway.market_data_conflate_ms),
                Duration::from_millis(cfg.gateway.mark_trade_max_age_ms),
            ),
            core_tx.clone(),
        )
    });
    let mut venues = HashMap::new();
    let mut venue_handles = Vec::new();
    let mut venue_owed = Vec::new();
    for (v, (opened, o)) in cfg.venues.iter().zip(venue_stores) {
        let recovery::OpenedStore {
            key, store, seq, ..
        } = opened;
        let mut scfg = SessionConfig::new(&v.begin_string, &me, &v.id, Role::Initiator);
        scfg.heartbeat_interval = Duration::from_secs(v.heartbeat_secs);
        // A venue's ExecutionReport refused at session level would leave
        // its order unknown to the OMS: venue sessions take enumerated
        // values their dictionary does not list (a later version's
        // OrdRejReason, a venue's own); fixmap reads what it needs.
        let session = Session::new(Arc::new(scfg), lenient_enum_validator(&v.begin_string), seq);
        let mut icfg = InitiatorConfig::new(v.hosts[0].clone());
        icfg.hosts = v.hosts.clone();
        icfg.reconnect_min = Duration::from_millis(200);
        let app = VenueApp {
            venue: VenueId::new(v.id.as_str()),
            key: key.to_string().into(),
            core: core_tx.clone(),
            md_symbols: cfg
                .instruments
                .iter()
                .filter(|i| i.venue == v.id)
                .map(|i| i.symbol.clone())
                .collect(),
            md: md.clone().filter(|_| v.market_data),
        };
        let h = start_initiator(icfg, session, store, Box::new(app));
        venue_owed.push(((h.clone(), v.begin_string.clone()), o));
        venue_handles.push(h.clone());
        venues.insert(v.id.clone(), (h, v.begin_string.clone()));
    }

    let routes = Routes {
        clients,
        venues,
        drop_copies,
    };
    // What the journal holds but the stores never got, before anything new.
    let now = now_ts();
    for (key, o) in client_owed {
        if let Some((h, b)) = routes.clients.values().find(|(h, _)| h.key == key) {
            for a in &o {
                if let Some(m) = to_fix(a, b, now) {
                    h.send(m);
                }
            }
        }
    }
    for ((h, b), o) in venue_owed {
        for a in &o {
            if let Some(m) = to_fix(a, &b, now) {
                h.send(m);
            }
        }
    }
    let mut tasks = vec![tokio::spawn(run_core(oms, core_rx, routes))];
    let settlement = settlement::SettlementJob::from_config(&cfg, core_tx.clone())?.map(Arc::new);
    if let Some(job) = &settlement {
        tasks.push(job.clone().spawn_periodic(
            cfg.settlement.run_at_start,
            Duration::from_secs(cfg.settlement.interval_secs),
        ));
    }
    Ok(Gateway {
        listeners,
        core: core_tx,
        venues: venue_handles,
        clients: client_handles,
        market_data: md,
        settlement,
        tasks,
    })
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
    let mut inspects: Vec<Inspect> = Vec::new();
    let mut stop = None;
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        let mut single = None;
        while let Some(msg) = next.take() {
            match msg {
                CoreMsg::Event(e) => batch.push(e),
                CoreMsg::Summary(tx) => queries.push(tx),
                CoreMsg::Inspect(f) => inspects.push(f),
                CoreMsg::Apply(e, tx) => {
                    // Applied after the batch before it, on its own.
                    single = Some((e, tx));
                    break;
                }
                CoreMsg::Stop(tx) => {
                    stop = Some(tx);
                    break;
                }
            }
            if batch.len() < 1024 {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let events = std::mem::take(&mut batch);
            match oms.handle_addressed(events).await {
                Ok(outputs) => route(&routes, outputs),
                Err(e) => {
                    // Nothing is acknowledged without its journal record:
                    // stop taking orders rather than lose one.
                    tracing::error!(error = %e, "journal append failed; the OMS stops accepting events");
                    break;
                }
            }
        }
        if let Some((e, tx)) = single {
            match oms.handle_addressed(vec![e]).await {
                Ok(outputs) => {
                    let _ = tx.send(outputs.iter().map(|a| a.output.clone()).collect());
                    route(&routes, outputs);
                }
                Err(e) => {
                    tracing::error!(error = %e, "journal append failed; the OMS stops accepting events");
                    break;
                }
            }
        }
        for q in queries.drain(..) {
            let _ = q.send(summary(oms.core()));
        }
        for f in inspects.drain(..) {
            f(oms.core());
        }
        if let Some(tx) = stop.take() {
            drop(oms);
            let _ = tx.send(());
            return;
        }
    }
}

fn route(r: &Routes, outputs: Vec<Addressed>) {
    let now = now_ts();
    for a in outputs {
        let to = match &a.output {
            Output::ExecReport(er) => r.clients.get(&*er.session),
            Output::CancelReject(cr) => r.clients.get(&*cr.session),
            Output::VenueNew(v) => r.venues.get(v.venue.as_str()),
            Output::VenueCancel(v) => r.venues.get(v.venue.as_str()),
            Output::VenueReplace(v) => r.venues.get(v.venue.as_str()),
            Output::DropCopy(_) => {
                for (h, b) in &r.drop_copies {
                    if let Some(m) = to_fix(&a, b, now) {
                        h.send(m);
                    }
                }
                continue;
            }
            Output::Alert(al) => {
                tracing::warn!(kind = ?al.kind, text = %al.text, "alert");
                continue;
            }
        };
        if let Some((h, b)) = to {
            if let Some(m) = to_fix(&a, b, now) {
                h.send(m);
            }
        }
    }
}

/// The FIX message for `a` on a session of `begin_string`, tagged with its
/// delivery number (stored with it by the session, see `recovery`);
/// `None` for an alert.
fn to_fix(a: &Addressed, begin_string: &str, now: Timestamp) -> Option<MessageBuilder> {
    let m = match &a.output {
        Output::ExecReport(er) | Output::DropCopy(er) => fixmap::exec_report(er, begin_string),
        Output::CancelReject(cr) => fixmap::cancel_reject(cr),
        Output::VenueNew(v) => fixmap::venue_new(v, now),
        Output::VenueCancel(v) => fixmap::venue_cancel(v, now),
        Output::VenueReplace(v) => fixmap::venue_replace(v, now),
        Output::Alert(_) => return None,
    };
    Some(match &a.delivery {
        Some(d) => m.with_delivery(d.no),
        None => m,
    })
}

/// Positions and P&L per account (unrealised P&L at the marks; a
/// position without a mark counts at cost), then the marks and each
/// venue's top of book as the core knows them.
pub fn summary(core: &oms::OmsCore) -> String {
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
            let mark = match p.mark(sym) {
                Some(m) => format!("mark {m}"),
                None => "no mark (valued at cost)".to_owned(),
            };
            s.push_str(&format!(
                "  {sym}: position {} (settled {}), average cost {}, {mark}\n",
                pos.qty,
                pos.settled_qty,
                pos.avg_cost.round_dp(4)
            ));
        }
    }
    let quotes = &core.state().quotes;
    if !quotes.is_empty() {
        s.push_str("market (mark; venue bid / offer)\n");
        for (sym, by_venue) in quotes {
            let mark = p.mark(sym).map_or("none".to_owned(), |m| m.to_string());
            let side = |x: Option<(oms::Px, oms::Qty)>| {
                x.map_or("-".to_owned(), |(px, q)| format!("{q} @ {px}"))
            };
            let venues: Vec<String> = by_venue
                .iter()
                .map(|(v, q)| format!("{v} {} / {}", side(q.bid), side(q.ask)))
                .collect();
            s.push_str(&format!("- {sym}: mark {mark}; {}\n", venues.join("; ")));
        }
    }
    s
}
