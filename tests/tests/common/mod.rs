//! Shared helpers of the gateway end-to-end tests: in-process sim venues,
//! the gateway on either storage backend (files under a tempdir, or
//! PostgreSQL in schemas of the test's own), a FIX 4.4 test client (the
//! engine's initiator forwarding application messages into a channel),
//! report checks, and waits on the gateway's readiness signal (its core's
//! progress) with assertions on its typed summary.
#![allow(dead_code)]

use fix_engine::codec::{Message, MessageBuilder};
use fix_engine::transport::{InitiatorConfig, SessionHandle};
use gateway::config::{
    ClientConfig, GatewayConfig, GatewaySection, InstrumentConfig, JournalFsync, LimitsConfig,
    ListenerConfig, VenueConfig,
};
use gateway::runtime::{self, CoreMsg, Gateway};
use rust_decimal::Decimal;
use sim_venue::fix::{self as simfix, control::Command, VenueInput};
use sim_venue::venue::VenueConfig as SimVenueConfig;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use test_support::fix::{self as tfix, NewOrderSingle};
use test_support::pg::{self, TestSchema};
use tokio::sync::{mpsc, oneshot};

pub use test_support::fix::{d, s, u};

/// How long any single expected message may take.
pub const WAIT: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------- storage

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Files,
    Postgres,
}

/// A test's storage: a tempdir (always: the data dir) and, on PostgreSQL,
/// a schema name prefix of its own; the gateway's schemas under it are
/// dropped when this drops.
pub struct Storage {
    pub backend: Backend,
    pub dir: tempfile::TempDir,
    /// On PostgreSQL: the prefix of the gateway's schemas.
    pub schemas: Option<TestSchema>,
}

impl Storage {
    pub fn new(backend: Backend, test: &str) -> Storage {
        Storage {
            backend,
            dir: tempfile::tempdir().expect("tempdir"),
            schemas: (backend == Backend::Postgres)
                .then(|| TestSchema::prefix(&format!("e2e_{test}"))),
        }
    }

    /// The `[gateway]` section for this storage.
    pub fn section(&self) -> GatewaySection {
        GatewaySection {
            comp_id: "GATEWAY".into(),
            data_dir: self.dir.path().join("data"),
            postgres_url: self.schemas.as_ref().map(|_| pg::url()),
            postgres_schema_prefix: self
                .schemas
                .as_ref()
                .map(|s| s.name().to_owned())
                .unwrap_or_default(),
            journal_fsync: JournalFsync::EveryBatch,
            ..GatewaySection::default()
        }
    }
}

// ---------------------------------------------------------------- venues

/// One simulated exchange process (in this process): venue SIMX quoting
/// AAPL (190.00) and MSFT (420.00), 5 levels of 100 shares a side, prices
/// that do not wander during a test.
pub async fn start_venues() -> simfix::RunningVenues {
    start_venues_with(|_| {}).await
}

/// Applies venue control lines (`halt AAPL news`, `shock AAPL -2%`, ...).
pub async fn control(input: &mpsc::UnboundedSender<VenueInput>, line: &str) -> String {
    let actions = simfix::control::parse_commands(line).expect("command parses");
    ask(input, Command::Actions(actions))
        .await
        .unwrap_or_else(|e| panic!("venue command {line:?} failed: {e}"))
}

async fn ask(
    input: &mpsc::UnboundedSender<VenueInput>,
    command: Command,
) -> Result<String, String> {
    let (reply, rx) = oneshot::channel();
    input
        .send(VenueInput::Control {
            venue: "SIMX".into(),
            command,
            reply,
        })
        .expect("venue task alive");
    rx.await.expect("venue replies")
}

/// The venue's clearing records for the gateway's trades, as the OMS's
/// settlement input, and their settlement date.
pub async fn clearing_for_gateway(
    input: &mpsc::UnboundedSender<VenueInput>,
) -> Vec<oms::events::ClearingRecord> {
    let csv = ask(input, Command::Clearing).await.expect("clearing");
    gateway::clearing::parse_csv(&csv, &oms::VenueId::new("SIMX"), "GATEWAY")
        .expect("the venue's clearing CSV")
}

/// Shares of `symbol` the venue filled for the gateway, from its clearing
/// records.
pub async fn venue_filled(input: &mpsc::UnboundedSender<VenueInput>, symbol: &str) -> u64 {
    clearing_for_gateway(input)
        .await
        .iter()
        .filter(|r| r.symbol.as_str() == symbol)
        .map(|r| r.qty.0)
        .sum()
}

