//! Market data as pure logic: subscriptions (top of book, depth, trades),
//! full snapshots (for FIX 35=W) and incremental updates (35=X) with
//! timestamps, per subscription, plus the fault switches (delay, stop).
//!
//! Each subscription remembers the levels it was last sent, so every
//! update is the exact difference for that subscriber's depth: `New` for a
//! price that entered its view, `Change` for a quantity change, `Delete`
//! for a price that left (price-keyed entries, with the 1-based position
//! in the new view for FIX MDPriceLevel). While market data is stopped
//! nothing is sent and the remembered views stay as they were, so the
//! first update after a restart ([`MarketDataHub::resync`]) catches each
//! subscriber up. Messages are released in order at `now + delay`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::matching::{LevelView, OrderBook, Trade};
use crate::types::{price_from_ticks, Qty, Side, Timestamp, TradeId};

/// One price level in a market data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MdLevel {
    /// Price.
    pub price: Decimal,
    /// Displayed quantity.
    pub qty: Qty,
    /// Number of orders.
    pub orders: u32,
}

/// Incremental update action (FIX MDUpdateAction 279).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MdAction {
    /// 0
    New,
    /// 1
    Change,
    /// 2
    Delete,
}

/// Entry type (FIX MDEntryType 269).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MdEntryType {
    /// 0
    Bid,
    /// 1
    Offer,
    /// 2
    Trade,
}

/// One incremental entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdEntry {
    /// New, change, delete (trades are always New).
    pub action: MdAction,
    /// Bid, offer or trade.
    pub entry_type: MdEntryType,
    /// Symbol.
    pub symbol: Arc<str>,
    /// Price.
    pub price: Decimal,
    /// Quantity (0 on deletes).
    pub qty: Qty,
    /// 1-based level position (new view for New/Change, old view for
    /// Delete; 0 for trades).
    pub position: u32,
    /// Trades: match id.
    pub trade_id: Option<TradeId>,
    /// Trades: side of the aggressor.
    pub aggressor: Option<Side>,
}

/// A message for one subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdMessage {
    /// Full refresh (35=W).
    Snapshot {
        /// Who subscribed (the FIX session).
        subscriber: Arc<str>,
        /// MDReqID.
        req_id: Arc<str>,
        /// Symbol.
        symbol: Arc<str>,
        /// Bids, best first.
        bids: Vec<MdLevel>,
        /// Offers, best first.
        asks: Vec<MdLevel>,
        /// Last trade price and quantity, if any.
        last_trade: Option<(Decimal, Qty)>,
        /// Engine time of the data.
        timestamp: Timestamp,
    },
    /// Incremental refresh (35=X).
    Incremental {
        /// Who subscribed.
        subscriber: Arc<str>,
        /// MDReqID.
        req_id: Arc<str>,
        /// Entries.
        entries: Vec<MdEntry>,
        /// Engine time of the change.
        timestamp: Timestamp,
    },
}

/// A market data request (35=V) in domain terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdRequest {
    /// Who asks (the FIX session identity); replies go back to it.
    pub subscriber: String,
    /// MDReqID.
    pub req_id: String,
    /// Symbols.
    pub symbols: Vec<String>,
    /// Levels per side: 1 is top of book; 0 means the hub's maximum.
    pub depth: usize,
    /// Include trades.
    pub trades: bool,
    /// Snapshot plus updates (true) or snapshot only (false).
    pub updates: bool,
}

/// Why a market data request was refused (35=Y MDReqRejReason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MdReject {
    /// 0: unknown symbol.
    #[error("unknown symbol {0:?}")]
    UnknownSymbol(String),
    /// 1: duplicate MDReqID.
    #[error("duplicate MDReqID {0:?}")]
    DuplicateReqId(String),
    /// Unsubscribe of an unknown MDReqID.
    #[error("unknown MDReqID {0:?}")]
    UnknownReqId(String),
    /// No symbols in the request.
    #[error("no symbols requested")]
    NoSymbols,
}

impl MdReject {
    /// FIX MDReqRejReason (281).
    pub fn fix_code(&self) -> char {
        match self {
            MdReject::UnknownSymbol(_) => '0',
            MdReject::DuplicateReqId(_) => '1',
            _ => '0',
        }
    }
}

#[derive(Debug, Clone)]
struct Subscription {
    subscriber: Arc<str>,
    req_id: Arc<str>,
    instruments: Vec<u16>,
    depth: usize,
    trades: bool,
    /// Last sent view per instrument (same order as `instruments`).
    views: Vec<(Vec<LevelView>, Vec<LevelView>)>,
}

/// Market data of one venue.
#[derive(Debug, Clone)]
pub struct MarketDataHub {
    symbols: Vec<Arc<str>>,
    ticks: Vec<Decimal>,
    max_depth: usize,
    subs: BTreeMap<(Arc<str>, Arc<str>), Subscription>,
    last_trade: Vec<Option<(Decimal, Qty)>>,
    queue: VecDeque<(Timestamp, MdMessage)>,
    scratch: Vec<LevelView>,
}

