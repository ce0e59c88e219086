//! `job-history` output: the table (newest first, sizes in binary units,
//! durations for humans) and the machine formats, whose column names are
//! stable and documented in docs/query.md.

use super::export::{self, Row};
use super::table::{self, TableStyle};
use super::units::{self, text};
use crate::record::{RecordView, Status};
use serde_json::Value;
use std::path::Path;

/// Column names of `--format json|jsonl|csv`, in order.
pub const COLUMNS: [&str; 19] = [
    "task_id",
    "start_time",
    "end_time",
    "tool",
    "script",
    "status",
    "returncode",
    "exit_code",
    "signal",
    "duration_seconds",
    "cpu_total_seconds",
    "cores",
    "memory_peak_mb",
    "read_bytes",
    "write_bytes",
    "gpu_utilization_percent",
    "host",
    "tags",
    "command",
];

/// What the STATUS column says: `ok`, `exit 3`, `SIGKILL`, ...
pub fn status_label(job: &RecordView) -> String {
    let status = job.status.known();
    match status {
        Some(Status::Success) => "ok".to_string(),
        Some(Status::Failed) => match job.returncode {
            Some(code) => format!("exit {code}"),
            None => job.status.to_string(),
        },
        Some(Status::Signaled) => match (&job.signal, job.returncode) {
            (Some(name), _) => name.clone(),
            (None, Some(code)) if code < 0 => format!("signal {}", -code),
            _ => job.status.to_string(),
        },
        Some(Status::FailedToStart) => "not started".to_string(),
        Some(Status::Interrupted | Status::Lost | Status::Running | Status::LimitExceeded)
        | None => job.status.to_string(),
    }
}

fn file_name(script: &str) -> &str {
    Path::new(script)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(script)
}

/// The table; a GPU column only when some run has GPU figures.
pub fn table(jobs: &[RecordView], style: &TableStyle) -> String {
    let gpu = jobs.iter().any(|j| j.gpu_utilization_percent.is_some());
    let mut header = vec![
        "ID",
        "STARTED (local)",
        "TOOL",
        "SCRIPT",
        "STATUS",
        "WALL",
        "CPU",
        "CORES",
        "PEAK MEM",
    ];
    if gpu {
        header.push("GPU");
    }
    let right: Vec<usize> = (5..header.len()).collect();
    let mut t = table::new_table(style, &header, &right);
    for j in jobs {
        let mut row = vec![
            comfy_table::Cell::new(&j.task_id),
            comfy_table::Cell::new(table::local_short(j.start_us)),
            comfy_table::Cell::new(&j.tool),
            comfy_table::Cell::new(j.script.as_deref().map_or("-", file_name)),
            table::coloured(status_label(j), table::status_colour(&j.status), style),
            comfy_table::Cell::new(units::duration(j.duration_seconds)),
            comfy_table::Cell::new(j.cpu_total_seconds.map_or("-".into(), units::duration)),
            comfy_table::Cell::new(text::opt_fixed(j.cores(), 2)),
            comfy_table::Cell::new(j.memory_peak_mb.map_or("-".into(), units::mebibytes)),
        ];
        if gpu {
            row.push(comfy_table::Cell::new(
                j.gpu_utilization_percent.map_or("-".into(), text::percent),
            ));
        }
        t.add_row(row);
    }
    // The id is copied into `job-details`; tool and script wrap instead.
    table::keep_whole(&mut t, 0);
    let short: Vec<usize> = std::iter::once(1).chain(4..header.len()).collect();
    table::keep_words(&mut t, &short);
    table::finish(&t)
}