// ---------------------------------------------------------------- gateway

/// A gateway config: one plain TCP listener on `port` (0: any), client
/// sessions CLIENT1 (ACC1) and CLIENT2 (ACC2), venue SIMX at `venue`,
/// AAPL, MSFT and ZZZZ (unknown to the venue) routed to SIMX.
pub fn config(storage: &Storage, venue: SocketAddr, port: u16) -> GatewayConfig {
    let client = |id: &str, acc: &str| ClientConfig {
        comp_id: id.into(),
        begin_string: "FIX.4.4".into(),
        accounts: vec![acc.into()],
        drop_copy: false,
        heartbeat_secs: 30,
    };
    GatewayConfig {
        gateway: storage.section(),
        listeners: vec![ListenerConfig {
            host: "127.0.0.1".into(),
            port,
            tls: None,
        }],
        clients: vec![client("CLIENT1", "ACC1"), client("CLIENT2", "ACC2")],
        venues: vec![VenueConfig {
            id: "SIMX".into(),
            hosts: vec![venue.to_string()],
            begin_string: "FIX.4.4".into(),
            heartbeat_secs: 30,
            // These scenarios run without market data (a market order has
            // no reference price until an order in its symbol gave one).
            market_data: false,
            clearing_url: None,
            clearing_dir: None,
            clearing_account: None,
            clearing_ca: None,
        }],
        instruments: ["AAPL", "MSFT", "ZZZZ"]
            .iter()
            .map(|s| InstrumentConfig {
                symbol: (*s).into(),
                venue: "SIMX".into(),
            })
            .collect(),
        limits: LimitsConfig {
            max_order_qty: 5_000,
            max_order_notional: Decimal::from(5_000_000),
        },
        risk: None,
        settlement: Default::default(),
    }
}

/// The same config as TOML, for `fixgw run --config`.
pub fn config_toml(storage: &Storage, venue: SocketAddr, port: u16) -> String {
    let s = storage.section();
    let mut t = String::from("[gateway]\ncomp_id = \"GATEWAY\"\n");
    t.push_str(&format!(
        "data_dir = {:?}\n",
        s.data_dir.display().to_string()
    ));
    if let Some(url) = &s.postgres_url {
        t.push_str(&format!("postgres_url = {url:?}\n"));
        t.push_str(&format!(
            "postgres_schema_prefix = {:?}\n",
            s.postgres_schema_prefix
        ));
    }
    t.push_str(&format!(
        "\n[[listener]]\nhost = \"127.0.0.1\"\nport = {port}\n\n\
         [[client]]\ncomp_id = \"CLIENT1\"\naccounts = [\"ACC1\"]\n\n\
         [[client]]\ncomp_id = \"CLIENT2\"\naccounts = [\"ACC2\"]\n\n\
         [[venue]]\nid = \"SIMX\"\nhosts = [\"{venue}\"]\n\n\
         [[instrument]]\nsymbol = \"AAPL\"\nvenue = \"SIMX\"\n\n\
         [[instrument]]\nsymbol = \"MSFT\"\nvenue = \"SIMX\"\n\n\
         [limits]\nmax_order_qty = 5000\nmax_order_notional = \"5000000\"\n"
    ));
    t
}

/// Starts the gateway; returns once its venue session is logged on.
pub async fn start_gateway(cfg: GatewayConfig) -> Gateway {
    let gw = runtime::start(cfg).await.expect("gateway starts");
    for v in &gw.venues {
        tokio::time::timeout(WAIT, v.wait_for(|s| s.logged_on))
            .await
            .unwrap_or_else(|_| panic!("venue session {} did not log on", v.key));
    }
    gw
}

/// Everything a test usually needs: storage, venue, gateway.
pub struct Rig {
    pub storage: Storage,
    pub venues: simfix::RunningVenues,
    pub gw: Gateway,
}

