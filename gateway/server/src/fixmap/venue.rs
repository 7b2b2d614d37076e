//! Venue direction of the FIX mapping: the OMS's child orders become
//! venue NewOrderSingle, OrderCancelRequest and OrderCancelReplaceRequest
//! messages (the gateway trades under its own account name for the
//! client account); venue ExecutionReports and OrderCancelRejects become
//! OMS events. Market data from venues is `market_data`'s.

use super::codes;
use super::tags;
use super::ts;
use fix_engine::codec::{Message, MessageBuilder};
use fix_engine::session::MsgType;
use oms::events::{
    CloseKind, EventKind, VenueAck, VenueCancelRejected, VenueClosed, VenueFill, VenueRejected,
    VenueReplaced, VenueTradeBust, VenueTradeCorrect,
};
use oms::outputs::{VenueCancel, VenueNewOrder, VenueReplace};
use oms::{ClOrdId, ExecId, ExecType, OrdStatus, OrderId, Px, Qty, Timestamp, VenueId};
use rust_decimal::Decimal;
use std::str::FromStr;

/// HandlInst (21) on venue orders: automated execution, no broker
/// intervention.
const HANDL_INST_AUTOMATED: &str = "1";

/// A new child order for its venue.
pub(crate) fn venue_new(o: &VenueNewOrder, now: Timestamp) -> MessageBuilder {
    let mut m = MessageBuilder::new(MsgType::NewOrderSingle.as_str());
    m.field(tags::CL_ORD_ID, o.cl_ord_id.as_str())
        .field(tags::ACCOUNT, o.account.as_str())
        .field(tags::HANDL_INST, HANDL_INST_AUTOMATED);
    m.field(tags::SYMBOL, o.symbol.as_str())
        .field(tags::SIDE, codes::side(o.side));
    m.field_u64(tags::ORDER_QTY, o.qty.0)
        .field(tags::ORD_TYPE, codes::ord_type(o.ord_type));
    if let Some(p) = o.price {
        m.field_display(tags::PRICE, p.0);
    }
    m.field(tags::TIME_IN_FORCE, codes::tif(o.tif))
        .field(tags::TRANSACT_TIME, ts(now));
    m
}

/// Cancels and replaces carry the child's Account (1) as its
/// NewOrderSingle did: the venue finds orders by session, account and
/// ClOrdID.
pub(crate) fn venue_cancel(o: &VenueCancel, now: Timestamp) -> MessageBuilder {
    let mut m = MessageBuilder::new(MsgType::OrderCancelRequest.as_str());
    m.field(tags::CL_ORD_ID, o.cl_ord_id.as_str())
        .field(tags::ORIG_CL_ORD_ID, o.orig_cl_ord_id.as_str())
        .field(tags::ACCOUNT, o.account.as_str());
    if let Some(id) = &o.venue_order_id {
        m.field(tags::ORDER_ID, id.as_str());
    }
    m.field(tags::SYMBOL, o.symbol.as_str())
        .field(tags::SIDE, codes::side(o.side))
        .field_u64(tags::ORDER_QTY, o.qty.0);
    m.field(tags::TRANSACT_TIME, ts(now));
    m
}

/// A replace of a child order (see [`venue_cancel`] for the account).
pub(crate) fn venue_replace(o: &VenueReplace, now: Timestamp) -> MessageBuilder {
    let mut m = MessageBuilder::new(MsgType::OrderCancelReplaceRequest.as_str());
    m.field(tags::CL_ORD_ID, o.cl_ord_id.as_str())
        .field(tags::ORIG_CL_ORD_ID, o.orig_cl_ord_id.as_str())
        .field(tags::ACCOUNT, o.account.as_str());
    if let Some(id) = &o.venue_order_id {
        m.field(tags::ORDER_ID, id.as_str());
    }
    m.field(tags::HANDL_INST, HANDL_INST_AUTOMATED)
        .field(tags::SYMBOL, o.symbol.as_str())
        .field(tags::SIDE, codes::side(o.side));
    m.field_u64(tags::ORDER_QTY, o.qty.0)
        .field(tags::ORD_TYPE, codes::ord_type(o.ord_type));
    if let Some(p) = o.price {
        m.field_display(tags::PRICE, p.0);
    }
    m.field(tags::TIME_IN_FORCE, codes::tif(o.tif))
        .field(tags::TRANSACT_TIME, ts(now));
    m
}

