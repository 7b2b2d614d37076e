//! The OMS core: a single-writer state machine over [`Event`]s.
//!
//! Owns all order, position, cash and trade state ([`OmsState`]) and the
//! pre-trade checker and router it calls. [`OmsCore::apply`] takes one
//! event (already journaled by the caller, see `journaled`) and returns
//! the [`Output`]s to send: client ExecutionReports and
//! OrderCancelRejects, venue child orders, cancels and replaces,
//! drop-copy records and alerts. It does no IO and reads no clock; ids
//! (OrderID `O<n>`, ExecID `E<n>`, child ClOrdIDs `O<n>.<k>` and
//! `O<n>.<k>.<r>`) come from counters in the state, so the state is a
//! pure fold of the events: replaying the same events yields an equal
//! state and [`OmsCore::snapshot`] yields the same bytes.
//!
//! How a client order lives here:
//! - `ClientNew`: duplicate ClOrdID and basic validation, routing (the
//!   [`Router`] splits it into venue slices), the [`PreTradeCheck`]; a
//!   refusal is an ExecutionReport Rejected whose Text names the rule and
//!   the limit; an acceptance is a PendingNew report and one child order
//!   per slice.
//! - Venue reports are matched to the child by any ClOrdID the OMS gave
//!   it (its chain and its cancel/replace requests). Fills are deduplicated
//!   by (venue, ExecID), aggregate to the parent (CumQty, exact notional
//!   for AvgPx) and are reported to the client exactly once each, whatever
//!   order the venue's reports arrive in; a fill before the venue's New
//!   ack counts, and a late ack is ignored.
//! - Cancel and replace requests are looked up by any ClOrdID of the
//!   chain; the transition table decides whether they are allowed, and a
//!   refusal becomes an OrderCancelReject with CxlRejReason 0 (too late:
//!   the order is done), 1 (unknown order), 2 (broker option), 3 (already
//!   pending cancel/replace) or 6 (duplicate ClOrdID). A replace of an
//!   order working at one venue goes there as a replace of that child
//!   (keeping its place where the venue allows); an order working at
//!   several venues (or at none, after a bust) has every child canceled,
//!   and when all are done the new terms are reported (Replaced) and the
//!   new leaves routed afresh. If a venue refuses a child's cancel while
//!   that child keeps working, the replace fails (OrderCancelReject) and
//!   the order goes on with the children still working.
//! - When every child of a parent is done, the parent closes: Filled,
//!   Canceled (asked for, or unsolicited by the venue), Expired, Done for
//!   day, or Rejected if no venue ever took any of it. The OMS does not
//!   re-route quantity a venue gave back; the smart router will.
//! - Trade busts and corrections adjust CumQty/AvgPx (reported as
//!   TradeCancel/TradeCorrect with ExecRefID), the trade ledger, and the
//!   position, rebuilt from its trades; a busted fill of a done order
//!   reopens it (leaves = qty - cum, nothing working until the client
//!   acts). Busting or correcting a settled trade is refused with an alert.
//! - `Settle` (a date and the venues' clearing records for it): pending
//!   trades due by that date are matched to records and settled; trades
//!   without a record and records without a trade are alerted as breaks.
//!   Each date is processed once: a second `Settle` for it is refused
//!   with an alert (the state remembers the dates, from the journal).
//! - Every output addressed to someone (a client session, the drop-copy
//!   stream, a venue) gets a delivery number in its stream, from counters
//!   in the state; [`recovery`] says what they are for.

mod books;
mod client;
pub mod recovery;
mod venue;

use std::collections::{BTreeMap, BTreeSet};
use std::hash::BuildHasherDefault;

use indexmap::IndexMap;

use rust_decimal::Decimal;

use crate::events::Quote;
use crate::events::{
    CancelRequest, CloseKind, Event, EventKind, NewOrder, OperatorAction, ReplaceRequest,
    SessionId, Settlement, StatusRequest, VenueAck, VenueCancelRejected, VenueClosed, VenueFill,
    VenueRejected, VenueReplaced, VenueTradeBust,
};
use crate::order::{ChangeKind, ChildOrder, ParentOrder, PendingChange};
use crate::outputs::{
    Alert, AlertKind, CancelReject, CxlRejReason, CxlRejResponseTo, ExecType, ExecutionReport,
    Output,
};
use crate::portfolio::Portfolio;
use crate::pretrade::{Decision, FillNotice, OmsView, OrderRequest, PreTradeCheck};
use crate::router::{RouteRequest, RouteView, Router, Slice};
use crate::settlement::{settlement_date, Ledger, Trade, TradeStatus};
use crate::state::{OrdStatus, OrderEvent};
use recovery::{Addressed, Deliveries};

