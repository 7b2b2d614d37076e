//! An initiator and an acceptor [`Session`] wired to each other in memory
//! and run in virtual time (after quinn's `tests/util.rs` `Pair`): `step()`
//! delivers what each side wrote to the other and, when nothing is in
//! flight, jumps the clock to the earliest `poll_timeout()`. Minutes of
//! heartbeats, a cut connection and a recovery run in microseconds.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use fix_engine::codec::Message;
use fix_engine::session::{Action, Role, Session, SessionConfig};
use fix_engine::store::{SeqState, StoredMessage};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// One end of the pair.
struct Side {
    s: Session,
    app: Recorder,
    /// Persisted application messages by MsgSeqNum.
    store: BTreeMap<u64, Vec<u8>>,
    /// Bytes written by the other side, not yet read by this one.
    inbox: Vec<u8>,
    /// Every message this side wrote to the wire, in order.
    wrote: Vec<Message>,
    disconnects: Vec<String>,
    /// Fault injection: the next message this side writes is lost on the
    /// wire (as a garbled message the receiver ignores would be).
    drop_next: bool,
    dropped: Vec<Message>,
}

impl Side {
    fn new(cfg: SessionConfig) -> Self {
        let seq = SeqState {
            next_sender_seq: 1,
            next_target_seq: 1,
            creation_time: t0(),
        };
        Self {
            s: Session::new(Arc::new(cfg), None, seq),
            app: Recorder::default(),
            store: BTreeMap::new(),
            inbox: Vec::new(),
            wrote: Vec::new(),
            disconnects: Vec::new(),
            drop_next: false,
            dropped: Vec::new(),
        }
    }

    /// Carries out this side's actions; returns the bytes it wrote and
    /// whether it asked to disconnect.
    fn drain(&mut self, now: DateTime<Utc>, link_up: bool) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let mut closed = false;
        while let Some(a) = self.s.poll_action() {
            match a {
                Action::Send {
                    bytes,
                    persist,
                    seq,
                    ..
                } => {
                    if persist {
                        self.store.insert(seq, bytes.to_vec());
                    }
                    if link_up && !closed {
                        let m = Message::parse(bytes.clone()).expect("valid");
                        if std::mem::take(&mut self.drop_next) {
                            self.dropped.push(m);
                            continue;
                        }
                        self.wrote.push(m);
                        out.extend_from_slice(&bytes);
                    }
                }
                Action::LoadForResend { begin, end } => {
                    let msgs = self
                        .store
                        .range(begin..=end)
                        .map(|(&seq, raw)| StoredMessage {
                            seq,
                            raw: raw.clone(),
                        })
                        .collect();
                    self.s.handle_stored_messages(now, msgs, &mut self.app);
                }
                Action::ResetStore { .. } => self.store.clear(),
                Action::Disconnect { reason } => {
                    self.disconnects.push(reason);
                    closed = true;
                }
                Action::PersistTargetSeq(_) => {}
            }
        }
        (out, closed)
    }

    /// Messages written since index `from`, by type.
    fn types_since(&self, from: usize) -> Vec<String> {
        self.wrote[from..]
            .iter()
            .map(|m| m.msg_type_str().to_owned())
            .collect()
    }
}

/// An initiator (`a`, CompID BUY) and an acceptor (`b`, CompID SELL).
struct Pair {
    a: Side,
    b: Side,
    now: DateTime<Utc>,
    link_up: bool,
    steps: u64,
}

impl Pair {
    fn new(next_expected: bool) -> Self {
        let mut ca = SessionConfig::new("FIX.4.4", "BUY", "SELL", Role::Initiator);
        ca.heartbeat_interval = secs(30);
        ca.next_expected_msg_seq_num = next_expected;
        let mut cb = SessionConfig::new("FIX.4.4", "SELL", "BUY", Role::Acceptor);
        cb.next_expected_msg_seq_num = next_expected;
        Self {
            a: Side::new(ca),
            b: Side::new(cb),
            now: t0(),
            link_up: false,
            steps: 0,
        }
    }

