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
//!
//! Here: the engine's state, its construction and the day roll. The
//! per-instrument, per-level and per-account records are in [`state`],
//! the operator actions in [`operator`], the getters in [`views`].

mod operator;
mod state;
mod views;

pub(crate) use state::{
    Account, AccountSettings, InstrumentEntry, Level, Locate, OpenOrder, RecentOrder, RECENT_CAP,
};

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::NaiveDate;
use indexmap::{IndexMap, IndexSet};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::book::{Contribution, Position};
use crate::calendar::{self, TradingDay};
use crate::compliance::pdt::DayTradeLog;
use crate::compliance::wash::WashLedger;
use crate::config::{AccountType, ConfigError, ConfigProblem, Permission, RiskConfig};
use crate::decision::{Scope, TradingState};
use crate::events::{RiskEvent, StateCause};
use crate::fixed::Money;
use crate::keys::{IdHash, KeyHash, OrderKey};
use crate::limits::LevelLimits;
use crate::market::MarketWide;
use crate::overrides::Overrides;
use crate::sizing::SizingError;
use crate::types::{AccountId, DeskId, Instrument, OperatorId, Sector, Symbol, Timestamp};
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
