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
//!   pending cancel/replace) or 6 (duplicate ClOrdID). A replace goes to
//!   the venue as a replace of the order's one live child; replacing an
//!   order working at several venues is refused (reason 2, cancel and
//!   re-enter).
//! - When every child of a parent is done, the parent closes: Filled,
//!   Canceled (asked for, or unsolicited by the venue), Expired, Done for
//!   day, or Rejected if no venue ever took any of it. The OMS does not
//!   re-route quantity a venue gave back; the smart router will.
//! - Trade busts and corrections adjust CumQty/AvgPx (reported as
//!   TradeCancel/TradeCorrect with ExecRefID), the trade ledger, and the
//!   position, rebuilt from its trades; a busted fill of a done order
//!   reopens it (leaves = qty - cum, nothing working until the client
//!   acts). Busting or correcting a settled trade is refused with an alert.

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
    Output, VenueCancel, VenueNewOrder, VenueReplace,
};
use crate::portfolio::Portfolio;
use crate::pretrade::{Decision, FillNotice, OmsView, OrderRequest, PreTradeCheck};
use crate::router::{RouteRequest, RouteView, Router, Slice};
use crate::settlement::{settlement_date, Ledger, Trade, TradeStatus};
use crate::state::{OrdStatus, OrderEvent};
use crate::types::{
    AccountId, ClOrdId, ExecId, OrdType, OrderId, Px, Qty, Symbol, Timestamp, VenueId,
};

