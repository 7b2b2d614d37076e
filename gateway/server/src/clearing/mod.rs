//! Where the venues' clearing records come from, and how they are read.
//!
//! Owns the [`ClearingSource`] seam the settlement job reads through
//! (`runtime::settlement` owns what is done with the records), the
//! sources a config can name ([`http::HttpSource`] for `clearing_url`,
//! [`DirSource`] for `clearing_dir`; the demo adds its in-process sim
//! venues), and the CSV format of the records ([`parse_csv`]). A leaf
//! module: it knows neither the config nor the runtime, so both may use
//! it.

pub mod http;

use async_trait::async_trait;
use chrono::NaiveDate;
use oms::events::ClearingRecord;
use oms::{OrderId, Px, Qty, Side, Symbol, VenueId};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// One document of clearing records (CSV with a header line), and where
/// it came from (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearingFile {
    pub name: String,
    pub text: String,
}

/// Why a source gave no records.
#[derive(Debug, thiserror::Error)]
pub enum ClearingError {
    /// A directory or file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The HTTP request failed, or was answered with another status
    /// than 200.
    #[error(transparent)]
    Http(#[from] http::HttpError),
    /// The source is gone (an in-process venue that has stopped) or
    /// refused the request.
    #[error("{source_name}: {reason}")]
    Unavailable { source_name: String, reason: String },
}

/// A place a venue's clearing records are read from. The settlement job
/// reads every source of a venue at each run (all or nothing).
#[async_trait]
pub trait ClearingSource: Send + Sync + std::fmt::Debug {
    /// Every document the source has now.
    async fn fetch(&self) -> Result<Vec<ClearingFile>, ClearingError>;
}

/// A directory where the venue drops clearing CSV files: every `*.csv`
/// in it, in name order.
#[derive(Debug, Clone)]
pub struct DirSource {
    pub dir: PathBuf,
}

#[async_trait]
impl ClearingSource for DirSource {
    async fn fetch(&self) -> Result<Vec<ClearingFile>, ClearingError> {
        let read_err = |path: &Path| {
            let path = path.to_owned();
            move |source| ClearingError::Read { path, source }
        };
        let mut names = Vec::new();
        let mut rd = tokio::fs::read_dir(&self.dir)
            .await
            .map_err(read_err(&self.dir))?;
        while let Some(e) = rd.next_entry().await.map_err(read_err(&self.dir))? {
            let p = e.path();
            if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")) {
                names.push(p);
            }
        }
        names.sort();
        let mut out = Vec::new();
        for p in names {
            let text = tokio::fs::read_to_string(&p).await.map_err(read_err(&p))?;
            out.push(ClearingFile {
                name: p.display().to_string(),
                text,
            });
        }
        Ok(out)
    }
}

/// Why a clearing CSV document cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// A column the records need is not in the header line.
    #[error("no column {0:?} in the header")]
    MissingColumn(&'static str),
    /// A row with a value that is not what its column holds.
    #[error("line {line}: {reason}")]
    BadRow { line: u64, reason: String },
    /// Not CSV (for example a quoted field that never ends).
    #[error("line {line}: {reason}")]
    Malformed { line: u64, reason: String },
}