use crate::types::{
    AccountId, ClOrdId, ExecId, OrdType, OrderId, Px, Qty, Symbol, Timestamp, VenueId, MAX_PX,
    MAX_QTY,
};

/// The maps of the state: insertion-ordered (iteration, and so every
/// output and the snapshot, follows the order of the events), hashed with
/// FxHash (rustc-hash: fixed, no seed), so no ambient randomness reaches
/// the core; a fraction of SipHash's cost on the short ids it hashes.
pub type Map<K, V> = IndexMap<K, V, BuildHasherDefault<rustc_hash::FxHasher>>;

/// Static configuration of the core.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OmsConfig {
    /// Venues known at start (disconnected until a `VenueConnected`).
    pub venues: Vec<VenueId>,
    /// Default venue per instrument.
    pub default_venues: BTreeMap<Symbol, VenueId>,
    /// Emit a [`Output::DropCopy`] for every client ExecutionReport.
    pub drop_copy: bool,
}

/// The ids an event concerns, for the journal's indexes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JournalKeys {
    /// The OMS order.
    pub order_id: Option<OrderId>,
    /// The client (session) the order or request belongs to.
    pub client: Option<SessionId>,
    /// The account.
    pub account: Option<AccountId>,
    /// The instrument.
    pub symbol: Option<Symbol>,
}

/// A venue fill as the core remembers it (dedupe, busts, corrections).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillRef {
    /// Parent order.
    pub order_id: OrderId,
    /// Child index in the parent.
    pub child: usize,
    /// Quantity (after corrections).
    pub qty: Qty,
    /// Price (after corrections).
    pub px: Px,
    /// The ExecID of the client report for this fill.
    pub client_exec_id: ExecId,
    /// Trade ledger id.
    pub ledger_id: u64,
    /// Busted.
    pub busted: bool,
}

/// Everything the core owns; a fold of the events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OmsState {
    /// Client orders by OMS id.
    pub orders: Map<OrderId, ParentOrder>,
    /// Every client ClOrdID (per session) to its order.
    pub client_ids: Map<SessionId, Map<ClOrdId, OrderId>>,
    /// Every child ClOrdID (and child request id) to (order, child index).
    pub child_ids: Map<ClOrdId, (OrderId, usize)>,
    /// Venue fills by (venue, ExecID).
    pub fills: Map<VenueId, Map<ExecId, FillRef>>,
    /// Venue ExecIDs of corrections and busts already applied.
    pub adjustments: BTreeSet<(VenueId, ExecId)>,
    /// Positions, cash, marks.
    pub portfolio: Portfolio,
    /// Trades and their settlement.
    pub ledger: Ledger,
    /// Settlement dates already processed (one `Settle` event each: a
    /// second one for the same date is refused, so a settlement job that
    /// runs again, or after a restart, settles nothing twice).
    pub settled_dates: BTreeSet<chrono::NaiveDate>,
    /// Venues and whether connected.
    pub venues: BTreeMap<VenueId, bool>,
    /// Default venue per instrument.
    pub default_venues: BTreeMap<Symbol, VenueId>,
    /// Top of book per instrument and venue.
    pub quotes: BTreeMap<Symbol, BTreeMap<VenueId, Quote>>,
    /// Orders created.
    pub next_order: u64,
    /// Client ExecIDs issued.
    pub next_exec: u64,
    /// Events applied.
    pub applied: u64,
    /// Per inbound stream, the last position (epoch, position) that
    /// produced a journaled event: everything up to it is durable,
    /// anything after it was lost if the process died, and must be
    /// delivered again by the stream's source (see [`recovery`]).
    pub inbound: BTreeMap<std::sync::Arc<str>, StreamPos>,
    /// Delivery numbers and cursors (see [`recovery`]).
    pub deliveries: Deliveries,
}

/// The last journaled position of an inbound stream (ordered by epoch,
/// then position).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct StreamPos {
    /// The stream's current epoch (as the caller numbers them).
    pub epoch: i64,
    /// The position within it.
    pub pos: u64,
}

impl OmsState {
    /// The order a client ClOrdID (any of its chain) belongs to.
    pub fn client_order(&self, session: &str, cl: &str) -> Option<&OrderId> {
        self.client_ids.get(session)?.get(cl)
    }

