//! Market data direction of the FIX mapping: the gateway's
//! MarketDataRequest to a venue, and the venue's snapshots (W) and
//! incremental refreshes (X) as top-of-book entries ([`MdUpdate`]) for
//! the market data task (`runtime::market_data`, which decides what
//! reaches the OMS).

use super::tags;
use fix_engine::codec::{Message, MessageBuilder};
use fix_engine::session::MsgType;
use oms::{Px, Qty, Symbol};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Kind of a market data entry (MDEntryType 269: 0, 1, 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MdSide {
    Bid,
    Offer,
    Trade,
}

/// MDUpdateAction (279): 0 new, 1 change, 2 delete (snapshot entries are new).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MdAction {
    New,
    Change,
    Delete,
}

/// One market data entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MdEntry {
    pub symbol: Symbol,
    pub side: MdSide,
    pub action: MdAction,
    pub px: Px,
    pub qty: Qty,
    /// MDPriceLevel (290), 1 if absent: only level 1 is top of book.
    pub level: u32,
}

/// A parsed W or X message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MdUpdate {
    /// A full refresh (W) of this symbol: its book is replaced.
    pub snapshot: Option<Symbol>,
    pub entries: Vec<MdEntry>,
}

/// MDEntryType (269) bid.
const MD_BID: &str = "0";
/// MDEntryType (269) offer.
const MD_OFFER: &str = "1";
/// MDEntryType (269) trade.
const MD_TRADE: &str = "2";

/// The MDReqID the gateway subscribes `symbol` under: fixed, so that a
/// subscription the venue still holds (or gets again from a resend after
/// a reconnect) refuses the new one as a duplicate instead of doubling it.
pub(crate) fn md_req_id(symbol: &str) -> String {
    format!("fixgw-{symbol}")
}

/// A MarketDataRequest (35=V) for `symbol`: snapshot plus updates
/// (SubscriptionRequestType 1), top of book (MarketDepth 1, incremental
/// refresh), bids, offers and trades.
pub(crate) fn md_request(symbol: &str) -> MessageBuilder {
    let mut m = MessageBuilder::new(MsgType::MarketDataRequest.as_str());
    m.field(tags::MD_REQ_ID, md_req_id(symbol))
        // Snapshot plus updates, top of book, incremental refresh.
        .field(tags::SUBSCRIPTION_REQUEST_TYPE, "1")
        .field(tags::MARKET_DEPTH, "1")
        .field(tags::MD_UPDATE_TYPE, "1");
    m.field(tags::NO_MD_ENTRY_TYPES, "3")
        .field(tags::MD_ENTRY_TYPE, MD_BID)
        .field(tags::MD_ENTRY_TYPE, MD_OFFER)
        .field(tags::MD_ENTRY_TYPE, MD_TRADE);
    m.field(tags::NO_RELATED_SYM, "1")
        .field(tags::SYMBOL, symbol);
    m
}

/// A MarketDataSnapshotFullRefresh (W) or MarketDataIncrementalRefresh
/// (X) as top-of-book entries; `None` for any other message, or one
/// resent by the venue (PossDupFlag=Y: stale). Entries of other types
/// (index values, opening prices...) and entries without a price or a
/// symbol are left out.
pub(crate) fn market_data(m: &Message) -> Option<MdUpdate> {
    let snapshot = match MsgType::of(m) {
        MsgType::MarketDataSnapshotFullRefresh => true,
        MsgType::MarketDataIncrementalRefresh => false,
        _ => return None,
    };
    if m.get(tags::POSS_DUP_FLAG) == Some(b"Y") {
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
        // Tags are positive; anything else is no field we read.
        let Ok(tag) = u32::try_from(f.tag) else {
            continue;
        };
        match tag {
            tags::NO_MD_ENTRIES => in_group = true,
            tags::SYMBOL if !in_group => top_symbol = Some(v.to_owned()),
            // An entry starts with MDUpdateAction (X) or MDEntryType (W),
            // or with an MDEntryType when the current entry has one.
            tags::MD_UPDATE_ACTION if in_group => {
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
            tags::MD_ENTRY_TYPE if in_group => {
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
                    MD_BID => Some(MdSide::Bid),
                    MD_OFFER => Some(MdSide::Offer),
                    MD_TRADE => Some(MdSide::Trade),
                    _ => None,
                };
                if raws.last().is_some_and(|r| r.side.is_none()) {
                    // Not a type we use: keep its fields off the next one.
                    raws.last_mut().expect("pushed").started = false;
                }
            }
            tags::SYMBOL => {
                if let Some(r) = raws.last_mut() {
                    r.symbol = Some(v.to_owned());
                }
            }
            tags::MD_ENTRY_PX => {
                if let Some(r) = raws.last_mut() {
                    r.px = Decimal::from_str(v).ok();
                }
            }
            tags::MD_ENTRY_SIZE => {
                if let Some(r) = raws.last_mut() {
                    r.qty = Decimal::from_str(v).ok();
                }
            }
            tags::MD_ENTRY_POSITION_NO => {
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
    use crate::fixmap::test_support::{parse, report};
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
            timestamp: domain::Timestamp(1_772_636_400_000_000_000),
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
            timestamp: domain::Timestamp(1_772_636_400_000_000_000),
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
