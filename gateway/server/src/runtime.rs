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
//! This module is the wiring ([`start`], [`Gateway`]) and, for now, the
//! crash recovery that matches the journal against the session stores.
//! The parts, by job:
//!
//! - [`sessions`]: the session adapters (FIX applications of client and
//!   venue sessions: messages in, events to the core);
//! - [`core_task`]: the single writer (batching, journal, routing the
//!   outputs as FIX) and its progress signal;
//! - [`summary`]: the typed positions summary and its text;
//! - [`market_data`] and [`settlement`], below.
//!
//! Beside the sessions: the market data task ([`market_data`]: venue
//! snapshots and updates in, conflated quote and mark events to the core)
//! and the settlement job ([`settlement`]: the venues' clearing records
//! in, one `Settle` event per due date). Both decide with the clock
//! outside the core; the core sees only the events they send, journaled
//! like any other, so a replay reaches the same state.

pub mod core_task;
pub mod market_data;
mod sessions;
pub mod settlement;
pub mod summary;

pub use core_task::{apply, inspect, now_ts, CoreMsg, CoreProgress, Inspect};
pub use summary::Summary;

use crate::clearing::ClearingSource;
use crate::config::{GatewayConfig, JournalFsync};
use crate::fixmap;
use chrono::Utc;
use core_task::{route, run_core, Routes};
use fix_engine::codec::Message;
use fix_engine::session::{
    lenient_enum_validator, standard_validator, Role, Session, SessionConfig,
};
use fix_engine::store::{
    FileStoreFactory, FsyncPolicy, MessageStore, PostgresStoreFactory, SeqState, SessionKey,
    StoreFactory,
};
use fix_engine::transport::{
    start_initiator, Acceptor, AcceptorConfig, InitiatorConfig, RunningAcceptor, SessionHandle,
    SessionSpec,
};
use oms::{Event, Journal, JournaledOms, OmsConfig, Output, Symbol, Timestamp, VenueId};
use sessions::{ClientApp, VenueApp};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

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
    /// The core task's progress (see [`CoreProgress`]).
    progress: watch::Receiver<CoreProgress>,
    /// The core task and the settlement job's timer.
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Gateway {
    /// Positions and P&L, from the core, at the latest marks (market data
    /// held back by conflation is sent to the core first); `None` if the
    /// core has stopped.
    pub async fn snapshot(&self) -> Option<Summary> {
        if let Some(md) = &self.market_data {
            let (tx, rx) = oneshot::channel();
            if md.send(market_data::MdMsg::Flush(tx)).is_ok() {
                let _ = rx.await;
            }
        }
        let (tx, rx) = oneshot::channel();
        self.core.send(CoreMsg::Summary(tx)).ok()?;
        rx.await.ok()
    }

    /// [`Gateway::snapshot`] as text (what the demo prints).
    pub async fn summary(&self) -> String {
        match self.snapshot().await {
            Some(s) => s.to_string(),
            None => "core stopped".into(),
        }
    }

    /// The core's progress, updated after every batch it applies: wait on
    /// `changed()` for events to take effect, then look (see
    /// [`Gateway::snapshot`], [`Gateway::inspect`]).
    pub fn progress(&self) -> watch::Receiver<CoreProgress> {
        self.progress.clone()
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

/// What a caller adds to a config that a TOML file cannot say.
#[derive(Default)]
pub struct StartOptions {
    /// Clearing sources per venue id, besides those the config names
    /// (the demo reads its in-process sim venues' clearing directly).
    pub clearing: HashMap<String, Vec<Arc<dyn ClearingSource>>>,
}

/// Starts everything the config describes.
pub async fn start(cfg: GatewayConfig) -> anyhow::Result<Gateway> {
    start_with(cfg, StartOptions::default()).await
}

/// [`start`] with what the config cannot say.
pub async fn start_with(cfg: GatewayConfig, opts: StartOptions) -> anyhow::Result<Gateway> {
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

    // What each FIX session's store holds, read before the journal is
    // replayed: which core reports reached each client session, which
    // requests reached each venue session.
    let mut client_stores = Vec::new();
    let mut tails = HashMap::new();
    for c in &cfg.clients {
        let key = SessionKey::new(&c.begin_string, &me, &c.comp_id);
        let mut store = stores.open(&key).await?;
        let seq = store.load(Utc::now()).await?;
        tails.insert(
            c.comp_id.clone(),
            SessionTail::read(store.as_mut(), seq, c.drop_copy).await?,
        );
        client_stores.push((key, store, seq));
    }
    let mut venue_stores = Vec::new();
    let mut sent_to_venues = HashMap::new();
    for v in &cfg.venues {
        let key = SessionKey::new(&v.begin_string, &me, &v.id);
        let mut store = stores.open(&key).await?;
        let seq = store.load(Utc::now()).await?;
        sent_to_venues.insert(
            v.id.clone(),
            sent_cl_ord_ids(store.as_mut(), seq.next_sender_seq).await?,
        );
        venue_stores.push((key, store, seq));
    }

    // The core, recovered from the journal. The replay's client-bound
    // outputs are matched against the session stores: a report the
    // journal implies but no store holds was lost between the journal
    // write and the session (kill -9 in between) and is sent now.
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
    let oms = JournaledOms::open_replaying(oms_cfg, checker, router, journal, &mut |ev, o| {
        see_replayed(&mut tails, ev, o)
    })
    .await?;

    // Inbound: a session's store counts a message received as soon as the
    // session has handed it on; the journal says which ones the core made
    // durable. Resume each session after the last journaled one, so the
    // counterparty resends the rest (PossDupFlag=Y) instead of losing it.
    for (key, store, seq) in client_stores
        .iter_mut()
        .chain(venue_stores.iter_mut())
        .map(|(k, s, q)| (&*k, s, q))
    {
        rewind_inbound(oms.core(), key, store.as_mut(), seq).await?;
    }
    // The acceptor opens the client stores itself.
    drop(client_stores);

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
    for (v, (key, store, seq)) in cfg.venues.iter().zip(venue_stores) {
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
        venue_handles.push(h.clone());
        venues.insert(v.id.clone(), (h, v.begin_string.clone()));
    }

    let routes = Routes {
        clients,
        venues,
        drop_copies,
    };
    redeliver(&routes, tails);
    route(&routes, unsent_venue_requests(oms.core(), &sent_to_venues));
    let (progress_tx, progress) = watch::channel(CoreProgress::default());
    let mut tasks = vec![tokio::spawn(run_core(oms, core_rx, routes, progress_tx))];
    let settlement = settlement::SettlementJob::from_config(&cfg, &opts.clearing, core_tx.clone())?
        .map(Arc::new);
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
        progress,
        tasks,
    })
}

