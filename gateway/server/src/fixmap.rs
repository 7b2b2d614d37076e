//! FIX <-> OMS translation, the only place where the gateway's FIX and the
//! OMS's domain types meet. Client messages become OMS events; OMS outputs
//! become client ExecutionReports and OrderCancelRejects (with the client's
//! own ClOrdIDs) and venue orders; venue reports become OMS events.

use crate::runtime::market_data::MdUpdate;
use fix_engine::codec::time::{format_utc_string, TimePrecision};
use fix_engine::codec::{Message, MessageBuilder};
use oms::events::{
    CancelRequest, CloseKind, EventKind, NewOrder, ReplaceRequest, StatusRequest, VenueAck,
    VenueCancelRejected, VenueClosed, VenueFill, VenueRejected, VenueReplaced, VenueTradeBust,
    VenueTradeCorrect,
};
use oms::outputs::{CxlRejResponseTo, VenueCancel, VenueNewOrder, VenueReplace};
use oms::{
    AccountId, CancelReject, ClOrdId, CxlRejReason, ExecId, ExecutionReport, OrdType, OrderId, Px,
    Qty, Side, Symbol, TimeInForce, Timestamp, VenueId,
};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Why a client message cannot become an OMS event: the text for a
/// BusinessMessageReject or an order reject, and the tag at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub tag: u32,
    pub text: String,
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
    match m.get_str(44) {
        None => Ok(None),
        Some(v) => Decimal::from_str(v)
            .map(|d| Some(Px(d)))
            .map_err(|_| refuse(44, format!("Price {v:?} is not a number"))),
    }
}

fn side(m: &Message) -> Result<Side, Refusal> {
    match req(m, 54, "Side")? {
        "1" => Ok(Side::Buy),
        "2" => Ok(Side::Sell),
        "5" => Ok(Side::SellShort),
        v => Err(refuse(
            54,
            format!("Side {v:?} is not supported (1 buy, 2 sell, 5 sell short)"),
        )),
    }
}

fn ord_type(m: &Message) -> Result<OrdType, Refusal> {
    match req(m, 40, "OrdType")? {
        "1" => Ok(OrdType::Market),
        "2" => Ok(OrdType::Limit),
        v => Err(refuse(
            40,
            format!("OrdType {v:?} is not supported (1 market, 2 limit)"),
        )),
    }
}

fn tif(m: &Message) -> Result<TimeInForce, Refusal> {
    match m.get_str(59).unwrap_or("0") {
        "0" => Ok(TimeInForce::Day),
        "1" => Ok(TimeInForce::Gtc),
        "3" => Ok(TimeInForce::Ioc),
        "4" => Ok(TimeInForce::Fok),
        v => Err(refuse(
            59,
            format!("TimeInForce {v:?} is not supported (0, 1, 3, 4)"),
        )),
    }
}

/// The account of a client order: tag 1, or the session's only account.
pub fn account(m: &Message, allowed: &[String]) -> Result<AccountId, Refusal> {
    let acc = match m.get_str(1).filter(|a| !a.is_empty()) {
        Some(a) => a,
        None if allowed.len() == 1 => allowed[0].as_str(),
        None => return Err(refuse(1, "Account (1) is required on this session")),
    };
    if !allowed.iter().any(|a| a == acc) {
        return Err(refuse(
            1,
            format!("account {acc} is not permitted on this session"),
        ));
    }
    Ok(AccountId::new(acc))
}

