//! Decisions: what the pre-trade check answers, and why.
//!
//! Owns the [`Rule`] names (the vocabulary shared by overrides, events and
//! configuration), the [`Violation`] enum (one variant per rule, carrying
//! the limit and the observed value) and the [`Decision`] itself. A
//! violation is turned into text only by `Display`, e.g.
//! `MaxOrderQty: order qty 15000 exceeds limit 10000`, which the gateway
//! puts in the reject's Text (58), the alert and the audit record.
//! Everything here is `Copy`: building a decision never allocates.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::types::{AccountId, DeskId, OrdType, Side, SignedQty, Symbol, Venue};

/// The level a limit or a state belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// The whole firm.
    Firm,
    /// One desk.
    Desk(DeskId),
    /// One account.
    Account(AccountId),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Firm => f.write_str("firm"),
            Scope::Desk(d) => write!(f, "desk {d}"),
            Scope::Account(a) => write!(f, "account {a}"),
        }
    }
}

/// Trading state of an account, desk or the firm. Ordered by severity.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TradingState {
    /// Any order that passes the checks may trade.
    #[default]
    Active,
    /// Only orders that reduce risk (shrink a position towards zero).
    Reducing,
    /// No new orders.
    Halted,
}

impl fmt::Display for TradingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TradingState::Active => "ACTIVE",
            TradingState::Reducing => "REDUCING",
            TradingState::Halted => "HALTED",
        })
    }
}

/// Trading session of the US equity day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Session {
    /// Exchange closed (night, weekend, holiday).
    Closed,
    /// 04:00-09:30 New York.
    PreMarket,
    /// 09:30-16:00 (13:00 on early-close days).
    Regular,
    /// 16:00-20:00 (13:00-17:00 on early-close days).
    AfterHours,
}

impl fmt::Display for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Session::Closed => "closed",
            Session::PreMarket => "pre-market",
            Session::Regular => "regular",
            Session::AfterHours => "after-hours",
        })
    }
}

/// Every rule the engine enforces, by name. Used to configure overrides
/// and to label events; the text form is the name shown in reject Text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Rule {
    UnknownAccount,
    UnknownInstrument,
    TradingState,
    OrderType,
    Venue,
    MissingPrice,
    TickSize,
    LotSize,
    MaxOrderQty,
    MaxOrderNotional,
    PriceCollar,
    RestrictedList,
    HardToBorrow,
    LocateRequired,
    DuplicateClOrdId,
    DuplicateOrder,
    OrderRate,
    DailyNotional,
    BuyingPower,
    CreditLimit,
    PositionLimit,
    GrossExposure,
    NetExposure,
    SectorExposure,
    AssetClassExposure,
    MarketHours,
    Halt,
    Luld,
    CircuitBreaker,
    ShortSaleRestriction,
    PatternDayTrader,
    IntradayMargin,
    WashSale,
    VarLimit,
    Drawdown,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Which way an exposure limit is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExposureKind {
    /// Sum of absolute values.
    Gross,
    /// Signed sum (long minus short).
    Net,
}

impl fmt::Display for ExposureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExposureKind::Gross => "gross",
            ExposureKind::Net => "net",
        })
    }
}