fn dec(m: &Message, tag: u32) -> Option<Decimal> {
    m.get_str(tag).and_then(|v| Decimal::from_str(v).ok())
}

/// A venue's report as OMS events (an ExecutionReport that both fills and
/// closes an order yields the fill; the close follows from quantities).
///
/// Trade corrections and busts: ExecType (150) G (Trade Correct) and H
/// (Trade Cancel), or on FIX 4.2 ExecTransType (20) 2 (Correct) and 1
/// (Cancel), name the venue fill they change by ExecRefID (19, the
/// original fill's ExecID); a correction carries the corrected LastQty
/// (32) and LastPx (31). The OMS applies each once (by its own ExecID,
/// 17) and alerts on one that names no fill it knows.
pub(crate) fn venue_events(venue: &VenueId, m: &Message) -> Vec<EventKind> {
    let t = MsgType::of(m);
    if t == MsgType::ExecutionReport {
        execution_report(venue, m)
    } else if t == MsgType::OrderCancelReject {
        vec![EventKind::VenueCancelRejected(VenueCancelRejected {
            venue: venue.clone(),
            cl_ord_id: ClOrdId::new(m.get_str(tags::CL_ORD_ID).unwrap_or("")),
            reason: codes::parse_cxl_rej_reason(m.get_u64(tags::CXL_REJ_REASON)),
            text: m.get_str(tags::TEXT).map(str::to_owned),
        })]
    } else {
        Vec::new()
    }
}

