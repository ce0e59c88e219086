//! The read model's two paths agree: the projection that reads a line
//! straight into the model (`record/project.rs`) and the skim + serde path
//! it falls back to (`RecordView::from_line_by_serde`). On random records
//! whose fields take every JSON type (and some damaged values), both give
//! the same run or both reject the line for the same reason, and
//! `job-stats`' figures over a list of them are the same either way.

#[path = "common/gen.rs"]
mod gen;

use profrun::criteria::GroupKey;
use profrun::history::line::parse_summary;
use profrun::record::view::ViewError;
use profrun::record::RecordView;
use profrun::report::stats::StatsBuilder;
use proptest::prelude::*;

/// A field's value as JSON text: every type, odd but valid spellings,
/// escapes, and a few that are not JSON at all.
fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        any::<i32>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        (any::<i32>(), 0u32..100_000_000, -30i32..30).prop_map(|(i, f, e)| format!("{i}.{f}e{e}")),
        (0u32..100_000, 0u32..1000).prop_map(|(i, f)| format!("{i}.{f:03}")),
        any::<f64>().prop_map(|x| format!("{x:?}")),
        prop::sample::select(vec![
            "-0",
            "-0.0",
            "1E2",
            "1e+2",
            "0.5",
            "01",
            "1.",
            ".5",
            "1e400",
            "tru",
            "nul",
            "\"\"",
            "1e-400",
            "123456789012345678901234567890",
        ])
        .prop_map(str::to_string),
        "[a-zA-Z0-9 ._/-]{0,12}".prop_map(|s| format!("\"{s}\"")),
        prop::sample::select(vec![
            r#""a\"b""#,
            r#""tab\tx""#,
            r#""é-ü""#,
            r#""\u00e9""#,
            "\"ctl\u{1}x\"",
            r#""2025-01-01T00:00:00Z""#,
            r#""2025-06-01T12:30:00.250000Z""#,
            r#""2025-06-01 12:30:00""#,
            r#""not a time""#,
            r#""success""#,
            r#""failed""#,
        ])
        .prop_map(str::to_string),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((key(), inner), 0..5).prop_map(|kv| {
                let members: Vec<String> = kv
                    .into_iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect();
                format!("{{{}}}", members.join(", "))
            }),
        ]
    })
}

/// Keys the read model reads at any level, and some it does not.
fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "schema_version",
        "task_id",
        "tool",
        "script",
        "status",
        "returncode",
        "exit_code",
        "signal",
        "name",
        "start_time",
        "end_time",
        "duration_seconds",
        "command",
        "tags",
        "host",
        "hostname",
        "cpus_available",
        "resource_usage",
        "cpu_total_seconds",
        "cpu_user_seconds",
        "cpu_system_seconds",
        "memory_peak_mb",
        "read_bytes",
        "write_bytes",
        "detailed_profile",
        "io_stats",
        "read_mb",
        "write_mb",
        "process_memory",
        "max_mb",
        "gpu_stats",
        "nvidia",
        "gpu_utilization_percent",
        "mean",
        "memory_efficiency",
        "slurm",
        "job_id",
        "array_job_id",
        "array_task_id",
        "step_id",
        "procid",
        "analysis",
        "bottleneck",
        "timeseries",
        "mesh",
        "other",
        "k\\\"ey",
    ])
    .prop_map(str::to_string)
}

/// A record: usually the three required fields well formed, then random
/// members (any key, any value; sometimes a key twice), in random order.
fn record() -> impl Strategy<Value = String> {
    let required = (
        prop_oneof![4 => "[a-f0-9]{1,8}".prop_map(|s| format!("\"{s}\"")), 1 => value()],
        prop_oneof![4 => prop::sample::select(vec!["\"success\"", "\"failed\"", "\"new\""]).prop_map(str::to_string), 1 => value()],
        prop_oneof![4 => Just("\"2025-01-01T00:00:00.500000Z\"".to_string()), 1 => value()],
    );
    let tool =
        prop::sample::select(vec!["\"a\"", "\"b\"", "null", "\"\""]).prop_map(str::to_string);
    (
        required,
        tool,
        prop::collection::vec((key(), value()), 0..10),
        any::<u64>(),
    )
        .prop_map(|((id, status, start), tool, extra, order)| {
            let mut members = vec![
                format!("\"task_id\":{id}"),
                format!("\"status\":{status}"),
                format!("\"start_time\":{start}"),
                format!("\"tool\":{tool}"),
            ];
            members.extend(extra.into_iter().map(|(k, v)| format!("\"{k}\": {v}")));
            let n = members.len();
            members.rotate_left((order % n as u64) as usize);
            format!("{{{}}}", members.join(","))
        })
}

/// Which error, as the line reader classifies it.
fn reason(e: &ViewError) -> String {
    match e {
        ViewError::Json(j) => format!("json {:?}", j.classify()),
        other => format!("{other:?}"),
    }
}

fn agree(line: &str) -> Result<Option<RecordView>, TestCaseError> {
    let fast = RecordView::from_line(line.as_bytes());
    let serde = RecordView::from_line_by_serde(line.as_bytes());
    match (fast, serde) {
        (Ok(a), Ok(b)) => {
            prop_assert_eq!(&a, &b, "{}", line);
            Ok(Some(a))
        }
        (Err(a), Err(b)) => {
            prop_assert_eq!(reason(&a), reason(&b), "{}", line);
            Ok(None)
        }
        (a, b) => Err(TestCaseError::fail(format!("{line}: {a:?} vs {b:?}"))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn both_paths_read_a_line_the_same(line in record()) {
        agree(&line)?;
        // And the reader above them classifies it the same.
        let _ = parse_summary(line.as_bytes());
    }

}

proptest! {
    // Fewer cases: each is up to 30 records.
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn job_stats_figures_are_the_same_on_either_path(lines in prop::collection::vec(record(), 1..30)) {
        let keys = vec![GroupKey::Tool, GroupKey::Status];
        let (mut fast, mut serde) = (StatsBuilder::new(keys.clone()), StatsBuilder::new(keys));
        for line in &lines {
            if let Some(run) = agree(line)? {
                fast.add(&run);
            }
            if let Ok(run) = RecordView::from_line_by_serde(line.as_bytes()) {
                serde.add(&run);
            }
        }
        prop_assert_eq!(format!("{:?}", fast.finish()), format!("{:?}", serde.finish()));
    }
}

/// The records profrun writes are read by the projection, not handed on:
/// it reads exactly what serde reads from each fixture line.
#[test]
fn fixture_lines_read_the_same_on_both_paths() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut read = 0;
    for name in ["history.jsonl", "real20.jsonl"] {
        let text = std::fs::read_to_string(dir.join(name)).expect("fixture");
        for line in text.lines() {
            if agree(line.trim()).expect("agree").is_some() {
                read += 1;
            }
        }
    }
    assert!(read >= 9, "{read} lines read");
}

/// The records of the benchmark's generator, as `profrun run` writes them.
#[test]
fn generated_records_read_the_same_on_both_paths() {
    let mut rng = gen::Rng::new(7);
    for i in 0..300 {
        let line = serde_json::to_string(&gen::record(i, &mut rng)).expect("json");
        assert!(agree(&line).expect("agree").is_some(), "{line}");
    }
}
