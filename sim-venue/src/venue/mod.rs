//! A venue: one exchange with its CompID, fee schedule, simulated latency
//! and liquidity, owning one book per instrument, its market state, market
//! data and clearing ledger. This is the surface a FIX layer drives.
//!
//! Methods come in four kinds (the shape of quinn's `Connection`):
//! * getters (`comp_id`, `instrument`, `book`, `market_state`, ...);
//! * `handle_*` for input: `handle_new_order`, `handle_cancel`,
//!   `handle_replace`, `handle_timeout`, each with the current time;
//! * mutators for operator and scenario commands (`set_session`, `halt`,
//!   `resume`, `set_band`, `trigger_circuit_breaker`, `shock`,
//!   `apply_action`, `end_of_day`, market data subscriptions);
//! * `poll_*` for what the caller must do next: `poll_report` (execution
//!   reports and cancel rejects to send), `poll_market_data`,
//!   `poll_state_event` (35=h / 35=f to publish, sessions to drop) and
//!   `poll_timeout` (when to call `handle_timeout` next).
//!
//! No method does IO or reads a clock. Replies become visible through
//! `poll_report(now)` after the configured simulated latency.
//!
//! Here: the venue's state and its public methods. Request validation is
//! in `intake.rs`, running the books and building the replies in
//! `process.rs`.

mod config;
mod host;
mod intake;
mod process;
mod reports;

use std::collections::VecDeque;
use std::sync::Arc;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

pub use config::{LatencyConfig, StartSession, VenueConfig};
pub use host::VenueHost;
pub use reports::{
    CancelReject, CancelRejectCause, CancelRequest, CxlRejResponseTo, ExecType, ExecutionReport,
    NewOrderRequest, RejectReason, ReplaceRequest, Report,
};

use crate::clearing::{to_csv, ClearingLedger, ClearingRecord, FeeSchedule};
use crate::instruments::{ConfigError, ConfigProblem, Instrument};
use crate::market::{LiquidityProvider, LP_ACCOUNT};
use crate::market_data::{MarketDataHub, MdMessage, MdReject, MdRequest};
use crate::market_state::{AdmitError, Band, HaltReason, MarketState, SessionStatus, StateEvent};
use crate::matching::{CancelRejectReason, OrdStatus, OrderBook, Outputs};
use crate::scenario::{Action, ScenarioRunner, TimedAction};
use crate::types::{
    price_from_ticks, AccountId, OrdType, OrderId, Qty, StpMode, TimeInForce, Timestamp,
};
use intake::check_qty;
use rustc_hash::FxHashMap;

/// A price and a quantity (one side of the top of book).
pub type PriceQty = (Decimal, Qty);

/// Errors of operator commands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VenueError {
    /// The symbol is not listed here.
    #[error("unknown symbol {0:?}")]
    UnknownSymbol(String),
    /// A scenario names symbols this venue does not list.
    #[error("scenario names unknown symbols: {0:?} (line, symbol)")]
    ScenarioSymbols(Vec<(usize, String)>),
}

/// A market state change, with symbols, for the FIX layer to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VenueEvent {
    /// TradingSessionStatus (35=h).
    Session(SessionStatus),
    /// SecurityStatus (35=f): halted or trading again.
    SecurityStatus {
        /// Symbol.
        symbol: Arc<str>,
        /// Halt reason, `None` when trading resumed.
        halted: Option<HaltReason>,
    },
    /// A price band changed.
    Band {
        /// Symbol.
        symbol: Arc<str>,
        /// Lower limit.
        lo: Decimal,
        /// Upper limit.
        hi: Decimal,
    },
    /// Market-wide circuit breaker.
    CircuitBreaker {
        /// Level.
        level: u8,
        /// Resumption time, `None` for the rest of the day.
        until: Option<Timestamp>,
    },
    /// Drop this FIX session (or all when `None`).
    DropSession(Option<String>),
}

