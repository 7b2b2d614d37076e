//! `sim-venue`: the simulated exchange over FIX, and its load client.
//!
//! `sim-venue --port P --comp-id ID [--symbols SYM=PRICE,...] [--seed N]`
//! serves one venue; `sim-venue load ...` drives N orders at a venue.

use clap::{Parser, Subcommand};
use fix_engine::store::{FileStoreFactory, FsyncPolicy, MemoryStoreFactory, StoreFactory};
use rust_decimal::Decimal;
use sim_venue::fix::{self, FixServerConfig};
use sim_venue::instruments::{default_instruments, load_instruments, Instrument};
use sim_venue::venue::{Venue, VenueConfig};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "sim-venue",
    version,
    about = "Simulated exchange over FIX",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// FIX port (all venues of the process share it).
    #[arg(long, default_value_t = 9880)]
    port: u16,
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The venue's CompID (initiators address it as TargetCompID).
    #[arg(long, default_value = "SIMX")]
    comp_id: String,
    /// Instruments as SYM=PRICE,... (equities, tick 0.01); default: the
    /// bundled instruments file.
    #[arg(long)]
    symbols: Option<String>,
    /// Instruments file (TOML), instead of --symbols.
    #[arg(long)]
    instruments: Option<PathBuf>,
    /// Seed of the simulated market (a run is reproducible per seed).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// HTTP control interface port (0: any free port).
    #[arg(long)]
    control_port: Option<u16>,
    /// Keep FIX sequence numbers in files under this directory (default:
    /// in memory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Scenario file: timed halts, bands, circuit breakers, shocks and
    /// faults (see the scenario module for the format), from start-up.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Do not validate inbound messages against the dictionaries.
    #[arg(long)]
    no_validate: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Send N orders with W in flight and print throughput and latency.
    Load {
        #[arg(long, default_value = "127.0.0.1:9880")]
        target: String,
        #[arg(long, default_value = "SIMX")]
        comp_id: String,
        #[arg(long, default_value = "LOAD1")]
        sender: String,
        #[arg(long, default_value = "FIX.4.4")]
        begin_string: String,
        /// SYM=LIMITPRICE,... (buy limits at or above the offer fill).
        #[arg(long, default_value = "AAPL=199.00,MSFT=440.00")]
        orders: String,
        #[arg(long, default_value_t = 100)]
        qty: u64,
        /// TimeInForce: 3 IOC (default), 0 DAY, 4 FOK.
        #[arg(long, default_value = "3")]
        tif: String,
        #[arg(long, short = 'n', default_value_t = 10_000)]
        count: u64,
        #[arg(long, short = 'w', default_value_t = 1)]
        window: u64,
        #[arg(long)]
        account: Option<String>,
    },
}

fn parse_symbols(s: &str) -> anyhow::Result<Vec<Instrument>> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (sym, px) = p
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--symbols: {p:?} is not SYM=PRICE"))?;
            let px = Decimal::from_str(px)
                .map_err(|e| anyhow::anyhow!("--symbols: price {px:?}: {e}"))?;
            Ok(Instrument::equity(sym, px, Decimal::new(1, 2)))
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.command {
            Some(Cmd::Load {
                target,
                comp_id,
                sender,
                begin_string,
                orders,
                qty,
                tif,
                count,
                window,
                account,
            }) => {
                let orders = orders
                    .split(',')
                    .filter_map(|p| {
                        p.split_once('=')
                            .map(|(s, px)| (s.to_owned(), px.to_owned()))
                    })
                    .collect();
                let cfg = sim_venue::load::LoadConfig {
                    target,
                    begin_string,
                    sender_comp_id: sender,
                    target_comp_id: comp_id,
                    account,
                    orders,
                    side: "1".into(),
                    qty,
                    tif,
                    count,
                    window,
                    tls: None,
                };
                let report = sim_venue::load::run(cfg, Duration::from_secs(600)).await?;
                println!("{}", report.summary());
                anyhow::ensure!(
                    report.inconsistent == 0,
                    "{} inconsistent reports",
                    report.inconsistent
                );
                Ok(())
            }
            None => serve(cli.serve).await,
        }
    })
}

async fn serve(a: ServeArgs) -> anyhow::Result<()> {
    let instruments = match (&a.symbols, &a.instruments) {
        (Some(s), _) => parse_symbols(s)?,
        (None, Some(path)) => load_instruments(path)?,
        (None, None) => default_instruments()?,
    };
    let mut vcfg = VenueConfig::new(&a.comp_id);
    vcfg.seed = a.seed;
    let mut venue = Venue::new(vcfg, instruments, fix::now_nanos())?;
    if let Some(path) = &a.scenario {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        let actions = sim_venue::scenario::parse_scenario(&text, &file)?;
        venue.load_scenario(actions, fix::now_nanos())?;
    }
    let stores: Arc<dyn StoreFactory> = match &a.data_dir {
        Some(dir) => Arc::new(FileStoreFactory::new(dir.clone(), FsyncPolicy::Never)),
        None => Arc::new(MemoryStoreFactory),
    };
    let cfg = FixServerConfig {
        bind: SocketAddr::new(a.host, a.port),
        tls: None,
        validate: !a.no_validate,
    };
    let running = fix::serve(cfg, vec![venue], stores).await?;
    println!(
        "sim-venue {} listening for FIX on {}",
        a.comp_id, running.local_addr
    );
    if let Some(p) = a.control_port {
        let addr =
            fix::control::serve_control(SocketAddr::new(a.host, p), running.input.clone()).await?;
        println!("control interface on http://{addr}/{}/command", a.comp_id);
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}
