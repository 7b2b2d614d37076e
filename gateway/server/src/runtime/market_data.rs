//! Market data from the venues: top of book per venue and marks, turned
//! into the core's `VenueQuote` and `MarketPrice` events at a bounded rate.
//!
//! On every logon the venue session subscribes (MarketDataRequest,
//! SubscriptionRequestType 1, depth 1, bid/offer/trade; one request per
//! instrument the gateway routes to that venue, so a symbol the venue does
//! not list is refused alone) and hands every snapshot (W) and incremental
//! update (X), parsed by `fixmap::market_data`, to one task that keeps the
//! top of book per (venue, symbol). That task, not the core, conflates:
//! every event is journaled, and the core must see only journaled events so
//! that a replay reaches the same state; here, before the journal, is where
//! the clock may decide.
//!
//! Conflation: at most one emission per (venue, symbol) per interval
//! (`[gateway] market_data_conflate_ms`, default 200; 0 emits on every
//! update). An update within the interval is held, never dropped: when the
//! interval since the last emission has passed, the newest state goes out
//! (a timer fires for it even if no further update comes). An emission is
//! a `VenueQuote` (best bid and offer with sizes, for the router's best
//! price choice) if the quote changed since the last one sent, and a
//! `MarketPrice` if the mark changed. `Gateway::summary` first has every
//! held update sent, so the marks it prints are the latest.
//!
//! The mark (unrealised P&L, the risk engine's reference price through
//! `PreTradeCheck::on_price`): the last trade price at that venue if it
//! printed within `[gateway] mark_trade_max_age_ms` (default 60000) of the
//! emission, else the mid of a two-sided quote, else the last trade
//! however old; none before the first trade or two-sided quote. A recent
//! trade is what the instrument is worth to whoever just traded it; a
//! quote alone can be wide or stale, and the mid of a one-sided book is
//! not a price. Marks are per symbol in the core, so with several venues
//! quoting one symbol the latest emission wins. Note: a trade-based mark
//! that ages past the limit changes to the mid only at the next update of
//! that book (no timer for ageing alone).
//!
//! Each event carries the inbound FIX message of the latest update it
//! reflects, so the journal's record of what each venue session delivered
//! keeps moving with market data (after a crash the venue resends only
//! what followed; a held update lost in a crash is superseded by the
//! next). Market data resent by the venue (PossDupFlag=Y) is stale and is
//! not used.

pub use crate::fixmap::market_data::{MdAction, MdEntry, MdSide, MdUpdate};
use oms::events::{EventKind, Quote};
use oms::{Event, Px, Qty, SourcePos, Symbol, Timestamp, VenueId};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tokio::sync::mpsc;

/// What the market data task takes.
#[derive(Debug)]
pub enum MdMsg {
    /// An update from a venue session.
    Update(MdInput),
    /// Send every held update now (the newest state, for a summary), then
    /// answer.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// An update from a venue session.
#[derive(Debug)]
pub struct MdInput {
    pub venue: VenueId,
    pub update: MdUpdate,
    pub source: SourcePos,
}

/// Top of book at one venue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopOfBook {
    pub bid: Option<(Px, Qty)>,
    pub ask: Option<(Px, Qty)>,
    /// Last trade price and when it was seen.
    pub last: Option<(Px, Timestamp)>,
}

impl TopOfBook {
    fn apply(&mut self, e: &MdEntry, now: Timestamp) {
        let side = match e.side {
            MdSide::Trade => {
                if e.action != MdAction::Delete && e.px.is_sane() && e.px.dec() > Decimal::ZERO {
                    self.last = Some((e.px, now));
                }
                return;
            }
            _ if e.level != 1 => return,
            MdSide::Bid => &mut self.bid,
            MdSide::Offer => &mut self.ask,
        };
        match e.action {
            MdAction::New | MdAction::Change => {
                *side = (e.qty.0 > 0 && e.px.is_sane()).then_some((e.px, e.qty));
            }
            MdAction::Delete => {
                if side.is_some_and(|(p, _)| p == e.px) {
                    *side = None;
                }
            }
        }
    }