    fn add_client_id(&mut self, session: &SessionId, cl: &ClOrdId, oid: OrderId) {
        match self.client_ids.get_mut(&**session) {
            Some(m) => {
                m.insert(cl.clone(), oid);
            }
            None => {
                let mut m = Map::default();
                m.insert(cl.clone(), oid);
                self.client_ids.insert(session.clone(), m);
            }
        }
    }

    /// A venue fill by (venue, venue ExecID).
    pub fn fill(&self, venue: &str, exec_id: &str) -> Option<&FillRef> {
        self.fills.get(venue)?.get(exec_id)
    }
}

/// The single-writer OMS core.
pub struct OmsCore {
    state: OmsState,
    checker: Box<dyn PreTradeCheck + Send>,
    router: Box<dyn Router + Send>,
    drop_copy: bool,
    /// (UTC hour, trade date, settlement date) of the last fill: New York
    /// offsets are whole hours, so the date is constant within a UTC hour.
    /// A pure cache, not state.
    dates: Option<(i64, chrono::NaiveDate, chrono::NaiveDate)>,
    /// Reused by [`OmsCore::apply_addressed`]; empty between calls.
    scratch: Vec<Output>,
}

impl std::fmt::Debug for OmsCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OmsCore")
            .field("orders", &self.state.orders.len())
            .field("applied", &self.state.applied)
            .finish()
    }
}

/// Why a parent's last child closed, when no cancel was asked for.
#[derive(Clone, Debug)]
enum CloseHint {
    Venue(CloseKind, Option<String>),
    Rejected(Option<String>),
}

impl OmsCore {
    /// A core with no orders.
    pub fn new(
        config: OmsConfig,
        checker: Box<dyn PreTradeCheck + Send>,
        router: Box<dyn Router + Send>,
    ) -> OmsCore {
        let state = OmsState {
            venues: config.venues.iter().map(|v| (v.clone(), false)).collect(),
            default_venues: config.default_venues.clone(),
            ..OmsState::default()
        };
        OmsCore {
            state,
            checker,
            router,
            drop_copy: config.drop_copy,
            dates: None,
            scratch: Vec::new(),
        }
    }

    // ----- getters -----

    /// The whole state (read-only).
    pub fn state(&self) -> &OmsState {
        &self.state
    }

    /// A canonical text of the state: equal states give identical bytes.
    pub fn snapshot(&self) -> String {
        format!("{:?}", self.state)
    }

    /// An order by OMS id.
    pub fn order(&self, id: &OrderId) -> Option<&ParentOrder> {
        self.state.orders.get(id)
    }

    /// An order by any ClOrdID of its chain on a session.
    pub fn order_by_cl_ord_id(&self, session: &str, cl: &ClOrdId) -> Option<&ParentOrder> {
        let id = self.state.client_order(session, cl.as_str())?;
        self.state.orders.get(id)
    }

    /// Positions, cash and marks.
    pub fn portfolio(&self) -> &Portfolio {
        &self.state.portfolio
    }

