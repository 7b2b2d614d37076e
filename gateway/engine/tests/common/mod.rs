//! Test harness shared by the session scenario tests and the virtual-time
//! pair tests: a fake peer that writes inbound messages, a recording
//! application, and a driver that runs a sans-IO [`Session`] against an
//! in-memory store with a clock that only moves when a test moves it.
#![allow(dead_code)]

use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use fix_engine::codec::time::{format_utc_string, TimePrecision};
use fix_engine::codec::{Message, MessageBuilder};
use fix_engine::session::{
    Action, AppContext, AppReject, Application, Role, Session, SessionConfig, SessionEvent,
};
use fix_engine::store::{SeqState, SessionKey, StoredMessage};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The start of every test's fake clock: a Monday afternoon.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).unwrap()
}

pub fn ts(t: DateTime<Utc>) -> String {
    format_utc_string(t, TimePrecision::Millis)
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// `tag=value|...` of a message, with `|` for SOH, for readable failures.
pub fn show(m: &Message) -> String {
    format!("{m:?}")
}

/// The peer on the other end of the wire: writes messages to us with a
/// running MsgSeqNum.
pub struct Peer {
    pub begin_string: String,
    /// The peer's own CompID (our TargetCompID).
    pub comp_id: String,
    /// Our CompID (the peer's TargetCompID).
    pub our_comp_id: String,
    pub next_seq: u64,
}

impl Peer {
    pub fn new(begin_string: &str, comp_id: &str, our_comp_id: &str) -> Self {
        Self {
            begin_string: begin_string.to_owned(),
            comp_id: comp_id.to_owned(),
            our_comp_id: our_comp_id.to_owned(),
            next_seq: 1,
        }
    }

    /// A message of type `msg_type` with body `fields`, stamped with the
    /// next MsgSeqNum and SendingTime `now`.
    pub fn msg(&mut self, now: DateTime<Utc>, msg_type: &str, fields: &[(u32, &str)]) -> Vec<u8> {
        let mut o = self.build(msg_type);
        for (t, v) in fields {
            o = o.field(*t, v);
        }
        o.at(now).encode()
    }

    /// A message with options (explicit MsgSeqNum, PossDup, CompIDs...).
    pub fn build(&mut self, msg_type: &str) -> Out<'_> {
        Out {
            msg_type: msg_type.to_owned(),
            header: Vec::new(),
            body: Vec::new(),
            seq: None,
            sending_time: None,
            sender: self.comp_id.clone(),
            target: self.our_comp_id.clone(),
            begin_string: self.begin_string.clone(),
            peer: self,
        }
    }
}

/// One inbound message being built; see [`Peer::build`].
pub struct Out<'a> {
    peer: &'a mut Peer,
    msg_type: String,
    header: Vec<(u32, String)>,
    body: Vec<(u32, String)>,
    seq: Option<u64>,
    sending_time: Option<String>,
    sender: String,
    target: String,
    begin_string: String,
}

impl Out<'_> {
    pub fn field(mut self, tag: u32, value: &str) -> Self {
        self.body.push((tag, value.to_owned()));
        self
    }
    pub fn header(mut self, tag: u32, value: &str) -> Self {
        self.header.push((tag, value.to_owned()));
        self
    }
    /// An explicit MsgSeqNum; the peer's running number is left alone.
    pub fn seq(mut self, n: u64) -> Self {
        self.seq = Some(n);
        self
    }
    /// PossDupFlag=Y with OrigSendingTime `orig` (`None`: no 122).
    pub fn poss_dup(self, orig: Option<DateTime<Utc>>) -> Self {
        let s = self.header(43, "Y");
        match orig {
            Some(o) => s.header(122, &ts(o)),
            None => s,
        }
    }
    pub fn at(mut self, t: DateTime<Utc>) -> Self {
        self.sending_time = Some(ts(t));
        self
    }
    pub fn sending_time_raw(mut self, v: &str) -> Self {
        self.sending_time = Some(v.to_owned());
        self
    }
    pub fn sender(mut self, v: &str) -> Self {
        self.sender = v.to_owned();
        self
    }
    pub fn target(mut self, v: &str) -> Self {
        self.target = v.to_owned();
        self
    }
    pub fn begin_string(mut self, v: &str) -> Self {
        self.begin_string = v.to_owned();
        self
    }
    pub fn encode(self) -> Vec<u8> {
        let seq = match self.seq {
            Some(n) => n,
            None => {
                let n = self.peer.next_seq;
                self.peer.next_seq += 1;
                n
            }
        };
        let mut b = MessageBuilder::new(&self.msg_type);
        for (t, v) in &self.header {
            b.header_field(*t, v);
        }
        for (t, v) in &self.body {
            b.field(*t, v);
        }
        let st = self.sending_time.expect("set a SendingTime with .at(now)");
        b.encode_with_header(
            &self.begin_string,
            &self.sender,
            &self.target,
            seq,
            st.as_bytes(),
        )
    }
}

