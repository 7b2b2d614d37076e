//! Clearing: one record per side of every trade, with trade date,
//! settlement date, fees, account and contra, as structs and as CSV
//! (written with the `csv` crate; the columns and format are what the
//! gateway's settlement job and the e2e tests read).
//!
//! Settlement is T+1 business days for US equities and options, skipping
//! weekends and the NYSE holidays of 2026 and 2027 (`domain::calendar`,
//! [`NYSE_HOLIDAYS`]; other years skip weekends only). Futures settle daily: their record
//! carries the daily settlement price and the variation margin against
//! the trade price, and the settlement date is the next business day.
//! Trade dates are New York calendar dates.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::instruments::AssetClass;
use crate::types::{Liquidity, OrderId, Qty, Side, Timestamp, TradeId};

/// The exchange calendar (one for the whole workspace): the NYSE
/// holidays and T+n business days.
pub use domain::calendar::{add_business_days, is_business_day, NYSE_HOLIDAYS};

/// The New York calendar date of a UTC time.
pub fn trade_date(now: Timestamp) -> NaiveDate {
    now.ny_date()
}

/// Settlement date for a trade date and asset class (T+1 for all here;
/// futures use it as the date their variation margin moves).
pub fn settlement_date(trade_date: NaiveDate, _class: AssetClass) -> NaiveDate {
    add_business_days(trade_date, 1)
}

/// Maker/taker fees per unit (share or contract). Negative is a rebate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeSchedule {
    /// Per unit for adding liquidity.
    pub maker: Decimal,
    /// Per unit for removing liquidity.
    pub taker: Decimal,
}

impl Default for FeeSchedule {
    fn default() -> Self {
        // Typical US equity venue: 0.20 mil rebate, 0.30 mil fee per share.
        FeeSchedule {
            maker: Decimal::new(-20, 4),
            taker: Decimal::new(30, 4),
        }
    }
}

impl FeeSchedule {
    /// Fee for a fill, rounded half away from zero to 4 decimals.
    pub fn fee(&self, liquidity: Liquidity, qty: Qty) -> Decimal {
        let rate = match liquidity {
            Liquidity::Added => self.maker,
            Liquidity::Removed => self.taker,
        };
        (rate * Decimal::from(qty))
            .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
    }
}

/// One side of one trade, as recorded when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    /// Match id.
    pub trade_id: TradeId,
    /// Engine time.
    pub timestamp: Timestamp,
    /// Symbol.
    pub symbol: Arc<str>,
    /// Asset class.
    pub asset_class: AssetClass,
    /// Contract multiplier.
    pub multiplier: Decimal,
    /// Currency.
    pub currency: Arc<str>,
    /// Side of this record.
    pub side: Side,
    /// Quantity.
    pub qty: Qty,
    /// Price.
    pub price: Decimal,
    /// Maker or taker.
    pub liquidity: Liquidity,
    /// Account of this side.
    pub account: Arc<str>,
    /// Account of the other side.
    pub contra_account: Arc<str>,
    /// Order of this side.
    pub order_id: OrderId,
    /// Order of the other side.
    pub contra_order_id: OrderId,
}

/// A clearing record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClearingRecord {
    /// Match id.
    pub trade_id: String,
    /// New York trade date.
    pub trade_date: NaiveDate,
    /// Settlement date.
    pub settlement_date: NaiveDate,
    /// Venue CompID.
    pub venue: String,
    /// Symbol.
    pub symbol: String,
    /// Asset class.
    pub asset_class: AssetClass,
    /// BUY or SELL.
    pub side: Side,
    /// Quantity.
    pub qty: Qty,
    /// Price.
    pub price: Decimal,
    /// qty * price * multiplier.
    pub gross_amount: Decimal,
    /// Currency.
    pub currency: String,
    /// Maker or taker.
    pub liquidity: Liquidity,
    /// Fee (negative: rebate).
    pub fee: Decimal,
    /// Account.
    pub account: String,
    /// Contra account.
    pub contra_account: String,
    /// Order id.
    pub order_id: String,
    /// Contra order id.
    pub contra_order_id: String,
    /// Futures: daily settlement price.
    pub settlement_price: Option<Decimal>,
    /// Futures: (settlement - price) * qty * multiplier, signed by side.
    pub variation_margin: Option<Decimal>,
    /// Trade time, UTC nanoseconds.
    pub timestamp: Timestamp,
}