impl Rig {
    pub async fn start(backend: Backend, test: &str) -> Rig {
        let storage = Storage::new(backend, test);
        let venues = start_venues().await;
        let gw = start_gateway(config(&storage, venues.local_addr, 0)).await;
        Rig {
            storage,
            venues,
            gw,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.gw.listeners[0].local_addr
    }

    pub async fn client(&self, comp_id: &str) -> Client {
        Client::connect(&self.addr().to_string(), comp_id).await
    }

    pub async fn summary(&self) -> Summary {
        Summary::of(&self.gw).await
    }

    pub async fn control(&self, line: &str) -> String {
        control(&self.venues.input, line).await
    }

    /// Sends an event straight into the OMS core (as an operator would).
    pub fn core_event(&self, kind: oms::EventKind) {
        self.gw
            .core
            .send(CoreMsg::Event(oms::Event::new(runtime::now_ts(), kind)))
            .expect("core alive");
    }
}

// ---------------------------------------------------------------- client

/// A FIX 4.4 client session CLIENT -> GATEWAY: one initiator for the whole
/// test (its sequence numbers and sent messages outlive connections; it
/// reconnects by itself).
pub struct Client {
    pub handle: SessionHandle,
    pub comp_id: String,
    rx: mpsc::UnboundedReceiver<Message>,
}

impl Client {
    pub async fn connect(addr: &str, comp_id: &str) -> Client {
        Client::connect_with(addr, comp_id, Duration::from_millis(100)).await
    }

    /// `reconnect_min`: how long the initiator waits before dialling again
    /// after its connection closes.
    pub async fn connect_with(addr: &str, comp_id: &str, reconnect_min: Duration) -> Client {
        let mut icfg = InitiatorConfig::new(addr.to_owned());
        icfg.reconnect_min = reconnect_min;
        icfg.reconnect_max = reconnect_min.max(Duration::from_millis(500));
        let (handle, rx) = tfix::forwarding_initiator(icfg, "FIX.4.4", comp_id, "GATEWAY");
        let c = Client {
            handle,
            comp_id: comp_id.to_owned(),
            rx,
        };
        c.wait_logged_on().await;
        c
    }

    pub async fn wait_logged_on(&self) {
        tfix::logged_on(&self.handle, &self.comp_id, WAIT).await;
    }

    pub async fn next(&mut self) -> Message {
        tfix::next_within(&mut self.rx, &self.comp_id, WAIT).await
    }

    /// The next message, which must be of type `t`.
    pub async fn next_of(&mut self, t: &str) -> Message {
        let m = self.next().await;
        assert_eq!(
            m.msg_type_str(),
            t,
            "{}: expected 35={t}, got {m:?}",
            self.comp_id
        );
        m
    }

    /// Nothing arrives for `d` (used only after the last expected message).
    pub async fn quiet_for(&mut self, d: Duration) {
        if let Ok(Some(m)) = tokio::time::timeout(d, self.rx.recv()).await {
            panic!("{}: unexpected message {m:?}", self.comp_id);
        }
    }

    pub fn send(&self, m: MessageBuilder) {
        assert!(self.handle.send(m), "session task alive");
    }

    pub fn new_order(&self, o: &Ord) {
        self.send(o.message());
    }

    pub fn cancel(&self, cl: &str, orig: &str, o: &Ord) {
        let mut m = MessageBuilder::new("F");
        m.field(11, cl).field(41, orig).field(1, o.account.as_str());
        m.field(55, o.symbol.as_str()).field(54, o.side);
        m.field_u64(38, o.qty).field(60, "20260101-00:00:00");
        self.send(m);
    }

    pub fn replace(&self, cl: &str, orig: &str, o: &Ord, qty: u64, px: &str) {
        let mut m = MessageBuilder::new("G");
        m.field(11, cl).field(41, orig).field(1, o.account.as_str());
        m.field(21, "1")
            .field(55, o.symbol.as_str())
            .field(54, o.side);
        m.field_u64(38, qty).field(40, "2").field(44, px);
        m.field(60, "20260101-00:00:00");
        self.send(m);
    }

    pub fn status_request(&self, cl: &str, o: &Ord) {
        let mut m = MessageBuilder::new("H");
        m.field(11, cl)
            .field(55, o.symbol.as_str())
            .field(54, o.side);
        self.send(m);
    }

    /// Reports of one order (ClOrdID `cl`, or any in `chain`) until the
    /// order is done, checking quantities on each; other orders' reports
    /// are an error.
    pub async fn until_done(&mut self, o: &Ord) -> Vec<Message> {
        let mut out = Vec::new();
        let mut fills = Fills::default();
        loop {
            let m = self.next_of("8").await;
            assert_eq!(s(&m, 11), o.cl, "{m:?}");
            fills.check(&m, o.qty);
            let done = is_done(&m);
            out.push(m);
            if done {
                return out;
            }
        }
    }
}

/// A client order.
#[derive(Clone, Debug)]
pub struct Ord {
    pub cl: String,
    pub account: String,
    pub symbol: String,
    pub side: &'static str,
    pub qty: u64,
    pub px: String,
    pub tif: &'static str,
}

impl Ord {
    pub fn buy(
        cl: &str,
        account: &str,
        symbol: &str,
        qty: u64,
        px: &str,
        tif: &'static str,
    ) -> Ord {
        Ord {
            cl: cl.into(),
            account: account.into(),
            symbol: symbol.into(),
            side: "1",
            qty,
            px: px.into(),
            tif,
        }
    }

