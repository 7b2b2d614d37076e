//! Client direction of the FIX mapping: client order messages
//! (NewOrderSingle, OrderCancelRequest, OrderCancelReplaceRequest,
//! OrderStatusRequest) become OMS events; OMS reports become client
//! ExecutionReports and OrderCancelRejects (with the client's own
//! ClOrdIDs, in the client's FIX version). Orders refused before the OMS
//! get their reject here too.

use super::codes;
use super::tags;
use super::ts;
use fix_engine::codec::{Message, MessageBuilder};
use fix_engine::session::MsgType;
use oms::events::{CancelRequest, EventKind, NewOrder, ReplaceRequest, StatusRequest};
use oms::{
    AccountId, CancelReject, ClOrdId, ExecType, ExecutionReport, OrdStatus, OrdType, Px, Qty, Side,
    Symbol, TimeInForce, Timestamp,
};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Why a client message cannot become an OMS event: the text for a
/// BusinessMessageReject or an order reject, and the tag at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) tag: u32,
    pub(crate) text: String,
}

impl Refusal {
    /// The message type itself is not one the gateway takes.
    pub(crate) fn is_unsupported_type(&self) -> bool {
        self.tag == tags::MSG_TYPE
    }
}

fn refuse(tag: u32, text: impl Into<String>) -> Refusal {
    Refusal {
        tag,
        text: text.into(),
    }
}

fn req<'m>(m: &'m Message, tag: u32, name: &str) -> Result<&'m str, Refusal> {
    m.get_str(tag)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| refuse(tag, format!("{name} ({tag}) is required")))
}

fn qty(m: &Message, tag: u32) -> Result<Qty, Refusal> {
    let v = req(m, tag, "OrderQty")?;
    let d =
        Decimal::from_str(v).map_err(|_| refuse(tag, format!("OrderQty {v:?} is not a number")))?;
    if d <= Decimal::ZERO || d.fract() != Decimal::ZERO || d > Decimal::from(u64::MAX) {
        return Err(refuse(
            tag,
            format!("OrderQty {v} must be a positive whole number of shares"),
        ));
    }
    Ok(Qty(
        u64::try_from(d.mantissa() / 10i128.pow(d.scale())).unwrap_or(0)
    ))
}

fn price(m: &Message) -> Result<Option<Px>, Refusal> {
    match m.get_str(tags::PRICE) {
        None => Ok(None),
        Some(v) => Decimal::from_str(v)
            .map(|d| Some(Px(d)))
            .map_err(|_| refuse(tags::PRICE, format!("Price {v:?} is not a number"))),
    }
}

fn side(m: &Message) -> Result<Side, Refusal> {
    let v = req(m, tags::SIDE, "Side")?;
    codes::parse_side(v).ok_or_else(|| {
        refuse(
            tags::SIDE,
            format!("Side {v:?} is not supported (1 buy, 2 sell, 5 sell short)"),
        )
    })
}

fn ord_type(m: &Message) -> Result<OrdType, Refusal> {
    let v = req(m, tags::ORD_TYPE, "OrdType")?;
    codes::parse_ord_type(v).ok_or_else(|| {
        refuse(
            tags::ORD_TYPE,
            format!("OrdType {v:?} is not supported (1 market, 2 limit)"),
        )
    })
}

fn tif(m: &Message) -> Result<TimeInForce, Refusal> {
    let v = m.get_str(tags::TIME_IN_FORCE).unwrap_or("0");
    codes::parse_tif(v).ok_or_else(|| {
        refuse(
            tags::TIME_IN_FORCE,
            format!("TimeInForce {v:?} is not supported (0, 1, 3, 4)"),
        )
    })
}

/// The account of a client order: tag 1, or the session's only account.
fn account(m: &Message, allowed: &[String]) -> Result<AccountId, Refusal> {
    let acc = match m.get_str(tags::ACCOUNT).filter(|a| !a.is_empty()) {
        Some(a) => a,
        None if allowed.len() == 1 => allowed[0].as_str(),
        None => {
            return Err(refuse(
                tags::ACCOUNT,
                "Account (1) is required on this session",
            ))
        }
    };
    if !allowed.iter().any(|a| a == acc) {
        return Err(refuse(
            tags::ACCOUNT,
            format!("account {acc} is not permitted on this session"),
        ));
    }
    Ok(AccountId::new(acc))
}

