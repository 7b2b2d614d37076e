//! The risk engine: the one object the OMS core owns and calls.
//!
//! Owns all risk state (positions, aggregates, open orders, market state,
//! VaR, trading states, overrides) and the public API, sorted the way
//! quinn sorts its `Connection`:
//! - checks: [`RiskEngine::pre_trade`] (in [`crate::pretrade`]);
//! - `on_*` inputs from the OMS and market data: fills, open-order
//!   changes, prices, halts, the index, daily closes, time
//!   (in [`crate::posttrade`]);
//! - operator actions, each carrying who, when and why: kill switch,
//!   trading states, overrides, configuration (here);
//! - getters, and [`RiskEngine::poll_event`] for what to journal.
//!
//! Every method takes `now` from the caller; nothing reads a clock. The
//! engine is a single-writer state machine: no locks, no IO.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::NaiveDate;
use indexmap::{IndexMap, IndexSet};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::book::{Aggregates, Contribution, Position};
use crate::calendar::{self, TradingDay};
use crate::compliance::pdt::DayTradeLog;
use crate::compliance::wash::WashLedger;
use crate::config::{
    AccountType, ConfigError, ConfigProblem, OnBreach, PdtRegime, Permission, RiskConfig,
    WashSaleMode,
};
use crate::decision::{Rule, Scope, TradingState};
use crate::drawdown::Drawdown;
use crate::events::{Operator, RiskEvent, StateCause};
use crate::fixed::Money;
use crate::keys::{IdHash, KeyHash, OrderKey};
use crate::limits::{LevelLimits, RateWindow};
use crate::market::{InstrumentMarket, MarketWide};
use crate::overrides::Overrides;
use crate::sizing::{self, EwmaVol, SizingError};
use crate::types::{
    AccountId, ClOrdId, DeskId, Instrument, LocateId, OperatorId, OrderRequest, Sector, SignedQty,
    Symbol, Timestamp, Venue,
};
use crate::var::{PortfolioVar, VarModel};

/// Errors from the engine's non-check calls.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RiskError {
    /// Account not configured.
    #[error("unknown account {0}")]
    UnknownAccount(AccountId),
    /// Desk not configured.
    #[error("unknown desk {0}")]
    UnknownDesk(DeskId),
    /// Instrument not configured.
    #[error("unknown instrument {0}")]
    UnknownInstrument(Symbol),
    /// Operator lacks the permission.
    #[error("operator {operator} is not authorised to {permission:?}")]
    NotAuthorised {
        /// Who.
        operator: OperatorId,
        /// What was needed.
        permission: Permission,
    },
    /// Operator actions need a reason.
    #[error("operator action by {0} has no reason")]
    NoReason(OperatorId),
    /// The new configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The change would remove or redefine something live.
    #[error("configuration change not supported at run time: {0}")]
    UnsupportedChange(String),
    /// Sizing failed.
    #[error(transparent)]
    Sizing(#[from] SizingError),
}

/// A market data update for one instrument.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MarketUpdate {
    /// A trade printed.
    Trade {
        /// Price.
        price: Decimal,
    },
    /// National best bid and offer.
    Quote {
        /// Best bid.
        bid: Option<Decimal>,
        /// Best offer.
        ask: Option<Decimal>,
    },
}

/// P&L and equity of a level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PnlView {
    /// Realised today.
    pub realised: Decimal,
    /// Unrealised (market value less cost).
    pub unrealised: Decimal,
    /// Cash plus market value.
    pub equity: Decimal,
    /// Projected gross exposure (positions and open orders).
    pub gross_exposure: Decimal,
    /// Worst projected absolute net exposure.
    pub net_exposure: Decimal,
}

/// VaR figures of a level (currency).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VarView {
    /// Parametric (EWMA covariance).
    pub parametric: Decimal,
    /// Historical simulation.
    pub historical: Decimal,
}