    pub fn sell(
        cl: &str,
        account: &str,
        symbol: &str,
        qty: u64,
        px: &str,
        tif: &'static str,
    ) -> Ord {
        Ord {
            side: "2",
            ..Ord::buy(cl, account, symbol, qty, px, tif)
        }
    }

    pub fn message(&self) -> MessageBuilder {
        NewOrderSingle {
            cl_ord_id: &self.cl,
            account: &self.account,
            symbol: &self.symbol,
            side: self.side,
            qty: self.qty,
            price: Some(&self.px),
            tif: self.tif,
        }
        .message()
    }
}

// ---------------------------------------------------------------- checks

/// OrdStatus says the order is over.
pub fn is_done(m: &Message) -> bool {
    matches!(s(m, 39), "2" | "4" | "8" | "C" | "3")
}

/// Fills seen so far on one order: every report's CumQty, LeavesQty and
/// AvgPx must agree with them.
#[derive(Default, Debug)]
pub struct Fills {
    pub qty: u64,
    pub notional: Decimal,
}

impl Fills {
    pub fn check(&mut self, m: &Message, order_qty: u64) {
        if s(m, 150) == "F" {
            let (q, p) = (u(m, 32), d(m, 31));
            assert!(q > 0, "a fill with LastQty 0: {m:?}");
            self.qty += q;
            self.notional += Decimal::from(q) * p;
        }
        let (cum, leaves) = (u(m, 14), u(m, 151));
        assert_eq!(cum, self.qty, "CumQty is the sum of the fills: {m:?}");
        assert_eq!(u(m, 38), order_qty, "OrderQty: {m:?}");
        if is_done(m) {
            assert_eq!(leaves, 0, "a done order leaves nothing: {m:?}");
        } else {
            assert_eq!(
                cum + leaves,
                order_qty,
                "CumQty + LeavesQty = OrderQty: {m:?}"
            );
        }
        if cum > 0 {
            let avg = self.notional / Decimal::from(cum);
            let diff = (d(m, 6) - avg).abs();
            assert!(
                diff < Decimal::new(1, 4),
                "AvgPx {} vs fills' {avg}: {m:?}",
                d(m, 6)
            );
        } else {
            assert_eq!(d(m, 6), Decimal::ZERO, "AvgPx with no fills: {m:?}");
        }
    }
}

// ---------------------------------------------------------------- summary

/// The gateway's positions summary (its typed snapshot, not its text),
/// with the shorthands the tests use.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Summary {
    pub typed: runtime::Summary,
    pub accounts: BTreeMap<String, Account>,
    /// The summary as the demo prints it, for failure messages.
    pub text: String,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Account {
    pub cash: Decimal,
    pub settled_cash: Decimal,
    /// symbol -> (position, settled position)
    pub positions: BTreeMap<String, (Decimal, Decimal)>,
}

impl Summary {
    pub fn from_typed(typed: runtime::Summary) -> Summary {
        let accounts = typed
            .accounts
            .iter()
            .map(|(acc, a)| {
                let positions = a
                    .positions
                    .iter()
                    .map(|(sym, p)| {
                        let q = (Decimal::from(p.qty), Decimal::from(p.settled_qty));
                        (sym.as_str().to_owned(), q)
                    })
                    .collect();
                let a = Account {
                    cash: a.cash.round_dp(2),
                    settled_cash: a.settled_cash.round_dp(2),
                    positions,
                };
                (acc.as_str().to_owned(), a)
            })
            .collect();
        Summary {
            text: typed.to_string(),
            accounts,
            typed,
        }
    }

    /// The gateway's summary now (market data held back is sent to the
    /// core first).
    pub async fn of(gw: &Gateway) -> Summary {
        Summary::from_typed(gw.snapshot().await.expect("core alive"))
    }