/// An application that records what it is given, and optionally echoes
/// application messages, refuses Logons or rejects message types.
#[derive(Default)]
pub struct Recorder {
    pub received: Vec<Message>,
    pub events: Vec<SessionEvent>,
    pub logons: usize,
    pub echo: bool,
    pub refuse_logon: Option<String>,
    /// Message types answered with `AppReject::UnsupportedMessageType`.
    pub unsupported: Vec<String>,
    /// Every application message is refused with this.
    pub reject_with: Option<AppReject>,
}

impl Recorder {
    pub fn echo() -> Self {
        Self {
            echo: true,
            ..Self::default()
        }
    }

    /// ClOrdIDs (11) of the application messages received, in order.
    pub fn cl_ord_ids(&self) -> Vec<String> {
        self.received
            .iter()
            .map(|m| m.get_str(11).unwrap_or("").to_owned())
            .collect()
    }
}

impl Application for Recorder {
    fn on_logon(&mut self, _session: &SessionKey, _logon: &Message) -> Result<(), String> {
        self.logons += 1;
        match &self.refuse_logon {
            Some(t) => Err(t.clone()),
            None => Ok(()),
        }
    }

    fn on_message(&mut self, ctx: &mut AppContext<'_>, msg: &Message) -> Result<(), AppReject> {
        if self
            .unsupported
            .iter()
            .any(|t| t.as_bytes() == msg.msg_type())
        {
            return Err(AppReject::UnsupportedMessageType);
        }
        if let Some(r) = &self.reject_with {
            return Err(r.clone());
        }
        self.received.push(msg.clone());
        if self.echo {
            ctx.send(body_copy(msg));
        }
        Ok(())
    }

    fn on_event(&mut self, _ctx: &mut AppContext<'_>, event: &SessionEvent) {
        self.events.push(event.clone());
    }
}

/// A builder with the same type and body fields as `msg` (header and
/// trailer left out).
pub fn body_copy(msg: &Message) -> MessageBuilder {
    let mut b = MessageBuilder::new(msg.msg_type_str());
    for f in msg.fields() {
        if f.tag == 10 || fix_engine::validate::is_standard_header_tag(f.tag) {
            continue;
        }
        b.field(f.tag as u32, msg.value(f));
    }
    b
}

/// An application message (NewOrderSingle) with ClOrdID `id`.
pub fn order(id: &str) -> MessageBuilder {
    let mut b = MessageBuilder::new("D");
    b.field(11, id)
        .field(21, "3")
        .field(40, "1")
        .field(54, "1")
        .field(55, "INTC");
    b
}

