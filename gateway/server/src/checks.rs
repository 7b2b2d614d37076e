//! The pre-trade check the OMS core runs on every order and replace,
//! built from the gateway configuration.

use crate::config::GatewayConfig;
use oms::{LimitsChecker, PreTradeCheck, Qty};

/// The checker for this configuration. It runs inside the core's
/// single writer and again on every replay of the journal, so it must
/// decide from the events it is given (their timestamps, not the clock).
pub fn build_checker(cfg: &GatewayConfig) -> anyhow::Result<Box<dyn PreTradeCheck + Send>> {
    Ok(Box::new(LimitsChecker {
        max_qty: Qty(cfg.limits.max_order_qty),
        max_notional: cfg.limits.max_order_notional,
    }))
}
