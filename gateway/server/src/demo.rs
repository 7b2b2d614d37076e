//! `fixgw demo`: the gateway with embedded storage and two simulated venues
//! in one process, a FIX 4.4 client session CLIENT1 -> GATEWAY on
//! 127.0.0.1:9878 (TCP) and 9879 (TLS with certs/), account ACC1, and a
//! drop-copy session DROPCOPY. With `--orders N` a built-in client trades
//! and the demo prints what happened.
//!
//! Pre-trade risk is the risk engine with a built-in configuration
//! (`gateway/server/demo/risk.toml`, or `risk-bench.toml` with `--bench`)
//! and market hours waived (`market_hours = "always_open"`), so the demo
//! works at any time of day and on any day; the banner says what is
//! relaxed.
//!
//! Only with the `demo` cargo feature (on by default): it embeds the
//! simulated exchange, which a production build leaves out.

use crate::clearing::{ClearingError, ClearingFile, ClearingSource};
use crate::config::{
    ClientConfig, GatewayConfig, GatewaySection, InstrumentConfig, JournalFsync, LimitsConfig,
    ListenerConfig, MarketHours, RiskSection, VenueConfig,
};
use crate::runtime::{self, Gateway, StartOptions};
use fix_engine::store::MemoryStoreFactory;
use fix_engine::transport::tls::ServerTlsFiles;
use sim_venue::fix::{self as simfix, FixServerConfig};
use sim_venue::venue::{Venue, VenueConfig as SimVenueConfig};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub struct DemoOptions {
    pub port: u16,
    pub tls_port: u16,
    pub data_dir: PathBuf,
    pub certs: PathBuf,
    pub bench: bool,
    /// fdatasync the journal on every batch (durable against power loss);
    /// without it the journal is still written before every acknowledgement
    /// (durable against a process crash or kill -9).
    pub fsync: bool,
}

/// The demo's risk file (account ACC1), built in.
pub const DEMO_RISK: &str = include_str!("../demo/risk.toml");
/// The same with throughput-type limits raised, for `--bench`.
pub const DEMO_RISK_BENCH: &str = include_str!("../demo/risk-bench.toml");

/// The `[risk]` section of the demo: the built-in file, market hours
/// waived.
pub fn demo_risk(bench: bool) -> RiskSection {
    let (name, text) = if bench {
        ("gateway/server/demo/risk-bench.toml", DEMO_RISK_BENCH)
    } else {
        ("gateway/server/demo/risk.toml", DEMO_RISK)
    };
    RiskSection {
        config: name.into(),
        market_hours: MarketHours::AlwaysOpen,
        builtin: Some(text),
    }
}

/// The demo's gateway configuration, pointing at venues on `venue_port`.
pub fn demo_config(o: &DemoOptions, venue_port: u16) -> GatewayConfig {
    let tls = ServerTlsFiles {
        cert: o.certs.join("server.pem"),
        key: o.certs.join("server-key.pem"),
        client_ca: None,
        client_cert_required: Some(false),
        versions: Default::default(),
    };
    let venue = |id: &str| VenueConfig {
        id: id.into(),
        hosts: vec![format!("127.0.0.1:{venue_port}")],
        begin_string: "FIX.4.4".into(),
        heartbeat_secs: 30,
        market_data: true,
        clearing_url: None,
        clearing_dir: None,
        clearing_account: None,
        // Wired to the in-process venues by `start`.
        clearing_ca: None,
    };
    GatewayConfig {
        gateway: GatewaySection {
            comp_id: "GATEWAY".into(),
            data_dir: o.data_dir.clone(),
            postgres_url: None,
            postgres_schema_prefix: String::new(),
            journal_fsync: if o.fsync {
                JournalFsync::EveryBatch
            } else {
                JournalFsync::Never
            },
            ..GatewaySection::default()
        },
        listeners: vec![
            ListenerConfig {
                host: "127.0.0.1".into(),
                port: o.port,
                tls: None,
            },
            ListenerConfig {
                host: "127.0.0.1".into(),
                port: o.tls_port,
                tls: Some(tls),
            },
        ],
        clients: vec![
            ClientConfig {
                comp_id: "CLIENT1".into(),
                begin_string: "FIX.4.4".into(),
                accounts: vec!["ACC1".into()],
                drop_copy: false,
                heartbeat_secs: 30,
            },
            ClientConfig {
                comp_id: "DROPCOPY".into(),
                begin_string: "FIX.4.4".into(),
                accounts: vec![],
                drop_copy: true,
                heartbeat_secs: 30,
            },
        ],
        venues: vec![venue("SIMX"), venue("SIMY")],
        instruments: ["AAPL", "NVDA", "SPY"]
            .iter()
            .map(|s| InstrumentConfig {
                symbol: (*s).into(),
                venue: "SIMX".into(),
            })
            .chain(["MSFT", "JPM"].iter().map(|s| InstrumentConfig {
                symbol: (*s).into(),
                venue: "SIMY".into(),
            }))
            .collect(),
        limits: if o.bench {
            LimitsConfig {
                max_order_qty: 1_000_000,
                max_order_notional: rust_decimal::Decimal::from(1_000_000_000u64),
            }
        } else {
            LimitsConfig::default()
        },
        risk: Some(demo_risk(o.bench)),
        settlement: Default::default(),
    }
}

