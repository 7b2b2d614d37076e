//! The order book of one instrument and its matching logic: submit, cancel,
//! cancel/replace, end-of-day expiry, and read-only views (best prices,
//! depth, single orders). The rules are written in the parent module's doc.

use super::events::{CancelReason, CancelRejectReason, ExecEvent, ExecKind, Outputs, Trade};
use super::levels::{Levels, Node, NIL};
use super::order::{BookReject, NewOrder, RestingOrder};
use crate::types::{
    AccountId, ExecId, Liquidity, OrdType, OrderId, Qty, Side, StpMode, Ticks, TimeInForce,
    Timestamp, TradeId,
};

/// One price level as seen from outside: price, displayed quantity, total
/// quantity (including hidden iceberg reserve) and number of orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelView {
    /// Price in ticks.
    pub price: Ticks,
    /// Displayed quantity.
    pub visible_qty: Qty,
    /// Displayed plus hidden quantity.
    pub total_qty: Qty,
    /// Number of orders.
    pub orders: u32,
}

/// The state of an order that is being matched as the aggressor.
struct Taker {
    id: OrderId,
    account: AccountId,
    side: Side,
    price: Option<Ticks>,
    order_qty: Qty,
    remaining: Qty,
    cum_qty: Qty,
    cum_notional: i128,
    stp: Option<StpMode>,
}

impl Taker {
    fn event(&self, exec_id: ExecId, kind: ExecKind, now: Timestamp) -> ExecEvent {
        ExecEvent {
            exec_id,
            order_id: self.id,
            account: self.account,
            kind,
            side: self.side,
            price: self.price,
            order_qty: self.order_qty,
            cum_qty: self.cum_qty,
            leaves_qty: self.remaining,
            cum_notional: self.cum_notional,
            timestamp: now,
        }
    }
}

/// A limit order book for one instrument with price-time priority.
#[derive(Debug, Clone)]
pub struct OrderBook {
    instrument: u16,
    store: Levels,
    next_order: u64,
    next_exec: u64,
    next_trade: u64,
    /// Trades never print outside `[lo, hi]` when set (LULD-style band).
    limits: Option<(Ticks, Ticks)>,
}

impl OrderBook {
    /// An empty book for the instrument with this index in its venue.
    pub fn new(instrument: u16) -> Self {
        OrderBook {
            instrument,
            store: Levels::default(),
            next_order: 1,
            next_exec: 1,
            next_trade: 1,
            limits: None,
        }
    }

    /// Reserves room for `additional` more resting orders, so that adds
    /// do not reallocate on the hot path.
    pub fn reserve(&mut self, additional: usize) {
        self.store.reserve(additional);
    }

    /// The instrument index given at construction.
    pub fn instrument(&self) -> u16 {
        self.instrument
    }

    /// Restricts the prices at which trades may print (inclusive). Market
    /// orders stop matching at the limit; resting orders outside it stay
    /// but cannot trade until the band moves.
    pub fn set_price_limits(&mut self, limits: Option<(Ticks, Ticks)>) {
        self.limits = limits;
    }

    /// The current trade price limits.
    pub fn price_limits(&self) -> Option<(Ticks, Ticks)> {
        self.limits
    }

    // ----- getters -----

    /// Best bid level.
    pub fn best_bid(&self) -> Option<LevelView> {
        self.store.best(Side::Buy).map(|l| self.level_view(l))
    }

    /// Best ask level.
    pub fn best_ask(&self) -> Option<LevelView> {
        self.store.best(Side::Sell).map(|l| self.level_view(l))
    }

    /// True when the best bid is at or above the best ask (never true
    /// between calls; exposed for tests and assertions).
    pub fn is_crossed(&self) -> bool {
        match (self.best_bid(), self.best_ask()) {
            (Some(b), Some(a)) => b.price >= a.price,
            _ => false,
        }
    }