#[derive(Debug, Clone)]
struct OrderMeta {
    cl_ord_id: Arc<str>,
    account: AccountId,
    instrument: u16,
    ord_type: OrdType,
    tif: TimeInForce,
    status: OrdStatus,
    done: bool,
}

/// One simulated exchange.
#[derive(Debug)]
pub struct Venue {
    config: VenueConfig,
    instruments: Vec<Instrument>,
    symbols: Vec<Arc<str>>,
    currencies: Vec<Arc<str>>,
    index: FxHashMap<String, u16>,
    books: Vec<OrderBook>,
    state: MarketState,
    lp: LiquidityProvider,
    md: MarketDataHub,
    ledger: ClearingLedger,
    accounts: Vec<Arc<str>>,
    account_ids: FxHashMap<Arc<str>, AccountId>,
    account_stp: Vec<Option<StpMode>>,
    orders: FxHashMap<OrderId, OrderMeta>,
    cl_ord_ids: FxHashMap<(AccountId, Arc<str>), OrderId>,
    reports: VecDeque<(Timestamp, Report)>,
    out: Outputs,
    next_venue_exec: u64,
    scenario: Option<ScenarioRunner>,
}

/// Exec ids of reports that never reached a book use this instrument slot.
const VENUE_EXEC_SLOT: u16 = u16::MAX;

impl Venue {
    /// A venue listing `instruments`, starting at time `now`.
    pub fn new(
        config: VenueConfig,
        instruments: Vec<Instrument>,
        now: Timestamp,
    ) -> Result<Venue, ConfigError> {
        config.validate("venue config")?;
        if instruments.is_empty() || instruments.len() >= usize::from(VENUE_EXEC_SLOT) {
            return Err(ConfigError::Invalid(vec![ConfigProblem::new(
                "venue config",
                "instruments",
                format!("need 1 to 65534 instruments, got {}", instruments.len()),
            )]));
        }
        let n = instruments.len();
        let symbols: Vec<Arc<str>> = instruments
            .iter()
            .map(|i| Arc::from(i.symbol.as_str()))
            .collect();
        let index = instruments
            .iter()
            .enumerate()
            .map(|(i, ins)| (ins.symbol.clone(), i as u16))
            .collect();
        let books = (0..n).map(|i| OrderBook::new(i as u16)).collect();
        let mut state = MarketState::new(n);
        let lp = LiquidityProvider::new(config.liquidity.clone(), config.seed, &instruments, now);
        let md = MarketDataHub::new(
            &instruments
                .iter()
                .map(|i| (i.symbol.clone(), i.tick_size))
                .collect::<Vec<_>>(),
            config.max_depth,
        );
        let lp_name: Arc<str> = config.lp_account.as_str().into();
        let currencies = instruments
            .iter()
            .map(|i| Arc::from(i.currency.as_str()))
            .collect();
        let mut v = Venue {
            currencies,
            instruments,
            symbols,
            index,
            books,
            lp,
            md,
            ledger: ClearingLedger::default(),
            accounts: vec![lp_name.clone()],
            account_ids: FxHashMap::from_iter([(lp_name, LP_ACCOUNT)]),
            account_stp: vec![None],
            orders: FxHashMap::default(),
            cl_ord_ids: FxHashMap::default(),
            reports: VecDeque::new(),
            out: Outputs::default(),
            next_venue_exec: 1,
            scenario: None,
            state: MarketState::new(0),
            config,
        };
        if v.config.bands {
            for i in 0..n {
                state.set_band(
                    i as u16,
                    Some(Band {
                        reference: v.instruments[i].reference_ticks(),
                        pct: v.instruments[i].band_pct,
                    }),
                );
                v.books[i].set_price_limits(state.band(i as u16).map(|b| b.limits()));
            }
            // Initial bands are configuration, not news.
            while state.poll_event().is_some() {}
        }
        match v.config.start_session {
            StartSession::PreOpen => {}
            StartSession::Open => state.set_session(SessionStatus::Open),
            StartSession::Closed => state.set_session(SessionStatus::Closed),
        }
        v.state = state;
        v.handle_timeout(now);
        Ok(v)
    }

