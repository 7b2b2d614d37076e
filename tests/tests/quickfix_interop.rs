//! Interoperability with a FIX engine nobody here wrote: QuickFIX C++
//! (Debian's libquickfix-dev) logs on to the simulated exchange as a FIX 4.4
//! initiator, sends marketable IOC limit buys for AAPL and MSFT, and checks
//! every ExecutionReport (see tests/interop/quickfix_client.cpp). The test
//! compiles that client with g++, starts a venue in-process on a free
//! loopback port, runs the client as a child process and asserts its exit
//! status and its summary line.
//!
//! Needs g++, pkg-config and libquickfix-dev (scripts/test.sh installs the
//! library), and QuickFIX's FIX 4.4 data dictionary: $QF_DICTIONARY, or
//! ../shared/fix-acceptance/spec/FIX44.xml beside the repository. Without
//! them the tests fail and say what is missing; they never skip.

use fix_engine::store::MemoryStoreFactory;
use rust_decimal::Decimal;
use sim_venue::fix::{self, FixServerConfig, RunningVenues};
use sim_venue::instruments::Instrument;
use sim_venue::venue::{Venue, VenueConfig};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Limit prices inside the venue's 5% band around 190 and 420, above the
/// simulated offers: the buys are marketable.
const ORDERS: &str = "AAPL=199.00,MSFT=440.00";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_path_buf()
}

fn dictionary() -> PathBuf {
    let path = match std::env::var_os("QF_DICTIONARY") {
        Some(p) => PathBuf::from(p),
        None => repo_root().join("../shared/fix-acceptance/spec/FIX44.xml"),
    };
    assert!(
        path.is_file(),
        "QuickFIX's FIX 4.4 data dictionary is not at {} (set QF_DICTIONARY to a FIX44.xml)",
        path.display()
    );
    path
}

fn compile_client() -> Result<PathBuf, String> {
    let pkg = Command::new("pkg-config")
        .args(["--cflags", "--libs", "quickfix"])
        .output()
        .map_err(|e| format!("cannot run pkg-config ({e}): install pkg-config"))?;
    if !pkg.status.success() {
        return Err(format!(
            "pkg-config does not know quickfix: libquickfix-dev is not installed \
             (apt-get install -y libquickfix-dev; scripts/test.sh does this): {}",
            String::from_utf8_lossy(&pkg.stderr).trim()
        ));
    }
    let flags = String::from_utf8_lossy(&pkg.stdout).into_owned();
    let source = repo_root().join("tests/interop/quickfix_client.cpp");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("quickfix_interop");
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let binary = dir.join("quickfix_client");
    // Built under a name of its own, then renamed: concurrent test runs
    // never see a half-written binary.
    let partial = dir.join(format!("quickfix_client.{}.tmp", std::process::id()));
    // C++14, not 17: QuickFIX 1.15.1's headers use dynamic exception
    // specifications, which C++17 rejects.
    let out = Command::new("g++")
        .args(["-O2", "-std=c++14", "-Wno-deprecated", "-o"])
        .arg(&partial)
        .arg(&source)
        .args(flags.split_whitespace())
        .arg("-lpthread")
        .output()
        .map_err(|e| format!("cannot run g++ ({e}): install g++"))?;
    if !out.status.success() {
        return Err(format!(
            "g++ could not build {} against QuickFIX ({}):\n{}",
            source.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    std::fs::rename(&partial, &binary).map_err(|e| format!("rename: {e}"))?;
    Ok(binary)
}

/// The client binary, compiled once per test process.
fn client_binary() -> PathBuf {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BINARY.get_or_init(compile_client) {
        Ok(p) => p.clone(),
        Err(e) => panic!("{e}"),
    }
}

async fn start_venue() -> RunningVenues {
    let mut vcfg = VenueConfig::new("SIMX");
    vcfg.seed = 11;
    let instruments = vec![
        Instrument::equity("AAPL", Decimal::new(19000, 2), Decimal::new(1, 2)),
        Instrument::equity("MSFT", Decimal::new(42000, 2), Decimal::new(1, 2)),
    ];
    let venue = Venue::new(vcfg, instruments, fix::now_nanos()).expect("venue");
    fix::serve(
        FixServerConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            tls: None,
            validate: true,
        },
        vec![venue],
        Arc::new(MemoryStoreFactory),
    )
    .await
    .expect("venue listens")
}

/// The `name value` pairs of the client's output line that starts with
/// `first`: `orders N acked A closed C filled_qty Q inconsistent K
/// elapsed_ms T`, or `sent N rejected R ...` (latencies are decimals).
fn summary(stdout: &str, first: &str) -> HashMap<String, f64> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(first))
        .unwrap_or_else(|| panic!("no {first:?} line in the client's output:\n{stdout}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    words
        .chunks(2)
        .map(|kv| {
            let v = kv
                .get(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("bad summary line {line:?}"));
            (kv[0].to_owned(), v)
        })
        .collect()
}

/// Runs the QuickFIX client against a fresh venue and checks its report.
async fn run(sender: &str, count: u64, window: u64) {
    let binary = tokio::task::spawn_blocking(client_binary)
        .await
        .expect("compile task");
    let dict = dictionary();
    let venue = start_venue().await;
    let port = venue.local_addr.port().to_string();
    let (count_s, window_s) = (count.to_string(), window.to_string());
    let child = tokio::process::Command::new(&binary)
        .args([
            "127.0.0.1",
            port.as_str(),
            sender,
            "SIMX",
            count_s.as_str(),
            window_s.as_str(),
            ORDERS,
            "ACC1",
        ])
        .env("QF_DICTIONARY", &dict)
        .env("QF_TIMEOUT_SECS", "150")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
    let out = tokio::time::timeout(Duration::from_secs(180), child.wait_with_output())
        .await
        .expect("the QuickFIX client finished within 180 s")
        .expect("wait for the QuickFIX client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("quickfix_client stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        out.status.success(),
        "the QuickFIX client failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let s = summary(&stdout, "orders ");
    let n = count as f64;
    assert_eq!(s["orders"], n, "{stdout}");
    assert_eq!(s["acked"], n, "every order acknowledged: {stdout}");
    assert_eq!(s["closed"], n, "every order closed: {stdout}");
    assert_eq!(s["inconsistent"], 0.0, "no inconsistent report: {stdout}");
    assert!(s["filled_qty"] > 0.0, "marketable orders filled: {stdout}");
    assert!(
        s["filled_qty"] <= n * 100.0,
        "no more filled than ordered: {stdout}"
    );
    let more = summary(&stdout, "sent ");
    assert_eq!(more["sent"], n, "{stdout}");
    assert_eq!(
        more["rejected"], 0.0,
        "valid orders inside the band are not rejected: {stdout}"
    );
    assert_eq!(more["session_rejects_sent"], 0.0, "{stdout}");
    assert_eq!(more["session_rejects_received"], 0.0, "{stdout}");
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
