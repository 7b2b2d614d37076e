//! Market state per instrument and for the whole market: prices, trading
//! halts, Limit Up-Limit Down, market-wide circuit breakers and the Rule
//! 201 short-sale restriction.
//!
//! Owns the state machines fed by market data (`on_trade`, `on_quote`,
//! `on_index`, `on_halt`) and the time-driven transitions (a LULD limit
//! state that lasts 15 seconds becomes a 5-minute pause; a Level 1/2
//! circuit-breaker halt ends after 15 minutes). Does not decide about
//! orders; [`crate::RiskEngine`] asks it questions (`halted`, `luld_bands`,
//! `ssr_active`).
//!
//! LULD (Plan, Appendix A): Tier 1 bands are 5% and Tier 2 10% for a
//! reference price above $3.00; 20% from $0.75 to $3.00; the lesser of
//! $0.15 or 75% below $0.75. Bands double 09:30-09:45, and 15:35-16:00 for
//! Tier 1 and for Tier 2 at or below $3.00 (the last 25 minutes on early
//! close days). The reference price is the arithmetic mean of trades over
//! the preceding 5 minutes, replaced only when it moves by 1% or more; the
//! first trade of the day (or the prior close) seeds it.

use std::collections::VecDeque;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::calendar::{self, TradingDay};
use crate::events::RiskEvent;
use crate::types::{LuldTier, Symbol, Timestamp};

/// Why an instrument is halted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HaltReason {
    /// Regulatory or exchange halt reported by the venue / SIP.
    Regulatory,
    /// LULD trading pause (limit state lasted 15 s).
    LuldPause,
    /// Market-wide circuit breaker (level).
    CircuitBreaker(u8),
}

impl fmt::Display for HaltReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HaltReason::Regulatory => f.write_str("regulatory halt"),
            HaltReason::LuldPause => f.write_str("LULD pause"),
            HaltReason::CircuitBreaker(l) => write!(f, "circuit breaker level {l}"),
        }
    }
}

/// Halt / resume notice from a venue or the SIP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HaltNotice {
    /// Trading halted.
    Halted,
    /// Trading resumed.
    Resumed,
}

const LIMIT_STATE_SECS: i64 = 15;
const LULD_PAUSE_SECS: i64 = 5 * 60;
const LULD_WINDOW_SECS: i64 = 5 * 60;
const MWCB_HALT_SECS: i64 = 15 * 60;

/// LULD price bands (lower, upper) for a reference price.
pub fn luld_bands(tier: LuldTier, reference: Decimal, doubled: bool) -> (Decimal, Decimal) {
    let mult = if doubled { dec!(2) } else { dec!(1) };
    let width = if reference > dec!(3.00) {
        let pct = match tier {
            LuldTier::Tier1 => dec!(0.05),
            LuldTier::Tier2 => dec!(0.10),
        };
        reference * pct * mult
    } else if reference >= dec!(0.75) {
        reference * dec!(0.20) * mult
    } else {
        (dec!(0.15) * mult).min(reference * dec!(0.75) * mult)
    };
    let lower = (reference - width).round_dp(2).max(Decimal::ZERO);
    let upper = (reference + width).round_dp(2);
    (lower, upper)
}

/// Whether LULD bands are doubled at `now` for this tier and reference.
pub fn luld_doubled(tier: LuldTier, reference: Decimal, day: &TradingDay, now: Timestamp) -> bool {
    let open_window_end = day.open.plus_secs(15 * 60);
    if now >= day.open && now < open_window_end {
        return true;
    }
    let close_window_start = day.close.plus_secs(-25 * 60);
    let doubles_at_close = tier == LuldTier::Tier1 || reference <= dec!(3.00);
    doubles_at_close && now >= close_window_start && now < day.close
}

