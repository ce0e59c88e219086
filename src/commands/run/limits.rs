//! The `--limit` observer: checks the limits on the sampler thread after
//! every sample; at the first crossing it notes it, says so on stderr,
//! SIGTERMs the whole tree and SIGKILLs what is left `--kill-after` later
//! (the main thread's wait then returns; `reap` stops the rest the same
//! way). Signalling from the sampler thread is fine: it only sends.

use crossbeam_channel::{after, bounded, select, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::alerts::{Limit, LimitHit};
use crate::commands::output::say;
use crate::launch::signals;
use crate::profile::Profiler;
use crate::sampler::TickObserver;

/// The first crossing, shared with the main thread.
#[derive(Debug, Clone, Default)]
pub struct LimitSlot(Arc<Mutex<Option<LimitHit>>>);

impl LimitSlot {
    pub fn hit(&self) -> Option<LimitHit> {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn set(&self, hit: LimitHit) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(hit);
    }
}

pub struct LimitObserver {
    limits: Vec<Limit>,
    kill_after: Duration,
    slot: LimitSlot,
    crossed: bool,
    /// Dropped with the observer (the sampler stopped: the run is over),
    /// which cancels a pending SIGKILL.
    cancel: Option<Sender<()>>,
}

impl LimitObserver {
    pub fn new(limits: Vec<Limit>, kill_after: Duration) -> (LimitObserver, LimitSlot) {
        let slot = LimitSlot::default();
        let observer = LimitObserver {
            limits,
            kill_after,
            slot: slot.clone(),
            crossed: false,
            cancel: None,
        };
        (observer, slot)
    }

    fn stop_the_tree(&mut self) {
        signals::signal_descendants(libc::SIGTERM);
        let (cancel, cancelled) = bounded::<()>(0);
        self.cancel = Some(cancel);
        let kill_after = self.kill_after;
        let spawned = std::thread::Builder::new()
            .name("profrun-limit-kill".into())
            .spawn(move || {
                kill_later(&cancelled, kill_after);
                crate::probe::io::count_ending_thread();
            });
        if spawned.is_err() {
            // No timer: do not leave a job that ignores SIGTERM running.
            signals::signal_descendants(signals::SIGKILL);
        }
    }
}

fn kill_later(cancelled: &Receiver<()>, kill_after: Duration) {
    select! {
        recv(cancelled) -> _ => {}
        recv(after(kill_after)) -> _ => signals::signal_descendants(signals::SIGKILL),
    }
}

impl TickObserver for LimitObserver {
    fn on_tick(&mut self, profiler: &Profiler, final_sample: bool) {
        // After the reap there is nothing left to stop.
        if self.crossed || final_sample {
            return;
        }
        let now = profiler.now();
        let Some(hit) = self.limits.iter().find_map(|limit| limit.check(now)) else {
            return;
        };
        self.crossed = true;
        self.slot.set(hit);
        say(&format!(
            "profrun: limit exceeded at {}: {}; stopping the job (SIGTERM, then SIGKILL after {} s)",
            crate::alerts::format_seconds(hit.at_seconds),
            hit.describe(),
            self.kill_after.as_secs_f64()
        ));
        self.stop_the_tree();
    }
}
