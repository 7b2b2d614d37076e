//! Instrument definitions: the TOML file format, its validation (every
//! problem reported at once, with file, key and reason), and the validated
//! [`Instrument`] the rest of the venue uses. The default file shipped with
//! the crate is [`DEFAULT_INSTRUMENTS_TOML`].

use std::path::Path;

use chrono::NaiveDate;
use domain::config::Problems;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::types::{ticks_from_price, Ticks};

/// The default instruments file (AAPL 190.00, MSFT 420.00, a few more
/// equities, two options and two futures).
pub const DEFAULT_INSTRUMENTS_TOML: &str = include_str!("../instruments.toml");

pub use domain::AssetClass;

/// Put or call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PutCall {
    /// Put.
    Put,
    /// Call.
    Call,
}

/// One `[[instrument]]` table as written in the file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentSpec {
    /// Ticker (FIX Symbol 55).
    pub symbol: String,
    /// equity, option or future.
    pub asset_class: AssetClass,
    /// Sector, for reports and risk grouping.
    pub sector: String,
    /// Minimum price increment.
    pub tick_size: Decimal,
    /// Minimum quantity increment.
    pub lot_size: u64,
    /// Starting reference price.
    pub reference_price: Decimal,
    /// Daily volatility of the reference price random walk, in percent.
    #[serde(default)]
    pub daily_volatility_pct: Option<Decimal>,
    /// Price band half-width around the reference price, in percent.
    #[serde(default)]
    pub band_pct: Option<Decimal>,
    /// Currency, default USD.
    #[serde(default)]
    pub currency: Option<String>,
    /// Options: underlying symbol.
    #[serde(default)]
    pub underlying: Option<String>,
    /// Options: strike price.
    #[serde(default)]
    pub strike: Option<Decimal>,
    /// Options and futures: expiry date.
    #[serde(default)]
    pub expiry: Option<NaiveDate>,
    /// Options: put or call.
    #[serde(default)]
    pub put_call: Option<PutCall>,
    /// Options and futures: contract multiplier.
    #[serde(default)]
    pub multiplier: Option<Decimal>,
}

/// The whole file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentsFile {
    /// The instruments, in file order.
    pub instrument: Vec<InstrumentSpec>,
}

/// What kind of instrument, with the fields only that kind has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstrumentKind {
    /// Cash equity.
    Equity,
    /// Listed option.
    Option {
        /// Underlying symbol.
        underlying: String,
        /// Strike.
        strike: Decimal,
        /// Expiry.
        expiry: NaiveDate,
        /// Put or call.
        put_call: PutCall,
        /// Contract multiplier.
        multiplier: Decimal,
    },
    /// Future.
    Future {
        /// Expiry.
        expiry: NaiveDate,
        /// Contract multiplier.
        multiplier: Decimal,
    },
}

/// A validated instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    /// Ticker.
    pub symbol: String,
    /// Kind and kind-specific fields.
    pub kind: InstrumentKind,
    /// Sector.
    pub sector: String,
    /// Minimum price increment (> 0).
    pub tick_size: Decimal,
    /// Minimum quantity increment (> 0).
    pub lot_size: u64,
    /// Starting reference price (a multiple of the tick).
    pub reference_price: Decimal,
    /// Daily volatility in percent.
    pub daily_volatility_pct: Decimal,
    /// Price band half-width in percent.
    pub band_pct: Decimal,
    /// Currency.
    pub currency: String,
}

impl Instrument {
    /// Asset class.
    pub fn asset_class(&self) -> AssetClass {
        match self.kind {
            InstrumentKind::Equity => AssetClass::Equity,
            InstrumentKind::Option { .. } => AssetClass::Option,
            InstrumentKind::Future { .. } => AssetClass::Future,
        }
    }

    /// Contract multiplier (1 for equities).
    pub fn multiplier(&self) -> Decimal {
        match &self.kind {
            InstrumentKind::Equity => Decimal::ONE,
            InstrumentKind::Option { multiplier, .. }
            | InstrumentKind::Future { multiplier, .. } => *multiplier,
        }
    }

    /// Reference price in ticks.
    pub fn reference_ticks(&self) -> Ticks {
        // Validation guarantees the price is a multiple of the tick.
        ticks_from_price(self.reference_price, self.tick_size).unwrap_or(1)
    }

    /// A plain equity, for tests and quick setups.
    pub fn equity(symbol: &str, reference_price: Decimal, tick_size: Decimal) -> Instrument {
        Instrument {
            symbol: symbol.to_string(),
            kind: InstrumentKind::Equity,
            sector: "Unknown".into(),
            tick_size,
            lot_size: 1,
            reference_price,
            daily_volatility_pct: Decimal::new(15, 1),
            band_pct: Decimal::new(5, 0),
            currency: "USD".into(),
        }
    }
}

/// The workspace's configuration problem and error types: every problem
/// names the file, the dotted key (`instrument[3].strike`) and the reason.
pub use domain::config::{ConfigError, ConfigProblem};

