//! The one- or two-line summary printed on stderr after a run: fate, wall
//! time, CPU with average (and, when sampled, busiest) cores, the peak
//! memory with the source it came from, and I/O; then the bottleneck and
//! the first advice (`docs/analysis.md`).

use super::units;
use crate::analysis::{self, THRESHOLDS};
use crate::record::{JobRecord, Status};

/// How the summary names `measurement.memory_peak_source`.
pub fn peak_source_label(source: &str) -> &str {
    match source {
        "tree_rss_sum" => "tree RSS sum",
        "vmhwm" => "VmHWM",
        "ru_maxrss" => "ru_maxrss",
        "cgroup_peak" => "cgroup peak",
        other => other,
    }
}

pub fn summary(record: &JobRecord) -> String {
    let id = &record.task_id;
    if record.status == Status::FailedToStart {
        // The reason itself was already printed as an error line.
        return format!("profrun: {id}  failed_to_start  exit {}", record.exit_code);
    }
    let fate = match (&record.signal, record.returncode) {
        (Some(sig), _) => format!("{} ({})", record.status.as_str(), sig.name),
        (None, Some(code)) => format!("{} (exit {code})", record.status.as_str()),
        (None, None) => record.status.as_str().to_string(),
    };
    let ru = &record.resource_usage;
    let cores = if record.duration_seconds > 0.0 {
        ru.cpu_total_seconds / record.duration_seconds
    } else {
        0.0
    };
    // The busiest interval, from the sampled series (100 % = one core).
    let max_cores = record
        .detailed_profile
        .as_ref()
        .and_then(|d| d.process_cpu.as_ref())
        .map(|c| format!(", max {:.2}", c.max_percent / 100.0))
        .unwrap_or_default();
    let mut line = format!(
        "profrun: {id}  {fate}  {:.2} s wall  CPU {} ({cores:.2} cores{max_cores})  peak {} ({})  read {}  wrote {}",
        record.duration_seconds,
        units::duration(ru.cpu_total_seconds),
        units::mebibytes(ru.memory_peak_mb),
        peak_source_label(&record.measurement.memory_peak_source),
        units::bytes(ru.read_bytes as f64),
        units::bytes(ru.write_bytes as f64),
    );
    let mut second = Vec::new();
    if let Some(gpu) = gpu_part(record) {
        second.push(gpu);
    }
    if !record.descendants_left_running.is_empty() {
        let names: Vec<String> = record
            .descendants_left_running
            .iter()
            .map(|p| format!("{} ({})", p.name, p.pid))
            .collect();
        second.push(format!("left running: {}", names.join(", ")));
    }
    if let Some(me) = &record.profrun_self {
        second.push(format!(
            "profrun itself: CPU {:.3} s, peak RSS {}",
            me.cpu_seconds,
            units::bytes(me.peak_rss_kb as f64 * 1024.0)
        ));
    }
    if !second.is_empty() {
        line.push_str("\nprofrun: ");
        line.push_str(&second.join("; "));
    }
    if let Some(verdict) = analysis_line(record) {
        line.push_str("\nprofrun: ");
        line.push_str(&verdict);
    }
    line
}

/// `bottleneck serial: serial code: ...` (the first advice), or why there is
/// no verdict. Nothing for a run too short to judge: the reason would only
/// say it was short, which the wall time already shows.
fn analysis_line(record: &JobRecord) -> Option<String> {
    let computed;
    let a = match &record.analysis {
        Some(a) => a,
        None => {
            computed = analysis::analyze(record);
            &computed
        }
    };
    match a.bottleneck {
        Some(b) => Some(match a.advice.first() {
            Some(advice) => format!("bottleneck {}: {}", b.as_str(), advice.text),
            None => format!("bottleneck {}", b.as_str()),
        }),
        None if record.duration_seconds < THRESHOLDS.min_duration_seconds => None,
        None => Some(format!(
            "bottleneck not judged: {}",
            a.reason.as_deref().unwrap_or("no verdict")
        )),
    }
}

