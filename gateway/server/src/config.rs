//! The gateway's TOML configuration: the serde structs of its tables
//! (listeners, client sessions and their accounts, venue sessions,
//! instruments and their default venues, limits, pre-trade risk,
//! settlement, storage), their defaults, and `validate`, which reports
//! every problem at once as [`ConfigProblem`]s (file, dotted key, reason),
//! those of the risk file it names included (see [`RiskSection`]).
//!
//! The manual of every table and key (type, default, meaning), of the risk
//! file and of session schedules is `docs/CONFIG.md`; the annotated
//! example `docs/examples/fixgw.toml` is loaded by a test
//! (`tests/config_manual.rs`) that keeps the two in step.

use serde::Deserialize;
use std::path::{Path, PathBuf};

use domain::config::Problems;
/// The workspace's configuration problem and error types: every problem
/// names the file, the dotted key and the reason.
pub use domain::config::{ConfigError, ConfigProblem};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    #[serde(default)]
    pub gateway: GatewaySection,
    #[serde(default, rename = "listener")]
    pub listeners: Vec<ListenerConfig>,
    #[serde(default, rename = "client")]
    pub clients: Vec<ClientConfig>,
    #[serde(default, rename = "venue")]
    pub venues: Vec<VenueConfig>,
    #[serde(default, rename = "instrument")]
    pub instruments: Vec<InstrumentConfig>,
    #[serde(default)]
    pub limits: LimitsConfig,
    /// The risk engine as the pre-trade check (without it, only
    /// `[limits]` is checked).
    #[serde(default)]
    pub risk: Option<RiskSection>,
    /// When trades are settled against the venues' clearing output.
    #[serde(default)]
    pub settlement: SettlementSection,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySection {
    /// Our CompID towards clients and venues.
    #[serde(default = "default_comp_id")]
    pub comp_id: String,
    /// Embedded storage (journal and FIX message stores) lives here.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// When set, the journal and FIX stores use PostgreSQL instead.
    #[serde(default)]
    pub postgres_url: Option<String>,
    /// With PostgreSQL, the FIX stores live in schema `{prefix}fixgw` and
    /// the journal in `{prefix}fixgw_journal`, so several gateways (or
    /// test runs) can share one database. Lowercase ASCII letters, digits
    /// and underscores; empty by default.
    #[serde(default)]
    pub postgres_schema_prefix: String,
    /// fsync policy for the embedded journal: "every_batch" (default) or
    /// "never" (leave it to the OS; survives a process kill, not a power cut).
    #[serde(default)]
    pub journal_fsync: JournalFsync,
    /// Market data conflation: at most one quote and one mark event per
    /// (venue, symbol) per this many milliseconds (every one is
    /// journaled); the newest value goes in when the interval has passed.
    /// 0: every update. Default 200.
    #[serde(default = "default_conflate_ms")]
    pub market_data_conflate_ms: u64,
    /// A venue's last trade is the mark while it is at most this many
    /// milliseconds old; after that the mid of its quote is. Default
    /// 60000; 0: the mid whenever the quote is two-sided.
    #[serde(default = "default_mark_trade_max_age_ms")]
    pub mark_trade_max_age_ms: u64,
}