pub(crate) struct InstrumentEntry {
    pub spec: Instrument,
    pub sector: usize,
    pub class: usize,
    /// Wash-sale key: own index, or the underlying's for calls.
    pub wash_key: Option<usize>,
    pub market: InstrumentMarket,
    /// Valuation price (last, mid, prior close, or first order price).
    pub mark: Decimal,
    /// `mark x multiplier` in fixed point.
    pub unit: Money,
    /// The multiplier, when it is a whole number (always, in practice).
    pub mult_int: Option<i64>,
    /// The tick in fixed-point units, when it fits an i64.
    pub tick_units: Option<i64>,
    pub restricted: bool,
    pub htb: bool,
    pub holders: Vec<u32>,
    pub vol: EwmaVol,
}

impl InstrumentEntry {
    fn new(
        spec: &Instrument,
        sector: usize,
        wash_key: Option<usize>,
        lambda: f64,
    ) -> InstrumentEntry {
        let m = spec.multiplier;
        InstrumentEntry {
            spec: spec.clone(),
            sector,
            class: spec.asset_class.index(),
            wash_key,
            market: {
                let mut m = InstrumentMarket::default();
                m.set_tier(spec.tier);
                m
            },
            mark: Decimal::ZERO,
            unit: Money::ZERO,
            mult_int: if m.fract().is_zero() {
                m.to_i64()
            } else {
                None
            },
            tick_units: tick_units(spec.tick),
            restricted: false,
            htb: false,
            holders: Vec::new(),
            vol: EwmaVol::new(lambda),
        }
    }

    /// Fixed-point value of one unit (share, contract) at the mark.
    #[inline]
    pub fn unit(&self) -> Money {
        self.unit
    }

    /// Fixed-point value of one unit at price `px`.
    #[inline]
    pub fn value_at(&self, px: Decimal) -> Money {
        match self.mult_int {
            Some(1) => Money::from_decimal(px),
            Some(k) => Money::from_decimal(px).times(k),
            None => Money::from_decimal(px * self.spec.multiplier),
        }
    }

    /// True if `p` is a positive multiple of the tick.
    #[inline]
    pub fn on_tick(&self, p: Decimal) -> bool {
        if p <= Decimal::ZERO {
            return false;
        }
        if p.scale() <= crate::fixed::SCALE {
            // Exact in fixed point: an integer remainder.
            if let (Some(t), Ok(v)) = (self.tick_units, i64::try_from(Money::from_decimal(p).0)) {
                return v % t == 0;
            }
        }
        (p % self.spec.tick).is_zero()
    }

    /// Underlying shares in `qty` units (contracts x multiplier).
    pub fn shares(&self, qty: i64) -> i64 {
        match self.mult_int {
            Some(m) => qty.saturating_mul(m),
            None => (Decimal::from(qty) * self.spec.multiplier)
                .trunc()
                .to_i64()
                .unwrap_or(i64::MAX),
        }
    }

    /// New valuation price.
    pub fn set_mark(&mut self, mark: Decimal) {
        self.mark = mark;
        self.unit = self.value_at(mark);
    }
}

pub(crate) struct Level {
    pub scope: Scope,
    pub limits: LevelLimits,
    pub agg: Aggregates,
    pub daily_notional: Money,
    pub rate: RateWindow,
    pub manual: TradingState,
    pub dd: Drawdown,
    pub dd_state: TradingState,
    pub var_state: TradingState,
    pub effective: TradingState,
    pub var: Option<PortfolioVar>,
    pub exposure_breached: bool,
}

impl Level {
    fn new(
        scope: Scope,
        limits: LevelLimits,
        n_sec: usize,
        n_ins: usize,
        var: Option<PortfolioVar>,
    ) -> Level {
        let rate = RateWindow::new(limits.orders_per_second);
        Level {
            scope,
            limits,
            agg: Aggregates::new(n_sec, n_ins),
            daily_notional: Money::ZERO,
            rate,
            manual: TradingState::Active,
            dd: Drawdown::default(),
            dd_state: TradingState::Active,
            var_state: TradingState::Active,
            effective: TradingState::Active,
            var,
            exposure_breached: false,
        }
    }

    /// Recompute the effective state; queue an event if it changed.
    pub fn refresh(&mut self, cause: StateCause, events: &mut VecDeque<RiskEvent>) {
        let new = self.manual.max(self.dd_state).max(self.var_state);
        if new != self.effective {
            events.push_back(RiskEvent::StateChanged {
                scope: self.scope,
                from: self.effective,
                to: new,
                cause,
            });
            self.effective = new;
        }
    }
}

