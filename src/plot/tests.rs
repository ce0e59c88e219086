use super::*;
use crate::record::JobRecord;

fn real() -> JobRecord {
    let line = include_str!("../../tests/fixtures/real20.jsonl")
        .lines()
        .next()
        .expect("one line");
    serde_json::from_str(line).expect("the fixture is a record")
}

#[test]
fn run_svg_has_a_panel_per_measured_series() {
    let svg = run_svg(&real(), &Overlays::default());
    for id in ["panel-cpu", "panel-memory", "panel-io", "panel-processes"] {
        assert!(svg.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(!svg.contains("panel-gpu"), "no GPU was measured");
    if let Ok(dir) = std::env::var("PROFRUN_PLOT_DUMP") {
        std::fs::write(format!("{dir}/real20.svg"), &svg).expect("dump");
    }
}

#[test]
fn compare_overlays_each_run() {
    let a = real();
    let mut b = real();
    b.task_id = "other".into();
    let svg = compare_svg(&[&a, &b]);
    assert!(svg.contains("data-name=\"other"));
    if let Ok(dir) = std::env::var("PROFRUN_PLOT_DUMP") {
        std::fs::write(format!("{dir}/compare.svg"), &svg).expect("dump");
    }
}

#[test]
fn downsample_keeps_spikes_and_bounds_points() {
    let mut ts = crate::record::TimeSeries::default();
    for i in 0..1000 {
        ts.t_seconds.push(i as f64 * 0.5);
        ts.cpu_percent
            .push(Some(if i == 537 { 400.0 } else { 50.0 }));
        ts.rss_mb.push(10.0);
        ts.read_bytes_per_second.push(None);
        ts.write_bytes_per_second.push(Some(1.0));
        ts.processes.push(1);
        ts.threads.push(1);
        ts.host_cpu_percent.push(Some(1.0));
        ts.host_memory_used_mb.push(Some(1.0));
    }
    let small = html::downsample(&ts, 300);
    assert_eq!(small.len(), 300);
    assert_eq!(small.cpu_percent.len(), 300);
    assert!(small.cpu_percent.contains(&Some(400.0)));
    assert_eq!(small.t_seconds.last(), Some(&499.5));
    assert!(small.read_bytes_per_second.iter().all(Option::is_none));
}

#[test]
fn report_page_is_self_contained() {
    let r = real();
    let page = html::ReportPage {
        title: "profrun report".into(),
        description: "test".into(),
        stats_table: "TOOL <b>".into(),
        groups: vec![html::GroupSection {
            name: "workload".into(),
            runs: vec![html::TrendRun::from_record(&r); 3],
            verdict: Some("ok".into()),
        }],
        newest: vec![html::RunSection {
            record: &r,
            overlays: Overlays::default(),
            notes: vec!["bottleneck: idle".into()],
        }],
    };
    let text = html::report_html(&page);
    assert!(text.contains("TOOL &lt;b&gt;"));
    for external in ["<script", "src=", "href=", "url(", "@import"] {
        assert!(!text.contains(external), "{external} in the page");
    }
    if let Ok(dir) = std::env::var("PROFRUN_PLOT_DUMP") {
        std::fs::write(format!("{dir}/report.html"), &text).expect("dump");
    }
}
