//! `profrun plot` and `profrun report` through the real binary on real
//! workload runs (issue 15): the SVG read back by an XML parser, the page
//! checked for anything outside itself, and the page rendered by a real
//! headless Chromium into a PNG that must not be blank.

mod wrapper;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use wrapper::{profrun, run_workload};

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "profrun failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn plot(history: &Path, cwd: &Path, args: &[&str]) -> Output {
    let out = profrun()
        .current_dir(cwd)
        .arg("plot")
        .arg("--history")
        .arg(history)
        .args(args)
        .output()
        .expect("run profrun plot");
    ok(&out);
    out
}

/// The `g` ids of the document's panels.
fn panel_ids(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("g"))
        .filter_map(|n| n.attribute("id"))
        .filter(|id| id.starts_with("panel-"))
        .map(str::to_string)
        .collect()
}

/// The series (polylines with `data-name`) inside panel `id`.
fn series_in<'a>(doc: &'a roxmltree::Document, id: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    let panel = doc
        .descendants()
        .find(|n| n.has_tag_name("g") && n.attribute("id") == Some(id))
        .unwrap_or_else(|| panic!("no {id} in the SVG"));
    panel
        .descendants()
        .filter(|n| n.attribute("class") == Some("series"))
        .collect()
}

fn attr_f64(node: &roxmltree::Node, name: &str) -> f64 {
    node.attribute(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number"))
}

fn max_rss_bytes(record: &Value) -> f64 {
    record["detailed_profile"]["timeseries"]["rss_mb"]
        .as_array()
        .expect("an rss series")
        .iter()
        .filter_map(Value::as_f64)
        .fold(0.0, f64::max)
        * 1024.0
        * 1024.0
}

#[test]
fn plot_of_a_real_run_has_its_panels_and_its_memory_peak() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 64 MiB held for 0.8 s: several samples see it.
    let (out, records) = run_workload(
        dir.path(),
        &["--interval", "0.1"],
        &["alloc", "64", "800", "100"],
    );
    ok(&out);
    let record = &records[0];
    let id = record["task_id"].as_str().expect("id");
    let history = dir.path().join("h.jsonl");
    let out = plot(&history, dir.path(), &[]);
    // The default name, in the current folder, named on stderr.
    let path = dir.path().join(format!("profrun-{id}.svg"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("profrun-{id}.svg")), "{stderr}");
    let text = std::fs::read_to_string(&path).expect("the SVG was written");
    let doc = roxmltree::Document::parse(&text).expect("the SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let ids = panel_ids(&doc);
    for want in ["panel-cpu", "panel-memory", "panel-io", "panel-processes"] {
        assert!(ids.iter().any(|i| i == want), "{want} missing: {ids:?}");
    }
    let memory = series_in(&doc, "panel-memory");
    let tree = memory
        .iter()
        .find(|n| n.attribute("data-name") == Some("tree RSS"))
        .expect("a tree RSS series");
    let want = max_rss_bytes(record);
    let got = attr_f64(tree, "data-max");
    assert!(
        (got - want).abs() <= want * 0.001 + 1.0,
        "data-max {got} vs the record's max RSS {want}"
    );
    assert!(
        want >= 60.0 * 1024.0 * 1024.0,
        "the 64 MiB was seen: {want}"
    );
    // The title names the command and the status.
    let title = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("title"))
        .and_then(|n| n.text())
        .expect("a title");
    assert!(
        title.contains("alloc 64") && title.contains("success"),
        "{title}"
    );
}

#[test]
fn plot_dash_o_dash_writes_the_svg_to_stdout_and_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, _) = run_workload(dir.path(), &[], &["cpu", "200"]);
    ok(&out);
    let out = plot(
        &dir.path().join("h.jsonl"),
        dir.path(),
        &["last", "-o", "-"],
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let doc = roxmltree::Document::parse(&text).expect("stdout is one SVG document");
    assert!(panel_ids(&doc).contains(&"panel-cpu".to_string()));
    let svgs: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    assert!(svgs.is_empty(), "no file with -o -: {svgs:?}");
}

