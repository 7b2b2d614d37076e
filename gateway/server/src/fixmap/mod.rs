//! FIX <-> OMS translation, the only place where the gateway's FIX and
//! the OMS's domain types meet, split by direction:
//!
//! - [`client`]: client order messages -> OMS events; OMS reports ->
//!   client ExecutionReports and OrderCancelRejects;
//! - [`venue`]: OMS child orders -> venue orders, cancels and replaces;
//!   venue reports -> OMS events;
//! - [`market_data`]: the gateway's market data subscription and the
//!   venues' snapshots and updates;
//! - [`codes`]: FIX codes of the domain enums, [`tags`]: the tag numbers
//!   and message types by name.

pub(crate) mod client;
pub(crate) mod codes;
pub(crate) mod market_data;
pub(crate) mod tags;
pub(crate) mod venue;

pub(crate) use client::{cancel_reject, client_event, edge_reject, exec_report};
pub(crate) use market_data::{market_data, md_request};
pub(crate) use venue::{venue_cancel, venue_events, venue_new, venue_replace};

use fix_engine::codec::time::{format_utc_string, TimePrecision};
use oms::Timestamp;

/// A UTCTimestamp field value (microseconds).
fn ts(t: Timestamp) -> String {
    let dt = chrono::DateTime::<chrono::Utc>::from_timestamp_nanos(t.0);
    format_utc_string(dt, TimePrecision::Micros)
}

#[cfg(test)]
pub(crate) mod test_support {
    use fix_engine::codec::{encode_message, Message, MessageBuilder};

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

    /// An ExecutionReport with `fields`.
    pub(crate) fn report(fields: &[(u32, &str)]) -> MessageBuilder {
        let mut b = MessageBuilder::new("8");
        for (t, v) in fields {
            b.field(*t, v);
        }
        b
    }
}