pub(crate) struct AccountSettings {
    pub account_type: AccountType,
    pub initial_margin: Money,
    pub maintenance_margin: Money,
    pub pdt_regime: PdtRegime,
    pub on_breach: OnBreach,
    pub ord_type_mask: u8,
    pub venues: Vec<Venue>,
    pub wash_sales: WashSaleMode,
}

pub(crate) struct Account {
    pub level: Level,
    pub desk: usize,
    pub desk_id: DeskId,
    pub positions: Vec<Position>,
    pub settings: AccountSettings,
    pub pdt: DayTradeLog,
    pub wash: WashLedger,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct OpenOrder {
    pub req: OrderRequest,
    pub leaves: i64,
    pub acc: usize,
    pub ins: usize,
    pub filled: bool,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Locate {
    pub account: AccountId,
    pub symbol: Symbol,
    pub id: LocateId,
    pub remaining: i64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RecentOrder {
    pub at: Timestamp,
    pub fp: u64,
    pub account: AccountId,
    pub symbol: Symbol,
    pub side: crate::types::Side,
    pub qty: SignedQty,
    pub price: Option<Decimal>,
}

/// How many recent orders the same-parameters duplicate check remembers.
pub(crate) const RECENT_CAP: usize = 4096;

/// The risk engine. See the module documentation.
pub struct RiskEngine {
    pub(crate) cfg: RiskConfig,
    pub(crate) instruments: IndexMap<Symbol, InstrumentEntry, IdHash>,
    pub(crate) sectors: IndexSet<Sector>,
    pub(crate) accounts: IndexMap<AccountId, Account, IdHash>,
    pub(crate) desks: IndexMap<DeskId, Level, IdHash>,
    pub(crate) firm: Level,
    pub(crate) open: IndexMap<OrderKey, OpenOrder, KeyHash>,
    pub(crate) seen: HashSet<u64, KeyHash>,
    /// Orders accepted within the duplicate window, oldest first.
    pub(crate) recent: VecDeque<RecentOrder>,
    /// Parameters fingerprint -> time of the latest accepted order with it.
    pub(crate) recent_index: HashMap<u64, Timestamp, KeyHash>,
    pub(crate) overrides: Overrides,
    pub(crate) market_wide: MarketWide,
    pub(crate) day: TradingDay,
    pub(crate) pdt_window_start: NaiveDate,
    pub(crate) var_model: VarModel,
    pub(crate) events: VecDeque<RiskEvent>,
    pub(crate) locates: Vec<Locate>,
}

impl RiskEngine {
    /// Build an engine from a validated configuration, as of `now`.
    pub fn new(cfg: RiskConfig, now: Timestamp) -> Result<RiskEngine, RiskError> {
        let problems = cfg.validate("<engine>");
        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems).into());
        }
        let (specs, sectors) = tables(&cfg);
        let n_ins = specs.len();
        let n_sec = sectors.len();
        let var_model = VarModel::new(n_ins, cfg.var.lambda, cfg.var.history_days);
        let mut instruments = IndexMap::with_capacity_and_hasher(n_ins, IdHash::default());
        for (i, (sym, spec)) in specs.iter().enumerate() {
            let wash_key = instrument_wash_key(spec, &specs, i);
            let mut entry = InstrumentEntry::new(
                spec,
                sectors.get_index_of(&spec.sector).unwrap_or(0),
                wash_key,
                cfg.var.lambda,
            );
            entry.restricted = cfg.restricted.contains(sym);
            entry.htb = cfg.hard_to_borrow.contains(sym);
            instruments.insert(*sym, entry);
        }
        let firm = Level::new(
            Scope::Firm,
            LevelLimits::compile(&cfg.firm, &specs, &sectors),
            n_sec,
            n_ins,
            Some(PortfolioVar::new(&var_model)),
        );
        let mut desks = IndexMap::with_hasher(IdHash::default());
        for (id, d) in &cfg.desks {
            desks.insert(
                *id,
                Level::new(
                    Scope::Desk(*id),
                    LevelLimits::compile(&d.limits, &specs, &sectors),
                    n_sec,
                    n_ins,
                    None,
                ),
            );
        }
        let mut engine = RiskEngine {
            instruments,
            sectors,
            accounts: IndexMap::with_hasher(IdHash::default()),
            desks,
            firm,
            open: IndexMap::with_capacity_and_hasher(1 << 14, KeyHash::default()),
            seen: HashSet::with_capacity_and_hasher(
                cfg.checks.expected_orders_per_day.min(1 << 24),
                KeyHash::default(),
            ),
            recent: VecDeque::with_capacity(RECENT_CAP),
            recent_index: HashMap::with_capacity_and_hasher(2 * RECENT_CAP, KeyHash::default()),
            overrides: Overrides::default(),
            market_wide: MarketWide::default(),
            day: TradingDay::containing(now),
            pdt_window_start: NaiveDate::MIN,
            var_model,
            events: VecDeque::with_capacity(1024),
            locates: Vec::new(),
            cfg,
        };
        let accounts: Vec<_> = engine.cfg.accounts.keys().copied().collect();
        for id in accounts {
            engine.add_account(id, &specs);
        }
        engine.start_day();
        Ok(engine)
    }

