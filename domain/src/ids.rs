//! Identifiers: client order ids, order ids, execution ids, accounts,
//! venues and symbols, as the OMS and the gateway carry them.
//!
//! Each is a string newtype over `Arc<str>`: the gateway hands over
//! whatever the client or venue sent, and the OMS copies ids into reports,
//! maps and trade records, where an `Arc` clone is a reference count, not
//! an allocation. Serialised as plain strings (`#[serde(transparent)]`),
//! the shape the OMS journal has always used.
//!
//! Not here: risk's inline, `Copy`, length-bounded keys (its hot path
//! stores them without touching the heap; see `risk::types`) and the
//! simulated venue's packed integer order and execution ids.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Arc<str>);

        impl $name {
            /// Build from text.
            pub fn new(s: impl AsRef<str>) -> Self {
                $name(Arc::from(s.as_ref()))
            }
            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::new(s)
            }
        }
    };
}

string_id!(
    /// A client order id (FIX ClOrdID, 11). Changes on every cancel or
    /// replace request; the OMS also uses this type for the ClOrdIDs it
    /// gives its own child orders at venues.
    ClOrdId
);
string_id!(
    /// The OMS's order id (FIX OrderID, 37, on client reports), stable
    /// across a cancel/replace chain. Also used for the venue's order id.
    OrderId
);
string_id!(
    /// An execution id (FIX ExecID, 17): the OMS's own on client reports,
    /// the venue's on venue reports.
    ExecId
);
string_id!(
    /// A client account (FIX Account, 1).
    AccountId
);
string_id!(
    /// An execution venue (its FIX CompID or short code).
    VenueId
);
string_id!(
    /// An instrument symbol (FIX Symbol, 55).
    Symbol
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialize_as_plain_strings() {
        let c = ClOrdId::from("A1");
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"A1\"");
        assert_eq!(serde_json::from_str::<ClOrdId>("\"A1\"").unwrap(), c);
        assert_eq!(format!("{c:?}"), "ClOrdId(\"A1\")");
        assert_eq!(c.to_string(), "A1");
    }
}
