//! Engine hot-path benchmarks: decode + validate a NewOrderSingle, encode an
//! ExecutionReport, and one inbound application message through a logged-on
//! session end to end in memory (framing, parsing, validation, sequence
//! checks, application callback, actions).
//!
//! Run: `cargo bench -p fix-engine --bench engine`

use bytes::Bytes;
use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use fix_engine::codec::time::{format_utc_string, TimePrecision};
use fix_engine::codec::{encode_message, Message, MessageBuilder};
use fix_engine::session::{
    standard_validator, Action, AppContext, AppReject, Application, Role, Session, SessionConfig,
};
use fix_engine::store::SeqState;
use std::hint::black_box;
use std::sync::Arc;

fn nos(seq: u64, now: DateTime<Utc>) -> Vec<u8> {
    let ts = format_utc_string(now, TimePrecision::Millis);
    let mut m = MessageBuilder::new("D");
    m.field(11, format!("ORD{seq}"))
        .field(1, "ACC1")
        .field(21, "1")
        .field(55, "AAPL")
        .field(54, "1")
        .field(60, ts.as_str())
        .field(38, "100")
        .field(40, "2")
        .field(44, "190.25")
        .field(59, "3");
    m.encode_with_header("FIX.4.4", "CLIENT1", "GATEWAY", seq, ts.as_bytes())
}

fn decode_validate(c: &mut Criterion) {
    let now = Utc::now();
    let raw = Bytes::from(nos(2, now));
    let v = standard_validator("FIX.4.4").expect("FIX.4.4 validator");
    c.bench_function("decode_validate/new_order_single", |b| {
        b.iter(|| {
            let m = Message::parse(black_box(raw.clone())).expect("valid");
            v.validate(&m).expect("valid");
            black_box(m.fields().len())
        })
    });
    c.bench_function("decode/new_order_single", |b| {
        b.iter(|| {
            black_box(
                Message::parse(black_box(raw.clone()))
                    .expect("valid")
                    .fields()
                    .len(),
            )
        })
    });
}

fn encode(c: &mut Criterion) {
    let ts = format_utc_string(Utc::now(), TimePrecision::Millis);
    c.bench_function("encode/execution_report", |b| {
        let mut out = Vec::with_capacity(512);
        b.iter(|| {
            let mut m = MessageBuilder::new("8");
            m.field(37, "O-000000123")
                .field(11, "ORD12345")
                .field(17, "E-000000456")
                .field(150, "F")
                .field(39, "2")
                .field(1, "ACC1")
                .field(55, "AAPL")
                .field(54, "1")
                .field(38, "100")
                .field(40, "2")
                .field(44, "190.25")
                .field(32, "100")
                .field(31, "190.25")
                .field(151, "0")
                .field(14, "100")
                .field(6, "190.25")
                .field(60, ts.as_bytes());
            out.clear();
            encode_message(
                &mut out,
                "FIX.4.4",
                m.msg_type(),
                "GATEWAY",
                "CLIENT1",
                black_box(12345),
                ts.as_bytes(),
                m.header_bytes(),
                m.body_bytes(),
            );
            black_box(out.len())
        })
    });
}

struct Sink;
impl Application for Sink {
    fn on_message(&mut self, _ctx: &mut AppContext<'_>, msg: &Message) -> Result<(), AppReject> {
        black_box(msg.get(11));
        Ok(())
    }
}

fn session_inbound(c: &mut Criterion) {
    let now = Utc::now();
    let mut cfg = SessionConfig::new("FIX.4.4", "GATEWAY", "CLIENT1", Role::Acceptor);
    cfg.heartbeat_interval = std::time::Duration::from_secs(30);
    let seq = SeqState {
        next_sender_seq: 1,
        next_target_seq: 1,
        creation_time: now,
    };
    let mut s = Session::new(Arc::new(cfg), standard_validator("FIX.4.4"), seq);
    let mut app = Sink;
    s.handle_connected(now, &mut app);
    let ts = format_utc_string(now, TimePrecision::Millis);
    let mut logon = MessageBuilder::new("A");
    logon.field(98, "0").field(108, "30");
    let raw = logon.encode_with_header("FIX.4.4", "CLIENT1", "GATEWAY", 1, ts.as_bytes());
    s.handle_bytes(now, &raw, &mut app);
    while s.poll_action().is_some() {}
    assert!(s.is_logged_on());
    let mut next = 2u64;
    c.bench_function("session/inbound_new_order_single", |b| {
        b.iter_batched(
            || {
                let m = nos(next, now);
                next += 1;
                m
            },
            |m| {
                s.handle_bytes(now, &m, &mut app);
                let mut n = 0;
                while let Some(a) = s.poll_action() {
                    if matches!(a, Action::Send { .. }) {
                        panic!("unexpected send: {a:?}");
                    }
                    n += 1;
                }
                black_box(n)
            },
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, decode_validate, encode, session_inbound);
criterion_main!(benches);
