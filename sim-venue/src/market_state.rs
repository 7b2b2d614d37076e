//! Market state of one venue, as pure data changed by method calls:
//! trading session status, per-instrument halts and resumptions,
//! LULD-style price bands, market-wide circuit breakers, and the fault
//! injection switches (reject everything, delay or stop market data, drop
//! sessions). Every change is queued as a [`StateEvent`] so the FIX layer
//! can publish TradingSessionStatus (35=h) and SecurityStatus (35=f).
//!
//! It decides whether an order may enter ([`MarketState::admit`]) and what
//! price limits a book has; it does not touch books itself (the venue
//! applies the limits).

use std::collections::VecDeque;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::types::{Duration, Ticks, Timestamp};

/// Trading session status (FIX TradSesStatus 340).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionStatus {
    /// Before the open: orders are rejected (no opening auction here).
    PreOpen,
    /// Continuous trading.
    Open,
    /// After the close: orders are rejected.
    Closed,
}

impl SessionStatus {
    /// FIX TradSesStatus value: 4 pre-open, 2 open, 3 closed.
    pub fn fix_code(self) -> u32 {
        match self {
            SessionStatus::PreOpen => 4,
            SessionStatus::Open => 2,
            SessionStatus::Closed => 3,
        }
    }
}

/// Why an instrument is halted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HaltReason {
    /// Operator or scenario halt, with free text.
    Operator(String),
    /// Market-wide circuit breaker of this level.
    CircuitBreaker(u8),
}

/// Trading status of one instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstrumentStatus {
    /// Trading normally.
    Trading,
    /// Halted.
    Halted(HaltReason),
}

/// A price band: trades and new limit orders must stay within
/// `reference * (1 ± pct/100)`, rounded inward to whole ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    /// Reference price in ticks.
    pub reference: Ticks,
    /// Half-width in percent.
    pub pct: Decimal,
}

impl Band {
    /// Lower and upper limits in ticks (inclusive).
    pub fn limits(&self) -> (Ticks, Ticks) {
        let r = Decimal::from(self.reference);
        let Some(w) = r
            .checked_mul(self.pct)
            .and_then(|x| x.checked_div(Decimal::ONE_HUNDRED))
        else {
            return (1, MAX_TICKS);
        };
        let lo = r
            .checked_sub(w)
            .and_then(|x| x.ceil().to_i64())
            .unwrap_or(1)
            .max(1);
        let hi = r
            .checked_add(w)
            .and_then(|x| x.floor().to_i64())
            .unwrap_or(MAX_TICKS)
            .min(MAX_TICKS);
        (lo, hi.max(lo))
    }
}

/// Highest band limit, far above any real price and far from overflow.
pub const MAX_TICKS: Ticks = 1 << 50;

/// What changed, for the FIX layer to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateEvent {
    /// The session status changed (35=h).
    Session(SessionStatus),
    /// An instrument was halted (35=f, SecurityTradingStatus 2).
    Halted {
        /// Instrument index.
        instrument: u16,
        /// Why.
        reason: HaltReason,
    },
    /// An instrument resumed (35=f, SecurityTradingStatus 17).
    Resumed {
        /// Instrument index.
        instrument: u16,
    },
    /// A band changed.
    BandChanged {
        /// Instrument index.
        instrument: u16,
        /// Lower limit in ticks.
        lo: Ticks,
        /// Upper limit in ticks.
        hi: Ticks,
    },
    /// A market-wide circuit breaker fired.
    CircuitBreaker {
        /// Level 1, 2 or 3.
        level: u8,
        /// When trading resumes (`None`: closed for the day).
        until: Option<Timestamp>,
    },
    /// Fault injection: the FIX layer should drop this session (or all
    /// sessions when `None`).
    DropSession(Option<String>),
}

/// Why an order may not enter now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmitError {
    /// Session not open.
    #[error("trading session is {0:?}")]
    SessionNotOpen(SessionStatus),
    /// Instrument halted.
    #[error("instrument halted: {0:?}")]
    Halted(HaltReason),
    /// The operator switched on "reject everything".
    #[error("venue rejects all orders: {0}")]
    RejectAll(String),
}

/// Market-wide circuit breaker halt durations (US rules: 15 minutes for
/// levels 1 and 2, rest of day for level 3).
pub const CIRCUIT_BREAKER_HALT: Duration = Duration::from_secs(15 * 60);

/// Market decline thresholds of the three circuit breaker levels, percent.
pub const CIRCUIT_BREAKER_LEVELS_PCT: [u32; 3] = [7, 13, 20];

/// Market state of one venue.
#[derive(Debug, Clone)]
pub struct MarketState {
    session: SessionStatus,
    status: Vec<InstrumentStatus>,
    bands: Vec<Option<Band>>,
    circuit_breaker: Option<(u8, Option<Timestamp>)>,
    reject_all: Option<String>,
    md_delay: Duration,
    md_stopped: bool,
    events: VecDeque<StateEvent>,
}

