//! A FIX load client: logs on as an initiator, sends N NewOrderSingles with
//! at most W in flight, and measures acknowledgement latency (order sent to
//! its first ExecutionReport) and close latency (to the report that ends
//! it: filled, canceled, expired or rejected). Used against `sim-venue`
//! and, as `fixgw bench`, against the gateway.

// Field-level docs are on the FIX tags each item carries.
#![allow(missing_docs)]

use fix_engine::codec::{Message, MessageBuilder};
use fix_engine::session::{
    standard_validator, AppContext, AppReject, Application, Role, Session, SessionConfig,
};
use fix_engine::store::{MemoryStore, MessageStore};
use fix_engine::transport::{start_initiator, InitiatorConfig};
use hdrhistogram::Histogram;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What to send.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub target: String,
    pub begin_string: String,
    pub sender_comp_id: String,
    pub target_comp_id: String,
    pub account: Option<String>,
    /// Symbols and limit prices, used round robin.
    pub orders: Vec<(String, String)>,
    pub side: String,
    pub qty: u64,
    pub tif: String,
    pub count: u64,
    pub window: u64,
    pub tls: Option<(Arc<rustls::ClientConfig>, String)>,
}

/// Results of a run.
#[derive(Debug)]
pub struct LoadReport {
    pub sent: u64,
    pub acked: u64,
    pub closed: u64,
    pub filled_qty: u64,
    pub rejected: u64,
    pub inconsistent: u64,
    pub elapsed: Duration,
    pub ack: Histogram<u64>,
    pub close: Histogram<u64>,
}

impl LoadReport {
    pub fn orders_per_sec(&self) -> f64 {
        self.closed as f64 / self.elapsed.as_secs_f64()
    }

    pub fn summary(&self) -> String {
        let us = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        format!(
            "orders sent {} acked {} closed {} (filled qty {}, rejected {}, inconsistent reports {})\n\
             elapsed {:.3} s, {:.0} orders/s\n\
             ack latency   p50 {:.1} us  p99 {:.1} us  max {:.1} us\n\
             close latency p50 {:.1} us  p99 {:.1} us  max {:.1} us",
            self.sent,
            self.acked,
            self.closed,
            self.filled_qty,
            self.rejected,
            self.inconsistent,
            self.elapsed.as_secs_f64(),
            self.orders_per_sec(),
            us(&self.ack, 0.5),
            us(&self.ack, 0.99),
            self.ack.max() as f64 / 1000.0,
            us(&self.close, 0.5),
            us(&self.close, 0.99),
            self.close.max() as f64 / 1000.0,
        )
    }
}

struct Slot {
    sent_at: Instant,
    acked: bool,
}

struct LoadApp {
    cfg: LoadConfig,
    /// ClOrdID prefix, unique per run so that runs on one session do not
    /// collide with orders the counterparty already knows.
    prefix: String,
    slots: Vec<Option<Slot>>,
    next: u64,
    in_flight: u64,
    started: Option<Instant>,
    report: Option<LoadReport>,
    done: Option<oneshot::Sender<LoadReport>>,
}

impl LoadApp {
    fn order(&mut self) -> MessageBuilder {
        let i = self.next;
        self.next += 1;
        let (sym, px) = &self.cfg.orders[(i as usize) % self.cfg.orders.len()];
        let mut m = MessageBuilder::new("D");
        m.field(11, format!("{}{i}", self.prefix));
        if let Some(a) = &self.cfg.account {
            m.field(1, a.as_str());
        }
        m.field(21, "1")
            .field(55, sym.as_str())
            .field(54, self.cfg.side.as_str())
            .field_u64(38, self.cfg.qty)
            .field(40, "2")
            .field(44, px.as_str())
            .field(59, self.cfg.tif.as_str())
            .field(
                60,
                fix_engine::codec::time::format_utc_string(chrono::Utc::now(), Default::default()),
            );
        self.slots[i as usize] = Some(Slot {
            sent_at: Instant::now(),
            acked: false,
        });
        self.in_flight += 1;
        m
    }

    fn fill_window(&mut self, ctx: &mut AppContext<'_>) {
        while self.in_flight < self.cfg.window && self.next < self.cfg.count {
            let m = self.order();
            ctx.send(m);
        }
    }
}