    fn add_account(&mut self, id: AccountId, specs: &IndexMap<Symbol, Instrument>) {
        let a = &self.cfg.accounts[&id];
        let n_ins = self.instruments.len();
        let mut level = Level::new(
            Scope::Account(id),
            LevelLimits::compile(&a.limits, specs, &self.sectors),
            self.sectors.len(),
            n_ins,
            Some(PortfolioVar::new(&self.var_model)),
        );
        let cash = Money::from_decimal(a.cash);
        level.agg.cash = cash;
        let desk = self.desks.get_index_of(&a.desk).unwrap_or(0);
        if let Some((_, d)) = self.desks.get_index_mut(desk) {
            d.agg.cash += cash;
        }
        self.firm.agg.cash += cash;
        let account = Account {
            level,
            desk,
            desk_id: a.desk,
            positions: vec![Position::default(); n_ins],
            settings: settings_of(a),
            pdt: DayTradeLog::default(),
            wash: WashLedger::default(),
        };
        self.accounts.insert(id, account);
    }

    // ----- day boundary ----------------------------------------------------

    /// Move to the day containing `now` if it changed (cheap when it did not).
    #[inline]
    pub(crate) fn roll(&mut self, now: Timestamp) {
        if !self.day.contains(now) {
            self.day = TradingDay::containing(now);
            self.start_day();
        }
    }

    fn start_day(&mut self) {
        let mut start = self.day.date;
        for _ in 0..4 {
            start = calendar::prev_trading_day(start).unwrap_or(start);
        }
        self.pdt_window_start = start;
        self.seen.clear();
        self.recent.clear();
        self.recent_index.clear();
        for e in self.instruments.values_mut() {
            e.market.start_day();
        }
        let events = &mut self.events;
        let mut reset = |l: &mut Level| {
            l.daily_notional = Money::ZERO;
            l.agg.realised = Money::ZERO;
            l.dd.reset();
            l.dd_state = TradingState::Active;
            l.refresh(StateCause::Drawdown { pct: Decimal::ZERO }, events);
        };
        reset(&mut self.firm);
        for d in self.desks.values_mut() {
            reset(d);
        }
        for a in self.accounts.values_mut() {
            reset(&mut a.level);
            for p in &mut a.positions {
                p.realised = Decimal::ZERO;
                p.bought_today = 0;
                p.sold_today = 0;
            }
        }
    }

    // ----- operator actions ------------------------------------------------

    fn authorise(&self, op: &Operator, permission: Permission) -> Result<(), RiskError> {
        if op.reason.trim().is_empty() {
            return Err(RiskError::NoReason(op.id));
        }
        match self.cfg.operators.get(&op.id) {
            Some(perms) if perms.contains(&permission) => Ok(()),
            _ => Err(RiskError::NotAuthorised {
                operator: op.id,
                permission,
            }),
        }
    }

    fn check_scope(&self, scope: Scope) -> Result<(), RiskError> {
        match scope {
            Scope::Firm => Ok(()),
            Scope::Desk(d) if self.desks.contains_key(&d) => Ok(()),
            Scope::Desk(d) => Err(RiskError::UnknownDesk(d)),
            Scope::Account(a) if self.accounts.contains_key(&a) => Ok(()),
            Scope::Account(a) => Err(RiskError::UnknownAccount(a)),
        }
    }