/// One run as a row of the machine formats.
pub fn row(j: &RecordView) -> Row {
    let opt_str = |s: &Option<String>| s.clone().map_or(Value::Null, Value::String);
    let tags: serde_json::Map<String, Value> = j
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    vec![
        ("task_id", Value::String(j.task_id.clone())),
        ("start_time", Value::String(j.start_time.clone())),
        ("end_time", opt_str(&j.end_time)),
        ("tool", Value::String(j.tool.clone())),
        ("script", opt_str(&j.script)),
        ("status", Value::String(j.status.to_string())),
        ("returncode", j.returncode.map_or(Value::Null, Value::from)),
        ("exit_code", j.exit_code.map_or(Value::Null, Value::from)),
        ("signal", opt_str(&j.signal)),
        ("duration_seconds", export::num(Some(j.duration_seconds))),
        ("cpu_total_seconds", export::num(j.cpu_total_seconds)),
        ("cores", export::num(j.cores())),
        ("memory_peak_mb", export::num(j.memory_peak_mb)),
        ("read_bytes", export::num(j.read_bytes)),
        ("write_bytes", export::num(j.write_bytes)),
        (
            "gpu_utilization_percent",
            export::num(j.gpu_utilization_percent),
        ),
        ("host", opt_str(&j.host)),
        ("tags", Value::Object(tags)),
        ("command", Value::from(j.command.clone())),
    ]
}

/// `--format json`: one array.
pub fn json(jobs: &[RecordView]) -> String {
    let mut out = String::new();
    for (i, j) in jobs.iter().enumerate() {
        json_item(&mut out, j, i == 0);
    }
    json_end(&mut out, !jobs.is_empty());
    out
}

/// One element of the `--format json` array, for streaming: the opening
/// `[` before the first, a `,` before the others; [`json_end`] closes it.
pub fn json_item(out: &mut String, j: &RecordView, first: bool) {
    out.push_str(if first { "[\n" } else { ",\n" });
    let obj = serde_json::to_string_pretty(&export::object(row(j))).unwrap_or_default();
    for (k, line) in obj.lines().enumerate() {
        if k > 0 {
            out.push('\n');
        }
        out.push_str("  ");
        out.push_str(line);
    }
}

/// The end of the `--format json` array (`[]` when no item was written).
pub fn json_end(out: &mut String, any: bool) {
    out.push_str(if any { "\n]\n" } else { "[]\n" });
}

/// `--format jsonl`: one object per line.
pub fn jsonl(jobs: &[RecordView]) -> String {
    let mut out = String::new();
    for j in jobs {
        jsonl_line(&mut out, j);
    }
    out
}

/// One line of `--format jsonl`.
pub fn jsonl_line(out: &mut String, j: &RecordView) {
    out.push_str(&export::object(row(j)).to_string());
    out.push('\n');
}

/// `--format csv`: tags as `k=v;k=v`, the command shell-quoted.
pub fn csv(jobs: &[RecordView]) -> String {
    let mut out = csv_header();
    for j in jobs {
        csv_line(&mut out, j);
    }
    out
}

/// The header line of `--format csv`.
pub fn csv_header() -> String {
    export::csv_header(&COLUMNS)
}

/// One row of `--format csv`.
pub fn csv_line(out: &mut String, j: &RecordView) {
    let values: Vec<Value> = row(j)
        .into_iter()
        .map(|(k, v)| match k {
            "tags" => Value::String(
                j.tags
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            "command" => Value::String(text::shell_join(&j.command)),
            _ => v,
        })
        .collect();
    export::csv_row(out, values.iter());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::line::parse_summary;

    fn job(status: &str) -> RecordView {
        let line = format!(
            r#"{{"task_id":"a1","status":"{status}","returncode":2,"start_time":"2025-01-01T00:00:00Z","duration_seconds":1}}"#
        );
        parse_summary(line.as_bytes()).expect("record")
    }

    #[test]
    fn colour_only_when_asked() {
        let jobs = [job("success"), job("failed")];
        let plain = table(
            &jobs,
            &TableStyle {
                width: Some(100),
                colour: false,
            },
        );
        assert!(!plain.contains('\u{1b}'), "{plain}");
        let coloured = table(
            &jobs,
            &TableStyle {
                width: Some(100),
                colour: true,
            },
        );
        assert!(coloured.contains("\u{1b}["), "{coloured}");
        assert!(plain.contains("exit 2"));
    }
}