fn execution_report(venue: &VenueId, m: &Message) -> Vec<EventKind> {
    let v = venue.clone();
    let cl = |tag| ClOrdId::new(m.get_str(tag).unwrap_or(""));
    let text = m.get_str(tags::TEXT).map(str::to_owned);
    let exec_id = || ExecId::new(m.get_str(tags::EXEC_ID).unwrap_or(""));
    let exec_ref_id = || ExecId::new(m.get_str(tags::EXEC_REF_ID).unwrap_or(""));
    let last_qty = || Qty(m.get_u64(tags::LAST_QTY).unwrap_or(0));
    let last_px = || Px(dec(m, tags::LAST_PX).unwrap_or_default());
    let exec_type = codes::parse_exec_type(
        m.get(tags::EXEC_TYPE).unwrap_or(b""),
        m.get(tags::EXEC_TRANS_TYPE),
    );
    let status = m.get(tags::ORD_STATUS).and_then(codes::parse_ord_status);
    let order_id = m
        .get_str(tags::ORDER_ID)
        .filter(|s| *s != "NONE")
        .map(OrderId::new);
    let Some(exec_type) = exec_type else {
        return Vec::new();
    };
    match exec_type {
        ExecType::New => order_id
            .map(|id| {
                vec![EventKind::VenueAck(VenueAck {
                    venue: v,
                    cl_ord_id: cl(tags::CL_ORD_ID),
                    venue_order_id: id,
                })]
            })
            .unwrap_or_default(),
        ExecType::Trade => {
            let mut evs = vec![EventKind::VenueFill(VenueFill {
                venue: v.clone(),
                cl_ord_id: cl(tags::CL_ORD_ID),
                venue_order_id: order_id,
                exec_id: exec_id(),
                trade_id: m.get_str(tags::TRD_MATCH_ID).map(str::to_owned),
                last_qty: last_qty(),
                last_px: last_px(),
            })];
            // An IOC fill that also ends the order (leaves 0 but not
            // filled) closes it.
            let how = match status {
                Some(OrdStatus::Canceled) => Some(CloseKind::Canceled),
                Some(OrdStatus::Expired) => Some(CloseKind::Expired),
                _ => None,
            };
            if let Some(how) = how {
                evs.push(EventKind::VenueClosed(VenueClosed {
                    venue: v,
                    cl_ord_id: cl(tags::CL_ORD_ID),
                    how,
                    text,
                }));
            }
            evs
        }
        ExecType::Canceled | ExecType::Expired | ExecType::DoneForDay => {
            let how = match exec_type {
                ExecType::Canceled => CloseKind::Canceled,
                ExecType::Expired => CloseKind::Expired,
                _ => CloseKind::DoneForDay,
            };
            // A cancel answers our cancel request (ClOrdID of the
            // request, OrigClOrdID of the order) or is unsolicited.
            let id = if m.has(tags::ORIG_CL_ORD_ID) {
                cl(tags::ORIG_CL_ORD_ID)
            } else {
                cl(tags::CL_ORD_ID)
            };
            vec![EventKind::VenueClosed(VenueClosed {
                venue: v,
                cl_ord_id: id,
                how,
                text,
            })]
        }
        ExecType::Replaced => vec![EventKind::VenueReplaced(VenueReplaced {
            venue: v,
            cl_ord_id: cl(tags::CL_ORD_ID),
        })],
        ExecType::Rejected => vec![EventKind::VenueRejected(VenueRejected {
            venue: v,
            cl_ord_id: cl(tags::CL_ORD_ID),
            text,
        })],
        ExecType::TradeCorrect => vec![EventKind::VenueTradeCorrect(VenueTradeCorrect {
            venue: v,
            exec_id: exec_id(),
            exec_ref_id: exec_ref_id(),
            last_qty: last_qty(),
            last_px: last_px(),
        })],
        ExecType::TradeCancel => vec![EventKind::VenueTradeBust(VenueTradeBust {
            venue: v,
            exec_id: exec_id(),
            exec_ref_id: exec_ref_id(),
        })],
        ExecType::PendingNew
        | ExecType::PendingCancel
        | ExecType::PendingReplace
        | ExecType::OrderStatus => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixmap::test_support::{parse, report};

    fn v() -> VenueId {
        VenueId::from("SIMX")
    }
    #[test]
    fn trade_correct_and_bust_name_the_fill_they_change() {
        let correct = report(&[
            (37, "O0-1"),
            (11, "O1.1"),
            (17, "C9"),
            (19, "X5"),
            (150, "G"),
            (39, "2"),
            (55, "AAPL"),
            (54, "1"),
            (32, "80"),
            (31, "189.5"),
            (151, "0"),
            (14, "300"),
            (6, "190.01"),
        ]);
        assert_eq!(
            venue_events(&v(), &parse("FIX.4.4", &correct)),
            vec![EventKind::VenueTradeCorrect(VenueTradeCorrect {
                venue: v(),
                exec_id: ExecId::from("C9"),
                exec_ref_id: ExecId::from("X5"),
                last_qty: Qty(80),
                last_px: Px("189.5".parse().unwrap()),
            })]
        );
        let bust = report(&[
            (37, "O0-1"),
            (11, "O1.1"),
            (17, "B9"),
            (19, "X6"),
            (150, "H"),
            (39, "1"),
            (55, "AAPL"),
            (54, "1"),
            (151, "0"),
            (14, "200"),
            (6, "190.01"),
        ]);
        assert_eq!(
            venue_events(&v(), &parse("FIX.4.4", &bust)),
            vec![EventKind::VenueTradeBust(VenueTradeBust {
                venue: v(),
                exec_id: ExecId::from("B9"),
                exec_ref_id: ExecId::from("X6"),
            })]
        );
    }

    #[test]
    fn fix42_corrections_and_busts_are_exec_trans_types() {
        let base = [
            (37, "O0-1"),
            (11, "O1.1"),
            (17, "K1"),
            (19, "X5"),
            (150, "2"),
            (39, "2"),
            (55, "AAPL"),
            (54, "1"),
            (32, "100"),
            (31, "190.5"),
        ];
        let with = |trans: &str| {
            let mut f = vec![(20, trans)];
            f.extend_from_slice(&base);
            venue_events(&v(), &parse("FIX.4.2", &report(&f)))
        };
        assert!(
            matches!(&with("2")[..], [EventKind::VenueTradeCorrect(c)]
                if c.exec_ref_id.as_str() == "X5" && c.last_qty == Qty(100)),
            "{:?}",
            with("2")
        );
        assert!(
            matches!(&with("1")[..], [EventKind::VenueTradeBust(b)]
                if b.exec_id.as_str() == "K1" && b.exec_ref_id.as_str() == "X5"),
            "{:?}",
            with("1")
        );
        // ExecTransType New: an ordinary fill (FIX 4.2 ExecType 2).
        assert!(
            matches!(&with("0")[..], [EventKind::VenueFill(f)] if f.exec_id.as_str() == "K1"),
            "{:?}",
            with("0")
        );
    }
}
