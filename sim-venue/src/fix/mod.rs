//! The FIX face of the simulated exchange.
//!
//! One acceptor port serves every venue of the process: an initiator whose
//! TargetCompID is a venue's CompID gets a session (FIX.4.2, FIX.4.4 or
//! FIXT.1.1/5.0SP2) from a template, with its own message store. Each
//! session's application decodes requests and hands them, without
//! blocking, to one venue task that owns every book (a single writer); the
//! venue task sends execution reports, cancel rejects, market data and
//! market state back to the sessions. A small HTTP control interface
//! drives market state and fault injection (see [`control`]).

// Field-level docs are on the FIX tags each item carries.
#![allow(missing_docs)]

pub mod control;
pub mod inbound;
pub mod outbound;

use crate::types::Timestamp;
use crate::venue::{Report, Venue, VenueEvent, VenueHost};
use chrono::Utc;
use fix_engine::codec::{Message, MessageBuilder};
use fix_engine::session::{
    standard_validator, AppContext, AppReject, Application, BusinessRejectReason, Role,
    SessionConfig, SessionEvent,
};
use fix_engine::store::{SessionKey, StoreFactory};
use fix_engine::transport::{Acceptor, AcceptorConfig, SessionHandle, SessionSpec};
use inbound::{decode, split_account, Request};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The venue process's FIX settings.
#[derive(Clone)]
pub struct FixServerConfig {
    pub bind: SocketAddr,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Validate inbound messages against the dictionaries.
    pub validate: bool,
}

/// What the session applications and the control interface send to the
/// venue task.
pub enum VenueInput {
    Request {
        venue: Arc<str>,
        peer: Arc<str>,
        begin: Arc<str>,
        req: Request,
    },
    SessionDown {
        venue: Arc<str>,
        peer: Arc<str>,
    },
    Control {
        venue: String,
        command: control::Command,
        reply: oneshot::Sender<Result<String, String>>,
    },
}

/// A running simulated exchange.
pub struct RunningVenues {
    pub local_addr: SocketAddr,
    pub acceptor: Acceptor,
    pub input: mpsc::UnboundedSender<VenueInput>,
    pub comp_ids: Vec<String>,
}

/// The wall clock as a [`Timestamp`] (UTC nanoseconds): the one place the
/// simulated exchange reads a clock; the venue logic takes `now` as an
/// argument.
pub fn now_nanos() -> Timestamp {
    Timestamp(Utc::now().timestamp_nanos_opt().unwrap_or_default())
}

