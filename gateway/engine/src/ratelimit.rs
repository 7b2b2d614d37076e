//! Per-session inbound rate limit: at most N messages in any sliding window
//! of length W.
//!
//! This module owns the counting only. It is pure: [`RateLimiter::check`]
//! takes `now: Instant` and reads no clock. The session calls it for each
//! inbound message it is about to process and, on [`RateLimited`], answers
//! with a Reject or BusinessMessageReject whose Text is the error's
//! `Display` ("inbound rate limit exceeded: 101 messages in 1s, limit
//! 100") instead of silently dropping the message. Which messages count
//! (all, or application messages only) is the caller's choice.
//!
//! # Semantics
//!
//! The window is exact, not approximated by buckets: the limiter keeps the
//! arrival instants of the messages it accepted in the last W (at most N of
//! them, so memory is bounded by the limit; [`MAX_MESSAGES`] caps it). A
//! message at `now` is accepted when fewer than N accepted messages
//! arrived in `(now - W, now]`; a message exactly W after an earlier one no
//! longer sees it. Refused messages do not count against the window, so a
//! client that slows down gets through again as soon as the oldest accepted
//! message leaves the window ([`RateLimited::retry_after`]).
//!
//! `Instant` is monotonic, but a caller that passes an earlier `now` than
//! before is treated as if it passed the latest instant seen, so the
//! window never moves backwards.

use std::collections::VecDeque;
use std::fmt;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

/// A point in time the limiter can count with: a monotonic [`Instant`], or
/// the session's UTC clock.
pub trait TimePoint: Copy + Ord + fmt::Debug {
    /// `self - earlier`, zero if `earlier` is later.
    fn since(self, earlier: Self) -> Duration;
}

impl TimePoint for Instant {
    fn since(self, earlier: Self) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl TimePoint for chrono::DateTime<chrono::Utc> {
    fn since(self, earlier: Self) -> Duration {
        (self - earlier).to_std().unwrap_or_default()
    }
}

use serde::Deserialize;

/// The largest `max_messages` accepted (bounds the limiter's memory to
/// 16 MB per session).
pub const MAX_MESSAGES: u32 = 1_000_000;

/// A sliding-window message rate limiter. See the module doc.
#[derive(Debug, Clone)]
pub struct RateLimiter<T: TimePoint = Instant> {
    max_messages: u32,
    window: Duration,
    /// Arrival instants of accepted messages still inside the window,
    /// oldest first.
    accepted: VecDeque<T>,
    /// The latest `now` seen, so time never goes backwards.
    latest: Option<T>,
}

/// A message refused by [`RateLimiter::check`]. Its `Display` is meant for
/// the Text (58) of the Reject sent back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "inbound rate limit exceeded: {observed} messages in {}, limit {limit}",
    DisplayDuration(*window)
)]
pub struct RateLimited {
    /// Messages allowed per window.
    pub limit: u32,
    /// The window length.
    pub window: Duration,
    /// Messages in the window counting the refused one (`limit + 1`).
    pub observed: u32,
    /// How long until one more message would be accepted.
    pub retry_after: Duration,
}

/// A rate limit that cannot be built. Each variant names its config key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RateLimitConfigError {
    /// `max_messages` is zero.
    #[error("max_messages: must be at least 1 (omit the rate limit to disable it)")]
    ZeroMessages,
    /// `max_messages` is above [`MAX_MESSAGES`].
    #[error("max_messages: {0} is above the maximum of {MAX_MESSAGES}")]
    TooManyMessages(u32),
    /// The window is zero.
    #[error("window_ms: must be at least 1")]
    ZeroWindow,
}

/// A rate limit as written in a config file:
/// `rate_limit = { max_messages = 100, window_ms = 1000 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Messages allowed per window.
    pub max_messages: u32,
    /// Window length in milliseconds; one second when absent.
    #[serde(default = "default_window_ms")]
    pub window_ms: u64,
}

fn default_window_ms() -> u64 {
    1000
}

impl RateLimitConfig {
    /// Validates the config and builds a limiter.
    pub fn build<T: TimePoint>(&self) -> Result<RateLimiter<T>, RateLimitConfigError> {
        let max = NonZeroU32::new(self.max_messages).ok_or(RateLimitConfigError::ZeroMessages)?;
        RateLimiter::new(max, Duration::from_millis(self.window_ms))
    }
}