/// Resume `key`'s inbound sequence after the last message whose event the
/// journal holds, if the store got further (see [`oms::OmsState::inbound`]).
async fn rewind_inbound(
    core: &oms::OmsCore,
    key: &SessionKey,
    store: &mut dyn MessageStore,
    seq: &mut SeqState,
) -> anyhow::Result<()> {
    let epoch_us = seq.creation_time.timestamp_micros();
    let last = match core.state().inbound.get(key.to_string().as_str()) {
        Some(j) if j.epoch_us == epoch_us => j.seq,
        Some(j) if j.epoch_us > epoch_us => {
            tracing::warn!(session = %key, "the journal knows a later sequence than the FIX store; inbound sequence left as stored");
            return Ok(());
        }
        // Nothing journaled from this sequence (a new session, or a reset
        // since): every message of it is in doubt.
        _ => 0,
    };
    if seq.next_target_seq > last + 1 {
        tracing::warn!(
            session = %key,
            stored = seq.next_target_seq,
            journaled = last + 1,
            "inbound messages were received but not journaled before the last stop; the counterparty will resend them"
        );
        store.set_next_target_seq(last + 1).await?;
        store.flush().await?;
        seq.next_target_seq = last + 1;
    }
    Ok(())
}

/// The end of a client (or drop-copy) session's store as the recovery
/// needs it, and the core reports a replay produced for that session that
/// the store does not hold.
struct SessionTail {
    drop_copy: bool,
    /// Start of the session's current sequence: reports from earlier
    /// events belong to an earlier sequence and are not sent again.
    epoch: Timestamp,
    /// The highest core ExecID number ("E{n}") the store holds.
    last_exec: u64,
    /// OrderCancelRejects stored after that report.
    cancel_rejects_after: usize,
    /// Replayed outputs after the last stored report, in order.
    pending: Vec<Output>,
}

impl SessionTail {
    /// Reads the store backwards to the last core ExecutionReport.
    async fn read(
        store: &mut dyn MessageStore,
        seq: SeqState,
        drop_copy: bool,
    ) -> anyhow::Result<SessionTail> {
        let mut t = SessionTail {
            drop_copy,
            epoch: Timestamp(seq.creation_time.timestamp_nanos_opt().unwrap_or_default()),
            last_exec: 0,
            cancel_rejects_after: 0,
            pending: Vec::new(),
        };
        let mut end = seq.next_sender_seq.saturating_sub(1);
        while end >= 1 {
            let begin = end.saturating_sub(511).max(1);
            for stored in store.get_sent(begin, end).await?.into_iter().rev() {
                let Ok(m) = Message::parse(stored.raw.into()) else {
                    continue;
                };
                match m.msg_type() {
                    b"9" => t.cancel_rejects_after += 1,
                    b"8" => {
                        if let Some(n) = m.get_str(17).and_then(oms::core_exec_number) {
                            t.last_exec = n;
                            return Ok(t);
                        }
                    }
                    _ => {}
                }
            }
            end = begin - 1;
        }
        Ok(t)
    }
}