/// What a test sees of one session: the session, its application, its
/// store (a map of the persisted application messages plus the persisted
/// sequence numbers) and a fake clock.
pub struct Harness {
    pub s: Session,
    pub app: Recorder,
    pub now: DateTime<Utc>,
    pub peer: Peer,
    /// Persisted application messages by MsgSeqNum (persist=true sends).
    pub store: BTreeMap<u64, Vec<u8>>,
    /// Persisted next sender / target sequence numbers, as the driver
    /// would keep them from the actions.
    pub stored_next_sender: u64,
    pub stored_next_target: u64,
    /// Messages sent since the last [`Harness::take`].
    pub sent: Vec<Message>,
    /// Every `Action::Send` as (seq, persist, resend).
    pub send_log: Vec<(u64, bool, bool)>,
    pub disconnects: Vec<String>,
    pub loads: Vec<(u64, u64)>,
    pub store_resets: usize,
    /// Answer `LoadForResend` at once (otherwise `pending_load` holds it).
    pub auto_load: bool,
    pub pending_load: Option<(u64, u64)>,
    pub connected: bool,
}

impl Harness {
    pub fn new(cfg: SessionConfig) -> Self {
        Self::with_validator(cfg, None)
    }

    pub fn with_validator(
        cfg: SessionConfig,
        validator: Option<Arc<dyn fix_engine::session::MessageValidator>>,
    ) -> Self {
        let peer = Peer::new(&cfg.begin_string, &cfg.target_comp_id, &cfg.sender_comp_id);
        let seq = SeqState {
            next_sender_seq: 1,
            next_target_seq: 1,
            creation_time: t0(),
        };
        Self {
            s: Session::new(Arc::new(cfg), validator, seq),
            app: Recorder::default(),
            now: t0(),
            peer,
            store: BTreeMap::new(),
            stored_next_sender: 1,
            stored_next_target: 1,
            sent: Vec::new(),
            send_log: Vec::new(),
            disconnects: Vec::new(),
            loads: Vec::new(),
            store_resets: 0,
            auto_load: true,
            pending_load: None,
            connected: false,
        }
    }

    /// An acceptor ISLD serving TW44 over FIX.4.4 (the acceptance suite's).
    pub fn acceptor() -> Self {
        Self::new(acceptor_cfg("FIX.4.4"))
    }

    /// Connects and logs the peer on with HeartBtInt 30; checks our Logon.
    pub fn logged_on() -> Self {
        let mut h = Self::acceptor();
        h.logon(30);
        h
    }

    pub fn connect(&mut self) {
        self.connected = true;
        self.s.handle_connected(self.now, &mut self.app);
        self.pump();
    }

    /// Connects, sends the peer's Logon and checks the answer.
    pub fn logon(&mut self, hb: u64) {
        self.connect();
        let hb = hb.to_string();
        let m = self
            .peer
            .msg(self.now, "A", &[(98, "0"), (108, hb.as_str())]);
        self.recv(&m);
        let out = self.take();
        assert_eq!(out.len(), 1, "one Logon answers the Logon: {out:?}");
        assert_eq!(out[0].msg_type(), b"A");
        assert_eq!(out[0].get_str(108), Some(hb.as_str()));
        assert!(self.s.is_logged_on());
    }

    /// Feeds bytes from the peer.
    pub fn recv(&mut self, bytes: &[u8]) {
        assert!(self.connected, "recv while disconnected");
        self.s.handle_bytes(self.now, bytes, &mut self.app);
        self.pump();
    }

    /// The peer sends `msg_type` with `fields` (next seq, SendingTime now).
    pub fn peer_sends(&mut self, msg_type: &str, fields: &[(u32, &str)]) {
        let m = self.peer.msg(self.now, msg_type, fields);
        self.recv(&m);
    }

    /// Our application sends `m`.
    pub fn app_sends(&mut self, m: MessageBuilder) {
        self.s.send(self.now, m);
        self.pump();
    }

