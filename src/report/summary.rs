//! The one- or two-line summary printed on stderr after a run.

use super::units;
use crate::record::{JobRecord, Status};

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
    let mut line = format!(
        "profrun: {id}  {fate}  {:.2} s wall  CPU {:.1} s ({cores:.2} cores)  peak {}  read {}  wrote {}",
        record.duration_seconds,
        ru.cpu_total_seconds,
        units::mebibytes(ru.memory_peak_mb),
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