/// A client message as an OMS event.
pub fn client_event(session: &str, m: &Message, allowed: &[String]) -> Result<EventKind, Refusal> {
    match m.msg_type() {
        b"D" => Ok(EventKind::ClientNew(NewOrder {
            session: session.into(),
            cl_ord_id: ClOrdId::new(req(m, 11, "ClOrdID")?),
            account: account(m, allowed)?,
            symbol: Symbol::new(req(m, 55, "Symbol")?),
            side: side(m)?,
            qty: qty(m, 38)?,
            ord_type: ord_type(m)?,
            price: price(m)?,
            tif: tif(m)?,
        })),
        b"F" => Ok(EventKind::ClientCancel(CancelRequest {
            session: session.into(),
            cl_ord_id: ClOrdId::new(req(m, 11, "ClOrdID")?),
            orig_cl_ord_id: ClOrdId::new(req(m, 41, "OrigClOrdID")?),
        })),
        b"G" => Ok(EventKind::ClientReplace(ReplaceRequest {
            session: session.into(),
            cl_ord_id: ClOrdId::new(req(m, 11, "ClOrdID")?),
            orig_cl_ord_id: ClOrdId::new(req(m, 41, "OrigClOrdID")?),
            qty: qty(m, 38)?,
            price: price(m)?,
        })),
        b"H" => Ok(EventKind::ClientStatus(StatusRequest {
            session: session.into(),
            cl_ord_id: ClOrdId::new(req(m, 11, "ClOrdID")?),
        })),
        _ => Err(refuse(35, "Unsupported Message Type")),
    }
}

fn ts(t: Timestamp) -> String {
    let dt = chrono::DateTime::<chrono::Utc>::from_timestamp_nanos(t.0);
    format_utc_string(dt, TimePrecision::Micros)
}

fn side_str(s: Side) -> &'static str {
    match s {
        Side::Buy => "1",
        Side::Sell => "2",
        Side::SellShort => "5",
    }
}

fn ord_type_str(t: OrdType) -> &'static str {
    match t {
        OrdType::Market => "1",
        OrdType::Limit => "2",
        OrdType::Stop => "3",
        OrdType::StopLimit => "4",
    }
}

fn tif_str(t: TimeInForce) -> &'static str {
    match t {
        TimeInForce::Day => "0",
        TimeInForce::Gtc => "1",
        TimeInForce::Ioc => "3",
        TimeInForce::Fok => "4",
        TimeInForce::Opg => "2",
        TimeInForce::Cls => "7",
    }
}

fn ch(c: char) -> String {
    c.to_string()
}

/// OrdStatus (39) of a client report. OrdStatus=5 (Replaced) exists up to
/// FIX 4.2 only; from FIX 4.3 on a replaced order reports its working
/// status (New, PartiallyFilled or Filled) with ExecType=5.
fn ord_status(er: &ExecutionReport, fix42: bool) -> char {
    match er.ord_status {
        oms::OrdStatus::Replaced if !fix42 => {
            if er.cum_qty.is_zero() {
                '0'
            } else if er.leaves_qty.is_zero() {
                '2'
            } else {
                '1'
            }
        }
        s => s.fix_char(),
    }
}

/// An OMS execution report as a FIX ExecutionReport for the client.
pub fn exec_report(er: &ExecutionReport, begin_string: &str) -> MessageBuilder {
    let fix42 = begin_string == "FIX.4.2";
    let mut m = MessageBuilder::new("8");
    m.field(37, er.order_id.as_str())
        .field(11, er.cl_ord_id.as_str());
    if let Some(o) = &er.orig_cl_ord_id {
        m.field(41, o.as_str());
    }
    m.field(17, er.exec_id.as_str());
    if let Some(r) = &er.exec_ref_id {
        m.field(19, r.as_str());
    }
    // FIX 4.2 has no ExecType G/H: a correction or bust is ExecTransType
    // (20) 2 or 1, with ExecType giving the order's state after it.
    let (exec_type, trans) = match (er.exec_type, fix42) {
        (oms::ExecType::Trade, true) if er.leaves_qty.is_zero() => (ch('2'), "0"),
        (oms::ExecType::Trade, true) => (ch('1'), "0"),
        (oms::ExecType::TradeCorrect, true) => (ch(ord_status(er, true)), "2"),
        (oms::ExecType::TradeCancel, true) => (ch(ord_status(er, true)), "1"),
        (t, _) => (ch(t.fix_char()), "0"),
    };
    if fix42 {
        m.field(20, trans);
    }
    m.field(150, exec_type).field(39, ch(ord_status(er, fix42)));
    m.field(1, er.account.as_str())
        .field(55, er.symbol.as_str())
        .field(54, side_str(er.side));
    m.field_u64(38, er.order_qty.0)
        .field(40, ord_type_str(er.ord_type));
    if let Some(p) = er.price {
        m.field_display(44, p.0);
    }
    m.field(59, tif_str(er.tif));
    if !er.last_qty.is_zero() {
        m.field_u64(32, er.last_qty.0)
            .field_display(31, er.last_px.0);
        if let Some(v) = &er.last_mkt {
            m.field(30, v.as_str());
        }
    }
    m.field_u64(151, er.leaves_qty.0)
        .field_u64(14, er.cum_qty.0)
        .field_display(6, er.avg_px.0);
    if let Some(t) = &er.text {
        m.field(58, t.as_str());
    }
    m.field(60, ts(er.transact_time));
    m
}

