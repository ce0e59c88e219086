//! The families of the live `/metrics` endpoint, from the sampler's latest
//! state. The sampler fills a [`LiveState`] each tick and renders it with
//! [`live_metrics`] + `encode`; `export::listen` only hands the string out.

use super::exposition::{Labels, MetricFamilies, MetricFamily, MetricKind, Sample};

/// What the sampler knows at one tick. Cumulative figures are totals since
/// the job started; rates are over the last tick (`None` before a second
/// reading exists).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveState {
    pub elapsed_seconds: f64,
    /// CPU seconds per second of the whole tree over the last tick.
    pub cores_in_use: f64,
    pub cpus_available: usize,
    pub tree_rss_bytes: u64,
    pub processes: usize,
    pub read_bytes_per_second: Option<f64>,
    pub write_bytes_per_second: Option<f64>,
    pub cpu_user_seconds_total: f64,
    pub cpu_system_seconds_total: f64,
    pub read_bytes_total: u64,
    pub write_bytes_total: u64,
    /// `None` when there is no GPU (or NVML is not there).
    pub gpu: Option<LiveGpu>,
    /// Every configured alert, firing or not, so that a resolved alert
    /// reads 0 rather than vanishing.
    pub alerts: Vec<LiveAlert>,
}

/// GPU figures at one tick, over the devices the job uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveGpu {
    pub utilization_percent: Option<f64>,
    pub memory_used_bytes: Option<u64>,
    pub power_watts: Option<f64>,
    /// Energy since the job started.
    pub energy_joules_total: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveAlert {
    /// The rule's name (bounded: it comes from the command line or config).
    pub name: String,
    pub firing: bool,
}

