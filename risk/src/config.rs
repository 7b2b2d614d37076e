//! Risk configuration: limits per firm, desk and account, instruments,
//! lists, trading hours, VaR and drawdown parameters and authorised
//! operators, read from TOML.
//!
//! Owns parsing and validation only. Every struct denies unknown fields;
//! [`RiskConfig::validate`] reports every problem at once, each with the
//! file, the key and the reason. The engine compiles a validated config
//! into its own dense tables (see [`crate::RiskEngine`]); changing it at run time
//! goes through [`crate::RiskEngine::set_config`], an audited operator
//! action.
//!
//! The file format, key by key, is in `docs/CONFIG.md` ("The risk file"),
//! with an annotated example in `docs/examples/risk.toml`.

use std::collections::BTreeMap;

use chrono::NaiveTime;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

use crate::types::{
    AccountId, AssetClass, DeskId, Instrument, OperatorId, OrdType, Sector, Symbol, Venue,
};

/// The whole risk configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RiskConfig {
    /// Firm-wide limits.
    #[serde(default)]
    pub firm: Limits,
    /// Desks and their limits.
    #[serde(default)]
    pub desks: BTreeMap<DeskId, DeskConfig>,
    /// Accounts, their settings and limits.
    #[serde(default)]
    pub accounts: BTreeMap<AccountId, AccountConfig>,
    /// Tradable instruments.
    #[serde(default)]
    pub instruments: Vec<Instrument>,
    /// Restricted list: no orders at all.
    #[serde(default)]
    pub restricted: Vec<Symbol>,
    /// Hard-to-borrow list: short sales need an explicit locate on the order.
    #[serde(default)]
    pub hard_to_borrow: Vec<Symbol>,
    /// Check parameters that are not limits.
    #[serde(default)]
    pub checks: ChecksConfig,
    /// Trading hours for options and futures (equities follow the NYSE
    /// calendar).
    #[serde(default)]
    pub hours: HoursConfig,
    /// VaR parameters.
    #[serde(default)]
    pub var: VarConfig,
    /// Drawdown tiers.
    #[serde(default)]
    pub drawdown: DrawdownConfig,
    /// Operators and what each may do.
    #[serde(default)]
    pub operators: BTreeMap<OperatorId, Vec<Permission>>,
}

/// Limits that can be set at any level. Unset means no limit at that level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Maximum quantity of one order.
    pub max_order_qty: Option<i64>,
    /// Maximum notional of one order.
    pub max_order_notional: Option<Decimal>,
    /// Price collar: maximum deviation from the reference price, percent.
    pub collar_pct: Option<Decimal>,
    /// Price collar: maximum deviation from the reference price, currency.
    pub collar_abs: Option<Decimal>,
    /// Maximum notional of orders accepted today.
    pub daily_notional: Option<Decimal>,
    /// Maximum orders per rolling second.
    pub orders_per_second: Option<u32>,
    /// Credit: maximum projected gross notional (positions plus open
    /// orders plus this order).
    pub credit_limit: Option<Decimal>,
    /// Default maximum absolute projected position per instrument.
    pub max_position: Option<i64>,
    /// Per-instrument position limits (override `max_position`).
    #[serde(default)]
    pub position_limits: BTreeMap<Symbol, i64>,
    /// Maximum projected gross exposure.
    pub gross_exposure: Option<Decimal>,
    /// Maximum projected absolute net exposure.
    pub net_exposure: Option<Decimal>,
    /// Exposure limits per sector.
    #[serde(default)]
    pub sectors: BTreeMap<Sector, ExposureLimit>,
    /// Exposure limits per asset class.
    #[serde(default)]
    pub asset_classes: BTreeMap<AssetClass, ExposureLimit>,
    /// 99% one-day VaR limit; a breach moves the level to REDUCING.
    pub var_limit: Option<Decimal>,
}

/// Gross and net limits for a bucket (sector or asset class).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ExposureLimit {
    /// Maximum gross.
    pub gross: Option<Decimal>,
    /// Maximum absolute net.
    pub net: Option<Decimal>,
}

/// A desk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DeskConfig {
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
}

/// Margin or cash account (Reg T).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    /// Cash account: buying power is cash.
    Cash,
    /// Margin account.
    #[default]
    Margin,
}