impl MarketDataHub {
    /// A hub for instruments given as (symbol, tick size), in venue index
    /// order, serving at most `max_depth` levels.
    pub fn new(instruments: &[(String, Decimal)], max_depth: usize) -> Self {
        MarketDataHub {
            symbols: instruments
                .iter()
                .map(|(s, _)| Arc::from(s.as_str()))
                .collect(),
            ticks: instruments.iter().map(|(_, t)| *t).collect(),
            max_depth: max_depth.max(1),
            subs: BTreeMap::new(),
            last_trade: vec![None; instruments.len()],
            queue: VecDeque::new(),
            scratch: Vec::new(),
        }
    }

    /// True when someone listens to instrument `i`.
    pub fn has_subscribers(&self, i: u16) -> bool {
        self.subs.values().any(|s| s.instruments.contains(&i))
    }

    /// Number of live subscriptions.
    pub fn subscription_count(&self) -> usize {
        self.subs.len()
    }

    fn level(&self, i: u16, l: &LevelView) -> MdLevel {
        MdLevel {
            price: price_from_ticks(l.price, self.ticks[usize::from(i)]),
            qty: l.visible_qty,
            orders: l.orders,
        }
    }

    /// Subscribes (or sends a one-off snapshot when `updates` is false).
    /// Snapshots are queued at once for every symbol.
    pub fn subscribe(
        &mut self,
        req: &MdRequest,
        books: &[OrderBook],
        now: Timestamp,
        release: Timestamp,
    ) -> Result<(), MdReject> {
        if req.symbols.is_empty() {
            return Err(MdReject::NoSymbols);
        }
        let mut instruments = Vec::with_capacity(req.symbols.len());
        for s in &req.symbols {
            match self.symbols.iter().position(|x| &**x == s.as_str()) {
                Some(i) => instruments.push(i as u16),
                None => return Err(MdReject::UnknownSymbol(s.clone())),
            }
        }
        let key: (Arc<str>, Arc<str>) =
            (req.subscriber.as_str().into(), req.req_id.as_str().into());
        if self.subs.contains_key(&key) {
            return Err(MdReject::DuplicateReqId(req.req_id.clone()));
        }
        let depth = if req.depth == 0 {
            self.max_depth
        } else {
            req.depth.min(self.max_depth)
        };
        let mut views = Vec::with_capacity(instruments.len());
        for &i in &instruments {
            let book = &books[usize::from(i)];
            let bids: Vec<LevelView> = book.depth(Side::Buy, depth).collect();
            let asks: Vec<LevelView> = book.depth(Side::Sell, depth).collect();
            let msg = MdMessage::Snapshot {
                subscriber: key.0.clone(),
                req_id: key.1.clone(),
                symbol: self.symbols[usize::from(i)].clone(),
                bids: bids.iter().map(|l| self.level(i, l)).collect(),
                asks: asks.iter().map(|l| self.level(i, l)).collect(),
                last_trade: self.last_trade[usize::from(i)],
                timestamp: now,
            };
            self.queue.push_back((release, msg));
            views.push((bids, asks));
        }
        if req.updates {
            self.subs.insert(
                key.clone(),
                Subscription {
                    subscriber: key.0,
                    req_id: key.1,
                    instruments,
                    depth,
                    trades: req.trades,
                    views,
                },
            );
        }
        Ok(())
    }

    /// Ends a subscription.
    pub fn unsubscribe(&mut self, subscriber: &str, req_id: &str) -> Result<(), MdReject> {
        let key: (Arc<str>, Arc<str>) = (subscriber.into(), req_id.into());
        self.subs
            .remove(&key)
            .map(|_| ())
            .ok_or_else(|| MdReject::UnknownReqId(req_id.to_string()))
    }

    /// Ends every subscription of a subscriber (its session went away).
    pub fn drop_subscriber(&mut self, subscriber: &str) {
        self.subs.retain(|(s, _), _| &**s != subscriber);
    }

