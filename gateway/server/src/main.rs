//! `fixgw`: the gateway's command line (see ARCHITECTURE.md for the
//! contract scripts rely on).

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
    /// Regenerate the development CA and certificates.
    Certs {
        #[arg(long, default_value = "certs")]
        out: PathBuf,
    },
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
        Cmd::Certs { out } => {
            gateway::certs::generate(&out)?;
            println!("development certificates written to {}", out.display());
            Ok(())
        }
    }
}