    /// (position, settled position) of `acc` in `sym`, zero if none.
    pub fn position(&self, acc: &str, sym: &str) -> (Decimal, Decimal) {
        self.accounts
            .get(acc)
            .and_then(|a| a.positions.get(sym).copied())
            .unwrap_or_default()
    }
}

/// Waits until the core has applied more events than `seen` (bounded by
/// `deadline`), or panics saying `what` never happened.
async fn core_progressed(
    progress: &mut tokio::sync::watch::Receiver<runtime::CoreProgress>,
    deadline: tokio::time::Instant,
    what: &dyn Fn() -> String,
) {
    match tokio::time::timeout_at(deadline, progress.changed()).await {
        Ok(Ok(())) if !progress.borrow().stopped => {}
        Ok(_) => panic!("the core stopped before {}", what()),
        Err(_) => panic!("timed out waiting for {}", what()),
    }
}

/// The summary once `f` holds (bounded): fills reach the core a moment
/// after the client's reports. Looks again each time the core has
/// applied more events.
pub async fn summary_until(gw: &Gateway, f: impl Fn(&Summary) -> bool) -> Summary {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut progress = gw.progress();
    loop {
        progress.borrow_and_update();
        let s = Summary::of(gw).await;
        if f(&s) {
            return s;
        }
        let text = s.text.clone();
        core_progressed(&mut progress, deadline, &|| {
            format!("the summary to satisfy the condition:\n{text}")
        })
        .await;
    }
}

/// A free loopback port (for the child process's listener, which must
/// keep its port across a restart).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().unwrap().port()
}

pub fn write_file(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

// ---------------------------------------------------------------- fixgw

/// The `fixgw` binary of this build, built first if needed (`cargo test -p
/// e2e-tests` does not build other packages' binaries): `cargo build -p
/// gateway --bin fixgw` into the target directory this test runs from.
pub fn fixgw_binary() -> std::path::PathBuf {
    static BUILT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("current exe");
            // <target>/<profile>/deps/gateway_e2e-<hash>
            let profile_dir = exe.parent().and_then(Path::parent).expect("profile dir");
            let target_dir = profile_dir.parent().expect("target dir");
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
            let mut cmd = std::process::Command::new(env!("CARGO"));
            cmd.current_dir(workspace)
                .args(["build", "--quiet", "-p", "gateway", "--bin", "fixgw"])
                .arg("--target-dir")
                .arg(target_dir);
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                cmd.arg("--release");
            }
            let status = cmd.status().expect("run cargo build for fixgw");
            assert!(
                status.success(),
                "cargo build -p gateway --bin fixgw failed"
            );
            let bin = profile_dir.join(format!("fixgw{}", std::env::consts::EXE_SUFFIX));
            assert!(bin.exists(), "{} not found after the build", bin.display());
            bin
        })
        .clone()
}

/// A `fixgw run --config` child process.
pub struct GatewayProcess {
    pub child: tokio::process::Child,
}