    /// Opens the connection: the acceptor accepts, the initiator logs on.
    fn connect(&mut self) {
        assert!(!self.link_up);
        self.link_up = true;
        self.a.inbox.clear();
        self.b.inbox.clear();
        self.b.s.handle_connected(self.now, &mut self.b.app);
        self.a.s.handle_connected(self.now, &mut self.a.app);
    }

    /// Cuts the connection (a network failure): both sides see it closed.
    fn cut(&mut self) {
        self.link_up = false;
        self.a.inbox.clear();
        self.b.inbox.clear();
        self.a
            .s
            .handle_disconnected(self.now, "cut", &mut self.a.app);
        self.b
            .s
            .handle_disconnected(self.now, "cut", &mut self.b.app);
        self.drain();
    }

    /// Moves actions to the wire. Returns whether anything was written.
    fn drain(&mut self) -> bool {
        let mut any = false;
        loop {
            let (to_b, a_closed) = self.a.drain(self.now, self.link_up);
            let (to_a, b_closed) = self.b.drain(self.now, self.link_up);
            if to_b.is_empty() && to_a.is_empty() && !a_closed && !b_closed {
                return any;
            }
            any = true;
            self.b.inbox.extend_from_slice(&to_b);
            self.a.inbox.extend_from_slice(&to_a);
            if a_closed || b_closed {
                // What the closing side wrote before closing still arrives;
                // then the other side sees the connection end.
                self.link_up = false;
                self.deliver();
                self.a.inbox.clear();
                self.b.inbox.clear();
                let now = self.now;
                if !a_closed {
                    self.a
                        .s
                        .handle_disconnected(now, "peer closed", &mut self.a.app);
                }
                if !b_closed {
                    self.b
                        .s
                        .handle_disconnected(now, "peer closed", &mut self.b.app);
                }
            }
        }
    }

    fn deliver(&mut self) -> bool {
        let now = self.now;
        let mut any = false;
        for side in [&mut self.a, &mut self.b] {
            if !side.inbox.is_empty() {
                let bytes = std::mem::take(&mut side.inbox);
                side.s.handle_bytes(now, &bytes, &mut side.app);
                any = true;
            }
        }
        any
    }

    /// One step: carry out actions, deliver bytes in flight; if there are
    /// none, jump to the next timer (not beyond `limit`). Returns false when
    /// nothing can happen before `limit`.
    fn step(&mut self, limit: DateTime<Utc>) -> bool {
        self.steps += 1;
        assert!(self.steps < 100_000, "runaway pair");
        self.drain();
        if self.deliver() {
            return true;
        }
        let next = [self.a.s.poll_timeout(), self.b.s.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(t) if t <= limit => {
                self.now = self.now.max(t);
                let now = self.now;
                self.a.s.handle_timeout(now, &mut self.a.app);
                self.b.s.handle_timeout(now, &mut self.b.app);
                true
            }
            _ => false,
        }
    }

    /// Runs until `done` holds (checked between steps) or `max` of
    /// virtual time passes.
    fn run_until(&mut self, max: Duration, done: impl Fn(&Pair) -> bool) -> bool {
        let limit = self.now + max;
        loop {
            if done(self) {
                return true;
            }
            if !self.step(limit) {
                return done(self);
            }
        }
    }

    /// Runs for `d` of virtual time.
    fn run_for(&mut self, d: Duration) {
        let limit = self.now + d;
        while self.step(limit) {}
        self.now = limit;
    }

    /// Runs until nothing is in flight (timers not fired).
    fn settle(&mut self) {
        let now = self.now;
        while self.step(now) {}
    }

    fn logged_on(&self) -> bool {
        self.a.s.is_logged_on() && self.b.s.is_logged_on()
    }
}

#[test]
fn logon_handshake() {
    let mut p = Pair::new(false);
    p.connect();
    assert!(p.run_until(secs(1), Pair::logged_on));
    assert_eq!(p.a.types_since(0), ["A"]);
    assert_eq!(p.b.types_since(0), ["A"]);
    assert_msg(
        &p.a.wrote[0],
        "A",
        &[(49, "BUY"), (56, "SELL"), (108, "30")],
    );
    assert_msg(
        &p.b.wrote[0],
        "A",
        &[(49, "SELL"), (56, "BUY"), (108, "30")],
    );
    assert_eq!(p.b.s.heartbeat_interval(), secs(30));
    for s in [&p.a.s, &p.b.s] {
        assert_eq!((s.next_sender_seq(), s.next_target_seq()), (2, 2));
    }
    assert_eq!(p.now, t0(), "no virtual time needed");
}

