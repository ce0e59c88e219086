//! `job-details`: one run in full, from the stored JSON as it is (so blocks
//! added by later profrun versions still show): command, outcome, host,
//! kernel totals, the sampled summaries, I/O, network, GPU and cgroup
//! blocks, the per-process list, alerts, sparklines of the time series, and
//! the analysis (stored, or computed for records from before it).

use super::analysis_view;
use super::fields::{flatten, format_compact, format_value};
use super::sparkline::sparkline;
use super::table::{self, TableStyle};
use super::units::text;
use crate::record::view::parse_time_us;
use serde_json::{Map, Value};

/// Top-level keys shown in their own sections; the rest go to "Other".
const TOP_SHOWN: [&str; 25] = [
    "schema_version",
    "task_id",
    "tool",
    "script",
    "params",
    "tags",
    "command",
    "cwd",
    "start_time",
    "end_time",
    "duration_seconds",
    "status",
    "returncode",
    "exit_code",
    "signal",
    "error",
    "user",
    "host",
    "environment",
    "resource_usage",
    "measurement",
    "descendants_left_running",
    "detailed_profile",
    "alerts",
    "analysis",
];

/// `detailed_profile` blocks with sections of their own, and titles.
const PROFILE_BLOCKS: [(&str, &str); 6] = [
    ("io_stats", "I/O"),
    ("network", "Network"),
    ("pressure", "Pressure stall"),
    ("gpu_stats", "GPU"),
    ("container_stats", "Container / cgroup"),
    ("cgroup", "Cgroup"),
];

/// Narrowest label column, so most sections line up.
const LABEL: usize = 22;

struct Doc {
    out: String,
}

impl Doc {
    fn section(&mut self, title: &str, rows: Vec<(String, String)>) {
        if rows.is_empty() {
            return;
        }
        self.out.push('\n');
        self.out.push_str(title);
        self.out.push('\n');
        let width = rows
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0)
            .max(LABEL);
        for (label, value) in rows {
            if label.is_empty() {
                self.out.push_str(&format!("  {value}\n"));
            } else {
                self.out.push_str(&format!("  {label:<width$}  {value}\n"));
            }
        }
    }

    fn block(&mut self, title: &str, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        self.out.push('\n');
        self.out.push_str(title);
        self.out.push('\n');
        self.out.push_str(text);
    }
}

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| !x.is_null())
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    get(v, key).map(|x| format_value(key, x))
}

/// A key/value object as `k=v, k=v`.
fn pairs(v: Option<&Value>) -> Option<String> {
    let map = v?.as_object().filter(|m| !m.is_empty())?;
    Some(
        map.iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().map_or(v.to_string(), str::to_string)))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

fn row(label: &str, value: Option<String>) -> Option<(String, String)> {
    value.map(|v| (label.to_string(), v))
}

fn time_row(label: &str, v: &Value, key: &str) -> Option<(String, String)> {
    let stored = get(v, key)?.as_str()?.to_string();
    let local = parse_time_us(&stored).map(table::local_full);
    Some((
        label.to_string(),
        match local {
            Some(l) => format!("{stored} ({l})"),
            None => stored,
        },
    ))
}

