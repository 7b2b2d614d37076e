//! Interoperability with a FIX engine nobody here wrote: QuickFIX C++
//! (Debian's libquickfix-dev) logs on to the simulated exchange as a FIX 4.4
//! initiator, sends marketable IOC limit buys for AAPL and MSFT, and checks
//! every ExecutionReport (see tests/interop/quickfix_client.cpp). The test
//! compiles that client with g++, starts a venue in-process on a free
//! loopback port, runs the client as a child process and asserts its exit
//! status and its summary line.
//!
//! Needs g++, pkg-config and libquickfix-dev (scripts/test.sh installs the
//! library), and a QuickFIX-format FIX 4.4 data dictionary: $QF_DICTIONARY,
//! or by default the project's own (fix-dictionaries/xml/FIX-4.4.xml, which
//! QuickFIX C++ loads as it is), so the tests need nothing from outside
//! the repository. Without them the tests fail and say what is missing;
//! they never skip.

mod qf_client;

use qf_client::{check_run, run_client, ClientRun};
use sim_venue::fix::RunningVenues;
use sim_venue::venue::VenueConfig;

/// Limit prices inside the venue's 5% band around 190 and 420, above the
/// simulated offers: the buys are marketable.
const ORDERS: &str = "AAPL=199.00,MSFT=440.00";

async fn start_venue() -> RunningVenues {
    let mut vcfg = VenueConfig::new("SIMX");
    vcfg.seed = 11;
    test_support::venue::serve(vcfg).await
}

/// Runs the QuickFIX client against a fresh venue and checks its report.
async fn run(sender: &str, count: u64, window: u64) {
    let venue = start_venue().await;
    let out = run_client(&ClientRun {
        port: venue.local_addr.port(),
        sender,
        target: "SIMX",
        count,
        window,
        orders: ORDERS,
        account: "ACC1",
        tls_ca: None,
    })
    .await;
    check_run(&out, count, "");
    drop(venue);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickfix_client_2000_ioc_orders_50_in_flight() {
    run("QFCLIENT1", 2000, 50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickfix_client_one_order_at_a_time() {
    run("QFCLIENT2", 300, 1).await;
}
