//! Getters: the next event to journal, configuration, trading states,
//! positions, P&L, VaR, market state, volatility, sizing and live
//! overrides. Read-only except for the event queue and VaR's cache.

use rust_decimal::Decimal;

use crate::book::Position;
use crate::config::RiskConfig;
use crate::decision::{Scope, TradingState};
use crate::events::RiskEvent;
use crate::market::InstrumentMarket;
use crate::sizing::{self};
use crate::types::{AccountId, SignedQty, Symbol};

use super::{money, PnlView, RiskEngine, RiskError, VarView};

impl RiskEngine {
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
