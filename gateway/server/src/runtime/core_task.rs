//! The core task: the single writer that owns the OMS. It takes every
//! message queued ([`CoreMsg`]), appends the batch of events to the
//! journal (one group commit), only then applies it, and routes the
//! outputs to the sessions as FIX ([`route`]). Queries and inspections run
//! between batches, against state that includes every event sent before
//! them. Its progress is published on a watch channel
//! ([`CoreProgress`]), so that callers wait for work to be done instead
//! of polling.

use super::summary::Summary;
use crate::fixmap;
use chrono::Utc;
use fix_engine::codec::MessageBuilder;
use fix_engine::transport::SessionHandle;
use oms::{Addressed, Event, Journal, JournaledOms, Output, Timestamp};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot, watch};

/// Now, as the OMS's timestamp (the gateway reads the clock; the OMS
/// never does).
pub fn now_ts() -> Timestamp {
    Timestamp(Utc::now().timestamp_nanos_opt().unwrap_or_default())
}

/// A read-only look at the core's state, run inside the core task.
pub type Inspect = Box<dyn FnOnce(&oms::OmsCore) + Send>;

/// Inputs of the core task.
pub enum CoreMsg {
    Event(Event),
    /// Positions, P&L and market as the core knows them.
    Summary(oneshot::Sender<Summary>),
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

/// What the core task has done since it started, published after every
/// batch it applied: a readiness signal for whoever waits for events to
/// take effect (tests, operators' tools).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CoreProgress {
    /// Events journaled and applied since start (the recovery replay is
    /// not counted).
    pub events_applied: u64,
    /// The core task has ended (stopped, or its journal failed): nothing
    /// more will be applied.
    pub stopped: bool,
}

/// Runs `f` on the core's state after every event sent so far is
/// applied; `None` if the core has stopped.
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

/// Where the core's outputs go: each client session (and its
/// BeginString), each venue session, the drop-copy sessions.
pub(crate) struct Routes {
    pub(crate) clients: HashMap<String, (SessionHandle, String)>,
    pub(crate) venues: HashMap<String, (SessionHandle, String)>,
    pub(crate) drop_copies: Vec<(SessionHandle, String)>,
}

/// The single writer. Publishes its progress on `progress` after every
/// batch (see [`CoreProgress`]).
pub(crate) async fn run_core<J: Journal>(
    mut oms: JournaledOms<J>,
    mut rx: mpsc::UnboundedReceiver<CoreMsg>,
    routes: Routes,
    progress: watch::Sender<CoreProgress>,
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
        let mut applied = 0u64;
        if !batch.is_empty() {
            let events = std::mem::take(&mut batch);
            let n = events.len() as u64;
            match oms.handle_addressed(events).await {
                Ok(outputs) => {
                    route(&routes, outputs);
                    applied += n;
                }
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
                    applied += 1;
                }
                Err(e) => {
                    tracing::error!(error = %e, "journal append failed; the OMS stops accepting events");
                    break;
                }
            }
        }
        if applied > 0 {
            progress.send_modify(|p| p.events_applied += applied);
        }
        for q in queries.drain(..) {
            let _ = q.send(Summary::of(oms.core()));
        }
        for f in inspects.drain(..) {
            f(oms.core());
        }
        if let Some(tx) = stop.take() {
            drop(oms);
            progress.send_modify(|p| p.stopped = true);
            let _ = tx.send(());
            return;
        }
    }
    progress.send_modify(|p| p.stopped = true);
}

/// Sends each output where it goes, as FIX.
pub(crate) fn route(r: &Routes, outputs: Vec<Addressed>) {
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
pub(crate) fn to_fix(a: &Addressed, begin_string: &str, now: Timestamp) -> Option<MessageBuilder> {
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
