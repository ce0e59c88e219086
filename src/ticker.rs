//! The sampler's sleep between ticks: one `poll` on a stop descriptor and on
//! whatever else the sampler serves between ticks (a [`Waiter`]: the live
//! `/metrics` endpoint), with the next tick's due time as its timeout. A
//! scrape is then answered at once, on the thread that is woken for ticks
//! anyway, and the endpoint needs no thread of its own.
//!
//! Ticks keep their schedule: the next one is due one interval after the
//! previous one was due (not after it ran), and a tick more than one
//! interval late is not made up for, so a slow tick delays the series
//! rather than piling work up. Waiting for nothing but the tick, the thread
//! wakes up once a tick.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustix::event::{eventfd, poll, EventfdFlags, PollFd, PollFlags, Timespec};

/// Descriptors the sampler also waits on between ticks, and what to do when
/// they are ready. It runs on the sampler's thread, so it must never block:
/// what it does delays the next tick by as much.
pub trait Waiter: Send {
    /// Push the descriptors to wait on, and for what. [`Waiter::ready`]
    /// gets their `revents` in the same order.
    fn interest<'a>(&'a self, fds: &mut Vec<PollFd<'a>>);
    /// After every wake-up (a tick's too), with what `poll` reported for the
    /// descriptors of [`Waiter::interest`] (all empty on a timeout).
    fn ready(&mut self, revents: &[PollFlags], now: Instant);
    /// When [`Waiter::ready`] must run even if nothing is ready (a write
    /// that has waited too long); `None`: only on events.
    fn deadline(&self) -> Option<Instant>;
}

/// Asks a [`Ticker`] on another thread to stop, and wakes it up.
#[derive(Debug, Clone)]
pub struct StopHandle {
    stopped: Arc<AtomicBool>,
    /// `None` where no eventfd could be made: the ticker then sees the flag
    /// at its next tick.
    wake: Option<Arc<OwnedFd>>,
}

impl StopHandle {
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        if let Some(fd) = &self.wake {
            // Fails only when the counter is saturated: it is awake anyway.
            let _ = rustix::io::write(fd.as_ref(), &1u64.to_ne_bytes());
        }
    }
}

/// What [`Ticker::wait`] returns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Woke {
    /// A tick, this many seconds after it was due.
    Tick {
        late_seconds: f64,
    },
    Stop,
}

/// Tick times for one thread, and its stop signal.
#[derive(Debug)]
pub struct Ticker {
    interval: Duration,
    due: Instant,
    stop: StopHandle,
    /// The `revents` handed to the waiter (reused).
    revents: Vec<PollFlags>,
}

impl Ticker {
    /// The first tick is due one `interval` from now.
    pub fn new(interval: Duration) -> Ticker {
        let wake = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)
            .ok()
            .map(Arc::new);
        Ticker {
            interval,
            due: Instant::now() + interval,
            stop: StopHandle {
                stopped: Arc::new(AtomicBool::new(false)),
                wake,
            },
            revents: Vec::new(),
        }
    }

    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Sleep until the next tick or a stop, serving `waiter` whenever its
    /// descriptors are ready in between.
    pub fn wait(&mut self, mut waiter: Option<&mut (dyn Waiter + '_)>) -> Woke {
        loop {
            if self.stop.stopped.load(Ordering::SeqCst) {
                return Woke::Stop;
            }
            let now = Instant::now();
            if now >= self.due {
                let late = now - self.due;
                self.due = next_due(self.due, now, self.interval);
                return Woke::Tick {
                    late_seconds: late.as_secs_f64(),
                };
            }
            let wake_at = waiter
                .as_ref()
                .and_then(|w| w.deadline())
                .map_or(self.due, |d| d.min(self.due));
            let timeout = timespec(wake_at.saturating_duration_since(now));
            let polled = {
                let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(24);
                if let Some(fd) = &self.stop.wake {
                    fds.push(PollFd::new(fd.as_ref(), PollFlags::IN));
                }
                let own = fds.len();
                if let Some(w) = waiter.as_ref() {
                    w.interest(&mut fds);
                }
                let polled = poll(&mut fds, Some(&timeout));
                self.revents.clear();
                self.revents.extend(fds[own..].iter().map(PollFd::revents));
                polled
            };
            match polled {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                // Cannot wait on descriptors (out of memory): sleep instead,
                // briefly, so that ticks and stops still come.
                Err(_) => {
                    std::thread::sleep(wake_at.saturating_duration_since(now).min(SLEEP_ON_ERROR));
                    continue;
                }
            }
            if let Some(w) = waiter.as_mut() {
                w.ready(&self.revents, Instant::now());
            }
        }
    }
}

/// How long to sleep when `poll` itself fails.
const SLEEP_ON_ERROR: Duration = Duration::from_millis(50);

/// When the tick after one due at `due` and taken at `now` is due: one
/// interval after `due`, so that ticks do not drift by the time it takes to
/// wake up; one interval after `now` if a whole tick was missed.
pub fn next_due(due: Instant, now: Instant, interval: Duration) -> Instant {
    let next = due + interval;
    if next > now {
        next
    } else {
        now + interval
    }
}

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_do_not_drift_by_the_wake_up_time() {
        let t0 = Instant::now();
        let i = Duration::from_millis(500);
        let woke = t0 + Duration::from_millis(3);
        assert_eq!(next_due(t0, woke, i), t0 + i);
    }

    #[test]
    fn a_missed_tick_is_not_made_up_for() {
        let t0 = Instant::now();
        let i = Duration::from_millis(500);
        let woke = t0 + Duration::from_millis(1200);
        assert_eq!(next_due(t0, woke, i), woke + i);
    }

    #[test]
    fn a_stop_wakes_the_sleeper_at_once() {
        let mut ticker = Ticker::new(Duration::from_secs(3600));
        let stop = ticker.stop_handle();
        let started = Instant::now();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            stop.stop();
        });
        assert_eq!(ticker.wait(None), Woke::Stop);
        assert!(started.elapsed() < Duration::from_secs(5));
        stopper.join().expect("stopper");
    }

    #[test]
    fn ticks_come_at_the_interval() {
        let mut ticker = Ticker::new(Duration::from_millis(20));
        let started = Instant::now();
        for _ in 0..5 {
            assert!(matches!(ticker.wait(None), Woke::Tick { .. }));
        }
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(100), "{took:?}");
    }
}