    /// The mark at `now` (see the module documentation).
    pub fn mark(&self, now: Timestamp, trade_max_age_ns: i64) -> Option<Px> {
        let recent = self
            .last
            .filter(|(_, at)| now.0.saturating_sub(at.0) <= trade_max_age_ns);
        if let Some((px, _)) = recent {
            return Some(px);
        }
        match (self.bid, self.ask) {
            (Some((b, _)), Some((a, _))) if a >= b => Some(Px((a.dec() + b.dec()) / Decimal::TWO)),
            _ => self.last.map(|(px, _)| px),
        }
    }
}

type Key = (VenueId, Symbol);

/// Per-key emission pacing: at most one emission per `interval_ns`, the
/// newest state held until the interval has passed.
#[derive(Debug, Default)]
pub struct Conflator {
    interval_ns: i64,
    last_emit: BTreeMap<Key, i64>,
    /// Keys with an update not yet emitted, and when they may be.
    held: BTreeMap<Key, i64>,
}

impl Conflator {
    pub fn new(interval: Duration) -> Conflator {
        Conflator {
            interval_ns: i64::try_from(interval.as_nanos()).unwrap_or(i64::MAX),
            ..Conflator::default()
        }
    }

    /// `key` has news at `now`: true if it may be emitted now (and is
    /// counted as emitted), else it is held for [`Conflator::due`].
    pub fn offer(&mut self, key: &Key, now: i64) -> bool {
        let earliest = self
            .last_emit
            .get(key)
            .map_or(i64::MIN, |t| t.saturating_add(self.interval_ns));
        if now >= earliest && !self.held.contains_key(key) {
            self.last_emit.insert(key.clone(), now);
            true
        } else {
            self.held.entry(key.clone()).or_insert(earliest);
            false
        }
    }

    /// Held keys whose interval has passed at `now` (every held key with
    /// `all`), counted as emitted.
    pub fn due(&mut self, now: i64, all: bool) -> Vec<Key> {
        let ready: Vec<Key> = self
            .held
            .iter()
            .filter(|(_, at)| all || **at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &ready {
            self.held.remove(k);
            self.last_emit.insert(k.clone(), now);
        }
        ready
    }

    /// When the next held key may go out.
    pub fn next_due(&self) -> Option<i64> {
        self.held.values().min().copied()
    }
}

/// The market data task's state: books, pacing and what was last sent.
#[derive(Debug)]
pub struct MarketData {
    books: BTreeMap<Key, TopOfBook>,
    sources: BTreeMap<Key, SourcePos>,
    sent_quotes: BTreeMap<Key, Quote>,
    sent_marks: BTreeMap<Key, Px>,
    pacing: Conflator,
    trade_max_age_ns: i64,
}

impl MarketData {
    pub fn new(conflate: Duration, trade_max_age: Duration) -> MarketData {
        MarketData {
            books: BTreeMap::new(),
            sources: BTreeMap::new(),
            sent_quotes: BTreeMap::new(),
            sent_marks: BTreeMap::new(),
            pacing: Conflator::new(conflate),
            trade_max_age_ns: i64::try_from(trade_max_age.as_nanos()).unwrap_or(i64::MAX),
        }
    }

    /// The top of book the task holds (what has been or will be sent).
    pub fn book(&self, venue: &str, symbol: &str) -> Option<&TopOfBook> {
        self.books.get(&(VenueId::new(venue), Symbol::new(symbol)))
    }

    /// An update from a venue at `now`: the events that may go out now.
    pub fn on_update(&mut self, now: Timestamp, input: MdInput) -> Vec<Event> {
        let venue = input.venue;
        let mut touched = BTreeSet::new();
        if let Some(sym) = &input.update.snapshot {
            let key = (venue.clone(), sym.clone());
            let book = self.books.entry(key.clone()).or_default();
            // A full refresh replaces the quote; the last trade, if the
            // refresh has none, is still the last trade.
            book.bid = None;
            book.ask = None;
            touched.insert(key);
        }
        for e in &input.update.entries {
            let key = (venue.clone(), e.symbol.clone());
            self.books.entry(key.clone()).or_default().apply(e, now);
            touched.insert(key);
        }
        let mut out = Vec::new();
        for key in touched {
            self.sources.insert(key.clone(), input.source.clone());
            if self.pacing.offer(&key, now.0) {
                self.emit(&key, now, &mut out);
            }
        }
        out
    }

