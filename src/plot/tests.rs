use super::run_chart::short_command;
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

/// The text of the elements with `class`.
fn texts_of(svg: &str, class: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    doc.descendants()
        .filter(|n| n.attribute("class") == Some(class))
        .filter_map(|n| n.text())
        .map(str::to_string)
        .collect()
}

/// A 2 ms `true` had empty panels and a legend `tree RSS, max 0 B` beside
/// `peak 1.7 MiB (ru_maxrss)`: each panel now says it was not sampled.
#[test]
fn a_run_too_short_to_sample_says_so_in_each_panel_instead_of_an_empty_chart() {
    let mut r = real();
    r.duration_seconds = 0.002;
    if let Some(d) = r.detailed_profile.as_mut() {
        d.timeseries = Some(crate::record::TimeSeries::default());
    }
    let svg = run_svg(&r, &Overlays::default());
    let notes = texts_of(&svg, "no-data");
    assert_eq!(notes, ["not sampled: the job lasted 2 ms"; 3], "{notes:?}");
    let legends = texts_of(&svg, "legend");
    assert!(
        legends.iter().all(|l| !l.contains("max")),
        "no series maximum without a point: {legends:?}"
    );
    // A sampled run has no note.
    assert!(texts_of(&run_svg(&real(), &Overlays::default()), "no-data").is_empty());
}

/// The sample after the reap reads 0 B with no process left: the memory
/// curve sloped to 0 B at every run's end, and a `true` whose only samples
/// came after the reap drew `tree RSS, max 0 B` beside a 2.8 MiB peak.
#[test]
fn the_after_reap_sample_is_not_drawn_as_the_trees_memory() {
    let mut r = real();
    let ts = r
        .detailed_profile
        .as_mut()
        .and_then(|d| d.timeseries.as_mut())
        .expect("series");
    let last = ts.len() - 1;
    ts.processes[last] = 0;
    ts.rss_mb[last] = 0.0;
    let chart = super::run_chart::run_chart(&r, &Overlays::default());
    let memory = chart
        .panels
        .iter()
        .find(|p| p.id == "memory")
        .expect("memory panel");
    let points = &memory.series[0].points;
    assert_eq!(points[last].1, None, "{points:?}");
    assert!(points[..last].iter().all(|p| p.1.is_some()), "{points:?}");

    for p in ts_processes(&mut r) {
        *p = 0;
    }
    let svg = run_svg(&r, &Overlays::default());
    let notes = texts_of(&svg, "no-data");
    assert!(
        !notes.is_empty()
            && notes
                .iter()
                .all(|n| n.starts_with("not sampled: the job lasted")),
        "{notes:?}"
    );
    let legends = texts_of(&svg, "legend");
    assert!(
        !legends.iter().any(|l| l.starts_with("tree RSS, max")),
        "{legends:?}"
    );
}

fn ts_processes(r: &mut JobRecord) -> &mut Vec<u32> {
    &mut r
        .detailed_profile
        .as_mut()
        .and_then(|d| d.timeseries.as_mut())
        .expect("series")
        .processes
}

/// The peak line read `peak 2.5 MiB (tree_rss_sum)`, the raw key, below a
/// curve that went higher, with nothing to say why.
#[test]
fn the_memory_peak_legend_names_its_source_and_what_it_counts() {
    let mut r = real();
    r.measurement.memory_peak_source = "tree_rss_sum".into();
    let svg = run_svg(&r, &Overlays::default());
    let legends = texts_of(&svg, "legend");
    let peak = legends
        .iter()
        .find(|l| l.starts_with("peak "))
        .expect("a peak legend");
    assert!(peak.ends_with("(tree RSS sum)"), "{peak}");
    assert!(!svg.contains("tree_rss_sum"), "the raw key is shown");
    assert!(texts_of(&svg, "legend-more").contains(&"with shared pages counted once".to_string()));
    r.measurement.memory_peak_source = "vmhwm".into();
    let svg = run_svg(&r, &Overlays::default());
    assert!(texts_of(&svg, "legend-more").contains(&"of the largest single process".to_string()));
}

/// `plot --compare -6 -1` was titled `2 runs compared — workload demo`
/// though the second run ran another command.
#[test]
fn compare_title_names_a_command_only_when_every_run_shares_it() {
    let a = real();
    let mut b = real();
    b.task_id = "other".into();
    let title = |rs: &[&JobRecord]| texts_of(&compare_svg(rs), "title").join("");
    assert!(title(&[&a, &b]).contains(&short_command(&a, 70)));
    b.command = vec!["true".into()];
    assert_eq!(title(&[&a, &b]), "2 runs compared");
    let subtitle = texts_of(&compare_svg(&[&a, &b]), "subtitle").join(" ");
    assert!(subtitle.contains("other true:"), "{subtitle}");
}

/// With 8 runs compared the one-line subtitle ran past the 1280 px canvas
/// and the last runs were cut off.
#[test]
fn a_long_compare_subtitle_wraps_so_every_run_is_named() {
    let records: Vec<JobRecord> = (0..8)
        .map(|i| {
            let mut r = real();
            r.task_id = format!("6bahxjv95v{i:02}");
            r
        })
        .collect();
    let refs: Vec<&JobRecord> = records.iter().collect();
    let svg = compare_svg(&refs);
    let lines = texts_of(&svg, "subtitle");
    assert!(lines.len() >= 2, "{lines:?}");
    assert!(lines.iter().all(|l| l.chars().count() <= 165), "{lines:?}");
    for r in &records {
        assert!(
            lines.iter().any(|l| l.contains(&r.task_id)),
            "{} cut",
            r.task_id
        );
    }
    // The panels moved down, under the subtitle.
    let doc = roxmltree::Document::parse(&svg).expect("well-formed");
    let last_subtitle_y = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("subtitle"))
        .filter_map(|n| n.attribute("y")?.parse::<f64>().ok())
        .fold(0.0, f64::max);
    let first_panel_title_y = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("panel-cpu"))
        .and_then(|g| g.descendants().find(|n| n.has_tag_name("text")))
        .and_then(|t| t.attribute("y")?.parse::<f64>().ok())
        .expect("a panel title");
    assert!(first_panel_title_y > last_subtitle_y + 12.0);
    if let Ok(dir) = std::env::var("PROFRUN_PLOT_DUMP") {
        std::fs::write(format!("{dir}/compare8.svg"), &svg).expect("dump");
    }
}