/// An order refused at the gateway's edge (before the OMS): an
/// ExecutionReport with OrdStatus=Rejected that says why.
pub fn edge_reject(m: &Message, text: &str, now: Timestamp) -> MessageBuilder {
    let mut r = MessageBuilder::new("8");
    r.field(37, "NONE").field(11, m.get(11).unwrap_or(b"NONE"));
    r.field(17, format!("X{}", now.0))
        .field(150, "8")
        .field(39, "8");
    if let Some(a) = m.get(1) {
        r.field(1, a);
    }
    r.field(55, m.get(55).unwrap_or(b"?"))
        .field(54, m.get(54).unwrap_or(b"1"));
    if let Some(q) = m.get(38) {
        r.field(38, q);
    }
    r.field(151, "0")
        .field(14, "0")
        .field(6, "0")
        .field(103, "99")
        .field(58, text);
    r.field(60, ts(now));
    r
}

pub fn cancel_reject(cr: &CancelReject) -> MessageBuilder {
    let mut m = MessageBuilder::new("9");
    m.field(37, cr.order_id.as_ref().map_or("NONE", |o| o.as_str()));
    m.field(11, cr.cl_ord_id.as_str())
        .field(41, cr.orig_cl_ord_id.as_str());
    m.field(39, ch(cr.ord_status.fix_char()));
    m.field(
        434,
        if cr.response_to == CxlRejResponseTo::Cancel {
            "1"
        } else {
            "2"
        },
    );
    m.field_u64(102, u64::from(cr.reason.code()));
    m.field(58, cr.text.as_str());
    m
}

/// Child orders to venues. The gateway trades on the venue under its own
/// account name for the client account (the OMS's account).
pub fn venue_new(o: &VenueNewOrder, now: Timestamp) -> MessageBuilder {
    let mut m = MessageBuilder::new("D");
    m.field(11, o.cl_ord_id.as_str())
        .field(1, o.account.as_str())
        .field(21, "1");
    m.field(55, o.symbol.as_str()).field(54, side_str(o.side));
    m.field_u64(38, o.qty.0).field(40, ord_type_str(o.ord_type));
    if let Some(p) = o.price {
        m.field_display(44, p.0);
    }
    m.field(59, tif_str(o.tif)).field(60, ts(now));
    m
}

/// Cancels and replaces carry the child's Account (1) as its
/// NewOrderSingle did: the venue finds orders by session, account and
/// ClOrdID.
pub fn venue_cancel(o: &VenueCancel, now: Timestamp) -> MessageBuilder {
    let mut m = MessageBuilder::new("F");
    m.field(11, o.cl_ord_id.as_str())
        .field(41, o.orig_cl_ord_id.as_str())
        .field(1, o.account.as_str());
    if let Some(id) = &o.venue_order_id {
        m.field(37, id.as_str());
    }
    m.field(55, o.symbol.as_str())
        .field(54, side_str(o.side))
        .field_u64(38, o.qty.0);
    m.field(60, ts(now));
    m
}