impl GatewayProcess {
    /// Starts it and returns once it says it is listening.
    pub async fn spawn(config: &Path) -> GatewayProcess {
        use tokio::io::AsyncBufReadExt;
        let mut child = tokio::process::Command::new(fixgw_binary())
            .arg("run")
            .arg("--config")
            .arg(config)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn fixgw");
        let out = child.stdout.take().unwrap();
        let mut lines = tokio::io::BufReader::new(out).lines();
        let ready = tokio::time::timeout(WAIT, async {
            while let Some(l) = lines.next_line().await.expect("read fixgw output") {
                if l.contains("fixgw listening for FIX on") {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(ready, Ok(true), "fixgw did not start listening");
        // Keep draining its stdout so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        GatewayProcess { child }
    }

    /// kill -9.
    pub async fn kill9(&mut self) {
        self.child.kill().await.expect("SIGKILL fixgw");
    }
}

// ---------------------------------------------------------------- journal

/// The OMS core a restart on `cfg` would recover: the journal replayed
/// with the gateway's own configuration (OMS settings and pre-trade
/// checker). The file journal is replayed from a copy, so a running
/// gateway's journal is not touched.
pub async fn replayed_core(storage: &Storage, cfg: &GatewayConfig) -> oms::OmsCore {
    let oms_cfg = oms::OmsConfig {
        venues: cfg
            .venues
            .iter()
            .map(|v| oms::VenueId::new(v.id.as_str()))
            .collect(),
        default_venues: cfg
            .instruments
            .iter()
            .map(|i| {
                (
                    oms::Symbol::new(i.symbol.as_str()),
                    oms::VenueId::new(i.venue.as_str()),
                )
            })
            .collect(),
        drop_copy: cfg.clients.iter().any(|c| c.drop_copy),
    };
    let checker = gateway::checks::build_checker(cfg).expect("checker");
    let router = Box::new(oms::DefaultRouter);
    match storage.backend {
        Backend::Files => {
            let copy = tempfile::tempdir().expect("tempdir");
            let from = cfg.gateway.data_dir.join("journal").join("journal.log");
            std::fs::copy(&from, copy.path().join("journal.log"))
                .unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
            let j = oms::FileJournal::open(copy.path(), oms::FsyncPolicy::Never)
                .expect("open the journal copy");
            oms::OmsCore::recover(oms_cfg, checker, router, &j)
                .await
                .expect("replay")
        }
        Backend::Postgres => {
            let j = oms::PgJournal::connect(&pg::url(), Some(&cfg.gateway.journal_schema()))
                .await
                .expect("open the journal");
            oms::OmsCore::recover(oms_cfg, checker, router, &j)
                .await
                .expect("replay")
        }
    }
}

/// A venue fill as the OMS booked it.
#[derive(Clone, Debug)]
pub struct BookedFill {
    pub venue: String,
    /// The venue's ExecID.
    pub exec_id: String,
    /// The ExecID of the client report of this fill.
    pub client_exec_id: String,
    pub qty: u64,
    pub px: Decimal,
    /// The child order's ClOrdID and venue OrderID.
    pub child_cl_ord_id: String,
    pub venue_order_id: String,
    pub busted: bool,
}

/// Every venue fill the gateway's core has booked, in booking order.
pub async fn booked_fills(gw: &Gateway) -> Vec<BookedFill> {
    gw.inspect(|core| {
        let st = core.state();
        let mut out = Vec::new();
        for (venue, fills) in &st.fills {
            for (exec, f) in fills {
                let child = &st.orders[&f.order_id].children[f.child];
                out.push((
                    f.ledger_id,
                    BookedFill {
                        venue: venue.as_str().to_owned(),
                        exec_id: exec.as_str().to_owned(),
                        client_exec_id: f.client_exec_id.as_str().to_owned(),
                        qty: f.qty.0,
                        px: f.px.dec(),
                        child_cl_ord_id: child.cl_ord_id.as_str().to_owned(),
                        venue_order_id: child
                            .venue_order_id
                            .as_ref()
                            .map(|o| o.as_str().to_owned())
                            .unwrap_or_default(),
                        busted: f.busted,
                    },
                ));
            }
        }
        out.sort_by_key(|(id, _)| *id);
        out.into_iter().map(|(_, f)| f).collect()
    })
    .await
    .expect("core alive")
}

/// [`start_venues`] with the venue's configuration changed by `f` first.
pub async fn start_venues_with(f: impl FnOnce(&mut SimVenueConfig)) -> simfix::RunningVenues {
    let mut c = SimVenueConfig::new("SIMX");
    c.seed = 7;
    c.liquidity.levels = 5;
    c.liquidity.size = 100;
    c.liquidity.follow_volume_profile = false;
    c.liquidity.walk_step_ns = sim_venue::types::Duration::from_secs(3_600);
    f(&mut c);
    test_support::venue::serve(c).await
}

/// Asks the gateway's core until `f` holds (bounded by [`WAIT`]): for
/// what reaches the core asynchronously (market data, venue reports).
/// Asks again each time the core has applied more events.
pub async fn core_until<R: Send + 'static>(
    gw: &Gateway,
    what: &str,
    f: impl Fn(&oms::OmsCore) -> Option<R> + Send + Sync + Clone + 'static,
) -> R {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut progress = gw.progress();
    loop {
        progress.borrow_and_update();
        let g = f.clone();
        if let Some(r) = gw.inspect(move |c| g(c)).await.expect("core alive") {
            return r;
        }
        let summary = gw.summary().await;
        core_progressed(&mut progress, deadline, &|| {
            format!("the core to reach: {what}\n{summary}")
        })
        .await;
    }
}

/// Declares a scenario's test on each backend:
/// `on_both_backends!(scenario, scenario_files, scenario_postgres);` with
/// `async fn scenario(b: Backend)`.
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($scenario:ident, $files:ident, $pg:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $files() {
            $scenario(Backend::Files).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $pg() {
            $scenario(Backend::Postgres).await;
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_both_backends;