    /// Moves the clock by `d`, firing every timer that falls due on the way
    /// (at its own deadline, as a driver sleeping until `poll_timeout`
    /// would).
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while let Some(t) = self.s.poll_timeout() {
            if t > end {
                break;
            }
            self.now = self.now.max(t);
            self.s.handle_timeout(self.now, &mut self.app);
            self.pump();
        }
        self.now = end;
    }

    /// Drains and carries out the session's actions.
    pub fn pump(&mut self) {
        while let Some(a) = self.s.poll_action() {
            match a {
                Action::Send {
                    seq,
                    bytes,
                    persist,
                    resend,
                    delivery: _,
                } => {
                    let m = Message::parse(bytes.clone())
                        .unwrap_or_else(|e| panic!("we sent a garbled message ({e}): {bytes:?}"));
                    assert_eq!(m.seq_num(), Some(seq), "Action::Send seq vs 34");
                    if persist {
                        self.store.insert(seq, bytes.to_vec());
                    }
                    if !resend {
                        self.stored_next_sender = seq + 1;
                    }
                    self.send_log.push((seq, persist, resend));
                    if self.connected {
                        self.sent.push(m);
                    }
                }
                Action::LoadForResend { begin, end } => {
                    self.loads.push((begin, end));
                    if self.auto_load {
                        self.answer_load(begin, end);
                    } else {
                        assert!(self.pending_load.is_none(), "two loads outstanding");
                        self.pending_load = Some((begin, end));
                    }
                }
                Action::ResetStore { .. } => {
                    self.store.clear();
                    self.stored_next_sender = 1;
                    self.stored_next_target = 1;
                    self.store_resets += 1;
                }
                Action::PersistTargetSeq(n) => self.stored_next_target = n,
                Action::Disconnect { reason } => {
                    self.disconnects.push(reason);
                    self.connected = false;
                }
            }
        }
    }

    fn answer_load(&mut self, begin: u64, end: u64) {
        let msgs: Vec<StoredMessage> = self
            .store
            .range(begin..=end)
            .map(|(&seq, raw)| StoredMessage {
                seq,
                raw: raw.clone(),
            })
            .collect();
        self.s.handle_stored_messages(self.now, msgs, &mut self.app);
    }

    /// Answers the outstanding `LoadForResend` (with `auto_load` off).
    pub fn deliver_load(&mut self) {
        let (b, e) = self.pending_load.take().expect("no load outstanding");
        self.answer_load(b, e);
        self.pump();
    }

    /// Messages sent since the last call.
    pub fn take(&mut self) -> Vec<Message> {
        std::mem::take(&mut self.sent)
    }

    /// Exactly one message sent since the last take; returns it.
    pub fn take_one(&mut self) -> Message {
        let out = self.take();
        assert_eq!(out.len(), 1, "expected one message, got {out:?}");
        out.into_iter().next().unwrap()
    }

    /// Nothing sent since the last take.
    pub fn assert_silent(&mut self) {
        let out = self.take();
        assert!(out.is_empty(), "expected nothing sent, got {out:?}");
    }

    pub fn disconnected(&self) -> bool {
        !self.disconnects.is_empty()
    }

    /// The persisted sequence numbers are the session's: a restart from the
    /// store would resume exactly here.
    pub fn assert_store_in_sync(&self) {
        assert_eq!(
            (self.stored_next_sender, self.stored_next_target),
            (self.s.next_sender_seq(), self.s.next_target_seq()),
            "stored (sender, target) vs session"
        );
    }
}

pub fn acceptor_cfg(begin_string: &str) -> SessionConfig {
    let target = match begin_string {
        "FIX.4.2" => "TW42",
        "FIXT.1.1" => "TW50SP2",
        _ => "TW44",
    };
    let mut c = SessionConfig::new(begin_string, "ISLD", target, Role::Acceptor);
    c.validate = true;
    c
}

/// Field `tag` of `m` as a string, or panic with the message.
pub use test_support::fix::s as f;

/// Asserts `m` is of type `t` with each of `fields` equal.
pub fn assert_msg(m: &Message, t: &str, fields: &[(u32, &str)]) {
    assert_eq!(m.msg_type_str(), t, "MsgType of {}", show(m));
    for (tag, v) in fields {
        assert_eq!(m.get_str(*tag), Some(*v), "tag {tag} of {}", show(m));
    }
}

pub fn raw(b: &[u8]) -> Bytes {
    Bytes::copy_from_slice(b)
}