/// The whole view.
pub fn details(record: &Value, style: &TableStyle) -> String {
    let id = str_of(record, "task_id").unwrap_or_default();
    let status = str_of(record, "status").unwrap_or_default();
    let mut doc = Doc {
        out: format!("run {id}  {}\n", outcome(record, &status)),
    };
    let command = get(record, "command").and_then(Value::as_array).map(|a| {
        let argv: Vec<String> = a
            .iter()
            .map(|x| x.as_str().map_or(x.to_string(), str::to_string))
            .collect();
        text::shell_join(&argv)
    });
    doc.section(
        "Command",
        [
            row("command", command),
            row("cwd", str_of(record, "cwd")),
            row("tool", str_of(record, "tool")),
            row("script", str_of(record, "script")),
            row("params", pairs(record.get("params"))),
            row("tags", pairs(record.get("tags"))),
        ]
        .into_iter()
        .flatten()
        .collect(),
    );
    let signal = get(record, "signal").map(|s| {
        let name = s.get("name").and_then(Value::as_str).unwrap_or("?");
        match s.get("number") {
            Some(n) => format!("{name} ({n})"),
            None => name.to_string(),
        }
    });
    doc.section(
        "Outcome",
        [
            row("status", Some(status.clone()).filter(|s| !s.is_empty())),
            row("returncode", str_of(record, "returncode")),
            row("exit_code", str_of(record, "exit_code")),
            row("signal", signal),
            row("error", str_of(record, "error")),
            time_row("started", record, "start_time"),
            time_row("ended", record, "end_time"),
            row("wall", str_of(record, "duration_seconds")),
        ]
        .into_iter()
        .flatten()
        .collect(),
    );
    let mut host = get(record, "host").map_or_else(Vec::new, |h| flatten(h, &[]));
    if let Some(user) = get(record, "user") {
        host.extend(
            flatten(user, &[])
                .into_iter()
                .map(|(k, v)| (format!("user.{k}"), v)),
        );
    }
    doc.section("Host", host);
    doc.section("Environment", object_rows(record.get("environment")));
    let mut usage = get(record, "resource_usage").map_or_else(Vec::new, |u| flatten(u, &[]));
    let cpu = record
        .pointer("/resource_usage/cpu_total_seconds")
        .and_then(Value::as_f64);
    let wall = record.get("duration_seconds").and_then(Value::as_f64);
    if let (Some(cpu), Some(wall)) = (cpu, wall.filter(|w| *w > 0.0)) {
        usage.push((
            "cores (cpu / wall)".to_string(),
            format!("{:.2}", cpu / wall),
        ));
    }
    doc.section("Resource usage (kernel totals)", usage);
    doc.section("Measurement", object_rows(record.get("measurement")));
    if let Some(dp) = get(record, "detailed_profile") {
        profile_sections(&mut doc, dp, style);
    }
    analysis_sections(&mut doc, record, style);
    let left: Vec<(String, String)> = get(record, "descendants_left_running")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|p| {
                    let pid = p.get("pid").map_or("?".to_string(), Value::to_string);
                    let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
                    (String::new(), format!("{name} (pid {pid})"))
                })
                .collect()
        })
        .unwrap_or_default();
    doc.section("Left running", left);
    let mut alerts = alert_rows(record.get("alerts"));
    alerts.extend(alert_rows(record.pointer("/detailed_profile/alerts")));
    doc.section("Alerts", alerts);
    let other = record.as_object().map_or_else(Vec::new, |m| {
        let rest: Map<String, Value> = m
            .iter()
            .filter(|(k, _)| !TOP_SHOWN.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        flatten(&Value::Object(rest), &[])
    });
    doc.section("Other", other);
    doc.out
}

/// Analysis, evidence, phases and advice: the stored block, or computed
/// for a record from before it.
fn analysis_sections(doc: &mut Doc, record: &Value, style: &TableStyle) {
    let (analysis, source) = analysis_view::analysis_of(record);
    doc.section("Analysis", analysis_view::verdict_rows(&analysis, source));
    doc.section("Evidence", analysis_view::evidence_rows(&analysis));
    doc.block(
        "Phases",
        &analysis_view::phases_text(&analysis.phases, chart_width(style)),
    );
    doc.section("Advice", analysis_view::advice_rows(&analysis));
}

/// Cells of a sparkline or the phase timeline.
fn chart_width(style: &TableStyle) -> usize {
    (usize::from(style.width.unwrap_or(100)).saturating_sub(48)).clamp(10, 80)
}

fn outcome(record: &Value, status: &str) -> String {
    let code = record.get("returncode").and_then(Value::as_i64);
    let sig = record.pointer("/signal/name").and_then(Value::as_str);
    match (status, code, sig) {
        ("success", _, _) => "ok".to_string(),
        (s, _, Some(name)) => format!("{s} ({name})"),
        (s, Some(c), None) => format!("{s} (exit {c})"),
        (s, None, None) => s.to_string(),
    }
}