/// Starts the acceptor and the venue task for `venues`.
pub async fn serve(
    cfg: FixServerConfig,
    venues: Vec<Venue>,
    stores: Arc<dyn StoreFactory>,
) -> anyhow::Result<RunningVenues> {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut acc_cfg = AcceptorConfig::new(cfg.bind);
    acc_cfg.tls = cfg.tls.clone();
    let acceptor = Acceptor::new(acc_cfg, stores);
    let mut host = VenueHost::new();
    let mut comp_ids = Vec::new();
    for v in venues {
        let comp: Arc<str> = v.comp_id().into();
        comp_ids.push(comp.to_string());
        for begin in ["FIX.4.2", "FIX.4.4", "FIXT.1.1"] {
            let tx = tx.clone();
            let comp = comp.clone();
            let validate = cfg.validate;
            let begin_arc: Arc<str> = begin.into();
            acceptor.add_template(
                begin,
                &comp.clone(),
                Arc::new(move |peer: &str| {
                    let mut config = SessionConfig::new(&begin_arc, &comp, peer, Role::Acceptor);
                    config.validate = validate;
                    Some(SessionSpec {
                        validator: standard_validator(&begin_arc),
                        config,
                        app: Box::new(VenueSessionApp {
                            venue: comp.clone(),
                            peer: peer.into(),
                            begin: begin_arc.clone(),
                            tx: tx.clone(),
                        }),
                    })
                }),
            );
        }
        host.add(v).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    let running = acceptor.clone().bind().await?;
    let task = VenueTask {
        host,
        acceptor: acceptor.clone(),
        sessions: HashMap::new(),
    };
    tokio::spawn(task.run(rx));
    Ok(RunningVenues {
        local_addr: running.local_addr,
        acceptor,
        input: tx,
        comp_ids,
    })
}

/// The application of one venue session: decode and forward.
struct VenueSessionApp {
    venue: Arc<str>,
    peer: Arc<str>,
    begin: Arc<str>,
    tx: mpsc::UnboundedSender<VenueInput>,
}

impl Application for VenueSessionApp {
    fn on_message(&mut self, _ctx: &mut AppContext<'_>, msg: &Message) -> Result<(), AppReject> {
        match decode(&self.peer, msg) {
            Ok(req) => {
                let input = VenueInput::Request {
                    venue: self.venue.clone(),
                    peer: self.peer.clone(),
                    begin: self.begin.clone(),
                    req,
                };
                self.tx.send(input).map_err(|_| AppReject::Business {
                    reason: BusinessRejectReason::ApplicationNotAvailable,
                    ref_tag: None,
                    text: "venue is shutting down".into(),
                })
            }
            Err(u) if u.tag == 35 => Err(AppReject::UnsupportedMessageType),
            Err(u) => Err(AppReject::Business {
                reason: BusinessRejectReason::ConditionallyRequiredFieldMissing,
                ref_tag: Some(u.tag.into()),
                text: u.text,
            }),
        }
    }

    fn on_event(&mut self, _ctx: &mut AppContext<'_>, event: &SessionEvent) {
        if matches!(event, SessionEvent::Disconnected { .. }) {
            let _ = self.tx.send(VenueInput::SessionDown {
                venue: self.venue.clone(),
                peer: self.peer.clone(),
            });
        }
    }
}

/// (venue CompID, peer CompID) -> (session handle, BeginString).
type SessionMap = HashMap<(Arc<str>, Arc<str>), (SessionHandle, Arc<str>)>;

/// The single writer: owns every venue.
struct VenueTask {
    host: VenueHost,
    acceptor: Acceptor,
    /// (venue, peer) -> (handle, BeginString).
    sessions: SessionMap,
}

impl VenueTask {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<VenueInput>) {
        loop {
            let deadline = self.host.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(d) => {
                        let wait = d.saturating_duration_since(now_nanos());
                        tokio::time::sleep(wait.into()).await
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                input = rx.recv() => {
                    let Some(input) = input else { break };
                    self.handle(input);
                    // Take everything already queued before publishing.
                    while let Ok(input) = rx.try_recv() {
                        self.handle(input);
                    }
                }
                () = sleep => self.host.handle_timeout(now_nanos()),
            }
            self.publish();
        }
    }

    fn handle(&mut self, input: VenueInput) {
        let now = now_nanos();
        match input {
            VenueInput::Request {
                venue,
                peer,
                begin,
                req,
            } => {
                self.sessions
                    .entry((venue.clone(), peer.clone()))
                    .or_insert_with(|| {
                        let key = SessionKey::new(&begin, &venue, &peer);
                        let h = self
                            .acceptor
                            .session(&key)
                            .expect("session exists for its own app");
                        (h, begin.clone())
                    });
                let Some(v) = self.host.get_mut(&venue) else {
                    return;
                };
                match req {
                    // Rejections come back as reports through poll_report.
                    Request::New(r) => drop(v.handle_new_order(now, &r)),
                    Request::Cancel(r) => drop(v.handle_cancel(now, &r)),
                    Request::Replace(r) => drop(v.handle_replace(now, &r)),
                    Request::MdSubscribe(r) => {
                        if let Err(e) = v.subscribe_market_data(now, &r) {
                            self.send_to(&venue, &peer, outbound::md_reject(&r.req_id, &e));
                        }
                    }
                    Request::MdUnsubscribe { req_id } => {
                        if let Err(e) = v.unsubscribe_market_data(&peer, &req_id) {
                            self.send_to(&venue, &peer, outbound::md_reject(&req_id, &e));
                        }
                    }
                }
            }
            VenueInput::SessionDown { venue, peer } => {
                if let Some(v) = self.host.get_mut(&venue) {
                    v.drop_subscriber(&peer);
                }
            }
            VenueInput::Control {
                venue,
                command,
                reply,
            } => {
                let r = match self.host.get_mut(&venue) {
                    Some(v) => command.apply(v, now),
                    None => Err(format!("no venue {venue:?}")),
                };
                let _ = reply.send(r);
            }
        }
    }

    fn send_to(&self, venue: &Arc<str>, peer: &str, m: MessageBuilder) {
        let key = (venue.clone(), Arc::<str>::from(peer));
        if let Some((h, _)) = self.sessions.get(&key) {
            h.send(m);
        }
    }

    /// Sends whatever the venues have for the sessions.
    fn publish(&mut self) {
        let now = now_nanos();
        let comps: Vec<Arc<str>> = self.host.venues().map(|v| Arc::from(v.comp_id())).collect();
        for comp in comps {
            let Some(v) = self.host.get_mut(&comp) else {
                continue;
            };
            let mut outgoing: Vec<(String, MessageBuilder)> = Vec::new();
            let mut broadcast: Vec<MessageBuilder> = Vec::new();
            let mut drops: Vec<Option<String>> = Vec::new();
            while let Some(r) = v.poll_report(now) {
                match r {
                    Report::Execution(er) => {
                        let (peer, _) = split_account(&er.account);
                        let begin = self
                            .sessions
                            .get(&(comp.clone(), Arc::from(peer)))
                            .map_or("FIX.4.4", |(_, b)| &**b);
                        outgoing.push((peer.to_owned(), outbound::execution_report(&er, begin)));
                    }
                    Report::CancelReject(cr) => {
                        let (peer, _) = split_account(&cr.account);
                        outgoing.push((peer.to_owned(), outbound::cancel_reject(&cr)));
                    }
                }
            }
            while let Some(md) = v.poll_market_data(now) {
                let (peer, m) = outbound::market_data(&md);
                outgoing.push((peer.to_owned(), m));
            }
            while let Some(ev) = v.poll_state_event() {
                match ev {
                    VenueEvent::Session(s) => broadcast.push(outbound::trading_session_status(s)),
                    VenueEvent::SecurityStatus { symbol, halted } => {
                        broadcast.push(outbound::security_status(&symbol, halted.as_ref()))
                    }
                    VenueEvent::DropSession(peer) => drops.push(peer),
                    VenueEvent::Band { .. } | VenueEvent::CircuitBreaker { .. } => {}
                }
            }
            for (peer, m) in outgoing {
                self.send_to(&comp, &peer, m);
            }
            for ((venue, _), (h, _)) in &self.sessions {
                if *venue == comp {
                    for m in &broadcast {
                        h.send(m.clone());
                    }
                }
            }
            for peer in drops {
                for ((venue, p), (h, _)) in &self.sessions {
                    if *venue == comp && peer.as_deref().is_none_or(|x| x == &**p) {
                        h.disconnect();
                    }
                }
            }
        }
    }
}
