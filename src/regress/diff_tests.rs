use super::*;
use crate::record::{GpuStatsRecord, NvidiaSummaryRecord};
use crate::regress::diff_view::{json, text, value};
use crate::report::table::TableStyle;

const MIB: f64 = 1024.0 * 1024.0;

/// A real record of the example workload (tests/fixtures/real20.jsonl).
fn record() -> JobRecord {
    let line = include_str!("../../tests/fixtures/real20.jsonl");
    serde_json::from_str(line.trim()).expect("the fixture is a record")
}

fn pair() -> (JobRecord, JobRecord) {
    let mut a = record();
    a.task_id = "aaaa".to_string();
    a.duration_seconds = 10.0;
    a.resource_usage.cpu_user_seconds = 18.0;
    a.resource_usage.cpu_system_seconds = 2.0;
    a.resource_usage.cpu_total_seconds = 20.0;
    a.resource_usage.write_bytes = 0;
    let mut b = a.clone();
    b.task_id = "bbbb".to_string();
    b.duration_seconds = 12.0;
    b.resource_usage.cpu_total_seconds = 30.0;
    b.resource_usage.cpu_user_seconds = 28.0;
    b.resource_usage.memory_peak_mb = a.resource_usage.memory_peak_mb * 2.0;
    b.resource_usage.write_bytes = 4096;
    (a, b)
}

fn figure<'a>(d: &'a RecordDiff, name: &str) -> &'a FigureDiff {
    d.figures
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("figure {name}"))
}

#[test]
fn every_headline_figure_with_its_change() {
    let (a, b) = pair();
    let d = diff(&a, &b);
    let wall = figure(&d, "wall_seconds");
    assert_eq!((wall.a, wall.b), (Some(10.0), Some(12.0)));
    assert!((wall.change_percent.expect("change") - 20.0).abs() < 1e-9);
    let cores = figure(&d, "cores_used");
    assert_eq!((cores.a, cores.b), (Some(2.0), Some(2.5)));
    assert!((figure(&d, "cpu_total_seconds").change_percent.expect("c") - 50.0).abs() < 1e-9);
    assert!((figure(&d, "memory_peak_bytes").change_percent.expect("c") - 100.0).abs() < 1e-9);
    // 0 → 4 KiB has no percentage.
    let w = figure(&d, "write_bytes");
    assert_eq!(
        (w.a, w.b, w.change_percent),
        (Some(0.0), Some(4096.0), None)
    );
    assert_eq!(figure(&d, "major_page_faults").change_percent, Some(0.0));
    // No GPU in either record: no GPU rows.
    assert!(d.figures.iter().all(|f| !f.name.starts_with("gpu")));
    assert_eq!(d.a.task_id, "aaaa");
    assert_eq!(d.b.status, "success");
}

#[test]
fn gpu_figures_appear_when_one_record_has_them() {
    let (a, mut b) = pair();
    let gpu = GpuStatsRecord {
        available: true,
        nvidia: Some(NvidiaSummaryRecord {
            gpu_utilization_percent: Some(71.0),
            memory_used_max_mb: Some(2048.0),
            ..NvidiaSummaryRecord::default()
        }),
        energy_joules: Some(1234.0),
        ..GpuStatsRecord::default()
    };
    b.detailed_profile
        .as_mut()
        .expect("the fixture was sampled")
        .gpu_stats = Some(gpu);
    let d = diff(&a, &b);
    let util = figure(&d, "gpu_utilization_percent");
    assert_eq!(
        (util.a, util.b, util.change_percent),
        (None, Some(71.0), None)
    );
    assert_eq!(
        figure(&d, "gpu_memory_used_max_bytes").b,
        Some(2048.0 * MIB)
    );
    assert_eq!(figure(&d, "gpu_energy_joules").b, Some(1234.0));
    let text = text(&d, &TableStyle::default());
    assert!(text.contains("gpu energy"), "{text}");
}

#[test]
fn text_shows_both_runs_figures_and_sparklines() {
    let (a, mut b) = pair();
    let ts = b
        .detailed_profile
        .as_mut()
        .and_then(|d| d.timeseries.as_mut())
        .expect("the fixture has a series");
    for v in ts.cpu_percent.iter_mut().flatten() {
        *v *= 2.0;
    }
    let d = diff(&a, &b);
    let style = TableStyle {
        width: Some(100),
        colour: false,
    };
    let out = text(&d, &style);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("A  aaaa  2026-11-21T20:42:37"),
        "{out}"
    );
    assert!(
        lines[0].contains("success (exit 0)") && lines[0].contains("workload parallel 3 20 9500")
    );
    assert!(lines[1].starts_with("B  bbbb"));
    let words = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(words(lines[3]), "FIGURE A B CHANGE");
    assert!(
        lines.iter().any(|l| words(l) == "wall 10.0 s 12.0 s +20 %"),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| words(l) == "bytes written 0 B 4.0 KiB new"),
        "{out}"
    );
    let cpu_a = lines
        .iter()
        .position(|l| l.starts_with("cpu ") && l.contains(" A "))
        .expect("cpu A line");
    let cpu_b = lines[cpu_a + 1];
    assert!(cpu_b.trim_start().starts_with("B "), "{out}");
    let bars = |l: &str| l.chars().filter(|c| ('▁'..='█').contains(c)).count();
    // 21 points; the first rate is null (a blank), every other one a bar.
    let points = a
        .detailed_profile
        .as_ref()
        .and_then(|d| d.timeseries.as_ref())
        .expect("series")
        .cpu_percent
        .iter()
        .flatten()
        .count();
    assert_eq!(points, 20);
    assert_eq!(bars(lines[cpu_a]), points, "{out}");
    assert_eq!(bars(cpu_b), points);
    // All-zero series (nothing read or written) are left out.
    assert!(!out.contains("\nread "), "{out}");
    let max_a = d.series[0].a_max.expect("a max");
    assert_eq!(d.series[0].b_max, Some(max_a * 2.0));
    assert!(lines[cpu_a].ends_with(&format!("max {}", value(DiffUnit::Percent, Some(max_a)))));
}

#[test]
fn json_names_every_figure() {
    let (a, b) = pair();
    let doc: serde_json::Value = serde_json::from_str(&json(&diff(&a, &b))).expect("valid JSON");
    assert_eq!(doc["schema"], "profrun-diff/1");
    assert_eq!(doc["a"]["task_id"], "aaaa");
    assert_eq!(doc["b"]["exit_code"], 0);
    let figures = doc["figures"].as_array().expect("figures");
    let wall = &figures[0];
    assert_eq!(wall["name"], "wall_seconds");
    assert_eq!(wall["unit"], "seconds");
    assert_eq!(wall["a"], 10.0);
    assert_eq!(wall["b"], 12.0);
    assert_eq!(wall["change_percent"], 20.0);
    let write = figures
        .iter()
        .find(|f| f["name"] == "write_bytes")
        .expect("write_bytes");
    assert!(write["change_percent"].is_null());
    let cpu = &doc["series"][0];
    assert_eq!(cpu["name"], "cpu_percent");
    assert_eq!(cpu["a_points"], 21);
    assert!(cpu.get("a").is_none());
}