/// Clearing records of `account` (or `account|...`) from CSV text with a
/// header line naming the columns (sim-venue's clearing format:
/// `trade_id, settlement_date, venue, symbol, side, qty, price, account,
/// order_id` among others; `venue` and `account` may be absent, then
/// every row is the venue's and ours). Rows of another venue, and empty
/// rows, are left out; fields are trimmed.
pub fn parse_csv(
    text: &str,
    venue: &VenueId,
    account: &str,
) -> Result<Vec<ClearingRecord>, CsvError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let malformed = |e: csv::Error| CsvError::Malformed {
        line: e.position().map_or(0, |p| p.line()),
        reason: e.to_string(),
    };
    let header = rdr.headers().map_err(malformed)?.clone();
    if header.iter().all(str::is_empty) {
        return Ok(Vec::new());
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let need = |name: &'static str| col(name).ok_or(CsvError::MissingColumn(name));
    let (tid, sd, sym, side, qty, px, oid) = (
        need("trade_id")?,
        need("settlement_date")?,
        need("symbol")?,
        need("side")?,
        need("qty")?,
        need("price")?,
        need("order_id")?,
    );
    let (vcol, acol) = (col("venue"), col("account"));
    let ours =
        |a: &str| a == account || a.strip_prefix(account).is_some_and(|r| r.starts_with('|'));
    let mut out = Vec::new();
    for row in rdr.records() {
        let r = row.map_err(malformed)?;
        if r.iter().all(str::is_empty) {
            continue;
        }
        let line = r.position().map_or(0, |p| p.line());
        let f = |i: usize| r.get(i).unwrap_or("");
        let bad = |reason: String| CsvError::BadRow { line, reason };
        if vcol.is_some_and(|c| f(c) != venue.as_str()) {
            continue;
        }
        if acol.is_some_and(|c| !ours(f(c))) {
            continue;
        }
        let side = match f(side).to_ascii_uppercase().as_str() {
            "BUY" | "B" | "1" => Side::Buy,
            "SELL" | "S" | "2" | "5" | "SELL_SHORT" | "SHORT" => Side::Sell,
            s => return Err(bad(format!("side {s:?} is not BUY or SELL"))),
        };
        let qty: u64 = f(qty)
            .parse()
            .map_err(|_| bad(format!("qty {:?} is not a whole number", f(qty))))?;
        let price = Decimal::from_str(f(px))
            .map_err(|_| bad(format!("price {:?} is not a number", f(px))))?;
        let settlement_date = NaiveDate::from_str(f(sd))
            .map_err(|_| bad(format!("settlement_date {:?} is not YYYY-MM-DD", f(sd))))?;
        if f(tid).is_empty() {
            return Err(bad("trade_id is empty".to_owned()));
        }
        out.push(ClearingRecord {
            venue: venue.clone(),
            trade_id: f(tid).to_owned(),
            venue_order_id: OrderId::new(f(oid)),
            symbol: Symbol::new(f(sym)),
            side,
            qty: Qty(qty),
            price: Px(price),
            settlement_date,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "trade_id,trade_date,settlement_date,venue,symbol,asset_class,side,qty,price,gross_amount,currency,liquidity,fee,account,contra_account,order_id,contra_order_id,settlement_price,variation_margin,timestamp_ns\n\
T0-7,2026-03-04,2026-03-05,SIMX,AAPL,equity,BUY,100,190.01,19001.00,USD,TAKER,0.0300,GATEWAY|ACC1,SIM-LP,O0-1,O0-2,,,1\n\
T0-7,2026-03-04,2026-03-05,SIMX,AAPL,equity,SELL,100,190.01,19001.00,USD,MAKER,-0.0200,SIM-LP,GATEWAY|ACC1,O0-2,O0-1,,,1\n\
T0-8,2026-03-04,2026-03-05,SIMX,AAPL,equity,SELL,5,190.02,950.10,USD,MAKER,0,\"GATEWAY2|A,B\",X,O0-3,O0-4,,,2\n\
T0-9,2026-03-04,2026-03-05,SIMY,AAPL,equity,SELL,5,190.02,950.10,USD,MAKER,0,GATEWAY|ACC1,X,O0-5,O0-6,,,2\n";

    #[test]
    fn our_records_of_this_venue_from_sim_venue_csv() {
        let v = VenueId::from("SIMX");
        let r = parse_csv(CSV, &v, "GATEWAY").unwrap();
        assert_eq!(
            r,
            vec![ClearingRecord {
                venue: v.clone(),
                trade_id: "T0-7".into(),
                venue_order_id: OrderId::from("O0-1"),
                symbol: Symbol::from("AAPL"),
                side: Side::Buy,
                qty: Qty(100),
                price: Px("190.01".parse().unwrap()),
                settlement_date: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
            }]
        );
        // A quoted account with a comma; another member's prefix.
        let r = parse_csv(CSV, &v, "GATEWAY2").unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].trade_id.as_str(), r[0].side), ("T0-8", Side::Sell));
        assert!(parse_csv("", &v, "GATEWAY").unwrap().is_empty());
        // CRLF line ends, blank lines and padded fields.
        let crlf = "trade_id , settlement_date,symbol,side,qty,price,order_id\r\n\r\n\
                    T1, 2026-03-05 ,AAPL,buy,100,190,O1\r\n,,,,,,\r\n";
        let r = parse_csv(crlf, &v, "G").unwrap();
        assert_eq!((r.len(), r[0].trade_id.as_str()), (1, "T1"));
    }

    #[test]
    fn bad_rows_say_where_and_why() {
        let v = VenueId::from("SIMX");
        let e = parse_csv("trade_id,symbol\nT1,AAPL\n", &v, "G").unwrap_err();
        assert_eq!(e, CsvError::MissingColumn("settlement_date"));
        assert!(e.to_string().contains("settlement_date"), "{e}");
        let text = "trade_id,settlement_date,symbol,side,qty,price,order_id\n\
                    T1,2026-03-05,AAPL,BUY,100,190,O1\n\
                    T2,2026-03-05,AAPL,BUY,1.5,190,O2\n";
        let e = parse_csv(text, &v, "G").unwrap_err();
        assert_eq!(e.to_string(), "line 3: qty \"1.5\" is not a whole number");
        // No venue or account columns: every row is ours.
        let r = parse_csv(&text.replace(",1.5,", ",2,"), &v, "G").unwrap();
        assert_eq!(r.len(), 2);
    }

    #[tokio::test]
    async fn a_directory_gives_its_csv_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.csv"), "2").unwrap();
        std::fs::write(dir.path().join("a.CSV"), "1").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        let files = DirSource {
            dir: dir.path().to_owned(),
        }
        .fetch()
        .await
        .unwrap();
        let texts: Vec<&str> = files.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(texts, ["1", "2"]);
        let e = DirSource {
            dir: dir.path().join("missing"),
        }
        .fetch()
        .await
        .unwrap_err();
        assert!(e.to_string().contains("missing"), "{e}");
    }
}
