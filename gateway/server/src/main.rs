//! `fixgw`: the gateway's command line (see ARCHITECTURE.md for the
//! contract scripts rely on). `demo` and `bench` exist with the `demo`
//! cargo feature (the default), which embeds the simulated exchange.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "fixgw",
    version,
    about = "FIX broker gateway and order management system"
)]
struct Cli {
    /// Runtime threads for `run`, `demo` and `bench`. 1 (the default)
    /// runs every FIX session and the OMS core on one thread: on a small
    /// machine that gives both the lowest latency and the most orders/s,
    /// as nothing is handed between cores (BENCHMARKS.md). More threads
    /// spread the sessions over cores (many clients, TLS handshakes).
    #[arg(long, global = true, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: u16,
    /// Busy-poll the sockets for this many microseconds after the last
    /// work instead of sleeping (lower latency on a quiet machine, a core
    /// spent while traffic flows). Default 0; 100 for `demo --bench`.
    #[arg(long, global = true)]
    busy_poll_us: Option<u64>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The acceptor the FIX session acceptance suite runs against.
    AcceptanceServer {
        #[arg(long)]
        port: u16,
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
    },
    /// The gateway from a TOML config.
    Run {
        #[arg(long)]
        config: PathBuf,
    },
    /// Gateway + two simulated venues in one process (`demo` feature).
    #[cfg(feature = "demo")]
    Demo {
        /// Run a built-in client that sends this many orders, then exit.
        #[arg(long)]
        orders: Option<u64>,
        /// In-flight window of the built-in client.
        #[arg(long, default_value_t = 50)]
        window: u64,
        /// Raise throughput-type limits so load tests measure the path.
        #[arg(long)]
        bench: bool,
        #[arg(long, default_value_t = 9878)]
        port: u16,
        #[arg(long, default_value_t = 9879)]
        tls_port: u16,
        #[arg(long, default_value = "fixgw-demo-data")]
        data_dir: PathBuf,
        #[arg(long, default_value = "certs")]
        certs: PathBuf,
        /// Journal fsync per batch: "always" (default) or "never".
        #[arg(long, default_value = "always")]
        journal_fsync: String,
    },
    /// Load client: N orders with W in flight; prints orders/s and latency
    /// (`demo` feature: it is the simulator's load client).
    #[cfg(feature = "demo")]
    Bench {
        #[arg(long, default_value = "127.0.0.1:9878")]
        target: String,
        #[arg(long, default_value = "CLIENT1")]
        sender: String,
        #[arg(long, default_value = "GATEWAY")]
        target_comp_id: String,
        #[arg(long, default_value = "ACC1")]
        account: String,
        /// SYM=LIMITPRICE,... (marketable IOC buys by default).
        #[arg(long, default_value = "AAPL=199.00,MSFT=440.00")]
        orders: String,
        #[arg(long, short = 'n', default_value_t = 10_000)]
        count: u64,
        #[arg(long, short = 'w', default_value_t = 1)]
        window: u64,
        #[arg(long, default_value_t = 100)]
        qty: u64,
    },
    /// Not in this build: `demo` and `bench` embed the simulated exchange,
    /// which needs the `demo` cargo feature.
    #[cfg(not(feature = "demo"))]
    #[command(name = "demo", alias = "bench", hide = true)]
    NoDemo {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        args: Vec<String>,
    },
    /// Regenerate the development CA and certificates.
    Certs {
        #[arg(long, default_value = "certs")]
        out: PathBuf,
    },
}

/// The runtime for `run`, `demo` and `bench` (see `--threads`,
/// `--busy-poll-us`).
struct RuntimeOpts {
    threads: u16,
    busy_poll_us: Option<u64>,
}

impl RuntimeOpts {
    fn build(&self, default_busy_poll_us: u64) -> anyhow::Result<tokio::runtime::Runtime> {
        let busy = self.busy_poll_us.unwrap_or(default_busy_poll_us);
        Ok(gateway::threads::runtime(
            self.threads,
            std::time::Duration::from_micros(busy),
        )?)
    }
}