/// `GPU 85% util, peak 5.7 GiB, 1234 J` when a GPU was read.
fn gpu_part(record: &JobRecord) -> Option<String> {
    let gpu = record.detailed_profile.as_ref()?.gpu_stats.as_ref()?;
    let nvidia = gpu.nvidia.as_ref().filter(|_| gpu.available)?;
    let mut parts = Vec::new();
    if let Some(util) = nvidia.gpu_utilization_percent {
        parts.push(format!("{util:.0}% util"));
    }
    if let Some(mb) = nvidia.memory_used_max_mb {
        parts.push(format!("peak {}", units::mebibytes(mb)));
    }
    if let Some(j) = gpu.energy_joules {
        parts.push(format!("{j:.0} J"));
    }
    if gpu.partial == Some(true) {
        parts.push("partial".to_string());
    }
    (!parts.is_empty()).then(|| format!("GPU {}", parts.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::*;

    fn record() -> JobRecord {
        JobRecord {
            schema_version: SCHEMA_VERSION,
            task_id: "abc123".into(),
            tool: "workload".into(),
            script: None,
            params: Default::default(),
            tags: Default::default(),
            command: vec!["workload".into()],
            cwd: "/".into(),
            start_time: String::new(),
            end_time: String::new(),
            duration_seconds: 2.0,
            status: Status::Success,
            returncode: Some(0),
            exit_code: 0,
            signal: None,
            error: None,
            user: UserRecord { name: None, uid: 0 },
            host: HostRecord {
                hostname: "h".into(),
                kernel: "6".into(),
                cpu_model: None,
                logical_cpus: 2,
                cpus_available: 2,
                memory_total_mb: 1.0,
            },
            environment: Default::default(),
            resource_usage: ResourceUsage {
                cpu_total_seconds: 3.0,
                memory_peak_mb: 512.0,
                ..Default::default()
            },
            measurement: Measurement {
                cpu_source: "getrusage(RUSAGE_CHILDREN)".into(),
                memory_peak_source: "vmhwm".into(),
                io_source: String::new(),
                cgroup_backend: "none".into(),
                cgroup_note: None,
            },
            slurm: None,
            descendants_left_running: Vec::new(),
            detailed_profile: None,
            profrun_self: None,
            exports: None,
            analysis: None,
            alerts: Vec::new(),
            limit: None,
        }
    }

    #[test]
    fn names_the_peak_source_and_the_busiest_cores() {
        let mut r = record();
        assert!(
            summary(&r).contains("CPU 3.0 s (1.50 cores)  peak 512 MiB (VmHWM)"),
            "{}",
            summary(&r)
        );
        r.detailed_profile = Some(DetailedProfile {
            available: true,
            process_cpu: Some(PercentStats {
                mean_percent: 150.0,
                max_percent: 198.0,
                min_percent: 90.0,
            }),
            ..Default::default()
        });
        r.measurement.memory_peak_source = "tree_rss_sum".into();
        let line = summary(&r);
        assert!(line.contains("(1.50 cores, max 1.98)"), "{line}");
        assert!(line.contains("peak 512 MiB (tree RSS sum)"), "{line}");
    }

    /// A short job's CPU read `CPU 0.0 s (0.30 cores)` while the tables
    /// said `1 ms` (review finding, query item 7): the summary uses the
    /// tables' duration format.
    #[test]
    fn a_short_job_s_cpu_time_is_in_the_tables_units() {
        let mut r = record();
        r.duration_seconds = 0.004;
        r.resource_usage.cpu_total_seconds = 0.0012;
        let line = summary(&r);
        assert!(line.contains("CPU 1 ms (0.30 cores)"), "{line}");
        r.resource_usage.cpu_total_seconds = 125.0;
        r.duration_seconds = 100.0;
        assert!(
            summary(&r).contains("CPU 2m 05s (1.25 cores)"),
            "{}",
            summary(&r)
        );
    }

    #[test]
    fn shows_gpu_utilisation_peak_and_energy_when_a_gpu_was_read() {
        let mut r = record();
        let gpu = GpuStatsRecord {
            available: true,
            nvidia: Some(NvidiaSummaryRecord {
                gpu_utilization_percent: Some(85.4),
                memory_used_max_mb: Some(5836.8),
                ..Default::default()
            }),
            energy_joules: Some(1234.4),
            ..Default::default()
        };
        r.detailed_profile = Some(DetailedProfile {
            gpu_stats: Some(gpu),
            ..Default::default()
        });
        let text = summary(&r);
        assert!(
            text.contains("GPU 85% util, peak 5.7 GiB, 1234 J"),
            "{text}"
        );
        // No GPU: nothing said about it on the summary.
        r.detailed_profile = Some(DetailedProfile {
            gpu_stats: Some(GpuStatsRecord::default()),
            ..Default::default()
        });
        assert!(!summary(&r).contains("GPU"));
    }

    #[test]
    fn failed_to_start_does_not_repeat_the_error_line() {
        let mut r = record();
        r.status = Status::FailedToStart;
        r.exit_code = 127;
        r.error = Some("command not found: 'x'".into());
        assert_eq!(summary(&r), "profrun: abc123  failed_to_start  exit 127");
    }

    #[test]
    fn one_line_names_the_bottleneck_and_the_first_advice() {
        use crate::record::analysis::*;
        let mut r = record();
        r.analysis = Some(AnalysisRecord {
            bottleneck: Some(Bottleneck::Serial),
            advice: vec![AdviceRecord {
                kind: AdviceKind::Cores,
                text: "serial code: ask for 1 core".into(),
                request_bytes: None,
                cores_count: Some(1),
            }],
            ..Default::default()
        });
        let text = summary(&r);
        assert_eq!(
            text.lines().last(),
            Some("profrun: bottleneck serial: serial code: ask for 1 core"),
            "{text}"
        );
        // No verdict on a 2 s run without a series: the reason, briefly.
        r.analysis = None;
        let text = summary(&r);
        assert_eq!(
            text.lines().last(),
            Some("profrun: bottleneck not judged: the record has no sampled series"),
            "{text}"
        );
        // A run too short to judge: nothing said.
        r.duration_seconds = 0.02;
        assert_eq!(summary(&r).lines().count(), 1, "{}", summary(&r));
    }
}