impl<T: TimePoint> RateLimiter<T> {
    /// A limiter allowing `max_messages` in any window of length `window`.
    pub fn new(max_messages: NonZeroU32, window: Duration) -> Result<Self, RateLimitConfigError> {
        let max_messages = max_messages.get();
        if max_messages > MAX_MESSAGES {
            return Err(RateLimitConfigError::TooManyMessages(max_messages));
        }
        if window.is_zero() {
            return Err(RateLimitConfigError::ZeroWindow);
        }
        Ok(RateLimiter {
            max_messages,
            window,
            accepted: VecDeque::new(),
            latest: None,
        })
    }

    /// Counts a message arriving at `now`: `Ok` if it is within the limit
    /// (and it now counts), `Err` if it is over (and it does not count).
    pub fn check(&mut self, now: T) -> Result<(), RateLimited> {
        let now = match self.latest {
            Some(latest) if latest > now => latest,
            _ => now,
        };
        self.latest = Some(now);
        self.expire(now);
        if self.in_window() < self.max_messages {
            self.accepted.push_back(now);
            return Ok(());
        }
        let retry_after = self.accepted.front().map_or(Duration::ZERO, |&oldest| {
            self.window.saturating_sub(now.since(oldest))
        });
        Err(RateLimited {
            limit: self.max_messages,
            window: self.window,
            observed: self.in_window().saturating_add(1),
            retry_after,
        })
    }

    /// Messages accepted in the window ending at `now`, without counting one.
    pub fn count(&mut self, now: T) -> u32 {
        let now = self.latest.map_or(now, |latest| latest.max(now));
        self.expire(now);
        self.in_window()
    }

    /// Forgets every message counted (for a new session).
    pub fn reset(&mut self) {
        self.accepted.clear();
        self.latest = None;
    }

    /// Messages allowed per window.
    pub fn max_messages(&self) -> u32 {
        self.max_messages
    }

    /// The window length.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Drops accepted messages that arrived `window` or more before `now`.
    fn expire(&mut self, now: T) {
        while let Some(&oldest) = self.accepted.front() {
            if now.since(oldest) >= self.window {
                self.accepted.pop_front();
            } else {
                break;
            }
        }
    }

    fn in_window(&self) -> u32 {
        // At most `max_messages` (a u32) entries are ever kept.
        u32::try_from(self.accepted.len()).unwrap_or(u32::MAX)
    }
}

/// A duration in the largest whole unit that represents it exactly: `1s`,
/// `250ms`, `1500ms`, `20us`, `7ns`.
struct DisplayDuration(Duration);

