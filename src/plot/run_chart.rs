//! One run as a chart: cores, memory, I/O rates, GPU when measured, and a
//! lane per top process, all on the run's time axis.

use super::chart::{Chart, HLine, Lane, Mark, Panel, Phase, Series, Unit, PALETTE};
use crate::record::{JobRecord, TimeSeries, BYTES_PER_MB};
use crate::report::summary::peak_source_label;
use crate::report::units;

/// Overlays that come from blocks other than the series (alerts, limits,
/// insight phases): the caller gathers them so this module stays a pure
/// function of what it is given.
#[derive(Debug, Clone, Default)]
pub struct Overlays {
    pub marks: Vec<Mark>,
    pub phases: Vec<Phase>,
}

/// Shortest form of a run's command for a title.
/// The program is named by its file name: a build folder's absolute path
/// took half the title and said nothing the reader needed.
pub fn short_command(record: &JobRecord, max: usize) -> String {
    let mut argv = record.command.clone();
    if let Some(program) = argv.first_mut() {
        if let Some(name) = std::path::Path::new(program.as_str()).file_name() {
            *program = name.to_string_lossy().into_owned();
        }
    }
    let text = units::text::shell_join(&argv);
    if text.chars().count() <= max {
        text
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

fn scaled(ts: &TimeSeries, values: &[Option<f64>], factor: f64) -> Vec<(f64, Option<f64>)> {
    ts.t_seconds
        .iter()
        .zip(values)
        .map(|(t, v)| (*t, v.map(|v| v * factor)))
        .collect()
}

/// The tree's RSS, left out where the tree had no process: the sample
/// after the reap reads 0 B, which says the job is over, not that its
/// memory fell to nothing (the curve sloped to 0 B at every run's end).
fn tree_rss(ts: &TimeSeries) -> Vec<(f64, Option<f64>)> {
    ts.t_seconds
        .iter()
        .zip(&ts.rss_mb)
        .zip(ts.processes.iter().map(Some).chain(std::iter::repeat(None)))
        .map(|((t, mb), procs)| {
            let live = procs.map_or(true, |&n| n > 0);
            (*t, live.then_some(mb * BYTES_PER_MB))
        })
        .collect()
}

fn series(name: &str, color: &str, dashed: bool, points: Vec<(f64, Option<f64>)>) -> Series {
    Series {
        name: name.to_string(),
        color: color.to_string(),
        dashed,
        points,
    }
}

/// The peak line's legend: the figure, its source as the summary names it,
/// and what it counts. The tree sum counts shared pages once, so it can sit
/// below the curve (plain Σ RSS, shared pages once per process): the
/// second line says why.
fn peak_label(peak_bytes: f64, source: &str) -> String {
    let what = match source {
        "tree_rss_sum" => "with shared pages counted once",
        "vmhwm" | "ru_maxrss" => "of the largest single process",
        "cgroup_peak" => "of the job's cgroup",
        _ => "",
    };
    let head = format!(
        "peak {} ({})",
        units::bytes(peak_bytes),
        peak_source_label(source)
    );
    if what.is_empty() {
        head
    } else {
        format!("{head}\n{what}")
    }
}

/// What an empty panel says: a run shorter than a sampling interval has
/// no series at all (or only samples taken after the reap, with no process
/// left), not a flat line at zero.
fn no_data_note(record: &JobRecord, ts: &TimeSeries) -> String {
    if ts.processes.iter().all(|&n| n == 0) {
        format!(
            "not sampled: the job lasted {}",
            units::duration(record.duration_seconds)
        )
    } else {
        "no readings".to_string()
    }
}

/// The chart of one run.
pub fn run_chart(record: &JobRecord, overlays: &Overlays) -> Chart {
    let detailed = record.detailed_profile.as_ref();
    let empty = TimeSeries::default();
    let ts = detailed
        .and_then(|d| d.timeseries.as_ref())
        .unwrap_or(&empty);
    let mut panels = Vec::new();

    let mut cpu = Panel {
        id: "cpu".into(),
        title: "CPU: cores in use by the job's tree".into(),
        unit: Unit::Cores,
        series: vec![series(
            "job tree",
            PALETTE[0],
            false,
            scaled(ts, &ts.cpu_percent, 0.01),
        )],
        hlines: vec![HLine {
            label: format!("cores available ({})", record.host.cpus_available),
            value: record.host.cpus_available as f64,
            color: "#777".into(),
        }],
    };
    if ts.host_cpu_percent.iter().any(Option::is_some) {
        let cores = record.host.logical_cpus.max(1) as f64;
        cpu.series.push(series(
            "whole host",
            "#999999",
            true,
            scaled(ts, &ts.host_cpu_percent, cores / 100.0),
        ));
    }
    panels.push(cpu);

    let peak_bytes = record.resource_usage.memory_peak_mb * BYTES_PER_MB;
    let mut memory = Panel {
        id: "memory".into(),
        title: "Memory: resident set of the job's tree".into(),
        unit: Unit::Bytes,
        series: vec![series("tree RSS", PALETTE[1], false, tree_rss(ts))],
        hlines: vec![HLine {
            label: peak_label(peak_bytes, &record.measurement.memory_peak_source),
            value: peak_bytes,
            color: PALETTE[3].into(),
        }],
    };
    if let Some(limit) = detailed
        .and_then(|d| d.container_stats.as_ref())
        .and_then(|c| c.memory_limit_bytes)
    {
        // A limit far above the job would flatten its curve: show it only
        // when it is within reach (under 4 × the peak).
        if (limit as f64) < peak_bytes.max(1.0) * 4.0 {
            memory.hlines.push(HLine {
                label: format!("limit {}", units::bytes(limit as f64)),
                value: limit as f64,
                color: "#c00".into(),
            });
        }
    }
    panels.push(memory);

    panels.push(Panel {
        id: "io".into(),
        title: "Storage I/O rate of the job's tree".into(),
        unit: Unit::BytesPerSecond,
        series: vec![
            series(
                "read",
                PALETTE[2],
                false,
                scaled(ts, &ts.read_bytes_per_second, 1.0),
            ),
            series(
                "write",
                PALETTE[4],
                false,
                scaled(ts, &ts.write_bytes_per_second, 1.0),
            ),
        ],
        hlines: vec![],
    });

    if ts.gpu_utilization_percent.iter().any(Option::is_some) {
        panels.push(Panel {
            id: "gpu".into(),
            title: "GPU utilisation (devices the job used)".into(),
            unit: Unit::Percent,
            series: vec![series(
                "utilisation",
                PALETTE[5],
                false,
                scaled(ts, &ts.gpu_utilization_percent, 1.0),
            )],
            hlines: vec![],
        });
    }
    if ts.gpu_memory_used_mb.iter().any(Option::is_some) {
        panels.push(Panel {
            id: "gpu-memory".into(),
            title: "GPU memory used".into(),
            unit: Unit::Bytes,
            series: vec![series(
                "used",
                PALETTE[3],
                false,
                scaled(ts, &ts.gpu_memory_used_mb, BYTES_PER_MB),
            )],
            hlines: vec![],
        });
    }

    let lanes: Vec<Lane> = detailed
        .map(|d| d.top_processes.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|p| Lane {
            label: format!("{} ({})", p.name, p.pid),
            start_seconds: p.start_seconds.max(0.0),
            end_seconds: p.last_seen_seconds.max(p.start_seconds),
            tooltip: format!(
                "{} pid {}: {:.1}-{:.1} s, CPU {:.2} s, peak RSS {}",
                p.name,
                p.pid,
                p.start_seconds,
                p.last_seen_seconds,
                p.cpu_seconds,
                units::mebibytes(p.peak_rss_mb)
            ),
        })
        .collect();

    Chart {
        title: format!(
            "{}  —  {}, {}, {}",
            short_command(record, 70),
            record.tool,
            record.status.as_str(),
            units::duration(record.duration_seconds)
        ),
        subtitle: format!(
            "run {} on {} at {}  ·  CPU {:.2} s  ·  peak memory {}  ·  read {}  ·  wrote {}",
            record.task_id,
            record.host.hostname,
            record.start_time,
            record.resource_usage.cpu_total_seconds,
            units::mebibytes(record.resource_usage.memory_peak_mb),
            units::bytes(record.resource_usage.read_bytes as f64),
            units::bytes(record.resource_usage.write_bytes as f64),
        ),
        duration_seconds: record.duration_seconds,
        panels,
        lanes_title: "Processes (lifetime of the top processes)".into(),
        lanes,
        marks: overlays.marks.clone(),
        phases: overlays.phases.clone(),
        no_data_note: no_data_note(record, ts),
    }
}

/// Several runs overlaid: one colour per run in every panel.
pub fn compare_chart(records: &[&JobRecord]) -> Chart {
    let empty = TimeSeries::default();
    let mut cpu = Vec::new();
    let mut mem = Vec::new();
    let mut read = Vec::new();
    let mut write = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let ts = r
            .detailed_profile
            .as_ref()
            .and_then(|d| d.timeseries.as_ref())
            .unwrap_or(&empty);
        let color = PALETTE[i % PALETTE.len()];
        // The id alone: the legend column is ~31 characters wide at 1280 px
        // and "id 2.5 s, max 157.9 MiB/s" was cut; the duration is in the
        // subtitle.
        let name = r.task_id.clone();
        cpu.push(series(
            &name,
            color,
            false,
            scaled(ts, &ts.cpu_percent, 0.01),
        ));
        mem.push(series(&name, color, false, tree_rss(ts)));
        read.push(series(
            &name,
            color,
            false,
            scaled(ts, &ts.read_bytes_per_second, 1.0),
        ));
        write.push(series(
            &name,
            color,
            false,
            scaled(ts, &ts.write_bytes_per_second, 1.0),
        ));
    }
    let duration = records
        .iter()
        .map(|r| r.duration_seconds)
        .fold(0.0_f64, f64::max);
    let panels = vec![
        Panel {
            id: "cpu".into(),
            title: "CPU: cores in use".into(),
            unit: Unit::Cores,
            series: cpu,
            hlines: vec![],
        },
        Panel {
            id: "memory".into(),
            title: "Memory: tree RSS".into(),
            unit: Unit::Bytes,
            series: mem,
            hlines: vec![],
        },
        Panel {
            id: "read".into(),
            title: "Read rate".into(),
            unit: Unit::BytesPerSecond,
            series: read,
            hlines: vec![],
        },
        Panel {
            id: "write".into(),
            title: "Write rate".into(),
            unit: Unit::BytesPerSecond,
            series: write,
            hlines: vec![],
        },
    ];
    // The command in the title only when every run ran it; otherwise each
    // run's own in the subtitle.
    let same_command = records.windows(2).all(|w| w[0].command == w[1].command);
    let title = match records.first() {
        Some(first) if same_command => format!(
            "{} runs compared  —  {}",
            records.len(),
            short_command(first, 70)
        ),
        Some(_) => format!("{} runs compared", records.len()),
        None => "no runs".to_string(),
    };
    Chart {
        title,
        subtitle: records
            .iter()
            .map(|r| {
                let command = if same_command {
                    String::new()
                } else {
                    format!(" {}:", short_command(r, 40))
                };
                format!(
                    "{}{command} {}, {}",
                    r.task_id,
                    r.status.as_str(),
                    units::duration(r.duration_seconds)
                )
            })
            .collect::<Vec<_>>()
            .join("  ·  "),
        duration_seconds: duration,
        panels,
        lanes_title: String::new(),
        lanes: vec![],
        marks: vec![],
        phases: vec![],
        no_data_note: "no readings".to_string(),
    }
}
