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
//! This module is the wiring ([`start`], [`Gateway`]). The parts, by job:
//!
//! - [`recovery`]: at start, the journal replayed and matched against
//!   every session store's delivery cursor and inbound sequence;
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
//!
//! At start, before any session runs, `recovery` matches the journal
//! against every FIX session's store (delivery cursors, inbound sequence)
//! and sends what a crash kept from the sessions.

pub mod core_task;
pub mod market_data;
pub(crate) mod recovery;
mod sessions;
pub mod settlement;
pub mod summary;

pub use core_task::{apply, inspect, now_ts, CoreMsg, CoreProgress, Inspect};
pub use summary::Summary;

use crate::clearing::ClearingSource;
use crate::config::{GatewayConfig, JournalFsync};
use core_task::{run_core, to_fix, Routes};
use fix_engine::session::{
    lenient_enum_validator, standard_validator, Role, Session, SessionConfig,
};
use fix_engine::store::{
    FileStoreFactory, FsyncPolicy, PostgresStoreFactory, SessionKey, StoreFactory,
};
use fix_engine::transport::{
    start_initiator, Acceptor, AcceptorConfig, InitiatorConfig, RunningAcceptor, SessionHandle,
    SessionSpec,
};
use oms::{Addressed, Journal, OmsConfig, Recipient, Symbol, VenueId};
use sessions::{ClientApp, VenueApp};
use std::collections::{BTreeMap, HashMap};
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
