//! `fixgw demo`: the gateway with embedded storage and two simulated venues
//! in one process, a FIX 4.4 client session CLIENT1 -> GATEWAY on
//! 127.0.0.1:9878 (TCP) and 9879 (TLS with certs/), account ACC1, and a
//! drop-copy session DROPCOPY. With `--orders N` a built-in client trades
//! and the demo prints what happened.

use crate::config::{
    ClientConfig, GatewayConfig, GatewaySection, InstrumentConfig, JournalFsync, LimitsConfig,
    ListenerConfig, VenueConfig,
};
use crate::runtime::{self, Gateway};
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
    let sim = simfix::serve(
        FixServerConfig {
            bind: "127.0.0.1:0".parse()?,
            tls: None,
            validate: true,
        },
        venues,
        Arc::new(MemoryStoreFactory),
    )
    .await?;
    let gw = runtime::start(demo_config(o, sim.local_addr.port())).await?;
    for v in &gw.venues {
        tokio::time::timeout(Duration::from_secs(10), v.wait_for(|s| s.logged_on))
            .await
            .map_err(|_| anyhow::anyhow!("venue session {} did not log on", v.key))?;
    }
    Ok((gw, sim))
}

pub fn banner(o: &DemoOptions, sim: &simfix::RunningVenues) -> String {
    format!(
        "fixgw demo is running\n\
         \x20 client session   FIX.4.4 CLIENT1 -> GATEWAY, account ACC1\n\
         \x20   plain TCP      127.0.0.1:{}\n\
         \x20   TLS            127.0.0.1:{} (trust {})\n\
         \x20 drop copy        FIX.4.4 DROPCOPY -> GATEWAY on the same ports\n\
         \x20 venues           SIMX (AAPL NVDA SPY), SIMY (MSFT JPM), simulated on {}\n\
         \x20 instruments      AAPL ~190.00, MSFT ~420.00, ... (5% price bands)\n\
         \x20 storage          {} (journal and FIX message stores; journal {})\n\
         \x20 limits           {}\n",
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
        if o.bench {
            "bench (max qty 1,000,000, max notional 1,000,000,000)"
        } else {
            "max qty 10,000, max notional 1,000,000"
        },
    )
}