pub fn venue_replace(o: &VenueReplace, now: Timestamp) -> MessageBuilder {
    let mut m = MessageBuilder::new("G");
    m.field(11, o.cl_ord_id.as_str())
        .field(41, o.orig_cl_ord_id.as_str())
        .field(1, o.account.as_str());
    if let Some(id) = &o.venue_order_id {
        m.field(37, id.as_str());
    }
    m.field(21, "1")
        .field(55, o.symbol.as_str())
        .field(54, side_str(o.side));
    m.field_u64(38, o.qty.0).field(40, ord_type_str(o.ord_type));
    if let Some(p) = o.price {
        m.field_display(44, p.0);
    }
    m.field(59, tif_str(o.tif)).field(60, ts(now));
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
pub fn venue_events(venue: &VenueId, m: &Message) -> Vec<EventKind> {
    let v = venue.clone();
    let cl = |tag| ClOrdId::new(m.get_str(tag).unwrap_or(""));
    let text = m.get_str(58).map(str::to_owned);
    match m.msg_type() {
        b"8" => {
            let exec_type = match m.get(20) {
                Some(b"1") => b"H".as_slice(),
                Some(b"2") => b"G".as_slice(),
                _ => m.get(150).unwrap_or(b""),
            };
            let status = m.get(39).unwrap_or(b"");
            let order_id = m.get_str(37).filter(|s| *s != "NONE").map(OrderId::new);
            match exec_type {
                b"0" => order_id
                    .map(|id| {
                        vec![EventKind::VenueAck(VenueAck {
                            venue: v,
                            cl_ord_id: cl(11),
                            venue_order_id: id,
                        })]
                    })
                    .unwrap_or_default(),
                b"F" | b"1" | b"2" => {
                    let mut evs = vec![EventKind::VenueFill(VenueFill {
                        venue: v.clone(),
                        cl_ord_id: cl(11),
                        venue_order_id: order_id,
                        exec_id: ExecId::new(m.get_str(17).unwrap_or("")),
                        trade_id: m.get_str(880).map(str::to_owned),
                        last_qty: Qty(m.get_u64(32).unwrap_or(0)),
                        last_px: Px(dec(m, 31).unwrap_or_default()),
                    })];
                    // An IOC fill that also ends the order (leaves 0 but not
                    // filled) closes it.
                    if status == b"4" || status == b"C" {
                        let how = if status == b"4" {
                            CloseKind::Canceled
                        } else {
                            CloseKind::Expired
                        };
                        evs.push(EventKind::VenueClosed(VenueClosed {
                            venue: v,
                            cl_ord_id: cl(11),
                            how,
                            text,
                        }));
                    }
                    evs
                }
                b"4" | b"C" | b"3" => {
                    let how = match exec_type {
                        b"4" => CloseKind::Canceled,
                        b"C" => CloseKind::Expired,
                        _ => CloseKind::DoneForDay,
                    };
                    // A cancel answers our cancel request (ClOrdID of the
                    // request, OrigClOrdID of the order) or is unsolicited.
                    let id = if m.has(41) { cl(41) } else { cl(11) };
                    vec![EventKind::VenueClosed(VenueClosed {
                        venue: v,
                        cl_ord_id: id,
                        how,
                        text,
                    })]
                }
                b"5" => vec![EventKind::VenueReplaced(VenueReplaced {
                    venue: v,
                    cl_ord_id: cl(11),
                })],
                b"8" => vec![EventKind::VenueRejected(VenueRejected {
                    venue: v,
                    cl_ord_id: cl(11),
                    text,
                })],
                b"G" => vec![EventKind::VenueTradeCorrect(VenueTradeCorrect {
                    venue: v,
                    exec_id: ExecId::new(m.get_str(17).unwrap_or("")),
                    exec_ref_id: ExecId::new(m.get_str(19).unwrap_or("")),
                    last_qty: Qty(m.get_u64(32).unwrap_or(0)),
                    last_px: Px(dec(m, 31).unwrap_or_default()),
                })],
                b"H" => vec![EventKind::VenueTradeBust(VenueTradeBust {
                    venue: v,
                    exec_id: ExecId::new(m.get_str(17).unwrap_or("")),
                    exec_ref_id: ExecId::new(m.get_str(19).unwrap_or("")),
                })],
                _ => Vec::new(),
            }
        }
        b"9" => {
            let reason = match m.get_u64(102) {
                Some(0) => CxlRejReason::TooLateToCancel,
                Some(1) => CxlRejReason::UnknownOrder,
                Some(3) => CxlRejReason::AlreadyPending,
                Some(6) => CxlRejReason::DuplicateClOrdId,
                _ => CxlRejReason::Other,
            };
            vec![EventKind::VenueCancelRejected(VenueCancelRejected {
                venue: v,
                cl_ord_id: cl(11),
                reason,
                text,
            })]
        }
        _ => Vec::new(),
    }
}

/// The MDReqID the gateway subscribes `symbol` under: fixed, so that a
/// subscription the venue still holds (or gets again from a resend after
/// a reconnect) refuses the new one as a duplicate instead of doubling it.
pub fn md_req_id(symbol: &str) -> String {
    format!("fixgw-{symbol}")
}

/// A MarketDataRequest (35=V) for `symbol`: snapshot plus updates
/// (SubscriptionRequestType 1), top of book (MarketDepth 1, incremental
/// refresh), bids, offers and trades.
pub fn md_request(symbol: &str) -> MessageBuilder {
    let mut m = MessageBuilder::new("V");
    m.field(262, md_req_id(symbol))
        .field(263, "1")
        .field(264, "1")
        .field(265, "1");
    m.field(267, "3")
        .field(269, "0")
        .field(269, "1")
        .field(269, "2");
    m.field(146, "1").field(55, symbol);
    m
}

/// A MarketDataSnapshotFullRefresh (W) or MarketDataIncrementalRefresh
/// (X) as top-of-book entries; `None` for any other message, or one
/// resent by the venue (PossDupFlag=Y: stale). Entries of other types
/// (index values, opening prices...) and entries without a price or a
/// symbol are left out.
pub fn market_data(m: &Message) -> Option<MdUpdate> {
    use crate::runtime::market_data::{MdAction, MdEntry, MdSide};
    let snapshot = match m.msg_type() {
        b"W" => true,
        b"X" => false,
        _ => return None,
    };
    if m.get(43) == Some(b"Y") {
        return None;
    }
    #[derive(Default)]
    struct Raw {
        side: Option<MdSide>,
        action: Option<MdAction>,
        symbol: Option<String>,
        px: Option<Decimal>,
        qty: Option<Decimal>,
        level: Option<u32>,
        started: bool,
    }
    let mut top_symbol: Option<String> = None;
    let mut raws: Vec<Raw> = Vec::new();
    let mut in_group = false;
    for f in m.fields() {
        let v = std::str::from_utf8(m.value(f)).unwrap_or("");
        match f.tag {
            268 => in_group = true,
            55 if !in_group => top_symbol = Some(v.to_owned()),
            // An entry starts with MDUpdateAction (X) or MDEntryType (W),
            // or with an MDEntryType when the current entry has one.
            279 if in_group => {
                raws.push(Raw {
                    started: true,
                    ..Raw::default()
                });
                raws.last_mut().expect("pushed").action = Some(match v {
                    "0" => MdAction::New,
                    "1" => MdAction::Change,
                    _ => MdAction::Delete,
                });
            }
            269 if in_group => {
                let needs_new = match raws.last() {
                    None => true,
                    Some(r) => r.side.is_some() || !r.started,
                };
                if needs_new {
                    raws.push(Raw {
                        started: true,
                        ..Raw::default()
                    });
                }
                raws.last_mut().expect("pushed").side = match v {
                    "0" => Some(MdSide::Bid),
                    "1" => Some(MdSide::Offer),
                    "2" => Some(MdSide::Trade),
                    _ => None,
                };
                if raws.last().is_some_and(|r| r.side.is_none()) {
                    // Not a type we use: keep its fields off the next one.
                    raws.last_mut().expect("pushed").started = false;
                }
            }
            55 => {
                if let Some(r) = raws.last_mut() {
                    r.symbol = Some(v.to_owned());
                }
            }
            270 => {
                if let Some(r) = raws.last_mut() {
                    r.px = Decimal::from_str(v).ok();
                }
            }
            271 => {
                if let Some(r) = raws.last_mut() {
                    r.qty = Decimal::from_str(v).ok();
                }
            }
            290 => {
                if let Some(r) = raws.last_mut() {
                    r.level = v.parse().ok();
                }
            }
            _ => {}
        }
    }
    let entries = raws
        .into_iter()
        .filter_map(|r| {
            let side = r.side?;
            let action = r.action.unwrap_or(MdAction::New);
            let symbol = r.symbol.or_else(|| top_symbol.clone())?;
            // A delete names its price; its size may be absent.
            let px = r.px?;
            let qty = r
                .qty
                .filter(|q| *q >= Decimal::ZERO && q.fract().is_zero())
                .and_then(|q| u64::try_from(q.mantissa() / 10i128.pow(q.scale())).ok())
                .unwrap_or(0);
            Some(MdEntry {
                symbol: Symbol::new(symbol),
                side,
                action,
                px: Px(px),
                qty: Qty(qty),
                level: r.level.unwrap_or(1),
            })
        })
        .collect();
    Some(MdUpdate {
        snapshot: if snapshot {
            Some(Symbol::new(top_symbol?))
        } else {
            None
        },
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fix_engine::codec::encode_message;

    /// A parsed message of `begin` with `b`'s body.
    pub(crate) fn parse(begin: &str, b: &MessageBuilder) -> Message {
        let mut out = Vec::new();
        encode_message(
            &mut out,
            begin,
            b.msg_type(),
            "V",
            "GATEWAY",
            7,
            b"20260304-15:00:00.000",
            b"",
            b.body_bytes(),
        );
        Message::parse(out.into()).expect("a valid message")
    }

    fn report(fields: &[(u32, &str)]) -> MessageBuilder {
        let mut b = MessageBuilder::new("8");
        for (t, v) in fields {
            b.field(*t, v);
        }
        b
    }

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

    use crate::runtime::market_data::{MdAction, MdEntry, MdSide};
    use sim_venue::market_data::{
        MdAction as SimAction, MdEntry as SimEntry, MdEntryType, MdLevel, MdMessage,
    };

    fn lvl(p: &str, q: u64) -> MdLevel {
        MdLevel {
            price: p.parse().unwrap(),
            qty: q,
            orders: 1,
        }
    }

    fn e(sym: &str, side: MdSide, action: MdAction, p: &str, q: u64, level: u32) -> MdEntry {
        MdEntry {
            symbol: Symbol::from(sym),
            side,
            action,
            px: Px(p.parse().unwrap()),
            qty: Qty(q),
            level,
        }
    }

    /// What the simulated exchange sends, as the gateway reads it.
    fn from_sim(md: &MdMessage) -> Option<MdUpdate> {
        let (_, b) = sim_venue::fix::outbound::market_data(md);
        market_data(&parse("FIX.4.4", &b))
    }

    #[test]
    fn the_sim_venues_snapshots_and_updates_parse_to_top_of_book() {
        let snap = MdMessage::Snapshot {
            subscriber: "GATEWAY".into(),
            req_id: "fixgw-AAPL".into(),
            symbol: "AAPL".into(),
            bids: vec![lvl("190.00", 100)],
            asks: vec![lvl("190.02", 300)],
            last_trade: Some(("190.01".parse().unwrap(), 5)),
            timestamp: 1_772_636_400_000_000_000,
        };
        assert_eq!(
            from_sim(&snap),
            Some(MdUpdate {
                snapshot: Some(Symbol::from("AAPL")),
                entries: vec![
                    e("AAPL", MdSide::Bid, MdAction::New, "190.00", 100, 1),
                    e("AAPL", MdSide::Offer, MdAction::New, "190.02", 300, 1),
                    e("AAPL", MdSide::Trade, MdAction::New, "190.01", 5, 1),
                ],
            })
        );
        let entry = |action, entry_type, p: &str, qty, position| SimEntry {
            action,
            entry_type,
            symbol: "MSFT".into(),
            price: p.parse().unwrap(),
            qty,
            position,
            trade_id: None,
            aggressor: None,
        };
        let inc = MdMessage::Incremental {
            subscriber: "GATEWAY".into(),
            req_id: "fixgw-MSFT".into(),
            entries: vec![
                entry(SimAction::New, MdEntryType::Trade, "420.02", 100, 0),
                entry(SimAction::Delete, MdEntryType::Offer, "420.02", 0, 1),
                entry(SimAction::New, MdEntryType::Offer, "420.03", 200, 1),
                entry(SimAction::Change, MdEntryType::Bid, "420.00", 50, 2),
            ],
            timestamp: 1_772_636_400_000_000_000,
        };
        assert_eq!(
            from_sim(&inc),
            Some(MdUpdate {
                snapshot: None,
                entries: vec![
                    e("MSFT", MdSide::Trade, MdAction::New, "420.02", 100, 1),
                    e("MSFT", MdSide::Offer, MdAction::Delete, "420.02", 0, 1),
                    e("MSFT", MdSide::Offer, MdAction::New, "420.03", 200, 1),
                    e("MSFT", MdSide::Bid, MdAction::Change, "420.00", 50, 2),
                ],
            })
        );
        // Resent market data is stale; other messages are not market data.
        let (_, mut b) = sim_venue::fix::outbound::market_data(&inc);
        b.field(43, "Y");
        assert_eq!(market_data(&parse("FIX.4.4", &b)), None);
        assert_eq!(market_data(&parse("FIX.4.4", &report(&[(150, "0")]))), None);
    }

    #[test]
    fn entries_of_other_types_are_left_out() {
        // An opening price (269=4) between a bid and an offer.
        let mut b = MessageBuilder::new("W");
        b.field(262, "r").field(55, "AAPL").field(268, "3");
        b.field(269, "0").field(270, "10.00").field(271, "5");
        b.field(269, "4").field(270, "9.00");
        b.field(269, "1").field(270, "10.10").field(271, "7");
        let u = market_data(&parse("FIX.4.4", &b)).unwrap();
        assert_eq!(
            u.entries,
            vec![
                e("AAPL", MdSide::Bid, MdAction::New, "10.00", 5, 1),
                e("AAPL", MdSide::Offer, MdAction::New, "10.10", 7, 1),
            ]
        );
    }

    #[test]
    fn the_subscription_is_what_the_sim_venue_takes() {
        let m = parse("FIX.4.4", &md_request("AAPL"));
        match sim_venue::fix::inbound::decode("GATEWAY", &m) {
            Ok(sim_venue::fix::inbound::Request::MdSubscribe(r)) => {
                assert_eq!(r.req_id, "fixgw-AAPL");
                assert_eq!(r.symbols, ["AAPL"]);
                assert_eq!(r.depth, 1);
                assert!(r.trades && r.updates, "{r:?}");
            }
            other => panic!("{other:?}"),
        }
    }
}
