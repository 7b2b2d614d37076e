//! FIX -> venue requests: NewOrderSingle (D), OrderCancelRequest (F),
//! OrderCancelReplaceRequest (G), MarketDataRequest (V). A message the
//! venue cannot take is answered at the FIX layer with a reason.

// Field-level docs are on the FIX tags each item carries.
#![allow(missing_docs)]

use crate::market_data::MdRequest;
use crate::types::{OrdType, Side, TimeInForce};
use crate::venue::{CancelRequest, NewOrderRequest, ReplaceRequest};
use fix_engine::codec::Message;
use fix_engine::session::MsgType;
use rust_decimal::Decimal;
use std::str::FromStr;

/// A decoded request, with the FIX account it came with.
#[derive(Debug, Clone)]
pub enum Request {
    New(NewOrderRequest),
    Cancel(CancelRequest),
    Replace(ReplaceRequest),
    MdSubscribe(MdRequest),
    MdUnsubscribe { req_id: String },
}

/// Why a message could not be turned into a request: (BusinessRejectReason
/// or 0, tag, text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    pub tag: u32,
    pub text: String,
}

fn req<'m>(m: &'m Message, tag: u32, name: &str) -> Result<&'m str, Unusable> {
    m.get_str(tag)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Unusable {
            tag,
            text: format!("{name} ({tag}) is required"),
        })
}

fn dec(m: &Message, tag: u32, name: &str) -> Result<Option<Decimal>, Unusable> {
    match m.get_str(tag) {
        None => Ok(None),
        Some(v) => Decimal::from_str(v).map(Some).map_err(|_| Unusable {
            tag,
            text: format!("{name} ({tag}) {v:?} is not a number"),
        }),
    }
}

fn side(m: &Message) -> Result<Side, Unusable> {
    match req(m, 54, "Side")? {
        "1" => Ok(Side::Buy),
        // Sell, SellShort, SellShortExempt: the venue matches them alike.
        "2" | "5" | "6" => Ok(Side::Sell),
        v => Err(Unusable {
            tag: 54,
            text: format!("Side {v:?} is not supported"),
        }),
    }
}

/// The venue account for a FIX session: the peer's CompID and the FIX
/// Account (1), so that ClOrdID uniqueness and self-trade prevention are
/// per session and account, and reports find their way back.
pub fn venue_account(peer: &str, m: &Message) -> String {
    format!("{peer}|{}", m.get_str(1).unwrap_or(""))
}

/// Splits a venue account back into (peer CompID, FIX account).
pub fn split_account(account: &str) -> (&str, &str) {
    account.split_once('|').unwrap_or((account, ""))
}

pub fn decode(peer: &str, m: &Message) -> Result<Request, Unusable> {
    match MsgType::of(m) {
        MsgType::NewOrderSingle => {
            let ord_type = match req(m, 40, "OrdType")? {
                "1" => OrdType::Market,
                "2" => OrdType::Limit,
                v => {
                    return Err(Unusable {
                        tag: 40,
                        text: format!("OrdType {v:?} is not supported"),
                    })
                }
            };
            let tif = match m.get_str(59).unwrap_or("0") {
                "0" => TimeInForce::Day,
                "1" => TimeInForce::Gtc,
                "3" => TimeInForce::Ioc,
                "4" => TimeInForce::Fok,
                v => {
                    return Err(Unusable {
                        tag: 59,
                        text: format!("TimeInForce {v:?} is not supported"),
                    })
                }
            };
            let qty = dec(m, 38, "OrderQty")?.ok_or_else(|| Unusable {
                tag: 38,
                text: "OrderQty (38) is required".into(),
            })?;
            // DisplayQty (1138) in FIX 4.4+, MaxFloor (111) in FIX 4.2.
            let display_qty = match dec(m, 1138, "DisplayQty")? {
                Some(d) => Some(d),
                None => dec(m, 111, "MaxFloor")?,
            };
            Ok(Request::New(NewOrderRequest {
                cl_ord_id: req(m, 11, "ClOrdID")?.to_owned(),
                account: venue_account(peer, m),
                symbol: req(m, 55, "Symbol")?.to_owned(),
                side: side(m)?,
                ord_type,
                price: dec(m, 44, "Price")?,
                qty,
                display_qty,
                tif,
            }))
        }
        MsgType::OrderCancelRequest => Ok(Request::Cancel(CancelRequest {
            cl_ord_id: req(m, 11, "ClOrdID")?.to_owned(),
            orig_cl_ord_id: req(m, 41, "OrigClOrdID")?.to_owned(),
            order_id: m.get_str(37).and_then(parse_order_id),
            account: venue_account(peer, m),
            symbol: req(m, 55, "Symbol")?.to_owned(),
        })),
        MsgType::OrderCancelReplaceRequest => Ok(Request::Replace(ReplaceRequest {
            cl_ord_id: req(m, 11, "ClOrdID")?.to_owned(),
            orig_cl_ord_id: req(m, 41, "OrigClOrdID")?.to_owned(),
            order_id: m.get_str(37).and_then(parse_order_id),
            account: venue_account(peer, m),
            symbol: req(m, 55, "Symbol")?.to_owned(),
            price: dec(m, 44, "Price")?,
            qty: dec(m, 38, "OrderQty")?.ok_or_else(|| Unusable {
                tag: 38,
                text: "OrderQty (38) is required".into(),
            })?,
        })),
        MsgType::MarketDataRequest => decode_md_request(peer, m),
        _ => Err(Unusable {
            tag: 35,
            text: "Unsupported Message Type".into(),
        }),
    }
}

fn decode_md_request(peer: &str, m: &Message) -> Result<Request, Unusable> {
    let req_id = req(m, 262, "MDReqID")?.to_owned();
    let sub_type = req(m, 263, "SubscriptionRequestType")?;
    if sub_type == "2" {
        return Ok(Request::MdUnsubscribe { req_id });
    }
    let depth = m.get_u64(264).unwrap_or(1) as usize;
    let mut symbols = Vec::new();
    let mut trades = false;
    for f in m.fields() {
        match f.tag {
            55 => symbols.push(String::from_utf8_lossy(m.value(f)).into_owned()),
            269 if m.value(f) == b"2" => trades = true,
            _ => {}
        }
    }
    if symbols.is_empty() {
        return Err(Unusable {
            tag: 146,
            text: "MarketDataRequest names no symbol".into(),
        });
    }
    Ok(Request::MdSubscribe(MdRequest {
        subscriber: peer.to_owned(),
        req_id,
        symbols,
        depth,
        trades,
        updates: sub_type == "1",
    }))
}

/// OrderIDs are sent as `O<number>`.
pub fn parse_order_id(s: &str) -> Option<crate::types::OrderId> {
    s.strip_prefix('O')
        .and_then(|n| n.parse().ok())
        .map(crate::types::OrderId)
}
