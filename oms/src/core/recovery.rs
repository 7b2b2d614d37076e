//! Recovery: what the core delivered to whom, so that a restart after a
//! crash at any point loses nothing and duplicates nothing silently.
//!
//! Owns the delivery numbering ([`Recipient`], [`Delivery`],
//! [`Addressed`]), the per-session delivery cursors ([`DeliveryCursor`],
//! journaled as [`EventKind::Delivered`](crate::EventKind::Delivered)),
//! and the two questions a restart asks: "which outputs for this stream
//! come after number n" ([`Redelivery`], filled by the replay) and "which
//! venue requests has venue V not been handed" ([`OmsCore::venue_requests_after`]).
//! It does not own the stores that hold the cursors (the caller's) nor the
//! resending (the caller's sessions).
//!
//! # Numbering
//!
//! Every output addressed to someone is numbered per recipient: each
//! client session, the drop-copy stream, each venue, 1, 2, 3 ... in the
//! order the core emits them. The counters are state, so the numbering is
//! a pure fold of the journaled events and a replay numbers every output
//! exactly as the live run did. Alerts are not numbered (nobody is owed
//! them).
//!
//! # Where a crash can fall
//!
//! Two kinds of durable write follow each other for every output: the OMS
//! journal (one group commit per batch of events; outputs are released
//! only after it) and then the receiving session's store (the FIX session
//! stores each batch of messages, with the highest delivery number in it,
//! in one write before any byte reaches the socket). So for each receiving
//! session, at any instant, `stored number <= journaled number`, and the
//! counterparty has at most what the store holds. A kill -9:
//!
//! - between the journal and the store: the journal implies outputs
//!   numbered above the store's cursor. The replay reproduces them
//!   (same numbers, same ExecIDs) and [`Redelivery`] hands them back; they
//!   are sent as first sends, because the store writes before the socket:
//!   the counterparty cannot have seen them. Venue requests are taken from
//!   the state instead ([`OmsCore::venue_requests_after`]): only those
//!   still pending are sent, so a request the order has outgrown is not.
//! - inside the store's batch write: the batch (messages and cursor) is
//!   one write or one transaction, so either both are there or neither.
//! - after the store, before or during the socket write: the FIX session
//!   owns that window; the counterparty asks for a resend and gets the
//!   stored messages with PossDupFlag=Y.
//! - inbound, between a session's receipt and the journal: events carry
//!   their [`SourcePos`](crate::events::SourcePos); the state keeps the
//!   highest journaled one per stream ([`crate::OmsState::inbound`]) and the
//!   caller rewinds the session's expected sequence to just after it, so
//!   the counterparty resends the rest (PossDupFlag=Y) and nothing is lost.
//!
//! The store cursor is the exact answer for its session, so no output is
//! sent twice and none needs PossResend. The one case where a store is
//! ahead of the journal is a journal that lost its tail to a power cut
//! with fsync off: the counterparty then holds outputs the core no longer
//! knows. At each start the caller records every session's cursor with a
//! [`DeliveryCursor`] event (one group commit, no extra fsync): the core
//! keeps it as "what was delivered to whom", and raises its counter to it,
//! so a number is never issued twice for one recipient.
//!
//! A session store that has no cursor yet (new, or written before cursors
//! existed) is given the core's current number at start: it is owed what
//! the core produces from then on, not the history before it.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Map, OmsCore};
use crate::events::SessionId;
use crate::order::ChangeKind;
use crate::outputs::Output;
use crate::state::OrdStatus;
use crate::types::{ClOrdId, VenueId};

/// Who an output is addressed to: one delivery stream, numbered on its own.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Recipient {
    /// A client session (ExecutionReports and cancel rejects).
    Client(SessionId),
    /// The drop-copy stream (every drop-copy session gets all of it).
    DropCopy,
    /// A venue (new orders, cancels, replaces).
    Venue(VenueId),
}

impl Recipient {
    /// The stream `o` belongs to; `None` for what nobody is owed (alerts).
    pub fn of(o: &Output) -> Option<Recipient> {
        Some(match o {
            Output::ExecReport(er) => Recipient::Client(er.session.clone()),
            Output::CancelReject(cr) => Recipient::Client(cr.session.clone()),
            Output::DropCopy(_) => Recipient::DropCopy,
            Output::VenueNew(v) => Recipient::Venue(v.venue.clone()),
            Output::VenueCancel(v) => Recipient::Venue(v.venue.clone()),
            Output::VenueReplace(v) => Recipient::Venue(v.venue.clone()),
            Output::Alert(_) => return None,
        })
    }
}

/// An output's place in its recipient's stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The stream.
    pub to: Recipient,
    /// Its number in the stream (from 1).
    pub no: u64,
}

/// An output with its delivery number (none for alerts).
#[derive(Clone, Debug, PartialEq)]
pub struct Addressed {
    /// What to send.
    pub output: Output,
    /// Its number, to be stored by the receiving session with the message.
    pub delivery: Option<Delivery>,
}

/// How far a recipient's stream reached one receiving session's durable
/// store: every output numbered up to `through` is stored there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryCursor {
    /// The receiving session, as the caller names it (the gateway: the
    /// FIX session key).
    pub session: Arc<str>,
    /// The stream it receives.
    pub to: Recipient,
    /// The last number its store holds.
    pub through: u64,
}

