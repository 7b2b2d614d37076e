//! Regenerates the development certificates: `cargo run -p gateway --example
//! gen_certs -- [OUT_DIR]` (default `certs`). The same as `fixgw certs --out
//! OUT_DIR`; kept so the certificates can be rebuilt without the CLI.
#![forbid(unsafe_code)]

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let out_dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("certs"), PathBuf::from);
    gateway::certs::generate(&out_dir)?;
    println!("wrote development certificates to {}", out_dir.display());
    Ok(())
}