/// Which pattern-day-trading regime applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PdtRegime {
    /// FINRA 4210(f)(8)(B) as it stood: 4 day trades in 5 days, $25,000.
    #[default]
    Legacy,
    /// Real-time intraday margin: block a trade that creates a deficit.
    IntradayMargin,
    /// Not subject (e.g. institutional account).
    Exempt,
}

/// What to do with an order that breaches a size-related limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OnBreach {
    /// Reject it.
    #[default]
    Reject,
    /// Reduce it to the largest size that fits.
    Reduce,
}

/// Wash sale handling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WashSaleMode {
    /// Flag (event and accept flag) but trade.
    #[default]
    Flag,
    /// Block the purchase (or the loss sale).
    Block,
}

/// An account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// Desk the account belongs to.
    pub desk: DeskId,
    /// Cash at the start of the day.
    pub cash: Decimal,
    /// Cash or margin.
    #[serde(default)]
    pub account_type: AccountType,
    /// Initial margin rate for buying power (0.5 Reg T; cash accounts use 1).
    #[serde(default = "default_initial_margin")]
    pub initial_margin: Decimal,
    /// Maintenance margin rate for the intraday-margin PDT regime.
    #[serde(default = "default_maintenance_margin")]
    pub maintenance_margin: Decimal,
    /// Pattern day trading regime.
    #[serde(default)]
    pub pdt_regime: PdtRegime,
    /// Reject or reduce on size-related breaches.
    #[serde(default)]
    pub on_breach: OnBreach,
    /// Order types allowed (empty: all).
    #[serde(default)]
    pub allowed_ord_types: Vec<OrdType>,
    /// Venues allowed (empty: all).
    #[serde(default)]
    pub allowed_venues: Vec<Venue>,
    /// Wash sale handling.
    #[serde(default)]
    pub wash_sales: WashSaleMode,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
}

fn default_initial_margin() -> Decimal {
    dec!(0.5)
}
fn default_maintenance_margin() -> Decimal {
    dec!(0.25)
}

/// Which price a collar is measured from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CollarReference {
    /// Last trade.
    #[default]
    Last,
    /// Mid of the best bid and offer (falls back to last).
    Mid,
}

/// Check parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksConfig {
    /// Window for "same parameters" duplicate detection, milliseconds.
    #[serde(default = "default_dup_window")]
    pub duplicate_window_ms: i64,
    /// Reference price for collars.
    #[serde(default)]
    pub collar_reference: CollarReference,
    /// Minimum equity for a pattern day trader (FINRA 4210).
    #[serde(default = "default_pdt_equity")]
    pub pdt_min_equity: Decimal,
    /// Orders per day the duplicate-ClOrdID set is sized for at start, so
    /// that it does not rehash (a latency spike) during the day.
    #[serde(default = "default_orders_per_day")]
    pub expected_orders_per_day: usize,
}

fn default_orders_per_day() -> usize {
    1 << 20
}

fn default_dup_window() -> i64 {
    1000
}
fn default_pdt_equity() -> Decimal {
    dec!(25000)
}

impl Default for ChecksConfig {
    fn default() -> Self {
        ChecksConfig {
            duplicate_window_ms: default_dup_window(),
            collar_reference: CollarReference::Last,
            pdt_min_equity: default_pdt_equity(),
            expected_orders_per_day: default_orders_per_day(),
        }
    }
}

/// Trading hours for one asset class, New York time. `open > close` means
/// the session runs overnight (e.g. futures 18:00-17:00), Sunday evening to
/// Friday.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionHours {
    /// Open, "HH:MM".
    #[serde(with = "hhmm")]
    pub open: NaiveTime,
    /// Close, "HH:MM".
    #[serde(with = "hhmm")]
    pub close: NaiveTime,
    /// Closed on NYSE holidays.
    #[serde(default = "yes")]
    pub follow_exchange_holidays: bool,
}

fn yes() -> bool {
    true
}

/// Hours for the non-equity asset classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursConfig {
    /// Listed options (default 09:30-16:00).
    #[serde(default = "default_option_hours")]
    pub option: SessionHours,
    /// Futures (default 18:00-17:00 overnight).
    #[serde(default = "default_future_hours")]
    pub future: SessionHours,
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

