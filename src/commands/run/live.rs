//! `--metrics-listen`: each tick, the job as of the latest sample rendered
//! to exposition text and swapped into the endpoint's slot. Runs on the
//! sampler thread; costs one render and one pointer swap, never a wait on
//! a scraper (see `export::listen`).

use std::sync::{Arc, Mutex};

use crate::export::listen::SnapshotSlot;
use crate::metrics::{encode, live_metrics, Labels, LiveAlert, LiveGpu, LiveState};
use crate::profile::profiler::Profiler;
use crate::record::BYTES_PER_MB;
use crate::sampler::TickObserver;

/// Every configured alert and whether it fires now, shared with whoever
/// evaluates the rules (the endpoint shows 0 for a resolved one).
pub type SharedAlerts = Arc<Mutex<Vec<LiveAlert>>>;

pub struct LiveObserver {
    slot: SnapshotSlot,
    labels: Labels,
    cpus_available: usize,
    alerts: SharedAlerts,
}

impl LiveObserver {
    pub fn new(slot: SnapshotSlot, labels: Labels, cpus_available: usize) -> LiveObserver {
        LiveObserver {
            slot,
            labels,
            cpus_available,
            alerts: SharedAlerts::default(),
        }
    }

    /// The alert list this observer publishes; update it from the alert
    /// evaluator (a lock held for a copy, once a tick).
    pub fn alerts(&self) -> SharedAlerts {
        Arc::clone(&self.alerts)
    }

    /// Replace the alert list (before the observer is handed to the sampler).
    pub fn set_alerts(&mut self, alerts: Vec<LiveAlert>) {
        *self
            .alerts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = alerts;
    }

    /// The state the endpoint shows for the profiler's latest sample.
    pub fn state(&self, profiler: &Profiler) -> LiveState {
        let now = profiler.now();
        let gpu = (now.gpu_utilization_percent.is_some() || now.gpu_memory_used_mb.is_some()).then(
            || LiveGpu {
                utilization_percent: now.gpu_utilization_percent,
                memory_used_bytes: now
                    .gpu_memory_used_mb
                    .map(|mb| (mb * BYTES_PER_MB).round() as u64),
                power_watts: None,
                energy_joules_total: None,
            },
        );
        LiveState {
            elapsed_seconds: now.t_seconds,
            cores_in_use: now.cpu_percent.unwrap_or(0.0) / 100.0,
            cpus_available: self.cpus_available,
            tree_rss_bytes: now.rss_bytes,
            processes: now.processes as usize,
            read_bytes_per_second: now.read_bytes_per_second,
            write_bytes_per_second: now.write_bytes_per_second,
            // The profiler keeps the tree's CPU as one total while the job
            // runs (reaped children's time arrives summed); the live split
            // by mode is therefore all under "user" until it keeps both.
            cpu_user_seconds_total: now.cpu_seconds_total,
            cpu_system_seconds_total: 0.0,
            read_bytes_total: now.read_bytes_total,
            write_bytes_total: now.write_bytes_total,
            gpu,
            alerts: self
                .alerts
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
        }
    }
}

impl TickObserver for LiveObserver {
    fn on_tick(&mut self, profiler: &Profiler, _final_sample: bool) {
        let state = self.state(profiler);
        self.slot
            .publish(encode(&live_metrics(&state, &self.labels)));
    }
}