/// A client message as an OMS event.
pub(crate) fn client_event(
    session: &str,
    m: &Message,
    allowed: &[String],
) -> Result<EventKind, Refusal> {
    let cl_ord_id = || req(m, tags::CL_ORD_ID, "ClOrdID").map(ClOrdId::new);
    let orig_cl_ord_id = || req(m, tags::ORIG_CL_ORD_ID, "OrigClOrdID").map(ClOrdId::new);
    match MsgType::of(m) {
        MsgType::NewOrderSingle => Ok(EventKind::ClientNew(NewOrder {
            session: session.into(),
            cl_ord_id: cl_ord_id()?,
            account: account(m, allowed)?,
            symbol: Symbol::new(req(m, tags::SYMBOL, "Symbol")?),
            side: side(m)?,
            qty: qty(m, tags::ORDER_QTY)?,
            ord_type: ord_type(m)?,
            price: price(m)?,
            tif: tif(m)?,
        })),
        MsgType::OrderCancelRequest => Ok(EventKind::ClientCancel(CancelRequest {
            session: session.into(),
            cl_ord_id: cl_ord_id()?,
            orig_cl_ord_id: orig_cl_ord_id()?,
        })),
        MsgType::OrderCancelReplaceRequest => Ok(EventKind::ClientReplace(ReplaceRequest {
            session: session.into(),
            cl_ord_id: cl_ord_id()?,
            orig_cl_ord_id: orig_cl_ord_id()?,
            qty: qty(m, tags::ORDER_QTY)?,
            price: price(m)?,
        })),
        MsgType::OrderStatusRequest => Ok(EventKind::ClientStatus(StatusRequest {
            session: session.into(),
            cl_ord_id: cl_ord_id()?,
        })),
        _ => Err(refuse(tags::MSG_TYPE, "Unsupported Message Type")),
    }
}

/// Whether `m` is a NewOrderSingle (refused orders are answered as
/// orders: see [`edge_reject`]).
pub(crate) fn is_new_order(m: &Message) -> bool {
    MsgType::of(m) == MsgType::NewOrderSingle
}

fn ch(c: char) -> String {
    c.to_string()
}

/// OrdStatus (39) of a client report. OrdStatus=5 (Replaced) exists up to
/// FIX 4.2 only; from FIX 4.3 on a replaced order reports its working
/// status (New, PartiallyFilled or Filled) with ExecType=5.
fn ord_status(er: &ExecutionReport, fix42: bool) -> char {
    match er.ord_status {
        OrdStatus::Replaced if !fix42 => {
            if er.cum_qty.is_zero() {
                '0'
            } else if er.leaves_qty.is_zero() {
                '2'
            } else {
                '1'
            }
        }
        s => codes::ord_status(s),
    }
}

/// An OMS execution report as a FIX ExecutionReport for the client.
pub(crate) fn exec_report(er: &ExecutionReport, begin_string: &str) -> MessageBuilder {
    let fix42 = begin_string == "FIX.4.2";
    let mut m = MessageBuilder::new(MsgType::ExecutionReport.as_str());
    m.field(tags::ORDER_ID, er.order_id.as_str())
        .field(tags::CL_ORD_ID, er.cl_ord_id.as_str());
    if let Some(o) = &er.orig_cl_ord_id {
        m.field(tags::ORIG_CL_ORD_ID, o.as_str());
    }
    m.field(tags::EXEC_ID, er.exec_id.as_str());
    if let Some(r) = &er.exec_ref_id {
        m.field(tags::EXEC_REF_ID, r.as_str());
    }
    // FIX 4.2 has no ExecType G/H: a correction or bust is ExecTransType
    // (20) 2 or 1, with ExecType giving the order's state after it.
    let (exec_type, trans) = match (er.exec_type, fix42) {
        (ExecType::Trade, true) if er.leaves_qty.is_zero() => (ch('2'), "0"),
        (ExecType::Trade, true) => (ch('1'), "0"),
        (ExecType::TradeCorrect, true) => (ch(ord_status(er, true)), "2"),
        (ExecType::TradeCancel, true) => (ch(ord_status(er, true)), "1"),
        (t, _) => (ch(codes::exec_type(t)), "0"),
    };
    if fix42 {
        m.field(tags::EXEC_TRANS_TYPE, trans);
    }
    m.field(tags::EXEC_TYPE, exec_type)
        .field(tags::ORD_STATUS, ch(ord_status(er, fix42)));
    m.field(tags::ACCOUNT, er.account.as_str())
        .field(tags::SYMBOL, er.symbol.as_str())
        .field(tags::SIDE, codes::side(er.side));
    m.field_u64(tags::ORDER_QTY, er.order_qty.0)
        .field(tags::ORD_TYPE, codes::ord_type(er.ord_type));
    if let Some(p) = er.price {
        m.field_display(tags::PRICE, p.0);
    }
    m.field(tags::TIME_IN_FORCE, codes::tif(er.tif));
    if !er.last_qty.is_zero() {
        m.field_u64(tags::LAST_QTY, er.last_qty.0)
            .field_display(tags::LAST_PX, er.last_px.0);
        if let Some(v) = &er.last_mkt {
            m.field(tags::LAST_MKT, v.as_str());
        }
    }
    m.field_u64(tags::LEAVES_QTY, er.leaves_qty.0)
        .field_u64(tags::CUM_QTY, er.cum_qty.0)
        .field_display(tags::AVG_PX, er.avg_px.0);
    if let Some(t) = &er.text {
        m.field(tags::TEXT, t.as_str());
    }
    m.field(tags::TRANSACT_TIME, ts(er.transact_time));
    m
}

