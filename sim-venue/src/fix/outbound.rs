//! Venue output -> FIX: ExecutionReport (8), OrderCancelReject (9),
//! MarketDataSnapshotFullRefresh (W), MarketDataIncrementalRefresh (X),
//! MarketDataRequestReject (Y), TradingSessionStatus (h), SecurityStatus (f).
//! ExecType and OrdStatus follow the session's FIX version (FIX 4.2 reports
//! fills as ExecType 1/2 with ExecTransType 0; FIX 4.4 and 5.0 as F).

// Field-level docs are on the FIX tags each item carries.
#![allow(missing_docs)]

use super::inbound::split_account;
use crate::market_data::{MdAction, MdEntryType, MdMessage, MdReject};
use crate::market_state::{HaltReason, SessionStatus};
use crate::matching::OrdStatus;
use crate::types::{Liquidity, OrdType, Side, TimeInForce, Timestamp};
use crate::venue::{CancelReject, ExecType, ExecutionReport};
use fix_engine::codec::time::{format_utc_string, TimePrecision};
use fix_engine::codec::MessageBuilder;

pub fn ts(t: Timestamp) -> String {
    format_utc_string(t.to_datetime(), TimePrecision::Micros)
}

fn side_char(s: Side) -> &'static str {
    match s {
        Side::Buy => "1",
        Side::Sell | Side::SellShort => "2",
    }
}

/// `begin_string` picks the version's fields (FIX.4.2 fills are ExecType
/// 1/2 with ExecTransType; TrdMatchID (880) exists from FIX 5.0 on).
pub fn execution_report(r: &ExecutionReport, begin_string: &str) -> MessageBuilder {
    let fix42 = begin_string == "FIX.4.2";
    let fix50 = begin_string == "FIXT.1.1";
    let mut m = MessageBuilder::new("8");
    let (_, account) = split_account(&r.account);
    match r.order_id {
        Some(id) => m.field(37, id.to_string()),
        None => m.field(37, "NONE"),
    };
    m.field(11, r.cl_ord_id.as_bytes());
    if let Some(o) = &r.orig_cl_ord_id {
        m.field(41, o.as_bytes());
    }
    m.field(17, r.exec_id.to_string());
    let exec_type = match (r.exec_type, fix42) {
        (ExecType::Trade, true) if r.ord_status == OrdStatus::Filled => "2",
        (ExecType::Trade, true) => "1",
        (t, _) => match t {
            ExecType::New => "0",
            ExecType::Trade => "F",
            ExecType::Canceled => "4",
            ExecType::Replaced => "5",
            ExecType::Expired => "C",
            ExecType::Rejected => "8",
        },
    };
    if fix42 {
        m.field(20, "0");
    }
    m.field(150, exec_type);
    let mut st = [0u8; 4];
    m.field(39, r.ord_status.fix_char().encode_utf8(&mut st).as_bytes());
    if !account.is_empty() {
        m.field(1, account);
    }
    m.field(55, r.symbol.as_bytes())
        .field(54, side_char(r.side));
    m.field_display(38, r.order_qty);
    m.field(
        40,
        if r.ord_type == OrdType::Market {
            "1"
        } else {
            "2"
        },
    );
    if let Some(p) = r.price {
        m.field_display(44, p);
    }
    m.field(
        59,
        match r.tif {
            TimeInForce::Day => "0",
            TimeInForce::Gtc => "1",
            TimeInForce::Ioc => "3",
            TimeInForce::Fok => "4",
            TimeInForce::Opg => "2",
            TimeInForce::Cls => "7",
        },
    );
    if r.exec_type == ExecType::Trade {
        m.field_u64(32, r.last_qty);
        if let Some(px) = r.last_px {
            m.field_display(31, px);
        }
        if !fix42 {
            if let Some(l) = r.liquidity {
                m.field(851, if l == Liquidity::Added { "1" } else { "2" });
            }
            if let Some(t) = r.trade_id.filter(|_| fix50) {
                m.field(880, t.to_string());
            }
        }
        if let Some(fee) = r.fee {
            m.field_display(12, fee).field(13, "3");
        }
    }
    m.field_u64(151, r.leaves_qty).field_u64(14, r.cum_qty);
    m.field_display(6, r.avg_px);
    if let Some(reason) = &r.reject_reason {
        m.field_u64(103, u64::from(reason.fix_code_for(begin_string)));
        m.field(58, reason.to_string());
    } else if let Some(c) = &r.cancel_reason {
        m.field(58, format!("{c:?}"));
    } else if let Some(t) = &r.text {
        m.field(58, t.as_str());
    }
    m.field(60, ts(r.transact_time));
    m
}