/// A broken rule: which rule, the limit, and what was observed.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Violation {
    /// The account is not configured.
    UnknownAccount {
        /// Account.
        account: AccountId,
    },
    /// The instrument is not configured.
    UnknownInstrument {
        /// Symbol.
        symbol: Symbol,
    },
    /// The account, its desk or the firm is not ACTIVE, and the order is
    /// not allowed in that state.
    TradingState {
        /// Level whose state blocks.
        scope: Scope,
        /// Its state.
        state: TradingState,
    },
    /// Order type not allowed for the account.
    OrderType {
        /// Type requested.
        ord_type: OrdType,
        /// Account.
        account: AccountId,
    },
    /// Venue not allowed for the account.
    Venue {
        /// Venue requested.
        venue: Venue,
        /// Account.
        account: AccountId,
    },
    /// A limit order without a limit price, or a market order with no
    /// reference price to value it.
    MissingPrice {
        /// Order type.
        ord_type: OrdType,
    },
    /// Price not on the tick grid.
    TickSize {
        /// Price.
        price: Decimal,
        /// Tick.
        tick: Decimal,
    },
    /// Quantity not a positive multiple of the lot.
    LotSize {
        /// Quantity.
        qty: SignedQty,
        /// Lot.
        lot: i64,
    },
    /// Order quantity above the maximum.
    MaxOrderQty {
        /// Quantity.
        qty: SignedQty,
        /// Limit.
        limit: SignedQty,
    },
    /// Order notional above the maximum.
    MaxOrderNotional {
        /// Notional.
        notional: Decimal,
        /// Limit.
        limit: Decimal,
    },
    /// Price too far from the reference price, in percent.
    PriceCollarPercent {
        /// Order price.
        price: Decimal,
        /// Reference price.
        reference: Decimal,
        /// Observed deviation in percent.
        deviation_pct: Decimal,
        /// Limit in percent.
        limit_pct: Decimal,
    },
    /// Price too far from the reference price, in currency.
    PriceCollarAbsolute {
        /// Order price.
        price: Decimal,
        /// Reference price.
        reference: Decimal,
        /// Observed deviation.
        deviation: Decimal,
        /// Limit.
        limit: Decimal,
    },
    /// Instrument on the restricted list.
    RestrictedList {
        /// Symbol.
        symbol: Symbol,
    },
    /// Short sale of a hard-to-borrow instrument without a locate.
    HardToBorrow {
        /// Symbol.
        symbol: Symbol,
    },
    /// Short sale without a locate (Reg SHO 203(b)).
    LocateRequired {
        /// Symbol.
        symbol: Symbol,
        /// Quantity that would be sold short.
        short_qty: SignedQty,
        /// True when the client sent Sell and the engine inferred the
        /// short sale from the position.
        inferred: bool,
    },
    /// ClOrdID already used today.
    DuplicateClOrdId {
        /// The id.
        cl_ord_id: crate::types::ClOrdId,
    },
    /// Same account, instrument, side, quantity and price within the
    /// duplicate window.
    DuplicateOrder {
        /// Milliseconds since the identical order.
        since_ms: i64,
        /// Window in milliseconds.
        window_ms: i64,
    },
    /// Too many orders in the last second.
    OrderRate {
        /// Level.
        scope: Scope,
        /// Orders in the last second including this one.
        count: u32,
        /// Limit.
        limit: u32,
    },
    /// Daily notional would exceed the limit.
    DailyNotional {
        /// Level.
        scope: Scope,
        /// Projected daily notional.
        notional: Decimal,
        /// Limit.
        limit: Decimal,
    },
    /// Margin required exceeds the account's buying power.
    BuyingPower {
        /// Account.
        account: AccountId,
        /// Margin the order needs.
        required: Decimal,
        /// Buying power left (cash plus margin, less positions and open orders).
        available: Decimal,
    },
    /// Desk or firm credit: projected gross notional including open orders.
    CreditLimit {
        /// Level.
        scope: Scope,
        /// Projected gross notional.
        used: Decimal,
        /// Limit.
        limit: Decimal,
    },
    /// Projected position in one instrument too large.
    PositionLimit {
        /// Level.
        scope: Scope,
        /// Symbol.
        symbol: Symbol,
        /// Projected absolute position if all open orders fill.
        projected: SignedQty,
        /// Limit.
        limit: SignedQty,
    },
    /// Total gross or net exposure.
    Exposure {
        /// Level.
        scope: Scope,
        /// Gross or net.
        kind: ExposureKind,
        /// Projected exposure.
        projected: Decimal,
        /// Limit.
        limit: Decimal,
    },
    /// Sector gross or net exposure.
    SectorExposure {
        /// Level.
        scope: Scope,
        /// Sector.
        sector: crate::types::Sector,
        /// Gross or net.
        kind: ExposureKind,
        /// Projected exposure.
        projected: Decimal,
        /// Limit.
        limit: Decimal,
    },
    /// Asset class gross or net exposure.
    AssetClassExposure {
        /// Level.
        scope: Scope,
        /// Class.
        class: crate::types::AssetClass,
        /// Gross or net.
        kind: ExposureKind,
        /// Projected exposure.
        projected: Decimal,
        /// Limit.
        limit: Decimal,
    },
    /// Outside the instrument's trading session.
    MarketHours {
        /// Current session.
        session: Session,
        /// True if the order asked for extended hours.
        extended_hours: bool,
    },
    /// Instrument halted (regulatory halt or LULD pause).
    Halt {
        /// Symbol.
        symbol: Symbol,
        /// Halt reason.
        reason: crate::market::HaltReason,
    },
    /// Limit price outside the LULD band.
    Luld {
        /// Symbol.
        symbol: Symbol,
        /// Side.
        side: Side,
        /// Limit price.
        price: Decimal,
        /// Band crossed (upper for buys, lower for sells).
        band: Decimal,
    },
    /// Market-wide circuit breaker halt.
    CircuitBreaker {
        /// Level 1, 2 or 3.
        level: u8,
        /// Decline from the prior close, percent.
        decline_pct: Decimal,
    },
    /// Rule 201: short sale not above the national best bid.
    ShortSaleRestriction {
        /// Symbol.
        symbol: Symbol,
        /// Order price (None for a market order).
        price: Option<Decimal>,
        /// National best bid.
        best_bid: Decimal,
    },
    /// FINRA 4210 pattern day trader.
    PatternDayTrader {
        /// Day trades in the five business days including this one.
        day_trades: u32,
        /// Limit before pattern day trading (3).
        limit: u32,
        /// Account equity.
        equity: Decimal,
        /// Minimum equity (25,000).
        min_equity: Decimal,
    },
    /// Intraday margin regime: the trade would create a deficit.
    IntradayMargin {
        /// Requirement after the trade.
        requirement: Decimal,
        /// Equity.
        equity: Decimal,
    },
    /// Wash sale (blocked by account configuration).
    WashSale {
        /// Symbol (or underlying).
        symbol: Symbol,
        /// Estimated disallowed loss.
        disallowed_loss: Decimal,
    },
}