fn default_conflate_ms() -> u64 {
    200
}
fn default_mark_trade_max_age_ms() -> u64 {
    60_000
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalFsync {
    #[default]
    EveryBatch,
    Never,
}

impl Default for GatewaySection {
    fn default() -> Self {
        Self {
            comp_id: default_comp_id(),
            data_dir: default_data_dir(),
            postgres_url: None,
            postgres_schema_prefix: String::new(),
            journal_fsync: JournalFsync::default(),
            market_data_conflate_ms: default_conflate_ms(),
            mark_trade_max_age_ms: default_mark_trade_max_age_ms(),
        }
    }
}

impl GatewaySection {
    /// The PostgreSQL schema of the FIX message stores.
    pub fn fix_store_schema(&self) -> String {
        format!("{}fixgw", self.postgres_schema_prefix)
    }

    /// The PostgreSQL schema of the journal.
    pub fn journal_schema(&self) -> String {
        format!("{}fixgw_journal", self.postgres_schema_prefix)
    }
}

fn default_comp_id() -> String {
    "GATEWAY".into()
}
fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerConfig {
    #[serde(default = "default_host")]
    pub host: String,
    pub port: u16,
    /// TLS for this listener (mutual TLS with `client_ca`).
    #[serde(default)]
    pub tls: Option<fix_engine::transport::tls::ServerTlsFiles>,
}

fn default_host() -> String {
    "127.0.0.1".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The client's CompID (their SenderCompID).
    pub comp_id: String,
    #[serde(default = "default_begin")]
    pub begin_string: String,
    /// Accounts this session may trade.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// A drop-copy session: receives a copy of every execution.
    #[serde(default)]
    pub drop_copy: bool,
    #[serde(default = "default_hb")]
    pub heartbeat_secs: u64,
}

fn default_begin() -> String {
    "FIX.4.4".into()
}
fn default_hb() -> u64 {
    30
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueConfig {
    /// The venue's id in the OMS and its CompID.
    pub id: String,
    /// `host:port`, then fallbacks.
    pub hosts: Vec<String>,
    #[serde(default = "default_begin")]
    pub begin_string: String,
    #[serde(default = "default_hb")]
    pub heartbeat_secs: u64,
    /// Subscribe to this venue's top of book and trades for the
    /// instruments routed to it, at every logon (default true).
    #[serde(default = "default_true")]
    pub market_data: bool,
    /// The venue's clearing output over HTTP (`http://host:port/path`,
    /// CSV as sim-venue's `GET /{venue}/clearing` serves it).
    #[serde(default)]
    pub clearing_url: Option<String>,
    /// A directory where the venue drops clearing CSV files (every
    /// `*.csv` in it is read); relative to the config file's directory.
    #[serde(default)]
    pub clearing_dir: Option<PathBuf>,
    /// Whose records in the clearing output are ours: an `account` equal
    /// to this or starting with `this|` (sim-venue names accounts
    /// `SenderCompID|Account`). Default: `[gateway] comp_id`.
    #[serde(default)]
    pub clearing_account: Option<String>,
    /// For an `https://` clearing_url: a PEM file of the CA
    /// certificates to trust (default: the public web PKI roots);
    /// relative to the config file's directory.
    #[serde(default)]
    pub clearing_ca: Option<PathBuf>,
}

/// `[settlement]`: when the settlement job runs (see `docs/CONFIG.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettlementSection {
    /// Seconds between runs (default 3600); 0: at start only.
    #[serde(default = "default_settle_interval")]
    pub interval_secs: u64,
    /// Run once at start (default true).
    #[serde(default = "default_true")]
    pub run_at_start: bool,
}

impl Default for SettlementSection {
    fn default() -> Self {
        SettlementSection {
            interval_secs: default_settle_interval(),
            run_at_start: true,
        }
    }
}

fn default_settle_interval() -> u64 {
    3600
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentConfig {
    pub symbol: String,
    /// Venue id orders in this instrument go to by default.
    pub venue: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    #[serde(default = "default_max_qty")]
    pub max_order_qty: u64,
    #[serde(default = "default_max_notional")]
    pub max_order_notional: rust_decimal::Decimal,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_order_qty: default_max_qty(),
            max_order_notional: default_max_notional(),
        }
    }
}

fn default_max_qty() -> u64 {
    10_000
}
fn default_max_notional() -> rust_decimal::Decimal {
    rust_decimal::Decimal::from(1_000_000)
}

/// `[risk]`: the risk engine's configuration file and how market hours
/// are handled (see `docs/CONFIG.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskSection {
    /// The risk engine's TOML file; relative to the gateway config file's
    /// directory (resolved by [`GatewayConfig::parse`]).
    pub config: PathBuf,
    /// NYSE sessions (default) or always open (the MarketHours rule
    /// waived firm-wide).
    #[serde(default)]
    pub market_hours: MarketHours,
    /// A built-in text of the risk file (the demo): read instead of the
    /// file, and `config` only names it in messages. Not a TOML key.
    #[serde(skip)]
    pub builtin: Option<&'static str>,
}

/// How the risk engine treats market hours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketHours {
    /// The engine's NYSE calendar and sessions decide.
    #[default]
    Nyse,
    /// The MarketHours rule is waived firm-wide (demos, tests).
    AlwaysOpen,
}

impl RiskSection {
    /// The risk file's name as messages give it.
    pub fn name(&self) -> String {
        match self.builtin {
            Some(_) => format!("{} (built in)", self.config.display()),
            None => self.config.display().to_string(),
        }
    }