pub fn cancel_reject(r: &CancelReject) -> MessageBuilder {
    let mut m = MessageBuilder::new("9");
    match r.order_id {
        Some(id) => m.field(37, id.to_string()),
        None => m.field(37, "NONE"),
    };
    m.field(11, r.cl_ord_id.as_bytes())
        .field(41, r.orig_cl_ord_id.as_bytes());
    let mut st = [0u8; 4];
    let status = r.ord_status.map_or('8', |s| s.fix_char());
    m.field(39, status.encode_utf8(&mut st).as_bytes());
    let (_, account) = split_account(&r.account);
    if !account.is_empty() {
        m.field(1, account);
    }
    m.field(
        434,
        match r.response_to {
            crate::venue::CxlRejResponseTo::Cancel => "1",
            crate::venue::CxlRejResponseTo::Replace => "2",
        },
    );
    m.field_u64(102, u64::from(r.cause.fix_code()));
    m.field(58, r.cause.to_string());
    m.field(60, ts(r.transact_time));
    m
}

/// Market data for one subscriber: (subscriber, message).
pub fn market_data(md: &MdMessage) -> (&str, MessageBuilder) {
    match md {
        MdMessage::Snapshot {
            subscriber,
            req_id,
            symbol,
            bids,
            asks,
            last_trade,
            timestamp,
        } => {
            let mut m = MessageBuilder::new("W");
            m.field(262, req_id.as_bytes()).field(55, symbol.as_bytes());
            let n = bids.len() + asks.len() + usize::from(last_trade.is_some());
            m.field_u64(268, n as u64);
            let t = ts(*timestamp);
            for (kind, levels) in [("0", bids), ("1", asks)] {
                for l in levels.iter() {
                    m.field(269, kind);
                    m.field_display(270, l.price);
                    m.field_u64(271, l.qty);
                    m.field(272, &t[..8]).field(273, &t[9..]);
                    m.field_u64(346, u64::from(l.orders));
                }
            }
            if let Some((px, qty)) = last_trade {
                m.field(269, "2");
                m.field_display(270, *px);
                m.field_u64(271, *qty);
                m.field(272, &t[..8]).field(273, &t[9..]);
            }
            // SendingTime (52) carries the send time and MDEntryDate/Time
            // (272/273) the data time, so feed latency can be measured.
            (subscriber, m)
        }
        MdMessage::Incremental {
            subscriber,
            req_id,
            entries,
            timestamp,
        } => {
            let mut m = MessageBuilder::new("X");
            m.field(262, req_id.as_bytes());
            m.field_u64(268, entries.len() as u64);
            let t = ts(*timestamp);
            for e in entries {
                m.field(
                    279,
                    match e.action {
                        MdAction::New => "0",
                        MdAction::Change => "1",
                        MdAction::Delete => "2",
                    },
                );
                m.field(
                    269,
                    match e.entry_type {
                        MdEntryType::Bid => "0",
                        MdEntryType::Offer => "1",
                        MdEntryType::Trade => "2",
                    },
                );
                m.field(55, e.symbol.as_bytes());
                m.field_display(270, e.price);
                m.field_u64(271, e.qty);
                m.field(272, &t[..8]).field(273, &t[9..]);
                if e.position > 0 {
                    m.field_u64(290, u64::from(e.position));
                }
            }
            (subscriber, m)
        }
    }
}

pub fn md_reject(req_id: &str, reason: &MdReject) -> MessageBuilder {
    let mut m = MessageBuilder::new("Y");
    let mut c = [0u8; 4];
    m.field(262, req_id)
        .field(281, reason.fix_code().encode_utf8(&mut c).as_bytes());
    m.field(58, reason.to_string());
    m
}

pub fn trading_session_status(s: SessionStatus) -> MessageBuilder {
    let mut m = MessageBuilder::new("h");
    m.field(336, "REGULAR")
        .field_u64(340, u64::from(s.fix_code()));
    m
}

pub fn security_status(symbol: &str, halted: Option<&HaltReason>) -> MessageBuilder {
    let mut m = MessageBuilder::new("f");
    m.field(55, symbol);
    match halted {
        Some(reason) => {
            m.field(326, "2").field(325, "N");
            m.field(58, format!("{reason:?}"));
        }
        None => {
            m.field(326, "17").field(325, "N");
        }
    }
    m
}