#[test]
fn plot_compare_overlays_every_run_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    run_workload(dir.path(), &[], &["cpu", "200"]);
    let (_, records) = run_workload(dir.path(), &[], &["alloc", "32", "300"]);
    let ids: Vec<&str> = records
        .iter()
        .map(|r| r["task_id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 2);
    let out_file = dir.path().join("both.svg");
    let out = plot(
        &dir.path().join("h.jsonl"),
        dir.path(),
        &[
            "--compare",
            ids[0],
            ids[1],
            "-o",
            out_file.to_str().expect("utf-8"),
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("both.svg"));
    let text = std::fs::read_to_string(&out_file).expect("written");
    let doc = roxmltree::Document::parse(&text).expect("well-formed");
    for panel in ["panel-cpu", "panel-memory"] {
        let names: Vec<&str> = series_in(&doc, panel)
            .iter()
            .filter_map(|n| n.attribute("data-name"))
            .collect();
        for id in &ids {
            assert!(
                names.iter().any(|n| n.starts_with(id)),
                "{id} not in {panel}: {names:?}"
            );
        }
    }
}

#[test]
fn plot_of_an_unknown_id_fails_and_names_the_nearest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, records) = run_workload(dir.path(), &[], &["cpu", "50"]);
    let out = profrun()
        .current_dir(dir.path())
        .args(["plot", "--history"])
        .arg(dir.path().join("h.jsonl"))
        .arg("zzzz")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no run with id 'zzzz'"), "{stderr}");
    assert!(stderr.contains(records[0]["task_id"].as_str().expect("id")));
}

/// A history of a few real runs of two kinds and its report.
fn report_of_real_runs(dir: &Path) -> (String, PathBuf) {
    for args in [
        &["demo"][..],
        &["cpu", "300"],
        &["cpu", "200"],
        &["alloc", "48", "400"],
    ] {
        let (out, _) = run_workload(dir, &[], args);
        ok(&out);
    }
    let page = dir.join("report.html");
    let out = profrun()
        .current_dir(dir)
        .args([
            "report",
            "--width",
            "200",
            "--group-by",
            "tool",
            "--history",
        ])
        .arg(dir.join("h.jsonl"))
        .arg("-o")
        .arg(&page)
        .output()
        .expect("run profrun report");
    ok(&out);
    (
        std::fs::read_to_string(&page).expect("report written"),
        page,
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[test]
fn report_is_self_contained_with_the_job_stats_table_and_each_newest_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (html, _) = report_of_real_runs(dir.path());
    for external in ["<script", "src=", "href=", "url(", "@import"] {
        assert!(!html.contains(external), "{external} in the page");
    }
    let without_xmlns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(
        !without_xmlns.contains("http"),
        "a reference outside the page"
    );
    // The job-stats table, exactly as job-stats prints it.
    let stats = profrun()
        .args([
            "job-stats",
            "--width",
            "200",
            "--group-by",
            "tool",
            "--history",
        ])
        .arg(dir.path().join("h.jsonl"))
        .output()
        .expect("job-stats");
    ok(&stats);
    let table = String::from_utf8(stats.stdout).expect("utf-8");
    assert!(html.contains(&escape(&table)), "table missing:\n{table}");
    // The newest runs (all four here, under the default 5) drawn, with
    // their analysis.
    let history = wrapper::read_history(&dir.path().join("h.jsonl"));
    for r in &history {
        let id = r["task_id"].as_str().expect("id");
        assert!(html.contains(&format!("id=\"run-{id}\"")), "{id} not drawn");
    }
    assert_eq!(html.matches("<li>bottleneck: ").count(), history.len());
    // One group: three trends and three distributions.
    assert_eq!(html.matches("oldest to newest").count(), 3);
}

#[test]
fn report_runs_flag_bounds_the_runs_drawn_in_full() {
    let dir = tempfile::tempdir().expect("tempdir");
    for _ in 0..3 {
        run_workload(dir.path(), &[], &["cpu", "50"]);
    }
    let out = profrun()
        .args(["report", "--runs", "1", "-o", "-", "--history"])
        .arg(dir.path().join("h.jsonl"))
        .output()
        .expect("run");
    ok(&out);
    let html = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(html.matches("<section class=\"run\"").count(), 1);
    let newest = wrapper::last_record(&dir.path().join("h.jsonl"));
    let id = newest["task_id"].as_str().expect("id");
    assert!(html.contains(&format!("id=\"run-{id}\"")));
}

/// Chromium's path, or `None` after saying why the test skips; with
/// `PROFRUN_REQUIRE_COMPONENTS` set a missing Chromium is a failure.
fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("PROFRUN_REQUIRE_COMPONENTS").is_none(),
            "chromium is not installed; .ci/run installs it (apt-get install chromium)"
        );
        eprintln!("skipped: chromium is not installed (run .ci/run, or apt-get install chromium)");
    }
    found
}

