//! Taking requests in: symbol and account lookup, price and quantity
//! checks, the whole validation of a new order (session, halts, bands,
//! lots, order type and time in force, duplicates), and finding the order
//! a cancel or replace names. Returns typed rejects; changes nothing but
//! the account table.

use std::sync::Arc;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::{CancelRejectCause, NewOrderRequest, RejectReason};

use crate::market::LP_ACCOUNT;
use crate::market_state::{AdmitError, MAX_TICKS};
use crate::matching::{CancelRejectReason, NewOrder};
use crate::types::{
    price_from_ticks, ticks_from_price, AccountId, OrdType, OrderId, Qty, Ticks, TimeInForce,
};

use super::{Venue, VenueError};

impl Venue {
    pub(super) fn idx(&self, symbol: &str) -> Result<u16, VenueError> {
        self.index
            .get(symbol)
            .copied()
            .ok_or_else(|| VenueError::UnknownSymbol(symbol.to_string()))
    }

    pub(super) fn intern(&mut self, account: &str) -> AccountId {
        if let Some(&a) = self.account_ids.get(account) {
            return a;
        }
        let a = AccountId(self.accounts.len() as u32);
        let name: Arc<str> = account.into();
        self.accounts.push(name.clone());
        self.account_ids.insert(name, a);
        let stp = self
            .config
            .account_stp
            .get(account)
            .copied()
            .or(self.config.default_stp);
        self.account_stp.push(stp);
        a
    }

    pub(super) fn check_price(&self, i: u16, price: Decimal) -> Result<Ticks, RejectReason> {
        let tick = self.instruments[usize::from(i)].tick_size;
        let t = match ticks_from_price(price, tick) {
            // The cap keeps qty * price (and so AvgPx) well inside Decimal.
            Some(t) if t > 0 && t <= MAX_TICKS => t,
            _ => return Err(RejectReason::BadTick { price, tick }),
        };
        if let Some(b) = self.state.band(i) {
            let (lo, hi) = b.limits();
            if t < lo || t > hi {
                return Err(RejectReason::PriceOutsideBand {
                    price,
                    lo: price_from_ticks(lo, tick),
                    hi: price_from_ticks(hi, tick),
                });
            }
        }
        Ok(t)
    }

    pub(super) fn check_new(
        &mut self,
        req: &NewOrderRequest,
    ) -> Result<(u16, NewOrder), RejectReason> {
        let i = *self
            .index
            .get(&req.symbol)
            .ok_or_else(|| RejectReason::UnknownSymbol(req.symbol.clone()))?;
        if req.account == self.config.lp_account {
            return Err(RejectReason::ReservedAccount(req.account.clone()));
        }
        if let Some(&a) = self.account_ids.get(req.account.as_str()) {
            if self
                .cl_ord_ids
                .contains_key(&(a, Arc::from(req.cl_ord_id.as_str())))
            {
                return Err(RejectReason::DuplicateClOrdId(req.cl_ord_id.clone()));
            }
        }
        self.state.admit(i).map_err(|e| match e {
            AdmitError::SessionNotOpen(s) => RejectReason::SessionNotOpen(s),
            AdmitError::Halted(h) => RejectReason::Halted(h),
            AdmitError::RejectAll(t) => RejectReason::RejectAll(t),
        })?;
        let lot = self.instruments[usize::from(i)].lot_size;
        let qty = check_qty(req.qty, lot)?;
        let display_qty = match req.display_qty {
            None => None,
            Some(d) => {
                let d = check_qty(d, lot)?;
                if d > qty {
                    return Err(RejectReason::BadQuantity {
                        qty: req.qty,
                        why: "display quantity above order quantity",
                    });
                }
                Some(d)
            }
        };
        if matches!(req.tif, TimeInForce::Opg | TimeInForce::Cls) {
            return Err(RejectReason::Unsupported(
                "time in force at the opening or at the close",
            ));
        }
        let price = match (req.ord_type, req.price) {
            (OrdType::Stop | OrdType::StopLimit, _) => {
                return Err(RejectReason::Unsupported("stop order"))
            }
            (OrdType::Limit, Some(p)) => self.check_price(i, p)?,
            (OrdType::Limit, None) => {
                return Err(RejectReason::BadPriceField("limit order without a price"))
            }
            (OrdType::Market, None) => 0,
            (OrdType::Market, Some(_)) => {
                return Err(RejectReason::BadPriceField("market order with a price"))
            }
        };
        if req.ord_type == OrdType::Market && display_qty.is_some() {
            return Err(RejectReason::BadPriceField(
                "market order cannot be an iceberg",
            ));
        }
        let account = self.intern(&req.account);
        Ok((
            i,
            NewOrder {
                account,
                side: req.side,
                ord_type: req.ord_type,
                price,
                qty,
                display_qty,
                tif: req.tif,
                stp: self.account_stp[account.0 as usize],
            },
        ))
    }

    /// Finds the order a cancel or replace is about.
    #[allow(clippy::type_complexity)]
    pub(super) fn find_order(
        &self,
        order_id: Option<OrderId>,
        account: &str,
        orig: &str,
        symbol: &str,
        new_cl: &str,
    ) -> Result<(OrderId, AccountId), (CancelRejectCause, Option<OrderId>)> {
        let unknown = || {
            (
                CancelRejectCause::Book(CancelRejectReason::UnknownOrder),
                None,
            )
        };
        let &acc = self.account_ids.get(account).ok_or_else(unknown)?;
        if acc == LP_ACCOUNT {
            return Err(unknown());
        }
        let id = match order_id {
            Some(id) => id,
            None => *self
                .cl_ord_ids
                .get(&(acc, Arc::from(orig)))
                .ok_or_else(unknown)?,
        };
        let meta = self.orders.get(&id).ok_or_else(unknown)?;
        if meta.account != acc {
            return Err((
                CancelRejectCause::Book(CancelRejectReason::WrongAccount),
                None,
            ));
        }
        if self.symbols[usize::from(meta.instrument)].as_ref() != symbol {
            return Err(unknown());
        }
        if meta.done {
            return Err((
                CancelRejectCause::Book(CancelRejectReason::TooLateToCancel(meta.status)),
                Some(id),
            ));
        }
        if self.cl_ord_ids.contains_key(&(acc, Arc::from(new_cl))) {
            return Err((
                CancelRejectCause::DuplicateClOrdId(new_cl.to_string()),
                Some(id),
            ));
        }
        Ok((id, acc))
    }
}

pub(super) fn check_qty(qty: Decimal, lot: u64) -> Result<Qty, RejectReason> {
    let bad = |why| RejectReason::BadQuantity { qty, why };
    if qty <= Decimal::ZERO {
        return Err(bad("must be positive"));
    }
    if qty.fract() != Decimal::ZERO {
        return Err(bad("must be a whole number"));
    }
    let q = qty.to_u64().ok_or_else(|| bad("too large"))?;
    if q > (1 << 40) {
        return Err(bad("too large"));
    }
    if q % lot.max(1) != 0 {
        return Err(bad("not a multiple of the lot size"));
    }
    Ok(q)
}
