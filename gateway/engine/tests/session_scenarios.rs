//! Scenario tests for the FIX session-level test cases, driving the sans-IO
//! [`Session`] directly with a fake clock: nothing here sleeps or opens a
//! socket. Each test names the case it covers (the numbering of the FIX
//! session test-case list, as in QuickFIX's acceptance scripts), and
//! asserts the exact fields of what the session sends.

mod common;

use common::*;
use fix_engine::codec::Message;
use fix_engine::session::{
    AppReject, BusinessRejectReason, MessageValidator, Rejection, SessionConfig, SessionEvent,
    SessionRejectReason, Tag, TooLowAction,
};
use std::collections::BTreeMap;
use std::sync::Arc;

const ORDER: &[(u32, &str)] = &[(21, "3"), (40, "1"), (54, "1"), (55, "INTC")];

/// A NewOrderSingle from the peer with ClOrdID `id` and the next seq.
fn peer_order(h: &mut Harness, id: &str) {
    let mut fields = vec![(11, id)];
    fields.extend_from_slice(ORDER);
    h.peer_sends("D", &fields);
}

fn order_bytes(h: &mut Harness, id: &str, seq: u64, poss_dup: bool) -> Vec<u8> {
    let now = h.now;
    let mut o = h.peer.build("D").seq(seq).at(now).field(11, id);
    for (t, v) in ORDER {
        o = o.field(*t, v);
    }
    if poss_dup {
        o = o.poss_dup(Some(now - chrono::Duration::seconds(5)));
    }
    o.encode()
}