    fn text(&self) -> Result<String, ConfigError> {
        match self.builtin {
            Some(t) => Ok(t.to_owned()),
            None => std::fs::read_to_string(&self.config)
                .map_err(|e| ConfigError::read(&self.config.display().to_string(), &e)),
        }
    }
}

/// The operator the gateway's own standing waivers are recorded under.
pub const GATEWAY_OPERATOR: &str = "gateway-config";

impl GatewayConfig {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::read(&file, &e))?;
        Self::parse(&text, &file)
    }

    /// Parses and validates config text; `file` names it in messages and
    /// is where a relative `[risk] config` path is resolved from.
    pub fn parse(text: &str, file: &str) -> Result<Self, ConfigError> {
        let mut cfg: Self = toml::from_str(text)
            .map_err(|e| ConfigError::parse(file, text, e.span(), e.message()))?;
        let dir = Path::new(file).parent().unwrap_or(Path::new(""));
        if let Some(r) = &mut cfg.risk {
            if r.config.is_relative() {
                r.config = dir.join(&r.config);
            }
        }
        for v in &mut cfg.venues {
            for d in [&mut v.clearing_dir, &mut v.clearing_ca]
                .into_iter()
                .flatten()
            {
                if d.is_relative() {
                    *d = dir.join(&*d);
                }
            }
        }
        cfg.validate(file)?;
        Ok(cfg)
    }

    /// The risk engine's configuration: the `[risk]` file, validated, with
    /// `[limits]` folded into its firm-wide per-order limits and checked
    /// against this gateway's accounts, instruments and venues. `None`
    /// without `[risk]`; every problem at once if it cannot be used:
    /// those of the risk file name it, with its key; those of this
    /// config's own keys (`risk.config` when the risk file cannot be read
    /// or parsed, `venue[i].id`) have no file, which
    /// [`GatewayConfig::validate`] fills in.
    pub fn risk_config(&self) -> Result<Option<risk::RiskConfig>, ConfigError> {
        let Some(section) = &self.risk else {
            return Ok(None);
        };
        let name = section.name();
        let invalid_here =
            |e: ConfigError| ConfigError::Invalid(e.into_problems_at("", "risk.config"));
        let text = section.text().map_err(invalid_here)?;
        // As `risk::RiskConfig::from_toml`, keeping the parsed config so
        // that its own problems and those between it and this config are
        // reported together.
        let mut rc: risk::RiskConfig = toml::from_str(&text)
            .map_err(|e| invalid_here(ConfigError::parse(&name, &text, e.span(), e.message())))?;
        let mut p = Problems::new(&name);
        p.extend(rc.validate(&name));
        for (i, c) in self.clients.iter().enumerate() {
            if c.drop_copy {
                continue;
            }
            for a in &c.accounts {
                let known = risk::AccountId::new(a).is_ok_and(|id| rc.accounts.contains_key(&id));
                if !known {
                    p.push(
                        "accounts",
                        format!(
                            "no account {a:?}, which client[{i}] ({}) trades (its orders would \
                             all be rejected)",
                            c.comp_id
                        ),
                    );
                }
            }
        }
        for (i, ins) in self.instruments.iter().enumerate() {
            let known = risk::Symbol::new(&ins.symbol)
                .is_ok_and(|s| rc.instruments.iter().any(|x| x.symbol == s));
            if !known {
                p.push(
                    "instruments",
                    format!(
                        "no instrument {:?}, which instrument[{i}] routes (its orders would all \
                         be rejected)",
                        ins.symbol
                    ),
                );
            }
        }
        let mut p = p.into_vec();
        for (i, v) in self.venues.iter().enumerate() {
            if risk::Venue::new(&v.id).is_err() {
                p.push(ConfigProblem::at(
                    format!("venue[{i}].id"),
                    format!(
                        "{:?} is longer than the risk engine's venue ids (1 to 16 bytes)",
                        v.id
                    ),
                ));
            }
        }
        if !p.is_empty() {
            return Err(ConfigError::Invalid(p));
        }
        // [limits] stays in force as firm-wide per-order limits (values
        // that are not positive are reported by `validate` itself).
        let qty = i64::try_from(self.limits.max_order_qty).unwrap_or(i64::MAX);
        if qty > 0 {
            rc.firm.max_order_qty = Some(rc.firm.max_order_qty.map_or(qty, |q| q.min(qty)));
        }
        let notional = self.limits.max_order_notional;
        if notional > rust_decimal::Decimal::ZERO {
            rc.firm.max_order_notional = Some(
                rc.firm
                    .max_order_notional
                    .map_or(notional, |n| n.min(notional)),
            );
        }
        if section.market_hours == MarketHours::AlwaysOpen {
            let op = risk::OperatorId::new(GATEWAY_OPERATOR).map_err(|e| {
                ConfigError::Invalid(vec![ConfigProblem::at("risk.market_hours", e.to_string())])
            })?;
            let perms = rc.operators.entry(op).or_default();
            if !perms.contains(&risk::config::Permission::Override) {
                perms.push(risk::config::Permission::Override);
            }
        }
        // What the engine will be built from must still be valid (a
        // [limits] value the risk crate refuses, say).
        let problems = rc.validate(&format!("{name} with [limits]"));
        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems));
        }
        Ok(Some(rc))
    }

    /// Every problem at once, each with `file`, its key and the reason.
    pub fn validate(&self, file: &str) -> Result<(), ConfigError> {
        let mut p = Problems::new(file);
        if self.listeners.is_empty() {
            p.push("listener", "at least one [[listener]] is required");
        }
        if self.clients.is_empty() {
            p.push("client", "at least one [[client]] is required");
        }
        let begins = ["FIX.4.2", "FIX.4.4", "FIXT.1.1"];
        let mut seen = std::collections::BTreeSet::new();
        for (i, c) in self.clients.iter().enumerate() {
            if !begins.contains(&c.begin_string.as_str()) {
                p.push(
                    format!("client[{i}].begin_string"),
                    format!("{:?} is not one of {begins:?}", c.begin_string),
                );
            }
            if !seen.insert(&c.comp_id) {
                p.push(
                    format!("client[{i}].comp_id"),
                    format!("{:?} appears twice", c.comp_id),
                );
            }
            if c.accounts.is_empty() && !c.drop_copy {
                p.push(
                    format!("client[{i}].accounts"),
                    "a trading session needs at least one account",
                );
            }
        }
        let venue_ids: Vec<&str> = self.venues.iter().map(|v| v.id.as_str()).collect();
        for (i, v) in self.venues.iter().enumerate() {
            if v.hosts.is_empty() {
                p.push(
                    format!("venue[{i}].hosts"),
                    "at least one host:port is required",
                );
            }
            if !begins.contains(&v.begin_string.as_str()) {
                p.push(
                    format!("venue[{i}].begin_string"),
                    format!("{:?} is not one of {begins:?}", v.begin_string),
                );
            }
            if let Some(url) = &v.clearing_url {
                if let Err(why) = crate::clearing::http::ClearingUrl::parse(url) {
                    p.push(
                        format!("venue[{i}].clearing_url"),
                        format!("{url:?}: {why}"),
                    );
                }
            }
            if let Some(d) = &v.clearing_dir {
                if !d.is_dir() {
                    p.push(
                        format!("venue[{i}].clearing_dir"),
                        format!("{} is not a directory", d.display()),
                    );
                }
            }
            if v.clearing_account.as_deref() == Some("") {
                p.push(format!("venue[{i}].clearing_account"), "must not be empty");
            }
        }
        if self.venues.is_empty() {
            p.push("venue", "at least one [[venue]] is required");
        }
        for (i, ins) in self.instruments.iter().enumerate() {
            if !venue_ids.contains(&ins.venue.as_str()) {
                p.push(
                    format!("instrument[{i}].venue"),
                    format!("{:?} is not a configured venue", ins.venue),
                );
            }
        }
        let prefix = &self.gateway.postgres_schema_prefix;
        if prefix.len() > 40
            || prefix.starts_with(|c: char| c.is_ascii_digit())
            || !prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            p.push(
                "gateway.postgres_schema_prefix",
                format!(
                    "{prefix:?} must be at most 40 lowercase ASCII letters, digits and \
                     underscores, not starting with a digit"
                ),
            );
        }
        if self.limits.max_order_qty == 0 {
            p.push("limits.max_order_qty", "must be positive");
        }
        if self.limits.max_order_notional <= rust_decimal::Decimal::ZERO {
            p.push("limits.max_order_notional", "must be positive");
        }
        if let Err(e) = self.risk_config() {
            p.extend(e.into_problems_at(file, "risk.config"));
        }
        p.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_problem_with_its_key() {
        let text = r#"
[[listener]]
port = 9878
[[client]]
comp_id = "C1"
begin_string = "FIX.9"
[[client]]
comp_id = "C1"
accounts = ["A"]
[[venue]]
id = "V"
hosts = []
[[instrument]]
symbol = "AAPL"
venue = "NOPE"
"#;
        let e = GatewayConfig::parse(text, "gw.toml").unwrap_err();
        let all = e.to_string();
        assert!(all.contains("gw.toml"), "{all}");
        for key in [
            "client[0].begin_string",
            "client[0].accounts",
            "client[1].comp_id",
            "venue[0].hosts",
            "instrument[0].venue",
        ] {
            assert!(
                all.contains(&format!("gw.toml: {key}: ")),
                "missing {key} in {all}"
            );
        }
        assert!(e.problems().iter().all(|p| p.file == "gw.toml"), "{all}");
        assert_eq!(e.problems().len(), 5, "{all}");
    }

    const GW: &str = "[[listener]]\nport = 1\n\
                      [[client]]\ncomp_id = \"C1\"\naccounts = [\"ACC1\"]\n\
                      [[client]]\ncomp_id = \"C2\"\naccounts = [\"ACC2\"]\n\
                      [[client]]\ncomp_id = \"DC\"\ndrop_copy = true\n\
                      [[venue]]\nid = \"V\"\nhosts = [\"h:1\"]\n\
                      [[instrument]]\nsymbol = \"AAPL\"\nvenue = \"V\"\n\
                      [[instrument]]\nsymbol = \"MSFT\"\nvenue = \"V\"\n\
                      [limits]\nmax_order_qty = 5000\nmax_order_notional = \"2000000\"\n";

    const RISK: &str = r#"