/// The live families for one state.
pub fn live_metrics(state: &LiveState, labels: &Labels) -> MetricFamilies {
    let plain = labels.pairs(&[]);
    let family = |name: &str, help: &str, kind: MetricKind, samples: Vec<Sample>| MetricFamily {
        name: name.to_string(),
        help: help.to_string(),
        kind,
        samples,
    };
    let gauge = |name: &str, help: &str, value: f64| {
        family(
            name,
            help,
            MetricKind::Gauge,
            vec![Sample {
                labels: plain.clone(),
                value,
            }],
        )
    };
    let counter = |name: &str, help: &str, value: f64| {
        family(
            name,
            help,
            MetricKind::Counter,
            vec![Sample {
                labels: plain.clone(),
                value,
            }],
        )
    };
    let mut out = vec![
        gauge(
            "profrun_job_elapsed_seconds",
            "Seconds since the running job started.",
            state.elapsed_seconds,
        ),
        gauge(
            "profrun_job_cores_in_use",
            "CPU seconds per second of the job's tree over the last tick.",
            state.cores_in_use,
        ),
        gauge(
            "profrun_job_cpus_available",
            "CPUs the job may use (affinity mask).",
            state.cpus_available as f64,
        ),
        gauge(
            "profrun_job_tree_rss_bytes",
            "Resident memory of the job's whole process tree now.",
            state.tree_rss_bytes as f64,
        ),
        gauge(
            "profrun_job_processes",
            "Processes in the job's tree now.",
            state.processes as f64,
        ),
    ];
    if let Some(rate) = state.read_bytes_per_second {
        out.push(gauge(
            "profrun_job_read_bytes_per_second",
            "Storage-layer read rate of the tree over the last tick.",
            rate,
        ));
    }
    if let Some(rate) = state.write_bytes_per_second {
        out.push(gauge(
            "profrun_job_write_bytes_per_second",
            "Storage-layer write rate of the tree over the last tick.",
            rate,
        ));
    }
    out.push(family(
        "profrun_job_cpu_seconds_total",
        "CPU time of the job's tree since it started, by mode.",
        MetricKind::Counter,
        vec![
            Sample {
                labels: labels.pairs(&[("mode", "user")]),
                value: state.cpu_user_seconds_total,
            },
            Sample {
                labels: labels.pairs(&[("mode", "system")]),
                value: state.cpu_system_seconds_total,
            },
        ],
    ));
    out.push(counter(
        "profrun_job_read_bytes_total",
        "Storage-layer bytes the tree read since the job started.",
        state.read_bytes_total as f64,
    ));
    out.push(counter(
        "profrun_job_write_bytes_total",
        "Storage-layer bytes the tree wrote since the job started.",
        state.write_bytes_total as f64,
    ));
    if let Some(gpu) = &state.gpu {
        if let Some(percent) = gpu.utilization_percent {
            out.push(gauge(
                "profrun_job_gpu_utilization_ratio",
                "GPU utilisation over the job's devices at the last tick (0-1).",
                percent / 100.0,
            ));
        }
        if let Some(bytes) = gpu.memory_used_bytes {
            out.push(gauge(
                "profrun_job_gpu_memory_used_bytes",
                "Device memory in use on the job's devices now.",
                bytes as f64,
            ));
        }
        if let Some(watts) = gpu.power_watts {
            out.push(gauge(
                "profrun_job_gpu_power_watts",
                "Power draw of the job's devices now.",
                watts,
            ));
        }
        if let Some(joules) = gpu.energy_joules_total {
            out.push(counter(
                "profrun_job_gpu_energy_joules_total",
                "Energy the job's devices drew since it started.",
                joules,
            ));
        }
    }
    if !state.alerts.is_empty() {
        out.push(family(
            "profrun_job_alert_firing",
            "1 while a profrun alert rule is firing, else 0.",
            MetricKind::Gauge,
            state
                .alerts
                .iter()
                .map(|alert| Sample {
                    labels: labels.pairs(&[("alert", &alert.name)]),
                    value: if alert.firing { 1.0 } else { 0.0 },
                })
                .collect(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::encode;
    use crate::metrics::exposition::tests::parse_exposition;

    fn labels() -> Labels {
        Labels {
            name: "md".into(),
            tool: "lammps".into(),
            host: "node1".into(),
        }
    }

    #[test]
    fn first_tick_has_no_rates_and_no_gpu() {
        let state = LiveState {
            elapsed_seconds: 0.5,
            cpus_available: 4,
            tree_rss_bytes: 1 << 20,
            processes: 1,
            ..LiveState::default()
        };
        let text = encode(&live_metrics(&state, &labels()));
        assert!(!text.contains("per_second"), "{text}");
        assert!(!text.contains("gpu"), "{text}");
        assert!(!text.contains("alert"), "{text}");
        assert!(text.contains(
            "# TYPE profrun_job_cpu_seconds_total counter\n\
             profrun_job_cpu_seconds_total{name=\"md\",tool=\"lammps\",host=\"node1\",mode=\"user\"} 0\n"
        ));
        assert!(text.contains(
            "profrun_job_tree_rss_bytes{name=\"md\",tool=\"lammps\",host=\"node1\"} 1048576\n"
        ));
    }

    #[test]
    fn every_figure_appears_once_measured() {
        let state = LiveState {
            elapsed_seconds: 61.0,
            cores_in_use: 3.5,
            cpus_available: 4,
            tree_rss_bytes: 8 << 30,
            processes: 11,
            read_bytes_per_second: Some(1e6),
            write_bytes_per_second: Some(0.0),
            cpu_user_seconds_total: 200.0,
            cpu_system_seconds_total: 13.25,
            read_bytes_total: 61_000_000,
            write_bytes_total: 0,
            gpu: Some(LiveGpu {
                utilization_percent: Some(87.0),
                memory_used_bytes: Some(2 << 30),
                power_watts: Some(250.5),
                energy_joules_total: Some(15_000.0),
            }),
            alerts: vec![
                LiveAlert {
                    name: "cpu_high".into(),
                    firing: true,
                },
                LiveAlert {
                    name: "gpu_idle".into(),
                    firing: false,
                },
            ],
        };
        let parsed = parse_exposition(&encode(&live_metrics(&state, &labels()))).expect("parses");
        let value = |name: &str, extra: &[(&str, &str)]| {
            let want = labels().pairs(extra);
            parsed
                .iter()
                .find(|(n, l, _)| n == name && *l == want)
                .map(|(_, _, v)| *v)
        };
        assert_eq!(value("profrun_job_cores_in_use", &[]), Some(3.5));
        assert_eq!(value("profrun_job_elapsed_seconds", &[]), Some(61.0));
        assert_eq!(value("profrun_job_read_bytes_per_second", &[]), Some(1e6));
        assert_eq!(
            value("profrun_job_cpu_seconds_total", &[("mode", "system")]),
            Some(13.25)
        );
        assert_eq!(value("profrun_job_gpu_utilization_ratio", &[]), Some(0.87));
        assert_eq!(
            value("profrun_job_gpu_energy_joules_total", &[]),
            Some(15_000.0)
        );
        assert_eq!(
            value("profrun_job_alert_firing", &[("alert", "cpu_high")]),
            Some(1.0)
        );
        assert_eq!(
            value("profrun_job_alert_firing", &[("alert", "gpu_idle")]),
            Some(0.0)
        );
        assert_eq!(parsed.len(), 17);
    }
}