impl InstrumentsFile {
    /// Parses TOML text (unknown keys are errors). `file` labels errors.
    pub fn parse(text: &str, file: &str) -> Result<InstrumentsFile, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::parse(file, text, e.span(), e.message()))
    }

    /// Checks everything and returns the validated instruments, or every
    /// problem found.
    pub fn validate(&self, file: &str) -> Result<Vec<Instrument>, ConfigError> {
        let mut problems = Problems::new(file);
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        if self.instrument.is_empty() {
            problems.push("instrument", "no instruments defined");
        }
        let symbols: std::collections::HashSet<&str> =
            self.instrument.iter().map(|s| s.symbol.as_str()).collect();
        for (i, s) in self.instrument.iter().enumerate() {
            let mut bad = |field: &str, reason: String| {
                problems.push(format!("instrument[{i}].{field}"), reason)
            };
            if s.symbol.trim().is_empty() || s.symbol.trim() != s.symbol {
                bad(
                    "symbol",
                    "must be non-empty without leading or trailing spaces".into(),
                );
            } else if !seen.insert(s.symbol.clone()) {
                bad("symbol", format!("duplicate symbol {:?}", s.symbol));
            }
            if s.sector.trim().is_empty() {
                bad("sector", "must not be empty".into());
            }
            if s.tick_size <= Decimal::ZERO {
                bad(
                    "tick_size",
                    format!("must be positive, got {}", s.tick_size),
                );
            }
            if s.lot_size == 0 {
                bad("lot_size", "must be at least 1".into());
            }
            if s.reference_price <= Decimal::ZERO {
                bad(
                    "reference_price",
                    format!("must be positive, got {}", s.reference_price),
                );
            } else if s.tick_size > Decimal::ZERO
                && ticks_from_price(s.reference_price, s.tick_size).is_none()
            {
                bad(
                    "reference_price",
                    format!(
                        "{} is not a multiple of the tick size {}",
                        s.reference_price, s.tick_size
                    ),
                );
            }
            let vol = s.daily_volatility_pct.unwrap_or(Decimal::new(15, 1));
            if vol < Decimal::ZERO || vol > Decimal::from(50) {
                bad(
                    "daily_volatility_pct",
                    format!("must be within 0..=50, got {vol}"),
                );
            }
            let band = s.band_pct.unwrap_or(Decimal::from(5));
            if band <= Decimal::ZERO || band > Decimal::from(100) {
                bad("band_pct", format!("must be within (0, 100], got {band}"));
            }
            let currency = s.currency.clone().unwrap_or_else(|| "USD".into());
            if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
                bad(
                    "currency",
                    format!("must be a 3-letter ISO code, got {currency:?}"),
                );
            }
            let kind = match s.asset_class {
                // An ETF lists and trades as a share.
                AssetClass::Equity | AssetClass::Etf => {
                    for (f, present) in [
                        ("underlying", s.underlying.is_some()),
                        ("strike", s.strike.is_some()),
                        ("expiry", s.expiry.is_some()),
                        ("put_call", s.put_call.is_some()),
                        ("multiplier", s.multiplier.is_some()),
                    ] {
                        if present {
                            bad(f, "not allowed for an equity".into());
                        }
                    }
                    Some(InstrumentKind::Equity)
                }
                AssetClass::Option => {
                    match &s.underlying {
                        None => bad("underlying", "required for an option".into()),
                        Some(u) if !symbols.contains(u.as_str()) => bad(
                            "underlying",
                            format!("{u:?} is not an instrument in this file"),
                        ),
                        _ => {}
                    }
                    match s.strike {
                        None => bad("strike", "required for an option".into()),
                        Some(k) if k <= Decimal::ZERO => bad("strike", "must be positive".into()),
                        _ => {}
                    }
                    if s.expiry.is_none() {
                        bad("expiry", "required for an option".into());
                    }
                    if s.put_call.is_none() {
                        bad("put_call", "required for an option (put or call)".into());
                    }
                    check_multiplier(s.multiplier, "an option", &mut bad);
                    match (&s.underlying, s.strike, s.expiry, s.put_call, s.multiplier) {
                        (Some(u), Some(strike), Some(expiry), Some(put_call), Some(multiplier)) => {
                            Some(InstrumentKind::Option {
                                underlying: u.clone(),
                                strike,
                                expiry,
                                put_call,
                                multiplier,
                            })
                        }
                        _ => None,
                    }
                }
                AssetClass::Future => {
                    for (f, present) in [
                        ("underlying", s.underlying.is_some()),
                        ("strike", s.strike.is_some()),
                        ("put_call", s.put_call.is_some()),
                    ] {
                        if present {
                            bad(f, "not allowed for a future".into());
                        }
                    }
                    if s.expiry.is_none() {
                        bad("expiry", "required for a future".into());
                    }
                    check_multiplier(s.multiplier, "a future", &mut bad);
                    match (s.expiry, s.multiplier) {
                        (Some(expiry), Some(multiplier)) => {
                            Some(InstrumentKind::Future { expiry, multiplier })
                        }
                        _ => None,
                    }
                }
            };
            if let Some(kind) = kind {
                out.push(Instrument {
                    symbol: s.symbol.clone(),
                    kind,
                    sector: s.sector.clone(),
                    tick_size: s.tick_size,
                    lot_size: s.lot_size,
                    reference_price: s.reference_price,
                    daily_volatility_pct: vol,
                    band_pct: band,
                    currency,
                });
            }
        }
        if out.len() > usize::from(u16::MAX) {
            problems.push(
                "instrument",
                "too many instruments (at most 65535 per venue)",
            );
        }
        problems.into_result().map(|()| out)
    }
}

