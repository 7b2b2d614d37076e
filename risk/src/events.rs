//! Events: every limit breach, state change, market-state change and
//! operator action the engine observes, as values the OMS journals and
//! turns into alerts.
//!
//! Owns the [`RiskEvent`] enum and the [`Operator`] stamp (who, when, why)
//! that every operator action carries. The engine queues events; the OMS
//! drains them with [`crate::RiskEngine::poll_event`] after each call.

use std::fmt;

use rust_decimal::Decimal;

use crate::decision::{Rule, Scope, TradingState, Violation};
use crate::market::HaltReason;
use crate::types::{AccountId, ClOrdId, OperatorId, SignedQty, Symbol, Timestamp};

/// Who did something, when, and why: carried by every operator action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    /// The operator.
    pub id: OperatorId,
    /// When (UTC nanos), as given by the caller.
    pub at: Timestamp,
    /// Free-text justification (required, non-empty).
    pub reason: String,
}

/// Why a trading state changed.
#[derive(Clone, Debug, PartialEq)]
pub enum StateCause {
    /// An operator set it (or used the kill switch).
    Operator(Operator),
    /// A drawdown tier was crossed (percent below the high-water mark).
    Drawdown {
        /// Drawdown in percent of capital.
        pct: Decimal,
    },
    /// The VaR limit was breached.
    Var {
        /// VaR observed.
        var: Decimal,
        /// Limit.
        limit: Decimal,
    },
}

/// VaR method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarMethod {
    /// Parametric with EWMA covariance.
    Parametric,
    /// Historical simulation.
    Historical,
}

/// Drawdown tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DrawdownTier {
    /// Below every tier.
    None,
    /// Warn only.
    Warn,
    /// Reduce-only.
    Reduce,
    /// Halt and flatten.
    Halt,
}

/// A wash sale found on a fill.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WashSale {
    /// Account.
    pub account: AccountId,
    /// Security (the underlying for options).
    pub symbol: Symbol,
    /// Time of the loss sale.
    pub loss_sale_at: Timestamp,
    /// Time of the replacement purchase.
    pub replacement_at: Timestamp,
    /// Shares matched.
    pub qty: SignedQty,
    /// Loss disallowed for tax.
    pub disallowed_loss: Decimal,
    /// Added to the basis of the replacement shares (equal to the
    /// disallowed loss).
    pub basis_adjustment: Decimal,
}

/// Something the OMS must journal and may alert on.
#[derive(Clone, Debug, PartialEq)]
pub enum RiskEvent {
    /// Trading state of an account, desk or the firm changed.
    StateChanged {
        /// Level.
        scope: Scope,
        /// Old state.
        from: TradingState,
        /// New state.
        to: TradingState,
        /// Why.
        cause: StateCause,
    },
    /// Kill switch engaged: the OMS must cancel these open orders.
    KillSwitch {
        /// Level.
        scope: Scope,
        /// Who.
        operator: Operator,
        /// Open orders to cancel.
        cancel: Vec<ClOrdId>,
    },
    /// Drawdown tier reached (or left) by a level.
    Drawdown {
        /// Level.
        scope: Scope,
        /// New tier.
        tier: DrawdownTier,
        /// Drawdown in percent of capital.
        pct: Decimal,
        /// Intraday high-water mark of equity.
        high_water_mark: Decimal,
        /// Current equity.
        equity: Decimal,
    },
    /// Flatten: the OMS should cancel these orders and close these
    /// positions (quantity to trade, signed: negative sells).
    Flatten {
        /// Level.
        scope: Scope,
        /// Orders to cancel.
        cancel: Vec<ClOrdId>,
        /// Trades that would close every position.
        close: Vec<(AccountId, Symbol, SignedQty)>,
    },
    /// VaR above its limit.
    VarBreach {
        /// Level.
        scope: Scope,
        /// Method that breached.
        method: VarMethod,
        /// VaR.
        var: Decimal,
        /// Limit.
        limit: Decimal,
    },
    /// A limit found breached after the fact (a price move took a
    /// position over an exposure limit).
    LimitBreach {
        /// What is breached.
        violation: Violation,
    },
    /// Instrument halted.
    Halted {
        /// Symbol.
        symbol: Symbol,
        /// Reason.
        reason: HaltReason,
        /// Expected end, if known.
        until: Option<Timestamp>,
    },
    /// Instrument resumed.
    Resumed {
        /// Symbol.
        symbol: Symbol,
    },
    /// LULD limit state entered.
    LuldLimitState {
        /// Symbol.
        symbol: Symbol,
        /// Band price touched.
        band: Decimal,
    },
    /// Market-wide circuit breaker triggered.
    CircuitBreaker {
        /// Level 1-3.
        level: u8,
        /// Decline in percent.
        decline_pct: Decimal,
        /// Halt end (None: no halt, after 15:25; Level 3 halts to the close).
        until: Option<Timestamp>,
    },
    /// Rule 201 short-sale restriction triggered.
    ShortSaleRestriction {
        /// Symbol.
        symbol: Symbol,
        /// Trade price that triggered it.
        price: Decimal,
        /// Prior close.
        prior_close: Decimal,
    },
    /// Wash sale detected.
    WashSale(WashSale),
    /// An operator granted an override.
    OverrideGranted {
        /// Override id.
        id: u64,
        /// Rule waived.
        rule: Rule,
        /// Level it applies to.
        scope: Scope,
        /// Single order, if restricted to one.
        cl_ord_id: Option<ClOrdId>,
        /// Expiry.
        expires: Timestamp,
        /// Who, when, why.
        operator: Operator,
    },
    /// An override let an order through.
    OverrideUsed {
        /// Override id.
        id: u64,
        /// Order.
        cl_ord_id: ClOrdId,
        /// What was waived.
        violation: Violation,
    },
    /// Limits and settings replaced by an operator.
    ConfigChanged {
        /// Who, when, why.
        operator: Operator,
    },
}