    pub(crate) fn level(&self, scope: Scope) -> Option<&Level> {
        match scope {
            Scope::Firm => Some(&self.firm),
            Scope::Desk(d) => self.desks.get(&d),
            Scope::Account(a) => self.accounts.get(&a).map(|a| &a.level),
        }
    }

    /// True if account index `ai` is inside `scope`.
    pub(crate) fn in_scope(&self, ai: usize, scope: Scope) -> bool {
        match scope {
            Scope::Firm => true,
            Scope::Desk(d) => self.desks.get_index_of(&d) == Some(self.accounts[ai].desk),
            Scope::Account(a) => self.accounts.get_index_of(&a) == Some(ai),
        }
    }

    /// Open orders of the accounts inside `scope`, in arrival order.
    pub fn open_orders(&self, scope: Scope) -> Vec<ClOrdId> {
        self.open
            .values()
            .filter(|o| self.in_scope(o.acc, scope))
            .map(|o| o.req.cl_ord_id)
            .collect()
    }

    /// Kill switch: HALT `scope` (no new orders) and return the open orders
    /// the OMS must cancel. Queues a state change and a kill-switch event.
    pub fn kill_switch(&mut self, scope: Scope, op: Operator) -> Result<Vec<ClOrdId>, RiskError> {
        self.authorise(&op, Permission::KillSwitch)?;
        self.check_scope(scope)?;
        let cancel = self.open_orders(scope);
        let events = &mut self.events;
        if let Some(l) = match scope {
            Scope::Firm => Some(&mut self.firm),
            Scope::Desk(d) => self.desks.get_mut(&d),
            Scope::Account(a) => self.accounts.get_mut(&a).map(|a| &mut a.level),
        } {
            l.manual = TradingState::Halted;
            l.refresh(StateCause::Operator(op.clone()), events);
        }
        self.events.push_back(RiskEvent::KillSwitch {
            scope,
            operator: op,
            cancel: cancel.clone(),
        });
        Ok(cancel)
    }

    /// Set the operator-controlled trading state of `scope`. Setting ACTIVE
    /// also lifts a drawdown tier (its high-water mark restarts from the
    /// current equity); a VaR restriction lifts by itself when VaR falls
    /// back under the limit.
    pub fn set_trading_state(
        &mut self,
        scope: Scope,
        state: TradingState,
        op: Operator,
    ) -> Result<(), RiskError> {
        self.authorise(&op, Permission::KillSwitch)?;
        self.check_scope(scope)?;
        let events = &mut self.events;
        let l = match scope {
            Scope::Firm => &mut self.firm,
            Scope::Desk(d) => self.desks.get_mut(&d).ok_or(RiskError::UnknownDesk(d))?,
            Scope::Account(a) => {
                &mut self
                    .accounts
                    .get_mut(&a)
                    .ok_or(RiskError::UnknownAccount(a))?
                    .level
            }
        };
        l.manual = state;
        if state == TradingState::Active {
            l.dd.reset();
            l.dd_state = TradingState::Active;
        }
        l.refresh(StateCause::Operator(op), events);
        Ok(())
    }

    /// Waive `rule` for `scope` until `expires` (for one order if
    /// `cl_ord_id` is given). Returns the override id; queues an event.
    pub fn override_rule(
        &mut self,
        rule: Rule,
        scope: Scope,
        cl_ord_id: Option<ClOrdId>,
        expires: Timestamp,
        op: Operator,
    ) -> Result<u64, RiskError> {
        self.authorise(&op, Permission::Override)?;
        self.check_scope(scope)?;
        self.overrides.prune(op.at);
        let id = self
            .overrides
            .grant(rule, scope, cl_ord_id, expires, op.clone());
        self.events.push_back(RiskEvent::OverrideGranted {
            id,
            rule,
            scope,
            cl_ord_id,
            expires,
            operator: op,
        });
        Ok(id)
    }

    /// Revoke an override; false if it was unknown or already used.
    pub fn revoke_override(&mut self, id: u64, op: Operator) -> Result<bool, RiskError> {
        self.authorise(&op, Permission::Override)?;
        Ok(self.overrides.revoke(id))
    }