impl MarketState {
    /// State for `n` instruments, session pre-open, everything trading, no
    /// bands.
    pub fn new(n: usize) -> Self {
        MarketState {
            session: SessionStatus::PreOpen,
            status: vec![InstrumentStatus::Trading; n],
            bands: vec![None; n],
            circuit_breaker: None,
            reject_all: None,
            md_delay: Duration::ZERO,
            md_stopped: false,
            events: VecDeque::new(),
        }
    }

    // ----- getters -----

    /// Session status.
    pub fn session(&self) -> SessionStatus {
        self.session
    }
    /// Status of one instrument (circuit breaker halts included).
    pub fn instrument_status(&self, i: u16) -> InstrumentStatus {
        if let Some((level, _)) = self.circuit_breaker {
            return InstrumentStatus::Halted(HaltReason::CircuitBreaker(level));
        }
        self.status
            .get(usize::from(i))
            .cloned()
            .unwrap_or(InstrumentStatus::Trading)
    }
    /// Band of one instrument.
    pub fn band(&self, i: u16) -> Option<Band> {
        self.bands.get(usize::from(i)).copied().flatten()
    }
    /// Active circuit breaker level and its end.
    pub fn circuit_breaker(&self) -> Option<(u8, Option<Timestamp>)> {
        self.circuit_breaker
    }
    /// Market data delay.
    pub fn market_data_delay(&self) -> Duration {
        self.md_delay
    }
    /// True when market data is stopped.
    pub fn market_data_stopped(&self) -> bool {
        self.md_stopped
    }
    /// The "reject everything" text, when on.
    pub fn reject_all(&self) -> Option<&str> {
        self.reject_all.as_deref()
    }

    /// May a new order or a replace for instrument `i` enter now?
    pub fn admit(&self, i: u16) -> Result<(), AdmitError> {
        if let Some(t) = &self.reject_all {
            return Err(AdmitError::RejectAll(t.clone()));
        }
        if self.session != SessionStatus::Open {
            return Err(AdmitError::SessionNotOpen(self.session));
        }
        match self.instrument_status(i) {
            InstrumentStatus::Trading => Ok(()),
            InstrumentStatus::Halted(r) => Err(AdmitError::Halted(r)),
        }
    }

    // ----- mutators -----

    /// Changes the session status.
    pub fn set_session(&mut self, s: SessionStatus) {
        if s != self.session {
            self.session = s;
            self.events.push_back(StateEvent::Session(s));
        }
    }

    /// Halts one instrument.
    pub fn halt(&mut self, i: u16, reason: &str) {
        if let Some(st) = self.status.get_mut(usize::from(i)) {
            let reason = HaltReason::Operator(reason.to_string());
            *st = InstrumentStatus::Halted(reason.clone());
            self.events.push_back(StateEvent::Halted {
                instrument: i,
                reason,
            });
        }
    }

    /// Resumes one instrument.
    pub fn resume(&mut self, i: u16) {
        if let Some(st) = self.status.get_mut(usize::from(i)) {
            if *st != InstrumentStatus::Trading {
                *st = InstrumentStatus::Trading;
                self.events.push_back(StateEvent::Resumed { instrument: i });
            }
        }
    }

    /// Sets (or clears) the band of one instrument.
    pub fn set_band(&mut self, i: u16, band: Option<Band>) {
        if let Some(b) = self.bands.get_mut(usize::from(i)) {
            *b = band;
            if let Some(band) = band {
                let (lo, hi) = band.limits();
                self.events.push_back(StateEvent::BandChanged {
                    instrument: i,
                    lo,
                    hi,
                });
            }
        }
    }

    /// Moves the reference price of a band, keeping its width. Emits an
    /// event only when the limits change.
    pub fn move_band_reference(&mut self, i: u16, reference: Ticks) {
        if let Some(Some(b)) = self.bands.get(usize::from(i)) {
            let old = b.limits();
            let nb = Band {
                reference,
                pct: b.pct,
            };
            self.bands[usize::from(i)] = Some(nb);
            let (lo, hi) = nb.limits();
            if (lo, hi) != old {
                self.events.push_back(StateEvent::BandChanged {
                    instrument: i,
                    lo,
                    hi,
                });
            }
        }
    }

    /// Fires a market-wide circuit breaker: every instrument halts, for 15
    /// minutes (levels 1, 2) or the rest of the day (level 3, which also
    /// closes the session). Levels other than 1..=3 are ignored.
    pub fn trigger_circuit_breaker(&mut self, level: u8, now: Timestamp) {
        if !(1..=3).contains(&level) {
            return;
        }
        let until = (level < 3).then_some(now.saturating_add(CIRCUIT_BREAKER_HALT));
        self.circuit_breaker = Some((level, until));
        self.events
            .push_back(StateEvent::CircuitBreaker { level, until });
        if level == 3 {
            self.set_session(SessionStatus::Closed);
        }
    }