#[test]
fn application_messages_both_ways() {
    let mut p = Pair::new(false);
    p.b.app.echo = true;
    p.connect();
    assert!(p.run_until(secs(1), Pair::logged_on));
    for i in 0..5 {
        p.a.s.send(p.now, order(&format!("O{i}")));
    }
    p.settle();
    let ids: Vec<String> = (0..5).map(|i| format!("O{i}")).collect();
    assert_eq!(p.b.app.cl_ord_ids(), ids);
    // The acceptor's echo comes back to the initiator, in order.
    assert_eq!(p.a.app.cl_ord_ids(), ids);
    let seqs: Vec<u64> =
        p.a.app
            .received
            .iter()
            .map(|m| m.seq_num().unwrap())
            .collect();
    assert_eq!(seqs, [2, 3, 4, 5, 6]);
    // And the acceptor sends on its own.
    p.b.s.send(p.now, order("FROM-B"));
    p.settle();
    assert_eq!(
        p.a.app.cl_ord_ids().last().map(String::as_str),
        Some("FROM-B")
    );
    assert_eq!(p.a.s.next_target_seq(), p.b.s.next_sender_seq());
    assert_eq!(p.b.s.next_target_seq(), p.a.s.next_sender_seq());
}

#[test]
fn heartbeats_over_simulated_minutes() {
    let mut p = Pair::new(false);
    p.connect();
    assert!(p.run_until(secs(1), Pair::logged_on));
    let started = std::time::Instant::now();
    p.run_for(secs(600));
    assert!(p.logged_on(), "still logged on after 10 minutes");
    for side in [&p.a, &p.b] {
        let types = side.types_since(1);
        assert!(types.iter().all(|t| t == "0"), "only heartbeats: {types:?}");
        // One every 30 s (give or take the first).
        assert!(
            (19..=20).contains(&types.len()),
            "{} heartbeats in 600 s",
            types.len()
        );
        assert!(side.disconnects.is_empty());
    }
    // Heartbeats 30 s apart on the acceptor side.
    let times: Vec<String> = p.b.wrote[1..].iter().map(|m| f(m, 52).to_owned()).collect();
    assert_eq!(times[0], ts(t0() + chrono::Duration::seconds(30)));
    assert_eq!(times[1], ts(t0() + chrono::Duration::seconds(60)));
    assert!(started.elapsed() < Duration::from_secs(2), "virtual time");
}

#[test]
fn silent_peer_is_tested_then_dropped() {
    let mut p = Pair::new(false);
    p.connect();
    assert!(p.run_until(secs(1), Pair::logged_on));
    // The acceptor stops reading and writing (a hung process): cut only
    // the direction acceptor -> initiator by dropping its actions.
    let t_hang = p.now;
    loop {
        while p.b.s.poll_action().is_some() {}
        let (to_b, _) = p.a.drain(p.now, true);
        drop(to_b);
        if !p.a.s.is_logged_on() {
            break;
        }
        let t = p.a.s.poll_timeout().expect("a timer while logged on");
        assert!(t - t_hang <= chrono::Duration::seconds(73));
        p.now = t;
        p.a.s.handle_timeout(t, &mut p.a.app);
    }
    let types = p.a.types_since(1);
    assert_eq!(types, ["0", "1"], "heartbeat, TestRequest, then nothing");
    assert_eq!(f(p.a.wrote.last().unwrap(), 112), "TEST");
    assert_eq!(p.a.disconnects, ["timed out waiting for a heartbeat"]);
    assert_eq!(p.now - t_hang, chrono::Duration::seconds(72));
}