[firm]
max_order_qty = 8000
max_order_notional = "1000000"

[desks.EQ]

[accounts.ACC1]
desk = "EQ"
cash = "1000000"
[accounts.ACC1.limits]
position_limits = { AAPL = 500 }

[accounts.ACC2]
desk = "EQ"
cash = "1000000"

[[instruments]]
symbol = "AAPL"
sector = "Technology"
tick = "0.01"

[[instruments]]
symbol = "MSFT"
sector = "Technology"
tick = "0.01"
"#;

    /// A gateway config at `dir/gw.toml` with `risk` appended, and the
    /// risk file at `dir/conf/risk.toml`.
    fn files(dir: &Path, risk_section: &str, risk_file: &str) -> PathBuf {
        std::fs::create_dir_all(dir.join("conf")).unwrap();
        std::fs::write(dir.join("conf/risk.toml"), risk_file).unwrap();
        let gw = dir.join("gw.toml");
        std::fs::write(&gw, format!("{GW}{risk_section}")).unwrap();
        gw
    }

    #[test]
    fn risk_file_relative_to_the_gateway_config_with_limits_folded_in() {
        let dir = tempfile::tempdir().unwrap();
        let gw = files(dir.path(), "[risk]\nconfig = \"conf/risk.toml\"\n", RISK);
        let cfg = GatewayConfig::load(&gw).unwrap();
        let section = cfg.risk.as_ref().unwrap();
        assert_eq!(section.config, dir.path().join("conf/risk.toml"));
        assert_eq!(section.market_hours, MarketHours::Nyse);
        let rc = cfg.risk_config().unwrap().unwrap();
        // The stricter of [limits] and the risk file's firm limits.
        assert_eq!(rc.firm.max_order_qty, Some(5000));
        assert_eq!(
            rc.firm.max_order_notional,
            Some(rust_decimal::Decimal::from(1_000_000))
        );
        assert!(rc.operators.is_empty(), "no waiver, no gateway operator");
        let acc = risk::AccountId::new("ACC1").unwrap();
        let aapl = risk::Symbol::new("AAPL").unwrap();
        assert_eq!(rc.accounts[&acc].limits.position_limits[&aapl], 500);

        // always_open authorises the gateway's operator to waive a rule.
        let gw = files(
            dir.path(),
            "[risk]\nconfig = \"conf/risk.toml\"\nmarket_hours = \"always_open\"\n",
            RISK,
        );
        let cfg = GatewayConfig::load(&gw).unwrap();
        let rc = cfg.risk_config().unwrap().unwrap();
        let op = risk::OperatorId::new(GATEWAY_OPERATOR).unwrap();
        assert_eq!(rc.operators[&op], vec![risk::config::Permission::Override]);
        // Without [risk]: nothing to load.
        let plain = GatewayConfig::parse(GW, "gw.toml").unwrap();
        assert!(plain.risk_config().unwrap().is_none());
    }

    #[test]
    fn every_risk_problem_is_reported_with_file_key_and_reason() {
        let dir = tempfile::tempdir().unwrap();
        // Four problems inside the risk file, and two between it and the
        // gateway's config (ACC2 and MSFT are not in it): all at once.
        let bad = RISK
            .replace("[accounts.ACC2]\ndesk = \"EQ\"\ncash = \"1000000\"\n", "")
            .replace("symbol = \"MSFT\"", "symbol = \"NVDA\"")
            .replace("max_order_qty = 8000", "max_order_qty = -1")
            .replace("desk = \"EQ\"\ncash", "desk = \"NOPE\"\ncash")
            .replace("AAPL = 500", "TSLA = 500")
            .replace(
                "tick = \"0.01\"\n\n[[instruments]]",
                "tick = \"0\"\n\n[[instruments]]",
            );
        let gw = files(dir.path(), "[risk]\nconfig = \"conf/risk.toml\"\n", &bad);
        let e = GatewayConfig::load(&gw).unwrap_err();
        let all = e.to_string();
        let risk_file = dir.path().join("conf/risk.toml").display().to_string();
        for (key, reason) in [
            ("firm.max_order_qty", "must be positive, got -1"),
            ("accounts.ACC1.desk", "unknown desk NOPE"),
            (
                "accounts.ACC1.limits.position_limits.TSLA",
                "unknown symbol TSLA",
            ),
            ("instruments[0].tick", "must be positive"),
            (
                "accounts",
                "no account \"ACC2\", which client[1] (C2) trades",
            ),
            (
                "instruments",
                "no instrument \"MSFT\", which instrument[1] routes",
            ),
        ] {
            let line = format!("  {risk_file}: {key}: {reason}");
            assert!(all.contains(&line), "missing {line:?} in\n{all}");
            assert!(
                e.problems()
                    .iter()
                    .any(|p| p.file == risk_file && p.key == key && p.reason.starts_with(reason)),
                "no problem ({risk_file}, {key}, {reason}) in {:?}",
                e.problems()
            );
        }
        assert_eq!(e.problems().len(), 6, "{all}");
        assert!(!all.contains("DC"), "a drop copy trades nothing: {all}");
    }

    #[test]
    fn risk_file_parse_errors_and_missing_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let gw = files(
            dir.path(),
            "[risk]\nconfig = \"conf/risk.toml\"\n",
            &RISK.replace("max_order_qty = 8000", "max_order_qtty = 8000"),
        );
        let all = GatewayConfig::load(&gw).unwrap_err().to_string();
        let risk_file = dir.path().join("conf/risk.toml").display().to_string();
        // The gateway file's key that names the risk file, then where in
        // the risk file the parser stopped.
        let want = format!(
            "{}: risk.config: {risk_file}: line 3, column 1: ",
            gw.display()
        );
        assert!(all.contains(&want), "missing {want:?} in\n{all}");
        assert!(
            all.contains("max_order_qtty") && all.contains("line"),
            "{all}"
        );

        let gw = files(dir.path(), "[risk]\nconfig = \"conf/nope.toml\"\n", RISK);
        let all = GatewayConfig::load(&gw).unwrap_err().to_string();
        let nope = dir.path().join("conf/nope.toml").display().to_string();
        let want = format!("{}: risk.config: {nope}: cannot read: ", gw.display());
        assert!(all.contains(&want), "missing {want:?} in\n{all}");

        let gw = files(
            dir.path(),
            "[risk]\nconfig = \"conf/risk.toml\"\nmarket_hours = \"sometimes\"\n",
            RISK,
        );
        let all = GatewayConfig::load(&gw).unwrap_err().to_string();
        assert!(
            all.contains("sometimes") && all.contains("always_open"),
            "{all}"
        );

        let gw = files(dir.path(), "[risk]\nconfg = \"conf/risk.toml\"\n", RISK);
        let all = GatewayConfig::load(&gw).unwrap_err().to_string();
        assert!(all.contains("confg"), "{all}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = GatewayConfig::parse("[gateway]\ncomp_idd = \"X\"\n", "gw.toml").unwrap_err();
        assert!(e.to_string().contains("comp_idd"), "{e}");
    }

    #[test]
    fn postgres_schema_prefix_names_both_schemas_and_is_checked() {
        let base = "[[listener]]\nport = 1\n[[client]]\ncomp_id = \"C\"\naccounts = [\"A\"]\n\
                    [[venue]]\nid = \"V\"\nhosts = [\"h:1\"]\n";
        let c = GatewayConfig::parse(base, "gw.toml").unwrap();
        assert_eq!(c.gateway.fix_store_schema(), "fixgw");
        assert_eq!(c.gateway.journal_schema(), "fixgw_journal");
        let text = format!("[gateway]\npostgres_schema_prefix = \"t1_\"\n{base}");
        let c = GatewayConfig::parse(&text, "gw.toml").unwrap();
        assert_eq!(c.gateway.fix_store_schema(), "t1_fixgw");
        assert_eq!(c.gateway.journal_schema(), "t1_fixgw_journal");
        let text = format!("[gateway]\npostgres_schema_prefix = \"Bad-1\"\n{base}");
        let e = GatewayConfig::parse(&text, "gw.toml").unwrap_err();
        assert!(
            e.to_string().contains("gateway.postgres_schema_prefix"),
            "{e}"
        );
    }

    #[test]
    fn market_data_and_settlement_keys_default_and_are_checked() {
        let base = "[[listener]]\nport = 1\n[[client]]\ncomp_id = \"C\"\naccounts = [\"A\"]\n";
        let c = GatewayConfig::parse(
            &format!("{base}[[venue]]\nid = \"V\"\nhosts = [\"h:1\"]\n"),
            "gw.toml",
        )
        .unwrap();
        let v = &c.venues[0];
        assert!(v.market_data);
        assert_eq!(
            (v.clearing_url.as_ref(), v.clearing_dir.as_ref()),
            (None, None)
        );
        assert_eq!(c.gateway.market_data_conflate_ms, 200);
        assert_eq!(c.gateway.mark_trade_max_age_ms, 60_000);
        assert_eq!(c.settlement.interval_secs, 3600);
        assert!(c.settlement.run_at_start);

        // A clearing directory is relative to the config file.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("clearing/V")).unwrap();
        let gw = dir.path().join("gw.toml");
        std::fs::write(
            &gw,
            format!(
                "[gateway]\nmarket_data_conflate_ms = 0\n{base}\
                 [[venue]]\nid = \"V\"\nhosts = [\"h:1\"]\nmarket_data = false\n\
                 clearing_dir = \"clearing/V\"\nclearing_url = \"http://127.0.0.1:8080/V/clearing\"\n\
                 [settlement]\ninterval_secs = 0\n"
            ),
        )
        .unwrap();
        let c = GatewayConfig::load(&gw).unwrap();
        assert_eq!(
            c.venues[0].clearing_dir,
            Some(dir.path().join("clearing/V"))
        );
        assert!(!c.venues[0].market_data);
        assert_eq!(c.gateway.market_data_conflate_ms, 0);
        assert_eq!(c.settlement.interval_secs, 0);

        // Every problem with its key.
        let text = format!(
            "{base}[[venue]]\nid = \"V\"\nhosts = [\"h:1\"]\nclearing_url = \"ftp://x/c\"\n\
             clearing_dir = \"/no/such/dir\"\nclearing_account = \"\"\n\
             [[venue]]\nid = \"W\"\nhosts = [\"h:1\"]\nclearing_url = \"http://h:port/c\"\n"
        );
        let all = GatewayConfig::parse(&text, "gw.toml")
            .unwrap_err()
            .to_string();
        for want in [
            "venue[0].clearing_url: \"ftp://x/c\": must start with http:// or https://",
            "venue[0].clearing_dir: /no/such/dir is not a directory",
            "venue[0].clearing_account: must not be empty",
            "venue[1].clearing_url: \"http://h:port/c\": port \"port\" is not a number",
        ] {
            assert!(all.contains(want), "missing {want:?} in\n{all}");
        }
        let e = GatewayConfig::parse(&format!("[settlement]\nevery = 1\n{base}"), "gw.toml")
            .unwrap_err();
        assert!(e.to_string().contains("every"), "{e}");
    }
}
