//! Scenario files: timed market actions (halts, bands, circuit breakers,
//! price shocks, fault injection) in a simple line format, and a runner
//! that hands out the actions that are due at a given time.
//!
//! # Format
//!
//! One action per line; `#` starts a comment; blank lines are ignored.
//! Each line is `TIME ACTION [ARGS...]` where `TIME` is either `@DUR`
//! (offset from the scenario start) or `+DUR` (offset from the previous
//! action). `DUR` is a number with a unit: `ns`, `us`, `ms`, `s`, `m`,
//! `h` (for example `@90s`, `+250ms`, `@1h`). Actions:
//!
//! ```text
//! @0s      session open            # pre_open | open | closed
//! +10s     halt AAPL news pending  # the rest of the line is the reason
//! +60s     resume AAPL
//! +0s      band AAPL 3%            # band half-width around the reference
//! +1m      circuit_breaker 1       # level 1, 2 or 3: halt everything
//! +5s      shock MSFT -5%          # move the reference price
//! +5s      drop_session CLIENT1    # or with no argument: every session
//! +5s      delay_md 250ms          # 0ms to stop delaying
//! +5s      stop_md
//! +5s      start_md
//! +5s      reject_all on           # on | off
//! +1h      end_of_day              # expire DAY orders, close the session
//! ```
//!
//! Actions at the same time keep their file order. Offsets may not go
//! backwards. Parse errors are all reported at once with line numbers.

use std::fmt;

use rust_decimal::Decimal;

use crate::market_state::SessionStatus;
use crate::types::{Duration, Timestamp};

/// One market action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Change the session status.
    Session(SessionStatus),
    /// Halt one instrument.
    Halt {
        /// Symbol.
        symbol: String,
        /// Free text.
        reason: String,
    },
    /// Resume one instrument.
    Resume {
        /// Symbol.
        symbol: String,
    },
    /// Set the price band half-width.
    Band {
        /// Symbol.
        symbol: String,
        /// Percent.
        pct: Decimal,
    },
    /// Market-wide circuit breaker.
    CircuitBreaker {
        /// 1, 2 or 3.
        level: u8,
    },
    /// Move the reference price by a percentage (signed).
    Shock {
        /// Symbol.
        symbol: String,
        /// Percent, negative for a fall.
        pct: Decimal,
    },
    /// Drop one FIX session (or all).
    DropSession {
        /// SenderCompID of the counterparty, `None` for all.
        comp_id: Option<String>,
    },
    /// Delay market data.
    DelayMarketData {
        /// The delay (zero: none).
        delay: Duration,
    },
    /// Stop market data.
    StopMarketData,
    /// Restart market data.
    StartMarketData,
    /// Reject every new order (on) or not (off).
    RejectAll {
        /// On or off.
        on: bool,
    },
    /// Expire DAY orders and close the session.
    EndOfDay,
}

/// An action with its time offset from the scenario start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedAction {
    /// Offset from the scenario start.
    pub at: Duration,
    /// What to do.
    pub action: Action,
    /// 1-based source line.
    pub line: usize,
}

/// One parse problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// A scenario file that could not be parsed: every problem at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// File label.
    pub file: String,
    /// All problems.
    pub errors: Vec<LineError>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.errors {
            writeln!(f, "{}:{}: {}", self.file, e.line, e.reason)?;
        }
        Ok(())
    }
}

/// Parses a duration such as `250ms`, `1.5s`, `2m` (at most `i64::MAX`
/// nanoseconds, about 292 years: an offset must stay an instant).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("duration {s:?} has no unit (ns, us, ms, s, m, h)"))?;
    let (num, unit) = s.split_at(split);
    let mult: u64 = match unit {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return Err(format!("unknown duration unit {unit:?} in {s:?}")),
    };
    let n: Decimal = num
        .parse()
        .map_err(|_| format!("bad number {num:?} in duration {s:?}"))?;
    if n < Decimal::ZERO {
        return Err(format!("negative duration {s:?}"));
    }
    // Checked: a long enough number of hours overflows even a Decimal (found
    // by the scenario fuzz target).
    let v = n
        .checked_mul(Decimal::from(mult))
        .ok_or_else(|| format!("duration {s:?} too large"))?;
    if v.fract() != Decimal::ZERO {
        return Err(format!(
            "duration {s:?} is not a whole number of nanoseconds"
        ));
    }
    i64::try_from(v)
        .ok()
        .and_then(|n| u64::try_from(n).ok())
        .map(Duration::from_nanos)
        .ok_or_else(|| format!("duration {s:?} too large"))
}

fn parse_pct(s: &str) -> Result<Decimal, String> {
    let t = s
        .strip_suffix('%')
        .ok_or_else(|| format!("expected a percentage like 5% or -3.5%, got {s:?}"))?;
    t.parse::<Decimal>()
        .map_err(|_| format!("bad percentage {s:?}"))
}