/// The trades of one venue since the last clearing.
#[derive(Debug, Clone, Default)]
pub struct ClearingLedger {
    fills: Vec<Fill>,
    settlement_prices: BTreeMap<String, Decimal>,
}

impl ClearingLedger {
    /// Records one side of a trade.
    pub fn record(&mut self, fill: Fill) {
        self.fills.push(fill);
    }

    /// Number of recorded fills (two per trade).
    pub fn len(&self) -> usize {
        self.fills.len()
    }

    /// True when nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.fills.is_empty()
    }

    /// Sets the daily settlement price of a futures symbol. Without one,
    /// the last trade price of the symbol is used.
    pub fn set_settlement_price(&mut self, symbol: &str, price: Decimal) {
        self.settlement_prices.insert(symbol.to_string(), price);
    }

    /// The clearing records of everything recorded, in trade order, each
    /// trade's buy side first.
    pub fn records(&self, venue: &str, fees: &FeeSchedule) -> Vec<ClearingRecord> {
        let mut last_px: BTreeMap<&str, Decimal> = BTreeMap::new();
        for f in &self.fills {
            last_px.insert(f.symbol.as_ref(), f.price);
        }
        let mut fills: Vec<&Fill> = self.fills.iter().collect();
        fills.sort_by_key(|f| (f.trade_id, f.side != Side::Buy));
        fills
            .into_iter()
            .map(|f| {
                let td = trade_date(f.timestamp);
                let gross = Decimal::from(f.qty) * f.price * f.multiplier;
                let (settlement_price, variation_margin) = if f.asset_class == AssetClass::Future {
                    let sp = self
                        .settlement_prices
                        .get(f.symbol.as_ref())
                        .copied()
                        .or_else(|| last_px.get(f.symbol.as_ref()).copied())
                        .unwrap_or(f.price);
                    let sign = if f.side == Side::Buy {
                        Decimal::ONE
                    } else {
                        Decimal::NEGATIVE_ONE
                    };
                    let vm = (sp - f.price) * Decimal::from(f.qty) * f.multiplier * sign;
                    (Some(sp), Some(vm))
                } else {
                    (None, None)
                };
                ClearingRecord {
                    trade_id: f.trade_id.to_string(),
                    trade_date: td,
                    settlement_date: settlement_date(td, f.asset_class),
                    venue: venue.to_string(),
                    symbol: f.symbol.to_string(),
                    asset_class: f.asset_class,
                    side: f.side,
                    qty: f.qty,
                    price: f.price,
                    gross_amount: gross,
                    currency: f.currency.to_string(),
                    liquidity: f.liquidity,
                    fee: fees.fee(f.liquidity, f.qty),
                    account: f.account.to_string(),
                    contra_account: f.contra_account.to_string(),
                    order_id: f.order_id.to_string(),
                    contra_order_id: f.contra_order_id.to_string(),
                    settlement_price,
                    variation_margin,
                    timestamp: f.timestamp,
                }
            })
            .collect()
    }

    /// Produces the records and forgets the fills (end of day).
    pub fn take_records(&mut self, venue: &str, fees: &FeeSchedule) -> Vec<ClearingRecord> {
        let r = self.records(venue, fees);
        self.fills.clear();
        self.settlement_prices.clear();
        r
    }
}

/// The CSV header line of [`to_csv`].
pub const CSV_HEADER: &str = "trade_id,trade_date,settlement_date,venue,symbol,asset_class,side,qty,price,gross_amount,currency,liquidity,fee,account,contra_account,order_id,contra_order_id,settlement_price,variation_margin,timestamp_ns";

/// Clearing records as CSV (header line first, `\n` line ends; a field
/// is quoted only when it holds a comma, a quote or a line end).
pub fn to_csv(records: &[ClearingRecord]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::with_capacity(64 + records.len() * 200));
    // Writing to a Vec cannot fail; a failure would leave the rows out.
    let _ = write_rows(&mut w, records);
    let bytes = w.into_inner().unwrap_or_default();
    // Every field was written from a `str`: the bytes are UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