/// Per-instrument market state.
#[derive(Clone, Debug, Default)]
pub struct InstrumentMarket {
    /// Last trade price.
    pub last: Option<Decimal>,
    /// National best bid.
    pub bid: Option<Decimal>,
    /// National best offer.
    pub ask: Option<Decimal>,
    /// Prior day's close.
    pub prior_close: Option<Decimal>,
    halt: Option<(HaltReason, Option<Timestamp>)>,
    luld_ref: Option<Decimal>,
    /// Tier the cached bands were computed for.
    tier: LuldTier,
    /// Bands for `luld_ref`: (normal, doubled), computed when it changes.
    bands: Option<[(Decimal, Decimal); 2]>,
    window: VecDeque<(Timestamp, Decimal)>,
    window_sum: Decimal,
    limit_state_since: Option<Timestamp>,
    ssr_through: Option<NaiveDate>,
}

impl InstrumentMarket {
    /// The current LULD reference price.
    pub fn luld_reference(&self) -> Option<Decimal> {
        self.luld_ref
    }

    /// The halt in force at `now`, if any.
    pub fn halted(&self, now: Timestamp) -> Option<HaltReason> {
        match self.halt {
            Some((r, Some(until))) if now < until => Some(r),
            Some((r, None)) => Some(r),
            _ => None,
        }
    }

    /// True if the Rule 201 restriction applies on `date`.
    pub fn ssr_active(&self, date: NaiveDate) -> bool {
        self.ssr_through.is_some_and(|d| date <= d)
    }

    /// Mid of the best bid and offer.
    pub fn mid(&self) -> Option<Decimal> {
        match (self.bid, self.ask) {
            (Some(b), Some(a)) if b > Decimal::ZERO && a >= b => Some((a + b) / dec!(2)),
            _ => None,
        }
    }

    /// LULD bands in force at `now`, if the instrument has a reference and
    /// the regular session is on.
    pub fn luld_bands(
        &self,
        tier: LuldTier,
        day: &TradingDay,
        now: Timestamp,
    ) -> Option<(Decimal, Decimal)> {
        if now < day.open || now >= day.close {
            return None;
        }
        let r = self.luld_ref?;
        let doubled = luld_doubled(tier, r, day, now);
        match self.bands {
            Some(b) if tier == self.tier => Some(b[usize::from(doubled)]),
            _ => Some(luld_bands(tier, r, doubled)),
        }
    }

    /// Set the LULD tier (from the instrument definition).
    pub fn set_tier(&mut self, tier: LuldTier) {
        self.tier = tier;
        self.set_reference(self.luld_ref);
    }

    fn set_reference(&mut self, r: Option<Decimal>) {
        self.luld_ref = r;
        self.bands = r.map(|r| {
            [
                luld_bands(self.tier, r, false),
                luld_bands(self.tier, r, true),
            ]
        });
    }

    /// New day: drop intraday LULD state, keep prices and SSR.
    pub fn start_day(&mut self) {
        self.window.clear();
        self.window_sum = Decimal::ZERO;
        self.set_reference(self.prior_close);
        self.limit_state_since = None;
        if matches!(
            self.halt,
            Some((HaltReason::LuldPause | HaltReason::CircuitBreaker(_), _))
        ) {
            self.halt = None;
        }
    }

    /// A trade printed. Updates last, the LULD reference and Rule 201.
    pub fn on_trade(
        &mut self,
        symbol: Symbol,
        day: &TradingDay,
        now: Timestamp,
        px: Decimal,
        events: &mut VecDeque<RiskEvent>,
    ) {
        self.last = Some(px);
        if let Some(pc) = self.prior_close {
            if day.kind.is_trading() && px <= pc * dec!(0.90) && !self.ssr_active(day.date) {
                self.ssr_through = calendar::next_trading_day(day.date).or(Some(day.date));
                events.push_back(RiskEvent::ShortSaleRestriction {
                    symbol,
                    price: px,
                    prior_close: pc,
                });
            }
        }
        if now >= day.open && now < day.close {
            self.window.push_back((now, px));
            self.window_sum += px;
            let cutoff = Timestamp(now.0 - LULD_WINDOW_SECS * Timestamp::SECOND);
            while let Some(&(t, p)) = self.window.front() {
                if t >= cutoff {
                    break;
                }
                self.window.pop_front();
                self.window_sum -= p;
            }
            let avg = self.window_sum / Decimal::from(self.window.len() as u64);
            match self.luld_ref {
                None => self.set_reference(Some(px)),
                Some(r) => {
                    if r > Decimal::ZERO && ((avg - r).abs() / r) >= dec!(0.01) {
                        self.set_reference(Some(avg.round_dp(4)));
                    }
                }
            }
        }
    }