impl Violation {
    /// The rule this violation breaks.
    pub fn rule(&self) -> Rule {
        match self {
            Violation::UnknownAccount { .. } => Rule::UnknownAccount,
            Violation::UnknownInstrument { .. } => Rule::UnknownInstrument,
            Violation::TradingState { .. } => Rule::TradingState,
            Violation::OrderType { .. } => Rule::OrderType,
            Violation::Venue { .. } => Rule::Venue,
            Violation::MissingPrice { .. } => Rule::MissingPrice,
            Violation::TickSize { .. } => Rule::TickSize,
            Violation::LotSize { .. } => Rule::LotSize,
            Violation::MaxOrderQty { .. } => Rule::MaxOrderQty,
            Violation::MaxOrderNotional { .. } => Rule::MaxOrderNotional,
            Violation::PriceCollarPercent { .. } | Violation::PriceCollarAbsolute { .. } => {
                Rule::PriceCollar
            }
            Violation::RestrictedList { .. } => Rule::RestrictedList,
            Violation::HardToBorrow { .. } => Rule::HardToBorrow,
            Violation::LocateRequired { .. } => Rule::LocateRequired,
            Violation::DuplicateClOrdId { .. } => Rule::DuplicateClOrdId,
            Violation::DuplicateOrder { .. } => Rule::DuplicateOrder,
            Violation::OrderRate { .. } => Rule::OrderRate,
            Violation::DailyNotional { .. } => Rule::DailyNotional,
            Violation::BuyingPower { .. } => Rule::BuyingPower,
            Violation::CreditLimit { .. } => Rule::CreditLimit,
            Violation::PositionLimit { .. } => Rule::PositionLimit,
            Violation::Exposure {
                kind: ExposureKind::Gross,
                ..
            } => Rule::GrossExposure,
            Violation::Exposure {
                kind: ExposureKind::Net,
                ..
            } => Rule::NetExposure,
            Violation::SectorExposure { .. } => Rule::SectorExposure,
            Violation::AssetClassExposure { .. } => Rule::AssetClassExposure,
            Violation::MarketHours { .. } => Rule::MarketHours,
            Violation::Halt { .. } => Rule::Halt,
            Violation::Luld { .. } => Rule::Luld,
            Violation::CircuitBreaker { .. } => Rule::CircuitBreaker,
            Violation::ShortSaleRestriction { .. } => Rule::ShortSaleRestriction,
            Violation::PatternDayTrader { .. } => Rule::PatternDayTrader,
            Violation::IntradayMargin { .. } => Rule::IntradayMargin,
            Violation::WashSale { .. } => Rule::WashSale,
        }
    }

    /// True for violations that a smaller quantity could cure, so that an
    /// account configured to reduce may be offered a smaller size.
    pub fn is_size_related(&self) -> bool {
        matches!(
            self.rule(),
            Rule::MaxOrderQty
                | Rule::MaxOrderNotional
                | Rule::DailyNotional
                | Rule::BuyingPower
                | Rule::CreditLimit
                | Rule::PositionLimit
                | Rule::GrossExposure
                | Rule::NetExposure
                | Rule::SectorExposure
                | Rule::AssetClassExposure
                | Rule::IntradayMargin
        )
    }
}

/// Decimal shown without trailing zeros (15000, 0.01, 5.5).
struct D(Decimal);

