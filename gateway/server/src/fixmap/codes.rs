//! FIX codes of the OMS's domain enums, both ways: Side (54), OrdType
//! (40), TimeInForce (59), OrdStatus (39), ExecType (150), CxlRejReason
//! (102) and CxlRejResponseTo (434). The OMS knows none of these
//! characters; version differences (FIX 4.2 against 4.4 and later) are
//! decided by the callers in `client` and `venue`.

use oms::outputs::CxlRejResponseTo;
use oms::{CxlRejReason, ExecType, OrdStatus, OrdType, Side, TimeInForce};

/// Side (54).
pub(crate) fn side(s: Side) -> &'static str {
    match s {
        Side::Buy => "1",
        Side::Sell => "2",
        Side::SellShort => "5",
    }
}

/// Side (54) the gateway takes from clients.
pub(crate) fn parse_side(v: &str) -> Option<Side> {
    match v {
        "1" => Some(Side::Buy),
        "2" => Some(Side::Sell),
        "5" => Some(Side::SellShort),
        _ => None,
    }
}

/// OrdType (40).
pub(crate) fn ord_type(t: OrdType) -> &'static str {
    match t {
        OrdType::Market => "1",
        OrdType::Limit => "2",
        OrdType::Stop => "3",
        OrdType::StopLimit => "4",
    }
}

/// OrdType (40) the gateway takes from clients.
pub(crate) fn parse_ord_type(v: &str) -> Option<OrdType> {
    match v {
        "1" => Some(OrdType::Market),
        "2" => Some(OrdType::Limit),
        _ => None,
    }
}

/// TimeInForce (59).
pub(crate) fn tif(t: TimeInForce) -> &'static str {
    match t {
        TimeInForce::Day => "0",
        TimeInForce::Gtc => "1",
        TimeInForce::Ioc => "3",
        TimeInForce::Fok => "4",
        TimeInForce::Opg => "2",
        TimeInForce::Cls => "7",
    }
}

/// TimeInForce (59) the gateway takes from clients.
pub(crate) fn parse_tif(v: &str) -> Option<TimeInForce> {
    match v {
        "0" => Some(TimeInForce::Day),
        "1" => Some(TimeInForce::Gtc),
        "3" => Some(TimeInForce::Ioc),
        "4" => Some(TimeInForce::Fok),
        _ => None,
    }
}

/// OrdStatus (39), as FIX 4.2 names it (Replaced is 5; see
/// `client::exec_report` for later versions).
pub(crate) fn ord_status(s: OrdStatus) -> char {
    match s {
        OrdStatus::PendingNew => 'A',
        OrdStatus::New => '0',
        OrdStatus::PartiallyFilled => '1',
        OrdStatus::Filled => '2',
        OrdStatus::PendingCancel => '6',
        OrdStatus::Canceled => '4',
        OrdStatus::PendingReplace => 'E',
        OrdStatus::Replaced => '5',
        OrdStatus::Rejected => '8',
        OrdStatus::Expired => 'C',
        OrdStatus::DoneForDay => '3',
    }
}

/// ExecType (150) for FIX 4.4 and later (FIX 4.2 reports a trade as a
/// partial fill or a fill: see `client::exec_report`).
pub(crate) fn exec_type(t: ExecType) -> char {
    exec_type_char(t)
}

/// Every ExecType the OMS knows.
const EXEC_TYPES: [ExecType; 13] = [
    ExecType::New,
    ExecType::PendingNew,
    ExecType::Trade,
    ExecType::Canceled,
    ExecType::PendingCancel,
    ExecType::Replaced,
    ExecType::PendingReplace,
    ExecType::Rejected,
    ExecType::Expired,
    ExecType::DoneForDay,
    ExecType::TradeCorrect,
    ExecType::TradeCancel,
    ExecType::OrderStatus,
];

const fn exec_type_char(t: ExecType) -> char {
    match t {
        ExecType::New => '0',
        ExecType::PendingNew => 'A',
        ExecType::Trade => 'F',
        ExecType::Canceled => '4',
        ExecType::PendingCancel => '6',
        ExecType::Replaced => '5',
        ExecType::PendingReplace => 'E',
        ExecType::Rejected => '8',
        ExecType::Expired => 'C',
        ExecType::DoneForDay => '3',
        ExecType::TradeCorrect => 'G',
        ExecType::TradeCancel => 'H',
        ExecType::OrderStatus => 'I',
    }
}

/// OrdStatus (39) of a venue's report, any FIX version.
pub(crate) fn parse_ord_status(v: &[u8]) -> Option<OrdStatus> {
    OrdStatus::ALL
        .into_iter()
        .find(|s| v.len() == 1 && char::from(v[0]) == ord_status(*s))
}