fn object_rows(v: Option<&Value>) -> Vec<(String, String)> {
    v.filter(|x| x.is_object())
        .map_or_else(Vec::new, |x| flatten(x, &[]))
}

fn alert_rows(v: Option<&Value>) -> Vec<(String, String)> {
    let Some(items) = v.and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|a| {
            let text = match a {
                Value::String(s) => s.clone(),
                Value::Object(m) => {
                    let level = m.get("level").or(m.get("severity")).and_then(Value::as_str);
                    let msg = m.get("message").and_then(Value::as_str);
                    match (level, msg) {
                        (Some(l), Some(msg)) => format!("{l}: {msg}"),
                        (None, Some(msg)) => msg.to_string(),
                        _ => a.to_string(),
                    }
                }
                other => other.to_string(),
            };
            (String::new(), text)
        })
        .collect()
}

fn profile_sections(doc: &mut Doc, dp: &Value, style: &TableStyle) {
    let mut skip: Vec<&str> = PROFILE_BLOCKS.iter().map(|(k, _)| *k).collect();
    skip.extend(["top_processes", "timeseries", "alerts"]);
    doc.section("Sampled profile", flatten(dp, &skip));
    for (key, title) in PROFILE_BLOCKS {
        if let Some(block) = get(dp, key) {
            doc.section(title, flatten(block, &[]));
        }
    }
    if let Some(procs) = get(dp, "top_processes").and_then(Value::as_array) {
        doc.block("Processes (top by CPU)", &process_table(procs, style));
    }
    if let Some(ts) = get(dp, "timeseries") {
        doc.block("Over time", &charts(ts, style));
    }
}

fn process_table(procs: &[Value], style: &TableStyle) -> String {
    let mut columns: Vec<String> = Vec::new();
    for p in procs {
        for k in p.as_object().into_iter().flat_map(|m| m.keys()) {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    if columns.is_empty() {
        return String::new();
    }
    let header: Vec<String> = columns.iter().map(|c| c.to_uppercase()).collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let right: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.as_str() != "name" && c.as_str() != "command")
        .map(|(i, _)| i)
        .collect();
    let style = TableStyle {
        width: style.width.map(|w| w.saturating_sub(1)),
        ..*style
    };
    let mut t = table::new_table(&style, &header, &right);
    for p in procs {
        t.add_row(
            columns
                .iter()
                .map(|c| p.get(c).map_or("-".to_string(), |v| format_compact(c, v)))
                .collect::<Vec<_>>(),
        );
    }
    // One more space of indent, to line up with the sections' labels.
    table::finish(&t)
        .lines()
        .map(|l| format!(" {l}\n"))
        .collect()
}

/// One sparkline per numeric series, CPU and memory first.
fn charts(ts: &Value, style: &TableStyle) -> String {
    let Some(map) = ts.as_object() else {
        return String::new();
    };
    let t = map.get("t_seconds").and_then(Value::as_array);
    let width = chart_width(style);
    let first = ["cpu_percent", "rss_mb"];
    let mut keys: Vec<&String> = map.keys().filter(|k| k.as_str() != "t_seconds").collect();
    keys.sort_by_key(|k| first.iter().position(|f| f == k).unwrap_or(first.len()));
    let mut out = String::new();
    if let Some(t) = t {
        let end = t.last().and_then(Value::as_f64).unwrap_or(0.0);
        out.push_str(&format!(
            "  {} samples over {}\n",
            t.len(),
            super::units::duration(end)
        ));
    }
    for key in keys {
        let Some(series) = map[key].as_array() else {
            continue;
        };
        let values: Vec<Option<f64>> = series.iter().map(Value::as_f64).collect();
        if values.iter().all(Option::is_none) {
            continue;
        }
        let max = values
            .iter()
            .flatten()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        out.push_str(&format!(
            "  {key:<24} {}  max {}\n",
            sparkline(&values, width),
            format_compact(key, &Value::from(max))
        ));
    }
    out
}