    /// Book `i` changed and/or traded: queue each subscriber's
    /// difference. With `stopped`, only the last trade is remembered.
    pub fn on_change(
        &mut self,
        i: u16,
        book: &OrderBook,
        trades: &[Trade],
        now: Timestamp,
        release: Timestamp,
        stopped: bool,
    ) {
        let tick = self.ticks[usize::from(i)];
        if let Some(t) = trades.last() {
            self.last_trade[usize::from(i)] = Some((price_from_ticks(t.price, tick), t.qty));
        }
        if stopped {
            return;
        }
        let symbol = self.symbols[usize::from(i)].clone();
        let mut scratch = std::mem::take(&mut self.scratch);
        for sub in self.subs.values_mut() {
            let Some(pos) = sub.instruments.iter().position(|&x| x == i) else {
                continue;
            };
            let mut entries = Vec::new();
            if sub.trades {
                for t in trades {
                    entries.push(MdEntry {
                        action: MdAction::New,
                        entry_type: MdEntryType::Trade,
                        symbol: symbol.clone(),
                        price: price_from_ticks(t.price, tick),
                        qty: t.qty,
                        position: 0,
                        trade_id: Some(t.trade_id),
                        aggressor: Some(t.aggressor),
                    });
                }
            }
            let (old_bids, old_asks) = &mut sub.views[pos];
            for (side, old, ty) in [
                (Side::Buy, old_bids, MdEntryType::Bid),
                (Side::Sell, old_asks, MdEntryType::Offer),
            ] {
                book.depth_into(side, sub.depth, &mut scratch);
                diff(old, &scratch, ty, &symbol, tick, &mut entries);
                old.clear();
                old.extend_from_slice(&scratch);
            }
            if !entries.is_empty() {
                self.queue.push_back((
                    release,
                    MdMessage::Incremental {
                        subscriber: sub.subscriber.clone(),
                        req_id: sub.req_id.clone(),
                        entries,
                        timestamp: now,
                    },
                ));
            }
        }
        self.scratch = scratch;
    }

    /// After a market data stop: bring every subscriber up to date.
    pub fn resync(&mut self, books: &[OrderBook], now: Timestamp, release: Timestamp) {
        for (i, book) in books.iter().enumerate() {
            self.on_change(i as u16, book, &[], now, release, false);
        }
    }

    /// The next message due at `now`, in order.
    pub fn poll(&mut self, now: Timestamp) -> Option<MdMessage> {
        match self.queue.front() {
            Some((t, _)) if *t <= now => self.queue.pop_front().map(|(_, m)| m),
            _ => None,
        }
    }

    /// When the next queued message is due.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.queue.front().map(|(t, _)| *t)
    }
}