/// One replayed output, matched against the session tails.
fn see_replayed(tails: &mut HashMap<String, SessionTail>, ev: &Event, o: &Output) {
    let see = |t: &mut SessionTail, exec: Option<&oms::types::ExecId>| {
        if ev.ts < t.epoch {
            return;
        }
        match exec.and_then(|e| oms::core_exec_number(e.as_str())) {
            Some(n) if n <= t.last_exec => t.pending.clear(),
            _ => t.pending.push(o.clone()),
        }
    };
    match o {
        Output::ExecReport(er) => {
            if let Some(t) = tails.get_mut(&*er.session) {
                see(t, Some(&er.exec_id));
            }
        }
        Output::CancelReject(cr) => {
            if let Some(t) = tails.get_mut(&*cr.session) {
                see(t, None);
            }
        }
        Output::DropCopy(er) => {
            for t in tails.values_mut().filter(|t| t.drop_copy) {
                see(t, Some(&er.exec_id));
            }
        }
        _ => {}
    }
}

/// Sends what the replay produced for each client session beyond what its
/// store holds (cancel rejects already stored after its last report are
/// the first of those, in order, and are skipped).
fn redeliver(r: &Routes, tails: HashMap<String, SessionTail>) {
    for (session, t) in tails {
        let Some((h, b)) = r.clients.get(&session) else {
            continue;
        };
        let mut skip = t.cancel_rejects_after;
        let mut sent = 0usize;
        for o in t.pending {
            if skip > 0 && matches!(o, Output::CancelReject(_)) {
                skip -= 1;
                continue;
            }
            skip = 0;
            match &o {
                Output::ExecReport(er) | Output::DropCopy(er) => {
                    h.send(fixmap::exec_report(er, b));
                }
                Output::CancelReject(cr) => {
                    h.send(fixmap::cancel_reject(cr));
                }
                _ => continue,
            }
            sent += 1;
        }
        if sent > 0 {
            tracing::warn!(
                %session,
                count = sent,
                "sending reports recovered from the journal that never reached the session before the last stop"
            );
        }
    }
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
        for stored in store.get_sent(1, next_sender_seq - 1).await? {
            if let Ok(m) = Message::parse(stored.raw.into()) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use fix_engine::codec::encode_message;
    use fix_engine::store::MemoryStore;
    use oms::events::{EventKind, NewOrder};
    use oms::types::{AccountId, ClOrdId, OrdType, Px, Side, TimeInForce};
    use oms::{DefaultRouter, LimitsChecker, MemJournal, Qty};

    const T0: i64 = 1_772_636_400_000_000_000;

    fn key() -> SessionKey {
        SessionKey::new("FIX.4.4", "GATEWAY", "CLIENT1")
    }

    fn config() -> OmsConfig {
        OmsConfig {
            venues: vec![VenueId::from("SIMX")],
            default_venues: [(Symbol::from("AAPL"), VenueId::from("SIMX"))].into(),
            drop_copy: false,
        }
    }

    fn checker() -> Box<LimitsChecker> {
        Box::new(LimitsChecker {
            max_qty: Qty(10_000),
            max_notional: rust_decimal::Decimal::from(10_000_000),
        })
    }

    fn order(cl: &str, seq: u64, epoch: DateTime) -> Event {
        Event::new(
            Timestamp(T0 + seq as i64),
            EventKind::ClientNew(NewOrder {
                session: "CLIENT1".into(),
                cl_ord_id: ClOrdId::from(cl),
                account: AccountId::from("ACC1"),
                symbol: Symbol::from("AAPL"),
                side: Side::Buy,
                qty: Qty(100),
                ord_type: OrdType::Limit,
                price: Some(Px(rust_decimal::Decimal::from(190))),
                tif: TimeInForce::Day,
            }),
        )
        .from_inbound(oms::Inbound {
            session: key().to_string().into(),
            epoch_us: epoch.timestamp_micros(),
            seq,
        })
    }

    type DateTime = chrono::DateTime<Utc>;

    fn epoch() -> DateTime {
        DateTime::from_timestamp_nanos(T0 - 1_000)
    }

    /// A stored outbound message of `msg_type` with `body`.
    async fn store_sent(store: &mut MemoryStore, seq: u64, msg_type: &str, body: &str) {
        let mut out = Vec::new();
        encode_message(
            &mut out,
            "FIX.4.4",
            msg_type,
            "GATEWAY",
            "CLIENT1",
            seq,
            b"20260302-15:00:00.000",
            b"",
            body.as_bytes(),
        );
        store.save_sent(seq, &out).await.unwrap();
        store.set_next_sender_seq(seq + 1).await.unwrap();
    }

    /// Two orders journaled; the client's store holds the report of the
    /// first and a cancel reject after it, and counts four inbound
    /// messages received although only two reached the journal.
    async fn crash_state() -> (MemJournal, MemoryStore, SeqState) {
        let mut oms = JournaledOms::open(
            config(),
            checker(),
            Box::new(DefaultRouter),
            MemJournal::default(),
        )
        .await
        .unwrap();
        let out = oms
            .handle(vec![
                order("A", 2, epoch()),
                order("B", 3, epoch()),
                // A duplicate ClOrdID: rejected with a report.
                order("B", 4, epoch()),
            ])
            .await
            .unwrap();
        let ids: Vec<_> = out
            .iter()
            .filter_map(|o| match o {
                Output::ExecReport(er) => Some(er.exec_id.as_str().to_owned()),
                _ => None,
            })
            .collect();
        assert_eq!(ids, ["E1", "E2", "E3"], "{out:?}");
        let (_, journal) = oms.into_parts();

        let mut store = MemoryStore::new();
        let seq = store.load(epoch()).await.unwrap();
        assert_eq!(seq.creation_time, epoch());
        store_sent(&mut store, 1, "A", "98=0\x01108=30\x01").await;
        store_sent(&mut store, 2, "8", "17=E1\x0111=A\x01").await;
        store_sent(&mut store, 3, "0", "").await;
        store.set_next_target_seq(7).await.unwrap();
        let seq = store.load(epoch()).await.unwrap();
        (journal, store, seq)
    }

    /// CLIENT1's tail after a replay of `journal`.
    async fn replay(journal: MemJournal, tail: SessionTail) -> HashMap<String, SessionTail> {
        let mut tails = HashMap::from([("CLIENT1".to_owned(), tail)]);
        JournaledOms::open_replaying(
            config(),
            checker(),
            Box::new(DefaultRouter),
            journal,
            &mut |ev, o| see_replayed(&mut tails, ev, o),
        )
        .await
        .unwrap();
        tails
    }

    #[tokio::test]
    async fn replay_finds_the_reports_a_session_store_never_got() {
        let (journal, mut store, seq) = crash_state().await;
        let tail = SessionTail::read(&mut store, seq, false).await.unwrap();
        assert_eq!((tail.last_exec, tail.cancel_rejects_after), (1, 0));
        let tails = replay(journal, tail).await;
        let pending: Vec<_> = tails["CLIENT1"]
            .pending
            .iter()
            .map(|o| match o {
                Output::ExecReport(er) => er.exec_id.as_str().to_owned(),
                o => panic!("only reports: {o:?}"),
            })
            .collect();
        assert_eq!(pending, ["E2", "E3"]);
    }

    #[tokio::test]
    async fn reports_of_an_earlier_sequence_are_not_sent_again() {
        let (journal, mut store, _) = crash_state().await;
        // The client logged on with a reset after the orders.
        store
            .reset(DateTime::from_timestamp_nanos(T0 + 1_000))
            .await
            .unwrap();
        let seq = store.load(epoch()).await.unwrap();
        let tail = SessionTail::read(&mut store, seq, false).await.unwrap();
        assert_eq!(tail.last_exec, 0);
        let tails = replay(journal, tail).await;
        assert!(tails["CLIENT1"].pending.is_empty());
    }

    #[tokio::test]
    async fn inbound_resumes_after_the_last_journaled_message() {
        let (journal, mut store, mut seq) = crash_state().await;
        let oms = JournaledOms::open(config(), checker(), Box::new(DefaultRouter), journal)
            .await
            .unwrap();
        assert_eq!(seq.next_target_seq, 7);
        rewind_inbound(oms.core(), &key(), &mut store, &mut seq)
            .await
            .unwrap();
        assert_eq!(
            seq.next_target_seq, 5,
            "message 4 was journaled, 5 and 6 not"
        );
        assert_eq!(store.load(epoch()).await.unwrap().next_target_seq, 5);

        // Nothing to do when the store is not ahead.
        rewind_inbound(oms.core(), &key(), &mut store, &mut seq)
            .await
            .unwrap();
        assert_eq!(seq.next_target_seq, 5);

        // A sequence that began after the last journaled message: all of
        // it is in doubt.
        store
            .reset(DateTime::from_timestamp_nanos(T0 + 10_000))
            .await
            .unwrap();
        store.set_next_target_seq(3).await.unwrap();
        let mut seq = store.load(epoch()).await.unwrap();
        rewind_inbound(oms.core(), &key(), &mut store, &mut seq)
            .await
            .unwrap();
        assert_eq!(seq.next_target_seq, 1);
    }
}
