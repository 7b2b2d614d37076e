//! FIX helpers for tests that talk to a FIX peer over TCP: an application
//! forwarding every message into a channel, a client session (the
//! engine's initiator with that application), reading the next message within a bound, a
//! NewOrderSingle builder, and field getters that fail the test naming the
//! message ([`s`], [`u`], [`d`]).

use fix_engine::codec::{Message, MessageBuilder};
use fix_engine::session::{
    standard_validator, AppContext, AppReject, Application, Role, Session, SessionConfig,
};
use fix_engine::store::{MemoryStore, SeqState};
use fix_engine::transport::{start_initiator, InitiatorConfig, SessionHandle};
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Field `tag` as text.
pub fn s(m: &Message, tag: u32) -> &str {
    m.get_str(tag)
        .unwrap_or_else(|| panic!("tag {tag} missing in {m:?}"))
}

/// Field `tag` as an unsigned integer.
pub fn u(m: &Message, tag: u32) -> u64 {
    m.get_u64(tag)
        .unwrap_or_else(|| panic!("tag {tag} missing in {m:?}"))
}

/// Field `tag` as a decimal.
pub fn d(m: &Message, tag: u32) -> Decimal {
    Decimal::from_str(s(m, tag)).unwrap_or_else(|_| panic!("tag {tag} not a number in {m:?}"))
}

/// An application that forwards every message it receives.
struct Forward(mpsc::UnboundedSender<Message>);

impl Application for Forward {
    fn on_message(&mut self, _ctx: &mut AppContext<'_>, msg: &Message) -> Result<(), AppReject> {
        let _ = self.0.send(msg.clone());
        Ok(())
    }
}

/// An application for a test session that forwards every application
/// message into the returned channel.
pub fn forwarding_app() -> (Box<dyn Application>, mpsc::UnboundedReceiver<Message>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Box::new(Forward(tx)), rx)
}

/// Starts a FIX client session `sender -> target` in `begin_string`
/// (sequence numbers from 1, an in-memory store, the standard validator)
/// connecting as `cfg` says; returns its handle and the application
/// messages it receives. It has not logged on yet: see [`logged_on`].
pub fn forwarding_initiator(
    cfg: InitiatorConfig,
    begin_string: &str,
    sender: &str,
    target: &str,
) -> (SessionHandle, mpsc::UnboundedReceiver<Message>) {
    let (app, rx) = forwarding_app();
    let session_cfg = SessionConfig::new(begin_string, sender, target, Role::Initiator);
    let seq = SeqState {
        next_sender_seq: 1,
        next_target_seq: 1,
        creation_time: chrono::Utc::now(),
    };
    let session = Session::new(Arc::new(session_cfg), standard_validator(begin_string), seq);
    let handle = start_initiator(cfg, session, Box::new(MemoryStore::new()), app);
    (handle, rx)
}

/// Waits (at most `within`) until the session is logged on, or fails the
/// test naming `who`.
pub async fn logged_on(handle: &SessionHandle, who: &str, within: Duration) {
    tokio::time::timeout(within, handle.wait_for(|s| s.logged_on))
        .await
        .unwrap_or_else(|_| panic!("{who} did not log on within {within:?}"));
}

/// The next message on `rx` (at most `within`), printed as `who <- msg`,
/// or fails the test naming `who`.
pub async fn next_within(
    rx: &mut mpsc::UnboundedReceiver<Message>,
    who: &str,
    within: Duration,
) -> Message {
    let m = tokio::time::timeout(within, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("{who}: no message within {within:?}"))
        .unwrap_or_else(|| panic!("{who}: the session has ended"));
    eprintln!("{who} <- {m:?}");
    m
}

/// What a NewOrderSingle says; [`message`](Self::message) builds it.
#[derive(Clone, Copy, Debug)]
pub struct NewOrderSingle<'a> {
    pub cl_ord_id: &'a str,
    pub account: &'a str,
    pub symbol: &'a str,
    /// Side (54): `"1"` buy, `"2"` sell.
    pub side: &'a str,
    pub qty: u64,
    /// A limit price; `None`: a market order.
    pub price: Option<&'a str>,
    /// TimeInForce (59).
    pub tif: &'a str,
}

impl NewOrderSingle<'_> {
    /// The message: ClOrdID, Account, HandlInst 1, Symbol, Side, OrderQty,
    /// OrdType (2 with a price, else 1), Price, TimeInForce and a fixed
    /// TransactTime, in that order.
    pub fn message(&self) -> MessageBuilder {
        let mut m = MessageBuilder::new("D");
        m.field(11, self.cl_ord_id)
            .field(1, self.account)
            .field(21, "1");
        m.field(55, self.symbol).field(54, self.side);
        m.field_u64(38, self.qty)
            .field(40, if self.price.is_some() { "2" } else { "1" });
        if let Some(p) = self.price {
            m.field(44, p);
        }
        m.field(59, self.tif).field(60, "20260101-00:00:00");
        m
    }
}