    // ----- getters -----

    /// CompID.
    pub fn comp_id(&self) -> &str {
        &self.config.comp_id
    }
    /// Configuration.
    pub fn config(&self) -> &VenueConfig {
        &self.config
    }
    /// Fee schedule.
    pub fn fees(&self) -> &FeeSchedule {
        &self.config.fees
    }
    /// Listed instruments, in index order.
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }
    /// One instrument by symbol.
    pub fn instrument(&self, symbol: &str) -> Option<&Instrument> {
        self.index
            .get(symbol)
            .map(|&i| &self.instruments[usize::from(i)])
    }
    /// The book of a symbol.
    pub fn book(&self, symbol: &str) -> Option<&OrderBook> {
        self.index.get(symbol).map(|&i| &self.books[usize::from(i)])
    }
    /// Market state.
    pub fn market_state(&self) -> &MarketState {
        &self.state
    }
    /// Current reference price of a symbol (the random walk).
    pub fn reference_price(&self, symbol: &str) -> Option<Decimal> {
        let &i = self.index.get(symbol)?;
        let tick = self.instruments[usize::from(i)].tick_size;
        Some(price_from_ticks(self.lp.reference(usize::from(i)), tick))
    }
    /// Best bid and ask of a symbol as (price, displayed qty).
    pub fn top_of_book(&self, symbol: &str) -> Option<(Option<PriceQty>, Option<PriceQty>)> {
        let &i = self.index.get(symbol)?;
        let tick = self.instruments[usize::from(i)].tick_size;
        let b = &self.books[usize::from(i)];
        let f = |l: crate::matching::LevelView| (price_from_ticks(l.price, tick), l.visible_qty);
        Some((b.best_bid().map(f), b.best_ask().map(f)))
    }

    // ----- input -----

    /// A new order (35=D). The acknowledgement, fills or reject are queued
    /// for `poll_report`; the id (or the reject) is also returned.
    pub fn handle_new_order(
        &mut self,
        now: Timestamp,
        req: &NewOrderRequest,
    ) -> Result<OrderId, RejectReason> {
        self.handle_timeout(now);
        match self.check_new(req) {
            Ok((i, order)) => {
                let cl: Arc<str> = req.cl_ord_id.as_str().into();
                let book = &mut self.books[usize::from(i)];
                // check_new validated everything the book guards against.
                let id = match book.submit(&order, now, &mut self.out) {
                    Ok(id) => id,
                    Err(e) => {
                        let r = RejectReason::BadPriceField(match e {
                            crate::matching::BookReject::ZeroQty => "zero quantity",
                            crate::matching::BookReject::BadDisplayQty => "bad display quantity",
                            crate::matching::BookReject::BadPrice => "bad price",
                        });
                        self.reject(now, req, r.clone());
                        return Err(r);
                    }
                };
                self.orders.insert(
                    id,
                    OrderMeta {
                        cl_ord_id: cl.clone(),
                        account: order.account,
                        instrument: i,
                        ord_type: req.ord_type,
                        tif: req.tif,
                        status: OrdStatus::New,
                        done: false,
                    },
                );
                self.cl_ord_ids.insert((order.account, cl), id);
                self.process(i, now, None);
                Ok(id)
            }
            Err(r) => {
                self.reject(now, req, r.clone());
                Err(r)
            }
        }
    }

    /// A cancel request (35=F). Success queues a Canceled report, failure
    /// a cancel reject.
    pub fn handle_cancel(
        &mut self,
        now: Timestamp,
        req: &CancelRequest,
    ) -> Result<(), CancelRejectCause> {
        self.handle_timeout(now);
        let res = self.find_order(
            req.order_id,
            &req.account,
            &req.orig_cl_ord_id,
            &req.symbol,
            &req.cl_ord_id,
        );
        let (id, acc) = match res {
            Ok(x) => x,
            Err((cause, id)) => {
                self.cancel_reject(
                    now,
                    &req.cl_ord_id,
                    &req.orig_cl_ord_id,
                    &req.account,
                    id,
                    CxlRejResponseTo::Cancel,
                    cause.clone(),
                );
                return Err(cause);
            }
        };
        let i = id.instrument();
        if let Err(e) = self.books[usize::from(i)].cancel(id, now, &mut self.out) {
            let cause = CancelRejectCause::Book(e);
            self.cancel_reject(
                now,
                &req.cl_ord_id,
                &req.orig_cl_ord_id,
                &req.account,
                Some(id),
                CxlRejResponseTo::Cancel,
                cause.clone(),
            );
            return Err(cause);
        }
        let orig = self.rename(id, acc, &req.cl_ord_id);
        self.process(i, now, Some((id, orig)));
        Ok(())
    }

    /// A cancel/replace request (35=G). Success queues a Replaced report
    /// (and fills if the new price crosses), failure a cancel reject.
    pub fn handle_replace(
        &mut self,
        now: Timestamp,
        req: &ReplaceRequest,
    ) -> Result<(), CancelRejectCause> {
        self.handle_timeout(now);
        let reject = |v: &mut Venue, id: Option<OrderId>, cause: CancelRejectCause| {
            v.cancel_reject(
                now,
                &req.cl_ord_id,
                &req.orig_cl_ord_id,
                &req.account,
                id,
                CxlRejResponseTo::Replace,
                cause.clone(),
            );
            Err(cause)
        };
        let (id, acc) = match self.find_order(
            req.order_id,
            &req.account,
            &req.orig_cl_ord_id,
            &req.symbol,
            &req.cl_ord_id,
        ) {
            Ok(x) => x,
            Err((cause, id)) => return reject(self, id, cause),
        };
        let i = id.instrument();
        if let Err(e) = self.state.admit(i) {
            let why = match e {
                AdmitError::SessionNotOpen(_) => "session not open",
                AdmitError::Halted(_) => "instrument halted",
                AdmitError::RejectAll(_) => "venue rejects all orders",
            };
            return reject(
                self,
                Some(id),
                CancelRejectCause::Book(CancelRejectReason::MarketClosed(why)),
            );
        }
        let ins = &self.instruments[usize::from(i)];
        let qty = match check_qty(req.qty, ins.lot_size) {
            Ok(q) => q,
            Err(r) => return reject(self, Some(id), CancelRejectCause::Invalid(r)),
        };
        let price = match req.price {
            None => None,
            Some(p) => match self.check_price(i, p) {
                Ok(t) => Some(t),
                Err(r) => return reject(self, Some(id), CancelRejectCause::Invalid(r)),
            },
        };
        if let Err(e) = self.books[usize::from(i)].replace(id, price, qty, now, &mut self.out) {
            return reject(self, Some(id), CancelRejectCause::Book(e));
        }
        let orig = self.rename(id, acc, &req.cl_ord_id);
        self.process(i, now, Some((id, orig)));
        Ok(())
    }

    /// Time passes: circuit breaker timers, due scenario actions, random
    /// walks, band moves, liquidity refresh. Cheap when nothing is due.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.state.on_time(now);
        while let Some(a) = self.scenario.as_mut().and_then(|s| s.poll_due(now)) {
            // Symbols were checked when the scenario was loaded.
            let _ = self.apply_action(now, &a.action);
        }
        if self.lp.refresh_due(now) {
            self.lp.advance(now);
            self.refresh_all(now);
            self.lp.refreshed(now);
        }
    }

    // ----- output -----

    /// The next report due at `now` (after the simulated latency).
    pub fn poll_report(&mut self, now: Timestamp) -> Option<Report> {
        match self.reports.front() {
            Some((t, _)) if *t <= now => self.reports.pop_front().map(|(_, r)| r),
            _ => None,
        }
    }

    /// The next market data message due at `now`.
    pub fn poll_market_data(&mut self, now: Timestamp) -> Option<MdMessage> {
        self.md.poll(now)
    }

    /// The next market state change to publish.
    pub fn poll_state_event(&mut self) -> Option<VenueEvent> {
        let e = self.state.poll_event()?;
        let sym = |i: u16| self.symbols[usize::from(i)].clone();
        Some(match e {
            StateEvent::Session(s) => VenueEvent::Session(s),
            StateEvent::Halted { instrument, reason } => VenueEvent::SecurityStatus {
                symbol: sym(instrument),
                halted: Some(reason),
            },
            StateEvent::Resumed { instrument } => VenueEvent::SecurityStatus {
                symbol: sym(instrument),
                halted: None,
            },
            StateEvent::BandChanged { instrument, lo, hi } => {
                let t = self.instruments[usize::from(instrument)].tick_size;
                VenueEvent::Band {
                    symbol: sym(instrument),
                    lo: price_from_ticks(lo, t),
                    hi: price_from_ticks(hi, t),
                }
            }
            StateEvent::CircuitBreaker { level, until } => {
                VenueEvent::CircuitBreaker { level, until }
            }
            StateEvent::DropSession(s) => VenueEvent::DropSession(s),
        })
    }

    /// When `handle_timeout` or a `poll_*` next has something to do.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        [
            self.lp.next_refresh(),
            self.scenario
                .as_ref()
                .and_then(ScenarioRunner::poll_timeout),
            self.state.circuit_breaker().and_then(|(_, u)| u),
            self.reports.front().map(|(t, _)| *t),
            self.md.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ----- market data -----

    /// A market data request (35=V): snapshots are queued at once; with
    /// `updates`, incrementals follow every change.
    pub fn subscribe_market_data(
        &mut self,
        now: Timestamp,
        req: &MdRequest,
    ) -> Result<(), MdReject> {
        self.handle_timeout(now);
        let release = self.md_release(now);
        self.md.subscribe(req, &self.books, now, release)
    }

    /// Unsubscribe (35=V with SubscriptionRequestType 2).
    pub fn unsubscribe_market_data(
        &mut self,
        subscriber: &str,
        req_id: &str,
    ) -> Result<(), MdReject> {
        self.md.unsubscribe(subscriber, req_id)
    }

    /// A FIX session went away: drop its subscriptions.
    pub fn drop_subscriber(&mut self, subscriber: &str) {
        self.md.drop_subscriber(subscriber);
    }

    // ----- operator and scenario commands -----

    /// Sets the session status. Opening refreshes the liquidity at once.
    pub fn set_session(&mut self, now: Timestamp, s: SessionStatus) {
        self.state.set_session(s);
        if s == SessionStatus::Open {
            self.refresh_all(now);
        }
    }

    /// Halts a symbol.
    pub fn halt(&mut self, symbol: &str, reason: &str) -> Result<(), VenueError> {
        let i = self.idx(symbol)?;
        self.state.halt(i, reason);
        Ok(())
    }

    /// Resumes a symbol.
    pub fn resume(&mut self, now: Timestamp, symbol: &str) -> Result<(), VenueError> {
        let i = self.idx(symbol)?;
        self.state.resume(i);
        self.refresh_one(i, now);
        Ok(())
    }

    /// Sets a symbol's band half-width (percent) around its reference.
    pub fn set_band(&mut self, symbol: &str, pct: Decimal) -> Result<(), VenueError> {
        let i = self.idx(symbol)?;
        let reference = self.lp.reference(usize::from(i));
        self.state.set_band(i, Some(Band { reference, pct }));
        self.books[usize::from(i)].set_price_limits(self.state.band(i).map(|b| b.limits()));
        Ok(())
    }

    /// Fires a market-wide circuit breaker.
    pub fn trigger_circuit_breaker(&mut self, now: Timestamp, level: u8) {
        self.state.trigger_circuit_breaker(level, now);
    }

    /// Moves a symbol's reference price by `pct` percent; quotes follow.
    pub fn shock(&mut self, now: Timestamp, symbol: &str, pct: Decimal) -> Result<(), VenueError> {
        let i = self.idx(symbol)?;
        self.lp.shock(usize::from(i), pct.to_f64().unwrap_or(0.0));
        self.refresh_one(i, now);
        Ok(())
    }

    /// Sets (or clears) an account's self-trade prevention mode.
    pub fn set_account_stp(&mut self, account: &str, mode: Option<StpMode>) {
        if account == self.config.lp_account {
            return;
        }
        let a = self.intern(account);
        self.account_stp[a.0 as usize] = mode;
    }

    /// Applies one scenario action.
    pub fn apply_action(&mut self, now: Timestamp, action: &Action) -> Result<(), VenueError> {
        match action {
            Action::Session(s) => self.set_session(now, *s),
            Action::Halt { symbol, reason } => self.halt(symbol, reason)?,
            Action::Resume { symbol } => self.resume(now, symbol)?,
            Action::Band { symbol, pct } => self.set_band(symbol, *pct)?,
            Action::CircuitBreaker { level } => self.trigger_circuit_breaker(now, *level),
            Action::Shock { symbol, pct } => self.shock(now, symbol, *pct)?,
            Action::DropSession { comp_id } => self.state.drop_session(comp_id.clone()),
            Action::DelayMarketData { delay } => self.state.set_market_data_delay(*delay),
            Action::StopMarketData => self.state.set_market_data_stopped(true),
            Action::StartMarketData => {
                self.state.set_market_data_stopped(false);
                let release = self.md_release(now);
                self.md.resync(&self.books, now, release);
            }
            Action::RejectAll { on } => self
                .state
                .set_reject_all(on.then(|| "scenario: reject everything".to_string())),
            Action::EndOfDay => self.end_of_day(now),
        }
        Ok(())
    }

    /// Loads a scenario whose offsets count from `start`. Every symbol it
    /// names must be listed here.
    pub fn load_scenario(
        &mut self,
        actions: Vec<TimedAction>,
        start: Timestamp,
    ) -> Result<(), VenueError> {
        let unknown: Vec<(usize, String)> = actions
            .iter()
            .filter_map(|a| match &a.action {
                Action::Halt { symbol, .. }
                | Action::Resume { symbol }
                | Action::Band { symbol, .. }
                | Action::Shock { symbol, .. } => Some((a.line, symbol.clone())),
                _ => None,
            })
            .filter(|(_, s)| !self.index.contains_key(s))
            .collect();
        if !unknown.is_empty() {
            return Err(VenueError::ScenarioSymbols(unknown));
        }
        self.scenario = Some(ScenarioRunner::new(actions, start));
        Ok(())
    }

    /// End of the trading day: expires DAY orders, closes the session,
    /// forgets finished orders (ClOrdIDs may be reused the next day).
    pub fn end_of_day(&mut self, now: Timestamp) {
        for i in 0..self.books.len() {
            self.books[i].expire_day_orders(now, &mut self.out);
            self.process(i as u16, now, None);
        }
        self.state.set_session(SessionStatus::Closed);
        self.orders.retain(|_, m| !m.done);
        let orders = &self.orders;
        self.cl_ord_ids.retain(|_, id| orders.contains_key(id));
    }

    // ----- clearing -----

    /// Sets a futures symbol's daily settlement price.
    pub fn set_settlement_price(&mut self, symbol: &str, price: Decimal) -> Result<(), VenueError> {
        self.idx(symbol)?;
        self.ledger.set_settlement_price(symbol, price);
        Ok(())
    }

    /// Clearing records of every trade since the last `take_clearing_records`.
    pub fn clearing_records(&self) -> Vec<ClearingRecord> {
        self.ledger.records(&self.config.comp_id, &self.config.fees)
    }

    /// Clearing records, then forgets them (end-of-day clearing).
    pub fn take_clearing_records(&mut self) -> Vec<ClearingRecord> {
        self.ledger
            .take_records(&self.config.comp_id, &self.config.fees)
    }

    /// Clearing records as CSV.
    pub fn clearing_csv(&self) -> String {
        to_csv(&self.clearing_records())
    }
}

#[cfg(test)]
mod tests;
