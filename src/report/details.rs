//! `job-details`: one run in full, from the typed read model
//! [`RecordDetails`] (whose blocks keep the keys they do not know, so blocks
//! added by later profrun versions still show): command, outcome, host,
//! kernel totals, the sampled summaries, I/O, network, GPU and cgroup
//! blocks, the per-process list, alerts, sparklines of the time series, and
//! the analysis. [`details`] is one call per section, in the order they print.

use super::analysis_view::{self, AnalysisSource};
use super::fields::{block_rows, flatten, format_compact, format_value};
use super::sparkline::sparkline;
use super::table::{self, TableStyle};
use super::units::text;
use crate::record::analysis::AnalysisRecord;
use crate::record::details_view::{
    AlertDetails, AlertEntry, ExtraValue, Field, Item, ProfileDetails, RecordDetails,
    TimeSeriesDetails, ToItem, TopProcessDetails,
};
use crate::record::view::parse_time_us;
use crate::record::{AlertRecord, LimitRecord, Status};
use std::collections::BTreeMap;

/// Narrowest label column, so most sections line up.
const LABEL: usize = 22;

type Rows = Vec<(String, String)>;

struct Doc {
    out: String,
}

impl Doc {
    fn section(&mut self, title: &str, rows: Rows) {
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

/// A field as one row, labelled `label`, formatted by the unit `key` names;
/// none when it is absent or `null`.
fn value_row<T: ToItem>(label: &str, key: &str, field: &Field<T>) -> Option<(String, String)> {
    match field.item()? {
        Item::Null => None,
        item => Some((label.to_string(), format_value(key, &item))),
    }
}

fn row(label: &str, value: Option<String>) -> Option<(String, String)> {
    value.map(|v| (label.to_string(), v))
}

/// A field that is there but of the wrong shape, as text.
fn unreadable<T>(field: &Field<T>) -> Option<String> {
    match field {
        Field::Unreadable(v) => Some(format_value("", &Item::Unreadable(v))),
        _ => None,
    }
}

/// The whole view. `analysis` is the record's analysis (stored, or computed
/// for a record from before the block, see `analysis::stored`).
pub fn details(
    record: &RecordDetails,
    analysis: Option<(&AnalysisRecord, AnalysisSource)>,
    style: &TableStyle,
) -> String {
    let mut doc = Doc {
        out: header(record),
    };
    doc.section("Command", command_rows(record));
    doc.section("Outcome", outcome_rows(record));
    doc.section("Host", host_rows(record));
    doc.section("Environment", block_rows(record.environment.item()));
    doc.section("Resource usage (kernel totals)", usage_rows(record));
    doc.section("Measurement", block_rows(record.measurement.item()));
    profile_sections(&mut doc, &record.detailed_profile, style);
    if let Some((analysis, source)) = analysis {
        analysis_sections(&mut doc, analysis, source, style);
    }
    doc.section("Left running", left_running_rows(record));
    doc.section("Alerts", alert_rows(record));
    doc.section("Other", flatten(&record.extra, &["analysis"]));
    doc.out
}

/// Analysis, evidence, phases and advice.
fn analysis_sections(
    doc: &mut Doc,
    analysis: &AnalysisRecord,
    source: AnalysisSource,
    style: &TableStyle,
) {
    doc.section("Analysis", analysis_view::verdict_rows(analysis, source));
    doc.section("Evidence", analysis_view::evidence_rows(analysis));
    doc.block(
        "Phases",
        &analysis_view::phases_text(&analysis.phases, chart_width(style)),
    );
    doc.section("Advice", analysis_view::advice_rows(analysis));
}

/// Cells of a sparkline or the phase timeline.
fn chart_width(style: &TableStyle) -> usize {
    (usize::from(style.width.unwrap_or(100)).saturating_sub(48)).clamp(10, 80)
}

fn header(record: &RecordDetails) -> String {
    let id = record.task_id.known().map_or("", String::as_str);
    let status = record.status().map_or("", |s| s.as_str());
    let code = record.returncode.known();
    let sig = record
        .signal
        .known()
        .and_then(|s| s.name.known())
        .map(String::as_str);
    let outcome = match (status, code, sig) {
        _ if record.is(Status::Success) => "ok".to_string(),
        (s, _, Some(name)) => format!("{s} ({name})"),
        (s, Some(c), None) => format!("{s} (exit {c})"),
        (s, None, None) => s.to_string(),
    };
    format!("run {id}  {outcome}\n")
}

fn command_rows(record: &RecordDetails) -> Rows {
    let command = match &record.command {
        Field::Known(argv) => Some(text::shell_join(argv)),
        other => unreadable(other),
    };
    [
        row("command", command),
        value_row("cwd", "cwd", &record.cwd),
        value_row("tool", "tool", &record.tool),
        value_row("script", "script", &record.script),
        row("params", pairs(&record.params)),
        row("tags", pairs(&record.tags)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A key/value map as `k=v, k=v`; none when empty.
fn pairs(field: &Field<BTreeMap<String, ExtraValue>>) -> Option<String> {
    let map = match field {
        Field::Known(map) => map,
        other => return unreadable(other),
    };
    let shown: Vec<String> = map
        .iter()
        .map(|(k, v)| match v {
            ExtraValue::Text(s) => format!("{k}={s}"),
            ExtraValue::Number(x) => format!("{k}={x}"),
            other => format!("{k}={}", format_value(k, &other.item())),
        })
        .collect();
    Some(shown.join(", ")).filter(|s| !s.is_empty())
}

fn outcome_rows(record: &RecordDetails) -> Rows {
    let signal = match &record.signal {
        Field::Known(s) => {
            let name = s.name.known().map_or("?", String::as_str);
            Some(match s.number.known() {
                Some(n) => format!("{name} ({n})"),
                None => name.to_string(),
            })
        }
        other => unreadable(other),
    };
    [
        value_row("status", "status", &record.status),
        value_row("returncode", "returncode", &record.returncode),
        value_row("exit_code", "exit_code", &record.exit_code),
        row("signal", signal),
        value_row("error", "error", &record.error),
        limit_row(record),
        time_row("started", &record.start_time),
        time_row("ended", &record.end_time),
        value_row("wall", "duration_seconds", &record.duration_seconds),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The `limit` block as one line with units, as stderr said it.
fn limit_row(record: &RecordDetails) -> Option<(String, String)> {
    let l = match &record.limit {
        Field::Known(l) => l,
        other => return row("limit", unreadable(other)),
    };
    let stored = LimitRecord {
        resource: l.resource.known()?.clone(),
        limit: *l.limit.known()?,
        value: *l.value.known()?,
        at_seconds: *l.at_seconds.known()?,
        mechanism: l.mechanism.known().cloned().unwrap_or_default(),
    };
    let text = crate::alerts::describe_limit(&stored).or_else(|| {
        let fields: Vec<String> = flatten(l, &[])
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        Some(fields.join(", "))
    });
    row("limit", text)
}

fn time_row(label: &str, field: &Field<String>) -> Option<(String, String)> {
    let Some(stored) = field.known() else {
        return row(label, unreadable(field));
    };
    let local = parse_time_us(stored).map(table::local_full);
    Some((
        label.to_string(),
        match local {
            Some(l) => format!("{stored} ({l})"),
            None => stored.clone(),
        },
    ))
}

fn host_rows(record: &RecordDetails) -> Rows {
    let mut host = block_rows(record.host.item());
    host.extend(
        block_rows(record.user.item())
            .into_iter()
            .map(|(k, v)| (format!("user.{k}"), v)),
    );
    host
}

fn usage_rows(record: &RecordDetails) -> Rows {
    let mut usage = block_rows(record.resource_usage.item());
    let cpu = record
        .resource_usage
        .known()
        .and_then(|u| u.cpu_total_seconds.known());
    let wall = record.duration_seconds.known();
    if let (Some(cpu), Some(wall)) = (cpu, wall.filter(|w| **w > 0.0)) {
        usage.push((
            "cores (cpu / wall)".to_string(),
            format!("{:.2}", cpu / wall),
        ));
    }
    usage
}

fn left_running_rows(record: &RecordDetails) -> Rows {
    match &record.descendants_left_running {
        Field::Known(procs) => procs
            .iter()
            .map(|p| {
                let pid = p.pid.known().map_or("?".to_string(), i64::to_string);
                let name = p.name.known().map_or("?", String::as_str);
                (String::new(), format!("{name} (pid {pid})"))
            })
            .collect(),
        other => unreadable(other)
            .map(|t| (String::new(), t))
            .into_iter()
            .collect(),
    }
}

fn alert_rows(record: &RecordDetails) -> Rows {
    let profile = record.detailed_profile.known().map(|dp| &dp.alerts);
    [Some(&record.alerts), profile]
        .into_iter()
        .flatten()
        .flat_map(|field| match field {
            Field::Known(alerts) => alerts.iter().map(alert_text).collect(),
            other => unreadable(other).into_iter().collect::<Vec<_>>(),
        })
        .map(|text| (String::new(), text))
        .collect()
}

fn alert_text(alert: &AlertDetails) -> String {
    match alert {
        AlertDetails::Text(s) => s.clone(),
        AlertDetails::Entry(e) => {
            if let Some(firing) = alert_firing(e) {
                return crate::alerts::describe_firing(&firing);
            }
            let level = e.level.known().or(e.severity.known());
            match (level, e.message.known()) {
                (Some(l), Some(msg)) => format!("{l}: {msg}"),
                (None, Some(msg)) => msg.clone(),
                _ => flatten(e.as_ref(), &[])
                    .into_iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        }
    }
}

/// The entry as profrun's `--alert` wrote it, when every field it always
/// writes reads.
fn alert_firing(e: &AlertEntry) -> Option<AlertRecord> {
    let resolved_at_seconds = match &e.resolved_at_seconds {
        Field::Known(at) => Some(*at),
        Field::Absent | Field::Null => None,
        Field::Unreadable(_) => return None,
    };
    Some(AlertRecord {
        name: e.name.known()?.clone(),
        rule: e.rule.known()?.clone(),
        fired_at_seconds: *e.fired_at_seconds.known()?,
        value: *e.value.known()?,
        resolved_at_seconds,
    })
}

/// Fields of `detailed_profile` shown in sections of their own.
const PROFILE_OWN_SECTIONS: [&str; 9] = [
    "io_stats",
    "network",
    "pressure",
    "gpu_stats",
    "container_stats",
    "cgroup",
    "top_processes",
    "timeseries",
    "alerts",
];

fn profile_sections(doc: &mut Doc, field: &Field<ProfileDetails>, style: &TableStyle) {
    let dp = match field {
        Field::Known(dp) => dp,
        other => {
            let rows = unreadable(other).map(|t| (String::new(), t));
            doc.section("Sampled profile", rows.into_iter().collect());
            return;
        }
    };
    doc.section("Sampled profile", flatten(dp, &PROFILE_OWN_SECTIONS));
    doc.section("I/O", block_rows(dp.io_stats.item()));
    doc.section("Network", block_rows(dp.network.item()));
    doc.section("Pressure stall", block_rows(dp.pressure.item()));
    doc.section("GPU", block_rows(dp.gpu_stats.item()));
    doc.section("Container / cgroup", block_rows(dp.container_stats.item()));
    doc.section("Cgroup", block_rows(dp.cgroup.item()));
    match &dp.top_processes {
        Field::Known(procs) => doc.block("Processes (top by CPU)", &process_table(procs, style)),
        other => doc.section(
            "Processes (top by CPU)",
            unreadable(other)
                .map(|t| (String::new(), t))
                .into_iter()
                .collect(),
        ),
    }
    match &dp.timeseries {
        Field::Known(ts) => doc.block("Over time", &charts(ts, style)),
        other => doc.section(
            "Over time",
            unreadable(other)
                .map(|t| (String::new(), t))
                .into_iter()
                .collect(),
        ),
    }
}

/// One column per field any process has, in the model's order.
fn process_table(procs: &[TopProcessDetails], style: &TableStyle) -> String {
    use crate::record::details_view::Block;
    let rows: Vec<Vec<(&str, Item)>> = procs.iter().map(|p| p.fields()).collect();
    let mut columns: Vec<&str> = Vec::new();
    for fields in &rows {
        for (k, _) in fields {
            if !columns.contains(k) {
                columns.push(k);
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
        .filter(|(_, c)| **c != "name" && **c != "command")
        .map(|(i, _)| i)
        .collect();
    let style = TableStyle {
        width: style.width.map(|w| w.saturating_sub(1)),
        ..*style
    };
    let mut t = table::new_table(&style, &header, &right);
    for fields in &rows {
        t.add_row(
            columns
                .iter()
                .map(|c| {
                    fields
                        .iter()
                        .find(|(k, _)| k == c)
                        .map_or("-".to_string(), |(_, v)| format_compact(c, v))
                })
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
fn charts(ts: &TimeSeriesDetails, style: &TableStyle) -> String {
    use crate::record::details_view::Block;
    let width = chart_width(style);
    let first = ["cpu_percent", "rss_mb"];
    let mut series: Vec<(&str, Item)> = ts
        .fields()
        .into_iter()
        .filter(|(k, _)| *k != "t_seconds")
        .collect();
    series.sort_by_key(|(k, _)| first.iter().position(|f| f == k).unwrap_or(first.len()));
    let mut out = String::new();
    if let Some(t) = ts.t_seconds.known() {
        let end = t.last().copied().flatten().unwrap_or(0.0);
        out.push_str(&format!(
            "  {} samples over {}\n",
            t.len(),
            super::units::duration(end)
        ));
    }
    for (key, item) in series {
        let Item::List(list) = item else {
            continue;
        };
        let values: Vec<Option<f64>> = list
            .items()
            .iter()
            .map(|i| match i {
                Item::Number(x) => Some(*x),
                _ => None,
            })
            .collect();
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
            format_compact(key, &Item::Number(max))
        ));
    }
    out
}
