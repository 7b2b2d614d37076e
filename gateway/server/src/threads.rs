//! The gateway's runtime: how many threads, and whether the busy thread
//! polls instead of sleeping between messages.
//!
//! Busy polling: on a quiet machine, a thread that sleeps in epoll between
//! messages pays a wake-up on every hop (tens of microseconds on a virtual
//! machine, more than the work itself). With `busy_poll` set, a task keeps
//! the runtime polling its sockets (yield, poll with a zero timeout, yield
//! ...) for that long after the last work it saw, then lets the thread
//! sleep until the next wake-up starts it again: a core is spent only
//! while traffic flows.

use std::sync::Arc;
use std::time::{Duration, Instant};

/// Builds the runtime: one thread (`threads == 1`, every session and the
/// OMS core on it) or a multi-threaded one.
pub fn runtime(threads: u16, busy_poll: Duration) -> std::io::Result<tokio::runtime::Runtime> {
    let mut b = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(usize::from(threads));
        b
    };
    let wake = Arc::new(tokio::sync::Notify::new());
    if !busy_poll.is_zero() {
        let w = wake.clone();
        b.on_thread_unpark(move || w.notify_one());
    }
    let rt = b.enable_all().build()?;
    if !busy_poll.is_zero() {
        rt.spawn(async move {
            let mut spin = Spin::new(busy_poll, Instant::now());
            loop {
                tokio::task::yield_now().await;
                if !spin.keep_polling(Instant::now()) {
                    wake.notified().await;
                    spin.restart(Instant::now());
                }
            }
        });
    }
    Ok(rt)
}

/// When to stop polling: `window` after the last sign of work. A yield
/// that took longer than `BUSY` means other tasks ran in between.
#[derive(Debug)]
struct Spin {
    window: Duration,
    last: Instant,
    until: Instant,
}

/// A round through the scheduler longer than this had work in it.
const BUSY: Duration = Duration::from_micros(3);

impl Spin {
    fn new(window: Duration, now: Instant) -> Spin {
        Spin {
            window,
            last: now,
            until: now + window,
        }
    }

    /// After one yield: true to go on polling, false to sleep.
    fn keep_polling(&mut self, now: Instant) -> bool {
        if now.duration_since(self.last) > BUSY {
            self.until = now + self.window;
        }
        self.last = now;
        now <= self.until
    }

    /// The thread woke up: poll again for a window.
    fn restart(&mut self, now: Instant) {
        self.last = now;
        self.until = now + self.window;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_for_the_window_after_the_last_work_then_sleeps() {
        let t0 = Instant::now();
        let us = Duration::from_micros;
        let mut s = Spin::new(us(100), t0);
        // Idle rounds (1 us each): polling until the window is over.
        let mut t = t0;
        for _ in 0..100 {
            t += us(1);
            assert!(s.keep_polling(t));
        }
        // Work ran during this round (50 us): the window starts again.
        t += us(50);
        assert!(s.keep_polling(t));
        let worked = t;
        while t < worked + us(100) {
            t += us(1);
            assert!(s.keep_polling(t), "{:?}", t - worked);
        }
        t += us(1);
        assert!(!s.keep_polling(t), "idle for longer than the window");
        // Woken up by I/O: another window.
        t += us(5_000);
        s.restart(t);
        assert!(s.keep_polling(t + us(1)));
    }

    #[test]
    fn a_busy_polling_runtime_runs_tasks_and_timers() {
        for threads in [1, 2] {
            let rt = runtime(threads, Duration::from_micros(50)).unwrap();
            let got = rt.block_on(async {
                let (tx, rx) = tokio::sync::oneshot::channel();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    let _ = tx.send(42);
                });
                rx.await
            });
            assert_eq!(got, Ok(42));
        }
    }
}
