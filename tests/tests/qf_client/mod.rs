//! The QuickFIX C++ client of the interoperability tests
//! (tests/interop/quickfix_client.cpp): compiled once per test process with
//! g++ against Debian's libquickfix-dev, run as a child process against any
//! FIX 4.4 acceptor (the simulated venue, or the gateway's demo), its
//! summary lines parsed and checked.
//!
//! Needs g++, pkg-config and libquickfix-dev (scripts/test.sh installs the
//! library), and a QuickFIX-format FIX 4.4 data dictionary: $QF_DICTIONARY,
//! or by default the project's own (fix-dictionaries/xml/FIX-4.4.xml, which
//! QuickFIX C++ loads as it is), so the tests need nothing from outside
//! the repository. Without them the tests fail and say what is missing;
//! they never skip.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// Every order of a run is 100 shares (the client's fixed quantity).
pub const ORDER_QTY: f64 = 100.0;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_path_buf()
}

pub fn dictionary() -> PathBuf {
    let path = match std::env::var_os("QF_DICTIONARY") {
        Some(p) => PathBuf::from(p),
        None => repo_root().join("fix-dictionaries/xml/FIX-4.4.xml"),
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
    // (both interop test binaries) never see a half-written binary.
    let partial = dir.join(format!("quickfix_client.{}.tmp", std::process::id()));
    // C++14, not 17: QuickFIX 1.15.1's headers use dynamic exception
    // specifications, which C++17 rejects. TLS needs no extra library:
    // libquickfix is linked with OpenSSL.
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
pub fn client_binary() -> PathBuf {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BINARY.get_or_init(compile_client) {
        Ok(p) => p.clone(),
        Err(e) => panic!("{e}"),
    }
}

/// The `name value` pairs of the client's output line that starts with
/// `first`: `orders N acked A closed C filled_qty Q inconsistent K
/// elapsed_ms T`, or `sent N rejected R ...` (latencies are decimals).
pub fn summary(stdout: &str, first: &str) -> HashMap<String, f64> {
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

/// One run of the client: `count` IOC limit buys of 100, `window` in
/// flight, `orders` as `SYM=PX,...` (round robin), on `account`.
pub struct ClientRun<'a> {
    pub port: u16,
    pub sender: &'a str,
    pub target: &'a str,
    pub count: u64,
    pub window: u64,
    pub orders: &'a str,
    pub account: &'a str,
    /// Over TLS, trusting this CA certificate (QF_TLS_CA); plain TCP if
    /// `None`.
    pub tls_ca: Option<&'a Path>,
}

pub struct ClientOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl ClientOutput {
    /// Both streams, for failure messages.
    pub fn text(&self) -> String {
        format!(
            "quickfix_client ({}) stdout:\n{}\nstderr:\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// Runs the client to completion against 127.0.0.1 (at most 180 s; the
/// client itself gives up after 150 s).
pub async fn run_client(r: &ClientRun<'_>) -> ClientOutput {
    let binary = tokio::task::spawn_blocking(client_binary)
        .await
        .expect("compile task");
    let dict = dictionary();
    let (port, count, window) = (
        r.port.to_string(),
        r.count.to_string(),
        r.window.to_string(),
    );
    let mut cmd = tokio::process::Command::new(&binary);
    cmd.args([
        "127.0.0.1",
        port.as_str(),
        r.sender,
        r.target,
        count.as_str(),
        window.as_str(),
        r.orders,
        r.account,
    ])
    .env("QF_DICTIONARY", &dict)
    .env("QF_TIMEOUT_SECS", "150")
    .env_remove("QF_TLS_CA")
    .env_remove("QF_TLS_PROTOCOL")
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    if let Some(ca) = r.tls_ca {
        cmd.env("QF_TLS_CA", ca);
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
    let out = tokio::time::timeout(Duration::from_secs(180), child.wait_with_output())
        .await
        .expect("the QuickFIX client finished within 180 s")
        .expect("wait for the QuickFIX client");
    let out = ClientOutput {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    eprintln!("{}", out.text());
    out
}

/// Asserts a run of `count` orders passed: exit status 0, every order
/// acknowledged and closed, no inconsistent report, no reject of any kind,
/// something filled and nothing overfilled. `context` (the acceptor's log,
/// say) is added to every failure message. Returns both summary lines.
pub fn check_run(
    out: &ClientOutput,
    count: u64,
    context: &str,
) -> (HashMap<String, f64>, HashMap<String, f64>) {
    let all = format!("{}\n{context}", out.text());
    assert!(out.status.success(), "the QuickFIX client failed:\n{all}");
    let s = summary(&out.stdout, "orders ");
    let n = count as f64;
    assert_eq!(s["orders"], n, "{all}");
    assert_eq!(s["acked"], n, "every order acknowledged: {all}");
    assert_eq!(s["closed"], n, "every order closed: {all}");
    assert_eq!(s["inconsistent"], 0.0, "no inconsistent report: {all}");
    assert!(s["filled_qty"] > 0.0, "marketable orders filled: {all}");
    assert!(
        s["filled_qty"] <= n * ORDER_QTY,
        "no more filled than ordered: {all}"
    );
    let more = summary(&out.stdout, "sent ");
    assert_eq!(more["sent"], n, "{all}");
    assert_eq!(
        more["rejected"], 0.0,
        "no order rejected (the client's stderr gives the first reasons: price band, \
         risk rule, ...): {all}"
    );
    assert_eq!(more["unknown_reports"], 0.0, "{all}");
    assert_eq!(more["unexpected_messages"], 0.0, "{all}");
    assert_eq!(more["session_rejects_sent"], 0.0, "{all}");
    assert_eq!(more["session_rejects_received"], 0.0, "{all}");
    (s, more)
}