    /// Register a locate from the stock-loan desk: `qty` shares of
    /// `symbol` for `account`, under `id`. Hard-to-borrow short sales must
    /// name a registered locate with enough quantity left.
    pub fn add_locate(&mut self, account: AccountId, symbol: Symbol, id: LocateId, qty: SignedQty) {
        self.locates.push(Locate {
            account,
            symbol,
            id,
            remaining: qty.0,
        });
    }

    /// Replace the limits of one level at run time (audited): a shortcut
    /// for [`RiskEngine::set_config`] with that level's limits changed.
    pub fn set_limits(
        &mut self,
        scope: Scope,
        limits: crate::config::Limits,
        op: Operator,
    ) -> Result<(), RiskError> {
        self.check_scope(scope)?;
        let mut cfg = self.cfg.clone();
        match scope {
            Scope::Firm => cfg.firm = limits,
            Scope::Desk(d) => {
                cfg.desks
                    .get_mut(&d)
                    .ok_or(RiskError::UnknownDesk(d))?
                    .limits = limits
            }
            Scope::Account(a) => {
                cfg.accounts
                    .get_mut(&a)
                    .ok_or(RiskError::UnknownAccount(a))?
                    .limits = limits
            }
        }
        self.set_config(cfg, op)
    }

    /// Replace limits and settings at run time (audited). Instruments,
    /// accounts and desks may be added, not removed; existing instruments
    /// keep their definition. All problems are reported at once.
    pub fn set_config(&mut self, cfg: RiskConfig, op: Operator) -> Result<(), RiskError> {
        self.authorise(&op, Permission::Limits)?;
        let mut problems = cfg.validate("<operator>");
        for s in self.instruments.keys() {
            match cfg.instruments.iter().find(|i| i.symbol == *s) {
                None => problems.push(problem(
                    "instruments",
                    format!("cannot remove {s} at run time"),
                )),
                Some(i) if *i != self.instruments[s].spec => problems.push(problem(
                    "instruments",
                    format!("cannot redefine {s} at run time"),
                )),
                _ => {}
            }
        }
        for a in self.accounts.keys() {
            match cfg.accounts.get(a) {
                None => problems.push(problem(
                    "accounts",
                    format!("cannot remove {a} at run time"),
                )),
                Some(c) if c.desk != self.cfg.accounts[a].desk => problems.push(problem(
                    &format!("accounts.{a}.desk"),
                    "cannot move an account at run time".into(),
                )),
                _ => {}
            }
        }
        for d in self.desks.keys() {
            if !cfg.desks.contains_key(d) {
                problems.push(problem("desks", format!("cannot remove {d} at run time")));
            }
        }
        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems).into());
        }
        // New instruments are appended, so every existing index stays valid.
        for spec in &cfg.instruments {
            if !self.instruments.contains_key(&spec.symbol) {
                self.sectors.insert(spec.sector);
                let sector = self.sectors.get_index_of(&spec.sector).unwrap_or(0);
                self.instruments.insert(
                    spec.symbol,
                    InstrumentEntry::new(spec, sector, None, cfg.var.lambda),
                );
            }
        }
        let specs: IndexMap<Symbol, Instrument> = self
            .instruments
            .iter()
            .map(|(s, e)| (*s, e.spec.clone()))
            .collect();
        for i in 0..specs.len() {
            let key = instrument_wash_key(&specs[i], &specs, i);
            let e = &mut self.instruments[i];
            e.wash_key = key;
            e.restricted = cfg.restricted.contains(&e.spec.symbol);
            e.htb = cfg.hard_to_borrow.contains(&e.spec.symbol);
        }
        let (n_ins, n_sec) = (specs.len(), self.sectors.len());
        self.var_model.grow(n_ins);
        self.firm.limits = LevelLimits::compile(&cfg.firm, &specs, &self.sectors);
        self.firm.agg.grow(n_sec, n_ins);
        if let Some(v) = &mut self.firm.var {
            v.rebuild(&self.var_model);
        }
        for (id, d) in &cfg.desks {
            let limits = LevelLimits::compile(&d.limits, &specs, &self.sectors);
            match self.desks.get_mut(id) {
                Some(l) => {
                    l.limits = limits;
                    l.agg.grow(n_sec, n_ins);
                }
                None => {
                    self.desks.insert(
                        *id,
                        Level::new(Scope::Desk(*id), limits, n_sec, n_ins, None),
                    );
                }
            }
        }
        let old_accounts: Vec<AccountId> = self.accounts.keys().copied().collect();
        self.cfg = cfg;
        for (id, a) in self.cfg.accounts.clone() {
            if old_accounts.contains(&id) {
                let limits = LevelLimits::compile(&a.limits, &specs, &self.sectors);
                let desk = self.desks.get_index_of(&a.desk).unwrap_or(0);
                let acc = &mut self.accounts[&id];
                acc.level.limits = limits;
                acc.level.agg.grow(n_sec, n_ins);
                acc.positions.resize(n_ins, Position::default());
                acc.settings = settings_of(&a);
                acc.desk = desk;
                if let Some(v) = &mut acc.level.var {
                    v.rebuild(&self.var_model);
                }
            } else {
                self.add_account(id, &specs);
            }
        }
        self.events
            .push_back(RiskEvent::ConfigChanged { operator: op });
        Ok(())
    }

    // ----- getters ---------------------------------------------------------

    /// Next event to journal, oldest first.
    pub fn poll_event(&mut self) -> Option<RiskEvent> {
        self.events.pop_front()
    }

    /// The configuration in force.
    pub fn config(&self) -> &RiskConfig {
        &self.cfg
    }

    /// Effective trading state of a level (its own; an order is also
    /// subject to its desk's and the firm's).
    pub fn trading_state(&self, scope: Scope) -> Option<TradingState> {
        self.level(scope).map(|l| l.effective)
    }

    /// A position (with its open order quantities).
    pub fn position(&self, account: AccountId, symbol: Symbol) -> Option<Position> {
        let a = self.accounts.get(&account)?;
        let i = self.instruments.get_index_of(&symbol)?;
        a.positions.get(i).copied()
    }

    /// P&L, equity and exposure of a level.
    pub fn pnl(&self, scope: Scope) -> Option<PnlView> {
        let l = self.level(scope)?;
        Some(PnlView {
            realised: l.agg.realised.to_decimal(),
            unrealised: l.agg.unrealised().to_decimal(),
            equity: l.agg.equity().to_decimal(),
            gross_exposure: l.agg.total.gross.to_decimal(),
            net_exposure: l.agg.total.net_abs().to_decimal(),
        })
    }

    /// VaR of an account or the firm (desks have none).
    pub fn var(&mut self, scope: Scope) -> Option<VarView> {
        let model = &self.var_model;
        let l = match scope {
            Scope::Firm => &mut self.firm,
            Scope::Desk(_) => return None,
            Scope::Account(a) => &mut self.accounts.get_mut(&a)?.level,
        };
        let v = l.var.as_mut()?;
        Some(VarView {
            parametric: money(v.parametric()),
            historical: money(v.historical(model)),
        })
    }

    /// Market state of an instrument.
    pub fn market(&self, symbol: Symbol) -> Option<&InstrumentMarket> {
        self.instruments.get(&symbol).map(|e| &e.market)
    }

    /// Daily EWMA volatility of an instrument's closes, if known.
    pub fn volatility(&self, symbol: Symbol) -> Option<f64> {
        self.instruments.get(&symbol)?.vol.volatility()
    }

    /// Volatility-sized quantity for `symbol`: `risk_budget / (price x
    /// volatility x multiplier)` at the current mark and EWMA volatility.
    pub fn size_position(
        &self,
        symbol: Symbol,
        risk_budget: Decimal,
    ) -> Result<SignedQty, RiskError> {
        let e = self
            .instruments
            .get(&symbol)
            .ok_or(RiskError::UnknownInstrument(symbol))?;
        let vol = e.vol.volatility().unwrap_or(0.0);
        Ok(sizing::size_position(
            risk_budget,
            e.mark,
            e.spec.multiplier,
            vol,
            e.spec.lot,
        )?)
    }

    /// Live overrides.
    pub fn overrides(&self) -> impl Iterator<Item = &crate::overrides::Override> {
        self.overrides.iter()
    }
}