/// The delivery part of the state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deliveries {
    /// The last number issued per recipient (a hash map: looked up for
    /// every output on the hot path).
    pub issued: Map<Recipient, u64>,
    /// The number of every venue request, by its ClOrdID (a child's, or
    /// a cancel/replace request's).
    pub requests: Map<ClOrdId, u64>,
    /// The last cursor recorded per receiving session.
    pub cursors: BTreeMap<Arc<str>, DeliveryCursor>,
}

impl Deliveries {
    /// Numbers `o`, if it is addressed to someone.
    pub(super) fn number(&mut self, o: &Output) -> Option<Delivery> {
        let to = Recipient::of(o)?;
        let no = match self.issued.get_mut(&to) {
            Some(n) => {
                *n += 1;
                *n
            }
            None => {
                self.issued.insert(to.clone(), 1);
                1
            }
        };
        match o {
            Output::VenueNew(v) => {
                self.requests.insert(v.cl_ord_id.clone(), no);
            }
            Output::VenueCancel(v) => {
                self.requests.insert(v.cl_ord_id.clone(), no);
            }
            Output::VenueReplace(v) => {
                self.requests.insert(v.cl_ord_id.clone(), no);
            }
            _ => {}
        }
        Some(Delivery { to, no })
    }

    /// Records a cursor; a number never goes below one a store holds.
    pub(super) fn record(&mut self, c: &DeliveryCursor) {
        let issued = self.issued.entry(c.to.clone()).or_default();
        *issued = (*issued).max(c.through);
        self.cursors.insert(c.session.clone(), c.clone());
    }
}

impl OmsCore {
    /// The last delivery number issued to `to` (0: none yet).
    pub fn issued(&self, to: &Recipient) -> u64 {
        self.state.deliveries.issued.get(to).copied().unwrap_or(0)
    }

    /// The venue requests for `venue` numbered after `after` that the
    /// order state still waits on, in number order: new child orders not
    /// acknowledged, cancels and replaces still pending. After a restart
    /// these are the ones the journal made but the venue session's store
    /// (cursor `after`) never took; without them those orders would stay
    /// PendingNew (or PendingCancel / PendingReplace) for ever.
    pub fn venue_requests_after(&self, venue: &VenueId, after: u64) -> Vec<Addressed> {
        let numbers = &self.state.deliveries.requests;
        let number = |id: &ClOrdId| numbers.get(id).copied().unwrap_or(0);
        let mut out = Vec::new();
        for p in self.state.orders.values() {
            for c in p.children.iter().filter(|c| &c.venue == venue) {
                if c.status.is_terminal() {
                    continue;
                }
                if c.status == OrdStatus::PendingNew
                    && c.venue_order_id.is_none()
                    && number(&c.cl_ord_id) > after
                {
                    out.push((number(&c.cl_ord_id), Output::VenueNew(c.venue_new(p))));
                    continue;
                }
                let Some((req, kind)) = &c.pending else {
                    continue;
                };
                if number(req) <= after {
                    continue;
                }
                let o = match kind {
                    ChangeKind::Cancel => Output::VenueCancel(c.venue_cancel(p, req.clone())),
                    ChangeKind::Replace { qty, price, .. } => {
                        Output::VenueReplace(c.venue_replace(p, req.clone(), *qty, *price))
                    }
                };
                out.push((number(req), o));
            }
        }
        out.sort_by_key(|(no, _)| *no);
        out.into_iter()
            .map(|(no, output)| Addressed {
                output,
                delivery: Some(Delivery {
                    to: Recipient::Venue(venue.clone()),
                    no,
                }),
            })
            .collect()
    }
}

/// The outputs a replay reproduces after given numbers: what the
/// receiving sessions' stores do not hold. Give it the lowest cursor per
/// recipient (several drop-copy sessions share one stream), feed it every
/// replayed output ([`OmsCore::recover_replaying`]), then ask per session.
#[derive(Clone, Debug, Default)]
pub struct Redelivery {
    after: BTreeMap<Recipient, u64>,
    owed: BTreeMap<Recipient, Vec<(u64, Output)>>,
}

impl Redelivery {
    /// Keeps outputs of each recipient in `after` numbered above its value.
    pub fn new(after: BTreeMap<Recipient, u64>) -> Redelivery {
        Redelivery {
            after,
            owed: BTreeMap::new(),
        }
    }

    /// One replayed output.
    pub fn see(&mut self, a: &Addressed) {
        let Some(d) = &a.delivery else { return };
        if self.after.get(&d.to).is_some_and(|n| d.no > *n) {
            self.owed
                .entry(d.to.clone())
                .or_default()
                .push((d.no, a.output.clone()));
        }
    }

    /// The outputs for `to` numbered after `after`, in order (`after` no
    /// lower than the value given to [`Redelivery::new`]).
    pub fn owed(&self, to: &Recipient, after: u64) -> Vec<Addressed> {
        self.owed
            .get(to)
            .into_iter()
            .flatten()
            .filter(move |(no, _)| *no > after)
            .map(|(no, o)| Addressed {
                output: o.clone(),
                delivery: Some(Delivery {
                    to: to.clone(),
                    no: *no,
                }),
            })
            .collect()
    }
}