fn parse_action(words: &[&str]) -> Result<Action, String> {
    let need = |n: usize| -> Result<(), String> {
        if words.len() == n {
            Ok(())
        } else {
            Err(format!(
                "{} takes {} argument(s), got {}",
                words[0],
                n - 1,
                words.len() - 1
            ))
        }
    };
    match words[0] {
        "session" => {
            need(2)?;
            let s = match words[1] {
                "pre_open" | "preopen" => SessionStatus::PreOpen,
                "open" => SessionStatus::Open,
                "closed" | "close" => SessionStatus::Closed,
                o => {
                    return Err(format!(
                        "unknown session status {o:?} (pre_open, open, closed)"
                    ))
                }
            };
            Ok(Action::Session(s))
        }
        "halt" => {
            if words.len() < 2 {
                return Err("halt needs a symbol".into());
            }
            let reason = if words.len() > 2 {
                words[2..].join(" ")
            } else {
                "scenario halt".into()
            };
            Ok(Action::Halt {
                symbol: words[1].into(),
                reason,
            })
        }
        "resume" => {
            need(2)?;
            Ok(Action::Resume {
                symbol: words[1].into(),
            })
        }
        "band" => {
            need(3)?;
            let pct = parse_pct(words[2])?;
            if pct <= Decimal::ZERO || pct > Decimal::ONE_HUNDRED {
                return Err("band must be within (0%, 100%]".into());
            }
            Ok(Action::Band {
                symbol: words[1].into(),
                pct,
            })
        }
        "circuit_breaker" => {
            need(2)?;
            match words[1] {
                "1" => Ok(Action::CircuitBreaker { level: 1 }),
                "2" => Ok(Action::CircuitBreaker { level: 2 }),
                "3" => Ok(Action::CircuitBreaker { level: 3 }),
                o => Err(format!(
                    "circuit breaker level must be 1, 2 or 3, got {o:?}"
                )),
            }
        }
        "shock" => {
            need(3)?;
            let pct = parse_pct(words[2])?;
            if pct <= Decimal::from(-100) || pct > Decimal::from(1000) {
                return Err("shock must be above -100% and at most 1000%".into());
            }
            Ok(Action::Shock {
                symbol: words[1].into(),
                pct,
            })
        }
        "drop_session" => match words.len() {
            1 => Ok(Action::DropSession { comp_id: None }),
            2 => Ok(Action::DropSession {
                comp_id: Some(words[1].into()),
            }),
            _ => Err("drop_session takes at most one argument".into()),
        },
        "delay_md" => {
            need(2)?;
            Ok(Action::DelayMarketData {
                delay: parse_duration(words[1])?,
            })
        }
        "stop_md" => {
            need(1)?;
            Ok(Action::StopMarketData)
        }
        "start_md" => {
            need(1)?;
            Ok(Action::StartMarketData)
        }
        "reject_all" => {
            need(2)?;
            match words[1] {
                "on" => Ok(Action::RejectAll { on: true }),
                "off" => Ok(Action::RejectAll { on: false }),
                o => Err(format!("reject_all takes on or off, got {o:?}")),
            }
        }
        "end_of_day" => {
            need(1)?;
            Ok(Action::EndOfDay)
        }
        o => Err(format!("unknown action {o:?}")),
    }
}

/// Parses a scenario. `file` labels errors.
pub fn parse_scenario(text: &str, file: &str) -> Result<Vec<TimedAction>, ScenarioError> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut last = Duration::ZERO;
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let words: Vec<&str> = content.split_whitespace().collect();
        let mut err = |reason: String| errors.push(LineError { line, reason });
        if words.len() < 2 {
            err("expected TIME ACTION [ARGS]".into());
            continue;
        }
        let at = if let Some(d) = words[0].strip_prefix('@') {
            parse_duration(d)
        } else if let Some(d) = words[0].strip_prefix('+') {
            parse_duration(d).map(|d| last.saturating_add(d))
        } else {
            Err(format!("time {:?} must start with @ or +", words[0]))
        };
        let action = parse_action(&words[1..]);
        match (at, action) {
            (Ok(at), Ok(action)) => {
                if at < last {
                    err(format!(
                        "time goes backwards ({} ns after {} ns)",
                        at.as_nanos(),
                        last.as_nanos()
                    ));
                    continue;
                }
                last = at;
                out.push(TimedAction { at, action, line });
            }
            (a, b) => {
                if let Err(e) = a {
                    err(e);
                }
                if let Err(e) = b {
                    err(e);
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ScenarioError {
            file: file.into(),
            errors,
        })
    }
}

/// Hands out scenario actions as time passes.
#[derive(Debug, Clone)]
pub struct ScenarioRunner {
    actions: Vec<TimedAction>,
    start: Timestamp,
    next: usize,
}

