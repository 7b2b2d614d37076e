//! The matching engine: one limit order book per instrument, pure logic,
//! no IO, no clock (every command takes `now`).
//!
//! # Matching rules
//!
//! * **Price-time priority.** Bids are ordered highest price first, asks
//!   lowest first; within a price level orders queue first-in first-out.
//! * **Trade price** is always the resting (maker) order's price. The
//!   incoming order is the taker (liquidity *removed*); the resting one the
//!   maker (liquidity *added*).
//! * **Limit orders** match while the best opposite level is at or better
//!   than their limit; the rest then rests (DAY, GTC) at the back of its
//!   level, or is canceled (IOC, FOK).
//! * **Market orders** match against any price and never rest: DAY/GTC
//!   market orders behave as IOC; an unfilled remainder is canceled.
//! * **Price band.** When the book has price limits (LULD-style band set by
//!   the market state), no trade prints outside them: a buy stops at the
//!   upper limit, a sell at the lower one.
//! * **IOC** fills what it can now and cancels the rest.
//! * **FOK** is checked before any fill: if the whole quantity cannot be
//!   reached now, the order is acknowledged and canceled with nothing
//!   executed; otherwise it fills in full.
//! * **Iceberg (reserve) orders** show `display_qty` at a time. An incoming
//!   order fills against the displayed slice only; when the slice is
//!   exhausted and reserve remains, a new slice of `min(display, leaves)`
//!   is shown and joins the **back** of the queue at the same level, and
//!   matching continues at that level (so it can fill again after the
//!   orders that were behind it). An incoming iceberg matches its full
//!   quantity as a taker; only its resting remainder is sliced.
//! * **Cancel** removes the rest of a resting order (leaves go to zero).
//! * **Cancel/replace** keeps the same OrderId. Same price and quantity
//!   down or unchanged: the order keeps its queue position (leaves and the
//!   displayed slice shrink). Price change or quantity up: the order loses
//!   its position; if the new price crosses, it matches as a taker first,
//!   then rests at the back of the new level. The new quantity is the new
//!   total order quantity and must exceed what already executed.
//! * **Self-trade prevention** is the incoming order's account setting and
//!   applies when the taker meets a resting order of the same account:
//!   `CancelResting` cancels that resting order and keeps matching;
//!   `CancelIncoming` cancels the rest of the incoming order;
//!   `CancelBoth` cancels both. No trade prints between them in any mode.
//!   A resting order keeps its owner's mode: when a cancel/replace makes it
//!   an aggressor, the same rule applies (its remainder is canceled when
//!   the mode cancels the incoming side).
//! * **Expiry.** `expire_day_orders` ends every resting DAY order; GTC
//!   orders survive.
//!
//! # Invariants (checked by the property tests)
//!
//! Between commands the book is never crossed; every order's
//! `cum + leaves == order_qty` while live; total submitted quantity equals
//! filled + resting + canceled; each replenished iceberg slice is
//! `min(display, leaves)`.
//!
//! # Layout
//!
//! `levels.rs` holds the storage (slabs, intrusive FIFO lists, ordered
//! price maps), `book.rs` the rules, `order.rs` the requests, `events.rs`
//! what comes out.

mod book;
mod events;
mod levels;
mod order;

pub use book::{LevelView, OrderBook};
pub use events::{
    CancelReason, CancelRejectReason, ExecEvent, ExecKind, OrdStatus, Outputs, Trade,
};
pub use order::{BookReject, NewOrder, RestingOrder};

#[cfg(test)]
mod tests;