#[cfg(feature = "demo")]
#[allow(clippy::too_many_arguments)]
fn load_cfg(
    target: String,
    sender: &str,
    target_comp_id: &str,
    account: &str,
    orders: &str,
    qty: u64,
    count: u64,
    window: u64,
) -> sim_venue::load::LoadConfig {
    sim_venue::load::LoadConfig {
        target,
        begin_string: "FIX.4.4".into(),
        sender_comp_id: sender.into(),
        target_comp_id: target_comp_id.into(),
        account: Some(account.into()),
        orders: orders
            .split(',')
            .filter_map(|p| {
                p.split_once('=')
                    .map(|(s, px)| (s.to_owned(), px.to_owned()))
            })
            .collect(),
        side: "1".into(),
        qty,
        tif: "3".into(),
        count,
        window,
        tls: None,
    }
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
    let rt = RuntimeOpts {
        threads: cli.threads,
        busy_poll_us: cli.busy_poll_us,
    };
    match cli.command {
        Cmd::AcceptanceServer { port, host } => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            rt.block_on(async move {
                let acc = gateway::acceptance::acceptor(
                    SocketAddr::new(host, port),
                    gateway::validators::for_begin_string,
                )
                .await?;
                let running = acc.bind().await?;
                println!(
                    "fixgw acceptance-server listening on {}",
                    running.local_addr
                );
                tokio::signal::ctrl_c().await?;
                Ok(())
            })
        }
        Cmd::Run { config } => {
            let cfg = gateway::config::GatewayConfig::load(&config)
                .map_err(|e| anyhow::anyhow!("invalid configuration {}: {e}", config.display()))?;
            rt.build(0)?.block_on(async move {
                let gw = gateway::runtime::start(cfg).await?;
                for l in &gw.listeners {
                    println!("fixgw listening for FIX on {}", l.local_addr);
                }
                tokio::signal::ctrl_c().await?;
                Ok(())
            })
        }
        #[cfg(feature = "demo")]
        Cmd::Demo {
            orders,
            window,
            bench,
            port,
            tls_port,
            data_dir,
            certs,
            journal_fsync,
        } => {
            let fsync = match journal_fsync.as_str() {
                "always" => true,
                "never" => false,
                other => anyhow::bail!("--journal-fsync: {other:?} is not \"always\" or \"never\""),
            };
            let o = gateway::demo::DemoOptions {
                port,
                tls_port,
                data_dir,
                certs,
                bench,
                fsync,
            };
            rt.build(if bench { 100 } else { 0 })?.block_on(async move {
                let (gw, sim) = gateway::demo::start(&o).await?;
                print!("{}", gateway::demo::banner(&o, &sim));
                match orders {
                    Some(n) => {
                        let report = sim_venue::load::run(load_cfg(format!("127.0.0.1:{port}"), "CLIENT1", "GATEWAY", "ACC1", "AAPL=199.00,MSFT=440.00", 100, n, window), std::time::Duration::from_secs(600)).await?;
                        println!("\nbuilt-in client: {n} marketable IOC orders for AAPL and MSFT on ACC1");
                        println!("{}", report.summary());
                        println!("\npositions and P&L\n{}", gw.summary().await);
                        anyhow::ensure!(report.inconsistent == 0, "{} reports did not reconcile", report.inconsistent);
                        Ok(())
                    }
                    None => {
                        println!("press Ctrl-C to stop");
                        tokio::signal::ctrl_c().await?;
                        Ok(())
                    }
                }
            })
        }
        #[cfg(feature = "demo")]
        Cmd::Bench {
            target,
            sender,
            target_comp_id,
            account,
            orders,
            count,
            window,
            qty,
        } => rt.build(0)?.block_on(async move {
            let report = sim_venue::load::run(
                load_cfg(
                    target,
                    &sender,
                    &target_comp_id,
                    &account,
                    &orders,
                    qty,
                    count,
                    window,
                ),
                std::time::Duration::from_secs(600),
            )
            .await?;
            println!("{}", report.summary());
            anyhow::ensure!(
                report.inconsistent == 0,
                "{} reports did not reconcile",
                report.inconsistent
            );
            Ok(())
        }),
        #[cfg(not(feature = "demo"))]
        Cmd::NoDemo { .. } => anyhow::bail!(
            "this fixgw was built without the `demo` cargo feature: `demo` and `bench` embed \
             the simulated exchange (build with `cargo build -p gateway --features demo`)"
        ),
        Cmd::Certs { out } => {
            gateway::certs::generate(&out)?;
            println!("development certificates written to {}", out.display());
            Ok(())
        }
    }
}