/// Cut, messages on both sides while cut, reconnect: sequence numbers
/// resume and the missed messages arrive as possible duplicates.
fn recovery(next_expected: bool) -> Pair {
    let mut p = Pair::new(next_expected);
    p.connect();
    assert!(p.run_until(secs(1), Pair::logged_on));
    p.a.s.send(p.now, order("A-LIVE"));
    p.b.s.send(p.now, order("B-LIVE"));
    p.settle();
    p.cut();
    assert!(!p.a.s.is_logged_on() && !p.b.s.is_logged_on());

    p.now += chrono::Duration::seconds(5);
    for i in 1..=3 {
        p.b.s.send(p.now, order(&format!("B-MISSED-{i}")));
    }
    p.a.s.send(p.now, order("A-MISSED"));
    p.settle();
    assert_eq!(p.a.app.cl_ord_ids(), ["B-LIVE"]);
    assert_eq!(p.b.app.cl_ord_ids(), ["A-LIVE"]);
    assert_eq!(p.b.s.next_sender_seq(), 6);
    assert_eq!(p.a.s.next_sender_seq(), 4);

    p.now += chrono::Duration::seconds(5);
    let wa = p.a.wrote.len();
    p.connect();
    assert!(p.run_until(secs(5), |p| {
        p.logged_on() && p.a.app.received.len() == 4 && p.b.app.received.len() == 2
    }));
    p.settle();
    assert_eq!(
        p.a.app.cl_ord_ids(),
        ["B-LIVE", "B-MISSED-1", "B-MISSED-2", "B-MISSED-3"]
    );
    assert_eq!(p.b.app.cl_ord_ids(), ["A-LIVE", "A-MISSED"]);
    for (m, seq) in p.a.app.received[1..].iter().zip(3..) {
        assert_eq!(m.seq_num(), Some(seq));
        assert_eq!(m.get_str(43), Some("Y"), "resent: {}", show(m));
        assert_eq!(f(m, 122), ts(t0() + chrono::Duration::seconds(5)));
    }
    assert_eq!(p.b.app.received[1].get_str(43), Some("Y"));
    // Sequence numbers resumed (no reset) and agree.
    assert_eq!(p.a.s.next_target_seq(), p.b.s.next_sender_seq());
    assert_eq!(p.b.s.next_target_seq(), p.a.s.next_sender_seq());
    let logon_a = &p.a.wrote[wa];
    assert_msg(logon_a, "A", &[(34, "4")]);
    assert!(!logon_a.has(141));
    // New traffic flows normally afterwards.
    let before = p.a.app.received.len();
    p.b.s.send(p.now, order("B-AFTER"));
    p.settle();
    let m = &p.a.app.received[before];
    assert_eq!(m.get_str(11), Some("B-AFTER"));
    assert!(!m.has(43));
    p
}

#[test]
fn reconnect_resumes_sequence_numbers_and_resends_missed_messages() {
    let p = recovery(false);
    // Recovery by ResendRequest in both directions.
    assert!(p.a.wrote.iter().any(|m| m.msg_type() == b"2"));
    assert!(p.b.wrote.iter().any(|m| m.msg_type() == b"2"));
    let rr: Vec<_> = p.a.wrote.iter().filter(|m| m.msg_type() == b"2").collect();
    assert_msg(rr[0], "2", &[(7, "3"), (16, "0")]);
}

#[test]
fn reconnect_with_next_expected_msg_seq_num() {
    let p = recovery(true);
    // The Logons carry what each side expects next, and each side replays
    // from the other's NextExpectedMsgSeqNum (no duplicate reached the
    // applications: `recovery` checked the exact lists).
    let logons_a: Vec<_> = p.a.wrote.iter().filter(|m| m.msg_type() == b"A").collect();
    let logons_b: Vec<_> = p.b.wrote.iter().filter(|m| m.msg_type() == b"A").collect();
    assert_msg(logons_a[0], "A", &[(34, "1"), (789, "1")]);
    assert_msg(logons_b[0], "A", &[(34, "1"), (789, "2")]);
    assert_msg(logons_a[1], "A", &[(34, "4"), (789, "3")]);
    // The initiator's Logon (4) is too high for the acceptor, which still
    // expects 3.
    assert_msg(logons_b[1], "A", &[(34, "6"), (789, "3")]);
}

#[test]
fn clean_logon_with_next_expected_msg_seq_num_sends_nothing_else() {
    let mut p = Pair::new(true);
    p.connect();
    assert!(p.run_until(secs(1), Pair::logged_on));
    p.settle();
    assert_eq!(p.a.types_since(0), ["A"]);
    assert_eq!(p.b.types_since(0), ["A"]);
    assert_msg(&p.a.wrote[0], "A", &[(789, "1")]);
    assert_msg(&p.b.wrote[0], "A", &[(789, "2")]);
}