fn default_option_hours() -> SessionHours {
    SessionHours {
        open: hm(9, 30),
        close: hm(16, 0),
        follow_exchange_holidays: true,
    }
}
fn default_future_hours() -> SessionHours {
    SessionHours {
        open: hm(18, 0),
        close: hm(17, 0),
        follow_exchange_holidays: false,
    }
}

impl Default for HoursConfig {
    fn default() -> Self {
        HoursConfig {
            option: default_option_hours(),
            future: default_future_hours(),
        }
    }
}

mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let s = String::deserialize(d)?;
        NaiveTime::parse_from_str(&s, "%H:%M").map_err(serde::de::Error::custom)
    }
}

/// VaR parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VarConfig {
    /// EWMA decay (RiskMetrics 0.94).
    #[serde(default = "default_lambda")]
    pub lambda: f64,
    /// Days of history kept for historical simulation.
    #[serde(default = "default_history")]
    pub history_days: usize,
}

fn default_lambda() -> f64 {
    0.94
}
fn default_history() -> usize {
    250
}

impl Default for VarConfig {
    fn default() -> Self {
        VarConfig {
            lambda: default_lambda(),
            history_days: default_history(),
        }
    }
}

/// Drawdown tiers, in percent of the intraday high-water mark of equity. The defaults halt and flatten before a 2% loss.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawdownConfig {
    /// Warn (event only).
    #[serde(default = "dd_warn")]
    pub warn_pct: Decimal,
    /// Move to REDUCING.
    #[serde(default = "dd_reduce")]
    pub reduce_pct: Decimal,
    /// Move to HALTED and ask the OMS to flatten.
    #[serde(default = "dd_halt")]
    pub halt_pct: Decimal,
}

fn dd_warn() -> Decimal {
    dec!(1.0)
}
fn dd_reduce() -> Decimal {
    dec!(1.5)
}
fn dd_halt() -> Decimal {
    dec!(1.8)
}

impl Default for DrawdownConfig {
    fn default() -> Self {
        DrawdownConfig {
            warn_pct: dd_warn(),
            reduce_pct: dd_reduce(),
            halt_pct: dd_halt(),
        }
    }
}

/// What an operator may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Waive a rule (override).
    Override,
    /// Use the kill switch and set trading states.
    KillSwitch,
    /// Change limits.
    Limits,
}

use domain::config::Problems;
/// The workspace's configuration problem and error types: every
/// problem names the file, the dotted key and the reason.
pub use domain::config::{ConfigError, ConfigProblem};

