//! Interoperability of the gateway with a FIX client nobody here wrote:
//! QuickFIX C++ (tests/interop/quickfix_client.cpp, see tests/qf_client)
//! logs on to a real `fixgw demo` process, and to `fixgw demo --bench`, as
//! CLIENT1 -> GATEWAY (FIX.4.4), plain on the demo's TCP port and over TLS
//! on its TLS port trusting certs/ca.pem, and sends marketable IOC limit
//! buys of 100 AAPL (routed to venue SIMX) and MSFT (SIMY) on account ACC1,
//! up to 2000 a run with 50 in flight, 5600 in all. Every order must be
//! acknowledged and closed, and every ExecutionReport must reconcile
//! (CumQty + LeavesQty = OrderQty while open, LeavesQty 0 once closed,
//! CumQty = sum of LastQty): the client checks each one and prints a
//! summary, which the test asserts. A client that trusts another CA must
//! fail the TLS handshake.
//!
//! The demo runs as a child process (the binary of this build, built first
//! if needed) on free loopback ports with a data directory in a tempdir;
//! the test waits for its "fixgw demo is running" line, which it prints
//! once its listeners are bound and both venue sessions are logged on.
//!
//! Needs what tests/qf_client needs (g++, pkg-config, libquickfix-dev and
//! a FIX 4.4 dictionary, the project's own by default); without it the
//! tests fail, they never skip.

mod common;
mod qf_client;

use qf_client::{check_run, repo_root, run_client, ClientOutput, ClientRun};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader, Lines};

/// Limit prices for the demo's venues (AAPL and MSFT quoted around 190.00
/// and 420.00, best offer one tick above, 5% price bands that move with
/// the reference price): well above the offers, so the IOC buys are
/// marketable, and 2.6% and 2.4% above the reference, so the random walk
/// of a test's duration never puts them outside the band (199.00 and
/// 440.00 sit 0.25% inside it). Notional 19,500 and 43,000 per order, far
/// under the demo's limits.
const ORDERS: &str = "AAPL=195.00,MSFT=430.00";

/// How long the demo may take to say it is running (a debug build on a
/// busy machine; its venue sessions alone may take 10 s to log on).
const START: Duration = Duration::from_secs(60);

/// A `fixgw demo` child process and everything it printed so far.
struct Demo {
    child: tokio::process::Child,
    port: u16,
    tls_port: u16,
    log: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

/// Appends every remaining line of `lines` to `log` (and keeps the
/// child's pipe from filling up).
fn drain<R>(mut lines: Lines<R>, log: Arc<Mutex<String>>, prefix: &'static str)
where
    R: AsyncBufRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        while let Ok(Some(l)) = lines.next_line().await {
            let mut log = log.lock().unwrap();
            log.push_str(prefix);
            log.push_str(&l);
            log.push('\n');
        }
    });
}

impl Demo {
    /// Starts `fixgw demo` (with `--bench` if `bench`) on free ports. A
    /// port taken by someone else between our probe and the demo's bind
    /// makes the demo exit: then it starts again on other ports.
    async fn start(bench: bool) -> Demo {
        let mut failures = String::new();
        for attempt in 1..=3 {
            match Demo::try_start(bench).await {
                Ok(d) => return d,
                Err(e) => {
                    eprintln!("fixgw demo attempt {attempt} failed:\n{e}");
                    failures.push_str(&format!("attempt {attempt}:\n{e}\n"));
                }
            }
        }
        panic!("fixgw demo did not start:\n{failures}");
    }

    async fn try_start(bench: bool) -> Result<Demo, String> {
        let fixgw = tokio::task::spawn_blocking(common::fixgw_binary)
            .await
            .expect("build task");
        let dir = tempfile::tempdir().expect("tempdir");
        let port = common::free_port();
        let tls_port = loop {
            let p = common::free_port();
            if p != port {
                break p;
            }
        };
        let mut cmd = tokio::process::Command::new(&fixgw);
        cmd.arg("demo")
            .arg("--port")
            .arg(port.to_string())
            .arg("--tls-port")
            .arg(tls_port.to_string())
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("--certs")
            .arg(repo_root().join("certs"));
        if bench {
            cmd.arg("--bench");
        }
        let mut child = cmd
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", fixgw.display()));
        let log = Arc::new(Mutex::new(String::new()));
        drain(
            BufReader::new(child.stderr.take().unwrap()).lines(),
            log.clone(),
            "fixgw stderr: ",
        );
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Ready at "fixgw demo is running"; the banner lines after it name
        // the two listeners: the process we started, on our ports.
        let (plain, tls) = (format!("127.0.0.1:{port}"), format!("127.0.0.1:{tls_port}"));
        let banner = tokio::time::timeout(START, async {
            let mut banner = String::new();
            let mut running = false;
            while let Some(l) = lines.next_line().await.expect("read fixgw output") {
                log.lock().unwrap().push_str(&format!("fixgw: {l}\n"));
                running |= l.contains("fixgw demo is running");
                if running {
                    banner.push_str(&l);
                    banner.push('\n');
                    if banner.contains(&plain) && banner.contains(&tls) {
                        return Some(banner);
                    }
                }
            }
            None
        })
        .await;
        let banner = match banner {
            Ok(Some(b)) => b,
            Ok(None) => {
                let status = child.wait().await.expect("wait for fixgw");
                // Let the stderr drain catch up with the exit.
                tokio::task::yield_now().await;
                return Err(format!(
                    "fixgw demo exited ({status}) before it was running:\n{}",
                    log.lock().unwrap()
                ));
            }
            Err(_) => {
                let _ = child.kill().await;
                return Err(format!(
                    "fixgw demo did not say it was running within {START:?}:\n{}",
                    log.lock().unwrap()
                ));
            }
        };
        drain(lines, log.clone(), "fixgw: ");
        assert!(
            banner.contains("CLIENT1 -> GATEWAY, account ACC1"),
            "the demo's banner does not name the client session:\n{banner}"
        );
        Ok(Demo {
            child,
            port,
            tls_port,
            log,
            _dir: dir,
        })
    }