    /// Up to `n` levels of one side, best first.
    pub fn depth(&self, side: Side, n: usize) -> impl Iterator<Item = LevelView> + '_ {
        let map = self.store.side_map(side);
        let it: Box<dyn Iterator<Item = (&Ticks, &u32)>> = match side {
            Side::Buy => Box::new(map.iter().rev()),
            Side::Sell | Side::SellShort => Box::new(map.iter()),
        };
        it.take(n).map(move |(_, &l)| self.level_view(l))
    }

    /// Writes up to `n` levels of one side, best first, into `out` (cleared
    /// first). Allocation-free once `out` has grown.
    pub fn depth_into(&self, side: Side, n: usize, out: &mut Vec<LevelView>) {
        out.clear();
        let map = self.store.side_map(side);
        match side {
            Side::Buy => out.extend(map.values().rev().take(n).map(|&l| self.level_view(l))),
            Side::Sell | Side::SellShort => {
                out.extend(map.values().take(n).map(|&l| self.level_view(l)))
            }
        }
    }

    /// The orders of one price level in queue order (front first).
    pub fn level_orders(&self, side: Side, price: Ticks) -> Vec<RestingOrder> {
        let mut out = Vec::new();
        if let Some(&l) = self.store.side_map(side).get(&price) {
            let mut slot = self.store.levels[l as usize].head;
            while slot != NIL {
                let n = &self.store.nodes[slot as usize];
                out.push(Self::view(n));
                slot = n.next;
            }
        }
        out
    }

    /// A resting order by id.
    pub fn order(&self, id: OrderId) -> Option<RestingOrder> {
        self.store
            .index
            .get(&id)
            .map(|&s| Self::view(&self.store.nodes[s as usize]))
    }

    /// Number of resting orders.
    pub fn order_count(&self) -> usize {
        self.store.len()
    }

    /// All resting orders, bids best-first then asks best-first, each level
    /// in queue order.
    pub fn resting_orders(&self) -> Vec<RestingOrder> {
        let mut out = Vec::with_capacity(self.store.len());
        for side in [Side::Buy, Side::Sell] {
            let map = self.store.side_map(side);
            let levels: Vec<u32> = match side {
                Side::Buy => map.values().rev().copied().collect(),
                Side::Sell | Side::SellShort => map.values().copied().collect(),
            };
            for l in levels {
                let mut slot = self.store.levels[l as usize].head;
                while slot != NIL {
                    let n = &self.store.nodes[slot as usize];
                    out.push(Self::view(n));
                    slot = n.next;
                }
            }
        }
        out
    }

    // ----- commands -----

    /// Submits a new order: matches what crosses, then rests the remainder
    /// (limit DAY/GTC) or cancels it (IOC, FOK, market). Events and trades
    /// are appended to `out`.
    pub fn submit(
        &mut self,
        order: &NewOrder,
        now: Timestamp,
        out: &mut Outputs,
    ) -> Result<OrderId, BookReject> {
        if order.qty == 0 {
            return Err(BookReject::ZeroQty);
        }
        if let Some(d) = order.display_qty {
            if d == 0 || d > order.qty {
                return Err(BookReject::BadDisplayQty);
            }
        }
        let is_limit = order.ord_type == OrdType::Limit;
        if is_limit && order.price <= 0 {
            return Err(BookReject::BadPrice);
        }
        let id = OrderId::new(self.instrument, self.next_order);
        self.next_order += 1;
        let mut taker = Taker {
            id,
            account: order.account,
            side: order.side,
            price: is_limit.then_some(order.price),
            order_qty: order.qty,
            remaining: order.qty,
            cum_qty: 0,
            cum_notional: 0,
            stp: order.stp,
        };
        let ack = self.exec_id();
        out.events.push(taker.event(ack, ExecKind::New, now));

        if order.tif == TimeInForce::Fok && !self.can_fill(&taker) {
            taker.remaining = 0;
            let e = self.exec_id();
            out.events.push(taker.event(
                e,
                ExecKind::Canceled(CancelReason::FillOrKillUnfillable),
                now,
            ));
            return Ok(id);
        }

        let stopped_by_stp = self.match_incoming(&mut taker, now, out);
        if taker.remaining == 0 {
            return Ok(id);
        }
        let rests = is_limit && matches!(order.tif, TimeInForce::Day | TimeInForce::Gtc);
        if stopped_by_stp || !rests {
            let reason = if stopped_by_stp {
                CancelReason::SelfTradePrevention
            } else {
                CancelReason::ImmediateOrCancel
            };
            taker.remaining = 0;
            let e = self.exec_id();
            out.events
                .push(taker.event(e, ExecKind::Canceled(reason), now));
            return Ok(id);
        }
        let display = order.display_qty.unwrap_or(0);
        let visible = if display == 0 {
            taker.remaining
        } else {
            display.min(taker.remaining)
        };
        self.store.push_back(Node {
            id,
            account: order.account,
            side: order.side,
            price: order.price,
            order_qty: order.qty,
            leaves: taker.remaining,
            visible,
            display,
            cum_qty: taker.cum_qty,
            cum_notional: taker.cum_notional,
            tif: order.tif,
            stp: order.stp,
            level: NIL,
            prev: NIL,
            next: NIL,
        });
        Ok(id)
    }

    /// Cancels the rest of a resting order.
    pub fn cancel(
        &mut self,
        id: OrderId,
        now: Timestamp,
        out: &mut Outputs,
    ) -> Result<(), CancelRejectReason> {
        self.cancel_with(id, CancelReason::Requested, now, out)
    }

    /// Cancels the rest of a resting order with a given reason.
    pub fn cancel_with(
        &mut self,
        id: OrderId,
        reason: CancelReason,
        now: Timestamp,
        out: &mut Outputs,
    ) -> Result<(), CancelRejectReason> {
        let &slot = self
            .store
            .index
            .get(&id)
            .ok_or(CancelRejectReason::UnknownOrder)?;
        let node = self.store.remove(slot);
        let e = self.exec_id();
        out.events.push(Self::node_event(
            &node,
            e,
            ExecKind::Canceled(reason),
            0,
            now,
        ));
        Ok(())
    }

    /// Cancel/replace a resting order: new limit price (or `None` to keep
    /// it) and new total order quantity (including what already executed).
    ///
    /// Same price and quantity down (or unchanged): the order keeps its
    /// place. Price change or quantity up: the order loses its place, and if
    /// the new price crosses it matches as an aggressor before resting at
    /// the back of its new level.
    pub fn replace(
        &mut self,
        id: OrderId,
        new_price: Option<Ticks>,
        new_qty: Qty,
        now: Timestamp,
        out: &mut Outputs,
    ) -> Result<(), CancelRejectReason> {
        let &slot = self
            .store
            .index
            .get(&id)
            .ok_or(CancelRejectReason::UnknownOrder)?;
        let node = self.store.nodes[slot as usize];
        if new_qty <= node.cum_qty {
            return Err(CancelRejectReason::QtyNotAboveExecuted {
                new_qty,
                cum_qty: node.cum_qty,
            });
        }
        let price = new_price.unwrap_or(node.price);
        if price <= 0 {
            return Err(CancelRejectReason::Invalid("price must be positive"));
        }
        let new_leaves = new_qty - node.cum_qty;
        if price == node.price && new_qty <= node.order_qty {
            // Keeps priority: shrink in place.
            let n = &mut self.store.nodes[slot as usize];
            let new_visible = n.visible.min(new_leaves);
            let (dv, dl) = (n.visible - new_visible, n.leaves - new_leaves);
            n.visible = new_visible;
            n.leaves = new_leaves;
            n.order_qty = new_qty;
            let n = *n;
            let level = &mut self.store.levels[n.level as usize];
            level.visible -= dv;
            level.total -= dl;
            let e = self.exec_id();
            out.events.push(Self::node_event(
                &n,
                e,
                ExecKind::Replaced {
                    kept_priority: true,
                },
                n.leaves,
                now,
            ));
            return Ok(());
        }
        // Loses priority: take it out, re-enter as an aggressor.
        let node = self.store.remove(slot);
        let mut taker = Taker {
            id,
            account: node.account,
            side: node.side,
            price: Some(price),
            order_qty: new_qty,
            remaining: new_leaves,
            cum_qty: node.cum_qty,
            cum_notional: node.cum_notional,
            stp: node.stp,
        };
        let e = self.exec_id();
        out.events.push(taker.event(
            e,
            ExecKind::Replaced {
                kept_priority: false,
            },
            now,
        ));
        if self.match_incoming(&mut taker, now, out) {
            // Self-trade prevention stopped the replaced order.
            taker.remaining = 0;
            let e = self.exec_id();
            out.events.push(taker.event(
                e,
                ExecKind::Canceled(CancelReason::SelfTradePrevention),
                now,
            ));
            return Ok(());
        }
        if taker.remaining > 0 {
            let visible = if node.display == 0 {
                taker.remaining
            } else {
                node.display.min(taker.remaining)
            };
            self.store.push_back(Node {
                price,
                order_qty: new_qty,
                leaves: taker.remaining,
                visible,
                cum_qty: taker.cum_qty,
                cum_notional: taker.cum_notional,
                ..node
            });
        }
        Ok(())
    }

    /// Expires every resting DAY order (end of the trading day). GTC orders
    /// stay.
    pub fn expire_day_orders(&mut self, now: Timestamp, out: &mut Outputs) {
        let ids: Vec<OrderId> = self
            .resting_orders()
            .into_iter()
            .filter(|o| o.tif == TimeInForce::Day)
            .map(|o| o.id)
            .collect();
        for id in ids {
            if let Some(&slot) = self.store.index.get(&id) {
                let node = self.store.remove(slot);
                let e = self.exec_id();
                out.events
                    .push(Self::node_event(&node, e, ExecKind::Expired, 0, now));
            }
        }
    }

    /// Cancels every resting order (operator action).
    pub fn cancel_all(&mut self, now: Timestamp, out: &mut Outputs) {
        let ids: Vec<OrderId> = self.resting_orders().into_iter().map(|o| o.id).collect();
        for id in ids {
            // Ids were just read from the book, so the cancel cannot fail.
            let _ = self.cancel_with(id, CancelReason::Operator, now, out);
        }
    }

    // ----- internals -----

    #[inline]
    fn exec_id(&mut self) -> ExecId {
        let e = ExecId::new(self.instrument, self.next_exec);
        self.next_exec += 1;
        e
    }

    fn level_view(&self, l: u32) -> LevelView {
        let lv = &self.store.levels[l as usize];
        LevelView {
            price: lv.price,
            visible_qty: lv.visible,
            total_qty: lv.total,
            orders: lv.count,
        }
    }

    fn view(n: &Node) -> RestingOrder {
        RestingOrder {
            id: n.id,
            account: n.account,
            side: n.side,
            price: n.price,
            order_qty: n.order_qty,
            cum_qty: n.cum_qty,
            leaves_qty: n.leaves,
            visible_qty: n.visible,
            display_qty: (n.display > 0).then_some(n.display),
            tif: n.tif,
        }
    }

    fn node_event(
        n: &Node,
        exec_id: ExecId,
        kind: ExecKind,
        leaves: Qty,
        now: Timestamp,
    ) -> ExecEvent {
        ExecEvent {
            exec_id,
            order_id: n.id,
            account: n.account,
            kind,
            side: n.side,
            price: Some(n.price),
            order_qty: n.order_qty,
            cum_qty: n.cum_qty,
            leaves_qty: leaves,
            cum_notional: n.cum_notional,
            timestamp: now,
        }
    }

    /// The most aggressive price the taker may trade at, after the band.
    #[inline]
    fn taker_limit(&self, t: &Taker) -> Option<Ticks> {
        match (t.side, t.price, self.limits) {
            (Side::Buy, Some(p), Some((_, hi))) => Some(p.min(hi)),
            (Side::Sell | Side::SellShort, Some(p), Some((lo, _))) => Some(p.max(lo)),
            (Side::Buy, None, Some((_, hi))) => Some(hi),
            (Side::Sell | Side::SellShort, None, Some((lo, _))) => Some(lo),
            (_, p, None) => p,
        }
    }

    #[inline]
    fn crosses(side: Side, limit: Option<Ticks>, level_price: Ticks) -> bool {
        match (side, limit) {
            (_, None) => true,
            (Side::Buy, Some(l)) => level_price <= l,
            (Side::Sell | Side::SellShort, Some(l)) => level_price >= l,
        }
    }

    /// Fill-or-kill pre-check: is there enough quantity the taker can reach
    /// right now? Counts whole levels (hidden reserve included) until the
    /// first order of the taker's own account when STP would stop the
    /// taker there; at that level only the displayed quantity of the orders
    /// ahead of it counts, since a replenished slice goes behind it.
    fn can_fill(&self, t: &Taker) -> bool {
        let limit = self.taker_limit(t);
        let opp = t.side.opposite();
        let map = self.store.side_map(opp);
        let levels: Box<dyn Iterator<Item = (&Ticks, &u32)>> = match opp {
            Side::Buy => Box::new(map.iter().rev()),
            Side::Sell | Side::SellShort => Box::new(map.iter()),
        };
        let mut need = t.remaining;
        for (&px, &l) in levels {
            if !Self::crosses(t.side, limit, px) {
                return false;
            }
            let level = &self.store.levels[l as usize];
            if t.stp.is_none() {
                if level.total >= need {
                    return true;
                }
                need -= level.total;
                continue;
            }
            let stops_at_own = matches!(
                t.stp,
                Some(StpMode::CancelIncoming) | Some(StpMode::CancelBoth)
            );
            // Does the level hold an own order, and what is ahead of it?
            let mut slot = level.head;
            let mut ahead_visible: Qty = 0;
            let mut others_total: Qty = 0;
            let mut hit_own = false;
            while slot != NIL {
                let n = &self.store.nodes[slot as usize];
                if n.account == t.account {
                    if stops_at_own {
                        hit_own = true;
                        break;
                    }
                } else {
                    ahead_visible += n.visible;
                    others_total += n.leaves;
                }
                slot = n.next;
            }
            if hit_own {
                return ahead_visible >= need;
            }
            if others_total >= need {
                return true;
            }
            need -= others_total;
        }
        false
    }

    /// Matches an aggressor against the opposite side. Returns true when
    /// self-trade prevention stopped the aggressor (its remainder must be
    /// canceled by the caller).
    fn match_incoming(&mut self, t: &mut Taker, now: Timestamp, out: &mut Outputs) -> bool {
        let limit = self.taker_limit(t);
        let opp = t.side.opposite();
        while t.remaining > 0 {
            let Some(l) = self.store.best(opp) else {
                return false;
            };
            let level_price = self.store.levels[l as usize].price;
            if !Self::crosses(t.side, limit, level_price) {
                return false;
            }
            // Walk this level front to back until it is empty or we are done.
            while t.remaining > 0 {
                let slot = self.store.levels[l as usize].head;
                if slot == NIL {
                    break;
                }
                let maker = self.store.nodes[slot as usize];
                if let Some(stp) = t.stp {
                    if maker.account == t.account {
                        let cancel_resting =
                            matches!(stp, StpMode::CancelResting | StpMode::CancelBoth);
                        let level_gone = self.store.levels[l as usize].count == 1;
                        if cancel_resting {
                            let node = self.store.remove(slot);
                            let e = self.exec_id();
                            out.events.push(Self::node_event(
                                &node,
                                e,
                                ExecKind::Canceled(CancelReason::SelfTradePrevention),
                                0,
                                now,
                            ));
                        }
                        if stp == StpMode::CancelResting {
                            if level_gone {
                                break;
                            }
                            continue;
                        }
                        return true;
                    }
                }
                let qty = t.remaining.min(maker.visible);
                let px = maker.price;
                let notional = i128::from(qty) * i128::from(px);
                t.remaining -= qty;
                t.cum_qty += qty;
                t.cum_notional += notional;
                let trade_id = TradeId(ExecId::new(self.instrument, self.next_trade).0);
                self.next_trade += 1;
                // Update the maker in place.
                let (m_leaves, m_visible, m_display) = {
                    let n = &mut self.store.nodes[slot as usize];
                    n.leaves -= qty;
                    n.visible -= qty;
                    n.cum_qty += qty;
                    n.cum_notional += notional;
                    (n.leaves, n.visible, n.display)
                };
                {
                    let level = &mut self.store.levels[l as usize];
                    level.visible -= qty;
                    level.total -= qty;
                }
                let maker_now = self.store.nodes[slot as usize];
                let e = self.exec_id();
                out.events.push(Self::node_event(
                    &maker_now,
                    e,
                    ExecKind::Fill {
                        trade_id,
                        last_qty: qty,
                        last_px: px,
                        liquidity: Liquidity::Added,
                        contra: t.id,
                    },
                    m_leaves,
                    now,
                ));
                let e = self.exec_id();
                out.events.push(t.event(
                    e,
                    ExecKind::Fill {
                        trade_id,
                        last_qty: qty,
                        last_px: px,
                        liquidity: Liquidity::Removed,
                        contra: maker.id,
                    },
                    now,
                ));
                let (buy_order, sell_order, buy_account, sell_account) = match t.side {
                    Side::Buy => (t.id, maker.id, t.account, maker.account),
                    Side::Sell | Side::SellShort => (maker.id, t.id, maker.account, t.account),
                };
                out.trades.push(Trade {
                    trade_id,
                    price: px,
                    qty,
                    aggressor: t.side,
                    buy_order,
                    sell_order,
                    buy_account,
                    sell_account,
                    timestamp: now,
                });
                if m_leaves == 0 {
                    let level_gone = self.store.levels[l as usize].count == 1;
                    self.store.remove(slot);
                    if level_gone {
                        break;
                    }
                } else if m_visible == 0 {
                    // Iceberg: replenish a new slice at the back of the level.
                    let slice = m_display.min(m_leaves);
                    self.store.nodes[slot as usize].visible = slice;
                    self.store.levels[l as usize].visible += slice;
                    self.store.move_to_back(slot);
                }
            }
        }
        false
    }
}