impl RiskConfig {
    /// Parse and validate TOML text; `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<RiskConfig, ConfigError> {
        let cfg: RiskConfig = toml::from_str(text)
            .map_err(|e| ConfigError::parse(file, text, e.span(), e.message()))?;
        let problems = cfg.validate(file);
        if problems.is_empty() {
            Ok(cfg)
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// Every problem in the configuration; empty when it is valid.
    pub fn validate(&self, file: &str) -> Vec<ConfigProblem> {
        let mut v = Validator {
            problems: Problems::new(file),
        };
        let mut symbols = std::collections::BTreeSet::new();
        let mut sectors = std::collections::BTreeSet::new();
        for (i, ins) in self.instruments.iter().enumerate() {
            let key = format!("instruments[{i}]");
            if !symbols.insert(ins.symbol) {
                v.push(&key, format!("duplicate symbol {}", ins.symbol));
            }
            sectors.insert(ins.sector);
            if ins.tick <= Decimal::ZERO {
                v.push(&format!("{key}.tick"), "must be positive".into());
            }
            if ins.lot <= 0 {
                v.push(&format!("{key}.lot"), "must be positive".into());
            }
            if ins.multiplier <= Decimal::ZERO {
                v.push(&format!("{key}.multiplier"), "must be positive".into());
            }
            if matches!(ins.asset_class, AssetClass::Option | AssetClass::Future)
                && ins.underlying.is_none()
            {
                v.push(
                    &format!("{key}.underlying"),
                    "options and futures need one".into(),
                );
            }
        }
        for (i, s) in self.instruments.iter().enumerate() {
            if let Some(u) = s.underlying {
                if !symbols.contains(&u) {
                    v.push(
                        &format!("instruments[{i}].underlying"),
                        format!("unknown symbol {u}"),
                    );
                }
            }
        }
        for (list, name) in [
            (&self.restricted, "restricted"),
            (&self.hard_to_borrow, "hard_to_borrow"),
        ] {
            for (i, s) in list.iter().enumerate() {
                if !symbols.contains(s) {
                    v.push(&format!("{name}[{i}]"), format!("unknown symbol {s}"));
                }
            }
        }
        v.limits("firm", &self.firm, &symbols, &sectors);
        for (id, d) in &self.desks {
            v.limits(&format!("desks.{id}.limits"), &d.limits, &symbols, &sectors);
            if d.limits.var_limit.is_some() {
                v.push(
                    &format!("desks.{id}.limits.var_limit"),
                    "VaR is computed per account and for the firm, not per desk".into(),
                );
            }
        }
        for (id, a) in &self.accounts {
            let key = format!("accounts.{id}");
            if !self.desks.contains_key(&a.desk) {
                v.push(&format!("{key}.desk"), format!("unknown desk {}", a.desk));
            }
            if a.cash < Decimal::ZERO {
                v.push(&format!("{key}.cash"), "must not be negative".into());
            }
            for (name, rate) in [
                ("initial_margin", a.initial_margin),
                ("maintenance_margin", a.maintenance_margin),
            ] {
                if rate <= Decimal::ZERO || rate > Decimal::ONE {
                    v.push(&format!("{key}.{name}"), "must be in (0, 1]".into());
                }
            }
            v.limits(&format!("{key}.limits"), &a.limits, &symbols, &sectors);
        }
        if self.checks.duplicate_window_ms < 0 {
            v.push("checks.duplicate_window_ms", "must not be negative".into());
        }
        if !(self.var.lambda > 0.0 && self.var.lambda < 1.0) {
            v.push("var.lambda", "must be in (0, 1)".into());
        }
        if self.var.history_days < 2 {
            v.push("var.history_days", "must be at least 2".into());
        }
        let dd = &self.drawdown;
        if !(Decimal::ZERO < dd.warn_pct
            && dd.warn_pct < dd.reduce_pct
            && dd.reduce_pct < dd.halt_pct)
        {
            v.push(
                "drawdown",
                "tiers must satisfy 0 < warn_pct < reduce_pct < halt_pct".into(),
            );
        }
        if dd.halt_pct >= dec!(100) {
            v.push("drawdown.halt_pct", "must be below 100".into());
        }
        for (op, perms) in &self.operators {
            if perms.is_empty() {
                v.push(&format!("operators.{op}"), "has no permissions".into());
            }
        }
        v.problems.into_vec()
    }
}

struct Validator {
    problems: Problems,
}

impl Validator {
    fn push(&mut self, key: &str, reason: String) {
        self.problems.push(key, reason);
    }

    fn positive(&mut self, key: &str, value: Option<Decimal>) {
        if let Some(x) = value {
            if x <= Decimal::ZERO {
                self.push(key, format!("must be positive, got {x}"));
            }
        }
    }