    /// The trade ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.state.ledger
    }

    /// The ids an event concerns (computed before applying it, for the
    /// journal). For a new order this is the id it will get.
    pub fn journal_keys(&self, ev: &Event) -> JournalKeys {
        let st = &self.state;
        let from_order = |id: Option<&OrderId>| -> JournalKeys {
            match id.and_then(|id| st.orders.get(id)) {
                Some(p) => JournalKeys {
                    order_id: Some(p.order_id.clone()),
                    client: Some(p.session.clone()),
                    account: Some(p.account.clone()),
                    symbol: Some(p.symbol.clone()),
                },
                None => JournalKeys::default(),
            }
        };
        let client = |s: &SessionId, c: &ClOrdId| JournalKeys {
            client: Some(s.clone()),
            ..from_order(st.client_order(s, c.as_str()))
        };
        let child = |c: &ClOrdId| from_order(st.child_ids.get(c).map(|(o, _)| o));
        let fill = |v: &VenueId, e: &ExecId| {
            from_order(st.fill(v.as_str(), e.as_str()).map(|f| &f.order_id))
        };
        match &ev.kind {
            EventKind::ClientNew(o) => {
                let dup = st.client_order(&o.session, o.cl_ord_id.as_str()).is_some();
                JournalKeys {
                    order_id: (!dup).then(|| order_id(st.next_order + 1)),
                    client: Some(o.session.clone()),
                    account: Some(o.account.clone()),
                    symbol: Some(o.symbol.clone()),
                }
            }
            EventKind::ClientCancel(r) => client(&r.session, &r.orig_cl_ord_id),
            EventKind::ClientReplace(r) => client(&r.session, &r.orig_cl_ord_id),
            EventKind::ClientStatus(r) => client(&r.session, &r.cl_ord_id),
            EventKind::VenueAck(r) => child(&r.cl_ord_id),
            EventKind::VenueFill(r) => child(&r.cl_ord_id),
            EventKind::VenueClosed(r) => child(&r.cl_ord_id),
            EventKind::VenueReplaced(r) => child(&r.cl_ord_id),
            EventKind::VenueRejected(r) => child(&r.cl_ord_id),
            EventKind::VenueCancelRejected(r) => child(&r.cl_ord_id),
            EventKind::VenueTradeCorrect(r) => fill(&r.venue, &r.exec_ref_id),
            EventKind::VenueTradeBust(r) => fill(&r.venue, &r.exec_ref_id),
            EventKind::MarketPrice { symbol, .. } => JournalKeys {
                symbol: Some(symbol.clone()),
                ..JournalKeys::default()
            },
            EventKind::VenueQuote(q) => JournalKeys {
                symbol: Some(q.symbol.clone()),
                ..JournalKeys::default()
            },
            EventKind::Operator(OperatorAction::Deposit { account, .. }) => JournalKeys {
                account: Some(account.clone()),
                ..JournalKeys::default()
            },
            EventKind::Operator(OperatorAction::CancelAll { account, .. }) => JournalKeys {
                account: account.clone(),
                ..JournalKeys::default()
            },
            EventKind::Operator(OperatorAction::SetDefaultVenue { symbol, .. }) => JournalKeys {
                symbol: Some(symbol.clone()),
                ..JournalKeys::default()
            },
            EventKind::Settle(_)
            | EventKind::Delivered(_)
            | EventKind::VenueConnected { .. }
            | EventKind::VenueDisconnected { .. } => JournalKeys::default(),
        }
    }

    // ----- input -----

    /// Apply one event; returns what to send.
    pub fn apply(&mut self, ev: &Event) -> Vec<Output> {
        let mut out = Vec::new();
        self.apply_into(ev, &mut out);
        out
    }

    /// Apply one event, appending what to send to `out`.
    pub fn apply_into(&mut self, ev: &Event, out: &mut Vec<Output>) {
        let start = out.len();
        self.apply_unnumbered(ev, out);
        for o in &out[start..] {
            self.state.deliveries.number(o);
        }
    }

    /// Apply one event, appending what to send to `out`, each output with
    /// its delivery number (see [`recovery`]).
    pub fn apply_addressed(&mut self, ev: &Event, out: &mut Vec<Addressed>) {
        let mut outputs = std::mem::take(&mut self.scratch);
        self.apply_unnumbered(ev, &mut outputs);
        for output in outputs.drain(..) {
            out.push(Addressed {
                delivery: self.state.deliveries.number(&output),
                output,
            });
        }
        self.scratch = outputs;
    }

    fn apply_unnumbered(&mut self, ev: &Event, out: &mut Vec<Output>) {
        self.state.applied += 1;
        if let Some(src) = &ev.source {
            let seen = StreamPos {
                epoch: src.epoch,
                pos: src.pos,
            };
            match self.state.inbound.get_mut(&*src.stream) {
                // A newer epoch replaces an older one; within one, the
                // highest position wins.
                Some(e) => *e = (*e).max(seen),
                None => {
                    self.state.inbound.insert(src.stream.clone(), seen);
                }
            }
        }
        let now = ev.ts;
        let mut cx = Cx {
            st: &mut self.state,
            checker: self.checker.as_mut(),
            router: self.router.as_ref(),
            out,
            now,
            drop_copy: self.drop_copy,
            dates: &mut self.dates,
        };
        match &ev.kind {
            EventKind::ClientNew(o) => cx.client_new(o),
            EventKind::ClientCancel(r) => cx.client_cancel(r),
            EventKind::ClientReplace(r) => cx.client_replace(r),
            EventKind::ClientStatus(r) => cx.client_status(r),
            EventKind::VenueAck(r) => cx.venue_ack(r),
            EventKind::VenueFill(r) => cx.venue_fill(r),
            EventKind::VenueClosed(r) => cx.venue_closed(r),
            EventKind::VenueReplaced(r) => cx.venue_replaced(r),
            EventKind::VenueRejected(r) => cx.venue_rejected(r),
            EventKind::VenueCancelRejected(r) => cx.venue_cancel_rejected(r),
            EventKind::VenueTradeCorrect(r) => cx.venue_adjust(
                &r.venue,
                &r.exec_id,
                &r.exec_ref_id,
                Some((r.last_qty, r.last_px)),
            ),
            EventKind::VenueTradeBust(r) => cx.venue_bust(r),
            EventKind::MarketPrice { symbol, px } if px.is_sane() => {
                cx.st.portfolio.set_mark(symbol.clone(), *px);
                cx.checker.on_price(now, symbol, *px);
            }
            EventKind::MarketPrice { symbol, px } => {
                cx.alert(
                    AlertKind::UnexpectedVenueReport,
                    format!("price {px} for {symbol} ignored: out of range"),
                );
            }
            EventKind::VenueQuote(q) => {
                cx.st
                    .quotes
                    .entry(q.symbol.clone())
                    .or_default()
                    .insert(q.venue.clone(), q.clone());
            }
            EventKind::Settle(s) => cx.settle(s),
            EventKind::Operator(a) => cx.operator(a),
            EventKind::VenueConnected { venue } => {
                cx.st.venues.insert(venue.clone(), true);
            }
            EventKind::VenueDisconnected { venue } => cx.venue_down(venue),
            EventKind::Delivered(c) => cx.st.deliveries.record(c),
        }
        while let Some(text) = cx.checker.poll_alert() {
            cx.alert(AlertKind::Risk, text);
        }
    }
}