/// Starts the two venues and the gateway; returns once venues are logged on.
pub async fn start(o: &DemoOptions) -> anyhow::Result<(Gateway, simfix::RunningVenues)> {
    anyhow::ensure!(
        o.certs.join("server.pem").exists(),
        "certificates not found in {} (run from the repository root, or `fixgw certs --out {}`)",
        o.certs.display(),
        o.certs.display()
    );
    let instruments = sim_venue::instruments::default_instruments()?;
    let now = simfix::now_nanos();
    let mut venues = Vec::new();
    for (id, seed) in [("SIMX", 1u64), ("SIMY", 2)] {
        let mut c = SimVenueConfig::new(id);
        c.seed = seed;
        venues.push(Venue::new(c, instruments.clone(), now)?);
    }
    // The exchange runs on a thread of its own, as a real one would on
    // its own machine: the gateway's runtime only carries the gateway.
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("sim-venues".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(anyhow::anyhow!("sim venues: runtime: {e}")));
                    return;
                }
            };
            rt.block_on(async move {
                let served = simfix::serve(
                    FixServerConfig {
                        bind: "127.0.0.1:0".parse().expect("a literal address"),
                        tls: None,
                        validate: true,
                    },
                    venues,
                    Arc::new(MemoryStoreFactory),
                )
                .await;
                if tx.send(served).is_ok() {
                    // Serve until the process ends.
                    std::future::pending::<()>().await;
                }
            });
        })?;
    let sim = rx
        .await
        .map_err(|_| anyhow::anyhow!("the sim venues' thread ended"))??;
    // Settlement takes the venues' clearing records straight from them.
    let cfg = demo_config(o, sim.local_addr.port());
    let mut opts = StartOptions::default();
    for v in &cfg.venues {
        let source: Arc<dyn ClearingSource> = Arc::new(InProcessClearing {
            input: sim.input.clone(),
            venue: v.id.clone(),
        });
        opts.clearing.insert(v.id.clone(), vec![source]);
    }
    let gw = runtime::start_with(cfg, opts).await?;
    for v in &gw.venues {
        tokio::time::timeout(Duration::from_secs(10), v.wait_for(|s| s.logged_on))
            .await
            .map_err(|_| anyhow::anyhow!("venue session {} did not log on", v.key))?;
    }
    Ok((gw, sim))
}

/// A sim venue in this process whose clearing records the settlement job
/// asks for directly (its control command `clearing`).
#[derive(Debug, Clone)]
pub struct InProcessClearing {
    pub input: tokio::sync::mpsc::UnboundedSender<simfix::VenueInput>,
    /// The venue's CompID in that process.
    pub venue: String,
}

#[async_trait::async_trait]
impl ClearingSource for InProcessClearing {
    async fn fetch(&self) -> Result<Vec<ClearingFile>, ClearingError> {
        use simfix::control::Command;
        let name = format!("sim venue {}", self.venue);
        let stopped = || ClearingError::Unavailable {
            source_name: name.clone(),
            reason: "has stopped".into(),
        };
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.input
            .send(simfix::VenueInput::Control {
                venue: self.venue.clone(),
                command: Command::Clearing,
                reply,
            })
            .map_err(|_| stopped())?;
        let text = rx
            .await
            .map_err(|_| stopped())?
            .map_err(|e| ClearingError::Unavailable {
                source_name: name.clone(),
                reason: e.to_string(),
            })?;
        Ok(vec![ClearingFile { name, text }])
    }
}