impl Application for LoadApp {
    fn on_message(&mut self, ctx: &mut AppContext<'_>, msg: &Message) -> Result<(), AppReject> {
        if msg.msg_type() != b"8" {
            return Ok(());
        }
        let now = Instant::now();
        let Some(i) = msg
            .get_str(11)
            .and_then(|c| c.strip_prefix(self.prefix.as_str()))
            .and_then(|n| n.parse::<usize>().ok())
        else {
            return Ok(());
        };
        let Some(report) = self.report.as_mut() else {
            return Ok(());
        };
        let Some(Some(slot)) = self.slots.get_mut(i) else {
            return Ok(());
        };
        let qty = self.cfg.qty;
        let cum = msg.get_u64(14).unwrap_or(0);
        let leaves = msg.get_u64(151).unwrap_or(0);
        let status = msg.get(39).unwrap_or(b"");
        let terminal = matches!(status, b"2" | b"4" | b"C" | b"8" | b"3");
        if (terminal && leaves != 0) || (status != b"8" && cum + leaves != qty && !terminal) {
            report.inconsistent += 1;
        }
        let lat = (now - slot.sent_at).as_nanos() as u64;
        if !slot.acked {
            slot.acked = true;
            report.acked += 1;
            let _ = report.ack.record(lat.max(1));
        }
        if terminal {
            let _ = report.close.record(lat.max(1));
            report.closed += 1;
            report.filled_qty += cum;
            if status == b"8" {
                report.rejected += 1;
            }
            self.slots[i] = None;
            self.in_flight -= 1;
            self.fill_window(ctx);
            if report_done(self) {
                let mut r = self.report.take().expect("report present");
                r.sent = self.next;
                r.elapsed = self.started.map(|s| s.elapsed()).unwrap_or_default();
                if let Some(tx) = self.done.take() {
                    let _ = tx.send(r);
                }
            }
        }
        Ok(())
    }

    fn on_event(&mut self, ctx: &mut AppContext<'_>, event: &fix_engine::session::SessionEvent) {
        if matches!(event, fix_engine::session::SessionEvent::LoggedOn { .. })
            && self.started.is_none()
        {
            self.started = Some(Instant::now());
            self.fill_window(ctx);
        }
    }
}

fn report_done(app: &LoadApp) -> bool {
    app.next >= app.cfg.count && app.in_flight == 0
}

/// Runs the load and returns its report (or times out after `limit`).
pub async fn run(cfg: LoadConfig, limit: Duration) -> anyhow::Result<LoadReport> {
    anyhow::ensure!(!cfg.orders.is_empty(), "no symbols to trade");
    anyhow::ensure!(
        cfg.count > 0 && cfg.window > 0,
        "orders and window must be positive"
    );
    let mut scfg = SessionConfig::new(
        &cfg.begin_string,
        &cfg.sender_comp_id,
        &cfg.target_comp_id,
        Role::Initiator,
    );
    scfg.reset_on_logon = true;
    scfg.validate = false;
    let (tx, rx) = oneshot::channel();
    let hist =
        || Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("histogram bounds");
    let app = LoadApp {
        slots: (0..cfg.count).map(|_| None).collect(),
        next: 0,
        in_flight: 0,
        started: None,
        report: Some(LoadReport {
            sent: 0,
            acked: 0,
            closed: 0,
            filled_qty: 0,
            rejected: 0,
            inconsistent: 0,
            elapsed: Duration::ZERO,
            ack: hist(),
            close: hist(),
        }),
        done: Some(tx),
        prefix: format!("L{}-", chrono::Utc::now().timestamp_millis()),
        cfg: cfg.clone(),
    };
    let mut store = MemoryStore::new();
    let seq = store.load(chrono::Utc::now()).await?;
    let session = Session::new(Arc::new(scfg), standard_validator(&cfg.begin_string), seq);
    let mut icfg = InitiatorConfig::new(cfg.target.clone());
    icfg.tls = cfg.tls.clone();
    let handle = start_initiator(icfg, session, Box::new(store), Box::new(app));
    let report = tokio::time::timeout(limit, rx)
        .await
        .map_err(|_| anyhow::anyhow!("load did not finish within {limit:?}"))?
        .map_err(|_| anyhow::anyhow!("load session ended early"))?;
    handle.logout(Some("load finished".into()));
    let _ = tokio::time::timeout(Duration::from_secs(2), handle.wait_for(|s| !s.connected)).await;
    handle.shutdown();
    Ok(report)
}