impl fmt::Display for D {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.rule())?;
        match *self {
            Violation::UnknownAccount { account } => write!(f, "account {account} is not configured"),
            Violation::UnknownInstrument { symbol } => {
                write!(f, "instrument {symbol} is not configured")
            }
            Violation::TradingState { scope, state } => match state {
                TradingState::Reducing => {
                    write!(f, "{scope} is REDUCING and the order does not reduce risk")
                }
                s => write!(f, "{scope} is {s}"),
            },
            Violation::OrderType { ord_type, account } => {
                write!(f, "order type {ord_type} is not allowed for account {account}")
            }
            Violation::Venue { venue, account } => {
                write!(f, "venue {venue} is not allowed for account {account}")
            }
            Violation::MissingPrice { ord_type } => {
                write!(f, "{ord_type} order has no price to check against")
            }
            Violation::TickSize { price, tick } => {
                write!(f, "price {} is not a multiple of tick {}", D(price), D(tick))
            }
            Violation::LotSize { qty, lot } => {
                write!(f, "qty {qty} is not a positive multiple of lot {lot}")
            }
            Violation::MaxOrderQty { qty, limit } => {
                write!(f, "order qty {qty} exceeds limit {limit}")
            }
            Violation::MaxOrderNotional { notional, limit } => {
                write!(f, "order notional {} exceeds limit {}", D(notional), D(limit))
            }
            Violation::PriceCollarPercent { price, reference, deviation_pct, limit_pct } => write!(
                f,
                "price {} is {}% from reference {}, limit {}%",
                D(price),
                D(deviation_pct.round_dp(2)),
                D(reference),
                D(limit_pct)
            ),
            Violation::PriceCollarAbsolute { price, reference, deviation, limit } => write!(
                f,
                "price {} is {} from reference {}, limit {}",
                D(price),
                D(deviation),
                D(reference),
                D(limit)
            ),
            Violation::RestrictedList { symbol } => write!(f, "{symbol} is on the restricted list"),
            Violation::HardToBorrow { symbol } => {
                write!(f, "{symbol} is hard to borrow: a short sale needs a locate")
            }
            Violation::LocateRequired { symbol, short_qty, inferred } => {
                write!(f, "short sale of {short_qty} {symbol} requires a locate")?;
                if inferred {
                    f.write_str(" (sell exceeds the long position)")?;
                }
                Ok(())
            }
            Violation::DuplicateClOrdId { cl_ord_id } => {
                write!(f, "ClOrdID {cl_ord_id} was already used")
            }
            Violation::DuplicateOrder { since_ms, window_ms } => write!(
                f,
                "identical order {since_ms} ms ago is within the duplicate window {window_ms} ms"
            ),
            Violation::OrderRate { scope, count, limit } => {
                write!(f, "{scope} order rate {count}/s exceeds limit {limit}/s")
            }
            Violation::DailyNotional { scope, notional, limit } => write!(
                f,
                "{scope} daily notional {} exceeds limit {}",
                D(notional),
                D(limit)
            ),
            Violation::BuyingPower { account, required, available } => write!(
                f,
                "account {account} margin required {} exceeds buying power {}",
                D(required),
                D(available)
            ),
            Violation::CreditLimit { scope, used, limit } => write!(
                f,
                "{scope} projected gross notional {} exceeds credit limit {}",
                D(used),
                D(limit)
            ),
            Violation::PositionLimit { scope, symbol, projected, limit } => write!(
                f,
                "{scope} projected position {projected} in {symbol} exceeds limit {limit}"
            ),
            Violation::Exposure { scope, kind, projected, limit } => write!(
                f,
                "{scope} projected {kind} exposure {} exceeds limit {}",
                D(projected),
                D(limit)
            ),
            Violation::SectorExposure { scope, sector, kind, projected, limit } => write!(
                f,
                "{scope} projected {kind} exposure {} in sector {sector} exceeds limit {}",
                D(projected),
                D(limit)
            ),
            Violation::AssetClassExposure { scope, class, kind, projected, limit } => write!(
                f,
                "{scope} projected {kind} exposure {} in asset class {class} exceeds limit {}",
                D(projected),
                D(limit)
            ),
            Violation::MarketHours { session, extended_hours } => {
                if session == Session::Closed {
                    f.write_str("market is closed")
                } else if extended_hours {
                    write!(f, "instrument does not trade in the {session} session")
                } else {
                    write!(f, "{session} session needs the extended-hours flag")
                }
            }
            Violation::Halt { symbol, reason } => write!(f, "{symbol} is halted ({reason})"),
            Violation::Luld { symbol, side, price, band } => {
                let which = if side == Side::Buy { "above upper" } else { "below lower" };
                write!(f, "{side} {symbol} limit {} is {which} band {}", D(price), D(band))
            }
            Violation::CircuitBreaker { level, decline_pct } => write!(
                f,
                "market-wide circuit breaker level {level} (S&P 500 down {}%)",
                D(decline_pct.round_dp(2))
            ),
            Violation::ShortSaleRestriction { symbol, price, best_bid } => match price {
                Some(p) => write!(
                    f,
                    "{symbol} under Rule 201: short sale price {} is not above the national best bid {}",
                    D(p),
                    D(best_bid)
                ),
                None => write!(
                    f,
                    "{symbol} under Rule 201: market short sale cannot be above the national best bid {}",
                    D(best_bid)
                ),
            },
            Violation::PatternDayTrader { day_trades, limit, equity, min_equity } => write!(
                f,
                "day trade would be number {day_trades} in 5 business days (limit {limit}) with equity {} below {}",
                D(equity),
                D(min_equity)
            ),
            Violation::IntradayMargin { requirement, equity } => write!(
                f,
                "intraday margin requirement {} would exceed equity {}",
                D(requirement),
                D(equity)
            ),
            Violation::WashSale { symbol, disallowed_loss } => write!(
                f,
                "purchase of {symbol} within 30 days of a loss sale (disallowed loss {})",
                D(disallowed_loss)
            ),
        }
    }
}