    /// Which circuit breaker level a market decline (percent, positive for
    /// a fall) reaches, if any.
    pub fn circuit_breaker_level_for(decline_pct: Decimal) -> Option<u8> {
        CIRCUIT_BREAKER_LEVELS_PCT
            .iter()
            .rposition(|&l| decline_pct >= Decimal::from(l))
            .map(|p| p as u8 + 1)
    }

    /// Ends a circuit breaker halt now.
    pub fn clear_circuit_breaker(&mut self) {
        if self.circuit_breaker.take().is_some() {
            for i in 0..self.status.len() {
                if self.status[i] == InstrumentStatus::Trading {
                    self.events.push_back(StateEvent::Resumed {
                        instrument: i as u16,
                    });
                }
            }
        }
    }

    /// Time passes: a timed circuit breaker halt ends.
    pub fn on_time(&mut self, now: Timestamp) {
        if let Some((_, Some(until))) = self.circuit_breaker {
            if now >= until {
                self.clear_circuit_breaker();
            }
        }
    }

    /// Switches "reject everything" on (with a text) or off.
    pub fn set_reject_all(&mut self, text: Option<String>) {
        self.reject_all = text;
    }

    /// Delays market data by `delay` (zero: none).
    pub fn set_market_data_delay(&mut self, delay: Duration) {
        self.md_delay = delay;
    }

    /// Stops or restarts market data.
    pub fn set_market_data_stopped(&mut self, stopped: bool) {
        self.md_stopped = stopped;
    }

    /// Asks the FIX layer to drop one session (or all).
    pub fn drop_session(&mut self, comp_id: Option<String>) {
        self.events.push_back(StateEvent::DropSession(comp_id));
    }

    /// Next state change to publish.
    pub fn poll_event(&mut self) -> Option<StateEvent> {
        self.events.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn admit_follows_session_halt_and_reject_all() {
        let mut m = MarketState::new(2);
        assert_eq!(
            m.admit(0),
            Err(AdmitError::SessionNotOpen(SessionStatus::PreOpen))
        );
        m.set_session(SessionStatus::Open);
        assert_eq!(m.admit(0), Ok(()));
        m.halt(1, "news");
        assert!(matches!(m.admit(1), Err(AdmitError::Halted(_))));
        assert_eq!(m.admit(0), Ok(()));
        m.resume(1);
        assert_eq!(m.admit(1), Ok(()));
        m.set_reject_all(Some("maintenance".into()));
        assert!(matches!(m.admit(0), Err(AdmitError::RejectAll(_))));
        let evs: Vec<_> = std::iter::from_fn(|| m.poll_event()).collect();
        assert_eq!(evs.len(), 3);
    }

    #[test]
    fn band_limits_round_inward() {
        let b = Band {
            reference: 19_000,
            pct: dec!(5),
        };
        assert_eq!(b.limits(), (18_050, 19_950));
        let b = Band {
            reference: 101,
            pct: dec!(3),
        };
        assert_eq!(b.limits(), (98, 104));
        let huge = Band {
            reference: i64::MAX / 2,
            pct: Decimal::MAX,
        };
        assert_eq!(huge.limits(), (1, MAX_TICKS));
    }

    #[test]
    fn circuit_breaker_halts_all_then_resumes() {
        let mut m = MarketState::new(3);
        m.set_session(SessionStatus::Open);
        let t = Timestamp(1_000);
        m.trigger_circuit_breaker(1, t);
        for i in 0..3 {
            assert!(matches!(
                m.admit(i),
                Err(AdmitError::Halted(HaltReason::CircuitBreaker(1)))
            ));
        }
        let end = t.saturating_add(CIRCUIT_BREAKER_HALT);
        m.on_time(Timestamp(end.0 - 1));
        assert!(m.admit(0).is_err());
        m.on_time(end);
        assert!(m.admit(0).is_ok());
        m.trigger_circuit_breaker(3, Timestamp(5));
        m.on_time(Timestamp(i64::MAX));
        assert!(m.admit(0).is_err());
        assert_eq!(m.session(), SessionStatus::Closed);
    }

    #[test]
    fn circuit_breaker_levels_from_decline() {
        assert_eq!(MarketState::circuit_breaker_level_for(dec!(6.9)), None);
        assert_eq!(MarketState::circuit_breaker_level_for(dec!(7)), Some(1));
        assert_eq!(MarketState::circuit_breaker_level_for(dec!(15)), Some(2));
        assert_eq!(MarketState::circuit_breaker_level_for(dec!(25)), Some(3));
    }
}
