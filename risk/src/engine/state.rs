//! The records the engine keeps per instrument (spec, market state, marks,
//! volatility), per limit level (firm, desk, account: limits, trading
//! state, aggregates) and per account (settings, positions, open orders,
//! locates), and the recent-orders ring of the duplicate check. Plain
//! state; the engine's methods change it.

use std::collections::VecDeque;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::book::{Aggregates, Position};
use crate::compliance::pdt::DayTradeLog;
use crate::compliance::wash::WashLedger;
use crate::config::{AccountType, OnBreach, PdtRegime, WashSaleMode};
use crate::decision::{Scope, TradingState};
use crate::drawdown::Drawdown;
use crate::events::{RiskEvent, StateCause};
use crate::fixed::Money;
use crate::limits::{LevelLimits, RateWindow};
use crate::market::InstrumentMarket;
use crate::sizing::EwmaVol;
use crate::types::{
    AccountId, DeskId, Instrument, LocateId, OrderRequest, SignedQty, Symbol, Timestamp, Venue,
};
use crate::var::PortfolioVar;

use super::tick_units;

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
    pub(super) fn new(
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
    pub(super) fn new(
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