impl fmt::Display for DisplayDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        let sub = d.subsec_nanos();
        if sub == 0 {
            write!(f, "{}s", d.as_secs())
        } else if sub == d.subsec_millis() * 1_000_000 {
            write!(f, "{}ms", d.as_millis())
        } else if sub == d.subsec_micros() * 1_000 {
            write!(f, "{}us", d.as_micros())
        } else {
            write!(f, "{}ns", d.as_nanos())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max: u32, window: Duration) -> RateLimiter {
        RateLimiter::new(NonZeroU32::new(max).unwrap(), window).unwrap()
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn allows_up_to_the_limit_then_refuses_with_the_text() {
        let t0 = Instant::now();
        let mut rl = limiter(100, Duration::from_secs(1));
        for i in 0..100 {
            rl.check(t0 + ms(i)).unwrap();
        }
        let err = rl.check(t0 + ms(500)).unwrap_err();
        assert_eq!(
            err,
            RateLimited {
                limit: 100,
                window: Duration::from_secs(1),
                observed: 101,
                retry_after: ms(500),
            }
        );
        assert_eq!(
            err.to_string(),
            "inbound rate limit exceeded: 101 messages in 1s, limit 100"
        );
    }

    #[test]
    fn window_slides_message_by_message() {
        let t0 = Instant::now();
        let mut rl = limiter(3, Duration::from_secs(1));
        rl.check(t0).unwrap();
        rl.check(t0 + ms(100)).unwrap();
        rl.check(t0 + ms(200)).unwrap();
        assert!(rl.check(t0 + ms(999)).is_err());
        // Exactly one window after the first message it no longer counts.
        rl.check(t0 + ms(1000)).unwrap();
        let err = rl.check(t0 + ms(1050)).unwrap_err();
        assert_eq!(err.retry_after, ms(50));
        rl.check(t0 + ms(1100)).unwrap();
        assert_eq!(rl.count(t0 + ms(1100)), 3);
        assert_eq!(rl.count(t0 + ms(2100)), 0);
    }

    #[test]
    fn refused_messages_do_not_count() {
        let t0 = Instant::now();
        let mut rl = limiter(2, ms(100));
        rl.check(t0).unwrap();
        rl.check(t0).unwrap();
        for i in 1..50 {
            assert!(rl.check(t0 + ms(i)).is_err());
        }
        // A flood of refusals does not extend the block.
        rl.check(t0 + ms(100)).unwrap();
        rl.check(t0 + ms(100)).unwrap();
        assert!(rl.check(t0 + ms(100)).is_err());
    }

    #[test]
    fn burst_at_one_instant() {
        let t0 = Instant::now();
        let mut rl = limiter(5, Duration::from_secs(1));
        for _ in 0..5 {
            rl.check(t0).unwrap();
        }
        let err = rl.check(t0).unwrap_err();
        assert_eq!(err.observed, 6);
        assert_eq!(err.retry_after, Duration::from_secs(1));
    }

    #[test]
    fn time_going_backwards_does_not_reopen_the_window() {
        let t0 = Instant::now();
        let mut rl = limiter(1, Duration::from_secs(1));
        rl.check(t0 + Duration::from_secs(10)).unwrap();
        // An earlier instant is read as the latest one seen.
        let err = rl.check(t0).unwrap_err();
        assert_eq!(err.retry_after, Duration::from_secs(1));
        rl.check(t0 + Duration::from_secs(11)).unwrap();
    }

    #[test]
    fn reset_forgets() {
        let t0 = Instant::now();
        let mut rl = limiter(1, Duration::from_secs(60));
        rl.check(t0).unwrap();
        assert!(rl.check(t0 + ms(1)).is_err());
        rl.reset();
        rl.check(t0 + ms(2)).unwrap();
    }

    #[test]
    fn memory_is_bounded_by_the_limit() {
        let t0 = Instant::now();
        let mut rl = limiter(10, Duration::from_secs(1));
        for i in 0..10_000 {
            let _ = rl.check(t0 + Duration::from_micros(i));
        }
        assert_eq!(rl.accepted.len(), 10);
    }

    #[test]
    fn windows_display_in_their_unit() {
        let text = |window: Duration| {
            RateLimited {
                limit: 10,
                window,
                observed: 11,
                retry_after: Duration::ZERO,
            }
            .to_string()
        };
        assert_eq!(
            text(Duration::from_secs(60)),
            "inbound rate limit exceeded: 11 messages in 60s, limit 10"
        );
        assert!(text(ms(250)).contains("in 250ms,"));
        assert!(text(ms(1500)).contains("in 1500ms,"));
        assert!(text(Duration::from_micros(20)).contains("in 20us,"));
        assert!(text(Duration::from_nanos(7)).contains("in 7ns,"));
    }

    #[test]
    fn config_builds_and_validates() {
        let rl: RateLimitConfig = toml::from_str("max_messages = 100").unwrap();
        let rl: RateLimiter = rl.build().unwrap();
        assert_eq!(rl.max_messages(), 100);
        assert_eq!(rl.window(), Duration::from_secs(1));

        let cfg: RateLimitConfig = toml::from_str("max_messages = 0\nwindow_ms = 0").unwrap();
        assert_eq!(
            cfg.build::<std::time::Instant>().unwrap_err(),
            RateLimitConfigError::ZeroMessages
        );
        let cfg = RateLimitConfig {
            max_messages: 5,
            window_ms: 0,
        };
        assert_eq!(
            cfg.build::<std::time::Instant>().unwrap_err().to_string(),
            "window_ms: must be at least 1"
        );
        let cfg = RateLimitConfig {
            max_messages: MAX_MESSAGES + 1,
            window_ms: 1000,
        };
        assert_eq!(
            cfg.build::<std::time::Instant>().unwrap_err().to_string(),
            "max_messages: 1000001 is above the maximum of 1000000"
        );
        let err = toml::from_str::<RateLimitConfig>("max_messages = 5\nwindow = 3")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `window`"), "{err}");
    }
}