/// ExecType (150) of a venue's report, with FIX 4.2's Partial fill (1)
/// and Fill (2) read as Trade and its ExecTransType (20) Cancel (1) and
/// Correct (2) as a bust and a correction.
pub(crate) fn parse_exec_type(
    exec_type: &[u8],
    exec_trans_type: Option<&[u8]>,
) -> Option<ExecType> {
    match exec_trans_type {
        Some(b"1") => return Some(ExecType::TradeCancel),
        Some(b"2") => return Some(ExecType::TradeCorrect),
        _ => {}
    }
    match exec_type {
        b"1" | b"2" => Some(ExecType::Trade),
        [c] => EXEC_TYPES
            .into_iter()
            .find(|t| exec_type_char(*t) == char::from(*c)),
        _ => None,
    }
}

/// CxlRejReason (102).
pub(crate) fn cxl_rej_reason(r: CxlRejReason) -> u32 {
    match r {
        CxlRejReason::TooLateToCancel => 0,
        CxlRejReason::UnknownOrder => 1,
        CxlRejReason::BrokerOption => 2,
        CxlRejReason::AlreadyPending => 3,
        CxlRejReason::DuplicateClOrdId => 6,
        CxlRejReason::Other => 99,
    }
}

/// CxlRejReason (102) of a venue's OrderCancelReject; codes the OMS does
/// not tell apart (and a missing one) are Other.
pub(crate) fn parse_cxl_rej_reason(code: Option<u64>) -> CxlRejReason {
    match code {
        Some(0) => CxlRejReason::TooLateToCancel,
        Some(1) => CxlRejReason::UnknownOrder,
        Some(3) => CxlRejReason::AlreadyPending,
        Some(6) => CxlRejReason::DuplicateClOrdId,
        _ => CxlRejReason::Other,
    }
}

/// CxlRejResponseTo (434).
pub(crate) fn cxl_rej_response_to(r: CxlRejResponseTo) -> &'static str {
    match r {
        CxlRejResponseTo::Cancel => "1",
        CxlRejResponseTo::Replace => "2",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ord_status_and_exec_type_characters() {
        let chars: String = OrdStatus::ALL.into_iter().map(ord_status).collect();
        assert_eq!(chars, "A01264E58C3");
        let chars: String = EXEC_TYPES.into_iter().map(exec_type).collect();
        assert_eq!(chars, "0AF465E8C3GHI");
        for t in EXEC_TYPES {
            let c = [exec_type(t) as u8];
            assert_eq!(parse_exec_type(&c, None), Some(t));
        }
        for s in OrdStatus::ALL {
            assert_eq!(parse_ord_status(&[ord_status(s) as u8]), Some(s));
        }
        // FIX 4.2.
        assert_eq!(parse_exec_type(b"1", Some(b"0")), Some(ExecType::Trade));
        assert_eq!(parse_exec_type(b"2", None), Some(ExecType::Trade));
        assert_eq!(
            parse_exec_type(b"2", Some(b"2")),
            Some(ExecType::TradeCorrect)
        );
        assert_eq!(
            parse_exec_type(b"1", Some(b"1")),
            Some(ExecType::TradeCancel)
        );
        assert_eq!(parse_exec_type(b"", None), None);
        assert_eq!(parse_exec_type(b"Z", None), None);
    }

    #[test]
    fn cancel_reject_reasons_both_ways() {
        let all = [
            (CxlRejReason::TooLateToCancel, 0),
            (CxlRejReason::UnknownOrder, 1),
            (CxlRejReason::BrokerOption, 2),
            (CxlRejReason::AlreadyPending, 3),
            (CxlRejReason::DuplicateClOrdId, 6),
            (CxlRejReason::Other, 99),
        ];
        for (r, code) in all {
            assert_eq!(cxl_rej_reason(r), code);
            // BrokerOption is not a reason the OMS acts on: Other.
            let back = parse_cxl_rej_reason(Some(u64::from(code)));
            let want = if r == CxlRejReason::BrokerOption {
                CxlRejReason::Other
            } else {
                r
            };
            assert_eq!(back, want);
        }
        assert_eq!(parse_cxl_rej_reason(None), CxlRejReason::Other);
    }

    #[test]
    fn order_fields_both_ways() {
        for s in [Side::Buy, Side::Sell, Side::SellShort] {
            assert_eq!(parse_side(side(s)), Some(s));
        }
        for t in [OrdType::Market, OrdType::Limit] {
            assert_eq!(parse_ord_type(ord_type(t)), Some(t));
        }
        for t in [
            TimeInForce::Day,
            TimeInForce::Gtc,
            TimeInForce::Ioc,
            TimeInForce::Fok,
        ] {
            assert_eq!(parse_tif(tif(t)), Some(t));
        }
        assert_eq!(parse_side("3"), None);
        assert_eq!(cxl_rej_response_to(CxlRejResponseTo::Replace), "2");
    }
}