fn order_id(n: u64) -> OrderId {
    OrderId::new(format!("O{n}"))
}

/// One event's worth of mutable context.
struct Cx<'a> {
    st: &'a mut OmsState,
    checker: &'a mut (dyn PreTradeCheck + Send),
    router: &'a (dyn Router + Send),
    out: &'a mut Vec<Output>,
    now: Timestamp,
    drop_copy: bool,
    dates: &'a mut Option<(i64, chrono::NaiveDate, chrono::NaiveDate)>,
}

impl Cx<'_> {
    // ----- emitting -----

    fn alert(&mut self, kind: AlertKind, text: String) {
        self.out.push(Output::Alert(Alert {
            ts: self.now,
            kind,
            text,
        }));
    }

    fn next_exec(&mut self) -> ExecId {
        self.st.next_exec += 1;
        ExecId::new(format!("E{}", self.st.next_exec))
    }

    /// A client report from the parent's current state.
    fn report(
        &mut self,
        oid: &OrderId,
        exec_type: ExecType,
        cl: Option<ClOrdId>,
        orig: Option<ClOrdId>,
    ) -> ExecutionReport {
        let exec_id = self.next_exec();
        let p = &self.st.orders[oid];
        ExecutionReport {
            session: p.session.clone(),
            account: p.account.clone(),
            order_id: p.order_id.clone(),
            exec_id,
            exec_type,
            ord_status: p.status,
            cl_ord_id: cl.unwrap_or_else(|| p.cl_ord_id.clone()),
            orig_cl_ord_id: orig,
            exec_ref_id: None,
            symbol: p.symbol.clone(),
            side: p.side,
            ord_type: p.ord_type,
            price: p.price,
            tif: p.tif,
            order_qty: p.qty,
            last_qty: Qty::ZERO,
            last_px: Px::ZERO,
            last_mkt: None,
            cum_qty: p.cum,
            leaves_qty: p.leaves(),
            avg_px: p.avg_px(),
            text: None,
            transact_time: self.now,
        }
    }

    fn emit(&mut self, er: ExecutionReport) {
        if self.drop_copy {
            self.out.push(Output::ExecReport(er.clone()));
            self.out.push(Output::DropCopy(er));
        } else {
            self.out.push(Output::ExecReport(er));
        }
    }

    fn simple(&mut self, oid: &OrderId, exec_type: ExecType, text: Option<String>) {
        let mut er = self.report(oid, exec_type, None, None);
        er.text = text;
        self.emit(er);
    }

    #[allow(clippy::too_many_arguments)]
    fn cancel_reject(
        &mut self,
        session: &SessionId,
        oid: Option<&OrderId>,
        cl: &ClOrdId,
        orig: &ClOrdId,
        to: CxlRejResponseTo,
        reason: CxlRejReason,
        text: String,
    ) {
        let ord_status = oid
            .and_then(|o| self.st.orders.get(o))
            .map(|p| p.status)
            .unwrap_or(OrdStatus::Rejected);
        self.out.push(Output::CancelReject(CancelReject {
            session: session.clone(),
            order_id: oid.cloned(),
            cl_ord_id: cl.clone(),
            orig_cl_ord_id: orig.clone(),
            ord_status,
            response_to: to,
            reason,
            text,
        }));
    }
}