/// Flags carried by an accepted order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct AcceptFlags {
    /// The order is a short sale (declared, or a Sell beyond the long).
    pub short_sale: bool,
    /// The order may create a wash sale (purchase within 30 days of a
    /// loss sale, or a sale below cost within 30 days of a purchase).
    pub possible_wash_sale: bool,
}

/// An operator override that let an order through a rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Overridden {
    /// Override id (see [`crate::overrides`]).
    pub override_id: u64,
    /// The violation it waived.
    pub violation: Violation,
}

/// The answer to a pre-trade check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decision {
    /// Send the order as it is.
    Accept {
        /// Flags for the audit record.
        flags: AcceptFlags,
        /// Set if an operator override waived a violation.
        overridden: Option<Overridden>,
    },
    /// Send the order with a smaller quantity, and tell the client why.
    Reduce {
        /// Quantity that fits.
        qty: SignedQty,
        /// Quantity asked for.
        requested: SignedQty,
        /// The limit that forced the reduction.
        violation: Violation,
        /// Flags for the audit record.
        flags: AcceptFlags,
    },
    /// Do not send the order.
    Reject(Violation),
}

impl Decision {
    /// True unless rejected.
    pub fn is_accepted(&self) -> bool {
        !matches!(self, Decision::Reject(_))
    }

    /// The quantity that may go out, or `None` if rejected.
    pub fn accepted_qty(&self, requested: SignedQty) -> Option<SignedQty> {
        match self {
            Decision::Accept { .. } => Some(requested),
            Decision::Reduce { qty, .. } => Some(*qty),
            Decision::Reject(_) => None,
        }
    }

    /// The violation, if rejected.
    pub fn rejection(&self) -> Option<&Violation> {
        match self {
            Decision::Reject(v) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Accept {
                overridden: None, ..
            } => f.write_str("accepted"),
            Decision::Accept {
                overridden: Some(o),
                ..
            } => {
                write!(
                    f,
                    "accepted under override {} of {}",
                    o.override_id, o.violation
                )
            }
            Decision::Reduce {
                qty,
                requested,
                violation,
                ..
            } => {
                write!(f, "reduced from {requested} to {qty}: {violation}")
            }
            Decision::Reject(v) => write!(f, "rejected: {v}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn max_qty_text_matches_the_issue() {
        let v = Violation::MaxOrderQty {
            qty: SignedQty(15000),
            limit: SignedQty(10000),
        };
        assert_eq!(
            v.to_string(),
            "MaxOrderQty: order qty 15000 exceeds limit 10000"
        );
        assert_eq!(v.rule(), Rule::MaxOrderQty);
        assert!(v.is_size_related());
    }

    #[test]
    fn decimals_print_without_trailing_zeros() {
        let v = Violation::MaxOrderNotional {
            notional: dec!(1000000.50),
            limit: dec!(1000000.00),
        };
        assert_eq!(
            v.to_string(),
            "MaxOrderNotional: order notional 1000000.5 exceeds limit 1000000"
        );
    }

    #[test]
    fn trading_states_are_ordered_by_severity() {
        assert!(TradingState::Halted > TradingState::Reducing);
        assert!(TradingState::Reducing > TradingState::Active);
    }
}
