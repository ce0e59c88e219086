//! `--metrics-listen`: the sampler's side and the endpoint's side of the
//! live endpoint. Each tick, [`LiveObserver`] copies the profiler's latest
//! figures (a `Copy` struct) into a slot under a lock held for that copy;
//! when a scrape arrives, [`LiveSource`] copies them out and renders them
//! on the endpoint's thread (see `export::listen`). Nothing is rendered
//! while nobody scrapes, and a scraper never holds anything the sampler
//! waits for.

use std::sync::{Arc, Mutex, MutexGuard};

use super::alerts::AlertBoard;
use crate::export::listen::Exposition;
use crate::metrics::{Labels, LiveAlert, LiveEncoder, LiveGpu, LiveState};
use crate::profile::profiler::{NowFigures, Profiler};
use crate::record::BYTES_PER_MB;
use crate::sampler::TickObserver;

/// The latest tick's figures; `None` before the first tick.
type SharedFigures = Arc<Mutex<Option<NowFigures>>>;

fn lock(figures: &SharedFigures) -> MutexGuard<'_, Option<NowFigures>> {
    // The figures are whole `Copy` values even after a panic mid-tick.
    figures
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The sampler's side: one copy per tick.
pub struct LiveObserver {
    figures: SharedFigures,
}

/// The endpoint's side: what a scrape of `/metrics` renders.
pub struct LiveSource {
    figures: SharedFigures,
    encoder: LiveEncoder,
    cpus_available: usize,
    /// The `--alert` rules' state (`profrun_job_alert_firing`).
    board: Option<AlertBoard>,
}

/// The two sides of one endpoint: hand the observer to the sampler and the
/// source to `export::listen::MetricsServer::bind`.
pub fn live_endpoint(
    labels: Labels,
    cpus_available: usize,
    board: Option<AlertBoard>,
) -> (LiveObserver, LiveSource) {
    let figures = SharedFigures::default();
    (
        LiveObserver {
            figures: Arc::clone(&figures),
        },
        LiveSource {
            figures,
            encoder: LiveEncoder::new(&labels),
            cpus_available,
            board,
        },
    )
}

impl TickObserver for LiveObserver {
    fn on_tick(&mut self, profiler: &Profiler, _final_sample: bool) {
        *lock(&self.figures) = Some(*profiler.now());
    }
}

impl LiveSource {
    /// What the endpoint shows now; `None` before the first tick.
    pub fn state(&self) -> Option<LiveState> {
        let now = (*lock(&self.figures))?;
        let alerts = self.board.as_ref().map_or_else(Vec::new, |board| {
            board
                .firing_snapshot()
                .into_iter()
                .map(|(name, firing)| LiveAlert { name, firing })
                .collect()
        });
        Some(live_state(&now, self.cpus_available, alerts))
    }
}

impl Exposition for LiveSource {
    fn render(&self, out: &mut String) {
        // Until the first tick the body is empty (docs/monitoring.md).
        if let Some(state) = self.state() {
            self.encoder.encode_into(&state, out);
        }
    }
}

/// The endpoint's figures for one tick's `now`.
fn live_state(now: &NowFigures, cpus_available: usize, alerts: Vec<LiveAlert>) -> LiveState {
    let measured = now.gpu_utilization_percent.is_some()
        || now.gpu_memory_used_mb.is_some()
        || now.gpu_power_watts.is_some();
    // No GPU (or NVML not there): no GPU series at all, rather than zeros.
    let gpu = measured.then(|| LiveGpu {
        utilization_percent: now.gpu_utilization_percent,
        memory_used_bytes: now
            .gpu_memory_used_mb
            .map(|mb| (mb * BYTES_PER_MB).round() as u64),
        power_watts: now.gpu_power_watts,
        energy_joules_total: now.gpu_energy_joules_total,
    });
    LiveState {
        elapsed_seconds: now.t_seconds,
        // Before the second sample there is no rate: no series, not a 0
        // that reads as an idle job.
        cores_in_use: now.cpu_percent.map(|percent| percent / 100.0),
        cpus_available,
        tree_rss_bytes: now.rss_bytes,
        processes: now.processes as usize,
        read_bytes_per_second: now.read_bytes_per_second,
        write_bytes_per_second: now.write_bytes_per_second,
        cpu_user_seconds_total: (now.cpu_seconds_total - now.cpu_system_seconds_total).max(0.0),
        cpu_system_seconds_total: now.cpu_system_seconds_total,
        read_bytes_total: now.read_bytes_total,
        write_bytes_total: now.write_bytes_total,
        gpu,
        alerts,
    }
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