impl ScenarioRunner {
    /// A runner whose offsets count from `start`.
    pub fn new(actions: Vec<TimedAction>, start: Timestamp) -> Self {
        ScenarioRunner {
            actions,
            start,
            next: 0,
        }
    }

    /// The next action due at or before `now`, if any.
    pub fn poll_due(&mut self, now: Timestamp) -> Option<TimedAction> {
        let a = self.actions.get(self.next)?;
        if self.start.saturating_add(a.at) <= now {
            self.next += 1;
            Some(a.clone())
        } else {
            None
        }
    }

    /// When the next action is due (absolute), for timers.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.actions
            .get(self.next)
            .map(|a| self.start.saturating_add(a.at))
    }

    /// True when every action has been handed out.
    pub fn is_done(&self) -> bool {
        self.next >= self.actions.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn parses_every_action() {
        let text = "\
# demo
@0s session open
+10s halt AAPL news pending
+60s resume AAPL
+0s band AAPL 3%
@2m circuit_breaker 1
+5s shock MSFT -5.5%
+5s drop_session CLIENT1
+0s drop_session
+1.5s delay_md 250ms
+1s stop_md
+1s start_md
+1s reject_all on  # comment
+1s reject_all off
+1h end_of_day
";
        let v = parse_scenario(text, "t").unwrap();
        assert_eq!(v.len(), 14);
        assert_eq!(v[0].action, Action::Session(SessionStatus::Open));
        assert_eq!(
            v[1],
            TimedAction {
                at: S.saturating_mul(10),
                action: Action::Halt {
                    symbol: "AAPL".into(),
                    reason: "news pending".into()
                },
                line: 3
            }
        );
        assert_eq!(v[3].at, S.saturating_mul(70));
        assert_eq!(v[4].at, S.saturating_mul(120));
        assert_eq!(
            v[5].action,
            Action::Shock {
                symbol: "MSFT".into(),
                pct: dec!(-5.5)
            }
        );
        assert_eq!(v[7].action, Action::DropSession { comp_id: None });
        assert_eq!(v[8].at, Duration::from_millis(131_500));
        assert_eq!(
            v[8].action,
            Action::DelayMarketData {
                delay: Duration::from_millis(250)
            }
        );
        assert_eq!(v[13].action, Action::EndOfDay);
    }

    #[test]
    fn reports_all_errors_with_lines() {
        let text = "@0s session lunch\n10s halt X\n@5s band X 3\n@1s resume X\n@2s fly\n";
        let e = parse_scenario(text, "bad.txt").unwrap_err();
        let lines: Vec<usize> = e.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 5]);
        assert!(e.to_string().contains("bad.txt:5: unknown action"));
        let e = parse_scenario("@5s stop_md\n@1s start_md\n", "b").unwrap_err();
        assert!(e.errors[0].reason.contains("backwards"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1500us"), Ok(Duration::from_micros(1_500)));
        assert_eq!(parse_duration("2m"), Ok(S.saturating_mul(120)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("0.5ns").is_err());
        // Beyond i64 nanoseconds (the end of Timestamp), beyond u64, and
        // beyond Decimal's range once scaled: an error, not a panic.
        assert_eq!(parse_duration("9223372036854775807ns"), Ok(Duration::MAX));
        assert!(parse_duration("9223372036854775808ns")
            .unwrap_err()
            .contains("too large"));
        assert!(parse_duration("18446744074s")
            .unwrap_err()
            .contains("too large"));
        assert!(parse_duration("6033333333333333333333h")
            .unwrap_err()
            .contains("too large"));
        assert!(parse_scenario("@6033333333333333333333h stop_md\n", "t").is_err());
    }

    #[test]
    fn runner_hands_out_due_actions_in_order() {
        let v = parse_scenario("@1s stop_md\n@1s start_md\n@3s reject_all on\n", "t").unwrap();
        let t = |ns: i64| Timestamp(100 + ns);
        let s = Timestamp::SECOND;
        let mut r = ScenarioRunner::new(v, Timestamp(100));
        assert_eq!(r.poll_timeout(), Some(t(s)));
        assert!(r.poll_due(t(s - 1)).is_none());
        assert_eq!(r.poll_due(t(s)).unwrap().action, Action::StopMarketData);
        assert_eq!(r.poll_due(t(s)).unwrap().action, Action::StartMarketData);
        assert!(r.poll_due(t(2 * s)).is_none());
        assert!(r.poll_due(t(3 * s)).is_some());
        assert!(r.is_done());
        // An offset from a file cannot wrap past the end of time.
        let far = parse_scenario("@9223372036854775807ns stop_md\n", "t").unwrap();
        let mut r = ScenarioRunner::new(far, Timestamp(100));
        assert_eq!(r.poll_timeout(), Some(Timestamp(i64::MAX)));
        assert!(r.poll_due(Timestamp(i64::MAX - 1)).is_none());
    }
}