fn tick_units(tick: Decimal) -> Option<i64> {
    let m = Money::from_decimal(tick);
    // Only ticks that fixed point represents exactly.
    (m.0 > 0 && m.to_decimal() == tick.normalize())
        .then(|| i64::try_from(m.0).ok())
        .flatten()
}

pub(crate) fn money(x: f64) -> Decimal {
    Decimal::from_f64_retain(x)
        .map(|d| d.round_dp(2))
        .unwrap_or(Decimal::MAX)
}

pub(crate) fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

fn problem(key: &str, reason: String) -> ConfigProblem {
    ConfigProblem {
        file: "<operator>".into(),
        key: key.into(),
        reason,
    }
}

fn tables(cfg: &RiskConfig) -> (IndexMap<Symbol, Instrument>, IndexSet<Sector>) {
    let specs: IndexMap<Symbol, Instrument> = cfg
        .instruments
        .iter()
        .map(|i| (i.symbol, i.clone()))
        .collect();
    let sectors: IndexSet<Sector> = specs.values().map(|i| i.sector).collect();
    (specs, sectors)
}

fn instrument_wash_key(
    spec: &Instrument,
    specs: &IndexMap<Symbol, Instrument>,
    own: usize,
) -> Option<usize> {
    use crate::types::AssetClass;
    match spec.asset_class {
        AssetClass::Equity | AssetClass::Etf => Some(own),
        AssetClass::Option if spec.is_call => spec.underlying.and_then(|u| specs.get_index_of(&u)),
        _ => None,
    }
}