/// What the demo's risk configuration allows ACC1, and what it relaxes.
pub fn risk_summary(cfg: &GatewayConfig) -> String {
    let (name, rc) = match (&cfg.risk, cfg.risk_config()) {
        (Some(section), Ok(Some(rc))) => (section.name(), rc),
        (_, Err(e)) => return format!("invalid: {e}\n"),
        _ => return "[limits] only\n".into(),
    };
    let mut s = format!("risk engine, {name}\n");
    let opt = |x: Option<String>| x.unwrap_or_else(|| "no limit".into());
    for (id, a) in &rc.accounts {
        let l = &a.limits;
        s.push_str(&format!(
            "\x20                  {id}: cash {}; per order {} shares, notional {}; position {} \
             shares per symbol; credit {}; daily notional {}; {} orders/s\n",
            a.cash,
            opt(l.max_order_qty.map(|x| x.to_string())),
            opt(l.max_order_notional.map(|x| x.to_string())),
            opt(l.max_position.map(|x| x.to_string())),
            opt(l.credit_limit.map(|x| x.to_string())),
            opt(l.daily_notional.map(|x| x.to_string())),
            opt(l.orders_per_second.map(|x| x.to_string())),
        ));
    }
    s.push_str(&format!(
        "\x20                  firm: per order at most {} shares, notional {} ([limits])\n",
        opt(rc.firm.max_order_qty.map(|x| x.to_string())),
        opt(rc.firm.max_order_notional.map(|x| x.to_string())),
    ));
    let mut relaxed = Vec::new();
    if cfg.risk.as_ref().map(|r| r.market_hours) == Some(MarketHours::AlwaysOpen) {
        relaxed
            .push("market hours not enforced (orders accepted at night, at weekends, on holidays)");
    }
    if rc.checks.duplicate_window_ms == 0 {
        relaxed.push("identical-order check off (the built-in client repeats orders)");
    }
    if !relaxed.is_empty() {
        s.push_str(&format!("\x20 relaxed for demo {}\n", relaxed.join("; ")));
    }
    s.push_str(
        "\x20 market data      each venue's top of book and trades: marks (last trade, else mid) \
         value\n\x20                  positions and market orders; price collars are off\n\
         \x20 not yet          short sales are refused (orders carry no locate)\n",
    );
    s
}

