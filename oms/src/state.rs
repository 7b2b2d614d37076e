//! The FIX order state machine as one transition table.
//!
//! Owns [`OrdStatus`] (FIX OrdStatus, 39), [`OrderEvent`] (what can happen
//! to an order) and [`OrdStatus::transition`], the single table of valid
//! `(state, event)` pairs; anything else is an [`InvalidTransition`]
//! carrying both. The same table drives client (parent) orders and venue
//! (child) orders. It does not own quantities: events that land in a
//! status that depends on quantities (a fill that may or may not complete
//! the order, a rejected cancel that returns to New or PartiallyFilled, a
//! bust) carry the facts the table needs.
//!
//! Two deliberate tolerances, for venue reports that cross on the wire:
//! a fill may arrive before the venue's New ack (PendingNew -> fill), and
//! a fill may arrive after a cancel or expiry was reported (the fill
//! happened first at the venue); such late fills, and corrections, keep
//! the terminal status unless they complete the order.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Order status (FIX OrdStatus, 39).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OrdStatus {
    /// Accepted by the OMS, not yet acknowledged by a venue (A).
    PendingNew,
    /// Working (0).
    New,
    /// Partly filled, still working (1).
    PartiallyFilled,
    /// Completely filled (2).
    Filled,
    /// A cancel is in flight (6).
    PendingCancel,
    /// Canceled (4).
    Canceled,
    /// A replace is in flight (E).
    PendingReplace,
    /// Replaced, working on its new terms (5; FIX 4.2 style).
    Replaced,
    /// Rejected (8).
    Rejected,
    /// Expired by its time in force (C).
    Expired,
    /// Done for the day (3).
    DoneForDay,
}

impl OrdStatus {
    /// Every status, for exhaustive tests.
    pub const ALL: [OrdStatus; 11] = [
        OrdStatus::PendingNew,
        OrdStatus::New,
        OrdStatus::PartiallyFilled,
        OrdStatus::Filled,
        OrdStatus::PendingCancel,
        OrdStatus::Canceled,
        OrdStatus::PendingReplace,
        OrdStatus::Replaced,
        OrdStatus::Rejected,
        OrdStatus::Expired,
        OrdStatus::DoneForDay,
    ];

    /// No further activity expected (filled, canceled, rejected, expired,
    /// done for day).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrdStatus::Filled
                | OrdStatus::Canceled
                | OrdStatus::Rejected
                | OrdStatus::Expired
                | OrdStatus::DoneForDay
        )
    }

    /// A cancel or replace is in flight.
    pub fn is_pending_change(self) -> bool {
        matches!(self, OrdStatus::PendingCancel | OrdStatus::PendingReplace)
    }

    /// Apply `event` to this status: the one transition table.
    pub fn transition(self, event: OrderEvent) -> Result<OrdStatus, InvalidTransition> {
        use OrdStatus as S;
        use OrderEvent as E;
        let working = |filled: bool| {
            if filled {
                S::PartiallyFilled
            } else {
                S::New
            }
        };
        let corrected = |cum_zero: bool, complete: bool| {
            if complete {
                S::Filled
            } else if cum_zero {
                S::New
            } else {
                S::PartiallyFilled
            }
        };
        let next = match (self, event) {
            // Awaiting the venue's acknowledgement.
            (S::PendingNew, E::Accepted) => S::New,
            (S::PendingNew, E::Rejected) => S::Rejected,
            (S::PendingNew, E::PartialFill) => S::PartiallyFilled,
            (S::PendingNew, E::Fill) => S::Filled,
            (S::PendingNew, E::CancelRequested) => S::PendingCancel,
            (S::PendingNew, E::Canceled) => S::Canceled,
            (S::PendingNew, E::Expired) => S::Expired,

            // Working: New, PartiallyFilled, Replaced behave alike.
            (S::New | S::PartiallyFilled | S::Replaced, E::PartialFill) => S::PartiallyFilled,
            (S::New | S::PartiallyFilled | S::Replaced, E::Fill) => S::Filled,
            (S::New | S::PartiallyFilled | S::Replaced, E::CancelRequested) => S::PendingCancel,
            (S::New | S::PartiallyFilled | S::Replaced, E::ReplaceRequested) => S::PendingReplace,
            (S::New | S::PartiallyFilled | S::Replaced, E::Canceled) => S::Canceled,
            (S::New | S::PartiallyFilled | S::Replaced, E::Expired) => S::Expired,
            (S::New | S::PartiallyFilled | S::Replaced, E::DoneForDay) => S::DoneForDay,
            (
                S::New | S::PartiallyFilled | S::Replaced | S::Filled,
                E::Corrected { cum_zero, complete },
            ) => corrected(cum_zero, complete),

            // A cancel in flight.
            (S::PendingCancel, E::Accepted) => S::PendingCancel,
            (S::PendingCancel, E::PartialFill) => S::PendingCancel,
            (S::PendingCancel, E::Fill) => S::Filled,
            (S::PendingCancel, E::Canceled) => S::Canceled,
            (S::PendingCancel, E::CancelRejected { filled }) => working(filled),
            (S::PendingCancel, E::Rejected) => S::Rejected,
            (S::PendingCancel, E::Expired) => S::Expired,
            (S::PendingCancel, E::DoneForDay) => S::DoneForDay,
            (S::PendingCancel, E::Corrected { complete, .. }) => {
                if complete {
                    S::Filled
                } else {
                    S::PendingCancel
                }
            }

            // A replace in flight.
            (S::PendingReplace, E::PartialFill) => S::PendingReplace,
            (S::PendingReplace, E::Fill) => S::Filled,
            (S::PendingReplace, E::Replaced) => S::Replaced,
            (S::PendingReplace, E::ReplaceRejected { filled }) => working(filled),
            (S::PendingReplace, E::Canceled) => S::Canceled,
            (S::PendingReplace, E::Expired) => S::Expired,
            (S::PendingReplace, E::DoneForDay) => S::DoneForDay,
            (S::PendingReplace, E::Corrected { complete, .. }) => {
                if complete {
                    S::Filled
                } else {
                    S::PendingReplace
                }
            }

            // Late fills and corrections on orders already closed.
            (S::Canceled | S::Expired | S::DoneForDay, E::PartialFill) => self,
            (S::Canceled | S::Expired | S::DoneForDay, E::Fill) => S::Filled,
            (S::Canceled | S::Expired | S::DoneForDay, E::Corrected { complete, .. }) => {
                if complete {
                    S::Filled
                } else {
                    self
                }
            }

            (state, event) => return Err(InvalidTransition { state, event }),
        };
        Ok(next)
    }
}

