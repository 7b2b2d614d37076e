//! What follows an accepted input: running the books (`process`),
//! refreshing the simulated liquidity, turning the books' events into
//! execution reports, cancel rejects, market data, clearing fills and
//! state events, each released after the simulated latency.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::{
    CancelReject, CancelRejectCause, CxlRejResponseTo, ExecType, ExecutionReport, NewOrderRequest,
    RejectReason, Report,
};

use crate::clearing::{FeeSchedule, Fill};
use crate::market::LP_ACCOUNT;
use crate::matching::{CancelReason, ExecEvent, ExecKind, OrdStatus};
use crate::types::{price_from_ticks, AccountId, ExecId, Liquidity, OrderId, Side, Timestamp};

use super::{OrderMeta, Venue, VENUE_EXEC_SLOT};

impl Venue {
    pub(super) fn md_release(&self, now: Timestamp) -> Timestamp {
        now.saturating_add(self.config.latency.market_data_ns)
            .saturating_add(self.state.market_data_delay())
    }

    pub(super) fn venue_exec_id(&mut self) -> ExecId {
        let e = ExecId::new(VENUE_EXEC_SLOT, self.next_venue_exec);
        self.next_venue_exec += 1;
        e
    }

    pub(super) fn reject(&mut self, now: Timestamp, req: &NewOrderRequest, reason: RejectReason) {
        let exec_id = self.venue_exec_id();
        let r = ExecutionReport {
            order_id: None,
            cl_ord_id: req.cl_ord_id.as_str().into(),
            orig_cl_ord_id: None,
            exec_id,
            exec_type: ExecType::Rejected,
            ord_status: OrdStatus::Rejected,
            account: req.account.as_str().into(),
            symbol: req.symbol.as_str().into(),
            side: req.side,
            ord_type: req.ord_type,
            tif: req.tif,
            price: req.price,
            order_qty: req.qty,
            last_qty: 0,
            last_px: None,
            cum_qty: 0,
            leaves_qty: 0,
            avg_px: Decimal::ZERO,
            liquidity: None,
            trade_id: None,
            fee: None,
            text: Some(reason.to_string()),
            reject_reason: Some(reason),
            cancel_reason: None,
            transact_time: now,
        };
        self.reports.push_back((
            now.saturating_add(self.config.latency.order_ns),
            Report::Execution(r),
        ));
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn cancel_reject(
        &mut self,
        now: Timestamp,
        cl: &str,
        orig: &str,
        account: &str,
        id: Option<OrderId>,
        to: CxlRejResponseTo,
        cause: CancelRejectCause,
    ) {
        let ord_status = id.and_then(|id| self.orders.get(&id)).map(|m| m.status);
        let r = CancelReject {
            cl_ord_id: cl.into(),
            orig_cl_ord_id: orig.into(),
            order_id: id,
            ord_status,
            account: account.into(),
            response_to: to,
            cause,
            transact_time: now,
        };
        self.reports.push_back((
            now.saturating_add(self.config.latency.order_ns),
            Report::CancelReject(r),
        ));
    }

    /// Gives an order its new ClOrdID; returns the previous one.
    pub(super) fn rename(&mut self, id: OrderId, acc: AccountId, new_cl: &str) -> Arc<str> {
        let new: Arc<str> = new_cl.into();
        self.cl_ord_ids.insert((acc, new.clone()), id);
        match self.orders.get_mut(&id) {
            Some(m) => std::mem::replace(&mut m.cl_ord_id, new),
            None => new,
        }
    }

    pub(super) fn refresh_all(&mut self, now: Timestamp) {
        for i in 0..self.books.len() {
            self.refresh_one(i as u16, now);
        }
    }

    /// Moves the band with the reference price and requotes one book.
    pub(super) fn refresh_one(&mut self, i: u16, now: Timestamp) {
        let iu = usize::from(i);
        if self.config.bands {
            self.state.move_band_reference(i, self.lp.reference(iu));
            self.books[iu].set_price_limits(self.state.band(i).map(|b| b.limits()));
        }
        if self.state.admit(i).is_ok() {
            self.lp.requote(iu, &mut self.books[iu], now, &mut self.out);
            self.process(i, now, None);
        }
    }

    /// Turns the book's output into reports, clearing fills and market
    /// data. `replaced` names the order whose ClOrdID just changed and
    /// its previous ClOrdID.
    pub(super) fn process(
        &mut self,
        i: u16,
        now: Timestamp,
        replaced: Option<(OrderId, Arc<str>)>,
    ) {
        let mut out = std::mem::take(&mut self.out);
        let release = now.saturating_add(self.config.latency.order_ns);
        let ins = &self.instruments[usize::from(i)];
        let tick = ins.tick_size;
        for e in &out.events {
            if e.account == LP_ACCOUNT {
                continue;
            }
            let Some(meta) = self.orders.get_mut(&e.order_id) else {
                continue;
            };
            let status = e.ord_status();
            meta.status = status;
            meta.done = matches!(
                status,
                OrdStatus::Filled | OrdStatus::Canceled | OrdStatus::Expired
            );
            let orig = match (&replaced, e.kind) {
                (
                    Some((id, orig)),
                    ExecKind::Replaced { .. } | ExecKind::Canceled(CancelReason::Requested),
                ) if *id == e.order_id => Some(orig.clone()),
                _ => None,
            };
            let r = build_report(
                e,
                meta,
                orig,
                &self.accounts,
                &self.symbols,
                tick,
                &self.config.fees,
            );
            self.reports.push_back((release, Report::Execution(r)));
        }
        for t in &out.trades {
            let price = price_from_ticks(t.price, tick);
            let maker_side = t.aggressor.opposite();
            for (side, order, contra, acc, cacc) in [
                (
                    Side::Buy,
                    t.buy_order,
                    t.sell_order,
                    t.buy_account,
                    t.sell_account,
                ),
                (
                    Side::Sell,
                    t.sell_order,
                    t.buy_order,
                    t.sell_account,
                    t.buy_account,
                ),
            ] {
                self.ledger.record(Fill {
                    trade_id: t.trade_id,
                    timestamp: t.timestamp,
                    symbol: self.symbols[usize::from(i)].clone(),
                    asset_class: ins.asset_class(),
                    multiplier: ins.multiplier(),
                    currency: self.currencies[usize::from(i)].clone(),
                    side,
                    qty: t.qty,
                    price,
                    liquidity: if side == maker_side {
                        Liquidity::Added
                    } else {
                        Liquidity::Removed
                    },
                    account: self.accounts[acc.0 as usize].clone(),
                    contra_account: self.accounts[cacc.0 as usize].clone(),
                    order_id: order,
                    contra_order_id: contra,
                });
            }
        }
        if !out.events.is_empty() {
            let release = self.md_release(now);
            let stopped = self.state.market_data_stopped();
            self.md.on_change(
                i,
                &self.books[usize::from(i)],
                &out.trades,
                now,
                release,
                stopped,
            );
        }
        out.clear();
        self.out = out;
    }
}

pub(super) fn build_report(
    e: &ExecEvent,
    meta: &OrderMeta,
    orig: Option<Arc<str>>,
    accounts: &[Arc<str>],
    symbols: &[Arc<str>],
    tick: Decimal,
    fees: &FeeSchedule,
) -> ExecutionReport {
    let avg_px = if e.cum_qty == 0 {
        Decimal::ZERO
    } else {
        (Decimal::from_i128_with_scale(e.cum_notional, 0) * tick / Decimal::from(e.cum_qty))
            .round_dp(8)
            .normalize()
    };
    let (exec_type, last_qty, last_px, liquidity, trade_id, fee, cancel_reason) = match e.kind {
        ExecKind::New => (ExecType::New, 0, None, None, None, None, None),
        ExecKind::Fill {
            trade_id,
            last_qty,
            last_px,
            liquidity,
            ..
        } => (
            ExecType::Trade,
            last_qty,
            Some(price_from_ticks(last_px, tick)),
            Some(liquidity),
            Some(trade_id),
            Some(fees.fee(liquidity, last_qty)),
            None,
        ),
        ExecKind::Canceled(r) => (ExecType::Canceled, 0, None, None, None, None, Some(r)),
        ExecKind::Replaced { .. } => (ExecType::Replaced, 0, None, None, None, None, None),
        ExecKind::Expired => (ExecType::Expired, 0, None, None, None, None, None),
    };
    ExecutionReport {
        order_id: Some(e.order_id),
        cl_ord_id: meta.cl_ord_id.clone(),
        orig_cl_ord_id: orig,
        exec_id: e.exec_id,
        exec_type,
        ord_status: e.ord_status(),
        account: accounts[e.account.0 as usize].clone(),
        symbol: symbols[usize::from(meta.instrument)].clone(),
        side: e.side,
        ord_type: meta.ord_type,
        tif: meta.tif,
        price: e.price.map(|p| price_from_ticks(p, tick)),
        order_qty: Decimal::from(e.order_qty),
        last_qty,
        last_px,
        cum_qty: e.cum_qty,
        leaves_qty: e.leaves_qty,
        avg_px,
        liquidity,
        trade_id,
        fee,
        reject_reason: None,
        text: cancel_reason.map(|r| r.text().to_string()),
        cancel_reason,
        transact_time: e.timestamp,
    }
}
