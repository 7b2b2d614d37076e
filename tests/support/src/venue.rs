//! In-process simulated venues for tests: the default instruments (AAPL
//! at 190.00 and MSFT at 420.00, tick 0.01) and [`serve`], which starts one
//! venue's FIX acceptor on a free loopback port with validation on and an
//! in-memory message store ([`serve_instruments`] for other instruments). The caller's [`VenueConfig`] (id, seed,
//! liquidity) stays in the test, where it is part of what is tested.

use fix_engine::store::MemoryStoreFactory;
use rust_decimal::Decimal;
use sim_venue::fix::{self, FixServerConfig, RunningVenues};
use sim_venue::instruments::Instrument;
use sim_venue::venue::{Venue, VenueConfig};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// AAPL at 190.00 and MSFT at 420.00, equities with a 0.01 tick.
pub fn instruments() -> Vec<Instrument> {
    vec![
        Instrument::equity("AAPL", Decimal::new(19000, 2), Decimal::new(1, 2)),
        Instrument::equity("MSFT", Decimal::new(42000, 2), Decimal::new(1, 2)),
    ]
}

/// Serves one venue, configured by `cfg`, quoting [`instruments`], on a
/// free loopback port.
pub async fn serve(cfg: VenueConfig) -> RunningVenues {
    serve_instruments(cfg, instruments()).await
}

/// [`serve`] quoting `instruments` instead.
pub async fn serve_instruments(cfg: VenueConfig, instruments: Vec<Instrument>) -> RunningVenues {
    let venue = Venue::new(cfg, instruments, fix::now_nanos()).expect("venue config is valid");
    fix::serve(
        FixServerConfig {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            tls: None,
            validate: true,
        },
        vec![venue],
        Arc::new(MemoryStoreFactory),
    )
    .await
    .expect("the sim venue listens on a loopback port")
}
