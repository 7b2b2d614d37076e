//! The domain vocabulary of the OMS: identifiers, sides, order types, time
//! in force, quantities, prices and timestamps, all from the `domain`
//! crate (one definition for the OMS, risk and the simulated venue).
//!
//! Owns nothing: this module re-exports, so `oms::types::Side` and
//! `domain::Side` are the same type. The OMS takes market and limit
//! orders only; the others the domain can name (stop, stop limit; at the
//! opening, at the close) are refused where orders enter the core.

pub use domain::{
    AccountId, ClOrdId, ExecId, OrdType, OrderId, Px, Qty, Side, Symbol, TimeInForce, Timestamp,
    VenueId, MAX_PX, MAX_QTY,
};

/// Whether the OMS takes an order of this type and time in force: market
/// and limit orders, day, good-till-cancel, immediate-or-cancel and
/// fill-or-kill. The refusal is the reject Text.
pub(crate) fn supported(ord_type: OrdType, tif: TimeInForce) -> Result<(), String> {
    match (ord_type, tif) {
        (OrdType::Stop | OrdType::StopLimit, _) => {
            Err(format!("InvalidOrder: order type {ord_type} not supported"))
        }
        (_, TimeInForce::Opg | TimeInForce::Cls) => {
            Err(format!("InvalidOrder: time in force {tif:?} not supported"))
        }
        (OrdType::Market | OrdType::Limit, _) => Ok(()),
    }
}

/// The client session an order came in on (the gateway's name for it), so
/// reports go back to the same place.
pub type SessionId = std::sync::Arc<str>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oms_takes_market_and_limit_orders_only() {
        assert!(supported(OrdType::Limit, TimeInForce::Ioc).is_ok());
        assert!(supported(OrdType::Market, TimeInForce::Day).is_ok());
        assert!(supported(OrdType::Stop, TimeInForce::Day).is_err());
        assert!(supported(OrdType::Limit, TimeInForce::Opg).is_err());
    }
}