    /// The national best bid and offer changed. Tracks the LULD limit state.
    #[allow(clippy::too_many_arguments)]
    pub fn on_quote(
        &mut self,
        symbol: Symbol,
        tier: LuldTier,
        day: &TradingDay,
        now: Timestamp,
        bid: Option<Decimal>,
        ask: Option<Decimal>,
        events: &mut VecDeque<RiskEvent>,
    ) {
        self.bid = bid;
        self.ask = ask;
        let Some((lower, upper)) = self.luld_bands(tier, day, now) else {
            self.limit_state_since = None;
            return;
        };
        let at_upper = bid.is_some_and(|b| b >= upper);
        let at_lower = ask.is_some_and(|a| a <= lower);
        if at_upper || at_lower {
            if self.limit_state_since.is_none() {
                self.limit_state_since = Some(now);
                let band = if at_upper { upper } else { lower };
                events.push_back(RiskEvent::LuldLimitState { symbol, band });
            }
        } else {
            self.limit_state_since = None;
        }
        self.on_time(symbol, now, events);
    }

    /// Time passed: a limit state of 15 s becomes a pause; pauses end.
    pub fn on_time(&mut self, symbol: Symbol, now: Timestamp, events: &mut VecDeque<RiskEvent>) {
        if let Some(since) = self.limit_state_since {
            if now.0 - since.0 >= LIMIT_STATE_SECS * Timestamp::SECOND && self.halted(now).is_none()
            {
                let until = since.plus_secs(LIMIT_STATE_SECS + LULD_PAUSE_SECS);
                self.halt = Some((HaltReason::LuldPause, Some(until)));
                self.limit_state_since = None;
                events.push_back(RiskEvent::Halted {
                    symbol,
                    reason: HaltReason::LuldPause,
                    until: Some(until),
                });
            }
        }
        if let Some((_, Some(until))) = self.halt {
            if now >= until {
                self.halt = None;
                // Trading reopens by auction; the reference restarts from it.
                self.window.clear();
                self.window_sum = Decimal::ZERO;
                self.set_reference(None);
                events.push_back(RiskEvent::Resumed { symbol });
            }
        }
    }

    /// A venue / SIP halt or resume notice.
    pub fn on_halt(
        &mut self,
        symbol: Symbol,
        notice: HaltNotice,
        events: &mut VecDeque<RiskEvent>,
    ) {
        match notice {
            HaltNotice::Halted => {
                self.halt = Some((HaltReason::Regulatory, None));
                events.push_back(RiskEvent::Halted {
                    symbol,
                    reason: HaltReason::Regulatory,
                    until: None,
                });
            }
            HaltNotice::Resumed => {
                if self.halt.is_some() {
                    self.halt = None;
                    events.push_back(RiskEvent::Resumed { symbol });
                }
            }
        }
    }
}

/// Market-wide circuit breaker state (S&P 500 against its prior close).
#[derive(Clone, Debug, Default)]
pub struct MarketWide {
    /// S&P 500 prior close.
    pub index_prior_close: Option<Decimal>,
    date: Option<NaiveDate>,
    triggered: [bool; 3],
    halt: Option<(u8, Decimal, Timestamp)>,
}