fn write_rows<W: std::io::Write>(
    w: &mut csv::Writer<W>,
    records: &[ClearingRecord],
) -> csv::Result<()> {
    w.write_record(CSV_HEADER.split(','))?;
    for r in records {
        let class = r.asset_class.as_str();
        let side = match r.side {
            Side::Buy => "BUY",
            Side::Sell | Side::SellShort => "SELL",
        };
        let liq = match r.liquidity {
            Liquidity::Added => "MAKER",
            Liquidity::Removed => "TAKER",
        };
        let opt = |d: Option<Decimal>| d.map(|d| d.to_string()).unwrap_or_default();
        w.write_record([
            r.trade_id.as_str(),
            &r.trade_date.to_string(),
            &r.settlement_date.to_string(),
            &r.venue,
            &r.symbol,
            class,
            side,
            &r.qty.to_string(),
            &r.price.to_string(),
            &r.gross_amount.to_string(),
            &r.currency,
            liq,
            &r.fee.to_string(),
            &r.account,
            &r.contra_account,
            &r.order_id,
            &r.contra_order_id,
            &opt(r.settlement_price),
            &opt(r.variation_margin),
            &r.timestamp.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn ny_noon(date: NaiveDate) -> Timestamp {
        use chrono::TimeZone;
        use chrono_tz::America::New_York;
        let t = New_York
            .from_local_datetime(&date.and_hms_opt(12, 0, 0).unwrap())
            .single()
            .unwrap();
        Timestamp(t.timestamp() * Timestamp::SECOND)
    }

    #[test]
    fn trade_date_is_new_york_date() {
        // 2026-03-11 02:00 UTC is still March 10 in New York.
        let t = Timestamp::from_utc(2026, 3, 11, 2, 0, 0);
        assert_eq!(trade_date(t), d(2026, 3, 10));
    }

    #[test]
    fn fees_maker_rebate_taker_fee() {
        let f = FeeSchedule::default();
        assert_eq!(f.fee(Liquidity::Added, 100), dec!(-0.20));
        assert_eq!(f.fee(Liquidity::Removed, 100), dec!(0.30));
    }

    fn fill(side: Side, class: AssetClass, px: Decimal, liq: Liquidity, date: NaiveDate) -> Fill {
        Fill {
            trade_id: TradeId(7),
            timestamp: ny_noon(date),
            symbol: if class == AssetClass::Future {
                "ESZ6"
            } else {
                "AAPL"
            }
            .into(),
            asset_class: class,
            multiplier: if class == AssetClass::Future {
                dec!(50)
            } else {
                dec!(1)
            },
            currency: "USD".into(),
            side,
            qty: 10,
            price: px,
            liquidity: liq,
            account: if side == Side::Buy { "ACC1" } else { "ACC2" }.into(),
            contra_account: if side == Side::Buy { "ACC2" } else { "ACC1" }.into(),
            order_id: OrderId::new(0, 1),
            contra_order_id: OrderId::new(0, 2),
        }
    }

    #[test]
    fn records_and_csv() {
        let mut l = ClearingLedger::default();
        let day = d(2026, 4, 2);
        l.record(fill(
            Side::Sell,
            AssetClass::Equity,
            dec!(190.01),
            Liquidity::Added,
            day,
        ));
        l.record(fill(
            Side::Buy,
            AssetClass::Equity,
            dec!(190.01),
            Liquidity::Removed,
            day,
        ));
        let r = l.records("SIMX", &FeeSchedule::default());
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].side, Side::Buy);
        assert_eq!(r[0].trade_date, day);
        assert_eq!(r[0].settlement_date, d(2026, 4, 6));
        assert_eq!(r[0].gross_amount, dec!(1900.10));
        assert_eq!(r[0].fee, dec!(0.03));
        assert_eq!(r[1].fee, dec!(-0.02));
        assert_eq!(r[0].contra_account, "ACC2");
        let csv = to_csv(&r);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], CSV_HEADER);
        assert_eq!(lines.len(), 3);
        assert!(lines[1].starts_with("T0-7,2026-04-02,2026-04-06,SIMX,AAPL,equity,BUY,10,190.01,1900.10,USD,TAKER,0.0300,ACC1,ACC2,O0-1,O0-2,,,"), "{}", lines[1]);
        assert_eq!(lines[1].split(',').count(), CSV_HEADER.split(',').count());
        assert_eq!(l.take_records("SIMX", &FeeSchedule::default()).len(), 2);
        assert!(l.is_empty());
    }

    #[test]
    fn futures_carry_settlement_price_and_variation_margin() {
        let mut l = ClearingLedger::default();
        let day = d(2026, 3, 10);
        l.record(fill(
            Side::Buy,
            AssetClass::Future,
            dec!(5600.00),
            Liquidity::Removed,
            day,
        ));
        l.record(fill(
            Side::Sell,
            AssetClass::Future,
            dec!(5600.00),
            Liquidity::Added,
            day,
        ));
        l.set_settlement_price("ESZ6", dec!(5610.25));
        let r = l.records("SIMX", &FeeSchedule::default());
        assert_eq!(r[0].settlement_price, Some(dec!(5610.25)));
        assert_eq!(r[0].variation_margin, Some(dec!(5125.00)));
        assert_eq!(r[1].variation_margin, Some(dec!(-5125.00)));
        assert!(to_csv(&r)
            .lines()
            .nth(1)
            .unwrap()
            .contains(",5610.25,5125.00,"));
    }

    /// The hand-written writer `to_csv` replaced, kept as the reference
    /// the `csv` crate's output must match byte for byte.
    fn reference_csv(records: &[ClearingRecord]) -> String {
        use std::fmt::Write as _;
        fn field(s: &str) -> String {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        }
        let mut s = String::new();
        s.push_str(CSV_HEADER);
        s.push('\n');
        for r in records {
            let class = match r.asset_class {
                AssetClass::Equity => "equity",
                AssetClass::Etf => "etf",
                AssetClass::Option => "option",
                AssetClass::Future => "future",
            };
            let side = if r.side == Side::Buy { "BUY" } else { "SELL" };
            let liq = match r.liquidity {
                Liquidity::Added => "MAKER",
                Liquidity::Removed => "TAKER",
            };
            let opt = |d: Option<Decimal>| d.map(|d| d.to_string()).unwrap_or_default();
            writeln!(
                s,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                r.trade_id,
                r.trade_date,
                r.settlement_date,
                field(&r.venue),
                field(&r.symbol),
                class,
                side,
                r.qty,
                r.price,
                r.gross_amount,
                r.currency,
                liq,
                r.fee,
                field(&r.account),
                field(&r.contra_account),
                r.order_id,
                r.contra_order_id,
                opt(r.settlement_price),
                opt(r.variation_margin),
                r.timestamp
            )
            .unwrap();
        }
        s
    }

    #[test]
    fn csv_is_byte_identical_to_the_hand_written_format() {
        let mut l = ClearingLedger::default();
        let day = d(2026, 3, 10);
        for (side, class, liq) in [
            (Side::Buy, AssetClass::Future, Liquidity::Removed),
            (Side::Sell, AssetClass::Future, Liquidity::Added),
            (Side::Buy, AssetClass::Option, Liquidity::Added),
            (Side::Sell, AssetClass::Equity, Liquidity::Removed),
        ] {
            let mut f = fill(side, class, dec!(5600.25), liq, day);
            if class == AssetClass::Option {
                f.account = "a,b".into();
                f.contra_account = "say \"hi\"".into();
                f.symbol = "line\nbreak".into();
            }
            l.record(f);
        }
        let r = l.records("SIM,X", &FeeSchedule::default());
        let csv = to_csv(&r);
        assert_eq!(csv, reference_csv(&r));
        assert!(csv.contains(",\"a,b\",\"say \"\"hi\"\"\","), "{csv}");
        assert_eq!(to_csv(&[]), format!("{CSV_HEADER}\n"));
    }
}