fn event_reasons(h: &Harness) -> Vec<String> {
    h.app
        .events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Ignored { reason } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------- logon --

#[test]
fn logon_1a_valid_logon_is_answered_with_a_logon() {
    let mut h = Harness::acceptor();
    h.connect();
    h.assert_silent();
    h.peer_sends("A", &[(98, "0"), (108, "30")]);
    let m = h.take_one();
    assert_msg(
        &m,
        "A",
        &[
            (8, "FIX.4.4"),
            (34, "1"),
            (49, "ISLD"),
            (56, "TW44"),
            (98, "0"),
            (108, "30"),
        ],
    );
    assert_eq!(f(&m, 52), ts(h.now));
    assert!(!m.has(141) && !m.has(789));
    assert!(h.s.is_logged_on());
    assert_eq!((h.s.next_sender_seq(), h.s.next_target_seq()), (2, 2));
    assert_eq!(h.s.heartbeat_interval(), secs(30));
    assert!(h
        .app
        .events
        .contains(&SessionEvent::LoggedOn { reset: false }));
    assert_eq!(h.app.logons, 1);
    h.assert_store_in_sync();
}

#[test]
fn logon_1a_seq_too_high_answers_then_requests_the_gap() {
    let mut h = Harness::acceptor();
    h.connect();
    h.peer.next_seq = 5;
    h.peer_sends("A", &[(98, "0"), (108, "30")]);
    let out = h.take();
    assert_eq!(out.len(), 2, "{out:?}");
    assert_msg(&out[0], "A", &[(34, "1"), (108, "30")]);
    assert_msg(&out[1], "2", &[(34, "2"), (7, "1"), (16, "0")]);
    assert!(h.s.is_logged_on());
    assert_eq!(h.s.next_target_seq(), 1);

    // The peer gap-fills 1..4; the queued Logon (5) is then consumed.
    let now = h.now;
    let gf = h
        .peer
        .build("4")
        .seq(1)
        .poss_dup(Some(now))
        .field(36, "5")
        .field(123, "Y")
        .at(now)
        .encode();
    h.recv(&gf);
    h.assert_silent();
    assert_eq!(h.s.next_target_seq(), 6);
    h.peer.next_seq = 6;
    h.peer_sends("1", &[(112, "AFTER")]);
    assert_msg(&h.take_one(), "0", &[(34, "3"), (112, "AFTER")]);
    h.assert_store_in_sync();
}

#[test]
fn logon_reset_seq_num_flag_mid_session_resets_both_sides() {
    // SessionReset: 141=Y with MsgSeqNum 1 on a live session.
    let mut h = Harness::logged_on();
    for _ in 2..=9 {
        h.peer_sends("0", &[]);
    }
    h.peer_sends("1", &[(112, "1")]);
    assert_msg(&h.take_one(), "0", &[(34, "2"), (112, "1")]);
    assert_eq!(h.s.next_target_seq(), 11);

    h.peer.next_seq = 1;
    h.peer_sends("A", &[(98, "0"), (108, "30"), (141, "Y")]);
    let m = h.take_one();
    assert_msg(&m, "A", &[(34, "1"), (98, "0"), (108, "30"), (141, "Y")]);
    assert_eq!(h.store_resets, 1);
    assert!(h
        .app
        .events
        .contains(&SessionEvent::LoggedOn { reset: true }));
    h.peer_sends("1", &[(112, "1")]);
    assert_msg(&h.take_one(), "0", &[(34, "2"), (112, "1")]);
    assert_eq!((h.s.next_sender_seq(), h.s.next_target_seq()), (3, 3));
    h.assert_store_in_sync();
}

#[test]
fn logon_reset_flag_with_seq_other_than_1_is_refused() {
    let mut h = Harness::acceptor();
    h.connect();
    h.peer.next_seq = 5;
    h.peer_sends("A", &[(98, "0"), (108, "30"), (141, "Y")]);
    h.assert_silent();
    assert_eq!(
        h.disconnects,
        vec!["ResetSeqNumFlag=Y requires MsgSeqNum=1, received 5".to_owned()]
    );
    assert!(!h.s.is_logged_on());
    assert_eq!(h.store_resets, 0, "no reset acted on");
    assert_eq!(h.app.logons, 0);
}

#[test]
fn logon_reset_flag_with_seq_other_than_1_mid_session_logs_out() {
    let mut h = Harness::logged_on();
    h.peer.next_seq = 3;
    h.peer_sends("A", &[(98, "0"), (108, "30"), (141, "Y")]);
    let text = "ResetSeqNumFlag=Y requires MsgSeqNum=1, received 3";
    assert_msg(&h.take_one(), "5", &[(34, "2"), (58, text)]);
    assert_eq!(h.disconnects, vec![text.to_owned()]);
    assert_eq!(h.store_resets, 0);
}

#[test]
fn logon_1e_first_message_not_logon_disconnects() {
    let mut h = Harness::acceptor();
    h.connect();
    h.peer_sends("0", &[]);
    h.assert_silent();
    assert_eq!(
        h.disconnects,
        vec!["first message is not a Logon".to_owned()]
    );
    assert!(!h.s.is_logged_on());
}

#[test]
fn logon_1d_bad_sending_time_disconnects_without_answer() {
    let mut h = Harness::acceptor();
    h.connect();
    let m = h
        .peer
        .build("A")
        .field(98, "0")
        .field(108, "30")
        .sending_time_raw("20010101-00:00:00")
        .encode();
    h.recv(&m);
    h.assert_silent();
    assert_eq!(
        h.disconnects,
        vec!["Logon refused: SendingTime accuracy problem".to_owned()]
    );
    assert!(!h.s.is_logged_on());
}

#[test]
fn logon_with_reset_flag_and_bad_sending_time_does_not_reset_the_store() {
    // 141=Y is acted on only after the Logon is accepted: a refused Logon
    // leaves the sequence numbers (and the stored messages) alone.
    let mut h = Harness::logged_on();
    h.app_sends(order("KEEP"));
    h.peer_sends("0", &[]);
    h.take();
    h.s.handle_disconnected(h.now, "test", &mut h.app);
    h.connected = false;
    h.connect();
    let (sender, target) = (h.s.next_sender_seq(), h.s.next_target_seq());
    let m = h
        .peer
        .build("A")
        .seq(1)
        .field(98, "0")
        .field(108, "30")
        .field(141, "Y")
        .sending_time_raw("20010101-00:00:00")
        .encode();
    h.recv(&m);
    h.assert_silent();
    assert!(h.disconnected());
    assert_eq!(h.store_resets, 0, "refused Logon must not reset the store");
    assert_eq!(
        (h.s.next_sender_seq(), h.s.next_target_seq()),
        (sender, target)
    );
    assert!(h.store.contains_key(&2));
}

#[test]
fn logon_1c_wrong_comp_id_disconnects_without_answer() {
    let mut h = Harness::acceptor();
    h.connect();
    let now = h.now;
    let m = h
        .peer
        .build("A")
        .sender("WT")
        .field(98, "0")
        .field(108, "30")
        .at(now)
        .encode();
    h.recv(&m);
    h.assert_silent();
    assert_eq!(
        h.disconnects,
        vec!["Logon refused: CompID problem".to_owned()]
    );
}

#[test]
fn logon_fixt_without_default_appl_ver_id_disconnects() {
    let mut h = Harness::new(acceptor_cfg("FIXT.1.1"));
    h.connect();
    h.peer_sends("A", &[(98, "0"), (108, "30")]);
    h.assert_silent();
    assert_eq!(
        h.disconnects,
        vec!["FIXT Logon without DefaultApplVerID (1137)".to_owned()]
    );

    let mut h = Harness::new(acceptor_cfg("FIXT.1.1"));
    h.connect();
    h.peer_sends("A", &[(98, "0"), (108, "30"), (1137, "9")]);
    assert_msg(
        &h.take_one(),
        "A",
        &[(8, "FIXT.1.1"), (56, "TW50SP2"), (1137, "9")],
    );
}

#[test]
fn logon_refused_by_the_application_logs_out_with_its_text() {
    let mut h = Harness::acceptor();
    h.app.refuse_logon = Some("unknown client".into());
    h.connect();
    h.peer_sends("A", &[(98, "0"), (108, "30")]);
    assert_msg(&h.take_one(), "5", &[(34, "1"), (58, "unknown client")]);
    assert_eq!(
        h.disconnects,
        vec!["Logon refused: unknown client".to_owned()]
    );
    assert!(!h.s.is_logged_on());
}

#[test]
fn logon_timeout_disconnects_a_silent_connection() {
    let mut h = Harness::acceptor();
    h.connect();
    h.advance(secs(9));
    assert!(!h.disconnected());
    h.advance(secs(1));
    assert_eq!(
        h.disconnects,
        vec!["no Logon received within the logon timeout".to_owned()]
    );
    h.assert_silent();
}

#[test]
fn second_logon_without_reset_is_rejected() {
    let mut h = Harness::logged_on();
    h.peer_sends("A", &[(98, "0"), (108, "30")]);
    assert_msg(
        &h.take_one(),
        "3",
        &[
            (45, "2"),
            (372, "A"),
            (373, "99"),
            (58, "Logon received while already logged on"),
        ],
    );
    assert!(h.s.is_logged_on());
}

// ------------------------------------------- heartbeats, test requests --

#[test]
fn heartbeat_4a_sent_when_heartbtint_elapses() {
    let mut h = Harness::logged_on();
    h.advance(secs(29));
    h.assert_silent();
    h.advance(secs(1));
    let m = h.take_one();
    assert_msg(&m, "0", &[(34, "2")]);
    assert!(!m.has(112));
    assert_eq!(f(&m, 52), ts(t0() + chrono::Duration::seconds(30)));
    // The peer keeps talking: we keep sending heartbeats every 30 s.
    h.peer_sends("0", &[]);
    h.advance(secs(30));
    assert_msg(&h.take_one(), "0", &[(34, "3")]);
    h.assert_store_in_sync();
}

#[test]
fn heartbeat_6_test_request_after_silence_then_disconnect() {
    let mut h = Harness::logged_on();
    h.advance(secs(30));
    assert_msg(&h.take_one(), "0", &[(34, "2")]);
    // 1.5 x HeartBtInt without input: TestRequest "TEST".
    h.advance(secs(14));
    h.assert_silent();
    h.advance(secs(1));
    let m = h.take_one();
    assert_msg(&m, "1", &[(34, "3"), (112, "TEST")]);
    assert_eq!(f(&m, 52), ts(t0() + chrono::Duration::seconds(45)));
    // 2.4 x HeartBtInt: disconnect, with no Logout.
    h.advance(secs(26));
    assert!(!h.disconnected());
    h.advance(secs(1));
    h.assert_silent();
    assert_eq!(
        h.disconnects,
        vec!["timed out waiting for a heartbeat".to_owned()]
    );
    assert!(!h.s.is_logged_on());
}

#[test]
fn heartbeat_answering_our_test_request_keeps_the_session() {
    let mut h = Harness::logged_on();
    h.advance(secs(45));
    let out = h.take();
    assert_eq!(out.len(), 2);
    assert_msg(&out[1], "1", &[(112, "TEST")]);
    h.advance(secs(5));
    h.peer_sends("0", &[(112, "TEST")]);
    h.assert_silent();
    // Input at 50 s: next heartbeat from us at 75 s (30 s after our last
    // send), and no timeout before 50 + 72 s.
    h.advance(secs(24));
    h.assert_silent();
    h.advance(secs(1));
    assert_msg(&h.take_one(), "0", &[(34, "4")]);
    h.peer_sends("0", &[]);
    h.advance(secs(60));
    assert!(!h.disconnected());
}

#[test]
fn test_request_4b_is_answered_with_its_id() {
    let mut h = Harness::logged_on();
    h.peer_sends("1", &[(112, "HELLO")]);
    assert_msg(&h.take_one(), "0", &[(34, "2"), (112, "HELLO")]);
    assert_eq!(h.s.next_target_seq(), 3);
}

// ------------------------------------------------------ sequence gaps --

#[test]
fn seq_2b_too_high_is_queued_requested_and_processed_in_order() {
    let mut h = Harness::logged_on();
    peer_order(&mut h, "O2");
    h.peer.next_seq = 5;
    peer_order(&mut h, "O5");
    assert_msg(&h.take_one(), "2", &[(34, "2"), (7, "3"), (16, "0")]);
    assert_eq!(h.app.cl_ord_ids(), vec!["O2"]);
    assert_eq!(h.s.next_target_seq(), 3);

    // The peer resends 3 and 4 as possible duplicates.
    let m3 = order_bytes(&mut h, "O3", 3, true);
    h.recv(&m3);
    assert_eq!(h.app.cl_ord_ids(), vec!["O2", "O3"]);
    let m4 = order_bytes(&mut h, "O4", 4, true);
    h.recv(&m4);
    h.assert_silent();
    assert_eq!(h.app.cl_ord_ids(), vec!["O2", "O3", "O4", "O5"]);
    assert_eq!(h.app.received[1].get_str(43), Some("Y"));
    assert_eq!(h.s.next_target_seq(), 6);
    // Gap closed: the next gap is asked for afresh.
    h.peer.next_seq = 8;
    h.peer_sends("0", &[]);
    assert_msg(&h.take_one(), "2", &[(7, "6"), (16, "0")]);
    h.assert_store_in_sync();
}

#[test]
fn seq_2b_heartbeats_too_high_then_gap_sent() {
    let mut h = Harness::logged_on();
    for _ in 2..=4 {
        h.peer_sends("0", &[]);
    }
    h.peer.next_seq = 10;
    h.peer_sends("0", &[]);
    assert_msg(&h.take_one(), "2", &[(34, "2"), (7, "5"), (16, "0")]);
    h.peer.next_seq = 5;
    for _ in 5..=9 {
        h.peer_sends("0", &[]);
    }
    h.assert_silent();
    assert_eq!(h.s.next_target_seq(), 11);
    h.peer_sends("5", &[]);
    assert_msg(&h.take_one(), "5", &[(34, "3")]);
}

#[test]
fn seq_too_high_with_max_resend_range_asks_in_chunks() {
    let mut cfg = acceptor_cfg("FIX.4.4");
    cfg.max_resend_request_range = 3;
    let mut h = Harness::new(cfg);
    h.logon(30);
    h.peer.next_seq = 9;
    h.peer_sends("0", &[]);
    assert_msg(&h.take_one(), "2", &[(7, "2"), (16, "4")]);
    h.peer.next_seq = 2;
    for _ in 2..=4 {
        h.peer_sends("0", &[]);
    }
    assert_msg(&h.take_one(), "2", &[(7, "5"), (16, "7")]);
    for _ in 5..=7 {
        h.peer_sends("0", &[]);
    }
    // The gap was 2..8: the last chunk is 8 alone.
    assert_msg(&h.take_one(), "2", &[(7, "8"), (16, "8")]);
    h.peer_sends("0", &[]); // 8, then the queued 9
    h.assert_silent();
    assert_eq!(h.s.next_target_seq(), 10);
}

#[test]
fn seq_2c_too_low_without_poss_dup_logs_out_and_disconnects() {
    let mut h = Harness::logged_on();
    for _ in 2..=4 {
        h.peer_sends("0", &[]);
    }
    h.peer.next_seq = 2;
    h.peer_sends("0", &[]);
    let text = "MsgSeqNum too low, expecting 5 but received 2";
    assert_msg(&h.take_one(), "5", &[(34, "2"), (58, text)]);
    assert_eq!(h.disconnects, vec![text.to_owned()]);
}

#[test]
fn seq_too_low_reject_then_logout_variant() {
    let mut cfg = acceptor_cfg("FIX.4.4");
    cfg.too_low_action = TooLowAction::RejectThenLogout;
    let mut h = Harness::new(cfg);
    h.logon(30);
    for _ in 2..=4 {
        h.peer_sends("0", &[]);
    }
    h.peer.next_seq = 2;
    h.peer_sends("0", &[]);
    let text = "MsgSeqNum too low, expecting 5 but received 2";
    let out = h.take();
    assert_eq!(out.len(), 2, "{out:?}");
    assert_msg(
        &out[0],
        "3",
        &[
            (34, "2"),
            (45, "2"),
            (372, "0"),
            (373, "99"),
            (371, "34"),
            (58, text),
        ],
    );
    assert_msg(&out[1], "5", &[(34, "3"), (58, text)]);
    assert_eq!(h.disconnects, vec![text.to_owned()]);
}

#[test]
fn seq_2e_poss_dup_already_received_is_ignored() {
    let mut h = Harness::logged_on();
    h.peer_sends("0", &[]);
    let now = h.now;
    let dup = h
        .peer
        .build("0")
        .seq(2)
        .poss_dup(Some(now))
        .field(112, "X")
        .at(now)
        .encode();
    h.recv(&dup);
    h.assert_silent();
    assert!(!h.disconnected());
    assert_eq!(h.s.next_target_seq(), 3);
    assert!(event_reasons(&h)
        .iter()
        .any(|r| r == "duplicate MsgSeqNum 2 (PossDupFlag=Y)"));
    h.peer_sends("5", &[]);
    assert_msg(&h.take_one(), "5", &[(34, "2")]);
}

#[test]
fn seq_2g_poss_dup_without_orig_sending_time_is_rejected() {
    let mut h = Harness::logged_on();
    peer_order(&mut h, "ID");
    peer_order(&mut h, "ID");
    let now = h.now;
    let mut o = h
        .peer
        .build("D")
        .seq(2)
        .poss_dup(None)
        .at(now)
        .field(11, "ID");
    for (t, v) in ORDER {
        o = o.field(*t, v);
    }
    let m = o.encode();
    h.recv(&m);
    assert_msg(
        &h.take_one(),
        "3",
        &[
            (34, "2"),
            (45, "2"),
            (58, "Required tag missing"),
            (371, "122"),
            (372, "D"),
            (373, "1"),
        ],
    );
    // The sequence number is not consumed.
    assert_eq!(h.s.next_target_seq(), 4);
    h.peer_sends("1", &[(112, "HELLO")]);
    assert_msg(&h.take_one(), "0", &[(34, "3"), (112, "HELLO")]);
    assert_eq!(h.app.received.len(), 2);
}

#[test]
fn seq_2f_orig_sending_time_after_sending_time_rejects_and_logs_out() {
    let mut h = Harness::logged_on();
    peer_order(&mut h, "ID");
    peer_order(&mut h, "ID");
    let now = h.now;
    let mut o = h
        .peer
        .build("D")
        .seq(2)
        .poss_dup(Some(now + chrono::Duration::seconds(10)))
        .at(now)
        .field(11, "ID");
    for (t, v) in ORDER {
        o = o.field(*t, v);
    }
    let m = o.encode();
    h.recv(&m);
    let out = h.take();
    assert_eq!(out.len(), 2, "{out:?}");
    assert_msg(
        &out[0],
        "3",
        &[
            (34, "2"),
            (45, "2"),
            (58, "SendingTime accuracy problem"),
            (372, "D"),
            (373, "10"),
        ],
    );
    assert!(!out[0].has(371));
    assert_msg(&out[1], "5", &[(34, "3")]);
    assert!(!out[1].has(58));
    h.peer_sends("5", &[]);
    h.assert_silent();
    assert!(h.disconnected());
}

// ------------------------------------------------------------- resend --

/// Our messages 2..9 as in the acceptance case 8: heartbeats 2-4, orders
/// 5-6, heartbeats 7-8, order 9. Returns the SendingTime of each order.
fn with_history(cfg: SessionConfig) -> (Harness, BTreeMap<u64, String>) {
    let mut h = Harness::new(cfg);
    h.logon(30);
    let mut times = BTreeMap::new();
    let tick = |h: &mut Harness| h.now += chrono::Duration::seconds(1);
    for _ in 0..3 {
        tick(&mut h);
        h.peer_sends("1", &[(112, "HELLO")]);
    }
    for sym in ["INTC", "CDG"] {
        tick(&mut h);
        let mut o = order("ID");
        o.field(100, sym);
        h.app_sends(o);
    }
    for _ in 0..2 {
        tick(&mut h);
        h.peer_sends("1", &[(112, "HELLO")]);
    }
    tick(&mut h);
    let mut o = order("ID");
    o.field(100, "IVP");
    h.app_sends(o);
    let out = h.take();
    let types: Vec<&str> = out.iter().map(|m| m.msg_type_str()).collect();
    assert_eq!(types, ["0", "0", "0", "D", "D", "0", "0", "D"]);
    for m in &out {
        if m.msg_type() == b"D" {
            times.insert(m.seq_num().unwrap(), f(m, 52).to_owned());
        }
    }
    h.now += chrono::Duration::seconds(5);
    (h, times)
}

fn assert_gap_fill(m: &Message, seq: &str, new_seq: &str) {
    assert_msg(m, "4", &[(34, seq), (43, "Y"), (36, new_seq), (123, "Y")]);
    assert!(m.has(122), "gap fill without OrigSendingTime: {}", show(m));
}

fn assert_resent(m: &Message, seq: u64, times: &BTreeMap<u64, String>, sym: &str) {
    let s = seq.to_string();
    assert_msg(
        m,
        "D",
        &[
            (34, s.as_str()),
            (43, "Y"),
            (122, times[&seq].as_str()),
            (49, "ISLD"),
            (56, "TW44"),
            (11, "ID"),
            (55, "INTC"),
            (100, sym),
        ],
    );
    assert_ne!(f(m, 52), times[&seq], "SendingTime is the resend's");
}

fn assert_full_replay(out: &[Message], times: &BTreeMap<u64, String>) {
    assert_eq!(out.len(), 5, "{out:?}");
    assert_gap_fill(&out[0], "2", "5");
    assert_resent(&out[1], 5, times, "INTC");
    assert_resent(&out[2], 6, times, "CDG");
    assert_gap_fill(&out[3], "7", "9");
    assert_resent(&out[4], 9, times, "IVP");
}

#[test]
fn resend_8_admin_only_range_is_one_gap_fill() {
    let (mut h, _) = with_history(acceptor_cfg("FIX.4.4"));
    h.peer_sends("2", &[(7, "2"), (16, "4")]);
    assert_gap_fill(&h.take_one(), "2", "5");
    assert_eq!(h.send_log.last(), Some(&(2, false, true)));
}

#[test]
fn resend_8_admin_then_application_messages() {
    let (mut h, times) = with_history(acceptor_cfg("FIX.4.4"));
    h.peer_sends("2", &[(7, "2"), (16, "6")]);
    let out = h.take();
    assert_eq!(out.len(), 3, "{out:?}");
    assert_gap_fill(&out[0], "2", "5");
    assert_resent(&out[1], 5, &times, "INTC");
    assert_resent(&out[2], 6, &times, "CDG");
    h.peer_sends("2", &[(7, "2"), (16, "8")]);
    let out = h.take();
    assert_eq!(out.len(), 4, "{out:?}");
    assert_gap_fill(&out[3], "7", "9");
}

#[test]
fn resend_8_to_infinity_0_and_999999() {
    for end in ["0", "999999", "9"] {
        let (mut h, times) = with_history(acceptor_cfg("FIX.4.4"));
        h.peer_sends("2", &[(7, "2"), (16, end)]);
        assert_full_replay(&h.take(), &times);
        // Our sequence numbers did not move.
        assert_eq!(h.s.next_sender_seq(), 10);
        h.peer_sends("1", &[(112, "HELLO")]);
        assert_msg(&h.take_one(), "0", &[(34, "10"), (112, "HELLO")]);
        assert!(h
            .app
            .events
            .contains(&SessionEvent::ResendRequested { begin: 2, end: 9 }));
        h.assert_store_in_sync();
    }
}

#[test]
fn resend_loads_in_chunks_of_resend_chunk() {
    let mut cfg = acceptor_cfg("FIX.4.4");
    cfg.resend_chunk = 2;
    let (mut h, times) = with_history(cfg);
    h.peer_sends("2", &[(7, "2"), (16, "0")]);
    assert_eq!(h.loads, vec![(2, 3), (4, 5), (6, 7), (8, 9)]);
    assert_full_replay(&h.take(), &times);
}

#[test]
fn resend_application_sends_during_a_replay_wait_for_it() {
    let mut cfg = acceptor_cfg("FIX.4.4");
    cfg.resend_chunk = 3;
    let (mut h, times) = with_history(cfg);
    h.auto_load = false;
    h.peer_sends("2", &[(7, "2"), (16, "0")]);
    assert_eq!(h.pending_load, Some((2, 4)));
    h.assert_silent();
    // A live order and an inbound TestRequest arrive mid-replay.
    h.app_sends(order("LIVE"));
    h.peer_sends("1", &[(112, "DURING")]);
    h.assert_silent();
    h.deliver_load(); // 2..4
    h.deliver_load(); // 5..7
    let out = h.take();
    assert_eq!(out.len(), 3, "still replaying: {out:?}");
    h.deliver_load(); // 8..9
    let mut out = h.take();
    out.splice(0..0, Vec::<Message>::new());
    assert_eq!(out.len(), 4, "{out:?}");
    assert_gap_fill(&out[0], "7", "9");
    assert_resent(&out[1], 9, &times, "IVP");
    assert_msg(&out[2], "D", &[(34, "10"), (11, "LIVE")]);
    assert!(!out[2].has(43));
    assert_msg(&out[3], "0", &[(34, "11"), (112, "DURING")]);
    h.assert_store_in_sync();
}

#[test]
fn resend_of_nothing_stored_is_one_gap_fill_to_next() {
    let mut h = Harness::logged_on();
    h.peer_sends("1", &[(112, "A")]);
    h.take();
    h.peer_sends("2", &[(7, "1"), (16, "0")]);
    // Our Logon (1) and heartbeat (2) are administrative: gap-filled.
    assert_gap_fill(&h.take_one(), "1", "3");
}

// ----------------------------------------------------- sequence reset --

fn gap_fill_bytes(h: &mut Harness, seq: u64, new_seq: &str, poss_dup: bool) -> Vec<u8> {
    let now = h.now;
    let mut o = h.peer.build("4").seq(seq).at(now);
    if poss_dup {
        o = o.poss_dup(Some(now - chrono::Duration::seconds(1)));
    }
    o.field(36, new_seq).field(123, "Y").encode()
}

fn reset_bytes(h: &mut Harness, new_seq: &str, gap_fill_n: bool) -> Vec<u8> {
    let now = h.now;
    let mut o = h.peer.build("4").seq(0).at(now).field(36, new_seq);
    if gap_fill_n {
        o = o.field(123, "N");
    }
    o.encode()
}

#[test]
fn gap_fill_10_msg_seq_num_greater_is_queued_and_requested() {
    let mut h = Harness::logged_on();
    let m = gap_fill_bytes(&mut h, 10, "20", false);
    h.recv(&m);
    assert_msg(&h.take_one(), "2", &[(34, "2"), (7, "2"), (16, "0")]);
    assert_eq!(h.s.next_target_seq(), 2);
    // The peer gap-fills 2..9: the queued gap fill then moves us to 20.
    let m = gap_fill_bytes(&mut h, 2, "10", true);
    h.recv(&m);
    assert_eq!(h.s.next_target_seq(), 20);
    h.peer.next_seq = 20;
    h.peer_sends("1", &[(112, "HELLO")]);
    assert_msg(&h.take_one(), "0", &[(34, "3"), (112, "HELLO")]);
    h.assert_store_in_sync();
}

#[test]
fn gap_fill_10_msg_seq_num_equal_moves_expected_seq() {
    let mut h = Harness::logged_on();
    let m = gap_fill_bytes(&mut h, 2, "20", false);
    h.recv(&m);
    h.assert_silent();
    assert_eq!(h.s.next_target_seq(), 20);
    assert!(h
        .app
        .events
        .contains(&SessionEvent::SequenceReset { next_target: 20 }));
    h.peer.next_seq = 20;
    h.peer_sends("1", &[(112, "HELLO")]);
    assert_msg(&h.take_one(), "0", &[(34, "2"), (112, "HELLO")]);
    h.assert_store_in_sync();
}

#[test]
fn gap_fill_10_msg_seq_num_less() {
    let mut h = Harness::logged_on();
    // With PossDupFlag: ignored.
    let m = gap_fill_bytes(&mut h, 1, "20", true);
    h.recv(&m);
    h.assert_silent();
    assert_eq!(h.s.next_target_seq(), 2);
    h.peer.next_seq = 2;
    h.peer_sends("1", &[(112, "HELLO")]);
    assert_msg(&h.take_one(), "0", &[(34, "2"), (112, "HELLO")]);
    // Without: too low, Logout.
    let m = gap_fill_bytes(&mut h, 1, "20", false);
    h.recv(&m);
    let text = "MsgSeqNum too low, expecting 3 but received 1";
    assert_msg(&h.take_one(), "5", &[(34, "3"), (58, text)]);
    assert_eq!(h.disconnects, vec![text.to_owned()]);
}

#[test]
fn gap_fill_closing_a_gap_lets_the_next_gap_be_requested() {
    let mut h = Harness::logged_on();
    h.peer.next_seq = 5;
    h.peer_sends("0", &[]);
    assert_msg(&h.take_one(), "2", &[(7, "2"), (16, "0")]);
    // The peer gap-fills 2..4 with one SequenceReset (MsgSeqNum 2).
    let m = gap_fill_bytes(&mut h, 2, "5", true);
    h.recv(&m);
    assert_eq!(h.s.next_target_seq(), 6);
    // A new gap right away must be requested, not taken for the old one.
    h.peer.next_seq = 9;
    h.peer_sends("0", &[]);
    assert_msg(&h.take_one(), "2", &[(7, "6"), (16, "0")]);
}

#[test]
fn reset_11a_new_seq_no_greater() {
    let mut h = Harness::logged_on();
    let m = reset_bytes(&mut h, "25", false);
    h.recv(&m);
    h.assert_silent();
    assert_eq!(h.s.next_target_seq(), 25);
    h.peer.next_seq = 25;
    h.peer_sends("1", &[(112, "HELLO")]);
    assert_msg(&h.take_one(), "0", &[(34, "2"), (112, "HELLO")]);
    let m = reset_bytes(&mut h, "50", true);
    h.recv(&m);
    assert_eq!(h.s.next_target_seq(), 50);
    h.peer.next_seq = 50;
    h.peer_sends("1", &[(112, "HELLO")]);
    assert_msg(&h.take_one(), "0", &[(34, "3"), (112, "HELLO")]);
    h.assert_store_in_sync();
}

#[test]
fn reset_11b_new_seq_no_equal_changes_nothing() {
    let mut h = Harness::logged_on();
    let m = reset_bytes(&mut h, "2", false);
    h.recv(&m);
    h.assert_silent();
    assert_eq!(h.s.next_target_seq(), 2);
    h.peer_sends("1", &[(112, "HELLO")]);
    assert_msg(&h.take_one(), "0", &[(34, "2"), (112, "HELLO")]);
}

#[test]
fn reset_11c_new_seq_no_less_is_rejected_with_reason_5() {
    let mut h = Harness::logged_on();
    let m = reset_bytes(&mut h, "1", false);
    h.recv(&m);
    let r = h.take_one();
    assert_msg(
        &r,
        "3",
        &[
            (34, "2"),
            (45, "0"),
            (58, "Value is incorrect (out of range) for this tag"),
            (372, "4"),
            (373, "5"),
        ],
    );
    assert!(!r.has(371), "no RefTagID: {}", show(&r));
    assert_eq!(h.s.next_target_seq(), 2);
    h.peer_sends("1", &[(112, "HELLO")]);
    assert_msg(&h.take_one(), "0", &[(34, "3"), (112, "HELLO")]);
}

// ---------------------------------------------------------- garbled --

fn with_bad_checksum(mut m: Vec<u8>) -> Vec<u8> {
    let n = m.len();
    // "10=NNN\x01": make the checksum wrong but well-formed.
    let d = &mut m[n - 2];
    *d = if *d == b'9' { b'0' } else { *d + 1 };
    m
}

fn with_short_body_length(m: Vec<u8>) -> Vec<u8> {
    let s = String::from_utf8(m).unwrap();
    let start = s.find("\x019=").unwrap() + 3;
    let end = start + s[start..].find('\x01').unwrap();
    let len: usize = s[start..end].parse().unwrap();
    format!("{}{}{}", &s[..start], len - 2, &s[end..]).into_bytes()
}

#[test]
fn garbled_3b_bad_checksum_is_ignored_without_consuming_a_seq() {
    let mut h = Harness::logged_on();
    let now = h.now;
    let bad = with_bad_checksum(h.peer.build("0").seq(2).at(now).encode());
    h.recv(&bad);
    h.assert_silent();
    assert_eq!(h.s.next_target_seq(), 2);
    assert!(event_reasons(&h)
        .iter()
        .any(|r| r.starts_with("garbled message: CheckSum")));
    h.peer.next_seq = 2;
    h.peer_sends("0", &[]);
    assert_eq!(h.s.next_target_seq(), 3);
    // A garbled order (3), then 4: 3 is asked for.
    let bad = with_bad_checksum(order_bytes(&mut h, "ID", 3, false));
    h.recv(&bad);
    h.peer.next_seq = 4;
    h.peer_sends("0", &[]);
    assert_msg(&h.take_one(), "2", &[(34, "2"), (7, "3"), (16, "0")]);
    let m = order_bytes(&mut h, "ID", 3, false);
    h.recv(&m);
    assert_eq!(h.app.cl_ord_ids(), vec!["ID"]);
    assert_eq!(h.s.next_target_seq(), 5);
    assert!(!h.disconnected());
}

#[test]
fn garbled_2m_bad_body_length_is_ignored_without_consuming_a_seq() {
    let mut h = Harness::logged_on();
    let now = h.now;
    let bad = with_short_body_length(h.peer.build("1").seq(2).field(112, "X").at(now).encode());
    // Sent in the same read as the good message that follows.
    let good = h.peer.build("1").seq(2).field(112, "Y").at(now).encode();
    h.recv(&[bad, good].concat());
    assert_msg(&h.take_one(), "0", &[(34, "2"), (112, "Y")]);
    assert_eq!(h.s.next_target_seq(), 3);
    assert!(event_reasons(&h)
        .iter()
        .any(|r| r.starts_with("garbled message: BodyLength")));
}

#[test]
fn garbled_message_split_over_reads_and_garbage_between() {
    let mut h = Harness::logged_on();
    let now = h.now;
    let m = h.peer.build("1").field(112, "SPLIT").at(now).encode();
    let input = [b"junk\x01".as_slice(), &m].concat();
    for b in input.chunks(3) {
        h.recv(b);
    }
    assert_msg(&h.take_one(), "0", &[(112, "SPLIT")]);
}

// ------------------------------------------------------------ rejects --

/// A dictionary stand-in: 40=w is out of range (5), a repeated 55 is
/// "Tag appears more than once" (13), tag 9999 is undefined (3).
struct StubValidator;

impl MessageValidator for StubValidator {
    fn validate(&self, m: &Message) -> Result<(), Rejection> {
        if m.get(40) == Some(b"w") {
            return Err(Rejection::at(SessionRejectReason::ValueIsIncorrect, 40));
        }
        if m.fields().iter().filter(|f| f.tag == 55).count() > 1 {
            return Err(Rejection::at(
                SessionRejectReason::TagAppearsMoreThanOnce,
                55,
            ));
        }
        if m.has(9999) {
            return Err(Rejection::at(SessionRejectReason::UndefinedTag, 9999));
        }
        Ok(())
    }
}

fn validated(begin_string: &str) -> Harness {
    let mut h = Harness::with_validator(acceptor_cfg(begin_string), Some(Arc::new(StubValidator)));
    if begin_string == "FIXT.1.1" {
        h.connect();
        h.peer_sends("A", &[(98, "0"), (108, "30"), (1137, "9")]);
        h.take();
    } else {
        h.logon(30);
    }
    h
}

#[test]
fn reject_14e_invalid_value_carries_all_fields_and_consumes_the_seq() {
    let mut h = validated("FIX.4.4");
    h.peer_sends(
        "D",
        &[
            (11, "ID"),
            (21, "3"),
            (38, "100"),
            (40, "w"),
            (54, "1"),
            (55, "INTC"),
        ],
    );
    assert_msg(
        &h.take_one(),
        "3",
        &[
            (34, "2"),
            (45, "2"),
            (58, "Value is incorrect (out of range) for this tag"),
            (371, "40"),
            (372, "D"),
            (373, "5"),
        ],
    );
    assert!(h.app.received.is_empty());
    assert_eq!(h.s.next_target_seq(), 3);
    // The application hears of it (on_event, the one way events reach it).
    assert!(h.app.events.iter().any(|e| matches!(
        e,
        SessionEvent::RejectSent {
            ref_seq: Some(2),
            ..
        }
    )));
    h.peer_sends("1", &[(112, "HELLO")]);
    assert_msg(&h.take_one(), "0", &[(34, "3"), (112, "HELLO")]);
    h.assert_store_in_sync();
}

#[test]
fn reject_fix42_omits_reason_codes_above_11() {
    let mut h = validated("FIX.4.2");
    h.peer_sends("D", &[(11, "ID"), (55, "INTC"), (55, "IBM")]);
    let r = h.take_one();
    assert_msg(
        &r,
        "3",
        &[
            (8, "FIX.4.2"),
            (45, "2"),
            (58, "Tag appears more than once"),
            (371, "55"),
            (372, "D"),
        ],
    );
    assert!(
        !r.has(373),
        "FIX.4.2 has no SessionRejectReason 13: {}",
        show(&r)
    );
    // Codes up to 11 are kept.
    h.peer_sends("D", &[(11, "ID"), (9999, "X")]);
    assert_msg(&h.take_one(), "3", &[(45, "3"), (371, "9999"), (373, "3")]);
    assert_eq!(h.s.next_target_seq(), 4);

    // FIX.4.4 keeps 13.
    let mut h = validated("FIX.4.4");
    h.peer_sends("D", &[(11, "ID"), (55, "INTC"), (55, "IBM")]);
    assert_msg(&h.take_one(), "3", &[(373, "13"), (371, "55")]);
}

#[test]
fn reject_reverse_route_swaps_on_behalf_of_and_deliver_to() {
    let mut h = validated("FIX.4.4");
    type Fields<'a> = &'a [(u32, &'a str)];
    let cases: &[(Fields, Fields, &[u32])] = &[
        (&[(115, "JCD")], &[(128, "JCD")], &[115]),
        (&[(128, "JCD")], &[(115, "JCD")], &[128]),
        (
            &[(115, "JCD"), (116, "CS"), (144, "CHI")],
            &[(128, "JCD"), (129, "CS"), (145, "CHI")],
            &[115, 116, 144],
        ),
        (
            &[(128, "JCD"), (129, "CS"), (145, "CHI")],
            &[(115, "JCD"), (116, "CS"), (144, "CHI")],
            &[128, 129, 145],
        ),
    ];
    for (route, want, absent) in cases {
        let now = h.now;
        let mut o = h.peer.build("D").at(now);
        for (t, v) in *route {
            o = o.header(*t, v);
        }
        let m = o.field(11, "ID").field(40, "w").encode();
        h.recv(&m);
        let r = h.take_one();
        assert_msg(&r, "3", want);
        assert_msg(&r, "3", &[(373, "5"), (371, "40")]);
        for t in *absent {
            assert!(!r.has(*t), "tag {t} copied unreversed: {}", show(&r));
        }
        // Routing fields are header fields: before the body.
        let pos = |tag: i32| r.fields().iter().position(|f| f.tag == tag).unwrap();
        assert!(pos(want[0].0 as i32) < pos(45));
    }
}

#[test]
fn business_reject_2r_for_an_unsupported_message_type() {
    let mut h = Harness::logged_on();
    h.app.unsupported = vec!["8".into()];
    h.peer_sends(
        "8",
        &[(37, "id"), (17, "id"), (150, "0"), (39, "0"), (55, "WLRI")],
    );
    let j = h.take_one();
    assert_msg(
        &j,
        "j",
        &[
            (34, "2"),
            (45, "2"),
            (58, "Unsupported Message Type"),
            (372, "8"),
            (380, "3"),
        ],
    );
    assert_eq!(h.send_log.last(), Some(&(2, true, false)), "stored");
    assert_eq!(h.s.next_target_seq(), 3);
    h.assert_store_in_sync();
}

#[test]
fn an_application_reject_goes_out_with_its_typed_reason_and_tag_and_is_an_event() {
    // Session level: 35=3 with 373, 371 and the application's Text.
    let mut h = Harness::logged_on();
    h.app.reject_with = Some(AppReject::Session {
        reason: SessionRejectReason::ValueIsIncorrect,
        ref_tag: Some(Tag::new(44)),
        text: "price off the grid".into(),
    });
    h.peer_sends("D", &[(11, "X1"), (55, "INTC"), (54, "1")]);
    assert_msg(
        &h.take_one(),
        "3",
        &[
            (45, "2"),
            (58, "price off the grid"),
            (371, "44"),
            (372, "D"),
            (373, "5"),
        ],
    );
    assert!(h.app.events.iter().any(|e| matches!(
        e,
        SessionEvent::RejectSent { ref_seq: Some(2), text } if text == "price off the grid"
    )));
    assert_eq!(h.s.next_target_seq(), 3);

    // Business level: 35=j with 380 and 371.
    let mut h = Harness::logged_on();
    h.app.reject_with = Some(AppReject::Business {
        reason: BusinessRejectReason::UnknownSecurity,
        ref_tag: Some(Tag::new(55)),
        text: "no such symbol".into(),
    });
    h.peer_sends("D", &[(11, "X2"), (55, "INTC"), (54, "1")]);
    assert_msg(
        &h.take_one(),
        "j",
        &[
            (45, "2"),
            (58, "no such symbol"),
            (371, "55"),
            (372, "D"),
            (380, "2"),
        ],
    );
    assert_eq!(h.s.next_target_seq(), 3);
    h.assert_store_in_sync();
}

#[test]
fn reject_2k_comp_id_mismatch_rejects_and_logs_out() {
    for (sender, target) in [("WT", "ISLD"), ("TW44", "DLSI"), ("WT", "DLSI")] {
        let mut h = Harness::logged_on();
        let now = h.now;
        let m = h
            .peer
            .build("D")
            .sender(sender)
            .target(target)
            .field(11, "ID")
            .at(now)
            .encode();
        h.recv(&m);
        let out = h.take();
        assert_eq!(out.len(), 2, "{out:?}");
        assert_msg(
            &out[0],
            "3",
            &[
                (34, "2"),
                (45, "2"),
                (58, "CompID problem"),
                (372, "D"),
                (373, "9"),
            ],
        );
        assert_msg(&out[1], "5", &[(34, "3")]);
        assert!(h.app.received.is_empty());
        h.peer_sends("5", &[]);
        h.assert_silent();
        assert!(h.disconnected());
    }
}

#[test]
fn reject_2o_sending_time_out_of_range_rejects_and_logs_out() {
    for off in [-121i64, 121] {
        let mut h = Harness::logged_on();
        let at = h.now + chrono::Duration::seconds(off);
        let m = h.peer.build("0").at(at).encode();
        h.recv(&m);
        let out = h.take();
        assert_eq!(out.len(), 2, "{out:?}");
        assert_msg(
            &out[0],
            "3",
            &[
                (34, "2"),
                (45, "2"),
                (58, "SendingTime accuracy problem"),
                (372, "0"),
                (373, "10"),
            ],
        );
        assert_msg(&out[1], "5", &[(34, "3")]);
    }
    // 119 s off is within the default 120 s.
    let mut h = Harness::logged_on();
    let at = h.now - chrono::Duration::seconds(119);
    let m = h.peer.build("1").field(112, "OK").at(at).encode();
    h.recv(&m);
    assert_msg(&h.take_one(), "0", &[(112, "OK")]);
}

#[test]
fn reject_7_received_is_reported_and_consumes_the_seq() {
    let mut h = Harness::logged_on();
    h.peer_sends("3", &[(45, "2"), (58, "bad")]);
    h.assert_silent();
    assert!(h.app.events.contains(&SessionEvent::RejectReceived {
        ref_seq: Some(2),
        text: "bad".into()
    }));
    assert_eq!(h.s.next_target_seq(), 3);
}

// ------------------------------------------------------------- logout --

#[test]
fn logout_13b_unsolicited_is_answered_then_disconnects() {
    let mut h = Harness::logged_on();
    h.peer_sends("5", &[(58, "done for today")]);
    let m = h.take_one();
    assert_msg(&m, "5", &[(34, "2")]);
    assert!(!m.has(58));
    assert_eq!(h.disconnects, vec!["done for today".to_owned()]);
    assert!(h.app.events.contains(&SessionEvent::LoggedOut {
        reason: "done for today".into()
    }));
    assert_eq!(h.s.next_target_seq(), 3);
    h.assert_store_in_sync();
}

#[test]
fn logout_ours_answered_by_peer_disconnects() {
    let mut h = Harness::logged_on();
    h.s.logout(h.now, Some("end of day"));
    h.pump();
    assert_msg(&h.take_one(), "5", &[(34, "2"), (58, "end of day")]);
    assert!(!h.disconnected());
    h.peer_sends("5", &[]);
    h.assert_silent();
    assert_eq!(h.disconnects, vec!["Logout".to_owned()]);
}

#[test]
fn logout_unanswered_times_out() {
    let mut h = Harness::logged_on();
    h.s.logout(h.now, None);
    h.pump();
    assert_msg(&h.take_one(), "5", &[(34, "2")]);
    h.advance(std::time::Duration::from_millis(1999));
    assert!(!h.disconnected());
    h.advance(std::time::Duration::from_millis(1));
    h.assert_silent();
    assert_eq!(
        h.disconnects,
        vec!["peer did not answer our Logout in time".to_owned()]
    );
}

#[test]
fn logout_reset_on_logout_resets_the_store() {
    let mut cfg = acceptor_cfg("FIX.4.4");
    cfg.reset_on_logout = true;
    let mut h = Harness::new(cfg);
    h.logon(30);
    h.peer_sends("5", &[]);
    h.take();
    assert_eq!(h.store_resets, 1);
    assert_eq!((h.s.next_sender_seq(), h.s.next_target_seq()), (1, 1));
    h.assert_store_in_sync();
}

// ------------------------------------- NextExpectedMsgSeqNum (789) --

#[test]
fn next_expected_msg_seq_num_on_logon_and_replay() {
    let mut cfg = acceptor_cfg("FIX.4.4");
    cfg.next_expected_msg_seq_num = true;
    let mut h = Harness::new(cfg);
    h.connect();
    h.peer_sends("A", &[(98, "0"), (108, "30"), (789, "1")]);
    let m = h.take_one();
    // We have received the peer's Logon (1): we expect 2 next.
    assert_msg(&m, "A", &[(34, "1"), (789, "2")]);
    h.assert_silent();

    // Two orders go out while the peer cannot receive them.
    h.app_sends(order("X2"));
    h.app_sends(order("X3"));
    let sent = h.take();
    h.s.handle_disconnected(h.now, "cut", &mut h.app);
    h.connected = false;
    h.now += chrono::Duration::seconds(10);
    h.connect();
    // The peer says it expects our 2: they are replayed after our Logon.
    h.peer_sends("A", &[(98, "0"), (108, "30"), (789, "2")]);
    let out = h.take();
    assert_eq!(out.len(), 3, "{out:?}");
    assert_msg(&out[0], "A", &[(34, "4"), (789, "3")]);
    for (i, id) in [(1usize, "X2"), (2, "X3")] {
        let seq = (i + 1).to_string();
        assert_msg(&out[i], "D", &[(34, seq.as_str()), (43, "Y"), (11, id)]);
        assert_eq!(f(&out[i], 122), f(&sent[i - 1], 52));
    }
    assert_eq!(h.s.next_sender_seq(), 5);
}

// ------------------------------------------------------- rate limit --

#[test]
fn inbound_rate_limit_rejects_with_a_reason() {
    let mut cfg = acceptor_cfg("FIX.4.4");
    cfg.max_inbound_per_second = 2;
    let mut h = Harness::new(cfg);
    h.logon(30);
    peer_order(&mut h, "R1");
    peer_order(&mut h, "R2");
    h.assert_silent();
    peer_order(&mut h, "R3");
    let j = h.take_one();
    assert_msg(&j, "j", &[(34, "2"), (45, "4"), (372, "D"), (380, "99")]);
    assert!(
        f(&j, 58).starts_with("inbound rate limit exceeded") && f(&j, 58).contains('2'),
        "{}",
        show(&j)
    );
    assert_eq!(h.app.cl_ord_ids(), vec!["R1", "R2"]);
    assert_eq!(h.s.next_target_seq(), 5);
    assert!(event_reasons(&h)
        .iter()
        .any(|r| r.starts_with("inbound rate limit exceeded")));
    h.assert_store_in_sync();
    // Administrative messages are not limited.
    h.peer_sends("1", &[(112, "ADMIN")]);
    assert_msg(&h.take_one(), "0", &[(112, "ADMIN")]);
    // A second later the window has room again.
    h.now += chrono::Duration::seconds(1);
    peer_order(&mut h, "R4");
    h.assert_silent();
    assert_eq!(h.app.cl_ord_ids(), vec!["R1", "R2", "R4"]);
}

// --------------------------------------------------------- initiator --

#[test]
fn initiator_sends_logon_on_connect_and_accepts_the_answer() {
    let mut cfg = SessionConfig::new(
        "FIX.4.4",
        "TW44",
        "ISLD",
        fix_engine::session::Role::Initiator,
    );
    cfg.heartbeat_interval = secs(20);
    cfg.reset_on_logon = true;
    let mut h = Harness::new(cfg);
    h.connect();
    assert_msg(
        &h.take_one(),
        "A",
        &[
            (34, "1"),
            (49, "TW44"),
            (56, "ISLD"),
            (108, "20"),
            (141, "Y"),
        ],
    );
    assert!(!h.s.is_logged_on());
    h.peer_sends("A", &[(98, "0"), (108, "20"), (141, "Y")]);
    h.assert_silent();
    assert!(h.s.is_logged_on());
    assert_eq!((h.s.next_sender_seq(), h.s.next_target_seq()), (2, 2));
    h.assert_store_in_sync();
}

#[test]
fn echo_application_answers_in_sequence() {
    let mut h = Harness::logged_on();
    h.app.echo = true;
    peer_order(&mut h, "E1");
    let m = h.take_one();
    assert_msg(&m, "D", &[(34, "2"), (11, "E1"), (55, "INTC")]);
    assert_eq!(h.send_log.last(), Some(&(2, true, false)));
    assert_eq!(h.store.len(), 1);
}

#[test]
fn resend_20_simultaneous_resend_request_consumes_its_seq_in_order() {
    let mut h = Harness::logged_on();
    h.app.echo = true;
    peer_order(&mut h, "ID");
    peer_order(&mut h, "ID");
    let echoed = h.take();
    assert_eq!(echoed.len(), 2);
    // The peer jumps to 7: we ask for 4..
    h.peer.next_seq = 7;
    h.peer_sends("0", &[]);
    assert_msg(&h.take_one(), "2", &[(34, "4"), (7, "4"), (16, "0")]);
    // ...while the peer asks us for 2..3 (its MsgSeqNum 8 is too high too).
    h.peer_sends("2", &[(7, "2"), (16, "3")]);
    let out = h.take();
    assert_eq!(out.len(), 2, "no second ResendRequest: {out:?}");
    for (m, seq) in out.iter().zip(["2", "3"]) {
        assert_msg(m, "D", &[(34, seq), (43, "Y"), (11, "ID")]);
    }
    // The peer fills 4..6; its 7 (Heartbeat) and 8 (ResendRequest) were
    // queued and are consumed in order.
    let now = h.now;
    for seq in 4..=6 {
        let m = h
            .peer
            .build("0")
            .seq(seq)
            .poss_dup(Some(now))
            .at(now)
            .encode();
        h.recv(&m);
    }
    h.assert_silent();
    assert_eq!(h.s.next_target_seq(), 9);
    h.peer.next_seq = 9;
    h.peer_sends("1", &[(112, "NEXT")]);
    assert_msg(&h.take_one(), "0", &[(34, "5"), (112, "NEXT")]);
    h.assert_store_in_sync();
}

#[test]
fn gap_fill_over_a_queued_logon_then_a_new_gap_is_requested() {
    // Logon too high (5): we ask for 1.. The peer gap-fills 1..4 with one
    // SequenceReset (MsgSeqNum 1); the queued Logon is consumed. A new gap
    // right after must be asked for, not taken for the one already filled.
    let mut h = Harness::acceptor();
    h.connect();
    h.peer.next_seq = 5;
    h.peer_sends("A", &[(98, "0"), (108, "30")]);
    let out = h.take();
    assert_msg(&out[1], "2", &[(7, "1"), (16, "0")]);
    let now = h.now;
    let gf = h
        .peer
        .build("4")
        .seq(1)
        .poss_dup(Some(now))
        .field(36, "5")
        .field(123, "Y")
        .at(now)
        .encode();
    h.recv(&gf);
    assert_eq!(h.s.next_target_seq(), 6);
    h.peer.next_seq = 9;
    h.peer_sends("0", &[]);
    assert_msg(&h.take_one(), "2", &[(7, "6"), (16, "0")]);
}

#[test]
fn wrong_begin_string_mid_session_logs_out_and_consumes_the_seq() {
    let mut h = Harness::logged_on();
    let now = h.now;
    let m = h.peer.build("0").begin_string("FIX.4.2").at(now).encode();
    h.recv(&m);
    assert_msg(
        &h.take_one(),
        "5",
        &[(34, "2"), (58, "Incorrect BeginString")],
    );
    assert_eq!(h.s.next_target_seq(), 3);
    h.assert_store_in_sync();
}

#[test]
fn logon_without_heart_bt_int_disconnects() {
    let mut h = Harness::acceptor();
    h.connect();
    h.peer_sends("A", &[(98, "0")]);
    h.assert_silent();
    assert_eq!(
        h.disconnects,
        vec!["Logon without a valid HeartBtInt".to_owned()]
    );
}

#[test]
fn test_request_too_high_is_answered_once_the_gap_is_filled() {
    let mut h = Harness::logged_on();
    h.peer.next_seq = 4;
    h.peer_sends("1", &[(112, "LATER")]);
    assert_msg(&h.take_one(), "2", &[(34, "2"), (7, "2"), (16, "0")]);
    let gf = gap_fill_bytes(&mut h, 2, "4", true);
    h.recv(&gf);
    assert_msg(&h.take_one(), "0", &[(34, "3"), (112, "LATER")]);
    assert_eq!(h.s.next_target_seq(), 5);
}

#[test]
fn initiator_logon_answered_by_logout_disconnects() {
    let cfg = SessionConfig::new(
        "FIX.4.4",
        "TW44",
        "ISLD",
        fix_engine::session::Role::Initiator,
    );
    let mut h = Harness::new(cfg);
    h.connect();
    assert_msg(&h.take_one(), "A", &[(34, "1")]);
    h.peer_sends("5", &[(58, "unknown CompID")]);
    assert!(h.disconnected());
    assert!(!h.s.is_logged_on());
}

#[test]
fn initiator_logon_unanswered_times_out() {
    let cfg = SessionConfig::new(
        "FIX.4.4",
        "TW44",
        "ISLD",
        fix_engine::session::Role::Initiator,
    );
    let mut h = Harness::new(cfg);
    h.connect();
    h.take();
    h.advance(secs(10));
    assert_eq!(
        h.disconnects,
        vec!["no Logon received within the logon timeout".to_owned()]
    );
    // Reconnecting sends a new Logon with the next sequence number.
    h.connect();
    assert_msg(&h.take_one(), "A", &[(34, "2")]);
}

#[test]
fn messages_sent_while_disconnected_are_stored_and_numbered() {
    let mut h = Harness::logged_on();
    h.s.handle_disconnected(h.now, "cut", &mut h.app);
    h.connected = false;
    h.app_sends(order("OFFLINE"));
    assert_eq!(h.send_log.last(), Some(&(2, true, false)));
    assert!(h.store.contains_key(&2));
    assert_eq!(h.s.next_sender_seq(), 3);
    h.connect();
    h.assert_silent();
    // The peer logs on again and asks for what it missed.
    h.peer_sends("A", &[(98, "0"), (108, "30")]);
    assert_msg(&h.take_one(), "A", &[(34, "3")]);
    h.peer_sends("2", &[(7, "2"), (16, "0")]);
    let out = h.take();
    assert_eq!(out.len(), 2, "{out:?}");
    assert_msg(&out[0], "D", &[(34, "2"), (43, "Y"), (11, "OFFLINE")]);
    // Our Logon (3) is gap-filled.
    assert_gap_fill(&out[1], "3", "4");
    h.assert_store_in_sync();
}

#[test]
fn heart_bt_int_zero_means_no_timers() {
    let mut h = Harness::acceptor();
    h.logon(0);
    assert_eq!(h.s.poll_timeout(), None);
    h.advance(secs(3600));
    h.assert_silent();
    assert!(h.s.is_logged_on());
}

#[test]
fn reset_on_logon_acceptor_starts_from_1_whatever_was_stored() {
    let mut cfg = acceptor_cfg("FIX.4.4");
    cfg.reset_on_logon = true;
    let mut h = Harness::new(cfg.clone());
    let seq = fix_engine::store::SeqState {
        next_sender_seq: 40,
        next_target_seq: 30,
        creation_time: t0(),
    };
    h.s = fix_engine::session::Session::new(Arc::new(cfg), None, seq);
    h.stored_next_sender = 40;
    h.stored_next_target = 30;
    h.connect();
    h.peer_sends("A", &[(98, "0"), (108, "30")]);
    assert_msg(&h.take_one(), "A", &[(34, "1")]);
    assert_eq!(h.store_resets, 1);
    assert_eq!((h.s.next_sender_seq(), h.s.next_target_seq()), (2, 2));
    h.assert_store_in_sync();
}