impl MarketWide {
    /// The circuit-breaker halt in force at `now`: (level, decline %).
    pub fn halted(&self, now: Timestamp) -> Option<(u8, Decimal)> {
        self.halt.filter(|h| now < h.2).map(|h| (h.0, h.1))
    }

    /// An S&P 500 index value at `now`.
    pub fn on_index(
        &mut self,
        day: &TradingDay,
        now: Timestamp,
        value: Decimal,
        events: &mut VecDeque<RiskEvent>,
    ) {
        if self.date != Some(day.date) {
            self.date = Some(day.date);
            self.triggered = [false; 3];
            self.halt = None;
        }
        let Some(pc) = self.index_prior_close.filter(|p| *p > Decimal::ZERO) else {
            return;
        };
        if now < day.open || now >= day.close {
            return;
        }
        let decline = (pc - value) / pc * dec!(100);
        let level = if decline >= dec!(20) {
            3
        } else if decline >= dec!(13) {
            2
        } else if decline >= dec!(7) {
            1
        } else {
            return;
        };
        if self.triggered[level - 1] {
            return;
        }
        for t in &mut self.triggered[..level] {
            *t = true;
        }
        let until = if level == 3 {
            Some(day.end)
        } else if now < day.close.plus_secs(-35 * 60) {
            // Levels 1 and 2 halt for 15 minutes only before 15:25 (35
            // minutes before the close on early-close days).
            Some(now.plus_secs(MWCB_HALT_SECS))
        } else {
            None
        };
        if let Some(u) = until {
            self.halt = Some((level as u8, decline, u));
        }
        events.push_back(RiskEvent::CircuitBreaker {
            level: level as u8,
            decline_pct: decline,
            until,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::ny_to_utc;
    use chrono::NaiveTime;

    fn day() -> TradingDay {
        TradingDay::of(NaiveDate::from_ymd_opt(2026, 3, 10).unwrap())
    }
    fn at(h: u32, m: u32, s: u32) -> Timestamp {
        ny_to_utc(day().date, NaiveTime::from_hms_opt(h, m, s).unwrap())
    }
    fn sym() -> Symbol {
        Symbol::new("XYZ").unwrap()
    }

    #[test]
    fn luld_band_percentages_by_tier_and_price() {
        assert_eq!(
            luld_bands(LuldTier::Tier1, dec!(100), false),
            (dec!(95), dec!(105))
        );
        assert_eq!(
            luld_bands(LuldTier::Tier2, dec!(100), false),
            (dec!(90), dec!(110))
        );
        assert_eq!(
            luld_bands(LuldTier::Tier1, dec!(100), true),
            (dec!(90), dec!(110))
        );
        // Just above and at $3.00.
        assert_eq!(
            luld_bands(LuldTier::Tier1, dec!(3.01), false),
            (dec!(2.86), dec!(3.16))
        );
        assert_eq!(
            luld_bands(LuldTier::Tier1, dec!(3.00), false),
            (dec!(2.40), dec!(3.60))
        );
        assert_eq!(
            luld_bands(LuldTier::Tier2, dec!(0.75), false),
            (dec!(0.60), dec!(0.90))
        );
        // Below $0.75: lesser of $0.15 or 75%.
        assert_eq!(
            luld_bands(LuldTier::Tier2, dec!(0.50), false),
            (dec!(0.35), dec!(0.65))
        );
        assert_eq!(
            luld_bands(LuldTier::Tier2, dec!(0.10), false),
            (dec!(0.02), dec!(0.18))
        );
    }

    #[test]
    fn luld_doubling_windows() {
        let d = day();
        assert!(luld_doubled(LuldTier::Tier2, dec!(50), &d, at(9, 30, 0)));
        assert!(luld_doubled(LuldTier::Tier2, dec!(50), &d, at(9, 44, 59)));
        assert!(!luld_doubled(LuldTier::Tier2, dec!(50), &d, at(9, 45, 0)));
        assert!(luld_doubled(LuldTier::Tier1, dec!(50), &d, at(15, 35, 0)));
        assert!(!luld_doubled(LuldTier::Tier1, dec!(50), &d, at(15, 34, 59)));
        assert!(!luld_doubled(LuldTier::Tier2, dec!(50), &d, at(15, 40, 0)));
        assert!(luld_doubled(LuldTier::Tier2, dec!(3.00), &d, at(15, 40, 0)));
        let early = TradingDay::of(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        let t = ny_to_utc(early.date, NaiveTime::from_hms_opt(12, 40, 0).unwrap());
        assert!(luld_doubled(LuldTier::Tier1, dec!(50), &early, t));
    }

    #[test]
    fn reference_is_five_minute_average_moving_on_one_percent() {
        let mut m = InstrumentMarket::default();
        let mut ev = VecDeque::new();
        let d = day();
        m.on_trade(sym(), &d, at(10, 0, 0), dec!(100), &mut ev);
        assert_eq!(m.luld_reference(), Some(dec!(100)));
        // Average 100.5: under 1%, reference unchanged.
        m.on_trade(sym(), &d, at(10, 1, 0), dec!(101), &mut ev);
        assert_eq!(m.luld_reference(), Some(dec!(100)));
        // Average (100+101+102)/3 = 101: exactly 1%, reference moves.
        m.on_trade(sym(), &d, at(10, 2, 0), dec!(102), &mut ev);
        assert_eq!(m.luld_reference(), Some(dec!(101)));
        // Six minutes later only the new trade is in the window.
        m.on_trade(sym(), &d, at(10, 8, 0), dec!(110), &mut ev);
        assert_eq!(m.luld_reference(), Some(dec!(110)));
    }

    #[test]
    fn limit_state_for_fifteen_seconds_becomes_a_five_minute_pause() {
        let mut m = InstrumentMarket::default();
        let mut ev = VecDeque::new();
        let d = day();
        m.on_trade(sym(), &d, at(11, 0, 0), dec!(100), &mut ev);
        // Tier 2, bands 90/110. Bid at the upper band: limit state.
        m.on_quote(
            sym(),
            LuldTier::Tier2,
            &d,
            at(11, 0, 1),
            Some(dec!(110)),
            None,
            &mut ev,
        );
        assert!(
            matches!(ev.pop_back(), Some(RiskEvent::LuldLimitState { band, .. }) if band == dec!(110))
        );
        m.on_time(sym(), at(11, 0, 15), &mut ev);
        assert_eq!(m.halted(at(11, 0, 15)), None, "14 s is not yet a pause");
        m.on_time(sym(), at(11, 0, 16), &mut ev);
        assert_eq!(m.halted(at(11, 0, 16)), Some(HaltReason::LuldPause));
        assert_eq!(m.halted(at(11, 5, 15)), Some(HaltReason::LuldPause));
        m.on_time(sym(), at(11, 5, 16), &mut ev);
        assert_eq!(m.halted(at(11, 5, 16)), None);
        assert!(matches!(ev.pop_back(), Some(RiskEvent::Resumed { .. })));
    }

    #[test]
    fn leaving_the_limit_state_in_time_avoids_the_pause() {
        let mut m = InstrumentMarket::default();
        let mut ev = VecDeque::new();
        let d = day();
        m.on_trade(sym(), &d, at(11, 0, 0), dec!(100), &mut ev);
        m.on_quote(
            sym(),
            LuldTier::Tier2,
            &d,
            at(11, 0, 1),
            None,
            Some(dec!(90)),
            &mut ev,
        );
        m.on_quote(
            sym(),
            LuldTier::Tier2,
            &d,
            at(11, 0, 10),
            Some(dec!(95)),
            Some(dec!(95.1)),
            &mut ev,
        );
        m.on_time(sym(), at(11, 0, 30), &mut ev);
        assert_eq!(m.halted(at(11, 0, 30)), None);
    }

    #[test]
    fn rule_201_at_just_under_and_over_ten_percent() {
        let d = day();
        let mut ev = VecDeque::new();
        let mut m = InstrumentMarket {
            prior_close: Some(dec!(50)),
            ..Default::default()
        };
        m.on_trade(sym(), &d, at(10, 0, 0), dec!(45.01), &mut ev);
        assert!(!m.ssr_active(d.date));
        m.on_trade(sym(), &d, at(10, 0, 1), dec!(45.00), &mut ev);
        assert!(m.ssr_active(d.date));
        let next = calendar::next_trading_day(d.date).unwrap();
        assert!(m.ssr_active(next), "the next day too");
        assert!(!m.ssr_active(calendar::next_trading_day(next).unwrap()));
        assert_eq!(ev.len(), 1);
    }

    #[test]
    fn circuit_breakers_levels_and_the_1525_rule() {
        let d = day();
        let mut ev = VecDeque::new();
        let mut mw = MarketWide {
            index_prior_close: Some(dec!(5000)),
            ..Default::default()
        };
        // 6.99%: nothing.
        mw.on_index(&d, at(10, 0, 0), dec!(4650.5), &mut ev);
        assert!(ev.is_empty());
        // 7%: level 1, 15 minutes.
        mw.on_index(&d, at(10, 0, 1), dec!(4650), &mut ev);
        assert_eq!(mw.halted(at(10, 0, 2)).map(|h| h.0), Some(1));
        assert_eq!(mw.halted(at(10, 15, 1)), None);
        // Level 1 does not trigger twice.
        mw.on_index(&d, at(10, 20, 0), dec!(4600), &mut ev);
        assert_eq!(ev.len(), 1);
        // Level 2 after 15:25: no halt, but an event.
        mw.on_index(&d, at(15, 26, 0), dec!(4350), &mut ev);
        assert_eq!(mw.halted(at(15, 26, 1)), None);
        assert!(matches!(
            ev.back(),
            Some(RiskEvent::CircuitBreaker {
                level: 2,
                until: None,
                ..
            })
        ));
        // Level 3: rest of the day, even after 15:25.
        mw.on_index(&d, at(15, 30, 0), dec!(4000), &mut ev);
        assert_eq!(mw.halted(at(15, 59, 0)).map(|h| h.0), Some(3));
    }

    #[test]
    fn early_close_days_move_the_1525_rule_to_1225() {
        let d = TradingDay::of(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        let at = |h, m| ny_to_utc(d.date, NaiveTime::from_hms_opt(h, m, 0).unwrap());
        let mut ev = VecDeque::new();
        let mut mw = MarketWide {
            index_prior_close: Some(dec!(5000)),
            ..Default::default()
        };
        mw.on_index(&d, at(12, 25), dec!(4650), &mut ev);
        assert_eq!(
            mw.halted(at(12, 26)),
            None,
            "level 1 at 12:25 on a 13:00 close: no halt"
        );
        let mut mw = MarketWide {
            index_prior_close: Some(dec!(5000)),
            ..Default::default()
        };
        mw.on_index(&d, at(12, 24), dec!(4650), &mut ev);
        assert_eq!(mw.halted(at(12, 25)).map(|h| h.0), Some(1));
        // Outside the regular session nothing triggers.
        let mut mw = MarketWide {
            index_prior_close: Some(dec!(5000)),
            ..Default::default()
        };
        mw.on_index(&d, at(13, 5), dec!(3000), &mut ev);
        assert_eq!(mw.halted(at(13, 6)), None);
    }

    #[test]
    fn level_2_before_1525_halts_fifteen_minutes() {
        let d = day();
        let mut ev = VecDeque::new();
        let mut mw = MarketWide {
            index_prior_close: Some(dec!(5000)),
            ..Default::default()
        };
        mw.on_index(&d, at(15, 24, 0), dec!(4350), &mut ev);
        assert_eq!(mw.halted(at(15, 38, 59)).map(|h| h.0), Some(2));
        assert_eq!(mw.halted(at(15, 39, 0)), None);
    }
}