/// An order refused at the gateway's edge (before the OMS): an
/// ExecutionReport with OrdStatus=Rejected that says why.
pub(crate) fn edge_reject(m: &Message, text: &str, now: Timestamp) -> MessageBuilder {
    let rejected = ch(codes::ord_status(OrdStatus::Rejected));
    let mut r = MessageBuilder::new(MsgType::ExecutionReport.as_str());
    r.field(tags::ORDER_ID, "NONE")
        .field(tags::CL_ORD_ID, m.get(tags::CL_ORD_ID).unwrap_or(b"NONE"));
    r.field(tags::EXEC_ID, format!("X{}", now.0))
        .field(tags::EXEC_TYPE, ch(codes::exec_type(ExecType::Rejected)))
        .field(tags::ORD_STATUS, rejected);
    if let Some(a) = m.get(tags::ACCOUNT) {
        r.field(tags::ACCOUNT, a);
    }
    r.field(tags::SYMBOL, m.get(tags::SYMBOL).unwrap_or(b"?"))
        .field(tags::SIDE, m.get(tags::SIDE).unwrap_or(b"1"));
    if let Some(q) = m.get(tags::ORDER_QTY) {
        r.field(tags::ORDER_QTY, q);
    }
    // OrdRejReason 99: other (the text says which check).
    r.field(tags::LEAVES_QTY, "0")
        .field(tags::CUM_QTY, "0")
        .field(tags::AVG_PX, "0")
        .field(tags::ORD_REJ_REASON, "99")
        .field(tags::TEXT, text);
    r.field(tags::TRANSACT_TIME, ts(now));
    r
}

/// An OMS cancel reject as a FIX OrderCancelReject for the client.
pub(crate) fn cancel_reject(cr: &CancelReject) -> MessageBuilder {
    let mut m = MessageBuilder::new(MsgType::OrderCancelReject.as_str());
    m.field(
        tags::ORDER_ID,
        cr.order_id.as_ref().map_or("NONE", |o| o.as_str()),
    );
    m.field(tags::CL_ORD_ID, cr.cl_ord_id.as_str())
        .field(tags::ORIG_CL_ORD_ID, cr.orig_cl_ord_id.as_str());
    m.field(tags::ORD_STATUS, ch(codes::ord_status(cr.ord_status)));
    m.field(
        tags::CXL_REJ_RESPONSE_TO,
        codes::cxl_rej_response_to(cr.response_to),
    );
    m.field_u64(
        tags::CXL_REJ_REASON,
        u64::from(codes::cxl_rej_reason(cr.reason)),
    );
    m.field(tags::TEXT, cr.text.as_str());
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixmap::test_support::parse;
    use oms::{ExecId, OrderId, VenueId};

    fn client_report(exec_type: oms::ExecType) -> ExecutionReport {
        ExecutionReport {
            session: "C".into(),
            account: AccountId::from("ACC1"),
            order_id: OrderId::from("O1"),
            exec_id: ExecId::from("E9"),
            exec_type,
            ord_status: oms::OrdStatus::PartiallyFilled,
            cl_ord_id: ClOrdId::from("L1"),
            orig_cl_ord_id: None,
            exec_ref_id: Some(ExecId::from("E3")),
            symbol: Symbol::from("AAPL"),
            side: Side::Buy,
            ord_type: OrdType::Limit,
            price: Some(Px(Decimal::from(191))),
            tif: TimeInForce::Day,
            order_qty: Qty(300),
            last_qty: Qty(100),
            last_px: Px(Decimal::from(190)),
            last_mkt: Some(VenueId::from("SIMX")),
            cum_qty: Qty(200),
            leaves_qty: Qty(100),
            avg_px: Px(Decimal::from(190)),
            text: None,
            transact_time: Timestamp(1_772_636_400_000_000_000),
        }
    }

    #[test]
    fn client_sees_corrections_and_busts_with_exec_ref_id() {
        for (t, c) in [
            (oms::ExecType::TradeCorrect, "G"),
            (oms::ExecType::TradeCancel, "H"),
        ] {
            let m = parse("FIX.4.4", &exec_report(&client_report(t), "FIX.4.4"));
            assert_eq!(m.get_str(150), Some(c));
            assert_eq!(m.get_str(19), Some("E3"));
            assert_eq!(m.get_str(39), Some("1"));
            assert_eq!((m.get_u64(14), m.get_u64(151)), (Some(200), Some(100)));
            assert!(!m.has(20));
        }
        // FIX 4.2: ExecTransType says correct (2) or cancel (1).
        for (t, trans) in [
            (oms::ExecType::TradeCorrect, "2"),
            (oms::ExecType::TradeCancel, "1"),
        ] {
            let m = parse("FIX.4.2", &exec_report(&client_report(t), "FIX.4.2"));
            assert_eq!(m.get_str(20), Some(trans));
            assert_eq!(m.get_str(150), Some("1"));
            assert_eq!(m.get_str(19), Some("E3"));
        }
        let m = parse(
            "FIX.4.2",
            &exec_report(&client_report(oms::ExecType::Trade), "FIX.4.2"),
        );
        assert_eq!((m.get_str(20), m.get_str(150)), (Some("0"), Some("1")));
    }
}