impl fmt::Display for OrdStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What can happen to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderEvent {
    /// Acknowledged (venue New ack).
    Accepted,
    /// Rejected before it worked.
    Rejected,
    /// A fill that leaves quantity open.
    PartialFill,
    /// A fill that completes the order.
    Fill,
    /// The client (or an operator) asked to cancel.
    CancelRequested,
    /// Canceled, asked for or not.
    Canceled,
    /// The cancel was refused; `filled` says whether any quantity is
    /// filled (to return to PartiallyFilled rather than New).
    CancelRejected {
        /// Some quantity is filled.
        filled: bool,
    },
    /// The client asked to replace.
    ReplaceRequested,
    /// The replace took effect.
    Replaced,
    /// The replace was refused.
    ReplaceRejected {
        /// Some quantity is filled.
        filled: bool,
    },
    /// Expired by time in force.
    Expired,
    /// Done for the day.
    DoneForDay,
    /// A trade was corrected or busted: the cumulative quantity is now
    /// zero (`cum_zero`) and/or equal to the order quantity (`complete`).
    Corrected {
        /// CumQty is now zero.
        cum_zero: bool,
        /// CumQty now equals OrderQty.
        complete: bool,
    },
}

/// An event that is not valid in the current state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid order transition: {event:?} in state {state}")]
pub struct InvalidTransition {
    /// The status the order was in.
    pub state: OrdStatus,
    /// The event that does not apply.
    pub event: OrderEvent,
}

#[cfg(test)]
mod tests {
    use super::OrdStatus as S;
    use super::OrderEvent as E;
    use super::*;

    fn all_events() -> Vec<OrderEvent> {
        let mut v = vec![
            E::Accepted,
            E::Rejected,
            E::PartialFill,
            E::Fill,
            E::CancelRequested,
            E::Canceled,
            E::ReplaceRequested,
            E::Replaced,
            E::Expired,
            E::DoneForDay,
        ];
        for filled in [false, true] {
            v.push(E::CancelRejected { filled });
            v.push(E::ReplaceRejected { filled });
        }
        for cum_zero in [false, true] {
            for complete in [false, true] {
                v.push(E::Corrected { cum_zero, complete });
            }
        }
        v
    }