#[test]
fn a_lost_message_is_detected_and_resent() {
    let mut p = Pair::new(false);
    p.connect();
    assert!(p.run_until(secs(1), Pair::logged_on));
    p.b.s.send(p.now, order("B1"));
    p.settle();
    p.b.drop_next = true;
    p.b.s.send(p.now, order("B2-LOST"));
    p.settle();
    assert_eq!(p.a.app.cl_ord_ids(), ["B1"]);
    p.b.s.send(p.now, order("B3"));
    p.settle();
    assert_eq!(p.a.app.cl_ord_ids(), ["B1", "B2-LOST", "B3"]);
    assert_eq!(p.a.app.received[1].get_str(43), Some("Y"));
    assert!(p.a.app.received[2].get_str(43).is_none());
    let rr: Vec<_> = p.a.wrote.iter().filter(|m| m.msg_type() == b"2").collect();
    assert_eq!(rr.len(), 1);
    assert_msg(rr[0], "2", &[(7, "3"), (16, "0")]);
}

/// One step of the model test below.
#[derive(Debug, Clone)]
enum Op {
    SendA,
    SendB,
    /// Lose the next message side a (true) or b (false) writes.
    Drop(bool),
    Advance(u64),
    Reconnect,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::SendA),
        4 => Just(Op::SendB),
        2 => any::<bool>().prop_map(Op::Drop),
        2 => (1u64..100).prop_map(Op::Advance),
        1 => Just(Op::Reconnect),
    ]
}

impl Pair {
    fn reconnect(&mut self) {
        if self.link_up {
            self.cut();
        }
        self.now += chrono::Duration::seconds(1);
        self.connect();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever is lost on the wire, cut or delayed, once the pair has had
    /// time to recover every application message has reached the other
    /// side exactly once, in order, and the sequence numbers agree.
    #[test]
    fn every_message_arrives_once_in_order_whatever_is_lost(
        ops in proptest::collection::vec(op(), 1..40),
        next_expected in any::<bool>(),
    ) {
        let mut p = Pair::new(next_expected);
        p.connect();
        prop_assert!(p.run_until(secs(1), Pair::logged_on));
        let (mut sent_a, mut sent_b) = (Vec::new(), Vec::new());
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::SendA => {
                    let id = format!("A{i}");
                    p.a.s.send(p.now, order(&id));
                    sent_a.push(id);
                }
                Op::SendB => {
                    let id = format!("B{i}");
                    p.b.s.send(p.now, order(&id));
                    sent_b.push(id);
                }
                Op::Drop(a) => {
                    if *a { p.a.drop_next = true } else { p.b.drop_next = true }
                }
                Op::Advance(n) => p.run_for(secs(*n)),
                Op::Reconnect => p.reconnect(),
            }
            p.settle();
        }
        p.a.drop_next = false;
        p.b.drop_next = false;
        // Recovery: timers run; a session that gave up is reconnected.
        let done = |p: &Pair, sa: &[String], sb: &[String]| {
            p.logged_on() && p.b.app.cl_ord_ids() == sa && p.a.app.cl_ord_ids() == sb
        };
        for _ in 0..6 {
            if done(&p, &sent_a, &sent_b) {
                break;
            }
            if !p.logged_on() {
                p.reconnect();
            }
            p.run_until(secs(200), |p| done(p, &sent_a, &sent_b));
        }
        prop_assert_eq!(p.b.app.cl_ord_ids(), sent_a, "a -> b (lost: {:?})", p.a.dropped);
        prop_assert_eq!(p.a.app.cl_ord_ids(), sent_b, "b -> a (lost: {:?})", p.b.dropped);
        prop_assert!(p.logged_on());
        p.settle();
        p.run_for(secs(100));
        prop_assert!(p.logged_on());
        prop_assert_eq!(p.a.s.next_target_seq(), p.b.s.next_sender_seq());
        prop_assert_eq!(p.b.s.next_target_seq(), p.a.s.next_sender_seq());
    }
}