fn diff(
    old: &[LevelView],
    new: &[LevelView],
    ty: MdEntryType,
    symbol: &Arc<str>,
    tick: Decimal,
    out: &mut Vec<MdEntry>,
) {
    let entry = |action, l: &LevelView, qty, position: usize| MdEntry {
        action,
        entry_type: ty,
        symbol: symbol.clone(),
        price: price_from_ticks(l.price, tick),
        qty,
        position: position as u32 + 1,
        trade_id: None,
        aggressor: None,
    };
    for (p, o) in old.iter().enumerate() {
        if !new.iter().any(|n| n.price == o.price) {
            out.push(entry(MdAction::Delete, o, 0, p));
        }
    }
    for (p, n) in new.iter().enumerate() {
        match old.iter().find(|o| o.price == n.price) {
            None => out.push(entry(MdAction::New, n, n.visible_qty, p)),
            Some(o) if o.visible_qty != n.visible_qty || o.orders != n.orders => {
                out.push(entry(MdAction::Change, n, n.visible_qty, p))
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::{NewOrder, Outputs};
    use crate::types::{AccountId, TimeInForce};
    use rust_decimal_macros::dec;

    fn hub() -> (MarketDataHub, Vec<OrderBook>) {
        (
            MarketDataHub::new(&[("AAPL".into(), dec!(0.01))], 10),
            vec![OrderBook::new(0)],
        )
    }

    fn req(depth: usize) -> MdRequest {
        MdRequest {
            subscriber: "S1".into(),
            req_id: "r1".into(),
            symbols: vec!["AAPL".into()],
            depth,
            trades: true,
            updates: true,
        }
    }

    fn add(book: &mut OrderBook, side: Side, px: i64, qty: u64, out: &mut Outputs) {
        book.submit(
            &NewOrder::limit(AccountId(1), side, px, qty, TimeInForce::Day),
            Timestamp(0),
            out,
        )
        .unwrap();
    }

    #[test]
    fn snapshot_then_incrementals() {
        let (mut h, mut books) = hub();
        let mut out = Outputs::default();
        add(&mut books[0], Side::Buy, 19_000, 100, &mut out);
        h.subscribe(&req(2), &books, Timestamp(5), Timestamp(5))
            .unwrap();
        match h.poll(Timestamp(5)).unwrap() {
            MdMessage::Snapshot {
                bids,
                asks,
                timestamp,
                ..
            } => {
                assert_eq!(
                    bids,
                    vec![MdLevel {
                        price: dec!(190),
                        qty: 100,
                        orders: 1
                    }]
                );
                assert!(asks.is_empty());
                assert_eq!(timestamp, Timestamp(5));
            }
            m => panic!("{m:?}"),
        }
        add(&mut books[0], Side::Sell, 19_001, 50, &mut out);
        h.on_change(0, &books[0], &[], Timestamp(6), Timestamp(6), false);
        let MdMessage::Incremental { entries, .. } = h.poll(Timestamp(6)).unwrap() else {
            panic!()
        };
        assert_eq!(entries.len(), 1);
        assert_eq!(
            (entries[0].action, entries[0].entry_type, entries[0].price),
            (MdAction::New, MdEntryType::Offer, dec!(190.01))
        );
        // A trade: the offer is partly taken.
        out.clear();
        books[0]
            .submit(
                &NewOrder::limit(AccountId(2), Side::Buy, 19_001, 20, TimeInForce::Ioc),
                Timestamp(7),
                &mut out,
            )
            .unwrap();
        h.on_change(0, &books[0], &out.trades, Timestamp(7), Timestamp(7), false);
        let MdMessage::Incremental { entries, .. } = h.poll(Timestamp(7)).unwrap() else {
            panic!()
        };
        assert_eq!(entries[0].entry_type, MdEntryType::Trade);
        assert_eq!(entries[0].qty, 20);
        assert_eq!((entries[1].action, entries[1].qty), (MdAction::Change, 30));
        assert!(h.poll(Timestamp(100)).is_none());
    }

    #[test]
    fn depth_limited_view_and_deletes() {
        let (mut h, mut books) = hub();
        let mut out = Outputs::default();
        add(&mut books[0], Side::Buy, 100, 1, &mut out);
        add(&mut books[0], Side::Buy, 99, 1, &mut out);
        h.subscribe(&req(1), &books, Timestamp(0), Timestamp(0))
            .unwrap();
        h.poll(Timestamp(0)).unwrap();
        // A deeper level changes: nothing for a top-of-book subscriber.
        add(&mut books[0], Side::Buy, 98, 1, &mut out);
        h.on_change(0, &books[0], &[], Timestamp(1), Timestamp(1), false);
        assert!(h.poll(Timestamp(1)).is_none());
        // Best bid canceled: delete 100, new 99 at position 1.
        let id = books[0]
            .best_bid()
            .map(|_| books[0].level_orders(Side::Buy, 100)[0].id)
            .unwrap();
        books[0].cancel(id, Timestamp(2), &mut out).unwrap();
        h.on_change(0, &books[0], &[], Timestamp(2), Timestamp(2), false);
        let MdMessage::Incremental { entries, .. } = h.poll(Timestamp(2)).unwrap() else {
            panic!()
        };
        let got: Vec<_> = entries
            .iter()
            .map(|e| (e.action, e.price, e.position))
            .collect();
        assert_eq!(
            got,
            vec![
                (MdAction::Delete, dec!(1), 1),
                (MdAction::New, dec!(0.99), 1)
            ]
        );
    }

    #[test]
    fn rejects_unknown_symbol_and_duplicates_and_unsubscribes() {
        let (mut h, books) = hub();
        let mut r = req(1);
        r.symbols = vec!["ZZZ".into()];
        assert_eq!(
            h.subscribe(&r, &books, Timestamp(0), Timestamp(0)),
            Err(MdReject::UnknownSymbol("ZZZ".into()))
        );
        h.subscribe(&req(1), &books, Timestamp(0), Timestamp(0))
            .unwrap();
        assert_eq!(
            h.subscribe(&req(1), &books, Timestamp(0), Timestamp(0)),
            Err(MdReject::DuplicateReqId("r1".into()))
        );
        assert!(h.has_subscribers(0));
        h.unsubscribe("S1", "r1").unwrap();
        assert!(!h.has_subscribers(0));
        assert!(h.unsubscribe("S1", "r1").is_err());
    }

    #[test]
    fn delayed_and_stopped_data() {
        let (mut h, mut books) = hub();
        let mut out = Outputs::default();
        h.subscribe(&req(5), &books, Timestamp(0), Timestamp(0))
            .unwrap();
        h.poll(Timestamp(0)).unwrap();
        add(&mut books[0], Side::Buy, 100, 1, &mut out);
        h.on_change(0, &books[0], &[], Timestamp(10), Timestamp(60), false);
        assert!(h.poll(Timestamp(59)).is_none());
        assert_eq!(h.poll_timeout(), Some(Timestamp(60)));
        assert!(h.poll(Timestamp(60)).is_some());
        add(&mut books[0], Side::Buy, 101, 1, &mut out);
        h.on_change(0, &books[0], &[], Timestamp(70), Timestamp(70), true);
        assert!(h.poll(Timestamp(1000)).is_none());
        h.resync(&books, Timestamp(80), Timestamp(80));
        let MdMessage::Incremental { entries, .. } = h.poll(Timestamp(80)).unwrap() else {
            panic!()
        };
        assert_eq!(
            entries.len(),
            1,
            "only 101 is new; 100 is unchanged: {entries:?}"
        );
    }
}