fn settings_of(a: &crate::config::AccountConfig) -> AccountSettings {
    let ord_type_mask = if a.allowed_ord_types.is_empty() {
        u8::MAX
    } else {
        a.allowed_ord_types
            .iter()
            .fold(0, |m, t| m | crate::types::ord_type_bit(*t))
    };
    AccountSettings {
        account_type: a.account_type,
        initial_margin: Money::from_decimal(if a.account_type == AccountType::Cash {
            Decimal::ONE
        } else {
            a.initial_margin
        }),
        maintenance_margin: Money::from_decimal(a.maintenance_margin),
        pdt_regime: a.pdt_regime,
        on_breach: a.on_breach,
        ord_type_mask,
        venues: a.allowed_venues.clone(),
        wash_sales: a.wash_sales,
    }
}

/// Recompute one position's contribution after `f` changes it, and apply
/// the delta to the account, its desk and the firm (and VaR weights).
pub(crate) fn update_position<F: FnOnce(&mut Position)>(
    engine: &mut RiskEngine,
    ai: usize,
    ii: usize,
    f: F,
) {
    let entry = &engine.instruments[ii];
    let unit = entry.unit();
    let (sector, class) = (entry.sector, entry.class);
    let acc = &mut engine.accounts[ai];
    let pos = &mut acc.positions[ii];
    let old = Contribution::of(pos, unit);
    let (old_qty, old_cost) = (pos.qty, pos.cost);
    f(pos);
    let new = Contribution::of(pos, unit);
    let (new_qty, new_cost) = (pos.qty, pos.cost);
    let cost_delta = if new_cost == old_cost {
        Money::ZERO
    } else {
        Money::from_decimal(new_cost - old_cost)
    };
    let desk = acc.desk;
    for l in [&mut acc.level, &mut engine.desks[desk], &mut engine.firm] {
        l.agg.apply(ii, sector, class, &old, &new);
        l.agg.cost += cost_delta;
    }
    if old_qty != new_qty {
        let (ow, nw) = (unit.times(old_qty).to_f64(), unit.times(new_qty).to_f64());
        if let Some(v) = &mut engine.accounts[ai].level.var {
            v.set_weight(&engine.var_model, ii, nw);
        }
        if let Some(v) = &mut engine.firm.var {
            let fw = v.weight(ii) + nw - ow;
            v.set_weight(&engine.var_model, ii, fw);
        }
    }
    let pos = &mut engine.accounts[ai].positions[ii];
    if !pos.listed {
        pos.listed = true;
        engine.instruments[ii].holders.push(ai as u32);
    }
}