    fn log(&self) -> String {
        format!("fixgw demo output:\n{}", self.log.lock().unwrap())
    }

    /// The QuickFIX client as CLIENT1 on account ACC1: plain TCP, or TLS
    /// trusting `tls_ca`.
    async fn client(
        &self,
        count: u64,
        window: u64,
        tls_ca: Option<&std::path::Path>,
    ) -> ClientOutput {
        run_client(&ClientRun {
            port: if tls_ca.is_some() {
                self.tls_port
            } else {
                self.port
            },
            sender: "CLIENT1",
            target: "GATEWAY",
            count,
            window,
            orders: ORDERS,
            account: "ACC1",
            tls_ca,
        })
        .await
    }

    /// Runs the client and checks its summary; prints the figures.
    async fn run_ok(
        &mut self,
        what: &str,
        count: u64,
        window: u64,
        tls_ca: Option<&std::path::Path>,
    ) {
        let out = self.client(count, window, tls_ca).await;
        let (s, more) = check_run(&out, count, &self.log());
        println!(
            "{what}: {count} orders, {window} in flight: filled_qty {} elapsed_ms {} orders_per_s {} \
             ack_p50_us {} ack_p99_us {} close_p50_us {} close_p99_us {}",
            s["filled_qty"],
            s["elapsed_ms"],
            more["orders_per_s"],
            more["ack_p50_us"],
            more["ack_p99_us"],
            more["close_p50_us"],
            more["close_p99_us"]
        );
        self.assert_alive();
    }

    fn assert_alive(&mut self) {
        if let Some(status) = self.child.try_wait().expect("poll fixgw") {
            panic!("fixgw demo exited ({status}):\n{}", self.log());
        }
    }

    async fn stop(mut self) {
        self.assert_alive();
        let _ = self.child.kill().await;
    }
}

fn ca() -> std::path::PathBuf {
    repo_root().join("certs/ca.pem")
}

/// `fixgw demo`: 1000 orders over plain TCP, then 300 over TLS, then (the
/// session logged on again each time, sequence numbers reset by the
/// client's ResetSeqNumFlag) 200 more over plain TCP.
///
/// Sized to the demo's own limits for ACC1 (not `--bench`): how much of
/// each IOC fills depends on the venue's liquidity (its quote size follows
/// the time of day) and on the machine's speed, so the 1500 orders must
/// fit even if every one filled: 750 x 100 shares per symbol (limit:
/// 100,000), 750 x (19,500 + 43,000) = 46.9 million of notional at the
/// limit prices, about 45.8 million at the quotes (ACC1's cash: 50
/// million).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickfix_client_trades_through_fixgw_demo_plain_and_tls() {
    let mut demo = Demo::start(false).await;
    demo.run_ok("demo, plain TCP", 1000, 50, None).await;
    demo.run_ok("demo, TLS", 300, 50, Some(&ca())).await;
    demo.run_ok("demo, plain TCP again", 200, 50, None).await;
    demo.stop().await;
}

/// `fixgw demo --bench` (limits raised for load tests): 2000 orders over
/// plain TCP, then 2000 over TLS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickfix_client_trades_through_fixgw_demo_bench_plain_and_tls() {
    let mut demo = Demo::start(true).await;
    demo.run_ok("demo --bench, plain TCP", 2000, 50, None).await;
    demo.run_ok("demo --bench, TLS", 2000, 50, Some(&ca()))
        .await;
    demo.stop().await;
}

/// A QuickFIX client that trusts another CA refuses the demo's certificate:
/// the TLS handshake fails, nothing is sent, the client says why; a client
/// trusting certs/ca.pem then logs on to the same demo.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickfix_client_refuses_a_certificate_it_does_not_trust() {
    let other = tempfile::tempdir().expect("tempdir");
    gateway::certs::generate(other.path()).expect("another development CA");
    let mut demo = Demo::start(false).await;
    let out = demo
        .client(10, 10, Some(&other.path().join("ca.pem")))
        .await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "the client fails: {}\n{}",
        out.text(),
        demo.log()
    );
    assert!(
        out.stderr.contains("TLS handshake failed"),
        "the client says the handshake failed: {}",
        out.text()
    );
    assert!(
        !out.stdout.lines().any(|l| l.starts_with("orders ")),
        "no order was sent: {}",
        out.text()
    );
    demo.run_ok("demo, TLS after a refused handshake", 100, 10, Some(&ca()))
        .await;
    demo.stop().await;
}
