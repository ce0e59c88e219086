//! The one- or two-line summary printed on stderr after a run: fate, wall
//! time, CPU with average (and, when sampled, busiest) cores, the peak
//! memory with the source it came from, and I/O.

use super::units;
use crate::record::{JobRecord, Status};

/// How the summary names `measurement.memory_peak_source`.
pub fn peak_source_label(source: &str) -> &str {
    match source {
        "tree_rss_sum" => "tree RSS sum",
        "vmhwm" => "VmHWM",
        "ru_maxrss" => "ru_maxrss",
        other => other,
    }
}

pub fn summary(record: &JobRecord) -> String {
    let id = &record.task_id;
    if record.status == Status::FailedToStart {
        let why = record.error.as_deref().unwrap_or("unknown error");
        return format!(
            "profrun: {id}  failed to start ({why})  exit {}",
            record.exit_code
        );
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
        "profrun: {id}  {fate}  {:.2} s wall  CPU {:.1} s ({cores:.2} cores{max_cores})  peak {} ({})  read {}  wrote {}",
        record.duration_seconds,
        ru.cpu_total_seconds,
        units::mebibytes(ru.memory_peak_mb),
        peak_source_label(&record.measurement.memory_peak_source),
        units::bytes(ru.read_bytes as f64),
        units::bytes(ru.write_bytes as f64),
    );
    let mut second = Vec::new();
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
    line
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
            descendants_left_running: Vec::new(),
            detailed_profile: None,
            profrun_self: None,
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
}
