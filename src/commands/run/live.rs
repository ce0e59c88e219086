//! `--metrics-listen`: each tick, the job as of the latest sample rendered
//! to exposition text and swapped into the endpoint's slot. Runs on the
//! sampler thread; costs one render and one pointer swap, never a wait on
//! a scraper (see `export::listen`).

use std::sync::{Arc, Mutex};

use super::alerts::AlertBoard;
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
    /// The `--alert` rules' state, copied into `alerts` each tick.
    board: Option<AlertBoard>,
    /// When the text was last rendered (job seconds).
    rendered_at: Option<f64>,
}

/// The text is rendered at most this often: rendering is most of the
/// endpoint's cost (61 µs a tick in the sampler bench, part 3), and
/// Prometheus scrapes every few seconds at most.
const RENDER_EVERY_SECONDS: f64 = 1.0;

impl LiveObserver {
    pub fn new(slot: SnapshotSlot, labels: Labels, cpus_available: usize) -> LiveObserver {
        LiveObserver {
            slot,
            labels,
            cpus_available,
            alerts: SharedAlerts::default(),
            board: None,
            rendered_at: None,
        }
    }

    /// Show the firing state of these `--alert` rules
    /// (`profrun_job_alert_firing`).
    pub fn with_alert_board(mut self, board: AlertBoard) -> LiveObserver {
        self.board = Some(board);
        self
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
            cpu_user_seconds_total: (now.cpu_seconds_total - now.cpu_system_seconds_total).max(0.0),
            cpu_system_seconds_total: now.cpu_system_seconds_total,
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
    fn on_tick(&mut self, profiler: &Profiler, final_sample: bool) {
        let t = profiler.now().t_seconds;
        let due = self
            .rendered_at
            .map_or(true, |last| t - last >= RENDER_EVERY_SECONDS - 1e-6);
        if !due && !final_sample {
            return;
        }
        self.rendered_at = Some(t);
        if let Some(board) = &self.board {
            let firing = board
                .firing_snapshot()
                .into_iter()
                .map(|(name, firing)| LiveAlert { name, firing })
                .collect();
            self.set_alerts(firing);
        }
        let state = self.state(profiler);
        self.slot
            .publish(encode(&live_metrics(&state, &self.labels)));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc as StdArc;

    use super::*;
    use crate::profile::profiler::ProfilerConfig;
    use crate::profile::sample::Sample;
    use crate::sample::{IoSample, ProcessReading, TreeSample};

    const MB: u64 = 1024 * 1024;

    fn sample(t: f64, cpu: f64) -> Sample {
        Sample {
            t_seconds: t,
            reaped_cpu_seconds: 0.0,
            reaped_system_seconds: 0.0,
            reaped_io: IoSample::default(),
            tree: TreeSample {
                processes: vec![ProcessReading {
                    pid: 42,
                    starttime_ticks: 1,
                    name: StdArc::from("job"),
                    state: b'R',
                    utime_seconds: cpu,
                    threads: 1,
                    rss_bytes: 64 * MB,
                    hwm_bytes: 64 * MB,
                    ..Default::default()
                }],
            },
            gpu: None,
            host: None,
        }
    }

    #[test]
    fn each_tick_publishes_the_latest_figures_and_the_alerts() {
        let slot = SnapshotSlot::default();
        let labels = Labels {
            name: "md".into(),
            tool: "lammps".into(),
            host: "node1".into(),
        };
        let mut observer = LiveObserver::new(slot.clone(), labels, 4);
        observer.set_alerts(vec![LiveAlert {
            name: "long".into(),
            firing: false,
        }]);
        let mut profiler = Profiler::new(ProfilerConfig {
            interval_seconds: 0.5,
            series_cap: 8,
            ..Default::default()
        });
        profiler.push(&mut sample(0.5, 0.0));
        profiler.push(&mut sample(1.0, 0.5));
        observer.on_tick(&profiler, false);

        let state = observer.state(&profiler);
        assert_eq!(state.elapsed_seconds, 1.0);
        assert_eq!(state.tree_rss_bytes, 64 * MB);
        assert_eq!(state.processes, 1);
        assert_eq!(state.cpus_available, 4);
        assert!((state.cores_in_use - 1.0).abs() < 1e-9, "{state:?}");
        let text = slot.latest();
        assert!(
            text.contains(
                "profrun_job_tree_rss_bytes{name=\"md\",tool=\"lammps\",host=\"node1\"} 67108864"
            ),
            "{text}"
        );
        assert!(text.contains("profrun_job_alert_firing{"), "{text}");

        // The evaluator flips the shared list; the next rendering shows it.
        // Half a second later is too soon: the text is rendered once a second.
        observer.alerts().lock().expect("not poisoned")[0].firing = true;
        let firing = |slot: &SnapshotSlot| {
            slot.latest()
                .lines()
                .any(|l| l.starts_with("profrun_job_alert_firing{") && l.ends_with(" 1"))
        };
        profiler.push(&mut sample(1.5, 0.75));
        observer.on_tick(&profiler, false);
        assert!(!firing(&slot), "rendered again after 0.5 s");
        profiler.push(&mut sample(2.0, 1.0));
        observer.on_tick(&profiler, false);
        assert!(firing(&slot));
    }
}