#[test]
fn chromium_renders_the_report_and_the_picture_is_not_blank() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, page) = report_of_real_runs(dir.path());
    let png = dir.path().join("report.png");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,2000")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success() && png.exists(),
        "chromium failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png).expect("open png"),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("decode");
    assert_eq!((info.width, info.height), (1280, 2000));
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let total = pixels.len() / channels;
    let inked = pixels
        .chunks(channels)
        .filter(|p| p.iter().take(3).any(|c| *c < 200))
        .count();
    let share = inked as f64 / total as f64;
    // Text, axes and series: a few percent of the page; blank is 0.
    assert!(
        share > 0.01,
        "only {:.3} % of the pixels inked",
        share * 100.0
    );
}

#[test]
fn plot_marks_alerts_and_the_limit_read_from_the_stored_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, records) = run_workload(dir.path(), &[], &["demo"]);
    ok(&out);
    // The alert and limit blocks as `--alert` and `--limit` write them.
    let mut record = records[0].clone();
    let wall = record["duration_seconds"].as_f64().expect("wall");
    record["alerts"] = serde_json::json!([
        {"name": "memory_high", "rule": "memory>8MiB", "fired_at_seconds": wall * 0.3, "value": 9e6},
        {"name": "cpu_idle", "rule": "cpu<10%", "fired_at_seconds": wall * 0.5, "value": 2.0}
    ]);
    record["status"] = serde_json::json!("limit_exceeded");
    record["limit"] = serde_json::json!({
        "resource": "memory", "limit": 1e8, "value": 1.2e8,
        "at_seconds": wall * 0.7, "mechanism": "sampler"
    });
    let history = dir.path().join("h.jsonl");
    std::fs::write(&history, format!("{record}\n")).expect("rewrite");
    let out = plot(&history, dir.path(), &["-o", "-"]);
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let doc = roxmltree::Document::parse(&text).expect("well-formed");
    let marks = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("marks"))
        .expect("a marks group");
    let labels: Vec<&str> = marks
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(
        labels,
        ["alert: memory_high", "alert: cpu_idle", "limit: memory"],
        "{labels:?}"
    );
    // Marks sit at their times on the shared axis: in order left to right.
    let xs: Vec<f64> = marks
        .descendants()
        .filter(|n| n.attribute("class") == Some("mark"))
        .map(|n| attr_f64(&n, "x1"))
        .collect();
    assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
    if let Ok(dir_out) = std::env::var("PROFRUN_PLOT_DUMP") {
        std::fs::write(format!("{dir_out}/marks.svg"), &text).expect("dump");
    }
}

/// `report --history typo.jsonl` wrote a `0 of 0 runs` page and exited 0
/// while `plot` failed: the report fails the same way and writes nothing.
#[test]
fn report_of_a_missing_or_empty_history_fails_and_writes_no_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("report.html");
    for history in ["typo.jsonl", "empty.jsonl"] {
        std::fs::write(dir.path().join("empty.jsonl"), "").expect("empty history");
        let out = profrun()
            .current_dir(dir.path())
            .args(["report", "--history", history, "-o"])
            .arg(&page)
            .output()
            .expect("run profrun report");
        assert_eq!(out.status.code(), Some(1), "{history}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("no runs recorded yet") && stderr.contains("no report written"),
            "{stderr}"
        );
        assert!(!page.exists(), "a page was written for {history}");
    }
    // Filters that match none of the runs: the same.
    run_workload(dir.path(), &[], &["cpu", "50"]);
    let out = profrun()
        .current_dir(dir.path())
        .args(["report", "--tool", "nosuch", "--history", "h.jsonl", "-o"])
        .arg(&page)
        .output()
        .expect("run profrun report");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("no runs match these filters (1 run in the history)"));
    assert!(!page.exists());
}

/// A failed run's verdict read `failed run (cpu, memory peak, wall, bytes
/// written)` with nothing regressed and no baseline; and a one-run group
/// was `1 runs`.
#[test]
fn report_gives_a_failed_runs_status_not_every_metric() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, records) = run_workload(dir.path(), &["--limit", "wall=0.3"], &["cpu", "3000"]);
    let id = records[0]["task_id"].as_str().expect("id");
    assert_eq!(records[0]["status"], "limit_exceeded");
    let out = profrun()
        .args(["report", "-o", "-", "--history"])
        .arg(dir.path().join("h.jsonl"))
        .output()
        .expect("run profrun report");
    ok(&out);
    let html = String::from_utf8(out.stdout).expect("utf-8");
    let verdict = html
        .lines()
        .find(|l| l.contains("class=\"verdict"))
        .expect("a verdict line");
    assert!(
        verdict.contains(&format!("check: failed run ({id} ended limit_exceeded)")),
        "{verdict}"
    );
    assert!(!verdict.contains("cpu"), "{verdict}");
    assert!(
        html.contains("<p class=\"meta\">1 run</p>"),
        "1 run, not 1 runs"
    );
    assert!(!html.contains("1 runs"));
}