/// The maps of the state: insertion-ordered (iteration, and so every
/// output and the snapshot, follows the order of the events), hashed with
/// SipHash under fixed keys (`DefaultHasher::default()`), so no ambient
/// randomness reaches the core.
pub type Map<K, V> = IndexMap<K, V, BuildHasherDefault<std::collections::hash_map::DefaultHasher>>;

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
        self.state.applied += 1;
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
            EventKind::MarketPrice { symbol, px } => {
                cx.st.portfolio.set_mark(symbol.clone(), *px);
                cx.checker.on_price(now, symbol, *px);
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

    // ----- client requests -----

    fn client_new(&mut self, o: &NewOrder) {
        if self
            .st
            .client_order(&o.session, o.cl_ord_id.as_str())
            .is_some()
        {
            let er = ExecutionReport {
                session: o.session.clone(),
                account: o.account.clone(),
                order_id: OrderId::from("NONE"),
                exec_id: self.next_exec(),
                exec_type: ExecType::Rejected,
                ord_status: OrdStatus::Rejected,
                cl_ord_id: o.cl_ord_id.clone(),
                orig_cl_ord_id: None,
                exec_ref_id: None,
                symbol: o.symbol.clone(),
                side: o.side,
                ord_type: o.ord_type,
                price: o.price,
                tif: o.tif,
                order_qty: o.qty,
                last_qty: Qty::ZERO,
                last_px: Px::ZERO,
                last_mkt: None,
                cum_qty: Qty::ZERO,
                leaves_qty: Qty::ZERO,
                avg_px: Px::ZERO,
                text: Some(format!(
                    "DuplicateClOrdId: ClOrdID {} already used on this session",
                    o.cl_ord_id
                )),
                transact_time: self.now,
            };
            self.emit(er);
            return;
        }
        self.st.next_order += 1;
        let oid = order_id(self.st.next_order);
        let price = if o.ord_type == OrdType::Market {
            None
        } else {
            o.price
        };
        let mut parent = ParentOrder {
            order_id: oid.clone(),
            session: o.session.clone(),
            account: o.account.clone(),
            symbol: o.symbol.clone(),
            side: o.side,
            ord_type: o.ord_type,
            price,
            tif: o.tif,
            qty: o.qty,
            cl_ord_id: o.cl_ord_id.clone(),
            chain: vec![o.cl_ord_id.clone()],
            status: OrdStatus::PendingNew,
            cum: Qty::ZERO,
            notional: Decimal::ZERO,
            children: Vec::new(),
            pending: None,
            child_requests: 0,
        };
        self.st.add_client_id(&o.session, &o.cl_ord_id, oid.clone());

        // Validate, route, check: the first refusal wins.
        let refusal = if o.qty.is_zero() {
            Err("InvalidOrder: order qty must be positive".to_owned())
        } else if o.ord_type == OrdType::Limit
            && !matches!(price, Some(p) if p.dec() > Decimal::ZERO)
        {
            Err("InvalidOrder: limit order needs a positive price".to_owned())
        } else {
            Ok(())
        };
        let routed = refusal.and_then(|()| self.route(&parent, o.qty));
        let decided = routed.and_then(|slices| {
            let req = OrderRequest {
                cl_ord_id: o.cl_ord_id.clone(),
                replaces: None,
                account: o.account.clone(),
                symbol: o.symbol.clone(),
                side: o.side,
                qty: o.qty,
                cum_qty: Qty::ZERO,
                ord_type: o.ord_type,
                price,
                tif: o.tif,
                venue: slices.first().map(|s| s.venue.clone()),
            };
            let view = OmsView {
                portfolio: &self.st.portfolio,
            };
            match self.checker.check(self.now, &req, &view) {
                Decision::Accept => Ok((slices, None)),
                Decision::Reject(v) => Err(v.to_string()),
                Decision::Reduce(q) if q.is_zero() || q > o.qty => {
                    Err(format!("InvalidReduce: checker reduced to {q}"))
                }
                Decision::Reduce(q) => {
                    parent.qty = q;
                    let text = format!("Reduced: order qty {} reduced to {q} by risk", o.qty);
                    match self.route(&parent, q) {
                        Ok(s) => Ok((s, Some(text))),
                        Err(e) => {
                            self.checker
                                .on_order_done(self.now, &o.account, &o.cl_ord_id);
                            Err(e)
                        }
                    }
                }
            }
        });
        match decided {
            Err(text) => {
                parent.status = parent
                    .status
                    .transition(OrderEvent::Rejected)
                    .unwrap_or(OrdStatus::Rejected);
                self.st.orders.insert(oid.clone(), parent);
                self.simple(&oid, ExecType::Rejected, Some(text));
            }
            Ok((slices, text)) => {
                let mut sends = Vec::with_capacity(slices.len());
                for (i, s) in slices.into_iter().enumerate() {
                    let cl = ClOrdId::new(format!("{}.{}", oid, i + 1));
                    self.st.child_ids.insert(cl.clone(), (oid.clone(), i));
                    sends.push(Output::VenueNew(VenueNewOrder {
                        venue: s.venue.clone(),
                        cl_ord_id: cl.clone(),
                        parent: oid.clone(),
                        account: parent.account.clone(),
                        symbol: parent.symbol.clone(),
                        side: parent.side,
                        qty: s.qty,
                        ord_type: parent.ord_type,
                        price: parent.price,
                        tif: parent.tif,
                    }));
                    parent.children.push(ChildOrder {
                        cl_ord_id: cl,
                        venue: s.venue,
                        venue_order_id: None,
                        qty: s.qty,
                        price: parent.price,
                        status: OrdStatus::PendingNew,
                        cum: Qty::ZERO,
                        pending: None,
                    });
                }
                self.st.orders.insert(oid.clone(), parent);
                let mut er = self.report(&oid, ExecType::PendingNew, None, None);
                er.text = text;
                self.emit(er);
                self.out.extend(sends);
            }
        }
    }

    fn route(&self, p: &ParentOrder, qty: Qty) -> Result<Vec<Slice>, String> {
        let req = RouteRequest {
            symbol: &p.symbol,
            side: p.side,
            qty,
            ord_type: p.ord_type,
            price: p.price,
        };
        let view = RouteView {
            venues: &self.st.venues,
            default_venue: self.st.default_venues.get(&p.symbol),
            quotes: self.st.quotes.get(&p.symbol),
        };
        self.router.route(&req, &view).map_err(|e| e.to_string())
    }

    /// Common checks of a cancel or replace; returns the order id.
    fn lookup_for_change(
        &mut self,
        session: &SessionId,
        cl: &ClOrdId,
        orig: &ClOrdId,
        to: CxlRejResponseTo,
        event: OrderEvent,
    ) -> Option<OrderId> {
        let Some(oid) = self.st.client_order(session, orig.as_str()).cloned() else {
            self.cancel_reject(
                session,
                None,
                cl,
                orig,
                to,
                CxlRejReason::UnknownOrder,
                format!("UnknownOrder: no order with ClOrdID {orig}"),
            );
            return None;
        };
        if self.st.client_order(session, cl.as_str()).is_some() {
            self.cancel_reject(
                session,
                Some(&oid),
                cl,
                orig,
                to,
                CxlRejReason::DuplicateClOrdId,
                format!("DuplicateClOrdId: ClOrdID {cl} already used on this session"),
            );
            return None;
        }
        let status = self.st.orders[&oid].status;
        if let Err(e) = status.transition(event) {
            let (reason, text) = if e.state.is_terminal() {
                (
                    CxlRejReason::TooLateToCancel,
                    format!("TooLateToCancel: order is {}", e.state),
                )
            } else if e.state.is_pending_change() {
                (
                    CxlRejReason::AlreadyPending,
                    format!("AlreadyPending: order is {}", e.state),
                )
            } else {
                (
                    CxlRejReason::BrokerOption,
                    format!("BrokerOption: not allowed while order is {}", e.state),
                )
            };
            self.cancel_reject(session, Some(&oid), cl, orig, to, reason, text);
            return None;
        }
        Some(oid)
    }

    fn client_cancel(&mut self, r: &CancelRequest) {
        let Some(oid) = self.lookup_for_change(
            &r.session,
            &r.cl_ord_id,
            &r.orig_cl_ord_id,
            CxlRejResponseTo::Cancel,
            OrderEvent::CancelRequested,
        ) else {
            return;
        };
        self.st.add_client_id(&r.session, &r.cl_ord_id, oid.clone());
        self.start_cancel(&oid, Some(r.cl_ord_id.clone()));
    }

    /// Move a parent to PendingCancel and cancel its live children.
    fn start_cancel(&mut self, oid: &OrderId, cl: Option<ClOrdId>) {
        let p = self.st.orders.get_mut(oid).expect("order exists");
        let Ok(next) = p.status.transition(OrderEvent::CancelRequested) else {
            return;
        };
        p.status = next;
        let orig = p.cl_ord_id.clone();
        p.pending = Some(PendingChange {
            kind: ChangeKind::Cancel,
            cl_ord_id: cl.clone(),
            orig_cl_ord_id: orig.clone(),
        });
        // An operator's cancel has no ClOrdID of its own: the report
        // carries the order's current one and no OrigClOrdID.
        let orig_field = cl.as_ref().map(|_| orig);
        let er = self.report(oid, ExecType::PendingCancel, cl.clone(), orig_field);
        self.emit(er);
        let p = self.st.orders.get_mut(oid).expect("order exists");
        let mut sends = Vec::new();
        for (i, c) in p.children.iter_mut().enumerate() {
            if c.status.is_terminal() || c.pending.is_some() {
                continue;
            }
            p.child_requests += 1;
            let req = ClOrdId::new(format!("{}.{}", c.cl_ord_id, p.child_requests));
            c.pending = Some((req.clone(), ChangeKind::Cancel));
            sends.push((
                i,
                VenueCancel {
                    venue: c.venue.clone(),
                    cl_ord_id: req,
                    orig_cl_ord_id: c.cl_ord_id.clone(),
                    venue_order_id: c.venue_order_id.clone(),
                    symbol: p.symbol.clone(),
                    side: p.side,
                    qty: c.qty,
                },
            ));
        }
        for (i, vc) in sends {
            self.st
                .child_ids
                .insert(vc.cl_ord_id.clone(), (oid.clone(), i));
            self.out.push(Output::VenueCancel(vc));
        }
        // Nothing working at any venue (e.g. reopened by a bust): done now.
        self.parent_check(oid, None);
    }

    fn client_replace(&mut self, r: &ReplaceRequest) {
        let to = CxlRejResponseTo::Replace;
        let Some(oid) = self.lookup_for_change(
            &r.session,
            &r.cl_ord_id,
            &r.orig_cl_ord_id,
            to,
            OrderEvent::ReplaceRequested,
        ) else {
            return;
        };
        let p = &self.st.orders[&oid];
        let live: Vec<usize> = p.live_children().map(|(i, _)| i).collect();
        let refusal = if r.qty <= p.cum {
            Some((
                CxlRejReason::Other,
                format!(
                    "InvalidReplace: new qty {} not above cum qty {}",
                    r.qty, p.cum
                ),
            ))
        } else if p.ord_type == OrdType::Limit
            && !matches!(r.price, Some(x) if x.dec() > Decimal::ZERO)
        {
            Some((
                CxlRejReason::Other,
                "InvalidReplace: limit order needs a positive price".to_owned(),
            ))
        } else if live.len() != 1 {
            Some((
                CxlRejReason::BrokerOption,
                format!(
                    "BrokerOption: order is working at {} venues; cancel and re-enter",
                    live.len()
                ),
            ))
        } else {
            None
        };
        if let Some((reason, text)) = refusal {
            self.cancel_reject(
                &r.session,
                Some(&oid),
                &r.cl_ord_id,
                &r.orig_cl_ord_id,
                to,
                reason,
                text,
            );
            return;
        }
        let price = if p.ord_type == OrdType::Market {
            None
        } else {
            r.price
        };
        let req = OrderRequest {
            cl_ord_id: r.cl_ord_id.clone(),
            replaces: Some((oid.clone(), p.first_cl_ord_id().clone())),
            account: p.account.clone(),
            symbol: p.symbol.clone(),
            side: p.side,
            qty: r.qty,
            cum_qty: p.cum,
            ord_type: p.ord_type,
            price,
            tif: p.tif,
            venue: Some(p.children[live[0]].venue.clone()),
        };
        let view = OmsView {
            portfolio: &self.st.portfolio,
        };
        match self.checker.check(self.now, &req, &view) {
            Decision::Accept => {}
            Decision::Reduce(q) => {
                let text =
                    format!("BrokerOption: risk would reduce the replace to {q}; not applied");
                self.cancel_reject(
                    &r.session,
                    Some(&oid),
                    &r.cl_ord_id,
                    &r.orig_cl_ord_id,
                    to,
                    CxlRejReason::BrokerOption,
                    text,
                );
                return;
            }
            Decision::Reject(v) => {
                self.cancel_reject(
                    &r.session,
                    Some(&oid),
                    &r.cl_ord_id,
                    &r.orig_cl_ord_id,
                    to,
                    CxlRejReason::BrokerOption,
                    v.to_string(),
                );
                return;
            }
        }
        self.st.add_client_id(&r.session, &r.cl_ord_id, oid.clone());
        let p = self.st.orders.get_mut(&oid).expect("order exists");
        p.status = p
            .status
            .transition(OrderEvent::ReplaceRequested)
            .unwrap_or(p.status);
        let orig = p.cl_ord_id.clone();
        let kind = ChangeKind::Replace { qty: r.qty, price };
        p.pending = Some(PendingChange {
            kind: kind.clone(),
            cl_ord_id: Some(r.cl_ord_id.clone()),
            orig_cl_ord_id: orig.clone(),
        });
        let ci = live[0];
        p.child_requests += 1;
        let parent_cum = p.cum;
        let c = &mut p.children[ci];
        let req_id = ClOrdId::new(format!("{}.{}", c.cl_ord_id, p.child_requests));
        let child_qty = c.cum + r.qty.saturating_sub(parent_cum);
        let child_kind = ChangeKind::Replace {
            qty: child_qty,
            price,
        };
        c.pending = Some((req_id.clone(), child_kind));
        let vr = VenueReplace {
            venue: c.venue.clone(),
            cl_ord_id: req_id.clone(),
            orig_cl_ord_id: c.cl_ord_id.clone(),
            venue_order_id: c.venue_order_id.clone(),
            symbol: p.symbol.clone(),
            side: p.side,
            qty: child_qty,
            ord_type: p.ord_type,
            price,
            tif: p.tif,
        };
        self.st.child_ids.insert(req_id, (oid.clone(), ci));
        let er = self.report(
            &oid,
            ExecType::PendingReplace,
            Some(r.cl_ord_id.clone()),
            Some(orig),
        );
        self.emit(er);
        self.out.push(Output::VenueReplace(vr));
    }

    fn client_status(&mut self, r: &StatusRequest) {
        match self
            .st
            .client_order(&r.session, r.cl_ord_id.as_str())
            .cloned()
        {
            Some(oid) => {
                let er = self.report(&oid, ExecType::OrderStatus, None, None);
                self.emit(er);
            }
            None => {
                let exec_id = self.next_exec();
                self.out.push(Output::ExecReport(ExecutionReport {
                    session: r.session.clone(),
                    account: AccountId::from(""),
                    order_id: OrderId::from("NONE"),
                    exec_id,
                    exec_type: ExecType::OrderStatus,
                    ord_status: OrdStatus::Rejected,
                    cl_ord_id: r.cl_ord_id.clone(),
                    orig_cl_ord_id: None,
                    exec_ref_id: None,
                    symbol: Symbol::from(""),
                    side: crate::types::Side::Buy,
                    ord_type: OrdType::Limit,
                    price: None,
                    tif: crate::types::TimeInForce::Day,
                    order_qty: Qty::ZERO,
                    last_qty: Qty::ZERO,
                    last_px: Px::ZERO,
                    last_mkt: None,
                    cum_qty: Qty::ZERO,
                    leaves_qty: Qty::ZERO,
                    avg_px: Px::ZERO,
                    text: Some(format!(
                        "UnknownOrder: no order with ClOrdID {}",
                        r.cl_ord_id
                    )),
                    transact_time: self.now,
                }));
            }
        }
    }

    // ----- venue reports -----

    fn child_of(&mut self, venue: &VenueId, cl: &ClOrdId, what: &str) -> Option<(OrderId, usize)> {
        match self.st.child_ids.get(cl) {
            Some((oid, i)) if &self.st.orders[oid].children[*i].venue == venue => {
                Some((oid.clone(), *i))
            }
            _ => {
                self.alert(
                    AlertKind::UnexpectedVenueReport,
                    format!("{what} from {venue} for unknown ClOrdID {cl}"),
                );
                None
            }
        }
    }

    fn venue_ack(&mut self, r: &VenueAck) {
        let Some((oid, i)) = self.child_of(&r.venue, &r.cl_ord_id, "ack") else {
            return;
        };
        let p = self.st.orders.get_mut(&oid).expect("order exists");
        let c = &mut p.children[i];
        c.venue_order_id
            .get_or_insert_with(|| r.venue_order_id.clone());
        if c.status == OrdStatus::PendingNew {
            c.status = OrdStatus::New;
        }
        // A late ack (after a fill or a cancel) changes nothing.
        if p.status == OrdStatus::PendingNew {
            p.status = OrdStatus::New;
            self.simple(&oid, ExecType::New, None);
        }
    }

    fn venue_fill(&mut self, r: &VenueFill) {
        if self.st.fill(r.venue.as_str(), r.exec_id.as_str()).is_some() {
            return; // a duplicate (resend, PossDup): already booked and reported
        }
        let Some((oid, i)) = self.child_of(&r.venue, &r.cl_ord_id, "fill") else {
            return;
        };
        if r.last_qty.is_zero() {
            self.alert(
                AlertKind::UnexpectedVenueReport,
                format!("zero-quantity fill {} from {} ignored", r.exec_id, r.venue),
            );
            return;
        }
        let p = self.st.orders.get_mut(&oid).expect("order exists");
        let c = &mut p.children[i];
        if let (None, Some(v)) = (&c.venue_order_id, &r.venue_order_id) {
            c.venue_order_id = Some(v.clone());
        }
        c.cum += r.last_qty;
        let cev = if c.cum >= c.qty {
            OrderEvent::Fill
        } else {
            OrderEvent::PartialFill
        };
        let child_bad = c.status.transition(cev).map(|s| c.status = s).err();
        let was_terminal = p.status.is_terminal();
        p.cum += r.last_qty;
        p.notional += r.last_qty.dec() * r.last_px.dec();
        let pev = if p.cum >= p.qty {
            OrderEvent::Fill
        } else {
            OrderEvent::PartialFill
        };
        let parent_bad = p.status.transition(pev).map(|s| p.status = s).err();
        let over = p.cum > p.qty;
        let (account, symbol, side, first) = (
            p.account.clone(),
            p.symbol.clone(),
            p.side,
            p.first_cl_ord_id().clone(),
        );
        let venue_order_id = p.children[i].venue_order_id.clone();
        let now_terminal = p.status.is_terminal();

        let mut er = self.report(&oid, ExecType::Trade, None, None);
        er.last_qty = r.last_qty;
        er.last_px = r.last_px;
        er.last_mkt = Some(r.venue.clone());
        let client_exec_id = er.exec_id.clone();
        self.emit(er);

        let hour = self.now.0.div_euclid(3_600_000_000_000);
        let (trade_date, settle_date) = match *self.dates {
            Some((h, t, s)) if h == hour => (t, s),
            _ => {
                let t = self.now.ny_date();
                let s = settlement_date(t);
                *self.dates = Some((hour, t, s));
                (t, s)
            }
        };
        let ledger_id = self.st.ledger.book(Trade {
            venue: r.venue.clone(),
            exec_id: r.exec_id.clone(),
            trade_id: r.trade_id.clone(),
            venue_order_id,
            order_id: oid.clone(),
            account: account.clone(),
            symbol: symbol.clone(),
            side,
            qty: r.last_qty,
            px: r.last_px,
            ts: self.now,
            trade_date,
            settle_date,
            status: TradeStatus::Pending,
        });
        self.st
            .portfolio
            .on_fill(&account, &symbol, side, r.last_qty, r.last_px);
        self.st.fills.entry(r.venue.clone()).or_default().insert(
            r.exec_id.clone(),
            FillRef {
                order_id: oid.clone(),
                child: i,
                qty: r.last_qty,
                px: r.last_px,
                client_exec_id,
                ledger_id,
                busted: false,
            },
        );
        self.checker.on_fill(
            self.now,
            &FillNotice {
                account: account.clone(),
                cl_ord_id: first.clone(),
                symbol,
                side,
                qty: r.last_qty,
                px: r.last_px,
            },
        );
        if let Some(e) = child_bad.or(parent_bad) {
            self.alert(
                AlertKind::UnexpectedVenueReport,
                format!("fill {} from {} on order {oid}: {e}", r.exec_id, r.venue),
            );
        }
        if over {
            self.alert(
                AlertKind::UnexpectedVenueReport,
                format!(
                    "order {oid} overfilled by fill {} from {}",
                    r.exec_id, r.venue
                ),
            );
        }
        if now_terminal && !was_terminal {
            self.checker.on_order_done(self.now, &account, &first);
        }
        self.parent_check(&oid, None);
    }

    fn venue_closed(&mut self, r: &VenueClosed) {
        let Some((oid, i)) = self.child_of(&r.venue, &r.cl_ord_id, "cancel") else {
            return;
        };
        let p = self.st.orders.get_mut(&oid).expect("order exists");
        let c = &mut p.children[i];
        if c.status.is_terminal() {
            return; // e.g. a cancel confirmation after the last fill
        }
        let ev = match r.how {
            CloseKind::Canceled => OrderEvent::Canceled,
            CloseKind::Expired => OrderEvent::Expired,
            CloseKind::DoneForDay => OrderEvent::DoneForDay,
        };
        c.status = c.status.transition(ev).unwrap_or(OrdStatus::Canceled);
        c.pending = None;
        self.parent_check(&oid, Some(CloseHint::Venue(r.how, r.text.clone())));
    }

    fn venue_replaced(&mut self, r: &VenueReplaced) {
        let Some((oid, i)) = self.child_of(&r.venue, &r.cl_ord_id, "replace") else {
            return;
        };
        let p = self.st.orders.get_mut(&oid).expect("order exists");
        let c = &mut p.children[i];
        let Some((req, ChangeKind::Replace { qty, price })) = c.pending.clone() else {
            self.alert(
                AlertKind::UnexpectedVenueReport,
                format!(
                    "replace {} from {} with no replace pending",
                    r.cl_ord_id, r.venue
                ),
            );
            return;
        };
        if req != r.cl_ord_id {
            return;
        }
        c.pending = None;
        c.cl_ord_id = req;
        c.qty = qty;
        c.price = price;
        if let Ok(s) = c.status.transition(OrderEvent::Replaced) {
            c.status = s;
        }
        if c.cum >= c.qty && !c.status.is_terminal() {
            c.status = OrdStatus::Filled;
        }
        let Some(PendingChange {
            kind: ChangeKind::Replace { qty, price },
            cl_ord_id,
            orig_cl_ord_id,
        }) = p.pending.take()
        else {
            return;
        };
        p.qty = qty;
        p.price = price;
        if let Some(cl) = &cl_ord_id {
            p.cl_ord_id = cl.clone();
            p.chain.push(cl.clone());
        }
        if let Ok(s) = p.status.transition(OrderEvent::Replaced) {
            p.status = s;
        }
        if p.cum >= p.qty {
            p.status = p.status.transition(OrderEvent::Fill).unwrap_or(p.status);
        }
        let (account, first, leaves) = (p.account.clone(), p.first_cl_ord_id().clone(), p.leaves());
        let er = self.report(&oid, ExecType::Replaced, cl_ord_id, Some(orig_cl_ord_id));
        self.emit(er);
        self.checker
            .on_order_amended(self.now, &account, &first, leaves, price);
        self.parent_check(&oid, None);
    }

    fn venue_rejected(&mut self, r: &VenueRejected) {
        let Some((oid, i)) = self.child_of(&r.venue, &r.cl_ord_id, "reject") else {
            return;
        };
        let p = self.st.orders.get_mut(&oid).expect("order exists");
        let c = &mut p.children[i];
        if c.status.is_terminal() {
            return;
        }
        c.status = c
            .status
            .transition(OrderEvent::Rejected)
            .or_else(|_| c.status.transition(OrderEvent::Canceled))
            .unwrap_or(OrdStatus::Rejected);
        c.pending = None;
        self.parent_check(&oid, Some(CloseHint::Rejected(r.text.clone())));
    }

    fn venue_cancel_rejected(&mut self, r: &VenueCancelRejected) {
        let Some((oid, i)) = self.child_of(&r.venue, &r.cl_ord_id, "cancel reject") else {
            return;
        };
        let p = self.st.orders.get_mut(&oid).expect("order exists");
        let c = &mut p.children[i];
        let kind = match &c.pending {
            Some((req, kind)) if req == &r.cl_ord_id => kind.clone(),
            _ => return, // stale: that request is already resolved
        };
        c.pending = None;
        if c.status.is_terminal() {
            // Too late at the venue because the child is done: the parent
            // resolves its request when every child is done.
            self.parent_check(&oid, None);
            return;
        }
        let filled = !c.cum.is_zero();
        let cev = match kind {
            ChangeKind::Cancel => OrderEvent::CancelRejected { filled },
            ChangeKind::Replace { .. } => OrderEvent::ReplaceRejected { filled },
        };
        if let Ok(s) = c.status.transition(cev) {
            c.status = s;
        }
        // The child is still working: the client's request failed.
        let Some(pc) = p.pending.take() else {
            return;
        };
        let filled = !p.cum.is_zero();
        let (pev, to) = match pc.kind {
            ChangeKind::Cancel => (
                OrderEvent::CancelRejected { filled },
                CxlRejResponseTo::Cancel,
            ),
            ChangeKind::Replace { .. } => (
                OrderEvent::ReplaceRejected { filled },
                CxlRejResponseTo::Replace,
            ),
        };
        if let Ok(s) = p.status.transition(pev) {
            p.status = s;
        }
        if let Some(cl) = pc.cl_ord_id {
            let session = p.session.clone();
            let text = r
                .text
                .clone()
                .unwrap_or_else(|| format!("venue {} refused the request", r.venue));
            self.cancel_reject(
                &session,
                Some(&oid),
                &cl,
                &pc.orig_cl_ord_id,
                to,
                r.reason,
                text,
            );
        }
    }

    fn venue_bust(&mut self, r: &VenueTradeBust) {
        self.venue_adjust(&r.venue, &r.exec_id, &r.exec_ref_id, None);
    }

    /// A correction (`Some(new qty, new px)`) or a bust (`None`).
    fn venue_adjust(
        &mut self,
        venue: &VenueId,
        exec_id: &ExecId,
        exec_ref_id: &ExecId,
        new: Option<(Qty, Px)>,
    ) {
        let akey = (venue.clone(), exec_id.clone());
        if self.st.adjustments.contains(&akey) {
            return;
        }
        let what = if new.is_some() { "correction" } else { "bust" };
        let Some(f) = self.st.fill(venue.as_str(), exec_ref_id.as_str()).cloned() else {
            self.alert(
                AlertKind::UnexpectedVenueReport,
                format!("{what} {exec_id} from {venue} of unknown fill {exec_ref_id}"),
            );
            return;
        };
        if f.busted {
            self.st.adjustments.insert(akey);
            return;
        }
        let trade = self
            .st
            .ledger
            .get(f.ledger_id)
            .cloned()
            .expect("fill is booked");
        if trade.status == TradeStatus::Settled {
            self.st.adjustments.insert(akey);
            self.alert(
                AlertKind::TradeCorrection,
                format!("{what} {exec_id} from {venue} of settled trade {exec_ref_id} refused"),
            );
            return;
        }
        self.st.adjustments.insert(akey);
        let (nq, npx) = new.unwrap_or((Qty::ZERO, f.px));
        // Order quantities and notional.
        let p = self.st.orders.get_mut(&f.order_id).expect("order exists");
        let c = &mut p.children[f.child];
        c.cum = Qty((c.cum.0 + nq.0).saturating_sub(f.qty.0));
        p.cum = Qty((p.cum.0 + nq.0).saturating_sub(f.qty.0));
        p.notional += nq.dec() * npx.dec() - f.qty.dec() * f.px.dec();
        let ev = OrderEvent::Corrected {
            cum_zero: p.cum.is_zero(),
            complete: p.cum >= p.qty,
        };
        if let Ok(s) = p.status.transition(ev) {
            p.status = s;
        }
        let (account, symbol, side) = (p.account.clone(), p.symbol.clone(), p.side);
        // Ledger and positions.
        {
            let t = self.st.ledger.get_mut(f.ledger_id).expect("fill is booked");
            if new.is_some() {
                t.qty = nq;
                t.px = npx;
            } else {
                t.status = TradeStatus::Busted;
            }
        }
        self.st.portfolio.reverse_cash(&account, side, f.qty, f.px);
        if new.is_some() {
            // Cash of the corrected trade (position rebuilt just below).
            self.st
                .portfolio
                .reverse_cash(&account, side, nq, Px(-npx.dec()));
        }
        let trades: Vec<_> = self.st.ledger.live_for(&account, &symbol).collect();
        self.st
            .portfolio
            .rebuild(&account, &symbol, trades.into_iter());
        if let Some(fr) = self
            .st
            .fills
            .get_mut(venue.as_str())
            .and_then(|m| m.get_mut(exec_ref_id.as_str()))
        {
            fr.qty = nq;
            fr.px = npx;
            fr.busted = new.is_none();
        }
        let et = if new.is_some() {
            ExecType::TradeCorrect
        } else {
            ExecType::TradeCancel
        };
        let mut er = self.report(&f.order_id, et, None, None);
        er.exec_ref_id = Some(f.client_exec_id.clone());
        er.last_qty = if new.is_some() { nq } else { f.qty };
        er.last_px = npx;
        er.last_mkt = Some(venue.clone());
        self.emit(er);
        self.alert(
            AlertKind::TradeCorrection,
            format!(
                "{what} {exec_id} from {venue}: fill {exec_ref_id} {}@{} on order {} now {}@{}",
                f.qty, f.px, f.order_id, nq, npx
            ),
        );
    }

    /// After any child change: when every child is done, resolve a pending
    /// cancel/replace and close the parent.
    fn parent_check(&mut self, oid: &OrderId, hint: Option<CloseHint>) {
        let p = self.st.orders.get_mut(oid).expect("order exists");
        if !p.children.iter().all(|c| c.status.is_terminal()) {
            return;
        }
        let was_terminal = p.status.is_terminal();
        if let Some(pc) = p.pending.take() {
            let session = p.session.clone();
            let to = match pc.kind {
                ChangeKind::Cancel => CxlRejResponseTo::Cancel,
                ChangeKind::Replace { .. } => CxlRejResponseTo::Replace,
            };
            if p.status == OrdStatus::Filled {
                if let Some(cl) = &pc.cl_ord_id {
                    self.cancel_reject(
                        &session,
                        Some(oid),
                        cl,
                        &pc.orig_cl_ord_id,
                        to,
                        CxlRejReason::TooLateToCancel,
                        "TooLateToCancel: order is Filled".to_owned(),
                    );
                }
                return;
            }
            match pc.kind {
                ChangeKind::Cancel => {
                    p.status = p
                        .status
                        .transition(OrderEvent::Canceled)
                        .unwrap_or(OrdStatus::Canceled);
                    if let Some(cl) = &pc.cl_ord_id {
                        p.cl_ord_id = cl.clone();
                        p.chain.push(cl.clone());
                    }
                    let (account, first) = (p.account.clone(), p.first_cl_ord_id().clone());
                    let orig = pc.cl_ord_id.as_ref().map(|_| pc.orig_cl_ord_id.clone());
                    let er = self.report(oid, ExecType::Canceled, None, orig);
                    self.emit(er);
                    if !was_terminal {
                        self.checker.on_order_done(self.now, &account, &first);
                    }
                    return;
                }
                ChangeKind::Replace { .. } => {
                    if let Some(cl) = &pc.cl_ord_id {
                        self.cancel_reject(
                            &session,
                            Some(oid),
                            cl,
                            &pc.orig_cl_ord_id,
                            to,
                            CxlRejReason::TooLateToCancel,
                            "TooLateToCancel: order closed at the venue".to_owned(),
                        );
                    }
                }
            }
        }
        let p = self.st.orders.get_mut(oid).expect("order exists");
        if p.status.is_terminal() {
            return;
        }
        let Some(hint) = hint else {
            return; // e.g. reopened by a bust: stays open until the client acts
        };
        let (ev, et, text) = match hint {
            CloseHint::Venue(CloseKind::Expired, t) => (OrderEvent::Expired, ExecType::Expired, t),
            CloseHint::Venue(CloseKind::DoneForDay, t) => {
                (OrderEvent::DoneForDay, ExecType::DoneForDay, t)
            }
            CloseHint::Venue(CloseKind::Canceled, t) => {
                (OrderEvent::Canceled, ExecType::Canceled, t)
            }
            CloseHint::Rejected(t) => {
                let never_worked = p.cum.is_zero()
                    && p.status == OrdStatus::PendingNew
                    && p.children.iter().all(|c| c.status == OrdStatus::Rejected);
                if never_worked {
                    (OrderEvent::Rejected, ExecType::Rejected, t)
                } else {
                    (OrderEvent::Canceled, ExecType::Canceled, t)
                }
            }
        };
        p.status = p
            .status
            .transition(ev)
            .or_else(|_| p.status.transition(OrderEvent::Canceled))
            .unwrap_or(OrdStatus::Canceled);
        let (account, first) = (p.account.clone(), p.first_cl_ord_id().clone());
        self.simple(oid, et, text);
        self.checker.on_order_done(self.now, &account, &first);
    }

    // ----- the rest -----

    fn settle(&mut self, s: &Settlement) {
        let outcome = self.st.ledger.settle(s.date, &s.records);
        for id in outcome.settled {
            let t = self
                .st
                .ledger
                .get(id)
                .cloned()
                .expect("settled trade exists");
            self.st
                .portfolio
                .on_settled(&t.account, &t.symbol, t.side, t.qty, t.px);
        }
        for b in outcome.breaks {
            self.alert(
                AlertKind::SettlementBreak,
                format!("settlement {}: {b}", s.date),
            );
        }
    }

    fn operator(&mut self, a: &OperatorAction) {
        match a {
            OperatorAction::Deposit { account, amount } => {
                self.st.portfolio.deposit(account, amount.dec());
                self.alert(
                    AlertKind::OperatorAction,
                    format!("deposit {amount} to {account}"),
                );
            }
            OperatorAction::SetDefaultVenue { symbol, venue } => {
                match venue {
                    Some(v) => self.st.default_venues.insert(symbol.clone(), v.clone()),
                    None => self.st.default_venues.remove(symbol),
                };
                self.alert(
                    AlertKind::OperatorAction,
                    format!("default venue of {symbol} set to {venue:?}"),
                );
            }
            OperatorAction::CancelAll { account, reason } => {
                let ids: Vec<OrderId> = self
                    .st
                    .orders
                    .values()
                    .filter(|p| account.as_ref().is_none_or(|a| &p.account == a))
                    .filter(|p| !p.status.is_terminal() && p.pending.is_none())
                    .map(|p| p.order_id.clone())
                    .collect();
                self.alert(
                    AlertKind::OperatorAction,
                    format!(
                        "cancel all ({}) of {}: {reason}",
                        ids.len(),
                        account.as_ref().map_or("all accounts", |a| a.as_str())
                    ),
                );
                for id in ids {
                    self.start_cancel(&id, None);
                }
            }
        }
    }

    fn venue_down(&mut self, venue: &VenueId) {
        self.st.venues.insert(venue.clone(), false);
        let open = self
            .st
            .orders
            .values()
            .flat_map(|p| p.children.iter())
            .filter(|c| &c.venue == venue && !c.status.is_terminal())
            .count();
        if open > 0 {
            self.alert(
                AlertKind::VenueDown,
                format!("venue {venue} disconnected with {open} open child orders"),
            );
        }
    }
}
