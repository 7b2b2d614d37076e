//! Risk engine configuration fixtures, as the TOML text the engine and the
//! gateway read (`RiskConfig::from_toml`, a `[risk]` file, a built-in
//! section): [`RiskToml`] builds one from desks, accounts, instruments of
//! a shared catalogue and operators, so that a test writes out only what
//! is the point of it — above all its accounts' limits, which stay
//! explicit TOML in the test — and [`gateway_accounts`] is the file that
//! matches the end-to-end tests' gateway configuration.
//!
//! Text rather than `risk` types, so that the `risk` and `oms` crates'
//! own unit tests can use it too.

use std::fmt::{self, Write as _};

/// Instruments the fixtures know, as their `[[instruments]]` tables.
const CATALOGUE: &[(&str, &str)] = &[
    (
        "AAPL",
        "sector = \"Technology\"\ntier = \"1\"\ntick = \"0.01\"\n",
    ),
    (
        "MSFT",
        "sector = \"Technology\"\ntier = \"1\"\ntick = \"0.01\"\n",
    ),
    ("XOM", "sector = \"Energy\"\ntick = \"0.01\"\nlot = 100\n"),
    (
        "SPY",
        "sector = \"Index\"\nasset_class = \"etf\"\ntier = \"1\"\ntick = \"0.01\"\n",
    ),
    (
        "AAPL_C200",
        "sector = \"Technology\"\nasset_class = \"option\"\ntick = \"0.01\"\n\
         multiplier = \"100\"\nunderlying = \"AAPL\"\nis_call = true\n",
    ),
    (
        "ESZ6",
        "sector = \"Index\"\nasset_class = \"future\"\ntick = \"0.25\"\n\
         multiplier = \"50\"\nunderlying = \"SPY\"\n",
    ),
    // Routed by the end-to-end gateway but unknown to the venue.
    ("ZZZZ", "sector = \"Unknown\"\ntick = \"0.01\"\n"),
];

#[derive(Debug, Clone)]
struct Account {
    id: String,
    desk: String,
    cash: String,
    limits: Option<String>,
}

/// A risk configuration file under construction; [`Display`](fmt::Display)
/// (or [`to_string`](ToString::to_string)) gives its TOML.
///
/// Accounts are exempt from the pattern-day-trader rule
/// (`pdt_regime = "exempt"`) and have no limits but those given.
#[derive(Debug, Clone, Default)]
pub struct RiskToml {
    top: Vec<String>,
    desks: Vec<String>,
    accounts: Vec<Account>,
    instruments: Vec<&'static str>,
    operators: Vec<(String, Vec<String>)>,
}

impl RiskToml {
    pub fn new() -> RiskToml {
        RiskToml::default()
    }

    /// A top-level key, e.g. `restricted = ["MSFT"]`.
    pub fn top(mut self, line: &str) -> RiskToml {
        self.top.push(line.to_owned());
        self
    }

    /// A desk with no limits of its own.
    pub fn desk(mut self, id: &str) -> RiskToml {
        self.desks.push(id.to_owned());
        self
    }

    /// An account of `desk` holding `cash`, with no limits of its own.
    pub fn account(mut self, id: &str, desk: &str, cash: &str) -> RiskToml {
        self.accounts.push(Account {
            id: id.to_owned(),
            desk: desk.to_owned(),
            cash: cash.to_owned(),
            limits: None,
        });
        self
    }

    /// An account with its own limits: `limits` is the body of its
    /// `[accounts.ID.limits]` table, e.g. `"max_order_qty = 10000"`.
    pub fn account_with_limits(
        mut self,
        id: &str,
        desk: &str,
        cash: &str,
        limits: &str,
    ) -> RiskToml {
        self = self.account(id, desk, cash);
        if let Some(a) = self.accounts.last_mut() {
            a.limits = Some(limits.trim().to_owned());
        }
        self
    }

