use std::sync::Arc as StdArc;

use super::super::alerts::AlertObserver;
use super::*;
use crate::metrics::exposition::tests::parse_exposition;
use crate::profile::gpu::GpuSeriesPoint;
use crate::profile::profiler::ProfilerConfig;
use crate::profile::sample::Sample;
use crate::sample::{IoSample, ProcessReading, TreeSample};

const MB: u64 = 1024 * 1024;

fn labels() -> Labels {
    Labels {
        name: "md".into(),
        tool: "lammps".into(),
        host: "node1".into(),
    }
}

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
        gpu_power_watts: None,
        host: None,
    }
}

/// A GPU tick's part of a sample: utilisation, memory and power.
fn with_gpu(mut s: Sample, watts: f64) -> Sample {
    s.gpu = Some(GpuSeriesPoint {
        gpu_utilization_percent: Some(90.0),
        gpu_memory_used_mb: Some(1024.0),
    });
    s.gpu_power_watts = Some(watts);
    s
}

fn profiler() -> Profiler {
    Profiler::new(ProfilerConfig {
        interval_seconds: 0.5,
        series_cap: 8,
        ..Default::default()
    })
}

fn render(source: &LiveSource) -> String {
    let mut out = String::new();
    source.render(&mut out);
    out
}

fn value(text: &str, name: &str) -> Option<f64> {
    parse_exposition(text)
        .expect("parses")
        .into_iter()
        .find(|(n, _, _)| n == name)
        .map(|(_, _, v)| v)
}

#[test]
fn a_scrape_renders_the_latest_tick_and_the_alerts_of_that_moment() {
    let rules = vec![crate::alerts::parse_rule("duration>1s").expect("rule")];
    let (mut alerts, board) = AlertObserver::new(rules, 4);
    let (mut live, source) = live_endpoint(labels(), 4, Some(board));
    assert_eq!(render(&source), "", "nothing before the first tick");

    let mut profiler = profiler();
    profiler.push(&mut sample(0.5, 0.0));
    profiler.push(&mut sample(1.0, 0.5));
    alerts.on_tick(&profiler, false);
    live.on_tick(&profiler, false);
    let state = source.state().expect("a tick happened");
    assert_eq!(state.elapsed_seconds, 1.0);
    assert_eq!(state.tree_rss_bytes, 64 * MB);
    assert_eq!(state.processes, 1);
    assert_eq!(state.cpus_available, 4);
    let cores = state.cores_in_use.expect("a rate after two samples");
    assert!((cores - 1.0).abs() < 1e-9, "{state:?}");
    let text = render(&source);
    assert!(
        text.contains(
            "profrun_job_tree_rss_bytes{name=\"md\",tool=\"lammps\",host=\"node1\"} 67108864"
        ),
        "{text}"
    );
    assert_eq!(
        value(&text, "profrun_job_alert_firing"),
        Some(0.0),
        "{text}"
    );

    // Half a second later the rule fires; the very next scrape shows it
    // (it is rendered then, not at a tick).
    profiler.push(&mut sample(1.5, 0.75));
    alerts.on_tick(&profiler, false);
    live.on_tick(&profiler, false);
    let text = render(&source);
    assert_eq!(
        value(&text, "profrun_job_alert_firing"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(value(&text, "profrun_job_elapsed_seconds"), Some(1.5));
}

/// Regression (issue 13 review): `profrun_job_cores_in_use` read 0 before
/// the first CPU rate existed (one sample), while the I/O rates were left
/// out; now it is left out too, and appears with the second sample.
#[test]
fn cores_in_use_is_left_out_until_a_cpu_rate_exists() {
    let (mut live, source) = live_endpoint(labels(), 4, None);
    let mut profiler = profiler();
    profiler.push(&mut sample(0.5, 0.25));
    live.on_tick(&profiler, false);
    let text = render(&source);
    assert!(text.contains("profrun_job_elapsed_seconds"), "{text}");
    assert_eq!(value(&text, "profrun_job_cores_in_use"), None, "{text}");
    assert_eq!(
        value(&text, "profrun_job_read_bytes_per_second"),
        None,
        "{text}"
    );
    profiler.push(&mut sample(1.0, 0.75));
    live.on_tick(&profiler, false);
    let text = render(&source);
    let cores = value(&text, "profrun_job_cores_in_use").expect("a rate now");
    assert!((cores - 1.0).abs() < 1e-9, "{text}");
}

/// Without a GPU reading there is no GPU series at all (not zeros).
#[test]
fn no_gpu_means_no_gpu_series() {
    let (mut live, source) = live_endpoint(labels(), 1, None);
    let mut profiler = profiler();
    profiler.push(&mut sample(0.5, 0.0));
    live.on_tick(&profiler, false);
    let text = render(&source);
    assert!(text.contains("profrun_job_elapsed_seconds"), "{text}");
    assert!(!text.contains("gpu"), "{text}");
    assert!(!text.contains("alert"), "{text}");
}

/// Live power and energy were always `None` (issue 13): the endpoint
/// listed `profrun_job_gpu_power_watts` and the energy counter in its docs
/// but never served them.
#[test]
fn live_gpu_power_and_energy_are_served() {
    let (mut live, source) = live_endpoint(labels(), 1, None);
    let mut profiler = profiler();
    let mut energies = Vec::new();
    for (t, watts) in [(0.5, 100.0), (1.0, 300.0), (1.5, 300.0)] {
        profiler.push(&mut with_gpu(sample(t, t), watts));
        live.on_tick(&profiler, false);
        let text = render(&source);
        assert_eq!(
            value(&text, "profrun_job_gpu_power_watts"),
            Some(watts),
            "{text}"
        );
        energies.push(value(&text, "profrun_job_gpu_energy_joules_total").expect("energy"));
    }
    // Trapezoids: 0, then (100 + 300) / 2 × 0.5, then + 300 × 0.5.
    assert_eq!(energies, vec![0.0, 100.0, 250.0]);
    let text = render(&source);
    assert_eq!(value(&text, "profrun_job_gpu_utilization_ratio"), Some(0.9));
    assert_eq!(
        value(&text, "profrun_job_gpu_memory_used_bytes"),
        Some((1024 * MB) as f64)
    );
    assert!(text.contains("# TYPE profrun_job_gpu_energy_joules_total counter\n"));
}