    /// The expected table, written out independently of the
    /// implementation: every pair not listed must be invalid.
    fn expected(s: OrdStatus, e: OrderEvent) -> Option<OrdStatus> {
        let working = [S::New, S::PartiallyFilled, S::Replaced];
        let closed = [S::Canceled, S::Expired, S::DoneForDay];
        let corr = |cz: bool, c: bool| {
            if c {
                S::Filled
            } else if cz {
                S::New
            } else {
                S::PartiallyFilled
            }
        };
        match e {
            E::Accepted => match s {
                S::PendingNew => Some(S::New),
                S::PendingCancel => Some(S::PendingCancel),
                _ => None,
            },
            E::Rejected => match s {
                S::PendingNew | S::PendingCancel => Some(S::Rejected),
                _ => None,
            },
            E::PartialFill => match s {
                S::PendingNew => Some(S::PartiallyFilled),
                s if working.contains(&s) => Some(S::PartiallyFilled),
                S::PendingCancel | S::PendingReplace => Some(s),
                s if closed.contains(&s) => Some(s),
                _ => None,
            },
            E::Fill => match s {
                S::Filled | S::Rejected => None,
                _ => Some(S::Filled),
            },
            E::CancelRequested => match s {
                S::PendingNew => Some(S::PendingCancel),
                s if working.contains(&s) => Some(S::PendingCancel),
                _ => None,
            },
            E::Canceled => match s {
                S::PendingNew | S::PendingCancel | S::PendingReplace => Some(S::Canceled),
                s if working.contains(&s) => Some(S::Canceled),
                _ => None,
            },
            E::ReplaceRequested => working.contains(&s).then_some(S::PendingReplace),
            E::Replaced => (s == S::PendingReplace).then_some(S::Replaced),
            E::CancelRejected { filled } => {
                (s == S::PendingCancel).then_some(if filled { S::PartiallyFilled } else { S::New })
            }
            E::ReplaceRejected { filled } => {
                (s == S::PendingReplace).then_some(if filled { S::PartiallyFilled } else { S::New })
            }
            E::Expired => match s {
                S::PendingNew | S::PendingCancel | S::PendingReplace => Some(S::Expired),
                s if working.contains(&s) => Some(S::Expired),
                _ => None,
            },
            E::DoneForDay => match s {
                S::PendingCancel | S::PendingReplace => Some(S::DoneForDay),
                s if working.contains(&s) => Some(S::DoneForDay),
                _ => None,
            },
            E::Corrected { cum_zero, complete } => match s {
                S::Filled => Some(corr(cum_zero, complete)),
                s if working.contains(&s) => Some(corr(cum_zero, complete)),
                S::PendingCancel | S::PendingReplace => Some(if complete { S::Filled } else { s }),
                s if closed.contains(&s) => Some(if complete { S::Filled } else { s }),
                _ => None,
            },
        }
    }

    #[test]
    fn every_state_event_pair_matches_the_expected_table() {
        let mut valid = 0;
        let mut invalid = 0;
        for s in OrdStatus::ALL {
            for e in all_events() {
                match (s.transition(e), expected(s, e)) {
                    (Ok(got), Some(want)) => {
                        assert_eq!(got, want, "{s:?} + {e:?}");
                        valid += 1;
                    }
                    (Err(err), None) => {
                        assert_eq!(err, InvalidTransition { state: s, event: e });
                        invalid += 1;
                    }
                    (got, want) => panic!("{s:?} + {e:?}: got {got:?}, want {want:?}"),
                }
            }
        }
        assert!(
            valid > 60 && invalid > 60,
            "{valid} valid, {invalid} invalid"
        );
    }

    #[test]
    fn happy_path_and_typical_invalid_ones() {
        let s = S::PendingNew.transition(E::Accepted).unwrap();
        let s = s.transition(E::PartialFill).unwrap();
        assert_eq!(s, S::PartiallyFilled);
        let s = s.transition(E::CancelRequested).unwrap();
        let s = s.transition(E::CancelRejected { filled: true }).unwrap();
        assert_eq!(s, S::PartiallyFilled);
        assert_eq!(s.transition(E::Fill).unwrap(), S::Filled);
        let err = S::Filled.transition(E::CancelRequested).unwrap_err();
        assert_eq!(err.state, S::Filled);
        assert_eq!(
            err.to_string(),
            "invalid order transition: CancelRequested in state Filled"
        );
        assert!(S::Rejected.transition(E::Fill).is_err());
        assert!(S::PendingCancel.transition(E::CancelRequested).is_err());
        assert!(S::PendingNew.transition(E::ReplaceRequested).is_err());
    }

    #[test]
    fn terminal_statuses() {
        let terminal: Vec<_> = OrdStatus::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(terminal.len(), 5);
    }
}