    fn limits(
        &mut self,
        key: &str,
        l: &Limits,
        symbols: &std::collections::BTreeSet<Symbol>,
        sectors: &std::collections::BTreeSet<Sector>,
    ) {
        for (name, x) in [
            ("max_order_qty", l.max_order_qty),
            ("max_position", l.max_position),
        ] {
            if let Some(x) = x {
                if x <= 0 {
                    self.push(
                        &format!("{key}.{name}"),
                        format!("must be positive, got {x}"),
                    );
                }
            }
        }
        for (name, x) in [
            ("max_order_notional", l.max_order_notional),
            ("collar_pct", l.collar_pct),
            ("collar_abs", l.collar_abs),
            ("daily_notional", l.daily_notional),
            ("credit_limit", l.credit_limit),
            ("gross_exposure", l.gross_exposure),
            ("net_exposure", l.net_exposure),
            ("var_limit", l.var_limit),
        ] {
            self.positive(&format!("{key}.{name}"), x);
        }
        if l.orders_per_second == Some(0) {
            self.push(
                &format!("{key}.orders_per_second"),
                "must be positive, got 0".into(),
            );
        }
        for (s, x) in &l.position_limits {
            let k = format!("{key}.position_limits.{s}");
            if !symbols.contains(s) {
                self.push(&k, format!("unknown symbol {s}"));
            }
            if *x <= 0 {
                self.push(&k, format!("must be positive, got {x}"));
            }
        }
        for (s, e) in &l.sectors {
            let k = format!("{key}.sectors.{s}");
            if !sectors.contains(s) {
                self.push(&k, format!("no instrument is in sector {s}"));
            }
            self.positive(&format!("{k}.gross"), e.gross);
            self.positive(&format!("{k}.net"), e.net);
        }
        for (c, e) in &l.asset_classes {
            let k = format!("{key}.asset_classes.{c}");
            self.positive(&format!("{k}.gross"), e.gross);
            self.positive(&format!("{k}.net"), e.net);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
        [firm]
        max_order_notional = "5000000"
        gross_exposure = "100000000"

        [desks.EQ1]
        [desks.EQ1.limits]
        daily_notional = "50000000"

        [accounts.ACC1]
        desk = "EQ1"
        cash = "1000000"
        on_breach = "reduce"
        allowed_ord_types = ["Market", "Limit"]
        [accounts.ACC1.limits]
        max_order_qty = 10000
        collar_pct = "5"
        position_limits = { AAPL = 20000 }
        sectors = { Technology = { gross = "2000000" } }

        [[instruments]]
        symbol = "AAPL"
        sector = "Technology"
        tier = "1"
        tick = "0.01"

        [operators]
        alice = ["override", "kill_switch", "limits"]
    "#;

    #[test]
    fn good_config_loads() {
        let cfg = RiskConfig::from_toml("risk.toml", GOOD).unwrap();
        let acc = &cfg.accounts[&AccountId::new("ACC1").unwrap()];
        assert_eq!(acc.limits.max_order_qty, Some(10000));
        assert_eq!(acc.on_breach, OnBreach::Reduce);
        assert_eq!(cfg.instruments[0].lot, 1);
        assert_eq!(cfg.drawdown.halt_pct, dec!(1.8));
    }

    #[test]
    fn unknown_field_is_a_parse_error_with_line() {
        let text = GOOD.replace("max_order_qty = 10000", "max_order_qtty = 10000");
        let err = RiskConfig::from_toml("risk.toml", &text).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("risk.toml: "), "{msg}");
        assert!(msg.contains("max_order_qtty"), "{msg}");
        assert!(msg.contains("line"), "{msg}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = GOOD
            .replace("desk = \"EQ1\"", "desk = \"NOPE\"")
            .replace("max_order_qty = 10000", "max_order_qty = -5")
            .replace("AAPL = 20000", "MSFT = 20000")
            .replace("tick = \"0.01\"", "tick = \"0\"");
        let ConfigError::Invalid(problems) = RiskConfig::from_toml("risk.toml", &text).unwrap_err()
        else {
            panic!("expected validation errors")
        };
        let keys: Vec<_> = problems.iter().map(|p| p.key.as_str()).collect();
        assert!(keys.contains(&"accounts.ACC1.desk"), "{keys:?}");
        assert!(
            keys.contains(&"accounts.ACC1.limits.max_order_qty"),
            "{keys:?}"
        );
        assert!(
            keys.contains(&"accounts.ACC1.limits.position_limits.MSFT"),
            "{keys:?}"
        );
        assert!(keys.contains(&"instruments[0].tick"), "{keys:?}");
        assert!(problems.iter().all(|p| p.file == "risk.toml"));
        assert_eq!(problems.len(), 4, "{problems:?}");
    }

    #[test]
    fn drawdown_tiers_must_increase_and_defaults_stay_under_two_percent() {
        let d = DrawdownConfig::default();
        assert!(d.halt_pct < dec!(2));
        let mut cfg = RiskConfig::from_toml("f", GOOD).unwrap();
        cfg.drawdown.reduce_pct = dec!(0.5);
        let problems = cfg.validate("f");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].key, "drawdown");
    }
}