    /// Instruments of the catalogue (AAPL, MSFT, XOM, SPY, AAPL_C200,
    /// ESZ6, ZZZZ), in this order; panics on a symbol it does not have.
    pub fn instruments(mut self, symbols: &[&str]) -> RiskToml {
        for s in symbols {
            let (sym, _) = CATALOGUE
                .iter()
                .find(|(sym, _)| sym == s)
                .unwrap_or_else(|| panic!("no instrument {s} in the risk fixture catalogue"));
            self.instruments.push(sym);
        }
        self
    }

    /// An operator and their rights (`override`, `kill_switch`, `limits`).
    pub fn operator(mut self, name: &str, rights: &[&str]) -> RiskToml {
        let rights = rights.iter().map(|r| (*r).to_owned()).collect();
        self.operators.push((name.to_owned(), rights));
        self
    }
}

impl fmt::Display for RiskToml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = String::new();
        for line in &self.top {
            writeln!(t, "{line}")?;
        }
        for d in &self.desks {
            writeln!(t, "\n[desks.{d}]")?;
        }
        for a in &self.accounts {
            write!(
                t,
                "\n[accounts.{}]\ndesk = \"{}\"\ncash = \"{}\"\npdt_regime = \"exempt\"\n",
                a.id, a.desk, a.cash
            )?;
            if let Some(limits) = &a.limits {
                writeln!(t, "[accounts.{}.limits]\n{limits}", a.id)?;
            }
        }
        for sym in &self.instruments {
            let (_, body) = CATALOGUE.iter().find(|(s, _)| s == sym).ok_or(fmt::Error)?;
            write!(t, "\n[[instruments]]\nsymbol = \"{sym}\"\n{body}")?;
        }
        if !self.operators.is_empty() {
            writeln!(t, "\n[operators]")?;
            for (name, rights) in &self.operators {
                writeln!(t, "{name} = {rights:?}")?;
            }
        }
        f.write_str(&t)
    }
}

/// Every account and instrument of the end-to-end tests' gateway
/// configuration (the gateway refuses to start on a risk file without
/// them): ACC1 and ACC2 on desk EQ with 10,000,000 cash each, no limits;
/// AAPL, MSFT and ZZZZ. A test that is about ACC1's limits states them
/// with [`gateway_accounts_with`].
pub fn gateway_accounts() -> RiskToml {
    gateway_accounts_with("")
}

/// [`gateway_accounts`] with ACC1's limits given (`""`: none).
pub fn gateway_accounts_with(acc1_limits: &str) -> RiskToml {
    let t = RiskToml::new().desk("EQ");
    let t = if acc1_limits.trim().is_empty() {
        t.account("ACC1", "EQ", "10000000")
    } else {
        t.account_with_limits("ACC1", "EQ", "10000000", acc1_limits)
    };
    t.account("ACC2", "EQ", "10000000")
        .instruments(&["AAPL", "MSFT", "ZZZZ"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_tables_in_order() {
        let t = RiskToml::new()
            .top("restricted = [\"MSFT\"]")
            .desk("EQ")
            .account_with_limits("ACC1", "EQ", "100", "max_order_qty = 10\n")
            .instruments(&["XOM"])
            .operator("alice", &["override", "limits"])
            .to_string();
        assert_eq!(
            t,
            "restricted = [\"MSFT\"]\n\n[desks.EQ]\n\n[accounts.ACC1]\ndesk = \"EQ\"\n\
             cash = \"100\"\npdt_regime = \"exempt\"\n[accounts.ACC1.limits]\n\
             max_order_qty = 10\n\n[[instruments]]\nsymbol = \"XOM\"\nsector = \"Energy\"\n\
             tick = \"0.01\"\nlot = 100\n\n[operators]\nalice = [\"override\", \"limits\"]\n"
        );
    }

    #[test]
    #[should_panic(expected = "no instrument NOPE")]
    fn an_unknown_instrument_is_a_test_bug() {
        let _ = RiskToml::new().instruments(&["NOPE"]);
    }
}