pub fn banner(o: &DemoOptions, sim: &simfix::RunningVenues) -> String {
    let risk = risk_summary(&demo_config(o, sim.local_addr.port()));
    format!(
        "fixgw demo is running\n\
         \x20 client session   FIX.4.4 CLIENT1 -> GATEWAY, account ACC1\n\
         \x20   plain TCP      127.0.0.1:{}\n\
         \x20   TLS            127.0.0.1:{} (trust {})\n\
         \x20 drop copy        FIX.4.4 DROPCOPY -> GATEWAY on the same ports\n\
         \x20 venues           SIMX (AAPL NVDA SPY), SIMY (MSFT JPM), simulated on {}\n\
         \x20 instruments      AAPL ~190.00, MSFT ~420.00, ... (5% price bands)\n\
         \x20 storage          {} (journal and FIX message stores; journal {})\n\
         \x20 settlement       T+1 (NYSE calendar) against the venues' clearing records, at \
         start and hourly\n\
         \x20 pre-trade risk   {}",
        o.port,
        o.tls_port,
        Path::new(&o.certs).join("ca.pem").display(),
        sim.local_addr,
        o.data_dir.display(),
        if o.fsync {
            "fdatasync per batch"
        } else {
            "written before every acknowledgement, no fsync"
        },
        risk,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use oms::pretrade::FillNotice;
    use oms::{
        AccountId, ClOrdId, Decision, OmsView, OrdType, OrderRequest, PreTradeCheck, Px, Qty, Side,
        Symbol, TimeInForce, Timestamp, VenueId,
    };
    use rust_decimal::Decimal;

    fn options(bench: bool) -> DemoOptions {
        DemoOptions {
            port: 9878,
            tls_port: 9879,
            data_dir: "unused".into(),
            certs: "certs".into(),
            bench,
            fsync: false,
        }
    }

    /// What `fixgw demo --orders N` and `fixgw bench` send: 100-share
    /// marketable IOC buys, AAPL at 199.00 and MSFT at 440.00 in turn,
    /// filled at once; `gap_ns` apart from `start`. Returns the rejects.
    fn run_client(
        k: &mut dyn PreTradeCheck,
        start: Timestamp,
        n: u64,
        gap_ns: i64,
    ) -> Vec<(u64, String)> {
        let p = oms::portfolio::Portfolio::default();
        let v = OmsView { portfolio: &p };
        let mut rejects = Vec::new();
        for i in 0..n {
            let now = Timestamp(start.0 + i as i64 * gap_ns);
            let (sym, px, fill_px, venue) = if i % 2 == 0 {
                (
                    "AAPL",
                    Decimal::new(19900, 2),
                    Decimal::new(19001, 2),
                    "SIMX",
                )
            } else {
                (
                    "MSFT",
                    Decimal::new(44000, 2),
                    Decimal::new(42001, 2),
                    "SIMY",
                )
            };
            let cl = ClOrdId::new(format!("demo-{i}"));
            let r = OrderRequest {
                cl_ord_id: cl.clone(),
                replaces: None,
                account: AccountId::from("ACC1"),
                symbol: Symbol::from(sym),
                side: Side::Buy,
                qty: Qty(100),
                cum_qty: Qty::ZERO,
                ord_type: OrdType::Limit,
                price: Some(Px(px)),
                tif: TimeInForce::Ioc,
                venue: Some(VenueId::from(venue)),
            };
            match k.check(now, &r, &v) {
                Decision::Accept => {
                    k.on_fill(
                        now,
                        &FillNotice {
                            account: r.account.clone(),
                            cl_ord_id: cl.clone(),
                            symbol: r.symbol.clone(),
                            side: Side::Buy,
                            qty: Qty(100),
                            px: Px(fill_px),
                        },
                    );
                    k.on_order_done(now, &r.account, &cl);
                }
                other => rejects.push((i, format!("{other:?}"))),
            }
            while k.poll_alert().is_some() {}
        }
        rejects
    }

    #[test]
    fn demo_orders_go_through_at_any_time() {
        let cfg = demo_config(&options(false), 1);
        cfg.validate("demo").unwrap();
        // A Saturday night, a holiday (Christmas 2026), a weekday night,
        // and a year the NYSE calendar does not cover.
        for start in [
            Timestamp::from_utc(2026, 3, 7, 3, 0, 0),
            Timestamp::from_utc(2026, 12, 25, 15, 0, 0),
            Timestamp::from_utc(2026, 3, 4, 2, 30, 0),
            Timestamp::from_utc(2031, 6, 1, 12, 0, 0),
        ] {
            let mut k = crate::checks::build_checker(&cfg).unwrap();
            // `fixgw demo --orders 200`, 200 identical pairs within 20 ms.
            assert_eq!(run_client(k.as_mut(), start, 200, 100_000), vec![]);
        }
    }

    #[test]
    fn demo_limits_still_bite() {
        let cfg = demo_config(&options(false), 1);
        let mut k = crate::checks::build_checker(&cfg).unwrap();
        let start = Timestamp::from_utc(2026, 3, 7, 3, 0, 0);
        // 100,000 shares per symbol: the 2001st order (AAPL) is refused.
        let rejects = run_client(k.as_mut(), start, 2001, 1_000_000);
        assert_eq!(rejects.len(), 1, "{rejects:?}");
        assert_eq!(rejects[0].0, 2000);
        assert!(
            rejects[0].1.contains(
                "PositionLimit: account ACC1 projected position 100100 in AAPL exceeds limit 100000"
            ),
            "{rejects:?}"
        );
    }

    #[test]
    fn bench_limits_let_the_load_through() {
        let cfg = demo_config(&options(true), 1);
        cfg.validate("demo").unwrap();
        let mut k = crate::checks::build_checker(&cfg).unwrap();
        // 40,000 orders a second for a second: 4,000,000 shares.
        let start = Timestamp::from_utc(2026, 3, 8, 23, 0, 0);
        assert_eq!(run_client(k.as_mut(), start, 40_000, 25_000), vec![]);
        // The limits are still there: an order of 2,000,000 shares is not.
        let p = oms::portfolio::Portfolio::default();
        let v = OmsView { portfolio: &p };
        let r = OrderRequest {
            cl_ord_id: ClOrdId::from("big"),
            replaces: None,
            account: AccountId::from("ACC1"),
            symbol: Symbol::from("AAPL"),
            side: Side::Buy,
            qty: Qty(2_000_000),
            cum_qty: Qty::ZERO,
            ord_type: OrdType::Limit,
            price: Some(Px(Decimal::new(19000, 2))),
            tif: TimeInForce::Ioc,
            venue: Some(VenueId::from("SIMX")),
        };
        match k.check(Timestamp(start.0 + 2_000_000_000), &r, &v) {
            Decision::Reject(v) => assert_eq!(
                v.to_string(),
                "MaxOrderQty: order qty 2000000 exceeds limit 1000000"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_banner_says_what_is_relaxed() {
        for bench in [false, true] {
            let s = risk_summary(&demo_config(&options(bench), 1));
            assert!(
                s.starts_with("risk engine, gateway/server/demo/risk"),
                "{s}"
            );
            assert!(s.contains("market hours not enforced"), "{s}");
            assert!(s.contains("identical-order check off"), "{s}");
            assert!(s.contains("ACC1: cash"), "{s}");
        }
    }
}
