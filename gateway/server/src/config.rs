//! The gateway's TOML configuration: listeners, client sessions and the
//! accounts each may trade, venue sessions, instruments and their default
//! venues, limits and storage. Unknown keys are errors, and `validate`
//! reports every problem at once with the file, the key and the reason.

use serde::Deserialize;
use std::path::{Path, PathBuf};

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

/// A configuration that cannot be used, with every problem found.
#[derive(Debug, thiserror::Error)]
#[error("invalid gateway configuration {file}:\n{}", problems.join("\n"))]
pub struct ConfigError {
    pub file: String,
    pub problems: Vec<String>,
}

impl GatewayConfig {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            problems: vec![format!("cannot read: {e}")],
        })?;
        Self::parse(&text, &file)
    }

    pub fn parse(text: &str, file: &str) -> Result<Self, ConfigError> {
        let cfg: Self = toml::from_str(text).map_err(|e| ConfigError {
            file: file.to_owned(),
            problems: vec![e.to_string()],
        })?;
        cfg.validate(file)?;
        Ok(cfg)
    }

    /// Every problem at once: key and reason.
    pub fn validate(&self, file: &str) -> Result<(), ConfigError> {
        let mut p = Vec::new();
        if self.listeners.is_empty() {
            p.push("listener: at least one [[listener]] is required".to_owned());
        }
        if self.clients.is_empty() {
            p.push("client: at least one [[client]] is required".to_owned());
        }
        let begins = ["FIX.4.2", "FIX.4.4", "FIXT.1.1"];
        let mut seen = std::collections::BTreeSet::new();
        for (i, c) in self.clients.iter().enumerate() {
            if !begins.contains(&c.begin_string.as_str()) {
                p.push(format!(
                    "client[{i}].begin_string: {:?} is not one of {begins:?}",
                    c.begin_string
                ));
            }
            if !seen.insert(&c.comp_id) {
                p.push(format!(
                    "client[{i}].comp_id: {:?} appears twice",
                    c.comp_id
                ));
            }
            if c.accounts.is_empty() && !c.drop_copy {
                p.push(format!(
                    "client[{i}].accounts: a trading session needs at least one account"
                ));
            }
        }
        let venue_ids: Vec<&str> = self.venues.iter().map(|v| v.id.as_str()).collect();
        for (i, v) in self.venues.iter().enumerate() {
            if v.hosts.is_empty() {
                p.push(format!(
                    "venue[{i}].hosts: at least one host:port is required"
                ));
            }
            if !begins.contains(&v.begin_string.as_str()) {
                p.push(format!(
                    "venue[{i}].begin_string: {:?} is not one of {begins:?}",
                    v.begin_string
                ));
            }
        }
        if self.venues.is_empty() {
            p.push("venue: at least one [[venue]] is required".to_owned());
        }
        for (i, ins) in self.instruments.iter().enumerate() {
            if !venue_ids.contains(&ins.venue.as_str()) {
                p.push(format!(
                    "instrument[{i}].venue: {:?} is not a configured venue",
                    ins.venue
                ));
            }
        }
        let prefix = &self.gateway.postgres_schema_prefix;
        if prefix.len() > 40
            || prefix.starts_with(|c: char| c.is_ascii_digit())
            || !prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            p.push(format!(
                "gateway.postgres_schema_prefix: {prefix:?} must be at most 40 lowercase ASCII \
                 letters, digits and underscores, not starting with a digit"
            ));
        }
        if self.limits.max_order_qty == 0 {
            p.push("limits.max_order_qty: must be positive".to_owned());
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(ConfigError {
                file: file.to_owned(),
                problems: p,
            })
        }
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
            assert!(all.contains(key), "missing {key} in {all}");
        }
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
}