fn check_multiplier(m: Option<Decimal>, what: &str, bad: &mut impl FnMut(&str, String)) {
    match m {
        None => bad("multiplier", format!("required for {what}")),
        Some(m) if m <= Decimal::ZERO => bad("multiplier", "must be positive".into()),
        _ => {}
    }
}

/// Parses and validates instrument TOML text.
pub fn parse_instruments(text: &str, file: &str) -> Result<Vec<Instrument>, ConfigError> {
    InstrumentsFile::parse(text, file)?.validate(file)
}

/// Reads, parses and validates an instruments file.
pub fn load_instruments(path: &Path) -> Result<Vec<Instrument>, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::read(&file, &e))?;
    parse_instruments(&text, &file)
}

/// The default instruments.
pub fn default_instruments() -> Result<Vec<Instrument>, ConfigError> {
    parse_instruments(DEFAULT_INSTRUMENTS_TOML, "instruments.toml")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn default_file_is_valid_and_has_aapl_msft() {
        let v = default_instruments().unwrap();
        let aapl = v.iter().find(|i| i.symbol == "AAPL").unwrap();
        assert_eq!(aapl.reference_price, dec!(190.00));
        assert_eq!(aapl.reference_ticks(), 19_000);
        let msft = v.iter().find(|i| i.symbol == "MSFT").unwrap();
        assert_eq!(msft.reference_price, dec!(420.00));
        assert!(v.iter().any(|i| i.asset_class() == AssetClass::Option));
        let es = v.iter().find(|i| i.symbol == "ESZ6").unwrap();
        assert_eq!(es.multiplier(), dec!(50));
        assert_eq!(es.reference_ticks(), 22_400);
    }

    #[test]
    fn an_etf_lists_as_a_share() {
        let etf = r#"
[[instrument]]
symbol = "SPY"
asset_class = "etf"
sector = "Index"
tick_size = "0.01"
lot_size = 1
reference_price = "600.00"
"#;
        let v = parse_instruments(etf, "etf.toml").unwrap();
        assert_eq!(v[0].kind, InstrumentKind::Equity);
        let with_strike = etf.replace("lot_size = 1", "lot_size = 1\nstrike = \"1\"");
        let e = parse_instruments(&with_strike, "etf.toml").unwrap_err();
        assert!(
            e.to_string().contains("strike: not allowed for an equity"),
            "{e}"
        );
    }

    #[test]
    fn unknown_key_is_rejected() {
        let text = r#"
[[instrument]]
symbol = "X"
asset_class = "equity"
sector = "S"
tick_size = "0.01"
lot_size = 1
reference_price = "1.00"
colour = "red"
"#;
        let e = parse_instruments(text, "x.toml").unwrap_err();
        assert!(
            matches!(&e, ConfigError::Parse { file, at: Some(_), message } if file == "x.toml" && message.contains("colour")),
            "{e}"
        );
        assert!(e.to_string().starts_with("x.toml: line "), "{e}");
    }

    #[test]
    fn every_problem_reported_at_once() {
        let text = r#"
[[instrument]]
symbol = "A"
asset_class = "equity"
sector = ""
tick_size = "0"
lot_size = 0
reference_price = "10.005"
strike = "5"

[[instrument]]
symbol = "A"
asset_class = "option"
sector = "S"
tick_size = "0.01"
lot_size = 1
reference_price = "1.005"
underlying = "ZZZ"

[[instrument]]
symbol = "F"
asset_class = "future"
sector = "S"
tick_size = "0.25"
lot_size = 1
reference_price = "100.10"
"#;
        let e = parse_instruments(text, "bad.toml").unwrap_err();
        let keys: Vec<&str> = e.problems().iter().map(|p| p.key.as_str()).collect();
        for k in [
            "instrument[0].sector",
            "instrument[0].tick_size",
            "instrument[0].lot_size",
            "instrument[0].strike",
            "instrument[1].symbol",
            "instrument[1].reference_price",
            "instrument[1].underlying",
            "instrument[1].strike",
            "instrument[1].expiry",
            "instrument[1].put_call",
            "instrument[1].multiplier",
            "instrument[2].reference_price",
            "instrument[2].expiry",
            "instrument[2].multiplier",
        ] {
            assert!(keys.contains(&k), "missing {k} in {keys:?}");
        }
        assert!(e.problems().iter().all(|p| p.file == "bad.toml"), "{e}");
    }

    #[test]
    fn syntax_error_names_the_line() {
        let e = parse_instruments("[[instrument]\nsymbol=", "s.toml").unwrap_err();
        assert!(e.to_string().starts_with("s.toml: line 1, column "), "{e}");
    }
}