impl fmt::Display for RiskEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RiskEvent::StateChanged { scope, from, to, cause } => {
                write!(f, "{scope} state {from} -> {to} ({cause:?})")
            }
            RiskEvent::KillSwitch { scope, operator, cancel } => write!(
                f,
                "kill switch on {scope} by {} ({}): {} open orders to cancel",
                operator.id,
                operator.reason,
                cancel.len()
            ),
            RiskEvent::Drawdown { scope, tier, pct, high_water_mark, equity } => write!(
                f,
                "{scope} drawdown {}% ({tier:?}): equity {equity} vs high-water mark {high_water_mark}",
                pct.round_dp(3)
            ),
            RiskEvent::Flatten { scope, cancel, close } => write!(
                f,
                "{scope} flatten: cancel {} orders, close {} positions",
                cancel.len(),
                close.len()
            ),
            RiskEvent::VarBreach { scope, method, var, limit } => {
                write!(f, "{scope} {method:?} VaR {var} exceeds limit {limit}")
            }
            RiskEvent::LimitBreach { violation } => write!(f, "breach: {violation}"),
            RiskEvent::Halted { symbol, reason, .. } => write!(f, "{symbol} halted ({reason})"),
            RiskEvent::Resumed { symbol } => write!(f, "{symbol} resumed"),
            RiskEvent::LuldLimitState { symbol, band } => {
                write!(f, "{symbol} in LULD limit state at {band}")
            }
            RiskEvent::CircuitBreaker { level, decline_pct, .. } => {
                write!(f, "market-wide circuit breaker level {level} ({decline_pct}%)")
            }
            RiskEvent::ShortSaleRestriction { symbol, price, prior_close } => {
                write!(f, "{symbol} Rule 201 triggered at {price} (prior close {prior_close})")
            }
            RiskEvent::WashSale(w) => write!(
                f,
                "wash sale {} {}: {} shares, disallowed loss {}",
                w.account, w.symbol, w.qty, w.disallowed_loss
            ),
            RiskEvent::OverrideGranted { id, rule, scope, operator, .. } => write!(
                f,
                "override {id} of {rule} for {scope} by {} ({})",
                operator.id, operator.reason
            ),
            RiskEvent::OverrideUsed { id, cl_ord_id, violation } => {
                write!(f, "override {id} used by {cl_ord_id}: {violation}")
            }
            RiskEvent::ConfigChanged { operator } => {
                write!(f, "configuration changed by {} ({})", operator.id, operator.reason)
            }
        }
    }
}