    /// Held updates whose interval has passed at `now`.
    pub fn on_timer(&mut self, now: Timestamp) -> Vec<Event> {
        let mut out = Vec::new();
        for key in self.pacing.due(now.0, false) {
            self.emit(&key, now, &mut out);
        }
        out
    }

    /// Every held update, now (before a summary: its marks are current).
    pub fn flush(&mut self, now: Timestamp) -> Vec<Event> {
        let mut out = Vec::new();
        for key in self.pacing.due(now.0, true) {
            self.emit(&key, now, &mut out);
        }
        out
    }

    /// When [`MarketData::on_timer`] next has something to send.
    pub fn next_due(&self) -> Option<Timestamp> {
        self.pacing.next_due().map(Timestamp)
    }

    fn emit(&mut self, key: &Key, now: Timestamp, out: &mut Vec<Event>) {
        let Some(book) = self.books.get(key) else {
            return;
        };
        let source = self.sources.get(key).cloned();
        let event = |kind| {
            let ev = Event::new(now, kind);
            match &source {
                Some(s) => ev.from_source(s.clone()),
                None => ev,
            }
        };
        let quote = Quote {
            venue: key.0.clone(),
            symbol: key.1.clone(),
            bid: book.bid,
            ask: book.ask,
        };
        let mark = book.mark(now, self.trade_max_age_ns);
        if self.sent_quotes.get(key) != Some(&quote) {
            self.sent_quotes.insert(key.clone(), quote.clone());
            out.push(event(EventKind::VenueQuote(quote)));
        }
        if let Some(px) = mark {
            if self.sent_marks.get(key) != Some(&px) {
                self.sent_marks.insert(key.clone(), px);
                out.push(event(EventKind::MarketPrice {
                    symbol: key.1.clone(),
                    px,
                }));
            }
        }
    }
}

/// Runs the market data task: updates in, conflated events to the core.
pub fn spawn(
    mut state: MarketData,
    core: mpsc::UnboundedSender<super::CoreMsg>,
) -> mpsc::UnboundedSender<MdMsg> {
    let (tx, mut rx) = mpsc::unbounded_channel::<MdMsg>();
    tokio::spawn(async move {
        loop {
            let wait = state.next_due().map(|at| {
                let now = super::now_ts();
                Duration::from_nanos(u64::try_from(at.0.saturating_sub(now.0)).unwrap_or(0))
            });
            let mut flushed = None;
            let events = tokio::select! {
                input = rx.recv() => match input {
                    Some(MdMsg::Update(input)) => state.on_update(super::now_ts(), input),
                    Some(MdMsg::Flush(done)) => {
                        flushed = Some(done);
                        state.flush(super::now_ts())
                    }
                    None => break,
                },
                () = async {
                    match wait {
                        Some(d) => tokio::time::sleep(d).await,
                        None => std::future::pending().await,
                    }
                } => state.on_timer(super::now_ts()),
            };
            for ev in events {
                if core.send(super::CoreMsg::Event(ev)).is_err() {
                    return;
                }
            }
            // Answered once the events are queued for the core: a core
            // query sent after this sees them.
            if let Some(done) = flushed {
                let _ = done.send(());
            }
        }
    });
    tx
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;
    const T0: i64 = 1_772_636_400_000_000_000;

    fn at(ms: i64) -> Timestamp {
        Timestamp(T0 + ms * MS)
    }

    fn px(s: &str) -> Px {
        Px(s.parse::<Decimal>().unwrap())
    }

    fn entry(sym: &str, side: MdSide, action: MdAction, p: &str, q: u64) -> MdEntry {
        MdEntry {
            symbol: Symbol::new(sym),
            side,
            action,
            px: px(p),
            qty: Qty(q),
            level: 1,
        }
    }

    fn input(seq: u64, snapshot: Option<&str>, entries: Vec<MdEntry>) -> MdInput {
        MdInput {
            venue: VenueId::new("SIMX"),
            update: MdUpdate {
                snapshot: snapshot.map(Symbol::new),
                entries,
            },
            source: SourcePos {
                stream: "FIX.4.4:GATEWAY->SIMX".into(),
                epoch: 1,
                pos: seq,
            },
        }
    }

    /// (bid, ask) of every quote and every mark, in order.
    fn summary(evs: &[Event]) -> Vec<String> {
        evs.iter()
            .map(|e| match &e.kind {
                EventKind::VenueQuote(q) => format!(
                    "quote {} {:?}/{:?}",
                    q.symbol,
                    q.bid.map(|(p, s)| format!("{p}x{s}")),
                    q.ask.map(|(p, s)| format!("{p}x{s}"))
                ),
                EventKind::MarketPrice { symbol, px } => format!("mark {symbol} {px}"),
                k => format!("{k:?}"),
            })
            .collect()
    }

    #[test]
    fn snapshot_then_incrementals_keep_top_of_book_and_marks() {
        let mut md = MarketData::new(Duration::ZERO, Duration::from_secs(60));
        let out = md.on_update(
            at(0),
            input(
                5,
                Some("AAPL"),
                vec![
                    entry("AAPL", MdSide::Bid, MdAction::New, "190.00", 100),
                    entry("AAPL", MdSide::Offer, MdAction::New, "190.02", 200),
                ],
            ),
        );
        assert_eq!(
            summary(&out),
            [
                "quote AAPL Some(\"190.00x100\")/Some(\"190.02x200\")",
                "mark AAPL 190.01"
            ]
        );
        // Every event carries the message it reflects.
        assert!(out.iter().all(|e| e.source.as_ref().unwrap().pos == 5));
        // The best offer is taken: delete 190.02, new 190.03; a trade.
        let out = md.on_update(
            at(10),
            input(
                6,
                None,
                vec![
                    entry("AAPL", MdSide::Trade, MdAction::New, "190.02", 200),
                    entry("AAPL", MdSide::Offer, MdAction::Delete, "190.02", 0),
                    entry("AAPL", MdSide::Offer, MdAction::New, "190.03", 100),
                ],
            ),
        );
        assert_eq!(
            summary(&out),
            [
                "quote AAPL Some(\"190.00x100\")/Some(\"190.03x100\")",
                "mark AAPL 190.02"
            ]
        );
        // A size change only: a quote, the mark (last trade) unchanged.
        let out = md.on_update(
            at(20),
            input(
                7,
                None,
                vec![entry("AAPL", MdSide::Bid, MdAction::Change, "190.00", 50)],
            ),
        );
        assert_eq!(
            summary(&out),
            ["quote AAPL Some(\"190.00x50\")/Some(\"190.03x100\")"]
        );
        // A delete of a price that is no longer the best changes nothing;
        // deeper levels are not top of book.
        let mut deep = entry("AAPL", MdSide::Bid, MdAction::New, "189.00", 10);
        deep.level = 2;
        let out = md.on_update(
            at(30),
            input(
                8,
                None,
                vec![
                    entry("AAPL", MdSide::Offer, MdAction::Delete, "190.02", 0),
                    deep,
                ],
            ),
        );
        assert!(out.is_empty(), "{:?}", summary(&out));
        // A new snapshot replaces the quote; the last trade stays.
        let out = md.on_update(
            at(40),
            input(
                9,
                Some("AAPL"),
                vec![entry("AAPL", MdSide::Bid, MdAction::New, "191.00", 10)],
            ),
        );
        assert_eq!(summary(&out), ["quote AAPL Some(\"191.00x10\")/None"]);
        assert_eq!(
            md.book("SIMX", "AAPL").unwrap().last.unwrap().0,
            px("190.02")
        );
    }

    #[test]
    fn mark_is_a_recent_trade_else_the_mid_else_an_old_trade() {
        let mut b = TopOfBook::default();
        let age = 60_000 * MS;
        assert_eq!(b.mark(at(0), age), None);
        b.bid = Some((px("10.00"), Qty(1)));
        assert_eq!(b.mark(at(0), age), None, "one-sided: no mid");
        b.last = Some((px("10.50"), at(0)));
        assert_eq!(b.mark(at(1), age), Some(px("10.50")));
        b.ask = Some((px("10.20"), Qty(1)));
        assert_eq!(b.mark(at(60_000), age), Some(px("10.50")), "still recent");
        assert_eq!(b.mark(at(60_001), age), Some(px("10.10")), "old: mid");
        b.ask = None;
        assert_eq!(b.mark(at(60_001), age), Some(px("10.50")), "no mid: trade");
        // A crossed quote has no mid either.
        b.ask = Some((px("9.00"), Qty(1)));
        b.last = None;
        assert_eq!(b.mark(at(0), age), None);
    }

    #[test]
    fn conflation_holds_the_newest_value_until_the_interval_passes() {
        let mut md = MarketData::new(Duration::from_millis(200), Duration::from_secs(60));
        let bid = |p: &str| entry("AAPL", MdSide::Bid, MdAction::New, p, 100);
        let ask = entry("AAPL", MdSide::Offer, MdAction::New, "191.00", 100);
        // The first update goes out at once.
        let out = md.on_update(at(0), input(1, None, vec![bid("190.00"), ask]));
        assert_eq!(out.len(), 2, "{:?}", summary(&out));
        assert_eq!(md.next_due(), None);
        // Three more within 200 ms: held, nothing sent.
        for (i, p) in ["190.10", "190.20", "190.30"].iter().enumerate() {
            let out = md.on_update(
                at(50 + 50 * i as i64),
                input(2 + i as u64, None, vec![bid(p)]),
            );
            assert!(out.is_empty(), "{:?}", summary(&out));
        }
        assert_eq!(md.next_due(), Some(at(200)));
        // An update of another symbol is paced on its own.
        let out = md.on_update(
            at(120),
            input(
                9,
                None,
                vec![entry("MSFT", MdSide::Trade, MdAction::New, "420.00", 5)],
            ),
        );
        assert_eq!(summary(&out), ["quote MSFT None/None", "mark MSFT 420.00"]);
        // Not yet due at 199 ms; at 200 ms the newest value goes out, with
        // the source of the message that carried it.
        assert!(md.on_timer(at(199)).is_empty());
        let out = md.on_timer(at(200));
        assert_eq!(
            summary(&out),
            [
                "quote AAPL Some(\"190.30x100\")/Some(\"191.00x100\")",
                "mark AAPL 190.65"
            ]
        );
        assert!(out.iter().all(|e| e.source.as_ref().unwrap().pos == 4));
        assert_eq!(md.next_due(), None);
        // The next update within 200 ms of that emission is held again,
        // and an update that changes nothing sends nothing when due.
        assert!(md
            .on_update(at(250), input(10, None, vec![bid("190.30")]))
            .is_empty());
        assert_eq!(md.next_due(), Some(at(400)));
        assert!(md.on_timer(at(400)).is_empty());
        // After a quiet interval an update goes out at once.
        let out = md.on_update(at(700), input(11, None, vec![bid("190.40")]));
        assert_eq!(out.len(), 2, "{:?}", summary(&out));
    }

    #[test]
    fn a_flush_sends_what_is_held_at_once() {
        let mut md = MarketData::new(Duration::from_secs(10), Duration::from_secs(60));
        let trade = |p: &str| vec![entry("AAPL", MdSide::Trade, MdAction::New, p, 1)];
        assert_eq!(md.on_update(at(0), input(1, None, trade("1.00"))).len(), 2);
        assert!(md
            .on_update(at(1), input(2, None, trade("1.05")))
            .is_empty());
        assert!(md.flush(at(2)).iter().any(|e| matches!(
            &e.kind,
            EventKind::MarketPrice { px, .. } if *px == self::px("1.05")
        )));
        assert_eq!(md.next_due(), None);
        assert!(md.flush(at(3)).is_empty());
        // Paced from the flush on.
        assert!(md
            .on_update(at(4), input(3, None, trade("1.10")))
            .is_empty());
        assert_eq!(md.next_due(), Some(at(2 + 10_000)));
    }

    #[test]
    fn zero_interval_sends_every_update() {
        let mut md = MarketData::new(Duration::ZERO, Duration::from_secs(60));
        for (i, p) in ["1.00", "1.01", "1.02"].iter().enumerate() {
            let out = md.on_update(
                at(i as i64),
                input(
                    i as u64,
                    None,
                    vec![entry("X", MdSide::Trade, MdAction::New, p, 1)],
                ),
            );
            assert_eq!(summary(&out).last().unwrap(), &format!("mark X {p}"));
        }
        assert_eq!(md.next_due(), None);
    }
}
