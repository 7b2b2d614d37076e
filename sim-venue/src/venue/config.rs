//! Venue configuration: CompID, fees, simulated latency, liquidity,
//! self-trade prevention, bands, market data depth, seed. Serde with
//! `deny_unknown_fields`; [`VenueConfig::validate`] reports every problem.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clearing::FeeSchedule;
use crate::instruments::ConfigError;
use crate::market::LiquidityConfig;
use crate::types::{Duration, StpMode};
use domain::config::Problems;

/// Simulated latency added before a reply becomes visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LatencyConfig {
    /// Order entry: execution reports and cancel rejects.
    pub order_ns: Duration,
    /// Market data messages (on top of any injected delay).
    pub market_data_ns: Duration,
}

/// Session status a venue starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartSession {
    /// Pre-open.
    PreOpen,
    /// Open.
    Open,
    /// Closed.
    Closed,
}

/// Configuration of one venue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VenueConfig {
    /// The venue's CompID (SenderCompID of its FIX sessions).
    pub comp_id: String,
    /// Maker/taker fees.
    pub fees: FeeSchedule,
    /// Simulated latency.
    pub latency: LatencyConfig,
    /// Simulated liquidity.
    pub liquidity: LiquidityConfig,
    /// Seed of every random walk.
    pub seed: u64,
    /// STP mode of accounts not listed in `account_stp`.
    pub default_stp: Option<StpMode>,
    /// STP mode per account.
    pub account_stp: BTreeMap<String, StpMode>,
    /// Enforce LULD-style price bands (each instrument's `band_pct`).
    pub bands: bool,
    /// Most levels a market data subscription may ask for.
    pub max_depth: usize,
    /// Session status at start.
    pub start_session: StartSession,
    /// Account name of the simulated liquidity provider.
    pub lp_account: String,
}

impl Default for VenueConfig {
    fn default() -> Self {
        VenueConfig {
            comp_id: "SIMX".into(),
            fees: FeeSchedule::default(),
            latency: LatencyConfig::default(),
            liquidity: LiquidityConfig::default(),
            seed: 1,
            default_stp: None,
            account_stp: BTreeMap::new(),
            bands: true,
            max_depth: 10,
            start_session: StartSession::Open,
            lp_account: "SIM-LP".into(),
        }
    }
}

impl VenueConfig {
    /// Defaults with this CompID.
    pub fn new(comp_id: &str) -> Self {
        VenueConfig {
            comp_id: comp_id.into(),
            ..VenueConfig::default()
        }
    }

    /// Every problem at once; `file` labels the error.
    pub fn validate(&self, file: &str) -> Result<(), ConfigError> {
        let mut problems = Problems::new(file);
        let mut bad = |key: &str, reason: String| problems.push(key, reason);
        if self.comp_id.is_empty()
            || !self.comp_id.chars().all(|c| c.is_ascii_graphic())
            || self.comp_id.contains('|')
        {
            bad(
                "comp_id",
                format!(
                    "must be non-empty printable ASCII without spaces, got {:?}",
                    self.comp_id
                ),
            );
        }
        if self.lp_account.is_empty() {
            bad("lp_account", "must not be empty".into());
        }
        if self.account_stp.contains_key(&self.lp_account) {
            bad(
                "account_stp",
                format!("{:?} is the liquidity provider's account", self.lp_account),
            );
        }
        if self.max_depth == 0 {
            bad("max_depth", "must be at least 1".into());
        }
        if self.fees.maker + self.fees.taker < rust_decimal::Decimal::ZERO {
            bad(
                "fees",
                "maker rebate larger than the taker fee: the venue would pay for every trade"
                    .into(),
            );
        }
        for (k, r) in self.liquidity.problems() {
            bad(&k, r);
        }
        problems.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_round_trip_and_unknown_keys() {
        let c: VenueConfig = toml::from_str(
            r#"
comp_id = "SIMY"
seed = 42
default_stp = "cancel_incoming"
[fees]
maker = "-0.001"
taker = "0.002"
[latency]
order_ns = 50000
[liquidity]
levels = 3
"#,
        )
        .unwrap();
        assert_eq!(c.comp_id, "SIMY");
        assert_eq!(c.liquidity.levels, 3);
        assert_eq!(c.latency.order_ns, Duration::from_micros(50));
        assert_eq!(c.default_stp, Some(StpMode::CancelIncoming));
        c.validate("v.toml").unwrap();
        assert!(toml::from_str::<VenueConfig>("comp_idd = \"X\"").is_err());
        assert!(toml::from_str::<VenueConfig>("[liquidity]\nlevelz = 1").is_err());
    }

    #[test]
    fn durations_keep_their_nanosecond_integer_form() {
        // The file format did not change when the venue's times became
        // Timestamp and Duration: plain unsigned nanoseconds, both ways.
        let mut c = VenueConfig::new("SIMX");
        c.latency.order_ns = Duration::from_micros(50);
        c.liquidity.walk_step_ns = Duration::from_secs(3_600);
        let text = toml::to_string(&c).unwrap();
        assert!(text.contains("order_ns = 50000\n"), "{text}");
        assert!(text.contains("market_data_ns = 0\n"), "{text}");
        assert!(text.contains("walk_step_ns = 3600000000000\n"), "{text}");
        assert!(text.contains("refresh_ns = 100000000\n"), "{text}");
        assert_eq!(toml::from_str::<VenueConfig>(&text).unwrap(), c);
        assert!(toml::from_str::<VenueConfig>("[latency]\norder_ns = -1").is_err());
    }

    #[test]
    fn validate_reports_everything() {
        let mut c = VenueConfig::new("");
        c.max_depth = 0;
        c.liquidity.levels = 0;
        let e = c.validate("v.toml").unwrap_err();
        let keys: Vec<_> = e.problems().iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, vec!["comp_id", "max_depth", "liquidity.levels"]);
    }
}
