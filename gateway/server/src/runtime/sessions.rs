//! Session adapters: the FIX applications of the gateway's sessions.
//! [`ClientApp`] turns a client session's order messages into OMS events
//! for the core task (refusing at the edge what cannot become one);
//! [`VenueApp`] turns a venue session's reports into OMS events, its
//! market data into input for the market data task, and its logons and
//! disconnects into venue connectivity events. Neither blocks: every
//! hand-off is a channel send. FIX details are `fixmap`'s.

use super::core_task::{now_ts, CoreMsg};
use super::market_data;
use crate::fixmap;
use crate::fixmap::tags;
use fix_engine::codec::Message;
use fix_engine::session::{
    AppContext, AppReject, Application, BusinessRejectReason, MsgType, SessionEvent,
};
use oms::events::EventKind;
use oms::{Event, VenueId};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Where `msg` sits in its session, for the journal.
fn inbound(key: &Arc<str>, ctx: &AppContext<'_>, msg: &Message) -> oms::SourcePos {
    oms::SourcePos {
        stream: key.clone(),
        epoch: ctx.seq_epoch().timestamp_micros(),
        pos: msg.seq_num().unwrap_or(0),
    }
}

/// Client session application: FIX -> OMS events.
pub(crate) struct ClientApp {
    pub(crate) session: String,
    /// The FIX session key, named in journaled events' `source`.
    pub(crate) key: Arc<str>,
    pub(crate) accounts: Vec<String>,
    pub(crate) drop_copy: bool,
    pub(crate) core: mpsc::UnboundedSender<CoreMsg>,
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
                        reason: BusinessRejectReason::ApplicationNotAvailable,
                        ref_tag: None,
                        text: "gateway is shutting down".into(),
                    });
                }
                Ok(())
            }
            Err(r) if r.is_unsupported_type() => Err(AppReject::UnsupportedMessageType),
            // An order the gateway cannot take is rejected as an order,
            // with the reason, so the client's order book stays whole.
            Err(r) if fixmap::client::is_new_order(msg) => {
                ctx.send(fixmap::edge_reject(msg, &r.text, now));
                Ok(())
            }
            Err(r) => Err(AppReject::Business {
                reason: BusinessRejectReason::ConditionallyRequiredFieldMissing,
                ref_tag: Some(r.tag.into()),
                text: r.text,
            }),
        }
    }
}

/// Venue session application: venue reports -> OMS events; market data
/// -> the market data task (see [`market_data`]).
pub(crate) struct VenueApp {
    pub(crate) venue: VenueId,
    /// The FIX session key, named in journaled events' `source`.
    pub(crate) key: Arc<str>,
    pub(crate) core: mpsc::UnboundedSender<CoreMsg>,
    /// Subscribed at every logon when market data is on.
    pub(crate) md_symbols: Vec<String>,
    pub(crate) md: Option<mpsc::UnboundedSender<market_data::MdMsg>>,
}

impl Application for VenueApp {
    fn on_message(&mut self, ctx: &mut AppContext<'_>, msg: &Message) -> Result<(), AppReject> {
        match MsgType::of(msg) {
            MsgType::MarketDataSnapshotFullRefresh | MsgType::MarketDataIncrementalRefresh => {
                if let (Some(md), Some(update)) = (&self.md, fixmap::market_data(msg)) {
                    let _ = md.send(market_data::MdMsg::Update(market_data::MdInput {
                        venue: self.venue.clone(),
                        update,
                        source: inbound(&self.key, ctx, msg),
                    }));
                }
                return Ok(());
            }
            MsgType::MarketDataRequestReject => {
                let req = msg.get_str(tags::MD_REQ_ID).unwrap_or("");
                let text = msg.get_str(tags::TEXT).unwrap_or("");
                // A duplicate MDReqID (MDReqRejReason 1): the venue still
                // has (or got again by a resend) the subscription this
                // logon asked for.
                if msg.get(tags::MD_REQ_REJ_REASON) == Some(b"1") {
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
